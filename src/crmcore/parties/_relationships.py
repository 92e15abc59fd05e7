"""Relationships between parties: contacts of accounts, households, partners, referrals, hierarchies.

A :class:`Relationship` links two parties (customers, each a person or an
organization) with a kind, roles, a primary flag and a validity: it is in
force from ``valid_from`` (inclusive) until ``valid_until`` (exclusive; open
while ``None``). Reading ``party_id`` first: *party* ``kind`` *related*.

=====================  ==========================  ==============================
kind                   party                       related
=====================  ==========================  ==============================
``contact_of``         a person                    an organization (the account)
``household_member``   a person                    the household (a person or
                                                   an organization record)
``partner``            a person or organization    ``None`` (the business) or an
``reseller``                                       account it serves
``referred_by``        the referred customer       the customer who referred them
``parent_of``          the parent organization     the child organization
=====================  ==========================  ==============================

Roles are snake_case codes: :class:`ContactRole` and :class:`HouseholdRole`
list the usual ones, and an application may use its own. The job title and
department of a contact are free text that may identify a person: they stay
in the aggregate, out of its repr and out of its events.

Rules that span several relationships (no overlapping validity of the same
relationship, one parent per organization at a time, no hierarchy cycles,
one primary at a time) are checked over a collection by
:func:`~crmcore.parties.check_relationships` and
:meth:`~crmcore.parties.RelationshipGraph.admit`.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import datetime
from enum import StrEnum
from typing import Final, Unpack

import attrs

from crmcore._kernel._aggregate import (
    Command,
    RepointsCustomer,
    optional_typed_id,
    typed_id,
)
from crmcore._kernel._checks import (
    check_name,
    clean_text,
    enum_converter,
    error_path,
    is_bool,
    limit,
    require_aware,
    tuple_of,
    type_name,
)
from crmcore._kernel._events import DomainEvent, EventMeta
from crmcore._kernel._ids import CustomerId, Identifier
from crmcore._kernel._personal import HoldsPersonalData, PersonalDataErasedEvent
from crmcore._kernel._repoint import CustomerRepointedEvent
from crmcore.customers import PartyKind
from crmcore.errors import InvalidType, ValidationError

#: Most roles one relationship may hold.
MAX_ROLES: Final = 16
#: Longest job title or department, in characters.
MAX_DETAIL: Final = 200


class RelationshipId(Identifier):
    """Identifies a :class:`Relationship`.

    >>> RelationshipId("rel-1")
    RelationshipId('rel-1')
    """

    __slots__ = ()


class RelationshipKind(StrEnum):
    """What a relationship says about its two parties (read: *party* kind *related*)."""

    CONTACT_OF = "contact_of"
    HOUSEHOLD_MEMBER = "household_member"
    PARTNER = "partner"
    RESELLER = "reseller"
    REFERRED_BY = "referred_by"
    PARENT_OF = "parent_of"


class ContactRole(StrEnum):
    """The usual roles of a contact at an account (any snake_case code is accepted too)."""

    DECISION_MAKER = "decision_maker"
    ECONOMIC_BUYER = "economic_buyer"
    TECHNICAL = "technical"
    BILLING = "billing"
    CHAMPION = "champion"
    INFLUENCER = "influencer"
    USER = "user"
    EXECUTIVE_SPONSOR = "executive_sponsor"
    PROCUREMENT = "procurement"
    LEGAL = "legal"


class HouseholdRole(StrEnum):
    """The usual roles of a household member (any snake_case code is accepted too)."""

    HEAD = "head"
    SPOUSE = "spouse"
    CHILD = "child"
    PARENT = "parent"
    DEPENDENT = "dependent"
    MEMBER = "member"


_P, _O = PartyKind.PERSON, PartyKind.ORGANIZATION
_ANY: Final = frozenset({_P, _O})


@attrs.frozen(slots=True)
class _KindRule:
    party: frozenset[PartyKind]
    related: frozenset[PartyKind]
    #: The related party may be ``None``: the business itself.
    business: bool = False
    #: Job title and department apply.
    details: bool = False


_RULES: Final[Mapping[RelationshipKind, _KindRule]] = {
    RelationshipKind.CONTACT_OF: _KindRule(frozenset({_P}), frozenset({_O}), details=True),
    RelationshipKind.HOUSEHOLD_MEMBER: _KindRule(frozenset({_P}), _ANY),
    RelationshipKind.PARTNER: _KindRule(_ANY, _ANY, business=True),
    RelationshipKind.RESELLER: _KindRule(_ANY, _ANY, business=True),
    RelationshipKind.REFERRED_BY: _KindRule(_ANY, _ANY),
    RelationshipKind.PARENT_OF: _KindRule(frozenset({_O}), frozenset({_O})),
}


def normalize_roles(value: object, path: str = "$.roles") -> tuple[str, ...]:
    """Roles as relationships keep them: snake_case codes, each once, sorted.

    >>> normalize_roles(["technical", ContactRole.DECISION_MAKER, "technical"])
    ('decision_maker', 'technical')

    Raises:
        InvalidType: not a sequence of str.
        ValidationError: a role that is not a snake_case code, or more than 16.
    """
    where = error_path(path)
    roles = tuple_of(value, where, _role, max_items=MAX_ROLES)
    return tuple(sorted(set(roles)))


def _role(value: object, path: str) -> str:
    # A StrEnum member is kept as its plain value.
    return str.__str__(check_name(value, path))


def _roles(value: object) -> tuple[str, ...]:
    return normalize_roles(value)


def _kind(value: object) -> RelationshipKind:
    return enum_converter(RelationshipKind, "$.kind")(value)


def _party_kind(value: object) -> PartyKind | None:
    return None if value is None else enum_converter(PartyKind, "$.party_kind")(value)


def _related_kind(value: object) -> PartyKind | None:
    return None if value is None else enum_converter(PartyKind, "$.related_kind")(value)


def _valid_from(value: object) -> datetime:
    return require_aware(value, "$.valid_from")


def _valid_until(value: object) -> datetime | None:
    return None if value is None else require_aware(value, "$.valid_until")


def _job_title(value: object) -> str | None:
    if value is None:
        return None
    return clean_text(value, "$.job_title", max_length=MAX_DETAIL, what="a job title")


def _department(value: object) -> str | None:
    if value is None:
        return None
    return clean_text(value, "$.department", max_length=MAX_DETAIL, what="a department")


def _implied(kinds: frozenset[PartyKind]) -> PartyKind | None:
    return next(iter(kinds)) if len(kinds) == 1 else None


# -- events ------------------------------------------------------------------------------


@attrs.frozen(slots=True, kw_only=True)
class RelationshipEvent(DomainEvent, aggregate="relationship"):
    """Base of the events recorded by a :class:`Relationship`: which kind, between whom.

    ``related_id`` is ``None`` when the related party is the business itself
    (a partner or reseller of the business).
    """

    relationship_id: RelationshipId
    kind: RelationshipKind
    party_id: CustomerId
    related_id: CustomerId | None


@attrs.frozen(slots=True, kw_only=True)
class RelationshipEstablished(RelationshipEvent):
    """A relationship was recorded, in force from ``valid_from`` (until ``valid_until``).

    The contact's job title and department stay in the relationship.
    """

    roles: tuple[str, ...] = ()
    primary: bool = False
    valid_from: datetime
    valid_until: datetime | None = None


@attrs.frozen(slots=True, kw_only=True)
class RelationshipRolesChanged(RelationshipEvent):
    """The relationship's roles were replaced (``roles`` now, ``previous_roles`` before)."""

    roles: tuple[str, ...] = ()
    previous_roles: tuple[str, ...] = ()


@attrs.frozen(slots=True, kw_only=True)
class RelationshipPrimaryChanged(RelationshipEvent):
    """The relationship became the primary one of its kind (``primary``) or stopped being it."""

    primary: bool


@attrs.frozen(slots=True, kw_only=True)
class RelationshipDetailsChanged(RelationshipEvent):
    """A contact's job title or department changed (their names in ``fields``, never the values)."""

    fields: tuple[str, ...] = ()


@attrs.frozen(slots=True, kw_only=True)
class RelationshipEnded(RelationshipEvent):
    """The relationship is in force only until ``valid_until`` (exclusive).

    ``previous_valid_until`` is the end it had before (``None`` the first time
    it is ended; a later end corrects the date).
    """

    valid_until: datetime
    previous_valid_until: datetime | None = None


@attrs.frozen(slots=True, kw_only=True)
class RelationshipCustomerRepointed(CustomerRepointedEvent, RelationshipEvent):
    """The relationship names ``customer_id``, the customer ``previous`` was merged into.

    ``fields`` names the fields that named ``previous``.
    """

    previous: CustomerId
    customer_id: CustomerId
    fields: tuple[str, ...]


@attrs.frozen(slots=True, kw_only=True)
class RelationshipAnonymised(PersonalDataErasedEvent, RelationshipEvent):
    """The relationship's personal fields (``fields``: job title, department) were erased."""

    fields: tuple[str, ...]


# -- the aggregate -----------------------------------------------------------------------


@attrs.frozen(slots=True, kw_only=True, repr=False)
class Relationship(
    RepointsCustomer[RelationshipId], HoldsPersonalData[RelationshipId], kind="relationship"
):
    """A relationship between two parties, with roles, a primary flag and a validity.

    Record one with :meth:`establish`; change it with :meth:`change_roles`,
    :meth:`set_primary`, :meth:`change_details` and :meth:`end`. Each records
    an event. A relationship is in force at ``t`` when
    ``valid_from <= t < valid_until`` (the start is inclusive, the end
    exclusive: a contact who leaves on 1 July is no longer a contact at
    midnight on 1 July). Validity times are business times: they may lie
    before the relationship was recorded (a contact who joined years ago)
    or after it (an agreement that ends next year). Roles, the primary flag
    and the details are the relationship's current ones; a relationship whose
    end has passed cannot change them any more (establish a new one).

    Like every crmcore aggregate it is immutable, a command dated before its
    last change is refused (``$.at``, code ``time_backwards``) and every
    command takes the envelope keywords ``actor``, ``correlation_id`` and
    ``causation_id``.

    >>> from datetime import datetime, timezone
    >>> t = datetime(2026, 1, 5, 9, 0, tzinfo=timezone.utc)
    >>> rel = Relationship.establish(
    ...     RelationshipId("rel-1"),
    ...     kind="contact_of",
    ...     party_id=CustomerId("ana"),
    ...     related_id=CustomerId("acme"),
    ...     roles=["decision_maker", "billing"],
    ...     primary=True,
    ...     job_title="Chief Financial Officer",
    ...     at=t,
    ... )
    >>> rel
    Relationship(id=RelationshipId('rel-1'), kind='contact_of', party_id=CustomerId('ana'), related_id=CustomerId('acme'), roles=('billing', 'decision_maker'), primary=True, valid_from='2026-01-05T09:00:00+00:00', valid_until=None, version=0, pending_events=1)
    >>> rel.party_kind, rel.related_kind
    (<PartyKind.PERSON: 'person'>, <PartyKind.ORGANIZATION: 'organization'>)
    >>> ended = rel.end(at=t.replace(month=7))
    >>> ended.in_force_at(t.replace(month=6)), ended.in_force_at(t.replace(month=7))
    (True, False)
    >>> [e.type for e in ended.pending_events]
    ['RelationshipEstablished', 'RelationshipEnded']

    Attributes:
        kind: what the relationship says (see the module documentation).
        party_id: the party the relationship is about (the contact, member,
            partner, referred customer, parent organization).
        related_id: the other party (the account, household, referrer, child
            organization); ``None`` for a partner or reseller of the business.
        party_kind: whether the party is a person or an organization, when
            known (implied by ``contact_of``, ``household_member`` and ``parent_of``).
        related_kind: the same for the related party.
        roles: role codes, sorted.
        primary: the primary relationship of its kind (the account's primary
            contact, the household's head, the main partner, the customer's
            credited referrer; it has no meaning for ``parent_of``).
        valid_from: when it starts to be in force (inclusive).
        valid_until: when it stops (exclusive); ``None`` while open-ended.
        job_title: a contact's job title (personal data: not in repr or
            events; :meth:`anonymise` erases it, :class:`RelationshipAnonymised`).
        department: a contact's department (the same).
    """

    _repointed_by = RelationshipCustomerRepointed
    _customer_fields = ("party_id", "related_id")
    _anonymised_by = RelationshipAnonymised
    personal_fields = ("job_title", "department")

    kind: RelationshipKind = attrs.field(converter=_kind)
    party_id: CustomerId = attrs.field(validator=typed_id(CustomerId, "$.party_id"))
    related_id: CustomerId | None = attrs.field(
        default=None, validator=optional_typed_id(CustomerId, "$.related_id")
    )
    party_kind: PartyKind | None = attrs.field(default=None, converter=_party_kind)
    related_kind: PartyKind | None = attrs.field(default=None, converter=_related_kind)
    roles: tuple[str, ...] = attrs.field(default=(), converter=_roles, metadata=limit(MAX_ROLES))
    primary: bool = attrs.field(default=False, validator=is_bool)
    valid_from: datetime = attrs.field(converter=_valid_from)
    valid_until: datetime | None = attrs.field(default=None, converter=_valid_until)
    job_title: str | None = attrs.field(default=None, converter=_job_title)
    department: str | None = attrs.field(default=None, converter=_department)

    def _check(self) -> None:
        self._check_parties()
        if self.valid_until is not None and self.valid_until < self.valid_from:
            raise ValidationError(
                "must not be before valid_from (a relationship cannot end before it starts)",
                path="$.valid_until",
                code="end_before_start",
            )
        if not _RULES[self.kind].details:
            for name in ("job_title", "department"):
                if getattr(self, name) is not None:
                    raise ValidationError(
                        "only a contact_of relationship has a job title and department",
                        path=f"$.{name}",
                        code="not_a_contact",
                    )

    def _check_parties(self) -> None:
        rule = _RULES[self.kind]
        if self.related_id is None:
            if not rule.business:
                raise ValidationError(
                    f"a {self.kind.value} relationship needs a related party",
                    path="$.related_id",
                    code="required",
                )
            if self.related_kind is not None:
                raise ValidationError(
                    "must be None when the related party is the business",
                    path="$.related_kind",
                    code="party_kind",
                )
        elif self.related_id == self.party_id:
            raise ValidationError(
                "must not be the party itself: a party has no relationship with itself",
                path="$.related_id",
                code="self_relationship",
            )
        else:
            self._check_kind(self.related_kind, rule.related, "related party", "related_kind")
        self._check_kind(self.party_kind, rule.party, "party", "party_kind")

    def _check_kind(
        self, kind: PartyKind | None, allowed: frozenset[PartyKind], role: str, field: str
    ) -> None:
        """Refuse a known party ``kind`` that this relationship's kind does not allow."""
        if kind is not None and kind not in allowed:
            raise ValidationError(
                f"the {role} of a {self.kind.value} relationship must be "
                + " or ".join(sorted(k.value for k in allowed)),
                path=f"$.{field}",
                code="party_kind",
            )

    def _tombstones(self, fields: frozenset[str]) -> dict[str, object]:
        return dict.fromkeys(fields)  # job title and department are optional text

    def _event_fields(self) -> Mapping[str, object]:
        return {
            "relationship_id": self.id,
            "kind": self.kind,
            "party_id": self.party_id,
            "related_id": self.related_id,
        }

    # -- construction ---------------------------------------------------------------------

    @classmethod
    def establish(
        cls,
        relationship_id: RelationshipId,
        *,
        kind: RelationshipKind | str,
        party_id: CustomerId,
        at: datetime,
        related_id: CustomerId | None = None,
        roles: Iterable[ContactRole | HouseholdRole | str] = (),
        primary: bool = False,
        valid_from: datetime | None = None,
        valid_until: datetime | None = None,
        party_kind: PartyKind | str | None = None,
        related_kind: PartyKind | str | None = None,
        job_title: str | None = None,
        department: str | None = None,
        **meta: Unpack[EventMeta],
    ) -> Relationship:
        """Record a relationship at ``at``; records :class:`RelationshipEstablished`.

        ``valid_from`` defaults to ``at``. The parties' kinds default to what
        the relationship's kind implies (a contact is a person, an account an
        organization); pass ``party_kind=customer.kind`` to have a mismatch
        refused.

        Raises:
            ValidationError: an argument breaks a rule; the path names it:
                ``$.related_id`` (code ``self_relationship``: a party related
                to itself; ``required``), ``$.valid_until`` (code
                ``end_before_start``), ``$.party_kind`` or ``$.related_kind``
                (code ``party_kind``), ``$.job_title`` (code ``not_a_contact``).
        """
        command = cls._begin_new(at, meta)
        checked_kind = _kind(kind)
        rule = _RULES[checked_kind]
        if party_kind is None:
            party_kind = _implied(rule.party)
        if related_kind is None and related_id is not None:
            related_kind = _implied(rule.related)
        return cls._create(
            command,
            lambda rel: RelationshipEstablished.draft(
                roles=rel.roles,
                primary=rel.primary,
                valid_from=rel.valid_from,
                valid_until=rel.valid_until,
            ),
            id=relationship_id,
            kind=checked_kind,
            party_id=party_id,
            related_id=related_id,
            party_kind=party_kind,
            related_kind=related_kind,
            roles=roles,
            primary=primary,
            valid_from=command.at if valid_from is None else valid_from,
            valid_until=valid_until,
            job_title=job_title,
            department=department,
        )

    # -- queries --------------------------------------------------------------------------

    def in_force_at(self, when: datetime) -> bool:
        """True if the relationship holds at ``when``: ``valid_from <= when < valid_until``."""
        at = require_aware(when, "$.when")
        return self.valid_from <= at and (self.valid_until is None or at < self.valid_until)

    def has_ended(self, when: datetime) -> bool:
        """True if the relationship's end lies at or before ``when``."""
        at = require_aware(when, "$.when")
        return self.valid_until is not None and self.valid_until <= at

    def has_role(self, role: ContactRole | HouseholdRole | str) -> bool:
        """True if the relationship holds ``role``."""
        return check_name(role, "$.role") in self.roles

    def other(self, party_id: CustomerId) -> CustomerId | None:
        """The party on the other side from ``party_id`` (``None``: the business).

        Raises:
            ValidationError: ``party_id`` is on neither side (code ``not_a_party``).
        """
        if party_id == self.party_id:
            return self.related_id
        if party_id == self.related_id:
            return self.party_id
        raise ValidationError(
            "must be one of the relationship's two parties", path="$.party_id", code="not_a_party"
        )

    # -- commands -------------------------------------------------------------------------

    def _begin_change(self, at: object, meta: Mapping[str, object]) -> Command:
        command = self._begin(at, meta)
        if self.valid_until is not None and self.valid_until <= command.at:
            raise ValidationError(
                "the relationship has ended: it can no longer change (establish a new one)",
                path="$.valid_until",
                code="ended",
            )
        return command

    def change_roles(
        self,
        roles: Iterable[ContactRole | HouseholdRole | str],
        *,
        at: datetime,
        **meta: Unpack[EventMeta],
    ) -> Relationship:
        """Replace the roles; records :class:`RelationshipRolesChanged` (nothing if unchanged).

        Raises:
            ValidationError: a role is not a snake_case code (``$.roles[i]``),
                the relationship has ended (``$.valid_until``, code ``ended``),
                or ``at`` goes back in time.
        """
        new = normalize_roles(roles)
        command = self._begin_change(at, meta)
        if new == self.roles:
            return self
        draft = RelationshipRolesChanged.draft(roles=new, previous_roles=self.roles)
        return self._record(command, draft, roles=new)

    def set_primary(
        self, *, at: datetime, primary: bool = True, **meta: Unpack[EventMeta]
    ) -> Relationship:
        """Make the relationship primary (or not); records :class:`RelationshipPrimaryChanged`.

        Only one relationship of a kind may be primary for the same account,
        household or customer at a time: clear the old primary in the same
        unit of work (see :func:`~crmcore.parties.check_relationships`).

        Raises:
            InvalidType: ``primary`` is not a bool.
            ValidationError: the relationship has ended (code ``ended``).
        """
        if not isinstance(primary, bool):
            raise InvalidType(f"must be a bool, not {type_name(primary)}", path="$.primary")
        command = self._begin_change(at, meta)
        if primary is self.primary:
            return self
        return self._record(
            command, RelationshipPrimaryChanged.draft(primary=primary), primary=primary
        )

    def change_details(
        self,
        *,
        at: datetime,
        job_title: str | None,
        department: str | None,
        **meta: Unpack[EventMeta],
    ) -> Relationship:
        """Set a contact's job title and department (``None`` clears one).

        Records :class:`RelationshipDetailsChanged` naming the fields that
        changed, never their values.

        Raises:
            ValidationError: text with control characters or too long, a
                relationship other than ``contact_of`` (code ``not_a_contact``),
                or one that has ended (code ``ended``).
        """
        title = _job_title(job_title)
        unit = _department(department)
        command = self._begin_change(at, meta)
        changed = tuple(
            name
            for name, old, new in (
                ("job_title", self.job_title, title),
                ("department", self.department, unit),
            )
            if old != new
        )
        if not changed:
            return self
        draft = RelationshipDetailsChanged.draft(fields=changed)
        return self._record(command, draft, job_title=title, department=unit)

    def end(
        self,
        *,
        at: datetime,
        valid_until: datetime | None = None,
        **meta: Unpack[EventMeta],
    ) -> Relationship:
        """End the relationship at ``valid_until`` (``at`` by default); records :class:`RelationshipEnded`.

        The end is exclusive: the relationship is no longer in force at
        ``valid_until``. An end equal to ``valid_from`` voids the relationship
        (it was never in force). Ending again with another date corrects the
        end; ending again with the same date changes nothing.

        Raises:
            ValidationError: ``valid_until`` before ``valid_from``
                (``$.valid_until``, code ``end_before_start``), naive, or
                ``at`` going back in time.
        """
        command = self._begin(at, meta)
        until = command.at if valid_until is None else _valid_until(valid_until)
        assert until is not None  # noqa: S101 - _valid_until keeps a datetime a datetime
        if until < self.valid_from:
            raise ValidationError(
                "must not be before valid_from (a relationship cannot end before it starts)",
                path="$.valid_until",
                code="end_before_start",
            )
        if until == self.valid_until:
            return self
        draft = RelationshipEnded.draft(valid_until=until, previous_valid_until=self.valid_until)
        return self._record(command, draft, valid_until=until)

    def __repr__(self) -> str:
        until = None if self.valid_until is None else self.valid_until.isoformat()
        return (
            f"Relationship(id={self.id!r}, kind={self.kind.value!r}, party_id={self.party_id!r}, "
            f"related_id={self.related_id!r}, roles={self.roles!r}, primary={self.primary}, "
            f"valid_from={self.valid_from.isoformat()!r}, valid_until={until!r}, "
            f"version={self.version}, pending_events={len(self.pending_events)})"
        )
