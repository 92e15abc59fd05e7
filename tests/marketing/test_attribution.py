"""Tests for `crmcore.marketing` attribution: conversions, the five models, windows and limits."""

from datetime import UTC, date, datetime, timedelta
from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from crmcore import InvalidType, Money, StaffId, ValidationError
from crmcore.commerce import Order, OrderId, OrderLine, PaymentId, ProductId
from crmcore.customers import CustomerId
from crmcore.marketing import (
    Attribution,
    AttributionModel,
    CampaignId,
    RevenueConversion,
    Touch,
    attribute,
    conversions_from,
)
from crmcore.marketing import _attribution as attribution_module
from crmcore.sales import STANDARD_PIPELINE, Opportunity, OpportunityId
from crmcore.testing.strategies import customer_ids, moneys

T0 = datetime(2026, 3, 1, 12, 0, tzinfo=UTC)
C1 = CustomerId("c-1")
MONTH = timedelta(days=30)


def day(n: float) -> datetime:
    """Noon UTC on day ``n`` of March 2026 (fractions allowed)."""
    return T0 + timedelta(days=n - 1)


def touch(campaign: str, at: datetime, customer: CustomerId = C1) -> Touch:
    """A touch of campaign ``campaign`` on ``customer``."""
    return Touch(CampaignId(campaign), customer, at)


def sale(
    amount: str, at: datetime, source: str = "o-1", customer: CustomerId = C1
) -> RevenueConversion:
    """A conversion of ``amount`` USD."""
    return RevenueConversion(customer, at, Money(amount, "USD"), OrderId(source))


def shares(result: Attribution) -> dict[str, Money]:
    """Campaign id text to credited amount."""
    return {c.campaign_id.value: c.amount for c in result.credits}


THREE = [touch("webinar", day(1)), touch("email", day(5)), touch("ads", day(8))]


# -- hand-computed examples ----------------------------------------------------------


def test_first_touch_gives_everything_to_the_earliest_touch():
    """The webinar, touched first, gets all 1000.00."""
    (result,) = attribute([sale("1000.00", day(10))], THREE, model="first_touch", lookback=MONTH)
    assert {"webinar": Money("1000.00", "USD")} == shares(result)
    assert AttributionModel.FIRST_TOUCH is result.model


def test_last_touch_gives_everything_to_the_latest_touch():
    """The ads, touched last, get all 1000.00."""
    (result,) = attribute(
        [sale("1000.00", day(10))], THREE, model=AttributionModel.LAST_TOUCH, lookback=MONTH
    )
    assert {"ads": Money("1000.00", "USD")} == shares(result)


def test_linear_splits_evenly_with_the_odd_cent_to_the_first_campaign():
    """100000 cents / 3 = 33333.33 each: the leftover cent goes to the earliest (a tie)."""
    (result,) = attribute([sale("1000.00", day(10))], THREE, model="linear", lookback=MONTH)
    assert {
        "webinar": Money("333.34", "USD"),
        "email": Money("333.33", "USD"),
        "ads": Money("333.33", "USD"),
    } == shares(result)
    assert ["webinar", "email", "ads"] == [c.campaign_id.value for c in result.credits]


def test_position_based_is_40_20_40():
    """Three touches: 40% first, 20% the middle one, 40% last."""
    (result,) = attribute([sale("1000.00", day(10))], THREE, model="position_based", lookback=MONTH)
    assert {
        "webinar": Money("400.00", "USD"),
        "email": Money("200.00", "USD"),
        "ads": Money("400.00", "USD"),
    } == shares(result)


def test_position_based_spreads_20_percent_over_several_middle_touches():
    """Five touches: 40, 20/3, 20/3, 20/3, 40 percent of 90 JPY: 36, 6, 6, 6, 36."""
    touches = [touch(f"k{i}", day(i + 1)) for i in range(5)]
    conversion = RevenueConversion(C1, day(9), Money("90", "JPY"), OrderId("o-1"))
    (result,) = attribute([conversion], touches, model="position_based", lookback=MONTH)
    assert [36, 6, 6, 6, 36] == [int(c.amount.amount) for c in result.credits]


def test_position_based_with_one_or_two_touches():
    """One touch takes 100%; two take 50% each."""
    (one,) = attribute([sale("10.00", day(10))], THREE[:1], model="position_based", lookback=MONTH)
    (two,) = attribute([sale("10.00", day(10))], THREE[:2], model="position_based", lookback=MONTH)
    assert {"webinar": Money("10.00", "USD")} == shares(one)
    assert {"webinar": Money("5.00", "USD"), "email": Money("5.00", "USD")} == shares(two)


def test_time_decay_halves_per_half_life():
    """Ages 14, 7 and 0 days at a 7-day half-life weigh 1/4, 1/2, 1: 1000 * 1/7, 2/7, 4/7.

    In cents 14285.71, 28571.43, 57142.86 truncate to 142.85 + 285.71 + 571.42 = 999.98;
    the two cents go to the largest remainders (.857 for the newest, .714 for the oldest).
    """
    touches = [touch("a", day(1)), touch("b", day(8)), touch("c", day(15))]
    (result,) = attribute(
        [sale("1000.00", day(15))],
        touches,
        model="time_decay",
        lookback=MONTH,
        half_life=timedelta(days=7),
    )
    assert {
        "a": Money("142.86", "USD"),
        "b": Money("285.71", "USD"),
        "c": Money("571.43", "USD"),
    } == shares(result)


def test_time_decay_against_floating_point():
    """Ages 9, 5 and 2 days: shares within a cent of 2**(-age/7) computed in floats."""
    (result,) = attribute([sale("1000.00", day(10))], THREE, model="time_decay", lookback=MONTH)
    weights = [2 ** (-9 / 7), 2 ** (-5 / 7), 2 ** (-2 / 7)]
    expected = [1000 * w / sum(weights) for w in weights]
    for credit, value in zip(result.credits, expected, strict=True):
        assert abs(float(credit.amount.amount) - value) <= 0.01
    assert Money("1000.00", "USD") == sum(c.amount for c in result.credits)


def test_time_decay_default_half_life_is_seven_days():
    """Left out, the half-life is a week (Google Ads' time decay)."""
    assert timedelta(days=7) == attribution_module.DEFAULT_HALF_LIFE
    touches = [touch("a", day(1)), touch("b", day(8))]
    (result,) = attribute([sale("3.00", day(8))], touches, model="time_decay", lookback=MONTH)
    assert {"a": Money("1.00", "USD"), "b": Money("2.00", "USD")} == shares(result)


def test_very_old_touches_decay_to_nothing_but_the_newest_keeps_the_credit():
    """A touch thousands of half-lives old weighs zero; the revenue still adds up."""
    touches = [touch("old", day(1)), touch("new", day(20))]
    (result,) = attribute(
        [sale("5.00", day(20))],
        touches,
        model="time_decay",
        lookback=MONTH,
        half_life=timedelta(minutes=1),
    )
    assert {"new": Money("5.00", "USD")} == shares(result)


def test_touches_of_one_campaign_accumulate():
    """Linear over A, B, A: A holds two thirds."""
    touches = [touch("a", day(1)), touch("b", day(2)), touch("a", day(3))]
    (result,) = attribute([sale("1000.00", day(4))], touches, model="linear", lookback=MONTH)
    assert {"a": Money("666.67", "USD"), "b": Money("333.33", "USD")} == shares(result)
    assert [2, 1] == [c.touches for c in result.credits]


def test_the_window_includes_both_ends_and_nothing_outside():
    """A touch exactly `lookback` before counts; a microsecond earlier or any later does not."""
    at = day(10)
    touches = [
        touch("edge", at - MONTH),
        touch("too-old", at - MONTH - timedelta(microseconds=1)),
        touch("same-instant", at),
        touch("after", at + timedelta(microseconds=1)),
        touch("other-customer", at, CustomerId("c-2")),
    ]
    (result,) = attribute([sale("10.00", at)], touches, model="linear", lookback=MONTH)
    assert {"edge", "same-instant"} == set(shares(result))


def test_a_conversion_without_touches_is_reported_unattributed():
    """Nothing in the window: the conversion comes back with no credits."""
    (result,) = attribute([sale("10.00", day(10))], [], model="linear", lookback=MONTH)
    assert () == result.credits
    assert not result.is_attributed
    assert Money.zero("USD") == result.attributed


def test_attributed_is_the_revenue_when_credited():
    """An attributed conversion's revenue is all credited."""
    (result,) = attribute([sale("10.00", day(10))], THREE, model="linear", lookback=MONTH)
    assert result.is_attributed
    assert Money("10.00", "USD") == result.attributed


def test_touches_at_one_instant_are_ordered_by_campaign_id():
    """Two touches at the same time: the lower campaign id is first."""
    touches = [touch("zeta", day(1)), touch("alpha", day(1))]
    (first,) = attribute([sale("1.00", day(2))], touches, model="first_touch", lookback=MONTH)
    (last,) = attribute([sale("1.00", day(2))], touches, model="last_touch", lookback=MONTH)
    assert ["alpha"] == list(shares(first))
    assert ["zeta"] == list(shares(last))


def test_results_are_ordered_by_conversion_time():
    """Conversions come back by time, then source id."""
    later, earlier = sale("1.00", day(5), "o-2"), sale("1.00", day(3), "o-1")
    same = sale("1.00", day(5), "o-0")
    result = attribute([later, earlier, same], THREE, model="linear", lookback=MONTH)
    assert ["o-1", "o-0", "o-2"] == [r.conversion.source_id.value for r in result]


def test_an_unbounded_lookback_takes_every_earlier_touch():
    """The largest timedelta reaches before datetime.min: every earlier touch counts."""
    touches = [touch("ancient", datetime(1, 1, 2, tzinfo=UTC)), touch("now", day(1))]
    (result,) = attribute([sale("2.00", day(2))], touches, model="linear", lookback=timedelta.max)
    assert {"ancient", "now"} == set(shares(result))


def test_zero_revenue_credits_zero():
    """A conversion of zero splits into zeros."""
    (result,) = attribute([sale("0.00", day(10))], THREE, model="linear", lookback=MONTH)
    assert [Money("0.00", "USD")] * 3 == [c.amount for c in result.credits]


# -- bad input ------------------------------------------------------------------------


@pytest.mark.parametrize("span", [timedelta(0), timedelta(days=-1), -timedelta(microseconds=1)])
def test_an_empty_or_negative_lookback_is_refused(span):
    """The window must be positive."""
    with pytest.raises(ValidationError) as caught:
        attribute([sale("1.00", day(2))], THREE, model="linear", lookback=span)
    assert ("$.lookback", "not_positive") == (caught.value.path, caught.value.code)


def test_a_half_life_of_zero_is_refused():
    """The half-life must be positive too."""
    with pytest.raises(ValidationError) as caught:
        attribute([], [], model="time_decay", lookback=MONTH, half_life=timedelta(0))
    assert ("$.half_life", "not_positive") == (caught.value.path, caught.value.code)


def test_a_lookback_that_is_no_timedelta_is_refused():
    """Days as an int are not a span of time."""
    with pytest.raises(InvalidType) as caught:
        attribute([], [], model="linear", lookback=30)
    assert "$.lookback" == caught.value.path


def test_an_unknown_model_is_refused():
    """The model must be one of the five."""
    with pytest.raises(ValidationError) as caught:
        attribute([], [], model="w_shaped", lookback=MONTH)
    assert ("$.model", "choice") == (caught.value.path, caught.value.code)


def test_a_source_given_twice_is_refused():
    """One conversion per order or opportunity."""
    with pytest.raises(ValidationError) as caught:
        attribute([sale("1.00", day(2)), sale("2.00", day(3))], [], model="linear", lookback=MONTH)
    assert ("$.conversions[1].source_id", "duplicate") == (caught.value.path, caught.value.code)


def test_wrong_records_are_refused_with_their_path():
    """A conversion or touch of the wrong type names its index."""
    with pytest.raises(InvalidType) as caught:
        attribute([("c-1", day(1))], [], model="linear", lookback=MONTH)
    assert "$.conversions[0]" == caught.value.path
    with pytest.raises(InvalidType) as caught:
        attribute([], [None], model="linear", lookback=MONTH)
    assert "$.touches[0]" == caught.value.path
    with pytest.raises(InvalidType) as caught:
        attribute("o-1", [], model="linear", lookback=MONTH)
    assert "$.conversions" == caught.value.path


def test_revenue_must_be_whole_minor_units_and_not_negative():
    """A conversion's revenue is rounded and zero or more."""
    with pytest.raises(ValidationError) as caught:
        RevenueConversion(C1, day(1), Money("1.005", "USD"), OrderId("o-1"))
    assert ("$.revenue", "minor_unit") == (caught.value.path, caught.value.code)
    with pytest.raises(ValidationError) as caught:
        RevenueConversion(C1, day(1), Money("-1.00", "USD"), OrderId("o-1"))
    assert ("$.revenue", "negative") == (caught.value.path, caught.value.code)
    with pytest.raises(InvalidType):
        RevenueConversion(C1, day(1), Money("1.00", "USD"), "o-1")


def test_too_many_touches_in_one_window_is_refused(monkeypatch):
    """A window's touches are bounded."""
    monkeypatch.setattr(attribution_module, "MAX_TOUCHES_PER_CONVERSION", 2)
    with pytest.raises(ValidationError) as caught:
        attribute([sale("1.00", day(10))], THREE, model="linear", lookback=MONTH)
    assert ("$.conversions[0]", "too_many") == (caught.value.path, caught.value.code)


def test_too_much_work_in_all_is_refused(monkeypatch):
    """The touches credited over all conversions are bounded."""
    monkeypatch.setattr(attribution_module, "MAX_CREDITED_TOUCHES", 4)
    conversions = [sale("1.00", day(10), "o-1"), sale("1.00", day(11), "o-2")]
    with pytest.raises(ValidationError) as caught:
        attribute(conversions, THREE, model="linear", lookback=MONTH)
    assert ("$.touches", "too_many") == (caught.value.path, caught.value.code)


def test_too_many_records_are_refused(monkeypatch):
    """Conversions and touches are counted while read."""
    monkeypatch.setattr(attribution_module, "MAX_ATTRIBUTION_RECORDS", 2)
    with pytest.raises(ValidationError) as caught:
        attribute([], THREE, model="linear", lookback=MONTH)
    assert ("$.touches", "too_many") == (caught.value.path, caught.value.code)


# -- conversions from orders and opportunities ---------------------------------------


def _order(*, tax: str | None = None, source: str = "o-1") -> Order:
    line = OrderLine(
        ProductId("sku-1"),
        2,
        Money("50.00", "USD"),
        category="books",
        tax=None if tax is None else Money(tax, "USD"),
    )
    return Order.place(OrderId(source), customer_id=C1, lines=[line], at=day(3))


def _deal(source: str = "opp-1") -> Opportunity:
    return Opportunity.open(
        OpportunityId(source),
        customer_id=C1,
        name="Coffee machines",
        amount=Money("2500.00", "USD"),
        expected_close=date(2026, 4, 30),
        owner=StaffId("rep-1"),
        pipeline=STANDARD_PIPELINE,
        at=day(1),
    )


def test_a_won_opportunity_converts_at_its_win_for_its_amount():
    """Won: at closed_at, for the amount; open and lost ones do not convert."""
    won = _deal().win(STANDARD_PIPELINE, at=day(6))
    lost = _deal("opp-2").lose(STANDARD_PIPELINE, at=day(6), reason="price")
    (conversion,) = conversions_from(opportunities=[won, lost, _deal("opp-3")])
    assert RevenueConversion(C1, day(6), Money("2500.00", "USD"), OpportunityId("opp-1")) == (
        conversion
    )


def test_an_order_converts_for_its_revenue_excluding_tax():
    """100.00 of goods plus 11.00 tax: revenue 100.00, at the order's time."""
    (conversion,) = conversions_from(orders=[_order(tax="11.00")])
    assert (Money("100.00", "USD"), day(3), OrderId("o-1")) == (
        conversion.revenue,
        conversion.at,
        conversion.source_id,
    )


def test_a_refund_takes_its_share_of_tax_along():
    """Paid 110.00 (10.00 tax), 55.00 refunded: 55.00 kept, of which 50.00 is revenue."""
    order = _order(tax="10.00").record_payment(PaymentId("p-1"), Money("110.00", "USD"), at=day(3))
    order = order.refund(Money("55.00", "USD"), at=day(4))
    (conversion,) = conversions_from(orders=[order])
    assert Money("50.00", "USD") == conversion.revenue


def test_a_refund_without_tax_leaves_the_rest():
    """Untaxed 100.00, 30.00 refunded: 70.00."""
    order = _order().record_payment(PaymentId("p-1"), Money("100.00", "USD"), at=day(3))
    (conversion,) = conversions_from(orders=[order.refund(Money("30.00", "USD"), at=day(4))])
    assert Money("70.00", "USD") == conversion.revenue


def test_cancelled_and_fully_refunded_orders_do_not_convert():
    """Only purchases count."""
    cancelled = _order(source="o-1").cancel(at=day(4))
    paid = _order(source="o-2").record_payment(PaymentId("p-1"), Money("100.00", "USD"), at=day(3))
    refunded = paid.refund(Money("100.00", "USD"), at=day(4))
    assert () == conversions_from(orders=[cancelled, refunded])


def test_conversions_from_refuses_other_records():
    """Each list holds its own type."""
    with pytest.raises(InvalidType) as caught:
        conversions_from(orders=[_deal()])
    assert "$.orders[0]" == caught.value.path
    with pytest.raises(InvalidType) as caught:
        conversions_from(opportunities=[_order()])
    assert "$.opportunities[0]" == caught.value.path


def test_conversions_from_bounds_its_input(monkeypatch):
    """At most MAX_ATTRIBUTION_RECORDS of each."""
    monkeypatch.setattr(attribution_module, "MAX_ATTRIBUTION_RECORDS", 1)
    with pytest.raises(ValidationError) as caught:
        conversions_from(orders=[_order(source="o-1"), _order(source="o-2")])
    assert ("$.orders", "too_many") == (caught.value.path, caught.value.code)


# -- properties -----------------------------------------------------------------------

MODELS = st.sampled_from(list(AttributionModel))
CAMPAIGNS = [f"cmp-{i}" for i in range(5)]


@st.composite
def journeys(draw, *, max_touches=12):
    """A conversion of one customer and touches around it (some outside the window)."""
    customer = draw(customer_ids())
    revenue = draw(moneys(min_value=0, max_value=10**12))
    at = day(40)
    lookback = timedelta(seconds=draw(st.integers(1, 30 * 86_400)))
    offsets = draw(
        st.lists(
            st.tuples(st.sampled_from(CAMPAIGNS), st.integers(-40 * 86_400, 5 * 86_400)),
            max_size=max_touches,
        )
    )
    touches = [Touch(CampaignId(c), customer, at - timedelta(seconds=s)) for c, s in offsets]
    conversion = RevenueConversion(customer, at, revenue, OrderId("o-1"))
    return conversion, touches, lookback


def _in_window(conversion, touches, lookback):
    return [t for t in touches if conversion.at - lookback <= t.at <= conversion.at]


@given(journeys(), MODELS, st.integers(1, 30).map(lambda d: timedelta(hours=d)))
def test_attributions_sum_to_the_revenue_exactly(journey, model, half_life):
    """Every model, every currency: the credits add up to the revenue, none negative."""
    conversion, touches, lookback = journey
    (result,) = attribute(
        [conversion], touches, model=model, lookback=lookback, half_life=half_life
    )
    if _in_window(conversion, touches, lookback):
        assert conversion.revenue == Money.total(
            [c.amount for c in result.credits], currency=conversion.revenue.currency
        )
    else:
        assert () == result.credits
    assert all(c.amount.amount >= 0 for c in result.credits)
    assert all(c.amount.rounded() == c.amount for c in result.credits)


@given(journeys(), st.sampled_from([AttributionModel.FIRST_TOUCH, AttributionModel.LAST_TOUCH]))
def test_single_touch_models_credit_one_campaign(journey, model):
    """First and last touch give everything to the earliest or latest touch in the window."""
    conversion, touches, lookback = journey
    window = sorted(
        _in_window(conversion, touches, lookback), key=lambda t: (t.at, t.campaign_id.value)
    )
    (result,) = attribute([conversion], touches, model=model, lookback=lookback)
    if window:
        chosen = window[0] if model is AttributionModel.FIRST_TOUCH else window[-1]
        assert [(chosen.campaign_id, conversion.revenue)] == [
            (c.campaign_id, c.amount) for c in result.credits
        ]


@given(
    moneys(min_value=0, max_value=10**12),
    st.integers(1, 20),
)
def test_linear_shares_differ_by_at_most_one_minor_unit(revenue, count):
    """Distinct campaigns, one touch each: equal shares within one minor unit."""
    touches = [touch(f"k{i}", day(1) + timedelta(hours=i)) for i in range(count)]
    conversion = RevenueConversion(C1, day(3), revenue, OrderId("o-1"))
    (result,) = attribute([conversion], touches, model="linear", lookback=MONTH)
    units = [c.amount.to_minor_units() for c in result.credits]
    assert count == len(units)
    assert max(units) - min(units) <= 1


@given(moneys(min_value=0, max_value=10**12), st.integers(3, 20))
def test_position_based_gives_the_ends_forty_percent(revenue, count):
    """First and last each get 40% of the revenue, within one minor unit."""
    touches = [touch(f"k{i:02d}", day(1) + timedelta(hours=i)) for i in range(count)]
    conversion = RevenueConversion(C1, day(3), revenue, OrderId("o-1"))
    (result,) = attribute([conversion], touches, model="position_based", lookback=MONTH)
    total = revenue.to_minor_units()
    for credit in (result.credits[0], result.credits[-1]):
        assert abs(Decimal(credit.amount.to_minor_units()) - Decimal(total) * Decimal("0.4")) <= 1


@given(journeys(), MODELS)
def test_touches_outside_the_window_get_nothing(journey, model):
    """Only campaigns touched within the window are credited."""
    conversion, touches, lookback = journey
    inside = {t.campaign_id for t in _in_window(conversion, touches, lookback)}
    (result,) = attribute([conversion], touches, model=model, lookback=lookback)
    assert {c.campaign_id for c in result.credits} <= inside


@given(st.lists(journeys(max_touches=6), min_size=1, max_size=4), MODELS, st.randoms())
def test_the_order_of_the_input_does_not_matter(journeys_, model, random):
    """Shuffled conversions and touches give the same attributions."""
    conversions = [
        RevenueConversion(c.customer_id, c.at, c.revenue, OrderId(f"o-{i}"))
        for i, (c, _, _) in enumerate(journeys_)
    ]
    touches = [t for _, ts, _ in journeys_ for t in ts]
    lookback = journeys_[0][2]
    expected = attribute(conversions, touches, model=model, lookback=lookback)
    random.shuffle(conversions)
    random.shuffle(touches)
    assert expected == attribute(conversions, touches, model=model, lookback=lookback)


@given(journeys())
def test_time_decay_never_favours_an_older_campaign(journey):
    """With one touch per campaign, a newer touch gets at least an older one's credit (to a unit)."""
    conversion, touches, lookback = journey
    distinct = {t.campaign_id: t for t in touches}
    (result,) = attribute(
        [conversion], list(distinct.values()), model="time_decay", lookback=lookback
    )
    at = {t.campaign_id: t.at for t in distinct.values()}
    for older in result.credits:
        for newer in result.credits:
            if at[newer.campaign_id] > at[older.campaign_id]:
                assert newer.amount.to_minor_units() >= older.amount.to_minor_units() - 1


def test_conversions_of_no_revenue_are_left_out():
    """A won deal of zero and a free order are not revenue."""
    free_deal = Opportunity.open(
        OpportunityId("opp-0"),
        customer_id=C1,
        name="Pilot",
        amount=Money("0.00", "USD"),
        expected_close=date(2026, 4, 30),
        owner=StaffId("rep-1"),
        pipeline=STANDARD_PIPELINE,
        at=day(1),
    ).win(STANDARD_PIPELINE, at=day(2))
    line = OrderLine(ProductId("sku-0"), 1, Money("0.00", "USD"), category="samples")
    free_order = Order.place(OrderId("o-0"), customer_id=C1, lines=[line], at=day(3))
    assert () == conversions_from(orders=[free_order], opportunities=[free_deal])
