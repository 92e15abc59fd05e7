"""Tests for `crmcore._kernel._money`."""

from decimal import Decimal

import pytest

from crmcore import CurrencyMismatch, InvalidType, Money, ValidationError, currency
from crmcore._kernel._money import difference, product


def test_amount_is_exact_decimal_from_str_int_or_decimal():
    """Amounts come in as Decimal, int or numeric str and stay exact."""
    assert Decimal("0.30") == (Money("0.10", "USD") + Money("0.20", "USD")).amount
    assert Decimal(5) == Money(5, "USD").amount
    assert Decimal("1.005") == Money(Decimal("1.005"), "KWD").amount


@pytest.mark.parametrize("bad", [1.5, 0.1, float("nan")])
def test_floats_are_refused(bad):
    """A float cannot hold most decimal fractions exactly, so it is refused."""
    with pytest.raises(InvalidType) as info:
        Money(bad, "USD")
    assert "$.amount" == info.value.path
    assert isinstance(info.value, TypeError)


@pytest.mark.parametrize("bad", ["NaN", "Infinity", "-inf", Decimal("NaN"), Decimal("-Infinity")])
def test_nan_and_infinity_are_refused(bad):
    """Non-finite amounts are a ValidationError naming the amount."""
    with pytest.raises(ValidationError) as info:
        Money(bad, "USD")
    assert ("$.amount", "not_finite") == (info.value.path, info.value.code)


@pytest.mark.parametrize("bad", ["", "12,50", "abc", "1e", "1" * 65])
def test_non_numeric_strings_are_refused(bad):
    """Strings must be decimal numbers."""
    with pytest.raises(ValidationError) as info:
        Money(bad, "USD")
    assert "$.amount" == info.value.path


@pytest.mark.parametrize("bad", [True, None, [1], object()])
def test_wrong_amount_types_are_type_errors(bad):
    """bool, None and containers are not amounts."""
    with pytest.raises(InvalidType):
        Money(bad, "USD")


@pytest.mark.parametrize("code", ["XXX", "US", "usdollar", "ABC", ""])
def test_unknown_currencies_are_refused(code):
    """Only active ISO 4217 codes are accepted."""
    with pytest.raises(ValidationError) as info:
        Money("1", code)
    assert ("$.currency", "currency") == (info.value.path, info.value.code)


def test_currency_codes_are_normalized_to_upper_case():
    """A lower-case code is accepted and stored upper-case."""
    assert "IDR" == Money("1", " idr ").currency


@pytest.mark.parametrize(("code", "minor"), [("IDR", 2), ("JPY", 0), ("KWD", 3), ("USD", 2)])
def test_minor_units_come_from_the_table(code, minor):
    """Each currency knows its decimal places."""
    assert minor == currency(code).minor_unit
    assert minor == Money("1", code).minor_unit


def test_arithmetic_within_one_currency():
    """+, -, unary minus, abs, scalar * and / work and keep the currency."""
    a, b = Money("10.00", "EUR"), Money("2.50", "EUR")
    assert Money("12.50", "EUR") == a + b
    assert Money("7.50", "EUR") == a - b
    assert Money("-10.00", "EUR") == -a
    assert Money("10.00", "EUR") == abs(-a)
    assert Money("25.00", "EUR") == b * 10
    assert Money("25.00", "EUR") == 10 * b
    assert Money("5", "EUR") == a / 2
    assert Decimal(4) == a.ratio(b)


def test_mixing_currencies_raises_currency_mismatch():
    """Adding, subtracting or ordering two currencies is refused; equality is just False."""
    usd, eur = Money("1", "USD"), Money("1", "EUR")
    for operation in (
        lambda: usd + eur,
        lambda: usd - eur,
        lambda: usd < eur,
        lambda: usd >= eur,
        lambda: usd.ratio(eur),
    ):
        with pytest.raises(CurrencyMismatch):
            operation()
    assert usd != eur


def test_money_times_money_and_float_factors_are_refused():
    """Only scalars multiply money, and never floats."""
    with pytest.raises(InvalidType):
        Money("1", "USD") * Money("1", "USD")  # type: ignore[operator]
    with pytest.raises(InvalidType):
        Money("1", "USD") * 1.1  # type: ignore[operator]


def test_division_by_zero_is_a_validation_error():
    """Never a bare ZeroDivisionError or decimal.DivisionByZero."""
    with pytest.raises(ValidationError):
        Money("1", "USD") / 0
    with pytest.raises(ValidationError):
        Money("1", "USD").ratio(Money("0", "USD"))


def test_sum_of_monies_works_and_total_handles_empty():
    """sum() starts from 0; Money.total names the currency for the empty case."""
    amounts = [Money("1.10", "IDR"), Money("2.20", "IDR"), Money("3.30", "IDR")]
    assert Money("6.60", "IDR") == sum(amounts)
    assert Money("0", "IDR") == Money.total([], currency="IDR")
    with pytest.raises(CurrencyMismatch) as info:
        Money.total([Money("1", "IDR"), Money("1", "USD")], currency="IDR")
    assert "$.amounts[1].currency" == info.value.path


def test_equal_amounts_with_different_exponents_are_equal_and_hash_alike():
    """1.0 and 1.00 are the same amount."""
    assert Money("1.0", "USD") == Money("1.00", "USD")
    assert hash(Money("1.0", "USD")) == hash(Money("1.00", "USD"))


@pytest.mark.parametrize(
    ("amount", "code", "rounding", "expected"),
    [
        ("2.675", "USD", "ROUND_HALF_EVEN", "2.68"),
        ("2.665", "USD", "ROUND_HALF_EVEN", "2.66"),
        ("2.665", "USD", "ROUND_HALF_UP", "2.67"),
        ("1234.5", "JPY", "ROUND_HALF_EVEN", "1234"),
        ("1.23456", "KWD", "ROUND_HALF_EVEN", "1.235"),
        ("-0.005", "USD", "ROUND_HALF_UP", "-0.01"),
    ],
)
def test_rounding_to_the_minor_unit(amount, code, rounding, expected):
    """rounded() quantizes to the currency's minor unit with the chosen mode."""
    assert Decimal(expected) == Money(amount, code).rounded(rounding).amount


def test_unknown_rounding_mode_is_refused():
    """Only the decimal module's ROUND_* modes are accepted."""
    with pytest.raises(ValidationError):
        Money("1", "USD").rounded("ROUND_SOMETIMES")


def test_minor_units_round_trip():
    """from_minor_units and to_minor_units are inverse for whole minor units."""
    assert Money("10.50", "USD") == Money.from_minor_units(1050, "USD")
    assert 1050 == Money("10.50", "USD").to_minor_units()
    assert 1050 == Money.from_minor_units(1050, "JPY").to_minor_units()


def test_allocate_never_loses_a_minor_unit():
    """Parts add up to the rounded total and differ by at most one minor unit."""
    parts = Money("100", "USD").allocate([1, 1, 1])
    assert Money("100", "USD") == sum(parts)
    assert [Decimal("33.34"), Decimal("33.33"), Decimal("33.33")] == [p.amount for p in parts]
    weighted = Money("10", "USD").allocate([Decimal("0.7"), Decimal("0.3")])
    assert [Decimal("7.00"), Decimal("3.00")] == [p.amount for p in weighted]
    negative = Money("-1", "USD").allocate([1, 2])
    assert Money("-1", "USD") == sum(negative)


@pytest.mark.parametrize("ratios", [[], [0, 0], [1, -1]])
def test_allocate_refuses_bad_ratios(ratios):
    """Ratios must be non-negative and not all zero."""
    with pytest.raises(ValidationError):
        Money("1", "USD").allocate(ratios)


def test_repr_and_str():
    """The repr rebuilds the value; str reads like a price."""
    assert "Money('12.50', 'USD')" == repr(Money("12.50", "USD"))
    assert "12.50 USD" == str(Money("12.50", "USD"))
    assert "12.5 USD" == f"{Money('12.50', 'USD'):.1f}"


def test_sums_are_exact_or_refused_never_silently_rounded():
    """A sum that cannot be held exactly is an error, not a rounded number."""
    big = Money("1E+20", "USD")
    assert Decimal("100000000000000000000.01") == (big + Money("0.01", "USD")).amount
    with pytest.raises(ValidationError) as info:
        big + Money("1E-90", "USD")
    assert "too_long" == info.value.code


def test_amounts_have_bounded_size_and_round_trip_as_text():
    """At most 100 significant digits and below 10**21; every valid amount reads back."""
    longest = Money(Decimal("1." + "1" * 99), "USD")
    assert longest == Money(str(longest.amount), "USD")
    with pytest.raises(ValidationError):
        Money(Decimal("1." + "1" * 100), "USD")
    with pytest.raises(ValidationError) as info:
        Money("1E+21", "USD")
    assert "too_large" == info.value.code
    with pytest.raises(ValidationError):
        Money("1E+20", "USD") * 100


def test_products_and_quotients_keep_28_digits_and_sums_of_them_stay_exact():
    """Division rounds like Python's default context; adding its results loses nothing."""
    third = Money("10", "USD") / 3
    assert 28 == len(third.amount.as_tuple().digits)
    total = Money("1E+20", "USD") + third
    assert total - Money("1E+20", "USD") == third


def test_allocate_never_gives_a_zero_ratio_a_unit():
    """Leftover units go to the largest remainders among non-zero ratios."""
    parts = Money("0.01", "USD").allocate([0, 1, 1])
    assert [Decimal("0.00"), Decimal("0.01"), Decimal("0.00")] == [p.amount for p in parts]


@pytest.mark.parametrize("amounts", [None, 5, "12", {"a": 1}])
def test_total_refuses_what_is_not_an_iterable_of_money(amounts):
    """D04: Money.total checks its argument (it raised a bare TypeError)."""
    with pytest.raises(InvalidType) as info:
        Money.total(amounts, currency="IDR")
    assert "$.amounts" == info.value.path


@pytest.mark.parametrize("rounding", [[], None, 3, "ROUND_SIDEWAYS"])
def test_rounded_refuses_unknown_or_unhashable_modes(rounding):
    """D05: an unhashable rounding mode is refused like an unknown one."""
    with pytest.raises(ValidationError) as info:
        Money("1.005", "USD").rounded(rounding)
    assert "$.rounding" == info.value.path


@pytest.mark.parametrize("ratios", [None, 5, "12", {1: 2}])
def test_allocate_refuses_what_is_not_a_sequence_of_ratios(ratios):
    """D06: Money.allocate checks its argument (it raised a bare TypeError)."""
    with pytest.raises(InvalidType) as info:
        Money("10", "USD").allocate(ratios)
    assert "$.ratios" == info.value.path


def test_allocate_sums_huge_ratios_without_overflow():
    """D06: ratios beyond the decimal context are refused, never an escaping decimal.Overflow."""
    with pytest.raises(ValidationError):
        Money("10", "USD").allocate([Decimal("1E+999999"), 1])


@pytest.mark.parametrize("spec", ["\x00", "x" * 50, "%Y", "d", ",.2q", "1000000000000f"])
def test_format_refuses_specs_that_are_not_decimal_formats(spec):
    """D07: a bad format spec is a ValidationError, never a bare ValueError."""
    with pytest.raises(ValidationError) as info:
        format(Money("1234.5", "USD"), spec)
    assert "$.spec" == info.value.path


def test_format_takes_the_decimal_mini_language():
    """Fill, alignment, grouping and precision work as for Decimal."""
    assert "*1,234.50* USD" == format(Money("1234.5", "USD"), "*^10,.2f")


@pytest.mark.parametrize(
    ("amount", "other"),
    [("10.00", "2.5"), ("1E+2", "0"), ("-0", "0"), ("0.1", "0.10"), ("1E+20", "0.01")],
)
def test_difference_is_the_amount_of_the_money_difference(amount, other):
    """difference() gives the amount Money subtraction gives, digit for digit."""
    expected = (Money(amount, "USD") - Money(other, "USD")).amount
    found = difference(Decimal(amount), Decimal(other))
    assert expected.as_tuple() == found.as_tuple()


def test_money_of_a_difference_refuses_what_money_subtraction_refuses():
    """An exact difference too long for Money is refused when its Money is built, as a - b is."""
    big, tiny = Money("1E+20", "USD"), Money("1E-90", "USD")
    with pytest.raises(ValidationError) as expected:
        big - tiny
    with pytest.raises(ValidationError) as found:
        Money(difference(big.amount, tiny.amount), "USD")
    assert (expected.value.path, expected.value.code) == (found.value.path, found.value.code)


@pytest.mark.parametrize(
    ("amount", "factor"),
    [("11.77", 3), ("11.77", 1), ("1E+2", 1), ("-0", 5), ("1234567890123456789.0123456789", 1)],
)
def test_product_is_the_amount_of_the_money_product(amount, factor):
    """product() gives the amount Money multiplication gives, digit for digit."""
    expected = (Money(amount, "USD") * factor).amount
    assert expected.as_tuple() == product(Decimal(amount), factor).as_tuple()


def test_money_of_a_product_refuses_what_money_multiplication_refuses():
    big = Money("1E+20", "USD")
    with pytest.raises(ValidationError) as expected:
        big * 100
    with pytest.raises(ValidationError) as found:
        Money(product(big.amount, 100), "USD")
    assert (expected.value.path, expected.value.code) == (found.value.path, found.value.code)
