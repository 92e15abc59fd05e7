"""A SQLite adapter for crmcore's persistence ports, on the standard library only.

Aggregates are stored as JSON documents made by ``spec.to_document`` (the
:func:`crmcore.serialization.to_dict` of the aggregate, naming its class when a
spec keeps several), one table per aggregate type, with the version in its own
column. Natural keys
(normalized email addresses and phone numbers) live in a side table whose
primary key makes each value unique. Events wait in an outbox table, written
in the same transaction as the change that recorded them.

The generic :class:`~crmcore.repository.StoreUnitOfWork` does the rest; this
module only implements :class:`~crmcore.repository.Store` and
:class:`~crmcore.repository.Snapshot`:

- a snapshot is a read transaction (``BEGIN`` + a first read) on a database
  in WAL mode, so it sees the data as of that moment while others write;
- a commit is one ``BEGIN IMMEDIATE`` transaction that updates rows with
  ``UPDATE ... WHERE id = ? AND version = ?`` and fails with
  ``ConcurrencyConflict`` when a row was changed meanwhile, then rewrites the
  natural keys and appends the events, or rolls everything back;
- collecting events deletes what it reads from the outbox in one
  ``BEGIN IMMEDIATE`` transaction, so each event leaves exactly once, across
  threads and processes.

>>> import tempfile
>>> from datetime import datetime, timezone
>>> from pathlib import Path
>>> from crmcore import Customer, CustomerId, PersonName
>>> at = datetime(2026, 1, 5, 9, 0, tzinfo=timezone.utc)
>>> with tempfile.TemporaryDirectory() as folder, SqliteStore(Path(folder) / "crm.db") as store:
...     uow = SqliteUnitOfWork(store)
...     with uow:
...         _ = uow.customers.add(
...             Customer.register(CustomerId("c-1"), name=PersonName("Ana"), at=at)
...         )
...         uow.commit()
...     with uow:
...         uow.customers.get(CustomerId("c-1")).version
...     [event.type for event in uow.collect_events()]
0
['CustomerRegistered']
"""

from __future__ import annotations

import json
import os
import sqlite3
import threading
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from pathlib import Path
from types import TracebackType
from typing import Any, Self, TypeVar, cast

from crmcore import DomainEvent, Identifier
from crmcore.errors import (
    ConcurrencyConflict,
    DuplicateId,
    InvalidType,
    RepositoryError,
    SchemaVersionError,
    StorageError,
    ValidationError,
)
from crmcore.repository import (
    DEFAULT_SPECS,
    Aggregate,
    AggregateSpec,
    Change,
    ChangeSet,
    DuplicateKey,
    Snapshot,
    Store,
    StoreUnitOfWork,
)
from crmcore.serialization import from_dict, to_dict

__all__ = ["LAYOUT_VERSION", "SqliteStore", "SqliteUnitOfWork", "StorageError"]

A = TypeVar("A", bound=Aggregate)

#: The version of the table layout this module creates and reads.
LAYOUT_VERSION = 1


@contextmanager
def _storage_errors() -> Iterator[None]:
    try:
        yield
    except sqlite3.Error as exc:
        # SQLite's messages name tables and columns, never the values bound to a statement.
        raise StorageError(f"the SQLite database failed: {exc}") from exc


def _encode(obj: object) -> str:
    return _json(to_dict(obj))


def _encode_aggregate(spec: AggregateSpec[A], aggregate: A) -> str:
    # The spec's documents tell apart the classes of a spec with variants (survey responses).
    return _json(spec.to_document(aggregate))


def _json(document: dict[str, Any]) -> str:
    return json.dumps(document, ensure_ascii=False, separators=(",", ":"), sort_keys=True)


def _load_json(document: object, path: str) -> object:
    if not isinstance(document, (str, bytes)):
        raise ValidationError("must be a JSON text", path=path, code="corrupt_document")
    try:
        return json.loads(document)
    except (ValueError, RecursionError):
        raise ValidationError(
            "must be a valid JSON document", path=path, code="corrupt_document"
        ) from None


def _decode(spec: AggregateSpec[A], ident: str, version: object, document: object) -> A:
    path = f"$.{spec.name}[{ident}].document"
    data = _load_json(document, path)
    try:
        aggregate = spec.from_document(data)
    except ValidationError as exc:
        raise exc.under(path) from None
    if str(aggregate.id) != ident or aggregate.version != version:
        raise ValidationError(
            "must hold the id and version of its row", path=path, code="corrupt_document"
        )
    return aggregate


def _decode_event(seq: int, document: object) -> DomainEvent:
    path = f"$.outbox[{seq}].event"
    data = _load_json(document, path)
    try:
        return from_dict(DomainEvent, data)
    except ValidationError as exc:
        raise exc.under(path) from None


def _check_path(path: object) -> str:
    if not isinstance(path, (str, os.PathLike)):
        raise InvalidType(f"must be a path, not {type(path).__name__}", path="$.path")
    text = os.fspath(path)
    if not isinstance(text, str) or text in {"", ":memory:"} or text.startswith("file:"):
        raise ValidationError(
            "must be the path of a database file (units on several connections share it)",
            path="$.path",
            code="path",
        )
    return text


class _SqliteSnapshot(Snapshot):
    """A read transaction on one connection of the store's pool."""

    def __init__(self, store: SqliteStore, connection: sqlite3.Connection) -> None:
        self._store = store
        self._connection: sqlite3.Connection | None = connection
        with _storage_errors():
            connection.execute("BEGIN")
            # The first read fixes the snapshot the transaction sees (WAL mode).
            connection.execute("SELECT count(*) FROM crmcore_meta").fetchone()

    def _rows(self, sql: str, parameters: tuple[object, ...]) -> list[tuple[Any, ...]]:
        if self._connection is None:
            raise RepositoryError("the snapshot is closed")
        with _storage_errors():
            return self._connection.execute(sql, parameters).fetchall()

    def get(self, spec: AggregateSpec[A], aggregate_id: Identifier) -> A | None:
        ident = str(aggregate_id)
        rows = self._rows(f"SELECT version, document FROM {spec.name} WHERE id = ?", (ident,))
        return _decode(spec, ident, *rows[0]) if rows else None

    def version(self, spec: AggregateSpec[A], aggregate_id: Identifier) -> int | None:
        rows = self._rows(f"SELECT version FROM {spec.name} WHERE id = ?", (str(aggregate_id),))
        if not rows:
            return None
        version = rows[0][0]
        if not isinstance(version, int):
            raise ValidationError(
                "must be an integer",
                path=f"$.{spec.name}[{aggregate_id}].version",
                code="corrupt_document",
            )
        return version

    def page(self, spec: AggregateSpec[A], *, after: Identifier | None, limit: int) -> list[A]:
        if after is None:
            sql = f"SELECT id, version, document FROM {spec.name} ORDER BY id LIMIT ?"
            rows = self._rows(sql, (limit,))
        else:
            sql = f"SELECT id, version, document FROM {spec.name} WHERE id > ? ORDER BY id LIMIT ?"
            rows = self._rows(sql, (str(after), limit))
        return [_decode(spec, *row) for row in rows]

    def count(self, spec: AggregateSpec[Any]) -> int:
        return int(self._rows(f"SELECT count(*) FROM {spec.name}", ())[0][0])

    def find(self, spec: AggregateSpec[Any], key: str, value: str) -> Identifier | None:
        sql = f"SELECT id FROM {spec.name}_keys WHERE key = ? AND value = ?"
        rows = self._rows(sql, (key, value))
        return spec.id_type(rows[0][0]) if rows else None

    def close(self) -> None:
        connection, self._connection = self._connection, None
        if connection is not None:
            try:
                with _storage_errors():
                    connection.execute("ROLLBACK")
            finally:
                self._store.release(connection)


class SqliteStore(Store):
    """Customers (and any registered aggregates) in one SQLite database file.

    Create one store per database and process, share it between threads, and
    close it when done (or use it as a context manager). Connections are
    pooled; each unit of work borrows one while its snapshot is open.

    Args:
        path: the database file; created with its tables when missing.
        specs: the aggregate types to keep (crmcore's defaults).
        timeout: seconds to wait for another writer before failing.
        pool_size: idle connections kept open for reuse.

    Raises:
        SchemaVersionError: the file was created by another layout version.
        StorageError: the database cannot be opened.
    """

    def __init__(
        self,
        path: str | os.PathLike[str],
        *,
        specs: Iterable[AggregateSpec[Any]] = DEFAULT_SPECS,
        timeout: float = 30.0,
        pool_size: int = 8,
    ) -> None:
        self._path = _check_path(path)
        self._specs = tuple(specs)
        self._timeout = timeout
        self._pool_size = pool_size
        self._idle: list[sqlite3.Connection] = []
        self._lock = threading.Lock()
        self._closed = False
        connection = self._connect()
        try:
            self._create_tables(connection)
        except BaseException:
            self._closed = True
            connection.close()
            raise
        self.release(connection)

    # -- connections ------------------------------------------------------------------------

    def _connect(self) -> sqlite3.Connection:
        with _storage_errors():
            connection = sqlite3.connect(
                self._path,
                timeout=self._timeout,
                isolation_level=None,  # transactions are begun and ended explicitly
                check_same_thread=False,  # the pool hands a connection to one thread at a time
            )
            try:
                connection.execute("PRAGMA foreign_keys = ON")
                connection.execute("PRAGMA synchronous = NORMAL")
            except BaseException:
                connection.close()
                raise
        return connection

    def acquire(self) -> sqlite3.Connection:
        """Borrow a connection (not in a transaction) from the pool."""
        with self._lock:
            if self._closed:
                raise RepositoryError("the store is closed")
            if self._idle:
                return self._idle.pop()
        return self._connect()

    def release(self, connection: sqlite3.Connection) -> None:
        """Give a borrowed connection back; it is closed if the pool is full or closed."""
        with self._lock:
            if (
                not self._closed
                and not connection.in_transaction
                and len(self._idle) < self._pool_size
            ):
                self._idle.append(connection)
                return
        connection.close()

    def close(self) -> None:
        """Close every idle connection; borrowed ones close when given back."""
        with self._lock:
            self._closed = True
            idle, self._idle = self._idle, []
        for connection in idle:
            connection.close()

    def __enter__(self) -> Self:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self.close()

    @contextmanager
    def _write(self) -> Iterator[sqlite3.Connection]:
        """One write transaction: BEGIN IMMEDIATE takes the database's write lock up front."""
        connection = self.acquire()
        try:
            with _storage_errors():
                connection.execute("BEGIN IMMEDIATE")
            try:
                yield connection
                with _storage_errors():
                    connection.execute("COMMIT")
            finally:
                if connection.in_transaction:
                    with _storage_errors():
                        connection.execute("ROLLBACK")
        finally:
            self.release(connection)

    def _create_tables(self, connection: sqlite3.Connection) -> None:
        with _storage_errors():
            mode = connection.execute("PRAGMA journal_mode = WAL").fetchone()[0]
            if str(mode).lower() != "wal":
                raise StorageError("the database must support write-ahead logging (WAL)")
            tables = {"crmcore_meta", "outbox"}
            tables.update(name for s in self._specs for name in (s.name, f"{s.name}_keys"))
            present = {row[0] for row in connection.execute("SELECT name FROM sqlite_master")}
            if tables <= present:  # the usual case: no write lock needed to open the store
                self._check_layout(connection)
                return
            connection.execute("BEGIN IMMEDIATE")
            try:
                for statement in self._schema():
                    connection.execute(statement)
                connection.execute(
                    "INSERT OR IGNORE INTO crmcore_meta (name, value) VALUES ('layout', ?)",
                    (str(LAYOUT_VERSION),),
                )
                self._check_layout(connection)
                connection.execute("COMMIT")
            finally:
                if connection.in_transaction:
                    connection.execute("ROLLBACK")

    def _schema(self) -> list[str]:
        statements = [
            "CREATE TABLE IF NOT EXISTS crmcore_meta (name TEXT PRIMARY KEY, value TEXT NOT NULL)",
            (
                "CREATE TABLE IF NOT EXISTS outbox"
                " (seq INTEGER PRIMARY KEY AUTOINCREMENT, event TEXT NOT NULL)"
            ),
        ]
        for spec in self._specs:
            statements += [
                (
                    f"CREATE TABLE IF NOT EXISTS {spec.name} (id TEXT PRIMARY KEY,"
                    " version INTEGER NOT NULL, document TEXT NOT NULL)"
                ),
                (
                    f"CREATE TABLE IF NOT EXISTS {spec.name}_keys (key TEXT NOT NULL,"
                    f" value TEXT NOT NULL, id TEXT NOT NULL REFERENCES {spec.name} (id),"
                    " PRIMARY KEY (key, value))"
                ),
                f"CREATE INDEX IF NOT EXISTS {spec.name}_keys_by_id ON {spec.name}_keys (id)",
            ]
        return statements

    @staticmethod
    def _check_layout(connection: sqlite3.Connection) -> None:
        row = connection.execute("SELECT value FROM crmcore_meta WHERE name = 'layout'").fetchone()
        if row is None or row[0] != str(LAYOUT_VERSION):
            raise SchemaVersionError(
                f"must be table layout {LAYOUT_VERSION}", path="$.crmcore_meta.layout"
            )

    # -- the Store interface ----------------------------------------------------------------

    @property
    def specs(self) -> tuple[AggregateSpec[Any], ...]:
        """The aggregate types this store keeps."""
        return self._specs

    def snapshot(self) -> Snapshot:
        """Open a read transaction on a pooled connection."""
        connection = self.acquire()
        try:
            return _SqliteSnapshot(self, connection)
        except BaseException:
            self.release(connection)
            raise

    def commit(self, changes: ChangeSet) -> None:
        """Apply a change set in one transaction, checking every version (see ``Store``)."""
        documents = [
            (
                change,
                None
                if change.aggregate is None
                else _encode_aggregate(change.spec, change.aggregate),
            )
            for change in changes.changes
        ]
        events = [_encode(event) for event in changes.events]
        with self._write() as connection:
            for change, document in documents:
                if change.expected_version is not None:
                    self._replace(connection, change, document)
            for change, document in documents:
                if change.expected_version is None and document is not None:
                    self._insert(connection, change, document)
            for change, _ in documents:
                if change.aggregate is not None:
                    self._claim_keys(connection, change)
            with _storage_errors():
                connection.executemany(
                    "INSERT INTO outbox (event) VALUES (?)", [(event,) for event in events]
                )

    @staticmethod
    def _replace(connection: sqlite3.Connection, change: Change[Any], document: str | None) -> None:
        table, ident = change.spec.name, str(change.aggregate_id)
        with _storage_errors():
            connection.execute(f"DELETE FROM {table}_keys WHERE id = ?", (ident,))
            if document is None:
                cursor = connection.execute(
                    f"DELETE FROM {table} WHERE id = ? AND version = ?",
                    (ident, change.expected_version),
                )
            else:
                new_version = cast("Aggregate", change.aggregate).version
                cursor = connection.execute(
                    f"UPDATE {table} SET version = ?, document = ? WHERE id = ? AND version = ?",
                    (new_version, document, ident, change.expected_version),
                )
            if cursor.rowcount == 1:
                return
            row = connection.execute(f"SELECT version FROM {table} WHERE id = ?", (ident,))
            found = row.fetchone()
        raise ConcurrencyConflict(
            change.spec.kind,
            change.aggregate_id,
            expected_version=cast("int", change.expected_version),
            actual_version=None if found is None else found[0],
        )

    @staticmethod
    def _insert(connection: sqlite3.Connection, change: Change[Any], document: str) -> None:
        try:
            connection.execute(
                f"INSERT INTO {change.spec.name} (id, version, document) VALUES (?, ?, ?)",
                (str(change.aggregate_id), cast("Aggregate", change.aggregate).version, document),
            )
        except sqlite3.IntegrityError:
            raise DuplicateId(change.spec.kind, change.aggregate_id) from None
        except sqlite3.Error as exc:
            raise StorageError(f"the SQLite database failed: {exc}") from exc

    @staticmethod
    def _claim_keys(connection: sqlite3.Connection, change: Change[Any]) -> None:
        table, ident = change.spec.name, str(change.aggregate_id)
        for key, value in sorted(change.spec.keys_of(change.aggregate)):
            try:
                connection.execute(
                    f"INSERT INTO {table}_keys (key, value, id) VALUES (?, ?, ?)",
                    (key, value, ident),
                )
            except sqlite3.IntegrityError:
                with _storage_errors():
                    row = connection.execute(
                        f"SELECT id FROM {table}_keys WHERE key = ? AND value = ?", (key, value)
                    ).fetchone()
                owner = None if row is None else change.spec.id_type(row[0])
                raise DuplicateKey(
                    change.spec.kind, key, aggregate_id=change.aggregate_id, owner_id=owner
                ) from None
            except sqlite3.Error as exc:
                raise StorageError(f"the SQLite database failed: {exc}") from exc

    def take_events(self) -> list[DomainEvent]:
        """Read and delete the whole outbox in one transaction, oldest event first.

        A corrupt event raises and deletes nothing.
        """
        with self._write() as connection:
            with _storage_errors():
                rows = connection.execute("SELECT seq, event FROM outbox ORDER BY seq").fetchall()
            events = [_decode_event(seq, document) for seq, document in rows]
            if rows:
                with _storage_errors():
                    connection.execute("DELETE FROM outbox WHERE seq <= ?", (rows[-1][0],))
        return events

    def __repr__(self) -> str:
        return f"SqliteStore({Path(self._path).name!r})"


class SqliteUnitOfWork(StoreUnitOfWork):
    """A unit of work on a SQLite database (see :class:`crmcore.repository.UnitOfWork`).

    Pass a shared :class:`SqliteStore` (one per process, for every thread), or
    a path: the unit then opens its own store that keeps no idle connection,
    so nothing stays open between blocks.
    """

    def __init__(self, target: SqliteStore | str | os.PathLike[str]) -> None:
        store = target if isinstance(target, SqliteStore) else SqliteStore(target, pool_size=0)
        super().__init__(store)
