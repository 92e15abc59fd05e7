"""Tests for `crmcore.clv.models._clv`: lifetime value from a purchase and a spend model."""

import pytest

from crmcore import ValidationError
from crmcore.clv import BetaGeo, BetaGeoBetaBinom, GammaGamma, ParetoNBD, customer_lifetime_value
from crmcore.clv.models import MAX_CLV_HORIZON

BG = BetaGeo(params={"r": 0.243, "alpha": 4.414, "a": 0.793, "b": 2.426})
GG = GammaGamma(params={"p": 6.25, "q": 3.74, "v": 15.44})


def test_without_discounting_value_is_spend_times_purchases():
    """Without discounting (d = 0): margin * E[spend] * E[purchases over the horizon]."""
    value = customer_lifetime_value(
        BG, GG, 2, 30.43, 38.86, 22.35, horizon=39, discount_rate=0.0, margin=0.5
    )
    expected = (
        0.5 * GG.expected_average_spend(2, 22.35) * BG.expected_purchases(39, 2, 30.43, 38.86)
    )
    assert pytest.approx(expected, rel=1e-12) == value


def test_discounting_lowers_the_value():
    """A positive discount rate gives a lower value than none."""
    plain = customer_lifetime_value(BG, GG, 4, 30.0, 38.0, 40.0, horizon=52, discount_rate=0.0)
    discounted = customer_lifetime_value(
        BG, GG, 4, 30.0, 38.0, 40.0, horizon=52, discount_rate=0.01
    )
    assert 0 < discounted < plain


def test_each_period_is_discounted_once():
    """One period: purchases in it, discounted by one period's rate."""
    value = customer_lifetime_value(BG, GG, 1, 5.0, 10.0, 30.0, horizon=1, discount_rate=0.1)
    expected = GG.expected_average_spend(1, 30.0) * BG.expected_purchases(1, 1, 5.0, 10.0) / 1.1
    assert pytest.approx(expected, rel=1e-12) == value


def test_sequences_give_one_value_per_customer():
    """Columns in, one value per customer out, equal to the single-customer calls."""
    columns = ([0, 2, 5], [0.0, 30.43, 20.0], [38.86, 38.86, 30.0], [0.0, 22.35, 50.0])
    values = customer_lifetime_value(BG, GG, *columns, horizon=12, discount_rate=0.002)
    singles = [
        customer_lifetime_value(BG, GG, *row, horizon=12, discount_rate=0.002)
        for row in zip(*columns, strict=True)
    ]
    assert pytest.approx(singles, rel=1e-12) == values


def test_works_with_every_purchase_model():
    """Pareto/NBD and BG/BB plug in the same way."""
    pareto = ParetoNBD(params={"r": 0.553, "alpha": 10.578, "s": 0.606, "beta": 11.669})
    bgbb = BetaGeoBetaBinom(params={"alpha": 1.204, "beta": 0.750, "gamma": 0.657, "delta": 2.783})
    assert (
        customer_lifetime_value(pareto, GG, 2, 30.0, 38.0, 20.0, horizon=52, discount_rate=0.002)
        > 0
    )
    assert customer_lifetime_value(bgbb, GG, 3, 5, 6, 20.0, horizon=5, discount_rate=0.1) > 0


@pytest.mark.parametrize(
    ("options", "path"),
    [
        ({"horizon": 0, "discount_rate": 0.1}, "$.horizon"),
        ({"horizon": 2.5, "discount_rate": 0.1}, "$.horizon"),
        ({"horizon": 5, "discount_rate": -0.1}, "$.discount_rate"),
        ({"horizon": 5, "discount_rate": 0.1, "margin": -1.0}, "$.margin"),
    ],
)
def test_bad_options_are_rejected(options, path):
    """Horizon, discount rate and margin are checked and named."""
    with pytest.raises(ValidationError) as caught:
        customer_lifetime_value(BG, GG, 1, 1.0, 2.0, 10.0, **options)
    assert path == caught.value.path


@pytest.mark.parametrize("margin", [30, 1.5, 100])
def test_a_margin_above_one_is_refused_with_a_hint(margin):
    """A margin of 30 is almost always 30%: refused (it multiplied the value by 100)."""
    with pytest.raises(ValidationError) as caught:
        customer_lifetime_value(
            BG, GG, 2, 30.43, 38.86, 22.35, horizon=52, discount_rate=0.0018, margin=margin
        )
    assert ("$.margin", "not_fraction") == (caught.value.path, caught.value.code)
    assert "0.3 for 30%" in caught.value.rule


@pytest.mark.parametrize("rate", [10, 1.01])
def test_a_discount_rate_above_one_is_refused_with_a_hint(rate):
    """A discount rate of 10 per period is a percentage by mistake: refused."""
    with pytest.raises(ValidationError) as caught:
        customer_lifetime_value(BG, GG, 2, 30.43, 38.86, 22.35, horizon=52, discount_rate=rate)
    assert ("$.discount_rate", "not_fraction") == (caught.value.path, caught.value.code)


@pytest.mark.parametrize(
    ("purchase_model", "spend_model", "path"),
    [(None, GG, "$.purchase_model"), (BG, None, "$.spend_model"), (BG, BG, "$.spend_model")],
)
def test_the_models_are_checked(purchase_model, spend_model, path):
    """D21: models of the wrong kind are refused with a path (was an AttributeError)."""
    with pytest.raises(ValidationError) as caught:
        customer_lifetime_value(
            purchase_model, spend_model, 1, 5.0, 30.0, 20.0, horizon=12, discount_rate=0.01
        )
    assert path == caught.value.path


@pytest.mark.parametrize("horizon", [2**63, MAX_CLV_HORIZON + 1])
def test_the_horizon_is_bounded(horizon):
    """D34: the horizon is bounded (MAX_CLV_HORIZON periods; the cost per period is constant)."""
    with pytest.raises(ValidationError) as caught:
        customer_lifetime_value(BG, GG, 1, 5.0, 30.0, 20.0, horizon=horizon, discount_rate=0.01)
    assert ("$.horizon", "too_large") == (caught.value.path, caught.value.code)


@pytest.mark.parametrize(
    ("purchase_model", "columns", "path"),
    [
        (BG, ([5, 1], [1.0, 7.0], [5.0, 5.0]), "$.recency[1]"),
        (
            BetaGeoBetaBinom(
                params={"alpha": 1.204, "beta": 0.750, "gamma": 0.657, "delta": 2.783}
            ),
            # periods = 0 is a newcomer (R1 item 10); a negative count is still refused.
            ([5, 1], [5, 1], [6, -1]),
            "$.T[1]",
        ),
    ],
)
def test_a_bad_history_is_named_by_its_row(purchase_model, columns, path):
    """The index is the row's own, not its place among the sorted distinct histories."""
    with pytest.raises(ValidationError) as caught:
        customer_lifetime_value(
            purchase_model, GG, *columns, [1.0, 1.0], horizon=3, discount_rate=0.1
        )
    assert path == caught.value.path


def test_an_age_at_the_float_limit_gives_a_value_not_an_overflow():
    """An age of 1e308 gives a value (0), not a bare OverflowError.

    The series' period count floored infinity (found by the nightly fuzz); such a
    customer's future purchases vanish.
    """
    bg = BetaGeo(params={"r": 0.243, "alpha": 4.414, "a": 0.793, "b": 2.426})
    gg = GammaGamma(params={"p": 6.25, "q": 3.74, "v": 15.44})
    args = ([1, 1], [5.0, 5.0], [30.0, 1e308], [20.0, 20.0])
    values = customer_lifetime_value(bg, gg, *args, horizon=4, discount_rate=0.01, margin=0.3)
    assert values[0] > 0.0
    assert values[1] == 0.0
