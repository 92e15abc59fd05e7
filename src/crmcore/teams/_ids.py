"""The identifiers of teams and territories (staff members use the kernel's :class:`StaffId`)."""

from __future__ import annotations

from crmcore._kernel._ids import Identifier


class TeamId(Identifier):
    """Identifies a :class:`~crmcore.teams.Team`.

    >>> TeamId("team-jkt")
    TeamId('team-jkt')
    """

    __slots__ = ()


class TerritoryId(Identifier):
    """Identifies a :class:`~crmcore.teams.Territory`.

    >>> TerritoryId("id-west-java")
    TerritoryId('id-west-java')
    """

    __slots__ = ()
