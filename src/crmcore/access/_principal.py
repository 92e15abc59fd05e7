"""Who is acting: a member of staff with roles, teams, territories and a business unit."""

from __future__ import annotations

from typing import Final

import attrs

from crmcore._kernel._aggregate import typed_id
from crmcore._kernel._checks import check_name, tuple_of, type_name
from crmcore._kernel._ids import StaffId
from crmcore.errors import InvalidType
from crmcore.teams import TeamId, TerritoryId, normalize_role

#: Most roles, teams or territories one principal may hold.
MAX_PRINCIPAL_ITEMS: Final = 1_000


def _collection(value: object, path: str) -> None:
    if isinstance(value, (str, bytes)) or value is None:
        raise InvalidType(f"must be a collection, not {type_name(value)}", path=path)


def _roles(value: object) -> frozenset[str]:
    _collection(value, "$.roles")
    return frozenset(tuple_of(value, "$.roles", normalize_role, max_items=MAX_PRINCIPAL_ITEMS))


def _team(value: object, path: str) -> TeamId:
    if type(value) is not TeamId:
        raise InvalidType(f"must be a TeamId, not {type_name(value)}", path=path)
    return value


def _territory(value: object, path: str) -> TerritoryId:
    if type(value) is not TerritoryId:
        raise InvalidType(f"must be a TerritoryId, not {type_name(value)}", path=path)
    return value


def _teams(value: object) -> frozenset[TeamId]:
    _collection(value, "$.teams")
    return frozenset(tuple_of(value, "$.teams", _team, max_items=MAX_PRINCIPAL_ITEMS))


def _territories(value: object) -> frozenset[TerritoryId]:
    _collection(value, "$.territories")
    return frozenset(tuple_of(value, "$.territories", _territory, max_items=MAX_PRINCIPAL_ITEMS))


def _unit(value: object) -> str | None:
    return None if value is None else check_name(value, "$.business_unit")


@attrs.frozen(slots=True, kw_only=True)
class Principal:
    """The member of staff an access decision is about.

    It holds ids and codes only: no name, no address. ``roles`` are
    snake_case names as staff members keep them; ``business_unit`` is the
    code of the principal's business unit (Dynamics 365 style), if the
    policy uses business units.

    >>> from crmcore import StaffId
    >>> rep = Principal(staff_id=StaffId("s-1"), roles=["sales_rep"])
    >>> sorted(rep.roles), rep.teams, rep.business_unit
    (['sales_rep'], frozenset(), None)

    .. versionadded:: 0.1
    """

    staff_id: StaffId = attrs.field(validator=typed_id(StaffId, "$.staff_id"))
    roles: frozenset[str] = attrs.field(default=frozenset(), converter=_roles)
    teams: frozenset[TeamId] = attrs.field(default=frozenset(), converter=_teams)
    territories: frozenset[TerritoryId] = attrs.field(default=frozenset(), converter=_territories)
    business_unit: str | None = attrs.field(default=None, converter=_unit)
