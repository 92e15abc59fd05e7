"""Tests for `crmcore.testing.strategies._exchange`: valid values, checked arguments."""

from datetime import date

import pytest
from hypothesis import given

from crmcore.errors import InvalidType, ValidationError
from crmcore.exchange import RateTable
from crmcore.testing.strategies._exchange import exchange_rates, rate_tables


@given(rate_tables(currencies=["USD", "IDR", "SGD"], pivot="USD", max_rates=20))
def test_tables_around_a_pivot_quote_every_rate_against_it(table):
    """With a pivot, every drawn rate names it, and the table is valid as drawn."""
    assert "USD" == table.pivot
    assert all("USD" in {r.base, r.quote} for r in table.rates)
    assert len(table.rates) <= 20
    assert table == RateTable(table.rates, pivot="USD")


@given(
    exchange_rates(
        min_rate="0.5",
        max_rate=2,
        max_digits=3,
        min_date=date(2026, 1, 1),
        max_date=date(2026, 1, 31),
    )
)
def test_rates_keep_to_their_bounds(row):
    """Drawn rates and start days stay within the bounds asked for."""
    assert 0.5 <= row.rate <= 2
    assert len(row.rate.normalize().as_tuple().digits) <= 3
    assert date(2026, 1, 1) <= row.valid_from <= date(2026, 1, 31)


@pytest.mark.parametrize(
    ("call", "path", "error"),
    [
        (lambda: exchange_rates(currencies=["USD"]), "$.currencies", ValidationError),
        (lambda: exchange_rates(currencies=["USD", "XXY"]), "$.currencies[1]", ValidationError),
        (lambda: exchange_rates(min_rate=0.5), "$.min_rate", InvalidType),
        (lambda: exchange_rates(max_rate="1e13"), "$.max_rate", ValidationError),
        (lambda: exchange_rates(min_rate=2, max_rate=1), "$.max_rate", ValidationError),
        (lambda: exchange_rates(max_digits=29), "$.max_digits", ValidationError),
        (
            lambda: exchange_rates(min_date=date(2026, 2, 1), max_date=date(2026, 1, 1)),
            "$.max_date",
            ValidationError,
        ),
        (lambda: rate_tables(pivot="JPY", currencies=["USD", "IDR"]), "$.pivot", ValidationError),
        (lambda: rate_tables(pivot="YEN"), "$.pivot", ValidationError),
        (lambda: rate_tables(max_rates=-1), "$.max_rates", ValidationError),
        (
            lambda: rate_tables(max_rates=10, min_date=date(2026, 1, 1), max_date=date(2026, 1, 5)),
            "$.max_date",
            ValidationError,
        ),
    ],
)
def test_bad_arguments_are_refused_eagerly(call, path, error):
    """Each bad argument is refused when the strategy is built, at its path."""
    with pytest.raises(error) as caught:
        call()
    assert path == caught.value.path
