"""Commits per second of a simple save loop: SQLite (crmcore-sqlite) against PostgreSQL.

Each commit is one unit of work that loads a customer, sets an attribute and
saves it (one row, one event), on one thread. PostgreSQL runs only when
``CRMCORE_POSTGRES_DSN`` names a server (``eval "$(bash .ci/postgres.sh start)"``;
that throwaway server runs with ``fsync=off``, so its figure is an upper bound).

    python adapters/postgres/benchmarks/bench_commits.py [commits]
"""

import os
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path

from crmcore import Customer, CustomerId, PersonName
from crmcore_postgres import PostgresStore, PostgresUnitOfWork
from crmcore_sqlite import SqliteStore, SqliteUnitOfWork

AT = datetime(2026, 1, 5, 9, 0, tzinfo=UTC)


def save_loop(uow, commits):
    ident = CustomerId("c-bench")
    with uow:
        uow.customers.add(Customer.register(ident, name=PersonName("Bench"), at=AT))
        uow.commit()
    started = time.perf_counter()
    for number in range(commits):
        with uow:
            loaded = uow.customers.get(ident)
            uow.customers.save(loaded.set_attribute("counter", number, at=AT))
            uow.commit()
    return commits / (time.perf_counter() - started)


def main():
    commits = int(sys.argv[1]) if len(sys.argv) > 1 else 500
    with tempfile.TemporaryDirectory() as folder, SqliteStore(Path(folder) / "b.db") as store:
        rate = save_loop(SqliteUnitOfWork(store), commits)
    print(f"sqlite    : {rate:8.0f} commits/s ({commits} commits)")
    dsn = os.environ.get("CRMCORE_POSTGRES_DSN")
    if not dsn:
        print("postgresql: skipped (CRMCORE_POSTGRES_DSN is not set)")
        return
    store = PostgresStore(dsn, schema=f"crmcore_bench_{os.getpid()}")
    try:
        rate = save_loop(PostgresUnitOfWork(store), commits)
    finally:
        store.drop_schema()
    print(f"postgresql: {rate:8.0f} commits/s ({commits} commits)")


if __name__ == "__main__":
    main()
