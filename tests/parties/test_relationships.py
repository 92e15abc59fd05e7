"""Tests for `crmcore.parties._relationships` and `crmcore._kernel._involved`."""

import json
from datetime import UTC, datetime, timedelta, timezone

import pytest

from crmcore import InvalidType, ValidationError
from crmcore.customers import CustomerId, PartyKind
from crmcore.parties import (
    ContactRole,
    HouseholdRole,
    InvolvedContact,
    Relationship,
    RelationshipDetailsChanged,
    RelationshipEnded,
    RelationshipEstablished,
    RelationshipId,
    RelationshipKind,
    RelationshipPrimaryChanged,
    RelationshipRolesChanged,
    check_involved_contacts,
    normalize_roles,
)
from crmcore.serialization import from_dict, to_dict

WIB = timezone(timedelta(hours=7))
T0 = datetime(2026, 3, 2, 9, 0, tzinfo=WIB)
ANA, BUDI, ACME, GROUP = (CustomerId(x) for x in ("ana", "budi", "acme", "group"))
RID = RelationshipId("rel-1")
TITLE = "Kepala Bagian Keuangan"
DEPARTMENT = "Keuangan dan Akuntansi"


def contact(**overrides):
    options = {
        "kind": "contact_of",
        "party_id": ANA,
        "related_id": ACME,
        "roles": ["decision_maker", ContactRole.BILLING],
        "primary": True,
        "job_title": TITLE,
        "department": DEPARTMENT,
        "at": T0,
    }
    options.update(overrides)
    return Relationship.establish(RID, **options)


def roundtrip(obj):
    return from_dict(type(obj), json.loads(json.dumps(to_dict(obj))))


# -- establish ----------------------------------------------------------------------------


def test_establish_records_the_relationship_and_one_event():
    """establish() keeps every field, starts at version 0 and records RelationshipEstablished."""
    rel = contact()
    assert RelationshipKind.CONTACT_OF is rel.kind
    assert (ANA, ACME) == (rel.party_id, rel.related_id)
    assert (PartyKind.PERSON, PartyKind.ORGANIZATION) == (rel.party_kind, rel.related_kind)
    assert ("billing", "decision_maker") == rel.roles
    assert rel.primary is True
    assert T0 == rel.valid_from
    assert rel.valid_until is None
    assert (TITLE, DEPARTMENT) == (rel.job_title, rel.department)
    assert (0, 1, T0, T0) == (rel.version, rel.sequence, rel.created_at, rel.updated_at)
    expected = RelationshipEstablished(
        sequence=1,
        occurred_at=T0,
        relationship_id=RID,
        kind=RelationshipKind.CONTACT_OF,
        party_id=ANA,
        related_id=ACME,
        roles=("billing", "decision_maker"),
        primary=True,
        valid_from=T0,
    )
    assert (expected,) == rel.pending_events


def test_the_event_envelope_is_deterministic_and_carries_the_meta():
    """The event id is derived from kind, id and sequence; actor and correlation are kept."""
    rel = contact(actor="rep-1", correlation_id="req-9", causation_id="lead:l-1#3")
    event = rel.pending_events[0]
    assert "relationship:rel-1#1" == event.event_id
    assert ("relationship", "rel-1") == (event.aggregate_kind, event.aggregate_id)
    assert ("rep-1", "req-9", "lead:l-1#3") == (
        event.actor,
        event.correlation_id,
        event.causation_id,
    )


def test_validity_may_start_before_and_end_after_the_recording():
    """Validity times are business times: backdated starts and future ends are fine."""
    rel = contact(valid_from=T0 - timedelta(days=3000), valid_until=T0 + timedelta(days=365))
    assert T0 - timedelta(days=3000) == rel.valid_from
    assert T0 == rel.updated_at


def test_the_party_kinds_follow_the_relationship_kind():
    """contact_of, household_member and parent_of imply kinds; others leave them unknown."""
    household = Relationship.establish(
        RID, kind="household_member", party_id=ANA, related_id=BUDI, at=T0
    )
    assert (PartyKind.PERSON, None) == (household.party_kind, household.related_kind)
    parent = Relationship.establish(RID, kind="parent_of", party_id=GROUP, related_id=ACME, at=T0)
    assert (PartyKind.ORGANIZATION,) * 2 == (parent.party_kind, parent.related_kind)
    referral = Relationship.establish(RID, kind="referred_by", party_id=ANA, related_id=BUDI, at=T0)
    assert (None, None) == (referral.party_kind, referral.related_kind)


def test_a_partner_of_the_business_has_no_related_party():
    """Partner and reseller may relate a party to the business itself (related_id None)."""
    rel = Relationship.establish(RID, kind="reseller", party_id=ACME, at=T0, roles=["distributor"])
    assert rel.related_id is None
    assert rel.pending_events[0].related_id is None
    assert rel.other(ACME) is None


@pytest.mark.parametrize(
    ("overrides", "path", "code"),
    [
        ({"related_id": ANA}, "$.related_id", "self_relationship"),
        (
            {"valid_from": T0, "valid_until": T0 - timedelta(seconds=1)},
            "$.valid_until",
            "end_before_start",
        ),
        ({"related_id": None}, "$.related_id", "required"),
        ({"party_kind": "organization"}, "$.party_kind", "party_kind"),
        ({"related_kind": "person"}, "$.related_kind", "party_kind"),
        ({"kind": "friend_of"}, "$.kind", "choice"),
        ({"roles": ["Decision Maker"]}, "$.roles[0]", "name"),
        ({"roles": [f"r{n}" for n in range(17)]}, "$.roles", "too_many"),
        ({"job_title": "CFO\x00"}, "$.job_title", "control_characters"),
        ({"department": "x" * 201}, "$.department", "too_long"),
        ({"valid_from": datetime(2026, 1, 1)}, "$.valid_from", "naive_datetime"),  # noqa: DTZ001
        ({"at": datetime(2026, 1, 1)}, "$.at", "naive_datetime"),  # noqa: DTZ001
    ],
)
def test_bad_input_is_refused_with_a_path_and_a_code(overrides, path, code):
    """Each broken rule raises a ValidationError naming the field and the rule."""
    with pytest.raises(ValidationError) as caught:
        contact(**overrides)
    assert (path, code) == (caught.value.path, caught.value.code)


def test_details_belong_to_contacts_only():
    """A job title on a household or hierarchy relationship is refused."""
    with pytest.raises(ValidationError) as caught:
        Relationship.establish(
            RID, kind="parent_of", party_id=GROUP, related_id=ACME, at=T0, job_title="CEO"
        )
    assert ("$.job_title", "not_a_contact") == (caught.value.path, caught.value.code)


def test_a_related_kind_for_the_business_is_refused():
    """The business has no party kind."""
    with pytest.raises(ValidationError) as caught:
        Relationship.establish(
            RID, kind="partner", party_id=ACME, related_kind="organization", at=T0
        )
    assert ("$.related_kind", "party_kind") == (caught.value.path, caught.value.code)


def test_wrong_types_are_invalid_type_errors():
    """Ids of the wrong type, or a primary flag that is not a bool, are TypeErrors."""
    with pytest.raises(InvalidType) as caught:
        contact(party_id="ana")
    assert "$.party_id" == caught.value.path
    with pytest.raises(InvalidType):
        contact(primary=1)
    with pytest.raises(InvalidType):
        contact(roles="decision_maker")


# -- commands -----------------------------------------------------------------------------


def test_change_roles_replaces_them_and_records_both_sets():
    """change_roles() records the new and previous roles; the same roles change nothing."""
    rel = contact()
    later = T0 + timedelta(days=1)
    changed = rel.change_roles([ContactRole.CHAMPION, "technical"], at=later, actor="rep-1")
    assert ("champion", "technical") == changed.roles
    event = changed.pending_events[-1]
    assert isinstance(event, RelationshipRolesChanged)
    assert ("champion", "technical") == event.roles
    assert ("billing", "decision_maker") == event.previous_roles
    assert (2, later, "rep-1") == (event.sequence, event.occurred_at, event.actor)
    assert changed is changed.change_roles(["technical", "champion"], at=later)


def test_set_primary_toggles_the_flag():
    """set_primary() records the new flag and does nothing when it is already set."""
    rel = contact(primary=False)
    primary = rel.set_primary(at=T0)
    assert primary.primary is True
    assert isinstance(primary.pending_events[-1], RelationshipPrimaryChanged)
    assert primary is primary.set_primary(at=T0)
    cleared = primary.set_primary(at=T0, primary=False)
    assert cleared.primary is False
    assert cleared.pending_events[-1].primary is False


def test_change_details_names_the_fields_never_the_values():
    """change_details() records which fields changed; the values stay in the aggregate."""
    rel = contact()
    changed = rel.change_details(at=T0, job_title="Direktur Keuangan", department=DEPARTMENT)
    assert "Direktur Keuangan" == changed.job_title
    event = changed.pending_events[-1]
    assert isinstance(event, RelationshipDetailsChanged)
    assert ("job_title",) == event.fields
    assert "Direktur" not in repr(event)
    assert changed is changed.change_details(
        at=T0, job_title="Direktur Keuangan", department=DEPARTMENT
    )


def test_end_sets_an_exclusive_end():
    """end() records RelationshipEnded; in force before the end, not at it."""
    rel = contact()
    july = datetime(2026, 7, 1, tzinfo=UTC)
    ended = rel.end(at=T0 + timedelta(days=1), valid_until=july)
    assert july == ended.valid_until
    event = ended.pending_events[-1]
    assert isinstance(event, RelationshipEnded)
    assert (july, None) == (event.valid_until, event.previous_valid_until)
    assert ended.in_force_at(july - timedelta(microseconds=1))
    assert not ended.in_force_at(july)
    assert ended.in_force_at(T0)
    assert not ended.in_force_at(T0 - timedelta(microseconds=1))


def test_end_defaults_to_the_command_time_and_may_be_corrected():
    """Without valid_until the relationship ends at ``at``; a later end corrects the date."""
    rel = contact()
    ended = rel.end(at=T0 + timedelta(days=10))
    assert T0 + timedelta(days=10) == ended.valid_until
    corrected = ended.end(at=T0 + timedelta(days=11), valid_until=T0 + timedelta(days=5))
    assert T0 + timedelta(days=5) == corrected.valid_until
    assert T0 + timedelta(days=10) == corrected.pending_events[-1].previous_valid_until
    assert corrected is corrected.end(at=T0 + timedelta(days=12), valid_until=corrected.valid_until)


def test_an_end_at_the_start_voids_the_relationship():
    """A relationship that ends when it starts was never in force."""
    rel = contact().end(at=T0, valid_until=T0)
    assert not rel.in_force_at(T0)


def test_end_before_start_is_refused_and_changes_nothing():
    """Ending before valid_from raises end_before_start; the aggregate is unchanged."""
    rel = contact(valid_from=T0 + timedelta(days=30))
    before = to_dict(rel)
    with pytest.raises(ValidationError) as caught:
        rel.end(at=T0, valid_until=T0 + timedelta(days=29))
    assert ("$.valid_until", "end_before_start") == (caught.value.path, caught.value.code)
    assert before == to_dict(rel)


def test_an_ended_relationship_no_longer_changes():
    """Roles, primary flag and details of a relationship whose end has passed are frozen."""
    ended = contact().end(at=T0 + timedelta(days=1))
    later = T0 + timedelta(days=2)
    for command in (
        lambda: ended.change_roles(["user"], at=later),
        lambda: ended.set_primary(at=later, primary=False),
        lambda: ended.change_details(at=later, job_title=None, department=None),
    ):
        with pytest.raises(ValidationError) as caught:
            command()
        assert ("$.valid_until", "ended") == (caught.value.path, caught.value.code)


def test_a_future_end_still_allows_changes():
    """Until its end passes, a relationship with an end date still changes."""
    rel = contact(valid_until=T0 + timedelta(days=30))
    assert ("user",) == rel.change_roles(["user"], at=T0 + timedelta(days=29)).roles


def test_commands_dated_before_the_last_change_are_refused():
    """The kernel's time rule applies to every command."""
    rel = contact().change_roles(["user"], at=T0 + timedelta(days=5))
    with pytest.raises(ValidationError) as caught:
        rel.set_primary(at=T0 + timedelta(days=4), primary=False)
    assert ("$.at", "time_backwards") == (caught.value.path, caught.value.code)


def test_other_gives_the_far_side():
    """other() answers from either side and refuses a stranger."""
    rel = contact()
    assert (ACME, ANA) == (rel.other(ANA), rel.other(ACME))
    with pytest.raises(ValidationError) as caught:
        rel.other(BUDI)
    assert "not_a_party" == caught.value.code


def test_has_role_accepts_codes_and_enum_members():
    """has_role() takes a role code or a member of the role enums."""
    rel = contact()
    assert rel.has_role("billing")
    assert rel.has_role(ContactRole.DECISION_MAKER)
    assert not rel.has_role(HouseholdRole.HEAD)


# -- documents, reprs ---------------------------------------------------------------------


def test_the_aggregate_and_its_events_round_trip():
    """to_dict/from_dict give back an equal relationship and equal events."""
    rel = (
        contact(valid_until=T0 + timedelta(days=90))
        .change_roles(["technical"], at=T0 + timedelta(hours=1))
        .set_primary(at=T0 + timedelta(hours=2), primary=False)
        .change_details(at=T0 + timedelta(hours=3), job_title=None, department="IT")
        .end(at=T0 + timedelta(hours=4))
    )
    assert rel == roundtrip(rel)
    assert list(rel.pending_events) == [roundtrip(e) for e in rel.pending_events]
    stored = rel.without_pending_events()
    assert stored == roundtrip(stored)


def test_a_loaded_document_satisfies_the_same_rules():
    """A stored document that relates a party to itself is refused on load."""
    document = to_dict(contact().without_pending_events())
    document["related_id"] = document["party_id"]
    with pytest.raises(ValidationError) as caught:
        from_dict(Relationship, document)
    assert "self_relationship" in {p.code for p in caught.value.problems}


def test_reprs_events_and_errors_leave_job_title_and_department_out():
    """Personal-ish free text never shows in the repr, an event or an error."""
    rel = contact().change_details(
        at=T0, job_title=TITLE + " Utama", department=DEPARTMENT + " Pusat"
    )
    shown = [repr(rel), str(rel), *(repr(e) for e in rel.pending_events)]
    shown += [json.dumps(to_dict(e)) for e in rel.pending_events]
    with pytest.raises(ValidationError) as caught:
        contact(job_title=TITLE + "\x07")
    shown.append(str(caught.value))
    for text in shown:
        assert "Keuangan" not in text
        assert "Kepala" not in text


def test_normalize_roles_sorts_and_deduplicates():
    """Roles are kept once each, sorted, as plain strings."""
    roles = normalize_roles([HouseholdRole.HEAD, "head", "spouse"])
    assert ("head", "spouse") == roles
    assert all(type(r) is str for r in roles)


# -- involved contacts --------------------------------------------------------------------


def test_involved_contacts_name_a_contact_and_a_role():
    """InvolvedContact keeps an id and a role code; it round-trips."""
    involved = InvolvedContact(ANA, ContactRole.ECONOMIC_BUYER, primary=True)
    assert "economic_buyer" == involved.role
    assert type(involved.role) is str
    assert involved == roundtrip(involved)


@pytest.mark.parametrize(
    ("contacts", "path", "code"),
    [
        (
            [InvolvedContact(ANA, "champion"), InvolvedContact(ANA, "champion")],
            "$.contacts[1]",
            "duplicate",
        ),
        (
            [InvolvedContact(ANA, "champion", True), InvolvedContact(BUDI, "user", True)],
            "$.contacts[1].primary",
            "multiple_primary",
        ),
        ([InvolvedContact(ANA, "user")] * 101, "$.contacts", "too_many"),
    ],
)
def test_check_involved_contacts_refuses_duplicates_and_two_primaries(contacts, path, code):
    """The field converter an opportunity or case would use refuses ambiguous lists."""
    with pytest.raises(ValidationError) as caught:
        check_involved_contacts(contacts)
    assert (path, code) == (caught.value.path, caught.value.code)


def test_check_involved_contacts_keeps_the_order_and_allows_two_roles():
    """One contact may hold two roles; the order given is kept."""
    contacts = [InvolvedContact(BUDI, "technical"), InvolvedContact(BUDI, "user")]
    assert tuple(contacts) == check_involved_contacts(contacts, "$.involved")


def test_involved_contact_fields_are_checked():
    """A bad id or role is refused with its path."""
    with pytest.raises(InvalidType) as caught:
        InvolvedContact("ana", "user")
    assert "$.contact_id" == caught.value.path
    with pytest.raises(ValidationError) as caught:
        InvolvedContact(ANA, "Decision maker")
    assert "$.role" == caught.value.path


def test_set_primary_needs_a_bool():
    """A truthy value is not a flag."""
    with pytest.raises(InvalidType) as caught:
        contact().set_primary(at=T0, primary="yes")
    assert "$.primary" == caught.value.path
