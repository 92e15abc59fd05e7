"""What the engine returns: intents to carry out, skips with reasons, and the ledger.

An *intent* is one action of one rule for one cause (an event, or a time
condition's occasion), ready for the application to carry out: plan the
activity, send the message, add the tag. Each carries an idempotency
``key`` built from the rule's key, the cause and the action's index, so the
same cause never yields the same intent twice: the :class:`AutomationLedger`
remembers every key produced and the engine produces nothing for a key it
holds.

Intents carry ids, codes and template keys. A rendered message (which holds
personal data) travels on the intent but never shows in its repr.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import datetime
from enum import StrEnum
from typing import Any, Final, TypeAlias

import attrs

from crmcore._kernel._checks import require_aware, type_name
from crmcore._kernel._frozen import FrozenMap
from crmcore._kernel._ids import CustomerId, LoyaltyAccountId, StaffId
from crmcore._kernel._refs import RecordRef
from crmcore.activities import ActivityKind, ActivityPriority
from crmcore.customers import Channel, Purpose
from crmcore.errors import InvalidType, ValidationError
from crmcore.messaging import RenderedMessage

#: Most keys a ledger keeps; the oldest are dropped beyond it (see :class:`AutomationLedger`).
MAX_LEDGER_KEYS: Final = 1_000_000
#: The ledger document's schema version.
LEDGER_SCHEMA_VERSION: Final = 1


class SkipReason(StrEnum):
    """Why an action produced no intent.

    .. versionadded:: 0.1
    """

    #: The customer's consent does not allow the channel and purpose at that time.
    NO_CONSENT = "no_consent"
    #: The run's time falls within quiet hours (``not_before`` says when they end).
    QUIET_HOURS = "quiet_hours"
    #: The action needs a customer and the cause names none, or an unknown one.
    NO_CUSTOMER = "no_customer"
    #: The customer has no contact point on the message's channel.
    NO_CONTACT_POINT = "no_contact_point"
    #: Nobody owns the record or its customer, and the action needs an owner.
    NO_OWNER = "no_owner"
    #: The customer has no active loyalty account for a bonus.
    NO_LOYALTY_ACCOUNT = "no_loyalty_account"
    #: The catalog has no template for the key in the customer's language.
    UNKNOWN_TEMPLATE = "unknown_template"
    #: The template needs a value the records do not hold.
    MISSING_VALUE = "missing_value"
    #: The customer was merged into another one (a tombstone takes nothing).
    CUSTOMER_MERGED = "customer_merged"
    #: The rule's condition could not be evaluated on the event.
    CONDITION_ERROR = "condition_error"
    #: The run reached its limit; run again (with the new ledger) to continue.
    RUN_LIMIT = "run_limit"


def _at(value: object) -> datetime:
    return require_aware(value, "$.at")


def _due_at(value: object) -> datetime:
    return require_aware(value, "$.due_at")


def _record(_: object, __: attrs.Attribute[Any], value: object) -> None:
    if value is not None and type(value) is not RecordRef:
        raise InvalidType(f"must be a RecordRef or None, not {type_name(value)}", path="$.record")


def _customer(_: object, __: attrs.Attribute[Any], value: object) -> None:
    if value is not None and type(value) is not CustomerId:
        raise InvalidType(
            f"must be a CustomerId or None, not {type_name(value)}", path="$.customer_id"
        )


@attrs.frozen(slots=True, kw_only=True)
class Intent:
    """What every intent carries.

    Attributes:
        key: the idempotency key: ``"{rule_key}|{cause}|{action_index}"``.
        rule_key: the rule that asked for it.
        action_index: the action's position in the rule.
        customer_id: the customer concerned, if any.
        record: the record concerned (the event's aggregate, the time
            match's record), if any.
        cause: the event id, or the time match's key (record and occasion).
        at: the run's time.

    .. versionadded:: 0.1
    """

    key: str
    rule_key: str
    action_index: int
    customer_id: CustomerId | None = attrs.field(validator=_customer)
    record: RecordRef | None = attrs.field(validator=_record)
    cause: str
    at: datetime = attrs.field(converter=_at)


@attrs.frozen(slots=True, kw_only=True)
class ActivityIntent(Intent):
    """Plan an activity.

    Attributes:
        kind: task, call, meeting, email or deadline.
        subject_template: the template of the subject, if any.
        subject: the rendered subject, when a catalog was given (never in the repr).
        due_at: when the activity is due.
        priority: the activity's priority.
        owner_id: who it is assigned to (``None``: nobody could be found).

    .. versionadded:: 0.1
    """

    kind: ActivityKind
    subject_template: str | None
    subject: str | None = attrs.field(default=None, repr=False)
    due_at: datetime = attrs.field(converter=_due_at)
    priority: ActivityPriority
    owner_id: StaffId | None = None


@attrs.frozen(slots=True, kw_only=True)
class MessageIntent(Intent):
    """Send the customer a message; consent and quiet hours allowed it at ``at``.

    Attributes:
        template_key: the template to send.
        channel: the channel to send on.
        purpose: the purpose consent was asked for.
        language: the customer's language (or the default).
        message: the rendered message, when a catalog was given (never in the repr).

    .. versionadded:: 0.1
    """

    template_key: str
    channel: Channel
    purpose: Purpose
    language: str
    message: RenderedMessage | None = attrs.field(default=None, repr=False)


@attrs.frozen(slots=True, kw_only=True)
class AddTagIntent(Intent):
    """Add ``tag`` to the customer.

    .. versionadded:: 0.1
    """

    tag: str


@attrs.frozen(slots=True, kw_only=True)
class RemoveTagIntent(Intent):
    """Remove ``tag`` from the customer.

    .. versionadded:: 0.1
    """

    tag: str


@attrs.frozen(slots=True, kw_only=True)
class LifecycleTriggerIntent(Intent):
    """Fire ``trigger`` of the lifecycle ``definition`` on the customer.

    .. versionadded:: 0.1
    """

    definition: str
    trigger: str


@attrs.frozen(slots=True, kw_only=True)
class NotifyOwnerIntent(Intent):
    """Tell ``owner_id`` with a message template.

    Attributes:
        owner_id: the staff member to tell.
        template_key: the template to send.
        language: the language the template was chosen in.
        message: the rendered message, when a catalog was given (never in the repr).

    .. versionadded:: 0.1
    """

    owner_id: StaffId
    template_key: str
    language: str
    message: RenderedMessage | None = attrs.field(default=None, repr=False)


@attrs.frozen(slots=True, kw_only=True)
class LoyaltyBonusIntent(Intent):
    """Grant ``points`` on the customer's loyalty account for ``reason``.

    .. versionadded:: 0.1
    """

    account_id: LoyaltyAccountId
    points: int
    reason: str


#: Any intent the engine returns.
AnyIntent: TypeAlias = (
    ActivityIntent
    | MessageIntent
    | AddTagIntent
    | RemoveTagIntent
    | LifecycleTriggerIntent
    | NotifyOwnerIntent
    | LoyaltyBonusIntent
)


@attrs.frozen(slots=True, kw_only=True)
class Skipped:
    """An action that produced no intent, and why.

    Attributes:
        rule_key: the rule (``None`` for a run limit met between rules).
        action_index: the action's position in the rule (``None`` for the
            whole rule: a condition that could not be evaluated, a limit).
        customer_id: the customer concerned, if any.
        reason: why (a :class:`SkipReason`).
        not_before: for quiet hours, when they end: run again then.
        key: the idempotency key the intent would have had.
        cause: the event id or the time match's key.

    .. versionadded:: 0.1
    """

    rule_key: str | None
    action_index: int | None
    customer_id: CustomerId | None = attrs.field(validator=_customer)
    reason: SkipReason
    not_before: datetime | None = None
    key: str = ""
    cause: str = ""


# -- the ledger --------------------------------------------------------------------------


def _entries(value: object) -> FrozenMap[str, datetime]:
    if isinstance(value, FrozenMap):
        return value
    if not isinstance(value, Mapping):
        raise InvalidType(f"must be a mapping, not {type_name(value)}", path="$.entries")
    if len(value) > MAX_LEDGER_KEYS:
        raise ValidationError(
            f"must hold at most {MAX_LEDGER_KEYS} keys", path="$.entries", code="too_many"
        )
    for key, when in value.items():
        if not isinstance(key, str):
            raise InvalidType(f"must have str keys, not {type_name(key)}", path="$.entries")
        require_aware(when, "$.entries[*]")
    return FrozenMap(value)


@attrs.frozen(slots=True)
class AutomationLedger:
    """The idempotency keys already produced, with when each was produced.

    Immutable: :meth:`with_keys` returns a new ledger. It holds at most
    ``max_keys`` keys (at most :data:`MAX_LEDGER_KEYS`); adding beyond drops
    the oldest. Keep a ledger at least as long as causes can come back (an
    event handed out again, an occasion still matching), and :meth:`pruned`
    it of older keys.

    >>> from datetime import datetime, timezone
    >>> at = datetime(2026, 3, 1, tzinfo=timezone.utc)
    >>> ledger = AutomationLedger().with_keys(["welcome|customer:c-1#1|0"], at)
    >>> "welcome|customer:c-1#1|0" in ledger, len(ledger)
    (True, 1)
    >>> len(ledger.pruned(before=datetime(2026, 4, 1, tzinfo=timezone.utc)))
    0

    .. versionadded:: 0.1
    """

    entries: FrozenMap[str, datetime] = attrs.field(factory=FrozenMap, converter=_entries)
    max_keys: int = attrs.field(default=100_000, kw_only=True)

    def __attrs_post_init__(self) -> None:
        if isinstance(self.max_keys, bool) or not isinstance(self.max_keys, int):
            raise InvalidType(f"must be an int, not {type_name(self.max_keys)}", path="$.max_keys")
        if not 1 <= self.max_keys <= MAX_LEDGER_KEYS:
            raise ValidationError(
                f"must be from 1 to {MAX_LEDGER_KEYS}", path="$.max_keys", code="range"
            )

    def __contains__(self, key: object) -> bool:
        return key in self.entries

    def __len__(self) -> int:
        return len(self.entries)

    def with_keys(self, keys: Iterable[str], at: datetime) -> AutomationLedger:
        """A ledger that also holds ``keys``, produced at ``at`` (the oldest dropped beyond the limit)."""
        when = require_aware(at, "$.at")
        data = dict(self.entries)
        for key in keys:
            if not isinstance(key, str):
                raise InvalidType(f"must be str keys, not {type_name(key)}", path="$.keys")
            data.setdefault(key, when)
        if len(data) > self.max_keys:
            newest = sorted(data.items(), key=lambda item: (item[1], item[0]))[-self.max_keys :]
            data = dict(newest)
        return AutomationLedger(FrozenMap(data), max_keys=self.max_keys)

    def pruned(self, *, before: datetime) -> AutomationLedger:
        """A ledger without the keys produced before ``before``."""
        limit = require_aware(before, "$.before")
        kept = {key: when for key, when in self.entries.items() if when >= limit}
        return AutomationLedger(FrozenMap(kept), max_keys=self.max_keys)

    def to_dict(self) -> dict[str, Any]:
        """The JSON-ready document of the ledger.

        >>> AutomationLedger().to_dict()
        {'schema_version': 1, 'max_keys': 100000, 'entries': {}}
        """
        return {
            "schema_version": LEDGER_SCHEMA_VERSION,
            "max_keys": self.max_keys,
            "entries": {key: when.isoformat() for key, when in self.entries.items()},
        }

    @classmethod
    def from_dict(cls, data: object) -> AutomationLedger:
        """Rebuild a ledger from :meth:`to_dict` 's document.

        Raises:
            ValidationError: a malformed document, naming the path.
        """
        from crmcore.automation._documents import ledger_from_dict  # noqa: PLC0415 - cycle

        return ledger_from_dict(data)

    def __repr__(self) -> str:
        return f"AutomationLedger(keys={len(self.entries)}, max_keys={self.max_keys})"


@attrs.frozen(slots=True, kw_only=True)
class AutomationResult:
    """What one run produced.

    Attributes:
        intents: the intents to carry out, in the order produced.
        skipped: the actions that produced none, with reasons.
        ledger: the ledger given, with the new intents' keys added: keep it
            for the next run.
        complete: False when the run stopped at a limit (``run_limit``);
            run again with :attr:`ledger` to continue.
        processed: how many events the run went through in full (pass the
            events after them to the next run), or how many time matches
            it acted on.

    .. versionadded:: 0.1
    """

    intents: tuple[AnyIntent, ...]
    skipped: tuple[Skipped, ...]
    ledger: AutomationLedger
    complete: bool = True
    processed: int = 0
