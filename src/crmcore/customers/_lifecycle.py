"""Where a customer stands in a lifecycle: the stage, its append-only history, and the event.

These are the values a :class:`~crmcore.Customer` holds. The engine that moves
customers between stages (definitions, triggers, guards, progression rules)
lives in :mod:`crmcore.lifecycle`; the model only knows names.

A history always starts with the *entry* into the lifecycle (``from_stage`` is
``None``, trigger ``"start"``); every later change starts where the one before
it ended, and no change is dated before the one before it.

>>> from datetime import datetime, timezone
>>> t0 = datetime(2026, 1, 5, tzinfo=timezone.utc)
>>> t1 = datetime(2026, 2, 1, tzinfo=timezone.utc)
>>> state = LifecycleState(
...     "relationship_ladder",
...     "prospect",
...     (
...         StageChange(None, "suspect", "start", t0),
...         StageChange("suspect", "prospect", "qualify", t1, actor="agent-7"),
...     ),
... )
>>> state
LifecycleState(definition='relationship_ladder', stage='prospect', changes=2)
>>> state.stage_at(datetime(2026, 1, 20, tzinfo=timezone.utc))
'suspect'
>>> state.entered_at == t1
True
"""

from __future__ import annotations

from bisect import bisect_right
from datetime import datetime
from typing import Any, ClassVar, Final, Protocol, TypeVar

import attrs

from crmcore._kernel._checks import check_name, clean_text, require_aware, type_name
from crmcore.customers._events import CustomerEvent
from crmcore.errors import InvalidType, ValidationError

T = TypeVar("T")

#: The trigger recorded for the entry into a lifecycle (the first change of a history).
START_TRIGGER: Final = "start"
#: Most changes one lifecycle history may hold.
MAX_HISTORY: Final = 100_000
#: Longest actor identifier and longest reason, in characters.
MAX_ACTOR_LENGTH: Final = 200
MAX_REASON_LENGTH: Final = 500


class NamedDefinition(Protocol):
    """Anything with a lifecycle definition's ``name`` (such as a ``LifecycleDefinition``)."""

    @property
    def name(self) -> str:
        """The definition's name."""
        ...  # pragma: no cover - a protocol


def _from_stage(value: object) -> str | None:
    return None if value is None else check_name(value, "$.from_stage")


def _to_stage(value: object) -> str:
    return check_name(value, "$.to_stage")


def _trigger(value: object) -> str:
    return check_name(value, "$.trigger")


def _change_at(value: object) -> datetime:
    return require_aware(value, "$.at")


def _actor(value: object) -> str | None:
    if value is None:
        return None
    return clean_text(value, "$.actor", max_length=MAX_ACTOR_LENGTH, what="the actor")


def _reason(value: object) -> str | None:
    if value is None:
        return None
    return clean_text(value, "$.reason", max_length=MAX_REASON_LENGTH, what="the reason")


@attrs.frozen(slots=True)
class StageChange:
    """One move in a lifecycle: from a stage to another, by a trigger, at a time.

    The entry into a lifecycle has ``from_stage=None`` and the trigger
    ``"start"``. ``actor`` (who or what fired it: a user id, ``"progression"``)
    and ``reason`` (free text) are kept out of the repr, as they may identify
    people.

    Attributes:
        from_stage: the stage left, or ``None`` for the entry.
        to_stage: the stage entered.
        trigger: the trigger that caused the move.
        at: when it happened (timezone-aware).
        actor: who or what fired the trigger, if known.
        reason: why, in words, if given.
    """

    from_stage: str | None = attrs.field(converter=_from_stage)
    to_stage: str = attrs.field(converter=_to_stage)
    trigger: str = attrs.field(converter=_trigger)
    at: datetime = attrs.field(converter=_change_at)
    actor: str | None = attrs.field(default=None, converter=_actor, repr=False)
    reason: str | None = attrs.field(default=None, converter=_reason, repr=False)


def _definition_name(value: object) -> str:
    return check_name(value, "$.definition")


def _stage(value: object) -> str:
    return check_name(value, "$.stage")


def _exact_tuple(value: object, cls: type[T], path: str) -> tuple[T, ...]:
    """``value`` as a tuple of exact ``cls`` instances (no subclasses); a tuple is kept as is."""
    if type(value) is not tuple:
        if isinstance(value, (str, bytes, dict)) or not hasattr(value, "__iter__"):
            raise InvalidType(f"must be a sequence, not {type_name(value)}", path=path)
        value = tuple(value)
    for index, item in enumerate(value):
        if type(item) is not cls:
            raise InvalidType(
                f"must be a {cls.__name__}, not {type_name(item)}", path=f"{path}[{index}]"
            )
    items: tuple[T, ...] = value
    return items


def _history(value: object) -> tuple[StageChange, ...]:
    return _exact_tuple(value, StageChange, "$.history")


@attrs.frozen(slots=True, repr=False)
class LifecycleState:
    """A customer's place in one lifecycle: the current stage and how it got there.

    ``history`` is append-only and consistent: it starts with the entry
    (``from_stage`` ``None``), each change leaves the stage the one before it
    entered, times never go backwards, and ``stage`` is where the last change
    led. Whether each move was *allowed* depends on the definition: check a
    stored state with ``definition.replay(state.history)``.

    Attributes:
        definition: the name of the lifecycle definition.
        stage: the current stage.
        history: every change, oldest first.
    """

    definition: str = attrs.field(converter=_definition_name)
    stage: str = attrs.field(converter=_stage)
    history: tuple[StageChange, ...] = attrs.field(converter=_history)

    def __attrs_post_init__(self) -> None:
        history = self.history
        if not history:
            raise ValidationError(
                "must hold at least the entry into the lifecycle", path="$.history", code="empty"
            )
        if len(history) > MAX_HISTORY:
            raise ValidationError(
                f"must hold at most {MAX_HISTORY} changes", path="$.history", code="too_many"
            )
        if history[0].from_stage is not None:
            raise ValidationError(
                "the first change must be the entry (from_stage null)",
                path="$.history[0].from_stage",
                code="entry",
            )
        previous = history[0]
        for index in range(1, len(history)):
            change = history[index]
            if change.from_stage != previous.to_stage:
                raise ValidationError(
                    "must leave the stage the previous change entered",
                    path=f"$.history[{index}].from_stage",
                    code="broken_chain",
                )
            if change.at < previous.at:
                raise ValidationError(
                    "must not be earlier than the previous change (time never goes backwards)",
                    path=f"$.history[{index}].at",
                    code="backwards",
                )
            previous = change
        if self.stage != previous.to_stage:
            raise ValidationError(
                "must be the stage the last change entered", path="$.stage", code="stage_mismatch"
            )

    @property
    def started_at(self) -> datetime:
        """When the customer entered the lifecycle."""
        return self.history[0].at

    @property
    def entered_at(self) -> datetime:
        """When the customer entered the current stage."""
        return self.history[-1].at

    @property
    def previous_stage(self) -> str | None:
        """The stage before the current one (``None`` right after the entry)."""
        return self.history[-1].from_stage

    def stage_at(self, at: datetime) -> str | None:
        """The stage at instant ``at``, or ``None`` before the entry.

        A change dated exactly ``at`` has already happened at ``at``.
        """
        when = require_aware(at, "$.at")
        position = bisect_right(self.history, when, key=_change_time)
        return None if position == 0 else self.history[position - 1].to_stage

    def __repr__(self) -> str:
        return (
            f"LifecycleState(definition={self.definition!r}, stage={self.stage!r}, "
            f"changes={len(self.history)})"
        )


def _change_time(change: StageChange) -> datetime:
    return change.at


@attrs.frozen(slots=True, kw_only=True)
class CustomerStageChanged(CustomerEvent):
    """A customer moved to another stage of a lifecycle (or entered one: ``from_stage`` null).

    Who moved them is the envelope's ``actor``; the reason stays in the
    lifecycle history (it is free text).
    """

    v1_names: ClassVar[tuple[str, ...]] = ("LifecycleStageChanged",)

    definition: str
    from_stage: str | None
    to_stage: str
    trigger: str


def to_lifecycles(value: object) -> tuple[LifecycleState, ...]:
    """Converter for ``Customer.lifecycles``: a tuple of :class:`LifecycleState`."""
    return _exact_tuple(value, LifecycleState, "$.lifecycles")


def check_lifecycles(states: tuple[LifecycleState, ...], created_at: datetime) -> None:
    """One state per definition, none entered before the customer was registered."""
    seen: set[str] = set()
    for index, state in enumerate(states):
        if state.definition in seen:
            raise ValidationError(
                "must hold at most one state per lifecycle definition",
                path=f"$.lifecycles[{index}].definition",
                code="duplicate",
            )
        seen.add(state.definition)
        if state.history[0].at < created_at:
            raise ValidationError(
                "must not be dated before the customer was registered",
                path=f"$.lifecycles[{index}].history[0].at",
                code="before_registration",
            )


def definition_name(definition: object, path: str = "$.definition") -> str:
    """The name of a lifecycle definition given as itself or as its name."""
    name: Any = definition if isinstance(definition, str) else getattr(definition, "name", None)
    if not isinstance(name, str):
        raise InvalidType(
            f"must be a lifecycle definition or its name, not {type_name(definition)}", path=path
        )
    return name
