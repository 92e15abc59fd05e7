"""Tests for a case's owner (its assignee) and team: opening, assignment, its event, old documents."""

from datetime import UTC, datetime, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from crmcore import CustomerId, DomainEvent, InvalidType, StaffId, ValidationError
from crmcore.repository import InMemoryUnitOfWork
from crmcore.serialization import from_dict, to_dict
from crmcore.service import Case, CaseAssigned, CaseId, CaseOpened
from crmcore.teams import TeamId
from crmcore.testing.strategies import cases

T0 = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)
HOUR = timedelta(hours=1)
AGENT1, AGENT2 = StaffId("agent-1"), StaffId("agent-2")
TIER1, TIER2 = TeamId("tier-1"), TeamId("tier-2")
META = {"actor": "ops-7", "correlation_id": "corr-1", "causation_id": "cmd-9"}


def new_case(**options) -> Case:
    arguments = {
        "customer_id": CustomerId("c-1"),
        "kind": "complaint",
        "subject": "Parcel for Ana Putri arrived damaged",
        "channel": "email",
        "at": T0,
        "description": "The box was crushed; Ana Putri, Jl. Merdeka 10.",
    }
    arguments.update(options)
    return Case.open(CaseId("case-1"), **arguments)


# -- opening --------------------------------------------------------------------------------


def test_a_case_has_no_team_unless_opened_with_one():
    opened = new_case()
    assert (opened.assignee, opened.team) == (None, None)
    assert opened.pending_events[0].team is None


def test_the_assignee_and_team_given_at_opening_are_kept_and_recorded():
    opened = new_case(assignee=AGENT1, team=TIER1)
    assert (opened.assignee, opened.team) == (AGENT1, TIER1)
    event = opened.pending_events[0]
    assert isinstance(event, CaseOpened)
    assert (event.assignee, event.team) == (AGENT1, TIER1)


@pytest.mark.parametrize("team", ["tier-1", StaffId("tier-1"), 1.5])
def test_opening_refuses_a_team_that_is_not_a_team_id(team):
    with pytest.raises(InvalidType) as raised:
        new_case(team=team)
    assert raised.value.path == "$.team"


# -- assignment -----------------------------------------------------------------------------


def test_assign_sets_assignee_and_team_in_one_event_with_the_envelope():
    before = new_case()
    after = before.assign(AGENT1, TIER1, at=T0 + HOUR, **META)
    assert (after.assignee, after.team) == (AGENT1, TIER1)
    assert after.sequence == before.sequence + 1
    (event,) = after.pending_events[len(before.pending_events) :]
    assert isinstance(event, CaseAssigned)
    assert (event.assignee, event.previous, event.team, event.previous_team) == (
        AGENT1,
        None,
        TIER1,
        None,
    )
    assert (event.actor, event.correlation_id, event.causation_id) == (
        "ops-7",
        "corr-1",
        "cmd-9",
    )
    assert event.occurred_at == T0 + HOUR


def test_leaving_the_team_out_keeps_it_and_none_clears_it():
    queued = new_case(team=TIER1)
    taken = queued.assign(AGENT1, at=T0 + HOUR)
    assert (taken.assignee, taken.team) == (AGENT1, TIER1)
    assert (taken.pending_events[-1].team, taken.pending_events[-1].previous_team) == (
        TIER1,
        TIER1,
    )
    released = taken.assign(None, None, at=T0 + 2 * HOUR)
    assert (released.assignee, released.team) == (None, None)
    event = released.pending_events[-1]
    assert (event.assignee, event.previous, event.team, event.previous_team) == (
        None,
        AGENT1,
        None,
        TIER1,
    )


def test_moving_a_case_to_another_queue_alone_is_an_assignment():
    moved = new_case(team=TIER1).assign(None, team=TIER2, at=T0 + HOUR)
    event = moved.pending_events[-1]
    assert isinstance(event, CaseAssigned)
    assert (event.assignee, event.previous, event.team, event.previous_team) == (
        None,
        None,
        TIER2,
        TIER1,
    )


@pytest.mark.parametrize("team", [..., TIER1])
def test_assigning_the_same_assignee_and_team_changes_nothing(team):
    opened = new_case(assignee=AGENT1, team=TIER1)
    assert opened.assign(AGENT1, team, at=T0 + HOUR) is opened


def test_the_existing_call_still_works():
    taken = new_case().assign(AGENT2, at=T0 + HOUR)
    assert (taken.assignee, taken.team) == (AGENT2, None)
    assert taken.assign(None, at=T0 + HOUR).assignee is None


@pytest.mark.parametrize(
    ("assignee", "team", "path"),
    [
        ("agent-2", TIER1, "$.assignee"),
        (AGENT2, "tier-1", "$.team"),
        (AGENT2, StaffId("tier-1"), "$.team"),
        (AGENT2, 0, "$.team"),
    ],
)
def test_assign_refuses_wrong_types_and_changes_nothing(assignee, team, path):
    opened = new_case(assignee=AGENT1, team=TIER2)
    with pytest.raises(InvalidType) as raised:
        opened.assign(assignee, team, at=T0 + HOUR)
    assert raised.value.path == path
    assert (opened.assignee, opened.team, len(opened.pending_events)) == (AGENT1, TIER2, 1)


def test_assign_refuses_a_time_before_the_last_change():
    with pytest.raises(ValidationError) as raised:
        new_case().assign(AGENT1, TIER1, at=T0 - HOUR)
    assert raised.value.code == "time_backwards"


def test_no_personal_data_in_the_assignment_event_or_repr():
    moved = new_case(team=TIER1).assign(AGENT2, TIER2, at=T0 + HOUR)
    document = str(to_dict(moved.pending_events[-1]))
    assert "Ana" not in document
    assert "Merdeka" not in document
    assert "Ana" not in repr(moved)


# -- documents ------------------------------------------------------------------------------


def test_new_documents_round_trip():
    moved = new_case(team=TIER1).assign(AGENT2, TIER2, at=T0 + HOUR, **META)
    loaded = from_dict(Case, to_dict(moved))
    assert loaded == moved
    assert (loaded.assignee, loaded.team) == (AGENT2, TIER2)
    event = moved.pending_events[-1]
    assert from_dict(DomainEvent, to_dict(event)) == event
    assert (to_dict(event)["team"], to_dict(event)["previous_team"]) == ("tier-2", "tier-1")


def test_documents_written_before_teams_still_load():
    moved = new_case().assign(AGENT1, at=T0 + HOUR)
    document = to_dict(moved)
    del document["team"]
    for event in document["pending_events"]:
        event.pop("team", None)
        event.pop("previous_team", None)
    loaded = from_dict(Case, document)
    assert loaded == moved
    assert loaded.team is None
    opened, assigned = loaded.pending_events
    assert opened.team is None
    assert (assigned.assignee, assigned.team, assigned.previous_team) == (AGENT1, None, None)


def test_a_stored_document_with_a_bad_team_is_refused():
    document = to_dict(new_case())
    document["team"] = 12
    with pytest.raises(ValidationError) as raised:
        from_dict(Case, document)
    assert any(problem.path == "$.team" for problem in raised.value.problems)


def test_saving_an_assignment_bumps_the_version_and_keeps_assignee_and_team():
    uow = InMemoryUnitOfWork(check_references=False)
    with uow:
        uow.cases.add(new_case())
        uow.commit()
    with uow:
        stored = uow.cases.get(CaseId("case-1"))
        saved = uow.cases.save(stored.assign(AGENT1, TIER1, at=T0 + HOUR))
        uow.commit()
    assert saved.version == stored.version + 1
    with uow:
        loaded = uow.cases.get(CaseId("case-1"))
    assert (loaded.assignee, loaded.team, loaded.version) == (AGENT1, TIER1, saved.version)


# -- property: many assignment sequences ----------------------------------------------------

ASSIGNEES = st.sampled_from([None, AGENT1, AGENT2])
TEAM_CHOICES = st.sampled_from([..., None, TIER1, TIER2])
STEPS = st.lists(st.tuples(ASSIGNEES, TEAM_CHOICES, st.integers(min_value=-2, max_value=3)))


@given(cases(), STEPS)
def test_assignee_and_team_follow_the_last_assignment(start, steps):
    current = start
    for assignee, team, hours in steps:
        at = current.updated_at + timedelta(hours=hours)
        if hours < 0:
            with pytest.raises(ValidationError) as raised:
                current.assign(assignee, team, at=at)
            assert raised.value.code == "time_backwards"
            continue
        wanted_team = current.team if team is ... else team
        after = current.assign(assignee, team, at=at)
        if (assignee, wanted_team) == (current.assignee, current.team):
            assert after is current
            continue
        assert after.sequence == current.sequence + 1
        assert after.pending_events[:-1] == current.pending_events
        event = after.pending_events[-1]
        assert isinstance(event, CaseAssigned)
        assert (event.assignee, event.team) == (after.assignee, after.team)
        assert (event.assignee, event.team) == (assignee, wanted_team)
        assert (event.previous, event.previous_team) == (current.assignee, current.team)
        assert event.sequence == after.sequence
        assert event.occurred_at == after.updated_at == at
        current = after
    changes = [e for e in current.pending_events if isinstance(e, CaseAssigned)]
    if changes:
        assert (changes[-1].assignee, changes[-1].team) == (current.assignee, current.team)
    times = [e.occurred_at for e in current.pending_events]
    assert times == sorted(times)
    assert from_dict(Case, to_dict(current)) == current
