"""Leads' values and events: sources, statuses and their machine, BANT scores, lead events.

The :class:`~crmcore.sales.Lead` aggregate itself is in :mod:`crmcore.sales._leads`.
"""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum
from typing import Final

import attrs

from crmcore._kernel._checks import aware, clean_text, enum_converter, is_bool
from crmcore._kernel._events import DomainEvent
from crmcore._kernel._ids import CustomerId, LeadId, OpportunityId, StaffId, TeamId
from crmcore._kernel._personal import PersonalDataErasedEvent
from crmcore._kernel._repoint import CustomerRepointedEvent
from crmcore._kernel._status import StatusMachine
from crmcore.customers import Channel, ConsentStatus, LegalBasis, Purpose

#: Longest reason or interest, in characters.
MAX_TEXT: Final = 500


class LeadSource(StrEnum):
    """Where a lead came from."""

    WEB = "web"
    REFERRAL = "referral"
    EVENT = "event"
    CAMPAIGN = "campaign"
    COLD_CALL = "cold_call"
    PARTNER = "partner"
    SOCIAL = "social"
    ADVERTISING = "advertising"
    WALK_IN = "walk_in"
    OTHER = "other"


class LeadStatus(StrEnum):
    """Where a lead stands in qualification."""

    NEW = "new"
    CONTACTED = "contacted"
    QUALIFIED = "qualified"
    DISQUALIFIED = "disqualified"
    CONVERTED = "converted"


_S = LeadStatus
#: The status machine: the statuses each status may change to.
LEAD_STATUSES: Final = StatusMachine(
    "lead",
    {
        _S.NEW: {_S.CONTACTED, _S.QUALIFIED, _S.DISQUALIFIED},
        _S.CONTACTED: {_S.QUALIFIED, _S.DISQUALIFIED},
        _S.QUALIFIED: {_S.CONVERTED, _S.DISQUALIFIED},
        _S.DISQUALIFIED: {_S.NEW},
        _S.CONVERTED: set(),
    },
)


def text_field(value: object, path: str, what: str) -> str | None:
    if value is None:
        return None
    return clean_text(value, path, max_length=MAX_TEXT, allow_newlines=True, what=what)


# -- values ------------------------------------------------------------------------------


@attrs.frozen(slots=True)
class BantScore:
    """A BANT qualification: does the lead have budget, authority, need and a timeline?

    >>> BantScore(budget=True, authority=False, need=True, timeline=True).score
    3
    """

    budget: bool = attrs.field(validator=is_bool)
    authority: bool = attrs.field(validator=is_bool)
    need: bool = attrs.field(validator=is_bool)
    timeline: bool = attrs.field(validator=is_bool)

    @property
    def score(self) -> int:
        """How many of the four criteria are met (0 to 4)."""
        return sum((self.budget, self.authority, self.need, self.timeline))


def _change_status(value: object) -> LeadStatus:
    return enum_converter(LeadStatus, "$.status")(value)


def _change_at(value: object) -> datetime:
    return aware("$.at")(value)


def _change_reason(value: object) -> str | None:
    return text_field(value, "$.reason", "a reason")


@attrs.frozen(slots=True)
class LeadStatusChange:
    """One entry of a lead's status history (the reason is left out of the repr)."""

    status: LeadStatus = attrs.field(converter=_change_status)
    at: datetime = attrs.field(converter=_change_at)
    reason: str | None = attrs.field(default=None, converter=_change_reason, repr=False)


# -- events ------------------------------------------------------------------------------


@attrs.frozen(slots=True, kw_only=True)
class LeadEvent(DomainEvent, aggregate="lead"):
    """Base of the events recorded by a :class:`Lead`.

    Lead events never carry the lead's name, contact points, interest or
    reasons: a handler that needs them loads the lead.
    """

    lead_id: LeadId


@attrs.frozen(slots=True, kw_only=True)
class LeadCaptured(LeadEvent):
    """A lead was captured (its name, contact points and interest stay in the record)."""

    source: LeadSource
    campaign: str | None = None
    owner: StaffId | None = None
    referred_by: CustomerId | None = None
    team: TeamId | None = None


#: The status the events named after one move always move to.
_NAMED_MOVES: Final = {
    "LeadQualified": LeadStatus.QUALIFIED,
    "LeadDisqualified": LeadStatus.DISQUALIFIED,
    "LeadConverted": LeadStatus.CONVERTED,
}


@attrs.frozen(slots=True, kw_only=True)
class LeadStatusChanged(LeadEvent):
    """The lead's status changed (any reason given stays in the lead's history).

    Qualification, disqualification and conversion are recorded as the
    subclasses :class:`LeadQualified`, :class:`LeadDisqualified` and
    :class:`LeadConverted`, so a handler of this class sees every change.
    """

    from_status: LeadStatus
    to_status: LeadStatus

    def _check(self) -> None:
        named = _NAMED_MOVES.get(type(self).__name__)
        LEAD_STATUSES.check_recorded(self.from_status, self.to_status, named)


@attrs.frozen(slots=True, kw_only=True)
class LeadQualified(LeadStatusChanged):
    """The lead was qualified."""


@attrs.frozen(slots=True, kw_only=True)
class LeadDisqualified(LeadStatusChanged):
    """The lead was disqualified (the reason is in :attr:`Lead.disqualification_reason`)."""


@attrs.frozen(slots=True, kw_only=True)
class LeadConverted(LeadStatusChanged):
    """The lead became a customer (and maybe an opportunity).

    ``customer_id`` names the customer it converted into; ``into_existing``
    says whether that customer already existed (:meth:`Lead.convert_into`)
    or was registered by the conversion (:meth:`Lead.convert`). Events stored
    before conversions into existing customers load with ``False``.
    """

    customer_id: CustomerId
    opportunity_id: OpportunityId | None = None
    into_existing: bool = False


@attrs.frozen(slots=True, kw_only=True)
class LeadScored(LeadEvent):
    """The lead's BANT score was set."""

    score: BantScore


@attrs.frozen(slots=True, kw_only=True)
class LeadAssigned(LeadEvent):
    """The lead was reassigned: its owner, its team or both changed (``None``: none).

    ``owner`` and ``team`` are the new values, ``previous`` and
    ``previous_team`` the old ones (equal to the new ones for the part that
    did not change). Events stored before leads had teams load with both
    teams ``None``.
    """

    owner: StaffId | None
    previous: StaffId | None = None
    team: TeamId | None = None
    previous_team: TeamId | None = None


@attrs.frozen(slots=True, kw_only=True)
class LeadConsentRecorded(LeadEvent):
    """The lead granted or withdrew consent for a channel (``None``: every channel) and a purpose.

    ``occurred_at`` is when the lead said so (the record's ``captured_at``);
    the record's source stays in :attr:`Lead.consents`, out of the event.
    ``for_address`` says the record speaks for one address of the channel
    (which stays in the record, out of the event).
    """

    channel: Channel | None
    purpose: Purpose
    status: ConsentStatus
    legal_basis: LegalBasis
    expires_at: datetime | None = None
    for_address: bool = False


@attrs.frozen(slots=True, kw_only=True)
class LeadCustomerRepointed(CustomerRepointedEvent, LeadEvent):
    """The lead names ``customer_id``, the customer ``previous`` was merged into.

    ``fields`` names the fields that named ``previous``.
    """

    previous: CustomerId
    customer_id: CustomerId
    fields: tuple[str, ...]


@attrs.frozen(slots=True, kw_only=True)
class LeadAnonymised(PersonalDataErasedEvent, LeadEvent):
    """The lead's personal fields (``fields``: name, contact points, interest, reasons) were erased.

    Its consent records stay, as proof of what the person agreed to.
    """

    fields: tuple[str, ...]
