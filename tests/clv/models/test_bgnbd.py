"""Tests for `crmcore.clv.models._bgnbd`: the BG/NBD and MBG/NBD models."""

import collections
import csv
import itertools
import math

import attrs
import pytest
from hypothesis import given
from hypothesis import strategies as st

from crmcore.clv import BetaGeo, ConvergenceError, ModifiedBetaGeo, NotFittedError
from crmcore.clv.models._bgnbd import _Likelihood
from crmcore.clv.models._data import load_rfm
from crmcore.clv.models._optimize import numeric_gradient

# Fader, Hardie & Lee (2005), "'Counting Your Customers' the Easy Way", Marketing Science 24(2).
FHL_PARAMS = {"r": 0.243, "alpha": 4.414, "a": 0.793, "b": 2.426}


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
def bg_fit(cdnow):
    return BetaGeo().fit(*cdnow)


@pytest.fixture(scope="module")
def mbg_fit(cdnow):
    return ModifiedBetaGeo().fit(*cdnow)


def test_bgnbd_reproduces_the_published_cdnow_fit(bg_fit):
    """BG/NBD on CDNOW: r 0.243, alpha 4.414, a 0.793, b 2.426, LL -9582.4 (FHL 2005, section 4)."""
    assert {k: sig3(v) for k, v in FHL_PARAMS.items()} == {
        k: sig3(v) for k, v in bg_fit.params.items()
    }
    assert pytest.approx(list(FHL_PARAMS.values()), abs=6e-4) == list(bg_fit.params.values())
    assert pytest.approx(-9582.4, abs=0.05) == bg_fit.log_likelihood
    assert bg_fit.diagnostics.converged
    assert (1016, 2357.0) == (bg_fit.diagnostics.rows, bg_fit.diagnostics.customers)


def test_mbgnbd_reproduces_the_reference_cdnow_fit(mbg_fit):
    """MBG/NBD on CDNOW: r 0.525, alpha 6.183, a 0.891, b 1.614.

    Batislam et al. (2007) did not use CDNOW; these are the values of the
    reference implementation BTYDplus (Platzer), also checked by lifetimes.
    """
    expected = {"r": 0.525, "alpha": 6.183, "a": 0.891, "b": 1.614}
    assert pytest.approx(list(expected.values()), abs=6e-4) == list(mbg_fit.params.values())


def test_standard_errors_come_from_an_invertible_hessian(bg_fit):
    """Every parameter has a positive standard error smaller than the estimate."""
    errors = bg_fit.standard_errors
    assert list(FHL_PARAMS) == list(errors)
    assert all(0 < errors[k] < bg_fit.params[k] for k in errors)


def test_conditional_expectation_of_the_published_example(bg_fit):
    """A customer with x=2, t_x=30.43, T=38.86 makes 1.226 purchases in the next 39 weeks (FHL 2005)."""
    assert pytest.approx(1.226, abs=5e-4) == bg_fit.expected_purchases(39, 2, 30.43, 38.86)


def test_expectation_of_new_customers_matches_the_published_spreadsheet(bg_fit):
    """E[X(t)] at the FHL (2005) spreadsheet's times, to its precision of about 0.003."""
    times = [0.1429, 1.0, 3.0, 31.8571, 32.0, 78.0]
    expected = [0.0078, 0.0532, 0.1506, 1.0405, 1.0437, 1.8576]
    assert pytest.approx(expected, abs=3e-3) == bg_fit.expected_purchases_new(times)


def test_analytic_gradients_match_numeric_ones(cdnow):
    """The BG/NBD and MBG/NBD gradients equal central differences of the likelihood."""
    rows, weights = load_rfm(*cdnow, None)
    point = [math.log(0.4), math.log(5.0), math.log(1.2), math.log(2.0)]
    for shift in (0, 1):
        likelihood = _Likelihood(rows, weights, shift)
        expected = numeric_gradient(lambda v, f=likelihood: f(v)[0], point, step=1e-5)
        assert pytest.approx(expected, rel=1e-5, abs=1e-4) == likelihood(point)[1]


def test_weights_are_the_same_as_repeated_rows(cdnow):
    """Fitting compressed rows with weights equals fitting the rows repeated."""
    # CDNOW on a clock of whole weeks: rows repeat, and the maximum is inside the space.
    coarse = zip(*((round(v) for v in column) for column in cdnow), strict=True)
    table = collections.Counter(coarse)
    x, t_x, t = (list(column) for column in zip(*table, strict=True))
    counts = list(table.values())
    assert len(counts) < 1000  # compressed
    weighted = BetaGeo().fit(x, t_x, t, weights=counts)
    expanded = BetaGeo().fit(
        *(
            list(itertools.chain.from_iterable([v] * c for v, c in zip(col, counts, strict=True)))
            for col in (x, t_x, t)
        )
    )
    assert pytest.approx(list(expanded.params.values()), rel=1e-6) == list(weighted.params.values())
    assert pytest.approx(expanded.log_likelihood, rel=1e-10) == weighted.log_likelihood


def test_fit_returns_a_new_model_and_leaves_the_old_one_alone():
    """The unfitted model stays unfitted; the fitted one is a different object."""
    model = BetaGeo()
    fitted = model.fit([0, 1, 2, 4], [0, 3, 5, 9], [10, 10, 10, 10])
    assert None is model.params
    assert fitted is not model
    assert ["r", "alpha", "a", "b"] == list(fitted.params)


def test_progress_receives_iterations_and_a_falling_objective():
    """The callback gets (iteration, negative log-likelihood), iterations counting up."""
    seen = []
    BetaGeo().fit(
        [0, 1, 2, 4, 1], [0, 3, 5, 9, 1], [10] * 5, progress=lambda i, f: seen.append((i, f))
    )
    assert list(range(1, len(seen) + 1)) == [i for i, _ in seen]
    assert all(b <= a + 1e-9 for (_, a), (_, b) in itertools.pairwise(seen))


def test_non_convergence_raises_unless_allowed(cdnow):
    """One iteration is not enough: ConvergenceError, or converged=False on request."""
    with pytest.raises(ConvergenceError) as caught:
        BetaGeo().fit(*cdnow, max_iterations=1)
    assert not caught.value.diagnostics.converged
    allowed = BetaGeo().fit(*cdnow, max_iterations=1, require_convergence=False)
    assert (False, 1) == (allowed.diagnostics.converged, allowed.diagnostics.iterations)


def test_predictions_need_parameters():
    """An unfitted model refuses to predict."""
    with pytest.raises(NotFittedError):
        BetaGeo().probability_alive(1, 2, 3)


def test_probability_alive_without_repeat_purchases():
    """BG/NBD assumes a customer without repeat purchases alive; MBG/NBD does not."""
    assert 1.0 == BetaGeo(params=FHL_PARAMS).probability_alive(0, 0, 30)
    assert 1.0 > ModifiedBetaGeo(params=FHL_PARAMS).probability_alive(0, 0, 30)


def test_sequences_give_lists_and_numbers_broadcast():
    """Sequence arguments give one value per customer, scalars repeated."""
    model = BetaGeo(params=FHL_PARAMS)
    values = model.probability_alive([1, 2, 3], [5.0, 6.0, 7.0], 38.86)
    assert [
        model.probability_alive(x, r, 38.86) for x, r in [(1, 5.0), (2, 6.0), (3, 7.0)]
    ] == values


def test_probabilities_of_purchase_counts_sum_to_one():
    """P(X(t) = n) over n sums to one, for both models."""
    for cls in (BetaGeo, ModifiedBetaGeo):
        model = cls(params=FHL_PARAMS)
        assert pytest.approx(1.0, abs=1e-10) == math.fsum(
            model.probability_of_purchases(n, 39.0) for n in range(400)
        )


@pytest.mark.parametrize("cls", [BetaGeo, ModifiedBetaGeo])
def test_expected_purchases_of_new_customers_is_the_mean_purchase_count(cls):
    """E[X(t)] equals sum n P(X(t) = n) (FHL 2005, eq. 7 against eq. 8)."""
    model = cls(params=FHL_PARAMS)
    mean = math.fsum(n * model.probability_of_purchases(n, 39.0) for n in range(400))
    assert pytest.approx(mean, rel=1e-8) == model.expected_purchases_new(39.0)


@pytest.mark.parametrize("cls", [BetaGeo, ModifiedBetaGeo])
def test_simulation_recovers_the_parameters(cls):
    """Parameters fitted to 4000 simulated customers lie within four standard errors of the truth."""
    truth = {"r": 0.6, "alpha": 4.0, "a": 0.8, "b": 2.5}
    data = cls(params=truth).simulate(4000, [26.0 + i % 27 for i in range(4000)], seed=7)
    fitted = cls().fit(data["frequency"], data["recency"], data["T"])
    for name, value in truth.items():
        assert abs(fitted.params[name] - value) < 4 * fitted.standard_errors[name], name


def test_simulation_is_reproducible():
    """The same seed gives the same customers."""
    model = BetaGeo(params=FHL_PARAMS)
    assert model.simulate(50, 20.0, seed=3) == model.simulate(50, 20.0, seed=3)


@given(st.floats(min_value=1.0, max_value=80.0))
def test_conditional_expectation_grows_with_the_horizon(t):
    """More future time means at least as many expected purchases."""
    model = BetaGeo(params=FHL_PARAMS)
    assert model.expected_purchases(t, 3, 20.0, 30.0) <= model.expected_purchases(
        t + 1.0, 3, 20.0, 30.0
    )


def test_models_are_immutable_and_hashable():
    """Models are frozen values: equal parameters, equal models."""
    model = BetaGeo(params=FHL_PARAMS)
    with pytest.raises(attrs.exceptions.FrozenInstanceError):
        model.params = None  # type: ignore[misc]
    assert hash(BetaGeo(params=dict(FHL_PARAMS))) == hash(model)


def test_expectation_when_a_plus_b_is_one():
    """With a + b = 1 the transformed series' (C)_n vanishes; the forecast still equals the pmf's mean."""
    model = BetaGeo(params={"r": 1.0, "alpha": 1.0, "a": 0.5, "b": 0.5})
    mean = math.fsum(n * model.probability_of_purchases(n, 1.0) for n in range(2000))
    assert pytest.approx(mean, rel=1e-6) == model.expected_purchases_new(1.0)
