"""Field paths, rule literals, and how a rule reads and types the values it compares.

A *field path* names a value in what a rule is evaluated on: ``"frequency"``,
``"attributes.tier"``, ``"profile.birth_date"``. Each dot-separated part is a
letter followed by letters, digits or underscores, so a path can never reach
a private or special attribute (``_x``, ``__class__``).

A *literal* is a value written in a rule. Every literal has a :class:`Kind`,
and a value read at evaluation time must be of the literal's kind: comparing
a text field with a number is an error that names the field, not a silent
"no match".
"""

from __future__ import annotations

import math
import re
import unicodedata
from collections.abc import Callable, Mapping
from datetime import UTC, date, datetime, timezone
from decimal import Decimal
from enum import Enum, StrEnum
from typing import Any, Final

from crmcore._kernel._checks import MAX_INT, iso_datetime, json_type_name, type_name
from crmcore._kernel._ids import Identifier
from crmcore._kernel._money import Money
from crmcore.errors import CurrencyMismatch, InvalidType, ValidationError

#: Most dot-separated parts in a field path.
MAX_PATH_PARTS: Final = 8
#: Longest text literal, in characters.
MAX_TEXT_LITERAL: Final = 1000
#: Most values in one set literal (``is_in``, ``has_any``, ...).
MAX_SET_ITEMS: Final = 10_000

#: A decimal number as rule documents write it (as every crmcore document does).
_DECIMAL_TEXT: Final = re.compile(r"-?[0-9]+(\.[0-9]+)?")
_PART: Final = r"[A-Za-z][A-Za-z0-9_]{0,63}"
_PATH: Final = re.compile(rf"{_PART}(?:\.{_PART}){{0,{MAX_PATH_PARTS - 1}}}")
_PATH_RULE: Final = (
    "must be a field path: parts of a letter followed by letters, digits or underscores "
    f"(at most 64 characters each), joined by dots, at most {MAX_PATH_PARTS} parts"
)


class _Missing:
    """The value of a field that is not there at all."""

    __slots__ = ()

    def __repr__(self) -> str:
        return "<missing>"

    def __bool__(self) -> bool:
        return False


#: What a reader returns for a field the evaluated object does not have.
MISSING: Final = _Missing()


class Kind(StrEnum):
    """The kind of a rule literal, which the compared value must share."""

    TEXT = "text"
    NUMBER = "number"
    BOOL = "bool"
    DATE = "date"
    DATETIME = "datetime"
    MONEY = "money"


_KIND_WORDS: Final = {
    Kind.TEXT: "text",
    Kind.NUMBER: "a number",
    Kind.BOOL: "true or false",
    Kind.DATE: "a date",
    Kind.DATETIME: "a timezone-aware datetime",
    Kind.MONEY: "Money",
}


def check_path(value: object, path: str) -> str:
    """Return ``value`` if it is a valid field path such as ``"attributes.tier"``.

    >>> check_path("attributes.tier", "$.field")
    'attributes.tier'
    >>> check_path("__class__", "$.field")
    Traceback (most recent call last):
    ...
    crmcore.errors.ValidationError: $.field: must be a field path: parts of a letter followed by letters, digits or underscores (at most 64 characters each), joined by dots, at most 8 parts
    """
    if not isinstance(value, str):
        raise InvalidType(f"must be a field path str, not {type_name(value)}", path=path)
    if _PATH.fullmatch(value) is None:
        raise ValidationError(_PATH_RULE, path=path, code="field_path")
    return value


def reader(field: str) -> Callable[[Any], Any]:
    """A function reading ``field`` from a mapping, an attrs (or any) object, or a mix.

    A mapping is first asked for the whole path as one key (snapshots use
    flat keys such as ``"attributes.tier"``); otherwise the path is walked a
    part at a time, reading mapping keys and object attributes. A part that
    is not there gives :data:`MISSING`; a ``None`` on the way gives ``None``.
    Mappings are read with ``get``, so a ``defaultdict`` is never changed.
    """
    parts = tuple(field.split("."))
    dotted = len(parts) > 1

    def read(obj: Any) -> Any:
        if isinstance(obj, Mapping):
            found = obj.get(field, MISSING)
            if found is not MISSING or not dotted:
                return found
        current = obj
        for part in parts:
            if isinstance(current, Mapping):
                current = current.get(part, MISSING)
            else:
                current = getattr(current, part, MISSING)
            if current is MISSING or current is None:
                return current
        return current

    return read


def fold(text: str) -> str:
    r"""Text folded for caseless matching: canonical decomposition, case folding, NFC.

    >>> fold("STRASSE") == fold("straße")
    True
    >>> fold("Cafe\u0301") == fold("CAFÉ")
    True

    Raises:
        InvalidType: ``text`` is not a str (at ``$.text``).
    """
    if not isinstance(text, str):
        raise InvalidType(f"must be text, not {type_name(text)}", path="$.text")
    return unicodedata.normalize("NFC", unicodedata.normalize("NFD", text).casefold())


def _mismatch(value: object, kind: Kind, field: str) -> InvalidType:
    return InvalidType(
        f"holds {type_name(value)}, which cannot be compared with {_KIND_WORDS[kind]} "
        "(the rule and the data disagree about this field's type)",
        path=f"$.{field}",
        code="type_mismatch",
    )


def _number_reader(field: str, _: str | None) -> Callable[[Any], Any]:
    def number(value: Any) -> Any:
        if value is None or value is MISSING:
            return MISSING
        if isinstance(value, bool):
            raise _mismatch(value, Kind.NUMBER, field)
        if isinstance(value, int):
            return int(value)
        if isinstance(value, Decimal):
            return MISSING if value.is_nan() else value
        if isinstance(value, float):
            return MISSING if math.isnan(value) else Decimal(repr(value))
        raise _mismatch(value, Kind.NUMBER, field)

    return number


def _text_reader(field: str, _: str | None) -> Callable[[Any], Any]:
    def text(value: Any) -> Any:
        if value is None or value is MISSING:
            return MISSING
        if isinstance(value, str):
            return str(value)
        raise _mismatch(value, Kind.TEXT, field)

    return text


def _bool_reader(field: str, _: str | None) -> Callable[[Any], Any]:
    def boolean(value: Any) -> Any:
        if value is None or value is MISSING:
            return MISSING
        if isinstance(value, bool):
            return value
        raise _mismatch(value, Kind.BOOL, field)

    return boolean


def _date_reader(field: str, _: str | None) -> Callable[[Any], Any]:
    def day(value: Any) -> Any:
        if value is None or value is MISSING:
            return MISSING
        if isinstance(value, date) and not isinstance(value, datetime):
            return value
        raise _mismatch(value, Kind.DATE, field)

    return day


def _datetime_reader(field: str, _: str | None) -> Callable[[Any], Any]:
    def instant(value: Any) -> Any:
        if value is None or value is MISSING:
            return MISSING
        if not isinstance(value, datetime):
            raise _mismatch(value, Kind.DATETIME, field)
        if value.utcoffset() is None:
            raise ValidationError(
                "holds a naive datetime, which cannot be compared with an aware one",
                path=f"$.{field}",
                code="naive_datetime",
            )
        return instant_of(value)

    return instant


def utc_instant(value: datetime) -> datetime:
    """The instant of the aware ``value`` in UTC, or at its own fixed offset near the calendar's ends.

    Python compares two datetimes sharing one ``tzinfo`` object by wall-clock
    time, and never finds a time of a repeated hour equal to one in another
    zone. Rules compare instants: they compare datetimes in fixed offsets,
    where both rules agree with the instant order.

    >>> from zoneinfo import ZoneInfo
    >>> berlin = ZoneInfo("Europe/Berlin")
    >>> utc_instant(datetime(2026, 10, 25, 2, 30, tzinfo=berlin)).isoformat()
    '2026-10-25T00:30:00+00:00'
    >>> utc_instant(datetime(2026, 10, 25, 2, 30, fold=1, tzinfo=berlin)).isoformat()
    '2026-10-25T01:30:00+00:00'
    >>> from datetime import timedelta
    >>> utc_instant(datetime.min.replace(tzinfo=timezone(timedelta(hours=5)))).isoformat()
    '0001-01-01T00:00:00+05:00'
    """
    try:
        return value.astimezone(UTC)
    except OverflowError:  # within a day of year 1 or 9999: keep the offset, fixed
        return value.replace(tzinfo=timezone(value.utcoffset()))  # type: ignore[arg-type]


def instant_of(value: datetime) -> datetime:
    """The aware ``value`` compared by instant: as it is in a fixed offset, else :func:`utc_instant`."""
    if value.tzinfo.__class__ is timezone:
        return value
    return utc_instant(value)


def _money_reader(field: str, currency: str | None) -> Callable[[Any], Any]:
    def money(value: Any) -> Any:
        if value is None or value is MISSING:
            return MISSING
        if not isinstance(value, Money):
            raise _mismatch(value, Kind.MONEY, field)
        if value.currency != currency:
            raise CurrencyMismatch(
                f"holds {value.currency}, which cannot be compared with {currency}",
                path=f"$.{field}",
            )
        return value.amount

    return money


_READERS: Final[dict[Kind, Callable[[str, str | None], Callable[[Any], Any]]]] = {
    Kind.NUMBER: _number_reader,
    Kind.TEXT: _text_reader,
    Kind.BOOL: _bool_reader,
    Kind.DATE: _date_reader,
    Kind.DATETIME: _datetime_reader,
    Kind.MONEY: _money_reader,
}


def value_reader(kind: Kind, field: str, currency: str | None = None) -> Callable[[Any], Any]:
    """A function turning a value read from ``field`` into one comparable with a ``kind`` literal.

    It returns :data:`MISSING` for a missing or ``None`` value (and for a
    NaN number, which has no order), and raises :class:`~crmcore.InvalidType`
    naming the field when the value is of another kind. Floats become the
    Decimal of their shortest representation (``0.1`` → ``Decimal("0.1")``);
    Money becomes its amount after checking the currency; an aware datetime
    becomes the same instant in a fixed offset (:func:`instant_of`), so
    comparisons order instants, never wall-clock times.
    """
    return _READERS[kind](field, currency)


def literal(value: object, path: str) -> tuple[Kind, Any]:  # noqa: C901, PLR0911, PLR0912 - one branch per literal type.
    """Check a literal written in Python and return its kind and normalized value.

    Floats are converted exactly through their shortest representation
    (``0.1`` becomes ``Decimal("0.1")``, what you typed); text is NFC
    normalized; enum members become their values and identifiers their text.

    >>> literal(0.1, "$.value")
    (<Kind.NUMBER: 'number'>, Decimal('0.1'))
    >>> literal(None, "$.value")
    Traceback (most recent call last):
    ...
    crmcore.errors.ValidationError: $.value: must not be None: test for a missing value with is_empty()
    """
    if value is None:
        raise ValidationError(
            "must not be None: test for a missing value with is_empty()",
            path=path,
            code="none_literal",
        )
    if isinstance(value, bool):
        return Kind.BOOL, value
    if isinstance(value, Enum):
        return literal(value.value, path)
    if isinstance(value, int):
        return Kind.NUMBER, _storable(int(value), path)
    if isinstance(value, float):
        if not math.isfinite(value):
            raise ValidationError(
                "must be a finite number (not NaN or infinity)", path=path, code="not_finite"
            )
        return Kind.NUMBER, _storable(Decimal(repr(value)), path)
    if isinstance(value, Decimal):
        if not value.is_finite():
            raise ValidationError(
                "must be a finite number (not NaN or infinity)", path=path, code="not_finite"
            )
        return Kind.NUMBER, _storable(value, path)
    if isinstance(value, Identifier):
        return Kind.TEXT, value.value
    if isinstance(value, str):
        return Kind.TEXT, _text(value, path)
    if isinstance(value, datetime):
        if value.utcoffset() is None:
            raise ValidationError(
                "must be timezone-aware (a naive datetime has no offset)",
                path=path,
                code="naive_datetime",
            )
        return Kind.DATETIME, value
    if isinstance(value, date):
        return Kind.DATE, value
    if isinstance(value, Money):
        return Kind.MONEY, value
    raise InvalidType(
        "must be text, a number, a bool, a date, an aware datetime or Money, "
        f"not {type_name(value)}",
        path=path,
    )


#: Longest number literal, written out in plain notation (as a rule document holds it).
MAX_NUMBER_TEXT: Final = 64


def _storable(value: int | Decimal, path: str) -> int | Decimal:
    """A number a rule document can hold: an int of 63 bits, a Decimal of 64 characters."""
    if isinstance(value, int):
        if not -MAX_INT <= value <= MAX_INT:
            raise ValidationError("must be an integer of at most 63 bits", path=path, code="range")
        return value
    if abs(value.adjusted()) > MAX_NUMBER_TEXT or len(format(value, "f")) > MAX_NUMBER_TEXT:
        raise ValidationError(
            f"must be at most {MAX_NUMBER_TEXT} characters written out, such as '12.50'",
            path=path,
            code="too_long",
        )
    return value


def _text(value: str, path: str) -> str:
    if len(value) > MAX_TEXT_LITERAL:
        raise ValidationError(
            f"must be at most {MAX_TEXT_LITERAL} characters", path=path, code="too_long"
        )
    return unicodedata.normalize("NFC", str(value))


def literal_from_json(kind: Kind, value: object, path: str) -> Any:
    """Read a literal of ``kind`` from its JSON form (see :func:`literal_to_json`)."""
    if kind is Kind.TEXT:
        if not isinstance(value, str):
            raise InvalidType(f"must be a string, not {json_type_name(value)}", path=path)
        return _text(value, path)
    if kind is Kind.BOOL:
        if not isinstance(value, bool):
            raise InvalidType(f"must be true or false, not {json_type_name(value)}", path=path)
        return value
    if kind is Kind.NUMBER:
        return _json_number(value, path)
    if kind is Kind.DATE:
        return _json_date(value, path)
    if kind is Kind.DATETIME:
        return _json_datetime(value, path)
    return _json_money(value, path)


def _json_number(value: object, path: str) -> int | Decimal:
    if isinstance(value, bool) or not isinstance(value, (int, str)):
        if isinstance(value, float):
            raise InvalidType(
                "must be an integer or a decimal string such as '12.50', not a float",
                path=path,
                code="float",
            )
        raise InvalidType(
            f"must be an integer or a decimal string, not {json_type_name(value)}", path=path
        )
    if isinstance(value, int):
        return _storable(value, path)
    if len(value) > MAX_NUMBER_TEXT or _DECIMAL_TEXT.fullmatch(value) is None:
        # What documents write: ASCII digits, a sign and a point; no spaces, "_" or exponent.
        raise ValidationError(
            "must be a decimal string such as '12.50' (ASCII digits, no spaces or exponent)",
            path=path,
            code="decimal",
        )
    return Decimal(value)


def _json_date(value: object, path: str) -> date:
    if not isinstance(value, str):
        raise InvalidType(
            f"must be an ISO 8601 date string, not {json_type_name(value)}", path=path
        )
    rule = "must be an ISO 8601 date such as '1990-04-17'"
    if len(value) != 10:
        raise ValidationError(rule, path=path, code="date")
    try:
        return date.fromisoformat(value)
    except ValueError:
        raise ValidationError(rule, path=path, code="date") from None


def _json_datetime(value: object, path: str) -> datetime:
    return iso_datetime(value, path, describe=json_type_name)


def _json_money(value: object, path: str) -> Money:
    if not isinstance(value, dict):
        raise InvalidType(
            f"must be an object with amount and currency, not {json_type_name(value)}", path=path
        )
    if set(value) != {"amount", "currency"}:
        raise ValidationError(
            "must be an object with exactly the keys 'amount' and 'currency'",
            path=path,
            code="keys",
        )
    amount = value["amount"]
    if isinstance(amount, float):
        raise InvalidType(
            "must be a decimal string such as '12.50', not a float",
            path=f"{path}.amount",
            code="float",
        )
    number = _json_number(amount, f"{path}.amount")
    try:
        return Money(number, value["currency"])
    except ValidationError as exc:
        raise exc.under(path) from None


def literal_to_json(kind: Kind, value: Any) -> Any:
    """The JSON form of a literal: ints stay ints, Decimals become strings, dates ISO text.

    >>> literal_to_json(Kind.NUMBER, Decimal("12.50"))
    '12.50'
    >>> literal_to_json(Kind.MONEY, Money("9.99", "USD"))
    {'amount': '9.99', 'currency': 'USD'}
    """
    if kind is Kind.NUMBER:
        return value if isinstance(value, int) else format(value, "f")
    if kind in (Kind.DATE, Kind.DATETIME):
        return value.isoformat()
    if kind is Kind.MONEY:
        return {"amount": format(value.amount, "f"), "currency": value.currency}
    return value


def show(value: object) -> str:  # noqa: PLR0911 - one branch per value type.
    """A short, stable text for a value in explanations and reprs.

    >>> show(frozenset({"b", "a"})), show(Money("5", "USD")), show(date(2026, 2, 1))
    ("{'a', 'b'}", '5 USD', '2026-02-01')
    """
    if value is MISSING:
        return "<missing>"
    if isinstance(value, (str, bool)) or value is None:
        return repr(value)
    if isinstance(value, Enum):
        return repr(value.value)
    if isinstance(value, (date, datetime)):
        return value.isoformat()
    if isinstance(value, (frozenset, set, tuple, list)):
        items = sorted(show(item) for item in value)
        if len(items) > 10:
            items = [*items[:10], f"... ({len(items)} in all)"]
        return "{" + ", ".join(items) + "}"
    if isinstance(value, (int, Decimal, float, Money, Identifier)):
        return str(value)
    return f"<{type_name(value)}>"
