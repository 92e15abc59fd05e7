"""Review of floats, columns and fitted parameters (issue 21): hostile inputs and regressions.

Each float is checked against the same value given as ``Decimal(repr(x))`` through
every entry point (an independent path: the exact-number code that predates
floats); extreme floats must be refused alike everywhere, naming the row and never
echoing the value. Under ``CI=true`` a missing numpy, pandas, polars or pyarrow
fails instead of skipping.
"""

import copy
import json
import math
import pickle
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal

import pytest
from tests._optional import in_ci

from crmcore import InvalidType, Money, ValidationError
from crmcore._kernel._numbers import rows_to_columns, statistic_decimal
from crmcore.analytics import cohort_retention, purchase_summary, retention_by_period
from crmcore.clv import (
    BetaGeo,
    SummaryAccumulator,
    accumulate_columns,
    expected_repeat_transactions,
    formula_clv,
    goodness_of_fit,
    summarize,
    summarize_columns,
)
from crmcore.clv.models._base import ParamMap
from crmcore.segmentation import rfm_values, score_rfm, score_rfm_columns, summarize_segments
from crmcore.serialization import from_dict, to_dict

START = datetime(2024, 1, 1, tzinfo=UTC)
END = datetime(2024, 3, 1, tzinfo=UTC)
IDS = ["a", "a", "b"]
TIMES = [START, START + timedelta(days=3), START + timedelta(days=5)]


def _library(name):
    try:
        return pytest.importorskip(name)
    except pytest.skip.Exception:  # pragma: no cover - installed by the test extra
        if in_ci():
            pytest.fail(f"{name} is not installed: CI installs it with the test extra")
        raise


def _outcome(call):
    try:
        return ("ok", call())
    except (ValidationError, InvalidType) as error:
        return ("error", type(error).__name__, error.path, error.code)


def _every_path(amounts):
    """The same three transactions through every statistics entry point."""

    def exact(table):
        return table.to_columns(monetary="decimal")

    def accumulated():
        state = SummaryAccumulator(period="day", tz=UTC)
        state.extend(list(zip(IDS, TIMES, amounts, strict=True)))
        return list(state.period_totals())

    def accumulated_columns():
        state = SummaryAccumulator(period="day", tz=UTC)
        accumulate_columns(state, IDS, TIMES, amounts)
        return list(state.period_totals())

    def added():
        state = SummaryAccumulator(period="day", tz=UTC)
        for row in zip(IDS, TIMES, amounts, strict=True):
            state.add(*row)
        return list(state.period_totals())

    rows = list(zip(IDS, TIMES, amounts, strict=True))
    return {
        "summarize": _outcome(lambda: exact(summarize(rows, period="day", observation_end=END))),
        "columns": _outcome(
            lambda: exact(summarize_columns(IDS, TIMES, amounts, period="day", observation_end=END))
        ),
        "extend": _outcome(accumulated),
        "accumulate_columns": _outcome(accumulated_columns),
        "add": _outcome(added),
        "rfm": _outcome(lambda: score_rfm_columns(["x", "y", "z"], [1, 2, 3], [1, 1, 1], amounts)),
    }


# Floats in the range statistics take, edge cases included: signed zero, the bounds of
# the bulk paths (1e-83, 1e99), 17-digit values, one just below the bulk path's bound.
ACCEPTED = [-0.0, 0.0, 1e-84, 1e-83, 1.5e-83, 1 / 3, -2.5, 9.999999999999999e98, 123456789.123]


@pytest.mark.parametrize("x", ACCEPTED)
def test_a_float_and_its_shortest_decimal_agree_on_every_path(x):
    by_float = _every_path([1.0, x, x])
    by_decimal = _every_path([Decimal("1.0"), Decimal(repr(x)), Decimal(repr(x))])
    assert by_float == by_decimal
    assert all(result[0] == "ok" for result in by_float.values())


# Beyond the 100 digits before and after the point exact numbers may carry.
EXTREME = [5e-324, 2.2250738585072014e-308, 1.669298039329414e-196, 1e100, 1e308, -1e308]


@pytest.mark.parametrize("x", EXTREME)
@pytest.mark.parametrize("where", [0, 1])
def test_extreme_floats_are_refused_alike_everywhere_naming_the_row(x, where):
    amounts = [1.0, 1.0, 1.0]
    amounts[where] = x
    results = _every_path(amounts)
    for name, result in results.items():
        assert result[0] == "error", name
        assert result[-1] == "too_long", name
        if name == "add":  # one transaction per call: its argument
            assert result[2] == "$.amount"
        else:
            assert result[2].endswith(f"[{where}]") or f"[{where}]." in result[2], name


def _columns_of(x):
    np = _library("numpy")
    pd = _library("pandas")
    pl = _library("polars")
    pa = _library("pyarrow")
    values = [1.0, x, x]
    return {
        "numpy": np.array(values),
        "pandas": pd.Series(values),
        "pandas Float64": pd.Series(values, dtype="Float64"),
        "polars": pl.Series(values),
        "pyarrow": pa.array(values),
        "pyarrow chunked": pa.chunked_array([values[:1], values[1:]]),
    }


@pytest.mark.parametrize("x", [*ACCEPTED, *EXTREME])
def test_every_column_library_reads_floats_as_a_list_does(x):
    expected = _outcome(
        lambda: summarize_columns(IDS, TIMES, [1.0, x, x], period="day", observation_end=END)
    )
    for name, column in _columns_of(x).items():
        got = _outcome(
            lambda column=column: summarize_columns(
                IDS, TIMES, column, period="day", observation_end=END
            )
        )
        assert got == expected, name


def test_nulls_of_every_library_are_nulls():
    np = _library("numpy")
    pd = _library("pandas")
    pl = _library("polars")
    pa = _library("pyarrow")
    columns = {
        "pandas NA": pd.Series([1.5, pd.NA, 2.0], dtype="Float64"),
        "pandas NA object": pd.Series([1.5, pd.NA, 2.0], dtype=object),
        "pandas NaT": pd.Series([1.5, pd.NaT, 2.0], dtype=object),
        "numpy NaN float32": np.array([1.5, np.nan, 2.0], dtype=np.float32),
        "polars null": pl.Series([1.5, None, 2.0]),
        "pyarrow null": pa.chunked_array([[1.5], [None, 2.0]]),
    }
    for name, column in columns.items():
        with pytest.raises(ValidationError) as caught:
            summarize_columns(IDS, TIMES, column, period="day", observation_end=END)
        assert (caught.value.path, caught.value.code) == ("$.amount[1]", "required"), name
        state = SummaryAccumulator(period="day", tz=UTC)
        report = accumulate_columns(state, IDS, TIMES, column, on_error="skip")
        assert report.skipped == (1,), name
        assert [row[2] for row in state.period_totals()] == [
            Decimal("1.5"),
            Decimal("2.0"),
        ], name


def test_numpy_scalars_of_every_kind():
    np = _library("numpy")
    assert statistic_decimal(np.float16(0.1), "$") == Decimal("0.1")
    assert statistic_decimal(np.float32(0.1), "$") == Decimal("0.1")
    assert statistic_decimal(np.float64(0.1), "$") == Decimal("0.1")
    assert statistic_decimal(np.longdouble("0.1"), "$") == Decimal("0.1")
    assert statistic_decimal(np.uint64(2**64 - 1), "$") == Decimal(2**64 - 1)
    assert statistic_decimal(np.array(2.5), "$") == Decimal("2.5")  # a 0-d array
    assert statistic_decimal(np.float16(-0.0), "$") == Decimal("-0.0")
    for bad, code in [(np.longdouble("1e400"), "too_long"), (np.float32("nan"), "not_finite")]:
        with pytest.raises(ValidationError) as caught:
            statistic_decimal(bad, "$.amount[4]")
        assert (caught.value.path, caught.value.code) == ("$.amount[4]", code)
    for bad in [np.bool_(True), np.complex128(1), np.array([1.0]), np.datetime64("2024-01-01")]:
        with pytest.raises(InvalidType) as caught:
            statistic_decimal(bad, "$.amount")
        assert caught.value.path == "$.amount"


def test_numpy_str_scalars_are_read_as_text():
    # Regression: numpy.str_ (a str subclass) was refused although str is taken.
    np = _library("numpy")
    assert statistic_decimal(np.str_(" 1.5 "), "$") == Decimal("1.5")
    state = SummaryAccumulator(period="day", tz=UTC)
    state.add("a", START, np.str_("2.25"))
    assert [row[2] for row in state.period_totals()] == [Decimal("2.25")]
    with pytest.raises(ValidationError) as caught:
        statistic_decimal(np.str_("abc"), "$.x")
    assert (caught.value.path, caught.value.code) == ("$.x", "decimal")


def test_refusals_never_echo_the_value():
    for bad in [1.2345678912345e300, 7.654321e-300, math.nan, math.inf]:
        with pytest.raises(ValidationError) as caught:
            summarize([("a", START, 1.0), ("a", START, bad)], period="day", observation_end=END)
        assert caught.value.path == "$.transactions[1].amount"
        assert "12345" not in str(caught.value)
        assert "654321" not in str(caught.value)


def test_a_refused_batch_leaves_the_accumulator_as_it_was():
    np = _library("numpy")
    state = SummaryAccumulator(period="day", tz=UTC)
    state.extend([("x", START, 1.0)])
    before = list(state.period_totals())
    batches = [
        lambda: state.extend([("a", START, 1.0), ("b", START, 2.5), ("c", START, math.nan)]),
        lambda: accumulate_columns(state, ["a", "b", "c"], [START] * 3, [1.0, 2.0, math.inf]),
        lambda: accumulate_columns(state, ["a", "b", "c"], [START] * 3, np.array([1.0, 2, 1e300])),
        lambda: accumulate_columns(
            state, ["a", "b", "c"], [START] * 3, np.array([1.0, 2.0, np.inf], dtype=np.float32)
        ),
        lambda: state.add("q", START, 1e300),
    ]
    for batch in batches:
        with pytest.raises(ValidationError):
            batch()
        assert list(state.period_totals()) == before
        assert list(state) == ["x"]


def test_formula_clv_takes_a_float_as_its_decimal():
    usd = Money("50", "USD")
    for rate in [0.0, -0.0, 1 / 3, 0.3]:
        by_float = formula_clv(usd, purchases_per_year=2.5, retention_years=3, gross_margin=rate)
        by_text = formula_clv(
            usd, purchases_per_year="2.5", retention_years=3, gross_margin=repr(rate)
        )
        assert by_float == by_text


# -- to_columns ------------------------------------------------------------------------------


def _orders():
    usd = lambda amount: Money(amount, "USD")  # noqa: E731
    t = lambda month, day: datetime(2026, month, day, tzinfo=UTC)  # noqa: E731
    return [
        ("a", t(1, 3), usd("10")),
        ("b", t(1, 5), usd("25.50")),
        ("a", t(2, 1), usd("5")),
        ("c", t(2, 9), usd("40")),
        ("a", t(3, 2), usd("12")),
    ]


BG = BetaGeo(params={"r": 0.243, "alpha": 4.414, "a": 0.793, "b": 2.426})


def _results():
    scores = score_rfm(rfm_values(_orders(), at=datetime(2026, 4, 1, tzinfo=UTC)))
    frequency = [0] * 30 + [1] * 9 + [2] * 4 + [3] * 2 + [5]
    return {
        "cohorts": cohort_retention(_orders()).to_columns(),
        "purchases": purchase_summary(_orders()).to_columns(),
        "retention": rows_to_columns(retention_by_period(_orders())),
        "rfm": rows_to_columns(scores),
        "segments": rows_to_columns(summarize_segments(scores)),
        "fit": goodness_of_fit(BG, frequency, [38.86] * len(frequency), parameters=0).to_columns(),
        "curve": expected_repeat_transactions(BG, [0.0, 1.0], 3).to_columns(),
        "formula": formula_clv(
            Money("50", "USD"), purchases_per_year=2.5, retention_years=2, gross_margin=0.3
        ).to_columns(),
    }


PLAIN = (int, float, str, bool, type(None), date, list)


def test_every_result_gives_equal_plain_columns_in_snake_case():
    for name, columns in _results().items():
        assert len({len(values) for values in columns.values()}) == 1, name
        for column, values in columns.items():
            assert column.isidentifier(), (name, column)
            assert column == column.lower() or column == "T", (name, column)
            # Never a Decimal, Money or datetime: numbers, text, dates, None, lists.
            assert all(isinstance(value, PLAIN) for value in values), (name, column)
        back = json.loads(json.dumps(columns, default=str))  # dates as ISO 8601 text
        assert list(back) == list(columns), name


def test_every_result_round_trips_through_pandas_and_polars():
    pd = _library("pandas")
    pl = _library("polars")
    for name, columns in _results().items():
        rows = len(next(iter(columns.values())))
        plain = {k: v for k, v in columns.items() if not isinstance(v[0], list)}
        assert pd.DataFrame(columns).shape == (rows, len(columns)), name
        assert pl.DataFrame(plain, strict=False).shape == (rows, len(plain)), name


# -- ParamMap --------------------------------------------------------------------------------


def test_equal_params_hash_alike_in_any_order():
    # Regression: the hash followed the items' order while == ignores it.
    one = ParamMap([("r", 0.25), ("alpha", 4.0)])
    two = ParamMap([("alpha", 4.0), ("r", 0.25)])
    assert one == two
    assert hash(one) == hash(two)
    assert len({one, two}) == 1
    assert one == {"alpha": 4.0, "r": 0.25} == one
    assert not (one != {"alpha": 4.0, "r": 0.25})  # noqa: SIM202 - testing __ne__
    assert one != {"r": 0.25}
    assert repr(one) == "{'r': 0.25, 'alpha': 4.0}"


def test_params_refuse_every_change():
    params = BG.params
    changes = [
        lambda: params.__setitem__("r", 1.0),
        lambda: params.__delitem__("r"),
        lambda: params.update(r=1.0),
        lambda: params.setdefault("x", 1.0),
        lambda: params.pop("r"),
        params.popitem,
        params.clear,
        lambda: params.__ior__({"r": 1.0}),
        lambda: ParamMap.fromkeys(["r"], 1.0),  # a plain TypeError before
    ]
    for change in changes:
        with pytest.raises(InvalidType) as caught:
            change()
        assert caught.value.path == "$.params"
    params.__init__([("r", 99.0)])  # regression: __init__ again refilled the dict
    assert params == {"r": 0.243, "alpha": 4.414, "a": 0.793, "b": 2.426}
    merged = params | {"r": 1.0}  # a new plain dict; the params stay
    assert type(merged) is dict
    assert params["r"] == 0.243


def test_params_copy_pickle_and_serialize():
    params = BG.params
    for protocol in range(pickle.HIGHEST_PROTOCOL + 1):
        back = pickle.loads(pickle.dumps(params, protocol=protocol))  # noqa: S301 - own data
        assert type(back) is ParamMap
        assert back == params
        assert hash(back) == hash(params)
    assert copy.copy(params) is params
    assert copy.deepcopy(params) is params
    assert json.loads(json.dumps(params)) == params
    model = from_dict(BetaGeo, json.loads(json.dumps(to_dict(BG))))
    assert model == BG
    assert hash(model) == hash(BG)
    assert pickle.loads(pickle.dumps(BG)) == BG  # noqa: S301 - own data
    rebuilt = BetaGeo(params=json.loads(json.dumps(BG.params)))
    args = (10.0, 2, 30.0, 38.0)
    assert rebuilt.expected_purchases(*args) == BG.expected_purchases(*args)
