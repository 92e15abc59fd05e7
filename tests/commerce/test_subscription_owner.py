"""Tests for a subscription's owner and team: at the start, on assignment, in documents."""

import json
from datetime import UTC, datetime, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from crmcore import InvalidType, Money, StaffId, ValidationError
from crmcore.commerce import (
    Period,
    Plan,
    PlanId,
    Subscription,
    SubscriptionAssigned,
    SubscriptionId,
    SubscriptionStarted,
)
from crmcore.customers import CustomerId
from crmcore.serialization import from_dict, to_dict
from crmcore.teams import TeamId

T0 = datetime(2026, 1, 31, 12, 0, tzinfo=UTC)
PLAN = Plan(
    id=PlanId("basic"),
    name="Basic",
    price=Money("9.99", "EUR"),
    period=Period.months(1),
    product_type="Streaming",
)
REP, OTHER = StaffId("rep-1"), StaffId("rep-2")
TEAM, OTHER_TEAM = TeamId("t-1"), TeamId("t-2")


def start(**options: object) -> Subscription:
    return Subscription.start(
        SubscriptionId("s-1"), customer_id=CustomerId("c-1"), plan=PLAN, at=T0, **options
    )


def roundtrip(subscription: Subscription) -> Subscription:
    return from_dict(Subscription, json.loads(json.dumps(to_dict(subscription))))


def test_a_subscription_starts_with_an_owner_and_a_team_or_without():
    plain = start()
    assert (None, None) == (plain.owner, plain.team)
    owned = start(owner=REP, team=TEAM)
    assert (REP, TEAM) == (owned.owner, owned.team)
    started = owned.pending_events[0]
    assert isinstance(started, SubscriptionStarted)
    assert (REP, TEAM) == (started.owner, started.team)


def test_assign_records_owner_and_team_and_keeps_or_clears_the_team():
    owned = start(owner=REP, team=TEAM).without_pending_events()
    later = T0 + timedelta(days=1)
    moved = owned.assign(OTHER, at=later, actor="lead-1")
    assert (OTHER, TEAM) == (moved.owner, moved.team)
    (event,) = moved.pending_events
    assert isinstance(event, SubscriptionAssigned)
    assert (OTHER, REP, TEAM, TEAM) == (
        event.owner,
        event.previous,
        event.team,
        event.previous_team,
    )
    assert "lead-1" == event.actor
    cleared = moved.assign(OTHER, None, at=later)
    assert (OTHER, None) == (cleared.owner, cleared.team)
    assert cleared.pending_events[-1].previous_team == TEAM
    nobody = cleared.assign(None, OTHER_TEAM, at=later)
    assert (None, OTHER_TEAM) == (nobody.owner, nobody.team)


def test_the_same_owner_and_team_record_nothing():
    owned = start(owner=REP, team=TEAM).without_pending_events()
    assert owned.assign(REP, TEAM, at=T0 + timedelta(days=1)) is owned
    assert owned.assign(REP, at=T0 + timedelta(days=1)) is owned


@pytest.mark.parametrize(
    ("owner", "team", "path"),
    [("rep-1", ..., "$.owner"), (REP, "t-1", "$.team"), (TeamId("t-1"), ..., "$.owner")],
)
def test_wrong_types_are_refused_and_nothing_changes(owner, team, path):
    owned = start(owner=REP, team=TEAM).without_pending_events()
    with pytest.raises(InvalidType) as caught:
        owned.assign(owner, team, at=T0 + timedelta(days=1))
    assert path == caught.value.path
    assert (REP, TEAM, ()) == (owned.owner, owned.team, owned.pending_events)


def test_an_assignment_before_the_last_change_is_refused():
    owned = start(owner=REP).without_pending_events()
    with pytest.raises(ValidationError) as caught:
        owned.assign(OTHER, at=T0 - timedelta(seconds=1))
    assert "time_backwards" == caught.value.code


def test_documents_round_trip_and_old_documents_load_without_owner_or_team():
    owned = start(owner=REP, team=TEAM).assign(OTHER, at=T0 + timedelta(hours=1))
    assert roundtrip(owned) == owned
    for event in owned.pending_events:
        assert from_dict(type(event), json.loads(json.dumps(to_dict(event)))) == event
    document = to_dict(start().without_pending_events())
    del document["owner"], document["team"]
    old = from_dict(Subscription, document)
    assert (None, None) == (old.owner, old.team)
    document["team"] = "not a team id!"
    with pytest.raises(ValidationError):
        from_dict(Subscription, document)


@given(
    st.lists(
        st.tuples(
            st.sampled_from([None, REP, OTHER]), st.sampled_from([..., None, TEAM, OTHER_TEAM])
        ),
        max_size=8,
    )
)
def test_owner_and_team_follow_the_last_assignment(steps):
    subscription = start().without_pending_events()
    when = T0
    for owner, team in steps:
        when += timedelta(minutes=5)
        before = subscription
        subscription = subscription.assign(owner, team, at=when)
        expected_team = before.team if team is ... else team
        assert (owner, expected_team) == (subscription.owner, subscription.team)
        changed = (owner, expected_team) != (before.owner, before.team)
        assert len(subscription.pending_events) == len(before.pending_events) + changed
        if changed:
            event = subscription.pending_events[-1]
            assert (event.owner, event.team) == (owner, expected_team)
            assert (event.previous, event.previous_team) == (before.owner, before.team)
