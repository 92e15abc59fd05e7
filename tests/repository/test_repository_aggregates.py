"""Tests for the repositories of every aggregate besides customers.

Orders, subscriptions, interactions, cases, reviews, surveys, loyalty accounts, leads and
opportunities. They live in `crmcore.repository._commerce`, `_service`, `_feedback`, `_loyalty` and
`_pipeline`, with the secondary indexes of `crmcore.repository._store` and `_memory`.

These tests exercise lookups and indexes on aggregates whose customers are not stored, so their
units do not check references (`unit`); `test_references.py` tests the checks.
"""

import threading
from datetime import UTC, datetime

import attrs
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from crmcore import CustomerId, Money, StaffId
from crmcore.commerce import Order, OrderId, OrderLine, OrderStatus, PaymentId, ProductId
from crmcore.customers import PersonName
from crmcore.errors import (
    ConcurrencyConflict,
    DuplicateKey,
    InvalidType,
    NotFound,
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
from crmcore.loyalty import LoyaltyAccount, LoyaltyAccountId, LoyaltyProgram, ProgramId, Tier
from crmcore.repository import (
    CASES,
    DEFAULT_SPECS,
    INTERACTIONS,
    LEADS,
    LOYALTY_ACCOUNTS,
    OPPORTUNITIES,
    ORDERS,
    REVIEWS,
    SUBSCRIPTIONS,
    SURVEYS,
    ActivityRepository,
    AggregateSpec,
    CampaignMemberRepository,
    CampaignRepository,
    CaseRepository,
    CustomerRepository,
    InMemoryStore,
    InMemoryUnitOfWork,
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
    ReviewRepository,
    Snapshot,
    StaffRepository,
    StoreRepository,
    SubscriptionRepository,
    SurveyRepository,
    TeamRepository,
    UnitOfWork,
    membership_key,
)
from crmcore.sales import STANDARD_PIPELINE, Lead, LeadId, LeadSource, Opportunity, OpportunityId
from crmcore.serialization import to_dict
from crmcore.service import CaseId
from crmcore.testing import strategies as crm

T0 = datetime(2026, 1, 5, 9, 0, tzinfo=UTC)
POOL = [CustomerId(f"c-{n}") for n in range(1, 4)]
FAST = settings(suppress_health_check=[HealthCheck.too_slow])

PORTS = {
    "customers": CustomerRepository,
    "orders": OrderRepository,
    "subscriptions": SubscriptionRepository,
    "interactions": InteractionRepository,
    "cases": CaseRepository,
    "reviews": ReviewRepository,
    "surveys": SurveyRepository,
    "loyalty_accounts": LoyaltyAccountRepository,
    "leads": LeadRepository,
    "opportunities": OpportunityRepository,
    "relationships": RelationshipRepository,
    "staff": StaffRepository,
    "teams": TeamRepository,
    "activities": ActivityRepository,
    "notes": NoteRepository,
    "privacy_requests": PrivacyRequestRepository,
    "products": ProductRepository,
    "price_books": PriceBookRepository,
    "quotes": QuoteRepository,
    "campaigns": CampaignRepository,
    "campaign_members": CampaignMemberRepository,
}
GENERATED = {
    "orders": crm.orders(customer_ids=POOL),
    "subscriptions": crm.subscriptions(customer_ids=POOL),
    "interactions": crm.interactions(customer_ids=POOL),
    "cases": crm.cases(customer_ids=POOL),
    "reviews": crm.reviews(customer_ids=POOL),
    "surveys": crm.survey_responses(customer_ids=POOL),
    "leads": crm.leads(customer_ids=POOL),
    "opportunities": crm.opportunities(customer_ids=POOL),
    "privacy_requests": crm.data_subject_requests(customer_ids=POOL),
    "quotes": crm.quotes(customer_ids=POOL),
}


def unit(store=None):
    """An in-memory unit of work that does not check references."""
    return InMemoryUnitOfWork(store, check_references=False)


def order(number, customer="c-1", price="10.00"):
    line = OrderLine(ProductId("sku-1"), 1, Money(price, "USD"), category="books")
    return Order.place(
        OrderId(f"o-{number:04d}"), customer_id=CustomerId(customer), lines=[line], at=T0
    )


def paid(found):
    """Paid and closed: the lifecycle status the status lookups below follow."""
    return found.record_payment(PaymentId("p-1"), found.balance_due, at=T0).close(at=T0)


def committed(uow, name, *aggregates):
    with uow:
        repository = getattr(uow, name)
        for aggregate in aggregates:
            repository.add(aggregate)
        uow.commit()
    uow.acknowledge(uow.collect_events())


def survey(cls, number, score, customer="c-1"):
    return cls.record(
        FeedbackId(f"f-{number}"), customer_id=CustomerId(customer), score=score, at=T0
    )


# -- registration ------------------------------------------------------------------------------


def test_default_specs_register_every_aggregate_under_its_property_name():
    """Each default spec is reachable as the unit-of-work property of the same name."""
    assert list(PORTS) == [spec.name for spec in DEFAULT_SPECS]
    uow = unit()
    for spec in DEFAULT_SPECS:
        repository = getattr(uow, spec.name)
        assert isinstance(repository, PORTS[spec.name])
        assert isinstance(repository, spec.repository_type)
        assert spec is repository.spec
        assert isinstance(vars(UnitOfWork)[spec.name], property)


@pytest.mark.parametrize("cls", [SurveyResponse, CsatResponse, NpsResponse, CesResponse])
def test_every_survey_class_reaches_the_survey_repository(cls):
    """repository() of the base class or of any variant is the `surveys` repository."""
    uow = unit()
    assert uow.surveys is uow.repository(cls)


def test_a_typed_property_needs_its_repository_class():
    """A store whose order spec names a plain repository, or has none, cannot serve `orders`."""
    plain = attrs.evolve(ORDERS, repository_type=StoreRepository)
    uow = unit(InMemoryStore(specs=[plain]))
    with pytest.raises(InvalidType) as raised:
        _ = uow.orders
    assert "$.repository_type" == raised.value.path
    assert "the store's order spec must name an OrderRepository" in str(raised.value)
    with pytest.raises(InvalidType) as missing:
        _ = uow.cases
    assert "$.aggregate_type" == missing.value.path


def test_a_class_belongs_to_one_spec_of_a_store():
    """A store refuses a spec for a class another spec keeps as a variant."""
    csat = AggregateSpec(name="csat", kind="csat", aggregate_type=CsatResponse, id_type=FeedbackId)
    with pytest.raises(ValidationError) as raised:
        InMemoryStore(specs=[SURVEYS, csat])
    assert "$.specs" == raised.value.path


@pytest.mark.parametrize(
    ("variants", "error", "path"),
    [
        ([CsatResponse, Order], InvalidType, "$.variants[1]"),
        ([CsatResponse, CsatResponse], ValidationError, "$.variants[1]"),
    ],
)
def test_variants_must_be_distinct_subclasses(variants, error, path):
    """Variants of a spec are distinct subclasses of its aggregate type."""
    with pytest.raises(error) as raised:
        attrs.evolve(SURVEYS, variants=variants)
    assert path == raised.value.path


def test_specs_name_their_indexes():
    """The specs declare the secondary indexes their lookups use."""
    assert {
        "orders": ("customer", "status", "payment_status", "fulfilment_status"),
        "subscriptions": ("customer", "plan", "status"),
        "interactions": ("customer", "case", "opportunity"),
        "cases": ("customer", "order", "assignee", "status"),
        "reviews": ("customer", "platform"),
        "surveys": ("customer", "case", "order", "survey"),
        "loyalty_accounts": ("customer", "program", "tier"),
        "leads": ("customer", "status", "source", "owner"),
        "opportunities": ("customer", "stage", "owner"),
    } == {
        spec.name: spec.index_names
        for spec in (
            ORDERS,
            SUBSCRIPTIONS,
            INTERACTIONS,
            CASES,
            REVIEWS,
            SURVEYS,
            LOYALTY_ACCOUNTS,
            LEADS,
            OPPORTUNITIES,
        )
    }
    assert ("membership",) == LOYALTY_ACCOUNTS.key_names


# -- documents ---------------------------------------------------------------------------------


@pytest.mark.parametrize("cls", [CsatResponse, NpsResponse, CesResponse])
def test_a_spec_with_variants_tags_its_documents(cls):
    """A survey document names its class, and comes back as that class."""
    answer = survey(cls, 1, 5).without_pending_events()
    document = SURVEYS.to_document(answer)
    assert cls.__name__ == document["type"]
    assert {"type": cls.__name__, **to_dict(answer)} == document
    back = SURVEYS.from_document(document)
    assert (cls, answer) == (type(back), back)


def test_a_spec_of_one_class_writes_plain_documents():
    """Documents of a spec without variants are what to_dict writes, so old rows stay readable."""
    placed = order(1).without_pending_events()
    assert to_dict(placed) == ORDERS.to_document(placed)
    assert placed == ORDERS.from_document(to_dict(placed))


@pytest.mark.parametrize(
    ("document", "error", "path"),
    [
        ({"type": "Review", "schema_version": 1}, ValidationError, "$.type"),
        ({"schema_version": 1}, ValidationError, "$.type"),
        ([], InvalidType, "$"),
    ],
)
def test_a_document_naming_no_variant_is_refused(document, error, path):
    """from_document() refuses a document whose type is not one of the spec's variants."""
    with pytest.raises(error) as raised:
        SURVEYS.from_document(document)
    assert path == raised.value.path


def test_a_malformed_survey_document_lists_its_problem():
    """A tagged document with a bad field raises ValidationError naming the field."""
    document = SURVEYS.to_document(survey(NpsResponse, 1, 9))
    document["score"] = 11
    with pytest.raises(ValidationError) as raised:
        SURVEYS.from_document(document)
    assert "$.score" in [problem.path for problem in raised.value.problems]


def test_documents_refuse_an_aggregate_of_another_spec():
    """to_document() of a review for the survey spec raises InvalidType."""
    review = Review.receive(ReviewId("r-1"), platform="google", rating=3, at=T0)
    with pytest.raises(InvalidType):
        SURVEYS.to_document(review)
    assert not SURVEYS.holds(review)
    assert REVIEWS.holds(review)


def test_a_subclass_of_a_variant_is_not_a_variant():
    """The survey repository refuses a class derived from a variant: it could not store it."""

    @attrs.frozen(slots=True, kw_only=True, repr=False)
    class PulseResponse(CsatResponse):
        pass

    uow = unit()
    with uow, pytest.raises(InvalidType):
        uow.surveys.add(survey(PulseResponse, 1, 3))


# -- lookups -----------------------------------------------------------------------------------


BAD_LOOKUPS = [
    ("orders", "for_customer", "c-1", InvalidType, "$.customer_id"),
    ("orders", "with_status", "shipped", ValidationError, "$.status"),
    ("subscriptions", "for_customer", None, InvalidType, "$.customer_id"),
    ("subscriptions", "for_plan", "plan-1", InvalidType, "$.plan_id"),
    ("subscriptions", "with_status", "paused", ValidationError, "$.status"),
    ("interactions", "for_case", "case-1", InvalidType, "$.case_id"),
    ("interactions", "for_opportunity", CaseId("case-1"), InvalidType, "$.opportunity_id"),
    ("cases", "for_order", "o-1", InvalidType, "$.order_id"),
    ("cases", "assigned_to", "agent-1", InvalidType, "$.staff_id"),
    ("cases", "with_status", "done", ValidationError, "$.status"),
    ("reviews", "for_customer", 7, InvalidType, "$.customer_id"),
    ("reviews", "on_platform", " ", ValidationError, "$.platform"),
    ("reviews", "on_platform", 3, InvalidType, "$.platform"),
    ("surveys", "for_case", OpportunityId("x"), InvalidType, "$.case_id"),
    ("surveys", "for_order", "o-1", InvalidType, "$.order_id"),
    ("surveys", "of_survey", "csi", ValidationError, "$.survey"),
    ("loyalty_accounts", "for_customer", "c-1", InvalidType, "$.customer_id"),
    ("loyalty_accounts", "for_program", "prog-1", InvalidType, "$.program_id"),
    ("loyalty_accounts", "in_tier", "Gold", ValidationError, "$.tier"),
    ("loyalty_accounts", "in_tier", 1, InvalidType, "$.tier"),
    ("leads", "with_status", "won", ValidationError, "$.status"),
    ("leads", "from_source", "tv", ValidationError, "$.source"),
    ("leads", "assigned_to", "agent-1", InvalidType, "$.staff_id"),
    ("opportunities", "in_stage", "Closed Won", ValidationError, "$.stage"),
    ("opportunities", "owned_by", CustomerId("c-1"), InvalidType, "$.staff_id"),
]


@pytest.mark.parametrize(("name", "method", "argument", "error", "path"), BAD_LOOKUPS)
def test_lookups_check_their_argument(name, method, argument, error, path):
    """A lookup with an argument of the wrong type or value raises, naming the argument."""
    uow = unit()
    with uow, pytest.raises(error) as raised:
        getattr(getattr(uow, name), method)(argument)
    assert path == raised.value.path


def test_find_by_index_checks_the_index_and_the_value():
    """find_by_index() refuses an index the spec does not declare and a value that is no str."""
    uow = unit()
    with uow:
        with pytest.raises(ValidationError) as unknown:
            uow.repository(Order).find_by_index("colour", "red")
        with pytest.raises(InvalidType) as not_text:
            uow.repository(Order).find_by_index("customer", CustomerId("c-1"))
    assert ("$.index", "$.value") == (unknown.value.path, not_text.value.path)


def test_lookups_accept_values_and_normalize_platforms():
    """Statuses and surveys may be given by value; a platform is normalized like a review's."""
    uow = unit()
    committed(uow, "orders", paid(order(1)), order(2))
    reviews = [
        Review.receive(ReviewId(f"r-{n}"), platform=platform, rating=4, at=T0)
        for n, platform in enumerate(["Google", "google ", "Tokopedia"])
    ]
    committed(uow, "reviews", *reviews)
    committed(uow, "surveys", survey(NpsResponse, 1, 9), survey(CsatResponse, 2, 4))
    with uow:
        assert uow.orders.with_status(OrderStatus.CLOSED) == uow.orders.with_status("closed")
        assert [OrderId("o-0001")] == [o.id for o in uow.orders.with_status("closed")]
        assert ["r-0", "r-1"] == [str(r.id) for r in uow.reviews.on_platform("  GOOGLE ")]
        assert [NpsResponse] == [type(s) for s in uow.surveys.of_survey("nps")]


def test_lookups_refuse_use_outside_the_block():
    """Every lookup raises UnitOfWorkError outside the unit's block."""
    uow = unit()
    calls = [
        lambda: uow.orders.for_customer(CustomerId("c-1")),
        lambda: uow.subscriptions.with_status("active"),
        lambda: uow.interactions.for_case(CaseId("case-1")),
        lambda: uow.cases.assigned_to(StaffId("agent-1")),
        lambda: uow.reviews.on_platform("google"),
        lambda: uow.surveys.of_survey("ces"),
        lambda: uow.loyalty_accounts.in_tier("gold"),
        lambda: uow.loyalty_accounts.get_by_membership(CustomerId("c-1"), ProgramId("p")),
        lambda: uow.leads.from_source("web"),
        lambda: uow.opportunities.in_stage("proposal"),
        lambda: uow.repository(Order).find_by_index("customer", "c-1"),
    ]
    for call in calls:
        with pytest.raises(UnitOfWorkError):
            call()


def test_a_unit_keeps_reading_the_index_of_its_snapshot():
    """Lookups read the unit's snapshot: another unit's commit shows only in a later block."""
    store = InMemoryStore()
    reader, writer = unit(store), unit(store)
    committed(writer, "orders", order(1), order(2))
    with reader:
        before = reader.orders.for_customer(CustomerId("c-1"))
        with writer:
            writer.orders.save(paid(writer.orders.get(OrderId("o-0001"))))
            writer.orders.add(order(3))
            writer.orders.remove(OrderId("o-0002"))
            writer.commit()
        assert before == reader.orders.for_customer(CustomerId("c-1"))
        assert [] == reader.orders.with_status("closed")
    with reader:
        assert ["o-0001", "o-0003"] == [str(o.id) for o in reader.orders.for_customer(POOL[0])]
        assert ["o-0001"] == [str(o.id) for o in reader.orders.with_status("closed")]


def test_a_failed_commit_leaves_the_indexes_unchanged():
    """A commit that conflicts applies none of its index changes."""
    store = InMemoryStore()
    first, second = unit(store), unit(store)
    committed(first, "orders", order(1))
    with first, second:
        first.orders.save(paid(first.orders.get(OrderId("o-0001"))))
        second.orders.save(second.orders.get(OrderId("o-0001")).cancel(at=T0))
        second.orders.add(order(2, customer="c-2"))
        first.commit()
        with pytest.raises(ConcurrencyConflict):
            second.commit()
    with first:
        assert [] == first.orders.with_status("cancelled")
        assert [] == first.orders.for_customer(CustomerId("c-2"))
        assert [OrderId("o-0001")] == [o.id for o in first.orders.with_status("closed")]


class ScanningStore(InMemoryStore):
    """The in-memory store with snapshots that keep the default, scanning find_all()."""

    def snapshot(self):
        return ScanningSnapshot(super().snapshot())


class ScanningSnapshot(Snapshot):
    def __init__(self, inner):
        self.inner = inner

    def get(self, spec, aggregate_id):
        return self.inner.get(spec, aggregate_id)

    def version(self, spec, aggregate_id):
        return self.inner.version(spec, aggregate_id)

    def page(self, spec, *, after, limit):
        return self.inner.page(spec, after=after, limit=limit)

    def count(self, spec):
        return self.inner.count(spec)

    def find(self, spec, key, value):
        return self.inner.find(spec, key, value)

    def close(self):
        self.inner.close()


def test_the_default_find_all_scans_every_page():
    """Snapshot.find_all() without an index finds the same orders as the in-memory index."""
    placed = [order(n, customer=f"c-{n % 7}") for n in range(1, 601)]
    placed = [paid(o) if n % 3 == 0 else o for n, o in enumerate(placed)]
    indexed, scanning = unit(), unit(ScanningStore())
    committed(indexed, "orders", *placed)
    committed(scanning, "orders", *placed)
    with indexed, scanning:
        for number in range(7):
            customer = CustomerId(f"c-{number}")
            expected = indexed.orders.for_customer(customer)
            assert expected == scanning.orders.for_customer(customer)
            assert 85 <= len(expected) <= 86
        assert indexed.orders.with_status("closed") == scanning.orders.with_status("closed")
        assert 200 == len(scanning.orders.with_status("closed"))


def test_threads_adding_orders_for_one_customer_lose_none():
    """Threads adding and paying orders concurrently: the lookups count every one of them."""
    store = InMemoryStore()
    failures = []
    start = threading.Barrier(4)

    def work(thread):
        uow = unit(store)
        try:
            start.wait()
            for number in range(25):
                ident = thread * 100 + number
                with uow:
                    uow.orders.add(order(ident))
                    uow.commit()
                while True:
                    try:
                        with uow:
                            found = uow.orders.get(OrderId(f"o-{ident:04d}"))
                            uow.orders.save(paid(found))
                            uow.commit()
                        break
                    except ConcurrencyConflict:  # pragma: no cover - no other unit saves it
                        continue
        except BaseException as exc:  # noqa: BLE001 - re-raised in the main thread.
            failures.append(exc)

    threads = [threading.Thread(target=work, args=(n,)) for n in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert [] == failures
    uow = unit(store)
    with uow:
        assert 100 == len(uow.orders.for_customer(CustomerId("c-1")))
        assert 100 == len(uow.orders.with_status("closed"))
        assert [] == uow.orders.with_status("open")


# -- properties --------------------------------------------------------------------------------


@pytest.mark.slow
@pytest.mark.parametrize("name", list(GENERATED))
@FAST
@given(data=st.data())
def test_generated_aggregates_are_stored_and_found(name, data):
    """Stored aggregates come back equal, and each lookup by customer finds exactly its own."""
    aggregates = data.draw(st.lists(GENERATED[name], max_size=6, unique_by=lambda a: a.id))
    uow = unit()
    committed(uow, name, *aggregates)
    with uow:
        repository = getattr(uow, name)
        assert sorted(aggregates, key=lambda a: a.id) == list(repository)
        for aggregate in aggregates:
            assert aggregate == repository.get(aggregate.id)
        for customer in POOL:
            expected = sorted(
                (a for a in aggregates if a.customer_id == customer), key=lambda a: a.id
            )
            assert expected == repository.for_customer(customer)


@pytest.mark.parametrize("name", list(GENERATED))
@FAST
@given(data=st.data())
def test_saves_bump_the_version_and_stale_saves_conflict(name, data):
    """Each save stores version + 1; saving a stale copy, in the unit or at commit, conflicts."""
    aggregate = data.draw(GENERATED[name])
    store = InMemoryStore()
    uow, other = unit(store), unit(store)
    committed(uow, name, aggregate)
    with uow:
        repository = getattr(uow, name)
        loaded = repository.get(aggregate.id)
        saved = repository.save(loaded)
        assert (aggregate.version + 1, ()) == (saved.version, saved.pending_events)
        with pytest.raises(ConcurrencyConflict) as raised:
            repository.save(loaded)
        assert (aggregate.version, saved.version) == (
            raised.value.expected_version,
            raised.value.actual_version,
        )
        with other:
            getattr(other, name).save(getattr(other, name).get(aggregate.id))
            other.commit()
        with pytest.raises(ConcurrencyConflict):
            uow.commit()
    with uow:
        assert aggregate.version + 1 == getattr(uow, name).get(aggregate.id).version


# -- loyalty accounts, leads and opportunities -------------------------------------------------

POINTS = LoyaltyProgram(
    id=ProgramId("points"),
    name="Points",
    currency="IDR",
    tiers=[Tier.by_points("bronze", 0, below=100), Tier.by_points("silver", 100)],
)
COFFEE = attrs.evolve(POINTS, id=ProgramId("coffee"))


def account(number, customer="c-1", program=POINTS):
    return LoyaltyAccount.enroll(
        LoyaltyAccountId(f"la-{number}"), customer_id=CustomerId(customer), program=program, at=T0
    )


def test_a_customer_holds_one_account_per_program():
    """A second account of one customer in one program raises DuplicateKey; other programs are fine."""
    uow = unit()
    committed(uow, "loyalty_accounts", account(1), account(2, program=COFFEE))
    with uow:
        repository = uow.loyalty_accounts
        with pytest.raises(DuplicateKey) as raised:
            repository.add(account(3))
        assert ("membership", LoyaltyAccountId("la-1")) == (raised.value.key, raised.value.owner_id)
        assert "c-1" not in str(raised.value)
        repository.add(account(4, customer="c-2"))
        repository.save(
            repository.get(LoyaltyAccountId("la-1")).earn(150, POINTS, at=T0, reason="x")
        )
        repository.remove(LoyaltyAccountId("la-2"))
        repository.add(account(5, program=COFFEE))
        uow.commit()
    with uow:
        found = uow.loyalty_accounts.get_by_membership(CustomerId("c-1"), ProgramId("coffee"))
        assert LoyaltyAccountId("la-5") == found.id


def test_concurrent_units_cannot_both_enrol_a_customer_in_a_program():
    """Two units enrolling one customer in one program: the second commit raises DuplicateKey."""
    store = InMemoryStore()
    first, second = unit(store), unit(store)
    with first, second:
        first.loyalty_accounts.add(account(1))
        second.loyalty_accounts.add(account(2))
        first.commit()
        with pytest.raises(DuplicateKey):
            second.commit()
    with first:
        assert [LoyaltyAccountId("la-1")] == [a.id for a in first.loyalty_accounts]


def test_get_by_membership_checks_its_arguments_and_names_no_value():
    """A non-member raises NotFound without the ids; ids of the wrong class raise InvalidType."""
    uow = unit()
    committed(uow, "loyalty_accounts", account(1))
    with uow:
        with pytest.raises(NotFound) as missing:
            uow.loyalty_accounts.get_by_membership(CustomerId("c-9"), ProgramId("points"))
        with pytest.raises(InvalidType) as customer:
            uow.loyalty_accounts.get_by_membership("c-1", ProgramId("points"))
        with pytest.raises(InvalidType) as program:
            uow.loyalty_accounts.get_by_membership(CustomerId("c-1"), "points")
    assert "no loyalty account has this membership" == str(missing.value)
    assert ("$.customer_id", "$.program_id") == (customer.value.path, program.value.path)


SLASHED_IDS = st.text("ab/", min_size=1, max_size=4).map(lambda t: "x" + t)


@given(SLASHED_IDS, SLASHED_IDS, SLASHED_IDS, SLASHED_IDS)
def test_membership_keys_of_different_pairs_differ(program_a, customer_a, program_b, customer_b):
    """Two memberships share a key value only if they are the same pair, even with "/" in ids."""
    a = membership_key(ProgramId(program_a), CustomerId(customer_a))
    b = membership_key(ProgramId(program_b), CustomerId(customer_b))
    assert ((program_a, customer_a) == (program_b, customer_b)) == (a == b)


def test_loyalty_lookups_follow_the_stored_tier_and_program():
    """in_tier() reads the tier as saved; for_program() and for_customer() find the members."""
    uow = unit()
    committed(uow, "loyalty_accounts", account(1), account(2, "c-2"), account(3, program=COFFEE))
    with uow:
        repository = uow.loyalty_accounts
        upgraded = repository.get(LoyaltyAccountId("la-2")).earn(120, POINTS, at=T0, reason="x")
        repository.save(upgraded)
        assert ["la-2"] == [str(a.id) for a in repository.in_tier("silver")]
        assert ["la-1", "la-3"] == [str(a.id) for a in repository.in_tier("bronze")]
        assert ["la-1", "la-2"] == [str(a.id) for a in repository.for_program(ProgramId("points"))]
        assert ["la-1", "la-3"] == [str(a.id) for a in repository.for_customer(CustomerId("c-1"))]


def lead(number, source="web", owner=None):
    return Lead.capture(
        LeadId(f"lead-{number}"), name=PersonName("Sari"), source=source, at=T0, owner=owner
    )


def test_lead_lookups_find_statuses_sources_owners_and_conversions():
    """Leads are found by status and source (members or values), owner, and converted customer."""
    uow = unit()
    agent = StaffId("agent-1")
    converted = lead(3, "event").qualify(at=T0).convert(CustomerId("c-7"), at=T0).lead
    committed(uow, "leads", lead(1, owner=agent), lead(2, "referral").qualify(at=T0), converted)
    with uow:
        repository = uow.leads
        assert ["lead-2"] == [str(x.id) for x in repository.with_status("qualified")]
        assert repository.from_source(LeadSource.REFERRAL) == repository.from_source("referral")
        assert ["lead-2"] == [str(x.id) for x in repository.from_source("referral")]
        assert ["lead-1"] == [str(x.id) for x in repository.assigned_to(agent)]
        assert ["lead-3"] == [str(x.id) for x in repository.for_customer(CustomerId("c-7"))]
        repository.save(repository.get(LeadId("lead-1")).assign(None, at=T0))
        assert [] == repository.assigned_to(agent)


def deal(number, owner="agent-1", customer="c-1"):
    return Opportunity.open(
        OpportunityId(f"opp-{number}"),
        customer_id=CustomerId(customer),
        name="Fleet renewal",
        amount=Money("500.00", "USD"),
        expected_close=T0.date(),
        owner=StaffId(owner),
        pipeline=STANDARD_PIPELINE,
        at=T0,
    )


def test_opportunity_lookups_follow_stage_moves_and_owners():
    """in_stage() and owned_by() see the unit's own saves; for_customer() finds the deals."""
    uow = unit()
    committed(uow, "opportunities", deal(1), deal(2, "agent-2", "c-2"))
    with uow:
        repository = uow.opportunities
        moved = repository.get(OpportunityId("opp-1")).move_to("proposal", STANDARD_PIPELINE, at=T0)
        repository.save(moved)
        assert ["opp-2"] == [str(d.id) for d in repository.in_stage("prospecting")]
        assert ["opp-1"] == [str(d.id) for d in repository.in_stage("proposal")]
        assert ["opp-2"] == [str(d.id) for d in repository.owned_by(StaffId("agent-2"))]
        assert ["opp-1"] == [str(d.id) for d in repository.for_customer(CustomerId("c-1"))]
        assert [] == repository.in_stage("closed_won")


@FAST
@given(
    accounts=st.lists(
        crm.loyalty_accounts(customer_ids=POOL, max_steps=3),
        max_size=5,
        unique_by=(lambda a: a.id, lambda a: (a.program_id, a.customer_id)),
    )
)
@pytest.mark.slow
def test_generated_loyalty_accounts_are_found_by_membership(accounts):
    """Generated accounts of distinct memberships are stored, and each is found by its membership."""
    uow = unit()
    committed(uow, "loyalty_accounts", *accounts)
    with uow:
        repository = uow.loyalty_accounts
        for expected in accounts:
            assert expected == repository.get_by_membership(
                expected.customer_id, expected.program_id
            )
            assert expected in repository.in_tier(expected.tier)
            assert expected in repository.for_program(expected.program_id)
