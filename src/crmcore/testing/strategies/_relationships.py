"""Strategies for relationships between parties, their collections and the values around them."""

from __future__ import annotations

import functools
from collections.abc import Callable, Iterable
from datetime import UTC, datetime, timedelta
from typing import Any, Final

from hypothesis import strategies as st

from crmcore.customers import CustomerId
from crmcore.errors import ValidationError
from crmcore.parties import (
    ContactRole,
    HierarchyNode,
    HouseholdRole,
    InvolvedContact,
    PartyLink,
    Relationship,
    RelationshipConflict,
    RelationshipGraph,
    RelationshipId,
    RelationshipKind,
)
from crmcore.parties._relationships import MAX_ROLES
from crmcore.testing.strategies._base import (
    _STEP_OFFSETS,
    _as_drawn,
    _bool_arg,
    _enum_choices,
    _id_choices,
    _id_texts,
    _int_arg,
    _later,
    _short_texts,
    _snake_names,
    _window,
    customer_ids,
)

_K = RelationshipKind
#: Kinds whose related party may be the business itself (``None``).
_BUSINESS_KINDS: Final = frozenset({_K.PARTNER, _K.RESELLER})
#: Role codes drawn for each kind (generated snake_case codes are drawn too).
_KIND_ROLES: Final = {
    _K.CONTACT_OF: tuple(ContactRole),
    _K.HOUSEHOLD_MEMBER: tuple(HouseholdRole),
    _K.PARTNER: ("referral", "implementation", "technology"),
    _K.RESELLER: ("distributor", "value_added", "marketplace"),
    _K.REFERRED_BY: ("friend", "colleague", "family"),
    _K.PARENT_OF: ("subsidiary", "branch", "franchise"),
}
_JOB_TITLES: Final = ("Chief Financial Officer", "Kepala Bagian Keuangan", "IT manager", "Buyer")
_DEPARTMENTS: Final = ("Finance", "Keuangan", "Procurement", "Teknologi Informasi")
#: How far validity starts lie from the time a relationship is recorded (up to ~5 years back).
_BACK: Final = st.integers(min_value=-5 * 366 * 24, max_value=24 * 366).map(
    lambda hours: timedelta(hours=hours)
)
#: How long a relationship with an end lasts (zero: voided; up to ~5 years).
_SPANS: Final = st.integers(min_value=0, max_value=5 * 366 * 24).map(
    lambda hours: timedelta(hours=hours)
)


@functools.cache
def relationship_ids() -> st.SearchStrategy[RelationshipId]:
    """:class:`~crmcore.parties.RelationshipId` values: sequential, UUID-shaped and arbitrary."""
    return _id_texts("rel").map(RelationshipId)


def _roles(kind: RelationshipKind) -> st.SearchStrategy[list[str]]:
    code = st.sampled_from(_KIND_ROLES[kind]).map(str) | _snake_names()
    return st.lists(code, max_size=min(4, MAX_ROLES), unique=True)


def _party_pool(value: object) -> tuple[CustomerId, ...] | None:
    pool: tuple[CustomerId, ...] | None = _id_choices(value, "$.party_ids", CustomerId)
    if pool is not None and len(pool) < 2:  # two parties make a relationship
        raise ValidationError(
            "must hold at least two distinct ids", path="$.party_ids", code="too_few"
        )
    return pool


def relationships(
    *,
    kinds: Iterable[RelationshipKind | str] | None = None,
    party_ids: Iterable[CustomerId] | None = None,
    min_created_at: datetime | None = None,
    max_created_at: datetime | None = None,
    pending_events: bool = True,
) -> st.SearchStrategy[Relationship]:
    """Valid :class:`~crmcore.parties.Relationship` aggregates, established and sometimes changed.

    Each is built by :meth:`Relationship.establish
    <crmcore.parties.Relationship.establish>` between two distinct parties
    (a partner or reseller sometimes of the business itself), with roles
    suited to its kind, a validity that may start years before it was
    recorded and may end, and for contacts a job title and department;
    some then change roles, primary flag or details and are ended, at
    non-decreasing times.

    Args:
        kinds: the kinds (members or values); all by default.
        party_ids: the parties to draw from (at least two); any ids by default.
        min_created_at: the earliest recording time (aware); 2000 by default.
        max_created_at: the latest recording time (aware); 2099 by default.
        pending_events: ``False`` to draw records as a repository stores them.

    Raises:
        InvalidType: an argument of the wrong type.
        ValidationError: crossed bounds, an unknown or empty choice, fewer
            than two party ids.
    """
    choices = _enum_choices(kinds, "$.kinds", RelationshipKind)
    pool = _party_pool(party_ids)
    return _as_drawn(
        _relationships(choices, pool, _window(min_created_at, max_created_at)), pending_events
    )


def _pair(pool: tuple[CustomerId, ...] | None) -> st.SearchStrategy[list[CustomerId]]:
    source = customer_ids() if pool is None else st.sampled_from(pool)
    return st.lists(source, min_size=2, max_size=2, unique=True)


@st.composite
def _relationships(
    draw: st.DrawFn,
    kinds: tuple[RelationshipKind, ...],
    pool: tuple[CustomerId, ...] | None,
    times: st.SearchStrategy[datetime],
) -> Relationship:
    kind = draw(st.sampled_from(kinds))
    party, related = draw(_pair(pool))
    if kind in _BUSINESS_KINDS and draw(st.booleans()):
        related_id: CustomerId | None = None
    else:
        related_id = related
    at = draw(times)
    start = _later(at, draw(_BACK))
    end = None if draw(st.booleans()) else _later(start, draw(_SPANS))
    contact = kind is _K.CONTACT_OF
    record = Relationship.establish(
        draw(relationship_ids()),
        kind=kind,
        party_id=party,
        related_id=related_id,
        roles=draw(_roles(kind)),
        primary=draw(st.booleans()),
        valid_from=start,
        valid_until=end,
        job_title=draw(st.none() | st.sampled_from(_JOB_TITLES)) if contact else None,
        department=draw(st.none() | _short_texts()) if contact else None,
        at=at,
    )
    for step in draw(st.lists(st.sampled_from(("roles", "primary", "details")), max_size=3)):
        when = _later(record.updated_at, draw(_STEP_OFFSETS))
        if record.has_ended(when):
            break
        if step == "roles":
            record = record.change_roles(draw(_roles(kind)), at=when)
        elif step == "primary":
            record = record.set_primary(at=when, primary=not record.primary)
        elif contact:
            record = record.change_details(
                at=when,
                job_title=draw(st.none() | st.sampled_from(_JOB_TITLES)),
                department=draw(st.none() | st.sampled_from(_DEPARTMENTS)),
            )
    if draw(st.booleans()):
        when = _later(record.updated_at, draw(_STEP_OFFSETS))
        record = record.end(at=when, valid_until=_later(start, draw(_SPANS)))
    return record


#: The first instant of the grid collections are drawn on.
_GRID_START: Final = datetime(2020, 1, 1, tzinfo=UTC)


def relationship_collections(
    *,
    max_size: int = 12,
    parties: int = 6,
    kinds: Iterable[RelationshipKind | str] | None = None,
    valid: bool = True,
) -> st.SearchStrategy[list[Relationship]]:
    """Lists of relationships among a few parties, on a coarse time grid so that they meet.

    Parties are ``CustomerId("p-1")`` to ``CustomerId(f"p-{parties}")``;
    validities start and end on whole days of 2020 (so that boundaries
    coincide often). With ``valid=True`` (the default) each relationship
    drawn joins only if :meth:`~crmcore.parties.RelationshipGraph.admit`
    accepts it, so the list passes
    :func:`~crmcore.parties.check_relationships` (and may be shorter than
    drawn); with ``valid=False`` overlaps, second parents and cycles are
    left in, for testing that queries stay finite.

    Args:
        max_size: the most relationships drawn (0 to 200).
        parties: how many parties (2 to 50).
        kinds: the kinds (members or values); all by default.
        valid: whether to keep the collection within the rules.

    Raises:
        InvalidType: an argument of the wrong type.
        ValidationError: a bound out of range, an unknown or empty choice.
    """
    size = _int_arg(max_size, "$.max_size", maximum=200)
    count = _int_arg(parties, "$.parties", minimum=2, maximum=50)
    choices = _enum_choices(kinds, "$.kinds", RelationshipKind)
    keep = _bool_arg(valid, "$.valid")
    pool = tuple(CustomerId(f"p-{n}") for n in range(1, count + 1))
    one = _grid_relationships(choices, pool)
    drawn = st.lists(one, max_size=size, unique_by=_id_of)
    return drawn.map(_admitted) if keep else drawn


def _id_of(relationship: Relationship) -> RelationshipId:
    return relationship.id


def _admitted(drawn: list[Relationship]) -> list[Relationship]:
    graph = RelationshipGraph()
    kept: list[Relationship] = []
    for rel in drawn:
        try:
            graph = graph.admit(rel)
        except RelationshipConflict:
            continue
        kept.append(rel)
    return kept


@st.composite
def _grid_relationships(
    draw: st.DrawFn, kinds: tuple[RelationshipKind, ...], pool: tuple[CustomerId, ...]
) -> Relationship:
    kind = draw(st.sampled_from(kinds))
    party, related = draw(_pair(pool))
    start = _GRID_START + timedelta(days=draw(st.integers(0, 30)))
    end = None if draw(st.booleans()) else start + timedelta(days=draw(st.integers(0, 30)))
    number = draw(st.integers(min_value=1, max_value=10**6))
    return Relationship.establish(
        RelationshipId(f"rel-{number:07d}"),
        kind=kind,
        party_id=party,
        related_id=None if kind in _BUSINESS_KINDS and draw(st.booleans()) else related,
        roles=draw(_roles(kind)),
        primary=draw(st.booleans()),
        valid_from=start,
        valid_until=end,
        at=_GRID_START,
    )


@functools.cache
def involved_contacts() -> st.SearchStrategy[InvolvedContact]:
    """:class:`~crmcore.parties.InvolvedContact` values: a contact, a role code, sometimes primary."""
    roles = st.sampled_from(tuple(ContactRole)).map(str) | _snake_names()
    return st.builds(InvolvedContact, customer_ids(), roles, primary=st.booleans())


@functools.cache
def party_links() -> st.SearchStrategy[PartyLink]:
    """:class:`~crmcore.parties.PartyLink` values, as views make them from relationships."""
    return st.builds(PartyLink.of, relationships(), st.none() | customer_ids())


@functools.cache
def hierarchy_nodes() -> st.SearchStrategy[HierarchyNode]:
    """:class:`~crmcore.parties.HierarchyNode` trees, a few levels deep."""
    leaves = st.builds(HierarchyNode, customer_ids())
    return st.recursive(
        leaves,
        lambda below: st.builds(
            HierarchyNode, customer_ids(), st.lists(below, max_size=3).map(tuple)
        ),
        max_leaves=8,
    )


#: Value types that events may carry (an opportunity's or case's involved contacts).
EVENT_VALUES: Final = {InvolvedContact: involved_contacts}
#: The strategy of each public type of this module, by class name (for the type registry).
TYPE_STRATEGIES: Final[dict[str, Callable[[], st.SearchStrategy[Any]]]] = {
    "HierarchyNode": hierarchy_nodes,
    "InvolvedContact": involved_contacts,
    "PartyLink": party_links,
    "Relationship": relationships,
}
