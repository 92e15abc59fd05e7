"""Tests for `crmcore.clv.models._paretonbd`: the Pareto/NBD model."""

import csv
import math

import pytest

from crmcore.clv import ParetoNBD
from crmcore.clv.models._data import load_rfm
from crmcore.clv.models._optimize import numeric_gradient
from crmcore.clv.models._paretonbd import _Likelihood

# Estimates used by the BTYD walk-through for its worked examples.
BTYD_PARAMS = {"r": 0.5534, "alpha": 10.5802, "s": 0.6061, "beta": 11.6562}


def sig3(value):
    """A number rounded to three significant figures."""
    return float(f"{value:.3g}")


@pytest.fixture(scope="module")
def cdnow(reference_data):
    path = reference_data("cdnow", "cdnow_customers_summary.csv")
    with path.open() as handle:
        rows = list(csv.DictReader(handle))
    return (
        [int(r["frequency"]) for r in rows],
        [float(r["recency"]) for r in rows],
        [float(r["T"]) for r in rows],
    )


@pytest.fixture(scope="module")
def fitted(cdnow):
    return ParetoNBD().fit(*cdnow)


def test_reproduces_the_published_cdnow_fit(fitted):
    """Pareto/NBD on CDNOW: r 0.553, alpha 10.578, s 0.606, beta 11.669, LL -9595.0.

    Fader, Hardie & Lee (2005), "Counting Your Customers the Easy Way", Table 1
    (the Pareto/NBD benchmark); Fader & Hardie's MATLAB note reports the same fit.
    """
    published = {"r": 0.553, "alpha": 10.578, "s": 0.606, "beta": 11.669}
    assert {k: sig3(v) for k, v in published.items()} == {
        k: sig3(v) for k, v in fitted.params.items()
    }
    assert pytest.approx(list(published.values()), abs=2e-3) == list(fitted.params.values())
    assert pytest.approx(-9595.0, abs=0.05) == fitted.log_likelihood


def test_standard_errors_match_an_independent_implementation(fitted):
    """Standard errors agree with CLVTools' for the same fit (r 0.0476, alpha 0.843, s 0.187, beta 6.21)."""
    expected = [0.0476264, 0.8427222, 0.1872594, 6.2105448]
    assert pytest.approx(expected, rel=0.01) == list(fitted.standard_errors.values())


def test_probability_alive_and_forecast_of_the_walkthrough_customer():
    """x=26, t_x=30.86, T=31: P(alive) 0.9979 and 25.46 purchases in 52 weeks (BTYD walk-through)."""
    model = ParetoNBD(params=BTYD_PARAMS)
    assert pytest.approx(0.9979, abs=5e-5) == model.probability_alive(26, 30.86, 31)
    assert pytest.approx(25.46, abs=0.01) == model.expected_purchases(52, 26, 30.86, 31)


def test_analytic_gradient_matches_numeric_one(cdnow):
    """The gradient (series differentiated term by term) equals central differences."""
    rows, weights = load_rfm(*cdnow, None)
    likelihood = _Likelihood(rows, weights)
    for point in ([0.0, 1.0, -0.5, 2.5], [-0.6, 2.36, -0.5, 2.46], [0.3, 2.5, 0.2, 0.5]):
        expected = numeric_gradient(likelihood.value, point, step=1e-5)
        assert pytest.approx(expected, rel=1e-5, abs=1e-4) == likelihood(point)[1]


def test_far_apart_rates_switch_to_quadrature_and_stay_consistent(cdnow):
    """With beta far above alpha the tail is integrated numerically; value and gradient still agree."""
    rows, weights = load_rfm(*(column[:150] for column in cdnow), None)
    likelihood = _Likelihood(rows, weights)
    point = [0.0, math.log(0.5), 0.0, math.log(200.0)]
    value, gradient = likelihood(point)
    assert math.isfinite(value)
    assert pytest.approx(numeric_gradient(likelihood.value, point, step=1e-5), rel=1e-4) == gradient


def test_expectation_at_s_equal_one_is_continuous():
    """The forecast has a removable singularity at s = 1 (FH 2005, eq. 17-18)."""
    values = [
        ParetoNBD(params={"r": 0.5, "alpha": 10.0, "s": s, "beta": 12.0}).expected_purchases_new(
            20.0
        )
        for s in (1.0 - 1e-9, 1.0, 1.0 + 1e-9)
    ]
    assert pytest.approx([values[1]] * 3, rel=1e-7) == values


def test_probabilities_of_purchase_counts_sum_to_one_and_give_the_mean():
    """P(X(t) = n) sums to one and its mean is E[X(t)] (FH 2005, eq. 17)."""
    model = ParetoNBD(params=BTYD_PARAMS)
    probabilities = [model.probability_of_purchases(n, 39.0) for n in range(150)]
    assert pytest.approx(1.0, abs=1e-9) == math.fsum(probabilities)
    mean = math.fsum(n * p for n, p in enumerate(probabilities))
    assert pytest.approx(model.expected_purchases_new(39.0), rel=1e-7) == mean


def test_simulation_recovers_the_parameters():
    """Parameters fitted to 3000 simulated customers lie within four standard errors of the truth."""
    truth = {"r": 0.7, "alpha": 8.0, "s": 0.8, "beta": 15.0}
    data = ParetoNBD(params=truth).simulate(3000, 52.0, seed=11)
    fitted = ParetoNBD().fit(data["frequency"], data["recency"], data["T"])
    for name, value in truth.items():
        assert abs(fitted.params[name] - value) < 4 * fitted.standard_errors[name], name


def test_large_histories_do_not_underflow():
    """Neighbouring large frequencies give neighbouring forecasts (lifetimes' underflow case)."""
    model = ParetoNBD(params={"r": 0.55, "alpha": 10.58, "s": 0.61, "beta": 11.67})
    left = model.expected_purchases(10, 132, 200, 200)
    right = model.expected_purchases(10, 133, 200, 200)
    assert abs(left - right) < 0.05


@pytest.mark.slow
def test_a_fit_whose_parameters_drift_stays_bounded():
    """D35: a fit whose parameters drift off to infinity ends in seconds, not minutes.

    On seven customers the likelihood is flat along r, alpha -> infinity; each
    evaluation stays bounded (the quadrature stops at the integrand's rounding
    noise), and so does the number of iterations.
    """
    model = ParetoNBD().fit(
        [0, 1, 2, 3, 0, 5, 1],
        [0.0, 3.0, 10.0, 20.0, 0.0, 28.0, 7.0],
        [30.0, 30.0, 30.0, 32.0, 25.0, 30.0, 40.0],
        max_iterations=20,
        require_convergence=False,
    )
    assert model.diagnostics.iterations <= 20
    assert model.diagnostics.evaluations <= 200
