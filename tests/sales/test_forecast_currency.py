"""Tests for `crmcore.sales._forecast` in one currency: each deal at the rate of its close date."""

from datetime import UTC, date, datetime, timedelta, timezone
from decimal import Decimal
from fractions import Fraction

import pytest
from hypothesis import given
from hypothesis import strategies as st

from crmcore import InvalidType, Money, StaffId, ValidationError
from crmcore.customers import CustomerId
from crmcore.errors import CurrencyMismatch
from crmcore.exchange import ExchangeRate, RateTable
from crmcore.sales import STANDARD_PIPELINE, Opportunity, OpportunityId, pipeline_forecast
from crmcore.testing.strategies._base import moneys

WIB = timezone(timedelta(hours=7))
T0 = datetime(2026, 1, 5, 9, 0, tzinfo=UTC)
P = STANDARD_PIPELINE
APR = date(2026, 4, 1)
# 1 USD = 16,000 IDR in Q1, 16,400 IDR from April; 1 USD = 1.28 SGD throughout. SGD -> IDR
# crosses the corporate currency USD: 16000 / 1.28 = 12,500 in Q1, 16400 / 1.28 = 12,812.5 after.
RATES = RateTable(
    [
        ExchangeRate("USD", "IDR", "16000", valid_from=date(2026, 1, 1), valid_until=APR),
        ExchangeRate("USD", "IDR", "16400", valid_from=APR),
        ExchangeRate("USD", "SGD", "1.28", valid_from=date(2026, 1, 1)),
    ],
    pivot="USD",
)


def opportunity(number, amount, currency, close, stage="prospecting"):
    return Opportunity.open(
        OpportunityId(f"opp-{number}"),
        customer_id=CustomerId("c-1"),
        name="Deal",
        amount=Money(amount, currency),
        expected_close=close,
        owner=StaffId("rep-1"),
        pipeline=P,
        stage=stage,
        at=T0,
    )


DEALS = [
    opportunity(1, "10000000", "IDR", date(2026, 3, 15), "proposal"),
    opportunity(2, "1234.56", "USD", date(2026, 3, 31), "negotiation"),
    opportunity(3, "500.00", "USD", APR, "prospecting"),
    opportunity(4, "999.99", "SGD", date(2026, 2, 10), "proposal"),
    opportunity(5, "3.33", "SGD", date(2026, 5, 20), "qualification"),
    # Won at 20:00 UTC on 31 March: 1 April in Jakarta (WIB), so at April's rate there.
    opportunity(6, "2000.00", "USD", date(2026, 6, 30)).win(
        P, at=datetime(2026, 3, 31, 20, 0, tzinfo=UTC)
    ),
    # Lost deals do not count, so they need no rate (there is none in 2020).
    opportunity(7, "50.00", "USD", date(2020, 1, 1)).lose(P, at=T0, reason="price"),
]


def test_a_multi_currency_pipeline_in_idr_totals_the_hand_computed_sum():
    """Each deal converted at its close date's rate, rounded to the sen, then weighted."""
    result = pipeline_forecast(DEALS, P, currency="IDR", rates=RATES, tz=WIB)
    # By hand:
    #   1: 10,000,000.00 IDR              x 0.5 =  5,000,000
    #   2: 1,234.56 USD x 16,000 = 19,752,960.00 x 0.8 = 15,802,368
    #   3: 500.00 USD x 16,400   =  8,200,000.00 x 0.1 =    820,000
    #   4: 999.99 SGD x 12,500   = 12,499,875.00 x 0.5 =  6,249,937.5
    #   5: 3.33 SGD x 12,812.5   = 42,665.625 -> 42,665.62 (half to even) x 0.2 = 8,533.124
    assert Money("27880838.624", "IDR") == result.weighted_total("IDR")
    assert Money("50495500.62", "IDR") == result.open_total("IDR")
    #   6: 2,000.00 USD x 16,400 (won on 1 April in WIB) = 32,800,000.00
    assert Money("32800000.00", "IDR") == result.won_total("IDR")
    assert ("IDR",) == result.currencies
    assert [
        ("2026-02", 1, Money("6249937.5", "IDR"), 0),
        ("2026-03", 2, Money("20802368", "IDR"), 0),
        ("2026-04", 1, Money("820000", "IDR"), 1),
        ("2026-05", 1, Money("8533.124", "IDR"), 0),
    ] == [(p.period, p.open_count, p.weighted, p.won_count) for p in result.periods]


def test_a_won_deal_converts_at_the_rate_of_the_day_it_was_won_in_tz():
    """In UTC the same win falls on 31 March, at the first quarter's rate."""
    result = pipeline_forecast(DEALS, P, currency="IDR", rates=RATES)
    assert Money("32000000.00", "IDR") == result.won_total("IDR")


def test_the_rounding_mode_is_applied_to_each_converted_deal():
    """Half-up rounds 42,665.625 up to 42,665.63 before weighting."""
    result = pipeline_forecast([DEALS[4]], P, currency="IDR", rates=RATES, rounding="ROUND_HALF_UP")
    assert (Money("42665.63", "IDR"), Money("8533.126", "IDR")) == (
        result.open_total("IDR"),
        result.weighted_total("IDR"),
    )


def test_the_same_deals_report_in_usd_too():
    """In USD: IDR converts at 1/16000, SGD at 1/1.28; USD deals stay as they are."""
    result = pipeline_forecast(DEALS[:3], P, currency="usd", rates=RATES)
    # 10,000,000 IDR / 16,000 = 625.00 USD; 1,234.56 and 500.00 USD as they are.
    assert Money("2359.56", "USD") == result.open_total("USD")


def test_without_currency_the_forecast_keeps_each_deal_in_its_own():
    """The keywords are optional: the old forecast, one total per currency."""
    result = pipeline_forecast(DEALS, P, tz=WIB)
    assert ("IDR", "SGD", "USD") == result.currencies


@pytest.mark.parametrize(
    ("deals", "path"),
    [
        (
            [DEALS[0], opportunity(8, "1.00", "USD", date(2025, 12, 31))],
            "$.opportunities[1].expected_close",
        ),
        ([opportunity(9, "1.00", "EUR", APR)], "$.opportunities[0].expected_close"),
        (
            [
                DEALS[0],
                DEALS[1],
                opportunity(6, "2.00", "EUR", APR).win(P, at=T0 + timedelta(days=1)),
            ],
            "$.opportunities[2].closed_at",
        ),
    ],
)
def test_a_deal_without_a_rate_on_its_close_date_is_named_by_index(deals, path):
    """No rate for a deal's close date: no_rate at that deal's date field, nothing reported."""
    with pytest.raises(ValidationError) as caught:
        pipeline_forecast(deals, P, currency="IDR", rates=RATES)
    assert (path, "no_rate") == (caught.value.path, caught.value.code)


def test_without_rates_only_deals_already_in_the_currency_can_be_reported():
    """``rates=None`` converts nothing: an IDR-only pipeline works, a USD deal is refused."""
    result = pipeline_forecast([DEALS[0]], P, currency="IDR")
    assert Money("5000000.0", "IDR") == result.weighted_total("IDR")
    with pytest.raises(CurrencyMismatch) as caught:
        pipeline_forecast(DEALS[:2], P, currency="IDR")
    # As the revenue analytics say it (hierarchy_rollup reports both): the amount needs rates.
    assert "$.opportunities[1].amount" == caught.value.path
    assert "pass rates=" in caught.value.rule


def test_a_converted_amount_too_large_names_the_deal_amount():
    """A conversion past what Money holds is refused at the deal's amount."""
    huge = opportunity(10, 10**20, "USD", APR)
    with pytest.raises(ValidationError) as caught:
        pipeline_forecast([huge], P, currency="IDR", rates=RATES)
    assert ("$.opportunities[0].amount", "too_large") == (caught.value.path, caught.value.code)


@pytest.mark.parametrize(
    ("kwargs", "path", "code", "error"),
    [
        ({"rates": RATES}, "$.currency", "required", ValidationError),
        ({"currency": "RUPIAH", "rates": RATES}, "$.currency", "currency", ValidationError),
        ({"currency": 360, "rates": RATES}, "$.currency", "type", InvalidType),
        ({"currency": "IDR", "rates": [RATES.rates[0]]}, "$.rates", "type", InvalidType),
        (
            {"currency": "IDR", "rates": RATES, "rounding": "UP"},
            "$.rounding",
            "rounding",
            ValidationError,
        ),
        ({"rounding": None}, "$.rounding", "rounding", ValidationError),
    ],
)
def test_bad_currency_keywords_are_named(kwargs, path, code, error):
    """Each keyword is checked before any deal is looked at."""
    with pytest.raises(error) as caught:
        pipeline_forecast(DEALS, P, **kwargs)
    assert (path, code) == (caught.value.path, caught.value.code)


STAGES = ("prospecting", "qualification", "proposal", "negotiation")


@given(
    st.lists(
        st.tuples(
            moneys(currencies=["IDR", "USD", "SGD"], min_value=0, max_value=10**9),
            st.sampled_from(STAGES),
            st.dates(date(2026, 1, 1), date(2026, 12, 31)),
        ),
        max_size=12,
    ),
    st.sampled_from(["IDR", "USD", "SGD"]),
)
def test_the_total_is_the_sum_of_each_converted_deal_times_its_probability(drawn, target):
    """Brute force: convert each deal on its close date, weight by its stage, add up exactly."""
    deals = [
        opportunity(i, m.amount, m.currency, day, stage) for i, (m, stage, day) in enumerate(drawn)
    ]
    result = pipeline_forecast(deals, P, currency=target, rates=RATES)
    expected = Fraction(0)
    for deal in deals:
        converted = RATES.convert(deal.amount, target, on=deal.expected_close)
        expected += Fraction(converted.amount) * Fraction(P.stage(deal.stage).probability)
    assert expected == Fraction(result.weighted_total(target).amount)


def test_a_sum_past_the_exact_precision_is_refused_not_rounded():
    """The forecast's sums never round: a sum that would is a too_long error."""
    from crmcore.sales._forecast import _exact  # noqa: PLC0415 - a guard no Money can reach

    with pytest.raises(ValidationError) as caught:
        _exact("add", Decimal("1e200"), Decimal("1e-200"))
    assert "too_long" == caught.value.code
