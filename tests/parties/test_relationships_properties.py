"""Properties of the Relationship aggregate: documents, envelopes, boundaries, refusals, privacy."""

import json
from datetime import timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from crmcore import ValidationError
from crmcore.customers import CustomerId
from crmcore.parties import InvolvedContact, Relationship, RelationshipEvent
from crmcore.serialization import from_dict, to_dict
from crmcore.testing.strategies._relationships import (
    hierarchy_nodes,
    involved_contacts,
    party_links,
    relationship_collections,
    relationships,
)

TICK = timedelta(microseconds=1)
#: Consonants only: no word of a repr or message can hide it.
MARKER = "Zqxbrkdwmt"


def roundtrip(obj):
    return from_dict(type(obj), json.loads(json.dumps(to_dict(obj))))


@given(relationships())
def test_relationships_round_trip_with_their_events(rel):
    """A drawn relationship, its stored form and its events read back equal."""
    assert rel == roundtrip(rel)
    assert rel.without_pending_events() == roundtrip(rel.without_pending_events())
    assert list(rel.pending_events) == [roundtrip(e) for e in rel.pending_events]


@given(st.one_of(involved_contacts(), party_links(), hierarchy_nodes()))
def test_the_values_around_relationships_round_trip(value):
    """InvolvedContact, PartyLink and HierarchyNode documents read back equal."""
    assert value == roundtrip(value)


@given(relationships())
def test_every_event_carries_the_envelope_in_sequence(rel):
    """Events number 1, 2, ... with derived ids, in time order, naming the relationship."""
    events = rel.pending_events
    assert len(events) == rel.sequence
    for number, event in enumerate(events, start=1):
        assert isinstance(event, RelationshipEvent)
        assert number == event.sequence
        assert f"relationship:{rel.id.value}#{number}" == event.event_id
        assert (rel.id, rel.kind, rel.party_id, rel.related_id) == (
            event.relationship_id,
            event.kind,
            event.party_id,
            event.related_id,
        )
        assert rel.created_at <= event.occurred_at <= rel.updated_at
    times = [e.occurred_at for e in events]
    assert times == sorted(times)


@given(relationships())
def test_validity_is_start_inclusive_end_exclusive(rel):
    """In force from valid_from to just before valid_until; never before the start."""
    assert not rel.in_force_at(rel.valid_from - TICK)
    if rel.valid_until is None:
        assert rel.in_force_at(rel.valid_from)
        assert rel.in_force_at(rel.valid_from + timedelta(days=36_500))
    else:
        assert rel.in_force_at(rel.valid_from) == (rel.valid_until > rel.valid_from)
        assert not rel.in_force_at(rel.valid_until)
        if rel.valid_until > rel.valid_from:
            assert rel.in_force_at(rel.valid_until - TICK)


@given(relationships(), st.integers(min_value=1, max_value=10**9))
def test_ending_before_the_start_is_refused_and_changes_nothing(rel, microseconds):
    """end() before valid_from raises end_before_start and leaves the relationship as it was."""
    before = to_dict(rel)
    with pytest.raises(ValidationError) as caught:
        rel.end(
            at=rel.updated_at, valid_until=rel.valid_from - timedelta(microseconds=microseconds)
        )
    assert ("$.valid_until", "end_before_start") == (caught.value.path, caught.value.code)
    assert before == to_dict(rel)


@given(relationships(pending_events=False))
def test_a_party_related_to_itself_is_refused_on_load(rel):
    """A stored document relating a party to itself never loads."""
    document = to_dict(rel)
    document["related_id"] = document["party_id"]
    with pytest.raises(ValidationError) as caught:
        from_dict(Relationship, document)
    assert "self_relationship" in {p.code for p in caught.value.problems}


@given(relationships(kinds=["contact_of"]))
def test_job_title_and_department_never_leave_the_aggregate(rel):
    """Reprs, events and error messages never show a contact's job title or department."""
    if rel.has_ended(rel.updated_at):
        return
    changed = rel.change_details(
        at=rel.updated_at, job_title=f"Head {MARKER}", department=f"{MARKER} unit"
    )
    shown = [repr(changed), *(repr(e) for e in changed.pending_events)]
    shown += [json.dumps(to_dict(e)) for e in changed.pending_events]
    with pytest.raises(ValidationError) as caught:
        changed.change_details(at=changed.updated_at, job_title=f"{MARKER}\x1b", department=None)
    shown.append(str(caught.value))
    assert all(MARKER not in text for text in shown)
    assert f"Head {MARKER}" == changed.job_title


@given(relationships(), st.data())
def test_commands_after_the_end_are_refused(rel, data):
    """Once its end has passed, a relationship's roles and flag no longer change."""
    if rel.valid_until is None or rel.valid_until > rel.updated_at:
        return
    when = rel.updated_at + data.draw(st.integers(0, 10**6)) * TICK
    with pytest.raises(ValidationError) as caught:
        rel.change_roles(["user"], at=when)
    assert "ended" == caught.value.code


@given(involved_contacts())
def test_involved_contacts_keep_plain_role_codes(involved):
    """The role is a plain snake_case str, whatever it was given as."""
    assert type(involved.role) is str
    assert involved == InvolvedContact(involved.contact_id, involved.role, involved.primary)


@given(
    relationships(
        kinds=["contact_of", "parent_of"],
        party_ids=[CustomerId("p-1"), CustomerId("p-2"), CustomerId("p-3")],
        pending_events=False,
    )
)
def test_the_strategy_keeps_to_its_arguments(rel):
    """Drawn relationships use only the kinds and parties asked for, stored without events."""
    assert rel.kind.value in {"contact_of", "parent_of"}
    assert {rel.party_id, rel.related_id} <= {CustomerId(f"p-{n}") for n in (1, 2, 3)}
    assert () == rel.pending_events


@pytest.mark.parametrize(
    ("options", "path"),
    [
        ({"party_ids": [CustomerId("p-1")]}, "$.party_ids"),
        ({"party_ids": ["p-1", "p-2"]}, "$.party_ids[0]"),
        ({"kinds": []}, "$.kinds"),
        ({"pending_events": 1}, "$.pending_events"),
    ],
)
def test_the_strategy_checks_its_arguments(options, path):
    """Bad options raise when the strategy is made, naming the argument."""
    with pytest.raises(ValidationError) as caught:
        relationships(**options)
    assert path == caught.value.path


@pytest.mark.parametrize(
    ("options", "path"),
    [
        ({"max_size": -1}, "$.max_size"),
        ({"parties": 1}, "$.parties"),
        ({"valid": "yes"}, "$.valid"),
    ],
)
def test_the_collection_strategy_checks_its_arguments(options, path):
    """Bad options raise when the strategy is made, naming the argument."""
    with pytest.raises(ValidationError) as caught:
        relationship_collections(**options)
    assert path == caught.value.path
