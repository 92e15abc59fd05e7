"""The in-memory store: the default adapter, thread-safe with snapshot isolation."""

from __future__ import annotations

import threading
from bisect import bisect_right
from collections.abc import Iterable
from typing import Any, TypeVar, cast

from crmcore._kernel._checks import type_name
from crmcore._kernel._events import DomainEvent
from crmcore._kernel._ids import Identifier
from crmcore.errors import (
    ConcurrencyConflict,
    DuplicateId,
    DuplicateKey,
    InvalidType,
    ValidationError,
)
from crmcore.repository._ports import Aggregate
from crmcore.repository._specs import DEFAULT_SPECS
from crmcore.repository._store import (
    AggregateSpec,
    Change,
    ChangeSet,
    Snapshot,
    Store,
    StoreUnitOfWork,
)

A = TypeVar("A", bound=Aggregate)


class _Table:
    """The stored aggregates of one spec, with their natural-key and secondary indexes."""

    __slots__ = ("index", "keys", "owned", "rows", "shared", "sorted_ids")

    def __init__(
        self,
        rows: dict[Identifier, Any] | None = None,
        keys: dict[tuple[str, str], Identifier] | None = None,
        sorted_ids: list[Identifier] | None = None,
        index: dict[tuple[str, str], set[Identifier]] | None = None,
    ) -> None:
        self.rows: dict[Identifier, Any] = {} if rows is None else rows
        self.keys: dict[tuple[str, str], Identifier] = {} if keys is None else keys
        # Ids in ascending order, built on demand and dropped when membership changes.
        self.sorted_ids = sorted_ids
        # (index, value) -> ids. A copy shares the id sets with the table it was
        # copied from; ``owned`` names the sets this table may change in place.
        self.index: dict[tuple[str, str], set[Identifier]] = {} if index is None else index
        self.owned: set[tuple[str, str]] = set()
        # True once an older state holds this table too: it is then never changed
        # in place again, since a snapshot may still read that older state.
        self.shared = False

    def ordered(self) -> list[Identifier]:
        ids = self.sorted_ids
        if ids is None:
            ids = self.sorted_ids = sorted(self.rows)
        return ids

    def copy(self) -> _Table:
        return _Table(dict(self.rows), dict(self.keys), self.sorted_ids, dict(self.index))

    def _own(self, pair: tuple[str, str]) -> set[Identifier]:
        bucket = self.index.get(pair)
        if bucket is None or pair not in self.owned:
            bucket = self.index[pair] = set() if bucket is None else set(bucket)
            self.owned.add(pair)
        return bucket

    def index_add(self, pair: tuple[str, str], ident: Identifier) -> None:
        self._own(pair).add(ident)

    def index_discard(self, pair: tuple[str, str], ident: Identifier) -> None:
        bucket = self.index.get(pair)
        if bucket is None or ident not in bucket:
            return
        if len(bucket) == 1:
            del self.index[pair]
            self.owned.discard(pair)
            return
        self._own(pair).discard(ident)


class _Generation:
    """One committed state. Never mutated while a snapshot reads it."""

    __slots__ = ("readers", "tables")

    def __init__(self, tables: dict[str, _Table]) -> None:
        self.tables = tables
        self.readers = 0


class _MemorySnapshot(Snapshot):
    __slots__ = ("_closed", "_generation", "_store")

    def __init__(self, store: InMemoryStore, generation: _Generation) -> None:
        self._store = store
        self._generation = generation
        self._closed = False

    def _table(self, spec: AggregateSpec[Any]) -> _Table:
        return self._generation.tables[spec.name]

    def get(self, spec: AggregateSpec[A], aggregate_id: Identifier) -> A | None:
        return cast("A | None", self._table(spec).rows.get(aggregate_id))

    def version(self, spec: AggregateSpec[A], aggregate_id: Identifier) -> int | None:
        found = self._table(spec).rows.get(aggregate_id)
        return None if found is None else cast("A", found).version

    def page(self, spec: AggregateSpec[A], *, after: Identifier | None, limit: int) -> list[A]:
        table = self._table(spec)
        ids = table.ordered()
        start = 0 if after is None else bisect_right(ids, after)
        return [table.rows[ident] for ident in ids[start : start + limit]]

    def count(self, spec: AggregateSpec[Any]) -> int:
        return len(self._table(spec).rows)

    def find(self, spec: AggregateSpec[Any], key: str, value: str) -> Identifier | None:
        return self._table(spec).keys.get((key, value))

    def find_all(self, spec: AggregateSpec[Any], index: str, value: str) -> list[Identifier]:
        return sorted(self._table(spec).index.get((index, value), ()))

    def close(self) -> None:
        if not self._closed:
            self._closed = True
            self._store.release(self._generation)


class InMemoryStore(Store):
    """Committed aggregates and the event outbox, kept in memory and shared by units.

    Thread-safe. A snapshot costs nothing: it pins the current committed
    state, which a commit then copies (the touched tables only) instead of
    changing it in place while anyone reads it. Commits are serialized by a
    lock and check every version before changing anything, so a failed commit
    applies nothing.

    >>> from crmcore.repository import InMemoryStore, InMemoryUnitOfWork
    >>> store = InMemoryStore()
    >>> first, second = InMemoryUnitOfWork(store), InMemoryUnitOfWork(store)
    >>> first.store is second.store
    True

    .. versionadded:: 0.1
    """

    def __init__(self, *, specs: Iterable[AggregateSpec[Any]] = DEFAULT_SPECS) -> None:
        checked = tuple(specs)
        for index, spec in enumerate(checked):
            if not isinstance(spec, AggregateSpec):
                raise InvalidType(
                    f"must be an AggregateSpec, not {type_name(spec)}", path=f"$.specs[{index}]"
                )
        types = [cls for s in checked for cls in {s.aggregate_type, *s.variants}]
        if len({s.name for s in checked}) != len(checked) or len(set(types)) != len(types):
            raise ValidationError(
                "must not repeat a name or an aggregate type", path="$.specs", code="duplicate"
            )
        self._specs = checked
        self._lock = threading.Lock()
        self._generation = _Generation({spec.name: _Table() for spec in checked})
        self._outbox: list[DomainEvent] = []

    @property
    def specs(self) -> tuple[AggregateSpec[Any], ...]:
        """The aggregate types this store keeps."""
        return self._specs

    def snapshot(self) -> Snapshot:
        """Pin the committed state as of now."""
        with self._lock:
            generation = self._generation
            generation.readers += 1
        return _MemorySnapshot(self, generation)

    def release(self, generation: _Generation) -> None:
        """Unpin a state pinned by :meth:`snapshot` (snapshots call this on close)."""
        with self._lock:
            generation.readers -= 1

    def commit(self, changes: ChangeSet) -> None:
        """Check every version and natural key, then apply everything (see :class:`Store`)."""
        with self._lock:
            self._check(self._generation, changes)
            generation = self._generation
            touched = {change.spec.name for change in changes.changes}
            if generation.readers:
                # A snapshot reads this state: build the next one, copying the
                # tables this commit changes and sharing the others.
                tables = {}
                for name, table in generation.tables.items():
                    if name in touched:
                        tables[name] = table.copy()
                    else:
                        table.shared = True
                        tables[name] = table
                generation = self._generation = _Generation(tables)
            else:
                for name in touched:
                    if generation.tables[name].shared:
                        generation.tables[name] = generation.tables[name].copy()
            self._apply(generation, changes)
            self._outbox.extend(changes.events)

    def take_events(self) -> list[DomainEvent]:
        """Remove and return every event of the outbox, oldest first."""
        with self._lock:
            events, self._outbox = self._outbox, []
        return events

    @staticmethod
    def _check(generation: _Generation, changes: ChangeSet) -> None:
        changed = {(c.spec.name, c.aggregate_id): c for c in changes.changes}
        claimed: dict[tuple[str, str, str], Identifier] = {}
        for change in changes.changes:
            spec, ident = change.spec, change.aggregate_id
            table = generation.tables.get(spec.name)
            if table is None:
                raise InvalidType("must be an aggregate type this store keeps", path="$.spec")
            current = table.rows.get(ident)
            actual = None if current is None else current.version
            if change.expected_version is None:
                if actual is not None:
                    raise DuplicateId(spec.kind, ident)
            elif actual != change.expected_version:
                raise ConcurrencyConflict(
                    spec.kind,
                    ident,
                    expected_version=change.expected_version,
                    actual_version=actual,
                )
            if change.aggregate is not None:
                _check_keys(table, change, changed, claimed)

    @staticmethod
    def _apply(generation: _Generation, changes: ChangeSet) -> None:
        # Every old row leaves its indexes first, so a key may move between
        # aggregates of one change set.
        for change in changes.changes:
            _unindex(generation.tables[change.spec.name], change)
        for change in changes.changes:
            if change.aggregate is not None:
                _index(generation.tables[change.spec.name], change)


def _unindex(table: _Table, change: Change[Any]) -> None:
    """Take the stored copy of a changed aggregate out of the indexes (and the rows, if removed)."""
    old = table.rows.get(change.aggregate_id)
    if old is None:
        return
    for pair in change.spec.keys_of(old):
        if table.keys.get(pair) == change.aggregate_id:
            del table.keys[pair]
    for pair in change.spec.index_values(old):
        table.index_discard(pair, change.aggregate_id)
    if change.aggregate is None:
        del table.rows[change.aggregate_id]
        table.sorted_ids = None


def _index(table: _Table, change: Change[Any]) -> None:
    """Store the new copy of a changed aggregate and index it."""
    if change.aggregate_id not in table.rows:
        table.sorted_ids = None
    table.rows[change.aggregate_id] = change.aggregate
    for pair in change.spec.keys_of(change.aggregate):
        table.keys[pair] = change.aggregate_id
    for pair in change.spec.index_values(change.aggregate):
        table.index_add(pair, change.aggregate_id)


def _check_keys(
    table: _Table,
    change: Change[Any],
    changed: dict[tuple[str, Identifier], Change[Any]],
    claimed: dict[tuple[str, str, str], Identifier],
) -> None:
    """No natural key value of ``change`` may belong to another aggregate afterwards."""
    spec, ident = change.spec, change.aggregate_id
    for key, value in sorted(spec.keys_of(change.aggregate)):
        other = claimed.setdefault((spec.name, key, value), ident)
        owner = table.keys.get((key, value))
        if other == ident and owner in (None, ident):
            continue
        if other == ident and owner is not None:
            replaced = changed.get((spec.name, owner))
            if replaced is not None and (
                replaced.aggregate is None or (key, value) not in spec.keys_of(replaced.aggregate)
            ):
                continue  # the owner lets the value go in this same change set
            other = owner
        raise DuplicateKey(spec.kind, key, aggregate_id=ident, owner_id=other)


class InMemoryUnitOfWork(StoreUnitOfWork):
    """The default unit of work: everything kept in memory.

    ``InMemoryUnitOfWork()`` keeps its own private :class:`InMemoryStore`;
    pass one store to several units (one per thread) to share data between
    them. See :class:`~crmcore.repository.UnitOfWork` for the contract.

    >>> from datetime import datetime, timezone
    >>> from crmcore import Customer, CustomerId, PersonName
    >>> at = datetime(2026, 1, 5, 9, 0, tzinfo=timezone.utc)
    >>> uow = InMemoryUnitOfWork()
    >>> with uow:
    ...     uow.customers.add(Customer.register(CustomerId("c-1"), name=PersonName("Ana"), at=at))
    ...     uow.commit()
    Customer(id=CustomerId('c-1'), kind='person', version=0, contact_points=0, consents=0, tags=0, pending_events=0)
    >>> with uow:
    ...     ana = uow.customers.get(CustomerId("c-1"))
    ...     ana = uow.customers.save(ana.add_tag("vip", at=at))
    ...     uow.commit()
    >>> ana.version, sorted(ana.tags)
    (1, ['vip'])
    >>> [event.type for event in uow.collect_events()]
    ['CustomerRegistered', 'CustomerTagAdded']

    .. versionadded:: 0.1
    """

    def __init__(self, store: InMemoryStore | None = None) -> None:
        if store is not None and not isinstance(store, InMemoryStore):
            raise InvalidType(f"must be an InMemoryStore, not {type_name(store)}", path="$.store")
        super().__init__(InMemoryStore() if store is None else store)
