"""Orders: what a customer bought, paid, got refunded and sent back.

An :class:`Order` holds lines of one currency, the payments made against it,
refunds and returns. Its status follows an explicit machine
(:data:`ORDER_STATUSES`)::

    placed ──► paid ──► fulfilled ──► partially_refunded ──► refunded
      │          │  └──────────────────────┘   │   ▲
      └──────────┴──► cancelled ◄──────────────┘   └── (and straight from paid/fulfilled)

Payments are taken while the order is placed; the one that settles the
balance makes it paid. Refunds never exceed what was paid less what was
already refunded; returns never exceed what was ordered less what was
already returned, and refund the returned lines unless told otherwise.

Reasons given for refunds, returns and cancellations are free text: they stay
in the order and never go into its events.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from datetime import datetime
from decimal import Decimal
from enum import StrEnum
from types import MappingProxyType
from typing import Final, Unpack

import attrs

from crmcore._kernel._aggregate import Command, RepointsCustomer, typed_id
from crmcore._kernel._checks import limit, positive_int, reason_text, type_name
from crmcore._kernel._derived import derived
from crmcore._kernel._events import EventDraft, EventMeta
from crmcore._kernel._ids import CustomerId, OrderId, PaymentId
from crmcore._kernel._money import (
    Money,
    less_nothing,
    money_at_least_zero,
    positive_money,
    same_currency,
    same_decimal,
)
from crmcore._kernel._personal import HoldsPersonalData
from crmcore._kernel._status import StatusMachine
from crmcore._kernel._timeline import TimelineEntry
from crmcore.commerce._order_events import (
    OrderAnonymised,
    OrderCancelled,
    OrderCustomerRepointed,
    OrderFulfilled,
    OrderItemsReturned,
    OrderPaid,
    OrderPaymentFailed,
    OrderPaymentRecorded,
    OrderPlaced,
    OrderRefunded,
)
from crmcore.commerce._order_fields import (
    _order_cancel_reason,
    _order_cancelled_at,
    _order_fulfilled_at,
    _order_lines,
    _order_payments,
    _order_refunds,
    _order_returns,
    _without_reasons,
)
from crmcore.commerce._order_lines import (
    MAX_LINES,
    MAX_QUANTITY,
    MAX_RECORDS,
    ItemReturn,
    OrderLine,
    Refund,
    ReturnedLine,
)
from crmcore.commerce._payments import (
    Payment,
    PaymentMethod,
    PaymentOutcome,
    payment_facts,
    payment_inputs,
)
from crmcore.errors import InvalidType, TransitionNotAllowed, ValidationError


class OrderStatus(StrEnum):
    """Where an order stands."""

    PLACED = "placed"
    PAID = "paid"
    FULFILLED = "fulfilled"
    PARTIALLY_REFUNDED = "partially_refunded"
    REFUNDED = "refunded"
    CANCELLED = "cancelled"


_S = OrderStatus

#: The status machine: the statuses each status may change to. Fulfilling a
#: partially refunded order keeps it partially refunded; cancelling needs an
#: unfulfilled order (:attr:`Order.allowed_statuses` narrows the table for a
#: fulfilled one).
ORDER_STATUSES: Final = StatusMachine(
    "order",
    {
        _S.PLACED: {_S.PAID, _S.CANCELLED},
        _S.PAID: {_S.FULFILLED, _S.PARTIALLY_REFUNDED, _S.REFUNDED, _S.CANCELLED},
        _S.FULFILLED: {_S.PARTIALLY_REFUNDED, _S.REFUNDED},
        _S.PARTIALLY_REFUNDED: {_S.PARTIALLY_REFUNDED, _S.REFUNDED, _S.CANCELLED},
        _S.REFUNDED: set(),
        _S.CANCELLED: set(),
    },
)


# The statuses as constants: the checks of every new order compare them, and an enum
# member looked up on its class costs a few times what a module constant does.
_PLACED: Final = OrderStatus.PLACED
_PAID: Final = OrderStatus.PAID
_FULFILLED: Final = OrderStatus.FULFILLED
_PARTIALLY_REFUNDED: Final = OrderStatus.PARTIALLY_REFUNDED
_REFUNDED: Final = OrderStatus.REFUNDED
_CANCELLED: Final = OrderStatus.CANCELLED

_NOTHING: Final = Decimal(0)
_SUCCEEDED: Final = PaymentOutcome.SUCCEEDED
#: The statuses of an order that was not fulfilled.
_UNFULFILLED: Final = frozenset({OrderStatus.PLACED, OrderStatus.PAID, OrderStatus.CANCELLED})
#: The statuses of an order with nothing refunded.
_UNREFUNDED: Final = frozenset({OrderStatus.PLACED, OrderStatus.PAID, OrderStatus.FULFILLED})


# -- the aggregate -----------------------------------------------------------------------


def _order_status(value: object) -> OrderStatus:
    if type(value) is OrderStatus:
        return value
    return ORDER_STATUSES.parse(value)


def _rounded_share(net: Money, units: int, of: int) -> Money:
    # The refund for the first ``units`` of ``of`` units of a line, in whole minor
    # units. Refunds of successive returns are differences of these, so a line
    # returned in full refunds exactly its net amount, never a cent more or less.
    # Rounding down keeps a partial return from refunding the whole order early
    # (which would leave units that can no longer be returned).
    return (net * units / of).rounded("ROUND_DOWN")


#: A draft of an order's first events, or a function of the new order giving one.
_FirstDraft = EventDraft | Callable[["Order"], EventDraft]


@attrs.frozen(slots=True, kw_only=True, repr=False)
class Order(
    RepointsCustomer[OrderId],
    HoldsPersonalData[OrderId],
    kind="order",
    v1_renames={"placed_at": "created_at"},
):
    """An order: lines, payments, refunds and returns, with a status machine.

    ``Order`` is immutable; every command returns a new order and records
    events in :attr:`pending_events`. A command that fails raises a
    :class:`~crmcore.ValidationError` and changes nothing. Every command takes
    the time it happens at, which must not be before the order's last change
    (:attr:`updated_at`): times never go backwards. Every command also takes
    the envelope keywords ``actor``, ``correlation_id`` and ``causation_id``
    (see :mod:`crmcore.events`).

    Orders also serve the CLV summaries (:func:`crmcore.clv.summarize` reads
    ``customer_id``, ``at`` and ``amount``), loyalty earning and the customer
    timeline (:meth:`timeline_facts`).

    >>> from datetime import datetime, timezone
    >>> from crmcore.commerce import OrderLine, ProductId
    >>> at = datetime(2026, 3, 1, 10, 0, tzinfo=timezone.utc)
    >>> order = Order.place(
    ...     OrderId("o-1"),
    ...     customer_id=CustomerId("c-1"),
    ...     lines=[
    ...         OrderLine(ProductId("sku-1"), 2, Money("15.00", "USD"), category="books"),
    ...         OrderLine(
    ...             ProductId("sku-2"),
    ...             1,
    ...             Money("30.00", "USD"),
    ...             category="games",
    ...             discount=Money("5.00", "USD"),
    ...         ),
    ...     ],
    ...     at=at,
    ... )
    >>> order.subtotal, order.discount, order.total
    (Money('60.00', 'USD'), Money('5.00', 'USD'), Money('55.00', 'USD'))
    >>> order = order.record_payment(PaymentId("p-1"), Money("55.00", "USD"), at=at)
    >>> order = order.fulfil(at=at).return_items({0: 1}, at=at)
    >>> order.status.value, order.amount_refunded, order.net_revenue
    ('partially_refunded', Money('15.00', 'USD'), Money('40.00', 'USD'))
    >>> [event.type for event in order.pending_events]
    ['OrderPlaced', 'OrderPaymentRecorded', 'OrderPaid', 'OrderFulfilled', 'OrderItemsReturned', 'OrderRefunded']
    >>> order.pending_events[-1].event_id
    'order:o-1#6'

    Attributes:
        customer_id: who ordered.
        lines: what was ordered, in one currency.
        status: where the order stands (see :data:`ORDER_STATUSES`).
        payments: every payment and failed attempt, oldest first.
        refunds: every refund, oldest first (with its free-text reason, if any).
        returns: every return, oldest first (with its free-text reason, if any).
        fulfilled_at: when the order was delivered or handed over, if it was.
        cancelled_at: when the order was cancelled, if it was.
        cancel_reason: the reason given for the cancellation, if any (free
            text: it stays here and never goes into an event). The free-text
            reasons are the order's personal data: :meth:`anonymise` erases
            them in any status, keeping lines, amounts, payments and dates.
    """

    _repointed_by = OrderCustomerRepointed
    _customer_fields = ("customer_id",)
    _anonymised_by = OrderAnonymised
    personal_fields = ("cancel_reason", "refund_reasons", "return_reasons")

    # The totals of the lines stay with an order whose lines a command leaves alone.
    derived_inputs = MappingProxyType(
        {"subtotal": ("lines",), "discount": ("lines",), "total": ("lines",)}
    )
    # What _event_fields reads.
    event_field_inputs = frozenset({"id", "customer_id"})

    customer_id: CustomerId = attrs.field(validator=typed_id(CustomerId, "$.customer_id"))
    lines: tuple[OrderLine, ...] = attrs.field(converter=_order_lines, metadata=limit(MAX_LINES))
    status: OrderStatus = attrs.field(default=OrderStatus.PLACED, converter=_order_status)
    payments: tuple[Payment, ...] = attrs.field(
        default=(), converter=_order_payments, metadata=limit(MAX_RECORDS)
    )
    refunds: tuple[Refund, ...] = attrs.field(
        default=(), converter=_order_refunds, metadata=limit(MAX_RECORDS)
    )
    returns: tuple[ItemReturn, ...] = attrs.field(
        default=(), converter=_order_returns, metadata=limit(MAX_RECORDS)
    )
    fulfilled_at: datetime | None = attrs.field(default=None, converter=_order_fulfilled_at)
    cancelled_at: datetime | None = attrs.field(default=None, converter=_order_cancelled_at)
    cancel_reason: str | None = attrs.field(default=None, converter=_order_cancel_reason)

    def _check(self) -> None:
        # The rules in a fixed order, the first broken one reported: payments and
        # refunds, returns, the times and then the amounts each status implies,
        # nothing before the order was placed. What was paid and the total are
        # computed once (and kept: they are derived values) for all of them.
        paid, total = self._check_payments_and_refunds()
        if self.returns:
            self._check_returns()
        self._check_status_times()
        self._check_status_amounts(paid, total)
        self._check_not_before_placed()

    def _check_payments_and_refunds(self) -> tuple[Decimal, Decimal]:
        """Check the payments and refunds; return what was paid and the total (amounts)."""
        # Every amount compared below is in the order's currency, checked first.
        currency = self.currency
        payments = self.payments
        if payments:
            self._check_payments(payments, currency)
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

    @staticmethod
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

    def _check_returns(self) -> None:
        if not self.returns:
            return
        fulfilled = self.fulfilled_at
        if fulfilled is None:
            raise self._mismatch("$.returns", "only a fulfilled order's items can be returned")
        returned = [0] * len(self.lines)
        for index, item in enumerate(self.returns):
            if item.at < fulfilled:
                raise ValidationError(
                    "must not be before the order was fulfilled",
                    path=f"$.returns[{index}].at",
                    code="time_backwards",
                )
            same_currency(item.refund, self.currency, f"$.returns[{index}].refund")
            for position, part in enumerate(item.lines):
                where = f"$.returns[{index}].lines[{position}]"
                if part.line >= len(self.lines):
                    raise ValidationError(
                        "must name a line of the order", path=f"{where}.line", code="no_such_line"
                    )
                returned[part.line] += part.quantity
                if returned[part.line] > self.lines[part.line].quantity:
                    raise ValidationError(
                        "must not return more units than were ordered",
                        path=f"{where}.quantity",
                        code="return_exceeds_ordered",
                    )

    def _check_status_times(self) -> None:
        status, fulfilled = self.status, self.fulfilled_at
        if (status is _FULFILLED and fulfilled is None) or (
            fulfilled is not None and status in _UNFULFILLED
        ):
            raise ValidationError(
                f"does not match the status {self.status.value}",
                path="$.fulfilled_at",
                code="status_mismatch",
            )
        if (status is _CANCELLED) != (self.cancelled_at is not None):
            raise ValidationError(
                f"does not match the status {self.status.value}",
                path="$.cancelled_at",
                code="status_mismatch",
            )
        if self.cancel_reason is not None and status is not _CANCELLED:
            raise ValidationError(
                f"does not match the status {self.status.value}",
                path="$.cancel_reason",
                code="status_mismatch",
            )

    def _check_status_amounts(self, paid: Decimal, total: Decimal) -> None:
        """The amounts a status implies: what the commands leave behind, nothing else.

        The rules are tried in a fixed order and the first broken one is reported.
        Every amount is in the order's currency (checked before), so the plain
        Decimal amounts are compared: ``paid`` and ``total`` are those of
        :attr:`amount_paid` and :attr:`total`.
        """
        status = self.status
        if status is _PLACED and paid >= total:
            raise self._mismatch("$.payments", "an order paid in full is not placed")
        if status is not _PLACED and status is not _CANCELLED and (paid != total):
            raise self._mismatch("$.payments", "payments must add up to the total")
        if not self.refunds and status in _UNREFUNDED:
            return  # nothing refunded, as these statuses require: the rules below hold
        refunded = self.amount_refunded.amount
        if status in _UNREFUNDED:
            raise self._mismatch(
                "$.refunds", "an order with refunds is partially refunded, refunded or cancelled"
            )
        if status is _PARTIALLY_REFUNDED and (refunded == 0 or refunded >= paid):
            raise self._mismatch("$.refunds", "the refunds must add up to part of what was paid")
        if status in (_REFUNDED, _CANCELLED) and refunded != paid:
            raise self._mismatch("$.refunds", "the refunds must add up to what was paid")
        if status is _REFUNDED and paid == 0:
            raise self._mismatch("$.payments", "only money that was paid can be refunded")

    def _mismatch(self, path: str, rule: str) -> ValidationError:
        return ValidationError(
            f"does not match the status {self.status.value}: {rule}",
            path=path,
            code="status_mismatch",
        )

    def _check_not_before_placed(self) -> None:
        placed = self.created_at
        for index, payment in enumerate(self.payments):
            if payment.at < placed:
                self._before_placed(f"$.payments[{index}].at")
        for index, refund in enumerate(self.refunds):
            if refund.at < placed:
                self._before_placed(f"$.refunds[{index}].at")
        for index, item in enumerate(self.returns):
            if item.at < placed:
                self._before_placed(f"$.returns[{index}].at")
        if self.fulfilled_at is not None and self.fulfilled_at < placed:
            self._before_placed("$.fulfilled_at")
        if self.cancelled_at is not None and self.cancelled_at < placed:
            self._before_placed("$.cancelled_at")

    @staticmethod
    def _before_placed(path: str) -> None:
        raise ValidationError(
            "must not be before the order was placed", path=path, code="time_backwards"
        )

    def _recorded_times(self) -> Iterable[datetime]:
        times = [payment.at for payment in self.payments]
        if self.refunds:
            times.extend(refund.at for refund in self.refunds)
        if self.returns:
            times.extend(item.at for item in self.returns)
        if self.fulfilled_at is not None:
            times.append(self.fulfilled_at)
        if self.cancelled_at is not None:
            times.append(self.cancelled_at)
        return times

    def _event_fields(self) -> Mapping[str, object]:
        return {"order_id": self.id, "customer_id": self.customer_id}

    def _tombstones(self, fields: frozenset[str]) -> dict[str, object]:
        changes: dict[str, object] = {"cancel_reason": None} if "cancel_reason" in fields else {}
        if "refund_reasons" in fields:
            changes["refunds"] = _without_reasons(self.refunds)
        if "return_reasons" in fields:
            changes["returns"] = _without_reasons(self.returns)
        return changes

    # -- construction ---------------------------------------------------------------------

    @classmethod
    def place(
        cls,
        order_id: OrderId,
        *,
        customer_id: CustomerId,
        lines: Iterable[OrderLine],
        at: datetime,
        **meta: Unpack[EventMeta],
    ) -> Order:
        """Place an order (version 0) at ``at``; records :class:`OrderPlaced`.

        An order whose total is zero (free items) is paid at once and also
        records :class:`OrderPaid`.

        Raises:
            ValidationError: no lines, a line of another currency
                (``$.lines[i].unit_price``), a naive time, ...
        """
        command = cls._begin_new(at, meta)
        checked = _order_lines(lines)
        # Line nets are never negative, so the total is zero only if every net is.
        free = True
        for line in checked:
            if not line._net_is_zero():  # noqa: SLF001 - a value of this package
                free = False
                break
        drafts: list[_FirstDraft] = [
            lambda order: OrderPlaced.draft(lines=order.lines, total=order.total)
        ]
        if free:
            drafts.append(lambda order: OrderPaid.draft(amount=order.total))
        return cls._create(
            command,
            *drafts,
            id=order_id,
            customer_id=customer_id,
            lines=checked,
            status=_PAID if free else _PLACED,
        )

    @property
    def placed_at(self) -> datetime:
        """When the order was placed (its ``created_at``)."""
        return self.created_at

    @property
    def refund_reasons(self) -> tuple[str | None, ...]:
        """The free-text reason of each refund, in the order of :attr:`refunds`."""
        return tuple(refund.reason for refund in self.refunds)

    @property
    def return_reasons(self) -> tuple[str | None, ...]:
        """The free-text reason of each return, in the order of :attr:`returns`."""
        return tuple(item.reason for item in self.returns)

    # -- totals ---------------------------------------------------------------------------

    # Every total is derived from the order's fields once, when first asked for (its
    # checks ask for most of them while the order is built), and kept with the order.

    @property
    def currency(self) -> str:
        """The order's currency (every line's)."""
        return self.lines[0].unit_price.currency

    def _zero(self) -> Money:
        return Money.zero(self.currency)

    def _paid(self) -> Decimal:
        """What was paid, as the amount of :attr:`amount_paid` (zero without payments)."""
        return self.amount_paid.amount if self.payments else _NOTHING

    def _balance(self) -> Decimal:
        """What is still to pay, as the amount of :attr:`balance_due`, for a placed order."""
        # Without payments that is the total: the total less zero, exactly.
        return self.balance_due.amount if self.payments else self.total.amount

    def _sum(self, amounts: list[Money]) -> Money:
        # Every amount was checked to be in the order's currency on construction.
        if len(amounts) == 1:
            one = amounts[0]
            total = _NOTHING + one.amount  # what sum() gives for one amount
            if same_decimal(total, one.amount):
                return one  # the sum is that one amount, digit for digit: no new Money
            return Money(total, self.currency)
        return Money(sum([money.amount for money in amounts], _NOTHING), self.currency)

    @derived
    def subtotal(self) -> Money:
        """The sum of quantity times unit price over the lines."""
        # A Money of the order's own, as ever: the subtotal is what summaries read (as the
        # order's total and amount), and reading the order's own Money, made with it, was
        # measured faster than reading its line's (bench_summarize). It is made from the
        # lines' gross amounts, the sum _sum gives, so the lines need no gross Money.
        amounts = [line._gross_amount for line in self.lines]  # noqa: SLF001 - same package
        return Money(sum(amounts, _NOTHING), self.currency)

    @derived
    def discount(self) -> Money:
        """The sum of the line discounts."""
        return self._sum([line.discount for line in self.lines if line.discount is not None])

    @derived
    def total(self) -> Money:
        """What the customer owes: subtotal less discounts."""
        lines = self.lines
        for line in lines:
            if line.discount is not None:
                break
        else:
            return less_nothing(self.subtotal)  # no line has a discount: less Decimal(0)
        total = self.subtotal - self.discount
        if len(lines) == 1 and same_decimal(total.amount, lines[0].net.amount):
            return lines[0].net  # the one line's net, digit for digit: keep one Money, not two
        return total

    @derived
    def amount_paid(self) -> Money:
        """The sum of the payments that went through."""
        return self._sum([p.amount for p in self.payments if p.outcome is _SUCCEEDED])

    @derived
    def balance_due(self) -> Money:
        """What is still to pay (zero once paid, and for a cancelled order)."""
        if self.status is _CANCELLED:
            return self._zero()
        return self.total - self.amount_paid

    @derived
    def amount_refunded(self) -> Money:
        """The sum of the refunds."""
        return self._sum([r.amount for r in self.refunds])

    @derived
    def refundable(self) -> Money:
        """What may still be refunded: paid less already refunded."""
        return self.amount_paid - self.amount_refunded

    @property
    def net_revenue(self) -> Money:
        """Money kept: paid less refunded."""
        return self.refundable

    @property
    def is_fulfilled(self) -> bool:
        """True once the order was delivered or handed over."""
        return self.fulfilled_at is not None

    @property
    def is_purchase(self) -> bool:
        """True unless the order was cancelled or refunded in full.

        Feed only purchases to transaction summaries.
        """
        return self.status not in (OrderStatus.CANCELLED, OrderStatus.REFUNDED)

    @property
    def at(self) -> datetime:
        """When the order was placed, its ``created_at`` (the CLV transaction protocol)."""
        return self.created_at

    @derived
    def amount(self) -> Money:
        """The order's net value: total less refunds, zero if cancelled (the CLV protocol)."""
        if self.status is _CANCELLED:
            return self._zero()
        if not self.refunds:  # the total less the zero that nothing refunded adds up to
            return less_nothing(self.total)
        return self.total - self.amount_refunded

    def returned_quantity(self, line: int) -> int:
        """Units of line ``line`` (its index) returned so far."""
        self._line_index(line, "$.line")
        return sum(p.quantity for r in self.returns for p in r.lines if p.line == line)

    def returnable_quantity(self, line: int) -> int:
        """Units of line ``line`` that may still be returned."""
        return self.lines[self._line_index(line, "$.line")].quantity - self.returned_quantity(line)

    @property
    def allowed_statuses(self) -> frozenset[OrderStatus]:
        """The statuses the order may change to now."""
        allowed = set(ORDER_STATUSES.allowed(self.status))
        if self.is_fulfilled:
            allowed -= {OrderStatus.FULFILLED, OrderStatus.CANCELLED}
        return frozenset(allowed)

    # -- timeline -------------------------------------------------------------------------

    def timeline_facts(self) -> tuple[TimelineEntry, ...]:
        """The order's facts for a customer timeline.

        Kinds: ``order`` (placed, fulfilled, cancelled), ``payment``,
        ``payment_failed``, ``refund`` and ``return``. Keys start with the
        order id, so facts of one order stay together and never collide.
        """
        oid = self.id.value
        units = sum(line.quantity for line in self.lines)
        facts = [
            self._fact(
                self.created_at,
                "order",
                oid,
                f"order {oid} placed: {units} unit(s), {self.total.rounded()}",
            )
        ]
        facts.extend(payment_facts(self.payments, self._fact, oid, f"order {oid}"))
        if self.fulfilled_at is not None:
            facts.append(
                self._fact(self.fulfilled_at, "order", f"{oid}/fulfilled", f"order {oid} fulfilled")
            )
        if self.cancelled_at is not None:
            facts.append(
                self._fact(self.cancelled_at, "order", f"{oid}/cancelled", f"order {oid} cancelled")
            )
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
                    f"{item.quantity} unit(s) of order {oid} returned",
                )
            )
        return tuple(facts)

    # -- commands -------------------------------------------------------------------------

    def _refused(self, rule: str, wanted: OrderStatus | None = None) -> TransitionNotAllowed:
        """A status refusal that is not a plain move of the machine (no payments, no returns)."""
        return TransitionNotAllowed(
            rule,
            path="$.status",
            machine=ORDER_STATUSES.name,
            current=self.status.value,
            wanted=None if wanted is None else wanted.value,
            allowed=tuple(sorted(s.value for s in self.allowed_statuses)),
        )

    def _check_move(self, target: OrderStatus) -> None:
        ORDER_STATUSES.check(self.status, target, allowed=self.allowed_statuses)

    def _line_index(self, line: object, path: str) -> int:
        if isinstance(line, bool) or not isinstance(line, int):
            raise InvalidType(f"must be a line index (int), not {type_name(line)}", path=path)
        if not 0 <= line < len(self.lines):
            raise ValidationError("must name a line of the order", path=path, code="no_such_line")
        return line

    def _payment(
        self,
        payment_id: PaymentId,
        amount: Money,
        *,
        at: object,
        meta: Mapping[str, object],
        method: PaymentMethod | str | None,
        outcome: PaymentOutcome,
        reason: str | None = None,
    ) -> tuple[Command, Payment, Decimal]:
        """The command and the payment of a payment command, and the balance due before it."""
        checked_id, money, checked_method, code = payment_inputs(
            payment_id, amount, self.currency, method, reason
        )
        command = self._begin(at, meta)
        if self.status is not _PLACED:
            raise self._refused(
                f"an order that is {self.status.value} takes no payments; "
                "payments are taken while it is placed"
            )
        balance = self._balance()
        if money.amount > balance:  # of one currency, checked above
            raise ValidationError(
                "must not exceed the balance due", path="$.amount", code="overpayment"
            )
        if self.payments and any(p.id == checked_id for p in self.payments):
            raise ValidationError(
                "must not repeat a payment of this order", path="$.payment_id", code="duplicate"
            )
        total = self.total
        if type(money) is Money and not self.payments and same_decimal(money.amount, total.amount):
            # The whole total at once, as most orders are paid: the payment holds the
            # order's total, the same Money digit for digit, rather than a second one.
            money = total
        payment = Payment._of_checked(  # noqa: SLF001 - checked just above
            id=checked_id,
            amount=money,
            at=command.at,
            outcome=outcome,
            method=checked_method,
            failure_reason=code,
        )
        return command, payment, balance

    def record_payment(
        self,
        payment_id: PaymentId,
        amount: Money,
        *,
        at: datetime,
        method: PaymentMethod | str | None = None,
        **meta: Unpack[EventMeta],
    ) -> Order:
        """Record a payment that went through; records :class:`OrderPaymentRecorded`.

        The payment that settles the balance makes the order paid and also
        records :class:`OrderPaid`.

        Raises:
            TransitionNotAllowed: the order is not placed (``$.status``, code
                ``transition``).
            ValidationError: the amount is not positive, of another currency,
                or above the balance due (``$.amount``), the payment id was
                used already, or ``at`` is before the last change.
        """
        command, payment, balance = self._payment(
            payment_id,
            amount,
            at=at,
            meta=meta,
            method=method,
            outcome=PaymentOutcome.SUCCEEDED,
        )
        drafts = [OrderPaymentRecorded.draft(payment=payment)]
        status = self.status
        if payment.amount.amount == balance:
            status = _PAID
            drafts.append(OrderPaid.draft(amount=self.total))
        return self._record(command, *drafts, payments=(*self.payments, payment), status=status)

    def record_failed_payment(
        self,
        payment_id: PaymentId,
        amount: Money,
        *,
        at: datetime,
        method: PaymentMethod | str | None = None,
        reason: str | None = None,
        **meta: Unpack[EventMeta],
    ) -> Order:
        """Record a failed attempt to pay; records :class:`OrderPaymentFailed`.

        ``reason`` is a snake_case code (``"card_declined"``), kept as the
        payment's ``failure_reason``.

        Raises:
            TransitionNotAllowed: the order is not placed (``$.status``).
            ValidationError: as for :meth:`record_payment`, or a ``reason``
                that is not a snake_case code (``$.reason``).
        """
        command, payment, _ = self._payment(
            payment_id,
            amount,
            at=at,
            meta=meta,
            method=method,
            outcome=PaymentOutcome.FAILED,
            reason=reason,
        )
        draft = OrderPaymentFailed.draft(payment=payment)
        return self._record(command, draft, payments=(*self.payments, payment))

    def fulfil(self, *, at: datetime, **meta: Unpack[EventMeta]) -> Order:
        """Mark the order delivered or handed over; records :class:`OrderFulfilled`.

        Raises:
            TransitionNotAllowed: the order is not paid, or already fulfilled
                (``$.status``, code ``transition``).
        """
        command = self._begin(at, meta)
        if self.is_fulfilled:
            raise self._refused("the order is already fulfilled", OrderStatus.FULFILLED)
        status = self.status
        if status is not OrderStatus.PARTIALLY_REFUNDED:
            self._check_move(OrderStatus.FULFILLED)
            status = OrderStatus.FULFILLED
        return self._record(command, OrderFulfilled.draft(), status=status, fulfilled_at=command.at)

    def cancel(
        self, *, at: datetime, reason: str | None = None, **meta: Unpack[EventMeta]
    ) -> Order:
        """Cancel an unfulfilled order, refunding whatever was paid.

        Records :class:`OrderRefunded` (when money is given back) and
        :class:`OrderCancelled`. The ``reason`` (free text) is kept as
        :attr:`cancel_reason` (and with the refund), never in the events.

        Raises:
            TransitionNotAllowed: the order is fulfilled, refunded or already
                cancelled (``$.status``, code ``transition``).
        """
        text = reason_text(reason, "$.reason")
        command = self._begin(at, meta)
        self._check_move(OrderStatus.CANCELLED)
        drafts: list[EventDraft] = []
        refunds = self.refunds
        if not self.refundable.is_zero():
            refund = Refund(amount=self.refundable, at=command.at, reason=text)
            refunds = (*refunds, refund)
            drafts.append(
                OrderRefunded.draft(amount=refund.amount, refunded_total=self.amount_paid)
            )
        drafts.append(OrderCancelled.draft())
        return self._record(
            command,
            *drafts,
            status=OrderStatus.CANCELLED,
            cancelled_at=command.at,
            cancel_reason=text,
            refunds=refunds,
        )

    def _refund_status(self, refunded_after: Money) -> OrderStatus:
        if refunded_after == self.amount_paid:
            return OrderStatus.REFUNDED
        return OrderStatus.PARTIALLY_REFUNDED

    def refund(
        self,
        amount: Money,
        *,
        at: datetime,
        reason: str | None = None,
        **meta: Unpack[EventMeta],
    ) -> Order:
        """Give money back; records :class:`OrderRefunded`.

        The order becomes refunded when everything paid has been refunded,
        partially refunded otherwise. The ``reason`` (free text) is kept in
        :attr:`refunds`, never in the event.

        Raises:
            TransitionNotAllowed: the status allows no refund (``$.status``).
            ValidationError: the amount is not positive, of another currency,
                or more than was paid less what was already refunded (``$.amount``).
        """
        money = same_currency(positive_money(amount, "$.amount"), self.currency, "$.amount")
        text = reason_text(reason, "$.reason")
        command = self._begin(at, meta)
        if money > self.refundable:
            self._check_move(OrderStatus.PARTIALLY_REFUNDED)
            raise ValidationError(
                "must not exceed what was paid less what was already refunded",
                path="$.amount",
                code="refund_exceeds_paid",
            )
        after = self.amount_refunded + money
        status = self._refund_status(after)
        self._check_move(status)
        refund = Refund(amount=money, at=command.at, reason=text)
        draft = OrderRefunded.draft(amount=money, refunded_total=after)
        return self._record(command, draft, status=status, refunds=(*self.refunds, refund))

    def return_items(
        self,
        quantities: Mapping[int, int],
        *,
        at: datetime,
        refund: Money | None = None,
        reason: str | None = None,
        **meta: Unpack[EventMeta],
    ) -> Order:
        """Take back units of fulfilled lines: ``{line index: units}``.

        Records :class:`OrderItemsReturned`, then :class:`OrderRefunded` if
        money goes back. Without ``refund``, the returned units' share of their
        lines' net amounts is refunded (in whole minor units, so a line
        returned in full refunds exactly its net amount), capped at what is
        still refundable. Pass ``refund=Money(0, ...)`` for an exchange. The
        ``reason`` (free text) is kept in :attr:`returns`, never in the events.

        Raises:
            TransitionNotAllowed: the order is not fulfilled or is refunded in
                full (``$.status``, code ``transition``).
            ValidationError: a line index or quantity is wrong or more than
                may still be returned (``$.quantities[i]``); the refund is more
                than may still be refunded (``$.refund``).
        """
        text = reason_text(reason, "$.reason")
        command = self._begin(at, meta)
        if not self.is_fulfilled:
            raise self._refused("only a fulfilled order's items can be returned")
        if self.status not in (OrderStatus.FULFILLED, OrderStatus.PARTIALLY_REFUNDED):
            raise self._refused(f"an order that is {self.status.value} takes no returns")
        parts = self._return_lines(quantities)
        if refund is None:
            money = self._zero()
            for part in parts:
                line = self.lines[part.line]
                before = self.returned_quantity(part.line)
                money += _rounded_share(
                    line.net, before + part.quantity, line.quantity
                ) - _rounded_share(line.net, before, line.quantity)
            money = min(money, self.refundable)
        else:
            money = same_currency(
                money_at_least_zero(refund, "$.refund"), self.currency, "$.refund"
            )
            if money > self.refundable:
                raise ValidationError(
                    "must not exceed what was paid less what was already refunded",
                    path="$.refund",
                    code="refund_exceeds_paid",
                )
        returned = ItemReturn(lines=parts, at=command.at, refund=money, reason=text)
        drafts = [OrderItemsReturned.draft(lines=parts, refund=money)]
        changes: dict[str, object] = {"returns": (*self.returns, returned)}
        if not money.is_zero():
            after = self.amount_refunded + money
            status = self._refund_status(after)
            self._check_move(status)
            given = Refund(amount=money, at=command.at, reason=text)
            drafts.append(OrderRefunded.draft(amount=money, refunded_total=after))
            changes.update(status=status, refunds=(*self.refunds, given))
        return self._record(command, *drafts, **changes)

    def _return_lines(self, quantities: object) -> tuple[ReturnedLine, ...]:
        if not isinstance(quantities, Mapping):
            raise InvalidType(
                f"must be a mapping of line index to units, not {type_name(quantities)}",
                path="$.quantities",
            )
        if not quantities:
            raise ValidationError(
                "must return at least one unit", path="$.quantities", code="empty"
            )
        parts: list[ReturnedLine] = []
        for line, units in sorted(quantities.items(), key=lambda kv: repr(kv[0])):
            path = f"$.quantities[{line!r}]" if isinstance(line, int) else "$.quantities[*]"
            index = self._line_index(line, path)
            count = positive_int(units, path, maximum=MAX_QUANTITY)
            if count > self.returnable_quantity(index):
                raise ValidationError(
                    "must not be more than was ordered less what was already returned",
                    path=path,
                    code="return_exceeds_ordered",
                )
            parts.append(ReturnedLine(index, count))
        parts.sort(key=lambda p: p.line)
        return tuple(parts)

    def __repr__(self) -> str:
        return (
            f"Order(id={self.id!r}, customer_id={self.customer_id!r}, "
            f"status={self.status.value!r}, lines={len(self.lines)}, total={self.total!r}, "
            f"version={self.version}, pending_events={len(self.pending_events)})"
        )
