"""Read-modify-save cycles against one customer, from threads or processes.

Each cycle loads the customer, increments its ``counter`` attribute and saves
it, retrying on :class:`~crmcore.errors.ConcurrencyConflict`. With no lost
update, the counter and the version both end at the number of saves.
"""

from __future__ import annotations

import os
from datetime import UTC, datetime
from typing import Any

from crmcore import ConcurrencyConflict, Customer, CustomerId
from crmcore_sqlite import SqliteStore, SqliteUnitOfWork

AT = datetime(2026, 1, 5, 9, 0, tzinfo=UTC)


def counter(customer: Customer) -> int:
    """The customer's ``counter`` attribute (0 when unset)."""
    value = customer.profile.attributes.get("counter", 0)
    return value if isinstance(value, int) else 0


def read_modify_save(store: SqliteStore, customer_id: str, cycles: int) -> tuple[int, int]:
    """Do ``cycles`` increments with retries; return (successful saves, conflicts met)."""
    uow = SqliteUnitOfWork(store)
    ident = CustomerId(customer_id)
    saves = conflicts = 0
    for _ in range(cycles):
        while True:
            try:
                with uow:
                    loaded = uow.customers.get(ident)
                    uow.customers.save(loaded.set_attribute("counter", counter(loaded) + 1, at=AT))
                    uow.commit()
            except ConcurrencyConflict:
                conflicts += 1
                continue
            saves += 1
            break
    return saves, conflicts


def process_main(
    path: str | os.PathLike[str], customer_id: str, cycles: int, start: Any, results: Any
) -> None:
    """Entry point of one racing process: wait for the others, race, report the counts."""
    with SqliteStore(path) as store:
        start.wait()
        results.put(read_modify_save(store, customer_id, cycles))
