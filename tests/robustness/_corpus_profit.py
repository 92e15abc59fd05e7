"""The corpus of product profitability and revenue in a corporate currency: one of every type.

Imported by ``_corpus.py`` before it harvests its samples, so every public attrs type of
:mod:`crmcore.analytics` profitability (:class:`~crmcore.analytics.Profitability` and its
rows) has a valid sample: orders in two currencies, a return, a product without a standard
cost, one sold but not in the catalog, reported per currency and in one currency.
"""

from datetime import date

from crmcore import Money, analytics
from crmcore.catalog import Product, ProductId
from crmcore.commerce import Order, OrderId, OrderLine
from crmcore.exchange import ExchangeRate, RateTable

from ._corpus import CID, DAY, ORDER, T0, idr

#: Tea costs 20000 IDR a unit; cake has no standard cost; "mug" is sold but not listed.
PROFIT_CATALOG = (
    Product.create(
        ProductId("tea"), sku="TEA-1", name="Tea", family="tea", standard_cost=idr(20_000), at=T0
    ),
    Product.create(ProductId("cake"), sku="CAKE-1", name="Cake", family="cake", at=T0),
)
#: 1 USD = 16000 IDR from 2020 on.
PROFIT_RATES = RateTable([ExchangeRate("USD", "IDR", "16000", valid_from=date(2020, 1, 1))])
USD_ORDER = Order.place(
    OrderId("o-usd"),
    customer_id=CID,
    lines=[
        OrderLine(ProductId("tea"), 3, Money("4.00", "USD"), category="tea"),
        OrderLine(ProductId("mug"), 1, Money("9.50", "USD"), category="merch"),
    ],
    at=T0 + DAY,
)
#: The corpus order (a return and a refund, in IDR) and an order in US dollars.
PROFIT_ORDERS = (ORDER, USD_ORDER)
#: Everything in rupiah, each order converted at its day's rate.
PROFITABILITY = analytics.profitability(
    PROFIT_ORDERS, PROFIT_CATALOG, currency="IDR", rates=PROFIT_RATES
)
#: Each currency apart (the tea's rupiah cost converted for its dollar sale).
PER_CURRENCY = analytics.profitability(PROFIT_ORDERS, PROFIT_CATALOG, rates=PROFIT_RATES)

CORPUS = (
    PROFITABILITY,
    PER_CURRENCY,
    *PER_CURRENCY.products,
    *PER_CURRENCY.families,
    *PER_CURRENCY.customers,
    *PER_CURRENCY.totals,
    analytics.purchase_summary(PROFIT_ORDERS, currency="IDR", rates=PROFIT_RATES),
)
