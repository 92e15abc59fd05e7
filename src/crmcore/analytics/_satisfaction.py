"""Satisfaction: Net Promoter Score and customer satisfaction (CSAT) from plain scores.

Scores are ints, given as such or as objects with a ``score`` attribute
(feedback records). An empty set of responses has no score (``None``).
"""

from __future__ import annotations

from collections.abc import Iterable

import attrs

from crmcore._kernel._checks import type_name
from crmcore._kernel._fields import Checked
from crmcore._kernel._numbers import Tabular
from crmcore._kernel._records import require_iterable
from crmcore.errors import InvalidType, ValidationError

_ABSENT = object()


def _scores(values: Iterable[object], low: int, high: int) -> list[int]:
    out: list[int] = []
    for index, item in enumerate(require_iterable(values, "$.scores")):
        path = f"$.scores[{index}]"
        score = item if isinstance(item, int) else getattr(item, "score", _ABSENT)
        if score is _ABSENT:
            raise InvalidType(
                f"must be an int score or have a score attribute, not {type_name(item)}",
                path=path,
            )
        if isinstance(score, bool) or not isinstance(score, int):
            raise InvalidType(f"must be an int score, not {type_name(score)}", path=path)
        if not low <= score <= high:
            raise ValidationError(
                f"must be a score from {low} to {high}", path=path, code="out_of_range"
            )
        out.append(score)
    return out


@attrs.frozen(slots=True)
class NpsSummary(Checked, Tabular):
    """Net Promoter Score responses, counted.

    Attributes:
        responses: how many answered.
        promoters: answered 9 or 10.
        passives: answered 7 or 8.
        detractors: answered 0 to 6.
        score: ``100 * (promoters - detractors) / responses``, from -100 to 100
            (``None`` without responses).
    """

    responses: int
    promoters: int
    passives: int
    detractors: int
    score: float | None


def nps(scores: Iterable[object]) -> NpsSummary:
    """The Net Promoter Score of 0-10 "how likely are you to recommend us" answers.

    Promoters answer 9-10, detractors 0-6 (Reichheld, "The One Number You
    Need to Grow", Harvard Business Review, December 2003).

    >>> nps([10, 9, 9, 8, 7, 6, 3, 10, 10, 0]).score
    20.0
    >>> nps([]).score is None
    True
    """
    values = _scores(scores, 0, 10)
    promoters = sum(1 for v in values if v >= 9)
    detractors = sum(1 for v in values if v <= 6)
    total = len(values)
    return NpsSummary(
        responses=total,
        promoters=promoters,
        passives=total - promoters - detractors,
        detractors=detractors,
        score=100 * (promoters - detractors) / total if total else None,
    )


@attrs.frozen(slots=True)
class CsatSummary(Checked, Tabular):
    """Customer satisfaction responses, counted.

    Attributes:
        responses: how many answered.
        satisfied: answered ``satisfied_from`` or more.
        scale: the highest score of the scale (5 for a 1-5 scale).
        score: the percent satisfied (``None`` without responses).
        mean: the mean answer (``None`` without responses).
    """

    responses: int
    satisfied: int
    scale: int
    score: float | None
    mean: float | None


def csat(
    scores: Iterable[object], *, scale: int = 5, satisfied_from: int | None = None
) -> CsatSummary:
    """CSAT: the percent of answers on a 1..``scale`` scale at ``satisfied_from`` or above.

    By default the top two answers count as satisfied (4 and 5 on a 1-5 scale).

    >>> summary = csat([5, 4, 3, 5, 1])
    >>> summary.score, summary.mean
    (60.0, 3.6)
    """
    if isinstance(scale, bool) or not isinstance(scale, int):
        raise InvalidType(f"must be an int, not {type_name(scale)}", path="$.scale")
    if not 2 <= scale <= 100:
        raise ValidationError("must be from 2 to 100", path="$.scale", code="out_of_range")
    threshold = scale - 1 if satisfied_from is None else satisfied_from
    if isinstance(threshold, bool) or not isinstance(threshold, int):
        raise InvalidType(f"must be an int, not {type_name(threshold)}", path="$.satisfied_from")
    if not 1 <= threshold <= scale:
        raise ValidationError(
            "must be a score on the scale", path="$.satisfied_from", code="out_of_range"
        )
    values = _scores(scores, 1, scale)
    total = len(values)
    satisfied = sum(1 for v in values if v >= threshold)
    return CsatSummary(
        responses=total,
        satisfied=satisfied,
        scale=scale,
        score=100 * satisfied / total if total else None,
        mean=sum(values) / total if total else None,
    )
