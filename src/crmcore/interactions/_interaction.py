"""Interactions: every touchpoint between the business and a customer, on every channel.

An :class:`Interaction` is one call, email, chat, meeting, store visit, social
post or message, inbound or outbound, at a known time, optionally handled by a
staff member and linked to a service case or a sales opportunity. It is an
immutable aggregate on the crmcore kernel: logging it records
:class:`InteractionLogged`; the only later change is linking it to a case or an
opportunity (:class:`InteractionLinked`). Its ``created_at`` is when the
touchpoint happened (also readable as ``occurred_at``).

The identifiers of cases and opportunities live here so that every capability
that links to them (service cases, the pipeline) shares one type.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime, timedelta
from enum import StrEnum
from typing import Any, Final, Unpack

import attrs

from crmcore._kernel._aggregate import RepointsCustomer, optional_typed_id, typed_id
from crmcore._kernel._checks import clean_text, enum_converter, type_name
from crmcore._kernel._events import DomainEvent, EventMeta
from crmcore._kernel._ids import CaseId, CustomerId, InteractionId, OpportunityId, StaffId
from crmcore._kernel._personal import HoldsPersonalData, PersonalDataErasedEvent
from crmcore._kernel._repoint import CustomerRepointedEvent
from crmcore.customers import Channel
from crmcore.errors import InvalidType, ValidationError

#: Longest subject line, in characters.
MAX_SUBJECT: Final = 200
#: Longest notes, in characters.
MAX_NOTES: Final = 10_000
#: Longest duration of a timed interaction, in seconds (one day).
MAX_DURATION_SECONDS: Final = 86_400


class Direction(StrEnum):
    """Who started the interaction: the customer (inbound) or the business (outbound)."""

    INBOUND = "inbound"
    OUTBOUND = "outbound"


class InteractionKind(StrEnum):
    """What kind of touchpoint an interaction was."""

    CALL = "call"
    VIDEO_CALL = "video_call"
    EMAIL = "email"
    CHAT = "chat"
    MESSAGE = "message"
    MEETING = "meeting"
    STORE_VISIT = "store_visit"
    SOCIAL_POST = "social_post"
    LETTER = "letter"
    WEB_FORM = "web_form"


#: The channels each kind of interaction can happen on.
KIND_CHANNELS: Final[dict[InteractionKind, frozenset[Channel]]] = {
    InteractionKind.CALL: frozenset({Channel.PHONE, Channel.WHATSAPP, Channel.WEB, Channel.SOCIAL}),
    InteractionKind.VIDEO_CALL: frozenset({Channel.WEB, Channel.WHATSAPP, Channel.SOCIAL}),
    InteractionKind.EMAIL: frozenset({Channel.EMAIL}),
    InteractionKind.CHAT: frozenset({Channel.WEB, Channel.WHATSAPP, Channel.SOCIAL}),
    InteractionKind.MESSAGE: frozenset(
        {Channel.SMS, Channel.WHATSAPP, Channel.SOCIAL, Channel.WEB}
    ),
    InteractionKind.MEETING: frozenset({Channel.IN_PERSON, Channel.WEB, Channel.PHONE}),
    InteractionKind.STORE_VISIT: frozenset({Channel.IN_PERSON}),
    InteractionKind.SOCIAL_POST: frozenset({Channel.SOCIAL}),
    InteractionKind.LETTER: frozenset({Channel.POSTAL}),
    InteractionKind.WEB_FORM: frozenset({Channel.WEB}),
}

#: Kinds that last a measurable time and may carry a duration.
TIMED_KINDS: Final = frozenset(
    {InteractionKind.CALL, InteractionKind.VIDEO_CALL, InteractionKind.MEETING}
)


# -- field checks ----------------------------------------------------------------------


def _kind(value: object) -> InteractionKind:
    return enum_converter(InteractionKind, "$.kind")(value)


def _channel(value: object) -> Channel:
    return enum_converter(Channel, "$.channel")(value)


def _direction(value: object) -> Direction:
    return enum_converter(Direction, "$.direction")(value)


def _subject(value: object) -> str | None:
    if value is None:
        return None
    return clean_text(value, "$.subject", max_length=MAX_SUBJECT, what="a subject")


def _notes(value: object) -> str | None:
    if value is None:
        return None
    return clean_text(value, "$.notes", max_length=MAX_NOTES, allow_newlines=True, what="notes")


def _duration_seconds(_: object, __: attrs.Attribute[Any], value: object) -> None:
    if value is None:
        return
    if isinstance(value, bool) or not isinstance(value, int):
        raise InvalidType(f"must be an int, not {type_name(value)}", path="$.duration_seconds")
    if not 0 <= value <= MAX_DURATION_SECONDS:
        raise ValidationError(
            f"must be from 0 to {MAX_DURATION_SECONDS} seconds",
            path="$.duration_seconds",
            code="duration",
        )


def _seconds(duration: object) -> int | None:
    if duration is None:
        return None
    if not isinstance(duration, timedelta):
        raise InvalidType(
            f"must be a timedelta, not {type_name(duration)}", path="$.duration", code="type"
        )
    if duration < timedelta(0) or duration > timedelta(seconds=MAX_DURATION_SECONDS):
        raise ValidationError("must be from zero to one day", path="$.duration", code="duration")
    return int(duration.total_seconds())


# -- events ------------------------------------------------------------------------------


@attrs.frozen(slots=True, kw_only=True)
class InteractionEvent(DomainEvent, aggregate="interaction"):
    """Base of the events recorded by an :class:`Interaction`."""

    interaction_id: InteractionId
    customer_id: CustomerId


@attrs.frozen(slots=True, kw_only=True)
class InteractionLogged(InteractionEvent):
    """A touchpoint was logged (its subject and notes stay in the record, not the event)."""

    kind: InteractionKind
    channel: Channel
    direction: Direction
    staff_id: StaffId | None = None
    case_id: CaseId | None = None
    opportunity_id: OpportunityId | None = None


@attrs.frozen(slots=True, kw_only=True)
class InteractionLinked(InteractionEvent):
    """An interaction was linked to a case or an opportunity (the links it now has)."""

    case_id: CaseId | None = None
    opportunity_id: OpportunityId | None = None


@attrs.frozen(slots=True, kw_only=True)
class InteractionCustomerRepointed(CustomerRepointedEvent, InteractionEvent):
    """The interaction names ``customer_id``, the customer ``previous`` was merged into.

    ``fields`` names the fields that named ``previous``.
    """

    previous: CustomerId
    fields: tuple[str, ...]


@attrs.frozen(slots=True, kw_only=True)
class InteractionAnonymised(PersonalDataErasedEvent, InteractionEvent):
    """The interaction's personal fields (``fields``: subject, notes) were erased."""

    fields: tuple[str, ...]


# -- the aggregate -----------------------------------------------------------------------


def _optional_id(value: object, cls: type[CaseId | OpportunityId], path: str) -> None:
    if value is not None and type(value) is not cls:
        raise InvalidType(f"must be a {cls.__name__}, not {type_name(value)}", path=path)


@attrs.frozen(slots=True, kw_only=True, repr=False)
class Interaction(
    RepointsCustomer[InteractionId],
    HoldsPersonalData[InteractionId],
    kind="interaction",
    v1_renames={"occurred_at": "created_at"},
):
    """One touchpoint with a customer.

    Build one with :meth:`log`, which validates everything and records
    :class:`InteractionLogged`. The kind must suit the channel (a letter goes
    by post, a store visit happens in person; see ``KIND_CHANNELS``) and only
    calls, video calls and meetings carry a duration. Subject and notes are
    free text (control characters refused) that may hold personal data, so
    the repr leaves them out.

    Like every crmcore aggregate it is immutable: :meth:`link` returns a new
    interaction and records an event in :attr:`pending_events`. ``created_at``
    is when the touchpoint happened (:attr:`occurred_at`); a command dated
    before the interaction's last change (:attr:`updated_at`) is refused with
    code ``time_backwards``. Every command also takes the envelope keywords
    ``actor``, ``correlation_id`` and ``causation_id`` (see :mod:`crmcore.events`).

    An interaction is also a timeline fact (see :func:`crmcore.interactions.timeline`):
    ``timeline_kind`` is ``"interaction"`` and ``timeline_key`` its id.

    >>> from datetime import datetime, timedelta, timezone
    >>> at = datetime(2026, 3, 2, 10, 15, tzinfo=timezone.utc)
    >>> call = Interaction.log(
    ...     InteractionId("i-1"),
    ...     customer_id=CustomerId("c-1"),
    ...     kind="call",
    ...     channel="phone",
    ...     direction="inbound",
    ...     at=at,
    ...     subject="Question about the March invoice",
    ...     notes="Customer asked for a copy.",
    ...     staff_id=StaffId("agent-7"),
    ...     duration=timedelta(minutes=6),
    ... )
    >>> call
    Interaction(id=InteractionId('i-1'), customer_id=CustomerId('c-1'), kind='call', channel='phone', direction='inbound', occurred_at='2026-03-02T10:15:00+00:00', version=0, pending_events=1)
    >>> call.timeline_summary
    'inbound call on phone (6 min)'
    >>> linked = call.link(case_id=CaseId("case-9"), at=at, actor="agent-7")
    >>> linked.case_id
    CaseId('case-9')
    >>> [(e.event_id, e.type, e.actor) for e in linked.pending_events]
    [('interaction:i-1#1', 'InteractionLogged', None), ('interaction:i-1#2', 'InteractionLinked', 'agent-7')]
    """

    _repointed_by = InteractionCustomerRepointed
    _customer_fields = ("customer_id",)
    _anonymised_by = InteractionAnonymised
    personal_fields = ("subject", "notes")

    customer_id: CustomerId = attrs.field(validator=typed_id(CustomerId, "$.customer_id"))
    kind: InteractionKind = attrs.field(converter=_kind)
    channel: Channel = attrs.field(converter=_channel)
    direction: Direction = attrs.field(converter=_direction)
    subject: str | None = attrs.field(default=None, converter=_subject)
    notes: str | None = attrs.field(default=None, converter=_notes)
    staff_id: StaffId | None = attrs.field(
        default=None, validator=optional_typed_id(StaffId, "$.staff_id")
    )
    case_id: CaseId | None = attrs.field(
        default=None, validator=optional_typed_id(CaseId, "$.case_id")
    )
    opportunity_id: OpportunityId | None = attrs.field(
        default=None, validator=optional_typed_id(OpportunityId, "$.opportunity_id")
    )
    duration_seconds: int | None = attrs.field(default=None, validator=_duration_seconds)

    def _check(self) -> None:
        if self.channel not in KIND_CHANNELS[self.kind]:
            allowed = ", ".join(sorted(c.value for c in KIND_CHANNELS[self.kind]))
            raise ValidationError(
                f"a {self.kind.value} happens on one of: {allowed}",
                path="$.channel",
                code="kind_channel",
            )
        if self.duration_seconds is not None and self.kind not in TIMED_KINDS:
            raise ValidationError(
                "only calls, video calls and meetings have a duration",
                path="$.duration_seconds",
                code="untimed_kind",
            )

    def _tombstones(self, fields: frozenset[str]) -> dict[str, Any]:
        return dict.fromkeys(fields)  # subject and notes are optional text

    def _event_fields(self) -> Mapping[str, object]:
        return {"interaction_id": self.id, "customer_id": self.customer_id}

    # -- construction ---------------------------------------------------------------------

    @classmethod
    def log(
        cls,
        interaction_id: InteractionId,
        *,
        customer_id: CustomerId,
        kind: InteractionKind | str,
        channel: Channel | str,
        direction: Direction | str,
        at: datetime,
        subject: str | None = None,
        notes: str | None = None,
        staff_id: StaffId | None = None,
        case_id: CaseId | None = None,
        opportunity_id: OpportunityId | None = None,
        duration: timedelta | None = None,
        **meta: Unpack[EventMeta],
    ) -> Interaction:
        """Log a touchpoint that happened at ``at``; records :class:`InteractionLogged`.

        ``at`` becomes the interaction's ``created_at`` (:attr:`occurred_at`).

        Raises:
            ValidationError: an argument breaks a rule; the path names it
                (``$.at`` for the time, ``$.duration`` for the duration).
        """
        command = cls._begin_new(at, meta)
        return cls._create(
            command,
            lambda record: InteractionLogged.draft(
                kind=record.kind,
                channel=record.channel,
                direction=record.direction,
                staff_id=record.staff_id,
                case_id=record.case_id,
                opportunity_id=record.opportunity_id,
            ),
            id=interaction_id,
            customer_id=customer_id,
            kind=kind,
            channel=channel,
            direction=direction,
            subject=subject,
            notes=notes,
            staff_id=staff_id,
            case_id=case_id,
            opportunity_id=opportunity_id,
            duration_seconds=_seconds(duration),
        )

    # -- queries --------------------------------------------------------------------------

    @property
    def occurred_at(self) -> datetime:
        """When the touchpoint happened: the interaction's ``created_at`` (read-only)."""
        return self.created_at

    @property
    def duration(self) -> timedelta | None:
        """How long a call or meeting lasted, if known."""
        if self.duration_seconds is None:
            return None
        return timedelta(seconds=self.duration_seconds)

    @property
    def timeline_at(self) -> datetime:
        """When the interaction happened (the timeline protocol)."""
        return self.created_at

    @property
    def timeline_kind(self) -> str:
        """``"interaction"`` (the timeline protocol)."""
        return "interaction"

    @property
    def timeline_key(self) -> str:
        """The interaction's id (the timeline protocol)."""
        return self.id.value

    @property
    def timeline_summary(self) -> str:
        """A one-line description without subject or notes (they may hold personal data)."""
        text = f"{self.direction.value} {self.kind.value.replace('_', ' ')} on {self.channel.value}"
        if self.duration_seconds is not None:
            minutes = (self.duration_seconds + 59) // 60
            text += f" ({minutes} min)"
        return text

    # -- commands -------------------------------------------------------------------------

    def link(
        self,
        *,
        at: datetime,
        case_id: CaseId | None = None,
        opportunity_id: OpportunityId | None = None,
        **meta: Unpack[EventMeta],
    ) -> Interaction:
        """Link the interaction to a case and/or an opportunity; records :class:`InteractionLinked`.

        A link given replaces the previous one of its kind; ``None`` keeps it.
        Linking what is already linked changes nothing and records no event.

        Raises:
            InvalidType: ``case_id`` or ``opportunity_id`` is not an id of its kind.
            ValidationError: ``at`` is naive or before the interaction's last
                change (``$.at``, code ``time_backwards``).
        """
        _optional_id(case_id, CaseId, "$.case_id")
        _optional_id(opportunity_id, OpportunityId, "$.opportunity_id")
        command = self._begin(at, meta)
        new_case = self.case_id if case_id is None else case_id
        new_opportunity = self.opportunity_id if opportunity_id is None else opportunity_id
        if (new_case, new_opportunity) == (self.case_id, self.opportunity_id):
            return self
        draft = InteractionLinked.draft(case_id=new_case, opportunity_id=new_opportunity)
        return self._record(command, draft, case_id=new_case, opportunity_id=new_opportunity)

    def __repr__(self) -> str:
        return (
            f"Interaction(id={self.id!r}, customer_id={self.customer_id!r}, "
            f"kind={self.kind.value!r}, channel={self.channel.value!r}, "
            f"direction={self.direction.value!r}, occurred_at={self.created_at.isoformat()!r}, "
            f"version={self.version}, pending_events={len(self.pending_events)})"
        )
