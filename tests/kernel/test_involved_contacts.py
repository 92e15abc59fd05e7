"""One rule everywhere: the contacts involved in an opportunity or a case.

Both hold them through the kernel's ``InvolvesContacts``, so both must keep the
contacts given when they are created (in order) and record them, refuse lists
that break a rule (a contact named twice in a role, two primaries, not a list of
``InvolvedContact``, too many) and apply nothing, record one event with the new
and previous lists on ``change_contacts`` (or return themselves when nothing
changes), answer ``primary_contact`` and ``contacts_in_role``, and round-trip
through documents (old ones without contacts too) and a unit of work.

Contacts change in any status: after an opportunity is won or lost and after a
case is resolved or closed too (the table names each type's endings).
"""

from collections.abc import Callable
from datetime import date, datetime, timedelta, timezone
from typing import Any

import attrs
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
from crmcore.service import Case, CaseContactsChanged, CaseId, CaseOpened
from crmcore.testing.strategies import cases, involved_contacts, opportunities

WIB = timezone(timedelta(hours=7))
T0 = datetime(2026, 3, 2, 9, 0, tzinfo=WIB)
HOUR = timedelta(hours=1)
ANA, BUDI, CITRA = CustomerId("ana"), CustomerId("budi"), CustomerId("citra")
META = {"actor": "rep-1", "correlation_id": "corr-1", "causation_id": "cmd-9"}


@attrs.frozen
class Involving:
    """How to build one aggregate of a type that involves contacts, and its events' names."""

    cls: type
    #: Builds one at ``T0`` (its customer ``acme``) from keywords such as ``contacts``.
    create: Callable[..., Any]
    opened: type  # the event that creates it
    changed: type  # the event ``change_contacts`` records
    id_field: str  # the aggregate's id on its events
    repository: str  # the unit of work's repository
    strategy: Callable[[], st.SearchStrategy[Any]]
    #: A change of something else, at a given time.
    touch: Callable[[Any, datetime], Any]
    #: Three roles its contacts play, as codes or ContactRole members (the first is primary).
    roles: tuple[str, str, str]
    #: Moves that end it (win, lose; resolve, close) from an open one at a given time, by
    #: the value they leave in its ``state`` field (its stage, its status).
    endings: dict[str, Callable[[Any, datetime], Any]]
    state: str

    def __str__(self) -> str:
        return self.cls.__name__

    def contact(self, who: CustomerId, role: int, *, primary: bool = False) -> InvolvedContact:
        """``who`` in the ``role``-th of this type's roles."""
        return InvolvedContact(who, self.roles[role], primary=primary)

    @property
    def lead(self) -> InvolvedContact:
        """Ana, the primary contact, in the first role (an economic buyer, a reporter)."""
        return self.contact(ANA, 0, primary=True)

    @property
    def second(self) -> InvolvedContact:
        """Budi in the second role (technical, the affected user)."""
        return self.contact(BUDI, 1)

    @property
    def third(self) -> InvolvedContact:
        """Budi in the third role too (a champion, an approver)."""
        return self.contact(BUDI, 2)


def _opportunity(**options: Any) -> Opportunity:
    return Opportunity.open(
        OpportunityId("opp-1"),
        customer_id=CustomerId("acme"),
        name="Coffee machines for Ibu Sari's offices",
        amount=Money(45_000_000, "IDR"),
        expected_close=date(2026, 4, 30),
        owner=StaffId("rep-1"),
        pipeline=STANDARD_PIPELINE,
        at=T0,
        **options,
    )


def _case(**options: Any) -> Case:
    return Case.open(
        CaseId("case-1"),
        customer_id=CustomerId("acme"),
        kind="complaint",
        subject="Coffee machine at Ibu Sari's office leaks",
        channel="email",
        at=T0,
        description="Reported by Ibu Sari, Jl. Merdeka 10.",
        **options,
    )


KINDS = [
    Involving(
        Opportunity,
        _opportunity,
        OpportunityOpened,
        OpportunityContactsChanged,
        "opportunity_id",
        "opportunities",
        opportunities,
        touch=lambda deal, at: deal.change_amount(Money(50_000_000, "IDR"), at=at),
        roles=(ContactRole.ECONOMIC_BUYER, ContactRole.TECHNICAL, ContactRole.CHAMPION),
        endings={
            "closed_won": lambda deal, at: deal.win(STANDARD_PIPELINE, at=at),
            "closed_lost": lambda deal, at: deal.lose(
                STANDARD_PIPELINE, at=at, reason="budget cut"
            ),
        },
        state="stage",
    ),
    Involving(
        Case,
        _case,
        CaseOpened,
        CaseContactsChanged,
        "case_id",
        "cases",
        cases,
        touch=lambda case, at: case.respond(at=at),
        roles=("reporter", "affected_user", "approver"),
        endings={
            "resolved": lambda case, at: case.resolve(at=at),
            "closed": lambda case, at: case.resolve(at=at).close(at=at),
        },
        state="status",
    ),
]

each_kind = pytest.mark.parametrize("kind", KINDS, ids=str)


# -- opening --------------------------------------------------------------------------------


@each_kind
def test_no_contacts_unless_opened_with_some(kind):
    opened = kind.create()
    assert opened.contacts == ()
    assert opened.primary_contact is None
    assert opened.pending_events[0].contacts == ()


@each_kind
def test_the_contacts_given_at_opening_are_kept_in_order_and_recorded(kind):
    opened = kind.create(contacts=[kind.second, kind.lead])
    assert opened.contacts == (kind.second, kind.lead)
    assert type(opened.contacts) is tuple
    (event,) = opened.pending_events
    assert isinstance(event, kind.opened)
    assert event.contacts == (kind.second, kind.lead)


@each_kind
@pytest.mark.parametrize(
    ("contacts", "path", "code"),
    [
        pytest.param(
            lambda k: [k.second, k.contact(BUDI, 1, primary=True)],
            "$.contacts[1]",
            "duplicate",
            id="duplicate",
        ),
        pytest.param(
            lambda k: [k.lead, k.second, InvolvedContact(CITRA, "user", primary=True)],
            "$.contacts[2].primary",
            "multiple_primary",
            id="multiple_primary",
        ),
        pytest.param(lambda k: "ana", "$.contacts", "type", id="a_string"),
        pytest.param(
            lambda k: [k.second, {"contact_id": "ana", "role": "user"}],
            "$.contacts[1]",
            "type",
            id="a_dict_in_the_list",
        ),
    ],
)
def test_opening_refuses_contacts_that_break_a_rule(kind, contacts, path, code):
    with pytest.raises(ValidationError) as raised:
        kind.create(contacts=contacts(kind))
    assert (raised.value.path, raised.value.code) == (path, code)


# -- changing the contacts ------------------------------------------------------------------


@each_kind
def test_change_contacts_records_one_event_with_the_new_and_previous_lists(kind):
    before = kind.create(contacts=[kind.lead])
    after = before.change_contacts([kind.lead, kind.second], at=T0 + HOUR, **META)
    assert after.contacts == (kind.lead, kind.second)
    assert after.sequence == before.sequence + 1
    assert after.updated_at == T0 + HOUR
    (event,) = after.pending_events[len(before.pending_events) :]
    assert isinstance(event, kind.changed)
    assert (event.contacts, event.previous) == ((kind.lead, kind.second), (kind.lead,))
    assert (getattr(event, kind.id_field), event.customer_id) == (before.id, CustomerId("acme"))
    assert (event.actor, event.correlation_id, event.causation_id) == ("rep-1", "corr-1", "cmd-9")
    assert (event.occurred_at, event.sequence) == (T0 + HOUR, after.sequence)


@each_kind
def test_one_contact_may_play_several_roles_and_one_role_may_have_several_contacts(kind):
    crowd = [
        kind.lead,
        kind.second,
        kind.third,
        kind.contact(CITRA, 1),
        kind.contact(ANA, 1),
    ]
    changed = kind.create().change_contacts(crowd, at=T0 + HOUR)
    _, second, third = kind.roles
    for role in (second, str(second)):  # a ContactRole or its code
        assert changed.contacts_in_role(role) == (BUDI, CITRA, ANA)
    for role in (third, str(third)):
        assert changed.contacts_in_role(role) == (BUDI,)
    assert changed.contacts_in_role(ContactRole.USER) == ()
    assert changed.contacts_in_role("billing") == ()
    assert changed.primary_contact == kind.lead


@each_kind
def test_an_empty_list_removes_every_contact(kind):
    cleared = kind.create(contacts=[kind.lead, kind.second]).change_contacts([], at=T0 + HOUR)
    assert cleared.contacts == ()
    event = cleared.pending_events[-1]
    assert (event.contacts, event.previous) == ((), (kind.lead, kind.second))


@each_kind
@pytest.mark.parametrize("sequence", [list, tuple])
def test_giving_the_same_contacts_changes_nothing_and_records_nothing(kind, sequence):
    opened = kind.create(contacts=[kind.lead, kind.second])
    assert opened.change_contacts(sequence([kind.lead, kind.second]), at=T0 + HOUR) is opened


@each_kind
def test_another_order_or_primary_flag_is_a_change(kind):
    opened = kind.create(contacts=[kind.lead, kind.second])
    reordered = opened.change_contacts([kind.second, kind.lead], at=T0 + HOUR)
    assert reordered.contacts == (kind.second, kind.lead)
    assert isinstance(reordered.pending_events[-1], kind.changed)
    demoted = kind.contact(ANA, 0)
    promoted = kind.contact(BUDI, 1, primary=True)
    handed_over = reordered.change_contacts([promoted, demoted], at=T0 + 2 * HOUR)
    assert handed_over.primary_contact == promoted


@each_kind
@pytest.mark.parametrize(
    ("contacts", "error", "path", "code"),
    [
        pytest.param(
            lambda k: [k.second, k.lead, k.second],
            ValidationError,
            "$.contacts[2]",
            "duplicate",
            id="same_contact_twice",
        ),
        pytest.param(
            lambda k: [k.lead, k.contact(ANA, 0)],
            ValidationError,
            "$.contacts[1]",
            "duplicate",
            id="same_contact_and_role_not_primary",
        ),
        pytest.param(
            lambda k: [k.lead, k.contact(BUDI, 1, primary=True)],
            ValidationError,
            "$.contacts[1].primary",
            "multiple_primary",
            id="multiple_primary",
        ),
        pytest.param(lambda k: None, InvalidType, "$.contacts", "type", id="none"),
        pytest.param(lambda k: k.lead, InvalidType, "$.contacts", "type", id="one_contact"),
        pytest.param(lambda k: "ana", InvalidType, "$.contacts", "type", id="a_string"),
        pytest.param(lambda k: {"contacts": []}, InvalidType, "$.contacts", "type", id="a_dict"),
        pytest.param(
            lambda k: [k.lead, ANA], InvalidType, "$.contacts[1]", "type", id="an_id_in_the_list"
        ),
        pytest.param(
            lambda k: [("ana", str(k.roles[1]), False)],
            InvalidType,
            "$.contacts[0]",
            "type",
            id="a_tuple_in_the_list",
        ),
        pytest.param(
            lambda k: [
                InvolvedContact(CustomerId(f"c-{n}"), "user")
                for n in range(MAX_INVOLVED_CONTACTS + 1)
            ],
            ValidationError,
            "$.contacts",
            "too_many",
            id="too_many",
        ),
    ],
)
def test_change_contacts_refuses_bad_lists_and_changes_nothing(kind, contacts, error, path, code):
    opened = kind.create(contacts=[kind.second])
    before = to_dict(opened)
    with pytest.raises(error) as raised:
        opened.change_contacts(contacts(kind), at=T0 + HOUR)
    assert (raised.value.path, raised.value.code) == (path, code)
    assert opened.contacts == (kind.second,)
    assert len(opened.pending_events) == 1
    assert opened.updated_at == T0
    assert to_dict(opened) == before


@each_kind
def test_a_full_list_of_contacts_is_accepted(kind):
    full = [InvolvedContact(CustomerId(f"c-{n}"), "user") for n in range(MAX_INVOLVED_CONTACTS)]
    assert len(kind.create().change_contacts(full, at=T0).contacts) == MAX_INVOLVED_CONTACTS


@each_kind
def test_change_contacts_refuses_a_time_before_the_last_change(kind):
    moved = kind.touch(kind.create(), T0 + 2 * HOUR)
    with pytest.raises(ValidationError) as raised:
        moved.change_contacts([kind.second], at=T0 + HOUR)
    assert (raised.value.path, raised.value.code) == ("$.at", "time_backwards")
    assert moved.contacts == ()
    with pytest.raises(ValidationError) as raised:
        moved.change_contacts([kind.second], at=datetime(2026, 3, 2, 12, 0))  # noqa: DTZ001 - naive on purpose.
    assert raised.value.path == "$.at"


@each_kind
def test_the_time_rule_comes_before_the_no_op_rule(kind):
    opened = kind.create(contacts=[kind.second])
    with pytest.raises(ValidationError) as raised:
        opened.change_contacts([kind.second], at=T0 - HOUR)
    assert raised.value.code == "time_backwards"


@pytest.mark.parametrize(
    ("kind", "ending"),
    [pytest.param(k, e, id=f"{k}-{e}") for k in KINDS for e in k.endings],
)
def test_contacts_change_after_the_end_too(kind, ending):
    """A won or lost opportunity, a resolved or closed case: contacts still change, nothing else."""
    ended = kind.endings[ending](kind.create(), T0 + HOUR)
    changed = ended.change_contacts([kind.lead], at=T0 + 2 * HOUR)
    assert changed.contacts == (kind.lead,)
    again = changed.change_contacts([kind.second], at=T0 + 3 * HOUR)
    assert again.contacts == (kind.second,)
    for after in (changed, again):  # its stage or status and the rest are left as they were
        assert getattr(after, kind.state) == ending
        assert _besides_contacts(after) == _besides_contacts(ended)


def _besides_contacts(aggregate: Any) -> dict[str, Any]:
    document = to_dict(aggregate.without_pending_events())
    return {k: v for k, v in document.items() if k not in {"contacts", "updated_at", "sequence"}}


@each_kind
def test_contacts_in_role_refuses_a_role_that_is_not_a_code(kind):
    with pytest.raises(ValidationError) as raised:
        kind.create().contacts_in_role("Decision Maker")
    assert (raised.value.path, raised.value.code) == ("$.role", "name")
    with pytest.raises(InvalidType):
        kind.create().contacts_in_role(None)


@each_kind
def test_no_name_or_free_text_in_the_event(kind):
    changed = kind.create(contacts=[kind.lead]).change_contacts([kind.second], at=T0 + HOUR)
    document = to_dict(changed.pending_events[-1])
    assert "Sari" not in str(document)
    assert sorted(document["contacts"][0]) == ["contact_id", "primary", "role"]


# -- documents ------------------------------------------------------------------------------


@each_kind
def test_new_documents_round_trip(kind):
    changed = kind.create(contacts=[kind.lead]).change_contacts(
        [kind.lead, kind.third], at=T0 + HOUR, **META
    )
    document = to_dict(changed)
    first, _, third = (str(role) for role in kind.roles)
    assert document["contacts"] == [
        {"contact_id": "ana", "role": first, "primary": True},
        {"contact_id": "budi", "role": third, "primary": False},
    ]
    loaded = from_dict(kind.cls, document)
    assert loaded == changed
    assert loaded.contacts == (kind.lead, kind.third)
    for event in changed.pending_events:
        assert from_dict(DomainEvent, to_dict(event)) == event
    stored = changed.without_pending_events()
    assert from_dict(kind.cls, to_dict(stored)) == stored


@each_kind
def test_documents_written_before_contacts_still_load(kind):
    opened = kind.create()
    document = to_dict(opened)
    del document["contacts"]
    for event in document["pending_events"]:
        del event["contacts"]
    loaded = from_dict(kind.cls, document)
    assert loaded == opened
    assert loaded.contacts == ()
    assert loaded.pending_events[0].contacts == ()
    assert loaded.change_contacts([kind.second], at=T0 + HOUR).contacts == (kind.second,)


@each_kind
@pytest.mark.parametrize(
    ("contacts", "path"),
    [
        pytest.param(
            lambda k: [{"contact_id": "budi", "role": str(k.roles[1])}] * 2,
            "$.contacts[1]",
            id="duplicate",
        ),
        pytest.param(
            lambda k: [
                {"contact_id": "ana", "role": "user", "primary": True},
                {"contact_id": "budi", "role": "user", "primary": True},
            ],
            "$.contacts[1].primary",
            id="multiple_primary",
        ),
        pytest.param(
            lambda k: [{"contact_id": "budi", "role": "Technical Lead"}],
            "$.contacts[0].role",
            id="not_a_role_code",
        ),
    ],
)
def test_a_stored_document_with_bad_contacts_is_refused(kind, contacts, path):
    document = to_dict(kind.create())
    document["contacts"] = contacts(kind)
    with pytest.raises(ValidationError) as raised:
        from_dict(kind.cls, document)
    paths = [raised.value.path, *(problem.path for problem in raised.value.problems)]
    assert path in paths


@each_kind
def test_saving_a_contact_change_bumps_the_version_and_keeps_the_contacts(kind):
    uow = InMemoryUnitOfWork(check_references=False)
    repository = getattr(uow, kind.repository)
    opened = kind.create(contacts=[kind.lead])
    with uow:
        repository.add(opened)
        uow.commit()
    with uow:
        stored = repository.get(opened.id)
        saved = repository.save(stored.change_contacts([kind.second], at=T0 + HOUR))
        uow.commit()
    assert saved.version == stored.version + 1
    with uow:
        loaded = repository.get(opened.id)
    assert (loaded.contacts, loaded.version) == ((kind.second,), saved.version)


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


@each_kind
@given(data=st.data())
def test_contacts_follow_the_last_accepted_change(kind, data):
    current = data.draw(kind.strategy())
    for contacts, hours in data.draw(contact_steps()):
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
        assert isinstance(event, kind.changed)
        assert (event.contacts, event.previous) == (after.contacts, current.contacts)
        assert event.occurred_at == after.updated_at == at
        primaries = [c for c in after.contacts if c.primary]
        assert after.primary_contact == (primaries[0] if primaries else None)
        for role in {c.role for c in after.contacts}:
            assert after.contacts_in_role(role) == tuple(
                c.contact_id for c in after.contacts if c.role == role
            )
        current = after
    changes = [e for e in current.pending_events if isinstance(e, kind.changed)]
    if changes:
        assert changes[-1].contacts == current.contacts
    times = [e.occurred_at for e in current.pending_events]
    assert times == sorted(times)
    assert from_dict(kind.cls, to_dict(current)) == current
