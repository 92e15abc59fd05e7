"""Tests for the PostgreSQL adapter: the crmcore contract, races between processes, bad rows."""

import itertools
import multiprocessing
import threading
from contextlib import contextmanager
from datetime import UTC, datetime

import psycopg
import pytest

from crmcore import ConcurrencyConflict, Customer, CustomerId, Money, PersonName
from crmcore.commerce import Order, OrderId, OrderLine, ProductId
from crmcore.customers import ContactPoint, CustomerAttributeSet
from crmcore.errors import (
    CrmcoreError,
    DuplicateId,
    DuplicateKey,
    InvalidType,
    SchemaVersionError,
    UnknownReference,
    ValidationError,
)
from crmcore.repository import CUSTOMERS, Change, ChangeSet, UniquenessPolicy
from crmcore.testing.contract import UnitOfWorkContract
from crmcore_postgres import (
    LAYOUT_VERSION,
    MAX_RETRIES,
    PostgresStore,
    PostgresUnitOfWork,
    StorageError,
)
from crmcore_postgres._race import CYCLES, counter, process_main, read_modify_save

AT = datetime(2026, 1, 5, 9, 0, tzinfo=UTC)
RACE_ID = "c-race"
_SCHEMAS = itertools.count()


@contextmanager
def watching(store, on_statement):
    """Call ``on_statement(sql)`` before each statement the store's writes send."""
    real = store._execute

    def execute(connection, sql, parameters=(), **options):
        on_statement(sql)
        return real(connection, sql, parameters, **options)

    store._execute = execute
    try:
        yield
    finally:
        del store._execute


def interrupted_at(store, step):
    """Make the store's writes raise KeyboardInterrupt before their ``step``-th statement."""
    calls = 0

    def count(_sql):
        nonlocal calls
        calls += 1
        if calls == step + 1:
            raise KeyboardInterrupt

    return watching(store, count)


@contextmanager
def other_schema(dsn, **options):
    """A store on a new, empty schema of its own, dropped afterwards."""
    store = PostgresStore(dsn, schema=f"crmcore_other_{next(_SCHEMAS)}", **options)
    try:
        yield store
    finally:
        store.drop_schema()


class TestPostgresUnitOfWork(UnitOfWorkContract):
    """The whole crmcore contract, on a real PostgreSQL server."""

    @pytest.fixture(autouse=True)
    def _database(self, store, dsn):
        self.store = store
        self.dsn = dsn
        self.others = []
        yield
        for other in self.others:
            other.drop_schema()

    def make_unit_of_work(self):
        return PostgresUnitOfWork(self.store)

    def make_unit_of_work_without_reference_checks(self):
        return PostgresUnitOfWork(self.store, check_references=False)

    def make_unit_of_work_with_event_handler(self, handler):
        return PostgresUnitOfWork(self.store, on_events=handler)

    def interrupt_writes(self, step):
        return interrupted_at(self.store, step)

    def make_unit_of_work_with_uniqueness(self, policy):
        schema = f"crmcore_policy_{next(_SCHEMAS)}"
        other = PostgresStore(self.dsn, schema=schema, uniqueness=policy)
        self.others.append(other)
        return PostgresUnitOfWork(other)


def customer(number, email=None):
    points = [] if email is None else [ContactPoint("email", email)]
    return Customer.register(
        CustomerId(f"c-{number}"), name=PersonName("Ana"), at=AT, contact_points=points
    )


def order(number, customer_number):
    line = OrderLine(ProductId("sku-1"), 1, Money("10.00", "USD"), category="books")
    return Order.place(
        OrderId(f"o-{number}"), customer_id=CustomerId(f"c-{customer_number}"), lines=[line], at=AT
    )


def seed(store, *customers):
    uow = PostgresUnitOfWork(store)
    with uow:
        for added in customers:
            uow.customers.add(added)
        uow.commit()
    uow.acknowledge(uow.collect_events())


def execute(store, sql, *parameters):
    """Run a statement on the store's schema, outside any unit."""
    connection = store.acquire()
    try:
        return (
            connection.execute(sql, parameters).fetchall()
            if "SELECT" in sql
            else (connection.execute(sql, parameters))
        )
    finally:
        store.release(connection)


def read_one(store, number):
    uow = PostgresUnitOfWork(store)
    with uow:
        return uow.customers.get(CustomerId(f"c-{number}"))


# -- opening a store -----------------------------------------------------------------------


def test_data_survives_closing_and_reopening(store, dsn):
    """What one store commits, a store opened later on the same schema reads."""
    seed(store, customer(1, "ana@example.com"))
    with PostgresStore(dsn, schema=store.schema) as again:
        uow = PostgresUnitOfWork(again)
        with uow:
            assert CustomerId("c-1") == uow.customers.get_by_email("ana@example.com").id
    assert f"PostgresStore(schema='{store.schema}')" == repr(again)


def test_a_schema_of_another_layout_is_refused(dsn):
    """Opening a schema made by another table layout raises SchemaVersionError."""
    with other_schema(dsn) as made:
        execute(made, "UPDATE crmcore_meta SET value = %s WHERE name = 'layout'", "99")
        with pytest.raises(SchemaVersionError) as raised:
            PostgresStore(dsn, schema=made.schema)
        assert "$.crmcore_meta.layout" == raised.value.path
        execute(made, "DROP TABLE outbox")  # half made: the missing table is not created
        with pytest.raises(SchemaVersionError):
            PostgresStore(dsn, schema=made.schema)


def test_a_schema_keeps_the_uniqueness_policy_it_was_created_with(dsn):
    """A shared-email schema reopens shared; opened unique it is refused."""
    shared = UniquenessPolicy(email="shared")
    with other_schema(dsn, uniqueness=shared) as made:
        seed(made, customer(1, "family@example.com"), customer(2, "family@example.com"))
        with pytest.raises(SchemaVersionError) as raised:
            PostgresStore(dsn, schema=made.schema)
        assert '$.crmcore_meta["spec:customers"]' == raised.value.path


@pytest.mark.parametrize(
    ("schema", "error"),
    [
        ("Bad-Name", ValidationError),
        ("", ValidationError),
        ("pg_catalog", ValidationError),
        ("a" * 64, ValidationError),
        ("x; DROP TABLE y", ValidationError),
        (42, InvalidType),
    ],
)
def test_a_schema_name_must_be_a_plain_identifier(dsn, schema, error):
    """Schema names are spliced into SQL: anything but a plain identifier is refused."""
    with pytest.raises(error) as raised:
        PostgresStore(dsn, schema=schema)
    assert "$.schema" == raised.value.path


def test_arguments_of_the_wrong_type_raise_invalid_type(store):
    """A DSN that is not a str, a unit over something else than a PostgresStore: InvalidType."""
    with pytest.raises(InvalidType) as raised:
        PostgresStore(b"host=x")
    assert "$.dsn" == raised.value.path
    with pytest.raises(InvalidType) as raised:
        PostgresUnitOfWork("host=x")
    assert "$.store" == raised.value.path


def test_an_unreachable_server_raises_storage_error(tmp_path):
    """No server behind the DSN: StorageError, a CrmcoreError."""
    with pytest.raises(StorageError) as raised:
        PostgresStore(f"host={tmp_path} port=1 connect_timeout=1")
    assert isinstance(raised.value, CrmcoreError)


def test_a_closed_store_refuses_new_units(dsn, session_schema):
    """After close(), borrowing a connection raises a RepositoryError."""
    store = PostgresStore(dsn, schema=session_schema)
    store.close()
    uow = PostgresUnitOfWork(store)
    with pytest.raises(CrmcoreError), uow:
        pass


def test_a_row_lock_held_past_the_timeout_raises_storage_error(dsn, session_schema, store):
    """A commit waiting on another transaction's row lock past lock_timeout: StorageError."""
    seed(store, customer(1))
    with PostgresStore(dsn, schema=session_schema, lock_timeout=0.05) as impatient:
        blocker = psycopg.connect(dsn, autocommit=False)
        try:
            blocker.execute(f"SELECT 1 FROM {session_schema}.customers FOR UPDATE")
            uow = PostgresUnitOfWork(impatient)
            with uow:
                loaded = uow.customers.get(CustomerId("c-1"))
                uow.customers.save(loaded.add_tag("x", at=AT))
                with pytest.raises(StorageError) as raised:
                    uow.commit()
        finally:
            blocker.close()
    assert "lock" in str(raised.value)
    assert 0 == read_one(store, 1).version


def test_transient_failures_are_retried_then_reported(store):
    """A serialization failure or deadlock retries the transaction; past MAX_RETRIES: StorageError."""
    calls = []

    def flaky(connection):
        calls.append(connection)
        if len(calls) < 3:
            raise psycopg.errors.DeadlockDetected
        connection.execute("SELECT 1")

    store._transaction(flaky)
    assert 3 == len(calls)
    calls.clear()

    def hopeless(_connection):
        calls.append(1)
        raise psycopg.errors.SerializationFailure

    with pytest.raises(StorageError):
        store._transaction(hopeless)
    assert MAX_RETRIES + 1 == len(calls)


# -- concurrency ---------------------------------------------------------------------------


def test_a_failed_commit_writes_nothing(store):
    """A conflict on the second change rolls back the first one and the events."""
    seed(store, customer(1), customer(2))
    uow, other = PostgresUnitOfWork(store), PostgresUnitOfWork(store)
    with uow:
        first = uow.customers.get(CustomerId("c-1"))
        second = uow.customers.get(CustomerId("c-2"))
        with other:
            other.customers.save(other.customers.get(CustomerId("c-2")))
            other.commit()
        uow.customers.save(first.add_tag("written-first", at=AT))
        uow.customers.save(second.add_tag("conflicts", at=AT))
        with pytest.raises(ConcurrencyConflict) as raised:
            uow.commit()
    assert (CustomerId("c-2"), 0, 1) == (
        raised.value.aggregate_id,
        raised.value.expected_version,
        raised.value.actual_version,
    )
    assert (0, frozenset()) == (read_one(store, 1).version, read_one(store, 1).tags)
    assert [] == uow.collect_events()


def test_an_id_added_by_another_commit_during_ours_is_a_duplicate_id(store):
    """Another commit adds the same id after ours locked its rows: DuplicateId, nothing stored."""
    uow, other = PostgresUnitOfWork(store), PostgresUnitOfWork(store)
    done = []

    def race(sql):
        if sql.startswith('INSERT INTO "customers" ') and not done:
            done.append(sql)
            with other:
                other.customers.add(customer(1, "first@example.com"))
                other.commit()

    with uow:
        uow.customers.add(customer(0))
        uow.customers.add(customer(1, "second@example.com"))
        with watching(store, race), pytest.raises(DuplicateId) as raised:
            uow.commit()
    assert CustomerId("c-1") == raised.value.aggregate_id
    with uow:
        assert [CustomerId("c-1")] == [c.id for c in uow.customers]
        assert CustomerId("c-1") == uow.customers.get_by_email("first@example.com").id


def test_a_key_clash_found_by_the_store_names_the_right_customers(store):
    """A unit that could not see a key taken meanwhile: DuplicateKey names it; nothing stored."""
    uow, other = PostgresUnitOfWork(store), PostgresUnitOfWork(store)
    with uow:
        for number in range(1, 40):
            email = "taken@example.com" if number == 30 else f"c{number}@example.com"
            uow.customers.add(customer(number, email))
        with other:
            other.customers.add(customer(99, "taken@example.com"))
            other.commit()
        with pytest.raises(DuplicateKey) as raised:
            uow.commit()
    assert (CustomerId("c-30"), CustomerId("c-99")) == (
        raised.value.aggregate_id,
        raised.value.owner_id,
    )
    with uow:
        assert [CustomerId("c-99")] == [c.id for c in uow.customers]


def test_a_commit_naming_a_customer_waits_for_its_removal(store, dsn):
    """An order committed while a removal of its customer holds the row lock waits for it, then
    finds the customer gone: UnknownReference, and no order names a removed customer."""
    seed(store, customer(1))
    remover, placer = PostgresUnitOfWork(store), PostgresUnitOfWork(store)
    outcome = []

    def place():
        try:
            placer.commit()
        except UnknownReference as exc:
            outcome.append(exc)

    def race(sql):
        if sql.startswith('SELECT id FROM "orders" WHERE ref_customer_id') and not outcome:
            outcome.append("started")
            threading.Thread(target=place).start()
            with psycopg.connect(dsn, autocommit=True) as watcher:
                for _ in range(1000):  # until the placer waits for the removal's row lock
                    waiting = watcher.execute(
                        "SELECT count(*) FROM pg_stat_activity WHERE wait_event_type = 'Lock'"
                    ).fetchone()[0]
                    if waiting:
                        break
                    threading.Event().wait(0.01)

    with placer:
        placer.orders.add(order(1, 1))
        with remover:
            remover.customers.remove(CustomerId("c-1"))
            with watching(store, race):
                remover.commit()
        for _ in range(1000):
            if len(outcome) == 2:
                break
            threading.Event().wait(0.01)
    assert isinstance(outcome[1], UnknownReference)
    with remover:
        assert (0, 0) == (remover.orders.count(), remover.customers.count())


@pytest.mark.slow
def test_processes_lose_no_update(store, dsn):
    """3 processes x 60 read-modify-save cycles: final version == saves == 180, events in order."""
    seed(store, Customer.register(CustomerId(RACE_ID), name=PersonName("Race"), at=AT))
    processes_count, cycles = 3, CYCLES
    context = multiprocessing.get_context("spawn")
    start, results = context.Barrier(processes_count), context.Queue()
    processes = [
        context.Process(
            target=process_main,
            args=(dsn, store.schema, RACE_ID),
            kwargs={"start": start, "results": results},
        )
        for _ in range(processes_count)
    ]
    for process in processes:
        process.start()
    try:
        outcomes = [results.get(timeout=120) for _ in processes]
    finally:
        for process in processes:
            process.join(timeout=60)
    saves = processes_count * cycles
    assert [0] * processes_count == [process.exitcode for process in processes]
    assert saves == sum(done for done, _ in outcomes)
    final = read_one(store, "race")
    assert (saves, saves) == (final.version, counter(final))
    events = PostgresUnitOfWork(store).collect_events()
    sequences = [e.sequence for e in events if isinstance(e, CustomerAttributeSet)]
    assert list(range(2, saves + 2)) == sequences


def test_threads_of_one_process_lose_no_update(store):
    """4 threads x 25 cycles through the shared helper: version == counter == 100."""
    seed(store, Customer.register(CustomerId(RACE_ID), name=PersonName("Race"), at=AT))
    results = []
    barrier = threading.Barrier(4)

    def run():
        barrier.wait()
        results.append(read_modify_save(store, RACE_ID, 25))

    threads = [threading.Thread(target=run) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    final = read_one(store, "race")
    assert (100, 100, 100) == (sum(s for s, _ in results), final.version, counter(final))


# -- bad rows ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("document", "error", "code"),
    [
        ('{"schema_version": 99}', SchemaVersionError, "schema_version"),
        ('{"schema_version": 1, "id": 3}', ValidationError, None),
        ("[1, 2]", ValidationError, None),
    ],
)
def test_a_corrupt_row_raises_a_clear_error_and_loses_nothing(store, document, error, code):
    """Reading a corrupt document raises a CrmcoreError naming the row; others stay readable."""
    seed(store, customer(1), customer(2))
    execute(store, "UPDATE customers SET document = %s WHERE id = 'c-1'", document)
    uow = PostgresUnitOfWork(store)
    with uow:
        with pytest.raises(error) as raised:
            uow.customers.get(CustomerId("c-1"))
        assert raised.value.path.startswith("$.customers[c-1].document")
        if code is not None:
            assert code == raised.value.code
        with pytest.raises(error):
            list(uow.customers)
        assert CustomerId("c-2") == uow.customers.get(CustomerId("c-2")).id
        assert 2 == uow.customers.count()


def test_the_database_refuses_text_that_is_not_json(store):
    """The document column is ``json``: the server itself refuses a broken document."""
    seed(store, customer(1))
    with pytest.raises(psycopg.errors.InvalidTextRepresentation):
        execute(store, "UPDATE customers SET document = %s WHERE id = 'c-1'", "{not json")


@pytest.mark.parametrize("version", [-1, 2**53, 2**63 - 1, 7])
def test_a_corrupt_version_column_raises_a_crmcore_error(store, version):
    """A version out of crmcore's range, or disagreeing with the document: ValidationError."""
    seed(store, customer(1), customer(2))
    execute(store, "UPDATE customers SET version = %s WHERE id = 'c-1'", version)
    uow = PostgresUnitOfWork(store)
    with uow:
        with pytest.raises(ValidationError) as raised:
            uow.customers.get(CustomerId("c-1"))
        assert raised.value.path.startswith("$.customers[c-1]")
        assert "corrupt_document" == raised.value.code
        assert 2 == uow.customers.count()


def test_a_corrupt_row_can_still_be_removed(store):
    """remove() needs only the version column, so a corrupt row can be deleted."""
    seed(store, customer(1, "ana@example.com"))
    execute(store, "UPDATE customers SET document = '[]' WHERE id = 'c-1'")
    uow = PostgresUnitOfWork(store)
    with uow:
        uow.customers.remove(CustomerId("c-1"))
        uow.commit()
    with uow:
        assert 0 == uow.customers.count()
        uow.customers.add(customer(2, "ana@example.com"))
        uow.commit()


def test_a_stale_save_against_a_corrupt_version_raises_a_crmcore_error(store):
    """A conflict whose stored version is out of range reports a ValidationError."""
    seed(store, customer(1))
    uow = PostgresUnitOfWork(store)
    with uow:
        loaded = uow.customers.get(CustomerId("c-1"))
        execute(store, "UPDATE customers SET version = %s WHERE id = 'c-1'", 2**60)
        uow.customers.save(loaded.add_tag("x", at=AT))
        with pytest.raises(ValidationError) as raised:
            uow.commit()
    assert "$.customers[c-1].version" == raised.value.path


def test_a_corrupt_event_is_reported_and_nothing_is_lost(store):
    """A corrupt outbox row makes collect_events raise and delete nothing."""
    uow = PostgresUnitOfWork(store)
    with uow:
        uow.customers.add(customer(1))
        uow.customers.add(customer(2))
        uow.commit()
    seqs = [row[0] for row in execute(store, "SELECT seq FROM outbox ORDER BY seq")]
    execute(store, "UPDATE outbox SET event = '{\"schema_version\": 1}' WHERE seq = %s", seqs[1])
    with pytest.raises(ValidationError) as raised:
        uow.collect_events()
    assert f"$.outbox[{seqs[1]}].event" in raised.value.path
    assert [CustomerId("c-1")] == [e.customer_id for e in uow.collect_events(limit=1)]


@pytest.mark.parametrize("expected", [2**63, 2**53, -1, 1.0, True])
def test_a_change_set_with_an_impossible_version_is_refused(store, expected):
    """Versions no aggregate can have are refused before the database sees them."""
    seed(store, customer(1))
    change = Change(CUSTOMERS, CustomerId("c-1"), expected, customer(1).without_pending_events())
    with pytest.raises(ValidationError) as raised:
        store.commit(ChangeSet(changes=(change,)))
    assert "$.changes[0].expected_version" == raised.value.path
    assert 0 == read_one(store, 1).version


def test_acknowledging_many_events_at_once(store):
    """700 events, 699 acknowledged in one statement: one is left."""
    uow = PostgresUnitOfWork(store)
    with uow:
        for number in range(700):
            uow.customers.add(customer(number))
        uow.commit()
    events = uow.collect_events()
    assert 700 == len(events)
    assert 699 == uow.acknowledge(events[1:])
    assert [events[0]] == uow.collect_events()


# -- batches, references and indexes -------------------------------------------------------


def test_a_commit_sends_a_few_statements_whatever_its_size(store):
    """Each kind of statement runs once per table (executemany), not once per row."""
    counts = []
    for size in (2, 200):
        uow = PostgresUnitOfWork(store)
        sent = []
        with watching(store, sent.append), uow:
            for number in range(size):
                uow.customers.add(customer(f"{size}-{number}", f"c{size}-{number}@x.org"))
                uow.orders.add(order(f"{size}-{number}", f"{size}-{number}"))
            uow.commit()
        counts.append(len(sent))
    assert counts[0] == counts[1] < 20


def test_references_are_checked_with_one_query_per_table(store):
    """Orders naming 2 or 200 stored customers: the same statements; an unknown one refused."""
    seed(store, *(customer(number) for number in range(200)))
    counts = []
    for size in (2, 200):
        uow = PostgresUnitOfWork(store)
        sent = []
        with watching(store, sent.append), uow:
            for number in range(size):
                uow.orders.add(order(f"{size}-{number}", number))
            uow.commit()
        counts.append(len(sent))
    assert counts[0] == counts[1] < 15
    uow = PostgresUnitOfWork(store)
    with uow:
        uow.orders.add(order("late", 5))
        uow.orders.add(order("lost", 999))
        with pytest.raises(UnknownReference) as raised:
            uow.commit()
    assert (OrderId("o-lost"), CustomerId("c-999")) == (
        raised.value.aggregate_id,
        raised.value.target_id,
    )


def test_lookups_read_the_index_not_every_row(store):
    """orders.for_customer reads the index column: another customer's corrupt order is not read;
    the query plan uses the partial indexes."""
    seed(store, customer(1), customer(2))
    uow = PostgresUnitOfWork(store)
    with uow:
        uow.orders.add(order(1, 1))
        uow.orders.add(order(2, 2))
        uow.orders.add(order(3, 1))
        uow.commit()
    execute(store, "UPDATE orders SET document = '[]' WHERE id = 'o-2'")
    with uow:
        found = uow.orders.for_customer(CustomerId("c-1"))
        assert [OrderId("o-1"), OrderId("o-3")] == [o.id for o in found]
        with pytest.raises(ValidationError):
            uow.orders.for_customer(CustomerId("c-2"))
    connection = store.acquire()
    try:
        connection.execute("SET enable_seqscan = off")
        plans = [
            " ".join(row[0] for row in connection.execute(f"EXPLAIN {sql}", ("c-1",)))
            for sql in (
                "SELECT id FROM orders WHERE ix_customer = %s",
                "SELECT id FROM orders WHERE ref_customer_id = %s",
            )
        ]
        connection.execute("RESET enable_seqscan")
    finally:
        store.release(connection)
    assert "orders_ix_customer" in plans[0]
    assert "orders_ref_customer_id" in plans[1]


def test_a_schema_is_emptied_by_the_fixture(store, empty):
    """The fixture's reset leaves no row behind (the other tests rely on it)."""
    seed(store, customer(1))
    empty(store)
    with PostgresUnitOfWork(store) as uow:
        assert 0 == uow.customers.count()
    assert LAYOUT_VERSION == int(
        execute(store, "SELECT value FROM crmcore_meta WHERE name = 'layout'")[0][0]
    )
