"""The deterministic corpus: one valid value of (nearly) every public type.

Everything here is built through the public commands, so the corpus also
documents how each value comes about. The fuzz tests mix these values with
values drawn from :mod:`crmcore.testing.strategies`.
"""

from collections.abc import Mapping
from datetime import UTC, date, datetime, timedelta, timezone
from decimal import Decimal
from typing import Any

import attrs
from hypothesis import strategies as st

import crmcore
from crmcore import (
    Money,
    StaffId,
    access,
    activities,
    analytics,
    audit,
    automation,
    catalog,
    clv,
    commerce,
    customers,
    events,
    exchange,
    feedback,
    interactions,
    lifecycle,
    loyalty,
    marketing,
    merge,
    messaging,
    notes,
    plots,
    privacy,
    quotes,
    recommendations,
    repository,
    sales,
    scoring,
    segmentation,
    service,
    teams,
)
from crmcore.commerce import (
    Order,
    OrderId,
    OrderLine,
    PaymentId,
    Period,
    Plan,
    PlanId,
    ProductId,
    Subscription,
    SubscriptionId,
)
from crmcore.customers import (
    ConsentRecord,
    ContactPoint,
    Customer,
    CustomerId,
    OrganizationName,
    PersonName,
    PostalAddress,
    SurvivorshipRules,
    merge_customers,
    preview_merge,
)
from crmcore.errors import CrmcoreError
from crmcore.feedback import CesResponse, CsatResponse, FeedbackId, NpsResponse, Review, ReviewId
from crmcore.interactions import Interaction, InteractionId
from crmcore.lifecycle import CRM_STAGES, RELATIONSHIP_LADDER
from crmcore.loyalty import (
    BonusRule,
    EarnRate,
    LoyaltyAccount,
    LoyaltyAccountId,
    LoyaltyProgram,
    ProgramId,
    Reward,
    RewardId,
    Tier,
)
from crmcore.parties import InvolvedContact
from crmcore.sales import STANDARD_PIPELINE, BantScore, Lead, LeadId, OpportunityId
from crmcore.serialization import from_dict, to_dict
from crmcore.service import (
    BusinessCalendar,
    Case,
    CaseId,
    CasePriority,
    EscalationRule,
    SlaPolicy,
    SlaTarget,
)
from crmcore.testing import strategies as crm
from crmcore.testing.strategies import _teams as team_strategies

from ._fuzz import ROUND_TRIP_TYPES

# -- a deterministic corpus: one valid value of (nearly) every public type -------------------

WIB = timezone(timedelta(hours=7))
T0 = datetime(2024, 1, 8, 9, 0, tzinfo=WIB)
HOUR = timedelta(hours=1)
DAY = timedelta(days=1)
#: Generated histories end before this; commands happen at LATER.
BASE_END = datetime(2025, 1, 1, tzinfo=UTC)
LATER = datetime(2031, 6, 2, 9, 0, tzinfo=UTC)
CID = CustomerId("c-1")


def idr(amount: object) -> Money:
    return Money(amount, "IDR")


ADDRESS = PostalAddress(["Jl. Merdeka 1"], "ID", locality="Bandung", postal_code="40111")
EMAIL = ContactPoint("email", "ana@example.com", primary=True)
ANA = (
    Customer.register(
        CID,
        name=PersonName("Ana", family="Putri", preferred="Ani"),
        at=T0,
        birth_date=date(1992, 2, 29),
        addresses=[ADDRESS],
        preferred_language="id",
        attributes={"store": "BDG-01"},
        contact_points=[EMAIL, ContactPoint.phone("+62 812 3456 7890")],
        tags=["vip"],
    )
    .give_consent("email", "marketing", at=T0 + HOUR, source="signup")
    .withdraw_consent("email", "marketing", at=T0 + 2 * HOUR, source="unsubscribe")
    .give_consent("email", "service", at=T0 + 2 * HOUR, source="signup")
    .verify_contact_point("email", "ana@example.com", at=T0 + 3 * HOUR)
    .rename(PersonName("Ana", family="Putri"), at=T0 + 4 * HOUR)
    .set_attribute("tier", 3, at=T0 + 4 * HOUR)
    .remove_attribute("tier", at=T0 + 4 * HOUR)
    .add_tag("gold", at=T0 + 5 * HOUR)
    .remove_tag("gold", at=T0 + 5 * HOUR)
    .change_birth_date(date(1992, 3, 1), at=T0 + 5 * HOUR)
    .set_preferred_language("en", at=T0 + 5 * HOUR)
    .add_address(PostalAddress(["Jl. Asia Afrika 2"], "ID"), at=T0 + 5 * HOUR)
    .remove_address(PostalAddress(["Jl. Asia Afrika 2"], "ID"), at=T0 + 5 * HOUR)
    .add_contact_point(ContactPoint("email", "ana.work@example.com"), at=T0 + 5 * HOUR)
    .set_primary_contact_point("email", "ana.work@example.com", at=T0 + 5 * HOUR)
    .remove_contact_point("email", "ana.work@example.com", at=T0 + 5 * HOUR)
    .assign(StaffId("rep-1"), teams.TeamId("t-1"), at=T0 + 5 * HOUR)
)
ANA = RELATIONSHIP_LADDER.fire(ANA, "qualify", at=T0 + 6 * HOUR, actor="agent-7")
ORG = Customer.register(CustomerId("c-2"), name=OrganizationName("PT Kopi", trading="Kopi"), at=T0)
#: A second person, a duplicate of Ana to merge into her.
BUDI = Customer.register(CustomerId("c-9"), name=PersonName("Budi"), at=T0).add_tag(
    "vip", at=T0 + HOUR
)
MERGE_PREVIEW = preview_merge(ANA, BUDI, at=LATER)
MERGED = merge_customers(ANA, BUDI, at=LATER, actor="ops-1")

TEA = OrderLine(ProductId("tea"), 2, idr(50_000), category="tea")
CAKE = OrderLine(ProductId("cake"), 1, idr(30_000), category="cake", discount=idr(5000))
ORDER = (
    Order.place(OrderId("o-1"), customer_id=CID, lines=[TEA, CAKE], at=T0 + DAY)
    .record_failed_payment(
        PaymentId("p-0"), idr(125_000), at=T0 + DAY, method="card", reason="card_declined"
    )
    .record_payment(PaymentId("p-1"), idr(125_000), at=T0 + DAY + HOUR, method="card")
    .fulfil(at=T0 + 2 * DAY)
    .return_items({0: 1}, at=T0 + 3 * DAY, refund=idr(50_000), reason="broken")
    .refund(idr(1000), at=T0 + 3 * DAY, reason="goodwill")
)
PLACED = Order.place(OrderId("o-2"), customer_id=CID, lines=[TEA], at=T0 + DAY)
# Cash on delivery: shipped in two parts, delivered, paid at the door, closed and reopened.
CASH_ON_DELIVERY = (
    Order.place(OrderId("o-3"), customer_id=CID, lines=[TEA, CAKE], at=T0 + DAY)
    .ship({0: 1}, at=T0 + DAY + HOUR)
    .ship(at=T0 + 2 * DAY)
    .deliver(at=T0 + 3 * DAY)
    .record_payment(PaymentId("p-3"), idr(125_000), at=T0 + 3 * DAY, method="cash")
    .close(at=T0 + 4 * DAY)
    .reopen(at=T0 + 5 * DAY)
)
# A parcel refused at the door: shipped, returned to the sender, then the order cancelled.
REFUSED_AT_THE_DOOR = (
    Order.place(OrderId("o-4"), customer_id=CID, lines=[TEA], at=T0 + DAY)
    .ship(at=T0 + DAY + HOUR)
    .return_to_sender(at=T0 + 3 * DAY)
    .cancel(at=T0 + 3 * DAY, reason="refused at the door")
)
CANCELLED = PLACED.cancel(at=T0 + 2 * DAY, reason="changed mind")

PLAN = Plan(
    id=PlanId("monthly"),
    name="Monthly",
    price=idr(99_000),
    period=Period.months(1),
    product_type="data",
    trial=Period.days(7),
)
SUBSCRIPTION = (
    Subscription.start(
        SubscriptionId("s-1"), customer_id=CID, plan=PLAN, at=T0, periods=12, grace_days=3
    )
    .record_payment(PaymentId("sp-1"), idr(99_000), at=T0 + 8 * DAY, method="card")
    .record_failed_payment(
        PaymentId("sp-2"), idr(99_000), at=T0 + 38 * DAY, reason="insufficient_funds"
    )
    .refresh(at=T0 + 45 * DAY)
    .cancel(at=T0 + 46 * DAY, reason="too pricey")
    .resume(at=T0 + 47 * DAY)
    .renew(at=T0 + 48 * DAY, periods=2)
)
EXPIRED = Subscription.start(
    SubscriptionId("s-2"), customer_id=CID, plan=PLAN, at=T0, periods=1
).refresh(at=T0 + 400 * DAY)

CALENDAR = BusinessCalendar.standard(["09:00-17:00"], time_zone=WIB, holidays=[date(2024, 1, 10)])
POLICY = SlaPolicy(
    "standard",
    CALENDAR,
    [SlaTarget(p, 60, 480) for p in CasePriority],
    [EscalationRule(name="lead", metric="resolution", level=1, percent=80, notify_role="lead")],
)
OPEN_CASE = Case.open(
    CaseId("k-1"),
    customer_id=CID,
    kind="complaint",
    subject="Late delivery",
    channel="email",
    at=T0 + DAY,
    description="Parcel arrived late",
    order_id=OrderId("o-1"),
)
CASE = service.escalate_due(
    OPEN_CASE.assign(StaffId("agent-1"), at=T0 + DAY + HOUR)
    .respond(at=T0 + DAY + 2 * HOUR)
    .change_priority("high", at=T0 + DAY + 2 * HOUR),
    POLICY,
    at=T0 + 5 * DAY,
)
CLOSED_CASE = (
    CASE.wait_on_customer(at=T0 + 5 * DAY, reason="asked for a photo")
    .resolve(at=T0 + 6 * DAY, reason="refunded")
    .reopen(at=T0 + 6 * DAY, reason="still broken")
    .resolve(at=T0 + 7 * DAY)
    .close(at=T0 + 8 * DAY)
)
ESCALATION = CASE.escalations[0]
SLA_STATUS = service.sla_status(CLOSED_CASE, POLICY, at=T0 + 9 * DAY)

INTERACTION = Interaction.log(
    InteractionId("i-1"),
    customer_id=CID,
    kind="call",
    channel="phone",
    direction="inbound",
    at=T0 + DAY,
    subject="Where is my parcel",
    notes="Customer upset",
    staff_id=StaffId("agent-1"),
    duration=timedelta(minutes=5),
).link(at=T0 + DAY, case_id=CaseId("k-1"))

REVIEW = Review.receive(
    ReviewId("r-1"),
    platform="google",
    rating=1,
    at=T0 + 2 * DAY,
    text="Terrible service",
    author_name="Ana P",
    url="https://example.com/r/1",
    customer_id=CID,
)
ANSWERED = REVIEW.answer(at=T0 + 3 * DAY)
CARE = ContactPoint("email", "care@example.com")
RESPONSE_PLAN = feedback.response_plan(
    REVIEW,
    customer_name=PersonName("Ana"),
    service_standard="We deliver within two days.",
    compensation="a free coffee",
    offline_contact=CARE,
)
NPS = NpsResponse.record(
    FeedbackId("f-1"),
    customer_id=CID,
    score=9,
    at=T0 + DAY,
    comment="great",
    order_id=OrderId("o-1"),
)
CSAT = CsatResponse.record(
    FeedbackId("f-2"), customer_id=CID, score=4, at=T0 + DAY, case_id=CaseId("k-1")
)
CES = CesResponse.record(FeedbackId("f-3"), customer_id=CID, score=2, at=T0 + DAY)

PROGRAM = LoyaltyProgram(
    id=ProgramId("points"),
    name="Kopi Points",
    currency="IDR",
    earn_rate=EarnRate(1, idr(10_000)),
    tiers=[
        Tier.by_points("bronze", 0, below=100),
        Tier.by_points("silver", 100, below=300, multiplier=2),
        Tier.by_points("gold", 300, multiplier=3),
    ],
    points_per_order=5,
    bonuses=[
        BonusRule(code="bday", kind="birthday_month", multiplier=2),
        BonusRule(
            code="promo", kind="campaign", extra_points=10, starts_at=T0, ends_at=T0 + 30 * DAY
        ),
    ],
    expiry=Period.days(30),
    tier_window=Period.days(60),
    downgrade_grace=Period.days(10),
    rewards=[
        Reward(id=RewardId("coffee"), name="Free coffee", points_cost=40, stock=5),
        Reward(id=RewardId("lounge"), name="Lounge", points_cost=10, min_tier="gold"),
    ],
)
SPEND_PROGRAM = LoyaltyProgram(
    id=ProgramId("spend"),
    name="Spend",
    currency="IDR",
    earn_rate=EarnRate(1, idr(10_000)),
    tiers=[
        Tier.by_spend("bronze", idr(0), below=idr(1_000_000)),
        Tier.by_spend("gold", idr(1_000_000), multiplier="1.5"),
    ],
    tier_window=Period.months(12),
)
ACCOUNT = (
    LoyaltyAccount.enroll(LoyaltyAccountId("la-1"), customer_id=CID, program=PROGRAM, at=T0)
    .earn_for_order(ORDER, PROGRAM, at=T0 + 2 * DAY, birth_date=date(1992, 2, 29))
    .earn(200, PROGRAM, at=T0 + 3 * DAY, reason="welcome")
    .redeem_reward(RewardId("coffee"), PROGRAM, at=T0 + 4 * DAY)
    .redeem(5, at=T0 + 4 * DAY, reason="misc")
    .adjust(-3, at=T0 + 4 * DAY, reason="correction")
    .evaluate_tier(PROGRAM, at=T0 + 5 * DAY)
    .change_tier("gold", PROGRAM, at=T0 + 5 * DAY, reason="vip")
)
LAPSED_ACCOUNT = ACCOUNT.expire_due(at=T0 + 60 * DAY)
SPEND_ACCOUNT = LoyaltyAccount.enroll(
    LoyaltyAccountId("la-2"), customer_id=CID, program=SPEND_PROGRAM, at=T0
).evaluate_tier(SPEND_PROGRAM, at=T0 + DAY, qualifying_spend=idr(2_000_000))

PIPELINE = STANDARD_PIPELINE
LEAD = (
    Lead.capture(
        LeadId("l-1"),
        name=PersonName("Budi"),
        source="web",
        at=T0,
        contact_points=[ContactPoint("email", "budi@example.com")],
        interest="coffee machines",
        campaign="ramadan",
        owner=StaffId("rep-1"),
    )
    .contact(at=T0 + HOUR)
    .rescore(BantScore(True, True, True, False), at=T0 + HOUR)
    .assign(StaffId("rep-2"), at=T0 + HOUR)
    .give_consent("email", "marketing", at=T0 + HOUR, source="web-form")
    .qualify(at=T0 + 2 * HOUR, score=BantScore(True, True, True, True))
)
RECYCLED_LEAD = (
    Lead.capture(
        LeadId("l-2"), name=OrganizationName("PT Teh"), source="referral", at=T0, referred_by=CID
    )
    .disqualify(at=T0 + HOUR, reason="no budget")
    .recycle(at=T0 + 2 * HOUR)
)
CONVERSION = LEAD.convert(
    CustomerId("c-3"),
    at=T0 + 3 * HOUR,
    opportunity_id=OpportunityId("opp-1"),
    pipeline=PIPELINE,
    amount=idr(45_000_000),
    expected_close=date(2024, 3, 1),
    opportunity_name="Machines",
    owner=StaffId("rep-1"),
)
assert CONVERSION.opportunity is not None
OPPORTUNITY = (
    CONVERSION.opportunity.move_to("qualification", PIPELINE, at=T0 + DAY, reason="fit")
    .change_amount(idr(50_000_000), at=T0 + DAY)
    .change_expected_close(date(2024, 4, 1), at=T0 + DAY)
    .assign(StaffId("rep-2"), at=T0 + DAY)
    .set_next_step("Send quote", at=T0 + DAY, due=date(2024, 1, 20))
)
LOST = OPPORTUNITY.lose(PIPELINE, at=T0 + 2 * DAY, reason="price")
RESTORED = LOST.reopen(PIPELINE, at=T0 + 3 * DAY)
WON = OPPORTUNITY.win(PIPELINE, at=T0 + 4 * DAY, reason="signed")
FORECAST = sales.pipeline_forecast([OPPORTUNITY, WON, RESTORED], PIPELINE)

CORPUS_ROOTS: tuple[object, ...] = (
    ANA,
    ORG,
    ORDER,
    CANCELLED,
    CASH_ON_DELIVERY,
    REFUSED_AT_THE_DOOR,
    SUBSCRIPTION,
    EXPIRED,
    SUBSCRIPTION.cancel(at=T0 + 50 * DAY, immediately=True),
    EXPIRED.payment_history(at=LATER),
    CASE,
    CLOSED_CASE,
    POLICY,
    PIPELINE,
    SLA_STATUS,
    INTERACTION,
    ANSWERED,
    RESPONSE_PLAN,
    NPS,
    CSAT,
    CES,
    feedback.nps_breakdown([NPS, 3, 8]),
    PROGRAM,
    PROGRAM.points_for(idr(100_000), placed_at=T0),
    SPEND_PROGRAM,
    ACCOUNT,
    ACCOUNT.lots(at=T0 + 5 * DAY),
    ACCOUNT.totals(),
    LAPSED_ACCOUNT,
    SPEND_ACCOUNT,
    LEAD,
    RECYCLED_LEAD,
    CONVERSION,
    LOST,
    RESTORED,
    WON,
    FORECAST,
    ANA.consent_decision("email", "service", at=LATER),
    crmcore.currency("IDR"),
    interactions.timeline(CID, ORDER, CASE, INTERACTION, SUBSCRIPTION),
)


def harvest(roots: tuple[object, ...]) -> dict[type, object]:
    """The first value of each attrs type found anywhere under ``roots``."""
    found: dict[type, object] = {}
    stack = list(roots)
    seen: set[int] = set()
    while stack:
        obj = stack.pop()
        if id(obj) in seen:
            continue
        seen.add(id(obj))
        if attrs.has(type(obj)):
            found.setdefault(type(obj), obj)
            stack.extend(getattr(obj, a.name) for a in attrs.fields(type(obj)))
        elif isinstance(obj, (tuple, list, frozenset, set)):
            stack.extend(obj)
        elif isinstance(obj, Mapping):
            stack.extend(obj.keys())
            stack.extend(obj.values())
    return found


def _samples() -> dict[type, object]:
    """Samples of every attrs type; abstract bases are built from a subclass's fields."""
    # Private helpers reached through a public type's fields (an index, say) are no samples.
    found = {t: v for t, v in harvest(CORPUS_ROOTS).items() if not t.__name__.startswith("_")}
    for cls in public_attrs_types():
        if cls in found:
            continue
        donor = next((v for t, v in found.items() if issubclass(t, cls)), None)
        if donor is not None:
            names = {a.name for a in attrs.fields(cls) if a.init}
            fields = attrs.fields(type(donor))
            kwargs = {a.alias: getattr(donor, a.name) for a in fields if a.name in names}
            try:
                found[cls] = cls(**kwargs)
            except CrmcoreError:  # an abstract base that refuses direct use
                continue
    return found


#: The public modules whose ``__all__`` the fuzz tables are checked against.
FUZZED_MODULES = (
    crmcore,
    customers,
    interactions,
    commerce,
    service,
    feedback,
    loyalty,
    sales,
    teams,
    lifecycle,
    clv,
    segmentation,
    analytics,
    events,
    merge,
    activities,
    notes,
    messaging,
    automation,
    privacy,
    access,
    audit,
    catalog,
    quotes,
    exchange,
    scoring,
    marketing,
    recommendations,
    plots,
)


def public_attrs_types() -> list[type]:
    """Every attrs class exported by a public crmcore package (the repository's too)."""
    out: list[type] = []
    for module in (*FUZZED_MODULES, repository):
        for name in module.__all__:
            obj = getattr(module, name)
            if isinstance(obj, type) and attrs.has(obj) and obj not in out:
                out.append(obj)
    return out


# -- strategies of subjects, mixed with the corpus ------------------------------------------


def either(corpus: object, strategy: st.SearchStrategy[Any]) -> st.SearchStrategy[Any]:
    return st.one_of(st.just(corpus), strategy)


CUSTOMERS = either(
    ANA, crm.customers(max_contact_points=2, max_consents=2, max_tags=2, max_created_at=BASE_END)
)
ORDERS = either(ORDER, crm.orders(max_lines=2, max_steps=3, max_created_at=BASE_END))
CASES = either(CASE, crm.cases(max_steps=3, max_created_at=BASE_END))
SUBSCRIPTIONS = either(SUBSCRIPTION, crm.subscriptions(max_steps=3, max_created_at=BASE_END))
INTERACTIONS = either(INTERACTION, crm.interactions(max_created_at=BASE_END))
REVIEWS = either(REVIEW, crm.reviews(max_created_at=BASE_END))
SURVEYS = either(NPS, crm.survey_responses(max_created_at=BASE_END))
CALENDARS = either(CALENDAR, crm.business_calendars(max_holidays=2))
POLICIES = either(POLICY, crm.sla_policies(max_rules=2))
MONEYS = either(idr(125_000), crm.moneys())
PROGRAMS = st.sampled_from([PROGRAM, SPEND_PROGRAM])
ACCOUNTS = st.sampled_from([ACCOUNT, LAPSED_ACCOUNT, SPEND_ACCOUNT])
LEADS = st.sampled_from([LEAD, RECYCLED_LEAD])
OPPORTUNITIES = st.sampled_from([OPPORTUNITY, LOST, WON])
PIPELINES = st.just(PIPELINE)
DEFINITIONS = either(RELATIONSHIP_LADDER, crm.lifecycle_definitions(max_states=4))


def first_point(customer: Customer) -> ContactPoint:
    return customer.contact_points[0] if customer.contact_points else EMAIL


def money_like(amount: object, like: Money) -> Money:
    return Money(amount, like.currency)


def order_money(order: Order) -> Money:
    return order.lines[0].unit_price


def sub_money(subscription: Subscription) -> Money:
    return subscription.plan.price


CONSENT = ConsentRecord("email", "marketing", "granted", LATER, "form")
LATER_CP = ContactPoint("sms", "+6281234567890")

# -- lifecycles ------------------------------------------------------------------------------

FACTS = lifecycle.Facts(
    purchase_count=3,
    first_purchase_at=T0,
    last_purchase_at=T0 + 30 * DAY,
    total_spend=idr(500_000),
    qualified=True,
    referrals=1,
)
POLICY_LADDER = lifecycle.ProgressionPolicy(client_spend=idr(100_000))
PROGRESSION_ROW = lifecycle.ProgressionRow.of(ANA, FACTS)
PLANNED = lifecycle.plan_progression([PROGRESSION_ROW], at=LATER, policy=POLICY_LADDER)
STAGE_CHANGES = ANA.lifecycle_of(RELATIONSHIP_LADDER).history  # type: ignore[union-attr]
FUNNEL = lifecycle.funnel([ANA, ORG], RELATIONSHIP_LADDER, start=T0, end=LATER)
DISTRIBUTION = lifecycle.stage_distribution([ANA, ORG], RELATIONSHIP_LADDER, at=LATER)
STANDARD_DEFINITIONS = st.sampled_from([RELATIONSHIP_LADDER, CRM_STAGES])


def first_trigger(definition: lifecycle.LifecycleDefinition) -> str:
    allowed = definition.allowed_triggers(ANA)
    return allowed[0] if allowed else definition.triggers[0]


# -- lifetime value --------------------------------------------------------------------------

FREQUENCY = [0, 1, 2, 3, 0, 5, 1]
RECENCY = [0.0, 3.0, 10.0, 20.0, 0.0, 28.0, 7.0]
AGE = [30.0, 30.0, 30.0, 32.0, 25.0, 30.0, 40.0]
#: Histories the fuzzed fits start from: every model has an interior optimum here, so
#: a junk ``max_iterations`` cannot walk Pareto/NBD into its slow far-out region (about
#: 26 ms per evaluation at r ~ 1e7 on seven rows, filed under the CLV depth issue).
FIT_FREQUENCY = [*FREQUENCY, 0, 2, 7]
FIT_RECENCY = [*RECENCY, 0.0, 25.0, 29.0]
FIT_AGE = [*AGE, 35.0, 38.0, 31.0]
SPEND = [0.0, 20.0, 35.5, 12.0, 0.0, 50.0, 8.0]
BG_PARAMS = {"r": 0.243, "alpha": 4.414, "a": 0.793, "b": 2.426}
MODELS = {
    "BetaGeo": clv.BetaGeo(params=BG_PARAMS),
    "ModifiedBetaGeo": clv.ModifiedBetaGeo(params=BG_PARAMS),
    "ParetoNBD": clv.ParetoNBD(params={"r": 0.55, "alpha": 10.58, "s": 0.61, "beta": 11.66}),
}
BGBB = clv.BetaGeoBetaBinom(params={"alpha": 1.204, "beta": 0.750, "gamma": 0.657, "delta": 2.783})
GAMMA = clv.GammaGamma(params={"p": 6.25, "q": 3.74, "v": 15.44})
SBG = clv.ShiftedBetaGeometric(params={"alpha": 0.668, "beta": 3.806})
PURCHASES = [
    ("ana", T0, Decimal("40.00")),
    ("ana", T0 + 3 * DAY, Decimal("30.00")),
    ("ana", T0 + 10 * DAY, "20"),
    ("ben", T0 + 8 * DAY, Decimal("15.00")),
    ("ben", T0 + 9 * DAY, Decimal("-5.00")),
]
SUMMARY_END = T0 + 20 * DAY
SUMMARY_TABLE = clv.summarize(PURCHASES, period="day", observation_end=SUMMARY_END)
SUMMARY_ROWS = [
    ("ana", 2818, Decimal("40.00"), Decimal(0)),
    ("ana", 2819, Decimal("30.00"), Decimal(0)),
    ("ben", 2819, None, Decimal("-5.00")),
]


def accumulator() -> clv.SummaryAccumulator:
    acc = clv.SummaryAccumulator(period="day", tz=UTC)
    acc.extend(PURCHASES)
    return acc


# -- segmentation ----------------------------------------------------------------------------

RULE = segmentation.all_of(
    segmentation.field("orders_count") >= 2,
    segmentation.field("tags").has("vip"),
    segmentation.not_(segmentation.field("email").is_empty()),
)
RULES = st.sampled_from(
    [
        RULE,
        segmentation.any_of(
            segmentation.field("stage") == "client", segmentation.field("age") < 30
        ),
        segmentation.not_(segmentation.field("tags").has_any(["vip", "gold"])),
        segmentation.field("last_purchase_at").within_last(days=30),
        segmentation.field("clv") >= idr(1_000_000),
        segmentation.field("birth_date").birthday_within(days=7),
    ]
)
RFM_VALUES = [
    segmentation.RfmValues(f"c-{i}", 10 * i, 6 - i, Money(100 * (6 - i), "USD"))
    for i in range(1, 6)
]
RFM_SCORES = segmentation.score_rfm(RFM_VALUES)
CLV_VALUES = {f"c-{i}": idr(i * 100_000) for i in range(1, 11)}
SNAPSHOT = segmentation.snapshot(ANA, at=LATER, facts={"orders_count": 3, "clv": idr(2_000_000)})
SEGMENT_ID = segmentation.SegmentId("repeat")
DYNAMIC = segmentation.DynamicSegment(SEGMENT_ID, "Repeat buyers", RULE)
STATIC = segmentation.StaticSegment(segmentation.SegmentId("vips"), "VIPs", [CID])
FROZEN_SEGMENT = DYNAMIC.freeze({CID: SNAPSHOT}, at=LATER)
POPULATION = {CID: SNAPSHOT, CustomerId("c-2"): {"orders_count": 1}}
ORDER_TUPLES = [
    ("ana", T0, idr(120_000), [("tea", "tea", 2)]),
    ("budi", T0 + 15 * DAY, idr(45_000), [("cake", "cake", 1)]),
    ("ana", T0 + 40 * DAY, idr(80_000), [("tea", "tea", 1), ("cake", "cake", 1)]),
    ("citra", T0 + 45 * DAY, idr(300_000), [("oolong", "tea", 3)]),
]
FIELD = segmentation.field("attributes.score")
TRANSITIONS = [
    ("ana", None, "prospect", T0),
    ("ana", "prospect", "first_time_customer", T0 + DAY),
    ("budi", None, "prospect", T0 + DAY),
]


EXPLANATION = RULE.explain(SNAPSHOT, at=LATER)
COHORTS = analytics.cohort_retention(ORDER_TUPLES)
EXPIRING_CONSENT = ConsentRecord("email", "marketing", "granted", T0, "form", expires_at=LATER)


def _repointed(record: Any) -> Any:
    """The record moved from the customer it names to another (a merge's re-pointing)."""
    previous = getattr(record, "customer_id", None) or record.referred_by
    return record.repoint_customer(previous, CustomerId("c-77"), at=LATER)


#: Two duplicates in an open unit of work, merged there (never committed).
_MERGED_UOW = repository.InMemoryUnitOfWork()
with _MERGED_UOW:
    for _number in (1, 2):
        _MERGED_UOW.customers.add(
            Customer.register(CustomerId(f"d-{_number}"), name=PersonName("Dewi"), at=T0)
        )
    _MERGED_UOW.orders.add(
        Order.place(OrderId("o-d2"), customer_id=CustomerId("d-2"), lines=[TEA], at=T0 + HOUR)
    )
    _MERGE_PREVIEW = merge.preview_customer_merge(
        _MERGED_UOW, CustomerId("d-1"), CustomerId("d-2"), at=LATER
    )
    _MERGE_RESULT = merge.apply_merge(_MERGED_UOW, _MERGE_PREVIEW, actor="ops-1")

CORPUS_ROOTS += (
    _MERGE_PREVIEW,
    _MERGE_RESULT,
    *(
        _repointed(record)
        for record in (ORDER, SUBSCRIPTION, CASE, INTERACTION, REVIEW, NPS, ACCOUNT, OPPORTUNITY)
    ),
    _repointed(RECYCLED_LEAD),
    SUBSCRIPTION.assign(StaffId("rep-3"), teams.TeamId("t-3"), at=LATER),
    ACCOUNT.close(at=LATER, reason="member_request"),
    repository.UniquenessPolicy(email="shared"),
    MERGE_PREVIEW,
    *MERGED,
    SurvivorshipRules(name="most_recent", addresses="union"),
    OPPORTUNITY.change_contacts(
        [InvolvedContact(CustomerId("ana"), "decision_maker", primary=True)], at=T0 + DAY
    ),
    CASE.change_contacts([InvolvedContact(CustomerId("ana"), "reporter", primary=True)], at=LATER),
    analytics.hierarchy_rollup(
        [CID],
        orders=[ORDER],
        opportunities=[OPPORTUNITY],
        pipeline=PIPELINE,
        cases=[CASE],
        clv={CID: idr(1_000_000)},
        at=LATER,
    ),
    FACTS,
    POLICY_LADDER,
    FUNNEL,
    DISTRIBUTION,
    RELATIONSHIP_LADDER,
    lifecycle.progression_steps(ANA, FACTS, at=LATER, policy=POLICY_LADDER),
    PLANNED,
    tuple(MODELS.values()),
    BGBB,
    GAMMA,
    SBG,
    SUMMARY_TABLE["ana"],
    accumulator().state("ana"),
    clv.formula_clv(idr(275_000), purchases_per_year=24, retention_years=3),
    RULE,
    segmentation.any_of(RULE, FIELD < 3),
    RULE.explain(SNAPSHOT, at=LATER),
    clv.BetaGeo().fit(FREQUENCY, RECENCY, AGE, max_iterations=5, require_convergence=False),
    repository.ChangeSet(
        changes=(repository.Change(repository.CUSTOMERS, CID, None, ANA),),
        events=ANA.pending_events[:2],
    ),
    segmentation.field("x").within_last(days=3),
    segmentation.SNAPSHOT_FIELDS["orders_count"],
    RFM_SCORES,
    RFM_VALUES,
    segmentation.summarize_segments(RFM_SCORES),
    DYNAMIC,
    STATIC,
    FROZEN_SEGMENT,
    segmentation.membership_change(SEGMENT_ID, [CID], ["c-2"]),
    segmentation.membership_change(SEGMENT_ID, [CID], ["c-2"]).events(at=LATER),
    analytics.purchase_summary(ORDER_TUPLES),
    analytics.top_products(ORDER_TUPLES),
    analytics.retention_by_period(ORDER_TUPLES),
    COHORTS,
    analytics.nps([10, 3]),
    analytics.csat([5, 1]),
    analytics.stage_conversion(TRANSITIONS),
    analytics.campaign_response([("ana", "x")], [("ana", "x")]),
)
# -- teams --------------------------------------------------------------------------------
TEAMS_STAFF = teams.StaffMember.register(
    StaffId("s-rina"), display_name="Rina", roles=["sales_rep"], at=T0
)
TEAMS_OFF = teams.StaffMember.register(StaffId("s-off"), display_name="Budi", at=T0).deactivate(
    at=T0
)
TEAMS_TEAM = teams.Team.form(
    teams.TeamId("t-1"),
    name="Jakarta",
    members=[TEAMS_STAFF.id, TEAMS_OFF.id],
    manager_id=StaffId("s-boss"),
    at=T0,
)
TEAMS_TERRITORY = teams.Territory(
    id=teams.TerritoryId("west-java"),
    name="West Java",
    countries=["ID"],
    regions=["Jawa Barat"],
    postal_prefixes=["40"],
    industries=["retail"],
    sizes=[teams.SizeBand(10, 99)],
)
TEAMS_TERRITORIES = teams.TerritorySet(
    [TEAMS_TERRITORY, teams.Territory(id=teams.TerritoryId("world"), name="World")]
)
TEAMS_FACTS = teams.PartyFacts(
    country="ID", region="Jawa Barat", postal_code="40111", industry="retail", employee_count=50
)
TEAMS_RULE = teams.AssignmentRule(
    territories=TEAMS_TERRITORIES,
    routes=[teams.TerritoryRoute(territory_id=TEAMS_TERRITORY.id, team_id=TEAMS_TEAM.id)],
    fallback=teams.Pool(staff_ids=[TEAMS_STAFF.id]),
)
TEAMS_ASSIGNMENT = teams.assign(
    TEAMS_RULE, staff=[TEAMS_STAFF, TEAMS_OFF], teams=[TEAMS_TEAM], party=TEAMS_FACTS
)
STAFF_MEMBERS = either(TEAMS_STAFF, team_strategies.staff_members(max_created_at=BASE_END))
TEAMS_TEAMS = either(TEAMS_TEAM, team_strategies.teams(max_created_at=BASE_END))

#: A member and a team that went through every command (so every event has a sample).
TEAMS_HISTORY = (
    TEAMS_STAFF.grant_role("team_lead", at=LATER)
    .revoke_role("team_lead", at=LATER)
    .rename("Rina P.", at=LATER)
    .deactivate(at=LATER)
    .reactivate(at=LATER),
    TEAMS_TEAM.add_member(StaffId("s-new"), at=LATER)
    .remove_member(TEAMS_OFF.id, at=LATER)
    .change_manager(TEAMS_STAFF.id, at=LATER)
    .rename("Jakarta enterprise", at=LATER),
)

CORPUS_ROOTS += (
    *TEAMS_HISTORY,
    TEAMS_STAFF,
    TEAMS_OFF,
    TEAMS_TEAM,
    TEAMS_TERRITORIES,
    TEAMS_FACTS,
    TEAMS_RULE,
    TEAMS_ASSIGNMENT,
    TEAMS_TERRITORIES.resolve(TEAMS_FACTS),
)

# The activity, note, messaging and automation packages keep their corpus in a module of its own.
from ._corpus_activities import CORPUS as ACTIVITY_CORPUS  # noqa: E402 - needs the times above.

CORPUS_ROOTS += ACTIVITY_CORPUS

# The privacy, access and audit capabilities keep their corpus in a module of its own.
from ._corpus_privacy import CORPUS as PRIVACY_CORPUS  # noqa: E402 - needs the values above.

CORPUS_ROOTS += PRIVACY_CORPUS

# The catalog keeps its corpus in a module of its own.
from ._corpus_catalog import CORPUS as CATALOG_CORPUS  # noqa: E402 - needs the values above.

CORPUS_ROOTS += CATALOG_CORPUS

# Quotes and exchange rates keep their corpus in modules of their own.
from ._corpus_exchange import CORPUS as EXCHANGE_CORPUS  # noqa: E402 - needs the values above.
from ._corpus_quotes import CORPUS as QUOTES_CORPUS  # noqa: E402 - needs the values above.

CORPUS_ROOTS += EXCHANGE_CORPUS
CORPUS_ROOTS += QUOTES_CORPUS

# Product profitability keeps its corpus in a module of its own.
from ._corpus_profit import CORPUS as PROFIT_CORPUS  # noqa: E402 - needs the values above.

CORPUS_ROOTS += PROFIT_CORPUS

# Opportunity line items keep their corpus in a module of their own.
from ._corpus_sales_lines import CORPUS as SALES_LINES_CORPUS  # noqa: E402 - needs the values above.

CORPUS_ROOTS += SALES_LINES_CORPUS

# Lead scoring keeps its corpus in a module of its own.
from ._corpus_scoring import CORPUS as SCORING_CORPUS  # noqa: E402 - needs the values above.

CORPUS_ROOTS += SCORING_CORPUS

# Campaigns, members and attribution keep their corpus in modules of their own.
from ._corpus_attribution import CORPUS as ATTRIBUTION_CORPUS  # noqa: E402 - needs the values above.
from ._corpus_marketing import CORPUS as MARKETING_CORPUS  # noqa: E402 - needs the values above.

CORPUS_ROOTS += MARKETING_CORPUS
CORPUS_ROOTS += ATTRIBUTION_CORPUS

# Cross-sell keeps its corpus in a module of its own.
from ._corpus_recommendations import CORPUS as RECOMMENDATIONS_CORPUS  # noqa: E402 - needs the values above.

CORPUS_ROOTS += RECOMMENDATIONS_CORPUS

# CLV depth (fits, priors, posteriors, intervals, model checks) keeps its corpus in a module of its own.
from ._corpus_clv import CORPUS as CLV_CORPUS  # noqa: E402 - needs the values above.

CORPUS_ROOTS += CLV_CORPUS

# Scale-out (columnar summaries, fit inputs, RFM cut points, rules in SQL) keeps its own corpus too.
from ._corpus_scale import CORPUS as SCALE_CORPUS  # noqa: E402 - needs the values above.

CORPUS_ROOTS += SCALE_CORPUS

# The figures' data (crmcore.plots) keeps its corpus in a module of its own.
from ._corpus_plots import CORPUS as PLOTS_CORPUS  # noqa: E402 - needs the values above.

CORPUS_ROOTS += PLOTS_CORPUS

SAMPLES: dict[type, object] = _samples()


def _round_trips(value: object) -> bool:
    """True if ``value`` is written and read back equal (such types are document kinds)."""
    try:
        return from_dict(type(value), to_dict(value)) == value
    except Exception:  # noqa: BLE001 - a type that cannot round-trip is simply no document kind.
        return False


ROUND_TRIP_TYPES.update(t for t, v in SAMPLES.items() if _round_trips(v))
