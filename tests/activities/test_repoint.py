"""Tests for `Activity.repoint_customer` (`crmcore.activities._activity`): a merge of customers."""

from datetime import UTC, datetime, timedelta

import attrs
import pytest
from hypothesis import assume, given
from hypothesis import strategies as st

from crmcore import CustomerId, DomainEvent, InvalidType, ValidationError
from crmcore.activities import Activity, ActivityCustomerRepointed, ActivityId, RecordRef
from crmcore.sales import LeadId
from crmcore.serialization import from_dict, to_dict
from crmcore.testing import strategies as crm

T0 = datetime(2026, 3, 2, 8, 0, tzinfo=UTC)
T1 = T0 + timedelta(hours=1)
GONE, KEPT, OTHER = CustomerId("c-gone"), CustomerId("c-kept"), CustomerId("c-other")


def planned(**options):
    return Activity.plan(
        ActivityId("act-1"),
        kind="meeting",
        subject="Quarterly review with Ibu Sari",
        due_at=T0 + timedelta(days=2),
        at=T0,
        **options,
    )


def test_a_link_to_the_customer_or_account_keeps_its_kind():
    """customer:c-gone becomes customer:c-kept; account:c-gone becomes account:c-kept."""
    for make in (RecordRef.to, RecordRef.account):
        moved = planned(link=make(GONE)).repoint_customer(GONE, KEPT, at=T1)
        assert moved.link == make(KEPT)
        assert moved.pending_events[-1].fields == ("link",)


def test_contacts_name_the_survivor_once_at_the_first_place():
    """The absorbed's place is taken by the survivor, unless the survivor takes part already."""
    moved = planned(contacts=[OTHER, GONE]).repoint_customer(GONE, KEPT, at=T1)
    assert moved.contacts == (OTHER, KEPT)
    moved = planned(contacts=[GONE, OTHER, KEPT]).repoint_customer(GONE, KEPT, at=T1)
    assert moved.contacts == (KEPT, OTHER)
    moved = planned(contacts=[KEPT, OTHER, GONE]).repoint_customer(GONE, KEPT, at=T1)
    assert moved.contacts == (KEPT, OTHER)
    assert moved.pending_events[-1].fields == ("contacts",)


def test_a_done_or_cancelled_activity_is_repointed_too():
    """The history of the merged customer moves with it, whatever the status."""
    done = planned(link=RecordRef.to(GONE)).complete(at=T1, outcome="Signed")
    cancelled = planned(contacts=[GONE]).cancel(at=T1)
    for activity in (done, cancelled):
        moved = activity.repoint_customer(GONE, KEPT, at=T1)
        assert (moved.status, moved.outcome) == (activity.status, activity.outcome)


@given(data=st.data())
def test_repointing_moves_every_name_and_records_ids_only(data):
    """Drawn activities: the link and contacts naming the absorbed name the survivor; one event."""
    activity = data.draw(crm.activities(customer_ids=[GONE, KEPT, OTHER]), label="activity")
    linked = activity.link is not None and activity.link.customer_id == GONE
    assume(linked or GONE in activity.contacts)
    at = data.draw(
        crm.aware_datetimes(
            min_value=activity.updated_at, max_value=activity.updated_at + timedelta(days=9)
        )
    )
    moved = activity.repoint_customer(GONE, KEPT, at=at, actor="staff-1")
    swapped = [KEPT if c == GONE else c for c in activity.contacts]
    assert list(moved.contacts) == [c for i, c in enumerate(swapped) if c not in swapped[:i]]
    expected_link = RecordRef(activity.link.kind, KEPT.value) if linked else activity.link
    assert moved.link == expected_link
    fields = tuple(
        name
        for name, changed in (("link", linked), ("contacts", GONE in activity.contacts))
        if changed
    )
    event = moved.pending_events[-1]
    assert isinstance(event, ActivityCustomerRepointed)
    assert (event.previous, event.customer_id, event.fields, event.actor) == (
        GONE,
        KEPT,
        fields,
        "staff-1",
    )
    assert moved.pending_events[:-1] == activity.pending_events
    assert (moved.sequence, moved.updated_at) == (activity.sequence + 1, at)
    unchanged = ("kind", "subject", "status", "due_at", "recurrence", "staff", "owner_id")
    assert all(getattr(moved, name) == getattr(activity, name) for name in unchanged)
    assert from_dict(Activity, to_dict(moved)) == moved
    # Ids only: the event has no field for the subject, the outcome or a reason.
    own = set(attrs.fields_dict(ActivityCustomerRepointed)) - set(attrs.fields_dict(DomainEvent))
    assert own == {"activity_id", "customer_id", "previous", "fields"}


@pytest.mark.parametrize(
    ("args", "at", "error", "expected"),
    [
        ((GONE, GONE), T1, ValidationError, ("$.customer_id", "same_customer")),
        ((KEPT, GONE), T1, ValidationError, ("$.previous", "not_named")),
        ((OTHER, KEPT), T1, ValidationError, ("$.previous", "not_named")),
        (("c-gone", KEPT), T1, InvalidType, ("$.previous", "type")),
        ((GONE, "c-kept"), T1, InvalidType, ("$.customer_id", "type")),
        ((GONE, KEPT), T0 - timedelta(seconds=1), ValidationError, ("$.at", "time_backwards")),
    ],
)
def test_refusals_name_the_rule_and_change_nothing(args, at, error, expected):
    """A lead with the absorbed's id text is not the customer; wrong types; time going backwards."""
    activity = planned(link=RecordRef.to(LeadId(GONE.value)), contacts=[GONE])
    activity = activity.link_to(RecordRef.to(LeadId(OTHER.value)), at=T0)
    before = to_dict(activity)
    with pytest.raises(error) as caught:
        activity.repoint_customer(*args, at=at)
    assert expected == (caught.value.path, caught.value.code)
    assert to_dict(activity) == before


class _OwnCustomerId(CustomerId):
    """A subclass of CustomerId, as a host application might derive one."""


@pytest.mark.parametrize("where", ["previous", "customer_id"])
def test_a_customer_id_subclass_is_refused_as_by_every_repointing_aggregate(where):
    """Activities check both ids as the kernel's repoint_customer does: a CustomerId exactly."""
    odd = _OwnCustomerId(GONE.value if where == "previous" else KEPT.value)
    previous, survivor = (odd, KEPT) if where == "previous" else (GONE, odd)
    activity = planned(link=RecordRef.to(GONE))
    with pytest.raises(InvalidType) as caught:
        activity.repoint_customer(previous, survivor, at=T1)
    assert caught.value.path == f"$.{where}"
