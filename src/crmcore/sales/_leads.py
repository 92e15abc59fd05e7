"""Leads: potential customers captured from a source, qualified, and converted.

A :class:`Lead` records who might buy (a name and contact points, kept out of
reprs and errors), where they came from (:class:`LeadSource`, maybe a
campaign code or the customer who referred them) and how far qualification
got. Its status follows an explicit machine (``LEAD_STATUSES``)::

    new           -> contacted, qualified, disqualified
    contacted     -> qualified, disqualified
    qualified     -> converted, disqualified
    disqualified  -> new (recycled)
    converted     (final)

A refused change is :class:`~crmcore.errors.TransitionNotAllowed` (code
``transition``). Disqualifying needs a reason, which stays in the lead's
history and never goes into an event. A BANT score (:class:`BantScore`:
budget, authority, need, timeline) can be attached at any time before
conversion. :meth:`Lead.convert` turns a qualified lead into a new
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
>>> lead.change_status("new", at=t0 + timedelta(days=1))
Traceback (most recent call last):
...
crmcore.errors.TransitionNotAllowed: $.status: a lead that is qualified cannot become new; it may become: converted, disqualified
>>> done = lead.convert(
...     CustomerId("c-77"),
...     at=t0 + timedelta(days=2),
...     opportunity_id=OpportunityId("opp-9"),
...     pipeline=STANDARD_PIPELINE,
...     amount=Money(45_000_000, "IDR"),
...     expected_close=date(2026, 4, 30),
...     actor="rep-3",
... )
>>> done.lead.status.value, done.customer.id, done.opportunity.stage, done.opportunity.lead_id
('converted', CustomerId('c-77'), 'prospecting', LeadId('lead-1'))
>>> done.lead
Lead(id=LeadId('lead-1'), source='event', status='converted', score=3, version=0, pending_events=5)
>>> [(e.type, e.sequence, e.actor) for e in done.lead.pending_events[-2:]]
[('LeadQualified', 4, None), ('LeadConverted', 5, 'rep-3')]
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import date, datetime
from enum import StrEnum
from typing import Any, Final, Unpack

import attrs

from crmcore._kernel._aggregate import Aggregate, Command, optional_typed_id
from crmcore._kernel._checks import (
    aware,
    clean_text,
    enum_converter,
    instance_of,
    is_bool,
    items_of,
    normalize_tag,
    type_name,
)
from crmcore._kernel._events import DomainEvent, EventDraft, EventMeta
from crmcore._kernel._fields import Checked
from crmcore._kernel._ids import CustomerId, LeadId, OpportunityId, StaffId
from crmcore._kernel._money import Money
from crmcore._kernel._status import StatusMachine
from crmcore.customers import ContactPoint, Customer, OrganizationName, PersonName
from crmcore.errors import InvalidType, TransitionNotAllowed, ValidationError
from crmcore.sales._opportunities import Opportunity
from crmcore.sales._pipeline import PipelineDefinition

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


def _first_history(lead: Lead) -> tuple[LeadStatusChange, ...]:
    return (LeadStatusChange(LeadStatus.NEW, lead.created_at),)


def _lead_contact_points(value: object) -> tuple[ContactPoint, ...]:
    points = items_of(
        value, ContactPoint, "$.contact_points", "a ContactPoint", max_items=MAX_CONTACT_POINTS
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
    return items_of(
        value,
        LeadStatusChange,
        "$.history",
        "a LeadStatusChange",
        max_items=MAX_HISTORY,
        noun="changes",
    )


def _use_convert(current: LeadStatus) -> TransitionNotAllowed:
    """The refusal of ``change_status("converted")``: conversion goes through ``convert()``."""
    options = tuple(
        sorted(s.value for s in LEAD_STATUSES.allowed(current) if s is not LeadStatus.CONVERTED)
    )
    rule = "a lead is converted with convert(), which registers the customer; "
    rule += f"change_status may make it: {', '.join(options)}" if options else "it is final"
    return TransitionNotAllowed(
        rule,
        path="$.status",
        machine=LEAD_STATUSES.name,
        current=current.value,
        wanted=LeadStatus.CONVERTED.value,
        allowed=options,
    )


def _required(path: str) -> ValidationError:
    return ValidationError(
        "is required to open an opportunity on conversion", path=path, code="required"
    )


@attrs.frozen(slots=True, kw_only=True)
class LeadConversion(Checked):
    """What :meth:`Lead.convert` produced: the converted lead, the new customer, the opportunity."""

    lead: Lead
    customer: Customer
    opportunity: Opportunity | None = None


@attrs.frozen(slots=True, kw_only=True, repr=False)
class Lead(Aggregate[LeadId], kind="lead"):
    """A potential customer being qualified.

    Capture one with :meth:`capture`. Like every crmcore aggregate it is
    immutable: commands return a new lead and record events in
    :attr:`pending_events`; a command that fails raises
    :class:`~crmcore.ValidationError` and changes nothing. Every command takes
    the time it happens at, which must not be before the lead's last change
    (:attr:`updated_at`, code ``time_backwards``): times never go backwards.
    Every command also takes the envelope keywords ``actor``,
    ``correlation_id`` and ``causation_id`` (see :mod:`crmcore.events`).

    The name, contact points, interest and reasons may be personal data: the
    repr leaves them out, and so do the events.

    Attributes:
        history: every status entered, oldest first; the first is ``new`` at
            ``created_at`` (the capture).
        customer_id: the customer the lead became, once converted.
        opportunity_id: the opportunity opened on conversion, if any.
    """

    name: PersonName | OrganizationName = attrs.field(validator=_lead_name)
    source: LeadSource = attrs.field(converter=_lead_source)
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

    def _check(self) -> None:
        first = self.history[0] if self.history else None
        if first is None or first.status is not LeadStatus.NEW or first.at != self.created_at:
            raise ValidationError(
                "must start with status new at the time the lead was captured",
                path="$.history[0]" if self.history else "$.history",
                code="history_start",
            )
        for index in range(1, len(self.history)):
            if self.history[index].at < self.history[index - 1].at:
                raise ValidationError(
                    "must not be before the change before it",
                    path=f"$.history[{index}].at",
                    code="time_backwards",
                )
        LEAD_STATUSES.check_path((c.status for c in self.history), path="$.history")
        for index, change in enumerate(self.history):
            if change.status is LeadStatus.DISQUALIFIED and change.reason is None:
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

    def _recorded_times(self) -> Iterable[datetime]:
        yield self.history[-1].at

    def _event_fields(self) -> Mapping[str, object]:
        return {"lead_id": self.id}

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
        **meta: Unpack[EventMeta],
    ) -> Lead:
        """Capture a new lead (status ``new``) at ``at``; records :class:`LeadCaptured`.

        Raises:
            ValidationError: an argument breaks a rule; the path names it.
        """
        command = cls._begin_new(at, meta)
        return cls._create(
            command,
            lambda lead: LeadCaptured.draft(
                source=lead.source,
                campaign=lead.campaign,
                owner=lead.owner,
                referred_by=lead.referred_by,
            ),
            id=lead_id,
            name=name,
            source=source,
            contact_points=contact_points,
            interest=interest,
            campaign=campaign,
            referred_by=referred_by,
            owner=owner,
        )

    # -- queries --------------------------------------------------------------------------

    @property
    def status(self) -> LeadStatus:
        """The current status (the last entry of the history)."""
        return self.history[-1].status

    @property
    def allowed_statuses(self) -> frozenset[LeadStatus]:
        """The statuses the lead may change to now."""
        return LEAD_STATUSES.allowed(self.status)

    @property
    def disqualification_reason(self) -> str | None:
        """Why the lead was disqualified, while it is (a recycle clears it)."""
        return self.history[-1].reason if self.status is LeadStatus.DISQUALIFIED else None

    @property
    def is_open(self) -> bool:
        """True while the lead is neither converted nor disqualified."""
        return self.status in (LeadStatus.NEW, LeadStatus.CONTACTED, LeadStatus.QUALIFIED)

    # -- commands -------------------------------------------------------------------------

    def change_status(
        self,
        status: LeadStatus | str,
        *,
        at: datetime,
        reason: str | None = None,
        **meta: Unpack[EventMeta],
    ) -> Lead:
        """Move the lead to ``status`` if the machine allows it; records :class:`LeadStatusChanged`.

        Changing to the current status changes nothing. Conversion goes
        through :meth:`convert`, which creates the customer. The reason stays
        in the lead's history; the event does not carry it.

        Raises:
            TransitionNotAllowed: the machine does not allow the change, or
                the change is to ``converted`` (``$.status``, code ``transition``).
            ValidationError: a disqualification without a reason
                (``$.reason``), or ``at`` goes backwards (``time_backwards``).
        """
        wanted = LEAD_STATUSES.parse(status)
        command = self._begin(at, meta)
        text = _text(reason, "$.reason", "a reason")
        if wanted is self.status:
            return self
        if wanted is LeadStatus.CONVERTED:
            raise _use_convert(self.status)
        return self._move(command, wanted, text)

    def _move(
        self, command: Command, wanted: LeadStatus, reason: str | None, **changes: Any
    ) -> Lead:
        target = LEAD_STATUSES.check(self.status, wanted)
        if wanted is LeadStatus.DISQUALIFIED and reason is None:
            raise ValidationError(
                "is required to disqualify a lead", path="$.reason", code="reason_required"
            )
        if len(self.history) >= MAX_HISTORY:
            raise ValidationError(
                f"must hold at most {MAX_HISTORY} changes", path="$.history", code="too_many"
            )
        moved = {"from_status": self.status, "to_status": target}
        draft: EventDraft
        if wanted is LeadStatus.QUALIFIED:
            draft = LeadQualified.draft(**moved)
        elif wanted is LeadStatus.DISQUALIFIED:
            draft = LeadDisqualified.draft(**moved)
        elif wanted is LeadStatus.CONVERTED:
            draft = LeadConverted.draft(
                customer_id=changes["customer_id"],
                opportunity_id=changes.get("opportunity_id"),
                **moved,
            )
        else:
            draft = LeadStatusChanged.draft(**moved)
        change = LeadStatusChange(wanted, command.at, reason)
        return self._record(command, draft, history=(*self.history, change), **changes)

    def contact(
        self, *, at: datetime, reason: str | None = None, **meta: Unpack[EventMeta]
    ) -> Lead:
        """Record that the lead was reached (``new`` becomes ``contacted``)."""
        return self.change_status(LeadStatus.CONTACTED, at=at, reason=reason, **meta)

    def qualify(
        self,
        *,
        at: datetime,
        score: BantScore | None = None,
        reason: str | None = None,
        **meta: Unpack[EventMeta],
    ) -> Lead:
        """Qualify the lead, optionally with its BANT score; records :class:`LeadQualified`.

        With ``score``, :class:`LeadScored` is recorded first (if the score changes).
        Qualifying a qualified lead changes nothing but the score.

        Raises:
            TransitionNotAllowed: the machine does not allow qualifying the lead
                (``$.status``, code ``transition``).
        """
        command = self._begin(at, meta)
        if self.status is not LeadStatus.QUALIFIED:
            LEAD_STATUSES.check(self.status, LeadStatus.QUALIFIED)
        lead = self if score is None else self.rescore(score, at=command.at, **meta)
        return lead.change_status(LeadStatus.QUALIFIED, at=command.at, reason=reason, **meta)

    def disqualify(self, *, at: datetime, reason: str, **meta: Unpack[EventMeta]) -> Lead:
        """Disqualify the lead, saying why; records :class:`LeadDisqualified`.

        The reason stays in the lead (:attr:`disqualification_reason`), not in the event.
        """
        return self.change_status(LeadStatus.DISQUALIFIED, at=at, reason=reason, **meta)

    def recycle(
        self, *, at: datetime, reason: str | None = None, **meta: Unpack[EventMeta]
    ) -> Lead:
        """Give a disqualified lead another chance (back to ``new``); clears the reason.

        Raises:
            TransitionNotAllowed: the lead is not disqualified.
        """
        if self.status is not LeadStatus.DISQUALIFIED:
            raise LEAD_STATUSES.refusal(self.status, LeadStatus.NEW)
        return self.change_status(LeadStatus.NEW, at=at, reason=reason, **meta)

    def rescore(self, score: BantScore, *, at: datetime, **meta: Unpack[EventMeta]) -> Lead:
        """Set the BANT score; records :class:`LeadScored` (the same score changes nothing)."""
        command = self._begin(at, meta)
        checked = instance_of(BantScore, "a BantScore")(score, "$.score")
        if self.status is LeadStatus.CONVERTED:
            raise ValidationError(
                "a converted lead is not scored any more", path="$.status", code="converted"
            )
        if checked == self.score:
            return self
        return self._record(command, LeadScored.draft(score=checked), score=checked)

    def assign(self, owner: StaffId | None, *, at: datetime, **meta: Unpack[EventMeta]) -> Lead:
        """Assign the lead to a member of staff (``None``: unassign); records :class:`LeadAssigned`."""
        command = self._begin(at, meta)
        if owner is not None and type(owner) is not StaffId:
            raise InvalidType(f"must be a StaffId, not {type_name(owner)}", path="$.owner")
        if owner == self.owner:
            return self
        draft = LeadAssigned.draft(owner=owner, previous=self.owner)
        return self._record(command, draft, owner=owner)

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
        **meta: Unpack[EventMeta],
    ) -> LeadConversion:
        """Convert a qualified lead into a customer, and optionally an opportunity.

        The customer is registered with ``Customer.register`` under
        ``customer_id`` with the lead's name and contact points (and records
        its own events). With ``opportunity_id``, an opportunity is opened for
        the new customer too: ``pipeline``, ``amount`` and ``expected_close``
        are then required; the name defaults to the lead's interest and the
        owner to the lead's owner. The lead becomes ``converted`` and records
        :class:`LeadConverted`. The envelope keywords (``actor``, ...) go to
        the events of all three.

        Raises:
            TransitionNotAllowed: the lead is not qualified (``$.status``,
                code ``transition``).
            ValidationError: an opportunity argument is missing (its path,
                code ``required``), or any argument breaks a rule.
        """
        command = self._begin(at, meta)
        LEAD_STATUSES.check(self.status, LeadStatus.CONVERTED)
        customer = Customer.register(
            customer_id,
            name=self.name,
            at=command.at,
            contact_points=self.contact_points,
            **meta,
        )
        opportunity = None
        if opportunity_id is not None:
            opportunity = self._open_opportunity(
                opportunity_id,
                customer.id,
                command.at,
                meta,
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
            command,
            LeadStatus.CONVERTED,
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
        meta: EventMeta,
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
            **meta,
        )

    def __repr__(self) -> str:
        score = "None" if self.score is None else str(self.score.score)
        return (
            f"Lead(id={self.id!r}, source={self.source.value!r}, "
            f"status={self.status.value!r}, score={score}, "
            f"version={self.version}, pending_events={len(self.pending_events)})"
        )
