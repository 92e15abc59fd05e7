"""Shared builders and independent (brute-force) computations for the quote tests."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from fractions import Fraction

from crmcore import Money
from crmcore.quotes import CustomerId, ProductId, Quote, QuoteId, QuoteLine, TaxRule, TaxTable

T0 = datetime(2025, 6, 2, 9, 0, tzinfo=UTC)
DAY = timedelta(days=1)
HOUR = timedelta(hours=1)


def flat_table(rate: str, *, category: str = "standard") -> TaxTable:
    """One open-ended rule from 2000 at ``rate`` (a fraction)."""
    return TaxTable([TaxRule("vat", Decimal(rate), category=category, valid_from=date(2000, 1, 1))])


def line(price: str, currency: str, quantity: int = 1, **kwargs: object) -> QuoteLine:
    """A line of product ``p`` at ``price``."""
    return QuoteLine(ProductId("p"), quantity, Money(price, currency), **kwargs)  # type: ignore[arg-type]


def draft(lines: list[QuoteLine], currency: str, table: TaxTable, **kwargs: object) -> Quote:
    """A draft quote created at T0, valid for 30 days."""
    return Quote.create(
        QuoteId("q-1"),
        customer_id=CustomerId("c-1"),
        currency=currency,
        tax_table=table,
        valid_until=T0 + 30 * DAY,
        at=T0,
        lines=lines,
        **kwargs,  # type: ignore[arg-type]
    )


def units(money: Money) -> int:
    """``money`` in minor units (it must be whole minor units)."""
    scaled = money.amount.scaleb(money.minor_unit)
    assert scaled == scaled.to_integral_value()
    return int(scaled)


def half_even(value: Fraction) -> int:
    """Round half to even, written out (independent of ``round``)."""
    floor = value.numerator // value.denominator
    rest = value - floor
    if rest > Fraction(1, 2) or (rest == Fraction(1, 2) and floor % 2 == 1):
        return floor + 1
    return floor
