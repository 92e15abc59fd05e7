"""Personal data held by a record: anonymising it and masking it.

Every aggregate that holds personal data (a customer's name and contact
points, a case's subject, a note's body, ...) mixes in :class:`HoldsPersonalData`
and declares:

``personal_fields``
    the names of its personal fields, each an attribute path such as
    ``"subject"`` or ``"profile.birth_date"``. They are what an erasure
    replaces and what an access policy may mask.
``_anonymised_by``
    its event class recording an anonymisation; the class mixes in
    :class:`PersonalDataErasedEvent` and declares ``fields: tuple[str, ...]``
    (the personal fields that changed). Like every event it carries no
    personal value.
``_tombstones(fields)``
    the top-level field changes (by init name) that replace the named
    personal fields by tombstones: ``None`` for optional text, :data:`ERASED`
    for required text, an empty tuple for collections, a placeholder name
    for names. Fields needed for accounting (amounts, dates, ids) are never
    personal fields.

The kernel gives each such aggregate two operations:

* :meth:`HoldsPersonalData.anonymise` (a command: an event records it; a
  record with nothing personal left returns itself), and
* :meth:`HoldsPersonalData.masked` (a read-only view: the same record with
  some personal fields replaced, no event, nothing to save).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import datetime
from typing import Any, ClassVar, Final, Self, Unpack

from crmcore._kernel._aggregate import Aggregate, IdT
from crmcore._kernel._checks import type_name
from crmcore._kernel._events import DomainEvent, EventMeta
from crmcore.errors import InvalidType, ValidationError

#: The text that replaces required personal text (a subject, a note's body) on erasure and masking.
ERASED: Final = "[erased]"
#: The most field names one :meth:`HoldsPersonalData.masked` call takes.
MAX_MASKED_FIELDS: Final = 100


class PersonalDataErasedEvent:
    """Mixin of the events that record an anonymisation (see the module documentation).

    An event class mixes it in before its package's event base and declares
    ``fields: tuple[str, ...]``: the names of the personal fields replaced,
    never their values.
    """

    __slots__ = ()


def personal_value(record: object, path: str) -> object:
    """The value at an attribute path such as ``"profile.birth_date"``."""
    value = record
    for part in path.split("."):
        value = getattr(value, part)
    return value


class HoldsPersonalData(Aggregate[IdT]):
    """Base of the aggregates that hold personal data (see the module documentation)."""

    __slots__ = ()

    #: The attribute paths of the personal fields, in the order events list them.
    personal_fields: ClassVar[tuple[str, ...]] = ()
    #: The event class that records an anonymisation.
    _anonymised_by: ClassVar[type[DomainEvent]]

    def _tombstones(self, fields: frozenset[str]) -> dict[str, Any]:
        """The top-level changes (by init name) replacing the named personal fields by tombstones."""
        raise NotImplementedError  # pragma: no cover - every subclass defines it

    def _personal_names(self, fields: object, path: str) -> frozenset[str]:
        if isinstance(fields, str) or not isinstance(fields, Iterable):
            raise InvalidType(
                f"must be an iterable of field names, not {type_name(fields)}", path=path
            )
        names: set[str] = set()
        known = type(self).personal_fields
        for index, name in enumerate(fields):
            if index >= MAX_MASKED_FIELDS:
                raise ValidationError(
                    f"must name at most {MAX_MASKED_FIELDS} fields", path=path, code="too_many"
                )
            if type(name) is not str:
                raise InvalidType(
                    f"must be a field name, not {type_name(name)}", path=f"{path}[{index}]"
                )
            if name not in known:
                raise ValidationError(
                    f"must be one of the personal fields ({', '.join(known)})",
                    path=f"{path}[{index}]",
                    code="unknown_field",
                )
            names.add(name)
        return frozenset(names)

    def _replaced(self, names: frozenset[str]) -> tuple[dict[str, Any], tuple[str, ...]]:
        # The changes for ``names`` and the personal fields they actually change.
        if not names:
            return {}, ()
        changes = self._tombstones(names)
        changes = {k: v for k, v in changes.items() if getattr(self, k) != v}
        if not changes:
            return {}, ()
        preview = self._changed(dict(changes))
        changed = tuple(
            name
            for name in type(self).personal_fields
            if name in names and personal_value(self, name) != personal_value(preview, name)
        )
        return changes, changed

    def personal_data(self) -> Mapping[str, object]:
        """Each personal field's current value, by name: what an export or an erasure covers."""
        return {name: personal_value(self, name) for name in type(self).personal_fields}

    def anonymise(self, *, at: datetime, **meta: Unpack[EventMeta]) -> Self:
        """The record with every personal field replaced by its tombstone; one event records it.

        What is kept is what the record needs without the person: ids,
        amounts, dates, statuses, codes. A record with nothing personal
        left returns itself, so an erasure may run twice over the same
        records. The event (``...Anonymised``) names the fields replaced.

        Raises:
            ValidationError: ``at`` is naive or before the last change. Nothing is applied.
        """
        command = self._begin(at, meta)
        changes, changed = self._replaced(frozenset(type(self).personal_fields))
        if not changed:
            return self
        return self._record(command, self._anonymised_by.draft(fields=changed), **changes)

    def masked(self, fields: Iterable[str]) -> Self:
        """A read-only view of the record with the named personal fields replaced by tombstones.

        No event is recorded and the version is kept: a masked copy is for
        display; an access-guarded repository refuses to store changes made
        to a masked field.

        Raises:
            InvalidType: ``fields`` is not an iterable of names.
            ValidationError: a name is not one of :attr:`personal_fields`
                (``unknown_field``), or more than 100 are named.
        """
        changes, _ = self._replaced(self._personal_names(fields, "$.fields"))
        if not changes:
            return self
        return self._changed(changes, known_events=len(self.pending_events))
