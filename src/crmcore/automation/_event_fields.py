"""What an event trigger's condition reads: the event's fields as a flat mapping.

A condition of an :class:`~crmcore.automation.EventTrigger` is a segment rule
(:mod:`crmcore.segmentation`) evaluated on a flat mapping of the event: its
own fields and the envelope (``event_id``, ``aggregate_kind``,
``aggregate_id``, ``sequence``, ``occurred_at``, ``actor``). Ids are their
text, enums their value, tuples of text or ids a set; fields of other
shapes (a payment, order lines) are left out, and so are fields holding
``None`` (a condition on them sees a missing value).

The schema a condition is checked against when a rule is built comes from
the event class's attrs fields, so a condition naming a field the event type
does not have is refused.
"""

from __future__ import annotations

import types
import typing
from collections.abc import Mapping
from datetime import date, datetime
from decimal import Decimal
from enum import Enum
from typing import Any, Final

import attrs

# The capabilities whose modules define events: imported so the registry knows them.
import crmcore.activities
import crmcore.commerce
import crmcore.customers
import crmcore.feedback
import crmcore.interactions
import crmcore.loyalty
import crmcore.parties
import crmcore.sales
import crmcore.service
import crmcore.teams  # noqa: F401 - imported for its events
from crmcore._kernel._events import DomainEvent, event_types
from crmcore._kernel._frozen import FrozenMap
from crmcore._kernel._ids import Identifier
from crmcore._kernel._money import Money
from crmcore._kernel._refs import RecordRef
from crmcore.segmentation import FieldSpec, Schema

_TEXT: Final = FieldSpec.of("text")
_NUMBER: Final = FieldSpec.of("number")
_BOOL: Final = FieldSpec.of("bool")
_DATETIME: Final = FieldSpec.of("datetime")
_DATE: Final = FieldSpec.of("date")
_MONEY: Final = FieldSpec.of("money")
_SET: Final = FieldSpec.of("set")

#: The envelope fields every event's mapping holds (``actor`` only when given).
ENVELOPE_FIELDS: Final = FrozenMap(
    {
        "event_id": _TEXT,
        "aggregate_kind": _TEXT,
        "aggregate_id": _TEXT,
        "sequence": _NUMBER,
        "occurred_at": _DATETIME,
        "actor": _TEXT,
    }
)

_ENVELOPE_ATTRS: Final = frozenset(
    {"sequence", "occurred_at", "actor", "correlation_id", "causation_id"}
)


def _spec_of(hint: object) -> FieldSpec | None:
    """The spec of a field annotated ``hint``, or None if conditions cannot read it."""
    if isinstance(hint, types.UnionType) or typing.get_origin(hint) is typing.Union:
        inner = [arg for arg in typing.get_args(hint) if arg is not type(None)]
        return _spec_of(inner[0]) if len(inner) == 1 else None
    if typing.get_origin(hint) is tuple:
        args = typing.get_args(hint)
        if len(args) == 2 and args[1] is Ellipsis and isinstance(args[0], type):
            item = args[0]
            if issubclass(item, (str, Identifier)):
                return _SET
        return None
    return _scalar_spec(hint) if isinstance(hint, type) else None


def _scalar_spec(hint: type) -> FieldSpec | None:
    found: FieldSpec | None = None
    if issubclass(hint, bool):
        found = _BOOL
    elif issubclass(hint, (str, Identifier, Enum, RecordRef)):
        found = _TEXT
    elif issubclass(hint, (int, Decimal)):
        found = _NUMBER
    elif issubclass(hint, datetime):
        found = _DATETIME
    elif issubclass(hint, date):
        found = _DATE
    elif issubclass(hint, Money):
        found = _MONEY
    return found


#: The class attribute keeping an event class's schema once derived (as the kernel keeps its checks).
_SCHEMA_ATTRIBUTE: Final = "_automation_schema_"


def event_schema(event_class: type[DomainEvent]) -> Schema:
    """The fields a condition on events of ``event_class`` may name, with what they hold.

    >>> from crmcore.customers import CustomerTagAdded
    >>> sorted(event_schema(CustomerTagAdded))
    ['actor', 'aggregate_id', 'aggregate_kind', 'customer_id', 'event_id', 'occurred_at', 'sequence', 'tag']
    """
    cached: Schema | None = event_class.__dict__.get(_SCHEMA_ATTRIBUTE)
    if cached is not None:
        return cached
    hints = typing.get_type_hints(event_class)
    fields: dict[str, FieldSpec] = dict(ENVELOPE_FIELDS)
    for attribute in attrs.fields(event_class):
        if attribute.name in _ENVELOPE_ATTRS:
            continue
        spec = _spec_of(hints.get(attribute.name))
        if spec is not None:
            fields[attribute.name] = spec
    schema = FrozenMap(fields)
    # Derived from the class alone and immutable: kept on the class, like its field checks.
    type.__setattr__(event_class, _SCHEMA_ATTRIBUTE, schema)
    return schema


def _flat(value: object) -> object:
    if isinstance(value, Identifier):
        return value.value
    if isinstance(value, Enum):
        return value.value
    if isinstance(value, RecordRef):
        return str(value)
    if isinstance(value, tuple):
        return frozenset(_flat(item) for item in value)
    return value


def event_values(event: DomainEvent) -> Mapping[str, Any]:
    """The flat mapping a condition is evaluated on (see the module documentation).

    >>> from datetime import datetime, timezone
    >>> from crmcore import CustomerId
    >>> from crmcore.customers import CustomerTagAdded
    >>> at = datetime(2026, 3, 1, tzinfo=timezone.utc)
    >>> values = event_values(
    ...     CustomerTagAdded(sequence=2, occurred_at=at, customer_id=CustomerId("c-1"), tag="vip")
    ... )
    >>> values["customer_id"], values["tag"], values["event_id"]
    ('c-1', 'vip', 'customer:c-1#2')
    """
    schema = event_schema(type(event))
    values: dict[str, Any] = {
        "event_id": event.event_id,
        "aggregate_kind": event.aggregate_kind,
        "aggregate_id": event.aggregate_id,
    }
    for name in schema:
        if name in values:
            continue
        value = getattr(event, name)
        if value is not None:
            values[name] = _flat(value)
    return values


def known_event_types() -> Mapping[str, type[DomainEvent]]:
    """Every concrete event type crmcore knows, by name (the registry, walked each call)."""
    return event_types()
