"""Attacks on the PostgreSQL adapter: connections lost, hostile names and DSNs, query plans,
the outbox order seen by a consumer while several processes commit."""

import itertools
import multiprocessing
import traceback
from datetime import UTC, datetime

import psycopg
import pytest

from crmcore import Customer, CustomerId, PersonName
from crmcore.repository import CUSTOMERS, ORDERS
from crmcore_postgres import PostgresStore, PostgresUnitOfWork, StorageError
from crmcore_postgres._race import process_main

AT = datetime(2026, 1, 5, 9, 0, tzinfo=UTC)


def register(number):
    return Customer.register(CustomerId(f"c-{number}"), name=PersonName("Ana"), at=AT)


def add(store, *customers):
    uow = PostgresUnitOfWork(store)
    with uow:
        for customer in customers:
            uow.customers.add(customer)
        uow.commit()


def terminate(dsn, pids):
    """End these server processes (what a restart or an idle timeout does to a connection)."""
    with psycopg.connect(dsn, autocommit=True) as admin:
        for pid in pids:
            admin.execute("SELECT pg_terminate_backend(%s)", (pid,))


# -- names ---------------------------------------------------------------------------------


@pytest.mark.parametrize("schema", ["user", "order"])
def test_a_schema_named_like_a_keyword_works(dsn, schema):
    """Schema names are quoted in SQL: a keyword is a valid name (it was a syntax error)."""
    with PostgresStore(dsn, schema=schema) as store:
        add(store, register(1))
        with PostgresUnitOfWork(store) as uow:
            assert [CustomerId("c-1")] == [c.id for c in uow.customers]
    PostgresStore(dsn, schema=schema).drop_schema()


# -- DSNs ----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("dsn", "said"),
    [
        ("host=/nonexistent port=1 password=s3cr3t-pw connect_timeout=1", "No such file"),
        ("host=/nonexistent port=1 password='s3cr3t pw'", "No such file"),
        ("host=/nonexistent password=s3cr3t pw", "not a valid libpq connection string"),
        ("postgresql://ana:s3cr3t-pw@/crm?host=/nonexistent&port=1", "No such file"),
    ],
)
def test_a_failed_connection_says_why_and_never_shows_the_password(dsn, said):
    """The reason is given; neither the message nor anything chained to it holds the password
    (libpq echoes a piece of an unparseable DSN: ``missing "=" after "pw"``)."""
    with pytest.raises(StorageError) as raised:
        PostgresStore(dsn)
    assert said in str(raised.value)
    shown = "".join(traceback.format_exception(raised.value))
    assert "s3cr3t" not in shown
    assert " pw" not in shown.replace("DSN", "")
    assert "s3cr3t" not in repr(raised.value)


def test_a_store_repr_holds_no_dsn(store):
    assert "host=" not in repr(store)


# -- lost connections ----------------------------------------------------------------------


def test_pooled_connections_closed_by_the_server_are_replaced(dsn, store):
    """After the server drops every idle connection, reads, commits and the outbox still work
    (each used to fail once per pooled connection with StorageError)."""
    add(store, register(1))
    units = [PostgresUnitOfWork(store) for _ in range(4)]
    for unit in units:
        unit.__enter__()
    for unit in units:
        unit.__exit__(None, None, None)
    pids = [connection.info.backend_pid for connection in store._idle]
    assert len(pids) >= 4
    terminate(dsn, pids)
    uow = PostgresUnitOfWork(store)
    for number in range(2, 6):
        with uow:
            assert number - 1 == uow.customers.count()
            uow.customers.add(register(number))
            uow.commit()
    assert 5 == len(uow.collect_events())
    assert all(not connection.broken for connection in store._idle)


def test_a_connection_lost_in_the_middle_of_a_commit_applies_nothing(dsn, store):
    """The server connection ends before the events are written: nothing of the commit stays,
    the broken connection is not pooled, and the same commit then succeeds."""
    add(store, register(1))
    PostgresUnitOfWork(store).acknowledge(PostgresUnitOfWork(store).collect_events())
    real = store._execute

    def execute(connection, sql, parameters=(), **options):
        if "INSERT INTO outbox" in sql:
            terminate(dsn, [connection.info.backend_pid])
        return real(connection, sql, parameters, **options)

    def change(uow):
        with uow:
            uow.customers.save(uow.customers.get(CustomerId("c-1")).add_tag("vip", at=AT))
            uow.customers.add(register(2))
            uow.commit()

    uow = PostgresUnitOfWork(store)
    store._execute = execute
    try:
        with pytest.raises(StorageError) as raised:
            change(uow)
    finally:
        del store._execute
    assert "connection" in str(raised.value)
    assert all(not connection.broken for connection in store._idle)
    with uow:
        assert (0, 1) == (uow.customers.get(CustomerId("c-1")).version, uow.customers.count())
    assert [] == uow.collect_events()
    change(uow)
    with uow:
        assert (1, 2) == (uow.customers.get(CustomerId("c-1")).version, uow.customers.count())


# -- query plans ---------------------------------------------------------------------------

ROWS = 10_000


def test_lookups_use_indexes_at_ten_thousand_rows(store):
    """EXPLAIN of the very statements the lookups send (captured, not retyped), over 10,000
    orders and customers: every table is reached through an index, none by a Seq Scan."""
    connection = store.acquire()
    try:
        for table, column in (("customers", None), ("orders", "ix_customer")):
            extra = f", {column}, ref_customer_id" if column else ""
            values = ", 'c-' || (n % 500), 'c-' || (n % 500)" if column else ""
            prefix = "o" if column else "c"
            connection.execute(
                f"INSERT INTO {table} (id, version, document{extra})"
                f" SELECT '{prefix}-' || n, 0, '{{}}'{values} FROM generate_series(1, {ROWS}) n"
            )
        connection.execute(
            "INSERT INTO customers_keys (key, value, id)"
            " SELECT 'email', 'a' || n || '@example.com', 'c-' || n"
            f" FROM generate_series(1, {ROWS}) n"
        )
        connection.execute(  # rows as aggregates holding several values of an index leave
            "INSERT INTO orders_index (name, value, id)"
            " SELECT 'customer', 'c-' || (n % 500), 'o-' || n"
            f" FROM generate_series(1, {ROWS}) n"
        )
        connection.execute("ANALYZE")
    finally:
        store.release(connection)
    sent = []

    def spy(connection):
        real = connection.execute

        def execute(sql, parameters=None, **options):
            sent.append((sql, parameters))
            return real(sql, parameters, **options)

        connection.execute = execute
        return real

    snapshot = store.snapshot()
    real = spy(snapshot._connection)
    try:
        snapshot.find_all(ORDERS, "customer", "c-7")
        snapshot.find(CUSTOMERS, "email", "a7@example.com")
        snapshot.get(CUSTOMERS, CustomerId("c-0"))  # absent: the stand-in rows do not decode
        snapshot.version(CUSTOMERS, CustomerId("c-7"))
        snapshot.page(CUSTOMERS, after=CustomerId("c-99999"), limit=10)
        snapshot._connection.execute = real
        cursor = snapshot._connection.cursor()
        plans = {}
        for sql, parameters in sent:
            cursor.execute(f"EXPLAIN {sql}", parameters)
            plans[sql] = "\n".join(row[0] for row in cursor.fetchall())
    finally:
        snapshot.close()
    assert 5 == len(plans)
    for sql, plan in plans.items():
        assert "Seq Scan" not in plan, (sql, plan)
        assert "Index" in plan, (sql, plan)
    assert "orders_ix_customer" in next(p for s, p in plans.items() if "ix_customer" in s)
    assert "customers_keys_pkey" in next(p for s, p in plans.items() if "_keys" in s)


# -- the outbox, seen by a consumer while processes commit ---------------------------------


@pytest.mark.slow
def test_a_consumer_never_sees_an_event_appear_before_one_it_already_saw(store, dsn):
    """Two processes commit to two customers while this one polls the outbox: every poll
    starts with the previous poll (nothing acknowledged), so no event ever slips in before
    one already seen -- the outbox order is the commit order."""
    add(store, register("a"), register("b"))
    PostgresUnitOfWork(store).acknowledge(PostgresUnitOfWork(store).collect_events())
    context = multiprocessing.get_context("spawn")
    start, results = context.Barrier(3), context.Queue()
    processes = [
        context.Process(
            target=process_main,
            args=(dsn, store.schema, ident),
            kwargs={"start": start, "results": results},
        )
        for ident in ("c-a", "c-b")
    ]
    for process in processes:
        process.start()
    polls = []
    try:
        start.wait(timeout=120)
        while any(process.is_alive() for process in processes) or len(polls) < 2:
            polls.append([event.event_id for event in store.pending_events()])
        outcomes = [results.get(timeout=120) for _ in processes]
    finally:
        for process in processes:
            process.join(timeout=60)
    polls.append([event.event_id for event in store.pending_events()])
    assert [0, 0] == [process.exitcode for process in processes]
    assert [(60, 0), (60, 0)] == outcomes
    assert 120 == len(polls[-1]) == len(set(polls[-1]))
    for earlier, later in itertools.pairwise(polls):
        assert later[: len(earlier)] == earlier
    assert len({len(poll) for poll in polls}) > 2  # the polls did overlap the commits


def test_a_failure_of_a_live_connection_is_not_retried(store):
    """Only a pooled connection found closed is replaced; other failures pass, nothing leaks."""
    calls = []

    def cancelled(connection):
        calls.append(connection)
        raise psycopg.errors.QueryCanceled

    with pytest.raises(psycopg.errors.QueryCanceled):
        store._borrow(cancelled)
    assert 1 == len(calls)
    assert calls[0] in store._idle


def test_a_replacement_connection_that_fails_too_is_given_back(dsn, store):
    """The second try runs on a new connection; its failure is raised and the pool stays sane."""
    add(store, register(1))
    terminate(dsn, [connection.info.backend_pid for connection in store._idle])
    calls = []

    def first(connection):
        calls.append(connection)
        connection.execute("SELECT 1")
        raise KeyboardInterrupt  # reached on the new connection only

    with pytest.raises(KeyboardInterrupt):
        store._borrow(first)
    assert 2 == len(calls)
    assert calls[0].closed
    assert not calls[1].broken


def test_a_closed_store_lends_no_connection(dsn, session_schema):
    from crmcore.errors import RepositoryError  # noqa: PLC0415

    store = PostgresStore(dsn, schema=session_schema)
    store.close()
    for borrow in (store.acquire, store.snapshot, store.pending_events):
        with pytest.raises(RepositoryError):
            borrow()
