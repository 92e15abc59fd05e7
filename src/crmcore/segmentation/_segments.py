"""Segments: named groups of customers, and the events of customers entering and leaving.

- A :class:`DynamicSegment` is a rule: its members are whoever matches it now.
- A :class:`StaticSegment` is an explicit list of customer ids.
- A :class:`SnapshotSegment` is a dynamic segment's members frozen at a time,
  kept with the rule that produced them (for a campaign's audience of record).

``segment.audience(customers, at=...)`` gives the members for a processing
purpose (marketing by default) as an :class:`Audience`: customers whose
processing decision denies the purpose (restricted, objecting, erased) are
left out before the rule reads anything of theirs, each with its reason.

A *population* is a mapping from customer id to what the rule reads (a
snapshot, any mapping or an object). Comparing two evaluations with
:func:`membership_change` gives who entered and who left, and
:meth:`MembershipChange.events` turns that into :class:`SegmentEntered` and
:class:`SegmentLeft` domain events for the host application.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import datetime
from typing import Any, Unpack

import attrs

from crmcore._kernel._checks import clean_text, require_aware, type_name
from crmcore._kernel._events import MAX_SEQUENCE, DomainEvent, EventMeta, check_meta
from crmcore._kernel._fields import Checked
from crmcore._kernel._frozen import FrozenMap
from crmcore._kernel._ids import Identifier
from crmcore.customers import Customer, CustomerId, ProcessingDecision, ProcessingPurpose
from crmcore.errors import InvalidType, ValidationError
from crmcore.segmentation._audience import (
    check_at,
    check_customers,
    check_facts,
    check_purpose,
    missing_customer,
)
from crmcore.segmentation._rules import Rule
from crmcore.segmentation._snapshot import snapshot

#: Longest segment name, in characters.
MAX_SEGMENT_NAME = 200
#: Longest segment description, in characters.
MAX_DESCRIPTION = 2000


class SegmentId(Identifier):
    """Identifies a segment."""

    __slots__ = ()


@attrs.frozen(slots=True, kw_only=True)
class SegmentEvent(DomainEvent, aggregate="segment"):
    """Base of the membership events of a segment (their aggregate is the segment)."""

    segment_id: SegmentId
    customer_id: CustomerId


@attrs.frozen(slots=True, kw_only=True)
class SegmentEntered(SegmentEvent):
    """A customer became a member of a segment."""


@attrs.frozen(slots=True, kw_only=True)
class SegmentLeft(SegmentEvent):
    """A customer stopped being a member of a segment."""


def _segment_id(_: object, __: attrs.Attribute[Any], value: object) -> None:
    if type(value) is not SegmentId:
        raise InvalidType(f"must be a SegmentId, not {type_name(value)}", path="$.id")


def _name(value: object) -> str:
    return clean_text(value, "$.name", max_length=MAX_SEGMENT_NAME, what="a segment name")


def _description(value: object) -> str | None:
    if value is None:
        return None
    return clean_text(
        value, "$.description", max_length=MAX_DESCRIPTION, allow_newlines=True, what="text"
    )


def _rule(value: object) -> Rule:
    if not isinstance(value, Rule):
        raise InvalidType(f"must be a rule, not {type_name(value)}", path="$.rule")
    return value


def _optional_rule(value: object) -> Rule | None:
    return None if value is None else _rule(value)


def _customer_id(value: object, path: str) -> CustomerId:
    if type(value) is CustomerId:
        return value
    if isinstance(value, str):
        try:
            return CustomerId(value)
        except ValidationError as exc:
            raise ValidationError(exc.rule, path=path, code=exc.code) from None
    raise InvalidType(f"must be a CustomerId, not {type_name(value)}", path=path)


def _members(value: object) -> frozenset[CustomerId]:
    if isinstance(value, (str, bytes, Mapping)) or not isinstance(value, Iterable):
        raise InvalidType(
            f"must be a set of customer ids, not {type_name(value)}", path="$.member_ids"
        )
    return frozenset(_customer_id(item, "$.member_ids") for item in value)


def _population(population: object) -> Mapping[CustomerId, object]:
    if not isinstance(population, Mapping):
        raise InvalidType(
            f"must map customer ids to snapshots, not {type_name(population)}",
            path="$.population",
        )
    return population


def _taken_at(value: object) -> datetime:
    return require_aware(value, "$.taken_at")


def _reasons(value: object) -> FrozenMap[CustomerId, str]:
    if isinstance(value, FrozenMap):
        return value
    if not isinstance(value, Mapping):
        raise InvalidType(
            f"must map customer ids to reason codes, not {type_name(value)}", path="$.excluded"
        )
    reasons: dict[CustomerId, str] = {}
    for index, (customer_id, reason) in enumerate(value.items()):
        path = f"$.excluded[{index}]"
        if type(customer_id) is not CustomerId:
            raise InvalidType(
                f"must be keyed by CustomerId, not {type_name(customer_id)}", path=path
            )
        if type(reason) is not str:
            raise InvalidType(f"must be a reason code, not {type_name(reason)}", path=path)
        reasons[customer_id] = reason
    return FrozenMap(reasons)


@attrs.frozen(slots=True)
class Audience(Checked):
    """A segment's members for a processing purpose, and who was left out and why.

    Attributes:
        segment_id: the segment evaluated.
        purpose: the processing purpose (``marketing`` by default).
        at: the instant of the evaluation and of the decisions.
        member_ids: the members that may be processed for ``purpose``.
        excluded: for each customer the purpose is denied, the reason code
            of their decision (``"erased"``, ``"processing_restricted"``,
            ``"objected_to_direct_marketing"``, ``"objected_to_profiling"``).
            A dynamic segment lists every denied customer given (the rule
            never read their data, so whether it would have chosen them is
            not known); a static or snapshot segment lists its denied members.

    .. versionadded:: 0.1
    """

    segment_id: SegmentId
    purpose: ProcessingPurpose
    at: datetime
    member_ids: frozenset[CustomerId]
    excluded: Mapping[CustomerId, str] = attrs.field(converter=_reasons)

    def explain(self, customer_id: CustomerId) -> ProcessingDecision:
        """The decision for ``customer_id``: denied with its reason, else allowed.

        Raises:
            InvalidType: ``customer_id`` is not a :class:`~crmcore.CustomerId`.
        """
        if type(customer_id) is not CustomerId:
            raise InvalidType(
                f"must be a CustomerId, not {type_name(customer_id)}", path="$.customer_id"
            )
        reason = self.excluded.get(customer_id)
        if reason is None:
            return ProcessingDecision(allowed=True, purpose=self.purpose, reason="allowed")
        return ProcessingDecision(allowed=False, purpose=self.purpose, reason=reason)


@attrs.frozen(slots=True)
class DynamicSegment:
    """A segment defined by a rule: its members are the customers matching it.

    >>> from datetime import datetime, timezone
    >>> from crmcore import CustomerId
    >>> from crmcore.segmentation import field
    >>> loyal = DynamicSegment(SegmentId("loyal"), "Loyal buyers", field("frequency") >= 3)
    >>> population = {CustomerId("c-1"): {"frequency": 5}, CustomerId("c-2"): {"frequency": 1}}
    >>> loyal.members(population)
    frozenset({CustomerId('c-1')})
    """

    id: SegmentId = attrs.field(validator=_segment_id)
    name: str = attrs.field(converter=_name)
    rule: Rule = attrs.field(converter=_rule)
    description: str | None = attrs.field(default=None, converter=_description)

    def members(
        self, population: Mapping[CustomerId, object], *, at: datetime | None = None
    ) -> frozenset[CustomerId]:
        """The ids of ``population`` whose snapshot matches the rule at ``at``."""
        checked = _population(population)
        test = self.rule.predicate(at=at)
        return frozenset(key for key, snap in checked.items() if test(snap))

    def audience(
        self,
        customers: Iterable[Customer],
        *,
        at: datetime,
        purpose: ProcessingPurpose | str = ProcessingPurpose.MARKETING,
        facts: Mapping[CustomerId, Mapping[str, object]] | None = None,
    ) -> Audience:
        """The customers matching the rule at ``at`` that may be processed for ``purpose``.

        Each customer's :meth:`~crmcore.Customer.processing_decision` is asked
        first; a denied customer is left out with its reason and no snapshot
        of them is built. The others are snapshot at ``at`` (with their
        ``facts``, only the fields the rule reads) and tested: for them the
        answer is that of :meth:`members` over full snapshots.

        >>> from datetime import datetime, timezone
        >>> from crmcore import Customer, CustomerId, PersonName
        >>> from crmcore.segmentation import field
        >>> at = datetime(2026, 5, 4, 9, 0, tzinfo=timezone.utc)
        >>> ana = Customer.register(
        ...     CustomerId("c-ana"), name=PersonName("Ana"), at=at, tags=["vip"]
        ... )
        >>> budi = Customer.register(
        ...     CustomerId("c-budi"), name=PersonName("Budi"), at=at, tags=["vip"]
        ... )
        >>> budi = budi.restrict_processing(at=at, reason="accuracy_contested")
        >>> vip = DynamicSegment(SegmentId("vip"), "VIP", field("tags").has("vip"))
        >>> audience = vip.audience([ana, budi], at=at)
        >>> sorted(c.value for c in audience.member_ids), dict(audience.excluded)
        (['c-ana'], {CustomerId('c-budi'): 'processing_restricted'})

        Args:
            customers: the customers to choose from (at most
                ``MAX_AUDIENCE_CUSTOMERS``, each once).
            at: the instant (timezone-aware).
            purpose: the processing purpose: ``"marketing"`` (the default),
                ``"profiling"`` or ``"automation"``.
            facts: optional facts per customer id, as ``snapshot`` takes them.

        Raises:
            InvalidType: a customer that is not a ``Customer``, a wrong argument type.
            ValidationError: a naive ``at``, an unknown purpose, an id given
                twice (``duplicate``), too many customers (``too_many``), and
                whatever ``snapshot`` and the rule raise.
        """
        wanted = check_purpose(purpose)
        when = check_at(at)
        extra = check_facts(facts)
        taken = check_customers(customers)
        test = self.rule.predicate(at=when)
        fields = self.rule.fields()
        members: set[CustomerId] = set()
        excluded: dict[CustomerId, str] = {}
        for customer in taken:
            decision = customer.processing_decision(wanted, at=when)
            if not decision.allowed:
                excluded[customer.id] = decision.reason
            elif test(snapshot(customer, at=when, facts=extra.get(customer.id), fields=fields)):
                members.add(customer.id)
        return Audience(self.id, wanted, when, frozenset(members), excluded)

    def freeze(self, population: Mapping[CustomerId, object], *, at: datetime) -> SnapshotSegment:
        """The members at ``at``, frozen with the rule that chose them."""
        when = require_aware(at, "$.at")
        return SnapshotSegment(
            self.id,
            self.name,
            self.members(population, at=when),
            taken_at=when,
            rule=self.rule,
            description=self.description,
        )


class _HeldMembers:
    """The members of a segment that holds their ids: a static or a snapshot segment."""

    __slots__ = ()

    id: SegmentId
    member_ids: frozenset[CustomerId]

    def members(
        self,
        population: Mapping[CustomerId, object] | None = None,  # noqa: ARG002 - shared signature.
        *,
        at: datetime | None = None,  # noqa: ARG002 - the signature every segment shares.
    ) -> frozenset[CustomerId]:
        """The ids held: listed or frozen (a population, if given, is not consulted)."""
        return self.member_ids

    def audience(
        self,
        customers: Iterable[Customer],
        *,
        at: datetime,
        purpose: ProcessingPurpose | str = ProcessingPurpose.MARKETING,
    ) -> Audience:
        """The members held that may be processed for ``purpose`` at ``at``.

        ``customers`` must hold every member (others are ignored): a member
        whose decisions cannot be asked is never passed on as allowed.

        Raises:
            ValidationError: a member missing from ``customers`` (code
                ``missing_customer``), and as :meth:`DynamicSegment.audience`.
        """
        wanted = check_purpose(purpose)
        when = check_at(at)
        given = {customer.id: customer for customer in check_customers(customers)}
        members: set[CustomerId] = set()
        excluded: dict[CustomerId, str] = {}
        for member in sorted(self.member_ids):
            customer = given.get(member)
            if customer is None:
                raise missing_customer()
            decision = customer.processing_decision(wanted, at=when)
            if decision.allowed:
                members.add(member)
            else:
                excluded[member] = decision.reason
        return Audience(self.id, wanted, when, frozenset(members), excluded)


@attrs.frozen(slots=True)
class StaticSegment(_HeldMembers):
    """A segment of explicitly listed customers.

    >>> from crmcore import CustomerId
    >>> board = StaticSegment(SegmentId("advisory-board"), "Advisory board", {"c-1"})
    >>> board.with_members({"c-2"}).member_ids == {CustomerId("c-1"), CustomerId("c-2")}
    True
    """

    id: SegmentId = attrs.field(validator=_segment_id)
    name: str = attrs.field(converter=_name)
    member_ids: frozenset[CustomerId] = attrs.field(default=frozenset(), converter=_members)
    description: str | None = attrs.field(default=None, converter=_description)

    def with_members(self, ids: Iterable[CustomerId | str]) -> StaticSegment:
        """A copy with ``ids`` added."""
        return attrs.evolve(self, member_ids=self.member_ids | _members(ids))

    def without_members(self, ids: Iterable[CustomerId | str]) -> StaticSegment:
        """A copy with ``ids`` removed."""
        return attrs.evolve(self, member_ids=self.member_ids - _members(ids))


@attrs.frozen(slots=True)
class SnapshotSegment(_HeldMembers):
    """A segment's members frozen at ``taken_at``, with the rule that produced them."""

    id: SegmentId = attrs.field(validator=_segment_id)
    name: str = attrs.field(converter=_name)
    member_ids: frozenset[CustomerId] = attrs.field(converter=_members)
    taken_at: datetime = attrs.field(kw_only=True, converter=_taken_at)
    rule: Rule | None = attrs.field(default=None, kw_only=True, converter=_optional_rule)
    description: str | None = attrs.field(default=None, kw_only=True, converter=_description)


#: Any kind of segment.
Segment = DynamicSegment | StaticSegment | SnapshotSegment


@attrs.frozen(slots=True)
class MembershipChange(Checked):
    """Who entered and who left a segment between two evaluations.

    Attributes:
        segment_id: the segment.
        entered: ids members now that were not before.
        left: ids members before that are not now.
    """

    segment_id: SegmentId
    entered: frozenset[CustomerId]
    left: frozenset[CustomerId]

    def events(
        self, *, at: datetime, after: int = 0, **meta: Unpack[EventMeta]
    ) -> tuple[SegmentEntered | SegmentLeft, ...]:
        """``SegmentEntered`` for each id entered, then ``SegmentLeft`` for each id left, by id.

        A segment is not stored like an aggregate, so its events are numbered
        from ``after``: pass the sequence number of the last membership event
        you published for this segment (0 for the first change), and the
        events get the numbers that follow, with stable ``event_id`` s.
        """
        when = require_aware(at, "$.at")
        if isinstance(after, bool) or not isinstance(after, int):
            raise InvalidType(f"must be an int, not {type_name(after)}", path="$.after")
        if not 0 <= after <= MAX_SEQUENCE - len(self.entered) - len(self.left):
            raise ValidationError("must be from 0 to 2**53 - 1", path="$.after", code="range")
        envelope: dict[str, Any] = {
            "occurred_at": when,
            "segment_id": self.segment_id,
            **check_meta(meta),
        }
        changes: list[tuple[type[SegmentEntered | SegmentLeft], CustomerId]] = [
            *((SegmentEntered, cid) for cid in sorted(self.entered)),
            *((SegmentLeft, cid) for cid in sorted(self.left)),
        ]
        return tuple(
            cls(sequence=after + n, customer_id=cid, **envelope)
            for n, (cls, cid) in enumerate(changes, start=1)
        )


def membership_change(
    segment_id: SegmentId, before: Iterable[CustomerId | str], after: Iterable[CustomerId | str]
) -> MembershipChange:
    """The difference between two memberships of one segment.

    >>> from datetime import datetime, timezone
    >>> change = membership_change(SegmentId("vip"), {"c-1", "c-2"}, {"c-2", "c-3"})
    >>> [
    ...     (e.type, e.customer_id.value)
    ...     for e in change.events(at=datetime(2026, 1, 1, tzinfo=timezone.utc))
    ... ]
    [('SegmentEntered', 'c-3'), ('SegmentLeft', 'c-1')]
    """
    if type(segment_id) is not SegmentId:
        raise InvalidType(f"must be a SegmentId, not {type_name(segment_id)}", path="$.segment_id")
    old = _members(before)
    new = _members(after)
    return MembershipChange(segment_id, new - old, old - new)
