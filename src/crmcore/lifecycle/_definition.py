"""Lifecycle definitions: states, transitions, validation when built, and firing triggers."""

from __future__ import annotations

from collections import deque
from collections.abc import Callable, Collection, Iterable, Mapping
from datetime import datetime
from itertools import islice
from typing import Any, Final, Unpack

import attrs

from crmcore._kernel._checks import (
    check_name,
    clean_text,
    is_bool,
    require_aware,
    tuple_of,
    type_name,
)
from crmcore._kernel._events import EventMeta, check_meta
from crmcore.customers import START_TRIGGER, Customer, LifecycleState, StageChange
from crmcore.errors import InvalidType, Problem, TransitionNotAllowed, ValidationError
from crmcore.lifecycle._diagrams import dot, mermaid
from crmcore.lifecycle._errors import InvalidDefinition

#: Most states one definition may declare.
MAX_STATES: Final = 256
#: Most transitions one definition may declare.
MAX_TRANSITIONS: Final = 4096
#: Longest state label, in characters.
MAX_LABEL_LENGTH: Final = 100

#: A guard: given the customer and the time of firing, may the transition happen?
Guard = Callable[[Customer, datetime], bool]


def _text(value: object, path: str) -> str:
    if not isinstance(value, str):
        raise InvalidType(f"must be a str, not {type_name(value)}", path=path)
    return str(value)  # a StrEnum member becomes its plain value


def _state_name(value: object) -> str:
    return _text(value, "$.name")


def _group(value: object) -> str | None:
    return None if value is None else _text(value, "$.group")


def _label(value: object) -> str | None:
    if value is None:
        return None
    return clean_text(value, "$.label", max_length=MAX_LABEL_LENGTH, what="the label")


@attrs.frozen(slots=True)
class State:
    """One stage of a lifecycle.

    Names are snake_case (checked when the definition is built, with every
    other problem). A *terminal* state has no way out; every other (open) state
    needs at least one transition out.

    Attributes:
        name: the stage's name, such as ``"first_time_customer"``.
        terminal: whether the lifecycle ends here.
        group: an optional snake_case group, such as ``"acquire"``.
        label: an optional display name for diagrams (defaults to the name in words).

    >>> State("first_time_customer").title
    'first time customer'
    """

    name: str = attrs.field(converter=_state_name)
    terminal: bool = attrs.field(default=False, validator=is_bool, kw_only=True)
    group: str | None = attrs.field(default=None, converter=_group, kw_only=True)
    label: str | None = attrs.field(default=None, converter=_label, kw_only=True)

    @property
    def title(self) -> str:
        """The label, or the name with underscores as spaces."""
        return self.label if self.label is not None else self.name.replace("_", " ")


def _trigger_name(value: object) -> str:
    return _text(value, "$.trigger")


def _names(value: object, path: str) -> tuple[str, ...]:
    if isinstance(value, str):
        return (str(value),)
    if isinstance(value, (bytes, dict)) or not isinstance(value, Iterable):
        raise InvalidType(
            f"must be a name or a sequence of names, not {type_name(value)}", path=path
        )
    names = []
    for index, item in enumerate(islice(value, MAX_STATES + 1)):
        if index == MAX_STATES:  # more names than states: refused before reading on
            raise ValidationError(
                f"must name at most {MAX_STATES} states", path=path, code="too_many"
            )
        names.append(_text(item, f"{path}[{index}]"))
    return tuple(names)


def _sources(value: object) -> tuple[str, ...]:
    return _names(value, "$.sources")


def _target(value: object) -> str:
    return _text(value, "$.target")


def _guards(value: object) -> tuple[str, ...]:
    return _names(value, "$.guards")


@attrs.frozen(slots=True)
class Transition:
    """A trigger that moves a customer from any of ``sources`` to ``target``.

    ``guards`` name conditions that must all hold when the trigger fires; the
    functions are passed to :meth:`LifecycleDefinition.fire` by name, so a
    definition stays plain data that can be stored.

    >>> Transition("first_purchase", ("suspect", "prospect"), "first_time_customer")
    Transition(trigger='first_purchase', sources=('suspect', 'prospect'), target='first_time_customer', guards=())
    """

    trigger: str = attrs.field(converter=_trigger_name)
    sources: tuple[str, ...] = attrs.field(converter=_sources)
    target: str = attrs.field(converter=_target)
    guards: tuple[str, ...] = attrs.field(default=(), converter=_guards, kw_only=True)


class _Check:
    """Collects every problem of a definition before it is built."""

    def __init__(self) -> None:
        self.problems: list[Problem] = []

    def add(self, path: str, rule: str, code: str) -> None:
        self.problems.append(Problem(path, rule, code))

    def text(self, value: object, path: str, *, name: bool = True) -> bool:
        """Add a problem unless ``value`` is a str (and, with ``name``, a snake_case name)."""
        if not isinstance(value, str):
            self.add(path, f"must be a str, not {type_name(value)}", "type")
            return False
        return self.name(value, path) if name else True

    def name(self, value: str, path: str) -> bool:
        try:
            check_name(value, path)
        except ValidationError as exc:
            self.problems.extend(exc.problems)
            return False
        return True

    def items(
        self, values: object, path: str, cls: type[Any], what: str, *, most: int, noun: str
    ) -> list[Any]:
        """The items of ``values`` that are ``cls``; reads at most ``most`` + 1 of them.

        Past ``most`` items the sequence is refused (``too_many``) without reading
        the rest: a hostile ``range(2**62)`` costs no more than ``most`` + 1 items.
        """
        if isinstance(values, (str, bytes, dict)) or not isinstance(values, Iterable):
            self.add(path, f"must be a sequence of {what}, not {type_name(values)}", "type")
            return []
        out: list[Any] = []
        for index, value in enumerate(islice(values, most + 1)):
            if index == most:
                self.add(path, f"must declare at most {most} {noun}", "too_many")
                break
            if cls is State and isinstance(value, str):
                value = State(value)  # noqa: PLW2901 - a bare name is an open state
            if not isinstance(value, cls):
                self.add(f"{path}[{index}]", f"must be {what}, not {type_name(value)}", "type")
                continue
            out.append(value)
        return out


def _check_states(check: _Check, states: list[State]) -> dict[str, int]:
    index: dict[str, int] = {}
    if not states:
        check.add("$.states", "must declare at least one state", "empty")
    for position, state in enumerate(states):
        path = f"$.states[{position}]"
        if not check.name(state.name, f"{path}.name"):
            continue
        if state.group is not None:
            check.name(state.group, f"{path}.group")
        if state.name in index:
            check.add(f"{path}.name", "must not repeat the name of another state", "duplicate")
            continue
        index[state.name] = position
    return index


def _check_parts(
    check: _Check, transition: Transition, path: str, states: list[State], index: Mapping[str, int]
) -> list[tuple[int, str]]:
    """Check one transition's names; return its valid, distinct, open source states."""
    if transition.target not in index and check.name(transition.target, f"{path}.target"):
        check.add(f"{path}.target", "must name a declared state", "unknown_state")
    seen_guards: set[str] = set()
    for number, guard in enumerate(transition.guards):
        if check.name(guard, f"{path}.guards[{number}]") and guard in seen_guards:
            check.add(f"{path}.guards[{number}]", "must not repeat a guard", "duplicate")
        seen_guards.add(guard)
    if not transition.sources:
        check.add(f"{path}.sources", "must name at least one source state", "no_source")
    sources: list[tuple[int, str]] = []
    for number, source in enumerate(transition.sources):
        source_path = f"{path}.sources[{number}]"
        if source not in index:
            if check.name(source, source_path):
                check.add(source_path, "must name a declared state", "unknown_state")
        elif any(source == seen for _, seen in sources):
            check.add(source_path, "must not repeat a source state", "duplicate")
        elif states[index[source]].terminal:
            check.add(
                source_path,
                f"state '{source}' is terminal and cannot have a way out",
                "terminal_source",
            )
        else:
            sources.append((number, source))
    return sources


def _check_transitions(
    check: _Check, transitions: list[Transition], states: list[State], index: Mapping[str, int]
) -> dict[str, dict[str, Transition]]:
    table: dict[str, dict[str, Transition]] = {name: {} for name in index}
    where: dict[tuple[str, str], int] = {}
    for position, transition in enumerate(transitions):
        path = f"$.transitions[{position}]"
        trigger_ok = check.name(transition.trigger, f"{path}.trigger")
        sources = _check_parts(check, transition, path, states, index)
        if not trigger_ok:
            continue
        for number, source in sources:
            earlier = where.setdefault((source, transition.trigger), position)
            if earlier == position:
                if transition.target in index:
                    table[source][transition.trigger] = transition
                continue
            other = transitions[earlier].target
            if other == transition.target:
                rule = (
                    f"repeats the move by '{transition.trigger}' from '{source}' "
                    f"declared at transitions[{earlier}]"
                )
                code = "duplicate"
            else:
                rule = (
                    f"trigger '{transition.trigger}' from state '{source}' already leads to "
                    f"'{other}' (transitions[{earlier}]): one trigger, one target"
                )
                code = "ambiguous"
            check.add(f"{path}.sources[{number}]", rule, code)
    return table


def _check_graph(
    check: _Check,
    index: Mapping[str, int],
    table: Mapping[str, Mapping[str, Transition]],
    initial: str | None,
) -> None:
    if initial is None or initial == "":
        check.add("$.initial", "must name the initial state", "no_initial")
        return
    if initial not in index:
        if check.name(initial, "$.initial"):
            check.add("$.initial", "must name a declared state", "unknown_state")
        return
    reached = {initial}
    pending = [initial]
    while pending:
        for transition in table[pending.pop()].values():
            if transition.target not in reached:
                reached.add(transition.target)
                pending.append(transition.target)
    for name, position in index.items():
        if name not in reached:
            check.add(
                f"$.states[{position}]",
                f"state '{name}' cannot be reached from the initial state '{initial}'",
                "unreachable",
            )


def _check_dead_ends(
    check: _Check,
    states: list[State],
    index: Mapping[str, int],
    table: Mapping[str, Mapping[str, Transition]],
) -> None:
    for name, position in index.items():
        if not states[position].terminal and not table[name]:
            check.add(
                f"$.states[{position}].terminal",
                f"open state '{name}' needs a transition out (or must be marked terminal)",
                "dead_end",
            )


def _check_funnel(check: _Check, funnel: object, index: Mapping[str, int]) -> tuple[str, ...]:
    try:
        names = _names(funnel, "$.funnel")
    except ValidationError as exc:
        check.problems.extend(exc.problems)
        return ()
    seen: set[str] = set()
    for position, name in enumerate(names):
        path = f"$.funnel[{position}]"
        if name not in index:
            if check.name(name, path):
                check.add(path, "must name a declared state", "unknown_state")
        elif name in seen:
            check.add(path, "must not repeat a state", "duplicate")
        seen.add(name)
    return names


@attrs.frozen(slots=True, init=False, repr=False)
class LifecycleDefinition:
    """A declarative state machine for one customer lifecycle.

    A definition names its states (in order; each open or terminal), the
    initial state, and the transitions: a trigger, its source states, a target
    and optional named guards. It is validated when built and raises
    :class:`~crmcore.lifecycle.InvalidDefinition` listing *every* problem:
    unknown, repeated or unreachable states, open states with no way out,
    terminal states with one, a trigger leading to two targets from one state,
    no initial state, names that are not snake_case. Definitions are plain
    data: they round-trip through :mod:`crmcore.serialization`.

    ``funnel`` optionally lists the stages of the main path, in order, for
    :func:`~crmcore.lifecycle.funnel` (default: every state in declared order).

    >>> signup = LifecycleDefinition(
    ...     "signup",
    ...     states=["visitor", "trial", State("subscriber"), State("gone", terminal=True)],
    ...     initial="visitor",
    ...     transitions=[
    ...         Transition("start_trial", "visitor", "trial"),
    ...         Transition("subscribe", ("visitor", "trial"), "subscriber"),
    ...         Transition("cancel", ("trial", "subscriber"), "gone"),
    ...     ],
    ... )
    >>> signup.triggers_from("trial")
    ('subscribe', 'cancel')
    >>> try:
    ...     LifecycleDefinition(
    ...         "broken",
    ...         states=["a", "b", "c"],
    ...         transitions=[Transition("go", "a", "b"), Transition("go", "a", "c")],
    ...     )
    ... except InvalidDefinition as error:
    ...     for problem in error.problems:
    ...         print(problem.path, problem.code)
    $.transitions[1].sources[0] ambiguous
    $.states[1].terminal dead_end
    $.states[2].terminal dead_end
    $.initial no_initial
    """

    name: str
    states: tuple[State, ...]
    initial: str = ""
    transitions: tuple[Transition, ...] = ()
    funnel: tuple[str, ...] = ()
    _index: dict[str, int] = attrs.field(init=False, eq=False, hash=False, repr=False)
    _table: dict[str, dict[str, Transition]] = attrs.field(
        init=False, eq=False, hash=False, repr=False
    )
    _allowed: dict[str, tuple[str, ...]] = attrs.field(init=False, eq=False, hash=False, repr=False)
    _triggers: tuple[str, ...] = attrs.field(init=False, eq=False, hash=False, repr=False)

    def __init__(
        self,
        name: str,
        *,
        states: Iterable[State | str],
        initial: str | None = None,
        transitions: Iterable[Transition] = (),
        funnel: Iterable[str] = (),
    ) -> None:
        check = _Check()
        check.text(name, "$.name")
        state_list: list[State] = check.items(
            states, "$.states", State, "a State", most=MAX_STATES, noun="states"
        )
        transition_list: list[Transition] = check.items(
            transitions,
            "$.transitions",
            Transition,
            "a Transition",
            most=MAX_TRANSITIONS,
            noun="transitions",
        )
        index = _check_states(check, state_list)
        table = _check_transitions(check, transition_list, state_list, index)
        _check_dead_ends(check, state_list, index, table)
        if initial is None or check.text(initial, "$.initial", name=False):
            _check_graph(check, index, table, initial)
        funnel_names = _check_funnel(check, funnel, index)
        if check.problems:
            raise InvalidDefinition.collect(check.problems)
        self.__attrs_init__(
            str(name),
            tuple(state_list),
            str(initial),
            tuple(transition_list),
            funnel_names,
        )
        object.__setattr__(self, "_index", index)
        object.__setattr__(self, "_table", table)
        object.__setattr__(
            self, "_allowed", {stage: tuple(moves) for stage, moves in table.items()}
        )
        object.__setattr__(
            self, "_triggers", tuple(dict.fromkeys(t.trigger for t in transition_list))
        )

    # -- the shape ----------------------------------------------------------------------

    @property
    def stage_names(self) -> tuple[str, ...]:
        """Every stage name, in declared order."""
        return tuple(self._index)

    @property
    def triggers(self) -> tuple[str, ...]:
        """Every trigger name, in the order first declared."""
        return self._triggers

    @property
    def funnel_stages(self) -> tuple[str, ...]:
        """The stages of the main path: ``funnel`` if declared, else every stage."""
        return self.funnel or self.stage_names

    def state(self, name: str) -> State:
        """The declared state called ``name``.

        Raises:
            ValidationError: no such state (code ``unknown_stage``).
        """
        return self.states[self._position(name, "$.name")]

    def _position(self, stage: object, path: str) -> int:
        position = self._index.get(stage) if isinstance(stage, str) else None
        if position is None:
            if not isinstance(stage, str):
                raise InvalidType(f"must be a str, not {type_name(stage)}", path=path)
            raise ValidationError(
                f"must name a stage of lifecycle '{self.name}'", path=path, code="unknown_stage"
            )
        return position

    def rank(self, stage: str) -> int:
        """The position of ``stage`` in the declared order (0 for the first)."""
        return self._position(stage, "$.stage")

    def triggers_from(self, stage: str) -> tuple[str, ...]:
        """The triggers allowed from ``stage`` (before guards), in declared order."""
        self._position(stage, "$.stage")
        return self._allowed[stage]

    def target_of(self, stage: str, trigger: str) -> str | None:
        """Where ``trigger`` leads from ``stage``, or ``None`` if it is not allowed there."""
        self._position(stage, "$.stage")
        transition = _lookup(self._table[stage], trigger)
        return None if transition is None else transition.target

    def route(
        self, from_stage: str, to_stage: str, *, triggers: Collection[str] | None = None
    ) -> tuple[str, ...]:
        """The shortest sequence of triggers from one stage to another.

        Ties are broken by declared order, so the answer is always the same.
        ``triggers`` limits the search to those triggers.

        Raises:
            ValidationError: an unknown stage, or no route (code ``no_route``).
        """
        self._position(from_stage, "$.from_stage")
        self._position(to_stage, "$.to_stage")
        if triggers is not None:
            triggers = frozenset(
                tuple_of(triggers, "$.triggers", check_name, max_items=MAX_TRANSITIONS)
            )
        came_from: dict[str, tuple[str, str] | None] = {from_stage: None}
        queue = deque([from_stage])
        while queue and to_stage not in came_from:
            stage = queue.popleft()
            for trigger, transition in self._table[stage].items():
                if triggers is not None and trigger not in triggers:
                    continue
                if transition.target not in came_from:
                    came_from[transition.target] = (stage, trigger)
                    queue.append(transition.target)
        if to_stage not in came_from:
            raise ValidationError(
                f"no sequence of triggers leads from '{from_stage}' to '{to_stage}'",
                path="$.to_stage",
                code="no_route",
            )
        steps: list[str] = []
        cursor = came_from[to_stage]
        while cursor is not None:
            steps.append(cursor[1])
            cursor = came_from[cursor[0]]
        return tuple(reversed(steps))

    # -- where a customer stands ----------------------------------------------------------

    def state_of(self, customer: Customer) -> LifecycleState:
        """The customer's state in this lifecycle.

        A customer this lifecycle does not track yet is in the initial stage
        since registration (the state the first :meth:`fire` records).
        """
        state = _customer(customer).lifecycle_of(self.name)
        if state is not None:
            return state
        return self._implicit(customer)

    def stage_of(self, customer: Customer) -> str:
        """The customer's current stage in this lifecycle (the initial one if not tracked)."""
        state = _customer(customer).lifecycle_of(self.name)
        return self.initial if state is None else state.stage

    def allowed_triggers(self, customer: Customer) -> tuple[str, ...]:
        """The triggers allowed from the customer's current stage (before guards)."""
        return self.triggers_from(self.stage_of(customer))

    def _implicit(self, customer: Customer) -> LifecycleState:
        entry = StageChange(None, self.initial, START_TRIGGER, customer.created_at)
        return LifecycleState(self.name, self.initial, (entry,))

    # -- commands -------------------------------------------------------------------------

    def fire(
        self,
        customer: Customer,
        trigger: str,
        *,
        at: datetime,
        reason: str | None = None,
        guards: Mapping[str, Guard] | None = None,
        **meta: Unpack[EventMeta],
    ) -> Customer:
        """Fire ``trigger`` for ``customer`` at ``at``; return the moved customer.

        The new customer's :attr:`~crmcore.Customer.lifecycle` is this
        lifecycle's state: the current ``stage`` and the ``history`` with the
        change appended. A :class:`~crmcore.customers.CustomerStageChanged` event
        is recorded. A customer not tracked yet starts in the initial stage,
        dated at registration. Guards named by the transition are looked up in
        ``guards`` and called as ``guard(customer, at)``; all must return True.

        Raises:
            TransitionNotAllowed: the trigger is unknown, not allowed from the
                current stage, or refused by a guard; ``allowed`` lists the
                triggers allowed from the current stage.
            ValidationError: ``at`` is naive, before registration or before the
                last change (time never goes backwards); a guard is missing.
        """
        if type(customer) is not Customer:
            _customer(customer)
        when = require_aware(at, "$.at")
        name = self.name
        states = customer.lifecycles
        position, current = _locate(states, name)
        if current is None:
            stage = self.initial
            since = customer.created_at
        else:
            stage = current.stage
            since = current.history[-1].at
        moves = self._table.get(stage)
        if moves is None:
            raise ValidationError(
                f"the customer's stored stage is not a stage of lifecycle '{name}'",
                path=f"$.customer.lifecycles[{position}].stage",
                code="unknown_stage",
            )
        transition = _lookup(moves, trigger)
        if transition is None:
            raise self._refusal(stage, trigger)
        if transition.guards:
            self._check_guards(transition, stage, customer, when, guards)
        if when < since:
            raise _too_early(when, customer.created_at)
        actor = _actor(meta)
        change = StageChange(stage, transition.target, transition.trigger, when, actor, reason)
        if current is None:
            entry = StageChange(None, stage, START_TRIGGER, since)
            state = LifecycleState(name, transition.target, (entry, change))
        else:
            state = LifecycleState(name, transition.target, (*current.history, change))
        return customer.change_lifecycle(state, at=when, **meta)

    def start(
        self,
        customer: Customer,
        *,
        at: datetime,
        stage: str | None = None,
        reason: str | None = None,
        **meta: Unpack[EventMeta],
    ) -> Customer:
        """Start tracking ``customer`` at ``at``, in ``stage`` (default: the initial one).

        Use it to date the entry explicitly or to bring in customers whose
        stage is already known (an imported client). Records
        :class:`~crmcore.customers.CustomerStageChanged` with ``from_stage`` None.

        Raises:
            ValidationError: already tracked (code ``already_tracked``), an
                unknown stage, a naive time or one before registration.
        """
        checked = _customer(customer)
        when = require_aware(at, "$.at")
        target = (
            self.initial if stage is None else self.states[self._position(stage, "$.stage")].name
        )
        if checked.lifecycle_of(self.name) is not None:
            raise ValidationError(
                f"the customer is already tracked by lifecycle '{self.name}'",
                path="$.customer",
                code="already_tracked",
            )
        if when < checked.created_at:
            raise _too_early(when, checked.created_at)
        entry = StageChange(None, target, START_TRIGGER, when, _actor(meta), reason)
        state = LifecycleState(self.name, target, (entry,))
        return checked.change_lifecycle(state, at=when, **meta)

    def move_to(
        self,
        customer: Customer,
        stage: str,
        *,
        at: datetime,
        reason: str | None = None,
        guards: Mapping[str, Guard] | None = None,
        **meta: Unpack[EventMeta],
    ) -> Customer:
        """Fire the shortest route of triggers that takes the customer to ``stage``.

        Nothing changes if the customer is already there. If any step is
        refused, the error is raised and the customer is unchanged.
        """
        checked = _customer(customer)
        path = self.route(self.stage_of(checked), stage)
        for trigger in path:
            checked = self.fire(checked, trigger, at=at, reason=reason, guards=guards, **meta)
        return checked

    def replay(self, history: Iterable[StageChange]) -> str:
        """Check that every change of a history is a move this definition allows; return the stage.

        The first change must be the entry into a declared stage; each later
        one must leave the stage the one before entered, by a trigger allowed
        there, to the target the definition names, never earlier in time.

        Raises:
            TransitionNotAllowed: a change by a trigger not allowed from its stage.
            ValidationError: any other inconsistency, with the change's path.
        """
        if isinstance(history, (str, bytes, dict)) or not isinstance(history, Iterable):
            raise InvalidType(f"must be a sequence, not {type_name(history)}", path="$.history")
        stage: str | None = None
        previous: datetime | None = None
        for number, change in enumerate(history):
            path = f"$.history[{number}]"
            if not isinstance(change, StageChange):
                raise InvalidType(f"must be a StageChange, not {type_name(change)}", path=path)
            if previous is not None and change.at < previous:
                raise ValidationError(
                    "must not be earlier than the previous change",
                    path=f"{path}.at",
                    code="backwards",
                )
            previous = change.at
            stage = self._replay_one(stage, change, path)
        if stage is None:
            raise ValidationError(
                "must hold at least the entry into the lifecycle", path="$.history", code="empty"
            )
        return stage

    def _replay_one(self, stage: str | None, change: StageChange, path: str) -> str:
        if stage is None:
            if change.from_stage is not None:
                raise ValidationError(
                    "the first change must be the entry (from_stage null)",
                    path=f"{path}.from_stage",
                    code="entry",
                )
            return self.states[self._position(change.to_stage, f"{path}.to_stage")].name
        if change.from_stage != stage:
            raise ValidationError(
                "must leave the stage the previous change entered",
                path=f"{path}.from_stage",
                code="broken_chain",
            )
        transition = self._table[stage].get(change.trigger)
        if transition is None:
            raise self._refusal(stage, change.trigger).under(path)
        if transition.target != change.to_stage:
            raise ValidationError(
                f"trigger '{transition.trigger}' from '{stage}' leads to '{transition.target}'",
                path=f"{path}.to_stage",
                code="wrong_target",
            )
        return transition.target

    # -- diagrams -------------------------------------------------------------------------

    def to_mermaid(self, *, direction: str = "LR") -> str:
        """The definition as a Mermaid ``stateDiagram-v2`` (text; no I/O).

        ``direction`` is one of ``LR``, ``TB``, ``RL``, ``BT``.
        """
        return mermaid(self, direction=direction)

    def to_dot(self, *, direction: str = "LR") -> str:
        """The definition as a Graphviz DOT digraph (text; no I/O); groups become clusters."""
        return dot(self, direction=direction)

    # -- helpers --------------------------------------------------------------------------

    def _refusal(self, stage: str, trigger: object) -> ValidationError:
        allowed = self._allowed.get(stage, ())
        listed = ", ".join(allowed) if allowed else "none (a terminal stage)"
        if not isinstance(trigger, str):
            return InvalidType(
                f"must be a trigger name (str), not {type_name(trigger)}; allowed from '{stage}': {listed}",
                path="$.trigger",
            )
        if trigger not in self._triggers:
            return TransitionNotAllowed(
                f"must be a trigger of lifecycle '{self.name}'; allowed from '{stage}': {listed}",
                path="$.trigger",
                machine=self.name,
                current=stage,
                allowed=allowed,
            )
        return TransitionNotAllowed(
            f"trigger '{trigger}' is not allowed from stage '{stage}'; allowed: {listed}",
            path="$.trigger",
            machine=self.name,
            current=stage,
            trigger=str(trigger),
            allowed=allowed,
        )

    def _check_guards(
        self,
        transition: Transition,
        stage: str,
        customer: Customer,
        when: datetime,
        guards: Mapping[str, Guard] | None,
    ) -> None:
        for guard in transition.guards:
            function = guards.get(guard) if guards is not None else None
            if function is None:
                raise ValidationError(
                    f"must provide the guard '{guard}' that trigger '{transition.trigger}' names",
                    path="$.guards",
                    code="missing_guard",
                )
            verdict = function(customer, when)
            if not isinstance(verdict, bool):
                raise InvalidType(
                    f"guard '{guard}' must return a bool, not {type_name(verdict)}",
                    path="$.guards",
                )
            if not verdict:
                allowed = self._allowed[stage]
                raise TransitionNotAllowed(
                    f"guard '{guard}' refused trigger '{transition.trigger}' from stage '{stage}'",
                    path="$.trigger",
                    machine=self.name,
                    current=stage,
                    trigger=transition.trigger,
                    allowed=allowed,
                    guard=guard,
                )

    def __repr__(self) -> str:
        return (
            f"LifecycleDefinition({self.name!r}, states={len(self.states)}, "
            f"transitions={len(self.transitions)})"
        )


def _locate(states: tuple[LifecycleState, ...], name: str) -> tuple[int, LifecycleState | None]:
    for position, state in enumerate(states):
        if state.definition == name:
            return position, state
    return -1, None


def _lookup(moves: Mapping[str, Transition], trigger: object) -> Transition | None:
    return moves.get(trigger) if isinstance(trigger, str) else None


def _customer(value: object) -> Customer:
    if not isinstance(value, Customer):
        raise InvalidType(f"must be a Customer, not {type_name(value)}", path="$.customer")
    return value


def _too_early(when: datetime, created_at: datetime) -> ValidationError:
    if when < created_at:
        return ValidationError(
            "must not be before the customer was registered",
            path="$.at",
            code="before_registration",
        )
    return ValidationError(
        "must not be before the customer's last stage change (time never goes backwards)",
        path="$.at",
        code="backwards",
    )


def _actor(meta: Mapping[str, object]) -> str | None:
    """The envelope's actor as the history keeps it, checked like every envelope keyword."""
    return check_meta(meta)["actor"]
