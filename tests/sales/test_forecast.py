"""Tests for `crmcore.sales._forecast`: the weighted pipeline forecast by period."""

import json
from datetime import UTC, date, datetime, timedelta, timezone
from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from crmcore import InvalidType, Money, StaffId, ValidationError
from crmcore.customers import CustomerId
from crmcore.sales import (
    STANDARD_PIPELINE,
    ForecastLine,
    ForecastPeriod,
    Opportunity,
    OpportunityId,
    PeriodForecast,
    PipelineDefinition,
    PipelineForecast,
    PipelineId,
    Stage,
    pipeline_forecast,
)
from crmcore.serialization import from_dict, to_dict

WIB = timezone(timedelta(hours=7))
T0 = datetime(2026, 1, 5, 9, 0, tzinfo=UTC)
P = STANDARD_PIPELINE


def opportunity(number, amount, close, stage="prospecting", *, currency="IDR", pipeline=P):
    return Opportunity.open(
        OpportunityId(f"opp-{number}"),
        customer_id=CustomerId("c-1"),
        name="Deal",
        amount=Money(amount, currency),
        expected_close=close,
        owner=StaffId("rep-1"),
        pipeline=pipeline,
        stage=stage,
        at=T0,
    )


def test_open_deals_count_for_amount_times_probability_in_their_close_month():
    """Two April deals in different stages and a May deal give per-stage lines and month totals."""
    deals = [
        opportunity(1, 10_000_000, date(2026, 4, 10), "proposal"),
        opportunity(2, 20_000_000, date(2026, 4, 20), "negotiation"),
        opportunity(3, 30_000_000, date(2026, 4, 30), "proposal"),
        opportunity(4, 5_000_000, date(2026, 5, 5)),
    ]
    result = pipeline_forecast(deals, P)
    assert [
        ("2026-04", "proposal", 2, Money(40_000_000, "IDR"), Money(20_000_000, "IDR")),
        ("2026-04", "negotiation", 1, Money(20_000_000, "IDR"), Money(16_000_000, "IDR")),
        ("2026-05", "prospecting", 1, Money(5_000_000, "IDR"), Money(500_000, "IDR")),
    ] == [(ln.period, ln.stage, ln.count, ln.amount, ln.weighted) for ln in result.lines]
    assert [
        PeriodForecast(
            period="2026-04",
            currency="IDR",
            open_count=3,
            open_amount=Money(60_000_000, "IDR"),
            weighted=Money(36_000_000, "IDR"),
            won_count=0,
            won=Money(0, "IDR"),
        ),
        PeriodForecast(
            period="2026-05",
            currency="IDR",
            open_count=1,
            open_amount=Money(5_000_000, "IDR"),
            weighted=Money(500_000, "IDR"),
            won_count=0,
            won=Money(0, "IDR"),
        ),
    ] == list(result.periods)
    assert Money(36_500_000, "IDR") == result.weighted_total("IDR")
    assert Money(65_000_000, "IDR") == result.open_total("IDR")


def test_quarters_group_three_months():
    """By quarter, March and April fall in Q1 and Q2."""
    deals = [
        opportunity(1, 100, date(2026, 3, 31), "proposal"),
        opportunity(2, 100, date(2026, 4, 1), "proposal"),
        opportunity(3, 100, date(2026, 1, 1), "proposal"),
    ]
    result = pipeline_forecast(deals, P, by="quarter")
    assert ForecastPeriod.QUARTER is result.by
    assert [("2026-Q1", Money(100, "IDR")), ("2026-Q2", Money(50, "IDR"))] == [
        (p.period, p.weighted) for p in result.periods
    ]
    assert "2026-Q4" == ForecastPeriod.QUARTER.label(date(2026, 12, 31))
    assert "2026-12" == ForecastPeriod.MONTH.label(date(2026, 12, 31))


def test_won_deals_count_in_full_in_the_month_won_and_lost_deals_not_at_all():
    """A win late on 31 March UTC is an April win in Jakarta; a lost deal adds nothing."""
    won_at = datetime(2026, 3, 31, 20, 0, tzinfo=UTC)
    won = opportunity(1, 7_000, date(2026, 6, 1), "negotiation").win(P, at=won_at)
    lost = opportunity(2, 9_000, date(2026, 3, 1)).lose(P, at=won_at, reason="price")
    in_utc = pipeline_forecast([won, lost], P)
    assert [("2026-03", 1, Money(7_000, "IDR"))] == [
        (p.period, p.won_count, p.won) for p in in_utc.periods
    ]
    in_jakarta = pipeline_forecast([won, lost], P, tz=WIB)
    assert ["2026-04"] == [p.period for p in in_jakarta.periods]
    assert () == in_jakarta.lines
    assert (Money(0, "IDR"), Money(7_000, "IDR")) == (
        in_jakarta.weighted_total("IDR"),
        in_jakarta.won_total("IDR"),
    )


def test_currencies_are_never_mixed():
    """Each currency has its own lines, periods and totals."""
    deals = [
        opportunity(1, 100, date(2026, 4, 1), "proposal", currency="USD"),
        opportunity(2, 1_000_000, date(2026, 4, 1), "proposal"),
    ]
    result = pipeline_forecast(deals, P)
    assert ("IDR", "USD") == result.currencies
    assert [("IDR", "2026-04"), ("USD", "2026-04")] == [
        (p.currency, p.period) for p in result.periods
    ]
    assert Money(50, "USD") == result.weighted_total("usd")
    assert Money(500_000, "IDR") == result.weighted_total("IDR")
    assert Money(0, "EUR") == result.weighted_total("EUR")
    assert 1 == len(result.for_currency("USD"))


def test_empty_input_gives_an_empty_forecast_with_zero_totals():
    """No opportunities: no lines, no periods, zero in any currency."""
    result = pipeline_forecast([], P, by="quarter")
    assert PipelineForecast(by=ForecastPeriod.QUARTER, lines=(), periods=()) == result
    assert () == result.currencies
    assert Money(0, "IDR") == result.weighted_total("IDR")
    assert Money(0, "IDR") == result.won_total("IDR")


def test_weighted_amounts_keep_full_precision():
    """A third of a cent is kept, to be rounded only for display."""
    third = PipelineDefinition(
        id=PipelineId("p"),
        name="P",
        stages=[
            Stage("maybe", kind="open", probability=Decimal(1) / 3, order=1),
            *P.won_stages,
            *P.lost_stages,
        ],
    )
    deal = opportunity(1, "0.10", date(2026, 4, 1), "maybe", currency="USD", pipeline=third)
    weighted = pipeline_forecast([deal], third).weighted_total("USD")
    assert Decimal("0.10") * (Decimal(1) / 3) == weighted.amount
    assert Money("0.03", "USD") == weighted.rounded()


def test_bad_input_is_refused_with_a_path():
    """Another pipeline's deal, a stage the pipeline lost, wrong types and periods are refused."""
    other = PipelineDefinition(id=PipelineId("other"), name="Other", stages=P.stages)
    with pytest.raises(ValidationError) as pipeline:
        pipeline_forecast(
            [
                opportunity(1, 1, date(2026, 4, 1)),
                opportunity(2, 1, date(2026, 4, 1), pipeline=other),
            ],
            P,
        )
    assert ("$.opportunities[1].pipeline_id", "other_pipeline") == (
        pipeline.value.path,
        pipeline.value.code,
    )
    shrunk = PipelineDefinition(
        id=P.id, name="P", stages=[s for s in P.stages if s.code != "proposal"]
    )
    with pytest.raises(ValidationError) as stage:
        pipeline_forecast([opportunity(1, 1, date(2026, 4, 1), "proposal")], shrunk)
    assert ("$.opportunities[0].stage", "unknown_stage") == (stage.value.path, stage.value.code)
    with pytest.raises(InvalidType) as item:
        pipeline_forecast(["opp-1"], P)
    assert "$.opportunities[0]" == item.value.path
    with pytest.raises(InvalidType):
        pipeline_forecast("opp-1", P)
    with pytest.raises(InvalidType):
        pipeline_forecast([], "standard")
    with pytest.raises(ValidationError) as by:
        pipeline_forecast([], P, by="week")
    assert "$.by" == by.value.path
    with pytest.raises(InvalidType):
        pipeline_forecast([], P, tz="Asia/Jakarta")


def test_forecasts_round_trip_through_json():
    """A forecast is a value that survives to_dict and from_dict."""
    deals = [
        opportunity(1, 100, date(2026, 4, 1), "proposal", currency="USD"),
        opportunity(2, 1_000_000, date(2026, 5, 1), "negotiation"),
        opportunity(3, 5, date(2026, 5, 1)).win(P, at=T0 + timedelta(days=1)),
    ]
    result = pipeline_forecast(deals, P)
    assert result == from_dict(PipelineForecast, json.loads(json.dumps(to_dict(result))))
    line = result.lines[0]
    assert line == from_dict(ForecastLine, to_dict(line))


# -- properties --------------------------------------------------------------------------------


def closed(deal, kind, at):
    if kind == "won":
        return deal.win(P, at=at)
    if kind == "lost":
        return deal.lose(P, at=at, reason="lost")
    return deal


deals_strategy = st.lists(
    st.tuples(
        st.integers(min_value=0, max_value=10**9),
        st.sampled_from(["IDR", "USD", "JPY"]),
        st.dates(min_value=date(2025, 1, 1), max_value=date(2027, 12, 31)),
        st.sampled_from([s.code for s in P.open_stages]),
        st.sampled_from(["open", "open", "won", "lost"]),
        st.integers(min_value=0, max_value=900),
    ),
    max_size=25,
)


@given(deals_strategy, st.sampled_from(["month", "quarter"]))
def test_forecast_is_the_sum_of_amount_times_probability_over_open_deals(rows, by):
    """Per currency: weighted = sum(amount x probability) over open deals; won = sum of won amounts."""
    deals = [
        closed(
            opportunity(number, amount, close, stage, currency=currency),
            kind,
            T0 + timedelta(days=days),
        )
        for number, (amount, currency, close, stage, kind, days) in enumerate(rows)
    ]
    result = pipeline_forecast(deals, P, by=by)
    for code in ("IDR", "USD", "JPY"):
        mine = [d for d in deals if d.amount.currency == code]
        expected = sum(
            (d.amount.amount * P.probability(d.stage) for d in mine if d.is_open), Decimal(0)
        )
        assert Money(expected, code) == result.weighted_total(code)
        assert Money(sum((d.amount.amount for d in mine if d.is_open), Decimal(0)), code) == (
            result.open_total(code)
        )
        assert Money(sum((d.amount.amount for d in mine if d.is_won), Decimal(0)), code) == (
            result.won_total(code)
        )
    assert sum(d.is_open for d in deals) == sum(line.count for line in result.lines)
    assert sum(d.is_won for d in deals) == sum(p.won_count for p in result.periods)
    for period in result.periods:
        lines = [
            ln
            for ln in result.lines
            if (ln.currency, ln.period) == (period.currency, period.period)
        ]
        assert period.weighted.amount == sum((ln.weighted.amount for ln in lines), Decimal(0))
    for line in result.lines:
        assert line.weighted == line.amount * line.probability
        assert line.probability == P.probability(line.stage)
