"""The ladder's member rung is left when the loyalty membership behind it is closed."""

from datetime import UTC, datetime, timedelta

from crmcore import Customer, CustomerId, Money, PersonName
from crmcore.commerce import Period
from crmcore.lifecycle import RELATIONSHIP_LADDER, Facts, ladder_facts, progress, progression_steps
from crmcore.loyalty import (
    EarnRate,
    LoyaltyAccount,
    LoyaltyAccountId,
    LoyaltyProgram,
    ProgramId,
    Tier,
)

T0 = datetime(2026, 1, 5, tzinfo=UTC)
DAY = timedelta(days=1)
CID = CustomerId("c-1")
PROGRAM = LoyaltyProgram(
    id=ProgramId("kopi"),
    name="Kopi Points",
    currency="IDR",
    earn_rate=EarnRate(1, Money(10_000, "IDR")),
    tiers=[Tier.by_points("bronze", 0)],
    expiry=Period.months(12),
)
#: A customer with purchases: without the membership they stand on a purchase rung.
PURCHASES = Facts(purchase_count=3, first_purchase_at=T0, last_purchase_at=T0 + 2 * DAY)


def member_and_account():
    """A customer placed on the member rung by a progression, and their open account."""
    account = LoyaltyAccount.enroll(
        LoyaltyAccountId("la-1"), customer_id=CID, program=PROGRAM, at=T0
    )
    person = Customer.register(CID, name=PersonName("Ana"), at=T0)
    when = T0 + 3 * DAY
    facts = ladder_facts(CID, at=when, purchases=PURCHASES, loyalty_accounts=[account])
    assert facts.loyalty_member
    person = progress(person, facts, at=when)
    assert "member" == RELATIONSHIP_LADDER.stage_of(person)
    return person, account


def test_a_member_whose_account_is_closed_steps_down_at_the_next_progression():
    """After the close the facts say no membership, and progression leaves the rung by its rule."""
    person, account = member_and_account()
    closed_at = T0 + 10 * DAY
    closed = account.close(at=closed_at, reason="member_request")
    when = closed_at + DAY
    facts = ladder_facts(CID, at=when, purchases=PURCHASES, loyalty_accounts=[closed])
    assert not facts.loyalty_member
    steps = progression_steps(person, facts, at=when)
    assert steps
    assert ("member", "membership_ended", when) == (
        steps[0].from_stage,
        steps[0].rule.value,
        steps[0].at,
    )
    moved = progress(person, facts, at=when)
    assert RELATIONSHIP_LADDER.stage_of(moved) not in {"member", "advocate", "partner"}


def test_before_the_close_and_at_its_instant():
    """Just before the close the member stays a member; at the close instant the membership has ended."""
    person, account = member_and_account()
    closed_at = T0 + 10 * DAY
    closed = account.close(at=closed_at)
    before = closed_at - timedelta(microseconds=1)
    facts = ladder_facts(CID, at=before, purchases=PURCHASES, loyalty_accounts=[closed])
    assert facts.loyalty_member
    assert () == progression_steps(person, facts, at=before)
    assert not ladder_facts(CID, at=closed_at, loyalty_accounts=[closed]).loyalty_member


def test_another_open_membership_keeps_the_rung():
    """Closing one account leaves the member rung held while another membership is in force."""
    person, account = member_and_account()
    other = LoyaltyAccount.enroll(
        LoyaltyAccountId("la-2"), customer_id=CID, program=PROGRAM, at=T0 + DAY
    )
    closed = account.close(at=T0 + 10 * DAY)
    when = T0 + 11 * DAY
    facts = ladder_facts(CID, at=when, purchases=PURCHASES, loyalty_accounts=[closed, other])
    assert facts.loyalty_member
    assert () == progression_steps(person, facts, at=when)
