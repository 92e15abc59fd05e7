"""The demonstration's loyalty and sales pipeline section.

Members join a points programme, earn on their paid orders (with birthday
and campaign bonuses), redeem rewards, lose points that expire, and move
between spend tiers; the sales team captures leads, converts some into
customers and opportunities, and works the opportunities through the
standard pipeline. Everything goes through the aggregates' own commands,
deterministically from a seed and a reference time. The report prints
counts and amounts only, never a name or a contact point.
"""

from __future__ import annotations

import random
from collections import Counter, defaultdict
from collections.abc import Sequence
from datetime import UTC, datetime, timedelta

import attrs
from dateutil.relativedelta import relativedelta

from crmcore._demo._format import money, plural
from crmcore._demo._format import number as grouped
from crmcore._demo._inputs import check_inputs
from crmcore._kernel._ids import SequentialIdSource, StaffId
from crmcore._kernel._money import Money
from crmcore.commerce import Order, Period
from crmcore.customers import ContactPoint, Customer, CustomerId, OrganizationName, PersonName
from crmcore.loyalty import (
    BonusRule,
    EarnRate,
    LoyaltyAccount,
    LoyaltyAccountId,
    LoyaltyProgram,
    LoyaltyRewardRedeemed,
    LoyaltyTierChanged,
    PointsRounding,
    ProgramId,
    Reward,
    RewardId,
    Tier,
)
from crmcore.sales import (
    STANDARD_PIPELINE,
    BantScore,
    Lead,
    LeadId,
    LeadSource,
    LeadStatus,
    Opportunity,
    OpportunityId,
    pipeline_forecast,
)


def _rp(amount: int) -> Money:
    return Money(amount, "IDR")


#: The demo's loyalty programme: spend tiers over a rolling year, points expiring after a year.
PROGRAM = LoyaltyProgram(
    id=ProgramId("kopi-points"),
    name="Kopi Points",
    currency="IDR",
    earn_rate=EarnRate(1, _rp(10_000)),
    rounding=PointsRounding.DOWN,
    points_per_order=5,
    bonuses=(
        BonusRule(code="birthday_month", kind="birthday_month", multiplier=2),
        BonusRule(
            code="harbolnas_2025",
            kind="campaign",
            multiplier=3,
            starts_at=datetime(2025, 12, 12, tzinfo=UTC),
            ends_at=datetime(2025, 12, 13, tzinfo=UTC),
        ),
        BonusRule(
            code="ramadan_2026",
            kind="campaign",
            extra_points=20,
            starts_at=datetime(2026, 2, 18, tzinfo=UTC),
            ends_at=datetime(2026, 3, 20, tzinfo=UTC),
        ),
    ),
    expiry=Period.months(12),
    tiers=(
        Tier.by_spend("bronze", _rp(0), below=_rp(1_500_000)),
        Tier.by_spend("silver", _rp(1_500_000), below=_rp(3_000_000), multiplier="1.25"),
        Tier.by_spend("gold", _rp(3_000_000), multiplier="1.5"),
    ),
    tier_window=Period.months(12),
    downgrade_grace=Period.months(3),
    rewards=(
        Reward(id=RewardId("free-coffee"), name="Free coffee", points_cost=60),
        Reward(id=RewardId("pastry-pair"), name="Two pastries", points_cost=90),
        Reward(id=RewardId("tote-bag"), name="Canvas tote bag", points_cost=250, stock=40),
        Reward(id=RewardId("kopi-1kg"), name="1 kg of house beans", points_cost=400),
        Reward(
            id=RewardId("batik-voucher"),
            name="Batik voucher",
            points_cost=700,
            min_tier="silver",
        ),
    ),
)

_REPS = tuple(StaffId(f"rep-{n:02d}") for n in range(1, 6))
_LEAD_NAMES = ("Arif", "Bunga", "Cahya", "Dimas", "Elok", "Farah", "Galih", "Hana", "Irfan")
_LEAD_COMPANIES = ("PT Kopi Kita", "CV Rasa Nusantara", "PT Hotel Melati", "Kantor Sejahtera")
_INTERESTS = (
    "Office coffee supply",
    "Catering for events",
    "Corporate gift boxes",
    "Café wholesale beans",
)
_LOST_REASONS = ("price", "chose a competitor", "no budget this year", "went silent")


@attrs.frozen
class DemoLoyalty:
    """The generated loyalty and pipeline data of the demo."""

    program: LoyaltyProgram
    accounts: tuple[LoyaltyAccount, ...]
    leads: tuple[Lead, ...]
    opportunities: tuple[Opportunity, ...]


def _month_starts(start: datetime, end: datetime) -> list[datetime]:
    """The first instant (UTC) of every month after ``start``'s, up to ``end``."""
    first = datetime(start.year, start.month, 1, tzinfo=UTC)
    starts: list[datetime] = []
    number = 1
    while (moment := first + relativedelta(months=number)) <= end:
        starts.append(moment)
        number += 1
    return starts


def _member(
    rng: random.Random,
    program: LoyaltyProgram,
    customer: Customer,
    *,
    orders: Sequence[Order],
    account_id: LoyaltyAccountId,
    now: datetime,
) -> tuple[LoyaltyAccount, LoyaltyProgram]:
    """One member's history: earnings, monthly expiry and tier jobs, and redemptions."""
    enrolled = customer.created_at + timedelta(days=rng.randint(0, 120))
    account = LoyaltyAccount.enroll(
        account_id, customer_id=customer.id, program=program, at=enrolled
    )
    steps: list[tuple[datetime, int, Order | None]] = [
        (t, 0, None) for t in _month_starts(enrolled, now)
    ]
    steps += [
        (order.placed_at + timedelta(hours=1), 1, order)
        for order in orders
        if order.placed_at >= enrolled and order.is_paid
    ]
    steps.sort(key=lambda step: (step[0], step[1]))
    birth = customer.profile.birth_date
    for when, _, order in steps:
        if when > now:
            break
        if order is None:
            account = account.expire_due(at=when).evaluate_tier(program, at=when)
            continue
        account = account.earn_for_order(order, program, at=when, birth_date=birth)
        if rng.random() < 0.45:
            account, program = _redeem(rng, program, account, when + timedelta(minutes=5))
    return account, program


def _redeem(
    rng: random.Random, program: LoyaltyProgram, account: LoyaltyAccount, when: datetime
) -> tuple[LoyaltyAccount, LoyaltyProgram]:
    """Redeem the dearest reward the member can take now, if any."""
    points = account.available(when)
    rank = program.rank(account.tier)
    choices = [
        reward
        for reward in program.rewards
        if reward.points_cost <= points
        and reward.stock != 0
        and (reward.min_tier is None or rank >= program.rank(reward.min_tier))
    ]
    if not choices:
        return account, program
    reward = max(choices, key=lambda r: (r.points_cost, rng.random()))
    account = account.redeem_reward(reward.id, program, at=when)
    return account, program.take_stock(reward.id)


def _lead(rng: random.Random, lead_id: LeadId, at: datetime, customers: Sequence[Customer]) -> Lead:
    source = rng.choice(tuple(LeadSource))
    if rng.random() < 0.35:
        name: PersonName | OrganizationName = OrganizationName(rng.choice(_LEAD_COMPANIES))
    else:
        name = PersonName(rng.choice(_LEAD_NAMES))
    handle = f"lead{lead_id.value[-4:]}@example.co.id"
    referred = rng.choice(customers).id if source is LeadSource.REFERRAL and customers else None
    return Lead.capture(
        lead_id,
        name=name,
        source=source,
        at=at,
        contact_points=[ContactPoint("email", handle)],
        interest=rng.choice(_INTERESTS),
        campaign="ramadan-2026" if source is LeadSource.CAMPAIGN else None,
        referred_by=referred,
        owner=rng.choice(_REPS),
    )


def _work_opportunity(rng: random.Random, deal: Opportunity, now: datetime) -> Opportunity:
    """Move a deal through the open stages towards its expected close, then maybe close it."""
    stages = STANDARD_PIPELINE.open_stages
    opened = deal.created_at
    close = datetime.combine(deal.expected_close, opened.timetz())
    if close <= opened:
        close = opened + timedelta(days=1)
    reached = rng.randint(1, len(stages))  # how far the deal will get while open
    for number, stage in enumerate(stages[1:reached], start=1):
        when = opened + (close - opened) * number / len(stages)
        if when > now:
            return deal
        deal = deal.move_to(stage.code, STANDARD_PIPELINE, at=when)
    if close > now:
        return deal
    roll = rng.random()
    if roll < 0.15:  # the deal slips: a new expected close date
        return deal.change_expected_close(
            (now + timedelta(days=rng.randint(10, 90))).date(), at=close
        )
    if roll < 0.15 + 0.5 * reached / len(stages):
        return deal.win(STANDARD_PIPELINE, at=close)
    return deal.lose(STANDARD_PIPELINE, at=close, reason=rng.choice(_LOST_REASONS))


def _pipeline(
    rng: random.Random, customers: Sequence[Customer], now: datetime
) -> tuple[list[Lead], list[Opportunity]]:
    lead_ids = SequentialIdSource("lead-", width=5)
    deal_ids = SequentialIdSource("opp-", width=5)
    new_customers = SequentialIdSource("cust-lead-", width=5)
    leads: list[Lead] = []
    deals: list[Opportunity] = []
    for _ in range(80):
        captured = now - timedelta(days=rng.randint(5, 270), minutes=rng.randint(0, 600))
        lead = _lead(rng, LeadId.new(lead_ids), captured, customers)
        when = captured + timedelta(days=rng.randint(0, 4))
        roll = rng.random()
        if roll < 0.15 or when > now:
            leads.append(lead)
            continue
        lead = lead.contact(at=when)
        when += timedelta(days=rng.randint(1, 10))
        if roll < 0.40 or when > now:
            if roll >= 0.25 and when <= now:
                lead = lead.disqualify(at=when, reason="not a fit")
            leads.append(lead)
            continue
        score = BantScore(rng.random() < 0.8, rng.random() < 0.6, True, rng.random() < 0.7)
        lead = lead.qualify(at=when, score=score)
        when += timedelta(days=rng.randint(1, 7))
        if roll < 0.7 or when > now:
            leads.append(lead)
            continue
        done = lead.convert(
            CustomerId.new(new_customers),
            at=when,
            opportunity_id=OpportunityId.new(deal_ids),
            pipeline=STANDARD_PIPELINE,
            amount=_rp(rng.randrange(5_000_000, 150_000_000, 500_000)),
            expected_close=(when + timedelta(days=rng.randint(20, 180))).date(),
        )
        leads.append(done.lead)
        if done.opportunity is not None:
            deals.append(_work_opportunity(rng, done.opportunity, now))
    organizations = [c for c in customers if c.kind.value == "organization"]
    for customer in organizations:
        opened = max(customer.created_at, now - timedelta(days=rng.randint(10, 240)))
        deal = Opportunity.open(
            OpportunityId.new(deal_ids),
            customer_id=customer.id,
            name=rng.choice(_INTERESTS),
            amount=_rp(rng.randrange(10_000_000, 300_000_000, 1_000_000)),
            expected_close=(opened + timedelta(days=rng.randint(30, 180))).date(),
            owner=rng.choice(_REPS),
            pipeline=STANDARD_PIPELINE,
            at=opened,
        )
        deals.append(_work_opportunity(rng, deal, now))
    return leads, deals


def demo_loyalty(
    customers: Sequence[Customer], orders: Sequence[Order], *, seed: int, at: datetime
) -> DemoLoyalty:
    """Members, leads and opportunities of the demo, deterministically from ``seed``.

    About half the customers enrol in :data:`PROGRAM` some time after
    registering and earn on their paid orders from then on; a monthly job
    expires points and evaluates tiers; members redeem rewards now and then.
    """
    now = check_inputs(seed, at, customers=customers, orders=orders)
    rng = random.Random(seed + 3)  # noqa: S311 - reproducible demo data, not secrets.
    by_customer: dict[CustomerId, list[Order]] = defaultdict(list)
    for order in sorted(orders, key=lambda o: (o.placed_at, o.id)):
        by_customer[order.customer_id].append(order)
    ids = SequentialIdSource("member-", width=5)
    program = PROGRAM
    accounts: list[LoyaltyAccount] = []
    for customer in customers:
        if rng.random() >= 0.5 or customer.created_at + timedelta(days=120) > now:
            continue
        account, program = _member(
            rng,
            program,
            customer,
            orders=by_customer[customer.id],
            account_id=LoyaltyAccountId.new(ids),
            now=now,
        )
        accounts.append(account)
    leads, deals = _pipeline(rng, customers, now)
    return DemoLoyalty(
        program=program, accounts=tuple(accounts), leads=tuple(leads), opportunities=tuple(deals)
    )


def _points(count: int) -> str:
    return grouped(count)


def _loyalty_lines(data: DemoLoyalty, customers: int, at: datetime) -> list[str]:
    program = data.program
    accounts = data.accounts
    tiers = Counter(account.tier for account in accounts)
    share = f"{len(accounts) * 100 // customers}% of customers" if customers else "no customers"
    rate = program.earn_rate
    earning = (
        "no points for spend" if rate is None else f"{rate.points} per {money(rate.per)} spent"
    )
    lines = [
        (
            f'loyalty programme "{program.name}": {earning}, {program.points_per_order} per'
            f" order; points expire after {program.expiry}; tiers by spend over"
            f" {program.tier_window}, {program.downgrade_grace} grace"
        ),
        f"{plural(len(accounts), 'member')} ({share}); by tier: "
        + ", ".join(f"{tier.code} {tiers[tier.code]}" for tier in program.tiers),
    ]
    earned = sum(account.totals().earned for account in accounts)
    redeemed = sum(account.totals().redeemed for account in accounts)
    expired = sum(account.totals().expired for account in accounts)
    balance = sum(account.balance() for account in accounts)
    lapsed = sum(account.lapsed(at) for account in accounts)
    lines.append(
        f"points earned {_points(earned)}, redeemed {_points(redeemed)}, "
        f"expired {_points(expired)}; outstanding balance {_points(balance)} "
        f"({_points(lapsed)} past expiry awaiting the next run)"
    )
    moves = [
        e
        for account in accounts
        for e in account.pending_events
        if isinstance(e, LoyaltyTierChanged)
    ]
    lines.append(
        f"tier changes: {plural(sum(e.upgrade for e in moves), 'upgrade')}, "
        f"{plural(sum(not e.upgrade for e in moves), 'downgrade')}"
    )
    rewards = Counter(
        e.reward_id
        for account in accounts
        for e in account.pending_events
        if isinstance(e, LoyaltyRewardRedeemed)
    )
    names = {reward.id: reward.name for reward in program.rewards}
    lines.append("top rewards redeemed:")
    lines += [f"  {names[rid]:<22} {count:>5}" for rid, count in rewards.most_common(5)]
    return lines


def _pipeline_lines(data: DemoLoyalty, at: datetime) -> list[str]:
    leads, deals = data.leads, data.opportunities
    sources = Counter(lead.source.value for lead in leads)
    statuses = Counter(lead.status for lead in leads)
    lines = [
        f"{plural(len(leads), 'lead')} by source: "
        + ", ".join(f"{name} {n}" for name, n in sorted(sources.items())),
        "lead status: " + ", ".join(f"{s.value} {statuses[s]}" for s in LeadStatus if statuses[s]),
    ]
    kinds = Counter(deal.kind.value for deal in deals)
    closed = kinds["won"] + kinds["lost"]
    rate = f"{kinds['won'] * 100 // closed}%" if closed else "n/a"
    lines.append(
        f"{plural(len(deals), 'opportunity', 'opportunities')}: open {kinds['open']}, won {kinds['won']}, "
        f"lost {kinds['lost']} (win rate {rate})"
    )
    result = pipeline_forecast(deals, STANDARD_PIPELINE, by="month")
    this_month = at.date().replace(day=1)
    first, current, last = (
        (this_month + relativedelta(months=n)).isoformat()[:7] for n in (-5, 0, 5)
    )
    overdue = [line for line in result.lines if line.period < current]
    lines.append(
        f"weighted forecast of open deals by expected close month and stage, {current} on (IDR):"
    )
    lines += [
        f"  {line.period}  {line.stage:<14} {plural(line.count, 'deal'):>9} {money(line.amount):>17}"
        f"  x {line.probability}  = {money(line.weighted):>16}"
        for line in result.lines
        if current <= line.period <= last
    ]
    lines.append(
        f"  overdue (expected before {current}): {plural(sum(line.count for line in overdue), 'deal')},"
        f" weighted {money(Money.total((line.weighted for line in overdue), currency='IDR'))}"
    )
    lines.append("per month: weighted open pipeline and deals won")
    lines += [
        f"  {p.period}  {money(p.weighted):>16}   won {money(p.won):>16} "
        f"({plural(p.won_count, 'deal')})"
        for p in result.for_currency("IDR")
        if first <= p.period <= last
    ]
    lines.append(
        f"total weighted pipeline {money(result.weighted_total('IDR'))} "
        f"of {money(result.open_total('IDR'))} open; won {money(result.won_total('IDR'))}"
    )
    return lines


def demo_section(
    customers: Sequence[Customer],
    orders: Sequence[Order],
    *,
    seed: int,
    at: datetime,
    data: DemoLoyalty | None = None,
) -> str:
    """The report section: members per tier, points, rewards, leads and the weighted forecast.

    Pass ``data`` (from :func:`demo_loyalty`) to reuse generated facts. Only
    counts, amounts, stage codes and reward names are printed.
    """
    now = check_inputs(seed, at, customers=customers, orders=orders)
    if data is None:
        data = demo_loyalty(customers, orders, seed=seed, at=now)
    return "\n".join([*_loyalty_lines(data, len(customers), now), *_pipeline_lines(data, now)])
