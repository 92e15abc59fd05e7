"""The demo's marketing section: a campaign to an RFM segment, its attribution and ROI, leads, offers.

The demo's best customers by RFM (champions and loyal) become the members of an
email campaign. Each member is sent the message only if their consent and
privacy state allow it at that moment; the refusals are counted by code. Some
of those messaged respond (drawn with the seed), and some of the responders buy
within days: their purchases are attributed to the campaign with every model,
each model's shares adding up to the revenue exactly, and the campaign's ROI
follows from its recorded cost. Leads are scored by rules (grade and
temperature) and a predictive model is fitted on a synthetic history (its AUC on
the held-out part). Last, association rules mined from the demo's orders give
three customers their next offers, each with its explanation. The section
prints ids, codes and figures only.
"""

from __future__ import annotations

import random
from collections import Counter
from collections.abc import Sequence
from datetime import datetime, timedelta
from typing import Final

from crmcore._demo._commerce import DemoCommerce
from crmcore._demo._format import money, plural
from crmcore._demo._inputs import check_inputs
from crmcore._kernel._ids import CampaignId, OrderId, ProductId, SequentialIdSource
from crmcore._kernel._money import Money
from crmcore.commerce import Order, OrderLine
from crmcore.customers import Customer
from crmcore.errors import CrmcoreError
from crmcore.marketing import (
    AttributionModel,
    Campaign,
    CampaignMember,
    add_members,
    attribute,
    campaign_roi,
    conversions_from,
    touches_of,
)
from crmcore.recommendations import as_baskets, association_rules, recommend
from crmcore.scoring import EngagementEvent, ScoringModel, ScoringRule, fit_lead_model, score_lead
from crmcore.segmentation import field, rfm_values, score_rfm

#: The RFM segments the campaign goes to.
TARGET_SEGMENTS: Final = frozenset({"champions", "loyal"})
#: The campaign's recorded cost.
CAMPAIGN_COST: Final = Money("2500000", "IDR")
#: How many customers get an offer in the section.
OFFERED: Final = 3
#: How far back a purchase looks for the campaign's touches.
LOOKBACK: Final = timedelta(days=30)
#: The lead-scoring model of the section.
SCORING: Final = ScoringModel(
    [
        ScoringRule("retail", field("industry") == "retail", 30),
        ScoringRule("large", field("employees") >= 200, 25),
        ScoringRule("student", field("industry") == "education", -20),
        ScoringRule(
            "webinar",
            field("type") == "webinar",
            20,
            kind="engagement",
            half_life_days=14,
            cap=40,
        ),
    ],
    grade_a=50,
    grade_b=30,
    grade_c=10,
    hot=30,
    warm=10,
)


def _campaign_members(
    customers: Sequence[Customer], commerce: DemoCommerce, start: datetime
) -> tuple[Campaign, list[Customer]]:
    purchases = [(o.customer_id.value, o.at, o.amount) for o in commerce.orders if o.is_purchase]
    scores = score_rfm(rfm_values(purchases, at=start))
    chosen = {s.customer_id for s in scores if s.segment().value in TARGET_SEGMENTS}
    targets = [customer for customer in customers if customer.id.value in chosen]
    campaign = Campaign.create(
        CampaignId("cmp-loyal"),
        name="Loyal customers, new season",
        campaign_type="email",
        channel="email",
        start=start.date(),
        end=start.date() + timedelta(days=20),
        budget=Money("3000000", "IDR"),
        utm_source="newsletter",
        utm_medium="email",
        utm_campaign="new_season",
        at=start,
    ).activate(at=start)
    return campaign.record_cost(CAMPAIGN_COST, at=start), targets


def _run(
    members: Sequence[CampaignMember],
    targets: Sequence[Customer],
    rng: random.Random,
    start: datetime,
) -> tuple[list[CampaignMember], Counter[str]]:
    by_id = {customer.id: customer for customer in targets}
    refused: Counter[str] = Counter()
    done = []
    for targeted in members:
        customer = by_id[targeted.customer_id] if targeted.customer_id is not None else None
        try:
            sent = targeted.send(at=start + timedelta(hours=1), customer=customer)
        except CrmcoreError as error:
            refused[getattr(error, "code", type(error).__name__)] += 1
            done.append(targeted)
            continue
        if rng.random() < 0.4:
            sent = sent.respond(at=start + timedelta(days=rng.randrange(1, 6)))
        done.append(sent)
    return done, refused


def _purchases(members: Sequence[CampaignMember], rng: random.Random) -> list[Order]:
    orders: list[Order] = []
    for member in members:
        responded = member.first_responded_at
        if responded is None or member.customer_id is None or rng.random() >= 0.5:
            continue
        units = rng.randrange(1, 4)
        orders.append(
            Order.place(
                OrderId(f"o-cmp-{len(orders) + 1}"),
                customer_id=member.customer_id,
                lines=[
                    OrderLine(ProductId("sku-gift"), units, Money(150_000, "IDR"), category="gifts")
                ],
                at=responded + timedelta(days=rng.randrange(1, 8)),
            )
        )
    return orders


def _maybe(amount: Money | None) -> str:
    return "n/a" if amount is None else money(amount)


def _campaign_lines(
    customers: Sequence[Customer], commerce: DemoCommerce, rng: random.Random, start: datetime
) -> list[str]:
    campaign, targets = _campaign_members(customers, commerce, start)
    members = add_members(
        campaign, targets, at=start, id_source=SequentialIdSource("cm-"), channel="email"
    )
    members_run, refused = _run(members, targets, rng, start)
    sent = sum(1 for member in members_run if member.sent_at is not None)
    responded = sum(1 for member in members_run if member.first_responded_at is not None)
    reasons = ", ".join(f"{code} {n}" for code, n in sorted(refused.items())) or "none"
    lines = [
        (
            f"campaign {campaign.id.value} to the "
            f"{plural(len(targets), 'champion or loyal customer', 'champions and loyal customers')} "
            f"by RFM: {sent} sent, {sum(refused.values())} not messaged ({reasons}), "
            f"{responded} responded"
        )
    ]
    purchases = _purchases(members_run, rng)
    conversions = conversions_from(orders=purchases)
    revenue = Money.total((c.revenue for c in conversions), currency="IDR")
    touches = touches_of(members_run)
    for model in AttributionModel:
        credited = attribute(conversions, touches, model=model, lookback=LOOKBACK)
        total = Money.total((a.attributed for a in credited), currency="IDR")
        lines.append(
            f"  {model.value:<15} attributes {money(total)} of {money(revenue)} "
            f"(adds up: {total == revenue if credited and all(a.is_attributed for a in credited) else 'n/a'})"
        )
    credited = attribute(conversions, touches, model="position_based", lookback=LOOKBACK)
    (row,) = campaign_roi([campaign], members_run, credited)
    roi = "n/a" if row.roi is None else f"{row.roi:.2f}"
    lines.append(
        f"  cost {_maybe(row.cost)}, cost per lead {_maybe(row.cost_per_lead)}, "
        f"cost per acquisition {_maybe(row.cost_per_acquisition)}, ROI {roi}"
    )
    return lines


def _lead_lines(rng: random.Random, at: datetime) -> list[str]:
    grades: Counter[str] = Counter()
    temperatures: Counter[str] = Counter()
    for _ in range(40):
        facts = {
            "industry": rng.choice(("retail", "retail", "logistics", "education")),
            "employees": rng.choice((20, 80, 250, 900)),
        }
        events = [
            EngagementEvent("webinar", at - timedelta(days=rng.randrange(0, 60)))
            for _ in range(rng.randrange(0, 3))
        ]
        score = score_lead(SCORING, facts, at=at, events=events)
        grades[score.grade.value] += 1
        temperatures[score.temperature.value] += 1
    history = []
    for _ in range(600):
        visits = rng.randrange(0, 10)
        demo = rng.random() < 0.3
        converted = rng.random() < (visits / 12 + (0.2 if demo else 0))
        history.append(({"visits": visits, "demo": demo}, converted))
    model = fit_lead_model(history, features=["visits", "demo"], l2=1.0, seed=0)
    return [
        "40 leads scored by rules: grades "
        + ", ".join(f"{g} {grades[g]}" for g in ("A", "B", "C", "D"))
        + "; "
        + ", ".join(f"{t} {temperatures[t]}" for t in ("hot", "warm", "cold")),
        (
            f"predictive model on {model.train_size} leads: AUC {model.auc:.3f} on "
            f"{model.holdout_size} held out"
        ),
    ]


def _offer_lines(customers: Sequence[Customer], commerce: DemoCommerce, at: datetime) -> list[str]:
    purchases = [order for order in commerce.orders if order.is_purchase]
    rules = association_rules(
        as_baskets(purchases), min_support=0.005, min_confidence=0.05, min_lift=1.0
    )
    counts = Counter(order.customer_id for order in purchases)
    by_id = {customer.id: customer for customer in customers}
    lines = [
        (
            f"{plural(len(rules), 'association rule')} (lift above 1) mined from "
            f"{plural(len(purchases), 'purchase')} (the commerce section's)"
        )
    ]
    passed: Counter[str] = Counter()
    for customer_id in sorted(counts, key=lambda c: (-counts[c], c.value)):
        history = [order for order in purchases if order.customer_id == customer_id]
        offers = recommend(
            customer_id,
            history=history,
            rules=rules,
            customer=by_id.get(customer_id),
            at=at,
            limit=1,
        )
        if not len(offers):
            passed[str(offers.reason)] += 1
            continue
        lines.append(f"  {customer_id.value}: {offers[0].text}")
        if len(lines) == OFFERED + 1:
            break
    skipped = ", ".join(f"{code} {n}" for code, n in sorted(passed.items())) or "none"
    lines.append(f"  customers passed over on the way: {skipped}")
    return lines


def demo_section(
    customers: Sequence[Customer], commerce: DemoCommerce, *, seed: int, at: datetime
) -> str:
    """The marketing section of the demo report."""
    at = check_inputs(seed, at, customers=customers)
    rng = random.Random(seed)  # noqa: S311 - reproducible demo data, not secrets.
    start = at - timedelta(days=25)
    lines = _campaign_lines(customers, commerce, rng, start)
    lines += _lead_lines(rng, at)
    lines += _offer_lines(customers, commerce, at)
    return "\n".join(lines)
