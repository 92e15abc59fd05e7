"""summarize over domain orders against tuples, and float against Decimal amounts.

Synthetic, seeded data (no files): ``--n`` transactions of ``--customers``
customers over two years, amounts in cents. Contenders, interleaved over
``--repeats`` in one process, each timed with the CPU clock:

``tuples``       ``summarize`` over ``(customer_id, at, Decimal)`` tuples;
``orders``       ``summarize`` over paid ``crmcore.commerce.Order`` objects of the
                 same transactions (one line each; amounts are Money);
``float rows``   ``summarize`` over ``(customer_id, at, float)`` tuples;
``decimal cols`` ``summarize_columns`` over a list of Decimal amounts;
``float cols``   ``summarize_columns`` over a list of float amounts (a float64
                 column as pandas hands it out).

Prints each contender's minimum and the ratios of minima: orders / tuples (the
goal is at most 1.5), float rows / tuples and float cols / decimal cols.
Building the orders is not timed.

    python benchmarks/bench_interop.py                   # 100,000 transactions, 7 repeats
    python benchmarks/bench_interop.py --n 20000 --repeats 5
"""

from __future__ import annotations

import argparse
import random
import time
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any

from crmcore import Money
from crmcore.clv import summarize, summarize_columns
from crmcore.commerce import Order, OrderId, OrderLine, OrderStatus, Payment, PaymentId, ProductId
from crmcore.customers import CustomerId

START = datetime(2022, 1, 1, tzinfo=UTC)
END = datetime(2024, 1, 1, tzinfo=UTC)


def make_rows(n: int, customers: int, seed: int) -> list[tuple[str, datetime, int]]:
    """``n`` (customer, time, cents) rows, seeded."""
    rng = random.Random(seed)
    span = int((END - START).total_seconds())
    return [
        (
            f"c{rng.randrange(customers)}",
            START + timedelta(seconds=rng.randrange(span)),
            rng.randrange(100, 20_000),
        )
        for _ in range(n)
    ]


def make_orders(rows: list[tuple[str, datetime, int]]) -> list[Order]:
    """One paid order of one line per row (built in its final state, as loading does)."""
    product = ProductId("p")
    out = []
    for index, (customer, at, cents) in enumerate(rows):
        amount = Money(Decimal(cents).scaleb(-2), "USD")
        out.append(
            Order(
                id=OrderId(f"o-{index}"),
                customer_id=CustomerId(customer),
                created_at=at,
                lines=(OrderLine(product, 1, amount, category="music"),),
                payments=(Payment(id=PaymentId(f"p-{index}"), amount=amount, at=at),),
                status=OrderStatus.OPEN,
            )
        )
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--n", type=int, default=100_000)
    parser.add_argument("--customers", type=int, default=10_000)
    parser.add_argument("--repeats", type=int, default=7)
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args()

    rows = make_rows(args.n, args.customers, args.seed)
    orders = make_orders(rows)
    # Orders carry CustomerId; the tuples carry the same ids so the tables agree.
    decimal_rows = [(o.customer_id, o.at, o.amount.amount) for o in orders]
    float_rows = [(c, at, float(a)) for c, at, a in decimal_rows]
    ids = [row[0] for row in decimal_rows]
    times = [row[1] for row in decimal_rows]
    decimals = [row[2] for row in decimal_rows]
    floats = [row[2] for row in float_rows]

    def run_summarize(items: list[Any]) -> Callable[[], object]:
        return lambda: summarize(items, period="week", observation_end=END)

    def run_columns(amounts: list[Any]) -> Callable[[], object]:
        return lambda: summarize_columns(ids, times, amounts, period="week", observation_end=END)

    contenders: dict[str, Callable[[], object]] = {
        "tuples": run_summarize(decimal_rows),
        "orders": run_summarize(orders),
        "float rows": run_summarize(float_rows),
        "decimal cols": run_columns(decimals),
        "float cols": run_columns(floats),
    }
    # The same table every way (money aside: orders give Money, the others plain numbers).
    reference = contenders["tuples"]().to_columns()  # type: ignore[attr-defined]
    for name, run in contenders.items():
        if run().to_columns() != reference:  # type: ignore[attr-defined]
            raise SystemExit(f"{name} gives another table")

    best = dict.fromkeys(contenders, float("inf"))
    for _ in range(args.repeats):
        for name, run in contenders.items():
            began = time.process_time()
            run()
            best[name] = min(best[name], time.process_time() - began)

    print(
        f"{args.n:,} transactions, {args.customers:,} customers, {args.repeats} repeats (min CPU s)"
    )
    for name, seconds in best.items():
        print(f"  {name:<13} {seconds:8.4f} s   {1e6 * seconds / args.n:6.2f} us/transaction")
    print(f"orders / tuples:            {best['orders'] / best['tuples']:.2f}x (goal <= 1.5x)")
    print(f"float rows / tuples:        {best['float rows'] / best['tuples']:.2f}x")
    print(f"float cols / decimal cols:  {best['float cols'] / best['decimal cols']:.2f}x")


if __name__ == "__main__":
    main()
