"""Honest convergence: every way a fit can fail to find a maximum is named (issue 19, item 4)."""

from __future__ import annotations

import math

import pytest

from crmcore.clv import (
    BetaGeo,
    BetaGeoBetaBinom,
    ConvergenceError,
    ModifiedBetaGeo,
    ShiftedBetaGeometric,
)
from crmcore.clv.models._base import FitDiagnostics, run_fit
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
