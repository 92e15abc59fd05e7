"""The identifiers of teams and territories.

Staff members use the kernel's :class:`StaffId`; :class:`TeamId` lives in the
kernel too (every operational aggregate may name a team) and is re-exported here.
"""

from __future__ import annotations

from crmcore._kernel._ids import Identifier, TeamId

__all__ = ["TeamId", "TerritoryId"]


class TerritoryId(Identifier):
    """Identifies a :class:`~crmcore.teams.Territory`.

    >>> TerritoryId("id-west-java")
    TerritoryId('id-west-java')
    """

    __slots__ = ()
