"""Benchmark: transaction summaries against the `lifetimes` package, in one process.

Builds a seeded synthetic data set (by default 1,000,000 transactions of 100,000
customers over two years), then times

* ``crmcore.clv.summarize`` against ``lifetimes.utils.summary_data_from_transaction_data``
  (or, when lifetimes is not importable but pandas is, an equivalent pandas groupby,
  labelled as such) for weekly and daily periods, checking that both agree;
* one incremental ``SummaryAccumulator.add`` per transaction, in microseconds;
* merging per-partition accumulators.

Run: ``python benchmarks/bench_clv_summaries.py [--transactions N] [--customers N]``.
"""

from __future__ import annotations

import argparse
import gc
import random
import time
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any

from crmcore.clv import SummaryAccumulator, SummaryTable, summarize

START = datetime(2022, 1, 1, tzinfo=UTC)
OBSERVATION_END = datetime(2023, 12, 31, 23, 59, 59, tzinfo=UTC)
SPAN_SECONDS = int((OBSERVATION_END - START).total_seconds())


def synthetic(transactions: int, customers: int, seed: int) -> list[tuple[int, datetime, Decimal]]:
    """Seeded transactions: customers buy at random moments, a few of them often."""
    rng = random.Random(seed)
    weights = [rng.paretovariate(1.5) for _ in range(customers)]
    ids = rng.choices(range(customers), weights=weights, k=transactions)
    rows = []
    for customer in ids:
        at = START + timedelta(seconds=rng.randrange(SPAN_SECONDS))
        cents = rng.randrange(100, 50_000)
        rows.append((customer, at, Decimal(cents).scaleb(-2)))
    return rows


def best_of(runs: int, action: Callable[[], Any]) -> tuple[float, float, Any]:
    """The fastest of ``runs`` timings as (wall seconds, CPU seconds), and the last result.

    CPU time (``time.process_time``) is the fairer figure on a shared machine.
    """
    wall = cpu = float("inf")
    result = None
    for _ in range(runs):
        gc.collect()
        started, started_cpu = time.perf_counter(), time.process_time()
        result = action()
        wall = min(wall, time.perf_counter() - started)
        cpu = min(cpu, time.process_time() - started_cpu)
    return wall, cpu, result


def peer(choice: str) -> tuple[str, Callable[..., Any] | None]:
    """The peer: lifetimes if importable (unless told otherwise), else a labelled pandas groupby."""
    if choice in {"auto", "lifetimes"}:
        try:
            import lifetimes  # noqa: PLC0415
            from lifetimes.utils import summary_data_from_transaction_data  # noqa: PLC0415
        except ImportError:
            if choice == "lifetimes":
                raise
        else:
            return f"lifetimes {lifetimes.__version__}", summary_data_from_transaction_data
    try:
        import pandas as pd  # noqa: PLC0415
    except ImportError:
        return "none (neither lifetimes nor pandas is importable)", None

    def pandas_summary(frame: Any, customer: str, when: str, **options: Any) -> Any:
        """Equivalent pandas groupby (NOT lifetimes): periods, first period dropped."""
        freq = options["freq"]
        value = options["monetary_value_col"]
        end = pd.Timestamp(options["observation_period_end"]).to_period(freq).ordinal
        data = frame.assign(period=frame[when].dt.to_period(freq).array.asi8)
        data = data[data["period"] <= end]
        per = data.groupby([customer, "period"], sort=True)[value].sum().reset_index()
        grouped = per.groupby(customer)["period"]
        out = pd.DataFrame({"first": grouped.min(), "last": grouped.max()})
        out["frequency"] = grouped.size() - 1
        out["recency"] = out["last"] - out["first"]
        out["T"] = end - out["first"]
        repeat = per[per["period"] != per[customer].map(out["first"])]
        out["monetary_value"] = repeat.groupby(customer)[value].mean().reindex(out.index)
        out["monetary_value"] = out["monetary_value"].fillna(0)
        return out[["frequency", "recency", "T", "monetary_value"]].astype(float)

    return f"pandas {pd.__version__} groupby (an equivalent, NOT lifetimes)", pandas_summary


def disagreements(table: SummaryTable, frame: Any) -> int:
    """Customers whose frequency, recency, T or monetary value differ between the two."""
    import pandas as pd  # noqa: PLC0415

    ours = pd.DataFrame(table.to_columns()).set_index("customer_id").sort_index()
    theirs = frame.sort_index()
    if list(ours.index) != list(theirs.index):
        return len(set(ours.index) ^ set(theirs.index))
    columns = ["frequency", "recency", "T"]
    differ = (ours[columns] != theirs[columns]).any(axis=1)
    differ |= (ours["monetary_value"] - theirs["monetary_value"]).abs() > 1e-6
    return int(differ.sum())


def compare(rows: list[tuple[int, datetime, Decimal]], runs: int, choice: str) -> None:
    """Time summarize against the peer for weekly and daily periods."""
    label, peer_summary = peer(choice)
    print(f"peer: {label}")
    frame = None
    if peer_summary is not None:
        import pandas as pd  # noqa: PLC0415

        frame = pd.DataFrame(
            {
                "customer": [row[0] for row in rows],
                # lifetimes works on naive timestamps: the same instants in UTC.
                "at": pd.to_datetime([row[1].replace(tzinfo=None) for row in rows]),
                "amount": [float(row[2]) for row in rows],
            }
        )
    for period, freq in (("week", "W"), ("day", "D")):
        ours, ours_cpu, table = best_of(
            runs,
            lambda period=period: summarize(rows, period=period, observation_end=OBSERVATION_END),
        )
        line = f"summarize {period:>5}: crmcore {ours:6.2f} s ({ours_cpu:6.2f} s CPU)"
        if peer_summary is not None and frame is not None:
            theirs, theirs_cpu, result = best_of(
                runs,
                lambda freq=freq: peer_summary(
                    frame,
                    "customer",
                    "at",
                    monetary_value_col="amount",
                    observation_period_end=OBSERVATION_END.replace(tzinfo=None),
                    freq=freq,
                ),
            )
            line += (
                f" | peer {theirs:6.2f} s ({theirs_cpu:6.2f} s CPU)"
                f" | crmcore / peer = {ours / theirs:4.2f} wall, {ours_cpu / theirs_cpu:4.2f} CPU"
                f" (goal <= 2) | disagreements: {disagreements(table, result)}"
            )
        print(line)


def incremental(rows: list[tuple[int, datetime, Decimal]]) -> None:
    """Time one add() per transaction into a warm accumulator, and add() + summary()."""
    accumulator = SummaryAccumulator(period="week", tz=UTC)
    accumulator.extend(rows[: len(rows) // 2])
    tail = rows[len(rows) // 2 :]
    add = accumulator.add
    gc.collect()
    started, started_cpu = time.perf_counter(), time.process_time()
    for customer, at, amount in tail:
        add(customer, at, amount)
    elapsed, elapsed_cpu = time.perf_counter() - started, time.process_time() - started_cpu
    print(
        f"incremental add: {elapsed / len(tail) * 1e6:.2f} µs wall, "
        f"{elapsed_cpu / len(tail) * 1e6:.2f} µs CPU per transaction (goal < 5 µs), "
        f"over {len(tail):,} transactions into a warm accumulator"
    )
    sample = tail[:20_000]
    summary = accumulator.summary
    started = time.perf_counter()
    for customer, at, amount in sample:
        add(customer, at, amount)
        summary(customer, observation_end=OBSERVATION_END)
    elapsed = time.perf_counter() - started
    print(
        f"add + re-summarize that customer (O(its periods)): {elapsed / len(sample) * 1e6:.2f} µs"
    )


def partitions(rows: list[tuple[int, datetime, Decimal]], parts: int = 8) -> None:
    """Build per-partition accumulators, merge them, and check against the whole."""
    built = []
    started = time.perf_counter()
    for index in range(parts):
        partial = SummaryAccumulator(period="week", tz=UTC)
        partial.extend(rows[index::parts])
        built.append(partial)
    build_time = time.perf_counter() - started
    started = time.perf_counter()
    merged = built[0].merge(*built[1:])
    merge_time = time.perf_counter() - started
    whole = summarize(rows, period="week", observation_end=OBSERVATION_END)
    same = merged.summarize(observation_end=OBSERVATION_END) == whole
    print(
        f"{parts} partitions: build {build_time:.3f} s, merge {merge_time:.3f} s, "
        f"merged == whole: {same}"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--transactions", type=int, default=1_000_000)
    parser.add_argument("--customers", type=int, default=None)
    parser.add_argument("--seed", type=int, default=2024)
    parser.add_argument("--runs", type=int, default=2)
    parser.add_argument("--peer", choices=["auto", "lifetimes", "pandas"], default="auto")
    args = parser.parse_args()
    customers = args.customers or max(1, args.transactions // 10)
    rows = synthetic(args.transactions, customers, args.seed)
    print(f"{len(rows):,} transactions of {customers:,} customers (seed {args.seed})")
    compare(rows, args.runs, args.peer)
    incremental(rows)
    partitions(rows)


if __name__ == "__main__":
    main()
