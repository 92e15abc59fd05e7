"""Tests for `crmcore.feedback`: survey scores, reviews and response plans."""

from datetime import UTC, datetime, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from crmcore import CustomerId, DomainEvent, InvalidType, ValidationError
from crmcore.commerce import OrderId
from crmcore.customers import ContactPoint, OrganizationName, PersonName
from crmcore.feedback import (
    CesResponse,
    CsatResponse,
    FeedbackId,
    NpsBreakdown,
    NpsCategory,
    NpsResponse,
    ResponseGuideline,
    ResponsePlan,
    ResponseStep,
    Review,
    ReviewAnswered,
    ReviewEvent,
    ReviewId,
    ReviewReceived,
    SurveyAnswered,
    SurveyEvent,
    SurveyKind,
    SurveyResponse,
    csat_score,
    customer_effort_score,
    net_promoter_score,
    nps_breakdown,
    nps_category,
    response_plan,
)
from crmcore.interactions import timeline
from crmcore.serialization import from_dict, to_dict
from crmcore.service import CaseId
from crmcore.testing.strategies import reviews, survey_responses

T0 = datetime(2026, 4, 1, 10, 0, tzinfo=UTC)
ANA = CustomerId("c-ana")
CARE = ContactPoint("email", "care@shop.example")


def answer(cls, score: int, n: int = 0, at: datetime = T0, **options):
    return cls.record(FeedbackId(f"f-{n}"), customer_id=ANA, score=score, at=at, **options)


def review(rating: int = 1, **options) -> Review:
    arguments = {
        "platform": "Google Maps",
        "rating": rating,
        "at": T0,
        "text": "Waited forty minutes. Ana Putri, table 4.",
        "author_name": "Ana P.",
        "url": "https://maps.example/review/123",
        "customer_id": ANA,
    }
    return Review.receive(ReviewId("r-1"), **(arguments | options))


# -- survey responses -----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("cls", "low", "high"), [(CsatResponse, 1, 5), (NpsResponse, 0, 10), (CesResponse, 1, 7)]
)
def test_each_survey_has_its_scale(cls, low, high):
    """Scores inside the scale are kept; one step outside is refused at $.score."""
    assert (low, high) == (cls.min_score, cls.max_score)
    assert low == answer(cls, low).score
    assert high == answer(cls, high).score
    for bad in (low - 1, high + 1):
        with pytest.raises(ValidationError) as info:
            answer(cls, bad)
        assert ("$.score", "score_range") == (info.value.path, info.value.code)
        assert str(bad) not in info.value.rule.replace(str(low), "").replace(str(high), "")


@pytest.mark.parametrize("score", [4.0, "4", True, None])
def test_scores_must_be_integers(score):
    """Floats, strings, bools and None are wrong types."""
    with pytest.raises(InvalidType) as info:
        answer(CsatResponse, score)
    assert "$.score" == info.value.path


def test_recording_an_answer_records_an_event_without_the_comment():
    """record() gives version 0 and SurveyAnswered with the score and links."""
    response = answer(
        CsatResponse, 4, case_id=CaseId("k-1"), order_id=OrderId("o-1"), comment="Rina was kind"
    )
    (event,) = response.pending_events
    assert isinstance(event, SurveyAnswered)
    assert (SurveyKind.CSAT, 4, CaseId("k-1"), OrderId("o-1")) == (
        event.survey,
        event.score,
        event.case_id,
        event.order_id,
    )
    assert "Rina" not in repr(event)
    assert "Rina" not in repr(response)
    assert response.satisfied
    assert 0 == response.version
    assert (T0, T0, T0, T0, 1) == (
        response.created_at,
        response.updated_at,
        response.responded_at,
        response.occurred_at,
        response.sequence,
    )
    assert "comment" not in to_dict(event)


@pytest.mark.parametrize("cls", [CsatResponse, NpsResponse, CesResponse])
def test_every_survey_shares_one_aggregate_kind(cls):
    """CSAT, NPS and CES answers share the kind survey_response and one id space."""
    response = answer(cls, 5, 7, actor="survey-tool", correlation_id="batch-9")
    (event,) = response.pending_events
    assert "survey_response" == cls.aggregate_kind == event.aggregate_kind
    assert isinstance(event, SurveyEvent)
    assert ("survey_response:f-7#1", 1, "f-7") == (
        event.event_id,
        event.sequence,
        event.aggregate_id,
    )
    assert ("survey-tool", "batch-9", None) == (
        event.actor,
        event.correlation_id,
        event.causation_id,
    )
    assert (T0, FeedbackId("f-7"), ANA, cls.survey) == (
        event.occurred_at,
        event.response_id,
        event.customer_id,
        event.survey,
    )


def test_an_unknown_envelope_keyword_is_refused():
    """record() takes only actor, correlation_id and causation_id as extra keywords."""
    with pytest.raises(InvalidType) as info:
        answer(CsatResponse, 4, source="email")
    assert ("$", "unknown_keyword") == (info.value.path, info.value.code)


def test_naive_answer_time_is_refused():
    """A naive time is refused at $.at."""
    with pytest.raises(ValidationError) as info:
        NpsResponse.record(
            FeedbackId("f-1"),
            customer_id=ANA,
            score=9,
            at=datetime(2026, 4, 1, 10),  # noqa: DTZ001
        )
    assert ("$.at", "naive_datetime") == (info.value.path, info.value.code)


def test_the_base_class_is_not_a_survey():
    """SurveyResponse itself cannot be built."""
    with pytest.raises(InvalidType):
        SurveyResponse(id=FeedbackId("f"), customer_id=ANA, score=3, created_at=T0)


@pytest.mark.parametrize(
    ("score", "category"),
    [
        (0, "detractor"),
        (6, "detractor"),
        (7, "passive"),
        (8, "passive"),
        (9, "promoter"),
        (10, "promoter"),
    ],
)
def test_nps_categories(score, category):
    """0-6 detractor, 7-8 passive, 9-10 promoter."""
    assert NpsCategory(category) == nps_category(score)
    assert NpsCategory(category) == answer(NpsResponse, score).category


def test_survey_answers_on_the_timeline():
    """Each answer is one timeline fact of its survey's kind."""
    hour = timedelta(hours=1)
    facts = [
        answer(CesResponse, 6, 3, at=T0 + 2 * hour),
        answer(CsatResponse, 5, 1),
        answer(NpsResponse, 3, 2, at=T0 + hour),
    ]
    entries = timeline(ANA, facts)
    assert [("csat", "f-1"), ("nps", "f-2"), ("ces", "f-3")] == [(e.kind, e.key) for e in entries]
    assert "NPS 3/10 (detractor)" == entries[1].summary


# -- aggregates -------------------------------------------------------------------------------


def test_aggregates_of_nothing_are_none():
    """No answers give None, never a ZeroDivisionError."""
    assert csat_score([]) is None
    assert net_promoter_score([]) is None
    assert customer_effort_score([]) is None
    assert nps_breakdown([]).score is None
    assert 0 == nps_breakdown(iter(())).total


def test_aggregates_of_known_answers():
    """Worked examples: CSAT share of 4-5, NPS promoters minus detractors, CES mean."""
    assert 60.0 == csat_score([5, 4, 4, 3, 1])
    assert NpsBreakdown(3, 1, 1) == nps_breakdown([10, 9, 9, 8, 0])
    assert 40.0 == net_promoter_score([10, 9, 9, 8, 0])
    assert -100.0 == net_promoter_score([0, 6])
    assert 4.5 == customer_effort_score([7, 2])


def test_aggregates_accept_records_and_scores():
    """Response records and plain scores can be mixed."""
    assert 50.0 == csat_score([answer(CsatResponse, 5), 2])


def test_aggregates_refuse_wrong_kinds_and_ranges():
    """A response of another survey or a score off the scale names its index."""
    with pytest.raises(InvalidType) as info:
        csat_score([5, answer(NpsResponse, 9)])
    assert "$.responses[1]" == info.value.path
    with pytest.raises(ValidationError) as info2:
        net_promoter_score([9, 11])
    assert "$.responses[1]" == info2.value.path
    with pytest.raises(InvalidType) as info3:
        customer_effort_score(7)
    assert "$.responses" == info3.value.path


@given(st.lists(st.integers(0, 10)))
def test_nps_is_the_share_of_promoters_minus_detractors(scores):
    """NPS lies in [-100, 100] and equals 100 * (promoters - detractors) / answers."""
    result = net_promoter_score(scores)
    if not scores:
        assert result is None
        return
    promoters = len([s for s in scores if s in {9, 10}])
    detractors = len([s for s in scores if s <= 6])
    assert pytest.approx(100 * (promoters - detractors) / len(scores)) == result
    assert -100 <= result <= 100


@given(st.lists(st.integers(1, 5), min_size=1), st.lists(st.integers(1, 7), min_size=1))
def test_csat_and_ces_stay_on_their_scales(csat, ces):
    """CSAT is a percentage; CES lies between the lowest and the highest answer."""
    assert 0 <= csat_score(csat) <= 100
    assert min(ces) <= customer_effort_score(ces) <= max(ces)


# -- reviews ----------------------------------------------------------------------------------


def test_receiving_a_review():
    """receive() normalizes the platform and records ReviewReceived without text or author."""
    received = review()
    assert "google maps" == received.platform
    (event,) = received.pending_events
    assert isinstance(event, ReviewReceived)
    assert isinstance(event, ReviewEvent)
    assert (1, ANA) == (event.rating, event.customer_id)
    assert (T0, T0, T0, T0) == (
        received.created_at,
        received.updated_at,
        received.published_at,
        received.occurred_at,
    )
    for secret in ("Ana", "forty", "maps.example"):
        assert secret not in repr(received)
        assert secret not in repr(event)
        assert secret not in repr(to_dict(event))
    assert {"text", "author_name", "url", "platform"}.isdisjoint(to_dict(event))


@pytest.mark.parametrize(
    ("options", "path"),
    [
        ({"rating": 0}, "$.rating"),
        ({"rating": 6}, "$.rating"),
        ({"url": "javascript:alert(1)"}, "$.url"),
        ({"url": "maps.example/r/1"}, "$.url"),
        ({"platform": ""}, "$.platform"),
        ({"customer_id": "c-ana"}, "$.customer_id"),
    ],
)
def test_bad_reviews_are_refused(options, path):
    """Ratings off 1-5, non-http URLs and other bad fields name their path."""
    with pytest.raises(ValidationError) as info:
        review(**options)
    assert path == info.value.path


def test_negative_threshold_is_configurable():
    """Two stars or fewer is negative by default; the threshold can move."""
    assert review(2).is_negative()
    assert not review(3).is_negative()
    assert review(3).is_negative(at_most=3)
    with pytest.raises(ValidationError):
        review(3).is_negative(at_most=5)


def test_answering_a_review_once():
    """answer() records ReviewAnswered once; an early answer is refused."""
    answered = review().answer(at=T0 + timedelta(hours=2))
    assert answered.answered
    assert isinstance(answered.pending_events[-1], ReviewAnswered)
    assert answered is answered.answer(at=T0 + timedelta(hours=3))
    with pytest.raises(ValidationError) as info:
        review().answer(at=T0 - timedelta(hours=1))
    assert ("$.at", "time_backwards") == (info.value.path, info.value.code)


def test_an_answer_dated_before_the_last_change_is_refused_and_changes_nothing():
    """Times never go backwards: once answered, an answer dated before that answer is refused."""
    later = T0 + timedelta(hours=2)
    answered = review().answer(at=later)
    with pytest.raises(ValidationError) as info:
        answered.answer(at=later - timedelta(minutes=1))
    assert ("$.at", "time_backwards") == (info.value.path, info.value.code)
    assert (later, later, 2) == (answered.answered_at, answered.updated_at, answered.sequence)
    assert 2 == len(answered.pending_events)


def test_review_events_carry_the_envelope():
    """Events are numbered 1..n with derived ids, and carry the caller's envelope values."""
    later = T0 + timedelta(hours=2)
    received = review(actor="importer", correlation_id="sync-3")
    answered = received.answer(at=later, actor="agent-7", causation_id="msg-41")
    first, second = answered.pending_events
    assert ["review:r-1#1", "review:r-1#2"] == [e.event_id for e in answered.pending_events]
    assert ("importer", "sync-3", None, T0) == (
        first.actor,
        first.correlation_id,
        first.causation_id,
        first.occurred_at,
    )
    assert ("agent-7", None, "msg-41", later) == (
        second.actor,
        second.correlation_id,
        second.causation_id,
        second.occurred_at,
    )
    assert (ReviewId("r-1"), ANA) == (second.review_id, second.customer_id)
    anonymous = review(customer_id=None).answer(at=later)
    assert [None, None] == [e.customer_id for e in anonymous.pending_events]
    assert "review:r-1#2" == anonymous.pending_events[-1].event_id


def test_a_stored_answer_before_publication_is_refused():
    """A document whose answer lies before the review was published is refused on load."""
    data = to_dict(review().answer(at=T0).without_pending_events())
    data["answered_at"] = (T0 - timedelta(hours=1)).isoformat()
    with pytest.raises(ValidationError) as info:
        from_dict(Review, data)
    assert ("$.answered_at", "time_backwards") in [(p.path, p.code) for p in info.value.problems]


def test_a_stored_answer_after_the_last_change_is_refused():
    """A document whose answered_at lies after its updated_at is refused on load."""
    data = to_dict(review().answer(at=T0 + timedelta(hours=1)).without_pending_events())
    data["updated_at"] = T0.isoformat()
    with pytest.raises(ValidationError) as info:
        from_dict(Review, data)
    assert ("$.updated_at", "time_backwards") in [(p.path, p.code) for p in info.value.problems]


def test_reviews_on_the_timeline():
    """A review of a known customer is on their timeline with its answer; anonymous ones are not."""
    answered = review().answer(at=T0 + timedelta(hours=2))
    assert ["r-1", "r-1/answer"] == [e.key for e in timeline(ANA, [answered])]
    assert () == review(customer_id=None).timeline_facts()


# -- response plans ---------------------------------------------------------------------------


def plan_for(subject: Review, **options) -> ResponsePlan:
    arguments = {
        "customer_name": PersonName("Ana", family="Putri"),
        "service_standard": "a table within ten minutes of arrival",
        "compensation": "a free dessert on the next visit",
        "offline_contact": CARE,
    }
    return response_plan(subject, **(arguments | options))


def test_a_plan_follows_the_recommended_moves():
    """Acknowledge by name and thank, regret, restate the standard, compensate, go offline."""
    plan = plan_for(review())
    assert [
        ResponseStep.ACKNOWLEDGE,
        ResponseStep.EXPRESS_REGRET,
        ResponseStep.RESTATE_STANDARD,
        ResponseStep.OFFER_COMPENSATION,
        ResponseStep.OFFER_OFFLINE_CONTACT,
    ] == list(plan.steps)
    assert "Ana" == plan.address_as
    assert "a free dessert on the next visit" == plan.compensation
    assert CARE == plan.offline_contact
    assert {ResponseGuideline.KEEP_SHORT, ResponseGuideline.NO_BLAME} <= set(plan.guidelines)
    assert ResponseGuideline.NOT_DEFENSIVE in plan.guidelines
    assert 0 < plan.max_words <= 200
    assert "Ana" not in repr(plan)


def test_a_plan_without_compensation_leaves_that_move_out():
    """compensation=None drops the offer and keeps the rest in order."""
    plan = plan_for(review(), compensation=None)
    assert ResponseStep.OFFER_COMPENSATION not in plan.steps
    assert ResponseStep.OFFER_OFFLINE_CONTACT == plan.steps[-1]


def test_names_are_taken_as_the_customer_is_greeted():
    """A PersonName gives its greeting, an organization its trading name, a string itself."""
    assert "Bud" == plan_for(review(), customer_name=PersonName("Budi", preferred="Bud")).address_as
    org = OrganizationName("PT Sinar Jaya", trading="Sinar Jaya")
    assert "Sinar Jaya" == plan_for(review(), customer_name=org).address_as
    assert "Kak Ana" == plan_for(review(), customer_name=" Kak Ana ").address_as


def test_only_negative_reviews_get_a_plan():
    """A three-star review is not negative by default, but is with negative_at_most=3."""
    with pytest.raises(ValidationError) as info:
        plan_for(review(3))
    assert ("$.review.rating", "not_negative") == (info.value.path, info.value.code)
    assert 3 == plan_for(review(3), negative_at_most=3).rating


@pytest.mark.parametrize(
    ("options", "path"),
    [
        ({"offline_contact": "care@shop.example"}, "$.offline_contact"),
        ({"service_standard": ""}, "$.service_standard"),
        ({"compensation": "x" * 501}, "$.compensation"),
        ({"customer_name": ""}, "$.customer_name"),
        ({"max_words": 0}, "$.max_words"),
        ({"negative_at_most": 5}, "$.negative_at_most"),
    ],
)
def test_plan_arguments_are_checked(options, path):
    """Each bad argument names its path."""
    with pytest.raises(ValidationError) as info:
        plan_for(review(), **options)
    assert path == info.value.path


def test_a_plan_needs_a_review():
    """Passing something else than a Review is a type error."""
    with pytest.raises(InvalidType) as info:
        response_plan(
            "r-1",
            customer_name="Ana",
            service_standard="s",
            compensation=None,
            offline_contact=CARE,
        )
    assert "$.review" == info.value.path


# -- serialization ------------------------------------------------------------------------------


def test_every_feedback_value_and_event_round_trips():
    """Responses, reviews, plans, breakdowns and their events survive to_dict/from_dict."""
    values = [
        answer(CsatResponse, 4, 1, comment="ok"),
        answer(NpsResponse, 10, 2, case_id=CaseId("k-1")),
        answer(CesResponse, 2, 3, order_id=OrderId("o-1")),
        review().answer(at=T0 + timedelta(hours=1)),
        review(customer_id=None, url=None, text=None, author_name=None),
        plan_for(review()),
        nps_breakdown([10, 7, 1]),
    ]
    for value in values:
        back = from_dict(type(value), to_dict(value))
        assert value == back
        for event in getattr(value, "pending_events", ()):
            assert event == from_dict(DomainEvent, to_dict(event))
            assert event == from_dict(type(event), to_dict(event))


def test_schema_1_documents_load_with_their_old_time_as_created_at():
    """Schema-1 documents kept responded_at and published_at; they load as created_at."""
    later = T0 + timedelta(hours=1)
    survey = to_dict(answer(NpsResponse, 9).without_pending_events())
    stored_review = to_dict(review().answer(at=later).without_pending_events())
    for data, old in ((survey, "responded_at"), (stored_review, "published_at")):
        for key in ("created_at", "updated_at", "sequence"):
            del data[key]
        data[old] = T0.isoformat()
        data["schema_version"] = 1
    loaded = from_dict(NpsResponse, survey)
    assert (T0, T0, 0, 9) == (loaded.created_at, loaded.updated_at, loaded.sequence, loaded.score)
    back = from_dict(Review, stored_review)
    assert (T0, later, later) == (back.published_at, back.answered_at, back.updated_at)


def test_a_stored_answer_off_the_scale_is_refused():
    """from_dict validates the score against the survey's scale."""
    data = to_dict(answer(CesResponse, 5))
    data["score"] = 8
    with pytest.raises(ValidationError) as info:
        from_dict(CesResponse, data)
    assert "$.score" == info.value.path


@given(reviews())
def test_generated_reviews_keep_their_events_in_order(generated):
    """The library's strategy builds reviews by their commands, in time order."""
    events = generated.pending_events
    assert list(range(1, len(events) + 1)) == [e.sequence for e in events]
    times = [e.occurred_at for e in events]
    assert times == sorted(times)
    assert (generated.created_at, generated.updated_at) == (times[0], times[-1])
    assert generated == from_dict(Review, to_dict(generated))


@given(survey_responses())
def test_generated_survey_answers_carry_one_event(generated):
    """Every generated answer holds its SurveyAnswered, numbered 1, at its creation time."""
    (event,) = generated.pending_events
    assert (1, generated.created_at, generated.survey) == (
        event.sequence,
        event.occurred_at,
        event.survey,
    )
    assert generated == from_dict(type(generated), to_dict(generated))
