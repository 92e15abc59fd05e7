"""The cost of a customer snapshot against the cost of the rule it feeds.

Builds ``--n`` registered customers (contact points, consents, tags, a place
on the relationship ladder) with their purchase facts, and one audience rule
over the snapshot (stage, marketing consent, tags, recency, order count and
total spent). It then times, interleaved in one process, per customer:

- ``rule``: the compiled rule on a prepared full snapshot (the rule's own cost);
- ``full``: ``snapshot(customer, at=..., facts=...)``, every field;
- ``fields``: ``snapshot(..., fields=rule.fields())``, only what the rule reads
  (skipped when the installed crmcore has no ``fields`` option);
- ``fields+rule``: building that snapshot and running the rule on it;
- ``rule-small``: the compiled rule on prepared fields-only snapshots.

The rule's own cost is measured on full snapshots, as the goal states it;
between the contenders' turns those large dicts fall out of the CPU caches,
so that figure includes cache misses. ``rule-small`` (small dicts, warm) is
printed too, with the ``fields`` snapshot's cost relative to it: the stricter
reading of the same goal.

The contenders take turns on chunks of 50 customers, ``--repeats`` times; a
contender's time is the sum over the chunks of its minimum per chunk. It
reports **ratios of minima as cost relative to the rule** (snapshot time /
rule time: 5.0 means the snapshot costs five rule evaluations). Goal: the
``fields`` snapshot at most 5x the rule. Both snapshots must give the rule the
same answers, or the script stops.

    python benchmarks/bench_snapshot.py                   # 2,000 customers, 9 repeats
    python benchmarks/bench_snapshot.py --n 20000 --repeats 9
    PYTHONPATH=/work/before/src python benchmarks/bench_snapshot.py   # the code before
"""

from __future__ import annotations

import argparse
import inspect
import random
import time
from collections.abc import Callable, Sequence
from datetime import UTC, datetime, timedelta
from typing import Any

from crmcore import ContactPoint, Customer, CustomerId, Money, PersonName
from crmcore.lifecycle import RELATIONSHIP_LADDER
from crmcore.segmentation import all_of, any_of, field, purchase_facts, snapshot

AT = datetime(2026, 6, 30, 12, 0, tzinfo=UTC)
TAGS = ("vip", "newsletter", "wholesale", "b2b", "birthday-club", "referral", "app-user")
HAS_FIELDS = "fields" in inspect.signature(snapshot).parameters
CHUNK = 50  # customers per timed run


def customers(n: int, seed: int = 11) -> list[tuple[Customer, dict[str, Any]]]:
    """Customers as a CRM holds them, each with the purchase facts of its orders."""
    rng = random.Random(seed)
    made: list[Customer] = []
    orders: list[tuple[str, datetime, Money]] = []
    for index in range(n):
        start = AT - timedelta(days=rng.randint(400, 900))
        customer = Customer.register(
            CustomerId(f"c-{index}"),
            name=PersonName("Ana", family="Putri"),
            at=start,
            contact_points=[
                ContactPoint("email", f"c{index}@example.com"),
                ContactPoint("phone", f"+62812{index:07d}"),
            ],
            tags=rng.sample(TAGS, k=rng.randint(0, 3)),
        )
        if rng.random() < 0.6:
            customer = customer.give_consent("email", "marketing", at=start, source="signup-form")
        if rng.random() < 0.1:
            later = start + timedelta(days=30)
            customer = customer.withdraw_consent(None, "marketing", at=later, source="unsubscribe")
        moves = ["qualify", "first_purchase", "repeat_purchase"][: rng.randint(0, 3)]
        for step, trigger in enumerate(moves):
            moved_at = start + timedelta(days=40 + step)
            customer = RELATIONSHIP_LADDER.fire(customer, trigger, at=moved_at)
        made.append(customer.without_pending_events())
        for _ in range(rng.randint(0, 8)):
            when = AT - timedelta(days=rng.randint(0, 390), hours=rng.randint(0, 23))
            orders.append((f"c-{index}", when, Money(rng.randint(5, 400), "USD")))
    facts = purchase_facts(orders, at=AT)
    return [(customer, facts[customer.id.value]) for customer in made]


def audience() -> Any:
    return all_of(
        field("stage").is_in({"first_time_customer", "repeat_customer", "client"}),
        field("may_email_marketing").is_true(),
        field("last_purchase_at").within_last(days=90),
        field("orders_count") >= 2,
        any_of(field("tags").has("vip"), field("total_spent") >= Money(500, "USD")),
    )


def fields_runs(
    people: list[tuple[Customer, dict[str, Any]]], rule: Any, expected: list[bool]
) -> dict[str, Callable[[slice], Sequence[object]]]:
    """The contenders that snapshot only the rule's fields (after checking their answers)."""
    test = rule.predicate(at=AT)
    wanted = rule.fields()

    def small(part: slice) -> list[Any]:
        return [snapshot(c, at=AT, facts=f, fields=wanted) for c, f in people[part]]  # type: ignore[call-arg]

    def small_and_rule(part: slice) -> list[bool]:
        return [test(snapshot(c, at=AT, facts=f, fields=wanted)) for c, f in people[part]]  # type: ignore[call-arg]

    everyone = slice(None)
    prepared = small(everyone)
    if [test(s) for s in prepared] != expected or small_and_rule(everyone) != expected:
        raise SystemExit("the rule answers differently on the fields-only snapshots")
    return {
        "fields": small,
        "fields+rule": small_and_rule,
        "rule-small": lambda part: [test(s) for s in prepared[part]],
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=2_000, help="customers (default 2,000)")
    parser.add_argument("--repeats", type=int, default=9, help="interleaved runs (default 9)")
    args = parser.parse_args()
    people = customers(args.n)
    rule = audience()
    test = rule.predicate(at=AT)
    full = [snapshot(c, at=AT, facts=f) for c, f in people]
    expected = [test(s) for s in full]
    runs: dict[str, Callable[[slice], Sequence[object]]] = {
        "rule": lambda part: [test(s) for s in full[part]],
        "full": lambda part: [snapshot(c, at=AT, facts=f) for c, f in people[part]],
    }
    if HAS_FIELDS:
        runs.update(fields_runs(people, rule, expected))
    # Short chunks, the contenders taking turns on each: per chunk, the minimum over the
    # repeats is a run nobody interrupted, even on a busy machine. Times are their sums.
    parts = [slice(start, start + CHUNK) for start in range(0, args.n, CHUNK)]
    best = {name: [float("inf")] * len(parts) for name in runs}
    for _ in range(args.repeats):
        for number, part in enumerate(parts):
            for name, run in runs.items():
                start = time.perf_counter()
                run(part)
                best[name][number] = min(best[name][number], time.perf_counter() - start)
    total = {name: sum(times) for name, times in best.items()}
    print(f"customers: {args.n:,} ({sum(expected):,} match), repeats: {args.repeats}")
    print(f"rule on a full snapshot: {total['rule'] / args.n * 1e9:,.0f} ns per customer")
    print("cost relative to the rule (snapshot time / rule time; goal for fields: <= 5)")
    for name in runs:
        if name != "rule":
            micros = total[name] / args.n * 1e6
            print(f"  {name:<12} {micros:>9.2f} us   {total[name] / total['rule']:>8.1f}x")
    if HAS_FIELDS:
        print(
            "fields snapshot relative to the rule on it (fields / rule-small): "
            f"{total['fields'] / total['rule-small']:.1f}x"
        )
    if not HAS_FIELDS:
        print("  fields       (this crmcore has no snapshot(fields=...))")


if __name__ == "__main__":
    main()
