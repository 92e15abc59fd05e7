"""Orders: what a customer bought, paid, was sent, got refunded and sent back.

An :class:`Order` holds lines of one currency, the payments made against it,
its shipments, refunds and returns. It has three statuses, each with its own
machine (see :mod:`crmcore.commerce._order_states`): its lifecycle
(:class:`OrderStatus`: open, closed, cancelled), its payment
(:class:`PaymentStatus`) and its fulfilment (:class:`FulfilmentStatus`).
Money and goods move independently: an order may be paid before it ships or
after it is delivered (cash on delivery).

Payments are taken while the order is open and has a balance due. Refunds
never exceed what was paid less what was already refunded; shipments never
exceed what was ordered, returns never exceed what was delivered less what
was already returned, and refund the returned lines (their tax included)
unless told otherwise.

Reasons given for refunds, returns and cancellations are free text: they stay
in the order and never go into its events.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from datetime import datetime
from decimal import Decimal
from types import MappingProxyType
from typing import Any, Final, Unpack

import attrs

from crmcore._kernel._aggregate import Command, RepointsCustomer, typed_id
from crmcore._kernel._checks import limit, reason_text
from crmcore._kernel._derived import derived
from crmcore._kernel._events import EventDraft, EventMeta
from crmcore._kernel._ids import CustomerId, OrderId, PaymentId
from crmcore._kernel._money import (
    Money,
    less_nothing,
    positive_money,
    same_currency,
    same_decimal,
)
from crmcore._kernel._personal import HoldsPersonalData
from crmcore._kernel._timeline import TimelineEntry
from crmcore.commerce._order_checks import (
    check_lifecycle,
    check_not_before_placed,
    check_payments_and_refunds,
    check_states,
    has_shipments_out,
    order_facts,
    payment_refusal,
    status_from_payments,
    status_from_units,
)
from crmcore.commerce._order_events import (
    OrderAnonymised,
    OrderCancelled,
    OrderClosed,
    OrderCustomerRepointed,
    OrderPaid,
    OrderPaymentFailed,
    OrderPaymentRecorded,
    OrderPlaced,
    OrderRefunded,
    OrderReopened,
)
from crmcore.commerce._order_fields import (
    _order_cancel_reason,
    _order_cancelled_at,
    _order_closed_at,
    _order_lines,
    _order_payments,
    _order_refunds,
    _order_returns,
    _order_shipments,
    _without_reasons,
)
from crmcore.commerce._order_fulfilment import (
    check_returns,
    check_shipments,
    delivered_units,
    delivering,
    line_index,
    returned_units,
    returning,
    sending_back,
    shipped_units,
    shipping,
)
from crmcore.commerce._order_fulfilment import refused as _fulfilment_refused
from crmcore.commerce._order_lines import (
    MAX_LINES,
    MAX_RECORDS,
    ItemReturn,
    OrderLine,
    Refund,
    Shipment,
)
from crmcore.commerce._order_states import (
    FULFILMENT_STATUSES,
    ORDER_STATUSES,
    PAYMENT_STATUSES,
    FulfilmentStatus,
    OrderStatus,
    PaymentStatus,
    payment_status_of,
    upgrade_order_document,
)
from crmcore.commerce._payments import (
    Payment,
    PaymentMethod,
    PaymentOutcome,
    payment_inputs,
)
from crmcore.errors import TransitionNotAllowed, ValidationError

_OPEN: Final = OrderStatus.OPEN
_CLOSED: Final = OrderStatus.CLOSED
_CANCELLED: Final = OrderStatus.CANCELLED

_NOTHING: Final = Decimal(0)
_SUCCEEDED: Final = PaymentOutcome.SUCCEEDED
#: The fulfilment statuses of an order whose every unit was delivered.
_ALL_DELIVERED: Final = frozenset({FulfilmentStatus.DELIVERED, FulfilmentStatus.RETURNED})


# -- the aggregate -----------------------------------------------------------------------


def _order_status(value: object) -> OrderStatus:
    if type(value) is OrderStatus:
        return value
    return ORDER_STATUSES.parse(value)


def _payment_status(value: object) -> PaymentStatus:
    if type(value) is PaymentStatus:
        return value
    return PAYMENT_STATUSES.parse(value, "$.payment_status")


def _fulfilment_status(value: object) -> FulfilmentStatus:
    if type(value) is FulfilmentStatus:
        return value
    return FULFILMENT_STATUSES.parse(value, "$.fulfilment_status")


#: A draft of an order's first events, or a function of the new order giving one.
_FirstDraft = EventDraft | Callable[["Order"], EventDraft]


@attrs.frozen(slots=True, kw_only=True, repr=False)
class Order(
    RepointsCustomer[OrderId],
    HoldsPersonalData[OrderId],
    kind="order",
    v1_renames={"placed_at": "created_at"},
):
    """An order: lines, payments, shipments, refunds and returns, with three statuses.

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
    ...             tax=Money("2.50", "USD"),
    ...         ),
    ...     ],
    ...     at=at,
    ... )
    >>> order.subtotal, order.discount, order.tax, order.total
    (Money('60.00', 'USD'), Money('5.00', 'USD'), Money('2.50', 'USD'), Money('57.50', 'USD'))

    Cash on delivery: deliver first, take the money at the door.

    >>> order = order.fulfil(at=at)
    >>> order.status.value, order.fulfilment_status.value, order.payment_status.value
    ('open', 'delivered', 'unpaid')
    >>> order = order.record_payment(PaymentId("p-1"), Money("57.50", "USD"), at=at)
    >>> order = order.return_items({0: 1}, at=at)
    >>> order.payment_status.value, order.amount_refunded, order.net_revenue
    ('partly_refunded', Money('15.00', 'USD'), Money('42.50', 'USD'))
    >>> [event.type for event in order.pending_events]  # doctest: +NORMALIZE_WHITESPACE
    ['OrderPlaced', 'OrderShipped', 'OrderDelivered', 'OrderFulfilled', 'OrderPaymentRecorded',
     'OrderPaid', 'OrderItemsReturned', 'OrderRefunded']

    Attributes:
        customer_id: who ordered.
        lines: what was ordered, in one currency.
        status: the order's lifecycle (see :data:`ORDER_STATUSES`).
        payment_status: what was paid and refunded (see :data:`PAYMENT_STATUSES`).
        fulfilment_status: where the goods are (see :data:`FULFILMENT_STATUSES`).
        payments: every payment and failed attempt, oldest first.
        shipments: every shipment, oldest first (each with its delivery time, once delivered).
        refunds: every refund, oldest first (with its free-text reason, if any).
        returns: every return, oldest first (with its free-text reason, if any).
        closed_at: when the order was closed, while it is.
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
        {
            "subtotal": ("lines",),
            "discount": ("lines",),
            "total": ("lines",),
        }
    )
    # What _event_fields reads.
    event_field_inputs = frozenset({"id", "customer_id"})

    customer_id: CustomerId = attrs.field(validator=typed_id(CustomerId, "$.customer_id"))
    lines: tuple[OrderLine, ...] = attrs.field(converter=_order_lines, metadata=limit(MAX_LINES))
    status: OrderStatus = attrs.field(default=OrderStatus.OPEN, converter=_order_status)
    payments: tuple[Payment, ...] = attrs.field(
        default=(), converter=_order_payments, metadata=limit(MAX_RECORDS)
    )
    refunds: tuple[Refund, ...] = attrs.field(
        default=(), converter=_order_refunds, metadata=limit(MAX_RECORDS)
    )
    returns: tuple[ItemReturn, ...] = attrs.field(
        default=(), converter=_order_returns, metadata=limit(MAX_RECORDS)
    )
    shipments: tuple[Shipment, ...] = attrs.field(
        default=(), converter=_order_shipments, metadata=limit(MAX_RECORDS)
    )
    # Left out (a document stored before the states were split), each is what the
    # order's data says; given, it must say the same.
    payment_status: PaymentStatus = attrs.field(
        default=attrs.Factory(status_from_payments, takes_self=True), converter=_payment_status
    )
    fulfilment_status: FulfilmentStatus = attrs.field(
        default=attrs.Factory(status_from_units, takes_self=True),
        converter=_fulfilment_status,
    )
    closed_at: datetime | None = attrs.field(default=None, converter=_order_closed_at)
    cancelled_at: datetime | None = attrs.field(default=None, converter=_order_cancelled_at)
    cancel_reason: str | None = attrs.field(default=None, converter=_order_cancel_reason)

    @classmethod
    def _upgrade_document(cls, body: dict[str, Any]) -> dict[str, Any]:
        """A stored order document of an older shape in the present one (see :func:`upgrade_order_document`).

        For :func:`crmcore.serialization.from_dict`, which reads every order
        document through it: documents of the one-status shape (``placed``,
        ``paid``, ``fulfilled``, ``partially_refunded``, ``refunded``,
        ``cancelled``, with ``fulfilled_at``) load with their lifecycle,
        payment and fulfilment statuses.
        """
        return upgrade_order_document(body)

    def _check(self) -> None:
        # The rules in a fixed order, the first broken one reported: payments and
        # refunds, shipments, returns, the lifecycle's times, the states the data
        # implies, nothing before the order was placed.
        paid, total = check_payments_and_refunds(self)
        if self.shipments:
            check_shipments(self)
        if self.returns:
            check_returns(self)
        check_lifecycle(self, paid)
        check_states(self, paid, total)
        check_not_before_placed(self)

    def _recorded_times(self) -> Iterable[datetime]:
        times = [payment.at for payment in self.payments]
        if self.refunds:
            times.extend(refund.at for refund in self.refunds)
        if self.returns:
            times.extend(item.at for item in self.returns)
        for shipment in self.shipments:
            times.append(shipment.at)
            if shipment.delivered_at is not None:
                times.append(shipment.delivered_at)
            if shipment.returned_at is not None:
                times.append(shipment.returned_at)
        if self.closed_at is not None:
            times.append(self.closed_at)
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

        The order is open, unpaid and unfulfilled. An order whose total is
        zero (free items, no tax) is paid at once and also records
        :class:`OrderPaid`.

        Raises:
            ValidationError: no lines, a line of another currency
                (``$.lines[i].unit_price``), a naive time, ...
        """
        command = cls._begin_new(at, meta)
        checked = _order_lines(lines)
        # Line nets and taxes are never negative, so the total is zero only if each is.
        free = True
        for line in checked:
            if not line._net_is_zero() or (line.tax is not None and not line.tax.is_zero()):  # noqa: SLF001 - a value of this package
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
            status=_OPEN,
            payment_status=PaymentStatus.PAID if free else PaymentStatus.UNPAID,
            fulfilment_status=FulfilmentStatus.UNFULFILLED,
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

    @property
    def tax(self) -> Money:
        """The sum of the line taxes (zero if no line is taxed)."""
        return self._sum([line.tax for line in self.lines if line.tax is not None])

    @derived
    def total(self) -> Money:
        """What the customer owes: subtotal less discounts plus tax."""
        lines = self.lines
        for line in lines:
            if line.discount is not None or line.tax is not None:
                break
        else:
            return less_nothing(self.subtotal)  # no discount and no tax: less Decimal(0)
        total = self.subtotal - self.discount + self.tax
        if len(lines) == 1 and same_decimal(total.amount, lines[0].total.amount):
            return lines[0].total  # the one line's total, digit for digit: keep one Money
        return total

    @derived
    def amount_paid(self) -> Money:
        """The sum of the payments that went through."""
        return self._sum([p.amount for p in self.payments if p.outcome is _SUCCEEDED])

    @derived
    def balance_due(self) -> Money:
        """What is still to pay (zero once paid in full, and for a cancelled order).

        Refunds do not add to it: money given back is not owed again.
        """
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
        """True once every unit was delivered or handed over (returned units included)."""
        return self.fulfilment_status in _ALL_DELIVERED

    @property
    def fulfilled_at(self) -> datetime | None:
        """When the last unit was delivered, once every unit was; ``None`` before."""
        if not self.is_fulfilled:
            return None
        return max(s.delivered_at for s in self.shipments if s.delivered_at is not None)

    @property
    def is_paid(self) -> bool:
        """True if the payments cover the total (paid, or partly refunded after that), and not cancelled."""
        return (
            self.status is not _CANCELLED
            and self.payment_status in (PaymentStatus.PAID, PaymentStatus.PARTLY_REFUNDED)
            and self.balance_due.is_zero()
        )

    @property
    def is_purchase(self) -> bool:
        """True unless the order was cancelled or everything paid for it was refunded.

        An unpaid or partly paid order counts (cash on delivery: delivered,
        money still to come), as does one paid and partly refunded. Feed only
        purchases to transaction summaries.
        """
        return self.status is not _CANCELLED and self.payment_status is not PaymentStatus.REFUNDED

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

    def shipped_quantity(self, line: int) -> int:
        """Units of line ``line`` (its index) shipped so far."""
        index = line_index(self, line, "$.line")
        return shipped_units(len(self.lines), self.shipments)[index]

    def delivered_quantity(self, line: int) -> int:
        """Units of line ``line`` (its index) delivered so far."""
        index = line_index(self, line, "$.line")
        return delivered_units(len(self.lines), self.shipments)[index]

    def returned_quantity(self, line: int) -> int:
        """Units of line ``line`` (its index) returned so far."""
        index = line_index(self, line, "$.line")
        return returned_units(len(self.lines), self.returns)[index]

    def returnable_quantity(self, line: int) -> int:
        """Units of line ``line`` that may still be returned: delivered less returned."""
        return self.delivered_quantity(line) - self.returned_quantity(line)

    @property
    def allowed_statuses(self) -> frozenset[OrderStatus]:
        """The lifecycle statuses the order may change to now (no cancelling once shipped)."""
        allowed = ORDER_STATUSES.allowed(self.status)
        if has_shipments_out(self):
            allowed -= {_CANCELLED}
        return allowed

    # -- timeline -------------------------------------------------------------------------

    def timeline_facts(self) -> tuple[TimelineEntry, ...]:
        """The order's facts for a customer timeline.

        Kinds: ``order`` (placed; each shipment sent, key ``<id>/shipment/<n>``, and
        delivered, ``<id>/shipment/<n>/delivered``; fulfilled,
        closed, cancelled), ``payment``, ``payment_failed``, ``refund`` and
        ``return``. Keys start with the order id, so facts of one order stay
        together and never collide.
        """
        return order_facts(self)

    # -- commands -------------------------------------------------------------------------

    def _refused(self, rule: str, wanted: OrderStatus | None = None) -> TransitionNotAllowed:
        """A lifecycle refusal that is not a plain move of the machine."""
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

    def _require_open(self, doing: str) -> None:
        if self.status is not _OPEN:
            rule = f"an order that is {self.status.value} {doing}"
            raise self._refused(f"{rule}; reopen it first" if self.status is _CLOSED else rule)

    def _require_not_cancelled(self, doing: str) -> None:
        if self.status is _CANCELLED:
            raise self._refused(f"an order that is cancelled {doing}")

    def _payment_move(
        self, *, paid: Money | None = None, refunded: Money | None = None
    ) -> PaymentStatus:
        """The payment status after ``paid`` and ``refunded`` (the totals so far), checked as a move."""
        new = payment_status_of(
            (self.amount_paid if paid is None else paid).amount,
            (self.amount_refunded if refunded is None else refunded).amount,
            self.total.amount,
        )
        current = self.payment_status
        if new is not current:
            PAYMENT_STATUSES.check(current, new, path="$.payment_status")
        return new

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
        self._require_open("takes no payments")
        balance = self._balance()
        if balance == 0:
            raise payment_refusal(self, "has nothing due and takes no payments")
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

        Payments are taken while the order is open and has a balance due,
        before or after its goods are shipped or delivered (cash on delivery).
        The payment that settles the balance makes the order paid and also
        records :class:`OrderPaid`; one that leaves some due, partly paid.

        Raises:
            TransitionNotAllowed: the order is closed or cancelled
                (``$.status``), nothing is due (``$.payment_status``), or
                everything paid was refunded (``$.payment_status``: refunded is
                final).
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
        paid = self.amount_paid + payment.amount if self.payments else payment.amount
        status = self._payment_move(paid=paid)
        drafts = [OrderPaymentRecorded.draft(payment=payment)]
        if payment.amount.amount == balance:
            drafts.append(OrderPaid.draft(amount=self.total))
        return self._record(
            command, *drafts, payments=(*self.payments, payment), payment_status=status
        )

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
            TransitionNotAllowed: as for :meth:`record_payment`.
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

    def ship(
        self,
        quantities: Mapping[int, int] | None = None,
        *,
        at: datetime,
        **meta: Unpack[EventMeta],
    ) -> Order:
        """Send units out in one shipment: ``{line index: units}``, or every unit not shipped yet.

        Records :class:`OrderShipped`. The order becomes partly shipped, or
        shipped once every unit went out. Payment is not required first.

        Raises:
            TransitionNotAllowed: the order is closed or cancelled (``$.status``);
                every unit was shipped already (``$.fulfilment_status``).
            ValidationError: a line index or quantity is wrong or more than
                was ordered less what was shipped (``$.quantities[i]``, code
                ``ship_exceeds_ordered``).
        """
        command = self._begin(at, meta)
        self._require_open("ships nothing")
        drafts, changes = shipping(self, quantities, command)
        return self._record(command, *drafts, **changes)

    def deliver(
        self, shipment: int | None = None, *, at: datetime, **meta: Unpack[EventMeta]
    ) -> Order:
        """Mark shipment number ``shipment`` (from 1) delivered, or every shipment on its way.

        Records :class:`OrderDelivered` for each, and :class:`OrderFulfilled`
        when every unit of the order has been delivered. A closed order still
        takes deliveries (the carrier reports them after archiving).

        Raises:
            TransitionNotAllowed: the order is cancelled (``$.status``); no
                shipment is on its way (``$.fulfilment_status``).
            ValidationError: no such shipment (``$.shipment``, code
                ``no_such_shipment``) or one delivered already (code ``delivered``).
        """
        command = self._begin(at, meta)
        self._require_not_cancelled("takes no deliveries")
        drafts, changes = delivering(
            self, shipment, command, self.shipments, self.fulfilment_status
        )
        return self._record(command, *drafts, **changes)

    def return_to_sender(
        self, shipment: int | None = None, *, at: datetime, **meta: Unpack[EventMeta]
    ) -> Order:
        """Record shipment ``shipment`` (from 1), or every one on its way, back with the seller undelivered.

        A parcel refused at the door (cash on delivery) or undeliverable.
        Records :class:`OrderReturnedToSender` for each; their units count as
        not shipped again (ship them again, or cancel an order left with
        nothing shipped or delivered). Nothing is refunded: refund what was
        paid with :meth:`refund` or :meth:`cancel`.

        Raises:
            TransitionNotAllowed: the order is cancelled (``$.status``); no
                shipment is on its way (``$.fulfilment_status``).
            ValidationError: no such shipment (``$.shipment``, code
                ``no_such_shipment``), one delivered (code ``delivered``) or
                back already (code ``returned``).
        """
        command = self._begin(at, meta)
        self._require_not_cancelled("takes nothing back")
        drafts, changes = sending_back(self, shipment, command)
        return self._record(command, *drafts, **changes)

    def fulfil(self, *, at: datetime, **meta: Unpack[EventMeta]) -> Order:
        """Ship every unit not shipped yet and deliver everything on its way, at ``at``.

        The shortcut for goods handed over at once (a shop counter, a download):
        records :class:`OrderShipped` (if anything was still to ship), then
        :class:`OrderDelivered` for each shipment delivered, then
        :class:`OrderFulfilled`. Payment is not required first.

        Raises:
            TransitionNotAllowed: the order is already fulfilled
                (``$.fulfilment_status``), closed with units still to ship, or
                cancelled (``$.status``).
        """
        command = self._begin(at, meta)
        if self.is_fulfilled:
            raise _fulfilment_refused(
                self, "the order is already fulfilled", FulfilmentStatus.DELIVERED
            )
        self._require_not_cancelled("takes no deliveries")
        drafts: list[EventDraft] = []
        changes: dict[str, Any] = {}
        current = self.fulfilment_status
        shipments = self.shipments
        if current in (FulfilmentStatus.UNFULFILLED, FulfilmentStatus.PARTLY_SHIPPED):
            self._require_open("ships nothing")
            drafts, changes = shipping(self, None, command)
            shipments, current = changes["shipments"], changes["fulfilment_status"]
        delivered, after = delivering(self, None, command, shipments, current)
        return self._record(command, *drafts, *delivered, **{**changes, **after})

    def cancel(
        self, *, at: datetime, reason: str | None = None, **meta: Unpack[EventMeta]
    ) -> Order:
        """Cancel an open order with nothing shipped, refunding whatever was paid.

        Shipments that came back undelivered (:meth:`return_to_sender`) count
        as nothing shipped.

        Records :class:`OrderRefunded` (when money is given back) and
        :class:`OrderCancelled`; the payment status becomes refunded if
        anything had been paid (unpaid stays unpaid). The ``reason`` (free
        text) is kept as :attr:`cancel_reason` (and with the refund), never in
        the events.

        Raises:
            TransitionNotAllowed: the order is closed or already cancelled, or
                units of it were shipped (``$.status``, code ``transition``).
        """
        text = reason_text(reason, "$.reason")
        command = self._begin(at, meta)
        if self.status is _OPEN and has_shipments_out(self):
            raise self._refused(
                "an order with shipped units cannot be cancelled; take the units back "
                "with return_items",
                _CANCELLED,
            )
        self._check_move(_CANCELLED)
        drafts: list[EventDraft] = []
        changes: dict[str, Any] = {}
        if not self.refundable.is_zero():
            refund = Refund(amount=self.refundable, at=command.at, reason=text)
            drafts.append(
                OrderRefunded.draft(amount=refund.amount, refunded_total=self.amount_paid)
            )
            changes.update(
                refunds=(*self.refunds, refund),
                payment_status=self._payment_move(refunded=self.amount_paid),
            )
        drafts.append(OrderCancelled.draft())
        return self._record(
            command,
            *drafts,
            status=_CANCELLED,
            cancelled_at=command.at,
            cancel_reason=text,
            **changes,
        )

    def close(self, *, at: datetime, **meta: Unpack[EventMeta]) -> Order:
        """Close (archive) an open order; records :class:`OrderClosed`.

        A closed order takes no payments and no shipments; deliveries,
        returns and refunds are still recorded. :meth:`reopen` opens it again.

        Raises:
            TransitionNotAllowed: the order is not open (``$.status``).
        """
        command = self._begin(at, meta)
        self._check_move(_CLOSED)
        return self._record(command, OrderClosed.draft(), status=_CLOSED, closed_at=command.at)

    def reopen(self, *, at: datetime, **meta: Unpack[EventMeta]) -> Order:
        """Open a closed order again; records :class:`OrderReopened`.

        Raises:
            TransitionNotAllowed: the order is not closed (``$.status``).
        """
        command = self._begin(at, meta)
        self._check_move(_OPEN)
        return self._record(command, OrderReopened.draft(), status=_OPEN, closed_at=None)

    def refund(
        self,
        amount: Money,
        *,
        at: datetime,
        reason: str | None = None,
        **meta: Unpack[EventMeta],
    ) -> Order:
        """Give money back; records :class:`OrderRefunded`.

        The payment status becomes refunded when everything paid has been
        refunded, partly refunded otherwise. Open and closed orders take
        refunds. The ``reason`` (free text) is kept in :attr:`refunds`, never
        in the event.

        Raises:
            TransitionNotAllowed: the order is cancelled (``$.status``), or
                nothing paid is left to refund (``$.payment_status``).
            ValidationError: the amount is not positive, of another currency,
                or more than was paid less what was already refunded (``$.amount``).
        """
        money = same_currency(positive_money(amount, "$.amount"), self.currency, "$.amount")
        text = reason_text(reason, "$.reason")
        command = self._begin(at, meta)
        self._require_not_cancelled("takes no refunds")
        if self.refundable.is_zero():
            raise payment_refusal(self, "has nothing paid left to refund")
        if money > self.refundable:
            raise ValidationError(
                "must not exceed what was paid less what was already refunded",
                path="$.amount",
                code="refund_exceeds_paid",
            )
        after = self.amount_refunded + money
        status = self._payment_move(refunded=after)
        refund = Refund(amount=money, at=command.at, reason=text)
        draft = OrderRefunded.draft(amount=money, refunded_total=after)
        return self._record(command, draft, payment_status=status, refunds=(*self.refunds, refund))

    def return_items(
        self,
        quantities: Mapping[int, int],
        *,
        at: datetime,
        refund: Money | None = None,
        reason: str | None = None,
        **meta: Unpack[EventMeta],
    ) -> Order:
        """Take back delivered units: ``{line index: units}``.

        Records :class:`OrderItemsReturned`, then :class:`OrderRefunded` if
        money goes back. Without ``refund``, the returned units' share of what
        their lines charged (net plus tax) is refunded: per line, the share of
        the units returned so far, rounded down to the minor unit, less the
        share refunded before, so a line returned in full refunds exactly its
        net plus its tax; the sum is capped at what is still refundable. Pass
        ``refund=Money(0, ...)`` for an exchange. The order's fulfilment
        becomes returned once every unit was delivered and came back. The
        ``reason`` (free text) is kept in :attr:`returns`, never in the events.

        Raises:
            TransitionNotAllowed: the order is cancelled (``$.status``) or
                nothing was delivered (``$.fulfilment_status``).
            ValidationError: the order is not paid in full (``$.balance_due``,
                code ``balance_due``: take the payment first); a line index or
                quantity is wrong or more than was delivered less what was
                already returned (``$.quantities[i]``); the refund is more than
                may still be refunded (``$.refund``).
        """
        text = reason_text(reason, "$.reason")
        command = self._begin(at, meta)
        self._require_not_cancelled("takes no returns")
        drafts, changes = returning(self, quantities, command, refund, text)
        return self._record(command, *drafts, **changes)

    def __repr__(self) -> str:
        return (
            f"Order(id={self.id!r}, customer_id={self.customer_id!r}, "
            f"status={self.status.value!r}, payment_status={self.payment_status.value!r}, "
            f"fulfilment_status={self.fulfilment_status.value!r}, lines={len(self.lines)}, "
            f"total={self.total!r}, version={self.version}, "
            f"pending_events={len(self.pending_events)})"
        )
