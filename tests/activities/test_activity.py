"""Tests for `crmcore.activities._activity`: the Activity aggregate, its commands and queries."""

from datetime import UTC, datetime, timedelta, timezone
from zoneinfo import ZoneInfo

import pytest

from crmcore import InvalidType, ValidationError
from crmcore._kernel._ids import CaseId, CustomerId, LeadId, StaffId, TeamId
from crmcore.activities import (
    MAX_EXDATES,
    MAX_PARTICIPANTS,
    MAX_REMINDERS,
    Activity,
    ActivityCancelled,
    ActivityCompleted,
    ActivityId,
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
    RecordRef,
    Recurrence,
    Reminder,
    ReminderDue,
)
from crmcore.errors import TransitionNotAllowed

AT = datetime(2026, 3, 2, 8, 0, tzinfo=UTC)
DUE = datetime(2026, 3, 3, 8, 0, tzinfo=UTC)
HOUR = timedelta(hours=1)
DAY = timedelta(days=1)
SUBJECT = "Call Ibu Sari Wulandari about the renewal"


def _plan(**changes):
    arguments = {
        "kind": "call",
        "subject": SUBJECT,
        "due_at": DUE,
        "at": AT,
        "owner_id": StaffId("s-rina"),
    }
    arguments.update(changes)
    return Activity.plan(ActivityId("act-1"), **arguments)


def _series(rule="FREQ=DAILY;COUNT=3", **changes):
    return _plan(kind="meeting", recurrence=rule, **changes)


def _error(call, *args, **kwargs):
    with pytest.raises(ValidationError) as caught:
        call(*args, **kwargs)
    return caught.value.path, caught.value.code


# -- planning ---------------------------------------------------------------------------------


def test_plan_records_ids_and_codes_only():
    """ActivityPlanned carries kind, priority, due time, zone, owner, link and participants."""
    activity = _plan(
        link=LeadId("l-7"),
        staff=[StaffId("s-budi")],
        contacts=[CustomerId("c-1")],
        priority="high",
        team=TeamId("t-1"),
        time_zone="Asia/Jakarta",
    )
    (event,) = activity.pending_events
    assert isinstance(event, ActivityPlanned)
    assert (event.kind, event.priority, event.due_at, event.time_zone) == (
        ActivityKind.CALL,
        ActivityPriority.HIGH,
        DUE,
        "Asia/Jakarta",
    )
    assert (event.link, event.staff, event.contacts) == (
        RecordRef.to(LeadId("l-7")),
        (StaffId("s-budi"),),
        (CustomerId("c-1"),),
    )
    assert (event.recurring, event.occurrences) == (False, 1)
    assert event.event_id == "activity:act-1#1"


def test_the_subject_never_leaves_the_aggregate():
    """Neither the repr nor any event holds the subject."""
    activity = _plan().complete(outcome="Agreed, says Sari", at=DUE)
    assert "Sari" not in repr(activity)
    assert all("Sari" not in repr(event) for event in activity.pending_events)
    assert activity.subject == SUBJECT


def test_link_accepts_a_ref_or_a_typed_id():
    """A RecordRef, a record's id or None; anything else is InvalidType at $.link."""
    assert _plan(link=RecordRef.account(CustomerId("c-1"))).link == RecordRef("account", "c-1")
    assert _plan(link=CaseId("case-9")).link == RecordRef("case", "case-9")
    with pytest.raises(InvalidType) as caught:
        _plan(link=StaffId("s-1"))
    assert caught.value.path == "$.link"
    with pytest.raises(InvalidType):
        _plan(link="lead:l-1")


def test_only_calls_and_meetings_have_a_duration():
    """A duration on a task is refused (untimed_kind); calls keep theirs in seconds."""
    assert _plan(duration=timedelta(minutes=30)).duration == timedelta(minutes=30)
    assert _plan().duration is None
    assert _error(_plan, kind="task", duration=HOUR) == ("$.duration_seconds", "untimed_kind")
    assert _error(_plan, duration=timedelta(0)) == ("$.duration", "duration")
    assert _error(_plan, duration=timedelta(days=2)) == ("$.duration", "duration")
    assert _error(_plan, duration=timedelta(seconds=1.5)) == ("$.duration", "duration")
    with pytest.raises(InvalidType):
        _plan(duration=30)


def test_participants_are_bounded_and_unique():
    """Duplicates and lists over MAX_PARTICIPANTS are refused with their paths."""
    assert _error(_plan, staff=[StaffId("a"), StaffId("a")]) == ("$.staff[1]", "duplicate")
    assert _error(_plan, contacts=[CustomerId("c")] * 2) == ("$.contacts[1]", "duplicate")
    many = [StaffId(f"s-{n}") for n in range(MAX_PARTICIPANTS + 1)]
    assert _error(_plan, staff=many) == ("$.staff", "too_many")


def test_reminders_are_sorted_bounded_unique_and_before_the_due_time():
    """Reminders come earliest first; zero, after-due and duplicate reminders are refused."""
    activity = _plan(reminders=[timedelta(minutes=10), Reminder(60)])
    assert activity.reminders == (Reminder(60), Reminder(10))
    assert _error(_plan, reminders=[timedelta(0)]) == ("$.reminders[0]", "reminder")
    assert _error(_plan, reminders=[-HOUR]) == ("$.reminders[0]", "reminder")
    assert _error(_plan, reminders=[Reminder(5), Reminder(5)]) == ("$.reminders[1]", "duplicate")
    too_many = [Reminder(n) for n in range(1, MAX_REMINDERS + 2)]
    assert _error(_plan, reminders=too_many) == ("$.reminders", "too_many")
    with pytest.raises(InvalidType):
        _plan(reminders=[10])
    assert _error(Reminder.before, timedelta(seconds=90)) == ("$.minutes_before", "reminder")
    with pytest.raises(InvalidType):
        Reminder.before(5)
    with pytest.raises(InvalidType):
        Reminder(True)
    assert Reminder(90).offset == timedelta(minutes=90)


def test_bad_fields_are_refused_with_their_paths():
    """Kind, subject, zone, due time and ids are checked; the subject is not echoed."""
    assert _error(_plan, kind="visit") == ("$.kind", "choice")
    assert _error(_plan, subject="  ") == ("$.subject", "too_short")
    assert _error(_plan, time_zone="Mars/Olympus") == ("$.time_zone", "time_zone")
    assert _error(_plan, due_at=datetime(2026, 3, 3)) == ("$.due_at", "naive_datetime")  # noqa: DTZ001
    assert _error(_plan, priority="asap") == ("$.priority", "choice")
    with pytest.raises(InvalidType) as caught:
        _plan(owner_id="s-rina")
    assert caught.value.path == "$.owner_id"
    with pytest.raises(ValidationError) as caught:
        _plan(subject="Sari\x00")
    assert "Sari" not in str(caught.value)


# -- status changes ---------------------------------------------------------------------------


def test_complete_records_the_actual_time_outcome_and_duration():
    """Completing a single activity makes it done, with outcome, actual time and duration."""
    done = _plan().complete(
        outcome="Renewed", at=DUE + HOUR, actual_at=DUE, duration=timedelta(minutes=12)
    )
    assert (done.status, done.outcome, done.completed_at, done.duration) == (
        ActivityStatus.DONE,
        "Renewed",
        DUE,
        timedelta(minutes=12),
    )
    event = done.pending_events[-1]
    assert isinstance(event, ActivityCompleted)
    assert (event.occurrence, event.actual_at, event.next_due_at, event.duration_seconds) == (
        DUE,
        DUE,
        None,
        720,
    )
    assert not done.upcoming()
    assert not done.is_overdue_at(DUE + DAY)


def test_complete_refuses_a_future_actual_time_and_untimed_durations():
    """actual_at after the command's time is in_future; a task takes no duration."""
    assert _error(_plan().complete, at=DUE, actual_at=DUE + HOUR) == ("$.actual_at", "in_future")
    task = _plan(kind="task")
    assert _error(task.complete, at=DUE, duration=HOUR) == ("$.duration", "untimed_kind")


def test_done_and_cancelled_are_final():
    """Completing or cancelling twice is TransitionNotAllowed from the status machine."""
    done = _plan().complete(at=DUE)
    cancelled = _plan().cancel(reason="Customer travelling", at=DUE)
    for closed in (done, cancelled):
        with pytest.raises(TransitionNotAllowed) as caught:
            closed.complete(at=DUE + HOUR)
        assert caught.value.code == "transition"
        with pytest.raises(TransitionNotAllowed):
            closed.cancel(at=DUE + HOUR)
        with pytest.raises(TransitionNotAllowed):
            closed.reschedule(DUE + DAY, at=DUE + HOUR)


def test_cancel_keeps_the_reason_out_of_the_event():
    """ActivityCancelled names the occurrence due; the reason stays in the aggregate."""
    cancelled = _plan().cancel(reason="Pak Budi is ill", at=DUE)
    event = cancelled.pending_events[-1]
    assert isinstance(event, ActivityCancelled)
    assert event.occurrence == DUE
    assert (cancelled.cancel_reason, cancelled.cancelled_at) == ("Pak Budi is ill", DUE)
    assert "Budi" not in repr(event)
    assert cancelled.occurrences_between(AT, DUE + DAY) == ()


def test_times_never_go_backwards():
    """A command dated before the last change is refused with time_backwards."""
    assert _error(_plan().complete, at=AT - HOUR) == ("$.at", "time_backwards")


# -- the other commands -----------------------------------------------------------------------


def test_reschedule_moves_the_due_time_and_zone():
    """ActivityRescheduled carries both due times and the zone; the same again is a no-op."""
    activity = _plan()
    moved = activity.reschedule(DUE + DAY, at=AT, time_zone="+07:00")
    event = moved.pending_events[-1]
    assert isinstance(event, ActivityRescheduled)
    assert (event.due_at, event.previous_due_at, event.time_zone) == (DUE + DAY, DUE, "+07:00")
    assert moved.reschedule(DUE + DAY, at=AT) is moved
    assert activity.reschedule(DUE, at=AT) is activity


def test_reassign_goes_through_the_kernel_owner_assignment():
    """Owner and team change together; leaving the team out keeps it; the same is a no-op."""
    activity = _plan(team=TeamId("t-1"))
    moved = activity.reassign(StaffId("s-budi"), at=AT)
    event = moved.pending_events[-1]
    assert isinstance(event, ActivityReassigned)
    assert (event.owner_id, event.previous, event.team, event.previous_team) == (
        StaffId("s-budi"),
        StaffId("s-rina"),
        TeamId("t-1"),
        TeamId("t-1"),
    )
    assert moved.reassign(StaffId("s-budi"), at=AT) is moved
    assert moved.reassign(None, None, at=AT).team is None
    with pytest.raises(InvalidType):
        activity.reassign("s-budi", at=AT)


def test_change_participants_replaces_the_lists_given():
    """None keeps a list; the event carries both whole lists; the same lists are a no-op."""
    activity = _plan(staff=[StaffId("s-1")])
    changed = activity.change_participants(contacts=[CustomerId("c-9")], at=AT)
    event = changed.pending_events[-1]
    assert isinstance(event, ActivityParticipantsChanged)
    assert (event.staff, event.contacts) == ((StaffId("s-1"),), (CustomerId("c-9"),))
    assert changed.change_participants(staff=[StaffId("s-1")], at=AT) is changed
    with pytest.raises(ValidationError):
        activity.change_participants(staff=[StaffId("s-1")] * 2, at=AT)


def test_link_to_replaces_or_clears_the_link():
    """ActivityLinked carries the new and previous refs; the same link is a no-op."""
    linked = _plan().link_to(LeadId("l-1"), at=AT)
    event = linked.pending_events[-1]
    assert isinstance(event, ActivityLinked)
    assert (event.link, event.previous) == (RecordRef("lead", "l-1"), None)
    assert linked.link_to(RecordRef("lead", "l-1"), at=AT) is linked
    assert linked.link_to(None, at=AT).link is None


def test_set_reminders_records_the_minutes():
    """ActivityRemindersSet holds the minutes, earliest reminder first; the same is a no-op."""
    activity = _plan().set_reminders([timedelta(minutes=15), timedelta(days=1)], at=AT)
    event = activity.pending_events[-1]
    assert isinstance(event, ActivityRemindersSet)
    assert event.minutes_before == (1440, 15)
    assert activity.set_reminders([Reminder(15), Reminder(1440)], at=AT) is activity


# -- queries ----------------------------------------------------------------------------------


def test_overdue_and_due_windows_of_a_single_activity():
    """Overdue strictly after the due time; windows are half-open [start, end)."""
    activity = _plan()
    assert not activity.is_overdue_at(DUE)
    assert activity.is_overdue_at(DUE + timedelta(seconds=1))
    assert activity.is_due_between(DUE, DUE + HOUR)
    assert not activity.is_due_between(DUE - HOUR, DUE)
    assert activity.occurrences_between(DUE + HOUR, DUE) == ()
    with pytest.raises(ValidationError):
        activity.is_overdue_at(datetime(2026, 3, 3))  # noqa: DTZ001 - naive on purpose


def test_reminders_between_gives_the_occurrence_of_each_reminder():
    """Each reminder time falling in the window, with its occurrence, in time order."""
    activity = _series(reminders=[timedelta(minutes=10), HOUR])
    first, second, _ = activity.upcoming()
    window = activity.reminders_between(first - HOUR, second)
    assert window == (
        ReminderDue(first - HOUR, first, Reminder(60)),
        ReminderDue(first - timedelta(minutes=10), first, Reminder(10)),
        ReminderDue(second - HOUR, second, Reminder(60)),
        ReminderDue(second - timedelta(minutes=10), second, Reminder(10)),
    )
    assert _plan().reminders_between(AT, DUE + DAY) == ()
    assert activity.reminders_between(second, first) == ()


# -- series -----------------------------------------------------------------------------------


def test_completing_a_series_moves_to_the_next_occurrence_until_none_remain():
    """Each completion advances due_at; the last one makes the series done."""
    activity = _series()
    first, second, third = activity.upcoming()
    activity = activity.complete(outcome="ok", at=first)
    assert (activity.status, activity.due_at, activity.completed_occurrences) == (
        ActivityStatus.PLANNED,
        second,
        1,
    )
    assert activity.pending_events[-1].next_due_at == second
    activity = activity.complete(at=second, duration=HOUR).complete(at=third)
    assert (activity.status, activity.due_at, activity.completed_occurrences) == (
        ActivityStatus.DONE,
        third,
        3,
    )
    assert activity.duration is None  # a series keeps its planned duration


def test_a_series_due_time_must_be_an_occurrence():
    """Planning a series whose first occurrence is not the due time is refused."""
    assert _error(_series, "FREQ=WEEKLY;BYDAY=FR;COUNT=3") == ("$.due_at", "not_an_occurrence")
    other = Recurrence("FREQ=DAILY;COUNT=3", DUE, "+07:00")
    assert _error(_plan, recurrence=other) == ("$.recurrence.time_zone", "time_zone")
    assert _error(_series, "FREQ=DAILY") == ("$.recurrence.rule", "unbounded")


def test_exception_dates_go_with_a_rule_text():
    """Exdates with a rule text leave occurrences out; with a Recurrence they are refused."""
    activity = _series("FREQ=DAILY;COUNT=3", exdates=[DUE + DAY])
    assert activity.upcoming() == (DUE, DUE + 2 * DAY)
    series = Recurrence("FREQ=DAILY;COUNT=3", DUE)
    assert _error(_plan, recurrence=series, exdates=[DUE + DAY]) == ("$.exdates", "exdates")
    # No exception dates at all, as a list or a tuple, go with anything.
    for none in ([], ()):
        assert _plan(recurrence=series, exdates=none).recurrence == series
        assert _plan(exdates=none).recurrence is None


def test_a_series_may_start_part_way_through_a_recurrence():
    """Given a Recurrence, any of its occurrences may be the current one."""
    series = Recurrence("FREQ=DAILY;COUNT=3", DUE)
    activity = _plan(recurrence=series, due_at=series.occurrences()[1])
    assert activity.upcoming() == series.occurrences()[1:]
    assert activity.pending_events[0].occurrences == 3


def test_skip_occurrence_adds_an_exception_date():
    """Skipping the current occurrence moves due_at; a later one only leaves the series."""
    activity = _series("FREQ=DAILY;COUNT=4")
    first, second, third, fourth = activity.upcoming()
    skipped = activity.skip_occurrence(third, at=AT)
    assert skipped.upcoming() == (first, second, fourth)
    assert skipped.recurrence.exdates == (third,)
    skipped = skipped.skip_occurrence(first, at=AT)
    event = skipped.pending_events[-1]
    assert isinstance(event, ActivityOccurrenceSkipped)
    assert (event.occurrence, event.next_due_at, skipped.due_at) == (first, second, second)


def test_skip_occurrence_refusals():
    """Not a series, not a planned occurrence, or the last one: each has its code."""
    assert _error(_plan().skip_occurrence, DUE, at=AT) == ("$.recurrence", "not_recurring")
    activity = _series("FREQ=DAILY;COUNT=2")
    first, second = activity.upcoming()
    assert _error(activity.skip_occurrence, first + HOUR, at=AT) == (
        "$.occurrence",
        "not_an_occurrence",
    )
    after = activity.complete(at=first)
    assert _error(after.skip_occurrence, first, at=first) == ("$.occurrence", "not_an_occurrence")
    assert _error(after.skip_occurrence, second, at=first) == ("$.occurrence", "last_occurrence")
    with pytest.raises(TransitionNotAllowed):
        after.cancel(at=first).skip_occurrence(second, at=first)


def test_cancel_on_a_series_cancels_the_rest_and_keeps_the_completed():
    """Cancelling a series stops every remaining occurrence; completions stay counted."""
    activity = _series()
    first, second, _ = activity.upcoming()
    cancelled = activity.complete(at=first).cancel(at=first)
    assert cancelled.status is ActivityStatus.CANCELLED
    assert (cancelled.completed_occurrences, cancelled.pending_events[-1].occurrence) == (1, second)
    assert cancelled.occurrences_between(first, first + 10 * DAY) == ()


def test_reschedule_moves_a_whole_series():
    """A series rescheduled starts its rule again at the new time (COUNT from there)."""
    activity = _series("FREQ=DAILY;COUNT=3")
    moved = activity.reschedule(DUE + 5 * DAY, at=AT)
    assert moved.upcoming() == tuple(DUE + n * DAY for n in (5, 6, 7))
    weekly = _series("FREQ=WEEKLY;BYDAY=TU;COUNT=3")
    assert _error(weekly.reschedule, DUE + DAY, at=AT) == ("$.due_at", "not_an_occurrence")


def test_series_queries():
    """Occurrences in a window start at the current one; overdue reads the current one."""
    activity = _series("FREQ=DAILY;COUNT=5")
    first, second, third, *_ = activity.upcoming()
    later = activity.complete(at=first)
    assert later.occurrences_between(first - DAY, third) == (second,)
    assert later.occurrences_between(first - DAY, third + timedelta(seconds=1)) == (second, third)
    assert later.is_overdue_at(second + HOUR)
    assert later.is_recurring
    assert not _plan().is_recurring


# -- loading ----------------------------------------------------------------------------------


def _load(**changes):
    fields = {
        "id": ActivityId("act-2"),
        "kind": "task",
        "subject": "Send the contract",
        "due_at": DUE,
        "created_at": AT,
    }
    fields.update(changes)
    return Activity(**fields)


@pytest.mark.parametrize(
    ("changes", "path"),
    [
        ({"status": "done"}, "$.status"),
        ({"completed_occurrences": 1}, "$.status"),
        ({"status": "done", "completed_occurrences": 1}, "$.completed_at"),
        ({"outcome": "Sent"}, "$.outcome"),
        ({"status": "cancelled"}, "$.cancelled_at"),
        ({"cancel_reason": "no"}, "$.cancelled_at"),
        (
            {"completed_occurrences": 2, "status": "done", "completed_at": AT},
            "$.completed_occurrences",
        ),
        ({"completed_occurrences": -1}, "$.completed_occurrences"),
        ({"duration_seconds": 0, "kind": "call"}, "$.duration_seconds"),
        ({"completed_at": DUE}, "$.completed_at"),
    ],
)
def test_loaded_documents_are_checked(changes, path):
    """An activity built from inconsistent fields is refused at the field that breaks a rule."""
    with pytest.raises(ValidationError) as caught:
        _load(**changes)
    assert caught.value.path == path


def test_loaded_fields_of_the_wrong_type_are_refused():
    """Link, recurrence, counts and durations of the wrong type are InvalidType."""
    for changes in (
        {"link": "lead:l-1"},
        {"recurrence": "FREQ=DAILY;COUNT=2"},
        {"completed_occurrences": True},
        {"duration_seconds": "60", "kind": "call"},
        {"completed_at": "2026-03-03"},
        {"cancelled_at": "2026-03-03"},
    ):
        with pytest.raises(InvalidType):
            _load(**changes)
    assert _load(cancelled_at=AT, status="cancelled").cancelled_at == AT


def test_a_rescheduled_series_counts_its_completions_on():
    """Completions before a reschedule stay counted when the moved series is worked through."""
    activity = _series("FREQ=DAILY;COUNT=2")
    first, _ = activity.upcoming()
    activity = activity.complete(at=first).reschedule(first + 10 * DAY, at=first)
    for occurrence in activity.upcoming():
        activity = activity.complete(at=occurrence)
    assert (activity.status, activity.completed_occurrences) == (ActivityStatus.DONE, 3)


def test_due_times_are_kept_in_utc_and_read_in_the_zone():
    """due_at is UTC; local_due_at, the repr and the queries use the activity's zone."""
    activity = _plan(due_at=datetime(2026, 3, 3, 10, 0, tzinfo=ZoneInfo("Asia/Jakarta")))
    assert activity.due_at.tzinfo is UTC
    assert activity.due_at == DUE - 5 * HOUR
    activity = activity.reschedule(activity.due_at, at=AT, time_zone="Asia/Jakarta")
    assert activity.local_due_at.isoformat() == "2026-03-03T10:00:00+07:00"
    assert activity.upcoming() == (activity.local_due_at,)
    assert "2026-03-03T10:00:00+07:00" in repr(activity)


def test_reminders_are_elapsed_time_before_the_instant():
    """An hour's reminder before 03:30 on the day Berlin springs forward comes at 01:30 CET."""
    due = datetime(2026, 3, 29, 3, 30, tzinfo=ZoneInfo("Europe/Berlin"))
    activity = _plan(due_at=due, time_zone="Europe/Berlin", reminders=[HOUR])
    (reminder,) = activity.reminders_between(due - DAY, due)
    assert reminder.remind_at.astimezone(UTC) == due.astimezone(UTC) - HOUR
    assert (reminder.remind_at.hour, reminder.remind_at.minute) == (1, 30)
    assert (due - HOUR).hour == 2  # the wall clock would give 02:30, a time that never happens


def test_recurrence_errors_of_commands_are_reported_under_the_recurrence():
    """A rule refused while rescheduling or skipping is reported at $.recurrence.<field>."""
    activity = _series("FREQ=DAILY;UNTIL=20260310T000000Z")
    assert _error(activity.reschedule, DUE + 30 * DAY, at=AT) == (
        "$.recurrence.rule",
        "no_occurrences",
    )
    crowded = Recurrence(
        "FREQ=DAILY;COUNT=2",
        DUE,
        exdates=[DUE - n * timedelta(minutes=1) for n in range(1, MAX_EXDATES + 1)],
    )
    activity = _plan(kind="meeting", recurrence=crowded)
    assert _error(activity.skip_occurrence, DUE, at=AT) == ("$.recurrence.exdates", "too_many")


def test_times_at_the_ends_of_the_calendar():
    """Due times outside the years 2 to 9998 are refused (range); windows past the ends answer."""
    west = timezone(-5 * HOUR)
    assert _error(_plan, due_at=datetime(1, 1, 1, 12, 0, tzinfo=west)) == ("$.due_at", "range")
    assert _error(_plan, due_at=datetime(9999, 12, 31, 23, 0, tzinfo=west)) == ("$.due_at", "range")
    end_of_time = datetime.max.replace(tzinfo=west)
    dawn = datetime.min.replace(tzinfo=timezone(5 * HOUR))
    activity = _series("FREQ=DAILY;COUNT=3", reminders=[DAY], time_zone="-12:00")
    expected = tuple(ReminderDue(o - DAY, o, Reminder(1440)) for o in activity.upcoming())
    assert activity.reminders_between(dawn, end_of_time) == expected
    assert activity.occurrences_between(dawn, end_of_time) == activity.upcoming()
    assert _error(activity.skip_occurrence, end_of_time, at=AT) == ("$.occurrence", "range")


def test_the_time_zone_may_be_the_due_times_own_tzinfo():
    """Plan and reschedule take a named tzinfo (due_at.tzinfo) and keep its name.

    Regression: the annotations said ``str`` only, so a typed app planning from an
    automation intent could not pass ``intent.due_at.tzinfo`` without a cast.
    """
    jakarta = ZoneInfo("Asia/Jakarta")
    due = datetime(2026, 3, 3, 10, 0, tzinfo=jakarta)
    activity = _plan(due_at=due, time_zone=due.tzinfo)
    assert activity.time_zone == jakarta.key
    assert activity.local_due_at == due
    moved = activity.reschedule(DUE, time_zone=timezone(timedelta(hours=8)), at=AT)
    assert moved.time_zone == "+08:00"
    assert _error(_plan, time_zone=timezone(timedelta(seconds=30))) == ("$.time_zone", "time_zone")
