"""The demonstration's commerce section: orders, subscriptions, touchpoints and a timeline.

Everything is generated deterministically from a seed and a reference time,
through the aggregates' own commands, so the data carries realistic events.
:func:`demo_orders` is exposed on its own for later sections (lifetime value,
segmentation) that need the same purchase history.
"""

from __future__ import annotations

import random
import re
from collections import Counter
from collections.abc import Iterator, Sequence
from datetime import datetime, timedelta

import attrs

from crmcore._demo._format import money, plural
from crmcore._demo._inputs import check_inputs
from crmcore._kernel._ids import SequentialIdSource, StaffId
from crmcore._kernel._money import Money
from crmcore.commerce import (
    FulfilmentStatus,
    Order,
    OrderId,
    OrderLine,
    OrderStatus,
    PaymentDueStatus,
    PaymentId,
    PaymentStatus,
    Period,
    Plan,
    PlanId,
    ProductId,
    Subscription,
    SubscriptionId,
    SubscriptionStatus,
    first_subscription_date,
)
from crmcore.customers import Customer, CustomerId
from crmcore.interactions import Interaction, InteractionId, timeline

#: The demo's products: id, category, unit price in rupiah.
CATALOGUE: tuple[tuple[str, str, int], ...] = (
    ("sku-batik-01", "apparel", 275_000),
    ("sku-batik-02", "apparel", 425_000),
    ("sku-kopi-250", "coffee", 85_000),
    ("sku-kopi-1kg", "coffee", 290_000),
    ("sku-teh-100", "tea", 45_000),
    ("sku-tas-02", "bags", 350_000),
    ("sku-sabun-3", "beauty", 60_000),
    ("sku-buku-07", "books", 120_000),
)

#: The demo's subscription plans.
PLANS: tuple[Plan, ...] = (
    Plan(
        id=PlanId("kopi-bulanan"),
        name="Monthly coffee box",
        price=Money(150_000, "IDR"),
        period=Period.months(1),
        product_type="coffee subscription",
        trial=Period.days(14),
    ),
    Plan(
        id=PlanId("member-plus"),
        name="Member Plus",
        price=Money(500_000, "IDR"),
        period=Period.years(1),
        product_type="membership",
    ),
    Plan(
        id=PlanId("teh-mingguan"),
        name="Weekly tea",
        price=Money(40_000, "IDR"),
        period=Period.weeks(1),
        product_type="tea subscription",
    ),
)

_STAFF = tuple(StaffId(f"agent-{n:02d}") for n in range(1, 9))
_TOUCHPOINTS = (
    ("call", "phone"),
    ("email", "email"),
    ("chat", "web"),
    ("chat", "whatsapp"),
    ("message", "whatsapp"),
    ("store_visit", "in_person"),
    ("social_post", "social"),
    ("meeting", "in_person"),
)
_SUBJECTS = (
    "Question about delivery",
    "Product advice",
    "Follow-up after purchase",
    "Invoice copy",
    "Loyalty programme",
    "Return request",
)


@attrs.frozen
class DemoCommerce:
    """The generated commerce data of the demo."""

    orders: tuple[Order, ...]
    subscriptions: tuple[Subscription, ...]
    interactions: tuple[Interaction, ...]


def _lines(rng: random.Random) -> list[OrderLine]:
    lines = []
    for sku, category, price in rng.sample(CATALOGUE, k=rng.choice((1, 1, 1, 2, 2, 3))):
        quantity = rng.choice((1, 1, 1, 2, 2, 3))
        discount = None
        if rng.random() < 0.15:
            discount = Money(price * quantity // 10, "IDR")
        lines.append(
            OrderLine(
                ProductId(sku), quantity, Money(price, "IDR"), category=category, discount=discount
            )
        )
    return lines


def _after_delivery(rng: random.Random, order: Order, when: datetime) -> Order:
    roll = rng.random()
    if roll < 0.07:
        line = rng.randrange(len(order.lines))
        units = rng.randint(1, order.lines[line].quantity)
        return order.return_items({line: units}, at=when, reason="does not fit")
    if roll < 0.10:
        goodwill = (order.total * rng.choice((5, 10, 20)) / 100).rounded()
        if not goodwill.is_zero():
            return order.refund(goodwill, at=when, reason="late delivery")
    return order


def _cash_on_delivery(rng: random.Random, order: Order, when: datetime, at: datetime) -> Order:
    """Shipped unpaid, paid in cash at the door when delivered (or still on its way at ``at``)."""
    order = order.ship(at=when)
    when += timedelta(days=rng.randint(1, 4))
    if when > at:
        return order
    order = order.deliver(at=when)
    if rng.random() < 0.3:  # delivered, the courier's cash not booked yet
        return order
    return order.record_payment(
        PaymentId(f"{order.id}-cod"), order.balance_due, at=when, method="cash"
    )


def _one_order(
    rng: random.Random, customer: Customer, order_id: OrderId, placed: datetime, at: datetime
) -> Order:
    order = Order.place(order_id, customer_id=customer.id, lines=_lines(rng), at=placed)
    when = placed + timedelta(minutes=rng.randint(1, 90))
    if when > at:
        return order
    if rng.random() < 0.05:
        return order.cancel(at=when, reason="changed mind")
    if rng.random() < 0.15:
        return _cash_on_delivery(rng, order, when, at)
    if rng.random() < 0.08:
        order = order.record_failed_payment(
            PaymentId(f"{order_id}-f"), order.total, at=when, reason="card_declined"
        )
        when += timedelta(minutes=rng.randint(5, 60))
    order = order.record_payment(
        PaymentId(f"{order_id}-p"), order.total, at=when, method="e_wallet"
    )
    when += timedelta(days=rng.randint(1, 4))
    if when > at:
        return order
    if rng.random() < 0.02:
        return order.cancel(at=when, reason="out of stock")
    order = order.fulfil(at=when)
    when += timedelta(days=rng.randint(2, 20))
    return order if when > at else _after_delivery(rng, order, when)


def _registered_before(
    customers: Sequence[Customer], now: datetime
) -> Iterator[tuple[Customer, float]]:
    """Each customer registered before ``now``, with the seconds since registration."""
    for customer in customers:
        span = (now - customer.created_at).total_seconds()
        if span > 0:
            yield customer, span


def _moment(rng: random.Random, customer: Customer, span: float) -> datetime:
    """A random moment within ``span`` seconds after ``customer`` registered."""
    return customer.created_at + timedelta(seconds=rng.uniform(0, span))


def demo_orders(customers: Sequence[Customer], *, seed: int, at: datetime) -> list[Order]:
    """Deterministic orders of ``customers`` up to ``at``, each driven through its commands.

    Roughly: most customers order a few times after registering; a few orders
    are cancelled, some payments fail once, most orders are fulfilled, and a
    few items come back or get a goodwill refund.
    """
    now = check_inputs(seed, at, customers=customers)
    rng = random.Random(seed)  # noqa: S311 - reproducible demo data, not secrets.
    ids = SequentialIdSource("ord-", width=6)
    orders: list[Order] = []
    for customer, span in _registered_before(customers, now):
        count = min(int(rng.expovariate(1 / 3.0)), 12)
        times = sorted(_moment(rng, customer, span) for _ in range(count))
        orders.extend(_one_order(rng, customer, OrderId.new(ids), t, now) for t in times)
    return orders


def _bill(
    rng: random.Random, sub: Subscription, pays: SequentialIdSource, now: datetime
) -> Subscription:
    """Pay (or fail to pay) each fee due by ``now``; maybe cancel along the way.

    Times never go backwards: a step that would fall before the subscription's
    last change (a weekly fee paid while the previous one's retry is pending)
    happens at that last change instead.
    """
    fee = sub.fee
    reliability = rng.choice((0.99, 0.95, 0.8))
    quit_after = rng.randint(2, 40) if rng.random() < 0.3 else None
    for number, due in enumerate(sub.due_dates(until=now)):
        if number == quit_after:
            quit_at = max(due - timedelta(days=1), sub.updated_at)
            return sub.cancel(at=quit_at, immediately=rng.random() < 0.3)
        paid_at = max(due + timedelta(days=rng.choice((0, 0, 0, 1, 2, 6))), sub.updated_at)
        if paid_at > now:
            break
        if rng.random() > reliability:
            sub = sub.record_failed_payment(
                PaymentId.new(pays), fee, at=paid_at, due_at=due, reason="card_declined"
            )
            paid_at += timedelta(days=rng.choice((2, 5)))  # a retry, which may come late
            if paid_at > now:
                break
            if rng.random() < 0.4:  # no retry: the fee stays unpaid
                dunned = max(due + timedelta(days=14), sub.updated_at)
                if dunned <= now and rng.random() < 0.7:
                    return sub.cancel(at=dunned, immediately=True, reason="unpaid")
                continue
        sub = sub.record_payment(PaymentId.new(pays), fee, at=paid_at, due_at=due)
    return sub


def demo_subscriptions(
    customers: Sequence[Customer], *, seed: int, at: datetime
) -> list[Subscription]:
    """Deterministic subscriptions: trials, on-time, late and failed payments, cancellations."""
    now = check_inputs(seed, at, customers=customers)
    rng = random.Random(seed + 1)  # noqa: S311 - reproducible demo data, not secrets.
    ids = SequentialIdSource("sub-", width=5)
    pays = SequentialIdSource("spay-", width=6)
    subscriptions: list[Subscription] = []
    for customer in customers:
        span = (now - customer.created_at).total_seconds()
        if rng.random() >= 0.3 or span <= 0:
            continue
        started = _moment(rng, customer, span)
        sub = Subscription.start(
            SubscriptionId.new(ids),
            customer_id=customer.id,
            plan=rng.choice(PLANS),
            at=started,
            grace_days=3,
        )
        sub = _bill(rng, sub, pays, now)
        subscriptions.append(sub.refresh(at=max(now, sub.updated_at)))
    return subscriptions


def demo_interactions(
    customers: Sequence[Customer], *, seed: int, at: datetime
) -> list[Interaction]:
    """Deterministic touchpoints on every channel, handled by a small team."""
    now = check_inputs(seed, at, customers=customers)
    rng = random.Random(seed + 2)  # noqa: S311 - reproducible demo data, not secrets.
    ids = SequentialIdSource("int-", width=6)
    interactions: list[Interaction] = []
    for customer, span in _registered_before(customers, now):
        for _ in range(rng.randint(0, 5)):
            kind, channel = rng.choice(_TOUCHPOINTS)
            duration = None
            if kind in ("call", "meeting"):
                duration = timedelta(minutes=rng.randint(2, 45))
            direction = "inbound" if kind == "store_visit" else rng.choice(("inbound", "outbound"))
            interactions.append(
                Interaction.log(
                    InteractionId.new(ids),
                    customer_id=customer.id,
                    kind=kind,
                    channel=channel,
                    direction=direction,
                    at=_moment(rng, customer, span),
                    subject=rng.choice(_SUBJECTS),
                    notes="Details recorded by the agent.",
                    staff_id=rng.choice(_STAFF),
                    duration=duration,
                )
            )
    return interactions


def demo_commerce(customers: Sequence[Customer], *, seed: int, at: datetime) -> DemoCommerce:
    """Orders, subscriptions and interactions of ``customers``, all from one seed."""
    return DemoCommerce(
        orders=tuple(demo_orders(customers, seed=seed, at=at)),
        subscriptions=tuple(demo_subscriptions(customers, seed=seed, at=at)),
        interactions=tuple(demo_interactions(customers, seed=seed, at=at)),
    )


#: A library timeline summary's amount (``530000.00 IDR``) and unit count (``3 unit(s)``).
_AMOUNT = re.compile(r"(-?\d+(?:\.\d+)?) ([A-Z]{3})\b")
_UNITS = re.compile(r"\b(\d+) unit\(s\)")


def plain_summary(summary: str) -> str:
    """A timeline summary as the report writes it: its money and unit counts in the demo's style.

    The summaries are crmcore's own text; the demo prints their amounts through
    :func:`~crmcore._demo._format.money` and their unit counts in the right number.

    >>> plain_summary("order ord-1 placed: 1 unit(s), 823000.00 IDR")
    'order ord-1 placed: 1 unit, Rp 823.000'
    """
    text = _AMOUNT.sub(lambda m: money(Money(m.group(1), m.group(2))), summary)
    return _UNITS.sub(lambda m: plural(int(m.group(1)), "unit"), text)


def demo_section(
    customers: Sequence[Customer],
    *,
    seed: int,
    at: datetime,
    data: DemoCommerce | None = None,
) -> str:
    """The report section: orders, revenue per month, refunds, subscriptions, a timeline.

    Pass ``data`` (from :func:`demo_commerce`) to reuse already generated
    facts. The sample timeline shows ids and non-personal summaries only.
    """
    if data is None:
        data = demo_commerce(customers, seed=seed, at=at)
    orders = data.orders
    statuses = Counter(o.status for o in orders)
    paying = Counter(o.payment_status for o in orders)
    sending = Counter(o.fulfilment_status for o in orders)
    buyers = len({o.customer_id for o in orders})
    purchases = [o for o in orders if o.is_purchase]
    lines = [
        f"{plural(len(orders), 'order')} from {plural(buyers, 'customer')}: "
        + ", ".join(f"{s.value} {statuses[s]}" for s in OrderStatus if statuses[s]),
        (
            f"  {plural(len(purchases), 'purchase')} by "
            f"{plural(len({o.customer_id for o in purchases}), 'customer')} "
            f"({plural(len(orders), 'order')} less {len(orders) - len(purchases)} cancelled or wholly "
            "refunded): the purchases the lifecycle, CLV and RFM sections read"
        ),
        "  payment: " + ", ".join(f"{s.value} {paying[s]}" for s in PaymentStatus if paying[s]),
        "  fulfilment: "
        + ", ".join(f"{s.value} {sending[s]}" for s in FulfilmentStatus if sending[s]),
    ]
    revenue: dict[str, Money] = {}
    for order in orders:
        month = order.created_at.strftime("%Y-%m")
        revenue[month] = revenue.get(month, Money.zero("IDR")) + order.net_revenue
    lines.append("net revenue by month placed (paid less refunded), last six months:")
    lines += [f"  {month}  {money(revenue[month]):>16}" for month in sorted(revenue)[-6:]]
    refunds = [r for o in orders for r in o.refunds]
    returned = sum(item.quantity for o in orders for item in o.returns)
    total_refunded = Money.total((r.amount for r in refunds), currency="IDR")
    lines.append(
        f"refunds: {len(refunds)} totalling {money(total_refunded)}; "
        f"{plural(returned, 'unit')} returned in "
        f"{plural(sum(len(o.returns) for o in orders), 'return')}"
    )
    subs = data.subscriptions
    by_status = Counter(s.status for s in subs)
    lines.append(
        f"{plural(len(subs), 'subscription')}: "
        + ", ".join(f"{s.value} {by_status[s]}" for s in SubscriptionStatus if by_status[s])
    )
    dues = Counter(d.status for s in subs for d in s.payment_history(at=at))
    lines.append(
        "payment history: " + ", ".join(f"{s.value} {dues[s]}" for s in PaymentDueStatus if dues[s])
    )
    first = first_subscription_date(subs)
    if first is not None:
        lines.append(f"first subscription date: {first.isoformat()}")
    kinds = Counter(i.kind.value for i in data.interactions)
    lines.append(
        f"{plural(len(data.interactions), 'interaction')}: "
        + ", ".join(f"{k} {n}" for k, n in sorted(kinds.items()))
    )
    sample = _busiest(orders, subs)
    if sample is not None:
        facts = timeline(sample, data.interactions, orders, subs)
        lines.append(
            f"timeline of customer {sample} ({plural(len(facts), 'fact')}, latest "
            f"{min(8, len(facts))}; no personal data):"
        )
        lines += [
            f"  {f.at.strftime('%Y-%m-%d %H:%M')}  {f.kind:<14} {plain_summary(f.summary)}"
            for f in facts[-8:]
        ]
    return "\n".join(lines)


def _busiest(orders: Sequence[Order], subs: Sequence[Subscription]) -> CustomerId | None:
    counts = Counter(o.customer_id for o in orders)
    subscribers = {s.customer_id for s in subs}
    ranked = sorted(counts.items(), key=lambda kv: (kv[0] not in subscribers, -kv[1], kv[0]))
    return ranked[0][0] if ranked else None
