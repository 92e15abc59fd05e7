"""Tests for `crmcore.audit._documents`: paths, field changes, diff and replay."""

from __future__ import annotations

import copy
import json

import pytest
from hypothesis import given
from hypothesis import strategies as st

from crmcore.audit import (
    ABSENT,
    MAX_DOCUMENT_DEPTH,
    MAX_PATH_LENGTH,
    FieldChange,
    _documents,
    apply_changes,
    diff_documents,
    format_path,
    parse_path,
)
from crmcore.errors import InvalidType, ValidationError
from crmcore.serialization import to_dict
from crmcore.testing.strategies import cases, customers
from crmcore.testing.strategies._audit import json_documents


def test_paths_round_trip_plain_and_quoted_keys() -> None:
    """Names are dotted, indices bracketed, other keys written as JSON strings."""
    segments = ("profile", "attributes", "tier-1", 3, "a.b", 'q"', "x")
    text = format_path(segments)
    assert text == 'profile.attributes["tier-1"][3]["a.b"]["q\\""].x'
    assert parse_path(text) == segments


@given(st.lists(st.text(min_size=1, max_size=5) | st.integers(0, 10**6), min_size=1, max_size=6))
def test_parse_path_inverts_format_path(segments: list[str | int]) -> None:
    """Any keys and indices survive format_path and parse_path."""
    assert list(parse_path(format_path(segments))) == segments


@pytest.mark.parametrize(
    "text",
    [
        "",
        "a..b",
        ".a",
        "a[",
        "a[x]",
        "a[-1]",
        'a["x"',
        'a["x" ]',
        "a b",
        "1a",
        "a.[0]",
        'a[""',
        "a[1]b",
    ],
)
def test_parse_path_refuses_what_is_not_a_path(text: str) -> None:
    """Malformed paths raise ValidationError with code path."""
    with pytest.raises(ValidationError) as caught:
        parse_path(text)
    assert caught.value.code == "path"


def test_parse_path_refuses_non_text_and_long_text() -> None:
    """A path must be a string of bounded length."""
    with pytest.raises(InvalidType):
        parse_path(3)
    with pytest.raises(ValidationError) as caught:
        parse_path("a" * (MAX_PATH_LENGTH + 1))
    assert caught.value.code == "too_long"


def test_field_change_kinds_repr_and_round_trip() -> None:
    """A change says whether it added, removed or changed, and its repr hides the values."""
    added = FieldChange("tags[0]", new="vip")
    removed = FieldChange("tags[0]", old="vip")
    changed = FieldChange("profile.name.given", "Ana", "Ani")
    assert (added.kind, removed.kind, changed.kind) == ("added", "removed", "changed")
    assert "Ana" not in repr(changed)
    assert "Ani" not in str(changed)
    for change in (added, removed, changed):
        assert FieldChange.from_dict(json.loads(json.dumps(change.to_dict()))) == change
    assert added.to_dict() == {"path": "tags[0]", "new": "vip"}
    assert repr(ABSENT) == "ABSENT"


@pytest.mark.parametrize(
    ("document", "error"),
    [
        ([], InvalidType),
        ({"old": 1}, ValidationError),
        ({"path": "a", "extra": 1}, ValidationError),
        ({"path": "a"}, ValidationError),
        ({"path": "a", "old": {1: 2}}, InvalidType),
        ({"path": "a", "new": float("nan")}, ValidationError),
        ({"path": "a", "new": object()}, InvalidType),
        ({"path": 5, "new": 1}, InvalidType),
    ],
)
def test_field_change_from_dict_refuses_bad_documents(document: object, error: type) -> None:
    """Documents that do not describe a change are refused."""
    with pytest.raises(error):
        FieldChange.from_dict(document)


def test_values_are_bounded_in_depth() -> None:
    """A value nesting deeper than MAX_DOCUMENT_DEPTH is refused."""
    value: object = 1
    for _ in range(MAX_DOCUMENT_DEPTH + 1):
        value = [value]
    with pytest.raises(ValidationError) as caught:
        FieldChange("a", new=value)
    assert caught.value.code == "too_deep"
    with pytest.raises(ValidationError):
        diff_documents({"a": value}, {})


def test_values_are_bounded_in_size(monkeypatch: pytest.MonkeyPatch) -> None:
    """A value holding more than MAX_DOCUMENT_NODES values is refused."""
    monkeypatch.setattr(_documents, "MAX_DOCUMENT_NODES", 10)
    with pytest.raises(ValidationError) as caught:
        diff_documents({"a": list(range(20))}, None)
    assert caught.value.code == "too_large"


def test_diff_lists_by_index_with_additions_and_removals() -> None:
    """Common indices are compared; extra items are added in order and removed from the end."""
    changes = diff_documents({"xs": [1, 2, 3, 4]}, {"xs": [1, 5]})
    assert [(c.path, c.kind) for c in changes] == [
        ("xs[1]", "changed"),
        ("xs[3]", "removed"),
        ("xs[2]", "removed"),
    ]
    grown = diff_documents({"xs": [1]}, {"xs": [1, 2, 3]})
    assert [(c.path, c.new) for c in grown] == [("xs[1]", 2), ("xs[2]", 3)]


def test_diff_keeps_bool_and_int_apart_and_type_changes_whole() -> None:
    """True and 1 differ (as JSON); a value changing type is one change."""
    assert [c.path for c in diff_documents({"a": 1}, {"a": True})] == ["a"]
    changes = diff_documents({"a": {"b": 1}}, {"a": [1]})
    assert [(c.path, c.old, c.new) for c in changes] == [("a", {"b": 1}, [1])]


def test_diff_refuses_what_is_not_a_document() -> None:
    """Documents are dicts of JSON values with string keys."""
    with pytest.raises(InvalidType):
        diff_documents([1], None)  # type: ignore[arg-type]
    with pytest.raises(InvalidType):
        diff_documents({"a": {1: 2}}, None)


@given(json_documents(), json_documents())
def test_apply_changes_replays_diff_documents(
    before: dict[str, object], after: dict[str, object]
) -> None:
    """Replaying the diff of two documents on the first gives the second, and leaves it as it was."""
    kept = copy.deepcopy(before)
    changes = diff_documents(before, after)
    assert apply_changes(before, changes) == after
    assert before == kept
    assert diff_documents(before, after) == changes  # deterministic
    assert (changes == ()) == (before == after)


@given(customers(pending_events=False) | cases(pending_events=False), customers() | cases())
def test_diff_of_record_documents_replays(first: object, second: object) -> None:
    """Record documents from to_dict replay the same way."""
    before, after = to_dict(first), to_dict(second)
    assert apply_changes(before, diff_documents(before, after)) == after
    assert apply_changes(None, diff_documents(None, after)) == after


@pytest.mark.parametrize(
    ("document", "change"),
    [
        ({"a": 1}, FieldChange("b.c", new=1)),
        ({"a": 1}, FieldChange("b", old=1)),
        ({"a": [1, 2]}, FieldChange("a[0]", old=1)),
        ({"a": [1, 2]}, FieldChange("a[5]", new=1)),
        ({"a": [1, 2]}, FieldChange("a[5]", 1, 2)),
        ({"a": [1, 2]}, FieldChange("a.b", new=1)),
        ({"a": 1}, FieldChange("a[0]", new=1)),
        ({"a": [[1]]}, FieldChange("a[3][0]", new=1)),
    ],
)
def test_apply_changes_refuses_places_that_do_not_exist(
    document: dict[str, object], change: FieldChange
) -> None:
    """A change whose place is missing raises ValidationError naming the change."""
    with pytest.raises(ValidationError) as caught:
        apply_changes(document, [change])
    assert (caught.value.path, caught.value.code) == ("$.changes[0]", "path")


def test_apply_changes_refuses_what_is_not_a_change() -> None:
    """Only FieldChange values replay."""
    with pytest.raises(InvalidType):
        apply_changes({}, ["a"])  # type: ignore[list-item]
