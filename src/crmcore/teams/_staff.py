"""Staff members: the people records are assigned to, their roles and whether they are active.

A :class:`StaffMember` is an aggregate on the crmcore kernel identified by the
kernel's :class:`~crmcore.StaffId` (the id leads, opportunities, cases and
interactions already name). Its display name is personal data: it stays in the
aggregate, out of the repr and out of every event. Assignment rules skip
inactive staff members (see :func:`crmcore.teams.assign`).
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Any, Final, Unpack

import attrs

from crmcore._kernel._checks import (
    check_name,
    clean_text,
    is_bool,
    limit,
    tuple_of,
    type_name,
)
from crmcore._kernel._events import DomainEvent, EventMeta
from crmcore._kernel._ids import StaffId
from crmcore._kernel._personal import ERASED, HoldsPersonalData, PersonalDataErasedEvent
from crmcore.errors import InvalidType, ValidationError

#: Longest display name, in characters.
MAX_DISPLAY_NAME: Final = 200
#: Most roles one staff member may hold.
MAX_ROLES: Final = 50


def normalize_role(value: object, path: str = "$.role") -> str:
    """A role as staff members keep it: a snake_case name such as ``"account_manager"``.

    >>> normalize_role("sales_rep")
    'sales_rep'
    >>> normalize_role("Sales Rep")
    Traceback (most recent call last):
    ...
    crmcore.errors.ValidationError: $.role: must be a snake_case name (a lowercase letter, then lowercase letters, digits or underscores; at most 64 characters)
    """
    return check_name(value, path)


def roles_of(value: object, path: str = "$.roles") -> tuple[str, ...]:
    """Roles as a sorted tuple without repeats, every one checked (at most :data:`MAX_ROLES`)."""
    if isinstance(value, (str, bytes)):
        raise InvalidType(f"must be a sequence of roles, not {type_name(value)}", path=path)
    checked = tuple_of(value, path, normalize_role, max_items=MAX_ROLES)
    return tuple(sorted(set(checked)))


# -- events ------------------------------------------------------------------------------


@attrs.frozen(slots=True, kw_only=True)
class StaffMemberEvent(DomainEvent, aggregate="staff_member", id_field="staff_id"):
    """Base of the events recorded by a :class:`StaffMember` (never the display name)."""

    staff_id: StaffId


@attrs.frozen(slots=True, kw_only=True)
class StaffMemberRegistered(StaffMemberEvent):
    """A staff member was registered, active, with these roles."""

    roles: tuple[str, ...] = ()

    def _check(self) -> None:
        for index, role in enumerate(self.roles):
            normalize_role(role, f"$.roles[{index}]")


@attrs.frozen(slots=True, kw_only=True)
class StaffMemberRenamed(StaffMemberEvent):
    """A staff member's display name changed (the name stays in the aggregate)."""


@attrs.frozen(slots=True, kw_only=True)
class StaffRoleGranted(StaffMemberEvent):
    """A staff member was given a role."""

    role: str

    def _check(self) -> None:
        normalize_role(self.role)


@attrs.frozen(slots=True, kw_only=True)
class StaffRoleRevoked(StaffMemberEvent):
    """A staff member lost a role."""

    role: str

    def _check(self) -> None:
        normalize_role(self.role)


@attrs.frozen(slots=True, kw_only=True)
class StaffMemberDeactivated(StaffMemberEvent):
    """A staff member became inactive: assignment rules pass over them from now on."""


@attrs.frozen(slots=True, kw_only=True)
class StaffMemberReactivated(StaffMemberEvent):
    """An inactive staff member became active again."""


@attrs.frozen(slots=True, kw_only=True)
class StaffMemberAnonymised(PersonalDataErasedEvent, StaffMemberEvent):
    """The staff member's personal fields (``fields``: the display name) were erased."""

    fields: tuple[str, ...]


# -- the aggregate -----------------------------------------------------------------------


def _staff_display_name(value: object) -> str:
    return clean_text(value, "$.display_name", max_length=MAX_DISPLAY_NAME, what="a name")


def _staff_roles(value: object) -> tuple[str, ...]:
    return roles_of(value)


@attrs.frozen(slots=True, kw_only=True, repr=False)
class StaffMember(HoldsPersonalData[StaffId], kind="staff_member"):
    """A member of staff: an agent, a sales representative, a store clerk, a manager.

    Register one with :meth:`register` (:class:`StaffMemberRegistered`). Roles
    are snake_case names kept sorted and without repeats (``"sales_rep"``,
    ``"support_agent"``); :meth:`grant_role` and :meth:`revoke_role` change
    them. :meth:`deactivate` takes a member out of every assignment pool
    without removing them from their teams; :meth:`reactivate` brings them
    back. The display name is personal data: the repr and the events leave
    it out, and :meth:`anonymise` replaces it by ``"[erased]"``
    (:class:`StaffMemberAnonymised`), keeping the id, the roles and the flag.

    Like every crmcore aggregate it is immutable: each command returns a new
    staff member and records an event in :attr:`pending_events`; a command
    dated before the last change (:attr:`updated_at`) is refused with code
    ``time_backwards``. Every command also takes the envelope keywords
    ``actor``, ``correlation_id`` and ``causation_id`` (see :mod:`crmcore.events`).

    >>> from datetime import datetime, timezone
    >>> at = datetime(2026, 5, 4, 9, 0, tzinfo=timezone.utc)
    >>> rina = StaffMember.register(
    ...     StaffId("s-rina"), display_name="Rina Wijaya", roles=["sales_rep"], at=at
    ... )
    >>> rina
    StaffMember(id=StaffId('s-rina'), active=True, roles=('sales_rep',), version=0, pending_events=1)
    >>> rina = rina.grant_role("account_manager", at=at).deactivate(at=at, actor="s-boss")
    >>> rina.active, rina.roles
    (False, ('account_manager', 'sales_rep'))
    >>> [(e.event_id, e.type) for e in rina.pending_events]
    [('staff_member:s-rina#1', 'StaffMemberRegistered'), ('staff_member:s-rina#2', 'StaffRoleGranted'), ('staff_member:s-rina#3', 'StaffMemberDeactivated')]

    .. versionadded:: 0.1
    """

    display_name: str = attrs.field(converter=_staff_display_name)
    active: bool = attrs.field(default=True, validator=is_bool)
    roles: tuple[str, ...] = attrs.field(
        default=(), converter=_staff_roles, metadata=limit(MAX_ROLES)
    )

    _anonymised_by = StaffMemberAnonymised
    personal_fields = ("display_name",)

    def _event_fields(self) -> Mapping[str, object]:
        return {"staff_id": self.id}

    def _tombstones(self, fields: frozenset[str]) -> dict[str, Any]:
        return dict.fromkeys(fields, ERASED)  # the display name is required text

    # -- construction ---------------------------------------------------------------------

    @classmethod
    def register(
        cls,
        staff_id: StaffId,
        *,
        display_name: str,
        at: datetime,
        roles: tuple[str, ...] | list[str] = (),
        **meta: Unpack[EventMeta],
    ) -> StaffMember:
        """Register an active staff member at ``at``; records :class:`StaffMemberRegistered`.

        Raises:
            InvalidType: ``staff_id`` is not a :class:`~crmcore.StaffId`, or
                another argument has the wrong type.
            ValidationError: an argument breaks a rule; the path names it
                (``$.display_name``, ``$.roles[0]``, ``$.at``).
        """
        command = cls._begin_new(at, meta)
        return cls._create(
            command,
            lambda member: StaffMemberRegistered.draft(roles=member.roles),
            id=staff_id,
            display_name=display_name,
            roles=roles,
        )

    # -- queries --------------------------------------------------------------------------

    def has_role(self, role: str) -> bool:
        """True if the staff member holds ``role`` (checked like any role)."""
        return normalize_role(role) in self.roles

    # -- commands -------------------------------------------------------------------------

    def rename(self, display_name: str, *, at: datetime, **meta: Unpack[EventMeta]) -> StaffMember:
        """Change the display name; records :class:`StaffMemberRenamed` (the same name is a no-op).

        Raises:
            ValidationError: the name breaks a rule (``$.display_name``) or
                ``at`` is naive or before the last change (``$.at``).
        """
        command = self._begin(at, meta)
        name = _staff_display_name(display_name)
        if name == self.display_name:
            return self
        return self._record(command, StaffMemberRenamed.draft(), display_name=name)

    def grant_role(self, role: str, *, at: datetime, **meta: Unpack[EventMeta]) -> StaffMember:
        """Give the staff member ``role``; records :class:`StaffRoleGranted` (a held role is a no-op).

        Raises:
            ValidationError: ``role`` is not a snake_case name (``$.role``),
                the member holds :data:`MAX_ROLES` roles already (``$.roles``,
                code ``too_many``), or ``at`` is refused (``$.at``).
        """
        command = self._begin(at, meta)
        checked = normalize_role(role)
        if checked in self.roles:
            return self
        if len(self.roles) >= MAX_ROLES:
            raise ValidationError(
                f"must hold at most {MAX_ROLES} roles", path="$.roles", code="too_many"
            )
        roles = tuple(sorted((*self.roles, checked)))
        return self._record(command, StaffRoleGranted.draft(role=checked), roles=roles)

    def revoke_role(self, role: str, *, at: datetime, **meta: Unpack[EventMeta]) -> StaffMember:
        """Take ``role`` away; records :class:`StaffRoleRevoked` (a role not held is a no-op).

        Raises:
            ValidationError: ``role`` is not a snake_case name (``$.role``) or
                ``at`` is refused (``$.at``).
        """
        command = self._begin(at, meta)
        checked = normalize_role(role)
        if checked not in self.roles:
            return self
        roles = tuple(r for r in self.roles if r != checked)
        return self._record(command, StaffRoleRevoked.draft(role=checked), roles=roles)

    def deactivate(self, *, at: datetime, **meta: Unpack[EventMeta]) -> StaffMember:
        """Make the staff member inactive; records :class:`StaffMemberDeactivated`.

        Deactivating an inactive member changes nothing. Teams keep the member;
        assignment passes over them.

        Raises:
            ValidationError: ``at`` is naive or before the last change (``$.at``).
        """
        command = self._begin(at, meta)
        if not self.active:
            return self
        return self._record(command, StaffMemberDeactivated.draft(), active=False)

    def reactivate(self, *, at: datetime, **meta: Unpack[EventMeta]) -> StaffMember:
        """Make an inactive staff member active again; records :class:`StaffMemberReactivated`.

        Reactivating an active member changes nothing.

        Raises:
            ValidationError: ``at`` is naive or before the last change (``$.at``).
        """
        command = self._begin(at, meta)
        if self.active:
            return self
        return self._record(command, StaffMemberReactivated.draft(), active=True)

    def __repr__(self) -> str:
        return (
            f"StaffMember(id={self.id!r}, active={self.active}, roles={self.roles!r}, "
            f"version={self.version}, pending_events={len(self.pending_events)})"
        )
