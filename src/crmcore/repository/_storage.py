"""What a storage backend implements: :class:`Store` and :class:`Snapshot`.

A store applies a :class:`ChangeSet` atomically (optimistic version checks,
natural keys, and :func:`verify_references` for references between
aggregates) and keeps the events of committed change sets in an outbox until
they are acknowledged. :class:`~crmcore.repository.StoreUnitOfWork` does the
rest of the unit-of-work contract the same way for every backend.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Collection, Iterable, Mapping
from typing import TYPE_CHECKING, Any, Generic, TypeVar

import attrs

from crmcore._kernel._events import DomainEvent
from crmcore._kernel._ids import Identifier
from crmcore.errors import UnknownReference
from crmcore.repository._ports import Aggregate

if TYPE_CHECKING:
    from crmcore.repository._store import AggregateSpec

A = TypeVar("A", bound=Aggregate)

#: How many aggregates iteration reads from a snapshot at a time.
PAGE_SIZE = 256


@attrs.frozen(slots=True)
class Change(Generic[A]):
    """One aggregate changed by a unit of work, as its store must apply it.

    Attributes:
        spec: the aggregate's registration.
        aggregate_id: the aggregate's id.
        expected_version: the version the store must hold for the change to
            apply, or ``None`` if it must hold no aggregate with this id (an add).
        aggregate: what to store from now on (already at its new version, with
            no pending events), or ``None`` to delete it.

    .. versionadded:: 0.1
    """

    spec: AggregateSpec[A]
    aggregate_id: Identifier
    expected_version: int | None
    aggregate: A | None


@attrs.frozen(slots=True)
class ChangeSet:
    """Everything one commit applies, all or nothing.

    Attributes:
        changes: the changed aggregates, in the order the unit first touched them.
        events: the domain events of the aggregates added and saved, in order.
        check_references: whether the store must refuse the change set when
            it would leave a reference (see :attr:`AggregateSpec.references`)
            to an aggregate that is not stored.

    .. versionadded:: 0.1
    """

    changes: tuple[Change[Any], ...] = ()
    events: tuple[DomainEvent, ...] = ()
    check_references: bool = True


class Snapshot(ABC):
    """A consistent read view of a store, as of the moment it was opened.

    What other units commit after that moment is not visible through it.

    .. versionadded:: 0.1
    """

    @abstractmethod
    def get(self, spec: AggregateSpec[A], aggregate_id: Identifier) -> A | None:
        """The stored aggregate, or ``None``."""

    @abstractmethod
    def version(self, spec: AggregateSpec[A], aggregate_id: Identifier) -> int | None:
        """The stored version, or ``None`` when absent (need not decode the aggregate)."""

    @abstractmethod
    def page(self, spec: AggregateSpec[A], *, after: Identifier | None, limit: int) -> list[A]:
        """Up to ``limit`` aggregates with ids greater than ``after``, in ascending id order."""

    @abstractmethod
    def count(self, spec: AggregateSpec[Any]) -> int:
        """How many aggregates of ``spec`` are stored."""

    @abstractmethod
    def find(self, spec: AggregateSpec[Any], key: str, value: str) -> Identifier | None:
        """The id of the aggregate holding a natural key value, or ``None``."""

    def find_all(self, spec: AggregateSpec[Any], index: str, value: str) -> list[Identifier]:
        """The ids of every aggregate whose secondary ``index`` holds ``value``, ascending.

        This default reads every aggregate of ``spec`` a page at a time and
        asks :meth:`AggregateSpec.index_values`; it is correct for any store.
        Override it with a lookup in an index the store maintains (an
        in-memory map, an ``(index, value, id)`` table) to make it fast.
        """
        found: list[Identifier] = []
        after: Identifier | None = None
        pair = (index, value)
        while True:
            page = self.page(spec, after=after, limit=PAGE_SIZE)
            found.extend(a.id for a in page if pair in spec.index_values(a))
            if len(page) < PAGE_SIZE:
                return found
            after = page[-1].id

    @abstractmethod
    def close(self) -> None:
        """Release the view (idempotent)."""


class Store(ABC):
    """Shared storage behind any number of units of work.

    .. versionadded:: 0.1
    """

    @property
    @abstractmethod
    def specs(self) -> tuple[AggregateSpec[Any], ...]:
        """The aggregate types this store keeps."""

    @abstractmethod
    def snapshot(self) -> Snapshot:
        """Open a read view of the committed data as of now."""

    @abstractmethod
    def commit(self, changes: ChangeSet) -> None:
        """Apply a change set atomically, or nothing of it.

        For each change the store must hold ``expected_version`` (``None``:
        no aggregate with that id) at the moment it applies, and afterwards no
        natural key value may belong to two aggregates. When
        ``changes.check_references`` is true, afterwards every reference (see
        :attr:`AggregateSpec.references`) of an added or saved aggregate must
        name a stored aggregate, and no removed aggregate may still be named
        by a stored one (:func:`verify_references` does this for a store that
        can answer :class:`ReferenceLookup` questions). The change set's
        events join the outbox in the same atomic step.

        All or nothing holds even when the commit is interrupted midway (a
        ``KeyboardInterrupt``, a signal handler raising, a lost connection):
        the store then holds its state from before the commit, or (when the
        interruption came after the commit became durable) the whole new state.

        Raises:
            ConcurrencyConflict: a stored version differs from the expected one.
            DuplicateId: an aggregate expected absent is present.
            DuplicateKey: a natural key value would belong to two aggregates.
            UnknownReference: a reference would name no stored aggregate.
        """

    @abstractmethod
    def pending_events(self, *, limit: int | None = None) -> list[DomainEvent]:
        """The events in the outbox not acknowledged yet, oldest first, without removing them.

        Args:
            limit: at most this many (the oldest); ``None`` for every one.
        """

    @abstractmethod
    def acknowledge_events(self, event_ids: Collection[str]) -> int:
        """Remove from the outbox every event whose ``event_id`` is in ``event_ids``.

        Ids of no pending event (unknown, or acknowledged already) are ignored.

        Returns:
            How many events were removed.
        """


class ReferenceLookup(ABC):
    """What :func:`verify_references` asks a store, inside its commit, about the state after it.

    .. versionadded:: 0.1
    """

    @abstractmethod
    def exists(self, spec: AggregateSpec[Any], aggregate_id: Identifier) -> bool:
        """Whether an aggregate of ``spec`` with this id is stored (after the change set)."""

    @abstractmethod
    def referrers(
        self, spec: AggregateSpec[Any], field: str, target_id: Identifier
    ) -> Iterable[Identifier]:
        """Ids of aggregates of ``spec`` stored before the change set whose ``field`` names the id.

        The aggregates the change set touches may be included or not:
        :func:`verify_references` judges them from the change set itself.
        """


def verify_references(
    specs: Iterable[AggregateSpec[Any]], changes: ChangeSet, lookup: ReferenceLookup
) -> None:
    """Refuse a change set that would leave a reference naming no stored aggregate.

    Every reference of an added or saved aggregate must name an aggregate the
    store holds after the change set (``lookup.exists``), and no aggregate the
    change set removes may still be named by an aggregate it leaves alone
    (``lookup.referrers``). Does nothing when ``changes.check_references`` is
    false.

    Raises:
        UnknownReference: the first reference found broken.
    """
    if not changes.check_references:
        return
    by_name = {spec.name: spec for spec in specs}
    changed = {(c.spec.name, c.aggregate_id): c for c in changes.changes}
    for change in changes.changes:
        if change.aggregate is not None:
            _check_named(change, by_name, changed, lookup)
    for change in changes.changes:
        if change.aggregate is None:
            _check_not_named(change, by_name.values(), changed, lookup)


def _check_named(
    change: Change[Any],
    by_name: Mapping[str, AggregateSpec[Any]],
    changed: Mapping[tuple[str, Identifier], Change[Any]],
    lookup: ReferenceLookup,
) -> None:
    """Every aggregate ``change`` stores a reference to must be stored afterwards."""
    for field, target, target_id in sorted(change.spec.references_of(change.aggregate), key=repr):
        target_spec = by_name[target]
        pending = changed.get((target, target_id))
        if pending is not None:
            present = pending.aggregate is not None
        else:
            present = lookup.exists(target_spec, target_id)
        if not present:
            raise UnknownReference(
                change.spec.kind,
                change.aggregate_id,
                field=field,
                target_kind=target_spec.kind,
                target_id=target_id,
            )


def _check_not_named(
    removal: Change[Any],
    specs: Iterable[AggregateSpec[Any]],
    changed: Mapping[tuple[str, Identifier], Change[Any]],
    lookup: ReferenceLookup,
) -> None:
    """No aggregate the change set leaves alone may name the aggregate ``removal`` removes."""
    for spec in specs:
        for field, target in spec.references:
            if target != removal.spec.name:
                continue
            for ident in sorted(lookup.referrers(spec, field, removal.aggregate_id)):
                if (spec.name, ident) in changed:
                    continue  # judged by _check_named from what the change set stores
                raise UnknownReference(
                    spec.kind,
                    ident,
                    field=field,
                    target_kind=removal.spec.kind,
                    target_id=removal.aggregate_id,
                    removed=True,
                )
