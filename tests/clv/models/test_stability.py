"""Numerical stability of the CLV models: finite results at the edges of the parameter space.

Frequencies in the thousands, ages of tens of thousands of periods, parameters
from 1e-4 to 1e4: likelihoods and predictions stay finite (no overflow, NaN or
infinity) and probabilities stay in [0, 1].
"""

import math

from hypothesis import given
from hypothesis import strategies as st

from crmcore.clv import (
    BetaGeo,
    BetaGeoBetaBinom,
    GammaGamma,
    ModifiedBetaGeo,
    ParetoNBD,
    ShiftedBetaGeometric,
)
from crmcore.clv.models import _bgbb as _m_bgbb
from crmcore.clv.models import _bgnbd as _m_bgnbd
from crmcore.clv.models import _gammagamma as _m_gammagamma
from crmcore.clv.models import _paretonbd as _m_paretonbd

param = st.floats(min_value=math.log(1e-4), max_value=math.log(1e4))


@st.composite
def histories(draw):
    """(frequency, recency, T) with frequencies up to 5000 and ages up to 50000."""
    age = draw(st.floats(min_value=1e-3, max_value=5e4))
    x = draw(st.integers(min_value=0, max_value=5000))
    recency = 0.0 if x == 0 else draw(st.floats(min_value=0.0, max_value=age))
    return x, recency, age


def finite(values):
    """Every value is a finite float."""
    return all(math.isfinite(v) for v in values)


@given(
    st.lists(param, min_size=4, max_size=4), histories(), st.floats(min_value=0.0, max_value=5e4)
)
def test_bgnbd_family_is_finite(log_params, history, t):
    """BG/NBD and MBG/NBD: likelihood, gradient, P(alive) and forecasts are finite."""
    names = ("r", "alpha", "a", "b")
    params = dict(zip(names, map(math.exp, log_params), strict=True))
    for shift, cls in ((0, BetaGeo), (1, ModifiedBetaGeo)):
        value, gradient = _m_bgnbd._Likelihood([history], [1.0], shift)(log_params)
        assert finite([value, *gradient])
        model = cls(params=params)
        alive = model.probability_alive(*history)
        assert 0.0 <= alive <= 1.0
        assert finite([model.expected_purchases(t, *history), model.expected_purchases_new(t)])
        assert model.expected_purchases(t, *history) >= 0.0


@given(
    st.lists(param, min_size=4, max_size=4), histories(), st.floats(min_value=0.0, max_value=5e4)
)
def test_pareto_nbd_is_finite(log_params, history, t):
    """Pareto/NBD: likelihood, gradient, P(alive) and forecasts are finite."""
    value, gradient = _m_paretonbd._Likelihood([history], [1.0])(log_params)
    assert finite([value, *gradient])
    model = ParetoNBD(
        params=dict(zip(("r", "alpha", "s", "beta"), map(math.exp, log_params), strict=True))
    )
    alive = model.probability_alive(*history)
    assert 0.0 <= alive <= 1.0
    assert finite([model.expected_purchases(t, *history), model.expected_purchases_new(t)])


@given(st.lists(param, min_size=4, max_size=4), st.data())
def test_bgbb_is_finite(log_params, data):
    """BG/BB: likelihood and predictions are finite for up to 500 opportunities."""
    n = data.draw(st.integers(min_value=1, max_value=500))
    x = data.draw(st.integers(min_value=0, max_value=n))
    t_x = 0 if x == 0 else data.draw(st.integers(min_value=x, max_value=n))
    assert math.isfinite(_m_bgbb._Likelihood([(x, t_x, n)], [1.0]).value(log_params))
    model = BetaGeoBetaBinom(
        params=dict(
            zip(("alpha", "beta", "gamma", "delta"), map(math.exp, log_params), strict=True)
        )
    )
    assert 0.0 <= model.probability_alive(x, t_x, n) <= 1.0
    assert finite([model.expected_purchases(10, x, t_x, n), model.probability_of_purchases(x, n)])


@given(
    st.lists(param, min_size=3, max_size=3),
    st.integers(min_value=1, max_value=5000),
    st.floats(min_value=1e-4, max_value=1e6),
)
def test_gamma_gamma_is_finite(log_params, x, m):
    """Gamma-Gamma: likelihood, gradient and (where defined) expected spend are finite."""
    value, gradient = _m_gammagamma._Likelihood([(float(x), m)], [1.0])(log_params)
    assert finite([value, *gradient])
    p, q, v = map(math.exp, log_params)
    if p * x + q > 1:
        assert math.isfinite(
            GammaGamma(params={"p": p, "q": q, "v": v}).expected_average_spend(x, m)
        )


@given(st.lists(param, min_size=2, max_size=2), st.integers(min_value=0, max_value=50_000))
def test_sbg_is_finite(log_params, t):
    """sBG: survival and retention stay within [0, 1] at any age."""
    model = ShiftedBetaGeometric(
        params=dict(zip(("alpha", "beta"), map(math.exp, log_params), strict=True))
    )
    assert 0.0 <= model.survival(t) <= 1.0
    assert 0.0 <= model.retention_rate(t + 1) <= 1.0
