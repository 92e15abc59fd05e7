"""Tests for `crmcore.clv.models._gammagamma`: the Gamma-Gamma spend model."""

import csv
import math

import pytest

from crmcore import ValidationError
from crmcore.clv import GammaGamma
from crmcore.clv.models._gammagamma import _Likelihood
from crmcore.clv.models._optimize import numeric_gradient


def sig3(value):
    """A number rounded to three significant figures."""
    return float(f"{value:.3g}")


@pytest.fixture(scope="module")
def cdnow(reference_data):
    path = reference_data("cdnow", "cdnow_customers_summary_with_transactions.csv")
    with path.open() as handle:
        rows = list(csv.DictReader(handle))
    return [int(r["x"]) for r in rows], [float(r["zbar"]) for r in rows]


@pytest.fixture(scope="module")
def fitted(cdnow):
    return GammaGamma().fit(*cdnow)


def test_reproduces_the_published_cdnow_fit(fitted):
    """Gamma-Gamma on CDNOW's 946 repeat buyers: p 6.25, q 3.74, gamma 15.44.

    Fader, Hardie & Lee (2005), "RFM and CLV: Using Iso-Value Curves", JMR 42(4);
    Fader & Hardie (2013), "The Gamma-Gamma Model of Monetary Value". The
    log-likelihood -4055.9 is the one CLVTools checks against that note.
    """
    published = {"p": 6.25, "q": 3.74, "v": 15.44}
    assert {k: sig3(v) for k, v in published.items()} == {
        k: sig3(v) for k, v in fitted.params.items()
    }
    assert pytest.approx(list(published.values()), abs=0.01) == list(fitted.params.values())
    assert pytest.approx(-4055.92, abs=0.01) == fitted.log_likelihood
    assert 946.0 == fitted.diagnostics.customers


def test_expected_spend_matches_the_published_spreadsheet(fitted, cdnow):
    """Expected average spend of the first ten CDNOW customers (Fader & Hardie 2013 spreadsheet)."""
    x, m = cdnow
    expected = [24.65, 18.91, 35.17, 35.17, 35.17, 71.46, 18.91, 35.17, 27.28, 35.17]
    assert pytest.approx(expected, abs=0.011) == fitted.expected_average_spend(x[:10], m[:10])


def test_analytic_gradient_matches_numeric_one(cdnow):
    """The Gamma-Gamma gradient equals central differences of the likelihood."""
    rows = [(x, m) for x, m in zip(*cdnow, strict=True) if x > 0]
    likelihood = _Likelihood(rows, [1.0] * len(rows))
    point = [math.log(3.0), math.log(2.0), math.log(20.0)]
    expected = numeric_gradient(lambda v: likelihood(v)[0], point, step=1e-5)
    assert pytest.approx(expected, rel=1e-5, abs=1e-4) == likelihood(point)[1]


def test_customers_without_repeat_purchases_get_the_population_mean():
    """E[spend | x = 0] = p v / (q - 1)."""
    model = GammaGamma(params={"p": 6.0, "q": 4.0, "v": 15.0})
    assert pytest.approx(30.0) == model.expected_average_spend(0, 0.0)


def test_expected_spend_moves_towards_the_own_mean_with_more_purchases():
    """The more transactions, the closer the forecast to the customer's own mean."""
    model = GammaGamma(params={"p": 6.0, "q": 4.0, "v": 15.0})
    values = model.expected_average_spend([1, 10, 1000], 100.0)
    assert values[0] < values[1] < values[2] < 100.0


def test_simulation_recovers_the_parameters():
    """Parameters fitted to 3000 simulated customers lie within four standard errors of the truth."""
    truth = {"p": 5.0, "q": 3.0, "v": 20.0}
    data = GammaGamma(params=truth).simulate([1 + i % 6 for i in range(3000)], seed=4)
    fitted = GammaGamma().fit(data["frequency"], data["monetary_value"])
    for name, value in truth.items():
        assert abs(fitted.params[name] - value) < 4 * fitted.standard_errors[name], name


def test_non_positive_spend_is_rejected_with_its_index():
    """Asked to refuse, a repeat buyer with a zero mean spend is an error at its index."""
    with pytest.raises(ValidationError) as caught:
        GammaGamma().fit([1, 2, 3], [10.0, 0.0, 5.0], nonpositive="refuse")
    assert ("$.monetary_value[1]", "not_positive") == (caught.value.path, caught.value.code)


def test_undefined_expectation_is_an_error():
    """With q <= 1 a customer without repeat purchases has no finite expected spend."""
    model = GammaGamma(params={"p": 2.0, "q": 0.5, "v": 10.0})
    with pytest.raises(ValidationError) as caught:
        model.expected_average_spend([3, 0], [10.0, 0.0])
    assert "$.frequency[1]" == caught.value.path
