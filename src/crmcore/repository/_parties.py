"""The relationship repository: lookups by party and kind, and admission before storing."""

from __future__ import annotations

from typing import Final

from crmcore._kernel._checks import type_name
from crmcore.customers import CustomerId
from crmcore.errors import InvalidType
from crmcore.parties import Relationship, RelationshipGraph, RelationshipId, RelationshipKind
from crmcore.repository._lookups import choice_argument, id_argument
from crmcore.repository._ports import RelationshipRepository
from crmcore.repository._store import AggregateSpec, StoreRepository

_PARENT: Final = RelationshipKind.PARENT_OF


def relationship_parties(relationship: Relationship) -> tuple[str, ...]:
    """The ``party`` index of a relationship: the ids of both its parties (one for the business)."""
    if relationship.related_id is None:
        return (relationship.party_id.value,)
    return (relationship.party_id.value, relationship.related_id.value)


def _kind(relationship: Relationship) -> tuple[str, ...]:
    return (relationship.kind.value,)


class StoreRelationshipRepository(StoreRepository[Relationship], RelationshipRepository):
    """The relationship repository of :class:`~crmcore.repository.StoreUnitOfWork`.

    ``add`` and ``save`` admit the relationship into the graph of the
    relationships the unit sees around it before storing it (see
    :class:`~crmcore.repository.RelationshipRepository`): those of both
    parties, the other relationships with the business of the same kind for
    a partner or reseller of the business, and for a ``parent_of`` every
    parent link above the parent, so a cycle through any number of accounts
    is refused.

    .. versionadded:: 0.1
    """

    def for_party(self, party_id: CustomerId) -> list[Relationship]:
        """The relationships of one party, on either side (see :class:`RelationshipRepository`)."""
        self._unit.view()
        return self.find_by_index("party", id_argument(party_id, CustomerId, "$.party_id"))

    def for_customer(self, customer_id: CustomerId) -> list[Relationship]:
        """The relationships naming one customer (see :class:`RelationshipRepository`)."""
        self._unit.view()
        return self.find_by_index("party", id_argument(customer_id, CustomerId, "$.customer_id"))

    def of_kind(self, kind: RelationshipKind | str) -> list[Relationship]:
        """The relationships of one kind (see :class:`RelationshipRepository`)."""
        self._unit.view()
        return self.find_by_index("kind", choice_argument(kind, RelationshipKind, "$.kind"))

    # -- admission ------------------------------------------------------------------------

    def _neighbours(self, relationship: Relationship) -> list[Relationship]:
        """Every relationship the unit sees that a rule could set against ``relationship``."""
        found: dict[RelationshipId, Relationship] = {}
        for party in relationship_parties(relationship):
            found.update((r.id, r) for r in self.find_by_index("party", party))
        if relationship.related_id is None:  # the business: its partners of the same kind
            same = self.find_by_index("kind", relationship.kind.value)
            found.update((r.id, r) for r in same if r.related_id is None)
        if relationship.kind is _PARENT:  # the parent links above the parent, at any time
            seen = {relationship.party_id}
            frontier = [relationship.party_id]
            while frontier:
                node = frontier.pop()
                for link in self.find_by_index("party", node.value):
                    found[link.id] = link
                    above = link.party_id
                    if link.kind is _PARENT and link.related_id == node and above not in seen:
                        seen.add(above)
                        frontier.append(above)
        found.pop(relationship.id, None)
        return list(found.values())

    def _admit(self, relationship: object) -> Relationship:
        if not isinstance(relationship, Relationship):
            raise InvalidType(
                f"must be a Relationship, not {type_name(relationship)}", path="$.aggregate"
            )
        RelationshipGraph(self._neighbours(relationship)).admit(relationship)
        return relationship

    def add(self, aggregate: Relationship) -> Relationship:
        """Admit and store a new relationship (see :class:`RelationshipRepository`).

        Raises:
            RelationshipConflict: the relationship breaks a rule spanning
                relationships (``overlap``, ``multiple_primary``,
                ``multiple_parents``, ``hierarchy_cycle``); nothing is stored.
        """
        snapshot = self._unit.view()
        checked = self._aggregate(aggregate)
        if self._version(snapshot, checked.id) is None:
            self._admit(checked)
        return super().add(checked)

    def save(self, aggregate: Relationship) -> Relationship:
        """Admit and store a changed relationship (see :class:`RelationshipRepository`).

        Raises:
            RelationshipConflict: as for :meth:`add`; nothing is stored.
        """
        snapshot = self._unit.view()
        checked = self._aggregate(aggregate)
        if self._version(snapshot, checked.id) == checked.version:
            self._admit(checked)
        return super().save(checked)


#: The registration of the :class:`~crmcore.parties.Relationship` aggregate.
RELATIONSHIPS: Final[AggregateSpec[Relationship]] = AggregateSpec(
    name="relationships",
    kind="relationship",
    aggregate_type=Relationship,
    id_type=RelationshipId,
    indexes={"party": relationship_parties, "kind": _kind},
    repository_type=StoreRelationshipRepository,
    references={"party_id": "customers", "related_id": "customers"},
)
