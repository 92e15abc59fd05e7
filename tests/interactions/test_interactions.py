"""Tests for `crmcore.interactions._interaction`: touchpoints on every channel."""

import json
from datetime import UTC, datetime, timedelta, timezone

import pytest
from hypothesis import given
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
from crmcore.testing.strategies import interactions as generated_interactions

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
    assert T0 == call.created_at
    assert T0 == call.updated_at
    assert "Question about the invoice" == call.subject
    assert "Asked for a copy.\nSent by email." == call.notes
    assert 390 == call.duration_seconds
    assert timedelta(minutes=6, seconds=30) == call.duration
    assert 0 == call.version
    assert 1 == call.sequence
    expected = InteractionLogged(
        sequence=1,
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
            sequence=3,
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
    assert ("$.at", "time_backwards") == (info.value.path, info.value.code)
    assert call.case_id is None
    assert 1 == len(call.pending_events)


def test_a_link_dated_before_the_last_change_is_refused_and_changes_nothing():
    """Times never go backwards: a link before the previous link is refused with time_backwards."""
    later = T0 + timedelta(hours=2)
    linked = log().link(at=later, case_id=CaseId("case-1"))
    with pytest.raises(ValidationError) as info:
        linked.link(at=later - timedelta(minutes=1), opportunity_id=OpportunityId("opp-1"))
    assert ("$.at", "time_backwards") == (info.value.path, info.value.code)
    assert linked.opportunity_id is None
    assert (later, 2, 2) == (linked.updated_at, linked.sequence, len(linked.pending_events))
    # Even a link that would change nothing is refused when it is dated in the past.
    with pytest.raises(ValidationError):
        linked.link(at=T0, case_id=CaseId("case-1"))


def test_link_times_move_updated_at_but_not_created_at():
    """A link moves updated_at to its time; created_at (occurred_at) stays when it happened."""
    later = T0 + timedelta(days=1)
    linked = log().link(at=later, case_id=CaseId("case-1"))
    assert (T0, T0, later) == (linked.created_at, linked.occurred_at, linked.updated_at)


@pytest.mark.parametrize(
    ("field", "value", "path"),
    [
        ("case_id", OpportunityId("x-1"), "$.case_id"),
        ("case_id", "case-1", "$.case_id"),
        ("opportunity_id", CaseId("x-1"), "$.opportunity_id"),
    ],
)
def test_link_refuses_ids_of_another_kind(field, value, path):
    """link() takes a CaseId and an OpportunityId, never text or an id of the other kind."""
    call = log()
    with pytest.raises(InvalidType) as info:
        call.link(at=T0, **{field: value})
    assert path == info.value.path
    assert (None, None) == (call.case_id, call.opportunity_id)


def test_events_carry_the_envelope():
    """Events are numbered 1..n, have a derived event_id, and carry the caller's envelope."""
    call = Interaction.log(
        InteractionId("i-1"),
        customer_id=CID,
        kind="email",
        channel="email",
        direction="outbound",
        at=T0,
        actor=StaffId("agent-7"),
        correlation_id="req-1",
    )
    later = T0 + timedelta(minutes=5)
    call = call.link(at=later, case_id=CaseId("case-1"), actor="system", causation_id="msg-41")
    logged, linked = call.pending_events
    assert [1, 2] == [e.sequence for e in call.pending_events]
    assert ["interaction:i-1#1", "interaction:i-1#2"] == [e.event_id for e in call.pending_events]
    assert {"interaction"} == {e.aggregate_kind for e in call.pending_events}
    assert {"i-1"} == {e.aggregate_id for e in call.pending_events}
    assert ("agent-7", "req-1", None, T0) == (
        logged.actor,
        logged.correlation_id,
        logged.causation_id,
        logged.occurred_at,
    )
    assert ("system", None, "msg-41", later) == (
        linked.actor,
        linked.correlation_id,
        linked.causation_id,
        linked.occurred_at,
    )
    assert {"interaction_id": InteractionId("i-1"), "customer_id": CID} == {
        "interaction_id": linked.interaction_id,
        "customer_id": linked.customer_id,
    }


def test_unknown_envelope_keywords_are_refused():
    """A command takes only actor, correlation_id and causation_id as extra keywords."""
    with pytest.raises(InvalidType) as info:
        log(operator="agent-7")
    assert ("$", "unknown_keyword") == (info.value.path, info.value.code)
    call = log()
    with pytest.raises(InvalidType):
        call.link(at=T0, case_id=CaseId("case-1"), user="agent-7")
    assert call.case_id is None


def test_events_carry_no_free_text():
    """Neither event repeats the subject or the notes."""
    call = log(subject="Ana Putri called", notes="Lives at Jl. Merdeka 10")
    call = call.link(at=T0, case_id=CaseId("case-1"))
    for event in call.pending_events:
        text = repr(to_dict(event))
        assert "Ana" not in text
        assert "Merdeka" not in text


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


def test_a_schema_1_document_loads_with_occurred_at_as_created_at():
    """A stored interaction of schema version 1 kept occurred_at; it loads as created_at."""
    current = log(duration=None).without_pending_events()
    data = to_dict(current)
    for key in ("created_at", "updated_at", "sequence"):
        del data[key]
    data["occurred_at"] = T0.isoformat()
    data["schema_version"] = 1
    loaded = from_dict(Interaction, data)
    assert (T0, T0, 0) == (loaded.created_at, loaded.updated_at, loaded.sequence)
    assert loaded.occurred_at == T0
    assert current.subject == loaded.subject


def test_a_stored_update_before_creation_is_refused():
    """A document whose updated_at lies before created_at is refused on load."""
    data = to_dict(log().without_pending_events())
    data["updated_at"] = (T0 - timedelta(seconds=1)).isoformat()
    with pytest.raises(ValidationError) as info:
        from_dict(Interaction, data)
    assert "time_backwards" in [p.code for p in info.value.problems]


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


@given(interactions())
def test_any_interaction_round_trips(call):
    """Every valid interaction survives JSON, events included."""
    back = roundtrip(call)
    assert call == back
    assert call.pending_events == back.pending_events


@given(generated_interactions())
def test_generated_interactions_keep_their_events_in_order(call):
    """The library's strategy builds interactions by their commands, in time order."""
    events = call.pending_events
    assert list(range(1, len(events) + 1)) == [e.sequence for e in events]
    times = [e.occurred_at for e in events]
    assert times == sorted(times)
    assert call.created_at == times[0]
    assert call.updated_at == times[-1]
    assert call == roundtrip(call)
