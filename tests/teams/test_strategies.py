"""Tests for `crmcore.testing.strategies._teams`: the strategies of the teams capability."""

import inspect
from datetime import UTC, datetime

import pytest
from hypothesis import given
from hypothesis import strategies as st

from crmcore import DomainEvent, InvalidType, StaffId, ValidationError
from crmcore.serialization import from_dict, to_dict
from crmcore.teams import (
    StaffMemberEvent,
    StaffRoleGranted,
    TeamEvent,
    TeamFormed,
    TeamId,
    assign,
)
from crmcore.testing.strategies import _teams as strategies
from crmcore.testing.strategies import domain_events

PUBLIC = sorted(
    name
    for name, value in vars(strategies).items()
    if not name.startswith("_")
    and callable(value)
    and getattr(value, "__module__", None) == strategies.__name__
)
NAIVE = datetime(2026, 5, 4)  # noqa: DTZ001 - a naive datetime on purpose.


def test_the_module_has_a_strategy_for_every_value_type():
    """The public strategies cover the aggregates, the values, the rules and the results."""
    expected = [
        "assignment_inputs",
        "assignment_rules",
        "assignments",
        "party_facts",
        "pools",
        "round_robin_cursors",
        "round_robin_states",
        "size_bands",
        "staff_members",
        "teams",
        "territories",
        "territory_matches",
        "territory_resolutions",
        "territory_routes",
        "territory_sets",
    ]
    assert expected == PUBLIC


@pytest.mark.parametrize("name", PUBLIC)
def test_every_strategy_has_keyword_only_options_and_a_default(name):
    """Each strategy can be called without arguments, and every option is keyword-only."""
    factory = getattr(strategies, name)
    kinds = {p.kind for p in inspect.signature(factory).parameters.values()}
    assert kinds <= {inspect.Parameter.KEYWORD_ONLY}
    assert isinstance(factory(), st.SearchStrategy)


BAD_ARGUMENTS = [
    (strategies.staff_members, {"staff_ids": ["s-1"]}, InvalidType, "$.staff_ids[0]"),
    (strategies.staff_members, {"staff_ids": []}, ValidationError, "$.staff_ids"),
    (strategies.staff_members, {"roles": ["Sales Rep"]}, ValidationError, "$.roles[0]"),
    (strategies.staff_members, {"max_steps": -1}, ValidationError, "$.max_steps"),
    (strategies.staff_members, {"min_created_at": NAIVE}, ValidationError, "$.min_created_at"),
    (strategies.staff_members, {"pending_events": 1}, InvalidType, "$.pending_events"),
    (strategies.teams, {"max_members": 101}, ValidationError, "$.max_members"),
    (strategies.teams, {"max_steps": "3"}, InvalidType, "$.max_steps"),
    (
        strategies.teams,
        {
            "min_created_at": datetime(2026, 2, 1, tzinfo=UTC),
            "max_created_at": datetime(2026, 1, 1, tzinfo=UTC),
        },
        ValidationError,
        "$.max_created_at",
    ),
    (strategies.territories, {"max_values": 21}, ValidationError, "$.max_values"),
    (strategies.territory_sets, {"max_territories": -1}, ValidationError, "$.max_territories"),
    (strategies.pools, {"team_ids": ["t-1"]}, InvalidType, "$.team_ids[0]"),
    (strategies.territory_routes, {"staff_ids": []}, ValidationError, "$.staff_ids"),
    (strategies.assignment_rules, {"staff_ids": [TeamId("t")]}, InvalidType, "$.staff_ids[0]"),
    (strategies.round_robin_states, {"max_cursors": 1.0}, InvalidType, "$.max_cursors"),
    (strategies.round_robin_cursors, {"staff_ids": "s-1"}, InvalidType, "$.staff_ids"),
    (strategies.assignment_inputs, {"max_staff": 0}, ValidationError, "$.max_staff"),
    (strategies.assignment_inputs, {"assignable": "yes"}, InvalidType, "$.assignable"),
]


@pytest.mark.parametrize(("factory", "kwargs", "error", "path"), BAD_ARGUMENTS)
def test_bad_arguments_are_refused_when_the_strategy_is_made(factory, kwargs, error, path):
    """Arguments are checked eagerly, with the argument's path."""
    with pytest.raises(error) as caught:
        factory(**kwargs)
    assert path == caught.value.path


@given(strategies.staff_members(staff_ids=[StaffId("s-1")], roles=["closer"], pending_events=False))
def test_options_constrain_what_is_drawn(member):
    """Given ids and roles are the only ones drawn; stored members carry no pending events."""
    assert StaffId("s-1") == member.id
    assert set(member.roles) <= {"closer"}
    assert () == member.pending_events


@given(strategies.teams(staff_ids=[StaffId("s-1"), StaffId("s-2")], max_members=1))
def test_teams_draw_members_from_the_given_ids(team):
    """Members and managers come from the given ids."""
    assert set(team.members) <= {StaffId("s-1"), StaffId("s-2")}
    assert team.manager_id in {None, StaffId("s-1"), StaffId("s-2")}


@given(strategies.assignment_inputs())
def test_assignable_inputs_always_assign(inputs):
    """With ``assignable=True`` (the default), assign never raises."""
    assert assign(**inputs).owner_id in {m.id for m in inputs["staff"] if m.active}


@given(domain_events(types=[StaffMemberEvent, TeamEvent]))
def test_the_events_of_teams_round_trip(event):
    """Staff member and team events drawn from their types survive a document trip."""
    assert isinstance(event, StaffMemberEvent | TeamEvent)
    assert event == from_dict(DomainEvent, to_dict(event))


@given(
    st.one_of(
        *(
            make()
            for name, fields in strategies.EVENT_FIELDS.items()
            for make in fields.values()
            if name in {StaffRoleGranted.__name__, TeamFormed.__name__}
        )
    )
)
def test_event_fields_are_values_the_events_accept(value):
    """The constrained event fields draw values their events accept."""
    if isinstance(value, tuple):
        TeamFormed(
            sequence=1,
            occurred_at=datetime(2026, 1, 1, tzinfo=UTC),
            team_id=TeamId("t"),
            member_ids=value,
        )
    else:
        StaffRoleGranted(
            sequence=1,
            occurred_at=datetime(2026, 1, 1, tzinfo=UTC),
            staff_id=StaffId("s"),
            role=value,
        )
