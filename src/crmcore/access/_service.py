"""What a privacy service works on once a guarded unit authorized it for one customer.

:func:`crmcore.privacy.export_subject` and :func:`crmcore.privacy.erase_subject`
must see every record about the subject whole, so a
:class:`~crmcore.access.GuardedUnitOfWork` whose principal may export (erase)
that customer hands them a :class:`ServiceUnit` over the unit it wraps: reads
see complete, unmasked records; saves go to the guarded unit's audit trail;
records cannot be added or removed. It is never handed to application code.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

from crmcore.repository import UnitOfWork

#: What records a save for the audit trail: ``track(record, before, after)``.
Track = Callable[[Any, object, object], None]


class _ServiceRepository:
    """One repository of the wrapped unit: reads as they are, saves tracked."""

    __slots__ = ("_name", "_track", "_unit")

    def __init__(self, unit: UnitOfWork, name: str, track: Track) -> None:
        self._unit = unit
        self._name = name
        self._track = track

    def _inner(self) -> Any:
        return getattr(self._unit, self._name)

    def __getattr__(self, name: str) -> Any:
        if name in {"add", "remove"}:  # a service only reads and saves
            raise AttributeError(name)
        return getattr(self._inner(), name)

    def __iter__(self) -> Iterator[Any]:
        return iter(self._inner())

    def save(self, aggregate: Any) -> Any:
        inner = self._inner()
        stored = inner.get(aggregate.id)
        saved = inner.save(aggregate)
        self._track(aggregate, stored, aggregate)
        return saved


class ServiceUnit:
    """The wrapped unit as a privacy service sees it (see the module documentation)."""

    __slots__ = ("_owner", "_track", "_unit")

    def __init__(self, owner: UnitOfWork, unit: UnitOfWork, track: Track) -> None:
        self._owner = owner
        self._unit = unit
        self._track = track

    def __getattr__(self, name: str) -> Any:
        if isinstance(getattr(UnitOfWork, name, None), property):
            return _ServiceRepository(self._unit, name, self._track)
        raise AttributeError(name)

    def rollback(self) -> None:
        """Roll the guarded unit back (and the unit it wraps)."""
        self._owner.rollback()
