"""Field changes between two record documents, and their replay.

A record's document is what :func:`crmcore.serialization.to_dict` makes of
it: dicts, lists, strings, numbers, booleans and ``None``. A
:class:`FieldChange` names one place in such a document by a path
(``profile.name.given``, ``contact_points[1].value``; a key that is not a
plain name is written as a JSON string in brackets, ``attributes["tier-1"]``)
and holds the value there before and after. A place that did not exist
holds :data:`ABSENT`.

>>> before = {"status": "open", "tags": ["vip"], "profile": {"name": "Ana"}}
>>> after = {"status": "closed", "tags": ["vip", "new"], "profile": {"name": "Ana"}}
>>> changes = diff_documents(before, after)
>>> [str(change) for change in changes]
['status: changed', 'tags[1]: added']
>>> apply_changes(before, changes) == after
True
"""

from __future__ import annotations

import json
import math
import re
from collections.abc import Iterable, Mapping, Sequence
from enum import Enum
from typing import Any, Final, Literal, TypeAlias

import attrs

from crmcore._kernel._checks import json_type_name, type_name
from crmcore.errors import InvalidType, ValidationError

__all__ = [
    "ABSENT",
    "MAX_DOCUMENT_DEPTH",
    "MAX_DOCUMENT_NODES",
    "MAX_PATH_LENGTH",
    "Absent",
    "FieldChange",
    "JsonValue",
    "apply_changes",
    "diff_documents",
    "format_path",
    "parse_path",
]

#: The deepest nesting of a document (or a change's value) the audit trail takes.
MAX_DOCUMENT_DEPTH: Final = 64
#: The most values (dict entries and list items, counted recursively) in one document.
MAX_DOCUMENT_NODES: Final = 1_000_000
#: The longest path text of a field change.
MAX_PATH_LENGTH: Final = 2_000

#: A JSON value, as :func:`crmcore.serialization.to_dict` makes them.
JsonValue: TypeAlias = Any
#: One step of a path: a key of a dict or an index of a list.
Segment: TypeAlias = str | int

_NAME: Final = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")


class Absent(Enum):
    """The type of :data:`ABSENT`."""

    ABSENT = "absent"

    def __repr__(self) -> str:
        return "ABSENT"


#: Stands for "no value here": the old value of an added field, the new value of a removed one.
ABSENT: Final = Absent.ABSENT


# -- paths ---------------------------------------------------------------------------------------


def format_path(segments: Iterable[Segment]) -> str:
    """The path text of ``segments`` (keys and indices).

    >>> format_path(["contact_points", 1, "value"])
    'contact_points[1].value'
    >>> format_path(["attributes", "tier-1"])
    'attributes["tier-1"]'

    Raises:
        InvalidType: ``segments`` is not an iterable of str keys and int indices
            (``$.segments``, ``$.segments[i]``).
        ValidationError: an index is negative (``$.segments[i]``, code ``range``).
    """
    if isinstance(segments, (str, bytes, Mapping)) or not isinstance(segments, Iterable):
        raise InvalidType(
            f"must be an iterable of keys and indices, not {type_name(segments)}",
            path="$.segments",
        )
    parts: list[str] = []
    for index, segment in enumerate(segments):
        if isinstance(segment, bool) or not isinstance(segment, (int, str)):
            raise InvalidType(
                f"must be a str key or an int index, not {type_name(segment)}",
                path=f"$.segments[{index}]",
            )
        if isinstance(segment, int):
            if segment < 0:
                raise ValidationError(
                    "must not be a negative index", path=f"$.segments[{index}]", code="range"
                )
            parts.append(f"[{segment}]")
        elif _NAME.fullmatch(segment):
            parts.append(f".{segment}" if parts else segment)
        else:
            parts.append(f"[{json.dumps(segment)}]")
    return "".join(parts)


def parse_path(text: object, path: str = "$.path") -> tuple[Segment, ...]:
    """The segments of a path text (the inverse of :func:`format_path`).

    >>> parse_path("contact_points[1].value")
    ('contact_points', 1, 'value')

    Raises:
        InvalidType: ``text`` is not a string.
        ValidationError: it is not a path (code ``path``) or too long.
    """
    if not isinstance(text, str):
        raise InvalidType(f"must be a path string, not {type_name(text)}", path=path)
    if len(text) > MAX_PATH_LENGTH:
        raise ValidationError(
            f"must be at most {MAX_PATH_LENGTH} characters", path=path, code="too_long"
        )
    segments: list[Segment] = []
    position = 0
    while position < len(text):
        segment, position = _segment_at(text, position, first=not segments, path=path)
        segments.append(segment)
    if not segments:
        raise _bad_path(path)
    return tuple(segments)


_DECODER: Final = json.JSONDecoder()


def _segment_at(text: str, position: int, *, first: bool, path: str) -> tuple[Segment, int]:
    """The segment of ``text`` beginning at ``position``, and where the next one begins."""
    if text.startswith('["', position):
        try:
            key, end = _DECODER.raw_decode(text, position + 1)
        except ValueError:
            raise _bad_path(path) from None
        if not isinstance(key, str) or not text.startswith("]", end):
            raise _bad_path(path)
        return key, end + 1
    if text.startswith("[", position):
        end = text.find("]", position)
        digits = text[position + 1 : end]
        if end < 0 or not digits.isascii() or not digits.isdigit() or len(digits) > 9:
            raise _bad_path(path)
        return int(digits), end + 1
    start = position if first else position + 1
    if not first and not text.startswith(".", position):
        raise _bad_path(path)
    match = _NAME.match(text, start)
    if match is None:
        raise _bad_path(path)
    return match.group(), match.end()


def _bad_path(path: str) -> ValidationError:
    return ValidationError(
        "must be a path such as 'profile.name.given' or 'contact_points[1].value'",
        path=path,
        code="path",
    )


# -- values --------------------------------------------------------------------------------------


def check_json(value: object, path: str) -> int:
    """Check that ``value`` is a bounded JSON value; return how many values it holds."""
    nodes = 0
    stack: list[tuple[object, int]] = [(value, 0)]
    while stack:
        item, depth = stack.pop()
        nodes += 1
        if nodes > MAX_DOCUMENT_NODES:
            raise ValidationError(
                f"must hold at most {MAX_DOCUMENT_NODES} values", path=path, code="too_large"
            )
        if depth > MAX_DOCUMENT_DEPTH:
            raise ValidationError(
                f"must nest at most {MAX_DOCUMENT_DEPTH} levels deep", path=path, code="too_deep"
            )
        stack.extend((child, depth + 1) for child in _children(item, path))
    return nodes


def _children(item: object, path: str) -> Iterable[object]:
    """The values inside ``item`` (none for a scalar); refuses what JSON cannot hold."""
    if isinstance(item, dict):
        for key in item:
            if not isinstance(key, str):
                raise InvalidType(
                    f"must have string keys, not {type_name(key)}", path=path, code="json"
                )
        return item.values()
    if isinstance(item, list):
        return item
    if isinstance(item, float):
        if not math.isfinite(item):
            raise ValidationError("must hold finite numbers", path=path, code="json")
    elif item is not None and not isinstance(item, str | int):  # bool is an int
        raise InvalidType(
            f"must be a JSON value, not {json_type_name(item)}", path=path, code="json"
        )
    return ()


def _copy(value: JsonValue) -> JsonValue:
    if isinstance(value, dict):
        return {key: _copy(child) for key, child in value.items()}
    if isinstance(value, list):
        return [_copy(child) for child in value]
    return value


def _same(left: JsonValue, right: JsonValue) -> bool:
    # JSON equality: 1 and True differ, as they do once written out.
    if type(left) is not type(right):
        return False
    return bool(left == right)


# -- field changes -------------------------------------------------------------------------------


def _path_converter(value: object) -> str:
    parse_path(value)
    return value  # type: ignore[return-value]  # parse_path checked it is a str


def _value_check(path: str) -> Any:
    def check(_: object, __: attrs.Attribute[Any], value: object) -> None:
        if value is not ABSENT:
            check_json(value, path)

    return check


@attrs.frozen(slots=True, repr=False)
class FieldChange:
    """One place of a record's document that changed: its path, the value before and after.

    ``old`` is :data:`ABSENT` when the place was added (a new key, a list
    item appended), ``new`` when it was removed. The repr leaves the values
    out: they may be personal data.

    >>> change = FieldChange("profile.name.given", "Ana", "Ani")
    >>> change
    FieldChange('profile.name.given', changed)
    >>> FieldChange.from_dict(change.to_dict()) == change
    True

    .. versionadded:: 0.1
    """

    path: str = attrs.field(converter=_path_converter)
    old: JsonValue = attrs.field(default=ABSENT, validator=_value_check("$.old"))
    new: JsonValue = attrs.field(default=ABSENT, validator=_value_check("$.new"))

    def __attrs_post_init__(self) -> None:
        if self.old is ABSENT and self.new is ABSENT:
            raise ValidationError("must have an old or a new value", path="$.new", code="no_change")

    @property
    def kind(self) -> Literal["added", "removed", "changed"]:
        """``"added"``, ``"removed"`` or ``"changed"``."""
        if self.old is ABSENT:
            return "added"
        return "removed" if self.new is ABSENT else "changed"

    @property
    def segments(self) -> tuple[Segment, ...]:
        """The path as keys and indices."""
        return parse_path(self.path)

    def __repr__(self) -> str:
        return f"FieldChange({self.path!r}, {self.kind})"

    def __str__(self) -> str:
        return f"{self.path}: {self.kind}"

    def to_dict(self) -> dict[str, JsonValue]:
        """A plain dict: ``path``, and ``old`` and ``new`` unless absent."""
        document: dict[str, JsonValue] = {"path": self.path}
        if self.old is not ABSENT:
            document["old"] = _copy(self.old)
        if self.new is not ABSENT:
            document["new"] = _copy(self.new)
        return document

    @classmethod
    def from_dict(cls, document: object, path: str = "$") -> FieldChange:
        """The change a :meth:`to_dict` document describes, validated.

        Raises:
            InvalidType: not a dict, or a value of the wrong type.
            ValidationError: a missing or unknown key, a bad path or value.
        """
        if not isinstance(document, dict):
            raise InvalidType(f"must be an object, not {json_type_name(document)}", path=path)
        unknown = set(document) - {"path", "old", "new"}
        if unknown or "path" not in document:
            raise ValidationError(
                "must have the key path and at most old and new", path=path, code="keys"
            )
        try:
            # The checks in the order the class makes them (the path, then old, then new),
            # each value checked before it is copied: a hostile value is refused after a
            # bounded amount of work, never walked by the (recursive) copy.
            checked_path = _path_converter(document["path"])
            old, new = document.get("old", ABSENT), document.get("new", ABSENT)
            for value, where in ((old, "$.old"), (new, "$.new")):
                if value is not ABSENT:
                    check_json(value, where)
            return cls(checked_path, _copy(old), _copy(new))
        except ValidationError as error:
            raise error.under(path) from None


# -- diff and replay -----------------------------------------------------------------------------


def diff_documents(
    before: Mapping[str, JsonValue] | None, after: Mapping[str, JsonValue] | None
) -> tuple[FieldChange, ...]:
    """The changes that turn document ``before`` into ``after``.

    ``None`` stands for no record (an empty document). Dicts are compared
    key by key (in sorted key order), lists index by index: items past the
    end of the shorter list are additions or removals (removals listed last
    first, so that replaying them in order works). A value whose type
    changes is one change. The result is deterministic.

    Raises:
        InvalidType: a document is not a dict of JSON values.
        ValidationError: a document nests deeper than
            :data:`MAX_DOCUMENT_DEPTH` or holds more than
            :data:`MAX_DOCUMENT_NODES` values.
    """
    old = _document(before, "$.before")
    new = _document(after, "$.after")
    changes: list[FieldChange] = []
    _diff(old, new, [], changes)
    return tuple(changes)


def _document(document: object, path: str) -> dict[str, JsonValue]:
    if document is None:
        return {}
    if not isinstance(document, Mapping):
        raise InvalidType(f"must be a document (a dict), not {type_name(document)}", path=path)
    checked = dict(document)
    check_json(checked, path)
    return checked


def _diff(old: JsonValue, new: JsonValue, at: list[Segment], out: list[FieldChange]) -> None:
    if isinstance(old, dict) and isinstance(new, dict):
        for key in sorted(old.keys() | new.keys()):
            if key not in new:
                out.append(FieldChange(format_path([*at, key]), _copy(old[key]), ABSENT))
            elif key not in old:
                out.append(FieldChange(format_path([*at, key]), ABSENT, _copy(new[key])))
            else:
                _diff(old[key], new[key], [*at, key], out)
    elif isinstance(old, list) and isinstance(new, list):
        common = min(len(old), len(new))
        for index in range(common):
            _diff(old[index], new[index], [*at, index], out)
        out.extend(
            FieldChange(format_path([*at, index]), ABSENT, _copy(new[index]))
            for index in range(common, len(new))
        )
        out.extend(
            FieldChange(format_path([*at, index]), _copy(old[index]), ABSENT)
            for index in reversed(range(common, len(old)))
        )
    elif not _same(old, new):
        out.append(FieldChange(format_path(at), _copy(old), _copy(new)))


def apply_changes(
    document: Mapping[str, JsonValue] | None, changes: Iterable[FieldChange]
) -> dict[str, JsonValue]:
    """Replay ``changes`` on ``document`` (``None``: an empty one); the inverse of :func:`diff_documents`.

    The document passed is left as it is; a new one is returned. Old values
    are not compared with the document (an erased or masked trail replays
    too). A change adds to a list only at its end and removes only its last
    item, as :func:`diff_documents` lists them.

    Raises:
        InvalidType: ``document`` is not a dict, ``changes`` is not an iterable
            (``$.changes``) or a change is not a FieldChange.
        ValidationError: a change's place does not exist in the document
            (``$.changes[i]``, code ``path``). Nothing is returned half-applied.
    """
    if isinstance(changes, (str, bytes, Mapping)) or not isinstance(changes, Iterable):
        raise InvalidType(
            f"must be an iterable of FieldChange, not {type_name(changes)}", path="$.changes"
        )
    result: dict[str, JsonValue] = _copy(_document(document, "$.document"))
    for index, change in enumerate(changes):
        if not isinstance(change, FieldChange):
            raise InvalidType(
                f"must be a FieldChange, not {type_name(change)}", path=f"$.changes[{index}]"
            )
        _apply(result, change, f"$.changes[{index}]")
    return result


def _apply(document: dict[str, JsonValue], change: FieldChange, path: str) -> None:
    *parents, last = change.segments
    container: JsonValue = document
    for segment in parents:
        container = _child(container, segment)
        if container is ABSENT:
            raise _missing(path)
    if isinstance(container, dict) and isinstance(last, str):
        _apply_to_dict(container, last, change, path)
    elif isinstance(container, list) and isinstance(last, int):
        _apply_to_list(container, last, change, path)
    else:
        raise _missing(path)


def _apply_to_dict(
    container: dict[str, JsonValue], key: str, change: FieldChange, path: str
) -> None:
    if change.new is not ABSENT:
        container[key] = _copy(change.new)
    elif key in container:
        del container[key]
    else:
        raise _missing(path)


def _apply_to_list(container: list[JsonValue], index: int, change: FieldChange, path: str) -> None:
    if change.new is ABSENT:
        if index != len(container) - 1:
            raise _missing(path)
        container.pop()
    elif change.old is ABSENT:
        if index != len(container):
            raise _missing(path)
        container.append(_copy(change.new))
    elif index < len(container):
        container[index] = _copy(change.new)
    else:
        raise _missing(path)


def _child(container: JsonValue, segment: Segment) -> JsonValue:
    if isinstance(container, dict) and isinstance(segment, str):
        return container.get(segment, ABSENT)
    if isinstance(container, list) and isinstance(segment, int) and segment < len(container):
        return container[segment]
    return ABSENT


def value_at(document: JsonValue, segments: Sequence[Segment]) -> JsonValue:
    """The value at ``segments`` in ``document``, or :data:`ABSENT`."""
    value = document
    for segment in segments:
        value = _child(value, segment)
        if value is ABSENT:
            break
    return value


def _missing(path: str) -> ValidationError:
    return ValidationError("must name a place that exists in the document", path=path, code="path")
