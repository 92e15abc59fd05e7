"""Completing an activity through a unit of work, and logging the call or meeting it was.

A planned call or meeting that is done is also a touchpoint: the customer's
timeline should show it. :func:`complete_activity_in` completes the activity
and, for a call or meeting with a known customer, logs an
:class:`~crmcore.interactions.Interaction` in the same unit of work.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime, timedelta
from types import MappingProxyType
from typing import Any, Final, Protocol, Unpack

import attrs

from crmcore._kernel._checks import enum_converter, type_name
from crmcore._kernel._events import EventMeta
from crmcore._kernel._ids import (
    ActivityId,
    CaseId,
    Identifier,
    InteractionId,
    OpportunityId,
)
from crmcore._kernel._refs import RecordKind
from crmcore.activities._activity import TIMED_KINDS, Activity
from crmcore.activities._events import ActivityKind
from crmcore.customers import Channel
from crmcore.errors import DuplicateId, InvalidType, ValidationError
from crmcore.interactions import Direction, Interaction, InteractionKind

#: The channel an interaction is logged on when none is given, per kind of activity.
DEFAULT_CHANNELS: Final[Mapping[ActivityKind, Channel]] = MappingProxyType(
    {ActivityKind.CALL: Channel.PHONE, ActivityKind.MEETING: Channel.IN_PERSON}
)
_INTERACTION_KINDS: Final[Mapping[ActivityKind, InteractionKind]] = MappingProxyType(
    {ActivityKind.CALL: InteractionKind.CALL, ActivityKind.MEETING: InteractionKind.MEETING}
)


class _ActivityStore(Protocol):
    def get(self, aggregate_id: Identifier, /) -> Activity: ...  # pragma: no cover - protocol

    def save(self, aggregate: Activity, /) -> Activity: ...  # pragma: no cover - protocol


class _InteractionStore(Protocol):
    def add(self, aggregate: Interaction, /) -> Interaction: ...  # pragma: no cover - protocol

    def __contains__(self, aggregate_id: object, /) -> bool: ...  # pragma: no cover - protocol


class ActivityUnit(Protocol):
    """What :func:`complete_activity_in` needs of a unit of work: its two repositories.

    :class:`crmcore.repository.UnitOfWork` has both.

    .. versionadded:: 0.1
    """

    @property
    def activities(self) -> _ActivityStore:
        """The activity repository."""
        ...  # pragma: no cover - a protocol

    @property
    def interactions(self) -> _InteractionStore:
        """The interaction repository."""
        ...  # pragma: no cover - a protocol


def _optional_interaction(_: object, __: attrs.Attribute[Any], value: object) -> None:
    if value is not None and not isinstance(value, Interaction):
        raise InvalidType(
            f"must be an Interaction or None, not {type_name(value)}", path="$.interaction"
        )


def _activity(_: object, __: attrs.Attribute[Any], value: object) -> None:
    if not isinstance(value, Activity):
        raise InvalidType(f"must be an Activity, not {type_name(value)}", path="$.activity")


@attrs.frozen(slots=True)
class ActivityCompletion:
    """What :func:`complete_activity_in` stored: the activity and the interaction logged.

    ``interaction`` is ``None`` when none was logged (the activity is not a
    call or meeting, or no customer is known).

    .. versionadded:: 0.1
    """

    activity: Activity = attrs.field(validator=_activity)
    interaction: Interaction | None = attrs.field(default=None, validator=_optional_interaction)


def _repositories(unit: object) -> tuple[_ActivityStore, _InteractionStore]:
    """The unit's two repositories; a unit without them is refused at ``$.unit``."""
    try:
        found: tuple[_ActivityStore, _InteractionStore] = (
            unit.activities,  # type: ignore[attr-defined]
            unit.interactions,  # type: ignore[attr-defined]
        )
    except AttributeError:
        raise InvalidType(
            f"must be a unit of work with activities and interactions, not {type_name(unit)}",
            path="$.unit",
        ) from None
    return found


def complete_activity_in(
    unit: ActivityUnit,
    activity_id: ActivityId,
    *,
    at: datetime,
    interaction_id: InteractionId | None = None,
    outcome: str | None = None,
    actual_at: datetime | None = None,
    duration: timedelta | None = None,
    channel: Channel | str | None = None,
    direction: Direction | str = Direction.OUTBOUND,
    **meta: Unpack[EventMeta],
) -> ActivityCompletion:
    """Complete an activity in ``unit`` and log the call or meeting it was on the timeline.

    Loads the activity from ``unit.activities``, completes its current
    occurrence (see :meth:`Activity.complete`) and saves it. When it is a
    call or a meeting and its customer is known (the customer or account it
    is linked to, else its first contact), an
    :class:`~crmcore.interactions.Interaction` is logged through
    ``unit.interactions.add`` as ``interaction_id`` (required then; a task,
    an email or a deadline needs none): of the same kind, at the
    actual time, on ``channel`` (a phone call or an in-person meeting by
    default), ``direction`` outbound by default, handled by the owner, linked
    to the case or opportunity the activity is linked to, lasting
    ``duration`` (the planned duration when left out), with the activity's
    subject and the outcome as its subject and notes. Unless the caller gives
    a ``causation_id``, the interaction's is the id of the
    :class:`~crmcore.activities.ActivityCompleted` event.

    Both are checked before anything is stored (an ``interaction_id`` the
    unit holds already included); the caller commits the unit.

    Raises:
        NotFound: no activity has this id.
        DuplicateId: an interaction would be logged under an id already stored.
        ValidationError: an interaction would be logged and no ``interaction_id``
            was given (``$.interaction_id``, code ``required``).
        TransitionNotAllowed: the activity is done or cancelled.
        InvalidType: an argument of the wrong type (``$.unit`` without the two
            repositories, ``$.interaction_id``, ...).
        ValidationError: an argument breaks a rule (``$.actual_at``, ``$.direction``,
            ``$.duration``, ``$.channel`` for a channel the kind never uses, ...).
    """
    activities, interactions = _repositories(unit)
    if interaction_id is not None and type(interaction_id) is not InteractionId:
        raise InvalidType(
            f"must be an InteractionId or None, not {type_name(interaction_id)}",
            path="$.interaction_id",
        )
    chosen = None if channel is None else enum_converter(Channel, "$.channel")(channel)
    way = enum_converter(Direction, "$.direction")(direction)
    activity = activities.get(activity_id)
    completed = activity.complete(
        at=at, outcome=outcome, actual_at=actual_at, duration=duration, **meta
    )
    customer_id = activity.customer_id
    interaction: Interaction | None = None
    if activity.kind in TIMED_KINDS and customer_id is not None:
        if interaction_id is None:
            raise ValidationError(
                f"completing a {activity.kind.value} with a customer logs an interaction: "
                "give the id to log it under",
                path="$.interaction_id",
                code="required",
            )
        event = completed.pending_events[-1]
        link = activity.link
        interaction_meta: dict[str, Any] = dict(meta)
        interaction_meta.setdefault("causation_id", event.event_id)
        interaction = Interaction.log(
            interaction_id,
            customer_id=customer_id,
            kind=_INTERACTION_KINDS[activity.kind],
            channel=DEFAULT_CHANNELS[activity.kind] if chosen is None else chosen,
            direction=way,
            at=completed.completed_at or completed.updated_at,
            subject=activity.subject,
            notes=completed.outcome,
            staff_id=activity.owner_id,
            case_id=CaseId(link.value) if link and link.kind is RecordKind.CASE else None,
            opportunity_id=(
                OpportunityId(link.value) if link and link.kind is RecordKind.OPPORTUNITY else None
            ),
            duration=activity.duration if duration is None else duration,
            **interaction_meta,
        )
        # Refused before the activity is saved: a refusal leaves the unit as it was.
        if interaction_id in interactions:
            raise DuplicateId("interaction", interaction_id)
    stored = activities.save(completed)
    logged = None if interaction is None else interactions.add(interaction)
    return ActivityCompletion(stored, logged)
