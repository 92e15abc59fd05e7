"""Numbers for statistics: exact numbers, floats and numpy scalars, never imported.

Money stays exact (:func:`crmcore._kernel._checks.to_decimal` refuses floats).
Statistics need no exact money, so the CLV and analytics entry points read
their amounts with :func:`statistic_decimal`: a float is taken at its shortest
decimal representation (``Decimal(repr(x))``: ``0.1`` is ``Decimal('0.1')``,
not the binary value ``0.1000000000000000055...``), a numpy float scalar at its
own shortest representation (``str(numpy.float32(0.1))`` is ``'0.1'``), and a
numpy integer scalar through ``__index__``. NaN and infinities are refused with
code ``not_finite``. numpy is never imported: its scalars are recognised by
their ``dtype``.
"""

from __future__ import annotations

import math
import operator
import struct
from collections import deque
from collections.abc import Iterable, Mapping, Sequence
from decimal import Clamped, Context, Decimal, InvalidOperation, Overflow, Rounded
from enum import Enum
from typing import Any, Final

import attrs

from crmcore._kernel._checks import MAX_DIGITS, to_decimal, type_name
from crmcore._kernel._money import Money
from crmcore.errors import InvalidType, ValidationError

__all__ = [
    "AMOUNT_LIMIT",
    "Tabular",
    "as_index",
    "bounds_check",
    "decimals_fit",
    "flatten",
    "float_column_decimals",
    "float_decimal",
    "keyed_columns",
    "minor_units",
    "narrow_decimal",
    "narrow_float_format",
    "plain_value",
    "record_columns",
    "rows_to_columns",
    "statistic_decimal",
]

_NOT_FINITE: Final = "must be a finite number (not NaN or infinity)"
_EXACT: Final = frozenset({Decimal, int, str})
_float_repr: Final = float.__repr__
# Floats whose shortest repr has at most 17 digits and an exponent from -100 up: those
# of magnitude from 1e-83 to below 1e99 (and zero) become Decimals to_decimal accepts.
_TINY: Final = 1e-83
_HUGE: Final = 1e99
_PACKERS: Final = {"f": struct.Struct("f"), "e": struct.Struct("e")}
_NARROW_SIZES: Final = {4: "f", 2: "e"}
_NARROW_NAMES: Final = {"Float32": "f", "float": "f", "halffloat": "e"}


def _scalar_kind(value: object) -> str | None:
    """The numpy dtype kind (``"f"``, ``"i"``, ``"u"``, ``"b"``...) of a 0-d numpy value."""
    if type(value).__module__.partition(".")[0] != "numpy":
        return None
    if getattr(value, "shape", None) != ():
        return None
    kind = getattr(getattr(value, "dtype", None), "kind", None)
    return kind if isinstance(kind, str) else None


def float_decimal(value: float, path: str) -> Decimal:
    """A finite float (or float subclass such as numpy.float64) at its shortest repr.

    >>> float_decimal(0.1, "$.amount")
    Decimal('0.1')
    >>> float_decimal(float("nan"), "$.amount")
    Traceback (most recent call last):
    ...
    crmcore.errors.ValidationError: $.amount: must be a finite number (not NaN or infinity)
    """
    if not math.isfinite(value):
        raise ValidationError(_NOT_FINITE, path=path, code="not_finite")
    return to_decimal(Decimal(_float_repr(value)), path)


def statistic_decimal(value: object, path: str) -> Decimal:
    """A finite Decimal from a number as statistics take it.

    Decimals, ints and numeric strings are read exactly (as
    :func:`~crmcore._kernel._checks.to_decimal` reads them); floats and numpy
    float scalars at their shortest decimal representation; numpy integer
    scalars through ``__index__``. bools (numpy's too) are refused.

    >>> statistic_decimal(10.5, "$.amount"), statistic_decimal(Decimal("2.25"), "$.amount")
    (Decimal('10.5'), Decimal('2.25'))
    >>> statistic_decimal(float("inf"), "$.amount")
    Traceback (most recent call last):
    ...
    crmcore.errors.ValidationError: $.amount: must be a finite number (not NaN or infinity)
    >>> statistic_decimal([1], "$.amount")
    Traceback (most recent call last):
    ...
    crmcore.errors.InvalidType: $.amount: must be a number (Decimal, int, float, str or a numpy scalar), not list
    """
    if type(value) in _EXACT:
        return to_decimal(value, path)
    if isinstance(value, float):
        return float_decimal(value, path)
    kind = _scalar_kind(value)
    if kind == "f":
        text = str(value)
        try:
            number = Decimal(text)
        except ArithmeticError:  # pragma: no cover - numpy always prints a number
            number = Decimal("NaN")
        if not number.is_finite():
            raise ValidationError(_NOT_FINITE, path=path, code="not_finite")
        return to_decimal(number, path)
    if kind in {"i", "u"}:
        return to_decimal(operator.index(value), path)  # type: ignore[arg-type]
    if isinstance(value, (Decimal, int, str)) and kind in {None, "U"}:
        # Subclasses (numpy's str_ among them, kind "U"); to_decimal refuses bool.
        return to_decimal(value, path)
    raise InvalidType(
        f"must be a number (Decimal, int, float, str or a numpy scalar), not {type_name(value)}",
        path=path,
    )


def bounds_check() -> Context:
    """A new decimal context whose ``plus`` raises for a finite Decimal ``to_decimal`` refuses.

    ``to_decimal`` takes at most :data:`MAX_DIGITS` digits, an exponent of at
    least ``-MAX_DIGITS`` and an adjusted exponent below ``MAX_DIGITS``. In
    this context (precision ``MAX_DIGITS``, ``Emax = MAX_DIGITS - 1`` and
    ``Etiny = -MAX_DIGITS``), ``plus`` of such a number is exact; of any
    other finite number it must round (``Rounded``), overflow (``Overflow``)
    or move a zero's exponent (``Clamped``), each trapped: an
    ``ArithmeticError``. One C call per value, so whole columns are checked
    in bulk (:func:`decimals_fit`). A new context per use: its flags change.

    >>> check = bounds_check()
    >>> check.plus(Decimal("12.50"))
    Decimal('12.50')
    >>> try:
    ...     check.plus(Decimal("5E-324"))
    ... except ArithmeticError:
    ...     print("refused")
    refused
    """
    return Context(
        prec=MAX_DIGITS,
        Emax=MAX_DIGITS - 1,
        Emin=-1,  # Etiny = Emin - prec + 1 = -MAX_DIGITS
        traps=[Rounded, Overflow, Clamped, InvalidOperation],
    )


def decimals_fit(values: Iterable[Decimal]) -> bool:
    """True if ``to_decimal`` takes every Decimal of ``values`` (finite, bounded), checked in bulk.

    The caller reads the values one by one when False, naming the bad one.

    >>> decimals_fit([Decimal("1"), Decimal("2.5")]), decimals_fit([Decimal(1), Decimal("1E+100")])
    (True, False)
    """
    values = values if isinstance(values, (list, tuple)) else list(values)
    if not all(map(Decimal.is_finite, values)):
        return False
    try:
        deque(map(bounds_check().plus, values), maxlen=0)
    except ArithmeticError:
        return False
    return True


def as_index(value: object) -> object:
    """``value`` as an int if it is a numpy integer scalar; anything else unchanged.

    Lets the count checks (``isinstance(value, int)``) take ``numpy.int64``
    without importing numpy; numpy bools stay what they are (and are refused).

    >>> as_index(3), as_index(2.5), as_index("7")
    (3, 2.5, '7')
    """
    if _scalar_kind(value) in {"i", "u"}:
        return operator.index(value)  # type: ignore[arg-type]
    return value


def float_column_decimals(values: list[float]) -> list[Decimal] | None:
    """A column of plain floats as Decimals at their shortest repr, in bulk.

    None when some value needs the per-value check (NaN, an infinity, or a
    magnitude :func:`~crmcore._kernel._checks.to_decimal` would refuse): the
    caller then checks the values one by one, naming the bad row.

    >>> float_column_decimals([0.1, 2.5, 0.0])
    [Decimal('0.1'), Decimal('2.5'), Decimal('0.0')]
    >>> float_column_decimals([1.0, float("nan")]) is None
    True
    """
    if not values:
        return []
    if not math.isfinite(sum(values)):  # NaN or inf poison the sum (or it overflows)
        return None
    if min(values) <= -_HUGE or max(values) >= _HUGE:
        return None
    if any(-_TINY < value < _TINY and value != 0.0 for value in values):
        return None
    return list(map(Decimal, map(_float_repr, values)))


def narrow_float_format(column: object) -> str | None:
    """The struct format (``"f"`` or ``"e"``) of a column of 32- or 16-bit floats, else None.

    Such columns (numpy, pandas, polars, pyarrow, ``array.array``) widen each
    value to a Python float when listed (``0.1`` becomes ``0.10000000149011612``);
    :func:`narrow_decimal` reads such a value back at its own shortest repr.
    Nothing is imported.

    >>> import array
    >>> narrow_float_format(array.array("f", [0.5])), narrow_float_format([0.5])
    ('f', None)
    """
    if isinstance(column, (list, tuple)):
        return None
    dtype = getattr(column, "dtype", None)
    if dtype is not None:
        if getattr(dtype, "kind", None) == "f":
            return _NARROW_SIZES.get(getattr(dtype, "itemsize", 8))
        return _NARROW_NAMES.get(str(dtype))
    typecode = getattr(column, "typecode", None)  # array.array
    if typecode is not None:
        return "f" if typecode == "f" else None
    return _NARROW_NAMES.get(str(getattr(column, "type", None)))  # a pyarrow array


def narrow_decimal(value: float, form: str, path: str) -> Decimal:
    """A float holding a 32-bit (``"f"``) or 16-bit (``"e"``) value, at its own shortest repr.

    >>> narrow_decimal(0.10000000149011612, "f", "$.amount")
    Decimal('0.1')
    """
    if not math.isfinite(value):
        raise ValidationError(_NOT_FINITE, path=path, code="not_finite")
    packer = _PACKERS[form]
    narrow = packer.unpack(packer.pack(value))[0]  # beyond its range: an infinity
    if narrow != value:  # not a value of that precision after all
        return float_decimal(value, path)
    for digits in range(1, 10):
        text = f"{value:.{digits}g}"
        if packer.unpack(packer.pack(float(text)))[0] == value:
            return to_decimal(Decimal(text), path)
    return float_decimal(value, path)  # pragma: no cover - 9 digits always round-trip


# -- results as columns -------------------------------------------------------------------


def plain_value(value: object) -> object:  # noqa: PLR0911 - one return per kind
    """A result's field as a DataFrame column holds it well: numbers, text, dates, None.

    Decimals and Money amounts become floats (statistics; the exact values stay on
    the objects), enums their value, identifiers (a class with one ``value``
    field, such as a ``CustomerId``) that value, tuples lists of plain values.

    >>> from crmcore._kernel._money import Money
    >>> plain_value(Decimal("2.50")), plain_value(Money("3", "USD")), plain_value((1, Decimal(2)))
    (2.5, 3.0, [1, 2.0])
    """
    if value is None or type(value) in _PLAIN:
        return value
    if isinstance(value, Decimal):
        return float(value)
    if isinstance(value, Money):
        return float(value.amount)
    if isinstance(value, Enum):
        return value.value
    if isinstance(value, (tuple, list)):
        return [plain_value(item) for item in value]
    if isinstance(value, Tabular):
        return value.to_dict()
    kind = type(value)
    if attrs.has(kind) and [field.name for field in attrs.fields(kind)] == ["value"]:
        return plain_value(getattr(value, "value"))  # noqa: B009 - an attrs id type
    return value


_PLAIN: Final = frozenset({int, float, str, bool})


def _currency(record: object, names: Sequence[str]) -> str | None:
    for name in names:
        value = getattr(record, name)
        if isinstance(value, Money):
            return value.currency
    return None


def record_columns(
    records: Iterable[object], cls: type, *, skip: Sequence[str] = ()
) -> dict[str, list[Any]]:
    """Records of the attrs class ``cls`` as a dict of equally long lists, one per field.

    What ``pandas.DataFrame(...)`` and ``polars.DataFrame(...)`` take directly;
    values as :func:`plain_value` gives them. A class with Money fields and no
    ``currency`` field also gets a ``currency`` column (the first Money's
    currency, None without one). ``skip`` leaves fields out.
    """
    names = [field.name for field in attrs.fields(cls) if field.name not in skip]
    monies = [
        field.name
        for field in attrs.fields(cls)
        if field.name in names and "Money" in str(field.type)
    ]
    columns: dict[str, list[Any]] = {name: [] for name in names}
    add_currency = bool(monies) and "currency" not in columns
    if add_currency:
        columns["currency"] = []
    for record in records:
        for name in names:
            columns[name].append(plain_value(getattr(record, name)))
        if add_currency:
            columns["currency"].append(_currency(record, monies))
    return columns


class Tabular:
    """Mixin for attrs result records: ``to_dict()`` and a one-row ``to_columns()``.

    Results holding many rows (a goodness of fit's cells, a cohort matrix)
    override :meth:`to_columns` to give those rows.
    """

    __slots__ = ()

    def to_dict(self) -> dict[str, Any]:
        """The record's fields as plain values (see :func:`plain_value`).

        Numbers, text, bools, None, lists and dicts of them, and dates where a
        result has dates (a period's first day): ``json.dumps(..., default=str)``
        writes those as ISO 8601 text.
        """
        columns = record_columns([self], type(self), skip=self._skipped_fields())
        return {name: values[0] for name, values in columns.items()}

    def to_columns(self) -> dict[str, list[Any]]:
        """The record as one row: a dict of one-item lists, for a DataFrame."""
        return {name: [value] for name, value in self.to_dict().items()}

    @classmethod
    def _skipped_fields(cls) -> tuple[str, ...]:
        """Fields that are no plain value (a fitted model, say): left out of the columns."""
        return ()


def keyed_columns(key: str, records: Mapping[str, Tabular]) -> dict[str, list[Any]]:
    """Records keyed by name as columns: a ``key`` column of the names, then the fields."""
    columns: dict[str, list[Any]] = {key: list(records)}
    for index, record in enumerate(records.values()):
        for name, values in record.to_columns().items():
            columns.setdefault(name, [None] * index).extend(values)
    return columns


def rows_to_columns(records: Iterable[Tabular]) -> dict[str, list[Any]]:
    """Result records of one class (``retention_by_period``'s rows, say) as one set of columns.

    The rows' own ``to_columns()`` concatenated; no records give no columns.
    """
    columns: dict[str, list[Any]] = {}
    for record in records:
        for name, values in record.to_columns().items():
            columns.setdefault(name, []).extend(values)
    return columns


def flatten(row: dict[str, Any], name: str, cls: type) -> dict[str, Any]:
    """``row`` with its nested record ``name`` spread out as ``<name>_<field>`` keys.

    The nested record is a ``cls`` as a dict, or None (every field None then).
    """
    nested = row.pop(name)
    for field in attrs.fields(cls):
        row[f"{name}_{field.name}"] = None if nested is None else nested[field.name]
    return row


#: Integer amounts of at most 100 digits (what ``to_decimal`` takes) lie strictly inside this.
AMOUNT_LIMIT: Final = 10**100


def minor_units(value: object, path: str) -> int:
    """An integer amount of minor units (``1999`` with scale 2 is 19.99): never a float.

    >>> minor_units(1999, "$.amount[0]")
    1999
    >>> minor_units(19.99, "$.amount[0]")
    Traceback (most recent call last):
    ...
    crmcore.errors.InvalidType: $.amount[0]: must be an integer number of minor units, not float (money is never a float)
    """
    if isinstance(value, float):
        raise InvalidType(
            "must be an integer number of minor units, not float (money is never a float)",
            path=path,
            code="float",
        )
    if isinstance(value, bool) or not isinstance(value, int):
        raise InvalidType(
            f"must be an integer number of minor units, not {type_name(value)}", path=path
        )
    if not -AMOUNT_LIMIT < value < AMOUNT_LIMIT:
        raise ValidationError("must have at most 100 digits", path=path, code="too_long")
    return value
