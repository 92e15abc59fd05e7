"""The three states of an order, their machines, and how the amounts and units imply them.

An order has one status per dimension, each moving through its own
:class:`~crmcore._kernel._status.StatusMachine`:

* its lifecycle, :class:`OrderStatus` (:data:`ORDER_STATUSES`)::

      open ◄──► closed
        │
        └──► cancelled

* its money, :class:`PaymentStatus` (:data:`PAYMENT_STATUSES`)::

      unpaid ──► partly_paid ──► paid ──► partly_refunded ──► refunded
        └─────────────┴────────────┴──────────┴───────────────────┘ (any earlier to a later one)

* its goods, :class:`FulfilmentStatus` (:data:`FULFILMENT_STATUSES`)::

      unfulfilled ──► partly_shipped ──► shipped ──► delivered ──► returned
           └─────────────────────────────────┘
      (and back from shipped or partly shipped to fewer units shipped, when a
      shipment on its way returns to the sender undelivered)

The payment and fulfilment statuses are what the order's amounts and units
say (:func:`payment_status_of`, :func:`fulfilment_status_of`); an order holds
them as fields and its checks refuse one that disagrees with its data.

Orders stored before the states were split held one status mixing them
(``placed``, ``paid``, ``fulfilled``, ``partially_refunded``, ``refunded``,
``cancelled``) and a ``fulfilled_at`` time. :func:`upgrade_order_document`
turns such a document into the present shape.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from decimal import Decimal
from enum import StrEnum
from typing import Any, Final

from crmcore._kernel._status import StatusMachine


class OrderStatus(StrEnum):
    """An order's lifecycle: open (being sold, paid and sent), closed (archived) or cancelled."""

    OPEN = "open"
    CLOSED = "closed"
    CANCELLED = "cancelled"


class PaymentStatus(StrEnum):
    """What the customer paid of an order's total, and what went back."""

    UNPAID = "unpaid"
    PARTLY_PAID = "partly_paid"
    PAID = "paid"
    PARTLY_REFUNDED = "partly_refunded"
    REFUNDED = "refunded"


class FulfilmentStatus(StrEnum):
    """Where an order's goods are: none sent, some sent, all sent, all delivered, all back."""

    UNFULFILLED = "unfulfilled"
    PARTLY_SHIPPED = "partly_shipped"
    SHIPPED = "shipped"
    DELIVERED = "delivered"
    RETURNED = "returned"


_O = OrderStatus
_P = PaymentStatus
_F = FulfilmentStatus

#: The lifecycle machine: an open order may be closed (archived) and reopened, or
#: cancelled (only while nothing was shipped: :meth:`~crmcore.commerce.Order.cancel`).
ORDER_STATUSES: Final = StatusMachine(
    "order",
    {_O.OPEN: {_O.CLOSED, _O.CANCELLED}, _O.CLOSED: {_O.OPEN}, _O.CANCELLED: set()},
)

#: The payment machine. A status may move to any later one (one payment may settle
#: an unpaid order, one refund may give back all that was paid), and partly paid or
#: partly refunded may stay as they are (another part paid or refunded). Refunded is
#: final: once everything paid went back the order takes no more payments.
PAYMENT_STATUSES: Final = StatusMachine(
    "order payment",
    {
        _P.UNPAID: {_P.PARTLY_PAID, _P.PAID},
        _P.PARTLY_PAID: {_P.PARTLY_PAID, _P.PAID, _P.PARTLY_REFUNDED, _P.REFUNDED},
        _P.PAID: {_P.PARTLY_REFUNDED, _P.REFUNDED},
        _P.PARTLY_REFUNDED: {_P.PARTLY_REFUNDED, _P.REFUNDED},
        _P.REFUNDED: set(),
    },
)

#: The fulfilment machine. Shipping all remaining units moves to shipped (from
#: unfulfilled in one go), delivering every shipped unit to delivered, and the
#: return of every delivered unit to returned (final). A shipment on its way that
#: comes back undelivered (refused at the door) moves back to partly shipped or
#: unfulfilled.
FULFILMENT_STATUSES: Final = StatusMachine(
    "order fulfilment",
    {
        _F.UNFULFILLED: {_F.PARTLY_SHIPPED, _F.SHIPPED},
        _F.PARTLY_SHIPPED: {_F.SHIPPED, _F.UNFULFILLED},
        _F.SHIPPED: {_F.DELIVERED, _F.PARTLY_SHIPPED, _F.UNFULFILLED},
        _F.DELIVERED: {_F.RETURNED},
        _F.RETURNED: set(),
    },
)


def payment_status_of(paid: Decimal, refunded: Decimal, total: Decimal) -> PaymentStatus:
    """The payment status the amounts say (all of one currency).

    Anything refunded makes the order refunded (all that was paid went back) or
    partly refunded; otherwise nothing paid of a positive total is unpaid, part
    of it partly paid, all of it paid (a free order is paid from the start).

    >>> payment_status_of(Decimal(0), Decimal(0), Decimal(10)).value
    'unpaid'
    >>> payment_status_of(Decimal(10), Decimal(4), Decimal(10)).value
    'partly_refunded'
    """
    if refunded > 0:
        return _P.REFUNDED if refunded == paid else _P.PARTLY_REFUNDED
    if paid >= total:
        return _P.PAID
    return _P.UNPAID if paid == 0 else _P.PARTLY_PAID


def fulfilment_status_of(
    ordered: Sequence[int],
    shipped: Sequence[int],
    delivered: Sequence[int],
    returned: Sequence[int],
) -> FulfilmentStatus:
    """The fulfilment status the units per line say (ordered, shipped, delivered, returned).

    Nothing shipped is unfulfilled; a line not shipped in full, partly shipped;
    a unit shipped but not delivered, shipped; every unit delivered and every
    one returned, returned; every unit delivered, delivered.

    >>> fulfilment_status_of([2, 1], [1, 0], [1, 0], [0, 0]).value
    'partly_shipped'
    >>> fulfilment_status_of([2], [2], [2], [2]).value
    'returned'
    """
    if not any(shipped):
        return _F.UNFULFILLED
    if any(s < q for s, q in zip(shipped, ordered, strict=True)):
        return _F.PARTLY_SHIPPED
    if any(d < s for d, s in zip(delivered, shipped, strict=True)):
        return _F.SHIPPED
    if all(r == d for r, d in zip(returned, delivered, strict=True)):
        return _F.RETURNED
    return _F.DELIVERED


# -- documents of the one-status shape -------------------------------------------------

#: The lifecycle of each status of the one-status shape.
_LIFECYCLE_OF_OLD: Final = {
    "placed": _O.OPEN.value,
    "paid": _O.OPEN.value,
    "fulfilled": _O.OPEN.value,
    "partially_refunded": _O.OPEN.value,
    "refunded": _O.OPEN.value,
    "cancelled": _O.CANCELLED.value,
}


def upgrade_order_document(body: Mapping[str, Any]) -> dict[str, Any]:
    """A stored order document of the one-status shape in the present shape (others as they are).

    A document is of the old shape if it holds ``fulfilled_at`` or no
    ``payment_status``. Its status gives the lifecycle (``cancelled`` stays
    cancelled, every other status is open); ``fulfilled_at``, if set, becomes
    one shipment of every unit, shipped and delivered then; the payment and
    fulfilment statuses are left out, to be derived from the payments,
    refunds, shipments and returns as they are loaded. Nothing else changes:
    the loaded order is checked like any other, so a document that was wrong
    before is refused now.

    The work is bounded by the size of the document (its lines are read once).
    """
    if "fulfilled_at" not in body and "payment_status" in body:
        return dict(body)
    upgraded = {key: value for key, value in body.items() if key != "fulfilled_at"}
    status = body.get("status")
    if isinstance(status, str) and status in _LIFECYCLE_OF_OLD:
        upgraded["status"] = _LIFECYCLE_OF_OLD[status]
    fulfilled = body.get("fulfilled_at")
    lines = body.get("lines")
    if fulfilled is not None and "shipments" not in body and isinstance(lines, list):
        units = [
            {"line": index, "quantity": line.get("quantity") if isinstance(line, dict) else None}
            for index, line in enumerate(lines)
        ]
        upgraded["shipments"] = [{"lines": units, "at": fulfilled, "delivered_at": fulfilled}]
    return upgraded
