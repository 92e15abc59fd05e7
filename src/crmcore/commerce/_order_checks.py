"""The checks and timeline facts of an :class:`~crmcore.commerce.Order` that read it whole.

Functions of the order rather than its methods, so that the aggregate's
module holds its fields and commands: the statuses its data implies (also the
defaults of a document stored before the states were split), the rules of its
lifecycle, and its facts for a customer timeline.
"""

from __future__ import annotations

from collections.abc import Iterable
from decimal import Decimal
from typing import TYPE_CHECKING, Any, Final

from crmcore._kernel._ids import PaymentId
from crmcore._kernel._money import Money, same_currency
from crmcore._kernel._timeline import TimelineEntry
from crmcore.commerce._order_fulfilment import delivered_units, returned_units, shipped_units
from crmcore.commerce._order_states import (
    PAYMENT_STATUSES,
    FulfilmentStatus,
    OrderStatus,
    PaymentStatus,
    fulfilment_status_of,
    payment_status_of,
)
from crmcore.commerce._payments import Payment, PaymentOutcome, payment_facts
from crmcore.errors import TransitionNotAllowed, ValidationError

if TYPE_CHECKING:
    from crmcore.commerce._orders import Order

_NOTHING: Final = Decimal(0)
_SUCCEEDED: Final = PaymentOutcome.SUCCEEDED
_CANCELLED: Final = OrderStatus.CANCELLED
_CLOSED: Final = OrderStatus.CLOSED


def _units(count: int) -> str:
    """``1 unit``, ``6 units``: a timeline summary's quantity."""
    return f"{count} unit" if count == 1 else f"{count} units"


def _amounts(items: Iterable[Any]) -> Decimal:
    # The amounts of payments or refunds as given (their currencies are checked later).
    total = _NOTHING
    for item in items:
        amount = getattr(item, "amount", None)
        if isinstance(amount, Money) and getattr(item, "outcome", _SUCCEEDED) is _SUCCEEDED:
            total += amount.amount
    return total


def status_from_payments(order: Order) -> PaymentStatus:
    """The payment status an order's payments and refunds say (a document that leaves it out)."""
    lines = order.lines
    total = sum((line.total.amount for line in lines), _NOTHING)
    return payment_status_of(_amounts(order.payments), _amounts(order.refunds), total)


def status_from_units(order: Order) -> FulfilmentStatus:
    """The fulfilment status an order's shipments and returns say (a document that leaves it out)."""
    count = len(order.lines)
    return fulfilment_status_of(
        [line.quantity for line in order.lines],
        shipped_units(count, order.shipments),
        delivered_units(count, order.shipments),
        returned_units(count, order.returns),
    )


def check_payments_and_refunds(self: Order) -> tuple[Decimal, Decimal]:
    """Check the payments and refunds; return what was paid and the total (amounts)."""
    # Every amount compared below is in the order's currency, checked first.
    currency = self.currency
    payments = self.payments
    if payments:
        _check_payments(payments, currency)
        paid = self.amount_paid.amount
    else:
        paid = _NOTHING
    total = self.total.amount
    if paid > total:
        raise ValidationError(
            "must not add up to more than the order total", path="$.payments", code="overpaid"
        )
    refunds = self.refunds
    if refunds:
        for index, refund in enumerate(refunds):
            if refund.amount.currency != currency:
                same_currency(refund.amount, currency, f"$.refunds[{index}].amount")
        if self.amount_refunded.amount > paid:
            raise ValidationError(
                "must not add up to more than was paid",
                path="$.refunds",
                code="refund_exceeds_paid",
            )
    return paid, total


def _check_payments(payments: tuple[Payment, ...], currency: str) -> None:
    """Every payment in ``currency``, no payment id twice (the first broken rule raises)."""
    if len(payments) == 1:  # one payment: its currency is all there is to check
        if payments[0].amount.currency != currency:
            same_currency(payments[0].amount, currency, "$.payments[0].amount")
        return
    ids: set[PaymentId] = set()
    for index, payment in enumerate(payments):
        if payment.amount.currency != currency:
            same_currency(payment.amount, currency, f"$.payments[{index}].amount")
        if payment.id in ids:
            raise ValidationError(
                "must not repeat a payment id",
                path=f"$.payments[{index}].id",
                code="duplicate",
            )
        ids.add(payment.id)


def has_shipments_out(self: Order) -> bool:
    """True if a shipment of the order went out and did not come back undelivered."""
    return any(shipment.returned_at is None for shipment in self.shipments)


def check_lifecycle(self: Order, paid: Decimal) -> None:
    """The lifecycle's times and reason, and what a cancelled order must hold."""
    status = self.status
    for field, holds in (
        ("cancelled_at", status is _CANCELLED),
        ("closed_at", status is _CLOSED),
    ):
        if (getattr(self, field) is not None) != holds:
            raise ValidationError(
                f"does not match the status {status.value}",
                path=f"$.{field}",
                code="status_mismatch",
            )
    if self.cancel_reason is not None and status is not _CANCELLED:
        raise ValidationError(
            f"does not match the status {status.value}",
            path="$.cancel_reason",
            code="status_mismatch",
        )
    if status is _CANCELLED:
        if self.shipments and has_shipments_out(self):
            raise _mismatch(
                self, "$.shipments", "a cancelled order shipped nothing that did not come back"
            )
        if self.refunds and self.amount_refunded.amount != paid:
            raise _mismatch(self, "$.refunds", "the refunds must add up to what was paid")
        if not self.refunds and paid != 0:
            raise _mismatch(self, "$.refunds", "the refunds must add up to what was paid")


def check_states(self: Order, paid: Decimal, total: Decimal) -> None:
    """The payment and fulfilment statuses must be what the amounts and units say."""
    refunded = self.amount_refunded.amount if self.refunds else _NOTHING
    says = payment_status_of(paid, refunded, total)
    if self.payment_status is not says:
        raise ValidationError(
            f"must be {says.value}, what the payments and refunds say",
            path="$.payment_status",
            code="status_mismatch",
        )
    units = status_from_units(self) if self.shipments else FulfilmentStatus.UNFULFILLED
    if self.fulfilment_status is not units:
        raise ValidationError(
            f"must be {units.value}, what the shipments and returns say",
            path="$.fulfilment_status",
            code="status_mismatch",
        )


def _mismatch(self: Order, path: str, rule: str) -> ValidationError:
    return ValidationError(
        f"does not match the status {self.status.value}: {rule}",
        path=path,
        code="status_mismatch",
    )


def check_not_before_placed(self: Order) -> None:
    """No payment, refund, return or lifecycle time before the order was placed."""
    placed = self.created_at
    for index, payment in enumerate(self.payments):
        if payment.at < placed:
            _before_placed(f"$.payments[{index}].at")
    for index, refund in enumerate(self.refunds):
        if refund.at < placed:
            _before_placed(f"$.refunds[{index}].at")
    for index, item in enumerate(self.returns):
        if item.at < placed:
            _before_placed(f"$.returns[{index}].at")
    for field in ("closed_at", "cancelled_at"):
        when = getattr(self, field)
        if when is not None and when < placed:
            _before_placed(f"$.{field}")


def _before_placed(path: str) -> None:
    raise ValidationError(
        "must not be before the order was placed", path=path, code="time_backwards"
    )


def order_facts(self: Order) -> tuple[TimelineEntry, ...]:
    """The order's facts for a customer timeline.

    Kinds: ``order`` (placed, each shipment sent and delivered, fulfilled,
    closed, cancelled), ``payment``, ``payment_failed``, ``refund`` and
    ``return``. Keys start with the order id, so facts of one order stay
    together and never collide.
    """
    oid = self.id.value
    units = sum(line.quantity for line in self.lines)
    facts = [
        self._fact(
            self.created_at,
            "order",
            oid,
            f"order {oid} placed: {_units(units)}, {self.total.rounded()}",
        )
    ]
    facts.extend(payment_facts(self.payments, self._fact, oid, f"order {oid}"))
    for number, shipment in enumerate(self.shipments, start=1):
        facts.append(
            self._fact(
                shipment.at,
                "order",
                f"{oid}/shipment/{number}",
                f"{_units(shipment.quantity)} of order {oid} shipped",
            )
        )
        if shipment.delivered_at is not None:
            facts.append(
                self._fact(
                    shipment.delivered_at,
                    "order",
                    f"{oid}/shipment/{number}/delivered",
                    f"{_units(shipment.quantity)} of order {oid} delivered",
                )
            )
        if shipment.returned_at is not None:
            facts.append(
                self._fact(
                    shipment.returned_at,
                    "order",
                    f"{oid}/shipment/{number}/returned",
                    f"{_units(shipment.quantity)} of order {oid} returned to the sender",
                )
            )
    fulfilled = self.fulfilled_at
    if fulfilled is not None:
        facts.append(self._fact(fulfilled, "order", f"{oid}/fulfilled", f"order {oid} fulfilled"))
    for field, word in (("closed_at", "closed"), ("cancelled_at", "cancelled")):
        when = getattr(self, field)
        if when is not None:
            facts.append(self._fact(when, "order", f"{oid}/{word}", f"order {oid} {word}"))
    for number, refund in enumerate(self.refunds, start=1):
        facts.append(
            self._fact(
                refund.at,
                "refund",
                f"{oid}/refund/{number}",
                f"refund of {refund.amount.rounded()} for order {oid}",
            )
        )
    for number, item in enumerate(self.returns, start=1):
        facts.append(
            self._fact(
                item.at,
                "return",
                f"{oid}/return/{number}",
                f"{_units(item.quantity)} of order {oid} returned",
            )
        )
    return tuple(facts)


def payment_refusal(order: Order, rule: str) -> TransitionNotAllowed:
    """A payment or refund the order's payment status does not allow (nothing due, nothing to refund)."""
    current = order.payment_status
    return TransitionNotAllowed(
        f"an order that is {current.value} {rule}",
        path="$.payment_status",
        machine=PAYMENT_STATUSES.name,
        current=current.value,
        wanted=None,
        allowed=tuple(sorted(s.value for s in PAYMENT_STATUSES.allowed(current))),
    )
