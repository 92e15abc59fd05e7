"""Tests for `crmcore.activities._completion`: completing through a unit, logging the interaction."""

from datetime import UTC, datetime, timedelta

import attrs
import pytest

from crmcore import InvalidType, ValidationError
from crmcore._kernel._ids import (
    CaseId,
    CustomerId,
    InteractionId,
    LeadId,
    OpportunityId,
    StaffId,
)
from crmcore.activities import (
    Activity,
    ActivityCompletion,
    ActivityId,
    ActivityStatus,
    RecordRef,
    complete_activity_in,
)
from crmcore.customers import Channel
from crmcore.errors import DuplicateId, NotFound, TransitionNotAllowed
from crmcore.interactions import Direction, Interaction, InteractionKind

AT = datetime(2026, 3, 2, 8, 0, tzinfo=UTC)
DUE = datetime(2026, 3, 3, 8, 0, tzinfo=UTC)
DONE_AT = DUE + timedelta(minutes=40)


class _Repo:
    """A dictionary behind the get/save/add a unit of work's repositories offer."""

    def __init__(self):
        self.items = {}

    def get(self, aggregate_id):
        if aggregate_id not in self.items:
            raise NotFound("activity", aggregate_id)
        return self.items[aggregate_id]

    def add(self, aggregate):
        assert aggregate.id not in self.items
        self.items[aggregate.id] = aggregate
        return aggregate.without_pending_events()

    def __contains__(self, aggregate_id):
        return aggregate_id in self.items

    def save(self, aggregate):
        assert aggregate.id in self.items
        self.items[aggregate.id] = aggregate
        return attrs.evolve(aggregate.without_pending_events(), version=aggregate.version + 1)


@attrs.define
class _Unit:
    activities: _Repo = attrs.Factory(_Repo)
    interactions: _Repo = attrs.Factory(_Repo)


def _unit_with(**changes):
    arguments = {
        "kind": "call",
        "subject": "Call Pak Budi about the invoice",
        "due_at": DUE,
        "at": AT,
        "owner_id": StaffId("s-rina"),
        "link": CustomerId("c-budi"),
        "duration": timedelta(minutes=15),
    }
    arguments.update(changes)
    unit = _Unit()
    unit.activities.add(Activity.plan(ActivityId("act-1"), **arguments))
    return unit


def _complete(unit, **changes):
    arguments = {"at": DONE_AT, "interaction_id": InteractionId("i-1"), "outcome": "Will pay"}
    arguments.update(changes)
    return complete_activity_in(unit, ActivityId("act-1"), **arguments)


def test_a_call_is_completed_and_logged_on_the_timeline():
    """The call becomes done and an outbound phone call with the customer is logged."""
    unit = _unit_with()
    result = _complete(unit, actual_at=DUE)
    assert isinstance(result, ActivityCompletion)
    assert result.activity.status is ActivityStatus.DONE
    assert result.activity.version == 1
    logged = unit.interactions.items[InteractionId("i-1")]
    assert isinstance(logged, Interaction)
    assert (logged.customer_id, logged.kind, logged.channel, logged.direction) == (
        CustomerId("c-budi"),
        InteractionKind.CALL,
        Channel.PHONE,
        Direction.OUTBOUND,
    )
    assert (logged.occurred_at, logged.staff_id, logged.duration) == (
        DUE,
        StaffId("s-rina"),
        timedelta(minutes=15),
    )
    assert (logged.subject, logged.notes) == ("Call Pak Budi about the invoice", "Will pay")
    completed = unit.activities.items[ActivityId("act-1")].pending_events[-1]
    assert logged.pending_events[0].causation_id == completed.event_id
    assert result.interaction == logged.without_pending_events()


def test_a_meeting_takes_the_first_contact_and_the_case_or_opportunity_link():
    """Without a customer link, the first contact; a case or opportunity link is copied."""
    unit = _unit_with(
        kind="meeting", link=CaseId("case-9"), contacts=[CustomerId("c-2"), CustomerId("c-3")]
    )
    result = _complete(unit, duration=timedelta(hours=1), direction="inbound", actor="s-rina")
    logged = result.interaction
    assert (logged.customer_id, logged.kind, logged.channel, logged.case_id) == (
        CustomerId("c-2"),
        InteractionKind.MEETING,
        Channel.IN_PERSON,
        CaseId("case-9"),
    )
    assert (logged.direction, logged.duration, logged.occurred_at) == (
        Direction.INBOUND,
        timedelta(hours=1),
        DONE_AT,
    )
    unit = _unit_with(link=OpportunityId("opp-1"), contacts=[CustomerId("c-4")])
    assert _complete(unit, channel="whatsapp").interaction.opportunity_id == OpportunityId("opp-1")


def test_the_caller_causation_id_is_kept():
    """A causation_id given by the caller goes to both the activity and the interaction."""
    unit = _unit_with()
    _complete(unit, causation_id="job-7")
    logged = unit.interactions.items[InteractionId("i-1")]
    assert logged.pending_events[0].causation_id == "job-7"


@pytest.mark.parametrize(
    "changes",
    [
        {"kind": "task", "duration": None},
        {"link": LeadId("l-1")},
        {"link": None},
        {"link": RecordRef.to(OpportunityId("opp-1"))},
    ],
)
def test_no_interaction_without_a_call_or_meeting_and_a_customer(changes):
    """Tasks, and calls with no customer known, complete without logging anything."""
    unit = _unit_with(**changes)
    result = _complete(unit)
    assert result.interaction is None
    assert result.activity.status is ActivityStatus.DONE
    assert unit.interactions.items == {}


def test_nothing_is_stored_when_the_interaction_is_refused():
    """A channel the kind never uses is refused before the activity is saved."""
    unit = _unit_with()
    with pytest.raises(ValidationError) as caught:
        _complete(unit, channel="postal")
    assert caught.value.path == "$.channel"
    assert unit.activities.items[ActivityId("act-1")].status is ActivityStatus.PLANNED
    assert unit.interactions.items == {}


def test_an_interaction_id_already_stored_is_refused_before_anything_is_saved():
    """DuplicateId for the interaction leaves the activity planned in the unit."""
    unit = _unit_with()
    first = unit.interactions.add(
        Interaction.log(
            InteractionId("i-1"),
            customer_id=CustomerId("c-budi"),
            kind="call",
            channel="phone",
            direction="inbound",
            at=AT,
        )
    )
    with pytest.raises(DuplicateId) as caught:
        _complete(unit)
    assert (caught.value.kind, caught.value.aggregate_id) == ("interaction", InteractionId("i-1"))
    assert unit.activities.items[ActivityId("act-1")].status is ActivityStatus.PLANNED
    assert unit.interactions.items[InteractionId("i-1")].without_pending_events() == first


def test_refusals():
    """Unknown activity, closed activity, bad ids and channels are refused."""
    unit = _unit_with()
    with pytest.raises(NotFound):
        complete_activity_in(
            unit, ActivityId("nope"), at=DONE_AT, interaction_id=InteractionId("i")
        )
    with pytest.raises(InvalidType) as caught:
        _complete(unit, interaction_id="i-1")
    assert caught.value.path == "$.interaction_id"
    with pytest.raises(ValidationError) as caught:
        _complete(unit, channel="pigeon")
    assert caught.value.path == "$.channel"
    _complete(unit)
    with pytest.raises(TransitionNotAllowed):
        _complete(unit, interaction_id=InteractionId("i-2"))


def test_a_unit_without_the_repositories_and_a_bad_direction_are_refused():
    """$.unit for an object without activities and interactions; $.direction even for a task."""
    with pytest.raises(InvalidType) as caught:
        complete_activity_in(
            None, ActivityId("act-1"), at=DONE_AT, interaction_id=InteractionId("i")
        )
    assert caught.value.path == "$.unit"
    unit = _unit_with(kind="task", duration=None)
    with pytest.raises(ValidationError) as caught:
        _complete(unit, direction="sideways")
    assert caught.value.path == "$.direction"
    assert unit.activities.items[ActivityId("act-1")].status is ActivityStatus.PLANNED


def test_the_result_checks_its_fields():
    """ActivityCompletion holds an Activity and an Interaction or None."""
    with pytest.raises(InvalidType):
        ActivityCompletion("act-1")
    activity = _unit_with().activities.items[ActivityId("act-1")]
    with pytest.raises(InvalidType):
        ActivityCompletion(activity, "i-1")


def test_through_the_in_memory_unit_of_work_the_timeline_shows_the_call():
    """With crmcore's own unit of work, both records commit and the call is on the timeline."""
    from crmcore import Customer, PersonName  # noqa: PLC0415 - only this test needs a store
    from crmcore.interactions import timeline  # noqa: PLC0415
    from crmcore.repository import InMemoryUnitOfWork  # noqa: PLC0415

    uow = InMemoryUnitOfWork()
    with uow:
        uow.customers.add(Customer.register(CustomerId("c-budi"), name=PersonName("Budi"), at=AT))
        planned = Activity.plan(
            ActivityId("act-1"),
            kind="call",
            subject="Call Pak Budi",
            due_at=DUE,
            at=AT,
            owner_id=StaffId("s-rina"),
            link=CustomerId("c-budi"),
        )
        uow.activities.add(planned)
        uow.commit()
    with uow:
        result = complete_activity_in(
            uow, ActivityId("act-1"), at=DONE_AT, interaction_id=InteractionId("i-1")
        )
        uow.commit()
    with uow:
        stored = uow.activities.get(ActivityId("act-1"))
        calls = uow.interactions.for_customer(CustomerId("c-budi"))
        assert uow.activities.overdue_at(DONE_AT) == []
    assert (stored.status, stored.version) == (ActivityStatus.DONE, 1)
    assert [call.id for call in calls] == [InteractionId("i-1")]
    assert result.interaction.id == InteractionId("i-1")
    assert [entry.key for entry in timeline(CustomerId("c-budi"), calls)] == ["i-1"]
    types = [event.type for event in uow.collect_events()]
    assert types[-2:] == ["ActivityCompleted", "InteractionLogged"]


def test_an_interaction_id_is_needed_only_when_an_interaction_is_logged():
    """A task completes without an interaction id; a call with a customer is refused without one.

    Regression: the id was required for every activity, so completing a task meant
    inventing an id that was never used.
    """
    task = _unit_with(kind="task", duration=None)
    result = _complete(task, interaction_id=None)
    assert result.activity.status is ActivityStatus.DONE
    assert result.interaction is None
    assert task.interactions.items == {}
    call = _unit_with()
    with pytest.raises(ValidationError) as caught:
        _complete(call, interaction_id=None)
    assert (caught.value.path, caught.value.code) == ("$.interaction_id", "required")
    assert call.activities.items[ActivityId("act-1")].status is ActivityStatus.PLANNED
    assert call.interactions.items == {}
