"""The demo's relationship ladder: the facts behind every rung, and progression over two years.

The rungs above *repeat customer* need more than purchases, so the demo
generates the facts that justify them, each from the customer base itself:

* *prospect*: a customer who has not bought yet but asked for product advice
  (an interaction with that subject) is qualified;
* *member*: a loyalty enrolment in force (the loyalty section's accounts);
* *advocate*: a customer tagged ``referral`` was referred by an earlier
  customer who had already bought (a ``referred_by`` relationship from the
  referred customer's registration; it counts for the policy's 24 months);
* *partner*: an organization tagged ``wholesale`` or ``b2b`` that has bought
  signs a reseller agreement some weeks after its first purchase.

:func:`progress_monthly` then runs progression as a monthly job; every move
records the rule that justified it, which the lifecycle section prints.
"""

from __future__ import annotations

import random
from bisect import bisect_left
from collections import Counter, defaultdict
from collections.abc import Sequence
from datetime import datetime, timedelta
from typing import Final

from dateutil.relativedelta import relativedelta

from crmcore._demo._format import plural
from crmcore._kernel._ids import SequentialIdSource
from crmcore.commerce import Order
from crmcore.customers import Customer, CustomerId
from crmcore.interactions import Interaction
from crmcore.lifecycle import (
    LADDER_RUNGS,
    RELATIONSHIP_LADDER,
    Facts,
    funnel,
    ladder_facts,
    progress,
    stage_distribution,
)
from crmcore.loyalty import LoyaltyAccount
from crmcore.parties import Relationship, RelationshipGraph, RelationshipId

#: The interaction subject that shows a customer's strong interest (qualifies a prospect).
ADVICE: Final = "Product advice"
#: The tags of the organizations that may become resellers.
PARTNER_TAGS: Final = frozenset({"wholesale", "b2b"})
#: Months of monthly progression runs before the reference time.
MONTHS: Final = 24


def first_purchases(orders: Sequence[Order]) -> dict[CustomerId, datetime]:
    """Each buying customer's first purchase time."""
    first: dict[CustomerId, datetime] = {}
    for order in orders:
        if order.is_purchase and (
            order.customer_id not in first or order.placed_at < first[order.customer_id]
        ):
            first[order.customer_id] = order.placed_at
    return first


def demo_relationships(
    customers: Sequence[Customer], orders: Sequence[Order], *, seed: int, at: datetime
) -> list[Relationship]:
    """Referrals and reseller agreements justified by the customers' own history."""
    rng = random.Random(seed + 7)  # noqa: S311 - reproducible demo data, not secrets.
    ids = SequentialIdSource("rel-", width=5)
    first = first_purchases(orders)
    buyers = sorted((when, cid) for cid, when in first.items())
    times = [when for when, _ in buyers]
    relationships: list[Relationship] = []
    for customer in customers:
        if "referral" not in customer.tags:
            continue
        joined = customer.created_at
        earlier = bisect_left(times, joined)  # the customers who had bought before they joined
        if earlier:
            relationships.append(
                Relationship.establish(
                    RelationshipId.new(ids),
                    kind="referred_by",
                    party_id=customer.id,
                    related_id=buyers[rng.randrange(earlier)][1],
                    at=joined,
                )
            )
    for customer in customers:
        bought = first.get(customer.id)
        if customer.kind.value != "organization" or not PARTNER_TAGS & set(customer.tags):
            continue
        signed = None if bought is None else bought + timedelta(days=rng.randint(14, 90))
        if signed is not None and signed <= at:
            relationships.append(
                Relationship.establish(
                    RelationshipId.new(ids), kind="reseller", party_id=customer.id, at=signed
                )
            )
    return relationships


def _facts(orders: Sequence[Order], advice: Sequence[datetime], at: datetime) -> Facts:
    times = sorted(o.placed_at for o in orders if o.is_purchase and o.placed_at <= at)
    if not times:
        return Facts(qualified=any(when <= at for when in advice))
    return Facts(purchase_count=len(times), first_purchase_at=times[0], last_purchase_at=times[-1])


def progress_monthly(
    customers: Sequence[Customer],
    orders: Sequence[Order],
    at: datetime,
    *,
    accounts: Sequence[LoyaltyAccount] = (),
    interactions: Sequence[Interaction] = (),
    relationships: Sequence[Relationship] = (),
) -> list[Customer]:
    """Run ladder progression as a monthly job over two years of purchases and relationships."""
    by_customer: dict[CustomerId, list[Order]] = defaultdict(list)
    for order in orders:
        by_customer[order.customer_id].append(order)
    advice: dict[CustomerId, list[datetime]] = defaultdict(list)
    for interaction in interactions:
        if interaction.subject == ADVICE:
            advice[interaction.customer_id].append(interaction.timeline_at)
    own: dict[CustomerId, list[LoyaltyAccount]] = defaultdict(list)
    for account in accounts:
        own[account.customer_id].append(account)
    graph = RelationshipGraph(relationships)
    checkpoints = [at - relativedelta(months=n) for n in range(MONTHS, -1, -1)]
    moved = []
    for customer in customers:
        current = customer
        for when in checkpoints:
            if when >= current.updated_at:
                purchases = _facts(by_customer[current.id], advice[current.id], when)
                facts = ladder_facts(
                    current.id,
                    at=when,
                    purchases=purchases,
                    relationships=graph,
                    loyalty_accounts=own[current.id],
                )
                current = progress(current, facts, at=when, actor="monthly-ladder-job")
        moved.append(current)
    return moved


#: What the demo's data holds behind each rung's rule (the rule itself comes from progression).
EVIDENCE: Final = {
    "suspect": "every registered customer enters the ladder here",
    "prospect": f"asked for product advice ('{ADVICE}' interaction) before a first purchase",
    "first_time_customer": "a first order that counts as a purchase",
    "repeat_customer": "a second purchase",
    "client": "five purchases, the first a year or more before",
    "member": "a Kopi Points enrolment in force (loyalty section)",
    "advocate": "a customer they referred registered (referred_by, counts 24 months)",
    "partner": "a wholesale or b2b organization signed a reseller agreement after buying",
}


def _reasons(customers: Sequence[Customer]) -> tuple[Counter[str], dict[str, Counter[str]]]:
    """How many customers ever entered each stage, and the reasons recorded for it."""
    reached: Counter[str] = Counter()
    why: dict[str, Counter[str]] = defaultdict(Counter)
    for customer in customers:
        state = RELATIONSHIP_LADDER.state_of(customer)
        seen = set()
        for change in state.history:
            seen.add(change.to_stage)
            if change.reason:
                why[change.to_stage][change.reason] += 1
        reached.update(seen)
    return reached, why


def section_lifecycle(
    customers: Sequence[Customer],
    at: datetime,
    *,
    orders: Sequence[Order] = (),
    accounts: Sequence[LoyaltyAccount] = (),
) -> str:
    """The ladder, every rung reached and why, the stage distribution, reconciliations, the funnel.

    ``customers`` are the customers after :func:`progress_monthly`; ``orders``
    and ``accounts`` the data progression read, for the reconciliations.
    """
    rungs = " -> ".join(LADDER_RUNGS)
    others = [s for s in RELATIONSHIP_LADDER.stage_names if s not in set(LADDER_RUNGS)]
    diagram = RELATIONSHIP_LADDER.to_mermaid()
    lines = [
        f"the relationship ladder: {rungs} (and {', '.join(others)})",
        (
            f"{plural(len(RELATIONSHIP_LADDER.triggers), 'trigger')}; the Mermaid diagram "
            f"(RELATIONSHIP_LADDER.to_mermaid()) has {plural(len(diagram.splitlines()), 'line')}"
        ),
        (
            f"every rung, the customers who ever reached it in {MONTHS} monthly progression "
            "runs, the rule recorded and the demo's facts behind it:"
        ),
    ]
    reached, why = _reasons(customers)
    for rung in LADDER_RUNGS:
        rule = why[rung].most_common(1)[0][0] if why[rung] else "start: the ladder's entry"
        lines.append(f"  {rung:<20} {reached[rung]:>5}  {rule}")
        lines.append(f"  {'':<26} facts: {EVIDENCE[rung]}")
    dist = stage_distribution(customers, RELATIONSHIP_LADDER, at=at)
    lines.append(
        f"stage distribution on {at.date().isoformat()} ({plural(dist.total, 'customer')}):"
    )
    lines += [f"  {e.stage:<20} {e.count:>5}  {e.share or 0:>6.1%}" for e in dist.counts]
    counts = {e.stage: e.count for e in dist.counts}
    buyers = {o.customer_id for o in orders if o.is_purchase and o.placed_at <= at}
    buying_stages = [*LADDER_RUNGS[2:], "lapsed", "churned"]
    lines.append(
        f"  {plural(len(buyers), 'customer')} with a purchase (commerce section) = "
        + " + ".join(str(counts.get(stage, 0)) for stage in buying_stages)
        + f" ({', '.join(buying_stages)}) = {sum(counts.get(s, 0) for s in buying_stages)}; "
        f"{len(customers) - len(buyers)} without = {counts.get('suspect', 0)} suspect + "
        f"{counts.get('prospect', 0)} prospect"
    )
    if accounts:
        stage = {c.id: RELATIONSHIP_LADDER.state_of(c).stage for c in customers}
        active = [a.customer_id for a in accounts if a.is_active_at(at)]
        higher = sum(1 for cid in active if cid in buyers and stage[cid] in ("advocate", "partner"))
        on_member = sum(1 for cid in active if stage[cid] == "member")
        lines.append(
            f"  {plural(len(active), 'loyalty member')} (loyalty section) = {on_member} on the "
            f"member rung + {higher} on a higher one (advocate, partner) + "
            f"{len(active) - on_member - higher} without a purchase yet"
        )
    year = funnel(
        customers,
        RELATIONSHIP_LADDER,
        start=at - relativedelta(years=1),
        end=at + relativedelta(days=1),
    )
    lines.append("funnel over the last year (reached -> went further, conversion):")
    lines += [
        f"  {step.stage:<20} {step.reached:>5} -> {step.advanced:>5}"
        + ("" if step.conversion is None else f"  {step.conversion:.1%}")
        for step in year.steps
    ]
    return "\n".join(lines)
