"""Notes and attachment metadata on any record.

A :class:`Note` is free text (personal data: never in reprs, events or error
messages), an author, a pin and attachment metadata, linked to one record
through a :class:`RecordRef`: a customer, an account, a lead, an opportunity,
a case, an order or a subscription. An :class:`Attachment` describes a file
kept in the caller's blob store (name, media type, size, SHA-256 digest and
storage key); crmcore stores no bytes. :func:`arrange_notes` orders notes for
display: pinned first, then newest first.
"""

from crmcore._kernel._ids import NoteId
from crmcore._kernel._refs import RecordKind, RecordRef
from crmcore.notes._attachments import (
    MAX_ATTACHMENT_SIZE,
    MAX_FILE_NAME,
    MAX_MEDIA_TYPE,
    MAX_STORAGE_KEY,
    Attachment,
    check_file_name,
    check_storage_key,
    normalize_media_type,
)
from crmcore.notes._events import (
    NoteAnonymised,
    NoteAttachmentAdded,
    NoteAttachmentRemoved,
    NoteCustomerRepointed,
    NoteEdited,
    NoteEvent,
    NotePinned,
    NoteRelinked,
    NoteUnpinned,
    NoteWritten,
)
from crmcore.notes._note import MAX_ATTACHMENTS, MAX_BODY, Note, arrange_notes

__all__ = [
    "MAX_ATTACHMENTS",
    "MAX_ATTACHMENT_SIZE",
    "MAX_BODY",
    "MAX_FILE_NAME",
    "MAX_MEDIA_TYPE",
    "MAX_STORAGE_KEY",
    "Attachment",
    "Note",
    "NoteAnonymised",
    "NoteAttachmentAdded",
    "NoteAttachmentRemoved",
    "NoteCustomerRepointed",
    "NoteEdited",
    "NoteEvent",
    "NoteId",
    "NotePinned",
    "NoteRelinked",
    "NoteUnpinned",
    "NoteWritten",
    "RecordKind",
    "RecordRef",
    "arrange_notes",
    "check_file_name",
    "check_storage_key",
    "normalize_media_type",
]
