"""Tests for `crmcore.messaging._format`: how values are written per language."""

from datetime import UTC, date, datetime
from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from crmcore import Money
from crmcore.messaging._format import (
    MAX_VALUE_LENGTH,
    format_date,
    format_money,
    format_number,
    format_value,
)
from crmcore.testing.strategies import moneys
from crmcore.testing.strategies._messaging import language_tags, value_texts

LANGUAGES = st.sampled_from(["id", "id-ID", "en", "en-GB", "fr", "ms"])


def _swap(text):
    """Python's en-style grouping turned into Indonesian style (independent reference)."""
    return text.replace(",", "\0").replace(".", ",").replace("\0", ".")


def _reference(number, language):
    text = format(number, ",")
    return _swap(text) if language.split("-")[0] == "id" else text


@given(st.integers(min_value=-(10**30), max_value=10**30), LANGUAGES)
def test_ints_group_like_python_with_the_language_separators(number, language):
    """Ints match Python's ',' grouping, with '.' and ',' swapped for Indonesian."""
    assert _reference(number, language) == format_number(number, language)


def _unswap(text, language):
    return _swap(text) if language.split("-")[0] == "id" else text


@given(
    st.decimals(allow_nan=False, allow_infinity=False, min_value=-(10**12), max_value=10**12),
    LANGUAGES,
)
def test_decimals_match_fixed_point_formatting(number, language):
    """Decimals are written like Python's ',f' (never in exponent form), zero without a sign."""
    expected = format(number, ",f")
    if number == 0:
        expected = expected.lstrip("-")
    assert expected == _unswap(format_number(number, language), language)


def test_indonesian_rupiah_follows_the_spelling_convention():
    """Rupiah: 'Rp' directly before the amount, '.' groups, decimals only for a fraction."""
    assert "Rp150.000" == format_money(Money("150000", "IDR"), "id")
    assert "Rp19.800.000" == format_money(Money("19800000", "IDR"), "id-ID")
    assert "Rp1.500,50" == format_money(Money("1500.5", "IDR"), "id")
    assert "-Rp5.000" == format_money(Money("-5000", "IDR"), "id")
    assert "Rp275,000" == format_money(Money("275000", "IDR"), "en")


@given(moneys(currencies=["USD", "EUR", "JPY", "KWD", "GBP"], places=4), LANGUAGES)
def test_other_currencies_are_the_code_and_the_rounded_amount(money, language):
    """Other currencies: the ISO code, a space, the amount with all its minor unit digits."""
    rounded = money.rounded()
    exponent = Decimal(1).scaleb(-rounded.minor_unit)
    expected = format(rounded.amount.quantize(exponent), ",f")
    if rounded.amount == 0:
        expected = expected.lstrip("-")
    assert f"{money.currency} {expected}" == money.currency + " " + _unswap(
        format_money(money, language).split(" ", 1)[1], language
    )


@given(moneys(currencies=["IDR"]), LANGUAGES)
def test_rupiah_amounts_read_back(money, language):
    """A written rupiah amount reads back to the rounded amount."""
    text = format_money(money, language)
    digits = text.replace("Rp", "")
    thousands, point = (".", ",") if language.startswith("id") else (",", ".")
    number = Decimal(digits.replace(thousands, "").replace(point, "."))
    assert money.rounded().amount == number


@given(st.dates())
def test_english_dates_match_strftime(day):
    """English dates: day, month name, year (strftime's C-locale month names as reference)."""
    assert f"{day.day} {day.strftime('%B')} {day.year}" == format_date(day, "en-GB")


def test_indonesian_dates_use_indonesian_month_names():
    """Indonesian dates: '17 Agustus 1945'."""
    assert "17 Agustus 1945" == format_date(date(1945, 8, 17), "id")
    assert "1 Januari 2026" == format_date(date(2026, 1, 1), "id-ID")
    assert "31 Desember 2026" == format_date(date(2026, 12, 31), "id")
    assert "29 Februari 2028" == format_date(date(2028, 2, 29), "id")


@given(st.dates(), language_tags())
def test_other_languages_use_iso_dates(day, language):
    """Languages without a format of their own get ISO 8601."""
    if language.split("-")[0] not in {"id", "en"}:
        assert day.isoformat() == format_date(day, language)


@given(value_texts())
def test_text_values_are_written_as_they_are(text):
    """Accepted text comes out unchanged, braces included."""
    assert text == format_value(text, "id", "$.values.x")


@pytest.mark.parametrize(
    ("value", "code"),
    [
        ("a\nb", "control_characters"),
        ("a\u200bb", "control_characters"),
        ("x" * (MAX_VALUE_LENGTH + 1), "too_long"),
        (1.5, "type"),
        (True, "type"),
        (None, "type"),
        (object(), "type"),
        (Decimal("NaN"), "not_finite"),
        (Decimal("1e-150"), "too_long"),
        (Decimal("1" * 101), "too_long"),
        (10**130, "too_long"),
    ],
)
def test_refused_values(value, code):
    """Each refused value gives a problem at the path, never repeating the text."""
    problem = format_value(value, "en", "$.values.x")
    assert "$.values.x" == problem.path
    assert code == problem.code
    if isinstance(value, str):
        assert value not in problem.rule


def test_datetimes_are_refused():
    """A datetime's day depends on a time zone, so it is refused (convert to a date first)."""
    problem = format_value(datetime(2026, 1, 1, tzinfo=UTC), "en", "$.values.due_date")
    assert "type" == problem.code
