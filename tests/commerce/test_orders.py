"""Tests for `crmcore.commerce._orders`: lines, totals, payments, refunds and returns.

The payment and fulfilment states, shipments and cash on delivery are tested in
``test_order_states.py``.
"""

import json
from datetime import datetime, timedelta, timezone
from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from crmcore import (
    CurrencyMismatch,
    DomainEvent,
    InvalidType,
    Money,
    TransitionNotAllowed,
    ValidationError,
)
from crmcore.commerce import (
    ORDER_STATUSES,
    PAYMENT_STATUSES,
    FulfilmentStatus,
    ItemReturn,
    Order,
    OrderCancelled,
    OrderId,
    OrderItemsReturned,
    OrderLine,
    OrderPaid,
    OrderPlaced,
    OrderRefunded,
    OrderStatus,
    PaymentId,
    PaymentStatus,
    ProductId,
    Refund,
    ReturnedLine,
)
from crmcore.customers import CustomerId
from crmcore.serialization import from_dict, to_dict
from crmcore.testing import strategies as crm

WIB = timezone(timedelta(hours=7))
T0 = datetime(2026, 3, 1, 10, 0, tzinfo=WIB)
CID = CustomerId("c-1")


def usd(amount):
    return Money(amount, "USD")


def lines():
    return [
        OrderLine(ProductId("sku-1"), 2, usd("15.00"), category="Books"),
        OrderLine(ProductId("sku-2"), 1, usd("30.00"), category="games", discount=usd("5.00")),
        OrderLine(ProductId("sku-3"), 3, usd("10.00"), category="games", discount=usd("1.00")),
    ]


def place(at=T0):
    return Order.place(OrderId("o-1"), customer_id=CID, lines=lines(), at=at)


def paid():
    order = place()
    return order.record_payment(PaymentId("p-1"), order.total, at=T0 + timedelta(minutes=5))


def fulfilled():
    return paid().fulfil(at=T0 + timedelta(days=2))


def roundtrip(obj, cls=None):
    return from_dict(cls or type(obj), json.loads(json.dumps(to_dict(obj))))


# -- lines and totals ------------------------------------------------------------------------


def test_line_amounts():
    """Gross is quantity times unit price; net subtracts the discount; category is normalized."""
    line = lines()[2]
    assert usd("30.00") == line.gross
    assert usd("1.00") == line.discount_amount
    assert usd("29.00") == line.net
    assert "books" == lines()[0].category
    assert usd("0") == lines()[0].discount_amount


def test_totals_are_computed_from_the_lines():
    """Subtotal 30 + 30 + 30 = 90; discounts 5 + 1 = 6; total 84."""
    order = place()
    assert usd("90.00") == order.subtotal
    assert usd("6.00") == order.discount
    assert usd("84.00") == order.total
    assert "USD" == order.currency
    assert usd("84.00") == order.balance_due
    assert (OrderStatus.OPEN, PaymentStatus.UNPAID) == (order.status, order.payment_status)


def test_place_records_order_placed():
    """Placing an order records OrderPlaced with its lines and total."""
    order = place()
    assert (
        OrderPlaced(
            sequence=1,
            occurred_at=T0,
            order_id=OrderId("o-1"),
            customer_id=CID,
            lines=tuple(lines()),
            total=usd("84.00"),
        ),
    ) == order.pending_events
    assert 0 == order.version


def test_lines_mixing_currencies_name_the_offending_line():
    """A line of another currency is refused at $.lines[i].unit_price."""
    mixed = [*lines()[:2], OrderLine(ProductId("sku-9"), 1, Money("5", "EUR"), category="x")]
    with pytest.raises(CurrencyMismatch) as info:
        Order.place(OrderId("o-1"), customer_id=CID, lines=mixed, at=T0)
    assert "$.lines[2].unit_price" == info.value.path


@pytest.mark.parametrize(("quantity", "error"), [(0, ValidationError), (-2, ValidationError)])
def test_quantity_must_be_positive(quantity, error):
    """Zero and negative quantities are refused."""
    with pytest.raises(error) as info:
        OrderLine(ProductId("sku-1"), quantity, usd("1"), category="x")
    assert "$.quantity" == info.value.path
    assert "range" == info.value.code


@pytest.mark.parametrize("quantity", [True, 1.0, "2"])
def test_quantity_must_be_an_int(quantity):
    """Booleans, floats and strings are not quantities."""
    with pytest.raises(InvalidType) as info:
        OrderLine(ProductId("sku-1"), quantity, usd("1"), category="x")
    assert "$.quantity" == info.value.path


def test_unit_price_must_be_money_and_not_negative():
    """A float price is refused, and so is a negative one."""
    with pytest.raises(InvalidType) as info:
        OrderLine(ProductId("sku-1"), 1, 9.99, category="x")
    assert "$.unit_price" == info.value.path
    with pytest.raises(ValidationError) as negative:
        OrderLine(ProductId("sku-1"), 1, usd("-1"), category="x")
    assert "negative" == negative.value.code


def test_discount_must_fit_the_line_and_its_currency():
    """A discount above the gross amount or in another currency is refused."""
    with pytest.raises(ValidationError) as info:
        OrderLine(ProductId("sku-1"), 2, usd("10"), category="x", discount=usd("20.01"))
    assert ("$.discount", "discount_exceeds_line") == (info.value.path, info.value.code)
    with pytest.raises(CurrencyMismatch) as other:
        OrderLine(ProductId("sku-1"), 2, usd("10"), category="x", discount=Money("1", "EUR"))
    assert "$.discount" == other.value.path


def test_an_order_needs_lines():
    """An order without lines is refused; so is something that is not a line."""
    with pytest.raises(ValidationError) as info:
        Order.place(OrderId("o-1"), customer_id=CID, lines=[], at=T0)
    assert ("$.lines", "empty") == (info.value.path, info.value.code)
    with pytest.raises(InvalidType) as wrong:
        Order.place(OrderId("o-1"), customer_id=CID, lines=[lines()[0], "sku-2"], at=T0)
    assert "$.lines[1]" == wrong.value.path


def test_naive_time_and_wrong_ids_are_refused():
    """Placing needs an aware time, an OrderId and a CustomerId."""
    with pytest.raises(ValidationError) as naive:
        place(at=datetime(2026, 3, 1, 10, 0))  # noqa: DTZ001 - the naive value under test.
    assert "$.at" == naive.value.path
    with pytest.raises(InvalidType) as wrong:
        Order.place(CustomerId("o-1"), customer_id=CID, lines=lines(), at=T0)
    assert "$.id" == wrong.value.path


def test_free_order_is_paid_at_once():
    """An order totalling zero is paid when placed."""
    free = OrderLine(ProductId("sample"), 1, usd("0"), category="samples")
    order = Order.place(OrderId("o-2"), customer_id=CID, lines=[free], at=T0)
    assert PaymentStatus.PAID is order.payment_status
    assert ["OrderPlaced", "OrderPaid"] == [e.type for e in order.pending_events]


# -- payments --------------------------------------------------------------------------------


def test_partial_payments_then_paid():
    """A deposit makes the order partly paid; the payment settling the balance makes it paid."""
    order = place()
    deposit = order.record_payment(PaymentId("p-1"), usd("20.00"), at=T0, method="card")
    assert PaymentStatus.PARTLY_PAID is deposit.payment_status
    assert usd("64.00") == deposit.balance_due
    settled = deposit.record_payment(PaymentId("p-2"), usd("64.00"), at=T0 + timedelta(hours=1))
    assert PaymentStatus.PAID is settled.payment_status
    assert usd("84.00") == settled.amount_paid
    assert usd("0.00") == settled.balance_due
    expected = OrderPaid(
        sequence=4,
        occurred_at=T0 + timedelta(hours=1),
        order_id=OrderId("o-1"),
        customer_id=CID,
        amount=usd("84.00"),
    )
    assert expected == settled.pending_events[-1]


def test_failed_payment_is_recorded_but_not_counted():
    """A failed attempt stays in the payments, changes no balance and records OrderPaymentFailed."""
    order = place().record_failed_payment(
        PaymentId("p-0"), usd("84.00"), at=T0, reason="insufficient_funds"
    )
    assert PaymentStatus.UNPAID is order.payment_status
    assert usd("0") == order.amount_paid
    assert "insufficient_funds" == order.payments[0].failure_reason
    assert not order.payments[0].succeeded
    assert "OrderPaymentFailed" == order.pending_events[-1].type


@pytest.mark.parametrize(
    ("amount", "path", "code"),
    [
        (usd("84.01"), "$.amount", "overpayment"),
        (usd("0"), "$.amount", "not_positive"),
        (usd("-1"), "$.amount", "negative"),
    ],
)
def test_payment_amount_rules(amount, path, code):
    """A payment is positive and never above the balance due; nothing changes on failure."""
    order = place()
    with pytest.raises(ValidationError) as info:
        order.record_payment(PaymentId("p-1"), amount, at=T0)
    assert (path, code) == (info.value.path, info.value.code)
    assert () == order.payments


def test_payment_in_another_currency_is_refused():
    """Currencies never mix."""
    with pytest.raises(CurrencyMismatch) as info:
        place().record_payment(PaymentId("p-1"), Money("84", "EUR"), at=T0)
    assert "$.amount" == info.value.path


def test_payment_float_is_refused():
    """A float is not Money."""
    with pytest.raises(InvalidType) as info:
        place().record_payment(PaymentId("p-1"), 84.0, at=T0)
    assert "$.amount" == info.value.path


def test_payment_ids_are_unique_per_order():
    """The same payment id twice is refused."""
    order = place().record_payment(PaymentId("p-1"), usd("10"), at=T0)
    with pytest.raises(ValidationError) as info:
        order.record_payment(PaymentId("p-1"), usd("10"), at=T0)
    assert ("$.payment_id", "duplicate") == (info.value.path, info.value.code)


def test_paid_order_takes_no_more_payments():
    """Once paid, a payment is refused as a status refusal (TransitionNotAllowed)."""
    with pytest.raises(TransitionNotAllowed) as info:
        paid().record_payment(PaymentId("p-2"), usd("1"), at=T0 + timedelta(hours=1))
    assert ("$.payment_status", "transition") == (info.value.path, info.value.code)
    assert ("order payment", "paid") == (info.value.machine, info.value.current)
    assert "takes no payments" in info.value.rule


def test_commands_before_placement_are_refused():
    """Nothing happens to an order before it was placed: times never go backwards."""
    with pytest.raises(ValidationError) as info:
        place().record_payment(PaymentId("p-1"), usd("1"), at=T0 - timedelta(seconds=1))
    assert ("$.at", "time_backwards") == (info.value.path, info.value.code)


def test_failure_reason_is_a_code():
    """A failed payment's reason is a snake_case code, never free text."""
    with pytest.raises(ValidationError) as info:
        place().record_failed_payment(PaymentId("p-0"), usd("1"), at=T0, reason="Card declined")
    assert ("$.reason", "name") == (info.value.path, info.value.code)


# -- status machine --------------------------------------------------------------------------


def test_fulfil_needs_no_payment_but_an_order_not_cancelled():
    """**Behaviour change:** an unpaid order may be fulfilled (cash on delivery); a cancelled one not."""
    delivered = place().fulfil(at=T0)
    assert (PaymentStatus.UNPAID, FulfilmentStatus.DELIVERED) == (
        delivered.payment_status,
        delivered.fulfilment_status,
    )
    with pytest.raises(TransitionNotAllowed) as info:
        place().cancel(at=T0).fulfil(at=T0)
    assert ("$.status", "transition") == (info.value.path, info.value.code)
    assert ("cancelled", ()) == (info.value.current, info.value.allowed)


def test_fulfil_records_the_time():
    """A paid order can be fulfilled once."""
    order = fulfilled()
    assert FulfilmentStatus.DELIVERED is order.fulfilment_status
    assert T0 + timedelta(days=2) == order.fulfilled_at
    assert "OrderFulfilled" == order.pending_events[-1].type
    with pytest.raises(TransitionNotAllowed) as info:
        order.fulfil(at=T0 + timedelta(days=3))
    assert ("$.fulfilment_status", "transition") == (info.value.path, info.value.code)
    assert "already fulfilled" in info.value.rule


def test_cancel_a_placed_order():
    """Cancelling an unpaid order refunds nothing and zeroes its amount; the reason stays inside."""
    order = place().cancel(at=T0, reason="changed mind")
    assert OrderStatus.CANCELLED is order.status
    assert (
        OrderCancelled(sequence=2, occurred_at=T0, order_id=OrderId("o-1"), customer_id=CID)
        == order.pending_events[-1]
    )
    assert "changed mind" == order.cancel_reason
    assert "changed mind" not in repr(order.pending_events)
    assert () == order.refunds
    assert usd("0") == order.amount
    assert usd("0") == order.balance_due
    assert not order.is_purchase


def test_cancel_a_paid_order_refunds_it():
    """Cancelling a paid order refunds everything paid first."""
    order = paid().cancel(at=T0 + timedelta(hours=1))
    assert ["OrderRefunded", "OrderCancelled"] == [e.type for e in order.pending_events[-2:]]
    assert usd("84.00") == order.amount_refunded
    assert usd("0.00") == order.net_revenue


def test_cancel_a_partly_paid_order_refunds_the_deposit():
    """A deposit on a placed order is refunded on cancellation."""
    order = place().record_payment(PaymentId("p-1"), usd("20"), at=T0).cancel(at=T0)
    assert (Refund(amount=usd("20"), at=T0),) == order.refunds
    assert usd("0") == order.net_revenue
    refunded = order.pending_events[-2]
    assert isinstance(refunded, OrderRefunded)
    assert (usd("20"), usd("20")) == (refunded.amount, refunded.refunded_total)


def test_fulfilled_order_cannot_be_cancelled():
    """After shipping, only refunds, returns and closing remain."""
    with pytest.raises(TransitionNotAllowed) as info:
        fulfilled().cancel(at=T0 + timedelta(days=3))
    assert "shipped units cannot be cancelled" in info.value.rule
    assert ("closed",) == info.value.allowed


def test_final_statuses_say_so():
    """Cancelled and refunded orders change no more."""
    assert ORDER_STATUSES.is_final(OrderStatus.CANCELLED)
    assert PAYMENT_STATUSES.is_final(PaymentStatus.REFUNDED)
    with pytest.raises(TransitionNotAllowed) as info:
        place().cancel(at=T0).cancel(at=T0)
    assert "that status is final" in info.value.rule
    assert "transition" == info.value.code


def test_every_status_is_in_the_table():
    """The status machine covers every status and names only statuses."""
    table = ORDER_STATUSES.transitions
    assert set(OrderStatus) == set(table)
    assert all(targets <= set(OrderStatus) for targets in table.values())
    assert "order" == ORDER_STATUSES.name


# -- refunds ---------------------------------------------------------------------------------


def test_partial_then_full_refund():
    """Refunds make the order partly refunded, then refunded when all is given back."""
    later = T0 + timedelta(days=5)
    order = fulfilled().refund(usd("10.00"), at=later, reason="late delivery")
    assert PaymentStatus.PARTLY_REFUNDED is order.payment_status
    assert usd("74.00") == order.net_revenue
    assert usd("74.00") == order.refundable
    assert (
        OrderRefunded(
            sequence=7,
            occurred_at=later,
            order_id=OrderId("o-1"),
            customer_id=CID,
            amount=usd("10.00"),
            refunded_total=usd("10.00"),
        )
        == order.pending_events[-1]
    )
    assert (Refund(amount=usd("10.00"), at=later, reason="late delivery"),) == order.refunds
    assert "late delivery" not in repr(order.refunds) + repr(order.pending_events)
    order = order.refund(usd("74.00"), at=later)
    assert PaymentStatus.REFUNDED is order.payment_status
    assert usd("0.00") == order.net_revenue
    assert not order.is_purchase


def test_refund_above_what_is_refundable_is_refused_and_changes_nothing():
    """A refund above paid less refunded is refused; the order is unchanged."""
    order = fulfilled().refund(usd("80.00"), at=T0 + timedelta(days=5))
    with pytest.raises(ValidationError) as info:
        order.refund(usd("4.01"), at=T0 + timedelta(days=5))
    assert ("$.amount", "refund_exceeds_paid") == (info.value.path, info.value.code)
    assert usd("80.00") == order.amount_refunded
    assert PaymentStatus.PARTLY_REFUNDED is order.payment_status


def test_refund_of_a_placed_order_is_a_status_error():
    """Nothing paid, nothing to refund: the payment status says why."""
    with pytest.raises(TransitionNotAllowed) as info:
        place().refund(usd("1"), at=T0)
    assert ("$.payment_status", "transition") == (info.value.path, info.value.code)


def test_refund_before_fulfilment_then_fulfil_keeps_partially_refunded():
    """An item refunded before shipping: the order stays partly refunded when delivered."""
    order = paid().refund(usd("29.00"), at=T0 + timedelta(hours=2), reason="out of stock")
    order = order.fulfil(at=T0 + timedelta(days=1))
    assert PaymentStatus.PARTLY_REFUNDED is order.payment_status
    assert order.is_fulfilled
    assert frozenset({OrderStatus.CLOSED}) == order.allowed_statuses


# -- returns ---------------------------------------------------------------------------------


def test_returns_refund_the_units_share_to_the_cent():
    """Three units of a 29.00 line come back one by one: 9.66 + 9.67 + 9.67 = 29.00.

    Cumulative shares round down (9.66, 19.33, 29.00), so no partial return
    ever refunds more than its exact share.
    """
    order = fulfilled()
    refunds = []
    for day in (3, 4, 5):
        order = order.return_items({2: 1}, at=T0 + timedelta(days=day))
        refunds.append(order.returns[-1].refund)
    assert [usd("9.66"), usd("9.67"), usd("9.67")] == refunds
    assert usd("29.00") == order.amount_refunded
    assert 0 == order.returnable_quantity(2)
    assert 3 == order.returned_quantity(2)
    assert PaymentStatus.PARTLY_REFUNDED is order.payment_status
    assert usd("55.00") == order.amount


def test_return_records_items_returned_then_the_refund():
    """A return of two lines records OrderItemsReturned, then OrderRefunded; the reason stays inside."""
    at = T0 + timedelta(days=3)
    order = fulfilled().return_items({0: 2, 1: 1}, at=at, reason="damaged")
    lines = (ReturnedLine(0, 2), ReturnedLine(1, 1))
    expected = ItemReturn(lines=lines, at=at, refund=usd("55.00"), reason="damaged")
    assert (expected,) == order.returns
    assert (
        OrderItemsReturned(
            sequence=7,
            occurred_at=at,
            order_id=OrderId("o-1"),
            customer_id=CID,
            lines=lines,
            refund=usd("55.00"),
        )
        == order.pending_events[-2]
    )
    assert "OrderRefunded" == order.pending_events[-1].type
    assert 3 == order.returns[0].quantity
    assert "damaged" == order.refunds[-1].reason
    assert all("damaged" not in str(to_dict(e)) for e in order.pending_events)


def test_items_returned_keeps_its_old_name_for_schema_1():
    """OrderItemsReturned was ItemsReturned in schema version 1."""
    assert ("ItemsReturned",) == OrderItemsReturned.v1_names


def test_return_as_an_exchange_refunds_nothing():
    """refund=0 records the return and keeps the statuses."""
    order = fulfilled().return_items({0: 1}, at=T0 + timedelta(days=3), refund=usd("0"))
    assert (PaymentStatus.PAID, FulfilmentStatus.DELIVERED) == (
        order.payment_status,
        order.fulfilment_status,
    )
    assert "OrderItemsReturned" == order.pending_events[-1].type
    assert usd("0") == order.amount_refunded


def test_return_refund_is_capped_by_what_is_refundable():
    """After a goodwill refund, a return's default refund never exceeds what is left."""
    order = fulfilled().refund(usd("80.00"), at=T0 + timedelta(days=3))
    order = order.return_items({0: 2}, at=T0 + timedelta(days=4))
    assert usd("4.00") == order.returns[-1].refund
    assert PaymentStatus.REFUNDED is order.payment_status


@pytest.mark.parametrize(
    ("quantities", "path", "code"),
    [
        ({0: 3}, "$.quantities[0]", "return_exceeds_ordered"),
        ({5: 1}, "$.quantities[5]", "no_such_line"),
        ({0: 0}, "$.quantities[0]", "range"),
        ({}, "$.quantities", "empty"),
    ],
)
def test_return_quantities_are_checked(quantities, path, code):
    """Returned units must exist and not exceed what is left to return."""
    order = fulfilled()
    with pytest.raises(ValidationError) as info:
        order.return_items(quantities, at=T0 + timedelta(days=3))
    assert (path, code) == (info.value.path, info.value.code)
    assert () == order.returns


def test_return_beyond_what_was_returned_already():
    """A second return is limited by the first."""
    order = fulfilled().return_items({0: 1}, at=T0 + timedelta(days=3))
    with pytest.raises(ValidationError) as info:
        order.return_items({0: 2}, at=T0 + timedelta(days=4))
    assert "return_exceeds_ordered" == info.value.code


def test_return_needs_a_fulfilled_order():
    """Items that never arrived cannot come back."""
    with pytest.raises(TransitionNotAllowed) as info:
        paid().return_items({0: 1}, at=T0 + timedelta(days=1))
    assert ("$.fulfilment_status", "transition") == (info.value.path, info.value.code)
    assert "only delivered units can be returned" == info.value.rule


def test_a_refunded_order_takes_returns_refunding_nothing():
    """**Behaviour change:** refunded in full, the goods may still come back; nothing more is refunded."""
    order = fulfilled().refund(usd("84.00"), at=T0 + timedelta(days=3))
    back = order.return_items({0: 1}, at=T0 + timedelta(days=4))
    assert usd("0") == back.returns[-1].refund
    assert (PaymentStatus.REFUNDED, usd("84.00")) == (back.payment_status, back.amount_refunded)
    assert ["OrderItemsReturned"] == [e.type for e in back.pending_events[-1:]]


def test_explicit_return_refund_above_refundable_is_refused():
    """An explicit refund obeys the same limit."""
    with pytest.raises(ValidationError) as info:
        fulfilled().return_items({0: 1}, at=T0 + timedelta(days=3), refund=usd("84.01"))
    assert ("$.refund", "refund_exceeds_paid") == (info.value.path, info.value.code)


def test_return_quantities_must_be_a_mapping():
    """A list of quantities is refused."""
    with pytest.raises(InvalidType) as info:
        fulfilled().return_items([1], at=T0 + timedelta(days=3))
    assert "$.quantities" == info.value.path


# -- the kernel: time rule, envelope, loading -------------------------------------------------


def test_commands_dated_before_the_last_change_are_refused_and_change_nothing():
    """Times never go backwards: every command before updated_at is refused at $.at."""
    order = fulfilled()
    assert T0 + timedelta(days=2) == order.updated_at
    before = T0 + timedelta(days=1)
    for command in (
        lambda: order.refund(usd("1"), at=before),
        lambda: order.return_items({0: 1}, at=before),
        lambda: order.cancel(at=before),
        lambda: order.fulfil(at=before),
        lambda: (
            place()
            .record_payment(PaymentId("p-1"), usd("1"), at=T0)
            .record_failed_payment(PaymentId("p-2"), usd("1"), at=T0 - timedelta(seconds=1))
        ),
    ):
        with pytest.raises(ValidationError) as info:
            command()
        assert ("$.at", "time_backwards") == (info.value.path, info.value.code)
    assert fulfilled() == order
    assert 6 == len(order.pending_events)
    assert T0 + timedelta(days=2) == order.updated_at


def test_a_command_at_the_time_of_the_last_change_is_accepted():
    """The same instant as the last change is not going backwards."""
    order = fulfilled()
    refunded = order.refund(usd("1"), at=order.updated_at)
    assert PaymentStatus.PARTLY_REFUNDED is refunded.payment_status


def test_events_carry_the_envelope():
    """Sequence 1..n, derived event ids, and the actor and correlation id passed."""
    order = place(at=T0)
    order = order.record_payment(
        PaymentId("p-1"), order.total, at=T0, actor="agent-7", correlation_id="req-1"
    )
    order = order.fulfil(at=T0 + timedelta(days=1), actor="warehouse", causation_id="evt-9")
    events = order.pending_events
    assert [1, 2, 3, 4, 5, 6] == [e.sequence for e in events]
    assert [f"order:o-1#{n}" for n in range(1, 7)] == [e.event_id for e in events]
    assert {("order", "o-1")} == {(e.aggregate_kind, e.aggregate_id) for e in events}
    assert [None, "agent-7", "agent-7", *["warehouse"] * 3] == [e.actor for e in events]
    assert [None, "req-1", "req-1", None, None, None] == [e.correlation_id for e in events]
    assert {"evt-9"} == {e.causation_id for e in events[3:]}
    assert 6 == order.sequence
    assert [T0] * 3 + [T0 + timedelta(days=1)] * 3 == [e.occurred_at for e in events]


def test_unknown_envelope_keywords_are_refused():
    """Only actor, correlation_id and causation_id are accepted as extra keywords."""
    with pytest.raises(InvalidType) as info:
        place().fulfil(at=T0, reason="x")  # type: ignore[call-arg]
    assert "unknown_keyword" == info.value.code


def test_created_at_is_the_placement_time():
    """placed_at and at are the base's created_at."""
    order = place()
    assert T0 == order.created_at == order.placed_at == order.at == order.updated_at


def test_schema_1_documents_load_with_placed_at():
    """A stored order of schema version 1 (placed_at, no updated_at) still loads."""
    order = fulfilled().without_pending_events()
    data = to_dict(order)
    data["schema_version"] = 1
    data["placed_at"] = data.pop("created_at")
    del data["updated_at"]
    del data["sequence"]
    loaded = from_dict(Order, data)
    assert T0 == loaded.placed_at
    assert T0 + timedelta(days=2) == loaded.updated_at


def test_loading_refuses_a_payment_before_placement():
    """A stored payment dated before the order was placed is refused."""
    data = to_dict(paid().without_pending_events())
    data["payments"][0]["at"] = (T0 - timedelta(days=1)).isoformat()
    with pytest.raises(ValidationError) as info:
        from_dict(Order, data)
    assert "$.payments[0].at" in [p.path for p in info.value.problems]


def test_loading_refuses_a_cancel_reason_without_a_cancellation():
    """cancel_reason belongs to a cancelled order."""
    data = to_dict(paid().without_pending_events())
    data["cancel_reason"] = "changed mind"
    with pytest.raises(ValidationError) as info:
        from_dict(Order, data)
    assert "$.cancel_reason" in [p.path for p in info.value.problems]


# -- protocols and serialization -------------------------------------------------------------


def test_clv_protocol():
    """customer_id, at (placed time) and amount (total less refunds) serve CLV summaries."""
    order = fulfilled().refund(usd("4.00"), at=T0 + timedelta(days=5))
    assert CID == order.customer_id
    assert T0 == order.at
    assert usd("80.00") == order.amount
    assert order.is_purchase


def test_timeline_facts():
    """An order contributes placement, payment, shipment, delivery, refund and return facts."""
    order = fulfilled().return_items({0: 1}, at=T0 + timedelta(days=3))
    facts = order.timeline_facts()
    assert [
        ("order", "o-1"),
        ("payment", "o-1/payment/p-1"),
        ("order", "o-1/shipment/1"),
        ("order", "o-1/shipment/1/delivered"),
        ("order", "o-1/fulfilled"),
        ("refund", "o-1/refund/1"),
        ("return", "o-1/return/1"),
    ] == [f.identity for f in facts]
    assert "order o-1 placed: 6 units, 84.00 USD" == facts[0].summary
    assert "6 units of order o-1 shipped" == facts[2].summary
    assert "refund of 15.00 USD for order o-1" == facts[5].summary
    assert "1 unit of order o-1 returned" == facts[6].summary  # one unit: no plural


def test_timeline_facts_of_payments_and_failed_attempts():
    """Each payment is a fact keyed by its id; a failed attempt is of kind payment_failed."""
    order = place().record_failed_payment(PaymentId("p-0"), usd("84"), at=T0, reason="declined")
    order = order.record_payment(PaymentId("p-1"), usd("84.00"), at=T0)
    assert [
        (("payment_failed", "o-1/payment/p-0"), "failed payment of 84.00 USD for order o-1"),
        (("payment", "o-1/payment/p-1"), "payment of 84.00 USD for order o-1"),
    ] == [(f.identity, f.summary) for f in order.timeline_facts()[1:]]


def test_repr_shows_no_lines_in_detail():
    """The repr summarizes the order."""
    assert (
        "Order(id=OrderId('o-1'), customer_id=CustomerId('c-1'), status='open', "
        "payment_status='unpaid', fulfilment_status='unfulfilled', lines=3, "
        "total=Money('84.00', 'USD'), version=0, pending_events=1)"
    ) == repr(place())


def test_round_trip_of_an_order_with_everything():
    """An order with payments, refunds and returns survives JSON, events included."""
    order = place().record_failed_payment(PaymentId("p-0"), usd("84"), at=T0, reason="declined")
    order = order.record_payment(PaymentId("p-1"), usd("84.00"), at=T0, method="card")
    order = order.fulfil(at=T0).return_items({2: 1}, at=T0).refund(usd("1"), at=T0)
    back = roundtrip(order)
    assert order == back
    assert order.pending_events == back.pending_events
    for event in order.pending_events:
        assert event == roundtrip(event, DomainEvent)
    cancelled = paid().cancel(at=T0 + timedelta(hours=1), reason="duplicate order")
    assert cancelled == roundtrip(cancelled)


def test_loading_refuses_inconsistent_documents():
    """A stored order whose refunds exceed its payments is refused on load."""
    data = to_dict(paid().without_pending_events())
    data["refunds"] = [{"amount": {"amount": "90", "currency": "USD"}, "at": T0.isoformat()}]
    with pytest.raises(ValidationError) as info:
        from_dict(Order, data)
    assert "$.refunds" in [p.path for p in info.value.problems]


def test_loading_refuses_a_status_that_contradicts_the_times():
    """A delivered fulfilment status needs delivered shipments."""
    data = to_dict(paid().without_pending_events())
    data["fulfilment_status"] = "delivered"
    with pytest.raises(ValidationError) as info:
        from_dict(Order, data)
    assert "$.fulfilment_status" in [p.path for p in info.value.problems]


def _status_document(payment, payments=(), refunds=(), **extra):
    data = to_dict(place().without_pending_events())
    data["payment_status"] = payment
    data["payments"] = [
        {"id": f"p-{i}", "amount": {"amount": a, "currency": "USD"}, "at": T0.isoformat()}
        for i, a in enumerate(payments)
    ]
    data["refunds"] = [
        {"amount": {"amount": a, "currency": "USD"}, "at": T0.isoformat()} for a in refunds
    ]
    data.update(extra)
    return data


@pytest.mark.parametrize(
    ("status", "payments", "refunds", "path"),
    [
        ("paid", (), (), "$.payment_status"),  # paid with nothing paid
        ("paid", ("40",), (), "$.payment_status"),  # paid with part paid
        ("unpaid", ("84.00",), (), "$.payment_status"),  # paid in full yet unpaid
        ("partly_paid", ("40",), ("10",), "$.payment_status"),
        ("paid", ("84",), ("10",), "$.payment_status"),
        ("refunded", (), (), "$.payment_status"),  # refunded with nothing paid
        ("refunded", ("84",), (), "$.payment_status"),  # refunded with nothing refunded
        ("refunded", ("84",), ("10",), "$.payment_status"),
        ("partly_refunded", ("84",), (), "$.payment_status"),
        ("partly_refunded", ("84",), ("84",), "$.payment_status"),
    ],
)
def test_loading_refuses_amounts_that_contradict_the_status(status, payments, refunds, path):
    """Only the payment status the amounts say loads."""
    data = _status_document(status, payments, refunds)
    with pytest.raises(ValidationError) as info:
        from_dict(Order, data)
    problem = info.value.problems[0]
    assert (path, "status_mismatch") == (problem.path, problem.code)


def test_loading_refuses_a_cancelled_order_that_kept_the_money():
    """A cancelled order gave back what was paid."""
    data = _status_document("partly_paid", ("40",), (), status="cancelled")
    data["cancelled_at"] = T0.isoformat()
    with pytest.raises(ValidationError) as info:
        from_dict(Order, data)
    problem = info.value.problems[0]
    assert ("$.refunds", "status_mismatch") == (problem.path, problem.code)
    assert "cancelled" in problem.rule


@pytest.mark.parametrize(
    ("status", "payments", "refunds", "lifecycle"),
    [
        ("partly_paid", ("40",), (), "open"),
        ("paid", ("84",), (), "open"),
        ("partly_refunded", ("84",), ("10",), "open"),
        ("refunded", ("80", "4"), ("84",), "open"),
        ("refunded", ("40",), ("40",), "cancelled"),
        ("unpaid", (), (), "cancelled"),
    ],
)
def test_amounts_that_fit_the_status_load(status, payments, refunds, lifecycle):
    """The same documents with consistent amounts load (the check is not blanket)."""
    extra = {"cancelled_at": T0.isoformat()} if lifecycle == "cancelled" else {}
    order = from_dict(Order, _status_document(status, payments, refunds, status=lifecycle, **extra))
    assert (status, lifecycle) == (order.payment_status.value, order.status.value)


def test_loading_refuses_returns_of_an_unfulfilled_order_or_before_fulfilment():
    """Units are returned only after they were delivered."""
    order = fulfilled().return_items({0: 1}, at=T0 + timedelta(days=3)).without_pending_events()
    data = to_dict(order)
    data["returns"][0]["at"] = (T0 + timedelta(days=1)).isoformat()
    with pytest.raises(ValidationError) as info:
        from_dict(Order, data)
    assert ("$.returns[0].lines[0].quantity", "return_exceeds_ordered") == (
        info.value.problems[0].path,
        info.value.problems[0].code,
    )
    data = to_dict(order)
    data["shipments"] = []
    data["fulfilment_status"] = "unfulfilled"
    with pytest.raises(ValidationError) as info:
        from_dict(Order, data)
    assert "$.returns[0].lines[0].quantity" == info.value.problems[0].path


# -- properties ------------------------------------------------------------------------------

cents = st.integers(0, 1_000_000).map(lambda c: Decimal(c).scaleb(-2))


@st.composite
def order_lines(draw):
    quantity = draw(st.integers(1, 20))
    price = draw(cents)
    gross = price * quantity
    discount = draw(
        st.none()
        | st.integers(0, 100).map(
            lambda p: (gross * p / 100).quantize(Decimal("0.01"), rounding="ROUND_DOWN")
        )
    )
    return OrderLine(
        ProductId(f"sku-{draw(st.integers(0, 99))}"),
        quantity,
        usd(price),
        category=draw(st.sampled_from(["books", "games", "coffee"])),
        discount=None if discount is None else usd(discount),
    )


@given(st.lists(order_lines(), min_size=1, max_size=8))
def test_totals_equal_the_sum_of_lines(drawn):
    """Subtotal, discount and total are the sums over the lines, and total = subtotal - discount."""
    order = Order.place(OrderId("o-1"), customer_id=CID, lines=drawn, at=T0)
    assert sum(line.unit_price.amount * line.quantity for line in drawn) == order.subtotal.amount
    assert sum(line.discount_amount.amount for line in drawn) == order.discount.amount
    assert order.subtotal - order.discount == order.total
    assert order == roundtrip(order)


@given(
    st.lists(order_lines(), min_size=1, max_size=5),
    st.lists(st.tuples(st.sampled_from(["refund", "return"]), st.integers(0, 10_000)), max_size=8),
)
def test_refunds_never_exceed_what_was_paid(drawn, steps):
    """Whatever refunds and returns are attempted, refunded never exceeds paid."""
    order = Order.place(OrderId("o-1"), customer_id=CID, lines=drawn, at=T0)
    if not order.total.is_zero():
        order = order.record_payment(PaymentId("p-1"), order.total, at=T0)
    order = order.fulfil(at=T0)
    for kind, number in steps:
        before = order
        try:
            if kind == "refund":
                order = order.refund(usd(Decimal(number).scaleb(-2)), at=T0)
            else:
                line = number % len(order.lines)
                order = order.return_items({line: 1 + number % 3}, at=T0)
        except ValidationError:
            assert before is order
        assert order.amount_refunded <= order.amount_paid
        assert order.net_revenue >= usd(0)
        for index, line in enumerate(order.lines):
            assert order.returned_quantity(index) <= line.quantity
    assert order == roundtrip(order)


@given(order_lines(), st.data())
def test_returning_a_line_in_any_steps_refunds_exactly_its_net(line, data):
    """However the units of a line come back, their refunds add up to the line's net amount."""
    order = Order.place(OrderId("o-1"), customer_id=CID, lines=[line], at=T0)
    if not order.total.is_zero():
        order = order.record_payment(PaymentId("p-1"), order.total, at=T0)
    order = order.fulfil(at=T0)
    while order.returnable_quantity(0):
        units = data.draw(st.integers(1, order.returnable_quantity(0)))
        order = order.return_items({0: units}, at=T0)
    assert line.net == order.amount_refunded


def test_a_partial_return_never_refunds_the_whole_order():
    """4 units netting 0.02 after discount: returning 3 refunds 0.01, leaving 1 returnable."""
    line = OrderLine(ProductId("sku-0"), 4, usd("0.01"), category="books", discount=usd("0.02"))
    order = Order.place(OrderId("o-9"), customer_id=CID, lines=[line], at=T0)
    order = order.record_payment(PaymentId("p-9"), usd("0.02"), at=T0)
    order = order.fulfil(at=T0 + timedelta(days=1))
    order = order.return_items({0: 3}, at=T0 + timedelta(days=2))
    assert usd("0.01") == order.returns[-1].refund
    assert PaymentStatus.PARTLY_REFUNDED is order.payment_status
    order = order.return_items({0: 1}, at=T0 + timedelta(days=3))
    assert usd("0.02") == order.amount_refunded


# -- totals computed once ------------------------------------------------------------------


def reference_totals(order):
    """Every total as the order computed it before totals were kept: afresh, from the fields."""
    code = order.lines[0].unit_price.currency

    def total_of(amounts):
        return Money(sum((m.amount for m in amounts), Decimal(0)), code)

    def gross(line):
        return line.unit_price * line.quantity

    def net(line):
        return gross(line) - (line.discount if line.discount is not None else Money.zero(code))

    subtotal = total_of(gross(line) for line in order.lines)
    discount = total_of(line.discount for line in order.lines if line.discount is not None)
    tax = total_of(line.tax for line in order.lines if line.tax is not None)
    total = subtotal - discount + tax
    paid_amount = total_of(p.amount for p in order.payments if p.succeeded)
    refunded = total_of(r.amount for r in order.refunds)
    cancelled = order.status is OrderStatus.CANCELLED
    return {
        "subtotal": subtotal,
        "discount": discount,
        "tax": tax,
        "total": total,
        "amount_paid": paid_amount,
        "balance_due": Money.zero(code) if cancelled else total - paid_amount,
        "amount_refunded": refunded,
        "refundable": paid_amount - refunded,
        "net_revenue": paid_amount - refunded,
        "amount": Money.zero(code) if cancelled else total - refunded,
        "nets": [net(line) for line in order.lines],
    }


def digits(money):
    """A Money's exact digits, exponent and sign, and its currency: what ``==`` does not compare."""
    return (money.amount.as_tuple(), money.currency)


@given(crm.orders(max_steps=8))
def test_kept_totals_are_the_totals_computed_afresh(order):
    """Every total an order keeps has the digits a fresh computation from its fields gives."""
    expected = reference_totals(order)
    nets = expected.pop("nets")
    for name, money in expected.items():
        assert digits(money) == digits(getattr(order, name)), name
    assert [digits(m) for m in nets] == [digits(line.net) for line in order.lines]
    reloaded = from_dict(Order, to_dict(order))
    for name, money in expected.items():
        assert digits(money) == digits(getattr(reloaded, name)), name


def test_totals_are_computed_once_per_order(monkeypatch):
    """Placing, paying and reading every total many times sums the amounts a handful of times."""
    sums = []
    original = Order._sum

    def counting(self, amounts):
        sums.append(1)
        return original(self, amounts)

    monkeypatch.setattr(Order, "_sum", counting)
    order = Order.place(OrderId("o-9"), customer_id=CID, lines=lines(), at=T0)
    order = order.record_payment(PaymentId("p-1"), order.total, at=T0)
    for _ in range(10):
        for name in ("subtotal", "discount", "total", "amount_paid", "balance_due", "amount"):
            getattr(order, name)
    assert len(sums) <= 4


def test_a_payment_keeps_the_totals_of_the_lines():
    """The order a payment returns has the very total the placed order computed."""
    order = place()
    assert order.record_payment(PaymentId("p-1"), usd("1.00"), at=T0).total is order.total


def test_the_amount_of_an_order_without_refunds_is_its_total():
    """Total less nothing refunded: the same Money, digit for digit."""
    order = paid()
    assert order.amount is order.total
