"""Tests for `crmcore._demo._commerce`: the demonstration's commerce section."""

from collections import Counter
from datetime import datetime

import pytest

from crmcore import InvalidType, ValidationError
from crmcore._demo._commerce import (
    demo_commerce,
    demo_interactions,
    demo_orders,
    demo_section,
    demo_subscriptions,
)
from crmcore._demo._report import REFERENCE_TIME, build_customers
from crmcore.commerce import FulfilmentStatus, OrderStatus, PaymentStatus, SubscriptionStatus

#: The demo builds a whole synthetic customer base: seconds per test.
pytestmark = pytest.mark.slow

SEED = 11


@pytest.fixture(scope="module")
def customers():
    return build_customers(60)


@pytest.fixture(scope="module")
def data(customers):
    return demo_commerce(customers, seed=SEED, at=REFERENCE_TIME)


def test_generation_is_deterministic(customers, data):
    """The same customers, seed and time give the same data and the same text."""
    assert data == demo_commerce(customers, seed=SEED, at=REFERENCE_TIME)
    assert demo_section(customers, seed=SEED, at=REFERENCE_TIME) == demo_section(
        customers, seed=SEED, at=REFERENCE_TIME
    )
    assert list(data.orders) == demo_orders(customers, seed=SEED, at=REFERENCE_TIME)
    assert data.orders != tuple(demo_orders(customers, seed=SEED + 1, at=REFERENCE_TIME))


def test_generated_facts_belong_to_the_customers_and_the_past(customers, data):
    """Every fact is about a known customer and happened by the reference time."""
    known = {c.id for c in customers}
    facts = [*data.orders, *data.subscriptions, *data.interactions]
    assert all(f.customer_id in known for f in facts)
    assert all(o.placed_at <= REFERENCE_TIME for o in data.orders)
    assert all(o.updated_at <= REFERENCE_TIME for o in data.orders)
    assert all(i.occurred_at <= REFERENCE_TIME for i in data.interactions)
    assert all(s.started_at <= REFERENCE_TIME for s in data.subscriptions)
    assert all(o.amount_refunded <= o.amount_paid for o in data.orders)


def test_the_data_is_varied(data):
    """Orders reach several statuses; subscriptions pay; every order carries its events."""
    statuses = Counter(o.status for o in data.orders)
    assert statuses[OrderStatus.OPEN] > 0
    assert statuses[OrderStatus.CANCELLED] > 0
    paying = Counter(o.payment_status for o in data.orders)
    sending = Counter(o.fulfilment_status for o in data.orders)
    assert len(paying) >= 3
    assert sending[FulfilmentStatus.DELIVERED] > 0
    # Cash on delivery: delivered orders paid in cash, and some whose cash is still to come.
    cod = [o for o in data.orders if o.shipments and any(p.method == "cash" for p in o.payments)]
    assert cod
    assert all(o.payments[-1].at >= o.shipments[-1].delivered_at for o in cod)
    assert any(o.is_fulfilled and o.payment_status is PaymentStatus.UNPAID for o in data.orders)
    assert any(s.payments for s in data.subscriptions)
    assert {s.status for s in data.subscriptions} <= set(SubscriptionStatus)
    assert all(o.pending_events[0].type == "OrderPlaced" for o in data.orders)
    assert len({i.kind for i in data.interactions}) >= 4


def test_events_never_go_backwards(data):
    """Every generated order and subscription recorded its events in time order, in sequence."""
    for aggregate in (*data.orders, *data.subscriptions):
        events = aggregate.pending_events
        assert [e.occurred_at for e in events] == sorted(e.occurred_at for e in events)
        assert list(range(1, len(events) + 1)) == [e.sequence for e in events]
        assert aggregate.updated_at == max([aggregate.created_at, *(e.occurred_at for e in events)])


@pytest.mark.parametrize("seed", [5, 10, 15, 17])
def test_any_seed_generates_valid_histories(customers, seed):
    """Weekly fees with late retries never produce a command dated before the last change."""
    subscriptions = demo_subscriptions(customers, seed=seed, at=REFERENCE_TIME)
    assert all(s.updated_at <= max(REFERENCE_TIME, s.created_at) for s in subscriptions)


def test_section_counts_agree_with_the_data(customers, data):
    """The section's headline numbers are those of the generated data."""
    text = demo_section(customers, seed=SEED, at=REFERENCE_TIME)
    buyers = len({o.customer_id for o in data.orders})
    assert text.startswith(f"{len(data.orders)} orders from {buyers} customers")
    assert f"{len(data.subscriptions)} subscriptions" in text
    assert f"{len(data.interactions)} interactions" in text
    assert "timeline of customer" in text


def test_section_shows_no_personal_data(customers):
    """Names, email addresses and phone numbers never appear in the section."""
    text = demo_section(customers, seed=SEED, at=REFERENCE_TIME)
    for customer in customers:
        assert customer.name.full not in text
        for point in customer.contact_points:
            assert point.value not in text
    assert "@" not in text


def test_functions_share_one_seed_per_stream(customers):
    """Subscriptions and interactions are reproducible on their own."""
    assert demo_subscriptions(customers, seed=3, at=REFERENCE_TIME) == demo_subscriptions(
        customers, seed=3, at=REFERENCE_TIME
    )
    assert demo_interactions(customers, seed=3, at=REFERENCE_TIME) == demo_interactions(
        customers, seed=3, at=REFERENCE_TIME
    )


def test_arguments_are_checked(customers):
    """A naive time, a float seed or a non-sequence are refused."""
    with pytest.raises(ValidationError):
        demo_orders(customers, seed=1, at=datetime(2026, 1, 1))  # noqa: DTZ001 - under test.
    with pytest.raises(InvalidType):
        demo_orders(customers, seed=1.5, at=REFERENCE_TIME)
    with pytest.raises(InvalidType):
        demo_orders(iter(customers), seed=1, at=REFERENCE_TIME)


@pytest.mark.parametrize("make", [demo_orders, demo_subscriptions, demo_interactions])
def test_arguments_are_checked_in_order(customers, make):
    """The seed first, then the customers and the time: the error's path names the first."""
    naive = datetime(2026, 1, 1)  # noqa: DTZ001 - under test.
    for people, seed, path in [
        (iter(customers), 1.5, "$.seed"),
        (iter(customers), 1, "$.customers"),
        (customers, 1, "$.at"),
    ]:
        with pytest.raises(ValidationError) as info:
            make(people, seed=seed, at=naive)
        assert path == info.value.path
