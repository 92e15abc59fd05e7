"""The targets of :mod:`crmcore.exchange` and the forecast in one currency (see ``_targets.py``)."""

from datetime import date

from crmcore import Money
from crmcore.exchange import ExchangeRate, RateTable
from crmcore.sales import pipeline_forecast
from crmcore.testing.strategies._exchange import exchange_rates, rate_tables

from ._corpus import OPPORTUNITY, PIPELINE, WON, either
from ._corpus_exchange import ON, RATE_LATER, RATE_Q1, RATES
from ._fuzz import function, method

function(
    ExchangeRate,
    {
        "base": "USD",
        "quote": "IDR",
        "rate": "16250.5",
        "valid_from": date(2024, 1, 1),
        "valid_until": date(2024, 4, 1),
    },
    name="ExchangeRate",
)
method(
    either(RATE_Q1, exchange_rates()),
    "applies_on",
    lambda r: {"day": r.valid_from},
    label="ExchangeRate",
)
function(RateTable, {"rates": [RATE_Q1, RATE_LATER], "pivot": "USD"}, name="RateTable")
_TABLES = either(RATES, rate_tables(pivot="USD", max_rates=6))
method(_TABLES, "rate", lambda t: {"base": "SGD", "quote": "IDR", "on": ON}, label="RateTable")
for _name in ("convert", "conversion"):
    method(
        _TABLES,
        _name,
        lambda t: {
            "money": Money("99.99", "SGD"),
            "to": "IDR",
            "on": ON,
            "rounding": "ROUND_HALF_UP",
        },
        label="RateTable",
    )
function(
    pipeline_forecast,
    {
        "opportunities": [OPPORTUNITY, WON],
        "pipeline": PIPELINE,
        "by": "quarter",
        "currency": "USD",
        "rates": RATES,
        "rounding": "ROUND_HALF_EVEN",
    },
    name="pipeline_forecast[currency]",
)
