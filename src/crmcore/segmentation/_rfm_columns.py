"""RFM values from three columns of orders, checked a column at a time.

:func:`rfm_values_columns` computes what :func:`~crmcore.segmentation.rfm_values`
computes over the same orders, from three equally long columns (customer ids,
order times, amounts) as a warehouse, a Parquet file or a dataframe holds them,
and returns columns that :func:`~crmcore.segmentation.score_rfm_columns` scores.
Each column is read once (``crmcore._kernel._columns.column_values``) and
checked as a whole; the rows are looked at one by one only to name the first
bad one (or, with ``on_error="skip"``, every bad one). Columns that are all
numpy arrays or pandas Series are checked, grouped and summed by numpy
(``crmcore.segmentation._rfm_numpy``), with the same result to the digit.

>>> from datetime import datetime, timezone
>>> at = datetime(2024, 1, 21, tzinfo=timezone.utc)
>>> rfm_values_columns(
...     ["c1", "c1", "c2"],
...     [1704067200, 1704931200, 1705708800],  # 1, 11 and 20 January 2024, in seconds
...     [1000, 2050, 999],  # cents
...     at=at,
...     time_unit="s",
...     tz=timezone.utc,
...     amount_scale=2,
... )
{'customer_id': ['c1', 'c2'], 'recency_days': [10, 1], 'frequency': [2, 1], 'monetary': [Decimal('30.50'), Decimal('9.99')]}
"""

from __future__ import annotations

from collections import Counter, deque
from collections.abc import Callable
from datetime import datetime, timedelta, timezone, tzinfo
from decimal import Decimal, getcontext
from itertools import compress, islice, repeat
from operator import add, attrgetter, floordiv, le, mul, setitem, sub
from typing import Any, Final, Literal

from crmcore._kernel._checks import require_aware, type_name
from crmcore._kernel._columns import (
    MAX_COLUMN_ROWS,
    TICKS_PER_SECOND,
    aware_epochs,
    column_values,
    equal_lengths,
    is_null,
)
from crmcore._kernel._ids import require_id
from crmcore._kernel._money import Money
from crmcore._kernel._numbers import (
    AMOUNT_LIMIT,
    decimals_fit,
    minor_units,
    narrow_column,
    narrow_float_format,
    statistic_decimal,
)
from crmcore.errors import CurrencyMismatch, InvalidType, ValidationError
from crmcore.segmentation._rfm import (
    _DAY_MICROS,
    _EPOCH,
    _HIGH_MICROS,
    _LOW_MICROS,
    _MICROSECOND,
    _PLAIN_IDS,
    _in_text_order,
)
from crmcore.segmentation._rfm_cuts import _float_decimals, _texts_as_decimals
from crmcore.segmentation._rfm_numpy import values_columns

__all__ = ["rfm_values_columns"]

_MAX_SCALE: Final = 18
_DAYS: Final = attrgetter("days")
_MIXED: Final = (
    "must use the same currency as the other amounts "
    "(all Money of one currency, or all plain numbers)"
)


def _options(
    time_unit: object, tz: object, amount_scale: object, currency: object, on_error: object
) -> tuple[str | None, tzinfo | None, int | None, str | None, bool]:
    if time_unit is not None and (
        not isinstance(time_unit, str) or time_unit not in TICKS_PER_SECOND
    ):
        raise ValidationError(
            "must be 's', 'ms', 'us', 'ns' or None", path="$.time_unit", code="choice"
        )
    if tz is not None and not isinstance(tz, tzinfo):
        raise InvalidType(f"must be a tzinfo or None, not {type_name(tz)}", path="$.tz")
    if tz is None and time_unit is not None:
        raise ValidationError(
            "is required with epoch values (time_unit)", path="$.tz", code="required"
        )
    if amount_scale is not None:
        if isinstance(amount_scale, bool) or not isinstance(amount_scale, int):
            raise InvalidType(
                f"must be an int or None, not {type_name(amount_scale)}", path="$.amount_scale"
            )
        if not 0 <= amount_scale <= _MAX_SCALE:
            raise ValidationError(
                f"must be between 0 and {_MAX_SCALE}", path="$.amount_scale", code="range"
            )
    if currency is not None and not isinstance(currency, str):
        raise InvalidType(
            f"must be a currency code or None, not {type_name(currency)}", path="$.currency"
        )
    code = None if currency is None else Money(0, currency).currency
    if on_error not in ("raise", "skip") or not isinstance(on_error, str):
        raise ValidationError("must be 'raise' or 'skip'", path="$.on_error", code="choice")
    return time_unit, tz, amount_scale, code, on_error == "raise"


def _required(value: object, path: str) -> None:
    if is_null(value):
        raise ValidationError("is required (a null was given)", path=path, code="required")


class _Rows:
    """The bad rows of a batch: raised at once, or collected to be left out."""

    def __init__(self, raising: bool) -> None:
        self.raising = raising
        self.bad: set[int] = set()

    def each(
        self, values: list[object], check: Callable[[object, str], object], name: str
    ) -> list[object]:
        """``check`` of every row (None where it failed and rows are skipped)."""
        out: list[object] = []
        for index, value in enumerate(values):
            try:
                _required(value, f"$.{name}[{index}]")
                out.append(check(value, f"$.{name}[{index}]"))
            except ValidationError:
                if self.raising:
                    raise
                self.bad.add(index)
                out.append(None)
        return out


def _ids(values: list[object], rows: _Rows) -> list[object]:
    if set(map(type, values)) <= _PLAIN_IDS:  # str and int ids are always ids
        return values
    return rows.each(values, require_id, "customer_id")


def _fixed(zone: object) -> bool:
    return type(zone) is timezone


def _times(
    values: list[Any], unit: str | None, zone: tzinfo | None, when: datetime, rows: _Rows
) -> tuple[list[Any], str]:
    """The times, and how they are held: ``"ticks"``, ``"fixed"`` or ``"zoned"``.

    ``"ticks"``: UTC microseconds, every zone a fixed offset. ``"fixed"``:
    datetimes, every zone (and ``at``'s) a fixed offset, compared and
    subtracted as they are (equal instants are then equally recent, whichever is
    kept). ``"zoned"``: datetimes with other zones.
    """
    if unit is None:
        kinds = set(map(type, values))
        if kinds <= {datetime}:
            zones = {value.tzinfo for value in values}
            if _fixed(when.tzinfo) and all(map(_fixed, zones)):
                # A datetime ``at`` is compared as it is; a subclass (a pandas Timestamp,
                # with nanoseconds) at its microseconds, as the ticks are.
                return (values, "fixed") if type(when) is datetime else (_micros(values), "ticks")
        return rows.each(values, require_aware, "ordered_at"), "zoned"
    per_second = TICKS_PER_SECOND[unit]
    fast = _fixed(zone) and _fixed(when.tzinfo)
    if values and set(map(type, values)) == {int}:
        micros = _epoch_micros(values, per_second)
        if min(micros) >= _LOW_MICROS and max(micros) <= _HIGH_MICROS:
            return (micros, "ticks") if fast else ([_moment(m, zone) for m in micros], "zoned")

    def check(value: object, path: str) -> object:
        if isinstance(value, bool) or not isinstance(value, int):
            raise InvalidType(f"must be an integer epoch value, not {type_name(value)}", path=path)
        (micro,) = _epoch_micros([value], per_second)
        try:
            moment = _moment(micro, zone)
        except OverflowError:
            raise ValidationError(
                "must lie within the calendar (years 1 to 9999)", path=path, code="out_of_range"
            ) from None
        return micro if fast else moment

    return rows.each(values, check, "ordered_at"), "ticks" if fast else "zoned"


def _aware_ticks(column: object) -> tuple[list[int], int] | None:
    """A timezone-aware pandas datetime column's instants as UTC epoch ticks, read in bulk.

    The ticks are microseconds (``1`` per microsecond), or nanoseconds (``1000``) when
    some time has a fraction of a microsecond, so the times compare exactly as the
    column's own Timestamps do. None for anything else (a naive column, nulls,
    times beyond the calendar): those are read value by value, as before (see
    :func:`crmcore._kernel._columns.aware_epochs`, which reads the column).
    """
    epochs = aware_epochs(column, "$.ordered_at", max_rows=MAX_COLUMN_ROWS)
    if epochs is None:
        return None
    ticks, per_second = epochs
    per_micro = per_second // 1_000_000 or 1
    if per_micro > 1 and any(map(per_micro.__rmod__, ticks)):
        values = ticks  # sub-microsecond times: nanoseconds
    else:
        per_micro = 1
        values = _epoch_micros(ticks, per_second)
    if min(values) < _LOW_MICROS * per_micro or max(values) > _HIGH_MICROS * per_micro:
        return None
    return values, per_micro


def _epoch_micros(values: list[int], per_second: int) -> list[int]:
    if per_second <= 1_000_000:
        return list(map(mul, values, repeat(1_000_000 // per_second)))
    return list(map(floordiv, values, repeat(per_second // 1_000_000)))


def _moment(micros: int, zone: tzinfo | None) -> datetime:
    return (_EPOCH + timedelta(microseconds=micros)).astimezone(zone)


def _micros(times: list[datetime]) -> list[int]:
    return list(map(floordiv, map(sub, times, repeat(_EPOCH)), repeat(_MICROSECOND)))


class _Amounts:
    """The amount column: ints of ``10**-scale`` units, or Decimals; the kind seen."""

    def __init__(self, scale: int | None, currency: str | None) -> None:
        self.scale = scale
        self.currency = currency
        self.kind: str | None = None  # "" for plain numbers, else the Money's currency

    def _seen(self, kind: str, path: str) -> None:
        if self.kind is None:
            self.kind = kind
        elif self.kind != kind:
            raise CurrencyMismatch(_MIXED, path=path)

    def _one(self, value: object, path: str) -> object:
        if self.scale is not None:
            return minor_units(value, path)
        if isinstance(value, Money):
            if self.currency is not None and value.currency != self.currency:
                raise CurrencyMismatch("must be in the currency given", path=path)
            self._seen(value.currency, path)
            return value.amount
        number = statistic_decimal(value, path)
        self._seen("", path)
        return number

    def read(self, values: list[object], rows: _Rows) -> tuple[list[Any], bool]:
        """The amounts, and whether they are ints (of ``10**-scale``, or whole numbers)."""
        kinds = set(map(type, values))
        if values and len(kinds) == 1:
            kind = kinds.pop()
            if kind is int:
                if min(values) > -AMOUNT_LIMIT and max(values) < AMOUNT_LIMIT:  # type: ignore[type-var, operator]
                    return values, True
            elif self.scale is None:
                numbers = self._bulk(values, kind)
                if numbers is not None:
                    return numbers, False
        checked = rows.each(values, self._one, "amount")
        return checked, self.scale is not None

    def _bulk(self, values: list[Any], kind: type) -> list[Any] | None:
        numbers: list[Any] | None = None
        if kind is float:
            numbers = _float_decimals(values)
        elif kind is Decimal:
            numbers = values if decimals_fit(values) else None
        elif kind is str:
            numbers = _texts_as_decimals(values)
        elif kind is Money:
            codes = {value.currency for value in values}
            if len(codes) == 1 and self.currency in (None, *codes):
                return [value.amount for value in values]
        return numbers


def _last_times(ids: list[Any], times: list[Any], *, in_order: bool) -> dict[Any, Any]:
    """Each customer's latest time (the first of equal latest ones, as ``if t > seen``).

    ``in_order`` allows the shortcut for times in ascending order, where equal
    times are interchangeable (microseconds, or datetimes of fixed offsets: equal
    instants are equally recent).
    """
    if in_order and all(map(le, times, islice(times, 1, None))):
        return dict(zip(ids, times, strict=True))  # in time order: the last seen is the latest
    last: dict[Any, Any] = {}
    deque(map(last.__setitem__, ids, map(max, map(last.get, ids, times), times)), maxlen=0)
    return last


def _totals(ids: list[Any], amounts: list[Any], zero: object) -> dict[Any, Any]:
    """Each customer's total, summed in row order (the decimal context's, for Decimals)."""
    totals: dict[Any, Any] = {}
    deque(
        map(setitem, repeat(totals), ids, map(add, map(totals.get, ids, repeat(zero)), amounts)),
        maxlen=0,
    )
    return totals


def _monetary(
    ids: list[Any], keys: list[Any], amounts: list[Any], ints: bool, scale: int
) -> list[Decimal]:
    """The customers' totals (of ``keys``, in their order) as Decimals."""
    if not ints:
        return list(map(_totals(ids, amounts, Decimal(0)).__getitem__, keys))
    if len(amounts) * max(map(abs, amounts)) < 10 ** getcontext().prec:
        # Every partial sum is exact in Decimal arithmetic: sum the ints, then one Decimal each.
        sums: dict[Any, int] = _totals(ids, amounts, 0)
        totals = list(map(sums.__getitem__, keys))
        decimal_of = {total: Decimal(total).scaleb(-scale) for total in set(totals)}
        return list(map(decimal_of.__getitem__, totals))
    decimals = {value: Decimal(value).scaleb(-scale) for value in set(amounts)}
    exact = _totals(ids, list(map(decimals.__getitem__, amounts)), Decimal(0))
    return list(map(exact.__getitem__, keys))


def rfm_values_columns(
    customer_id: object,
    ordered_at: object,
    amount: object,
    *,
    at: datetime,
    time_unit: Literal["s", "ms", "us", "ns"] | None = None,
    tz: tzinfo | None = None,
    amount_scale: int | None = None,
    currency: str | None = None,
    on_error: Literal["raise", "skip"] = "raise",
) -> dict[str, list[Any]]:
    """RFM values from columns of orders: ``{"customer_id", "recency_days", "frequency", "monetary"}``.

    The result holds, customer by customer and in the same order (sorted by
    the text of the id), exactly what :func:`~crmcore.segmentation.rfm_values`
    gives over the same orders, ``monetary`` as the Decimal amounts of its
    Money totals. Orders after ``at`` are left out; ``recency_days`` is the
    whole days from a customer's latest order to ``at``.

    Args:
        customer_id: each order's customer: a str, an int or another id, never null.
        ordered_at: timezone-aware datetimes (a timezone-aware pandas
            column is read in bulk, to the nanosecond), or with ``time_unit`` integer
            epoch values (UTC instants since 1970-01-01, read to the
            microsecond) shown in the time zone ``tz``.
        amount: Decimals, ints, numeric strings, floats (at their shortest
            decimal representation; 32-bit floats, in a column or as numpy
            scalars, at their own) or Money of one currency; with
            ``amount_scale``, integer minor units (``1999`` with scale 2 is 19.99).
        at: the analysis time (timezone-aware).
        time_unit: ``"s"``, ``"ms"``, ``"us"`` or ``"ns"`` for epoch values.
        tz: the time zone of epoch values (required with ``time_unit``).
        amount_scale: ``k`` for integer amounts in units of ``10**-k`` (0 to 18).
        currency: an ISO 4217 code; Money amounts in another currency are refused.
        on_error: ``"raise"`` refuses the batch at the first bad row;
            ``"skip"`` leaves bad rows out.

    Raises:
        ValidationError: unequal lengths (``length_mismatch``), a null
            (``required``), a time out of the calendar (``out_of_range``), a
            NaN or infinite amount (``not_finite``); the path names the column
            and row, as ``$.amount[3]``.
        InvalidType: a value of the wrong type (a float of minor units: code ``float``).
        CurrencyMismatch: Money of several currencies, or mixed with plain numbers.
    """
    when = require_aware(at, "$.at")
    unit, zone, scale, code, raising = _options(time_unit, tz, amount_scale, currency, on_error)
    # numpy arrays and pandas Series read whole by numpy (None: not plainly valid, row by row)
    bulk = values_columns(
        customer_id, ordered_at, amount, at=when, time_unit=unit, tz=zone, amount_scale=scale
    )
    if bulk is not None:
        return bulk
    ids = column_values(customer_id, "$.customer_id", max_rows=MAX_COLUMN_ROWS)
    times: list[Any]
    aware = None if unit is not None else _aware_ticks(ordered_at)
    if aware is None:
        times = column_values(ordered_at, "$.ordered_at", max_rows=MAX_COLUMN_ROWS)
    else:  # already checked: every row a valid time
        times, per_micro = aware
    amounts = column_values(amount, "$.amount", max_rows=MAX_COLUMN_ROWS)
    equal_lengths({"customer_id": ids, "ordered_at": times, "amount": amounts})
    rows = _Rows(raising)
    ids = _ids(ids, rows)
    if aware is None:
        times, held = _times(times, unit, zone, when, rows)
        per_micro = 1
    else:
        held = "ticks"  # microseconds, or nanoseconds (per_micro 1000)
    in_micros = held == "ticks"
    # A 32- or 16-bit float column: each value at its own shortest decimal, as a numpy
    # scalar of it is read (crmcore._kernel._numbers.narrow_text), never widened.
    amounts = narrow_column(amounts, narrow_float_format(amount), amount)
    amounts, ints = _Amounts(scale, code).read(amounts, rows)
    if rows.bad:
        good = [index not in rows.bad for index in range(len(ids))]
        ids, times, amounts = (list(compress(c, good)) for c in (ids, times, amounts))
    limit: Any = when
    if in_micros:
        limit = (when - _EPOCH) // _MICROSECOND
        if per_micro > 1:  # nanoseconds, ``at`` too (a pandas Timestamp has some)
            limit = limit * per_micro + getattr(when, "nanosecond", 0)
    kept = list(map(le, times, repeat(limit)))
    if False in kept:
        ids, times, amounts = (list(compress(c, kept)) for c in (ids, times, amounts))
    if not ids:
        return {"customer_id": [], "recency_days": [], "frequency": [], "monetary": []}
    counts = Counter(ids)
    keys = _in_text_order(list(counts))
    last = _last_times(ids, times, in_order=held != "zoned")
    latest = list(map(last.__getitem__, keys))
    if in_micros:
        recency = list(
            map(floordiv, map(sub, repeat(limit), latest), repeat(_DAY_MICROS * per_micro))
        )
    else:
        recency = list(map(_DAYS, map(sub, repeat(when), latest)))
    return {
        "customer_id": keys,
        "recency_days": recency,
        "frequency": list(map(counts.__getitem__, keys)),
        "monetary": _monetary(ids, keys, amounts, ints, scale or 0),
    }
