"""Campaign members (customers or leads in a campaign) and the marketing touches they leave.

A :class:`CampaignMember` is one customer *or* one lead in one campaign. Its
status follows the funnel of a marketing message (``MEMBER_STATUSES``); any
step may be skipped forward, since tracking misses some (a reply proves the
message arrived even without a delivery receipt; an ad or an event is
answered without anything being sent)::

    targeted   -> sent, responded, converted, unsubscribed
    sent       -> delivered, opened, clicked, responded, converted, unsubscribed
    delivered  -> opened, clicked, responded, converted, unsubscribed
    opened     -> clicked, responded, converted, unsubscribed
    clicked    -> responded, converted, unsubscribed
    responded  -> converted, unsubscribed

``converted`` and ``unsubscribed`` are final. A conversion is a response too:
:attr:`CampaignMember.first_responded_at` is the time of the first
``responded`` or ``converted`` entry. An unsubscription is recorded here for
the campaign's reports; the consent withdrawal itself is recorded on the
customer or lead (``withdraw_consent``), which is what stops the next message.

Sending (:meth:`CampaignMember.send`) asks the subject's consent for the
channel and the ``marketing`` purpose at that instant, and for a customer the
privacy processing decision for marketing too (both must allow a marketing
message): a refusal is a :class:`~crmcore.ValidationError` with code
``no_consent`` (at ``$.consent``) or the processing decision's reason
(``processing_restricted``, ``objected_to_direct_marketing``, ``erased``, at
``$.processing``).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import datetime
from enum import StrEnum
from typing import Any, Final, Unpack

import attrs

from crmcore._kernel._aggregate import RepointsCustomer, optional_typed_id, typed_id
from crmcore._kernel._checks import aware, enum_converter, items_of, type_name
from crmcore._kernel._events import DomainEvent, EventMeta
from crmcore._kernel._fields import Checked
from crmcore._kernel._ids import CampaignId, CampaignMemberId, CustomerId, LeadId
from crmcore._kernel._repoint import CustomerRepointedEvent
from crmcore._kernel._status import StatusMachine
from crmcore.customers import Channel, ConsentDecision, Customer, ProcessingPurpose, Purpose
from crmcore.errors import InvalidType, ValidationError
from crmcore.sales import Lead, LeadStatus

#: Most status changes a member may hold (each status is entered at most once).
MAX_MEMBER_HISTORY: Final = 8
#: Most members :func:`touches_of` reads in one call.
MAX_TOUCH_MEMBERS: Final = 1_000_000


class MemberStatus(StrEnum):
    """Where a campaign member stands in the campaign's funnel."""

    TARGETED = "targeted"
    SENT = "sent"
    DELIVERED = "delivered"
    OPENED = "opened"
    CLICKED = "clicked"
    RESPONDED = "responded"
    CONVERTED = "converted"
    UNSUBSCRIBED = "unsubscribed"


_M = MemberStatus
#: The funnel, in order: a member may move to any later step (or unsubscribe).
_FUNNEL: Final = (
    _M.TARGETED,
    _M.SENT,
    _M.DELIVERED,
    _M.OPENED,
    _M.CLICKED,
    _M.RESPONDED,
    _M.CONVERTED,
)
#: The steps that need a message sent first (a delivery, an open and a click are of a message).
_NEEDS_SENT: Final = frozenset({_M.DELIVERED, _M.OPENED, _M.CLICKED})


def _later(status: MemberStatus) -> set[MemberStatus]:
    index = _FUNNEL.index(status)
    later = set(_FUNNEL[index + 1 :]) | {_M.UNSUBSCRIBED}
    if status is _M.TARGETED:
        later -= _NEEDS_SENT
    return later


#: The status machine of campaign members (see the module documentation).
MEMBER_STATUSES: Final = StatusMachine(
    "campaign member", {status: _later(status) for status in _FUNNEL[:-1]}
)
#: The statuses that count as a response.
RESPONSE_STATUSES: Final = frozenset({_M.RESPONDED, _M.CONVERTED})


# -- values ----------------------------------------------------------------------------------


def _change_at(value: object) -> datetime:
    return aware("$.at")(value)


def _change_status(value: object) -> MemberStatus:
    return enum_converter(MemberStatus, "$.status")(value)


@attrs.frozen(slots=True)
class MemberStatusChange:
    """One entry of a member's status history: the status entered and when.

    .. versionadded:: 0.1
    """

    status: MemberStatus = attrs.field(converter=_change_status)
    at: datetime = attrs.field(converter=_change_at)


@attrs.frozen(slots=True)
class Touch(Checked):
    """A marketing touch on a customer: the customer responded to a campaign at ``at``.

    >>> from datetime import datetime, timezone
    >>> Touch(CampaignId("cmp-1"), CustomerId("c-1"), datetime(2026, 3, 1, tzinfo=timezone.utc))
    Touch(campaign_id=CampaignId('cmp-1'), customer_id=CustomerId('c-1'), at=datetime.datetime(2026, 3, 1, 0, 0, tzinfo=datetime.timezone.utc))

    .. versionadded:: 0.1
    """

    campaign_id: CampaignId
    customer_id: CustomerId
    at: datetime


# -- events ----------------------------------------------------------------------------------


@attrs.frozen(slots=True, kw_only=True)
class CampaignMemberEvent(DomainEvent, aggregate="campaign_member"):
    """Base of the events recorded by a :class:`CampaignMember` (ids and codes only).

    .. versionadded:: 0.1
    """

    campaign_member_id: CampaignMemberId
    campaign_id: CampaignId


@attrs.frozen(slots=True, kw_only=True)
class CampaignMemberAdded(CampaignMemberEvent):
    """A customer or a lead was added to a campaign (``targeted``).

    .. versionadded:: 0.1
    """

    customer_id: CustomerId | None = None
    lead_id: LeadId | None = None
    channel: Channel | None = None


@attrs.frozen(slots=True, kw_only=True)
class CampaignMemberStatusChanged(CampaignMemberEvent):
    """A member moved from ``previous`` to ``status`` (``channel``: the channel a message went on).

    .. versionadded:: 0.1
    """

    status: MemberStatus
    previous: MemberStatus
    channel: Channel | None = None


@attrs.frozen(slots=True, kw_only=True)
class CampaignMemberCustomerRepointed(CustomerRepointedEvent, CampaignMemberEvent):
    """The member names ``customer_id``, the customer ``previous`` was merged into.

    .. versionadded:: 0.1
    """

    customer_id: CustomerId
    previous: CustomerId
    fields: tuple[str, ...]


# -- the aggregate ---------------------------------------------------------------------------


def _channel(value: object) -> Channel | None:
    return None if value is None else enum_converter(Channel, "$.channel")(value)


def _first_history(member: CampaignMember) -> tuple[MemberStatusChange, ...]:
    return (MemberStatusChange(MemberStatus.TARGETED, member.created_at),)


def _history(value: object) -> tuple[MemberStatusChange, ...]:
    return items_of(
        value,
        MemberStatusChange,
        "$.history",
        "a MemberStatusChange",
        max_items=MAX_MEMBER_HISTORY,
        noun="changes",
    )


@attrs.frozen(slots=True, kw_only=True, repr=False)
class CampaignMember(RepointsCustomer[CampaignMemberId], kind="campaign_member"):
    """One customer or lead in one campaign, and how far it went in the campaign's funnel.

    Add members with :func:`~crmcore.marketing.add_members` (or :meth:`add`);
    :meth:`send`, :meth:`mark_delivered`, :meth:`mark_opened`,
    :meth:`mark_clicked`, :meth:`respond`, :meth:`convert` and
    :meth:`unsubscribe` move it through :data:`MEMBER_STATUSES`. A merge of
    customers moves members along (``repoint_customer``).

    >>> from datetime import datetime, timedelta, timezone
    >>> from crmcore import Customer, PersonName
    >>> t0 = datetime(2026, 3, 2, 9, 0, tzinfo=timezone.utc)
    >>> ana = Customer.register(CustomerId("c-1"), name=PersonName("Ana"), at=t0)
    >>> member = CampaignMember.add(
    ...     CampaignMemberId("cm-1"),
    ...     campaign_id=CampaignId("cmp-1"),
    ...     customer_id=ana.id,
    ...     channel="email",
    ...     at=t0,
    ... )
    >>> member.send(at=t0, customer=ana)
    Traceback (most recent call last):
    ...
    crmcore.errors.ValidationError: $.consent: the subject's consent does not allow a marketing message on email at that time (default)
    >>> ana = ana.give_consent("email", "marketing", at=t0, source="web_form")
    >>> member = member.send(at=t0 + timedelta(hours=1), customer=ana)
    >>> member = member.respond(at=t0 + timedelta(days=1))
    >>> member.status.value, member.first_responded_at == t0 + timedelta(days=1)
    ('responded', True)

    Attributes:
        campaign_id: the campaign.
        customer_id: the customer, or ``None`` for a lead's membership.
        lead_id: the lead, or ``None`` for a customer's membership.
        channel: the channel messages go on (the campaign's, unless chosen).
        history: every status entered, oldest first (``targeted`` at ``created_at``).

    .. versionadded:: 0.1
    """

    _repointed_by = CampaignMemberCustomerRepointed
    _customer_fields = ("customer_id",)

    campaign_id: CampaignId = attrs.field(validator=typed_id(CampaignId, "$.campaign_id"))
    customer_id: CustomerId | None = attrs.field(
        default=None, validator=optional_typed_id(CustomerId, "$.customer_id")
    )
    lead_id: LeadId | None = attrs.field(
        default=None, validator=optional_typed_id(LeadId, "$.lead_id")
    )
    channel: Channel | None = attrs.field(default=None, converter=_channel)
    history: tuple[MemberStatusChange, ...] = attrs.field(
        default=attrs.Factory(_first_history, takes_self=True), converter=_history
    )

    def _check(self) -> None:
        if (self.customer_id is None) == (self.lead_id is None):
            raise ValidationError(
                "must name exactly one of a customer and a lead",
                path="$.customer_id",
                code="one_subject",
            )
        MEMBER_STATUSES.check_history(
            self.history,
            start=MemberStatus.TARGETED,
            at=self.created_at,
            what="the member was added",
        )

    def _recorded_times(self) -> Iterable[datetime]:
        yield self.history[-1].at

    def _event_fields(self) -> Mapping[str, object]:
        return {"campaign_member_id": self.id, "campaign_id": self.campaign_id}

    # -- construction ---------------------------------------------------------------------

    @classmethod
    def add(
        cls,
        member_id: CampaignMemberId,
        *,
        campaign_id: CampaignId,
        at: datetime,
        customer_id: CustomerId | None = None,
        lead_id: LeadId | None = None,
        channel: Channel | str | None = None,
        **meta: Unpack[EventMeta],
    ) -> CampaignMember:
        """Add a customer or a lead to a campaign as ``targeted``; records :class:`CampaignMemberAdded`.

        Raises:
            InvalidType: an id is not of its kind.
            ValidationError: neither or both of ``customer_id`` and ``lead_id``
                (``$.customer_id``, code ``one_subject``); an unknown channel
                (``$.channel``); ``at`` is naive (``$.at``).
        """
        command = cls._begin_new(at, meta)
        return cls._create(
            command,
            lambda member: CampaignMemberAdded.draft(
                customer_id=member.customer_id, lead_id=member.lead_id, channel=member.channel
            ),
            id=member_id,
            campaign_id=campaign_id,
            customer_id=customer_id,
            lead_id=lead_id,
            channel=channel,
        )

    # -- queries --------------------------------------------------------------------------

    @property
    def status(self) -> MemberStatus:
        """The current status."""
        return self.history[-1].status

    @property
    def subject_id(self) -> CustomerId | LeadId:
        """The customer's or the lead's id, whichever the member names."""
        return self.customer_id if self.customer_id is not None else self.lead_id  # type: ignore[return-value]

    def _first(self, statuses: frozenset[MemberStatus]) -> datetime | None:
        for change in self.history:
            if change.status in statuses:
                return change.at
        return None

    @property
    def first_responded_at(self) -> datetime | None:
        """When the member first responded (a conversion is a response), if it did."""
        return self._first(RESPONSE_STATUSES)

    @property
    def sent_at(self) -> datetime | None:
        """When the member was sent the campaign's message, if it was."""
        return self._first(frozenset({MemberStatus.SENT}))

    @property
    def converted_at(self) -> datetime | None:
        """When the member converted, if it did."""
        return self._first(frozenset({MemberStatus.CONVERTED}))

    @property
    def has_responded(self) -> bool:
        """True once the member has responded (or converted)."""
        return self.first_responded_at is not None

    # -- commands -------------------------------------------------------------------------

    def _move(
        self, wanted: MemberStatus, at: object, meta: Any, channel: Channel | None = None
    ) -> CampaignMember:
        command = self._begin(at, meta)
        MEMBER_STATUSES.check(self.status, wanted)
        draft = CampaignMemberStatusChanged.draft(
            status=wanted, previous=self.status, channel=channel
        )
        change = MemberStatusChange(wanted, command.at)
        return self._record(command, draft, history=(*self.history, change))

    def send(
        self,
        *,
        at: datetime,
        customer: Customer | None = None,
        lead: Lead | None = None,
        channel: Channel | str | None = None,
        address: str | None = None,
        **meta: Unpack[EventMeta],
    ) -> CampaignMember:
        """Record that the campaign's message was sent at ``at``, if the subject's consent allows it.

        Pass the member's customer (``customer=``) or lead (``lead=``) as it
        stands at ``at``. ``channel`` defaults to the member's channel. The
        subject's consent for the channel and the ``marketing`` purpose at
        ``at`` must allow it, and for a customer the processing decision for
        marketing too. Records :class:`CampaignMemberStatusChanged` (with the
        channel; never the address).

        ``address`` is the contact point the message goes to: its own consent
        records count too (an unsubscribe link withdraws one address). Without
        it the message could go to any address of the channel, so a live
        withdrawal for *any* of the subject's addresses on the channel refuses
        it (least permissive): pass the address to send to the others.

        Raises:
            InvalidType: ``customer`` is not a Customer, ``lead`` not a Lead.
            ValidationError: neither or both subjects given (``$.customer``,
                code ``one_subject``); the subject is not the member's
                (``$.customer`` or ``$.lead``, code ``not_member``); no channel
                (``$.channel``, code ``no_channel``); a converted lead
                (``$.lead``, code ``lead_converted``: message its customer);
                consent does not allow it (``$.consent``, code ``no_consent``),
                for the channel or an address (see above); an address not
                valid for the channel (``$.address``);
                the processing decision denies marketing (``$.processing``,
                code ``processing_restricted``, ``objected_to_direct_marketing``
                or ``erased``); ``at`` is refused (``$.at``).
            TransitionNotAllowed: the member is past ``targeted``.
        """
        chosen = _channel(channel) if channel is not None else self.channel
        when = self._begin(at, meta).at
        MEMBER_STATUSES.check(self.status, MemberStatus.SENT)
        if chosen is None:
            raise ValidationError(
                "must be given: the member has no channel", path="$.channel", code="no_channel"
            )
        self._check_permission(when, chosen, customer, lead, address)
        return self._move(MemberStatus.SENT, when, meta, chosen)

    def _subject(self, customer: object, lead: object) -> Customer | Lead:
        """The customer or lead given to :meth:`send`, checked to be the member's."""
        if (customer is None) == (lead is None):
            raise ValidationError(
                "must give exactly one of customer and lead", path="$.customer", code="one_subject"
            )
        if customer is not None:
            if not isinstance(customer, Customer):
                raise InvalidType(
                    f"must be a Customer, not {type_name(customer)}", path="$.customer"
                )
            if customer.id != self.customer_id:
                raise ValidationError(
                    "must be the member's customer", path="$.customer", code="not_member"
                )
            return customer
        if not isinstance(lead, Lead):
            raise InvalidType(f"must be a Lead, not {type_name(lead)}", path="$.lead")
        if lead.id != self.lead_id:
            raise ValidationError("must be the member's lead", path="$.lead", code="not_member")
        if lead.status is LeadStatus.CONVERTED:
            raise ValidationError(
                "a converted lead's consent moved to its customer: message the customer",
                path="$.lead",
                code="lead_converted",
            )
        return lead

    def _check_permission(
        self, at: datetime, channel: Channel, customer: object, lead: object, address: object
    ) -> None:
        subject = self._subject(customer, lead)
        if address is not None and not isinstance(address, str):
            raise InvalidType(f"must be a str, not {type_name(address)}", path="$.address")
        decision = _consent(subject, channel, at, address)
        if not decision.allowed:
            raise ValidationError(
                f"the subject's consent does not allow a marketing message on {channel.value} "
                f"at that time ({decision.reason})",
                path="$.consent",
                code="no_consent",
            )
        if isinstance(subject, Customer):
            processing = subject.processing_decision(ProcessingPurpose.MARKETING, at=at)
            if not processing.allowed:
                raise ValidationError(
                    f"the customer's data may not be used for marketing ({processing.reason})",
                    path="$.processing",
                    code=processing.reason,
                )

    def mark_delivered(self, *, at: datetime, **meta: Unpack[EventMeta]) -> CampaignMember:
        """Record that the message was delivered; records :class:`CampaignMemberStatusChanged`.

        Raises:
            TransitionNotAllowed: the member was not sent a message, or is past this step.
            ValidationError: ``at`` is naive or before the last change.
        """
        return self._move(MemberStatus.DELIVERED, at, meta)

    def mark_opened(self, *, at: datetime, **meta: Unpack[EventMeta]) -> CampaignMember:
        """Record that the message was opened; records :class:`CampaignMemberStatusChanged`.

        Raises:
            TransitionNotAllowed: the member was not sent a message, or is past this step.
            ValidationError: ``at`` is naive or before the last change.
        """
        return self._move(MemberStatus.OPENED, at, meta)

    def mark_clicked(self, *, at: datetime, **meta: Unpack[EventMeta]) -> CampaignMember:
        """Record a click on the message's link; records :class:`CampaignMemberStatusChanged`.

        Raises:
            TransitionNotAllowed: the member was not sent a message, or is past this step.
            ValidationError: ``at`` is naive or before the last change.
        """
        return self._move(MemberStatus.CLICKED, at, meta)

    def respond(self, *, at: datetime, **meta: Unpack[EventMeta]) -> CampaignMember:
        """Record a response (a reply, a form, an attendance); records :class:`CampaignMemberStatusChanged`.

        Raises:
            TransitionNotAllowed: the member responded, converted or unsubscribed already.
            ValidationError: ``at`` is naive or before the last change.
        """
        return self._move(MemberStatus.RESPONDED, at, meta)

    def convert(self, *, at: datetime, **meta: Unpack[EventMeta]) -> CampaignMember:
        """Record a conversion (counts as a response too); records :class:`CampaignMemberStatusChanged`.

        Raises:
            TransitionNotAllowed: the member converted or unsubscribed already.
            ValidationError: ``at`` is naive or before the last change.
        """
        return self._move(MemberStatus.CONVERTED, at, meta)

    def unsubscribe(self, *, at: datetime, **meta: Unpack[EventMeta]) -> CampaignMember:
        """Record an unsubscription from the campaign; records :class:`CampaignMemberStatusChanged`.

        Record the consent withdrawal on the customer or lead as well: that
        is what the next :meth:`send` asks.

        Raises:
            TransitionNotAllowed: the member converted or unsubscribed already.
            ValidationError: ``at`` is naive or before the last change.
        """
        return self._move(MemberStatus.UNSUBSCRIBED, at, meta)

    def __repr__(self) -> str:
        subject = "customer" if self.customer_id is not None else "lead"
        return (
            f"CampaignMember(id={self.id!r}, campaign_id={self.campaign_id!r}, "
            f"subject={subject!r}, status={self.status.value!r}, version={self.version}, "
            f"pending_events={len(self.pending_events)})"
        )


def _consent(
    subject: Customer | Lead, channel: Channel, at: datetime, address: str | None
) -> ConsentDecision:
    """The consent decision for a marketing message on ``channel`` (to ``address``) at ``at``.

    Without an address, the least permissive of the channel's decision and
    that of every address of the channel the subject's consent history names.
    """
    if address is not None:
        # An address not valid for the channel is refused at ``$.address``.
        return subject.consent_decision(channel, Purpose.MARKETING, at=at, address=address)
    decision = subject.consent_decision(channel, Purpose.MARKETING, at=at)
    if not decision.allowed:
        return decision
    named = sorted({r.address for r in subject.consents if r.address and r.channel is channel})
    for each in named:
        own = subject.consent_decision(channel, Purpose.MARKETING, at=at, address=each)
        if not own.allowed:
            return own
    return decision


# -- touches ---------------------------------------------------------------------------------


def touches_of(
    members: Iterable[CampaignMember], *, leads: Iterable[Lead] = ()
) -> tuple[Touch, ...]:
    """One :class:`Touch` per member that responded, at its first response, oldest first.

    Members only sent (or delivered, opened, clicked) leave no touch: a touch
    is a response. A lead's member touches the customer the lead converted
    into if that lead is among ``leads`` and converted; otherwise it leaves
    none (a lead is not yet a customer, and revenue is a customer's). Ties
    are ordered by campaign id, then customer id.

    Raises:
        InvalidType: a member that is not a CampaignMember (``$.members[i]``), a
            lead that is not a Lead (``$.leads[i]``).
        ValidationError: more than ``MAX_TOUCH_MEMBERS`` members or leads (code ``too_many``).
    """
    converted: dict[LeadId, CustomerId] = {}
    for index, lead in enumerate(_bounded(leads, "$.leads")):
        if not isinstance(lead, Lead):
            raise InvalidType(f"must be a Lead, not {type_name(lead)}", path=f"$.leads[{index}]")
        if lead.customer_id is not None:
            converted[lead.id] = lead.customer_id
    touches: list[Touch] = []
    for index, member in enumerate(_bounded(members, "$.members")):
        if not isinstance(member, CampaignMember):
            raise InvalidType(
                f"must be a CampaignMember, not {type_name(member)}", path=f"$.members[{index}]"
            )
        at = member.first_responded_at
        if at is None:
            continue
        customer = member.customer_id
        if customer is None and member.lead_id is not None:
            customer = converted.get(member.lead_id)
        if customer is not None:
            touches.append(Touch(member.campaign_id, customer, at))
    touches.sort(key=lambda t: (t.at, t.campaign_id.value, t.customer_id.value))
    return tuple(touches)


def _bounded(items: object, path: str) -> Iterable[Any]:
    if isinstance(items, (str, bytes, Mapping)) or not isinstance(items, Iterable):
        raise InvalidType(f"must be an iterable, not {type_name(items)}", path=path)
    for index, item in enumerate(items):
        if index >= MAX_TOUCH_MEMBERS:
            raise ValidationError(
                f"must hold at most {MAX_TOUCH_MEMBERS} items", path=path, code="too_many"
            )
        yield item
