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
conversion. A lead has an optional owner and team (:meth:`Lead.assign`
changes both in one event) and holds the consent it gave, as the customers'
:class:`~crmcore.customers.ConsentRecord` s (:meth:`Lead.give_consent`,
:meth:`Lead.withdraw_consent`). :meth:`Lead.convert` turns a qualified lead
into a new :class:`~crmcore.Customer` (with the lead's name, contact points
and consent), :meth:`Lead.convert_into` into a customer that exists already
(found with :mod:`crmcore.parties`), which takes over the lead's consent
without ever turning its own withdrawal into a permission; either may open an
:class:`~crmcore.sales.Opportunity` too, and both return a
:class:`LeadConversion`. The lead's values and events are in
:mod:`crmcore.sales._lead_events`.

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
from operator import attrgetter
from types import EllipsisType, MappingProxyType
from typing import Any, Final, NamedTuple, Unpack

import attrs

from crmcore._kernel._aggregate import Command, RepointsCustomer, optional_typed_id
from crmcore._kernel._checks import (
    check_unique,
    enum_converter,
    instance_of,
    items_of,
    normalize_tag,
    type_name,
)
from crmcore._kernel._events import EventDraft, EventMeta
from crmcore._kernel._fields import Checked
from crmcore._kernel._ids import CustomerId, LeadId, OpportunityId, StaffId, TeamId
from crmcore._kernel._money import Money
from crmcore._kernel._personal import ERASED, HoldsPersonalData
from crmcore.customers import (
    ConsentHolder,
    ConsentRecord,
    ContactPoint,
    Customer,
    OrganizationName,
    PersonName,
    consents_without_identity,
)
from crmcore.errors import InvalidType, TransitionNotAllowed, ValidationError
from crmcore.sales._lead_consent import carried_consents
from crmcore.sales._lead_events import (
    LEAD_STATUSES,
    BantScore,
    LeadAnonymised,
    LeadAssigned,
    LeadCaptured,
    LeadConsentRecorded,
    LeadConverted,
    LeadCustomerRepointed,
    LeadDisqualified,
    LeadQualified,
    LeadScored,
    LeadSource,
    LeadStatus,
    LeadStatusChange,
    LeadStatusChanged,
    text_field,
)
from crmcore.sales._opportunities import Opportunity
from crmcore.sales._pipeline import PipelineDefinition

#: Most contact points one lead may hold.
MAX_CONTACT_POINTS: Final = 20
#: Most status changes one lead may hold.
MAX_HISTORY: Final = 1_000
#: Most consent records one lead may hold.
MAX_CONSENTS: Final = 1_000


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
    check_unique(
        points,
        attrgetter("key"),
        "$.contact_points[{}]",
        "must not repeat a contact point (same channel and value)",
    )
    return points


def _lead_interest(value: object) -> str | None:
    return text_field(value, "$.interest", "an interest")


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


def _lead_consents(value: object) -> tuple[ConsentRecord, ...]:
    return items_of(
        value,
        ConsentRecord,
        "$.consents",
        "a ConsentRecord",
        max_items=MAX_CONSENTS,
        noun="records",
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


class _OpportunityTerms(NamedTuple):
    """The opportunity arguments of :meth:`Lead.convert` and :meth:`Lead.convert_into`."""

    pipeline: PipelineDefinition | None
    amount: Money | None
    expected_close: date | None
    opportunity_name: str | None
    owner: StaffId | None
    stage: str | None


@attrs.frozen(slots=True, kw_only=True)
class LeadConversion(Checked):
    """What a conversion produced, for the caller to store in one unit of work.

    Both :meth:`Lead.convert` (into a new customer) and
    :meth:`Lead.convert_into` (into an existing one) return it.

    Attributes:
        lead: the converted lead (save it).
        customer: the customer it converted into, holding the consent the
            lead handed over: a new one to ``add`` when ``into_existing`` is
            false, the existing one with new events to ``save`` when it is true.
        opportunity: the opportunity opened on conversion (to ``add``), if any.
        into_existing: whether ``customer`` existed before the conversion.
    """

    lead: Lead
    customer: Customer
    opportunity: Opportunity | None = None
    into_existing: bool = False


@attrs.frozen(slots=True, kw_only=True, repr=False)
class Lead(RepointsCustomer[LeadId], ConsentHolder, HoldsPersonalData[LeadId], kind="lead"):
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
    repr leaves them out, and so do the events. :meth:`anonymise` erases
    them in any status (:class:`LeadAnonymised`): the name becomes a
    placeholder of its kind (``"[erased]"``), the contact points go, the
    interest and reasons become ``None`` (a disqualification keeps
    ``"[erased]"`` as its required reason). The consent records stay
    unchanged, as proof of what was agreed.

    Attributes:
        history: every status entered, oldest first; the first is ``new`` at
            ``created_at`` (the capture).
        customer_id: the customer the lead became, once converted.
        opportunity_id: the opportunity opened on conversion, if any.
    """

    _repointed_by = LeadCustomerRepointed
    _customer_fields = ("customer_id", "referred_by")
    _anonymised_by = LeadAnonymised
    personal_fields = (
        "name",
        "contact_points",
        "interest",
        "status_reasons",
        "consent_addresses",
    )

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
    #: The team the lead belongs to, if any (its owner need not be a member).
    team: TeamId | None = attrs.field(default=None, validator=optional_typed_id(TeamId, "$.team"))
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
    consents: tuple[ConsentRecord, ...] = attrs.field(default=(), converter=_lead_consents)

    def _check(self) -> None:
        LEAD_STATUSES.check_history(
            self.history, start=LeadStatus.NEW, at=self.created_at, what="the lead was captured"
        )
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
        if self.consents:
            self._check_consents(self.history[-1].at if converted else None)

    def _check_consents(self, converted_at: datetime | None) -> None:
        for index, record in enumerate(self.consents):
            if record.captured_at < self.created_at:
                raise ValidationError(
                    "must not be captured before the lead was",
                    path=f"$.consents[{index}].captured_at",
                    code="before_capture",
                )
            if converted_at is not None and record.captured_at > converted_at:
                raise ValidationError(
                    "must not be captured after the lead was converted "
                    "(the customer it became holds later consent)",
                    path=f"$.consents[{index}].captured_at",
                    code="after_conversion",
                )

    def _recorded_times(self) -> Iterable[datetime]:
        yield self.history[-1].at
        for record in self.consents:
            yield record.captured_at

    def _event_fields(self) -> Mapping[str, object]:
        return {"lead_id": self.id}

    def _tombstones(self, fields: frozenset[str]) -> dict[str, Any]:
        changes: dict[str, Any] = {}
        if "name" in fields:
            changes["name"] = type(self.name)(ERASED)
        if "contact_points" in fields:
            changes["contact_points"] = ()
        if "interest" in fields:
            changes["interest"] = None
        if "consent_addresses" in fields:
            # Consent stays as proof of what was given, without the address it named.
            changes["consents"] = consents_without_identity(self.consents)
        if "status_reasons" in fields:
            # A disqualification needs a reason: it keeps a tombstone; every other reason goes.
            changes["history"] = tuple(
                attrs.evolve(c, reason=ERASED if c.status is LeadStatus.DISQUALIFIED else None)
                for c in self.history
            )
        return changes

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
        team: TeamId | None = None,
        **meta: Unpack[EventMeta],
    ) -> Lead:
        """Capture a new lead (status ``new``) at ``at``; records :class:`LeadCaptured`.

        ``owner`` is the member of staff working the lead, ``team`` the team
        it belongs to (both optional). Consent the lead gives (on the web
        form, say) is recorded next with :meth:`give_consent`.

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
                team=lead.team,
            ),
            id=lead_id,
            name=name,
            source=source,
            contact_points=contact_points,
            interest=interest,
            campaign=campaign,
            referred_by=referred_by,
            owner=owner,
            team=team,
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
    def status_reasons(self) -> tuple[str | None, ...]:
        """The reason given for each status change, in the order of :attr:`history`."""
        return tuple(change.reason for change in self.history)

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
        text = text_field(reason, "$.reason", "a reason")
        if wanted is self.status:
            return self
        if wanted is LeadStatus.CONVERTED:
            raise _use_convert(self.status)
        return self._move(command, wanted, text)

    def _move(
        self,
        command: Command,
        wanted: LeadStatus,
        reason: str | None,
        *,
        converted: Mapping[str, object] = MappingProxyType({}),
        **changes: Any,
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
            draft = LeadConverted.draft(**converted, **moved)
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

    def assign(
        self,
        owner: StaffId | None,
        team: TeamId | EllipsisType | None = ...,
        *,
        at: datetime,
        **meta: Unpack[EventMeta],
    ) -> Lead:
        """Reassign the lead to ``owner`` and ``team``; records one :class:`LeadAssigned`.

        ``owner=None`` unassigns the lead and ``team=None`` takes it out of its
        team; leaving ``team`` out keeps the team it has. Giving the owner and
        team it already has changes nothing and records nothing.

        Raises:
            InvalidType: ``owner`` is not a StaffId or ``None`` (``$.owner``),
                or ``team`` not a TeamId or ``None`` (``$.team``).
        """
        command = self._begin(at, meta)
        return self._assign_owner("owner", owner, team, LeadAssigned, command)

    # -- consent --------------------------------------------------------------------------

    def record_consent(self, record: ConsentRecord, **meta: Unpack[EventMeta]) -> Lead:
        """Append a consent record, as of its ``captured_at``; records :class:`LeadConsentRecorded`.

        The history is append-only, and its times never go backwards: a record
        captured before the lead's last change is refused. A converted lead
        takes no more consent (record it on the customer it became); an open
        or disqualified lead does, so a withdrawal can always be recorded.

        Raises:
            InvalidType: ``record`` is not a ConsentRecord (``$.record``).
            ValidationError: ``captured_at`` goes backwards
                (``$.record.captured_at``, code ``time_backwards``), the lead
                is converted (``$.status``, code ``converted``) or holds the
                most records it may (``$.consents``, code ``too_many``).
        """
        checked = instance_of(ConsentRecord, "a ConsentRecord")(record, "$.record")
        command = self._begin(checked.captured_at, meta, path="$.record.captured_at")
        if self.status is LeadStatus.CONVERTED:
            raise ValidationError(
                "a converted lead takes no more consent; record it on the customer it became",
                path="$.status",
                code="converted",
            )
        draft = LeadConsentRecorded.draft(
            channel=checked.channel,
            purpose=checked.purpose,
            status=checked.status,
            legal_basis=checked.legal_basis,
            expires_at=checked.expires_at,
            for_address=checked.for_address,
        )
        return self._record(command, draft, consents=(*self.consents, checked))

    # -- conversion -----------------------------------------------------------------------

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
        """Convert a qualified lead into a new customer, and optionally an opportunity.

        The customer is registered with ``Customer.register`` under
        ``customer_id`` with the lead's name and contact points (and records
        its own events), then takes over the consent the lead gave: for each
        channel and purpose, the lead's latest record, unless it is a grant
        that has lapsed, recorded with ``Customer.record_consent`` as of the
        conversion (the customer's history starts then; the lead keeps the
        original records and times). With ``opportunity_id``, an opportunity
        is opened for the new customer too: ``pipeline``, ``amount`` and
        ``expected_close`` are then required; the name defaults to the lead's
        interest, the owner to the lead's owner, and its team is the lead's.
        The lead becomes ``converted`` and records :class:`LeadConverted`. The
        envelope keywords (``actor``, ...) go to the events of all three. To
        convert into a customer that exists already, use :meth:`convert_into`.

        Raises:
            TransitionNotAllowed: the lead is not qualified (``$.status``,
                code ``transition``).
            ValidationError: ``at`` is before the lead's last change, such as
                its latest consent (``$.at``, code ``time_backwards``); an
                opportunity argument is missing (its path, code ``required``),
                or any argument breaks a rule.
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
        held = {(point.channel, point.value) for point in customer.contact_points}
        for record in carried_consents(self.consents, (), command.at, held):
            customer = customer.record_consent(record, **meta)
        terms = _OpportunityTerms(pipeline, amount, expected_close, opportunity_name, owner, stage)
        return self._converted(
            command, customer, meta, into_existing=False, opportunity_id=opportunity_id, terms=terms
        )

    def convert_into(
        self,
        customer: Customer,
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
        """Convert a qualified lead into a customer (or account) that exists already.

        Find the customer with the match rules of :mod:`crmcore.parties`:
        build the lead's contact data as a :class:`~crmcore.parties.PartyRecord`
        and look for it among the stored customers (here a list; an
        application passes the customers its repository holds, or a filtered
        page of them):

        >>> from datetime import datetime, timedelta, timezone
        >>> from crmcore.customers import ContactPoint, CustomerId, PersonName
        >>> from crmcore.parties import PartyRecord, find_matches
        >>> t0 = datetime(2026, 3, 2, 9, 0, tzinfo=timezone.utc)
        >>> dewi = Customer.register(
        ...     CustomerId("c-1"),
        ...     name=PersonName("Dewi", family="Lestari"),
        ...     at=t0,
        ...     contact_points=[ContactPoint("email", "dewi@example.com")],
        ... ).withdraw_consent(
        ...     "email", "marketing", at=t0 + timedelta(days=3), source="unsubscribe"
        ... )
        >>> budi = Customer.register(CustomerId("c-2"), name=PersonName("Budi"), at=t0)
        >>> lead = (
        ...     Lead.capture(
        ...         LeadId("lead-7"),
        ...         name=PersonName("Ibu Dewi", family="Lestari"),
        ...         source="web",
        ...         at=t0 + timedelta(days=1),
        ...         contact_points=[ContactPoint("email", "Dewi@Example.com")],
        ...     )
        ...     .give_consent("email", "marketing", at=t0 + timedelta(days=1), source="web-form")
        ...     .give_consent("sms", "marketing", at=t0 + timedelta(days=1), source="web-form")
        ...     .qualify(at=t0 + timedelta(days=4))
        ... )
        >>> probe = PartyRecord.from_parts(
        ...     lead.id, name=lead.name, contact_points=lead.contact_points
        ... )
        >>> found = find_matches(probe, [dewi, budi])
        >>> [(c.right, c.rule) for c in found]
        [(CustomerId('c-1'), 'email_and_name')]
        >>> done = lead.convert_into(dewi, at=t0 + timedelta(days=5), actor="rep-3")
        >>> done.into_existing, done.lead.status.value, done.lead.customer_id
        (True, 'converted', CustomerId('c-1'))
        >>> [e.type for e in done.customer.pending_events]
        ['CustomerRegistered', 'CustomerContactPointAdded', 'CustomerConsentWithdrawn', 'CustomerConsentGiven']
        >>> at = t0 + timedelta(days=5)
        >>> done.customer.may_contact("email", "marketing", at=at)  # her later withdrawal holds
        False
        >>> done.customer.may_contact("sms", "marketing", at=at)  # the lead's grant came over
        True

        The customer takes over the consent the lead gave by its own
        ``record_consent`` command (so its events and rules hold), dated at
        the conversion: for each channel and purpose, the lead's latest
        record, unless it is a grant that has lapsed or the customer's own
        latest record of that channel and purpose is as new or newer. A
        withdrawal is never turned into a permission: when the customer
        withdrew after the lead granted, the withdrawal stays the latest
        decision (and a withdrawal for every channel still wins over any
        grant for one). Contact points and the rest of the customer are left
        as they are. A person lead converts into a person, an organization
        lead into an organization (an account); to add a person to an
        account, convert into a person customer and link the two with a
        contact :class:`~crmcore.parties.Relationship`.

        The opportunity arguments are those of :meth:`convert`. Store the
        result in one unit of work: save the lead and the customer, add the
        opportunity.

        Raises:
            InvalidType: ``customer`` is not a Customer (``$.customer``).
            TransitionNotAllowed: the lead is not qualified (already converted,
                disqualified, new; ``$.status``, code ``transition``).
            ValidationError: ``at`` is before the lead's last change, such as
                its latest consent, or before the customer's last change
                (``$.at``, code ``time_backwards``); the customer is of the
                other kind (``$.customer.kind``, code ``kind_mismatch``) or
                referred the lead (``$.customer``, code ``self_referral``);
                the customer holds the most consent records it may (under
                ``$.customer``); an opportunity argument is missing or wrong.
        """
        command = self._begin(at, meta)
        if not isinstance(customer, Customer):
            raise InvalidType(f"must be a Customer, not {type_name(customer)}", path="$.customer")
        LEAD_STATUSES.check(self.status, LeadStatus.CONVERTED)
        if command.at < customer.updated_at:
            raise ValidationError(
                "must not be before the customer's last change (times never go backwards)",
                path="$.at",
                code="time_backwards",
            )
        if isinstance(self.name, PersonName) != isinstance(customer.name, PersonName):
            raise ValidationError(
                f"must be of the lead's kind ({'person' if isinstance(self.name, PersonName) else 'organization'})",
                path="$.customer.kind",
                code="kind_mismatch",
            )
        if self.referred_by == customer.id:
            raise ValidationError(
                "must not be the customer who referred the lead",
                path="$.customer",
                code="self_referral",
            )
        updated = customer
        try:
            held = {(point.channel, point.value) for point in customer.contact_points}
            for record in carried_consents(self.consents, customer.consents, command.at, held):
                updated = updated.record_consent(record, **meta)
        except ValidationError as exc:
            raise exc.under("$.customer") from None
        terms = _OpportunityTerms(pipeline, amount, expected_close, opportunity_name, owner, stage)
        return self._converted(
            command, updated, meta, into_existing=True, opportunity_id=opportunity_id, terms=terms
        )

    def _converted(
        self,
        command: Command,
        customer: Customer,
        meta: EventMeta,
        *,
        into_existing: bool,
        opportunity_id: OpportunityId | None,
        terms: _OpportunityTerms,
    ) -> LeadConversion:
        """Open the opportunity (if asked) and convert the lead: the end of both conversions."""
        opportunity = None
        if opportunity_id is not None:
            opportunity = self._open_opportunity(
                opportunity_id, customer.id, command.at, meta, terms
            )
        else:
            for name in ("pipeline", "amount", "expected_close", "opportunity_name", "stage"):
                if getattr(terms, name) is not None:
                    raise ValidationError(
                        "is only for opening an opportunity (give opportunity_id too)",
                        path=f"$.{name}",
                        code="without_opportunity",
                    )
        lead = self._move(
            command,
            LeadStatus.CONVERTED,
            None,
            converted={
                "customer_id": customer.id,
                "opportunity_id": opportunity_id,
                "into_existing": into_existing,
            },
            customer_id=customer.id,
            opportunity_id=opportunity_id,
        )
        return LeadConversion(
            lead=lead, customer=customer, opportunity=opportunity, into_existing=into_existing
        )

    def _open_opportunity(
        self,
        opportunity_id: OpportunityId,
        customer_id: CustomerId,
        when: datetime,
        meta: EventMeta,
        terms: _OpportunityTerms,
    ) -> Opportunity:
        pipeline, amount, expected_close, name, owner, stage = terms
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
            team=self.team,
            **meta,
        )

    def __repr__(self) -> str:
        score = "None" if self.score is None else str(self.score.score)
        return (
            f"Lead(id={self.id!r}, source={self.source.value!r}, "
            f"status={self.status.value!r}, score={score}, "
            f"version={self.version}, pending_events={len(self.pending_events)})"
        )
