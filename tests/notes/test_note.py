"""Tests for `crmcore.notes._note`: the Note aggregate, its events and arrange_notes."""

import hashlib
from datetime import UTC, datetime, timedelta, timezone

import pytest

from crmcore import InvalidType, StaffId, ValidationError
from crmcore._kernel._ids import CaseId, CustomerId, LeadId, OpportunityId
from crmcore.notes import (
    MAX_ATTACHMENTS,
    MAX_BODY,
    Attachment,
    Note,
    NoteAttachmentAdded,
    NoteAttachmentRemoved,
    NoteCustomerRepointed,
    NoteEdited,
    NoteId,
    NotePinned,
    NoteRelinked,
    NoteUnpinned,
    NoteWritten,
    RecordKind,
    RecordRef,
    arrange_notes,
)
from crmcore.serialization import from_dict, to_dict

T0 = datetime(2026, 5, 4, 9, 0, tzinfo=UTC)
T1 = T0 + timedelta(days=1)
LEAD = RecordRef.to(LeadId("l-7"))
CUSTOMER = RecordRef.to(CustomerId("c-1"))
AUTHOR = StaffId("s-rina")
BODY = "Ibu Sari wants a quote.\nCall back Friday."


def file(key="blob-1", data=b"quote"):
    return Attachment.describe(
        data, file_name=f"Penawaran {key}.pdf", media_type="application/pdf", storage_key=key
    )


def written(**kwargs):
    arguments = {"link": LEAD, "body": BODY, "author_id": AUTHOR, "at": T0}
    return Note.write(NoteId("n-1"), **{**arguments, **kwargs})


def test_write_records_the_link_author_pin_and_storage_keys():
    """NoteWritten carries ids and codes: the link, the author, the pin and the storage keys."""
    note = written(pinned=True, attachments=[file("k-1"), file("k-2")], actor="s-rina")
    (event,) = note.pending_events
    assert isinstance(event, NoteWritten)
    assert "note:n-1#1" == event.event_id
    assert (LEAD, AUTHOR, True) == (event.link, event.author_id, event.pinned)
    assert ("k-1", "k-2") == event.storage_keys == note.storage_keys
    assert "s-rina" == event.actor
    assert (T0, T0) == (note.created_at, note.updated_at)


def test_the_body_is_cleaned_and_line_ends_unified():
    """NFC, trimmed ends, CRLF and CR become LF; inner blank lines stay."""
    note = written(body="  Cafe\u0301 meeting\r\n\r\nnext: demo\rok  \n")
    assert "Caf\u00e9 meeting\n\nnext: demo\nok" == note.body


@pytest.mark.parametrize(
    ("kwargs", "error", "path", "code"),
    [
        ({"body": ""}, ValidationError, "$.body", "empty_note"),
        ({"body": " \n\t "}, ValidationError, "$.body", "empty_note"),
        ({"body": "a\x00b"}, ValidationError, "$.body", "control_characters"),
        ({"body": "a\u200bb"}, ValidationError, "$.body", "control_characters"),
        ({"body": "x" * (MAX_BODY + 1)}, ValidationError, "$.body", "too_long"),
        ({"body": None}, InvalidType, "$.body", "type"),
        ({"link": "lead:l-7"}, InvalidType, "$.link", "type"),
        ({"link": LeadId("l-7")}, InvalidType, "$.link", "type"),
        ({"author_id": "s-rina"}, InvalidType, "$.author_id", "type"),
        ({"pinned": 1}, InvalidType, "$.pinned", "type"),
        ({"attachments": ["blob"]}, InvalidType, "$.attachments[0]", "type"),
        ({"attachments": file()}, InvalidType, "$.attachments", "type"),
        (
            {"attachments": [file("k-1"), file("k-1", b"other")]},
            ValidationError,
            "$.attachments[1].storage_key",
            "duplicate",
        ),
        (
            {"attachments": [file(f"k-{n}") for n in range(MAX_ATTACHMENTS + 1)]},
            ValidationError,
            "$.attachments",
            "too_many",
        ),
        ({"at": datetime(2026, 5, 4)}, ValidationError, "$.at", "naive_datetime"),  # noqa: DTZ001
    ],
)
def test_write_refuses_bad_input_naming_the_field(kwargs, error, path, code):
    """Each bad argument raises its specific error at its path, never repeating the body."""
    with pytest.raises(error) as caught:
        written(**kwargs)
    assert (path, code) == (caught.value.path, caught.value.code)
    body = kwargs.get("body")
    if isinstance(body, str) and body.strip():
        assert body not in str(caught.value)


def test_the_bounds_themselves_are_accepted():
    """A body of MAX_BODY characters and MAX_ATTACHMENTS attachments are allowed."""
    assert MAX_BODY == len(written(body="x" * MAX_BODY).body)
    many = written(attachments=[file(f"k-{n}") for n in range(MAX_ATTACHMENTS)])
    assert MAX_ATTACHMENTS == len(many.attachments)
    with pytest.raises(ValidationError) as caught:
        many.attach(file("k-extra"), at=T1)
    assert ("$.attachments", "too_many") == (caught.value.path, caught.value.code)


def test_an_empty_body_needs_an_attachment():
    """A note may be only a file; it may not lose its last file while it has no body."""
    note = written(body="", attachments=[file("k-1")])
    assert "" == note.body
    with pytest.raises(ValidationError) as caught:
        note.detach("k-1", at=T1)
    assert ("$.body", "empty_note") == (caught.value.path, caught.value.code)
    with_body = note.edit("Signed contract attached.", at=T1)
    assert () == with_body.detach("k-1", at=T1).attachments
    with pytest.raises(ValidationError) as caught:
        written().edit("   ", at=T1)
    assert "empty_note" == caught.value.code


def test_edit_records_an_event_without_the_body():
    """NoteEdited carries the note's id only; the new body stays in the note."""
    note = written().edit("Quote sent.\nWaiting for PO.", at=T1, correlation_id="req-9")
    event = note.pending_events[-1]
    assert isinstance(event, NoteEdited)
    assert "Quote sent.\nWaiting for PO." == note.body
    assert "req-9" == event.correlation_id
    assert "Quote" not in str(to_dict(event))
    assert T1 == note.updated_at


def test_pin_and_unpin():
    """Pinning and unpinning flip the flag and record their events."""
    note = written().pin(at=T1)
    assert note.pinned
    assert isinstance(note.pending_events[-1], NotePinned)
    note = note.unpin(at=T1)
    assert not note.pinned
    assert isinstance(note.pending_events[-1], NoteUnpinned)


def test_attach_and_detach():
    """Attach appends and records the metadata without the name; detach removes by key."""
    first, second = file("k-1"), file("k-2", b"second")
    note = written().attach(first, at=T0).attach(second, at=T1)
    assert ("k-1", "k-2") == note.storage_keys
    added = note.pending_events[-1]
    assert isinstance(added, NoteAttachmentAdded)
    assert (second.storage_key, second.media_type, second.size, second.sha256) == (
        added.storage_key,
        added.media_type,
        added.size,
        added.sha256,
    )
    assert second == note.attachment("k-2")
    assert note.attachment("k-9") is None
    note = note.detach("k-1", at=T1)
    assert ("k-2",) == note.storage_keys
    removed = note.pending_events[-1]
    assert isinstance(removed, NoteAttachmentRemoved)
    assert "k-1" == removed.storage_key


def test_attaching_another_file_under_a_taken_key_is_refused_and_nothing_changes():
    """The same key for other bytes is refused at the new attachment's place."""
    note = written(attachments=[file("k-1")])
    with pytest.raises(ValidationError) as caught:
        note.attach(file("k-1", b"other bytes"), at=T1)
    assert ("$.attachments[1].storage_key", "duplicate") == (caught.value.path, caught.value.code)
    assert ("k-1",) == note.storage_keys
    assert 1 == len(note.pending_events)


def test_relink_moves_the_note_and_records_both_records():
    """NoteRelinked names the new and the previous record."""
    opportunity = RecordRef.to(OpportunityId("opp-3"))
    note = written().relink(opportunity, at=T1)
    assert opportunity == note.link
    event = note.pending_events[-1]
    assert isinstance(event, NoteRelinked)
    assert (opportunity, LEAD) == (event.link, event.previous)


def test_repoint_customer_keeps_the_kind_of_the_link():
    """A merge moves a note on a customer or an account to the survivor, same kind."""
    account = RecordRef.account(CustomerId("c-1"))
    note = written(link=account).repoint_customer(CustomerId("c-1"), CustomerId("c-2"), at=T1)
    assert RecordRef.account(CustomerId("c-2")) == note.link
    event = note.pending_events[-1]
    assert isinstance(event, NoteCustomerRepointed)
    assert (CustomerId("c-1"), CustomerId("c-2"), ("link",)) == (
        event.previous,
        event.customer_id,
        event.fields,
    )
    assert note == from_dict(Note, to_dict(note))


class _OwnCustomerId(CustomerId):
    """A subclass of CustomerId: refused, as by every repointing aggregate."""


@pytest.mark.parametrize(
    ("link", "previous", "survivor", "expected"),
    [
        (CUSTOMER, CustomerId("c-1"), CustomerId("c-1"), ("$.customer_id", "same_customer")),
        (CUSTOMER, CustomerId("c-9"), CustomerId("c-2"), ("$.previous", "not_named")),
        (LEAD, CustomerId("l-7"), CustomerId("c-2"), ("$.previous", "not_named")),
        (CUSTOMER, "c-1", CustomerId("c-2"), ("$.previous", "type")),
        (CUSTOMER, CustomerId("c-1"), LeadId("c-2"), ("$.customer_id", "type")),
        (CUSTOMER, _OwnCustomerId("c-1"), CustomerId("c-2"), ("$.previous", "type")),
        (CUSTOMER, CustomerId("c-1"), _OwnCustomerId("c-2"), ("$.customer_id", "type")),
    ],
)
def test_repoint_customer_refuses(link, previous, survivor, expected):
    """Re-pointing needs two different customers, the first one the note's."""
    note = written(link=link)
    with pytest.raises(ValidationError) as caught:
        note.repoint_customer(previous, survivor, at=T1)
    assert expected == (caught.value.path, caught.value.code)
    assert isinstance(caught.value, InvalidType) == ("type" == expected[1])


@pytest.mark.parametrize(
    ("pinned", "command"),
    [
        (False, lambda n: n.edit(f"  {BODY}\r\n", at=T1)),
        (True, lambda n: n.pin(at=T1)),
        (False, lambda n: n.unpin(at=T1)),
        (False, lambda n: n.attach(file("k-1"), at=T1)),
        (False, lambda n: n.detach("k-9", at=T1)),
        (False, lambda n: n.relink(LEAD, at=T1)),
    ],
)
def test_commands_that_change_nothing_record_nothing(pinned, command):
    """The same body, pin, attachment or link, or a key not held: the note itself back."""
    note = written(pinned=pinned, attachments=[file("k-1")])
    assert note is command(note)


@pytest.mark.parametrize(
    ("command", "error", "path"),
    [
        (lambda n: n.edit(7, at=T1), InvalidType, "$.body"),
        (lambda n: n.attach("k-1", at=T1), InvalidType, "$.attachment"),
        (lambda n: n.detach("my file", at=T1), ValidationError, "$.storage_key"),
        (lambda n: n.detach(None, at=T1), InvalidType, "$.storage_key"),
        (lambda n: n.relink(CaseId("case-1"), at=T1), InvalidType, "$.link"),
        (lambda n: n.pin(at=T0 - timedelta(seconds=1)), ValidationError, "$.at"),
        (lambda n: n.edit("later", at="2026-05-05"), InvalidType, "$.at"),
        (lambda n: n.pin(at=T1, who="x"), InvalidType, "$"),
        (lambda n: n.attachment(5), InvalidType, "$.storage_key"),
    ],
)
def test_refused_commands_leave_the_note_as_it_was(command, error, path):
    """A refused command raises at its argument's path and changes nothing."""
    note = written(attachments=[file("k-1")])
    before = to_dict(note)
    with pytest.raises(error) as caught:
        command(note)
    assert path == caught.value.path
    assert before == to_dict(note)


def test_a_command_before_the_last_change_is_refused_as_time_backwards():
    """The kernel's time rule applies to every command."""
    note = written().pin(at=T1)
    with pytest.raises(ValidationError) as caught:
        note.unpin(at=T0)
    assert ("$.at", "time_backwards") == (caught.value.path, caught.value.code)


def test_the_repr_shows_ids_and_counts_only():
    """The body and file names stay out of the repr."""
    note = written(attachments=[file("k-1")])
    text = repr(note)
    assert "Ibu Sari" not in text
    assert "Penawaran" not in text
    assert "RecordRef('lead', 'l-7')" in text
    assert "attachments=1" in text


def test_a_document_breaking_a_rule_is_refused_with_its_path():
    """from_dict reports a bad digest deep in a note at its full path."""
    document = to_dict(written(attachments=[file("k-1"), file("k-2", b"x")]))
    document["attachments"][1]["sha256"] = "zz"
    with pytest.raises(ValidationError) as caught:
        from_dict(Note, document)
    assert ("$.attachments[1].sha256", "sha256") == (caught.value.path, caught.value.code)
    document = to_dict(written(body="", attachments=[file("k-1")]))
    document["attachments"] = []
    with pytest.raises(ValidationError) as caught:
        from_dict(Note, document)
    assert ("$.body", "empty_note") == (caught.value.path, caught.value.code)


def test_every_record_kind_can_hold_a_note():
    """Notes link to customers, accounts, leads, opportunities, cases, orders and subscriptions."""
    for kind in RecordKind:
        link = RecordRef(kind, "r-1")
        assert link == written(link=link).link


# -- arrange_notes ---------------------------------------------------------------------------


def note_at(name, at, *, pinned=False):
    return Note.write(NoteId(name), link=LEAD, body="b", at=at, pinned=pinned)


def test_arrange_puts_pinned_first_then_newest_first():
    """Pinned notes lead, each group newest first, ties by id; offsets compare as instants."""
    jakarta = timezone(timedelta(hours=7))
    old_pinned = note_at("n-a", T0, pinned=True)
    new_pinned = note_at("n-b", T1, pinned=True)
    plain_late = note_at("n-c", (T1 + timedelta(hours=1)).astimezone(jakarta))
    plain_tie_2 = note_at("n-e", T0)
    plain_tie_1 = note_at("n-d", T0.astimezone(jakarta))
    shuffled = [plain_tie_2, old_pinned, plain_late, new_pinned, plain_tie_1]
    expected = (new_pinned, old_pinned, plain_late, plain_tie_1, plain_tie_2)
    assert expected == arrange_notes(shuffled)
    assert expected == arrange_notes(reversed(shuffled))
    assert () == arrange_notes([])


def test_arrange_refuses_what_is_not_a_note():
    """Every item must be a Note."""
    with pytest.raises(InvalidType) as caught:
        arrange_notes([note_at("n-a", T0), "note"])
    assert "$.notes[1]" == caught.value.path
    with pytest.raises(InvalidType):
        arrange_notes(None)


def test_digest_helper_matches_hashlib():
    """The attachments used here are described from their bytes."""
    assert hashlib.sha256(b"quote").hexdigest() == file().sha256
