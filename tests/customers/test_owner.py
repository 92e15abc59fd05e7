"""Tests for a customer's owner and team: registration, reassignment, its event and old documents."""

from datetime import datetime, timedelta, timezone

import pytest
from hypothesis import given
from hypothesis import strategies as st

from crmcore import DomainEvent, InvalidType, StaffId, ValidationError
from crmcore.customers import (
    ContactPoint,
    Customer,
    CustomerAssigned,
    CustomerId,
    CustomerRegistered,
    PersonName,
)
from crmcore.repository import InMemoryUnitOfWork
from crmcore.serialization import from_dict, to_dict
from crmcore.teams import TeamId
from crmcore.testing.strategies import customers

WIB = timezone(timedelta(hours=7))
T0 = datetime(2026, 1, 5, 9, 0, tzinfo=WIB)
HOUR = timedelta(hours=1)
REP1, REP2 = StaffId("rep-1"), StaffId("rep-2")
JKT, SBY = TeamId("team-jkt"), TeamId("team-sby")
META = {"actor": "ops-7", "correlation_id": "corr-1", "causation_id": "cmd-9"}


def ana(**options) -> Customer:
    arguments = {
        "name": PersonName("Ana", family="Putri"),
        "at": T0,
        "contact_points": [ContactPoint("email", "ana.putri@example.com")],
    }
    arguments.update(options)
    return Customer.register(CustomerId("c-1"), **arguments)


# -- registration ---------------------------------------------------------------------------


def test_a_customer_has_no_owner_or_team_unless_registered_with_them():
    registered = ana()
    assert (registered.owner, registered.team) == (None, None)
    event = registered.pending_events[0]
    assert (event.owner, event.team) == (None, None)


def test_the_owner_and_team_given_at_registration_are_kept_and_recorded():
    registered = ana(owner=REP1, team=JKT)
    assert (registered.owner, registered.team) == (REP1, JKT)
    event = registered.pending_events[0]
    assert isinstance(event, CustomerRegistered)
    assert (event.owner, event.team) == (REP1, JKT)


@pytest.mark.parametrize(
    ("options", "path"),
    [
        ({"owner": "rep-1"}, "$.owner"),
        ({"owner": TeamId("rep-1")}, "$.owner"),
        ({"team": "team-jkt"}, "$.team"),
        ({"team": StaffId("team-jkt")}, "$.team"),
        ({"team": 4}, "$.team"),
    ],
)
def test_registration_refuses_ids_of_the_wrong_type(options, path):
    with pytest.raises(InvalidType) as raised:
        ana(**options)
    assert raised.value.path == path


# -- reassignment ---------------------------------------------------------------------------


def test_reassign_sets_owner_and_team_in_one_event_with_the_envelope():
    before = ana(owner=REP1)
    after = before.assign(REP2, JKT, at=T0 + HOUR, **META)
    assert (after.owner, after.team) == (REP2, JKT)
    assert after.sequence == before.sequence + 1
    (event,) = after.pending_events[len(before.pending_events) :]
    assert isinstance(event, CustomerAssigned)
    assert (event.owner, event.previous_owner, event.team, event.previous_team) == (
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
    assert (event.occurred_at, event.sequence) == (T0 + HOUR, after.sequence)
    assert event.customer_id == CustomerId("c-1")


def test_leaving_the_team_out_keeps_it_and_none_clears_it():
    teamed = ana(owner=REP1, team=JKT)
    moved = teamed.assign(REP2, at=T0 + HOUR)
    assert (moved.owner, moved.team) == (REP2, JKT)
    event = moved.pending_events[-1]
    assert (event.team, event.previous_team) == (JKT, JKT)
    released = moved.assign(None, None, at=T0 + 2 * HOUR)
    assert (released.owner, released.team) == (None, None)
    event = released.pending_events[-1]
    assert (event.owner, event.previous_owner, event.team, event.previous_team) == (
        None,
        REP2,
        None,
        JKT,
    )


def test_a_team_change_alone_is_a_reassignment():
    moved = ana(owner=REP1, team=JKT).assign(REP1, team=SBY, at=T0 + HOUR)
    event = moved.pending_events[-1]
    assert (event.owner, event.previous_owner, event.team, event.previous_team) == (
        REP1,
        REP1,
        SBY,
        JKT,
    )


@pytest.mark.parametrize("team", [..., JKT])
def test_reassigning_to_the_same_owner_and_team_changes_nothing(team):
    registered = ana(owner=REP1, team=JKT)
    assert registered.assign(REP1, team, at=T0 + HOUR) is registered


def test_a_no_op_is_ignored_as_lead_assign_ignores_it():
    # Lead.assign with the owner the lead already has returns the same lead, records nothing.
    registered = ana()
    assert registered.assign(None, at=T0 + HOUR) is registered
    assert registered.assign(None, None, at=T0 + HOUR) is registered


@pytest.mark.parametrize(
    ("owner", "team", "path"),
    [
        ("rep-2", JKT, "$.owner"),
        (TeamId("rep-2"), JKT, "$.owner"),
        (REP2, "team-jkt", "$.team"),
        (REP2, StaffId("team-jkt"), "$.team"),
        (REP2, [JKT], "$.team"),
    ],
)
def test_reassign_refuses_wrong_types_and_changes_nothing(owner, team, path):
    registered = ana(owner=REP1, team=SBY)
    with pytest.raises(InvalidType) as raised:
        registered.assign(owner, team, at=T0 + HOUR)
    assert raised.value.path == path
    assert (registered.owner, registered.team) == (REP1, SBY)
    assert len(registered.pending_events) == 2


def test_reassign_refuses_a_time_before_the_last_change():
    registered = ana().add_tag("vip", at=T0 + 2 * HOUR)
    with pytest.raises(ValidationError) as raised:
        registered.assign(REP1, JKT, at=T0 + HOUR)
    assert raised.value.code == "time_backwards"
    with pytest.raises(ValidationError) as raised:
        registered.assign(REP1, JKT, at=datetime(2026, 1, 5, 12, 0))  # noqa: DTZ001 - naive
    assert raised.value.code == "naive_datetime"


def test_no_personal_data_in_the_events_or_the_repr():
    moved = ana(owner=REP1, team=JKT).assign(REP2, SBY, at=T0 + HOUR)
    for event in moved.pending_events[:1] + moved.pending_events[-1:]:
        document = str(to_dict(event))
        assert "Ana" not in document
        assert "Putri" not in document
        assert "example.com" not in document
    assert "Putri" not in repr(moved)
    assert "Putri" not in repr(moved.pending_events[-1])


# -- documents ------------------------------------------------------------------------------


def test_new_documents_round_trip():
    moved = ana(owner=REP1, team=JKT).assign(REP2, SBY, at=T0 + HOUR, **META)
    loaded = from_dict(Customer, to_dict(moved))
    assert loaded == moved
    assert (loaded.owner, loaded.team) == (REP2, SBY)
    for event in (moved.pending_events[0], moved.pending_events[-1]):
        assert from_dict(DomainEvent, to_dict(event)) == event
    document = to_dict(moved.pending_events[-1])
    assert (document["type"], document["owner"], document["previous_owner"]) == (
        "CustomerAssigned",
        "rep-2",
        "rep-1",
    )
    assert (document["team"], document["previous_team"]) == ("team-sby", "team-jkt")


def test_documents_written_before_owners_still_load():
    registered = ana().add_tag("vip", at=T0 + HOUR)
    document = to_dict(registered)
    del document["owner"]
    del document["team"]
    registration = document["pending_events"][0]
    assert registration["type"] == "CustomerRegistered"
    del registration["owner"]
    del registration["team"]
    loaded = from_dict(Customer, document)
    assert loaded == registered
    assert (loaded.owner, loaded.team) == (None, None)
    assert (loaded.pending_events[0].owner, loaded.pending_events[0].team) == (None, None)


def test_a_reassignment_event_without_previous_values_loads():
    event = ana().assign(REP1, JKT, at=T0 + HOUR).pending_events[-1]
    document = to_dict(event)
    del document["previous_owner"]
    del document["previous_team"]
    assert from_dict(DomainEvent, document) == event


def test_a_stored_document_with_a_bad_owner_is_refused():
    document = to_dict(ana())
    document["owner"] = "ana.putri@example.com"  # an id never looks like an email address
    with pytest.raises(ValidationError) as raised:
        from_dict(Customer, document)
    assert any(problem.path == "$.owner" for problem in raised.value.problems)


def test_saving_a_reassignment_bumps_the_version_and_keeps_owner_and_team():
    uow = InMemoryUnitOfWork()
    with uow:
        uow.customers.add(ana())
        uow.commit()
    with uow:
        stored = uow.customers.get(CustomerId("c-1"))
        saved = uow.customers.save(stored.assign(REP2, JKT, at=T0 + HOUR))
        uow.commit()
    assert saved.version == stored.version + 1
    with uow:
        loaded = uow.customers.get(CustomerId("c-1"))
    assert (loaded.owner, loaded.team, loaded.version) == (REP2, JKT, saved.version)
    assert [e.type for e in uow.collect_events()][-1] == "CustomerAssigned"


# -- property: many reassignment sequences --------------------------------------------------

OWNERS = st.sampled_from([None, REP1, REP2])
TEAM_CHOICES = st.sampled_from([..., None, JKT, SBY])
STEPS = st.lists(st.tuples(OWNERS, TEAM_CHOICES, st.integers(min_value=-2, max_value=3)))


@given(customers(), STEPS)
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
        assert isinstance(event, CustomerAssigned)
        assert (event.owner, event.team) == (after.owner, after.team) == (owner, wanted_team)
        assert (event.previous_owner, event.previous_team) == (current.owner, current.team)
        assert event.sequence == after.sequence
        assert event.occurred_at == after.updated_at == at
        current = after
    registered = current.pending_events[0]
    changes = [e for e in current.pending_events if isinstance(e, CustomerAssigned)]
    last = changes[-1] if changes else registered
    assert (last.owner, last.team) == (current.owner, current.team)
    times = [e.occurred_at for e in current.pending_events]
    assert times == sorted(times)
    assert from_dict(Customer, to_dict(current)) == current
