"""Teams: staff members, teams, territories and deterministic assignment rules.

:class:`StaffMember` and :class:`Team` are aggregates on the crmcore kernel
(staff members are identified by the :class:`~crmcore.StaffId` leads, cases
and interactions already name). :class:`Territory` values are serializable
rules over a party's country, region, postal code, industry and size; a
:class:`TerritorySet` resolves a party to at most one of them and explains
why. :func:`assign` picks an owner by territory route, round robin or least
open work, deterministically, from state the caller passes in and keeps.
"""

from crmcore._kernel._ids import StaffId
from crmcore.teams._assignment import (
    Assignment,
    AssignmentMethod,
    AssignmentRule,
    Distribution,
    Pool,
    RoundRobinCursor,
    RoundRobinState,
    TerritoryRoute,
    assign,
    pool_key,
)
from crmcore.teams._errors import AssignmentError, EmptyPool, NoRoute
from crmcore.teams._ids import TeamId, TerritoryId
from crmcore.teams._staff import (
    StaffMember,
    StaffMemberAnonymised,
    StaffMemberDeactivated,
    StaffMemberEvent,
    StaffMemberReactivated,
    StaffMemberRegistered,
    StaffMemberRenamed,
    StaffRoleGranted,
    StaffRoleRevoked,
    normalize_role,
)
from crmcore.teams._team import (
    Team,
    TeamEvent,
    TeamFormed,
    TeamManagerChanged,
    TeamMemberAdded,
    TeamMemberRemoved,
    TeamRenamed,
)
from crmcore.teams._territories import (
    Criterion,
    PartyFacts,
    SizeBand,
    Territory,
    TerritoryMatch,
    TerritoryResolution,
    TerritorySet,
    normalize_country,
    normalize_industry,
    normalize_postal_code,
    normalize_region,
)

__all__ = [
    "Assignment",
    "AssignmentError",
    "AssignmentMethod",
    "AssignmentRule",
    "Criterion",
    "Distribution",
    "EmptyPool",
    "NoRoute",
    "PartyFacts",
    "Pool",
    "RoundRobinCursor",
    "RoundRobinState",
    "SizeBand",
    "StaffId",
    "StaffMember",
    "StaffMemberAnonymised",
    "StaffMemberDeactivated",
    "StaffMemberEvent",
    "StaffMemberReactivated",
    "StaffMemberRegistered",
    "StaffMemberRenamed",
    "StaffRoleGranted",
    "StaffRoleRevoked",
    "Team",
    "TeamEvent",
    "TeamFormed",
    "TeamId",
    "TeamManagerChanged",
    "TeamMemberAdded",
    "TeamMemberRemoved",
    "TeamRenamed",
    "Territory",
    "TerritoryId",
    "TerritoryMatch",
    "TerritoryResolution",
    "TerritoryRoute",
    "TerritorySet",
    "assign",
    "normalize_country",
    "normalize_industry",
    "normalize_postal_code",
    "normalize_region",
    "normalize_role",
    "pool_key",
]
