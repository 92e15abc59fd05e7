"""Strategies for activities: record references, recurrence rules, reminders and activities."""

from __future__ import annotations

import functools
import zoneinfo
from collections.abc import Callable, Iterable
from datetime import UTC, datetime, timedelta
from typing import Any, Final

from hypothesis import strategies as st

from crmcore._kernel._checks import tuple_of
from crmcore._kernel._ids import CustomerId, StaffId, TeamId
from crmcore.activities import (
    MAX_REMINDER_MINUTES,
    TIMED_KINDS,
    Activity,
    ActivityCompletion,
    ActivityId,
    ActivityKind,
    ActivityPriority,
    RecordKind,
    RecordRef,
    Recurrence,
    Reminder,
    ReminderDue,
    zone_name,
)
from crmcore.errors import ValidationError
from crmcore.testing.strategies._base import (
    _GIVEN_NAMES,
    _as_drawn,
    _command_times,
    _customer_choices,
    _enum_choices,
    _id_pool,
    _id_texts,
    _ids_of,
    _int_arg,
    _non_empty,
    _reasons,
    _short_texts,
    _window,
    aware_datetimes,
)
from crmcore.testing.strategies._base import customer_ids as customer_ids_strategy
from crmcore.testing.strategies._interactions import interactions

#: Fixed-offset zones, always known.
_FIXED_ZONES: Final = ("UTC", "+07:00", "+08:00", "+09:00", "+05:30", "-05:00")
#: IANA zones with daylight saving time (and without), drawn where the system knows them.
_IANA_ZONES: Final = (
    "Asia/Jakarta",
    "Asia/Makassar",
    "Europe/Berlin",
    "America/New_York",
    "Australia/Sydney",
)
_WEEKDAYS: Final = ("MO", "TU", "WE", "TH", "FR", "SA", "SU")
_SUBJECTS: Final = (
    "Follow up on the quotation",
    "Weekly pipeline review",
    "Kirim penawaran harga",
    "Renewal call",
    "Demo for the purchasing team",
    "Submit the tender documents",
)
_OUTCOMES: Final = ("Agreed to a second meeting", "No answer", "Sudah dikirim", "Won the deal")


def _known(name: str) -> bool:
    try:
        zoneinfo.ZoneInfo(name)
    except (zoneinfo.ZoneInfoNotFoundError, ValueError, OSError):  # pragma: no cover - no tzdata
        return False
    return True


@functools.cache
def _zones() -> st.SearchStrategy[str]:
    """Time zone names: fixed offsets, and IANA names the system's database holds."""
    return st.sampled_from(_FIXED_ZONES + tuple(z for z in _IANA_ZONES if _known(z)))


# -- values ---------------------------------------------------------------------------------


@functools.cache
def activity_ids() -> st.SearchStrategy[ActivityId]:
    """:class:`~crmcore.activities.ActivityId` values: sequential, UUID-shaped and arbitrary ids."""
    return _id_texts("act").map(ActivityId)


def record_refs(*, kinds: Iterable[RecordKind | str] | None = None) -> st.SearchStrategy[RecordRef]:
    """:class:`~crmcore.activities.RecordRef` values of the given kinds (all by default).

    Raises:
        InvalidType: ``kinds`` is not a sequence of kinds.
        ValidationError: an unknown or empty choice of kinds (``$.kinds``).
    """
    choices = _enum_choices(kinds, "$.kinds", RecordKind)
    return st.builds(RecordRef, st.sampled_from(choices), _id_texts("rec"))


@functools.cache
def reminders() -> st.SearchStrategy[Reminder]:
    """:class:`~crmcore.activities.Reminder` values: common offsets and any in range."""
    common = st.sampled_from((5, 10, 15, 30, 60, 120, 1440, 10080))
    return st.builds(Reminder, common | st.integers(min_value=1, max_value=MAX_REMINDER_MINUTES))


@st.composite
def _rule_body(draw: st.DrawFn) -> str:
    """The parts of a rule before its end: a frequency, an interval and filters that match often."""
    freq = draw(st.sampled_from(("DAILY", "WEEKLY", "MONTHLY", "YEARLY")))
    parts = [f"FREQ={freq}"]
    interval = draw(st.integers(min_value=1, max_value=3))
    if interval > 1:
        parts.append(f"INTERVAL={interval}")
    days = st.lists(st.sampled_from(_WEEKDAYS), min_size=1, max_size=3, unique=True)
    if freq in ("DAILY", "WEEKLY") and draw(st.booleans()):
        parts.append("BYDAY=" + ",".join(draw(days)))
    elif freq == "MONTHLY":
        choice = draw(st.sampled_from(("none", "monthday", "nth")))
        if choice == "monthday":
            monthdays = st.integers(min_value=1, max_value=28) | st.just(-1)
            parts.append(f"BYMONTHDAY={draw(monthdays)}")
        elif choice == "nth":
            nth = draw(st.sampled_from(("1", "2", "-1")))
            parts.append(f"BYDAY={nth}{draw(st.sampled_from(_WEEKDAYS))}")
    elif freq == "YEARLY" and draw(st.booleans()):
        month = draw(st.integers(min_value=1, max_value=12))
        parts.append(f"BYMONTH={month};BYMONTHDAY={draw(st.integers(min_value=1, max_value=28))}")
    return ";".join(parts)


@functools.cache
def rrule_texts() -> st.SearchStrategy[str]:
    """RFC 5545 rule texts a :class:`~crmcore.activities.Recurrence` accepts with ``COUNT``.

    Daily to yearly rules with an interval of 1 to 3, filters on weekdays,
    days of the month and months that match at least monthly, and a
    ``COUNT`` of 1 to 12, so every series ends well within the bounds.
    """
    return st.builds(
        lambda body, count: f"{body};COUNT={count}",
        _rule_body(),
        st.integers(min_value=1, max_value=12),
    )


def recurrences(
    *,
    min_start: datetime | None = None,
    max_start: datetime | None = None,
    time_zones: Iterable[str] | None = None,
) -> st.SearchStrategy[Recurrence]:
    """Valid :class:`~crmcore.activities.Recurrence` values.

    Rules from :func:`rrule_texts`; about a third end with ``UNTIL`` (set at
    one of the occurrences the ``COUNT`` form gives, or just after it) rather
    than ``COUNT``; some exception dates, never all the occurrences.

    Args:
        min_start: the earliest series start (aware); 2000 by default.
        max_start: the latest series start (aware); 2099 by default.
        time_zones: the zone names to draw from; fixed offsets and a few IANA
            zones (those the system knows) by default.

    Raises:
        InvalidType: an argument of the wrong type.
        ValidationError: crossed bounds or an unknown zone.
    """
    zones = _zones() if time_zones is None else st.sampled_from(_zone_choices(time_zones))
    return _recurrences(_window(min_start, max_start, "start"), zones)


def _zone_choices(value: Iterable[str]) -> tuple[str, ...]:
    return _non_empty(tuple_of(value, "$.time_zones", zone_name), "$.time_zones")


@st.composite
def _recurrences(
    draw: st.DrawFn, starts: st.SearchStrategy[datetime], zones: st.SearchStrategy[str]
) -> Recurrence:
    start = draw(starts)
    zone = draw(zones)
    counted = Recurrence(draw(rrule_texts()), start, zone)
    rule = counted.rule
    occurrences = counted.occurrences()
    if len(occurrences) > 1 and draw(st.integers(min_value=0, max_value=2)) == 0:
        last = occurrences[draw(st.integers(min_value=0, max_value=len(occurrences) - 1))]
        until = last.astimezone(UTC) + timedelta(seconds=draw(st.sampled_from((0, 1, 60))))
        body = ";".join(part for part in rule.split(";") if not part.startswith("COUNT="))
        rule = f"{body};UNTIL={until.strftime('%Y%m%dT%H%M%SZ')}"
        occurrences = Recurrence(rule, start, zone).occurrences()
    excluded: list[datetime] = []
    if len(occurrences) > 1:
        excluded = draw(
            st.lists(st.sampled_from(occurrences), max_size=len(occurrences) - 1, unique=True)
        )
    return Recurrence(rule, start, zone, tuple(excluded))


# -- activities -----------------------------------------------------------------------------


@functools.cache
def _subjects() -> st.SearchStrategy[str]:
    return st.sampled_from(_SUBJECTS) | st.sampled_from(_GIVEN_NAMES) | _short_texts()


@functools.cache
def _outcomes() -> st.SearchStrategy[str | None]:
    return st.none() | st.sampled_from(_OUTCOMES) | _short_texts()


@functools.cache
def _durations() -> st.SearchStrategy[timedelta]:
    return st.integers(min_value=1, max_value=8 * 60).map(
        lambda minutes: timedelta(minutes=minutes)
    )


def activities(
    *,
    kinds: Iterable[ActivityKind | str] | None = None,
    customer_ids: Iterable[CustomerId] | None = None,
    staff_ids: Iterable[StaffId] | None = None,
    max_steps: int = 4,
    min_created_at: datetime | None = None,
    max_created_at: datetime | None = None,
    pending_events: bool = True,
) -> st.SearchStrategy[Activity]:
    """Valid :class:`~crmcore.activities.Activity` aggregates with a history built by their commands.

    Each is planned with :meth:`Activity.plan <crmcore.activities.Activity.plan>`
    (about a third repeating, by :func:`recurrences`; a duration only for
    calls and meetings; participants, a link, reminders) and then goes
    through up to ``max_steps`` commands at non-decreasing times: reschedule,
    reassign, participants, link, reminders, skip, complete, cancel and a
    customer re-pointed as by a merge (so some are done or cancelled, and
    some series are part-way through).

    Args:
        kinds: the kinds of activity (members or values); all by default.
        customer_ids: the contacts and linked customers; any id by default.
        staff_ids: the owners and staff taking part; any id by default.
        max_steps: the most commands after planning (0 to 100).
        min_created_at: the earliest planning time (aware); 2000 by default.
        max_created_at: the latest planning time (aware); 2099 by default.
        pending_events: ``False`` to draw activities as a repository stores them.

    Raises:
        InvalidType: an argument of the wrong type.
        ValidationError: a bound out of range, crossed bounds, an empty choice.
    """
    kind_choices = _enum_choices(kinds, "$.kinds", ActivityKind)
    customers = (
        customer_ids_strategy()
        if customer_ids is None
        else _customer_choices(customer_ids, "$.customer_ids")
    )
    staff = _id_pool(staff_ids, "$.staff_ids", StaffId)
    built = _activities(
        kinds=st.sampled_from(kind_choices),
        customers=customers,
        staff=staff,
        max_steps=_int_arg(max_steps, "$.max_steps", maximum=100),
        times=_window(min_created_at, max_created_at),
    )
    return _as_drawn(built, pending_events)


def _links(customers: st.SearchStrategy[CustomerId]) -> st.SearchStrategy[RecordRef | None]:
    return st.none() | customers.map(RecordRef.to) | record_refs()


@st.composite
def _activities(  # noqa: C901, PLR0912 - one branch per command, like the other strategies
    draw: st.DrawFn,
    *,
    kinds: st.SearchStrategy[ActivityKind],
    customers: st.SearchStrategy[CustomerId],
    staff: st.SearchStrategy[StaffId],
    max_steps: int,
    times: st.SearchStrategy[datetime],
) -> Activity:
    at = draw(times)
    kind = draw(kinds)
    zone = draw(_zones())
    due = at + timedelta(minutes=draw(st.integers(min_value=-7 * 1440, max_value=60 * 1440)))
    series: Recurrence | None = None
    if draw(st.integers(min_value=0, max_value=2)) == 0:
        series = draw(_recurrences(st.just(due), st.just(zone)))
        due = series.first
    timed = kind in TIMED_KINDS
    activity = Activity.plan(
        draw(activity_ids()),
        kind=kind,
        subject=draw(_subjects()),
        due_at=due,
        at=at,
        time_zone=zone,
        duration=draw(st.none() | _durations()) if timed else None,
        priority=draw(st.sampled_from(ActivityPriority)),
        owner_id=draw(st.none() | staff),
        team=draw(st.none() | _ids_of(TeamId)),
        staff=draw(st.lists(staff, max_size=3, unique=True)),
        contacts=draw(st.lists(customers, max_size=3, unique=True)),
        link=draw(_links(customers)),
        recurrence=series,
        reminders=draw(st.lists(reminders(), max_size=3, unique=True)),
    )
    for when in _command_times(draw, at, max_steps):
        step = draw(
            st.sampled_from(
                (
                    "reschedule",
                    "reassign",
                    "participants",
                    "link",
                    "reminders",
                    "skip",
                    "complete",
                    "cancel",
                    "repoint",
                )
            )
        )
        if not activity.is_planned and step in ("reschedule", "skip", "complete", "cancel"):
            continue
        if step == "reschedule":
            moved = activity.due_at + timedelta(
                minutes=draw(st.integers(min_value=-1440, max_value=14 * 1440))
            )
            try:
                if activity.recurrence is not None:
                    moved = activity.recurrence.starting_at(moved).first
                activity = activity.reschedule(moved, at=when)
            except ValidationError:  # a series moved so that its rule no longer fits
                continue
        elif step == "reassign":
            activity = activity.reassign(draw(st.none() | staff), at=when)
        elif step == "participants":
            activity = activity.change_participants(
                staff=draw(st.lists(staff, max_size=3, unique=True)),
                contacts=draw(st.lists(customers, max_size=3, unique=True)),
                at=when,
            )
        elif step == "link":
            activity = activity.link_to(draw(_links(customers)), at=when)
        elif step == "reminders":
            activity = activity.set_reminders(
                draw(st.lists(reminders(), max_size=3, unique=True)), at=when
            )
        elif step == "skip":
            upcoming = activity.upcoming()
            if len(upcoming) > 1:
                activity = activity.skip_occurrence(draw(st.sampled_from(upcoming)), at=when)
        elif step == "complete":
            back = timedelta(minutes=draw(st.integers(min_value=0, max_value=120)))
            activity = activity.complete(
                outcome=draw(_outcomes()),
                actual_at=when - back,
                duration=draw(st.none() | _durations()) if timed else None,
                at=when,
            )
        elif step == "cancel":
            activity = activity.cancel(reason=draw(st.none() | _reasons()), at=when)
        else:  # "repoint": a merge of a customer the activity names into another
            activity = _repointed(draw, activity, customers, when)
    return activity


def _repointed(
    draw: st.DrawFn, activity: Activity, customers: st.SearchStrategy[CustomerId], when: datetime
) -> Activity:
    """``activity`` after a merge of one customer it names, or as it was if it names none."""
    linked = None if activity.link is None else activity.link.customer_id
    named = sorted({*activity.contacts, *(() if linked is None else (linked,))})
    if not named:
        return activity
    previous = draw(st.sampled_from(named))
    survivor = draw(customers)  # only the customers asked for: ``customer_ids`` holds
    if survivor == previous:
        return activity
    return activity.repoint_customer(previous, survivor, at=when)


@functools.cache
def reminder_dues() -> st.SearchStrategy[ReminderDue]:
    """:class:`~crmcore.activities.ReminderDue` values: an occurrence, a reminder and its time."""
    return st.builds(
        lambda occurrence, reminder: ReminderDue(
            occurrence - reminder.offset, occurrence, reminder
        ),
        _window(None, None, "occurrence"),
        reminders(),
    )


def activity_completions(*, pending_events: bool = True) -> st.SearchStrategy[ActivityCompletion]:
    """:class:`~crmcore.activities.ActivityCompletion` values: an activity and maybe an interaction.

    The two are drawn independently (what :func:`~crmcore.activities.complete_activity_in`
    returns always holds a done or part-way activity and an interaction about it).

    Raises:
        InvalidType: ``pending_events`` is not a bool.
    """
    return st.builds(
        ActivityCompletion,
        activities(pending_events=pending_events),
        st.none() | interactions(pending_events=pending_events),
    )


@st.composite
def _completed_occurrence(draw: st.DrawFn) -> dict[str, Any]:
    """An occurrence and the series' next due time after it (or none: the activity is done)."""
    occurrence = draw(aware_datetimes())
    later = st.timedeltas(min_value=timedelta(minutes=1), max_value=timedelta(days=400))
    step = draw(st.none() | later)
    return {"occurrence": occurrence, "next_due_at": None if step is None else occurrence + step}


#: Event fields these strategies constrain beyond their declared type, by event class name.
#: The key ``"*"`` draws several fields together, consistent the way the aggregate makes them.
EVENT_FIELDS: Final[dict[str, dict[str, Callable[[], st.SearchStrategy[Any]]]]] = {
    "ActivityCompleted": {"*": _completed_occurrence},
    "ActivityCustomerRepointed": {
        "fields": lambda: st.sampled_from((("link",), ("contacts",), ("link", "contacts")))
    },
}

#: Strategies of the value types activity events carry.
EVENT_VALUES: Final[dict[type, Callable[[], st.SearchStrategy[Any]]]] = {
    RecordRef: record_refs,
}
