"""Tests for `crmcore.notes._attachments`: attachment metadata and its checks."""

import hashlib

import pytest
from hypothesis import given
from hypothesis import strategies as st

from crmcore import InvalidType, ValidationError
from crmcore.notes import (
    MAX_ATTACHMENT_SIZE,
    MAX_FILE_NAME,
    MAX_MEDIA_TYPE,
    MAX_STORAGE_KEY,
    Attachment,
    check_file_name,
    check_storage_key,
    normalize_media_type,
)
from crmcore.serialization import from_dict, to_dict
from crmcore.testing.strategies._notes import attachments

DIGEST = hashlib.sha256(b"quote").hexdigest()
#: A character no identifier, code or media type can hold: where it shows, a file name leaked.
MARK = "\u2042"


def make(**kwargs):
    arguments = {
        "file_name": "Surat penawaran.pdf",
        "media_type": "application/pdf",
        "size": 5,
        "sha256": DIGEST,
        "storage_key": "blob-1",
    }
    return Attachment(**{**arguments, **kwargs})


def test_values_are_normalized():
    """The name is NFC and trimmed, the media type and digest lower-cased."""
    attachment = make(
        file_name=" Cafe\u0301 menu.pdf ", media_type="Application/PDF", sha256=DIGEST.upper()
    )
    assert "Caf\u00e9 menu.pdf" == attachment.file_name
    assert "application/pdf" == attachment.media_type
    assert DIGEST == attachment.sha256


def test_the_repr_hides_the_file_name():
    """The repr shows the metadata a support engineer needs, never the name."""
    attachment = make(file_name="KTP Budi Santoso.jpg")
    assert "Budi" not in repr(attachment)
    assert "blob-1" in repr(attachment)
    assert attachment.sha256[:4] in repr(attachment)


@pytest.mark.parametrize(
    ("kwargs", "error", "path", "code"),
    [
        ({"file_name": 7}, InvalidType, "$.file_name", "type"),
        ({"file_name": "  "}, ValidationError, "$.file_name", "too_short"),
        ({"file_name": "a\x00b"}, ValidationError, "$.file_name", "control_characters"),
        ({"file_name": "a\nb"}, ValidationError, "$.file_name", "control_characters"),
        ({"file_name": "x" * (MAX_FILE_NAME + 1)}, ValidationError, "$.file_name", "too_long"),
        ({"file_name": "docs/a.pdf"}, ValidationError, "$.file_name", "path_separator"),
        ({"file_name": "C:\\a.pdf"}, ValidationError, "$.file_name", "path_separator"),
        ({"file_name": ".."}, ValidationError, "$.file_name", "file_name"),
        ({"media_type": None}, InvalidType, "$.media_type", "type"),
        ({"media_type": "pdfdocument"}, ValidationError, "$.media_type", "media_type"),
        (
            {"media_type": "text/plain; charset=utf-8"},
            ValidationError,
            "$.media_type",
            "media_type",
        ),
        ({"media_type": "téxt/plain"}, ValidationError, "$.media_type", "media_type"),
        ({"media_type": "/plain"}, ValidationError, "$.media_type", "media_type"),
        ({"media_type": "a/" + "b" * MAX_MEDIA_TYPE}, ValidationError, "$.media_type", "too_long"),
        ({"size": -1}, ValidationError, "$.size", "size"),
        ({"size": MAX_ATTACHMENT_SIZE + 1}, ValidationError, "$.size", "size"),
        ({"size": True}, InvalidType, "$.size", "type"),
        ({"size": 1.0}, InvalidType, "$.size", "type"),
        ({"sha256": DIGEST[:-1]}, ValidationError, "$.sha256", "sha256"),
        ({"sha256": DIGEST[:-1] + "g"}, ValidationError, "$.sha256", "sha256"),
        ({"sha256": b"00" * 32}, InvalidType, "$.sha256", "type"),
        ({"storage_key": ""}, ValidationError, "$.storage_key", "id_length"),
        (
            {"storage_key": "k" * (MAX_STORAGE_KEY + 1)},
            ValidationError,
            "$.storage_key",
            "id_length",
        ),
        ({"storage_key": "my file.pdf"}, ValidationError, "$.storage_key", "id_format"),
        ({"storage_key": 3}, InvalidType, "$.storage_key", "type"),
    ],
)
def test_bad_metadata_is_refused_naming_the_field(kwargs, error, path, code):
    """Each broken rule raises its specific error at its path, without the value."""
    with pytest.raises(error) as caught:
        make(**kwargs)
    assert (path, code) == (caught.value.path, caught.value.code)
    for value in kwargs.values():
        if isinstance(value, str) and len(value) > 2:
            assert value not in str(caught.value)


def test_the_bounds_themselves_are_accepted():
    """Sizes 0 and MAX_ATTACHMENT_SIZE, and names and keys of the longest length, pass."""
    assert 0 == make(size=0).size
    assert MAX_ATTACHMENT_SIZE == make(size=MAX_ATTACHMENT_SIZE).size
    assert MAX_FILE_NAME == len(make(file_name="n" * MAX_FILE_NAME).file_name)
    assert MAX_STORAGE_KEY == len(make(storage_key="k" * MAX_STORAGE_KEY).storage_key)


def test_the_checks_report_at_the_path_asked():
    """The public checks name the path the caller gives."""
    with pytest.raises(ValidationError) as caught:
        check_file_name("a/b", "$.files[2]")
    assert "$.files[2]" == caught.value.path
    with pytest.raises(ValidationError) as caught:
        normalize_media_type("nope", "$.type")
    assert "$.type" == caught.value.path
    with pytest.raises(InvalidType) as caught:
        check_storage_key(None, "$.key")
    assert "$.key" == caught.value.path


@given(st.binary(max_size=256), st.binary(max_size=256))
def test_describe_and_matches_agree_with_hashlib(data, other):
    """Describe computes size and digest as hashlib does; matches accepts exactly equal digests."""
    attachment = Attachment.describe(
        data, file_name="f.bin", media_type="application/octet-stream", storage_key="k"
    )
    assert len(data) == attachment.size
    assert hashlib.sha256(data).hexdigest() == attachment.sha256
    assert attachment.matches(data)
    assert attachment.matches(bytearray(data))
    assert attachment.matches(memoryview(data))
    same = (
        len(other) == len(data) and hashlib.sha256(other).digest() == hashlib.sha256(data).digest()
    )
    assert same == attachment.matches(other)


def test_matches_refuses_what_is_not_bytes_and_reads_strided_views():
    """A str is not bytes; a non-contiguous memoryview is read as its bytes."""
    data = b"abcdef"
    attachment = Attachment.describe(
        data[::2], file_name="f", media_type="text/plain", storage_key="k"
    )
    assert attachment.matches(memoryview(data)[::2])
    with pytest.raises(InvalidType) as caught:
        attachment.matches("ace")
    assert "$.data" == caught.value.path
    with pytest.raises(InvalidType):
        Attachment.describe("ace", file_name="f", media_type="text/plain", storage_key="k")


def test_matches_compares_the_size_before_hashing():
    """Bytes of the right digest but a claimed size that differs do not match."""
    attachment = make(sha256=hashlib.sha256(b"quote").hexdigest(), size=4)
    assert not attachment.matches(b"quote")
    assert make(size=5).matches(b"quote")


@given(attachments())
def test_drawn_attachments_round_trip_and_are_normalized(attachment):
    """Every drawn attachment survives a document trip and is already in normal form."""
    assert attachment == from_dict(Attachment, to_dict(attachment))
    assert attachment == Attachment(
        file_name=attachment.file_name,
        media_type=attachment.media_type.upper(),
        size=attachment.size,
        sha256=attachment.sha256.upper(),
        storage_key=attachment.storage_key,
    )


@given(attachments(), st.text(st.characters(categories=("L", "N")), max_size=20))
def test_no_file_name_in_repr_or_errors(attachment, words):
    """A file name carrying a marker shows in no repr and no error about another field."""
    name = f"{MARK}{words}"
    marked = make(file_name=name)
    assert MARK not in repr(marked)
    with pytest.raises(ValidationError) as caught:
        make(file_name=f"{name}\x00")
    assert MARK not in str(caught.value)
    assert MARK not in repr(attachment)
    with pytest.raises(ValidationError) as caught:
        make(file_name=name, sha256="x")
    assert MARK not in str(caught.value)


@given(attachments(max_size=10))
def test_max_size_bounds_the_drawn_sizes(attachment):
    """``max_size`` is the largest size drawn."""
    assert 0 <= attachment.size <= 10
