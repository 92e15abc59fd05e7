"""Tests for the contacts involved in an opportunity: opening, changes, their event, documents."""

from datetime import date, datetime, timedelta, timezone

import pytest
from hypothesis import given
from hypothesis import strategies as st

from crmcore import DomainEvent, InvalidType, Money, StaffId, ValidationError
from crmcore.customers import CustomerId
from crmcore.parties import MAX_INVOLVED_CONTACTS, ContactRole, InvolvedContact
from crmcore.repository import InMemoryUnitOfWork
from crmcore.sales import (
    STANDARD_PIPELINE,
    Opportunity,
    OpportunityContactsChanged,
    OpportunityId,
    OpportunityOpened,
)
from crmcore.serialization import from_dict, to_dict
from crmcore.testing.strategies import involved_contacts, opportunities

WIB = timezone(timedelta(hours=7))
T0 = datetime(2026, 3, 2, 9, 0, tzinfo=WIB)
HOUR = timedelta(hours=1)
ANA, BUDI, CITRA = CustomerId("ana"), CustomerId("budi"), CustomerId("citra")
META = {"actor": "rep-1", "correlation_id": "corr-1", "causation_id": "cmd-9"}

BUYER = InvolvedContact(ANA, "economic_buyer", primary=True)
TECH = InvolvedContact(BUDI, "technical")
CHAMPION = InvolvedContact(BUDI, "champion")


def deal(**changes):
    fields = {
        "customer_id": CustomerId("acme"),
        "name": "Coffee machines for Ibu Sari's offices",
        "amount": Money(45_000_000, "IDR"),
        "expected_close": date(2026, 4, 30),
        "owner": StaffId("rep-1"),
        "pipeline": STANDARD_PIPELINE,
        "at": T0,
    }
    fields.update(changes)
    return Opportunity.open(OpportunityId("opp-1"), **fields)


# -- opening --------------------------------------------------------------------------------


def test_an_opportunity_names_no_contacts_unless_opened_with_some():
    opened = deal()
    assert opened.contacts == ()
    assert opened.primary_contact is None
    assert opened.pending_events[0].contacts == ()


def test_the_contacts_given_at_opening_are_kept_in_order_and_recorded():
    opened = deal(contacts=[TECH, BUYER])
    assert opened.contacts == (TECH, BUYER)
    assert type(opened.contacts) is tuple
    (event,) = opened.pending_events
    assert isinstance(event, OpportunityOpened)
    assert event.contacts == (TECH, BUYER)


@pytest.mark.parametrize(
    ("contacts", "path", "code"),
    [
        ([TECH, InvolvedContact(BUDI, "technical", primary=True)], "$.contacts[1]", "duplicate"),
        (
            [BUYER, TECH, InvolvedContact(CITRA, "user", primary=True)],
            "$.contacts[2].primary",
            "multiple_primary",
        ),
        ("ana", "$.contacts", "type"),
        ([TECH, {"contact_id": "ana", "role": "user"}], "$.contacts[1]", "type"),
    ],
)
def test_opening_refuses_contacts_that_break_a_rule(contacts, path, code):
    with pytest.raises(ValidationError) as raised:
        deal(contacts=contacts)
    assert (raised.value.path, raised.value.code) == (path, code)


# -- changing the contacts ------------------------------------------------------------------


def test_change_contacts_records_one_event_with_the_new_and_previous_lists():
    before = deal(contacts=[BUYER])
    after = before.change_contacts([BUYER, TECH], at=T0 + HOUR, **META)
    assert after.contacts == (BUYER, TECH)
    assert after.sequence == before.sequence + 1
    assert after.updated_at == T0 + HOUR
    (event,) = after.pending_events[len(before.pending_events) :]
    assert isinstance(event, OpportunityContactsChanged)
    assert (event.contacts, event.previous) == ((BUYER, TECH), (BUYER,))
    assert (event.opportunity_id, event.customer_id) == (OpportunityId("opp-1"), CustomerId("acme"))
    assert (event.actor, event.correlation_id, event.causation_id) == ("rep-1", "corr-1", "cmd-9")
    assert (event.occurred_at, event.sequence) == (T0 + HOUR, after.sequence)


def test_one_contact_may_play_several_roles_and_one_role_may_have_several_contacts():
    crowd = [
        BUYER,
        TECH,
        CHAMPION,
        InvolvedContact(CITRA, "technical"),
        InvolvedContact(ANA, "technical"),
    ]
    changed = deal().change_contacts(crowd, at=T0 + HOUR)
    assert changed.contacts_in_role("technical") == (BUDI, CITRA, ANA)
    assert changed.contacts_in_role(ContactRole.CHAMPION) == (BUDI,)
    assert changed.contacts_in_role("billing") == ()
    assert changed.primary_contact == BUYER


def test_an_empty_list_removes_every_contact():
    cleared = deal(contacts=[BUYER, TECH]).change_contacts([], at=T0 + HOUR)
    assert cleared.contacts == ()
    event = cleared.pending_events[-1]
    assert (event.contacts, event.previous) == ((), (BUYER, TECH))


@pytest.mark.parametrize("same", [[BUYER, TECH], (BUYER, TECH)])
def test_giving_the_same_contacts_changes_nothing_and_records_nothing(same):
    opened = deal(contacts=[BUYER, TECH])
    assert opened.change_contacts(same, at=T0 + HOUR) is opened


def test_another_order_or_primary_flag_is_a_change():
    opened = deal(contacts=[BUYER, TECH])
    reordered = opened.change_contacts([TECH, BUYER], at=T0 + HOUR)
    assert reordered.contacts == (TECH, BUYER)
    assert isinstance(reordered.pending_events[-1], OpportunityContactsChanged)
    demoted = InvolvedContact(ANA, "economic_buyer")
    handed_over = reordered.change_contacts(
        [InvolvedContact(BUDI, "technical", primary=True), demoted], at=T0 + 2 * HOUR
    )
    assert handed_over.primary_contact == InvolvedContact(BUDI, "technical", primary=True)


@pytest.mark.parametrize(
    ("contacts", "error", "path", "code"),
    [
        ([TECH, BUYER, TECH], ValidationError, "$.contacts[2]", "duplicate"),
        (
            [BUYER, InvolvedContact(ANA, "economic_buyer")],
            ValidationError,
            "$.contacts[1]",
            "duplicate",
        ),
        (
            [BUYER, InvolvedContact(BUDI, "technical", primary=True)],
            ValidationError,
            "$.contacts[1].primary",
            "multiple_primary",
        ),
        (None, InvalidType, "$.contacts", "type"),
        (BUYER, InvalidType, "$.contacts", "type"),
        ("ana", InvalidType, "$.contacts", "type"),
        ({"contacts": []}, InvalidType, "$.contacts", "type"),
        ([BUYER, ANA], InvalidType, "$.contacts[1]", "type"),
        ([("ana", "technical", False)], InvalidType, "$.contacts[0]", "type"),
        (
            [
                InvolvedContact(CustomerId(f"c-{n}"), "user")
                for n in range(MAX_INVOLVED_CONTACTS + 1)
            ],
            ValidationError,
            "$.contacts",
            "too_many",
        ),
    ],
)
def test_change_contacts_refuses_bad_lists_and_changes_nothing(contacts, error, path, code):
    opened = deal(contacts=[TECH])
    with pytest.raises(error) as raised:
        opened.change_contacts(contacts, at=T0 + HOUR)
    assert (raised.value.path, raised.value.code) == (path, code)
    assert opened.contacts == (TECH,)
    assert len(opened.pending_events) == 1
    assert opened.updated_at == T0


def test_a_full_list_of_contacts_is_accepted():
    full = [InvolvedContact(CustomerId(f"c-{n}"), "user") for n in range(MAX_INVOLVED_CONTACTS)]
    assert len(deal().change_contacts(full, at=T0).contacts) == MAX_INVOLVED_CONTACTS


def test_change_contacts_refuses_a_time_before_the_last_change():
    moved = deal().change_amount(Money(50_000_000, "IDR"), at=T0 + 2 * HOUR)
    with pytest.raises(ValidationError) as raised:
        moved.change_contacts([TECH], at=T0 + HOUR)
    assert (raised.value.path, raised.value.code) == ("$.at", "time_backwards")
    assert moved.contacts == ()
    with pytest.raises(ValidationError) as raised:
        moved.change_contacts([TECH], at=datetime(2026, 3, 2, 12, 0))  # noqa: DTZ001 - naive on purpose.
    assert raised.value.path == "$.at"


def test_the_time_rule_comes_before_the_no_op_rule():
    opened = deal(contacts=[TECH])
    with pytest.raises(ValidationError) as raised:
        opened.change_contacts([TECH], at=T0 - HOUR)
    assert raised.value.code == "time_backwards"


def test_contacts_change_on_a_won_or_lost_opportunity_too():
    won = deal().win(STANDARD_PIPELINE, at=T0 + HOUR)
    assert won.change_contacts([BUYER], at=T0 + 2 * HOUR).contacts == (BUYER,)
    lost = deal().lose(STANDARD_PIPELINE, at=T0 + HOUR, reason="budget cut")
    assert lost.change_contacts([TECH], at=T0 + 2 * HOUR).contacts == (TECH,)


def test_contacts_in_role_refuses_a_role_that_is_not_a_code():
    with pytest.raises(ValidationError) as raised:
        deal().contacts_in_role("Decision Maker")
    assert (raised.value.path, raised.value.code) == ("$.role", "name")
    with pytest.raises(InvalidType):
        deal().contacts_in_role(None)


def test_no_name_or_free_text_in_the_event():
    changed = deal(contacts=[BUYER]).change_contacts([TECH], at=T0 + HOUR)
    document = to_dict(changed.pending_events[-1])
    assert "Sari" not in str(document)
    assert sorted(document["contacts"][0]) == ["contact_id", "primary", "role"]


# -- documents ------------------------------------------------------------------------------


def test_new_documents_round_trip():
    changed = deal(contacts=[BUYER]).change_contacts([BUYER, CHAMPION], at=T0 + HOUR, **META)
    document = to_dict(changed)
    assert document["contacts"] == [
        {"contact_id": "ana", "role": "economic_buyer", "primary": True},
        {"contact_id": "budi", "role": "champion", "primary": False},
    ]
    loaded = from_dict(Opportunity, document)
    assert loaded == changed
    assert loaded.contacts == (BUYER, CHAMPION)
    for event in changed.pending_events:
        assert from_dict(DomainEvent, to_dict(event)) == event
    stored = changed.without_pending_events()
    assert from_dict(Opportunity, to_dict(stored)) == stored


def test_documents_written_before_contacts_still_load():
    opened = deal()
    document = to_dict(opened)
    del document["contacts"]
    for event in document["pending_events"]:
        del event["contacts"]
    loaded = from_dict(Opportunity, document)
    assert loaded == opened
    assert loaded.contacts == ()
    assert loaded.pending_events[0].contacts == ()
    assert loaded.change_contacts([TECH], at=T0 + HOUR).contacts == (TECH,)


@pytest.mark.parametrize(
    ("contacts", "path"),
    [
        ([{"contact_id": "budi", "role": "technical"}] * 2, "$.contacts[1]"),
        (
            [
                {"contact_id": "ana", "role": "user", "primary": True},
                {"contact_id": "budi", "role": "user", "primary": True},
            ],
            "$.contacts[1].primary",
        ),
        ([{"contact_id": "budi", "role": "Technical Lead"}], "$.contacts[0].role"),
    ],
)
def test_a_stored_document_with_bad_contacts_is_refused(contacts, path):
    document = to_dict(deal())
    document["contacts"] = contacts
    with pytest.raises(ValidationError) as raised:
        from_dict(Opportunity, document)
    paths = [raised.value.path, *(problem.path for problem in raised.value.problems)]
    assert path in paths


def test_saving_a_contact_change_bumps_the_version_and_keeps_the_contacts():
    uow = InMemoryUnitOfWork(check_references=False)
    with uow:
        uow.opportunities.add(deal(contacts=[BUYER]))
        uow.commit()
    with uow:
        stored = uow.opportunities.get(OpportunityId("opp-1"))
        saved = uow.opportunities.save(stored.change_contacts([TECH], at=T0 + HOUR))
        uow.commit()
    assert saved.version == stored.version + 1
    with uow:
        loaded = uow.opportunities.get(OpportunityId("opp-1"))
    assert (loaded.contacts, loaded.version) == ((TECH,), saved.version)


# -- property: sequences of contact changes -------------------------------------------------


def first_problem(contacts):
    """Where check_involved_contacts should refuse ``contacts`` (path, code), or None."""
    seen = set()
    primary = False
    for index, contact in enumerate(contacts):
        if (contact.contact_id, contact.role) in seen:
            return f"$.contacts[{index}]", "duplicate"
        seen.add((contact.contact_id, contact.role))
        if contact.primary and primary:
            return f"$.contacts[{index}].primary", "multiple_primary"
        primary = primary or contact.primary
    return None


@st.composite
def contact_steps(draw):
    """Changes of contacts picked from a few drawn ones, at times that sometimes go backwards.

    Picking from a small pool makes duplicates, repeated lists and second primaries common.
    """
    pool = draw(st.lists(involved_contacts(), min_size=1, max_size=6))
    step = st.tuples(
        st.lists(st.sampled_from(pool), max_size=5), st.integers(min_value=-2, max_value=3)
    )
    return draw(st.lists(step, max_size=8))


@given(opportunities(), contact_steps())
def test_contacts_follow_the_last_accepted_change(start, steps):
    current = start
    for contacts, hours in steps:
        at = current.updated_at + timedelta(hours=hours)
        problem = first_problem(contacts)
        if hours < 0 or problem is not None:
            with pytest.raises(ValidationError) as raised:
                current.change_contacts(contacts, at=at)
            if hours < 0:
                assert raised.value.code == "time_backwards"
            else:
                assert (raised.value.path, raised.value.code) == problem
            continue
        after = current.change_contacts(contacts, at=at)
        if tuple(contacts) == current.contacts:
            assert after is current
            continue
        assert after.contacts == tuple(contacts)
        assert after.sequence == current.sequence + 1
        assert after.pending_events[:-1] == current.pending_events
        event = after.pending_events[-1]
        assert isinstance(event, OpportunityContactsChanged)
        assert (event.contacts, event.previous) == (after.contacts, current.contacts)
        assert event.occurred_at == after.updated_at == at
        primaries = [c for c in after.contacts if c.primary]
        assert after.primary_contact == (primaries[0] if primaries else None)
        for role in {c.role for c in after.contacts}:
            assert after.contacts_in_role(role) == tuple(
                c.contact_id for c in after.contacts if c.role == role
            )
        current = after
    changes = [e for e in current.pending_events if isinstance(e, OpportunityContactsChanged)]
    if changes:
        assert changes[-1].contacts == current.contacts
    times = [e.occurred_at for e in current.pending_events]
    assert times == sorted(times)
    assert from_dict(Opportunity, to_dict(current)) == current
