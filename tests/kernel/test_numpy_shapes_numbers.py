"""The one reading of 32- and 16-bit floats (`crmcore._kernel._numbers.narrow_text`).

numpy scalars, and the values of float32/float16 columns widened to Python
floats, are read at the shortest decimal that rounds back to the value in its
own precision. The reference is numpy's own shortest repr (``str(numpy.float32(x))``,
Dragon4); the hand cases are worked out in the comments. numpy tests skip without
numpy locally and fail under ``CI=true``.
"""

import math
import struct
from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st
from tests._optional import in_ci

from crmcore import InvalidType, ValidationError
from crmcore._kernel._numbers import (
    narrow_column,
    narrow_decimal,
    narrow_text,
    numpy_number,
    statistic_decimal,
)

F32 = struct.Struct("<f")
F16 = struct.Struct("<e")


def f32(bits: int) -> float:
    return F32.unpack(struct.pack("<I", bits))[0]


def f16(bits: int) -> float:
    return F16.unpack(struct.pack("<H", bits))[0]


def rounds_to(text: str, value: float, packer: struct.Struct) -> bool:
    """True if the decimal ``text`` rounds to ``value`` in the packer's precision (exactly)."""
    number = Decimal(text)
    code = struct.unpack("<I" if packer is F32 else "<H", packer.pack(abs(value)))[0]
    fmt = "<I" if packer is F32 else "<H"
    below = packer.unpack(struct.pack(fmt, code - 1))[0] if code else -abs(value)
    try:
        above = packer.unpack(struct.pack(fmt, code + 1))[0]
    except OverflowError:  # pragma: no cover - the struct packs infinities
        above = math.inf
    if math.isinf(above):
        above = abs(value) + (abs(value) - below)
    low, high = Decimal((below + abs(value)) / 2), Decimal((abs(value) + above) / 2)
    even = code % 2 == 0
    return low < abs(number) < high or (even and abs(number) in (low, high))


# -- hand-computed cases ----------------------------------------------------------------------


def test_hand_cases():
    # float32(0.1) is 0.100000001490116...: '0.1' is the one-digit decimal rounding to it.
    assert narrow_text(f32(0x3DCCCCCD), "f") == "0.1"
    # 2**20 = 1048576 needs its 7 digits; written as Python writes the float, not '1.048576e+06'.
    assert narrow_text(2.0**20, "f") == "1048576.0"
    # float16 2**-6 = 0.015625: the gap below (2**-17) is half the gap above (2**-16), so
    # '0.01562' (5e-6 below, more than 2**-18 = 3.8e-6) misses and '0.01563' (5e-6 above, less
    # than 2**-17 = 7.6e-6) rounds back: 4 digits where the nearest-first search needs 5.
    assert narrow_text(0.015625, "e") == "0.01563"
    assert narrow_text(-0.015625, "e") == "-0.01563"
    # The largest float16 (65504): '7e+04' overflows it, '6.6e+04' is nearer 65504 than +inf.
    assert narrow_text(65504.0, "e") == "65500.0"
    assert narrow_text(0.0, "f") == "0.0"
    assert narrow_text(-0.0, "f") == "-0.0"
    # NaN, infinities and values of no narrower precision keep their plain repr.
    assert narrow_text(math.inf, "f") == "inf"
    assert narrow_text(0.1, "f") == "0.1"  # the 64-bit 0.1 is no float32: its own repr
    assert narrow_text(1e300, "e") == "1e+300"  # beyond the 16-bit range


def test_the_largest_float32_and_the_smallest_subnormal():
    largest = f32(0x7F7FFFFF)
    text = narrow_text(largest, "f")
    assert Decimal(text) == Decimal("3.4028235E+38")
    assert rounds_to(text, largest, F32)
    assert narrow_text(f32(1), "f") == "1e-45"  # 2**-149


def test_narrow_decimal_refuses_what_is_not_finite():
    assert narrow_decimal(f32(0x3DCCCCCD), "f", "$.a") == Decimal("0.1")
    with pytest.raises(ValidationError) as info:
        narrow_decimal(math.nan, "f", "$.a")
    assert info.value.code == "not_finite"
    assert info.value.path == "$.a"


def test_narrow_column_reads_floats_and_leaves_the_rest():
    widened = f32(0x3DCCCCCD)
    assert narrow_column([widened, None, 3], "f") == [0.1, None, 3]
    same = [widened]
    assert narrow_column(same, None) is same
    nan = narrow_column([math.nan], "f")[0]
    assert math.isnan(nan)


# -- properties: the shortest decimal that rounds back -------------------------------------


@given(st.integers(min_value=0, max_value=0x7F7FFFFF), st.booleans())
def test_float32_text_rounds_back_and_is_shortest(bits, negative):
    value = f32(bits) * (-1 if negative else 1)
    text = narrow_text(value, "f")
    assert rounds_to(text, value, F32)
    assert text == repr(float(text))  # written as Python writes the float of its digits
    digits = len(Decimal(text).normalize().as_tuple().digits)  # significant digits: 8.0 has one
    if value != 0 and digits > 1:
        # No decimal of one digit fewer rounds back (the nearest two of that length miss).
        shorter = f"{abs(value):.{digits - 2}e}"
        number = Decimal(shorter)
        exponent = number.adjusted() - (digits - 2)
        step = Decimal(1).scaleb(exponent)
        for candidate in (number - step, number, number + step):
            assert not rounds_to(str(candidate), value, F32)


@given(st.integers(min_value=0, max_value=0x7BFF))
def test_float16_text_rounds_back(bits):
    value = f16(bits)
    assert rounds_to(narrow_text(value, "e"), value, F16)


# -- against numpy ---------------------------------------------------------------------------


@given(st.integers(min_value=0, max_value=0xFFFFFFFF))
def test_float32_reads_as_numpys_shortest_repr(np, bits):
    scalar = np.array([bits], dtype=np.uint32).view(np.float32)[0]
    if not np.isfinite(scalar):
        with pytest.raises(ValidationError) as info:
            statistic_decimal(scalar, "$.x")
        assert info.value.code == "not_finite"
        return
    expected = Decimal(str(scalar))
    assert Decimal(narrow_text(float(scalar), "f")) == expected
    assert statistic_decimal(scalar, "$.x") == expected
    assert numpy_number(scalar) == float(expected)
    # The scalar and the same value in a float32 column read the same Decimal, digit for digit.
    column = narrow_column(np.array([scalar]).tolist(), "f")
    assert str(statistic_decimal(column[0], "$.x")) == str(statistic_decimal(scalar, "$.x"))


def test_every_float16_reads_as_numpys_shortest_repr(np):
    values = np.arange(0x7C00, dtype=np.uint16).view(np.float16)
    for scalar in values:
        assert Decimal(narrow_text(float(scalar), "e")) == Decimal(str(scalar))


def test_powers_of_two_and_their_neighbours(np):
    # The only float32 values whose neighbours lie at unequal distances.
    for exponent in range(-149, 128):
        power = np.float32(2.0**exponent)
        for scalar in (power, np.nextafter(power, np.float32(0)), np.nextafter(power, np.inf)):
            if np.isfinite(scalar):
                assert Decimal(narrow_text(float(scalar), "f")) == Decimal(str(scalar))


def test_numpy_scalars_by_kind(np):
    assert numpy_number(np.float32(0.24)) == 0.24
    assert numpy_number(np.float16(0.1)) == 0.1
    assert numpy_number(np.int32(-7)) == -7
    assert numpy_number(np.uint64(2**64 - 1)) == 2**64 - 1
    assert numpy_number(np.array(0.1)) == 0.1  # a 0-d float64 array: no float subclass
    assert numpy_number(np.longdouble("0.25")) == 0.25
    assert numpy_number(np.bool_(True)) is None
    assert numpy_number(np.complex64(1)) is None
    assert numpy_number(1.5) is None
    assert numpy_number(np.array([1.0])) is None  # not a scalar
    assert math.isnan(numpy_number(np.float32("nan")))
    assert statistic_decimal(np.float32(1048576), "$.x") == Decimal("1048576.0")
    assert str(statistic_decimal(np.float32(1048576), "$.x")) == "1048576.0"
    with pytest.raises(InvalidType):
        statistic_decimal(np.bool_(False), "$.x")


# -- the bulk reading of numpy columns ----------------------------------------------------


def _value_by_value(values, form):
    """narrow_column without the column: each value through narrow_text."""
    return narrow_column(values, form)


def _same_floats(left, right):
    return len(left) == len(right) and all(
        (a == b and math.copysign(1.0, a) == math.copysign(1.0, b))
        or (math.isnan(a) and math.isnan(b))
        for a, b in zip(left, right, strict=True)
    )


def test_every_float16_reads_the_same_in_bulk(np):
    """The bulk reading of a whole float16 column is narrow_text's, value for value."""
    column = np.arange(2**16, dtype=np.uint16).view(np.float16)
    values = column.tolist()
    bulk = narrow_column(values, "e", column)
    assert _same_floats(bulk, _value_by_value(values, "e"))


def test_float32_edges_and_random_bits_read_the_same_in_bulk(np):
    """Powers of two, their neighbours, and random bit patterns of float32 (NaN and inf too)."""
    powers = np.array([2.0**k for k in range(-149, 128)], dtype=np.float32)
    up = np.nextafter(powers, np.float32(np.inf))
    down = np.nextafter(powers, np.float32(0))
    bits = np.random.default_rng(20261207).integers(0, 2**32, size=50_000, dtype=np.uint64)
    column = np.concatenate([powers, up, down, -powers, bits.astype(np.uint32).view(np.float32)])
    values = column.tolist()
    assert _same_floats(narrow_column(values, "f", column), _value_by_value(values, "f"))


def test_a_pandas_float32_series_reads_in_bulk(np):
    pd = pytest.importorskip("pandas") if not in_ci() else __import__("pandas")
    series = pd.Series([0.1, 0.3, 1048576.0, 3.4e38], dtype="float32")
    assert narrow_column(series.tolist(), "f", series) == [0.1, 0.3, 1048576.0, 3.4e38]


def test_columns_numpy_cannot_read_whole_take_the_value_path(np):
    """A 2-D array, a length that does not match, a float64 column: read value by value."""
    flat = [0.10000000149011612, 0.5]
    square = np.array([[0.1, 0.5]], dtype=np.float32)
    assert narrow_column(flat, "f", square) == [0.1, 0.5]
    assert narrow_column(flat, "f", np.array([0.1], dtype=np.float32)) == [0.1, 0.5]
    assert narrow_column(flat, "f", np.array(flat)) == [0.1, 0.5]
    assert narrow_column(flat, "f", object()) == [0.1, 0.5]
    assert narrow_column(flat, "f", [0.1, 0.5]) == [0.1, 0.5]
