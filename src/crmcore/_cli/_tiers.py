"""CLV tiers from the ``--tiers`` option: a number of quantile tiers, or named percent bands.

``--tiers 4`` makes four quantile tiers named ``1`` (lowest CLV) to ``4``
(highest) with :func:`crmcore.segmentation.quantile_scores`.
``--tiers low:20,medium:60,high:20`` (the default) names bands from the lowest
CLV up, each with its percent of customers; the three bands ``low``,
``medium``, ``high`` are exactly :func:`crmcore.segmentation.tiers_by_percentile`,
any other bands are percentiles from ``quantile_scores(k=100)``: a customer whose
tie group's middle rank lies at percentile ``p`` falls in the first band whose
cumulative percent exceeds ``p``.
"""

from __future__ import annotations

import re
from collections.abc import Hashable, Mapping
from typing import Final, TypeVar

import attrs

from crmcore.segmentation import quantile_scores, tiers_by_percentile

#: The default: the low, medium and high tiers of crmcore.segmentation.
DEFAULT_TIERS: Final = "low:20,medium:60,high:20"
#: Most tiers.
MAX_TIERS: Final = 100
_NAME: Final = re.compile(r"[A-Za-z0-9_.-]{1,32}")
_WHOLE: Final = re.compile(r"[0-9]{1,9}")
_LIBRARY: Final = ("low", "medium", "high")
K = TypeVar("K", bound=Hashable)


@attrs.frozen
class TierSpec:
    """Tier names from lowest to highest CLV and their percents (None: equal quantiles)."""

    names: tuple[str, ...]
    percents: tuple[int, ...] | None


def parse_tiers(text: str) -> TierSpec:
    """Read ``--tiers``: ``N`` (2 to 100) or ``name:percent,...`` adding up to 100.

    >>> parse_tiers("3")
    TierSpec(names=('1', '2', '3'), percents=None)
    >>> parse_tiers("low:20,medium:60,high:20")
    TierSpec(names=('low', 'medium', 'high'), percents=(20, 60, 20))

    Raises:
        ValueError: anything else, with the rule in the message.
    """
    text = text.strip()
    if _WHOLE.fullmatch(text):
        count = int(text)
        if not 2 <= count <= MAX_TIERS:
            raise ValueError(f"a number of tiers must be from 2 to {MAX_TIERS}")
        return TierSpec(tuple(str(n) for n in range(1, count + 1)), None)
    names: list[str] = []
    percents: list[int] = []
    for part in text.split(","):
        name, colon, percent = part.strip().partition(":")
        if not colon or _NAME.fullmatch(name) is None or not _WHOLE.fullmatch(percent):
            raise ValueError(
                "must be a number of tiers or name:percent pairs, lowest CLV first "
                "(names of letters, digits, '_', '.', '-'; whole percents)"
            )
        if name in names:
            raise ValueError(f"tier '{name}' is named twice")
        if not 1 <= int(percent) <= 100:
            raise ValueError("each percent must be from 1 to 100")
        names.append(name)
        percents.append(int(percent))
    if not 2 <= len(names) <= MAX_TIERS:
        raise ValueError(f"must name from 2 to {MAX_TIERS} tiers")
    if sum(percents) != 100:
        raise ValueError("the percents must add up to 100")
    return TierSpec(tuple(names), tuple(percents))


def assign_tiers(spec: TierSpec, values: Mapping[K, float]) -> dict[K, str]:
    """Each customer's tier name by its CLV (an empty mapping gives an empty one)."""
    if not values:
        return {}
    if spec.percents is None:
        scores = quantile_scores(values, k=len(spec.names))
        return {key: spec.names[score - 1] for key, score in scores.items()}
    if spec.names == _LIBRARY:
        tiers = tiers_by_percentile(
            values, low_percent=spec.percents[0], high_percent=spec.percents[2]
        )
        return {key: tier.value for key, tier in tiers.items()}
    # Percentile buckets 1..100: bucket s holds places [s - 1, s) percent, so a customer
    # belongs to the first band whose cumulative percent c has s <= c.
    bounds: list[int] = []
    total = 0
    for percent in spec.percents:
        total += percent
        bounds.append(total)
    buckets = quantile_scores(values, k=100)
    band_of = {}
    band = 0
    for bucket in range(1, 101):
        while bucket > bounds[band]:
            band += 1
        band_of[bucket] = spec.names[band]
    return {key: band_of[bucket] for key, bucket in buckets.items()}
