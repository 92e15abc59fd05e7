"""Duplicate detection: precision, recall and time, and blocked against all-pairs comparison.

One run reports two measurements (``_duplicates_data.py`` describes the data):

1. **Quality and time** at ``--n`` synthetic customers (100,000 by default) with
   5% seeded duplicates: ``find_duplicates(customers)`` with the default rules,
   timed once from the customers (preparing them is part of the time), then
   precision (found pairs that are true duplicates), recall (true pairs found)
   and F1. Recall is also given over the true pairs that keep some evidence a
   default rule can use (a shared email or phone, or addresses in one postal code):
   the others share no email, phone or postal code, and no rule short of a
   name-only match could find them. Times are wall-clock, with the process's CPU
   time beside them (a steadier figure on a busy machine).
2. **Blocked against naive** at ``--naive-n`` customers (5,000 by default):
   ``find_duplicates`` against the same comparison over all pairs, interleaved
   over ``--repeats`` runs, reporting each one's best time and the ratio of the
   minima (naive / blocked). It checks that every pair the blocked search finds
   the naive one finds too, and reports how many of the naive pairs blocking kept.

    python benchmarks/bench_duplicates.py                         # 100,000 and 5,000
    python benchmarks/bench_duplicates.py --n 20000 --naive-n 1000 --repeats 2

The defaults take about five minutes on an idle machine, most of it in the all-pairs runs
(``--repeats 1`` or a smaller ``--naive-n`` for a quick look).
"""

from __future__ import annotations

import argparse
import gc
import sys
import time
from collections.abc import Callable

from _duplicates_data import SyntheticData, generate  # beside this script
from crmcore.customers import Channel, Customer, CustomerId
from crmcore.parties import DuplicateReport, find_duplicates
from crmcore.parties._matching import all_pairs  # the quadratic baseline, private on purpose


def timed(run: Callable[[], DuplicateReport]) -> tuple[float, float, DuplicateReport]:
    """Wall time, CPU time of this process, and the result."""
    gc.collect()
    start, cpu = time.perf_counter(), time.process_time()
    result = run()
    return time.perf_counter() - start, time.process_time() - cpu, result


def pairs(report: DuplicateReport) -> set[frozenset[object]]:
    return {frozenset((c.left, c.right)) for c in report.candidates}


def has_evidence(a: Customer, b: Customer) -> bool:
    """True if a default rule could see the pair: a shared email or phone, or a shared place.

    A shared place is an address on each side in the same country and postal code.
    """
    values = (
        {p.value for p in c.contact_points if p.channel is not Channel.POSTAL} for c in (a, b)
    )
    if set.intersection(*values):
        return True
    places = ({(x.country, x.postal_code) for x in c.profile.addresses} for c in (a, b))
    return bool(set.intersection(*places))


def quality(data: SyntheticData) -> None:
    seconds, cpu, report = timed(lambda: find_duplicates(data.customers))
    found = pairs(report)
    truth: set[frozenset[object]] = set(data.truth)
    hits = len(found & truth)
    precision = hits / len(found) if found else 0.0
    recall = hits / len(truth) if truth else 0.0
    f1 = 2 * precision * recall / (precision + recall) if hits else 0.0
    by_id: dict[CustomerId, Customer] = {c.id: c for c in data.customers}
    visible = set()
    for pair in data.truth:
        a, b = (by_id[x] for x in pair)
        if has_evidence(a, b):
            visible.add(pair)
    visible_recall = len(found & visible) / len(visible) if visible else 0.0
    print(f"\n1. quality and time: {len(data.customers):,} customers, {len(truth):,} true pairs")
    print(
        f"   time                {seconds:8.2f} s  ({cpu:.2f} s CPU; "
        f"{report.comparisons:,} pairs compared, "
        f"{report.blocks:,} blocks, {report.oversized_blocks} above the cap)"
    )
    print(f"   candidates          {len(found):8,}")
    print(f"   precision           {precision:8.4f}")
    print(f"   recall              {recall:8.4f}")
    print(f"   F1                  {f1:8.4f}")
    print(
        f"   recall, pairs with evidence {visible_recall:.4f} "
        f"({len(visible):,} of the true pairs share an email, a phone or a postal code)"
    )


def blocked_vs_naive(data: SyntheticData, repeats: int) -> None:
    customers = data.customers
    best = {"blocked": float("inf"), "naive": float("inf")}
    best_cpu = dict(best)
    reports: dict[str, DuplicateReport] = {}
    for _ in range(repeats):  # interleaved: each repeat runs both
        for name, run in (
            ("blocked", lambda: find_duplicates(customers)),
            ("naive", lambda: all_pairs(customers)),
        ):
            seconds, cpu, reports[name] = timed(run)
            best[name] = min(best[name], seconds)
            best_cpu[name] = min(best_cpu[name], cpu)
    blocked, naive = pairs(reports["blocked"]), pairs(reports["naive"])
    if not blocked <= naive:
        raise SystemExit("blocked search found a pair the all-pairs comparison did not")
    n = len(customers)
    print(f"\n2. blocked against naive: {n:,} customers, best of {repeats} interleaved runs")
    print(
        f"   blocked             {best['blocked']:8.3f} s  "
        f"({reports['blocked'].comparisons:,} pairs compared)"
    )
    print(f"   naive (all pairs)   {best['naive']:8.3f} s  ({n * (n - 1) // 2:,} pairs compared)")
    print(
        f"   ratio naive/blocked {best['naive'] / best['blocked']:8.1f}  "
        f"(CPU time: {best_cpu['naive'] / best_cpu['blocked']:.1f})"
    )
    print(
        f"   pairs found         blocked {len(blocked):,} of naive {len(naive):,} "
        f"({len(blocked) / len(naive) if naive else 1.0:.4f}); "
        f"true pairs {len(data.truth):,}"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=100_000, help="customers for quality and time")
    parser.add_argument("--naive-n", type=int, default=5_000, help="customers for all-pairs")
    parser.add_argument("--repeats", type=int, default=3, help="interleaved repeats (all-pairs)")
    parser.add_argument("--seed", type=int, default=14, help="generator seed")
    args = parser.parse_args()
    sys.stdout.reconfigure(line_buffering=True)  # report each line as it comes
    print(f"python {sys.version.split()[0]}; seed {args.seed}")
    start = time.perf_counter()
    data = generate(args.n, seed=args.seed)
    print(f"generated {args.n:,} customers in {time.perf_counter() - start:.1f} s")
    quality(data)
    blocked_vs_naive(generate(args.naive_n, seed=args.seed + 1), args.repeats)


if __name__ == "__main__":
    main()
