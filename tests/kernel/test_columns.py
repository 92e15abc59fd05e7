"""Tests for `crmcore._kernel._columns`: columns from lists, buffers, numpy, pandas, polars, pyarrow.

The optional libraries are skipped when missing locally; under ``CI=true`` a missing
one fails the test (the test extra installs them all).
"""

import array
import math
from collections import deque
from datetime import UTC, datetime
from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from crmcore._kernel._columns import (
    MAX_COLUMN_ROWS,
    column_values,
    equal_lengths,
    first_null,
    is_null,
    require_values,
)
from crmcore.errors import InvalidType, ValidationError


def test_the_limit_is_fifty_million():
    assert MAX_COLUMN_ROWS == 50_000_000


def test_a_list_comes_back_as_it_is():
    values = [1, "a", None]
    assert column_values(values, "$.x") is values


@pytest.mark.parametrize(
    "column",
    [
        (1, 2, 3),
        range(1, 4),
        array.array("q", [1, 2, 3]),
        array.array("b", [1, 2, 3]),
        deque([1, 2, 3]),
    ],
)
def test_sequences_and_buffers_read_as_lists(column):
    values = column_values(column, "$.x")
    assert values == [1, 2, 3]
    assert type(values) is list
    assert all(type(v) is int for v in values)


def test_a_float_buffer_reads_floats():
    assert column_values(array.array("d", [0.5, 2.0]), "$.x") == [0.5, 2.0]


def test_a_buffer_of_characters_is_read_as_a_sequence():
    assert column_values(array.array("u", "ab"), "$.x") == ["a", "b"]


@pytest.mark.parametrize(
    "bad",
    [
        "abc",
        b"abc",
        bytearray(b"ab"),
        {"a": 1},
        {1, 2},
        frozenset(),
        iter([1]),
        (x for x in [1]),
        3,
        1.5,
        None,
        object(),
    ],
)
def test_what_is_no_column_is_refused(bad):
    with pytest.raises(InvalidType) as caught:
        column_values(bad, "$.col")
    assert caught.value.path == "$.col"
    assert type(bad).__name__ in str(caught.value)


def test_too_many_rows_are_refused_before_reading():
    class Huge:
        def __len__(self):
            return MAX_COLUMN_ROWS + 1

        def tolist(self):  # pragma: no cover - never reached: the length is checked first.
            raise AssertionError

    with pytest.raises(ValidationError) as caught:
        column_values(Huge(), "$.at")
    assert (caught.value.code, caught.value.path) == ("too_many", "$.at")
    with pytest.raises(ValidationError, match="at most 2 rows"):
        column_values([1, 2, 3], "$.x", max_rows=2)
    assert column_values([1, 2], "$.x", max_rows=2) == [1, 2]


def test_a_length_that_fails_is_no_column():
    class NoLength:
        def __len__(self):
            raise TypeError("len() of unsized object")

    with pytest.raises(InvalidType):
        column_values(NoLength(), "$.x")


def test_a_method_that_returns_no_list_is_refused():
    class Odd:
        def __len__(self):
            return 1

        def to_list(self):
            return (1,)

    with pytest.raises(InvalidType):
        column_values(Odd(), "$.x")


def test_a_sized_object_without_a_conversion_is_refused():
    class Sized:
        def __len__(self):
            return 0

    with pytest.raises(InvalidType, match="must be a column"):
        column_values(Sized(), "$.x")


def test_numpy_numbers_read_as_python_numbers(np):
    for dtype in (
        "int8",
        "int16",
        "int32",
        "int64",
        "uint8",
        "uint64",
        "float32",
        "float64",
        "bool",
    ):
        array_ = np.array([0, 1, 1], dtype=dtype)
        values = column_values(array_, "$.x")
        assert values == array_.tolist()
        assert [type(v) for v in values] == [type(v) for v in array_.tolist()]


def test_numpy_strided_and_other_dtypes(np):
    assert column_values(np.arange(10)[::3], "$.x") == [0, 3, 6, 9]
    assert column_values(np.array([1.5], dtype=np.float16), "$.x") == [1.5]
    assert column_values(np.array(["a", "bc"]), "$.x") == ["a", "bc"]
    assert column_values(np.array([Decimal(1), "a"], dtype=object), "$.x") == [Decimal(1), "a"]


def test_numpy_datetimes_read_as_naive_datetimes(np):
    stamps = np.array(["2024-03-01T10:00:00.123456789", "NaT"], dtype="datetime64[ns]")
    assert column_values(stamps, "$.at") == [datetime(2024, 3, 1, 10, 0, 0, 123456), None]  # noqa: DTZ001
    days = np.array(["2024-03-01"], dtype="datetime64[D]")
    assert column_values(days, "$.at") == [datetime(2024, 3, 1)]  # noqa: DTZ001


def test_numpy_shapes_that_are_no_column(np):
    with pytest.raises(InvalidType, match="one-dimensional"):
        column_values(np.zeros((2, 2)), "$.x")
    for bad in (np.array(3), np.int64(3)):
        with pytest.raises(InvalidType):
            column_values(bad, "$.x")


def test_pandas_series(pd, np):
    assert column_values(pd.Series([1, 2]), "$.x") == [1, 2]
    assert column_values(pd.Series([1, None], dtype="Int64"), "$.x")[1] is pd.NA
    aware = pd.Series(pd.to_datetime(["2024-01-01T00:00:00Z"]))
    (stamp,) = column_values(aware, "$.at")
    assert stamp == datetime(2024, 1, 1, tzinfo=UTC)
    naive = pd.Series(pd.to_datetime(["2024-01-01", None]))
    values = column_values(naive, "$.at")
    assert values[0] == datetime(2024, 1, 1)  # noqa: DTZ001
    assert is_null(values[1])
    assert column_values(pd.array([1, 2]), "$.x") == [1, 2]
    with pytest.raises(InvalidType):
        column_values(pd.DataFrame({"a": [1]}), "$.x")


def test_polars_series(pl):
    assert column_values(pl.Series([1, None]), "$.x") == [1, None]
    when = datetime(2024, 1, 1, tzinfo=UTC)
    (value,) = column_values(pl.Series([when]), "$.at")
    assert value == when
    assert column_values(pl.Series(["a"]), "$.x") == ["a"]
    assert column_values(pl.Series([Decimal("1.25")]), "$.x") == [Decimal("1.25")]


def test_pyarrow_arrays(pa):
    assert column_values(pa.array([1, None]), "$.x") == [1, None]
    assert column_values(pa.chunked_array([[1], [2, 3]]), "$.x") == [1, 2, 3]
    assert column_values(pa.array([Decimal("1.50")]), "$.x") == [Decimal("1.50")]


def test_equal_lengths():
    assert equal_lengths({"a": [1, 2, 3], "b": (4, 5, 6), "c": range(3)}) == 3
    assert equal_lengths({}) == 0
    with pytest.raises(ValidationError) as caught:
        equal_lengths({"a": [1, 2], "b": [1, 2], "c": [1]}, "$.columns")
    error = caught.value
    assert (error.code, error.path) == ("length_mismatch", "$.columns.c")
    assert "2" in str(error)
    assert "1" in str(error)


def test_nulls(pd):
    assert [is_null(v) for v in (Decimal(0), 0.0, "", None, math.nan, pd.NA, pd.NaT)] == [
        False,
        False,
        False,
        True,
        True,
        True,
        True,
    ]
    assert first_null([]) is None
    assert first_null([1, "a", Decimal(1)]) is None
    assert first_null([1.0, 2.0]) is None
    assert first_null([1, pd.NA]) == 1
    assert first_null([pd.NaT, 1]) == 0
    require_values([1, 2], "$.x")
    with pytest.raises(ValidationError) as caught:
        require_values([1, 2, math.nan], "$.amount")
    assert (caught.value.code, caught.value.path) == ("required", "$.amount[2]")


@given(st.lists(st.one_of(st.none(), st.integers(), st.floats(), st.text(max_size=3))))
def test_first_null_is_the_first_null(values):
    expected = next(
        (i for i, v in enumerate(values) if v is None or (isinstance(v, float) and math.isnan(v))),
        None,
    )
    assert first_null(values) == expected
    assert column_values(tuple(values), "$.x") == values


@given(st.lists(st.integers(min_value=-(2**63), max_value=2**63 - 1)))
def test_int64_buffers_round_trip(values):
    assert column_values(array.array("q", values), "$.x") == values
