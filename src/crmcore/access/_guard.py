"""The guard of a :class:`~crmcore.access.GuardedUnitOfWork` and its guarded repositories.

Each repository of a guarded unit wraps the unit's own repository of the same
name: reads pass through :meth:`_Guard.decide` and come back masked, writes are
checked before they reach the wrapped unit.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from datetime import datetime
from typing import Any, ClassVar, Generic, Protocol, TypeVar

import attrs

from crmcore._kernel._events import DomainEvent
from crmcore._kernel._ids import CampaignId, CustomerId, Identifier, LeadId, ProductId, StaffId
from crmcore._kernel._personal import PersonalDataErasedEvent, personal_value
from crmcore._kernel._refs import RecordRef
from crmcore.access._decisions import AccessDecision, _decide, customer_id_of
from crmcore.access._errors import AccessDenied
from crmcore.access._policy import AccessAction, AccessPolicy
from crmcore.access._principal import Principal
from crmcore.activities import Activity, ActivityStatus, ReminderDue
from crmcore.audit import DeniedAttempt, RecordChange
from crmcore.catalog import PriceBook, Product, ProductStatus
from crmcore.commerce import (
    FulfilmentStatus,
    Order,
    OrderId,
    OrderStatus,
    PaymentStatus,
    PlanId,
    Subscription,
    SubscriptionStatus,
)
from crmcore.customers import Customer
from crmcore.errors import NotFound
from crmcore.feedback import Review, SurveyKind, SurveyResponse
from crmcore.interactions import Interaction
from crmcore.loyalty import LoyaltyAccount, ProgramId
from crmcore.marketing import Campaign, CampaignMember, CampaignStatus, MemberStatus
from crmcore.notes import Note
from crmcore.parties import Relationship, RelationshipKind
from crmcore.privacy import DataSubjectRequest, RequestStatus
from crmcore.quotes import Quote, QuoteStatus
from crmcore.repository import (
    ActivityRepository,
    Aggregate,
    CampaignMemberRepository,
    CampaignRepository,
    CaseRepository,
    CustomerRepository,
    InteractionRepository,
    LeadRepository,
    LoyaltyAccountRepository,
    NoteRepository,
    OpportunityRepository,
    OrderRepository,
    PriceBookRepository,
    PrivacyRequestRepository,
    ProductRepository,
    QuoteRepository,
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

    def with_payment_status(self, status: PaymentStatus | str) -> list[Order]:
        """The readable orders with this payment status."""
        return self._readable(self._inner().with_payment_status(status))

    def with_fulfilment_status(self, status: FulfilmentStatus | str) -> list[Order]:
        """The readable orders with this fulfilment status."""
        return self._readable(self._inner().with_fulfilment_status(status))


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


class _Products(_GuardedRepository[Product], ProductRepository):
    __slots__ = ()
    _name, _cls = "products", Product

    def by_sku(self, sku: str) -> Product | None:
        """The product with this SKU if readable (a product that is not raises AccessDenied)."""
        found = self._inner().by_sku(sku)
        if found is None:
            return None
        return self._shown(found, self._require(AccessAction.READ, found))  # type: ignore[no-any-return]

    def in_family(self, family: str | None) -> list[Product]:
        """The readable products of a family."""
        return self._readable(self._inner().in_family(family))

    def with_status(self, status: ProductStatus | str) -> list[Product]:
        """The readable products with this status."""
        return self._readable(self._inner().with_status(status))

    def active(self) -> list[Product]:
        """The readable active products."""
        return self._readable(self._inner().active())


class _PriceBooks(_GuardedRepository[PriceBook], PriceBookRepository):
    __slots__ = ()
    _name, _cls = "price_books", PriceBook

    def for_currency(self, currency: str) -> list[PriceBook]:
        """The readable books in a currency."""
        return self._readable(self._inner().for_currency(currency))

    def active(self) -> list[PriceBook]:
        """The readable active books."""
        return self._readable(self._inner().active())

    def listing(self, product_id: ProductId) -> list[PriceBook]:
        """The readable books listing a product."""
        return self._readable(self._inner().listing(product_id))


class _Quotes(_GuardedRepository[Quote], QuoteRepository):
    __slots__ = ()
    _name, _cls = "quotes", Quote

    def for_customer(self, customer_id: CustomerId) -> list[Quote]:
        """The readable quotes of one customer."""
        return self._readable(self._inner().for_customer(customer_id))

    def for_opportunity(self, opportunity_id: OpportunityId) -> list[Quote]:
        """The readable quotes of one opportunity."""
        return self._readable(self._inner().for_opportunity(opportunity_id))

    def for_product(self, product_id: ProductId) -> list[Quote]:
        """The readable quotes with a line of a product."""
        return self._readable(self._inner().for_product(product_id))

    def with_status(self, status: QuoteStatus | str) -> list[Quote]:
        """The readable quotes with this status."""
        return self._readable(self._inner().with_status(status))

    def expiring_before(self, at: datetime) -> list[Quote]:
        """The readable sent quotes whose validity ends before a time."""
        return self._readable(self._inner().expiring_before(at))


class _Campaigns(_GuardedRepository[Campaign], CampaignRepository):
    __slots__ = ()
    _name, _cls = "campaigns", Campaign

    def with_status(self, status: CampaignStatus | str) -> list[Campaign]:
        """The readable campaigns with this status."""
        return self._readable(self._inner().with_status(status))

    def children_of(self, parent_id: CampaignId) -> list[Campaign]:
        """The readable campaigns under a parent campaign."""
        return self._readable(self._inner().children_of(parent_id))


class _CampaignMembers(_GuardedRepository[CampaignMember], CampaignMemberRepository):
    __slots__ = ()
    _name, _cls = "campaign_members", CampaignMember

    def for_campaign(self, campaign_id: CampaignId) -> list[CampaignMember]:
        """The readable members of a campaign."""
        return self._readable(self._inner().for_campaign(campaign_id))

    def for_customer(self, customer_id: CustomerId) -> list[CampaignMember]:
        """The readable campaign memberships of a customer."""
        return self._readable(self._inner().for_customer(customer_id))

    def for_lead(self, lead_id: LeadId) -> list[CampaignMember]:
        """The readable campaign memberships of a lead."""
        return self._readable(self._inner().for_lead(lead_id))

    def with_status(self, status: MemberStatus | str) -> list[CampaignMember]:
        """The readable members with this status."""
        return self._readable(self._inner().with_status(status))
