"""Property tests of `crmcore.notes`, drawn with the shipped strategies of `_notes`."""

import itertools
from datetime import timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from crmcore import DomainEvent, ValidationError
from crmcore.notes import (
    MAX_ATTACHMENTS,
    Attachment,
    Note,
    NoteEvent,
    RecordRef,
    arrange_notes,
)
from crmcore.serialization import from_dict, to_dict
from crmcore.testing.strategies._notes import attachments, notes

#: A character no id, code, media type or digest holds: where it shows, personal text leaked.
MARK = "\u2042"
#: Words of marked text: letters and digits, so that the marked text is always valid.
WORDS = st.text(st.characters(categories=("L", "N")), max_size=12)


def assert_invariants(note):
    """What every note satisfies, however it was made."""
    assert note.body or note.attachments
    assert len(note.attachments) <= MAX_ATTACHMENTS
    assert len(set(note.storage_keys)) == len(note.storage_keys)
    assert type(note.link) is RecordRef
    assert all(type(a) is Attachment for a in note.attachments)
    assert note.created_at <= note.updated_at
    first = note.sequence - len(note.pending_events) + 1
    assert [first + n for n in range(len(note.pending_events))] == [
        e.sequence for e in note.pending_events
    ]
    assert all(isinstance(e, NoteEvent) and e.note_id == note.id for e in note.pending_events)


@given(notes(max_steps=8))
def test_drawn_notes_keep_the_invariants(note):
    """Every note the strategy's command histories build satisfies the note's rules."""
    assert_invariants(note)


@given(notes())
def test_notes_and_their_events_round_trip(note):
    """A note and each of its events survive a document trip, as do stored notes."""
    assert note == from_dict(Note, to_dict(note))
    assert note.pending_events == from_dict(Note, to_dict(note)).pending_events
    for event in note.pending_events:
        assert event == from_dict(DomainEvent, to_dict(event))
    stored = note.without_pending_events()
    assert stored == from_dict(Note, to_dict(stored))


@given(notes(), WORDS, attachments(), WORDS)
def test_no_body_or_file_name_leaks(note, words, attachment, name_words):
    """Marked body and file name text shows in no repr, no event and no error message."""
    at = note.updated_at
    body = f"Ibu {MARK} {words}\nline two"
    marked_file = Attachment(
        file_name=f"{MARK}{name_words}.pdf",
        media_type=attachment.media_type,
        size=attachment.size,
        sha256=attachment.sha256,
        storage_key=f"{attachment.storage_key}-x",
    )
    changed = note.edit(body, at=at)
    if marked_file.storage_key not in changed.storage_keys and len(changed.attachments) < 50:
        changed = changed.attach(marked_file, at=at)
    assert MARK in changed.body
    texts = [repr(changed), repr(marked_file), *(str(to_dict(e)) for e in changed.pending_events)]
    texts.extend(repr(e) for e in changed.pending_events)
    refused = [
        lambda n: n.edit(f"{body}\x00", at=at),
        lambda n: n.edit(body, at=at - timedelta(days=1)),
        lambda n: n.attach(
            Attachment(
                file_name=f"other {MARK}",
                media_type="text/plain",
                size=0,
                sha256="0" * 64,
                storage_key=n.storage_keys[0],
            ),
            at=at,
        ),
    ]
    for command in refused:
        with pytest.raises(ValidationError) as caught:
            command(changed)
        texts.extend((str(caught.value), repr(caught.value)))
        texts.extend(str(p) for p in caught.value.problems)
    assert all(MARK not in text for text in texts)


#: Commands with arguments drawn to be valid or not: (name, arguments strategy).
_COMMANDS = st.one_of(
    st.tuples(st.just("edit"), st.one_of(st.just(""), st.just(" \n "), WORDS, st.just("a\x01"))),
    st.tuples(st.just("pin"), st.none()),
    st.tuples(st.just("unpin"), st.none()),
    st.tuples(st.just("attach"), attachments()),
    st.tuples(st.just("detach"), st.one_of(st.just("no-such-key"), st.just("bad key"))),
    st.tuples(st.just("detach_held"), st.integers(0, 60)),
    st.tuples(st.just("relink"), notes(max_steps=0).map(lambda n: n.link)),
    st.tuples(st.just("back_in_time"), st.none()),
)


def _run(note, name, argument, at):
    if name in {"edit", "attach", "detach", "relink"}:
        return getattr(note, name)(argument, at=at)
    if name == "detach_held":
        keys = note.storage_keys
        return note.detach(keys[argument % len(keys)] if keys else "none", at=at)
    if name == "back_in_time":
        return note.pin(at=note.updated_at - timedelta(microseconds=1))
    return getattr(note, name)(at=at)


@given(notes(), st.lists(_COMMANDS, max_size=8))
def test_commands_keep_the_invariants_or_change_nothing(note, commands):
    """Each command either gives a note that keeps every rule, or raises and changes nothing."""
    for name, argument in commands:
        before = to_dict(note)
        try:
            after = _run(note, name, argument, note.updated_at)
        except ValidationError:
            assert before == to_dict(note)
            continue
        assert_invariants(after)
        new_events = after.pending_events[len(note.pending_events) :]
        assert note.pending_events == after.pending_events[: len(note.pending_events)]
        assert (after is note) == (not new_events)
        assert len(new_events) <= 1
        note = after


@given(st.lists(notes(max_steps=2), max_size=8), st.randoms(use_true_random=False))
def test_arrange_orders_pinned_first_then_newest(drawn, random):
    """arrange_notes is a permutation with pinned notes first, each group newest first."""
    arranged = arrange_notes(drawn)
    assert sorted(map(id, drawn)) == sorted(map(id, arranged))
    flags = [note.pinned for note in arranged]
    assert flags == sorted(flags, reverse=True)
    for earlier, later in itertools.pairwise(arranged):
        if earlier.pinned == later.pinned:
            assert earlier.created_at >= later.created_at
            if earlier.created_at == later.created_at:
                assert earlier.id.value <= later.id.value
    shuffled = list(drawn)
    random.shuffle(shuffled)
    assert [n.id for n in arranged] == [n.id for n in arrange_notes(shuffled)]
