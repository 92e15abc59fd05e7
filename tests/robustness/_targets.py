"""The targets: every public callable, with a recipe for valid arguments.

Each registration names a callable (a function, a constructor, a factory, or a
method called on a subject drawn from a strategy) and a recipe that gives
valid arguments for it; the fuzz tests then replace one argument at a time by
junk. test_calls.py checks these tables against the packages' ``__all__``, so
a new public callable cannot be forgotten.
"""

from datetime import UTC, date, timedelta
from decimal import Decimal

from dateutil.relativedelta import relativedelta
from hypothesis import strategies as st

import crmcore
from crmcore import (
    Money,
    StaffId,
    analytics,
    clv,
    commerce,
    customers,
    feedback,
    interactions,
    lifecycle,
    merge,
    repository,
    sales,
    segmentation,
    service,
    teams,
)
from crmcore.commerce import Order, OrderId, PaymentId, Period, Subscription, SubscriptionId
from crmcore.customers import (
    ConsentRecord,
    ContactPoint,
    Customer,
    CustomerId,
    PersonName,
    PostalAddress,
)
from crmcore.feedback import CesResponse, CsatResponse, FeedbackId, NpsResponse, Review, ReviewId
from crmcore.interactions import Interaction, InteractionId
from crmcore.lifecycle import RELATIONSHIP_LADDER
from crmcore.loyalty import (
    EarnRate,
    LoyaltyAccount,
    LoyaltyAccountId,
    LoyaltyProgram,
    RewardId,
    Tier,
)
from crmcore.parties import InvolvedContact
from crmcore.sales import BantScore, Lead, LeadId, OpportunityId
from crmcore.service import BusinessCalendar, Case, CaseId
from crmcore.testing import strategies as crm

from ._corpus import (
    ACCOUNT,
    ACCOUNTS,
    ADDRESS,
    AGE,
    ANA,
    BGBB,
    BUDI,
    CALENDARS,
    CARE,
    CASE,
    CASES,
    CID,
    CLOSED_CASE,
    CLV_VALUES,
    COHORTS,
    CONSENT,
    CUSTOMERS,
    DAY,
    DEFINITIONS,
    DISTRIBUTION,
    DYNAMIC,
    EMAIL,
    ESCALATION,
    EXPLANATION,
    FACTS,
    FIELD,
    FIT_AGE,
    FIT_FREQUENCY,
    FIT_RECENCY,
    FORECAST,
    FREQUENCY,
    FROZEN_SEGMENT,
    FUNNEL,
    GAMMA,
    INTERACTION,
    INTERACTIONS,
    LATER,
    LATER_CP,
    LEADS,
    MERGE_PREVIEW,
    MODELS,
    MONEYS,
    OPPORTUNITIES,
    OPPORTUNITY,
    ORDER,
    ORDER_TUPLES,
    ORDERS,
    ORG,
    PIPELINE,
    PIPELINES,
    PLACED,
    PLAN,
    PLANNED,
    POLICIES,
    POLICY,
    POLICY_LADDER,
    POPULATION,
    PROGRAM,
    PROGRAMS,
    PROGRESSION_ROW,
    PURCHASES,
    RECENCY,
    REVIEW,
    REVIEWS,
    RFM_SCORES,
    RFM_VALUES,
    RULE,
    RULES,
    SBG,
    SEGMENT_ID,
    SLA_STATUS,
    SNAPSHOT,
    SPEND_ACCOUNT,
    SPEND_PROGRAM,
    STAFF_MEMBERS,
    STAGE_CHANGES,
    STANDARD_DEFINITIONS,
    STATIC,
    SUBSCRIPTION,
    SUBSCRIPTIONS,
    SUMMARY_END,
    SUMMARY_ROWS,
    SUMMARY_TABLE,
    SURVEYS,
    T0,
    TEA,
    TEAMS_FACTS,
    TEAMS_OFF,
    TEAMS_RULE,
    TEAMS_STAFF,
    TEAMS_TEAM,
    TEAMS_TEAMS,
    TEAMS_TERRITORIES,
    TEAMS_TERRITORY,
    TRANSITIONS,
    WIB,
    WON,
    accumulator,
    either,
    first_point,
    first_trigger,
    idr,
    money_like,
    order_money,
    sub_money,
)
from ._fuzz import BOUNDED_WORK_BUDGET, CALL_BUDGET, function, method


def _budget_of(name: str) -> float:
    """A simulation's work is bounded by its documented limits, seconds of it at the most."""
    return BOUNDED_WORK_BUDGET if name == "simulate" else CALL_BUDGET


for _name, _args in {
    "contact_points_on": lambda c: {"channel": "email"},
    "primary_contact_point": lambda c: {"channel": "email"},
    "consent_decision": lambda c: {"channel": "email", "purpose": "marketing", "at": LATER},
    "may_contact": lambda c: {"channel": "email", "purpose": "marketing", "at": LATER},
    "consent_flags": lambda c: {"pairs": [("email", "marketing"), ("sms", "service")], "at": LATER},
    "lifecycle_of": lambda c: {"definition": RELATIONSHIP_LADDER},
    "has_tag": lambda c: {"tag": "vip"},
    "next_birthday": lambda c: {"on_or_after": date(2031, 1, 1)},
    "age_on": lambda c: {"day": date(2031, 1, 1)},
    "rename": lambda c: {"name": PersonName("Budi"), "at": LATER},
    "change_birth_date": lambda c: {"birth_date": date(1991, 1, 1), "at": LATER},
    "set_preferred_language": lambda c: {"language": "en", "at": LATER},
    "add_address": lambda c: {"address": PostalAddress(["Jl. Baru 9"], "ID"), "at": LATER},
    "remove_address": lambda c: {
        "address": c.profile.addresses[0] if c.profile.addresses else ADDRESS,
        "at": LATER,
    },
    "set_attribute": lambda c: {"key": "segment", "value": "gold", "at": LATER},
    "remove_attribute": lambda c: {"key": next(iter(c.profile.attributes), "k"), "at": LATER},
    "add_contact_point": lambda c: {"contact_point": LATER_CP, "at": LATER},
    "contact_point": lambda c: {"channel": first_point(c).channel, "value": first_point(c).value},
    "remove_contact_point": lambda c: {
        "channel": first_point(c).channel,
        "value": first_point(c).value,
        "at": LATER,
    },
    "verify_contact_point": lambda c: {
        "channel": first_point(c).channel,
        "value": first_point(c).value,
        "at": LATER,
    },
    "set_primary_contact_point": lambda c: {
        "channel": first_point(c).channel,
        "value": first_point(c).value,
        "at": LATER,
    },
    "record_consent": lambda c: {"record": CONSENT},
    "give_consent": lambda c: {
        "channel": "email",
        "purpose": "marketing",
        "at": LATER,
        "source": "form",
        "expires_at": LATER + 365 * DAY,
    },
    "withdraw_consent": lambda c: {
        "channel": "email",
        "purpose": "marketing",
        "at": LATER,
        "source": "form",
    },
    "add_tag": lambda c: {"tag": "new", "at": LATER},
    "remove_tag": lambda c: {"tag": next(iter(c.tags), "vip"), "at": LATER},
    "assign": lambda c: {"owner": StaffId("rep-9"), "team": teams.TeamId("t-9"), "at": LATER},
    "without_pending_events": None,
}.items():
    method(CUSTOMERS, _name, _args, label="Customer")
_NEXT_STATE = RELATIONSHIP_LADDER.fire(
    ANA, RELATIONSHIP_LADDER.allowed_triggers(ANA)[0], at=LATER
).lifecycle_of(RELATIONSHIP_LADDER)
method(
    st.just(ANA),
    "change_lifecycle",
    lambda c: {"state": _NEXT_STATE, "at": LATER},
    label="Customer",
)

function(
    Customer.register,
    {
        "customer_id": CustomerId("c-9"),
        "name": PersonName("Ana"),
        "at": LATER,
        "birth_date": date(1990, 1, 1),
        "addresses": [ADDRESS],
        "preferred_language": "id",
        "attributes": {"k": "v"},
        "contact_points": [EMAIL],
        "tags": ["vip"],
        "owner": StaffId("rep-1"),
        "team": teams.TeamId("t-1"),
    },
)
function(
    ContactPoint.phone,
    {
        "number": "0812 3456 7890",
        "channel": "whatsapp",
        "default_country_code": "62",
        "label": "home",
    },
)
function(customers.normalize_email, {"value": "Ana@Example.com", "path": "$.email"})
for _func in (customers.merge_customers, customers.preview_merge):
    function(
        _func,
        {
            "survivor": ANA,
            "absorbed": BUDI,
            "at": LATER,
            "rules": customers.SurvivorshipRules(name="most_recent"),
        },
    )
function(customers.normalize_phone, {"value": "0812 3456 7890", "default_country_code": "62"})
function(customers.normalize_tag, {"tag": "VIP", "path": "$.tags[0]"})
function(feedback.normalize_platform, {"value": "Google", "path": "$.platform"})
function(crmcore.currency, {"code": "IDR"})
function(
    customers.decide_consent,
    {"records": [CONSENT], "channel": "email", "purpose": "marketing", "at": LATER},
)

# Money
function(Money.zero, {"currency": "IDR"})
function(Money.total, {"amounts": [idr(1), idr(2)], "currency": "IDR"})
function(Money.from_minor_units, {"units": 1250, "currency": "USD"})
for _name, _args in {
    "to_minor_units": None,
    "rounded": lambda m: {"rounding": "ROUND_HALF_UP"},
    "allocate": lambda m: {"ratios": [1, 2, "3"]},
    "is_zero": None,
    "ratio": lambda m: {"other": money_like(7, m)},
    "__add__": lambda m: {"other": money_like(1, m)},
    "__radd__": lambda m: {"other": 0},
    "__sub__": lambda m: {"other": money_like(1, m)},
    "__mul__": lambda m: {"other": 3},
    "__truediv__": lambda m: {"other": 3},
    "__lt__": lambda m: {"other": money_like(1, m)},
    "__le__": lambda m: {"other": money_like(1, m)},
    "__gt__": lambda m: {"other": money_like(1, m)},
    "__ge__": lambda m: {"other": money_like(1, m)},
    "__format__": lambda m: {"spec": ""},
}.items():
    method(MONEYS, _name, _args, label="Money")

# Orders
function(Order.place, {"order_id": OrderId("o-9"), "customer_id": CID, "lines": [TEA], "at": LATER})
for _name, _args in {
    "returned_quantity": lambda o: {"line": 0},
    "returnable_quantity": lambda o: {"line": 0},
    "timeline_facts": None,
    "record_payment": lambda o: {
        "payment_id": PaymentId("p-9"),
        "amount": order_money(o),
        "at": LATER,
        "method": "card",
    },
    "record_failed_payment": lambda o: {
        "payment_id": PaymentId("p-9"),
        "amount": order_money(o),
        "at": LATER,
        "method": "card",
        "reason": "declined",
    },
    "fulfil": lambda o: {"at": LATER},
    "shipped_quantity": lambda o: {"line": 0},
    "delivered_quantity": lambda o: {"line": 0},
    "ship": lambda o: {"quantities": {0: 1}, "at": LATER},
    "deliver": lambda o: {"shipment": 0, "at": LATER},
    "close": lambda o: {"at": LATER},
    "reopen": lambda o: {"at": LATER},
    "return_to_sender": lambda o: {"shipment": 0, "at": LATER},
    "cancel": lambda o: {"at": LATER, "reason": "changed mind"},
    "refund": lambda o: {"amount": money_like(1, order_money(o)), "at": LATER, "reason": "late"},
    "return_items": lambda o: {
        "quantities": {0: 1},
        "at": LATER,
        "refund": money_like(1, order_money(o)),
        "reason": "broken",
    },
    "without_pending_events": None,
}.items():
    method(ORDERS, _name, _args, label="Order")

# Subscriptions, plans and periods
function(
    Subscription.start,
    {
        "subscription_id": SubscriptionId("s-9"),
        "customer_id": CID,
        "plan": PLAN,
        "at": LATER,
        "periods": 12,
        "grace_days": 3,
        "owner": StaffId("rep-1"),
        "team": teams.TeamId("t-1"),
    },
)
for _name, _args in {
    "due_at": lambda s: {"number": 2},
    "due_dates": lambda s: {"until": LATER},
    "next_due_date": lambda s: {"at": LATER},
    "payment_history": lambda s: {"at": LATER},
    "outstanding": lambda s: {"at": LATER},
    "is_overdue": lambda s: {"at": LATER},
    "timeline_facts": None,
    "refresh": lambda s: {"at": LATER},
    "record_payment": lambda s: {
        "payment_id": PaymentId("sp-9"),
        "amount": sub_money(s),
        "at": LATER,
        "due_at": None,
        "method": "card",
    },
    "record_failed_payment": lambda s: {
        "payment_id": PaymentId("sp-9"),
        "amount": sub_money(s),
        "at": LATER,
        "method": "card",
        "reason": "no funds",
    },
    "cancel": lambda s: {"at": LATER, "immediately": False, "reason": "price"},
    "resume": lambda s: {"at": LATER},
    "assign": lambda s: {"owner": StaffId("rep-9"), "team": teams.TeamId("t-2"), "at": LATER},
    "renew": lambda s: {"at": LATER, "periods": 1},
    "without_pending_events": None,
}.items():
    method(SUBSCRIPTIONS, _name, _args, label="Subscription")
function(commerce.first_subscription_date, {"subscriptions": [SUBSCRIPTION], "customer_id": CID})
for _factory in (Period.days, Period.weeks, Period.months, Period.years):
    function(_factory, {"count": 2}, name=f"Period.{_factory.__name__}")
function(Period.from_relativedelta, {"delta": relativedelta(months=3)})
for _name, _args in {
    "times": lambda p: {"n": 3},
    "to_relativedelta": None,
    "approximate_days": None,
}.items():
    method(either(Period.months(1), crm.periods()), _name, _args, label="Period")

# Cases, calendars and SLAs
function(
    Case.open,
    {
        "case_id": CaseId("k-9"),
        "customer_id": CID,
        "kind": "question",
        "subject": "Where is it",
        "channel": "email",
        "at": LATER,
        "priority": "high",
        "description": "Parcel late",
        "assignee": StaffId("agent-1"),
        "order_id": OrderId("o-1"),
        "team": teams.TeamId("t-1"),
    },
)
for _name, _args in {
    "status_at": lambda c: {"at": LATER},
    "change_status": lambda c: {"status": "open", "at": LATER, "reason": "triaged"},
    "respond": lambda c: {"at": LATER},
    "wait_on_customer": lambda c: {"at": LATER, "reason": "photo"},
    "resolve": lambda c: {"at": LATER, "reason": "fixed"},
    "close": lambda c: {"at": LATER, "reason": "done"},
    "reopen": lambda c: {"at": LATER, "reason": "again"},
    "assign": lambda c: {"assignee": StaffId("agent-9"), "team": teams.TeamId("t-2"), "at": LATER},
    "change_contacts": lambda c: {
        "contacts": [InvolvedContact(CustomerId("ana"), "reporter", primary=True)],
        "at": LATER,
    },
    "contacts_in_role": lambda c: {"role": "reporter"},
    "change_priority": lambda c: {"priority": "urgent", "at": LATER},
    "escalate": lambda c: {"escalation": ESCALATION, "at": LATER},
    "without_pending_events": None,
    "timeline_facts": None,
}.items():
    method(CASES, _name, _args, label="Case")
for _func in (service.sla_status, service.due_escalations, service.escalate_due):
    function(_func, {"case": CASE, "policy": POLICY, "at": LATER})
function(service.breached_cases, {"cases": [CASE, CLOSED_CASE], "policy": POLICY, "at": LATER})
method(POLICIES, "target_for", lambda p: {"priority": "normal"}, label="SlaPolicy")
method(st.just(SLA_STATUS), "clock", lambda s: {"metric": "resolution"}, label="SlaStatus")
function(
    BusinessCalendar.standard,
    {
        "hours": ["09:00-12:00", ("13:00", "17:00")],
        "time_zone": "Asia/Jakarta",
        "days": ["monday", "friday"],
        "holidays": [date(2031, 1, 1)],
    },
)
function(
    BusinessCalendar,
    {"week": {"monday": ["09:00-17:00"]}, "time_zone": WIB, "holidays": [date(2031, 1, 1)]},
    name="BusinessCalendar",
)
for _name, _args in {
    "is_holiday": lambda c: {"day": date(2031, 1, 1)},
    "working_hours_on": lambda c: {"day": date(2031, 1, 1)},
    "is_working_time": lambda c: {"at": LATER},
    "next_working_instant": lambda c: {"at": LATER},
    "business_time_between": lambda c: {"start": LATER, "end": LATER + 3 * DAY},
    "add_business_time": lambda c: {"start": LATER, "duration": timedelta(hours=30)},
}.items():
    method(CALENDARS, _name, _args, label="BusinessCalendar")
function(service.TimeOfDay.parse, {"text": "09:30"})
function(service.WorkingHours.parse, {"text": "09:00-17:00"})

# Interactions
function(
    Interaction.log,
    {
        "interaction_id": InteractionId("i-9"),
        "customer_id": CID,
        "kind": "call",
        "channel": "phone",
        "direction": "outbound",
        "at": LATER,
        "subject": "Follow-up",
        "notes": "Called back",
        "staff_id": StaffId("agent-1"),
        "case_id": CaseId("k-1"),
        "opportunity_id": OpportunityId("opp-1"),
        "duration": timedelta(minutes=3),
    },
)
method(
    INTERACTIONS,
    "link",
    lambda i: {"at": LATER, "case_id": CaseId("k-2"), "opportunity_id": OpportunityId("opp-2")},
    label="Interaction",
)
method(INTERACTIONS, "without_pending_events", label="Interaction")
function(
    interactions.timeline,
    {
        "customer_id": CID,
        "sources": (ORDER, CASE, INTERACTION),
        "since": T0,
        "until": LATER,
        "kinds": ["order"],
    },
)

# Feedback
function(
    Review.receive,
    {
        "review_id": ReviewId("r-9"),
        "platform": "google",
        "rating": 2,
        "at": LATER,
        "text": "Slow",
        "author_name": "Ana P",
        "url": "https://example.com/r/9",
        "customer_id": CID,
    },
)
for _name, _args in {
    "is_negative": lambda r: {"at_most": 2},
    "answer": lambda r: {"at": LATER},
    "timeline_facts": None,
    "without_pending_events": None,
}.items():
    method(REVIEWS, _name, _args, label="Review")
for _cls in (NpsResponse, CsatResponse, CesResponse):
    function(
        _cls.record,
        {
            "response_id": FeedbackId("f-9"),
            "customer_id": CID,
            "score": 3,
            "at": LATER,
            "case_id": CaseId("k-1"),
            "order_id": OrderId("o-1"),
            "comment": "fine",
        },
        name=f"{_cls.__name__}.record",
    )
method(SURVEYS, "without_pending_events", label="SurveyResponse")
for _func in (
    feedback.net_promoter_score,
    feedback.nps_breakdown,
    feedback.csat_score,
    feedback.customer_effort_score,
):
    function(_func, {"responses": [3, 4, 5]})
function(feedback.nps_category, {"score": 9})
function(
    feedback.response_plan,
    lambda _: {
        "review": REVIEW,
        "customer_name": "Ana",
        "service_standard": "We answer within a day.",
        "compensation": "a voucher",
        "offline_contact": CARE,
        "negative_at_most": 2,
        "max_words": 120,
        "max_sentences": 6,
    },
)

# Loyalty
function(
    LoyaltyAccount.enroll,
    {"account_id": LoyaltyAccountId("la-9"), "customer_id": CID, "program": PROGRAM, "at": LATER},
)
function(
    Tier.by_spend,
    {"code": "gold", "minimum": idr(100), "below": idr(1000), "name": "Gold", "multiplier": "1.5"},
)
function(
    Tier.by_points, {"code": "gold", "minimum": 100, "below": 1000, "name": "Gold", "multiplier": 2}
)
for _name, _args in {
    "tier": lambda p: {"code": p.tiers[0].code},
    "rank": lambda p: {"code": p.tiers[0].code},
    "tier_for": lambda p: {"qualifying": idr(500_000) if p is SPEND_PROGRAM else 150},
    "points_for": lambda p: {
        "amount": idr(120_000),
        "placed_at": LATER,
        "tier": p.tiers[0].code,
        "birth_date": date(1990, 6, 2),
    },
    "expires_at": lambda p: {"earned_at": LATER},
    "qualifying_until": lambda p: {"earned_at": LATER},
    "reward": lambda p: {"reward_id": RewardId("coffee")},
    "take_stock": lambda p: {"reward_id": RewardId("coffee"), "quantity": 1},
    "restock": lambda p: {"reward_id": RewardId("coffee"), "stock": 10},
}.items():
    method(PROGRAMS, _name, _args, label="LoyaltyProgram")
method(
    st.just(PROGRAM.bonuses[1]),
    "applies",
    lambda b: {"placed_at": LATER, "birth_date": date(1990, 1, 1)},
    label="BonusRule",
)
method(
    st.just(EarnRate(1, idr(10_000))),
    "exact_points",
    lambda e: {"amount": idr(55_000)},
    label="EarnRate",
)
method(
    st.just(Tier.by_points("x", 0)), "contains", lambda t: {"qualifying": Decimal(5)}, label="Tier"
)


def program_of(account: LoyaltyAccount) -> LoyaltyProgram:
    return SPEND_PROGRAM if account is SPEND_ACCOUNT else PROGRAM


for _name, _args in {
    "tier_at": lambda a: {"at": LATER},
    "balance": lambda a: {"at": LATER},
    "lots": lambda a: {"at": LATER},
    "available": lambda a: {"at": LATER},
    "lapsed": lambda a: {"at": LATER},
    "expiring": lambda a: {"at": LATER, "until": LATER + 30 * DAY},
    "totals": None,
    "has_earned_for": lambda a: {"order_id": OrderId("o-1")},
    "last_qualified_at": lambda a: {"program": program_of(a), "at": LATER},
    "tier_kept_until": lambda a: {"program": program_of(a), "at": LATER},
    "qualifying_points": lambda a: {"program": program_of(a), "at": LATER},
    "qualifying_spend": lambda a: {"program": program_of(a), "at": LATER},
    "earn_for_order": lambda a: {
        "order": PLACED,
        "program": program_of(a),
        "at": LATER,
        "birth_date": date(1990, 6, 2),
    },
    "earn": lambda a: {"points": 10, "program": program_of(a), "at": LATER, "reason": "bonus"},
    "redeem": lambda a: {"points": 1, "at": LATER, "reason": "gift", "reward_id": None},
    "close": lambda a: {"at": LATER, "reason": "member_request"},
    "is_active_at": lambda a: {"when": LATER},
    "redeem_reward": lambda a: {
        "reward_id": RewardId("lounge"),
        "program": program_of(a),
        "at": LATER,
    },
    "adjust": lambda a: {
        "points": 5,
        "at": LATER,
        "reason": "fix",
        "expires_at": LATER + 10 * DAY,
        "order_id": OrderId("o-1"),
    },
    "expire_due": lambda a: {"at": LATER},
    "evaluate_tier": lambda a: {"program": program_of(a), "at": LATER, "qualifying_spend": None},
    "change_tier": lambda a: {
        "tier": program_of(a).tiers[0].code,
        "program": program_of(a),
        "at": LATER,
        "reason": "manual",
    },
    "without_pending_events": None,
}.items():
    method(ACCOUNTS, _name, _args, label="LoyaltyAccount")

# Leads, opportunities and pipelines
function(
    Lead.capture,
    {
        "lead_id": LeadId("l-9"),
        "name": PersonName("Citra"),
        "source": "web",
        "at": LATER,
        "contact_points": [EMAIL],
        "interest": "tea",
        "campaign": "ramadan",
        "referred_by": CID,
        "owner": StaffId("rep-1"),
        "team": teams.TeamId("t-1"),
    },
)
_CONVERSION = {
    "at": LATER,
    "opportunity_id": OpportunityId("opp-8"),
    "pipeline": PIPELINE,
    "amount": idr(1_000_000),
    "expected_close": date(2031, 9, 1),
    "opportunity_name": "Deal",
    "owner": StaffId("rep-1"),
    "stage": "qualification",
}
for _name, _args in {
    "change_status": lambda x: {"status": "contacted", "at": LATER, "reason": "called"},
    "contact": lambda x: {"at": LATER, "reason": "called"},
    "qualify": lambda x: {"at": LATER, "score": BantScore(True, True, True, True), "reason": "fit"},
    "disqualify": lambda x: {"at": LATER, "reason": "no budget"},
    "recycle": lambda x: {"at": LATER, "reason": "retry"},
    "rescore": lambda x: {"score": BantScore(True, False, True, False), "at": LATER},
    "assign": lambda x: {"owner": StaffId("rep-9"), "team": teams.TeamId("t-2"), "at": LATER},
    "give_consent": lambda x: {
        "channel": "email",
        "purpose": "marketing",
        "at": LATER,
        "source": "web-form",
        "legal_basis": "consent",
        "expires_at": LATER + 30 * DAY,
    },
    "withdraw_consent": lambda x: {
        "channel": None,
        "purpose": "marketing",
        "at": LATER,
        "source": "reply",
    },
    "record_consent": lambda x: {
        "record": ConsentRecord("sms", "marketing", "granted", LATER, "web-form")
    },
    "consent_decision": lambda x: {"channel": "email", "purpose": "marketing", "at": LATER},
    "may_contact": lambda x: {"channel": "email", "purpose": "marketing", "at": LATER},
    "convert": lambda x: {"customer_id": CustomerId("c-8"), **_CONVERSION},
    "convert_into": lambda x: {
        "customer": Customer.register(CustomerId("c-8"), name=PersonName("Budi"), at=T0),
        **_CONVERSION,
    },
    "without_pending_events": None,
}.items():
    method(LEADS, _name, _args, label="Lead")
function(
    sales.Opportunity.open,
    {
        "opportunity_id": OpportunityId("opp-9"),
        "customer_id": CID,
        "name": "Machines",
        "amount": idr(5_000_000),
        "expected_close": date(2031, 9, 1),
        "owner": StaffId("rep-1"),
        "pipeline": PIPELINE,
        "at": LATER,
        "stage": "qualification",
        "next_step": "call",
        "next_step_due": date(2031, 7, 1),
        "lead_id": LeadId("l-1"),
        "team": teams.TeamId("t-1"),
    },
)
for _name, _args in {
    "stage_at": lambda o: {"at": LATER},
    "time_in_stages": lambda o: {"at": LATER, "pipeline": PIPELINE},
    "timeline_facts": None,
    "move_to": lambda o: {"stage": "proposal", "pipeline": PIPELINE, "at": LATER, "reason": "go"},
    "win": lambda o: {"pipeline": PIPELINE, "at": LATER, "stage": None, "reason": "signed"},
    "lose": lambda o: {"pipeline": PIPELINE, "at": LATER, "reason": "price", "stage": None},
    "reopen": lambda o: {"pipeline": PIPELINE, "at": LATER, "stage": None, "reason": "back"},
    "change_amount": lambda o: {"amount": idr(7), "at": LATER},
    "change_expected_close": lambda o: {"expected_close": date(2031, 12, 1), "at": LATER},
    "assign": lambda o: {"owner": StaffId("rep-7"), "team": teams.TeamId("t-2"), "at": LATER},
    "change_contacts": lambda o: {
        "contacts": [
            InvolvedContact(CustomerId("ana"), "decision_maker", primary=True),
            InvolvedContact(CustomerId("budi"), "technical"),
        ],
        "at": LATER,
    },
    "contacts_in_role": lambda o: {"role": "technical"},
    "set_next_step": lambda o: {"next_step": "demo", "at": LATER, "due": date(2031, 7, 1)},
    "without_pending_events": None,
}.items():
    method(OPPORTUNITIES, _name, _args, label="Opportunity")
for _name, _args in {
    "stage": lambda p: {"code": "proposal", "path": "$.stage"},
    "has_stage": lambda p: {"code": "proposal"},
    "probability": lambda p: {"code": "proposal"},
}.items():
    method(PIPELINES, _name, _args, label="PipelineDefinition")
function(
    sales.pipeline_forecast,
    {"opportunities": [OPPORTUNITY, WON], "pipeline": PIPELINE, "by": "quarter", "tz": WIB},
)
for _name, _args in {
    "weighted_total": lambda f: {"currency": "IDR"},
    "open_total": lambda f: {"currency": "IDR"},
    "won_total": lambda f: {"currency": "IDR"},
    "for_currency": lambda f: {"currency_code": "IDR"},
}.items():
    method(st.just(FORECAST), _name, _args, label="PipelineForecast")

# Small value objects
CONSENT_RECORDS = either(CONSENT, crm.consent_records())
method(
    CONSENT_RECORDS,
    "applies_to",
    lambda r: {"channel": "email", "purpose": "marketing"},
    label="ConsentRecord",
)
method(CONSENT_RECORDS, "is_live_grant", lambda r: {"at": LATER}, label="ConsentRecord")
method(either(ADDRESS, crm.postal_addresses()), "one_line", label="PostalAddress")
method(
    st.just(POLICY.targets[0]),
    "of",
    lambda t: {"metric": service.SlaMetric.RESOLUTION},
    label="SlaTarget",
)
method(
    st.sampled_from(ACCOUNT.lots(at=T0 + 5 * DAY)),
    "lapsed",
    lambda lot: {"at": LATER},
    label="PointsLot",
)
_MAP = customers.FrozenMap({"a": 1})
method(st.just(_MAP), "set", lambda m: {"key": "b", "value": 2}, label="FrozenMap")
method(st.just(_MAP), "delete", lambda m: {"key": "a"}, label="FrozenMap")

# Identifiers and id sources
function(
    crmcore.SequentialIdSource, {"prefix": "c-", "start": 1, "width": 6}, name="SequentialIdSource"
)
function(crmcore.SeededIdSource, {"seed": 7}, name="SeededIdSource")
function(CustomerId.new, {"source": crmcore.SequentialIdSource("c-")}, name="CustomerId.new")
function(customers.FrozenMap, {"data": {"a": 1}}, name="FrozenMap")

function(
    lifecycle.LifecycleDefinition,
    {
        "name": "simple",
        "states": [lifecycle.State("new"), "active", lifecycle.State("gone", terminal=True)],
        "initial": "new",
        "transitions": [
            lifecycle.Transition("activate", ["new"], "active"),
            lifecycle.Transition("leave", ["new", "active"], "gone"),
        ],
        "funnel": ["new", "active"],
    },
    name="LifecycleDefinition",
)
for _name, _args in {
    "state": lambda d: {"name": d.stage_names[0]},
    "rank": lambda d: {"stage": d.stage_names[0]},
    "triggers_from": lambda d: {"stage": d.stage_names[0]},
    "target_of": lambda d: {
        "stage": d.stage_names[0],
        "trigger": d.triggers[0] if d.triggers else "x",
    },
    "route": lambda d: {
        "from_stage": d.stage_names[0],
        "to_stage": d.stage_names[-1],
        "triggers": None,
    },
    "state_of": lambda d: {"customer": ANA},
    "stage_of": lambda d: {"customer": ANA},
    "allowed_triggers": lambda d: {"customer": ANA},
    "replay": lambda d: {"history": STAGE_CHANGES if d is RELATIONSHIP_LADDER else ()},
    "to_mermaid": lambda d: {"direction": "TB"},
    "to_dot": lambda d: {"direction": "LR"},
}.items():
    method(DEFINITIONS, _name, _args, label="LifecycleDefinition")
for _name, _args in {
    "fire": lambda d: {
        "customer": ANA,
        "trigger": first_trigger(d),
        "at": LATER,
        "reason": "why",
        "guards": {},
    },
    "start": lambda d: {"customer": ORG, "at": LATER, "stage": None, "reason": "r"},
    "move_to": lambda d: {
        "customer": ANA,
        "stage": d.stage_names[-1],
        "at": LATER,
        "reason": "r",
        "guards": None,
    },
}.items():
    method(STANDARD_DEFINITIONS, _name, _args, label="LifecycleDefinition")
function(lifecycle.crm_stage_for, {"ladder_stage": "prospect"})
function(
    lifecycle.funnel,
    {
        "customers": [ANA, ORG],
        "definition": RELATIONSHIP_LADDER,
        "start": T0,
        "end": LATER,
        "stages": None,
    },
)
function(lifecycle.justified_rung, {"facts": FACTS, "at": LATER, "policy": POLICY_LADDER})
function(
    lifecycle.ladder_facts,
    {
        "customer_id": CID,
        "at": LATER,
        "purchases": FACTS,
        "relationships": (),
        "loyalty_accounts": (),
        "policy": POLICY_LADDER,
    },
)
for _func in (lifecycle.progress, lifecycle.progression_steps):
    function(_func, {"customer": ANA, "facts": FACTS, "at": LATER, "policy": POLICY_LADDER})
function(
    lifecycle.plan_progression,
    {"rows": [PROGRESSION_ROW], "at": LATER, "policy": POLICY_LADDER},
)
function(lifecycle.ProgressionRow.of, {"customer": ANA, "facts": FACTS}, name="ProgressionRow.of")


def _named(record: object) -> object:
    """A customer the record names: what ``repoint_customer`` takes as ``previous``."""
    for name in ("customer_id", "referred_by"):
        value = getattr(record, name, None)
        if value is not None:
            return value
    return CID


for _subjects, _label in (
    (ORDERS, "Order"),
    (SUBSCRIPTIONS, "Subscription"),
    (CASES, "Case"),
    (INTERACTIONS, "Interaction"),
    (REVIEWS, "Review"),
    (SURVEYS, "SurveyResponse"),
    (ACCOUNTS, "LoyaltyAccount"),
    (OPPORTUNITIES, "Opportunity"),
    (LEADS, "Lead"),
):
    method(
        _subjects,
        "repoint_customer",
        lambda x: {"previous": _named(x), "customer_id": CustomerId("c-77"), "at": LATER},
        label=_label,
    )
#: An open unit of work holding two duplicates, for the merge service (never committed).
MERGE_UOW = repository.InMemoryUnitOfWork()
with MERGE_UOW:
    for _number, _name in ((1, "Ana"), (2, "Ani")):
        MERGE_UOW.customers.add(
            Customer.register(CustomerId(f"m-{_number}"), name=PersonName(_name), at=T0)
        )
    MERGE_UOW.commit()
MERGE_UOW.__enter__()
_MERGE_ARGS = {
    "uow": MERGE_UOW,
    "survivor_id": CustomerId("m-1"),
    "absorbed_id": CustomerId("m-2"),
    "at": LATER,
}
function(merge.preview_customer_merge, _MERGE_ARGS)
function(
    merge.apply_merge, {"uow": MERGE_UOW, "preview": merge.preview_customer_merge(**_MERGE_ARGS)}
)
function(merge.merge_customers_in, _MERGE_ARGS)
function(merge.resolve_customer, {"uow": MERGE_UOW, "customer_id": CustomerId("m-2")})
method(
    st.just(merge.preview_customer_merge(**_MERGE_ARGS)),
    "ids",
    lambda p: {"repository": "orders"},
    label="MergePreview",
)
method(st.just(MERGE_PREVIEW), "choice", lambda p: {"field": "name"}, label="CustomerMergePreview")
#: An open unit of work holding Ana, for apply_progression (never committed).
PROGRESSION_UOW = repository.InMemoryUnitOfWork()
with PROGRESSION_UOW:
    PROGRESSION_UOW.customers.add(ANA)
    PROGRESSION_UOW.commit()
PROGRESSION_UOW.__enter__()
function(
    lifecycle.apply_progression,
    {"uow": PROGRESSION_UOW, "moves": list(PLANNED), "actor": "nightly"},
)
for _func in (lifecycle.stage_at, lifecycle.time_in_stages):
    function(_func, {"customer": ANA, "definition": RELATIONSHIP_LADDER, "at": LATER})
function(
    lifecycle.stage_distribution,
    {"customers": [ANA, ORG], "definition": RELATIONSHIP_LADDER, "at": LATER},
)
method(st.just(FUNNEL), "flow", lambda f: {"source": None, "target": "suspect"}, label="Funnel")
method(
    st.just(FUNNEL), "rate", lambda f: {"source": "suspect", "target": "prospect"}, label="Funnel"
)
method(st.just(DISTRIBUTION), "count", lambda d: {"stage": "prospect"}, label="StageDistribution")
method(st.just(DISTRIBUTION), "share", lambda d: {"stage": "prospect"}, label="StageDistribution")
method(
    either(ANA.lifecycle_of(RELATIONSHIP_LADDER), crm.lifecycle_states()),
    "stage_at",
    lambda s: {"at": LATER},
    label="LifecycleState",
)


for _label, _model in MODELS.items():
    _subject = st.just(_model)
    method(
        st.builds(type(_model)),
        "fit",
        lambda _: {
            "frequency": FIT_FREQUENCY,
            "recency": FIT_RECENCY,
            "T": FIT_AGE,
            "weights": [1] * len(FIT_FREQUENCY),
            "initial_params": None,
            "progress": None,
            "max_iterations": 5,
            "require_convergence": False,
        },
        label=_label,
    )
    method(
        _subject,
        "probability_alive",
        lambda _: {"frequency": 2, "recency": 10.0, "T": 30.0},
        label=_label,
    )
    method(
        _subject,
        "expected_purchases",
        lambda _: {"t": 10, "frequency": FREQUENCY, "recency": RECENCY, "T": AGE},
        label=_label,
    )
    method(_subject, "expected_purchases_new", lambda _: {"t": [1, 2.5]}, label=_label)
    method(_subject, "probability_of_purchases", lambda _: {"n": 2, "t": 10}, label=_label)
    method(
        _subject,
        "simulate",
        lambda _: {"n_customers": 3, "T": 10.0, "seed": 1},
        label=_label,
        budget=BOUNDED_WORK_BUDGET,
    )
method(
    st.builds(clv.BetaGeoBetaBinom),
    "fit",
    lambda _: {
        "frequency": [0, 1, 2, 3],
        "recency": [0, 2, 4, 6],
        "periods": [6, 6, 6, 6],
        "weights": [10, 5, 3, 1],
        "max_iterations": 5,
        "require_convergence": False,
    },
    label="BetaGeoBetaBinom",
)
for _name, _args in {
    "probability_alive": lambda _: {"frequency": 2, "recency": 4, "periods": 6},
    "expected_purchases": lambda _: {
        "t": 5,
        "frequency": [1, 2],
        "recency": [3, 4],
        "periods": [6, 6],
    },
    "expected_purchases_new": lambda _: {"t": 5},
    "probability_of_purchases": lambda _: {"n": 1, "t": 5},
    "simulate": lambda _: {"n_customers": 3, "periods": 6, "seed": 1},
}.items():
    method(st.just(BGBB), _name, _args, label="BetaGeoBetaBinom", budget=_budget_of(_name))
method(
    st.builds(clv.GammaGamma),
    "fit",
    lambda _: {
        "frequency": [1, 2, 3, 5, 1],
        "monetary_value": [20.0, 35.5, 12.0, 50.0, 8.0],
        "max_iterations": 5,
        "require_convergence": False,
    },
    label="GammaGamma",
)
method(
    st.just(GAMMA),
    "expected_average_spend",
    lambda _: {"frequency": 2, "monetary_value": 30.0},
    label="GammaGamma",
)
method(
    st.just(GAMMA),
    "simulate",
    lambda _: {"frequency": [1, 2], "seed": 1},
    label="GammaGamma",
    budget=BOUNDED_WORK_BUDGET,
)
method(
    st.builds(clv.ShiftedBetaGeometric),
    "fit",
    lambda _: {
        "survivors": [1000, 631, 468, 382, 326],
        "max_iterations": 5,
        "require_convergence": False,
    },
    label="ShiftedBetaGeometric",
)
for _name, _args in {
    "survival": lambda _: {"t": [1, 2, 3]},
    "retention_rate": lambda _: {"t": 2},
    "churn_probability": lambda _: {"t": 2},
    "discounted_expected_residual_lifetime": lambda _: {"discount_rate": 0.1, "renewals": 1},
    "simulate": lambda _: {"n_customers": 3, "periods": 4, "seed": 1},
}.items():
    method(st.just(SBG), _name, _args, label="ShiftedBetaGeometric", budget=_budget_of(_name))
function(
    clv.customer_lifetime_value,
    {
        "purchase_model": MODELS["BetaGeo"],
        "spend_model": GAMMA,
        "frequency": [1, 2],
        "recency": [5.0, 10.0],
        "T": [30.0, 30.0],
        "monetary_value": [20.0, 30.0],
        "horizon": 12,
        "discount_rate": 0.01,
        "margin": 0.3,
    },
)
function(
    analytics.hierarchy_rollup,
    {
        "accounts": [CID],
        "orders": [ORDER],
        "opportunities": [OPPORTUNITY],
        "pipeline": PIPELINE,
        "cases": [CASE],
        "clv": {CID: idr(1)},
        "since": T0,
        "until": LATER,
        "at": LATER,
        "by": "quarter",
        "tz": WIB,
    },
)
function(
    clv.predict,
    {
        "purchase_model": MODELS["BetaGeo"],
        "histories": {
            "frequency": [1, 2],
            "recency": [5.0, 10.0],
            "T": [30.0, 30.0],
            "monetary_value": [20.0, 30.0],
        },
        "t": 10,
        "spend_model": GAMMA,
        "horizon": 12,
        "discount_rate": 0.01,
        "margin": 0.3,
        "backend": "python",
    },
)
function(
    clv.formula_clv,
    {
        "average_order_value": idr(275_000),
        "purchases_per_year": 24,
        "retention_years": 3,
        "gross_margin": "0.4",
        "discount_rate": "0.1",
        "retention_cost_per_year": idr(10_000),
        "acquisition_cost": idr(50_000),
        "timing": "start",
    },
)
function(
    clv.summarize,
    {
        "transactions": PURCHASES,
        "period": "day",
        "observation_end": SUMMARY_END,
        "calibration_end": T0 + 5 * DAY,
        "unit": "week",
        "tz": WIB,
    },
)
function(clv.period_index, {"at": T0, "period": "week", "tz": UTC})
function(clv.period_start, {"index": 2818, "period": "week"})
function(
    clv.SummaryAccumulator,
    {"period": "week", "tz": UTC, "currency": None},
    name="SummaryAccumulator",
)
function(
    clv.SummaryAccumulator.from_period_totals,
    {"rows": SUMMARY_ROWS, "period": "week", "tz": UTC, "currency": None},
)
ACCUMULATORS = st.builds(accumulator)
for _name, _args in {
    "add": lambda a: {"customer_id": "cy", "at": T0 + DAY, "amount": Decimal("9.50")},
    "extend": lambda a: {"transactions": PURCHASES[:2]},
    "copy": None,
    "merge": lambda a: {"others": (accumulator(),)},
    "state": lambda a: {"customer_id": "ana"},
    "period_totals": None,
    "summary": lambda a: {
        "customer_id": "ana",
        "observation_end": SUMMARY_END,
        "calibration_end": None,
        "unit": "week",
    },
    "summarize": lambda a: {"observation_end": SUMMARY_END, "calibration_end": None, "unit": None},
}.items():
    method(ACCUMULATORS, _name, _args, label="SummaryAccumulator")
method(st.just(SUMMARY_TABLE), "to_columns", label="SummaryTable")
method(st.just(SUMMARY_TABLE), "compress", lambda t: {"skip_newcomers": True}, label="SummaryTable")
method(
    st.just(SUMMARY_TABLE), "__getitem__", lambda t: {"customer_id": "ana"}, label="SummaryTable"
)
method(
    st.just(accumulator().state("ana")),
    "merge",
    lambda s: {"other": accumulator().state("ben")},
    label="CustomerState",
)

for _name, _args in {
    "is_true": None,
    "is_false": None,
    "between": lambda f: {"low": 1, "high": 5},
    "is_in": lambda f: {"values": [1, 2]},
    "not_in": lambda f: {"values": [1, 2]},
    "is_empty": None,
    "is_not_empty": None,
    "contains": lambda f: {"text": "a"},
    "starts_with": lambda f: {"text": "a"},
    "ends_with": lambda f: {"text": "a"},
    "has": lambda f: {"item": "vip"},
    "has_any": lambda f: {"items": ["vip"]},
    "has_all": lambda f: {"items": ["vip"]},
    "before": lambda f: {"moment": T0},
    "after": lambda f: {"moment": date(2024, 1, 1)},
    "within_last": lambda f: {"days": 3, "weeks": 1, "months": 1},
    "more_than_ago": lambda f: {"days": 3, "weeks": 0, "months": 0},
    "within_next": lambda f: {"days": 3, "weeks": 0, "months": 0},
    "birthday_within": lambda f: {"days": 7},
    "__eq__": lambda f: {"value": 3},
    "__ne__": lambda f: {"value": 3},
    "__lt__": lambda f: {"value": 3},
    "__le__": lambda f: {"value": 3},
    "__gt__": lambda f: {"value": idr(3)},
    "__ge__": lambda f: {"value": Decimal("2.5")},
}.items():
    method(st.just(FIELD), _name, _args, label="Field")
function(segmentation.field, {"path": "attributes.store"})
for _func in (segmentation.all_of, segmentation.any_of):
    function(_func, {"rules": (RULE, FIELD >= 1)})
function(segmentation.not_, {"rule": RULE})
for _name, _args in {
    "predicate": lambda r: {"at": LATER},
    "matches": lambda r: {"obj": SNAPSHOT, "at": LATER},
    "explain": lambda r: {"obj": SNAPSHOT, "at": LATER, "personal": ["email"]},
    "fields": None,
    "children": None,
    "describe": lambda r: {"personal": ["email"]},
    "__and__": lambda r: {"other": RULE},
    "__or__": lambda r: {"other": RULE},
}.items():
    method(RULES, _name, _args, label="Rule")
function(
    segmentation.rule_from_dict,
    {"data": segmentation.rule_to_dict(RULE), "schema": segmentation.SNAPSHOT_FIELDS},
)
function(segmentation.rule_to_dict, {"rule": RULE})
function(segmentation.check_rule, {"rule": RULE, "schema": segmentation.SNAPSHOT_FIELDS})
function(
    segmentation.spec_for, {"schema": segmentation.SNAPSHOT_FIELDS, "path": "attributes.store"}
)
function(segmentation.personal_fields, {"schema": segmentation.SNAPSHOT_FIELDS})
function(segmentation.is_personal, {"path": "profile.email", "personal": ["email"]})
function(segmentation.FieldSpec.of, {"types": ("text", "number"), "personal": True})
function(segmentation.snapshot, {"customer": ANA, "at": LATER, "facts": {"orders_count": 3}})
function(segmentation.purchase_facts, {"orders": ORDER_TUPLES, "at": LATER})
function(segmentation.rfm_values, {"orders": ORDER_TUPLES, "at": LATER})
function(
    segmentation.rfm_values,
    {"orders": [(CID, T0, 10.5), (CID, T0, "2.25")], "at": LATER, "amount_currency": "USD"},
    name="rfm_values[plain amounts]",
)
function(
    segmentation.score_rfm,
    {
        "values": RFM_VALUES,
        "recency_edges": [15, 30, 45, 60],
        "frequency_edges": None,
        "monetary_edges": None,
    },
)
function(segmentation.rfm_segment, {"r": 5, "f": 4, "m": 3, "scheme": "rfm11"})
function(segmentation.segment_grid, {"scheme": "rfm11"})
function(segmentation.summarize_segments, {"scores": RFM_SCORES, "scheme": "rf10"})
function(
    segmentation.quantile_scores,
    {"values": {"a": 1, "b": 5, "c": 3}, "k": 3, "higher_is_better": False},
)
function(
    segmentation.threshold_scores,
    {"values": {"a": 1, "b": 5}, "edges": [2, 4], "higher_is_better": True},
)
function(
    segmentation.tiers_by_percentile, {"values": CLV_VALUES, "low_percent": 20, "high_percent": 20}
)
function(
    segmentation.tiers_by_threshold,
    {"values": CLV_VALUES, "medium_from": idr(300_000), "high_from": idr(900_000)},
)
function(segmentation.tier_counts, {"tiers": segmentation.tiers_by_percentile(CLV_VALUES)})
function(
    segmentation.membership_change,
    {"segment_id": SEGMENT_ID, "before": [CID], "after": ["c-2"]},
)
method(
    st.just(segmentation.membership_change(SEGMENT_ID, [CID], ["c-2"])),
    "events",
    lambda c: {"at": LATER},
    label="MembershipChange",
)
method(
    st.just(DYNAMIC),
    "members",
    lambda s: {"population": POPULATION, "at": LATER},
    label="DynamicSegment",
)
method(
    st.just(DYNAMIC),
    "freeze",
    lambda s: {"population": POPULATION, "at": LATER},
    label="DynamicSegment",
)
for _name, _args in {
    "members": lambda s: {"population": POPULATION, "at": LATER},
    "with_members": lambda s: {"ids": ["c-7", CustomerId("c-8")]},
    "without_members": lambda s: {"ids": [CID]},
}.items():
    method(st.just(STATIC), _name, _args, label="StaticSegment")
method(
    st.just(FROZEN_SEGMENT),
    "members",
    lambda s: {"population": None, "at": LATER},
    label="SnapshotSegment",
)
method(st.sampled_from(RFM_SCORES), "segment", lambda s: {"scheme": "rfm11"}, label="RfmScore")
method(st.sampled_from(RFM_SCORES), "facts", lambda s: {"scheme": "rf10"}, label="RfmScore")

# -- analytics targets -----------------------------------------------------------------------

for _func in (
    analytics.average_order_value,
    analytics.purchase_frequency,
    analytics.purchase_summary,
    analytics.repeat_purchase_rate,
):
    function(_func, {"orders": ORDER_TUPLES})
function(
    analytics.cohort_retention,
    {"orders": ORDER_TUPLES, "granularity": "week", "tz": WIB, "end": LATER},
)
function(
    analytics.retention_by_period,
    {"orders": ORDER_TUPLES, "granularity": "month", "tz": WIB, "start": T0, "end": LATER},
)
function(
    analytics.top_products,
    {"orders": ORDER_TUPLES, "customers": ["ana", "budi"], "limit": 5},
)
function(
    analytics.top_clv_products,
    {
        "orders": ORDER_TUPLES,
        "clv": {"ana": idr(1_000), "citra": idr(9_000)},
        "top_percent": 50,
        "limit": 5,
    },
)
function(
    analytics.campaign_response,
    {"contacts": [("ana", "ramadan"), ("budi", "ramadan")], "responses": [("ana", "ramadan")]},
)
function(analytics.churn_rate, {"customers_at_start": 200, "customers_lost": 18})
function(
    analytics.retention_rate,
    {"customers_at_start": 200, "customers_at_end": 210, "new_customers": 30},
)
function(analytics.response_rate, {"contacted": 400, "responded": 26})
function(analytics.nps, {"scores": [10, 9, 6, 3]})
function(analytics.csat, {"scores": [5, 4, 7], "scale": 7, "satisfied_from": 6})
function(analytics.stage_conversion, {"transitions": TRANSITIONS, "start": T0, "end": LATER})
function(
    analytics.stage_funnel,
    {
        "transitions": TRANSITIONS,
        "stages": ["prospect", "first_time_customer"],
        "start": None,
        "end": None,
    },
)
method(st.just(DISTRIBUTION), "as_dict", label="StageDistribution")
method(st.just(EXPLANATION), "render", label="Explanation")
method(st.just(EXPLANATION), "failing", label="Explanation")
method(st.just(segmentation.Span(days=3, months=1)), "keywords", label="Span")
method(st.just(COHORTS), "rate", lambda c: {"cohort": 0, "offset": 1}, label="CohortMatrix")
method(st.just(COHORTS), "average", lambda c: {"offset": 1}, label="CohortMatrix")
method(st.just(COHORTS), "render", lambda c: {"max_offsets": 3}, label="CohortMatrix")
method(st.just(COHORTS), "to_columns", label="CohortMatrix")


# -- teams --------------------------------------------------------------------------------
function(
    teams.StaffMember.register,
    {
        "staff_id": StaffId("s-9"),
        "display_name": "Ana",
        "at": LATER,
        "roles": ["sales_rep"],
    },
)
for _name, _args in {
    "has_role": lambda m: {"role": "sales_rep"},
    "rename": lambda m: {"display_name": "Ana P.", "at": LATER},
    "grant_role": lambda m: {"role": "team_lead", "at": LATER},
    "revoke_role": lambda m: {"role": next(iter(m.roles), "sales_rep"), "at": LATER},
    "deactivate": lambda m: {"at": LATER},
    "reactivate": lambda m: {"at": LATER},
}.items():
    method(STAFF_MEMBERS, _name, _args, label="StaffMember")
function(
    teams.Team.form,
    {
        "team_id": teams.TeamId("t-9"),
        "name": "Bandung",
        "at": LATER,
        "members": [StaffId("s-1")],
        "manager_id": StaffId("s-2"),
    },
)
for _name, _args in {
    "has_member": lambda t: {"staff_id": StaffId("s-rina")},
    "rename": lambda t: {"name": "Tim Bandung", "at": LATER},
    "add_member": lambda t: {"staff_id": StaffId("s-new"), "at": LATER},
    "remove_member": lambda t: {"staff_id": next(iter(t.members), StaffId("s-1")), "at": LATER},
    "change_manager": lambda t: {"manager_id": StaffId("s-new"), "at": LATER},
}.items():
    method(TEAMS_TEAMS, _name, _args, label="Team")
function(
    teams.PartyFacts.from_address,
    {"address": ADDRESS, "industry": "retail", "employee_count": 12},
)
method(
    st.just(TEAMS_FACTS),
    "with_organization",
    lambda f: {"industry": "banking", "employee_count": 40},
    label="PartyFacts",
)
method(
    st.just(teams.SizeBand(10, 99)), "contains", lambda b: {"employee_count": 50}, label="SizeBand"
)
for _name in ("prefix_length", "mismatches", "matches"):
    method(st.just(TEAMS_TERRITORY), _name, lambda t: {"facts": TEAMS_FACTS}, label="Territory")
method(
    st.just(TEAMS_TERRITORIES),
    "get",
    lambda s: {"territory_id": teams.TerritoryId("world")},
    label="TerritorySet",
)
method(
    st.just(TEAMS_TERRITORIES), "resolve", lambda s: {"facts": TEAMS_FACTS}, label="TerritorySet"
)
method(
    st.just(TEAMS_RULE),
    "route_for",
    lambda r: {"territory_id": TEAMS_TERRITORY.id},
    label="AssignmentRule",
)
method(
    st.just(teams.RoundRobinState()),
    "last_owner",
    lambda s: {"pool": "pool"},
    label="RoundRobinState",
)
method(
    st.just(teams.RoundRobinState()),
    "advanced",
    lambda s: {"pool": "team:t-1", "owner_id": StaffId("s-1")},
    label="RoundRobinState",
)
function(
    teams.assign,
    {
        "rule": TEAMS_RULE,
        "staff": [TEAMS_STAFF, TEAMS_OFF],
        "teams": [TEAMS_TEAM],
        "party": TEAMS_FACTS,
        "state": teams.RoundRobinState(),
        "open_work": {TEAMS_STAFF.id: 2},
    },
)
function(teams.pool_key, {"value": "team:t-1", "path": "$.key"})
function(teams.normalize_role, {"value": "sales_rep", "path": "$.role"})
function(teams.normalize_country, {"value": "id", "path": "$.country"})
function(teams.normalize_region, {"value": "Jawa Barat", "path": "$.region"})
function(teams.normalize_postal_code, {"value": "40111", "path": "$.postal_code"})
function(teams.normalize_industry, {"value": "Retail", "path": "$.industry"})
from . import (  # noqa: E402 - each registers its targets.
    _targets_activities,  # noqa: F401
    _targets_attribution,  # noqa: F401
    _targets_catalog,  # noqa: F401
    _targets_clv,  # noqa: F401
    _targets_exchange,  # noqa: F401
    _targets_marketing,  # noqa: F401
    _targets_plots,  # noqa: F401
    _targets_privacy,  # noqa: F401
    _targets_profit,  # noqa: F401
    _targets_quotes,  # noqa: F401
    _targets_recommendations,  # noqa: F401
    _targets_sales_lines,  # noqa: F401
    _targets_scale,  # noqa: F401
    _targets_scoring,  # noqa: F401
)
