"""Item-to-item similarity over the sets of customers who bought (or used) each item.

Item-to-item collaborative filtering (Linden, Smith & York 2003, "Amazon.com
recommendations: item-to-item collaborative filtering", IEEE Internet
Computing 7(1)): two items are similar when the same customers buy both. Each
item is the set of customers who bought it (a binary vector), and

- cosine ``|X ∩ Y| / sqrt(|X| · |Y|)`` (Linden et al.'s measure on binary vectors),
- Jaccard ``|X ∩ Y| / (|X| + |Y| - |X ∩ Y|)``.

The co-counts are built as Linden et al. describe: for every customer, every
pair of items they bought; work is bounded by :data:`MAX_PAIR_WORK` pairs,
checked before counting.
"""

from __future__ import annotations

import itertools
import math
from collections import Counter
from collections.abc import Iterable
from enum import StrEnum
from typing import Any, Final

import attrs

from crmcore._kernel._checks import enum_converter, type_name
from crmcore.errors import InvalidType, ValidationError
from crmcore.recommendations._baskets import MAX_BASKETS, as_baskets, check_item
from crmcore.recommendations._rules import check_share, count_in_range

#: The most item pairs one similarity run counts (the sum over customers of k(k-1)/2).
MAX_PAIR_WORK: Final = 20_000_000


class SimilarityMeasure(StrEnum):
    """How two items' customer sets are compared: ``cosine`` or ``jaccard``."""

    COSINE = "cosine"
    JACCARD = "jaccard"


_to_measure = enum_converter(SimilarityMeasure, "$.measure")


def _measure(value: object) -> SimilarityMeasure:
    return _to_measure(value)


def _item(value: object) -> str:
    return check_item(value, "$.item")


def _other(value: object) -> str:
    return check_item(value, "$.other")


@attrs.frozen(slots=True)
class SimilarItems:
    """Two items and the customers they share; ``item`` sorts before ``other``.

    >>> pair = SimilarItems(
    ...     "router", "wifi-extender", common=12, item_count=48, other_count=27, measure="cosine"
    ... )
    >>> round(pair.similarity, 4)
    0.3333

    Attributes:
        item, other: the two items (``item < other``).
        common: customers who bought both.
        item_count, other_count: customers who bought each.
        measure: the :class:`SimilarityMeasure` of :attr:`similarity`.
    """

    item: str = attrs.field(converter=_item)
    other: str = attrs.field(converter=_other)
    common: int = attrs.field(kw_only=True, validator=count_in_range)
    item_count: int = attrs.field(kw_only=True, validator=count_in_range)
    other_count: int = attrs.field(kw_only=True, validator=count_in_range)
    measure: SimilarityMeasure = attrs.field(
        default=SimilarityMeasure.COSINE, kw_only=True, converter=_measure
    )

    def __attrs_post_init__(self) -> None:
        if not self.item < self.other:
            raise ValidationError(
                "must sort after the item (and differ from it)", path="$.other", code="not_sorted"
            )
        if self.common > min(self.item_count, self.other_count):
            raise ValidationError(
                "must not exceed either item's count", path="$.common", code="out_of_range"
            )

    @property
    def similarity(self) -> float:
        """The measure's value, between 0 and 1."""
        if self.measure is SimilarityMeasure.COSINE:
            return self.common / math.sqrt(self.item_count * self.other_count)
        return self.common / (self.item_count + self.other_count - self.common)

    def partner(self, item: str) -> str:
        """The other item of the pair than ``item`` (a str or a product id).

        >>> SimilarItems("a", "b", common=1, item_count=1, other_count=1).partner("b")
        'a'

        Raises:
            ValidationError: ``item`` is not an item (``$.item``) or not one of
                the pair's two items (code ``not_in_pair``).
        """
        key = check_item(item, "$.item")
        if key == self.item:
            return self.other
        if key == self.other:
            return self.item
        raise ValidationError(
            "must be one of the pair's two items", path="$.item", code="not_in_pair"
        )


def _pairs(value: object) -> tuple[SimilarItems, ...]:
    if not isinstance(value, (tuple, list)):
        raise InvalidType(
            f"must be a tuple of SimilarItems, not {type_name(value)}", path="$.pairs"
        )
    for index, pair in enumerate(value):
        if type(pair) is not SimilarItems:
            raise InvalidType(
                f"must be SimilarItems, not {type_name(pair)}", path=f"$.pairs[{index}]"
            )
    return tuple(value)


@attrs.frozen(slots=True)
class ItemSimilarity:
    """The similar item pairs of a set of purchase histories, most similar first.

    Attributes:
        pairs: every pair meeting the thresholds, most similar first (ties:
            more customers in common, then the items' text).
        measure: the measure every pair uses.
        customers: how many customers (or baskets without a customer) were read.
    """

    pairs: tuple[SimilarItems, ...] = attrs.field(converter=_pairs)
    measure: SimilarityMeasure = attrs.field(
        default=SimilarityMeasure.COSINE, kw_only=True, converter=_measure
    )
    customers: int = attrs.field(default=0, kw_only=True)

    def __attrs_post_init__(self) -> None:
        if isinstance(self.customers, bool) or not isinstance(self.customers, int):
            raise InvalidType(
                f"must be an int, not {type_name(self.customers)}", path="$.customers"
            )
        if not 0 <= self.customers <= MAX_BASKETS:
            raise ValidationError(
                f"must be between 0 and {MAX_BASKETS}", path="$.customers", code="out_of_range"
            )
        for index, pair in enumerate(self.pairs):
            if pair.measure is not self.measure:
                raise ValidationError(
                    "must use the measure of the whole",
                    path=f"$.pairs[{index}].measure",
                    code="mixed_measures",
                )

    def similar_to(
        self, item: object, *, limit: int | None = None
    ) -> tuple[tuple[str, float], ...]:
        """The items most similar to ``item``, as ``(item, similarity)``, most similar first.

        >>> table = item_similarity(
        ...     [("c1", "a"), ("c1", "b"), ("c2", "a"), ("c2", "b"), ("c3", "a")]
        ... )
        >>> table.similar_to("b")
        (('a', 0.8164965809277261),)
        """
        key = check_item(item, "$.item")
        if not _is_limit(limit):
            raise ValidationError(
                "must be a positive int or None", path="$.limit", code="out_of_range"
            )
        found = tuple(
            (pair.other if key == pair.item else pair.item, pair.similarity)
            for pair in self.pairs
            if key in (pair.item, pair.other)
        )
        return found if limit is None else found[:limit]


def _is_limit(value: object) -> bool:
    return value is None or (type(value) is int and value >= 1)


def _pair_order(pair: SimilarItems) -> tuple[Any, ...]:
    return (-pair.similarity, -pair.common, pair.item, pair.other)


def _min_common(value: object) -> int:
    if isinstance(value, bool) or not isinstance(value, int):
        raise InvalidType(f"must be an int, not {type_name(value)}", path="$.min_common")
    if not 1 <= value <= MAX_BASKETS:
        raise ValidationError(
            f"must be between 1 and {MAX_BASKETS}", path="$.min_common", code="out_of_range"
        )
    return value


def item_similarity(
    baskets: Iterable[Any],
    *,
    measure: SimilarityMeasure | str = SimilarityMeasure.COSINE,
    min_similarity: float = 0.0,
    min_common: int = 1,
) -> ItemSimilarity:
    """How alike items are, by the customers who bought (or used) them.

    ``baskets`` is anything :func:`as_baskets` reads. The baskets of one
    customer count as one history (their items' union); a basket without a
    customer (from ``(basket_id, item)`` pairs) is a history of its own. Pairs
    with fewer than ``min_common`` customers in common or a similarity below
    ``min_similarity`` are left out.

    >>> table = item_similarity(
    ...     [
    ...         ("c1", "router"),
    ...         ("c1", "extender"),
    ...         ("c2", "router"),
    ...         ("c2", "extender"),
    ...         ("c3", "router"),
    ...         ("c3", "cable"),
    ...     ],
    ...     measure="jaccard",
    ... )
    >>> [(p.item, p.other, round(p.similarity, 3), p.common) for p in table.pairs]
    [('extender', 'router', 0.667, 2), ('cable', 'router', 0.333, 1)]

    Raises:
        ValidationError: ``min_similarity`` outside ``[0, 1]``
            (``$.min_similarity``, code ``out_of_range``), ``min_common`` below
            1, an unknown measure (``$.measure``), histories too long to pair
            (``$.baskets``, code ``too_much_work``), or bad baskets.
    """
    chosen = _measure(measure)
    floor = check_share(min_similarity, "$.min_similarity")
    least = _min_common(min_common)
    histories: dict[object, set[str]] = {}
    for basket in as_baskets(baskets):
        owner: object = basket.customer_id if basket.customer_id is not None else basket.basket_id
        histories.setdefault(owner, set()).update(basket.items)
    work = sum(len(items) * (len(items) - 1) // 2 for items in histories.values())
    if work > MAX_PAIR_WORK:
        raise ValidationError(
            f"the histories hold more than {MAX_PAIR_WORK} item pairs",
            path="$.baskets",
            code="too_much_work",
        )
    singles: Counter[str] = Counter()
    together: Counter[tuple[str, str]] = Counter()
    for items in histories.values():
        ordered = sorted(items)
        singles.update(ordered)
        together.update(itertools.combinations(ordered, 2))
    pairs = [
        SimilarItems(
            first,
            second,
            common=common,
            item_count=singles[first],
            other_count=singles[second],
            measure=chosen,
        )
        for (first, second), common in together.items()
        if common >= least
    ]
    kept = sorted((pair for pair in pairs if pair.similarity >= floor), key=_pair_order)
    return ItemSimilarity(tuple(kept), measure=chosen, customers=len(histories))
