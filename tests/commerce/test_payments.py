"""Tests for payments and payment history (`crmcore.commerce._payments` and subscriptions)."""

import json
from datetime import UTC, date, datetime, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from crmcore import InvalidType, Money, ValidationError
from crmcore.commerce import (
    Order,
    OrderId,
    OrderLine,
    Payment,
    PaymentDue,
    PaymentDueStatus,
    PaymentId,
    PaymentMethod,
    PaymentOutcome,
    Period,
    Plan,
    PlanId,
    ProductId,
    Subscription,
    SubscriptionId,
    first_subscription_date,
)
from crmcore.customers import CustomerId
from crmcore.serialization import from_dict, to_dict

T0 = datetime(2026, 1, 31, 12, 0, tzinfo=UTC)
FEE = Money("9.99", "EUR")
CID = CustomerId("c-1")
PLAN = Plan(
    id=PlanId("basic"),
    name="Basic",
    price=FEE,
    period=Period.months(1),
    product_type="streaming",
)


def day(month, dd, year=2026, hour=12):
    return datetime(year, month, dd, hour, 0, tzinfo=UTC)


def subscribe(sid="s-1", at=T0, customer=CID, plan=PLAN):
    return Subscription.start(
        SubscriptionId(sid), customer_id=customer, plan=plan, at=at, grace_days=3
    )


def roundtrip(obj):
    return from_dict(type(obj), json.loads(json.dumps(to_dict(obj))))


def history_fixture():
    """Jan paid on time, Feb failed then paid late, Mar failed, Apr unpaid, May paid ahead."""
    sub = subscribe()
    sub = sub.record_payment(PaymentId("p-jan"), FEE, at=day(1, 31))
    sub = sub.record_failed_payment(PaymentId("f-feb"), FEE, at=day(2, 28), reason="declined")
    sub = sub.record_payment(PaymentId("p-feb"), FEE, at=day(3, 5))
    sub = sub.record_failed_payment(PaymentId("f-mar-1"), FEE, at=day(3, 31))
    sub = sub.record_failed_payment(PaymentId("f-mar-2"), FEE, at=day(4, 2))
    return sub.record_payment(PaymentId("p-may"), FEE, at=day(5, 4), due_at=day(5, 31))


# -- the Payment value -----------------------------------------------------------------------


def test_payment_defaults_to_a_success():
    """A payment went through unless told otherwise."""
    payment = Payment(id=PaymentId("p-1"), amount=FEE, at=T0, method="card")
    assert PaymentOutcome.SUCCEEDED is payment.outcome
    assert PaymentMethod.CARD is payment.method
    assert payment.succeeded
    assert payment.due_at is None


@pytest.mark.parametrize(
    ("options", "path"),
    [
        ({"amount": Money("0", "EUR")}, "$.amount"),
        ({"amount": 9.99}, "$.amount"),
        ({"at": datetime(2026, 1, 1)}, "$.at"),  # noqa: DTZ001 - the naive value under test.
        ({"method": "cheque"}, "$.method"),
        ({"failure_reason": "declined"}, "$.failure_reason"),
        ({"id": "p-1"}, "$.id"),
    ],
)
def test_payment_fields_are_checked(options, path):
    """Positive Money, an aware time, a known method; a reason only for a failure."""
    fields = {"id": PaymentId("p-1"), "amount": FEE, "at": T0, **options}
    with pytest.raises(ValidationError) as info:
        Payment(**fields)
    assert path == info.value.path


@pytest.mark.parametrize("reason", ["Card declined", "card-declined", "x" * 65, ""])
def test_failure_reason_is_a_snake_case_code(reason):
    """A failure reason is a code of at most 64 characters, never free text."""
    with pytest.raises(ValidationError) as info:
        Payment(id=PaymentId("p-1"), amount=FEE, at=T0, outcome="failed", failure_reason=reason)
    assert ("$.failure_reason", "name") == (info.value.path, info.value.code)


def test_payment_round_trips():
    """A failed attempt with its reason and due date survives JSON."""
    payment = Payment(
        id=PaymentId("p-1"),
        amount=FEE,
        at=T0,
        outcome="failed",
        method="direct_debit",
        due_at=T0,
        failure_reason="insufficient_funds",
    )
    assert payment == roundtrip(payment)


# -- payment history of a subscription ---------------------------------------------------------


def test_payment_history_status_per_due_date():
    """On 5 May: paid, late, failed (2 attempts), overdue, and May paid ahead."""
    history = history_fixture().payment_history(at=day(5, 5))
    assert [
        (day(1, 31), PaymentDueStatus.PAID, day(1, 31), 0),
        (day(2, 28), PaymentDueStatus.LATE, day(3, 5), 1),
        (day(3, 31), PaymentDueStatus.FAILED, None, 2),
        (day(4, 30), PaymentDueStatus.OVERDUE, None, 0),
        (day(5, 31), PaymentDueStatus.PAID, day(5, 4), 0),
    ] == [(d.due_at, d.status, d.paid_at, d.failed_attempts) for d in history]
    assert [0, 1, 2, 3, 4] == [d.number for d in history]
    assert day(3, 3) == history[1].grace_ends_at
    assert PaymentId("p-feb") == history[1].payment_id
    assert all(FEE == d.amount for d in history)


def test_payment_history_replays_an_earlier_time():
    """As of 1 March the February fee has one failed attempt and no payment yet."""
    history = history_fixture().payment_history(at=day(3, 1))
    assert [PaymentDueStatus.PAID, PaymentDueStatus.FAILED] == [d.status for d in history]


def test_due_within_grace_and_upcoming():
    """A fee just due is 'due' during the grace days; a later prepaid one is listed."""
    sub = subscribe()
    assert [PaymentDueStatus.DUE] == [d.status for d in sub.payment_history(at=day(2, 2))]
    assert [PaymentDueStatus.OVERDUE] == [d.status for d in sub.payment_history(at=day(2, 4))]


def test_outstanding_and_overdue():
    """On 5 May the March and April fees are unpaid: 19.98 EUR, and the account is overdue."""
    sub = history_fixture()
    assert Money("19.98", "EUR") == sub.outstanding(at=day(5, 5))
    assert sub.is_overdue(at=day(5, 5))
    assert not sub.is_overdue(at=day(2, 2))
    assert Money("29.97", "EUR") == sub.amount_paid


def test_free_plan_fees_count_as_paid():
    """A free plan's due dates are settled without payments."""
    free = Plan(
        id=PlanId("free"),
        name="Free",
        price=Money("0", "EUR"),
        period=Period.months(1),
        product_type="streaming",
    )
    sub = subscribe(plan=free)
    assert [PaymentDueStatus.PAID] * 3 == [d.status for d in sub.payment_history(at=day(3, 31))]
    assert not sub.is_overdue(at=day(12, 31))


def test_payment_due_round_trips():
    """History entries survive JSON."""
    for entry in history_fixture().payment_history(at=day(5, 5)):
        assert entry == roundtrip(entry)
    entry = PaymentDue(
        number=0,
        due_at=T0,
        amount=FEE,
        status=PaymentDueStatus.UPCOMING,
        grace_ends_at=T0 + timedelta(days=3),
    )
    assert not entry.settled
    assert entry == roundtrip(entry)


# -- payments of an order ----------------------------------------------------------------------


def test_order_payment_history_keeps_failed_attempts():
    """An order's payments list successes and failures in order."""
    line = OrderLine(ProductId("sku-1"), 1, Money("50", "EUR"), category="books")
    order = Order.place(OrderId("o-1"), customer_id=CID, lines=[line], at=T0)
    order = order.record_failed_payment(PaymentId("f-1"), Money("50", "EUR"), at=T0)
    order = order.record_payment(PaymentId("p-1"), Money("50", "EUR"), at=T0)
    assert [(PaymentId("f-1"), False), (PaymentId("p-1"), True)] == [
        (p.id, p.succeeded) for p in order.payments
    ]


# -- what the source documents name ------------------------------------------------------------


def test_every_subscription_data_point_of_the_sources_is_answerable():
    """Subscription records, fees, product types, first date, due dates and payment history."""
    early = subscribe("s-old", at=day(3, 15, 2024))
    current = subscribe("s-new").record_payment(PaymentId("p-1"), FEE, at=T0)
    records = [current, early, subscribe("s-other", at=day(1, 1, 2020), customer=CustomerId("c-2"))]
    mine = [s for s in records if s.customer_id == CID]
    assert [SubscriptionId("s-new"), SubscriptionId("s-old")] == [s.id for s in mine]
    assert [FEE, FEE] == [s.fee for s in mine]
    assert {"streaming"} == {s.product_type for s in mine}
    assert date(2024, 3, 15) == first_subscription_date(records, customer_id=CID)
    assert date(2020, 1, 1) == first_subscription_date(records)
    assert [T0, day(2, 28)] == list(current.due_dates(until=day(3, 1)))
    assert [PaymentDueStatus.PAID, PaymentDueStatus.DUE] == [
        d.status for d in current.payment_history(at=day(3, 1))
    ]


def test_first_subscription_date_edge_cases():
    """No subscriptions give None; the customer must be a CustomerId."""
    assert first_subscription_date([]) is None
    assert first_subscription_date([subscribe()], customer_id=CustomerId("c-9")) is None
    with pytest.raises(InvalidType) as info:
        first_subscription_date([subscribe()], customer_id="c-1")
    assert "$.customer_id" == info.value.path
    with pytest.raises(InvalidType) as wrong:
        first_subscription_date(["s-1"])
    assert "$.subscriptions[0]" == wrong.value.path


# -- properties ------------------------------------------------------------------------------


@given(st.lists(st.integers(0, 10), min_size=1, max_size=10), st.integers(0, 3))
def test_paid_on_time_or_late_follows_the_grace_days(delays, grace):
    """Paid within grace days is paid, else late; the next, unpaid fee is overdue; each once."""
    sub = Subscription.start(
        SubscriptionId("s-1"), customer_id=CID, plan=PLAN, at=T0, grace_days=grace
    )
    for number, delay in enumerate(delays):
        due = sub.due_at(number)
        sub = sub.record_payment(
            PaymentId(f"p-{number}"), FEE, at=due + timedelta(days=delay), due_at=due
        )
    moment = sub.due_at(len(delays) - 1) + timedelta(days=40)
    history = sub.payment_history(at=moment)
    expected = [
        PaymentDueStatus.PAID if delay <= grace else PaymentDueStatus.LATE for delay in delays
    ]
    assert expected == [d.status for d in history[: len(delays)]]
    assert len({d.due_at for d in history}) == len(history)
    assert [PaymentDueStatus.OVERDUE] == [d.status for d in history[len(delays) :]]
