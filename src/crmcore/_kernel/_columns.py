"""Columns of values from anything column-shaped, without importing numpy, pandas, polars or pyarrow.

A *column* is a one-dimensional run of values: a list, tuple, range or
``array.array``; a buffer-protocol object holding numbers (a numpy array of
integers, floats or booleans is one); or an object that turns itself into a list
with ``to_pylist()`` (pyarrow arrays), ``to_list()`` (polars and pandas Series)
or ``tolist()`` (numpy arrays of other types). :func:`column_values` reads any of
them into a plain list, so the columnar entry points run on the standard library
alone and check each column once.

>>> column_values([1, 2, 3], "$.x")
[1, 2, 3]
>>> import array
>>> column_values(array.array("q", [4, 5]), "$.x")
[4, 5]
>>> column_values("abc", "$.x")
Traceback (most recent call last):
...
crmcore.errors.InvalidType: $.x: must be a column (a sequence or an array), not str
>>> equal_lengths({"customer_id": [1, 2], "amount": [3]})
Traceback (most recent call last):
...
crmcore.errors.ValidationError: $.amount: must have as many rows as customer_id (2), not 1
"""

from __future__ import annotations

import math
from collections.abc import Iterator, Mapping, Sequence, Sized
from collections.abc import Set as AbstractSet
from typing import Any, Final, cast

from crmcore.errors import InvalidType, ValidationError

__all__ = [
    "MAX_COLUMN_ROWS",
    "column_values",
    "equal_lengths",
    "first_null",
    "is_null",
    "require_values",
]

#: The most rows one column may hold.
MAX_COLUMN_ROWS: Final = 50_000_000

# struct format characters of plain numbers (and booleans): what memoryview.tolist() reads.
_NUMBER_FORMATS: Final = frozenset("bBhHiIlLqQnNfd?")
# Type names of the null markers pandas and numpy hand out (never imported here).
_NULL_TYPE_NAMES: Final = frozenset({"NAType", "NaTType"})
_NOT_A_COLUMN: Final = "must be a column (a sequence or an array), not {}"


def _name(value: object) -> str:
    return type(value).__name__


def _one_dimensional(value: object, path: str) -> None:
    ndim = getattr(value, "ndim", 1)
    if isinstance(ndim, int) and ndim != 1:
        raise InvalidType(f"must be a one-dimensional column, not {ndim}-dimensional", path=path)


def _row_count(value: object, path: str, max_rows: int) -> None:
    if not isinstance(value, Sized):
        raise InvalidType(_NOT_A_COLUMN.format(_name(value)), path=path)
    try:
        rows = len(value)
    except TypeError as error:  # an unsized numpy scalar array (ndim 0), for one.
        raise InvalidType(_NOT_A_COLUMN.format(_name(value)), path=path) from error
    if rows > max_rows:
        raise ValidationError(
            f"must have at most {max_rows} rows, not {rows}", path=path, code="too_many"
        )


def _buffer_values(value: object) -> list[object] | None:
    """The values of a one-dimensional buffer of numbers, or None if ``value`` is no such buffer."""
    try:
        view = memoryview(value)  # type: ignore[arg-type]
    except (TypeError, ValueError, BufferError):
        return None
    with view:
        if view.ndim != 1 or view.format.lstrip("@=<>!") not in _NUMBER_FORMATS:
            return None
        return cast("list[object]", view.tolist())


def _is_datetime_array(value: object) -> bool:
    kind = getattr(getattr(value, "dtype", None), "kind", None)
    return kind == "M"


def _converted(value: object, path: str) -> list[object]:
    """``value`` turned into a list by its own method, as its library intends."""
    if _is_datetime_array(value) and hasattr(value, "astype") and not hasattr(value, "to_list"):
        # A numpy datetime64 array: tolist() of nanosecond units gives integers; microseconds
        # give (naive) datetimes, which is what the column holds.
        value = value.astype("datetime64[us]")
    for method in ("to_pylist", "to_list", "tolist"):
        convert = getattr(value, method, None)
        if callable(convert):
            values = convert()
            if not isinstance(values, list):
                raise InvalidType(_NOT_A_COLUMN.format(_name(value)), path=path)
            return values
    raise InvalidType(_NOT_A_COLUMN.format(_name(value)), path=path)


def column_values(value: object, path: str, *, max_rows: int = MAX_COLUMN_ROWS) -> list[object]:
    """Any column as a list, read without importing numpy, pandas, polars or pyarrow.

    A ``list`` comes back as it is (not copied: do not change it while using the
    result); a tuple, range, ``array.array`` or any other sequence as a new list; a
    one-dimensional buffer of numbers (a numpy array of integers, floats or booleans)
    through ``memoryview``; a numpy ``datetime64`` array as naive datetimes (microsecond
    precision); anything else through its ``to_pylist()`` (pyarrow), ``to_list()``
    (polars, pandas) or ``tolist()`` (numpy, pandas) method. Nulls stay as the library
    hands them out (``None``, NaN, pandas ``NA`` or ``NaT``): see :func:`first_null`.

    Raises:
        InvalidType: at ``path`` for a str, bytes, mapping, set, iterator or generator,
            a multi-dimensional array, or anything that is no column.
        ValidationError: code ``too_many`` for more than ``max_rows`` rows.

    >>> column_values((1, 2), "$.a"), column_values(range(3), "$.b")
    ([1, 2], [0, 1, 2])
    >>> column_values([0] * 5, "$.c", max_rows=4)
    Traceback (most recent call last):
    ...
    crmcore.errors.ValidationError: $.c: must have at most 4 rows, not 5
    """
    if isinstance(value, (str, bytes, bytearray, Mapping, AbstractSet, Iterator)):
        raise InvalidType(_NOT_A_COLUMN.format(_name(value)), path=path)
    _row_count(value, path, max_rows)
    if type(value) is list:
        return value
    if isinstance(value, Sequence):
        values = _buffer_values(value)  # array.array reads faster as a buffer.
        return values if values is not None else list(value)
    _one_dimensional(value, path)
    values = _buffer_values(value)
    if values is not None:
        return values
    return _converted(value, path)


def equal_lengths(columns: Mapping[str, Sized], path: str = "$") -> int:
    """The common length of ``columns``.

    Raises:
        ValidationError: code ``length_mismatch`` at ``<path>.<name>`` of the first column
            whose length differs from the first column's (the message names both lengths).

    >>> equal_lengths({"a": [1, 2], "b": (3, 4)})
    2
    >>> equal_lengths({})
    0
    """
    first_name: str | None = None
    rows = 0
    for name, column in columns.items():
        length = len(column)
        if first_name is None:
            first_name, rows = name, length
        elif length != rows:
            raise ValidationError(
                f"must have as many rows as {first_name} ({rows}), not {length}",
                path=f"{path}.{name}",
                code="length_mismatch",
            )
    return rows


def is_null(value: object) -> bool:
    """Whether ``value`` is a null as columns carry them: None, a float NaN, pandas NA or NaT.

    >>> is_null(None), is_null(float("nan")), is_null(0), is_null("")
    (True, True, False, False)
    """
    if value is None:
        return True
    if isinstance(value, float):
        return math.isnan(value)
    return _name(value) in _NULL_TYPE_NAMES


def first_null(values: Sequence[object]) -> int | None:
    """The index of the first null in ``values`` (see :func:`is_null`), or None.

    One pass over the column's types; the rows are looked at one by one only when a
    null can be there.

    >>> first_null([1, 2, None, 4]), first_null(["a"]), first_null([1.0, float("nan")])
    (2, None, 1)
    """
    types = set(map(type, values))
    if (
        type(None) not in types
        and float not in types
        and not any(kind.__name__ in _NULL_TYPE_NAMES for kind in types)
    ):
        return None
    for index, value in enumerate(values):
        if is_null(value):
            return index
    return None


def require_values(values: Sequence[object], path: str) -> None:
    """Refuse a null anywhere in a required column: code ``required`` at ``<path>[i]``.

    >>> require_values([1, None], "$.amount")
    Traceback (most recent call last):
    ...
    crmcore.errors.ValidationError: $.amount[1]: is required (a null was given)
    """
    index = first_null(values)
    if index is not None:
        raise ValidationError(
            "is required (a null was given)", path=f"{path}[{index}]", code="required"
        )


#: Epoch ticks per second of each unit a datetime column may have.
TICKS_PER_SECOND: Final[dict[str, int]] = {
    "s": 1,
    "ms": 1_000,
    "us": 1_000_000,
    "ns": 1_000_000_000,
}
# iNaT: the int64 a pandas datetime column holds for a missing time (NaT).
_NOT_A_TIME: Final = -(2**63)


def aware_epoch_array(column: object) -> tuple[Any, int] | None:
    """A timezone-aware pandas datetime column's int64 epoch values, as it holds them.

    The column's ``.array.asi8`` (UTC instants, NaT as ``-2**63``) and how many
    ticks make a second, or None for anything that is not such a column. pandas
    is not imported: the column is recognised by its dtype (kind ``"M"`` with a
    ``tz``). Nothing is read or checked: :func:`aware_epochs` lists and checks
    the values, a numpy caller takes the array as it is.

    >>> aware_epoch_array([1, 2]) is None
    True
    """
    dtype = getattr(column, "dtype", None)
    if getattr(dtype, "kind", None) != "M" or getattr(dtype, "tz", None) is None:
        return None
    per_second = TICKS_PER_SECOND.get(str(getattr(dtype, "unit", "ns")))
    epochs = getattr(getattr(column, "array", column), "asi8", None)
    if per_second is None or epochs is None:
        return None
    return epochs, per_second


def aware_epochs(
    column: object, path: str, *, max_rows: int = MAX_COLUMN_ROWS
) -> tuple[list[int], int] | None:
    """A timezone-aware pandas datetime column's instants as UTC epoch ticks, read in bulk.

    Gives the ticks and how many make a second (the column's unit: 1 for
    seconds up to 10**9 for nanoseconds). None for anything else (a naive
    column, a null, another library's column): the caller then reads the
    column value by value, which names a bad row. pandas is not imported: the
    column is recognised by its dtype (kind ``"M"`` with a ``tz``) and read
    through ``.array.asi8``, its int64 epoch values, so that no Timestamp is
    built; at most ``max_rows`` rows are read (code ``too_many``, ``path``).

    >>> aware_epochs([1, 2], "$.at") is None
    True
    """
    found = aware_epoch_array(column)
    if found is None:
        return None
    epochs, per_second = found
    values = column_values(epochs, path, max_rows=max_rows)
    if not values or set(map(type, values)) != {int}:
        return None
    ticks = cast("list[int]", values)
    if min(ticks) == _NOT_A_TIME:
        return None
    return ticks, per_second
