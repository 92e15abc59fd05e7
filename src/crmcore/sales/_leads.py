"""Leads: potential customers captured from a source, qualified, and converted.

A :class:`Lead` records who might buy (a name and contact points, kept out of
reprs and errors), where they came from (:class:`LeadSource`, maybe a
campaign code or the customer who referred them) and how far qualification
got. Its status follows an explicit machine (``LEAD_TRANSITIONS``)::

    new           -> contacted, qualified, disqualified
    contacted     -> qualified, disqualified
    qualified     -> converted, disqualified
    disqualified  -> new (recycled)
    converted     (final)

Disqualifying needs a reason. A BANT score (:class:`BantScore`: budget,
authority, need, timeline) can be attached at any time before conversion.
:meth:`Lead.convert` turns a qualified lead into a new
:class:`~crmcore.Customer` (with the lead's name and contact points), and
optionally opens an :class:`~crmcore.sales.Opportunity` for it.

>>> from datetime import date, datetime, timedelta, timezone
>>> from crmcore.sales import STANDARD_PIPELINE, OpportunityId
>>> from crmcore.customers import ContactPoint, CustomerId, PersonName
>>> from crmcore import Money, StaffId
>>> t0 = datetime(2026, 3, 2, 9, 0, tzinfo=timezone.utc)
>>> lead = Lead.capture(
...     LeadId("lead-1"),
...     name=PersonName("Dewi", family="Lestari"),
...     source="event",
...     at=t0,
...     contact_points=[ContactPoint("email", "dewi@example.com")],
...     interest="Coffee machines for 3 offices",
...     owner=StaffId("rep-3"),
... )
>>> lead = lead.contact(at=t0 + timedelta(hours=2))
>>> lead = lead.qualify(at=t0 + timedelta(days=1), score=BantScore(True, True, True, False))
>>> done = lead.convert(
...     CustomerId("c-77"),
...     at=t0 + timedelta(days=2),
...     opportunity_id=OpportunityId("opp-9"),
...     pipeline=STANDARD_PIPELINE,
...     amount=Money(45_000_000, "IDR"),
...     expected_close=date(2026, 4, 30),
... )
>>> done.lead.status.value, done.customer.id, done.opportunity.stage, done.opportunity.lead_id
('converted', CustomerId('c-77'), 'prospecting', LeadId('lead-1'))
>>> done.lead
Lead(id=LeadId('lead-1'), source='event', status='converted', score=3, version=0, pending_events=5)
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import date, datetime
from enum import StrEnum
from types import MappingProxyType
from typing import Any, ClassVar, Final

import attrs

from crmcore._kernel._aggregate import check_version, optional_typed_id, pending_events, typed_id
from crmcore._kernel._checks import (
    aware,
    clean_text,
    enum_converter,
    instance_of,
    is_bool,
    normalize_tag,
    require_aware,
    tuple_of,
    type_name,
)
from crmcore._kernel._events import DomainEvent
from crmcore._kernel._ids import CustomerId, LeadId, OpportunityId, StaffId
from crmcore._kernel._money import Money
from crmcore.customers._contact import ContactPoint
from crmcore.customers._customer import Customer
from crmcore.customers._party import OrganizationName, PersonName
from crmcore.errors import InvalidType, ValidationError
from crmcore.sales._opportunities import Opportunity
from crmcore.sales._pipeline import PipelineDefinition

__all__ = [
    "LEAD_TRANSITIONS",
    "BantScore",
    "Lead",
    "LeadAssigned",
    "LeadCaptured",
    "LeadConversion",
    "LeadConverted",
    "LeadDisqualified",
    "LeadEvent",
    "LeadQualified",
    "LeadScored",
    "LeadSource",
    "LeadStatus",
    "LeadStatusChange",
    "LeadStatusChanged",
]

#: Longest reason or interest, in characters.
MAX_TEXT: Final = 500
#: Most contact points one lead may hold.
MAX_CONTACT_POINTS: Final = 20
#: Most status changes one lead may hold.
MAX_HISTORY: Final = 1_000


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
LEAD_TRANSITIONS: Final[Mapping[LeadStatus, frozenset[LeadStatus]]] = MappingProxyType(
    {
        _S.NEW: frozenset({_S.CONTACTED, _S.QUALIFIED, _S.DISQUALIFIED}),
        _S.CONTACTED: frozenset({_S.QUALIFIED, _S.DISQUALIFIED}),
        _S.QUALIFIED: frozenset({_S.CONVERTED, _S.DISQUALIFIED}),
        _S.DISQUALIFIED: frozenset({_S.NEW}),
        _S.CONVERTED: frozenset(),
    }
)


def _text(value: object, path: str, what: str) -> str | None:
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
    return _text(value, "$.reason", "a reason")


@attrs.frozen(slots=True)
class LeadStatusChange:
    """One entry of a lead's status history (the reason is left out of the repr)."""

    status: LeadStatus = attrs.field(converter=_change_status)
    at: datetime = attrs.field(converter=_change_at)
    reason: str | None = attrs.field(default=None, converter=_change_reason, repr=False)


# -- events ------------------------------------------------------------------------------


@attrs.frozen(slots=True, kw_only=True)
class LeadEvent(DomainEvent):
    """Base of the events recorded by a :class:`Lead`."""

    abstract_event: ClassVar[bool] = True

    lead_id: LeadId


@attrs.frozen(slots=True, kw_only=True)
class LeadCaptured(LeadEvent):
    """A lead was captured (its name and contact points stay in the record)."""

    source: LeadSource
    campaign: str | None = None
    owner: StaffId | None = None
    referred_by: CustomerId | None = None


@attrs.frozen(slots=True, kw_only=True)
class LeadStatusChanged(LeadEvent):
    """The lead's status changed.

    Qualification, disqualification and conversion are recorded as the
    subclasses :class:`LeadQualified`, :class:`LeadDisqualified` and
    :class:`LeadConverted`, so a handler of this class sees every change.
    """

    from_status: LeadStatus
    to_status: LeadStatus
    reason: str | None = attrs.field(default=None, repr=False)


@attrs.frozen(slots=True, kw_only=True)
class LeadQualified(LeadStatusChanged):
    """The lead was qualified."""


@attrs.frozen(slots=True, kw_only=True)
class LeadDisqualified(LeadStatusChanged):
    """The lead was disqualified (``reason`` says why)."""


@attrs.frozen(slots=True, kw_only=True)
class LeadConverted(LeadStatusChanged):
    """The lead became a customer (and maybe an opportunity)."""

    customer_id: CustomerId
    opportunity_id: OpportunityId | None = None


@attrs.frozen(slots=True, kw_only=True)
class LeadScored(LeadEvent):
    """The lead's BANT score was set."""

    score: BantScore


@attrs.frozen(slots=True, kw_only=True)
class LeadAssigned(LeadEvent):
    """The lead was assigned to someone else (``None``: unassigned)."""

    owner: StaffId | None
    previous: StaffId | None = None


# -- the aggregate -----------------------------------------------------------------------


def _lead_name(_: object, __: attrs.Attribute[Any], value: object) -> None:
    if not isinstance(value, (PersonName, OrganizationName)):
        raise InvalidType(
            f"must be a PersonName or an OrganizationName, not {type_name(value)}", path="$.name"
        )


def _lead_source(value: object) -> LeadSource:
    return enum_converter(LeadSource, "$.source")(value)


def _lead_created_at(value: object) -> datetime:
    return aware("$.created_at")(value)


def _lead_updated_at(value: object) -> datetime:
    return aware("$.updated_at")(value)


def _creation_time(lead: Lead) -> datetime:
    return lead.created_at


def _first_history(lead: Lead) -> tuple[LeadStatusChange, ...]:
    return (LeadStatusChange(LeadStatus.NEW, lead.created_at),)


def _lead_contact_points(value: object) -> tuple[ContactPoint, ...]:
    if type(value) is tuple and all(type(v) is ContactPoint for v in value):
        points: tuple[ContactPoint, ...] = value
    else:
        points = tuple_of(
            value,
            "$.contact_points",
            instance_of(ContactPoint, "a ContactPoint"),
            max_items=MAX_CONTACT_POINTS,
        )
    seen: set[object] = set()
    for index, point in enumerate(points):
        if point.key in seen:
            raise ValidationError(
                "must not repeat a contact point (same channel and value)",
                path=f"$.contact_points[{index}]",
                code="duplicate",
            )
        seen.add(point.key)
    return points


def _lead_interest(value: object) -> str | None:
    return _text(value, "$.interest", "an interest")


def _lead_campaign(value: object) -> str | None:
    return None if value is None else normalize_tag(value, "$.campaign")


def _lead_score(value: object) -> BantScore | None:
    return None if value is None else instance_of(BantScore, "a BantScore")(value, "$.score")


def _lead_history(value: object) -> tuple[LeadStatusChange, ...]:
    if type(value) is tuple and all(type(v) is LeadStatusChange for v in value):
        history: tuple[LeadStatusChange, ...] = value
    else:
        history = tuple_of(
            value,
            "$.history",
            instance_of(LeadStatusChange, "a LeadStatusChange"),
            max_items=MAX_HISTORY,
        )
    if len(history) > MAX_HISTORY:
        raise ValidationError(
            f"must hold at most {MAX_HISTORY} changes", path="$.history", code="too_many"
        )
    return history


def _not_allowed(current: LeadStatus, wanted: LeadStatus, path: str) -> ValidationError:
    allowed = ", ".join(s.value for s in LeadStatus if s in LEAD_TRANSITIONS[current])
    rule = f"cannot change from {current.value} to {wanted.value}; " + (
        f"allowed: {allowed}" if allowed else f"{current.value} is final"
    )
    return ValidationError(rule, path=path, code="transition")


def _required(path: str) -> ValidationError:
    return ValidationError(
        "is required to open an opportunity on conversion", path=path, code="required"
    )


@attrs.frozen(slots=True, kw_only=True)
class LeadConversion:
    """What :meth:`Lead.convert` produced: the converted lead, the new customer, the opportunity."""

    lead: Lead
    customer: Customer
    opportunity: Opportunity | None = None


@attrs.frozen(slots=True, kw_only=True, repr=False)
class Lead:
    """A potential customer being qualified.

    Capture one with :meth:`capture`. Commands return a new lead and record
    events; a command that fails raises :class:`~crmcore.ValidationError`
    and changes nothing. Times never go backwards (:attr:`updated_at`).
    The name, contact points and interest may be personal data: the repr
    leaves them out.

    Attributes:
        history: every status entered, oldest first; the first is ``new`` at
            ``created_at``.
        customer_id: the customer the lead became, once converted.
        opportunity_id: the opportunity opened on conversion, if any.
    """

    id: LeadId = attrs.field(validator=typed_id(LeadId, "$.id"))
    name: PersonName | OrganizationName = attrs.field(validator=_lead_name)
    source: LeadSource = attrs.field(converter=_lead_source)
    created_at: datetime = attrs.field(converter=_lead_created_at)
    contact_points: tuple[ContactPoint, ...] = attrs.field(
        default=(), converter=_lead_contact_points
    )
    interest: str | None = attrs.field(default=None, converter=_lead_interest)
    campaign: str | None = attrs.field(default=None, converter=_lead_campaign)
    referred_by: CustomerId | None = attrs.field(
        default=None, validator=optional_typed_id(CustomerId, "$.referred_by")
    )
    owner: StaffId | None = attrs.field(
        default=None, validator=optional_typed_id(StaffId, "$.owner")
    )
    score: BantScore | None = attrs.field(default=None, converter=_lead_score)
    history: tuple[LeadStatusChange, ...] = attrs.field(
        default=attrs.Factory(_first_history, takes_self=True), converter=_lead_history
    )
    customer_id: CustomerId | None = attrs.field(
        default=None, validator=optional_typed_id(CustomerId, "$.customer_id")
    )
    opportunity_id: OpportunityId | None = attrs.field(
        default=None, validator=optional_typed_id(OpportunityId, "$.opportunity_id")
    )
    updated_at: datetime = attrs.field(
        default=attrs.Factory(_creation_time, takes_self=True), converter=_lead_updated_at
    )
    version: int = attrs.field(default=0, validator=check_version)
    pending_events: tuple[DomainEvent, ...] = attrs.field(
        default=(), converter=pending_events, eq=False, hash=False
    )

    def __attrs_post_init__(self) -> None:
        first = self.history[0] if self.history else None
        if first is None or first.status is not LeadStatus.NEW or first.at != self.created_at:
            raise ValidationError(
                "must start with status new at the time the lead was captured",
                path="$.history[0]" if self.history else "$.history",
                code="history_start",
            )
        for index in range(1, len(self.history)):
            before, after = self.history[index - 1], self.history[index]
            if after.at < before.at:
                raise ValidationError(
                    "must not be before the change before it",
                    path=f"$.history[{index}].at",
                    code="time_backwards",
                )
            if after.status not in LEAD_TRANSITIONS[before.status]:
                raise _not_allowed(before.status, after.status, f"$.history[{index}].status")
            if after.status is LeadStatus.DISQUALIFIED and after.reason is None:
                raise ValidationError(
                    "is required to disqualify a lead",
                    path=f"$.history[{index}].reason",
                    code="reason_required",
                )
        converted = self.status is LeadStatus.CONVERTED
        if converted != (self.customer_id is not None):
            raise ValidationError(
                "must be set exactly when the lead is converted",
                path="$.customer_id",
                code="status_mismatch",
            )
        if self.opportunity_id is not None and not converted:
            raise ValidationError(
                "must only be set once the lead is converted",
                path="$.opportunity_id",
                code="status_mismatch",
            )
        if self.history[-1].at > self.updated_at:
            raise ValidationError(
                "must not be before the last status change",
                path="$.updated_at",
                code="time_backwards",
            )

    # -- construction ---------------------------------------------------------------------

    @classmethod
    def capture(
        cls,
        lead_id: LeadId,
        *,
        name: PersonName | OrganizationName,
        source: LeadSource | str,
        at: datetime,
        contact_points: Iterable[ContactPoint] = (),
        interest: str | None = None,
        campaign: str | None = None,
        referred_by: CustomerId | None = None,
        owner: StaffId | None = None,
    ) -> Lead:
        """Capture a new lead (status ``new``) at ``at``; records :class:`LeadCaptured`.

        Raises:
            ValidationError: an argument breaks a rule; the path names it.
        """
        when = require_aware(at, "$.at")
        lead = cls(
            id=lead_id,
            name=name,
            source=source,
            created_at=when,
            contact_points=contact_points,
            interest=interest,
            campaign=campaign,
            referred_by=referred_by,
            owner=owner,
        )
        event = LeadCaptured(
            occurred_at=when,
            lead_id=lead.id,
            source=lead.source,
            campaign=lead.campaign,
            owner=lead.owner,
            referred_by=lead.referred_by,
        )
        return attrs.evolve(lead, pending_events=(event,))

    # -- queries --------------------------------------------------------------------------

    @property
    def status(self) -> LeadStatus:
        """The current status (the last entry of the history)."""
        return self.history[-1].status

    @property
    def allowed_statuses(self) -> frozenset[LeadStatus]:
        """The statuses the lead may change to now."""
        return LEAD_TRANSITIONS[self.status]

    @property
    def disqualification_reason(self) -> str | None:
        """Why the lead was disqualified, while it is (a recycle clears it)."""
        return self.history[-1].reason if self.status is LeadStatus.DISQUALIFIED else None

    @property
    def is_open(self) -> bool:
        """True while the lead is neither converted nor disqualified."""
        return self.status in (LeadStatus.NEW, LeadStatus.CONTACTED, LeadStatus.QUALIFIED)

    # -- commands -------------------------------------------------------------------------

    def _at(self, at: object) -> datetime:
        when = require_aware(at, "$.at")
        if when < self.updated_at:
            raise ValidationError(
                "must not be before the lead's last change (times never go backwards)",
                path="$.at",
                code="time_backwards",
            )
        return when

    def _record(self, events: list[DomainEvent], **changes: Any) -> Lead:
        return attrs.evolve(self, pending_events=(*self.pending_events, *events), **changes)

    def change_status(
        self, status: LeadStatus | str, *, at: datetime, reason: str | None = None
    ) -> Lead:
        """Move the lead to ``status`` if the machine allows it; records :class:`LeadStatusChanged`.

        Changing to the current status changes nothing. Conversion goes
        through :meth:`convert`, which creates the customer.

        Raises:
            ValidationError: the machine does not allow the change (``$.status``,
                code ``transition``), a disqualification without a reason
                (``$.reason``), or ``at`` goes backwards.
        """
        wanted = enum_converter(LeadStatus, "$.status")(status)
        when = self._at(at)
        text = _text(reason, "$.reason", "a reason")
        current = self.status
        if wanted is current:
            return self
        if wanted is LeadStatus.CONVERTED:
            raise ValidationError(
                "a lead is converted with convert(), which creates the customer",
                path="$.status",
                code="use_convert",
            )
        return self._move(wanted, when, text)

    def _move(self, wanted: LeadStatus, when: datetime, reason: str | None, **changes: Any) -> Lead:
        current = self.status
        if wanted not in LEAD_TRANSITIONS[current]:
            raise _not_allowed(current, wanted, "$.status")
        if wanted is LeadStatus.DISQUALIFIED and reason is None:
            raise ValidationError(
                "is required to disqualify a lead", path="$.reason", code="reason_required"
            )
        if len(self.history) >= MAX_HISTORY:
            raise ValidationError(
                f"must hold at most {MAX_HISTORY} changes", path="$.history", code="too_many"
            )
        common: dict[str, Any] = {
            "occurred_at": when,
            "lead_id": self.id,
            "from_status": current,
            "to_status": wanted,
            "reason": reason,
        }
        event: LeadStatusChanged
        if wanted is LeadStatus.QUALIFIED:
            event = LeadQualified(**common)
        elif wanted is LeadStatus.DISQUALIFIED:
            event = LeadDisqualified(**common)
        elif wanted is LeadStatus.CONVERTED:
            event = LeadConverted(
                customer_id=changes["customer_id"],
                opportunity_id=changes.get("opportunity_id"),
                **common,
            )
        else:
            event = LeadStatusChanged(**common)
        change = LeadStatusChange(wanted, when, reason)
        return self._record([event], history=(*self.history, change), updated_at=when, **changes)

    def contact(self, *, at: datetime, reason: str | None = None) -> Lead:
        """Record that the lead was reached (``new`` becomes ``contacted``)."""
        return self.change_status(LeadStatus.CONTACTED, at=at, reason=reason)

    def qualify(
        self, *, at: datetime, score: BantScore | None = None, reason: str | None = None
    ) -> Lead:
        """Qualify the lead, optionally with its BANT score; records :class:`LeadQualified`."""
        when = self._at(at)
        lead = self if score is None else self.rescore(score, at=when)
        return lead.change_status(LeadStatus.QUALIFIED, at=when, reason=reason)

    def disqualify(self, *, at: datetime, reason: str) -> Lead:
        """Disqualify the lead, saying why; records :class:`LeadDisqualified`."""
        return self.change_status(LeadStatus.DISQUALIFIED, at=at, reason=reason)

    def recycle(self, *, at: datetime, reason: str | None = None) -> Lead:
        """Give a disqualified lead another chance (back to ``new``); clears the reason."""
        if self.status is not LeadStatus.DISQUALIFIED:
            raise ValidationError(
                f"only a disqualified lead can be recycled, not a {self.status.value} one",
                path="$.status",
                code="transition",
            )
        return self.change_status(LeadStatus.NEW, at=at, reason=reason)

    def rescore(self, score: BantScore, *, at: datetime) -> Lead:
        """Set the BANT score; records :class:`LeadScored` (the same score changes nothing)."""
        when = self._at(at)
        checked = instance_of(BantScore, "a BantScore")(score, "$.score")
        if self.status is LeadStatus.CONVERTED:
            raise ValidationError(
                "a converted lead is not scored any more", path="$.status", code="converted"
            )
        if checked == self.score:
            return self
        event = LeadScored(occurred_at=when, lead_id=self.id, score=checked)
        return self._record([event], score=checked, updated_at=when)

    def assign(self, owner: StaffId | None, *, at: datetime) -> Lead:
        """Assign the lead to a member of staff (``None``: unassign); records :class:`LeadAssigned`."""
        when = self._at(at)
        if owner is not None and type(owner) is not StaffId:
            raise InvalidType(f"must be a StaffId, not {type_name(owner)}", path="$.owner")
        if owner == self.owner:
            return self
        event = LeadAssigned(occurred_at=when, lead_id=self.id, owner=owner, previous=self.owner)
        return self._record([event], owner=owner, updated_at=when)

    def convert(
        self,
        customer_id: CustomerId,
        *,
        at: datetime,
        opportunity_id: OpportunityId | None = None,
        pipeline: PipelineDefinition | None = None,
        amount: Money | None = None,
        expected_close: date | None = None,
        opportunity_name: str | None = None,
        owner: StaffId | None = None,
        stage: str | None = None,
    ) -> LeadConversion:
        """Convert a qualified lead into a customer, and optionally an opportunity.

        The customer is registered with ``Customer.register`` under
        ``customer_id`` with the lead's name and contact points (and records
        its own events). With ``opportunity_id``, an opportunity is opened for
        the new customer too: ``pipeline``, ``amount`` and ``expected_close``
        are then required; the name defaults to the lead's interest and the
        owner to the lead's owner. The lead becomes ``converted`` and records
        :class:`LeadConverted`.

        Raises:
            ValidationError: the lead is not qualified (``$.status``), an
                opportunity argument is missing (its path, code ``required``),
                or any argument breaks a rule.
        """
        when = self._at(at)
        if LeadStatus.CONVERTED not in LEAD_TRANSITIONS[self.status]:
            raise _not_allowed(self.status, LeadStatus.CONVERTED, "$.status")
        customer = Customer.register(
            customer_id, name=self.name, at=when, contact_points=self.contact_points
        )
        opportunity = None
        if opportunity_id is not None:
            opportunity = self._open_opportunity(
                opportunity_id,
                customer.id,
                when,
                pipeline=pipeline,
                amount=amount,
                expected_close=expected_close,
                name=opportunity_name,
                owner=owner,
                stage=stage,
            )
        else:
            given = {
                "$.pipeline": pipeline,
                "$.amount": amount,
                "$.expected_close": expected_close,
                "$.opportunity_name": opportunity_name,
                "$.stage": stage,
            }
            for path, value in given.items():
                if value is not None:
                    raise ValidationError(
                        "is only for opening an opportunity (give opportunity_id too)",
                        path=path,
                        code="without_opportunity",
                    )
        lead = self._move(
            LeadStatus.CONVERTED,
            when,
            None,
            customer_id=customer.id,
            opportunity_id=opportunity_id,
        )
        return LeadConversion(lead=lead, customer=customer, opportunity=opportunity)

    def _open_opportunity(
        self,
        opportunity_id: OpportunityId,
        customer_id: CustomerId,
        when: datetime,
        *,
        pipeline: PipelineDefinition | None,
        amount: Money | None,
        expected_close: date | None,
        name: str | None,
        owner: StaffId | None,
        stage: str | None,
    ) -> Opportunity:
        title = name if name is not None else self.interest
        handler = owner if owner is not None else self.owner
        if pipeline is None:
            raise _required("$.pipeline")
        if amount is None:
            raise _required("$.amount")
        if expected_close is None:
            raise _required("$.expected_close")
        if title is None:
            raise _required("$.opportunity_name")
        if handler is None:
            raise _required("$.owner")
        return Opportunity.open(
            opportunity_id,
            customer_id=customer_id,
            name=title,
            amount=amount,
            expected_close=expected_close,
            owner=handler,
            pipeline=pipeline,
            at=when,
            stage=stage,
            lead_id=self.id,
        )

    def without_pending_events(self) -> Lead:
        """The same lead with no pending events (what a repository stores)."""
        if not self.pending_events:
            return self
        return attrs.evolve(self, pending_events=())

    def __repr__(self) -> str:
        score = "None" if self.score is None else str(self.score.score)
        return (
            f"Lead(id={self.id!r}, source={self.source.value!r}, "
            f"status={self.status.value!r}, score={score}, "
            f"version={self.version}, pending_events={len(self.pending_events)})"
        )
