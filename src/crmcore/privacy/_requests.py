"""Data-subject requests: what a person asked for under a privacy law, and its statutory deadline.

A :class:`DataSubjectRequest` moves through a small status machine
(``PRIVACY_REQUEST_STATUSES``)::

    received           -> identity_verified, refused
    identity_verified  -> fulfilled, refused

``fulfilled`` and ``refused`` are final. A refusal carries a
:class:`RefusalReason`; an extension carries an :class:`ExtensionReason`.
The deadline comes from the request's :class:`~crmcore.privacy.Jurisdiction`
(kept in the request, so it serializes with it): :attr:`DataSubjectRequest.due_at`,
:meth:`~DataSubjectRequest.is_overdue` and :meth:`~DataSubjectRequest.time_left`
answer from it. A request past its deadline can still be fulfilled; it stays
overdue on the record.

Events carry ids and codes only: never what the subject wrote.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import datetime, timedelta
from enum import StrEnum
from typing import Any, Final, Unpack

import attrs

from crmcore._kernel._aggregate import RepointsCustomer, typed_id
from crmcore._kernel._checks import (
    aware,
    enum_converter,
    instance_of,
    items_of,
    optional,
    require_aware,
    type_name,
)
from crmcore._kernel._events import DomainEvent, EventMeta
from crmcore._kernel._ids import CustomerId, PrivacyRequestId
from crmcore._kernel._repoint import CustomerRepointedEvent
from crmcore._kernel._status import StatusMachine
from crmcore.customers import Channel
from crmcore.errors import InvalidType, TransitionNotAllowed, ValidationError
from crmcore.privacy._jurisdictions import (
    GDPR,
    MAX_EXTENSIONS,
    UU_PDP,
    Jurisdiction,
    RequestKind,
    jurisdiction_of,
)

#: Most status changes a request may hold (it takes at most three).
MAX_REQUEST_HISTORY: Final = 3


class RequestStatus(StrEnum):
    """Where a data-subject request stands."""

    RECEIVED = "received"
    IDENTITY_VERIFIED = "identity_verified"
    FULFILLED = "fulfilled"
    REFUSED = "refused"


class RefusalReason(StrEnum):
    """Why a request was refused (a closed set, so reports can count them).

    ``identity_not_verified``; ``manifestly_unfounded`` and ``excessive``
    (GDPR Art. 12(5)); ``legal_obligation`` (a law requires keeping or
    processing the data); ``legal_hold`` (litigation or an investigation);
    ``rights_of_others`` (the answer would disclose another person's data,
    UU PDP Art. 33); ``safety`` (it would endanger someone); ``national_security``;
    ``contract`` (a written agreement rules out restriction, UU PDP Art. 41(2)).
    """

    IDENTITY_NOT_VERIFIED = "identity_not_verified"
    MANIFESTLY_UNFOUNDED = "manifestly_unfounded"
    EXCESSIVE = "excessive"
    LEGAL_OBLIGATION = "legal_obligation"
    LEGAL_HOLD = "legal_hold"
    RIGHTS_OF_OTHERS = "rights_of_others"
    SAFETY = "safety"
    NATIONAL_SECURITY = "national_security"
    CONTRACT = "contract"


class ExtensionReason(StrEnum):
    """Why a deadline was extended (GDPR Art. 12(3): complexity and number of requests)."""

    COMPLEXITY = "complexity"
    NUMBER_OF_REQUESTS = "number_of_requests"


_S = RequestStatus
#: The status machine of data-subject requests.
PRIVACY_REQUEST_STATUSES: Final = StatusMachine(
    "privacy request",
    {
        _S.RECEIVED: {_S.IDENTITY_VERIFIED, _S.REFUSED},
        _S.IDENTITY_VERIFIED: {_S.FULFILLED, _S.REFUSED},
    },
)
#: Statuses in which a request still waits for an answer.
OPEN_REQUEST_STATUSES: Final = frozenset({_S.RECEIVED, _S.IDENTITY_VERIFIED})


# -- values ------------------------------------------------------------------------------


def _change_status(value: object) -> RequestStatus:
    return enum_converter(RequestStatus, "$.status")(value)


def _change_at(value: object) -> datetime:
    return aware("$.at")(value)


def _change_reason(value: object) -> RefusalReason | None:
    return None if value is None else enum_converter(RefusalReason, "$.reason")(value)


@attrs.frozen(slots=True)
class RequestStatusChange:
    """One entry of a request's status history: the status entered, when, and why (refusals).

    .. versionadded:: 0.1
    """

    status: RequestStatus = attrs.field(converter=_change_status)
    at: datetime = attrs.field(converter=_change_at)
    reason: RefusalReason | None = attrs.field(default=None, converter=_change_reason)

    def __attrs_post_init__(self) -> None:
        if (self.status is RequestStatus.REFUSED) != (self.reason is not None):
            raise ValidationError(
                "must be given for a refusal and only for a refusal",
                path="$.reason",
                code="refusal_reason",
            )


def _extension_reason(value: object) -> ExtensionReason:
    return enum_converter(ExtensionReason, "$.reason")(value)


@attrs.frozen(slots=True)
class RequestExtension:
    """One extension of a request's deadline: when it was decided and why.

    .. versionadded:: 0.1
    """

    at: datetime = attrs.field(converter=_change_at)
    reason: ExtensionReason = attrs.field(converter=_extension_reason)


# -- events ------------------------------------------------------------------------------


@attrs.frozen(slots=True, kw_only=True)
class PrivacyRequestEvent(DomainEvent, aggregate="privacy_request"):
    """Base of the events recorded by a :class:`DataSubjectRequest` (ids and codes only).

    .. versionadded:: 0.1
    """

    privacy_request_id: PrivacyRequestId
    customer_id: CustomerId


@attrs.frozen(slots=True, kw_only=True)
class PrivacyRequestReceived(PrivacyRequestEvent):
    """A request was received: its kind, channel, jurisdiction code and first deadline.

    .. versionadded:: 0.1
    """

    kind: RequestKind
    channel: Channel
    jurisdiction: str
    due_at: datetime


@attrs.frozen(slots=True, kw_only=True)
class PrivacyRequestIdentityVerified(PrivacyRequestEvent):
    """The subject's identity was verified.

    .. versionadded:: 0.1
    """


@attrs.frozen(slots=True, kw_only=True)
class PrivacyRequestExtended(PrivacyRequestEvent):
    """The deadline was extended, for this reason, to ``due_at``.

    .. versionadded:: 0.1
    """

    reason: ExtensionReason
    due_at: datetime


@attrs.frozen(slots=True, kw_only=True)
class PrivacyRequestFulfilled(PrivacyRequestEvent):
    """The request was carried out; ``overdue`` says whether after its deadline.

    .. versionadded:: 0.1
    """

    overdue: bool = False


@attrs.frozen(slots=True, kw_only=True)
class PrivacyRequestRefused(PrivacyRequestEvent):
    """The request was refused, for this reason.

    .. versionadded:: 0.1
    """

    reason: RefusalReason


@attrs.frozen(slots=True, kw_only=True)
class PrivacyRequestCustomerRepointed(CustomerRepointedEvent, PrivacyRequestEvent):
    """The request names ``customer_id``, the customer ``previous`` was merged into.

    .. versionadded:: 0.1
    """

    previous: CustomerId
    fields: tuple[str, ...]


# -- the aggregate -----------------------------------------------------------------------


def _request_kind(value: object) -> RequestKind:
    return enum_converter(RequestKind, "$.kind")(value)


def _request_channel(value: object) -> Channel:
    return enum_converter(Channel, "$.channel")(value)


def _request_jurisdiction(value: object) -> Jurisdiction:
    return instance_of(Jurisdiction, "a Jurisdiction")(value, "$.jurisdiction")


def _first_history(request: DataSubjectRequest) -> tuple[RequestStatusChange, ...]:
    return (RequestStatusChange(RequestStatus.RECEIVED, request.created_at),)


def _request_history(value: object) -> tuple[RequestStatusChange, ...]:
    return items_of(
        value,
        RequestStatusChange,
        "$.history",
        "a RequestStatusChange",
        max_items=MAX_REQUEST_HISTORY,
        noun="changes",
    )


def _request_extensions(value: object) -> tuple[RequestExtension, ...]:
    return items_of(
        value,
        RequestExtension,
        "$.extensions",
        "a RequestExtension",
        max_items=MAX_EXTENSIONS,
        noun="extensions",
    )


_optional_reason = optional(lambda v, p: enum_converter(RefusalReason, p)(v))


@attrs.frozen(slots=True, kw_only=True, repr=False)
class DataSubjectRequest(RepointsCustomer[PrivacyRequestId], kind="privacy_request"):
    """A data-subject request: what the subject asked for, under which law, and where it stands.

    Record one with :meth:`receive`; :meth:`verify_identity`, :meth:`extend`,
    :meth:`fulfil` and :meth:`refuse` move it on. Like every crmcore
    aggregate it is immutable: each command returns a new request and records
    an event; a command dated before the last change is refused
    (``time_backwards``); a command the status machine forbids raises
    :class:`~crmcore.TransitionNotAllowed`. Every command takes the envelope
    keywords ``actor``, ``correlation_id`` and ``causation_id``.

    >>> from datetime import datetime, timedelta, timezone
    >>> t0 = datetime(2026, 3, 2, 9, 0, tzinfo=timezone.utc)
    >>> request = DataSubjectRequest.receive(
    ...     PrivacyRequestId("dsr-1"),
    ...     customer_id=CustomerId("c-1"),
    ...     kind="erasure",
    ...     jurisdiction="uu_pdp",
    ...     channel="email",
    ...     at=t0,
    ... )
    >>> request.due_at.isoformat()
    '2026-03-05T09:00:00+00:00'
    >>> request = request.refuse(at=t0 + timedelta(hours=1), reason="identity_not_verified")
    >>> request
    DataSubjectRequest(id=PrivacyRequestId('dsr-1'), kind='erasure', status='refused', jurisdiction='uu_pdp', version=0, pending_events=2)
    >>> request.fulfil(at=t0 + timedelta(hours=2))
    Traceback (most recent call last):
    ...
    crmcore.errors.TransitionNotAllowed: $.status: a privacy request that is refused cannot become fulfilled; that status is final

    Attributes:
        customer_id: the data subject.
        kind: what they asked for.
        channel: how the request came in.
        jurisdiction: the law whose deadlines apply (kept whole).
        history: every status entered, oldest first (``received`` at ``created_at``).
        extensions: the deadline's extensions, oldest first.

    .. versionadded:: 0.1
    """

    _repointed_by = PrivacyRequestCustomerRepointed
    _customer_fields = ("customer_id",)

    customer_id: CustomerId = attrs.field(validator=typed_id(CustomerId, "$.customer_id"))
    kind: RequestKind = attrs.field(converter=_request_kind)
    channel: Channel = attrs.field(converter=_request_channel)
    jurisdiction: Jurisdiction = attrs.field(converter=_request_jurisdiction)
    history: tuple[RequestStatusChange, ...] = attrs.field(
        default=attrs.Factory(_first_history, takes_self=True), converter=_request_history
    )
    extensions: tuple[RequestExtension, ...] = attrs.field(
        default=(), converter=_request_extensions
    )

    def _check(self) -> None:
        PRIVACY_REQUEST_STATUSES.check_history(
            self.history,
            start=RequestStatus.RECEIVED,
            at=self.created_at,
            what="the request was received",
        )
        rule = self.jurisdiction.extension
        if len(self.extensions) > self.jurisdiction.max_extensions:
            raise ValidationError(
                "must not hold more extensions than the jurisdiction allows",
                path="$.extensions",
                code="too_many_extensions",
            )
        first_due = self.jurisdiction.due_at(self.kind, self.created_at)
        closed_at = (
            self.history[-1].at if self.history[-1].status not in OPEN_REQUEST_STATUSES else None
        )
        previous = self.created_at
        for index, extension in enumerate(self.extensions):
            path = f"$.extensions[{index}].at"
            if extension.at < previous:
                raise ValidationError(
                    "must not be before the request or the extension before it",
                    path=path,
                    code="time_backwards",
                )
            if rule is not None and rule.before_deadline and extension.at > first_due:
                raise ValidationError(
                    "must be decided before the first deadline",
                    path=path,
                    code="extension_too_late",
                )
            if closed_at is not None and extension.at > closed_at:
                raise ValidationError(
                    "must not be after the request was closed", path=path, code="closed"
                )
            previous = extension.at

    def _recorded_times(self) -> Iterable[datetime]:
        yield self.history[-1].at
        if self.extensions:
            yield self.extensions[-1].at

    def _event_fields(self) -> Mapping[str, object]:
        return {"privacy_request_id": self.id, "customer_id": self.customer_id}

    # -- construction ---------------------------------------------------------------------

    @classmethod
    def receive(
        cls,
        request_id: PrivacyRequestId,
        *,
        customer_id: CustomerId,
        kind: RequestKind | str,
        jurisdiction: Jurisdiction | str,
        channel: Channel | str,
        at: datetime,
        **meta: Unpack[EventMeta],
    ) -> DataSubjectRequest:
        """Record a request received at ``at``; records :class:`PrivacyRequestReceived`.

        ``jurisdiction`` is a :class:`~crmcore.privacy.Jurisdiction` or the
        code of a default one (``"gdpr"``, ``"uu_pdp"``).

        Raises:
            InvalidType: an id is not of its kind.
            ValidationError: an argument breaks a rule (``$.kind``,
                ``$.channel``, ``$.jurisdiction``, ``$.at``).
        """
        command = cls._begin_new(at, meta)
        chosen = jurisdiction_of(jurisdiction, (GDPR, UU_PDP))
        return cls._create(
            command,
            lambda request: PrivacyRequestReceived.draft(
                kind=request.kind,
                channel=request.channel,
                jurisdiction=request.jurisdiction.code,
                due_at=request.due_at,
            ),
            id=request_id,
            customer_id=customer_id,
            kind=kind,
            channel=channel,
            jurisdiction=chosen,
        )

    # -- queries --------------------------------------------------------------------------

    @property
    def received_at(self) -> datetime:
        """When the request was received (the deadline runs from here)."""
        return self.created_at

    @property
    def status(self) -> RequestStatus:
        """The current status."""
        return self.history[-1].status

    @property
    def is_open(self) -> bool:
        """True while the request waits for an answer (received or identity verified)."""
        return self.status in OPEN_REQUEST_STATUSES

    @property
    def closed_at(self) -> datetime | None:
        """When the request was fulfilled or refused, if it was."""
        return None if self.is_open else self.history[-1].at

    @property
    def refusal_reason(self) -> RefusalReason | None:
        """Why the request was refused, if it was."""
        return self.history[-1].reason

    @property
    def due_at(self) -> datetime:
        """The deadline, after the extensions recorded."""
        return self.jurisdiction.due_at(self.kind, self.created_at, extensions=len(self.extensions))

    def is_overdue(self, at: datetime) -> bool:
        """True if the deadline had passed at ``at`` with no answer, or the answer came late.

        A request answered in time is never overdue; one answered late stays overdue.
        """
        when = require_aware(at, "$.at")
        closed = self.closed_at
        if closed is not None and closed <= when:
            return closed > self.due_at
        return when > self.due_at

    def time_left(self, at: datetime) -> timedelta:
        """Time from ``at`` to the deadline (negative once it has passed)."""
        return self.due_at - require_aware(at, "$.at")

    # -- commands -------------------------------------------------------------------------

    def _move(
        self,
        wanted: RequestStatus,
        at: object,
        meta: Mapping[str, Any],
        reason: RefusalReason | None = None,
    ) -> tuple[Any, RequestStatusChange]:
        command = self._begin(at, meta)
        PRIVACY_REQUEST_STATUSES.check(self.status, wanted)
        return command, RequestStatusChange(wanted, command.at, reason)

    def verify_identity(self, *, at: datetime, **meta: Unpack[EventMeta]) -> DataSubjectRequest:
        """Record that the subject's identity was verified; records :class:`PrivacyRequestIdentityVerified`.

        Raises:
            TransitionNotAllowed: the request is not ``received``.
            ValidationError: ``at`` is naive or before the last change.
        """
        command, change = self._move(RequestStatus.IDENTITY_VERIFIED, at, meta)
        return self._record(
            command, PrivacyRequestIdentityVerified.draft(), history=(*self.history, change)
        )

    def extend(
        self, *, at: datetime, reason: ExtensionReason | str, **meta: Unpack[EventMeta]
    ) -> DataSubjectRequest:
        """Extend the deadline by the jurisdiction's rule; records :class:`PrivacyRequestExtended`.

        Raises:
            TransitionNotAllowed: the request is fulfilled or refused (code ``final``).
            ValidationError: the jurisdiction allows no extension (``$.extension``,
                code ``no_extension``) or no more (``$.extensions``, code
                ``too_many_extensions``); the rule wants it decided before the first
                deadline and ``at`` is after it (``$.at``, code ``extension_too_late``);
                ``reason`` is not an :class:`ExtensionReason` (``$.reason``).
        """
        checked = _extension_reason(reason)
        command = self._begin(at, meta)
        if not self.is_open:
            raise TransitionNotAllowed(
                f"a privacy request that is {self.status.value} is final; its deadline cannot be extended",
                path="$.status",
                code="final",
                machine=PRIVACY_REQUEST_STATUSES.name,
                current=self.status.value,
            )
        rule = self.jurisdiction.extension
        if rule is None:
            raise ValidationError(
                f"the jurisdiction {self.jurisdiction.code} allows no extension",
                path="$.extension",
                code="no_extension",
            )
        if len(self.extensions) >= rule.max_times:
            raise ValidationError(
                f"must not extend more than {rule.max_times} times",
                path="$.extensions",
                code="too_many_extensions",
            )
        if rule.before_deadline and command.at > self.jurisdiction.due_at(
            self.kind, self.created_at
        ):
            raise ValidationError(
                "must be decided before the first deadline", path="$.at", code="extension_too_late"
            )
        extensions = (*self.extensions, RequestExtension(command.at, checked))
        due = self.jurisdiction.due_at(self.kind, self.created_at, extensions=len(extensions))
        return self._record(
            command,
            PrivacyRequestExtended.draft(reason=checked, due_at=due),
            extensions=extensions,
        )

    def fulfil(self, *, at: datetime, **meta: Unpack[EventMeta]) -> DataSubjectRequest:
        """Record that the request was carried out; records :class:`PrivacyRequestFulfilled`.

        Late is allowed: the event and :meth:`is_overdue` say so.

        Raises:
            TransitionNotAllowed: the identity is not verified, or the request is closed.
            ValidationError: ``at`` is naive or before the last change.
        """
        command, change = self._move(RequestStatus.FULFILLED, at, meta)
        return self._record(
            command,
            PrivacyRequestFulfilled.draft(overdue=command.at > self.due_at),
            history=(*self.history, change),
        )

    def refuse(
        self, *, at: datetime, reason: RefusalReason | str, **meta: Unpack[EventMeta]
    ) -> DataSubjectRequest:
        """Refuse the request for ``reason``; records :class:`PrivacyRequestRefused`.

        Raises:
            TransitionNotAllowed: the request is closed already.
            ValidationError: ``reason`` is not a :class:`RefusalReason`
                (``$.reason``), or ``at`` is naive or before the last change.
        """
        checked = _optional_reason(reason, "$.reason")
        if checked is None:
            raise InvalidType(f"must be a RefusalReason, not {type_name(reason)}", path="$.reason")
        command, change = self._move(RequestStatus.REFUSED, at, meta, checked)
        return self._record(
            command, PrivacyRequestRefused.draft(reason=checked), history=(*self.history, change)
        )

    def __repr__(self) -> str:
        return (
            f"DataSubjectRequest(id={self.id!r}, kind={self.kind.value!r}, "
            f"status={self.status.value!r}, jurisdiction={self.jurisdiction.code!r}, "
            f"version={self.version}, pending_events={len(self.pending_events)})"
        )
