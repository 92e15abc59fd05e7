"""The access policy: who may do what to which records, and which personal fields they see.

An :class:`AccessPolicy` declares its **roles** and grants each of them
**actions** (:class:`AccessAction`) on **record kinds** at a **scope**
(:class:`Scope`): only the records the principal owns, those of the
principal's teams, territories or business units, or all of them. On top of
the grants:

* **field masks** hide personal fields of a kind from a role (they read the
  record with those fields tombstoned);
* a **role hierarchy** (``reports_to``): a role sees what the owners holding
  the roles below it own, Salesforce style;
* **sharing rules** open the records of one team to a role;
* **business units** (a tree) and the unit each team belongs to, for scopes
  in the style of Dynamics 365 access levels;
* **territories** (a :class:`~crmcore.teams.TerritorySet`) that place a
  customer, and the records about it, in a territory.

A policy is plain data: :meth:`AccessPolicy.to_dict` and
:meth:`AccessPolicy.from_dict` turn it into JSON-ready dicts and back, and a
malformed or contradictory policy raises a :class:`~crmcore.ValidationError`
naming the path of the problem.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from enum import StrEnum
from typing import Any, Final

import attrs

from crmcore._kernel._checks import check_name, enum_converter, tuple_of, type_name
from crmcore._kernel._personal import MAX_MASKED_FIELDS
from crmcore.access._errors import UnknownRole
from crmcore.access._principal import Principal
from crmcore.activities import Activity
from crmcore.catalog import PriceBook, Product
from crmcore.commerce import Order, Subscription
from crmcore.customers import Customer
from crmcore.errors import InvalidType, ValidationError
from crmcore.feedback import Review, SurveyResponse
from crmcore.interactions import Interaction
from crmcore.loyalty import LoyaltyAccount
from crmcore.marketing import Campaign, CampaignMember
from crmcore.notes import Note
from crmcore.parties import Relationship
from crmcore.privacy import DataSubjectRequest
from crmcore.quotes import Quote
from crmcore.sales import Lead, Opportunity
from crmcore.serialization import from_dict, to_dict
from crmcore.service import Case
from crmcore.teams import StaffMember, Team, TeamId, TerritorySet, normalize_role

#: Most roles one policy may declare.
MAX_ROLES: Final = 1_000
#: Most grants one policy may hold.
MAX_GRANTS: Final = 10_000
#: Most field masks one policy may hold.
MAX_MASKS: Final = 10_000
#: Most sharing rules one policy may hold.
MAX_SHARING_RULES: Final = 10_000
#: Most business units one policy may declare.
MAX_BUSINESS_UNITS: Final = 1_000
#: Most teams one policy may place in business units.
MAX_TEAM_UNITS: Final = 10_000

#: The record classes by kind: what a policy may name (besides ``"*"``, every kind).
RECORD_CLASSES: Final[Mapping[str, type[Any]]] = {
    cls.aggregate_kind: cls
    for cls in (
        Customer,
        Order,
        Case,
        Lead,
        Opportunity,
        Activity,
        Note,
        Interaction,
        Subscription,
        Review,
        SurveyResponse,
        LoyaltyAccount,
        Relationship,
        StaffMember,
        Team,
        DataSubjectRequest,
        Product,
        PriceBook,
        Quote,
        Campaign,
        CampaignMember,
    )
}
#: The kind a grant or sharing rule names to cover every kind.
ANY_KIND: Final = "*"
#: The kinds a ``"*"`` grant lets a role read but not change (see :meth:`AccessPolicy.scope_of`).
STAFF_KINDS: Final = frozenset({"staff_member", "team"})


class AccessAction(StrEnum):
    """What a principal may do to a record.

    .. versionadded:: 0.1
    """

    READ = "read"
    CREATE = "create"
    UPDATE = "update"
    DELETE = "delete"
    EXPORT = "export"
    MERGE = "merge"
    ERASE = "erase"


class Scope(StrEnum):
    """Which records a grant covers, from the narrowest to the widest.

    ``own``: records the principal owns (and, through the role hierarchy,
    those owned by holders of the roles below the grant's role);
    ``team``: records of one of the principal's teams; ``territory``: records
    about a customer in one of the principal's territories;
    ``business_unit``: records of teams in the principal's business unit;
    ``business_unit_tree``: the same, with every unit below it; ``all``:
    every record.

    .. versionadded:: 0.1
    """

    OWN = "own"
    TEAM = "team"
    TERRITORY = "territory"
    BUSINESS_UNIT = "business_unit"
    BUSINESS_UNIT_TREE = "business_unit_tree"
    ALL = "all"


def _kind(value: object, path: str, *, wildcard: bool = True) -> str:
    if not isinstance(value, str):
        raise InvalidType(f"must be a record kind str, not {type_name(value)}", path=path)
    if value in RECORD_CLASSES or (wildcard and value == ANY_KIND):
        return value
    allowed = ", ".join(sorted(RECORD_CLASSES)) + (", *" if wildcard else "")
    raise ValidationError(f"must be a record kind: {allowed}", path=path, code="unknown_kind")


def _actions(value: object, path: str) -> frozenset[AccessAction]:
    if isinstance(value, (str, bytes)):
        raise InvalidType(f"must be a collection of actions, not {type_name(value)}", path=path)
    items = tuple_of(
        value, path, lambda v, p: enum_converter(AccessAction, p)(v), max_items=len(AccessAction)
    )
    if not items:
        raise ValidationError("must name at least one action", path=path, code="empty")
    return frozenset(items)


def _team_id(value: object, path: str) -> TeamId:
    if type(value) is not TeamId:
        raise InvalidType(f"must be a TeamId, not {type_name(value)}", path=path)
    return value


def _query_text(value: object, path: str, what: str) -> str:
    # A query names a role, kind or unit as a str; one the policy does not know finds nothing.
    if not isinstance(value, str):
        raise InvalidType(f"must be {what} str, not {type_name(value)}", path=path)
    return value


def _role(value: object) -> str:
    return normalize_role(value, "$.role")


def _any_kind(value: object) -> str:
    return _kind(value, "$.kind")


def _one_kind(value: object) -> str:
    return _kind(value, "$.kind", wildcard=False)


def _action_set(value: object) -> frozenset[AccessAction]:
    return _actions(value, "$.actions")


def _scope(value: object) -> Scope:
    return enum_converter(Scope, "$.scope")(value)


def _team(value: object) -> TeamId:
    return _team_id(value, "$.team")


@attrs.frozen(slots=True, kw_only=True)
class Grant:
    """A role may take ``actions`` on records of ``kind`` (or ``"*"``) within ``scope``.

    >>> grant = Grant(role="sales_rep", kind="customer", actions=["read", "update"], scope="own")
    >>> sorted(a.value for a in grant.actions), grant.scope.value
    (['read', 'update'], 'own')

    .. versionadded:: 0.1
    """

    role: str = attrs.field(converter=_role)
    kind: str = attrs.field(converter=_any_kind)
    actions: frozenset[AccessAction] = attrs.field(converter=_action_set)
    scope: Scope = attrs.field(converter=_scope)


@attrs.frozen(slots=True, kw_only=True)
class FieldMask:
    """Holders of ``role`` read records of ``kind`` with ``fields`` (personal fields) tombstoned.

    The field names are the record class's ``personal_fields``; a kind with
    none, ``"*"`` or an unknown field is refused.

    .. versionadded:: 0.1
    """

    role: str = attrs.field(converter=_role)
    kind: str = attrs.field(converter=_one_kind)
    fields: tuple[str, ...] = attrs.field()

    @fields.validator
    def _check_fields(self, _: attrs.Attribute[Any], value: object) -> None:
        known = tuple(getattr(RECORD_CLASSES[self.kind], "personal_fields", ()))
        if isinstance(value, (str, bytes)) or type(value) is not tuple:
            raise InvalidType(
                f"must be a tuple of field names, not {type_name(value)}", path="$.fields"
            )
        if not value:
            raise ValidationError("must name at least one field", path="$.fields", code="empty")
        for index, name in enumerate(value):
            if type(name) is not str or name not in known:
                raise ValidationError(
                    f"must be a personal field of {self.kind} ({', '.join(known) or 'none'})",
                    path=f"$.fields[{index}]",
                    code="unknown_field",
                )
        if len(set(value)) != len(value):
            raise ValidationError("must not repeat a field", path="$.fields", code="duplicate")


@attrs.frozen(slots=True, kw_only=True)
class SharingRule:
    """Holders of ``role`` may take ``actions`` on records of ``kind`` whose team is ``team``.

    .. versionadded:: 0.1
    """

    kind: str = attrs.field(converter=_any_kind)
    team: TeamId = attrs.field(converter=_team)
    role: str = attrs.field(converter=_role)
    actions: frozenset[AccessAction] = attrs.field(
        default=frozenset({AccessAction.READ}), converter=_action_set
    )


def _pairs(value: object, path: str, max_items: int) -> tuple[tuple[Any, Any], ...]:
    # A mapping, or pairs as the policy keeps them, in a stable order.
    if isinstance(value, Mapping):
        items = list(value.items())
    elif type(value) is tuple and all(type(p) is tuple and len(p) == 2 for p in value):
        items = list(value)
    else:
        raise InvalidType(f"must be a mapping, not {type_name(value)}", path=path)
    if len(items) > max_items:
        raise ValidationError(f"must hold at most {max_items} entries", path=path, code="too_many")
    return tuple(sorted(items, key=lambda kv: _entry_key(kv[0])))


def _entry_key(key: object) -> str:
    # Entries of a mapping are kept (and named in errors, by position) in the order of their key.
    return key.value if type(key) is TeamId else str(key)


def _bounded(value: object, path: str, cls: type[Any], max_items: int) -> tuple[Any, ...]:
    if isinstance(value, (str, bytes, Mapping)) or not isinstance(value, Iterable):
        raise InvalidType(f"must be a sequence, not {type_name(value)}", path=path)
    items = tuple(value) if isinstance(value, (list, tuple)) else None
    if items is None:
        raise InvalidType(f"must be a list or tuple, not {type_name(value)}", path=path)
    if len(items) > max_items:
        raise ValidationError(f"must hold at most {max_items} items", path=path, code="too_many")
    for index, item in enumerate(items):
        if type(item) is not cls:
            raise InvalidType(
                f"must be a {cls.__name__}, not {type_name(item)}", path=f"{path}[{index}]"
            )
    return items


@attrs.frozen(slots=True, kw_only=True)
class _Index:
    grants: Mapping[tuple[str, str, AccessAction], Scope]
    masks: Mapping[tuple[str, str], frozenset[str]]
    below: Mapping[str, frozenset[str]]
    unit_tree: Mapping[str, frozenset[str]]
    team_units: Mapping[TeamId, str]


def _descendants(parent_of: Mapping[str, str | None]) -> dict[str, frozenset[str]]:
    children: dict[str, list[str]] = {}
    for child, parent in parent_of.items():
        if parent is not None:
            children.setdefault(parent, []).append(child)
    result: dict[str, frozenset[str]] = {}
    for node in parent_of.keys() | children.keys():
        seen: set[str] = set()
        stack = list(children.get(node, ()))
        while stack:
            item = stack.pop()
            if item not in seen:
                seen.add(item)
                stack.extend(children.get(item, ()))
        result[node] = frozenset(seen)
    return result


def _check_tree(parent_of: Mapping[str, str | None], path: str) -> None:
    # Each node has at most one parent; refuse a chain that comes back to where it began.
    # Nodes are named by their position in key order, never by their text.
    for position, start in enumerate(sorted(parent_of)):
        node: str | None = parent_of[start]
        steps = 0
        while node is not None and steps <= len(parent_of):
            if node == start:
                raise ValidationError(
                    "must not form a cycle", path=f"{path}[{position}]", code="cycle"
                )
            node = parent_of.get(node)
            steps += 1


def _known_role(role: str, roles: frozenset[str], path: str) -> None:
    if role not in roles:
        raise ValidationError("must be a role the policy declares", path=path, code="unknown_role")


def _grant_index(
    grants: tuple[Grant, ...], roles: frozenset[str]
) -> dict[tuple[str, str, AccessAction], Scope]:
    index: dict[tuple[str, str, AccessAction], Scope] = {}
    for position, grant in enumerate(grants):
        _known_role(grant.role, roles, f"$.grants[{position}].role")
        for action in sorted(grant.actions):
            key = (grant.role, grant.kind, action)
            if key in index:
                raise ValidationError(
                    "must not grant a role the same action on the same kind twice",
                    path=f"$.grants[{position}].actions",
                    code="duplicate_grant",
                )
            index[key] = grant.scope
    return index


def _policy_roles(value: object) -> tuple[str, ...]:
    if isinstance(value, (str, bytes)):
        raise InvalidType(f"must be a sequence of roles, not {type_name(value)}", path="$.roles")
    return tuple(sorted(set(tuple_of(value, "$.roles", normalize_role, max_items=MAX_ROLES))))


def _grants(value: object) -> tuple[Grant, ...]:
    return _bounded(value, "$.grants", Grant, MAX_GRANTS)


def _masks(value: object) -> tuple[FieldMask, ...]:
    return _bounded(value, "$.masks", FieldMask, MAX_MASKS)


def _sharing(value: object) -> tuple[SharingRule, ...]:
    return _bounded(value, "$.sharing", SharingRule, MAX_SHARING_RULES)


def _reports_to(value: object) -> tuple[tuple[str, str], ...]:
    pairs = []
    for index, (role, boss) in enumerate(_pairs(value, "$.reports_to", MAX_ROLES)):
        path = f"$.reports_to[{index}]"
        pairs.append((normalize_role(role, path), normalize_role(boss, path)))
    return tuple(pairs)


def _business_units(value: object) -> tuple[tuple[str, str | None], ...]:
    pairs: list[tuple[str, str | None]] = []
    for index, (unit, parent) in enumerate(_pairs(value, "$.business_units", MAX_BUSINESS_UNITS)):
        path = f"$.business_units[{index}]"
        pairs.append((check_name(unit, path), None if parent is None else check_name(parent, path)))
    return tuple(pairs)


def _team_units(value: object) -> tuple[tuple[TeamId, str], ...]:
    pairs = []
    for index, (team, unit) in enumerate(_pairs(value, "$.team_units", MAX_TEAM_UNITS)):
        path = f"$.team_units[{index}]"
        pairs.append((_team_id(team, path), check_name(unit, path)))
    return tuple(pairs)


@attrs.frozen(slots=True, kw_only=True)
class AccessPolicy:
    """Roles, their grants, field masks, hierarchy, sharing, business units and territories.

    See the module documentation of :mod:`crmcore.access` and ``docs/access.md``.

    >>> policy = AccessPolicy(
    ...     roles=["sales_rep"],
    ...     grants=[Grant(role="sales_rep", kind="customer", actions=["read"], scope="own")],
    ... )
    >>> policy.scope_of("sales_rep", "customer", "read")
    <Scope.OWN: 'own'>
    >>> AccessPolicy.from_dict(policy.to_dict()) == policy
    True

    Raises:
        ValidationError: a grant, mask, sharing rule or hierarchy names a
            role not in ``roles`` (``unknown_role``), a grant repeats a
            role, kind and action (``duplicate_grant``), the hierarchy or the
            business units form a cycle (``cycle``), or a unit or team names
            an undeclared business unit (``unknown_business_unit``).

    .. versionadded:: 0.1
    """

    roles: tuple[str, ...] = attrs.field(converter=_policy_roles)
    grants: tuple[Grant, ...] = attrs.field(default=(), converter=_grants)
    masks: tuple[FieldMask, ...] = attrs.field(default=(), converter=_masks)
    sharing: tuple[SharingRule, ...] = attrs.field(default=(), converter=_sharing)
    reports_to: tuple[tuple[str, str], ...] = attrs.field(default=(), converter=_reports_to)
    business_units: tuple[tuple[str, str | None], ...] = attrs.field(
        default=(), converter=_business_units
    )
    team_units: tuple[tuple[TeamId, str], ...] = attrs.field(default=(), converter=_team_units)
    territories: TerritorySet = attrs.field(factory=TerritorySet)
    _index: _Index = attrs.field(init=False, eq=False, repr=False)

    def __attrs_post_init__(self) -> None:
        roles = frozenset(self.roles)
        grants = _grant_index(self.grants, roles)
        masks: dict[tuple[str, str], frozenset[str]] = {}
        for position, mask in enumerate(self.masks):
            _known_role(mask.role, roles, f"$.masks[{position}].role")
            if (mask.role, mask.kind) in masks:
                raise ValidationError(
                    "must not mask the same kind twice for a role",
                    path=f"$.masks[{position}]",
                    code="duplicate_mask",
                )
            masks[mask.role, mask.kind] = frozenset(mask.fields)
        for position, rule in enumerate(self.sharing):
            _known_role(rule.role, roles, f"$.sharing[{position}].role")
        parent_of: dict[str, str | None] = {}
        for index, (role, boss) in enumerate(self.reports_to):
            _known_role(role, roles, f"$.reports_to[{index}]")
            _known_role(boss, roles, f"$.reports_to[{index}]")
            parent_of[role] = boss
        _check_tree(parent_of, "$.reports_to")
        units = dict(self.business_units)
        for index, (_, parent) in enumerate(self.business_units):
            if parent is not None and parent not in units:
                raise ValidationError(
                    "must name a declared business unit as parent",
                    path=f"$.business_units[{index}]",
                    code="unknown_business_unit",
                )
        _check_tree(units, "$.business_units")
        for index, (_, unit) in enumerate(self.team_units):
            if unit not in units:
                raise ValidationError(
                    "must name a declared business unit",
                    path=f"$.team_units[{index}]",
                    code="unknown_business_unit",
                )
        if type(self.territories) is not TerritorySet:
            raise InvalidType(
                f"must be a TerritorySet, not {type_name(self.territories)}", path="$.territories"
            )
        built = _Index(
            grants=grants,
            masks=masks,
            below=_descendants(parent_of),
            unit_tree={u: d | {u} for u, d in _descendants(units).items()},
            team_units=dict(self.team_units),
        )
        object.__setattr__(self, "_index", built)

    # -- queries ---------------------------------------------------------------------------

    def scope_of(self, role: str, kind: str, action: AccessAction | str) -> Scope | None:
        """The scope at which ``role`` may take ``action`` on ``kind`` (a grant for the kind wins over ``"*"``).

        A ``"*"`` grant lets a role read staff members and teams but not
        change them: who holds which role decides what everyone may do, so
        only a grant naming ``staff_member`` or ``team`` does (otherwise a
        rep holding ``*`` at ``own`` could grant themselves a manager's role).
        """
        _query_text(role, "$.role", "a role")
        _query_text(kind, "$.kind", "a record kind")
        key = enum_converter(AccessAction, "$.action")(action)
        grants = self._index.grants
        found = grants.get((role, kind, key))
        if found is not None or (kind in STAFF_KINDS and key is not AccessAction.READ):
            return found
        return grants.get((role, ANY_KIND, key))

    def masked_for(self, role: str, kind: str) -> frozenset[str]:
        """The personal fields of ``kind`` masked for holders of ``role``."""
        _query_text(role, "$.role", "a role")
        _query_text(kind, "$.kind", "a record kind")
        return self._index.masks.get((role, kind), frozenset())

    def roles_below(self, role: str) -> frozenset[str]:
        """The roles reporting to ``role``, directly or through others."""
        _query_text(role, "$.role", "a role")
        return self._index.below.get(role, frozenset())

    def units_within(self, unit: str) -> frozenset[str]:
        """The business unit and every unit below it (empty for an undeclared unit)."""
        _query_text(unit, "$.unit", "a business unit")
        return self._index.unit_tree.get(unit, frozenset())

    def unit_of_team(self, team: TeamId | None) -> str | None:
        """The business unit a team belongs to, if the policy places it."""
        if team is None:
            return None
        return self._index.team_units.get(_team_id(team, "$.team"))

    def check_principal(self, principal: Principal) -> Principal:
        """Return ``principal`` if the policy declares every role it holds.

        Raises:
            InvalidType: ``principal`` is not a :class:`Principal`.
            UnknownRole: it holds a role the policy does not declare (``$.principal.roles``).
        """
        if type(principal) is not Principal:
            raise InvalidType(
                f"must be a Principal, not {type_name(principal)}", path="$.principal"
            )
        unknown = sorted(principal.roles - frozenset(self.roles))
        if unknown:
            raise UnknownRole(
                f"must hold only roles the policy declares (not {', '.join(unknown)})",
                path="$.principal.roles",
            )
        return principal

    # -- documents -------------------------------------------------------------------------

    def to_dict(self) -> dict[str, Any]:
        """The policy as a JSON-ready dict (what :meth:`from_dict` reads)."""
        return {
            "roles": list(self.roles),
            "grants": [
                {
                    "role": g.role,
                    "kind": g.kind,
                    "actions": sorted(a.value for a in g.actions),
                    "scope": g.scope.value,
                }
                for g in self.grants
            ],
            "masks": [
                {"role": m.role, "kind": m.kind, "fields": list(m.fields)} for m in self.masks
            ],
            "sharing": [
                {
                    "kind": r.kind,
                    "team": r.team.value,
                    "role": r.role,
                    "actions": sorted(a.value for a in r.actions),
                }
                for r in self.sharing
            ],
            "reports_to": dict(self.reports_to),
            "business_units": dict(self.business_units),
            "team_units": {team.value: unit for team, unit in self.team_units},
            "territories": to_dict(self.territories),
        }

    @classmethod
    def from_dict(cls, doc: object) -> AccessPolicy:
        """The policy a :meth:`to_dict` document describes; every key but ``roles`` is optional.

        Raises:
            InvalidType: the document or a part of it has the wrong type (with its path).
            ValidationError: a part breaks a rule, or an unknown key (``unknown_key``); the
                path names it. Large documents are refused by length before they are read.
        """
        return _policy_from_dict(doc)


_KEYS: Final = {
    "$": frozenset(
        {
            "roles",
            "grants",
            "masks",
            "sharing",
            "reports_to",
            "business_units",
            "team_units",
            "territories",
        }
    ),
    "grants": frozenset({"role", "kind", "actions", "scope"}),
    "masks": frozenset({"role", "kind", "fields"}),
    "sharing": frozenset({"kind", "team", "role", "actions"}),
}


def _mapping(
    value: object, path: str, keys: frozenset[str], required: frozenset[str]
) -> Mapping[str, Any]:
    if not isinstance(value, Mapping):
        raise InvalidType(f"must be an object, not {type_name(value)}", path=path)
    for key in value:
        if key not in keys:
            # The key itself is never named: a document's keys may be personal data.
            raise ValidationError(
                f"has a key that is not known (known keys: {', '.join(sorted(keys))})",
                path=path,
                code="unknown_key",
            )
    for key in sorted(required - value.keys()):
        raise ValidationError("is required", path=f"{path}.{key}", code="required")
    return value


def _list(value: object, path: str, max_items: int) -> list[Any]:
    if not isinstance(value, list):
        raise InvalidType(f"must be an array, not {type_name(value)}", path=path)
    if len(value) > max_items:
        raise ValidationError(f"must hold at most {max_items} items", path=path, code="too_many")
    return value


def _text_map(
    value: object, path: str, max_items: int, *, nullable: bool = False, names: bool = True
) -> dict[str, Any]:
    if not isinstance(value, Mapping):
        raise InvalidType(f"must be an object, not {type_name(value)}", path=path)
    if len(value) > max_items:
        raise ValidationError(f"must hold at most {max_items} entries", path=path, code="too_many")
    result: dict[str, Any] = {}
    # Entries are named by their position in key order (the order to_dict writes them),
    # never by their key: keys may be personal data.
    entries = list(value.items())
    for key, _ in entries:
        if type(key) is not str:
            raise InvalidType(f"must have str keys, not {type_name(key)}", path=path)
    for index, (key, item) in enumerate(sorted(entries, key=lambda kv: str(kv[0]))):
        here = f"{path}[{index}]"
        if names:
            check_name(key, here)
        else:
            _team_text(key, here)
        if not (type(item) is str or (nullable and item is None)):
            raise InvalidType(f"must be a str, not {type_name(item)}", path=here)
        result[key] = item
    return result


def _team_text(text: str, path: str) -> TeamId:
    try:
        return TeamId(text)
    except ValidationError as exc:
        raise ValidationError(exc.rule, path=path, code=exc.code) from None


def _build(factory: Any, path: str, **kwargs: Any) -> Any:
    try:
        return factory(**kwargs)
    except ValidationError as exc:
        raise exc.under(path) from None


def _policy_from_dict(doc: object) -> AccessPolicy:
    top = _mapping(doc, "$", _KEYS["$"], frozenset({"roles"}))
    grants = []
    for i, item in enumerate(_list(top.get("grants", []), "$.grants", MAX_GRANTS)):
        here = f"$.grants[{i}]"
        fields = _mapping(item, here, _KEYS["grants"], _KEYS["grants"])
        actions = _list(fields["actions"], f"{here}.actions", len(AccessAction))
        grants.append(_build(Grant, here, **{**fields, "actions": actions}))
    masks = []
    for i, item in enumerate(_list(top.get("masks", []), "$.masks", MAX_MASKS)):
        here = f"$.masks[{i}]"
        fields = _mapping(item, here, _KEYS["masks"], _KEYS["masks"])
        names = tuple(_list(fields["fields"], f"{here}.fields", MAX_MASKED_FIELDS))
        masks.append(
            _build(FieldMask, here, role=fields["role"], kind=fields["kind"], fields=names)
        )
    sharing = []
    for i, item in enumerate(_list(top.get("sharing", []), "$.sharing", MAX_SHARING_RULES)):
        here = f"$.sharing[{i}]"
        fields = _mapping(item, here, _KEYS["sharing"], frozenset({"kind", "team", "role"}))
        team = fields["team"]
        if type(team) is not str:
            raise InvalidType(f"must be a team id str, not {type_name(team)}", path=f"{here}.team")
        kwargs = {**fields, "team": _team_text(team, f"{here}.team")}
        if "actions" in fields:
            kwargs["actions"] = _list(fields["actions"], f"{here}.actions", len(AccessAction))
        sharing.append(_build(SharingRule, here, **kwargs))
    team_units = {}
    for index, (key, unit) in enumerate(
        _text_map(top.get("team_units", {}), "$.team_units", MAX_TEAM_UNITS, names=False).items()
    ):
        team_units[_team_text(key, f"$.team_units[{index}]")] = unit
    territories = top.get("territories")
    policy: AccessPolicy = _build(
        AccessPolicy,
        "$",
        roles=_list(top["roles"], "$.roles", MAX_ROLES),
        grants=grants,
        masks=masks,
        sharing=sharing,
        reports_to=_text_map(top.get("reports_to", {}), "$.reports_to", MAX_ROLES),
        business_units=_text_map(
            top.get("business_units", {}), "$.business_units", MAX_BUSINESS_UNITS, nullable=True
        ),
        team_units=team_units,
        territories=TerritorySet()
        if territories is None
        else _build(lambda: from_dict(TerritorySet, territories), "$.territories"),
    )
    return policy
