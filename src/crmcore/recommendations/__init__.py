"""Cross-sell and next best offers: association rules, item similarity, explained recommendations.

Baskets come from orders (purchases only, returned lines left out), from plain
``(basket_id, item)`` pairs, or from usage records (the telecom example:
calls, SMS, data, video as items) through one API, :func:`as_baskets`.
:func:`association_rules` mines rules with support, confidence and lift
(Eclat on bitsets; Agrawal & Srikant 1994, Zaki 2000); :func:`item_similarity`
compares items by the customers who bought both (Linden et al. 2003);
:func:`recommend` picks what to offer one customer, leaving out what they own
or returned, respecting restriction, objections and consent, preferring
higher margins, and saying why.

>>> from crmcore import CustomerId
>>> orders = [
...     ("o1", "router"),
...     ("o1", "extender"),
...     ("o2", "router"),
...     ("o2", "extender"),
...     ("o3", "router"),
...     ("o3", "cable"),
...     ("o4", "cable"),
... ]
>>> rules = association_rules(orders, min_support=0.25, min_confidence=0.6)
>>> [(r.antecedent, r.consequent, round(r.confidence, 2), round(r.lift, 2)) for r in rules]
[(('extender',), ('router',), 1.0, 1.33), (('router',), ('extender',), 0.67, 1.33)]
>>> offer = recommend(CustomerId("c-9"), history=[("mine", "router")], rules=rules)
>>> offer[0].text
'bought router; 67% of buyers of router also bought extender, lift 1.3'
"""

from crmcore._kernel._ids import CustomerId, ProductId
from crmcore.recommendations._baskets import (
    MAX_BASKET_ITEMS,
    MAX_BASKETS,
    MAX_ITEM_LENGTH,
    Basket,
    UsageRecord,
    as_baskets,
    check_item,
)
from crmcore.recommendations._recommend import (
    MAX_EXPLANATION_TEXT,
    MAX_RECOMMENDATIONS,
    NO_CANDIDATES,
    RECOMMENDED,
    Recommendation,
    RecommendationBasis,
    RecommendationExplanation,
    Recommendations,
    prices_from,
    recommend,
)
from crmcore.recommendations._rules import (
    MAX_CANDIDATES,
    MAX_ITEMSETS,
    MAX_RULE_ITEMS,
    AssociationRule,
    association_rules,
    minimum_count,
)
from crmcore.recommendations._similarity import (
    MAX_PAIR_WORK,
    ItemSimilarity,
    SimilarItems,
    SimilarityMeasure,
    item_similarity,
)

__all__ = [
    "MAX_BASKETS",
    "MAX_BASKET_ITEMS",
    "MAX_CANDIDATES",
    "MAX_EXPLANATION_TEXT",
    "MAX_ITEMSETS",
    "MAX_ITEM_LENGTH",
    "MAX_PAIR_WORK",
    "MAX_RECOMMENDATIONS",
    "MAX_RULE_ITEMS",
    "NO_CANDIDATES",
    "RECOMMENDED",
    "AssociationRule",
    "Basket",
    "CustomerId",
    "ItemSimilarity",
    "ProductId",
    "Recommendation",
    "RecommendationBasis",
    "RecommendationExplanation",
    "Recommendations",
    "SimilarItems",
    "SimilarityMeasure",
    "UsageRecord",
    "as_baskets",
    "association_rules",
    "check_item",
    "item_similarity",
    "minimum_count",
    "prices_from",
    "recommend",
]
