"""Personal places in a record's document: masking them for display, erasing them for good.

A record class names its personal fields by attribute path
(``personal_fields = ("profile.name", "contact_points")``). Serialization
writes each attribute under its own name, so an attribute path is also the
path of the place in the document where the value lies. A personal path
covers everything under it, and list items are crossed on the way: the
personal path ``contact_points.value`` covers ``contact_points[2].value``.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from types import MappingProxyType
from typing import Final

import attrs

from crmcore._kernel._checks import type_name
from crmcore._kernel._personal import ERASED
from crmcore.audit._documents import (
    ABSENT,
    FieldChange,
    JsonValue,
    Segment,
    format_path,
    parse_path,
    value_at,
)
from crmcore.errors import InvalidType, ValidationError

#: The text that replaces a personal value in a masked audit view.
MASKED: Final = "[masked]"
#: The most personal paths one record kind may declare.
MAX_PERSONAL_PATHS: Final = 200


#: Personal attributes that are derived (properties, not fields), and the document
#: paths their values come from. A record class may declare its own in
#: ``personal_document_paths`` (attribute path -> document paths). The consent
#: history's addresses go with its sources: an erasure replaces a source written as
#: free text (see :func:`crmcore.customers.consents_without_identity`).
DERIVED_PERSONAL_PATHS: Final[Mapping[str, tuple[str, ...]]] = MappingProxyType(
    {"consent_addresses": ("consents.address", "consents.source")}
)


def personal_paths(record: object) -> tuple[str, ...]:
    """The document paths of a record's personal fields (none for a record that holds none).

    An attribute path whose first name is a field of the record is its own
    document path (serialization writes each field under its name); one
    naming a derived attribute is looked up in the class's
    ``personal_document_paths``, then in :data:`DERIVED_PERSONAL_PATHS`;
    one found in neither is kept as it is.
    """
    cls = type(record)
    fields = check_personal_paths(getattr(cls, "personal_fields", ()), "$.personal_fields")
    names = {field.name for field in attrs.fields(cls)} if attrs.has(cls) else set()
    declared: Mapping[str, Iterable[str]] = getattr(cls, "personal_document_paths", {})
    found: list[str] = []
    for path in fields:
        root = path.split(".", 1)[0].split("[", 1)[0]
        if root in names:
            found.append(path)
        else:
            found.extend(declared.get(path, DERIVED_PERSONAL_PATHS.get(path, (path,))))
    return check_personal_paths(found, "$.personal_fields")


def check_personal_paths(paths: object, path: str) -> tuple[str, ...]:
    """Validate personal paths (attribute or document paths): sorted, without repeats."""
    if isinstance(paths, str) or not isinstance(paths, Iterable):
        raise InvalidType(f"must be an iterable of paths, not {type_name(paths)}", path=path)
    found: set[str] = set()
    for index, item in enumerate(paths):
        if index >= MAX_PERSONAL_PATHS:
            raise ValidationError(
                f"must name at most {MAX_PERSONAL_PATHS} paths", path=path, code="too_many"
            )
        found.add(format_path(parse_path(item, f"{path}[{index}]")))
    return tuple(sorted(found))


def _names(segments: Sequence[Segment]) -> tuple[str, ...]:
    # List indices are crossed: a personal path names attributes only.
    return tuple(segment for segment in segments if isinstance(segment, str))


def is_personal_path(path: str, personal: Iterable[str]) -> bool:
    """True if ``path`` lies at or under one of the ``personal`` paths.

    Raises:
        InvalidType: ``path`` is not a str (``$.path``), or ``personal`` is not an
            iterable of path str (``$.personal``, ``$.personal[i]``).
        ValidationError: a text that is not a path (code ``path``).
    """
    names = _names(parse_path(path))
    wanted = check_personal_paths(personal, "$.personal")
    return any(names[: len(p)] == p for p in (_names(parse_path(q)) for q in wanted))


def _replace_under(
    value: JsonValue,
    at: tuple[Segment, ...],
    rest: tuple[str, ...],
    replace: _Replacer,
) -> JsonValue:
    """``value`` (found at ``at``) with what lies at ``rest`` under it replaced."""
    if not rest:
        return replace(value, at)
    if isinstance(value, dict):
        if rest[0] not in value:
            return value
        copy = dict(value)
        copy[rest[0]] = _replace_under(value[rest[0]], (*at, rest[0]), rest[1:], replace)
        return copy
    if isinstance(value, list):
        return [
            _replace_under(item, (*at, index), rest, replace) for index, item in enumerate(value)
        ]
    return value


class _Replacer:
    """Replaces a personal value found at a full path (see the subclasses)."""

    def __call__(self, value: JsonValue, at: tuple[Segment, ...]) -> JsonValue:
        raise NotImplementedError  # pragma: no cover - every subclass defines it


class _Mask(_Replacer):
    def __call__(self, value: JsonValue, at: tuple[Segment, ...]) -> JsonValue:  # noqa: ARG002 - one signature for every replacer
        return MASKED


class _Erase(_Replacer):
    """Every text and number becomes ERASED, unless the record holds it there now (a tombstone)."""

    def __init__(self, final: JsonValue) -> None:
        self.final = final
        self.count = 0

    def __call__(self, value: JsonValue, at: tuple[Segment, ...]) -> JsonValue:
        if isinstance(value, dict):
            return {key: self(child, (*at, key)) for key, child in value.items()}
        if isinstance(value, list):
            return [self(child, (*at, index)) for index, child in enumerate(value)]
        if value is None or isinstance(value, bool) or value == ERASED:
            return value
        kept = value_at(self.final, at)
        if kept is not ABSENT and type(kept) is type(value) and kept == value:
            return value
        self.count += 1
        return ERASED


def _replace_personal(
    value: JsonValue, path: str, personal: Iterable[str], replace: _Replacer
) -> JsonValue:
    if value is ABSENT:
        return value
    segments = parse_path(path)
    names = _names(segments)
    for other in personal:
        wanted = _names(parse_path(other))
        if names[: len(wanted)] == wanted:
            return replace(value, segments)
        if wanted[: len(names)] == names:
            value = _replace_under(value, segments, wanted[len(names) :], replace)
    return value


def mask_change(change: FieldChange, personal: Sequence[str]) -> FieldChange:
    """``change`` with every value at or under a personal path replaced by :data:`MASKED`."""
    if not personal:
        return change
    mask = _Mask()
    return FieldChange(
        change.path,
        _replace_personal(change.old, change.path, personal, mask),
        _replace_personal(change.new, change.path, personal, mask),
    )


def mask_document(document: dict[str, JsonValue], personal: Sequence[str]) -> dict[str, JsonValue]:
    """``document`` with every personal value replaced by :data:`MASKED`."""
    masked = document
    for path in personal:
        masked = _replace_under(masked, (), _names(parse_path(path)), _Mask())
    return masked


def erase_change(
    change: FieldChange, personal: Sequence[str], final: JsonValue
) -> tuple[FieldChange, int]:
    """``change`` with its personal texts and numbers erased, and how many were."""
    erase = _Erase(final)
    erased = FieldChange(
        change.path,
        _replace_personal(change.old, change.path, personal, erase),
        _replace_personal(change.new, change.path, personal, erase),
    )
    return erased, erase.count
