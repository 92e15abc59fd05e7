"""In-memory repository: reads, saves and commits against a plain dict, at several store sizes.

For each store size (``--n``, one or more), builds that many customers (each
holding an email address, so the natural-key index is as large as the table),
stores them, then measures, interleaving the contenders over ``--repeats``
rounds and keeping each one's fastest round:

``dict get`` / ``dict get + put``
    the hand-written baseline: a plain ``dict`` of the same customers;
``repository get`` / ``get + save`` / ``get_by_email``
    one unit of work doing many operations;
``commit``
    a whole unit per operation: snapshot, get, save, commit (what a web
    request does);
``commit, reader open``
    the same while another unit holds its snapshot open (a long report):
    every commit must then leave the reader's state untouched.

Prints the time per operation and the ratios of minima: each workload against
its dict baseline (crmcore time / dict time), commits with a reader against
commits without (goal at 1,000,000 customers: at most 2), and each size's
commit time against the smallest size's (the cost should not grow with the
store).

    python benchmarks/bench_repository.py                       # 10,000 and 100,000
    python benchmarks/bench_repository.py --n 10000 100000 1000000 --repeats 5

Runs unchanged against an older tree: ``PYTHONPATH=/work/before/src python ...``.
"""

from __future__ import annotations

import argparse
import random
import time
from collections.abc import Callable
from datetime import UTC, datetime

import attrs

from crmcore import ContactPoint, Customer, CustomerId, PersonName
from crmcore.repository import InMemoryStore, InMemoryUnitOfWork

AT = datetime(2026, 1, 5, 9, 0, tzinfo=UTC)


def email(number: int) -> str:
    return f"customer{number}@example.com"


def build_customers(n: int) -> list[Customer]:
    """``n`` stored-shape customers (no pending events), each with its own email address."""
    template = Customer.register(
        CustomerId("c-0000000"),
        name=PersonName("Customer"),
        at=AT,
        contact_points=[ContactPoint("email", email(0))],
    ).without_pending_events()
    # evolve() runs every field check, like register(), at a tenth of its cost.
    return [
        attrs.evolve(
            template,
            id=CustomerId(f"c-{number:07d}"),
            contact_points=(ContactPoint("email", email(number)),),
        )
        for number in range(n)
    ]


def build_store(people: list[Customer]) -> InMemoryStore:
    store = InMemoryStore()
    uow = InMemoryUnitOfWork(store)
    with uow:
        for person in people:
            uow.customers.add(person)
        uow.commit()
    return store


# -- the contenders: each runs its operations once ------------------------------------------


def dict_get(table: dict[CustomerId, Customer], ids: list[CustomerId]) -> None:
    for ident in ids:
        table[ident]


def dict_put(table: dict[CustomerId, Customer], ids: list[CustomerId]) -> None:
    for ident in ids:
        table[ident] = table[ident]


def repository_get(uow: InMemoryUnitOfWork, ids: list[CustomerId]) -> None:
    with uow:
        get = uow.customers.get
        for ident in ids:
            get(ident)


def repository_save(uow: InMemoryUnitOfWork, ids: list[CustomerId]) -> None:
    # save() of the stored copy: version check, natural-key check, the bumped copy.
    with uow:
        customers = uow.customers
        for ident in ids:
            customers.save(customers.get(ident))


def repository_get_by_email(uow: InMemoryUnitOfWork, emails: list[str]) -> None:
    with uow:
        for address in emails:
            uow.customers.get_by_email(address)


def unit_per_commit(uow: InMemoryUnitOfWork, ids: list[CustomerId]) -> None:
    # A whole unit per operation: snapshot, get, save, commit.
    for ident in ids:
        with uow:
            uow.customers.save(uow.customers.get(ident))
            uow.commit()


def unit_per_commit_with_reader(
    store: InMemoryStore, uow: InMemoryUnitOfWork, ids: list[CustomerId]
) -> None:
    # The same while another unit holds a snapshot (and has read from it) all along.
    reader = InMemoryUnitOfWork(store)
    with reader:
        reader.customers.get(ids[0])
        unit_per_commit(uow, ids)


# -- measuring --------------------------------------------------------------------------------


def interleaved(contenders: dict[str, Callable[[], None]], repeats: int) -> dict[str, float]:
    """The fastest of ``repeats`` rounds of each contender, the contenders taking turns."""
    best = dict.fromkeys(contenders, float("inf"))
    for _ in range(repeats):
        for name, run in contenders.items():
            start = time.perf_counter()
            run()
            best[name] = min(best[name], time.perf_counter() - start)
    return best


def measure(n: int, operations: int, commits: int, repeats: int) -> dict[str, float]:
    """Seconds per operation of each workload, at a store of ``n`` customers."""
    people = build_customers(n)
    store = build_store(people)
    uow = InMemoryUnitOfWork(store)
    rng = random.Random(20260105)
    numbers = [rng.randrange(n) for _ in range(operations)]
    ids = [people[number].id for number in numbers]
    emails = [email(number) for number in numbers]
    table = {person.id: person for person in people}
    del people
    sizes = {
        "dict get": operations,
        "dict get + put": operations,
        "repository get": operations,
        "repository get + save": operations,
        "get_by_email": operations,
        "dict get + put (commit baseline)": commits,
        "commit": commits,
        "commit, reader open": commits,
    }
    best = interleaved(
        {
            "dict get": lambda: dict_get(table, ids),
            "dict get + put": lambda: dict_put(table, ids),
            "repository get": lambda: repository_get(uow, ids),
            "repository get + save": lambda: repository_save(uow, ids),
            "get_by_email": lambda: repository_get_by_email(uow, emails),
            "dict get + put (commit baseline)": lambda: dict_put(table, ids[:commits]),
            "commit": lambda: unit_per_commit(uow, ids[:commits]),
            "commit, reader open": lambda: unit_per_commit_with_reader(store, uow, ids[:commits]),
        },
        repeats,
    )
    return {name: seconds / sizes[name] for name, seconds in best.items()}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--n", type=int, nargs="+", default=[10_000, 100_000], help="store sizes")
    parser.add_argument("--repeats", type=int, default=5, help="rounds per contender")
    parser.add_argument("--operations", type=int, default=20_000, help="reads and saves per round")
    parser.add_argument("--commits", type=int, default=2_000, help="commits per round")
    args = parser.parse_args()

    baselines = {
        "repository get": "dict get",
        "repository get + save": "dict get + put",
        "get_by_email": "dict get",
        "commit": "dict get + put (commit baseline)",
        "commit, reader open": "dict get + put (commit baseline)",
    }
    first_commit: float | None = None
    for n in args.n:
        per = measure(n, args.operations, args.commits, args.repeats)
        print(f"\n{n:,} customers stored; fastest of {args.repeats} interleaved rounds")
        print(f"{'workload':<34}{'us/op':>10}{'ops/s':>12}{'vs dict':>10}")
        for name in ("dict get", "dict get + put", *baselines):
            seconds = per[name]
            ratio = f"{seconds / per[baselines[name]]:.1f}x" if name in baselines else ""
            print(f"{name:<34}{seconds * 1e6:>10.2f}{1 / seconds:>12,.0f}{ratio:>10}")
        first_commit = first_commit or per["commit"]
        reader = per["commit, reader open"] / per["commit"]
        print(f"commit with a reader / without:   {reader:.2f}  (goal <= 2 at 1,000,000)")
        print(f"commit at {n:,} / at {args.n[0]:,}:{per['commit'] / first_commit:>9.2f}")


if __name__ == "__main__":
    main()
