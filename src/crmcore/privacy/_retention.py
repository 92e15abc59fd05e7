"""Retention policies: when records are anonymised or deleted, and a pure query of what is due.

A :class:`RetentionPolicy` holds at most one :class:`RetentionRule` per record
kind (an aggregate's ``aggregate_kind``: ``"customer"``, ``"order"``, ...).
A rule acts ``after_months`` without activity (the record's ``updated_at``)
or ``after_years`` after the customer's last order (accounting records must
be kept that long). :func:`due_for_retention` says which records are due at
a time; it changes nothing.

>>> policy = RetentionPolicy(
...     [
...         RetentionRule("interaction", action="anonymise", after_months=24),
...         RetentionRule("order", action="anonymise", after_years=10),
...     ]
... )
>>> policy.rule_for("order").after_years
10
"""

from __future__ import annotations

from collections.abc import Collection, Iterable, Mapping
from datetime import datetime
from enum import StrEnum
from typing import Any, Final

import attrs
from dateutil.relativedelta import relativedelta

from crmcore._kernel._aggregate import Aggregate
from crmcore._kernel._checks import enum_converter, instance_of, require_aware, tuple_of, type_name
from crmcore._kernel._ids import CustomerId, Identifier
from crmcore._kernel._personal import HoldsPersonalData
from crmcore._kernel._refs import RecordRef
from crmcore.errors import InvalidType, ValidationError

#: The record kinds a retention rule may name (the kernel aggregates' kinds).
RETENTION_KINDS: Final = frozenset(
    {
        "activity",
        "case",
        "customer",
        "interaction",
        "lead",
        "loyalty_account",
        "note",
        "opportunity",
        "order",
        "privacy_request",
        "relationship",
        "subscription",
        "survey_response",
    }
)
#: The longest period without activity a rule may name, in months (50 years).
MAX_RETENTION_MONTHS: Final = 600
#: The longest period after the last order a rule may name, in years.
MAX_RETENTION_YEARS: Final = 50
#: Most records :func:`due_for_retention` looks at in one call.
MAX_RETENTION_RECORDS: Final = 1_000_000


class RetentionAction(StrEnum):
    """What happens to a record when its retention period ends."""

    ANONYMISE = "anonymise"
    DELETE = "delete"


def _rule_kind(value: object) -> str:
    if not isinstance(value, str):
        raise InvalidType(f"must be a str, not {type_name(value)}", path="$.kind")
    if value not in RETENTION_KINDS:
        raise ValidationError(
            f"must be a record kind: {', '.join(sorted(RETENTION_KINDS))}",
            path="$.kind",
            code="choice",
        )
    return value


def _rule_action(value: object) -> RetentionAction:
    return enum_converter(RetentionAction, "$.action")(value)


def _bounded(maximum: int) -> Any:
    def check(_: object, attribute: attrs.Attribute[Any], value: object) -> None:
        path = f"$.{attribute.name}"
        if value is None:
            return
        if isinstance(value, bool) or not isinstance(value, int):
            raise InvalidType(f"must be an int or None, not {type_name(value)}", path=path)
        if not 1 <= value <= maximum:
            raise ValidationError(f"must be from 1 to {maximum}", path=path, code="range")

    return check


@attrs.frozen(slots=True)
class RetentionRule:
    """One record kind's retention: ``action`` after ``after_months`` idle or ``after_years``.

    Exactly one of ``after_months`` (months since the record's ``updated_at``)
    and ``after_years`` (years since the customer's last order) is given.

    >>> RetentionRule("note", action="delete", after_months=12, after_years=1)
    Traceback (most recent call last):
    ...
    crmcore.errors.ValidationError: $.after_years: must not be given with after_months (give one period)

    .. versionadded:: 0.1
    """

    kind: str = attrs.field(converter=_rule_kind)
    action: RetentionAction = attrs.field(converter=_rule_action, kw_only=True)
    after_months: int | None = attrs.field(
        default=None, validator=_bounded(MAX_RETENTION_MONTHS), kw_only=True
    )
    after_years: int | None = attrs.field(
        default=None, validator=_bounded(MAX_RETENTION_YEARS), kw_only=True
    )

    def __attrs_post_init__(self) -> None:
        if self.after_months is not None and self.after_years is not None:
            raise ValidationError(
                "must not be given with after_months (give one period)",
                path="$.after_years",
                code="contradictory",
            )
        if self.after_months is None and self.after_years is None:
            raise ValidationError(
                "must be given, or after_years", path="$.after_months", code="missing"
            )


def _rule_item(value: object, path: str) -> RetentionRule:
    return instance_of(RetentionRule, "a RetentionRule")(value, path)


def _policy_rules(value: object) -> tuple[RetentionRule, ...]:
    rules = tuple_of(value, "$.rules", _rule_item, max_items=len(RETENTION_KINDS))
    seen: set[str] = set()
    for index, rule in enumerate(rules):
        if rule.kind in seen:
            raise ValidationError(
                "must not give two rules for one record kind",
                path=f"$.rules[{index}].kind",
                code="contradictory",
            )
        seen.add(rule.kind)
    return tuple(sorted(rules, key=lambda rule: rule.kind))


@attrs.frozen(slots=True)
class RetentionPolicy:
    """The retention rules of an organisation, at most one per record kind (kept sorted by kind).

    Serializes with :func:`crmcore.serialization.to_dict` and ``from_dict``.

    .. versionadded:: 0.1
    """

    rules: tuple[RetentionRule, ...] = attrs.field(default=(), converter=_policy_rules)

    def rule_for(self, kind: str) -> RetentionRule | None:
        """The rule for records of ``kind``, if there is one."""
        for rule in self.rules:
            if rule.kind == kind:
                return rule
        return None


@attrs.frozen(slots=True, kw_only=True)
class RetentionDue:
    """A record whose retention period has ended: what to do with it, under which rule, since when.

    ``withheld`` is ``"legal_hold"`` when the record's customer is under a
    legal hold: the record would be due, but must be left as it is.

    .. versionadded:: 0.1
    """

    kind: str
    record_id: Identifier
    customer_id: CustomerId | None
    action: RetentionAction
    rule: RetentionRule
    due_since: datetime
    withheld: str | None = None


def _customer_of(record: Aggregate[Any]) -> CustomerId | None:
    """The customer a record is about: its own id, its ``customer_id``, or its linked customer."""
    if type(record.id) is CustomerId:
        return record.id
    found = getattr(record, "customer_id", None)
    if type(found) is CustomerId:
        return found
    link = getattr(record, "link", None)  # a note or an activity on a customer or an account
    return link.customer_id if type(link) is RecordRef else None


def _nothing_personal_left(record: Aggregate[Any]) -> bool:
    """True for a record whose personal fields all hold their tombstones (anonymised before)."""
    if not isinstance(record, HoldsPersonalData):
        return True
    return record.masked(type(record).personal_fields) is record


def _customer_ids(held: object) -> frozenset[CustomerId]:
    """The customers under a legal hold, each checked."""
    if isinstance(held, (str, bytes)) or not isinstance(held, Iterable):
        raise InvalidType(
            f"must be a collection of CustomerIds, not {type_name(held)}", path="$.held"
        )
    found: set[CustomerId] = set()
    for index, item in enumerate(held):
        if index >= MAX_RETENTION_RECORDS:
            raise ValidationError(
                f"must name at most {MAX_RETENTION_RECORDS} customers",
                path="$.held",
                code="too_many",
            )
        if type(item) is not CustomerId:
            raise InvalidType(
                f"must hold CustomerIds, not {type_name(item)}", path=f"$.held[{index}]"
            )
        found.add(item)
    return frozenset(found)


def _last_orders(value: object) -> dict[CustomerId, datetime]:
    """The customers' last order times, checked: CustomerId keys, aware times."""
    if value is None:
        return {}
    if not isinstance(value, Mapping):
        raise InvalidType(
            f"must be a mapping of CustomerId to datetime, not {type_name(value)}",
            path="$.last_order_at",
        )
    if len(value) > MAX_RETENTION_RECORDS:
        raise ValidationError(
            f"must name at most {MAX_RETENTION_RECORDS} customers",
            path="$.last_order_at",
            code="too_many",
        )
    found: dict[CustomerId, datetime] = {}
    for index, (customer, last) in enumerate(value.items()):
        if type(customer) is not CustomerId:
            raise InvalidType(
                f"must be keyed by CustomerId, not {type_name(customer)}",
                path=f"$.last_order_at[{index}]",
            )
        found[customer] = require_aware(last, f"$.last_order_at[{index}]")
    return found


def _due_since(
    rule: RetentionRule,
    record: Aggregate[Any],
    customer: CustomerId | None,
    orders: Mapping[CustomerId, datetime],
) -> datetime | None:
    """When ``rule`` makes ``record`` due; ``None`` past the last representable date."""
    base = record.updated_at
    if rule.after_years is not None and customer is not None:
        base = orders.get(customer, base)
    try:
        return base + relativedelta(months=rule.after_months or 0, years=rule.after_years or 0)
    except (OverflowError, ValueError):
        return None  # due after the last representable date: never, in practice


def due_for_retention(
    policy: RetentionPolicy,
    records: Iterable[Aggregate[Any]],
    *,
    at: datetime,
    last_order_at: Mapping[CustomerId, datetime] | None = None,
    held: Collection[CustomerId] = (),
) -> list[RetentionDue]:
    """The records due for retention at ``at``, oldest due first (then by kind and id).

    A rule ``after_months`` is due that many months after the record's
    ``updated_at``; a rule ``after_years`` that many years after its
    customer's last order (``last_order_at``), or after the record's own
    ``updated_at`` when the customer's last order is not given (an order is
    never older than its customer's last order). Records of kinds the policy
    names no rule for are never due, nor is a record to anonymise that holds
    nothing personal any more (anonymised before). A record's customer is
    the customer itself, its ``customer_id``, or the customer (or account)
    a note or an activity is linked to. A record whose customer is in
    ``held`` is listed with ``withheld="legal_hold"``: callers act on the
    others only.

    Raises:
        ValidationError: ``at`` or a last order time is naive, or more than
            :data:`MAX_RETENTION_RECORDS` records are given (``$.records``, code ``too_many``).
    """
    if not isinstance(policy, RetentionPolicy):
        raise InvalidType(f"must be a RetentionPolicy, not {type_name(policy)}", path="$.policy")
    when = require_aware(at, "$.at")
    orders = _last_orders(last_order_at)
    holds = _customer_ids(held)
    given: object = records
    if isinstance(given, (str, bytes)) or not isinstance(given, Iterable):
        raise InvalidType(
            f"must be an iterable of records, not {type_name(given)}", path="$.records"
        )
    due: list[RetentionDue] = []
    for index, record in enumerate(records):
        if index >= MAX_RETENTION_RECORDS:
            raise ValidationError(
                f"must hold at most {MAX_RETENTION_RECORDS} records",
                path="$.records",
                code="too_many",
            )
        if not isinstance(record, Aggregate):
            raise InvalidType(
                f"must be an aggregate, not {type_name(record)}", path=f"$.records[{index}]"
            )
        rule = policy.rule_for(record.aggregate_kind)
        if rule is None:
            continue
        if rule.action is RetentionAction.ANONYMISE and _nothing_personal_left(record):
            continue  # anonymised already: nothing left to do
        customer = _customer_of(record)
        since = _due_since(rule, record, customer, orders)
        if since is None or since > when:
            continue
        due.append(
            RetentionDue(
                kind=record.aggregate_kind,
                record_id=record.id,
                customer_id=customer,
                action=rule.action,
                rule=rule,
                due_since=since,
                withheld="legal_hold" if customer is not None and customer in holds else None,
            )
        )
    due.sort(key=lambda item: (item.due_since, item.kind, item.record_id.value))
    return due
