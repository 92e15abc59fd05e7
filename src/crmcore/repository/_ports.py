"""The persistence ports: what application code depends on, and adapters implement.

A :class:`Repository` is a collection of one aggregate type seen through a
:class:`UnitOfWork`; the unit of work is the transaction boundary. Application
code is written against these interfaces only, so the same code runs on the
in-memory default and on a real database.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Iterable, Iterator
from datetime import datetime
from types import TracebackType
from typing import TYPE_CHECKING, Generic, Protocol, Self, TypeVar

from crmcore._kernel._checks import type_name
from crmcore._kernel._events import DomainEvent
from crmcore._kernel._ids import Identifier, StaffId
from crmcore._kernel._refs import RecordRef
from crmcore.activities import Activity, ActivityStatus, ReminderDue
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
from crmcore.customers import Channel, Customer, CustomerId, normalize_email, normalize_phone
from crmcore.errors import InvalidType
from crmcore.feedback import Review, SurveyKind, SurveyResponse
from crmcore.interactions import Interaction
from crmcore.loyalty import LoyaltyAccount, ProgramId
from crmcore.notes import Note
from crmcore.parties import Relationship, RelationshipKind
from crmcore.privacy import DataSubjectRequest, RequestStatus
from crmcore.sales import Lead, LeadSource, LeadStatus, Opportunity, OpportunityId
from crmcore.service import Case, CaseId, CaseStatus
from crmcore.teams import StaffMember, Team

if TYPE_CHECKING:  # the selling ports build on Repository, defined below
    from crmcore.repository._catalog_ports import PriceBookRepository, ProductRepository
    from crmcore.repository._marketing_ports import CampaignMemberRepository, CampaignRepository
    from crmcore.repository._quotes_ports import QuoteRepository


class Aggregate(Protocol):
    """What a repository needs from an aggregate: an id, a version, pending events.

    Every crmcore aggregate (``Customer``, and those later capabilities add) is
    an immutable attrs class with these three fields.
    """

    @property
    def id(self) -> Identifier:
        """The aggregate's identity; never changes."""
        ...

    @property
    def version(self) -> int:
        """The version the aggregate was loaded at (0 for a new one)."""
        ...

    @property
    def pending_events(self) -> tuple[DomainEvent, ...]:
        """Events recorded since the aggregate was loaded, oldest first."""
        ...


A = TypeVar("A", bound=Aggregate)

_PHONE_CHANNELS = frozenset({Channel.PHONE, Channel.SMS, Channel.WHATSAPP})


class Repository(ABC, Generic[A]):
    """A collection of one aggregate type, used inside a unit of work.

    Every method raises :class:`~crmcore.errors.UnitOfWorkError` when called
    outside the unit's ``with`` block, and
    :class:`~crmcore.errors.InvalidType` for an aggregate or id of the wrong
    type. Changes become visible to other units only when the unit commits.

    Versions: ``add`` stores the aggregate at the version it carries (0 for a
    newly registered one); ``save`` stores it only if the stored version
    equals the aggregate's, and the stored copy gets version + 1. What is
    stored never carries pending events: those go to the unit of work, which
    hands them out after commit.

    .. versionadded:: 0.1
    """

    @abstractmethod
    def add(self, aggregate: A) -> A:
        """Store a new aggregate at the version it carries.

        Returns:
            The stored copy: the same aggregate without pending events.

        Raises:
            DuplicateId: an aggregate with this id is already stored.
            DuplicateKey: a natural key of the aggregate belongs to another one.
        """

    @abstractmethod
    def get(self, aggregate_id: Identifier) -> A:
        """The stored aggregate with this id.

        Raises:
            NotFound: no aggregate has this id (also a :class:`KeyError`).
        """

    @abstractmethod
    def save(self, aggregate: A) -> A:
        """Store a changed aggregate if nobody stored another version meanwhile.

        Returns:
            The stored copy: version + 1, no pending events. Continue from it.

        Raises:
            NotFound: no aggregate with this id is stored (use :meth:`add`).
            ConcurrencyConflict: the stored version differs from the aggregate's;
                reload, apply the change again and retry.
            DuplicateKey: a natural key of the aggregate belongs to another one.
        """

    @abstractmethod
    def remove(self, aggregate_id: Identifier) -> None:
        """Delete the aggregate with this id.

        Raises:
            NotFound: no aggregate has this id.
        """

    @abstractmethod
    def __iter__(self) -> Iterator[A]:
        """Every stored aggregate, in ascending id order."""

    @abstractmethod
    def count(self) -> int:
        """How many aggregates are stored."""

    @abstractmethod
    def __contains__(self, aggregate_id: object) -> bool:
        """Whether an aggregate with this id is stored."""


class CustomerRepository(Repository[Customer]):
    """The customers, with lookups by email address and phone number.

    By default email addresses and phone numbers (on the phone, SMS and
    WhatsApp channels together) are natural keys: each belongs to at most
    one customer, so a lookup is never ambiguous, and adding or saving a
    customer whose address or number another customer holds raises
    :class:`~crmcore.repository.DuplicateKey`. One customer may hold the same
    number on several phone channels. A store may instead let customers
    share an address or a number (a household's family address, see
    :class:`~crmcore.repository.UniquenessPolicy`): ``find_by_email`` and
    ``find_by_phone`` then return every holder, and ``get_by_email`` and
    ``get_by_phone`` raise :class:`~crmcore.repository.AmbiguousKey` when
    several hold the value.

    .. versionadded:: 0.1
    """

    @abstractmethod
    def get_by_email(self, address: str) -> Customer:
        """The customer holding this email address (normalized before the lookup).

        Raises:
            ValidationError: ``address`` is not an email address.
            NotFound: no customer holds it; the message never repeats the address.
            AmbiguousKey: the store lets customers share addresses and
                several hold this one (use :meth:`find_by_email`).
        """

    @abstractmethod
    def get_by_phone(self, number: str, *, default_country_code: str | None = None) -> Customer:
        """The customer holding this phone number (normalized to E.164 before the lookup).

        Args:
            number: the number, international (``+62 812 ...``) or national
                (``0812 ...``) when ``default_country_code`` is given.
            default_country_code: the calling code national input belongs to.

        Raises:
            ValidationError: ``number`` is not a phone number.
            NotFound: no customer holds it; the message never repeats the number.
            AmbiguousKey: the store lets customers share numbers and
                several hold this one (use :meth:`find_by_phone`).
        """

    def find_by_email(self, address: str) -> list[Customer]:
        """Every customer holding this email address, in ascending id order (maybe none).

        Works under either uniqueness policy. This default reads every
        customer; adapters answer from an index.

        Raises:
            ValidationError: ``address`` is not an email address.
        """
        value = normalize_email(address, "$.address")
        return [
            c
            for c in self
            if any(p.channel is Channel.EMAIL and p.value == value for p in c.contact_points)
        ]

    def find_by_phone(
        self, number: str, *, default_country_code: str | None = None
    ) -> list[Customer]:
        """Every customer holding this phone number, in ascending id order (maybe none).

        Works under either uniqueness policy. This default reads every
        customer; adapters answer from an index.

        Raises:
            ValidationError: ``number`` is not a phone number.
        """
        value = normalize_phone(number, "$.number", default_country_code=default_country_code)
        return [
            c
            for c in self
            if any(p.channel in _PHONE_CHANNELS and p.value == value for p in c.contact_points)
        ]

    def absorbed_into(self, customer_id: CustomerId) -> list[Customer]:
        """The customers merged into this one (their tombstones), in ascending id order.

        Only direct merges: a customer absorbed into one that was absorbed in
        turn is found from the one it names. An erasure reaches these too,
        since a tombstone keeps the profile it had. This default reads every
        customer; adapters answer from an index.

        Raises:
            InvalidType: ``customer_id`` is not a :class:`~crmcore.CustomerId`.
        """
        if type(customer_id) is not CustomerId:
            raise InvalidType(
                f"must be a CustomerId, not {type_name(customer_id)}", path="$.customer_id"
            )
        return [c for c in self if c.merged_into == customer_id]


class OrderRepository(Repository[Order]):
    """The orders, with lookups by customer and by lifecycle, payment and fulfilment status.

    Lookups return every matching order the unit sees (its own changes
    included), in ascending id order; an empty list when none matches.

    .. versionadded:: 0.1
    """

    @abstractmethod
    def for_customer(self, customer_id: CustomerId) -> list[Order]:
        """The orders of one customer.

        Raises:
            InvalidType: ``customer_id`` is not a :class:`~crmcore.CustomerId`.
        """

    @abstractmethod
    def with_status(self, status: OrderStatus | str) -> list[Order]:
        """The orders with this lifecycle status (``"open"``, ``"closed"``, ``"cancelled"``).

        Raises:
            ValidationError: ``status`` is not an order status.
        """

    @abstractmethod
    def with_payment_status(self, status: PaymentStatus | str) -> list[Order]:
        """The orders with this payment status (``"unpaid"``, ``"paid"``, ...).

        Raises:
            ValidationError: ``status`` is not a payment status (``$.payment_status``).
        """

    @abstractmethod
    def with_fulfilment_status(self, status: FulfilmentStatus | str) -> list[Order]:
        """The orders with this fulfilment status (``"unfulfilled"``, ``"delivered"``, ...).

        Raises:
            ValidationError: ``status`` is not a fulfilment status (``$.fulfilment_status``).
        """


class SubscriptionRepository(Repository[Subscription]):
    """The subscriptions, with lookups by customer, plan and stored status.

    The status is the one stored: call ``refresh(at=...)`` on a subscription
    (and save it) to apply what time changed. Lookups return matches in
    ascending id order.

    .. versionadded:: 0.1
    """

    @abstractmethod
    def for_customer(self, customer_id: CustomerId) -> list[Subscription]:
        """The subscriptions of one customer."""

    @abstractmethod
    def for_plan(self, plan_id: PlanId) -> list[Subscription]:
        """The subscriptions to one plan."""

    @abstractmethod
    def with_status(self, status: SubscriptionStatus | str) -> list[Subscription]:
        """The subscriptions with this stored status (``"past_due"``, ...)."""


class InteractionRepository(Repository[Interaction]):
    """The interactions (touchpoints), with lookups by customer, case and opportunity.

    Lookups return matches in ascending id order; order them by
    ``occurred_at`` (or build a :func:`~crmcore.interactions.timeline`) for display.

    .. versionadded:: 0.1
    """

    @abstractmethod
    def for_customer(self, customer_id: CustomerId) -> list[Interaction]:
        """The interactions with one customer."""

    @abstractmethod
    def for_case(self, case_id: CaseId) -> list[Interaction]:
        """The interactions linked to one service case."""

    @abstractmethod
    def for_opportunity(self, opportunity_id: OpportunityId) -> list[Interaction]:
        """The interactions linked to one sales opportunity."""


class CaseRepository(Repository[Case]):
    """The service cases, with lookups by customer, order, assignee and status.

    ``with_status("new")`` and ``assigned_to(agent)`` are a support team's
    queues. Lookups return matches in ascending id order.

    .. versionadded:: 0.1
    """

    @abstractmethod
    def for_customer(self, customer_id: CustomerId) -> list[Case]:
        """The cases of one customer."""

    @abstractmethod
    def for_order(self, order_id: OrderId) -> list[Case]:
        """The cases about one order."""

    @abstractmethod
    def assigned_to(self, staff_id: StaffId) -> list[Case]:
        """The cases assigned to one member of staff."""

    @abstractmethod
    def with_status(self, status: CaseStatus | str) -> list[Case]:
        """The cases with this status (``"pending_customer"``, ...)."""


class ReviewRepository(Repository[Review]):
    """The public reviews, with lookups by customer and by platform.

    Lookups return matches in ascending id order.

    .. versionadded:: 0.1
    """

    @abstractmethod
    def for_customer(self, customer_id: CustomerId) -> list[Review]:
        """The reviews known to be written by one customer."""

    @abstractmethod
    def on_platform(self, platform: str) -> list[Review]:
        """The reviews on one platform (the name is normalized as a review stores it).

        Raises:
            ValidationError: ``platform`` is not a platform name.
        """


class SurveyRepository(Repository[SurveyResponse]):
    """The survey responses of every kind (CSAT, NPS and CES) under one id space.

    ``add`` and ``save`` take a :class:`~crmcore.feedback.CsatResponse`,
    :class:`~crmcore.feedback.NpsResponse` or :class:`~crmcore.feedback.CesResponse`,
    and ``get`` returns the class that was stored. Lookups return matches in
    ascending id order.

    .. versionadded:: 0.1
    """

    @abstractmethod
    def for_customer(self, customer_id: CustomerId) -> list[SurveyResponse]:
        """The answers of one customer."""

    @abstractmethod
    def for_case(self, case_id: CaseId) -> list[SurveyResponse]:
        """The answers about one service case."""

    @abstractmethod
    def for_order(self, order_id: OrderId) -> list[SurveyResponse]:
        """The answers about one order."""

    @abstractmethod
    def of_survey(self, survey: SurveyKind | str) -> list[SurveyResponse]:
        """The answers to one survey: ``"csat"``, ``"nps"`` or ``"ces"``."""


class LoyaltyAccountRepository(Repository[LoyaltyAccount]):
    """The loyalty accounts, with lookups by member, program and tier.

    A customer holds at most one account per program: the pair is a natural
    key, so adding or saving a second account of the same customer in the
    same program raises :class:`~crmcore.repository.DuplicateKey`. Lookups
    return matches in ascending id order.

    .. versionadded:: 0.1
    """

    @abstractmethod
    def get_by_membership(self, customer_id: CustomerId, program_id: ProgramId) -> LoyaltyAccount:
        """The account of one customer in one program.

        Raises:
            InvalidType: an argument is not an id of its class.
            NotFound: the customer is not a member of the program.
        """

    @abstractmethod
    def for_customer(self, customer_id: CustomerId) -> list[LoyaltyAccount]:
        """The accounts of one customer, one per program they joined."""

    @abstractmethod
    def for_program(self, program_id: ProgramId) -> list[LoyaltyAccount]:
        """The members of one program."""

    @abstractmethod
    def in_tier(self, tier: str) -> list[LoyaltyAccount]:
        """The accounts whose stored current tier has this code (``"gold"``, ...).

        The tier is the one stored: evaluate it (``evaluate_tier``) and save
        the account to apply what time changed.

        Raises:
            ValidationError: ``tier`` is not a snake_case tier code.
        """


class LeadRepository(Repository[Lead]):
    """The sales leads, with lookups by status, source, owner and converted customer.

    ``with_status("new")`` and ``assigned_to(rep)`` are a sales team's
    queues. Lookups return matches in ascending id order.

    .. versionadded:: 0.1
    """

    @abstractmethod
    def for_customer(self, customer_id: CustomerId) -> list[Lead]:
        """The leads converted into one customer."""

    @abstractmethod
    def with_status(self, status: LeadStatus | str) -> list[Lead]:
        """The leads with this status (``"qualified"``, ...).

        Raises:
            ValidationError: ``status`` is not a lead status.
        """

    @abstractmethod
    def from_source(self, source: LeadSource | str) -> list[Lead]:
        """The leads from one source (``"referral"``, ...).

        Raises:
            ValidationError: ``source`` is not a lead source.
        """

    @abstractmethod
    def assigned_to(self, staff_id: StaffId) -> list[Lead]:
        """The leads assigned to one member of staff."""


class OpportunityRepository(Repository[Opportunity]):
    """The sales opportunities, with lookups by customer, stage and owner.

    Lookups return matches in ascending id order.

    .. versionadded:: 0.1
    """

    @abstractmethod
    def for_customer(self, customer_id: CustomerId) -> list[Opportunity]:
        """The opportunities of one customer."""

    @abstractmethod
    def in_stage(self, stage: str) -> list[Opportunity]:
        """The opportunities standing in the stage with this code (``"proposal"``, ...).

        Raises:
            ValidationError: ``stage`` is not a snake_case stage code.
        """

    @abstractmethod
    def owned_by(self, staff_id: StaffId) -> list[Opportunity]:
        """The opportunities one member of staff owns."""


class RelationshipRepository(Repository[Relationship]):
    """The relationships between parties, with lookups by party and by kind.

    Both parties of a relationship are references to customers, checked at
    commit like an order's ``customer_id``. Before ``add`` or ``save``
    stores a relationship, the repository admits it into the graph of the
    relationships the unit sees for its parties
    (:meth:`~crmcore.parties.RelationshipGraph.admit`): a relationship that
    would overlap the same relationship in time, be a second primary or a
    second parent at an overlapping time, or close a cycle in an account
    hierarchy raises :class:`~crmcore.parties.RelationshipConflict` and
    nothing is stored. To move the primary flag, clear the old primary
    before setting the new one in the same unit. Lookups return matches in
    ascending id order.

    .. versionadded:: 0.1
    """

    @abstractmethod
    def for_party(self, party_id: CustomerId) -> list[Relationship]:
        """The relationships of one party, on either side (``party_id`` or ``related_id``)."""

    @abstractmethod
    def for_customer(self, customer_id: CustomerId) -> list[Relationship]:
        """The relationships naming one customer, on either side (the same as :meth:`for_party`)."""

    @abstractmethod
    def of_kind(self, kind: RelationshipKind | str) -> list[Relationship]:
        """The relationships of one kind (``"contact_of"``, ``"parent_of"``, ...).

        Raises:
            ValidationError: ``kind`` is not a relationship kind.
        """


class StaffRepository(Repository[StaffMember]):
    """The staff members, with lookups by role and activity.

    Lookups return matches in ascending id order.

    .. versionadded:: 0.1
    """

    @abstractmethod
    def with_role(self, role: str) -> list[StaffMember]:
        """The staff members holding ``role`` (normalized as staff members keep roles).

        Raises:
            ValidationError: ``role`` is not a snake_case role name.
        """

    @abstractmethod
    def active(self) -> list[StaffMember]:
        """The active staff members (those assignment may pick)."""


class TeamRepository(Repository[Team]):
    """The teams, with lookups by member and by manager.

    A team's manager is a reference to a staff member, checked at commit;
    its members are not (a team may list people not yet registered).
    Lookups return matches in ascending id order.

    .. versionadded:: 0.1
    """

    @abstractmethod
    def with_member(self, staff_id: StaffId) -> list[Team]:
        """The teams a staff member belongs to."""

    @abstractmethod
    def managed_by(self, staff_id: StaffId) -> list[Team]:
        """The teams a staff member manages."""


class ActivityRepository(Repository[Activity]):
    """The activities (tasks, calls, meetings, emails, deadlines), with lookups by time and link.

    The time lookups consider planned activities only and return them by due
    time (then id); the other lookups return matches in ascending id order.

    .. versionadded:: 0.1
    """

    @abstractmethod
    def due_between(self, start: datetime, end: datetime) -> list[Activity]:
        """The planned activities with an occurrence due at or after ``start`` and before ``end``.

        A recurring activity is found when any of its remaining occurrences
        falls in the window.

        Raises:
            ValidationError: a time is naive, or ``end`` is before ``start`` (``$.end``).
        """

    @abstractmethod
    def overdue_at(self, at: datetime) -> list[Activity]:
        """The planned activities whose due time is before ``at``.

        Raises:
            ValidationError: ``at`` is naive (``$.at``).
        """

    @abstractmethod
    def reminders_between(
        self, start: datetime, end: datetime
    ) -> list[tuple[Activity, ReminderDue]]:
        """The reminders of planned activities falling due at or after ``start`` and before ``end``.

        Each with its activity, earliest first (then by activity id): what a
        scheduler polling every minute asks for the minute that passed.

        Raises:
            ValidationError: a time is naive, or ``end`` is before ``start`` (``$.end``).
        """

    @abstractmethod
    def owned_by(self, staff_id: StaffId) -> list[Activity]:
        """The activities one member of staff owns."""

    @abstractmethod
    def linked_to(self, record: RecordRef) -> list[Activity]:
        """The activities linked to one record (a customer, lead, case, order, ...)."""

    @abstractmethod
    def with_participant(self, participant: StaffId | CustomerId) -> list[Activity]:
        """The activities a staff member or a contact (a customer id) takes part in."""

    @abstractmethod
    def for_customer(self, customer_id: CustomerId) -> list[Activity]:
        """The activities naming one customer: linked to it (as a customer or an account) or with it as a contact.

        Raises:
            InvalidType: ``customer_id`` is not a :class:`~crmcore.CustomerId`.
        """

    @abstractmethod
    def with_status(self, status: ActivityStatus | str) -> list[Activity]:
        """The activities with this status (``planned``, ``done``, ``cancelled``).

        Raises:
            ValidationError: ``status`` is not an activity status.
        """


class NoteRepository(Repository[Note]):
    """The notes on records, with lookups by record and by author.

    Lookups return matches in ascending id order; order them for display with
    :func:`crmcore.notes.arrange_notes` (pinned first, newest first).

    .. versionadded:: 0.1
    """

    @abstractmethod
    def linked_to(self, record: RecordRef) -> list[Note]:
        """The notes on one record."""

    @abstractmethod
    def pinned_on(self, record: RecordRef) -> list[Note]:
        """The pinned notes on one record."""

    @abstractmethod
    def by_author(self, staff_id: StaffId) -> list[Note]:
        """The notes one member of staff wrote."""

    @abstractmethod
    def for_customer(self, customer_id: CustomerId) -> list[Note]:
        """The notes on one customer, linked to it as a customer or as an account.

        Raises:
            InvalidType: ``customer_id`` is not a :class:`~crmcore.CustomerId`.
        """


class PrivacyRequestRepository(Repository[DataSubjectRequest]):
    """The data-subject requests (access, erasure, ...), with lookups by subject, status and deadline.

    ``open_due_before(at)`` is a data-protection officer's queue of requests
    about to miss, or past, their statutory deadline. The other lookups
    return matches in ascending id order.

    .. versionadded:: 0.1
    """

    @abstractmethod
    def for_customer(self, customer_id: CustomerId) -> list[DataSubjectRequest]:
        """The requests of one subject.

        Raises:
            InvalidType: ``customer_id`` is not a :class:`~crmcore.CustomerId`.
        """

    @abstractmethod
    def with_status(self, status: RequestStatus | str) -> list[DataSubjectRequest]:
        """The requests with this status (``"received"``, ``"identity_verified"``, ...).

        Raises:
            ValidationError: ``status`` is not a request status.
        """

    @abstractmethod
    def open_due_before(self, at: datetime) -> list[DataSubjectRequest]:
        """The open requests (received or identity verified) whose deadline is before ``at``.

        Earliest deadline first, then by id. A deadline moves when a request
        is extended: the lookup reads the deadline the request has now.

        Raises:
            ValidationError: ``at`` is naive (``$.at``).
        """


class UnitOfWork(ABC):
    """One transaction over every repository: a context manager with :meth:`commit`.

    ``with uow:`` starts a unit on a consistent snapshot of the stored data.
    Changes made through its repositories are seen by the unit itself and by
    nobody else until :meth:`commit`, which applies all of them or none, even
    when an exception (a ``KeyboardInterrupt``) interrupts it midway.
    Leaving the block without committing, or by an exception, rolls back.

    References between aggregates are checked at commit: an order (a
    subscription, case, interaction, survey answer, review, loyalty account,
    opportunity or relationship) naming a customer that neither the store
    nor the unit holds is refused, and so is removing a customer that another
    aggregate still names (:class:`~crmcore.errors.UnknownReference`); the
    same holds for a team's manager, a staff member. An
    adapter may let an application turn the checks off per unit, for imports.

    Domain events of the aggregates added and saved in committed units wait
    in the store's outbox. Delivery is *at least once*: :meth:`collect_events`
    hands out the events not acknowledged yet, oldest first, without removing
    them, and :meth:`acknowledge` removes the ones the caller has handled.
    An event handed out and never acknowledged (the process crashed while
    handling it) is handed out again; consumers deduplicate by its stable
    ``event_id``.

    A unit of work object belongs to one thread at a time; concurrent work
    uses one unit per thread over a shared store.

    .. versionadded:: 0.1
    """

    @property
    @abstractmethod
    def customers(self) -> CustomerRepository:
        """The customer repository of this unit."""

    @property
    @abstractmethod
    def orders(self) -> OrderRepository:
        """The order repository of this unit."""

    @property
    @abstractmethod
    def subscriptions(self) -> SubscriptionRepository:
        """The subscription repository of this unit."""

    @property
    @abstractmethod
    def interactions(self) -> InteractionRepository:
        """The interaction repository of this unit."""

    @property
    @abstractmethod
    def cases(self) -> CaseRepository:
        """The service case repository of this unit."""

    @property
    @abstractmethod
    def reviews(self) -> ReviewRepository:
        """The review repository of this unit."""

    @property
    @abstractmethod
    def surveys(self) -> SurveyRepository:
        """The survey response repository of this unit (CSAT, NPS and CES)."""

    @property
    @abstractmethod
    def loyalty_accounts(self) -> LoyaltyAccountRepository:
        """The loyalty account repository of this unit."""

    @property
    @abstractmethod
    def leads(self) -> LeadRepository:
        """The sales lead repository of this unit."""

    @property
    @abstractmethod
    def opportunities(self) -> OpportunityRepository:
        """The sales opportunity repository of this unit."""

    @property
    @abstractmethod
    def relationships(self) -> RelationshipRepository:
        """The relationship repository of this unit (contacts, households, hierarchies)."""

    @property
    @abstractmethod
    def staff(self) -> StaffRepository:
        """The staff member repository of this unit."""

    @property
    @abstractmethod
    def teams(self) -> TeamRepository:
        """The team repository of this unit."""

    @property
    @abstractmethod
    def activities(self) -> ActivityRepository:
        """The activity repository of this unit (tasks, calls, meetings, emails, deadlines)."""

    @property
    @abstractmethod
    def notes(self) -> NoteRepository:
        """The note repository of this unit (notes and attachment metadata on any record)."""

    @property
    @abstractmethod
    def privacy_requests(self) -> PrivacyRequestRepository:
        """The data-subject request repository of this unit (see :mod:`crmcore.privacy`)."""

    @property
    @abstractmethod
    def products(self) -> ProductRepository:
        """The product repository of this unit (see :mod:`crmcore.catalog`)."""

    @property
    @abstractmethod
    def price_books(self) -> PriceBookRepository:
        """The price book repository of this unit (see :mod:`crmcore.catalog`)."""

    @property
    @abstractmethod
    def quotes(self) -> QuoteRepository:
        """The quote repository of this unit (see :mod:`crmcore.quotes`)."""

    @property
    @abstractmethod
    def campaigns(self) -> CampaignRepository:
        """The campaign repository of this unit (see :mod:`crmcore.marketing`)."""

    @property
    @abstractmethod
    def campaign_members(self) -> CampaignMemberRepository:
        """The campaign member repository of this unit (see :mod:`crmcore.marketing`)."""

    @abstractmethod
    def __enter__(self) -> Self:
        """Start the unit on a fresh snapshot.

        Raises:
            UnitOfWorkError: the unit is already active (units do not nest).
        """

    @abstractmethod
    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        """End the unit, rolling back anything not committed. Exceptions propagate."""

    @abstractmethod
    def commit(self) -> None:
        """Apply every change made in the unit atomically, then start afresh.

        After ``commit`` the block may go on; later changes need another commit.

        Raises:
            UnitOfWorkError: called outside the ``with`` block.
            ConcurrencyConflict: another unit committed a change to an aggregate
                this unit changed; nothing of this unit is applied.
            DuplicateId: another unit added the same id first; nothing is applied.
            DuplicateKey: another unit took the same natural key first; nothing
                is applied.
            UnknownReference: an added or saved aggregate names an aggregate
                that is not stored (nor added by this unit), or the unit
                removes an aggregate another one still names; nothing is
                applied. Adapters may offer to turn this check off.
        """

    @abstractmethod
    def rollback(self) -> None:
        """Discard every uncommitted change of the unit and start afresh.

        Raises:
            UnitOfWorkError: called outside the ``with`` block.
        """

    @abstractmethod
    def collect_events(self, *, limit: int | None = None) -> list[DomainEvent]:
        """The events of committed units not acknowledged yet, oldest first.

        Events are in commit order, and within a commit in the order of the
        ``add`` and ``save`` calls; events of units that rolled back or failed
        to commit never appear. Collecting removes nothing: the same events
        are handed out again, to this or any unit of work over the same store,
        until :meth:`acknowledge` removes them. Several collectors over one
        store therefore each see every pending event. Callable inside or
        outside the block.

        Args:
            limit: hand out at most this many (the oldest), for batches;
                ``None`` hands out every pending event.

        Raises:
            InvalidType: ``limit`` is not an int or ``None``.
            ValidationError: ``limit`` is less than 1.
        """

    @abstractmethod
    def acknowledge(self, events: Iterable[DomainEvent | str]) -> int:
        """Remove handled events from the outbox, so they are never handed out again.

        Args:
            events: the events handled, or their ``event_id`` strings.
                Acknowledging an id that is unknown or acknowledged already
                does nothing, so retrying an acknowledgement is safe.

        Returns:
            How many events left the outbox.

        Raises:
            InvalidType: ``events`` is not an iterable of events or event ids.
        """
