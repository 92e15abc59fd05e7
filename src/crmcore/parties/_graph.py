"""Point-in-time queries over relationships: contacts, accounts, households, hierarchies.

A :class:`RelationshipGraph` indexes a collection of
:class:`~crmcore.parties.Relationship` aggregates in memory (from a
repository, a file, a test). :meth:`RelationshipGraph.at` gives a
:class:`RelationshipView` of the relationships in force at one instant
(``valid_from <= when < valid_until``), which answers the questions of a B2B
CRM: the contacts of an account and their roles, the accounts of a contact,
a household's members, the parent, ancestors and descendants of an account
and its whole hierarchy tree.

Every answer comes in a fixed order, whatever order the relationships came
in: links put the primary one first, then the earliest start, then ids;
accounts in a hierarchy come nearest first, ids breaking ties. The graph
does not require a checked collection: on data that breaks the hierarchy
rules (cycles, two parents), the walks visit each account once, so they
always end, and their answers stay deterministic. Use
:func:`~crmcore.parties.check_relationships` to refuse such data, and
:meth:`RelationshipGraph.admit` to add a relationship only if it keeps the
rules.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping
from datetime import datetime
from typing import Final

import attrs

from crmcore._kernel._checks import check_name, instance_of, positive_int, require_aware, tuple_of
from crmcore._kernel._fields import Checked
from crmcore._kernel._ids import CustomerId
from crmcore.errors import InvalidType
from crmcore.parties._conflicts import (
    by_id,
    check_candidate,
    check_relationships,
)
from crmcore.parties._relationships import (
    ContactRole,
    HouseholdRole,
    Relationship,
    RelationshipId,
    RelationshipKind,
)

#: The deepest walk a hierarchy query may be asked for (any hierarchy is far shallower).
MAX_DEPTH: Final = 10_000

_K = RelationshipKind


@attrs.frozen(slots=True, kw_only=True)
class PartyLink(Checked):
    """One relationship seen from one of its parties: who is on the other side, and how.

    Attributes:
        party_id: the party on the other side (``None``: the business itself).
        relationship_id: the relationship.
        kind: its kind.
        roles: its role codes, sorted.
        primary: whether it is the primary one.
        valid_from: when it started to be in force (inclusive).
        valid_until: when it stops (exclusive), if it has an end.
    """

    party_id: CustomerId | None
    relationship_id: RelationshipId
    kind: RelationshipKind
    roles: tuple[str, ...]
    primary: bool
    valid_from: datetime
    valid_until: datetime | None

    @classmethod
    def of(cls, relationship: Relationship, other: CustomerId | None) -> PartyLink:
        """The link of ``relationship`` with ``other`` on the far side."""
        return cls(
            party_id=other,
            relationship_id=relationship.id,
            kind=relationship.kind,
            roles=relationship.roles,
            primary=relationship.primary,
            valid_from=relationship.valid_from,
            valid_until=relationship.valid_until,
        )

    def has_role(self, role: ContactRole | HouseholdRole | str) -> bool:
        """True if the relationship holds ``role``."""
        return check_name(role, "$.role") in self.roles


def _link_order(link: PartyLink) -> tuple[bool, datetime, str, str]:
    other = "" if link.party_id is None else link.party_id.value
    return (not link.primary, link.valid_from, other, link.relationship_id.value)


def _id_order(party: CustomerId) -> str:
    return party.value


@attrs.frozen(slots=True)
class HierarchyNode(Checked):
    """An account and the accounts below it, children sorted by id.

    >>> tree = HierarchyNode(CustomerId("group"), (HierarchyNode(CustomerId("acme")),))
    >>> print(tree.render())
    group
      acme
    >>> tree.ids()
    (CustomerId('group'), CustomerId('acme'))
    """

    account_id: CustomerId
    children: tuple[HierarchyNode, ...] = ()

    def walk(self) -> Iterator[tuple[int, CustomerId]]:
        """Every account with its depth (0 for this one), depth first, children in order."""
        stack: list[tuple[int, HierarchyNode]] = [(0, self)]
        while stack:
            depth, node = stack.pop()
            yield depth, node.account_id
            stack.extend((depth + 1, child) for child in reversed(node.children))

    def ids(self) -> tuple[CustomerId, ...]:
        """Every account of the tree, depth first (this one first)."""
        return tuple(account for _, account in self.walk())

    def render(self, indent: str = "  ") -> str:
        """The tree as text, one account id a line, indented by depth."""
        return "\n".join(f"{indent * depth}{account}" for depth, account in self.walk())


def _when(value: object) -> datetime:
    return require_aware(value, "$.when")


def _party(value: object, path: str) -> CustomerId:
    if type(value) is not CustomerId:
        raise InvalidType(
            f"must be a CustomerId, not {type(value).__name__}", path=path, code="type"
        )
    return value


def _optional_depth(value: object) -> int:
    return MAX_DEPTH if value is None else positive_int(value, "$.max_depth", maximum=MAX_DEPTH)


class RelationshipView:
    """The relationships in force at one instant, and the questions asked of them.

    Build one with :meth:`RelationshipGraph.at`. Every query takes customer
    ids and returns tuples in a deterministic order (see the module
    documentation).
    """

    __slots__ = ("_at", "_by_party", "_by_related", "_children", "_parents", "_relationships")

    def __init__(self, when: datetime, relationships: Iterable[Relationship]) -> None:
        self._at = _when(when)
        self._relationships = tuple(r for r in relationships if r.in_force_at(self._at))
        by_party: dict[tuple[RelationshipKind, CustomerId], list[Relationship]] = {}
        by_related: dict[tuple[RelationshipKind, CustomerId | None], list[Relationship]] = {}
        parents: dict[CustomerId, set[CustomerId]] = {}
        children: dict[CustomerId, set[CustomerId]] = {}
        for rel in self._relationships:
            by_party.setdefault((rel.kind, rel.party_id), []).append(rel)
            by_related.setdefault((rel.kind, rel.related_id), []).append(rel)
            if rel.kind is _K.PARENT_OF and rel.related_id is not None:
                parents.setdefault(rel.related_id, set()).add(rel.party_id)
                children.setdefault(rel.party_id, set()).add(rel.related_id)
        self._by_party = by_party
        self._by_related = by_related
        self._parents = {k: tuple(sorted(v, key=_id_order)) for k, v in parents.items()}
        self._children = {k: tuple(sorted(v, key=_id_order)) for k, v in children.items()}

    @property
    def at(self) -> datetime:
        """The instant the view shows."""
        return self._at

    @property
    def relationships(self) -> tuple[Relationship, ...]:
        """The relationships in force at :attr:`at`, by id."""
        return self._relationships

    # -- links ----------------------------------------------------------------------------

    def _towards(self, kind: RelationshipKind, related: CustomerId | None) -> tuple[PartyLink, ...]:
        found = self._by_related.get((kind, related), ())
        return tuple(sorted((PartyLink.of(r, r.party_id) for r in found), key=_link_order))

    def _from(self, kind: RelationshipKind, party: CustomerId) -> tuple[PartyLink, ...]:
        found = self._by_party.get((kind, party), ())
        return tuple(sorted((PartyLink.of(r, r.related_id) for r in found), key=_link_order))

    def contacts(
        self, account_id: CustomerId, *, role: ContactRole | str | None = None
    ) -> tuple[PartyLink, ...]:
        """The contacts of an account (``contact_of``), the primary one first.

        ``role`` keeps only the contacts holding that role. Each link's
        ``party_id`` is the contact.
        """
        links = self._towards(_K.CONTACT_OF, _party(account_id, "$.account_id"))
        return _with_role(links, role)

    def primary_contact(self, account_id: CustomerId) -> CustomerId | None:
        """The account's primary contact, if it has one."""
        links = self.contacts(account_id)
        return links[0].party_id if links and links[0].primary else None

    def accounts(self, contact_id: CustomerId) -> tuple[PartyLink, ...]:
        """The accounts a person is a contact of; each link's ``party_id`` is the account."""
        return self._from(_K.CONTACT_OF, _party(contact_id, "$.contact_id"))

    def members(
        self, household_id: CustomerId, *, role: HouseholdRole | str | None = None
    ) -> tuple[PartyLink, ...]:
        """The members of a household, the primary one (the head) first."""
        links = self._towards(_K.HOUSEHOLD_MEMBER, _party(household_id, "$.household_id"))
        return _with_role(links, role)

    def households(self, member_id: CustomerId) -> tuple[PartyLink, ...]:
        """The households a person belongs to; each link's ``party_id`` is the household."""
        return self._from(_K.HOUSEHOLD_MEMBER, _party(member_id, "$.member_id"))

    def partners(self, of: CustomerId | None = None) -> tuple[PartyLink, ...]:
        """The partners and resellers of the business (``of=None``) or of an account."""
        related = None if of is None else _party(of, "$.of")
        links = self._towards(_K.PARTNER, related) + self._towards(_K.RESELLER, related)
        return tuple(sorted(links, key=_link_order))

    def partnerships(self, partner_id: CustomerId) -> tuple[PartyLink, ...]:
        """Whom a party is a partner or reseller of (``party_id`` ``None``: the business)."""
        party = _party(partner_id, "$.partner_id")
        links = self._from(_K.PARTNER, party) + self._from(_K.RESELLER, party)
        return tuple(sorted(links, key=_link_order))

    def referrals(self, referrer_id: CustomerId) -> tuple[PartyLink, ...]:
        """The customers a customer referred; each link's ``party_id`` is one of them."""
        return self._towards(_K.REFERRED_BY, _party(referrer_id, "$.referrer_id"))

    def referrers(self, customer_id: CustomerId) -> tuple[PartyLink, ...]:
        """Who referred a customer, the primary (credited) referrer first."""
        return self._from(_K.REFERRED_BY, _party(customer_id, "$.customer_id"))

    def links(self, party_id: CustomerId) -> tuple[PartyLink, ...]:
        """Every relationship of a party in force, from its side, ordered by kind then as above."""
        party = _party(party_id, "$.party_id")
        found = [
            PartyLink.of(r, r.other(party))
            for r in self._relationships
            if party in (r.party_id, r.related_id)
        ]
        return tuple(sorted(found, key=lambda link: (link.kind.value, *_link_order(link))))

    # -- the account hierarchy --------------------------------------------------------------

    def parent(self, account_id: CustomerId) -> CustomerId | None:
        """The account's parent organization, if it has one."""
        found = self._parents.get(_party(account_id, "$.account_id"), ())
        return found[0] if found else None

    def children(self, account_id: CustomerId) -> tuple[CustomerId, ...]:
        """The accounts directly below an account, by id."""
        return self._children.get(_party(account_id, "$.account_id"), ())

    def _walk(
        self,
        start: CustomerId,
        step: Mapping[CustomerId, tuple[CustomerId, ...]],
        max_depth: int,
    ) -> tuple[CustomerId, ...]:
        seen = {start}
        frontier = [start]
        found: list[CustomerId] = []
        depth = 0
        while frontier and depth < max_depth:
            depth += 1
            level = {n for node in frontier for n in step.get(node, ()) if n not in seen}
            frontier = sorted(level, key=_id_order)
            seen.update(frontier)
            found.extend(frontier)
        return tuple(found)

    def ancestors(
        self, account_id: CustomerId, *, max_depth: int | None = None
    ) -> tuple[CustomerId, ...]:
        """The accounts above an account, nearest first (the parent, its parent, ...).

        ``max_depth`` stops after that many levels. The account itself is
        never among them, even in data with a cycle.
        """
        account = _party(account_id, "$.account_id")
        return self._walk(account, self._parents, _optional_depth(max_depth))

    def descendants(
        self, account_id: CustomerId, *, max_depth: int | None = None
    ) -> tuple[CustomerId, ...]:
        """The accounts below an account, level by level, each level by id."""
        account = _party(account_id, "$.account_id")
        return self._walk(account, self._children, _optional_depth(max_depth))

    def subtree(self, account_id: CustomerId) -> tuple[CustomerId, ...]:
        """The account followed by its descendants: what a roll-up sums over."""
        return (_party(account_id, "$.account_id"), *self.descendants(account_id))

    def root(self, account_id: CustomerId) -> CustomerId:
        """The top of the account's hierarchy (the account itself if it has no parent)."""
        found = self.ancestors(account_id)
        return found[-1] if found else account_id

    def tree(self, account_id: CustomerId) -> HierarchyNode:
        """The whole hierarchy the account belongs to, from its root down."""
        return self._tree(self.root(account_id))

    def subtree_tree(self, account_id: CustomerId) -> HierarchyNode:
        """The account and the accounts below it, as a tree."""
        return self._tree(_party(account_id, "$.account_id"))

    def trees(self) -> tuple[HierarchyNode, ...]:
        """Every hierarchy in force: one tree per top account (those with children, no parent)."""
        tops = sorted((a for a in self._children if a not in self._parents), key=_id_order)
        return tuple(self._tree(a) for a in tops)

    def _tree(self, top: CustomerId) -> HierarchyNode:
        # Breadth first, so that each account hangs at its shallowest place; built
        # bottom up without recursion, so a deep hierarchy costs no stack.
        order = [top]
        kids: dict[CustomerId, list[CustomerId]] = {}
        seen = {top}
        for node in order:
            mine = [c for c in self._children.get(node, ()) if c not in seen]
            seen.update(mine)
            kids[node] = mine
            order.extend(mine)
        built: dict[CustomerId, HierarchyNode] = {}
        for node in reversed(order):
            built[node] = HierarchyNode(node, tuple(built[c] for c in kids[node]))
        return built[top]

    def __repr__(self) -> str:
        return f"RelationshipView(at={self._at.isoformat()!r}, relationships={len(self._relationships)})"


def _with_role(links: tuple[PartyLink, ...], role: object) -> tuple[PartyLink, ...]:
    if role is None:
        return links
    code = check_name(role, "$.role")
    return tuple(link for link in links if code in link.roles)


class RelationshipGraph:
    """Relationships indexed in memory, for point-in-time queries and checked additions.

    >>> from datetime import datetime, timezone
    >>> t = datetime(2026, 1, 1, tzinfo=timezone.utc)
    >>> def rel(n, kind, party, related, **options):
    ...     return Relationship.establish(
    ...         RelationshipId(f"r-{n}"),
    ...         kind=kind,
    ...         party_id=CustomerId(party),
    ...         related_id=CustomerId(related),
    ...         at=t,
    ...         **options,
    ...     )
    >>> graph = RelationshipGraph(
    ...     [
    ...         rel(1, "parent_of", "group", "acme"),
    ...         rel(2, "contact_of", "ana", "acme", roles=["champion"], primary=True),
    ...     ]
    ... )
    >>> view = graph.at(t)
    >>> [(c.party_id, c.roles) for c in view.contacts(CustomerId("acme"))]
    [(CustomerId('ana'), ('champion',))]
    >>> view.ancestors(CustomerId("acme"))
    (CustomerId('group'),)
    >>> graph.admit(rel(3, "parent_of", "acme", "group"))
    Traceback (most recent call last):
    ...
    crmcore.parties._conflicts.RelationshipConflict: $.related_id: would make an organization its own ancestor (a cycle in the account hierarchy)

    Args:
        relationships: the relationships, each id once (versions of one
            relationship are not a collection).
        check: ``True`` to refuse a collection that breaks the rules spanning
            relationships (:func:`check_relationships`); by default the
            graph takes the data as it is.

    Raises:
        InvalidType: an item that is not a Relationship.
        RelationshipConflict: the same id twice (code ``duplicate_id``), or
            with ``check=True`` any rule broken.
    """

    __slots__ = ("_by_id", "_by_party")

    def __init__(self, relationships: Iterable[Relationship] = (), *, check: bool = False) -> None:
        if not isinstance(check, bool):
            raise InvalidType(f"must be a bool, not {type(check).__name__}", path="$.check")
        items = tuple_of(
            relationships, "$.relationships", instance_of(Relationship, "a Relationship")
        )
        if check:
            check_relationships(items)
        self._by_id = dict(sorted(by_id(items).items(), key=lambda kv: kv[0].value))
        by_party: dict[CustomerId, list[Relationship]] = {}
        for rel in self._by_id.values():
            by_party.setdefault(rel.party_id, []).append(rel)
            if rel.related_id is not None:
                by_party.setdefault(rel.related_id, []).append(rel)
        self._by_party = by_party

    @property
    def relationships(self) -> tuple[Relationship, ...]:
        """Every relationship, by id."""
        return tuple(self._by_id.values())

    def __len__(self) -> int:
        return len(self._by_id)

    def __iter__(self) -> Iterator[Relationship]:
        return iter(self._by_id.values())

    def get(self, relationship_id: RelationshipId) -> Relationship | None:
        """The relationship with this id, if the graph holds it."""
        if type(relationship_id) is not RelationshipId:
            raise InvalidType(
                f"must be a RelationshipId, not {type(relationship_id).__name__}",
                path="$.relationship_id",
            )
        return self._by_id.get(relationship_id)

    def of_party(self, party_id: CustomerId) -> tuple[Relationship, ...]:
        """Every relationship of a party, on either side, at any time, by id."""
        return tuple(self._by_party.get(_party(party_id, "$.party_id"), ()))

    def at(self, when: datetime) -> RelationshipView:
        """The relationships in force at ``when`` (``valid_from <= when < valid_until``)."""
        return RelationshipView(_when(when), self._by_id.values())

    def admit(self, relationship: Relationship) -> RelationshipGraph:
        """A graph with ``relationship`` added (or replacing its earlier version), if it keeps the rules.

        Run it before saving a new or changed relationship: a conflict
        raises and nothing changes (the graph is not modified either way).

        Raises:
            InvalidType: not a Relationship.
            RelationshipConflict: the relationship overlaps the same
                relationship (``$.valid_from``, code ``overlap``), would be a
                second primary (``$.primary``, ``multiple_primary``), a second
                parent (``$.related_id``, ``multiple_parents``) or close a
                cycle (``$.related_id``, ``hierarchy_cycle``).
        """
        rel = instance_of(Relationship, "a Relationship")(relationship, "$.relationship")
        others = [r for r in self._by_id.values() if r.id != rel.id]
        check_candidate(rel, others)
        return RelationshipGraph([*others, rel])

    def __repr__(self) -> str:
        return f"RelationshipGraph(relationships={len(self._by_id)})"
