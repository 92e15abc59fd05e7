"""Empty tables for every test (the ``dsn`` fixture is in the package's conftest).

Every test gets empty tables: the schema of the session is made once and
emptied before each test (a ``DELETE`` per table, in one round trip), which
costs a millisecond where creating the tables costs a hundred.
"""

import os

import pytest

from crmcore_postgres import PostgresStore


@pytest.fixture(scope="session")
def session_schema(dsn):
    """One schema for the session's tests (the process id keeps parallel runs apart)."""
    schema = f"crmcore_test_{os.getpid()}"
    store = PostgresStore(dsn, schema=schema)
    yield schema
    store.drop_schema()


def _empty(store):
    """Delete every row of the store's schema, in one round trip."""
    connection = store.acquire()
    try:
        tables = [
            row[0]
            for row in connection.execute(
                "SELECT table_name FROM information_schema.tables"
                " WHERE table_schema = %s AND table_name <> 'crmcore_meta'",
                (store.schema,),
            )
        ]
        connection.execute("; ".join(f"DELETE FROM {table}" for table in tables))
    finally:
        store.release(connection)


@pytest.fixture
def store(dsn, session_schema):
    """A store on the session's schema, emptied."""
    with PostgresStore(dsn, schema=session_schema) as opened:
        _empty(opened)
        yield opened


@pytest.fixture
def empty():
    """The function that empties a store's schema."""
    return _empty
