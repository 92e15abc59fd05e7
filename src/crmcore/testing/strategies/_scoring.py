"""Strategies for lead scoring: scoring rules and scoring models (valid by construction)."""

from __future__ import annotations

from decimal import Decimal

from hypothesis import strategies as st

from crmcore.scoring import RuleKind, ScoringModel, ScoringRule
from crmcore.segmentation import Rule, field

#: The facts the drawn fit rules read, and the event types the engagement rules read.
FIT_FACTS = ("industry", "employees", "referred")
EVENT_TYPES = ("email_open", "email_click", "webinar", "pricing_page")


def _fit_conditions() -> st.SearchStrategy[Rule]:
    return st.one_of(
        st.sampled_from(["retail", "software", "health"]).map(lambda v: field("industry") == v),
        st.integers(0, 1000).map(lambda v: field("employees") >= v),
        st.just(field("referred").is_true()),
    )


def _event_conditions() -> st.SearchStrategy[Rule]:
    return st.sampled_from(EVENT_TYPES).map(lambda v: field("type") == v)


@st.composite
def _rule(
    draw: st.DrawFn,
    name: str,
    *,
    kinds: tuple[RuleKind, ...],
    min_points: int,
    max_points: int,
    decay: bool,
    caps: bool,
) -> ScoringRule:
    kind = draw(st.sampled_from(kinds))
    points = draw(st.integers(min_points, max_points))
    if kind is RuleKind.FIT:
        return ScoringRule(name, draw(_fit_conditions()), points, kind=kind)
    half_life = draw(st.none() | st.integers(1, 90)) if decay else None
    cap = draw(st.none() | st.integers(1, 200)) if caps else None
    return ScoringRule(
        name, draw(_event_conditions()), points, kind=kind, half_life_days=half_life, cap=cap
    )


def scoring_rules(
    *,
    name: str | None = None,
    kinds: tuple[str, ...] = ("fit", "engagement"),
    min_points: int = -50,
    max_points: int = 50,
    decay: bool = True,
    caps: bool = True,
) -> st.SearchStrategy[ScoringRule]:
    """Scoring rules over :data:`FIT_FACTS` (fit) or event types (engagement).

    ``min_points``/``max_points`` bound the (integer) points; ``decay`` and
    ``caps`` allow half-lives and caps on engagement rules.
    """
    chosen = tuple(RuleKind(k) for k in kinds)
    names = st.just(name) if name is not None else st.sampled_from(["r"])
    return names.flatmap(
        lambda n: _rule(
            n, kinds=chosen, min_points=min_points, max_points=max_points, decay=decay, caps=caps
        )
    )


@st.composite
def _model(
    draw: st.DrawFn,
    *,
    max_rules: int,
    min_points: int,
    max_points: int,
    kind_caps: bool,
) -> ScoringModel:
    count = draw(st.integers(0, max_rules))
    rules = [
        draw(scoring_rules(name=f"rule-{i}", min_points=min_points, max_points=max_points))
        for i in range(count)
    ]
    c = draw(st.integers(0, 40))
    b = c + draw(st.integers(1, 40))
    a = b + draw(st.integers(1, 40))
    warm = draw(st.integers(0, 40))
    hot = warm + draw(st.integers(1, 60))
    cap = st.none() | st.integers(1, 300).map(Decimal) if kind_caps else st.none()
    return ScoringModel(
        rules,
        fit_cap=draw(cap),
        engagement_cap=draw(cap),
        grade_a=a,
        grade_b=b,
        grade_c=c,
        hot=hot,
        warm=warm,
    )


def scoring_models(
    *,
    max_rules: int = 6,
    min_points: int = -50,
    max_points: int = 50,
    kind_caps: bool = True,
) -> st.SearchStrategy[ScoringModel]:
    """Scoring models of up to ``max_rules`` rules with valid thresholds and caps."""
    return _model(
        max_rules=max_rules, min_points=min_points, max_points=max_points, kind_caps=kind_caps
    )
