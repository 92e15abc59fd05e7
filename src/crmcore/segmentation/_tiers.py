"""CLV tiers: low, medium and high value customers, by percentiles or by thresholds.

The sources describe the usual shape: few high, few low, most medium. By
percentiles, a customer's place is the middle of its tie group's ranks, as
a percentile ``p = (mid + 0.5) / n``: below ``low_percent`` is low, above
``100 - high_percent`` is high, the rest medium. Equal values share a tier.
"""

from __future__ import annotations

from collections.abc import Hashable, Mapping
from decimal import Decimal
from enum import StrEnum
from typing import TypeVar

from crmcore._kernel._checks import type_name
from crmcore.errors import InvalidType, ValidationError
from crmcore.segmentation._ranking import by_middle_rank, edge_number, numeric_values

K = TypeVar("K", bound=Hashable)


class ClvTier(StrEnum):
    """A customer lifetime value tier."""

    LOW = "low"
    MEDIUM = "medium"
    HIGH = "high"


def _percent(value: object, path: str) -> Decimal:
    if isinstance(value, bool) or not isinstance(value, (int, Decimal)):
        raise InvalidType(f"must be an int or Decimal percent, not {type_name(value)}", path=path)
    number = Decimal(value)
    if not number.is_finite() or not 0 <= number <= 100:
        raise ValidationError("must be a percent from 0 to 100", path=path, code="percent")
    return number


def tiers_by_percentile(
    values: Mapping[K, object], *, low_percent: int | Decimal = 20, high_percent: int | Decimal = 20
) -> dict[K, ClvTier]:
    """Tiers by rank: the bottom ``low_percent`` low, the top ``high_percent`` high.

    Values are Money of one currency, ints, Decimals or floats (model
    outputs), never mixed. Equal values share a tier, so with ties the tiers
    may hold a little more or less than the percents.

    >>> clv = {f"c-{i}": i for i in range(1, 11)}
    >>> tiers = tiers_by_percentile(clv)
    >>> [tiers[f"c-{i}"].value for i in (1, 2, 3, 8, 9, 10)]
    ['low', 'low', 'medium', 'medium', 'high', 'high']

    Raises:
        ValidationError: a percent is outside 0..100 or the two overlap.
        CurrencyMismatch: Money of several currencies.
    """
    low = _percent(low_percent, "$.low_percent")
    high = _percent(high_percent, "$.high_percent")
    if low + high > 100:
        raise ValidationError(
            "low_percent and high_percent must add up to at most 100",
            path="$.high_percent",
            code="percent",
        )
    numbers, _ = numeric_values(values)
    n = len(numbers)

    def tier(twice_middle: int) -> ClvTier:
        # The percentile of the group's middle rank: twice_middle * 50 / n percent.
        place = Decimal(twice_middle * 50) / n
        if place < low:
            return ClvTier.LOW
        if place > 100 - high:
            return ClvTier.HIGH
        return ClvTier.MEDIUM

    return by_middle_rank(numbers, tier)


def tiers_by_threshold(
    values: Mapping[K, object], *, medium_from: object, high_from: object
) -> dict[K, ClvTier]:
    """Tiers by fixed thresholds: ``high_from`` and above is high, ``medium_from`` and above medium.

    Thresholds are in the same terms as the values (Money of their currency,
    or numbers).

    >>> from crmcore import Money
    >>> clv = {"a": Money("50", "IDR"), "b": Money("500", "IDR"), "c": Money("5000", "IDR")}
    >>> tiers_by_threshold(clv, medium_from=Money("100", "IDR"), high_from=Money("1000", "IDR"))
    {'a': <ClvTier.LOW: 'low'>, 'b': <ClvTier.MEDIUM: 'medium'>, 'c': <ClvTier.HIGH: 'high'>}
    """
    numbers, currency = numeric_values(values)
    medium = edge_number(medium_from, currency, "$.medium_from")
    high = edge_number(high_from, currency, "$.high_from")
    if medium > high:
        raise ValidationError(
            "must not be below medium_from", path="$.high_from", code="threshold_order"
        )
    return {
        key: ClvTier.HIGH if value >= high else ClvTier.MEDIUM if value >= medium else ClvTier.LOW
        for key, value in numbers.items()
    }


def tier_counts(tiers: Mapping[object, ClvTier]) -> dict[ClvTier, int]:
    """How many customers each tier holds (every tier listed, low first).

    >>> tier_counts({"a": ClvTier.HIGH, "b": ClvTier.MEDIUM, "c": ClvTier.MEDIUM})
    {<ClvTier.LOW: 'low'>: 0, <ClvTier.MEDIUM: 'medium'>: 2, <ClvTier.HIGH: 'high'>: 1}
    """
    if not isinstance(tiers, Mapping):
        raise InvalidType(
            f"must be a mapping of customer ids to ClvTier, not {type_name(tiers)}", path="$.tiers"
        )
    counts = dict.fromkeys(ClvTier, 0)
    for tier in tiers.values():
        if not isinstance(tier, ClvTier):
            # The key is a customer id: never echoed.
            raise InvalidType(f"must be a ClvTier, not {type_name(tier)}", path="$.tiers[*]")
        counts[tier] += 1
    return counts
