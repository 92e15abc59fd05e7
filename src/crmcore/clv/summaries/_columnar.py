"""Transaction summaries from columns: one list, array or Series per field, checked once each.

:func:`summarize_columns` computes exactly what :func:`crmcore.clv.summarize`
computes over the same transactions, from three equally long columns (customer
ids, times, amounts) as a warehouse, a Parquet file or a dataframe holds them.
Each column is read once (see :func:`crmcore._kernel._columns.column_values`)
and checked as a whole: one pass over the types of its values decides whether
every row is good, and the rows are looked at one by one only to name the first
bad one (or, with ``on_error="skip"``, every bad one).

Times are timezone-aware datetimes, or integer epoch values (``time_unit`` of
``"s"``, ``"ms"``, ``"us"`` or ``"ns"`` since 1970-01-01 UTC) with the time zone
of the calendar in ``tz``. Amounts are Decimals, ints or numeric strings (or
Money), or integer minor units with ``amount_scale`` (``1999`` with scale 2 is
19.99). Float amounts (a pandas or polars ``float64`` column) are read at their
shortest decimal representation, each value of a 32-bit float column at its
own (``0.1`` stays ``0.1``); a NaN in a column is a null (code ``required``),
an infinity is refused (code ``not_finite``). Minor units are never floats.

>>> from datetime import datetime, timezone
>>> utc = timezone.utc
>>> table = summarize_columns(
...     ["c1", "c1", "c1"],
...     [1704067200, 1704326400, 1704931200],  # 1, 4 and 11 January 2024, in seconds
...     [1000, 2000, 3000],  # cents
...     period="day",
...     time_unit="s",
...     tz=utc,
...     amount_scale=2,
...     observation_end=datetime(2024, 1, 21, tzinfo=utc),
... )
>>> table["c1"]
CustomerSummary(frequency=2, recency=10, T=20, monetary_value=Decimal('25.00'))
"""

from __future__ import annotations

from collections.abc import Callable, Hashable
from datetime import datetime, timedelta, tzinfo
from decimal import Decimal, getcontext
from itertools import compress, repeat
from operator import ge, le, lt, sub
from typing import Any, Final, Literal, TypeAlias, cast

import attrs

from crmcore._kernel._checks import require_aware, type_name
from crmcore._kernel._columns import MAX_COLUMN_ROWS, aware_epochs, column_values, equal_lengths
from crmcore._kernel._fields import MAX_FIELD_ITEMS, Checked
from crmcore._kernel._money import Money
from crmcore._kernel._numbers import (
    AMOUNT_LIMIT,
    decimals_fit,
    float_column_decimals,
    minor_units,
    narrow_decimal,
    narrow_float_format,
    statistic_decimal,
)
from crmcore._kernel._time import TimeUnit
from crmcore.clv.summaries._column_times import (
    _EPOCH_UTC,
    _PER_SECOND,
    EpochUnit,
    _Bad,
    _check_ids,
    _required,
    _slow,
    _Times,
)
from crmcore.clv.summaries._state import (
    _ZERO,
    CalibrationCut,
    SummaryAccumulator,
    _fold,
    _summary_of,
    check_calibration_cut,
    check_tz,
    scale_of,
)
from crmcore.clv.summaries._summarize import check_calibration_end, summarize
from crmcore.clv.summaries._table import SummaryRow, SummaryTable
from crmcore.clv.summaries._totals import MAX_AMOUNT_SCALE, check_on_error, check_scale
from crmcore.errors import CurrencyMismatch, InvalidType, ValidationError

__all__ = [
    "MAX_AMOUNT_SCALE",
    "EpochUnit",
    "OnError",
    "RowReport",
    "accumulate_columns",
    "summarize_columns",
]

#: What a bad row does: refuse the whole batch, or skip the row and report it.
OnError: TypeAlias = Literal["raise", "skip"]

# Amounts (or minor units) of at most 100 digits: what to_decimal accepts of an int.
_MIXED_RULE: Final = (
    "must use the same currency as the other amounts "
    "(all Money of one currency, or all plain numbers)"
)


def _check_skipped(_: object, __: attrs.Attribute[Any], value: object) -> None:
    if not isinstance(value, tuple):
        raise InvalidType(f"must be a tuple, not {type_name(value)}", path="$.skipped")
    if len(value) > MAX_FIELD_ITEMS:
        raise ValidationError(
            f"must have at most {MAX_FIELD_ITEMS} items", path="$.skipped", code="too_many"
        )
    for index, row in enumerate(value):
        if isinstance(row, bool) or not isinstance(row, int) or row < 0:
            raise InvalidType("must be a row index (an int >= 0)", path=f"$.skipped[{index}]")


@attrs.frozen
class RowReport(Checked):
    """Which rows of a columnar batch were taken, and why the others were skipped.

    Attributes:
        rows: the number of rows in the batch.
        skipped: the indices of the rows left out, ascending.
        codes: the error code of each skipped row (the first rule it broke), in
            the order of ``skipped``.

    >>> report = RowReport(rows=4, skipped=(1, 3), codes=("required", "float"))
    >>> report.accepted, report.mask
    (2, (True, False, True, False))
    """

    rows: int
    skipped: tuple[int, ...] = attrs.field(default=(), validator=_check_skipped)
    codes: tuple[str, ...] = ()

    def __attrs_post_init__(self) -> None:
        super().__attrs_post_init__()
        if len(self.codes) != len(self.skipped):
            raise ValidationError(
                "must hold one code per skipped row", path="$.codes", code="length_mismatch"
            )
        if any(row >= self.rows for row in self.skipped) or list(self.skipped) != sorted(
            set(self.skipped)
        ):
            raise ValidationError(
                "must be distinct row indices below rows, ascending",
                path="$.skipped",
                code="row_index",
            )

    @property
    def accepted(self) -> int:
        """How many rows were taken."""
        return self.rows - len(self.skipped)

    @property
    def mask(self) -> tuple[bool, ...]:
        """One flag per row: True if the row was taken."""
        flags = [True] * self.rows
        for row in self.skipped:
            flags[row] = False
        return tuple(flags)


# -- options --------------------------------------------------------------------------


def _check_time_unit(value: object) -> EpochUnit | None:
    if value is None:
        return None
    units: tuple[EpochUnit, ...] = ("s", "ms", "us", "ns")
    for unit in units:
        if value == unit and isinstance(value, str):
            return unit
    raise ValidationError(
        "must be 's', 'ms', 'us', 'ns' or None", path="$.time_unit", code="choice"
    )


class _Amounts:
    """Checks the ``amount`` column; tracks the currency the way the accumulator does."""

    def __init__(
        self, kind: str | None, currency: str | None, scale: int | None, narrow: str | None = None
    ) -> None:
        # kind: None (nothing seen), "" (plain numbers) or an ISO 4217 code.
        self.kind = kind
        self.currency = currency
        self.scale = scale
        # "f" or "e" for a column of 32- or 16-bit floats (read at their own shortest repr).
        self.narrow = narrow
        # The greatest magnitude of the int amounts, when the bulk path saw it.
        self.largest: int | None = None

    def _plain_kind(self, path: str) -> None:
        if self.kind is None or self.kind == "":
            self.kind = self.currency or ""
        elif self.kind != self.currency:
            raise CurrencyMismatch(_MIXED_RULE, path=path)

    def _one(self, value: object, path: str) -> object:
        _required(value, path)
        number: int | Decimal
        if self.scale is not None:
            number = minor_units(value, path)
        elif isinstance(value, Money):
            if self.kind is not None and self.kind != value.currency:
                raise CurrencyMismatch(_MIXED_RULE, path=path)
            self.kind = value.currency
            return value.amount
        elif self.narrow is not None and type(value) is float:
            number = narrow_decimal(value, self.narrow, path)
        else:
            number = statistic_decimal(value, path)
        self._plain_kind(path)
        return number

    def values(
        self, values: list[object], raising: bool, bad: _Bad
    ) -> tuple[list[object], int | None]:
        """The amounts (ints of ``10**-scale`` units, or Decimals) and the scale of the ints."""
        kinds = set(map(type, values))
        if values and kinds == {int}:
            low = min(values)  # type: ignore[type-var]  # ints, checked above
            high = max(values)  # type: ignore[type-var]
            if low > -AMOUNT_LIMIT and high < AMOUNT_LIMIT:  # type: ignore[operator]
                self._plain_kind("$.amount[0]")
                self.largest = max(-low, high)  # type: ignore[operator, call-overload]
                return values, self.scale or 0
        elif values and kinds == {Decimal} and self.scale is None:
            # Finite Decimals of the size the per-value check takes, checked in bulk
            # wherever they stand; any other goes to the row-by-row check, naming it.
            if decimals_fit(values):  # type: ignore[arg-type]
                self._plain_kind("$.amount[0]")
                return values, None
        elif kinds == {float} and self.scale is None and self.narrow is None:
            # Floats (a float64 column), each at its shortest repr; NaN, inf and extreme
            # magnitudes go to the row-by-row check below, which names the row.
            converted = float_column_decimals(values)  # type: ignore[arg-type]
            if converted is not None:
                self._plain_kind("$.amount[0]")
                return converted, None  # type: ignore[return-value]
        checked = _slow(values, self._one, "amount", raising, bad)
        if self.scale is not None:
            return checked, self.scale
        return checked, None


# -- putting it together --------------------------------------------------------------


def _read(name: str, value: object) -> list[object]:
    return column_values(value, f"$.{name}", max_rows=MAX_COLUMN_ROWS)


def _skip_report(rows: int, bad: _Bad) -> RowReport:
    skipped = sorted(bad)
    if len(skipped) > MAX_FIELD_ITEMS:
        raise ValidationError(
            f"must have at most {MAX_FIELD_ITEMS} bad rows to skip, not {len(skipped)}",
            path="$",
            code="too_many",
        )
    return RowReport(rows, tuple(skipped), tuple(bad[row].code for row in skipped))


class _Batch:
    """Three checked columns: ids, period indices, amounts (ints of a scale or Decimals)."""

    def __init__(  # noqa: PLR0917 - internal helper, positional by design.
        self,
        accumulator: SummaryAccumulator,
        columns: tuple[object, object, object],
        time_unit: object,
        amount_scale: object,
        currency: str | None,
        on_error: object,
        *,
        instants: bool = False,
    ) -> None:
        unit = _check_time_unit(time_unit)
        scale = check_scale(amount_scale)
        raising = not check_on_error(on_error)
        ids = _read("customer_id", columns[0])
        times = _Times(accumulator.period, accumulator.tz, unit)
        # A timezone-aware pandas column: its epoch values, when their periods come out
        # at once (an instant calibration cut needs the instants themselves).
        epochs = None if unit is not None or instants else aware_epochs(columns[1], "$.at")
        keys = None if epochs is None else times.bulk_keys(*epochs)
        at: list[object] = (
            cast("list[object]", epochs[0])
            if epochs and keys is not None
            else _read("at", columns[1])
        )
        amounts = _read("amount", columns[2])
        narrow = narrow_float_format(columns[2])
        self.rows = equal_lengths({"customer_id": ids, "at": at, "amount": amounts})
        self.bad: _Bad = {}
        self.at = at
        kinds = set(map(type, ids))
        self.ids = _check_ids(ids, raising, self.bad, kinds)
        self.int_ids = kinds == {int}
        self.keys = keys if keys is not None else times.keys(at, raising, self.bad)
        self.key_bounds = times.bounds
        checker = _Amounts(accumulator._kind, currency, scale, narrow)  # noqa: SLF001 - the kind seen so far.
        self.amounts, self.scale = checker.values(amounts, raising, self.bad)
        self.kind = checker.kind
        self.largest = checker.largest
        self.report = _skip_report(self.rows, self.bad) if self.bad else RowReport(self.rows)

    def taken(self, values: list[object]) -> list[object]:
        if not self.bad:
            return values
        return list(compress(values, self.report.mask))


_Cells: TypeAlias = dict[Hashable, dict[int, Any]]


def _sum_cells(ids: list[Any], keys: list[Any], amounts: list[Any]) -> tuple[_Cells, _Cells]:
    """Per-customer, per-period sums of the amounts (Decimals or ints): purchases (>= 0), refunds."""
    bought: _Cells = {}
    refunds: _Cells = {}
    get = bought.get
    for customer, key, amount in zip(ids, keys, amounts, strict=True):
        if amount < 0:
            cells = refunds.get(customer)
            if cells is None:
                refunds[customer] = {key: amount}
            else:
                old = cells.get(key)
                cells[key] = amount if old is None else old + amount
            continue
        cells = get(customer)
        if cells is None:
            bought[customer] = {key: amount}
        else:
            old = cells.get(key)
            cells[key] = amount if old is None else old + amount
    return bought, refunds


def _fill(batch: _Batch) -> tuple[_Cells, _Cells]:
    """Group the accepted rows into per-customer, per-period sums (Decimals)."""
    ids: list[Any] = batch.taken(batch.ids)
    keys: list[Any] = batch.taken(batch.keys)
    amounts: list[Any] = batch.taken(batch.amounts)
    if batch.scale is not None:
        # Each distinct number of minor units becomes a Decimal once.
        exponent = -batch.scale
        decimals = {value: Decimal(value).scaleb(exponent) for value in set(amounts)}
        amounts = list(map(decimals.__getitem__, amounts))
    return _sum_cells(ids, keys, amounts)


def accumulate_columns(
    accumulator: SummaryAccumulator,
    customer_id: object,
    at: object,
    amount: object,
    *,
    time_unit: EpochUnit | None = None,
    amount_scale: int | None = None,
    currency: str | None = None,
    on_error: OnError = "raise",
) -> RowReport:
    """Add the transactions held in three columns to ``accumulator``.

    The columns are read by :func:`~crmcore._kernel._columns.column_values` and
    must be equally long. ``at`` holds timezone-aware datetimes, or with
    ``time_unit`` integer epoch values (UTC instants; the accumulator's time zone
    decides their calendar period). ``amount`` holds Decimals, ints, numeric
    strings or Money, or with ``amount_scale`` integer minor units; ``currency``
    names the ISO 4217 currency of plain-number amounts, if the accumulator
    holds Money amounts of it.

    With ``on_error="raise"`` (the default) a bad row refuses the whole batch
    and nothing is added; with ``"skip"`` bad rows are left out and the returned
    :class:`RowReport` names them. Either way a bad argument (an unknown unit, a
    column of the wrong shape or length) raises.

    >>> from datetime import datetime, timezone
    >>> utc = timezone.utc
    >>> acc = SummaryAccumulator(period="day", tz=utc)
    >>> report = accumulate_columns(
    ...     acc,
    ...     ["a", "b", None],
    ...     [datetime(2024, 1, 1, tzinfo=utc)] * 3,
    ...     [1.5, float("inf"), "3"],
    ...     on_error="skip",
    ... )
    >>> report
    RowReport(rows=3, skipped=(1, 2), codes=('not_finite', 'required'))
    >>> list(acc)
    ['a']
    """
    if not isinstance(accumulator, SummaryAccumulator):
        raise InvalidType(
            f"must be a SummaryAccumulator, not {type_name(accumulator)}", path="$.accumulator"
        )
    code = None if currency is None else Money(0, currency).currency
    batch = _Batch(accumulator, (customer_id, at, amount), time_unit, amount_scale, code, on_error)
    bought, refunds = _fill(batch)
    _merge_into(accumulator, bought, refunds, batch.kind)
    return batch.report


def _exact_in_ints(batch: _Batch, amounts: list[Any]) -> bool:
    """Whether the amounts are ints whose every partial sum Decimal arithmetic keeps exactly.

    Then summing the ints and making one Decimal of each result gives the very
    Decimals (value and exponent) that summing the rows' Decimals gives.
    """
    if batch.scale is None or not amounts:
        return False
    limit = 10 ** getcontext().prec
    if batch.largest is not None and len(amounts) * batch.largest < limit:
        return True  # a bound on the sum of the magnitudes, without summing them
    return bool(sum(map(abs, amounts)) < limit)


def _table_from_ints(
    accumulator: SummaryAccumulator,
    cells_of: tuple[dict[Hashable, dict[int, int]], dict[Hashable, dict[int, int]]],
    exponent: int,
    end: datetime,
    unit: object,
) -> SummaryTable:
    """What ``accumulator.summarize()`` gives over these cells (amounts in ``10**exponent``)."""
    _, _, chosen, scale, cut, _ = accumulator._cuts(end, None, unit)  # noqa: SLF001 - same package.
    bought, refunds = cells_of
    rows: dict[Hashable, SummaryRow] = {}
    for customer, cells in bought.items():
        first = min(cells)
        if first > cut:
            continue
        last = max(cells)
        back = refunds.get(customer)
        if last > cut:
            # Purchases after the observation end: the accumulator's own rule, on Decimals.
            row = _summary_of(
                _decimals(cells, exponent),
                None if back is None else _decimals(back, exponent),
                cut,
                None,
                scale,
            )
            if row is not None:  # pragma: no branch - first <= cut, checked above.
                rows[customer] = row
            continue
        frequency = len(cells) - 1
        monetary = _ZERO
        if frequency:
            repeat = sum(cells.values()) - cells[first]
            if back is not None:
                repeat += sum([amount for key, amount in back.items() if first < key <= cut])
            monetary = Decimal(repeat).scaleb(exponent) / frequency
        recency: float = last - first
        age: float = cut - first
        if scale != 1:
            recency /= scale
            age /= scale
        rows[customer] = (frequency, recency, age, monetary, None, None, None)
    return SummaryTable._from_rows(  # noqa: SLF001 - rows checked by construction here.
        rows,
        period=accumulator.period,
        unit=chosen,
        observation_end=end,
        calibration_end=None,
        currency=accumulator.currency,
    )


def _decimals(cells: dict[int, int], exponent: int) -> dict[int, Decimal]:
    return {key: Decimal(amount).scaleb(exponent) for key, amount in cells.items()}


# The most periods one customer's purchase periods are kept for as the bits of one int
# (days over five and a half years); wider spans take the per-customer dicts.
_MAX_MASK_PERIODS: Final = 2048
# Int ids spread over at most this many values per row (plus a margin) index lists directly.
_DENSE_SPREAD: Final = 2


def _dense_ids(
    ids: list[Any], amounts: list[int], int_ids: bool
) -> tuple[list[int], int, Callable[[int], Hashable]]:
    """Each row's customer as an index, the number of indices, and the customer of an index.

    ``int_ids`` tells that every id is an int (of type int, not a subclass).
    """
    if int_ids and ids:
        low = min(ids)
        size = max(ids) - low + 1
        if size <= _DENSE_SPREAD * len(ids) + 1024:
            index = ids if low == 0 else list(map(sub, ids, repeat(low)))
            return index, size, low.__add__
    # A customer is named by the id of its first purchase, as in the accumulator's
    # dicts (equal ids of other types, as 1 and 1.0, are one customer).
    first_seen = dict.fromkeys(compress(ids, map(ge, amounts, repeat(0))))
    first_seen.update(dict.fromkeys(ids))
    names = list(first_seen)
    positions = dict(zip(names, range(len(names)), strict=True))
    return list(map(positions.__getitem__, ids)), len(names), names.__getitem__


def _tally(  # noqa: PLR0917 - internal helper, positional by design.
    index: list[int], keys: list[int], amounts: list[int], size: int, low: int, periods: int
) -> tuple[list[int], list[int], list[int], list[int]]:
    """Per customer index: its purchase periods as bits, its first one, its repeat spend.

    Also the customer indices in the order of their first purchase row. The
    periods are counted from ``low``; the repeat spend is every amount after the
    first purchase period (refunds too), an int in minor units.
    """
    keys = list(map(sub, keys, repeat(low)))
    # Refunds are no purchase periods: their rows point at a bit that is no period.
    back = list(compress(range(len(amounts)), map(lt, amounts, repeat(0))))
    refunds = (
        list(map(index.__getitem__, back)),
        list(map(keys.__getitem__, back)),
        list(map(amounts.__getitem__, back)),
    )
    for row in back:
        keys[row] = periods
    bits = [1 << period for period in range(periods)]
    bits.append(0)
    total = [0] * size
    mask = [0] * size
    order: list[int] = []
    for i, period, amount in zip(index, keys, amounts, strict=True):
        total[i] += amount
        seen = mask[i]
        if seen:
            mask[i] = seen | bits[period]
        elif period != periods:
            mask[i] = bits[period]
            order.append(i)  # the customer's first purchase
    # The first purchase period of each customer (-1 for none): its amounts are no repeat spend.
    first = [(bit & -bit).bit_length() - 1 for bit in mask]
    for i, period, amount in zip(index, keys, amounts, strict=True):
        if period == first[i]:
            total[i] -= amount
    for i, period, amount in zip(*refunds, strict=True):
        if period <= first[i]:
            total[i] -= amount
    return mask, first, total, order


# Per customer index: purchase periods as bits, first period, repeat spend; the buyers'
# indices in order; the customer of an index; the period that bit 0 stands for.
_Tally: TypeAlias = tuple[
    list[int], list[int], list[int], list[int], Callable[[int], Hashable], int
]


def _tally_ints(
    ids: list[Any],
    keys: list[int],
    amounts: list[int],
    cut: int,
    *,
    bounds: tuple[int, int] | None = None,
    int_ids: bool = False,
) -> _Tally | None:
    """The per-customer tallies of the rows up to period ``cut``, or None for a wide span.

    Per customer, the bits of its purchase periods (amounts >= 0) in one int
    give the first and last period and their number; the amounts are summed as
    ints, less the purchases of the first period and the refunds up to it.
    ``bounds`` are a least and a greatest period of the rows (at least one), if known;
    ``int_ids`` tells that every id is of type int.
    """
    index, size, customer_of = _dense_ids(ids, amounts, int_ids)
    buyers: list[int] | None = None
    low, high = (min(keys), max(keys)) if bounds is None else bounds
    if high > cut:
        # The order of the first purchases, before the later periods are left out.
        buyers = list(dict.fromkeys(compress(index, map(ge, amounts, repeat(0)))))
        within = list(map(le, keys, repeat(cut)))
        index = list(compress(index, within))
        keys = list(compress(keys, within))
        amounts = list(compress(amounts, within))
        if not keys:
            return [], [], [], [], customer_of, 0
        high = cut
    periods = high - low + 1
    if periods > _MAX_MASK_PERIODS:
        return None
    mask, first, repeat_sums, order = _tally(index, keys, amounts, size, low, periods)
    return mask, first, repeat_sums, order if buyers is None else buyers, customer_of, low


def _rows_of(tally: _Tally, exponent: int, cut: int, scale: int) -> dict[Hashable, SummaryRow]:
    """What ``_summary_of`` gives per customer, from the tallies (amounts in ``10**exponent``)."""
    mask, first, repeat_sums, buyers, customer_of, low = tally
    rows: dict[Hashable, SummaryRow] = {}
    end = cut - low
    for i in buyers:
        bit = mask[i]
        if not bit:
            continue  # every purchase after the observation end
        start = first[i]
        frequency = bit.bit_count() - 1
        monetary = Decimal(repeat_sums[i]).scaleb(exponent) / frequency if frequency else _ZERO
        recency: float = bit.bit_length() - 1 - start
        age: float = end - start
        if scale != 1:
            recency /= scale
            age /= scale
        rows[customer_of(i)] = (frequency, recency, age, monetary, None, None, None)
    return rows


def _merge_into(
    accumulator: SummaryAccumulator,
    bought: dict[Hashable, dict[int, object]],
    refunds: dict[Hashable, dict[int, object]],
    kind: str | None,
) -> None:
    acc = accumulator
    acc._kind = kind  # noqa: SLF001 - the accumulator's own bookkeeping, checked by _Amounts.
    if not acc._bought and not acc._refunds:  # noqa: SLF001
        acc._bought, acc._refunds = bought, refunds  # type: ignore[assignment]  # noqa: SLF001
    else:
        _fold(acc._bought, bought)  # type: ignore[arg-type]  # noqa: SLF001
        _fold(acc._refunds, refunds)  # type: ignore[arg-type]  # noqa: SLF001


def summarize_columns(
    customer_id: object,
    at: object,
    amount: object,
    *,
    period: TimeUnit | str = "week",
    observation_end: datetime,
    calibration_end: datetime | None = None,
    calibration_cut: CalibrationCut = "period",
    unit: TimeUnit | str | None = None,
    tz: tzinfo | None = None,
    time_unit: EpochUnit | None = None,
    amount_scale: int | None = None,
    currency: str | None = None,
    on_error: OnError = "raise",
) -> SummaryTable:
    """Summarize the transactions held in three columns: :func:`~crmcore.clv.summarize` by columns.

    The result equals ``summarize(zip(customer_id, at, amount), ...)`` over the
    same transactions, field by field and customer by customer (amounts given
    as minor units count as ``Decimal(units).scaleb(-amount_scale)``; plain
    amounts with ``currency`` as Money of that currency).

    Args:
        customer_id: the customer of each row: hashable, never null.
        at: when: timezone-aware datetimes, or with ``time_unit`` integer epoch
            values (UTC instants since 1970-01-01). Naive datetimes are refused:
            give epoch values and ``tz`` instead.
        amount: Decimals, ints, numeric strings, floats (at their shortest
            decimal representation) or Money; with ``amount_scale``, integer
            minor units (never floats). Negative for refunds.
        period: as for :func:`~crmcore.clv.summarize`.
        observation_end: as for :func:`~crmcore.clv.summarize`.
        calibration_end: as for :func:`~crmcore.clv.summarize`.
        calibration_cut: as for :func:`~crmcore.clv.summarize`.
        unit: as for :func:`~crmcore.clv.summarize`.
        tz: the calendar's time zone. Required with ``time_unit``; otherwise by
            default that of ``observation_end``.
        time_unit: ``"s"``, ``"ms"``, ``"us"`` or ``"ns"`` for epoch values;
            ``None`` for datetimes.
        amount_scale: ``k`` for integer amounts in units of ``10**-k``;
            ``None`` for Decimal, int or str amounts.
        currency: the ISO 4217 code of plain-number amounts, kept by the table.
        on_error: ``"raise"`` refuses the batch at the first bad row;
            ``"skip"`` leaves bad rows out (see :func:`accumulate_columns` for a
            report of which).

    Raises:
        ValidationError: columns of unequal length (``length_mismatch``), a null
            (``required``), a naive datetime (``naive_datetime``), a time out of
            the calendar (``out_of_range``), more than 50,000,000 rows (``too_many``);
            the path names the column and the row, as ``$.at[12]``.
        InvalidType: a float of minor units (code ``float``), a value of the
            wrong type, a column that is no column.
        CurrencyMismatch: Money of several currencies, or mixed with plain numbers.
    """
    end = require_aware(observation_end, "$.observation_end")
    if tz is None and time_unit is not None:
        raise ValidationError(
            "is required with epoch values (time_unit)", path="$.tz", code="required"
        )
    zone = check_tz(end.tzinfo if tz is None else tz)
    cut = check_calibration_cut(calibration_cut)
    accumulator = SummaryAccumulator(period=period, tz=zone, currency=currency)  # type: ignore[arg-type]
    scale_of(accumulator.period, unit)
    check_calibration_end(calibration_end, end)
    if calibration_end is not None and cut != "period":
        return _summarize_at_instant(
            accumulator,
            (customer_id, at, amount),
            time_unit,
            amount_scale,
            on_error,
            end=end,
            calibration_end=calibration_end,
            calibration_cut=cut,
            unit=unit,
        )
    if calibration_end is None:
        batch = _Batch(
            accumulator,
            (customer_id, at, amount),
            time_unit,
            amount_scale,
            accumulator.currency,
            on_error,
        )
        amounts = batch.taken(batch.amounts)
        if _exact_in_ints(batch, amounts):
            # Integer amounts (minor units): summed as ints, each result made a Decimal once.
            accumulator._kind = batch.kind  # noqa: SLF001 - checked by _Amounts.
            ids = batch.taken(batch.ids)
            keys = batch.taken(batch.keys)
            exponent = -(batch.scale or 0)
            _, _, chosen, scale, cut_index, _ = accumulator._cuts(end, None, unit)  # noqa: SLF001
            tally = _tally_ints(
                ids,
                keys,  # type: ignore[arg-type]
                amounts,  # type: ignore[arg-type]
                cut_index,
                bounds=batch.key_bounds,
                int_ids=batch.int_ids,
            )
            if tally is not None:
                # The columns go first: while they are young, every garbage collection
                # that building the rows sets off would walk all their rows.
                del batch, ids, keys, amounts
                return SummaryTable._from_rows(  # noqa: SLF001 - rows checked by construction here.
                    _rows_of(tally, exponent, cut_index, scale),
                    period=accumulator.period,
                    unit=chosen,
                    observation_end=end,
                    calibration_end=None,
                    currency=accumulator.currency,
                )
            cells = _sum_cells(ids, keys, amounts)
            return _table_from_ints(accumulator, cells, exponent, end, unit)
        bought, refunds = _fill(batch)
        _merge_into(accumulator, bought, refunds, batch.kind)
    else:
        accumulate_columns(
            accumulator,
            customer_id,
            at,
            amount,
            time_unit=time_unit,
            amount_scale=amount_scale,
            currency=currency,
            on_error=on_error,
        )
    return accumulator.summarize(
        observation_end=end,
        calibration_end=calibration_end,
        unit=unit,  # type: ignore[arg-type]  # checked by scale_of
    )


def _summarize_at_instant(
    accumulator: SummaryAccumulator,
    columns: tuple[object, object, object],
    time_unit: object,
    amount_scale: object,
    on_error: object,
    *,
    end: datetime,
    calibration_end: datetime,
    calibration_cut: CalibrationCut,
    unit: object,
) -> SummaryTable:
    """An instant calibration cut needs the instants: the checked rows go through summarize()."""
    batch = _Batch(
        accumulator,
        columns,
        time_unit,
        amount_scale,
        accumulator.currency,
        on_error,
        instants=True,
    )
    if time_unit is None:
        moments = batch.taken(batch.at)
    else:
        per_second = _PER_SECOND[time_unit]  # type: ignore[index]  # checked by _Batch
        moments = [
            _EPOCH_UTC + timedelta(microseconds=value * 1_000_000 // per_second)  # type: ignore[operator]
            for value in batch.taken(batch.at)
        ]
    amounts = batch.taken(batch.amounts)
    if batch.scale is not None:
        amounts = [Decimal(value).scaleb(-batch.scale) for value in amounts]  # type: ignore[arg-type]
    code = batch.kind
    if code:
        amounts = [Money(value, code) for value in amounts]
    table = summarize(
        zip(batch.taken(batch.ids), moments, amounts, strict=True),  # type: ignore[arg-type]
        period=accumulator.period,
        observation_end=end,
        calibration_end=calibration_end,
        calibration_cut=calibration_cut,
        unit=unit,  # type: ignore[arg-type]
        tz=accumulator.tz,
    )
    if table.currency == code or not code:
        return table
    # No rows, but a declared currency: the table keeps it, as on the period cut.
    return SummaryTable._from_rows(  # noqa: SLF001 - the rows of a table just built.
        dict(table._rows),  # noqa: SLF001
        period=table.period,
        unit=table.unit,
        observation_end=table.observation_end,
        calibration_end=table.calibration_end,
        currency=code,
    )
