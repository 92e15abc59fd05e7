"""``summarize`` over crmcore orders against the same data as tuples, in one process.

Builds the CDNOW orders as an import does (``Order.place`` then
``record_payment``, see ``bench_orders.py``), then times
``crmcore.clv.summarize`` (daily periods, spans in weeks, to the end of the
CDNOW observation) over three shapes of the same transactions, interleaved
over repeats:

``orders``
    the ``Order`` objects themselves (``summarize`` reads ``customer_id``,
    ``at`` and ``amount``); each run gets fresh orders, built again from the
    same fields (as loading them from a store does), so nothing an earlier run
    computed (an order's ``amount``) is reused;
``tuples``
    the baseline: ``(customer_id, at, amount)`` tuples of the very values the
    orders give (a ``CustomerId``, an aware datetime, ``Money``);
``plain tuples``
    for reference, the cheapest shape: ``(str, datetime, Decimal)``.

Prints the best CPU time of each and the ratios of minima (orders time / tuples
time; the goal is at most 1.5), after checking that all three give the same
summaries.

    python benchmarks/bench_summarize.py                 # every CDNOW order, 7 repeats
    python benchmarks/bench_summarize.py --n 10000 --repeats 11

Runs unchanged against an older tree: ``PYTHONPATH=/work/before/src python ...``.
"""

from __future__ import annotations

import argparse
import gc
import time
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

import attrs

from bench_orders import DATA, by_commands, read_rows
from crmcore.clv import SummaryTable, summarize

OBSERVATION_END = datetime(1998, 6, 30, tzinfo=UTC)


def summary_of(transactions: list[Any]) -> SummaryTable:
    """Daily periods, recency and T in weeks: the convention of the CDNOW literature."""
    return summarize(transactions, period="day", unit="week", observation_end=OBSERVATION_END)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=69_659, help="orders (default: all of CDNOW)")
    parser.add_argument("--repeats", type=int, default=7, help="interleaved runs, minimum kept")
    args = parser.parse_args()
    if not DATA.exists():
        print(f"reference data not found at {DATA}")
        return
    orders = by_commands(read_rows(args.n))
    shapes: dict[str, Callable[[], list[Any]]] = {
        "orders": lambda: [attrs.evolve(order) for order in orders],
        "tuples": lambda: [(o.customer_id, o.at, o.amount) for o in orders],
        "plain tuples": lambda: [(o.customer_id.value, o.at, o.amount.amount) for o in orders],
    }
    best = dict.fromkeys(shapes, float("inf"))
    tables: dict[str, SummaryTable] = {}
    for _ in range(args.repeats):
        for name, prepare in shapes.items():
            transactions = prepare()  # not timed
            gc.collect()
            started = time.process_time()
            table = summary_of(transactions)
            best[name] = min(best[name], time.process_time() - started)
            tables[name] = table
            del transactions
    rows = [
        (row.frequency, row.recency, row.T, row.monetary_value)
        for _, row in sorted(tables["orders"].items(), key=lambda item: item[0].value)
    ]
    for name in ("tuples", "plain tuples"):
        other = tables[name]
        keyed = {getattr(key, "value", key): row for key, row in other.items()}
        theirs = [
            (row.frequency, row.recency, row.T, row.monetary_value)
            for _, row in sorted(keyed.items())
        ]
        if theirs != rows:
            raise SystemExit(f"{name}: the summaries differ from those of the orders")
    print(
        f"summarize over {len(orders):,} CDNOW orders of {len(rows):,} customers, "
        f"{args.repeats} repeats, CPU time"
    )
    base = best["tuples"]
    for name, took in best.items():
        line = f"{name:<13} {took:7.3f} s  {took / len(orders) * 1e6:6.2f} µs/transaction"
        if name != "tuples":
            line += f"  / tuples = {took / base:5.2f}"
        print(line)
    print("goal: orders / tuples <= 1.5")


if __name__ == "__main__":
    main()
