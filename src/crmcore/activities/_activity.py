"""Activities: tasks, calls, meetings, emails and deadlines, planned and then done or cancelled.

An :class:`Activity` is an aggregate on the crmcore kernel. It is due at a
time meant in a time zone, may last a while (calls and meetings), has a
priority, an owner and a team, staff and contacts taking part, and is about
one record (a :class:`~crmcore.activities.RecordRef`: a customer, an
account, a lead, an opportunity, a case, an order or a subscription). It may
repeat by an RFC 5545 rule (:class:`~crmcore.activities.Recurrence`) and
carry reminders, each a number of minutes before the due time.

Its status moves ``planned`` → ``done`` or ``cancelled`` through the
:data:`ACTIVITY_STATUSES` machine. A series stays planned while occurrences
remain: completing one (or skipping it) moves ``due_at`` to the next;
completing the last makes the series done. Cancelling a series cancels the
occurrence due and all after it (occurrences completed before stay counted
in ``completed_occurrences``); to drop a single occurrence, skip it.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import UTC, datetime, timedelta, tzinfo
from types import EllipsisType
from typing import Any, Final, Unpack

import attrs

from crmcore._kernel._aggregate import optional_typed_id
from crmcore._kernel._checks import (
    check_unique,
    clean_text,
    enum_converter,
    items_of,
    limit,
    reason_text,
    require_aware,
    tuple_of,
    type_name,
)
from crmcore._kernel._events import MAX_SEQUENCE, EventMeta
from crmcore._kernel._fields import Checked
from crmcore._kernel._ids import ActivityId, CustomerId, Identifier, StaffId, TeamId
from crmcore._kernel._personal import ERASED, HoldsPersonalData
from crmcore._kernel._refs import RecordRef
from crmcore._kernel._status import StatusMachine
from crmcore._kernel._zones import zone_of
from crmcore.activities._events import (
    ActivityAnonymised,
    ActivityCancelled,
    ActivityCompleted,
    ActivityCustomerRepointed,
    ActivityKind,
    ActivityLinked,
    ActivityOccurrenceSkipped,
    ActivityParticipantsChanged,
    ActivityPlanned,
    ActivityPriority,
    ActivityReassigned,
    ActivityRemindersSet,
    ActivityRescheduled,
    ActivityStatus,
)
from crmcore.activities._recurrence import MAX_EXDATES, Recurrence, utc_instant, zone_name
from crmcore.errors import InvalidType, ValidationError

#: Longest subject, in characters.
MAX_SUBJECT: Final = 200
#: Longest outcome, in characters.
MAX_OUTCOME: Final = 1_000
#: Most staff members, and most contacts, taking part in one activity.
MAX_PARTICIPANTS: Final = 100
#: Most reminders one activity may carry.
MAX_REMINDERS: Final = 10
#: Earliest reminder, in minutes before the due time (four weeks).
MAX_REMINDER_MINUTES: Final = 40_320
#: Longest planned or actual duration of a call or meeting, in seconds (one day).
MAX_DURATION_SECONDS: Final = 86_400

_S = ActivityStatus
#: The status machine: a planned activity becomes done or cancelled; both are final.
ACTIVITY_STATUSES: Final = StatusMachine("activity", {_S.PLANNED: {_S.DONE, _S.CANCELLED}})
#: Kinds that last a measurable time and may carry a duration.
TIMED_KINDS: Final = frozenset({ActivityKind.CALL, ActivityKind.MEETING})


# -- reminders -----------------------------------------------------------------------------


def _minutes(_: object, __: attrs.Attribute[Any], value: object) -> None:
    if isinstance(value, bool) or not isinstance(value, int):
        raise InvalidType(f"must be an int, not {type_name(value)}", path="$.minutes_before")
    if not 1 <= value <= MAX_REMINDER_MINUTES:
        raise ValidationError(
            f"must be from 1 to {MAX_REMINDER_MINUTES} minutes before the due time "
            "(a reminder never comes after it)",
            path="$.minutes_before",
            code="reminder",
        )


@attrs.frozen(slots=True, order=True)
class Reminder:
    """A reminder: ``minutes_before`` each occurrence's due time (from 1 to four weeks).

    >>> Reminder.before(timedelta(hours=1))
    Reminder(minutes_before=60)
    >>> Reminder.before(timedelta(0))
    Traceback (most recent call last):
    ...
    crmcore.errors.ValidationError: $.minutes_before: must be from 1 to 40320 minutes before the due time (a reminder never comes after it)

    .. versionadded:: 0.1
    """

    minutes_before: int = attrs.field(validator=_minutes)

    @classmethod
    def before(cls, offset: timedelta) -> Reminder:
        """The reminder ``offset`` before the due time (whole minutes).

        Raises:
            InvalidType: ``offset`` is not a timedelta (``$.minutes_before``).
            ValidationError: not whole minutes, or out of range (code ``reminder``).
        """
        if not isinstance(offset, timedelta):
            raise InvalidType(
                f"must be a timedelta, not {type_name(offset)}", path="$.minutes_before"
            )
        if offset % timedelta(minutes=1):
            raise ValidationError("must be whole minutes", path="$.minutes_before", code="reminder")
        return cls(offset // timedelta(minutes=1))

    @property
    def offset(self) -> timedelta:
        """How long before the due time the reminder comes."""
        return timedelta(minutes=self.minutes_before)


@attrs.frozen(slots=True)
class ReminderDue(Checked):
    """A reminder that falls due: when, for which occurrence, and which reminder.

    .. versionadded:: 0.1
    """

    remind_at: datetime
    occurrence: datetime
    reminder: Reminder


def _reminder(value: object, path: str) -> Reminder:
    if isinstance(value, Reminder):
        return value
    if isinstance(value, timedelta):
        try:
            return Reminder.before(value)
        except ValidationError as exc:
            raise ValidationError(exc.rule, path=path, code=exc.code) from None
    raise InvalidType(f"must be a Reminder or a timedelta, not {type_name(value)}", path=path)


def _reminders(value: object) -> tuple[Reminder, ...]:
    if type(value) is tuple and all(type(v) is Reminder for v in value):
        found: tuple[Reminder, ...] = value
    else:
        found = tuple_of(value, "$.reminders", _reminder, max_items=MAX_REMINDERS)
    check_unique(found, lambda r: r, "$.reminders[{}]", "must not repeat a reminder")
    return tuple(sorted(found, reverse=True))


# -- field checks --------------------------------------------------------------------------


def _kind(value: object) -> ActivityKind:
    return enum_converter(ActivityKind, "$.kind")(value)


def _priority(value: object) -> ActivityPriority:
    return enum_converter(ActivityPriority, "$.priority")(value)


def _status(value: object) -> ActivityStatus:
    return ACTIVITY_STATUSES.parse(value)


def _subject(value: object) -> str:
    return clean_text(value, "$.subject", max_length=MAX_SUBJECT, what="a subject")


def _outcome(value: object) -> str | None:
    if value is None:
        return None
    return clean_text(
        value, "$.outcome", max_length=MAX_OUTCOME, allow_newlines=True, what="an outcome"
    )


def _cancel_reason(value: object) -> str | None:
    return reason_text(value, "$.cancel_reason")


def _due_at(value: object) -> datetime:
    # Kept in UTC: a local time in a repeated hour never equals a time of another zone.
    return utc_instant(value, "$.due_at")


def _completed_at(value: object) -> datetime | None:
    return None if value is None else require_aware(value, "$.completed_at")


def _cancelled_at(value: object) -> datetime | None:
    return None if value is None else require_aware(value, "$.cancelled_at")


def _time_zone(value: object) -> str:
    return zone_name(value, "$.time_zone")


def _staff(value: object) -> tuple[StaffId, ...]:
    found = items_of(
        value, StaffId, "$.staff", "a StaffId", max_items=MAX_PARTICIPANTS, noun="staff members"
    )
    check_unique(found, lambda s: s, "$.staff[{}]", "must not name the same staff member twice")
    return found


def _contacts(value: object) -> tuple[CustomerId, ...]:
    found = items_of(
        value, CustomerId, "$.contacts", "a CustomerId", max_items=MAX_PARTICIPANTS, noun="contacts"
    )
    check_unique(found, lambda c: c, "$.contacts[{}]", "must not name the same contact twice")
    return found


def _link(_: object, __: attrs.Attribute[Any], value: object) -> None:
    if value is not None and type(value) is not RecordRef:
        raise InvalidType(f"must be a RecordRef, not {type_name(value)}", path="$.link")


def _recurrence(_: object, __: attrs.Attribute[Any], value: object) -> None:
    if value is not None and type(value) is not Recurrence:
        raise InvalidType(f"must be a Recurrence, not {type_name(value)}", path="$.recurrence")


def _duration_seconds(_: object, __: attrs.Attribute[Any], value: object) -> None:
    if value is None:
        return
    if isinstance(value, bool) or not isinstance(value, int):
        raise InvalidType(f"must be an int, not {type_name(value)}", path="$.duration_seconds")
    if not 0 < value <= MAX_DURATION_SECONDS:
        raise ValidationError(
            f"must be from 1 to {MAX_DURATION_SECONDS} seconds",
            path="$.duration_seconds",
            code="duration",
        )


def _count(_: object, __: attrs.Attribute[Any], value: object) -> None:
    if isinstance(value, bool) or not isinstance(value, int):
        raise InvalidType(f"must be an int, not {type_name(value)}", path="$.completed_occurrences")
    if not 0 <= value <= MAX_SEQUENCE:
        raise ValidationError(
            "must be from 0 to 2**53 - 1",
            path="$.completed_occurrences",
            code="range",
        )


def _seconds(duration: object, path: str = "$.duration") -> int | None:
    if duration is None:
        return None
    if not isinstance(duration, timedelta):
        raise InvalidType(f"must be a timedelta, not {type_name(duration)}", path=path)
    if not timedelta(0) < duration <= timedelta(seconds=MAX_DURATION_SECONDS):
        raise ValidationError(
            "must be more than zero and at most one day", path=path, code="duration"
        )
    if duration % timedelta(seconds=1):
        raise ValidationError("must be whole seconds", path=path, code="duration")
    return duration // timedelta(seconds=1)


def _series(
    rule: str, start: datetime, zone: str, exdates: tuple[datetime, ...] | list[datetime]
) -> Recurrence:
    """A recurrence for an activity's command; its errors reported under ``$.recurrence``."""
    try:
        return Recurrence(rule, start, zone, exdates)
    except ValidationError as exc:
        raise exc.under("$.recurrence") from None


def _link_arg(value: object) -> RecordRef | None:
    if value is None or type(value) is RecordRef:
        return value
    if isinstance(value, Identifier):
        try:
            return RecordRef.to(value)
        except InvalidType:
            raise InvalidType(
                f"must be a RecordRef or a record's id, not {type_name(value)}", path="$.link"
            ) from None
    raise InvalidType(
        f"must be a RecordRef or a record's id, not {type_name(value)}", path="$.link"
    )


# -- the aggregate -------------------------------------------------------------------------


@attrs.frozen(slots=True, kw_only=True, repr=False)
class Activity(HoldsPersonalData[ActivityId], kind="activity"):
    """A task, call, meeting, email or deadline: planned, then done or cancelled.

    Plan one with :meth:`plan` (:class:`ActivityPlanned`); :meth:`reschedule`,
    :meth:`reassign`, :meth:`change_participants`, :meth:`link_to`,
    :meth:`set_reminders`, :meth:`complete`, :meth:`cancel`,
    :meth:`skip_occurrence` and :meth:`repoint_customer` change it, each
    recording one event of ids, codes and times. The subject, the outcome and a cancellation reason are free
    text that may name people: the repr, the events and the errors leave
    them out, and :meth:`anonymise` erases them in any status (the subject
    becomes ``"[erased]"``, the others ``None``; :class:`ActivityAnonymised`).

    ``due_at`` is the due time of the current occurrence (for a single
    activity, its only one), kept in UTC; ``time_zone`` the zone it is meant
    in (:attr:`local_due_at` reads it there), in which a series computes its
    occurrences, and in which the queries give due and reminder times. Only
    calls and meetings have a duration.
    Every command also takes the envelope keywords ``actor``,
    ``correlation_id`` and ``causation_id``; a command dated before the last
    change is refused with code ``time_backwards``.

    >>> from datetime import datetime, timezone
    >>> from crmcore._kernel._ids import LeadId
    >>> at = datetime(2026, 3, 2, 8, 0, tzinfo=timezone.utc)
    >>> call = Activity.plan(
    ...     ActivityId("act-1"),
    ...     kind="call",
    ...     subject="Call Ibu Sari about the renewal",
    ...     due_at=datetime(2026, 3, 3, 3, 0, tzinfo=timezone.utc),
    ...     time_zone="Asia/Jakarta",
    ...     owner_id=StaffId("s-rina"),
    ...     link=LeadId("l-7"),
    ...     at=at,
    ... )
    >>> call
    Activity(id=ActivityId('act-1'), kind='call', status='planned', due_at='2026-03-03T10:00:00+07:00', owner_id=StaffId('s-rina'), link='lead:l-7', recurring=False, version=0, pending_events=1)
    >>> call.is_overdue_at(datetime(2026, 3, 3, 4, 0, tzinfo=timezone.utc))
    True
    >>> done = call.complete(
    ...     outcome="Agreed to renew", at=datetime(2026, 3, 3, 4, 0, tzinfo=timezone.utc)
    ... )
    >>> done.status, [e.type for e in done.pending_events]
    (<ActivityStatus.DONE: 'done'>, ['ActivityPlanned', 'ActivityCompleted'])

    Attributes:
        completed_occurrences: how many occurrences were completed (0 or 1
            for a single activity; a series rescheduled counts on).
        outcome: what came of the last occurrence completed (free text).
        completed_at: when the last occurrence completed was actually done.
        cancelled_at: when the activity was cancelled.

    .. versionadded:: 0.1
    """

    kind: ActivityKind = attrs.field(converter=_kind)
    subject: str = attrs.field(converter=_subject)
    due_at: datetime = attrs.field(converter=_due_at)
    time_zone: str = attrs.field(default="UTC", converter=_time_zone)
    status: ActivityStatus = attrs.field(default=ActivityStatus.PLANNED, converter=_status)
    priority: ActivityPriority = attrs.field(default=ActivityPriority.NORMAL, converter=_priority)
    duration_seconds: int | None = attrs.field(default=None, validator=_duration_seconds)
    owner_id: StaffId | None = attrs.field(
        default=None, validator=optional_typed_id(StaffId, "$.owner_id")
    )
    team: TeamId | None = attrs.field(default=None, validator=optional_typed_id(TeamId, "$.team"))
    staff: tuple[StaffId, ...] = attrs.field(
        default=(), converter=_staff, metadata=limit(MAX_PARTICIPANTS)
    )
    contacts: tuple[CustomerId, ...] = attrs.field(
        default=(), converter=_contacts, metadata=limit(MAX_PARTICIPANTS)
    )
    link: RecordRef | None = attrs.field(default=None, validator=_link)
    recurrence: Recurrence | None = attrs.field(default=None, validator=_recurrence)
    reminders: tuple[Reminder, ...] = attrs.field(
        default=(), converter=_reminders, metadata=limit(MAX_REMINDERS)
    )
    completed_occurrences: int = attrs.field(default=0, validator=_count)
    outcome: str | None = attrs.field(default=None, converter=_outcome)
    completed_at: datetime | None = attrs.field(default=None, converter=_completed_at)
    cancelled_at: datetime | None = attrs.field(default=None, converter=_cancelled_at)
    cancel_reason: str | None = attrs.field(default=None, converter=_cancel_reason)

    def _check(self) -> None:
        if self.duration_seconds is not None and self.kind not in TIMED_KINDS:
            raise ValidationError(
                "only calls and meetings have a duration",
                path="$.duration_seconds",
                code="untimed_kind",
            )
        recurrence = self.recurrence
        if recurrence is not None:
            if recurrence.time_zone != self.time_zone:
                raise ValidationError(
                    "must be the activity's time zone",
                    path="$.recurrence.time_zone",
                    code="time_zone",
                )
            if self.due_at not in recurrence:
                raise ValidationError(
                    "must be an occurrence of the activity's recurrence",
                    path="$.due_at",
                    code="not_an_occurrence",
                )
        if recurrence is None and self.completed_occurrences > 1:
            raise ValidationError(
                "must not exceed the occurrences of the activity",
                path="$.completed_occurrences",
                code="range",
            )
        done = self.status is ActivityStatus.DONE
        if (
            done and (self.completed_occurrences == 0 or self._remaining_after_due() is not None)
        ) or (not done and recurrence is None and self.completed_occurrences):
            raise ValidationError(
                "must be done exactly when its last occurrence was completed",
                path="$.status",
                code="status",
            )
        if (self.completed_at is None) != (self.completed_occurrences == 0):
            raise ValidationError(
                "must be set exactly when an occurrence was completed",
                path="$.completed_at",
                code="status",
            )
        if self.outcome is not None and self.completed_at is None:
            raise ValidationError(
                "must only be given once an occurrence was completed",
                path="$.outcome",
                code="status",
            )
        cancelled = self.status is ActivityStatus.CANCELLED
        if cancelled != (self.cancelled_at is not None) or (
            self.cancel_reason is not None and not cancelled
        ):
            raise ValidationError(
                "must be set exactly when the activity is cancelled",
                path="$.cancelled_at",
                code="status",
            )

    def _remaining_after_due(self) -> datetime | None:
        return None if self.recurrence is None else self.recurrence.after(self.due_at)

    def _recorded_times(self) -> Iterable[datetime]:
        if self.completed_at is not None:
            yield self.completed_at
        if self.cancelled_at is not None:
            yield self.cancelled_at

    _anonymised_by = ActivityAnonymised
    personal_fields = ("subject", "outcome", "cancel_reason")

    def _event_fields(self) -> Mapping[str, object]:
        return {"activity_id": self.id}

    def _tombstones(self, fields: frozenset[str]) -> dict[str, Any]:
        return {name: ERASED if name == "subject" else None for name in fields}

    # -- construction ---------------------------------------------------------------------

    @classmethod
    def plan(
        cls,
        activity_id: ActivityId,
        *,
        kind: ActivityKind | str,
        subject: str,
        due_at: datetime,
        at: datetime,
        time_zone: str | tzinfo = "UTC",
        duration: timedelta | None = None,
        priority: ActivityPriority | str = ActivityPriority.NORMAL,
        owner_id: StaffId | None = None,
        team: TeamId | None = None,
        staff: Iterable[StaffId] = (),
        contacts: Iterable[CustomerId] = (),
        link: RecordRef | Identifier | None = None,
        recurrence: Recurrence | str | None = None,
        exdates: tuple[datetime, ...] | list[datetime] = (),
        reminders: Iterable[Reminder | timedelta] = (),
        **meta: Unpack[EventMeta],
    ) -> Activity:
        """Plan an activity due at ``due_at``; records :class:`ActivityPlanned`.

        ``link`` is a :class:`~crmcore.activities.RecordRef` or a record's
        typed id (a ``CustomerId`` names a customer; use
        ``RecordRef.account(...)`` for an account). ``recurrence`` is a
        :class:`Recurrence` or the text of a rule: the series then starts at
        ``due_at`` in ``time_zone``, without the ``exdates``, and ``due_at``
        must be its first occurrence. ``exdates`` only go with a rule text.
        ``time_zone`` is a name (``"Asia/Jakarta"``, ``"UTC"``, ``"+07:00"``)
        or a tzinfo that carries one (a ``ZoneInfo``, a fixed ``timezone``),
        such as ``due_at.tzinfo``; it is kept by name.

        Raises:
            InvalidType: an argument of the wrong type (its path names it).
            ValidationError: an argument breaks a rule, such as ``$.due_at``
                (``not_an_occurrence``), ``$.duration_seconds``
                (``untimed_kind``), ``$.reminders[1]`` (``duplicate``) or
                ``$.recurrence.rule`` (``rrule``, ``unbounded``, ...).
        """
        command = cls._begin_new(at, meta)
        zone = _time_zone(time_zone)
        series: Recurrence | None
        if isinstance(recurrence, str):
            series = _series(recurrence, _due_at(due_at), zone, exdates)
        elif tuple_of(exdates, "$.exdates", require_aware, max_items=MAX_EXDATES):
            raise ValidationError(
                "must only be given with a rule text (a Recurrence carries its own)",
                path="$.exdates",
                code="exdates",
            )
        else:
            series = recurrence
        return cls._create(
            command,
            lambda activity: ActivityPlanned.draft(
                kind=activity.kind,
                priority=activity.priority,
                due_at=activity.due_at,
                time_zone=activity.time_zone,
                owner_id=activity.owner_id,
                team=activity.team,
                link=activity.link,
                staff=activity.staff,
                contacts=activity.contacts,
                recurring=activity.recurrence is not None,
                occurrences=1 if activity.recurrence is None else len(activity.recurrence),
            ),
            id=activity_id,
            kind=kind,
            subject=subject,
            due_at=due_at,
            time_zone=zone,
            priority=priority,
            duration_seconds=_seconds(duration),
            owner_id=owner_id,
            team=team,
            staff=staff,
            contacts=contacts,
            link=_link_arg(link),
            recurrence=series,
            reminders=reminders,
        )

    # -- queries --------------------------------------------------------------------------

    @property
    def duration(self) -> timedelta | None:
        """How long a call or meeting is planned to last (or lasted), if known."""
        return None if self.duration_seconds is None else timedelta(seconds=self.duration_seconds)

    @property
    def local_due_at(self) -> datetime:
        """The due time of the current occurrence in the activity's time zone."""
        return self.due_at.astimezone(zone_of(self.time_zone))

    @property
    def is_recurring(self) -> bool:
        """True if the activity repeats."""
        return self.recurrence is not None

    @property
    def customer_id(self) -> CustomerId | None:
        """The customer the activity is with: its link's (a customer or an account), else its first contact.

        ``None`` when neither names one (a task on a lead with no contacts).
        """
        if self.link is not None and self.link.customer_id is not None:
            return self.link.customer_id
        return self.contacts[0] if self.contacts else None

    @property
    def is_planned(self) -> bool:
        """True while the activity (or its series) is planned."""
        return self.status is ActivityStatus.PLANNED

    def upcoming(self) -> tuple[datetime, ...]:
        """The due times of the planned occurrences, the current one first (none once closed).

        Like every query giving due times, in the activity's time zone.
        """
        if self.status is not ActivityStatus.PLANNED:
            return ()
        if self.recurrence is None:
            return (self.local_due_at,)
        return self.recurrence.from_(self.due_at)

    def is_overdue_at(self, at: datetime) -> bool:
        """True if the activity is planned and its current occurrence was due before ``at``."""
        moment = require_aware(at, "$.at")
        return self.status is ActivityStatus.PLANNED and self.due_at < moment

    def occurrences_between(self, start: datetime, end: datetime) -> tuple[datetime, ...]:
        """The due times of the planned occurrences in ``[start, end)``, oldest first."""
        low = require_aware(start, "$.start")
        high = require_aware(end, "$.end")
        if self.status is not ActivityStatus.PLANNED or high <= low:
            return ()
        if self.recurrence is None:
            return (self.local_due_at,) if low <= self.due_at < high else ()
        return self.recurrence.between(max(low, self.due_at), high)

    def is_due_between(self, start: datetime, end: datetime) -> bool:
        """True if a planned occurrence is due in ``[start, end)``."""
        return bool(self.occurrences_between(start, end))

    def reminders_between(self, start: datetime, end: datetime) -> tuple[ReminderDue, ...]:
        """The reminders falling due in ``[start, end)``, with their occurrences, by time.

        Only planned occurrences count (the current one and those after it).
        """
        low = require_aware(start, "$.start")
        high = require_aware(end, "$.end")
        if not self.reminders or high <= low:
            return ()
        latest = self.reminders[0].offset  # the earliest reminder: sorted largest first
        zone = zone_of(self.time_zone)
        try:
            reach = high + latest  # the due times whose reminders may fall before ``high``
        except OverflowError:  # past the end of the calendar: every due time
            reach = datetime.max.replace(tzinfo=UTC)
        # Offsets are elapsed time: subtracted from the instant, not from the wall clock.
        found = [
            ReminderDue(
                (occurrence.astimezone(UTC) - reminder.offset).astimezone(zone),
                occurrence,
                reminder,
            )
            for occurrence in self.occurrences_between(low, reach)
            for reminder in self.reminders
            if low <= occurrence.astimezone(UTC) - reminder.offset < high
        ]
        return tuple(sorted(found, key=lambda due: (due.remind_at, due.occurrence)))

    # -- commands -------------------------------------------------------------------------

    def _refuse_unless_planned(self) -> None:
        if self.status is not ActivityStatus.PLANNED:
            raise ACTIVITY_STATUSES.refusal(
                self.status, ActivityStatus.PLANNED, allowed=frozenset()
            )

    def reschedule(
        self,
        due_at: datetime,
        *,
        at: datetime,
        time_zone: str | tzinfo | None = None,
        **meta: Unpack[EventMeta],
    ) -> Activity:
        """Move the due time (and, if given, the time zone); records :class:`ActivityRescheduled`.

        A series is moved as a whole: its rule starts again at ``due_at`` (a
        ``COUNT`` counts from there) and ``due_at`` must be its first
        occurrence; exception dates before it are dropped. The same time and
        zone again is a no-op.

        Raises:
            TransitionNotAllowed: the activity is done or cancelled.
            ValidationError: ``due_at`` naive (``$.due_at``), not the first
                occurrence of the moved series (``not_an_occurrence``), a bad
                time zone (``$.time_zone``) or ``at`` refused (``$.at``).
        """
        moved = _due_at(due_at)
        zone = self.time_zone if time_zone is None else _time_zone(time_zone)
        command = self._begin(at, meta)
        self._refuse_unless_planned()
        if moved == self.due_at and zone == self.time_zone:
            return self
        series = self.recurrence
        if series is not None:
            series = _series(
                series.rule, moved, zone, tuple(d for d in series.exdates if d >= moved)
            )
            if series.first.astimezone(UTC) != moved:
                raise ValidationError(
                    "must be the first occurrence of the moved series",
                    path="$.due_at",
                    code="not_an_occurrence",
                )
        draft = ActivityRescheduled.draft(due_at=moved, previous_due_at=self.due_at, time_zone=zone)
        return self._record(command, draft, due_at=moved, time_zone=zone, recurrence=series)

    def reassign(
        self,
        owner_id: StaffId | None,
        team: TeamId | EllipsisType | None = ...,
        *,
        at: datetime,
        **meta: Unpack[EventMeta],
    ) -> Activity:
        """Give the activity to ``owner_id`` (``None``: nobody); records :class:`ActivityReassigned`.

        ``team=None`` takes it out of its team; leaving ``team`` out keeps it.
        The same owner and team again is a no-op. Allowed in any status.

        Raises:
            InvalidType: ``owner_id`` is not a StaffId or ``None`` (``$.owner_id``),
                or ``team`` not a TeamId or ``None`` (``$.team``).
        """
        command = self._begin(at, meta)
        return self._assign_owner("owner_id", owner_id, team, ActivityReassigned, command)

    def change_participants(
        self,
        *,
        at: datetime,
        staff: Iterable[StaffId] | None = None,
        contacts: Iterable[CustomerId] | None = None,
        **meta: Unpack[EventMeta],
    ) -> Activity:
        """Replace the staff and/or contacts taking part (``None`` keeps a list).

        Records :class:`ActivityParticipantsChanged`; the same lists again are a no-op.

        Raises:
            InvalidType: an item that is not a StaffId (``$.staff[i]``) or a
                CustomerId (``$.contacts[i]``).
            ValidationError: a list too long (``too_many``), an id twice (``duplicate``).
        """
        new_staff = self.staff if staff is None else _staff(staff)
        new_contacts = self.contacts if contacts is None else _contacts(contacts)
        command = self._begin(at, meta)
        if (new_staff, new_contacts) == (self.staff, self.contacts):
            return self
        draft = ActivityParticipantsChanged.draft(staff=new_staff, contacts=new_contacts)
        return self._record(command, draft, staff=new_staff, contacts=new_contacts)

    def link_to(
        self, link: RecordRef | Identifier | None, *, at: datetime, **meta: Unpack[EventMeta]
    ) -> Activity:
        """Link the activity to a record (``None``: to none); records :class:`ActivityLinked`.

        Raises:
            InvalidType: ``link`` is neither a RecordRef, a record's id nor ``None``.
        """
        ref = _link_arg(link)
        command = self._begin(at, meta)
        if ref == self.link:
            return self
        return self._record(command, ActivityLinked.draft(link=ref, previous=self.link), link=ref)

    def set_reminders(
        self,
        reminders: Iterable[Reminder | timedelta],
        *,
        at: datetime,
        **meta: Unpack[EventMeta],
    ) -> Activity:
        """Replace the reminders; records :class:`ActivityRemindersSet` (the same ones: a no-op).

        Raises:
            InvalidType: an item is neither a Reminder nor a timedelta (``$.reminders[i]``).
            ValidationError: too many (``too_many``), twice the same
                (``duplicate``), not before the due time (``reminder``).
        """
        checked = _reminders(reminders)
        command = self._begin(at, meta)
        if checked == self.reminders:
            return self
        minutes = tuple(r.minutes_before for r in checked)
        return self._record(
            command, ActivityRemindersSet.draft(minutes_before=minutes), reminders=checked
        )

    def complete(
        self,
        *,
        at: datetime,
        outcome: str | None = None,
        actual_at: datetime | None = None,
        duration: timedelta | None = None,
        **meta: Unpack[EventMeta],
    ) -> Activity:
        """Complete the current occurrence; records :class:`ActivityCompleted`.

        ``actual_at`` is when it was actually done (``at`` if left out; never
        after ``at``); ``duration`` how long a call or meeting took (it
        replaces the planned duration of a single activity; a series keeps its
        planned one and the event carries the actual one). A series moves
        ``due_at`` to its next occurrence and stays planned; completing the
        last one, or a single activity, makes it done.

        Raises:
            TransitionNotAllowed: the activity is done or cancelled.
            ValidationError: ``actual_at`` after ``at`` (``$.actual_at``,
                ``in_future``), a duration for a kind without one
                (``$.duration``, ``untimed_kind``), a bad outcome (``$.outcome``).
        """
        when = require_aware(at, "$.at")
        actual = when if actual_at is None else require_aware(actual_at, "$.actual_at")
        seconds = _seconds(duration)
        if seconds is not None and self.kind not in TIMED_KINDS:
            raise ValidationError(
                "only calls and meetings have a duration", path="$.duration", code="untimed_kind"
            )
        checked_outcome = _outcome(outcome)
        command = self._begin(when, meta)
        ACTIVITY_STATUSES.check(self.status, ActivityStatus.DONE)
        if actual > command.at:
            raise ValidationError(
                "must not be after the time of the command", path="$.actual_at", code="in_future"
            )
        after = self._remaining_after_due()
        following = None if after is None else after.astimezone(UTC)
        changes: dict[str, Any] = {
            "outcome": checked_outcome,
            "completed_at": actual,
            "completed_occurrences": self.completed_occurrences + 1,
        }
        if following is None:
            changes["status"] = ActivityStatus.DONE
            if seconds is not None and self.recurrence is None:
                changes["duration_seconds"] = seconds
        else:
            changes["due_at"] = following
        draft = ActivityCompleted.draft(
            kind=self.kind,
            link=self.link,
            customer_id=self.customer_id,
            occurrence=self.due_at,
            actual_at=actual,
            next_due_at=following,
            duration_seconds=seconds,
        )
        return self._record(command, draft, **changes)

    def cancel(
        self, *, at: datetime, reason: str | None = None, **meta: Unpack[EventMeta]
    ) -> Activity:
        """Cancel the activity (a series: the occurrence due and all after it).

        Records :class:`ActivityCancelled`; ``reason`` is short free text kept
        in the activity only.

        Raises:
            TransitionNotAllowed: the activity is done or cancelled already.
            ValidationError: a bad reason (``$.cancel_reason``) or ``at`` refused.
        """
        checked = _cancel_reason(reason)
        command = self._begin(at, meta)
        ACTIVITY_STATUSES.check(self.status, ActivityStatus.CANCELLED)
        return self._record(
            command,
            ActivityCancelled.draft(
                kind=self.kind, link=self.link, customer_id=self.customer_id, occurrence=self.due_at
            ),
            status=ActivityStatus.CANCELLED,
            cancelled_at=command.at,
            cancel_reason=checked,
        )

    def skip_occurrence(
        self, occurrence: datetime, *, at: datetime, **meta: Unpack[EventMeta]
    ) -> Activity:
        """Skip one planned occurrence of a series; records :class:`ActivityOccurrenceSkipped`.

        The occurrence joins the exception dates; skipping the one due moves
        ``due_at`` to the next. The last planned occurrence cannot be skipped:
        cancel the activity instead.

        Raises:
            TransitionNotAllowed: the activity is done or cancelled.
            ValidationError: not a series (``$.recurrence``, ``not_recurring``),
                not a planned occurrence (``$.occurrence``,
                ``not_an_occurrence``), the last one (``last_occurrence``).
        """
        moment = utc_instant(occurrence, "$.occurrence")
        command = self._begin(at, meta)
        self._refuse_unless_planned()
        series = self.recurrence
        if series is None:
            raise ValidationError(
                "must be a recurring activity to skip an occurrence",
                path="$.recurrence",
                code="not_recurring",
            )
        if moment < self.due_at or moment not in series:
            raise ValidationError(
                "must be a planned occurrence of the series",
                path="$.occurrence",
                code="not_an_occurrence",
            )
        if len(self.upcoming()) == 1:
            raise ValidationError(
                "must not be the last planned occurrence (cancel the activity instead)",
                path="$.occurrence",
                code="last_occurrence",
            )
        try:
            skipped = series.excluding(moment)
        except ValidationError as exc:  # too many exception dates
            raise exc.under("$.recurrence") from None
        due = self.due_at
        if moment == due:
            following = series.after(due)
            assert following is not None  # noqa: S101 - more than one occurrence remains
            due = following.astimezone(UTC)
        draft = ActivityOccurrenceSkipped.draft(occurrence=moment, next_due_at=due)
        return self._record(command, draft, recurrence=skipped, due_at=due)

    def repoint_customer(
        self,
        previous: CustomerId,
        customer_id: CustomerId,
        *,
        at: datetime,
        **meta: Unpack[EventMeta],
    ) -> Activity:
        """Name ``customer_id`` where the activity names ``previous``; records :class:`ActivityCustomerRepointed`.

        For a merge of duplicate customers (:mod:`crmcore.merge`): a link to
        the customer or account ``previous`` names ``customer_id`` instead,
        keeping its kind, and ``customer_id`` takes ``previous``'s place among
        the contacts (once: where it takes part already, it keeps the first
        of the two places). The event's ``fields`` names what changed
        (``"link"``, ``"contacts"``). Allowed in any status: a done or
        cancelled activity stays on the merged customer's history.

        Raises:
            InvalidType: ``previous`` or ``customer_id`` is not a CustomerId.
            ValidationError: ``at`` is refused (``$.at``); ``customer_id`` is
                ``previous`` (``$.customer_id``, ``same_customer``); neither the
                link nor a contact names ``previous`` (``$.previous``,
                ``not_named``). Nothing is applied.
        """
        command = self._begin_repointing(previous, customer_id, at, meta)
        changes: dict[str, Any] = {}
        link = self.link
        if link is not None and link.customer_id == previous:
            changes["link"] = RecordRef(link.kind, customer_id.value)
        if previous in self.contacts:
            # dict.fromkeys keeps the first place of a contact named twice.
            swapped = (customer_id if contact == previous else contact for contact in self.contacts)
            changes["contacts"] = tuple(dict.fromkeys(swapped))
        if not changes:
            raise ValidationError(
                "must be a customer this activity names (its link or a contact)",
                path="$.previous",
                code="not_named",
            )
        draft = ActivityCustomerRepointed.draft(
            customer_id=customer_id, previous=previous, fields=tuple(changes)
        )
        return self._record(command, draft, **changes)

    def __repr__(self) -> str:
        link = None if self.link is None else str(self.link)
        return (
            f"Activity(id={self.id!r}, kind={self.kind.value!r}, status={self.status.value!r}, "
            f"due_at={self.local_due_at.isoformat()!r}, owner_id={self.owner_id!r}, link={link!r}, "
            f"recurring={self.recurrence is not None}, version={self.version}, "
            f"pending_events={len(self.pending_events)})"
        )
