"""Tests for `crmcore.interactions._interaction`: touchpoints on every channel."""

import json
from datetime import UTC, datetime, timedelta, timezone

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from crmcore import DomainEvent, InvalidType, StaffId, ValidationError
from crmcore.customers import Channel, CustomerId
from crmcore.interactions import (
    Direction,
    Interaction,
    InteractionId,
    InteractionKind,
    InteractionLinked,
    InteractionLogged,
)
from crmcore.interactions._interaction import KIND_CHANNELS, TIMED_KINDS
from crmcore.sales import OpportunityId
from crmcore.serialization import from_dict, to_dict
from crmcore.service import CaseId

WIB = timezone(timedelta(hours=7))
T0 = datetime(2026, 3, 2, 10, 15, tzinfo=WIB)
CID = CustomerId("c-1")


def log(**overrides):
    options = {
        "customer_id": CID,
        "kind": "call",
        "channel": "phone",
        "direction": "inbound",
        "at": T0,
        "subject": "Question about the invoice",
        "notes": "Asked for a copy.\nSent by email.",
        "staff_id": StaffId("agent-7"),
        "duration": timedelta(minutes=6, seconds=30),
    }
    options.update(overrides)
    return Interaction.log(InteractionId("i-1"), **options)


def roundtrip(obj, cls=None):
    return from_dict(cls or type(obj), json.loads(json.dumps(to_dict(obj))))


def test_log_builds_the_record_and_records_one_event():
    """log() validates the fields, starts at version 0 and records InteractionLogged."""
    call = log()
    assert InteractionKind.CALL is call.kind
    assert Channel.PHONE is call.channel
    assert Direction.INBOUND is call.direction
    assert T0 == call.occurred_at
    assert "Question about the invoice" == call.subject
    assert "Asked for a copy.\nSent by email." == call.notes
    assert 390 == call.duration_seconds
    assert timedelta(minutes=6, seconds=30) == call.duration
    assert 0 == call.version
    expected = InteractionLogged(
        occurred_at=T0,
        interaction_id=InteractionId("i-1"),
        customer_id=CID,
        kind=InteractionKind.CALL,
        channel=Channel.PHONE,
        direction=Direction.INBOUND,
        staff_id=StaffId("agent-7"),
    )
    assert (expected,) == call.pending_events


def test_subject_and_notes_are_optional_and_trimmed():
    """An interaction needs no subject or notes; text is trimmed and spaces folded."""
    email = log(kind="email", channel="email", subject="  Your   order ", notes=None, duration=None)
    assert "Your order" == email.subject
    assert email.notes is None
    assert email.duration is None
    assert email.staff_id == StaffId("agent-7")


def test_repr_hides_subject_and_notes():
    """Subject and notes may hold personal data, so the repr leaves them out."""
    call = log(subject="Ana Putri called", notes="Lives at Jl. Merdeka 10")
    text = repr(call)
    assert "Ana" not in text
    assert "Merdeka" not in text
    assert "InteractionId('i-1')" in text


@pytest.mark.parametrize(
    ("kind", "channel"),
    [("email", "phone"), ("store_visit", "web"), ("letter", "email"), ("social_post", "sms")],
)
def test_a_kind_must_suit_its_channel(kind, channel):
    """A letter goes by post, a store visit happens in person, and so on."""
    with pytest.raises(ValidationError) as info:
        log(kind=kind, channel=channel, duration=None)
    assert "$.channel" == info.value.path
    assert "kind_channel" == info.value.code


def test_every_kind_has_channels_and_the_table_covers_every_kind():
    """The kind-to-channel table covers every kind with at least one channel."""
    assert set(InteractionKind) == set(KIND_CHANNELS)
    assert all(KIND_CHANNELS[kind] for kind in InteractionKind)


def test_only_calls_and_meetings_have_a_duration():
    """A duration on an email is refused; calls, video calls and meetings take one."""
    with pytest.raises(ValidationError) as info:
        log(kind="email", channel="email", duration=timedelta(minutes=1))
    assert "$.duration_seconds" == info.value.path
    assert "untimed_kind" == info.value.code
    meeting = log(kind="meeting", channel="in_person", duration=timedelta(hours=1))
    assert 3600 == meeting.duration_seconds
    assert {InteractionKind.CALL, InteractionKind.VIDEO_CALL, InteractionKind.MEETING} == set(
        TIMED_KINDS
    )


@pytest.mark.parametrize("duration", [timedelta(seconds=-1), timedelta(days=1, seconds=1)])
def test_duration_must_be_within_a_day(duration):
    """Negative durations and durations over a day are refused."""
    with pytest.raises(ValidationError) as info:
        log(duration=duration)
    assert "$.duration" == info.value.path


def test_duration_must_be_a_timedelta():
    """A number of minutes is not a duration."""
    with pytest.raises(InvalidType) as info:
        log(duration=5)
    assert "$.duration" == info.value.path


@pytest.mark.parametrize(
    ("field", "value", "code"),
    [
        ("subject", "Refund\x00request", "control_characters"),
        ("subject", "x" * 201, "too_long"),
        ("subject", "   ", "too_short"),
        ("notes", "secret\u200bnote", "control_characters"),
        ("notes", "n" * 10_001, "too_long"),
    ],
)
def test_free_text_is_checked_without_echoing_it(field, value, code):
    """Control characters and over-long text are refused; the message never repeats the text."""
    with pytest.raises(ValidationError) as info:
        log(**{field: value})
    assert f"$.{field}" == info.value.path
    assert code == info.value.code
    if value.strip():
        assert value.strip() not in str(info.value)


def test_naive_time_is_refused():
    """The time of a touchpoint must be timezone-aware."""
    with pytest.raises(ValidationError) as info:
        log(at=datetime(2026, 3, 2, 10, 15))  # noqa: DTZ001 - the naive value under test.
    assert "$.at" == info.value.path
    assert "naive_datetime" == info.value.code


@pytest.mark.parametrize(
    ("field", "value", "path"),
    [
        ("customer_id", "c-1", "$.customer_id"),
        ("staff_id", CustomerId("agent-7"), "$.staff_id"),
        ("case_id", OpportunityId("x-1"), "$.case_id"),
        ("opportunity_id", CaseId("x-1"), "$.opportunity_id"),
    ],
)
def test_identifiers_must_be_of_their_own_kind(field, value, path):
    """A plain string or an id of another kind is refused with the field's path."""
    with pytest.raises(InvalidType) as info:
        log(**{field: value})
    assert path == info.value.path


def test_unknown_kind_lists_the_choices():
    """An unknown kind names the allowed ones."""
    with pytest.raises(ValidationError) as info:
        log(kind="carrier pigeon")
    assert "$.kind" == info.value.path
    assert "store_visit" in info.value.rule


def test_case_and_opportunity_ids_are_distinct_kinds():
    """The same text as a case id and as an opportunity id are different identifiers."""
    assert CaseId("x-1") != OpportunityId("x-1")
    assert CaseId("x-1") == CaseId("x-1")


def test_link_records_the_links_and_replaces_only_what_is_given():
    """link() sets a case, later an opportunity, then a new case; each records an event."""
    call = log(case_id=CaseId("case-1"))
    later = T0 + timedelta(hours=2)
    linked = call.link(at=later, opportunity_id=OpportunityId("opp-3"))
    assert CaseId("case-1") == linked.case_id
    assert OpportunityId("opp-3") == linked.opportunity_id
    moved = linked.link(at=later, case_id=CaseId("case-2"))
    assert CaseId("case-2") == moved.case_id
    assert OpportunityId("opp-3") == moved.opportunity_id
    assert (
        InteractionLinked(
            occurred_at=later,
            interaction_id=InteractionId("i-1"),
            customer_id=CID,
            case_id=CaseId("case-2"),
            opportunity_id=OpportunityId("opp-3"),
        )
        == moved.pending_events[-1]
    )
    assert ["InteractionLogged", "InteractionLinked", "InteractionLinked"] == [
        e.type for e in moved.pending_events
    ]
    assert CaseId("case-1") == call.case_id


def test_linking_what_is_linked_changes_nothing():
    """A link to the case already linked returns the same record and records nothing."""
    call = log(case_id=CaseId("case-1"))
    assert call is call.link(at=T0, case_id=CaseId("case-1"))
    assert call is call.link(at=T0)


def test_link_before_the_interaction_is_refused():
    """An interaction cannot be linked before it happened; the record is unchanged."""
    call = log()
    with pytest.raises(ValidationError) as info:
        call.link(at=T0 - timedelta(seconds=1), case_id=CaseId("case-1"))
    assert "before_interaction" == info.value.code
    assert call.case_id is None


def test_without_pending_events_keeps_the_record():
    """Stripping events keeps every field."""
    call = log()
    stored = call.without_pending_events()
    assert () == stored.pending_events
    assert call == stored
    assert stored is stored.without_pending_events()


def test_timeline_protocol():
    """An interaction is a timeline fact with a summary free of personal data."""
    call = log(subject="Ana's complaint")
    assert T0 == call.timeline_at
    assert "interaction" == call.timeline_kind
    assert "i-1" == call.timeline_key
    assert "inbound call on phone (7 min)" == call.timeline_summary
    visit = log(kind="store_visit", channel="in_person", duration=None)
    assert "inbound store visit on in_person" == visit.timeline_summary


def test_round_trip_keeps_record_and_events():
    """An interaction and each of its events survive JSON."""
    call = log(case_id=CaseId("case-1")).link(at=T0, opportunity_id=OpportunityId("opp-1"))
    back = roundtrip(call)
    assert call == back
    assert call.pending_events == back.pending_events
    for event in call.pending_events:
        assert event == roundtrip(event, DomainEvent)


def test_from_dict_checks_the_record():
    """A stored interaction whose kind does not suit its channel is refused on load."""
    data = to_dict(log(duration=None))
    data["channel"] = "postal"
    with pytest.raises(ValidationError) as info:
        from_dict(Interaction, data)
    assert "$.channel" in [p.path for p in info.value.problems]


_PAIRS = sorted((kind, channel) for kind, channels in KIND_CHANNELS.items() for channel in channels)


@st.composite
def interactions(draw):
    kind, channel = draw(st.sampled_from(_PAIRS))
    at = draw(
        st.datetimes(
            min_value=datetime(2000, 1, 1),  # noqa: DTZ001 - bounds for st.datetimes.
            max_value=datetime(2100, 1, 1),  # noqa: DTZ001
            timezones=st.sampled_from([UTC, WIB, timezone(timedelta(hours=-5, minutes=-30))]),
        )
    )
    text = st.text(
        alphabet=st.characters(codec="utf-8", categories=["L", "N", "P", "Zs"]),
        min_size=1,
        max_size=40,
    ).filter(lambda s: s.strip())
    duration = None
    if kind in TIMED_KINDS and draw(st.booleans()):
        duration = timedelta(seconds=draw(st.integers(0, 86_400)))
    return Interaction.log(
        InteractionId(f"i-{draw(st.integers(0, 10**6))}"),
        customer_id=CustomerId(f"c-{draw(st.integers(0, 999))}"),
        kind=kind,
        channel=channel,
        direction=draw(st.sampled_from(list(Direction))),
        at=at,
        subject=draw(st.none() | text),
        notes=draw(st.none() | text),
        staff_id=draw(st.none() | st.just(StaffId("agent-1"))),
        case_id=draw(st.none() | st.just(CaseId("case-1"))),
        opportunity_id=draw(st.none() | st.just(OpportunityId("opp-1"))),
        duration=duration,
    )


@settings(max_examples=60)
@given(interactions())
def test_any_interaction_round_trips(call):
    """Every valid interaction survives JSON, events included."""
    back = roundtrip(call)
    assert call == back
    assert call.pending_events == back.pending_events
