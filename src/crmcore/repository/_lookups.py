"""Helpers of the secondary lookups: index values of aggregates, checked lookup arguments."""

from __future__ import annotations

from enum import StrEnum
from typing import Any, TypeVar

from crmcore._kernel._checks import enum_converter, type_name
from crmcore._kernel._ids import Identifier
from crmcore.errors import InvalidType

E = TypeVar("E", bound=StrEnum)


def optional_id(identifier: Identifier | None) -> tuple[str, ...]:
    """The index values of an optional link: its id, or none."""
    return () if identifier is None else (identifier.value,)


def by_customer(aggregate: Any) -> tuple[str, ...]:
    """The ``customer`` index of any aggregate with a ``customer_id`` (maybe ``None``)."""
    return optional_id(aggregate.customer_id)


def by_status(aggregate: Any) -> tuple[str, ...]:
    """The ``status`` index of any aggregate with a StrEnum ``status``."""
    return (aggregate.status.value,)


def id_argument(value: object, cls: type[Identifier], path: str) -> str:
    """The index value of an id argument, which must be exactly an identifier of ``cls``."""
    if type(value) is not cls:
        raise InvalidType(f"must be a {cls.__name__}, not {type_name(value)}", path=path)
    return value.value


def choice_argument(value: object, enum: type[E], path: str) -> str:
    """The index value of an enum argument, given as a member or its value."""
    return enum_converter(enum, path)(value).value
