"""Tests for the SQLite example adapter: the crmcore contract, races, corrupt rows."""

import multiprocessing
import pickle
import sqlite3
import threading
from contextlib import contextmanager
from datetime import UTC, datetime

import attrs
import pytest

from crmcore import ConcurrencyConflict, Customer, CustomerId, Money, PersonName, StaffId
from crmcore.access import AccessAction, AccessPolicy, Grant, GuardedUnitOfWork, Principal
from crmcore.commerce import Order, OrderId, OrderLine, ProductId
from crmcore.customers import ContactPoint, CustomerAttributeSet
from crmcore.errors import (
    CrmcoreError,
    DuplicateKey,
    InvalidType,
    SchemaVersionError,
    UnknownReference,
    ValidationError,
)
from crmcore.repository import (
    CUSTOMERS,
    ORDERS,
    AggregateSpec,
    AmbiguousKey,
    Change,
    ChangeSet,
    UniquenessPolicy,
)
from crmcore.testing.contract import UnitOfWorkContract
from crmcore_sqlite import LAYOUT_VERSION, MAX_VERSION, SqliteStore, SqliteUnitOfWork, StorageError
from crmcore_sqlite._race import counter, process_main, read_modify_save

AT = datetime(2026, 1, 5, 9, 0, tzinfo=UTC)
RACE_ID = "c-race"


@contextmanager
def watching(store, on_statement):
    """Call ``on_statement(sql)`` before each statement the store sends while the block runs."""
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


class TestSqliteUnitOfWork(UnitOfWorkContract):
    """The whole crmcore contract, on a real database file."""

    @pytest.fixture(autouse=True)
    def _database(self, tmp_path):
        self.folder = tmp_path
        self.others = []
        with SqliteStore(tmp_path / "crm.db") as store:
            self.store = store
            yield
        for other in self.others:
            other.close()

    def make_unit_of_work(self):
        return SqliteUnitOfWork(self.store)

    def make_unit_of_work_without_reference_checks(self):
        return SqliteUnitOfWork(self.store, check_references=False)

    def make_unit_of_work_with_event_handler(self, handler):
        return SqliteUnitOfWork(self.store, on_events=handler)

    def interrupt_writes(self, step):
        return interrupted_at(self.store, step)

    def make_unit_of_work_with_uniqueness(self, policy):
        other = SqliteStore(self.folder / f"policy-{len(self.others)}.db", uniqueness=policy)
        self.others.append(other)
        return SqliteUnitOfWork(other)


#: A policy that lets its one role do anything: the guarded unit must then behave as the unit.
ALLOW_ALL = AccessPolicy(
    roles=["admin"],
    grants=[
        Grant(role="admin", kind=kind, actions=list(AccessAction), scope="all")
        for kind in ("*", "staff_member", "team")  # "*" lets a role read staff, not change them
    ],
)
ADMIN = Principal(staff_id=StaffId("s-admin"), roles=["admin"])


class TestGuardedSqliteUnitOfWork(TestSqliteUnitOfWork):
    """The contract again, through an access-guarded unit of work over the database."""

    def make_unit_of_work(self):
        return GuardedUnitOfWork(super().make_unit_of_work(), ADMIN, ALLOW_ALL)

    def make_unit_of_work_without_reference_checks(self):
        unit = super().make_unit_of_work_without_reference_checks()
        return GuardedUnitOfWork(unit, ADMIN, ALLOW_ALL)

    def make_unit_of_work_with_event_handler(self, handler):
        unit = super().make_unit_of_work_with_event_handler(handler)
        return GuardedUnitOfWork(unit, ADMIN, ALLOW_ALL)

    def make_unit_of_work_with_uniqueness(self, policy):
        unit = super().make_unit_of_work_with_uniqueness(policy)
        return GuardedUnitOfWork(unit, ADMIN, ALLOW_ALL)


def customer(number, email=None):
    points = [] if email is None else [ContactPoint("email", email)]
    return Customer.register(
        CustomerId(f"c-{number}"), name=PersonName("Ana"), at=AT, contact_points=points
    )


@pytest.fixture
def path(tmp_path):
    return tmp_path / "crm.db"


def seed(path, *customers):
    uow = SqliteUnitOfWork(path)
    with uow:
        for added in customers:
            uow.customers.add(added)
        uow.commit()
    uow.acknowledge(uow.collect_events())


def execute(path, sql, *parameters):
    connection = sqlite3.connect(path, isolation_level=None)
    try:
        connection.execute(sql, parameters)
    finally:
        connection.close()


def read_one(path, number):
    uow = SqliteUnitOfWork(path)
    with uow:
        return uow.customers.get(CustomerId(f"c-{number}"))


# -- the file ------------------------------------------------------------------------------


def test_data_survives_closing_and_reopening(path):
    """What one store commits, a store opened later on the same file reads."""
    seed(path, customer(1, "ana@example.com"))
    with SqliteStore(path) as store:
        uow = SqliteUnitOfWork(store)
        with uow:
            assert CustomerId("c-1") == uow.customers.get_by_email("ana@example.com").id


def test_a_database_of_another_layout_is_refused(path):
    """Opening a file made by another table layout raises SchemaVersionError."""
    seed(path)
    execute(path, "UPDATE crmcore_meta SET value = ? WHERE name = 'layout'", LAYOUT_VERSION + 1)
    with pytest.raises(SchemaVersionError):
        SqliteStore(path)


def test_a_database_keeps_the_uniqueness_policy_it_was_created_with(path):
    """A shared-email file reopens shared; opened unique (or the reverse) it is refused."""
    shared = UniquenessPolicy(email="shared")
    seed_path = SqliteUnitOfWork(path, uniqueness=shared)
    with seed_path:
        seed_path.customers.add(customer(1, "family@example.com"))
        seed_path.customers.add(customer(2, "family@example.com"))
        seed_path.commit()
    with pytest.raises(SchemaVersionError) as raised:
        SqliteStore(path)
    assert '$.crmcore_meta["spec:customers"]' == raised.value.path
    with SqliteStore(path, uniqueness=shared) as store:
        uow = SqliteUnitOfWork(store)
        with uow:
            assert 2 == len(uow.customers.find_by_email("family@example.com"))
            with pytest.raises(AmbiguousKey):
                uow.customers.get_by_email("family@example.com")
        with pytest.raises(ValidationError):
            SqliteUnitOfWork(store, uniqueness=shared)


def test_a_file_of_unique_emails_is_not_opened_shared(path):
    """Customers stored under unique emails were never indexed: a shared policy is refused."""
    seed(path, customer(1, "ana@example.com"))
    execute(path, "DELETE FROM crmcore_meta WHERE name LIKE 'spec:%'")  # a file made before
    with pytest.raises(SchemaVersionError):
        SqliteStore(path, uniqueness=UniquenessPolicy(email="shared"))
    with SqliteStore(path) as store:  # opened as it was made, it still works
        uow = SqliteUnitOfWork(store)
        with uow:
            assert CustomerId("c-1") == uow.customers.get_by_email("ana@example.com").id


@pytest.mark.parametrize("bad", [":memory:", "", "file:crm.db?mode=memory"])
def test_only_a_database_file_is_accepted(bad):
    """In-memory databases are refused: every connection would see a different one."""
    with pytest.raises(ValidationError) as raised:
        SqliteStore(bad)
    assert "path" == raised.value.code


def test_a_path_of_the_wrong_type_raises_invalid_type():
    """A path that is not a str or PathLike raises InvalidType."""
    with pytest.raises(InvalidType):
        SqliteUnitOfWork(42)


def test_a_locked_database_raises_storage_error(path):
    """A writer holding the lock past the timeout gives StorageError, a CrmcoreError."""
    seed(path, customer(1))
    with SqliteStore(path, timeout=0.05) as store:
        uow = SqliteUnitOfWork(store)
        blocker = sqlite3.connect(path, isolation_level=None)
        try:
            blocker.execute("BEGIN IMMEDIATE")
            with uow:
                loaded = uow.customers.get(CustomerId("c-1"))
                uow.customers.save(loaded.add_tag("x", at=AT))
                with pytest.raises(StorageError) as raised:
                    uow.commit()
        finally:
            blocker.close()
    assert isinstance(raised.value, CrmcoreError)
    assert 0 == read_one(path, 1).version


def test_a_failed_commit_writes_nothing(path):
    """A conflict on the second change rolls back the first one and the events."""
    seed(path, customer(1), customer(2))
    uow, other = SqliteUnitOfWork(path), SqliteUnitOfWork(path)
    with uow:
        first = uow.customers.get(CustomerId("c-1"))
        second = uow.customers.get(CustomerId("c-2"))
        with other:
            other.customers.save(other.customers.get(CustomerId("c-2")))
            other.commit()
        uow.customers.save(first.add_tag("written-first", at=AT))
        uow.customers.save(second.add_tag("conflicts", at=AT))
        with pytest.raises(ConcurrencyConflict):
            uow.commit()
    assert (0, frozenset()) == (read_one(path, 1).version, read_one(path, 1).tags)
    assert [] == uow.collect_events()


# -- corrupt rows --------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("document", "error", "code"),
    [
        ("{not json", ValidationError, "corrupt_document"),
        ("[" * 100_000, ValidationError, "corrupt_document"),
        ('{"schema_version": 99}', SchemaVersionError, "schema_version"),
        ('{"schema_version": 1, "id": 3}', ValidationError, None),
    ],
)
def test_a_corrupt_row_raises_a_clear_error_and_loses_nothing(path, document, error, code):
    """Reading a corrupt document raises a CrmcoreError naming the row; other rows stay readable."""
    seed(path, customer(1), customer(2))
    execute(path, "UPDATE customers SET document = ? WHERE id = 'c-1'", document)
    uow = SqliteUnitOfWork(path)
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


def test_a_document_that_disagrees_with_its_row_is_refused(path):
    """A document holding another version than its row's column raises ValidationError."""
    seed(path, customer(1))
    execute(path, "UPDATE customers SET version = 7 WHERE id = 'c-1'")
    uow = SqliteUnitOfWork(path)
    with uow, pytest.raises(ValidationError) as raised:
        uow.customers.get(CustomerId("c-1"))
    assert "corrupt_document" == raised.value.code


def test_a_corrupt_row_can_still_be_removed(path):
    """remove() needs only the version column, so a corrupt row can be deleted."""
    seed(path, customer(1, "ana@example.com"))
    execute(path, "UPDATE customers SET document = 'garbage' WHERE id = 'c-1'")
    uow = SqliteUnitOfWork(path)
    with uow:
        uow.customers.remove(CustomerId("c-1"))
        uow.commit()
    with uow:
        assert 0 == uow.customers.count()
        uow.customers.add(customer(2, "ana@example.com"))
        uow.commit()


def test_a_corrupt_event_is_reported_and_nothing_is_lost(path):
    """A corrupt outbox row makes collect_events raise and delete nothing; fixed, all come out."""
    seed(path)
    uow = SqliteUnitOfWork(path)
    with uow:
        uow.customers.add(customer(1))
        uow.customers.add(customer(2))
        uow.commit()
    execute(path, "UPDATE outbox SET event = '{\"schema_version\": 1}' WHERE seq = 2")
    with pytest.raises(ValidationError) as raised:
        uow.collect_events()
    assert raised.value.path.startswith("$.outbox[2].event")
    assert [CustomerId("c-1")] == [e.customer_id for e in uow.collect_events(limit=1)]
    execute(path, "DELETE FROM outbox WHERE seq = 2")
    assert [CustomerId("c-1")] == [e.customer_id for e in uow.collect_events()]


def test_acknowledging_many_events_at_once(path):
    """More event ids than one DELETE names (500) are all acknowledged, in one transaction."""
    uow = SqliteUnitOfWork(path)
    with uow:
        for number in range(700):
            uow.customers.add(customer(number))
        uow.commit()
    events = uow.collect_events()
    assert 700 == len(events)
    assert 699 == uow.acknowledge(events[1:])
    assert [events[0]] == uow.collect_events()


# -- interrupted writes ---------------------------------------------------------------------


def test_an_interruption_before_commit_rolls_back_and_releases_the_database(path):
    """A KeyboardInterrupt at each statement of a commit leaves no row, lock or transaction."""
    seed(path, customer(1, "ana@example.com"))
    with SqliteStore(path, timeout=0.5) as store:
        for step in range(100):
            uow = SqliteUnitOfWork(store)
            interrupted = False
            with uow:
                ana = uow.customers.get(CustomerId("c-1"))
                uow.customers.save(ana.add_tag("vip", at=AT))
                uow.customers.add(customer(2, "budi@example.com"))
                try:
                    with interrupted_at(store, step):
                        uow.commit()
                except KeyboardInterrupt:
                    interrupted = True
            if not interrupted:
                break
            with uow:  # a unit reads the old state and can write at once (no lock left)
                assert (0, 1) == (
                    uow.customers.get(CustomerId("c-1")).version,
                    uow.customers.count(),
                )
                idle = store._idle
                assert not any(connection.in_transaction for connection in idle)
                uow.customers.add(customer(3))
                uow.rollback()
            assert [] == uow.collect_events()
        else:
            pytest.fail("the commit was never completed")
    assert step > 5
    assert 1 == read_one(path, 1).version


# -- bounded numbers -----------------------------------------------------------------------


def test_every_version_crmcore_allows_is_stored(path):
    """Versions 0 and 2**53 - 1 are stored and read back; saving past the bound is refused."""
    top = attrs.evolve(customer(1), version=MAX_VERSION)
    seed(path, top, customer(2))
    uow = SqliteUnitOfWork(path)
    with uow:
        found = uow.customers.get(CustomerId("c-1"))
        assert MAX_VERSION == found.version
        with pytest.raises(ValidationError):
            uow.customers.save(found.add_tag("one-more", at=AT))
        uow.customers.remove(CustomerId("c-1"))
        uow.commit()
    with uow:
        assert [CustomerId("c-2")] == [c.id for c in uow.customers]


@pytest.mark.parametrize("version", [2**63 - 1, -1, 2**53, 1.5, 1e300, "'zero'", "x'00'"])
def test_a_corrupt_version_column_raises_a_crmcore_error(path, version):
    """A row whose version is huge, negative or not an integer raises ValidationError naming it."""
    seed(path, customer(1), customer(2))
    value = version if isinstance(version, str) else repr(version)
    execute(path, f"UPDATE customers SET version = {value} WHERE id = 'c-1'")
    uow = SqliteUnitOfWork(path)
    with uow:
        for call in (
            lambda: uow.customers.get(CustomerId("c-1")),
            lambda: list(uow.customers),
            lambda: uow.customers.remove(CustomerId("c-1")),
            lambda: CustomerId("c-1") in uow.customers,
        ):
            with pytest.raises(ValidationError) as raised:
                call()
            assert "$.customers[c-1].version" == raised.value.path
            assert "corrupt_document" == raised.value.code
        assert 2 == uow.customers.count()


def test_a_stale_save_against_a_corrupt_version_raises_a_crmcore_error(path):
    """A conflict whose stored version is corrupt reports a ValidationError, not a bad number."""
    seed(path, customer(1))
    uow = SqliteUnitOfWork(path)
    with uow:
        loaded = uow.customers.get(CustomerId("c-1"))
        execute(path, "UPDATE customers SET version = 1e300 WHERE id = 'c-1'")
        uow.customers.save(loaded.add_tag("x", at=AT))
        with pytest.raises(ValidationError) as raised:
            uow.commit()
    assert "$.customers[c-1].version" == raised.value.path


@pytest.mark.parametrize("expected", [2**63, 2**53, -1, 1.0, True])
def test_a_change_set_with_an_impossible_version_is_refused(path, expected):
    """Versions no aggregate can have are refused before SQLite sees them (no OverflowError)."""
    seed(path, customer(1))
    with SqliteStore(path) as store:
        change = Change(
            CUSTOMERS, CustomerId("c-1"), expected, customer(1).without_pending_events()
        )
        with pytest.raises(ValidationError) as raised:
            store.commit(ChangeSet(changes=(change,)))
    assert "$.changes[0].expected_version" == raised.value.path
    assert 0 == read_one(path, 1).version


# -- references ----------------------------------------------------------------------------


def order(number, customer_number):
    line = OrderLine(ProductId("sku-1"), 1, Money("10.00", "USD"), category="books")
    return Order.place(
        OrderId(f"o-{number}"), customer_id=CustomerId(f"c-{customer_number}"), lines=[line], at=AT
    )


def test_references_survive_reopening_the_database(path):
    """The reference table is in the file: a later store still refuses removing a named customer."""
    seed(path, customer(1))
    uow = SqliteUnitOfWork(path)
    with uow:
        uow.orders.add(order(1, 1))
        uow.commit()
    with SqliteStore(path) as store:
        uow = SqliteUnitOfWork(store)
        with uow:
            uow.customers.remove(CustomerId("c-1"))
            with pytest.raises(UnknownReference) as raised:
                uow.commit()
    assert "order o-1 still names it in customer_id" in str(raised.value)
    copy = pickle.loads(pickle.dumps(raised.value))  # noqa: S301 - our own bytes.
    assert (str(raised.value), copy.removed) == (str(copy), True)


# -- races ---------------------------------------------------------------------------------


def assert_no_lost_update(path, saves):
    final = read_one(path, "race")
    assert saves == final.version
    assert saves == counter(final)
    events = SqliteUnitOfWork(path).collect_events()
    # Each successful save recorded one event with the next sequence number: none lost, none twice.
    sequences = [e.sequence for e in events if isinstance(e, CustomerAttributeSet)]
    assert list(range(2, saves + 2)) == sequences


@pytest.mark.slow
def test_eight_threads_lose_no_update(path):
    """8 threads x 200 read-modify-save cycles: final version == successful saves == 1600."""
    seed(path, Customer.register(CustomerId(RACE_ID), name=PersonName("Race"), at=AT))
    results = []
    with SqliteStore(path) as store:
        start = threading.Barrier(8)

        def run():
            start.wait()
            results.append(read_modify_save(store, RACE_ID, 200))

        threads = [threading.Thread(target=run) for _ in range(8)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
    assert 8 == len(results)
    assert 1600 == sum(saves for saves, _ in results)
    assert_no_lost_update(path, 1600)


@pytest.mark.slow
def test_two_processes_lose_no_update(path):
    """2 processes x 200 read-modify-save cycles: final version == successful saves == 400."""
    seed(path, Customer.register(CustomerId(RACE_ID), name=PersonName("Race"), at=AT))
    context = multiprocessing.get_context("spawn")
    start, results = context.Barrier(2), context.Queue()
    processes = [
        context.Process(target=process_main, args=(str(path), RACE_ID, 200, start, results))
        for _ in range(2)
    ]
    for process in processes:
        process.start()
    try:
        outcomes = [results.get(timeout=120) for _ in processes]
    finally:
        for process in processes:
            process.join(timeout=60)
    assert [0, 0] == [process.exitcode for process in processes]
    assert 400 == sum(saves for saves, _ in outcomes)
    assert_no_lost_update(path, 400)


# -- batches and indexes ----------------------------------------------------------------------


def test_a_commit_sends_a_few_statements_whatever_its_size(path):
    """Each kind of statement runs once per table (executemany), not once per row."""
    counts = []
    with SqliteStore(path) as store:
        for size in (2, 200):
            uow = SqliteUnitOfWork(store)
            sent = []
            with watching(store, sent.append), uow:
                for number in range(size):
                    uow.customers.add(customer(f"{size}-{number}", f"c{size}-{number}@x.org"))
                    uow.orders.add(order(f"{size}-{number}", f"{size}-{number}"))
                uow.commit()
            counts.append(len(sent))
    assert counts[0] == counts[1] < 20


def test_lookups_read_the_index_not_every_row(path):
    """orders.for_customer reads the index table, not the corrupt order of another customer."""
    seed(path, customer(1), customer(2))
    uow = SqliteUnitOfWork(path)
    with uow:
        uow.orders.add(order(1, 1))
        uow.orders.add(order(2, 2))
        uow.orders.add(order(3, 1))
        uow.commit()
    execute(path, "UPDATE orders SET document = 'garbage' WHERE id = 'o-2'")
    with uow:
        found = uow.orders.for_customer(CustomerId("c-1"))
        assert [OrderId("o-1"), OrderId("o-3")] == [o.id for o in found]
        with pytest.raises(ValidationError):  # the one order of c-2 is read, and is corrupt
            uow.orders.for_customer(CustomerId("c-2"))


def test_every_spec_with_indexes_has_an_index_table(path):
    """A side table per spec with secondary indexes, for the aggregates holding several values."""
    with SqliteStore(path) as store:
        connection = sqlite3.connect(path)
        try:
            tables = {row[0] for row in connection.execute("SELECT name FROM sqlite_master")}
        finally:
            connection.close()
        for spec in store.specs:
            assert (f"{spec.name}_index" in tables) == bool(spec.indexes), spec.name


def test_a_key_clash_found_by_the_store_names_the_right_customers(path):
    """A unit that could not see a key taken meanwhile: DuplicateKey names it; nothing is stored."""
    seed(path)
    uow, other = SqliteUnitOfWork(path), SqliteUnitOfWork(path)
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


def test_a_conflict_in_a_batch_applies_nothing(path):
    """A stale save among many changes: ConcurrencyConflict names it; nothing else is stored."""
    seed(path, *(customer(number) for number in range(10)))
    uow, other = SqliteUnitOfWork(path), SqliteUnitOfWork(path)
    with uow:
        for number in range(10):
            loaded = uow.customers.get(CustomerId(f"c-{number}"))
            uow.customers.save(loaded.add_tag("batch", at=AT))
        uow.customers.add(customer(10))
        with other:
            other.customers.save(other.customers.get(CustomerId("c-6")))
            other.commit()
        with pytest.raises(ConcurrencyConflict) as raised:
            uow.commit()
    assert (CustomerId("c-6"), 0, 1) == (
        raised.value.aggregate_id,
        raised.value.expected_version,
        raised.value.actual_version,
    )
    with uow:
        assert 10 == uow.customers.count()
        assert not any(c.tags for c in uow.customers)


# -- layout 4: reference and index columns ----------------------------------------------------


def layout_3_file(path, *, with_orders=True):
    """A file as layout 3 made it: no reference or index columns, a ``*_refs`` table."""
    connection = sqlite3.connect(path, isolation_level=None)
    try:
        connection.execute("CREATE TABLE crmcore_meta (name TEXT PRIMARY KEY, value TEXT NOT NULL)")
        connection.execute("INSERT INTO crmcore_meta VALUES ('layout', '3')")
        specs = (CUSTOMERS, ORDERS) if with_orders else (CUSTOMERS,)
        for spec in specs:
            connection.execute(
                f"CREATE TABLE {spec.name} (id TEXT PRIMARY KEY, version INTEGER NOT NULL,"
                " document TEXT NOT NULL)"
            )
        connection.execute("CREATE TABLE orders_refs (field TEXT, target TEXT, id TEXT)")
    finally:
        connection.close()


@pytest.mark.parametrize("with_orders", [True, False])
def test_a_database_of_layout_3_is_refused_with_a_clear_error(path, with_orders):
    """A layout 3 file is refused before anything is created in it (its orders table lacks the
    columns layout 4 indexes), whichever of its tables it has."""
    layout_3_file(path, with_orders=with_orders)
    with pytest.raises(SchemaVersionError) as raised:
        SqliteStore(path, specs=(CUSTOMERS, ORDERS))
    assert "$.crmcore_meta.layout" == raised.value.path
    assert "must be table layout 4" in str(raised.value)
    connection = sqlite3.connect(path)
    try:
        tables = {row[0] for row in connection.execute("SELECT name FROM sqlite_master")}
    finally:
        connection.close()
    assert "outbox" not in tables


def test_references_and_single_index_values_are_columns_of_the_row(path):
    """An order's customer is in its row (reference and index column); no side rows are written."""
    seed(path, customer(1))
    uow = SqliteUnitOfWork(path)
    with uow:
        uow.orders.add(order(1, 1))
        uow.commit()
    connection = sqlite3.connect(path)
    try:
        row = connection.execute(
            "SELECT ref_customer_id, ix_customer, ix_status, ix_payment_status,"
            " ix_fulfilment_status FROM orders WHERE id = 'o-1'"
        ).fetchone()
        side = connection.execute("SELECT count(*) FROM orders_index").fetchone()[0]
        plans = [
            " ".join(
                str(part)
                for step in connection.execute(f"EXPLAIN QUERY PLAN {sql}", ("c-1",))
                for part in step
            )
            for sql in (
                "SELECT id FROM orders WHERE ix_customer = ?",
                "SELECT id FROM orders WHERE ref_customer_id = ? ORDER BY id",
            )
        ]
    finally:
        connection.close()
    assert ("c-1", "c-1", "open", "unpaid", "unfulfilled") == row
    assert 0 == side
    assert "orders_ix_customer" in plans[0]
    assert "orders_ref_customer_id" in plans[1]


def _tags(customer):
    return tuple(sorted(customer.tags))


TAGGED = AggregateSpec(
    name="customers",
    kind="customer",
    aggregate_type=Customer,
    id_type=CustomerId,
    indexes={"tag": _tags},
)


def test_an_index_of_several_values_uses_the_side_table_and_follows_saves(path):
    """Several values go to the side table, one to the column; a save moves them both ways."""

    def tagged(*tags):
        return {c.id.value for c in customers.find_by_index("tag", *tags)}

    def side_rows():
        connection = sqlite3.connect(path)
        try:
            return connection.execute(
                "SELECT value, id FROM customers_index ORDER BY value, id"
            ).fetchall()
        finally:
            connection.close()

    with SqliteStore(path, specs=(TAGGED,)) as store:
        uow = SqliteUnitOfWork(store)
        customers = uow.repository(Customer)
        with uow:
            both = customer(1).add_tag("a", at=AT).add_tag("b", at=AT)
            customers.add(both)
            customers.add(customer(2).add_tag("a", at=AT))
            customers.add(customer(3))
            uow.commit()
        assert [("a", "c-1"), ("b", "c-1")] == side_rows()
        with uow:
            assert ({"c-1", "c-2"}, {"c-1"}) == (tagged("a"), tagged("b"))
            snapshot = store.snapshot()
            try:
                assert [] == snapshot.find_all(TAGGED, "no_such_index", "a")
            finally:
                snapshot.close()
            one = customers.get(CustomerId("c-1")).remove_tag("a", at=AT)
            customers.save(one)
            two = customers.get(CustomerId("c-2"))
            customers.save(two.add_tag("b", at=AT).add_tag("c", at=AT))
            uow.commit()
        assert [("a", "c-2"), ("b", "c-2"), ("c", "c-2")] == side_rows()
        with uow:
            assert ({"c-2"}, {"c-1", "c-2"}, {"c-2"}) == (tagged("a"), tagged("b"), tagged("c"))
            customers.remove(CustomerId("c-2"))
            uow.commit()
        assert [] == side_rows()
        with uow:
            assert (set(), {"c-1"}) == (tagged("a"), tagged("b"))


def test_references_to_stored_aggregates_are_checked_with_one_query_per_table(path):
    """Orders naming 2 or 200 stored customers: the same statements; an unknown one is refused."""
    seed(path, *(customer(number) for number in range(200)))
    counts = []
    with SqliteStore(path) as store:
        for size in (2, 200):
            uow = SqliteUnitOfWork(store)
            sent = []
            with watching(store, sent.append), uow:
                for number in range(size):
                    uow.orders.add(order(f"{size}-{number}", number))
                uow.commit()
            counts.append(len(sent))
        assert counts[0] == counts[1] < 15
        uow = SqliteUnitOfWork(store)
        with uow:
            uow.orders.add(order("late", 5))
            uow.orders.add(order("lost", 999))
            with pytest.raises(UnknownReference) as raised:
                uow.commit()
        assert (OrderId("o-lost"), CustomerId("c-999")) == (
            raised.value.aggregate_id,
            raised.value.target_id,
        )
        with uow:
            assert 202 == uow.orders.count()
