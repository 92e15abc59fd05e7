"""The corpus of the recommendations capability: one of every type.

Imported by ``_corpus.py`` before it harvests its samples (the lead wires it in
as ``CORPUS_ROOTS += RECOMMENDATIONS_CORPUS``), so every public attrs type of
:mod:`crmcore.recommendations` has a valid sample.
"""

from crmcore import CustomerId, Money
from crmcore.catalog import Product, ProductId
from crmcore.recommendations import (
    Basket,
    UsageRecord,
    association_rules,
    item_similarity,
    recommend,
)

from ._corpus import HOUR, T0

ANA = CustomerId("c-xsell-ana")
#: Order lines as ``(basket_id, item)`` pairs: routers sell with extenders.
LINES = (
    ("o-1", "router"),
    ("o-1", "extender"),
    ("o-2", "router"),
    ("o-2", "extender"),
    ("o-3", "router"),
    ("o-3", "cable"),
    ("o-4", "cable"),
)
BASKET = Basket("o-9", ["router", "cable"], customer_id=ANA, returned=["extender"])
USAGE = UsageRecord(ANA, "data", T0, 2048)
USAGE_RECORDS = (
    USAGE,
    UsageRecord(ANA, "video", T0 + HOUR, 900),
    UsageRecord(CustomerId("c-xsell-budi"), "data", T0, 512),
)
RULES = association_rules(LINES, min_support=0.2)
RULE = RULES[0]
SIMILARITY = item_similarity(LINES)
EXTENDER = Product.create(
    ProductId("extender"),
    sku="EXT-1",
    name="Wi-Fi extender",
    standard_cost=Money("25.00", "USD"),
    at=T0,
)
PRICES = {"extender": Money("40.00", "USD")}
BY_RULES = recommend(
    ANA, history=[("mine", "router")], rules=RULES, products=[EXTENDER], prices=PRICES
)
BY_SIMILARITY = recommend(ANA, history=[("mine", "router")], similarity=SIMILARITY)

CORPUS = (
    BASKET,
    USAGE,
    RULE,
    SIMILARITY,
    SIMILARITY.pairs[0],
    BY_RULES,
    BY_RULES[0],
    BY_RULES[0].explanation,
    BY_SIMILARITY,
)
