"""Compiled segmentation rules against the same tests written by hand, on every shape users pass.

For each shape of customer data the rule is evaluated on:

- ``dict-int``: plain dicts of ints and Decimals (money as Decimal amounts);
- ``dict-float``: plain dicts holding floats (frequency and money as floats);
- ``attrs``: attrs objects (slotted classes) of ints and Decimals;
- ``snapshot``: crmcore's own snapshots (``segmentation.snapshot()`` of
  registered customers with consents, tags and lifecycle, plus purchase facts),

and for two rules (``audience``: five conditions with a nested any_of, as a
marketer writes; ``threshold``: one numeric condition, where the per-call
overhead shows most), it times three contenders over the same data:

- ``hand``: a hand-written lambda doing the same tests on that shape;
- ``predicate``: ``rule.predicate(at=...)``, compiled once, called per item;
- ``matches``: ``rule.matches(item, at=...)`` called in the loop, as a newcomer writes it.

The contenders run interleaved in one process, taking turns on chunks of
1,000 items, ``--repeats`` times each; a contender's time is the sum over the
chunks of its minimum per chunk. The script reports **ratios of minima as
speed relative to hand-written code**
(hand time / crmcore time: 1.0 is as fast as hand-written, 0.5 half as fast).
Goals: predicate >= 0.5, matches >= 0.25. Every contender must count the same
matches, or the script stops.

    python benchmarks/bench_rules.py                      # 20,000 items, 9 repeats
    python benchmarks/bench_rules.py --n 1000000 --repeats 7
    PYTHONPATH=/work/before/src python benchmarks/bench_rules.py   # the code before
"""

from __future__ import annotations

import argparse
import random
import time
from collections.abc import Callable, Sequence
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any

import attrs

from crmcore import ContactPoint, Customer, CustomerId, Money, PersonName
from crmcore.lifecycle import RELATIONSHIP_LADDER
from crmcore.segmentation import all_of, any_of, field, rule_from_dict, rule_to_dict, snapshot

AT = datetime(2026, 6, 30, 12, 0, tzinfo=UTC)
STAGES = ("suspect", "prospect", "first_time_customer", "repeat_customer", "client", "member")
WANTED = frozenset({"repeat_customer", "client", "member"})
TAGS = ("vip", "newsletter", "wholesale", "b2b", "birthday-club", "referral", "app-user")
BIG = 1_000_000  # the money threshold, in currency units
CHUNK = 1_000  # items per timed run


@attrs.frozen
class CustomerRow:
    """What an application's own customer class might look like."""

    id: str
    frequency: int
    monetary: Decimal
    stage: str
    tags: frozenset[str]
    last_purchase_at: datetime
    may_email_marketing: bool


def _row(rng: random.Random, index: int) -> dict[str, Any]:
    return {
        "id": f"c-{index}",
        "frequency": rng.randint(0, 12),
        # Often exactly on the threshold, so ties are measured too.
        "monetary": Decimal(rng.choice([rng.randint(0, 5 * BIG), BIG])),
        "stage": rng.choice(STAGES),
        "tags": frozenset(rng.sample(TAGS, k=rng.randint(0, 3))),
        "last_purchase_at": AT - timedelta(days=rng.randint(0, 400)),
        "may_email_marketing": rng.random() < 0.6,
    }


def dicts_of_ints(n: int, seed: int = 7) -> list[dict[str, Any]]:
    rng = random.Random(seed)
    return [_row(rng, index) for index in range(n)]


def dicts_of_floats(n: int, seed: int = 7) -> list[dict[str, Any]]:
    rows = dicts_of_ints(n, seed)
    for row in rows:
        row["frequency"] = float(row["frequency"])
        row["monetary"] = float(row["monetary"]) + random.Random(row["id"]).choice([0.0, 0.25])
    return rows


def attrs_objects(n: int, seed: int = 7) -> list[CustomerRow]:
    return [CustomerRow(**row) for row in dicts_of_ints(n, seed)]


def _customer(rng: random.Random, index: int) -> tuple[Customer, dict[str, Any]]:
    """A registered customer moved up the ladder, and the purchase facts a host would add."""
    start = AT - timedelta(days=800)
    customer = Customer.register(
        CustomerId(f"c-{index}"),
        name=PersonName("Ana", family="Putri"),
        at=start,
        contact_points=[ContactPoint("email", f"c{index}@example.com")],
        tags=rng.sample(TAGS, k=rng.randint(0, 3)),
    )
    if rng.random() < 0.6:
        customer = customer.give_consent("email", "marketing", at=start, source="signup-form")
    moves = ["qualify", "first_purchase", "repeat_purchase"][: rng.randint(0, 3)]
    for step, trigger in enumerate(moves):
        customer = RELATIONSHIP_LADDER.fire(customer, trigger, at=start + timedelta(days=step + 1))
    facts = {
        "frequency": rng.randint(0, 12),
        "monetary": Money(rng.choice([rng.randint(0, 5 * BIG), BIG]), "USD"),
        "last_purchase_at": AT - timedelta(days=rng.randint(0, 400)),
    }
    return customer.without_pending_events(), facts


def snapshots(n: int, seed: int = 7, distinct: int = 500) -> list[dict[str, Any]]:
    """``n`` snapshots of ``distinct`` customers (snapshots are costly to build before the change)."""
    rng = random.Random(seed)
    made = [snapshot(c, at=AT, facts=f) for c, f in (_customer(rng, i) for i in range(distinct))]
    return [made[index % distinct] for index in range(n)]


# -- rules and their hand-written equals, per shape -------------------------------------


def audience(money: object) -> Any:
    """Repeat buyers in the later stages, recently active, who may get marketing email."""
    return all_of(
        field("frequency") >= 3,
        field("stage").is_in(set(WANTED)),
        field("last_purchase_at").within_last(days=90),
        field("may_email_marketing").is_true(),
        any_of(field("tags").has("vip"), field("monetary") >= money),
    )


def threshold() -> Any:
    return field("frequency") >= 3


def hand_audience(shape: str) -> Callable[[Any], bool]:
    cutoff = AT - timedelta(days=90)
    if shape == "attrs":
        big = Decimal(BIG)
        return lambda s: (
            s.frequency >= 3
            and s.stage in WANTED
            and cutoff <= s.last_purchase_at <= AT
            and s.may_email_marketing is True
            and ("vip" in s.tags or s.monetary >= big)
        )
    big_value: object = {
        "dict-int": Decimal(BIG),
        "dict-float": float(BIG),
        "snapshot": Money(BIG, "USD"),
    }[shape]
    return lambda s: (
        s["frequency"] >= 3
        and s["stage"] in WANTED
        and cutoff <= s["last_purchase_at"] <= AT
        and s["may_email_marketing"] is True
        and ("vip" in s["tags"] or s["monetary"] >= big_value)
    )


def hand_threshold(shape: str) -> Callable[[Any], bool]:
    if shape == "attrs":
        return lambda s: s.frequency >= 3
    return lambda s: s["frequency"] >= 3


# -- timing -------------------------------------------------------------------------------


def count(test: Callable[[Any], bool], items: Sequence[Any]) -> int:
    found = 0
    for item in items:
        if test(item):
            found += 1
    return found


def count_matches(rule: Any, items: Sequence[Any]) -> int:
    found = 0
    for item in items:
        if rule.matches(item, at=AT):
            found += 1
    return found


def measure(rule: Any, hand: Callable[[Any], bool], items: Sequence[Any], repeats: int) -> dict:
    """Each contender's time over ``items``: per chunk the minimum over ``repeats``, summed.

    Chunks are short (well under a scheduler time slice) and the contenders
    take turns on each one, so on a busy machine each chunk's minimum is a run
    nobody interrupted, for every contender alike.
    """
    compiled = rule.predicate(at=AT)
    runs: dict[str, Callable[[Sequence[Any]], int]] = {
        "hand": lambda chunk: count(hand, chunk),
        "predicate": lambda chunk: count(compiled, chunk),
        "matches": lambda chunk: count_matches(rule, chunk),
    }
    chunks = [items[start : start + CHUNK] for start in range(0, len(items), CHUNK)]
    best = {name: [float("inf")] * len(chunks) for name in runs}
    counts = dict.fromkeys(runs, 0)
    for repeat in range(repeats):
        for number, chunk in enumerate(chunks):
            for name, run in runs.items():
                start = time.perf_counter()
                found = run(chunk)
                best[name][number] = min(best[name][number], time.perf_counter() - start)
                if repeat == 0:
                    counts[name] += found
    if len(set(counts.values())) != 1:
        raise SystemExit(f"the contenders disagree: {counts}")
    return {"best": {name: sum(times) for name, times in best.items()}, "matched": counts["hand"]}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=20_000, help="items per shape (default 20,000)")
    parser.add_argument("--repeats", type=int, default=9, help="interleaved runs (default 9)")
    args = parser.parse_args()
    shapes = {
        "dict-int": (dicts_of_ints, Decimal(BIG)),
        "dict-float": (dicts_of_floats, BIG),
        "attrs": (attrs_objects, Decimal(BIG)),
        "snapshot": (snapshots, Money(BIG, "USD")),
    }
    print(f"items per shape: {args.n:,}, repeats: {args.repeats}")
    print("speed relative to hand-written (hand time / crmcore time; goals 0.5 and 0.25)")
    print(
        f"{'shape':<11} {'rule':<10} {'matched':>9} {'hand ns':>8} {'predicate':>10} {'matches':>8}"
    )
    for shape, (make, money) in shapes.items():
        items = make(args.n)
        rules = {
            # As a host application would: the rule comes back from its stored document.
            "audience": (rule_from_dict(rule_to_dict(audience(money))), hand_audience(shape)),
            "threshold": (threshold(), hand_threshold(shape)),
        }
        for name, (rule, hand) in rules.items():
            result = measure(rule, hand, items, args.repeats)
            best = result["best"]
            print(
                f"{shape:<11} {name:<10} {result['matched']:>9,} "
                f"{best['hand'] / args.n * 1e9:>8.0f} "
                f"{best['hand'] / best['predicate']:>10.2f} {best['hand'] / best['matches']:>8.3f}"
            )


if __name__ == "__main__":
    main()
