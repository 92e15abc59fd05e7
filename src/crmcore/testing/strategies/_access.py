"""Strategies for access control: principals and access policies."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any, Final

from hypothesis import strategies as st

from crmcore._kernel._checks import tuple_of
from crmcore._kernel._ids import StaffId
from crmcore.access import (
    RECORD_CLASSES,
    AccessAction,
    AccessPolicy,
    FieldMask,
    Grant,
    Principal,
    Scope,
    SharingRule,
)
from crmcore.errors import ValidationError
from crmcore.teams import TeamId, Territory, TerritoryId, TerritorySet, normalize_role
from crmcore.testing.strategies._base import _id_choices, _ids_of, _int_arg

#: Roles policies are drawn with, unless the caller names others.
_ROLES: Final = ("sales_rep", "sales_manager", "support_agent", "auditor", "admin")
#: Business units drawn for Dynamics-style policies (each one's parent is one declared before it).
_UNITS: Final = ("organization", "sales", "service", "jakarta", "bandung")
#: Countries the drawn territories are about.
_TERRITORY_COUNTRIES: Final = ("ID", "SG", "MY")


def _role_names(value: object) -> tuple[str, ...]:
    if value is None:
        return _ROLES
    if isinstance(value, (str, bytes)):
        raise ValidationError("must be a collection of roles", path="$.roles", code="type")
    roles = tuple(dict.fromkeys(tuple_of(value, "$.roles", normalize_role)))
    if not roles:
        raise ValidationError("must name at least one role", path="$.roles", code="empty")
    return roles


def _kind_names(value: object) -> tuple[str, ...]:
    if value is None:
        return (*sorted(RECORD_CLASSES), "*")

    def check(item: object, path: str) -> str:
        if item != "*" and item not in RECORD_CLASSES:
            raise ValidationError("must be a record kind or '*'", path=path, code="unknown_kind")
        return str(item)

    kinds = tuple(dict.fromkeys(tuple_of(value, "$.kinds", check)))
    if not kinds:
        raise ValidationError("must name at least one kind", path="$.kinds", code="empty")
    return kinds


def _pool(
    value: object, path: str, cls: type[Any], default: st.SearchStrategy[Any]
) -> st.SearchStrategy[Any]:
    choices = _id_choices(value, path, cls)
    return default if choices is None else st.sampled_from(choices)


def _grants(
    draw: st.DrawFn, roles: tuple[str, ...], kinds: tuple[str, ...], most: int
) -> list[Grant]:
    grants = []
    seen: set[tuple[str, str, AccessAction]] = set()
    for _ in range(draw(st.integers(0, most))):
        role, kind = draw(st.sampled_from(roles)), draw(st.sampled_from(kinds))
        drawn = draw(st.frozensets(st.sampled_from(list(AccessAction)), min_size=1))
        actions = frozenset(a for a in drawn if (role, kind, a) not in seen)
        if actions:
            seen.update((role, kind, a) for a in actions)
            scope = draw(st.sampled_from(list(Scope)))
            grants.append(Grant(role=role, kind=kind, actions=actions, scope=scope))
    return grants


def _masks(draw: st.DrawFn, roles: tuple[str, ...], kinds: tuple[str, ...]) -> list[FieldMask]:
    masks = []
    every = sorted(RECORD_CLASSES) if "*" in kinds else kinds
    for role in roles:
        for kind in every:
            fields: tuple[str, ...] = getattr(RECORD_CLASSES[kind], "personal_fields", ())
            if fields:
                chosen = draw(st.lists(st.sampled_from(fields), unique=True))
                if chosen:
                    masks.append(FieldMask(role=role, kind=kind, fields=tuple(chosen)))
    return masks


def _sharing_rules(
    draw: st.DrawFn,
    roles: tuple[str, ...],
    kinds: tuple[str, ...],
    teams: st.SearchStrategy[TeamId],
) -> list[SharingRule]:
    return [
        SharingRule(
            kind=draw(st.sampled_from(kinds)),
            team=draw(teams),
            role=draw(st.sampled_from(roles)),
            actions=draw(st.frozensets(st.sampled_from(list(AccessAction)), min_size=1)),
        )
        for _ in range(draw(st.integers(0, 3)))
    ]


@st.composite
def _policies(  # noqa: PLR0917 - the resolved options of access_policies.
    draw: st.DrawFn,
    roles: tuple[str, ...],
    kinds: tuple[str, ...],
    teams: st.SearchStrategy[TeamId],
    territories: tuple[TerritoryId, ...],
    options: tuple[int, bool, bool, bool, bool],
) -> AccessPolicy:
    max_grants, masks, hierarchy, sharing, business_units = options
    reports_to: dict[str, str] = {}
    if hierarchy:
        # Each role may report to one declared before it: never a cycle.
        for position, role in enumerate(roles[1:], start=1):
            if draw(st.booleans()):
                reports_to[role] = draw(st.sampled_from(roles[:position]))
    units: dict[str, str | None] = {}
    team_units: dict[TeamId, str] = {}
    if business_units:
        for position, unit in enumerate(_UNITS):
            units[unit] = None if position == 0 else draw(st.sampled_from(_UNITS[:position]))
        for team in draw(st.lists(teams, unique=True, max_size=4)):
            team_units[team] = draw(st.sampled_from(_UNITS))
    territory_set = TerritorySet(
        [
            Territory(
                id=tid, name=tid.value, countries=[draw(st.sampled_from(_TERRITORY_COUNTRIES))]
            )
            for tid in territories
        ]
    )
    return AccessPolicy(
        roles=roles,
        grants=_grants(draw, roles, kinds, max_grants),
        masks=_masks(draw, roles, kinds) if masks else (),
        sharing=_sharing_rules(draw, roles, kinds, teams) if sharing else (),
        reports_to=reports_to,
        business_units=units,
        team_units=team_units,
        territories=territory_set,
    )


def access_policies(
    *,
    roles: Iterable[str] | None = None,
    kinds: Iterable[str] | None = None,
    team_ids: Iterable[TeamId] | None = None,
    territory_ids: Iterable[TerritoryId] | None = None,
    max_grants: int = 12,
    masks: bool = True,
    hierarchy: bool = True,
    sharing: bool = True,
    business_units: bool = True,
) -> st.SearchStrategy[AccessPolicy]:
    """Valid access policies: random grants, masks, a role hierarchy, sharing, units, territories.

    Args:
        roles: the roles declared (every policy declares all of them); a
            small set of sales and service roles by default.
        kinds: the record kinds grants name (``"*"`` included); every kind by default.
        team_ids: the teams sharing rules and business units name.
        territory_ids: the territories of the policy's territory set (each
            over one of a few countries); none by default.
        max_grants: the most grants drawn.
        masks: whether to draw field masks (of the kinds holding personal data).
        hierarchy: whether to draw a role hierarchy (each role under an earlier one).
        sharing: whether to draw up to three sharing rules.
        business_units: whether to draw a tree of business units and place teams in it.

    Raises:
        ValidationError: an option is out of range or names an unknown role or kind.
    """
    checked_roles = _role_names(roles)
    checked_kinds = _kind_names(kinds)
    territories = _id_choices(territory_ids, "$.territory_ids", TerritoryId) or ()
    teams = _pool(team_ids, "$.team_ids", TeamId, _ids_of(TeamId))
    return _policies(
        checked_roles,
        checked_kinds,
        teams,
        tuple(territories),
        (
            _int_arg(max_grants, "$.max_grants", maximum=1_000),
            bool(masks),
            bool(hierarchy),
            bool(sharing),
            bool(business_units),
        ),
    )


@st.composite
def _principals(
    draw: st.DrawFn,
    roles: tuple[str, ...],
    pools: tuple[
        st.SearchStrategy[StaffId], st.SearchStrategy[TeamId], st.SearchStrategy[TerritoryId]
    ],
    units: tuple[str, ...],
) -> Principal:
    staff, teams, territories = pools
    return Principal(
        staff_id=draw(staff),
        roles=draw(st.frozensets(st.sampled_from(roles), max_size=3)) if roles else (),
        teams=draw(st.frozensets(teams, max_size=3)),
        territories=draw(st.frozensets(territories, max_size=2)),
        business_unit=draw(st.none() | st.sampled_from(units)) if units else None,
    )


def principals(
    *,
    policy: AccessPolicy | None = None,
    staff_ids: Iterable[StaffId] | None = None,
    team_ids: Iterable[TeamId] | None = None,
    territory_ids: Iterable[TerritoryId] | None = None,
) -> st.SearchStrategy[Principal]:
    """Principals holding up to three roles (of ``policy``, when given), teams, territories and a unit.

    Args:
        policy: draw only roles and business units it declares (so the
            principal is valid for it); the default role set otherwise.
        staff_ids: the staff ids to draw from; any by default.
        team_ids: the teams to draw from; any by default.
        territory_ids: the territories to draw from; any by default.

    Raises:
        InvalidType: an id of the wrong type.
        ValidationError: ``policy`` is not an access policy, or an empty collection of ids.
    """
    if policy is not None and type(policy) is not AccessPolicy:
        raise ValidationError("must be an AccessPolicy", path="$.policy", code="type")
    roles = _ROLES if policy is None else policy.roles
    units = _UNITS if policy is None else tuple(u for u, _ in policy.business_units)
    pools = (
        _pool(staff_ids, "$.staff_ids", StaffId, _ids_of(StaffId)),
        _pool(team_ids, "$.team_ids", TeamId, _ids_of(TeamId)),
        _pool(territory_ids, "$.territory_ids", TerritoryId, _ids_of(TerritoryId)),
    )
    return _principals(tuple(roles), pools, units)
