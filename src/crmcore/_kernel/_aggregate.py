"""Helpers every aggregate uses: typed id fields, the version and pending events."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, TypeVar

import attrs

from crmcore._kernel._checks import instance_of, tuple_of, type_name
from crmcore._kernel._events import DomainEvent
from crmcore._kernel._ids import Identifier
from crmcore.errors import InvalidType, ValidationError

__all__ = ["check_version", "optional_typed_id", "pending_events", "typed_id"]


IdT = TypeVar("IdT", bound=Identifier)


def typed_id(cls: type[IdT], path: str) -> Callable[[object, attrs.Attribute[Any], IdT], None]:
    """An attrs validator: the value must be exactly an identifier of ``cls``."""

    def check(_: object, __: attrs.Attribute[Any], value: object) -> None:
        if type(value) is not cls:
            raise InvalidType(f"must be a {cls.__name__}, not {type_name(value)}", path=path)

    return check


def optional_typed_id(
    cls: type[IdT], path: str
) -> Callable[[object, attrs.Attribute[Any], IdT | None], None]:
    """Like :func:`typed_id`, letting ``None`` through."""
    check = typed_id(cls, path)

    def run(instance: object, attribute: attrs.Attribute[Any], value: IdT | None) -> None:
        if value is not None:
            check(instance, attribute, value)

    return run


def check_version(_: object, __: attrs.Attribute[Any], value: object) -> None:
    """An attrs validator for an aggregate's ``version``: an int of 0 or more."""
    if isinstance(value, bool) or not isinstance(value, int):
        raise InvalidType(f"must be an int, not {type_name(value)}", path="$.version")
    if value < 0:
        raise ValidationError("must be 0 or more", path="$.version", code="negative")


def pending_events(value: object) -> tuple[DomainEvent, ...]:
    """Convert an aggregate's ``pending_events`` to a tuple of events."""
    if type(value) is tuple and all(isinstance(e, DomainEvent) for e in value):
        return value
    return tuple_of(value, "$.pending_events", instance_of(DomainEvent, "a DomainEvent"))
