"""The targets of the recommendations capability (see ``_targets.py``; the lead imports this module)."""

from hypothesis import strategies as st

from crmcore import recommendations
from crmcore.recommendations import (
    AssociationRule,
    Basket,
    SimilarItems,
    UsageRecord,
    association_rules,
    item_similarity,
    recommend,
)
from crmcore.testing.strategies._recommendations import baskets

from ._corpus import T0, either
from ._corpus_recommendations import (
    ANA,
    BASKET,
    EXTENDER,
    LINES,
    PRICES,
    RULES,
    SIMILARITY,
    USAGE_RECORDS,
)
from ._fuzz import function, method

TABLES = either(SIMILARITY, baskets(max_size=6, with_customers=True).map(item_similarity))

# -- baskets ---------------------------------------------------------------------------------

function(Basket, {"basket_id": "o-1", "items": ["a", "b"], "customer_id": ANA}, name="Basket")
function(
    UsageRecord,
    {"customer_id": ANA, "item": "data", "at": T0, "quantity": 5},
    name="UsageRecord",
)
function(recommendations.as_baskets, {"source": list(LINES)})
function(recommendations.as_baskets, {"source": list(USAGE_RECORDS)}, name="as_baskets(usage)")
function(recommendations.check_item, {"value": "router", "path": "$.item"})
function(recommendations.minimum_count, {"min_support": 0.25, "baskets": 8})

# -- rules and similarity --------------------------------------------------------------------

function(
    association_rules,
    {
        "baskets": list(LINES),
        "min_support": 0.2,
        "min_confidence": 0.5,
        "min_lift": 1.0,
        "max_length": 3,
    },
)
function(
    AssociationRule,
    {
        "antecedent": ("a",),
        "consequent": ("b",),
        "count": 2,
        "antecedent_count": 3,
        "consequent_count": 4,
        "baskets": 10,
    },
    name="AssociationRule",
)
function(
    item_similarity,
    {"baskets": [BASKET], "measure": "jaccard", "min_similarity": 0.1, "min_common": 1},
)
function(
    SimilarItems,
    {"item": "a", "other": "b", "common": 1, "item_count": 2, "other_count": 3},
    name="SimilarItems",
)
method(
    st.sampled_from(SIMILARITY.pairs),
    "partner",
    lambda pair: {"item": pair.other},
    label="SimilarItems",
)
method(TABLES, "similar_to", lambda _: {"item": "router", "limit": 2}, label="ItemSimilarity")

# -- recommendations -------------------------------------------------------------------------

function(
    recommend,
    {
        "customer_id": ANA,
        "history": [("mine", "router")],
        "rules": RULES,
        "products": [EXTENDER],
        "prices": PRICES,
        "exclude": ["cable"],
        "margin_weight": 0.5,
        "limit": 3,
    },
)
function(
    recommend,
    {"customer_id": ANA, "history": [BASKET], "similarity": SIMILARITY, "limit": 2},
    name="recommend(similarity)",
)
function(recommendations.prices_from, {"orders": []})
