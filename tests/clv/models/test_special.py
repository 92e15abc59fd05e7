"""Tests for the numerics under the CLV models: `crmcore.clv.models._special` and `_m_optimize`."""

import math

import pytest
from hypothesis import given
from hypothesis import strategies as st

from crmcore.clv.models import _special as sp
from crmcore.clv.models._optimize import cholesky_inverse, minimize, numeric_gradient

EULER_GAMMA = 0.5772156649015329

log_uniform = st.floats(min_value=math.log(1e-4), max_value=math.log(1e4)).map(math.exp)


def test_digamma_known_values():
    """psi(1) is minus Euler's constant and psi(1/2) = -gamma - 2 log 2 (A&S 6.3.2, 6.3.3)."""
    assert pytest.approx(-EULER_GAMMA, abs=1e-14) == sp.digamma(1.0)
    assert pytest.approx(-EULER_GAMMA - 2 * math.log(2), abs=1e-14) == sp.digamma(0.5)


@given(st.floats(min_value=1e-3, max_value=1e5))
def test_digamma_recurrence(x):
    """psi(x + 1) = psi(x) + 1/x for positive x."""
    assert pytest.approx(sp.digamma(x) + 1.0 / x, rel=1e-12, abs=1e-12) == sp.digamma(x + 1.0)


@given(st.floats(min_value=0.05, max_value=50.0))
def test_digamma_is_the_derivative_of_lgamma(x):
    """Digamma agrees with a central difference of lgamma."""
    h = 1e-5 * x
    slope = (math.lgamma(x + h) - math.lgamma(x - h)) / (2 * h)
    assert pytest.approx(slope, rel=1e-6, abs=1e-6) == sp.digamma(x)


def test_lbeta_matches_the_beta_function():
    """The log-beta function: log B(2, 3) = log(1/12)."""
    assert pytest.approx(math.log(1 / 12), abs=1e-14) == sp.lbeta(2.0, 3.0)


@given(st.lists(st.floats(min_value=-1000, max_value=1000), min_size=1, max_size=20))
def test_logsumexp_matches_the_direct_sum_after_shifting(values):
    """The log of a sum of exponentials equals log(sum(exp(v - m))) + m, without overflow."""
    top = max(values)
    expected = top + math.log(math.fsum(math.exp(v - top) for v in values))
    assert pytest.approx(expected, abs=1e-12) == sp.logsumexp(values)


@given(st.floats(min_value=-700, max_value=700), st.floats(min_value=-700, max_value=700))
def test_logaddexp_is_logsumexp_of_two(x, y):
    """Adding two exponentials in log space is the two-term log-sum-exp."""
    assert pytest.approx(sp.logsumexp([x, y]), abs=1e-12) == sp.logaddexp(x, y)


@given(st.floats(min_value=-50.0, max_value=-1e-12))
def test_log1mexp_matches_the_definition(x):
    """The log of 1 - exp(x) matches the direct formula wherever that is accurate."""
    assert pytest.approx(math.log(-math.expm1(x)), rel=1e-12) == sp.log1mexp(x)


@given(
    st.floats(min_value=-5, max_value=5).filter(lambda c: c == 0 or abs(c) > 1e-6),
    st.floats(min_value=-5, max_value=5),
)
def test_expm1_ratio_matches_the_direct_formula(c, y):
    """(exp(c y) - 1)/c equals y at c = 0 and the direct formula where that is accurate."""
    expected = y if c == 0 else math.expm1(c * y) / c
    assert pytest.approx(expected, rel=1e-9, abs=1e-12) == sp.expm1_ratio(c, y)


@given(st.floats(min_value=-1e-6, max_value=1e-6), st.floats(min_value=-5, max_value=5))
def test_expm1_ratio_is_continuous_at_zero(c, y):
    """Near c = 0 the ratio is y (1 + c y / 2) to second order, subnormal c included."""
    assert pytest.approx(y * (1 + c * y / 2), rel=1e-11, abs=1e-15) == sp.expm1_ratio(c, y)


@pytest.mark.parametrize("degree", range(23))
def test_kronrod_rule_integrates_polynomials_exactly(degree):
    """The 15-point Kronrod rule is exact for x^k up to degree 22 on [0, 1]."""
    scale, value, _ = sp._gk15(lambda x: degree * math.log(x) if x > 0 else -math.inf, 0.0, 1.0)
    assert pytest.approx(1.0 / (degree + 1), rel=1e-13) == math.exp(scale) * value


def test_log_integrate_handles_huge_dynamic_range():
    """The integral of exp(-1000 x) over [0, 1] is about 1/1000, though its tail is tiny."""
    value = sp.log_integrate(lambda x: -1000.0 * x, [0.0, 1.0])
    assert pytest.approx(math.log((1 - math.exp(-1000.0)) / 1000.0), abs=1e-10) == value


@given(
    st.integers(min_value=0, max_value=200),
    st.floats(min_value=0.0, max_value=100.0),
    log_uniform,
    log_uniform,
    log_uniform,
    log_uniform,
)
def test_pareto_tail_series_agrees_with_quadrature(x, y, r, alpha, s, beta):  # noqa: PLR0917 - one per drawn value.
    """Where the series applies, splitting the tail and integrating its head gives the same value."""
    big, small = max(alpha, beta), min(alpha, beta)
    y1 = big - 2 * small
    if not y < y1:  # the series is already in its fast region; nothing to split
        return
    series = sp.pareto_log_tail(x, y, r, alpha, s, beta)
    head = sp._pareto_head(y, y1, alpha, beta, r + x, s + 1.0, small)
    split = sp.logaddexp(head, sp.pareto_log_tail(x, y1, r, alpha, s, beta))
    assert pytest.approx(series, abs=1e-8 * max(1.0, abs(series))) == split


@given(
    st.floats(min_value=1e-3, max_value=500.0),
    st.floats(min_value=1e-2, max_value=50.0),
    st.floats(min_value=1e-2, max_value=500.0),
    st.floats(min_value=1e-3, max_value=9.0),
)
def test_phi_series_agrees_with_quadrature(big_r, a, big_b, k):
    """The BG/NBD expectation by series and by quadrature agree."""
    series = sp._phi_series(big_r, a, big_b, k / (1 + k))
    if series is None:  # the series declined (cancellation); quadrature is used then
        return
    assert pytest.approx(series, abs=1e-8) == sp._phi_quadrature(big_r, a, big_b, k)


def test_phi_at_a_equal_one_is_continuous():
    """The expectation has no singularity at a = 1, where the published closed form divides by zero."""
    below = sp.log_phi(2.0, 1.0 - 1e-9, 3.0, 0.5)
    at = sp.log_phi(2.0, 1.0, 3.0, 0.5)
    above = sp.log_phi(2.0, 1.0 + 1e-9, 3.0, 0.5)
    assert pytest.approx(at, abs=1e-7) == below
    assert pytest.approx(at, abs=1e-7) == above


def test_minimize_finds_the_rosenbrock_minimum():
    """BFGS reaches (1, 1) on Rosenbrock's function."""

    def fun(v):
        x, y = v
        value = (1 - x) ** 2 + 100 * (y - x * x) ** 2
        return value, [-2 * (1 - x) - 400 * x * (y - x * x), 200 * (y - x * x)]

    found = minimize(fun, [-1.2, 1.0])
    assert found.converged
    assert pytest.approx([1.0, 1.0], abs=1e-5) == list(found.x)


def test_minimize_reports_the_iteration_limit():
    """With one iteration allowed the search stops unconverged and says why."""
    found = minimize(lambda v: (v[0] ** 4, [4 * v[0] ** 3]), [3.0], max_iterations=1)
    assert (False, "iteration limit reached") == (found.converged, found.message)


def test_numeric_gradient_of_a_quadratic():
    """Central differences are exact for a quadratic."""
    assert pytest.approx([2.0, -6.0], abs=1e-6) == numeric_gradient(
        lambda v: v[0] ** 2 + 3 * v[1] ** 2, [1.0, -1.0]
    )


def test_cholesky_inverse_inverts_and_rejects_indefinite_matrices():
    """A positive definite matrix is inverted; an indefinite one gives None."""
    inverse = cholesky_inverse([[4.0, 2.0], [2.0, 3.0]])
    assert inverse is not None
    assert pytest.approx([0.375, -0.25, -0.25, 0.5]) == [*inverse[0], *inverse[1]]
    assert None is cholesky_inverse([[1.0, 2.0], [2.0, 1.0]])


def test_integration_stops_at_the_rounding_noise_of_large_log_values():
    """D35: the adaptive search stops at the rounding noise of the integrand's values.

    An integrand whose logs are near -70,000 is known to about 1e-11 only; the
    search used to split panels up to its limit chasing a 1e-12 tolerance.
    """
    calls = [0]

    def logf(v):
        calls[0] += 1
        return -71_605.0 + v - 0.108 * math.exp(v)

    value = sp.log_integrate(logf, [5.1 + 0.74 * i for i in range(9)])
    assert math.isfinite(value)
    assert calls[0] < 2_000
