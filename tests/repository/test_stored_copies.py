"""Tests for the copies a store keeps (`crmcore.repository._store.AggregateSpec.stored`).

crmcore's own aggregates are copied without running their checks again (only the new version is
checked); the copy must be exactly what ``attrs.evolve`` gives, derived values included. Other
aggregate classes still go through ``attrs.evolve``.
"""

import inspect
from datetime import UTC, datetime

import attrs
import pytest
from hypothesis import given
from hypothesis import strategies as st

from crmcore import ContactPoint, Customer, CustomerId, PersonName
from crmcore._kernel._aggregate import MAX_VERSION
from crmcore._kernel._events import DomainEvent
from crmcore.errors import ValidationError
from crmcore.repository import (
    ACTIVITIES,
    CAMPAIGN_MEMBERS,
    CAMPAIGNS,
    CASES,
    CUSTOMERS,
    DEFAULT_SPECS,
    INTERACTIONS,
    LEADS,
    LOYALTY_ACCOUNTS,
    NOTES,
    OPPORTUNITIES,
    ORDERS,
    PRICE_BOOKS,
    PRIVACY_REQUESTS,
    PRODUCTS,
    QUOTES,
    RELATIONSHIPS,
    REVIEWS,
    STAFF,
    SUBSCRIPTIONS,
    SURVEYS,
    TEAMS,
    AggregateSpec,
    InMemoryUnitOfWork,
)
from crmcore.serialization import to_dict
from crmcore.testing.strategies import (
    activities,
    campaign_members,
    campaigns,
    cases,
    customers,
    data_subject_requests,
    interactions,
    leads,
    loyalty_accounts,
    notes,
    opportunities,
    orders,
    price_books,
    products,
    quotes,
    relationships,
    reviews,
    staff_members,
    subscriptions,
    survey_responses,
    teams,
)

GENERATED = {
    CUSTOMERS: customers,
    ORDERS: orders,
    SUBSCRIPTIONS: subscriptions,
    INTERACTIONS: interactions,
    CASES: cases,
    REVIEWS: reviews,
    SURVEYS: survey_responses,
    LOYALTY_ACCOUNTS: loyalty_accounts,
    LEADS: leads,
    OPPORTUNITIES: opportunities,
    RELATIONSHIPS: relationships,
    STAFF: staff_members,
    TEAMS: teams,
    ACTIVITIES: activities,
    NOTES: notes,
    PRIVACY_REQUESTS: data_subject_requests,
    PRODUCTS: products,
    PRICE_BOOKS: price_books,
    QUOTES: quotes,
    CAMPAIGNS: campaigns,
    CAMPAIGN_MEMBERS: campaign_members,
}


def derived_names(cls):
    """The public values an aggregate class computes from its fields (properties and the like)."""
    fields = attrs.fields_dict(cls)
    found = []
    for name in dir(cls):
        if name.startswith("_") or name in fields:
            continue
        static = inspect.getattr_static(cls, name)
        if hasattr(static, "__get__") and not callable(static):
            found.append(name)
    return found


def value_of(aggregate, name):
    """``aggregate.name``, or the type of the error it raises."""
    try:
        return getattr(aggregate, name)
    except Exception as exc:  # noqa: BLE001 - compared, not hidden.
        return type(exc)


def test_every_default_spec_is_generated_here():
    """The test below covers every aggregate class crmcore stores."""
    assert set(DEFAULT_SPECS) == set(GENERATED)


@pytest.mark.parametrize("spec", DEFAULT_SPECS, ids=lambda spec: spec.name)
@given(data=st.data())
def test_a_stored_copy_is_what_evolve_gives(spec, data):
    """Same fields, same type, same document, no events, the same derived values."""
    aggregate = data.draw(GENERATED[spec]())
    version = data.draw(st.sampled_from([aggregate.version, aggregate.version + 1, 7]))
    names = derived_names(type(aggregate))
    if data.draw(st.booleans()):  # values the original computed and kept make no difference
        for name in names:
            value_of(aggregate, name)
    expected = attrs.evolve(aggregate, version=version, pending_events=())
    copy = spec.stored(aggregate, version)
    assert type(expected) is type(copy)
    assert expected == copy
    assert (version, ()) == (copy.version, copy.pending_events)
    assert to_dict(expected) == to_dict(copy)
    for name in names:
        assert value_of(expected, name) == value_of(copy, name), name
    if version == aggregate.version and not aggregate.pending_events:
        assert copy is aggregate


@pytest.mark.parametrize("spec", DEFAULT_SPECS, ids=lambda spec: spec.name)
@given(data=st.data())
def test_without_pending_events_is_what_evolve_gives_and_keeps_every_rule(spec, data):
    """The copy without events (its rules not run again) is the checked copy, and passes them all."""
    aggregate = data.draw(GENERATED[spec]())
    names = derived_names(type(aggregate))
    if data.draw(st.booleans()):  # values the original computed and kept make no difference
        for name in names:
            value_of(aggregate, name)
    expected = attrs.evolve(aggregate, pending_events=())
    copy = aggregate.without_pending_events()
    assert type(expected) is type(copy)
    assert expected == copy
    assert () == copy.pending_events
    assert (aggregate.version, aggregate.sequence) == (copy.version, copy.sequence)
    assert to_dict(expected) == to_dict(copy)
    for name in names:
        assert value_of(expected, name) == value_of(copy, name), name
    copy._check_state(0)  # every rule of a new aggregate, run on the copy: none breaks
    assert copy.without_pending_events() is copy  # nothing to drop: the same object


@pytest.mark.parametrize("spec", DEFAULT_SPECS, ids=lambda spec: spec.name)
def test_every_crmcore_aggregate_takes_the_fast_copy(spec):
    """The specs of crmcore's aggregates copy every class without checks (the bulk path)."""
    assert set(spec.aggregate_types) == set(spec._copies)


@given(customer=customers())
def test_a_version_beyond_the_bound_is_refused(customer):
    """The one check a stored copy runs: its version stays within what crmcore allows."""
    with pytest.raises(ValidationError) as raised:
        CUSTOMERS.stored(customer, MAX_VERSION + 1)
    assert "$.version" == raised.value.path
    assert MAX_VERSION == CUSTOMERS.stored(customer, MAX_VERSION).version


@attrs.frozen(slots=True)
class Note:
    """A host application's own aggregate, not built on crmcore's base."""

    id: CustomerId
    version: int = attrs.field(default=0, validator=attrs.validators.le(3))
    pending_events: tuple[DomainEvent, ...] = ()
    text: str = ""

    def __attrs_post_init__(self):
        if self.text == "checked at version 2" and self.version == 2:
            raise ValueError("a rule of the host application")


NOTES = AggregateSpec(name="notes", kind="note", aggregate_type=Note, id_type=CustomerId)


def test_other_aggregate_classes_are_copied_with_their_checks():
    """A class not built on crmcore's base is copied by attrs.evolve: all its checks run."""
    assert {} == NOTES._copies
    note = Note(CustomerId("n-1"), text="checked at version 2")
    assert 1 == NOTES.stored(note, 1).version
    with pytest.raises(ValueError, match="a rule of the host application"):
        NOTES.stored(note, 2)
    with pytest.raises(ValueError, match="3"):
        NOTES.stored(note, 4)


def test_a_unit_stores_the_copies():
    """What add and save return, and the store keeps, is the checked copy."""
    customer = Customer.register(
        CustomerId("c-1"),
        name=PersonName("Ana"),
        at=datetime(2026, 1, 5, 9, 0, tzinfo=UTC),
        contact_points=[ContactPoint("email", "ana@example.com")],
    )
    uow = InMemoryUnitOfWork()
    with uow:
        added = uow.customers.add(customer)
        saved = uow.customers.save(added)
        uow.commit()
    assert (0, ()) == (added.version, added.pending_events)
    assert attrs.evolve(customer, version=1, pending_events=()) == saved
    with uow:
        assert saved == uow.customers.get(customer.id)
