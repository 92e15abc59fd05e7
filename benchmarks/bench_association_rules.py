"""Association-rule mining against mlxtend, on 100,000 baskets over about 200 products.

Contenders, each mining the rules with support >= ``--support``, confidence
>= ``--confidence`` and at most ``--max-length`` items:

- **crmcore**: ``association_rules(pairs, ...)`` over ``(basket_id, product)``
  pairs, the shape an order-lines table reads as (building the baskets is
  part of its time).
- **mlxtend apriori** / **mlxtend fpgrowth**: ``apriori`` (``low_memory``
  off) or ``fpgrowth`` on a one-hot boolean DataFrame that is already built,
  then ``mlxtend.frequent_patterns.association_rules``.
- **mlxtend fpgrowth+frame** (for information): the same with the one-hot
  DataFrame built from the pairs inside the timing (``TransactionEncoder``).

Before timing, the script checks that crmcore and mlxtend find the same rules
(same antecedents and consequents) with the same support, confidence and
lift (to 1e-9). Contenders are interleaved over the repeats and each keeps its
best run; ratios are **crmcore time / peer time** (lower is better). Times are
the process's CPU time (``time.process_time``), each run after
``gc.collect()`` with the collector on.

    python benchmarks/bench_association_rules.py
    python benchmarks/bench_association_rules.py --baskets 20000 --repeats 3
"""

from __future__ import annotations

import argparse
import gc
import math
import random
import sys
import time
from collections.abc import Callable
from typing import Any

from crmcore.recommendations import association_rules

try:
    import pandas as pd
    from mlxtend.frequent_patterns import apriori, fpgrowth
    from mlxtend.frequent_patterns import association_rules as mlxtend_rules
    from mlxtend.preprocessing import TransactionEncoder
except ImportError:  # pragma: no cover - the benchmark needs its peer
    raise SystemExit("bench_association_rules needs mlxtend (pip install mlxtend pandas)") from None


def make_baskets(n: int, products: int, seed: int = 7) -> list[list[str]]:
    """Seeded baskets: 1 to 8 products each, popularity Zipf-like, with bundles bought together.

    Every fifth product is the "add-on" of the product before it and joins
    its basket with probability 0.6, so there are real rules to find.
    """
    rng = random.Random(seed)
    names = [f"p{index:03d}" for index in range(products)]
    weights = [1 / (rank + 1) ** 0.8 for rank in range(products)]
    baskets = []
    for _ in range(n):
        size = min(8, 1 + int(rng.expovariate(1 / 1.8)))
        chosen = set(rng.choices(range(products), weights=weights, k=size))
        for index in list(chosen):
            if index % 5 == 3 and rng.random() < 0.6:
                chosen.add(index + 1)
        baskets.append([names[index] for index in sorted(chosen)])
    return baskets


def as_pairs(baskets: list[list[str]]) -> list[tuple[int, str]]:
    return [(number, item) for number, items in enumerate(baskets) for item in items]


def one_hot(baskets: list[list[str]]) -> pd.DataFrame:
    encoder = TransactionEncoder()
    table = encoder.fit(baskets).transform(baskets)
    return pd.DataFrame(table, columns=encoder.columns_)


def run_crmcore(pairs: list[tuple[int, str]], args: argparse.Namespace) -> dict[Any, Any]:
    rules = association_rules(
        pairs,
        min_support=args.support,
        min_confidence=args.confidence,
        max_length=args.max_length,
    )
    return {
        (rule.antecedent, rule.consequent): (rule.support, rule.confidence, rule.lift)
        for rule in rules
    }


def run_mlxtend(frame: pd.DataFrame, args: argparse.Namespace, miner: Callable[..., Any]) -> Any:
    itemsets = miner(frame, min_support=args.support, use_colnames=True, max_len=args.max_length)
    return mlxtend_rules(itemsets, metric="confidence", min_threshold=args.confidence)


def mlxtend_map(rules: Any) -> dict[Any, Any]:
    return {
        (tuple(sorted(a)), tuple(sorted(c))): (s, conf, lift)
        for a, c, s, conf, lift in zip(
            rules["antecedents"],
            rules["consequents"],
            rules["support"],
            rules["confidence"],
            rules["lift"],
            strict=True,
        )
    }


def same_rules(ours: dict[Any, Any], theirs: dict[Any, Any]) -> None:
    if set(ours) != set(theirs):
        missing, extra = set(theirs) - set(ours), set(ours) - set(theirs)
        raise SystemExit(
            f"rules differ: {len(missing)} only in mlxtend, {len(extra)} only in crmcore"
        )
    for key, values in ours.items():
        for mine, peer in zip(values, theirs[key], strict=True):
            if not math.isclose(mine, float(peer), rel_tol=1e-9, abs_tol=1e-12):
                raise SystemExit(f"measures differ for {key}: {values} vs {theirs[key]}")


def timed(call: Callable[[], object]) -> float:
    gc.collect()
    start = time.process_time()
    call()
    return time.process_time() - start


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--baskets", type=int, default=100_000)
    parser.add_argument("--products", type=int, default=200)
    parser.add_argument("--support", type=float, default=0.002)
    parser.add_argument("--confidence", type=float, default=0.1)
    parser.add_argument("--max-length", type=int, default=3)
    parser.add_argument("--repeats", type=int, default=5)
    args = parser.parse_args()

    baskets = make_baskets(args.baskets, args.products)
    pairs = as_pairs(baskets)
    frame = one_hot(baskets)
    ours = run_crmcore(pairs, args)
    for miner in (apriori, fpgrowth):
        same_rules(ours, mlxtend_map(run_mlxtend(frame, args, miner)))
    print(
        f"{args.baskets:,} baskets, {len(pairs):,} lines, {args.products} products; "
        f"support >= {args.support}, confidence >= {args.confidence}, "
        f"max length {args.max_length}: {len(ours):,} rules, identical in crmcore and mlxtend"
    )

    contenders: dict[str, Callable[[], object]] = {
        "crmcore": lambda: run_crmcore(pairs, args),
        "mlxtend apriori": lambda: run_mlxtend(frame, args, apriori),
        "mlxtend fpgrowth": lambda: run_mlxtend(frame, args, fpgrowth),
        "mlxtend fpgrowth+frame": lambda: run_mlxtend(one_hot(baskets), args, fpgrowth),
    }
    best = dict.fromkeys(contenders, math.inf)
    for _ in range(args.repeats):
        for name, call in contenders.items():
            best[name] = min(best[name], timed(call))
    print(f"{'contender':<26}{'best CPU s':>12}{'crmcore / it':>14}")
    for name, seconds in best.items():
        print(f"{name:<26}{seconds:>12.3f}{best['crmcore'] / seconds:>14.2f}")
    print(f"python {sys.version.split()[0]}, pandas {pd.__version__}")


if __name__ == "__main__":
    main()
