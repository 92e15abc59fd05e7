"""Strategies for lifecycles: states and definitions."""

from __future__ import annotations

import functools
from collections.abc import Callable, Iterable
from datetime import datetime
from typing import Any, Final

from hypothesis import strategies as st

from crmcore._kernel._checks import (
    instance_of,
    tuple_of,
)
from crmcore.customers import (
    Customer,
    LifecycleState,
    StageChange,
)
from crmcore.lifecycle import (
    CRM_STAGES,
    RELATIONSHIP_LADDER,
    START_TRIGGER,
    LifecycleDefinition,
    State,
    Transition,
)
from crmcore.testing.strategies._base import (
    _ACTORS,
    _STEP_OFFSETS,
    _ascii_slugs,
    _check_order,
    _int_arg,
    _later,
    _non_empty,
    _reasons,
    _short_texts,
    _shuffle,
    _snake_names,
    _window,
)

# -- lifecycles -----------------------------------------------------------------------------


def _definition_choices(value: object) -> tuple[LifecycleDefinition, ...]:
    if value is None:
        return (RELATIONSHIP_LADDER, CRM_STAGES)
    return _non_empty(
        tuple_of(value, "$.definitions", instance_of(LifecycleDefinition, "a LifecycleDefinition")),
        "$.definitions",
    )


def lifecycle_states(
    *,
    definitions: Iterable[LifecycleDefinition] | None = None,
    max_changes: int = 8,
    min_started_at: datetime | None = None,
    max_started_at: datetime | None = None,
) -> st.SearchStrategy[LifecycleState]:
    """Valid :class:`~crmcore.customers.LifecycleState` values: a walk along a definition's moves.

    The history enters a stage of the definition (usually the initial one)
    and then takes up to ``max_changes - 1`` moves the definition allows, never
    back in time, so ``definition.replay(state.history) == state.stage``.
    Guards are data here: a move that names guards is taken as if they held.

    Args:
        definitions: the definitions to walk; ``RELATIONSHIP_LADDER`` and
            ``CRM_STAGES`` by default.
        max_changes: the most changes in a history, the entry included (1 to 1000).
        min_started_at: the earliest entry time (aware); 2000 by default.
        max_started_at: the latest entry time (aware); 2099 by default.

    Raises:
        InvalidType: an argument of the wrong type.
        ValidationError: a bound out of range, crossed bounds or an empty ``definitions``.
    """
    return _lifecycle_states(
        _definition_choices(definitions),
        _int_arg(max_changes, "$.max_changes", minimum=1, maximum=1000),
        _window(min_started_at, max_started_at, "started_at"),
    )


@functools.cache
def _actors() -> st.SearchStrategy[str]:
    return st.sampled_from(_ACTORS) | _ascii_slugs(30, "-_:.")


@st.composite
def _lifecycle_states(
    draw: st.DrawFn,
    definitions: tuple[LifecycleDefinition, ...],
    max_changes: int,
    times: st.SearchStrategy[datetime],
) -> LifecycleState:
    definition = draw(st.sampled_from(definitions))
    at = draw(times)
    stage = definition.initial
    if draw(st.booleans()):  # an imported customer enters at a known stage
        stage = draw(st.sampled_from(definition.stage_names))
    history = [StageChange(None, stage, START_TRIGGER, at, draw(st.none() | _actors()))]
    for _ in range(draw(st.integers(min_value=0, max_value=max_changes - 1))):
        triggers = definition.triggers_from(stage)
        if not triggers:
            break
        trigger = draw(st.sampled_from(triggers))
        target = definition.target_of(stage, trigger)
        if target is None:  # pragma: no cover - triggers_from lists only allowed triggers
            break
        at = _later(at, draw(_STEP_OFFSETS))
        history.append(
            StageChange(
                stage,
                target,
                trigger,
                at,
                draw(st.none() | _actors()),
                draw(st.none() | _reasons()),
            )
        )
        stage = target
    return LifecycleState(definition.name, stage, tuple(history))


def _walk(
    draw: st.DrawFn, definition: LifecycleDefinition, customer: Customer, when: datetime
) -> tuple[Customer, datetime]:
    """Fire a drawn path along ``definition`` from ``when`` on; return the customer and the last time."""
    at = when
    started = draw(st.booleans())
    if started:  # an imported customer enters at a known stage
        stage = draw(st.sampled_from(definition.stage_names))
        customer = definition.start(customer, at=at, stage=stage, actor=draw(st.none() | _actors()))
    # At least one change, so the customer is tracked by the definition.
    moves = draw(st.integers(min_value=0 if started else 1, max_value=_LIFECYCLE_MOVES))
    for _ in range(moves):
        triggers = definition.allowed_triggers(customer)
        if not triggers:
            break
        at = _later(at, draw(_STEP_OFFSETS))
        customer = definition.fire(
            customer,
            draw(st.sampled_from(triggers)),
            at=at,
            actor=draw(st.none() | _actors()),
            reason=draw(st.none() | _reasons()),
        )
    return customer, at


#: The most moves a generated customer makes in one lifecycle.
_LIFECYCLE_MOVES: Final = 6


def lifecycle_definitions(
    *, min_states: int = 1, max_states: int = 6
) -> st.SearchStrategy[LifecycleDefinition]:
    """Small valid :class:`~crmcore.lifecycle.LifecycleDefinition` values.

    Every state is reachable from the initial one (a drawn spanning tree),
    every open state has a way out and terminal states have none, no
    trigger leads from one state to two targets; some transitions have
    several sources or name guards, some states a group or a label, and
    some definitions a funnel. State order is shuffled, so the initial
    state is not always declared first.

    Args:
        min_states: the fewest states (at least 1).
        max_states: the most states (at most 26).

    Raises:
        ValidationError: a bound out of range, or crossed bounds.
    """
    low = _int_arg(min_states, "$.min_states", minimum=1, maximum=26)
    high = _int_arg(max_states, "$.max_states", minimum=1, maximum=26)
    _check_order(low, high, "$.max_states", "min_states")
    return _lifecycle_definitions(low, high)


@st.composite
def _lifecycle_definitions(draw: st.DrawFn, low: int, high: int) -> LifecycleDefinition:
    count = draw(st.integers(min_value=low, max_value=high))
    names = draw(st.lists(_snake_names(), min_size=count, max_size=count, unique=True))
    terminal = [False] + [draw(st.integers(0, 3)) == 0 for _ in names[1:]]
    transitions: list[Transition] = []
    for index in range(1, count):  # a spanning tree: every state reachable
        parents = [names[i] for i in range(index) if not terminal[i]]
        transitions.append(
            Transition(f"to_{names[index]}", draw(st.sampled_from(parents)), names[index])
        )
    open_states = [n for n, done in zip(names, terminal, strict=True) if not done]
    guards = st.lists(
        st.sampled_from(("has_consent", "is_vip", "paid_in_full")), unique=True, max_size=2
    )
    for number in range(draw(st.integers(min_value=0, max_value=count))):
        sources = draw(st.lists(st.sampled_from(open_states), min_size=1, max_size=3, unique=True))
        transitions.append(
            Transition(f"move_{number}", sources, draw(st.sampled_from(names)), guards=draw(guards))
        )
    leaving = {source for t in transitions for source in t.sources}
    # An open state needs a way out.
    transitions.extend(
        Transition(f"leave_{name}", name, draw(st.sampled_from(names)))
        for name in open_states
        if name not in leaving
    )
    states = [
        State(
            name,
            terminal=done,
            group=draw(st.none() | st.sampled_from(("acquire", "enhance", "retain"))),
            label=draw(st.none() | _short_texts()),
        )
        for name, done in zip(names, terminal, strict=True)
    ]
    _shuffle(draw, states)
    funnel = [state.name for state in states if draw(st.integers(0, 3)) == 0]
    return LifecycleDefinition(
        draw(_snake_names()),
        states=states,
        initial=names[0],
        transitions=transitions,
        funnel=funnel,
    )


def _stage_change_fields() -> st.SearchStrategy[dict[str, Any]]:
    """A stage event's fields: the last change of a walk its definition allows."""

    def fields(state: LifecycleState) -> dict[str, Any]:
        change = state.history[-1]
        return {
            "occurred_at": change.at,
            "definition": state.definition,
            "from_stage": change.from_stage,
            "to_stage": change.to_stage,
            "trigger": change.trigger,
        }

    return lifecycle_states().map(fields)


#: Event fields these strategies constrain beyond their declared type, by event class name.
EVENT_FIELDS: Final[dict[str, dict[str, Callable[[], st.SearchStrategy[Any]]]]] = {
    "CustomerStageChanged": {"*": _stage_change_fields},
}
