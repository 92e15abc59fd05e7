"""Tests for `crmcore.clv.models._bgbb`: the BG/BB model."""

import csv
import itertools
import math

import pytest

from crmcore.clv import BetaGeoBetaBinom
from crmcore.clv.models._special import lbeta

# Fader, Hardie & Shang (2010), "Customer-Base Analysis in a Discrete-Time
# Noncontractual Setting", Marketing Science 29(6): estimates on the donations data.
FHS_PARAMS = {"alpha": 1.204, "beta": 0.750, "gamma": 0.657, "delta": 2.783}


def sig3(value):
    """A number rounded to three significant figures."""
    return float(f"{value:.3g}")


@pytest.fixture(scope="module")
def donations(reference_data):
    path = reference_data("cdnow", "donations.csv")
    with path.open() as handle:
        rows = list(csv.DictReader(handle))
    return {k: [int(r[k]) for r in rows] for k in ("frequency", "recency", "periods", "weights")}


@pytest.fixture(scope="module")
def fitted(donations):
    return BetaGeoBetaBinom().fit(
        donations["frequency"],
        donations["recency"],
        donations["periods"],
        weights=donations["weights"],
    )


def test_reproduces_the_published_donations_fit(fitted):
    """BG/BB on the donations data: alpha 1.204, beta 0.750, gamma 0.657, delta 2.783, LL -33225.6 (FHS 2010)."""
    assert {k: sig3(v) for k, v in FHS_PARAMS.items()} == {
        k: sig3(v) for k, v in fitted.params.items()
    }
    assert pytest.approx(list(FHS_PARAMS.values()), abs=6e-4) == list(fitted.params.values())
    assert pytest.approx(-33225.6, abs=0.05) == fitted.log_likelihood
    assert (22, 11104.0) == (fitted.diagnostics.rows, fitted.diagnostics.customers)


def test_probability_alive_matches_the_published_table(fitted):
    """P(alive in 2002) for (x, t_x) = (0, 0), (2, 4), (6, 6): 0.11, 0.59, 0.93 (FHS 2010, Table 6)."""
    values = fitted.probability_alive([0, 2, 6], [0, 4, 6], 6)
    assert [0.11, 0.59, 0.93] == [round(v, 2) for v in values]


def test_holdout_forecast_matches_the_published_spreadsheet(fitted, donations):
    """Expected donations 1996-2001 donors make in the next 5 years sum to 12884.2 (FHS 2010 spreadsheet)."""
    expected = fitted.expected_purchases(
        5, donations["frequency"], donations["recency"], donations["periods"]
    )
    assert pytest.approx(12884.2, abs=0.1) == math.fsum(
        e * w for e, w in zip(expected, donations["weights"], strict=True)
    )


def test_calibration_histogram_matches_the_published_spreadsheet(fitted):
    """11104 P(X(6) = 0) = 3454.9 and 11104 P(X(6) = 6) = 1253.1 (FHS 2010 in-sample fit)."""
    assert pytest.approx(3454.9, abs=0.1) == 11104 * fitted.probability_of_purchases(0, 6)
    assert pytest.approx(1253.1, abs=0.1) == 11104 * fitted.probability_of_purchases(6, 6)


def test_period_sum_equals_the_published_closed_form():
    """The summed forecast equals eq. (13)'s Gamma-function closed form (gamma != 1)."""
    model = BetaGeoBetaBinom(params=FHS_PARAMS)
    alpha, beta, gamma, delta = FHS_PARAMS.values()
    x, t_x, n, n_star = 3, 5, 6, 4
    likelihood = math.exp(model._log_likelihood(x, t_x, n))
    closed = (
        math.exp(lbeta(alpha + x + 1, beta + n - x) - lbeta(alpha, beta))
        * delta
        / (gamma - 1)
        * math.exp(math.lgamma(gamma + delta) - math.lgamma(1 + delta))
        * (
            math.exp(math.lgamma(1 + delta + n) - math.lgamma(gamma + delta + n))
            - math.exp(
                math.lgamma(1 + delta + n + n_star) - math.lgamma(gamma + delta + n + n_star)
            )
        )
        / likelihood
    )
    assert pytest.approx(closed, rel=1e-10) == model.expected_purchases(n_star, x, t_x, n)


def test_probabilities_sum_to_one_and_give_the_mean():
    """P(X(n) = x) over x sums to one with mean E[X(n)] (FHS 2010, eq. 8 and 9)."""
    model = BetaGeoBetaBinom(params=FHS_PARAMS)
    probabilities = [model.probability_of_purchases(x, 11) for x in range(12)]
    assert pytest.approx(1.0, abs=1e-12) == math.fsum(probabilities)
    mean = math.fsum(x * p for x, p in enumerate(probabilities))
    assert pytest.approx(mean, rel=1e-10) == model.expected_purchases_new(11)


def test_simulation_recovers_the_parameters():
    """Parameters fitted to 5000 simulated donors lie within four standard errors of the truth."""
    data = BetaGeoBetaBinom(params=FHS_PARAMS).simulate(5000, 8, seed=5)
    fitted = BetaGeoBetaBinom().fit(data["frequency"], data["recency"], data["periods"])
    for name, value in FHS_PARAMS.items():
        assert abs(fitted.params[name] - value) < 4 * fitted.standard_errors[name], name


def test_expanded_rows_give_the_weighted_fit(fitted, donations):
    """Repeating each row by its weight gives the same fit, since identical rows are compressed."""
    columns = [
        list(
            itertools.chain.from_iterable(
                [v] * w for v, w in zip(donations[k], donations["weights"], strict=True)
            )
        )
        for k in ("frequency", "recency", "periods")
    ]
    expanded = BetaGeoBetaBinom().fit(*columns)
    assert pytest.approx(list(fitted.params.values()), rel=1e-9) == list(expanded.params.values())
