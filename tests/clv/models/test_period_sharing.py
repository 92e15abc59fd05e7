"""Work shared across periods: BG/NBD lifetime values and new-customer tracking curves.

``_node_sums`` sums the far tails of the quadrature nodes once, as power sums,
so each period costs the nodes between the tails plus a few series terms. The
cost is counted in ``log1p`` calls (one per node and period term by term),
never timed; the values are compared with the term-by-term node sum and with
one ``log_phi`` per span (the former paths).
"""

from __future__ import annotations

import math

import pytest

from crmcore.clv import (
    BetaGeo,
    BetaGeoBetaBinom,
    BetaGeoCnbd,
    GammaGamma,
    ModifiedBetaGeo,
    customer_lifetime_value,
    expected_repeat_transactions,
    lifetime_value_intervals,
)
from crmcore.clv.models import _bgnbd, _cnbd, _uncertainty
from crmcore.clv.models._bgbb import _add_exactly
from crmcore.clv.models._forecast import MAX_NEW_CUSTOMER_STEPS
from crmcore.clv.models._special import lbeta, log_phi
from crmcore.errors import ValidationError

# The nightly fuzz's fitted BG/NBD: a far below 1, so some 1,200 nodes in the tail of p -> 0.
BG = BetaGeo(
    params={"r": 1.2095, "alpha": 14.348, "a": 0.14919, "b": 0.62444},
    covariance=tuple(tuple(1e-4 if i == j else 0.0 for j in range(4)) for i in range(4)),
)
GG = GammaGamma(
    params={"p": 6.25, "q": 3.74, "v": 15.44},
    covariance=tuple(tuple(1e-3 if i == j else 0.0 for j in range(3)) for i in range(3)),
)
TRACKED = BetaGeo(params={"r": 0.243, "alpha": 4.414, "a": 0.793, "b": 2.426})


def _term_by_term(big_r: float, ps: list[float], vs: list[float], k: float) -> float:
    """The former per-period sum over every node."""
    return -sum(v * math.expm1(-big_r * math.log1p(k * p)) for p, v in zip(ps, vs, strict=True))


@pytest.mark.parametrize("big_r", [0.01, 0.243, 1.2, 3.0, 30.0])
@pytest.mark.parametrize(("a", "big_b"), [(0.149, 1.6), (0.3, 30.0), (3.0, 0.3), (30.0, 3.0)])
def test_node_sums_match_the_term_by_term_sum(big_r: float, a: float, big_b: float) -> None:
    ks = [4.0 + 0.37 * i for i in range(300)] + [150.0, 2900.0]
    nodes = _bgnbd._phi_nodes(big_r, a, big_b, ks[0], ks[-1])
    assert nodes is not None
    got = _bgnbd._node_sums(big_r, *nodes, ks)
    for k, value in zip(ks, got, strict=True):
        want = _term_by_term(big_r, *nodes, k)
        assert abs(value - want) <= 1e-13 * want, (k, value, want)


def test_a_long_tail_costs_the_band_only(log1p_calls: list[int]) -> None:
    """With a = 0.149, of some 1,300 nodes, fewer than 60 are summed term by term per period."""
    big_r, a, big_b = 2.2, 0.149, 1.62
    ks = [5.0 + i for i in range(100)]
    nodes = _bgnbd._phi_nodes(big_r, a, big_b, ks[0], ks[-1])
    assert nodes is not None
    assert len(nodes[0]) > 1_000
    log1p_calls[0] = 0
    _bgnbd._node_sums(big_r, *nodes, ks)
    # One log1p per band node and period, one more per period for the tail of p near 1.
    assert log1p_calls[0] <= 60 * len(ks)


def test_lifetime_value_over_2000_periods_is_bounded_work(log1p_calls: list[int]) -> None:
    """The fuzz's slow case: two histories, 2,000 periods (was some 4.6 million log1p)."""
    history = ([1, 2], [5.0, 10.0], [30.0, 30.0], [20.0, 30.0])
    log1p_calls[0] = 0
    customer_lifetime_value(
        BG, GG, *history, horizon=2_000, discount_rate=0.01, margin=0.3, backend="python"
    )
    assert log1p_calls[0] <= 2 * 2_000 * 70


def test_lifetime_value_equals_its_sum_of_expected_purchases() -> None:
    """An independent path: discounted differences of ``expected_purchases`` per period."""
    x, t_x, t, spend = 2, 10.0, 30.0, 30.0
    horizon, rate = 400, 0.01
    got = customer_lifetime_value(
        BG, GG, x, t_x, t, spend, horizon=horizon, discount_rate=rate, backend="python"
    )
    spans = list(range(horizon + 1))
    expected = [0.0] + [BG.expected_purchases(float(s), x, t_x, t) for s in spans[1:]]
    mean_spend = GG.expected_average_spend(x, spend)
    want = mean_spend * sum(
        (expected[k] - expected[k - 1]) / (1.0 + rate) ** k for k in range(1, horizon + 1)
    )
    assert got == pytest.approx(want, rel=1e-11)


@pytest.mark.parametrize("model_class", [BetaGeo, ModifiedBetaGeo])
@pytest.mark.parametrize(
    "params",
    [
        {"r": 0.243, "alpha": 4.414, "a": 0.793, "b": 2.426},
        {"r": 20.0, "alpha": 40.0, "a": 30.0, "b": 30.0},
        {"r": 0.05, "alpha": 0.5, "a": 0.149, "b": 0.05},
    ],
)
def test_new_customer_curve_matches_one_log_phi_per_span(
    model_class: type[BetaGeo], params: dict[str, float]
) -> None:
    model = model_class(params=params)
    spans = [0.0, 0.5, 3.0, *(10.0 + 7.5 * i for i in range(200))]
    got = model.expected_purchases_new(spans)
    r, alpha, a, b = (params[n] for n in ("r", "alpha", "a", "b"))
    m = 1 if issubclass(model_class, ModifiedBetaGeo) else 0
    factor = 1.0 if m == 0 else b / (a + b)
    for span, value in zip(spans, got, strict=True):
        want = 0.0 if span == 0 else factor * math.exp(log_phi(r, a, b + m, span / alpha))
        assert value == pytest.approx(want, rel=1e-12, abs=0.0)


def test_tracking_5000_periods_is_bounded_work(
    monkeypatch: pytest.MonkeyPatch, log1p_calls: list[int]
) -> None:
    """The fuzz's slow case: no adaptive quadrature per span, a bounded node sum instead."""
    quadratures = [0]
    real = log_phi

    def spy(big_r: float, a: float, big_b: float, k: float) -> float:
        quadratures[0] += 1
        return real(big_r, a, big_b, k)

    monkeypatch.setattr(_bgnbd, "log_phi", spy)
    log1p_calls[0] = 0
    curve = expected_repeat_transactions(
        TRACKED, first_purchase=[0.0, 0.5, 1.0], period_ends=5_000, weights=[1, 2, 1]
    )
    assert len(curve.cumulative) == 5_000
    # log_phi only for the spans its series takes (k = span / alpha up to 9): 40 per cohort.
    assert quadratures[0] <= 3 * 41
    assert log1p_calls[0] <= 3 * 5_000 * 80  # was some 1,500 a forecast (adaptive quadrature)


def test_an_interval_horizon_over_its_limit_is_refused_before_any_work(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    def never(*_: object, **__: object) -> None:
        raise AssertionError("no lifetime value may be computed")

    monkeypatch.setattr(_uncertainty, "_clv", never)
    monkeypatch.setattr(_uncertainty, "customer_lifetime_value", never, raising=False)
    with pytest.raises(ValidationError) as caught:
        lifetime_value_intervals(
            BG,
            GG,
            [1, 2],
            [5.0, 10.0],
            [30.0, 30.0],
            [20.0, 30.0],
            horizon=_uncertainty.MAX_INTERVAL_HORIZON + 1,
            discount_rate=0.01,
        )
    assert caught.value.code == "too_large"
    assert caught.value.path == "$.horizon"
    assert "1,000" in str(caught.value)


def test_an_interval_at_a_short_horizon_still_works() -> None:
    found = lifetime_value_intervals(
        BG, GG, [1, 2], [5.0, 10.0], [30.0, 30.0], [20.0, 30.0], horizon=150, discount_rate=0.01
    )
    assert isinstance(found, list)
    assert all(i.lower <= i.estimate <= i.upper for i in found)


# -- BG/BB: one running exact sum for all spans; CNBD-k: series steps bounded ----------------


@pytest.mark.parametrize(
    "params",
    [
        {"alpha": 1.2, "beta": 0.75, "gamma": 0.66, "delta": 2.78},
        {"alpha": 0.1, "beta": 20.0, "gamma": 0.02, "delta": 0.01},
        {"alpha": 30.0, "beta": 0.05, "gamma": 300.0, "delta": 50.0},
    ],
)
def test_bgbb_new_customer_curve_is_the_fsum_of_each_prefix(params: dict[str, float]) -> None:
    """Each span's value is exactly the former ``fsum`` of its first terms (bit for bit)."""
    model = BetaGeoBetaBinom(params=params)
    spans = [0.0, 1.0, 2.0, 3.0, 7.0, 50.0, 51.0, 400.0, 2_000.0]
    got = model.expected_purchases_new(spans)
    alpha, beta, gamma, delta = (params[n] for n in ("alpha", "beta", "gamma", "delta"))
    for span, value in zip(spans, got, strict=True):
        count = int(span)
        terms = [  # B(gamma, delta + i) / B(gamma, delta), i = 1..count, independently
            math.exp(lbeta(gamma, delta + i) - lbeta(gamma, delta)) for i in range(1, count + 1)
        ]
        want = alpha / (alpha + beta) * math.fsum(terms)
        assert value == pytest.approx(want, rel=1e-12, abs=0.0)
    one = model._new_customer()
    assert got == [one(s) for s in reversed(spans)][::-1]


def test_bgbb_tracking_builds_the_terms_once(monkeypatch: pytest.MonkeyPatch) -> None:
    # The cohorts' spans (whole opportunities) are forecast together, once each.
    calls: list[int] = []
    real = BetaGeoBetaBinom._log_survival_terms

    def counting(self: BetaGeoBetaBinom, start: int, count: int) -> tuple[float, list[float]]:
        calls.append(count)
        return real(self, start, count)

    monkeypatch.setattr(BetaGeoBetaBinom, "_log_survival_terms", counting)
    model = BetaGeoBetaBinom(params={"alpha": 1.2, "beta": 0.75, "gamma": 0.66, "delta": 2.78})
    curve = expected_repeat_transactions(model, [0, 1, 2], 10_000, weights=[1, 2, 1])
    assert calls == [10_000]
    # The same sums as each cohort's own forecasts, to the last bit.
    expected = [0.0] * 10_000
    for start, weight in ((0, 1.0), (1, 2.0), (2, 1.0)):
        spans = list(range(1, 10_001 - start))
        for k, value in enumerate(model.expected_purchases_new(spans), start=start):
            expected[k] += weight * value
    assert list(curve.cumulative) == expected


def test_add_exactly_keeps_the_exact_sum() -> None:
    values = [1e16, 1.0, -1e16, 3.0, 1e-30, 2.5e15, -2.5e15, 0.1]
    partials: list[float] = []
    for i, value in enumerate(values, start=1):
        _add_exactly(partials, value)
        assert math.fsum(partials) == math.fsum(values[:i])


CNBD = BetaGeoCnbd(k=2, params={"r": 0.85, "alpha": 2.9, "a": 0.79, "b": 2.42})


def _no_series(monkeypatch: pytest.MonkeyPatch) -> None:
    def never(*_: object, **__: object) -> float:
        raise AssertionError("no forecast may be computed")

    monkeypatch.setattr(_cnbd, "_expected_one", never)


def test_cnbd_tracking_past_its_series_steps_is_refused_before_any_work(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # Steps: 3 cohorts, k = 2, per = (0.85 + 2) / 2.9 = 0.98 a period: some 3 * 2 * 0.98 P^2 / 2.
    _no_series(monkeypatch)
    with pytest.raises(ValidationError) as caught:
        expected_repeat_transactions(CNBD, [0.0, 0.5, 1.0], 400, weights=[1, 2, 1])
    assert (caught.value.path, caught.value.code) == ("$.period_ends", "too_large")
    assert f"{MAX_NEW_CUSTOMER_STEPS:,}" in str(caught.value)


@pytest.mark.parametrize("t", [300_000.0, [1.0, 200.0, 1_000.0, 150_000.0]])
def test_cnbd_new_customer_forecasts_past_their_steps_are_refused(
    monkeypatch: pytest.MonkeyPatch, t: float | list[float]
) -> None:
    _no_series(monkeypatch)
    with pytest.raises(ValidationError) as caught:
        CNBD.expected_purchases_new(t)
    assert (caught.value.path, caught.value.code) == ("$.t", "too_large")


def test_cnbd_steps_estimate_by_hand() -> None:
    # k = 2, per = 2.85 / 2.9: span 100 walks 2 (98.28 + 10 sqrt(98.28) + 22) steps.
    per = 2.85 / 2.9
    want = 2 * (per * 100 + 10 * math.sqrt(per * 100) + 22)
    assert CNBD._new_customer_steps([100.0]) == pytest.approx(want, rel=1e-15)
    assert (
        BetaGeo(params={"r": 1.0, "alpha": 1.0, "a": 1.0, "b": 1.0})._new_customer_steps([1e6])
        == 0.0
    )
    curve = expected_repeat_transactions(CNBD, [0.0, 0.5, 1.0], 100, weights=[1, 2, 1])
    assert len(curve.cumulative) == 100
