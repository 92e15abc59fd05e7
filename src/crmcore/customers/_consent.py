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

A record may also speak for one contact point of its channel (``address``:
one email address, one phone number). Such a record never counts for the
channel as a whole: a grant for the home email does not cover the work email.
A decision for an address applies the least permissive of the channel's
decision and the address's own (see :func:`decide_consent`).
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from datetime import datetime
from enum import StrEnum
from typing import TYPE_CHECKING, Final, Self, Unpack

import attrs

from crmcore._kernel._checks import (
    aware,
    clean_text,
    enum_converter,
    is_bool,
    items_of,
    optional_aware,
    require_aware,
)
from crmcore._kernel._events import EventMeta
from crmcore._kernel._fields import Checked
from crmcore._kernel._personal import ERASED
from crmcore.customers._contact import PHONE_CHANNELS, Channel, normalize_value
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


#: The channels whose contact points are addresses a consent record may name.
ADDRESS_CHANNELS: Final = frozenset(
    {Channel.EMAIL, Channel.POSTAL, Channel.SOCIAL, *PHONE_CHANNELS}
)

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


def _names_address(record: ConsentRecord) -> bool:
    return record.address is not None


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
        address: the one contact point (address or number, normalized for
            the channel) the record speaks for, or ``None`` for the whole
            channel. Only channels with addresses (email, phone, SMS,
            WhatsApp, social, postal) take one. Never shown in reprs.
        for_address: True if the record speaks for one contact point; it
            stays True once the address is removed by an erasure
            (:func:`consents_without_identity`), so the proof never turns
            into a channel-wide statement.
    """

    channel: Channel | None = attrs.field(converter=_optional_channel)
    purpose: Purpose = attrs.field(converter=_consentrecord_purpose)
    status: ConsentStatus = attrs.field(converter=_consentrecord_status)
    captured_at: datetime = attrs.field(converter=_consentrecord_captured_at)
    # Free text that may name a person or a place: kept, never shown in reprs.
    source: str = attrs.field(converter=_source, repr=False)
    legal_basis: LegalBasis = attrs.field(default=LegalBasis.CONSENT, converter=_legal_basis)
    expires_at: datetime | None = attrs.field(default=None, converter=_expires_at)
    address: str | None = attrs.field(default=None, repr=False)
    for_address: bool = attrs.field(
        default=attrs.Factory(_names_address, takes_self=True), validator=is_bool
    )

    def __attrs_post_init__(self) -> None:
        if self.address is not None:
            if self.channel is None:
                raise ValidationError(
                    "an address needs its channel", path="$.channel", code="address_without_channel"
                )
            if self.channel not in ADDRESS_CHANNELS:
                raise ValidationError(
                    "must be a channel whose contact points are addresses "
                    "(email, phone, sms, whatsapp, social, postal)",
                    path="$.channel",
                    code="no_address_channel",
                )
            object.__setattr__(
                self, "address", normalize_value(self.channel, self.address, "$.address")
            )
            if not self.for_address:
                raise ValidationError(
                    "must be true when the record names an address",
                    path="$.for_address",
                    code="for_address",
                )
        elif self.for_address and self.channel is None:
            raise ValidationError(
                "an address needs its channel", path="$.channel", code="address_without_channel"
            )
        if self.expires_at is not None:
            if self.status is not ConsentStatus.GRANTED:
                raise ValidationError(
                    "only a grant can expire", path="$.expires_at", code="expiry_on_withdrawal"
                )
            if self.expires_at <= self.captured_at:
                raise ValidationError(
                    "must be after captured_at", path="$.expires_at", code="order"
                )

    def applies_to(
        self, channel: Channel | str, purpose: Purpose | str, *, address: str | None = None
    ) -> bool:
        """True if this record speaks about ``channel`` and ``purpose`` (members or their values).

        A record for one address applies only when that ``address`` is asked about.

        Raises:
            ValidationError: ``channel`` or ``purpose`` is not one crmcore knows,
                or ``address`` is not valid for the channel.
        """
        wanted_channel = enum_converter(Channel, "$.channel")(channel)
        wanted_purpose = enum_converter(Purpose, "$.purpose")(purpose)
        if self.purpose is not wanted_purpose:
            return False
        if self.for_address:
            return (
                address is not None
                and self.channel is wanted_channel
                and self.address == address_argument(wanted_channel, address)
            )
        return self.channel is None or self.channel is wanted_channel

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
    """The latest channel-wide record captured at or before ``when`` in each scope, in one pass.

    Records for one address (``for_address``) belong to no channel-wide scope
    and are left out: see :func:`address_verdict`.

    A withdrawal wins a tie at the same instant (least permissive). ``records``
    must already be checked ConsentRecords and ``when`` aware.
    """
    latest: LatestConsents = {}
    for record in records:
        captured = record.captured_at
        if captured > when or record.for_address:
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


def latest_for_address(
    records: Iterable[ConsentRecord],
    channel: Channel,
    purpose: Purpose,
    address: str,
    when: datetime,
) -> ConsentRecord | None:
    """The latest record for ``address`` (normalized) captured at or before ``when``.

    A withdrawal wins a tie at the same instant, as in :func:`latest_consents`.
    """
    best: ConsentRecord | None = None
    for record in records:
        if (
            record.address != address
            or record.channel is not channel
            or record.purpose is not purpose
            or record.captured_at > when
        ):
            continue
        if (
            best is None
            or record.captured_at > best.captured_at
            or (record.captured_at == best.captured_at and record.status is _WITHDRAWN)
        ):
            best = record
    return best


def address_verdict(
    channel_verdict: tuple[bool, str, ConsentRecord | None],
    own: ConsentRecord | None,
    purpose: Purpose,
    when: datetime,
) -> tuple[bool, str, ConsentRecord | None]:
    """The least permissive of the channel's verdict and the address's latest record ``own``.

    A withdrawal on either level says no (the channel's first); else the
    address's live grant says yes; else the channel's verdict stands (an
    address with no record, or an expired grant, has only the channel's
    consent, so a grant for one address never covers another).
    """
    if own is None or channel_verdict[1] == "withdrawn":
        return channel_verdict
    if own.status is _WITHDRAWN:
        return False, "withdrawn", own
    if own.expires_at is None or when < own.expires_at:
        return True, "granted", own
    if channel_verdict[1] == "granted":
        return channel_verdict
    return purpose in DEFAULT_ALLOWED, "expired", own


def address_argument(channel: Channel, address: object) -> str:
    """``address`` normalized for ``channel``, which must be a channel with addresses.

    Raises:
        ValidationError: the channel has no addresses (``$.channel``, code
            ``no_address_channel``) or the address is not valid for it (``$.address``).
    """
    if channel not in ADDRESS_CHANNELS:
        raise ValidationError(
            "must be a channel whose contact points are addresses "
            "(email, phone, sms, whatsapp, social, postal)",
            path="$.channel",
            code="no_address_channel",
        )
    return normalize_value(channel, address, "$.address")


def consents_without_identity(records: Iterable[ConsentRecord]) -> tuple[ConsentRecord, ...]:
    """The records with their address removed: the proof of consent without the identity.

    What stays is what a regulator asks for: channel, purpose, status, the
    times, the legal basis and the source when it is a code (``web-form``,
    ``pos:store-12``); a source written as free text (it may name a person)
    becomes ``"[erased]"``. A record that named an address keeps
    ``for_address=True``, so it still never counts for the whole channel.

    >>> from datetime import datetime, timezone
    >>> at = datetime(2026, 1, 5, tzinfo=timezone.utc)
    >>> record = ConsentRecord(
    ...     "email", "marketing", "granted", at, "web-form", address="ana@example.com"
    ... )
    >>> (kept,) = consents_without_identity([record])
    >>> kept.address, kept.for_address, kept.status
    (None, True, <ConsentStatus.GRANTED: 'granted'>)

    Raises:
        ValidationError: an item is not a ConsentRecord, or there are more
            than 100,000.
    """
    checked = _decision_records(records)
    return tuple(_without_identity(record) for record in checked)


#: A consent source that is a code (kept on erasure), not free text: lower-case words joined
#: by ``_.:/-`` (``web-form``), or any letters with a digit or a separator (``store:JKT-01``).
_SOURCE_CODE: Final = re.compile(
    r"[a-z0-9][a-z0-9_.:/-]*|(?=[^ ]*[0-9_.:/-])[A-Za-z0-9][A-Za-z0-9_.:/-]*"
)


def _without_identity(record: ConsentRecord) -> ConsentRecord:
    coded = _SOURCE_CODE.fullmatch(record.source) is not None or record.source == ERASED
    if record.address is None and coded:
        return record
    return attrs.evolve(record, address=None, source=record.source if coded else ERASED)


#: Most consent records one decision reads.
MAX_DECISION_RECORDS: Final = 100_000


def _decision_records(records: object) -> tuple[ConsentRecord, ...]:
    """The consent records a decision reads (``$.records``): each a ConsentRecord, bounded."""
    return items_of(
        records,
        ConsentRecord,
        "$.records",
        "a ConsentRecord",
        max_items=MAX_DECISION_RECORDS,
        noun="records",
    )


def decide_consent(
    records: Iterable[ConsentRecord],
    channel: Channel | str,
    purpose: Purpose | str,
    at: datetime,
    *,
    address: str | None = None,
) -> ConsentDecision:
    """Decide by the least-permissive rule described in this module's docstring.

    With ``address`` (one contact point of ``channel``) the decision is the
    least permissive of the channel's and the address's own: a withdrawal on
    either level says no, a live grant for the address says yes, and an
    address with no record of its own has only the channel's consent.

    Raises:
        ValidationError: ``records`` is not a sequence of ConsentRecord (the
            path names the item), ``channel`` or ``purpose`` is unknown,
            ``at`` is naive, or ``address`` is not valid for ``channel``.
    """
    wanted_channel = enum_converter(Channel, "$.channel")(channel)
    wanted_purpose = enum_converter(Purpose, "$.purpose")(purpose)
    when = require_aware(at, "$.at")
    wanted_address = None if address is None else address_argument(wanted_channel, address)
    checked = _decision_records(records)
    decided = verdict(latest_consents(checked, when), wanted_channel, wanted_purpose, when)
    if wanted_address is not None:
        own = latest_for_address(checked, wanted_channel, wanted_purpose, wanted_address, when)
        decided = address_verdict(decided, own, wanted_purpose, when)
    allowed, reason, record = decided
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

    @property
    def consent_addresses(self) -> tuple[str, ...]:
        """The addresses the consent history names, in order (a personal field)."""
        return tuple(r.address for r in self.consents if r.address is not None)

    def consent_decision(
        self,
        channel: Channel | str,
        purpose: Purpose | str,
        *,
        at: datetime,
        address: str | None = None,
    ) -> ConsentDecision:
        """May the record's party be contacted on ``channel`` for ``purpose`` at ``at``, and why.

        Decided by the least-permissive rule of :func:`decide_consent`, with
        the reason and the deciding record. With ``address`` (one contact
        point of the channel) the address's own records count too.

        Raises:
            ValidationError: an unknown channel or purpose, a naive ``at``,
                or an address not valid for the channel.
        """
        return decide_consent(self.consents, channel, purpose, at, address=address)

    def may_contact(
        self,
        channel: Channel | str,
        purpose: Purpose | str,
        *,
        at: datetime,
        address: str | None = None,
    ) -> bool:
        """True if the record's party may be contacted on ``channel`` for ``purpose`` at ``at``.

        Decided by the least-permissive rule: a withdrawal for this channel or
        for every channel wins over any grant; no record means no marketing,
        profiling or third-party sharing, while service messages are allowed.
        With ``address``, a withdrawal for that address wins too, and a grant
        for it allows it (a grant for another address does not).
        """
        return self.consent_decision(channel, purpose, at=at, address=address).allowed

    def give_consent(
        self,
        channel: Channel | str | None,
        purpose: Purpose | str,
        *,
        at: datetime,
        source: str,
        legal_basis: LegalBasis | str = LegalBasis.CONSENT,
        expires_at: datetime | None = None,
        address: str | None = None,
        **meta: Unpack[EventMeta],
    ) -> Self:
        """Record a grant of consent (``channel=None``: every channel) with ``record_consent``.

        ``address`` limits the grant to one contact point of the channel.
        """
        record = ConsentRecord(
            channel=channel,
            purpose=purpose,
            status=ConsentStatus.GRANTED,
            captured_at=at,
            source=source,
            legal_basis=legal_basis,
            expires_at=expires_at,
            address=address,
        )
        return self.record_consent(record, **meta)

    def withdraw_consent(
        self,
        channel: Channel | str | None,
        purpose: Purpose | str,
        *,
        at: datetime,
        source: str,
        address: str | None = None,
        **meta: Unpack[EventMeta],
    ) -> Self:
        """Record a withdrawal or refusal of consent (``channel=None``: every channel).

        ``address`` limits it to one contact point of the channel. Appended
        with ``record_consent``.
        """
        record = ConsentRecord(
            channel=channel,
            purpose=purpose,
            status=ConsentStatus.WITHDRAWN,
            captured_at=at,
            source=source,
            address=address,
        )
        return self.record_consent(record, **meta)
