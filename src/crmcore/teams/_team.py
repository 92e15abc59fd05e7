"""Teams: a named group of staff members with an optional manager.

A :class:`Team` is an aggregate on the crmcore kernel. Its members are staff
ids in the order they joined, each at most once; its manager is a staff id
that leads the team and is not automatically a member (a sales manager who
takes no leads is the manager of a team without being in its assignment
pool). The team does not know whether its members are active: assignment
asks the staff members themselves (see :func:`crmcore.teams.assign`).
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Final, Unpack

import attrs

from crmcore._kernel._aggregate import Aggregate, optional_typed_id
from crmcore._kernel._checks import check_unique, clean_text, items_of, limit, type_name
from crmcore._kernel._events import DomainEvent, EventMeta
from crmcore._kernel._ids import StaffId
from crmcore.errors import InvalidType, ValidationError
from crmcore.teams._ids import TeamId

#: Longest team name, in characters.
MAX_TEAM_NAME: Final = 200
#: Most members one team may hold.
MAX_MEMBERS: Final = 10_000


# -- events ------------------------------------------------------------------------------


@attrs.frozen(slots=True, kw_only=True)
class TeamEvent(DomainEvent, aggregate="team"):
    """Base of the events recorded by a :class:`Team` (never the team's name: events carry codes)."""

    team_id: TeamId


@attrs.frozen(slots=True, kw_only=True)
class TeamFormed(TeamEvent):
    """A team was formed with these members (in joining order) and this manager."""

    member_ids: tuple[StaffId, ...] = ()
    manager_id: StaffId | None = None


@attrs.frozen(slots=True, kw_only=True)
class TeamRenamed(TeamEvent):
    """A team's name changed (the name stays in the aggregate)."""


@attrs.frozen(slots=True, kw_only=True)
class TeamMemberAdded(TeamEvent):
    """A staff member joined the team."""

    staff_id: StaffId


@attrs.frozen(slots=True, kw_only=True)
class TeamMemberRemoved(TeamEvent):
    """A staff member left the team."""

    staff_id: StaffId


@attrs.frozen(slots=True, kw_only=True)
class TeamManagerChanged(TeamEvent):
    """The team's manager changed (``None``: the team has no manager now)."""

    manager_id: StaffId | None = None
    previous_manager_id: StaffId | None = None


# -- the aggregate -----------------------------------------------------------------------


def _team_name(value: object) -> str:
    return clean_text(value, "$.name", max_length=MAX_TEAM_NAME, what="a team name")


def _team_members(value: object) -> tuple[StaffId, ...]:
    members = items_of(
        value, StaffId, "$.members", "a StaffId", max_items=MAX_MEMBERS, noun="members"
    )
    check_unique(members, lambda m: m, "$.members[{}]", "must not name the same staff member twice")
    return members


def _staff_arg(value: object, path: str) -> StaffId:
    if type(value) is not StaffId:
        raise InvalidType(f"must be a StaffId, not {type_name(value)}", path=path)
    return value


def _manager_arg(value: object) -> StaffId | None:
    return None if value is None else _staff_arg(value, "$.manager_id")


@attrs.frozen(slots=True, kw_only=True, repr=False)
class Team(Aggregate[TeamId], kind="team"):
    """A named team of staff members with an optional manager.

    Form one with :meth:`form` (:class:`TeamFormed`); :meth:`add_member`,
    :meth:`remove_member`, :meth:`change_manager` and :meth:`rename` change
    it. Members keep the order they joined in; assignment orders them by id
    (see :func:`crmcore.teams.assign`), so that order never decides who gets
    work. The manager leads the team and is a member only if added as one.

    Like every crmcore aggregate it is immutable: each command returns a new
    team and records an event in :attr:`pending_events`; a command dated
    before the last change (:attr:`updated_at`) is refused with code
    ``time_backwards``. Every command also takes the envelope keywords
    ``actor``, ``correlation_id`` and ``causation_id``.

    >>> from datetime import datetime, timezone
    >>> at = datetime(2026, 5, 4, 9, 0, tzinfo=timezone.utc)
    >>> team = Team.form(
    ...     TeamId("t-jkt"),
    ...     name="Jakarta enterprise",
    ...     members=[StaffId("s-rina"), StaffId("s-budi")],
    ...     manager_id=StaffId("s-dewi"),
    ...     at=at,
    ... )
    >>> team
    Team(id=TeamId('t-jkt'), members=2, manager_id=StaffId('s-dewi'), version=0, pending_events=1)
    >>> team = team.add_member(StaffId("s-agus"), at=at).remove_member(StaffId("s-rina"), at=at)
    >>> team.members
    (StaffId('s-budi'), StaffId('s-agus'))
    >>> [e.type for e in team.pending_events]
    ['TeamFormed', 'TeamMemberAdded', 'TeamMemberRemoved']

    .. versionadded:: 0.1
    """

    name: str = attrs.field(converter=_team_name)
    members: tuple[StaffId, ...] = attrs.field(
        default=(), converter=_team_members, metadata=limit(MAX_MEMBERS)
    )
    manager_id: StaffId | None = attrs.field(
        default=None, validator=optional_typed_id(StaffId, "$.manager_id")
    )

    def _event_fields(self) -> Mapping[str, object]:
        return {"team_id": self.id}

    # -- construction ---------------------------------------------------------------------

    @classmethod
    def form(
        cls,
        team_id: TeamId,
        *,
        name: str,
        at: datetime,
        members: tuple[StaffId, ...] | list[StaffId] = (),
        manager_id: StaffId | None = None,
        **meta: Unpack[EventMeta],
    ) -> Team:
        """Form a team at ``at``; records :class:`TeamFormed`.

        Raises:
            InvalidType: ``team_id``, a member or the manager is not an id of its kind.
            ValidationError: an argument breaks a rule; the path names it
                (``$.name``, ``$.members[2]`` with code ``duplicate``, ``$.at``).
        """
        command = cls._begin_new(at, meta)
        return cls._create(
            command,
            lambda team: TeamFormed.draft(member_ids=team.members, manager_id=team.manager_id),
            id=team_id,
            name=name,
            members=members,
            manager_id=manager_id,
        )

    # -- queries --------------------------------------------------------------------------

    def has_member(self, staff_id: StaffId) -> bool:
        """True if ``staff_id`` is a member of the team."""
        _staff_arg(staff_id, "$.staff_id")
        return staff_id in self.members

    # -- commands -------------------------------------------------------------------------

    def rename(self, name: str, *, at: datetime, **meta: Unpack[EventMeta]) -> Team:
        """Change the team's name; records :class:`TeamRenamed` (the same name is a no-op).

        Raises:
            ValidationError: the name breaks a rule (``$.name``) or ``at`` is
                refused (``$.at``).
        """
        command = self._begin(at, meta)
        checked = _team_name(name)
        if checked == self.name:
            return self
        return self._record(command, TeamRenamed.draft(), name=checked)

    def add_member(self, staff_id: StaffId, *, at: datetime, **meta: Unpack[EventMeta]) -> Team:
        """Add a member at the end; records :class:`TeamMemberAdded` (a member already in is a no-op).

        Raises:
            InvalidType: ``staff_id`` is not a :class:`~crmcore.StaffId` (``$.staff_id``).
            ValidationError: the team holds :data:`MAX_MEMBERS` members already
                (``$.members``, code ``too_many``) or ``at`` is refused (``$.at``).
        """
        _staff_arg(staff_id, "$.staff_id")
        command = self._begin(at, meta)
        if staff_id in self.members:
            return self
        if len(self.members) >= MAX_MEMBERS:
            raise ValidationError(
                f"must hold at most {MAX_MEMBERS} members", path="$.members", code="too_many"
            )
        return self._record(
            command, TeamMemberAdded.draft(staff_id=staff_id), members=(*self.members, staff_id)
        )

    def remove_member(self, staff_id: StaffId, *, at: datetime, **meta: Unpack[EventMeta]) -> Team:
        """Remove a member; records :class:`TeamMemberRemoved` (someone not a member is a no-op).

        Removing the manager as a member leaves them the manager.

        Raises:
            InvalidType: ``staff_id`` is not a :class:`~crmcore.StaffId` (``$.staff_id``).
            ValidationError: ``at`` is refused (``$.at``).
        """
        _staff_arg(staff_id, "$.staff_id")
        command = self._begin(at, meta)
        if staff_id not in self.members:
            return self
        members = tuple(m for m in self.members if m != staff_id)
        return self._record(command, TeamMemberRemoved.draft(staff_id=staff_id), members=members)

    def change_manager(
        self, manager_id: StaffId | None, *, at: datetime, **meta: Unpack[EventMeta]
    ) -> Team:
        """Make ``manager_id`` the manager (``None``: no manager); records :class:`TeamManagerChanged`.

        The current manager again is a no-op.

        Raises:
            InvalidType: ``manager_id`` is neither a :class:`~crmcore.StaffId`
                nor ``None`` (``$.manager_id``).
            ValidationError: ``at`` is refused (``$.at``).
        """
        _manager_arg(manager_id)
        command = self._begin(at, meta)
        if manager_id == self.manager_id:
            return self
        draft = TeamManagerChanged.draft(manager_id=manager_id, previous_manager_id=self.manager_id)
        return self._record(command, draft, manager_id=manager_id)

    def __repr__(self) -> str:
        return (
            f"Team(id={self.id!r}, members={len(self.members)}, manager_id={self.manager_id!r}, "
            f"version={self.version}, pending_events={len(self.pending_events)})"
        )
