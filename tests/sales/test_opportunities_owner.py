"""Tests for an opportunity's owner and team: opening, reassignment, its event and old documents."""

from datetime import date, datetime, timedelta, timezone

import pytest
from hypothesis import given
from hypothesis import strategies as st

from crmcore import DomainEvent, InvalidType, Money, StaffId, ValidationError
from crmcore.customers import CustomerId
from crmcore.repository import InMemoryUnitOfWork
from crmcore.sales import (
    STANDARD_PIPELINE,
    Opportunity,
    OpportunityId,
    OpportunityOpened,
    OpportunityOwnerChanged,
)
from crmcore.serialization import from_dict, to_dict
from crmcore.teams import TeamId
from crmcore.testing.strategies import opportunities

WIB = timezone(timedelta(hours=7))
T0 = datetime(2026, 3, 2, 9, 0, tzinfo=WIB)
HOUR = timedelta(hours=1)
REP1, REP2 = StaffId("rep-1"), StaffId("rep-2")
JKT, SBY = TeamId("team-jkt"), TeamId("team-sby")
META = {"actor": "ops-7", "correlation_id": "corr-1", "causation_id": "cmd-9"}


def deal(**changes):
    fields = {
        "customer_id": CustomerId("c-1"),
        "name": "Coffee machines for Ibu Sari's offices",
        "amount": Money(45_000_000, "IDR"),
        "expected_close": date(2026, 4, 30),
        "owner": REP1,
        "pipeline": STANDARD_PIPELINE,
        "at": T0,
    }
    fields.update(changes)
    return Opportunity.open(OpportunityId("opp-1"), **fields)


# -- opening --------------------------------------------------------------------------------


def test_an_opportunity_has_no_team_unless_opened_with_one():
    assert deal().team is None
    assert deal().pending_events[0].team is None


def test_the_team_given_at_opening_is_kept_and_recorded():
    opened = deal(team=JKT)
    assert (opened.owner, opened.team) == (REP1, JKT)
    event = opened.pending_events[0]
    assert isinstance(event, OpportunityOpened)
    assert (event.owner, event.team) == (REP1, JKT)


@pytest.mark.parametrize("team", ["team-jkt", StaffId("team-jkt"), 7])
def test_opening_refuses_a_team_that_is_not_a_team_id(team):
    with pytest.raises(InvalidType) as raised:
        deal(team=team)
    assert raised.value.path == "$.team"


# -- reassignment ---------------------------------------------------------------------------


def test_assign_sets_owner_and_team_in_one_event_with_the_envelope():
    before = deal()
    after = before.assign(REP2, JKT, at=T0 + HOUR, **META)
    assert (after.owner, after.team) == (REP2, JKT)
    assert after.sequence == before.sequence + 1
    (event,) = after.pending_events[len(before.pending_events) :]
    assert isinstance(event, OpportunityOwnerChanged)
    assert (event.owner, event.previous, event.team, event.previous_team) == (
        REP2,
        REP1,
        JKT,
        None,
    )
    assert (event.actor, event.correlation_id, event.causation_id) == (
        "ops-7",
        "corr-1",
        "cmd-9",
    )
    assert event.occurred_at == T0 + HOUR
    assert event.sequence == after.sequence


def test_leaving_the_team_out_keeps_it_and_none_clears_it():
    teamed = deal(team=JKT)
    moved = teamed.assign(REP2, at=T0 + HOUR)
    assert (moved.owner, moved.team) == (REP2, JKT)
    event = moved.pending_events[-1]
    assert (event.team, event.previous_team) == (JKT, JKT)
    cleared = moved.assign(REP2, None, at=T0 + 2 * HOUR)
    assert (cleared.owner, cleared.team) == (REP2, None)
    event = cleared.pending_events[-1]
    assert (event.owner, event.previous, event.team, event.previous_team) == (
        REP2,
        REP2,
        None,
        JKT,
    )


def test_a_team_change_alone_is_a_reassignment():
    moved = deal(team=JKT).assign(REP1, team=SBY, at=T0 + HOUR)
    event = moved.pending_events[-1]
    assert isinstance(event, OpportunityOwnerChanged)
    assert (event.owner, event.previous, event.team, event.previous_team) == (
        REP1,
        REP1,
        SBY,
        JKT,
    )


@pytest.mark.parametrize("team", [..., JKT])
def test_reassigning_to_the_same_owner_and_team_changes_nothing(team):
    opened = deal(team=JKT)
    assert opened.assign(REP1, team, at=T0 + HOUR) is opened


def test_the_existing_positional_call_still_works():
    moved = deal().assign(REP2, at=T0 + HOUR)
    assert (moved.owner, moved.team) == (REP2, None)


@pytest.mark.parametrize(
    ("owner", "team", "path"),
    [
        (None, JKT, "$.owner"),
        ("rep-2", JKT, "$.owner"),
        (REP2, "team-jkt", "$.team"),
        (REP2, StaffId("team-jkt"), "$.team"),
        (REP2, 3, "$.team"),
    ],
)
def test_assign_refuses_wrong_types_and_changes_nothing(owner, team, path):
    opened = deal(team=SBY)
    with pytest.raises(InvalidType) as raised:
        opened.assign(owner, team, at=T0 + HOUR)
    assert raised.value.path == path
    assert (opened.owner, opened.team, len(opened.pending_events)) == (REP1, SBY, 1)


def test_assign_refuses_a_time_before_the_last_change():
    opened = deal()
    with pytest.raises(ValidationError) as raised:
        opened.assign(REP2, JKT, at=T0 - HOUR)
    assert raised.value.code == "time_backwards"


def test_no_personal_data_in_the_reassignment_event_or_repr():
    moved = deal(team=JKT).assign(REP2, SBY, at=T0 + HOUR)
    document = str(to_dict(moved.pending_events[-1]))
    assert "Sari" not in document
    assert "Coffee" not in document
    assert "Sari" not in repr(moved)


# -- documents ------------------------------------------------------------------------------


def test_new_documents_round_trip():
    moved = deal(team=JKT).assign(REP2, SBY, at=T0 + HOUR, **META)
    loaded = from_dict(Opportunity, to_dict(moved))
    assert loaded == moved
    assert (loaded.owner, loaded.team) == (REP2, SBY)
    event = moved.pending_events[-1]
    assert from_dict(DomainEvent, to_dict(event)) == event
    assert to_dict(event)["team"] == "team-sby"
    assert to_dict(event)["previous_team"] == "team-jkt"


def test_documents_written_before_teams_still_load():
    moved = deal().assign(REP2, at=T0 + HOUR)
    document = to_dict(moved)
    del document["team"]
    for event in document["pending_events"]:
        event.pop("team", None)
        event.pop("previous_team", None)
    loaded = from_dict(Opportunity, document)
    assert loaded == moved
    assert loaded.team is None
    opened, changed = loaded.pending_events
    assert opened.team is None
    assert (changed.owner, changed.previous, changed.team, changed.previous_team) == (
        REP2,
        REP1,
        None,
        None,
    )


def test_a_stored_document_with_a_bad_team_is_refused():
    document = to_dict(deal())
    document["team"] = "not an id!"
    with pytest.raises(ValidationError) as raised:
        from_dict(Opportunity, document)
    assert any(problem.path == "$.team" for problem in raised.value.problems)


def test_saving_a_reassignment_bumps_the_version_and_keeps_owner_and_team():
    uow = InMemoryUnitOfWork(check_references=False)
    with uow:
        uow.opportunities.add(deal())
        uow.commit()
    with uow:
        stored = uow.opportunities.get(OpportunityId("opp-1"))
        saved = uow.opportunities.save(stored.assign(REP2, JKT, at=T0 + HOUR))
        uow.commit()
    assert saved.version == stored.version + 1
    with uow:
        loaded = uow.opportunities.get(OpportunityId("opp-1"))
    assert (loaded.owner, loaded.team, loaded.version) == (REP2, JKT, saved.version)


# -- property: many reassignment sequences --------------------------------------------------

STAFF = st.sampled_from([REP1, REP2, StaffId("rep-3")])
TEAM_CHOICES = st.sampled_from([..., None, JKT, SBY])
STEPS = st.lists(st.tuples(STAFF, TEAM_CHOICES, st.integers(min_value=-2, max_value=3)))


@given(opportunities(), STEPS)
def test_owner_and_team_follow_the_last_reassignment(start, steps):
    current = start
    for owner, team, hours in steps:
        at = current.updated_at + timedelta(hours=hours)
        if hours < 0:
            with pytest.raises(ValidationError) as raised:
                current.assign(owner, team, at=at)
            assert raised.value.code == "time_backwards"
            continue
        wanted_team = current.team if team is ... else team
        after = current.assign(owner, team, at=at)
        if (owner, wanted_team) == (current.owner, current.team):
            assert after is current
            continue
        assert after.sequence == current.sequence + 1
        assert after.pending_events[:-1] == current.pending_events
        event = after.pending_events[-1]
        assert isinstance(event, OpportunityOwnerChanged)
        assert (event.owner, event.team) == (after.owner, after.team) == (owner, wanted_team)
        assert (event.previous, event.previous_team) == (current.owner, current.team)
        assert event.sequence == after.sequence
        assert event.occurred_at == after.updated_at == at
        current = after
    changes = [e for e in current.pending_events if isinstance(e, OpportunityOwnerChanged)]
    if changes:
        assert (changes[-1].owner, changes[-1].team) == (current.owner, current.team)
    times = [e.occurred_at for e in current.pending_events]
    assert times == sorted(times)
    assert from_dict(Opportunity, to_dict(current)) == current
