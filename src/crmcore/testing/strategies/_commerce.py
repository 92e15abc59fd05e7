"""Strategies for commerce: order lines, orders, billing periods, plans, subscriptions.

Orders and subscriptions are built by their own commands, one after another
at non-decreasing times (the kernel refuses a command dated before the last
change), so their histories and pending events are exactly what the
aggregates record.
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Iterable
from datetime import datetime
from typing import Any, Final

import attrs
from hypothesis import strategies as st

from crmcore._kernel._money import Money
from crmcore._kernel._time import MAX_PERIOD_COUNT, TimeUnit
from crmcore.commerce import (
    SUBSCRIPTION_STATUSES,
    FulfilmentStatus,
    Order,
    OrderId,
    OrderLine,
    OrderStatus,
    Payment,
    PaymentId,
    PaymentMethod,
    PaymentOutcome,
    PaymentStatus,
    Period,
    Plan,
    PlanId,
    ProductId,
    ReturnedLine,
    ShippedLine,
    Subscription,
    SubscriptionId,
    SubscriptionStatus,
)
from crmcore.customers import (
    CustomerId,
)
from crmcore.testing.strategies._base import (
    _PLAN_NAMES,
    _STEP_OFFSETS,
    _as_drawn,
    _bool_arg,
    _categories,
    _command_times,
    _currency_choices,
    _customer_choices,
    _enum_choices,
    _History,
    _ids_of,
    _int_arg,
    _later,
    _minor,
    _of_units,
    _prices,
    _reasons,
    _short_texts,
    _snake_names,
    _window,
    aware_datetimes,
    currency_codes,
)

# -- orders ---------------------------------------------------------------------------------


def order_lines(
    *, currencies: Iterable[str] | None = None, max_quantity: int = 20
) -> st.SearchStrategy[OrderLine]:
    """:class:`~crmcore.commerce.OrderLine` values: a product, a quantity, a unit price, discount, tax.

    Unit prices are whole minor units of their currency (up to ten million of
    them); a discount, when there is one, never exceeds the line's gross, and
    a tax, when there is one, is at most a quarter of it.

    Args:
        currencies: ISO 4217 codes to draw from; every active code by default.
        max_quantity: the largest quantity (1 to 1,000,000).

    Raises:
        ValidationError: an unknown currency, an empty ``currencies`` or a
            quantity bound out of range.
    """
    codes = _currency_choices(currencies)
    most = _int_arg(max_quantity, "$.max_quantity", minimum=1, maximum=1_000_000)
    return st.sampled_from(codes).flatmap(lambda code: _lines_in(code, most))


@functools.lru_cache(maxsize=256)
def _lines_in(code: str, max_quantity: int) -> st.SearchStrategy[OrderLine]:
    return _order_line(code, max_quantity)


def draw_priced_units(
    draw: st.DrawFn, code: str, max_quantity: int
) -> tuple[ProductId, int, Money, Money | None]:
    """A product, a quantity, a unit price and maybe a discount not above the gross, in ``code``.

    What an order line and an opportunity line are drawn from.
    """
    quantity = draw(st.integers(min_value=1, max_value=max_quantity))
    price = draw(_prices(code))
    discount = None
    if draw(st.booleans()):
        discount = _of_units(draw(st.integers(0, _minor(price) * quantity)), code)
    return draw(_ids_of(ProductId)), quantity, price, discount


@st.composite
def _order_line(draw: st.DrawFn, code: str, max_quantity: int) -> OrderLine:
    product, quantity, price, discount = draw_priced_units(draw, code, max_quantity)
    tax = None
    if draw(st.booleans()):  # up to a quarter of the gross, as sales taxes and VAT go
        tax = _of_units(draw(st.integers(0, _minor(price) * quantity // 4)), code)
    return OrderLine(
        product,
        quantity,
        price,
        category=draw(_categories()),
        discount=discount,
        tax=tax,
    )


def orders(
    *,
    customer_ids: Iterable[CustomerId] | None = None,
    currencies: Iterable[str] | None = None,
    max_lines: int = 4,
    max_steps: int = 6,
    min_created_at: datetime | None = None,
    max_created_at: datetime | None = None,
    pending_events: bool = True,
) -> st.SearchStrategy[Order]:
    """Valid :class:`~crmcore.commerce.Order` aggregates with a history built by their commands.

    Each order is placed with :meth:`Order.place <crmcore.commerce.Order.place>`
    and then taken through up to ``max_steps`` commands the order allows at
    that point, each at the time of the one before or later (never
    backwards): partial and full payments, failed attempts, partial and full
    shipments, deliveries, shipments returned to the sender (refused at the
    door), fulfilment, closing and reopening, refunds, returns
    and cancellation. Payments and shipments come in any order, so orders of
    every payment and fulfilment status are drawn, delivered-but-unpaid (cash
    on delivery) included. The statuses, payments, shipments, refunds and
    returns are consistent and ``pending_events`` holds exactly the events
    those commands recorded, in sequence.

    Args:
        customer_ids: the customers the orders belong to; any id by default.
        currencies: ISO 4217 codes of the orders; every active code by default.
        max_lines: the most lines of one order (1 to 500).
        max_steps: the most commands after placing it (0 to 100).
        min_created_at: the earliest time of placing (aware); 2000 by default.
        max_created_at: the latest time of placing (aware); 2099 by default.
        pending_events: ``False`` to draw orders as a repository stores them.

    Raises:
        InvalidType: an argument of the wrong type.
        ValidationError: a bound out of range, crossed bounds, an empty choice.

    >>> orders(max_lines=0)
    Traceback (most recent call last):
    ...
    crmcore.errors.ValidationError: $.max_lines: must be at least 1
    """
    plan = _OrderPlan(
        customers=_customer_choices(customer_ids, "$.customer_ids"),
        currencies=_currency_choices(currencies),
        max_lines=_int_arg(max_lines, "$.max_lines", minimum=1, maximum=500),
        max_steps=_int_arg(max_steps, "$.max_steps", maximum=100),
        start=_window(min_created_at, max_created_at),
    )
    return _as_drawn(_orders(plan), pending_events)


@attrs.frozen
class _OrderPlan(_History):
    currencies: tuple[str, ...]
    max_lines: int


@st.composite
def _orders(draw: st.DrawFn, plan: _OrderPlan) -> Order:
    code = draw(st.sampled_from(plan.currencies))
    at = draw(plan.start)
    order = Order.place(
        draw(_ids_of(OrderId)),
        customer_id=draw(plan.customers),
        lines=draw(st.lists(_lines_in(code, 20), min_size=1, max_size=plan.max_lines)),
        at=at,
    )
    for _ in range(draw(st.integers(min_value=0, max_value=plan.max_steps))):
        options = _order_options(order)
        if not options:
            break
        at = _later(at, draw(_STEP_OFFSETS))
        order = draw(st.sampled_from(options))(draw, order, at)
    return order


#: One command of a generated order history: (draw, order, when) -> order.
_OrderStep = Callable[[st.DrawFn, Order, datetime], Order]


def _order_options(order: Order) -> list[_OrderStep]:
    """The commands the order accepts now (none once it is cancelled and settled)."""
    status = order.status
    options: list[_OrderStep] = []
    is_open = status is OrderStatus.OPEN
    if (
        is_open
        and not order.balance_due.is_zero()
        and order.payment_status is not PaymentStatus.REFUNDED
    ):
        options += [_paying_order, _failing_order_payment]
    unshipped = order.fulfilment_status in _UNSHIPPED
    if is_open and unshipped:
        options.append(_shipping)
    if status is not OrderStatus.CANCELLED and any(s.is_on_its_way for s in order.shipments):
        options += [_delivering, _returning_to_sender]
    if (
        not order.is_fulfilled
        and status is not OrderStatus.CANCELLED
        and (is_open or not unshipped)
    ):
        options.append(_fulfilling)
    if OrderStatus.CANCELLED in order.allowed_statuses:
        options.append(_cancelling_order)
    if is_open:
        options.append(_closing)
    if status is OrderStatus.CLOSED:
        options.append(_reopening)
    if status is not OrderStatus.CANCELLED and order.refundable.amount > 0:
        options.append(_refunding)
    if (
        status is not OrderStatus.CANCELLED
        and order.balance_due.is_zero()
        and any(order.returnable_quantity(i) for i in range(len(order.lines)))
    ):
        options.append(_returning)
    return options


#: The fulfilment statuses of an order with units still to ship.
_UNSHIPPED: Final = frozenset({FulfilmentStatus.UNFULFILLED, FulfilmentStatus.PARTLY_SHIPPED})


def _payment_number(payments: tuple[Payment, ...]) -> PaymentId:
    return PaymentId(f"p-{len(payments) + 1}")


def _paying_order(draw: st.DrawFn, order: Order, when: datetime) -> Order:
    balance = _minor(order.balance_due)
    units = balance if draw(st.booleans()) else draw(st.integers(1, balance))
    return order.record_payment(
        _payment_number(order.payments),
        _of_units(units, order.currency),
        at=when,
        method=draw(st.none() | st.sampled_from(PaymentMethod)),
    )


def _failing_order_payment(draw: st.DrawFn, order: Order, when: datetime) -> Order:
    return order.record_failed_payment(
        _payment_number(order.payments),
        _of_units(draw(st.integers(1, _minor(order.balance_due))), order.currency),
        at=when,
        method=draw(st.none() | st.sampled_from(PaymentMethod)),
        reason=draw(st.none() | _failure_codes()),
    )


def _fulfilling(_: st.DrawFn, order: Order, when: datetime) -> Order:
    return order.fulfil(at=when)


def _shipping(draw: st.DrawFn, order: Order, when: datetime) -> Order:
    if draw(st.booleans()):
        return order.ship(at=when)  # every unit still to ship
    room = {
        i: line.quantity - order.shipped_quantity(i)
        for i, line in enumerate(order.lines)
        if line.quantity > order.shipped_quantity(i)
    }
    chosen = draw(st.lists(st.sampled_from(sorted(room)), min_size=1, unique=True))
    return order.ship({i: draw(st.integers(1, room[i])) for i in chosen}, at=when)


def _waiting(order: Order) -> list[int]:
    """The numbers (from 1) of the order's shipments on their way."""
    return [n for n, s in enumerate(order.shipments, start=1) if s.is_on_its_way]


def _delivering(draw: st.DrawFn, order: Order, when: datetime) -> Order:
    return order.deliver(draw(st.none() | st.sampled_from(_waiting(order))), at=when)


def _returning_to_sender(draw: st.DrawFn, order: Order, when: datetime) -> Order:
    # A parcel refused at the door or undeliverable comes back to the seller.
    return order.return_to_sender(draw(st.none() | st.sampled_from(_waiting(order))), at=when)


def _closing(_: st.DrawFn, order: Order, when: datetime) -> Order:
    return order.close(at=when)


def _reopening(_: st.DrawFn, order: Order, when: datetime) -> Order:
    return order.reopen(at=when)


def _cancelling_order(draw: st.DrawFn, order: Order, when: datetime) -> Order:
    return order.cancel(at=when, reason=draw(st.none() | _reasons()))


def _refunding(draw: st.DrawFn, order: Order, when: datetime) -> Order:
    refundable = _minor(order.refundable)
    units = refundable if draw(st.booleans()) else draw(st.integers(1, refundable))
    return order.refund(
        _of_units(units, order.currency), at=when, reason=draw(st.none() | _reasons())
    )


def _returning(draw: st.DrawFn, order: Order, when: datetime) -> Order:
    open_lines = [i for i in range(len(order.lines)) if order.returnable_quantity(i)]
    chosen = draw(st.lists(st.sampled_from(open_lines), min_size=1, unique=True))
    quantities = {i: draw(st.integers(1, order.returnable_quantity(i))) for i in chosen}
    refund = None
    if draw(st.booleans()):  # an exchange, or an amount agreed with the customer
        refund = _of_units(draw(st.integers(0, _minor(order.refundable))), order.currency)
    return order.return_items(
        quantities, at=when, refund=refund, reason=draw(st.none() | _reasons())
    )


# -- subscriptions --------------------------------------------------------------------------


def periods(
    *, units: Iterable[TimeUnit | str] | None = None, max_count: int | None = None
) -> st.SearchStrategy[Period]:
    """Billing :class:`~crmcore.commerce.Period` values: a count of days, weeks, months or years.

    Args:
        units: the units to draw from (members or values); all by default.
        max_count: the largest count (at least 1); each unit's own limit
            (ten years) by default and at most.

    Raises:
        ValidationError: an unknown unit, an empty ``units`` or a count below 1.
    """
    unit_choices = _enum_choices(units, "$.units", TimeUnit)
    most = None if max_count is None else _int_arg(max_count, "$.max_count", minimum=1)
    return _periods(unit_choices, most)


@functools.lru_cache(maxsize=64)
def _periods(units: tuple[TimeUnit, ...], most: int | None) -> st.SearchStrategy[Period]:
    return st.one_of(
        *(
            st.builds(
                Period,
                st.integers(
                    min_value=1,
                    max_value=MAX_PERIOD_COUNT[unit]
                    if most is None
                    else min(most, MAX_PERIOD_COUNT[unit]),
                ),
                st.just(unit),
            )
            for unit in units
        )
    )


def plans(
    *, currencies: Iterable[str] | None = None, trial: bool | None = None
) -> st.SearchStrategy[Plan]:
    """Subscription :class:`~crmcore.commerce.Plan` values: a fee every billing period.

    Fees are whole minor units (free plans included); billing periods are a
    common one (monthly, quarterly, yearly, weekly, 30 days) or up to twelve
    of any unit; trials last days to a few months.

    Args:
        currencies: ISO 4217 codes of the fees; every active code by default.
        trial: ``True`` for plans with a trial, ``False`` without; both by default.

    Raises:
        InvalidType: ``trial`` is not a bool or None.
        ValidationError: an unknown currency or an empty ``currencies``.
    """
    codes = _currency_choices(currencies)
    if trial is not None:
        _bool_arg(trial, "$.trial")
    return _plans(codes, trial)


_COMMON_PERIODS: Final = st.sampled_from(
    (Period.months(1), Period.months(3), Period.years(1), Period.weeks(1), Period.days(30))
)
_TRIALS: Final = st.sampled_from((Period.days(7), Period.days(14), Period.months(1)))


@functools.lru_cache(maxsize=64)
def _plans(codes: tuple[str, ...], trial: bool | None) -> st.SearchStrategy[Plan]:
    billing = _COMMON_PERIODS | _periods(tuple(TimeUnit), 12)
    trials: st.SearchStrategy[Period | None] = _TRIALS | _periods(tuple(TimeUnit), 3)
    if trial is None:
        trials = st.none() | trials
    elif not trial:
        trials = st.none()
    return st.builds(
        Plan,
        id=_ids_of(PlanId),
        name=st.sampled_from(_PLAN_NAMES) | _short_texts(),
        price=st.sampled_from(codes).flatmap(_prices),
        period=billing,
        product_type=_categories(),
        trial=trials,
    )


def subscriptions(
    *,
    customer_ids: Iterable[CustomerId] | None = None,
    currencies: Iterable[str] | None = None,
    max_steps: int = 6,
    min_created_at: datetime | None = None,
    max_created_at: datetime | None = None,
    pending_events: bool = True,
) -> st.SearchStrategy[Subscription]:
    """Valid :class:`~crmcore.commerce.Subscription` aggregates with a history built by their commands.

    Each subscription starts with :meth:`Subscription.start
    <crmcore.commerce.Subscription.start>` on a drawn plan (maybe a fixed term,
    maybe grace days), then goes through up to ``max_steps`` commands at
    non-decreasing times (never backwards): fees paid for the next unpaid due
    date, failed attempts, ``refresh``, cancellation (at period end or
    immediately), ``resume`` and ``renew``, each only where the subscription
    allows it.

    Args:
        customer_ids: the subscribers; any id by default.
        currencies: ISO 4217 codes of the fees; every active code by default.
        max_steps: the most commands after starting (0 to 100).
        min_created_at: the earliest start (aware); 2000 by default.
        max_created_at: the latest start (aware); 2099 by default.
        pending_events: ``False`` to draw subscriptions as a repository stores them.

    Raises:
        InvalidType: an argument of the wrong type.
        ValidationError: a bound out of range, crossed bounds, an empty choice.
    """
    plan = _SubscriptionPlan(
        customers=_customer_choices(customer_ids, "$.customer_ids"),
        plans=_plans(_currency_choices(currencies), None),
        max_steps=_int_arg(max_steps, "$.max_steps", maximum=100),
        start=_window(min_created_at, max_created_at),
    )
    return _as_drawn(_subscriptions(plan), pending_events)


@attrs.frozen
class _SubscriptionPlan(_History):
    plans: st.SearchStrategy[Plan]


@st.composite
def _subscriptions(draw: st.DrawFn, plan: _SubscriptionPlan) -> Subscription:
    at = draw(plan.start)
    sub = Subscription.start(
        draw(_ids_of(SubscriptionId)),
        customer_id=draw(plan.customers),
        plan=draw(plan.plans),
        at=at,
        periods=draw(st.none() | st.integers(min_value=1, max_value=24)),
        grace_days=draw(st.integers(min_value=0, max_value=30)),
    )
    for when in _command_times(draw, at, plan.max_steps):
        # Keep the subscription current first, as a host application does: time-based
        # changes (a cancellation taking effect) are recorded before anything later.
        sub = sub.refresh(at=when)
        sub = draw(st.sampled_from(_subscription_options(sub, when)))(draw, sub, when)
    return sub


#: One command of a generated subscription history: (draw, subscription, when) -> subscription.
_SubscriptionStep = Callable[[st.DrawFn, Subscription, datetime], Subscription]
_ENDED: Final = frozenset({SubscriptionStatus.CANCELLED, SubscriptionStatus.EXPIRED})


def _unpaid_due(sub: Subscription) -> datetime | None:
    """The earliest due date before the end that no payment settled, if the fee is not zero."""
    if sub.fee.is_zero():
        return None
    settled = {p.due_at for p in sub.payments if p.succeeded}
    end = sub.ends_at
    number = 0
    while True:
        due = sub.due_at(number)
        if end is not None and due >= end:
            return None
        if due not in settled:
            return due
        number += 1


def _subscription_options(sub: Subscription, when: datetime) -> list[_SubscriptionStep]:
    """The commands the subscription accepts at ``when`` (``refresh`` always)."""
    options: list[_SubscriptionStep] = [_refreshing]
    if _unpaid_due(sub) is not None:
        options += [_paying_fee, _failing_fee]
    current = sub.refresh(at=when)
    if current.status not in _ENDED:
        options.append(_cancelling_subscription)
        if current.cancel_requested_at is not None:
            options.append(_resuming)
        if current.term_periods is not None:
            options.append(_renewing)
    return options


def _refreshing(_: st.DrawFn, sub: Subscription, when: datetime) -> Subscription:
    return sub.refresh(at=when)


def _paying_fee(draw: st.DrawFn, sub: Subscription, when: datetime) -> Subscription:
    return sub.record_payment(
        _payment_number(sub.payments),
        sub.fee,
        at=when,
        method=draw(st.none() | st.sampled_from(PaymentMethod)),
    )


def _failing_fee(draw: st.DrawFn, sub: Subscription, when: datetime) -> Subscription:
    return sub.record_failed_payment(
        _payment_number(sub.payments),
        sub.fee,
        at=when,
        method=draw(st.none() | st.sampled_from(PaymentMethod)),
        reason=draw(st.none() | _failure_codes()),
    )


def _cancelling_subscription(draw: st.DrawFn, sub: Subscription, when: datetime) -> Subscription:
    return sub.cancel(at=when, immediately=draw(st.booleans()), reason=draw(st.none() | _reasons()))


def _resuming(_: st.DrawFn, sub: Subscription, when: datetime) -> Subscription:
    return sub.resume(at=when)


def _renewing(draw: st.DrawFn, sub: Subscription, when: datetime) -> Subscription:
    return sub.renew(at=when, periods=draw(st.integers(min_value=1, max_value=12)))


# -- values and fields of commerce events ---------------------------------------------------

#: Payment failure codes providers commonly report.
_FAILURE_CODES: Final = (
    "insufficient_funds",
    "card_declined",
    "expired_card",
    "do_not_honor",
    "processing_error",
)


@functools.cache
def _failure_codes() -> st.SearchStrategy[str]:
    """Snake_case payment failure codes (never free text)."""
    return st.sampled_from(_FAILURE_CODES) | _snake_names()


@st.composite
def _payment_values(
    draw: st.DrawFn, outcome: PaymentOutcome | None = None, *, with_due: bool | None = None
) -> Payment:
    """Valid payments: positive whole minor units, a failure code only on a failed one."""
    code = draw(currency_codes())
    at = draw(aware_datetimes())
    chosen = draw(st.sampled_from(PaymentOutcome)) if outcome is None else outcome
    due = draw(st.booleans()) if with_due is None else with_due
    return Payment(
        id=draw(_ids_of(PaymentId)),
        amount=_of_units(draw(st.integers(min_value=1, max_value=10**7)), code),
        at=at,
        outcome=chosen,
        method=draw(st.none() | st.sampled_from(PaymentMethod)),
        due_at=at if due else None,
        failure_reason=None
        if chosen is PaymentOutcome.SUCCEEDED
        else draw(st.none() | _failure_codes()),
    )


#: The highest line index drawn for returned lines of events.
MAX_LINE_INDEX: Final = 20


@functools.cache
def _returned_lines() -> st.SearchStrategy[ReturnedLine]:
    return st.builds(
        ReturnedLine,
        st.integers(min_value=0, max_value=MAX_LINE_INDEX),
        st.integers(min_value=1, max_value=20),
    )


def _returned_line_sets() -> st.SearchStrategy[tuple[ReturnedLine, ...]]:
    """Returned lines as an order records them: distinct lines, by index."""
    return st.lists(_returned_lines(), min_size=1, max_size=3, unique_by=lambda r: r.line).map(
        lambda lines: tuple(sorted(lines, key=lambda r: r.line))
    )


@functools.cache
def _shipped_lines() -> st.SearchStrategy[ShippedLine]:
    return st.builds(
        ShippedLine,
        st.integers(min_value=0, max_value=MAX_LINE_INDEX),
        st.integers(min_value=1, max_value=20),
    )


def _shipment_fields() -> st.SearchStrategy[dict[str, Any]]:
    """A shipment number and its lines as an order records them: distinct lines, by index."""
    lines = st.lists(_shipped_lines(), min_size=1, max_size=3, unique_by=lambda r: r.line)
    return st.fixed_dictionaries(
        {
            "shipment": st.integers(min_value=1, max_value=50),
            "lines": lines.map(lambda found: tuple(sorted(found, key=lambda r: r.line))),
        }
    )


def _any_order_line() -> st.SearchStrategy[OrderLine]:
    return order_lines()


def _any_period() -> st.SearchStrategy[Period]:
    return periods()


#: Value types commerce events carry, with the strategies that draw valid ones.
EVENT_VALUES: Final[dict[type, Callable[[], st.SearchStrategy[Any]]]] = {
    OrderLine: _any_order_line,
    Payment: _payment_values,
    ReturnedLine: _returned_lines,
    ShippedLine: _shipped_lines,
    Period: _any_period,
}


def _paid_at(outcome: PaymentOutcome, *, with_due: bool) -> st.SearchStrategy[dict[str, Any]]:
    """A payment of ``outcome`` and the event time it was made at (they are the same)."""
    return _payment_values(outcome, with_due=with_due).map(
        lambda payment: {"payment": payment, "occurred_at": payment.at}
    )


@st.composite
def _placed(draw: st.DrawFn) -> dict[str, Any]:
    """Lines of one currency and the total they add up to."""
    code = draw(currency_codes())
    lines = tuple(draw(st.lists(_lines_in(code, 100), min_size=1, max_size=3)))
    return {"lines": lines, "total": Money.total([line.total for line in lines], currency=code)}


def _subscription_moves() -> st.SearchStrategy[dict[str, Any]]:
    """Moves between trialing, active and past due that the status machine allows."""
    live = (SubscriptionStatus.TRIALING, SubscriptionStatus.ACTIVE, SubscriptionStatus.PAST_DUE)
    moves = [
        (start, end)
        for start in live
        for end in SUBSCRIPTION_STATUSES.allowed(start)
        if end in live and end is not start
    ]
    return st.sampled_from(moves).map(lambda m: {"previous": m[0], "status": m[1]})


#: Event fields these strategies constrain beyond their declared type, by event class name.
#: The key ``"*"`` draws several fields together, consistent the way the aggregates make them.
EVENT_FIELDS: Final[dict[str, dict[str, Callable[[], st.SearchStrategy[Any]]]]] = {
    "OrderPlaced": {"*": _placed},
    "OrderPaymentRecorded": {"*": lambda: _paid_at(PaymentOutcome.SUCCEEDED, with_due=False)},
    "OrderPaymentFailed": {"*": lambda: _paid_at(PaymentOutcome.FAILED, with_due=False)},
    "OrderItemsReturned": {"lines": _returned_line_sets},
    "OrderShipped": {"*": _shipment_fields},
    "OrderDelivered": {"*": _shipment_fields},
    "OrderReturnedToSender": {"*": _shipment_fields},
    "SubscriptionPaymentRecorded": {"*": lambda: _paid_at(PaymentOutcome.SUCCEEDED, with_due=True)},
    "SubscriptionPaymentFailed": {"*": lambda: _paid_at(PaymentOutcome.FAILED, with_due=True)},
    "SubscriptionStarted": {
        "product_type": _categories,
        "status": lambda: st.sampled_from((SubscriptionStatus.ACTIVE, SubscriptionStatus.TRIALING)),
        "term_periods": lambda: st.none() | st.integers(min_value=1, max_value=24),
        "trial": lambda: st.none() | _TRIALS,
    },
    "SubscriptionStatusChanged": {"*": _subscription_moves},
    "SubscriptionRenewed": {"periods": lambda: st.integers(min_value=1, max_value=12)},
}
