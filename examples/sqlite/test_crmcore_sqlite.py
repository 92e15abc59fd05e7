"""Tests for the SQLite example adapter: the crmcore contract, races, corrupt rows."""

import multiprocessing
import sqlite3
import threading
from datetime import UTC, datetime

import pytest
from crmcore_sqlite import LAYOUT_VERSION, SqliteStore, SqliteUnitOfWork, StorageError
from sqlite_race import counter, process_main, read_modify_save

from crmcore import ConcurrencyConflict, Customer, CustomerId, PersonName
from crmcore.customers import ContactPoint, CustomerAttributeSet
from crmcore.errors import CrmcoreError, InvalidType, SchemaVersionError, ValidationError
from crmcore.testing.contract import UnitOfWorkContract

AT = datetime(2026, 1, 5, 9, 0, tzinfo=UTC)
RACE_ID = "c-race"


class TestSqliteUnitOfWork(UnitOfWorkContract):
    """The whole crmcore contract, on a real database file."""

    @pytest.fixture(autouse=True)
    def _database(self, tmp_path):
        with SqliteStore(tmp_path / "crm.db") as store:
            self.store = store
            yield

    def make_unit_of_work(self):
        return SqliteUnitOfWork(self.store)


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
    uow.collect_events()


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
    execute(path, "DELETE FROM outbox WHERE seq = 2")
    assert [CustomerId("c-1")] == [e.customer_id for e in uow.collect_events()]


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
