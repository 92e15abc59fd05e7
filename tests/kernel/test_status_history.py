"""The kernel's shared checks of status histories and involved contacts, on their own and in use.

``StatusMachine.check_history`` checks every status history a lead or a case
holds; ``InvolvesContacts`` gives opportunities and cases their one
``change_contacts`` command and its queries.
"""

from datetime import UTC, date, datetime, timedelta
from enum import StrEnum

import attrs
import pytest

from crmcore import CustomerId, Money, StaffId, TransitionNotAllowed, ValidationError
from crmcore._kernel._involved import InvolvedContact, InvolvesContacts
from crmcore._kernel._status import StatusMachine
from crmcore.errors import InvalidType
from crmcore.sales import STANDARD_PIPELINE, Opportunity, OpportunityContactsChanged, OpportunityId
from crmcore.service import Case, CaseContactsChanged, CaseId

T0 = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)


class Light(StrEnum):
    RED = "red"
    GREEN = "green"
    OFF = "off"


LIGHTS = StatusMachine("light", {Light.RED: {Light.GREEN, Light.OFF}, Light.GREEN: {Light.RED}})


@attrs.frozen
class Change:
    status: Light
    at: datetime


def check(history: list[Change]) -> None:
    LIGHTS.check_history(history, start=Light.RED, at=T0, what="the light was installed")


def test_a_history_that_starts_right_and_moves_forward_passes():
    check([Change(Light.RED, T0), Change(Light.GREEN, T0), Change(Light.RED, T0 + timedelta(1))])


@pytest.mark.parametrize(
    ("history", "path"),
    [
        ([], "$.history"),
        ([Change(Light.GREEN, T0)], "$.history[0]"),
        ([Change(Light.RED, T0 + timedelta(seconds=1))], "$.history[0]"),
    ],
)
def test_a_history_must_start_with_the_start_status_at_the_start(history, path):
    with pytest.raises(ValidationError) as info:
        check(history)
    assert (path, "history_start") == (info.value.path, info.value.code)
    assert "must start with status red at the time the light was installed" == info.value.rule


def test_a_history_never_goes_back_in_time():
    history = [Change(Light.RED, T0 + timedelta(1)), Change(Light.GREEN, T0)]
    with pytest.raises(ValidationError) as info:
        LIGHTS.check_history(history, start=Light.RED, at=T0 + timedelta(1), what="it began")
    assert ("$.history[1].at", "time_backwards") == (info.value.path, info.value.code)


def test_a_history_takes_only_allowed_steps_and_names_its_path():
    history = [Change(Light.RED, T0), Change(Light.OFF, T0), Change(Light.GREEN, T0)]
    with pytest.raises(TransitionNotAllowed) as info:
        LIGHTS.check_history(history, start=Light.RED, at=T0, what="it began", path="$.log")
    assert ("$.log[2].status", "transition") == (info.value.path, info.value.code)


# -- involved contacts ----------------------------------------------------------------------


def opportunity() -> Opportunity:
    return Opportunity.open(
        OpportunityId("opp-1"),
        customer_id=CustomerId("acme"),
        name="Coffee machines",
        amount=Money(1_000, "IDR"),
        expected_close=date(2026, 4, 30),
        owner=StaffId("rep-1"),
        pipeline=STANDARD_PIPELINE,
        at=T0,
    )


def case() -> Case:
    return Case.open(
        CaseId("case-1"),
        customer_id=CustomerId("acme"),
        kind="question",
        subject="Invoice",
        channel="email",
        at=T0,
    )


AGGREGATES = [(opportunity, OpportunityContactsChanged), (case, CaseContactsChanged)]
ANA, BUDI = CustomerId("ana"), CustomerId("budi")


@pytest.mark.parametrize(("make", "event"), AGGREGATES)
def test_change_contacts_is_one_command_recording_the_aggregates_event(make, event):
    aggregate = make()
    assert isinstance(aggregate, InvolvesContacts)
    contacts = [InvolvedContact(ANA, "champion", primary=True), InvolvedContact(BUDI, "champion")]
    changed = aggregate.change_contacts(contacts, at=T0 + timedelta(1), actor="rep-1")
    assert type(changed) is type(aggregate)
    assert (ANA, BUDI) == changed.contacts_in_role("champion")
    assert contacts[0] == changed.primary_contact
    recorded = changed.pending_events[-1]
    assert type(recorded) is event
    assert (tuple(contacts), (), "rep-1") == (recorded.contacts, recorded.previous, recorded.actor)
    assert changed is changed.change_contacts(contacts, at=T0 + timedelta(2))
    assert aggregate.primary_contact is None


@pytest.mark.parametrize(("make", "_"), AGGREGATES)
def test_change_contacts_refuses_what_it_refused_before(make, _):
    aggregate = make().change_contacts([InvolvedContact(ANA, "reporter")], at=T0 + timedelta(1))
    twice = [InvolvedContact(ANA, "reporter"), InvolvedContact(ANA, "reporter")]
    with pytest.raises(ValidationError) as info:
        aggregate.change_contacts(twice, at=T0 + timedelta(1))
    assert ("$.contacts[1]", "duplicate") == (info.value.path, info.value.code)
    with pytest.raises(InvalidType) as wrong:
        aggregate.change_contacts([ANA], at=T0 + timedelta(1))  # type: ignore[list-item]
    assert wrong.value.path.startswith("$.contacts")
    with pytest.raises(ValidationError) as late:
        aggregate.change_contacts([], at=T0)
    assert ("$.at", "time_backwards") == (late.value.path, late.value.code)
    with pytest.raises(ValidationError) as role:
        aggregate.contacts_in_role("Not A Code")
    assert "$.role" == role.value.path
