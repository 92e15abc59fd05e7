"""The repository contract: the tests every unit-of-work adapter must pass.

crmcore ships its persistence contract as tests, so an adapter for your own
database proves it behaves like the in-memory default. Subclass
:class:`UnitOfWorkContract`, tell it how to make a unit of work, and pytest
runs every test of the contract against your adapter, including a Hypothesis
state machine that drives random sequences of add, get, save, remove, commit
and rollback (with concurrent units) against a reference model::

    from crmcore.repository import InMemoryStore, InMemoryUnitOfWork
    from crmcore.testing.contract import UnitOfWorkContract


    class TestMyAdapter(UnitOfWorkContract):
        def setup_method(self):
            self.store = InMemoryStore()  # fresh, empty storage for each test

        def make_unit_of_work(self):
            return InMemoryUnitOfWork(self.store)

Each test calls :meth:`~UnitOfWorkContract.make_unit_of_work` several times;
every unit made during one test must share the same storage, which starts
empty. A pytest fixture works as well as ``setup_method`` (for a database
file in ``tmp_path``, say).

Besides the customer tests, eight tests run once per repository named in
:data:`AGGREGATE_REPOSITORIES` (``orders``, ``subscriptions``,
``interactions``, ``cases``, ``reviews``, ``surveys``, ``loyalty_accounts``,
``leads``, ``opportunities``): adding and reading
back, versions and conflicts, removal and iteration, refused types, snapshot
isolation across repositories, concurrent commits, every secondary lookup
compared with a scan of what the unit sees, and generated aggregates
round-tripped through the store. The class's
``pytest_generate_tests`` method parametrizes them; a subclass defining its
own must call ``super().pytest_generate_tests(metafunc)``.

The state machine is also available on its own, for unittest or for tuning
its settings: :func:`repository_state_machine` returns a
:class:`~hypothesis.stateful.RuleBasedStateMachine` class bound to a factory
(its ``TestCase`` attribute is a unittest test case).

>>> from crmcore.repository import InMemoryStore, InMemoryUnitOfWork
>>> store = InMemoryStore()
>>> machine = repository_state_machine(lambda: InMemoryUnitOfWork(store))
>>> machine.__name__
'RepositoryStateMachine'

Requires Hypothesis (the ``testing`` extra); pytest is needed only to collect
the tests, not to import this module.

.. versionadded:: 0.1
"""

from __future__ import annotations

import threading
from abc import ABC, abstractmethod
from collections.abc import Callable
from datetime import UTC, datetime
from types import TracebackType
from typing import Any, ClassVar, Final, Generic, TypeVar

import attrs
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from hypothesis.stateful import (
    RuleBasedStateMachine,
    invariant,
    precondition,
    rule,
    run_state_machine_as_test,
)

from crmcore._kernel._events import DomainEvent
from crmcore._kernel._ids import Identifier, StaffId
from crmcore._kernel._money import Money
from crmcore.commerce import (
    Order,
    OrderId,
    OrderLine,
    OrderStatus,
    PaymentId,
    Period,
    Plan,
    PlanId,
    ProductId,
    Subscription,
    SubscriptionId,
    SubscriptionStatus,
)
from crmcore.customers import (
    AttributeSet,
    Channel,
    ContactPoint,
    Customer,
    CustomerId,
    CustomerRegistered,
    PersonName,
    TagAdded,
)
from crmcore.errors import (
    ConcurrencyConflict,
    DuplicateId,
    InvalidType,
    NotFound,
    RepositoryError,
    UnitOfWorkError,
    ValidationError,
)
from crmcore.feedback import (
    CesResponse,
    CsatResponse,
    FeedbackId,
    NpsResponse,
    Review,
    ReviewId,
    SurveyResponse,
)
from crmcore.interactions import Interaction, InteractionId
from crmcore.loyalty import LoyaltyAccount, LoyaltyAccountId, LoyaltyProgram, ProgramId, Tier
from crmcore.repository import DuplicateKey, UnitOfWork
from crmcore.sales import STANDARD_PIPELINE, Lead, LeadId, LeadStatus, Opportunity, OpportunityId
from crmcore.service import Case, CaseId, CaseStatus
from crmcore.testing.strategies import (
    cases,
    customers,
    interactions,
    leads,
    loyalty_accounts,
    opportunities,
    orders,
    reviews,
    subscriptions,
    survey_responses,
)

__all__ = [
    "AGGREGATE_REPOSITORIES",
    "RepositoryStateMachine",
    "UnitOfWorkContract",
    "repository_state_machine",
]

E = TypeVar("E", bound=BaseException)

#: When the contract's commands happen.
T0 = datetime(2026, 1, 5, 9, 0, tzinfo=UTC)
#: Small pools of natural key values, so that collisions happen often.
EMAILS = ("ana@example.com", "budi@example.com", "citra@example.com", "dewi@example.com")
PHONES = ("+6281200000001", "+6281200000002", "+6281200000003")
_PHONE_CHANNELS = frozenset({Channel.PHONE, Channel.SMS, Channel.WHATSAPP})


# -- small helpers (the contract runs without pytest's assertion rewriting) ----------------


def _equal(expected: object, actual: object, what: str = "value") -> None:
    if expected != actual:
        raise AssertionError(f"{what}: expected {expected!r}, got {actual!r}")


def _true(condition: bool, what: str) -> None:
    if not condition:
        raise AssertionError(what)


class _raises(Generic[E]):  # noqa: N801 - used like pytest.raises.
    """Expect the block to raise ``expected``; the exception is kept as ``value``."""

    def __init__(self, expected: type[E]) -> None:
        self._expected = expected
        self._value: E | None = None

    @property
    def value(self) -> E:
        if self._value is None:
            raise AssertionError(f"{self._expected.__name__} was not raised")
        return self._value

    def __enter__(self) -> _raises[E]:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> bool:
        if exc is None:
            raise AssertionError(f"expected {self._expected.__name__} to be raised")
        if isinstance(exc, self._expected):
            self._value = exc
            return True
        return False


def _customer_id(number: int) -> CustomerId:
    """The id of the contract's customer ``number``: ``c-0001``, ``c-0002``, ..."""
    return CustomerId(f"c-{number:04d}")


def _make_customer(
    number: int,
    *,
    email: str | None = None,
    phone: str | None = None,
    channel: Channel | str = Channel.PHONE,
) -> Customer:
    """A newly registered customer (version 0, with its registration events)."""
    points = []
    if email is not None:
        points.append(ContactPoint(Channel.EMAIL, email))
    if phone is not None:
        points.append(ContactPoint(channel, phone))
    return Customer.register(
        _customer_id(number), name=PersonName(f"Customer {number}"), at=T0, contact_points=points
    )


def _emails(customer: Customer) -> set[str]:
    return {p.value for p in customer.contact_points if p.channel is Channel.EMAIL}


def _phones(customer: Customer) -> set[str]:
    return {p.value for p in customer.contact_points if p.channel in _PHONE_CHANNELS}


def _with_email(customer: Customer, email: str | None) -> Customer:
    changed = customer
    for old in sorted(_emails(customer) - ({email} if email else set())):
        changed = changed.remove_contact_point(Channel.EMAIL, old, at=T0)
    if email is not None and email not in _emails(changed):
        changed = changed.add_contact_point(ContactPoint(Channel.EMAIL, email), at=T0)
    return changed


def _with_phone(customer: Customer, phone: str) -> Customer:
    changed = customer
    for point in customer.contact_points:
        if point.channel is Channel.PHONE and point.value != phone:
            changed = changed.remove_contact_point(Channel.PHONE, point.value, at=T0)
    if changed.contact_point(Channel.PHONE, phone) is None:
        changed = changed.add_contact_point(ContactPoint(Channel.PHONE, phone), at=T0)
    return changed


def _counter(customer: Customer) -> int:
    value = customer.profile.attributes.get("counter", 0)
    return value if isinstance(value, int) else 0


def _clear(uow: UnitOfWork) -> None:
    """Remove every customer and drain the outbox."""
    with uow:
        for found in list(uow.customers):
            uow.customers.remove(found.id)
        uow.commit()
    uow.collect_events()


# -- the other aggregates: how the contract builds, changes and looks them up --------------

_CASE_LINKS = tuple(CaseId(f"case-{n}") for n in range(3))
_AGENTS = (StaffId("agent-1"), StaffId("agent-2"))
_SURVEY_TYPES: tuple[type[CsatResponse | NpsResponse | CesResponse], ...] = (
    CsatResponse,
    NpsResponse,
    CesResponse,
)


def _make_order(number: int, customer: int) -> Order:
    lines = [
        OrderLine(ProductId("sku-1"), 2, Money("10.00", "USD"), category="books"),
        OrderLine(ProductId(f"sku-{number}"), 1, Money("5.00", "USD"), category="games"),
    ]
    return Order.place(
        OrderId(f"o-{number:04d}"), customer_id=_customer_id(customer), lines=lines, at=T0
    )


def _change_order(order: Order) -> Order:
    """The order's next step: paid, fulfilled, partly refunded, refunded, then nothing."""
    if order.status is OrderStatus.PLACED:
        payment = PaymentId(f"p-{len(order.payments) + 1}")
        return order.record_payment(payment, order.balance_due, at=T0)
    if order.status is OrderStatus.PAID:
        return order.fulfil(at=T0)
    if order.status in (OrderStatus.FULFILLED, OrderStatus.PARTIALLY_REFUNDED):
        return order.refund(min(order.refundable, Money("15.00", "USD")), at=T0)
    return order


def _make_subscription(number: int, customer: int) -> Subscription:
    plan = Plan(
        id=PlanId(f"plan-{number % 2}"),
        name="Basic",
        price=Money("9.99", "EUR"),
        period=Period.months(1),
        product_type="streaming",
    )
    return Subscription.start(
        SubscriptionId(f"s-{number:04d}"), customer_id=_customer_id(customer), plan=plan, at=T0
    )


def _change_subscription(subscription: Subscription) -> Subscription:
    """The subscription's next step: a fee paid, then cancelled, then nothing."""
    if subscription.status is SubscriptionStatus.CANCELLED:
        return subscription
    if not subscription.payments:
        return subscription.record_payment(PaymentId("p-1"), subscription.fee, at=T0)
    return subscription.cancel(at=T0, immediately=True)


def _make_interaction(number: int, customer: int) -> Interaction:
    return Interaction.log(
        InteractionId(f"i-{number:04d}"),
        customer_id=_customer_id(customer),
        kind="call",
        channel="phone",
        direction="inbound",
        at=T0,
        case_id=_CASE_LINKS[number % 3] if number % 2 else None,
    )


def _change_interaction(interaction: Interaction) -> Interaction:
    """Link the interaction to the next case, and to an opportunity."""
    current = -1 if interaction.case_id is None else _CASE_LINKS.index(interaction.case_id)
    return interaction.link(
        at=T0,
        case_id=_CASE_LINKS[(current + 1) % len(_CASE_LINKS)],
        opportunity_id=OpportunityId("opp-1"),
    )


def _make_case(number: int, customer: int) -> Case:
    return Case.open(
        CaseId(f"case-{number:04d}"),
        customer_id=_customer_id(customer),
        kind="complaint",
        subject="Parcel arrived damaged",
        channel="email",
        at=T0,
        assignee=_AGENTS[number % 2] if number % 3 else None,
        order_id=OrderId(f"o-{number % 3:04d}"),
    )


def _change_case(case: Case) -> Case:
    """Hand the case to the other agent and move it one status on."""
    current = case.assignee
    case = case.assign(_AGENTS[1] if current == _AGENTS[0] else _AGENTS[0], at=T0)
    if case.first_responded_at is None:
        return case.respond(at=T0)
    moves = {
        CaseStatus.OPEN: CaseStatus.PENDING_CUSTOMER,
        CaseStatus.PENDING_CUSTOMER: CaseStatus.RESOLVED,
        CaseStatus.RESOLVED: CaseStatus.CLOSED,
        CaseStatus.CLOSED: CaseStatus.OPEN,
    }
    return case.change_status(moves[case.status], at=T0)


def _make_review(number: int, customer: int) -> Review:
    return Review.receive(
        ReviewId(f"r-{number:04d}"),
        platform=("Google", "tokopedia")[number % 2],
        rating=number % 5 + 1,
        at=T0,
        customer_id=_customer_id(customer) if number % 3 else None,
    )


def _answer_review(review: Review) -> Review:
    """Answer the review (answering again changes nothing)."""
    return review.answer(at=T0)


def _make_survey(number: int, customer: int) -> SurveyResponse:
    cls = _SURVEY_TYPES[number % 3]
    return cls.record(
        FeedbackId(f"f-{number:04d}"),
        customer_id=_customer_id(customer),
        score=cls.min_score + number % (cls.max_score - cls.min_score + 1),
        at=T0,
        case_id=_CASE_LINKS[number % 3] if number % 2 else None,
        order_id=OrderId(f"o-{number % 2:04d}") if number % 3 else None,
    )


# Memberships: program ``number % 7`` never meets the same customer twice among
# the accounts one test of the contract makes, so the natural key holds.
_PROGRAMS = tuple(
    LoyaltyProgram(
        id=ProgramId(f"prog-{n}"),
        name="Points",
        currency="USD",
        tiers=[
            Tier.by_points("bronze", 0, below=100),
            Tier.by_points("silver", 100, below=300),
            Tier.by_points("gold", 300),
        ],
    )
    for n in range(7)
)


def _make_loyalty_account(number: int, customer: int) -> LoyaltyAccount:
    return LoyaltyAccount.enroll(
        LoyaltyAccountId(f"la-{number:04d}"),
        customer_id=_customer_id(customer),
        program=_PROGRAMS[number % 7],
        at=T0,
    )


def _change_loyalty_account(account: LoyaltyAccount) -> LoyaltyAccount:
    """Earn 150 points: silver after one change, gold after two."""
    program = _PROGRAMS[int(account.program_id.value.removeprefix("prog-"))]
    return account.earn(150, program, at=T0, reason="activity")


def _make_lead(number: int, customer: int) -> Lead:
    lead = Lead.capture(
        LeadId(f"lead-{number:04d}"),
        name=PersonName(f"Lead {number}"),
        source=("web", "referral", "event")[number % 3],
        at=T0,
        owner=_AGENTS[number % 2] if number % 3 else None,
    )
    if number % 2:
        return lead.qualify(at=T0).convert(_customer_id(customer), at=T0).lead
    return lead


def _change_lead(lead: Lead) -> Lead:
    """Hand the lead to the other agent and move it one status on (a converted lead: only hand it)."""
    lead = lead.assign(_AGENTS[1] if lead.owner == _AGENTS[0] else _AGENTS[0], at=T0)
    moves = {
        LeadStatus.NEW: lambda: lead.contact(at=T0),
        LeadStatus.CONTACTED: lambda: lead.qualify(at=T0),
        LeadStatus.QUALIFIED: lambda: lead.disqualify(at=T0, reason="no budget"),
        LeadStatus.DISQUALIFIED: lambda: lead.recycle(at=T0),
    }
    move = moves.get(lead.status)
    return lead if move is None else move()


def _make_opportunity(number: int, customer: int) -> Opportunity:
    return Opportunity.open(
        OpportunityId(f"opp-{number:04d}"),
        customer_id=_customer_id(customer),
        name="Fleet renewal",
        amount=Money("1000.00", "USD"),
        expected_close=T0.date(),
        owner=_AGENTS[number % 2],
        pipeline=STANDARD_PIPELINE,
        at=T0,
        stage=STANDARD_PIPELINE.open_stages[number % 2].code,
    )


def _change_opportunity(deal: Opportunity) -> Opportunity:
    """Hand the deal to the other agent and move it on: next open stage, lost, restored."""
    deal = deal.reassign(_AGENTS[1] if deal.owner == _AGENTS[0] else _AGENTS[0], at=T0)
    if deal.is_lost:
        return deal.restore(STANDARD_PIPELINE, at=T0)
    codes = [stage.code for stage in STANDARD_PIPELINE.open_stages]
    position = codes.index(deal.stage)
    if position + 1 < len(codes):
        return deal.move_to(codes[position + 1], STANDARD_PIPELINE, at=T0)
    return deal.lose(STANDARD_PIPELINE, at=T0, reason="went with a competitor")


def _unchanged(aggregate: object) -> object:
    """A survey answer has no commands: it is saved as it is."""
    return aggregate


def _one(value: object) -> list[tuple[object, ...]]:
    return [] if value is None else [(value,)]


@attrs.frozen
class _Lookup:
    """A secondary lookup of a repository and the arguments that find an aggregate."""

    method: str
    finds: Callable[[Any], list[tuple[object, ...]]]


@attrs.frozen
class _Kind:
    """How the contract exercises one repository of the unit of work.

    ``make(number, customer)`` builds new aggregate ``number`` of customer
    ``customer`` (version 0, with its events), ``change`` applies the next
    command (or none, when the aggregate has none left), ``lookups`` lists
    the repository's secondary lookups, ``generated`` draws valid aggregates.
    """

    make: Callable[[int, int], Any]
    change: Callable[[Any], Any]
    id_of: Callable[[int], Identifier]
    lookups: tuple[_Lookup, ...]
    generated: Callable[[], st.SearchStrategy[Any]]


def _by_customer(aggregate: Any) -> list[tuple[object, ...]]:
    return _one(aggregate.customer_id)


def _by_status(aggregate: Any) -> list[tuple[object, ...]]:
    return [(aggregate.status,)]


#: The repositories besides ``customers``, by the name of their unit-of-work property.
AGGREGATE_REPOSITORIES: Final[dict[str, _Kind]] = {
    "orders": _Kind(
        make=_make_order,
        change=_change_order,
        id_of=lambda n: OrderId(f"o-{n:04d}"),
        lookups=(_Lookup("for_customer", _by_customer), _Lookup("with_status", _by_status)),
        generated=orders,
    ),
    "subscriptions": _Kind(
        make=_make_subscription,
        change=_change_subscription,
        id_of=lambda n: SubscriptionId(f"s-{n:04d}"),
        lookups=(
            _Lookup("for_customer", _by_customer),
            _Lookup("for_plan", lambda s: [(s.plan.id,)]),
            _Lookup("with_status", _by_status),
        ),
        generated=subscriptions,
    ),
    "interactions": _Kind(
        make=_make_interaction,
        change=_change_interaction,
        id_of=lambda n: InteractionId(f"i-{n:04d}"),
        lookups=(
            _Lookup("for_customer", _by_customer),
            _Lookup("for_case", lambda i: _one(i.case_id)),
            _Lookup("for_opportunity", lambda i: _one(i.opportunity_id)),
        ),
        generated=interactions,
    ),
    "cases": _Kind(
        make=_make_case,
        change=_change_case,
        id_of=lambda n: CaseId(f"case-{n:04d}"),
        lookups=(
            _Lookup("for_customer", _by_customer),
            _Lookup("for_order", lambda c: _one(c.order_id)),
            _Lookup("assigned_to", lambda c: _one(c.assignee)),
            _Lookup("with_status", _by_status),
        ),
        generated=cases,
    ),
    "reviews": _Kind(
        make=_make_review,
        change=_answer_review,
        id_of=lambda n: ReviewId(f"r-{n:04d}"),
        lookups=(
            _Lookup("for_customer", _by_customer),
            _Lookup("on_platform", lambda r: [(r.platform,)]),
        ),
        generated=reviews,
    ),
    "surveys": _Kind(
        make=_make_survey,
        change=_unchanged,
        id_of=lambda n: FeedbackId(f"f-{n:04d}"),
        lookups=(
            _Lookup("for_customer", _by_customer),
            _Lookup("for_case", lambda s: _one(s.case_id)),
            _Lookup("for_order", lambda s: _one(s.order_id)),
            _Lookup("of_survey", lambda s: [(s.survey,)]),
        ),
        generated=survey_responses,
    ),
    "loyalty_accounts": _Kind(
        make=_make_loyalty_account,
        change=_change_loyalty_account,
        id_of=lambda n: LoyaltyAccountId(f"la-{n:04d}"),
        lookups=(
            _Lookup("for_customer", _by_customer),
            _Lookup("for_program", lambda a: [(a.program_id,)]),
            _Lookup("in_tier", lambda a: [(a.tier,)]),
        ),
        generated=loyalty_accounts,
    ),
    "leads": _Kind(
        make=_make_lead,
        change=_change_lead,
        id_of=lambda n: LeadId(f"lead-{n:04d}"),
        lookups=(
            _Lookup("for_customer", _by_customer),
            _Lookup("with_status", _by_status),
            _Lookup("from_source", lambda lead: [(lead.source,)]),
            _Lookup("assigned_to", lambda lead: _one(lead.owner)),
        ),
        generated=leads,
    ),
    "opportunities": _Kind(
        make=_make_opportunity,
        change=_change_opportunity,
        id_of=lambda n: OpportunityId(f"opp-{n:04d}"),
        lookups=(
            _Lookup("for_customer", _by_customer),
            _Lookup("in_stage", lambda deal: [(deal.stage,)]),
            _Lookup("owned_by", lambda deal: [(deal.owner,)]),
        ),
        generated=opportunities,
    ),
}


def _repository(uow: UnitOfWork, name: str) -> Any:
    """The unit's repository called ``name`` (its property of that name)."""
    return getattr(uow, name)


def _clear_repository(uow: UnitOfWork, name: str) -> None:
    """Remove every aggregate of one repository and drain the outbox."""
    with uow:
        repository = _repository(uow, name)
        for found in list(repository):
            repository.remove(found.id)
        uow.commit()
    uow.collect_events()


# -- the pytest base class -----------------------------------------------------------------


class UnitOfWorkContract(ABC):
    """Subclass as ``Test...`` and implement :meth:`make_unit_of_work` to test an adapter.

    Class attributes tune the Hypothesis parts: :attr:`round_trip_examples`,
    :attr:`aggregate_round_trip_examples` and :attr:`state_machine_settings`;
    :attr:`threads` and :attr:`cycles_per_thread` size the threaded race test.
    """

    #: Examples of the round trip of generated customers.
    round_trip_examples: ClassVar[int] = 15
    #: Examples of the round trip of generated aggregates, per repository.
    aggregate_round_trip_examples: ClassVar[int] = 8
    #: Settings of the random operation sequences.
    state_machine_settings: ClassVar[settings] = settings(
        max_examples=40,
        stateful_step_count=30,
        deadline=None,
        suppress_health_check=[HealthCheck.too_slow],
    )
    #: Threads in the race test, and read-modify-save cycles each does.
    threads: ClassVar[int] = 4
    cycles_per_thread: ClassVar[int] = 25

    @abstractmethod
    def make_unit_of_work(self) -> UnitOfWork:
        """A new unit of work over this test's storage (empty when the test starts)."""

    # -- helpers --------------------------------------------------------------------------

    def _committed(self, *added: Customer) -> UnitOfWork:
        uow = self.make_unit_of_work()
        with uow:
            for customer in added:
                uow.customers.add(customer)
            uow.commit()
        return uow

    def _stored(self, number: int) -> Customer:
        uow = self.make_unit_of_work()
        with uow:
            return uow.customers.get(_customer_id(number))

    # -- add and get ----------------------------------------------------------------------

    def test_add_returns_the_stored_copy_without_events(self) -> None:
        """add() returns the aggregate as stored: same fields and version, no pending events."""
        ana = _make_customer(1, email=EMAILS[0])
        uow = self.make_unit_of_work()
        with uow:
            stored = uow.customers.add(ana)
            _equal(ana, stored, "stored copy")
            _equal((), stored.pending_events, "pending events of the stored copy")
            _equal(0, stored.version, "version")

    def test_get_returns_what_was_committed(self) -> None:
        """A later unit gets the committed aggregate back, equal and at its version."""
        ana = _make_customer(1, email=EMAILS[0], phone=PHONES[0])
        self._committed(ana)
        found = self._stored(1)
        _equal(ana, found, "customer read back")
        _equal(0, found.version, "version")
        _equal((), found.pending_events, "pending events")

    def test_add_keeps_the_version_the_aggregate_carries(self) -> None:
        """An aggregate added at version 5 is stored at 5, and its next save stores 6."""
        imported = attrs.evolve(_make_customer(1), version=5)
        uow = self._committed(imported)
        with uow:
            found = uow.customers.get(_customer_id(1))
            _equal(5, found.version, "version after add")
            _equal(6, uow.customers.save(found.add_tag("vip", at=T0)).version, "after save")

    def test_add_of_an_existing_id_raises_duplicate_id(self) -> None:
        """add() refuses an id already stored, or added earlier in the same unit."""
        uow = self._committed(_make_customer(1))
        with uow:
            with _raises(DuplicateId) as raised:
                uow.customers.add(_make_customer(1))
            _equal(_customer_id(1), raised.value.aggregate_id, "aggregate_id")
            uow.customers.add(_make_customer(2))
            with _raises(DuplicateId):
                uow.customers.add(_make_customer(2))

    def test_get_of_a_missing_id_raises_not_found(self) -> None:
        """get() of an unknown id raises NotFound, which is also a KeyError."""
        uow = self.make_unit_of_work()
        with uow:
            with _raises(NotFound) as raised:
                uow.customers.get(_customer_id(9))
            _true(isinstance(raised.value, KeyError), "NotFound must be a KeyError")
            _equal("no customer with id c-0009", str(raised.value), "message")

    # -- save -------------------------------------------------------------------------------

    def test_save_stores_the_next_version(self) -> None:
        """save() stores version + 1 without pending events; get() returns it so."""
        uow = self._committed(_make_customer(1))
        with uow:
            loaded = uow.customers.get(_customer_id(1))
            saved = uow.customers.save(loaded.add_tag("vip", at=T0))
            _equal(1, saved.version, "returned version")
            _equal((), saved.pending_events, "pending events")
            _equal(saved, uow.customers.get(_customer_id(1)), "get inside the unit")
            uow.commit()
        found = self._stored(1)
        _equal(1, found.version, "stored version")
        _equal(frozenset({"vip"}), found.tags, "tags")

    def test_save_after_add_in_the_same_unit(self) -> None:
        """A customer added and then changed in one unit is stored at version 1."""
        uow = self.make_unit_of_work()
        with uow:
            added = uow.customers.add(_make_customer(1))
            saved = uow.customers.save(added.add_tag("new", at=T0))
            again = uow.customers.save(saved.add_tag("again", at=T0))
            _equal(2, again.version, "version in the unit")
            uow.commit()
        _equal(2, self._stored(1).version, "stored version")

    def test_save_of_a_stale_version_raises_conflict_and_changes_nothing(self) -> None:
        """save() of an older version raises ConcurrencyConflict carrying both versions."""
        uow = self._committed(_make_customer(1))
        with uow:
            loaded = uow.customers.get(_customer_id(1))
            uow.customers.save(loaded.add_tag("first", at=T0))
            with _raises(ConcurrencyConflict) as raised:
                uow.customers.save(loaded.add_tag("second", at=T0))
            _equal((0, 1), (raised.value.expected_version, raised.value.actual_version), "vers.")
            _equal(frozenset({"first"}), uow.customers.get(_customer_id(1)).tags, "tags")

    def test_save_of_a_missing_id_raises_not_found(self) -> None:
        """save() of an aggregate that was never added raises NotFound."""
        uow = self.make_unit_of_work()
        with uow, _raises(NotFound):
            uow.customers.save(_make_customer(1))

    # -- remove -----------------------------------------------------------------------------

    def test_remove_deletes_the_aggregate(self) -> None:
        """After remove() and commit, get() raises NotFound in every unit."""
        uow = self._committed(_make_customer(1), _make_customer(2))
        with uow:
            uow.customers.remove(_customer_id(1))
            with _raises(NotFound):
                uow.customers.get(_customer_id(1))
            uow.commit()
        with uow:
            _equal([_customer_id(2)], [c.id for c in uow.customers], "remaining ids")

    def test_remove_of_a_missing_id_raises_not_found(self) -> None:
        """remove() of an unknown id, or of one removed twice, raises NotFound."""
        uow = self._committed(_make_customer(1))
        with uow:
            with _raises(NotFound):
                uow.customers.remove(_customer_id(2))
            uow.customers.remove(_customer_id(1))
            with _raises(NotFound):
                uow.customers.remove(_customer_id(1))

    def test_an_id_can_be_added_again_after_remove(self) -> None:
        """remove() then add() of the same id in one unit replaces the aggregate."""
        uow = self._committed(_make_customer(1, email=EMAILS[0]))
        with uow:
            uow.customers.remove(_customer_id(1))
            uow.customers.add(_make_customer(1, email=EMAILS[1]))
            uow.commit()
        _equal({EMAILS[1]}, _emails(self._stored(1)), "emails of the new customer")

    # -- iteration, count, contains ---------------------------------------------------------

    def test_iteration_is_in_id_order_and_shows_the_unit_changes(self) -> None:
        """Iteration yields every aggregate by ascending id, with the unit's own changes."""
        uow = self._committed(*(_make_customer(n) for n in (5, 1, 3)))
        with uow:
            uow.customers.add(_make_customer(2))
            uow.customers.remove(_customer_id(3))
            loaded = uow.customers.get(_customer_id(5))
            uow.customers.save(loaded.add_tag("vip", at=T0))
            seen = list(uow.customers)
        _equal([_customer_id(n) for n in (1, 2, 5)], [c.id for c in seen], "ids")
        _equal([0, 0, 1], [c.version for c in seen], "versions")

    def test_iteration_reads_every_aggregate_of_a_large_store(self) -> None:
        """Iteration over more aggregates than one page returns each once, in order."""
        numbers = range(1, 601)
        self._committed(*(_make_customer(n) for n in numbers))
        uow = self.make_unit_of_work()
        with uow:
            uow.customers.remove(_customer_id(300))
            _equal(
                [_customer_id(n) for n in numbers if n != 300],
                [c.id for c in uow.customers],
                "ids",
            )
            _equal(599, uow.customers.count(), "count")

    def test_count_and_contains_follow_the_unit_changes(self) -> None:
        """count() and ``in`` reflect committed data plus the unit's adds and removes."""
        uow = self._committed(_make_customer(1), _make_customer(2))
        with uow:
            _equal(2, uow.customers.count(), "count")
            uow.customers.add(_make_customer(3))
            uow.customers.remove(_customer_id(1))
            _equal(2, uow.customers.count(), "count after changes")
            _equal(
                [False, True, True, False],
                [_customer_id(n) in uow.customers for n in (1, 2, 3, 4)],
                "contains",
            )

    # -- bad input --------------------------------------------------------------------------

    def test_an_aggregate_of_the_wrong_type_raises_invalid_type(self) -> None:
        """add() and save() refuse anything but a Customer with InvalidType (a TypeError)."""
        uow = self.make_unit_of_work()
        with uow:
            for call in (uow.customers.add, uow.customers.save):
                with _raises(InvalidType) as raised:
                    call("c-1")  # type: ignore[arg-type]
                _true(isinstance(raised.value, TypeError), "InvalidType must be a TypeError")
            _equal(0, uow.customers.count(), "count")

    def test_an_id_of_the_wrong_type_raises_invalid_type(self) -> None:
        """get(), remove() and ``in`` refuse a plain str id with InvalidType."""
        uow = self._committed(_make_customer(1))
        with uow:
            with _raises(InvalidType):
                uow.customers.get("c-0001")  # type: ignore[arg-type]
            with _raises(InvalidType):
                uow.customers.remove("c-0001")  # type: ignore[arg-type]
            with _raises(InvalidType):
                _ = "c-0001" in uow.customers
            _equal(1, uow.customers.count(), "count")

    # -- the unit of work -------------------------------------------------------------------

    def test_leaving_the_block_without_commit_rolls_back(self) -> None:
        """Changes made in a block that ends without commit() are never stored."""
        uow = self._committed(_make_customer(1))
        with uow:
            uow.customers.add(_make_customer(2))
            uow.customers.remove(_customer_id(1))
        with uow:
            _equal([_customer_id(1)], [c.id for c in uow.customers], "ids")
        _equal([CustomerRegistered], [type(e) for e in uow.collect_events()], "event types")

    def test_an_exception_rolls_back_and_propagates(self) -> None:
        """An exception inside the block propagates and rolls everything back."""
        uow = self.make_unit_of_work()
        with _raises(RuntimeError), uow:
            uow.customers.add(_make_customer(1))
            raise RuntimeError
        with uow:
            _equal(0, uow.customers.count(), "count")
        _equal([], uow.collect_events(), "events")

    def test_rollback_discards_changes_and_the_block_goes_on(self) -> None:
        """rollback() discards the unit's changes; later changes can still be committed."""
        uow = self.make_unit_of_work()
        with uow:
            uow.customers.add(_make_customer(1))
            uow.rollback()
            _equal(0, uow.customers.count(), "count after rollback")
            uow.customers.add(_make_customer(2))
            uow.commit()
        with uow:
            _equal([_customer_id(2)], [c.id for c in uow.customers], "ids")

    def test_changes_after_commit_need_another_commit(self) -> None:
        """The block goes on after commit(); what follows is rolled back without a commit."""
        uow = self.make_unit_of_work()
        with uow:
            uow.customers.add(_make_customer(1))
            uow.commit()
            uow.customers.add(_make_customer(2))
        with uow:
            _equal([_customer_id(1)], [c.id for c in uow.customers], "ids")

    def test_use_outside_the_block_raises_unit_of_work_error(self) -> None:
        """Repositories, commit() and rollback() refuse to work outside the block."""
        uow = self._committed(_make_customer(1))
        repository = uow.customers
        calls: list[Callable[[], object]] = [
            lambda: repository.get(_customer_id(1)),
            lambda: repository.add(_make_customer(2)),
            lambda: repository.remove(_customer_id(1)),
            lambda: list(repository),
            repository.count,
            lambda: _customer_id(1) in repository,
            lambda: repository.get_by_email(EMAILS[0]),
            uow.commit,
            uow.rollback,
        ]
        for call in calls:
            with _raises(UnitOfWorkError):
                call()
        with uow:
            iterator = iter(uow.customers)
        with _raises(UnitOfWorkError):
            next(iterator)

    def test_units_do_not_nest(self) -> None:
        """Entering a unit that is already active raises UnitOfWorkError."""
        uow = self.make_unit_of_work()
        with uow, _raises(UnitOfWorkError), uow:
            pass  # pragma: no cover - never reached

    # -- natural keys -----------------------------------------------------------------------

    def test_lookup_by_email_normalizes_the_address(self) -> None:
        """get_by_email() finds the customer from any spelling of the address."""
        self._committed(_make_customer(1, email=EMAILS[0]), _make_customer(2, email=EMAILS[1]))
        uow = self.make_unit_of_work()
        with uow:
            _equal(_customer_id(1), uow.customers.get_by_email("  Ana@EXAMPLE.com ").id, "id")

    def test_lookup_by_phone_normalizes_the_number(self) -> None:
        """get_by_phone() accepts any layout, national input too, and SMS/WhatsApp numbers."""
        self._committed(
            _make_customer(1, phone=PHONES[0]),
            _make_customer(2, phone=PHONES[1], channel=Channel.WHATSAPP),
        )
        uow = self.make_unit_of_work()
        with uow:
            _equal(_customer_id(1), uow.customers.get_by_phone("+62 812-0000-0001").id, "id")
            found = uow.customers.get_by_phone("0812 0000 0002", default_country_code="62")
            _equal(_customer_id(2), found.id, "id")

    def test_failed_lookups_never_show_the_value(self) -> None:
        """NotFound from a lookup names the key, never the address or number."""
        uow = self._committed(_make_customer(1, email=EMAILS[0]))
        with uow:
            with _raises(NotFound) as by_email:
                uow.customers.get_by_email("secret.person@example.org")
            with _raises(NotFound) as by_phone:
                uow.customers.get_by_phone("+6289999999999")
            with _raises(ValidationError) as bad:
                uow.customers.get_by_email("not an address")
        _equal("no customer has this email address", str(by_email.value), "message")
        _equal("no customer has this phone number", str(by_phone.value), "message")
        _true("not an address" not in str(bad.value), "message must hide the input")

    def test_lookups_see_the_unit_changes(self) -> None:
        """Lookups inside a unit see its own adds, saves and removes."""
        uow = self._committed(_make_customer(1, email=EMAILS[0]))
        with uow:
            uow.customers.add(_make_customer(2, email=EMAILS[1]))
            ana = uow.customers.get(_customer_id(1))
            uow.customers.save(_with_email(ana, EMAILS[2]))
            _equal(_customer_id(2), uow.customers.get_by_email(EMAILS[1]).id, "added")
            _equal(_customer_id(1), uow.customers.get_by_email(EMAILS[2]).id, "saved")
            with _raises(NotFound):
                uow.customers.get_by_email(EMAILS[0])
            uow.customers.remove(_customer_id(2))
            with _raises(NotFound):
                uow.customers.get_by_email(EMAILS[1])

    def test_a_natural_key_belongs_to_one_customer(self) -> None:
        """Adding or saving a customer with another one's email or number raises DuplicateKey."""
        uow = self._committed(_make_customer(1, email=EMAILS[0], phone=PHONES[0]))
        with uow:
            with _raises(DuplicateKey) as raised:
                uow.customers.add(_make_customer(2, email=EMAILS[0]))
            _equal(("email", _customer_id(1)), (raised.value.key, raised.value.owner_id), "key")
            _true(EMAILS[0] not in str(raised.value), "message must hide the address")
            with _raises(DuplicateKey):
                uow.customers.add(_make_customer(2, phone=PHONES[0], channel=Channel.SMS))
            budi = uow.customers.add(_make_customer(2, email=EMAILS[1]))
            with _raises(DuplicateKey):
                uow.customers.save(_with_email(budi, EMAILS[0]))
            _equal(2, uow.customers.count(), "count")

    def test_one_customer_may_hold_a_number_on_several_channels(self) -> None:
        """The same number on the phone and WhatsApp channels of one customer is allowed."""
        ana = _make_customer(1, phone=PHONES[0]).add_contact_point(
            ContactPoint(Channel.WHATSAPP, PHONES[0]), at=T0
        )
        self._committed(ana)
        uow = self.make_unit_of_work()
        with uow:
            _equal(_customer_id(1), uow.customers.get_by_phone(PHONES[0]).id, "id")

    def test_a_natural_key_can_move_between_customers_in_one_unit(self) -> None:
        """One unit may take an email from one customer and give it to another."""
        uow = self._committed(_make_customer(1, email=EMAILS[0]), _make_customer(2))
        with uow:
            ana = uow.customers.get(_customer_id(1))
            budi = uow.customers.get(_customer_id(2))
            uow.customers.save(_with_email(ana, None))
            uow.customers.save(_with_email(budi, EMAILS[0]))
            uow.commit()
        with uow:
            _equal(_customer_id(2), uow.customers.get_by_email(EMAILS[0]).id, "new owner")

    # -- events -----------------------------------------------------------------------------

    def test_events_are_handed_out_once_in_commit_order(self) -> None:
        """collect_events() returns committed events in order, then never again."""
        uow = self._committed(_make_customer(1))
        with uow:
            ana = uow.customers.get(_customer_id(1))
            ana = uow.customers.save(ana.add_tag("a", at=T0))
            uow.customers.save(ana.set_attribute("counter", 1, at=T0))
            uow.commit()
        kinds = [type(event) for event in uow.collect_events()]
        _equal([CustomerRegistered, TagAdded, AttributeSet], kinds, "event types")
        _equal([], uow.collect_events(), "second collection")

    def test_events_of_rolled_back_or_failed_units_are_never_handed_out(self) -> None:
        """Events of units that roll back or fail to commit never leave the store."""
        uow = self._committed(_make_customer(1))
        uow.collect_events()
        with uow:
            ana = uow.customers.get(_customer_id(1))
            uow.customers.save(ana.add_tag("dropped", at=T0))
        other = self.make_unit_of_work()
        with uow:
            stale = uow.customers.get(_customer_id(1))
            with other:
                other.customers.save(other.customers.get(_customer_id(1)).add_tag("b", at=T0))
                other.commit()
            uow.customers.save(stale.add_tag("lost", at=T0))
            with _raises(ConcurrencyConflict):
                uow.commit()
        events = uow.collect_events()
        _equal(["b"], [e.tag for e in events if isinstance(e, TagAdded)], "tags of events")

    def test_any_unit_of_the_store_collects_committed_events(self) -> None:
        """Events committed by one unit are handed out by another unit of the same store."""
        self._committed(_make_customer(1), _make_customer(2))
        collector = self.make_unit_of_work()
        registered = [e for e in collector.collect_events() if isinstance(e, CustomerRegistered)]
        _equal([_customer_id(1), _customer_id(2)], [e.customer_id for e in registered], "ids")
        _equal([], self.make_unit_of_work().collect_events(), "second collection")

    # -- isolation and concurrency ----------------------------------------------------------

    def test_a_unit_reads_a_snapshot(self) -> None:
        """A unit does not see what others commit after it began; its next block does."""
        reader = self._committed(_make_customer(1))
        writer = self.make_unit_of_work()
        with reader:
            with writer:
                writer.customers.add(_make_customer(2))
                ana = writer.customers.get(_customer_id(1))
                writer.customers.save(ana.add_tag("vip", at=T0))
                writer.commit()
            _equal(1, reader.customers.count(), "count in the older snapshot")
            _equal(0, reader.customers.get(_customer_id(1)).version, "version")
        with reader:
            _equal(2, reader.customers.count(), "count in a new block")

    def test_uncommitted_changes_are_invisible_to_other_units(self) -> None:
        """Another unit never sees changes that are not committed."""
        first = self._committed(_make_customer(1))
        second = self.make_unit_of_work()
        with first:
            first.customers.add(_make_customer(2))
            first.customers.remove(_customer_id(1))
            with second:
                _equal([_customer_id(1)], [c.id for c in second.customers], "ids")

    def test_the_second_of_two_conflicting_commits_fails_and_applies_nothing(self) -> None:
        """Two units save the same version; the second commit raises and applies nothing."""
        self._committed(_make_customer(1))
        first, second = self.make_unit_of_work(), self.make_unit_of_work()
        with first, second:
            a = first.customers.get(_customer_id(1))
            b = second.customers.get(_customer_id(1))
            first.customers.save(a.add_tag("first", at=T0))
            second.customers.save(b.add_tag("second", at=T0))
            second.customers.add(_make_customer(2))
            first.commit()
            with _raises(ConcurrencyConflict) as raised:
                second.commit()
        _equal((0, 1), (raised.value.expected_version, raised.value.actual_version), "versions")
        check = self.make_unit_of_work()
        with check:
            _equal(frozenset({"first"}), check.customers.get(_customer_id(1)).tags, "tags")
            _equal(False, _customer_id(2) in check.customers, "customer 2 stored")

    def test_concurrent_adds_of_one_id(self) -> None:
        """Two units add the same id; the second commit raises DuplicateId."""
        first, second = self.make_unit_of_work(), self.make_unit_of_work()
        with first, second:
            first.customers.add(_make_customer(1, email=EMAILS[0]))
            second.customers.add(_make_customer(1, email=EMAILS[1]))
            first.commit()
            with _raises(DuplicateId):
                second.commit()
        _equal({EMAILS[0]}, _emails(self._stored(1)), "emails")

    def test_concurrent_claims_of_one_email(self) -> None:
        """Two units give one email to different customers; the second commit fails."""
        first, second = self.make_unit_of_work(), self.make_unit_of_work()
        with first, second:
            first.customers.add(_make_customer(1, email=EMAILS[0]))
            second.customers.add(_make_customer(2, email=EMAILS[0]))
            first.commit()
            with _raises(DuplicateKey):
                second.commit()
        check = self.make_unit_of_work()
        with check:
            _equal(1, check.customers.count(), "count")

    def test_remove_conflicts_with_a_concurrent_save(self) -> None:
        """Removing an aggregate another unit changed meanwhile raises ConcurrencyConflict."""
        self._committed(_make_customer(1))
        first, second = self.make_unit_of_work(), self.make_unit_of_work()
        with first, second:
            first.customers.remove(_customer_id(1))
            changed = second.customers.get(_customer_id(1)).add_tag("kept", at=T0)
            second.customers.save(changed)
            second.commit()
            with _raises(ConcurrencyConflict):
                first.commit()
        _equal(frozenset({"kept"}), self._stored(1).tags, "tags")

    def test_a_failed_commit_leaves_the_block_usable(self) -> None:
        """After a conflict the block reads fresh data and can retry."""
        self._committed(_make_customer(1))
        first, second = self.make_unit_of_work(), self.make_unit_of_work()
        with first:
            stale = first.customers.get(_customer_id(1))
            with second:
                second.customers.save(second.customers.get(_customer_id(1)))
                second.commit()
            first.customers.save(stale.add_tag("x", at=T0))
            with _raises(ConcurrencyConflict):
                first.commit()
            fresh = first.customers.get(_customer_id(1))
            _equal(1, fresh.version, "fresh version")
            first.customers.save(fresh.add_tag("x", at=T0))
            first.commit()
        _equal(2, self._stored(1).version, "stored version")

    def test_threads_lose_no_update(self) -> None:
        """Threads doing read-modify-save with retries: final version == successful saves."""
        self._committed(_make_customer(1))
        start = threading.Barrier(self.threads)
        failures: list[BaseException] = []

        def work() -> None:
            uow = self.make_unit_of_work()
            try:
                start.wait()
                for _ in range(self.cycles_per_thread):
                    while True:
                        try:
                            with uow:
                                loaded = uow.customers.get(_customer_id(1))
                                bumped = loaded.set_attribute(
                                    "counter", _counter(loaded) + 1, at=T0
                                )
                                uow.customers.save(bumped)
                                uow.commit()
                            break
                        except ConcurrencyConflict:
                            continue
            except BaseException as exc:  # noqa: BLE001 - reported by the main thread.
                failures.append(exc)

        workers = [threading.Thread(target=work) for _ in range(self.threads)]
        for worker in workers:
            worker.start()
        for worker in workers:
            worker.join()
        if failures:
            raise failures[0]
        saves = self.threads * self.cycles_per_thread
        final = self._stored(1)
        _equal(saves, final.version, "final version")
        _equal(saves, _counter(final), "counter")
        counters = [
            e.value
            for e in self.make_unit_of_work().collect_events()
            if isinstance(e, AttributeSet)
        ]
        _equal(list(range(1, saves + 1)), counters, "counter events")

    # -- generated data ---------------------------------------------------------------------

    def test_generated_customers_round_trip(self) -> None:
        """Any valid customer comes back from the store equal to what was added."""

        @settings(
            max_examples=self.round_trip_examples,
            deadline=None,
            suppress_health_check=[HealthCheck.too_slow],
        )
        @given(customer=customers())
        def round_trip(customer: Customer) -> None:
            uow = self.make_unit_of_work()
            _clear(uow)
            with uow:
                uow.customers.add(customer)
                uow.commit()
            with uow:
                found = uow.customers.get(customer.id)
                _equal(customer, found, "customer read back")
                for email in sorted(_emails(customer)):
                    _equal(customer.id, uow.customers.get_by_email(email).id, "by email")
                for phone in sorted(_phones(customer)):
                    _equal(customer.id, uow.customers.get_by_phone(phone).id, "by phone")
            _equal(list(customer.pending_events), uow.collect_events(), "events")

        round_trip()

    def test_random_operation_sequences(self) -> None:
        """Random add/get/save/remove/commit/rollback sequences agree with a reference model."""
        factory = self.make_unit_of_work
        run_state_machine_as_test(
            lambda: RepositoryStateMachine(factory),  # type: ignore[arg-type]
            settings=self.state_machine_settings,
        )

    # -- every other repository -------------------------------------------------------------
    #
    # The tests below take ``repository_name`` and run once per repository of
    # AGGREGATE_REPOSITORIES (pytest_generate_tests parametrizes them).

    def pytest_generate_tests(self, metafunc: Any) -> None:
        """Run each test that takes ``repository_name`` once per aggregate repository."""
        if "repository_name" in metafunc.fixturenames:
            metafunc.parametrize("repository_name", list(AGGREGATE_REPOSITORIES))

    def _add_committed(self, name: str, *numbers: int) -> list[Any]:
        kind = AGGREGATE_REPOSITORIES[name]
        made = [kind.make(number, number % 3 + 1) for number in numbers]
        uow = self.make_unit_of_work()
        with uow:
            repository = _repository(uow, name)
            for aggregate in made:
                repository.add(aggregate)
            uow.commit()
        return made

    def test_aggregates_are_added_and_read_back(self, repository_name: str) -> None:
        """add() returns the stored copy; a later unit gets it back equal, at its version."""
        kind = AGGREGATE_REPOSITORIES[repository_name]
        made = kind.make(1, 1)
        uow = self.make_unit_of_work()
        with uow:
            stored = _repository(uow, repository_name).add(made)
            _equal(made, stored, f"{repository_name}: stored copy")
            _equal((), stored.pending_events, "pending events of the stored copy")
            uow.commit()
        _equal(list(made.pending_events), uow.collect_events(), "events")
        imported = attrs.evolve(kind.make(2, 1), version=4)
        with uow:
            repository = _repository(uow, repository_name)
            repository.add(imported)
            uow.commit()
        with uow:
            repository = _repository(uow, repository_name)
            found = repository.get(kind.id_of(1))
            _equal(made, found, f"{repository_name}: read back")
            _equal((type(made), 0, ()), (type(found), found.version, found.pending_events), "")
            _equal(4, repository.get(kind.id_of(2)).version, "version of an imported aggregate")
            with _raises(DuplicateId):
                repository.add(kind.make(1, 2))
            with _raises(NotFound) as missing:
                repository.get(kind.id_of(9))
            _true(isinstance(missing.value, KeyError), "NotFound must be a KeyError")

    def test_aggregates_save_the_next_version_or_conflict(self, repository_name: str) -> None:
        """save() stores version + 1; a stale or missing aggregate raises and changes nothing."""
        kind = AGGREGATE_REPOSITORIES[repository_name]
        self._add_committed(repository_name, 1)
        uow = self.make_unit_of_work()
        uow.collect_events()
        with uow:
            repository = _repository(uow, repository_name)
            loaded = repository.get(kind.id_of(1))
            changed = kind.change(loaded)
            saved = repository.save(changed)
            _equal((loaded.version + 1, ()), (saved.version, saved.pending_events), "saved")
            with _raises(ConcurrencyConflict) as raised:
                repository.save(kind.change(loaded))
            _equal((0, 1), (raised.value.expected_version, raised.value.actual_version), "vers.")
            with _raises(NotFound):
                repository.save(kind.make(2, 1))
            second_change = kind.change(saved)
            again = repository.save(second_change)
            uow.commit()
        expected = [*changed.pending_events, *second_change.pending_events]
        _equal(expected, uow.collect_events(), "events of the saves")
        with uow:
            found = _repository(uow, repository_name).get(kind.id_of(1))
            _equal(again, found, f"{repository_name}: stored after two saves")
            _equal(2, found.version, "version")

    def test_aggregates_are_removed_counted_and_iterated_in_id_order(
        self, repository_name: str
    ) -> None:
        """remove(), count(), ``in`` and iteration reflect the store and the unit's changes."""
        kind = AGGREGATE_REPOSITORIES[repository_name]
        self._add_committed(repository_name, 5, 1, 3)
        uow = self.make_unit_of_work()
        with uow:
            repository = _repository(uow, repository_name)
            repository.add(kind.make(2, 1))
            repository.remove(kind.id_of(3))
            with _raises(NotFound):
                repository.remove(kind.id_of(3))
            repository.save(kind.change(repository.get(kind.id_of(5))))
            seen = list(repository)
            _equal([kind.id_of(n) for n in (1, 2, 5)], [a.id for a in seen], "ids")
            _equal([0, 0, 1], [a.version for a in seen], "versions")
            _equal(3, repository.count(), "count")
            _equal([True, True, False], [kind.id_of(n) in repository for n in (1, 2, 3)], "in")
            uow.commit()
        with uow:
            repository = _repository(uow, repository_name)
            _equal([kind.id_of(n) for n in (1, 2, 5)], [a.id for a in repository], "committed")

    def test_aggregates_of_the_wrong_type_are_refused(self, repository_name: str) -> None:
        """add() and save() refuse other aggregates, get() and ``in`` plain str ids."""
        kind = AGGREGATE_REPOSITORIES[repository_name]
        self._add_committed(repository_name, 1)
        uow = self.make_unit_of_work()
        with uow:
            repository = _repository(uow, repository_name)
            for call in (repository.add, repository.save):
                with _raises(InvalidType):
                    call(_make_customer(1))
            with _raises(InvalidType):
                repository.get(kind.id_of(1).value)
            with _raises(InvalidType):
                _ = kind.id_of(1).value in repository
            _equal(1, repository.count(), "count")

    def test_aggregate_commits_conflict_like_customers(self, repository_name: str) -> None:
        """Conflicting saves, adds of one id, and a remove racing a save: the second commit fails."""
        kind = AGGREGATE_REPOSITORIES[repository_name]
        self._add_committed(repository_name, 1)
        first, second = self.make_unit_of_work(), self.make_unit_of_work()
        with first, second:
            a = _repository(first, repository_name)
            b = _repository(second, repository_name)
            a.save(kind.change(a.get(kind.id_of(1))))
            b.save(b.get(kind.id_of(1)))
            b.add(kind.make(2, 1))
            first.commit()
            with _raises(ConcurrencyConflict):
                second.commit()
        with first, second:
            _repository(first, repository_name).add(kind.make(3, 1))
            _repository(second, repository_name).add(kind.make(3, 2))
            _repository(second, repository_name).remove(kind.id_of(1))
            first.commit()
            with _raises(DuplicateId):
                second.commit()
        check = self.make_unit_of_work()
        with check:
            repository = _repository(check, repository_name)
            _equal([kind.id_of(1), kind.id_of(3)], [a.id for a in repository], "ids")
            _equal(1, repository.get(kind.id_of(1)).version, "version")
            _equal(kind.make(3, 1), repository.get(kind.id_of(3)), "the first add won")

    def test_a_unit_reads_one_snapshot_of_every_repository(self, repository_name: str) -> None:
        """Commits to several repositories after a unit began stay invisible to it."""
        kind = AGGREGATE_REPOSITORIES[repository_name]
        reader, writer = self.make_unit_of_work(), self.make_unit_of_work()
        with reader:
            _equal(0, _repository(reader, repository_name).count(), "count")
            with writer:
                _repository(writer, repository_name).add(kind.make(1, 1))
                writer.commit()
            with writer:
                writer.customers.add(_make_customer(1))
                writer.commit()
            with writer:
                _repository(writer, repository_name).add(kind.make(2, 1))
                writer.commit()
            repository = _repository(reader, repository_name)
            _equal((0, 0), (repository.count(), reader.customers.count()), "counts")
            _equal([], repository.for_customer(_customer_id(1)), "lookup")
        with reader:
            repository = _repository(reader, repository_name)
            _equal((2, 1), (repository.count(), reader.customers.count()), "counts later")

    def test_lookups_find_what_a_scan_finds(self, repository_name: str) -> None:
        """Every secondary lookup returns exactly the matching aggregates the unit sees, by id."""
        kind = AGGREGATE_REPOSITORIES[repository_name]
        self._add_committed(repository_name, *range(1, 9))
        uow = self.make_unit_of_work()

        def check(repository: Any, removed: list[Any]) -> None:
            visible = list(repository)
            for lookup in kind.lookups:
                arguments = {a for x in (*visible, *removed) for a in lookup.finds(x)}
                for argument in sorted(arguments, key=repr):
                    expected = [x for x in visible if argument in lookup.finds(x)]
                    found = getattr(repository, lookup.method)(*argument)
                    _equal(expected, found, f"{repository_name}.{lookup.method}{argument!r}")

        with uow:
            repository = _repository(uow, repository_name)
            check(repository, [])
            for number in (1, 2, 3):
                loaded = repository.get(kind.id_of(number))
                repository.save(kind.change(kind.change(loaded)))
            removed = [repository.get(kind.id_of(4))]
            repository.remove(kind.id_of(4))
            repository.add(kind.make(9, 2))
            check(repository, removed)
            uow.commit()
        with uow:
            check(_repository(uow, repository_name), removed)
            customer = _customer_id(99)
            _equal([], _repository(uow, repository_name).for_customer(customer), "no match")

    def test_generated_aggregates_round_trip(self, repository_name: str) -> None:
        """Any valid aggregate comes back from the store equal, with its events handed out."""
        kind = AGGREGATE_REPOSITORIES[repository_name]

        @settings(
            max_examples=self.aggregate_round_trip_examples,
            deadline=None,
            suppress_health_check=[HealthCheck.too_slow],
        )
        @given(aggregate=kind.generated())
        def round_trip(aggregate: Any) -> None:
            uow = self.make_unit_of_work()
            _clear_repository(uow, repository_name)
            with uow:
                _repository(uow, repository_name).add(aggregate)
                uow.commit()
            with uow:
                found = _repository(uow, repository_name).get(aggregate.id)
                _equal(aggregate, found, f"{repository_name}: read back")
            _equal(list(aggregate.pending_events), uow.collect_events(), "events")

        round_trip()


# -- the state machine ---------------------------------------------------------------------

_NUMBERS = st.integers(min_value=1, max_value=6)
_EMAIL_CHOICES = st.none() | st.sampled_from(EMAILS)
_PHONE_CHOICES = st.none() | st.sampled_from(PHONES)
_CHANGES = st.sampled_from(["tag", "counter", "email", "no_email", "phone"])


class RepositoryStateMachine(RuleBasedStateMachine):
    """Random operations on one main unit and a concurrent one, checked against a model.

    The model keeps the committed customers, the main unit's view, what the
    unit changed, and the outbox. Every step checks the unit's view (iteration,
    count, lookups) and every commit predicts success or the error class.
    """

    def __init__(self, make_unit_of_work: Callable[[], UnitOfWork]) -> None:
        super().__init__()
        self.uow = make_unit_of_work()
        self.other = make_unit_of_work()
        _clear(self.uow)
        self.committed: dict[CustomerId, Customer] = {}
        self.outbox: list[DomainEvent] = []
        self.view: dict[CustomerId, Customer] | None = None
        self.base: dict[CustomerId, Customer] = {}
        self.touched: set[CustomerId] = set()
        self.unit_events: list[DomainEvent] = []

    # -- model helpers --------------------------------------------------------------------

    def _begin(self) -> None:
        self.view = dict(self.committed)
        self.base = dict(self.committed)
        self.touched = set()
        self.unit_events = []

    def _current(self) -> dict[CustomerId, Customer]:
        if self.view is None:  # pragma: no cover - guarded by preconditions
            raise AssertionError("no unit is open")
        return self.view

    @staticmethod
    def _key_clash(state: dict[CustomerId, Customer], customer: Customer) -> bool:
        for other in state.values():
            if other.id != customer.id and (
                _emails(other) & _emails(customer) or _phones(other) & _phones(customer)
            ):
                return True
        return False

    def _is_open(self) -> bool:
        return self.view is not None

    def _is_closed(self) -> bool:
        return self.view is None

    # -- the main unit --------------------------------------------------------------------

    @precondition(_is_closed)
    @rule()
    def open_unit(self) -> None:
        """Enter the main unit."""
        self.uow.__enter__()
        self._begin()

    @precondition(_is_open)
    @rule(number=_NUMBERS, email=_EMAIL_CHOICES, phone=_PHONE_CHOICES)
    def add(self, number: int, email: str | None, phone: str | None) -> None:
        """Add a new customer; predict DuplicateId / DuplicateKey from the model."""
        view = self._current()
        customer = _make_customer(number, email=email, phone=phone)
        expected: tuple[type[RepositoryError], ...] = ()
        if customer.id in view:
            expected += (DuplicateId,)
        if self._key_clash(view, customer):
            expected += (DuplicateKey,)
        if expected:
            with _raises(RepositoryError) as raised:
                self.uow.customers.add(customer)
            _true(isinstance(raised.value, expected), f"expected {expected}, got {raised.value!r}")
            return
        stored = self.uow.customers.add(customer)
        _equal(customer, stored, "stored copy")
        view[customer.id] = stored
        self.touched.add(customer.id)
        self.unit_events.extend(customer.pending_events)

    @precondition(_is_open)
    @rule(number=_NUMBERS)
    def get(self, number: int) -> None:
        """Get by id: the model's customer at the model's version, or NotFound."""
        view = self._current()
        ident = _customer_id(number)
        if ident not in view:
            with _raises(NotFound):
                self.uow.customers.get(ident)
            return
        found = self.uow.customers.get(ident)
        _equal(view[ident], found, "customer")
        _equal(view[ident].version, found.version, "version")

    @precondition(_is_open)
    @rule(number=_NUMBERS, change=_CHANGES, pick=st.integers(min_value=0, max_value=3))
    def save(self, number: int, change: str, pick: int) -> None:
        """Change a customer and save it; predict NotFound / DuplicateKey."""
        view = self._current()
        ident = _customer_id(number)
        if ident not in view:
            with _raises(NotFound):
                self.uow.customers.save(_make_customer(number))
            return
        current = view[ident]
        if change == "tag":
            changed = current.add_tag(f"t{pick}", at=T0)
        elif change == "counter":
            changed = current.set_attribute("counter", pick, at=T0)
        elif change == "email":
            changed = _with_email(current, EMAILS[pick])
        elif change == "no_email":
            changed = _with_email(current, None)
        else:
            changed = _with_phone(current, PHONES[pick % len(PHONES)])
        if self._key_clash(view, changed):
            with _raises(DuplicateKey):
                self.uow.customers.save(changed)
            return
        stored = self.uow.customers.save(changed)
        _equal(current.version + 1, stored.version, "saved version")
        view[ident] = stored
        self.touched.add(ident)
        self.unit_events.extend(changed.pending_events)

    @precondition(_is_open)
    @rule(number=_NUMBERS)
    def save_stale(self, number: int) -> None:
        """Save a copy at the wrong version: ConcurrencyConflict with both versions."""
        view = self._current()
        ident = _customer_id(number)
        if ident not in view:
            return
        stale = attrs.evolve(view[ident], version=view[ident].version + 1)
        with _raises(ConcurrencyConflict) as raised:
            self.uow.customers.save(stale)
        _equal(view[ident].version, raised.value.actual_version, "actual version")

    @precondition(_is_open)
    @rule(number=_NUMBERS)
    def remove(self, number: int) -> None:
        """Remove by id, or NotFound."""
        view = self._current()
        ident = _customer_id(number)
        if ident not in view:
            with _raises(NotFound):
                self.uow.customers.remove(ident)
            return
        self.uow.customers.remove(ident)
        del view[ident]
        self.touched.add(ident)

    @precondition(_is_open)
    @rule(email=st.sampled_from(EMAILS))
    def lookup_email(self, email: str) -> None:
        """Look a customer up by email: the model's holder, or NotFound."""
        owners = [c.id for c in self._current().values() if email in _emails(c)]
        if not owners:
            with _raises(NotFound):
                self.uow.customers.get_by_email(email)
            return
        _equal(owners, [self.uow.customers.get_by_email(email).id], "holder")

    @precondition(_is_open)
    @rule()
    def commit(self) -> None:
        """Commit; predict a conflict from what others committed since the unit began."""
        view = self._current()
        changed = {i for i in self.touched if i in self.base or i in view}
        expected: tuple[type[RepositoryError], ...] = ()
        for ident in changed:
            before, now = self.base.get(ident), self.committed.get(ident)
            if before is None and now is not None:
                expected += (DuplicateId,)
            elif before is not None and (now is None or now.version != before.version):
                expected += (ConcurrencyConflict,)
        result = dict(self.committed)
        for ident in changed:
            if ident in view:
                result[ident] = view[ident]
            else:
                result.pop(ident, None)
        if any(self._key_clash(result, result[i]) for i in changed if i in result):
            expected += (DuplicateKey,)
        if expected:
            with _raises(RepositoryError) as raised:
                self.uow.commit()
            _true(isinstance(raised.value, expected), f"expected {expected}, got {raised.value!r}")
        else:
            self.uow.commit()
            self.committed = result
            self.outbox.extend(self.unit_events)
        self._begin()

    @precondition(_is_open)
    @rule()
    def rollback(self) -> None:
        """Roll back explicitly; the block goes on."""
        self.uow.rollback()
        self._begin()

    @precondition(_is_open)
    @rule(fail=st.booleans())
    def leave(self, fail: bool) -> None:
        """Leave the block without commit, normally or by an exception."""
        if fail:
            error = RuntimeError("leaving the block by an exception")
            _true(not self.uow.__exit__(RuntimeError, error, None), "exceptions must propagate")
        else:
            self.uow.__exit__(None, None, None)
        self.view = None

    @precondition(_is_closed)
    @rule()
    def use_outside(self) -> None:
        """Outside the block the repository refuses to work."""
        with _raises(UnitOfWorkError):
            self.uow.customers.count()

    # -- a concurrent unit ----------------------------------------------------------------

    @rule(number=_NUMBERS, pick=st.integers(min_value=0, max_value=3))
    def other_unit_saves(self, number: int, pick: int) -> None:
        """Another unit tags a committed customer and commits."""
        ident = _customer_id(number)
        if ident not in self.committed:
            return
        with self.other:
            loaded = self.other.customers.get(ident)
            changed = loaded.add_tag(f"o{pick}", at=T0)
            stored = self.other.customers.save(changed)
            self.other.commit()
        self.committed[ident] = stored
        self.outbox.extend(changed.pending_events)

    @rule(number=_NUMBERS, email=_EMAIL_CHOICES)
    def other_unit_adds(self, number: int, email: str | None) -> None:
        """Another unit adds a customer and commits, when the model says it can."""
        customer = _make_customer(number, email=email)
        if customer.id in self.committed or self._key_clash(self.committed, customer):
            return
        with self.other:
            self.other.customers.add(customer)
            self.other.commit()
        self.committed[customer.id] = customer.without_pending_events()
        self.outbox.extend(customer.pending_events)

    @rule(number=_NUMBERS)
    def other_unit_removes(self, number: int) -> None:
        """Another unit removes a committed customer and commits."""
        ident = _customer_id(number)
        if ident not in self.committed:
            return
        with self.other:
            self.other.customers.remove(ident)
            self.other.commit()
        del self.committed[ident]

    @rule()
    def collect_events(self) -> None:
        """The outbox hands out exactly the committed events, in order, once."""
        _equal(self.outbox, self.uow.collect_events(), "events")
        self.outbox = []

    # -- invariants -----------------------------------------------------------------------

    @invariant()
    def the_unit_sees_its_view(self) -> None:
        """Iteration and count inside the unit match the model's view."""
        if self.view is None:
            return
        expected = [self.view[i] for i in sorted(self.view)]
        seen = list(self.uow.customers)
        _equal(expected, seen, "customers")
        _equal([c.version for c in expected], [c.version for c in seen], "versions")
        _equal(len(expected), self.uow.customers.count(), "count")

    def teardown(self) -> None:
        """Leave the unit if it is still open."""
        if self.view is not None:
            self.uow.__exit__(None, None, None)


def repository_state_machine(
    make_unit_of_work: Callable[[], UnitOfWork],
) -> type[RepositoryStateMachine]:
    """The state machine bound to a unit-of-work factory, ready for Hypothesis to run.

    Every unit the factory makes must share one storage. The machine empties
    it at the start of each run (removing every customer and draining the
    outbox), so a database file can serve many runs.

    >>> from hypothesis import settings
    >>> from hypothesis.stateful import run_state_machine_as_test
    >>> from crmcore.repository import InMemoryStore, InMemoryUnitOfWork
    >>> store = InMemoryStore()
    >>> machine = repository_state_machine(lambda: InMemoryUnitOfWork(store))
    >>> run_state_machine_as_test(machine, settings=settings(max_examples=5, deadline=None))
    """
    if not callable(make_unit_of_work):
        raise InvalidType("must be a callable returning a unit of work", path="$.make_unit_of_work")

    class Bound(RepositoryStateMachine):
        def __init__(self) -> None:
            super().__init__(make_unit_of_work)

    Bound.__name__ = Bound.__qualname__ = "RepositoryStateMachine"
    return Bound
