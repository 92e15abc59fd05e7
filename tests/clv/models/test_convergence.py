"""Honest convergence: every way a fit can fail to find a maximum is named (issue 19, item 4)."""

from __future__ import annotations

import math
import random

import pytest

from crmcore.clv import (
    BetaGeo,
    BetaGeoBetaBinom,
    ConvergenceError,
    GammaGamma,
    ModifiedBetaGeo,
    ParetoNBD,
    ShiftedBetaGeometric,
)
from crmcore.clv.models._base import FitDiagnostics, _least_curved, run_fit
from crmcore.clv.models._priors import GammaPrior
from crmcore.errors import InvalidType

FIT = {"rows": 1, "customers": 1.0, "progress": None, "max_iterations": 500}


def test_no_repeat_buyers_has_no_maximum():
    """Reproducer: 1000 customers without repeat purchases; the likelihood rises as r -> 0."""
    with pytest.raises(ConvergenceError) as caught:
        BetaGeo().fit([0] * 1000, [0] * 1000, [38.86] * 1000)
    error = caught.value
    assert error.reason == "boundary"
    assert error.diagnostics.reason == "boundary"
    assert not error.diagnostics.converged
    assert "r runs off towards 0" in str(error)
    assert "penalizer or priors" in str(error)
    assert error.params["r"] < 1e-6


def test_one_customer_has_no_maximum():
    """Reproducer: one customer gave r = 1.3e7, alpha = 2.5e8 reported as converged."""
    with pytest.raises(ConvergenceError) as caught:
        BetaGeo().fit([2], [30.43], [38.86])
    assert caught.value.reason == "boundary"
    fitted = BetaGeo().fit([2], [30.43], [38.86], require_convergence=False)
    assert fitted.diagnostics.reason == "boundary"
    assert fitted.diagnostics.converged is False
    assert fitted.standard_errors is None
    assert fitted.covariance is None


def test_parameters_running_off_together_are_a_boundary():
    """A and b both -> 0 (their ratio fixed): the drop-out probabilities pile up at 0 and 1."""
    x, t_x, t = [0, 1, 3, 2, 5], [0.0, 2.0, 8.0, 9.5, 11.0], [12.0, 12.0, 10.0, 12.0, 12.0]
    fitted = BetaGeo().fit(x, t_x, t, weights=[40, 25, 10, 15, 5], require_convergence=False)
    assert fitted.diagnostics.reason == "boundary"
    assert "a towards 0, b towards 0" in fitted.diagnostics.message


def test_priors_give_the_no_repeat_case_a_maximum():
    """With proper priors the MAP exists; a and b, absent from the likelihood, sit at their prior modes."""
    priors = {
        "r": GammaPrior(2.0, 1.0),
        "alpha": GammaPrior(2.0, 0.1),
        "a": GammaPrior(3.0, 2.0),
        "b": GammaPrior(5.0, 1.0),
    }
    fitted = BetaGeo().fit([0] * 1000, [0] * 1000, [38.86] * 1000, priors=priors)
    assert fitted.diagnostics.reason == "converged"
    # Independent: with x = 0 the log-likelihood is N r log(alpha / (alpha + T)) and the
    # gamma prior's mode is (shape - 1) / rate.
    assert fitted.params["a"] == pytest.approx(1.0, rel=1e-6)
    assert fitted.params["b"] == pytest.approx(4.0, rel=1e-6)
    r, alpha = fitted.params["r"], fitted.params["alpha"]

    def log_posterior(r: float, alpha: float) -> float:
        return (
            1000 * r * math.log(alpha / (alpha + 38.86))
            + math.log(r)
            - r
            + math.log(alpha)
            - 0.1 * alpha
        )

    h = 1e-6
    d_r = (log_posterior(r * (1 + h), alpha) - log_posterior(r * (1 - h), alpha)) / (2 * h)
    d_alpha = (log_posterior(r, alpha * (1 + h)) - log_posterior(r, alpha * (1 - h))) / (2 * h)
    assert abs(d_r) < 1e-5
    assert abs(d_alpha) < 1e-5
    # The reported log-likelihood is the likelihood's, without the priors.
    assert fitted.log_likelihood == pytest.approx(
        1000 * r * math.log(alpha / (alpha + 38.86)), rel=1e-9
    )


def test_a_flat_direction_is_named():
    """A parameter the objective ignores leaves a singular Hessian: "flat", not converged."""

    def objective(x: list[float]) -> tuple[float, list[float]]:
        return (x[0] - 1.0) ** 2, [2.0 * (x[0] - 1.0), 0.0]

    with pytest.raises(ConvergenceError) as caught:
        run_fit(("p", "q"), objective, [1.0, 1.0], require_convergence=True, **FIT)
    assert caught.value.reason == "flat"
    outcome = run_fit(("p", "q"), objective, [1.0, 1.0], require_convergence=False, **FIT)
    assert outcome.diagnostics.reason == "flat"
    assert outcome.params["p"] == pytest.approx(math.e)
    assert outcome.covariance is None


def test_a_saddle_is_flat_not_converged():
    """Zero gradient where the function curves down: the Hessian is indefinite."""

    def objective(x: list[float]) -> tuple[float, list[float]]:
        return x[0] ** 2 - x[1] ** 2, [2.0 * x[0], -2.0 * x[1]]

    outcome = run_fit(("p", "q"), objective, [1.0, 1.0], require_convergence=False, **FIT)
    assert outcome.diagnostics.reason == "flat"


def test_the_iteration_limit_is_named():
    """One iteration is not enough for CDNOW-like data."""
    args = ([0, 1, 2, 4, 7], [0, 3, 5, 9, 20], [10, 10, 30, 40, 38])
    with pytest.raises(ConvergenceError) as caught:
        ModifiedBetaGeo().fit(*args, max_iterations=1)
    assert caught.value.reason == "iterations"
    fitted = ModifiedBetaGeo().fit(*args, max_iterations=1, require_convergence=False)
    assert fitted.diagnostics.reason == "iterations"
    assert "max_iterations" in str(caught.value)


def test_a_failed_line_search_is_named():
    """A gradient that points uphill: no lower point along the search direction."""

    def objective(x: list[float]) -> tuple[float, list[float]]:
        return (x[0] - 1.0) ** 2, [-2.0 * (x[0] - 1.0)]

    outcome = run_fit(("p",), objective, [1.0], require_convergence=False, **FIT)
    assert outcome.diagnostics.reason == "line_search"


def test_a_likelihood_not_finite_at_the_start_always_raises():
    """Nothing to return: raised even when convergence is not required."""

    def objective(x: list[float]) -> tuple[float, list[float]]:
        return math.inf, [0.0]

    with pytest.raises(ConvergenceError) as caught:
        run_fit(("p",), objective, [1.0], require_convergence=False, **FIT)
    assert caught.value.reason == "not_finite"


def test_real_fits_still_converge(reference_data):
    """The honest checks do not flag the fits with a maximum: CDNOW, donations, a cohort."""
    import csv  # noqa: PLC0415 - only this test reads a file.

    with reference_data("cdnow", "cdnow_customers_summary.csv").open() as handle:
        rows = list(csv.DictReader(handle))
    columns = [[float(row[k]) for row in rows] for k in ("frequency", "recency", "T")]
    fitted = BetaGeo().fit(*columns)
    assert fitted.diagnostics.reason == "converged"
    assert fitted.diagnostics.converged
    assert fitted.params["r"] == pytest.approx(0.243, abs=5e-4)  # Fader, Hardie & Lee (2005)
    with reference_data("cdnow", "donations.csv").open() as handle:
        table = list(csv.DictReader(handle))
    donations = BetaGeoBetaBinom().fit(
        *([int(row[k]) for row in table] for k in ("frequency", "recency", "periods")),
        weights=[int(row["weights"]) for row in table],
    )
    assert donations.diagnostics.reason == "converged"
    # Fader, Hardie & Shang (2010), table 2: alpha 1.204, beta 0.750, gamma 0.657, delta 2.783.
    assert [round(v, 3) for v in donations.params.values()] == [1.204, 0.750, 0.657, 2.783]
    cohort = ShiftedBetaGeometric().fit([1000, 631, 468, 382, 326, 289, 262, 241])
    assert cohort.diagnostics.reason == "converged"
    # Fader & Hardie (2007), "regular" segment: alpha 0.704, beta 1.182.
    assert cohort.params["alpha"] == pytest.approx(0.704, abs=1e-3)
    assert cohort.params["beta"] == pytest.approx(1.182, abs=1e-3)


def test_diagnostics_default_and_check_the_reason():
    """Old code building FitDiagnostics without a reason gets "converged"; a bad reason is refused."""
    made = FitDiagnostics(1, 2, True, 0.0, "ok", 1, 1.0)
    assert made.reason == "converged"
    with pytest.raises((InvalidType, ValueError)):
        FitDiagnostics(1, 2, True, 0.0, "ok", 1, 1.0, "unknown")  # type: ignore[arg-type]


def test_a_hessian_that_is_not_finite_means_flat():
    def objective(x: list[float]) -> tuple[float, list[float]]:
        return (x[0] - 1.0) ** 2, [2.0 * (x[0] - 1.0)]

    outcome = run_fit(
        ("p",), objective, [1.0], require_convergence=False, hessian=lambda v: [[math.nan]], **FIT
    )
    assert outcome.diagnostics.reason == "flat"


def test_a_penalized_search_steps_back_from_where_the_likelihood_fails():
    """Points where the objective overflows are infeasible, penalty or not."""

    def objective(x: list[float]) -> tuple[float, list[float]]:
        if x[0] > 1.2:
            raise OverflowError
        if x[0] > 1.1:
            return math.inf, [0.0]
        return (x[0] - 1.0) ** 2, [2.0 * (x[0] - 1.0)]

    outcome = run_fit(("p",), objective, [0.1], require_convergence=True, penalizer=1e-3, **FIT)
    assert outcome.diagnostics.reason == "converged"
    assert 1.0 < math.log(outcome.params["p"]) + 0.01 < 1.1


def test_progress_and_require_convergence_are_checked():
    def objective(x: list[float]) -> tuple[float, list[float]]:
        return (x[0] - 1.0) ** 2, [2.0 * (x[0] - 1.0)]

    with pytest.raises(InvalidType) as caught:
        run_fit(("p",), objective, [1.0], require_convergence=True, **{**FIT, "progress": 3})
    assert caught.value.path == "$.progress"
    with pytest.raises(InvalidType) as caught:
        run_fit(("p",), objective, [1.0], require_convergence=1, **FIT)  # type: ignore[arg-type]
    assert caught.value.path == "$.require_convergence"


# ------------------------------------------- fits without an interior maximum (R1 items 1, 7)


def _ages(n: int, seed: int) -> list[float]:
    rng = random.Random(seed)  # noqa: S311 - seeded ages of a simulated cohort.
    return [round(rng.uniform(27, 39), 2) for _ in range(n)]


RUNAWAY = [
    # (model, true parameters, customers, seed): simulations whose likelihood keeps rising
    # as two parameters grow together; each was reported "converged" with a covariance
    # (R1: a = 5.0e6, b = 2.8e7, se(a) = 7.0e9), the last BG/BB one as "line_search".
    (BetaGeo, {"r": 0.5, "alpha": 2.0, "a": 2.0, "b": 8.0}, 50, 2, ("a", "b")),
    (ModifiedBetaGeo, {"r": 0.52, "alpha": 6.2, "a": 0.89, "b": 1.6}, 50, 3, ("a", "b")),
    (ParetoNBD, {"r": 1.0, "alpha": 5.0, "s": 0.3, "beta": 20.0}, 50, 2, ("s", "beta")),
]


@pytest.mark.parametrize(("model", "params", "n", "seed", "pair"), RUNAWAY)
def test_simulated_fits_without_a_maximum_are_a_boundary(model, params, n, seed, pair):
    data = model(params=params).simulate(n, _ages(n, seed), seed=seed)
    fitted = model().fit(data["frequency"], data["recency"], data["T"], require_convergence=False)
    assert fitted.diagnostics.reason == "boundary"
    assert not fitted.diagnostics.converged
    assert fitted.covariance is None
    assert fitted.standard_errors is None
    first, second = pair
    assert f"{first} towards infinity, {second} towards infinity" in fitted.diagnostics.message
    assert min(fitted.params[first], fitted.params[second]) > 1e3
    with pytest.raises(ConvergenceError) as caught:
        model().fit(data["frequency"], data["recency"], data["T"])
    assert caught.value.reason == "boundary"


BGBB_RUNAWAY = [
    ({"alpha": 1.2, "beta": 0.75, "gamma": 0.66, "delta": 2.78}, 50, 2, "gamma towards infinity"),
    ({"alpha": 0.5, "beta": 2.0, "gamma": 2.0, "delta": 10.0}, 50, 1, "alpha towards infinity"),
    # Reported "line_search" before the probes: the stop's reason is now the real one.
    ({"alpha": 3.0, "beta": 1.0, "gamma": 0.2, "delta": 0.5}, 50, 2, "alpha towards infinity"),
]


@pytest.mark.parametrize(("params", "n", "seed", "where"), BGBB_RUNAWAY)
def test_simulated_bgbb_fits_without_a_maximum_are_a_boundary(params, n, seed, where):
    data = BetaGeoBetaBinom(params=params).simulate(n, 6, seed=seed)
    fitted = BetaGeoBetaBinom().fit(
        data["frequency"], data["recency"], data["periods"], require_convergence=False
    )
    assert fitted.diagnostics.reason == "boundary"
    assert where in fitted.diagnostics.message
    assert fitted.covariance is None


WELL_POSED = [
    (BetaGeo, {"r": 0.5, "alpha": 2.0, "a": 2.0, "b": 8.0}, 200, 2),
    (BetaGeo, {"r": 1.5, "alpha": 10.0, "a": 0.3, "b": 3.0}, 50, 3),
    (ModifiedBetaGeo, {"r": 0.52, "alpha": 6.2, "a": 0.89, "b": 1.6}, 1000, 3),
    (ParetoNBD, {"r": 0.55, "alpha": 10.6, "s": 0.61, "beta": 11.7}, 200, 2),
]


@pytest.mark.parametrize(("model", "params", "n", "seed"), WELL_POSED)
def test_well_posed_simulations_still_converge(model, params, n, seed):
    """No false failures: a maximum inside the parameter space is still "converged"."""
    data = model(params=params).simulate(n, _ages(n, seed), seed=seed)
    fitted = model().fit(data["frequency"], data["recency"], data["T"])
    assert fitted.diagnostics.reason == "converged"
    assert fitted.covariance is not None
    for name, value in params.items():
        # Within a factor 4 of the truth: an estimate, not a runaway.
        assert value / 4 < fitted.params[name] < value * 4


def test_identical_spends_are_a_boundary_not_a_line_search():
    """R1 item 7: p -> infinity (no spread in the spends) was reported "line_search" (gnorm 2e8)."""
    fitted = GammaGamma().fit([3] * 100, [10.0] * 100, require_convergence=False)
    assert fitted.diagnostics.reason == "boundary"
    assert "p towards infinity" in fitted.diagnostics.message
    with pytest.raises(ConvergenceError) as caught:
        GammaGamma().fit([3] * 100, [10.0] * 100)
    assert "penalizer or priors" in str(caught.value)


def test_a_slowly_rising_likelihood_is_a_boundary():
    """The objective falls by less than rounding per step as q grows: no maximum."""

    def objective(x: list[float]) -> tuple[float, list[float]]:
        tail = 1e-3 * math.exp(-x[1])
        return (x[0] - 1.0) ** 2 + tail, [2.0 * (x[0] - 1.0), -tail]

    outcome = run_fit(("p", "q"), objective, [1.0, 1.0], require_convergence=False, **FIT)
    assert outcome.diagnostics.reason == "boundary"
    assert "q runs off towards infinity" in outcome.diagnostics.message


def test_a_ridge_off_the_axes_is_found_by_the_least_curved_direction():
    """Only x0 - 2 x1 is determined; the objective keeps falling along (2, 1)."""

    def objective(x: list[float]) -> tuple[float, list[float]]:
        gap = x[0] - 2.0 * x[1]
        tail = 1e-3 * math.exp(-x[0] - x[1])
        return gap * gap + tail, [2.0 * gap - tail, -4.0 * gap - tail]

    outcome = run_fit(("p", "q"), objective, [1.0, 1.0], require_convergence=False, **FIT)
    assert outcome.diagnostics.reason == "boundary"
    assert "ridge" in outcome.diagnostics.message


def test_a_barely_curved_direction_is_flat():
    """Positive definite, but a log-scale standard error of 7,000: the data say nothing of q."""

    def objective(x: list[float]) -> tuple[float, list[float]]:
        return (x[0] - 1.0) ** 2 + 1e-8 * x[1] ** 2, [2.0 * (x[0] - 1.0), 2e-8 * x[1]]

    outcome = run_fit(("p", "q"), objective, [1.0, 1.0], require_convergence=False, **FIT)
    assert outcome.diagnostics.reason == "flat"
    assert outcome.covariance is None


def test_the_least_curved_direction_is_the_smallest_eigenvector():
    """Jacobi against hand-computed eigenvectors: [[2, 1], [1, 2]] has (1, -1)/sqrt 2 for 1."""
    found = _least_curved([[2.0, 1.0], [1.0, 2.0]])
    assert found is not None
    assert abs(found[0]) == pytest.approx(math.sqrt(0.5), abs=1e-12)
    assert found[0] == pytest.approx(-found[1], abs=1e-12)
    assert _least_curved([[1.0, 0.0, 0.0], [0.0, 3.0, 0.0], [0.0, 0.0, 0.5]]) == [0.0, 0.0, 1.0]
    assert _least_curved(None) is None
