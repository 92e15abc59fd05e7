"""Tests for `crmcore.marketing.campaign_roi`: responses, conversions, costs and ROI."""

from datetime import UTC, date, datetime, timedelta
from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from crmcore import CurrencyMismatch, InvalidType, Money, ValidationError
from crmcore.commerce import OrderId
from crmcore.customers import CustomerId
from crmcore.exchange import ExchangeRate, RateTable
from crmcore.marketing import (
    Campaign,
    CampaignId,
    CampaignRoi,
    RevenueConversion,
    Touch,
    attribute,
    campaign_roi,
)
from crmcore.marketing import _attribution as attribution_module
from crmcore.testing.strategies import moneys

T0 = datetime(2026, 3, 1, 12, 0, tzinfo=UTC)
MONTH = timedelta(days=30)


def campaign(name: str, cost: str | None = None, currency: str = "USD", **more) -> Campaign:
    """A campaign with an actual cost recorded (if given)."""
    made = Campaign.create(CampaignId(name), name=name, campaign_type="email", at=T0, **more)
    if cost is not None:
        made = made.record_cost(Money(cost, currency), at=T0)
    return made


def member(name: str, *, responded: bool = False, converted: bool = False) -> tuple:
    """A member record: (campaign_id, first_responded_at, converted_at)."""
    return (
        CampaignId(name),
        T0 if responded else None,
        T0 if converted else None,
    )


def conversion(customer: str, amount: str, source: str, currency: str = "USD") -> RevenueConversion:
    """Revenue of ``customer`` ten days in."""
    return RevenueConversion(
        CustomerId(customer), T0 + timedelta(days=10), Money(amount, currency), OrderId(source)
    )


def touch(name: str, customer: str, days: int = 1) -> Touch:
    """A touch ``days`` in."""
    return Touch(CampaignId(name), CustomerId(customer), T0 + timedelta(days=days))


def test_a_hand_computed_report():
    """A costs 300.00, B nothing recorded; linear attribution of 1000.00 (A, B) and 600.00 (A).

    A: revenue 500 + 600 = 1100.00, 2 conversions, 2 responses: CPL = CPA = 150.00,
    ROI = (1100 - 300) / 300 = 8/3. B: revenue 500.00, cost zero: ROI None.
    """
    credited = attribute(
        [conversion("c-1", "1000.00", "o-1"), conversion("c-2", "600.00", "o-2")],
        [touch("A", "c-1"), touch("B", "c-1", 2), touch("A", "c-2")],
        model="linear",
        lookback=MONTH,
    )
    members = [
        member("A", responded=True, converted=True),
        member("A", responded=True),
        member("A"),
        member("B", responded=True),
        member("Z", responded=True),  # a campaign not reported on
    ]
    a, b = campaign_roi(
        [campaign("A", "300.00"), campaign("B", budget=Money("50.00", "USD"))],
        members,
        credited,
    )
    assert (
        CampaignRoi(
            CampaignId("A"),
            "USD",
            members=3,
            responses=2,
            converted_members=1,
            conversions=2,
            cost=Money("300.00", "USD"),
            attributed_revenue=Money("1100.00", "USD"),
            cost_per_lead=Money("150.00", "USD"),
            cost_per_acquisition=Money("150.00", "USD"),
            roi=Decimal(800) / Decimal(300),
        )
        == a
    )
    assert (1, 1, 1, Money.zero("USD"), Money("500.00", "USD"), None) == (
        b.members,
        b.responses,
        b.conversions,
        b.cost,
        b.attributed_revenue,
        b.roi,
    )
    assert Money("0.00", "USD") == b.cost_per_lead


def test_without_responses_or_conversions_the_ratios_are_none():
    """Nothing to divide by: no cost per lead or acquisition."""
    (row,) = campaign_roi([campaign("A", "10.00")], [], [])
    assert (None, None, Decimal(-1)) == (row.cost_per_lead, row.cost_per_acquisition, row.roi)


def test_unattributed_conversions_and_other_campaigns_credit_nothing():
    """An unattributed conversion and credits to unlisted campaigns are passed over."""
    credited = attribute(
        [conversion("c-1", "10.00", "o-1"), conversion("c-2", "10.00", "o-2")],
        [touch("other", "c-1")],
        model="last_touch",
        lookback=MONTH,
    )
    (row,) = campaign_roi([campaign("A", "1.00")], [], credited)
    assert (0, Money.zero("USD")) == (row.conversions, row.attributed_revenue)


def test_revenue_in_another_currency_needs_rates():
    """Without rates, a credit in another currency is a CurrencyMismatch naming it."""
    credited = attribute(
        [conversion("c-1", "10.00", "o-1", "EUR")],
        [touch("A", "c-1")],
        model="linear",
        lookback=MONTH,
    )
    with pytest.raises(CurrencyMismatch) as caught:
        campaign_roi([campaign("A", "1.00")], [], credited)
    assert "$.attributions[0].credits[0].amount" == caught.value.path


def test_revenue_is_converted_on_the_conversion_day():
    """EUR revenue at 2 USD per EUR on the conversion's day."""
    rates = RateTable([ExchangeRate("EUR", "USD", "2", valid_from=date(2026, 3, 1))])
    credited = attribute(
        [conversion("c-1", "10.00", "o-1", "EUR")],
        [touch("A", "c-1")],
        model="linear",
        lookback=MONTH,
    )
    (row,) = campaign_roi([campaign("A", "5.00")], [], credited, rates=rates)
    assert (Money("20.00", "USD"), Decimal(3)) == (row.attributed_revenue, row.roi)


def test_a_missing_rate_names_the_credit():
    """No rate on the day: the path leads to the credit."""
    rates = RateTable([ExchangeRate("EUR", "USD", "2", valid_from=date(2027, 1, 1))])
    credited = attribute(
        [conversion("c-1", "10.00", "o-1", "EUR")],
        [touch("A", "c-1")],
        model="linear",
        lookback=MONTH,
    )
    with pytest.raises(ValidationError) as caught:
        campaign_roi([campaign("A", "5.00")], [], credited, rates=rates)
    assert caught.value.path.startswith("$.attributions[0].credits[0].amount")


def test_a_report_currency_converts_costs_on_the_campaign_end():
    """Reported in USD: a EUR cost converts on the campaign's end day, or on cost_on."""
    rates = RateTable(
        [
            ExchangeRate(
                "EUR", "USD", "2", valid_from=date(2026, 1, 1), valid_until=date(2026, 6, 1)
            ),
            ExchangeRate("EUR", "USD", "3", valid_from=date(2026, 6, 1)),
        ]
    )
    ended = campaign("A", "10.00", "EUR", start=date(2026, 3, 1), end=date(2026, 3, 31))
    (row,) = campaign_roi([ended], [], [], currency="usd", rates=rates)
    assert ("USD", Money("20.00", "USD")) == (row.currency, row.cost)
    (row,) = campaign_roi([ended], [], [], currency="USD", rates=rates, cost_on=date(2026, 7, 1))
    assert Money("30.00", "USD") == row.cost


def test_a_cost_without_a_day_to_convert_on_is_refused():
    """No dates and no cost_on: the day is required."""
    rates = RateTable([ExchangeRate("EUR", "USD", "2", valid_from=date(2026, 1, 1))])
    with pytest.raises(ValidationError) as caught:
        campaign_roi([campaign("A", "10.00", "EUR")], [], [], currency="USD", rates=rates)
    assert ("$.cost_on", "required") == (caught.value.path, caught.value.code)
    with pytest.raises(CurrencyMismatch) as caught:
        campaign_roi([campaign("A", "10.00", "EUR")], [], [], currency="USD")
    assert "$.campaigns[0].actual_cost" == caught.value.path


def test_a_campaign_without_money_takes_its_credits_currency_or_needs_one():
    """No budget or cost: the first credit's currency, else `currency` must be given."""
    credited = attribute(
        [conversion("c-1", "10.00", "o-1", "EUR")],
        [touch("A", "c-1")],
        model="linear",
        lookback=MONTH,
    )
    (row,) = campaign_roi([campaign("A")], [], credited)
    assert (Money("10.00", "EUR"), None) == (row.attributed_revenue, row.roi)
    with pytest.raises(ValidationError) as caught:
        campaign_roi([campaign("B")], [], [])
    assert ("$.campaigns[0]", "no_currency") == (caught.value.path, caught.value.code)
    (row,) = campaign_roi([campaign("B")], [], [], currency="JPY")
    assert Money.zero("JPY") == row.cost


def test_bad_input_is_refused_with_its_path():
    """Duplicates, wrong types, mixed models and unknown currencies each name their path."""
    cases = [
        (([campaign("A"), campaign("A")], [], []), {}, "$.campaigns[1].id", "duplicate"),
        (([campaign("A")], [], []), {"currency": "XXY"}, "$.currency", "currency"),
    ]
    for args, kwargs, path, code in cases:
        with pytest.raises(ValidationError) as caught:
            campaign_roi(*args, **kwargs)
        assert (path, code) == (caught.value.path, caught.value.code)
    for args, kwargs, path in [
        ((["A"], [], []), {}, "$.campaigns[0]"),
        (([campaign("A")], [(None, None, None)], []), {}, "$.members[0].campaign_id"),
        (([campaign("A")], [], [None]), {}, "$.attributions[0]"),
        (([campaign("A")], [], []), {"currency": 840}, "$.currency"),
        (([campaign("A")], [], []), {"rates": {}}, "$.rates"),
    ]:
        with pytest.raises(InvalidType) as caught:
            campaign_roi(*args, **kwargs)
        assert path == caught.value.path


def test_attributions_of_two_models_or_a_conversion_twice_are_refused():
    """One model, each conversion once: no revenue counts twice."""
    sale = [conversion("c-1", "10.00", "o-1")]
    linear = attribute(sale, [touch("A", "c-1")], model="linear", lookback=MONTH)
    last = attribute(sale, [touch("A", "c-1")], model="last_touch", lookback=MONTH)
    with pytest.raises(ValidationError) as caught:
        campaign_roi([campaign("A", "1.00")], [], linear + last)
    assert ("$.attributions[1].model", "mixed_models") == (caught.value.path, caught.value.code)
    with pytest.raises(ValidationError) as caught:
        campaign_roi([campaign("A", "1.00")], [], linear + linear)
    assert ("$.attributions[1].conversion.source_id", "duplicate") == (
        caught.value.path,
        caught.value.code,
    )


def test_campaign_roi_bounds_its_input(monkeypatch):
    """Records are counted while read."""
    monkeypatch.setattr("crmcore.marketing._roi._MAX", 1)
    with pytest.raises(ValidationError) as caught:
        campaign_roi([campaign("A"), campaign("B")], [], [], currency="USD")
    assert ("$.campaigns", "too_many") == (caught.value.path, caught.value.code)
    assert attribution_module.MAX_ATTRIBUTION_RECORDS > 1


@given(
    st.lists(moneys(currencies=["USD"], min_value=0, max_value=10**9), min_size=1, max_size=6),
    st.sampled_from(["first_touch", "last_touch", "linear", "time_decay", "position_based"]),
)
def test_attributed_revenue_over_campaigns_is_the_attributed_total(amounts, model):
    """Summed over all campaigns touched, attributed revenue is all the attributed revenue."""
    conversions = [
        RevenueConversion(CustomerId(f"c-{i}"), T0 + timedelta(days=10), amount, OrderId(f"o-{i}"))
        for i, amount in enumerate(amounts)
    ]
    touches = [
        touch(name, f"c-{i}", days)
        for i in range(len(amounts))
        for name, days in (("A", 1), ("B", 1 + i % 3), ("C", 9))
        if (i + len(name)) % 2 or name == "C"
    ]
    credited = attribute(conversions, touches, model=model, lookback=MONTH)
    rows = campaign_roi([campaign(n, "1.00") for n in "ABC"], [], credited)
    assert Money.total(amounts, currency="USD") == Money.total(
        [r.attributed_revenue for r in rows], currency="USD"
    )
