"""Audit entries, the audit policy, reveals and disclosures: the values an audit log keeps.

Each of them checks its fields when built and turns into a plain dict
(``to_dict``) and back (``from_dict``), so an audit log can be stored.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Mapping
from datetime import datetime
from enum import StrEnum
from typing import Any, Final

import attrs

from crmcore._kernel._checks import (
    enum_converter,
    iso_datetime,
    json_type_name,
    require_aware,
    type_name,
)
from crmcore._kernel._ids import id_text
from crmcore.audit._documents import (
    FieldChange,
    JsonValue,
)
from crmcore.audit._masking import (
    check_personal_paths,
)
from crmcore.audit._records import DeniedAttempt
from crmcore.errors import InvalidType, ValidationError

#: The fields of a record's document the audit trail leaves out: the stored
#: version (each entry carries it), the pending events (each entry names
#: them) and the document format's version.
LEFT_OUT: Final = ("pending_events", "schema_version", "version")
#: The most entries, denied attempts or disclosures one log document holds.
MAX_LOG_ITEMS: Final = 10_000_000
#: The most events one entry names.
MAX_ENTRY_EVENTS: Final = 100_000
#: The longest role, purpose or code the audit trail takes.
MAX_CODE: Final = 64


class AuditOperation(StrEnum):
    """What a commit did to a record.

    ``observed`` is the log catching up: a record saved or removed whose
    earlier state the log had not seen (it was stored before the log began,
    or changed around it) gets an ``observed`` entry first, so that its
    history still replays to its state.

    .. versionadded:: 0.1
    """

    ADDED = "added"
    SAVED = "saved"
    REMOVED = "removed"
    OBSERVED = "observed"


_CODE: Final = re.compile(r"[A-Za-z0-9][A-Za-z0-9_.:-]*")


def _code(value: object, path: str) -> str:
    if not isinstance(value, str):
        raise InvalidType(f"must be a code string, not {type_name(value)}", path=path)
    if len(value) > MAX_CODE or _CODE.fullmatch(value) is None:
        raise ValidationError(
            f"must be a code of 1 to {MAX_CODE} letters, digits and _.:- (no spaces)",
            path=path,
            code="code",
        )
    return value


def _kind(value: object) -> str:
    return _code(value, "$.aggregate_kind")


def _record_id(value: object) -> str:
    return id_text(value, "$.aggregate_id")


def _actor(value: object) -> str | None:
    return None if value is None else id_text(value, "$.actor")


def _viewer(value: object) -> str:
    return id_text(value, "$.viewer")


def _purpose(value: object) -> str:
    return _code(value, "$.purpose")


def _aware_at(value: object) -> datetime:
    return require_aware(value, "$.at")


def _personal_paths(value: object) -> tuple[str, ...]:
    return check_personal_paths(value, "$.personal")


def _operation(value: object) -> AuditOperation:
    return _OPERATION(value)


_OPERATION: Final = enum_converter(AuditOperation, "$.operation")


def _optional_at(value: object) -> datetime | None:
    return None if value is None else require_aware(value, "$.at")


def _texts(check: Callable[[object, str], str], path: str) -> Callable[[object], tuple[str, ...]]:
    def convert(value: object) -> tuple[str, ...]:
        if isinstance(value, str) or not isinstance(value, Iterable):
            raise InvalidType(f"must be a list of texts, not {type_name(value)}", path=path)
        items = []
        for index, item in enumerate(value):
            if index >= MAX_ENTRY_EVENTS:
                raise ValidationError("holds too many items", path=path, code="too_many")
            items.append(check(item, f"{path}[{index}]"))
        return tuple(items)

    return convert


def _event_id(value: object, path: str) -> str:
    if not isinstance(value, str) or not 1 <= len(value) <= 400 or not value.isprintable():
        raise ValidationError("must be an event id", path=path, code="id_format")
    return value


def _event_types(value: object) -> tuple[str, ...]:
    return _texts(_code, "$.event_types")(value)


def _event_ids(value: object) -> tuple[str, ...]:
    return _texts(_event_id, "$.event_ids")(value)


def _roles(value: object) -> tuple[str, ...]:
    return _texts(_code, "$.roles")(value)


def _changes(value: object) -> tuple[FieldChange, ...]:
    if isinstance(value, FieldChange) or not isinstance(value, Iterable):
        raise InvalidType(
            f"must be an iterable of FieldChange, not {type_name(value)}", path="$.changes"
        )
    changes = tuple(value)
    for index, change in enumerate(changes):
        if not isinstance(change, FieldChange):
            raise InvalidType(
                f"must be a FieldChange, not {type_name(change)}", path=f"$.changes[{index}]"
            )
    return changes


def _number(_: object, __: attrs.Attribute[Any], value: object) -> None:
    if isinstance(value, bool) or not isinstance(value, int):
        raise InvalidType(f"must be an int, not {type_name(value)}", path="$.number")
    if not 1 <= value <= MAX_LOG_ITEMS:
        raise ValidationError("must be a positive entry number", path="$.number", code="range")


def _version(_: object, __: attrs.Attribute[Any], value: object) -> None:
    if value is None:
        return
    if isinstance(value, bool) or not isinstance(value, int):
        raise InvalidType(f"must be an int, not {type_name(value)}", path="$.version")
    if not 0 <= value <= 2**53 - 1:
        raise ValidationError("must be from 0 to 2**53 - 1", path="$.version", code="range")


@attrs.frozen(slots=True, kw_only=True)
class AuditEntry:
    """One record added, saved or removed by a commit, with its changed fields.

    Attributes:
        number: the entry's position in its log (1 for the first).
        aggregate_kind: the record's kind (``"customer"``, ...).
        aggregate_id: the record's id, as text.
        operation: added, saved, removed (or observed: see :class:`AuditOperation`).
        version: the record's version once committed (a save of version n
            stores n + 1; ``None`` for a removal).
        at: when: the time the unit of work gave, else its newest event's time.
        actor: who, if known.
        event_types: the class names of the events the commit recorded for the record.
        event_ids: their event ids, in order.
        changes: every changed place of the record's document (see
            :func:`diff_documents`), without :data:`LEFT_OUT`.
        personal: the document paths of the record's personal fields.

    The repr shows paths, never values.

    .. versionadded:: 0.1
    """

    number: int = attrs.field(validator=_number)
    aggregate_kind: str = attrs.field(converter=_kind)
    aggregate_id: str = attrs.field(converter=_record_id)
    operation: AuditOperation = attrs.field(converter=_operation)
    version: int | None = attrs.field(default=None, validator=_version)
    at: datetime | None = attrs.field(default=None, converter=_optional_at)
    actor: str | None = attrs.field(default=None, converter=_actor)
    event_types: tuple[str, ...] = attrs.field(default=(), converter=_event_types)
    event_ids: tuple[str, ...] = attrs.field(default=(), converter=_event_ids)
    changes: tuple[FieldChange, ...] = attrs.field(default=(), converter=_changes)
    personal: tuple[str, ...] = attrs.field(default=(), converter=_personal_paths)

    def __attrs_post_init__(self) -> None:
        if len(self.event_types) != len(self.event_ids):
            raise ValidationError(
                "must name as many event types as event ids", path="$.event_ids", code="count"
            )

    @property
    def record(self) -> tuple[str, str]:
        """``(aggregate_kind, aggregate_id)``."""
        return (self.aggregate_kind, self.aggregate_id)

    def to_dict(self) -> dict[str, JsonValue]:
        """A plain dict for storage (values included: store it as securely as the records)."""
        return {
            "number": self.number,
            "aggregate_kind": self.aggregate_kind,
            "aggregate_id": self.aggregate_id,
            "operation": self.operation.value,
            "version": self.version,
            "at": None if self.at is None else self.at.isoformat(),
            "actor": self.actor,
            "event_types": list(self.event_types),
            "event_ids": list(self.event_ids),
            "changes": [change.to_dict() for change in self.changes],
            "personal": list(self.personal),
        }

    @classmethod
    def from_dict(cls, document: object, path: str = "$") -> AuditEntry:
        """The entry a :meth:`to_dict` document describes, validated.

        Raises:
            InvalidType: not a dict, or a value of the wrong type.
            ValidationError: a missing or unknown key, or a value breaking a rule.
        """
        fields = _fields_of(document, path, _ENTRY_KEYS)
        try:
            changes = fields["changes"]
            if not isinstance(changes, list):
                raise InvalidType(
                    f"must be a list, not {json_type_name(changes)}", path="$.changes"
                )
            fields["changes"] = [
                FieldChange.from_dict(item, f"$.changes[{index}]")
                for index, item in enumerate(changes)
            ]
            fields["at"] = _parse_time(fields["at"], "$.at")
            return cls(**fields)
        except ValidationError as error:
            raise error.under(path) from None


_ENTRY_KEYS: Final = tuple(field.name for field in attrs.fields(AuditEntry))


def _fields_of(document: object, path: str, keys: tuple[str, ...]) -> dict[str, Any]:
    if not isinstance(document, dict):
        raise InvalidType(f"must be an object, not {json_type_name(document)}", path=path)
    if set(document) != set(keys):
        raise ValidationError(
            f"must have exactly the keys {', '.join(keys)}", path=path, code="keys"
        )
    return dict(document)


def _parse_time(value: object, path: str) -> datetime | None:
    return None if value is None else iso_datetime(value, path)


# -- policy, reveals, disclosures ----------------------------------------------------------------


def _purposes(value: object) -> Mapping[str, frozenset[str]]:
    if not isinstance(value, Mapping):
        raise InvalidType(f"must be a mapping, not {type_name(value)}", path="$.purposes")
    checked: dict[str, frozenset[str]] = {}
    if len(value) > MAX_ENTRY_EVENTS:
        raise ValidationError("holds too many roles", path="$.purposes", code="too_many")
    # Roles are named by position, never by their text: a key is never repeated in a message.
    for index, (role, purposes) in enumerate(value.items()):
        name = _code(role, f"$.purposes[{index}]")
        checked[name] = frozenset(_texts(_code, f"$.purposes[{index}]")(purposes))
    return checked


@attrs.frozen(slots=True)
class AuditPolicy:
    """Which roles may reveal personal values in audit views, and for which purposes.

    ``purposes`` maps a role to the purposes it may state (codes such as
    ``"dispute"`` or ``"subject_access"``). A policy with no roles reveals
    nothing.

    >>> policy = AuditPolicy({"dpo": ["subject_access", "dispute"]})
    >>> policy.allows(["sales_rep", "dpo"], "dispute"), policy.allows(["sales_rep"], "dispute")
    (True, False)

    .. versionadded:: 0.1
    """

    purposes: Mapping[str, frozenset[str]] = attrs.field(factory=dict, converter=_purposes)

    def allows(self, roles: Iterable[str], purpose: str) -> bool:
        """True if one of ``roles`` may reveal personal values for ``purpose``.

        Raises:
            InvalidType: ``roles`` is not a collection of str (``$.roles``), or
                ``purpose`` is not a str (``$.purpose``).
        """
        if not isinstance(purpose, str):
            raise InvalidType(f"must be a purpose str, not {type_name(purpose)}", path="$.purpose")
        if isinstance(roles, (str, bytes, Mapping)) or not isinstance(roles, Iterable):
            raise InvalidType(
                f"must be a collection of role str, not {type_name(roles)}", path="$.roles"
            )
        found = False
        for index, role in enumerate(roles):
            if not isinstance(role, str):
                raise InvalidType(
                    f"must be a role str, not {type_name(role)}", path=f"$.roles[{index}]"
                )
            found = found or purpose in self.purposes.get(role, ())
        return found

    def to_dict(self) -> dict[str, JsonValue]:
        """A plain dict: each role's purposes, sorted."""
        return {"purposes": {role: sorted(found) for role, found in sorted(self.purposes.items())}}

    @classmethod
    def from_dict(cls, document: object) -> AuditPolicy:
        """The policy a :meth:`to_dict` document describes, validated."""
        return cls(_fields_of(document, "$", ("purposes",))["purposes"])


@attrs.frozen(slots=True, kw_only=True)
class Reveal:
    """A caller's request to see personal values: who, in which roles, for what purpose, when.

    .. versionadded:: 0.1
    """

    viewer: str = attrs.field(converter=_viewer)
    purpose: str = attrs.field(converter=_purpose)
    at: datetime = attrs.field(converter=_aware_at)
    roles: tuple[str, ...] = attrs.field(default=(), converter=_roles)


@attrs.frozen(slots=True, kw_only=True)
class Disclosure:
    """A reveal that happened: who saw which record's personal values, for what purpose, when.

    .. versionadded:: 0.1
    """

    viewer: str = attrs.field(converter=_viewer)
    purpose: str = attrs.field(converter=_purpose)
    aggregate_kind: str = attrs.field(converter=_kind)
    aggregate_id: str = attrs.field(converter=_record_id)
    at: datetime = attrs.field(converter=_aware_at)

    def to_dict(self) -> dict[str, JsonValue]:
        """A plain dict."""
        document: dict[str, JsonValue] = attrs.asdict(self)
        document["at"] = self.at.isoformat()
        return document

    @classmethod
    def from_dict(cls, document: object, path: str = "$") -> Disclosure:
        """The disclosure a :meth:`to_dict` document describes, validated."""
        fields = _fields_of(document, path, _DISCLOSURE_KEYS)
        try:
            fields["at"] = _parse_time(fields["at"], "$.at")
            return cls(**fields)
        except ValidationError as error:
            raise error.under(path) from None


_DISCLOSURE_KEYS: Final = tuple(field.name for field in attrs.fields(Disclosure))
_DENIED_KEYS: Final = tuple(field.name for field in attrs.fields(DeniedAttempt))


def _check_denied(attempt: DeniedAttempt) -> DeniedAttempt:
    # DeniedAttempt checks types and lengths; the log checks the form of each field.
    id_text(attempt.actor, "$.actor")
    _code(attempt.action, "$.action")
    _code(attempt.aggregate_kind, "$.aggregate_kind")
    _code(attempt.rule, "$.rule")
    if attempt.aggregate_id is not None:
        id_text(attempt.aggregate_id, "$.aggregate_id")
    _optional_at(attempt.at)
    return attempt


def _denied_to_dict(attempt: DeniedAttempt) -> dict[str, JsonValue]:
    document: dict[str, JsonValue] = attrs.asdict(attempt)
    document["at"] = None if attempt.at is None else attempt.at.isoformat()
    return document


def _denied_from_dict(document: object, path: str) -> DeniedAttempt:
    fields = _fields_of(document, path, _DENIED_KEYS)
    try:
        fields["at"] = _parse_time(fields["at"], "$.at")
        return _check_denied(DeniedAttempt(**fields))
    except ValidationError as error:
        raise error.under(path) from None
