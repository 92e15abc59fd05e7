"""The cost and accuracy of the adaptive quadratures behind BG/NBD forecasts.

``log_integrate`` keeps its panels' scaled values between steps: it is compared
with the former implementation (copied below as the reference) on the BG/NBD and
Pareto/NBD integrands. ``log_phi_periods`` integrates many periods on shared
panels: it is compared with one ``log_phi`` per period, and its cost is counted
in integrand evaluations (never timed).
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Callable, Sequence
from typing import Any

import pytest

from crmcore.clv import BetaGeo, GammaGamma, customer_lifetime_value
from crmcore.clv.models import _bgnbd, _special
from crmcore.clv.models._special import log_integrate, log_phi, log_phi_periods


def _reference_log_integrate(
    logf: Callable[[float], float],
    breakpoints: Sequence[float],
    *,
    rtol: float = 1e-12,
    max_panels: int = 400,
) -> float:
    """The former ``log_integrate``: every step rescales every panel."""
    panels: list[tuple[float, float, float, float, float]] = []
    for lo, hi in itertools.pairwise(breakpoints):
        if hi > lo:
            scale, value, error = _special._gk15(logf, lo, hi)
            panels.append((lo, hi, scale, value, error))
    if not panels:
        return -math.inf
    while True:
        top = max(p[2] for p in panels)
        if top == -math.inf:
            return -math.inf
        total = math.fsum(p[3] * math.exp(p[2] - top) for p in panels)
        errors = [p[4] * math.exp(p[2] - top) for p in panels]
        if math.fsum(errors) <= rtol * total or len(panels) >= max_panels:
            return top + math.log(total) if total > 0 else -math.inf
        worst = max(range(len(panels)), key=errors.__getitem__)
        lo, hi, _, _, _ = panels.pop(worst)
        mid = 0.5 * (lo + hi)
        for a, b in ((lo, mid), (mid, hi)):
            scale, value, error = _special._gk15(logf, a, b)
            panels.append((a, b, scale, value, error))


def _same(new: float, old: float, tol: float) -> bool:
    if new == old:
        return True
    return abs(math.expm1(new - old)) <= tol


Recorded = list[tuple[Callable[[float], float], list[float], dict[str, Any]]]


def _record(monkeypatch: pytest.MonkeyPatch) -> Recorded:
    """Record every integrand that the models hand to ``log_integrate``."""
    calls: Recorded = []
    real = _special.log_integrate

    def spy(logf: Callable[[float], float], points: Sequence[float], **kw: Any) -> float:
        calls.append((logf, list(points), kw))
        return real(logf, points, **kw)

    monkeypatch.setattr(_special, "log_integrate", spy)
    return calls


# r, a, B: the pathological small a with small and large B, and ordinary ones.
_PHI_GRID = [
    (0.166, 8.81e-5, 0.257),
    (0.82, 8.8e-5, 0.0039),
    (0.5, 1e-6, 100.0),
    (20.0, 1e-4, 1e4),
    (1.0, 0.3, 2.0),
    (3.0, 45.0, 8170.0),
    (0.2, 2.0, 0.05),
]


def test_log_integrate_matches_former_on_phi_integrands(monkeypatch: pytest.MonkeyPatch) -> None:
    calls = _record(monkeypatch)
    for big_r, a, big_b in _PHI_GRID:
        for k in (4.5, 40.0, 117.0, 2e3):
            _special._phi_quadrature(big_r, a, big_b, k)
    assert len(calls) == 4 * len(_PHI_GRID)
    for logf, points, kw in calls:
        new = log_integrate(logf, points, **kw)
        old = _reference_log_integrate(logf, points, **kw)
        assert _same(new, old, 1e-13), (new, old)


def test_log_integrate_matches_former_on_pareto_integrands(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    calls = _record(monkeypatch)
    for x, y, r, alpha, s, beta in (
        (0.0, 0.0, 0.5, 1.0, 0.5, 1e4),
        (3.0, 20.0, 2.0, 1e5, 0.1, 1.0),
        (50.0, 1.0, 1e-3, 3.0, 40.0, 2e6),
        (1.0, 0.5, 7.0, 1e-2, 1e-3, 1e3),
    ):
        _special.pareto_log_tail(x, y, r, alpha, s, beta)
    assert calls
    for logf, points, kw in calls:
        new = log_integrate(logf, points, **kw)
        assert _same(new, _reference_log_integrate(logf, points, **kw), 1e-13)


@pytest.mark.parametrize(
    ("logf", "points", "max_panels"),
    [
        # A peak far above the first panels' scales: the top rises during refinement.
        (lambda u: -0.5 * (u - 3.3) ** 2 * 1e4, [-50.0, 0.0, 50.0], 400),
        # Hundreds of orders of magnitude between panels.
        (lambda u: -abs(u) * 40.0 + 2.0 * math.sin(5 * u), [-30.0, -1.0, 2.0, 30.0], 400),
        # An integrand that stays unresolved: the panel cap ends it.
        (lambda u: math.log(abs(math.sin(1.0 / u)) + 1e-300), [1e-3, 0.5, 1.0], 60),
        (lambda u: -math.inf, [0.0, 1.0], 400),
        (lambda u: 0.0 if u < 0.5 else -math.inf, [0.0, 1.0], 40),
        (lambda u: 0.0, [1.0, 1.0], 400),
    ],
)
def test_log_integrate_matches_former_on_hard_integrands(
    logf: Callable[[float], float], points: list[float], max_panels: int
) -> None:
    new = log_integrate(logf, points, max_panels=max_panels)
    old = _reference_log_integrate(logf, points, max_panels=max_panels)
    assert _same(new, old, 1e-13)


def test_log_integrate_known_values() -> None:
    # int_0^1 e^u du = e - 1, and a Gaussian of log-height 5000: sqrt(2 pi) e^5000.
    assert math.isclose(log_integrate(lambda u: u, [0.0, 1.0]), math.log(math.e - 1), rel_tol=1e-15)
    gauss = log_integrate(lambda u: 5000.0 - 0.5 * u * u, [-40.0, 40.0])
    assert math.isclose(gauss, 5000.0 + 0.5 * math.log(2 * math.pi), rel_tol=1e-15)


# (a, B, alpha + T): a from 1e-4 to 1e-6, B small and large, ages 0.5 to 1e4.
_PERIOD_GRID = [
    (r, a, big_b, scale)
    for r, a, big_b, scale in itertools.product(
        (0.166, 5.0), (1e-4, 1e-6), (0.0039, 0.257, 120.0), (0.5, 30.0, 1e4)
    )
]


@pytest.mark.parametrize(("big_r", "a", "big_b", "scale"), _PERIOD_GRID)
def test_periods_match_log_phi_per_period(
    big_r: float, a: float, big_b: float, scale: float
) -> None:
    # 300 periods, or 100 past the series periods of an old customer (4 * 1e4).
    periods = max(300, math.floor(4 * scale) + 100)
    first = _bgnbd._series_periods(scale, periods) + 1
    assert _bgnbd._phi_nodes(big_r, a, big_b, first / scale, periods / scale) is None
    ks = [k / scale for k in range(first, periods + 1)]
    together = log_phi_periods(big_r, a, big_b, ks)
    assert len(together) == len(ks)
    for i in sorted({0, 1, len(ks) // 3, len(ks) // 2, len(ks) - 2, len(ks) - 1}):
        one = log_phi(big_r, a, big_b, ks[i])
        assert _same(together[i], one, 1e-12), (ks[i], together[i], one)


def test_periods_hand_case_a_equal_one() -> None:
    # a = 1, B = 1 (p uniform), R = 1: E[(1 - 1/(1 + k p)) / p] = int_0^1 k / (1 + k p) dp
    # = log(1 + k).
    ks = [0.5, 3.0, 40.0, 1e3]
    for k, value in zip(ks, log_phi_periods(1.0, 1.0, 1.0, ks), strict=True):
        assert math.isclose(value, math.log(math.log1p(k)), rel_tol=1e-14)


@pytest.mark.parametrize("a", [1e-8, 1e-9])
def test_periods_hand_case_tiny_a(a: float) -> None:
    # R = 1, B = 1: E[k / (1 + k p)] under the density a p^(a-1). Integrating by parts,
    # it is k/(1+k) + int_0^1 p^a k^2/(1+kp)^2 dp = k - a k log(1 + k) + O(a^2 k log^2 k).
    ks = [k / 2.48 for k in range(10, 300, 7)]
    assert _bgnbd._phi_nodes(1.0, a, 1.0, ks[0], ks[-1]) is None
    for k, value in zip(ks, log_phi_periods(1.0, a, 1.0, ks), strict=True):
        expected = math.log(k) + math.log1p(-a * math.log1p(k))
        assert math.isclose(value, expected, rel_tol=1e-14, abs_tol=1e-14)
        assert math.isclose(log_phi(1.0, a, 1.0, k), expected, rel_tol=1e-14, abs_tol=1e-14)


def test_periods_series_values_are_log_phi_values() -> None:
    # Every k up to 9 (z = k / (1 + k) <= 0.9) takes log_phi's series: the same floats.
    ks = [0.3, 1.0, 4.5, 9.0]
    assert log_phi_periods(0.8, 1.5, 3.0, ks) == [log_phi(0.8, 1.5, 3.0, k) for k in ks]


def test_periods_with_huge_r_k_take_one_quadrature_each() -> None:
    ks = [1e280, 1e290]
    together = log_phi_periods(1e30, 0.5, 2.0, ks)
    for k, value in zip(ks, together, strict=True):
        assert value == _special._phi_quadrature(1e30, 0.5, 2.0, k)


def test_phi_ratio_subnormal_and_flat() -> None:
    r, k = 0.7, 1e300
    log_p = -700.0 * math.log(10.0)  # p = 1e-700 is not a float: k p = 1e-400 is flat.
    assert _special._phi_ratio(r, k, 0.0, log_p) == -1.0
    # k p = 1e-3 from a subnormal p: the ratio is formed in logs, and matches its series.
    log_p = math.log(1e-303)
    ratio = _special._phi_ratio(r, k, math.exp(log_p), log_p)
    kp = 1e-3
    expected = -math.expm1(-r * math.log1p(kp)) / 1e-303
    assert math.isclose(ratio, expected, rel_tol=1e-12)


def test_many_integrals_edge_panels() -> None:
    def nothing(u: float) -> tuple[float, list[float]]:
        return -math.inf, [1.0, 2.0]

    assert _special._log_integrate_many(nothing, [0.0, 1.0], 2) == [-math.inf, -math.inf]

    def half(u: float) -> tuple[float, list[float]]:
        # Zero on [0, 1/2): a panel may be empty for one integrand only.
        return 0.0, [1.0, 0.0 if u < 0.5 else 1.0]

    values = _special._log_integrate_many(half, [0.0, 0.5, 1.0], 2)
    assert values[0] == pytest.approx(0.0, abs=1e-15)
    assert values[1] == pytest.approx(math.log(0.5), abs=1e-15)

    def wiggle(u: float) -> tuple[float, list[float]]:
        return 0.0, [abs(math.sin(1.0 / u)), 1.0]

    # Unresolvable: the cap stops it, and a round may split fewer panels than it wants.
    capped = _special._log_integrate_many(wiggle, [1e-3, 1.0], 2, max_panels=25)
    assert math.isfinite(capped[0])
    assert capped[1] == pytest.approx(math.log(1.0 - 1e-3), abs=1e-15)


class _Counter:
    def __init__(self) -> None:
        self.calls = 0


def _count_nodes(monkeypatch: pytest.MonkeyPatch) -> _Counter:
    """Count integrand evaluations: every node of every quadrature calls ``log_sigmoid`` twice."""
    counter = _Counter()
    real = _special.log_sigmoid

    def counted(u: float) -> float:
        counter.calls += 1
        return real(u)

    monkeypatch.setattr(_special, "log_sigmoid", counted)
    return counter


#: One quadrature of :func:`log_integrate` or of :func:`_log_integrate_many` at most:
#: the panel cap, 15 nodes each (two ``log_sigmoid`` per node), and the two tail nodes.
_ONE_QUADRATURE = 2 * (15 * 400 + 2)


@pytest.mark.parametrize("horizon", [60, 291, 700])
def test_cost_does_not_grow_with_horizon_times_quadrature(
    monkeypatch: pytest.MonkeyPatch, horizon: int
) -> None:
    big_r, a, big_b, scale = 0.166, 8.81e-5, 0.257, 2.48
    short = _bgnbd._series_periods(scale, horizon)
    assert _bgnbd._phi_nodes(big_r, a, big_b, (short + 1) / scale, horizon / scale) is None
    counter = _count_nodes(monkeypatch)
    _bgnbd._given_alive_sums(big_r, a, big_b, scale, [1.0] * horizon, None)
    blocks = math.ceil((horizon - short) / _bgnbd._PERIOD_BLOCK)
    # The series periods share at most one quadrature, the others one per block.
    assert counter.calls <= (1 + blocks) * _ONE_QUADRATURE
    # A tenth of one log_phi quadrature per period at most (the former cost: one each).
    total = counter.calls
    counter.calls = 0
    log_phi(big_r, a, big_b, horizon / scale)
    assert total * 10 <= horizon * counter.calls


def test_sums_pure_numpy_and_per_period_agree(np: Any) -> None:
    big_r, a, big_b, scale = 0.82, 8.8e-5, 0.0039, 12.48
    factors = [0.99**k for k in range(1, 292)]
    pure = _bgnbd._given_alive_sums(big_r, a, big_b, scale, factors, None)
    arrays = _bgnbd._given_alive_sums(big_r, a, big_b, scale, factors, np)
    assert math.isclose(pure, arrays, rel_tol=1e-12)
    # The sum of increments from one log_phi per period (the former computation).
    values = [math.exp(log_phi(big_r, a, big_b, k / scale)) for k in range(1, 292)]
    steps = [v - w for v, w in zip(values, [0.0, *values[:-1]], strict=True)]
    expected = math.fsum(s * f for s, f in zip(steps, factors, strict=True))
    assert math.isclose(pure, expected, rel_tol=1e-12)


def test_lifetime_value_of_the_fuzz_case_backends_agree(np: Any) -> None:
    gg = GammaGamma(params={"p": 6.25, "q": 3.74, "v": 15.44})
    bg = BetaGeo(params={"r": 0.16622738934160206, "alpha": 1.98, "a": 8.81e-5, "b": 0.257})
    args = ([0, 2], [0.0, 10.0], [0.5, 30.0], [20.0, 30.0])
    pure = customer_lifetime_value(bg, gg, *args, horizon=291, discount_rate=0.01)
    arrays = customer_lifetime_value(
        bg, gg, *args, horizon=291, discount_rate=0.01, backend="numpy"
    )
    for p, q in zip(pure, arrays, strict=True):
        assert math.isclose(float(p), float(q), rel_tol=1e-12)
