"""The staff and team repositories and the registrations of their aggregates."""

from __future__ import annotations

from typing import Final

from crmcore._kernel._ids import StaffId
from crmcore.repository._lookups import id_argument, optional_id
from crmcore.repository._ports import StaffRepository, TeamRepository
from crmcore.repository._store import AggregateSpec, StoreRepository
from crmcore.teams import StaffMember, Team, TeamId, normalize_role


def _staff_roles(member: StaffMember) -> tuple[str, ...]:
    return member.roles


def _staff_active(member: StaffMember) -> tuple[str, ...]:
    return ("active",) if member.active else ()


class StoreStaffRepository(StoreRepository[StaffMember], StaffRepository):
    """The staff repository of :class:`~crmcore.repository.StoreUnitOfWork`.

    .. versionadded:: 0.1
    """

    def with_role(self, role: str) -> list[StaffMember]:
        """The staff members holding ``role`` (see :class:`StaffRepository`)."""
        self._unit.view()
        return self.find_by_index("role", normalize_role(role))

    def active(self) -> list[StaffMember]:
        """The active staff members (see :class:`StaffRepository`)."""
        self._unit.view()
        return self.find_by_index("active", "active")


def _team_members(team: Team) -> tuple[str, ...]:
    return tuple(member.value for member in team.members)


def _team_manager(team: Team) -> tuple[str, ...]:
    return optional_id(team.manager_id)


class StoreTeamRepository(StoreRepository[Team], TeamRepository):
    """The team repository of :class:`~crmcore.repository.StoreUnitOfWork`.

    .. versionadded:: 0.1
    """

    def with_member(self, staff_id: StaffId) -> list[Team]:
        """The teams a staff member belongs to (see :class:`TeamRepository`)."""
        self._unit.view()
        return self.find_by_index("member", id_argument(staff_id, StaffId, "$.staff_id"))

    def managed_by(self, staff_id: StaffId) -> list[Team]:
        """The teams a staff member manages (see :class:`TeamRepository`)."""
        self._unit.view()
        return self.find_by_index("manager", id_argument(staff_id, StaffId, "$.staff_id"))


#: The registration of the :class:`~crmcore.teams.StaffMember` aggregate.
STAFF: Final[AggregateSpec[StaffMember]] = AggregateSpec(
    name="staff",
    kind="staff member",
    aggregate_type=StaffMember,
    id_type=StaffId,
    indexes={"role": _staff_roles, "active": _staff_active},
    repository_type=StoreStaffRepository,
)

#: The registration of the :class:`~crmcore.teams.Team` aggregate. The manager is a
#: reference checked at commit; the members (a tuple of ids) are not.
TEAMS: Final[AggregateSpec[Team]] = AggregateSpec(
    name="teams",
    kind="team",
    aggregate_type=Team,
    id_type=TeamId,
    indexes={"member": _team_members, "manager": _team_manager},
    repository_type=StoreTeamRepository,
    references={"manager_id": "staff"},
)
