"""Tests for `crmcore.teams._team`: the Team aggregate and its events."""

from datetime import UTC, datetime, timedelta

import pytest
from hypothesis import given

from crmcore import InvalidType, StaffId, ValidationError
from crmcore.serialization import from_dict, to_dict
from crmcore.teams import (
    Team,
    TeamFormed,
    TeamId,
    TeamManagerChanged,
    TeamMemberAdded,
    TeamMemberRemoved,
    TeamRenamed,
)
from crmcore.teams._team import MAX_MEMBERS
from crmcore.testing.strategies._teams import teams

T0 = datetime(2026, 5, 4, 9, 0, tzinfo=UTC)
T1 = T0 + timedelta(days=1)
A, B, C, M = StaffId("s-a"), StaffId("s-b"), StaffId("s-c"), StaffId("s-m")


def jakarta(**kwargs):
    arguments = {"name": "Jakarta enterprise", "members": [A, B], "manager_id": M, "at": T0}
    return Team.form(TeamId("t-jkt"), **{**arguments, **kwargs})


def test_form_records_the_members_and_the_manager():
    """Forming a team records TeamFormed with the members in order and the manager."""
    team = jakarta(correlation_id="req-1")
    (event,) = team.pending_events
    assert isinstance(event, TeamFormed)
    assert "team:t-jkt#1" == event.event_id
    assert (A, B) == event.member_ids == team.members
    assert M == event.manager_id == team.manager_id
    assert "req-1" == event.correlation_id


def test_the_name_stays_out_of_events_and_repr():
    """Events carry codes, not the team's name; the repr shows counts and ids."""
    team = jakarta().rename("Tim Budi", at=T1)
    assert "Tim Budi" == team.name
    assert "Tim Budi" not in repr(team)
    assert all("Tim Budi" not in str(to_dict(e)) for e in team.pending_events)
    assert isinstance(team.pending_events[-1], TeamRenamed)


def test_members_join_at_the_end_and_leave_from_anywhere():
    """add_member appends; remove_member keeps the others' order."""
    team = jakarta().add_member(C, at=T0).remove_member(A, at=T1)
    assert (B, C) == team.members
    added, removed = team.pending_events[1:]
    assert isinstance(added, TeamMemberAdded)
    assert C == added.staff_id
    assert isinstance(removed, TeamMemberRemoved)
    assert A == removed.staff_id
    assert team.has_member(B)
    assert not team.has_member(A)


def test_the_manager_need_not_be_a_member():
    """The manager leads the team without being in its members; removing a member keeps them."""
    team = jakarta()
    assert M not in team.members
    assert M == team.remove_member(M, at=T1).manager_id


def test_changing_the_manager_records_both_ends():
    """TeamManagerChanged names the new and the previous manager; None removes the manager."""
    team = jakarta().change_manager(A, at=T1).change_manager(None, at=T1)
    first, second = team.pending_events[1:]
    assert isinstance(first, TeamManagerChanged)
    assert (A, M) == (first.manager_id, first.previous_manager_id)
    assert (None, A) == (second.manager_id, second.previous_manager_id)
    assert team.manager_id is None


@pytest.mark.parametrize(
    "command",
    [
        lambda t: t.add_member(A, at=T1),
        lambda t: t.remove_member(C, at=T1),
        lambda t: t.change_manager(M, at=T1),
        lambda t: t.rename("Jakarta  enterprise ", at=T1),
    ],
)
def test_commands_that_change_nothing_record_nothing(command):
    """Adding a member again, removing a non-member, the same manager or name: no event."""
    team = jakarta()
    assert team is command(team)


@pytest.mark.parametrize(
    ("kwargs", "error", "path", "code"),
    [
        ({"members": [A, A]}, ValidationError, "$.members[1]", "duplicate"),
        ({"members": [A, "s-b"]}, InvalidType, "$.members[1]", "type"),
        ({"members": A}, InvalidType, "$.members", "type"),
        ({"manager_id": "s-m"}, InvalidType, "$.manager_id", "type"),
        ({"name": ""}, ValidationError, "$.name", "too_short"),
        ({"name": "x" * 201}, ValidationError, "$.name", "too_long"),
        ({"at": "2026-05-04"}, InvalidType, "$.at", "type"),
    ],
)
def test_form_refuses_bad_input_naming_the_field(kwargs, error, path, code):
    """Each bad argument raises its specific error at its path."""
    with pytest.raises(error) as caught:
        jakarta(**kwargs)
    assert (path, code) == (caught.value.path, caught.value.code)


def test_form_refuses_too_many_members_before_looking_at_them():
    """More than MAX_MEMBERS members is refused as too_many."""
    with pytest.raises(ValidationError) as caught:
        jakarta(members=[StaffId(f"s-{n}") for n in range(MAX_MEMBERS + 1)])
    assert ("$.members", "too_many") == (caught.value.path, caught.value.code)


@pytest.mark.parametrize(
    ("command", "error", "path"),
    [
        (lambda t: t.add_member("s-c", at=T1), InvalidType, "$.staff_id"),
        (lambda t: t.remove_member(None, at=T1), InvalidType, "$.staff_id"),
        (lambda t: t.change_manager("s-c", at=T1), InvalidType, "$.manager_id"),
        (lambda t: t.add_member(C, at=T0 - timedelta(1)), ValidationError, "$.at"),
        (lambda t: t.rename("\x1b[31m", at=T1), ValidationError, "$.name"),
        (lambda t: t.has_member("s-a"), InvalidType, "$.staff_id"),
    ],
)
def test_failed_commands_leave_the_team_unchanged(command, error, path):
    """A refused command raises at its path and the team is as it was."""
    team = jakarta()
    before = to_dict(team)
    with pytest.raises(error) as caught:
        command(team)
    assert path == caught.value.path
    assert before == to_dict(team)


def test_a_document_round_trips_and_is_checked():
    """A team survives a document trip; a document naming a member twice is refused."""
    team = jakarta().add_member(C, at=T1)
    assert team == from_dict(Team, to_dict(team))
    document = to_dict(team.without_pending_events())
    document["members"] = ["s-a", "s-a"]
    with pytest.raises(ValidationError) as caught:
        from_dict(Team, document)
    assert [("$.members[1]", "duplicate")] == [(p.path, p.code) for p in caught.value.problems]


@given(teams())
def test_drawn_teams_round_trip_with_members_once_each(team):
    """Every drawn team survives a document trip; members are unique; events are in sequence."""
    assert team == from_dict(Team, to_dict(team))
    assert len(set(team.members)) == len(team.members)
    assert [e.sequence for e in team.pending_events] == list(range(1, team.sequence + 1))
    assert all(e.team_id == team.id for e in team.pending_events)


@given(teams(staff_ids=[A, B, C, M]))
def test_replaying_the_events_gives_the_members_and_manager(team):
    """The events alone say who the members and the manager are."""
    members: list[StaffId] = []
    manager = None
    for event in team.pending_events:
        if isinstance(event, TeamFormed):
            members, manager = list(event.member_ids), event.manager_id
        elif isinstance(event, TeamMemberAdded):
            members.append(event.staff_id)
        elif isinstance(event, TeamMemberRemoved):
            members.remove(event.staff_id)
        elif isinstance(event, TeamManagerChanged):
            assert manager == event.previous_manager_id
            manager = event.manager_id
    assert tuple(members) == team.members
    assert manager == team.manager_id


def test_a_full_team_refuses_another_member():
    """Adding past MAX_MEMBERS is refused with too_many and leaves the team as it was."""
    team = jakarta(members=[StaffId(f"s-{n}") for n in range(MAX_MEMBERS)], manager_id=None)
    with pytest.raises(ValidationError) as caught:
        team.add_member(StaffId("s-one-more"), at=T1)
    assert ("$.members", "too_many") == (caught.value.path, caught.value.code)
    assert MAX_MEMBERS == len(team.members)
