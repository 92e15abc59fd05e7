"""Building orders: crmcore's checked aggregates against plain attrs records of the same fields.

Reads the CDNOW purchase records (``../shared/data/cdnow/CDNOW_master.txt``:
23,570 customers, 69,659 orders) and turns each into an order of one line
(the number of CDs at a unit price in whole cents, less a discount that brings
the line to the recorded dollar value) paid by one payment. Three contenders
build the same orders from the same prepared inputs, interleaved over repeats
in one process:

``commands``
    what an import does: ``Order.place(...)`` then ``record_payment(...)``,
    with typed ids, ``Money``, an ``OrderLine``, every check and the events
    (``OrderPlaced``, ``OrderPaymentRecorded``, ``OrderPaid``);
``document``
    an ``Order(...)`` built directly in its paid state (what loading a stored
    order does): every check, no events;
``plain attrs``
    the baseline: frozen, slotted attrs classes with the same fields as every
    record the crmcore order holds (ids, money, the line, the payment, the
    order and the events in its ``pending_events``), built directly in their
    final state, with no validation at all;
``bare attrs``
    the least an import could build, for reference: ids as str and no events.

Prints the CPU time per order and the ratios of minima (crmcore time / baseline
time; the goal for ``commands`` against ``plain attrs`` is at most 3).

    python benchmarks/bench_orders.py                 # every CDNOW order, 5 repeats
    python benchmarks/bench_orders.py --n 10000 --repeats 9
    python benchmarks/bench_orders.py --gc           # and what the garbage collector sees

Runs unchanged against an older tree: ``PYTHONPATH=/work/before/src python ...``.
"""

from __future__ import annotations

import argparse
import gc
import time
from collections.abc import Callable
from datetime import UTC, datetime
from decimal import ROUND_CEILING, Decimal
from pathlib import Path
from typing import Any

import attrs

from crmcore import Money
from crmcore.commerce import (
    Order,
    OrderId,
    OrderLine,
    OrderStatus,
    PaymentId,
    PaymentStatus,
    ProductId,
)
from crmcore.commerce import Payment as CrmPayment
from crmcore.customers import CustomerId

DATA = Path(__file__).resolve().parents[2] / "shared" / "data" / "cdnow" / "CDNOW_master.txt"
CENT = Decimal("0.01")

#: One prepared order: customer, time, CDs, unit price, discount (or None), dollars.
Row = tuple[str, datetime, int, Decimal, Decimal | None, Decimal]


def read_rows(n: int) -> list[Row]:
    """The first ``n`` CDNOW purchases (cycled if ``n`` is larger), prepared for both sides."""
    raw: list[tuple[str, datetime, int, Decimal]] = []
    with DATA.open() as lines:
        next(lines)  # the header
        for line in lines:
            customer, day, cds, dollars = line.split()
            at = datetime.strptime(day, "%Y%m%d").replace(tzinfo=UTC)
            raw.append((customer, at, int(cds), Decimal(dollars)))
    rows: list[Row] = []
    for index in range(n):
        customer, at, cds, dollars = raw[index % len(raw)]
        unit = (dollars / cds).quantize(CENT, rounding=ROUND_CEILING)
        discount = unit * cds - dollars
        rows.append((customer, at, cds, unit, discount or None, dollars))
    return rows


# -- crmcore ---------------------------------------------------------------------------


def by_commands(rows: list[Row]) -> list[Order]:
    """Place each order, then record its payment (a free order is paid on placing)."""
    out = []
    product = ProductId("cd")
    for index, (customer, at, cds, unit, discount, dollars) in enumerate(rows):
        line = OrderLine(
            product,
            cds,
            Money(unit, "USD"),
            category="music",
            discount=None if discount is None else Money(discount, "USD"),
        )
        order = Order.place(
            OrderId(f"o-{index}"), customer_id=CustomerId(customer), lines=[line], at=at
        )
        if dollars:
            order = order.record_payment(PaymentId(f"p-{index}"), Money(dollars, "USD"), at=at)
        out.append(order)
    return out


def by_document(rows: list[Row]) -> list[Order]:
    """Build each order directly in its paid state (as loading a stored order does)."""
    out = []
    product = ProductId("cd")
    for index, (customer, at, cds, unit, discount, dollars) in enumerate(rows):
        line = OrderLine(
            product,
            cds,
            Money(unit, "USD"),
            category="music",
            discount=None if discount is None else Money(discount, "USD"),
        )
        payments = (
            (CrmPayment(id=PaymentId(f"p-{index}"), amount=Money(dollars, "USD"), at=at),)
            if dollars
            else ()
        )
        out.append(
            Order(
                id=OrderId(f"o-{index}"),
                customer_id=CustomerId(customer),
                created_at=at,
                lines=(line,),
                payments=payments,
                status=OrderStatus.OPEN,
                payment_status=PaymentStatus.PAID,
            )
        )
    return out


# -- the baselines: the same fields, no checks ------------------------------------------------
#
# ``plain attrs`` mirrors every record a crmcore order holds, field for field: typed
# ids (one ``value`` field), money (amount, currency), the line, the payment, the order
# and the events in its ``pending_events`` (envelope fields plus each event's own), all
# built directly in their final state, with no checks and nothing computed but what the
# events carry. ``bare attrs`` is the least an import could do: ids as str, no events.


@attrs.frozen(slots=True)
class PlainId:
    """An id: its text."""

    value: str


@attrs.frozen(slots=True)
class PlainMoney:
    """An amount and its currency."""

    amount: Decimal
    currency: str


@attrs.frozen(slots=True)
class PlainLine:
    """An order line's fields."""

    product_id: Any
    quantity: int
    unit_price: PlainMoney
    category: str
    discount: PlainMoney | None = None


@attrs.frozen(slots=True, kw_only=True)
class PlainPayment:
    """A payment's fields."""

    id: Any
    amount: PlainMoney
    at: datetime
    outcome: str = "succeeded"
    method: str | None = None
    due_at: datetime | None = None
    failure_reason: str | None = None


@attrs.frozen(slots=True, kw_only=True)
class PlainEvent:
    """An event's envelope and the order's ids."""

    sequence: int
    occurred_at: datetime
    actor: str | None = None
    correlation_id: str | None = None
    causation_id: str | None = None
    order_id: PlainId
    customer_id: PlainId


@attrs.frozen(slots=True, kw_only=True)
class PlainOrderPlaced(PlainEvent):
    """OrderPlaced's fields."""

    lines: tuple[PlainLine, ...]
    total: PlainMoney


@attrs.frozen(slots=True, kw_only=True)
class PlainPaymentRecorded(PlainEvent):
    """OrderPaymentRecorded's fields."""

    payment: PlainPayment


@attrs.frozen(slots=True, kw_only=True)
class PlainOrderPaid(PlainEvent):
    """OrderPaid's fields."""

    amount: PlainMoney


@attrs.frozen(slots=True, kw_only=True)
class PlainOrder:
    """An order's fields, its pending events among them."""

    id: Any
    created_at: datetime
    updated_at: datetime
    version: int = 0
    sequence: int = 0
    pending_events: tuple[PlainEvent, ...] = ()
    customer_id: Any
    lines: tuple[PlainLine, ...]
    status: str = "open"
    payments: tuple[PlainPayment, ...] = ()
    refunds: tuple[object, ...] = ()
    returns: tuple[object, ...] = ()
    shipments: tuple[object, ...] = ()
    payment_status: str = "unpaid"
    fulfilment_status: str = "unfulfilled"
    closed_at: datetime | None = None
    cancelled_at: datetime | None = None
    cancel_reason: str | None = None


def plain(rows: list[Row]) -> list[PlainOrder]:
    """The same orders as plain records, field for field, events included."""
    out = []
    product = PlainId("cd")
    for index, (customer, at, cds, unit, discount, dollars) in enumerate(rows):
        order_id, customer_id = PlainId(f"o-{index}"), PlainId(customer)
        line = PlainLine(
            product,
            cds,
            PlainMoney(unit, "USD"),
            "music",
            None if discount is None else PlainMoney(discount, "USD"),
        )
        lines = (line,)
        total = PlainMoney(dollars, "USD")
        placed = PlainOrderPlaced(
            sequence=1,
            occurred_at=at,
            order_id=order_id,
            customer_id=customer_id,
            lines=lines,
            total=total,
        )
        if dollars:
            payment = PlainPayment(id=PlainId(f"p-{index}"), amount=total, at=at)
            payments: tuple[PlainPayment, ...] = (payment,)
            recorded = PlainPaymentRecorded(
                sequence=2,
                occurred_at=at,
                order_id=order_id,
                customer_id=customer_id,
                payment=payment,
            )
            paid = PlainOrderPaid(
                sequence=3,
                occurred_at=at,
                order_id=order_id,
                customer_id=customer_id,
                amount=total,
            )
            events: tuple[PlainEvent, ...] = (placed, recorded, paid)
        else:  # a free order is paid on placing
            payments = ()
            paid = PlainOrderPaid(
                sequence=2,
                occurred_at=at,
                order_id=order_id,
                customer_id=customer_id,
                amount=total,
            )
            events = (placed, paid)
        out.append(
            PlainOrder(
                id=order_id,
                created_at=at,
                updated_at=at,
                sequence=len(events),
                pending_events=events,
                customer_id=customer_id,
                lines=lines,
                payment_status="paid",
                payments=payments,
            )
        )
    return out


def bare(rows: list[Row]) -> list[PlainOrder]:
    """The least an import could build: ids as str, no events."""
    out = []
    for index, (customer, at, cds, unit, discount, dollars) in enumerate(rows):
        line = PlainLine(
            "cd",
            cds,
            PlainMoney(unit, "USD"),
            "music",
            None if discount is None else PlainMoney(discount, "USD"),
        )
        payments = (
            (PlainPayment(id=f"p-{index}", amount=PlainMoney(dollars, "USD"), at=at),)
            if dollars
            else ()
        )
        out.append(
            PlainOrder(
                id=f"o-{index}",
                created_at=at,
                updated_at=at,
                customer_id=customer,
                lines=(line,),
                payment_status="paid",
                payments=payments,
            )
        )
    return out


# -- timing ----------------------------------------------------------------------------------


def cpu_time(build: Callable[[list[Row]], list[Any]], rows: list[Row]) -> tuple[float, list[Any]]:
    """CPU seconds to build every order (the result is kept alive, as an import keeps it)."""
    gc.collect()
    started = time.process_time()
    built = build(rows)
    return time.process_time() - started, built


def gc_profile(build: Callable[[list[Row]], list[Any]], rows: list[Row]) -> str:
    """What the garbage collector sees of one (untimed) build: objects it tracks, collections."""
    gc.collect()
    tracked = len(gc.get_objects())
    before = [generation["collections"] for generation in gc.get_stats()]
    built = build(rows)
    after = [generation["collections"] for generation in gc.get_stats()]
    per_order = (len(gc.get_objects()) - tracked) / len(rows)
    del built
    runs = "/".join(str(b - a) for a, b in zip(before, after, strict=True))
    return f"{per_order:5.2f} tracked objects/order, collections by generation {runs}"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=69_659, help="orders (default: all of CDNOW)")
    parser.add_argument("--repeats", type=int, default=5, help="interleaved runs, minimum kept")
    parser.add_argument(
        "--gc", action="store_true", help="also show what the garbage collector sees of each"
    )
    args = parser.parse_args()
    if not DATA.exists():
        print(f"reference data not found at {DATA}")
        return
    rows = read_rows(args.n)
    contenders: dict[str, Callable[[list[Row]], list[Any]]] = {
        "plain attrs": plain,
        "bare attrs": bare,
        "commands": by_commands,
        "document": by_document,
    }
    best = dict.fromkeys(contenders, float("inf"))
    for _ in range(args.repeats):
        for name, build in contenders.items():
            took, built = cpu_time(build, rows)
            best[name] = min(best[name], took)
            if name in ("commands", "document"):
                paid = sum(o.amount_paid.amount for o in built)
                expected = sum(row[5] for row in rows)
                if paid != expected or not all(
                    o.payment_status is PaymentStatus.PAID for o in built
                ):
                    raise SystemExit(f"{name}: the orders do not add up to the CDNOW dollars")
            del built
    print(f"{len(rows):,} CDNOW orders (one line, one payment), {args.repeats} repeats, CPU time")
    base, least = best["plain attrs"], best["bare attrs"]
    for name, took in best.items():
        line = f"{name:<12} {took:7.3f} s  {took / len(rows) * 1e6:7.2f} µs/order"
        if name in ("commands", "document"):
            line += f"  / plain attrs = {took / base:5.2f}  / bare attrs = {took / least:5.2f}"
        print(line)
    print("goal: commands / plain attrs <= 3")
    if args.gc:
        for name, build in contenders.items():
            print(f"{name:<12} {gc_profile(build, rows)}")


if __name__ == "__main__":
    main()
