"""The generic unit of work and repositories, over a pluggable :class:`Store`.

A storage backend implements two small interfaces: :class:`Snapshot` (a
consistent read view) and :class:`Store` (open a snapshot, apply a
:class:`ChangeSet` atomically with optimistic version and reference checks,
keep the events of committed change sets in an outbox until they are
acknowledged). :class:`StoreUnitOfWork` does everything else the contract asks
for, the same way for every backend: the unit's private view of its own
changes, version checks, natural-key uniqueness, ordering of events, and
refusing use outside the ``with`` block.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Iterator, Mapping
from types import TracebackType
from typing import Any, Final, Generic, Self, TypeVar, cast

import attrs

from crmcore._kernel._aggregate import Aggregate as KernelAggregate
from crmcore._kernel._checks import type_name
from crmcore._kernel._events import DomainEvent
from crmcore._kernel._ids import Identifier
from crmcore.errors import (
    ConcurrencyConflict,
    DuplicateId,
    DuplicateKey,
    InvalidType,
    NotFound,
    UnitOfWorkError,
    ValidationError,
)
from crmcore.repository._ports import (
    Aggregate,
    Repository,
)
from crmcore.repository._storage import PAGE_SIZE, Change, ChangeSet, Snapshot, Store
from crmcore.repository._unit_repositories import UnitOfWorkRepositories
from crmcore.serialization import from_dict, to_dict

A = TypeVar("A", bound=Aggregate)


#: What :class:`StoreUnitOfWork` hands each commit's events to (see its ``on_events``).
EventHandler = Callable[[tuple[DomainEvent, ...]], object]

_NAME = re.compile(r"[a-z][a-z0-9_]{0,39}")
_OUTSIDE = "a unit of work's repositories are usable only inside its `with` block"


class _Entry:
    """One aggregate changed by a unit: what it expects stored, what it stores."""

    __slots__ = ("aggregate", "aggregate_id", "expected_version", "spec")

    def __init__(
        self,
        spec: AggregateSpec[Any],
        aggregate_id: Identifier,
        expected_version: int | None,
        aggregate: Any,
    ) -> None:
        self.spec = spec
        self.aggregate_id = aggregate_id
        self.expected_version = expected_version
        self.aggregate = aggregate


class _UnitState:
    """The mutable state of one unit of work, shared with its repositories."""

    __slots__ = ("active", "claimed", "entries", "events", "snapshot", "store")

    def __init__(self, store: Store) -> None:
        self.store = store
        self.active = False
        self.snapshot: Snapshot | None = None
        # (spec name, id) -> entry, in the order aggregates were first touched.
        self.entries: dict[tuple[str, Identifier], _Entry] = {}
        # (spec name, key, value) -> id, for the natural keys the unit's changes hold.
        self.claimed: dict[tuple[str, str, str], Identifier] = {}
        self.events: list[DomainEvent] = []

    def view(self) -> Snapshot:
        if not self.active:
            raise UnitOfWorkError(_OUTSIDE)
        if self.snapshot is None:
            self.snapshot = self.store.snapshot()
        return self.snapshot

    def release(self) -> None:
        snapshot, self.snapshot = self.snapshot, None
        if snapshot is not None:
            snapshot.close()

    def reset(self) -> None:
        self.entries.clear()
        self.claimed.clear()
        self.events.clear()


class StoreRepository(Repository[A]):
    """The repository :class:`StoreUnitOfWork` gives out for each aggregate type.

    Reads go to the unit's snapshot, overlaid with the unit's own changes;
    writes are kept in the unit until it commits. Subclass it to add typed
    lookups by natural key (see :meth:`find_by_key`) and name the subclass in
    the :class:`AggregateSpec`.

    .. versionadded:: 0.1
    """

    def __init__(self, unit: _UnitState, spec: AggregateSpec[A]) -> None:
        self._unit = unit
        self._spec = spec
        self._name = spec.name

    @property
    def spec(self) -> AggregateSpec[A]:
        """How the aggregates of this repository are stored."""
        return self._spec

    # -- checks --------------------------------------------------------------------------

    def _aggregate(self, aggregate: object) -> A:
        if not self._spec.holds(aggregate):
            raise InvalidType(
                f"must be a {self._spec.type_names}, not {type_name(aggregate)}",
                path="$.aggregate",
            )
        return cast("A", aggregate)

    def _id(self, aggregate_id: object) -> Identifier:
        if not isinstance(aggregate_id, self._spec.id_type):
            raise InvalidType(
                f"must be a {self._spec.id_type.__name__}, not {type_name(aggregate_id)}",
                path="$.aggregate_id",
            )
        return aggregate_id

    # -- the unit's view -----------------------------------------------------------------

    def _current(self, snapshot: Snapshot, aggregate_id: Identifier) -> A | None:
        entry = self._unit.entries.get((self._name, aggregate_id))
        if entry is not None:
            return cast("A | None", entry.aggregate)
        return snapshot.get(self._spec, aggregate_id)

    def _version(self, snapshot: Snapshot, aggregate_id: Identifier) -> int | None:
        entry = self._unit.entries.get((self._name, aggregate_id))
        if entry is not None:
            return None if entry.aggregate is None else cast("A", entry.aggregate).version
        return snapshot.version(self._spec, aggregate_id)

    def _owner(self, snapshot: Snapshot, key: str, value: str) -> Identifier | None:
        owner = self._unit.claimed.get((self._name, key, value))
        if owner is not None:
            return owner
        owner = snapshot.find(self._spec, key, value)
        if owner is not None and (self._name, owner) in self._unit.entries:
            # Changed in this unit, and the change no longer holds the value
            # (if it did, the value would be in ``claimed``).
            return None
        return owner

    def _check_keys(self, snapshot: Snapshot, aggregate: A) -> None:
        for key, value in sorted(self._spec.keys_of(aggregate)):
            owner = self._owner(snapshot, key, value)
            if owner is not None and owner != aggregate.id:
                raise DuplicateKey(self._spec.kind, key, aggregate_id=aggregate.id, owner_id=owner)

    def _record(self, aggregate_id: Identifier, expected: int | None, new: A | None) -> None:
        unit = self._unit
        slot = (self._name, aggregate_id)
        entry = unit.entries.get(slot)
        if entry is not None and entry.aggregate is not None:
            for key, value in self._spec.keys_of(entry.aggregate):
                if unit.claimed.get((self._name, key, value)) == aggregate_id:
                    del unit.claimed[self._name, key, value]
        if entry is None:
            entry = unit.entries[slot] = _Entry(self._spec, aggregate_id, expected, new)
        else:
            entry.aggregate = new
        if new is not None:
            for key, value in self._spec.keys_of(new):
                unit.claimed[self._name, key, value] = aggregate_id
        elif entry.expected_version is None:
            del unit.entries[slot]  # added and removed in this unit: nothing to store

    def find_by_key(self, key: str, value: str) -> A | None:
        """The aggregate holding a natural key value (already normalized), or ``None``.

        Raises:
            ValidationError: ``key`` is not a natural key of this aggregate type.
        """
        snapshot = self._unit.view()
        if key not in self._spec.key_names:
            raise ValidationError(
                f"must be a natural key of a {self._spec.kind}", path="$.key", code="choice"
            )
        owner = self._owner(snapshot, key, value)
        return None if owner is None else self._current(snapshot, owner)

    def find_by_index(self, index: str, value: str) -> list[A]:
        """Every aggregate whose secondary ``index`` holds ``value``, in ascending id order.

        Secondary indexes (see :attr:`AggregateSpec.indexes`) are not unique:
        many orders share a customer. The answer is what this unit sees: the
        store's snapshot overlaid with the unit's own adds, saves and removes.

        Raises:
            ValidationError: ``index`` is not an index of this aggregate type.
            InvalidType: ``value`` is not a str.
        """
        snapshot = self._unit.view()
        if index not in self._spec.index_names:
            raise ValidationError(
                f"must be an index of a {self._spec.kind}", path="$.index", code="choice"
            )
        if not isinstance(value, str):
            raise InvalidType(f"must be a str, not {type_name(value)}", path="$.value")
        pair = (index, value)
        found = set(snapshot.find_all(self._spec, index, value))
        for (name, ident), entry in self._unit.entries.items():
            if name != self._name:
                continue
            if entry.aggregate is not None and pair in self._spec.index_values(entry.aggregate):
                found.add(ident)
            else:
                found.discard(ident)
        result: list[A] = []
        for ident in sorted(found):
            current = self._current(snapshot, ident)
            if current is not None:
                result.append(current)
        return result

    # -- the port ------------------------------------------------------------------------

    def add(self, aggregate: A) -> A:
        """Store a new aggregate at the version it carries (see :class:`Repository`)."""
        snapshot = self._unit.view()
        checked = self._aggregate(aggregate)
        if self._version(snapshot, checked.id) is not None:
            raise DuplicateId(self._spec.kind, checked.id)
        self._check_keys(snapshot, checked)
        stored = self._spec.stored(checked, checked.version)
        entry = self._unit.entries.get((self._name, checked.id))
        self._record(checked.id, None if entry is None else entry.expected_version, stored)
        self._unit.events.extend(checked.pending_events)
        return stored

    def get(self, aggregate_id: Identifier) -> A:
        """The aggregate with this id, as this unit sees it (see :class:`Repository`)."""
        snapshot = self._unit.view()
        found = self._current(snapshot, self._id(aggregate_id))
        if found is None:
            raise NotFound(self._spec.kind, aggregate_id)
        return found

    def save(self, aggregate: A) -> A:
        """Store a changed aggregate at version + 1 (see :class:`Repository`)."""
        snapshot = self._unit.view()
        checked = self._aggregate(aggregate)
        current = self._version(snapshot, checked.id)
        if current is None:
            raise NotFound(self._spec.kind, checked.id)
        if current != checked.version:
            raise ConcurrencyConflict(
                self._spec.kind,
                checked.id,
                expected_version=checked.version,
                actual_version=current,
            )
        self._check_keys(snapshot, checked)
        stored = self._spec.stored(checked, checked.version + 1)
        entry = self._unit.entries.get((self._name, checked.id))
        self._record(checked.id, current if entry is None else entry.expected_version, stored)
        self._unit.events.extend(checked.pending_events)
        return stored

    def remove(self, aggregate_id: Identifier) -> None:
        """Delete the aggregate with this id (see :class:`Repository`)."""
        snapshot = self._unit.view()
        checked = self._id(aggregate_id)
        current = self._version(snapshot, checked)
        if current is None:
            raise NotFound(self._spec.kind, checked)
        entry = self._unit.entries.get((self._name, checked))
        self._record(checked, current if entry is None else entry.expected_version, None)

    def __contains__(self, aggregate_id: object) -> bool:
        snapshot = self._unit.view()
        return self._version(snapshot, self._id(aggregate_id)) is not None

    def count(self) -> int:
        """How many aggregates this unit sees."""
        snapshot = self._unit.view()
        delta = 0
        for (name, _), entry in self._unit.entries.items():
            if name == self._name:
                delta += (entry.aggregate is not None) - (entry.expected_version is not None)
        return snapshot.count(self._spec) + delta

    def __iter__(self) -> Iterator[A]:
        """Every aggregate this unit sees, in ascending id order.

        The iterator reads the store a page at a time and shows the unit's
        changes as they are when each aggregate is reached. It raises
        :class:`~crmcore.errors.UnitOfWorkError` if used after the block ends.
        """
        self._unit.view()
        return self._iterate()

    def _iterate(self) -> Iterator[A]:
        after: Identifier | None = None
        while True:
            page = self._unit.view().page(self._spec, after=after, limit=PAGE_SIZE)
            last = len(page) < PAGE_SIZE
            upper = None if last else page[-1].id
            changed = [
                ident
                for name, ident in list(self._unit.entries)
                if name == self._name
                and (after is None or ident > after)
                and (upper is None or ident <= upper)
            ]
            if not changed:
                # Nothing of this unit's own falls in the page: the store's page is the
                # answer, already in ascending id order (the Snapshot contract).
                for stored in page:
                    self._unit.view()
                    yield stored
                if last:
                    return
                after = upper
                continue
            from_page = {aggregate.id: aggregate for aggregate in page}
            for ident in sorted(from_page.keys() | set(changed)):
                self._unit.view()
                entry = self._unit.entries.get((self._name, ident))
                found = from_page.get(ident) if entry is None else entry.aggregate
                if found is not None:
                    yield found
            if last:
                return
            after = upper


def _extractors(
    value: object, path: str, code: str
) -> tuple[tuple[str, Callable[[Any], Iterable[str]]], ...]:
    items = value.items() if isinstance(value, Mapping) else value
    if isinstance(items, (str, bytes)) or not isinstance(items, Iterable):
        raise InvalidType(f"must be a mapping, not {type_name(value)}", path=path)
    pairs = []
    for item in items:
        if not (isinstance(item, tuple) and len(item) == 2):
            raise ValidationError(
                "must map lower-case names to functions of the aggregate", path=path, code=code
            )
        key, extract = item
        if not isinstance(key, str) or _NAME.fullmatch(key) is None or not callable(extract):
            raise ValidationError(
                "must map lower-case names to functions of the aggregate", path=path, code=code
            )
        pairs.append((key, extract))
    return tuple(pairs)


def _key_pairs(value: object) -> tuple[tuple[str, Callable[[Any], Iterable[str]]], ...]:
    return _extractors(value, "$.natural_keys", "natural_keys")


def _index_pairs(value: object) -> tuple[tuple[str, Callable[[Any], Iterable[str]]], ...]:
    return _extractors(value, "$.indexes", "indexes")


def _reference_pairs(value: object) -> tuple[tuple[str, str], ...]:
    items = value.items() if isinstance(value, Mapping) else value
    if isinstance(items, (str, bytes)) or not isinstance(items, Iterable):
        raise InvalidType(f"must be a mapping, not {type_name(value)}", path="$.references")
    pairs = []
    for item in items:
        if not (
            isinstance(item, tuple)
            and len(item) == 2
            and all(isinstance(part, str) and _NAME.fullmatch(part) for part in item)
        ):
            raise ValidationError(
                "must map field names to the names of the specs they refer to",
                path="$.references",
                code="references",
            )
        pairs.append((item[0], item[1]))
    return tuple(pairs)


def _variant_types(value: object) -> tuple[type, ...]:
    if isinstance(value, (str, bytes)) or not isinstance(value, Iterable):
        raise InvalidType(
            f"must be a sequence of classes, not {type_name(value)}", path="$.variants"
        )
    found = tuple(value)
    for index, item in enumerate(found):
        if not (isinstance(item, type) and attrs.has(item)):
            raise InvalidType("must be an attrs class", path=f"$.variants[{index}]")
    return found


def _spec_name(_: object, __: attrs.Attribute[Any], value: object) -> None:
    if not isinstance(value, str) or _NAME.fullmatch(value) is None:
        raise ValidationError(
            "must be a lower-case name of letters, digits and _ (at most 40)",
            path="$.name",
            code="name",
        )


def _spec_aggregate_type(_: object, __: attrs.Attribute[Any], value: object) -> None:
    if not (isinstance(value, type) and attrs.has(value)):
        raise InvalidType("must be an attrs class", path="$.aggregate_type")
    names = {field.name for field in attrs.fields(value)}
    if not {"id", "version", "pending_events"} <= names:
        raise ValidationError(
            "must have the fields id, version and pending_events",
            path="$.aggregate_type",
            code="aggregate_type",
        )


def _spec_id_type(_: object, __: attrs.Attribute[Any], value: object) -> None:
    if not (isinstance(value, type) and issubclass(value, Identifier)):
        raise InvalidType("must be an Identifier subclass", path="$.id_type")


def _spec_repository_type(_: object, __: attrs.Attribute[Any], value: object) -> None:
    if not (isinstance(value, type) and issubclass(value, StoreRepository)):
        raise InvalidType("must be a StoreRepository subclass", path="$.repository_type")


@attrs.frozen(slots=True)
class AggregateSpec(Generic[A]):
    """How one aggregate type is stored: the registration of a repository.

    A :class:`Store` is built from a sequence of specs, and every
    :class:`StoreUnitOfWork` over it has one repository per spec. Adding an
    aggregate type to the library (orders, cases, ...) means one spec here and
    one property on :class:`UnitOfWork`; stores need no change.

    Attributes:
        name: the repository's name, also usable as a table name (``"customers"``).
            The unit of work's property of the same name returns the repository.
        kind: the aggregate kind in messages (``"customer"``).
        aggregate_type: the aggregate class (or the base class of ``variants``).
        id_type: the class of its ids.
        natural_keys: key name to a function returning the aggregate's values
            of that key (already normalized). Each value belongs to at most
            one aggregate.
        repository_type: the repository class the unit of work gives out.
        indexes: secondary index name to a function returning the
            aggregate's values of that index (``{"customer": ...}``). Unlike
            natural keys, many aggregates may share a value.
        variants: the concrete classes kept under one spec when
            ``aggregate_type`` is their common base (the three survey
            responses share one repository and one id space); empty for a
            spec of one class. Documents of a spec with variants carry the
            class name as ``"type"`` (see :meth:`to_document`).
        references: field name to the :attr:`name` of the spec whose
            aggregates the field names (``{"customer_id": "customers"}``). The
            field holds an id of that spec, or ``None`` for no reference. A
            unit of work that checks references refuses, at commit, an
            aggregate naming an id that is not stored, and the removal of an
            aggregate still named (see :class:`~crmcore.errors.UnknownReference`).

    >>> from crmcore.repository import CUSTOMERS, ORDERS
    >>> CUSTOMERS.name, CUSTOMERS.kind, CUSTOMERS.key_names
    ('customers', 'customer', ('email', 'phone'))
    >>> ORDERS.index_names, ORDERS.references
    (('customer', 'status', 'payment_status', 'fulfilment_status'), (('customer_id', 'customers'),))

    .. versionadded:: 0.1
    """

    name: str = attrs.field(validator=_spec_name)
    kind: str = attrs.field()
    aggregate_type: type[A] = attrs.field(validator=_spec_aggregate_type)
    id_type: type[Identifier] = attrs.field(validator=_spec_id_type)
    natural_keys: tuple[tuple[str, Callable[[A], Iterable[str]]], ...] = attrs.field(
        default=(), converter=_key_pairs
    )
    repository_type: type[StoreRepository[Any]] = attrs.field(
        default=StoreRepository, validator=_spec_repository_type
    )
    indexes: tuple[tuple[str, Callable[[A], Iterable[str]]], ...] = attrs.field(
        default=(), converter=_index_pairs
    )
    variants: tuple[type, ...] = attrs.field(default=(), converter=_variant_types)
    references: tuple[tuple[str, str], ...] = attrs.field(default=(), converter=_reference_pairs)
    # How :meth:`stored` copies each class built on crmcore's aggregate base (see _stored_copy).
    _copies: Mapping[type, _CopyPlan] = attrs.field(init=False, eq=False, repr=False, factory=dict)

    def __attrs_post_init__(self) -> None:
        copies = {cls: _copy_plan(cls) for cls in self.aggregate_types if _copies_trusted(cls)}
        object.__setattr__(self, "_copies", copies)
        names = [*self.key_names, *self.index_names]
        if len(set(names)) != len(names):
            raise ValidationError(
                "must not repeat a name among natural keys and indexes",
                path="$.indexes",
                code="duplicate",
            )
        seen: set[str] = set()
        for position, variant in enumerate(self.variants):
            path = f"$.variants[{position}]"
            if not issubclass(variant, self.aggregate_type):
                raise InvalidType(
                    f"must be a subclass of {self.aggregate_type.__name__}", path=path
                )
            if variant.__name__ in seen:
                raise ValidationError("must not repeat a class name", path=path, code="duplicate")
            seen.add(variant.__name__)
        fields = [field for field, _ in self.references]
        if len(set(fields)) != len(fields):
            raise ValidationError("must not repeat a field", path="$.references", code="duplicate")
        for field in fields:
            for cls in self.aggregate_types:
                if field not in attrs.fields_dict(cls):
                    raise ValidationError(
                        f"must name fields of {cls.__name__}",
                        path="$.references",
                        code="references",
                    )

    @property
    def key_names(self) -> tuple[str, ...]:
        """The names of the natural keys."""
        return tuple(key for key, _ in self.natural_keys)

    @property
    def index_names(self) -> tuple[str, ...]:
        """The names of the secondary (non-unique) indexes."""
        return tuple(index for index, _ in self.indexes)

    @property
    def aggregate_types(self) -> tuple[type, ...]:
        """The classes an aggregate of this spec may be: the variants, or the aggregate type."""
        return self.variants or (self.aggregate_type,)

    @property
    def type_names(self) -> str:
        """The class names of :attr:`aggregate_types`, for messages (``"Customer"``)."""
        return " or ".join(cls.__name__ for cls in self.aggregate_types)

    def holds(self, aggregate: object) -> bool:
        """Whether ``aggregate`` is of this spec's type (exactly a variant, for variants)."""
        if self.variants:
            return type(aggregate) in self.variants
        return isinstance(aggregate, self.aggregate_type)

    def keys_of(self, aggregate: A) -> frozenset[tuple[str, str]]:
        """Every ``(key, value)`` pair the aggregate holds."""
        return frozenset(
            (key, value) for key, extract in self.natural_keys for value in extract(aggregate)
        )

    def index_values(self, aggregate: A) -> frozenset[tuple[str, str]]:
        """Every ``(index, value)`` pair of the aggregate's secondary indexes."""
        return frozenset(
            (index, value) for index, extract in self.indexes for value in extract(aggregate)
        )

    def references_of(self, aggregate: A) -> frozenset[tuple[str, str, Identifier]]:
        """Every ``(field, spec name, id)`` the aggregate refers to (fields holding ``None`` left out).

        Raises:
            InvalidType: a reference field holds something that is not an id.
        """
        found = set()
        for field, target in self.references:
            value = getattr(aggregate, field)
            if value is None:
                continue
            if not isinstance(value, Identifier):
                raise InvalidType(
                    f"must be an id or None, not {type_name(value)}", path=f"$.{field}"
                )
            found.add((field, target, value))
        return frozenset(found)

    def to_document(self, aggregate: A) -> dict[str, Any]:
        """The aggregate as a JSON-ready document, for stores that keep documents.

        :func:`crmcore.serialization.to_dict`, plus the class name as
        ``"type"`` for a spec with variants.

        Raises:
            InvalidType: the aggregate is not of this spec's type.
        """
        if not self.holds(aggregate):
            raise InvalidType(
                f"must be a {self.type_names}, not {type_name(aggregate)}", path="$.aggregate"
            )
        document = to_dict(aggregate)
        if self.variants:
            return {"type": type(aggregate).__name__, **document}
        return document

    def from_document(self, data: object) -> A:
        """Rebuild an aggregate from a document made by :meth:`to_document`.

        Raises:
            ValidationError: the document is malformed (every fault listed,
                with paths), or names no variant of this spec (``$.type``).
            SchemaVersionError: an unsupported ``schema_version``.
        """
        if not self.variants:
            return from_dict(self.aggregate_type, data)
        if not isinstance(data, dict):
            raise InvalidType(f"must be an object, not {type_name(data)}", path="$")
        tag = data.get("type")
        chosen = next((v for v in self.variants if v.__name__ == tag), None)
        if chosen is None:
            raise ValidationError(
                f"must name one of: {', '.join(v.__name__ for v in self.variants)}",
                path="$.type",
                code="aggregate_type",
            )
        body = {key: value for key, value in data.items() if key != "type"}
        return cast("A", from_dict(chosen, body))

    def stored(self, aggregate: A, version: int) -> A:
        """The copy a store keeps: at ``version``, without pending events.

        Raises:
            ValidationError: ``version`` is beyond what the aggregate may reach.
        """
        if aggregate.version == version and not aggregate.pending_events:
            return aggregate
        plan = self._copies.get(type(aggregate))
        if plan is None:
            changed: A = attrs.evolve(cast("Any", aggregate), version=version, pending_events=())
            return changed
        return cast("A", _stored_copy(aggregate, version, plan))


# The version field (for its check) and the names of every field of a class, for _stored_copy.
_CopyPlan = tuple["attrs.Attribute[Any]", tuple[str, ...]]


def _copies_trusted(cls: type) -> bool:
    """Whether :meth:`AggregateSpec.stored` may copy ``cls`` without its checks.

    Only classes on crmcore's aggregate base, whose rules are known, with
    slots only (every field of an instance is in a slot).
    """
    return issubclass(cls, KernelAggregate) and cls.__dictoffset__ == 0


def _copy_plan(cls: type) -> _CopyPlan:
    fields = attrs.fields(cls)
    return attrs.fields_dict(cls)["version"], tuple(field.name for field in fields)


_set: Final = object.__setattr__


def _stored_copy(aggregate: Any, version: int, plan: _CopyPlan) -> Any:
    """``aggregate`` at ``version`` without pending events, its other checks not run again.

    Every rule of crmcore's aggregates holds for the copy because it holds for
    the original: the aggregate is immutable, no rule reads its version, and
    dropping its pending events leaves no event to check against it. Only the
    new version needs its own check. ``attrs.evolve`` would run every check of
    the aggregate again, most of the cost of adding or saving it. Like any
    changed copy, the copy starts without the derived values the original
    may keep (they are computed again when asked for).
    """
    field, names = plan
    if field.validator is not None:
        field.validator(aggregate, field, version)
    copy = object.__new__(type(aggregate))
    for name in names:
        _set(copy, name, getattr(aggregate, name))
    _set(copy, "version", version)
    _set(copy, "pending_events", ())
    return copy


class StoreUnitOfWork(UnitOfWorkRepositories):
    """The unit of work over any :class:`Store`; see :class:`UnitOfWork` for the contract.

    ``commit`` sends the unit's changes to the store as one :class:`ChangeSet`;
    the store checks the versions (and, unless ``check_references`` is false,
    the references between aggregates) and applies all or nothing.

    Args:
        store: the storage this unit reads and commits to.
        check_references: refuse at commit, with
            :class:`~crmcore.errors.UnknownReference`, an aggregate naming an
            aggregate that is not stored (an order of an unknown customer) and
            the removal of an aggregate still named. Turn it off only for
            imports that load aggregates before those they name.
        on_events: a function to hand each commit's events to, for bulk
            work: after a commit that recorded events, the unit calls
            ``on_events(events)`` (a tuple, oldest first) and, when it
            returns, acknowledges them, so they do not pile up in the outbox.
            Delivery stays at least once: the events join the outbox in the
            commit's atomic step as always, so if the handler or the
            acknowledgement raises (the exception propagates from ``commit``;
            the changes stay committed) or the process dies before they are
            done, the events wait there for :meth:`collect_events`. A unit collecting events from the same
            store meanwhile may see them too. ``None`` (the default): events
            wait in the outbox until collected and acknowledged.

    Raises:
        InvalidType: ``store`` is not a :class:`Store`, ``check_references``
            not a bool, or ``on_events`` neither callable nor ``None``.
        ValidationError: a spec of the store refers to a spec it does not keep
            (allowed when ``check_references`` is false).

    .. versionadded:: 0.1
    """

    def __init__(
        self,
        store: Store,
        *,
        check_references: bool = True,
        on_events: EventHandler | None = None,
    ) -> None:
        if not isinstance(store, Store):
            raise InvalidType(f"must be a Store, not {type_name(store)}", path="$.store")
        if not isinstance(check_references, bool):
            raise InvalidType(
                f"must be a bool, not {type_name(check_references)}", path="$.check_references"
            )
        if on_events is not None and not callable(on_events):
            raise InvalidType(
                f"must be callable or None, not {type_name(on_events)}", path="$.on_events"
            )
        names = {spec.name for spec in store.specs}
        for position, spec in enumerate(store.specs):
            if check_references and any(target not in names for _, target in spec.references):
                raise ValidationError(
                    "must refer only to specs the store keeps, or the unit must not check"
                    " references",
                    path=f"$.store.specs[{position}].references",
                    code="references",
                )
        self._store = store
        self._check_references = check_references
        self._on_events = on_events
        self._state = _UnitState(store)
        self._repositories: dict[type, StoreRepository[Any]] = {}
        for spec in store.specs:
            repository = spec.repository_type(self._state, spec)
            for cls in {spec.aggregate_type, *spec.variants}:
                self._repositories[cls] = repository

    @property
    def store(self) -> Store:
        """The store this unit reads and commits to."""
        return self._store

    @property
    def active(self) -> bool:
        """Whether the unit is inside its ``with`` block."""
        return self._state.active

    @property
    def check_references(self) -> bool:
        """Whether commits refuse references to aggregates that are not stored."""
        return self._check_references

    @property
    def on_events(self) -> EventHandler | None:
        """The function each commit's events are handed to, or ``None`` (see the class)."""
        return self._on_events

    def repository(self, aggregate_type: type[A]) -> StoreRepository[A]:
        """The repository of an aggregate type, for code generic over aggregates.

        A variant (such as ``NpsResponse``) gives the repository of its spec.

        Raises:
            InvalidType: the store keeps no aggregates of this type.
        """
        found = self._repositories.get(aggregate_type)
        if found is None:
            raise InvalidType(
                f"must be an aggregate type this store keeps, not {type_name(aggregate_type)}",
                path="$.aggregate_type",
            )
        return cast("StoreRepository[A]", found)

    def _typed(self, aggregate_type: type[Any], port: type) -> StoreRepository[Any]:
        found = self.repository(aggregate_type)
        if not isinstance(found, port):
            article = "an" if port.__name__[0] in "AEIOU" else "a"
            raise InvalidType(
                f"the store's {found.spec.kind} spec must name {article} {port.__name__}",
                path="$.repository_type",
            )
        return found

    def __enter__(self) -> Self:
        state = self._state
        if state.active:
            raise UnitOfWorkError("this unit of work is already active; units do not nest")
        state.reset()
        state.snapshot = self._store.snapshot()
        state.active = True
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        state = self._state
        state.active = False
        try:
            state.release()
        finally:
            state.reset()

    def commit(self) -> None:
        """Apply the unit's changes atomically (see :class:`UnitOfWork`)."""
        state = self._state
        if not state.active:
            raise UnitOfWorkError("commit() is usable only inside the unit's `with` block")
        changes = ChangeSet(
            changes=tuple(
                Change(e.spec, e.aggregate_id, e.expected_version, e.aggregate)
                for e in state.entries.values()
            ),
            events=tuple(state.events),
            check_references=self._check_references,
        )
        try:
            state.release()
            if changes.changes or changes.events:
                self._store.commit(changes)
        finally:
            state.reset()
        if self._on_events is not None and changes.events:
            # Committed: the events are in the outbox. Hand them over, then let them go;
            # if the handler fails they stay there for collect_events().
            self._on_events(changes.events)
            self._store.acknowledge_events(frozenset(e.event_id for e in changes.events))

    def rollback(self) -> None:
        """Discard the unit's uncommitted changes (see :class:`UnitOfWork`)."""
        state = self._state
        if not state.active:
            raise UnitOfWorkError("rollback() is usable only inside the unit's `with` block")
        try:
            state.release()
        finally:
            state.reset()

    def collect_events(self, *, limit: int | None = None) -> list[DomainEvent]:
        """The unacknowledged events of committed units, oldest first (see :class:`UnitOfWork`)."""
        if limit is not None and (isinstance(limit, bool) or not isinstance(limit, int)):
            raise InvalidType(f"must be an int or None, not {type_name(limit)}", path="$.limit")
        if limit is not None and limit < 1:
            raise ValidationError("must be 1 or more", path="$.limit", code="range")
        return self._store.pending_events(limit=limit)

    def acknowledge(self, events: Iterable[DomainEvent | str]) -> int:
        """Remove handled events from the outbox (see :class:`UnitOfWork`)."""
        if isinstance(events, (str, DomainEvent)) or not isinstance(events, Iterable):
            raise InvalidType(
                f"must be a collection of events or event ids, not {type_name(events)}",
                path="$.events",
            )
        ids: set[str] = set()
        for position, item in enumerate(events):
            if isinstance(item, DomainEvent):
                ids.add(item.event_id)
            elif isinstance(item, str):
                ids.add(item)
            else:
                raise InvalidType(
                    f"must be a DomainEvent or an event id, not {type_name(item)}",
                    path=f"$.events[{position}]",
                )
        return self._store.acknowledge_events(frozenset(ids)) if ids else 0

    def __repr__(self) -> str:
        state = "active" if self._state.active else "idle"
        return f"{type(self).__name__}({state}, changes={len(self._state.entries)})"
