"""The events an :class:`~crmcore.activities.Activity` records: ids, codes and times only.

The subject, the outcome and a cancellation reason are free text that may
name people: they stay in the aggregate and never go into an event.
"""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum

import attrs

from crmcore._kernel._events import DomainEvent, event_rule
from crmcore._kernel._ids import ActivityId, CustomerId, StaffId, TeamId
from crmcore._kernel._personal import PersonalDataErasedEvent
from crmcore._kernel._refs import RecordRef
from crmcore._kernel._repoint import CustomerRepointedEvent


class ActivityKind(StrEnum):
    """What kind of work an activity is.

    .. versionadded:: 0.1
    """

    TASK = "task"
    CALL = "call"
    MEETING = "meeting"
    EMAIL = "email"
    DEADLINE = "deadline"


class ActivityStatus(StrEnum):
    """Where an activity stands: planned, then done or cancelled (both final).

    .. versionadded:: 0.1
    """

    PLANNED = "planned"
    DONE = "done"
    CANCELLED = "cancelled"


class ActivityPriority(StrEnum):
    """How urgent an activity is.

    .. versionadded:: 0.1
    """

    LOW = "low"
    NORMAL = "normal"
    HIGH = "high"
    URGENT = "urgent"


@attrs.frozen(slots=True, kw_only=True)
class ActivityEvent(DomainEvent, aggregate="activity"):
    """Base of the events recorded by an activity (never its subject, outcome or reason).

    .. versionadded:: 0.1
    """

    activity_id: ActivityId


@attrs.frozen(slots=True, kw_only=True)
class ActivityPlanned(ActivityEvent):
    """An activity was planned: its kind, priority, due time and zone, owner, link, series.

    ``recurring`` says whether it repeats; ``occurrences`` is how many
    occurrences its series holds (1 for a single activity).

    .. versionadded:: 0.1
    """

    kind: ActivityKind
    priority: ActivityPriority
    due_at: datetime
    time_zone: str
    owner_id: StaffId | None = None
    team: TeamId | None = None
    link: RecordRef | None = None
    staff: tuple[StaffId, ...] = ()
    contacts: tuple[CustomerId, ...] = ()
    recurring: bool = False
    occurrences: int = 1


@attrs.frozen(slots=True, kw_only=True)
class ActivityRescheduled(ActivityEvent):
    """The due time (and with it a series' start) moved.

    .. versionadded:: 0.1
    """

    due_at: datetime
    previous_due_at: datetime
    time_zone: str


@attrs.frozen(slots=True, kw_only=True)
class ActivityReassigned(ActivityEvent):
    """The owner (``None``: nobody), the team or both changed; ``previous*`` are the old values.

    .. versionadded:: 0.1
    """

    owner_id: StaffId | None
    previous: StaffId | None = None
    team: TeamId | None = None
    previous_team: TeamId | None = None


@attrs.frozen(slots=True, kw_only=True)
class ActivityParticipantsChanged(ActivityEvent):
    """The staff and contacts taking part changed (the whole new lists).

    .. versionadded:: 0.1
    """

    staff: tuple[StaffId, ...]
    contacts: tuple[CustomerId, ...]


@attrs.frozen(slots=True, kw_only=True)
class ActivityLinked(ActivityEvent):
    """The record the activity is about changed (``None``: no record).

    .. versionadded:: 0.1
    """

    link: RecordRef | None
    previous: RecordRef | None = None


@attrs.frozen(slots=True, kw_only=True)
class ActivityRemindersSet(ActivityEvent):
    """The reminders changed: minutes before each occurrence's due time, earliest first.

    .. versionadded:: 0.1
    """

    minutes_before: tuple[int, ...]


@attrs.frozen(slots=True, kw_only=True)
class ActivityCompleted(ActivityEvent):
    """An occurrence (``occurrence``, its due time) was done at ``actual_at``.

    ``next_due_at`` is the series' next occurrence, now due; ``None`` when
    nothing remains and the activity is done. ``duration_seconds`` is how long
    a call or meeting actually took, if given. ``kind``, ``link`` and
    ``customer_id`` (the link's customer, else the first contact) say what
    was done and with whom, so an automation rule can react to a finished
    meeting with a customer.

    .. versionadded:: 0.1
    """

    kind: ActivityKind
    link: RecordRef | None = None
    customer_id: CustomerId | None = None
    occurrence: datetime
    actual_at: datetime
    next_due_at: datetime | None = None
    duration_seconds: int | None = None

    def _check(self) -> None:
        event_rule(
            self.next_due_at is None or self.next_due_at > self.occurrence,
            "$.next_due_at",
            "must be after the occurrence completed",
            "time_backwards",
        )


@attrs.frozen(slots=True, kw_only=True)
class ActivityCancelled(ActivityEvent):
    """The activity was cancelled (a series: the occurrence due and every one after it).

    ``kind``, ``link`` and ``customer_id`` as in :class:`ActivityCompleted`.

    .. versionadded:: 0.1
    """

    kind: ActivityKind
    link: RecordRef | None = None
    customer_id: CustomerId | None = None
    occurrence: datetime


@attrs.frozen(slots=True, kw_only=True)
class ActivityOccurrenceSkipped(ActivityEvent):
    """One occurrence of a series was skipped (added to its exception dates).

    ``next_due_at`` is the occurrence due after the skip.

    .. versionadded:: 0.1
    """

    occurrence: datetime
    next_due_at: datetime


@attrs.frozen(slots=True, kw_only=True)
class ActivityCustomerRepointed(CustomerRepointedEvent, ActivityEvent):
    """The activity names ``customer_id``, the customer ``previous`` was merged into.

    ``fields`` names what changed: ``"link"`` (a link to the customer or
    account ``previous``, which keeps its kind) and ``"contacts"`` (the
    survivor takes the absorbed customer's place, once).

    .. versionadded:: 0.1
    """

    customer_id: CustomerId
    previous: CustomerId
    fields: tuple[str, ...]


@attrs.frozen(slots=True, kw_only=True)
class ActivityAnonymised(PersonalDataErasedEvent, ActivityEvent):
    """The activity's personal fields (``fields``: subject, outcome, cancellation reason) were erased.

    .. versionadded:: 0.1
    """

    fields: tuple[str, ...]
