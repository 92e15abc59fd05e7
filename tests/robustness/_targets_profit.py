"""The targets of product profitability and revenue in a corporate currency (see ``_targets.py``)."""

from hypothesis import strategies as st

from crmcore import analytics

from ._corpus import CID, LATER, T0, WIB, idr
from ._corpus_profit import PROFIT_CATALOG, PROFIT_ORDERS, PROFIT_RATES, PROFITABILITY
from ._fuzz import function, method

#: Every keyword of profitability, each with a valid value.
_OPTIONS = {
    "orders": PROFIT_ORDERS,
    "products": PROFIT_CATALOG,
    "since": T0,
    "until": LATER,
    "customers": [CID],
    "currency": "IDR",
    "rates": PROFIT_RATES,
    "tz": WIB,
}

for _func in (
    analytics.profitability,
    analytics.product_margins,
    analytics.family_margins,
    analytics.customer_margins,
):
    function(_func, _OPTIONS)
function(
    analytics.profitability,
    {"orders": PROFIT_ORDERS, "products": {p.id: p for p in PROFIT_CATALOG}, "rates": PROFIT_RATES},
    name="profitability[catalog mapping]",
)
for _by in ("margin", "revenue"):
    function(
        analytics.top_clv_products,
        {
            "orders": PROFIT_ORDERS,
            "clv": {CID: idr(1_000_000)},
            "top_percent": 50,
            "limit": 5,
            "by": _by,
            "products": PROFIT_CATALOG,
            "since": T0,
            "until": LATER,
            "currency": "IDR",
            "rates": PROFIT_RATES,
            "tz": WIB,
        },
        name=f"top_clv_products[by={_by}]",
    )
for _func in (analytics.purchase_summary, analytics.average_order_value):
    function(
        _func,
        {"orders": PROFIT_ORDERS, "currency": "USD", "rates": PROFIT_RATES, "tz": WIB},
        name=f"{_func.__name__}[currency]",
    )
function(
    analytics.hierarchy_rollup,
    {
        "accounts": [CID],
        "orders": PROFIT_ORDERS,
        "since": T0,
        "until": LATER,
        "currency": "USD",
        "rates": PROFIT_RATES,
        "tz": WIB,
    },
    name="hierarchy_rollup[currency]",
)

method(
    st.just(PROFITABILITY),
    "to_columns",
    lambda _: {"level": "products"},
    label="Profitability",
)

# Orders whose amounts are plain numbers (floats among them), read in ``amount_currency``.
PLAIN_ORDERS = [(CID, T0, 10.5), (CID, LATER, "2.25"), ("b", T0, 3)]
for _func in (analytics.purchase_summary, analytics.average_order_value):
    function(
        _func,
        {"orders": PLAIN_ORDERS, "amount_currency": "EUR"},
        name=f"{_func.__name__}[plain amounts]",
    )
function(analytics.cohort_retention, {"orders": PLAIN_ORDERS}, name="cohort_retention[plain]")
function(
    analytics.hierarchy_rollup,
    {"accounts": [CID], "orders": PLAIN_ORDERS, "amount_currency": "USD"},
    name="hierarchy_rollup[plain amounts]",
)
