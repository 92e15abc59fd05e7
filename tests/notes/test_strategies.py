"""Tests for `crmcore.testing.strategies._notes`: the strategies of the notes capability."""

from datetime import UTC, datetime

import pytest
from hypothesis import given
from hypothesis import strategies as st

from crmcore import DomainEvent, InvalidType, StaffId, ValidationError
from crmcore._kernel._ids import CaseId, LeadId
from crmcore.notes import (
    MAX_ATTACHMENT_SIZE,
    Attachment,
    NoteEvent,
    RecordRef,
)
from crmcore.serialization import from_dict, to_dict
from crmcore.testing.strategies import _notes as strategies

PUBLIC = sorted(
    name
    for name, value in vars(strategies).items()
    if not name.startswith("_")
    and callable(value)
    and getattr(value, "__module__", None) == strategies.__name__
)
NAIVE = datetime(2026, 5, 4)  # noqa: DTZ001 - a naive datetime on purpose.
ON_CASE = RecordRef.to(CaseId("case-1"))
ON_LEAD = RecordRef.to(LeadId("l-1"))


def test_the_module_has_a_strategy_for_every_value_type():
    """The public strategies cover the aggregate and its value."""
    assert ["attachments", "notes"] == PUBLIC


BAD_ARGUMENTS = [
    (strategies.attachments, {"max_size": -1}, ValidationError, "$.max_size"),
    (strategies.attachments, {"max_size": MAX_ATTACHMENT_SIZE + 1}, ValidationError, "$.max_size"),
    (strategies.attachments, {"max_size": "1"}, InvalidType, "$.max_size"),
    (strategies.notes, {"links": []}, ValidationError, "$.links"),
    (strategies.notes, {"links": ["lead:l-1"]}, InvalidType, "$.links[0]"),
    (strategies.notes, {"staff_ids": ["s-1"]}, InvalidType, "$.staff_ids[0]"),
    (strategies.notes, {"max_attachments": 21}, ValidationError, "$.max_attachments"),
    (strategies.notes, {"max_steps": 101}, ValidationError, "$.max_steps"),
    (strategies.notes, {"min_created_at": NAIVE}, ValidationError, "$.min_created_at"),
    (strategies.notes, {"pending_events": 1}, InvalidType, "$.pending_events"),
    (
        strategies.notes,
        {
            "min_created_at": datetime(2026, 2, 1, tzinfo=UTC),
            "max_created_at": datetime(2026, 1, 1, tzinfo=UTC),
        },
        ValidationError,
        "$.max_created_at",
    ),
]


@pytest.mark.parametrize(("factory", "kwargs", "error", "path"), BAD_ARGUMENTS)
def test_bad_arguments_are_refused_when_the_strategy_is_made(factory, kwargs, error, path):
    """Arguments are checked eagerly, with the argument's path."""
    with pytest.raises(error) as caught:
        factory(**kwargs)
    assert path == caught.value.path


@given(
    strategies.notes(
        links=[ON_CASE, ON_LEAD], staff_ids=[StaffId("s-1")], max_steps=0, pending_events=False
    )
)
def test_options_constrain_what_is_drawn(note):
    """Given links and authors are the only ones drawn; stored notes carry no pending events."""
    assert note.link in {ON_CASE, ON_LEAD}
    assert note.author_id in {None, StaffId("s-1")}
    assert () == note.pending_events


@given(strategies.notes(max_attachments=0, max_steps=0))
def test_without_attachments_every_note_has_a_body(note):
    """``max_attachments=0`` draws notes with a body and no attachment."""
    assert () == note.attachments
    assert note.body


@given(strategies.notes(max_steps=8))
def test_drawn_histories_hold_note_events_that_round_trip(note):
    """Each event of a drawn history is a note event that survives a document trip."""
    for event in note.pending_events:
        assert isinstance(event, NoteEvent)
        assert event == from_dict(DomainEvent, to_dict(event))


@given(st.data())
def test_event_fields_are_values_an_attachment_accepts(data):
    """The metadata drawn for attachment events is metadata an Attachment accepts as it is."""
    fields = strategies.EVENT_FIELDS["NoteAttachmentAdded"]
    drawn = {name: data.draw(make(), label=name) for name, make in fields.items()}
    attachment = Attachment(file_name="f", **drawn)
    assert drawn == {name: getattr(attachment, name) for name in drawn}
    keys = data.draw(strategies.EVENT_FIELDS["NoteWritten"]["storage_keys"]())
    assert len(set(keys)) == len(keys)
    for key in keys:
        assert key == Attachment(file_name="f", **{**drawn, "storage_key": key}).storage_key
