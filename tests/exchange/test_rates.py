"""Tests for `crmcore.exchange._rates`: dated rates, the table's checks and rate look-up."""

from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from fractions import Fraction

import pytest
from hypothesis import given
from hypothesis import strategies as st

from crmcore import Money
from crmcore.errors import InvalidType, ValidationError
from crmcore.exchange import MAX_RATES, ExchangeRate, RateSource, RateTable
from crmcore.testing.strategies._exchange import exchange_rates, rate_tables

JAN = date(2026, 1, 1)
APR = date(2026, 4, 1)
JUL = date(2026, 7, 1)


def rate(base, quote, value, start=JAN, end=None):
    return ExchangeRate(base, quote, value, valid_from=start, valid_until=end)


# -- ExchangeRate ------------------------------------------------------------------------------


def test_a_rate_normalizes_codes_and_takes_decimal_int_and_str():
    """Codes are upper-cased; a str or int rate becomes the Decimal it spells."""
    made = [
        rate("usd", " idr ", "16250.50"),
        rate("USD", "JPY", 150),
        rate("USD", "EUR", Decimal("0.92")),
    ]
    assert ("USD", "IDR", Decimal("16250.50")) == (made[0].base, made[0].quote, made[0].rate)
    assert Decimal(150) == made[1].rate
    assert Decimal("0.92") == made[2].rate


@pytest.mark.parametrize(
    ("value", "code", "error"),
    [
        (1.5, "float", InvalidType),
        (True, "type", InvalidType),
        ("abc", "decimal", ValidationError),
        ("NaN", "not_finite", ValidationError),
        (0, "not_positive", ValidationError),
        ("-1.2", "not_positive", ValidationError),
        ("1." + "1" * 28, "too_long", ValidationError),
        ("1e13", "out_of_range", ValidationError),
        ("1e-13", "out_of_range", ValidationError),
    ],
)
def test_a_bad_rate_is_refused_at_its_path(value, code, error):
    """Floats, non-numbers, zero, negatives, too many digits and extreme rates are refused."""
    with pytest.raises(error) as caught:
        rate("USD", "IDR", value)
    assert "$.rate" == caught.value.path
    assert code == caught.value.code


def test_the_rate_bounds_themselves_are_allowed():
    """10**-12 and 10**12 and a rate of 28 significant digits are valid."""
    assert Decimal("1e12") == rate("USD", "IDR", "1e12").rate
    assert Decimal("1e-12") == rate("USD", "IDR", "1e-12").rate
    assert 28 == len(rate("USD", "IDR", "1." + "1" * 27).rate.as_tuple().digits)


@pytest.mark.parametrize(
    ("kwargs", "path", "code"),
    [
        ({"base": "XXY"}, "$.base", "currency"),
        ({"quote": "ZZZ"}, "$.quote", "currency"),
        ({"quote": "USD"}, "$.quote", "same_currency"),
        ({"valid_until": JAN}, "$.valid_until", "end_before_start"),
        ({"valid_until": date(2025, 12, 31)}, "$.valid_until", "end_before_start"),
    ],
)
def test_a_bad_rate_row_names_the_field(kwargs, path, code):
    """Unknown codes, a currency against itself and an empty window are refused."""
    arguments = {"base": "USD", "quote": "IDR", "rate": "16000", "valid_from": JAN} | kwargs
    with pytest.raises(ValidationError) as caught:
        ExchangeRate(
            arguments.pop("base"), arguments.pop("quote"), arguments.pop("rate"), **arguments
        )
    assert (path, code) == (caught.value.path, caught.value.code)


@pytest.mark.parametrize(
    ("kwargs", "path"),
    [
        ({"valid_from": datetime(2026, 1, 1, tzinfo=UTC)}, "$.valid_from"),
        ({"valid_from": "2026-01-01"}, "$.valid_from"),
        ({"valid_from": JAN, "valid_until": "2026-02-01"}, "$.valid_until"),
    ],
)
def test_window_days_must_be_dates(kwargs, path):
    """A datetime or a string is not a calendar day."""
    with pytest.raises(InvalidType) as caught:
        ExchangeRate("USD", "IDR", 1, **kwargs)
    assert path == caught.value.path


def test_a_rate_applies_from_its_first_day_until_the_day_before_its_end():
    """``valid_from`` is inclusive and ``valid_until`` exclusive."""
    quarter = rate("USD", "IDR", 1, JAN, APR)
    assert [False, True, True, False] == [
        quarter.applies_on(day) for day in (JAN - timedelta(1), JAN, APR - timedelta(1), APR)
    ]
    assert rate("USD", "IDR", 1).applies_on(date(9999, 12, 31))


# -- RateTable checks --------------------------------------------------------------------------


@pytest.mark.parametrize(
    "second",
    [
        rate("USD", "IDR", 2, date(2026, 3, 31), JUL),  # same direction, one shared day
        rate("IDR", "USD", "0.00006", APR - timedelta(1)),  # the inverse, open-ended
        rate("IDR", "USD", "0.00006", date(2025, 1, 1), date(2026, 1, 2)),  # inverse, one day
    ],
)
def test_overlapping_windows_of_a_pair_are_refused_either_way_round(second):
    """Two rates of a pair that share a day are refused at the later one's index."""
    first = rate("USD", "IDR", 1, JAN, APR)
    other = rate("USD", "SGD", "1.3")
    with pytest.raises(ValidationError) as caught:
        RateTable([first, other, second])
    assert ("$.rates[2]", "overlap") == (caught.value.path, caught.value.code)


def test_the_overlap_error_names_the_row_listed_later():
    """The path names whichever of the two clashing rates comes later in the input."""
    with pytest.raises(ValidationError) as caught:
        RateTable([rate("USD", "IDR", 2, APR), rate("USD", "SGD", 1), rate("IDR", "USD", 1, JAN)])
    assert "$.rates[2]" == caught.value.path


def test_an_open_ended_rate_overlaps_every_later_one():
    """A window with no end overlaps anything starting after it, even much later."""
    rows = [rate("USD", "IDR", 1, JAN), rate("USD", "IDR", 2, date(2030, 1, 1), date(2031, 1, 1))]
    with pytest.raises(ValidationError, match="overlap"):
        RateTable(rows)


def test_windows_that_meet_do_not_overlap():
    """A window ending on the day the next one starts leaves no day shared."""
    table = RateTable(
        [
            rate("USD", "IDR", 2, APR, JUL),
            rate("IDR", "USD", "0.5", JAN, APR),
            rate("USD", "IDR", 3, JUL),
        ]
    )
    assert [Decimal("0.5"), Decimal(2), Decimal(3)] == [
        table.rate("IDR", "USD", APR - timedelta(1)),
        table.rate("USD", "IDR", APR),
        table.rate("USD", "IDR", JUL),
    ]


def test_a_table_checks_its_rows_and_pivot():
    """Rows must be ExchangeRates, the table bounded and the pivot an ISO code."""
    with pytest.raises(InvalidType) as caught:
        RateTable([rate("USD", "IDR", 1), "USD/IDR 1"])
    assert "$.rates[1]" == caught.value.path
    with pytest.raises(InvalidType):
        RateTable("USD/IDR")
    with pytest.raises(ValidationError) as caught:
        RateTable([], pivot="EURO")
    assert "$.pivot" == caught.value.path
    assert "EUR" == RateTable([], pivot="eur").pivot


def test_a_table_holds_at_most_max_rates():
    """A longer list is refused before any row is looked at."""
    rows = [
        rate("USD", "IDR", 1, JAN + timedelta(days=i), JAN + timedelta(days=i + 1))
        for i in range(MAX_RATES + 1)
    ]
    with pytest.raises(ValidationError) as caught:
        RateTable(rows)
    assert ("$.rates", "too_many") == (caught.value.path, caught.value.code)
    assert MAX_RATES == len(RateTable(rows[:MAX_RATES]).rates)


def test_tables_compare_by_their_rows_and_pivot():
    """Equal rows and pivot make equal, equally hashed tables."""
    rows = [rate("USD", "IDR", 1)]
    assert RateTable(rows) == RateTable(tuple(rows))
    assert hash(RateTable(rows, pivot="USD")) == hash(RateTable(rows, pivot="USD"))
    assert RateTable(rows) != RateTable(rows, pivot="USD")
    assert frozenset({"USD", "IDR", "EUR"}) == RateTable(rows, pivot="EUR").currencies


# -- look-up -----------------------------------------------------------------------------------


TABLE = RateTable(
    [
        rate("USD", "IDR", "16000", JAN, APR),
        rate("USD", "IDR", "16400", APR),
        rate("SGD", "USD", "0.75", JAN),
        rate("USD", "JPY", "150", JAN, APR),
        rate("EUR", "SGD", "1.45", JAN),
    ],
    pivot="USD",
)


def test_a_direct_rate_is_used_as_stored():
    """The stored rate from base to quote, on the days of its window."""
    assert Decimal(16000) == TABLE.rate("USD", "IDR", date(2026, 3, 31))
    assert Decimal(16400) == TABLE.rate("usd", "idr", APR)


def test_an_inverse_rate_is_one_over_the_stored_one_correctly_rounded():
    """1 / 16400 to 28 significant digits, half to even (checked with exact fractions)."""
    got = TABLE.rate("IDR", "USD", APR)
    assert len(got.as_tuple().digits) <= 28
    exact = Fraction(1, 16400)
    ulp = Fraction(10) ** (got.adjusted() - 27)
    assert abs(Fraction(got) - exact) <= ulp / 2
    assert Decimal("0.0000625") == TABLE.rate("IDR", "USD", JAN)  # exact when 1/r is short


def test_a_cross_rate_goes_through_the_pivot():
    """SGD -> JPY = (1 / (1/0.75)) ...: SGD -> USD is 0.75, USD -> JPY is 150: 112.5."""
    assert Decimal("112.5") == TABLE.rate("SGD", "JPY", JAN)
    # IDR -> SGD: IDR -> USD is 1/16000, USD -> SGD is 1/0.75: 1/12000, correctly rounded.
    got = TABLE.rate("IDR", "SGD", JAN)
    ulp = Fraction(10) ** (got.adjusted() - 27)
    assert abs(Fraction(got) - Fraction(1, 12000)) <= ulp / 2


def test_a_pair_with_its_own_rate_never_crosses():
    """EUR -> SGD is stored: the pivot is not used even though both legs might exist."""
    found = TABLE.conversion(Money("10.00", "EUR"), "SGD", on=JAN)
    assert (RateSource.DIRECT, None) == (found.source, found.pivot)


@pytest.mark.parametrize(
    ("base", "quote", "on"),
    [
        ("USD", "IDR", date(2025, 12, 31)),  # before the first window
        ("USD", "JPY", APR),  # after the window's end
        ("IDR", "JPY", APR),  # the JPY leg has ended
        ("EUR", "IDR", JAN),  # EUR has no rate against the pivot
        ("USD", "KWD", JAN),  # no rate at all
    ],
)
def test_no_rate_on_the_day_is_a_no_rate_error_at_on(base, quote, on):
    """A missing rate is a ValidationError code ``no_rate`` naming ``$.on``."""
    with pytest.raises(ValidationError) as caught:
        TABLE.rate(base, quote, on)
    assert ("$.on", "no_rate") == (caught.value.path, caught.value.code)


def test_without_a_pivot_no_cross_rate_is_made():
    """The same rows without a pivot know only direct and inverse rates."""
    plain = RateTable(TABLE.rates)
    with pytest.raises(ValidationError, match="no SGD/JPY rate"):
        plain.rate("SGD", "JPY", JAN)


def test_a_currency_converts_to_itself_at_one_without_a_rate():
    """No rate is needed for a currency against itself, on any day."""
    assert Decimal(1) == RateTable([]).rate("KWD", "KWD", date(1900, 1, 1))


def test_look_up_arguments_are_checked():
    """Codes and the day are checked, each at its own path."""
    with pytest.raises(ValidationError) as caught:
        TABLE.rate("USD", "XXY", JAN)
    assert "$.quote" == caught.value.path
    with pytest.raises(InvalidType) as caught:
        TABLE.rate("USD", "IDR", datetime(2026, 1, 1, tzinfo=UTC))
    assert "$.on" == caught.value.path


def brute_force(table, base, quote, on):
    """The rate by scanning every row: direct, else inverse, else through the pivot."""

    def leg(a, b):
        for row in table.rates:
            if row.valid_from <= on and (row.valid_until is None or on < row.valid_until):
                if (row.base, row.quote) == (a, b):
                    return Fraction(row.rate)
                if (row.base, row.quote) == (b, a):
                    return 1 / Fraction(row.rate)
        return None

    if base == quote:
        return Fraction(1)
    direct = leg(base, quote)
    if direct is not None:
        return direct
    if table.pivot is None or table.pivot in {base, quote}:
        return None
    first, second = leg(base, table.pivot), leg(table.pivot, quote)
    return None if first is None or second is None else first * second


@given(
    st.one_of(rate_tables(), rate_tables(pivot="USD"), rate_tables(pivot="EUR", max_rates=30)),
    st.data(),
)
def test_look_up_matches_a_brute_force_scan(table, data):
    """Every look-up agrees with a scan of all rows, to half a unit of the 28th digit."""
    codes = sorted(table.currencies | {"USD", "IDR"})
    base = data.draw(st.sampled_from(codes))
    quote = data.draw(st.sampled_from(codes))
    days = [r.valid_from for r in table.rates] + [
        r.valid_until for r in table.rates if r.valid_until
    ]
    on = data.draw(
        st.sampled_from(days) | st.dates(date(2000, 1, 1), date(2099, 12, 31))
        if days
        else st.dates()
    )
    expected = brute_force(table, base, quote, on)
    if expected is None:
        with pytest.raises(ValidationError, match=r"rate applies"):
            table.rate(base, quote, on)
        return
    got = table.rate(base, quote, on)
    ulp = Fraction(10) ** (got.adjusted() - 27)
    assert abs(Fraction(got) - expected) <= ulp / 2


@given(exchange_rates())
def test_a_table_of_one_rate_gives_it_back_and_its_inverse(row):
    """A stored rate comes back as it is; the other way round, as one over it."""
    table = RateTable([row])
    assert row.rate == table.rate(row.base, row.quote, row.valid_from)
    inverse = table.rate(row.quote, row.base, row.valid_from)
    assert abs(Fraction(inverse) * Fraction(row.rate) - 1) <= Fraction(5, 10**28)
