"""The checks of ``segment.audience(...)``: its customers, purpose, time and facts."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from operator import attrgetter
from typing import Final

from crmcore._kernel._checks import distinct_items, enum_converter, require_aware, type_name
from crmcore._kernel._ids import CustomerId
from crmcore.customers import Customer, ProcessingPurpose
from crmcore.errors import InvalidType, ValidationError

#: Most customers one ``audience`` call looks at.
MAX_AUDIENCE_CUSTOMERS: Final = 100_000


def check_customers(customers: object) -> list[Customer]:
    """The customers of an ``audience`` call: checked, bounded, each id once."""
    return distinct_items(
        customers,
        Customer,
        attrgetter("id"),
        "$.customers",
        max_items=MAX_AUDIENCE_CUSTOMERS,
        noun="customers",
        what="a Customer",
        repeated="names a customer already given",
    )


def check_purpose(purpose: object) -> ProcessingPurpose:
    """A processing purpose by value or member."""
    return enum_converter(ProcessingPurpose, "$.purpose")(purpose)


def check_at(at: object) -> datetime:
    """The instant of an audience: timezone-aware."""
    return require_aware(at, "$.at")


def check_facts(facts: object) -> Mapping[CustomerId, Mapping[str, object]]:
    """Facts per customer id (each checked by ``snapshot`` when it is used)."""
    if facts is None:
        return {}
    if not isinstance(facts, Mapping):
        raise InvalidType(f"must map customer ids to facts, not {type_name(facts)}", path="$.facts")
    return facts


def missing_customer() -> ValidationError:
    """A held member was not given as a customer (the id is never echoed)."""
    return ValidationError(
        "must hold every member the segment lists (a member's decisions cannot be asked)",
        path="$.customers",
        code="missing_customer",
    )
