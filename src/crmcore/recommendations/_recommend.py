"""Next best offers for one customer: from association rules or item similarity, explained.

**Candidates.** With ``rules``: every rule whose antecedent the customer
owns and whose consequent is one item the customer neither owns nor returned
(nor was told to leave out, nor a retired product). With ``similarity``: every
item similar to an item the customer owns, under the same exclusions.

**Score.** A rule scores ``confidence * lift`` (how often the item follows,
times how much more often than by chance); an item keeps its best rule. A
similar item scores its similarity to the most similar owned item. With
product costs and prices, an item's unit margin is its price less its
``standard_cost``; ``margin_weight`` ``w`` in ``[0, 1]`` scales the score by
``1 + w * margin rate`` (margin over price, clamped to ``[0, 1]``; zero where
the margin is unknown), and equal scores rank the higher margin first. Then
the item's text breaks ties, so the order is deterministic.

**Consent and restriction.** Given the ``customer``, recommendations profile
them (their purchases) and market to them: both ``processing_decision``
purposes, ``profiling`` then ``marketing``, must allow it at ``at``, and with a
``channel`` their consent for marketing on it too. A denied customer gets no
recommendations and the reason code (see docs/restriction.md).
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping
from datetime import datetime
from decimal import Decimal
from enum import StrEnum
from typing import Any, Final

import attrs

from crmcore._kernel._checks import check_name, clean_text, enum_converter, require_aware, type_name
from crmcore._kernel._ids import CustomerId, ProductId
from crmcore._kernel._money import Money
from crmcore.catalog import Product, ProductStatus
from crmcore.commerce import Order
from crmcore.customers import Customer
from crmcore.errors import InvalidType, ValidationError
from crmcore.recommendations._baskets import MAX_BASKETS, as_baskets, check_item, source_kind
from crmcore.recommendations._rules import MAX_RULE_ITEMS, AssociationRule, check_share
from crmcore.recommendations._similarity import ItemSimilarity, SimilarItems

#: The most recommendations one call returns.
MAX_RECOMMENDATIONS: Final = 100
#: The longest explanation text.
MAX_EXPLANATION_TEXT: Final = 2_000
#: The reason of a result with recommendations in it.
RECOMMENDED: Final = "recommended"
#: The reason of an allowed result with nothing to recommend.
NO_CANDIDATES: Final = "no_candidates"


class RecommendationBasis(StrEnum):
    """What a recommendation rests on: an ``association_rule`` or ``item_similarity``."""

    ASSOCIATION_RULE = "association_rule"
    ITEM_SIMILARITY = "item_similarity"


_basis = enum_converter(RecommendationBasis, "$.basis")


def _to_basis(value: object) -> RecommendationBasis:
    return _basis(value)


def _is_count(_: object, attribute: attrs.Attribute[Any], value: object) -> None:
    path = f"$.{attribute.name}"
    if isinstance(value, bool) or not isinstance(value, int):
        raise InvalidType(f"must be an int, not {type_name(value)}", path=path)
    if not 0 <= value <= MAX_BASKETS:
        raise ValidationError(
            f"must be between 0 and {MAX_BASKETS}", path=path, code="out_of_range"
        )


def _is_measure(_: object, attribute: attrs.Attribute[Any], value: object) -> None:
    """An optional finite number of zero or more."""
    if value is not None:
        check_share(value, f"$.{attribute.name}", upper=None)


def _score(value: object) -> float:
    return check_share(value, "$.score", upper=None)


def _base_score(value: object) -> float:
    return check_share(value, "$.base_score", upper=None)


def _because(value: object) -> tuple[str, ...]:
    if not isinstance(value, (tuple, list)) or not value or len(value) > MAX_RULE_ITEMS:
        raise InvalidType(
            f"must be a tuple of 1 to {MAX_RULE_ITEMS} items, not {type_name(value)}",
            path="$.because",
        )
    return tuple(check_item(item, f"$.because[{i}]") for i, item in enumerate(value))


def _text(value: object) -> str:
    return clean_text(value, "$.text", max_length=MAX_EXPLANATION_TEXT, what="an explanation")


def _optional_text(value: object) -> str | None:
    return None if value is None else check_name(value, "$.measure")


def _optional_money(value: object) -> Money | None:
    if value is None or type(value) is Money:
        return value
    raise InvalidType(f"must be Money or None, not {type_name(value)}", path="$.margin")


@attrs.frozen(slots=True)
class RecommendationExplanation:
    """Why an item is recommended, in numbers and in words.

    Attributes:
        basis: an association rule or item similarity.
        because: the owned items the recommendation follows from (sorted).
        together: baskets (rule) or customers (similarity) holding both.
        of: baskets holding the antecedent (rule) or customers of the owned item (similarity).
        confidence, lift, support: the rule's measures (``None`` for similarity).
        similarity: the similarity (``None`` for a rule); ``measure`` names it.
        margin: the item's unit margin, where its price and cost are known.
        text: the explanation in words, such as "bought tea; 34% of buyers of tea also
            bought cups, lift 3.1".
    """

    basis: RecommendationBasis = attrs.field(converter=_to_basis)
    because: tuple[str, ...] = attrs.field(converter=_because)
    together: int = attrs.field(validator=_is_count)
    of: int = attrs.field(validator=_is_count)
    text: str = attrs.field(converter=_text)
    confidence: float | None = attrs.field(default=None, validator=_is_measure)
    lift: float | None = attrs.field(default=None, validator=_is_measure)
    support: float | None = attrs.field(default=None, validator=_is_measure)
    similarity: float | None = attrs.field(default=None, validator=_is_measure)
    measure: str | None = attrs.field(default=None, converter=_optional_text)
    margin: Money | None = attrs.field(default=None, converter=_optional_money)


def _item(value: object) -> str:
    return check_item(value, "$.item")


def _optional_product(value: object) -> ProductId | None:
    if value is None or type(value) is ProductId:
        return value
    raise InvalidType(f"must be a ProductId or None, not {type_name(value)}", path="$.product_id")


def _is_rank(_: object, __: attrs.Attribute[Any], value: object) -> None:
    if isinstance(value, bool) or not isinstance(value, int):
        raise InvalidType(f"must be an int, not {type_name(value)}", path="$.rank")
    if not 1 <= value <= MAX_RECOMMENDATIONS:
        raise ValidationError(
            f"must be between 1 and {MAX_RECOMMENDATIONS}", path="$.rank", code="out_of_range"
        )


def _is_explanation(_: object, __: attrs.Attribute[Any], value: object) -> None:
    if type(value) is not RecommendationExplanation:
        raise InvalidType(
            f"must be a RecommendationExplanation, not {type_name(value)}", path="$.explanation"
        )


@attrs.frozen(slots=True)
class Recommendation:
    """One item to offer, its rank, score and explanation.

    Attributes:
        item: the item's text (a product id's text or a usage category).
        product_id: the product, where the item is one (given in ``products``, or
            the history is orders).
        rank: 1 for the best.
        score: the ranking score (base score scaled by the margin weight).
        base_score: confidence * lift for a rule, the similarity for similar items.
        explanation: why, in numbers and words.
    """

    item: str = attrs.field(converter=_item)
    product_id: ProductId | None = attrs.field(converter=_optional_product)
    rank: int = attrs.field(validator=_is_rank)
    score: float = attrs.field(converter=_score)
    base_score: float = attrs.field(converter=_base_score)
    explanation: RecommendationExplanation = attrs.field(validator=_is_explanation)

    @property
    def text(self) -> str:
        """The explanation in words."""
        return self.explanation.text


def _customer(value: object) -> CustomerId:
    if type(value) is not CustomerId:
        raise InvalidType(f"must be a CustomerId, not {type_name(value)}", path="$.customer_id")
    return value


def _recommendations(value: object) -> tuple[Recommendation, ...]:
    if not isinstance(value, (tuple, list)):
        raise InvalidType(
            f"must be a tuple of recommendations, not {type_name(value)}", path="$.items"
        )
    if len(value) > MAX_RECOMMENDATIONS:
        raise ValidationError(
            f"must hold at most {MAX_RECOMMENDATIONS}", path="$.items", code="too_many"
        )
    for index, item in enumerate(value):
        if type(item) is not Recommendation:
            raise InvalidType(
                f"must be a Recommendation, not {type_name(item)}", path=f"$.items[{index}]"
            )
    return tuple(value)


def _reason(value: object) -> str:
    return check_name(value, "$.reason")


@attrs.frozen(slots=True)
class Recommendations:
    """The recommendations for one customer, best first, and why there are (or are none).

    Iterating, ``len`` and indexing read :attr:`items`.

    Attributes:
        customer_id: whom they are for.
        items: the recommendations, best first.
        reason: ``"recommended"``, ``"no_candidates"``, or the code that denied
            them (``"processing_restricted"``, ``"objected_to_profiling"``,
            ``"objected_to_direct_marketing"``, ``"erased"``, ``"no_consent"``,
            ``"consent_withdrawn"``, ``"consent_expired"``).
        excluded: how many candidate items were left out as owned, returned, retired
            or asked to be left out.
    """

    customer_id: CustomerId = attrs.field(converter=_customer)
    items: tuple[Recommendation, ...] = attrs.field(converter=_recommendations)
    reason: str = attrs.field(converter=_reason)
    excluded: int = attrs.field(default=0, validator=_is_count)

    def __iter__(self) -> Iterator[Recommendation]:
        return iter(self.items)

    def __len__(self) -> int:
        return len(self.items)

    def __getitem__(self, index: int) -> Recommendation:
        return self.items[index]

    @property
    def allowed(self) -> bool:
        """False when consent, restriction or an objection withheld the recommendations."""
        return self.reason in (RECOMMENDED, NO_CANDIDATES)


# -- inputs ------------------------------------------------------------------------------------


def _limit(value: object) -> int:
    if isinstance(value, bool) or not isinstance(value, int):
        raise InvalidType(f"must be an int, not {type_name(value)}", path="$.limit")
    if not 1 <= value <= MAX_RECOMMENDATIONS:
        raise ValidationError(
            f"must be between 1 and {MAX_RECOMMENDATIONS}", path="$.limit", code="out_of_range"
        )
    return value


def _rules(value: object) -> tuple[AssociationRule, ...]:
    if isinstance(value, (str, bytes)) or not isinstance(value, Iterable):
        raise InvalidType(f"must be association rules, not {type_name(value)}", path="$.rules")
    rules = tuple(value)
    for index, rule in enumerate(rules):
        if type(rule) is not AssociationRule:
            raise InvalidType(
                f"must be an AssociationRule, not {type_name(rule)}", path=f"$.rules[{index}]"
            )
    return rules


def _products(value: object) -> dict[str, Product]:
    if value is None:
        return {}
    if isinstance(value, Mapping):
        value = list(value.values())
    if isinstance(value, (str, bytes)) or not isinstance(value, Iterable):
        raise InvalidType(f"must be products, not {type_name(value)}", path="$.products")
    found: dict[str, Product] = {}
    for index, product in enumerate(value):
        if not isinstance(product, Product):
            raise InvalidType(
                f"must be a Product, not {type_name(product)}", path=f"$.products[{index}]"
            )
        found[product.id.value] = product
    return found


def _prices(value: object) -> dict[str, Money]:
    if value is None:
        return {}
    if not isinstance(value, Mapping):
        raise InvalidType(f"must be a mapping of prices, not {type_name(value)}", path="$.prices")
    found: dict[str, Money] = {}
    currency: str | None = None
    for index, (key, price) in enumerate(value.items()):
        item = check_item(key, f"$.prices[{index}]")
        path = f"$.prices[{index}]"  # by position, as every mapping's entries are named
        if type(price) is not Money:
            raise InvalidType(f"must be Money, not {type_name(price)}", path=path)
        if currency is not None and price.currency != currency:
            raise ValidationError("must all be in one currency", path=path, code="mixed_currencies")
        currency = price.currency
        found[item] = price
    return found


def _excluded(value: object) -> set[str]:
    if isinstance(value, (str, bytes)) or not isinstance(value, Iterable):
        raise InvalidType(f"must be an iterable of items, not {type_name(value)}", path="$.exclude")
    found: set[str] = set()
    for index, item in enumerate(value):
        if index >= MAX_BASKETS:
            raise ValidationError(
                f"must hold at most {MAX_BASKETS} items", path="$.exclude", code="too_many"
            )
        found.add(check_item(item, f"$.exclude[{index}]"))
    return found


def _holdings(history: object, customer_id: CustomerId) -> tuple[set[str], set[str], str]:
    """What the customer owns and returned, and the history's kind (``order``, ``usage``, ``other``).

    Orders of other customers and baskets with another customer are ignored.
    """
    if isinstance(history, (str, bytes)) or not isinstance(history, Iterable):
        raise InvalidType(f"must be an iterable, not {type_name(history)}", path="$.history")
    records = list(history)
    owned: set[str] = set()
    returned: set[str] = set()
    if records and all(isinstance(record, Order) for record in records):
        for order in records:
            if order.customer_id != customer_id:
                continue
            for index, line in enumerate(order.lines):
                back = order.returned_quantity(index) if order.returns else 0
                if back:
                    returned.add(line.product_id.value)
                if order.is_purchase and line.quantity > back:
                    owned.add(line.product_id.value)
        return owned, returned, "order"
    for basket in as_baskets(records, path="$.history"):
        if basket.customer_id is None or basket.customer_id == customer_id:
            owned.update(basket.items)
            returned.update(basket.returned)
    return owned, returned, "usage" if source_kind(records) == "usage" else "other"


def _withheld(
    customer: object, customer_id: CustomerId, at: datetime | None, channel: object
) -> str | None:
    """The code that denies recommendations to ``customer`` at ``at``, or ``None``."""
    if not isinstance(customer, Customer):
        raise InvalidType(f"must be a Customer, not {type_name(customer)}", path="$.customer")
    if customer.id != customer_id:
        raise ValidationError(
            "must be the customer recommended to", path="$.customer", code="other_customer"
        )
    if at is None:
        raise ValidationError(
            "is needed to decide consent and restriction", path="$.at", code="required"
        )
    for purpose in ("profiling", "marketing"):
        decision = customer.processing_decision(purpose, at=at)
        if not decision.allowed:
            return decision.reason
    if channel is not None:
        consent = customer.consent_decision(channel, "marketing", at=at)  # type: ignore[arg-type]
        if not consent.allowed:
            return "no_consent" if consent.reason == "default" else f"consent_{consent.reason}"
    return None


# -- scoring -----------------------------------------------------------------------------------


@attrs.frozen(slots=True)
class _Candidate:
    item: str
    base: float
    order: tuple[Any, ...]
    rule: AssociationRule | None = None
    pair: SimilarItems | None = None
    owned_item: str = ""


def _from_rules(
    rules: tuple[AssociationRule, ...], owned: set[str], left_out: set[str]
) -> tuple[dict[str, _Candidate], set[str]]:
    best: dict[str, _Candidate] = {}
    skipped: set[str] = set()
    for rule in rules:
        if len(rule.consequent) != 1 or not owned.issuperset(rule.antecedent):
            continue
        item = rule.consequent[0]
        if item in left_out:
            skipped.add(item)
            continue
        base = rule.confidence * rule.lift
        order = (-base, -rule.confidence, -rule.count, len(rule.antecedent), rule.antecedent)
        current = best.get(item)
        if current is None or order < current.order:
            best[item] = _Candidate(item, base, order, rule=rule)
    return best, skipped


def _from_similarity(
    table: ItemSimilarity, owned: set[str], left_out: set[str]
) -> tuple[dict[str, _Candidate], set[str]]:
    best: dict[str, _Candidate] = {}
    skipped: set[str] = set()
    for pair in table.pairs:
        for mine, other in ((pair.item, pair.other), (pair.other, pair.item)):
            if mine not in owned or other in owned:
                continue
            if other in left_out:
                skipped.add(other)
                continue
            base = pair.similarity
            order = (-base, -pair.common, mine)
            current = best.get(other)
            if current is None or order < current.order:
                best[other] = _Candidate(other, base, order, pair=pair, owned_item=mine)
    return best, skipped


def _margin(item: str, products: dict[str, Product], prices: dict[str, Money]) -> Money | None:
    product, price = products.get(item), prices.get(item)
    if product is None or price is None or product.standard_cost is None:
        return None
    if product.standard_cost.currency != price.currency:
        raise ValidationError(
            "must be in the currency of the product's standard cost",
            path=f"$.prices[{list(prices).index(item)}]",
            code="currency_mismatch",
        )
    return price - product.standard_cost


def _rate(margin: Money | None, price: Money | None) -> float:
    if margin is None or price is None or price.amount <= 0:
        return 0.0
    return min(1.0, max(0.0, float(margin.amount / price.amount)))


def _words(items: Iterable[str], products: dict[str, Product]) -> str:
    names = [products[item].name if item in products else item for item in items]
    return " and ".join(names)


def _explain(
    candidate: _Candidate, margin: Money | None, products: dict[str, Product], usage: bool
) -> RecommendationExplanation:
    did, doers = ("used", "users") if usage else ("bought", "buyers")
    name = _words([candidate.item], products)
    tail = "" if margin is None else f"; margin {margin.amount} {margin.currency}"
    rule = candidate.rule
    if rule is not None:
        because = _words(rule.antecedent, products)
        text = (
            f"{did} {because}; {rule.confidence:.0%} of {doers} of {because} also {did} {name}, "
            f"lift {rule.lift:.1f}{tail}"
        )
        return RecommendationExplanation(
            basis=RecommendationBasis.ASSOCIATION_RULE,
            because=rule.antecedent,
            together=rule.count,
            of=rule.antecedent_count,
            text=text,
            confidence=rule.confidence,
            lift=rule.lift,
            support=rule.support,
            margin=margin,
        )
    pair = candidate.pair
    assert pair is not None  # noqa: S101 - every candidate has a rule or a pair
    mine = candidate.owned_item
    of = pair.item_count if mine == pair.item else pair.other_count
    because = _words([mine], products)
    text = (
        f"{did} {because}; {pair.common} of {of} {doers} of {because} also {did} {name}, "
        f"{pair.measure.value} similarity {pair.similarity:.2f}{tail}"
    )
    return RecommendationExplanation(
        basis=RecommendationBasis.ITEM_SIMILARITY,
        because=(mine,),
        together=pair.common,
        of=of,
        text=text,
        similarity=pair.similarity,
        measure=pair.measure.value,
        margin=margin,
    )


def recommend(
    customer_id: CustomerId,
    *,
    history: Iterable[Any],
    rules: Iterable[AssociationRule] | None = None,
    similarity: ItemSimilarity | None = None,
    products: Iterable[Product] | Mapping[Any, Product] | None = None,
    prices: Mapping[Any, Money] | None = None,
    exclude: Iterable[Any] = (),
    customer: Customer | None = None,
    at: datetime | None = None,
    channel: str | None = None,
    margin_weight: float = 0.0,
    limit: int = 5,
) -> Recommendations:
    """The best items to offer ``customer_id`` next, explained (see the module's text for the score).

    ``history`` is the customer's own history, in any form :func:`as_baskets`
    reads, or orders (lines with returned units count as returned; purchases'
    kept lines as owned); records of other customers are ignored. Give exactly
    one of ``rules`` (from :func:`association_rules`) and ``similarity`` (from
    :func:`item_similarity`). ``products`` (with their ``standard_cost``) and
    ``prices`` (the item's unit price, one currency) give margins; retired
    products are never recommended. ``exclude`` leaves out more items.

    >>> from crmcore.recommendations import association_rules
    >>> orders = [("o1", "tea"), ("o1", "cups"), ("o2", "tea"), ("o2", "cups"), ("o3", "tea")]
    >>> rules = association_rules(orders, min_support=0.3)
    >>> result = recommend(CustomerId("c-1"), history=[("mine", "cups")], rules=rules)
    >>> result.reason, [r.item for r in result]
    ('recommended', ['tea'])
    >>> result[0].text
    'bought cups; 100% of buyers of cups also bought tea, lift 1.0'

    Raises:
        ValidationError: neither or both of ``rules`` and ``similarity``
            (``$.rules``, code ``one_source_required``), ``margin_weight``
            outside ``[0, 1]`` (``$.margin_weight``), ``limit`` outside
            ``1..100``, a customer other than ``customer_id`` (``$.customer``),
            a customer without ``at`` (``$.at``), prices in several currencies
            or another currency than a product's cost (``$.prices[2]``: the entry's position).
    """
    if type(customer_id) is not CustomerId:
        raise InvalidType(
            f"must be a CustomerId, not {type_name(customer_id)}", path="$.customer_id"
        )
    if (rules is None) == (similarity is None):
        raise ValidationError(
            "give exactly one of rules and similarity", path="$.rules", code="one_source_required"
        )
    if similarity is not None and type(similarity) is not ItemSimilarity:
        raise InvalidType(
            f"must be an ItemSimilarity, not {type_name(similarity)}", path="$.similarity"
        )
    checked_rules = _rules(rules) if rules is not None else ()
    weight = check_share(margin_weight, "$.margin_weight")
    count = _limit(limit)
    moment = None if at is None else require_aware(at, "$.at")
    catalog = _products(products)
    price_of = _prices(prices)
    asked_out = _excluded(exclude)
    owned, returned, kind = _holdings(history, customer_id)
    usage, from_orders = kind == "usage", kind == "order"
    if customer is not None:
        denied = _withheld(customer, customer_id, moment, channel)
        if denied is not None:
            return Recommendations(customer_id, (), denied)
    retired = {key for key, product in catalog.items() if product.status is ProductStatus.RETIRED}
    left_out = owned | returned | asked_out | retired
    if similarity is not None:
        candidates, skipped = _from_similarity(similarity, owned, left_out)
    else:
        candidates, skipped = _from_rules(checked_rules, owned, left_out)
    ranked: list[tuple[tuple[Any, ...], _Candidate, Money | None, float]] = []
    for candidate in candidates.values():
        margin = _margin(candidate.item, catalog, price_of)
        score = candidate.base * (1.0 + weight * _rate(margin, price_of.get(candidate.item)))
        margin_key = Decimal("-Infinity") if margin is None else margin.amount
        ranked.append(((-score, -margin_key, candidate.item), candidate, margin, score))
    ranked.sort(key=lambda entry: entry[0])
    items = tuple(
        Recommendation(
            item=candidate.item,
            product_id=ProductId(candidate.item)
            if candidate.item in catalog or from_orders
            else None,
            rank=rank,
            score=score,
            base_score=candidate.base,
            explanation=_explain(candidate, margin, catalog, usage),
        )
        for rank, (_, candidate, margin, score) in enumerate(ranked[:count], start=1)
    )
    return Recommendations(
        customer_id, items, RECOMMENDED if items else NO_CANDIDATES, excluded=len(skipped)
    )


def prices_from(orders: Iterable[Order]) -> dict[str, Money]:
    """Each product's unit price on its latest order line (net of the line's discount per unit).

    For :func:`recommend`'s ``prices`` when no price book is at hand; later
    orders win, and a later line of the same order wins too.

    Raises:
        InvalidType: something other than an order (``$.orders[i]``).
    """
    given: object = orders
    if isinstance(given, (str, bytes)) or not isinstance(given, Iterable):
        raise InvalidType(
            f"must be an iterable of orders, not {type_name(orders)}", path="$.orders"
        )
    found: dict[str, tuple[datetime, Money]] = {}
    for index, order in enumerate(orders):
        if not isinstance(order, Order):
            raise InvalidType(
                f"must be an Order, not {type_name(order)}", path=f"$.orders[{index}]"
            )
        for line in order.lines:
            key = line.product_id.value
            earlier = found.get(key)
            if earlier is None or order.created_at >= earlier[0]:
                found[key] = (order.created_at, _unit(line))
    return {key: price for key, (_, price) in found.items()}


def _unit(line: Any) -> Money:
    net: Money = line.net
    return Money(net.amount / line.quantity, net.currency).rounded()
