"""Tests for `crmcore.clv._formula`."""

from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from crmcore import CurrencyMismatch, InvalidType, Money, ValidationError
from crmcore.clv import FormulaCLV, formula_clv


def usd(amount):
    """US dollars."""
    return Money(amount, "USD")


def test_the_documents_worked_example():
    """Rp 275,000 twice a month for three years is Rp 19,800,000."""
    clv = formula_clv(Money("275000", "IDR"), purchases_per_year=24, retention_years=3)
    assert Money("19800000", "IDR") == clv.gross_value
    assert Money("19800000", "IDR") == clv.margin_value
    assert Money("19800000", "IDR") == clv.present_value
    assert Money("19800000", "IDR") == clv.net_value
    assert (Money("6600000", "IDR"),) * 3 == clv.yearly_values
    assert Decimal(0) == clv.payback_years
    assert isinstance(clv, FormulaCLV)


def test_gross_margin_scales_the_value():
    """A 25 % margin keeps a quarter of the revenue."""
    clv = formula_clv(
        Money("275000", "IDR"), purchases_per_year=24, retention_years=3, gross_margin="0.25"
    )
    assert (Money("19800000", "IDR"), Money("4950000", "IDR")) == (
        clv.gross_value,
        clv.margin_value,
    )


def test_discounting_at_the_end_of_each_year():
    """100 a year for two years at 10 %: 100/1.1 + 100/1.21 = 21000/121 = 173.55."""
    clv = formula_clv(usd(100), purchases_per_year=1, retention_years=2, discount_rate="0.10")
    assert usd("173.55") == clv.present_value.rounded()
    assert usd("200") == clv.margin_value
    assert "end" == clv.timing


def test_discounting_at_the_start_of_each_year():
    """With timing='start' the first year is not discounted: 100 + 100/1.1 = 190.91."""
    clv = formula_clv(
        usd(100), purchases_per_year=1, retention_years=2, discount_rate="0.10", timing="start"
    )
    assert usd("190.91") == clv.present_value.rounded()


def test_a_fractional_final_year_counts_pro_rata():
    """2.5 years: 100 + 100 + 50, and discounted 100/1.1 + 100/1.21 + 50/1.331 = 211.12."""
    plain = formula_clv(usd(100), purchases_per_year=1, retention_years="2.5")
    assert (usd(100), usd(100), usd(50)) == plain.yearly_values
    assert usd(250) == plain.gross_value
    discounted = formula_clv(
        usd(100), purchases_per_year=1, retention_years="2.5", discount_rate="0.1"
    )
    assert usd("211.12") == discounted.present_value.rounded()


def test_costs_and_payback():
    """80 a year net of a 20 retention cost pays back 150 after 1 + 70/80 = 1.875 years."""
    clv = formula_clv(
        usd(100),
        purchases_per_year=1,
        retention_years=3,
        retention_cost_per_year=usd(20),
        acquisition_cost=usd(150),
    )
    assert usd(60) == clv.retention_cost
    assert usd(150) == clv.acquisition_cost
    assert usd(90) == clv.net_value
    assert Decimal("1.875") == clv.payback_years


def test_payback_in_the_first_year_with_discounting():
    """Year one brings (264 - 30) / 1.1 = 212.73; 200 of it is recovered after 0.94 years."""
    clv = formula_clv(
        usd(11),
        purchases_per_year=24,
        retention_years=3,
        discount_rate="0.10",
        retention_cost_per_year=usd(30),
        acquisition_cost=usd(200),
    )
    # 200 / (234 / 1.1) = 220 / 234 = 0.9401...
    assert Decimal("0.94") == clv.payback_years.quantize(Decimal("0.01"))


def test_payback_is_none_when_never_covered():
    """An acquisition cost above every year's margin together is never paid back."""
    clv = formula_clv(usd(10), purchases_per_year=2, retention_years=3, acquisition_cost=usd(61))
    assert (None, usd(-1)) == (clv.payback_years, clv.net_value)


def test_payback_is_none_when_costs_eat_the_margin():
    """Retention costs above the margin leave nothing to pay back with."""
    clv = formula_clv(
        usd(10),
        purchases_per_year=1,
        retention_years=5,
        retention_cost_per_year=usd(12),
        acquisition_cost=usd(1),
    )
    assert (None, usd(-11)) == (clv.payback_years, clv.net_value)


def test_zero_retention_gives_zero_value():
    """A customer who does not stay is worth nothing but costs the acquisition."""
    clv = formula_clv(usd(10), purchases_per_year=12, retention_years=0, acquisition_cost=usd(5))
    assert ((), usd(-5), None) == (clv.yearly_values, clv.net_value, clv.payback_years)


def test_the_result_carries_its_inputs():
    """The result echoes the normalized inputs."""
    clv = formula_clv(usd(10), purchases_per_year="2.5", retention_years=2, gross_margin="0.3")
    assert (usd(10), Decimal("2.5"), Decimal(2), Decimal("0.3"), Decimal(0)) == (
        clv.average_order_value,
        clv.purchases_per_year,
        clv.retention_years,
        clv.gross_margin,
        clv.discount_rate,
    )


@pytest.mark.parametrize(
    ("options", "path", "error"),
    [
        ({"average_order_value": Decimal(10)}, "$.average_order_value", InvalidType),
        ({"purchases_per_year": float("inf")}, "$.purchases_per_year", ValidationError),
        ({"purchases_per_year": -1}, "$.purchases_per_year", ValidationError),
        ({"purchases_per_year": "NaN"}, "$.purchases_per_year", ValidationError),
        ({"retention_years": -1}, "$.retention_years", ValidationError),
        ({"retention_years": 1001}, "$.retention_years", ValidationError),
        ({"gross_margin": "1.5"}, "$.gross_margin", ValidationError),
        ({"gross_margin": "-0.1"}, "$.gross_margin", ValidationError),
        ({"gross_margin": [0.4]}, "$.gross_margin", InvalidType),
        ({"discount_rate": "-0.05"}, "$.discount_rate", ValidationError),
        ({"retention_cost_per_year": 5}, "$.retention_cost_per_year", InvalidType),
        ({"retention_cost_per_year": usd(-5)}, "$.retention_cost_per_year", ValidationError),
        ({"acquisition_cost": Money(5, "EUR")}, "$.acquisition_cost.currency", CurrencyMismatch),
        ({"timing": "middle"}, "$.timing", ValidationError),
    ],
)
def test_bad_input_names_the_argument(options, path, error):
    """Every bad argument raises a library error that names it."""
    arguments = {
        "average_order_value": usd(10),
        "purchases_per_year": 2,
        "retention_years": 3,
        **options,
    }
    aov = arguments.pop("average_order_value")
    with pytest.raises(error) as info:
        formula_clv(aov, **arguments)
    assert path == info.value.path


amounts = st.integers(0, 10**6).map(lambda cents: usd(Decimal(cents).scaleb(-2)))
fractions = st.integers(0, 100).map(lambda percent: Decimal(percent).scaleb(-2))
years = st.integers(0, 40).map(lambda quarters: Decimal(quarters) / 4)


options = st.fixed_dictionaries(
    {
        "purchases_per_year": st.integers(0, 60),
        "retention_years": years,
        "gross_margin": fractions,
        "discount_rate": fractions,
        "retention_cost_per_year": amounts,
        "acquisition_cost": amounts,
        "timing": st.sampled_from(["end", "start"]),
    }
)


@given(amounts, options)
def test_components_add_up(aov, arguments):
    """Net = present value - retention cost - acquisition cost, and the years sum up."""
    clv = formula_clv(aov, **arguments)
    assert clv.present_value - clv.retention_cost - clv.acquisition_cost == clv.net_value
    total = Money.total(clv.yearly_values, currency="USD")
    assert abs((clv.present_value - clv.retention_cost - total).amount) < Decimal("1e-18")
    assert clv.present_value <= clv.margin_value + usd("1e-18")
    assert clv.margin_value <= clv.gross_value
    assert {"USD"} == {m.currency for m in (clv.net_value, clv.present_value, *clv.yearly_values)}


@given(amounts, options)
def test_payback_covers_the_acquisition_cost(aov, arguments):
    """At the payback time the cumulative value reaches the acquisition cost, and not before."""
    clv = formula_clv(aov, **arguments)
    acquire = arguments["acquisition_cost"].amount
    cumulative = [Decimal(0)]
    for value in clv.yearly_values:
        cumulative.append(cumulative[-1] + value.amount)
    if clv.payback_years is None:
        assert acquire > 0
        assert all(c < acquire for c in cumulative)
        return
    assert Decimal(0) <= clv.payback_years <= arguments["retention_years"]
    if acquire > 0:
        assert cumulative[int(clv.payback_years)] <= acquire + Decimal("1e-18")
        assert max(cumulative) >= acquire


@given(amounts, st.integers(0, 60), st.integers(0, 30))
def test_without_refinements_it_is_the_basic_formula(aov, per_year, stay):
    """No margin, rate or costs: every component is aov x purchases x years."""
    clv = formula_clv(aov, purchases_per_year=per_year, retention_years=stay)
    basic = aov * per_year * stay
    assert (basic, basic, basic, basic) == (
        clv.gross_value,
        clv.margin_value,
        clv.present_value,
        clv.net_value,
    )


@pytest.mark.parametrize(
    ("field", "value"), [("gross_margin", 30), ("discount_rate", 10), ("discount_rate", "1.5")]
)
def test_percentages_passed_as_fractions_are_refused_with_a_hint(field, value):
    """A margin or discount rate above 1 is refused like the models refuse it (code not_fraction)."""
    with pytest.raises(ValidationError) as caught:
        formula_clv(
            Money("275000", "IDR"), purchases_per_year=24, retention_years=3, **{field: value}
        )
    assert (f"$.{field}", "not_fraction") == (caught.value.path, caught.value.code)
