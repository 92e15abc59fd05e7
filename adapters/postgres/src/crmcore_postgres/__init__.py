"""A PostgreSQL adapter for crmcore's persistence ports, on psycopg 3.

Aggregates are stored as JSON documents made by ``spec.to_document`` (the
:func:`crmcore.serialization.to_dict` of the aggregate), one table per
aggregate type in a schema of its own, with the version in a ``bigint``
column. The layout is the SQLite adapter's (``crmcore-sqlite``): a reference
field (an order's ``customer_id``) is a column of the row (``ref_customer_id``),
so is each secondary index value an aggregate holds alone (``ix_customer``),
each with a partial B-tree index; the values of an index an aggregate holds
several of go to a side table ``<spec>_index``; natural keys live in
``<spec>_keys`` whose primary key makes each value unique; events wait in an
``outbox`` table until they are acknowledged.

The generic :class:`~crmcore.repository.StoreUnitOfWork` does the rest; this
module implements :class:`~crmcore.repository.Store` and
:class:`~crmcore.repository.Snapshot`:

- a snapshot is a ``REPEATABLE READ READ ONLY`` transaction: every read of a
  unit sees the data as committed when its first query ran;
- a commit is one ``READ COMMITTED`` transaction that locks the rows it changes
  (``SELECT ... FOR UPDATE``, in id order), compares their versions with the
  change set's (``ConcurrencyConflict``, ``DuplicateId``), checks references
  (the customers named are locked ``FOR KEY SHARE``, so a concurrent removal
  waits for it and then sees the new referrer), writes the rows, natural keys
  (a unique violation is ``DuplicateKey``), index entries and events, and
  commits, or rolls back everything. A deadlock or serialization failure
  between commits retries the whole transaction a few times, then raises
  :class:`StorageError`;
- collecting events reads the outbox in commit order (events are inserted
  under a transaction-scoped advisory lock, so their sequence numbers follow
  commit order); acknowledging deletes them by ``event_id``.

``dsn`` below is a libpq connection string (``"host=/tmp port=5432 user=crm"``):

>>> from datetime import datetime, timezone
>>> from crmcore import Customer, CustomerId, PersonName
>>> at = datetime(2026, 1, 5, 9, 0, tzinfo=timezone.utc)
>>> store = PostgresStore(dsn, schema="crmcore_docstring")
>>> uow = PostgresUnitOfWork(store)
>>> with uow:
...     _ = uow.customers.add(Customer.register(CustomerId("c-1"), name=PersonName("Ana"), at=at))
...     uow.commit()
>>> with uow:
...     uow.customers.get(CustomerId("c-1")).version
0
>>> events = uow.collect_events()
>>> [event.event_id for event in events], uow.acknowledge(events), uow.collect_events()
(['customer:c-1#1'], 1, [])
>>> store.drop_schema()  # drops the tables and closes the store
"""

from __future__ import annotations

import functools
import re
import threading
from collections.abc import Callable, Collection, Iterable, Iterator, Sequence
from contextlib import contextmanager, suppress
from types import TracebackType
from typing import TYPE_CHECKING, Any, Self, TypeVar, cast

from crmcore import DomainEvent, Identifier
from crmcore.errors import (
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
    MAX_VERSION as MAX_VERSION,  # the highest version (2**53 - 1); ``bigint`` holds it
)

if TYPE_CHECKING:
    import psycopg

__all__ = ["LAYOUT_VERSION", "PostgresStore", "PostgresUnitOfWork", "StorageError"]

A = TypeVar("A", bound=Aggregate)
T = TypeVar("T")

#: The version of the table layout this module creates and reads.
LAYOUT_VERSION = 1
#: How many times a commit is tried again after a deadlock or serialization failure.
MAX_RETRIES = 5
#: SQLSTATEs of failures that trying the same transaction again may cure.
_TRANSIENT = frozenset({"40001", "40P01"})
#: The advisory lock key held while a commit appends its events (commit order = outbox order).
_OUTBOX_LOCK = 0x63726D63  # "crmc"
#: Schema names: plain lowercase identifiers, spliced into SQL text in double quotes (so a
#: keyword such as ``user`` or ``order`` is a valid name too, as is a spec's table name).
_SCHEMA = re.compile(r"[a-z_][a-z0-9_]{0,62}")


def _psycopg() -> Any:
    try:
        import psycopg  # noqa: PLC0415 - the one optional dependency, imported when used
    except ImportError:  # pragma: no cover - psycopg is a dependency of this package
        raise StorageError(
            "the PostgreSQL adapter needs psycopg 3: pip install 'psycopg[binary]>=3.1'"
        ) from None
    return psycopg


def _failure(exc: Exception) -> StorageError:
    # PostgreSQL's primary messages name tables, columns and constraints, never bound values;
    # the DETAIL (which may quote a key) is left out. An error raised by the client (a lost
    # connection) has no primary message: the first line of its text says what happened.
    primary = getattr(getattr(exc, "diag", None), "message_primary", None)
    if not primary:
        primary = str(exc).strip().partition("\n")[0] or type(exc).__name__
    return StorageError(f"the PostgreSQL database failed: {primary}")


def _connect_failure(exc: Exception, dsn: str) -> StorageError:
    """Why no connection was made, never quoting the DSN's password.

    A DSN libpq cannot parse is not quoted at all (its message may echo a
    piece of the password); the text of other failures is given with the
    password, if the DSN has one, masked.
    """
    psycopg = _psycopg()
    if isinstance(exc, psycopg.ProgrammingError):
        return StorageError(
            "cannot connect to PostgreSQL: the DSN is not a valid libpq connection string"
            " (keyword=value pairs or a postgresql:// URI)"
        )
    text = str(exc).strip().replace("\n\t", " ").replace("\n", " ") or type(exc).__name__
    with suppress(psycopg.Error):
        password = psycopg.conninfo.conninfo_to_dict(dsn).get("password")
        if password:
            text = text.replace(str(password), "***")
    return StorageError(f"cannot connect to PostgreSQL: {text}")


@contextmanager
def _storage_errors() -> Iterator[None]:
    psycopg = _psycopg()
    try:
        yield
    except psycopg.Error as exc:
        raise _failure(exc) from exc


def _check_schema(schema: object) -> str:
    if not isinstance(schema, str):
        raise InvalidType(f"must be a str, not {type(schema).__name__}", path="$.schema")
    if not _SCHEMA.fullmatch(schema) or schema.startswith("pg_"):
        raise ValidationError(
            "must be a lowercase SQL identifier of at most 63 characters, not starting with pg_",
            path="$.schema",
            code="identifier",
        )
    return schema


class _PostgresSnapshot(Snapshot):
    """A REPEATABLE READ, read-only transaction on one connection of the store's pool."""

    def __init__(self, store: PostgresStore, connection: psycopg.Connection[Any]) -> None:
        self._store = store
        self._connection: psycopg.Connection[Any] | None = connection
        # The store began the transaction; its first query fixes the snapshot every later one sees.

    def _rows(self, sql: str, parameters: Sequence[object]) -> list[tuple[Any, ...]]:
        if self._connection is None:
            raise RepositoryError("the snapshot is closed")
        with _storage_errors():
            return self._connection.execute(sql, parameters).fetchall()

    def get(self, spec: AggregateSpec[A], aggregate_id: Identifier) -> A | None:
        ident = str(aggregate_id)
        rows = self._rows(f'SELECT version, document FROM "{spec.name}" WHERE id = %s', (ident,))
        return decode_document(spec, ident, *rows[0]) if rows else None

    def version(self, spec: AggregateSpec[A], aggregate_id: Identifier) -> int | None:
        rows = self._rows(f'SELECT version FROM "{spec.name}" WHERE id = %s', (str(aggregate_id),))
        if not rows:
            return None
        return check_row_version(spec.name, aggregate_id, rows[0][0])

    def page(self, spec: AggregateSpec[A], *, after: Identifier | None, limit: int) -> list[A]:
        if after is None:
            sql = f'SELECT id, version, document FROM "{spec.name}" ORDER BY id LIMIT %s'
            rows = self._rows(sql, (limit,))
        else:
            sql = f'SELECT id, version, document FROM "{spec.name}" WHERE id > %s ORDER BY id LIMIT %s'
            rows = self._rows(sql, (str(after), limit))
        return [decode_document(spec, *row) for row in rows]

    def count(self, spec: AggregateSpec[Any]) -> int:
        return int(self._rows(f'SELECT count(*) FROM "{spec.name}"', ())[0][0])

    def find(self, spec: AggregateSpec[Any], key: str, value: str) -> Identifier | None:
        sql = f"SELECT id FROM {spec.name}_keys WHERE key = %s AND value = %s"
        rows = self._rows(sql, (key, value))
        return spec.id_type(rows[0][0]) if rows else None

    def find_all(self, spec: AggregateSpec[Any], index: str, value: str) -> list[Identifier]:
        """The ids whose secondary index holds the value (ascending), in one indexed query.

        The index column holds the value of aggregates with one; the index table the values of
        those with several.
        """
        if index not in spec.index_names:
            return []  # and no unchecked name reaches the SQL text
        sql = (
            f'SELECT id FROM "{spec.name}" WHERE {index_column(index)} = %s UNION'
            f" SELECT id FROM {spec.name}_index WHERE name = %s AND value = %s"
            " ORDER BY id"
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


class PostgresStore(Store):
    """Customers (and any registered aggregates) in one schema of a PostgreSQL database.

    Create one store per database schema and process, share it between
    threads, and close it when done (or use it as a context manager).
    Connections are pooled; each unit of work borrows one while its snapshot
    is open, and each commit borrows one for its transaction. Processes (and
    machines) may each open their own store on the same schema: every
    guarantee holds between them, as it does between threads.

    Args:
        dsn: a libpq connection string or URI (``"host=/tmp port=5432 dbname=crm"``).
        schema: the schema holding the tables; created with them when missing.
        specs: the aggregate types to keep (crmcore's defaults).
        uniqueness: whether customers may share an email address or a phone
            number (:class:`~crmcore.repository.UniquenessPolicy`); ``None``
            keeps the registration of ``specs``. The schema records each
            spec's natural keys and indexes and must be opened with the same
            ones afterwards.
        pool_size: idle connections kept open for reuse.
        lock_timeout: seconds a statement waits for a row lock before the
            commit fails with :class:`StorageError` (``0``: wait forever).

    Raises:
        SchemaVersionError: the schema was created by another layout version,
            or with other natural keys or indexes for a spec.
        StorageError: the database cannot be reached.
    """

    def __init__(
        self,
        dsn: str,
        *,
        schema: str = "public",
        specs: Iterable[AggregateSpec[Any]] = DEFAULT_SPECS,
        uniqueness: UniquenessPolicy | None = None,
        pool_size: int = 8,
        lock_timeout: float = 30.0,
    ) -> None:
        if not isinstance(dsn, str):
            raise InvalidType(f"must be a str, not {type(dsn).__name__}", path="$.dsn")
        self._dsn = dsn
        self._schema = _check_schema(schema)
        self._specs = with_uniqueness(specs, uniqueness)
        self._pool_size = pool_size
        self._lock_timeout_ms = round(lock_timeout * 1000)
        self._idle: list[psycopg.Connection[Any]] = []
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

    def _connect(self) -> psycopg.Connection[Any]:
        driver = _psycopg()
        from psycopg.types.string import TextLoader  # noqa: PLC0415 - psycopg is imported lazily

        try:
            connection = driver.connect(self._dsn, autocommit=True)
        except driver.Error as exc:
            # Not chained: the driver's message may quote the DSN.
            raise _connect_failure(exc, self._dsn) from None
        with _storage_errors():
            try:
                # Documents come back as their exact text (no jsonb normalization, no parsing
                # by psycopg): corrupt rows are reported by this module, naming the row.
                connection.adapters.register_loader("json", TextLoader)
                connection.execute(f'SET search_path TO "{self._schema}"')
                connection.execute(f"SET lock_timeout = {self._lock_timeout_ms}")
            except BaseException:
                connection.close()
                raise
        return cast("psycopg.Connection[Any]", connection)

    def acquire(self) -> psycopg.Connection[Any]:
        """Borrow a connection (not in a transaction) from the pool."""
        with self._lock:
            if self._closed:
                raise RepositoryError("the store is closed")
            if self._idle:
                return self._idle.pop()
        return self._connect()

    def _borrow(
        self, first: Callable[[psycopg.Connection[Any]], T]
    ) -> tuple[psycopg.Connection[Any], T]:
        """Borrow a connection and run ``first`` on it; return both (the driver's errors pass).

        A pooled connection the server closed while it sat idle (a server
        restart, an idle session timeout, a terminated backend) fails on its
        first statement, before anything was done: it is closed, with the rest
        of the idle pool (gone the same way, most likely), and ``first`` runs
        once more on a new connection. On any error the connection is given back.
        """
        psycopg = _psycopg()
        with self._lock:
            if self._closed:
                raise RepositoryError("the store is closed")
            pooled = self._idle.pop() if self._idle else None
        connection = self._connect() if pooled is None else pooled
        try:
            return connection, first(connection)
        except psycopg.OperationalError:
            self.release(connection)  # closes a broken connection
            if pooled is None or not connection.broken:
                raise
            self._discard_idle()
        except BaseException:
            self.release(connection)
            raise
        connection = self.acquire()
        try:
            return connection, first(connection)
        except BaseException:
            self.release(connection)
            raise

    def _discard_idle(self) -> None:
        with self._lock:
            idle, self._idle = self._idle, []
        for connection in idle:
            connection.close()

    def release(self, connection: psycopg.Connection[Any]) -> None:
        """Give a borrowed connection back; it is closed if the pool is full or closed."""
        psycopg = _psycopg()
        idle = connection.info.transaction_status == psycopg.pq.TransactionStatus.IDLE
        with self._lock:
            if not self._closed and idle and len(self._idle) < self._pool_size:
                self._idle.append(connection)
                return
        connection.close()

    def close(self) -> None:
        """Close every idle connection; borrowed ones close when given back."""
        with self._lock:
            self._closed = True
        self._discard_idle()

    def __enter__(self) -> Self:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self.close()

    def drop_schema(self) -> None:
        """Drop the store's schema with every table in it, and close the store (for tests)."""
        connection = self.acquire()
        try:
            with _storage_errors():
                connection.execute(f'DROP SCHEMA IF EXISTS "{self._schema}" CASCADE')
        finally:
            connection.close()
            self.close()

    def _execute(
        self,
        connection: psycopg.Connection[Any],
        sql: str,
        parameters: Iterable[object] = (),
        *,
        many: bool = False,
    ) -> psycopg.Cursor[Any]:
        """Run one statement of a write; every statement of a commit goes through here.

        With ``many``, ``parameters`` is a sequence of parameter tuples and the
        statement runs once for each (``executemany``, pipelined: one round trip).
        Database errors are left to the caller, which knows what they mean.
        """
        cursor = connection.cursor()
        if many:
            cursor.executemany(sql, cast("Iterable[Sequence[object]]", parameters))
        else:
            cursor.execute(sql, tuple(parameters))
        return cursor

    @contextmanager
    def _write(self) -> Iterator[psycopg.Connection[Any]]:
        """One READ COMMITTED write transaction, rolled back unless the block completes."""
        psycopg = _psycopg()
        connection, _ = self._borrow(
            functools.partial(self._execute, sql="BEGIN ISOLATION LEVEL READ COMMITTED")
        )
        try:
            try:
                yield connection
                self._execute(connection, "COMMIT")
            finally:
                if connection.info.transaction_status != psycopg.pq.TransactionStatus.IDLE:
                    with suppress(psycopg.Error):  # a broken connection is closed by release()
                        connection.execute("ROLLBACK")
        finally:
            self.release(connection)

    def _transaction(self, work: Callable[[psycopg.Connection[Any]], object]) -> None:
        """Run ``work`` in a write transaction, again after a deadlock or serialization failure.

        crmcore errors raised by ``work`` (conflicts, duplicates) end it at once.
        """
        psycopg = _psycopg()
        for attempt in range(MAX_RETRIES + 1):
            try:
                with self._write() as connection:
                    work(connection)
            except psycopg.Error as exc:
                if exc.sqlstate in _TRANSIENT and attempt < MAX_RETRIES:
                    continue
                raise _failure(exc) from exc
            return

    def _create_tables(self, connection: psycopg.Connection[Any]) -> None:
        psycopg = _psycopg()
        with _storage_errors():
            tables = {"crmcore_meta", "outbox"}
            tables.update(name for s in self._specs for name in (s.name, f"{s.name}_keys"))
            tables.update(f"{s.name}_index" for s in self._specs if s.indexes)
            present = self._tables(connection)
            if tables <= present:  # the usual case: nothing to create, no lock taken
                self._check_layout(connection)
                self._check_signatures(connection)
                return
            connection.execute("BEGIN")
            try:
                # Two stores creating one schema at once: the second waits, then finds it made.
                connection.execute("SELECT pg_advisory_xact_lock(%s)", (_OUTBOX_LOCK + 1,))
                connection.execute(f'CREATE SCHEMA IF NOT EXISTS "{self._schema}"')
                present = self._tables(connection)
                if "crmcore_meta" in present:
                    self._check_layout(connection)
                for statement in self._schema_statements():
                    connection.execute(statement)
                connection.execute(
                    "INSERT INTO crmcore_meta (name, value) VALUES ('layout', %s)"
                    " ON CONFLICT DO NOTHING",
                    (str(LAYOUT_VERSION),),
                )
                connection.cursor().executemany(
                    "INSERT INTO crmcore_meta (name, value) VALUES (%s, %s) ON CONFLICT DO NOTHING",
                    [(f"spec:{spec.name}", spec_signature(spec)) for spec in self._specs],
                )
                self._check_layout(connection)
                self._check_signatures(connection)
                connection.execute("COMMIT")
            finally:
                if connection.info.transaction_status != psycopg.pq.TransactionStatus.IDLE:
                    connection.execute("ROLLBACK")

    def _tables(self, connection: psycopg.Connection[Any]) -> set[str]:
        rows = connection.execute(
            "SELECT table_name FROM information_schema.tables WHERE table_schema = %s",
            (self._schema,),
        ).fetchall()
        return {str(row[0]) for row in rows}

    def _schema_statements(self) -> list[str]:
        statements = [
            "CREATE TABLE IF NOT EXISTS crmcore_meta (name text PRIMARY KEY, value text NOT NULL)",
            (
                "CREATE TABLE IF NOT EXISTS outbox (seq bigint GENERATED ALWAYS AS IDENTITY"
                " PRIMARY KEY, event_id text NOT NULL, event json NOT NULL)"
            ),
            "CREATE INDEX IF NOT EXISTS outbox_by_event_id ON outbox (event_id)",
        ]
        for spec in self._specs:
            columns = row_columns(spec)
            statements += [
                (
                    f'CREATE TABLE IF NOT EXISTS "{spec.name}" (id text COLLATE "C" PRIMARY KEY,'
                    " version bigint NOT NULL, document json NOT NULL"
                    + "".join(f", {column} text" for column in columns)
                    + ")"
                ),
                *(
                    f'CREATE INDEX IF NOT EXISTS {spec.name}_{column} ON "{spec.name}" ({column})'
                    f" WHERE {column} IS NOT NULL"
                    for column in columns
                ),
                (
                    f"CREATE TABLE IF NOT EXISTS {spec.name}_keys (key text NOT NULL,"
                    ' value text NOT NULL, id text COLLATE "C" NOT NULL,'
                    " PRIMARY KEY (key, value))"
                ),
                f"CREATE INDEX IF NOT EXISTS {spec.name}_keys_by_id ON {spec.name}_keys (id)",
            ]
            if spec.indexes:
                statements += [
                    (
                        f"CREATE TABLE IF NOT EXISTS {spec.name}_index (name text NOT NULL,"
                        ' value text NOT NULL, id text COLLATE "C" NOT NULL,'
                        " PRIMARY KEY (name, value, id))"
                    ),
                    f"CREATE INDEX IF NOT EXISTS {spec.name}_index_by_id ON {spec.name}_index (id)",
                ]
        return statements

    def _check_signatures(self, connection: psycopg.Connection[Any]) -> None:
        """Refuse specs whose natural keys or indexes differ from those the schema was made with."""
        rows = connection.execute(
            "SELECT name, value FROM crmcore_meta WHERE name LIKE 'spec:%%'"
        ).fetchall()
        recorded = dict(rows)
        for spec in self._specs:
            found = recorded.get(f"spec:{spec.name}")
            if found is not None and found != spec_signature(spec):
                raise SchemaVersionError(
                    "must be opened with the natural keys and indexes the schema was"
                    " created with (the same uniqueness policy)",
                    path=f'$.crmcore_meta["spec:{spec.name}"]',
                )

    @staticmethod
    def _check_layout(connection: psycopg.Connection[Any]) -> None:
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

    @property
    def schema(self) -> str:
        """The schema holding the store's tables."""
        return self._schema

    def snapshot(self) -> Snapshot:
        """Open a REPEATABLE READ, read-only transaction on a pooled connection."""
        with _storage_errors():
            connection, _ = self._borrow(self._begin_snapshot)
        return _PostgresSnapshot(self, connection)

    @staticmethod
    def _begin_snapshot(connection: psycopg.Connection[Any]) -> None:
        connection.execute("BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY")
        connection.execute("SELECT 1 FROM crmcore_meta LIMIT 1").fetchall()

    def commit(self, changes: ChangeSet) -> None:
        """Apply a change set in one transaction, checking every version (see ``Store``).

        The changed rows are locked and their versions compared first; then
        references are checked, and each kind of statement runs once per table
        for the whole change set (``executemany``, pipelined).
        """
        check_expected_versions(changes)
        writes = [RowWrite(change) for change in changes.changes]
        events = [(event.event_id, encode_event(event)) for event in changes.events]
        self._transaction(functools.partial(self._apply, changes, writes, events))

    def _apply(
        self,
        changes: ChangeSet,
        writes: list[RowWrite],
        events: list[tuple[str, str]],
        connection: psycopg.Connection[Any],
    ) -> None:
        self._check_versions(connection, writes)
        if changes.check_references:
            lookup = _PostgresLookup(functools.partial(self._execute, connection))
            lookup.look_up(referenced_elsewhere(self._specs, changes))
            verify_references(self._specs, changes, lookup)
        for group in writes_by_spec(writes).values():
            self._write_rows(connection, group[0].change.spec, group)
        self._claim_keys(connection, writes)
        for group in writes_by_spec(writes).values():
            self._write_side_rows(connection, group[0].change.spec, group)
        if events:
            # Held to the end of the transaction: events get their sequence numbers in commit order.
            self._execute(connection, "SELECT pg_advisory_xact_lock(%s)", (_OUTBOX_LOCK,))
            self._execute(
                connection,
                "INSERT INTO outbox (event_id, event) VALUES (%s, %s)",
                events,
                many=True,
            )

    def _check_versions(self, connection: psycopg.Connection[Any], writes: list[RowWrite]) -> None:
        """Lock every changed row (in id order) and compare its version with the expected one."""
        stored: dict[tuple[str, str], object] = {}
        for name, group in sorted(writes_by_spec(writes).items()):
            ids = sorted(write.ident for write in group)
            rows = self._execute(
                connection,
                f'SELECT id, version FROM "{name}" WHERE id = ANY(%s) ORDER BY id FOR UPDATE',
                (ids,),
            ).fetchall()
            stored.update(((name, ident), version) for ident, version in rows)
        check_stored_versions(writes, stored)

    def _write_rows(
        self, connection: psycopg.Connection[Any], spec: AggregateSpec[Any], group: list[RowWrite]
    ) -> None:
        """Remove the old side rows, then update, delete and insert the rows of one table."""
        psycopg = _psycopg()
        table = spec.name
        columns = row_columns(spec)
        replaced = [w.ident for w in group if w.change.expected_version is not None]
        if replaced:
            self._execute(connection, f"DELETE FROM {table}_keys WHERE id = ANY(%s)", (replaced,))
            if spec.indexes:
                sql = f"DELETE FROM {table}_index WHERE id = ANY(%s)"
                self._execute(connection, sql, (replaced,))
        updated = [
            (w.version, w.document, *w.columns, w.ident, w.change.expected_version)
            for w in group
            if w.change.expected_version is not None and w.document is not None
        ]
        removed = [
            w.ident for w in group if w.change.expected_version is not None and w.document is None
        ]
        if updated:
            assignments = "".join(f", {column} = %s" for column in columns)
            sql = f'UPDATE "{table}" SET version = %s, document = %s{assignments}'
            sql += " WHERE id = %s AND version = %s"
            self._execute(connection, sql, updated, many=True)
        if removed:  # the rows are locked and their versions checked
            self._execute(connection, f'DELETE FROM "{table}" WHERE id = ANY(%s)', (removed,))
        added = [
            (w.ident, w.version, w.document, *w.columns)
            for w in group
            if w.change.expected_version is None and w.document is not None
        ]
        if added:
            names = ", ".join(["id", "version", "document", *columns])
            marks = ", ".join(["%s"] * (3 + len(columns)))
            sql = f'INSERT INTO "{table}" ({names}) VALUES ({marks})'
            try:
                self._execute(connection, sql, added, many=True)
            except psycopg.errors.UniqueViolation:
                # Another commit added one of these ids after the versions were read.
                self._raise_duplicate_id(connection, group)
                raise

    def _raise_duplicate_id(
        self, connection: psycopg.Connection[Any], group: list[RowWrite]
    ) -> None:
        """After a unique violation on ids: the first added id another commit stored."""
        psycopg = _psycopg()
        connection.execute("ROLLBACK")
        spec = group[0].change.spec
        for write in group:
            if write.change.expected_version is None and write.document is not None:
                with _storage_errors():
                    row = connection.execute(
                        f'SELECT 1 FROM "{spec.name}" WHERE id = %s', (write.ident,)
                    ).fetchone()
                if row is not None:
                    raise DuplicateId(spec.kind, write.change.aggregate_id)
        raise psycopg.errors.SerializationFailure  # vanished again: try the commit once more

    def _claim_keys(self, connection: psycopg.Connection[Any], writes: list[RowWrite]) -> None:
        """Insert the natural keys of the stored aggregates; a clash is a ``DuplicateKey``."""
        psycopg = _psycopg()
        for group in writes_by_spec(writes).values():
            spec = group[0].change.spec
            rows = [(key, value, w.ident) for w in group for key, value in w.keys]
            if not rows:
                continue
            sql = f"INSERT INTO {spec.name}_keys (key, value, id) VALUES (%s, %s, %s)"
            try:
                self._execute(connection, sql, rows, many=True)
            except psycopg.errors.UniqueViolation:
                self._explain_key_clash(connection, spec, group)
                raise

    def _explain_key_clash(
        self, connection: psycopg.Connection[Any], spec: AggregateSpec[Any], group: list[RowWrite]
    ) -> None:
        """Raise the ``DuplicateKey`` of the first key (in insertion order) owned by another id.

        The failed transaction is rolled back first; the owners are then read
        as committed (a key two of the change set's own aggregates hold is one
        they clash on too).
        """
        psycopg = _psycopg()
        connection.execute("ROLLBACK")
        claimed: dict[tuple[str, str], str] = {}
        replaced = {w.ident for w in group if w.change.expected_version is not None}
        sql = f"SELECT id FROM {spec.name}_keys WHERE key = %s AND value = %s"
        for write in group:
            for key, value in write.keys:
                owner = claimed.get((key, value))
                if owner is None:
                    with _storage_errors():
                        row = connection.execute(sql, (key, value)).fetchone()
                    if row is not None and row[0] != write.ident and row[0] not in replaced:
                        owner = row[0]
                if owner is not None and owner != write.ident:
                    raise DuplicateKey(
                        spec.kind,
                        key,
                        aggregate_id=write.change.aggregate_id,
                        owner_id=spec.id_type(owner),
                    )
                claimed[(key, value)] = write.ident
        raise psycopg.errors.SerializationFailure  # the owner is gone again: try once more

    def _write_side_rows(
        self, connection: psycopg.Connection[Any], spec: AggregateSpec[Any], group: list[RowWrite]
    ) -> None:
        """Insert the index entries of the aggregates holding several values of an index."""
        entries = [(name, value, w.ident) for w in group for name, value in w.index]
        if entries:
            sql = f"INSERT INTO {spec.name}_index (name, value, id) VALUES (%s, %s, %s)"
            self._execute(connection, sql, entries, many=True)

    def pending_events(self, *, limit: int | None = None) -> list[DomainEvent]:
        """The outbox in commit order, without changing it (see ``Store``).

        A corrupt event raises a ``ValidationError`` naming its row.
        """

        def read(connection: psycopg.Connection[Any]) -> list[tuple[Any, ...]]:
            sql = "SELECT seq, event FROM outbox ORDER BY seq LIMIT %s"
            return connection.execute(sql, (limit,)).fetchall()

        with _storage_errors():
            connection, rows = self._borrow(read)
        self.release(connection)
        return [decode_event_row(seq, document) for seq, document in rows]

    def acknowledge_events(self, event_ids: Collection[str]) -> int:
        """Delete the outbox rows of these event ids in one transaction; return how many."""
        ids = sorted(event_ids)
        removed = 0

        def delete(connection: psycopg.Connection[Any]) -> None:
            nonlocal removed
            cursor = self._execute(
                connection, "DELETE FROM outbox WHERE event_id = ANY(%s)", (ids,)
            )
            removed = cursor.rowcount

        self._transaction(delete)
        return removed

    def __repr__(self) -> str:
        return f"PostgresStore(schema={self._schema!r})"


class _PostgresLookup(ReferenceLookup):
    """Reference questions asked inside a commit's transaction, after its rows are locked.

    :meth:`look_up` locks (``FOR KEY SHARE``) the stored aggregates a change
    set names, one query per table, so none of them can be removed before the
    commit ends; ``exists`` then answers from that.
    """

    def __init__(self, execute: Callable[[str, Iterable[object]], psycopg.Cursor[Any]]) -> None:
        self._execute = execute
        self._asked: dict[str, set[str]] = {}
        self._stored: dict[str, set[str]] = {}

    def look_up(self, named: dict[str, set[str]]) -> None:
        """Find (and lock) which of these ids, by spec name, are stored."""
        for table, idents in sorted(named.items()):
            ordered = sorted(idents)
            sql = f'SELECT id FROM "{table}" WHERE id = ANY(%s) ORDER BY id FOR KEY SHARE'
            rows = self._execute(sql, (ordered,)).fetchall()
            self._stored.setdefault(table, set()).update(row[0] for row in rows)
            self._asked.setdefault(table, set()).update(ordered)

    def exists(self, spec: AggregateSpec[Any], aggregate_id: Identifier) -> bool:
        ident = str(aggregate_id)
        if ident in self._asked.get(spec.name, ()):
            return ident in self._stored[spec.name]
        sql = f'SELECT 1 FROM "{spec.name}" WHERE id = %s FOR KEY SHARE'
        return self._execute(sql, (ident,)).fetchone() is not None

    def referrers(
        self, spec: AggregateSpec[Any], field: str, target_id: Identifier
    ) -> Iterable[Identifier]:
        column = reference_column(field)
        sql = f'SELECT id FROM "{spec.name}" WHERE {column} = %s ORDER BY id'
        rows = self._execute(sql, (str(target_id),)).fetchall()
        return [spec.id_type(row[0]) for row in rows]


class PostgresUnitOfWork(StoreUnitOfWork):
    """A unit of work on a PostgreSQL schema (see :class:`crmcore.repository.UnitOfWork`).

    Pass a shared :class:`PostgresStore` (one per process, for every thread).
    ``check_references=False`` lets the unit commit aggregates naming
    customers not stored (yet), for imports; ``on_events=handler`` hands each
    commit's events to ``handler``, then acknowledges them.
    """

    def __init__(
        self,
        store: PostgresStore,
        *,
        check_references: bool = True,
        on_events: EventHandler | None = None,
    ) -> None:
        if not isinstance(store, PostgresStore):
            raise InvalidType(
                f"must be a PostgresStore, not {type(store).__name__}", path="$.store"
            )
        super().__init__(store, check_references=check_references, on_events=on_events)
