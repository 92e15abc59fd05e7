"""A SQLite adapter for crmcore's persistence ports, on the standard library only.

Aggregates are stored as JSON documents made by ``spec.to_document`` (the
:func:`crmcore.serialization.to_dict` of the aggregate, naming its class when a
spec keeps several), one table per aggregate type, with the version in its own
column. Natural keys
(normalized email addresses and phone numbers) live in a side table whose
primary key makes each value unique. References between aggregates (an
order's ``customer_id``, one id or none) are columns of the aggregate's own
row (``ref_customer_id``), indexed, so a commit can check them; so is each
secondary index value an aggregate holds alone (an order's customer and
status, ``ix_customer`` and ``ix_status``), so a lookup such as
``orders.for_customer`` is one indexed query. The values of an index an
aggregate holds several of (both parties of a relationship) go to a side
table instead. Events wait in an outbox table, written in the same
transaction as the change that recorded them, until they are acknowledged.

The generic :class:`~crmcore.repository.StoreUnitOfWork` does the rest; this
module only implements :class:`~crmcore.repository.Store` and
:class:`~crmcore.repository.Snapshot`:

- a snapshot is a read transaction (``BEGIN`` + a first read) on a database
  in WAL mode, so it sees the data as of that moment while others write;
- a commit is one ``BEGIN IMMEDIATE`` transaction that checks references
  (the stored aggregates they name are looked up with one query per table),
  reads the stored versions and fails with ``ConcurrencyConflict`` when a row
  was changed meanwhile, then writes the rows with their reference and index
  columns (``UPDATE ... WHERE id = ? AND version = ?``, ``DELETE``,
  ``INSERT``), the natural keys, the index entries of several values and the
  events, each kind of statement once per table with ``executemany``, or
  rolls everything back (an interruption anywhere before ``COMMIT`` included);
- collecting events reads the outbox without changing it; acknowledging
  deletes the events by ``event_id`` in one transaction.

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
...     events = uow.collect_events()
...     [event.event_id for event in events], uow.acknowledge(events), uow.collect_events()
0
(['customer:c-1#1'], 1, [])
"""

from __future__ import annotations

import functools
import os
import sqlite3
import threading
from collections.abc import Callable, Collection, Iterable, Iterator
from contextlib import contextmanager
from pathlib import Path
from types import TracebackType
from typing import Any, Self, TypeVar, cast

from crmcore import DomainEvent, Identifier
from crmcore.errors import (
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
    ChangeSet,
    DuplicateKey,
    EventHandler,
    ReferenceLookup,
    RowWrite,
    Snapshot,
    Store,
    StoreUnitOfWork,
    UniquenessPolicy,
    check_expected_versions,
    check_row_version,
    check_stored_versions,
    decode_document,
    decode_event_row,
    encode_event,
    index_column,
    reference_column,
    referenced_elsewhere,
    row_columns,
    spec_signature,
    verify_references,
    with_uniqueness,
    writes_by_spec,
)
from crmcore.repository import (
    MAX_VERSION as MAX_VERSION,  # the highest version (2**53 - 1); SQLite's INTEGER holds it
)

__all__ = ["LAYOUT_VERSION", "SqliteStore", "SqliteUnitOfWork", "StorageError"]

A = TypeVar("A", bound=Aggregate)

#: The version of the table layout this module creates and reads.
LAYOUT_VERSION = 4
#: How many event ids one DELETE of the outbox names (and ids one SELECT names).
_ACK_CHUNK = 500
_CHUNK = _ACK_CHUNK


@contextmanager
def _storage_errors() -> Iterator[None]:
    try:
        yield
    except sqlite3.Error as exc:
        # SQLite's messages name tables and columns, never the values bound to a statement.
        raise StorageError(f"the SQLite database failed: {exc}") from exc


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
        try:  # not _storage_errors(): this runs for every read, a context manager costs
            return self._connection.execute(sql, parameters).fetchall()
        except sqlite3.Error as exc:
            raise StorageError(f"the SQLite database failed: {exc}") from exc

    def get(self, spec: AggregateSpec[A], aggregate_id: Identifier) -> A | None:
        ident = str(aggregate_id)
        rows = self._rows(f"SELECT version, document FROM {spec.name} WHERE id = ?", (ident,))
        return decode_document(spec, ident, *rows[0]) if rows else None

    def version(self, spec: AggregateSpec[A], aggregate_id: Identifier) -> int | None:
        rows = self._rows(f"SELECT version FROM {spec.name} WHERE id = ?", (str(aggregate_id),))
        if not rows:
            return None
        return check_row_version(spec.name, aggregate_id, rows[0][0])

    def page(self, spec: AggregateSpec[A], *, after: Identifier | None, limit: int) -> list[A]:
        if after is None:
            sql = f"SELECT id, version, document FROM {spec.name} ORDER BY id LIMIT ?"
            rows = self._rows(sql, (limit,))
        else:
            sql = f"SELECT id, version, document FROM {spec.name} WHERE id > ? ORDER BY id LIMIT ?"
            rows = self._rows(sql, (str(after), limit))
        return [decode_document(spec, *row) for row in rows]

    def count(self, spec: AggregateSpec[Any]) -> int:
        return int(self._rows(f"SELECT count(*) FROM {spec.name}", ())[0][0])

    def find(self, spec: AggregateSpec[Any], key: str, value: str) -> Identifier | None:
        sql = f"SELECT id FROM {spec.name}_keys WHERE key = ? AND value = ?"
        rows = self._rows(sql, (key, value))
        return spec.id_type(rows[0][0]) if rows else None

    def find_all(self, spec: AggregateSpec[Any], index: str, value: str) -> list[Identifier]:
        """The ids whose secondary index holds the value (ascending), in one query.

        The index column holds the value of aggregates holding one; the index
        table the values of those holding several.
        """
        if index not in spec.index_names:
            return []  # and no unchecked name reaches the SQL text
        sql = (
            f"SELECT id FROM {spec.name} WHERE {index_column(index)} = ? UNION"
            f" SELECT id FROM {spec.name}_index WHERE name = ? AND value = ? ORDER BY id"
        )
        return [spec.id_type(row[0]) for row in self._rows(sql, (value, index, value))]

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
        uniqueness: whether customers may share an email address or a phone
            number (:class:`~crmcore.repository.UniquenessPolicy`); ``None``
            keeps the customer registration of ``specs`` (both unique by
            default). The database records each spec's natural keys and
            indexes when it creates its tables, and must be opened with the
            same ones afterwards.
        timeout: seconds to wait for another writer before failing.
        pool_size: idle connections kept open for reuse.

    Raises:
        SchemaVersionError: the file was created by another layout version,
            or with other natural keys or indexes for a spec (another
            uniqueness policy; ``$.crmcore_meta["spec:customers"]``).
        StorageError: the database cannot be opened.
    """

    def __init__(
        self,
        path: str | os.PathLike[str],
        *,
        specs: Iterable[AggregateSpec[Any]] = DEFAULT_SPECS,
        uniqueness: UniquenessPolicy | None = None,
        timeout: float = 30.0,
        pool_size: int = 8,
    ) -> None:
        self._path = _check_path(path)
        self._specs = with_uniqueness(specs, uniqueness)
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

    def _execute(
        self,
        connection: sqlite3.Connection,
        sql: str,
        parameters: Iterable[object] = (),
        *,
        many: bool = False,
    ) -> sqlite3.Cursor:
        """Run one statement of a write; every statement of a commit goes through here.

        With ``many``, ``parameters`` is a sequence of parameter tuples and the
        statement runs once for each (``executemany``, one call for a batch).
        SQLite errors other than constraint violations become ``StorageError``
        (constraint violations are left to the caller, which knows what they mean).
        """
        try:
            if many:
                return connection.executemany(sql, cast("Iterable[tuple[object, ...]]", parameters))
            return connection.execute(sql, tuple(parameters))
        except sqlite3.IntegrityError:
            raise
        except sqlite3.Error as exc:
            raise StorageError(f"the SQLite database failed: {exc}") from exc

    @contextmanager
    def _write(self) -> Iterator[sqlite3.Connection]:
        """One write transaction: BEGIN IMMEDIATE takes the database's write lock up front.

        Whatever interrupts the block before ``COMMIT`` (an error, a
        ``KeyboardInterrupt``) rolls the whole transaction back.
        """
        connection = self.acquire()
        try:
            self._execute(connection, "BEGIN IMMEDIATE")
            try:
                yield connection
                self._execute(connection, "COMMIT")
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
            tables.update(f"{s.name}_index" for s in self._specs if s.indexes)
            present = {row[0] for row in connection.execute("SELECT name FROM sqlite_master")}
            if tables <= present:  # the usual case: no write lock needed to open the store
                self._check_layout(connection)
                self._check_signatures(connection)
                return
            connection.execute("BEGIN IMMEDIATE")
            try:
                present = {row[0] for row in connection.execute("SELECT name FROM sqlite_master")}
                if "crmcore_meta" in present:
                    # Before any table is created: a file of another layout lacks its columns.
                    self._check_layout(connection)
                self._check_unsigned(connection, present)
                for statement in self._schema():
                    connection.execute(statement)
                connection.execute(
                    "INSERT OR IGNORE INTO crmcore_meta (name, value) VALUES ('layout', ?)",
                    (str(LAYOUT_VERSION),),
                )
                connection.executemany(
                    "INSERT OR IGNORE INTO crmcore_meta (name, value) VALUES (?, ?)",
                    [(f"spec:{spec.name}", spec_signature(spec)) for spec in self._specs],
                )
                self._check_layout(connection)
                self._check_signatures(connection)
                connection.execute("COMMIT")
            finally:
                if connection.in_transaction:
                    connection.execute("ROLLBACK")

    def _schema(self) -> list[str]:
        statements = [
            "CREATE TABLE IF NOT EXISTS crmcore_meta (name TEXT PRIMARY KEY, value TEXT NOT NULL)",
            (
                "CREATE TABLE IF NOT EXISTS outbox (seq INTEGER PRIMARY KEY,"
                " event_id TEXT NOT NULL, event TEXT NOT NULL)"
            ),
            "CREATE INDEX IF NOT EXISTS outbox_by_event_id ON outbox (event_id)",
        ]
        for spec in self._specs:
            columns = row_columns(spec)
            statements += [
                (
                    f"CREATE TABLE IF NOT EXISTS {spec.name} (id TEXT PRIMARY KEY,"
                    " version INTEGER NOT NULL, document TEXT NOT NULL"
                    + "".join(f", {column} TEXT" for column in columns)
                    + ")"
                ),
                *(
                    f"CREATE INDEX IF NOT EXISTS {spec.name}_{column} ON {spec.name} ({column})"
                    f" WHERE {column} IS NOT NULL"
                    for column in columns
                ),
                (
                    f"CREATE TABLE IF NOT EXISTS {spec.name}_keys (key TEXT NOT NULL,"
                    f" value TEXT NOT NULL, id TEXT NOT NULL REFERENCES {spec.name} (id),"
                    " PRIMARY KEY (key, value))"
                ),
                f"CREATE INDEX IF NOT EXISTS {spec.name}_keys_by_id ON {spec.name}_keys (id)",
            ]
            if spec.indexes:
                statements += [
                    (
                        f"CREATE TABLE IF NOT EXISTS {spec.name}_index (name TEXT NOT NULL,"
                        f" value TEXT NOT NULL, id TEXT NOT NULL REFERENCES {spec.name} (id),"
                        " PRIMARY KEY (name, value, id)) WITHOUT ROWID"
                    ),
                    f"CREATE INDEX IF NOT EXISTS {spec.name}_index_by_id ON {spec.name}_index (id)",
                ]
        return statements

    def _check_signatures(self, connection: sqlite3.Connection) -> None:
        """Refuse specs whose natural keys or indexes differ from those the file was made with."""
        rows = connection.execute(
            "SELECT name, value FROM crmcore_meta WHERE name LIKE 'spec:%'"
        ).fetchall()
        recorded = dict(rows)
        for spec in self._specs:
            found = recorded.get(f"spec:{spec.name}")
            if found is not None and found != spec_signature(spec):
                raise SchemaVersionError(
                    "must be opened with the natural keys and indexes the database was"
                    " created with (the same uniqueness policy)",
                    path=f'$.crmcore_meta["spec:{spec.name}"]',
                )

    def _check_unsigned(self, connection: sqlite3.Connection, present: set[str]) -> None:
        """Refuse an index a spec's existing rows were never entered in.

        That is a file made before specs were recorded, opened with a spec that
        now has indexes.
        """
        if "crmcore_meta" not in present:
            return
        rows = connection.execute("SELECT name FROM crmcore_meta WHERE name LIKE 'spec:%'")
        signed = {row[0] for row in rows}
        for spec in self._specs:
            unindexed = spec.indexes and f"{spec.name}_index" not in present
            if spec.name in present and f"spec:{spec.name}" not in signed and unindexed:
                raise SchemaVersionError(
                    "must be opened with the natural keys and indexes the database was"
                    " created with (the same uniqueness policy)",
                    path=f'$.crmcore_meta["spec:{spec.name}"]',
                )

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
        """Apply a change set in one transaction, checking every version (see ``Store``).

        Each kind of statement runs once per table for the whole change set
        (``executemany``): the stored aggregates the change set names are
        looked up and the stored versions read with one query per table, then
        side rows are deleted, rows (with their reference and index columns)
        updated, deleted and inserted, and natural keys, index entries of
        several values and events inserted, in batches.
        """
        check_expected_versions(changes)
        writes = [RowWrite(change) for change in changes.changes]
        events = [(event.event_id, encode_event(event)) for event in changes.events]
        with self._write() as connection:
            if changes.check_references:
                lookup = _SqliteLookup(functools.partial(self._execute, connection))
                lookup.look_up(referenced_elsewhere(self._specs, changes))
                verify_references(self._specs, changes, lookup)
            self._check_versions(connection, writes)
            for group in writes_by_spec(writes).values():
                self._write_rows(connection, group[0].change.spec, group)
            self._claim_keys(connection, writes)
            for group in writes_by_spec(writes).values():
                self._write_side_rows(connection, group[0].change.spec, group)
            if events:
                self._execute(
                    connection,
                    "INSERT INTO outbox (event_id, event) VALUES (?, ?)",
                    events,
                    many=True,
                )

    def _check_versions(self, connection: sqlite3.Connection, writes: list[RowWrite]) -> None:
        """Every stored version as the change set expects it, read in one query per table."""
        stored: dict[tuple[str, str], object] = {}
        for group in writes_by_spec(writes).values():
            spec = group[0].change.spec
            ids = [write.ident for write in group]
            for start in range(0, len(ids), _CHUNK):
                chunk = ids[start : start + _CHUNK]
                marks = ", ".join("?" * len(chunk))
                rows = self._execute(
                    connection, f"SELECT id, version FROM {spec.name} WHERE id IN ({marks})", chunk
                )
                stored.update(((spec.name, ident), version) for ident, version in rows)
        check_stored_versions(writes, stored)

    def _write_rows(
        self, connection: sqlite3.Connection, spec: AggregateSpec[Any], group: list[RowWrite]
    ) -> None:
        """Remove the old side rows, then update, delete and insert the rows of one table.

        A row's reference and index columns are written with its document.
        """
        table = spec.name
        columns = row_columns(spec)
        replaced = [(w.ident,) for w in group if w.change.expected_version is not None]
        if replaced:
            self._execute(connection, f"DELETE FROM {table}_keys WHERE id = ?", replaced, many=True)
            if spec.indexes:
                sql = f"DELETE FROM {table}_index WHERE id = ?"
                self._execute(connection, sql, replaced, many=True)
        updated = [
            (w.version, w.document, *w.columns, w.ident, w.change.expected_version)
            for w in group
            if w.change.expected_version is not None and w.document is not None
        ]
        removed = [
            (w.ident, w.change.expected_version)
            for w in group
            if w.change.expected_version is not None and w.document is None
        ]
        assignments = "".join(f", {column} = ?" for column in columns)
        update = f"UPDATE {table} SET version = ?, document = ?{assignments}"
        update += " WHERE id = ? AND version = ?"
        for sql, rows in (
            (update, updated),
            (f"DELETE FROM {table} WHERE id = ? AND version = ?", removed),
        ):
            if rows and self._execute(connection, sql, rows, many=True).rowcount != len(rows):
                # The versions were read under the write lock: nobody can change them.
                raise StorageError("the SQLite database changed during a write transaction")
        added = [
            (w.ident, w.version, w.document, *w.columns)
            for w in group
            if w.change.expected_version is None and w.document is not None
        ]
        if added:
            names = ", ".join(["id", "version", "document", *columns])
            marks = ", ".join("?" * (3 + len(columns)))
            sql = f"INSERT INTO {table} ({names}) VALUES ({marks})"
            self._execute(connection, sql, added, many=True)

    def _claim_keys(self, connection: sqlite3.Connection, writes: list[RowWrite]) -> None:
        """Insert the natural keys of the stored aggregates; a clash is a ``DuplicateKey``."""
        for group in writes_by_spec(writes).values():
            spec = group[0].change.spec
            rows = [(key, value, w.ident) for w in group for key, value in w.keys]
            if not rows:
                continue
            sql = f"INSERT INTO {spec.name}_keys (key, value, id) VALUES (?, ?, ?)"
            try:
                self._execute(connection, sql, rows, many=True)
            except sqlite3.IntegrityError:
                self._explain_key_clash(connection, spec, group)
                raise StorageError("the SQLite database refused a natural key") from None

    def _explain_key_clash(
        self, connection: sqlite3.Connection, spec: AggregateSpec[Any], group: list[RowWrite]
    ) -> None:
        """Raise the ``DuplicateKey`` of the first key (in insertion order) owned by another id.

        The keys inserted before the clash belong to their own aggregates, so
        the first key whose owner is another id is the one that clashed.
        """
        sql = f"SELECT id FROM {spec.name}_keys WHERE key = ? AND value = ?"
        for write in group:
            for key, value in write.keys:
                row = self._execute(connection, sql, (key, value)).fetchone()
                if row is not None and row[0] != write.ident:
                    raise DuplicateKey(
                        spec.kind,
                        key,
                        aggregate_id=write.change.aggregate_id,
                        owner_id=spec.id_type(row[0]),
                    )

    def _write_side_rows(
        self, connection: sqlite3.Connection, spec: AggregateSpec[Any], group: list[RowWrite]
    ) -> None:
        """Insert the index entries of the aggregates holding several values of an index."""
        table = spec.name
        entries = [(name, value, w.ident) for w in group for name, value in w.index]
        if entries:
            sql = f"INSERT INTO {table}_index (name, value, id) VALUES (?, ?, ?)"
            try:
                self._execute(connection, sql, entries, many=True)
            except sqlite3.IntegrityError as exc:
                raise StorageError(f"the SQLite database failed: {exc}") from exc

    def pending_events(self, *, limit: int | None = None) -> list[DomainEvent]:
        """The outbox, oldest event first, without changing it (see ``Store``).

        A corrupt event raises a ``ValidationError`` naming its row.
        """
        connection = self.acquire()
        try:
            with _storage_errors():
                rows = connection.execute(
                    "SELECT seq, event FROM outbox ORDER BY seq LIMIT ?",
                    (-1 if limit is None else limit,),
                ).fetchall()
        finally:
            self.release(connection)
        return [decode_event_row(seq, document) for seq, document in rows]

    def acknowledge_events(self, event_ids: Collection[str]) -> int:
        """Delete the outbox rows of these event ids in one transaction; return how many."""
        ids = sorted(event_ids)
        removed = 0
        with self._write() as connection:
            for start in range(0, len(ids), _ACK_CHUNK):
                chunk = tuple(ids[start : start + _ACK_CHUNK])
                marks = ", ".join("?" * len(chunk))
                cursor = self._execute(
                    connection, f"DELETE FROM outbox WHERE event_id IN ({marks})", chunk
                )
                removed += cursor.rowcount
        return removed

    def __repr__(self) -> str:
        return f"SqliteStore({Path(self._path).name!r})"


class _SqliteLookup(ReferenceLookup):
    """Reference questions asked inside a commit's transaction, before its writes.

    :meth:`look_up` asks, with one query per table (in chunks), which of the
    ids a change set names are stored; ``exists`` then answers from that, and
    asks the database only about an id it was not given.
    """

    def __init__(self, execute: Callable[[str, Iterable[object]], sqlite3.Cursor]) -> None:
        self._execute = execute
        self._asked: dict[str, set[str]] = {}
        self._stored: dict[str, set[str]] = {}

    def look_up(self, named: dict[str, set[str]]) -> None:
        """Find which of these ids (by spec name, of specs this store keeps) are stored."""
        for table, idents in named.items():
            ordered = sorted(idents)
            stored = self._stored.setdefault(table, set())
            for start in range(0, len(ordered), _CHUNK):
                chunk = ordered[start : start + _CHUNK]
                marks = ", ".join("?" * len(chunk))
                sql = f"SELECT id FROM {table} WHERE id IN ({marks})"
                stored.update(row[0] for row in self._execute(sql, chunk).fetchall())
            self._asked.setdefault(table, set()).update(ordered)

    def exists(self, spec: AggregateSpec[Any], aggregate_id: Identifier) -> bool:
        ident = str(aggregate_id)
        if ident in self._asked.get(spec.name, ()):
            return ident in self._stored[spec.name]
        sql = f"SELECT 1 FROM {spec.name} WHERE id = ?"
        return self._execute(sql, (ident,)).fetchone() is not None

    def referrers(
        self, spec: AggregateSpec[Any], field: str, target_id: Identifier
    ) -> Iterable[Identifier]:
        column = reference_column(field)
        sql = f"SELECT id FROM {spec.name} WHERE {column} = ? ORDER BY id"
        rows = self._execute(sql, (str(target_id),)).fetchall()
        return [spec.id_type(row[0]) for row in rows]


class SqliteUnitOfWork(StoreUnitOfWork):
    """A unit of work on a SQLite database (see :class:`crmcore.repository.UnitOfWork`).

    Pass a shared :class:`SqliteStore` (one per process, for every thread), or
    a path: the unit then opens its own store that keeps no idle connection,
    so nothing stays open between blocks (``uniqueness`` then chooses its
    :class:`~crmcore.repository.UniquenessPolicy`; a shared store has its own).
    ``check_references=False`` lets the
    unit commit aggregates naming customers not stored (yet), for imports;
    ``on_events=handler`` hands each commit's events to ``handler``, then
    acknowledges them (see :class:`~crmcore.repository.StoreUnitOfWork`).
    """

    def __init__(
        self,
        target: SqliteStore | str | os.PathLike[str],
        *,
        check_references: bool = True,
        on_events: EventHandler | None = None,
        uniqueness: UniquenessPolicy | None = None,
    ) -> None:
        if isinstance(target, SqliteStore):
            if uniqueness is not None:
                raise ValidationError(
                    "must be None for a shared store (give the policy to the store)",
                    path="$.uniqueness",
                    code="policy",
                )
            store = target
        else:
            store = SqliteStore(target, pool_size=0, uniqueness=uniqueness)
        super().__init__(store, check_references=check_references, on_events=on_events)
