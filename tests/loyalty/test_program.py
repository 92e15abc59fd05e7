"""Tests for `crmcore.loyalty._program`: earn rules, bonuses, tiers, rewards and the program."""

import json
from datetime import UTC, date, datetime, timedelta, timezone
from decimal import Decimal

import pytest
from dateutil.relativedelta import relativedelta

from crmcore import CurrencyMismatch, InvalidType, Money, ValidationError
from crmcore.commerce import Period
from crmcore.loyalty import (
    BonusKind,
    BonusRule,
    EarnQuote,
    EarnRate,
    LoyaltyProgram,
    PointsRounding,
    ProgramId,
    Reward,
    RewardId,
    Tier,
    TierBasis,
)
from crmcore.serialization import from_dict, to_dict

WIB = timezone(timedelta(hours=7))
T0 = datetime(2026, 5, 10, 12, 0, tzinfo=WIB)


def rp(amount):
    return Money(amount, "IDR")


def spend_tiers():
    return [
        Tier.by_spend("bronze", rp(0), below=rp(1_000_000)),
        Tier.by_spend("silver", rp(1_000_000), below=rp(5_000_000), multiplier="1.25"),
        Tier.by_spend("gold", rp(5_000_000), multiplier="1.5"),
    ]


def program(**changes):
    fields = {
        "id": ProgramId("p-1"),
        "name": "Kopi Points",
        "currency": "IDR",
        "earn_rate": EarnRate(1, rp(10_000)),
        "tiers": spend_tiers(),
        "expiry": Period.months(12),
    }
    fields.update(changes)
    return LoyaltyProgram(**fields)


def roundtrip(obj):
    return from_dict(type(obj), json.loads(json.dumps(to_dict(obj))))


# -- earn rate and rounding ------------------------------------------------------------------


def test_earn_rate_gives_exact_fractional_points():
    """1 point per Rp 10,000: Rp 275,000 is exactly 27.5 points before rounding."""
    assert Decimal("27.5") == EarnRate(1, rp(10_000)).exact_points(rp(275_000))
    assert Decimal(6) == EarnRate(3, rp(5)).exact_points(rp(10))


def test_earn_rate_refuses_another_currency_and_a_zero_amount():
    """The spend must be in the rate's currency; the rate's amount must be above zero."""
    with pytest.raises(CurrencyMismatch) as info:
        EarnRate(1, rp(10_000)).exact_points(Money("5", "USD"))
    assert "$.amount" == info.value.path
    with pytest.raises(ValidationError) as zero:
        EarnRate(1, rp(0))
    assert ("$.per", "not_positive") == (zero.value.path, zero.value.code)
    with pytest.raises(ValidationError) as points:
        EarnRate(0, rp(10))
    assert "$.points" == points.value.path


@pytest.mark.parametrize(
    ("rounding", "amount", "expected"),
    [
        ("down", 275_000, 27),
        ("half_up", 275_000, 28),
        ("up", 275_000, 28),
        ("down", 274_999, 27),
        ("half_up", 274_999, 27),
        ("up", 270_001, 28),
        ("up", 270_000, 27),
    ],
)
def test_rounding_rule_turns_fractional_points_into_whole_ones(rounding, amount, expected):
    """Down floors, half-up rounds .5 up, up takes the ceiling; whole points stay whole."""
    quote = program(rounding=rounding).points_for(rp(amount), placed_at=T0)
    assert expected == quote.spend_points
    assert PointsRounding(rounding) is program(rounding=rounding).rounding


def test_quote_adds_per_order_points_and_bonus_extras():
    """Spend points, the flat per-order points and a campaign's extra points add up."""
    campaign = BonusRule(
        code="payday",
        kind="campaign",
        extra_points=15,
        starts_at=T0 - timedelta(days=1),
        ends_at=T0 + timedelta(days=1),
    )
    quote = program(points_per_order=5, bonuses=[campaign]).points_for(rp(300_000), placed_at=T0)
    assert (
        EarnQuote(
            spend_points=30,
            order_points=5,
            bonus_points=15,
            multiplier=Decimal(1),
            occasions=("payday",),
        )
        == quote
    )
    assert 50 == quote.total


def test_tier_and_bonus_multipliers_multiply_before_rounding_once():
    """Gold (x1.5) in the birthday month (x2) earns 3 times the spend points, rounded once."""
    birthday = BonusRule(code="birthday", kind="birthday_month", multiplier=2)
    quote = program(bonuses=[birthday]).points_for(
        rp(105_000), placed_at=T0, tier="gold", birth_date=date(1991, 5, 30)
    )
    assert Decimal(3) == quote.multiplier
    assert 31 == quote.spend_points  # 10.5 * 3 = 31.5, rounded down
    assert ("birthday",) == quote.occasions


def test_quote_without_an_earn_rate_gives_only_flat_points():
    """A program may reward orders without counting spend."""
    quote = program(earn_rate=None, points_per_order=10).points_for(rp(999_999), placed_at=T0)
    assert (0, 10) == (quote.spend_points, quote.total)


def test_quote_checks_its_arguments():
    """Another currency, a naive time, an unknown tier and a datetime as birth date are refused."""
    with pytest.raises(CurrencyMismatch):
        program().points_for(Money(1, "USD"), placed_at=T0)
    with pytest.raises(ValidationError) as naive:
        program().points_for(rp(1), placed_at=datetime(2026, 1, 1))  # noqa: DTZ001 - the point
    assert "naive_datetime" == naive.value.code
    with pytest.raises(ValidationError) as tier:
        program().points_for(rp(1), placed_at=T0, tier="platinum")
    assert ("$.tier", "unknown_tier") == (tier.value.path, tier.value.code)
    with pytest.raises(InvalidType):
        program().points_for(rp(1), placed_at=T0, birth_date=T0)


# -- bonus rules -----------------------------------------------------------------------------


def test_birthday_month_is_judged_in_the_orders_own_offset():
    """An order at 01:00 on 1 May in Jakarta (still 30 April in UTC) is in May."""
    rule = BonusRule(code="birthday", kind=BonusKind.BIRTHDAY_MONTH, multiplier=2)
    placed = datetime(2026, 5, 1, 1, 0, tzinfo=WIB)
    assert rule.applies(placed, birth_date=date(1990, 5, 17))
    assert not rule.applies(placed.astimezone(UTC), birth_date=date(1990, 5, 17))
    assert not rule.applies(placed)


def test_campaign_window_includes_its_start_and_excludes_its_end():
    """A campaign runs from starts_at (inclusive) to ends_at (exclusive)."""
    rule = BonusRule(
        code="sale", kind="campaign", multiplier=3, starts_at=T0, ends_at=T0 + timedelta(days=1)
    )
    assert rule.applies(T0)
    assert rule.applies(T0 + timedelta(hours=23, minutes=59))
    assert not rule.applies(T0 + timedelta(days=1))
    assert not rule.applies(T0 - timedelta(seconds=1))


@pytest.mark.parametrize(
    ("fields", "path", "code"),
    [
        ({"kind": "campaign", "multiplier": 2}, "$.starts_at", "required"),
        ({"kind": "campaign", "multiplier": 2, "starts_at": T0}, "$.ends_at", "required"),
        (
            {"kind": "campaign", "multiplier": 2, "starts_at": T0, "ends_at": T0},
            "$.ends_at",
            "empty_window",
        ),
        ({"kind": "birthday_month", "multiplier": 2, "starts_at": T0}, "$.starts_at", "window"),
        ({"kind": "birthday_month"}, "$.multiplier", "no_bonus"),
        ({"kind": "birthday_month", "multiplier": "0.5"}, "$.multiplier", "multiplier"),
        ({"kind": "birthday_month", "multiplier": 101}, "$.multiplier", "multiplier"),
        ({"kind": "birthday_month", "extra_points": -1}, "$.extra_points", "points_range"),
        ({"kind": "weekend", "multiplier": 2}, "$.kind", "choice"),
    ],
)
def test_bonus_rules_are_validated(fields, path, code):
    """A campaign needs a non-empty window; a bonus must add something; kinds are known."""
    with pytest.raises(ValidationError) as info:
        BonusRule(code="bonus", **fields)
    assert (path, code) == (info.value.path, info.value.code)


def test_a_float_multiplier_is_refused():
    """Multipliers are exact decimals, never floats."""
    with pytest.raises(InvalidType) as info:
        Tier.by_points("gold", 0, multiplier=1.5)
    assert "$.multiplier" == info.value.path


# -- tiers ---------------------------------------------------------------------------------


def test_tiers_are_kept_lowest_first_whatever_the_given_order():
    """The program sorts tiers by their lower bound."""
    shuffled = program(tiers=list(reversed(spend_tiers())))
    assert ["bronze", "silver", "gold"] == [t.code for t in shuffled.tiers]
    assert TierBasis.SPEND is shuffled.tier_basis
    assert "bronze" == shuffled.base_tier.code
    assert 2 == shuffled.rank("gold")


def test_tier_bounds_are_inclusive_below_and_exclusive_above():
    """Rp 1,000,000 is silver; a sen less is bronze; the top tier has no ceiling."""
    p = program()
    assert "bronze" == p.tier_for(rp("999999.99")).code
    assert "silver" == p.tier_for(rp(1_000_000)).code
    assert "gold" == p.tier_for(rp(5_000_000)).code
    assert "gold" == p.tier_for(rp(10**12)).code


def test_tier_names_default_to_the_code():
    """A tier's display name comes from its code unless given."""
    assert "Very important" == Tier.by_points("very_important", 0).name
    assert "VIP" == Tier.by_points("vip", 0, name="VIP").name


@pytest.mark.parametrize(
    ("tiers", "index", "code", "named"),
    [
        (
            [
                Tier.by_spend("bronze", rp(0), below=rp(1_000_000)),
                Tier.by_spend("silver", rp(900_000), below=rp(5_000_000)),
                Tier.by_spend("gold", rp(5_000_000)),
            ],
            1,
            "tier_overlap",
            "'silver' overlaps tier 'bronze'",
        ),
        (
            [
                Tier.by_spend("bronze", rp(0), below=rp(1_000_000)),
                Tier.by_spend("silver", rp(1_000_000), below=rp(5_000_000)),
                Tier.by_spend("gold", rp(6_000_000)),
            ],
            2,
            "tier_gap",
            "'gold' leaves a gap after tier 'silver'",
        ),
        (
            [Tier.by_spend("bronze", rp(0)), Tier.by_spend("gold", rp(5_000_000))],
            1,
            "tier_overlap",
            "'gold' overlaps tier 'bronze'",
        ),
        (
            [Tier.by_spend("silver", rp(100), below=rp(500)), Tier.by_spend("gold", rp(500))],
            0,
            "tier_gap",
            "'silver' is the lowest and must start at zero",
        ),
        (
            [
                Tier.by_spend("bronze", rp(0), below=rp(500)),
                Tier.by_spend("gold", rp(500), below=rp(900)),
            ],
            1,
            "tier_gap",
            "'gold' is the highest and must have no upper bound",
        ),
    ],
)
def test_overlapping_or_gapped_tiers_are_refused_naming_the_tier(tiers, index, code, named):
    """Tiers must start at zero, meet end to start, and leave the top open; errors name the tier."""
    with pytest.raises(ValidationError) as info:
        program(tiers=tiers)
    assert (f"$.tiers[{index}]", code) == (info.value.path, info.value.code)
    assert named in info.value.rule


def test_tiers_must_share_one_basis_and_unique_codes():
    """Spend and points tiers cannot mix; a code is used once; there is at least one tier."""
    with pytest.raises(ValidationError) as mixed:
        program(tiers=[Tier.by_spend("bronze", rp(0), below=rp(10)), Tier.by_points("gold", 10)])
    assert ("$.tiers[1]", "tier_basis") == (mixed.value.path, mixed.value.code)
    with pytest.raises(ValidationError) as twice:
        program(tiers=[Tier.by_points("gold", 0, below=10), Tier.by_points("gold", 10)])
    assert ("$.tiers[1].code", "duplicate") == (twice.value.path, twice.value.code)
    with pytest.raises(ValidationError) as empty:
        program(tiers=[])
    assert ("$.tiers", "empty") == (empty.value.path, empty.value.code)


def test_a_tier_qualifies_by_exactly_one_basis_with_a_non_empty_range():
    """Both bases, no minimum, or an upper bound not above the minimum are refused."""
    with pytest.raises(ValidationError) as both:
        Tier(code="x", min_spend=rp(0), min_points=0)
    assert "tier_basis" == both.value.code
    with pytest.raises(ValidationError) as neither:
        Tier(code="x")
    assert "tier_basis" == neither.value.code
    with pytest.raises(ValidationError) as no_minimum:
        Tier(code="x", spend_below=rp(10))
    assert ("$.min_spend", "required") == (no_minimum.value.path, no_minimum.value.code)
    with pytest.raises(ValidationError) as empty:
        Tier.by_points("x", 10, below=10)
    assert ("$.points_below", "empty_range") == (empty.value.path, empty.value.code)
    with pytest.raises(CurrencyMismatch):
        Tier.by_spend("x", rp(0), below=Money(10, "USD"))


def test_spend_tiers_must_be_in_the_program_currency():
    """A USD threshold in an IDR program is a currency mismatch naming the tier's field."""
    tiers = [
        Tier.by_spend("bronze", Money(0, "USD"), below=Money(10, "USD")),
        Tier.by_spend("gold", Money(10, "USD")),
    ]
    with pytest.raises(CurrencyMismatch) as info:
        program(tiers=tiers)
    assert "$.tiers[0].min_spend" == info.value.path


def test_tier_for_checks_the_basis_and_the_value():
    """A spend program wants Money in its currency; a points program wants an int of 0 or more."""
    with pytest.raises(InvalidType):
        program().tier_for(5)
    with pytest.raises(CurrencyMismatch):
        program().tier_for(Money(5, "USD"))
    points = program(tiers=[Tier.by_points("member", 0, below=100), Tier.by_points("star", 100)])
    assert "star" == points.tier_for(100).code
    with pytest.raises(ValidationError):
        points.tier_for(-1)


# -- program fields --------------------------------------------------------------------------


def test_program_currency_is_checked_without_echoing_it():
    """An unknown currency is refused at $.currency; the message does not repeat it."""
    with pytest.raises(ValidationError) as info:
        program(currency="XQZ")
    assert "$.currency" == info.value.path
    assert "XQZ" not in str(info.value)


def test_earn_rate_must_be_in_the_program_currency():
    """The earn rate's amount must be of the program's currency."""
    with pytest.raises(CurrencyMismatch) as info:
        program(earn_rate=EarnRate(1, Money(1, "USD")))
    assert "$.earn_rate.per" == info.value.path


def test_periods_accept_relativedeltas_and_expiry_uses_calendar_months():
    """Points earned on 31 January with a one-month expiry lapse on 28 February."""
    p = program(expiry=relativedelta(months=1), tier_window=relativedelta(years=1))
    assert Period.months(1) == p.expiry
    assert Period.years(1) == p.tier_window
    earned = datetime(2026, 1, 31, 10, 0, tzinfo=WIB)
    assert datetime(2026, 2, 28, 10, 0, tzinfo=WIB) == p.expires_at(earned)
    assert datetime(2027, 1, 31, 10, 0, tzinfo=WIB) == p.qualifying_until(earned)
    assert program(expiry=None).expires_at(earned) is None


def test_duplicate_bonus_codes_and_reward_ids_are_refused():
    """Bonus codes and reward ids are unique within a program."""
    rule = BonusRule(code="b", kind="birthday_month", multiplier=2)
    with pytest.raises(ValidationError) as bonuses:
        program(bonuses=[rule, rule])
    assert ("$.bonuses[1].code", "duplicate") == (bonuses.value.path, bonuses.value.code)
    reward = Reward(id=RewardId("r"), name="Coffee", points_cost=10)
    with pytest.raises(ValidationError) as rewards:
        program(rewards=[reward, reward])
    assert ("$.rewards[1].id", "duplicate") == (rewards.value.path, rewards.value.code)


# -- rewards ---------------------------------------------------------------------------------


def catalogue():
    return program(
        rewards=[
            Reward(id=RewardId("coffee"), name="Free coffee", points_cost=50),
            Reward(id=RewardId("bag"), name="Tote bag", points_cost=300, stock=2),
            Reward(id=RewardId("lounge"), name="Lounge pass", points_cost=900, min_tier="gold"),
        ]
    )


def test_reward_lookup_and_validation():
    """Rewards are found by id; costs are 1 or more; stock is 0 or more; min_tier must exist."""
    assert "Tote bag" == catalogue().reward(RewardId("bag")).name
    with pytest.raises(ValidationError) as unknown:
        catalogue().reward(RewardId("nope"))
    assert ("$.reward_id", "unknown_reward") == (unknown.value.path, unknown.value.code)
    with pytest.raises(InvalidType):
        catalogue().reward("coffee")
    with pytest.raises(ValidationError) as cost:
        Reward(id=RewardId("x"), name="X", points_cost=0)
    assert "$.points_cost" == cost.value.path
    with pytest.raises(ValidationError) as stock:
        Reward(id=RewardId("x"), name="X", points_cost=1, stock=-1)
    assert "$.stock" == stock.value.path
    with pytest.raises(ValidationError) as tier:
        program(rewards=[Reward(id=RewardId("x"), name="X", points_cost=1, min_tier="diamond")])
    assert ("$.rewards[0].min_tier", "unknown_tier") == (tier.value.path, tier.value.code)


def test_take_stock_and_restock():
    """Stock goes down per unit taken, never below zero; unlimited rewards stay unlimited."""
    p = catalogue()
    once = p.take_stock(RewardId("bag"))
    assert 1 == once.reward(RewardId("bag")).stock
    assert 2 == p.reward(RewardId("bag")).stock  # the original program is unchanged
    with pytest.raises(ValidationError) as info:
        once.take_stock(RewardId("bag"), 2)
    assert ("$.quantity", "out_of_stock") == (info.value.path, info.value.code)
    assert p is p.take_stock(RewardId("coffee"), 5)
    assert 10 == once.restock(RewardId("bag"), 10).reward(RewardId("bag")).stock
    assert once.restock(RewardId("bag"), None).reward(RewardId("bag")).stock is None


# -- serialization ---------------------------------------------------------------------------


def test_program_round_trips_through_json():
    """Every part of a program survives to_dict, JSON text and from_dict."""
    full = catalogue()
    full = LoyaltyProgram(
        id=full.id,
        name=full.name,
        currency=full.currency,
        earn_rate=full.earn_rate,
        rounding="half_up",
        points_per_order=3,
        bonuses=[
            BonusRule(code="birthday", kind="birthday_month", multiplier="1.5", extra_points=10),
            BonusRule(
                code="sale",
                kind="campaign",
                multiplier=2,
                starts_at=T0,
                ends_at=T0 + timedelta(days=2),
            ),
        ],
        expiry=Period.days(90),
        tiers=full.tiers,
        tier_window=Period.months(6),
        downgrade_grace=Period.weeks(4),
        rewards=full.rewards,
    )
    assert full == roundtrip(full)
    points = program(tiers=[Tier.by_points("member", 0, below=100), Tier.by_points("star", 100)])
    assert points == roundtrip(points)
    assert EarnQuote(spend_points=1, order_points=2, bonus_points=3, multiplier=Decimal("1.5")) == (
        roundtrip(
            EarnQuote(spend_points=1, order_points=2, bonus_points=3, multiplier=Decimal("1.5"))
        )
    )


def test_malformed_program_documents_name_the_path():
    """from_dict reports the faulty field of a tampered program."""
    document = to_dict(catalogue())
    document["tiers"][1]["min_spend"]["amount"] = "900000"
    with pytest.raises(ValidationError) as info:
        from_dict(LoyaltyProgram, document)
    assert "tier_overlap" == info.value.code
    assert info.value.path.startswith("$.tiers")


@pytest.mark.parametrize("qualifying", [None, "5", 1.5, True, Decimal("NaN"), Decimal("sNaN")])
def test_tier_contains_checks_the_qualifying_value(qualifying):
    """D13: a value that is no finite Decimal or int is refused (was TypeError/InvalidOperation)."""
    with pytest.raises(ValidationError) as info:
        Tier.by_points("x", 0).contains(qualifying)
    assert "$.qualifying" == info.value.path


def test_tier_contains_takes_ints_and_decimals():
    """The range is half-open: lower included, upper excluded."""
    tier = Tier.by_points("silver", 100, below=300)
    assert (False, True, True, False) == tuple(
        tier.contains(v) for v in (99, 100, Decimal("299.5"), 300)
    )


@pytest.mark.parametrize(
    "earned_at",
    [datetime.max.replace(tzinfo=UTC), datetime(9999, 12, 31, tzinfo=UTC)],
)
def test_windows_past_the_end_of_the_calendar_are_validation_errors(earned_at):
    """D12: expiry and the tier window beyond year 9999 are refused (was OverflowError/ValueError)."""
    chosen = program(tier_window=Period.months(12))
    for query in (chosen.expires_at, chosen.qualifying_until):
        with pytest.raises(ValidationError) as info:
            query(earned_at)
        assert ("$.earned_at", "date_range") == (info.value.path, info.value.code)
