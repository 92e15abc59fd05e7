"""Tests for crmcore.scoring rule-based scoring."""

from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from crmcore.customers import ContactPoint, PersonName
from crmcore.errors import ValidationError
from crmcore.sales import BantScore, Lead, LeadId
from crmcore.scoring import (
    EngagementEvent,
    ScoringModel,
    ScoringRule,
    decay_factor,
    lead_facts,
    score_lead,
)
from crmcore.segmentation import field, not_
from crmcore.serialization import from_dict, to_dict
from crmcore.testing.strategies._scoring import EVENT_TYPES, scoring_models

AT = datetime(2026, 5, 1, 12, tzinfo=UTC)
FACTS = st.fixed_dictionaries(
    {
        "industry": st.sampled_from(["retail", "software", "health"]),
        "employees": st.integers(0, 2000),
        "referred": st.booleans(),
    }
)
EVENTS = st.lists(
    st.builds(
        EngagementEvent,
        st.sampled_from(EVENT_TYPES),
        st.integers(0, 200 * 24).map(lambda h: AT - timedelta(hours=h)),
    ),
    max_size=6,
)


def with_points(model: ScoringModel, index: int, points: Decimal) -> ScoringModel:
    rules = list(model.rules)
    old = rules[index]
    rules[index] = ScoringRule(
        old.name,
        old.condition,
        points,
        kind=old.kind,
        half_life_days=old.half_life_days,
        cap=old.cap,
    )
    return ScoringModel(
        rules,
        fit_cap=model.fit_cap,
        engagement_cap=model.engagement_cap,
        grade_a=model.grade_a,
        grade_b=model.grade_b,
        grade_c=model.grade_c,
        hot=model.hot,
        warm=model.warm,
    )


@given(scoring_models(), FACTS, EVENTS)
def test_scores_are_deterministic_and_round_trip(model, facts, events):
    """The same inputs give the same score, also from a model read back from its document."""
    first = score_lead(model, facts, at=AT, events=events)
    back = from_dict(ScoringModel, to_dict(model))
    assert back == model
    assert first == score_lead(back, dict(facts), at=AT, events=list(events))
    assert first.total == first.fit + first.engagement


@given(scoring_models(), FACTS, EVENTS, st.data())
def test_raising_a_positive_rule_never_lowers_the_score(model, facts, events, data):
    """Monotone in each positive rule: more points never lower any score or grade."""
    positive = [i for i, r in enumerate(model.rules) if r.points > 0]
    if not positive:
        return
    index = data.draw(st.sampled_from(positive))
    more = model.rules[index].points + data.draw(st.integers(1, 100))
    before = score_lead(model, facts, at=AT, events=events)
    after = score_lead(with_points(model, index, more), facts, at=AT, events=events)
    assert before.fit <= after.fit
    assert before.engagement <= after.engagement
    assert before.total <= after.total
    assert before.grade.value >= after.grade.value  # "A" < "B": a better grade sorts first


@given(scoring_models(min_points=0), FACTS, EVENTS, st.sampled_from(EVENT_TYPES))
def test_a_matching_event_never_lowers_a_positive_model(model, facts, events, kind):
    """With non-negative rules, one more event (matching or not) never lowers the score."""
    before = score_lead(model, facts, at=AT, events=events)
    after = score_lead(model, facts, at=AT, events=[*events, EngagementEvent(kind, AT)])
    assert before.total <= after.total


def test_decay_halves_per_half_life_and_caps_bound_the_rule():
    """Decay and caps, computed by hand."""
    rule = ScoringRule(
        "open", field("type") == "email_open", 8, kind="engagement", half_life_days=10
    )
    model = ScoringModel([rule])
    events = [
        EngagementEvent("email_open", AT),  # 8
        EngagementEvent("email_open", AT - timedelta(days=10)),  # 4
        EngagementEvent("email_open", AT - timedelta(days=20)),  # 2
        EngagementEvent("email_open", AT + timedelta(days=1)),  # future: left out
        EngagementEvent("webinar", AT),  # another type
    ]
    assert Decimal(14) == score_lead(model, {}, at=AT, events=events).engagement
    capped = ScoringModel([ScoringRule("open", rule.condition, 8, kind="engagement", cap=20)])
    score = score_lead(capped, {}, at=AT, events=events[:3])
    assert (Decimal(20), True, 3) == (
        score.engagement,
        score.contributions[0].capped,
        score.contributions[0].matches,
    )
    negative = ScoringModel([ScoringRule("bounce", rule.condition, -8, kind="engagement", cap=10)])
    assert Decimal(-10) == score_lead(negative, {}, at=AT, events=events[:3]).engagement
    assert Decimal("0.25") == decay_factor(86_400 * 20, Decimal(10))
    assert Decimal(1) == decay_factor(0, Decimal(10))


def test_kind_caps_grades_and_temperatures():
    """Kind caps bound the totals; thresholds pick grades and temperatures (inclusive)."""
    model = ScoringModel(
        [
            ScoringRule("retail", field("industry") == "retail", 50),
            ScoringRule("big", field("employees") >= 100, 30),
            ScoringRule("student", field("title").contains("student"), -25),
            ScoringRule("web", field("type") == "webinar", 30, kind="engagement"),
        ],
        fit_cap=70,
        grade_a=70,
        grade_b=40,
        grade_c=10,
        hot=60,
        warm=30,
    )
    big_retail = {"industry": "retail", "employees": 500, "title": "CTO"}
    score = score_lead(model, big_retail, at=AT, events=[EngagementEvent("webinar", AT)] * 2)
    assert (Decimal(70), Decimal(60), "A", "hot") == (
        score.fit,
        score.engagement,
        score.grade.value,
        score.temperature.value,
    )
    assert ["web", "retail", "big"] == [c.rule for c in score.contributions]
    student = score_lead(model, {**big_retail, "title": "student"}, at=AT, events=[])
    assert ("B", "cold", Decimal(55)) == (
        student.grade.value,
        student.temperature.value,
        student.fit,
    )
    low = score_lead(model, {"industry": "software", "employees": 1}, at=AT)
    assert ("D", Decimal(0)) == (low.grade.value, low.total)
    assert ["C", "D"] == [model.grade(Decimal(10)).value, model.grade(Decimal("9.99")).value]
    assert "warm" == model.temperature(Decimal(30)).value


@pytest.mark.parametrize(
    ("build", "path", "code"),
    [
        (
            lambda: ScoringRule("x", field("a") == 1, 1, half_life_days=3),
            "$.half_life_days",
            "fit_only_once",
        ),
        (
            lambda: ScoringRule("x", field("a") == 1, 1, kind="engagement", cap=0),
            "$.cap",
            "positive",
        ),
        (lambda: ScoringRule("x", field("a") == 1, 1, kind="other"), "$.kind", "choice"),
        (lambda: ScoringRule(" ", field("a") == 1, 1), "$.name", "length"),
        (lambda: ScoringRule("x", field("a") == 1, 10**7), "$.points", "too_large"),
        (
            lambda: ScoringRule("x", {"field": "a", "op": "nope", "kind": "text", "value": "b"}, 1),
            "$.condition.op",
            "operator",
        ),
        (
            lambda: ScoringModel([ScoringRule("x", field("a") == 1, 1)] * 2),
            "$.rules[1].name",
            "duplicate",
        ),
        (lambda: ScoringModel([], grade_a=10, grade_b=20), "$.grade_b", "order"),
        (lambda: ScoringModel([], hot=10, warm=10), "$.warm", "order"),
    ],
)
def test_malformed_rules_and_models_are_refused(build, path, code):
    """Every refusal names its path and a specific code."""
    with pytest.raises(ValidationError) as info:
        build()
    assert (path, code) == (info.value.path, info.value.code)


def test_too_deep_conditions_are_refused_with_their_path():
    """A condition deeper than the scoring limit, built or stored, is refused."""
    deep = field("a") == 1
    for _ in range(12):
        deep = not_(deep)
    with pytest.raises(ValidationError) as info:
        ScoringRule("deep", deep, 1)
    assert ("$.condition", "too_deep") == (info.value.path, info.value.code)
    document = to_dict(ScoringModel([ScoringRule("flat", field("a") == 1, 1)]))
    nested: object = document["rules"][0]["condition"]
    for _ in range(40):
        nested = {"not": nested}
    document["rules"][0]["condition"] = nested
    with pytest.raises(ValidationError) as info:
        from_dict(ScoringModel, document)
    assert info.value.path.startswith("$.rules[0].condition")
    assert "too_deep" == info.value.code


def test_bad_facts_name_the_fact():
    """A fact of another kind than the rule compares is an error naming it; bad calls too."""
    model = ScoringModel([ScoringRule("big", field("employees") >= 100, 5)])
    with pytest.raises(ValidationError) as info:
        score_lead(model, {"employees": "many"}, at=AT)
    assert info.value.path.startswith("$.facts")
    engagement = ScoringModel([ScoringRule("v", field("value") >= 3, 5, kind="engagement")])
    assert (
        Decimal(5)
        == score_lead(engagement, {}, at=AT, events=[EngagementEvent("x", AT, value=4)]).total
    )
    for call, path in [
        (lambda: score_lead("model", {}, at=AT), "$.model"),
        (lambda: score_lead(model, [], at=AT), "$.facts"),
        (lambda: score_lead(model, {}, at=AT.replace(tzinfo=None)), "$.at"),
        (lambda: score_lead(model, {}, at=AT, events=["e"]), "$.events[0]"),
        (lambda: score_lead(model, {}, at=AT, events="e"), "$.events"),
        (lambda: ScoringModel("rules"), "$.rules"),
        (lambda: ScoringModel([1]), "$.rules[0]"),
        (lambda: ScoringRule("x", "rule", 1), "$.condition"),
        (lambda: ScoringRule(3, field("a") == 1, 1), "$.name"),
        (lambda: ScoringRule("x", field("a") == 1, 1, kind=3), "$.kind"),
        (lambda: EngagementEvent("", AT), "$.type"),
        (lambda: EngagementEvent(3, AT), "$.type"),
        (lambda: EngagementEvent("x", AT, channel=3), "$.channel"),
        (lambda: EngagementEvent("x", AT, channel="c" * 201), "$.channel"),
        (
            lambda: ScoringRule("x", field("a") == 1, 1, kind="engagement", half_life_days=10**5),
            "$.half_life_days",
        ),
    ]:
        with pytest.raises(ValidationError) as info:
            call()
        assert path == info.value.path


def test_time_relative_conditions_use_the_scoring_time():
    """A window condition is evaluated at ``at``."""
    model = ScoringModel([ScoringRule("recent", field("created_at").within_last(days=30), 25)])
    assert Decimal(25) == score_lead(model, {"created_at": AT - timedelta(days=3)}, at=AT).fit
    assert Decimal(0) == score_lead(model, {"created_at": AT - timedelta(days=60)}, at=AT).fit


def test_lead_facts_read_a_lead_and_score_it():
    """lead_facts gives the documented keys, without personal data."""
    lead = Lead.capture(
        LeadId("l-9"),
        name=PersonName("Budi"),
        source="referral",
        at=AT - timedelta(days=10),
        contact_points=[ContactPoint("email", "budi@example.com")],
    )
    lead = lead.qualify(at=AT - timedelta(days=5), score=BantScore(True, True, False, True))
    facts = lead_facts(lead, at=AT)
    assert (3, True, False, 10, "qualified") == (
        facts["bant_score"],
        facts["bant_budget"],
        facts["bant_need"],
        facts["age_days"],
        facts["status"],
    )
    assert "Budi" not in repr(facts)
    assert "budi@example.com" not in repr(facts)
    model = ScoringModel([ScoringRule("bant", field("bant_score") >= 3, 40)])
    assert "B" == score_lead(model, facts, at=AT).grade.value
    bare = lead_facts(Lead.capture(LeadId("l-8"), name=PersonName("X"), source="web", at=AT), at=AT)
    assert bare["bant_score"] is None
    with pytest.raises(ValidationError):
        lead_facts("lead", at=AT)
