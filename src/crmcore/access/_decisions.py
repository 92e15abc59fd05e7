"""Access decisions: whom a record belongs to, and whether a principal may act on it.

:func:`decide` is pure: it reads the policy, the principal and the record
(and, for records that follow their customer, the customer). Ownership
differs per kind of record:

==================  ===============================  =========
kind                owner                            team
==================  ===============================  =========
customer            ``owner``                        ``team``
lead, opportunity,  ``owner``                        ``team``
subscription
case                ``assignee``                     ``team``
activity            ``owner_id``                     ``team``
note                ``author_id``                    none
interaction         ``staff_id``                     none
staff_member        the staff member itself          none
team                ``manager_id``                   the team itself
order, review,      the customer's owner (parental)  the customer's team
survey_response,
loyalty_account,
relationship,
privacy_request,
quote,
campaign_member
product,            nobody: only ``all`` reaches     none
price_book,
campaign
==================  ===============================  =========

A record is in a territory when the customer it is about is: the
customer's first postal address resolves to a territory of the policy's
:class:`~crmcore.teams.TerritorySet`.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Any, Final

import attrs

from crmcore._kernel._checks import (
    check_unique,
    enum_converter,
    is_bool,
    tuple_of,
    type_name,
)
from crmcore._kernel._ids import CustomerId, StaffId
from crmcore._kernel._personal import MAX_MASKED_FIELDS
from crmcore.access._errors import AccessDenied
from crmcore.access._policy import ANY_KIND, RECORD_CLASSES, AccessAction, AccessPolicy, Scope
from crmcore.access._principal import Principal
from crmcore.customers import Customer
from crmcore.errors import InvalidType, ValidationError
from crmcore.teams import PartyFacts, TeamId, TerritoryId, normalize_role

#: The kinds whose records follow their customer's owner and team (parental access).
PARENTAL_KINDS: Final = frozenset(
    {
        "order",
        "review",
        "survey_response",
        "loyalty_account",
        "relationship",
        "privacy_request",
        "quote",
        "campaign_member",
    }
)
#: The kinds whose records belong to nobody (the catalog): only the ``all`` scope reaches them.
UNOWNED_KINDS: Final = frozenset({"product", "price_book", "campaign"})
_OWNER_FIELDS: Final = {
    "customer": ("owner", "team"),
    "lead": ("owner", "team"),
    "opportunity": ("owner", "team"),
    "subscription": ("owner", "team"),
    "case": ("assignee", "team"),
    "activity": ("owner_id", "team"),
    "note": ("author_id", None),
    "interaction": ("staff_id", None),
    "team": ("manager_id", "id"),
}


#: The rule codes of a decision that allows an action: a scope, the hierarchy or sharing.
ALLOWING_RULES: Final = frozenset({scope.value for scope in Scope} | {"hierarchy", "sharing"})
#: The rule codes of a decision that refuses an action.
REFUSING_RULES: Final = frozenset({"no_grant", "scope"})


#: Longest personal field name (an attribute path such as ``"profile.name"``) a decision names.
MAX_FIELD_NAME: Final = 200


def _field_name(value: object, path: str) -> str:
    if not isinstance(value, str):
        raise InvalidType(f"must be a field name str, not {type_name(value)}", path=path)
    if not value or len(value) > MAX_FIELD_NAME or not value.isprintable() or " " in value:
        raise ValidationError(
            f"must be a field name of 1 to {MAX_FIELD_NAME} printable characters, no spaces",
            path=path,
            code="field_name",
        )
    return value


def _masked_fields(value: object) -> tuple[str, ...]:
    if isinstance(value, (str, bytes)) or type(value) not in (tuple, list):
        raise InvalidType(
            f"must be a tuple of field names, not {type_name(value)}", path="$.masked_fields"
        )
    fields = tuple_of(value, "$.masked_fields", _field_name, max_items=MAX_MASKED_FIELDS)
    check_unique(fields, str, "$.masked_fields[{}]", "must not repeat a field")
    return fields


@attrs.frozen(slots=True, kw_only=True)
class AccessDecision:
    """Whether an action on a record is allowed, why, and which personal fields stay hidden.

    Attributes:
        allowed: whether the policy allows it.
        rule: why, as a code: the scope that let the principal in (``"own"``,
            ``"team"``, ``"territory"``, ``"business_unit"``,
            ``"business_unit_tree"``, ``"all"``), ``"hierarchy"`` (a role
            above the owner's) or ``"sharing"``; when refused, ``"no_grant"``
            (no role grants the action on the kind) or ``"scope"`` (grants
            exist but the record is outside them).
        masked_fields: the personal fields to tombstone (empty when refused).

    .. versionadded:: 0.1
    """

    allowed: bool = attrs.field(validator=is_bool)
    rule: str = attrs.field()
    masked_fields: tuple[str, ...] = attrs.field(default=(), converter=_masked_fields)

    @rule.validator
    def _check_rule(self, _: attrs.Attribute[Any], value: object) -> None:
        if not isinstance(value, str):
            raise InvalidType(f"must be a rule code str, not {type_name(value)}", path="$.rule")
        known = ALLOWING_RULES if self.allowed else REFUSING_RULES
        if value not in known:
            raise ValidationError(
                f"must be one of: {', '.join(sorted(known))}", path="$.rule", code="choice"
            )

    def __attrs_post_init__(self) -> None:
        if not self.allowed and self.masked_fields:
            raise ValidationError(
                "must be empty when the action is refused", path="$.masked_fields", code="refused"
            )


def customer_id_of(record: object) -> CustomerId | None:
    """The id of the customer a record is about, if it names one."""
    kind = getattr(record, "aggregate_kind", None)
    if kind == "customer":
        return record.id  # type: ignore[attr-defined, no-any-return]
    if kind == "relationship":
        return record.party_id  # type: ignore[attr-defined, no-any-return]
    if kind == "note":
        return record.link.customer_id  # type: ignore[attr-defined, no-any-return]
    found = getattr(record, "customer_id", None)
    return found if isinstance(found, CustomerId) else None


def _own_fields(record: object, kind: str) -> tuple[StaffId | None, TeamId | None]:
    if kind == "staff_member":
        return record.id, None  # type: ignore[attr-defined]
    if kind in UNOWNED_KINDS:
        return None, None
    owner_field, team_field = _OWNER_FIELDS[kind]
    owner = getattr(record, owner_field)
    team = None if team_field is None else getattr(record, team_field)
    return owner, team


def territory_of(policy: AccessPolicy, customer: Customer | None) -> TerritoryId | None:
    """The territory of the policy a customer belongs to (by its first postal address), if any.

    Raises:
        InvalidType: ``policy`` is not an :class:`AccessPolicy` (``$.policy``), or
            ``customer`` is neither a :class:`~crmcore.customers.Customer` nor ``None``
            (``$.customer``).
    """
    if type(policy) is not AccessPolicy:
        raise InvalidType(f"must be an AccessPolicy, not {type_name(policy)}", path="$.policy")
    if customer is not None and type(customer) is not Customer:
        raise InvalidType(
            f"must be a Customer or None, not {type_name(customer)}", path="$.customer"
        )
    if customer is None or not customer.profile.addresses:
        return None
    try:
        facts = PartyFacts.from_address(customer.profile.addresses[0])
    except ValidationError:
        return None
    return policy.territories.resolve(facts).territory_id


class _Facts:
    # What a decision learns about a record, each piece looked up once and only if needed.

    __slots__ = (
        "_customer",
        "_customer_of",
        "_owner_roles",
        "_owner_roles_of",
        "kind",
        "policy",
        "record",
    )

    def __init__(
        self,
        policy: AccessPolicy,
        record: Any,
        customer_of: Callable[[], Customer | None],
        owner_roles_of: Callable[[StaffId], Iterable[str]],
    ) -> None:
        self.policy = policy
        self.record = record
        self.kind: str = record.aggregate_kind
        self._customer_of = customer_of
        self._owner_roles_of = owner_roles_of
        self._customer: list[Customer | None] = []
        self._owner_roles: list[frozenset[str]] = []

    def customer(self) -> Customer | None:
        if self.kind == "customer":
            return self.record  # type: ignore[no-any-return]
        if not self._customer:
            self._customer.append(self._customer_of())
        return self._customer[0]

    def owner_and_team(self) -> tuple[StaffId | None, TeamId | None]:
        if self.kind in PARENTAL_KINDS:
            customer = self.customer()
            return (None, None) if customer is None else (customer.owner, customer.team)
        return _own_fields(self.record, self.kind)

    def owner_roles(self) -> frozenset[str]:
        if not self._owner_roles:
            owner, _ = self.owner_and_team()
            self._owner_roles.append(
                frozenset() if owner is None else frozenset(self._owner_roles_of(owner))
            )
        return self._owner_roles[0]


def _scope_rule(  # noqa: PLR0911 - one answer per scope.
    facts: _Facts, principal: Principal, role: str, scope: Scope
) -> str | None:
    # The rule code when ``scope`` (granted to ``role``) covers the record, else None.
    policy = facts.policy
    if scope is Scope.ALL:
        return scope.value
    if scope is Scope.TERRITORY:
        territory = territory_of(policy, facts.customer())
        return scope.value if territory is not None and territory in principal.territories else None
    owner, team = facts.owner_and_team()
    if scope is Scope.OWN:
        if owner is not None and owner == principal.staff_id:
            return scope.value
        below = policy.roles_below(role)
        if owner is not None and below and facts.owner_roles() & below:
            return "hierarchy"
        return None
    if scope is Scope.TEAM:
        return scope.value if team is not None and team in principal.teams else None
    unit = policy.unit_of_team(team)
    if unit is None or principal.business_unit is None:
        return None
    if scope is Scope.BUSINESS_UNIT:
        return scope.value if unit == principal.business_unit else None
    return scope.value if unit in policy.units_within(principal.business_unit) else None


def _decide(  # noqa: C901, PLR0917 - one pass over the roles; the lookups are callables.
    policy: AccessPolicy,
    principal: Principal,
    action: object,
    record: object,
    customer_of: Callable[[], Customer | None],
    owner_roles_of: Callable[[StaffId], Iterable[str]],
) -> AccessDecision:
    if type(policy) is not AccessPolicy:
        raise InvalidType(f"must be an AccessPolicy, not {type_name(policy)}", path="$.policy")
    policy.check_principal(principal)
    checked = enum_converter(AccessAction, "$.action")(action)
    kind = getattr(record, "aggregate_kind", "")
    if (
        not isinstance(kind, str)
        or kind not in RECORD_CLASSES
        or not isinstance(record, RECORD_CLASSES[kind])
    ):
        raise InvalidType(f"must be a crmcore record, not {type_name(record)}", path="$.record")
    facts = _Facts(policy, record, customer_of, owner_roles_of)
    allowing: list[tuple[str, str]] = []
    granted = False
    for role in sorted(principal.roles):
        scope = policy.scope_of(role, kind, checked)
        rule = None
        if scope is not None:
            granted = True
            rule = _scope_rule(facts, principal, role, scope)
        if rule is None:
            for sharing in policy.sharing:
                if (
                    sharing.role == role
                    and sharing.kind in (kind, ANY_KIND)
                    and checked in sharing.actions
                ):
                    granted = True
                    if facts.owner_and_team()[1] == sharing.team:
                        rule = "sharing"
                        break
        if rule is not None:
            allowing.append((role, rule))
    if not allowing:
        return AccessDecision(allowed=False, rule="scope" if granted else "no_grant")
    masked = frozenset.intersection(*(policy.masked_for(role, kind) for role, _ in allowing))
    known = getattr(RECORD_CLASSES[kind], "personal_fields", ())
    fields = tuple(f for f in known if f in masked) if masked else ()
    return AccessDecision(allowed=True, rule=allowing[0][1], masked_fields=fields)


def _customer_arg(record: object, customer: object) -> Callable[[], Customer | None]:
    if customer is None:
        return lambda: None
    if type(customer) is not Customer:
        raise InvalidType(f"must be a Customer, not {type_name(customer)}", path="$.customer")
    if customer.id != customer_id_of(record):
        raise ValidationError(
            "must be the customer the record is about", path="$.customer", code="wrong_customer"
        )
    return lambda: customer


def _roles_arg(owner_roles: Iterable[str] | None) -> Callable[[StaffId], Iterable[str]]:
    if owner_roles is None:
        return lambda _: ()
    if isinstance(owner_roles, (str, bytes)) or not isinstance(owner_roles, Iterable):
        raise InvalidType(
            f"must be a collection of roles, not {type_name(owner_roles)}", path="$.owner_roles"
        )
    roles = frozenset(normalize_role(r, "$.owner_roles") for r in owner_roles)
    return lambda _: roles


def decide(
    policy: AccessPolicy,
    principal: Principal,
    action: AccessAction | str,
    record: object,
    *,
    customer: Customer | None = None,
    owner_roles: Iterable[str] | None = None,
) -> AccessDecision:
    """Whether ``principal`` may take ``action`` on ``record`` under ``policy``.

    Pure: nothing is looked up. Pass the ``customer`` a record is about when
    the decision may need it (records of the parental kinds follow their
    customer's owner; territories are the customer's), and the roles the
    record's owner holds when the policy has a role hierarchy. Without them
    the record counts as having no owner, team or territory.

    When several of the principal's roles allow the action, a field stays
    masked only if every one of them masks it.

    Raises:
        InvalidType: an argument of the wrong type (``$.policy``,
            ``$.principal``, ``$.record``, ``$.customer``).
        ValidationError: an unknown action (``$.action``), or a customer that
            is not the record's (``wrong_customer``).
        UnknownRole: the principal holds a role the policy does not declare.
    """
    return _decide(
        policy,
        principal,
        action,
        record,
        _customer_arg(record, customer),
        _roles_arg(owner_roles),
    )


def require(
    policy: AccessPolicy,
    principal: Principal,
    action: AccessAction | str,
    record: object,
    *,
    customer: Customer | None = None,
    owner_roles: Iterable[str] | None = None,
) -> AccessDecision:
    """The decision of :func:`decide` if it allows the action; services call it before an export, a merge or an erasure.

    Raises:
        AccessDenied: the policy refuses it (the message names the action,
            the kind and the record's id only).
        ValidationError: as :func:`decide`.
    """
    decision = decide(policy, principal, action, record, customer=customer, owner_roles=owner_roles)
    if not decision.allowed:
        found: Any = record
        raise AccessDenied(
            AccessAction(action).value, found.aggregate_kind, found.id.value, rule=decision.rule
        )
    return decision
