"""The events a :class:`~crmcore.notes.Note` records: ids and codes, never the body or file names."""

from __future__ import annotations

import attrs

from crmcore._kernel._events import DomainEvent
from crmcore._kernel._ids import CustomerId, NoteId, StaffId
from crmcore._kernel._personal import PersonalDataErasedEvent
from crmcore._kernel._refs import RecordRef
from crmcore._kernel._repoint import CustomerRepointedEvent


@attrs.frozen(slots=True, kw_only=True)
class NoteEvent(DomainEvent, aggregate="note"):
    """Base of the events recorded by a :class:`~crmcore.notes.Note`.

    Events carry ids and codes only: never the note's body, never a file name.

    .. versionadded:: 0.1
    """

    note_id: NoteId


@attrs.frozen(slots=True, kw_only=True)
class NoteWritten(NoteEvent):
    """A note was written on the record ``link``, with these attachments (by storage key).

    .. versionadded:: 0.1
    """

    link: RecordRef
    author_id: StaffId | None = None
    pinned: bool = False
    storage_keys: tuple[str, ...] = ()


@attrs.frozen(slots=True, kw_only=True)
class NoteEdited(NoteEvent):
    """A note's body changed (the body stays in the note).

    .. versionadded:: 0.1
    """


@attrs.frozen(slots=True, kw_only=True)
class NotePinned(NoteEvent):
    """A note was pinned to the top of its record's notes.

    .. versionadded:: 0.1
    """


@attrs.frozen(slots=True, kw_only=True)
class NoteUnpinned(NoteEvent):
    """A note was unpinned.

    .. versionadded:: 0.1
    """


@attrs.frozen(slots=True, kw_only=True)
class NoteAttachmentAdded(NoteEvent):
    """A file was attached: its storage key, media type, size and digest (never its name).

    .. versionadded:: 0.1
    """

    storage_key: str
    media_type: str
    size: int
    sha256: str


@attrs.frozen(slots=True, kw_only=True)
class NoteAttachmentRemoved(NoteEvent):
    """The attachment kept under ``storage_key`` was detached (the blob store may delete it).

    .. versionadded:: 0.1
    """

    storage_key: str


@attrs.frozen(slots=True, kw_only=True)
class NoteRelinked(NoteEvent):
    """A note moved from the record ``previous`` to the record ``link``.

    .. versionadded:: 0.1
    """

    link: RecordRef
    previous: RecordRef


@attrs.frozen(slots=True, kw_only=True)
class NoteCustomerRepointed(CustomerRepointedEvent, NoteEvent):
    """The note names ``customer_id``, the customer ``previous`` was merged into.

    ``fields`` is ``("link",)``: the link keeps its kind (customer or account).

    .. versionadded:: 0.1
    """

    customer_id: CustomerId
    previous: CustomerId
    fields: tuple[str, ...]


@attrs.frozen(slots=True, kw_only=True)
class NoteAnonymised(PersonalDataErasedEvent, NoteEvent):
    """The note's personal fields (``fields``: the body, the attachments' file names) were erased.

    The attachments stay (their storage keys, media types, sizes and digests).

    .. versionadded:: 0.1
    """

    fields: tuple[str, ...]
