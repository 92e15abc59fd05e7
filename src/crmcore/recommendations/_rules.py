"""Association rules from co-purchases: support, confidence and lift, mined by Eclat on bitsets.

For baskets ``T`` (``n`` of them) and item sets ``A`` and ``C`` with nothing in
common, the rule ``A → C`` has (Agrawal, Imieliński & Swami 1993; Agrawal &
Srikant 1994; lift as in Brin et al. 1997):

- support ``s(A and C)``: the share of the baskets that hold every item of ``A`` and ``C``,
- confidence ``s(A and C) / s(A)``: the share of baskets holding ``A`` that also hold ``C``,
- lift ``confidence / s(C)``: how many times likelier ``C`` is with ``A`` than without
  knowing anything (1: independent).

**Algorithm.** The frequent item sets (support at least ``min_support``) are
found depth first by Eclat (Zaki 2000, "Scalable algorithms for association
mining", IEEE TKDE 12(3)) on a vertical layout: every frequent item holds the
set of baskets it occurs in as one Python int used as a bitset, and the
baskets holding an item set are the bitwise AND of its items' bitsets, counted
with ``int.bit_count``. Only extensions of frequent sets are tried (the Apriori
property of Agrawal & Srikant 1994: every subset of a frequent set is
frequent), so 100,000 baskets over a few hundred products mine in well under
a second. Work is bounded before it is done: at most :data:`MAX_CANDIDATES`
candidate sets are counted and at most :data:`MAX_ITEMSETS` frequent sets kept
(a :class:`~crmcore.ValidationError` at ``$.min_support``, code
``too_many_candidates`` or ``too_many_itemsets``, says to raise the support or
lower ``max_length``); sets have at most ``max_length`` (≤ :data:`MAX_RULE_ITEMS`)
items.
"""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Iterable
from typing import Any, Final

import attrs

from crmcore._kernel._checks import type_name
from crmcore.errors import InvalidType, ValidationError
from crmcore.recommendations._baskets import (
    MAX_BASKETS,
    Basket,
    as_baskets,
    check_item,
)

#: The most items in the sets a rule joins (antecedent and consequent together).
MAX_RULE_ITEMS: Final = 4
#: The most candidate item sets counted in one mining run.
MAX_CANDIDATES: Final = 2_000_000
#: The most frequent item sets one mining run keeps.
MAX_ITEMSETS: Final = 100_000


def check_share(value: object, path: str, *, upper: float | None = 1.0) -> float:
    """A number in ``[0, 1]`` (``upper=None``: zero or more, finite), as a float."""
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise InvalidType(f"must be a number, not {type_name(value)}", path=path)
    rule = "must be zero or more" if upper is None else f"must be between 0 and {upper:g}"
    try:
        number = float(value)
    except OverflowError:  # an int beyond every float
        too_big = "must be at most the largest float" if upper is None else rule
        raise ValidationError(too_big, path=path, code="out_of_range") from None
    if math.isnan(number) or math.isinf(number):
        raise ValidationError("must be a finite number", path=path, code="not_finite")
    if number < 0.0 or (upper is not None and number > upper):
        raise ValidationError(rule, path=path, code="out_of_range")
    return number


def _sorted_items(value: object, path: str) -> tuple[str, ...]:
    if not isinstance(value, (tuple, list)) or not value:
        raise InvalidType(f"must be a non-empty tuple of items, not {type_name(value)}", path=path)
    if len(value) > MAX_RULE_ITEMS:
        raise ValidationError(
            f"must hold at most {MAX_RULE_ITEMS} items", path=path, code="too_many"
        )
    items = tuple(check_item(item, f"{path}[{i}]") for i, item in enumerate(value))
    if list(items) != sorted(set(items)):
        raise ValidationError("must hold distinct items, sorted", path=path, code="not_sorted")
    return items


def _antecedent(value: object) -> tuple[str, ...]:
    return _sorted_items(value, "$.antecedent")


def _consequent(value: object) -> tuple[str, ...]:
    return _sorted_items(value, "$.consequent")


def count_in_range(_: object, attribute: attrs.Attribute[Any], value: object) -> None:
    """An attrs validator: a count of baskets or customers, from 1 to :data:`MAX_BASKETS`."""
    path = f"$.{attribute.name}"
    if isinstance(value, bool) or not isinstance(value, int):
        raise InvalidType(f"must be an int, not {type_name(value)}", path=path)
    if not 1 <= value <= MAX_BASKETS:
        raise ValidationError(
            f"must be between 1 and {MAX_BASKETS}", path=path, code="out_of_range"
        )


_count = count_in_range


@attrs.frozen(slots=True)
class AssociationRule:
    """``antecedent → consequent``, with the counts its measures come from.

    Support, confidence and lift are worked out from the counts, so a rule
    read back from storage always agrees with itself.

    >>> rule = AssociationRule(
    ...     ("tea",), ("cups",), count=30, antecedent_count=60, consequent_count=40, baskets=200
    ... )
    >>> rule.support, rule.confidence, rule.lift
    (0.15, 0.5, 2.5)

    Attributes:
        antecedent: the items bought first (sorted).
        consequent: the items the rule suggests (sorted; none of the antecedent's).
        count: baskets holding every item of both.
        antecedent_count: baskets holding the antecedent.
        consequent_count: baskets holding the consequent.
        baskets: baskets mined.
    """

    antecedent: tuple[str, ...] = attrs.field(converter=_antecedent)
    consequent: tuple[str, ...] = attrs.field(converter=_consequent)
    count: int = attrs.field(kw_only=True, validator=_count)
    antecedent_count: int = attrs.field(kw_only=True, validator=_count)
    consequent_count: int = attrs.field(kw_only=True, validator=_count)
    baskets: int = attrs.field(kw_only=True, validator=_count)

    def __attrs_post_init__(self) -> None:
        if len(self.antecedent) + len(self.consequent) > MAX_RULE_ITEMS:
            raise ValidationError(
                f"a rule joins at most {MAX_RULE_ITEMS} items", path="$.consequent", code="too_many"
            )
        if set(self.antecedent) & set(self.consequent):
            raise ValidationError(
                "must share no item with the antecedent", path="$.consequent", code="overlap"
            )
        if self.count > min(self.antecedent_count, self.consequent_count):
            raise ValidationError(
                "must not exceed the antecedent's or the consequent's count",
                path="$.count",
                code="out_of_range",
            )
        # Baskets with A or C are at most all of them: |A| + |C| - |A and C| <= n.
        if self.antecedent_count + self.consequent_count - self.count > self.baskets:
            raise ValidationError(
                "the counts must fit in the baskets mined", path="$.baskets", code="out_of_range"
            )

    @property
    def support(self) -> float:
        """Share of baskets holding every item of the rule."""
        return self.count / self.baskets

    @property
    def antecedent_support(self) -> float:
        """Share of baskets holding the antecedent."""
        return self.antecedent_count / self.baskets

    @property
    def consequent_support(self) -> float:
        """Share of baskets holding the consequent."""
        return self.consequent_count / self.baskets

    @property
    def confidence(self) -> float:
        """Share of the baskets holding the antecedent that also hold the consequent."""
        return self.count / self.antecedent_count

    @property
    def lift(self) -> float:
        """Confidence over the consequent's support (1: independent)."""
        return self.count * self.baskets / (self.antecedent_count * self.consequent_count)


def _length(value: object) -> int:
    if isinstance(value, bool) or not isinstance(value, int):
        raise InvalidType(f"must be an int, not {type_name(value)}", path="$.max_length")
    if not 2 <= value <= MAX_RULE_ITEMS:
        raise ValidationError(
            f"must be between 2 and {MAX_RULE_ITEMS}", path="$.max_length", code="out_of_range"
        )
    return value


def minimum_count(min_support: float, baskets: int) -> int:
    """The fewest baskets (at least one) whose share is ``min_support`` or more.

    >>> minimum_count(0.25, 10)
    3

    Raises:
        ValidationError: ``min_support`` outside ``[0, 1]``, ``baskets`` not from 1
            to :data:`MAX_BASKETS`.
    """
    min_support = check_share(min_support, "$.min_support")
    if isinstance(baskets, bool) or not isinstance(baskets, int):
        raise InvalidType(f"must be an int, not {type_name(baskets)}", path="$.baskets")
    if not 1 <= baskets <= MAX_BASKETS:
        raise ValidationError(
            f"must be between 1 and {MAX_BASKETS}", path="$.baskets", code="out_of_range"
        )
    count = max(1, math.ceil(min_support * baskets))
    # Floating point: settle on the exact boundary of count / baskets >= min_support.
    while count > 1 and (count - 1) / baskets >= min_support:
        count -= 1
    while count <= baskets and count / baskets < min_support:  # pragma: no cover - rounding guard
        count += 1
    return count


def _too_many(what: str, limit: int, code: str) -> ValidationError:
    return ValidationError(
        f"would count more than {limit} {what}: raise min_support or lower max_length",
        path="$.min_support",
        code=code,
    )


def _bitsets(baskets: tuple[Basket, ...], items: list[str]) -> list[int]:
    """For each item, the baskets holding it as the bits of one int (bit i: basket i)."""
    position = {item: index for index, item in enumerate(items)}
    size = len(baskets) // 8 + 1
    rows = [bytearray(size) for _ in items]
    for index, basket in enumerate(baskets):
        byte, bit = index >> 3, 1 << (index & 7)
        for item in basket.items:
            at = position.get(item)
            if at is not None:
                rows[at][byte] |= bit
    return [int.from_bytes(row, "little") for row in rows]


def _mine(
    baskets: tuple[Basket, ...], *, min_count: int, max_length: int
) -> tuple[list[str], dict[tuple[int, ...], int]]:
    counts = Counter(item for basket in baskets for item in basket.items)
    items = sorted(item for item, count in counts.items() if count >= min_count)
    pairs = len(items) * (len(items) - 1) // 2
    if pairs > MAX_CANDIDATES:
        raise _too_many("candidate item sets", MAX_CANDIDATES, "too_many_candidates")
    found: dict[tuple[int, ...], int] = {(index,): counts[item] for index, item in enumerate(items)}
    if len(found) > MAX_ITEMSETS:
        raise _too_many("frequent item sets", MAX_ITEMSETS, "too_many_itemsets")
    bits = _bitsets(baskets, items)
    tried = 0
    # An equivalence class: (prefix, [(item index, bitset of prefix + item), ...]).
    stack: list[tuple[tuple[int, ...], list[tuple[int, int]]]] = [((), list(enumerate(bits)))]
    while stack:
        prefix, members = stack.pop()
        for position, (first, first_bits) in enumerate(members):
            head = (*prefix, first)
            grown: list[tuple[int, int]] = []
            rest = members[position + 1 :]
            tried += len(rest)
            if tried > MAX_CANDIDATES:
                raise _too_many("candidate item sets", MAX_CANDIDATES, "too_many_candidates")
            for second, second_bits in rest:
                both = first_bits & second_bits
                count = both.bit_count()
                if count >= min_count:
                    found[(*head, second)] = count
                    grown.append((second, both))
            if len(found) > MAX_ITEMSETS:
                raise _too_many("frequent item sets", MAX_ITEMSETS, "too_many_itemsets")
            if len(head) + 2 <= max_length and len(grown) > 1:
                stack.append((head, grown))
    return items, found


def _subsets(itemset: tuple[int, ...]) -> Iterable[tuple[tuple[int, ...], tuple[int, ...]]]:
    """Every split of ``itemset`` into a non-empty antecedent and consequent."""
    size = len(itemset)
    for mask in range(1, (1 << size) - 1):
        left = tuple(itemset[i] for i in range(size) if mask >> i & 1)
        right = tuple(itemset[i] for i in range(size) if not mask >> i & 1)
        yield left, right


def _rule_order(rule: AssociationRule) -> tuple[Any, ...]:
    # Strongest first; exact ties in a fixed order of the items.
    return (
        -rule.confidence,
        -rule.lift,
        -rule.count,
        len(rule.antecedent),
        rule.antecedent,
        len(rule.consequent),
        rule.consequent,
    )


def association_rules(
    baskets: Iterable[Any],
    *,
    min_support: float,
    min_confidence: float = 0.0,
    min_lift: float = 0.0,
    max_length: int = 2,
) -> tuple[AssociationRule, ...]:
    """The association rules of ``baskets`` that meet every threshold, strongest first.

    ``baskets`` is anything :func:`as_baskets` reads: baskets, orders,
    ``(basket_id, item)`` pairs or usage records. A rule's item set must have
    support at least ``min_support`` (and occur at least once), its confidence
    at least ``min_confidence`` and its lift at least ``min_lift``;
    ``max_length`` caps the items of a rule (antecedent and consequent
    together). Rules come strongest first: by confidence, then lift, then
    count, then shorter antecedents, then the items' text.

    >>> orders = [
    ...     ("o1", "tea"),
    ...     ("o1", "cups"),
    ...     ("o2", "tea"),
    ...     ("o2", "cups"),
    ...     ("o3", "tea"),
    ...     ("o4", "milk"),
    ... ]
    >>> for rule in association_rules(orders, min_support=0.25, min_confidence=0.6):
    ...     print(
    ...         rule.antecedent,
    ...         rule.consequent,
    ...         rule.support,
    ...         round(rule.confidence, 3),
    ...         round(rule.lift, 3),
    ...     )
    ('cups',) ('tea',) 0.5 1.0 1.333
    ('tea',) ('cups',) 0.5 0.667 1.333

    Raises:
        ValidationError: a threshold outside ``[0, 1]`` (``$.min_support``,
            ``$.min_confidence``; ``$.min_lift`` must be zero or more; code
            ``out_of_range``), ``max_length`` outside ``2..4``
            (``$.max_length``), too much work for the support asked
            (``$.min_support``, codes ``too_many_candidates`` and
            ``too_many_itemsets``), or bad baskets (``$.baskets[i]...``).
    """
    support = check_share(min_support, "$.min_support")
    confidence = check_share(min_confidence, "$.min_confidence")
    lift = check_share(min_lift, "$.min_lift", upper=None)
    length = _length(max_length)
    table = as_baskets(baskets)
    total = len(table)
    if total == 0:
        return ()
    items, found = _mine(table, min_count=minimum_count(support, total), max_length=length)
    rules: list[AssociationRule] = []
    for itemset, count in found.items():
        if len(itemset) < 2:
            continue
        for left, right in _subsets(itemset):
            left_count, right_count = found[left], found[right]
            # The same floating-point expressions as the properties of AssociationRule.
            if count / left_count < confidence:
                continue
            if count * total / (left_count * right_count) < lift:
                continue
            rules.append(
                AssociationRule(
                    tuple(items[i] for i in left),
                    tuple(items[i] for i in right),
                    count=count,
                    antecedent_count=left_count,
                    consequent_count=right_count,
                    baskets=total,
                )
            )
    rules.sort(key=_rule_order)
    return tuple(rules)
