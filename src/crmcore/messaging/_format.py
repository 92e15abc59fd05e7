"""How values are written into a rendered message, per language.

The rules are deliberately few, so that a reader can predict every output:

- ``str``: as it is. It must not hold control or invisible format characters
  (a line break included: a value placed in an email subject must not be able
  to start a new header line) and is at most :data:`MAX_VALUE_LENGTH`
  characters.
- ``int`` (not ``bool``) and :class:`~decimal.Decimal`: digits grouped in
  threes. Indonesian (``id``) groups with ``.`` and marks decimals with
  ``,`` (``12.500``, ``2,5``); every other language uses ``,`` and ``.``
  (``12,500``, ``2.5``). A Decimal keeps the digits it has (``Decimal("2.50")``
  is ``2.50``).
- :class:`~crmcore.Money`: rounded to the currency's minor unit and grouped as
  above. Rupiah is written ``Rp`` directly before the amount, the Indonesian
  spelling convention (``Rp150.000``, ``Rp150.000,50``), and shows decimals
  only when there is a fraction, as rupiah prices are quoted; every other
  currency is its ISO 4217 code, a space and the amount with all its minor
  unit digits (``USD 1,234.50``, ``JPY 1,200``). A negative amount starts
  with ``-`` (``-Rp5.000``).
- :class:`~datetime.date` (not a datetime, whose day depends on a time zone):
  ``5 Januari 2026`` in Indonesian, ``5 January 2026`` in English, ISO 8601
  (``2026-01-05``) in every other language.

Only the primary language subtag decides (``id-ID`` formats as ``id``).
"""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from typing import Final

from crmcore._kernel._checks import MAX_DIGITS, has_control_chars, type_name
from crmcore._kernel._money import Money
from crmcore.errors import InvalidType, Problem

#: Longest text value, in characters, that a placeholder may be filled with.
MAX_VALUE_LENGTH: Final = 1_000

_INDONESIAN_MONTHS: Final = (
    "Januari",
    "Februari",
    "Maret",
    "April",
    "Mei",
    "Juni",
    "Juli",
    "Agustus",
    "September",
    "Oktober",
    "November",
    "Desember",
)
_ENGLISH_MONTHS: Final = (
    "January",
    "February",
    "March",
    "April",
    "May",
    "June",
    "July",
    "August",
    "September",
    "October",
    "November",
    "December",
)

_TYPES_RULE: Final = "must be a str, int, Decimal, Money or date"


def _separators(language: str) -> tuple[str, str]:
    """(thousands, decimal) separators of ``language``'s primary subtag."""
    return (".", ",") if language.split("-", 1)[0] == "id" else (",", ".")


def _group(digits: str, thousands: str) -> str:
    head = len(digits) % 3 or 3
    parts = [digits[:head]] + [digits[i : i + 3] for i in range(head, len(digits), 3)]
    return thousands.join(parts)


def format_number(number: Decimal | int, language: str, *, places: int | None = None) -> str:
    """Write ``number`` with ``language``'s separators (``places`` fixes the decimals).

    >>> format_number(1234567, "id"), format_number(Decimal("1234.5"), "en")
    ('1.234.567', '1,234.5')
    """
    thousands, point = _separators(language)
    value = Decimal(number)
    if places is not None:
        value = value.quantize(Decimal(1).scaleb(-places))
    sign = "-" if value.is_signed() and value != 0 else ""
    text = format(value.copy_abs(), "f")
    whole, _, fraction = text.partition(".")
    out = sign + _group(whole, thousands)
    return f"{out}{point}{fraction}" if fraction else out


def format_money(money: Money, language: str) -> str:
    """Write ``money`` as the module docstring says.

    >>> format_money(Money("150000", "IDR"), "id"), format_money(Money("1234.5", "USD"), "en")
    ('Rp150.000', 'USD 1,234.50')
    """
    rounded = money.rounded()
    if money.currency == "IDR":
        whole = rounded.amount == rounded.amount.to_integral_value()
        amount = format_number(rounded.amount.copy_abs(), language, places=0 if whole else 2)
        sign = "-" if rounded.amount < 0 else ""
        return f"{sign}Rp{amount}"
    amount = format_number(rounded.amount, language, places=rounded.minor_unit)
    return f"{money.currency} {amount}"


def format_date(day: date, language: str) -> str:
    """Write ``day`` as the module docstring says.

    >>> format_date(date(2026, 1, 5), "id-ID"), format_date(date(2026, 1, 5), "fr")
    ('5 Januari 2026', '2026-01-05')
    """
    primary = language.split("-", 1)[0]
    if primary == "id":
        return f"{day.day} {_INDONESIAN_MONTHS[day.month - 1]} {day.year}"
    if primary == "en":
        return f"{day.day} {_ENGLISH_MONTHS[day.month - 1]} {day.year}"
    return day.isoformat()


def format_value(value: object, language: str, path: str) -> str | Problem:
    """The text ``value`` is written as, or the problem that refuses it (never raises).

    The problem's rule never repeats the value.
    """
    if isinstance(value, str):
        return _text(value, path)
    if isinstance(value, (bool, float, datetime)):
        return _type_problem(value, path)
    if isinstance(value, (int, Decimal)):
        return _number(value, language, path)
    if isinstance(value, Money):
        return format_money(value, language)
    if isinstance(value, date):
        return format_date(value, language)
    return _type_problem(value, path)


def _text(value: str, path: str) -> str | Problem:
    if len(value) > MAX_VALUE_LENGTH:
        return Problem(path, f"must be at most {MAX_VALUE_LENGTH} characters", "too_long")
    if has_control_chars(value):
        return Problem(
            path,
            "must not contain control characters (line breaks included) "
            "or invisible format characters",
            "control_characters",
        )
    return value


def _number(value: int | Decimal, language: str, path: str) -> str | Problem:
    too_long = Problem(path, f"must have at most {MAX_DIGITS} digits", "too_long")
    if isinstance(value, int):
        return too_long if abs(value).bit_length() > 400 else format_number(value, language)
    if not value.is_finite():
        return Problem(path, "must be a finite number (not NaN or infinity)", "not_finite")
    if len(value.as_tuple().digits) > MAX_DIGITS or abs(value.adjusted()) >= MAX_DIGITS:
        return too_long
    return format_number(value, language)


def _type_problem(value: object, path: str) -> Problem:
    return Problem(path, f"{_TYPES_RULE}, not {type_name(value)}", InvalidType.default_code)


def is_type_problem(problem: Problem) -> bool:
    """True if ``problem`` is a wrong type (reported as :class:`~crmcore.InvalidType`)."""
    return problem.code == InvalidType.default_code
