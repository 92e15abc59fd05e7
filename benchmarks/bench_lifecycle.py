"""Lifecycle: firing one transition, and the nightly progression of many customers.

Three measurements, each against a hand-written baseline in the same process,
the contenders interleaved over the repeats, reporting ratios of the minima
(crmcore time / baseline time: lower is better, 1.0 is the baseline's speed).

1. Firing a trigger, against ``attrs.evolve`` of the same customer with the same
   new lifecycle tuple (which runs every converter and check of ``Customer`` too).
2. Deciding who moves, at ``--n`` customers of whom about 1% move (a new purchase,
   or a window that ran out overnight). The rows are what a host's query yields:
   plain tuples of the customer's id, ladder stage, since when, and the facts.
   Contenders:

   - per-customer: for each row, build ``Facts`` and call ``progression_steps``
     with the customer (already in memory: no loading is counted);
   - batch: ``plan_progression(rows, at=...)`` (only where it exists: the tree
     before issue 13 has no batch API);
   - hand-written baseline: the same threshold tests over the same tuples,
     with cutoffs computed once (``at - relativedelta(months=12)``), no checks,
     no steps: the least any Python can do.

3. The whole nightly job over an in-memory unit of work of ``--store-n``
   customers: per-customer (load every customer, build its facts, ``progress``,
   save the movers, commit) against batch (``plan_progression`` over the rows,
   ``apply_progression`` for the movers, commit); the baseline is again the
   hand-written scan of the rows.

Run against both trees, in one session:

    PYTHONPATH=/work/before/src python benchmarks/bench_lifecycle.py --n 1000000
    PYTHONPATH=src python benchmarks/bench_lifecycle.py --n 1000000

The default sizes finish in about a minute.
"""

import argparse
import random
import time
from collections.abc import Callable
from datetime import UTC, datetime, timedelta

import attrs
from dateutil.relativedelta import relativedelta

from crmcore import ContactPoint, Customer, CustomerId, Money, PersonName
from crmcore.lifecycle import (
    LADDER_RUNGS,
    RELATIONSHIP_LADDER,
    Facts,
    progress,
    progression_steps,
)
from crmcore.repository import InMemoryUnitOfWork

try:  # the batch API of issue 13; the tree before it has none
    from crmcore.lifecycle import apply_progression, plan_progression
except ImportError:
    apply_progression = plan_progression = None

T0 = datetime(2026, 1, 5, 9, 0, tzinfo=UTC)
LADDER = RELATIONSHIP_LADDER
NIGHT = datetime(2026, 1, 5, 2, 0, tzinfo=UTC)
EVENING = NIGHT - timedelta(days=1)
POOL = 1_000


# -- 1. one transition -------------------------------------------------------------------------


def typical_customer(number: int = 1, at: datetime = T0) -> Customer:
    """A customer with the data a CRM usually holds."""
    customer = Customer.register(
        CustomerId(f"c-{number:07d}"),
        name=PersonName("Ana", family="Putri"),
        at=at,
        contact_points=[ContactPoint("email", f"c{number}@example.com")],
        tags=["newsletter", "jakarta"],
    )
    return customer.give_consent("email", "marketing", at=at, source="signup-form")


def fire_versus_evolve(number: int, repeats: int) -> None:
    base = typical_customer()
    base = LADDER.fire(base, "qualify", at=T0 + timedelta(days=1))
    base = LADDER.fire(base, "first_purchase", at=T0 + timedelta(days=2)).without_pending_events()
    at = T0 + timedelta(days=3)
    moved = LADDER.fire(base, "repeat_purchase", at=at)
    changes = {  # every field the transition changes
        field.name: getattr(moved, field.name)
        for field in attrs.fields(Customer)
        if getattr(moved, field.name) != getattr(base, field.name)
    }

    def fire() -> None:
        for _ in range(number):
            LADDER.fire(base, "repeat_purchase", at=at)

    def evolve() -> None:
        for _ in range(number):
            attrs.evolve(base, **changes)

    best = interleave({"fire": fire, "evolve": evolve}, repeats)
    print(f"1. one transition ({number:,} each, best of {repeats})")
    print(f"   fire                    {best['fire'] / number * 1e6:10.2f} us")
    print(f"   attrs.evolve (baseline) {best['evolve'] / number * 1e6:10.2f} us")
    print(f"   ratio fire / evolve     {best['fire'] / best['evolve']:10.2f}")


# -- the customers of a nightly job -------------------------------------------------------------


def facts_values(rng: random.Random, registered: datetime) -> dict:
    """Facts as a host holds them: counts, dates, spend and flags."""
    if rng.random() < 0.2:
        return {"qualified": rng.random() < 0.5}
    span = (EVENING - registered).total_seconds()
    last = registered + timedelta(seconds=rng.uniform(0, span))
    count = 1 + min(int(rng.expovariate(0.25)), 60)
    first = last if count == 1 else registered + timedelta(seconds=rng.uniform(0, 0.1 * span))
    first = min(first, last)
    return {
        "purchase_count": count,
        "first_purchase_at": first,
        "last_purchase_at": last,
        "total_spend": Money(f"{count * rng.randint(5, 80)}.00", "USD"),
        "qualified": True,
        "loyalty_member": rng.random() < 0.15,
        "referrals": 1 if rng.random() < 0.05 else 0,
        "partner_agreement": rng.random() < 0.01,
    }


def settled_customer(number: int, rng: random.Random) -> tuple[Customer, dict]:
    """A customer progressed last evening, and the facts the host has tonight.

    About 1 in 100 bought again today; a few more reach the end of a window overnight.
    """
    registered = NIGHT - timedelta(days=rng.uniform(30, 1500))
    customer = typical_customer(number, registered)
    values = facts_values(rng, registered)
    customer = progress(customer, Facts(**values), at=EVENING).without_pending_events()
    if rng.random() < 0.008:  # a purchase today
        values = dict(values)
        values["purchase_count"] = values.get("purchase_count", 0) + 1
        values["last_purchase_at"] = NIGHT - timedelta(hours=1)
        values.setdefault("first_purchase_at", values["last_purchase_at"])
        values["qualified"] = True
    return customer, values


def row_of(identifier: str, customer: Customer, values: dict) -> tuple:
    """The row a host's query yields for a customer: plain values in ProgressionRow order."""
    state = LADDER.state_of(customer)
    return (
        identifier,
        state.stage,
        state.entered_at,
        values.get("purchase_count", 0),
        values.get("first_purchase_at"),
        values.get("last_purchase_at"),
        values.get("total_spend"),
        values.get("qualified", False),
        values.get("loyalty_member", False),
        values.get("referrals", 0),
        values.get("partner_agreement", False),
    )


# -- the contenders ------------------------------------------------------------------------------

RUNGS = {name: position for position, name in enumerate(LADDER_RUNGS)}


def hand_written(rows: list[tuple], at: datetime) -> list:  # noqa: C901, PLR0912 - one loop, as written by hand
    """The default policy's threshold tests over plain tuples, cutoffs computed once."""
    lapse_cut = at - relativedelta(months=12)
    churn_cut = at - relativedelta(months=24)
    tenure_cut = at - relativedelta(years=1)
    rungs = RUNGS
    movers = []
    for row in rows:
        cid, stage, since, count, first, last, _, qualified, loyal, refs, partner = row
        if count == 0:
            justified = 1 if qualified else 0
        elif partner:
            justified = 7
        elif refs >= 1:
            justified = 6
        elif loyal:
            justified = 5
        elif count >= 5 and first is not None and first <= tenure_cut:
            justified = 4
        elif count >= 2:
            justified = 3
        else:
            justified = 2
        rung = rungs.get(stage)
        if rung is not None:
            if rung >= 5:  # member, advocate, partner: held by a relationship, not by purchases
                if justified != rung:
                    movers.append(cid)
            elif justified > rung or (rung >= 2 and last is not None and last <= lapse_cut):
                movers.append(cid)
        elif (count > 0 and justified >= 5) or (  # back to a relationship rung, or
            last is not None and (last > since or (stage == "lapsed" and last <= churn_cut))
        ):
            movers.append(cid)
    return movers


def per_customer(rows: list[tuple], customers: list[Customer], at: datetime) -> list:
    """The per-customer path: Facts and progression_steps for every customer."""
    pool = len(customers)
    movers = []
    for index, row in enumerate(rows):
        facts = Facts(
            purchase_count=row[3],
            first_purchase_at=row[4],
            last_purchase_at=row[5],
            total_spend=row[6],
            qualified=row[7],
            loyalty_member=row[8],
            referrals=row[9],
            partner_agreement=row[10],
        )
        steps = progression_steps(customers[index % pool], facts, at=at)
        if steps:
            movers.append((row[0], steps))
    return movers


def interleave(contenders: dict[str, Callable[[], object]], repeats: int) -> dict[str, float]:
    """The best time of each contender, running them in turn repeat after repeat."""
    best = dict.fromkeys(contenders, float("inf"))
    for _ in range(repeats):
        for name, run in contenders.items():
            started = time.perf_counter()
            run()
            best[name] = min(best[name], time.perf_counter() - started)
    return best


# -- 2. deciding who moves -----------------------------------------------------------------------


def plan_at_scale(n: int, repeats: int) -> None:
    rng = random.Random(13)
    pool = [settled_customer(number, rng) for number in range(POOL)]
    customers = [customer for customer, _ in pool]
    rows = [
        row_of(f"c-{index:07d}", *pool[index % POOL]) for index in range(n)
    ]  # ids are unique; the pool's customers and facts repeat
    movers = per_customer(rows[:POOL], customers, NIGHT)
    if set(hand_written(rows[:POOL], NIGHT)) != {customer_id for customer_id, _ in movers}:
        raise SystemExit("the hand-written baseline finds other movers than progression")
    contenders: dict[str, Callable[[], object]] = {
        "per-customer": lambda: per_customer(rows, customers, NIGHT),
        "hand-written": lambda: hand_written(rows, NIGHT),
    }
    if plan_progression is not None:
        contenders["batch"] = lambda: plan_progression(rows, at=NIGHT)
        planned = plan_progression(rows[:POOL], at=NIGHT)
        if [(m.customer_id.value, m.steps) for m in planned] != movers:
            raise SystemExit("the batch plan differs from the per-customer path")
    best = interleave(contenders, repeats)
    base = best["hand-written"]
    print(
        f"2. who moves tonight: {n:,} customers, {len(movers) / POOL:.1%} move "
        f"(hand-written finds {len(hand_written(rows[:POOL], NIGHT)) / POOL:.1%}); "
        f"best of {repeats}"
    )
    for name, seconds in best.items():
        print(
            f"   {name:<13} {seconds:8.2f} s  {seconds / n * 1e6:8.2f} us/customer"
            f"   ratio to hand-written {seconds / base:7.2f}"
        )
    if "batch" in best:
        print(f"   per-customer / batch   {best['per-customer'] / best['batch']:7.1f}x")
    fastest = best.get("batch", best["per-customer"])
    print(f"   progression / hand-written (best available path) {fastest / base:7.2f}")


# -- 3. the nightly job --------------------------------------------------------------------------


def fresh_store(entries: list[tuple[Customer, dict]]) -> InMemoryUnitOfWork:
    uow = InMemoryUnitOfWork()
    with uow:
        for customer, _ in entries:
            uow.customers.add(customer)
        uow.commit()
    return uow


def per_customer_job(uow: InMemoryUnitOfWork, facts_by_id: dict, _: list[tuple]) -> int:
    """Load every customer, build its facts, progress it, save it if it moved."""
    moved = 0
    with uow:
        for customer in uow.customers:
            after = progress(customer, Facts(**facts_by_id[customer.id]), at=NIGHT)
            if after is not customer:
                uow.customers.save(after)
                moved += 1
        uow.commit()
    return moved


def batch_job(uow: InMemoryUnitOfWork, _: dict, rows: list[tuple]) -> int:
    """Plan from the rows, load and fire the movers only."""
    with uow:
        moves = plan_progression(rows, at=NIGHT)
        saved = apply_progression(uow, moves)
        uow.commit()
    return len(saved)


def nightly_job(store_n: int, repeats: int) -> None:
    rng = random.Random(31)
    entries = [settled_customer(number, rng) for number in range(store_n)]
    rows = [row_of(c.id.value, c, values) for c, values in entries]
    facts_by_id = {c.id: values for c, values in entries}

    jobs = {"per-customer": per_customer_job}
    if plan_progression is not None:
        jobs["batch"] = batch_job
    best = dict.fromkeys([*jobs, "hand-written"], float("inf"))
    counts = {}
    for _ in range(repeats):
        for name, job in jobs.items():
            uow = fresh_store(entries)
            started = time.perf_counter()
            counts[name] = job(uow, facts_by_id, rows)
            best[name] = min(best[name], time.perf_counter() - started)
        started = time.perf_counter()
        hand_written(rows, NIGHT)
        best["hand-written"] = min(best["hand-written"], time.perf_counter() - started)
    if len(set(counts.values())) != 1:
        raise SystemExit(f"the jobs moved different numbers of customers: {counts}")
    base = best["hand-written"]
    moved = next(iter(counts.values()))
    print(
        f"3. the nightly job in a unit of work: {store_n:,} customers, {moved:,} moved "
        f"({moved / store_n:.1%}); best of {repeats}"
    )
    for name, seconds in best.items():
        print(
            f"   {name:<13} {seconds:8.3f} s  {seconds / store_n * 1e6:8.2f} us/customer"
            f"   ratio to hand-written scan {seconds / base:8.2f}"
        )
    if "batch" in best:
        print(f"   per-customer / batch   {best['per-customer'] / best['batch']:7.1f}x")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=100_000, help="customers to plan (2.)")
    parser.add_argument("--store-n", type=int, default=5_000, help="customers stored (3.)")
    parser.add_argument("--fires", type=int, default=20_000, help="transitions fired (1.)")
    parser.add_argument("--repeats", type=int, default=3)
    args = parser.parse_args()
    print(f"batch API: {'yes' if plan_progression is not None else 'no (per-customer only)'}")
    fire_versus_evolve(args.fires, args.repeats)
    plan_at_scale(args.n, args.repeats)
    nightly_job(args.store_n, args.repeats)


if __name__ == "__main__":
    main()
