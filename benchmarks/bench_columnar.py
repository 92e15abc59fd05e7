"""Weekly summaries from columns: crmcore's ``summarize_columns`` against rows, polars and DuckDB.

Generates ``--n`` synthetic transactions (seeded; about ten per customer, 3% refunds,
times over two years as epoch microseconds, amounts as integer cents), holds
them as numpy ``int64`` arrays (what a Parquet file or an engine's result gives),
and times, interleaved over ``--repeats`` runs, the CPU of (``time.process_time``,
all threads of the process) computing frequency, recency, T and monetary value
per customer with weekly periods:

``columns``
    ``summarize_columns`` over the three numpy arrays (``time_unit="us"``,
    ``amount_scale=2``): reading the columns included;
``pandas UTC`` / ``pandas Jakarta``
    the same with the times as a timezone-aware pandas column
    (``datetime64[us, UTC]``, or converted to ``Asia/Jakarta``), as a DataFrame
    read from Parquet holds them, on the same UTC calendar;
``rows``
    ``summarize`` over ``(int, datetime, Decimal)`` tuples built beforehand (the
    conversion into tuples is not timed);
``polars``
    a ``group_by`` on customer and week, then on customer, over a DataFrame of
    the same arrays;
``duckdb``
    the same two ``GROUP BY`` in SQL over an Arrow table of the arrays.

Checks first that all four give the same summaries (monetary value to 1e-9),
then prints the best CPU time of each and the ratios of minima against polars
and DuckDB.

    python benchmarks/bench_columnar.py                    # 100,000 transactions
    python benchmarks/bench_columnar.py --n 1000000 --repeats 3
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

from crmcore.clv import summarize
from crmcore.clv.summaries._columnar import summarize_columns

START = datetime(2022, 1, 3, tzinfo=UTC)
END = datetime(2023, 12, 31, 23, 59, tzinfo=UTC)
EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
DAY_US = 86_400_000_000


def generate(n: int, seed: int = 20) -> tuple[list[int], list[int], list[int]]:
    """Customer ids, epoch microseconds and cents of ``n`` transactions."""
    rng = random.Random(seed)
    customers = max(1, n // 10)
    start = int((START - EPOCH).total_seconds()) * 1_000_000
    span = int((END - START).total_seconds()) * 1_000_000
    ids = [rng.randrange(customers) for _ in range(n)]
    at = [start + rng.randrange(span) for _ in range(n)]
    cents = [
        rng.randrange(-5_000, 0) if rng.random() < 0.03 else rng.randrange(100, 20_000)
        for _ in range(n)
    ]
    return ids, at, cents


END_WEEK = ((int((END - EPOCH).total_seconds()) * 1_000_000) // DAY_US + 3) // 7

SQL = f"""
WITH cells AS (
    SELECT customer_id, ("at" // {DAY_US} + 3) // 7 AS week,
           bool_or(amount >= 0) AS bought, sum(amount) AS net
    FROM tx GROUP BY customer_id, week
), firsts AS (
    SELECT customer_id, min(week) FILTER (WHERE bought) AS first,
           max(week) FILTER (WHERE bought) AS last,
           count(*) FILTER (WHERE bought) - 1 AS frequency
    FROM cells GROUP BY customer_id
)
SELECT f.customer_id, f.frequency, f.last - f.first AS recency, {END_WEEK} - f.first AS T,
       CASE WHEN f.frequency = 0 THEN 0
            ELSE coalesce(sum(c.net) FILTER (WHERE c.week > f.first), 0) / 100.0 / f.frequency END
           AS monetary_value
FROM firsts f JOIN cells c USING (customer_id)
WHERE f.first IS NOT NULL
GROUP BY f.customer_id, f.frequency, f.first, f.last
"""  # noqa: S608 - built from this script's constants, no input


def by_polars(pl: Any, frame: Any) -> Any:
    cells = (
        frame.with_columns(week=(pl.col("at") // DAY_US + 3) // 7)
        .group_by("customer_id", "week")
        .agg(bought=(pl.col("amount") >= 0).any(), net=pl.col("amount").sum())
    )
    firsts = (
        cells.filter(pl.col("bought"))
        .group_by("customer_id")
        .agg(first=pl.col("week").min(), last=pl.col("week").max(), frequency=pl.len() - 1)
    )
    repeat = (
        cells.join(firsts, on="customer_id")
        .filter(pl.col("week") > pl.col("first"))
        .group_by("customer_id")
        .agg(repeat=pl.col("net").sum())
    )
    return (
        firsts.join(repeat, on="customer_id", how="left")
        .with_columns(
            recency=pl.col("last") - pl.col("first"),
            T=END_WEEK - pl.col("first"),
            monetary_value=pl.when(pl.col("frequency") == 0)
            .then(0.0)
            .otherwise(pl.col("repeat").fill_null(0) / 100.0 / pl.col("frequency")),
        )
        .select("customer_id", "frequency", "recency", "T", "monetary_value")
    )


def agree(condition: bool, what: str) -> None:
    """Stop the benchmark when two paths disagree (timing unequal work would mean nothing)."""
    if not condition:
        raise SystemExit(f"the paths disagree: {what}")


def check(table: Any, others: dict[str, dict[int, tuple[int, int, int, float]]]) -> None:
    for name, rows in others.items():
        agree(set(rows) == set(table), name)
        for customer, (frequency, recency, age, monetary) in rows.items():
            mine = table[customer]
            agree((mine.frequency, mine.recency, mine.T) == (frequency, recency, age), name)
            agree(
                abs(float(mine.monetary_value) - monetary) <= 1e-9 * max(1.0, abs(monetary)), name
            )


def cpu(run: Callable[[], object]) -> float:
    gc.collect()
    began = time.process_time()
    run()
    return time.process_time() - began


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=100_000, help="transactions (default 100,000)")
    parser.add_argument("--repeats", type=int, default=5, help="interleaved runs, minimum kept")
    args = parser.parse_args()

    import duckdb  # noqa: PLC0415 - benchmark-only dependencies.
    import numpy as np  # noqa: PLC0415
    import pandas as pd  # noqa: PLC0415
    import polars as pl  # noqa: PLC0415
    import pyarrow as pa  # noqa: PLC0415

    ids, at, cents = generate(args.n)
    columns = (
        np.array(ids, dtype=np.int64),
        np.array(at, dtype=np.int64),
        np.array(cents, dtype=np.int64),
    )
    rows = [
        (c, EPOCH + timedelta(microseconds=t), Decimal(a).scaleb(-2))
        for c, t, a in zip(ids, at, cents, strict=True)
    ]
    frame = pl.DataFrame({"customer_id": columns[0], "at": columns[1], "amount": columns[2]})
    arrow = pa.table({"customer_id": columns[0], "at": columns[1], "amount": columns[2]})
    con = duckdb.connect()
    con.register("tx", arrow)

    options = {"period": "week", "observation_end": END, "tz": UTC}
    utc_times = pd.Series(columns[1].astype("datetime64[us]")).dt.tz_localize("UTC")
    jakarta_times = utc_times.dt.tz_convert("Asia/Jakarta")
    ids_series, cents_series = pd.Series(columns[0]), pd.Series(columns[2])
    runs: dict[str, Callable[[], object]] = {
        "columns": lambda: summarize_columns(*columns, time_unit="us", amount_scale=2, **options),
        "pandas UTC": lambda: summarize_columns(
            ids_series, utc_times, cents_series, amount_scale=2, **options
        ),
        "pandas Jakarta": lambda: summarize_columns(
            ids_series, jakarta_times, cents_series, amount_scale=2, **options
        ),
        "rows": lambda: summarize(rows, **options),
        "polars": lambda: by_polars(pl, frame),
        "duckdb": lambda: con.execute(SQL).fetchall(),
    }
    table = summarize_columns(*columns, time_unit="us", amount_scale=2, **options)
    agree(dict(table) == dict(summarize(rows, **options)), "columns and rows")
    for times in (utc_times, jakarta_times):
        same = summarize_columns(ids_series, times, cents_series, amount_scale=2, **options)
        agree(same == table, "pandas times and epoch values")
    polars_rows = {r[0]: tuple(r[1:]) for r in by_polars(pl, frame).iter_rows()}
    duck_rows = {r[0]: (r[1], r[2], r[3], float(r[4])) for r in con.execute(SQL).fetchall()}
    check(table, {"polars": polars_rows, "duckdb": duck_rows})
    print(f"{args.n:,} transactions, {len(table):,} customers: all six agree")

    best = dict.fromkeys(runs, float("inf"))
    for _ in range(args.repeats):
        for name, run in runs.items():
            best[name] = min(best[name], cpu(run))
    for name, seconds in best.items():
        print(f"{name:>14}: {seconds:8.3f} s CPU (best of {args.repeats})")
    for name in ("rows", "polars", "duckdb"):
        print(f"columns / {name}: {best['columns'] / best[name]:.2f}")
    for name in ("pandas UTC", "pandas Jakarta"):
        print(f"{name} / columns: {best[name] / best['columns']:.2f}")


if __name__ == "__main__":
    main()
