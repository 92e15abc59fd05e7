"""Customer snapshots: one flat mapping per customer, what rules are written against.

A snapshot flattens a :class:`~crmcore.Customer` at an instant into plain
values (profile, custom attributes, tags, consent decisions as booleans,
lifecycle stage) and adds *facts* computed elsewhere (RFM scores, CLV and
tier, last purchase, counts of orders, cases and feedback), so a rule never
needs to know how an aggregate is built. The keys are documented in
:data:`~crmcore.segmentation.SNAPSHOT_FIELDS`.
"""

from __future__ import annotations

import math
import unicodedata
from collections.abc import Hashable, Iterable, Mapping
from datetime import date, datetime
from decimal import Decimal
from enum import Enum
from typing import Any, Final

from crmcore._kernel._checks import require_aware, type_name
from crmcore._kernel._ids import Identifier
from crmcore._kernel._money import Money
from crmcore._kernel._records import read_orders
from crmcore.customers import Channel, Customer, PersonName, Purpose
from crmcore.errors import InvalidType, ValidationError
from crmcore.segmentation._values import MAX_SET_ITEMS, check_path

#: Most facts one snapshot may be given.
MAX_FACTS: Final = 1000

_PHONE_CHANNELS: Final = (Channel.PHONE, Channel.WHATSAPP, Channel.SMS)


def _primary_value(customer: Customer, channels: Iterable[Channel]) -> str | None:
    for channel in channels:
        point = customer.primary_contact_point(channel)
        if point is not None:
            return point.value
    return None


def _scalar(value: object, path: str) -> Any:
    if value is None or isinstance(value, (bool, int, date, Money)):
        if isinstance(value, datetime):
            return require_aware(value, path)
        return value
    if isinstance(value, Enum):
        return _scalar(value.value, path)
    if isinstance(value, Identifier):
        return value.value
    if isinstance(value, str):
        return unicodedata.normalize("NFC", value)
    if isinstance(value, (Decimal, float)):
        finite = value.is_finite() if isinstance(value, Decimal) else math.isfinite(value)
        if not finite:
            raise ValidationError(
                "must be a finite number (not NaN or infinity)", path=path, code="not_finite"
            )
        return value
    raise InvalidType(
        "must be None, text, a number, a bool, a date, an aware datetime, Money "
        f"or a set of values, not {type_name(value)}",
        path=path,
    )


def _fact(value: object, path: str) -> Any:
    if isinstance(value, (frozenset, set, list, tuple)):
        if len(value) > MAX_SET_ITEMS:
            raise ValidationError(
                f"must hold at most {MAX_SET_ITEMS} values", path=path, code="too_many"
            )
        return frozenset(_scalar(item, f"{path}[{index}]") for index, item in enumerate(value))
    return _scalar(value, path)


def snapshot(
    customer: Customer, *, at: datetime, facts: Mapping[str, object] | None = None
) -> dict[str, Any]:
    """Flatten ``customer`` at instant ``at`` into a mapping for rules, with extra ``facts``.

    The result is a fresh ``dict`` (the fastest thing for compiled rules to
    read) holding:

    - ``id``, ``kind``, ``name``, ``email`` and ``phone`` (primary contact
      points), ``address``, ``postal_code``, ``locality`` and ``country``
      (first address), ``birth_date``, ``age`` (on ``at``'s date),
      ``language``, ``created_at`` and ``tenure_days``;
    - ``tags``, ``channels`` (channels with a contact point) and
      ``verified_channels``, as frozensets;
    - ``attributes.<key>`` for each custom attribute;
    - ``may_<channel>_<purpose>``: the consent decision at ``at`` for every
      channel and purpose (``may_email_marketing``, ``may_sms_service``, ...);
    - ``stage`` and ``stage_entered_at`` (the lifecycle changed most
      recently) and ``lifecycle.<definition>`` for each tracked lifecycle;
    - then every fact: ``facts={"frequency": 4, "clv_tier": "high"}``. A fact
      may not repeat a key derived from the customer.

    >>> from datetime import datetime, timezone
    >>> from crmcore import Customer, CustomerId, PersonName
    >>> at = datetime(2026, 3, 1, tzinfo=timezone.utc)
    >>> ana = Customer.register(CustomerId("c-1"), name=PersonName("Ana"), at=at, tags=["VIP"])
    >>> snap = snapshot(ana, at=at, facts={"frequency": 4})
    >>> snap["id"], snap["tags"], snap["may_email_marketing"], snap["frequency"]
    ('c-1', frozenset({'vip'}), False, 4)

    Raises:
        ValidationError: ``at`` is naive or before the customer was
            registered, a fact key is not a field path or repeats a key, or a
            fact value is not a plain value.
    """
    if not isinstance(customer, Customer):
        raise InvalidType(f"must be a Customer, not {type_name(customer)}", path="$.customer")
    when = require_aware(at, "$.at")
    if when < customer.created_at:
        raise ValidationError(
            "must not be before the customer was registered",
            path="$.at",
            code="before_registration",
        )
    profile = customer.profile
    first_address = profile.addresses[0] if profile.addresses else None
    name = profile.name
    snap: dict[str, Any] = {
        "id": customer.id.value,
        "kind": customer.kind.value,
        "name": name.full,
        "email": _primary_value(customer, (Channel.EMAIL,)),
        "phone": _primary_value(customer, _PHONE_CHANNELS),
        "address": first_address.one_line() if first_address else None,
        "postal_code": first_address.postal_code if first_address else None,
        "locality": first_address.locality if first_address else None,
        "country": first_address.country if first_address else None,
        "birth_date": profile.birth_date if isinstance(name, PersonName) else None,
        "age": customer.age_on(when.date()),
        "language": profile.preferred_language,
        "created_at": customer.created_at,
        "tenure_days": (when - customer.created_at).days,
        "tags": customer.tags,
        "channels": frozenset(p.channel.value for p in customer.contact_points),
        "verified_channels": frozenset(
            p.channel.value for p in customer.contact_points if p.verified
        ),
    }
    for key, value in profile.attributes.items():
        snap[f"attributes.{key}"] = value
    for channel in Channel:
        for purpose in Purpose:
            snap[f"may_{channel.value}_{purpose.value}"] = customer.may_contact(
                channel, purpose, at=when
            )
    _add_lifecycles(snap, customer)
    if facts is not None:
        _add_facts(snap, facts)
    return snap


def _add_lifecycles(snap: dict[str, Any], customer: Customer) -> None:
    # Read through getattr so snapshots work with or without lifecycle tracking.
    states: Iterable[Any] = getattr(customer, "lifecycles", ())
    latest: Any = None
    for state in states:
        snap[f"lifecycle.{state.definition}"] = state.stage
        latest = state
    current: Any = getattr(customer, "lifecycle", latest)
    snap["stage"] = current.stage if current is not None else None
    snap["stage_entered_at"] = current.entered_at if current is not None else None


def _add_facts(snap: dict[str, Any], facts: Mapping[str, object]) -> None:
    if not isinstance(facts, Mapping):
        raise InvalidType(f"must be a mapping, not {type_name(facts)}", path="$.facts")
    if len(facts) > MAX_FACTS:
        raise ValidationError(
            f"must hold at most {MAX_FACTS} facts", path="$.facts", code="too_many"
        )
    for key, value in facts.items():
        name = check_path(key, "$.facts")
        if name in snap:
            raise ValidationError(
                "must not repeat a key the customer already provides",
                path=f"$.facts.{name}",
                code="duplicate",
            )
        snap[name] = _fact(value, f"$.facts.{name}")


class PurchaseFacts(dict[Hashable, dict[str, Any]]):
    """The result of :func:`purchase_facts`: a dict by customer id.

    Looking up a customer without orders gives their facts too: an
    ``orders_count`` of 0 and ``None`` for the rest (``in`` and ``get``
    still tell customers with orders apart).
    """

    def __getitem__(self, customer_id: Hashable) -> dict[str, Any]:
        try:
            return super().__getitem__(customer_id)
        except KeyError:
            return dict(_NO_PURCHASES)
        except TypeError:
            raise InvalidType(
                f"must be a hashable customer id, not {type_name(customer_id)}",
                path="$.customer_id",
            ) from None


#: The facts of a customer without orders.
_NO_PURCHASES: Final = {
    "orders_count": 0,
    "first_purchase_at": None,
    "last_purchase_at": None,
    "total_spent": None,
    "average_order_value": None,
}


def purchase_facts(orders: object, *, at: datetime) -> dict[Hashable, dict[str, Any]]:
    """Per customer, the purchase facts of :data:`SNAPSHOT_FIELDS` from plain orders.

    ``orders_count``, ``first_purchase_at``, ``last_purchase_at``,
    ``total_spent`` and ``average_order_value`` (Money, unrounded), counting
    the orders dated at or before ``at``. A customer without orders has an
    ``orders_count`` of 0 and ``None`` for the other facts (the result
    answers for them too, instead of raising a ``KeyError``).

    >>> from datetime import datetime, timezone
    >>> from crmcore import Money
    >>> t = datetime(2026, 1, 5, tzinfo=timezone.utc)
    >>> facts = purchase_facts(
    ...     [("c-1", t, Money("10", "USD")), ("c-1", t, Money("30", "USD"))], at=t
    ... )
    >>> facts["c-1"]["orders_count"], facts["c-1"]["average_order_value"]
    (2, Money('20', 'USD'))
    >>> facts["c-2"]["orders_count"], facts["c-2"]["total_spent"]
    (0, None)
    """
    when = require_aware(at, "$.at")
    found = PurchaseFacts()
    for row in read_orders(orders, until=when):
        entry = found.get(row.customer_id)
        if entry is None:
            found[row.customer_id] = {
                "orders_count": 1,
                "first_purchase_at": row.at,
                "last_purchase_at": row.at,
                "total_spent": row.amount,
            }
            continue
        try:
            entry["total_spent"] += row.amount
        except ValidationError as exc:
            raise exc.under(f"$.orders[{row.position}].amount") from None
        entry["orders_count"] += 1
        entry["first_purchase_at"] = min(entry["first_purchase_at"], row.at)
        entry["last_purchase_at"] = max(entry["last_purchase_at"], row.at)
    for entry in found.values():
        entry["average_order_value"] = entry["total_spent"] / entry["orders_count"]
    return found
