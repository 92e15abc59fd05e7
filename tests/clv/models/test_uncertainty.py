"""Delta-method intervals (crmcore.clv.models._uncertainty): exactness, coverage, bad input."""

from __future__ import annotations

import csv
import math
import sys
from statistics import NormalDist

import pytest

from crmcore.clv import BetaGeo, BetaGeoBetaBinom, GammaGamma, Percent, customer_lifetime_value
from crmcore.clv.models import NotFittedError
from crmcore.clv.models._interval import make_interval
from crmcore.clv.models._uncertainty import (
    Interval,
    delta_method,
    expected_purchases_intervals,
    lifetime_value_intervals,
    probability_alive_intervals,
)
from crmcore.errors import InvalidType, ValidationError

Z95 = NormalDist().inv_cdf(0.975)
PARAMS = {"r": 0.243, "alpha": 4.414, "a": 0.793, "b": 2.426}
# A non-diagonal covariance (positive definite: a correlation matrix of 0.3 scaled by the SEs).
SES = (0.0126, 0.378, 0.186, 0.705)
COV = [[SES[i] * SES[j] * (1.0 if i == j else 0.3) for j in range(4)] for i in range(4)]
SPEND = {"p": 6.25, "q": 3.74, "v": 15.44}
SPEND_SES = (1.19, 0.29, 4.16)
SPEND_COV = [
    [SPEND_SES[i] * SPEND_SES[j] * (1.0 if i == j else -0.2) for j in range(3)] for i in range(3)
]


def quad(g, cov):
    return math.fsum(g[i] * cov[i][j] * g[j] for i in range(len(g)) for j in range(len(g)))


@pytest.fixture(scope="module")
def bg():
    return BetaGeo(params=PARAMS, covariance=COV)


@pytest.fixture(scope="module")
def gg():
    return GammaGamma(params=SPEND, covariance=SPEND_COV)


def test_a_linear_function_has_the_exact_variance(bg):
    """For f = 2r + alpha - b the delta method is exact: Var f = c' Cov c."""
    found = delta_method(lambda m: 2 * m.params["r"] + m.params["alpha"] - m.params["b"], bg)
    expected = math.sqrt(quad([2.0, 1.0, 0.0, -1.0], COV))
    assert found.standard_error == pytest.approx(expected, rel=1e-9)
    assert found.estimate == pytest.approx(2 * 0.243 + 4.414 - 2.426, rel=1e-15)
    assert found.upper - found.estimate == pytest.approx(Z95 * expected, rel=1e-9)


def test_a_sequence_gives_one_interval_per_item(bg):
    found = delta_method(lambda m: [m.params["r"], m.params["a"]], bg, level=0.9)
    assert [f.standard_error for f in found] == pytest.approx([SES[0], SES[2]], rel=1e-9)
    assert all(f.level == 0.9 for f in found)


def test_parameter_intervals_are_wald_intervals_on_the_log_scale(bg):
    found = bg.parameter_intervals(level=0.9)
    z = NormalDist().inv_cdf(0.95)
    for (name, value), se in zip(PARAMS.items(), SES, strict=True):
        assert found[name].estimate == value
        assert found[name].standard_error == pytest.approx(se, rel=1e-15)
        assert found[name].lower == pytest.approx(value * math.exp(-z * se / value), rel=1e-14)
        assert found[name].upper == pytest.approx(value * math.exp(z * se / value), rel=1e-14)


def test_probability_alive_standard_error_matches_the_analytic_gradient(bg):
    """P = 1/(1+K), K = a/(b+x-1) ((alpha+T)/(alpha+t_x))^(r+x) (FHL 2008 eq. 2), differentiated by hand."""
    r, alpha, a, b = PARAMS.values()
    histories = [(2, 30.43, 38.86), (1, 1.71, 38.86), (7, 29.43, 35.71), (5, 5.0, 38.0)]
    found = probability_alive_intervals(bg, *map(list, zip(*histories, strict=True)))
    for (x, t_x, t), interval in zip(histories, found, strict=True):
        ratio = (alpha + t) / (alpha + t_x)
        k = a / (b + x - 1) * ratio ** (r + x)
        p = 1 / (1 + k)
        d_k = [
            k * math.log(ratio),
            k * (r + x) * (1 / (alpha + t) - 1 / (alpha + t_x)),
            k / a,
            -k / (b + x - 1),
        ]
        gradient = [-p * p * d for d in d_k]
        assert interval.estimate == pytest.approx(p, rel=1e-12)
        assert interval.standard_error == pytest.approx(math.sqrt(quad(gradient, COV)), rel=1e-7)
        # Built on the logit scale: inside (0, 1), asymmetric around p.
        logit = math.log(p / (1 - p))
        spread = Z95 * interval.standard_error / (p * (1 - p))
        assert interval.lower == pytest.approx(1 / (1 + math.exp(-(logit - spread))), rel=1e-12)
        assert 0 < interval.lower < p < interval.upper < 1


def test_a_certain_probability_has_a_zero_width_interval(bg):
    """A BG/NBD customer without repeat purchases is alive with probability 1, whatever the parameters."""
    found = probability_alive_intervals(bg, 0, 0, 38.86)
    assert isinstance(found, Interval)
    assert (found.estimate, found.standard_error, found.lower, found.upper) == (1.0, 0.0, 1.0, 1.0)


def test_expected_purchases_intervals_are_on_the_log_scale(bg):
    found = expected_purchases_intervals(bg, 39, [2, 0], [30.43, 0], [38.86, 38.86])
    assert found[0].estimate == pytest.approx(1.226, abs=5e-4)  # FHL (2005), section 5
    for f in found:
        assert f.lower * f.upper == pytest.approx(f.estimate**2, rel=1e-12)
        assert f.standard_error > 0
    zero = expected_purchases_intervals(bg, 0, 2, 30.43, 38.86)
    assert (zero.lower, zero.upper, zero.standard_error) == (0.0, 0.0, 0.0)


def test_lifetime_value_variance_adds_both_models_and_matches_the_spend_gradient(bg, gg):
    """With a negligible purchase covariance only the spend's counts: Var = (margin S)^2 g' C g.

    The Gamma-Gamma expected spend p (v + x m)/(p x + q - 1) (FHL 2005 eq. 5) differentiated by hand.
    """
    tiny = [[1e-30 if i == j else 0.0 for j in range(4)] for i in range(4)]
    tiny3 = [[1e-30 if i == j else 0.0 for j in range(3)] for i in range(3)]
    args = ([2, 5], [30.43, 20.0], [38.86, 38.86], [22.35, 40.0])
    options = {"horizon": 52, "discount_rate": 0.0018, "margin": 0.3}
    both = lifetime_value_intervals(bg, gg, *args, **options)
    spend_only = lifetime_value_intervals(
        BetaGeo(params=PARAMS, covariance=tiny), gg, *args, **options
    )
    buy_only = lifetime_value_intervals(
        bg, GammaGamma(params=SPEND, covariance=tiny3), *args, **options
    )
    values = customer_lifetime_value(bg, gg, *args, **options)
    p, q, v = SPEND.values()
    for i, (x, m) in enumerate(zip(args[0], args[3], strict=True)):
        assert both[i].estimate == pytest.approx(values[i], rel=1e-15)
        assert both[i].standard_error ** 2 == pytest.approx(
            spend_only[i].standard_error ** 2 + buy_only[i].standard_error ** 2, rel=1e-9
        )
        denominator = p * x + q - 1
        spend = p * (v + x * m) / denominator
        gradient = [
            (v + x * m) / denominator - p * (v + x * m) * x / denominator**2,
            -p * (v + x * m) / denominator**2,
            p / denominator,
        ]
        discounted = values[i] / spend  # margin times the discounted expected purchases
        expected = abs(discounted) * math.sqrt(quad(gradient, SPEND_COV))
        assert spend_only[i].standard_error == pytest.approx(expected, rel=1e-7)
    scalar = lifetime_value_intervals(bg, gg, 2, 30.43, 38.86, 22.35, **options)
    assert scalar.estimate == pytest.approx(values[0], rel=1e-15)


def test_bgbb_intervals_use_its_own_predictions():
    model = BetaGeoBetaBinom(
        params={"alpha": 1.204, "beta": 0.750, "gamma": 0.657, "delta": 2.783},
        covariance=[[0.0048, 0, 0, 0], [0, 0.00087, 0, 0], [0, 0, 0.0026, 0], [0, 0, 0, 0.103]],
    )
    alive = probability_alive_intervals(model, [2, 6], [4, 6], [6, 6])
    assert [round(a.estimate, 2) for a in alive] == [0.59, 0.93]  # FHS (2010) as in test_bgbb
    assert all(0 < a.lower < a.estimate < a.upper < 1 for a in alive)
    expected = expected_purchases_intervals(model, 5, 2, 4, 6)
    assert expected.lower < expected.estimate < expected.upper


def test_delta_method_intervals_cover_near_the_nominal_level():
    """A seeded simulation study: 80 BG/NBD data sets of 400 customers with known parameters.

    Each fit's 95% intervals for the four parameters, a P(alive) and an
    expected count (FHL 2005's customer) are checked against the truth. With 80
    replications a coverage has a binomial sd of 2.4 points: each must be at
    least 85% and their mean from 90% to 99%.
    """
    true = BetaGeo(params=PARAMS)
    history = (2, 30.43, 38.86)
    targets = {
        **PARAMS,
        "alive": true.probability_alive(*history),
        "expected": true.expected_purchases(39, *history),
    }
    hits = dict.fromkeys(targets, 0)
    replications = 80
    for seed in range(replications):
        data = true.simulate(400, 38.86, seed=seed)
        fitted = BetaGeo().fit(data["frequency"], data["recency"], data["T"])
        found = {
            **fitted.parameter_intervals(),
            "alive": probability_alive_intervals(fitted, *history),
            "expected": expected_purchases_intervals(fitted, 39, *history),
        }
        for name, value in targets.items():
            hits[name] += found[name].lower <= value <= found[name].upper
    coverage = {name: count / replications for name, count in hits.items()}
    assert min(coverage.values()) >= 0.85, coverage
    assert 0.90 <= sum(coverage.values()) / len(coverage) <= 0.99, coverage


def test_cdnow_intervals_are_finite_for_every_customer(reference_data):
    path = reference_data("cdnow", "cdnow_customers_summary.csv")
    with path.open() as handle:
        rows = list(csv.DictReader(handle))
    columns = [[float(r[k]) for r in rows] for k in ("frequency", "recency", "T")]
    model = BetaGeo().fit(*columns)
    alive = probability_alive_intervals(model, *columns)
    expected = expected_purchases_intervals(model, 39, *columns)
    assert len(alive) == len(expected) == 2357
    for a, e in zip(alive, expected, strict=True):
        assert 0 <= a.lower <= a.estimate <= a.upper <= 1
        assert 0 <= e.lower <= e.estimate <= e.upper
        assert math.isfinite(a.standard_error)
        assert math.isfinite(e.standard_error)


@pytest.mark.parametrize("level", [0, 1, 1.5, -0.1, math.nan])
def test_a_level_outside_zero_one_is_refused(bg, level):
    with pytest.raises(ValidationError) as caught:
        probability_alive_intervals(bg, 2, 30.43, 38.86, level=level)
    assert caught.value.problems[0].path == "$.level"


def test_a_level_that_is_not_a_number_is_refused(bg):
    with pytest.raises(InvalidType) as caught:
        bg.parameter_intervals(level="95%")
    assert caught.value.problems[0].path == "$.level"


def test_a_model_without_covariance_is_refused_by_name(gg):
    bare = BetaGeo(params=PARAMS)
    for call in (
        lambda: probability_alive_intervals(bare, 2, 30.43, 38.86),
        lambda: expected_purchases_intervals(bare, 39, 2, 30.43, 38.86),
        lambda: delta_method(lambda m: m.params["r"], bare),
    ):
        with pytest.raises(ValidationError) as caught:
            call()
        assert (caught.value.problems[0].path, caught.value.problems[0].code) == (
            "$.model",
            "no_covariance",
        )
    with pytest.raises(ValidationError) as caught:
        lifetime_value_intervals(bare, gg, 2, 30.43, 38.86, 22.35, horizon=5, discount_rate=0.01)
    assert caught.value.problems[0].path == "$.purchase_model"
    bg = BetaGeo(params=PARAMS, covariance=COV)
    with pytest.raises(ValidationError) as caught:
        lifetime_value_intervals(
            bg, GammaGamma(params=SPEND), 2, 30.43, 38.86, 22.35, horizon=5, discount_rate=0.01
        )
    assert caught.value.problems[0].path == "$.spend_model"


def test_other_bad_arguments_are_named(bg, gg):
    with pytest.raises(NotFittedError):
        BetaGeo().parameter_intervals()
    with pytest.raises(InvalidType) as caught:
        probability_alive_intervals(gg, 2, 30.43, 38.86)
    assert caught.value.problems[0].path == "$.model"
    with pytest.raises(InvalidType) as caught:
        lifetime_value_intervals(bg, bg, 2, 30.43, 38.86, 22.35, horizon=5, discount_rate=0.01)
    assert caught.value.problems[0].path == "$.spend_model"
    with pytest.raises(ValidationError) as caught:
        delta_method(lambda m: 1.0, bg, scale="sqrt")
    assert caught.value.problems[0].path == "$.scale"
    with pytest.raises(InvalidType) as caught:
        delta_method(3, bg)
    assert caught.value.problems[0].path == "$.function"
    with pytest.raises(ValidationError) as caught:
        probability_alive_intervals(bg, 2, 40.0, 38.86)
    assert caught.value.problems[0].path == "$.recency"


def test_intervals_on_each_scale_keep_their_range():
    assert make_interval(0.0, 0.0, 0.95, "log") == Interval(0.0, 0.0, 0.0, 0.0, 0.95)
    assert make_interval(1.0, 0.04, 0.95, "logit").lower == 1.0
    plain = make_interval(2.0, 0.25, 0.95, "identity")
    assert (plain.lower, plain.upper) == pytest.approx((2 - Z95 * 0.5, 2 + Z95 * 0.5))
    assert make_interval(0.1, 0.01, 0.95, "logit").lower > 0


def test_a_log_interval_past_the_float_range_ends_at_the_largest_float():
    """A relative standard error beyond exp's range gave a bare OverflowError (found by the fuzz)."""
    wide = make_interval(1e-300, 1e-10, 0.95, "log")  # spread z * se / estimate ~ 2e290
    assert (wide.lower, wide.upper) == (0.0, sys.float_info.max)
    large = make_interval(10.0, (708.5 * 10.0 / Z95) ** 2, 0.95, "log")  # 10 * exp(708.5) > max
    assert large.upper == sys.float_info.max
    edge = make_interval(1.0, (700 / Z95) ** 2, 0.95, "log")  # spread 700: still finite
    assert edge.upper == pytest.approx(math.exp(700), rel=1e-9)
    assert 0.0 < edge.lower < 1e-300


def test_lifetime_value_intervals_take_the_spend_policy_and_percent(bg, gg):
    """R1 item 9: the intervals had no nonpositive= and shared one percent flag for two values."""
    args = ([2, 5], [30.43, 20.0], [38.86, 38.86], [22.35, 0.0])
    found = lifetime_value_intervals(
        bg, gg, *args, horizon=52, discount_rate=Percent(0.18), margin=0.3
    )
    values = customer_lifetime_value(bg, gg, *args, horizon=52, discount_rate=0.0018, margin=0.3)
    assert [f.estimate for f in found] == pytest.approx(values, rel=1e-15)
    with pytest.raises(ValidationError) as caught:
        lifetime_value_intervals(
            bg, gg, *args, horizon=52, discount_rate=0.0018, nonpositive="refuse"
        )
    assert caught.value.problems[0].path == "$.monetary_value[1]"
    with pytest.raises(ValidationError) as caught:
        lifetime_value_intervals(bg, gg, *args, horizon=52, discount_rate=0.0018, margin=30)
    assert (caught.value.problems[0].path, caught.value.problems[0].code) == (
        "$.margin",
        "not_fraction",
    )
    with pytest.raises(TypeError):
        lifetime_value_intervals(bg, gg, *args, horizon=52, discount_rate=0.1, percent=True)  # type: ignore[call-arg]
