"""Attachment metadata: what a note says about a file kept in the caller's blob store.

crmcore stores no bytes. An :class:`Attachment` describes one file: its name
(personal data: a scan may be called ``KTP Budi Santoso.jpg``), its media type,
its size, its SHA-256 digest and the key under which the caller's blob store
keeps it. :meth:`Attachment.matches` checks downloaded bytes against the size
and digest; :meth:`Attachment.describe` computes them for bytes being uploaded.
Both are computation on bytes the caller already holds, never I/O.
"""

from __future__ import annotations

import hashlib
import re
import unicodedata
from typing import Any, Final

import attrs

from crmcore._kernel._checks import has_control_chars, type_name
from crmcore._kernel._ids import MAX_ID_LENGTH, id_text
from crmcore.errors import InvalidType, ValidationError

#: Longest file name, in characters (what common file systems allow).
MAX_FILE_NAME: Final = 255
#: Longest media type (``type/subtype``), in characters.
MAX_MEDIA_TYPE: Final = 127
#: Largest attachment, in bytes (1 TiB): metadata only, so the bound is about sane numbers.
MAX_ATTACHMENT_SIZE: Final = 2**40
#: Longest storage key, in characters: a storage key is identifier text, like a record's id.
MAX_STORAGE_KEY: Final = MAX_ID_LENGTH

#: RFC 6838 section 4.2: a restricted name starts with a letter or digit, then letters,
#: digits and ``!#$&-^_.+``; a media type is ``type/subtype``, compared case-insensitively.
_MEDIA_TYPE: Final = re.compile(
    r"[a-z0-9][a-z0-9!#$&^_.+-]{0,126}/[a-z0-9][a-z0-9!#$&^_.+-]{0,126}"
)
_SHA256: Final = re.compile(r"[0-9a-f]{64}")
_SEPARATORS: Final = frozenset("/\\")


def check_file_name(value: object, path: str = "$.file_name") -> str:
    r"""Return ``value`` as a file name: NFC, trimmed, a name without a folder.

    The name is personal data, so no message repeats it.

    >>> check_file_name("  Surat penawaran.pdf ")
    'Surat penawaran.pdf'
    >>> check_file_name("../etc/passwd")
    Traceback (most recent call last):
    ...
    crmcore.errors.ValidationError: $.file_name: must be a file name without a folder (no / or \)

    Raises:
        InvalidType: ``value`` is not a str.
        ValidationError: control characters (``control_characters``), empty
            (``too_short``), longer than :data:`MAX_FILE_NAME` (``too_long``),
            holding ``/`` or ``\`` (``path_separator``), or ``.`` or ``..``
            (``file_name``).
    """
    if not isinstance(value, str):
        raise InvalidType(f"must be a str, not {type_name(value)}", path=path)
    text = unicodedata.normalize("NFC", value).strip()
    if has_control_chars(text):
        raise ValidationError(
            "a file name must not contain control or invisible format characters",
            path=path,
            code="control_characters",
        )
    if not text:
        raise ValidationError("must not be empty", path=path, code="too_short")
    if len(text) > MAX_FILE_NAME:
        raise ValidationError(
            f"must be at most {MAX_FILE_NAME} characters", path=path, code="too_long"
        )
    if not _SEPARATORS.isdisjoint(text):
        raise ValidationError(
            "must be a file name without a folder (no / or \\)",
            path=path,
            code="path_separator",
        )
    if text in {".", ".."}:
        raise ValidationError("must name a file, not . or ..", path=path, code="file_name")
    return text


def normalize_media_type(value: object, path: str = "$.media_type") -> str:
    """Return ``value`` as an RFC 6838 media type, ``type/subtype`` in lower case.

    Parameters (``; charset=utf-8``) are not part of it.

    >>> normalize_media_type("Application/PDF")
    'application/pdf'
    >>> normalize_media_type("text/plain; charset=utf-8")
    Traceback (most recent call last):
    ...
    crmcore.errors.ValidationError: $.media_type: must be a media type such as 'application/pdf' (type/subtype, letters, digits and !#$&-^_.+, no parameters)

    Raises:
        InvalidType: ``value`` is not a str.
        ValidationError: longer than :data:`MAX_MEDIA_TYPE` (``too_long``) or
            not ``type/subtype`` (``media_type``).
    """
    if not isinstance(value, str):
        raise InvalidType(f"must be a str, not {type_name(value)}", path=path)
    if len(value) > MAX_MEDIA_TYPE:
        raise ValidationError(
            f"must be at most {MAX_MEDIA_TYPE} characters", path=path, code="too_long"
        )
    text = value.lower()
    if not text.isascii() or _MEDIA_TYPE.fullmatch(text) is None:
        raise ValidationError(
            "must be a media type such as 'application/pdf' "
            "(type/subtype, letters, digits and !#$&-^_.+, no parameters)",
            path=path,
            code="media_type",
        )
    return text


def _file_name(value: object) -> str:
    return check_file_name(value)


def _media_type(value: object) -> str:
    return normalize_media_type(value)


def _size(_: object, __: attrs.Attribute[Any], value: object) -> None:
    if isinstance(value, bool) or not isinstance(value, int):
        raise InvalidType(f"must be an int, not {type_name(value)}", path="$.size")
    if not 0 <= value <= MAX_ATTACHMENT_SIZE:
        raise ValidationError(
            "must be from 0 to MAX_ATTACHMENT_SIZE (2**40) bytes", path="$.size", code="size"
        )


def _sha256(value: object) -> str:
    if not isinstance(value, str):
        raise InvalidType(f"must be a str, not {type_name(value)}", path="$.sha256")
    text = value.lower()
    if len(text) != 64 or not text.isascii() or _SHA256.fullmatch(text) is None:
        raise ValidationError(
            "must be a SHA-256 digest: exactly 64 hexadecimal digits",
            path="$.sha256",
            code="sha256",
        )
    return text


def check_storage_key(value: object, path: str = "$.storage_key") -> str:
    """Return ``value`` if it is a storage key: identifier text (the rule of every crmcore id).

    An opaque key, never the file's name: events carry it.

    >>> check_storage_key("notes/2026/05/blob-7f3a")
    'notes/2026/05/blob-7f3a'

    Raises:
        InvalidType: ``value`` is not a str.
        ValidationError: empty or longer than :data:`MAX_STORAGE_KEY` (``id_length``),
            or other characters than letters, digits and ``._:+=/-`` (``id_format``).
    """
    if not isinstance(value, str):  # id_text would take an Identifier too
        raise InvalidType(f"must be an identifier str, not {type_name(value)}", path=path)
    return id_text(value, path)


def _storage_key(value: object) -> str:
    return check_storage_key(value)


def _data(value: object) -> bytes | bytearray | memoryview:
    if not isinstance(value, bytes | bytearray | memoryview):
        raise InvalidType(
            f"must be bytes, bytearray or memoryview, not {type_name(value)}", path="$.data"
        )
    if isinstance(value, memoryview) and not value.c_contiguous:
        return value.tobytes()  # hashlib reads contiguous buffers only
    return value


@attrs.frozen(slots=True, kw_only=True, repr=False)
class Attachment:
    """The metadata of one file attached to a note; the bytes live in the caller's blob store.

    ``file_name`` is personal data: the repr leaves it out, no error message
    repeats it and no event carries it. ``media_type`` is lower-cased
    (``application/pdf``), ``sha256`` is the digest of the bytes as 64
    lower-case hex digits, and ``storage_key`` is the opaque key the caller's
    blob store keeps the bytes under (identifier text; build it from an id
    source, never from the file name: events carry it).

    >>> data = b"%PDF-1.7 ..."
    >>> quote = Attachment.describe(
    ...     data,
    ...     file_name="Penawaran PT Maju.pdf",
    ...     media_type="Application/PDF",
    ...     storage_key="blob-1",
    ... )
    >>> quote
    Attachment(media_type='application/pdf', size=12, sha256='cd98...', storage_key='blob-1', <file name hidden>)
    >>> quote.matches(data), quote.matches(b"%PDF-1.7 ?..")
    (True, False)

    .. versionadded:: 0.1
    """

    file_name: str = attrs.field(converter=_file_name)
    media_type: str = attrs.field(converter=_media_type)
    size: int = attrs.field(validator=_size)
    sha256: str = attrs.field(converter=_sha256)
    storage_key: str = attrs.field(converter=_storage_key)

    @classmethod
    def describe(
        cls,
        data: bytes | bytearray | memoryview,
        *,
        file_name: str,
        media_type: str,
        storage_key: str,
    ) -> Attachment:
        """The attachment describing ``data``: its size and SHA-256 digest computed here.

        Raises:
            InvalidType: ``data`` is not bytes-like (``$.data``), or another
                argument is not a str.
            ValidationError: an argument breaks its rule (see the class), or
                ``data`` is larger than :data:`MAX_ATTACHMENT_SIZE` (``$.size``).
        """
        checked = _data(data)
        size = checked.nbytes if isinstance(checked, memoryview) else len(checked)
        _size(None, _SIZE_FIELD, size)  # refused before hashing bytes past the bound
        return cls(
            file_name=file_name,
            media_type=media_type,
            size=size,
            sha256=hashlib.sha256(checked).hexdigest(),
            storage_key=storage_key,
        )

    def matches(self, data: bytes | bytearray | memoryview) -> bool:
        """True if ``data`` has this attachment's size and SHA-256 digest (to verify a download).

        The size is compared first, so bytes of another size are never hashed.

        Raises:
            InvalidType: ``data`` is not bytes, a bytearray or a memoryview (``$.data``).
        """
        checked = _data(data)
        size = checked.nbytes if isinstance(checked, memoryview) else len(checked)
        if size != self.size:
            return False
        return hashlib.sha256(checked).hexdigest() == self.sha256

    def __repr__(self) -> str:
        return (
            f"Attachment(media_type={self.media_type!r}, size={self.size}, "
            f"sha256='{self.sha256[:4]}...', storage_key={self.storage_key!r}, <file name hidden>)"
        )


_SIZE_FIELD: Final = attrs.fields(Attachment).size
