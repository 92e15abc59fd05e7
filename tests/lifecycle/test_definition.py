"""Tests for `crmcore.lifecycle._definition`, `_diagrams` and `_standard`: building, checking, storing, drawing."""

import json
import re
from itertools import pairwise

import pytest
from hypothesis import given
from hypothesis import strategies as st

from crmcore import ValidationError
from crmcore.errors import InvalidType
from crmcore.lifecycle import (
    CRM_STAGE_FOR_LADDER_STAGE,
    CRM_STAGES,
    LADDER_RUNGS,
    RELATIONSHIP_LADDER,
    CrmStage,
    InvalidDefinition,
    LadderStage,
    LifecycleDefinition,
    State,
    Transition,
    crm_stage_for,
)
from crmcore.serialization import from_dict, to_dict


def signup(**changes):
    """A small valid definition, with keyword overrides."""
    spec = {
        "states": ["visitor", "trial", "subscriber", State("gone", terminal=True)],
        "initial": "visitor",
        "transitions": [
            Transition("start_trial", "visitor", "trial"),
            Transition("subscribe", ("visitor", "trial"), "subscriber", guards=("paid",)),
            Transition("cancel", ("trial", "subscriber"), "gone"),
        ],
    }
    spec.update(changes)
    return LifecycleDefinition("signup", **spec)


def problems_of(**changes):
    with pytest.raises(InvalidDefinition) as info:
        signup(**changes)
    return {(p.path, p.code) for p in info.value.problems}


# -- building and validation -----------------------------------------------------------------


def test_a_valid_definition_exposes_its_shape():
    """Stage names, triggers and allowed moves follow the declaration."""
    definition = signup()
    assert ("visitor", "trial", "subscriber", "gone") == definition.stage_names
    assert ("start_trial", "subscribe", "cancel") == definition.triggers
    assert ("start_trial", "subscribe") == definition.triggers_from("visitor")
    assert () == definition.triggers_from("gone")
    assert "subscriber" == definition.target_of("trial", "subscribe")
    assert definition.target_of("gone", "subscribe") is None
    assert definition.target_of("trial", "no_such_trigger") is None
    assert 2 == definition.rank("subscriber")
    assert definition.state("gone").terminal
    assert definition.stage_names == definition.funnel_stages


def test_bare_names_become_open_states():
    """A string in `states` is an open state of that name."""
    definition = signup()
    assert State("visitor") == definition.states[0]
    assert not definition.states[0].terminal


def test_state_enums_are_stored_as_plain_strings():
    """StrEnum members given as names are kept as their plain values."""
    assert all(type(name) is str for name in RELATIONSHIP_LADDER.stage_names)
    assert all(type(t.trigger) is str for t in RELATIONSHIP_LADDER.transitions)
    assert type(RELATIONSHIP_LADDER.initial) is str


def test_unknown_states_are_reported_with_their_paths():
    """Unknown sources, targets, initial and funnel stages are each named."""
    found = problems_of(
        transitions=[
            Transition("start_trial", "visitor", "trail"),
            Transition("subscribe", ("visitor", "nowhere"), "subscriber"),
            Transition("cancel", ("trial", "subscriber"), "gone"),
        ],
        funnel=["visitor", "paying"],
    )
    assert {
        ("$.transitions[0].target", "unknown_state"),
        ("$.transitions[1].sources[1]", "unknown_state"),
        ("$.funnel[1]", "unknown_state"),
    } <= found


def test_unreachable_states_are_reported():
    """A state no trigger leads to from the initial state is refused."""
    found = problems_of(
        states=["visitor", "trial", "subscriber", "island", State("gone", terminal=True)]
    )
    assert ("$.states[3]", "unreachable") in found


def test_a_trigger_with_two_targets_from_one_state_is_ambiguous():
    """One trigger, one source, two targets is refused; the same move twice is a duplicate."""
    found = problems_of(
        transitions=[
            Transition("start_trial", "visitor", "trial"),
            Transition("subscribe", ("visitor", "trial"), "subscriber"),
            Transition("subscribe", "trial", "gone"),
            Transition("cancel", ("trial", "subscriber"), "gone"),
            Transition("cancel", "trial", "gone"),
        ]
    )
    assert ("$.transitions[2].sources[0]", "ambiguous") in found
    assert ("$.transitions[4].sources[0]", "duplicate") in found


@pytest.mark.parametrize("initial", [None, ""])
def test_no_initial_state_is_reported(initial):
    """A definition must name where customers start."""
    assert ("$.initial", "no_initial") in problems_of(initial=initial)


def test_unknown_initial_state_is_reported():
    """The initial state must be one of the states."""
    assert ("$.initial", "unknown_state") in problems_of(initial="lurker")


def test_open_states_need_a_way_out_and_terminal_states_have_none():
    """Dead ends must be marked terminal; terminal states cannot be sources."""
    found = problems_of(
        states=["visitor", "trial", "subscriber", "gone"],
        transitions=[
            Transition("start_trial", "visitor", "trial"),
            Transition("subscribe", ("visitor", "trial"), "subscriber"),
            Transition("cancel", ("trial", "subscriber"), "gone"),
        ],
    )
    assert ("$.states[3].terminal", "dead_end") in found
    found = problems_of(
        transitions=[
            Transition("start_trial", "visitor", "trial"),
            Transition("subscribe", ("visitor", "trial"), "subscriber"),
            Transition("cancel", ("trial", "subscriber"), "gone"),
            Transition("return", "gone", "visitor"),
        ]
    )
    assert ("$.transitions[3].sources[0]", "terminal_source") in found


def test_every_problem_is_listed_at_once():
    """Several faults of different kinds come back in one InvalidDefinition."""
    with pytest.raises(InvalidDefinition) as info:
        LifecycleDefinition(
            "Bad Name",
            states=["a", "a", "B", State("z", terminal=True)],
            transitions=[
                Transition("go", "a", "nowhere"),
                Transition("Go Now", (), "z", guards=("ok", "ok")),
                Transition("go", "z", "a"),
            ],
        )
    found = {(p.path, p.code) for p in info.value.problems}
    assert {
        ("$.name", "name"),
        ("$.states[1].name", "duplicate"),
        ("$.states[2].name", "name"),
        ("$.transitions[0].target", "unknown_state"),
        ("$.transitions[1].trigger", "name"),
        ("$.transitions[1].sources", "no_source"),
        ("$.transitions[1].guards[1]", "duplicate"),
        ("$.transitions[2].sources[0]", "terminal_source"),
        ("$.initial", "no_initial"),
    } <= found
    assert isinstance(info.value, ValidationError)
    assert "problems" in str(info.value)


def test_wrong_types_are_problems_too():
    """Non-State and non-Transition items and a non-str initial are reported, not crashed on."""
    found = problems_of(states=["visitor", 3, "trial", "subscriber", State("gone", terminal=True)])
    assert ("$.states[1]", "type") in found
    assert ("$.transitions", "type") in problems_of(transitions="start_trial")
    assert ("$.initial", "type") in problems_of(initial=7)
    with pytest.raises(InvalidDefinition) as info:
        LifecycleDefinition(None, states=["a"], initial="a")
    assert "$.name" in [p.path for p in info.value.problems]


def test_leaf_types_are_checked_when_built():
    """State and Transition refuse non-string names at once."""
    with pytest.raises(InvalidType) as info:
        State(3)
    assert "$.name" == info.value.path
    with pytest.raises(InvalidType) as info:
        Transition("go", ["a", 4], "b")
    assert "$.sources[1]" == info.value.path
    with pytest.raises(InvalidType):
        State("a", terminal="yes")


def test_messages_never_repeat_unknown_names():
    """An unknown name may be anything the caller typed; it is not echoed."""
    typed = "ana_at_example_com"
    with pytest.raises(InvalidDefinition) as info:
        signup(initial=typed)
    assert typed not in str(info.value)
    assert all(typed not in p.rule for p in info.value.problems)


def test_route_finds_the_shortest_sequence_of_triggers():
    """Routes are shortest, deterministic, restrictable, and refused when impossible."""
    ladder = RELATIONSHIP_LADDER
    assert ("first_purchase", "repeat_purchase", "become_client") == ladder.route(
        "suspect", "client"
    )
    assert ("first_purchase", "join_loyalty") == ladder.route("prospect", "member")
    assert () == ladder.route("client", "client")
    with pytest.raises(ValidationError) as info:
        ladder.route("client", "member", triggers={"lapse"})
    assert "no_route" == info.value.code
    with pytest.raises(ValidationError) as info:
        signup().route("gone", "visitor")
    assert "no_route" == info.value.code
    with pytest.raises(ValidationError) as info:
        ladder.route("client", "nowhere")
    assert ("$.to_stage", "unknown_stage") == (info.value.path, info.value.code)


def test_asking_about_an_unknown_stage_is_a_validation_error():
    """Queries name the argument that is wrong."""
    with pytest.raises(ValidationError) as info:
        signup().triggers_from("nowhere")
    assert ("$.stage", "unknown_stage") == (info.value.path, info.value.code)
    with pytest.raises(InvalidType):
        signup().triggers_from(None)


def test_definitions_compare_by_content_and_hash():
    """Two definitions built alike are equal and hash alike; the repr is short."""
    assert signup() == signup()
    assert hash(signup()) == hash(signup())
    assert signup() != signup(
        initial="trial",
        transitions=[
            Transition("start_trial", "visitor", "trial"),
            Transition("subscribe", ("visitor", "trial"), "subscriber"),
            Transition("cancel", ("trial", "subscriber"), "gone"),
            Transition("browse", "trial", "visitor"),
        ],
    )
    assert "LifecycleDefinition('signup', states=4, transitions=3)" == repr(signup())


# -- storage ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "definition", [RELATIONSHIP_LADDER, CRM_STAGES, signup()], ids=["ladder", "crm", "signup"]
)
def test_definitions_round_trip_through_json(definition):
    """A stored definition comes back equal and works the same."""
    back = from_dict(LifecycleDefinition, json.loads(json.dumps(to_dict(definition))))
    assert definition == back
    assert definition.stage_names == back.stage_names
    for stage in definition.stage_names:
        assert definition.triggers_from(stage) == back.triggers_from(stage)


def test_a_stored_definition_with_faults_names_every_fault():
    """Malformed stored definitions raise ValidationError with the definition's paths."""
    data = to_dict(signup())
    data["initial"] = "lurker"
    data["transitions"][0]["target"] = "trail"
    with pytest.raises(ValidationError) as info:
        from_dict(LifecycleDefinition, data)
    found = {(p.path, p.code) for p in info.value.problems}
    assert {("$.initial", "unknown_state"), ("$.transitions[0].target", "unknown_state")} <= found


def test_a_stored_definition_without_initial_is_reported_as_such():
    """A missing initial key is the no_initial problem, not a crash."""
    data = to_dict(signup())
    del data["initial"]
    with pytest.raises(ValidationError) as info:
        from_dict(LifecycleDefinition, data)
    assert ("$.initial", "no_initial") in {(p.path, p.code) for p in info.value.problems}


@pytest.mark.parametrize(
    ("mutate", "path"),
    [
        (lambda d: d["states"][0].update(terminal="no"), "$.states[0].terminal"),
        (lambda d: d["transitions"][1].update(guards=[1]), "$.transitions[1].guards[0]"),
        (lambda d: d["transitions"].append({"trigger": "x"}), "$.transitions[3].sources"),
        (lambda d: d.update(extra=1), "$"),
        (lambda d: d.update(states=None), "$.states"),
    ],
)
def test_malformed_stored_definitions_are_validation_errors(mutate, path):
    """Junk in a stored definition is a ValidationError at the damaged path."""
    data = json.loads(json.dumps(to_dict(signup())))
    mutate(data)
    with pytest.raises(ValidationError) as info:
        from_dict(LifecycleDefinition, data)
    assert path in [p.path for p in info.value.problems]


# -- the standard definitions ----------------------------------------------------------------


def test_the_ladder_has_the_rungs_and_the_inactive_stages():
    """The ladder climbs suspect to partner, with lapsed and churned beside it."""
    assert LADDER_RUNGS == RELATIONSHIP_LADDER.funnel_stages
    assert [s.value for s in LadderStage] == list(RELATIONSHIP_LADDER.stage_names)
    assert "suspect" == RELATIONSHIP_LADDER.initial
    assert {"lapsed", "churned"} == set(RELATIONSHIP_LADDER.stage_names) - set(LADDER_RUNGS)


def test_the_ladder_climbs_one_trigger_per_rung():
    """Every rung can be reached from the one below, in order."""
    for lower, higher in pairwise(LADDER_RUNGS):
        assert 1 == len(RELATIONSHIP_LADDER.route(lower, higher))


def test_demote_moves_one_rung_down_from_every_rung_above_the_first():
    """Explicit demotion is one step down the ladder."""
    for lower, higher in pairwise(LADDER_RUNGS):
        assert lower == RELATIONSHIP_LADDER.target_of(higher, "demote")
    assert RELATIONSHIP_LADDER.target_of("suspect", "demote") is None


def test_lapsed_and_churned_customers_can_be_won_back_to_every_buying_rung():
    """Win-back leads from lapsed and churned to each rung a buyer can stand on."""
    for inactive in ("lapsed", "churned"):
        targets = {
            RELATIONSHIP_LADDER.target_of(inactive, t)
            for t in RELATIONSHIP_LADDER.triggers_from(inactive)
        }
        assert set(LADDER_RUNGS[2:]) <= targets


def test_only_buying_customers_lapse():
    """Suspects and prospects have nothing to lapse from."""
    assert "lapse" not in RELATIONSHIP_LADDER.triggers_from("suspect")
    assert "lapse" not in RELATIONSHIP_LADDER.triggers_from("prospect")
    assert "lapsed" == RELATIONSHIP_LADDER.target_of("partner", "lapse")


def test_crm_stages_follow_the_acquire_enhance_retain_grouping():
    """The five stages in order, grouped acquire, enhance, retain."""
    assert [s.value for s in CrmStage] == list(CRM_STAGES.stage_names)
    groups = [CRM_STAGES.state(name).group for name in CRM_STAGES.stage_names]
    assert ["acquire", "acquire", "enhance", "retain", "retain"] == groups


def test_every_ladder_stage_maps_to_a_crm_stage_reachable_from_any_other():
    """Aligning CRM stages with the ladder never gets stuck."""
    assert set(RELATIONSHIP_LADDER.stage_names) == set(CRM_STAGE_FOR_LADDER_STAGE)
    for source in RELATIONSHIP_LADDER.stage_names:
        for target in RELATIONSHIP_LADDER.stage_names:
            CRM_STAGES.route(crm_stage_for(source), crm_stage_for(target))
    with pytest.raises(ValidationError):
        crm_stage_for("lead_generation")


# -- diagrams --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "definition", [RELATIONSHIP_LADDER, CRM_STAGES, signup()], ids=["ladder", "crm", "signup"]
)
def test_mermaid_shows_every_state_and_move(definition):
    """Each state is declared, each (source, target) pair drawn once with all its triggers."""
    text = definition.to_mermaid()
    lines = text.splitlines()
    assert "stateDiagram-v2" == lines[0]
    assert f"    [*] --> {definition.initial}" in lines
    for state in definition.states:
        assert any(line.strip().endswith(f" as {state.name}") for line in lines)
        assert (f"    {state.name} --> [*]" in lines) == state.terminal
    edges = [line for line in lines if re.match(r"    \w+ --> \w+ : ", line)]
    pairs = {(t_source, t.target) for t in definition.transitions for t_source in t.sources}
    assert len(pairs) == len(edges)
    for transition in definition.transitions:
        for source in transition.sources:
            edge = next(
                e for e in edges if e.startswith(f"    {source} --> {transition.target} : ")
            )
            assert transition.trigger in edge
            for guard in transition.guards:
                assert guard in edge


@pytest.mark.parametrize(
    "definition", [RELATIONSHIP_LADDER, CRM_STAGES, signup()], ids=["ladder", "crm", "signup"]
)
def test_dot_shows_every_state_move_and_group(definition):
    """DOT output declares every node and edge; groups become clusters."""
    text = definition.to_dot()
    assert text.startswith(f'digraph "{definition.name}" {{')
    assert text.rstrip().endswith("}")
    for state in definition.states:
        assert f'"{state.name}" [label="{state.title}"' in text
    for transition in definition.transitions:
        for source in transition.sources:
            assert f'"{source}" -> "{transition.target}" [label="' in text
    for group in {s.group for s in definition.states if s.group}:
        assert f'subgraph "cluster_{group}"' in text
    assert text.count("{") == text.count("}")


def test_diagram_labels_are_escaped():
    """Quotes in labels cannot break the diagram syntax."""
    definition = LifecycleDefinition(
        "quoted",
        states=[State("a", label='the "a" stage'), State("b", terminal=True)],
        initial="a",
        transitions=[Transition("go", "a", "b")],
    )
    assert 'label="the \\"a\\" stage"' in definition.to_dot()
    assert "state \"the 'a' stage\" as a" in definition.to_mermaid()


def test_diagram_direction_is_checked():
    """Only the four layout directions are accepted."""
    assert "    direction TB" in CRM_STAGES.to_mermaid(direction="TB").splitlines()
    assert "rankdir=BT;" in CRM_STAGES.to_dot(direction="BT")
    with pytest.raises(ValidationError) as info:
        CRM_STAGES.to_mermaid(direction="sideways")
    assert "$.direction" == info.value.path


def test_the_documentation_shows_the_current_ladder_diagram(repository_root):
    """docs/lifecycle.md carries exactly the diagram the ladder draws today."""
    text = (repository_root / "docs" / "lifecycle.md").read_text(encoding="utf-8")
    match = re.search(r"```mermaid\n(.*?)```", text, re.DOTALL)
    assert match is not None
    assert RELATIONSHIP_LADDER.to_mermaid() == match.group(1)


# -- generated definitions -------------------------------------------------------------------


@st.composite
def edge_lists(draw):
    size = draw(st.integers(min_value=1, max_value=6))
    names = [f"s{i}" for i in range(size)]
    extra = draw(
        st.lists(
            st.tuples(
                st.sampled_from(names), st.sampled_from(names), st.sampled_from(["a", "b", "c"])
            ),
            max_size=10,
        )
    )
    return names, extra


@given(edge_lists())
def test_generated_definitions_are_valid_exactly_when_a_plain_check_says_so(spec):
    """The validator agrees with an independent reachability and ambiguity check."""
    names, edges = spec
    transitions = [Transition(trigger, source, target) for source, target, trigger in edges]
    outgoing = {name: set() for name in names}
    targets_by_move = {}
    for source, target, trigger in edges:
        outgoing[source].add(target)
        targets_by_move.setdefault((source, trigger), []).append(target)
    reached, pending = {names[0]}, [names[0]]
    while pending:
        for target in outgoing[pending.pop()]:
            if target not in reached:
                reached.add(target)
                pending.append(target)
    states = [State(name, terminal=not outgoing[name]) for name in names]
    expected_valid = reached == set(names) and all(len(t) == 1 for t in targets_by_move.values())
    if expected_valid:
        LifecycleDefinition("generated", states=states, initial=names[0], transitions=transitions)
    else:
        with pytest.raises(InvalidDefinition):
            LifecycleDefinition(
                "generated", states=states, initial=names[0], transitions=transitions
            )


@pytest.mark.parametrize("triggers", [True, 5, "qualify", [None], ["Not A Name"]])
def test_route_checks_the_triggers_it_may_use(triggers):
    """D36: junk triggers are refused with a path (membership tests raised a bare TypeError)."""
    with pytest.raises(ValidationError) as info:
        RELATIONSHIP_LADDER.route("suspect", "partner", triggers=triggers)
    assert info.value.path.startswith("$.triggers")


def test_route_keeps_to_the_triggers_given():
    """Limiting the triggers changes the route, or leaves none."""
    full = RELATIONSHIP_LADDER.route("suspect", "prospect")
    assert full == RELATIONSHIP_LADDER.route("suspect", "prospect", triggers=list(full))
    with pytest.raises(ValidationError) as info:
        RELATIONSHIP_LADDER.route("suspect", "prospect", triggers=[])
    assert "no_route" == info.value.code
