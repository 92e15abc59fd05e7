"""More order documents of the one-status shape, written by hand, loading into the three states.

Shapes test_order_states.py leaves out: failed payments, an exchange (zero
refund) returned at the very time of fulfilment, a refunded order with a
return, a refund before fulfilment, a cancellation after a partial refund,
and a version-1 document naming ``placed_at``.
"""

from datetime import datetime, timedelta, timezone
from decimal import Decimal

import pytest

from crmcore.commerce import FulfilmentStatus, Order, OrderStatus, PaymentStatus
from crmcore.serialization import from_dict, to_dict

WIB = timezone(timedelta(hours=7))
P = PaymentStatus
F = FulfilmentStatus


def _idr(amount):
    return {"amount": amount, "currency": "IDR"}


def _line(product, quantity, price):
    return {
        "product_id": product,
        "quantity": quantity,
        "unit_price": _idr(price),
        "category": "x",
        "discount": None,
    }


# 2 x 10,000 + 1 x 5,000 = 25,000; a failed 5,000 attempt, then 25,000 paid.
_BASE = {
    "schema_version": 2,
    "id": "o-9",
    "created_at": "2025-01-01T08:00:00+07:00",
    "updated_at": "2025-01-09T08:00:00+07:00",
    "version": 6,
    "sequence": 0,
    "pending_events": [],
    "customer_id": "c-9",
    "lines": [_line("kopi", 2, "10000"), _line("gula", 1, "5000")],
    "payments": [
        {
            "id": "p-1",
            "amount": _idr("5000"),
            "at": "2025-01-02T08:00:00+07:00",
            "outcome": "failed",
            "method": "card",
            "failure_reason": "card_declined",
        },
        {
            "id": "p-2",
            "amount": _idr("25000"),
            "at": "2025-01-02T09:00:00+07:00",
            "outcome": "succeeded",
            "method": "card",
            "failure_reason": None,
        },
    ],
    "refunds": [],
    "returns": [],
    "fulfilled_at": None,
    "cancelled_at": None,
    "cancel_reason": None,
}
_FULFILLED = "2025-01-03T08:00:00+07:00"


def _refund(amount, day):
    return {"amount": _idr(amount), "at": f"2025-01-0{day}T08:00:00+07:00", "reason": None}


_V1 = {key: value for key, value in _BASE.items() if key != "created_at"}

DOCUMENTS = [
    pytest.param(
        {
            **_BASE,
            "status": "fulfilled",
            "fulfilled_at": _FULFILLED,
            "returns": [
                {
                    "lines": [{"line": 0, "quantity": 2}],
                    "at": _FULFILLED,
                    "refund": _idr("0"),
                    "reason": None,
                }
            ],
        },
        (OrderStatus.OPEN, P.PAID, F.DELIVERED, "0"),  # line 1 is still with the buyer
        id="exchange-at-fulfilment",
    ),
    pytest.param(
        {
            **_BASE,
            "status": "refunded",
            "fulfilled_at": _FULFILLED,
            "returns": [
                {
                    "lines": [{"line": 0, "quantity": 2}, {"line": 1, "quantity": 1}],
                    "at": "2025-01-05T08:00:00+07:00",
                    "refund": _idr("25000"),
                    "reason": "salah kirim",
                }
            ],
            "refunds": [_refund("25000", 5)],
        },
        (OrderStatus.OPEN, P.REFUNDED, F.RETURNED, "25000"),
        id="refunded-with-return",
    ),
    pytest.param(
        {
            **_BASE,
            "status": "partially_refunded",
            "fulfilled_at": "2025-01-06T08:00:00+07:00",
            "refunds": [_refund("1000", 4)],
        },
        (OrderStatus.OPEN, P.PARTLY_REFUNDED, F.DELIVERED, "1000"),
        id="refund-before-fulfilment",
    ),
    pytest.param(
        {
            **_BASE,
            "status": "cancelled",
            "cancelled_at": "2025-01-06T08:00:00+07:00",
            "cancel_reason": "berubah pikiran",
            "refunds": [_refund("1000", 4), _refund("24000", 6)],
        },
        (OrderStatus.CANCELLED, P.REFUNDED, F.UNFULFILLED, "25000"),
        id="cancelled-after-partial-refund",
    ),
    pytest.param(
        {**_V1, "schema_version": 1, "placed_at": "2025-01-01T08:00:00+07:00", "status": "paid"},
        (OrderStatus.OPEN, P.PAID, F.UNFULFILLED, "0"),
        id="version-1-placed-at",
    ),
]


@pytest.mark.parametrize(("document", "expected"), DOCUMENTS)
def test_hand_written_one_status_documents_load(document, expected):
    """Each loads with the statuses its data says, and round-trips in the present shape."""
    order = from_dict(Order, document)
    status, payment, fulfilment, refunded = expected
    assert (status, payment, fulfilment) == (
        order.status,
        order.payment_status,
        order.fulfilment_status,
    )
    assert Decimal(refunded) == order.amount_refunded.amount
    assert 25000 == order.amount_paid.amount  # the failed attempt does not count
    assert datetime(2025, 1, 1, 8, 0, tzinfo=WIB) == order.created_at
    if document.get("fulfilled_at"):
        assert [(s.at, s.delivered_at) for s in order.shipments] == [(order.fulfilled_at,) * 2]
    assert order == from_dict(Order, to_dict(order))
