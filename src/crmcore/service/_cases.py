"""Service cases: complaints, questions and requests, and the status machine they move through.

A :class:`Case` is opened for a customer on a channel, with a kind and a
priority. It moves through an explicit status machine (``CASE_TRANSITIONS``)::

    new               -> open, pending_customer, resolved
    open              -> pending_customer, resolved
    pending_customer  -> open, resolved
    resolved          -> closed, open (a reopen)
    closed            -> open (a reopen)

Every change is kept in an append-only history whose times never go
backwards. Service-level targets (first response, resolution) are measured
on that history by :func:`~crmcore.service.sla_status`.

>>> from datetime import datetime, timedelta, timezone
>>> from crmcore.service import CaseId
>>> from crmcore.customers import CustomerId
>>> t0 = datetime(2026, 3, 2, 9, 0, tzinfo=timezone.utc)
>>> case = Case.open(
...     CaseId("case-1"),
...     customer_id=CustomerId("c-1"),
...     kind="complaint",
...     priority="high",
...     subject="Parcel arrived damaged",
...     channel="email",
...     at=t0,
... )
>>> case = case.respond(at=t0 + timedelta(minutes=20))  # a new case becomes open
>>> case = case.wait_on_customer(at=t0 + timedelta(minutes=25), reason="asked for photos")
>>> case.status.value
'pending_customer'
>>> case.resolve(at=t0 + timedelta(minutes=30)).close(at=t0 + timedelta(days=1)).status.value
'closed'
>>> case.close(at=t0 + timedelta(hours=1))
Traceback (most recent call last):
...
crmcore.errors.TransitionNotAllowed: $.status: a case that is pending_customer cannot become closed; it may become: open, resolved
"""

from __future__ import annotations

from bisect import bisect_right
from collections.abc import Iterable, Mapping, Sequence
from datetime import datetime
from enum import StrEnum
from types import EllipsisType
from typing import Any, Final, Unpack

import attrs

from crmcore._kernel._aggregate import RepointsCustomer, optional_typed_id, typed_id
from crmcore._kernel._checks import (
    aware,
    clean_text,
    enum_converter,
    instance_of,
    items_of,
    optional_aware,
    require_aware,
    type_name,
)
from crmcore._kernel._events import DomainEvent, EventDraft, EventMeta, event_rule
from crmcore._kernel._ids import CaseId, CustomerId, OrderId, StaffId, TeamId
from crmcore._kernel._involved import InvolvedContact, InvolvesContacts, check_involved_contacts
from crmcore._kernel._personal import ERASED, HoldsPersonalData, PersonalDataErasedEvent
from crmcore._kernel._repoint import CustomerRepointedEvent
from crmcore._kernel._status import StatusMachine
from crmcore._kernel._timeline import TimelineEntry
from crmcore.customers import Channel
from crmcore.errors import InvalidType, ValidationError

#: Longest case subject, in characters.
MAX_SUBJECT: Final = 200
#: Longest case description, in characters.
MAX_DESCRIPTION: Final = 10_000
#: Longest reason given for a status change, in characters.
MAX_REASON: Final = 500
#: Most status changes one case may hold.
MAX_HISTORY: Final = 10_000
#: Most escalations one case may hold.
MAX_ESCALATIONS: Final = 100
#: Highest escalation level.
MAX_LEVEL: Final = 10
#: Longest escalation rule name or role name, in characters.
MAX_NAME: Final = 100


class CaseKind(StrEnum):
    """What the customer came with."""

    COMPLAINT = "complaint"
    QUESTION = "question"
    REQUEST = "request"


class CasePriority(StrEnum):
    """How urgent a case is; SLA policies set targets per priority."""

    LOW = "low"
    NORMAL = "normal"
    HIGH = "high"
    URGENT = "urgent"

    @property
    def rank(self) -> int:
        """0 for low up to 3 for urgent, for sorting.

        >>> sorted(["urgent", "low", "high"], key=lambda p: CasePriority(p).rank)
        ['low', 'high', 'urgent']
        """
        return tuple(CasePriority).index(self)


class CaseStatus(StrEnum):
    """Where a case stands.

    ``new`` (not yet picked up), ``open`` (being worked on),
    ``pending_customer`` (waiting on the customer: SLA clocks pause),
    ``resolved`` (answered or fixed; may be reopened), ``closed`` (done).
    """

    NEW = "new"
    OPEN = "open"
    PENDING_CUSTOMER = "pending_customer"
    RESOLVED = "resolved"
    CLOSED = "closed"


_S = CaseStatus
#: The status machine: the statuses each status may change to.
CASE_STATUSES: Final = StatusMachine(
    "case",
    {
        _S.NEW: {_S.OPEN, _S.PENDING_CUSTOMER, _S.RESOLVED},
        _S.OPEN: {_S.PENDING_CUSTOMER, _S.RESOLVED},
        _S.PENDING_CUSTOMER: {_S.OPEN, _S.RESOLVED},
        _S.RESOLVED: {_S.OPEN, _S.CLOSED},
        _S.CLOSED: {_S.OPEN},
    },
)
#: Statuses in which a case is still being worked on (not resolved or closed).
ACTIVE_STATUSES: Final = frozenset({_S.NEW, _S.OPEN, _S.PENDING_CUSTOMER})
#: Statuses in which a case is done, for now (a reopen brings it back).
DONE_STATUSES: Final = frozenset({_S.RESOLVED, _S.CLOSED})


class SlaMetric(StrEnum):
    """What a service-level target measures."""

    FIRST_RESPONSE = "first_response"
    RESOLUTION = "resolution"


def _reason(value: object, path: str) -> str | None:
    if value is None:
        return None
    return clean_text(value, path, max_length=MAX_REASON, allow_newlines=True, what="a reason")


def _name(value: object, path: str) -> str:
    return clean_text(value, path, max_length=MAX_NAME, what="a name")


# -- values ------------------------------------------------------------------------------


def _statuschange_status(value: object) -> CaseStatus:
    return enum_converter(CaseStatus, "$.status")(value)


def _statuschange_at(value: object) -> datetime:
    return aware("$.at")(value)


def _statuschange_reason(value: object) -> str | None:
    return _reason(value, "$.reason")


@attrs.frozen(slots=True)
class StatusChange:
    """One entry of a case's status history: the status entered, when, and why.

    The reason is free text that may hold personal data, so the repr leaves it out.
    """

    status: CaseStatus = attrs.field(converter=_statuschange_status)
    at: datetime = attrs.field(converter=_statuschange_at)
    reason: str | None = attrs.field(default=None, converter=_statuschange_reason, repr=False)


def _escalation_rule(value: object) -> str:
    return _name(value, "$.rule")


def _escalation_metric(value: object) -> SlaMetric:
    return enum_converter(SlaMetric, "$.metric")(value)


def _escalation_level(_: object, __: attrs.Attribute[Any], value: object) -> None:
    if isinstance(value, bool) or not isinstance(value, int):
        raise InvalidType(f"must be an int, not {type_name(value)}", path="$.level")
    if not 1 <= value <= MAX_LEVEL:
        raise ValidationError(f"must be from 1 to {MAX_LEVEL}", path="$.level", code="range")


def _escalation_due_at(value: object) -> datetime:
    return aware("$.due_at")(value)


def _escalation_role(value: object) -> str | None:
    return None if value is None else _name(value, "$.notify_role")


@attrs.frozen(slots=True, kw_only=True)
class Escalation:
    """An escalation of a case: which rule, which SLA metric, to what level, whom to notify.

    ``due_at`` is when the rule's threshold was crossed. :func:`due_escalations`
    computes them; :meth:`Case.escalate` records them (once per rule).
    """

    rule: str = attrs.field(converter=_escalation_rule)
    metric: SlaMetric = attrs.field(converter=_escalation_metric)
    level: int = attrs.field(validator=_escalation_level)
    due_at: datetime = attrs.field(converter=_escalation_due_at)
    notify_role: str | None = attrs.field(default=None, converter=_escalation_role)


# -- events ------------------------------------------------------------------------------


@attrs.frozen(slots=True, kw_only=True)
class CaseEvent(DomainEvent, aggregate="case"):
    """Base of the events recorded by a :class:`Case`."""

    case_id: CaseId
    customer_id: CustomerId


@attrs.frozen(slots=True, kw_only=True)
class CaseOpened(CaseEvent):
    """A case was opened (its subject and description stay in the case, not the event)."""

    kind: CaseKind
    priority: CasePriority
    channel: Channel
    assignee: StaffId | None = None
    order_id: OrderId | None = None
    team: TeamId | None = None
    #: The contacts involved from the start (events stored before contacts load with none).
    contacts: tuple[InvolvedContact, ...] = ()


#: The status the events named after one move always move to.
_NAMED_MOVES: Final = {"CaseResolved": CaseStatus.RESOLVED, "CaseClosed": CaseStatus.CLOSED}


@attrs.frozen(slots=True, kw_only=True)
class CaseStatusChanged(CaseEvent):
    """The case's status changed.

    Changes to ``resolved`` and ``closed``, and reopenings, are recorded as the
    subclasses :class:`CaseResolved`, :class:`CaseClosed` and
    :class:`CaseReopened`, so a handler of this class sees every change.
    """

    from_status: CaseStatus
    to_status: CaseStatus

    def _check(self) -> None:
        named = _NAMED_MOVES.get(type(self).__name__)
        CASE_STATUSES.check_recorded(self.from_status, self.to_status, named)


@attrs.frozen(slots=True, kw_only=True)
class CaseResolved(CaseStatusChanged):
    """The case was resolved."""


@attrs.frozen(slots=True, kw_only=True)
class CaseClosed(CaseStatusChanged):
    """The case was closed."""


@attrs.frozen(slots=True, kw_only=True)
class CaseReopened(CaseStatusChanged):
    """A resolved or closed case was opened again."""


@attrs.frozen(slots=True, kw_only=True)
class CaseFirstResponded(CaseEvent):
    """The business responded to the customer for the first time (``occurred_at``)."""


@attrs.frozen(slots=True, kw_only=True)
class CaseAssigned(CaseEvent):
    """The case was reassigned: its assignee (``None``: unassigned), its team or both changed.

    ``assignee`` and ``team`` are the new values, ``previous`` and
    ``previous_team`` the old ones (equal to the new ones for the part that
    did not change). Events stored before cases had teams load with both
    teams ``None``.
    """

    assignee: StaffId | None
    previous: StaffId | None = None
    team: TeamId | None = None
    previous_team: TeamId | None = None


@attrs.frozen(slots=True, kw_only=True)
class CaseContactsChanged(CaseEvent):
    """The contacts involved in the case, or their roles, changed.

    ``contacts`` is the whole new list and ``previous`` the list before, each
    an :class:`~crmcore.parties.InvolvedContact` (a customer id, a role code
    and the primary flag: ids and codes, never names).
    """

    contacts: tuple[InvolvedContact, ...]
    previous: tuple[InvolvedContact, ...]


@attrs.frozen(slots=True, kw_only=True)
class CasePriorityChanged(CaseEvent):
    """The case's priority changed (and with it its SLA targets)."""

    from_priority: CasePriority
    to_priority: CasePriority

    def _check(self) -> None:
        event_rule(
            self.from_priority is not self.to_priority, "$.to_priority", "must differ", "unchanged"
        )


@attrs.frozen(slots=True, kw_only=True)
class CaseEscalated(CaseEvent):
    """The case was escalated; the host notifies ``escalation.notify_role``."""

    escalation: Escalation

    def _check(self) -> None:
        event_rule(
            self.escalation.due_at <= self.occurred_at,
            "$.escalation.due_at",
            "must not be due after the time it is recorded",
            "not_due",
        )


@attrs.frozen(slots=True, kw_only=True)
class CaseCustomerRepointed(CustomerRepointedEvent, CaseEvent):
    """The case names ``customer_id``, the customer ``previous`` was merged into.

    ``fields`` names the fields that named ``previous``.
    """

    previous: CustomerId
    fields: tuple[str, ...]


@attrs.frozen(slots=True, kw_only=True)
class CaseAnonymised(PersonalDataErasedEvent, CaseEvent):
    """The case's personal fields (``fields``: subject, description, status reasons) were erased."""

    fields: tuple[str, ...]


# -- the aggregate -----------------------------------------------------------------------


def _case_kind(value: object) -> CaseKind:
    return enum_converter(CaseKind, "$.kind")(value)


def _case_priority(value: object) -> CasePriority:
    return enum_converter(CasePriority, "$.priority")(value)


def _case_channel(value: object) -> Channel:
    return enum_converter(Channel, "$.channel")(value)


def _case_subject(value: object) -> str:
    return clean_text(value, "$.subject", max_length=MAX_SUBJECT, what="a subject")


def _case_description(value: object) -> str | None:
    if value is None:
        return None
    return clean_text(
        value,
        "$.description",
        max_length=MAX_DESCRIPTION,
        allow_newlines=True,
        what="a description",
    )


def _first_history(case: Case) -> tuple[StatusChange, ...]:
    return (StatusChange(CaseStatus.NEW, case.created_at),)


def _case_first_responded_at(value: object) -> datetime | None:
    return optional_aware("$.first_responded_at")(value)


def _case_history(value: object) -> tuple[StatusChange, ...]:
    return items_of(
        value, StatusChange, "$.history", "a StatusChange", max_items=MAX_HISTORY, noun="changes"
    )


def _case_contacts(value: object) -> tuple[InvolvedContact, ...]:
    return check_involved_contacts(value, "$.contacts")


def _case_escalations(value: object) -> tuple[Escalation, ...]:
    return items_of(
        value,
        Escalation,
        "$.escalations",
        "an Escalation",
        max_items=MAX_ESCALATIONS,
        noun="escalations",
    )


@attrs.frozen(slots=True, kw_only=True, repr=False)
class Case(
    InvolvesContacts[CaseId],
    RepointsCustomer[CaseId],
    HoldsPersonalData[CaseId],
    kind="case",
    v1_renames={"opened_at": "created_at"},
):
    """A service case: a complaint, question or request from one customer.

    Open one with :meth:`open`. Like every crmcore aggregate it is immutable:
    commands return a new case and record events in :attr:`pending_events`;
    a command that fails raises :class:`~crmcore.ValidationError` and changes
    nothing. Every command takes the time it happens at, which must not be
    before the case's last change (:attr:`updated_at`): times never go
    backwards. Every command also takes the envelope keywords ``actor``,
    ``correlation_id`` and ``causation_id`` (see :mod:`crmcore.events`).

    The subject, the description and the reasons given for status changes
    are free text that may hold personal data: the repr leaves them out and
    :meth:`anonymise` erases them (the subject becomes ``"[erased]"``, the
    rest ``None``), keeping the ids, statuses, times and escalations.

    Attributes:
        history: every status the case entered, oldest first; the first is
            ``new`` at ``created_at`` (the opening).
        first_responded_at: when the business first responded, if it has.
        escalations: the escalations recorded, one per rule at most.
        contacts: the contacts involved (the reporter, an approver, ...) and
            their roles (see :meth:`change_contacts`), in the order given:
            each contact in each role once, at most one primary.
    """

    _repointed_by = CaseCustomerRepointed
    _customer_fields = ("customer_id",)
    _anonymised_by = CaseAnonymised
    personal_fields = ("subject", "description", "status_reasons")

    customer_id: CustomerId = attrs.field(validator=typed_id(CustomerId, "$.customer_id"))
    kind: CaseKind = attrs.field(converter=_case_kind)
    priority: CasePriority = attrs.field(converter=_case_priority)
    subject: str = attrs.field(converter=_case_subject)
    channel: Channel = attrs.field(converter=_case_channel)
    description: str | None = attrs.field(default=None, converter=_case_description)
    assignee: StaffId | None = attrs.field(
        default=None, validator=optional_typed_id(StaffId, "$.assignee")
    )
    order_id: OrderId | None = attrs.field(
        default=None, validator=optional_typed_id(OrderId, "$.order_id")
    )
    #: The team the case belongs to (a service queue), if any.
    team: TeamId | None = attrs.field(default=None, validator=optional_typed_id(TeamId, "$.team"))
    history: tuple[StatusChange, ...] = attrs.field(
        default=attrs.Factory(_first_history, takes_self=True), converter=_case_history
    )
    first_responded_at: datetime | None = attrs.field(
        default=None, converter=_case_first_responded_at
    )
    escalations: tuple[Escalation, ...] = attrs.field(default=(), converter=_case_escalations)
    contacts: tuple[InvolvedContact, ...] = attrs.field(default=(), converter=_case_contacts)

    _contacts_changed = CaseContactsChanged

    def _check(self) -> None:
        CASE_STATUSES.check_history(
            self.history, start=CaseStatus.NEW, at=self.created_at, what="the case was opened"
        )
        if self.first_responded_at is not None and self.first_responded_at < self.created_at:
            raise ValidationError(
                "must not be before the case was opened",
                path="$.first_responded_at",
                code="before_opened",
            )
        rules: set[str] = set()
        for index, escalation in enumerate(self.escalations):
            if escalation.rule in rules:
                raise ValidationError(
                    "must not record the same rule twice",
                    path=f"$.escalations[{index}].rule",
                    code="duplicate",
                )
            rules.add(escalation.rule)
            if escalation.due_at < self.created_at:
                raise ValidationError(
                    "must not be before the case was opened",
                    path=f"$.escalations[{index}].due_at",
                    code="before_opened",
                )

    def _tombstones(self, fields: frozenset[str]) -> dict[str, Any]:
        changes: dict[str, Any] = {}
        if "subject" in fields:
            changes["subject"] = ERASED
        if "description" in fields:
            changes["description"] = None
        if "status_reasons" in fields:
            changes["history"] = tuple(attrs.evolve(c, reason=None) for c in self.history)
        return changes

    def _recorded_times(self) -> Iterable[datetime]:
        yield self.history[-1].at
        if self.first_responded_at is not None:
            yield self.first_responded_at
        for escalation in self.escalations:
            yield escalation.due_at

    def _event_fields(self) -> Mapping[str, object]:
        return {"case_id": self.id, "customer_id": self.customer_id}

    # -- construction ---------------------------------------------------------------------

    @classmethod
    def open(
        cls,
        case_id: CaseId,
        *,
        customer_id: CustomerId,
        kind: CaseKind | str,
        subject: str,
        channel: Channel | str,
        at: datetime,
        priority: CasePriority | str = CasePriority.NORMAL,
        description: str | None = None,
        assignee: StaffId | None = None,
        order_id: OrderId | None = None,
        team: TeamId | None = None,
        contacts: Sequence[InvolvedContact] = (),
        **meta: Unpack[EventMeta],
    ) -> Case:
        """Open a case (status ``new``) at ``at``; records :class:`CaseOpened`.

        ``assignee`` is the member of staff who owns the case, ``team`` the
        team (service queue) it belongs to, ``contacts`` the contacts
        involved and their roles (see :meth:`change_contacts`); all are
        optional. The event carries the contacts.

        Raises:
            ValidationError: an argument breaks a rule; the path names it
                (a contact named twice in one role: ``$.contacts[i]``, code
                ``duplicate``; two primaries: ``$.contacts[i].primary``, code
                ``multiple_primary``).
        """
        command = cls._begin_new(at, meta)
        return cls._create(
            command,
            lambda case: CaseOpened.draft(
                kind=case.kind,
                priority=case.priority,
                channel=case.channel,
                assignee=case.assignee,
                order_id=case.order_id,
                team=case.team,
                contacts=case.contacts,
            ),
            id=case_id,
            customer_id=customer_id,
            kind=kind,
            priority=priority,
            subject=subject,
            channel=channel,
            description=description,
            assignee=assignee,
            order_id=order_id,
            team=team,
            contacts=contacts,
        )

    # -- queries --------------------------------------------------------------------------

    @property
    def opened_at(self) -> datetime:
        """When the case was opened (its ``created_at``)."""
        return self.created_at

    @property
    def status_reasons(self) -> tuple[str | None, ...]:
        """The reason given for each status change, in the order of :attr:`history`."""
        return tuple(change.reason for change in self.history)

    @property
    def status(self) -> CaseStatus:
        """The current status (the last entry of the history)."""
        return self.history[-1].status

    @property
    def allowed_statuses(self) -> frozenset[CaseStatus]:
        """The statuses the case may change to now."""
        return CASE_STATUSES.allowed(self.status)

    @property
    def is_active(self) -> bool:
        """True while the case is not resolved or closed."""
        return self.status in ACTIVE_STATUSES

    @property
    def resolved_at(self) -> datetime | None:
        """When the case was last resolved, if it is resolved or closed now."""
        if self.status not in DONE_STATUSES:
            return None
        for change in reversed(self.history):
            if change.status is CaseStatus.RESOLVED:
                return change.at
        return None  # pragma: no cover - a done case has been resolved

    @property
    def escalation_level(self) -> int:
        """The highest level the case was escalated to (0 if never)."""
        return max((e.level for e in self.escalations), default=0)

    def status_at(self, at: datetime) -> CaseStatus | None:
        """The status the case had at ``at`` (``None`` before it was opened)."""
        when = require_aware(at, "$.at")
        index = bisect_right([c.at for c in self.history], when)
        return None if index == 0 else self.history[index - 1].status

    # -- commands -------------------------------------------------------------------------

    def change_status(
        self,
        status: CaseStatus | str,
        *,
        at: datetime,
        reason: str | None = None,
        **meta: Unpack[EventMeta],
    ) -> Case:
        """Move the case to ``status`` if the status machine allows it.

        Records :class:`CaseStatusChanged` (or :class:`CaseResolved`,
        :class:`CaseClosed`, :class:`CaseReopened`). Resolving a case nobody
        has responded to yet counts as the first response and records
        :class:`CaseFirstResponded` first.

        Raises:
            TransitionNotAllowed: the machine does not allow the change
                (``$.status``, code ``transition``; ``allowed`` lists what is).
            ValidationError: ``at`` is naive or before the last change.
        """
        wanted = CASE_STATUSES.parse(status)
        command = self._begin(at, meta)
        current = CASE_STATUSES.check(self.status, wanted)
        change = StatusChange(wanted, command.at, reason)
        drafts: list[EventDraft] = []
        changes: dict[str, Any] = {}
        if wanted is CaseStatus.RESOLVED and self.first_responded_at is None:
            drafts.append(CaseFirstResponded.draft())
            changes["first_responded_at"] = command.at
        event_cls: type[CaseStatusChanged] = CaseStatusChanged
        if wanted is CaseStatus.RESOLVED:
            event_cls = CaseResolved
        elif wanted is CaseStatus.CLOSED:
            event_cls = CaseClosed
        elif self.status in DONE_STATUSES:
            event_cls = CaseReopened
        drafts.append(event_cls.draft(from_status=self.status, to_status=current))
        return self._record(command, *drafts, history=(*self.history, change), **changes)

    def respond(self, *, at: datetime, **meta: Unpack[EventMeta]) -> Case:
        """Record that the business responded to the customer.

        The first response is recorded once (:class:`CaseFirstResponded`);
        later responses change nothing. Responding to a ``new`` case also
        opens it.
        """
        command = self._begin(at, meta)
        case = self
        if self.first_responded_at is None:
            case = self._record(command, CaseFirstResponded.draft(), first_responded_at=command.at)
        if case.status is CaseStatus.NEW:
            case = case.change_status(CaseStatus.OPEN, at=command.at, **meta)
        return case

    def wait_on_customer(
        self, *, at: datetime, reason: str | None = None, **meta: Unpack[EventMeta]
    ) -> Case:
        """Set the case to ``pending_customer``: SLA clocks pause until it moves on."""
        return self.change_status(CaseStatus.PENDING_CUSTOMER, at=at, reason=reason, **meta)

    def resolve(
        self, *, at: datetime, reason: str | None = None, **meta: Unpack[EventMeta]
    ) -> Case:
        """Resolve the case; records :class:`CaseResolved`."""
        return self.change_status(CaseStatus.RESOLVED, at=at, reason=reason, **meta)

    def close(self, *, at: datetime, reason: str | None = None, **meta: Unpack[EventMeta]) -> Case:
        """Close a resolved case; records :class:`CaseClosed`."""
        return self.change_status(CaseStatus.CLOSED, at=at, reason=reason, **meta)

    def reopen(self, *, at: datetime, reason: str | None = None, **meta: Unpack[EventMeta]) -> Case:
        """Open a resolved or closed case again; records :class:`CaseReopened`.

        The resolution clock of the SLA runs again from here.

        Raises:
            TransitionNotAllowed: the case is neither resolved nor closed.
        """
        if self.status not in DONE_STATUSES:
            raise CASE_STATUSES.refusal(self.status, CaseStatus.OPEN, allowed=frozenset())
        return self.change_status(CaseStatus.OPEN, at=at, reason=reason, **meta)

    def assign(
        self,
        assignee: StaffId | None,
        team: TeamId | EllipsisType | None = ...,
        *,
        at: datetime,
        **meta: Unpack[EventMeta],
    ) -> Case:
        """Assign the case to a member of staff (``None``: unassign); records :class:`CaseAssigned`.

        The assignee is the case's owner. ``team=None`` takes the case out of
        its team; leaving ``team`` out keeps the team it has. Giving the
        assignee and team it already has changes nothing and records nothing.

        Raises:
            InvalidType: ``assignee`` is not a StaffId or ``None``
                (``$.assignee``), or ``team`` not a TeamId or ``None`` (``$.team``).
        """
        command = self._begin(at, meta)
        return self._assign_owner("assignee", assignee, team, CaseAssigned, command)

    def change_priority(
        self, priority: CasePriority | str, *, at: datetime, **meta: Unpack[EventMeta]
    ) -> Case:
        """Change the priority; records :class:`CasePriorityChanged`.

        SLA targets follow the current priority, so this changes the targets
        the whole case is measured against.
        """
        wanted = enum_converter(CasePriority, "$.priority")(priority)
        command = self._begin(at, meta)
        if wanted is self.priority:
            return self
        draft = CasePriorityChanged.draft(from_priority=self.priority, to_priority=wanted)
        return self._record(command, draft, priority=wanted)

    def escalate(self, escalation: Escalation, *, at: datetime, **meta: Unpack[EventMeta]) -> Case:
        """Record an escalation; records :class:`CaseEscalated`.

        Idempotent: an escalation of a rule already recorded changes nothing.

        Raises:
            ValidationError: ``escalation.due_at`` is after ``at`` or before the
                case was opened, or ``at`` is before the last change.
        """
        checked = instance_of(Escalation, "an Escalation")(escalation, "$.escalation")
        command = self._begin(at, meta)
        if any(e.rule == checked.rule for e in self.escalations):
            return self
        if checked.due_at > command.at:
            raise ValidationError(
                "must not be due after the time it is recorded",
                path="$.escalation.due_at",
                code="not_due",
            )
        if checked.due_at < self.created_at:
            raise ValidationError(
                "must not be before the case was opened",
                path="$.escalation.due_at",
                code="before_opened",
            )
        if len(self.escalations) >= MAX_ESCALATIONS:
            raise ValidationError(
                f"must hold at most {MAX_ESCALATIONS} escalations",
                path="$.escalations",
                code="too_many",
            )
        draft = CaseEscalated.draft(escalation=checked)
        return self._record(command, draft, escalations=(*self.escalations, checked))

    # -- timeline -------------------------------------------------------------------------

    def timeline_facts(self) -> tuple[TimelineEntry, ...]:
        """The case's facts for a customer timeline (kind ``case``; keys start with the case id).

        The opening, the first response, every later status change and every
        escalation; summaries hold no subject or description.
        """
        cid = self.id.value
        facts = [
            self._fact(
                self.created_at,
                "case",
                cid,
                (f"{self.priority.value} {self.kind.value} {cid} opened on {self.channel.value}"),
            )
        ]
        if self.first_responded_at is not None:
            facts.append(
                self._fact(
                    self.first_responded_at,
                    "case",
                    f"{cid}/first_response",
                    f"first response on case {cid}",
                )
            )
        for index, change in enumerate(self.history[1:], start=1):
            facts.append(
                self._fact(
                    change.at,
                    "case",
                    f"{cid}/status/{index}",
                    f"case {cid} {change.status.value.replace('_', ' ')}",
                )
            )
        facts.extend(
            self._fact(
                escalation.due_at,
                "case",
                f"{cid}/escalation/{escalation.rule}",
                f"case {cid} escalated to level {escalation.level}",
            )
            for escalation in self.escalations
        )
        return tuple(facts)

    def __repr__(self) -> str:
        return (
            f"Case(id={self.id!r}, customer_id={self.customer_id!r}, kind={self.kind.value!r}, "
            f"priority={self.priority.value!r}, status={self.status.value!r}, "
            f"version={self.version}, pending_events={len(self.pending_events)})"
        )
