"""Tests for `crmcore.testing.strategies._activities`: the strategies of the activities capability."""

from datetime import UTC, datetime

import pytest
from hypothesis import find, given

from crmcore import InvalidType, ValidationError
from crmcore._kernel._ids import CustomerId, StaffId
from crmcore.activities import ActivityCustomerRepointed, ActivityKind, RecordKind
from crmcore.testing.strategies import _activities as strategies

PUBLIC = sorted(
    name
    for name, value in vars(strategies).items()
    if not name.startswith("_")
    and callable(value)
    and getattr(value, "__module__", None) == strategies.__name__
)
NAIVE = datetime(2026, 5, 4)  # noqa: DTZ001 - a naive datetime on purpose.


def test_the_module_has_a_strategy_for_every_value_type():
    """The public strategies cover the aggregate, its values and the rule texts."""
    expected = [
        "activities",
        "activity_completions",
        "activity_ids",
        "record_refs",
        "recurrences",
        "reminder_dues",
        "reminders",
        "rrule_texts",
    ]
    assert expected == PUBLIC


BAD_ARGUMENTS = [
    (strategies.activities, {"kinds": ["visit"]}, ValidationError, "$.kinds[0]"),
    (strategies.activities, {"kinds": []}, ValidationError, "$.kinds"),
    (strategies.activities, {"staff_ids": ["s-1"]}, InvalidType, "$.staff_ids[0]"),
    (strategies.activities, {"customer_ids": []}, ValidationError, "$.customer_ids"),
    (strategies.activities, {"max_steps": 101}, ValidationError, "$.max_steps"),
    (strategies.activities, {"min_created_at": NAIVE}, ValidationError, "$.min_created_at"),
    (strategies.activities, {"pending_events": 1}, InvalidType, "$.pending_events"),
    (strategies.activity_completions, {"pending_events": 1}, InvalidType, "$.pending_events"),
    (strategies.record_refs, {"kinds": ["invoice"]}, ValidationError, "$.kinds[0]"),
    (strategies.recurrences, {"time_zones": []}, ValidationError, "$.time_zones"),
    (strategies.recurrences, {"time_zones": ["Mars/Olympus"]}, ValidationError, "$.time_zones[0]"),
    (
        strategies.recurrences,
        {
            "min_start": datetime(2026, 2, 1, tzinfo=UTC),
            "max_start": datetime(2026, 1, 1, tzinfo=UTC),
        },
        ValidationError,
        "$.max_start",
    ),
]


@pytest.mark.parametrize(("factory", "kwargs", "error", "path"), BAD_ARGUMENTS)
def test_bad_arguments_are_refused_when_the_strategy_is_made(factory, kwargs, error, path):
    """Arguments are checked eagerly, with the argument's path."""
    with pytest.raises(error) as caught:
        factory(**kwargs)
    assert path == caught.value.path


@given(
    strategies.activities(
        kinds=["call"], staff_ids=[StaffId("s-1")], customer_ids=[CustomerId("c-1")]
    )
)
def test_options_constrain_what_is_drawn(activity):
    """Given kinds, staff and customers are the only ones drawn."""
    assert activity.kind is ActivityKind.CALL
    assert activity.owner_id in (None, StaffId("s-1"))
    assert set(activity.staff) <= {StaffId("s-1")}
    assert set(activity.contacts) <= {CustomerId("c-1")}


@given(strategies.record_refs(kinds=["lead"]))
def test_record_refs_of_one_kind(ref):
    """record_refs(kinds=...) draws only those kinds."""
    assert ref.kind is RecordKind.LEAD


@given(strategies.recurrences(time_zones=["Asia/Jakarta"]))
def test_recurrences_in_the_zones_given(recurrence):
    """recurrences(time_zones=...) draws only those zones."""
    assert recurrence.time_zone == "Asia/Jakarta"


@given(strategies.reminder_dues(), strategies.activity_completions(pending_events=False))
def test_results_are_drawn_consistent(due, completion):
    """A reminder falls its offset before its occurrence; stored completions carry no events."""
    assert due.occurrence - due.remind_at == due.reminder.offset
    assert completion.activity.pending_events == ()
    assert completion.interaction is None or completion.interaction.pending_events == ()


def test_histories_include_a_merge_of_a_customer_they_name():
    """Some drawn activities went through repoint_customer, to one of the customers given."""
    customers = [CustomerId("c-1"), CustomerId("c-2")]
    found = find(
        strategies.activities(customer_ids=customers, max_steps=8),
        lambda a: any(isinstance(e, ActivityCustomerRepointed) for e in a.pending_events),
    )
    moves = [e for e in found.pending_events if isinstance(e, ActivityCustomerRepointed)]
    assert all({e.previous, e.customer_id} == set(customers) for e in moves)
