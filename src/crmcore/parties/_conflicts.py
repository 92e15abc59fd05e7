"""The rules that span several relationships, and the error that reports a broken one.

One relationship checks itself (no party related to itself, no end before
the start). Four rules need the others, so they are checked over a
collection (:func:`check_relationships`) or for one relationship about to
join a collection (:meth:`~crmcore.parties.RelationshipGraph.admit`):

``overlap``
    the same relationship (same kind, same party, same related party) is
    never in force twice at once: their validities must not overlap;
``multiple_primary``
    at most one relationship of a kind is primary at a time for the same
    anchor: the account (``contact_of``), the household
    (``household_member``), the partnered party or the business
    (``partner``, ``reseller``), the referred customer (``referred_by``);
``multiple_parents``
    an organization has at most one parent at a time;
``hierarchy_cycle``
    no organization is ever its own ancestor: a ``parent_of`` that would
    close a loop at any time of its validity is refused.

Validities are half-open, ``[valid_from, valid_until)``: one that ends
exactly when the other starts does not overlap it. A relationship whose end
equals its start was never in force and conflicts with nothing.
"""

from __future__ import annotations

from collections.abc import Callable, Hashable, Iterable, Sequence
from datetime import datetime
from typing import Final

from crmcore._kernel._checks import instance_of, tuple_of
from crmcore._kernel._ids import CustomerId
from crmcore.errors import Problem, ValidationError
from crmcore.parties._relationships import Relationship, RelationshipId, RelationshipKind

_PARENT: Final = RelationshipKind.PARENT_OF


class RelationshipConflict(ValidationError):
    """A relationship that breaks a rule spanning several relationships.

    The path names the field of the refused relationship (``$.valid_from``,
    ``$.primary``, ``$.related_id``; ``$.relationships[i]...`` when a whole
    collection is checked) and ``code`` the rule: ``overlap``,
    ``multiple_primary``, ``multiple_parents``, ``hierarchy_cycle`` or
    ``duplicate_id``. The message names relationship ids, never personal data.

    Attributes:
        relationship_id: the relationship refused.
        other_id: the relationship it conflicts with, when there is one.
    """

    default_code = "conflict"

    def __init__(
        self,
        rule: str,
        *,
        path: str = "$",
        code: str | None = None,
        problems: Sequence[Problem] | None = None,
        relationship_id: RelationshipId | None = None,
        other_id: RelationshipId | None = None,
    ) -> None:
        self.relationship_id = relationship_id
        self.other_id = other_id
        super().__init__(rule, path=path, code=code, problems=problems)


def is_empty(relationship: Relationship) -> bool:
    """True if the relationship was never in force (it ends when it starts)."""
    return relationship.valid_until == relationship.valid_from


def overlaps(a: Relationship, b: Relationship) -> bool:
    """True if the two validities share an instant (half-open intervals)."""
    if is_empty(a) or is_empty(b):
        return False
    a_before_b_ends = b.valid_until is None or a.valid_from < b.valid_until
    b_before_a_ends = a.valid_until is None or b.valid_from < a.valid_until
    return a_before_b_ends and b_before_a_ends


def same_key(relationship: Relationship) -> tuple[Hashable, ...]:
    """What makes two relationships "the same relationship": kind and both parties."""
    return (relationship.kind, relationship.party_id, relationship.related_id)


def primary_key(relationship: Relationship) -> tuple[Hashable, ...] | None:
    """The anchor a primary relationship is unique for (``None``: the primary rule is not checked)."""
    if relationship.kind is _PARENT:
        return None
    if relationship.kind is RelationshipKind.REFERRED_BY:
        return (relationship.kind, "party", relationship.party_id)
    return (relationship.kind, "related", relationship.related_id)


def _between(
    rel: Relationship, other: Relationship, path: str, rule: str, code: str
) -> RelationshipConflict:
    return RelationshipConflict(
        rule, path=path, code=code, relationship_id=rel.id, other_id=other.id
    )


def _overlap(rel: Relationship, other: Relationship, path: str) -> RelationshipConflict:
    rule = f"overlaps relationship {other.id} of the same kind between the same parties "
    rule += "(validity is [valid_from, valid_until))"
    return _between(rel, other, f"{path}.valid_from", rule, "overlap")


def _second_primary(rel: Relationship, other: Relationship, path: str) -> RelationshipConflict:
    rule = f"relationship {other.id} is already the primary {rel.kind.value} relationship "
    rule += "at an overlapping time; clear it first"
    return _between(rel, other, f"{path}.primary", rule, "multiple_primary")


def _second_parent(rel: Relationship, other: Relationship, path: str) -> RelationshipConflict:
    rule = f"the child organization already has a parent through relationship {other.id} "
    rule += "at an overlapping time"
    return _between(rel, other, f"{path}.related_id", rule, "multiple_parents")


def by_id(items: Sequence[Relationship]) -> dict[RelationshipId, Relationship]:
    """The relationships by id; refuses a second version of one id (``duplicate_id``)."""
    found: dict[RelationshipId, Relationship] = {}
    for index, rel in enumerate(items):
        if rel.id in found:
            rule = "must hold each relationship once (one version per id)"
            raise _between(rel, rel, f"$.relationships[{index}].id", rule, "duplicate_id")
        found[rel.id] = rel
    return found


def _cycle(rel: Relationship, path: str) -> RelationshipConflict:
    return RelationshipConflict(
        "would make an organization its own ancestor (a cycle in the account hierarchy)",
        path=f"{path}.related_id",
        code="hierarchy_cycle",
        relationship_id=rel.id,
    )


# -- a whole collection --------------------------------------------------------------------


def check_relationships(relationships: Iterable[Relationship]) -> None:
    """Check every rule that spans relationships (see the module documentation).

    Use it on a collection loaded from storage, or on the relationships a
    unit of work is about to commit together with those already stored.

    >>> from datetime import datetime, timezone
    >>> t = datetime(2026, 1, 1, tzinfo=timezone.utc)
    >>> def parent(n, p, c):
    ...     return Relationship.establish(
    ...         RelationshipId(f"h-{n}"),
    ...         kind="parent_of",
    ...         party_id=CustomerId(p),
    ...         related_id=CustomerId(c),
    ...         at=t,
    ...     )
    >>> check_relationships([parent(1, "group", "acme"), parent(2, "acme", "acme-id")])
    >>> check_relationships([parent(1, "group", "acme"), parent(2, "acme", "group")])
    Traceback (most recent call last):
    ...
    crmcore.parties._conflicts.RelationshipConflict: $.relationships[1].related_id: would make an organization its own ancestor (a cycle in the account hierarchy)

    Raises:
        InvalidType: an item that is not a Relationship.
        RelationshipConflict: the first rule found broken; its path names
            the relationship by its index (``$.relationships[3].valid_from``).
    """
    items = tuple_of(relationships, "$.relationships", instance_of(Relationship, "a Relationship"))
    by_id(items)
    _check_groups(items, same_key, _overlap)
    _check_groups(items, primary_key, _second_primary, primary_only=True)
    _check_hierarchy(items)


def _check_groups(
    items: Sequence[Relationship],
    key_of: Callable[[Relationship], Hashable | None],
    conflict: Callable[[Relationship, Relationship, str], RelationshipConflict],
    *,
    primary_only: bool = False,
) -> None:
    groups: dict[Hashable, list[int]] = {}
    for index, rel in enumerate(items):
        if is_empty(rel) or (primary_only and not rel.primary):
            continue
        key = key_of(rel)
        if key is not None:
            groups.setdefault(key, []).append(index)
    for indexes in groups.values():
        if len(indexes) < 2:  # a conflict needs two
            continue
        indexes.sort(key=lambda i: (items[i].valid_from, i))
        holder: Relationship | None = None  # the one reaching furthest so far
        for index in indexes:
            rel = items[index]
            if holder is not None and (
                holder.valid_until is None or rel.valid_from < holder.valid_until
            ):
                raise conflict(rel, holder, f"$.relationships[{index}]")
            if holder is None or (
                holder.valid_until is not None
                and (rel.valid_until is None or rel.valid_until > holder.valid_until)
            ):
                holder = rel


def _check_hierarchy(items: Sequence[Relationship]) -> None:
    """Sweep the parent links through time: one parent at a time, never a cycle.

    At each instant the parent links in force form a forest; adding a link
    that starts then keeps it one unless the child already has a parent or
    the parent's chain of ancestors reaches the child. Ends are applied
    before starts at the same instant (validities are half-open).
    """
    marks: list[tuple[datetime, int, int]] = []
    for index, rel in enumerate(items):
        if rel.kind is not _PARENT or is_empty(rel):
            continue
        marks.append((rel.valid_from, 1, index))
        if rel.valid_until is not None:
            marks.append((rel.valid_until, 0, index))
    marks.sort()
    parent: dict[CustomerId, tuple[CustomerId, int]] = {}
    for _, starts, index in marks:
        rel = items[index]
        child = rel.related_id
        assert child is not None  # noqa: S101 - a parent_of always names its child
        if not starts:
            if parent.get(child, (None, -1))[1] == index:
                del parent[child]
            continue
        if child in parent:
            other = items[parent[child][1]]
            raise _second_parent(rel, other, f"$.relationships[{index}]")
        node: CustomerId | None = rel.party_id
        while node is not None:  # the links in force form a forest: this ends
            if node == child:
                raise _cycle(rel, f"$.relationships[{index}]")
            node = parent[node][0] if node in parent else None
        parent[child] = (rel.party_id, index)


# -- one relationship joining a collection -------------------------------------------------


def check_candidate(candidate: Relationship, others: Sequence[Relationship]) -> None:
    """Check ``candidate`` against ``others`` (which hold no version of it).

    Only conflicts that involve the candidate are reported, so a collection
    with problems of its own still admits relationships unrelated to them.
    Paths name the candidate's fields (``$.valid_from``).
    """
    if is_empty(candidate):
        return
    key = same_key(candidate)
    anchor = primary_key(candidate) if candidate.primary else None
    for other in others:
        if not overlaps(candidate, other):
            continue
        if same_key(other) == key:
            raise _overlap(candidate, other, "$")
        if anchor is not None and other.primary and primary_key(other) == anchor:
            raise _second_primary(candidate, other, "$")
        if (
            candidate.kind is _PARENT
            and other.kind is _PARENT
            and other.related_id == candidate.related_id
        ):
            raise _second_parent(candidate, other, "$")
    if candidate.kind is _PARENT:
        _check_candidate_cycle(candidate, others)


def _check_candidate_cycle(candidate: Relationship, others: Sequence[Relationship]) -> None:
    """Refuse ``candidate`` if its child is an ancestor of its parent at any time it holds.

    The ancestors of the parent change only when a link that could lie on
    its chain starts or ends, so checking at the candidate's start and at
    those instants inside its validity covers every instant.
    """
    up: dict[CustomerId, list[Relationship]] = {}
    for rel in others:
        if rel.kind is _PARENT and not is_empty(rel) and rel.related_id is not None:
            up.setdefault(rel.related_id, []).append(rel)
    reach = _above(candidate.party_id, up, None)
    if candidate.related_id not in reach:
        return
    instants = {candidate.valid_from}
    for node in reach | {candidate.party_id}:
        for link in up.get(node, ()):
            instants.update(
                edge
                for edge in (link.valid_from, link.valid_until)
                if edge is not None and candidate.in_force_at(edge)
            )
    for when in sorted(instants):
        if candidate.related_id in _above(candidate.party_id, up, when):
            raise _cycle(candidate, "$")


def _above(
    start: CustomerId, up: dict[CustomerId, list[Relationship]], when: datetime | None
) -> set[CustomerId]:
    """The parties above ``start`` through parent links in force at ``when`` (any time if None)."""
    seen: set[CustomerId] = set()
    frontier = [start]
    while frontier:
        node = frontier.pop()
        for link in up.get(node, ()):
            if link.party_id not in seen and (when is None or link.in_force_at(when)):
                seen.add(link.party_id)
                frontier.append(link.party_id)
    return seen
