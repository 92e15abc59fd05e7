"""Floats and numpy scalars in the statistics: read at their shortest decimal representation.

Every property compares a float input with the same values given as
``Decimal(repr(x))``, an independent path through the exact-number code that
existed before floats were accepted. numpy is used when it is installed; under
``CI=true`` a missing numpy fails instead of skipping.
"""

import math
from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from crmcore import InvalidType, Money, ValidationError
from crmcore._kernel._numbers import (
    as_index,
    float_column_decimals,
    float_decimal,
    narrow_decimal,
    narrow_float_format,
    statistic_decimal,
)
from crmcore.clv import (
    SummaryAccumulator,
    accumulate_columns,
    formula_clv,
    summarize,
    summarize_columns,
)
from crmcore.segmentation import score_rfm_columns

START = datetime(2024, 1, 1, tzinfo=UTC)
END = datetime(2024, 3, 1, tzinfo=UTC)


def _not_tiny(x: float) -> float:
    # Below about 1e-83 a float's shortest repr may need more than the 100 digits after
    # the point that exact numbers may carry: refused (too_long), tested on its own.
    return x if abs(x) >= 1e-80 else 0.0


# Amounts as statistics meet them: money-sized floats, negative ones are refunds.
amounts = st.floats(min_value=-1e9, max_value=1e9, allow_nan=False, allow_infinity=False).map(
    _not_tiny
)
rows = st.lists(
    st.tuples(st.sampled_from(["a", "b", "c"]), st.integers(0, 59), amounts),
    max_size=25,
)


def _exact(table):
    return table.to_columns(monetary="decimal")


def _transactions(drawn, convert):
    return [(who, START + timedelta(days=day), convert(amount)) for who, day, amount in drawn]


def _as_decimal(x: float) -> Decimal:
    return Decimal(repr(x))


@given(rows)
def test_summarize_reads_floats_as_their_shortest_decimal(drawn):
    by_float = summarize(_transactions(drawn, float), period="day", observation_end=END)
    by_decimal = summarize(_transactions(drawn, _as_decimal), period="day", observation_end=END)
    assert _exact(by_float) == _exact(by_decimal)


@given(rows)
def test_summarize_columns_reads_a_float_column_as_summarize_reads_decimals(drawn):
    ids = [who for who, _, _ in drawn]
    times = [START + timedelta(days=day) for _, day, _ in drawn]
    floats = [amount for _, _, amount in drawn]
    by_float = summarize_columns(ids, times, floats, period="day", observation_end=END)
    by_rows = summarize(_transactions(drawn, _as_decimal), period="day", observation_end=END)
    assert _exact(by_float) == _exact(by_rows)


@given(rows)
def test_period_total_columns_take_floats(drawn):
    ids = [who for who, _, _ in drawn]
    keys = [day for _, day, _ in drawn]
    bought = [abs(amount) for _, _, amount in drawn]
    back = [-abs(amount) for _, _, amount in drawn]
    by_float, _ = SummaryAccumulator.from_period_total_columns(
        ids, keys, bought, back, period="day", tz=UTC
    )
    by_decimal, _ = SummaryAccumulator.from_period_total_columns(
        ids,
        keys,
        list(map(_as_decimal, bought)),
        list(map(_as_decimal, back)),
        period="day",
        tz=UTC,
    )
    assert list(by_float.period_totals()) == list(by_decimal.period_totals())


def test_the_issue_example_works():
    table = summarize([("c1", START, 10.5)], period="day", observation_end=END)
    assert _exact(table)["customer_id"] == ["c1"]
    state = SummaryAccumulator(period="day", tz=UTC)
    state.add("c1", START, 0.1)
    state.add("c1", START, 0.2)
    # 0.1 + 0.2 as decimals, not as binary floats (0.30000000000000004).
    assert next(iter(state.period_totals()))[2] == Decimal("0.3")


def test_formula_clv_takes_float_rates():
    usd = Money("50", "USD")
    by_float = formula_clv(usd, purchases_per_year=2.5, retention_years=3, gross_margin=0.3)
    by_text = formula_clv(usd, purchases_per_year="2.5", retention_years=3, gross_margin="0.3")
    assert by_float == by_text


@given(st.lists(amounts.map(abs), min_size=1, max_size=12))
def test_rfm_columns_take_floats(spends):
    ids = [f"c{index}" for index in range(len(spends))]
    days = list(range(len(spends)))
    counts = [1] * len(spends)
    by_float = score_rfm_columns(ids, days, counts, spends)
    by_decimal = score_rfm_columns(ids, days, counts, [str(_as_decimal(x)) for x in spends])
    assert by_float == by_decimal


# -- refusals -------------------------------------------------------------------------------


@pytest.mark.parametrize("bad", [math.nan, math.inf, -math.inf])
def test_summarize_refuses_nan_and_infinity_naming_the_item(bad):
    with pytest.raises(ValidationError) as caught:
        summarize([("a", START, 1.0), ("a", START, bad)], period="day", observation_end=END)
    assert (caught.value.path, caught.value.code) == ("$.transactions[1].amount", "not_finite")


@pytest.mark.parametrize(("bad", "code"), [(math.inf, "not_finite"), (math.nan, "required")])
def test_a_float_column_refuses_infinity_and_takes_nan_for_a_null(bad, code):
    # In a column, NaN is how pandas marks a missing value: it is a null there.
    with pytest.raises(ValidationError) as caught:
        summarize_columns(["a", "b"], [START] * 2, [1.5, bad], period="day", observation_end=END)
    assert (caught.value.path, caught.value.code) == ("$.amount[1]", code)


def test_a_float_column_with_extreme_magnitudes_is_checked_row_by_row():
    with pytest.raises(ValidationError) as caught:
        summarize_columns(["a", "b"], [START] * 2, [1.5, 1e300], period="day", observation_end=END)
    assert (caught.value.path, caught.value.code) == ("$.amount[1]", "too_long")
    with pytest.raises(ValidationError) as caught:
        summarize_columns(
            ["a"], [START], [1.669298039329414e-196], period="day", observation_end=END
        )
    assert (caught.value.path, caught.value.code) == ("$.amount[0]", "too_long")
    tiny = summarize_columns(["a"], [START], [1e-90], period="day", observation_end=END)
    assert _exact(tiny)["customer_id"] == ["a"]  # one digit: within the bound
    small = summarize_columns(["a"], [START], [-0.0, 1e-5][1:], period="day", observation_end=END)
    assert _exact(small)["customer_id"] == ["a"]


def test_minor_units_stay_integers():
    with pytest.raises(InvalidType) as caught:
        summarize_columns(
            ["a"], [START], [150.0], period="day", observation_end=END, amount_scale=2
        )
    assert caught.value.code == "float"


def test_money_stays_float_free():
    with pytest.raises(InvalidType):
        Money(10.5, "USD")


@pytest.mark.parametrize("bad", [[1], b"1", object(), True])
def test_other_types_are_refused_with_their_path(bad):
    with pytest.raises(InvalidType) as caught:
        statistic_decimal(bad, "$.amount")
    assert caught.value.path == "$.amount"


# -- the converters ----------------------------------------------------------------------------


@given(st.floats(allow_nan=False, allow_infinity=False, min_value=-1e98, max_value=1e98))
def test_statistic_decimal_is_decimal_of_repr(x):
    if x != 0 and abs(x) < 1e-83:
        return  # beyond the 100 digits exact numbers may carry: refused, tested below
    assert statistic_decimal(x, "$") == Decimal(repr(x))
    assert float(statistic_decimal(x, "$")) == x  # the shortest repr reads back exactly
    assert float_column_decimals([x]) == [Decimal(repr(x))]


def test_exact_inputs_are_read_as_before():
    assert statistic_decimal("1.50", "$") == Decimal("1.50")
    assert statistic_decimal(7, "$") == Decimal(7)
    assert statistic_decimal(Decimal("2.5"), "$") == Decimal("2.5")

    class Cents(int):
        pass

    assert statistic_decimal(Cents(3), "$") == Decimal(3)


def test_float_subclasses_use_the_float_repr():
    class Price(float):
        def __repr__(self) -> str:
            return "Price!"

    assert statistic_decimal(Price(0.1), "$") == Decimal("0.1")
    assert float_decimal(Price(2.5), "$") == Decimal("2.5")


def test_bulk_column_declines_what_needs_a_row_check():
    assert float_column_decimals([]) == []
    assert float_column_decimals([1.0, math.inf]) is None
    assert float_column_decimals([1e99]) is None
    assert float_column_decimals([-1e99]) is None
    assert float_column_decimals([1e-90]) is None
    assert float_column_decimals([0.0, -0.0, 0.5]) == [
        Decimal("0.0"),
        Decimal("-0.0"),
        Decimal("0.5"),
    ]


def test_narrow_floats_read_at_their_own_precision():
    assert narrow_decimal(0.10000000149011612, "f", "$") == Decimal("0.1")
    assert narrow_decimal(0.0999755859375, "e", "$") == Decimal("0.1")
    # A value that is not a float32 after all keeps its double repr.
    assert narrow_decimal(0.1, "f", "$") == Decimal("0.1")
    with pytest.raises(ValidationError) as caught:
        narrow_decimal(math.inf, "f", "$.x")
    assert caught.value.code == "not_finite"


def test_narrow_value_beyond_single_precision_falls_back():
    with pytest.raises(ValidationError) as caught:
        narrow_decimal(1e300, "f", "$.x")  # beyond float32: read as a double, too long
    assert caught.value.code == "too_long"


def test_narrow_format_of_plain_columns():
    import array  # noqa: PLC0415

    assert narrow_float_format(array.array("f", [0.5])) == "f"
    assert narrow_float_format(array.array("d", [0.5])) is None
    assert narrow_float_format([0.5]) is None
    assert narrow_float_format(range(3)) is None


def test_array_array_float32_column_is_read_at_single_precision():
    import array  # noqa: PLC0415

    column = array.array("f", [0.1, 2.3])
    table = summarize_columns(
        ["a", "a"], [START, START + timedelta(days=3)], column, period="day", observation_end=END
    )
    exact = summarize(
        [("a", START, Decimal("0.1")), ("a", START + timedelta(days=3), Decimal("2.3"))],
        period="day",
        observation_end=END,
    )
    assert _exact(table) == _exact(exact)


# -- numpy -------------------------------------------------------------------------------------


def test_numpy_scalars(np):
    assert statistic_decimal(np.float32(0.1), "$") == Decimal("0.1")
    assert statistic_decimal(np.float16(0.1), "$") == Decimal("0.1")
    assert statistic_decimal(np.float64(0.1), "$") == Decimal("0.1")
    assert statistic_decimal(np.int64(-7), "$") == Decimal(-7)
    assert statistic_decimal(np.uint8(200), "$") == Decimal(200)
    assert statistic_decimal(np.array(2.5), "$") == Decimal("2.5")
    assert as_index(np.int32(4)) == 4
    assert type(as_index(np.int32(4))) is int
    assert as_index(np.float32(4)) == np.float32(4)
    with pytest.raises(InvalidType):
        statistic_decimal(np.bool_(True), "$.amount")
    with pytest.raises(InvalidType):
        statistic_decimal(np.array([1.0]), "$.amount")
    for bad in (np.float32("nan"), np.float64("inf"), np.float16("-inf")):
        with pytest.raises(ValidationError) as caught:
            statistic_decimal(bad, "$.amount")
        assert caught.value.code == "not_finite"


@given(
    st.lists(
        st.floats(width=32, allow_nan=False, allow_infinity=False, min_value=-1e6, max_value=1e6),
        max_size=10,
    )
)
def test_numpy_float32_scalars_and_columns_match_their_str(np, drawn):
    values = np.array(drawn, dtype=np.float32)
    ids = ["a"] * len(drawn)
    times = [START + timedelta(days=day) for day in range(len(drawn))]
    exact = [Decimal(str(value)) for value in values]
    by_column = summarize_columns(ids, times, values, period="day", observation_end=END)
    by_scalars = summarize(
        list(zip(ids, times, list(values), strict=True)), period="day", observation_end=END
    )
    by_exact = summarize(
        list(zip(ids, times, exact, strict=True)), period="day", observation_end=END
    )
    assert _exact(by_column) == _exact(by_exact) == _exact(by_scalars)


def test_numpy_columns_and_scalars_in_summaries(np):
    ids = np.array(["a", "a", "b"])
    times = [START, START + timedelta(days=2), START]
    amounts = np.array([10.5, 0.1, 3.0])
    by_column = summarize_columns(ids, times, amounts, period="day", observation_end=END)
    scalars = list(
        zip(ids.tolist(), times, [np.float64(10.5), np.float32(0.1), np.int64(3)], strict=True)
    )
    by_scalars = summarize(scalars, period="day", observation_end=END)
    exact = list(
        zip(ids.tolist(), times, [Decimal("10.5"), Decimal("0.1"), Decimal(3)], strict=True)
    )
    assert (
        _exact(by_column)
        == _exact(by_scalars)
        == _exact(summarize(exact, period="day", observation_end=END))
    )
    acc = SummaryAccumulator(period="day", tz=UTC)
    accumulate_columns(acc, ids, times, amounts.astype(np.float32))
    assert _exact(acc.summarize(observation_end=END)) == _exact(by_column)
