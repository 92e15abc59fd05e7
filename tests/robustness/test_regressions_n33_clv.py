"""Regressions for the CLV defects the nightly fuzz profile found (s33): slow calls and an overflow.

The slow calls pin the work, never the time: ``math.log1p`` calls counted (one per
quadrature node and period summed term by term), against the former counts.
"""

from __future__ import annotations

import math

import pytest
from tests.robustness import _corpus  # noqa: F401 - imported first: _corpus_clv needs it loaded.
from tests.robustness._corpus_clv import BG_FIT, GAMMA_COV

from crmcore.clv import BetaGeo, expected_repeat_transactions
from crmcore.clv.models._base import _least_curved
from crmcore.clv.models._tracking import MAX_TRACKING_PAIRS, MAX_TRACKING_WORK
from crmcore.clv.models._uncertainty import MAX_INTERVAL_HORIZON, lifetime_value_intervals
from crmcore.errors import ValidationError

HISTORY = ([1, 2], [5.0, 10.0], [30.0, 30.0], [20.0, 30.0])


def test_lifetime_value_intervals_at_500_periods_is_bounded_work(log1p_calls: list[int]) -> None:
    # 1.77 s (2.8 s loaded): some 29 lifetime values of 2 histories, each period summing
    # about 1,100 quadrature nodes (20.8 million log1p); now about 50 nodes a period.
    log1p_calls[0] = 0
    found = lifetime_value_intervals(
        BG_FIT,
        GAMMA_COV,
        *HISTORY,
        horizon=500,
        discount_rate=0.01,
        margin=0.3,
        nonpositive="exclude",
        level=0.9,
    )
    assert isinstance(found, list)
    assert len(found) == 2
    assert log1p_calls[0] <= 30 * 2 * 500 * 70


def test_lifetime_value_intervals_horizon_limit() -> None:
    with pytest.raises(ValidationError) as caught:
        lifetime_value_intervals(
            BG_FIT, GAMMA_COV, *HISTORY, horizon=MAX_INTERVAL_HORIZON + 1, discount_rate=0.01
        )
    assert (caught.value.path, caught.value.code) == ("$.horizon", "too_large")


def test_tracking_618_periods_is_bounded_work(log1p_calls: list[int]) -> None:
    # 0.73 s: one adaptive quadrature (about 520 integrand values) per forecast.
    model = BetaGeo(params={"r": 0.243, "alpha": 4.414, "a": 0.793, "b": 2.426})
    log1p_calls[0] = 0
    curve = expected_repeat_transactions(model, [0.0, 0.5, 1.0], 618, weights=[1, 2, 1])
    assert len(curve.cumulative) == 618
    assert log1p_calls[0] <= 3 * 618 * 80


def test_tracking_work_limit() -> None:
    model = BetaGeo(params={"r": 0.243, "alpha": 4.414, "a": 0.793, "b": 2.426})
    # Off the period grid: every (first purchase, end) pair is a span of its own.
    starts = [0.0001 * i for i in range(MAX_TRACKING_WORK // 1_000 + 1)]
    with pytest.raises(ValidationError) as caught:
        expected_repeat_transactions(model, starts, 1_000)
    assert (caught.value.path, caught.value.code) == ("$.first_purchase", "too_much_work")
    assert "distinct spans" in caught.value.rule
    # Far more pairs than pairs allowed are refused before the spans are even listed.
    many = [0.5 * i for i in range(MAX_TRACKING_PAIRS // 1_000 + 1)]
    with pytest.raises(ValidationError) as caught:
        expected_repeat_transactions(model, many, 1_000)
    assert (caught.value.path, caught.value.code) == ("$.first_purchase", "too_much_work")
    assert "pairs" in caught.value.rule


def test_cohorts_on_the_period_grid_share_their_forecasts() -> None:
    # A daily curve: 400 first-purchase days times 730 ends is 292,000 pairs, but only
    # about 1,130 distinct spans, each forecast once; the sums are those of each cohort's own.
    model = BetaGeo(params={"r": 0.243, "alpha": 4.414, "a": 0.793, "b": 2.426})
    starts = [float(day % 400) for day in range(1_200)]
    ends = [float(day) for day in range(1, 731)]
    curve = expected_repeat_transactions(model, starts, ends)
    expected = [0.0] * len(ends)
    for start in sorted(set(starts)):
        first = next(k for k, end in enumerate(ends) if end > start)
        values = model.expected_purchases_new([end - start for end in ends[first:]])
        for k, value in enumerate(values, start=first):
            expected[k] += 3 * value
    assert list(curve.cumulative) == expected


def test_a_fit_on_a_huge_count_reports_instead_of_overflowing() -> None:
    # Found by the nightly fuzz: a frequency of 1.34e154 made the curvature's squares overflow
    # in the diagnostics' eigenvector search (OverflowError from math.fsum).
    frequency = [1.34078079299426e154, 1, 2, 3, 0, 5]
    model = BetaGeo().fit(
        frequency,
        [0.0, 3.0, 10.0, 20.0, 0.0, 28.0],
        [30.0, 30.0, 30.0, 32.0, 25.0, 30.0],
        max_iterations=5,
        require_convergence=False,
        penalizer=0.1,
    )
    assert model.diagnostics is not None
    assert not model.diagnostics.converged


@pytest.mark.parametrize("power", [-600, -40, 0, 40, 600])
def test_the_least_curved_direction_ignores_the_curvature_scale(power: int) -> None:
    curvature = [[4.0, 1.0, 0.5], [1.0, 3.0, 0.25], [0.5, 0.25, 0.125]]
    found = _least_curved([[math.ldexp(v, power) for v in row] for row in curvature])
    assert found == _least_curved(curvature)
    assert found is not None
    # An eigenvector of the smallest eigenvalue: A v = lambda v, lambda below every diagonal.
    image = [math.fsum(a * v for a, v in zip(row, found, strict=True)) for row in curvature]
    ratio = math.fsum(x * v for x, v in zip(image, found, strict=True))
    assert all(math.isclose(x, ratio * v, abs_tol=1e-12) for x, v in zip(image, found, strict=True))
    assert ratio < min(curvature[i][i] for i in range(3))
