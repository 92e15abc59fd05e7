"""Tests for `crmcore._demo._loyalty`: the demonstration's loyalty and pipeline section."""

from collections import Counter

import pytest

from crmcore import InvalidType, ValidationError
from crmcore._demo._commerce import demo_orders
from crmcore._demo._format import money
from crmcore._demo._loyalty import PROGRAM, demo_loyalty, demo_section
from crmcore._demo._report import REFERENCE_TIME, build_customers
from crmcore.customers import PersonName
from crmcore.loyalty import EntryKind, LoyaltyRewardRedeemed
from crmcore.sales import STANDARD_PIPELINE, LeadStatus, pipeline_forecast

#: The demo builds a whole synthetic customer base: seconds per test.
pytestmark = pytest.mark.slow

SEED = 11


@pytest.fixture(scope="module")
def customers():
    return build_customers(120)


@pytest.fixture(scope="module")
def orders(customers):
    return demo_orders(customers, seed=SEED, at=REFERENCE_TIME)


@pytest.fixture(scope="module")
def data(customers, orders):
    return demo_loyalty(customers, orders, seed=SEED, at=REFERENCE_TIME)


def test_generation_is_deterministic(customers, orders, data):
    """The same inputs give the same data and the same text; another seed differs."""
    assert data == demo_loyalty(customers, orders, seed=SEED, at=REFERENCE_TIME)
    text = demo_section(customers, orders, seed=SEED, at=REFERENCE_TIME, data=data)
    assert text == demo_section(customers, orders, seed=SEED, at=REFERENCE_TIME)
    assert data != demo_loyalty(customers, orders, seed=SEED + 1, at=REFERENCE_TIME)


def test_members_earn_redeem_and_lose_points_within_the_rules(customers, data):
    """Members are known customers; ledgers hold every kind of entry and stay consistent."""
    known = {c.id for c in customers}
    assert data.accounts
    assert all(a.customer_id in known for a in data.accounts)
    assert len({a.customer_id for a in data.accounts}) == len(data.accounts)
    kinds = Counter(e.kind for a in data.accounts for e in a.ledger)
    assert {EntryKind.EARN, EntryKind.REDEEM, EntryKind.EXPIRE} <= set(kinds)
    for account in data.accounts:
        assert sum(e.points for e in account.ledger) == account.balance() >= 0
        assert account.updated_at <= REFERENCE_TIME
    assert {a.tier for a in data.accounts} <= {t.code for t in PROGRAM.tiers}
    assert len({a.tier for a in data.accounts}) >= 2


def test_reward_stock_is_taken_as_rewards_are_redeemed(data):
    """The programme returned has the stocked reward's redemptions taken off its stock."""
    taken = Counter(
        e.reward_id
        for a in data.accounts
        for e in a.pending_events
        if isinstance(e, LoyaltyRewardRedeemed)
    )
    for reward in PROGRAM.rewards:
        if reward.stock is not None:
            assert reward.stock - taken[reward.id] == data.program.reward(reward.id).stock


def test_the_pipeline_has_leads_in_several_states_and_deals_in_the_standard_pipeline(data):
    """Leads reach conversion and disqualification; converted leads link to their deals."""
    statuses = {lead.status for lead in data.leads}
    assert {LeadStatus.CONVERTED, LeadStatus.DISQUALIFIED} <= statuses
    deals = {deal.id: deal for deal in data.opportunities}
    for lead in data.leads:
        if lead.opportunity_id is not None:
            assert lead.id == deals[lead.opportunity_id].lead_id
    assert all(deal.pipeline_id == STANDARD_PIPELINE.id for deal in data.opportunities)
    assert {deal.kind.value for deal in data.opportunities} == {"open", "won", "lost"}
    assert all(deal.updated_at <= REFERENCE_TIME for deal in data.opportunities)


def test_the_section_reports_tiers_points_rewards_and_the_forecast(customers, orders, data):
    """The text counts members per tier, points, rewards and the weighted pipeline."""
    text = demo_section(customers, orders, seed=SEED, at=REFERENCE_TIME, data=data)
    tiers = Counter(a.tier for a in data.accounts)
    assert f"{len(data.accounts)} members" in text
    assert ", ".join(f"{t.code} {tiers[t.code]}" for t in PROGRAM.tiers) in text
    earned = sum(a.totals().earned for a in data.accounts)
    assert f"points earned {earned:,}".replace(",", ".") in text
    assert "top rewards redeemed:" in text
    total = pipeline_forecast(data.opportunities, STANDARD_PIPELINE).weighted_total("IDR")
    shown = money(total)
    assert f"total weighted pipeline {shown}" in text


def test_the_section_prints_no_personal_data(customers, orders, data):
    """No customer or lead name, email address or phone number appears in the report."""
    text = demo_section(customers, orders, seed=SEED, at=REFERENCE_TIME, data=data)
    for customer in customers:
        assert all(point.value not in text for point in customer.contact_points)
        name = customer.name
        if isinstance(name, PersonName) and name.family:
            assert f"{name.given} {name.family}" not in text
    for lead in data.leads:
        assert all(point.value not in text for point in lead.contact_points)
        if isinstance(lead.name, PersonName):
            assert lead.name.given not in text


def test_bad_arguments_are_refused(customers, orders):
    """Seeds are ints, customers and orders sequences, times aware."""
    with pytest.raises(InvalidType):
        demo_section(customers, orders, seed="1", at=REFERENCE_TIME)
    with pytest.raises(InvalidType):
        demo_section(customers, iter(orders), seed=1, at=REFERENCE_TIME)
    with pytest.raises(ValidationError):
        demo_section(customers, orders, seed=1, at=REFERENCE_TIME.replace(tzinfo=None))


def test_bad_arguments_are_checked_in_order(customers, orders):
    """The seed first, then the customers, the orders and the time: the path names the first."""
    naive = REFERENCE_TIME.replace(tzinfo=None)
    for arguments, path in [
        ((iter(customers), iter(orders), "1", naive), "$.seed"),
        ((iter(customers), iter(orders), 1, naive), "$.customers"),
        ((customers, iter(orders), 1, naive), "$.orders"),
        ((customers, orders, 1, naive), "$.at"),
    ]:
        people, bought, seed, at = arguments
        for make in (demo_loyalty, demo_section):
            with pytest.raises(ValidationError) as info:
                make(people, bought, seed=seed, at=at)
            assert path == info.value.path


def test_an_empty_customer_base_gives_an_empty_report():
    """No customers: no members, no deals from customers, still a well-formed section."""
    text = demo_section([], [], seed=SEED, at=REFERENCE_TIME)
    assert "0 members (no customers)" in text
