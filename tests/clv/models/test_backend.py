"""Tests for `crmcore.clv.models._backend` and `_vector`: the pure and numpy prediction paths.

The pure-Python path is forced with ``backend="python"``; the numpy path with
``backend="numpy"``. The numpy tests skip when numpy is not installed, except
in CI (``CI=true``), where the test extra installs it and a skip would hide a
broken numpy path: there they fail instead.
"""

import csv
import math
import subprocess
import sys
from decimal import Decimal
from fractions import Fraction

import pytest
from hypothesis import given
from hypothesis import strategies as st

from crmcore import InvalidType, ValidationError
from crmcore.clv import (
    BetaGeo,
    BetaGeoBetaBinom,
    GammaGamma,
    ModifiedBetaGeo,
    ParetoNBD,
    customer_lifetime_value,
)
from crmcore.clv.models import _backend

BG_PARAMS = {"r": 0.243, "alpha": 4.414, "a": 0.793, "b": 2.426}
MODELS = {
    "BetaGeo": BetaGeo(params=BG_PARAMS),
    "ModifiedBetaGeo": ModifiedBetaGeo(params={"r": 0.525, "alpha": 6.183, "a": 0.891, "b": 1.614}),
    "ParetoNBD": ParetoNBD(params={"r": 0.553, "alpha": 10.578, "s": 0.606, "beta": 11.669}),
    # alpha < beta and s = 1: the other branch of the tail and the limit of the flow.
    "ParetoNBD-swapped": ParetoNBD(params={"r": 0.8, "alpha": 0.5, "s": 1.0, "beta": 30.0}),
    # beta far below alpha: z near 1, where the tail is integrated numerically.
    "ParetoNBD-quadrature": ParetoNBD(params={"r": 0.6, "alpha": 200.0, "s": 0.7, "beta": 0.5}),
    # a = 1: the removable singularity of the published BG/NBD forecast.
    "BetaGeo-a1": BetaGeo(params={"r": 0.5, "alpha": 2.0, "a": 1.0, "b": 3.0}),
}
GG = GammaGamma(params={"p": 6.25, "q": 3.74, "v": 15.44})
BGBB = BetaGeoBetaBinom(params={"alpha": 1.204, "beta": 0.750, "gamma": 0.657, "delta": 2.783})

# Repeated rows, x = 0, t_x = T, tiny and large ages, ints mixed with floats.
FREQUENCY = [0, 2, 2, 0, 1, 5, 2, 40, 0, 3, 2, 1]
RECENCY = [0.0, 30.43, 30.43, 0.0, 1.71, 38.0, 30.43, 70.0, 0, 3.0, 10.0, 0.5]
AGE = [38.86, 38.86, 38.86, 0.01, 38.86, 38.0, 38.86, 300.0, 1000.0, 3.0, 12, 0.5]
SPEND = [0.0, 22.35, 22.35, 0.0, 11.77, 40.0, 22.35, 15.0, 0.0, 9.0, 30.0, 5.0]


def close(first, second, rel=1e-12):
    """Equal lists of floats up to ``rel`` (relative), exact at zero."""
    assert len(first) == len(second)
    for a, b in zip(first, second, strict=True):
        assert abs(a - b) <= rel * max(abs(a), abs(b), 1e-300), (a, b)
    return True


@pytest.fixture(scope="module")
def cdnow(reference_data):
    path = reference_data("cdnow", "cdnow_customers_summary_with_transactions.csv")
    with path.open() as handle:
        rows = list(csv.DictReader(handle))
    return (
        [int(r["x"]) for r in rows],
        [float(r["t_x"]) for r in rows],
        [float(r["T"]) for r in rows],
        [float(r["zbar"]) for r in rows],
    )


# -- the pure path ---------------------------------------------------------------------------


@pytest.mark.parametrize("name", list(MODELS))
def test_the_pure_path_gives_each_row_its_own_prediction(name):
    """Collapsing repeated histories changes nothing: the list equals one call per row."""
    model = MODELS[name]
    rows = list(zip(FREQUENCY, RECENCY, AGE, strict=True))
    alive = model.probability_alive(FREQUENCY, RECENCY, AGE, backend="python")
    expected = model.expected_purchases(10.5, FREQUENCY, RECENCY, AGE, backend="python")
    assert alive == [model.probability_alive(*row, backend="python") for row in rows]
    assert expected == [model.expected_purchases(10.5, *row, backend="python") for row in rows]
    assert alive[1] == alive[2] == alive[6]


def test_equal_numbers_of_any_type_are_one_history():
    """2, 2.0, Decimal("2") and Fraction(2) are the same frequency, and predict the same."""
    model = MODELS["BetaGeo"]
    values = model.probability_alive(
        [2, 2.0, Decimal(2), Fraction(2)], [30.43, Decimal("30.43"), 30.43, 30.43], 38.86
    )
    assert values[0] == values[1] == values[2] == values[3]


def test_scalars_are_broadcast_against_sequences():
    """A number beside sequences is repeated; numbers alone give a number."""
    model = MODELS["BetaGeo"]
    assert (
        model.probability_alive([2, 2], 30.43, [38.86, 38.86], backend="python")
        == [model.probability_alive(2, 30.43, 38.86, backend="python")] * 2
    )
    assert isinstance(model.expected_purchases(39, 2, 30.43, 38.86, backend="python"), float)


def test_each_row_points_at_its_distinct_history():
    """Rows are numbered by first appearance and spread back in the input's order."""
    frequency = [2, 0, 2, 1, 0, 2.0]
    recency = [3.0, 0, 3.0, 1.5, 0.0, 3]
    age = [5, 5, 5.0, 5, 5, 5]
    arguments = [("frequency", frequency), ("recency", recency), ("T", age)]
    histories = _backend.load("python", arguments)
    assert histories.columns == [[2.0, 0.0, 1.0], [3.0, 0.0, 1.5], [5.0, 5.0, 5.0]]
    assert histories.spread == [0, 1, 0, 2, 1, 0]
    assert histories.rows() == [
        [float(v) for v in frequency],
        [float(v) for v in recency],
        [float(v) for v in age],
    ]
    assert histories.listed([10.0, 20.0, 30.0]) == [10.0, 20.0, 10.0, 30.0, 20.0, 10.0]
    # Rows checked item by item (a generator) are collapsed the same way.
    lazy = _backend.load("python", [("frequency", iter(frequency)), *arguments[1:]])
    assert (lazy.columns, lazy.spread) == (histories.columns, histories.spread)
    distinct = _backend.load("python", [(name, values[:2]) for name, values in arguments])
    assert distinct.spread is None
    assert distinct.listed([1.0, 2.0]) == [1.0, 2.0]


@pytest.mark.parametrize("name", list(MODELS))
def test_the_lifetime_value_shares_p_alive_across_periods(name):
    """The shared computation equals the period-by-period sum of forecasts (any model object)."""
    model = MODELS[name]

    class Wrapped:
        """A purchase model crmcore does not know: it is asked one forecast per period."""

        def expected_purchases(self, t, frequency, recency, T):  # noqa: N803
            return model.expected_purchases(t, frequency, recency, T, backend="python")

    columns = (FREQUENCY, RECENCY, AGE, SPEND)
    options = {"horizon": 26, "discount_rate": 0.01, "margin": 0.3}
    shared = customer_lifetime_value(model, GG, *columns, **options, backend="python")
    generic = customer_lifetime_value(Wrapped(), GG, *columns, **options)
    assert close(shared, generic, rel=1e-13)


def test_bgbb_predictions_are_per_history():
    """BG/BB: the list equals one call per history; the lifetime value the period sum."""
    rows = [(0, 0, 6), (2, 4, 6), (2, 4, 6), (6, 6, 6), (1, 1, 3)]
    x, t_x, n = (list(c) for c in zip(*rows, strict=True))
    assert BGBB.probability_alive(x, t_x, n, backend="python") == [
        BGBB.probability_alive(*row, backend="python") for row in rows
    ]
    assert BGBB.expected_purchases(4, x, t_x, n, backend="python") == [
        BGBB.expected_purchases(4, *row, backend="python") for row in rows
    ]
    value = customer_lifetime_value(BGBB, GG, 2, 4, 6, 20.0, horizon=3, discount_rate=0.1)
    steps = [BGBB.expected_purchases(k, 2, 4, 6) for k in range(4)]
    by_hand = sum((steps[k] - steps[k - 1]) / 1.1**k for k in range(1, 4))
    assert pytest.approx(GG.expected_average_spend(2, 20.0) * by_hand, rel=1e-13) == value


# -- the same checks on every path -----------------------------------------------------------


BAD_COLUMNS = [
    (([1, True, 0], [1.0, 1.0, 0.0], [5.0, 5.0, 5.0]), "$.frequency[1]", "type"),
    (([1, "2", 0], [1.0, 1.0, 0.0], [5.0, 5.0, 5.0]), "$.frequency[1]", "type"),
    (([1, 2, 0], [1.0, math.nan, 0.0], [5.0, 5.0, 5.0]), "$.recency[1]", "not_finite"),
    (([1, 2, 0], [1.0, 1.0, 0.0], [5.0, math.inf, 5.0]), "$.T[1]", "not_finite"),
    (([1, 2, 0], [1.0, 1.0, 0.0], [5.0, 5.0, 10**400]), "$.T[2]", "not_finite"),
    (([1, 2, 0], [1.0, 7.0, 0.0], [5.0, 5.0, 5.0]), "$.recency[1]", "recency_above_T"),
    (([1, 2.5, 0], [1.0, 1.0, 0.0], [5.0, 5.0, 5.0]), "$.frequency[1]", "not_whole"),
    (([1, 2, 0], [1.0, 1.0, 3.0], [5.0, 5.0, 5.0]), "$.recency[2]", "recency_without_purchases"),
    (([1, 2, 0], [1.0, 1.0], [5.0, 5.0, 5.0]), "$.recency", "length_mismatch"),
    (([1, 2, 0], [1.0, 1.0, 0.0], [5.0, 5.0, -1.0]), "$.T[2]", "negative"),
    (([[1], 2], [1.0, 1.0], [5.0, 5.0]), "$.frequency[0]", "type"),
    (("123", [1.0], [5.0]), "$.frequency", "type"),
]


def _errors(call):
    with pytest.raises(ValidationError) as caught:
        call()
    return type(caught.value), [(p.path, p.code) for p in caught.value.problems]


@pytest.mark.parametrize(("columns", "path", "code"), BAD_COLUMNS)
def test_the_pure_path_names_the_first_bad_row(columns, path, code):
    """Bulk checks that fail fall back to row-by-row ones: the same index, the same code."""
    with pytest.raises(ValidationError) as caught:
        MODELS["BetaGeo"].probability_alive(*columns, backend="python")
    assert (path, code) == (caught.value.path, caught.value.code)


def test_every_bad_row_is_still_reported():
    """Several broken rows (among repeated good ones) are all listed, in order."""
    frequency = [1] * 50 + [-1, 1, -3]
    with pytest.raises(ValidationError) as caught:
        MODELS["BetaGeo"].probability_alive(frequency, 0.5, 5.0, backend="python")
    assert ["$.frequency[50]", "$.frequency[52]"] == [p.path for p in caught.value.problems]


@pytest.mark.parametrize("backend", [1, None, "fast", "NUMPY"])
def test_the_backend_is_checked(backend):
    """Anything but 'auto', 'python' or 'numpy' is refused at $.backend."""
    with pytest.raises(ValidationError) as caught:
        MODELS["BetaGeo"].probability_alive(2, 30.43, 38.86, backend=backend)
    assert "$.backend" == caught.value.path
    assert isinstance(caught.value, InvalidType) == (not isinstance(backend, str))


def test_without_numpy_auto_is_pure_and_numpy_is_refused(monkeypatch):
    """Without numpy, 'auto' computes in pure Python and 'numpy' is refused (unavailable)."""
    monkeypatch.setitem(sys.modules, "numpy", None)  # import numpy now raises ImportError
    model = MODELS["BetaGeo"]
    rows = ([2] * 300, [30.43] * 300, [38.86] * 300)
    assert model.probability_alive(*rows) == model.probability_alive(*rows, backend="python")
    with pytest.raises(ValidationError) as caught:
        model.probability_alive(*rows, backend="numpy")
    assert ("$.backend", "unavailable") == (caught.value.path, caught.value.code)


def test_numpy_is_never_imported_unless_asked_for():
    """Importing crmcore.clv and predicting a few rows leaves numpy unimported."""
    code = (
        "import sys\n"
        "from crmcore.clv import BetaGeo, ParetoNBD, predict\n"
        "model = BetaGeo(params={'r': 0.243, 'alpha': 4.414, 'a': 0.793, 'b': 2.426})\n"
        "model.probability_alive([2, 0], [30.43, 0.0], [38.86, 38.86])\n"
        "model.expected_purchases(39, [2] * 300, 30.43, 38.86, backend='python')\n"
        "print('numpy' in sys.modules)"
    )
    result = subprocess.run(  # noqa: S603 - this interpreter on fixed code.
        [sys.executable, "-c", code], capture_output=True, text=True, check=True
    )
    assert "False" == result.stdout.strip()


# -- the numpy path --------------------------------------------------------------------------


@pytest.mark.parametrize("name", list(MODELS))
def test_the_numpy_path_agrees_with_the_pure_one(np, name):
    """P(alive), forecasts and lifetime values agree to 1e-12 on every edge case."""
    model = MODELS[name]
    columns = (FREQUENCY, RECENCY, AGE)
    for backend_input in (columns, [np.asarray(c, dtype=float) for c in columns]):
        assert close(
            model.probability_alive(*columns, backend="python"),
            model.probability_alive(*backend_input, backend="numpy"),
        )
        for span in (0, 0.5, 39, 5000.0):
            assert close(
                model.expected_purchases(span, *columns, backend="python"),
                model.expected_purchases(span, *backend_input, backend="numpy"),
            )
    options = {"horizon": 52, "discount_rate": 0.002, "margin": 0.4}
    assert close(
        customer_lifetime_value(model, GG, *columns, SPEND, **options, backend="python"),
        customer_lifetime_value(model, GG, *columns, SPEND, **options, backend="numpy"),
    )


@pytest.mark.parametrize("cls", [BetaGeo, ModifiedBetaGeo])
@pytest.mark.parametrize("b", [0.3, 1.0, 2.426])
@pytest.mark.parametrize("a", [0.793, 1e-20])
def test_p_alive_agrees_across_the_whole_range_of_log_odds(np, cls, b, a):
    """From certain death to certain life (log-odds far beyond +-745), both sides of zero.

    The numpy path must give what the scalar one gives where ``exp`` of the
    odds overflows (0 on both), where it underflows, and for BG/NBD's
    customers without repeat purchases (alive by definition, even where
    ``b <= 1`` makes the odds undefined).
    """
    model = cls(params={"r": 0.243, "alpha": 4.414, "a": a, "b": b})
    rows = [
        (x, fraction * age, age)
        for x in (0, 1, 2, 10, 100, 1000, 5000)
        for age in (0.01, 1.0, 38.86, 1000.0, 100000.0)
        for fraction in ((0.0,) if x == 0 else (0.0, 0.001, 0.5, 0.999, 1.0))
    ]
    x, t_x, age = ([row[i] for row in rows] for i in range(3))
    pure = model.probability_alive(x, t_x, age, backend="python")
    assert close(pure, model.probability_alive(x, t_x, age, backend="numpy"))
    assert min(pure) == 0.0  # the odds of having dropped out overflow: 0 on both paths
    if a < 1e-10:  # and far below zero, where 1 + exp(d) rounds to 1
        assert max(pure) == 1.0
    else:
        assert 0.0 < pure[rows.index((1, 0.5, 1.0))] < 1.0
    if cls is BetaGeo:
        assert all(p == 1.0 for p, row in zip(pure, rows, strict=True) if row[0] == 0)


def test_the_numpy_path_agrees_on_cdnow(np, cdnow):
    """Every CDNOW customer, published parameters: the two paths agree to 1e-12."""
    x, t_x, age, spend = cdnow
    for model in (MODELS["BetaGeo"], MODELS["ModifiedBetaGeo"], MODELS["ParetoNBD"]):
        assert close(
            model.probability_alive(x, t_x, age, backend="python"),
            model.probability_alive(x, t_x, age, backend="numpy"),
        )
        assert close(
            model.expected_purchases(39, x, t_x, age, backend="python"),
            model.expected_purchases(39, x, t_x, age, backend="numpy"),
        )
        options = {"horizon": 52, "discount_rate": 0.0018, "margin": 0.3}
        assert close(
            customer_lifetime_value(model, GG, x, t_x, age, spend, **options, backend="python"),
            customer_lifetime_value(model, GG, x, t_x, age, spend, **options, backend="numpy"),
        )


def test_the_numpy_path_agrees_on_bgbb(np):
    """BG/BB histories, duplicated, through both paths."""
    x, t_x, n = [0, 2, 2, 6, 1, 3], [0, 4, 4, 6, 1, 5], [6, 6, 6, 6, 3, 11]
    assert close(
        BGBB.probability_alive(x, t_x, n, backend="python"),
        BGBB.probability_alive(x, t_x, n, backend="numpy"),
    )
    assert close(
        BGBB.expected_purchases(5, x, t_x, n, backend="python"),
        BGBB.expected_purchases(5, np.asarray(x), np.asarray(t_x), np.asarray(n), backend="numpy"),
    )
    spend = [0.0, 20.0, 20.0, 15.0, 8.0, 30.0]
    assert close(
        customer_lifetime_value(BGBB, GG, x, t_x, n, spend, horizon=7, discount_rate=0.1),
        customer_lifetime_value(
            BGBB, GG, x, t_x, n, spend, horizon=7, discount_rate=0.1, backend="numpy"
        ),
    )


@pytest.mark.parametrize(("columns", "path", "code"), BAD_COLUMNS)
def test_the_numpy_path_raises_the_same_errors(np, columns, path, code):
    """Bad input is named identically on both paths (class, paths, codes)."""
    model = MODELS["ParetoNBD"]
    pure = _errors(lambda: model.probability_alive(*columns, backend="python"))
    assert pure == _errors(lambda: model.probability_alive(*columns, backend="numpy"))
    assert (path, code) == pure[1][0]


@pytest.mark.parametrize(
    ("make", "path", "code"),
    [
        (lambda np: np.array([1.0, np.nan, 2.0]), "$.frequency[1]", "not_finite"),
        (lambda np: np.array([True, False, True]), "$.frequency[0]", "type"),
        (lambda np: np.array([[1.0, 2.0, 3.0]]), "$.frequency[0]", "type"),
        (lambda np: np.array([1.5, 2.0, 3.0], dtype=np.float32), "$.frequency[0]", "not_whole"),
    ],
)
def test_arrays_are_checked_on_both_paths(np, make, path, code):
    """NaN, booleans, two dimensions and fractions in arrays: the same errors either way."""
    array = make(np)
    for backend in ("python", "numpy"):
        with pytest.raises(ValidationError) as caught:
            MODELS["BetaGeo"].probability_alive(array, [0.0, 1.0, 1.0], 5.0, backend=backend)
        assert (path, code) == (caught.value.path, caught.value.code)


def test_arrays_of_any_numeric_dtype_are_read(np):
    """int, unsigned and float32 arrays give what the same lists give."""
    expected = MODELS["BetaGeo"].probability_alive([0, 2, 5], [0.0, 1.0, 2.0], 5.0)
    for backend in ("python", "numpy"):
        for dtype in (np.int64, np.uint8, np.float32):
            got = MODELS["BetaGeo"].probability_alive(
                np.array([0, 2, 5], dtype=dtype), [0.0, 1.0, 2.0], 5.0, backend=backend
            )
            assert close(expected, got)


def test_auto_uses_numpy_for_large_inputs_only(np, monkeypatch):
    """With numpy installed, 'auto' takes it from AUTO_NUMPY_ROWS rows on."""
    seen = []
    original = _backend._load_arrays
    monkeypatch.setattr(
        _backend, "_load_arrays", lambda *args: seen.append(True) or original(*args)
    )
    model = MODELS["BetaGeo"]
    model.probability_alive([2] * 3, 30.43, 38.86)
    assert [] == seen
    model.probability_alive([2] * _backend.AUTO_NUMPY_ROWS, 30.43, 38.86)
    assert [True] == seen


histories = st.integers(min_value=0, max_value=200).flatmap(
    lambda x: st.tuples(
        st.just(x),
        st.floats(min_value=0.0, max_value=1.0),
        st.floats(min_value=0.1, max_value=1000.0),
    )
)
params = st.lists(
    st.floats(min_value=math.log(1e-2), max_value=math.log(1e2)), min_size=4, max_size=4
)


@given(
    params, st.lists(histories, min_size=1, max_size=20), st.floats(min_value=0.0, max_value=500.0)
)
def test_the_paths_agree_everywhere(np, log_params, rows, span):
    """Random parameters and histories: the numpy path is within 1e-12 of the pure one."""
    values = [math.exp(v) for v in log_params]
    x = [float(r[0]) for r in rows]
    age = [r[2] for r in rows]
    t_x = [0.0 if xi == 0 else r[1] * r[2] for xi, r in zip(x, rows, strict=True)]
    for cls, names in (
        (BetaGeo, ("r", "alpha", "a", "b")),
        (ModifiedBetaGeo, ("r", "alpha", "a", "b")),
        (ParetoNBD, ("r", "alpha", "s", "beta")),
    ):
        model = cls(params=dict(zip(names, values, strict=True)))
        assert close(
            model.probability_alive(x, t_x, age, backend="python"),
            model.probability_alive(x, t_x, age, backend="numpy"),
        )
        assert close(
            model.expected_purchases(span, x, t_x, age, backend="python"),
            model.expected_purchases(span, x, t_x, age, backend="numpy"),
        )


def test_the_spend_model_agrees_and_checks_alike(np):
    """Gamma-Gamma's expected spend on both paths, and its undefined rows named alike."""
    assert close(
        GG.expected_average_spend(FREQUENCY, SPEND, backend="python"),
        GG.expected_average_spend(FREQUENCY, SPEND, backend="numpy"),
    )
    odd = GammaGamma(params={"p": 0.1, "q": 0.5, "v": 1.0})  # p x + q <= 1 for x <= 5
    for backend in ("python", "numpy"):
        with pytest.raises(ValidationError) as caught:
            odd.expected_average_spend([8, 9, 2, 1], [1.0, 2.0, 3.0, 4.0], backend=backend)
        assert ("$.frequency[2]", "undefined_expectation") == (
            caught.value.path,
            caught.value.code,
        )
        with pytest.raises(ValidationError) as caught:
            GG.expected_average_spend(
                [8, 0, 2], [1.0, 2.0, 0.0], backend=backend, nonpositive="refuse"
            )
        assert "$.monetary_value[2]" == caught.value.path


@pytest.mark.parametrize("backend", ["python", "auto"])
def test_empty_columns_give_empty_lists(backend):
    """No rows in, no rows out, on every call."""
    for model in MODELS.values():
        assert [] == model.probability_alive([], [], [], backend=backend)
        assert [] == model.expected_purchases(3, [], [], [], backend=backend)
        assert [] == customer_lifetime_value(
            model, GG, [], [], [], [], horizon=3, discount_rate=0.1, backend=backend
        )


def test_odd_but_valid_columns_take_the_item_by_item_path():
    """Sums that overflow, generators and tuples: checked one by one, predicted the same."""
    model = MODELS["BetaGeo"]
    huge = model.probability_alive([1, 1], [1.0, 1e308], [1e308, 1e308], backend="python")
    assert huge == [
        model.probability_alive(1, 1.0, 1e308),
        model.probability_alive(1, 1e308, 1e308),
    ]
    lazy = model.probability_alive((x for x in FREQUENCY), tuple(RECENCY), AGE)
    assert lazy == model.probability_alive(FREQUENCY, RECENCY, AGE, backend="python")


def test_long_columns_are_refused_before_they_are_read():
    """A lazy sequence longer than the row limit is refused by its length, on the pure path."""
    with pytest.raises(ValidationError) as caught:
        MODELS["BetaGeo"].probability_alive(range(2**62), 0.0, 5.0, backend="python")
    assert ("$.frequency", "too_many") == (caught.value.path, caught.value.code)


def test_at_most_twenty_problems_are_collected():
    """Many bad rows: the first twenty are reported, as row-by-row checks always did."""
    with pytest.raises(ValidationError) as caught:
        MODELS["BetaGeo"].probability_alive([-1] * 30, 0.0, 5.0, backend="python")
    assert 20 == len(caught.value.problems)


# -- numpy arrays in, numpy arrays out -------------------------------------------------------


def _array_calls(np, model, columns, backend):
    """Every prediction of ``model`` on ``columns`` (frequency, recency, T, spend)."""
    x, t_x, age, spend = columns
    options = {"horizon": 13, "discount_rate": 0.01, "margin": 0.5, "backend": backend}
    return {
        "probability_alive": model.probability_alive(x, t_x, age, backend=backend),
        "expected_purchases": model.expected_purchases(7, x, t_x, age, backend=backend),
        "customer_lifetime_value": customer_lifetime_value(model, GG, *columns, **options),
        "expected_average_spend": GG.expected_average_spend(x, spend, backend=backend),
    }


BGBB_COLUMNS = ([0, 2, 2, 6, 1, 3], [0, 4, 4, 6, 1, 5], [6, 6, 6, 6, 3, 11], [0, 20, 20, 15, 8, 30])


@pytest.mark.parametrize("name", [*MODELS, "BetaGeoBetaBinom"])
@pytest.mark.parametrize("backend", ["python", "numpy", "auto"])
def test_arrays_in_give_float64_arrays_out(np, name, backend):
    """Every prediction of every model: numpy arrays in, a float64 array out, on every path.

    The values are those of the same columns as lists (within 1e-12 across paths),
    and a list in still gives a list.
    """
    model = BGBB if name == "BetaGeoBetaBinom" else MODELS[name]
    lists = BGBB_COLUMNS if name == "BetaGeoBetaBinom" else (FREQUENCY, RECENCY, AGE, SPEND)
    arrays = [np.asarray(c, dtype=float) for c in lists]
    from_lists = _array_calls(np, model, lists, backend)
    from_arrays = _array_calls(np, model, arrays, backend)
    for key, values in from_arrays.items():
        assert type(values) is np.ndarray, key
        assert values.dtype == np.float64
        assert values.shape == (len(lists[0]),)
        assert type(from_lists[key]) is list
        assert close(from_lists[key], values.tolist())
    pure = _array_calls(np, model, arrays, "python")
    for key, values in from_arrays.items():
        assert close(pure[key].tolist(), values.tolist())


@pytest.mark.parametrize("backend", ["python", "numpy", "auto"])
def test_only_arrays_give_an_array(np, backend):
    """Numbers beside arrays still give an array; a list or Series among them gives a list."""
    model = MODELS["ModifiedBetaGeo"]
    x = np.array([0.0, 2.0, 5.0])
    assert type(model.probability_alive(x, np.array([0.0, 1.0, 2.0]), 5.0, backend=backend)) is (
        np.ndarray
    )
    assert type(model.probability_alive(x, [0.0, 1.0, 2.0], 5.0, backend=backend)) is list
    assert type(model.probability_alive(x.tolist(), 0.0, 5.0, backend=backend)) is list
    assert type(model.probability_alive(2, 1.0, 5.0, backend=backend)) is float
    assert type(model.probability_alive(np.float64(2), 1.0, 5.0, backend=backend)) is float
    assert type(model.expected_purchases_new(np.array([1.0, 2.0]))) is list  # no histories


@pytest.mark.parametrize("backend", ["python", "numpy"])
def test_the_answer_is_never_an_input_array(np, backend):
    """Changing the answer leaves the caller's arrays alone (and the other way round)."""
    x = np.array([0.0, 2.0, 5.0])
    t_x = np.array([0.0, 1.0, 2.0])
    age = np.array([5.0, 5.0, 5.0])
    spend = np.array([0.0, 10.0, 20.0])
    for model in MODELS.values():
        for out in (
            model.probability_alive(x, t_x, age, backend=backend),
            model.expected_purchases(0, x, t_x, age, backend=backend),
            GG.expected_average_spend(x, spend, backend=backend),
        ):
            assert not any(np.shares_memory(out, column) for column in (x, t_x, age, spend))
    assert x.tolist() == [0.0, 2.0, 5.0]
    assert t_x.tolist() == [0.0, 1.0, 2.0]


@pytest.mark.parametrize("backend", ["python", "numpy", "auto"])
def test_empty_arrays_give_empty_arrays(np, backend):
    """No rows in, an empty float64 array out."""
    empty = np.array([], dtype=float)
    for model in MODELS.values():
        out = model.probability_alive(empty, empty, empty, backend=backend)
        assert type(out) is np.ndarray
        assert out.shape == (0,)
        assert out.dtype == np.float64


def test_the_batch_call_still_gives_lists(np):
    """The batch call's answer is a table of lists, whatever the columns were."""
    from crmcore.clv import predict  # noqa: PLC0415 - beside its only use.

    names = ("frequency", "recency", "T")
    columns = {
        k: np.asarray(v, dtype=float) for k, v in zip(names, (FREQUENCY, RECENCY, AGE), strict=True)
    }
    out = predict(MODELS["BetaGeo"], columns)
    assert type(out["probability_alive"]) is list


def _bad(np, which, index, value, size):
    """Valid CDNOW-like arrays of ``size`` rows with ``value`` at ``columns[which][index]``."""
    x = np.tile(np.array([0.0, 2.0, 1.0, 5.0]), size // 4 + 1)[:size]
    t_x = np.where(x == 0, 0.0, 3.0)
    age = np.full(size, 10.0)
    columns = [x, t_x, age]
    columns[which] = columns[which].copy()
    columns[which][index] = value
    return columns


ARRAY_PROBLEMS = [
    (0, math.nan, "$.frequency[{i}]", "not_finite"),
    (1, math.inf, "$.recency[{i}]", "not_finite"),
    (2, -math.inf, "$.T[{i}]", "not_finite"),
    (0, -1.0, "$.frequency[{i}]", "negative"),
    (0, 2.5, "$.frequency[{i}]", "not_whole"),
    (1, -0.5, "$.recency[{i}]", "negative"),
    (1, 11.0, "$.recency[{i}]", "recency_above_T"),
    (2, -0.5, "$.T[{i}]", "negative"),
    (2, -3.0, "$.T[{i}]", "negative"),
]


@pytest.mark.parametrize("problem", ARRAY_PROBLEMS)
@pytest.mark.parametrize("size", [8, 2 * _backend.BLOCK + 9])
def test_arrays_are_checked_like_lists(np, problem, size):
    """Every rule, on arrays, in the first and in a later block of rows.

    The numpy path checks arrays in bulk (a block of rows at a time); a failure
    is then named exactly as the pure path names it on the same rows as lists:
    the same error class, paths and codes.
    """
    which, value, path, code = problem
    for index in (1, size - 2):
        columns = _bad(np, which, index, value, size)
        expected = path.format(i=index), code
        for model in (MODELS["BetaGeo"], MODELS["ModifiedBetaGeo"], MODELS["ParetoNBD"]):
            pure = _errors(
                lambda m=model, c=columns: m.probability_alive(
                    *(v.tolist() for v in c), backend="python"
                )
            )
            assert expected == pure[1][0]
            for backend in ("python", "numpy"):
                got = _errors(
                    lambda m=model, c=columns, b=backend: m.probability_alive(*c, backend=b)
                )
                assert pure == got


@pytest.mark.parametrize("size", [8, 2 * _backend.BLOCK + 9])
def test_a_recency_without_purchases_is_found_in_any_block(np, size):
    """``x == 0`` with ``t_x > 0`` is refused on arrays as on lists."""
    row = (size - 4) // 4 * 4  # x is 0 at every fourth row
    columns = _bad(np, 1, row, 1.0, size)
    assert columns[0][row] == 0.0
    pure = _errors(lambda: MODELS["BetaGeo"].probability_alive(*(c.tolist() for c in columns)))
    assert (f"$.recency[{row}]", "recency_without_purchases") == pure[1][0]
    assert pure == _errors(lambda: MODELS["BetaGeo"].probability_alive(*columns, backend="numpy"))


def test_arrays_of_unequal_length_are_refused_alike(np):
    """Lengths are compared before anything is computed, with the same error."""
    x, t_x, age = np.array([1.0, 2.0]), np.array([1.0]), np.array([5.0, 5.0])
    pure = _errors(lambda: MODELS["BetaGeo"].probability_alive([1.0, 2.0], [1.0], [5.0, 5.0]))
    assert ("$.recency", "length_mismatch") == pure[1][0]
    for backend in ("python", "numpy"):
        assert pure == _errors(
            lambda b=backend: MODELS["BetaGeo"].probability_alive(x, t_x, age, backend=b)
        )


def test_blocks_change_nothing(np, cdnow):
    """More rows than a block: the numpy path, a block at a time, equals the pure one."""
    x, t_x, age, _ = cdnow
    repeats = 2 * _backend.BLOCK // len(x) + 1
    arrays = [np.asarray(c * repeats, dtype=float) for c in (x, t_x, age)]
    assert len(arrays[0]) > 2 * _backend.BLOCK
    for model in (MODELS["BetaGeo"], MODELS["ModifiedBetaGeo"]):
        fast = model.probability_alive(*arrays, backend="numpy")
        pure = model.probability_alive(*arrays, backend="python")
        assert close(pure.tolist(), fast.tolist())
        assert fast[: len(x)].tolist() == fast[len(x) : 2 * len(x)].tolist()


def test_any_purchase_model_gives_arrays_for_arrays(np):
    """A lifetime value over any object with expected_purchases follows the same rule."""

    class Steady:
        def expected_purchases(self, t, frequency, recency, T):  # noqa: N803
            return [0.1 * t * (1 + x) for x in frequency]

    columns = ([0, 2, 2], [0.0, 1.0, 1.0], [5.0, 5.0, 5.0], [0.0, 10.0, 10.0])
    options = {"horizon": 3, "discount_rate": 0.0}
    from_lists = customer_lifetime_value(Steady(), GG, *columns, **options)
    arrays = [np.asarray(c, dtype=float) for c in columns]
    from_arrays = customer_lifetime_value(Steady(), GG, *arrays, **options)
    assert type(from_lists) is list
    assert type(from_arrays) is np.ndarray
    assert from_lists == from_arrays.tolist()


def test_array_subclasses_are_arrays(np):
    """A memory-mapped or other ndarray subclass counts as an array."""

    class Tagged(np.ndarray):
        pass

    x = np.array([0.0, 2.0, 5.0]).view(Tagged)
    out = MODELS["BetaGeo"].probability_alive(x, np.array([0.0, 1.0, 2.0]), 5.0)
    assert isinstance(out, np.ndarray)
