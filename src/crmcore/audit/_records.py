"""What an access-guarded unit of work hands to the audit trail.

A :class:`RecordChange` is one record added, saved or removed in a committed
unit; a :class:`DeniedAttempt` is one command or read the access policy
refused. Both hold ids and codes; the records themselves (``before`` and
``after``) are the aggregates, whose values the audit trail compares.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

import attrs


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

    .. versionadded:: 0.1
    """

    aggregate_kind: str
    aggregate_id: str
    before: Any = None
    after: Any = None
    actor: str | None = None
    at: datetime | None = None

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

    .. versionadded:: 0.1
    """

    actor: str
    action: str
    aggregate_kind: str
    aggregate_id: str | None = None
    rule: str
    at: datetime | None = None
