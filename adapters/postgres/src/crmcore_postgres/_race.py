"""Read-modify-save cycles against one customer, from threads or processes (for the tests).

The cycles are :func:`crmcore.testing.contract.read_modify_save` on a
:class:`PostgresUnitOfWork`; this module adds the entry point of a racing
process (importable by a spawned interpreter). With no lost update, the
counter and the version both end at the number of saves.
"""

from __future__ import annotations

from typing import Any

from crmcore.testing.contract import counter
from crmcore.testing.contract import read_modify_save as _cycles
from crmcore_postgres import PostgresStore, PostgresUnitOfWork

__all__ = ["CYCLES", "counter", "process_main", "read_modify_save"]

#: The read-modify-save cycles each racing process does.
CYCLES = 60


def read_modify_save(store: PostgresStore, customer_id: str, cycles: int) -> tuple[int, int]:
    """Do ``cycles`` increments with retries; return (successful saves, conflicts met)."""
    return _cycles(PostgresUnitOfWork(store), customer_id, cycles)


def process_main(dsn: str, schema: str, customer_id: str, *, start: Any, results: Any) -> None:
    """Entry point of one racing process: wait for the others, race, report the counts."""
    with PostgresStore(dsn, schema=schema) as store:
        start.wait()
        results.put(read_modify_save(store, customer_id, CYCLES))
