"""RFM cut points: the quintile edges of the whole population, applied to any part of it."""

from __future__ import annotations

import math
from bisect import bisect_right
from collections import Counter
from collections.abc import Iterable
from decimal import Decimal
from typing import Any, Final

import attrs

from crmcore._kernel._checks import MAX_DIGITS, MAX_INT, items_of, to_decimal, type_name
from crmcore._kernel._columns import column_values, equal_lengths, require_values
from crmcore._kernel._fields import Checked
from crmcore._kernel._ids import require_id
from crmcore._kernel._money import Money
from crmcore._kernel._numbers import (
    FLOAT_HUGE,
    FLOAT_TINY,
    decimals_fit,
    float_column_decimals,
    narrow_column,
    narrow_float_format,
    statistic_decimal,
)
from crmcore.errors import CurrencyMismatch, InvalidType, ValidationError
from crmcore.segmentation._ranking import numeric_values
from crmcore.segmentation._rfm import (
    _AMOUNT,
    _CURRENCY,
    _PLAIN_IDS,
    _SCORE_SLOTS,
    MAX_CUSTOMERS,
    RfmScore,
    RfmValues,
    _build,
    _quintiles,
    _score_table,
    _value_columns,
)
from crmcore.segmentation._rfm_numpy import score_columns

__all__ = ["RfmCutPoints", "rfm_cut_points", "score_rfm_columns"]

# Ints of at most 100 digits (what ``to_decimal`` takes of an int); floats whose shortest
# repr ``to_decimal`` takes (the bounds of ``float_column_decimals``).
_INT_LIMIT: Final = 10**MAX_DIGITS


def _check_edges(value: object, path: str, kind: type) -> tuple[Any, ...]:  # noqa: C901 - one rule per fault.
    if isinstance(value, (str, bytes)) or not isinstance(value, (tuple, list)):
        raise InvalidType(f"must be a tuple of 4 edges, not {type_name(value)}", path=path)
    if len(value) != 4:
        raise ValidationError(
            "must hold 4 edges (scores run from 1 to 5)", path=path, code="edge_count"
        )
    edges = tuple(value)
    for index, edge in enumerate(edges):
        where = f"{path}[{index}]"
        if edge is None:
            if any(later is not None for later in edges[index:]):
                raise ValidationError(
                    "must have its unreached (null) edges last", path=where, code="edge_order"
                )
            break
        if kind is int:
            if isinstance(edge, bool) or not isinstance(edge, int):
                raise InvalidType(f"must be an int or None, not {type_name(edge)}", path=where)
            if not -MAX_INT <= edge <= MAX_INT:
                raise ValidationError("must be a 64-bit integer", path=where, code="range")
        else:
            if not isinstance(edge, Decimal):
                raise InvalidType(f"must be a Decimal or None, not {type_name(edge)}", path=where)
            to_decimal(edge, where)
        if index and edge < edges[index - 1]:
            raise ValidationError("must not decrease", path=where, code="edge_order")
    return edges


def _int_edges(value: object) -> tuple[int | None, ...]:
    return _check_edges(value, "$.recency_days", int)


def _frequency_edges(value: object) -> tuple[int | None, ...]:
    return _check_edges(value, "$.frequency", int)


def _monetary_edges(value: object) -> tuple[Decimal | None, ...]:
    return _check_edges(value, "$.monetary", Decimal)


def _currency_code(value: object) -> str | None:
    if value is None:
        return None
    if not isinstance(value, str):
        raise InvalidType(
            f"must be a currency code or None, not {type_name(value)}", path="$.currency"
        )
    try:
        return Money(0, value).currency
    except ValidationError as exc:
        raise ValidationError(exc.rule, path="$.currency", code=exc.code) from None


@attrs.frozen(slots=True)
class RfmCutPoints(Checked):
    """The quintile edges :func:`score_rfm` scores with, computed once over all customers.

    Each dimension has four edges, one per score above 1: a value's level is
    1 plus the number of edges at or below it (recency scores ``6 - level``,
    fewer days being better; frequency and monetary score the level). An edge
    is the smallest value the population scored at that level or above, so
    the edges reproduce the quintile scores exactly, ties included; a level
    no value reached has the edge ``None`` (always last). ``monetary`` edges
    are amounts in ``currency``.

    >>> from crmcore import Money
    >>> from crmcore.segmentation import RfmValues
    >>> days = (1, 2, 2, 3)
    >>> values = [RfmValues(f"c-{i}", d, 1, Money(d, "EUR")) for i, d in enumerate(days)]
    >>> rfm_cut_points(values).recency_days
    (2, 2, 3, 3)
    """

    recency_days: tuple[int | None, ...] = attrs.field(converter=_int_edges)
    frequency: tuple[int | None, ...] = attrs.field(converter=_frequency_edges)
    monetary: tuple[Decimal | None, ...] = attrs.field(converter=_monetary_edges)
    currency: str | None = attrs.field(converter=_currency_code)


def _level_edges(column: list[Any]) -> tuple[Any, ...]:
    """The smallest value of each level 2..5 under the quintile rule (None if none reaches it)."""
    if not column:
        return (None, None, None, None)
    table = _score_table(Counter(column), len(column), True)
    ordered = sorted(table)
    return tuple(
        next((value for value in ordered if table[value] >= level), None) for level in range(2, 6)
    )


def rfm_cut_points(values: Iterable[RfmValues]) -> RfmCutPoints:
    """The edges that score ``values`` exactly as :func:`score_rfm` does by default.

    Compute them once over every customer (or over the RFM values of all
    partitions put together), then score each partition with
    ``score_rfm(part, cut_points=cuts)`` (:func:`~crmcore.segmentation.score_rfm`): every customer gets the score the
    whole population would give.

    >>> from crmcore import Money
    >>> from crmcore.segmentation import RfmValues
    >>> values = [RfmValues(f"c-{i}", 10 * i, i, Money(i, "USD")) for i in range(1, 11)]
    >>> cuts = rfm_cut_points(values)
    >>> cuts.frequency, cuts.currency
    ((3, 5, 7, 9), 'USD')
    """
    rows = items_of(values, RfmValues, "$.values", "RfmValues", max_items=MAX_CUSTOMERS)
    ids, recency, frequency, monies = _value_columns(rows)
    if len(set(map(_CURRENCY, monies))) > 1:
        numeric_values(dict(zip(ids, monies, strict=True)))  # raises at the first mismatch
    return RfmCutPoints(
        recency_days=_level_edges(recency),
        frequency=_level_edges(frequency),
        monetary=_level_edges(list(map(_AMOUNT, monies))),
        currency=monies[0].currency if monies else None,
    )


def _levels(column: list[Any], edges: tuple[Any, ...], *, higher_is_better: bool) -> list[int]:
    bounds = [edge for edge in edges if edge is not None]
    levels = [bisect_right(bounds, value) + 1 for value in column]
    return levels if higher_is_better else [6 - level for level in levels]


def _check_cuts(cut_points: object, edges: tuple[object, ...]) -> RfmCutPoints:
    if not isinstance(cut_points, RfmCutPoints):
        raise InvalidType(
            f"must be an RfmCutPoints, not {type_name(cut_points)}", path="$.cut_points"
        )
    if any(edge is not None for edge in edges):
        raise ValidationError(
            "must not be given together with recency_edges, frequency_edges or monetary_edges",
            path="$.cut_points",
            code="conflict",
        )
    return cut_points


def score_with_cuts(
    values: Iterable[RfmValues], cut_points: object, edges: tuple[object, ...]
) -> tuple[RfmScore, ...]:
    cuts = _check_cuts(cut_points, edges)
    rows = items_of(values, RfmValues, "$.values", "RfmValues", max_items=MAX_CUSTOMERS)
    ids, recency, frequency, monetary = _value_columns(rows)
    for index, money in enumerate(monetary):
        if cuts.currency is not None and money.currency != cuts.currency:
            raise CurrencyMismatch(
                "must be in the currency of the cut points", path=f"$.values[{index}].monetary"
            )
    r = _levels(recency, cuts.recency_days, higher_is_better=False)
    f = _levels(frequency, cuts.frequency, higher_is_better=True)
    m = _levels(list(map(_AMOUNT, monetary)), cuts.monetary, higher_is_better=True)
    return _build(RfmScore, _SCORE_SLOTS, len(ids), (ids, recency, frequency, monetary, r, f, m))


def _count_column(values: list[object], path: str) -> list[int]:
    """``values`` if every one is an int from 0 to ``MAX_INT``; else the first bad row's error.

    Exact ints are checked as a whole (their types in one pass, then the least
    and the greatest); anything else goes row by row, naming the first problem.
    """
    if set(map(type, values)) <= {int} and (
        not values or (min(values) >= 0 and max(values) <= MAX_INT)  # type: ignore[type-var, operator]
    ):
        return values  # type: ignore[return-value]
    require_values(values, path)
    if not set(map(type, values)) <= {int}:
        for index, value in enumerate(values):
            if isinstance(value, bool) or not isinstance(value, int):
                raise InvalidType(
                    f"must be an int, not {type_name(value)}", path=f"{path}[{index}]"
                )
    for index, value in enumerate(values):
        if not 0 <= value <= MAX_INT:  # type: ignore[operator]
            raise ValidationError(
                "must be an integer from 0 to 2**63 - 1", path=f"{path}[{index}]", code="range"
            )
    return values  # type: ignore[return-value]


def _money_by_row(values: list[object], currency: str | None) -> tuple[list[Decimal], str | None]:
    """The amounts of ``values`` and their currency, row by row: the first problem at its path."""
    require_values(values, "$.monetary")
    amounts: list[Decimal] = []
    monies = sum(1 for value in values if isinstance(value, Money))
    for index, value in enumerate(values):
        path = f"$.monetary[{index}]"
        if isinstance(value, Money):
            if currency is None:
                currency = value.currency
            elif value.currency != currency:
                raise CurrencyMismatch("must all be in one currency", path=path)
            amounts.append(value.amount)
        elif monies:
            # A plain number beside Money has no currency of its own: never guess it.
            raise CurrencyMismatch("must be all Money or all plain numbers", path=path)
        else:
            amounts.append(statistic_decimal(value, path))
    return amounts, currency


def _money_column(
    values: list[object], currency: str | None, *, exact: bool
) -> tuple[list[Any], str | None]:
    """The amounts of the monetary column (ordered as their Decimals) and their currency.

    Whole columns of one kind are checked in bulk, accepting exactly what the
    row-by-row reading accepts: ints of at most 100 digits, finite Decimals of
    the size ``to_decimal`` takes, numeric strings, floats of the magnitudes
    whose shortest repr ``to_decimal`` takes, Money of one currency. Ints and
    floats order and tie exactly as the Decimals they stand for (a float's
    shortest repr rounds back to it, so it keeps its order), so ints are
    scored as they are, and floats too unless ``exact`` (cut points compare
    the Decimals); anything else, or any doubt, goes
    row by row (:func:`_money_by_row`), which names the first bad row.
    """
    kinds = set(map(type, values))
    if values and len(kinds) == 1:
        found = _bulk_amounts(values, kinds.pop(), currency, exact=exact)
        if found is not None:
            return found
    return _money_by_row(values, currency)


def _bulk_amounts(  # noqa: PLR0911 - one return per kind
    values: list[Any], kind: type, currency: str | None, *, exact: bool
) -> tuple[list[Any], str | None] | None:
    """:func:`_money_column` of a non-empty column of one ``kind``; None to read it row by row."""
    if kind is int:
        if min(values) > -_INT_LIMIT and max(values) < _INT_LIMIT:
            return values, currency  # compared with Decimal edges exactly
        return None
    if kind is float:
        if not exact and _floats_fit(values):
            return values, currency
        converted = _float_decimals(values)
        return None if converted is None else (converted, currency)
    if kind is Decimal:
        return (values, currency) if decimals_fit(values) else None
    if kind is str:
        numbers = _texts_as_decimals(values)
        return None if numbers is None else (numbers, currency)
    if kind is Money:
        codes = set(map(_CURRENCY, values))
        if len(codes) == 1 and (currency is None or codes == {currency}):
            return list(map(_AMOUNT, values)), codes.pop()
    return None


def _floats_fit(values: list[float]) -> bool:
    """True if ``float_column_decimals`` takes every float (the same bounds, nothing built)."""
    if not math.isfinite(sum(values)):
        return False
    if min(values) <= -FLOAT_HUGE or max(values) >= FLOAT_HUGE:
        return False
    return min(map(abs, values)) >= FLOAT_TINY or not any(
        -FLOAT_TINY < value < FLOAT_TINY and value != 0.0 for value in values
    )


def _float_decimals(values: list[float]) -> list[Decimal] | None:
    """``float_column_decimals(values)``, converting each distinct float once.

    Money amounts repeat (prices, round sums): each distinct float is checked and
    read at its shortest repr once, and rows holding equal floats share its
    Decimal. ``0.0`` and ``-0.0`` are one dict key but two Decimals, so a column
    holding a zero is read value by value, as before.

    >>> _float_decimals([0.1, 2.5, 0.1])
    [Decimal('0.1'), Decimal('2.5'), Decimal('0.1')]
    >>> _float_decimals([1.0, float("nan")]) is None
    True
    """
    distinct = dict.fromkeys(values)
    if 0.0 in distinct:
        return float_column_decimals(values)
    converted = float_column_decimals(list(distinct))
    if converted is None:
        return None
    return list(map(dict(zip(distinct, converted, strict=True)).__getitem__, values))


def _texts_as_decimals(values: list[str]) -> list[Decimal] | None:
    """Numeric strings as ``to_decimal`` reads them, in bulk; None if any needs a closer look."""
    texts = list(map(str.strip, values))
    if max(map(len, texts)) > MAX_DIGITS + 30:
        return None
    try:
        numbers = list(map(Decimal, texts))
    except ArithmeticError:
        return None
    return numbers if decimals_fit(numbers) else None


def score_rfm_columns(
    customer_id: object,
    recency: object,
    frequency: object,
    monetary: object,
    *,
    cut_points: RfmCutPoints | None = None,
) -> dict[str, list[Any]]:
    """RFM scores from four columns: ``{"customer_id", "r", "f", "m"}`` as lists, in row order.

    Columns are any sequence or array (lists, numpy arrays, pandas or polars
    Series, pyarrow arrays). ``recency`` is whole days, ``frequency`` order
    counts, ``monetary`` totals as Decimals, ints, numeric strings, floats
    (at their shortest decimal representation; a 32-bit float, in a column or
    as a numpy scalar, at its own: ``numpy.float32(0.1)`` is 0.1) or Money of
    one currency. Without ``cut_points`` the scores are the quintiles of these
    rows, as :func:`score_rfm` gives them; with them, the scores the whole
    population gave. Without ``cut_points``, columns that are all numpy arrays
    or pandas Series are checked and ranked by numpy, with the same scores.

    >>> score_rfm_columns(["a", "b"], [3, 40], [5, 1], ["120.50", "9"])
    {'customer_id': ['a', 'b'], 'r': [4, 2], 'f': [4, 2], 'm': [4, 2]}
    """
    if cut_points is None:  # numpy arrays and pandas Series read whole by numpy
        bulk = score_columns(customer_id, recency, frequency, monetary)
        if bulk is not None:
            return bulk
    ids = column_values(customer_id, "$.customer_id", max_rows=MAX_CUSTOMERS)
    days = column_values(recency, "$.recency", max_rows=MAX_CUSTOMERS)
    counts = column_values(frequency, "$.frequency", max_rows=MAX_CUSTOMERS)
    # A 32- or 16-bit float column: each value at its own shortest decimal (as a numpy
    # scalar of it is read), never widened: cut points compare the Decimal it stands for.
    spends = narrow_column(
        column_values(monetary, "$.monetary", max_rows=MAX_CUSTOMERS),
        narrow_float_format(monetary),
        monetary,
    )
    equal_lengths({"customer_id": ids, "recency": days, "frequency": counts, "monetary": spends})
    cuts = None if cut_points is None else _check_cuts(cut_points, ())
    if not set(map(type, ids)) <= _PLAIN_IDS:  # str and int ids are always ids
        require_values(ids, "$.customer_id")
        for index, value in enumerate(ids):
            require_id(value, f"$.customer_id[{index}]")
    if len(set(ids)) != len(ids):
        raise ValidationError(
            "must hold one row per customer", path="$.customer_id", code="duplicate"
        )
    r_days = _count_column(days, "$.recency")
    f_counts = _count_column(counts, "$.frequency")
    amounts, _ = _money_column(
        spends, None if cuts is None else cuts.currency, exact=cuts is not None
    )
    if cuts is None:
        r = _quintiles(r_days, higher_is_better=False)
        f = _quintiles(f_counts, higher_is_better=True)
        m = _quintiles(amounts, higher_is_better=True)
    else:
        r = _levels(r_days, cuts.recency_days, higher_is_better=False)
        f = _levels(f_counts, cuts.frequency, higher_is_better=True)
        m = _levels(amounts, cuts.monetary, higher_is_better=True)
    return {"customer_id": list(ids), "r": r, "f": f, "m": m}
