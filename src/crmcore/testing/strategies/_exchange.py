"""Strategies for exchange rates: dated rates and tables whose windows never overlap."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date, timedelta
from decimal import Decimal
from typing import Final

from hypothesis import strategies as st

from crmcore._kernel._checks import to_decimal
from crmcore.errors import ValidationError
from crmcore.exchange import MAX_RATE, MIN_RATE, RATE_DIGITS, ExchangeRate, RateTable
from crmcore.testing.strategies._base import (
    _check_order,
    _currency_choices,
    _currency_code,
    _date_arg,
    _int_arg,
)

#: The default window of start dates.
_MIN_DATE: Final = date(2000, 1, 1)
_MAX_DATE: Final = date(2099, 12, 31)
#: Rates are drawn between these by default: what real currencies quote one another at.
_DEFAULT_MIN_RATE: Final = Decimal("1e-6")
_DEFAULT_MAX_RATE: Final = Decimal("1e6")
#: Common codes drawn by default, of every minor unit from 0 to 3 (IDR has 2 in ISO 4217).
_DEFAULT_CURRENCIES: Final = ("EUR", "IDR", "JPY", "KWD", "SGD", "USD", "VND")


def _rate_bound(value: object, path: str) -> Decimal:
    number = to_decimal(value, path)
    if not MIN_RATE <= number <= MAX_RATE:
        raise ValidationError("must be between 10**-12 and 10**12", path=path, code="range")
    return number


@st.composite
def _rates(draw: st.DrawFn, low: Decimal, high: Decimal, digits: int) -> Decimal:
    """A rate of at most ``digits`` significant digits, spread over the orders of magnitude."""
    exponent = draw(st.integers(low.adjusted(), high.adjusted()))
    coefficient = draw(st.integers(10 ** (digits - 1), 10**digits - 1))
    rate = Decimal(coefficient).scaleb(exponent - digits + 1)
    # Clamp into the bounds: the bounds themselves have at most RATE_DIGITS digits.
    plain = min(max(rate, low), high).normalize()
    return plain.quantize(Decimal(1)) if plain.as_tuple().exponent > 0 else plain  # type: ignore[operator]


def _choices(currencies: Iterable[str] | None) -> tuple[str, ...]:
    chosen = _DEFAULT_CURRENCIES if currencies is None else _currency_choices(currencies)
    if len(chosen) < 2:
        raise ValidationError(
            "must name at least two currencies", path="$.currencies", code="too_few"
        )
    return chosen


def _arguments(
    min_rate: object, max_rate: object, max_digits: object
) -> tuple[Decimal, Decimal, int]:
    low = _rate_bound(min_rate, "$.min_rate")
    high = _rate_bound(max_rate, "$.max_rate")
    _check_order(low, high, "$.max_rate", "min_rate")
    digits = _int_arg(max_digits, "$.max_digits", minimum=1, maximum=RATE_DIGITS)
    return low, high, digits


def exchange_rates(
    *,
    currencies: Iterable[str] | None = None,
    min_rate: Decimal | int | str = _DEFAULT_MIN_RATE,
    max_rate: Decimal | int | str = _DEFAULT_MAX_RATE,
    max_digits: int = 8,
    min_date: date = _MIN_DATE,
    max_date: date = _MAX_DATE,
) -> st.SearchStrategy[ExchangeRate]:
    """Valid :class:`~crmcore.exchange.ExchangeRate` values.

    Args:
        currencies: the ISO 4217 codes drawn from (at least two); a few common
            ones of every minor unit by default.
        min_rate: the smallest rate (10**-6 by default; never below 10**-12).
        max_rate: the largest rate (10**6 by default; never above 10**12).
        max_digits: most significant digits of a rate (1 to 28).
        min_date: the earliest ``valid_from``.
        max_date: the latest ``valid_from``.

    Raises:
        InvalidType: an argument of the wrong type (a float rate included).
        ValidationError: too few or unknown currencies, or bounds out of order or range.
    """
    codes = _choices(currencies)
    low, high, digits = _arguments(min_rate, max_rate, max_digits)
    first = _date_arg(min_date, "$.min_date")
    last = _date_arg(max_date, "$.max_date")
    _check_order(first, last, "$.max_date", "min_date")
    pairs = st.permutations(codes).map(lambda drawn: (drawn[0], drawn[1]))
    return st.builds(
        _one_rate,
        pairs,
        st.integers(1, digits).flatmap(lambda d: _rates(low, high, d)),
        st.dates(first, last),
        st.none() | st.integers(1, 3660),
    )


def _one_rate(pair: tuple[str, str], rate: Decimal, start: date, days: int | None) -> ExchangeRate:
    end = (
        None if days is None or start > date.max - timedelta(days=days) else start + timedelta(days)
    )
    return ExchangeRate(pair[0], pair[1], rate, valid_from=start, valid_until=end)


@st.composite
def _tables(
    draw: st.DrawFn,
    codes: tuple[str, ...],
    pivot: str | None,
    *,
    bounds: tuple[Decimal, Decimal, int],
    dates: tuple[date, date],
    max_rates: int,
) -> RateTable:
    low, high, digits = bounds
    if pivot is None:
        pairs = [(a, b) for i, a in enumerate(codes) for b in codes[i + 1 :]]
    else:
        pairs = [(pivot, code) for code in codes if code != pivot]
    chosen = draw(st.lists(st.sampled_from(pairs), unique=True, max_size=max_rates))
    rates: list[ExchangeRate] = []
    budget = max_rates
    for first, second in chosen:
        if budget == 0:
            break
        # Windows of one pair come from sorted distinct cut dates, so they never overlap:
        # window k runs from cut k to cut k + 1; the last one may stay open-ended.
        count = draw(st.integers(1, budget))
        cuts = sorted(draw(st.sets(st.dates(*dates), min_size=count + 1, max_size=count + 1)))
        open_ended = draw(st.booleans())
        for k in range(count):
            if draw(st.integers(0, 4)) == 0:
                continue  # leave a gap: no rate on those days
            end = None if open_ended and k == count - 1 else cuts[k + 1]
            base, quote = (first, second) if draw(st.booleans()) else (second, first)
            rate = draw(st.integers(1, digits).flatmap(lambda d: _rates(low, high, d)))
            rates.append(ExchangeRate(base, quote, rate, valid_from=cuts[k], valid_until=end))
        budget -= count
    order = draw(st.permutations(range(len(rates))))
    return RateTable([rates[i] for i in order], pivot=pivot)


def rate_tables(
    *,
    currencies: Iterable[str] | None = None,
    pivot: str | None = None,
    max_rates: int = 12,
    min_rate: Decimal | int | str = _DEFAULT_MIN_RATE,
    max_rate: Decimal | int | str = _DEFAULT_MAX_RATE,
    max_digits: int = 8,
    min_date: date = _MIN_DATE,
    max_date: date = _MAX_DATE,
) -> st.SearchStrategy[RateTable]:
    """Valid :class:`~crmcore.exchange.RateTable` values: no two windows of a pair overlap.

    Each drawn pair gets consecutive windows cut from sorted distinct dates
    (some left out, leaving gaps; the last maybe open-ended), each rate quoted
    either way round; the rates come in a shuffled order.

    Args:
        currencies: the ISO 4217 codes drawn from (at least two).
        pivot: a corporate currency: then every rate quotes a currency against
            it (Salesforce's dated rates) and the table crosses through it.
        max_rates: most rates in a table (0 to 1,000).
        min_rate: the smallest rate.
        max_rate: the largest rate.
        max_digits: most significant digits of a rate (1 to 28).
        min_date: the earliest window start.
        max_date: the latest window end.

    Raises:
        InvalidType: an argument of the wrong type.
        ValidationError: too few or unknown currencies, a pivot that is not
            one of them, or bounds out of order or range.
    """
    codes = _choices(currencies)
    corporate = None if pivot is None else _currency_code(pivot, "$.pivot")
    if corporate is not None and corporate not in codes:
        raise ValidationError("must be one of the currencies", path="$.pivot", code="unknown_pivot")
    bounds = _arguments(min_rate, max_rate, max_digits)
    count = _int_arg(max_rates, "$.max_rates", maximum=1000)
    first = _date_arg(min_date, "$.min_date")
    last = _date_arg(max_date, "$.max_date")
    _check_order(first, last, "$.max_date", "min_date")
    if (last - first).days < count + 1:
        raise ValidationError(
            "must leave room for a day per rate after min_date",
            path="$.max_date",
            code="bounds",
        )
    return _tables(codes, corporate, bounds=bounds, dates=(first, last), max_rates=count)
