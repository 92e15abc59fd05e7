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

import heapq
import itertools
from collections.abc import Iterable, Iterator, Mapping
from datetime import datetime, timedelta
from enum import StrEnum
from typing import Any, Final, TypeAlias

import attrs

from crmcore._kernel._aggregate import optional_typed_id, typed_id
from crmcore._kernel._checks import (
    check_name,
    clean_text,
    enum_converter,
    require_aware,
    type_name,
)
from crmcore._kernel._ids import ActivityId, CustomerId, LoyaltyAccountId, StaffId
from crmcore._kernel._refs import RecordRef
from crmcore._kernel._zones import offset_name
from crmcore.activities import MAX_SUBJECT, ActivityKind, ActivityPriority
from crmcore.automation._conditions import check_record
from crmcore.automation._rules import (
    MAX_ACTIONS,
    _activity_kind,
    _channel,
    _definition,
    _optional_template,
    _points,
    _priority,
    _purpose,
    _reason,
    _tag,
    _template,
    _trigger_name,
)
from crmcore.customers import Channel, Purpose
from crmcore.errors import InvalidType, ValidationError
from crmcore.messaging import RenderedMessage, normalize_language

#: Most keys a ledger keeps; the oldest are dropped beyond it (see :class:`AutomationLedger`).
MAX_LEDGER_KEYS: Final = 1_000_000
#: Longest idempotency key or cause, in characters.
MAX_KEY_TEXT: Final = 1_000
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
    #: The customer restricted the processing of their data (a message is processing).
    PROCESSING_RESTRICTED = "processing_restricted"
    #: The customer objected to direct marketing (a marketing message).
    OBJECTED_TO_DIRECT_MARKETING = "objected_to_direct_marketing"
    #: The customer objected to profiling, which their decision applies to automation.
    OBJECTED_TO_PROFILING = "objected_to_profiling"
    #: The customer was erased: nothing is processed for them any more.
    ERASED = "erased"


def _at(value: object) -> datetime:
    return require_aware(value, "$.at")


def _due_at(value: object) -> datetime:
    return require_aware(value, "$.due_at")


def _customer(_: object, __: attrs.Attribute[Any], value: object) -> None:
    if value is not None and type(value) is not CustomerId:
        raise InvalidType(
            f"must be a CustomerId or None, not {type_name(value)}", path="$.customer_id"
        )


def _key(value: object) -> str:
    """An idempotency key: one line of ids and codes."""
    return clean_text(value, "$.key", max_length=MAX_KEY_TEXT, what="a key")


def _skip_key(value: object) -> str:
    """A skip's key: empty for a skip of no one action (a run limit met between rules)."""
    return "" if value == "" else _key(value)


def _skip_cause(value: object) -> str:
    return "" if value == "" else _cause(value)


def _cause(value: object) -> str:
    """A cause: an event id or a time match's key (one line of ids and codes)."""
    return clean_text(value, "$.cause", max_length=MAX_KEY_TEXT, what="a cause")


def _index(path: str) -> Any:
    """A validator of an action's position in its rule (``None`` allowed when ``optional``)."""

    def check(_: object, __: attrs.Attribute[Any], value: object) -> None:
        if value is None and path.endswith("?"):
            return
        if isinstance(value, bool) or not isinstance(value, int):
            raise InvalidType(f"must be an int, not {type_name(value)}", path=path.rstrip("?"))
        if not 0 <= value < MAX_ACTIONS:
            raise ValidationError(
                f"must be from 0 to {MAX_ACTIONS - 1}", path=path.rstrip("?"), code="range"
            )

    return check


def _rule_key(value: object) -> str:
    return check_name(value, "$.rule_key")


def _optional_rule_key(value: object) -> str | None:
    return None if value is None else check_name(value, "$.rule_key")


def _skip_reason(value: object) -> SkipReason:
    return enum_converter(SkipReason, "$.reason")(value)


def _language(value: object) -> str:
    return normalize_language(value, "$.language")


def _subject(value: object) -> str | None:
    if value is None:
        return None
    return clean_text(value, "$.subject", max_length=MAX_SUBJECT, what="a subject")


def _message(_: object, __: attrs.Attribute[Any], value: object) -> None:
    if value is not None and type(value) is not RenderedMessage:
        raise InvalidType(
            f"must be a RenderedMessage or None, not {type_name(value)}", path="$.message"
        )


def _not_before(value: object) -> datetime | None:
    return None if value is None else require_aware(value, "$.not_before")


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
        activity_id: the activity concerned, if any: the overdue activity of a
            ``task_overdue`` match, or the activity an event is about (its
            ``record`` is the record the activity is linked to).

    .. versionadded:: 0.1
    """

    key: str = attrs.field(converter=_key)
    rule_key: str = attrs.field(converter=_rule_key)
    action_index: int = attrs.field(validator=_index("$.action_index"))
    customer_id: CustomerId | None = attrs.field(validator=_customer)
    record: RecordRef | None = attrs.field(validator=check_record)
    cause: str = attrs.field(converter=_cause)
    at: datetime = attrs.field(converter=_at)
    activity_id: ActivityId | None = attrs.field(
        default=None, validator=optional_typed_id(ActivityId, "$.activity_id")
    )


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

    kind: ActivityKind = attrs.field(converter=_activity_kind)
    subject_template: str | None = attrs.field(converter=_optional_template)
    subject: str | None = attrs.field(default=None, repr=False, converter=_subject)
    due_at: datetime = attrs.field(converter=_due_at)
    priority: ActivityPriority = attrs.field(converter=_priority)
    owner_id: StaffId | None = attrs.field(
        default=None, validator=optional_typed_id(StaffId, "$.owner_id")
    )

    @property
    def time_zone(self) -> str:
        """The name of the zone ``due_at`` is in (the run's ``at``'s), for ``Activity.plan``.

        An IANA name for a ``ZoneInfo``, else a fixed offset such as
        ``"+07:00"`` (for a zone without a name, the offset in force at
        ``due_at``).

        >>> from datetime import datetime
        >>> from zoneinfo import ZoneInfo
        >>> due = datetime(2026, 3, 4, 9, 0, tzinfo=ZoneInfo("Asia/Jakarta"))
        >>> ActivityIntent(
        ...     key="r|e-1|0",
        ...     rule_key="r",
        ...     action_index=0,
        ...     customer_id=None,
        ...     record=None,
        ...     cause="e-1",
        ...     at=due,
        ...     kind="task",
        ...     subject_template=None,
        ...     due_at=due,
        ...     priority="normal",
        ... ).time_zone
        'Asia/Jakarta'
        """
        key = getattr(self.due_at.tzinfo, "key", None)
        if isinstance(key, str) and key:
            return key
        offset = self.due_at.utcoffset()
        assert offset is not None  # noqa: S101 - due_at is aware
        return offset_name(offset - offset % timedelta(minutes=1))


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

    template_key: str = attrs.field(converter=_template)
    channel: Channel = attrs.field(converter=_channel)
    purpose: Purpose = attrs.field(converter=_purpose)
    language: str = attrs.field(converter=_language)
    message: RenderedMessage | None = attrs.field(default=None, repr=False, validator=_message)


@attrs.frozen(slots=True, kw_only=True)
class AddTagIntent(Intent):
    """Add ``tag`` to the customer.

    .. versionadded:: 0.1
    """

    tag: str = attrs.field(converter=_tag)


@attrs.frozen(slots=True, kw_only=True)
class RemoveTagIntent(Intent):
    """Remove ``tag`` from the customer.

    .. versionadded:: 0.1
    """

    tag: str = attrs.field(converter=_tag)


@attrs.frozen(slots=True, kw_only=True)
class LifecycleTriggerIntent(Intent):
    """Fire ``trigger`` of the lifecycle ``definition`` on the customer.

    .. versionadded:: 0.1
    """

    definition: str = attrs.field(converter=_definition)
    trigger: str = attrs.field(converter=_trigger_name)


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

    owner_id: StaffId = attrs.field(validator=typed_id(StaffId, "$.owner_id"))
    template_key: str = attrs.field(converter=_template)
    language: str = attrs.field(converter=_language)
    message: RenderedMessage | None = attrs.field(default=None, repr=False, validator=_message)


@attrs.frozen(slots=True, kw_only=True)
class LoyaltyBonusIntent(Intent):
    """Grant ``points`` on the customer's loyalty account for ``reason``.

    .. versionadded:: 0.1
    """

    account_id: LoyaltyAccountId = attrs.field(validator=typed_id(LoyaltyAccountId, "$.account_id"))
    points: int = attrs.field(converter=_points)
    reason: str = attrs.field(converter=_reason)


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

    rule_key: str | None = attrs.field(converter=_optional_rule_key)
    action_index: int | None = attrs.field(validator=_index("$.action_index?"))
    customer_id: CustomerId | None = attrs.field(validator=_customer)
    reason: SkipReason = attrs.field(converter=_skip_reason)
    not_before: datetime | None = attrs.field(default=None, converter=_not_before)
    key: str = attrs.field(default="", converter=_skip_key)
    cause: str = attrs.field(default="", converter=_skip_cause)


# -- the ledger --------------------------------------------------------------------------


class _Entries(Mapping[str, datetime]):
    """A ledger's keys and when each was produced: read-only, iterated in key order.

    The keys sit in a few dicts ("layers", no key in two of them) that are
    never changed once built. Adding keys adds a layer and merges the newest
    layers while the older one is no larger, so layer sizes fall by at least
    half from the oldest to the newest: a ledger of n keys has at most about
    log2(n) layers, a look-up costs that many dict probes, and a key is copied
    O(log n) times over the ledger's life instead of on every run.
    """

    __slots__ = ("_hash", "_layers", "_size")

    def __init__(self, layers: tuple[dict[str, datetime], ...] = ()) -> None:
        self._layers = tuple(layer for layer in layers if layer)
        self._size = sum(len(layer) for layer in self._layers)
        self._hash: int | None = None

    def __getitem__(self, key: str) -> datetime:
        for layer in self._layers:
            if key in layer:
                return layer[key]
        raise KeyError(key)

    def __contains__(self, key: object) -> bool:
        return any(key in layer for layer in self._layers)

    def __iter__(self) -> Iterator[str]:
        return iter(sorted(itertools.chain.from_iterable(self._layers)))

    def __len__(self) -> int:
        return self._size

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, Mapping):
            return NotImplemented
        return len(self) == len(other) and dict(self.items()) == dict(other.items())

    def __hash__(self) -> int:
        if self._hash is None:
            self._hash = hash(frozenset(self.items()))
        return self._hash

    def __repr__(self) -> str:
        return f"<ledger entries: {self._size} keys>"

    def added(self, new: dict[str, datetime]) -> _Entries:
        """These entries and ``new`` (keys not held yet), with the newest layers merged."""
        layers = [*self._layers, new]
        while len(layers) > 1 and len(layers[-2]) <= 2 * len(layers[-1]):
            newest = layers.pop()
            layers[-1] = {**layers[-1], **newest}
        return _Entries(tuple(layers))

    def merged(self) -> dict[str, datetime]:
        """Every entry in one new dict."""
        out: dict[str, datetime] = {}
        for layer in self._layers:
            out.update(layer)
        return out


def _entries(value: object) -> _Entries:
    if isinstance(value, _Entries):
        return value
    if not isinstance(value, Mapping):
        raise InvalidType(f"must be a mapping, not {type_name(value)}", path="$.entries")
    if len(value) > MAX_LEDGER_KEYS:
        raise ValidationError(
            f"must hold at most {MAX_LEDGER_KEYS} keys", path="$.entries", code="too_many"
        )
    data: dict[str, datetime] = {}
    for key, when in value.items():
        if not isinstance(key, str):
            raise InvalidType(f"must have str keys, not {type_name(key)}", path="$.entries")
        data[key] = require_aware(when, "$.entries[*]")
    return _Entries((data,))


@attrs.frozen(slots=True)
class AutomationLedger:
    """The idempotency keys already produced, with when each was produced.

    Immutable: :meth:`with_keys` returns a new ledger and leaves this one as
    it is. It holds at most ``max_keys`` keys (at most
    :data:`MAX_LEDGER_KEYS`); adding beyond drops the oldest (by the time
    they were produced, then by key). Keep a ledger at least as long as
    causes can come back (an event handed out again, an occasion still
    matching), and :meth:`pruned` it of older keys.

    Adding keys costs time in proportion to the keys added (times the
    logarithm of the ledger's size), not to the ledger's size, so a ledger
    carried over thousands of runs stays cheap; membership costs a few dict
    look-ups. ``entries`` is a read-only mapping, iterated in key order.

    >>> from datetime import datetime, timezone
    >>> at = datetime(2026, 3, 1, tzinfo=timezone.utc)
    >>> ledger = AutomationLedger().with_keys(["welcome|customer:c-1#1|0"], at)
    >>> "welcome|customer:c-1#1|0" in ledger, len(ledger)
    (True, 1)
    >>> len(ledger.pruned(before=datetime(2026, 4, 1, tzinfo=timezone.utc)))
    0

    Raises:
        ValidationError: ``max_keys`` out of 1 to :data:`MAX_LEDGER_KEYS`
            (``$.max_keys``), or ``entries`` holding more keys than
            ``max_keys`` (``$.entries``, code ``too_many``).
        InvalidType: entries that are not a mapping of str keys to aware
            datetimes.

    .. versionadded:: 0.1
    """

    entries: Mapping[str, datetime] = attrs.field(factory=_Entries, converter=_entries)
    max_keys: int = attrs.field(default=100_000, kw_only=True)

    def __attrs_post_init__(self) -> None:
        if isinstance(self.max_keys, bool) or not isinstance(self.max_keys, int):
            raise InvalidType(f"must be an int, not {type_name(self.max_keys)}", path="$.max_keys")
        if not 1 <= self.max_keys <= MAX_LEDGER_KEYS:
            raise ValidationError(
                f"must be from 1 to {MAX_LEDGER_KEYS}", path="$.max_keys", code="range"
            )
        if len(self.entries) > self.max_keys:
            raise ValidationError(
                f"must hold at most max_keys ({self.max_keys}) keys",
                path="$.entries",
                code="too_many",
            )

    def __contains__(self, key: object) -> bool:
        return key in self.entries

    def __len__(self) -> int:
        return len(self.entries)

    def with_keys(self, keys: Iterable[str], at: datetime) -> AutomationLedger:
        """A ledger that also holds ``keys``, produced at ``at`` (the oldest dropped beyond the limit).

        A key the ledger holds already keeps the time it was first produced.
        """
        when = require_aware(at, "$.at")
        if isinstance(keys, (str, bytes)) or not isinstance(keys, Iterable):
            raise InvalidType(
                f"must be an iterable of str keys, not {type_name(keys)}", path="$.keys"
            )
        held = self.entries
        assert isinstance(held, _Entries)  # noqa: S101 - the converter makes every entries one
        new: dict[str, datetime] = {}
        for count, key in enumerate(keys):
            if count >= MAX_LEDGER_KEYS:
                raise ValidationError(
                    f"must hold at most {MAX_LEDGER_KEYS} keys", path="$.keys", code="too_many"
                )
            if not isinstance(key, str):
                raise InvalidType(f"must be str keys, not {type_name(key)}", path="$.keys")
            if key not in held:
                new.setdefault(key, when)
        if not new:
            return self
        grown = held.added(new)
        excess = len(grown) - self.max_keys
        if excess > 0:
            data = grown.merged()
            oldest = heapq.nsmallest(excess, data.items(), key=lambda item: (item[1], item[0]))
            for key, _ in oldest:
                del data[key]
            grown = _Entries((data,))
        return AutomationLedger(grown, max_keys=self.max_keys)

    def pruned(self, *, before: datetime) -> AutomationLedger:
        """A ledger without the keys produced before ``before``."""
        limit = require_aware(before, "$.before")
        kept = {key: when for key, when in self.entries.items() if when >= limit}
        return AutomationLedger(_Entries((kept,)), max_keys=self.max_keys)

    def to_dict(self) -> dict[str, Any]:
        """The JSON-ready document of the ledger (keys in order).

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

    @property
    def retry_causes(self) -> frozenset[str]:
        """The causes of actions held back for a later run: quiet hours, or the run's limit.

        For :func:`~crmcore.automation.run_on_events` these are event ids:
        keep those events (do not acknowledge them) and hand them to the
        next run, after ``not_before`` for quiet hours; the ledger keeps the
        intents already produced for them from coming again. A time match
        comes back by itself while its occasion lasts.

        >>> from datetime import datetime, timezone
        >>> held = Skipped(
        ...     rule_key="welcome",
        ...     action_index=0,
        ...     customer_id=None,
        ...     reason="quiet_hours",
        ...     not_before=datetime(2026, 3, 2, 1, 0, tzinfo=timezone.utc),
        ...     cause="e-1",
        ... )
        >>> refused = Skipped(
        ...     rule_key="welcome",
        ...     action_index=0,
        ...     customer_id=None,
        ...     reason="no_consent",
        ...     cause="e-2",
        ... )
        >>> result = AutomationResult(
        ...     intents=(), skipped=(held, refused), ledger=AutomationLedger()
        ... )
        >>> sorted(result.retry_causes)
        ['e-1']
        """
        return frozenset(
            skip.cause
            for skip in self.skipped
            if skip.cause and skip.reason in (SkipReason.QUIET_HOURS, SkipReason.RUN_LIMIT)
        )
