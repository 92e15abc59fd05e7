"""A unit of work that enforces an access policy on every read and write.

:class:`GuardedUnitOfWork` wraps another :class:`~crmcore.repository.UnitOfWork`
and offers the same repositories. Reads return only the records the policy
lets the principal read, masked where it says so; a ``get`` of a record the
principal may not read raises :class:`AccessDenied`. Writes the policy does
not allow raise :class:`AccessDenied` and change nothing. The wrapped unit is
kept private: code given the guarded unit has no way back to it.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from datetime import datetime
from types import TracebackType
from typing import Any, ClassVar, Generic, Protocol, Self, TypeVar

import attrs

from crmcore._kernel._aggregate import Aggregate as KernelAggregate
from crmcore._kernel._checks import enum_converter, type_name
from crmcore._kernel._events import DomainEvent
from crmcore._kernel._ids import CustomerId, Identifier, StaffId
from crmcore._kernel._personal import PersonalDataErasedEvent, personal_value
from crmcore._kernel._refs import RecordRef
from crmcore.access._decisions import AccessDecision, _decide, customer_id_of
from crmcore.access._errors import AccessDenied
from crmcore.access._policy import AccessAction, AccessPolicy, Scope
from crmcore.access._principal import Principal
from crmcore.access._service import ServiceUnit
from crmcore.activities import Activity, ActivityStatus, ReminderDue
from crmcore.audit import DeniedAttempt, RecordChange
from crmcore.commerce import Order, OrderId, OrderStatus, PlanId, Subscription, SubscriptionStatus
from crmcore.customers import Customer
from crmcore.errors import InvalidType, NotFound, UnitOfWorkError
from crmcore.feedback import Review, SurveyKind, SurveyResponse
from crmcore.interactions import Interaction
from crmcore.loyalty import LoyaltyAccount, ProgramId
from crmcore.notes import Note
from crmcore.parties import Relationship, RelationshipKind
from crmcore.privacy import DataSubjectRequest, RequestStatus
from crmcore.repository import (
    ActivityRepository,
    Aggregate,
    CaseRepository,
    CustomerRepository,
    InteractionRepository,
    LeadRepository,
    LoyaltyAccountRepository,
    NoteRepository,
    OpportunityRepository,
    OrderRepository,
    PrivacyRequestRepository,
    RelationshipRepository,
    Repository,
    ReviewRepository,
    StaffRepository,
    SubscriptionRepository,
    SurveyRepository,
    TeamRepository,
    UnitOfWork,
)
from crmcore.sales import Lead, LeadSource, LeadStatus, Opportunity, OpportunityId
from crmcore.service import Case, CaseId, CaseStatus
from crmcore.teams import StaffMember, Team

A = TypeVar("A", bound=Aggregate)


class AuditSink(Protocol):
    """Where a :class:`GuardedUnitOfWork` reports what it refused and what it committed.

    .. versionadded:: 0.1
    """

    def record_denied(self, attempt: DeniedAttempt) -> None:
        """One read, command or export the policy refused."""
        ...

    def record_commit(self, changes: list[RecordChange]) -> None:
        """The records a committed unit added, saved or removed, in the order of the calls."""
        ...


def _newest(aggregate: object) -> datetime | None:
    events: tuple[DomainEvent, ...] = getattr(aggregate, "pending_events", ())
    return max((e.occurred_at for e in events), default=None)


def _replaced(value: Any, parts: list[str], new: object) -> Any:
    if not parts:
        return new
    inner = _replaced(getattr(value, parts[0]), parts[1:], new)
    return attrs.evolve(value, **{parts[0].lstrip("_"): inner})


class _Guard:
    # The state a guarded unit shares with its repositories.

    __slots__ = ("audit", "changes", "policy", "principal", "unit")

    def __init__(
        self, unit: UnitOfWork, principal: Principal, policy: AccessPolicy, audit: AuditSink | None
    ) -> None:
        self.unit = unit
        self.principal = principal
        self.policy = policy
        self.audit = audit
        # (kind, id) -> [before, after] of every record the unit changed.
        self.changes: dict[tuple[str, str], list[Any]] = {}

    def _customer_of(self, record: object) -> Customer | None:
        customer_id = customer_id_of(record)
        if customer_id is None:
            return None
        try:
            return self.unit.customers.get(customer_id)
        except NotFound:
            return None

    def _owner_roles(self, staff_id: StaffId) -> Iterable[str]:
        staff = self.unit.staff
        return staff.get(staff_id).roles if staff_id in staff else ()

    def decide(self, action: AccessAction, record: object) -> AccessDecision:
        return _decide(
            self.policy,
            self.principal,
            action,
            record,
            lambda: self._customer_of(record),
            self._owner_roles,
        )

    def deny(self, action: AccessAction, record: Any, rule: str) -> AccessDenied:
        kind: str = record.aggregate_kind
        record_id: str = record.id.value
        if self.audit is not None:
            self.audit.record_denied(
                DeniedAttempt(
                    actor=self.principal.staff_id.value,
                    action=action.value,
                    aggregate_kind=kind,
                    aggregate_id=record_id,
                    rule=rule,
                    at=_newest(record),
                )
            )
        return AccessDenied(action.value, kind, record_id, rule=rule)

    def track(self, record: Any, before: object, after: object) -> None:
        key = (record.aggregate_kind, record.id.value)
        entry = self.changes.get(key)
        if entry is None:
            self.changes[key] = [before, after]
        elif entry[0] is None and after is None:
            del self.changes[key]  # added and removed again: nothing happened
        else:
            entry[1] = after

    def committed(self) -> None:
        changes, self.changes = self.changes, {}
        if self.audit is None or not changes:
            return
        actor = self.principal.staff_id.value
        self.audit.record_commit(
            [
                RecordChange(
                    aggregate_kind=kind,
                    aggregate_id=record_id,
                    before=before,
                    after=after,
                    actor=actor,
                    at=_newest(after),
                )
                for (kind, record_id), (before, after) in changes.items()
            ]
        )


class _GuardedRepository(Repository[A], Generic[A]):
    # Every repository of a guarded unit: the wrapped repository behind the policy.

    __slots__ = ("_guard",)

    _name: ClassVar[str]
    _cls: ClassVar[type[Any]]

    def __init__(self, guard: _Guard) -> None:
        self._guard = guard

    def _inner(self) -> Any:
        return getattr(self._guard.unit, self._name)

    def _kind(self) -> str:
        return str(self._cls.aggregate_kind)

    def _id_of(self, text: str) -> Identifier:
        made: Identifier = self._cls.id_type(text)
        return made

    def _shown(self, record: Any, decision: AccessDecision) -> Any:
        return record.masked(decision.masked_fields) if decision.masked_fields else record

    def _readable(self, found: Iterable[Any]) -> list[Any]:
        shown = []
        for record in found:
            decision = self._guard.decide(AccessAction.READ, record)
            if decision.allowed:
                shown.append(self._shown(record, decision))
        return shown

    def _require(self, action: AccessAction, record: Any) -> AccessDecision:
        decision = self._guard.decide(action, record)
        if not decision.allowed:
            raise self._guard.deny(action, record, decision.rule)
        return decision

    def _view(self, stored: Any) -> Any:
        decision = self._guard.decide(AccessAction.READ, stored)
        if decision.allowed:
            return self._shown(stored, decision)
        # Saved out of the principal's sight (handed to another owner): nothing personal shown.
        fields = getattr(type(stored), "personal_fields", ())
        return stored.masked(fields) if fields else stored

    def add(self, aggregate: A) -> A:
        """Store a new record the policy lets the principal create (see :class:`Repository`).

        Raises:
            AccessDenied: the policy does not allow creating it; nothing is stored.
        """
        if not isinstance(aggregate, self._cls):
            return self._inner().add(aggregate)  # type: ignore[no-any-return]
        self._require(AccessAction.CREATE, aggregate)
        stored = self._inner().add(aggregate)
        self._guard.track(aggregate, None, aggregate)
        return self._view(stored)  # type: ignore[no-any-return]

    def get(self, aggregate_id: Identifier) -> A:
        """The record with this id, masked as the policy says.

        Raises:
            AccessDenied: the policy does not let the principal read it.
        """
        stored = self._inner().get(aggregate_id)
        decision = self._require(AccessAction.READ, stored)
        return self._shown(stored, decision)  # type: ignore[no-any-return]

    def save(self, aggregate: A) -> A:
        """Store a changed record the policy lets the principal update, before and after the change.

        Personal fields masked for the principal and left as their tombstones
        keep the stored values.

        Raises:
            AccessDenied: the policy does not allow the update (of the stored
                record or of the changed one), or a masked field was changed
                (``masked_field``); nothing is stored.
        """
        if not isinstance(aggregate, self._cls):
            return self._inner().save(aggregate)  # type: ignore[no-any-return]
        inner = self._inner()
        stored = inner.get(aggregate.id)
        events = aggregate.pending_events
        if any(isinstance(event, PersonalDataErasedEvent) for event in events):
            # An anonymisation: its tombstones are the new values, not masks to give back.
            self._require(AccessAction.ERASE, stored)
            if not all(isinstance(event, PersonalDataErasedEvent) for event in events):
                self._require(AccessAction.UPDATE, stored)
            changed = aggregate
        else:
            self._require(AccessAction.UPDATE, stored)
            seen = self._guard.decide(AccessAction.READ, stored)
            changed = self._unmasked(aggregate, stored, seen.masked_fields if seen.allowed else ())
            self._require(AccessAction.UPDATE, changed)
        saved = inner.save(changed)
        self._guard.track(changed, stored, changed)
        return self._view(saved)  # type: ignore[no-any-return]

    def _unmasked(self, aggregate: Any, stored: Any, fields: tuple[str, ...]) -> Any:
        # The aggregate with masked fields left as tombstones given their stored values back.
        restore = []
        for name in fields:
            value, kept = personal_value(aggregate, name), personal_value(stored, name)
            if value == kept:
                continue
            if value != personal_value(stored.masked([name]), name):
                raise self._guard.deny(AccessAction.UPDATE, aggregate, "masked_field")
            restore.append(name)
        if not restore:
            return aggregate
        inits = {a.alias for a in attrs.fields(type(aggregate))}
        changes: dict[str, Any] = {}
        for name in restore:
            top, *rest = name.split(".")
            if top in inits:
                current = changes.get(top, getattr(aggregate, top))
                changes[top] = _replaced(current, rest, personal_value(stored, name))
                continue
            # A derived field: give back the attributes its tombstone replaces, if left as shown.
            shown = stored.masked([name])
            for key in stored._tombstones(frozenset({name})):  # noqa: SLF001
                if getattr(aggregate, key) != getattr(shown, key):
                    raise self._guard.deny(AccessAction.UPDATE, aggregate, "masked_field")
                changes[key] = getattr(stored, key)
        # The kernel's copy, made as masked() makes it: checked, events kept.
        known = len(aggregate.pending_events)
        return aggregate._changed(changes, known_events=known)  # noqa: SLF001

    def remove(self, aggregate_id: Identifier) -> None:
        """Delete a record the policy lets the principal delete.

        Raises:
            AccessDenied: the policy does not allow deleting it; nothing is removed.
        """
        inner = self._inner()
        stored = inner.get(aggregate_id)
        self._require(AccessAction.DELETE, stored)
        inner.remove(aggregate_id)
        self._guard.track(stored, stored, None)

    def __iter__(self) -> Iterator[A]:
        """The records the principal may read, masked, in ascending id order."""
        for record in self._inner():  # lazily, as the wrapped repository iterates
            decision = self._guard.decide(AccessAction.READ, record)
            if decision.allowed:
                yield self._shown(record, decision)

    def count(self) -> int:
        """How many records the principal may read."""
        return len(self._readable(self._inner()))

    def __contains__(self, aggregate_id: object) -> bool:
        """Whether a record with this id is stored and readable by the principal."""
        inner = self._inner()
        if aggregate_id not in inner:
            return False
        return self._guard.decide(AccessAction.READ, inner.get(aggregate_id)).allowed


class _Customers(_GuardedRepository[Customer], CustomerRepository):
    __slots__ = ()
    _name, _cls = "customers", Customer

    def _one(self, found: Customer, key: str) -> Customer:
        # A holder the principal may not read, or whose contact points are masked for them,
        # is not found: a refusal would confirm who holds the value.
        decision = self._guard.decide(AccessAction.READ, found)
        if not decision.allowed or "contact_points" in decision.masked_fields:
            raise NotFound("customer", key=key)
        return self._shown(found, decision)  # type: ignore[no-any-return]

    def get_by_email(self, address: str) -> Customer:
        """The customer holding this address, if the principal may read it (see the port).

        Raises:
            NotFound: nobody holds it, or the principal may not read its holder
                or its contact points (the same error either way).
        """
        return self._one(self._inner().get_by_email(address), "email address")

    def get_by_phone(self, number: str, *, default_country_code: str | None = None) -> Customer:
        """The customer holding this number, if the principal may read it (see the port).

        Raises:
            NotFound: nobody holds it, or the principal may not read its holder
                or its contact points (the same error either way).
        """
        found = self._inner().get_by_phone(number, default_country_code=default_country_code)
        return self._one(found, "phone number")

    def find_by_email(self, address: str) -> list[Customer]:
        """The readable customers holding this address."""
        return self._readable(self._inner().find_by_email(address))

    def find_by_phone(
        self, number: str, *, default_country_code: str | None = None
    ) -> list[Customer]:
        """The readable customers holding this number."""
        found = self._inner().find_by_phone(number, default_country_code=default_country_code)
        return self._readable(found)

    def absorbed_into(self, customer_id: CustomerId) -> list[Customer]:
        """The readable customers merged into this one."""
        return self._readable(self._inner().absorbed_into(customer_id))


class _Orders(_GuardedRepository[Order], OrderRepository):
    __slots__ = ()
    _name, _cls = "orders", Order

    def for_customer(self, customer_id: CustomerId) -> list[Order]:
        """The readable orders of one customer."""
        return self._readable(self._inner().for_customer(customer_id))

    def with_status(self, status: OrderStatus | str) -> list[Order]:
        """The readable orders with this status."""
        return self._readable(self._inner().with_status(status))


class _Subscriptions(_GuardedRepository[Subscription], SubscriptionRepository):
    __slots__ = ()
    _name, _cls = "subscriptions", Subscription

    def for_customer(self, customer_id: CustomerId) -> list[Subscription]:
        """The readable subscriptions of one customer."""
        return self._readable(self._inner().for_customer(customer_id))

    def for_plan(self, plan_id: PlanId) -> list[Subscription]:
        """The readable subscriptions to one plan."""
        return self._readable(self._inner().for_plan(plan_id))

    def with_status(self, status: SubscriptionStatus | str) -> list[Subscription]:
        """The readable subscriptions with this stored status."""
        return self._readable(self._inner().with_status(status))


class _Interactions(_GuardedRepository[Interaction], InteractionRepository):
    __slots__ = ()
    _name, _cls = "interactions", Interaction

    def for_customer(self, customer_id: CustomerId) -> list[Interaction]:
        """The readable interactions with one customer."""
        return self._readable(self._inner().for_customer(customer_id))

    def for_case(self, case_id: CaseId) -> list[Interaction]:
        """The readable interactions linked to one case."""
        return self._readable(self._inner().for_case(case_id))

    def for_opportunity(self, opportunity_id: OpportunityId) -> list[Interaction]:
        """The readable interactions linked to one opportunity."""
        return self._readable(self._inner().for_opportunity(opportunity_id))


class _Cases(_GuardedRepository[Case], CaseRepository):
    __slots__ = ()
    _name, _cls = "cases", Case

    def for_customer(self, customer_id: CustomerId) -> list[Case]:
        """The readable cases of one customer."""
        return self._readable(self._inner().for_customer(customer_id))

    def for_order(self, order_id: OrderId) -> list[Case]:
        """The readable cases about one order."""
        return self._readable(self._inner().for_order(order_id))

    def assigned_to(self, staff_id: StaffId) -> list[Case]:
        """The readable cases assigned to one member of staff."""
        return self._readable(self._inner().assigned_to(staff_id))

    def with_status(self, status: CaseStatus | str) -> list[Case]:
        """The readable cases with this status."""
        return self._readable(self._inner().with_status(status))


class _Reviews(_GuardedRepository[Review], ReviewRepository):
    __slots__ = ()
    _name, _cls = "reviews", Review

    def for_customer(self, customer_id: CustomerId) -> list[Review]:
        """The readable reviews of one customer."""
        return self._readable(self._inner().for_customer(customer_id))

    def on_platform(self, platform: str) -> list[Review]:
        """The readable reviews on one platform."""
        return self._readable(self._inner().on_platform(platform))


class _Surveys(_GuardedRepository[SurveyResponse], SurveyRepository):
    __slots__ = ()
    _name, _cls = "surveys", SurveyResponse

    def for_customer(self, customer_id: CustomerId) -> list[SurveyResponse]:
        """The readable answers of one customer."""
        return self._readable(self._inner().for_customer(customer_id))

    def for_case(self, case_id: CaseId) -> list[SurveyResponse]:
        """The readable answers about one case."""
        return self._readable(self._inner().for_case(case_id))

    def for_order(self, order_id: OrderId) -> list[SurveyResponse]:
        """The readable answers about one order."""
        return self._readable(self._inner().for_order(order_id))

    def of_survey(self, survey: SurveyKind | str) -> list[SurveyResponse]:
        """The readable answers to one survey."""
        return self._readable(self._inner().of_survey(survey))


class _LoyaltyAccounts(_GuardedRepository[LoyaltyAccount], LoyaltyAccountRepository):
    __slots__ = ()
    _name, _cls = "loyalty_accounts", LoyaltyAccount

    def get_by_membership(self, customer_id: CustomerId, program_id: ProgramId) -> LoyaltyAccount:
        """The account of one customer in one program, if the principal may read it."""
        record = self._inner().get_by_membership(customer_id, program_id)
        return self._shown(record, self._require(AccessAction.READ, record))  # type: ignore[no-any-return]

    def for_customer(self, customer_id: CustomerId) -> list[LoyaltyAccount]:
        """The readable accounts of one customer."""
        return self._readable(self._inner().for_customer(customer_id))

    def for_program(self, program_id: ProgramId) -> list[LoyaltyAccount]:
        """The readable accounts of one program."""
        return self._readable(self._inner().for_program(program_id))

    def in_tier(self, tier: str) -> list[LoyaltyAccount]:
        """The readable accounts in one tier."""
        return self._readable(self._inner().in_tier(tier))


class _Leads(_GuardedRepository[Lead], LeadRepository):
    __slots__ = ()
    _name, _cls = "leads", Lead

    def for_customer(self, customer_id: CustomerId) -> list[Lead]:
        """The readable leads converted into one customer."""
        return self._readable(self._inner().for_customer(customer_id))

    def with_status(self, status: LeadStatus | str) -> list[Lead]:
        """The readable leads with this status."""
        return self._readable(self._inner().with_status(status))

    def from_source(self, source: LeadSource | str) -> list[Lead]:
        """The readable leads from one source."""
        return self._readable(self._inner().from_source(source))

    def assigned_to(self, staff_id: StaffId) -> list[Lead]:
        """The readable leads assigned to one member of staff."""
        return self._readable(self._inner().assigned_to(staff_id))


class _Opportunities(_GuardedRepository[Opportunity], OpportunityRepository):
    __slots__ = ()
    _name, _cls = "opportunities", Opportunity

    def for_customer(self, customer_id: CustomerId) -> list[Opportunity]:
        """The readable opportunities of one customer."""
        return self._readable(self._inner().for_customer(customer_id))

    def in_stage(self, stage: str) -> list[Opportunity]:
        """The readable opportunities in one stage."""
        return self._readable(self._inner().in_stage(stage))

    def owned_by(self, staff_id: StaffId) -> list[Opportunity]:
        """The readable opportunities one member of staff owns."""
        return self._readable(self._inner().owned_by(staff_id))


class _Relationships(_GuardedRepository[Relationship], RelationshipRepository):
    __slots__ = ()
    _name, _cls = "relationships", Relationship

    def for_party(self, party_id: CustomerId) -> list[Relationship]:
        """The readable relationships of one party."""
        return self._readable(self._inner().for_party(party_id))

    def for_customer(self, customer_id: CustomerId) -> list[Relationship]:
        """The readable relationships naming one customer."""
        return self._readable(self._inner().for_customer(customer_id))

    def of_kind(self, kind: RelationshipKind | str) -> list[Relationship]:
        """The readable relationships of one kind."""
        return self._readable(self._inner().of_kind(kind))


class _Staff(_GuardedRepository[StaffMember], StaffRepository):
    __slots__ = ()
    _name, _cls = "staff", StaffMember

    def with_role(self, role: str) -> list[StaffMember]:
        """The readable staff members holding a role."""
        return self._readable(self._inner().with_role(role))

    def active(self) -> list[StaffMember]:
        """The readable active staff members."""
        return self._readable(self._inner().active())


class _Teams(_GuardedRepository[Team], TeamRepository):
    __slots__ = ()
    _name, _cls = "teams", Team

    def with_member(self, staff_id: StaffId) -> list[Team]:
        """The readable teams a staff member belongs to."""
        return self._readable(self._inner().with_member(staff_id))

    def managed_by(self, staff_id: StaffId) -> list[Team]:
        """The readable teams a staff member manages."""
        return self._readable(self._inner().managed_by(staff_id))


class _Activities(_GuardedRepository[Activity], ActivityRepository):
    __slots__ = ()
    _name, _cls = "activities", Activity

    def due_between(self, start: datetime, end: datetime) -> list[Activity]:
        """The readable planned activities due in a window."""
        return self._readable(self._inner().due_between(start, end))

    def overdue_at(self, at: datetime) -> list[Activity]:
        """The readable planned activities overdue at a time."""
        return self._readable(self._inner().overdue_at(at))

    def reminders_between(
        self, start: datetime, end: datetime
    ) -> list[tuple[Activity, ReminderDue]]:
        """The reminders of readable planned activities due in a window."""
        shown = []
        for activity, reminder in self._inner().reminders_between(start, end):
            decision = self._guard.decide(AccessAction.READ, activity)
            if decision.allowed:
                shown.append((self._shown(activity, decision), reminder))
        return shown

    def owned_by(self, staff_id: StaffId) -> list[Activity]:
        """The readable activities one member of staff owns."""
        return self._readable(self._inner().owned_by(staff_id))

    def linked_to(self, record: RecordRef) -> list[Activity]:
        """The readable activities linked to one record."""
        return self._readable(self._inner().linked_to(record))

    def with_participant(self, participant: StaffId | CustomerId) -> list[Activity]:
        """The readable activities someone takes part in."""
        return self._readable(self._inner().with_participant(participant))

    def for_customer(self, customer_id: CustomerId) -> list[Activity]:
        """The readable activities naming one customer."""
        return self._readable(self._inner().for_customer(customer_id))

    def with_status(self, status: ActivityStatus | str) -> list[Activity]:
        """The readable activities with this status."""
        return self._readable(self._inner().with_status(status))


class _Notes(_GuardedRepository[Note], NoteRepository):
    __slots__ = ()
    _name, _cls = "notes", Note

    def linked_to(self, record: RecordRef) -> list[Note]:
        """The readable notes on one record."""
        return self._readable(self._inner().linked_to(record))

    def pinned_on(self, record: RecordRef) -> list[Note]:
        """The readable pinned notes on one record."""
        return self._readable(self._inner().pinned_on(record))

    def by_author(self, staff_id: StaffId) -> list[Note]:
        """The readable notes one member of staff wrote."""
        return self._readable(self._inner().by_author(staff_id))

    def for_customer(self, customer_id: CustomerId) -> list[Note]:
        """The readable notes on one customer."""
        return self._readable(self._inner().for_customer(customer_id))


class _PrivacyRequests(_GuardedRepository[DataSubjectRequest], PrivacyRequestRepository):
    __slots__ = ()
    _name, _cls = "privacy_requests", DataSubjectRequest

    def for_customer(self, customer_id: CustomerId) -> list[DataSubjectRequest]:
        """The readable requests of one customer."""
        return self._readable(self._inner().for_customer(customer_id))

    def with_status(self, status: RequestStatus | str) -> list[DataSubjectRequest]:
        """The readable requests with this status."""
        return self._readable(self._inner().with_status(status))

    def open_due_before(self, at: datetime) -> list[DataSubjectRequest]:
        """The readable open requests due before a time."""
        return self._readable(self._inner().open_due_before(at))


class GuardedUnitOfWork(UnitOfWork):
    """A unit of work that lets one principal do only what an access policy allows.

    Use it as the unit it wraps: ``with guarded: ...; guarded.commit()``.

    * Reads (``get``, iteration, ``count``, ``in`` and every lookup) see
      only the records the principal may read, with personal fields masked
      as the policy says; ``get`` (and the ``get_by_...`` lookups) of a
      record it may not read raises :class:`AccessDenied`.
    * ``add`` needs ``create``; ``save`` needs ``update`` on the stored
      record and on the changed one (``erase`` for a record whose new events
      anonymise it); ``remove`` needs ``delete``; :meth:`authorize` checks
      any other action (``export``, ``merge``, ``erase``). A refused
      write raises :class:`AccessDenied` and changes nothing. Saving a
      masked copy keeps the stored values of the masked fields left as
      tombstones; changing a masked field is refused.
    * Orders, reviews, survey answers, loyalty accounts and relationships
      follow their customer's owner and team (looked up through the wrapped
      unit); the role hierarchy reads the owner's roles from the staff
      repository.
    * With an ``audit`` sink, every refused attempt is reported when it
      happens and every committed change after the commit.

    Args:
        unit: the unit of work to guard (not reachable from the guarded one).
        principal: who is acting.
        policy: what they may do.
        audit: where refused attempts and committed changes go, if anywhere.

    Raises:
        InvalidType: an argument of the wrong type.
        UnknownRole: the principal holds a role the policy does not declare.

    .. versionadded:: 0.1
    """

    __slots__ = (
        "_GuardedUnitOfWork__guard",
        "_GuardedUnitOfWork__repositories",
    )

    def __init__(
        self,
        unit: UnitOfWork,
        principal: Principal,
        policy: AccessPolicy,
        *,
        audit: AuditSink | None = None,
    ) -> None:
        if not isinstance(unit, UnitOfWork):
            raise InvalidType(f"must be a UnitOfWork, not {type_name(unit)}", path="$.unit")
        if type(policy) is not AccessPolicy:
            raise InvalidType(f"must be an AccessPolicy, not {type_name(policy)}", path="$.policy")
        policy.check_principal(principal)
        if audit is not None and not (
            callable(getattr(audit, "record_denied", None))
            and callable(getattr(audit, "record_commit", None))
        ):
            raise InvalidType(f"must be an AuditSink, not {type_name(audit)}", path="$.audit")
        guard = _Guard(unit, principal, policy, audit)
        self.__guard = guard
        self.__repositories = {
            cls._name: cls(guard)
            for cls in (
                _Customers,
                _Orders,
                _Subscriptions,
                _Interactions,
                _Cases,
                _Reviews,
                _Surveys,
                _LoyaltyAccounts,
                _Leads,
                _Opportunities,
                _Relationships,
                _Staff,
                _Teams,
                _Activities,
                _Notes,
                _PrivacyRequests,
            )
        }

    def __repr__(self) -> str:
        return f"GuardedUnitOfWork(principal={self.__guard.principal.staff_id!r})"

    @property
    def principal(self) -> Principal:
        """Who is acting."""
        return self.__guard.principal

    @property
    def policy(self) -> AccessPolicy:
        """The policy enforced."""
        return self.__guard.policy

    def _repository(self, name: str) -> Any:
        return self.__repositories[name]

    @property
    def customers(self) -> CustomerRepository:
        """The guarded customer repository."""
        return self._repository("customers")  # type: ignore[no-any-return]

    @property
    def orders(self) -> OrderRepository:
        """The guarded order repository."""
        return self._repository("orders")  # type: ignore[no-any-return]

    @property
    def subscriptions(self) -> SubscriptionRepository:
        """The guarded subscription repository."""
        return self._repository("subscriptions")  # type: ignore[no-any-return]

    @property
    def interactions(self) -> InteractionRepository:
        """The guarded interaction repository."""
        return self._repository("interactions")  # type: ignore[no-any-return]

    @property
    def cases(self) -> CaseRepository:
        """The guarded case repository."""
        return self._repository("cases")  # type: ignore[no-any-return]

    @property
    def reviews(self) -> ReviewRepository:
        """The guarded review repository."""
        return self._repository("reviews")  # type: ignore[no-any-return]

    @property
    def surveys(self) -> SurveyRepository:
        """The guarded survey response repository."""
        return self._repository("surveys")  # type: ignore[no-any-return]

    @property
    def loyalty_accounts(self) -> LoyaltyAccountRepository:
        """The guarded loyalty account repository."""
        return self._repository("loyalty_accounts")  # type: ignore[no-any-return]

    @property
    def leads(self) -> LeadRepository:
        """The guarded lead repository."""
        return self._repository("leads")  # type: ignore[no-any-return]

    @property
    def opportunities(self) -> OpportunityRepository:
        """The guarded opportunity repository."""
        return self._repository("opportunities")  # type: ignore[no-any-return]

    @property
    def relationships(self) -> RelationshipRepository:
        """The guarded relationship repository."""
        return self._repository("relationships")  # type: ignore[no-any-return]

    @property
    def staff(self) -> StaffRepository:
        """The guarded staff member repository."""
        return self._repository("staff")  # type: ignore[no-any-return]

    @property
    def teams(self) -> TeamRepository:
        """The guarded team repository."""
        return self._repository("teams")  # type: ignore[no-any-return]

    @property
    def activities(self) -> ActivityRepository:
        """The guarded activity repository."""
        return self._repository("activities")  # type: ignore[no-any-return]

    @property
    def notes(self) -> NoteRepository:
        """The guarded note repository."""
        return self._repository("notes")  # type: ignore[no-any-return]

    @property
    def privacy_requests(self) -> PrivacyRequestRepository:
        """The guarded data-subject request repository."""
        return self._repository("privacy_requests")  # type: ignore[no-any-return]

    def __enter__(self) -> Self:
        """Start the wrapped unit (see :meth:`UnitOfWork.__enter__`)."""
        self.__guard.unit.__enter__()
        self.__guard.changes = {}
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        """End the wrapped unit, rolling back anything not committed."""
        self.__guard.changes = {}
        self.__guard.unit.__exit__(exc_type, exc, traceback)

    def commit(self) -> None:
        """Commit the wrapped unit, then report the changes to the audit sink."""
        guard = self.__guard
        try:
            guard.unit.commit()
        except BaseException:
            guard.changes = {}
            raise
        guard.committed()

    def authorize(self, action: AccessAction | str, record: object) -> AccessDecision:
        """The policy's decision for ``action`` on ``record``; raises when it refuses.

        What services call before an action no repository method stands
        for: :func:`crmcore.privacy.export_subject` asks for ``export`` and
        :func:`crmcore.privacy.erase_subject` for ``erase`` on the customer.
        A refusal is reported to the audit sink like any other.

        Raises:
            ValidationError: ``action`` is not an access action.
            InvalidType: ``record`` is not a crmcore record.
            AccessDenied: the policy refuses it.
        """
        checked = enum_converter(AccessAction, "$.action")(action)
        if not isinstance(record, KernelAggregate):
            raise InvalidType(f"must be a crmcore record, not {type_name(record)}", path="$.record")
        decision = self.__guard.decide(checked, record)
        if not decision.allowed:
            raise self.__guard.deny(checked, record, decision.rule)
        return decision

    def _service_unit(self, action: AccessAction | str, record: object) -> Any:
        """The unit a privacy service works on, once ``action`` on ``record`` is authorized.

        :func:`crmcore.privacy.export_subject` and
        :func:`crmcore.privacy.erase_subject` must see every record about the
        subject, unmasked (an export is the subject's own data; an erasure
        must reach masked and out-of-scope fields too), so a principal
        allowed to export or erase that customer gets them whole. The
        service's saves go to the audit trail like any other. Not for
        application code.

        Raises:
            AccessDenied: the policy refuses ``action`` on ``record`` (recorded).
        """
        self.authorize(action, record)
        return ServiceUnit(self, self.__guard.unit, self.__guard.track)

    def rollback(self) -> None:
        """Roll the wrapped unit back; nothing is reported."""
        self.__guard.changes = {}
        self.__guard.unit.rollback()

    def _event_visible(self, event: DomainEvent, kinds: dict[str, Any]) -> bool:
        """Whether the principal may read the record that recorded ``event``.

        A record no longer stored (removed) is visible to a role reading its
        kind at scope ``all`` only.
        """
        guard = self.__guard
        found = kinds.get(event.aggregate_kind)
        if found is None:
            return False
        inner = found._inner()  # noqa: SLF001 - a repository of this unit
        record_id = found._id_of(event.aggregate_id)  # noqa: SLF001
        if record_id in inner:
            return guard.decide(AccessAction.READ, inner.get(record_id)).allowed
        return any(
            guard.policy.scope_of(role, event.aggregate_kind, AccessAction.READ) is Scope.ALL
            for role in guard.principal.roles
        )

    def _visible(self, events: list[DomainEvent]) -> list[DomainEvent]:
        kinds = {r._kind(): r for r in self.__repositories.values()}  # noqa: SLF001 - this unit's
        try:
            return [event for event in events if self._event_visible(event, kinds)]
        except UnitOfWorkError:  # outside the block: read the records in a block of its own
            with self.__guard.unit:
                return [event for event in events if self._event_visible(event, kinds)]

    def collect_events(self, *, limit: int | None = None) -> list[DomainEvent]:
        """The pending events of records the principal may read, oldest first (see the port).

        Events carry ids and codes only, but which records exist is not for
        everyone: events of records the policy hides are left out, and
        ``limit`` counts the events handed out.
        """
        inner = self.__guard.unit
        if limit is not None:
            inner.collect_events(limit=limit)  # the wrapped unit checks the argument
        visible = self._visible(inner.collect_events())
        return visible if limit is None else visible[:limit]

    def acknowledge(self, events: Iterable[DomainEvent | str]) -> int:
        """Acknowledge events the principal may see (see :meth:`collect_events`); others stay.

        Returns:
            How many events left the outbox.
        """
        inner = self.__guard.unit
        given: object = events
        if isinstance(given, (str, bytes)) or not isinstance(given, Iterable):
            return inner.acknowledge(events)  # the wrapped unit refuses it
        items = list(given)
        if not all(isinstance(item, (DomainEvent, str)) for item in items):
            return inner.acknowledge(items)  # the wrapped unit refuses it
        visible = {event.event_id for event in self.collect_events()}
        mine: list[DomainEvent | str] = [
            item
            for item in items
            if (item.event_id if isinstance(item, DomainEvent) else item) in visible
        ]
        return inner.acknowledge(mine)
