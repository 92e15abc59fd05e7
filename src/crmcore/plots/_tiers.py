"""The CLV distribution by tier: one histogram, its bars stacked by tier."""

from __future__ import annotations

import math
from collections.abc import Hashable, Mapping
from decimal import Decimal
from typing import TYPE_CHECKING, Final

import attrs

from crmcore import Money
from crmcore._kernel._fields import Checked
from crmcore.errors import InvalidType, ValidationError
from crmcore.plots._common import checked_title, new_figure, title_text, whole
from crmcore.segmentation import ClvTier, tier_counts, tiers_by_percentile

if TYPE_CHECKING:
    from matplotlib.figure import Figure

#: Most customers one tier histogram reads.
MAX_TIER_CUSTOMERS: Final = 1_000_000
#: Most bins of a tier histogram.
MAX_BINS: Final = 200
#: Largest CLV magnitude a tier histogram draws.
MAX_MAGNITUDE: Final = 1e300


@attrs.frozen(slots=True)
class TierHistogram(Checked):
    """Customers by CLV bin, split by tier.

    Attributes:
        edges: the bins' edges, ``bins + 1`` of them (the last bin holds its
            upper edge).
        tiers: low, medium, high.
        counts: for each tier, the customers in each bin.
        totals: customers in each tier.
        currency: the ISO 4217 code when the values were Money, else None.
    """

    edges: tuple[float, ...]
    tiers: tuple[ClvTier, ...]
    counts: tuple[tuple[int, ...], ...]
    totals: tuple[int, ...]
    currency: str | None


def _number(value: object) -> float:
    # The type and finiteness were checked by tiers_by_percentile already.
    try:
        number = float(value.amount) if isinstance(value, Money) else float(value)  # type: ignore[arg-type]
    except OverflowError:  # an int beyond the float range
        number = math.inf
    if not abs(number) <= MAX_MAGNITUDE:
        raise ValidationError(
            f"must be at most {MAX_MAGNITUDE:g} in magnitude", path="$.values[*]", code="too_large"
        )
    return number


def clv_tier_histogram(
    values: Mapping[Hashable, object],
    tiers: Mapping[Hashable, ClvTier] | None = None,
    *,
    bins: int = 20,
    low_percent: int | Decimal = 20,
    high_percent: int | Decimal = 20,
) -> TierHistogram:
    """The CLV distribution as a histogram of ``bins`` equal bins, counted per tier.

    Args:
        values: customer id to CLV: Money of one currency, ints, Decimals or
            floats (as :func:`crmcore.segmentation.tiers_by_percentile` takes
            them, which checks them); 1 to 1,000,000 customers.
        tiers: customer id to :class:`~crmcore.segmentation.ClvTier` for the
            same customers; default ``tiers_by_percentile(values, low_percent=...,
            high_percent=...)``.
        bins: 1 to 200.
        low_percent: the bottom share that is low (when ``tiers`` is None).
        high_percent: the top share that is high (when ``tiers`` is None).

    >>> h = clv_tier_histogram({f"c{i}": i for i in range(10)}, bins=3)
    >>> h.edges
    (0.0, 3.0, 6.0, 9.0)
    >>> h.counts  # low, medium, high
    ((2, 0, 0), (1, 3, 2), (0, 0, 2))
    """
    count = whole(bins, "$.bins", minimum=1, maximum=MAX_BINS)
    if not isinstance(values, Mapping):
        raise InvalidType("must be a mapping of customer ids to values", path="$.values")
    if not 1 <= len(values) <= MAX_TIER_CUSTOMERS:
        raise ValidationError(
            f"must hold from 1 to {MAX_TIER_CUSTOMERS:,} customers", path="$.values", code="size"
        )
    ranked = tiers_by_percentile(values, low_percent=low_percent, high_percent=high_percent)
    chosen: Mapping[Hashable, ClvTier] = ranked if tiers is None else tiers
    totals = tier_counts(chosen)
    if len(chosen) != len(values) or any(key not in chosen for key in values):
        raise ValidationError(
            "must give a tier for every customer of values, and no other",
            path="$.tiers",
            code="keys_mismatch",
        )
    numbers = {key: _number(value) for key, value in values.items()}
    low, high = min(numbers.values()), max(numbers.values())
    width = high / count - low / count
    if not width > 0 or low + width * count <= low:
        pad = max(0.5, abs(low) * 1e-6)
        low, high = low - pad, high + pad
        width = high / count - low / count
    edges = tuple([low + k * width for k in range(count)] + [high])
    order = tuple(ClvTier)
    grid = {tier: [0] * count for tier in order}
    for key, number in numbers.items():
        slot = min(count - 1, math.floor((number - low) / width))
        grid[chosen[key]][slot] += 1
    currency = next((v.currency for v in values.values() if isinstance(v, Money)), None)
    return TierHistogram(
        edges=edges,
        tiers=order,
        counts=tuple(tuple(grid[tier]) for tier in order),
        totals=tuple(totals[tier] for tier in order),
        currency=currency,
    )


def plot_clv_by_tier(
    values: Mapping[Hashable, object],
    tiers: Mapping[Hashable, ClvTier] | None = None,
    *,
    bins: int = 20,
    low_percent: int | Decimal = 20,
    high_percent: int | Decimal = 20,
    title: str | None = None,
) -> Figure:
    """:func:`clv_tier_histogram` as bars stacked by tier, on a new ``Figure``.

    Raises:
        ValidationError: as :func:`clv_tier_histogram`; matplotlib is not
            installed (``pip install 'crmcore[plot]'``).
    """
    title = checked_title(title)
    data = clv_tier_histogram(
        values, tiers, bins=bins, low_percent=low_percent, high_percent=high_percent
    )
    heading = title_text(title, "Customer lifetime value by tier")
    figure = new_figure(7.0, 4.5)
    axes = figure.add_subplot()
    lefts = data.edges[:-1]
    widths = [b - a for a, b in zip(data.edges, data.edges[1:], strict=False)]
    bottom = [0] * len(lefts)
    colours = {ClvTier.LOW: "#9e9e9e", ClvTier.MEDIUM: "#42a5f5", ClvTier.HIGH: "#2e7d32"}
    for tier, counts, total in zip(data.tiers, data.counts, data.totals, strict=True):
        axes.bar(
            lefts,
            counts,
            width=widths,
            bottom=bottom,
            align="edge",
            color=colours[tier],
            label=f"{tier.value} ({total:,})",
        )
        bottom = [b + c for b, c in zip(bottom, counts, strict=True)]
    unit = f" ({data.currency})" if data.currency else ""
    axes.set_xlabel(f"customer lifetime value{unit}")
    axes.set_ylabel("customers")
    axes.set_title(heading, parse_math=False)
    axes.legend(title="tier")
    return figure
