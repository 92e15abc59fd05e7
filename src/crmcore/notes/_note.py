"""Notes: free text and attachment metadata on any record.

A :class:`Note` is an aggregate on the crmcore kernel, linked to one record
through a :class:`~crmcore.activities.RecordRef` (a customer, an account, a
lead, an opportunity, a case, an order or a subscription). Its body is free
text that may name people, so it stays in the note: never in its repr, its
events or an error message. Its attachments are metadata only
(:class:`~crmcore.notes.Attachment`); the bytes live in the caller's blob store.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import UTC, datetime, timedelta
from typing import Any, Final, Unpack

import attrs

from crmcore._kernel._aggregate import optional_typed_id
from crmcore._kernel._checks import (
    check_unique,
    clean_text,
    instance_of,
    is_bool,
    items_of,
    limit,
    tuple_of,
    type_name,
)
from crmcore._kernel._events import EventMeta
from crmcore._kernel._ids import CustomerId, NoteId, StaffId
from crmcore._kernel._personal import ERASED, HoldsPersonalData
from crmcore._kernel._refs import RecordKind, RecordRef
from crmcore.errors import InvalidType, ValidationError
from crmcore.notes._attachments import Attachment, check_storage_key
from crmcore.notes._events import (
    NoteAnonymised,
    NoteAttachmentAdded,
    NoteAttachmentRemoved,
    NoteCustomerRepointed,
    NoteEdited,
    NotePinned,
    NoteRelinked,
    NoteUnpinned,
    NoteWritten,
)

#: Longest note body, in characters.
MAX_BODY: Final = 20_000
#: Most attachments one note may hold.
MAX_ATTACHMENTS: Final = 50

_CUSTOMER_KINDS: Final = frozenset({RecordKind.CUSTOMER, RecordKind.ACCOUNT})


# -- field checks ----------------------------------------------------------------------------


def _body(value: object) -> str:
    if isinstance(value, str) and "\r" in value:
        # Text areas send CRLF line ends: one newline each, like LF and lone CR.
        value = value.replace("\r\n", "\n").replace("\r", "\n")
    return clean_text(
        value, "$.body", max_length=MAX_BODY, min_length=0, allow_newlines=True, what="a note body"
    )


def _link(_: object, __: attrs.Attribute[Any], value: object) -> None:
    _link_arg(value, "$.link")


def _link_arg(value: object, path: str) -> RecordRef:
    if type(value) is not RecordRef:
        raise InvalidType(
            f"must be a RecordRef such as RecordRef.to(LeadId('l-1')), not {type_name(value)}",
            path=path,
        )
    return value


def _attachments(value: object) -> tuple[Attachment, ...]:
    return items_of(
        value,
        Attachment,
        "$.attachments",
        "an Attachment",
        max_items=MAX_ATTACHMENTS,
        noun="attachments",
    )


def _attachment_arg(value: object) -> Attachment:
    if type(value) is not Attachment:
        raise InvalidType(f"must be an Attachment, not {type_name(value)}", path="$.attachment")
    return value


# -- the aggregate ---------------------------------------------------------------------------


@attrs.frozen(slots=True, kw_only=True, repr=False)
class Note(HoldsPersonalData[NoteId], kind="note"):
    r"""A note on one record: a body, an author, a pin and attachment metadata.

    Write one with :meth:`write` (:class:`~crmcore.notes.NoteWritten`);
    :meth:`edit`, :meth:`pin`, :meth:`unpin`, :meth:`attach`, :meth:`detach`,
    :meth:`relink` and :meth:`repoint_customer` change it. ``link`` names the
    record the note is on; ``author_id`` the staff member who wrote it
    (``None`` for a note an integration or an import wrote).

    The body is free text with newlines (NFC, trimmed, control characters
    refused; CRLF and CR line ends become LF), at most :data:`MAX_BODY`
    characters. It may be empty only while the note holds at least one
    attachment (a file dropped on a record without a word): a note with
    neither is refused with code ``empty_note`` at ``$.body``, so detaching
    the last attachment of a note without a body is refused too. Attachments
    keep the order they were attached in, at most :data:`MAX_ATTACHMENTS`,
    each storage key at most once.

    The body and the attachments' file names are personal data:
    :meth:`anonymise` replaces a body by ``"[erased]"`` (an empty body stays
    empty) and each file name by ``"[erased]"``, keeping the link, the
    author, the pin and the attachments' storage keys, sizes and digests
    (:class:`~crmcore.notes.NoteAnonymised`).

    Like every crmcore aggregate it is immutable: each command returns a new
    note and records an event in :attr:`pending_events`; a command that
    changes nothing returns the note itself and records nothing; a command
    dated before the last change (:attr:`updated_at`) is refused with code
    ``time_backwards``; a refused command leaves the note as it was. Every
    command also takes the envelope keywords ``actor``, ``correlation_id``
    and ``causation_id``.

    >>> from datetime import datetime, timezone
    >>> from crmcore._kernel._ids import LeadId
    >>> at = datetime(2026, 5, 4, 9, 0, tzinfo=timezone.utc)
    >>> note = Note.write(
    ...     NoteId("n-1"),
    ...     link=RecordRef.to(LeadId("l-7")),
    ...     body="Called Ibu Sari: wants a quote for 40 seats.\nFollow up Friday.",
    ...     author_id=StaffId("s-rina"),
    ...     at=at,
    ... )
    >>> note
    Note(id=NoteId('n-1'), link=RecordRef('lead', 'l-7'), author_id=StaffId('s-rina'), pinned=False, attachments=0, version=0, pending_events=1)
    >>> note = note.pin(at=at)
    >>> [e.type for e in note.pending_events]
    ['NoteWritten', 'NotePinned']

    .. versionadded:: 0.1
    """

    link: RecordRef = attrs.field(validator=_link)
    body: str = attrs.field(default="", converter=_body)
    author_id: StaffId | None = attrs.field(
        default=None, validator=optional_typed_id(StaffId, "$.author_id")
    )
    pinned: bool = attrs.field(default=False, validator=is_bool)
    attachments: tuple[Attachment, ...] = attrs.field(
        default=(), converter=_attachments, metadata=limit(MAX_ATTACHMENTS)
    )

    def _check(self) -> None:
        if not self.body and not self.attachments:
            raise ValidationError(
                "must not be empty unless the note holds an attachment",
                path="$.body",
                code="empty_note",
            )
        if len(self.attachments) > 1:
            check_unique(
                self.attachments,
                lambda attachment: attachment.storage_key,
                "$.attachments[{}].storage_key",
                "must not repeat a storage key within a note",
            )

    _anonymised_by = NoteAnonymised
    personal_fields = ("body", "attachment_names")

    def _event_fields(self) -> Mapping[str, object]:
        return {"note_id": self.id}

    def _tombstones(self, fields: frozenset[str]) -> dict[str, Any]:
        changes: dict[str, Any] = {}
        if "body" in fields and self.body:
            changes["body"] = ERASED
        if "attachment_names" in fields:
            changes["attachments"] = tuple(
                attrs.evolve(attachment, file_name=ERASED) for attachment in self.attachments
            )
        return changes

    # -- construction ---------------------------------------------------------------------

    @classmethod
    def write(
        cls,
        note_id: NoteId,
        *,
        link: RecordRef,
        at: datetime,
        body: str = "",
        author_id: StaffId | None = None,
        pinned: bool = False,
        attachments: tuple[Attachment, ...] | list[Attachment] = (),
        **meta: Unpack[EventMeta],
    ) -> Note:
        """Write a note on the record ``link`` at ``at``; records :class:`~crmcore.notes.NoteWritten`.

        Raises:
            InvalidType: ``note_id``, ``link``, ``author_id`` or an attachment
                is not of its type; ``pinned`` is not a bool.
            ValidationError: an argument breaks a rule; the path names it
                (``$.body`` with code ``control_characters``, ``too_long`` or
                ``empty_note``; ``$.attachments`` with ``too_many``;
                ``$.attachments[1].storage_key`` with ``duplicate``; ``$.at``).
        """
        command = cls._begin_new(at, meta)
        return cls._create(
            command,
            lambda note: NoteWritten.draft(
                link=note.link,
                author_id=note.author_id,
                pinned=note.pinned,
                storage_keys=note.storage_keys,
            ),
            id=note_id,
            link=link,
            body=body,
            author_id=author_id,
            pinned=pinned,
            attachments=attachments,
        )

    # -- queries --------------------------------------------------------------------------

    @property
    def attachment_names(self) -> tuple[str, ...]:
        """The file names of the attachments, in the order they were attached (personal data)."""
        return tuple(attachment.file_name for attachment in self.attachments)

    @property
    def storage_keys(self) -> tuple[str, ...]:
        """The storage keys of the attachments, in the order they were attached."""
        return tuple(attachment.storage_key for attachment in self.attachments)

    def attachment(self, storage_key: str) -> Attachment | None:
        """The attachment kept under ``storage_key``, or ``None``.

        Raises:
            InvalidType: ``storage_key`` is not a str (``$.storage_key``).
            ValidationError: ``storage_key`` is not storage key text.
        """
        key = check_storage_key(storage_key)
        for attachment in self.attachments:
            if attachment.storage_key == key:
                return attachment
        return None

    # -- commands -------------------------------------------------------------------------

    def edit(self, body: str, *, at: datetime, **meta: Unpack[EventMeta]) -> Note:
        """Replace the body; records :class:`~crmcore.notes.NoteEdited` (the same body is a no-op).

        An empty body is accepted while the note holds an attachment.

        Raises:
            InvalidType: ``body`` is not a str (``$.body``).
            ValidationError: the body breaks a rule (``$.body``: ``control_characters``,
                ``too_long``, ``empty_note``) or ``at`` is refused (``$.at``).
        """
        checked = _body(body)
        command = self._begin(at, meta)
        if checked == self.body:
            return self
        return self._record(command, NoteEdited.draft(), body=checked)

    def pin(self, *, at: datetime, **meta: Unpack[EventMeta]) -> Note:
        """Pin the note to the top of its record's notes; records :class:`~crmcore.notes.NotePinned`.

        Pinning a pinned note is a no-op.

        Raises:
            ValidationError: ``at`` is refused (``$.at``).
        """
        command = self._begin(at, meta)
        if self.pinned:
            return self
        return self._record(command, NotePinned.draft(), pinned=True)

    def unpin(self, *, at: datetime, **meta: Unpack[EventMeta]) -> Note:
        """Unpin the note; records :class:`~crmcore.notes.NoteUnpinned` (a note not pinned is a no-op).

        Raises:
            ValidationError: ``at`` is refused (``$.at``).
        """
        command = self._begin(at, meta)
        if not self.pinned:
            return self
        return self._record(command, NoteUnpinned.draft(), pinned=False)

    def attach(self, attachment: Attachment, *, at: datetime, **meta: Unpack[EventMeta]) -> Note:
        """Add an attachment at the end; records :class:`~crmcore.notes.NoteAttachmentAdded`.

        The same attachment again (equal in every field) is a no-op; another
        file under a storage key the note already holds is refused.

        Raises:
            InvalidType: ``attachment`` is not an :class:`~crmcore.notes.Attachment`
                (``$.attachment``).
            ValidationError: the note holds :data:`MAX_ATTACHMENTS` already
                (``$.attachments``, ``too_many``), the storage key is taken
                (``$.attachments[n].storage_key``, ``duplicate``) or ``at`` is
                refused (``$.at``).
        """
        _attachment_arg(attachment)
        command = self._begin(at, meta)
        if attachment in self.attachments:
            return self
        draft = NoteAttachmentAdded.draft(
            storage_key=attachment.storage_key,
            media_type=attachment.media_type,
            size=attachment.size,
            sha256=attachment.sha256,
        )
        return self._record(command, draft, attachments=(*self.attachments, attachment))

    def detach(self, storage_key: str, *, at: datetime, **meta: Unpack[EventMeta]) -> Note:
        """Remove the attachment kept under ``storage_key``; records :class:`~crmcore.notes.NoteAttachmentRemoved`.

        A key the note does not hold is a no-op (detaching twice is safe).

        Raises:
            InvalidType: ``storage_key`` is not a str (``$.storage_key``).
            ValidationError: ``storage_key`` is not storage key text
                (``$.storage_key``), the note would be left with neither body
                nor attachment (``$.body``, ``empty_note``) or ``at`` is
                refused (``$.at``).
        """
        key = check_storage_key(storage_key)
        command = self._begin(at, meta)
        kept = tuple(a for a in self.attachments if a.storage_key != key)
        if len(kept) == len(self.attachments):
            return self
        return self._record(command, NoteAttachmentRemoved.draft(storage_key=key), attachments=kept)

    def relink(self, link: RecordRef, *, at: datetime, **meta: Unpack[EventMeta]) -> Note:
        """Move the note to the record ``link``; records :class:`~crmcore.notes.NoteRelinked`.

        For a lead converted into a customer and an opportunity, or a note
        filed on the wrong record. The record it is on already is a no-op.

        Raises:
            InvalidType: ``link`` is not a RecordRef (``$.link``).
            ValidationError: ``at`` is refused (``$.at``).
        """
        _link_arg(link, "$.link")
        command = self._begin(at, meta)
        if link == self.link:
            return self
        return self._record(command, NoteRelinked.draft(link=link, previous=self.link), link=link)

    def repoint_customer(
        self,
        previous: CustomerId,
        customer_id: CustomerId,
        *,
        at: datetime,
        **meta: Unpack[EventMeta],
    ) -> Note:
        """Name ``customer_id`` where the note names ``previous``; records :class:`~crmcore.notes.NoteCustomerRepointed`.

        For a merge of duplicate customers (:mod:`crmcore.merge`): a note on
        the customer or account ``previous`` moves to ``customer_id``,
        keeping the kind of its link.

        Raises:
            InvalidType: ``previous`` or ``customer_id`` is not a CustomerId.
            ValidationError: ``at`` is refused (``$.at``); ``customer_id`` is
                ``previous`` (``$.customer_id``, ``same_customer``); the note is
                not on ``previous`` (``$.previous``, ``not_named``).
        """
        command = self._begin_repointing(previous, customer_id, at, meta)
        if self.link.kind not in _CUSTOMER_KINDS or self.link.value != previous.value:
            raise ValidationError(
                "must be the customer this note is on", path="$.previous", code="not_named"
            )
        draft = NoteCustomerRepointed.draft(
            customer_id=customer_id, previous=previous, fields=("link",)
        )
        return self._record(command, draft, link=RecordRef(self.link.kind, customer_id.value))

    def __repr__(self) -> str:
        return (
            f"Note(id={self.id!r}, link={self.link!r}, author_id={self.author_id!r}, "
            f"pinned={self.pinned}, attachments={len(self.attachments)}, "
            f"version={self.version}, pending_events={len(self.pending_events)})"
        )


# -- display order ---------------------------------------------------------------------------


#: The instant display order counts from (microseconds as ints: exact, unlike timestamps).
_EPOCH: Final = datetime(1970, 1, 1, tzinfo=UTC)
_MICROSECOND: Final = timedelta(microseconds=1)


def _display_key(note: Note) -> tuple[bool, int, str]:
    # Pinned first; then newest first (the negated instant, whatever the offsets); then by id.
    return (not note.pinned, -((note.created_at - _EPOCH) // _MICROSECOND), note.id.value)


def arrange_notes(notes: Iterable[Note]) -> tuple[Note, ...]:
    """``notes`` in display order: pinned first, then newest first (by ``created_at``).

    Notes written at the same instant come in id order, so the order never
    depends on the order given.

    >>> from datetime import datetime, timedelta, timezone
    >>> from crmcore._kernel._ids import CaseId
    >>> at = datetime(2026, 5, 4, 9, 0, tzinfo=timezone.utc)
    >>> on_case = RecordRef.to(CaseId("case-9"))
    >>> older = Note.write(NoteId("n-1"), link=on_case, body="first", at=at, pinned=True)
    >>> newer = Note.write(NoteId("n-2"), link=on_case, body="second", at=at + timedelta(hours=1))
    >>> newest = Note.write(NoteId("n-3"), link=on_case, body="third", at=at + timedelta(hours=2))
    >>> [note.id.value for note in arrange_notes([newer, older, newest])]
    ['n-1', 'n-3', 'n-2']

    Raises:
        InvalidType: ``notes`` is not a sequence of notes (``$.notes[2]``).
    """
    checked = tuple_of(notes, "$.notes", instance_of(Note, "a Note"))
    return tuple(sorted(checked, key=_display_key))
