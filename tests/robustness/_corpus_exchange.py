"""The corpus of :mod:`crmcore.exchange`: one of every type, and a forecast in one currency.

Imported by ``_corpus.py`` (the lead wires it) before it harvests its samples, so every
public attrs type of :mod:`crmcore.exchange` has a valid sample.
"""

from datetime import date

from crmcore import Money
from crmcore.exchange import ExchangeRate, RateTable
from crmcore.sales import pipeline_forecast

from ._corpus import OPPORTUNITY, PIPELINE, RESTORED, WON

#: USD is the corporate currency: IDR in two dated windows, SGD open-ended, EUR quoted the
#: other way round (so look-ups are direct, inverse and cross).
RATE_Q1 = ExchangeRate(
    "USD", "IDR", "15600", valid_from=date(2000, 1, 1), valid_until=date(2024, 4, 1)
)
RATE_LATER = ExchangeRate("USD", "IDR", "16250.5", valid_from=date(2024, 4, 1))
RATE_SGD = ExchangeRate("USD", "SGD", "1.3425", valid_from=date(2000, 1, 1))
RATE_EUR = ExchangeRate(
    "EUR", "USD", "1.085", valid_from=date(2000, 1, 1), valid_until=date(2100, 1, 1)
)
RATES = RateTable([RATE_Q1, RATE_LATER, RATE_SGD, RATE_EUR], pivot="USD")
ON = date(2024, 3, 1)

DIRECT = RATES.conversion(Money("125.50", "USD"), "IDR", on=ON)
INVERSE = RATES.conversion(Money("1000000", "IDR"), "USD", on=ON, rounding="ROUND_DOWN")
CROSS = RATES.conversion(Money("99.99", "SGD"), "EUR", on=ON, rounding="ROUND_HALF_UP")
IDENTITY = RATES.conversion(Money("10.005", "USD"), "USD", on=ON)
FORECAST_IN_USD = pipeline_forecast(
    [OPPORTUNITY, WON, RESTORED], PIPELINE, currency="USD", rates=RATES
)

CORPUS = (
    RATE_Q1,
    RATE_LATER,
    RATE_SGD,
    RATE_EUR,
    RATES,
    RateTable([]),
    DIRECT,
    INVERSE,
    CROSS,
    IDENTITY,
    FORECAST_IN_USD,
)
