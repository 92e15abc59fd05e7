"""Strategies for domain events of every aggregate.

Events are drawn field by field from their declared types, with the envelope
(sequence, time, actor, correlation and causation ids) drawn the same way for
every event. Value types that carry their own rules (payments, order lines,
escalations, ...) come from their own strategies, so every event drawn is one
its class accepts; a few fields are pinned where the class name already says
the value (a ``CaseResolved`` always moves the case to ``resolved``).
"""

from __future__ import annotations

import functools
import importlib
import types
import typing
from collections.abc import Callable, Iterable
from datetime import date, datetime
from decimal import Decimal
from enum import StrEnum
from typing import Any

import attrs
from hypothesis import strategies as st

from crmcore._kernel._checks import tuple_of, type_name
from crmcore._kernel._events import DomainEvent, event_types
from crmcore._kernel._ids import CustomerId, Identifier
from crmcore._kernel._money import Money
from crmcore.errors import InvalidType, ValidationError
from crmcore.testing._capabilities import CAPABILITY_PACKAGES
from crmcore.testing.strategies._base import (
    _id_texts,
    _non_empty,
    _snake_names,
    aware_datetimes,
    customer_ids,
    moneys,
)


@functools.cache
def _event_classes() -> tuple[type[DomainEvent], ...]:
    for package in CAPABILITY_PACKAGES:
        importlib.import_module(package)
    found = event_types()
    return tuple(
        found[name] for name in sorted(found) if found[name].__module__.startswith("crmcore.")
    )


@functools.cache
def _event_times() -> st.SearchStrategy[datetime]:
    return aware_datetimes()


def _optional_ids() -> st.SearchStrategy[str | None]:
    return st.none() | _id_texts("ref")


def _envelope() -> dict[str, st.SearchStrategy[Any]]:
    return {
        "sequence": st.integers(min_value=1, max_value=10**6),
        "occurred_at": _event_times(),
        "actor": _optional_ids(),
        "correlation_id": _optional_ids(),
        "causation_id": _optional_ids(),
    }


def _value_strategies() -> dict[Any, Callable[[], st.SearchStrategy[Any]]]:
    """Strategies for the value types events carry, from their own public strategies."""
    found: dict[Any, Callable[[], st.SearchStrategy[Any]]] = {
        datetime: _event_times,
        date: lambda: st.dates(min_value=date(2000, 1, 1), max_value=date(2099, 12, 31)),
        bool: st.booleans,
        int: lambda: st.integers(min_value=0, max_value=10**6),
        Decimal: lambda: st.decimals(min_value=0, max_value=10**9, places=2),
        str: _snake_names,
        Money: lambda: moneys(min_value=0, max_value=10**9),
        CustomerId: customer_ids,
    }
    for module in _capability_modules():
        found.update(getattr(module, "EVENT_VALUES", {}))
    return found


def _capability_modules() -> tuple[Any, ...]:
    names = (
        "_customers",
        "_interactions",
        "_commerce",
        "_service",
        "_feedback",
        "_loyalty",
        "_sales",
        "_relationships",
        "_teams",
        "_activities",
        "_notes",
        "_lifecycle",
        "_catalog",
    )
    return tuple(importlib.import_module(f"crmcore.testing.strategies.{n}") for n in names)


def _pinned(cls: type[Any]) -> dict[str, st.SearchStrategy[Any]]:
    """Fields the class fixes or constrains: each capability module's ``EVENT_FIELDS``."""
    fixed: dict[str, st.SearchStrategy[Any]] = {}
    for module in _capability_modules():
        for name, make in getattr(module, "EVENT_FIELDS", {}).get(cls.__name__, {}).items():
            fixed[name] = make()
    return fixed


def _typed(
    cls: type[Any], values: dict[Any, Callable[[], st.SearchStrategy[Any]]]
) -> st.SearchStrategy[Any]:
    """Instances of an attrs class, each field drawn from its declared type.

    A capability's ``EVENT_FIELDS`` entry may constrain single fields, or give
    under the key ``"*"`` a strategy of a dict of fields drawn together (a
    status move whose two ends must be an allowed step).
    """
    hints = typing.get_type_hints(cls)
    fields: dict[str, st.SearchStrategy[Any]] = {}
    envelope = _envelope() if issubclass(cls, DomainEvent) else {}
    pinned = _pinned(cls)
    joint = pinned.pop("*", None)
    for field in attrs.fields(cls):
        if not field.init:
            continue
        if field.name in pinned:
            fields[field.name] = pinned[field.name]
        elif field.name in envelope:
            fields[field.name] = envelope[field.name]
        else:
            fields[field.name] = _of_type(hints[field.name], values)
    if joint is None:
        return st.builds(cls, **fields)
    return st.tuples(st.fixed_dictionaries(fields), joint).map(functools.partial(_build_joint, cls))


def _build_joint(cls: type[Any], drawn: tuple[dict[str, Any], dict[str, Any]]) -> Any:
    return cls(**{**drawn[0], **drawn[1]})


def _of_type(
    tp: Any, values: dict[Any, Callable[[], st.SearchStrategy[Any]]]
) -> st.SearchStrategy[Any]:
    args = typing.get_args(tp)
    origin = typing.get_origin(tp)
    if origin in (typing.Union, types.UnionType):
        inner = st.one_of(*(_of_type(a, values) for a in args if a is not type(None)))
        return st.none() | inner if type(None) in args else inner
    if origin is tuple and len(args) == 2 and args[1] is Ellipsis:
        return st.lists(_of_type(args[0], values), min_size=1, max_size=3).map(tuple)
    if tp in values:
        return values[tp]()
    if isinstance(tp, type) and issubclass(tp, Identifier):
        return _id_texts(tp.__name__.removesuffix("Id").lower()).map(tp)
    if isinstance(tp, type) and issubclass(tp, StrEnum):
        return st.sampled_from(tp)
    if isinstance(tp, type) and attrs.has(tp):
        return _typed(tp, values)
    raise InvalidType(f"has no strategy for fields of type {tp!r}", path="$.types")


def domain_events(
    *, types: Iterable[type[DomainEvent]] | None = None
) -> st.SearchStrategy[DomainEvent]:
    """Valid domain events of every crmcore aggregate.

    Customers (and their lifecycles), orders, subscriptions, interactions,
    service cases, survey responses, reviews, loyalty accounts, leads,
    opportunities and segments. Every event carries a valid envelope
    (sequence, time, optional actor, correlation and causation ids); its own
    fields are drawn from their declared types, values such as payments and
    order lines from their own strategies, and fields the class name fixes
    (``CaseResolved`` moves to ``resolved``) are pinned.

    Args:
        types: the event classes to draw (concrete events, or a base such as
            ``CustomerEvent`` standing for its subclasses); every known event by
            default.

    Raises:
        InvalidType: an item that is not a DomainEvent class.
        ValidationError: an event class these strategies do not know, or an
            empty ``types``.
    """
    known = _event_classes()
    if types is None:
        return _domain_events(known)
    picked = tuple_of(types, "$.types", _event_type)
    chosen = tuple(cls for cls in known if any(issubclass(cls, b) for b in picked))
    return _domain_events(_non_empty(chosen, "$.types"))


@functools.lru_cache(maxsize=256)
def _domain_events(chosen: tuple[type[DomainEvent], ...]) -> st.SearchStrategy[DomainEvent]:
    values = _value_strategies()
    return st.one_of(*(_deferred(cls, values) for cls in chosen))


def _deferred(
    cls: type[DomainEvent], values: dict[Any, Callable[[], st.SearchStrategy[Any]]]
) -> st.SearchStrategy[Any]:
    def build() -> st.SearchStrategy[Any]:
        return _typed(cls, values)

    return st.deferred(build)


def _event_type(value: object, path: str) -> type[DomainEvent]:
    if not (isinstance(value, type) and issubclass(value, DomainEvent)):
        raise InvalidType(f"must be a DomainEvent class, not {type_name(value)}", path=path)
    if not any(issubclass(cls, value) for cls in _event_classes()):
        raise ValidationError(
            "must be an event class these strategies know", path=path, code="event_type"
        )
    return value
