"""Tests for firing triggers (`crmcore.lifecycle._definition`) and the lifecycle values in `crmcore.customers._lifecycle`."""

import contextlib
import json
from datetime import UTC, datetime, timedelta
from enum import StrEnum

import attrs
import pytest
from hypothesis import given
from hypothesis import strategies as st

from crmcore import Customer, CustomerId, PersonName, ValidationError
from crmcore.customers import CustomerStageChanged, LifecycleState, StageChange
from crmcore.errors import InvalidType
from crmcore.lifecycle import (
    CRM_STAGES,
    RELATIONSHIP_LADDER,
    LifecycleDefinition,
    State,
    Transition,
    TransitionNotAllowed,
)
from crmcore.serialization import from_dict, to_dict

T0 = datetime(2026, 1, 5, 9, 0, tzinfo=UTC)
LADDER = RELATIONSHIP_LADDER
NAIVE = datetime(2026, 1, 10, 9, 0)  # noqa: DTZ001 - a naive time on purpose


def at(days: float) -> datetime:
    return T0 + timedelta(days=days)


def customer(number: int = 1, created: datetime = T0) -> Customer:
    return Customer.register(
        CustomerId(f"c-{number}"), name=PersonName("Ana", family="Putri"), at=created
    )


def signup() -> LifecycleDefinition:
    return LifecycleDefinition(
        "signup",
        states=["visitor", "trial", "subscriber", State("gone", terminal=True)],
        initial="visitor",
        transitions=[
            Transition("start_trial", "visitor", "trial"),
            Transition("subscribe", ("visitor", "trial"), "subscriber", guards=("paid", "adult")),
            Transition("cancel", ("trial", "subscriber"), "gone"),
        ],
    )


# -- firing ----------------------------------------------------------------------------------


def test_fire_moves_the_customer_and_records_history_and_event():
    """The new customer stands in the target stage; the history and an event say how."""
    ana = customer()
    moved = LADDER.fire(ana, "qualify", at=at(1), actor="agent-7", reason="asked for a quote")
    assert "prospect" == moved.lifecycle.stage
    assert "relationship_ladder" == moved.lifecycle.definition
    history = moved.lifecycle.history
    assert [(None, "suspect", "start", T0), ("suspect", "prospect", "qualify", at(1))] == [
        (c.from_stage, c.to_stage, c.trigger, c.at) for c in history
    ]
    assert ("agent-7", "asked for a quote") == (history[-1].actor, history[-1].reason)
    event = moved.pending_events[-1]
    assert isinstance(event, CustomerStageChanged)
    assert (
        at(1),
        ana.id,
        "relationship_ladder",
        "suspect",
        "prospect",
        "qualify",
        "agent-7",
    ) == (
        event.occurred_at,
        event.customer_id,
        event.definition,
        event.from_stage,
        event.to_stage,
        event.trigger,
        event.actor,
    )
    assert "asked for a quote" not in repr(event)  # the reason is free text: history only
    assert len(ana.pending_events) + 1 == len(moved.pending_events)
    assert ana.lifecycle is None


def test_history_is_append_only():
    """Each fire keeps every earlier change as it was."""
    ana = LADDER.fire(customer(), "qualify", at=at(1))
    later = LADDER.fire(ana, "first_purchase", at=at(2))
    assert ana.lifecycle.history == later.lifecycle.history[:-1]
    assert "first_time_customer" == later.lifecycle.stage


def test_trigger_enums_and_stage_enums_fire_like_strings():
    """StrEnum values work as names and are recorded as plain strings."""

    class Trigger(StrEnum):
        QUALIFY = "qualify"

    moved = LADDER.fire(customer(), Trigger.QUALIFY, at=at(1))
    assert type(moved.lifecycle.history[-1].trigger) is str


def test_a_trigger_not_allowed_names_the_allowed_ones_and_changes_nothing():
    """TransitionNotAllowed lists the triggers allowed from the current stage."""
    ana = LADDER.fire(customer(), "qualify", at=at(1))
    with pytest.raises(TransitionNotAllowed) as info:
        LADDER.fire(ana, "become_partner", at=at(2))
    error = info.value
    assert ("prospect", "become_partner", LADDER.triggers_from("prospect")) == (
        error.stage,
        error.trigger,
        error.allowed,
    )
    assert ("$.trigger", "transition") == (error.path, error.code)
    for trigger in LADDER.triggers_from("prospect"):
        assert trigger in str(error)
    assert isinstance(error, ValidationError)
    assert "prospect" == ana.lifecycle.stage


def test_an_unknown_trigger_is_not_repeated_back():
    """A trigger the definition does not know is refused without echoing it."""
    with pytest.raises(TransitionNotAllowed) as info:
        LADDER.fire(customer(), "ana@example.com", at=at(1))
    assert "transition" == info.value.code
    assert info.value.trigger is None
    assert "ana@example.com" not in str(info.value)
    with pytest.raises(InvalidType) as type_info:
        LADDER.fire(customer(), ["qualify"], at=at(1))
    assert "type" == type_info.value.code


def test_terminal_stages_allow_nothing():
    """From a terminal stage every trigger is refused, and the error says so."""
    definition = signup()
    gone = definition.fire(definition.fire(customer(), "start_trial", at=at(1)), "cancel", at=at(2))
    with pytest.raises(TransitionNotAllowed) as info:
        definition.fire(gone, "cancel", at=at(3))
    assert () == info.value.allowed
    assert "terminal" in str(info.value)


@pytest.mark.parametrize(
    ("when", "code"),
    [
        (NAIVE, "naive_datetime"),
        (T0 - timedelta(seconds=1), "before_registration"),
    ],
)
def test_bad_times_are_refused(when, code):
    """Naive times and times before registration raise and change nothing."""
    with pytest.raises(ValidationError) as info:
        LADDER.fire(customer(), "qualify", at=when)
    assert ("$.at", code) == (info.value.path, info.value.code)


def test_time_never_goes_backwards_in_a_history():
    """A change dated before the last one is refused; the same instant is allowed."""
    ana = LADDER.fire(customer(), "qualify", at=at(5))
    with pytest.raises(ValidationError) as info:
        LADDER.fire(ana, "first_purchase", at=at(4))
    assert "backwards" == info.value.code
    same = LADDER.fire(ana, "first_purchase", at=at(5))
    assert at(5) == same.lifecycle.entered_at


def test_actor_and_reason_are_checked_and_kept_out_of_reprs():
    """Actor and reason may identify people: validated, never shown in a repr."""
    moved = LADDER.fire(
        customer(), "qualify", at=at(1), actor="staff:ana.putri", reason="Ana Putri called"
    )
    shown = repr(moved.lifecycle.history) + repr(moved.pending_events) + repr(moved)
    assert "ana.putri" not in shown
    assert "Ana Putri" not in shown
    with pytest.raises(ValidationError) as info:  # an id must never be an email address
        LADDER.fire(customer(), "qualify", at=at(1), actor="ana@example.com")
    assert ("$.actor", "id_format") == (info.value.path, info.value.code)
    assert "ana@example.com" not in str(info.value)
    with pytest.raises(ValidationError) as info:
        LADDER.fire(customer(), "qualify", at=at(1), reason="x" * 600)
    assert "$.reason" == info.value.path
    with pytest.raises(InvalidType):
        LADDER.fire(customer(), "qualify", at=at(1), actor=7)


def test_fire_refuses_non_customers():
    """The main argument must be a Customer."""
    with pytest.raises(InvalidType) as info:
        LADDER.fire({"id": "c-1"}, "qualify", at=at(1))
    assert "$.customer" == info.value.path


# -- guards ----------------------------------------------------------------------------------


def test_guards_are_called_by_name_with_customer_and_time():
    """All named guards must pass; each sees the customer and the time."""
    definition = signup()
    seen = []

    def paid(who, when):
        seen.append((who.id, when))
        return True

    moved = definition.fire(
        customer(), "subscribe", at=at(1), guards={"paid": paid, "adult": lambda c, t: True}
    )
    assert "subscriber" == moved.lifecycle.stage
    assert [(CustomerId("c-1"), at(1))] == seen


def test_a_refusing_guard_is_named_and_changes_nothing():
    """A guard returning False raises TransitionNotAllowed naming it."""
    definition = signup()
    with pytest.raises(TransitionNotAllowed) as info:
        definition.fire(
            customer(),
            "subscribe",
            at=at(1),
            guards={"paid": lambda c, t: True, "adult": lambda c, t: False},
        )
    assert ("transition", "adult") == (info.value.code, info.value.guard)


def test_missing_or_misbehaving_guards_are_errors():
    """A guard the transition names must be given and must return a bool."""
    definition = signup()
    with pytest.raises(ValidationError) as info:
        definition.fire(customer(), "subscribe", at=at(1))
    assert ("$.guards", "missing_guard") == (info.value.path, info.value.code)
    with pytest.raises(InvalidType):
        definition.fire(
            customer(),
            "subscribe",
            at=at(1),
            guards={"paid": lambda c, t: 1, "adult": lambda c, t: True},
        )


def test_unguarded_transitions_ignore_the_guards_mapping():
    """Guards are consulted only for transitions that name them."""
    moved = signup().fire(customer(), "start_trial", at=at(1), guards={"paid": lambda c, t: False})
    assert "trial" == moved.lifecycle.stage


# -- start, move_to, several lifecycles ------------------------------------------------------


def test_start_dates_the_entry_and_may_begin_at_any_stage():
    """An explicit start records the entry (from_stage None) and an event."""
    imported = LADDER.start(customer(), at=at(3), stage="client", actor="import")
    state = imported.lifecycle
    assert ("client", at(3)) == (state.stage, state.started_at)
    assert state.previous_stage is None
    event = imported.pending_events[-1]
    assert (None, "client", "start") == (event.from_stage, event.to_stage, event.trigger)
    assert "suspect" == LADDER.start(customer(), at=at(0)).lifecycle.stage


def test_start_refuses_a_tracked_customer_and_unknown_stages():
    """A customer is started once per lifecycle, in a stage the definition has."""
    ana = LADDER.start(customer(), at=at(1))
    with pytest.raises(ValidationError) as info:
        LADDER.start(ana, at=at(2))
    assert "already_tracked" == info.value.code
    with pytest.raises(ValidationError) as info:
        LADDER.start(customer(), at=at(1), stage="vip")
    assert ("$.stage", "unknown_stage") == (info.value.path, info.value.code)
    with pytest.raises(ValidationError) as info:
        LADDER.start(customer(), at=T0 - timedelta(days=1))
    assert "before_registration" == info.value.code


def test_move_to_fires_the_shortest_route():
    """move_to reaches the stage through allowed triggers, or changes nothing."""
    ana = LADDER.move_to(customer(), "client", at=at(2), actor="import")
    assert ["start", "first_purchase", "repeat_purchase", "become_client"] == [
        c.trigger for c in ana.lifecycle.history
    ]
    assert ana is LADDER.move_to(ana, "client", at=at(3))
    definition = signup()
    with pytest.raises(TransitionNotAllowed):
        definition.move_to(
            customer(),
            "subscriber",
            at=at(1),
            guards={"paid": lambda c, t: False, "adult": lambda c, t: True},
        )


def test_several_lifecycles_track_one_customer():
    """`lifecycle` is the one changed last; `lifecycle_of` finds any by definition or name."""
    ana = LADDER.fire(customer(), "qualify", at=at(1))
    ana = CRM_STAGES.fire(ana, "qualify", at=at(1))
    assert "acquisition" == ana.lifecycle.stage
    assert "prospect" == ana.lifecycle_of(LADDER).stage
    assert "prospect" == ana.lifecycle_of("relationship_ladder").stage
    ana = LADDER.fire(ana, "first_purchase", at=at(2))
    assert "first_time_customer" == ana.lifecycle.stage
    assert ["crm_stages", "relationship_ladder"] == [s.definition for s in ana.lifecycles]
    assert ana.lifecycle_of("signup") is None
    assert "acquisition" == CRM_STAGES.stage_of(ana)
    assert CRM_STAGES.triggers_from("acquisition") == CRM_STAGES.allowed_triggers(ana)
    with pytest.raises(InvalidType):
        ana.lifecycle_of(3)


def test_untracked_customers_are_in_the_initial_stage_since_registration():
    """state_of gives the implicit state the first fire records."""
    ana = customer()
    implicit = LADDER.state_of(ana)
    assert ("suspect", T0, 1) == (implicit.stage, implicit.started_at, len(implicit.history))
    assert implicit.history[0] == LADDER.fire(ana, "qualify", at=at(1)).lifecycle.history[0]
    assert LADDER.triggers_from("suspect") == LADDER.allowed_triggers(ana)


def test_repr_shows_the_current_stage_only_when_tracked():
    """The customer's summary adds the stage of `lifecycle`."""
    ana = customer()
    assert "lifecycle=" not in repr(ana)
    stored = ana.without_pending_events()
    assert repr(stored)[:-1] + ", lifecycle='prospect')" == repr(
        LADDER.fire(stored, "qualify", at=at(1)).without_pending_events()
    )


# -- the stored values -----------------------------------------------------------------------


def test_customers_with_lifecycles_round_trip_through_json():
    """Lifecycles, their histories and the stage events survive storage."""
    ana = LADDER.fire(customer(), "qualify", at=at(1), actor="agent-7", reason="quote")
    ana = CRM_STAGES.fire(ana, "qualify", at=at(1))
    back = from_dict(Customer, json.loads(json.dumps(to_dict(ana))))
    assert ana == back
    assert ana.pending_events == back.pending_events
    assert ana.lifecycles == back.lifecycles


def test_customers_refuse_two_states_of_one_definition_and_entries_before_registration():
    """Customer invariants: one state per definition, none before registration."""
    state = LADDER.fire(customer(), "qualify", at=at(1)).lifecycle
    with pytest.raises(ValidationError) as info:
        attrs.evolve(customer(), lifecycles=(state, state))
    assert ("$.lifecycles[1].definition", "duplicate") == (info.value.path, info.value.code)
    with pytest.raises(ValidationError) as info:
        attrs.evolve(customer(created=at(2)), lifecycles=(state,))
    assert ("$.lifecycles[0].history[0].at", "before_registration") == (
        info.value.path,
        info.value.code,
    )
    with pytest.raises(InvalidType) as info:
        attrs.evolve(customer(), lifecycles=("suspect",))
    assert "$.lifecycles[0]" == info.value.path


def test_a_state_history_is_consistent():
    """Entry first, unbroken chain, no time going backwards, stage at the end."""
    entry = StageChange(None, "suspect", "start", at(0))
    step = StageChange("suspect", "prospect", "qualify", at(1))
    assert "prospect" == LifecycleState("relationship_ladder", "prospect", [entry, step]).stage
    cases = [
        (("relationship_ladder", "prospect", ()), "$.history", "empty"),
        (("relationship_ladder", "prospect", (step,)), "$.history[0].from_stage", "entry"),
        (
            (
                "relationship_ladder",
                "client",
                (entry, StageChange("prospect", "client", "x", at(1))),
            ),
            "$.history[1].from_stage",
            "broken_chain",
        ),
        (
            ("relationship_ladder", "prospect", (entry, attrs.evolve(step, at=T0 - timedelta(1)))),
            "$.history[1].at",
            "backwards",
        ),
        (("relationship_ladder", "suspect", (entry, step)), "$.stage", "stage_mismatch"),
        (("Relationship Ladder", "prospect", (entry, step)), "$.definition", "name"),
    ]
    for args, path, code in cases:
        with pytest.raises(ValidationError) as info:
            LifecycleState(*args)
        assert (path, code) == (info.value.path, info.value.code)
    with pytest.raises(InvalidType):
        LifecycleState("relationship_ladder", "prospect", [entry, "qualify"])


def test_stage_at_reads_the_history_at_any_instant():
    """Before the entry there is no stage; a change dated at t has happened at t."""
    state = LifecycleState(
        "relationship_ladder",
        "prospect",
        (
            StageChange(None, "suspect", "start", at(1)),
            StageChange("suspect", "prospect", "qualify", at(3)),
        ),
    )
    assert [None, "suspect", "suspect", "prospect", "prospect"] == [
        state.stage_at(at(d)) for d in (0, 1, 2, 3, 9)
    ]


# -- replay ----------------------------------------------------------------------------------


def test_replay_checks_each_change_against_the_definition():
    """A stored history with a move the definition forbids is named by its index."""
    ana = LADDER.move_to(customer(), "member", at=at(1))
    history = ana.lifecycle.history
    assert "member" == LADDER.replay(history)
    forged = (*history, StageChange("member", "partner", "qualify", at(2)))
    with pytest.raises(TransitionNotAllowed) as info:
        LADDER.replay(forged)
    assert f"$.history[{len(history)}].trigger" == info.value.path
    wrong = (*history, StageChange("member", "client", "become_partner", at(2)))
    with pytest.raises(ValidationError) as info:
        LADDER.replay(wrong)
    assert ("$.history[3].to_stage", "wrong_target") == (info.value.path, info.value.code)
    with pytest.raises(ValidationError) as info:
        LADDER.replay(())
    assert "empty" == info.value.code
    with pytest.raises(ValidationError) as info:
        LADDER.replay((StageChange(None, "lead_generation", "start", at(0)),))
    assert "unknown_stage" == info.value.code
    with pytest.raises(ValidationError) as info:
        LADDER.replay((history[1],))
    assert "entry" == info.value.code


def test_firing_on_a_stage_the_definition_lacks_is_a_validation_error():
    """A stored stage unknown to the definition is reported, not crashed on."""
    foreign = LifecycleState("relationship_ladder", "vip", (StageChange(None, "vip", "start", T0),))
    ana = attrs.evolve(customer(), lifecycles=(foreign,))
    with pytest.raises(ValidationError) as info:
        LADDER.fire(ana, "qualify", at=at(1))
    assert "unknown_stage" == info.value.code


# -- properties ------------------------------------------------------------------------------

TRIGGERS = st.sampled_from([*LADDER.triggers, "unknown_trigger", "start"])


@given(st.lists(st.tuples(TRIGGERS, st.integers(min_value=-2, max_value=30)), max_size=25))
def test_any_trigger_sequence_follows_the_definition(moves):
    """Accepted moves are declared ones, refused ones change nothing, replay gives the stage."""
    current = customer()
    when = T0
    for trigger, days in moves:
        when = when + timedelta(days=days)
        state = LADDER.state_of(current)
        expected = LADDER.target_of(state.stage, trigger)
        try:
            moved = LADDER.fire(current, trigger, at=when)
        except ValidationError:
            assert expected is None or when < state.entered_at
            continue
        assert expected == moved.lifecycle.stage
        assert (
            current.lifecycle_of(LADDER) is None
            or current.lifecycle.history == moved.lifecycle.history[:-1]
        )
        current = moved
    state = LADDER.state_of(current)
    assert state.stage == LADDER.replay(state.history)
    times = [c.at for c in state.history]
    assert times == sorted(times)


@given(st.lists(TRIGGERS, min_size=1, max_size=10), TRIGGERS)
def test_a_rejected_trigger_changes_nothing(prefix, last):
    """After any history, a refused trigger leaves the customer equal, events and all."""
    current = customer()
    for number, trigger in enumerate(prefix):
        with contextlib.suppress(TransitionNotAllowed):
            current = LADDER.fire(current, trigger, at=at(number))
    snapshot = (current, current.pending_events, current.lifecycles)
    if LADDER.target_of(LADDER.stage_of(current), last) is None:
        with pytest.raises(TransitionNotAllowed):
            LADDER.fire(current, last, at=at(100))
    with pytest.raises(ValidationError):
        LADDER.fire(current, last, at=T0 - timedelta(days=1))
    assert snapshot == (current, current.pending_events, current.lifecycles)


@st.composite
def definitions_and_triggers(draw):
    size = draw(st.integers(min_value=1, max_value=6))
    names = [f"s{i}" for i in range(size)]
    moves = {(names[i], f"next{i}"): names[i + 1] for i in range(size - 1)}
    for source, target, trigger in draw(
        st.lists(
            st.tuples(st.sampled_from(names), st.sampled_from(names), st.sampled_from(["a", "b"])),
            max_size=8,
        )
    ):
        moves.setdefault((source, trigger), target)
    exits = {source for source, _ in moves}
    definition = LifecycleDefinition(
        "generated",
        states=[State(name, terminal=name not in exits) for name in names],
        initial=names[0],
        transitions=[
            Transition(trigger, source, target) for (source, trigger), target in moves.items()
        ],
    )
    triggers = draw(
        st.lists(st.sampled_from(["a", "b", "zz", *(f"next{i}" for i in range(size))]), max_size=15)
    )
    return definition, moves, triggers


@given(definitions_and_triggers())
def test_no_trigger_sequence_leaves_the_declared_moves(spec):
    """In any valid definition, fired sequences only ever take declared moves."""
    definition, moves, triggers = spec
    current = customer()
    for number, trigger in enumerate(triggers):
        stage = definition.stage_of(current)
        try:
            current = definition.fire(current, trigger, at=at(number))
        except TransitionNotAllowed:
            assert (stage, trigger) not in moves
            continue
        assert moves[(stage, trigger)] == current.lifecycle.stage
    assert definition.stage_of(current) == definition.replay(definition.state_of(current).history)


def _deep(depth: int) -> object:
    value: object = "x"
    for _ in range(depth):
        value = [value]
    return value


@pytest.mark.parametrize("actor", [_deep(5_000), ["x" * 10] * 100_000, ["agent-7"], 7.5])
def test_a_junk_actor_is_checked_like_every_envelope_keyword(actor):
    """The actor kept in the history is checked first, never turned into text with str()."""
    with pytest.raises(ValidationError) as info:
        LADDER.fire(customer(), "qualify", at=at(1), actor=actor)
    assert "$.actor" == info.value.path
