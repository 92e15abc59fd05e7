"""Compiled segmentation rules against the equivalent hand-written Python expression.

Builds N synthetic customer snapshots (plain dicts, as ``snapshot()`` returns),
then counts the matches of one realistic audience rule twice: once with the
rule compiled by crmcore (``rule.predicate(at=...)``), once with a hand-written
lambda doing the same tests. Prints both rates and their ratio (the goal is at
least 0.5: half the speed of code written by hand, for a rule that was built
from a stored document and checks its types).

    python benchmarks/bench_rules.py            # 1,000,000 snapshots
    python benchmarks/bench_rules.py --n 100000
"""

from __future__ import annotations

import argparse
import random
import time
from datetime import UTC, datetime, timedelta
from decimal import Decimal

from crmcore.segmentation import all_of, any_of, field, rule_from_dict, rule_to_dict

AT = datetime(2026, 6, 30, 12, 0, tzinfo=UTC)
STAGES = ("suspect", "prospect", "first_time_customer", "repeat_customer", "client", "member")
TAGS = ("vip", "newsletter", "wholesale", "b2b", "birthday-club", "referral", "app-user")


def make_snapshots(n: int, seed: int = 7) -> list[dict[str, object]]:
    rng = random.Random(seed)
    return [
        {
            "id": f"c-{index}",
            "frequency": rng.randint(0, 12),
            "monetary": Decimal(rng.randint(0, 5_000_000)),
            "stage": rng.choice(STAGES),
            "tags": frozenset(rng.sample(TAGS, k=rng.randint(0, 3))),
            "last_purchase_at": AT - timedelta(days=rng.randint(0, 400)),
            "may_email_marketing": rng.random() < 0.6,
        }
        for index in range(n)
    ]


def audience():
    """Repeat buyers in the later stages, recently active, who may get marketing email."""
    return all_of(
        field("frequency") >= 3,
        field("stage").is_in({"repeat_customer", "client", "member"}),
        field("last_purchase_at").within_last(days=90),
        field("may_email_marketing").is_true(),
        any_of(field("tags").has("vip"), field("monetary") >= Decimal(1_000_000)),
    )


def hand_written():
    stages = frozenset({"repeat_customer", "client", "member"})
    cutoff = AT - timedelta(days=90)
    big = Decimal(1_000_000)
    return lambda s: (
        s["frequency"] >= 3
        and s["stage"] in stages
        and cutoff <= s["last_purchase_at"] <= AT
        and s["may_email_marketing"] is True
        and ("vip" in s["tags"] or s["monetary"] >= big)
    )


def timed(predicate, snapshots) -> tuple[float, int]:
    start = time.perf_counter()
    matched = sum(1 for s in snapshots if predicate(s))
    return time.perf_counter() - start, matched


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=1_000_000, help="snapshots (default 1,000,000)")
    parser.add_argument("--repeat", type=int, default=5, help="timed runs, best kept (default 5)")
    args = parser.parse_args()
    snapshots = make_snapshots(args.n)
    # As a host application would: the rule comes back from its stored document.
    rule = rule_from_dict(rule_to_dict(audience()))
    compiled = rule.predicate(at=AT)
    hand = hand_written()
    # Alternate the two and keep each one's best run, so a busy machine hurts both alike.
    fast_best = hand_best = float("inf")
    fast_matches = hand_matches = 0
    for _ in range(args.repeat):
        seconds, fast_matches = timed(compiled, snapshots)
        fast_best = min(fast_best, seconds)
        seconds, hand_matches = timed(hand, snapshots)
        hand_best = min(hand_best, seconds)
    fast_rate, hand_rate = args.n / fast_best, args.n / hand_best
    if fast_matches != hand_matches:
        raise SystemExit(f"mismatch: compiled {fast_matches} vs hand-written {hand_matches}")
    print(f"snapshots:           {args.n:,} ({fast_matches:,} match)")
    print(f"compiled rule:       {fast_rate:,.0f} snapshots/s")
    print(f"hand-written Python: {hand_rate:,.0f} snapshots/s")
    print(f"ratio:               {fast_rate / hand_rate:.2f} (goal: >= 0.5)")


if __name__ == "__main__":
    main()
