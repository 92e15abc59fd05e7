"""What an access-guarded unit of work hands to the audit trail.

A :class:`RecordChange` is one record added, saved or removed in a committed
unit; a :class:`DeniedAttempt` is one command or read the access policy
refused. Both hold ids and codes; the records themselves (``before`` and
``after``) are the aggregates, whose values the audit trail compares.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any, Final

import attrs

from crmcore._kernel._checks import require_aware, type_name
from crmcore._kernel._ids import MAX_ID_LENGTH
from crmcore.errors import InvalidType, ValidationError

#: The longest text (a kind, an id, an action, a rule code) a change or an attempt holds.
#: The audit log checks the form of each one when it keeps it.
MAX_RECORD_TEXT: Final = MAX_ID_LENGTH


def _text(_: object, attribute: attrs.Attribute[Any], value: object) -> None:
    # A str of at most MAX_RECORD_TEXT characters (never repeated in a message).
    path = f"$.{attribute.name}"
    if not isinstance(value, str):
        raise InvalidType(f"must be a str, not {type_name(value)}", path=path)
    if len(value) > MAX_RECORD_TEXT:
        raise ValidationError(
            f"must be at most {MAX_RECORD_TEXT} characters", path=path, code="too_long"
        )


def _optional_text(instance: object, attribute: attrs.Attribute[Any], value: object) -> None:
    if value is not None:
        _text(instance, attribute, value)


def _optional_aware(_: object, attribute: attrs.Attribute[Any], value: object) -> None:
    if value is not None:
        require_aware(value, f"$.{attribute.name}")


@attrs.frozen(slots=True, kw_only=True, repr=False)
class RecordChange:
    """One record added, saved or removed by a committed unit of work.

    Attributes:
        aggregate_kind: the record's kind (``"customer"``, ``"order"``, ...).
        aggregate_id: the record's id, as text.
        before: the record as stored before the unit (``None`` when it was added).
        after: the record as the unit saved it, with the events its commands
            recorded (``None`` when it was removed).
        actor: who made the change (the principal's staff id), if known.
        at: when: the newest recorded event's time; ``None`` when no event
            says (a removal).

    Raises:
        InvalidType: ``aggregate_kind``, ``aggregate_id`` or ``actor`` that is not a
            str, or ``at`` that is not a datetime.
        ValidationError: a text longer than :data:`MAX_RECORD_TEXT` (``too_long``) or a
            naive ``at`` (``naive_datetime``).

    .. versionadded:: 0.1
    """

    aggregate_kind: str = attrs.field(validator=_text)
    aggregate_id: str = attrs.field(validator=_text)
    before: Any = None
    after: Any = None
    actor: str | None = attrs.field(default=None, validator=_optional_text)
    at: datetime | None = attrs.field(default=None, validator=_optional_aware)

    def __repr__(self) -> str:
        # The records are left out: they hold personal data.
        operation = "added" if self.before is None else "removed" if self.after is None else "saved"
        return f"RecordChange({self.aggregate_kind}:{self.aggregate_id} {operation}, actor={self.actor!r})"


@attrs.frozen(slots=True, kw_only=True)
class DeniedAttempt:
    """One read, command or export the access policy refused.

    Attributes:
        actor: the principal's staff id.
        action: what was attempted (``"read"``, ``"update"``, ``"export"``, ...).
        aggregate_kind: the kind of record (``"customer"``, ...).
        aggregate_id: the record's id as text, when one was named.
        rule: why it was refused, as a code (``"scope"``, ``"no_grant"``, ...).
        at: when, if the caller said.

    Raises:
        InvalidType: a text field that is not a str, or ``at`` that is not a datetime.
        ValidationError: a text longer than :data:`MAX_RECORD_TEXT` (``too_long``) or a
            naive ``at`` (``naive_datetime``).

    .. versionadded:: 0.1
    """

    actor: str = attrs.field(validator=_text)
    action: str = attrs.field(validator=_text)
    aggregate_kind: str = attrs.field(validator=_text)
    aggregate_id: str | None = attrs.field(default=None, validator=_optional_text)
    rule: str = attrs.field(validator=_text)
    at: datetime | None = attrs.field(default=None, validator=_optional_aware)
