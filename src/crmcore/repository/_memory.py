"""The in-memory store: the default adapter, thread-safe with snapshot isolation.

Every committed state of the store is immutable: a commit builds the next
state completely (new tables, new indexes, new outbox), sharing whatever it
does not change with the state before, and publishes it with one reference
assignment. An exception arriving anywhere in a commit (a ``KeyboardInterrupt``,
a signal handler raising) therefore leaves the old state untouched, and a
snapshot is nothing more than a reference to one state.
"""

from __future__ import annotations

import threading
from bisect import bisect_right
from collections.abc import Collection, Iterable, Iterator, Mapping
from itertools import chain
from typing import Any, Final, Generic, TypeVar, cast

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
from crmcore.repository._customers import UniquenessPolicy, uniqueness_of, with_uniqueness
from crmcore.repository._ports import Aggregate
from crmcore.repository._specs import DEFAULT_SPECS
from crmcore.repository._storage import (
    Change,
    ChangeSet,
    ReferenceLookup,
    Snapshot,
    Store,
    verify_references,
)
from crmcore.repository._store import AggregateSpec, EventHandler, StoreUnitOfWork

A = TypeVar("A", bound=Aggregate)
K = TypeVar("K")
V = TypeVar("V")

#: A map of at most this many entries is kept as one dict (one leaf).
_LEAF: Final = 48
#: A node of the trie has 2**_BITS children, chosen by _BITS bits of the key's hash.
_BITS: Final = 5
_MASK: Final = (1 << _BITS) - 1
#: Hash bits beyond this shift repeat the sign: a leaf this deep is never split.
_MAX_SHIFT: Final = 64 - _BITS
#: The value :meth:`_PMap.updated` takes to mean "remove this key".
_GONE: Final[Any] = object()

# A node is a leaf (a dict) or a tuple of 2**_BITS nodes; a key lives in the leaf its hash
# leads to, _BITS bits a level. Nodes are never changed once built: a change copies the path
# from the root to its leaf (a few tuples of 32 and one small dict) and shares everything
# else, so its cost grows with the depth (log32 of the size), not with the size.
_Node = dict[Any, Any] | tuple[Any, ...]


class _PMap(Generic[K, V]):
    """An immutable hash map (a hash trie with dict leaves). :meth:`updated` shares structure.

    Never changed in place once built, so any number of states and snapshots
    may share it, and building a new one can be interrupted at any point
    without harm. A change copies only the path to the leaf it touches.
    """

    __slots__ = ("_root", "_size")

    def __init__(self, root: _Node, size: int) -> None:
        self._root = root
        self._size = size

    def get(self, key: K) -> V | None:
        node: Any = self._root
        if type(node) is dict:
            return cast("V | None", node.get(key))
        code = hash(key)
        while True:
            node = node[code & _MASK]
            if type(node) is dict:
                return cast("V | None", node.get(key))
            code >>= _BITS

    def __contains__(self, key: object) -> bool:
        node: Any = self._root
        if type(node) is not dict:
            code = hash(key)
            while True:
                node = node[code & _MASK]
                if type(node) is dict:
                    break
                code >>= _BITS
        return key in node

    def __len__(self) -> int:
        return self._size

    def _leaves(self) -> list[dict[K, V]]:
        found: list[dict[K, V]] = []
        pending: list[_Node] = [self._root]
        while pending:
            node = pending.pop()
            if type(node) is dict:
                if node:
                    found.append(node)
            else:
                pending.extend(reversed(node))
        return found

    def __iter__(self) -> Iterator[K]:
        return chain.from_iterable(self._leaves())

    def items(self) -> Iterator[tuple[K, V]]:
        return chain.from_iterable(leaf.items() for leaf in self._leaves())

    def updated(self, changes: Mapping[K, V]) -> _PMap[K, V]:
        """A new map with ``changes`` applied (a value of :data:`_GONE` removes its key)."""
        if not changes:
            return self
        root = self._root
        if type(root) is dict and len(root) + len(changes) <= _LEAF:
            leaf = dict(root)
            for key, value in changes.items():
                if value is _GONE:
                    leaf.pop(key, None)
                else:
                    leaf[key] = value
            return _PMap(leaf, len(leaf))
        new_root, grown = _update(root, list(changes), changes, 0)
        size = self._size + grown
        if size <= _LEAF // 2 and type(new_root) is not dict:
            # Shrunk to a few entries: one dict again.
            new_root = dict(_PMap[K, V](new_root, size).items())
        return _PMap(new_root, size)


def _update(
    node: _Node, keys: list[Any], changes: Mapping[Any, Any], shift: int
) -> tuple[_Node, int]:
    """``node`` (``shift`` bits into the hashes) with the ``changes`` of ``keys`` applied.

    Returns the new node and the change in size. (Keys are grouped by their
    hash at each level: a str keeps its hash, so this costs little, and no
    object is made per key.)
    """
    if type(node) is dict:
        leaf = dict(node)
        before = len(leaf)
        for key in keys:
            value = changes[key]
            if value is _GONE:
                leaf.pop(key, None)
            else:
                leaf[key] = value
        grown = len(leaf) - before
        if len(leaf) > _LEAF and shift <= _MAX_SHIFT:
            return _split(leaf, shift), grown
        return leaf, grown
    groups: dict[int, list[Any]] = {}
    for key in keys:
        groups.setdefault((hash(key) >> shift) & _MASK, []).append(key)
    children = list(node)
    grown = 0
    for slot, group in groups.items():
        children[slot], change = _update(node[slot], group, changes, shift + _BITS)
        grown += change
    if (
        grown < 0
        and all(type(child) is dict for child in children)
        and sum(map(len, children)) <= _LEAF // 2
    ):
        # Shrunk to a few entries: one leaf again.
        return dict(chain.from_iterable(child.items() for child in children)), grown
    return tuple(children), grown


def _split(leaf: dict[Any, Any], shift: int) -> _Node:
    """A node of smaller leaves holding ``leaf``'s entries (recursively, while too many)."""
    if len(leaf) <= _LEAF or shift > _MAX_SHIFT:
        return leaf
    parts: list[dict[Any, Any]] = [{} for _ in range(1 << _BITS)]
    for key, value in leaf.items():
        parts[(hash(key) >> shift) & _MASK][key] = value
    return tuple(_split(part, shift + _BITS) for part in parts)


def _empty() -> _PMap[Any, Any]:
    return _PMap({}, 0)


#: A set of ids: id text to the id (so that it is found by text and given back as an id).
_IdSet = _PMap[str, Identifier]


class _Table:
    """The stored aggregates of one spec, with their indexes. Immutable once published.

    Every map is keyed by id *text* (``ident.value``): a str hashes and
    compares in C and keeps its hash, where an id would run Python code for
    both on every lookup.

    Attributes:
        rows: id text to aggregate.
        keys: ``(key, value)`` to the id holding the natural key value.
        index: ``(index, value)`` to the ids whose secondary index holds the value.
        refs: ``(field, text of the id referred to)`` to the ids whose reference field names it.
    """

    __slots__ = ("_ordered", "index", "keys", "refs", "rows")

    def __init__(
        self,
        rows: _PMap[str, Any],
        keys: _PMap[tuple[str, str], Identifier],
        index: _PMap[tuple[str, str], _IdSet],
        refs: _PMap[tuple[str, str], _IdSet],
        ordered: list[str] | None = None,
    ) -> None:
        self.rows = rows
        self.keys = keys
        self.index = index
        self.refs = refs
        # Id texts in ascending order, computed on first use (a cache of ``rows``).
        self._ordered = ordered

    @classmethod
    def empty(cls) -> _Table:
        return cls(_empty(), _empty(), _empty(), _empty())

    def ordered(self) -> list[str]:
        ids = self._ordered
        if ids is None:
            ids = self._ordered = sorted(self.rows)
        return ids

    def changed(self, spec: AggregateSpec[Any], changes: list[Change[Any]]) -> _Table:
        """The table after ``changes`` (already checked), built without touching this one."""
        edits = _Edits()
        rows = self.rows
        # Every old copy leaves the indexes first, so a key may move between
        # aggregates of one change set.
        for change in changes:
            old = rows.get(change.aggregate_id.value)
            if old is not None:
                edits.leave(spec, self, change.aggregate_id, old)
        for change in changes:
            edits.enter(spec, change.aggregate_id, change.aggregate)
        same_ids = all(
            change.aggregate is not None and change.aggregate_id.value in rows for change in changes
        )
        current = self.keys
        keys = {
            pair: ident
            for pair, ident in edits.keys.items()
            if (pair in current if ident is _GONE else current.get(pair) != ident)
        }
        return _Table(
            rows.updated(edits.rows),
            current.updated(keys),
            _updated_sets(self.index, edits.index),
            _updated_sets(self.refs, edits.refs),
            self._ordered if same_ids else None,
        )


class _Edits:
    """What a commit changes in one table: new values, or :data:`_GONE`, per map."""

    __slots__ = ("index", "keys", "refs", "rows")

    def __init__(self) -> None:
        self.rows: dict[str, Any] = {}
        self.keys: dict[tuple[str, str], Identifier] = {}
        self.index: dict[tuple[str, str], dict[str, Identifier]] = {}
        self.refs: dict[tuple[str, str], dict[str, Identifier]] = {}

    def leave(self, spec: AggregateSpec[Any], table: _Table, ident: Identifier, old: Any) -> None:
        """Take the stored copy of an aggregate out of the indexes."""
        text = ident.value
        for pair in spec.keys_of(old):
            if table.keys.get(pair) == ident:
                self.keys[pair] = _GONE
        for pair in spec.index_values(old):
            self.index.setdefault(pair, {})[text] = _GONE
        for field, _, target in spec.references_of(old):
            self.refs.setdefault((field, target.value), {})[text] = _GONE

    def enter(self, spec: AggregateSpec[Any], ident: Identifier, new: Any) -> None:
        """Store the new copy of an aggregate (``None``: remove it) and index it."""
        text = ident.value
        self.rows[text] = _GONE if new is None else new
        if new is None:
            return
        for pair in spec.keys_of(new):
            self.keys[pair] = ident
        for pair in spec.index_values(new):
            self.index.setdefault(pair, {})[text] = ident
        for field, _, target in spec.references_of(new):
            self.refs.setdefault((field, target.value), {})[text] = ident


def _updated_sets(
    sets: _PMap[K, _IdSet], changes: dict[K, dict[str, Identifier]]
) -> _PMap[K, _IdSet]:
    """``sets`` with each set changed by its entry of ``changes``; empty sets are dropped.

    Entries that change nothing (an aggregate leaving a set and entering it
    again, as most saves do) are left out, so an unchanged set is not copied.
    """
    replaced: dict[K, _IdSet] = {}
    for pair, members in changes.items():
        current = sets.get(pair)
        if current is None:
            added = {text: ident for text, ident in members.items() if ident is not _GONE}
            if added:
                replaced[pair] = _empty().updated(added)
            continue
        effective = {
            text: ident for text, ident in members.items() if (text in current) is (ident is _GONE)
        }
        if effective:
            new = current.updated(effective)
            replaced[pair] = new if len(new) else _GONE
    return sets.updated(replaced)


class _State:
    """One committed state of the store: tables and outbox. Never changed once published.

    Attributes:
        tables: spec name to table.
        outbox: position to event, for the events not acknowledged yet.
        positions: event id to the positions of the pending events with that id.
        head: no pending event has a position below this one.
        end: the position the next committed event gets.
    """

    __slots__ = ("end", "head", "outbox", "positions", "tables")

    def __init__(
        self,
        tables: Mapping[str, _Table],
        outbox: _PMap[int, DomainEvent],
        positions: _PMap[str, tuple[int, ...]],
        head: int,
        end: int,
    ) -> None:
        self.tables = tables
        self.outbox = outbox
        self.positions = positions
        self.head = head
        self.end = end


class _MemorySnapshot(Snapshot):
    __slots__ = ("_state",)

    def __init__(self, state: _State) -> None:
        self._state = state

    def _table(self, spec: AggregateSpec[Any]) -> _Table:
        return self._state.tables[spec.name]

    def get(self, spec: AggregateSpec[A], aggregate_id: Identifier) -> A | None:
        return cast("A | None", self._state.tables[spec.name].rows.get(aggregate_id.value))

    def version(self, spec: AggregateSpec[A], aggregate_id: Identifier) -> int | None:
        found = self._state.tables[spec.name].rows.get(aggregate_id.value)
        return None if found is None else cast("A", found).version

    def page(self, spec: AggregateSpec[A], *, after: Identifier | None, limit: int) -> list[A]:
        table = self._table(spec)
        ids = table.ordered()
        start = 0 if after is None else bisect_right(ids, after.value)
        return [cast("A", table.rows.get(text)) for text in ids[start : start + limit]]

    def count(self, spec: AggregateSpec[Any]) -> int:
        return len(self._table(spec).rows)

    def find(self, spec: AggregateSpec[Any], key: str, value: str) -> Identifier | None:
        return self._table(spec).keys.get((key, value))

    def find_all(self, spec: AggregateSpec[Any], index: str, value: str) -> list[Identifier]:
        found = self._table(spec).index.get((index, value))
        return [] if found is None else [ident for _, ident in sorted(found.items())]

    def close(self) -> None:
        """Nothing to release: the snapshot only refers to an immutable state."""


class _Lookup(ReferenceLookup):
    """Reference questions about the state a commit starts from."""

    def __init__(self, state: _State) -> None:
        self._state = state

    def exists(self, spec: AggregateSpec[Any], aggregate_id: Identifier) -> bool:
        return aggregate_id.value in self._state.tables[spec.name].rows

    def referrers(
        self, spec: AggregateSpec[Any], field: str, target_id: Identifier
    ) -> Iterable[Identifier]:
        found = self._state.tables[spec.name].refs.get((field, target_id.value))
        return () if found is None else [ident for _, ident in found.items()]


class InMemoryStore(Store):
    """Committed aggregates and the event outbox, kept in memory and shared by units.

    Thread-safe. Each committed state is immutable: a snapshot costs nothing
    (it refers to the current state), and a commit builds the next state
    (copying only the small parts it changes) and publishes it with one
    assignment. Commits are serialized by a lock and check every version,
    natural key and reference before building anything; a failed or
    interrupted commit applies nothing.

    Args:
        specs: the aggregate types to keep (crmcore's defaults).
        uniqueness: whether customers may share an email address or a phone
            number (:class:`~crmcore.repository.UniquenessPolicy`); ``None``
            keeps the customer registration of ``specs`` (by default both
            are unique).

    >>> from crmcore.repository import InMemoryStore, InMemoryUnitOfWork, UniquenessPolicy
    >>> store = InMemoryStore()
    >>> first, second = InMemoryUnitOfWork(store), InMemoryUnitOfWork(store)
    >>> first.store is second.store
    True
    >>> InMemoryStore(uniqueness=UniquenessPolicy(email="shared")).uniqueness
    UniquenessPolicy(email='shared', phone='unique')

    .. versionadded:: 0.1
    """

    def __init__(
        self,
        *,
        specs: Iterable[AggregateSpec[Any]] = DEFAULT_SPECS,
        uniqueness: UniquenessPolicy | None = None,
    ) -> None:
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
        checked = with_uniqueness(checked, uniqueness)
        self._specs = checked
        self._lock = threading.Lock()
        self._state = _State({s.name: _Table.empty() for s in checked}, _empty(), _empty(), 0, 0)

    @property
    def specs(self) -> tuple[AggregateSpec[Any], ...]:
        """The aggregate types this store keeps."""
        return self._specs

    @property
    def uniqueness(self) -> UniquenessPolicy | None:
        """Whether customers may share email addresses and phone numbers (``None``: no customers)."""
        return uniqueness_of(self._specs)

    def snapshot(self) -> Snapshot:
        """A read view of the committed state as of now."""
        return _MemorySnapshot(self._state)

    def commit(self, changes: ChangeSet) -> None:
        """Check everything, build the next state, publish it (see :class:`Store`)."""
        with self._lock:
            state = self._state
            _check(state, changes)
            verify_references(self._specs, changes, _Lookup(state))
            grouped: dict[str, list[Change[Any]]] = {}
            for change in changes.changes:
                grouped.setdefault(change.spec.name, []).append(change)
            tables = dict(state.tables)
            for name, group in grouped.items():
                tables[name] = state.tables[name].changed(group[0].spec, group)
            outbox: dict[int, DomainEvent] = {}
            positions: dict[str, tuple[int, ...]] = {}
            for position, event in enumerate(changes.events, start=state.end):
                outbox[position] = event
                event_id = event.event_id
                known = positions.get(event_id) or state.positions.get(event_id) or ()
                positions[event_id] = (*known, position)
            following = _State(
                tables,
                state.outbox.updated(outbox),
                state.positions.updated(positions),
                state.head,
                state.end + len(changes.events),
            )
            self._state = following  # the one step that makes the commit visible

    def pending_events(self, *, limit: int | None = None) -> list[DomainEvent]:
        """The unacknowledged events, oldest first, left in the outbox (see :class:`Store`)."""
        state = self._state
        wanted = len(state.outbox) if limit is None else min(limit, len(state.outbox))
        found: list[DomainEvent] = []
        position = state.head
        while len(found) < wanted and position < state.end:
            event = state.outbox.get(position)
            if event is not None:
                found.append(event)
            position += 1
        return found

    def acknowledge_events(self, event_ids: Collection[str]) -> int:
        """Remove the pending events with these ids; return how many (see :class:`Store`)."""
        with self._lock:
            state = self._state
            gone: dict[int, DomainEvent] = {}
            ids: dict[str, tuple[int, ...]] = {}
            for event_id in event_ids:
                found = state.positions.get(event_id)
                if found is not None:
                    ids[event_id] = _GONE
                    for position in found:
                        gone[position] = _GONE
            if not gone:
                return 0
            outbox = state.outbox.updated(gone)
            head = state.head
            while head < state.end and head not in outbox:
                head += 1
            following = _State(state.tables, outbox, state.positions.updated(ids), head, state.end)
            self._state = following  # the one step that makes the acknowledgement visible
        return len(gone)


def _check(state: _State, changes: ChangeSet) -> None:
    """Refuse the change set if a version, an id or a natural key does not fit the state."""
    changed = {(c.spec.name, c.aggregate_id.value): c for c in changes.changes}
    claimed: dict[tuple[str, str, str], Identifier] = {}
    for change in changes.changes:
        spec, ident = change.spec, change.aggregate_id
        table = state.tables.get(spec.name)
        if table is None:
            raise InvalidType("must be an aggregate type this store keeps", path="$.spec")
        current = table.rows.get(ident.value)
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


def _check_keys(
    table: _Table,
    change: Change[Any],
    changed: dict[tuple[str, str], Change[Any]],
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
            replaced = changed.get((spec.name, owner.value))
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
    them. ``check_references=False`` lets the unit commit aggregates naming
    customers that are not stored (yet), for imports; ``on_events=handler``
    hands each commit's events to ``handler`` and then acknowledges them (see
    :class:`~crmcore.repository.StoreUnitOfWork`), so a bulk import does not
    pile them up in the outbox. See :class:`~crmcore.repository.UnitOfWork`
    for the contract.

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
    >>> events = uow.collect_events()
    >>> [event.event_id for event in events]
    ['customer:c-1#1', 'customer:c-1#2']
    >>> uow.acknowledge(events)
    2
    >>> uow.collect_events()
    []

    .. versionadded:: 0.1
    """

    def __init__(
        self,
        store: InMemoryStore | None = None,
        *,
        check_references: bool = True,
        on_events: EventHandler | None = None,
    ) -> None:
        if store is not None and not isinstance(store, InMemoryStore):
            raise InvalidType(f"must be an InMemoryStore, not {type_name(store)}", path="$.store")
        super().__init__(
            InMemoryStore() if store is None else store,
            check_references=check_references,
            on_events=on_events,
        )
