"""How the contract builds and changes the aggregates of commerce."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import TypeVar

from crmcore._kernel._money import Money
from crmcore.commerce import (
    Order,
    OrderId,
    OrderLine,
    OrderStatus,
    PaymentId,
    Period,
    Plan,
    PlanId,
    ProductId,
    Subscription,
    SubscriptionId,
    SubscriptionStatus,
)
from crmcore.customers import (
    Channel,
)
from crmcore.testing.contract._support import _customer_id

E = TypeVar("E", bound=BaseException)

#: When the contract's commands happen.
T0 = datetime(2026, 1, 5, 9, 0, tzinfo=UTC)
#: Small pools of natural key values, so that collisions happen often.
EMAILS = ("ana@example.com", "budi@example.com", "citra@example.com", "dewi@example.com")
PHONES = ("+6281200000001", "+6281200000002", "+6281200000003")
_PHONE_CHANNELS = frozenset({Channel.PHONE, Channel.SMS, Channel.WHATSAPP})


def _make_order(number: int, customer: int) -> Order:
    lines = [
        OrderLine(ProductId("sku-1"), 2, Money("10.00", "USD"), category="books"),
        OrderLine(ProductId(f"sku-{number}"), 1, Money("5.00", "USD"), category="games"),
    ]
    return Order.place(
        OrderId(f"o-{number:04d}"), customer_id=_customer_id(customer), lines=lines, at=T0
    )


def _change_order(order: Order) -> Order:
    """The order's next step: paid, fulfilled, partly refunded, refunded, then nothing."""
    if order.status is OrderStatus.PLACED:
        payment = PaymentId(f"p-{len(order.payments) + 1}")
        return order.record_payment(payment, order.balance_due, at=T0)
    if order.status is OrderStatus.PAID:
        return order.fulfil(at=T0)
    if order.status in (OrderStatus.FULFILLED, OrderStatus.PARTIALLY_REFUNDED):
        return order.refund(min(order.refundable, Money("15.00", "USD")), at=T0)
    return order


def _make_subscription(number: int, customer: int) -> Subscription:
    plan = Plan(
        id=PlanId(f"plan-{number % 2}"),
        name="Basic",
        price=Money("9.99", "EUR"),
        period=Period.months(1),
        product_type="streaming",
    )
    return Subscription.start(
        SubscriptionId(f"s-{number:04d}"), customer_id=_customer_id(customer), plan=plan, at=T0
    )


def _change_subscription(subscription: Subscription) -> Subscription:
    """The subscription's next step: a fee paid, then cancelled, then nothing."""
    if subscription.status is SubscriptionStatus.CANCELLED:
        return subscription
    if not subscription.payments:
        return subscription.record_payment(PaymentId("p-1"), subscription.fee, at=T0)
    return subscription.cancel(at=T0, immediately=True)
