"""Consent: what a customer allowed, for which channel and purpose, and when.

Consent is kept as an append-only history of :class:`ConsentRecord` s. A
decision at a given time looks at every record that applies to the channel
and purpose asked about and takes the *least permissive* answer:

1. Two scopes apply to ``(channel, purpose)``: records for exactly that
   channel, and records for every channel (``channel=None``, such as a global
   unsubscribe). In each scope the latest record captured at or before the
   time counts; a record captured at the same instant as a grant but
   withdrawing it wins.
2. If any applicable scope's latest record withdraws consent, the answer is
   no. A grant whose ``expires_at`` has passed counts as no record.
3. Otherwise, if a scope holds a live grant, the answer is yes.
4. With no applicable record the default decides: service messages
   (``Purpose.SERVICE``, the messages needed to deliver what the customer
   bought) are allowed; marketing, profiling and third-party sharing are not.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime
from enum import StrEnum
from typing import TYPE_CHECKING, Final, Self, Unpack

import attrs

from crmcore._kernel._checks import (
    aware,
    clean_text,
    enum_converter,
    items_of,
    optional_aware,
    require_aware,
)
from crmcore._kernel._events import EventMeta
from crmcore._kernel._fields import Checked
from crmcore.customers._contact import Channel
from crmcore.errors import ValidationError


class Purpose(StrEnum):
    """Why the business wants to use a channel."""

    MARKETING = "marketing"
    SERVICE = "service"
    PROFILING = "profiling"
    THIRD_PARTY_SHARING = "third_party_sharing"


class ConsentStatus(StrEnum):
    """Whether a record grants or withdraws consent."""

    GRANTED = "granted"
    WITHDRAWN = "withdrawn"


class LegalBasis(StrEnum):
    """The lawful basis for processing (the six bases of GDPR Article 6)."""

    CONSENT = "consent"
    CONTRACT = "contract"
    LEGAL_OBLIGATION = "legal_obligation"
    VITAL_INTERESTS = "vital_interests"
    PUBLIC_TASK = "public_task"
    LEGITIMATE_INTERESTS = "legitimate_interests"


#: Purposes allowed when no record applies.
DEFAULT_ALLOWED = frozenset({Purpose.SERVICE})
#: The status that wins every tie, read once (a member: never changes).
_WITHDRAWN: Final = ConsentStatus.WITHDRAWN


def _optional_channel(value: object) -> Channel | None:
    if value is None:
        return None
    return enum_converter(Channel, "$.channel")(value)


def _legal_basis(value: object) -> LegalBasis:
    return enum_converter(LegalBasis, "$.legal_basis")(value)


def _expires_at(value: object) -> datetime | None:
    return optional_aware("$.expires_at")(value)


def _source(value: object) -> str:
    return clean_text(value, "$.source", max_length=200)


def _consentrecord_purpose(value: object) -> Purpose:
    return enum_converter(Purpose, "$.purpose")(value)


def _consentrecord_status(value: object) -> ConsentStatus:
    return enum_converter(ConsentStatus, "$.status")(value)


def _consentrecord_captured_at(value: object) -> datetime:
    return aware("$.captured_at")(value)


@attrs.frozen(slots=True)
class ConsentRecord:
    """One consent statement: granted or withdrawn, for a channel and a purpose.

    Attributes:
        channel: the channel, or ``None`` for every channel.
        purpose: what the channel may be used for.
        status: granted or withdrawn.
        captured_at: when the customer said so (timezone-aware).
        source: where it was captured, such as ``"web-signup-form"`` or ``"store:JKT-01"``.
        legal_basis: the lawful basis the business relies on.
        expires_at: when a grant lapses, if it does.
    """

    channel: Channel | None = attrs.field(converter=_optional_channel)
    purpose: Purpose = attrs.field(converter=_consentrecord_purpose)
    status: ConsentStatus = attrs.field(converter=_consentrecord_status)
    captured_at: datetime = attrs.field(converter=_consentrecord_captured_at)
    # Free text that may name a person or a place: kept, never shown in reprs.
    source: str = attrs.field(converter=_source, repr=False)
    legal_basis: LegalBasis = attrs.field(default=LegalBasis.CONSENT, converter=_legal_basis)
    expires_at: datetime | None = attrs.field(default=None, converter=_expires_at)

    def __attrs_post_init__(self) -> None:
        if self.expires_at is not None:
            if self.status is not ConsentStatus.GRANTED:
                raise ValidationError(
                    "only a grant can expire", path="$.expires_at", code="expiry_on_withdrawal"
                )
            if self.expires_at <= self.captured_at:
                raise ValidationError(
                    "must be after captured_at", path="$.expires_at", code="order"
                )

    def applies_to(self, channel: Channel | str, purpose: Purpose | str) -> bool:
        """True if this record speaks about ``channel`` and ``purpose`` (members or their values).

        Raises:
            ValidationError: ``channel`` or ``purpose`` is not one crmcore knows.
        """
        wanted_channel = enum_converter(Channel, "$.channel")(channel)
        wanted_purpose = enum_converter(Purpose, "$.purpose")(purpose)
        return self.purpose is wanted_purpose and (
            self.channel is None or self.channel is wanted_channel
        )

    def is_live_grant(self, at: datetime) -> bool:
        """True if this is a grant that has not expired at ``at``.

        Raises:
            ValidationError: ``at`` is not a timezone-aware datetime.
        """
        when = require_aware(at, "$.at")
        return self.status is ConsentStatus.GRANTED and (
            self.expires_at is None or when < self.expires_at
        )


@attrs.frozen(slots=True)
class ConsentDecision(Checked):
    """The answer to "may we contact this customer on this channel for this purpose?".

    Attributes:
        allowed: the answer.
        reason: ``"granted"``, ``"withdrawn"``, ``"expired"`` or ``"default"``.
        record: the record that decided, if one did.
    """

    allowed: bool
    reason: str
    record: ConsentRecord | None = None

    def __bool__(self) -> bool:
        return self.allowed


#: The latest record of each scope: (channel, purpose), or (None, purpose) for every channel.
LatestConsents = dict[tuple[Channel | None, Purpose], ConsentRecord]


def latest_consents(records: Iterable[ConsentRecord], when: datetime) -> LatestConsents:
    """The latest record captured at or before ``when`` in each scope, in one pass.

    A withdrawal wins a tie at the same instant (least permissive). ``records``
    must already be checked ConsentRecords and ``when`` aware.
    """
    latest: LatestConsents = {}
    for record in records:
        captured = record.captured_at
        if captured > when:
            continue
        key = (record.channel, record.purpose)
        best = latest.get(key)
        if (
            best is None
            or captured > best.captured_at
            or (captured == best.captured_at and record.status is _WITHDRAWN)
        ):
            latest[key] = record
    return latest


def verdict(
    latest: LatestConsents, channel: Channel, purpose: Purpose, when: datetime
) -> tuple[bool, str, ConsentRecord | None]:
    """The least-permissive rule on the latest records: (allowed, reason, deciding record).

    A withdrawal for the channel or for every channel says no; else a grant
    that has not expired says yes; else the purpose's default decides. The
    channel's own record is asked before the every-channel one at each step.
    """
    if latest:
        own = latest.get((channel, purpose))
        every = latest.get((None, purpose))
    else:  # no record at all (most customers, for most pairs): the default decides
        return purpose in DEFAULT_ALLOWED, "default", None
    if own is not None and own.status is _WITHDRAWN:
        return False, "withdrawn", own
    if every is not None and every.status is _WITHDRAWN:
        return False, "withdrawn", every
    if own is not None and (own.expires_at is None or when < own.expires_at):
        return True, "granted", own
    if every is not None and (every.expires_at is None or when < every.expires_at):
        return True, "granted", every
    first = own if own is not None else every
    default = purpose in DEFAULT_ALLOWED
    return (default, "expired", first) if first is not None else (default, "default", None)


#: Most consent records one decision reads.
MAX_DECISION_RECORDS: Final = 100_000


def decide_consent(
    records: Iterable[ConsentRecord],
    channel: Channel | str,
    purpose: Purpose | str,
    at: datetime,
) -> ConsentDecision:
    """Decide by the least-permissive rule described in this module's docstring.

    Raises:
        ValidationError: ``records`` is not a sequence of ConsentRecord (the
            path names the item), ``channel`` or ``purpose`` is unknown, or
            ``at`` is naive.
    """
    wanted_channel = enum_converter(Channel, "$.channel")(channel)
    wanted_purpose = enum_converter(Purpose, "$.purpose")(purpose)
    when = require_aware(at, "$.at")
    checked = items_of(
        records,
        ConsentRecord,
        "$.records",
        "a ConsentRecord",
        max_items=MAX_DECISION_RECORDS,
        noun="records",
    )
    allowed, reason, record = verdict(
        latest_consents(checked, when), wanted_channel, wanted_purpose, when
    )
    return ConsentDecision(allowed=allowed, reason=reason, record=record)


class ConsentHolder:
    """The consent questions and commands of a record that keeps a consent history.

    Customers and leads keep an append-only tuple of :class:`ConsentRecord` s
    in ``consents`` and append to it with their own ``record_consent``
    (which names their event); this mixin gives both the same questions
    (:meth:`consent_decision`, :meth:`may_contact`) and the same shorthand
    commands (:meth:`give_consent`, :meth:`withdraw_consent`).
    """

    __slots__ = ()

    if TYPE_CHECKING:
        consents: tuple[ConsentRecord, ...]

        def record_consent(self, record: ConsentRecord, **meta: Unpack[EventMeta]) -> Self: ...

    def consent_decision(
        self, channel: Channel | str, purpose: Purpose | str, *, at: datetime
    ) -> ConsentDecision:
        """May the record's party be contacted on ``channel`` for ``purpose`` at ``at``, and why.

        Decided by the least-permissive rule of :func:`decide_consent`, with
        the reason and the deciding record.

        Raises:
            ValidationError: an unknown channel or purpose, or a naive ``at``.
        """
        return decide_consent(self.consents, channel, purpose, at)

    def may_contact(self, channel: Channel | str, purpose: Purpose | str, *, at: datetime) -> bool:
        """True if the record's party may be contacted on ``channel`` for ``purpose`` at ``at``.

        Decided by the least-permissive rule: a withdrawal for this channel or
        for every channel wins over any grant; no record means no marketing,
        profiling or third-party sharing, while service messages are allowed.
        """
        return self.consent_decision(channel, purpose, at=at).allowed

    def give_consent(
        self,
        channel: Channel | str | None,
        purpose: Purpose | str,
        *,
        at: datetime,
        source: str,
        legal_basis: LegalBasis | str = LegalBasis.CONSENT,
        expires_at: datetime | None = None,
        **meta: Unpack[EventMeta],
    ) -> Self:
        """Record a grant of consent (``channel=None``: every channel) with ``record_consent``."""
        record = ConsentRecord(
            channel=channel,
            purpose=purpose,
            status=ConsentStatus.GRANTED,
            captured_at=at,
            source=source,
            legal_basis=legal_basis,
            expires_at=expires_at,
        )
        return self.record_consent(record, **meta)

    def withdraw_consent(
        self,
        channel: Channel | str | None,
        purpose: Purpose | str,
        *,
        at: datetime,
        source: str,
        **meta: Unpack[EventMeta],
    ) -> Self:
        """Record a withdrawal or refusal of consent (``channel=None``: every channel).

        Appended with ``record_consent``.
        """
        record = ConsentRecord(
            channel=channel,
            purpose=purpose,
            status=ConsentStatus.WITHDRAWN,
            captured_at=at,
            source=source,
        )
        return self.record_consent(record, **meta)
