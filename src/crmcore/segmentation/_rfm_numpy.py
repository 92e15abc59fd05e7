"""RFM columns read whole by numpy: the pure path's results, for numpy arrays and pandas Series.

:func:`~crmcore.segmentation.rfm_values_columns` and
:func:`~crmcore.segmentation.score_rfm_columns` hand their columns here first.
When every column is a one-dimensional numpy array or a pandas Series (of a
numpy dtype; ids may also be pandas strings), numpy is imported (it is
loaded already: nothing is imported otherwise; pandas never is, its Series
are read through their own methods), and the values are checked, grouped, summed and ranked by numpy, and the result is
what the pure path gives, list for list and type for type (Python ints,
Decimals, the ids as given). Anything this path does not take plainly (a
null, a NaN, an object column of other types, a bound it cannot keep exact,
a time zone with daylight saving) makes it return None: the caller then runs
the pure path, which raises the error naming the first bad row or skips the
bad rows.

The rules kept, and how:

- Quintile scores: a tie group at sorted positions ``start .. end - 1`` of
  ``n`` scores ``floor((start + end) * 5 / 2n) + 1`` (6 minus that for
  recency), computed over the distinct values with their counts.
- Floats are ranked as float64: a float's shortest repr rounds back to it, so
  floats order and tie as the Decimals they stand for; NaN, infinities and the
  magnitudes the Decimal reading refuses are left to the pure path.
- Sums are exact: ints summed in int64 only when ``rows * max|x|`` stays below
  ``2**63`` and the decimal context's ``10**prec`` (so the pure path's
  Decimal sums are exact too); float amounts as ints of a common
  ``10**-s`` (their shortest reprs' digits), each total given the exponent the
  pure path's Decimal additions give it (the least of its amounts' and 0).
- Customers come out in the order of the text of their id (code-point order:
  numpy's fixed-width strings sort as Python's str do, apart from trailing
  NUL characters, which send the column to the pure path).

>>> from datetime import UTC, datetime
>>> import numpy as np
>>> values_columns(
...     np.array([7, 7, 3]),
...     np.array([0, 86_400, 86_400]),
...     np.array([1000, 2050, 999]),
...     at=datetime(1970, 1, 3, tzinfo=UTC),
...     time_unit="s",
...     tz=UTC,
...     amount_scale=2,
... )
{'customer_id': [3, 7], 'recency_days': [1, 1], 'frequency': [1, 2], 'monetary': [Decimal('9.99'), Decimal('30.50')]}
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime, timezone, tzinfo
from decimal import ROUND_FLOOR, Context, Decimal, getcontext
from itertools import repeat
from operator import attrgetter
from typing import Any, Final, TypeAlias

from crmcore._kernel._checks import MAX_INT
from crmcore._kernel._columns import MAX_COLUMN_ROWS, TICKS_PER_SECOND, aware_epoch_array
from crmcore._kernel._numbers import FLOAT_HUGE, FLOAT_TINY, decimals_fit
from crmcore.segmentation._rfm import (
    _DAY_MICROS,
    _EPOCH,
    _HIGH_MICROS,
    _LOW_MICROS,
    _MICROSECOND,
    MAX_CUSTOMERS,
)
from crmcore.segmentation._rfm import _quintiles as _pure_quintiles

__all__ = ["score_columns", "values_columns"]

_INT64: Final = 2**63
_MAX_PLACES: Final = 18
_NAMES: Final = ("customer_id", "recency_days", "frequency", "monetary")
_STR_CELLS: Final = 1 << 27  # most characters of a fixed-width copy of the distinct ids
_EXPONENT: Final = attrgetter("exponent")


def _numpy(*columns: object) -> Any:
    """The numpy module when every column comes from numpy or pandas (so numpy is loaded)."""
    for column in columns:
        if not type(column).__module__.startswith(("numpy", "pandas")):
            return None
    import numpy as np  # noqa: PLC0415 - optional: only for columns numpy already made

    return np


def _is_series(column: Any) -> bool:
    """True for a pandas Series (recognised by its type: pandas is never imported here)."""
    kind = type(column)
    return kind.__name__ == "Series" and kind.__module__.startswith("pandas")


def _array(np: Any, column: Any) -> Any:
    """A 1-D ndarray, or a pandas Series of a numpy dtype, as its ndarray; else None."""
    if type(column) is np.ndarray:
        return column if column.ndim == 1 else None
    if _is_series(column) and isinstance(column.dtype, np.dtype):
        return column.to_numpy()
    return None


def _id_column(np: Any, column: Any) -> tuple[Any, Any] | None:
    """The ids' ndarray (None for a pandas string column) and the Series to factorize (or None)."""
    if _is_series(column) and type(column.dtype).__name__ == "StringDtype":
        return None, column  # pandas 3 holds str columns so
    values = _array(np, column)
    if values is None:
        return None
    return values, column if _is_series(column) else None


def _is_int(values: Any) -> bool:
    return bool(values.dtype.kind in "iu")


def _ints_between(values: Any, low: int, high: int) -> bool:
    return _is_int(values) and int(values.min()) >= low and int(values.max()) <= high


def _floats_fit(np: Any, values: Any) -> bool:
    """A float64 column the Decimal reading takes whole: finite, not too large or too small."""
    if values.dtype != np.float64 or not np.isfinite(values).all():
        return False
    magnitude = np.abs(values)
    if magnitude.max() >= FLOAT_HUGE:
        return False
    return not ((magnitude < FLOAT_TINY) & (magnitude != 0.0)).any()


def _run_scores(np: Any, counts: Any, n: int, higher_is_better: bool) -> Any:
    """Scores of consecutive tie groups of ``counts``: ``floor((start + end) * 5 / 2n) + 1``."""
    ends = np.cumsum(counts, dtype=np.int64)
    scores = ((2 * ends - counts) * 5) // (2 * n) + 1
    return scores if higher_is_better else 6 - scores


def _quintiles(np: Any, values: Any, higher_is_better: bool) -> list[int]:
    """The quintile score of every value of an int or float64 column (n > 0)."""
    n = len(values)
    if _is_int(values):
        low = int(values.min())
        if int(values.max()) - low <= 4 * n:  # a short range: count every value in it
            offsets = (values - values.dtype.type(low)).astype(np.intp)
            counts = np.bincount(offsets)
            table = _run_scores(np, counts, n, higher_is_better)
            return list(table[offsets].tolist())
    distinct, inverse, counts = np.unique(values, return_inverse=True, return_counts=True)
    del distinct
    return list(_run_scores(np, counts, n, higher_is_better)[inverse].tolist())


def _decimal_quintiles(np: Any, column: Any, numbers: list[Decimal]) -> list[int]:
    """The quintile scores of checked Decimals; a pandas Series grouped by its ``factorize``.

    The distinct Decimals are sorted by their floats, then checked as Decimals:
    unless they strictly increase (numbers closer than floats tell apart), they
    are sorted as Decimals. An ndarray is scored by the pure path's quintiles.
    """
    if not _is_series(column):
        return _pure_quintiles(numbers, higher_is_better=True)
    codes, uniques = column.factorize()
    distinct = uniques.tolist()
    ordered = np.argsort(np.array(list(map(float, distinct))), kind="stable").tolist()
    keys = list(map(distinct.__getitem__, ordered))
    if not all(map(Decimal.__lt__, keys, keys[1:])):
        ordered.sort(key=distinct.__getitem__)
    counts = np.bincount(codes, minlength=len(distinct))[ordered]
    table = np.empty(len(distinct), dtype=np.int64)
    table[ordered] = _run_scores(np, counts, len(numbers), True)
    return list(table[codes].tolist())


def score_columns(  # noqa: PLR0911 - one return per case left to the pure path
    customer_id: object, recency: object, frequency: object, monetary: object
) -> dict[str, list[Any]] | None:
    """:func:`score_rfm_columns` without cut points by numpy; None to use the pure path.

    >>> import numpy as np
    >>> score_columns(np.array([5, 6]), np.array([3, 40]), np.array([5, 1]), np.array([2.5, 0.1]))
    {'customer_id': [5, 6], 'r': [4, 2], 'f': [4, 2], 'm': [4, 2]}
    >>> score_columns([5, 6], [3, 40], [5, 1], [2.5, 0.1]) is None  # lists: the pure path
    True
    """
    np = _numpy(customer_id, recency, frequency, monetary)
    if np is None:
        return None
    id_column = _id_column(np, customer_id)
    columns = [_array(np, column) for column in (recency, frequency, monetary)]
    if id_column is None or any(column is None for column in columns):
        return None
    days, counts, spends = columns
    n = len(customer_id)  # type: ignore[arg-type]
    if not 0 < n <= MAX_CUSTOMERS or any(len(column) != n for column in columns):
        return None
    if not (_ints_between(days, 0, MAX_INT) and _ints_between(counts, 0, MAX_INT)):
        return None
    keys = _unique_ids(np, *id_column)
    if keys is None:
        return None
    if _is_int(spends) or _floats_fit(np, spends):
        m = _quintiles(np, spends, True)
    else:
        numbers = _decimals(spends)
        if numbers is None:
            return None
        m = _decimal_quintiles(np, monetary, numbers)
    return {
        "customer_id": keys,
        "r": _quintiles(np, days, False),
        "f": _quintiles(np, counts, True),
        "m": m,
    }


def _unique_ids(np: Any, ids: Any, series: Any) -> list[Any] | None:
    """The ids as a list, if they are distinct ints, or distinct str (and int) objects."""
    if ids is not None and _is_int(ids):
        ordered = np.sort(ids)
        return None if (ordered[1:] == ordered[:-1]).any() else list(ids.tolist())
    if ids is not None and ids.dtype != object:
        return None
    keys = (ids if series is None else series).tolist()
    if not set(map(type, keys)) <= {str, int} or len(set(keys)) != len(keys):
        return None
    return list(keys)


def _decimals(values: Any) -> list[Decimal] | None:
    """An object column's values if every one is a Decimal the Decimal reading takes."""
    if values.dtype != object:
        return None
    numbers = values.tolist()
    if set(map(type, numbers)) != {Decimal} or not decimals_fit(numbers):
        return None
    return list(numbers)


def values_columns(  # noqa: C901, PLR0911, PLR0912 - one return per case left to the pure path
    customer_id: object,
    ordered_at: object,
    amount: object,
    *,
    at: datetime,
    time_unit: str | None = None,
    tz: tzinfo | None = None,
    amount_scale: int | None = None,
) -> dict[str, list[Any]] | None:
    """:func:`rfm_values_columns` of checked options by numpy; None to use the pure path."""
    np = _numpy(customer_id, ordered_at, amount)
    if np is None:
        return None
    id_column, amounts = _id_column(np, customer_id), _array(np, amount)
    if id_column is None or amounts is None:
        return None
    if time_unit is None:
        held = _aware_ticks(np, ordered_at)
    elif type(tz) is timezone and type(at.tzinfo) is timezone:  # fixed offsets: instants
        times = _array(np, ordered_at)
        held = None if times is None else _micros(np, times, TICKS_PER_SECOND[time_unit])
    else:
        held = None  # zones with daylight saving: wall-clock arithmetic, the pure path's
    n = len(customer_id)  # type: ignore[arg-type]
    if held is None or not 0 < n <= MAX_COLUMN_ROWS or len(held[0]) != n or len(amounts) != n:
        return None
    ticks, per_micro = held
    read = _amount_reading(np, amount, amounts, amount_scale)
    if read is None:
        return None
    reading, amounts = read
    limit = (at - _EPOCH) // _MICROSECOND
    if per_micro > 1:  # nanoseconds, ``at`` too (a pandas Timestamp has some)
        limit = limit * per_micro + getattr(at, "nanosecond", 0)
    grouped = _groups(np, *id_column)  # every row's id checked, kept or not
    if grouped is None:
        return None
    kept = ticks <= max(min(limit, MAX_INT), -MAX_INT - 1)
    if not kept.any():
        return {name: [] for name in _NAMES}
    if max(limit, limit - int(ticks[kept].min())) > MAX_INT:  # beyond int64: the pure path
        return None
    keys, codes = grouped
    if not kept.all():
        codes, ticks, amounts = codes[kept], ticks[kept], amounts[kept]
        keys, codes = _present(np, keys, codes)
    last = np.full(len(keys), np.iinfo(np.int64).min, dtype=np.int64)
    np.maximum.at(last, codes, ticks)
    monetary = reading(codes, len(keys), amounts)
    if monetary is None:
        return None
    return {
        "customer_id": keys,
        "recency_days": ((np.int64(limit) - last) // (_DAY_MICROS * per_micro)).tolist(),
        "frequency": np.bincount(codes, minlength=len(keys)).tolist(),
        "monetary": monetary,
    }


def _present(np: Any, keys: list[Any], codes: Any) -> tuple[list[Any], Any]:
    """The keys some kept row has, and the kept rows' positions among them."""
    present = np.bincount(codes, minlength=len(keys)) > 0
    if present.all():
        return keys, codes
    chosen = np.flatnonzero(present).tolist()
    return list(map(keys.__getitem__, chosen)), (np.cumsum(present) - 1)[codes]


def _micros(np: Any, values: Any, per_second: int) -> tuple[Any, int] | None:
    """Integer epoch values as UTC microseconds, if all lie two days inside the calendar."""
    if not _is_int(values) or not len(values):
        return None
    if per_second <= 1_000_000:
        factor = 1_000_000 // per_second
        if int(values.min()) * factor < _LOW_MICROS or int(values.max()) * factor > _HIGH_MICROS:
            return None
        return values.astype(np.int64) * factor, 1
    divisor = per_second // 1_000_000  # nanoseconds: always inside the calendar
    return values.astype(np.int64) // divisor, 1


def _aware_ticks(np: Any, column: Any) -> tuple[Any, int] | None:
    """A timezone-aware pandas column as UTC ticks: microseconds, or nanoseconds if needed.

    Nanoseconds (``per_micro`` 1000) when some time has a fraction of a
    microsecond, as the pure path reads it; None for a null or a time beyond
    the calendar.
    """
    found = aware_epoch_array(column) if _is_series(column) else None
    if found is None:
        return None
    epochs, per_second = found
    if not len(epochs) or int(epochs.min()) == -_INT64:  # NaT
        return None
    per_micro = per_second // 1_000_000 or 1
    if per_micro > 1 and (epochs % per_micro).any():
        return epochs, per_micro  # int64 nanoseconds: always inside the calendar
    return _micros(np, epochs, per_second)


def _groups(np: Any, ids: Any, series: Any) -> tuple[list[Any], Any] | None:
    """The distinct ids in the order of their text, and each row's position among them."""
    if ids is not None and _is_int(ids):
        return _int_groups(np, ids, series)
    if ids is not None and ids.dtype != object:
        return None
    if series is None:  # an ndarray of objects: sorted by Python's own comparisons
        if set(map(type, ids.tolist())) != {str}:
            return None
        distinct, codes = np.unique(ids, return_inverse=True)
        return distinct.tolist(), codes
    return _text_groups(np, series)


def _int_groups(np: Any, ids: Any, series: Any) -> tuple[list[Any], Any]:
    if series is not None:  # pandas hashes: quicker than a sort of every row
        codes, uniques = series.factorize(sort=True)
        distinct = uniques.to_numpy()
    else:
        distinct, codes = np.unique(ids, return_inverse=True)
    low, high = str(distinct[0]), str(distinct[-1])
    if low.startswith("-") or len(low) != len(high):  # not in text order as numbers
        return _reordered(np, distinct, codes, np.argsort(distinct.astype(str), kind="stable"))
    return distinct.tolist(), codes


def _text_groups(np: Any, series: Any) -> tuple[list[Any], Any] | None:
    """Str ids of a pandas Series, grouped by its ``factorize``, sorted as fixed-width text."""
    try:
        codes, uniques = series.factorize()
    except TypeError:  # an unhashable id: the pure path names it
        return None
    if int(codes.min()) < 0:  # a null
        return None
    keys = uniques.tolist()
    if set(map(type, keys)) != {str} or max(map(len, keys)) * len(keys) > _STR_CELLS:
        return None
    texts = np.array(keys, dtype=str)
    order = np.argsort(texts, kind="stable")
    ordered = texts[order]
    if (ordered[1:] == ordered[:-1]).any():  # ids differing in trailing NULs only
        return None
    return _reordered(np, np.array(keys, dtype=object), codes, order)


def _reordered(np: Any, distinct: Any, codes: Any, order: Any) -> tuple[list[Any], Any]:
    position = np.empty(len(order), dtype=np.intp)
    position[order] = np.arange(len(order))
    return distinct[order].tolist(), position[codes]


_Reading: TypeAlias = Callable[[Any, int, Any], list[Decimal] | None]


def _amount_reading(
    np: Any, column: Any, amounts: Any, scale: int | None
) -> tuple[_Reading, Any] | None:
    """How the customers' totals are read, and the rows it reads; None for the pure path.

    The rows are the amounts themselves, or for floats each row's position among
    the distinct floats (each distinct float is read at its shortest repr once).
    """
    if _is_int(amounts):
        return (lambda codes, size, kept: _int_totals(np, codes, size, kept, scale or 0)), amounts
    if scale is None and _floats_fit(np, amounts):
        if _is_series(column):  # pandas hashes: quicker than a sort of every row
            inverse, uniques = column.factorize()
            distinct = uniques.to_numpy()
        else:
            distinct, inverse = np.unique(amounts, return_inverse=True)
        return (lambda codes, size, kept: _float_totals(np, codes, size, distinct, kept)), inverse
    if scale is None and amounts.dtype == object:
        numbers = amounts.tolist()
        if numbers and set(map(type, numbers)) == {Decimal} and decimals_fit(numbers):
            return _decimal_totals, amounts
    return None


def _exact_bound(rows: int, largest: int) -> bool:
    """True if every partial sum of ``rows`` values of at most ``largest`` is exact both ways.

    Below ``2**63`` (int64) and below
    ``10**prec``, so that the pure path's Decimal additions never round either.
    """
    return bool(rows * largest < min(_INT64, 10 ** getcontext().prec))


def _int_totals(np: Any, codes: Any, size: int, amounts: Any, scale: int) -> list[Decimal] | None:
    largest = max(abs(int(amounts.min())), abs(int(amounts.max())))
    if not _exact_bound(len(amounts), largest):
        return None
    totals = np.zeros(size, dtype=np.int64)
    np.add.at(totals, codes, amounts.astype(np.int64))
    return list(map(Decimal.scaleb, map(Decimal, totals.tolist()), repeat(-scale)))


def _float_totals(
    np: Any, codes: Any, size: int, distinct: Any, inverse: Any
) -> list[Decimal] | None:
    """Totals of floats read at their shortest reprs, summed exactly as ints of ``10**-s``.

    ``distinct`` are the distinct floats (checked: finite, of the magnitudes
    the Decimal reading takes) and ``inverse`` each kept row's position among them.
    """
    if getcontext().rounding == ROUND_FLOOR:  # a zero sum would keep a sign there
        return None
    numbers = list(map(Decimal, map(float.__repr__, distinct.tolist())))
    exponents = list(map(_EXPONENT, map(Decimal.as_tuple, numbers)))
    shift = max(0, -min(exponents))
    if shift > _MAX_PLACES:
        return None
    exact = Context(prec=_MAX_PLACES + 40)  # shortest reprs have at most 17 digits
    scaled = [int(number.scaleb(shift, exact)) for number in numbers]
    if not _exact_bound(len(inverse), max(map(abs, scaled))):
        return None
    totals = np.zeros(size, dtype=np.int64)
    np.add.at(totals, codes, np.array(scaled, dtype=np.int64)[inverse])
    # Each total's exponent: the least of its amounts' (and 0, the start of the sum).
    places = np.zeros(size, dtype=np.int64)
    np.maximum.at(places, codes, -np.array(exponents, dtype=np.int64)[inverse])
    whole = totals // (10 ** (shift - places))
    return list(map(Decimal.scaleb, map(Decimal, whole.tolist()), (-places).tolist()))


def _decimal_totals(codes: Any, size: int, amounts: Any) -> list[Decimal]:
    """Totals of Decimals, summed customer by customer in row order (the context's arithmetic)."""
    totals = [Decimal(0)] * size
    for code, number in zip(codes.tolist(), amounts.tolist(), strict=True):
        totals[code] += number
    return totals
