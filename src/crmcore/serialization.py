"""JSON-ready dicts in and out, on crmcore's own cattrs converter.

:func:`to_dict` turns any crmcore value, aggregate or event into plain dicts,
lists, strings, ints and bools that :mod:`json` can write: Decimals become
strings (``"12.50"``, never a float), datetimes ISO 8601 strings with their
offset, enums their values, sets sorted lists. The top level carries
``schema_version``.

:func:`from_dict` rebuilds the object and validates everything on the way.
Malformed input of any shape raises :class:`~crmcore.ValidationError` whose
``problems`` list every fault with its path: missing or unknown keys, wrong
types, naive timestamps, unknown currencies, junk nested thousands of levels
deep. It never raises a bare ``KeyError``, ``TypeError`` or
``RecursionError`` and never returns a half-built object.

>>> from crmcore import Money
>>> to_dict(Money("12.50", "USD"))
{'amount': '12.50', 'currency': 'USD', 'schema_version': 2}
>>> from_dict(Money, {"amount": "12.50", "currency": "USD", "schema_version": 2})
Money('12.50', 'USD')
>>> from_dict(Money, {"amount": 12.5, "currency": "USD", "schema_version": 2})
Traceback (most recent call last):
...
crmcore.errors.InvalidType: $.amount: must be a decimal string such as '12.50', not a float
"""

from __future__ import annotations

import operator
import re
import sys
import types
import typing
from collections.abc import Callable, Mapping
from datetime import date, datetime
from decimal import Decimal
from enum import Enum, StrEnum
from typing import Any, Final, TypeVar

import attrs
import cattrs
from cattrs.errors import (
    ClassValidationError,
    ForbiddenExtraKeysError,
    IterableValidationError,
)
from cattrs.fns import identity
from cattrs.gen import make_dict_structure_fn, make_dict_unstructure_fn
from dateutil.relativedelta import relativedelta

from crmcore._kernel._aggregate import Aggregate
from crmcore._kernel._checks import (
    MAX_INT,
    MAX_ITEMS_KEY,
    iso_datetime,
    json_type_name,
    require_aware,
    to_decimal,
    type_name,
)
from crmcore._kernel._events import DomainEvent, event_classes_defined, event_types
from crmcore._kernel._ids import Identifier
from crmcore.customers import AttributeValue, FrozenMap, OrganizationName, PersonName
from crmcore.errors import InvalidType, Problem, SchemaVersionError, ValidationError, join_path
from crmcore.segmentation import is_rule_type, register_rule_hooks

__all__ = [
    "MAX_DEPTH",
    "MAX_NODES",
    "SCHEMA_VERSION",
    "from_dict",
    "make_converter",
    "to_dict",
]

T = TypeVar("T")

#: The schema version written by this release, and the ones it reads.
#:
#: Version 2 gave every aggregate the kernel's fields (``created_at``,
#: ``updated_at``, ``sequence``) and every event its envelope. Aggregate
#: documents of version 1 are upgraded as they are read (renamed fields,
#: ``updated_at`` from the latest time in the data, ``sequence`` 0); version 1
#: documents holding pending events, and version 1 event documents, are
#: refused: their events had no sequence numbers to rebuild the envelope from.
SCHEMA_VERSION: Final = 2
SUPPORTED_SCHEMA_VERSIONS: Final = (1, 2)
#: Deepest nesting accepted in a document passed to :func:`from_dict`.
MAX_DEPTH: Final = 64
#: Most values (dict entries and list items, counted recursively) in one document.
MAX_NODES: Final = 5_000_000
#: Most items in one list of a document (no field of any crmcore type holds more).
MAX_ITEMS: Final = 100_000
#: Longest string in a document, in characters.
MAX_STRING: Final = 1_000_000
#: Most problems one error reports; a document with more is refused after that many.
MAX_PROBLEMS: Final = 100
#: A key shown in an error path: a lower-case field name (other keys show as ``[*]``).
_FIELD_NAME: Final = re.compile(r"[a-z_][a-z0-9_]{0,63}")
#: Longest decimal string in a document (plain notation of 100 significant digits and a scale).
_MAX_DECIMAL_TEXT: Final = 400
#: A decimal amount as documents write it: ASCII digits, an optional sign and decimal point.
_DECIMAL: Final = re.compile(r"-?[0-9]+(\.[0-9]+)?")

_ATTRIBUTE_TYPES: Final[dict[str, type]] = {
    "str": str,
    "int": int,
    "bool": bool,
    "decimal": Decimal,
    "date": date,
    "datetime": datetime,
}


def _strict_str(value: object, _: type) -> str:
    if not isinstance(value, str):
        raise InvalidType(f"must be a string, not {json_type_name(value)}")
    return value


def _strict_int(value: object, _: type) -> int:
    if isinstance(value, bool) or not isinstance(value, int):
        raise InvalidType(f"must be an integer, not {json_type_name(value)}")
    if not -MAX_INT <= value <= MAX_INT:
        raise ValidationError("must be an integer between -(2**63 - 1) and 2**63 - 1", code="range")
    return value


def _strict_bool(value: object, _: type) -> bool:
    if not isinstance(value, bool):
        raise InvalidType(f"must be true or false, not {json_type_name(value)}")
    return value


def _structure_decimal(value: object, _: type) -> Decimal:
    if isinstance(value, float):
        raise InvalidType("must be a decimal string such as '12.50', not a float", code="float")
    if isinstance(value, str):
        if len(value) > _MAX_DECIMAL_TEXT or _DECIMAL.fullmatch(value) is None:
            raise ValidationError(
                "must be a decimal string such as '12.50' (ASCII digits, no spaces or exponent)",
                code="decimal",
            )
        return to_decimal(Decimal(value), "$")
    return to_decimal(value, "$")


def _decimal_text(value: Decimal) -> str:
    """A Decimal in plain notation (never ``1E+2`` or ``0E-8``), as documents hold amounts."""
    return format(value, "f")


def _structure_datetime(value: object, _: type) -> datetime:
    if isinstance(value, datetime):
        return require_aware(value, "$")
    return iso_datetime(value, describe=json_type_name)


def _structure_date(value: object, _: type) -> date:
    if isinstance(value, date) and not isinstance(value, datetime):
        return value
    if not isinstance(value, str):
        raise InvalidType(f"must be an ISO 8601 date string, not {json_type_name(value)}")
    rule = "must be an ISO 8601 date such as '1990-04-17'"
    if len(value) != 10:
        raise ValidationError(rule, code="date")
    try:
        return date.fromisoformat(value)
    except ValueError:
        raise ValidationError(rule, code="date") from None


def _structure_enum(value: object, cls: type[Enum]) -> Enum:
    if isinstance(value, cls):
        return value
    if isinstance(value, str):
        try:  # the enum's own lookup by value (a hash lookup; crmcore's enums add no _missing_)
            return cls(value)
        except (ValueError, TypeError):
            pass
    choices = ", ".join(str(member.value) for member in cls)  # for the message only
    if not isinstance(value, str):
        raise InvalidType(f"must be one of: {choices}; not {json_type_name(value)}")
    raise ValidationError(f"must be one of: {choices}", code="choice")


def _structure_identifier(value: object, cls: type[Identifier]) -> Identifier:
    if not isinstance(value, str):
        raise InvalidType(f"must be an identifier string, not {json_type_name(value)}")
    try:
        return cls(value)
    except ValidationError as exc:
        # The identifier's own path is "$.value"; here it is the field itself.
        raise ValidationError(exc.rule, code=exc.code) from None


def _unstructure_attribute(value: AttributeValue) -> dict[str, Any]:
    if isinstance(value, bool):
        return {"type": "bool", "value": value}
    if isinstance(value, int):
        return {"type": "int", "value": value}
    if isinstance(value, Decimal):
        return {"type": "decimal", "value": _decimal_text(value)}
    if isinstance(value, datetime):
        return {"type": "datetime", "value": value.isoformat()}
    if isinstance(value, date):
        return {"type": "date", "value": value.isoformat()}
    return {"type": "str", "value": value}


def _enum_value(member: Enum) -> Any:
    return member.value


#: The parts of a relative window a document may hold (absolute parts such as
#: ``month=12`` are not windows and are refused by the classes that take one).
_WINDOW_PARTS: Final = ("years", "months", "days", "hours", "minutes", "seconds", "microseconds")


def _unstructure_window(value: relativedelta) -> dict[str, int]:
    """A relativedelta as its non-zero relative parts: ``{"years": 1}``."""
    value = value.normalized()
    return {part: getattr(value, part) for part in _WINDOW_PARTS if getattr(value, part)}


def _structure_window(value: object, _: object) -> relativedelta:
    if not isinstance(value, dict):
        raise InvalidType(f"must be an object, not {json_type_name(value)}")
    unknown = sum(1 for key in value if key not in _WINDOW_PARTS)
    if unknown:
        # Key names are not echoed: a document's keys can be personal data too.
        parts = ", ".join(_WINDOW_PARTS)
        raise ValidationError(f"may hold only the keys {parts}", code="unknown_keys")
    problems: list[Problem] = []
    parts_given: dict[str, int] = {}
    for part, number in value.items():
        if type(number) is not int or not -_MAX_WINDOW_PART <= number <= _MAX_WINDOW_PART:
            problems.append(
                Problem(f"$.{part}", f"must be an integer of at most {_MAX_WINDOW_PART}", "range")
            )
        else:
            parts_given[part] = number
    if problems:
        raise ValidationError.collect(problems)
    try:
        return relativedelta(**parts_given)  # type: ignore[arg-type]
    except (OverflowError, ValueError):
        raise ValidationError("is too long a window", code="range") from None


#: Largest number in one part of a window (a million years is far past any date).
_MAX_WINDOW_PART: Final = 10**6


def _is_named_tuple(tp: object) -> bool:
    return isinstance(tp, type) and issubclass(tp, tuple) and hasattr(tp, "_fields")


def _is_attribute_union(tp: object) -> bool:
    return tp == AttributeValue


def _is_name_union(tp: object) -> bool:
    return tp == (PersonName | OrganizationName)


def _is_event_type(tp: object) -> bool:
    return isinstance(tp, type) and issubclass(tp, DomainEvent)


def _is_identifier(tp: object) -> bool:
    return isinstance(tp, type) and issubclass(tp, Identifier)


def _as_read(value: object, _: object) -> object:
    return value


def _is_untyped(tp: object) -> bool:
    return tp is object or tp is Any


def _is_set(tp: object) -> bool:
    return getattr(tp, "__origin__", tp) in (frozenset, set)


def _has_limits(tp: object) -> bool:
    return (
        isinstance(tp, type)
        and attrs.has(tp)
        and any(MAX_ITEMS_KEY in field.metadata for field in attrs.fields(tp))
    )


def _is_items(tp: object) -> bool:
    args: tuple[object, ...] = tuple(getattr(tp, "__args__", ()))
    return getattr(tp, "__origin__", None) is tuple and args[1:] == (Ellipsis,)


def _is_frozen_map(tp: object) -> bool:
    return getattr(tp, "__origin__", tp) is FrozenMap


def _is_plain_items(tp: object) -> bool:
    """A homogeneous tuple type whose item type is a class or union (not a type variable)."""
    return _is_items(tp) and not isinstance(typing.get_args(tp)[0], TypeVar)


def _is_plain_optional(tp: object) -> bool:
    """``X | None`` (or ``Optional[X]``) for one X that is not a type variable."""
    if typing.get_origin(tp) not in (typing.Union, types.UnionType):
        return False
    args = typing.get_args(tp)
    return len(args) == 2 and type(None) in args and not any(isinstance(a, TypeVar) for a in args)


class _Hooks:
    """The hooks that need the converter itself (for nested values).

    It also keeps the converter's per-class plans, each built once on first
    use and kept for the converter's lifetime (pure memos: a plan depends only
    on its class and on the hooks registered when the converter was made):
    the unstructure function of each event class and the event classes by
    type name (see :meth:`event_type`).
    """

    def __init__(self, conv: cattrs.Converter) -> None:
        self.conv = conv
        self.unstructure_fns: dict[type, Callable[[Any], dict[str, Any]]] = {}
        self.structure_fns: dict[type, Callable[[Mapping[str, Any], Any], Any]] = {}
        #: ``event_types()`` as of the last walk, and how many event classes existed then.
        self.event_classes: tuple[int, Mapping[str, type[DomainEvent]]] = (-1, {})

    def unstructure_items(self, tp: Any) -> Callable[[tuple[Any, ...]], list[Any]]:
        """A homogeneous tuple as a list, each item by the item type's hook (found once).

        What cattrs' own iterable hook gives, item for item, with a list
        comprehension and no work for an empty tuple (most of an aggregate's
        collections, such as its pending events once stored).
        """
        item = self.conv.get_unstructure_hook(typing.get_args(tp)[0])
        if item is identity:
            return list

        def items(values: tuple[Any, ...]) -> list[Any]:
            return [item(value) for value in values] if values else []

        return items

    def unstructure_optional(self, tp: Any) -> Callable[[Any], Any]:
        """``X | None``: ``None`` kept, anything else by X's hook (passed through if it is)."""
        args = typing.get_args(tp)
        other = args[1] if args[0] is type(None) else args[0]
        handler = self.conv.get_unstructure_hook(other)
        if handler is identity:
            return identity  # cattrs then reads the field directly in the class's function

        def optional(value: Any) -> Any:
            return None if value is None else handler(value)

        return optional

    def unstructure_row(self, cls: type) -> Callable[[tuple[Any, ...]], list[Any]]:
        hints = typing.get_type_hints(cls)
        fields: tuple[str, ...] = getattr(cls, "_fields", ())
        unstructure = self.conv.unstructure

        def row(value: tuple[Any, ...]) -> list[Any]:
            return [
                unstructure(item, hints.get(name, Any))
                for name, item in zip(fields, value, strict=True)
            ]

        return row

    def structure_row(self, cls: type) -> Callable[[object, object], tuple[Any, ...]]:
        hints = typing.get_type_hints(cls)
        fields: tuple[str, ...] = getattr(cls, "_fields", ())
        structure = self.conv.structure

        def row(value: object, _: object) -> tuple[Any, ...]:
            if not isinstance(value, list):
                raise InvalidType(f"must be an array, not {json_type_name(value)}")
            if len(value) != len(fields):
                raise ValidationError(
                    f"must hold exactly {len(fields)} items ({', '.join(fields)})", code="width"
                )
            problems: list[Problem] = []
            items: list[Any] = []
            for index, (name, item) in enumerate(zip(fields, value, strict=True)):
                try:
                    items.append(structure(item, hints.get(name, Any)))
                except Exception as exc:  # noqa: BLE001 - every failure becomes a problem.
                    problems.extend(_problems(exc, f"$[{index}]"))
            if problems:
                raise ValidationError.collect(problems)
            built: tuple[Any, ...] = cls(*items)
            return built

        return row

    def unstructure_untyped(self, value: object) -> Any:
        kind = type(value)
        if kind is object or kind in (str, int, float, bool, type(None)):
            return value
        return self.conv.unstructure(value, kind)

    def unstructure_set(self, values: frozenset[Any]) -> list[Any]:
        return sorted((self.conv.unstructure(x) for x in values), key=repr)

    def structure_set(self, value: object, tp: Any) -> frozenset[Any]:
        if not isinstance(value, list):
            raise InvalidType(f"must be an array, not {json_type_name(value)}")
        if len(value) > MAX_ITEMS:
            raise ValidationError(f"must hold at most {MAX_ITEMS} items", code="too_many")
        (item_type,) = getattr(tp, "__args__", (Any,))
        problems: list[Problem] = []
        items = []
        for index, item in enumerate(value):
            try:
                items.append(self.conv.structure(item, item_type))
            except ValidationError as exc:
                problems.extend(exc.under(f"$[{index}]").problems)
                if len(problems) >= MAX_PROBLEMS:
                    break
        if problems:
            raise ValidationError.collect(problems[:MAX_PROBLEMS])
        return frozenset(items)

    def structure_items(self, value: object, tp: Any) -> tuple[Any, ...]:
        """A homogeneous tuple field: a JSON array, checked for size before any item."""
        if not isinstance(value, (list, tuple)):
            raise InvalidType(f"must be an array, not {json_type_name(value)}")
        if len(value) > MAX_ITEMS:
            raise ValidationError(f"must hold at most {MAX_ITEMS} items", code="too_many")
        item_type = tp.__args__[0]
        structure = self.conv.get_structure_hook(item_type)
        items: list[Any] = []
        problems: list[Problem] = []
        for index, item in enumerate(value):
            try:
                items.append(structure(item, item_type))
            except Exception as exc:  # noqa: BLE001 - every failure becomes a problem.
                problems.extend(_problems(exc, f"$[{index}]"))
                if len(problems) >= MAX_PROBLEMS:
                    break
        if problems:
            raise ValidationError.collect(problems[:MAX_PROBLEMS])
        return tuple(items)

    def limited(self, cls: type) -> Callable[[Any, Any], Any]:
        """The structure function of an attrs class whose fields declare ``max_items``.

        The limits are checked on the document before any item is converted,
        so an oversized list costs nothing but its length.
        """
        inner: Callable[[Any, Any], Any] = make_dict_structure_fn(cls, self.conv)
        limits = {
            field.alias: field.metadata[MAX_ITEMS_KEY]
            for field in attrs.fields(cls)
            if MAX_ITEMS_KEY in field.metadata
        }

        def structure(value: Any, _: Any) -> Any:
            if isinstance(value, dict):
                for key, limit in limits.items():
                    items = value.get(key)
                    if isinstance(items, (list, tuple)) and len(items) > limit:
                        raise ValidationError(
                            f"must hold at most {limit} items", path=f"$.{key}", code="too_many"
                        )
            return inner(value, cls)

        return structure

    def structure_attribute(self, value: object, _: object) -> AttributeValue:
        if not isinstance(value, dict):
            raise InvalidType(f"must be an object with type and value, not {json_type_name(value)}")
        if set(value) != {"type", "value"}:
            raise ValidationError(
                "must be an object with exactly the keys 'type' and 'value'", code="keys"
            )
        tag = value["type"]
        target = _ATTRIBUTE_TYPES.get(tag) if isinstance(tag, str) else None
        if target is None:
            choices = ", ".join(_ATTRIBUTE_TYPES)
            raise ValidationError(f"type must be one of: {choices}", path="$.type", code="choice")
        try:
            result: AttributeValue = self.conv.structure(value["value"], target)
        except ValidationError as exc:
            raise exc.under("$.value") from None
        return result

    def structure_attributes(self, value: object, _: object) -> FrozenMap[str, AttributeValue]:
        if not isinstance(value, dict):
            raise InvalidType(f"must be an object, not {json_type_name(value)}")
        problems: list[Problem] = []
        out: dict[str, AttributeValue] = {}
        for key, item in value.items():
            if not isinstance(key, str):
                problems.append(Problem("$", "keys must be strings", "type"))
                continue
            try:
                out[key] = self.structure_attribute(item, None)
            except ValidationError as exc:
                # The key is not named: a document's keys can be personal data.
                problems.extend(exc.under("$[*]").problems)
        if problems:
            raise ValidationError.collect(problems)
        return FrozenMap(out)

    def structure_name(self, value: object, _: object) -> PersonName | OrganizationName:
        if isinstance(value, dict) and "legal" in value:
            return self.conv.structure(value, OrganizationName)
        return self.conv.structure(value, PersonName)

    def unstructure_event(self, event: DomainEvent) -> dict[str, Any]:
        cls = type(event)
        fn = self.unstructure_fns.get(cls)
        if fn is None:
            fn = self.unstructure_fns[cls] = self._event_plan(cls)
        return fn(event)

    def _event_plan(self, cls: type[DomainEvent]) -> Callable[[Any], dict[str, Any]]:
        """The document of an event of ``cls``: its envelope keys, then its fields."""
        fields = make_dict_unstructure_fn(cls, self.conv)
        name = cls.__name__
        kind: object = cls.aggregate_kind
        base = DomainEvent.__dict__
        if not (
            isinstance(kind, str)
            and getattr(cls, "event_id", None) is base["event_id"]
            and getattr(cls, "aggregate_id", None) is base["aggregate_id"]
        ):
            # A class that computes its envelope its own way: ask the event itself.
            def described(event: DomainEvent) -> dict[str, Any]:
                return {
                    "type": name,
                    "event_id": event.event_id,
                    "aggregate_kind": event.aggregate_kind,
                    "aggregate_id": event.aggregate_id,
                    **fields(event),
                }

            return described
        read_id = operator.attrgetter(cls.aggregate_id_field)

        def document(event: DomainEvent) -> dict[str, Any]:
            # DomainEvent.aggregate_id and .event_id, computed once for both keys.
            value: object = read_id(event)
            ident = value.value if isinstance(value, Identifier) else str(value)
            return {
                "type": name,
                "event_id": f"{kind}:{ident}#{event.sequence}",
                "aggregate_kind": kind,
                "aggregate_id": ident,
                **fields(event),
            }

        return document

    def event_type(self, tag: str) -> type[DomainEvent] | None:
        """``event_types().get(tag)``, without walking every event class on each call.

        The walk's result is kept with the count of event classes defined so
        far (:func:`~crmcore._kernel._events.event_classes_defined`) and walked
        again when a class was defined since, when ``tag`` is not found, or
        when the class found is no longer its module's (a reloaded module):
        the answer is always the one a new walk would give.
        """
        defined = event_classes_defined()
        seen, classes = self.event_classes
        cls = classes.get(tag) if seen == defined else None
        if cls is not None and _still_defined(cls):
            return cls
        classes = event_types()
        self.event_classes = (defined, classes)
        return classes.get(tag)

    def structure_event(self, value: object, declared: type[DomainEvent]) -> DomainEvent:
        if not isinstance(value, dict):
            raise InvalidType(f"must be an object, not {json_type_name(value)}")
        tag = value.get("type")
        cls = self.event_type(tag) if isinstance(tag, str) else None
        if cls is None or not issubclass(cls, declared):
            raise ValidationError(
                "type must name a known event class", path="$.type", code="event_type"
            )
        fn = self.structure_fns.get(cls)
        if fn is None:
            fn = self.structure_fns[cls] = make_dict_structure_fn(cls, self.conv)
        body = {k: v for k, v in value.items() if k not in _DERIVED_EVENT_KEYS}
        result: DomainEvent = fn(body, cls)
        for key in _DERIVED_EVENT_KEYS[1:]:
            if key in value and value[key] != getattr(result, key):
                raise ValidationError(
                    "must match the event's other fields", path=f"$.{key}", code="envelope"
                )
        return result


def _still_defined(cls: type) -> bool:
    """Whether ``cls`` is still the class its module names (as ``event_types()`` requires)."""
    module = sys.modules.get(cls.__module__)
    return getattr(module, cls.__qualname__, None) is cls


#: Keys of an event document derived from its other fields: written for readers, checked on load.
_DERIVED_EVENT_KEYS: Final = ("type", "event_id", "aggregate_kind", "aggregate_id")


def make_converter() -> cattrs.Converter:
    """A new converter configured the way :func:`to_dict` and :func:`from_dict` use it.

    Use it to extend serialization to your own attrs classes without touching
    crmcore's converter.
    """
    return _build_converter(plans=True)


def _build_converter(*, plans: bool) -> cattrs.Converter:
    """The converter; ``plans=False`` leaves out the faster hooks (the reference for tests).

    The faster hooks give the same documents: tuples and optional values by
    hooks resolved once per type, identifiers and decimals by C-level getters.
    """
    return _converter_and_hooks(plans=plans)[0]


def _converter_and_hooks(*, plans: bool) -> tuple[cattrs.Converter, _Hooks]:
    conv = cattrs.Converter(forbid_extra_keys=True, detailed_validation=True)
    hooks = _Hooks(conv)
    for scalar, structure in (
        (str, _strict_str),
        (int, _strict_int),
        (bool, _strict_bool),
        (Decimal, _structure_decimal),
        (datetime, _structure_datetime),
        (date, _structure_date),
    ):
        conv.register_structure_hook(scalar, structure)
    conv.register_unstructure_hook(Decimal, _decimal_text)
    conv.register_unstructure_hook(datetime, datetime.isoformat)
    conv.register_unstructure_hook(date, date.isoformat)
    # cattrs would pass str-based enums through as members; JSON-ready means plain values.
    conv.register_unstructure_hook(StrEnum, _enum_value)
    conv.register_unstructure_hook(Enum, _enum_value)
    conv.register_structure_hook(StrEnum, _structure_enum)
    conv.register_structure_hook(Enum, _structure_enum)
    conv.register_structure_hook_factory(_has_limits, hooks.limited)
    conv.register_structure_hook_func(_is_identifier, _structure_identifier)
    conv.register_unstructure_hook_func(_is_identifier, lambda i: i.value)
    conv.register_unstructure_hook_func(_is_set, hooks.unstructure_set)
    conv.register_structure_hook_func(_is_set, hooks.structure_set)
    conv.register_structure_hook_func(_is_items, hooks.structure_items)
    conv.register_structure_hook_func(_is_attribute_union, hooks.structure_attribute)
    conv.register_unstructure_hook_func(_is_attribute_union, _unstructure_attribute)
    conv.register_structure_hook_func(_is_frozen_map, hooks.structure_attributes)
    conv.register_unstructure_hook_func(
        _is_frozen_map, lambda m: {k: _unstructure_attribute(v) for k, v in m.items()}
    )
    conv.register_structure_hook_func(_is_name_union, hooks.structure_name)
    conv.register_unstructure_hook(relativedelta, _unstructure_window)
    conv.register_structure_hook(relativedelta, _structure_window)
    # Rows (NamedTuples) are written as arrays of their fields, each by its annotation.
    conv.register_unstructure_hook_factory(_is_named_tuple, hooks.unstructure_row)
    conv.register_structure_hook_factory(_is_named_tuple, hooks.structure_row)
    # A field annotated ``object`` (what a rule read) is written by the value's own type.
    conv.register_unstructure_hook_func(_is_untyped, hooks.unstructure_untyped)
    # ... and read back as the JSON value it became (its size was bounded by the shape check).
    conv.register_structure_hook_func(_is_untyped, _as_read)
    conv.register_unstructure_hook_func(_is_event_type, hooks.unstructure_event)
    conv.register_structure_hook_func(_is_event_type, hooks.structure_event)
    # Capabilities with recursive or tagged documents bring their own hooks.
    register_rule_hooks(conv)
    if plans:
        # Same documents, cheaper: registered last, so these win over the hooks above.
        conv.register_unstructure_hook(Decimal, operator.methodcaller("__format__", "f"))
        conv.register_unstructure_hook_func(_is_identifier, operator.attrgetter("value"))
        conv.register_unstructure_hook_factory(_is_plain_items, hooks.unstructure_items)
        conv.register_unstructure_hook_factory(_is_plain_optional, hooks.unstructure_optional)
    return conv, hooks


_CONVERTER, _HOOKS = _converter_and_hooks(plans=True)


def to_dict(obj: object) -> dict[str, Any]:
    """Turn a crmcore object into a JSON-ready dict with ``schema_version`` at the top.

    Raises:
        InvalidType: ``obj`` is not a crmcore attrs object.
    """
    document = _document_functions_of(type(obj))
    if document is not None:
        data = document[0](obj)
        data["schema_version"] = SCHEMA_VERSION
        return data
    if not attrs.has(type(obj)):
        raise InvalidType(f"must be a crmcore object, not {type_name(obj)}", path="$")
    try:
        data = _CONVERTER.unstructure(obj)
    except Exception:  # noqa: BLE001 - a class that is not a document (it holds code or specs)
        raise InvalidType(
            f"cannot be serialized: a {type_name(obj)} is not a document", path="$"
        ) from None
    if not isinstance(data, dict):  # identifiers unstructure to plain strings
        raise InvalidType(f"cannot be serialized on its own: {type_name(obj)}", path="$")
    data["schema_version"] = SCHEMA_VERSION
    return data


def from_dict(cls: type[T], data: object) -> T:
    """Rebuild an object of ``cls`` from a dict made by :func:`to_dict` (or by hand).

    For events, pass :class:`~crmcore.DomainEvent` (or a subclass) and the
    document's ``type`` picks the class.

    Raises:
        SchemaVersionError: ``schema_version`` is missing or not one this release reads.
        ValidationError: anything else is wrong; ``problems`` lists every fault with its path.
    """
    document = _document_functions_of(cls)
    if document is not None:
        return _from_column_document(document[1], data)  # type: ignore[no-any-return]
    if not (attrs.has(cls) or is_rule_type(cls)):
        given: object = cls
        shown = given.__name__ if isinstance(given, type) else type_name(given)
        raise InvalidType(f"must be a crmcore class, not {shown}", path="$.cls")
    if not isinstance(data, dict):
        raise InvalidType(f"must be an object, not {json_type_name(data)}", path="$")
    _check_shape(data)
    version = data.get("schema_version")
    if type(version) is not int or version not in SUPPORTED_SCHEMA_VERSIONS:
        supported = ", ".join(str(v) for v in SUPPORTED_SCHEMA_VERSIONS)
        raise SchemaVersionError(
            f"must be a supported schema version ({supported})", path="$.schema_version"
        )
    body = {k: v for k, v in data.items() if k != "schema_version"}
    if version == 1:
        body = _upgrade_v1(cls, body)
    if issubclass(cls, Aggregate):
        # An aggregate whose stored shape changed within a schema version reads its
        # older documents through its own upgrade (an order's one status, split in three).
        body = cls._upgrade_document(body)
    try:
        result = _CONVERTER.structure(body, cls)
    except Exception as exc:  # noqa: BLE001 - every failure becomes a ValidationError.
        raise _to_validation_error(exc) from None
    if not isinstance(result, cls):
        raise ValidationError(
            f"describes a {type_name(result)}, not a {cls.__name__}", path="$.type", code="type"
        )
    return result


#: Writers and readers of the classes whose documents are columns (not attrs classes).
_DocumentFunctions = tuple[Callable[[Any], dict[str, Any]], Callable[[Mapping[str, Any]], Any]]


def _document_functions_of(cls: object) -> _DocumentFunctions | None:
    """The document functions of ``cls``, if it is one of the summary state's classes.

    Only a class of ``crmcore.clv.summaries`` can be one, so any other class is
    answered without importing the CLV package (about 0.4 s on first use).
    """
    module = getattr(cls, "__module__", "")
    if (
        not isinstance(cls, type)
        or not isinstance(module, str)
        or not module.startswith("crmcore.clv.summaries.")
    ):
        return None
    return _document_functions().get(cls)


def _document_functions() -> Mapping[type, _DocumentFunctions]:
    """The summary state's document functions (imported on first use: the CLV package is large)."""
    from crmcore.clv.summaries import column_documents  # noqa: PLC0415 - loads crmcore.clv on use.

    return column_documents()


def _from_column_document(read: Callable[[Mapping[str, Any]], Any], data: object) -> Any:
    """Check a column document's shape and version, then read it (columns of many rows)."""
    from crmcore.clv.summaries import MAX_DOCUMENT_ROWS  # noqa: PLC0415 - loaded already.

    if not isinstance(data, dict):
        raise InvalidType(f"must be an object, not {json_type_name(data)}", path="$")
    _check_shape(data, max_items=MAX_DOCUMENT_ROWS, max_nodes=16 * MAX_DOCUMENT_ROWS)
    version = data.get("schema_version")
    if type(version) is not int or version != SCHEMA_VERSION:
        raise SchemaVersionError(
            f"must be schema version {SCHEMA_VERSION} (the first to hold this document)",
            path="$.schema_version",
        )
    return read({k: v for k, v in data.items() if k != "schema_version"})


def _upgrade_v1(cls: type, body: dict[str, Any]) -> dict[str, Any]:
    """A schema-1 document in the shape of schema 2 (see :data:`SCHEMA_VERSION`)."""
    if issubclass(cls, DomainEvent):
        raise SchemaVersionError(
            "events of schema version 1 cannot be read: their envelope cannot be rebuilt",
            path="$.schema_version",
        )
    if not issubclass(cls, Aggregate):
        return body
    if body.get("pending_events"):
        raise SchemaVersionError(
            "a schema version 1 document with pending events cannot be read: "
            "their envelope cannot be rebuilt",
            path="$.pending_events",
        )
    renames = _v1_renames(cls, body)
    upgraded = {renames.get(key, key): value for key, value in body.items()}
    upgraded.setdefault("sequence", 0)
    return upgraded


def _v1_renames(cls: type, body: Mapping[str, Any]) -> Mapping[str, str]:
    # A document for a base class (a survey response) names its concrete class in "type".
    tag = body.get("type")
    if isinstance(tag, str):
        for sub in _subclasses(cls):
            if sub.__name__ == tag:
                renames: Mapping[str, str] = getattr(sub, "v1_renames", {})
                return renames
    return cls.v1_renames  # type: ignore[attr-defined, no-any-return]


def _subclasses(cls: type) -> list[type]:
    found, pending = [], [cls]
    while pending:
        current = pending.pop()
        found.append(current)
        pending.extend(current.__subclasses__())
    return found


def _check_shape(
    data: object, *, max_items: int | None = None, max_nodes: int | None = None
) -> None:
    """Refuse a hostile document before converting any of it, after a bounded amount of work.

    Iteratively (no recursion), and before descending into a container: nesting
    deeper than :data:`MAX_DEPTH`, a list of more than :data:`MAX_ITEMS` items,
    more than :data:`MAX_NODES` values in all, a string longer than
    :data:`MAX_STRING` characters. A list's length is read, never walked, so
    a list of a million items costs no more than one of ten.
    """
    # The module's limits are read when called (a column document passes its own).
    max_items = MAX_ITEMS if max_items is None else max_items
    max_nodes = MAX_NODES if max_nodes is None else max_nodes
    max_depth = MAX_DEPTH
    max_string = MAX_STRING
    # Each entry: a value, its depth, and how to name it (its parent's entry and its key).
    stack: list[tuple[object, int, object]] = [(data, 0, None)]
    nodes = 0
    while stack:
        entry = stack.pop()
        value, depth, _ = entry
        if depth > max_depth:
            raise ValidationError(
                f"must not be nested more than {max_depth} levels deep",
                path=_path_of(entry),
                code="too_deep",
            )
        if isinstance(value, str):
            if len(value) > max_string:
                raise ValidationError(
                    f"must be at most {max_string} characters",
                    path=_path_of(entry),
                    code="too_long",
                )
            continue
        if isinstance(value, (list, tuple)) and len(value) > max_items:
            raise ValidationError(
                f"must hold at most {max_items} items", path=_path_of(entry), code="too_many"
            )
        nodes += len(value)  # type: ignore[arg-type]
        if nodes > max_nodes:
            raise ValidationError(f"must hold at most {max_nodes} values", code="too_large")
        _push_children(stack, entry, max_depth, max_string)


def _push_children(
    stack: list[tuple[object, int, object]],
    entry: tuple[object, int, object],
    max_depth: int,
    max_string: int,
) -> None:
    """Push the children of a container entry that :func:`_check_shape` must still look at.

    Containers, and strings that break a limit; a string within the limits is
    left out, as checking it could not fail (nor count: only containers add to
    the count of values), so the first fault found is the same. So are numbers,
    booleans and nulls, told by their exact type at once.
    """
    value, depth, _ = entry
    pairs = value.items() if isinstance(value, dict) else enumerate(value)  # type: ignore[arg-type]
    depth += 1
    for key, child in pairs:
        kind = type(child)
        if kind is str:
            if depth <= max_depth and len(child) <= max_string:
                continue
        elif kind in _LEAVES or not isinstance(child, (dict, list, tuple, str)):
            continue
        stack.append((child, depth, (entry, key)))


#: Exact types of the values :func:`_check_shape` never descends into (nor counts).
_LEAVES: Final = frozenset({type(None), bool, int, float, Decimal})


def _path_of(entry: tuple[object, int, object]) -> str:
    """The JSONPath-like name of a shape-check entry (keys that are not names become ``[*]``)."""
    parts: list[str] = []
    link: Any = entry[2]
    while link is not None:
        parent: Any = link[0]
        key: object = link[1]
        if isinstance(key, int):
            parts.append(f"[{key}]")
        elif isinstance(key, str) and _FIELD_NAME.fullmatch(key) is not None:
            parts.append(f".{key}")
        else:
            parts.append("[*]")
        link = parent[2]
    return "$" + "".join(reversed(parts))


def _to_validation_error(exc: BaseException) -> ValidationError:
    problems = _problems(exc, "$")
    if not problems:
        problems = [Problem("$", "has the wrong shape", "invalid")]
    error_cls = (
        InvalidType if all(p.code in {"type", "float"} for p in problems) else ValidationError
    )
    return error_cls.collect(problems)


def _problems(exc: BaseException, path: str) -> list[Problem]:
    """Flatten cattrs' exception groups into problems with full paths."""
    if isinstance(exc, ValidationError):
        return [Problem(join_path(path, p.path), p.rule, p.code) for p in exc.problems]
    if isinstance(exc, ClassValidationError):
        found: list[Problem] = []
        with_notes, without = exc.group_exceptions()
        for sub, note in with_notes:
            if isinstance(sub, KeyError):
                found.append(Problem(f"{path}.{note.name}", "is required", "required"))
            else:
                found.extend(_problems(sub, f"{path}.{note.name}"))
        for sub in without:
            found.extend(_problems(sub, path))
        return found
    if isinstance(exc, IterableValidationError):
        items: list[Problem] = []
        with_index, rest = exc.group_exceptions()
        for sub, index_note in with_index:
            # A list position is shown; a mapping key is not (keys can be personal data).
            index = index_note.index
            items.extend(_problems(sub, f"{path}[{index if isinstance(index, int) else '*'}]"))
        for sub in rest:
            items.extend(_problems(sub, path))
        return items
    if isinstance(exc, BaseExceptionGroup):
        return [p for sub in exc.exceptions for p in _problems(sub, path)]
    return [_leaf_problem(exc, path)]


def _leaf_problem(exc: BaseException, path: str) -> Problem:
    if isinstance(exc, ForbiddenExtraKeysError):
        # Key names are not echoed: a document's keys can be personal data too.
        count = len(exc.extra_fields)
        return Problem(path, f"has {count} unknown key{'s' if count > 1 else ''}", "unknown_keys")
    rules = {
        KeyError: ("is missing a required key", "required"),
        TypeError: ("has the wrong type or shape", "type"),
        AttributeError: ("has the wrong type or shape", "type"),
        RecursionError: ("is nested too deeply", "too_deep"),
    }
    for kind, (rule, code) in rules.items():
        if isinstance(exc, kind):
            return Problem(path, rule, code)
    return Problem(path, "is not valid", "invalid")
