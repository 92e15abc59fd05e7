"""Compiling one condition into a fast predicate.

Everything that can be decided once is decided here, when a rule is
compiled: which comparison to make, the literal it compares with (already
folded for text, already turned into absolute bounds for time windows), and
how values are read. The returned closure only reads the value, checks its
type and compares; it never looks an operator up by name.

Reading is fastest from a plain ``dict`` holding the field as one key (what
:func:`~crmcore.segmentation.snapshot` returns); every other mapping or object
goes through the general reader, which walks dotted paths.
"""

from __future__ import annotations

import calendar
import operator
from collections.abc import Callable, Mapping
from datetime import date, datetime, timedelta
from decimal import Decimal
from enum import StrEnum
from typing import Any, Final

from dateutil.relativedelta import relativedelta

from crmcore._kernel._checks import type_name
from crmcore.errors import InvalidType, ValidationError
from crmcore.segmentation._fused import Step
from crmcore.segmentation._values import MISSING, Kind, fold, reader, value_reader

#: A compiled rule: takes a snapshot, mapping or object and answers whether it matches.
Predicate = Callable[[Any], bool]
_Cmp = Callable[[Any, Any], bool]


class Operator(StrEnum):
    """What a condition tests. The values are the ``op`` names of stored rules."""

    EQ = "eq"
    NE = "ne"
    LT = "lt"
    LE = "le"
    GT = "gt"
    GE = "ge"
    BETWEEN = "between"
    IN = "in"
    NOT_IN = "not_in"
    IS_EMPTY = "is_empty"
    IS_NOT_EMPTY = "is_not_empty"
    CONTAINS = "contains"
    STARTS_WITH = "starts_with"
    ENDS_WITH = "ends_with"
    HAS = "has"
    HAS_ANY = "has_any"
    HAS_ALL = "has_all"
    WITHIN_LAST = "within_last"
    MORE_THAN_AGO = "more_than_ago"
    WITHIN_NEXT = "within_next"
    BIRTHDAY_WITHIN = "birthday_within"

    @property
    def needs_at(self) -> bool:
        """True for the operators that are relative to the evaluation time."""
        return self in _RELATIVE


_RELATIVE: Final = frozenset(
    {
        Operator.WITHIN_LAST,
        Operator.MORE_THAN_AGO,
        Operator.WITHIN_NEXT,
        Operator.BIRTHDAY_WITHIN,
    }
)

_COMPARISONS: Final[dict[Operator, _Cmp]] = {
    Operator.EQ: operator.eq,
    Operator.NE: operator.ne,
    Operator.LT: operator.lt,
    Operator.LE: operator.le,
    Operator.GT: operator.gt,
    Operator.GE: operator.ge,
}

# Values of these exact classes need no conversion before comparing with a literal of the kind.
_FAST: Final[dict[Kind, type]] = {
    Kind.NUMBER: int,
    Kind.TEXT: str,
    Kind.BOOL: bool,
    Kind.DATE: date,
}


class _NeverFast:
    """A class no value has: disables the fast path."""


def _fetch(field: str) -> Callable[[Any], Any]:
    """The value of ``field``: a direct key lookup on a plain dict, else the general reader."""
    read = reader(field)

    def fetch(obj: Any) -> Any:
        if obj.__class__ is dict:
            try:
                return obj[field]
            except KeyError:
                return read(obj)
        return read(obj)

    return fetch


def compile_condition(  # noqa: PLR0911 - one return per operator family.
    field: str, op: Operator, kind: Kind | None, value: Any, at: datetime | None
) -> Predicate:
    """Compile one checked condition into a predicate (``at`` given when ``op.needs_at``)."""
    if op in _COMPARISONS:
        return _compare(field, _COMPARISONS[op], kind, value)
    if op is Operator.BETWEEN:
        return _between(field, kind, value)
    if op in (Operator.IN, Operator.NOT_IN):
        return _membership(field, kind, value, negate=op is Operator.NOT_IN)
    if op in (Operator.IS_EMPTY, Operator.IS_NOT_EMPTY):
        return _emptiness(field, negate=op is Operator.IS_NOT_EMPTY)
    if op in (Operator.CONTAINS, Operator.STARTS_WITH, Operator.ENDS_WITH):
        return _text(field, op, value)
    if op in (Operator.HAS, Operator.HAS_ANY, Operator.HAS_ALL):
        return _collection(field, op, value)
    if at is None:  # pragma: no cover - Rule.predicate checks this first.
        raise ValidationError("is needed by time-relative conditions", path="$.at", code="at")
    if op is Operator.BIRTHDAY_WITHIN:
        return _birthday(field, value, at)
    return _window(field, op, value, at)


def _kind(kind: Kind | None) -> Kind:
    if kind is None:  # pragma: no cover - conditions with literals always carry a kind.
        raise ValidationError("has no literal kind", path="$.kind", code="kind")
    return kind


def _target(kind: Kind, literal: Any) -> Any:
    return literal.amount if kind is Kind.MONEY else literal


def _compare(field: str, cmp: _Cmp, kind: Kind | None, literal: Any) -> Predicate:
    checked = _kind(kind)
    fetch_key = field
    read = reader(field)
    convert = value_reader(checked, field, getattr(literal, "currency", None))
    target = _target(checked, literal)
    fast = _FAST.get(checked, _NeverFast)

    def compare(obj: Any) -> bool:
        if obj.__class__ is dict:
            try:
                value = obj[fetch_key]
            except KeyError:
                value = read(obj)
        else:
            value = read(obj)
        if value.__class__ is fast:
            return cmp(value, target)
        value = convert(value)
        return value is not MISSING and cmp(value, target)

    return compare


def _between(field: str, kind: Kind | None, bounds: tuple[Any, Any]) -> Predicate:
    checked = _kind(kind)
    fetch = _fetch(field)
    convert = value_reader(checked, field, getattr(bounds[0], "currency", None))
    low, high = _target(checked, bounds[0]), _target(checked, bounds[1])
    fast = _FAST.get(checked, _NeverFast)

    def between(obj: Any) -> bool:
        value = fetch(obj)
        if value.__class__ is not fast:
            value = convert(value)
            if value is MISSING:
                return False
        return bool(low <= value <= high)

    return between


def _membership(
    field: str, kind: Kind | None, values: frozenset[Any], *, negate: bool
) -> Predicate:
    checked = _kind(kind)
    fetch = _fetch(field)
    convert = value_reader(checked, field)
    fast = _FAST.get(checked, _NeverFast)
    if negate:

        def not_in(obj: Any) -> bool:
            value = fetch(obj)
            if value.__class__ is fast:
                return value not in values
            value = convert(value)
            return value is not MISSING and value not in values

        return not_in

    def is_in(obj: Any) -> bool:
        value = fetch(obj)
        if value.__class__ is fast:
            return value in values
        value = convert(value)
        return value is not MISSING and value in values

    return is_in


def is_empty_value(value: Any) -> bool:
    """Missing, ``None``, blank text or an empty collection."""
    if value is MISSING or value is None:
        return True
    if isinstance(value, str):
        return not value.strip()
    if isinstance(value, (frozenset, set, tuple, list, Mapping)):
        return len(value) == 0
    return False


def _emptiness(field: str, *, negate: bool) -> Predicate:
    fetch = _fetch(field)
    if negate:

        def is_not_empty(obj: Any) -> bool:
            return not is_empty_value(fetch(obj))

        return is_not_empty

    def is_empty(obj: Any) -> bool:
        return is_empty_value(fetch(obj))

    return is_empty


def _text(field: str, op: Operator, needle: str) -> Predicate:
    fetch = _fetch(field)
    convert = value_reader(Kind.TEXT, field)
    folded = fold(needle)
    test: Callable[[str], bool]
    if op is Operator.CONTAINS:

        def test(text: str) -> bool:
            return folded in text

    elif op is Operator.STARTS_WITH:

        def test(text: str) -> bool:
            return text.startswith(folded)

    else:

        def test(text: str) -> bool:
            return text.endswith(folded)

    def text_test(obj: Any) -> bool:
        value = convert(fetch(obj))
        return value is not MISSING and test(fold(value))

    return text_test


def _as_collection(field: str) -> Callable[[Any], Any]:
    def convert(value: Any) -> Any:
        if value is MISSING or value is None:
            return MISSING
        if isinstance(value, (frozenset, set)):
            return value
        if isinstance(value, (tuple, list)):
            try:
                return frozenset(value)
            except TypeError:
                pass
        raise InvalidType(
            f"holds {type_name(value)}, not a set or list of values to look in",
            path=f"$.{field}",
            code="type_mismatch",
        )

    return convert


def _collection(field: str, op: Operator, wanted: Any) -> Predicate:
    fetch = _fetch(field)
    convert = _as_collection(field)
    if op is Operator.HAS:

        def has(obj: Any) -> bool:
            value = fetch(obj)
            if value.__class__ is frozenset:
                return wanted in value
            value = convert(value)
            return value is not MISSING and wanted in value

        return has
    if op is Operator.HAS_ANY:

        def has_any(obj: Any) -> bool:
            value = convert(fetch(obj))
            return value is not MISSING and not wanted.isdisjoint(value)

        return has_any

    def has_all(obj: Any) -> bool:
        value = convert(fetch(obj))
        return value is not MISSING and wanted.issubset(value)

    return has_all


def window_bounds(op: Operator, span: relativedelta, at: datetime) -> tuple[datetime, datetime]:
    """The instants ``[start, end]`` a window covers at ``at`` (``more_than_ago``: ``end``)."""
    try:
        if op is Operator.WITHIN_NEXT:
            return at, at + span
        start = at - span
    except (OverflowError, ValueError):
        raise ValidationError(
            "puts the window outside the supported calendar range (years 1 to 9999)",
            path="$.at",
            code="out_of_range",
        ) from None
    return start, at


def _time_value(field: str) -> Callable[[Any], Any]:
    fetch = _fetch(field)

    def value_of(obj: Any) -> Any:
        value = fetch(obj)
        if value is MISSING or value is None:
            return MISSING
        if isinstance(value, datetime):
            if value.utcoffset() is None:
                raise ValidationError(
                    "holds a naive datetime, which cannot be placed in a time window",
                    path=f"$.{field}",
                    code="naive_datetime",
                )
            return value
        if isinstance(value, date):
            return value
        raise InvalidType(
            f"holds {type_name(value)}, not a date or datetime to place in a time window",
            path=f"$.{field}",
            code="type_mismatch",
        )

    return value_of


def _window(field: str, op: Operator, span: relativedelta, at: datetime) -> Predicate:
    value_of = _time_value(field)
    start, end = window_bounds(op, span, at)
    start_day, end_day = start.date(), end.date()

    if op is Operator.MORE_THAN_AGO:

        def more_than_ago(obj: Any) -> bool:
            value = value_of(obj)
            if value is MISSING:
                return False
            if value.__class__ is date:
                return bool(value < start_day)
            return bool(value < start)

        return more_than_ago

    def within(obj: Any) -> bool:
        value = value_of(obj)
        if value is MISSING:
            return False
        if value.__class__ is date:
            return bool(start_day <= value <= end_day)
        return bool(start <= value <= end)

    return within


def birthday_days(days: int, today: date) -> frozenset[tuple[int, int]]:
    """The (month, day) birthdays celebrated from ``today`` to ``today + days`` inclusive.

    Someone born on 29 February celebrates on 28 February in common years, so
    (2, 29) belongs to every window holding 28 February of a common year.

    >>> sorted(birthday_days(2, date(2026, 12, 31)))
    [(1, 1), (1, 2), (12, 31)]
    >>> (2, 29) in birthday_days(0, date(2026, 2, 28))
    True
    >>> (2, 29) in birthday_days(0, date(2028, 2, 28))
    False
    """
    found: set[tuple[int, int]] = set()
    for offset in range(days + 1):
        day = today + timedelta(days=offset)
        found.add((day.month, day.day))
        if day.month == 2 and day.day == 28 and not calendar.isleap(day.year):
            found.add((2, 29))
    return frozenset(found)


def _birthday(field: str, days: int, at: datetime) -> Predicate:
    fetch = _fetch(field)
    convert = value_reader(Kind.DATE, field)
    try:
        celebrated = birthday_days(days, at.date())
    except OverflowError:
        raise ValidationError(
            "puts the window outside the supported calendar range (years 1 to 9999)",
            path="$.at",
            code="out_of_range",
        ) from None

    def birthday_within(obj: Any) -> bool:
        value = convert(fetch(obj))
        return value is not MISSING and (value.month, value.day) in celebrated

    return birthday_within


# ``test(literal, value)`` answers ``value op literal``: the literal comes first.
_FLIPPED: Final[dict[Operator, _Cmp]] = {
    Operator.EQ: operator.eq,
    Operator.NE: operator.ne,
    Operator.LT: operator.gt,
    Operator.LE: operator.ge,
    Operator.GT: operator.lt,
    Operator.GE: operator.le,
}
_EQUALITY: Final = frozenset({Operator.EQ, Operator.NE})
_EXACT: Final[dict[Kind, type]] = {
    Kind.TEXT: str,
    Kind.BOOL: bool,
    Kind.DATE: date,
    Kind.DATETIME: datetime,
}


def _exact_class(kind: Kind | None, literal: Any) -> type | None:
    """The class of values a fused step decides on (``None``: not fusable)."""
    if kind is Kind.NUMBER:
        return type(literal) if type(literal) in (int, Decimal) else None
    return _EXACT.get(kind) if kind is not None else None


def _set_class(kind: Kind | None, values: frozenset[Any]) -> type | None:
    classes = {_exact_class(kind, item) for item in values}
    return classes.pop() if len(classes) == 1 else None


def fast_steps(  # noqa: C901, PLR0911 - one answer per operator family.
    field: str, op: Operator, kind: Kind | None, value: Any, at: datetime | None
) -> tuple[Step, ...] | None:
    """The steps a fused run tests for this condition, or ``None`` if it cannot be fused.

    Each step decides exactly what the condition's own predicate decides for
    values of the step's class; every other value goes to the slow path. A
    NaN Decimal counts as missing, so ``ne`` on Decimals is never fused (a
    fused ``NaN != 1`` would say True); a naive datetime is an error, so
    equality and membership on datetimes are never fused (``==`` between
    naive and aware datetimes answers False instead of raising).
    """
    if op in _FLIPPED:
        cls = _exact_class(kind, value)
        if (
            cls is None
            or (op is Operator.NE and cls is Decimal)
            or (op in _EQUALITY and cls is datetime)
        ):
            return None
        return ((field, cls, _FLIPPED[op], value),)
    if op is Operator.BETWEEN:
        low, high = value
        cls = _exact_class(kind, low)
        if cls is None or cls is not _exact_class(kind, high):
            return None
        return ((field, cls, operator.le, low), (field, cls, operator.ge, high))
    if op is Operator.IN:
        cls = _set_class(kind, value)
        return None if cls in (None, datetime) else ((field, cls, operator.contains, value),)
    if op is Operator.HAS:
        return ((field, frozenset, frozenset.issubset, frozenset({value})),)
    if op is Operator.HAS_ALL:
        return ((field, frozenset, frozenset.issubset, value),)
    if op is Operator.HAS_ANY:
        return ((field, frozenset, frozenset.intersection, value),)
    if op in (Operator.WITHIN_LAST, Operator.WITHIN_NEXT) and at is not None:
        start, end = window_bounds(op, value, at)
        return ((field, datetime, operator.le, start), (field, datetime, operator.ge, end))
    if op is Operator.MORE_THAN_AGO and at is not None:
        start, _ = window_bounds(op, value, at)
        return ((field, datetime, operator.gt, start),)
    return None
