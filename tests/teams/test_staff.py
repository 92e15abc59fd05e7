"""Tests for `crmcore.teams._staff`: the StaffMember aggregate and its events."""

from datetime import UTC, datetime, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from crmcore import DomainEvent, InvalidType, StaffId, ValidationError
from crmcore.serialization import from_dict, to_dict
from crmcore.teams import (
    StaffMember,
    StaffMemberDeactivated,
    StaffMemberReactivated,
    StaffMemberRegistered,
    StaffMemberRenamed,
    StaffRoleGranted,
    StaffRoleRevoked,
    normalize_role,
)
from crmcore.teams._staff import MAX_ROLES
from crmcore.testing.strategies._teams import staff_members

T0 = datetime(2026, 5, 4, 9, 0, tzinfo=UTC)
T1 = T0 + timedelta(hours=1)
NAME = "Rina Wijaya"


def rina(**kwargs):
    return StaffMember.register(StaffId("s-rina"), display_name=NAME, at=T0, **kwargs)


# -- registration -------------------------------------------------------------------------


def test_register_records_one_event_with_the_envelope():
    """Registering gives an active member and a StaffMemberRegistered with the roles."""
    member = rina(roles=["sales_rep", "account_manager", "sales_rep"], actor="s-boss")
    assert member.active
    assert ("account_manager", "sales_rep") == member.roles
    (event,) = member.pending_events
    assert isinstance(event, StaffMemberRegistered)
    assert "staff_member:s-rina#1" == event.event_id
    assert ("staff_member", "s-rina", 1) == (event.aggregate_kind, event.aggregate_id, 1)
    assert StaffId("s-rina") == event.staff_id
    assert ("account_manager", "sales_rep") == event.roles
    assert "s-boss" == event.actor
    assert T0 == event.occurred_at == member.created_at == member.updated_at


def test_the_display_name_stays_out_of_repr_and_events():
    """The display name is personal data: neither the repr nor any event document holds it."""
    member = rina().rename("Rina W. Putri", at=T1)
    assert NAME not in repr(member)
    assert "Rina" not in repr(member)
    for event in member.pending_events:
        document = str(to_dict(event))
        assert "Rina" not in document


@pytest.mark.parametrize(
    ("kwargs", "error", "path", "code"),
    [
        ({"display_name": ""}, ValidationError, "$.display_name", "too_short"),
        ({"display_name": "a\x00b"}, ValidationError, "$.display_name", "control_characters"),
        ({"display_name": 5}, InvalidType, "$.display_name", "type"),
        ({"roles": "sales_rep"}, InvalidType, "$.roles", "type"),
        ({"roles": ["Sales Rep"]}, ValidationError, "$.roles[0]", "name"),
        ({"roles": ["ok", 3]}, InvalidType, "$.roles[1]", "type"),
        (
            {"roles": [f"r{n}" for n in range(MAX_ROLES + 1)]},
            ValidationError,
            "$.roles",
            "too_many",
        ),
        ({"at": datetime(2026, 5, 4)}, ValidationError, "$.at", "naive_datetime"),  # noqa: DTZ001
        ({"actor": "not an id"}, ValidationError, "$.actor", "id_format"),
    ],
)
def test_register_refuses_bad_input_naming_the_field(kwargs, error, path, code):
    """Each bad argument raises its specific error at its path."""
    arguments = {"display_name": NAME, "at": T0, **kwargs}
    with pytest.raises(error) as caught:
        StaffMember.register(StaffId("s-1"), **arguments)
    assert (path, code) == (caught.value.path, caught.value.code)


def test_register_refuses_an_id_of_another_kind():
    """The id must be a StaffId, not a bare string."""
    with pytest.raises(InvalidType) as caught:
        StaffMember.register("s-1", display_name=NAME, at=T0)
    assert "$.id" == caught.value.path


def test_error_messages_never_repeat_the_name():
    """A refused name is not echoed in the message."""
    with pytest.raises(ValidationError) as caught:
        StaffMember.register(StaffId("s-1"), display_name="Budi\x07", at=T0)
    assert "Budi" not in str(caught.value)


# -- commands -----------------------------------------------------------------------------


def test_commands_record_their_events_in_sequence():
    """Each command records one event with the next sequence number."""
    member = (
        rina()
        .grant_role("team_lead", at=T0)
        .revoke_role("team_lead", at=T1)
        .deactivate(at=T1)
        .reactivate(at=T1)
        .rename("Rina P.", at=T1)
    )
    expected = [
        StaffMemberRegistered,
        StaffRoleGranted,
        StaffRoleRevoked,
        StaffMemberDeactivated,
        StaffMemberReactivated,
        StaffMemberRenamed,
    ]
    assert expected == [type(e) for e in member.pending_events]
    assert list(range(1, 7)) == [e.sequence for e in member.pending_events]
    assert 6 == member.sequence
    assert "Rina P." == member.display_name


@pytest.mark.parametrize(
    "command",
    [
        lambda m: m.grant_role("sales_rep", at=T1),
        lambda m: m.revoke_role("support_agent", at=T1),
        lambda m: m.reactivate(at=T1),
        lambda m: m.rename(NAME, at=T1),
    ],
)
def test_commands_that_change_nothing_record_nothing(command):
    """Granting a held role, revoking one not held, reactivating an active member: no event."""
    member = rina(roles=["sales_rep"])
    assert member is command(member)


def test_deactivating_twice_records_once():
    """A second deactivation is a no-op."""
    member = rina().deactivate(at=T1)
    assert member is member.deactivate(at=T1)
    assert not member.active


def test_has_role_checks_the_role():
    """has_role answers for a valid role and refuses an invalid one."""
    member = rina(roles=["sales_rep"])
    assert member.has_role("sales_rep")
    assert not member.has_role("team_lead")
    with pytest.raises(ValidationError):
        member.has_role("Team Lead")


@pytest.mark.parametrize(
    ("command", "path", "code"),
    [
        (lambda m: m.grant_role("Bad Role", at=T1), "$.role", "name"),
        (lambda m: m.revoke_role(7, at=T1), "$.role", "type"),
        (lambda m: m.rename("  ", at=T1), "$.display_name", "too_short"),
        (lambda m: m.deactivate(at=T0 - timedelta(seconds=1)), "$.at", "time_backwards"),
        (lambda m: m.grant_role("x", at=T1, actor="a b"), "$.actor", "id_format"),
        (lambda m: m.reactivate(at=T1, unknown=1), "$", "unknown_keyword"),
    ],
)
def test_failed_commands_leave_the_member_unchanged(command, path, code):
    """A refused command raises at its path and the member is as it was."""
    member = rina(roles=["sales_rep"]).deactivate(at=T0)
    before = to_dict(member)
    with pytest.raises(ValidationError) as caught:
        command(member)
    assert (path, code) == (caught.value.path, caught.value.code)
    assert before == to_dict(member)


def test_the_role_limit_is_kept_by_grant():
    """Granting past MAX_ROLES is refused with too_many."""
    member = rina(roles=[f"r{n}" for n in range(MAX_ROLES)])
    with pytest.raises(ValidationError) as caught:
        member.grant_role("one_more", at=T1)
    assert ("$.roles", "too_many") == (caught.value.path, caught.value.code)


def test_normalize_role_refuses_non_strings():
    """Roles are snake_case strings only."""
    with pytest.raises(InvalidType):
        normalize_role(None)
    assert "key_account_manager" == normalize_role("key_account_manager")


# -- documents ----------------------------------------------------------------------------


def test_a_document_round_trips():
    """to_dict then from_dict gives the same member, events included."""
    member = rina(roles=["sales_rep"]).deactivate(at=T1)
    assert member == from_dict(StaffMember, to_dict(member))
    assert member.pending_events == from_dict(StaffMember, to_dict(member)).pending_events


@pytest.mark.parametrize(
    ("change", "path", "code"),
    [
        ({"roles": ["Sales"]}, "$.roles[0]", "name"),
        ({"active": "yes"}, "$.active", "type"),
        ({"display_name": None}, "$.display_name", "type"),
        ({"id": "a b"}, "$.id", "id_format"),
        ({"updated_at": "2020-01-01T00:00:00+00:00"}, "$.updated_at", "time_backwards"),
        ({"colour": "red"}, "$", "unknown_keys"),
    ],
)
def test_bad_documents_are_refused_with_the_field_path(change, path, code):
    """A stored document breaking a rule is refused, naming the field."""
    document = {**to_dict(rina().without_pending_events()), **change}
    with pytest.raises(ValidationError) as caught:
        from_dict(StaffMember, document)
    assert (path, code) in [(p.path, p.code) for p in caught.value.problems]


def test_events_of_another_member_are_refused():
    """A document's pending events must belong to it."""
    other = StaffMember.register(StaffId("s-other"), display_name=NAME, at=T0)
    document = to_dict(rina())
    document["pending_events"] = to_dict(other)["pending_events"]
    with pytest.raises(ValidationError) as caught:
        from_dict(StaffMember, document)
    assert "foreign_event" == caught.value.code


@given(staff_members())
def test_drawn_members_round_trip_and_keep_their_envelope(member):
    """Every drawn member survives a document trip; its events are in sequence and in time."""
    assert member == from_dict(StaffMember, to_dict(member))
    events = member.pending_events
    assert [e.sequence for e in events] == list(range(1, member.sequence + 1))
    assert all(isinstance(e, DomainEvent) and e.staff_id == member.id for e in events)
    assert [e.occurred_at for e in events] == sorted(e.occurred_at for e in events)
    assert member.roles == tuple(sorted(set(member.roles)))
    expected = (
        f"StaffMember(id={member.id!r}, active={member.active}, roles={member.roles!r}, "
        f"version=0, pending_events={len(events)})"
    )
    assert expected == repr(member)


@given(staff_members(), st.sampled_from(["deactivate", "reactivate"]))
def test_the_active_flag_follows_the_last_command(member, command):
    """Deactivating makes a member inactive and reactivating active, from any state."""
    changed = getattr(member, command)(at=member.updated_at)
    assert (command == "reactivate") == changed.active
