"""Property tests of activities, drawn from the shipped strategies."""

from datetime import timedelta

import attrs
from hypothesis import given
from hypothesis import strategies as st

from crmcore.activities import (
    MAX_OCCURRENCES,
    Activity,
    ActivityEvent,
    ActivityStatus,
    RecordRef,
    Reminder,
)
from crmcore.serialization import from_dict, to_dict
from crmcore.testing.strategies._activities import activities, record_refs, reminders

SECRET = "Rahasia Ibu Sari 0812-555"  # noqa: S105 - personal text, not a password


def _strings(value):
    if isinstance(value, str):
        yield value
    elif isinstance(value, dict):
        for item in value.values():
            yield from _strings(item)
    elif isinstance(value, list):
        for item in value:
            yield from _strings(item)


@given(activities())
def test_a_recurring_activity_never_yields_more_than_its_bound(activity):
    """Upcoming occurrences and any window hold at most the recurrence's occurrences."""
    upcoming = activity.upcoming()
    limit = 1 if activity.recurrence is None else len(activity.recurrence)
    assert len(upcoming) <= min(limit, MAX_OCCURRENCES)
    everything = activity.occurrences_between(
        activity.due_at - timedelta(days=1), activity.due_at + timedelta(days=366 * 60)
    )
    assert everything == upcoming


@given(activities(), st.data())
def test_completing_advances_due_at_monotonically(activity, data):
    """Each completion moves due_at strictly later until the activity is done."""
    at = max(activity.updated_at, activity.due_at)
    seen = 0
    while activity.is_planned:
        before = activity.due_at
        remaining = len(activity.upcoming())
        at += timedelta(minutes=data.draw(st.integers(min_value=0, max_value=60 * 24 * 10)))
        activity = activity.complete(at=at)
        seen += 1
        assert seen <= MAX_OCCURRENCES
        if activity.is_planned:
            assert activity.due_at > before
            assert len(activity.upcoming()) == remaining - 1
        else:
            assert remaining == 1
            assert activity.due_at == before
    assert activity.status in (ActivityStatus.DONE, ActivityStatus.CANCELLED)


@given(activities())
def test_overdue_and_due_agree_with_the_upcoming_occurrences(activity):
    """Overdue means planned and due before; a window holds exactly the upcoming it covers."""
    if not activity.upcoming():
        assert not activity.is_overdue_at(activity.due_at + timedelta(days=1))
        return
    first = activity.upcoming()[0]
    assert activity.is_overdue_at(first + timedelta(seconds=1))
    assert not activity.is_overdue_at(first)
    assert activity.is_due_between(first, first + timedelta(seconds=1))


@given(activities())
def test_no_personal_text_in_repr_or_events(activity):
    """The subject, outcome and reason appear in no repr and in no event."""
    marked = attrs.evolve(
        activity,
        subject=SECRET,
        outcome=SECRET if activity.completed_at is not None else None,
        cancel_reason=SECRET if activity.status is ActivityStatus.CANCELLED else None,
    )
    assert SECRET not in repr(marked)
    texts = {activity.subject, activity.outcome, activity.cancel_reason} - {None}
    for event in activity.pending_events:
        assert isinstance(event, ActivityEvent)
        names = {field.name for field in attrs.fields(type(event))}
        assert names.isdisjoint({"subject", "outcome", "cancel_reason", "reason"})
        assert texts.isdisjoint(set(_strings(to_dict(event))) - {"activity", activity.id.value})


@given(activities())
def test_to_dict_from_dict_round_trip(activity):
    """An activity and its events come back equal from their documents."""
    document = to_dict(activity)
    back = from_dict(Activity, document)
    assert back == activity
    assert back.upcoming() == activity.upcoming()
    assert back.pending_events == activity.pending_events


@given(activities(pending_events=False))
def test_stored_activities_hold_no_events(activity):
    """pending_events=False draws activities as a repository stores them."""
    assert activity.pending_events == ()
    assert activity.sequence >= 1


@given(record_refs(), reminders())
def test_values_round_trip(ref, reminder):
    """Record references parse back from their text; reminders from their offset."""
    assert RecordRef.parse(str(ref)) == ref
    assert Reminder.before(reminder.offset) == reminder
    assert from_dict(Reminder, to_dict(reminder)) == reminder
