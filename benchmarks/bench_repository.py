"""In-memory repository throughput: get and save, against a plain dict baseline.

Run with ``python benchmarks/bench_repository.py``. Prints operations per
second for each workload (best of several rounds) and how many times slower
than a plain ``dict`` get/put of the same objects it is. Measures, never
asserts.
"""

from __future__ import annotations

import random
import time
from collections.abc import Callable
from datetime import UTC, datetime

from crmcore import ContactPoint, Customer, CustomerId, PersonName
from crmcore.repository import InMemoryStore, InMemoryUnitOfWork

AT = datetime(2026, 1, 5, 9, 0, tzinfo=UTC)
CUSTOMERS = 10_000
OPERATIONS = 20_000
ROUNDS = 5


def best_rate(operations: int, run: Callable[[], None]) -> float:
    """Operations per second of the fastest of ROUNDS runs."""
    best = float("inf")
    for _ in range(ROUNDS):
        start = time.perf_counter()
        run()
        best = min(best, time.perf_counter() - start)
    return operations / best


def email(number: int) -> str:
    return f"customer{number}@example.com"


def build_store() -> tuple[InMemoryStore, list[Customer]]:
    people = [
        Customer.register(
            CustomerId(f"c-{n:06d}"),
            name=PersonName(f"Customer {n}"),
            at=AT,
            contact_points=[ContactPoint("email", email(n))],
        ).without_pending_events()
        for n in range(CUSTOMERS)
    ]
    store = InMemoryStore()
    uow = InMemoryUnitOfWork(store)
    with uow:
        for person in people:
            uow.customers.add(person)
        uow.commit()
    return store, people


def dict_get(table, ids):
    for ident in ids:
        table[ident]


def dict_put(table, ids):
    for ident in ids:
        table[ident] = table[ident]


def repository_get(uow, ids):
    with uow:
        get = uow.customers.get
        for ident in ids:
            get(ident)


def repository_save(uow, ids):
    # save() of the stored copy: version check, natural-key check, the bumped copy.
    with uow:
        customers = uow.customers
        for ident in ids:
            customers.save(customers.get(ident))


def repository_get_by_email(uow, emails):
    with uow:
        for address in emails:
            uow.customers.get_by_email(address)


def unit_per_save(uow, ids):
    # A whole unit per operation: snapshot, get, save, commit.
    for ident in ids:
        with uow:
            uow.customers.save(uow.customers.get(ident))
            uow.commit()


def unit_per_save_with_reader(store, uow, ids):
    # The same while another unit holds a snapshot, so every commit copies the table.
    with InMemoryUnitOfWork(store):
        unit_per_save(uow, ids)


def main() -> None:
    rng = random.Random(20260105)
    store, people = build_store()
    uow = InMemoryUnitOfWork(store)
    numbers = [rng.randrange(CUSTOMERS) for _ in range(OPERATIONS)]
    ids = [people[n].id for n in numbers]
    emails = [email(n) for n in numbers[:5000]]
    table = {person.id: person for person in people}

    get_rate = best_rate(OPERATIONS, lambda: dict_get(table, ids))
    put_rate = best_rate(OPERATIONS, lambda: dict_put(table, ids))
    print(f"{CUSTOMERS} customers stored; best of {ROUNDS} rounds")
    print(f"{'workload':<46}{'ops/s':>12}{'vs dict':>16}")
    print(f"{'dict get (baseline)':<46}{get_rate:>12,.0f}{'1.0x':>16}")
    print(f"{'dict put (baseline)':<46}{put_rate:>12,.0f}{'1.0x':>16}")
    rows = [
        ("repository get, one unit", OPERATIONS, lambda: repository_get(uow, ids), get_rate),
        (
            "repository get + save, one unit",
            OPERATIONS,
            lambda: repository_save(uow, ids),
            put_rate,
        ),
        ("get_by_email, one unit", 5000, lambda: repository_get_by_email(uow, emails), get_rate),
        ("unit per get + save + commit", 5000, lambda: unit_per_save(uow, ids[:5000]), put_rate),
        (
            "unit per get + save + commit, reader open",
            1000,
            lambda: unit_per_save_with_reader(store, uow, ids[:1000]),
            put_rate,
        ),
    ]
    for name, operations, run, base in rows:
        rate = best_rate(operations, run)
        print(f"{name:<46}{rate:>12,.0f}{base / rate:>15.1f}x")


if __name__ == "__main__":
    main()
