"""Read-modify-save cycles against one customer, from threads or processes.

The cycles are :func:`crmcore.testing.contract.read_modify_save` on a
:class:`SqliteUnitOfWork`; this module adds the entry point of a racing
process (importable by a spawned interpreter). With no lost update, the
counter and the version both end at the number of saves.
"""

from __future__ import annotations

import os
from typing import Any

from crmcore.testing.contract import counter
from crmcore.testing.contract import read_modify_save as _cycles
from crmcore_sqlite import SqliteStore, SqliteUnitOfWork

__all__ = ["counter", "process_main", "read_modify_save"]


def read_modify_save(store: SqliteStore, customer_id: str, cycles: int) -> tuple[int, int]:
    """Do ``cycles`` increments with retries; return (successful saves, conflicts met)."""
    return _cycles(SqliteUnitOfWork(store), customer_id, cycles)


def process_main(
    path: str | os.PathLike[str], customer_id: str, cycles: int, start: Any, results: Any
) -> None:
    """Entry point of one racing process: wait for the others, race, report the counts."""
    with SqliteStore(path) as store:
        start.wait()
        results.put(read_modify_save(store, customer_id, cycles))
