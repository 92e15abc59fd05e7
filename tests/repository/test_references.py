"""Tests for references between aggregates (`crmcore.repository._store`, `_memory`).

`AggregateSpec.references`, `verify_references`, `UnknownReference` and the
`check_references` option of the unit of work.
"""

import pickle
from datetime import UTC, datetime

import attrs
import pytest

import crmcore.errors
from crmcore import Customer, CustomerId, Identifier, Money, PersonName
from crmcore.commerce import Order, OrderId, OrderLine, ProductId
from crmcore.errors import InvalidType, RepositoryError, UnknownReference, ValidationError
from crmcore.repository import (
    CAMPAIGN_MEMBERS,
    CAMPAIGNS,
    CUSTOMERS,
    DEFAULT_SPECS,
    LEADS,
    ORDERS,
    QUOTES,
    RELATIONSHIPS,
    STAFF,
    TEAMS,
    AggregateSpec,
    InMemoryStore,
    InMemoryUnitOfWork,
    StoreUnitOfWork,
)
from crmcore.sales import Lead, LeadId

T0 = datetime(2026, 1, 5, 9, 0, tzinfo=UTC)


class NoteId(Identifier):
    __slots__ = ()


@attrs.frozen
class Note:
    """A host application's aggregate naming a customer, optionally."""

    id: NoteId
    customer_id: CustomerId | None
    version: int = 0
    pending_events: tuple = attrs.field(default=(), eq=False)


NOTES = AggregateSpec(
    name="host_notes",
    kind="note",
    aggregate_type=Note,
    id_type=NoteId,
    references={"customer_id": "customers"},
)


def customer(number):
    return Customer.register(CustomerId(f"c-{number}"), name=PersonName("Ana"), at=T0)


def order(number, customer_number):
    line = OrderLine(ProductId("sku-1"), 1, Money("10.00", "USD"), category="books")
    return Order.place(
        OrderId(f"o-{number}"), customer_id=CustomerId(f"c-{customer_number}"), lines=[line], at=T0
    )


# -- the specs -------------------------------------------------------------------------------


def test_every_aggregate_naming_a_customer_declares_the_reference():
    """Every default spec but customers, leads, staff, teams, activities and notes refers to customers by customer_id.

    Relationships name customers on both sides; teams name their manager, a staff member;
    campaigns their parent campaign.
    """
    referring = {spec.name for spec in DEFAULT_SPECS if spec.references} - {
        "relationships",
        "teams",
        "campaigns",
    }
    assert {
        "orders",
        "subscriptions",
        "interactions",
        "cases",
        "reviews",
        "surveys",
        "loyalty_accounts",
        "opportunities",
        "privacy_requests",
        "quotes",
        "campaign_members",
    } == referring
    assert all(
        s.references == (("customer_id", "customers"),)
        for s in DEFAULT_SPECS
        if s.name in referring - {"quotes", "campaign_members"}
    )
    assert (
        ("campaign_id", "campaigns"),
        ("customer_id", "customers"),
        ("lead_id", "leads"),
    ) == CAMPAIGN_MEMBERS.references
    assert (("parent_id", "campaigns"),) == CAMPAIGNS.references
    assert (
        ("customer_id", "customers"),
        ("opportunity_id", "opportunities"),
        ("price_book_id", "price_books"),
    ) == QUOTES.references
    assert () == CUSTOMERS.references == LEADS.references == STAFF.references
    assert (("party_id", "customers"), ("related_id", "customers")) == RELATIONSHIPS.references
    assert (("manager_id", "staff"),) == TEAMS.references


@pytest.mark.parametrize(
    ("references", "error", "code"),
    [
        ("customer_id", InvalidType, "type"),
        ({"customer_id": 3}, ValidationError, "references"),
        ({"Customer": "customers"}, ValidationError, "references"),
        ({"owner_id": "customers"}, ValidationError, "references"),
        ([("customer_id", "customers"), ("customer_id", "orders")], ValidationError, "duplicate"),
    ],
)
def test_a_spec_refuses_malformed_references(references, error, code):
    """References map existing fields to spec names, each field once."""
    with pytest.raises(error) as raised:
        AggregateSpec(
            name="notes", kind="note", aggregate_type=Note, id_type=NoteId, references=references
        )
    assert (code, "$.references") == (raised.value.code, raised.value.path)


def test_references_of_leaves_out_empty_fields_and_refuses_non_ids():
    """references_of gives (field, spec, id) for each field holding an id."""
    assert frozenset() == NOTES.references_of(Note(NoteId("n-1"), None))
    named = Note(NoteId("n-1"), CustomerId("c-1"))
    assert {("customer_id", "customers", CustomerId("c-1"))} == NOTES.references_of(named)
    with pytest.raises(InvalidType) as raised:
        NOTES.references_of(Note(NoteId("n-1"), "c-1"))
    assert "$.customer_id" == raised.value.path


def test_a_unit_checking_references_needs_the_specs_they_name():
    """A store keeping orders but not customers serves only units that do not check."""
    store = InMemoryStore(specs=[ORDERS])
    with pytest.raises(ValidationError) as raised:
        InMemoryUnitOfWork(store)
    assert "$.store.specs[0].references" == raised.value.path
    uow = InMemoryUnitOfWork(store, check_references=False)
    with uow:
        uow.orders.add(order(1, 1))
        uow.commit()


@pytest.mark.parametrize("junk", [None, 1, "no"])
def test_check_references_must_be_a_bool(junk):
    """check_references=1 or "no" is refused rather than read as true or false."""
    with pytest.raises(InvalidType) as raised:
        InMemoryUnitOfWork(check_references=junk)
    assert "$.check_references" == raised.value.path


def test_the_option_is_visible_on_the_unit():
    """check_references is True by default and reflects the argument."""
    assert InMemoryUnitOfWork().check_references
    assert not InMemoryUnitOfWork(check_references=False).check_references
    assert isinstance(InMemoryUnitOfWork(), StoreUnitOfWork)


# -- the checks ----------------------------------------------------------------------------


def test_a_host_application_spec_is_checked_the_same_way():
    """A registered spec with references gets the checks with no other change."""
    store = InMemoryStore(specs=[*DEFAULT_SPECS, NOTES])
    uow = InMemoryUnitOfWork(store)
    with uow:
        uow.repository(Note).add(Note(NoteId("n-1"), None))
        uow.repository(Note).add(Note(NoteId("n-2"), CustomerId("c-1")))
        with pytest.raises(UnknownReference) as raised:
            uow.commit()
    assert "note n-2 names customer c-1 in customer_id, but no such customer is stored" == str(
        raised.value
    )
    with uow:
        uow.customers.add(customer(1))
        uow.repository(Note).add(Note(NoteId("n-2"), CustomerId("c-1")))
        uow.commit()
    with uow:
        uow.customers.remove(CustomerId("c-1"))
        with pytest.raises(UnknownReference) as raised:
            uow.commit()
    assert "customer c-1 cannot be removed: note n-2 still names it in customer_id" == str(
        raised.value
    )


def test_a_refused_commit_applies_nothing_and_keeps_the_outbox():
    """Nothing of a unit refused for a reference is stored; its events never leave."""
    store = InMemoryStore()
    uow = InMemoryUnitOfWork(store)
    before = store._state
    with uow:
        uow.customers.add(customer(1))
        uow.orders.add(order(1, 2))
        with pytest.raises(UnknownReference):
            uow.commit()
    assert before is store._state
    assert [] == uow.collect_events()


def test_leads_may_name_a_customer_that_is_not_stored():
    """A lead's customer_id records a conversion; it is not a reference the unit checks."""
    lead = Lead.capture(LeadId("lead-1"), name=PersonName("Ana"), source="web", at=T0)
    converted = lead.qualify(at=T0).convert(CustomerId("c-9"), at=T0).lead
    uow = InMemoryUnitOfWork()
    with uow:
        uow.leads.add(converted)
        uow.commit()
    with uow:
        assert CustomerId("c-9") == uow.leads.get(LeadId("lead-1")).customer_id


def test_removing_a_customer_names_the_first_record_still_naming_it():
    """With an order and a case naming a customer, the refusal names one of them by id."""
    uow = InMemoryUnitOfWork()
    with uow:
        uow.customers.add(customer(1))
        uow.orders.add(order(2, 1))
        uow.orders.add(order(1, 1))
        uow.commit()
    with uow:
        uow.customers.remove(CustomerId("c-1"))
        uow.orders.remove(OrderId("o-2"))
        with pytest.raises(UnknownReference) as raised:
            uow.commit()
    assert (OrderId("o-1"), True) == (raised.value.aggregate_id, raised.value.removed)


# -- the error -------------------------------------------------------------------------------


def test_unknown_reference_is_a_repository_error_in_the_tree():
    """UnknownReference derives from RepositoryError (not the weakref ReferenceError) and is drawn."""
    assert issubclass(UnknownReference, RepositoryError)
    assert not issubclass(UnknownReference, ReferenceError)
    assert "UnknownReference" in crmcore.errors.__all__
    assert "UnknownReference" in crmcore.errors.__doc__


@pytest.mark.parametrize("removed", [False, True])
def test_unknown_reference_survives_pickling(removed):
    """Every field comes back from a pickle, and so does the message."""
    error = UnknownReference(
        "order",
        OrderId("o-1"),
        field="customer_id",
        target_kind="customer",
        target_id=CustomerId("c-1"),
        removed=removed,
    )
    copy = pickle.loads(pickle.dumps(error))  # noqa: S301 - our own bytes.
    assert str(error) == str(copy)
    fields = ("kind", "aggregate_id", "field", "target_kind", "target_id", "removed")
    assert [getattr(error, f) for f in fields] == [getattr(copy, f) for f in fields]
