"""Analytics figures: the cohort retention heat map, the lifecycle funnel and the RFM map."""

from __future__ import annotations

from collections.abc import Iterable
from typing import TYPE_CHECKING, Final, Literal

import attrs

from crmcore._kernel._checks import type_name
from crmcore._kernel._fields import Checked
from crmcore.analytics import CohortMatrix
from crmcore.errors import InvalidType, ValidationError
from crmcore.lifecycle import Funnel
from crmcore.plots._common import (
    checked_title,
    masked,
    new_figure,
    of_type,
    title_text,
    whole,
)
from crmcore.segmentation import RfmScheme, RfmScore, RfmSegment, segment_grid

if TYPE_CHECKING:
    from matplotlib.figure import Figure

#: Most cohorts (rows) one retention heat map draws.
MAX_COHORTS: Final = 500
#: Most offsets (columns) one retention heat map draws.
MAX_OFFSETS: Final = 500
#: Most scores one RFM map reads.
MAX_RFM_SCORES: Final = 10_000_000
#: Cells annotated with their value when the heat map is at most this wide and tall.
_ANNOTATE: Final = 24


@attrs.frozen(slots=True)
class CohortHeatmap(Checked):
    """Retention rates by cohort and offset, ready for a heat map.

    Attributes:
        labels: the cohorts (``2026-01``), oldest first.
        sizes: customers in each cohort.
        offsets: the columns: periods after the cohort's first, 0, 1, ...
        rates: ``rates[i][k]``: the share of cohort ``i`` active ``k`` periods
            later (:attr:`crmcore.analytics.CohortMatrix.rates`); None where the
            cohort was not observed that long.
    """

    labels: tuple[str, ...]
    sizes: tuple[int, ...]
    offsets: tuple[int, ...]
    rates: tuple[tuple[float | None, ...], ...]


def cohort_heatmap(matrix: CohortMatrix, *, max_offsets: int = 24) -> CohortHeatmap:
    """The retention rates of a :func:`crmcore.analytics.cohort_retention` matrix, as a grid.

    Args:
        matrix: a :class:`~crmcore.analytics.CohortMatrix` of 1 to 500 cohorts.
        max_offsets: the columns kept, 1 to 500.

    >>> from datetime import datetime, timezone
    >>> from crmcore import Money
    >>> from crmcore.analytics import cohort_retention
    >>> t = lambda m: datetime(2026, m, 3, tzinfo=timezone.utc)
    >>> usd = Money("5", "USD")
    >>> orders = [("a", t(1), usd), ("b", t(1), usd), ("a", t(2), usd), ("c", t(2), usd)]
    >>> cohort_heatmap(cohort_retention(orders)).rates
    ((1.0, 0.5), (1.0, None))
    """
    checked = of_type(matrix, CohortMatrix, "$.matrix", "a CohortMatrix")
    width_limit = whole(max_offsets, "$.max_offsets", minimum=1, maximum=MAX_OFFSETS)
    whole(len(checked.cohorts), "$.matrix.cohorts", minimum=1, maximum=MAX_COHORTS)
    rates = checked.rates
    width = min(width_limit, max(len(row) for row in rates))
    grid = tuple(tuple(row[k] if k < len(row) else None for k in range(width)) for row in rates)
    return CohortHeatmap(
        labels=checked.labels, sizes=checked.sizes, offsets=tuple(range(width)), rates=grid
    )


def plot_cohort_retention(
    matrix: CohortMatrix, *, max_offsets: int = 24, title: str | None = None
) -> Figure:
    """:func:`cohort_heatmap` as a heat map (cohorts down, offsets across), on a new ``Figure``.

    Cells show their percentage when the map is at most 24 by 24.

    Raises:
        ValidationError: as :func:`cohort_heatmap`; matplotlib is not installed
            (``pip install 'crmcore[plot]'``).
    """
    title = checked_title(title)
    data = cohort_heatmap(matrix, max_offsets=max_offsets)
    heading = title_text(title, "Retention by cohort")
    figure = new_figure(
        max(5.0, 0.5 * len(data.offsets) + 3), max(3.0, 0.35 * len(data.labels) + 2)
    )
    axes = figure.add_subplot()
    image = axes.imshow(masked(data.rates), aspect="auto", cmap="Blues", vmin=0.0, vmax=1.0)
    figure.colorbar(image, ax=axes, label="share active")
    axes.set_xticks(range(len(data.offsets)), [f"+{k}" for k in data.offsets])
    axes.set_yticks(
        range(len(data.labels)),
        [f"{label} ({size:,})" for label, size in zip(data.labels, data.sizes, strict=True)],
    )
    if len(data.offsets) <= _ANNOTATE and len(data.labels) <= _ANNOTATE:
        for i, row in enumerate(data.rates):
            for k, rate in enumerate(row):
                if rate is not None:
                    colour = "white" if rate > 0.6 else "black"
                    axes.text(
                        k, i, f"{rate:.0%}", ha="center", va="center", color=colour, fontsize=8
                    )
    axes.set_xlabel("periods after the first purchase")
    axes.set_ylabel("cohort (customers)")
    axes.set_title(heading, parse_math=False)
    return figure


# --------------------------------------------------------------------------- funnel


@attrs.frozen(slots=True)
class FunnelChart(Checked):
    """The stages of a lifecycle funnel with their reach and conversion.

    Attributes:
        definition: the lifecycle's name.
        stages: the funnel's stages in order.
        reached: customers in each stage during the period.
        advanced: of those, customers who went on to a later stage.
        conversion: ``advanced / reached`` (None when nobody reached the stage,
            and for the last stage).
    """

    definition: str
    stages: tuple[str, ...]
    reached: tuple[int, ...]
    advanced: tuple[int, ...]
    conversion: tuple[float | None, ...]


def funnel_chart(funnel: Funnel) -> FunnelChart:
    """The steps of a :func:`crmcore.lifecycle.funnel` result, as columns.

    >>> from datetime import datetime, timezone
    >>> from crmcore import Customer, CustomerId, PersonName
    >>> from crmcore.lifecycle import RELATIONSHIP_LADDER, funnel
    >>> t0 = datetime(2026, 1, 5, tzinfo=timezone.utc)
    >>> ana = Customer.register(CustomerId("c-1"), name=PersonName("Ana"), at=t0)
    >>> ana = RELATIONSHIP_LADDER.fire(ana, "qualify", at=t0)
    >>> f = funnel(
    ...     [ana], RELATIONSHIP_LADDER, start=t0, end=datetime(2026, 2, 1, tzinfo=timezone.utc)
    ... )
    >>> chart = funnel_chart(f)
    >>> chart.stages[:2], chart.reached[:2], chart.conversion[:2]
    (('suspect', 'prospect'), (1, 1), (1.0, 0.0))
    """
    checked = of_type(funnel, Funnel, "$.funnel", "a Funnel")
    steps = checked.steps
    return FunnelChart(
        definition=checked.definition,
        stages=tuple(step.stage for step in steps),
        reached=tuple(step.reached for step in steps),
        advanced=tuple(step.advanced for step in steps),
        conversion=tuple(step.conversion for step in steps),
    )


def plot_funnel(funnel: Funnel, *, title: str | None = None) -> Figure:
    """:func:`funnel_chart` as horizontal bars, first stage on top, on a new ``Figure``.

    Each bar is labelled with its count and its conversion to later stages.

    Raises:
        InvalidType: ``funnel`` is not a Funnel.
        ValidationError: matplotlib is not installed (``pip install 'crmcore[plot]'``).
    """
    title = checked_title(title)
    data = funnel_chart(funnel)
    heading = title_text(title, f"Funnel of {data.definition}")
    figure = new_figure(7.0, max(3.0, 0.5 * len(data.stages) + 1.5))
    axes = figure.add_subplot()
    positions = list(range(len(data.stages)))
    bars = axes.barh(positions, data.reached, color="#42a5f5")
    notes = [
        f"{count:,}" + ("" if rate is None else f"  ({rate:.0%} on)")
        for count, rate in zip(data.reached, data.conversion, strict=True)
    ]
    axes.bar_label(bars, notes, padding=3)
    axes.set_yticks(positions, [stage.replace("_", " ") for stage in data.stages], parse_math=False)
    axes.invert_yaxis()
    axes.set_xlabel("customers")
    axes.set_xlim(0, max(max(data.reached, default=0), 1) * 1.3)
    axes.set_title(heading, parse_math=False)
    return figure


# --------------------------------------------------------------------------- RFM


@attrs.frozen(slots=True)
class RfmSegmentMap(Checked):
    """Customers on the R by F (or FM) grid of an RFM scheme, with each cell's segment.

    Attributes:
        scheme: the scheme.
        column_score: ``"f"`` (rf10) or ``"fm"`` (rfm11: ``(f + m + 1) // 2``,
            the score the scheme reads).
        recency: the rows' R scores, 5 (best) down to 1.
        columns: the columns' scores, 1 to 5.
        segments: ``segments[i][j]``: the segment of ``recency[i]`` and ``columns[j]``
            (:func:`crmcore.segmentation.segment_grid`).
        counts: customers in each cell.
        totals: customers in each segment of the scheme, in the scheme's order.
    """

    scheme: RfmScheme
    column_score: Literal["f", "fm"]
    recency: tuple[int, ...]
    columns: tuple[int, ...]
    segments: tuple[tuple[RfmSegment, ...], ...]
    counts: tuple[tuple[int, ...], ...]
    totals: tuple[tuple[RfmSegment, int], ...]


def rfm_segment_map(
    scores: Iterable[RfmScore], *, scheme: RfmScheme | str = RfmScheme.RF10
) -> RfmSegmentMap:
    """Customers counted on the scheme's score grid, each cell with its segment.

    Args:
        scores: :class:`~crmcore.segmentation.RfmScore` values (from
            :func:`crmcore.segmentation.score_rfm`), at most 10,000,000.
        scheme: ``"rf10"`` (rows R, columns F) or ``"rfm11"`` (columns FM).

    >>> from crmcore import Money
    >>> from crmcore.segmentation import RfmScore
    >>> usd = Money("10", "USD")
    >>> scores = [RfmScore("a", 1, 9, usd, 5, 5, 5), RfmScore("b", 90, 1, usd, 1, 1, 1)]
    >>> m = rfm_segment_map(scores)
    >>> m.counts[0][4], m.counts[4][0], m.segments[0][4].label
    (1, 1, 'Champions')
    """
    grid = segment_grid(scheme)
    chosen = RfmScheme(scheme.strip().lower())  # segment_grid checked it
    combined = chosen is RfmScheme.RFM11
    given: object = scores
    if isinstance(given, (str, bytes)) or not isinstance(given, Iterable):
        raise InvalidType(f"must be an iterable, not {type_name(given)}", path="$.scores")
    counts = {(r, c): 0 for r in range(1, 6) for c in range(1, 6)}
    # Each score is checked as it is read: junk stops the reading at its first item.
    for index, score in enumerate(given):
        if index == MAX_RFM_SCORES:
            raise ValidationError(
                f"must hold at most {MAX_RFM_SCORES:,} items", path="$.scores", code="too_many"
            )
        one = of_type(score, RfmScore, f"$.scores[{index}]", "an RfmScore")
        column = (one.f + one.m + 1) // 2 if combined else one.f
        counts[one.r, column] += 1
    recency = (5, 4, 3, 2, 1)
    columns = (1, 2, 3, 4, 5)
    totals = dict.fromkeys(chosen.segments, 0)
    for cell, number in counts.items():
        totals[grid[cell]] += number
    return RfmSegmentMap(
        scheme=chosen,
        column_score="fm" if combined else "f",
        recency=recency,
        columns=columns,
        segments=tuple(tuple(grid[r, c] for c in columns) for r in recency),
        counts=tuple(tuple(counts[r, c] for c in columns) for r in recency),
        totals=tuple(totals.items()),
    )


def plot_rfm_segments(
    scores: Iterable[RfmScore],
    *,
    scheme: RfmScheme | str = RfmScheme.RF10,
    title: str | None = None,
) -> Figure:
    """:func:`rfm_segment_map` as a coloured 5 by 5 grid, on a new ``Figure``.

    Each cell is coloured by its segment and shows the segment's name and the
    customers in the cell.

    Raises:
        ValidationError: as :func:`rfm_segment_map`; matplotlib is not
            installed (``pip install 'crmcore[plot]'``).
    """
    title = checked_title(title)
    data = rfm_segment_map(scores, scheme=scheme)
    heading = title_text(title, f"RFM segments ({data.scheme.value})")
    order = list(data.scheme.segments)
    figure = new_figure(8.0, 6.5)
    axes = figure.add_subplot()
    codes = [[order.index(segment) for segment in row] for row in data.segments]
    axes.imshow(codes, cmap="tab20", vmin=0, vmax=19, aspect="auto")
    for i, row in enumerate(data.segments):
        for j, segment in enumerate(row):
            text = f"{segment.label}\n{data.counts[i][j]:,}"
            axes.text(j, i, text, ha="center", va="center", fontsize=8)
    axes.set_xticks(range(5), [str(c) for c in data.columns])
    axes.set_yticks(range(5), [str(r) for r in data.recency])
    axes.set_xlabel(f"{data.column_score.upper()} score")
    axes.set_ylabel("R score")
    axes.set_title(heading, parse_math=False)
    return figure
