"""Tests for `crmcore.clv.models._holdout`: holdout forecasts with a duration per customer.

``holdout_metrics`` checks its columns once and computes each customer's
forecast with the model's own per-history column (the code behind
``expected_purchases``), once per distinct duration, on the path
``expected_purchases`` takes for a group of that size. The forecasts must be
the very floats a hand-written loop of ``expected_purchases`` calls gives
(one per distinct duration), whatever the mix of durations; no public call is
made per duration, and the histories are checked once.
"""

import random

import pytest
from hypothesis import given
from hypothesis import strategies as st

from crmcore.clv import (
    BetaGeo,
    BetaGeoBetaBinom,
    BetaGeoCnbd,
    ModifiedBetaGeo,
    ParetoNBD,
    holdout_metrics,
)
from crmcore.clv.models import _holdout
from crmcore.clv.models._backend import AUTO_NUMPY_ROWS
from crmcore.clv.models._forecast import Forecaster
from crmcore.errors import ValidationError

RFM_MODELS = {
    "BetaGeo": BetaGeo(params={"r": 0.243, "alpha": 4.414, "a": 0.793, "b": 2.426}),
    "ModifiedBetaGeo": ModifiedBetaGeo(params={"r": 0.525, "alpha": 6.183, "a": 0.891, "b": 1.614}),
    "ParetoNBD": ParetoNBD(params={"r": 0.553, "alpha": 10.578, "s": 0.606, "beta": 11.669}),
    "BetaGeoCnbd": BetaGeoCnbd(params={"r": 0.243, "alpha": 4.414, "a": 0.793, "b": 2.426}, k=2),
}
BGBB = BetaGeoBetaBinom(params={"alpha": 1.204, "beta": 0.750, "gamma": 0.657, "delta": 2.783})


def hand_loop(model, durations, x, t_x, t):
    """What a user writes (and what holdout_metrics did): one public call per distinct duration."""
    groups = {}
    for index, duration in enumerate(durations):
        groups.setdefault(duration, []).append(index)
    out = [0.0] * len(durations)
    for duration, rows in groups.items():
        values = model.expected_purchases(
            duration, [x[i] for i in rows], [t_x[i] for i in rows], [t[i] for i in rows]
        )
        for i, value in zip(rows, values, strict=True):
            out[i] = value
    return out


def rfm_customers(n, seed):
    """``n`` histories with repeats (a tenth of them copies) and whole and fractional ages."""
    rng = random.Random(seed)  # noqa: S311 - seeded test data.
    x, t_x, t = [], [], []
    for _ in range(n):
        if x and rng.random() < 0.1:
            j = rng.randrange(len(x))
            x.append(x[j])
            t_x.append(t_x[j])
            t.append(t[j])
            continue
        age = rng.choice([38.86, 20.0, rng.uniform(0.0, 80.0)])
        count = rng.choice([0, 0, 1, 2, 5, 12])
        x.append(count)
        t_x.append(rng.uniform(0.0, age) if count else 0.0)
        t.append(age)
    return x, t_x, t


def mixed_durations(n, seed):
    """One big group (the numpy path's size), a few small groups, and many of one customer."""
    rng = random.Random(seed)  # noqa: S311 - seeded test data.
    out = []
    for i in range(n):
        if i < AUTO_NUMPY_ROWS + 10:
            out.append(39.0)
        elif i % 3 == 0:
            out.append(rng.choice([0.0, 1.0, 10.5]))
        else:
            out.append(rng.uniform(0.0, 100.0))
    rng.shuffle(out)
    return out


@pytest.mark.parametrize("name", sorted(RFM_MODELS))
def test_forecasts_are_the_hand_loops_floats(name, np):
    """Identical floats to one public call per distinct duration, numpy and pure groups alike."""
    model = RFM_MODELS[name]
    x, t_x, t = rfm_customers(700, seed=len(name))
    durations = mixed_durations(700, seed=3)
    ours = _holdout.conditional_forecasts(model, durations, x, t_x, t)
    assert ours == hand_loop(model, durations, x, t_x, t)
    # One shared duration: the whole table at once, as expected_purchases takes it.
    assert _holdout.conditional_forecasts(model, [20.0] * 700, x, t_x, t) == (
        model.expected_purchases(20.0, x, t_x, t)
    )


@pytest.mark.parametrize("name", sorted(RFM_MODELS))
def test_metrics_equal_those_of_the_hand_loop(name):
    model = RFM_MODELS[name]
    x, t_x, t = rfm_customers(120, seed=9)
    durations = [10.0 + i / 7 for i in range(120)]  # every customer their own
    actual = [i % 4 for i in range(120)]
    weights = [1 + i % 3 for i in range(120)]
    result = holdout_metrics(model, x, t_x, t, actual, durations, weights=weights)
    expected = _holdout.holdout_result(hand_loop(model, durations, x, t_x, t), actual, weights)
    assert result == expected
    # By hand, on a different path: the weighted mean absolute error.
    predicted = [
        model.expected_purchases(d, a, b, c)
        for d, a, b, c in zip(durations, x, t_x, t, strict=True)
    ]
    mae = sum(w * abs(p - a) for w, p, a in zip(weights, predicted, actual, strict=True)) / sum(
        weights
    )
    assert result.mean_absolute_error == pytest.approx(mae, rel=1e-12)


def test_bgbb_forecasts_with_whole_durations(np):
    rng = random.Random(5)  # noqa: S311 - seeded test data.
    x, t_x, n = [], [], []
    for _ in range(400):
        periods = rng.randrange(0, 7)
        count = rng.randint(0, periods)
        x.append(count)
        t_x.append(rng.randint(count, periods) if count else 0)
        n.append(periods)
    durations = [float(rng.randrange(0, 30)) for _ in range(400)]
    durations[:300] = [5.0] * 300  # one group on the numpy path
    assert _holdout.conditional_forecasts(BGBB, durations, x, t_x, n) == hand_loop(
        BGBB, durations, x, t_x, n
    )


histories = st.lists(
    st.tuples(
        st.integers(0, 30),
        st.floats(0.0, 1.0),
        st.floats(0.0, 200.0),
        st.sampled_from([0.0, 1.0, 39.0]) | st.floats(0.0, 500.0),
    ),
    min_size=1,
    max_size=40,
)


@given(histories, st.sampled_from(sorted(RFM_MODELS)))
def test_each_forecast_is_the_customers_own_call(rows, name):
    """Each customer's forecast is ``expected_purchases`` of that customer alone."""
    model = RFM_MODELS[name]
    x = [row[0] for row in rows]
    t = [row[2] for row in rows]
    t_x = [share * age if count else 0.0 for (count, share, _, _), age in zip(rows, t, strict=True)]
    durations = [row[3] for row in rows]
    ours = _holdout.conditional_forecasts(model, durations, x, t_x, t)
    alone = [
        model.expected_purchases(d, a, b, c)
        for d, a, b, c in zip(durations, x, t_x, t, strict=True)
    ]
    assert ours == alone


def test_no_public_call_per_duration_and_one_check(monkeypatch):
    """The work per duration is the model's column alone: no public call, one history check."""
    model = RFM_MODELS["BetaGeo"]
    x, t_x, t = rfm_customers(50, seed=1)
    expected = hand_loop(model, [float(i) for i in range(50)], x, t_x, t)
    checks = []
    original = type(model)._check_histories

    def counted(self, histories, name="T"):
        checks.append(histories.size)
        return original(self, histories, name)

    def refused(*args, **kwargs):
        raise AssertionError("a public call per duration")

    monkeypatch.setattr(type(model), "_check_histories", counted)
    monkeypatch.setattr(Forecaster, "_expected", refused)
    result = _holdout.conditional_forecasts(model, [float(i) for i in range(50)], x, t_x, t)
    assert result == expected
    assert checks == [50]


def test_a_bad_history_is_named_by_its_own_row():
    """The histories are checked whole: the error names the customer's row, not a group's."""
    x, t_x, t = [0, 1, 2, 3], [0.0, 1.0, 5.0, 2.0], [10.0, 10.0, 4.0, 10.0]
    with pytest.raises(ValidationError) as bad:
        holdout_metrics(RFM_MODELS["BetaGeo"], x, t_x, t, [0, 0, 0, 0], [1.0, 2.0, 3.0, 4.0])
    assert bad.value.problems[0].path == "$.recency[2]"
    with pytest.raises(ValidationError) as bad:
        holdout_metrics(BGBB, [0, 1, 7], [0, 1, 7], [5, 5, 5], [0, 0, 0], [1, 2, 3])
    assert bad.value.problems[0].path.endswith("[2]")
