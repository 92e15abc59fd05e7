"""Strategies for notes: attachment metadata and notes with a history built by their commands."""

from __future__ import annotations

import functools
import hashlib
import string
from collections.abc import Callable, Iterable
from datetime import datetime
from typing import Any, Final

from hypothesis import strategies as st

from crmcore._kernel._checks import tuple_of, type_name
from crmcore._kernel._ids import CustomerId, NoteId, StaffId
from crmcore.errors import InvalidType
from crmcore.notes import (
    MAX_ATTACHMENT_SIZE,
    MAX_ATTACHMENTS,
    Attachment,
    Note,
    RecordRef,
)
from crmcore.testing.strategies._activities import record_refs
from crmcore.testing.strategies._base import (
    _as_drawn,
    _command_times,
    _concat,
    _id_choices,
    _id_texts,
    _ids_of,
    _int_arg,
    _multiline_texts,
    _nfc,
    _non_empty,
    _window,
)

#: Media types attachments are drawn with, besides generated ones.
_MEDIA_TYPES: Final = (
    "application/pdf",
    "image/jpeg",
    "image/png",
    "text/plain",
    "text/csv",
    "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
    "application/vnd.ms-excel",
    "message/rfc822",
    "audio/mpeg",
    "application/octet-stream",
)
_FILE_NAMES: Final = (
    "Surat penawaran.pdf",
    "KTP scan.jpg",
    "invoice-2026-05.pdf",
    "Notulen rapat (final).docx",
    "foto_kerusakan.png",
    "README",
    ".env.example",
)
_EXTENSIONS: Final = ("", ".pdf", ".jpg", ".png", ".txt", ".tar.gz", ".xlsx")
_BODIES: Final = (
    "Called back; customer wants a quote for 40 seats.",
    "Pelanggan minta dihubungi lagi minggu depan.\nSiapkan penawaran paket keluarga.",
    "Met at the Surabaya expo.\n\n- budget approved\n- decision in Q3",
    "Complaint acknowledged, refund in progress.",
)
_RESTRICTED_FIRST: Final = string.ascii_lowercase + string.digits
_RESTRICTED_CHARS: Final = _RESTRICTED_FIRST + "!#$&-^_.+"
#: Sizes attachments are drawn with besides any: empty files and the largest allowed.
_EDGE_SIZES: Final = (0, 1, MAX_ATTACHMENT_SIZE)
_COMMANDS: Final = ("edit", "pin", "unpin", "attach", "detach", "relink", "repoint")


# -- building blocks ------------------------------------------------------------------------


@functools.cache
def _note_ids() -> st.SearchStrategy[NoteId]:
    return _id_texts("note").map(NoteId)


@functools.cache
def _storage_keys() -> st.SearchStrategy[str]:
    return _id_texts("blob")


@functools.cache
def _media_types() -> st.SearchStrategy[str]:
    part = st.builds(
        _concat, st.sampled_from(_RESTRICTED_FIRST), st.text(_RESTRICTED_CHARS, max_size=20)
    )
    generated = st.builds(lambda kind, sub: f"{kind}/{sub}", part, part)
    return st.sampled_from(_MEDIA_TYPES) | generated


@functools.cache
def _sha256s() -> st.SearchStrategy[str]:
    return st.binary(max_size=32).map(lambda data: hashlib.sha256(data).hexdigest())


@functools.cache
def _file_names() -> st.SearchStrategy[str]:
    # A letter or digit first, so trimming never changes the name; no / or \ anywhere.
    first = st.characters(categories=("Lu", "Ll", "Lo", "Nd"))
    rest = st.text(
        st.characters(categories=("Lu", "Ll", "Lo", "Nd", "Mn"), include_characters=" -_()'.,"),
        max_size=30,
    )
    generated = st.builds(
        lambda head, tail, extension: _nfc(head + tail.rstrip(" ")) + extension,
        first,
        rest,
        st.sampled_from(_EXTENSIONS),
    )
    return st.sampled_from(_FILE_NAMES) | generated


@functools.cache
def _bodies() -> st.SearchStrategy[str]:
    return st.sampled_from(_BODIES) | _multiline_texts()


def _link_choices(value: object) -> st.SearchStrategy[RecordRef]:
    if value is None:
        return record_refs()

    def check(item: object, path: str) -> RecordRef:
        if type(item) is not RecordRef:
            raise InvalidType(f"must be a RecordRef, not {type_name(item)}", path=path)
        return item

    return st.sampled_from(_non_empty(tuple_of(value, "$.links", check), "$.links"))


# -- attachments ----------------------------------------------------------------------------


def attachments(*, max_size: int = MAX_ATTACHMENT_SIZE) -> st.SearchStrategy[Attachment]:
    """Valid :class:`~crmcore.notes.Attachment` metadata.

    File names mix everyday names with generated ones in many scripts (never
    a folder); media types mix common ones with generated RFC 6838 names;
    sizes include 0 and the bound; digests are SHA-256 digests of drawn bytes
    (they need not match the size: no bytes are stored).

    Args:
        max_size: the largest size drawn, in bytes (0 to :data:`~crmcore.notes.MAX_ATTACHMENT_SIZE`).

    Raises:
        InvalidType: ``max_size`` is not an int.
        ValidationError: ``max_size`` is out of range.
    """
    return _attachments(_int_arg(max_size, "$.max_size", maximum=MAX_ATTACHMENT_SIZE))


@functools.lru_cache(maxsize=64)
def _attachments(max_size: int) -> st.SearchStrategy[Attachment]:
    edges = tuple(size for size in _EDGE_SIZES if size <= max_size)
    return st.builds(
        Attachment,
        file_name=_file_names(),
        media_type=_media_types(),
        size=st.integers(min_value=0, max_value=max_size) | st.sampled_from(edges),
        sha256=_sha256s(),
        storage_key=_storage_keys(),
    )


# -- notes ----------------------------------------------------------------------------------


def notes(
    *,
    links: Iterable[RecordRef] | None = None,
    staff_ids: Iterable[StaffId] | None = None,
    max_attachments: int = 3,
    max_steps: int = 4,
    min_created_at: datetime | None = None,
    max_created_at: datetime | None = None,
    pending_events: bool = True,
) -> st.SearchStrategy[Note]:
    """Valid :class:`~crmcore.notes.Note` aggregates with a history built by their commands.

    Each is written with :meth:`Note.write <crmcore.notes.Note.write>` (some
    with an empty body and attachments only, some pinned, some without an
    author) and then goes through up to ``max_steps`` commands at
    non-decreasing times: edits, pins and unpins, attachments added and
    removed, moves to another record and customer re-pointings.

    Args:
        links: the records notes are written on and moved to; any record by default.
        staff_ids: the authors to draw from; any staff id by default.
        max_attachments: the most attachments a note is written with (0 to 20).
        max_steps: the most commands after writing (0 to 100).
        min_created_at: the earliest writing time (aware); 2000 by default.
        max_created_at: the latest writing time (aware); 2099 by default.
        pending_events: ``False`` to draw notes as a repository stores them.

    Raises:
        InvalidType: an argument of the wrong type.
        ValidationError: a bound out of range, crossed bounds, an empty choice.
    """
    refs = _link_choices(links)
    pool = _id_choices(staff_ids, "$.staff_ids", StaffId)
    authors = _ids_of(StaffId) if pool is None else st.sampled_from(pool)
    built = _notes(
        refs=refs,
        authors=authors,
        max_attachments=_int_arg(max_attachments, "$.max_attachments", maximum=20),
        max_steps=_int_arg(max_steps, "$.max_steps", maximum=100),
        times=_window(min_created_at, max_created_at),
    )
    return _as_drawn(built, pending_events)


def _storage_key_of(attachment: Attachment) -> str:
    return attachment.storage_key


@st.composite
def _notes(
    draw: st.DrawFn,
    *,
    refs: st.SearchStrategy[RecordRef],
    authors: st.SearchStrategy[StaffId],
    max_attachments: int,
    max_steps: int,
    times: st.SearchStrategy[datetime],
) -> Note:
    at = draw(times)
    files = draw(st.lists(attachments(), max_size=max_attachments, unique_by=_storage_key_of))
    body = draw(st.just("") | _bodies()) if files else draw(_bodies())
    note = Note.write(
        draw(_note_ids()),
        link=draw(refs),
        body=body,
        author_id=draw(st.none() | authors),
        pinned=draw(st.booleans()),
        attachments=files,
        at=at,
    )
    for when in _command_times(draw, at, max_steps):
        note = _step(draw, note, draw(st.sampled_from(_COMMANDS)), refs, when)
    return note


def _step(  # noqa: PLR0911 - one return per command, and one per command left out.
    draw: st.DrawFn, note: Note, step: str, refs: st.SearchStrategy[RecordRef], when: datetime
) -> Note:
    """``note`` after one command, or as it was when the drawn command does not apply."""
    if step == "edit":
        empty = st.just("") if note.attachments else st.nothing()
        return note.edit(draw(empty | _bodies()), at=when)
    if step == "pin":
        return note.pin(at=when)
    if step == "unpin":
        return note.unpin(at=when)
    if step == "attach":
        attachment = draw(attachments())
        if attachment.storage_key in note.storage_keys or len(note.attachments) >= MAX_ATTACHMENTS:
            return note
        return note.attach(attachment, at=when)
    if step == "detach":
        if not note.attachments or (not note.body and len(note.attachments) == 1):
            return note
        return note.detach(draw(st.sampled_from(note.storage_keys)), at=when)
    if step == "relink":
        return note.relink(draw(refs), at=when)
    customer = note.link.customer_id  # "repoint": a merge of the note's customer
    if customer is None:
        return note
    survivor = draw(_id_texts("c").map(CustomerId).filter(lambda c: c != customer))
    return note.repoint_customer(customer, survivor, at=when)


#: Event fields these strategies constrain beyond their declared type, by event class name.
EVENT_FIELDS: Final[dict[str, dict[str, Callable[[], st.SearchStrategy[Any]]]]] = {
    "NoteWritten": {
        "storage_keys": lambda: st.lists(_storage_keys(), max_size=3, unique=True).map(tuple)
    },
    "NoteAttachmentAdded": {
        "storage_key": _storage_keys,
        "media_type": _media_types,
        "size": lambda: st.integers(min_value=0, max_value=MAX_ATTACHMENT_SIZE),
        "sha256": _sha256s,
    },
    "NoteAttachmentRemoved": {"storage_key": _storage_keys},
    "NoteCustomerRepointed": {"fields": lambda: st.just(("link",))},
}
