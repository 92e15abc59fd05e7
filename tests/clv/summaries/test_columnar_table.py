"""Tests for `SummaryTable.from_columns` and `to_columns(monetary="decimal")`: an exact round trip."""

import math
from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st
from tests._columns_forms import optional

from crmcore import InvalidType, ValidationError
from crmcore.clv import SummaryTable, summarize

EPOCH = datetime(2024, 1, 1, tzinfo=UTC)
END = datetime(2024, 12, 31, tzinfo=UTC)
NAIVE = datetime(2024, 1, 1)  # noqa: DTZ001 - naive on purpose: it must be refused.


@st.composite
def tables(draw):
    rows = draw(
        st.lists(
            st.tuples(st.integers(0, 9), st.integers(0, 360), st.integers(-2_000, 20_000)),
            max_size=40,
        )
    )
    period = draw(st.sampled_from(["day", "week", "month"]))
    unit = "week" if period == "day" and draw(st.booleans()) else None
    split = EPOCH + timedelta(days=draw(st.integers(0, 365))) if draw(st.booleans()) else None
    transactions = [(c, EPOCH + timedelta(days=d), Decimal(a).scaleb(-2)) for c, d, a in rows]
    return summarize(
        transactions, period=period, unit=unit, observation_end=END, calibration_end=split
    )


def rebuild(table, columns, **extra):
    return SummaryTable.from_columns(
        columns,
        period=table.period,
        unit=table.unit,
        observation_end=table.observation_end,
        calibration_end=table.calibration_end,
        currency=table.currency,
        **extra,
    )


@given(tables())
def test_decimal_columns_round_trip_exactly(table):
    columns = table.to_columns(monetary="decimal")
    again = rebuild(table, columns)
    assert list(again) == list(table)
    assert dict(again) == dict(table)
    for customer, summary in table.items():
        assert repr(again[customer]) == repr(summary)
    assert again.to_columns() == table.to_columns()
    assert (again.period, again.unit, again.calibration_end) == (
        table.period,
        table.unit,
        table.calibration_end,
    )


@given(tables())
def test_float_columns_are_unchanged(table):
    floats = table.to_columns()
    exact = table.to_columns(monetary="decimal")
    assert floats["monetary_value"] == [float(value) for value in exact["monetary_value"]]
    assert floats["recency"] == [float(value) for value in exact["recency"]]


def test_columns_from_dataframe_libraries():
    pa = optional("pyarrow")
    pl = optional("polars")
    columns = {
        "customer_id": pa.array([1, 2]),
        "frequency": pl.Series([2, 0]),
        "recency": pa.array([5, 0]),
        "T": pl.Series([9, 3]),
        "monetary_value": pa.array([Decimal("12.50"), Decimal(0)]),
    }
    table = SummaryTable.from_columns(columns, period="week", observation_end=END, currency="EUR")
    assert (table[1].frequency, table[1].monetary_value, table.currency) == (
        2,
        Decimal("12.50"),
        "EUR",
    )


def error_of(columns, **options):
    options = {"period": "week", "observation_end": END, **options}
    with pytest.raises(ValidationError) as caught:
        SummaryTable.from_columns(columns, **options)
    return caught.value.path, caught.value.code


GOOD = {
    "customer_id": ["a", "b"],
    "frequency": [1, 0],
    "recency": [2, 0],
    "T": [3, 3],
    "monetary_value": [Decimal(1), Decimal(0)],
}


def test_bad_columns_are_refused():
    assert error_of({**GOOD, "T": [3]}) == ("$.columns.T", "length_mismatch")
    assert error_of({**GOOD, "recency": [2, None]}) == ("$.columns.recency[1]", "required")
    assert error_of({**GOOD, "recency": [2, math.nan]}) == ("$.columns.recency[1]", "required")
    assert error_of({**GOOD, "monetary_value": [1.0, 0.0]}) == (
        "$.columns.monetary_value[0]",
        "type",
    )
    assert error_of({**GOOD, "frequency": ["1", 0]}) == ("$.columns.frequency[0]", "type")
    assert error_of({**GOOD, "recency": [9, 0]}) == ("$.columns.recency[0]", "recency_above_t")
    assert error_of({**GOOD, "customer_id": ["a", "a"]}) == (
        "$.columns.customer_id[1]",
        "duplicate",
    )
    assert error_of({**GOOD, "customer_id": [["a"], "b"]}) == ("$.columns.customer_id[0]", "type")
    assert error_of({**GOOD, "extra": [1, 2]}) == ("$.columns", "unknown_field")
    assert error_of({key: value for key, value in GOOD.items() if key != "T"}) == (
        "$.columns.T",
        "required",
    )
    assert error_of(GOOD, calibration_end=END) == ("$.columns.frequency_holdout", "required")
    assert error_of(GOOD, unit="month") == ("$.unit", "unit")
    assert error_of(GOOD, period="year") == ("$.period", "choice")
    assert error_of(GOOD, observation_end=NAIVE) == (
        "$.observation_end",
        "naive_datetime",
    )
    assert error_of(GOOD, currency="XXQ")[0] == "$.currency"
    with pytest.raises(InvalidType):
        SummaryTable.from_columns([("a", 1)], period="week", observation_end=END)
    table = SummaryTable.from_columns(GOOD, period="day", unit="week", observation_end=END)
    assert table.unit == "week"
    with pytest.raises(ValidationError) as caught:
        table.to_columns(monetary="exact")
    assert (caught.value.path, caught.value.code) == ("$.monetary", "choice")
