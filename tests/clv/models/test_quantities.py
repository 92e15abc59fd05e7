"""The conditional purchase distribution and DERT (crmcore.clv.models._quantities).

References marked "mpmath" were computed with mpmath 1.4.1 at 40 significant
digits by a different route from the code under test:

* ``U``: ``mpmath.hyperu(a, b, z)``.
* Pareto/NBD DERT: P(alive) as ``e1 / (e1 + s int_{t_x}^T (alpha+u)^-(r+x)
  (beta+u)^-(s+1) du)`` (``mpmath.quad``) times
  ``(r+x)/(alpha+T) (beta+T)^s d^(s-1) hyperu(s, s, d (beta+T))``.
* BG/NBD DERT: the closed-form P(alive) times ``int_0^1 Beta(p; a, b+x+m)
  (R/p) hyperu(1, 1-R, d A / p) dp`` (``mpmath.quad``; the gamma average of
  ``lambda / (d + p lambda)`` in closed form), ``R = r+x``, ``A = alpha+T``.
"""

from __future__ import annotations

import itertools
import math
import random

import pytest

from crmcore.clv import (
    BetaGeo,
    BetaGeoBetaBinom,
    GammaGamma,
    ModifiedBetaGeo,
    ParetoNBD,
    Percent,
)
from crmcore.clv.models import NotFittedError
from crmcore.clv.models._quantities import (
    conditional_probability_of_purchases,
    continuous_discount_rate,
    discounted_expected_residual_transactions,
    log_tricomi_u,
)
from crmcore.errors import InvalidType, ValidationError

# FHL (2005) BG/NBD paper, CDNOW sample; Batislam et al. (2007) style MBG/NBD fit of the same data;
# the BTYD walk-through's Pareto/NBD fit of the CDNOW sample; BG/BB on the donations (FHS 2010).
BG = BetaGeo(params={"r": 0.243, "alpha": 4.414, "a": 0.793, "b": 2.426})
MBG = ModifiedBetaGeo(params={"r": 0.525, "alpha": 6.183, "a": 0.891, "b": 1.614})
PNBD = ParetoNBD(params={"r": 0.5534, "alpha": 10.5802, "s": 0.6061, "beta": 11.6562})
# BTYD's pnbd.DERT example: CDNOW, all 78 weeks (Fader, Hardie & Lee 2005, "RFM and CLV").
PNBD78 = ParetoNBD(params={"r": 0.5629966, "alpha": 12.5590370, "s": 0.4081095, "beta": 10.5148048})
BGBB = BetaGeoBetaBinom(params={"alpha": 1.204, "beta": 0.750, "gamma": 0.657, "delta": 2.783})

HISTORIES = [
    (0, 0.0, 38.86),
    (2, 30.43, 38.86),
    (1, 1.71, 38.86),
    (7, 35.0, 38.86),
    (26, 30.86, 31),
]


def close(a: float, b: float, rel: float) -> None:
    assert abs(a - b) <= rel * max(abs(a), abs(b)), (a, b)


# --- Tricomi's U -------------------------------------------------------------------


@pytest.mark.parametrize(
    ("a", "b", "z", "reference"),
    [  # mpmath.hyperu at 40 digits
        (0.61, 0.61, 0.135, 1.31057730248650353756171538903),
        (0.61, 0.61, 1e-5, 2.24780232079366934963108735455),
        (2.5, 0.3, 40.0, 0.0000821031571046933387252169831392),
        (0.05, 0.05, 3.0, 0.93428256948094904846737798796),
        (1.0, 1.0, 1.0, 0.596347362323194074341078499369),
        (0.6061, 0.6061, 0.13639374, 1.30436114965005554868938614319),
        (3.0, 7.5, 1e-3, 4554763360312162275465.01696272),
        (0.5, 0.5, 500.0, 0.0446767716883579948639254980749),
    ],
)
def test_tricomi_u_matches_40_digit_references(a, b, z, reference):
    close(math.exp(log_tricomi_u(a, b, z)), reference, 1e-11)


# --- DERT ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("model", "rate", "history", "reference"),
    [  # mpmath, see the module docstring
        (PNBD, 0.0027, (2, 30.43, 38.86), 6.48256236494026247516630338548),
        (PNBD, 0.0027, (0, 0.0, 38.86), 0.47682305811523368616695955054),
        (PNBD, 0.01, (26, 30.86, 31.0), 36.8488590326294982612633232691),
        # BTYD's pnbd.DERT example: x = 7, t_x = 35, T = 77.86, 15% a year = 0.0027 a week.
        (PNBD78, 0.0027, (7, 35.0, 77.86), 1.86418332807132957068834079996),
        (PNBD78, 0.0027, (1, 30.0, 77.86), 2.19915544970496057336821156475),
        (PNBD78, 0.0027, (10, 30.0, 77.86), 0.167927508566053334412539000452),
        (BG, 0.0027, (2, 30.43, 38.86), 5.15637982615403750181243148651),
        (BG, 0.0027, (0, 0.0, 38.86), 1.0157019311180698860685051371),
        (BG, 0.05, (5, 20.0, 38.86), 0.569649789213030406664567647105),
        (MBG, 0.0027, (2, 30.43, 38.86), 4.91302731912798294583666762664),
        (MBG, 0.0027, (0, 0.0, 38.86), 0.722836338286835407871242654855),
    ],
)
def test_dert_matches_40_digit_references(model, rate, history, reference):
    close(discounted_expected_residual_transactions(model, rate, *history), reference, 1e-9)


def test_dert_is_the_discounted_sum_of_expected_purchases():
    """DERT = int rate e^(-rate t) E[X(T, T+t]] dt, by the model's own expected_purchases."""
    rate = 0.02
    for model in (BG, PNBD):
        for history in HISTORIES[:3]:
            # Gauss-Laguerre-free check: Simpson on t = exp(v), v in [-12, log(2000/rate)].
            lo, hi, n = -12.0, math.log(2000.0 / rate), 600
            h = (hi - lo) / n
            total = 0.0
            for i in range(n + 1):
                t = math.exp(lo + i * h)
                f = rate * math.exp(-rate * t) * model.expected_purchases(t, *history) * t
                total += f * (1 if i in {0, n} else 4 if i % 2 else 2)
            total *= h / 3
            close(discounted_expected_residual_transactions(model, rate, *history), total, 1e-6)


def test_dert_vectors_and_percent():
    xs = [h[0] for h in HISTORIES[:3]]
    txs = [h[1] for h in HISTORIES[:3]]
    values = discounted_expected_residual_transactions(PNBD, Percent(0.27), xs, txs, 38.86)
    assert isinstance(values, list)
    for value, (x, t_x, _) in zip(values, HISTORIES[:3], strict=True):
        assert value == discounted_expected_residual_transactions(PNBD, 0.0027, x, t_x, 38.86)


def test_dert_falls_with_the_rate_and_rises_with_frequency():
    rates = [0.001, 0.003, 0.01, 0.1, 1.0]
    for model in (BG, MBG, PNBD):
        values = [
            discounted_expected_residual_transactions(model, d, 3, 30.0, 38.86) for d in rates
        ]
        assert all(a > b for a, b in itertools.pairwise(values))
        by_x = [
            discounted_expected_residual_transactions(model, 0.01, x, 38.0, 38.86)
            for x in (1, 3, 9)
        ]
        assert by_x == sorted(by_x)


@pytest.mark.parametrize(
    ("kwargs", "code"),
    [
        ({"rate": 10}, "not_fraction"),  # 10 is refused unless stated as per cent
        ({"rate": 0}, "not_positive"),
        ({"rate": -0.1}, "negative"),
        ({"rate": Percent(0)}, "not_positive"),
    ],
)
def test_bad_discount_rates(kwargs, code):
    with pytest.raises(ValidationError) as caught:
        discounted_expected_residual_transactions(
            PNBD, frequency=2, recency=30.43, T=38.86, **kwargs
        )
    assert caught.value.code == code
    assert caught.value.path == "$.rate"


def test_percent_ten_is_a_tenth():
    a = discounted_expected_residual_transactions(BG, Percent(10), 2, 30.43, 38.86)
    b = discounted_expected_residual_transactions(BG, 0.1, 2, 30.43, 38.86)
    assert a == b
    with pytest.raises(ValidationError) as caught:
        Percent(150)
    assert caught.value.code == "not_percent"


def test_continuous_discount_rate():
    # FHL (2005, "RFM and CLV"): 15% a year, continuously compounded weekly, is 0.0027.
    assert round(continuous_discount_rate(0.15, 52), 4) == 0.0027
    assert continuous_discount_rate(Percent(15), 52) == continuous_discount_rate(0.15, 52)
    close(continuous_discount_rate(0.1, 12), math.log(1.1) / 12, 1e-15)
    with pytest.raises(ValidationError) as caught:
        continuous_discount_rate(15, 52)
    assert (caught.value.path, caught.value.code) == ("$.annual_rate", "not_fraction")
    with pytest.raises(ValidationError) as caught:
        continuous_discount_rate(0.15, 0)
    assert (caught.value.path, caught.value.code) == ("$.periods_per_year", "range")


def test_models_without_the_quantity_are_refused():
    gg = GammaGamma(params={"p": 6.25, "q": 3.74, "v": 15.44})
    for call in (
        lambda: discounted_expected_residual_transactions(gg, 0.01, 1, 1, 2),
        lambda: discounted_expected_residual_transactions(BGBB, 0.01, 1, 1, 2),
        lambda: conditional_probability_of_purchases(gg, 0, 1, 1, 1, 2),
        lambda: conditional_probability_of_purchases("BetaGeo", 0, 1, 1, 1, 2),
    ):
        with pytest.raises(InvalidType) as caught:
            call()
        assert caught.value.path == "$.model"
    with pytest.raises(NotFittedError):
        discounted_expected_residual_transactions(BetaGeo(), 0.01, 1, 1, 2)
    with pytest.raises(NotFittedError):
        conditional_probability_of_purchases(ParetoNBD(), 0, 1, 1, 1, 2)


# --- P(X(T, T+t] = n | history) -----------------------------------------------------


@pytest.mark.parametrize("model", [BG, MBG, PNBD], ids=["BG", "MBG", "PNBD"])
@pytest.mark.parametrize("history", HISTORIES)
def test_conditional_pmf_sums_to_one_with_the_models_mean(model, history):
    t = 39.0
    top = 60 if history[0] < 10 else 150
    probabilities = [
        conditional_probability_of_purchases(model, n, t, *history) for n in range(top)
    ]
    assert all(0.0 <= p <= 1.0 for p in probabilities)
    close(math.fsum(probabilities), 1.0, 1e-6)
    mean = math.fsum(n * p for n, p in enumerate(probabilities))
    close(mean, model.expected_purchases(t, *history), 1e-5)


@pytest.mark.parametrize("history", [(0, 0, 6), (2, 4, 6), (6, 6, 6), (3, 3, 10)])
def test_bgbb_conditional_pmf_sums_to_one_with_the_models_mean(history):
    span = 5
    probabilities = [
        conditional_probability_of_purchases(BGBB, n, span, *history) for n in range(6)
    ]
    close(math.fsum(probabilities), 1.0, 1e-12)
    mean = math.fsum(n * p for n, p in enumerate(probabilities))
    close(mean, BGBB.expected_purchases(span, *history), 1e-12)
    assert conditional_probability_of_purchases(BGBB, 7, span, *history) == 0.0


def test_conditional_pmf_vectors():
    xs = [0, 2, 1]
    txs = [0.0, 30.43, 1.71]
    values = conditional_probability_of_purchases(PNBD, 1, 39, xs, txs, 38.86)
    assert values == [
        conditional_probability_of_purchases(PNBD, 1, 39, x, t, 38.86)
        for x, t in zip(xs, txs, strict=True)
    ]
    bgbb = conditional_probability_of_purchases(BGBB, 0, 5, [0, 2], [0, 4], 6)
    assert bgbb == [
        conditional_probability_of_purchases(BGBB, 0, 5, x, t, 6) for x, t in [(0, 0), (2, 4)]
    ]


def test_zero_horizon_is_certain_zero():
    for model in (BG, MBG, PNBD):
        assert conditional_probability_of_purchases(model, 0, 0, 2, 30.43, 38.86) == 1.0
        assert conditional_probability_of_purchases(model, 1, 0, 2, 30.43, 38.86) == 0.0


def test_bad_conditional_arguments():
    cases = [
        (lambda: conditional_probability_of_purchases(BG, -1, 1, 1, 1, 2), "$.n"),
        (lambda: conditional_probability_of_purchases(BG, 1.5, 1, 1, 1, 2), "$.n"),
        (lambda: conditional_probability_of_purchases(BG, True, 1, 1, 1, 2), "$.n"),
        (lambda: conditional_probability_of_purchases(BG, 1, -1, 1, 1, 2), "$.t"),
        (lambda: conditional_probability_of_purchases(BG, 1, 1, 1, 3, 2), "$.recency"),
        (lambda: conditional_probability_of_purchases(BG, 1, 1, [1, 1], [1, 3], 2), "$.recency[1]"),
        (lambda: conditional_probability_of_purchases(BGBB, 1, 1.5, 1, 1, 2), "$.t"),
        (lambda: conditional_probability_of_purchases(BGBB, 1, 1, 3, 3, 2), "$.recency"),
    ]
    for call, path in cases:
        with pytest.raises(ValidationError) as caught:
            call()
        assert caught.value.path == path


# --- seeded simulations -------------------------------------------------------------


def _tabulate(futures: list[int], top: int) -> list[float]:
    counts = [0] * (top + 1)
    for n in futures:
        counts[min(n, top)] += 1
    return [c / len(futures) for c in counts]


def _check_against(observed: list[float], size: int, expected: list[float]) -> None:
    expected = [*expected, 1.0 - math.fsum(expected)]
    for o, e in zip(observed, expected, strict=True):
        se = math.sqrt(max(e * (1 - e), 1e-4) / size)
        assert abs(o - e) <= 4.5 * se, (observed, expected)


def test_conditional_pmf_matches_a_seeded_simulation_bgnbd():
    """Customers without purchases in (0, T]: the purchases they make in (T, T+t]."""
    r, alpha, a, b = 0.243, 4.414, 0.793, 2.426
    age, span, top = 20.0, 20.0, 3
    rng = random.Random(20260)  # noqa: S311 - seeded simulation
    futures = []
    for _ in range(12_000):
        rate, p = rng.gammavariate(r, 1 / alpha), rng.betavariate(a, b)
        now, before, after = 0.0, 0, 0
        while True:
            now += rng.expovariate(rate)
            if now > age + span:
                break
            if now <= age:
                before += 1
            else:
                after += 1
            if rng.random() < p:
                break
        if before == 0:
            futures.append(after)
    expected = [conditional_probability_of_purchases(BG, n, span, 0, 0, age) for n in range(top)]
    _check_against(_tabulate(futures, top), len(futures), expected)


def test_conditional_pmf_matches_a_seeded_simulation_paretonbd():
    r, alpha, s, beta = 0.5534, 10.5802, 0.6061, 11.6562
    age, span, top = 20.0, 20.0, 3
    rng = random.Random(20261)  # noqa: S311 - seeded simulation
    futures = []
    for _ in range(12_000):
        rate, mu = rng.gammavariate(r, 1 / alpha), rng.gammavariate(s, 1 / beta)
        end = min(age + span, rng.expovariate(mu))
        now, before, after = 0.0, 0, 0
        while True:
            now += rng.expovariate(rate)
            if now > end:
                break
            before += now <= age
            after += now > age
        if before == 0:
            futures.append(after)
    expected = [conditional_probability_of_purchases(PNBD, n, span, 0, 0, age) for n in range(top)]
    _check_against(_tabulate(futures, top), len(futures), expected)


def test_conditional_pmf_matches_a_seeded_simulation_bgbb():
    """Customers with exactly the history (2, 4, 6): their transactions in the next 5."""
    alpha, beta, gamma, delta = 1.204, 0.750, 0.657, 2.783
    history, span, top = (2, 4, 6), 5, 3
    rng = random.Random(20262)  # noqa: S311 - seeded simulation
    futures = []
    for _ in range(60_000):
        p, theta = rng.betavariate(alpha, beta), rng.betavariate(gamma, delta)
        x = last = after = 0
        for period in range(1, history[2] + span + 1):
            if rng.random() < theta:
                break
            if rng.random() < p:
                if period <= history[2]:
                    x, last = x + 1, period
                else:
                    after += 1
        if (x, last) == history[:2]:
            futures.append(after)
    expected = [conditional_probability_of_purchases(BGBB, n, span, *history) for n in range(top)]
    _check_against(_tabulate(futures, top), len(futures), expected)


@pytest.mark.parametrize("model", [BG, MBG, PNBD], ids=["BG", "MBG", "PNBD"])
def test_a_newcomer_is_a_new_customer(model):
    """T = 0 (first purchase at the end of observation): the new-customer distribution."""
    for n in range(4):
        close(
            conditional_probability_of_purchases(model, n, 10.0, 0, 0, 0),
            model.probability_of_purchases(n, 10.0),
            1e-12,
        )
    assert discounted_expected_residual_transactions(model, 0.01, 0, 0, 0) > 0
