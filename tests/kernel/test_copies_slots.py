"""Tests for the copy's store of derived values (`crmcore._kernel._copies`, `_derived.carried_slots`).

A builder's copy writes each slot of the new object itself: carried values
straight from the old object's slots, the others empty. That must leave the
new object holding exactly what ``start_keeping(new, <kept values carried>)``
would, also when the old object's store was never started (unpickled).
"""

import pickle
from datetime import UTC, datetime, timedelta

import attrs
import pytest
from hypothesis import given
from hypothesis import strategies as st

from crmcore import CustomerId, Money
from crmcore._kernel._aggregate import Command, _command_at
from crmcore._kernel._copies import builder_of
from crmcore._kernel._derived import EMPTY, Derivable, carried_slots, derived, kept, start_keeping
from crmcore.commerce import Order, OrderId, OrderLine, ProductId
from crmcore.errors import ValidationError
from crmcore.testing import strategies as crm

T0 = datetime(2026, 3, 1, 9, 0, tzinfo=UTC)
#: The derived values of an order a copy that keeps the lines carries.
CARRIED = frozenset(Order.derived_inputs)
DERIVED = sorted(Order._derived_)


def expected_store(old, carry):
    """What ``start_keeping`` gives a copy of ``old`` that carries ``carry``."""
    return {name: value for name, value in kept(old).items() if name in carry}


def same_store(new, wanted):
    """``new`` keeps exactly ``wanted``, the very same objects."""
    found = kept(new)
    assert found.keys() == wanted.keys()
    assert all(found[name] is wanted[name] for name in wanted)


@given(crm.orders(), st.sets(st.sampled_from(DERIVED)))
def test_a_copy_carries_what_start_keeping_would(order, read):
    """Whatever the old order computed, the copy holds its carried values and nothing else."""
    for name in sorted(read):
        getattr(order, name)
    builder = builder_of(Order, Order.derived_inputs)
    new = builder.copy(order, {"status": order.status})
    same_store(new, expected_store(order, CARRIED))
    assert new.total == order.total


@given(crm.orders(), st.sets(st.sampled_from(DERIVED)))
def test_a_copy_of_an_unpickled_order_carries_what_it_has(order, read):
    """An old order whose store was never started: only the values it computed are carried."""
    loaded = pickle.loads(pickle.dumps(order))  # noqa: S301 - own data.
    for name in sorted(read):
        getattr(loaded, name)
    builder = builder_of(Order, Order.derived_inputs)
    new = builder.copy(loaded, {"status": loaded.status})
    same_store(new, expected_store(loaded, CARRIED))
    assert (new.subtotal, new.total) == (order.subtotal, order.total)


@given(crm.orders())
def test_a_copy_that_changes_the_inputs_starts_empty(order):
    """New lines: no value derived from the lines is carried."""
    assert order.total == order.total  # computed and kept on the old order
    builder = builder_of(Order, Order.derived_inputs)
    new = builder.copy(order, {"lines": order.lines})
    assert {} == kept(new)
    assert new.total == order.total


@attrs.frozen(slots=True)
class Base(Derivable):
    """A class with one derived value, shadowed below."""

    size: int

    @derived
    def area(self) -> int:
        """The size squared."""
        return self.size * self.size

    @derived
    def double(self) -> int:
        """Twice the size."""
        return 2 * self.size


@attrs.frozen(slots=True)
class Shadow(Base):
    """Shadows ``area`` with another derived value of the same name."""

    @derived
    def area(self) -> int:
        """The size cubed."""
        return self.size**3


def slots_of(obj):
    return {slot: getattr(obj, slot, None) for _, slot in type(obj)._derived_slots_}


@pytest.mark.parametrize("carry", [(), ("area",), ("double",), ("area", "double")])
@pytest.mark.parametrize("read", [(), ("area",), ("double",), ("area", "double")])
def test_the_slot_plan_does_what_start_keeping_does(carry, read):
    """Shadowed values included: every slot ends up as start_keeping leaves it."""
    old = Shadow(3)
    start_keeping(old)
    for name in read:
        getattr(old, name)
    by_plan, by_start = Shadow(3), Shadow(3)
    for slot, source in carried_slots(Shadow, carry):
        object.__setattr__(by_plan, slot, EMPTY if source is None else getattr(old, source))
    start_keeping(by_start, expected_store(old, carry))
    assert slots_of(by_plan) == slots_of(by_start)
    assert (by_plan.area, by_plan.double) == (27, 6)


def test_a_class_without_derived_values_has_no_slots_to_plan():
    """Derivable itself: nothing to write."""
    assert () == carried_slots(Derivable, ("anything",))


def test_a_plain_command_is_the_command_its_init_builds():
    """The fast path for a command without envelope values builds the same Command."""
    made = _command_at(T0)
    assert type(made) is Command
    assert made == Command(T0)
    assert (T0, None, None, None) == attrs.astuple(made)
    with pytest.raises(attrs.exceptions.FrozenInstanceError):
        made.at = T0  # type: ignore[misc]


def test_a_recorded_change_of_an_event_field_checks_the_events_held():
    """Changing the customer an order's events name makes the held events be checked again."""
    order = Order.place(
        OrderId("o-1"),
        customer_id=CustomerId("c-1"),
        lines=[OrderLine(ProductId("a"), 1, Money("5.00", "USD"), category="x")],
        at=T0,
    )
    later = Command(T0 + timedelta(hours=1))
    with pytest.raises(ValidationError) as raised:
        order._record(later, customer_id=CustomerId("c-2"))
    assert ("foreign_event", "$.pending_events[0].customer_id") == (
        raised.value.code,
        raised.value.path,
    )
    assert order._record(later, customer_id=CustomerId("c-1")).customer_id == order.customer_id


@given(crm.orders())
def test_a_copy_taking_values_sets_them_as_they_are(order):
    """The taken fields hold the very values given; the others are copied or converted."""
    builder = builder_of(Order, Order.derived_inputs)
    at = order.updated_at + timedelta(days=1)
    events = order.pending_events[:0]
    new = builder.copy_taking(
        order,
        {"status": order.status},
        ("pending_events", "sequence", "updated_at"),
        (events, order.sequence, at),
    )
    assert new.pending_events is events
    assert new.updated_at is at
    assert new == attrs.evolve(order, updated_at=at)


def test_a_taken_field_must_be_no_change_and_a_field():
    """Taking a field the change also gives, or a field the class lacks, is a caller's error."""
    order = Order.place(
        OrderId("o-1"),
        customer_id=CustomerId("c-1"),
        lines=[OrderLine(ProductId("a"), 1, Money("5.00", "USD"), category="x")],
        at=T0,
    )
    builder = builder_of(Order, Order.derived_inputs)
    with pytest.raises(ValueError, match="taken fields"):
        builder.copy_taking(order, {"sequence": 1}, ("sequence",), (1,))
    with pytest.raises(ValueError, match="taken fields"):
        builder.copy_taking(order, {}, ("colour",), ("red",))
