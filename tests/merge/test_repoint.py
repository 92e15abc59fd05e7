"""Tests for the ``repoint_customer`` command of every aggregate naming a customer (`crmcore._kernel._repoint`)."""

from datetime import timedelta

import pytest
from hypothesis import assume, given
from hypothesis import strategies as st

from crmcore import CustomerId, InvalidType, ValidationError
from crmcore.commerce import OrderCustomerRepointed
from crmcore.errors import CrmcoreError
from crmcore.parties import Relationship, RelationshipId
from crmcore.serialization import from_dict, to_dict
from crmcore.testing import strategies as crm

from ._world import GONE, KEPT, LATER, OTHER, records_of

#: Each aggregate kind: its strategy drawing records that name GONE, and its event's name.
KINDS = {
    "orders": (lambda: crm.orders(customer_ids=[GONE]), "OrderCustomerRepointed"),
    "subscriptions": (
        lambda: crm.subscriptions(customer_ids=[GONE]),
        "SubscriptionCustomerRepointed",
    ),
    "interactions": (
        lambda: crm.interactions(customer_ids=[GONE]),
        "InteractionCustomerRepointed",
    ),
    "cases": (lambda: crm.cases(customer_ids=[GONE]), "CaseCustomerRepointed"),
    "reviews": (lambda: crm.reviews(customer_ids=[GONE]), "ReviewCustomerRepointed"),
    "surveys": (lambda: crm.survey_responses(customer_ids=[GONE]), "SurveyCustomerRepointed"),
    "loyalty_accounts": (
        lambda: crm.loyalty_accounts(customer_ids=[GONE]),
        "LoyaltyCustomerRepointed",
    ),
    "leads": (lambda: crm.leads(customer_ids=[GONE]), "LeadCustomerRepointed"),
    "opportunities": (
        lambda: crm.opportunities(customer_ids=[GONE]),
        "OpportunityCustomerRepointed",
    ),
    "relationships": (
        lambda: crm.relationships(party_ids=[GONE, OTHER]),
        "RelationshipCustomerRepointed",
    ),
}
#: The fields of each kind that may name a customer.
FIELDS = {
    "leads": ("customer_id", "referred_by"),
    "relationships": ("party_id", "related_id"),
}


def named(kind, record, customer_id):
    return tuple(f for f in FIELDS.get(kind, ("customer_id",)) if getattr(record, f) == customer_id)


@pytest.mark.parametrize("kind", list(KINDS))
@given(data=st.data())
def test_repointing_names_the_survivor_and_records_one_event(kind, data):
    """The fields naming the absorbed name the survivor; one event with ids only; it round-trips."""
    strategy, event_name = KINDS[kind]
    record = data.draw(strategy(), label="record")
    fields = named(kind, record, GONE)
    assume(fields)
    assume(KEPT not in (getattr(record, f) for f in FIELDS.get(kind, ("customer_id",))))
    at = data.draw(
        crm.aware_datetimes(
            min_value=record.updated_at, max_value=record.updated_at + timedelta(days=9)
        )
    )
    moved = record.repoint_customer(GONE, KEPT, at=at, actor="staff-1")
    assert all(getattr(moved, f) == KEPT for f in fields)
    assert (moved.sequence, moved.updated_at, moved.version) == (
        record.sequence + 1,
        at,
        record.version,
    )
    assert moved.pending_events[:-1] == record.pending_events
    event = moved.pending_events[-1]
    assert (event.type, event.previous, event.customer_id, event.fields) == (
        event_name,
        GONE,
        KEPT,
        fields,
    )
    assert (event.actor, event.occurred_at, event.aggregate_id) == ("staff-1", at, record.id.value)
    # A stored document holding the history on both sides of the move loads as it is.
    assert from_dict(type(moved), to_dict(moved)) == moved
    # And the record moves on: a second merge re-points it again.
    again = moved.repoint_customer(
        KEPT, OTHER if kind != "relationships" else CustomerId("c-3"), at=at
    )
    assert again.pending_events[:-1] == moved.pending_events


@pytest.mark.parametrize("kind", list(KINDS))
def test_refusals_name_the_rule_and_change_nothing(kind):
    """Same customer, a customer the record does not name, wrong types, time going backwards."""
    record = records_of(GONE)[kind]
    before = to_dict(record)
    cases = [
        ((GONE, GONE), {"at": LATER}, ValidationError, "$.customer_id", "same_customer"),
        ((KEPT, GONE), {"at": LATER}, ValidationError, "$.previous", "not_named"),
        (("c-gone", KEPT), {"at": LATER}, InvalidType, "$.previous", "type"),
        ((GONE, "c-kept"), {"at": LATER}, InvalidType, "$.customer_id", "type"),
        (
            (GONE, KEPT),
            {"at": record.updated_at - timedelta(seconds=1)},
            ValidationError,
            "$.at",
            "time_backwards",
        ),
        ((GONE, KEPT), {"at": LATER.replace(tzinfo=None)}, ValidationError, "$.at", None),
        ((GONE, KEPT), {"at": LATER, "who": "x"}, InvalidType, "$", "unknown_keyword"),
    ]
    for args, keywords, error, path, code in cases:
        with pytest.raises(error) as info:
            record.repoint_customer(*args, **keywords)
        assert info.value.path == path
        if code is not None:
            assert info.value.code == code
    assert to_dict(record) == before


def test_a_relationship_moves_the_side_that_names_the_absorbed():
    """Either side; a relationship with the survivor itself is refused (a party with itself)."""
    kept_side = Relationship.establish(
        RelationshipId("h-2"), kind="household_member", party_id=OTHER, related_id=GONE, at=LATER
    )
    moved = kept_side.repoint_customer(GONE, KEPT, at=LATER)
    assert (moved.party_id, moved.related_id, moved.pending_events[-1].fields) == (
        OTHER,
        KEPT,
        ("related_id",),
    )
    with pytest.raises(ValidationError):
        kept_side.repoint_customer(GONE, OTHER, at=LATER)


def test_events_before_the_move_must_name_the_previous_customer():
    """A document whose history disagrees with the move is refused (foreign_event)."""
    order = records_of(GONE)["orders"].repoint_customer(GONE, KEPT, at=LATER)
    data = to_dict(order)
    assert [e["customer_id"] for e in data["pending_events"]] == ["c-gone"] * 3 + ["c-kept"]
    data["pending_events"][0]["customer_id"] = "c-kept"
    with pytest.raises(ValidationError) as info:
        from_dict(type(order), data)
    assert (info.value.code, info.value.path) == (
        "foreign_event",
        "$.pending_events[0].customer_id",
    )
    data = to_dict(order)
    data["pending_events"][-1]["previous"] = "c-other"
    with pytest.raises(CrmcoreError):
        from_dict(type(order), data)


def test_commands_after_the_move_carry_the_survivor():
    order = records_of(GONE)["orders"].repoint_customer(GONE, KEPT, at=LATER).fulfil(at=LATER)
    # Fulfilling records OrderShipped, OrderDelivered and OrderFulfilled after the move.
    assert [e.customer_id for e in order.pending_events] == [GONE] * 3 + [KEPT] * 4
    assert isinstance(order.pending_events[-4], OrderCustomerRepointed)
