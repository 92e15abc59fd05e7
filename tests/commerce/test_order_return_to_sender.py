"""A parcel refused at the door (or undeliverable) comes back to the seller.

Cash on delivery in Indonesia: the courier takes the parcel to the door, the
buyer refuses it, the courier brings it back (RTS, return to sender). Nothing
was delivered, nothing paid: the order may be shipped again or cancelled.
"""

import json
from datetime import datetime, timedelta, timezone

import attrs
import pytest
from hypothesis import given

from crmcore import Money, TransitionNotAllowed, ValidationError
from crmcore.commerce import (
    FulfilmentStatus,
    Order,
    OrderId,
    OrderLine,
    OrderReturnedToSender,
    OrderStatus,
    PaymentId,
    PaymentStatus,
    ProductId,
    Refund,
    Shipment,
    ShippedLine,
)
from crmcore.customers import CustomerId
from crmcore.serialization import from_dict, to_dict
from crmcore.testing import strategies as crm

WIB = timezone(timedelta(hours=7))
T0 = datetime(2026, 3, 1, 10, 0, tzinfo=WIB)
F = FulfilmentStatus


def at(hours):
    return T0 + timedelta(hours=hours)


def idr(amount):
    return Money(amount, "IDR")


def cod_order():
    lines = [
        OrderLine(ProductId("kopi"), 2, idr(85000), category="coffee"),
        OrderLine(ProductId("batik"), 1, idr(275000), category="apparel", tax=idr(30250)),
    ]
    return Order.place(OrderId("o-cod"), customer_id=CustomerId("c-1"), lines=lines, at=T0)


def roundtrip(order):
    return from_dict(Order, json.loads(json.dumps(to_dict(order))))


def unchanged(before, call, error, path, code):
    document = to_dict(before)
    with pytest.raises(error) as caught:
        call()
    assert (path, code) == (caught.value.path, caught.value.code)
    assert document == to_dict(before)


def test_parcel_refused_at_the_door_then_cancelled():
    """Shipped unpaid, refused at the door, back with the seller, cancelled: nothing paid or refunded."""
    order = cod_order().ship(at=at(1))
    back = order.return_to_sender(at=at(30))
    assert F.UNFULFILLED is back.fulfilment_status
    assert PaymentStatus.UNPAID is back.payment_status
    assert at(30) == back.shipments[0].returned_at
    assert [0, 0] == [back.shipped_quantity(i) for i in range(2)]
    event = back.pending_events[-1]
    assert isinstance(event, OrderReturnedToSender)
    assert (1, order.shipments[0].lines) == (event.shipment, event.lines)
    assert OrderStatus.CANCELLED in back.allowed_statuses
    cancelled = back.cancel(at=at(31), reason="pembeli menolak paket")
    assert OrderStatus.CANCELLED is cancelled.status
    assert () == cancelled.refunds  # nothing was paid: nothing goes back
    assert cancelled == roundtrip(cancelled)
    assert back == roundtrip(back)


def test_one_of_two_shipments_refused_then_sent_again():
    """Shipment 2 refused: units ship again as shipment 3; shipment 1 stays delivered."""
    order = cod_order().ship({0: 2}, at=at(1)).deliver(1, at=at(2)).ship({1: 1}, at=at(3))
    assert F.SHIPPED is order.fulfilment_status
    back = order.return_to_sender(2, at=at(4))
    assert F.PARTLY_SHIPPED is back.fulfilment_status
    assert (2, 0) == (back.delivered_quantity(0), back.shipped_quantity(1))
    # Something was delivered: cancelling is still refused.
    assert OrderStatus.CANCELLED not in back.allowed_statuses
    again = back.ship(at=at(5)).deliver(at=at(6))
    assert F.DELIVERED is again.fulfilment_status
    assert 3 == len(again.shipments)
    assert [1, 1] == [s.quantity for s in again.shipments[1:]]  # one unit each, by hand
    assert again.fulfilled_at == at(6)
    paid = again.record_payment(PaymentId("cash"), again.balance_due, at=at(6), method="cash")
    assert paid.is_paid
    assert again == roundtrip(again)


def test_return_to_sender_refusals_change_nothing():
    """Only a shipment on its way comes back; each refusal names its path and code."""
    placed = cod_order()
    unchanged(
        placed,
        lambda: placed.return_to_sender(at=at(1)),
        TransitionNotAllowed,
        "$.fulfilment_status",
        "transition",
    )
    shipped = placed.ship({0: 1}, at=at(1)).ship({1: 1}, at=at(1)).deliver(1, at=at(2))
    unchanged(
        shipped,
        lambda: shipped.return_to_sender(1, at=at(3)),
        ValidationError,
        "$.shipment",
        "delivered",
    )
    unchanged(
        shipped,
        lambda: shipped.return_to_sender(3, at=at(3)),
        ValidationError,
        "$.shipment",
        "no_such_shipment",
    )
    unchanged(
        shipped,
        lambda: shipped.return_to_sender(1, at=at(1)),
        ValidationError,
        "$.at",
        "time_backwards",
    )
    back = shipped.return_to_sender(2, at=at(3))
    unchanged(
        back, lambda: back.return_to_sender(2, at=at(4)), ValidationError, "$.shipment", "returned"
    )
    unchanged(back, lambda: back.deliver(2, at=at(4)), ValidationError, "$.shipment", "returned")
    cancelled = placed.ship(at=at(1)).return_to_sender(at=at(2)).cancel(at=at(3))
    unchanged(
        cancelled,
        lambda: cancelled.return_to_sender(1, at=at(4)),
        TransitionNotAllowed,
        "$.status",
        "transition",
    )


def test_returned_shipment_values_are_checked():
    """A shipment is delivered or back with the sender, never both; never back before it left."""
    with pytest.raises(ValidationError) as caught:
        Shipment(lines=(ShippedLine(0, 1),), at=at(2), returned_at=at(1))
    assert ("$.returned_at", "time_backwards") == (caught.value.path, caught.value.code)
    with pytest.raises(ValidationError) as caught:
        Shipment(lines=(ShippedLine(0, 1),), at=at(1), delivered_at=at(2), returned_at=at(2))
    assert ("$.returned_at", "delivered") == (caught.value.path, caught.value.code)


def test_a_cancelled_order_holds_only_shipments_that_came_back():
    """A hand-built cancelled order with a shipment still out is refused."""
    order = cod_order().ship(at=at(1)).return_to_sender(at=at(2)).cancel(at=at(3))
    fields = {a: getattr(order, a) for a in ("id", "customer_id", "lines", "created_at")}
    base = {**fields, "status": "cancelled", "cancelled_at": at(3), "updated_at": at(3)}
    assert order.shipments == Order(**base, shipments=order.shipments).shipments
    out = Shipment(lines=order.shipments[0].lines, at=at(1))
    with pytest.raises(ValidationError) as caught:
        Order(**base, shipments=(out,))
    assert "$.shipments" == caught.value.path


def test_present_documents_without_returned_at_still_load():
    """A shipment stored before ``returned_at`` existed loads as not returned."""
    order = cod_order().ship(at=at(1))
    document = json.loads(json.dumps(to_dict(order)))
    for shipment in document["shipments"]:
        shipment.pop("returned_at", None)
    loaded = from_dict(Order, document)
    assert loaded.shipments[0].returned_at is None
    assert F.SHIPPED is loaded.fulfilment_status


@given(crm.orders(max_steps=12, pending_events=True))
def test_events_count_returned_shipments(order):
    """Each shipment back with the sender has one OrderReturnedToSender naming it; its units are not shipped."""
    numbers = [e.shipment for e in order.pending_events if isinstance(e, OrderReturnedToSender)]
    back = [n for n, s in enumerate(order.shipments, start=1) if s.returned_at is not None]
    assert back == sorted(numbers)
    for shipment in order.shipments:
        assert shipment.delivered_at is None or shipment.returned_at is None
    for index, line in enumerate(order.lines):
        live = sum(
            part.quantity
            for s in order.shipments
            if s.returned_at is None
            for part in s.lines
            if part.line == index
        )
        assert live == order.shipped_quantity(index) <= line.quantity


def test_timeline_shows_the_parcel_coming_back():
    """The timeline holds the shipment sent and its return to the sender, keyed by number."""
    order = cod_order().ship(at=at(1)).return_to_sender(at=at(30)).cancel(at=at(31))
    facts = {fact.key: fact.at for fact in order.timeline_facts()}
    assert at(1) == facts["o-cod/shipment/1"]
    assert at(30) == facts["o-cod/shipment/1/returned"]
    assert at(31) == facts["o-cod/cancelled"]
    assert "o-cod/shipment/1/delivered" not in facts


def _fields(order):
    names = ("id", "customer_id", "lines", "created_at", "updated_at", "payments", "refunds")
    return {name: getattr(order, name) for name in names}


def test_hand_built_orders_with_wrong_money_are_refused():
    """Payments and refunds of a hand-built order: currency, ids, totals; the path is named."""
    paid = cod_order().record_payment(PaymentId("p-1"), idr(10000), at=at(1))
    paid = paid.record_payment(PaymentId("p-2"), idr(10000), at=at(1))
    usd = Money("1.00", "USD")
    one, two = paid.payments
    cases = [
        ({"payments": (attrs.evolve(one, amount=usd),)}, "$.payments[0].amount"),
        ({"payments": (one, attrs.evolve(two, amount=usd))}, "$.payments[1].amount"),
        ({"payments": (one, attrs.evolve(two, id=one.id))}, "$.payments[1].id"),
        ({"payments": (one, attrs.evolve(two, amount=idr(10**9)))}, "$.payments"),
        ({"refunds": (Refund(amount=usd, at=at(1)),)}, "$.refunds[0].amount"),
        ({"refunds": (Refund(amount=idr(1), at=at(-1)),)}, "$.refunds[0].at"),
        (
            {
                "status": "cancelled",
                "cancelled_at": at(1),
                "refunds": (Refund(amount=idr(1), at=at(1)),),
            },
            "$.refunds",
        ),
    ]
    for changes, path in cases:
        with pytest.raises(ValidationError) as caught:
            Order(**{**_fields(paid), **changes})
        assert path == caught.value.path, changes
