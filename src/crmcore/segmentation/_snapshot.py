"""Customer snapshots: one flat mapping per customer, what rules are written against.

A snapshot flattens a :class:`~crmcore.Customer` at an instant into plain
values (profile, custom attributes, tags, consent decisions as booleans,
lifecycle stage) and adds *facts* computed elsewhere (RFM scores, CLV and
tier, last purchase, counts of orders, cases and feedback), so a rule never
needs to know how an aggregate is built. The keys are documented in
:data:`~crmcore.segmentation.SNAPSHOT_FIELDS`.
"""

from __future__ import annotations

import functools
import math
import unicodedata
from collections.abc import Callable, Collection, Hashable, Iterable, Mapping
from datetime import UTC, date, datetime, timezone
from decimal import Decimal
from enum import Enum
from typing import Any, Final
from zoneinfo import ZoneInfo

import attrs

from crmcore._kernel._checks import require_aware, type_name
from crmcore._kernel._ids import Identifier
from crmcore._kernel._money import Money
from crmcore._kernel._records import amount_currency_code, read_orders
from crmcore.customers import (
    Channel,
    Customer,
    PersonName,
    Purpose,
    decide_consent,
)
from crmcore.errors import InvalidType, ValidationError
from crmcore.segmentation._schema import SNAPSHOT_FIELDS
from crmcore.segmentation._values import MAX_SET_ITEMS, check_path

#: Most facts one snapshot may be given.
MAX_FACTS: Final = 1000
#: Most field paths one snapshot may be asked for.
MAX_FIELDS: Final = 10_000

#: The name of :data:`crmcore.lifecycle.RELATIONSHIP_LADDER`: ``stage`` is always its stage.
LADDER: Final = "relationship_ladder"
_PHONE_CHANNELS: Final = (Channel.PHONE, Channel.WHATSAPP, Channel.SMS)
#: The standard facts of :data:`SNAPSHOT_FIELDS`, whose names are field paths.
_STANDARD_FACTS: Final = frozenset(
    check_path(key, "$.facts") for key in SNAPSHOT_FIELDS if not key.endswith("*")
)


def _primary_value(customer: Customer, channels: Iterable[Channel]) -> str | None:
    for channel in channels:
        point = customer.primary_contact_point(channel)
        if point is not None:
            return point.value
    return None


def _first_address_line(customer: Customer) -> str | None:
    addresses = customer.profile.addresses
    return addresses[0].one_line() if addresses else None


def _first_address_part(part: str) -> Callable[[Customer, datetime], Any]:
    def read(customer: Customer, _: datetime) -> Any:
        addresses = customer.profile.addresses
        return getattr(addresses[0], part) if addresses else None

    return read


def _birth_date(customer: Customer, _: datetime) -> date | None:
    profile = customer.profile
    return profile.birth_date if isinstance(profile.name, PersonName) else None


#: The keys taken from the customer's record, in snapshot order, and how each is computed.
_PROFILE: Final[tuple[tuple[str, Callable[[Customer, datetime], Any]], ...]] = (
    ("id", lambda c, _: c.id.value),
    ("kind", lambda c, _: c.kind.value),
    ("name", lambda c, _: c.profile.name.full),
    ("email", lambda c, _: _primary_value(c, (Channel.EMAIL,))),
    ("phone", lambda c, _: _primary_value(c, _PHONE_CHANNELS)),
    ("address", lambda c, _: _first_address_line(c)),
    ("postal_code", _first_address_part("postal_code")),
    ("locality", _first_address_part("locality")),
    ("country", _first_address_part("country")),
    ("birth_date", _birth_date),
    ("age", lambda c, when: c.age_on(when.date())),
    ("language", lambda c, _: c.profile.preferred_language),
    ("created_at", lambda c, _: c.created_at),
    ("tenure_days", lambda c, when: (when - c.created_at).days),
    ("tags", lambda c, _: c.tags),
    ("channels", lambda c, _: frozenset(p.channel.value for p in c.contact_points)),
    (
        "verified_channels",
        lambda c, _: frozenset(p.channel.value for p in c.contact_points if p.verified),
    ),
)
#: The consent keys, in snapshot order: ``may_<channel>_<purpose>``.
_CONSENTS: Final = tuple(
    (f"may_{channel.value}_{purpose.value}", channel, purpose)
    for channel in Channel
    for purpose in Purpose
)
#: Every key a snapshot derives from the customer under a fixed name.
_FIXED_KEYS: Final = frozenset(
    [key for key, _ in _PROFILE] + [key for key, _, _ in _CONSENTS] + ["stage", "stage_entered_at"]
)


# -- which keys to compute ------------------------------------------------------------------


@attrs.frozen
class _Plan:
    """The keys one call computes (all of them, or those a rule reads), in snapshot order."""

    profile: tuple[tuple[str, Callable[[Customer, datetime], Any]], ...]
    #: The ``may_<channel>_<purpose>`` keys wanted, and their (channel, purpose) pairs.
    consent_keys: tuple[str, ...]
    consent_pairs: tuple[tuple[Channel, Purpose], ...]
    #: The flags of a customer without any consent record (the purposes' defaults).
    consent_defaults: dict[str, bool]
    #: Every key wanted (``None``: all), with the dotted prefixes of each path
    #: (a rule reading ``created_at.year`` walks ``created_at``).
    wanted: frozenset[str] | None
    attributes: bool
    lifecycles: bool
    stage: bool
    stage_entered_at: bool
    #: True if any of the lifecycle keys is wanted.
    states: bool = attrs.field(init=False)

    def __attrs_post_init__(self) -> None:
        object.__setattr__(self, "states", self.lifecycles or self.stage or self.stage_entered_at)

    def wants(self, key: str) -> bool:
        """True if ``key`` goes into the snapshot."""
        return self.wanted is None or key in self.wanted


#: Any instant: without a record, a consent decision does not depend on time.
_ANY_TIME: Final = datetime(2000, 1, 1, tzinfo=UTC)


def _consents_in(wanted: frozenset[str] | None) -> dict[str, Any]:
    chosen = [entry for entry in _CONSENTS if wanted is None or entry[0] in wanted]
    return {
        "consent_keys": tuple(key for key, _, _ in chosen),
        "consent_pairs": tuple((channel, purpose) for _, channel, purpose in chosen),
        # Decided by the consent rules themselves, on an empty history.
        "consent_defaults": {
            key: decide_consent((), channel, purpose, _ANY_TIME).allowed
            for key, channel, purpose in chosen
        },
    }


_FULL: Final = _Plan(
    profile=_PROFILE,
    **_consents_in(None),
    wanted=None,
    attributes=True,
    lifecycles=True,
    stage=True,
    stage_entered_at=True,
)


@functools.lru_cache(maxsize=256)
def _plan(fields: frozenset[object]) -> _Plan:
    """The plan for ``fields``: a pure function of its argument, memoized (bounded)."""
    if len(fields) > MAX_FIELDS:
        raise ValidationError(
            f"must name at most {MAX_FIELDS} fields", path="$.fields", code="too_many"
        )
    wanted: set[str] = set()
    for name in fields:
        # The path is never echoed: a rejected field name may be anything.
        parts = check_path(name, "$.fields[*]").split(".")
        wanted.update(".".join(parts[: cut + 1]) for cut in range(len(parts)))
    chosen = frozenset(wanted)
    return _Plan(
        profile=tuple(entry for entry in _PROFILE if entry[0] in chosen),
        **_consents_in(chosen),
        wanted=chosen,
        attributes=any(key.startswith("attributes.") for key in wanted),
        lifecycles=any(key.startswith("lifecycle.") for key in wanted),
        stage="stage" in wanted,
        stage_entered_at="stage_entered_at" in wanted,
    )


def _plan_for(fields: object) -> _Plan:
    if fields is None:
        return _FULL
    if type(fields) is frozenset:  # what Rule.fields() returns: hashable as it is
        return _plan(fields)
    if isinstance(fields, (str, bytes, Mapping)) or not isinstance(fields, Collection):
        raise InvalidType(
            f"must be a collection of field paths, not {type_name(fields)}", path="$.fields"
        )
    try:
        return _plan(fields if type(fields) is frozenset else frozenset(fields))
    except TypeError:  # an unhashable item
        raise InvalidType("must hold field path strs", path="$.fields[*]") from None


# -- the snapshot ----------------------------------------------------------------------------


def snapshot(  # noqa: C901 - each part is computed only when wanted, inline.
    customer: Customer,
    *,
    at: datetime,
    facts: Mapping[str, object] | None = None,
    fields: Collection[str] | None = None,
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
    - ``stage`` and ``stage_entered_at``: the customer's rung on the
      relationship ladder (``None`` where the ladder does not track the
      customer), whichever lifecycle changed last; and
      ``lifecycle.<definition>`` for each tracked lifecycle (the CRM stages
      are ``lifecycle.crm_stages``);
    - then every fact: ``facts={"frequency": 4, "clv_tier": "high"}``. A fact
      may not repeat a key derived from the customer.

    With ``fields`` (field paths, such as ``rule.fields()``), the snapshot
    holds only the keys those paths read, computed exactly as in the full
    snapshot; a rule reading only those fields answers the same on both.
    Every fact is still checked, whether it is read or not. Pass the same
    frozenset each time (``rule.fields()`` returns one): what to compute is
    worked out once per set of fields (a small bounded memo).

    >>> from datetime import datetime, timezone
    >>> from crmcore import Customer, CustomerId, PersonName
    >>> from crmcore.segmentation import field
    >>> at = datetime(2026, 3, 1, tzinfo=timezone.utc)
    >>> ana = Customer.register(CustomerId("c-1"), name=PersonName("Ana"), at=at, tags=["VIP"])
    >>> snap = snapshot(ana, at=at, facts={"frequency": 4})
    >>> snap["id"], snap["tags"], snap["may_email_marketing"], snap["frequency"]
    ('c-1', frozenset({'vip'}), False, 4)
    >>> rule = (field("frequency") >= 3) & field("tags").has("vip")
    >>> small = snapshot(ana, at=at, facts={"frequency": 4}, fields=rule.fields())
    >>> small
    {'tags': frozenset({'vip'}), 'frequency': 4}
    >>> rule.matches(small), rule.matches(snap)
    (True, True)

    Raises:
        ValidationError: ``at`` is naive or before the customer was
            registered, a fact key is not a field path or repeats a key, a
            fact value is not a plain value, or ``fields`` is not a
            collection of field paths.
    """
    cls = type(customer)
    if cls is not Customer and not isinstance(customer, Customer):
        raise InvalidType(f"must be a Customer, not {type_name(customer)}", path="$.customer")
    # An aware datetime for certain (its zone always gives an offset), or the full check.
    when = at if type(at) is datetime and type(at.tzinfo) in _ZONES else require_aware(at, "$.at")
    if when < customer.created_at:
        raise ValidationError(
            "must not be before the customer was registered",
            path="$.at",
            code="before_registration",
        )
    if fields is None:
        plan = _FULL
    elif type(fields) is frozenset:  # what Rule.fields() returns: hashable as it is
        plan = _plan(fields)
    else:
        plan = _plan_for(fields)
    snap: dict[str, Any] = {}
    for key, compute in plan.profile:
        snap[key] = compute(customer, when)
    if plan.attributes:
        _add_attributes(snap, customer, plan)
    if plan.consent_keys:
        if cls is Customer and not customer.consents:
            snap.update(plan.consent_defaults)  # no record: each purpose's default decides
        else:
            flags = customer.consent_flags(plan.consent_pairs, at=when)
            snap.update(zip(plan.consent_keys, flags, strict=True))
    if plan.states:
        _add_lifecycles(snap, customer, plan)
    if facts is not None:
        _add_facts(snap, facts, customer, plan)
    return snap


def _add_attributes(snap: dict[str, Any], customer: Customer, plan: _Plan) -> None:
    for key, value in customer.profile.attributes.items():
        name = f"attributes.{key}"
        if plan.wants(name):
            snap[name] = value


def _add_lifecycles(snap: dict[str, Any], customer: Customer, plan: _Plan) -> None:
    # Read through getattr so snapshots work with or without lifecycle tracking.
    states: Iterable[Any] = getattr(customer, "lifecycles", ())
    ladder: Any = None
    for state in states:
        if plan.lifecycles:
            name = f"lifecycle.{state.definition}"
            if plan.wants(name):
                snap[name] = state.stage
        if state.definition == LADDER:
            ladder = state
    if plan.stage:
        snap["stage"] = ladder.stage if ladder is not None else None
    if plan.stage_entered_at:
        snap["stage_entered_at"] = ladder.entered_at if ladder is not None else None


def _derived(name: str, customer: Customer) -> bool:
    """True if the full snapshot of ``customer`` derives the key ``name`` from it."""
    if name in _FIXED_KEYS:
        return True
    if not name.startswith(("attributes.", "lifecycle.")):
        return False
    if name.startswith("attributes."):
        return name.removeprefix("attributes.") in customer.profile.attributes
    definition = name.removeprefix("lifecycle.")
    states: Iterable[Any] = getattr(customer, "lifecycles", ())
    return any(state.definition == definition for state in states)


#: The standard facts no customer provides: a fact of one of these names is never a duplicate.
_FREE_FACTS: Final = _STANDARD_FACTS - _FIXED_KEYS
#: Fact values of these exact classes are kept as they are (see :func:`_scalar`).
_PLAIN_FACTS: Final = frozenset({int, bool, type(None), Money, date})
#: Zones that give every datetime an offset: such a datetime is aware.
_ZONES: Final = frozenset({timezone, ZoneInfo})


def _add_facts(
    snap: dict[str, Any], facts: Mapping[str, object], customer: Customer, plan: _Plan
) -> None:
    if type(facts) is not dict and not isinstance(facts, Mapping):
        raise InvalidType(f"must be a mapping, not {type_name(facts)}", path="$.facts")
    if len(facts) > MAX_FACTS:
        raise ValidationError(
            f"must hold at most {MAX_FACTS} facts", path="$.facts", code="too_many"
        )
    wanted = plan.wanted
    free, plain, zones = _FREE_FACTS, _PLAIN_FACTS, _ZONES  # locals: read once per call
    for key, value in facts.items():
        cls = type(value)
        if (
            type(key) is str
            and key in free
            and (cls in plain or (cls is datetime and type(value.tzinfo) in zones))  # type: ignore[attr-defined]
        ):
            # A standard fact (a path, never derived from the customer) holding a value
            # _fact would return as it is: kept without building its path.
            if wanted is None or key in wanted:
                snap[key] = value
            continue
        if type(key) is str and key in free:
            name = key
        else:
            name = check_path(key, "$.facts")
            if _derived(name, customer):
                raise ValidationError(
                    "must not repeat a key the customer already provides",
                    path=f"$.facts.{name}",
                    code="duplicate",
                )
        if cls in plain or (cls is datetime and type(value.tzinfo) in zones):  # type: ignore[attr-defined]
            checked = value  # what _fact returns for these, without building the path
        else:
            checked = _fact(value, f"$.facts.{name}")
        if wanted is None or name in wanted:
            snap[name] = checked


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


def purchase_facts(
    orders: object, *, at: datetime, amount_currency: str | None = None
) -> dict[Hashable, dict[str, Any]]:
    """Per customer, the purchase facts of :data:`SNAPSHOT_FIELDS` from plain orders.

    ``orders_count``, ``first_purchase_at``, ``last_purchase_at``,
    ``total_spent`` and ``average_order_value`` (Money, unrounded), counting
    the orders dated at or before ``at``. A customer without orders has an
    ``orders_count`` of 0 and ``None`` for the other facts (the result
    answers for them too, instead of raising a ``KeyError``). Amounts are
    Money, or plain numbers (floats at their shortest decimal
    representation, numpy scalars, Decimals) in the currency
    ``amount_currency`` names, never both kinds in one call.

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
    code = amount_currency_code(amount_currency)
    found = PurchaseFacts()
    for row in read_orders(orders, until=when, currency=code):
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
