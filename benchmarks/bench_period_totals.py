"""SummaryAccumulator.from_period_total_columns against from_period_totals over rows.

Usage: python benchmarks/bench_period_totals.py [ROWS] [REPEATS]

Builds ROWS period totals (customers with about four periods each, two-place Decimal
amounts, a refund in one row of ten), then times the two entry points interleaved,
REPEATS times each, and prints the minimum of each and their ratio (rows / columns).
"""

import random
import sys
import time
from datetime import UTC
from decimal import Decimal

from crmcore.clv.summaries._state import SummaryAccumulator


def make_rows(size: int, seed: int = 20) -> list[tuple[int, int, Decimal | None, Decimal]]:
    rng = random.Random(seed)
    rows = []
    for index in range(size):
        purchased = None if index % 10 == 9 else Decimal(rng.randrange(1, 100_000)) / 100
        refunded = -Decimal(rng.randrange(1, 5_000)) / 100 if index % 10 in (3, 9) else Decimal(0)
        rows.append((index // 4, 10_000 + rng.randrange(0, 700), purchased, refunded))
    return rows


def main() -> None:
    size = int(sys.argv[1]) if len(sys.argv) > 1 else 100_000
    repeats = int(sys.argv[2]) if len(sys.argv) > 2 else 3
    rows = make_rows(size)
    columns = [list(column) for column in zip(*rows, strict=True)]
    by_rows: list[float] = []
    by_columns: list[float] = []
    for _ in range(repeats):
        start = time.process_time()
        expected = SummaryAccumulator.from_period_totals(rows, period="day", tz=UTC)
        by_rows.append(time.process_time() - start)
        start = time.process_time()
        acc, _ = SummaryAccumulator.from_period_total_columns(*columns, period="day", tz=UTC)
        by_columns.append(time.process_time() - start)
    if list(acc.period_totals()) != list(expected.period_totals()):
        raise SystemExit("the two entry points disagree")
    print(f"rows: {size:,}; CPU seconds, minimum of {repeats}")
    print(f"from_period_totals (rows):           {min(by_rows):.3f}")
    print(f"from_period_total_columns (columns): {min(by_columns):.3f}")
    print(f"ratio rows / columns:                {min(by_rows) / min(by_columns):.2f}x")


if __name__ == "__main__":
    main()
