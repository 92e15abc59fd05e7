"""Numbers for statistics: exact numbers, floats and numpy scalars, never imported.

Money stays exact (:func:`crmcore._kernel._checks.to_decimal` refuses floats).
Statistics need no exact money, so the CLV and analytics entry points read
their amounts with :func:`statistic_decimal`: a float is taken at its shortest
decimal representation (``Decimal(repr(x))``: ``0.1`` is ``Decimal('0.1')``,
not the binary value ``0.1000000000000000055...``), a 32- or 16-bit float (a
numpy scalar, or a value of such a column widened to a Python float) at the
shortest decimal that rounds back to it in its own precision, written as Python
writes a float (``numpy.float32(0.1)`` is ``Decimal('0.1')``,
``numpy.float32(1048576)`` is ``Decimal('1048576.0')``), and a numpy integer
scalar through ``__index__``: one rule, :func:`narrow_text`, for scalars and
columns alike. NaN and infinities are refused with code ``not_finite``. numpy is
never imported: its scalars are recognised by their ``dtype``.
"""

from __future__ import annotations

import math
import operator
import struct
import sys
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
    "narrow_column",
    "narrow_decimal",
    "narrow_float_format",
    "narrow_text",
    "numpy_number",
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
FLOAT_TINY: Final = 1e-83
FLOAT_HUGE: Final = 1e99
_PACKERS: Final = {"f": struct.Struct("<f"), "e": struct.Struct("<e")}
_BITS: Final = {"f": struct.Struct("<I"), "e": struct.Struct("<H")}
_MAX_NARROW_DIGITS: Final = 9  # a 32-bit float's shortest repr has at most 9 digits
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


def _scalar_text(value: object) -> str:
    """A numpy float scalar's decimal text, by :func:`narrow_text` for 32- and 16-bit ones."""
    size = getattr(getattr(value, "dtype", None), "itemsize", None)
    number = float(value)  # type: ignore[arg-type]  # exact for 64 bits and narrower
    form = _NARROW_SIZES.get(size) if isinstance(size, int) else None
    if form is not None:
        return narrow_text(number, form)
    if size == 8:  # a 64-bit float (a 0-d array: no float subclass)
        return _float_repr(number)
    return str(value)  # an extended precision float: numpy's own shortest repr


def numpy_number(value: object) -> float | int | None:
    """A numpy float or integer scalar as a Python float or int; None for anything else.

    A float scalar is read at its own shortest representation (the rule of
    :func:`statistic_decimal`): ``numpy.float32(0.1)`` is ``0.1``, not the
    widened ``0.10000000149011612``; NaN and infinities come back as they are,
    for the caller's own check. An integer scalar is read exactly. numpy bools,
    Python numbers and everything else give None. numpy is never imported.

    >>> numpy_number(2.5) is None, numpy_number(True) is None
    (True, True)
    """
    kind = _scalar_kind(value)
    if kind == "f":
        return float(_scalar_text(value))
    if kind in {"i", "u"}:
        return operator.index(value)  # type: ignore[arg-type]
    return None


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
        text = _scalar_text(value)
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
    if min(values) <= -FLOAT_HUGE or max(values) >= FLOAT_HUGE:
        return None
    if any(-FLOAT_TINY < value < FLOAT_TINY and value != 0.0 for value in values):
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


def _round_trips(number: Decimal, bounds: tuple[Decimal, Decimal, bool]) -> bool:
    low, high, even = bounds
    return low < number < high or (even and number in (low, high))


def _bounds(value: float, form: str) -> tuple[Decimal, Decimal, bool]:
    """The exact midpoints to a positive narrow value's neighbours, and whether ties go to it."""
    packer, bits = _PACKERS[form], _BITS[form]
    code = bits.unpack(packer.pack(value))[0]
    below = packer.unpack(bits.pack(code - 1))[0]
    above = value + (value - below) if code + 1 == _INFINITY_CODES[form] else None
    if above is None:
        above = packer.unpack(bits.pack(code + 1))[0]
    # Narrow values, their neighbours and midpoints are exact in a 64-bit float.
    return Decimal((below + value) / 2), Decimal((value + above) / 2), code % 2 == 0


_INFINITY_CODES: Final = {"f": 0x7F800000, "e": 0x7C00}
_MANTISSAS: Final = {"f": 0x7FFFFF, "e": 0x3FF}


def _quick_text(magnitude: float, packer: struct.Struct) -> str | None:
    """:func:`narrow_text`'s digits of a positive value that is no power of two; None if unsure.

    The nearest decimal of a length round-trips exactly when its 64-bit float rounds
    back to the value, unless that float lies exactly halfway between two narrow
    values (rounding twice may then differ from rounding once): None, for the exact way.
    """
    for digits in range(1, _MAX_NARROW_DIGITS + 1):
        text = f"{magnitude:.{digits}g}"
        wide = float(text)
        try:
            narrow = packer.unpack(packer.pack(wide))[0]
            other = 2.0 * wide - narrow
            if other != narrow and packer.unpack(packer.pack(other))[0] == other:
                return None  # a midpoint between two narrow values
        except OverflowError:  # beyond the 16-bit range
            return None
        if narrow == magnitude:
            return text
    return None  # pragma: no cover - 9 digits always round-trip


def narrow_text(value: float, form: str) -> str:
    """The shortest decimal that rounds to ``value`` in 32 (``"f"``) or 16 (``"e"``) bits.

    ``value`` is a Python float holding a value of that precision (a numpy
    float32 or float16 scalar, or a value of such a column, widened). The text
    is written as Python writes the float of those digits (its ``repr``), so a
    narrow value reads like a Python float: ``numpy.float32(0.1)`` as ``0.1``.
    Of several shortest decimals, the nearest to ``value``. A value that is no
    value of that precision, NaN or an infinity gives its plain ``repr``.

    >>> narrow_text(0.10000000149011612, "f"), narrow_text(1048576.0, "f")
    ('0.1', '1048576.0')
    >>> narrow_text(0.015625, "e")  # 2**-6: its neighbour below is closer than above
    '0.01563'
    """
    packer = _PACKERS[form]
    if not math.isfinite(value) or value == 0.0:
        return _float_repr(value)
    try:
        narrow = packer.unpack(packer.pack(value))[0]
    except OverflowError:  # beyond the 16-bit range
        return _float_repr(value)
    if narrow != value:  # not a value of that precision after all
        return _float_repr(value)
    magnitude = abs(value)
    if _BITS[form].unpack(packer.pack(magnitude))[0] & _MANTISSAS[form]:
        # Not a power of two: the values rounding to it lie symmetrically around it, so
        # the nearest decimal of each length is the one to try, and checking it through a
        # 64-bit float decides as exactly unless that float is a midpoint (then: below).
        quick = _quick_text(magnitude, packer)
        if quick is not None:
            return _float_repr(math.copysign(float(quick), value))
    bounds = _bounds(magnitude, form)
    for digits in range(1, _MAX_NARROW_DIGITS + 1):
        rounded = Decimal(f"{magnitude:.{digits - 1}e}")  # the nearest with ``digits`` digits
        context = Context(prec=digits)
        for number in (rounded, context.next_plus(rounded), context.next_minus(rounded)):
            if _round_trips(number, bounds):
                return _float_repr(math.copysign(float(number), value))
    return _float_repr(value)  # pragma: no cover - 9 digits always round-trip


def narrow_column(values: list[Any], form: str | None, column: object = None) -> list[Any]:
    """A column's values with each float read by :func:`narrow_text` in ``form``.

    ``form`` is :func:`narrow_float_format` of the column the values were listed
    from (None: ``values`` come back as they are). Each float becomes the Python
    float of its own shortest decimal, so the float readings (``float_decimal``,
    ``float_column_decimals``) then give the Decimal the rule gives;
    anything else (a null, say) is left for the caller's checks.

    ``column``, the column ``values`` were listed from: a one-dimensional numpy
    array (or what ``numpy.asarray`` makes one of, a pandas Series) of 32- or
    16-bit floats is read whole by numpy, whose shortest repr (Dragon4) is this
    rule, about nine times faster than value by value.

    >>> narrow_column([0.10000000149011612, None], "f"), narrow_column([0.1], None)
    ([0.1, None], [0.1])
    """
    if form is None:
        return values
    bulk = _numpy_narrow(column, len(values))
    if bulk is not None:
        return bulk
    return [float(narrow_text(value, form)) if type(value) is float else value for value in values]


def _numpy_narrow(column: object, size: int) -> list[float] | None:
    """The shortest-repr floats of a numpy float32/float16 column, or None if it is not one.

    numpy writes each value at the shortest decimal that rounds back to it in its
    own precision, the nearest of several (``astype(str)``); reading that text as
    a Python float gives what :func:`narrow_text` gives, value for value (tested
    on every float16, the float32 powers of two and their neighbours, and random
    float32 bit patterns). numpy is loaded if the column is one of its arrays.
    """
    np = sys.modules.get("numpy")
    if np is None or column is None or isinstance(column, (list, tuple)):
        return None
    try:
        array = np.asarray(column)
    except (TypeError, ValueError):  # not an array-like numpy reads
        return None
    dtype = array.dtype
    if array.ndim != 1 or len(array) != size or dtype.kind != "f" or dtype.itemsize not in {2, 4}:
        return None
    floats: list[float] = array.astype(str).astype(np.float64).tolist()
    return floats


def narrow_decimal(value: float, form: str, path: str) -> Decimal:
    """A float holding a 32-bit (``"f"``) or 16-bit (``"e"``) value, at its own shortest repr.

    The Decimal of :func:`narrow_text`; NaN and infinities are refused (``not_finite``).

    >>> narrow_decimal(0.10000000149011612, "f", "$.amount")
    Decimal('0.1')
    """
    if not math.isfinite(value):
        raise ValidationError(_NOT_FINITE, path=path, code="not_finite")
    return to_decimal(Decimal(narrow_text(value, form)), path)


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
