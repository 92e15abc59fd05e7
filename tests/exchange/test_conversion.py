"""Tests for `crmcore.exchange._rates` conversions: exact products, one explicit rounding."""

import math
from datetime import date
from decimal import Decimal
from fractions import Fraction

import pytest
from hypothesis import given
from hypothesis import strategies as st

from crmcore import Money
from crmcore.errors import InvalidType, ValidationError
from crmcore.exchange import Conversion, ExchangeRate, RateSource, RateTable
from crmcore.testing.strategies._base import moneys
from crmcore.testing.strategies._exchange import exchange_rates, rate_tables

JAN = date(2026, 1, 1)
MODES = (
    "ROUND_CEILING",
    "ROUND_DOWN",
    "ROUND_FLOOR",
    "ROUND_HALF_DOWN",
    "ROUND_HALF_EVEN",
    "ROUND_HALF_UP",
    "ROUND_UP",
    "ROUND_05UP",
)
TABLE = RateTable(
    [
        ExchangeRate("USD", "IDR", "16000", valid_from=JAN),
        ExchangeRate("USD", "JPY", "150.5", valid_from=JAN),
        ExchangeRate("KWD", "USD", "3.25", valid_from=JAN),
    ],
    pivot="USD",
)


def reference_round(value: Fraction, places: int, mode: str) -> Fraction:
    """Round ``value`` to ``places`` decimals as the decimal module's modes are specified."""
    scaled = abs(value) * 10**places
    whole = math.floor(scaled)
    rest = scaled - whole
    half = Fraction(1, 2)
    negative = value < 0
    if mode == "ROUND_DOWN":
        units = whole
    elif mode == "ROUND_UP":
        units = whole + (rest > 0)
    elif mode == "ROUND_CEILING":
        units = whole + (rest > 0 and not negative)
    elif mode == "ROUND_FLOOR":
        units = whole + (rest > 0 and negative)
    elif mode == "ROUND_HALF_UP":
        units = whole + (rest >= half)
    elif mode == "ROUND_HALF_DOWN":
        units = whole + (rest > half)
    elif mode == "ROUND_HALF_EVEN":
        units = whole + (rest > half or (rest == half and whole % 2 == 1))
    else:  # ROUND_05UP: away from zero only if the digit kept would be 0 or 5
        units = whole + (rest > 0 and whole % 5 == 0)
    return Fraction(-units if negative else units, 10**places)


def test_a_conversion_multiplies_exactly_and_rounds_once():
    """250.00 USD at 16000 is 4,000,000.00 IDR; 10.01 USD at 150.5 is 1506.505 -> 1507 JPY."""
    assert Money("4000000.00", "IDR") == TABLE.convert(Money("250.00", "USD"), "IDR", on=JAN)
    found = TABLE.conversion(Money("10.01", "USD"), "JPY", on=JAN)
    assert Money("1506.505", "JPY") == found.exact
    assert Money("1507", "JPY") == found.rounded
    assert Money("1506", "JPY") == TABLE.convert(
        Money("10.01", "USD"), "JPY", on=JAN, rounding="ROUND_DOWN"
    )


def test_ties_follow_the_mode_named():
    """0.5 JPY exactly: half-even goes to 0, half-up to 1; -0.5 JPY half-up to -1."""
    table = RateTable([ExchangeRate("USD", "JPY", "50", valid_from=JAN)])
    cent = Money("0.01", "USD")
    assert Money("0", "JPY") == table.convert(cent, "JPY", on=JAN)
    assert Money("1", "JPY") == table.convert(cent, "JPY", on=JAN, rounding="ROUND_HALF_UP")
    assert Money("-1", "JPY") == table.convert(-cent, "JPY", on=JAN, rounding="ROUND_HALF_UP")
    assert Money("-0", "JPY") == table.convert(-cent, "JPY", on=JAN, rounding="ROUND_HALF_EVEN")


def test_the_explained_conversion_says_where_the_rate_came_from():
    """KWD -> IDR crosses USD: 3.25 * 16000 = 52000 IDR per KWD, from two stored rows."""
    found = TABLE.conversion(Money("1.500", "KWD"), "IDR", on=JAN, rounding="ROUND_UP")
    assert isinstance(found, Conversion)
    assert (RateSource.CROSS, "USD", Decimal(52000)) == (found.source, found.pivot, found.rate)
    assert (TABLE.rates[2], TABLE.rates[0]) == found.rates
    assert (Money("78000.00", "IDR"), "ROUND_UP", JAN) == (found.rounded, found.rounding, found.on)
    back = TABLE.conversion(Money("52000", "IDR"), "KWD", on=JAN)
    assert (RateSource.CROSS, Money("1.000", "KWD")) == (back.source, back.rounded)
    inverse = TABLE.conversion(Money("16000", "IDR"), "USD", on=JAN)
    assert (RateSource.INVERSE, (TABLE.rates[0],), None) == (
        inverse.source,
        inverse.rates,
        inverse.pivot,
    )


def test_money_already_in_the_target_currency_comes_back_unchanged():
    """No rate is looked up and nothing is rounded, not even a finer amount."""
    fine = Money("10.005", "USD")
    assert fine is TABLE.convert(fine, "USD", on=date(1990, 1, 1))
    found = TABLE.conversion(fine, "usd", on=JAN)
    assert (RateSource.IDENTITY, Decimal(1), (), fine, fine) == (
        found.source,
        found.rate,
        found.rates,
        found.exact,
        found.rounded,
    )


def test_rounding_none_gives_the_exact_amount():
    """``rounding=None`` is the unrounded product, in the target currency."""
    assert Money("1506.505", "JPY") == TABLE.convert(
        Money("10.01", "USD"), "JPY", on=JAN, rounding=None
    )


def test_a_missing_rate_converts_nothing():
    """No rate on the day: the no_rate error at ``$.on``."""
    with pytest.raises(ValidationError) as caught:
        TABLE.convert(Money("1.00", "USD"), "EUR", on=JAN)
    assert ("$.on", "no_rate") == (caught.value.path, caught.value.code)


@pytest.mark.parametrize(
    ("call", "path", "error"),
    [
        (lambda: TABLE.convert(Decimal(1), "IDR", on=JAN), "$.money", InvalidType),
        (lambda: TABLE.convert(Money(1, "USD"), "RUPIAH", on=JAN), "$.to", ValidationError),
        (lambda: TABLE.convert(Money(1, "USD"), "IDR", on="2026-01-01"), "$.on", InvalidType),
        (
            lambda: TABLE.convert(Money(1, "USD"), "IDR", on=JAN, rounding="HALF_UP"),
            "$.rounding",
            ValidationError,
        ),
        (
            lambda: TABLE.conversion(Money(1, "USD"), "IDR", on=JAN, rounding=None),
            "$.rounding",
            ValidationError,
        ),
    ],
)
def test_conversion_arguments_are_checked(call, path, error):
    """Each bad argument is named by its path."""
    with pytest.raises(error) as caught:
        call()
    assert path == caught.value.path


def test_a_result_too_large_for_money_is_refused():
    """10**20 USD at 16000 IDR is past 10**21: too_large at ``$.money``."""
    with pytest.raises(ValidationError) as caught:
        TABLE.convert(Money(10**20, "USD"), "IDR", on=JAN)
    assert ("$.money", "too_large") == (caught.value.path, caught.value.code)
    near = RateTable([ExchangeRate("USD", "JPY", "1", valid_from=JAN)])
    with pytest.raises(ValidationError, match="10\\*\\*21"):
        near.convert(Money("999999999999999999999.9", "USD"), "JPY", on=JAN, rounding="ROUND_UP")


def test_an_exact_amount_past_a_hundred_decimal_places_is_rounded_there():
    """A tiny amount times a tiny rate keeps the 100 places a Money amount holds."""
    table = RateTable([ExchangeRate("USD", "JPY", "5.234567e-12", valid_from=JAN)])
    found = table.conversion(Money("1e-89", "USD"), "JPY", on=JAN)
    assert Money(0, "JPY") == found.rounded
    assert -100 == found.exact.amount.as_tuple().exponent
    assert Fraction(found.exact.amount) == reference_round(
        Fraction("5.234567e-101"), 100, "ROUND_HALF_EVEN"
    )


@given(
    st.one_of(rate_tables(), rate_tables(pivot="USD")),
    st.data(),
    st.sampled_from(MODES),
)
def test_every_conversion_is_the_exact_product_rounded_once(table, data, mode):
    """The rounded amount is amount x rate, rounded by a reference rounding of exact fractions."""
    codes = sorted(table.currencies | {"USD"})
    money = data.draw(moneys(currencies=codes, min_value=-(10**12), max_value=10**12))
    to = data.draw(st.sampled_from(codes))
    on = data.draw(st.sampled_from([r.valid_from for r in table.rates] or [JAN]))
    try:
        found = table.conversion(money, to, on=on, rounding=mode)
    except ValidationError as exc:
        if exc.code != "no_rate":
            raise
        return
    if to == money.currency:
        assert money == found.rounded
        return
    exact = Fraction(money.amount) * Fraction(found.rate)
    assert exact == Fraction(found.exact.amount)
    assert reference_round(exact, found.rounded.minor_unit, mode) == Fraction(found.rounded.amount)
    assert found.rounded == table.convert(money, to, on=on, rounding=mode)


@given(exchange_rates(), moneys(currencies=["USD"], min_value=-(10**9), max_value=10**9))
def test_converting_a_sum_differs_from_the_sum_of_conversions_by_rounding_only(row, money):
    """Conversion is linear before rounding: exact amounts of parts add up to the whole's."""
    table = RateTable([ExchangeRate("USD", "EUR", row.rate, valid_from=JAN)])
    half = Money(money.amount / 2, "USD")
    parts = [half, money - half]
    exact = [table.convert(p, "EUR", on=JAN, rounding=None) for p in parts]
    assert table.convert(money, "EUR", on=JAN, rounding=None) == exact[0] + exact[1]
