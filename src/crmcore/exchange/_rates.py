"""Dated exchange rates, the table that holds them, and conversion of Money at a date.

An :class:`ExchangeRate` says that on the days from ``valid_from`` (inclusive)
to ``valid_until`` (exclusive; ``None`` while open-ended) one unit of ``base``
is worth ``rate`` units of ``quote``. A :class:`RateTable` holds many of them
and answers "what is the rate from A to B on this day?": a direct rate first,
else the inverse of the rate from B to A, else (when the table names a
``pivot``, the corporate currency) the cross rate A → pivot → B. This is how
Salesforce's advanced currency management works: every dated rate is quoted
against the corporate currency, a rate applies from its start date until the
next one starts, and an opportunity converts at the rate of its close date.

Inverse and cross rates are computed, not stored: each is correctly rounded
to :data:`RATE_DIGITS` significant digits (half to even), so a computed rate
carries no more digits than a stored one. A conversion multiplies the amount
by the rate exactly and rounds once, to the target currency's minor unit, in
the rounding mode the caller names.
"""

from __future__ import annotations

from bisect import bisect_right
from datetime import date
from decimal import ROUND_HALF_EVEN, Context, Decimal, Inexact, InvalidOperation, Overflow
from enum import StrEnum
from itertools import pairwise
from typing import Final, NamedTuple

import attrs

from crmcore._kernel._checks import (
    MAX_DIGITS,
    instance_of,
    require_date,
    require_type,
    to_decimal,
    tuple_of,
)
from crmcore._kernel._fields import Checked
from crmcore._kernel._money import Money, currency_code, rounding_mode
from crmcore.errors import ValidationError

#: Most significant digits of a rate, stored or computed (inverse and cross rates are
#: correctly rounded to this many digits).
RATE_DIGITS: Final = 28
#: The smallest rate a table stores (one unit of the base is worth at least this much).
MIN_RATE: Final = Decimal("1e-12")
#: The largest rate a table stores.
MAX_RATE: Final = Decimal("1e12")
#: Most rates one table holds.
MAX_RATES: Final = 10_000

# A rate computed from stored ones, correctly rounded (one rounding per computed rate).
_RATE = Context(prec=RATE_DIGITS, rounding=ROUND_HALF_EVEN, traps=[InvalidOperation, Overflow])
# Products of an amount (at most MAX_DIGITS digits) and a rate (at most RATE_DIGITS), or
# of two rates, are exact here: the precision holds every digit, and Inexact would say so.
_EXACT = Context(prec=MAX_DIGITS + RATE_DIGITS + 2, traps=[Inexact, InvalidOperation, Overflow])
# Rounds to a minor unit (or to what a Money amount may hold) without trapping Inexact.
_ROUND = Context(prec=MAX_DIGITS + RATE_DIGITS + 2, traps=[InvalidOperation, Overflow])
# Money amounts hold at most MAX_DIGITS significant digits and MAX_DIGITS decimal places.
_AMOUNT = Context(prec=MAX_DIGITS, rounding=ROUND_HALF_EVEN, traps=[InvalidOperation, Overflow])
_FINEST: Final = Decimal(1).scaleb(-MAX_DIGITS)
_LIMIT: Final = Decimal(10) ** 21


def _base(value: object) -> str:
    return currency_code(value, "$.base")


def _quote(value: object) -> str:
    return currency_code(value, "$.quote")


def _rate(value: object) -> Decimal:
    number = to_decimal(value, "$.rate")
    if number <= 0:
        raise ValidationError("must be more than zero", path="$.rate", code="not_positive")
    if len(number.as_tuple().digits) > RATE_DIGITS:
        raise ValidationError(
            f"must have at most {RATE_DIGITS} significant digits", path="$.rate", code="too_long"
        )
    if not MIN_RATE <= number <= MAX_RATE:
        raise ValidationError(
            "must be between 10**-12 and 10**12", path="$.rate", code="out_of_range"
        )
    return number


def _valid_from(value: object) -> date:
    return require_date(value, "$.valid_from")


def _valid_until(value: object) -> date | None:
    return None if value is None else require_date(value, "$.valid_until")


@attrs.frozen(slots=True)
class ExchangeRate:
    """One unit of ``base`` is worth ``rate`` units of ``quote``, on the days of a window.

    Attributes:
        base: the ISO 4217 code of the currency converted from.
        quote: the ISO 4217 code of the currency converted to.
        rate: how many units of ``quote`` one unit of ``base`` buys: a Decimal
            (an int or numeric str is converted; floats are refused) above zero,
            between 10**-12 and 10**12, of at most :data:`RATE_DIGITS` significant digits.
        valid_from: the first day the rate applies.
        valid_until: the first day it no longer applies (exclusive); ``None`` while open-ended.

    >>> ExchangeRate("usd", "IDR", "16250", valid_from=date(2026, 1, 1)).base
    'USD'
    >>> ExchangeRate("USD", "IDR", 1.5, valid_from=date(2026, 1, 1))
    Traceback (most recent call last):
    ...
    crmcore.errors.InvalidType: $.rate: must be a Decimal, int or str: floats cannot hold exact decimal amounts
    """

    base: str = attrs.field(converter=_base)
    quote: str = attrs.field(converter=_quote)
    rate: Decimal = attrs.field(converter=_rate)
    valid_from: date = attrs.field(kw_only=True, converter=_valid_from)
    valid_until: date | None = attrs.field(kw_only=True, default=None, converter=_valid_until)

    def __attrs_post_init__(self) -> None:
        if self.base == self.quote:
            raise ValidationError(
                "must differ from base (a currency converts to itself at 1)",
                path="$.quote",
                code="same_currency",
            )
        if self.valid_until is not None and self.valid_until <= self.valid_from:
            raise ValidationError(
                "must be after valid_from (the end is exclusive)",
                path="$.valid_until",
                code="end_before_start",
            )

    def applies_on(self, day: date) -> bool:
        """True if the rate applies on ``day`` (``valid_from <= day < valid_until``)."""
        on = require_date(day, "$.on")
        return self.valid_from <= on and (self.valid_until is None or on < self.valid_until)


class RateSource(StrEnum):
    """Where a rate came from."""

    #: A currency converts to itself at 1; no rate is looked up.
    IDENTITY = "identity"
    #: A stored rate from the base to the quote currency.
    DIRECT = "direct"
    #: One over a stored rate from the quote to the base currency.
    INVERSE = "inverse"
    #: Through the table's pivot currency: base → pivot, then pivot → quote.
    CROSS = "cross"


@attrs.frozen(slots=True, kw_only=True)
class Conversion(Checked):
    """A conversion explained: the rate used, where it came from, and both results.

    Attributes:
        original: the Money converted.
        on: the day whose rate was used.
        rate: units of the target currency per unit of ``original``'s currency.
        source: how the rate was found (:class:`RateSource`).
        pivot: the currency a cross rate went through; ``None`` otherwise.
        rates: the stored rates used (none, one, or two for a cross rate).
        exact: ``original`` times ``rate``, unrounded (exact unless that needs more
            than the 100 significant digits or 100 decimal places a Money amount
            holds; then rounded half-even there, far past any minor unit).
        rounded: ``exact`` rounded once to the target currency's minor unit.
        rounding: the rounding mode used (one of the decimal module's ``ROUND_*`` names).

    A conversion to the original currency itself (source ``identity``) leaves
    the amount as it is: ``exact`` and ``rounded`` are ``original``.
    """

    original: Money
    on: date
    rate: Decimal
    source: RateSource
    pivot: str | None
    rates: tuple[ExchangeRate, ...]
    exact: Money
    rounded: Money
    rounding: str


class _Found(NamedTuple):
    rate: Decimal
    source: RateSource
    pivot: str | None
    rates: tuple[ExchangeRate, ...]


class _Leg(NamedTuple):
    """A stored rate used one way or the other: ``numerator / denominator`` units per unit."""

    numerator: Decimal
    denominator: Decimal
    stored: ExchangeRate


def _plain(number: Decimal) -> Decimal:
    """A computed rate without trailing zeros or an exponent above zero (``12800``, not ``1.28E+4``)."""
    reduced = number.normalize(_RATE)
    if reduced.as_tuple().exponent > 0:  # type: ignore[operator]
        return reduced.quantize(Decimal(1), context=_RATE)
    return reduced


def _no_rate(base: str, quote: str, on: date) -> ValidationError:
    return ValidationError(
        f"no {base}/{quote} rate applies on {on.isoformat()} "
        "(directly, inverted or through the pivot currency)",
        path="$.on",
        code="no_rate",
    )


def _pivot(value: object) -> str | None:
    return None if value is None else currency_code(value, "$.pivot")


def _rates(value: object) -> tuple[ExchangeRate, ...]:
    return tuple_of(
        value, "$.rates", instance_of(ExchangeRate, "an ExchangeRate"), max_items=MAX_RATES
    )


def _rounding(value: object) -> str:
    return rounding_mode(value)


#: Rates of one unordered currency pair, either way round, sorted by ``valid_from``:
#: the start dates (for bisection) beside the rates.
_Series = tuple[list[date], list[ExchangeRate]]


def _index(rates: tuple[ExchangeRate, ...]) -> dict[tuple[str, str], _Series]:
    """Group the rates by unordered pair and refuse any two whose windows overlap."""
    grouped: dict[tuple[str, str], list[tuple[date, int]]] = {}
    for position, rate in enumerate(rates):
        key = (min(rate.base, rate.quote), max(rate.base, rate.quote))
        grouped.setdefault(key, []).append((rate.valid_from, position))
    index: dict[tuple[str, str], _Series] = {}
    for key, entries in grouped.items():
        entries.sort()
        # Sorted by start, two windows overlap only if some window overlaps the next one:
        # if window i reaches past the start of window j > i, it reaches past the start
        # of window i + 1, which starts no later than j.
        for (_, before), (start, after) in pairwise(entries):
            end = rates[before].valid_until
            if end is None or end > start:
                raise ValidationError(
                    "must not overlap the window of another rate for the same "
                    "currency pair, either way round",
                    path=f"$.rates[{max(before, after)}]",
                    code="overlap",
                )
        index[key] = ([start for start, _ in entries], [rates[p] for _, p in entries])
    return index


@attrs.frozen(slots=True)
class RateTable:
    """Dated exchange rates, at most one per currency pair (either way round) on any day.

    Args:
        rates: the rates (at most :data:`MAX_RATES`). Two rates of one pair, in
            the same or the inverse direction, whose windows share a day are
            refused (``$.rates[i]``, code ``overlap``).
        pivot: the corporate currency through which a cross rate is computed
            when a pair has no rate of its own; ``None`` for no cross rates.

    >>> table = RateTable(
    ...     [
    ...         ExchangeRate("USD", "IDR", "16000", valid_from=date(2026, 1, 1)),
    ...         ExchangeRate("USD", "SGD", "1.25", valid_from=date(2026, 1, 1)),
    ...     ],
    ...     pivot="USD",
    ... )
    >>> table.rate("IDR", "USD", date(2026, 3, 1))
    Decimal('0.0000625')
    >>> table.rate("SGD", "IDR", date(2026, 3, 1))
    Decimal('12800')
    >>> table.convert(Money("99.99", "SGD"), "IDR", on=date(2026, 3, 1))
    Money('1279872.00', 'IDR')
    """

    rates: tuple[ExchangeRate, ...] = attrs.field(converter=_rates)
    pivot: str | None = attrs.field(default=None, kw_only=True, converter=_pivot)
    _series: dict[tuple[str, str], _Series] = attrs.field(
        init=False, eq=False, repr=False, hash=False
    )

    def __attrs_post_init__(self) -> None:
        object.__setattr__(self, "_series", _index(self.rates))

    @property
    def currencies(self) -> frozenset[str]:
        """Every currency some rate of the table names (and the pivot)."""
        named = {code for rate in self.rates for code in (rate.base, rate.quote)}
        return frozenset(named if self.pivot is None else {*named, self.pivot})

    def _leg(self, base: str, quote: str, on: date) -> _Leg | None:
        """The stored rate of the pair on ``on``, turned to go from ``base`` to ``quote``."""
        series = self._series.get((min(base, quote), max(base, quote)))
        if series is None:
            return None
        starts, rates = series
        position = bisect_right(starts, on) - 1
        if position < 0:
            return None
        stored = rates[position]
        if stored.valid_until is not None and on >= stored.valid_until:
            return None
        if stored.base == base:
            return _Leg(stored.rate, Decimal(1), stored)
        return _Leg(Decimal(1), stored.rate, stored)

    def _find(self, base: str, quote: str, on: date) -> _Found:
        if base == quote:
            return _Found(Decimal(1), RateSource.IDENTITY, None, ())
        leg = self._leg(base, quote, on)
        if leg is not None:
            if leg.denominator == 1:
                return _Found(leg.numerator, RateSource.DIRECT, None, (leg.stored,))
            return _Found(
                _plain(_RATE.divide(1, leg.denominator)), RateSource.INVERSE, None, (leg.stored,)
            )
        pivot = self.pivot
        if pivot is not None and pivot not in {base, quote}:
            first = self._leg(base, pivot, on)
            second = self._leg(pivot, quote, on)
            if first is not None and second is not None:
                # One rounding for the whole cross rate: (n1 * n2) / (d1 * d2), each
                # product exact, the quotient correctly rounded to RATE_DIGITS digits.
                numerator = _EXACT.multiply(first.numerator, second.numerator)
                denominator = _EXACT.multiply(first.denominator, second.denominator)
                cross = _plain(_RATE.divide(numerator, denominator))
                return _Found(cross, RateSource.CROSS, pivot, (first.stored, second.stored))
        raise _no_rate(base, quote, on)

    def rate(self, base: str, quote: str, on: date) -> Decimal:
        """Units of ``quote`` one unit of ``base`` is worth on ``on``.

        A stored rate from ``base`` to ``quote`` comes first; else one over the
        stored rate from ``quote`` to ``base``; else, with a pivot, the rate
        ``base`` → pivot times the rate pivot → ``quote`` (each of them direct or
        inverse). Inverse and cross rates are correctly rounded to
        :data:`RATE_DIGITS` significant digits. A currency's rate to itself is 1.

        Raises:
            ValidationError: no rate applies on ``on`` (``$.on``, code ``no_rate``),
                or a code is not an ISO 4217 code (``$.base``, ``$.quote``).
        """
        return self._find(_base(base), _quote(quote), require_date(on, "$.on")).rate

    def conversion(
        self, money: Money, to: str, *, on: date, rounding: str = ROUND_HALF_EVEN
    ) -> Conversion:
        """Convert ``money`` into ``to`` at the rate of ``on``, and say how.

        The exact amount is ``money.amount * rate``; the rounded one is that
        product rounded once to ``to``'s minor unit in the mode ``rounding``
        (any of the modes :meth:`Money.rounded` accepts).

        Raises:
            ValidationError: no rate applies on ``on`` (``$.on``, code ``no_rate``);
                the converted amount is 10**21 or more (``$.money``, ``too_large``);
                an unknown rounding mode (``$.rounding``) or currency (``$.to``).
        """
        original = require_type(money, Money, "$.money", "Money")
        target = currency_code(to, "$.to")
        day = require_date(on, "$.on")
        mode = _rounding(rounding)
        found = self._find(original.currency, target, day)
        if found.source is RateSource.IDENTITY:
            return Conversion(
                original=original,
                on=day,
                rate=found.rate,
                source=found.source,
                pivot=None,
                rates=(),
                exact=original,
                rounded=original,
                rounding=mode,
            )
        product = _EXACT.multiply(original.amount, found.rate)
        minor = Decimal(1).scaleb(-Money.zero(target).minor_unit)
        rounded = (
            product.quantize(minor, rounding=mode, context=_ROUND)
            if abs(product) < _LIMIT
            else product
        )
        if abs(rounded) >= _LIMIT:
            raise ValidationError(
                "the converted amount must be smaller than 10**21 in absolute value",
                path="$.money",
                code="too_large",
            )
        exact = _AMOUNT.plus(product)
        if exact.as_tuple().exponent < -MAX_DIGITS:  # type: ignore[operator]
            exact = exact.quantize(_FINEST, rounding=ROUND_HALF_EVEN, context=_ROUND)
        return Conversion(
            original=original,
            on=day,
            rate=found.rate,
            source=found.source,
            pivot=found.pivot,
            rates=found.rates,
            exact=Money(exact, target),
            rounded=Money(rounded, target),
            rounding=mode,
        )

    def convert(
        self, money: Money, to: str, *, on: date, rounding: str | None = ROUND_HALF_EVEN
    ) -> Money:
        """``money`` in ``to`` at the rate of ``on``, rounded to ``to``'s minor unit.

        ``rounding`` names the mode (``"ROUND_HALF_EVEN"``, banker's rounding,
        unless told otherwise; any mode :meth:`Money.rounded` accepts); ``None``
        gives the exact, unrounded amount. Money already in ``to`` comes back
        unchanged. See :meth:`conversion` for the errors.
        """
        if rounding is None:
            return self.conversion(money, to, on=on).exact
        return self.conversion(money, to, on=on, rounding=rounding).rounded
