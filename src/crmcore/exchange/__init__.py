"""Dated exchange rates and conversion of Money at a date.

A :class:`RateTable` holds :class:`ExchangeRate` rows, each valid on a window
of days; :meth:`RateTable.convert` converts Money at the rate of a given day
and rounds once, to the target currency's minor unit, in the rounding mode
named. Rates are looked up directly, inverted, or crossed through the table's
``pivot`` (the corporate currency), as Salesforce's dated exchange rates are.

>>> from datetime import date
>>> from crmcore import Money
>>> table = RateTable(
...     [
...         ExchangeRate(
...             "USD", "IDR", "16000", valid_from=date(2026, 1, 1), valid_until=date(2026, 4, 1)
...         ),
...         ExchangeRate("USD", "IDR", "16400", valid_from=date(2026, 4, 1)),
...     ]
... )
>>> table.convert(Money("250.00", "USD"), "IDR", on=date(2026, 3, 31))
Money('4000000.00', 'IDR')
>>> table.convert(Money("1000000", "IDR"), "USD", on=date(2026, 4, 1), rounding="ROUND_DOWN")
Money('60.97', 'USD')
>>> table.convert(Money("1", "USD"), "IDR", on=date(2025, 12, 31))
Traceback (most recent call last):
...
crmcore.errors.ValidationError: $.on: no USD/IDR rate applies on 2025-12-31 (directly, inverted or through the pivot currency)
"""

from crmcore.exchange._rates import (
    MAX_RATE,
    MAX_RATES,
    MIN_RATE,
    RATE_DIGITS,
    Conversion,
    ExchangeRate,
    RateSource,
    RateTable,
)

__all__ = [
    "MAX_RATE",
    "MAX_RATES",
    "MIN_RATE",
    "RATE_DIGITS",
    "Conversion",
    "ExchangeRate",
    "RateSource",
    "RateTable",
]
