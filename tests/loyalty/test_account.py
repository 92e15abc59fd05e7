"""Tests for `crmcore.loyalty._account`: enrolment, the points ledger, expiry and tiers."""

import json
from datetime import date, datetime, timedelta, timezone
from decimal import Decimal

import attrs
import pytest

from crmcore import CurrencyMismatch, DomainEvent, InvalidType, Money, ValidationError
from crmcore.commerce import Order, OrderId, OrderLine, PaymentId, Period, ProductId
from crmcore.customers import CustomerId
from crmcore.events import event_types
from crmcore.loyalty import (
    BonusRule,
    EarnRate,
    EntryKind,
    LedgerEntry,
    LoyaltyAccount,
    LoyaltyAccountId,
    LoyaltyEvent,
    LoyaltyMemberEnrolled,
    LoyaltyPointsAdjusted,
    LoyaltyPointsEarned,
    LoyaltyPointsExpired,
    LoyaltyPointsRedeemed,
    LoyaltyProgram,
    LoyaltyRewardRedeemed,
    LoyaltyTierChanged,
    PointsLot,
    PointsTotals,
    ProgramId,
    Reward,
    RewardId,
    Tier,
    TierChange,
)
from crmcore.serialization import from_dict, to_dict

WIB = timezone(timedelta(hours=7))
T0 = datetime(2026, 1, 5, 9, 0, tzinfo=WIB)
CID = CustomerId("c-1")
DAY = timedelta(days=1)


def rp(amount):
    return Money(amount, "IDR")


def points_program(**changes):
    fields = {
        "id": ProgramId("points"),
        "name": "Kopi Points",
        "currency": "IDR",
        "earn_rate": EarnRate(1, rp(10_000)),
        "tiers": [
            Tier.by_points("bronze", 0, below=100),
            Tier.by_points("silver", 100, below=300, multiplier=2),
            Tier.by_points("gold", 300, multiplier=3),
        ],
        "expiry": Period.days(30),
        "tier_window": Period.days(60),
        "rewards": [
            Reward(id=RewardId("coffee"), name="Free coffee", points_cost=40),
            Reward(id=RewardId("bag"), name="Tote bag", points_cost=10, stock=0),
            Reward(id=RewardId("lounge"), name="Lounge", points_cost=10, min_tier="gold"),
        ],
    }
    fields.update(changes)
    return LoyaltyProgram(**fields)


def spend_program(**changes):
    fields = {
        "id": ProgramId("spend"),
        "name": "Spend tiers",
        "currency": "IDR",
        "earn_rate": EarnRate(1, rp(10_000)),
        "tiers": [
            Tier.by_spend("bronze", rp(0), below=rp(1_000_000)),
            Tier.by_spend("gold", rp(1_000_000), multiplier="1.5"),
        ],
        "tier_window": Period.months(12),
        "downgrade_grace": Period.months(3),
    }
    fields.update(changes)
    return LoyaltyProgram(**fields)


PROGRAM = points_program()


def enrol(program=PROGRAM, at=T0):
    return LoyaltyAccount.enroll(LoyaltyAccountId("la-1"), customer_id=CID, program=program, at=at)


def paid_order(number=1, amount=500_000, at=T0, customer=CID):
    order = Order.place(
        OrderId(f"o-{number}"),
        customer_id=customer,
        lines=[OrderLine(ProductId("sku"), 1, rp(amount), category="coffee")],
        at=at,
    )
    return order.record_payment(PaymentId(f"p-{number}"), order.total, at=at)


def roundtrip(obj, cls=None):
    return from_dict(cls or type(obj), json.loads(json.dumps(to_dict(obj))))


# -- enrolment -------------------------------------------------------------------------------


def test_enrolment_starts_in_the_lowest_tier_with_an_empty_ledger():
    """Enrolling records LoyaltyMemberEnrolled; the member stands in the base tier with no points."""
    account = enrol()
    assert "bronze" == account.tier
    assert () == account.ledger
    assert 0 == account.balance()
    assert 0 == account.version
    assert (T0, T0, T0) == (account.created_at, account.enrolled_at, account.updated_at)
    assert (
        LoyaltyMemberEnrolled(
            sequence=1,
            occurred_at=T0,
            account_id=LoyaltyAccountId("la-1"),
            customer_id=CID,
            program_id=ProgramId("points"),
            tier="bronze",
        ),
    ) == account.pending_events
    assert (TierChange(tier="bronze", at=T0, reason="enrolled"),) == account.tier_history
    assert T0 == account.tier_confirmed_at


def test_enrolment_checks_its_arguments():
    """A naive time and a missing program are refused."""
    with pytest.raises(ValidationError) as naive:
        enrol(at=datetime(2026, 1, 1))  # noqa: DTZ001 - the point of the test
    assert "$.at" == naive.value.path
    with pytest.raises(InvalidType) as program:
        LoyaltyAccount.enroll(LoyaltyAccountId("a"), customer_id=CID, program="p", at=T0)
    assert "$.program" == program.value.path


def test_repr_shows_the_state_without_reasons():
    """The repr holds ids, tier and balance; free-text reasons stay out."""
    account = enrol().earn(5, PROGRAM, at=T0, reason="the secret reason")
    assert "the secret reason" not in repr(account)
    assert "the secret reason" not in repr(account.ledger)
    assert "balance=5" in repr(account)


# -- earning ---------------------------------------------------------------------------------


def test_earning_for_an_order_writes_a_lot_with_spend_and_expiry():
    """Rp 500,000 earns 50 points that expire 30 days later; the spend is kept."""
    at = T0 + timedelta(hours=1)
    account = enrol().earn_for_order(paid_order(), PROGRAM, at=at)
    assert (
        LedgerEntry(
            kind=EntryKind.EARN,
            at=at,
            points=50,
            reason="order o-1",
            order_id=OrderId("o-1"),
            spend=rp(500_000),
            expires_at=at + timedelta(days=30),
        ),
    ) == account.ledger
    assert (
        LoyaltyPointsEarned(
            sequence=2,
            occurred_at=at,
            account_id=account.id,
            customer_id=CID,
            program_id=PROGRAM.id,
            points=50,
            balance=50,
            order_id=OrderId("o-1"),
            expires_at=at + timedelta(days=30),
        )
        == account.pending_events[-1]
    )
    assert account.has_earned_for(OrderId("o-1"))


def test_earning_twice_for_one_order_changes_nothing():
    """A repeated order earning (even delivered late, at an earlier time) is a no-op."""
    once = enrol().earn_for_order(paid_order(), PROGRAM, at=T0 + DAY)
    assert once is once.earn_for_order(paid_order(), PROGRAM, at=T0 + 2 * DAY)
    assert once is once.earn_for_order(paid_order(), PROGRAM, at=T0)


def test_earning_uses_the_net_amount_of_a_partly_refunded_order():
    """Refunds made before the earning lower the points."""
    order = paid_order().fulfil(at=T0).refund(rp(200_000), at=T0)
    account = enrol().earn_for_order(order, PROGRAM, at=T0 + DAY)
    assert 30 == account.balance()
    assert rp(300_000) == account.ledger[0].spend


def test_a_tiny_order_is_recorded_with_zero_points():
    """An order below the earn rate earns 0 points but is marked as earned for."""
    account = enrol().earn_for_order(paid_order(amount=9_000), PROGRAM, at=T0)
    assert 0 == account.balance()
    assert 1 == len(account.ledger)
    assert account is account.earn_for_order(paid_order(amount=9_000), PROGRAM, at=T0)


def test_bonus_occasions_are_judged_at_the_order_and_named_in_the_event():
    """A birthday-month order earns double; the event lists the occasion."""
    program = points_program(
        bonuses=[BonusRule(code="birthday", kind="birthday_month", multiplier=2)]
    )
    account = enrol(program).earn_for_order(
        paid_order(), program, at=T0 + DAY, birth_date=date(1990, 1, 20)
    )
    assert 100 == account.balance()
    assert ("birthday",) == account.pending_events[1].occasions


@pytest.mark.parametrize(
    ("order", "path", "code"),
    [
        (paid_order(customer=CustomerId("c-2")), "$.order.customer_id", "not_member"),
        (
            Order.place(
                OrderId("o-9"),
                customer_id=CID,
                lines=[OrderLine(ProductId("s"), 1, rp(100), category="x")],
                at=T0,
            ),
            "$.order.payment_status",
            "order_not_paid",
        ),
        (paid_order().cancel(at=T0), "$.order.payment_status", "order_not_paid"),
        (paid_order().refund(rp(500_000), at=T0), "$.order.payment_status", "order_not_paid"),
        (paid_order(at=T0 + DAY), "$.at", "before_order"),
    ],
)
def test_orders_that_cannot_earn_are_refused(order, path, code):
    """Another member's, unpaid, cancelled, refunded or future orders earn nothing."""
    account = enrol()
    with pytest.raises(ValidationError) as info:
        account.earn_for_order(order, PROGRAM, at=T0)
    assert (path, code) == (info.value.path, info.value.code)


def test_an_order_in_another_currency_is_refused():
    """Points are counted in the program's currency only."""
    order = Order.place(
        OrderId("o-usd"),
        customer_id=CID,
        lines=[OrderLine(ProductId("s"), 1, Money(10, "USD"), category="x")],
        at=T0,
    ).record_payment(PaymentId("p"), Money(10, "USD"), at=T0)
    with pytest.raises(CurrencyMismatch) as info:
        enrol().earn_for_order(order, PROGRAM, at=T0)
    assert "$.order" == info.value.path


def test_commands_need_the_accounts_own_program_and_forward_time():
    """Another program, a time before the last change, a non-program are refused."""
    account = enrol().earn(10, PROGRAM, at=T0 + DAY, reason="welcome")
    other = points_program(id=ProgramId("other"))
    with pytest.raises(ValidationError) as program:
        account.earn(1, other, at=T0 + DAY, reason="x")
    assert ("$.program", "other_program") == (program.value.path, program.value.code)
    with pytest.raises(ValidationError) as backwards:
        account.earn(1, PROGRAM, at=T0, reason="x")
    assert ("$.at", "time_backwards") == (backwards.value.path, backwards.value.code)
    with pytest.raises(InvalidType):
        account.earn(1, "points", at=T0 + DAY, reason="x")
    with pytest.raises(ValidationError) as dropped:
        account.earn(
            1, points_program(tiers=[Tier.by_points("member", 0)]), at=T0 + DAY, reason="x"
        )
    assert "unknown_tier" == dropped.value.code


def test_manual_earning_needs_positive_points_and_a_reason():
    """A manual earning is 1 point or more, with a reason."""
    account = enrol()
    with pytest.raises(ValidationError) as zero:
        account.earn(0, PROGRAM, at=T0, reason="x")
    assert "$.points" == zero.value.path
    with pytest.raises(ValidationError) as reason:
        account.earn(5, PROGRAM, at=T0, reason="  ")
    assert "$.reason" == reason.value.path


# -- redeeming and the lots ------------------------------------------------------------------


def two_lots():
    return (
        enrol()
        .earn(60, PROGRAM, at=T0, reason="first")
        .earn(30, PROGRAM, at=T0 + 10 * DAY, reason="second")
    )


def test_redeeming_consumes_the_oldest_lot_first():
    """Redeeming 70 of 60 + 30 empties the first lot and takes 10 of the second."""
    account = two_lots().redeem(70, at=T0 + 11 * DAY, reason="voucher")
    assert (
        PointsLot(entry=0, earned_at=T0, points=60, remaining=0, expires_at=T0 + 30 * DAY),
        PointsLot(
            entry=1, earned_at=T0 + 10 * DAY, points=30, remaining=20, expires_at=T0 + 40 * DAY
        ),
    ) == account.lots()
    assert 20 == account.balance()
    assert (
        LoyaltyPointsRedeemed(
            sequence=4,
            occurred_at=T0 + 11 * DAY,
            account_id=account.id,
            customer_id=CID,
            program_id=PROGRAM.id,
            points=70,
            balance=20,
        )
        == account.pending_events[-1]
    )


def test_redeeming_more_than_the_balance_is_refused_and_changes_nothing():
    """91 of 90 points is refused with insufficient_points; the account is the same."""
    account = two_lots()
    before = to_dict(account)
    with pytest.raises(ValidationError) as info:
        account.redeem(91, at=T0 + 11 * DAY)
    assert ("$.points", "insufficient_points") == (info.value.path, info.value.code)
    assert before == to_dict(account)


def test_redeeming_expired_points_is_refused_even_before_they_are_expired():
    """After the first lot lapses, only the second lot's 30 points can be spent."""
    account = two_lots()
    at = T0 + 35 * DAY
    assert (90, 30, 60) == (account.balance(at), account.available(at), account.lapsed(at))
    with pytest.raises(ValidationError) as info:
        account.redeem(31, at=at)
    assert ("$.points", "expired_points") == (info.value.path, info.value.code)
    spent = account.redeem(30, at=at)
    assert (60, 0) == (spent.balance(), spent.available(at))


def test_expire_due_writes_one_entry_per_lapsed_lot():
    """Expiry removes exactly the unspent points of each lapsed lot, then has nothing left to do."""
    account = two_lots().redeem(50, at=T0 + 11 * DAY).expire_due(at=T0 + 45 * DAY)
    assert [
        EntryKind.EARN,
        EntryKind.EARN,
        EntryKind.REDEEM,
        EntryKind.EXPIRE,
        EntryKind.EXPIRE,
    ] == [e.kind for e in account.ledger]
    assert [-10, -30] == [e.points for e in account.ledger[3:]]
    assert [0, 1] == [e.lot for e in account.ledger[3:]]
    assert 0 == account.balance()
    expired = [e for e in account.pending_events if isinstance(e, LoyaltyPointsExpired)]
    assert [(10, 30, T0, T0 + 30 * DAY), (30, 0, T0 + 10 * DAY, T0 + 40 * DAY)] == [
        (e.points, e.balance, e.earned_at, e.expired_at) for e in expired
    ]
    assert account is account.expire_due(at=T0 + 46 * DAY)


def test_expire_due_with_nothing_due_changes_nothing():
    """Before any lot lapses, expire_due returns the same account."""
    account = two_lots()
    assert account is account.expire_due(at=T0 + 29 * DAY)


def test_balance_at_a_time_sums_the_ledger_up_to_it():
    """balance(at) is the sum of the entries recorded up to at."""
    account = two_lots().redeem(50, at=T0 + 20 * DAY)
    assert 0 == account.balance(T0 - DAY)
    assert 60 == account.balance(T0 + DAY)
    assert 90 == account.balance(T0 + 10 * DAY)
    assert 40 == account.balance(T0 + 20 * DAY)
    assert sum(e.points for e in account.ledger) == account.balance()


def test_expiring_tells_how_many_points_lapse_soon():
    """Points spendable now that expire by the given date."""
    account = two_lots()
    assert 60 == account.expiring(at=T0 + 20 * DAY, until=T0 + 30 * DAY)
    assert 90 == account.expiring(at=T0 + 20 * DAY, until=T0 + 40 * DAY)
    assert 30 == account.expiring(at=T0 + 31 * DAY, until=T0 + 40 * DAY)


def test_totals_split_the_lifetime_ledger_by_kind():
    """Earned, redeemed, expired and adjusted add up to the balance."""
    account = (
        two_lots()
        .redeem(20, at=T0 + 11 * DAY)
        .adjust(5, at=T0 + 11 * DAY, reason="goodwill")
        .expire_due(at=T0 + 50 * DAY)
    )
    totals = account.totals()
    assert PointsTotals(earned=90, redeemed=20, expired=70, adjusted=5) == totals
    assert account.balance() == totals.balance


# -- adjustments -----------------------------------------------------------------------------


def test_positive_adjustments_form_lots_that_may_never_expire():
    """A goodwill gift without expires_at stays spendable forever; with one it lapses."""
    account = (
        enrol()
        .adjust(20, at=T0, reason="goodwill")
        .adjust(10, at=T0, reason="promo", expires_at=T0 + 5 * DAY)
    )
    assert 30 == account.available(T0 + DAY)
    assert 20 == account.available(T0 + 1000 * DAY)
    assert (
        LoyaltyPointsAdjusted(
            sequence=3,
            occurred_at=T0,
            account_id=account.id,
            customer_id=CID,
            program_id=PROGRAM.id,
            points=10,
            balance=30,
        )
        == account.pending_events[-1]
    )
    assert "promo" == account.ledger[-1].reason


def test_negative_adjustments_spend_fifo_and_never_go_below_zero():
    """A deduction takes the oldest points; more than available is refused."""
    account = two_lots().adjust(
        -65, at=T0 + 11 * DAY, reason="refund of o-1", order_id=OrderId("o-1")
    )
    assert [0, 25] == [lot.remaining for lot in account.lots()]
    with pytest.raises(ValidationError) as info:
        account.adjust(-26, at=T0 + 11 * DAY, reason="x")
    assert "insufficient_points" == info.value.code


@pytest.mark.parametrize(
    ("points", "kwargs", "path"),
    [
        (0, {"reason": "x"}, "$.points"),
        (-5, {"reason": "x", "expires_at": T0 + DAY}, "$.expires_at"),
        (5, {"reason": "x", "expires_at": T0}, "$.expires_at"),
        (5, {"reason": ""}, "$.reason"),
        (True, {"reason": "x"}, "$.points"),
    ],
)
def test_bad_adjustments_are_refused(points, kwargs, path):
    """Zero, expiring deductions, already-expired additions, empty reasons, bools are refused."""
    with pytest.raises(ValidationError) as info:
        two_lots().adjust(points, at=T0 + 10 * DAY, **kwargs)
    assert path == info.value.path


# -- rewards ---------------------------------------------------------------------------------


def test_redeeming_a_reward_spends_its_cost_and_records_both_events():
    """A reward redemption records points then reward redeemed, and names the reward."""
    account = two_lots().redeem_reward(RewardId("coffee"), PROGRAM, at=T0 + 11 * DAY)
    assert 50 == account.balance()
    assert RewardId("coffee") == account.ledger[-1].reward_id
    redeemed, reward = account.pending_events[-2:]
    assert (LoyaltyPointsRedeemed, 4) == (type(redeemed), redeemed.sequence)
    assert (40, RewardId("coffee")) == (redeemed.points, redeemed.reward_id)
    assert (
        LoyaltyRewardRedeemed(
            sequence=5,
            occurred_at=T0 + 11 * DAY,
            account_id=account.id,
            customer_id=CID,
            program_id=PROGRAM.id,
            reward_id=RewardId("coffee"),
            points_cost=40,
        )
        == reward
    )


@pytest.mark.parametrize(
    ("reward", "code"),
    [("bag", "out_of_stock"), ("lounge", "tier_too_low"), ("nope", "unknown_reward")],
)
def test_rewards_out_of_stock_above_the_tier_or_unknown_are_refused(reward, code):
    """Stock, minimum tier and the catalogue are checked before points move."""
    with pytest.raises(ValidationError) as info:
        two_lots().redeem_reward(RewardId(reward), PROGRAM, at=T0 + 11 * DAY)
    assert ("$.reward_id", code) == (info.value.path, info.value.code)


# -- tiers -----------------------------------------------------------------------------------


def test_earning_upgrades_at_once():
    """Reaching 100 qualifying points moves the member to silver in the same command."""
    account = enrol().earn(99, PROGRAM, at=T0, reason="a").earn(1, PROGRAM, at=T0 + DAY, reason="b")
    assert "silver" == account.tier
    event = account.pending_events[-1]
    assert (
        LoyaltyTierChanged(
            sequence=4,
            occurred_at=T0 + DAY,
            account_id=account.id,
            customer_id=CID,
            program_id=PROGRAM.id,
            from_tier="bronze",
            to_tier="silver",
            upgrade=True,
            qualifying=Decimal(100),
        )
        == event
    )
    assert LoyaltyPointsEarned is type(account.pending_events[-2])
    assert "qualified by points" == account.tier_history[-1].reason
    assert T0 + DAY == account.tier_confirmed_at


def test_silver_earns_with_its_multiplier():
    """After the upgrade, orders earn twice the spend points."""
    account = enrol().earn(100, PROGRAM, at=T0, reason="a")
    assert 100 == account.earn_for_order(paid_order(), PROGRAM, at=T0).balance() - 100


def test_adjustments_and_redemptions_do_not_change_qualifying_points():
    """Qualifying points are the earnings still in the window, whatever was spent."""
    account = enrol().earn(80, PROGRAM, at=T0, reason="a").adjust(50, at=T0, reason="gift")
    account = account.redeem(100, at=T0 + DAY)
    assert 80 == account.qualifying_points(PROGRAM, at=T0 + DAY)
    assert "bronze" == account.tier
    assert 0 == account.qualifying_points(PROGRAM, at=T0 + 60 * DAY)
    assert 80 == account.qualifying_points(PROGRAM, at=T0 + 60 * DAY - timedelta(seconds=1))


def test_without_grace_a_downgrade_applies_at_the_first_evaluation_below_the_tier():
    """Once the earning leaves the 60-day window, evaluation drops the member to bronze."""
    account = enrol().earn(150, PROGRAM, at=T0, reason="a")
    assert account.evaluate_tier(PROGRAM, at=T0 + 59 * DAY).tier == "silver"
    dropped = account.evaluate_tier(PROGRAM, at=T0 + 60 * DAY)
    assert "bronze" == dropped.tier
    event = dropped.pending_events[-1]
    assert (False, "silver", "bronze", Decimal(0)) == (
        event.upgrade,
        event.from_tier,
        event.to_tier,
        event.qualifying,
    )


def test_a_downgrade_waits_for_the_grace_after_the_member_last_qualified():
    """With 30 days of grace, silver is kept until 30 days after the points left the window.

    The grace runs from when qualification ended (day 60), not from the last
    evaluation, so a late evaluation does not shorten it.
    """
    program = points_program(downgrade_grace=Period.days(30))
    account = enrol(program).earn(150, program, at=T0, reason="a")
    assert T0 + 60 * DAY == account.last_qualified_at(program, at=T0 + 70 * DAY)
    assert T0 + 90 * DAY == account.tier_kept_until(program, at=T0 + 70 * DAY)
    kept = account.evaluate_tier(program, at=T0 + 89 * DAY)
    assert kept is account
    assert "bronze" == account.evaluate_tier(program, at=T0 + 90 * DAY).tier


def test_a_downgrade_lands_on_the_tier_the_activity_matches():
    """From gold, 120 qualifying points drop the member to silver, not bronze."""
    account = (
        enrol()
        .earn(300, PROGRAM, at=T0, reason="a")
        .earn(120, PROGRAM, at=T0 + 50 * DAY, reason="b")
    )
    assert "gold" == account.tier
    assert "silver" == account.evaluate_tier(PROGRAM, at=T0 + 60 * DAY).tier


def test_a_confirming_evaluation_moves_the_confirmation_and_records_nothing():
    """An evaluation that finds the member still qualified confirms the tier silently."""
    account = enrol().earn(150, PROGRAM, at=T0, reason="a")
    evaluated = account.evaluate_tier(PROGRAM, at=T0 + 10 * DAY)
    assert T0 + 10 * DAY == evaluated.tier_confirmed_at == evaluated.updated_at
    assert account.pending_events == evaluated.pending_events
    assert evaluated is evaluated.evaluate_tier(PROGRAM, at=T0 + 10 * DAY)


def test_evaluation_with_the_hosts_qualifying_spend():
    """Spend tiers can be evaluated on spend the host counted; the grace still applies."""
    program = spend_program()
    account = enrol(program).evaluate_tier(program, at=T0, qualifying_spend=rp(1_200_000))
    assert "gold" == account.tier
    kept = account.evaluate_tier(program, at=T0 + 80 * DAY, qualifying_spend=rp(0))
    assert "gold" == kept.tier
    dropped = account.evaluate_tier(program, at=T0 + 100 * DAY, qualifying_spend=rp(0))
    assert "bronze" == dropped.tier


def test_spend_tiers_count_the_spend_of_orders_earned_for():
    """Two orders of Rp 500,000 within the year reach gold at the second earning."""
    program = spend_program()
    account = enrol(program).earn_for_order(paid_order(1), program, at=T0)
    assert "bronze" == account.tier
    account = account.earn_for_order(paid_order(2, at=T0 + DAY), program, at=T0 + DAY)
    assert "gold" == account.tier
    assert rp(1_000_000) == account.qualifying_spend(program, at=T0 + DAY)


def test_qualifying_spend_is_checked():
    """The host's spend is Money of the program's currency, only for spend tiers."""
    with pytest.raises(ValidationError) as basis:
        enrol().evaluate_tier(PROGRAM, at=T0, qualifying_spend=rp(5))
    assert ("$.qualifying_spend", "tier_basis") == (basis.value.path, basis.value.code)
    program = spend_program()
    with pytest.raises(CurrencyMismatch):
        enrol(program).evaluate_tier(program, at=T0, qualifying_spend=Money(5, "USD"))
    with pytest.raises(ValidationError):
        enrol(program).evaluate_tier(program, at=T0, qualifying_spend=rp(-5))


def test_a_manual_tier_change_is_confirmed_and_protected_by_the_grace():
    """A VIP upgrade by hand holds until the grace after it has passed."""
    program = points_program(downgrade_grace=Period.days(30))
    account = enrol(program).change_tier("gold", program, at=T0, reason="VIP guest")
    assert "gold" == account.tier
    assert "VIP guest" == account.tier_history[-1].reason
    assert isinstance(account.pending_events[-1], LoyaltyTierChanged)
    assert account.pending_events[-1].qualifying is None
    assert account.last_qualified_at(program, at=T0 + DAY) is None
    assert "gold" == account.evaluate_tier(program, at=T0 + 29 * DAY).tier
    assert "bronze" == account.evaluate_tier(program, at=T0 + 30 * DAY).tier
    assert account is account.change_tier("gold", program, at=T0, reason="again")
    with pytest.raises(ValidationError) as info:
        account.change_tier("diamond", program, at=T0, reason="x")
    assert "unknown_tier" == info.value.code


def test_tier_at_reads_the_history():
    """The tier held at a time comes from the tier history."""
    account = enrol().earn(100, PROGRAM, at=T0 + DAY, reason="a")
    assert account.tier_at(T0 - DAY) is None
    assert "bronze" == account.tier_at(T0)
    assert "silver" == account.tier_at(T0 + DAY)


# -- stored documents ------------------------------------------------------------------------


def full_account():
    program = points_program(downgrade_grace=Period.days(10))
    account = (
        enrol(program)
        .earn_for_order(paid_order(), program, at=T0 + timedelta(hours=1))
        .earn(70, program, at=T0 + DAY, reason="review")
        .redeem_reward(RewardId("coffee"), program, at=T0 + 2 * DAY)
        .adjust(-5, at=T0 + 3 * DAY, reason="correction")
        .adjust(15, at=T0 + 3 * DAY, reason="gift", expires_at=T0 + 90 * DAY)
        .expire_due(at=T0 + 40 * DAY)
        .evaluate_tier(program, at=T0 + 80 * DAY)
    )
    return program, account


def test_account_and_its_events_round_trip_through_json():
    """The account, every ledger entry and every event survive to_dict, JSON and from_dict."""
    _, account = full_account()
    assert {"earn", "redeem", "adjust", "expire"} == {e.kind.value for e in account.ledger}
    back = roundtrip(account)
    assert account == back
    assert account.pending_events == back.pending_events
    types = {type(e) for e in account.pending_events}
    assert {
        LoyaltyMemberEnrolled,
        LoyaltyPointsEarned,
        LoyaltyPointsRedeemed,
        LoyaltyRewardRedeemed,
        LoyaltyPointsAdjusted,
    } <= types
    assert {LoyaltyPointsExpired, LoyaltyTierChanged} <= types
    for event in account.pending_events:
        assert event == roundtrip(event, DomainEvent)
    stored = account.without_pending_events()
    assert () == stored.pending_events
    assert stored is stored.without_pending_events()


def tampered(change):
    _, account = full_account()
    document = to_dict(account.without_pending_events())
    change(document)
    with pytest.raises(ValidationError) as info:
        from_dict(LoyaltyAccount, document)
    return info.value


def test_a_document_expiring_a_lot_early_is_refused():
    """An expire entry before its lot's expiry is not a valid ledger."""
    error = tampered(lambda d: d["ledger"][-1].update(at=d["ledger"][0]["at"]))
    assert error.code in {"not_expired", "time_backwards"}


def test_a_document_spending_points_twice_is_refused():
    """A redemption beyond the unexpired balance is not a valid ledger."""

    def overspend(document):
        document["ledger"][2]["points"] = -100_000

    assert "insufficient_points" == tampered(overspend).code


def test_a_document_with_a_wrong_expiry_amount_is_refused():
    """An expire entry must take exactly what is left in its lot."""

    def wrong(document):
        for entry in document["ledger"]:
            if entry["kind"] == "expire":
                entry["points"] -= 1
                break

    assert "expiry_mismatch" == tampered(wrong).code


def test_a_document_earning_twice_for_an_order_is_refused():
    """Two earnings of one order are a duplicate."""

    def duplicate(document):
        document["ledger"][1]["order_id"] = document["ledger"][0]["order_id"]
        document["ledger"][1]["spend"] = document["ledger"][0]["spend"]

    error = tampered(duplicate)
    assert ("$.ledger[1].order_id", "duplicate") == (error.path, error.code)


def test_a_document_with_a_broken_tier_history_is_refused():
    """Each tier change must leave the tier entered before it."""

    def broken(document):
        current = document["tier_history"][-1]["tier"]
        elsewhere = "gold" if current != "gold" else "bronze"
        document["tier_history"].append(
            {"tier": "silver", "from_tier": elsewhere, "at": document["updated_at"], "reason": None}
        )

    assert "history_chain" == tampered(broken).code


@pytest.mark.parametrize(
    ("fields", "path", "code"),
    [
        ({"kind": "earn", "points": -1}, "$.points", "points_sign"),
        ({"kind": "redeem", "points": 0}, "$.points", "points_sign"),
        ({"kind": "adjust", "points": 0}, "$.points", "points_sign"),
        ({"kind": "expire", "points": -1}, "$.lot", "required"),
        ({"kind": "redeem", "points": -1, "lot": 0}, "$.lot", "field_for_kind"),
        (
            {"kind": "earn", "points": 1, "reward_id": RewardId("r")},
            "$.reward_id",
            "field_for_kind",
        ),
        ({"kind": "earn", "points": 1, "spend": rp(5)}, "$.spend", "field_for_kind"),
        (
            {"kind": "redeem", "points": -1, "expires_at": T0 + DAY},
            "$.expires_at",
            "field_for_kind",
        ),
        ({"kind": "earn", "points": 1, "expires_at": T0}, "$.expires_at", "already_expired"),
        ({"kind": "earn", "points": 10**13}, "$.points", "points_range"),
    ],
)
def test_ledger_entries_are_validated(fields, path, code):
    """Signs per kind, fields that only some kinds carry, and bounds are checked."""
    with pytest.raises(ValidationError) as info:
        LedgerEntry(at=T0, **fields)
    assert (path, code) == (info.value.path, info.value.code)


def test_events_carry_no_free_text():
    """Adjustment and tier change reasons stay in the account; no event carries them."""
    account = (
        enrol()
        .adjust(5, at=T0, reason="private note")
        .change_tier("gold", PROGRAM, at=T0, reason="private note")
    )
    assert "private note" == account.ledger[-1].reason == account.tier_history[-1].reason
    for event in account.pending_events:
        assert "private note" not in repr(event)
        assert "private note" not in json.dumps(to_dict(event))
        assert "reason" not in attrs.fields_dict(type(event))
    assert "private note" not in repr(account.without_pending_events())


# -- the kernel: time rule, envelope, stored documents of schema 1 --------------------------------


def later_account():
    """An account whose last change is at T0 + 10 days."""
    return two_lots()


@pytest.mark.parametrize(
    "command",
    [
        lambda a, at: a.earn(5, PROGRAM, at=at, reason="x"),
        lambda a, at: a.earn_for_order(paid_order(7, at=T0), PROGRAM, at=at),
        lambda a, at: a.redeem(5, at=at),
        lambda a, at: a.redeem_reward(RewardId("coffee"), PROGRAM, at=at),
        lambda a, at: a.adjust(5, at=at, reason="x"),
        lambda a, at: a.adjust(-5, at=at, reason="x"),
        lambda a, at: a.expire_due(at=at),
        lambda a, at: a.evaluate_tier(PROGRAM, at=at),
        lambda a, at: a.change_tier("gold", PROGRAM, at=at, reason="x"),
    ],
    ids=[
        "earn",
        "earn_for_order",
        "redeem",
        "redeem_reward",
        "adjust_up",
        "adjust_down",
        "expire_due",
        "evaluate_tier",
        "change_tier",
    ],
)
def test_a_command_before_the_last_change_is_refused_and_changes_nothing(command):
    """Every command dated before updated_at is refused with time_backwards at $.at."""
    account = later_account()
    before = (to_dict(account), account.pending_events)
    with pytest.raises(ValidationError) as info:
        command(account, T0 + 10 * DAY - timedelta(seconds=1))
    assert ("$.at", "time_backwards") == (info.value.path, info.value.code)
    assert before == (to_dict(account), account.pending_events)
    assert command(account, T0 + 10 * DAY) is not None  # at updated_at itself is allowed


def test_events_carry_the_envelope():
    """Events are numbered 1..n with stable ids and the actor and correlation id passed."""
    account = enrol().earn(99, PROGRAM, at=T0, reason="a", actor="staff-7", correlation_id="req-1")
    account = account.earn(1, PROGRAM, at=T0 + DAY, reason="b", causation_id="evt-9")
    account = account.redeem_reward(RewardId("coffee"), PROGRAM, at=T0 + DAY, actor="system")
    events = account.pending_events
    assert [
        LoyaltyMemberEnrolled,
        LoyaltyPointsEarned,
        LoyaltyPointsEarned,
        LoyaltyTierChanged,
        LoyaltyPointsRedeemed,
        LoyaltyRewardRedeemed,
    ] == [type(e) for e in events]
    assert [1, 2, 3, 4, 5, 6] == [e.sequence for e in events]
    assert 6 == account.sequence
    assert "loyalty_account:la-1#4" == events[3].event_id
    assert all((e.aggregate_kind, e.aggregate_id) == ("loyalty_account", "la-1") for e in events)
    assert all(isinstance(e, LoyaltyEvent) for e in events)
    assert (None, None) == (events[0].actor, events[0].correlation_id)
    assert ("staff-7", "req-1") == (events[1].actor, events[1].correlation_id)
    assert ("evt-9", None) == (events[2].causation_id, events[2].actor)
    assert "evt-9" == events[3].causation_id  # the upgrade belongs to the same command
    assert ["system", "system"] == [e.actor for e in events[4:]]
    assert [T0, T0, T0 + DAY, T0 + DAY, T0 + DAY, T0 + DAY] == [e.occurred_at for e in events]


def test_an_unknown_keyword_is_refused():
    """Commands take only the envelope keywords beyond their own."""
    with pytest.raises(InvalidType) as info:
        enrol().redeem(1, at=T0, note="x")
    assert ("$", "unknown_keyword") == (info.value.path, info.value.code)


def test_a_repeated_order_earning_checks_its_keywords():
    """The idempotent no-op of earn_for_order still refuses unknown keywords."""
    once = enrol().earn_for_order(paid_order(), PROGRAM, at=T0 + DAY)
    with pytest.raises(InvalidType):
        once.earn_for_order(paid_order(), PROGRAM, at=T0, note="x")


def test_renamed_events_keep_their_schema_1_names():
    """Each event renamed with the Loyalty prefix lists its old name; the old names are gone."""
    renamed = (
        LoyaltyMemberEnrolled,
        LoyaltyPointsEarned,
        LoyaltyPointsRedeemed,
        LoyaltyPointsExpired,
        LoyaltyPointsAdjusted,
        LoyaltyRewardRedeemed,
        LoyaltyTierChanged,
    )
    known = event_types()
    for cls in renamed:
        assert (cls.__name__.removeprefix("Loyalty"),) == cls.v1_names
        assert cls is known[cls.__name__]
        assert cls.v1_names[0] not in known


def test_a_schema_1_document_with_enrolled_at_loads():
    """A stored account of schema 1 names its creation time enrolled_at and has no sequence."""
    _, account = full_account()
    stored = account.without_pending_events()
    document = to_dict(stored)
    document["schema_version"] = 1
    document["enrolled_at"] = document.pop("created_at")
    del document["sequence"]
    back = from_dict(LoyaltyAccount, document)
    assert stored.enrolled_at == back.created_at == back.enrolled_at
    assert (stored.ledger, stored.tier_history, stored.updated_at) == (
        back.ledger,
        back.tier_history,
        back.updated_at,
    )
    assert 0 == back.sequence


def test_a_document_without_updated_at_takes_its_latest_time():
    """updated_at defaults to the latest time the account's data holds."""
    _, account = full_account()
    document = to_dict(account.without_pending_events())
    del document["updated_at"]
    back = from_dict(LoyaltyAccount, document)
    assert account.updated_at == back.updated_at == back.tier_confirmed_at


def test_a_document_with_updated_at_before_its_ledger_is_refused():
    """No time the account holds may lie after its updated_at."""
    error = tampered(lambda d: d.update(updated_at=d["ledger"][1]["at"]))
    assert ("$.updated_at", "time_backwards") == (error.path, error.code)
