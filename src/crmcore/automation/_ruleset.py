"""A loaded set of automation rules: unique keys, checked for loops.

An action leads to domain events once the application carries it out: adding
a tag records ``CustomerTagAdded``, firing a lifecycle trigger
``CustomerStageChanged``, and so on (:data:`ACTION_EVENTS`). A rule triggered
by an event its own actions lead to, directly or through other rules, would
run for ever, one run after the other. :class:`AutomationRules` refuses such a
set when it is built (:class:`AutomationLoop`, code ``automation_loop``,
naming the rules on the cycle).

The check is conservative where it cannot know better: a trigger's condition
breaks a link only when it reads nothing but fields the action decides
(``tag`` for a tag added, ``definition`` and ``trigger`` for a lifecycle
trigger, ``kind`` and ``priority`` for an activity) and does not hold for them.
Disabled rules never run, so they form no loop.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping
from typing import Any, Final

import attrs

from crmcore._kernel._checks import type_name
from crmcore._kernel._frozen import FrozenMap
from crmcore.automation._errors import AutomationLoop
from crmcore.automation._rules import (
    Action,
    AddTag,
    AutomationRule,
    CreateActivity,
    EventTrigger,
    FireLifecycleTrigger,
    GrantLoyaltyBonus,
    NotifyOwner,
    RemoveTag,
    SendMessage,
    TimeTrigger,
)
from crmcore.errors import InvalidType, ValidationError

#: Most rules one set may hold.
MAX_RULES: Final = 1000

#: The domain events each action leads to once carried out, by action class.
ACTION_EVENTS: Final[Mapping[type[Any], tuple[str, ...]]] = FrozenMap(
    {
        CreateActivity: ("ActivityPlanned",),
        SendMessage: (),
        AddTag: ("CustomerTagAdded",),
        RemoveTag: ("CustomerTagRemoved",),
        FireLifecycleTrigger: ("CustomerStageChanged",),
        NotifyOwner: (),
        GrantLoyaltyBonus: ("LoyaltyPointsEarned",),
    }
)


def _known_fields(action: Action) -> dict[str, object]:
    """The fields of the events ``action`` leads to that the action itself decides."""
    if isinstance(action, (AddTag, RemoveTag)):
        return {"tag": action.tag}
    if isinstance(action, FireLifecycleTrigger):
        return {"definition": action.definition, "trigger": action.trigger}
    if isinstance(action, CreateActivity):
        return {"kind": action.kind, "priority": action.priority}
    if isinstance(action, GrantLoyaltyBonus):
        return {"points": action.points}
    return {}


def _may_trigger(action: Action, trigger: EventTrigger) -> bool:
    condition = trigger.condition
    if condition is None:
        return True
    known = _known_fields(action)
    if not condition.fields() <= known.keys():
        return True
    try:
        return condition.matches(known)
    except ValidationError:  # pragma: no cover - the fields were checked against the schema
        return True


def _rules(value: object) -> tuple[AutomationRule, ...]:
    path = "$.rules"
    if isinstance(value, (str, bytes, Mapping)) or not isinstance(value, Iterable):
        raise InvalidType(
            f"must be a sequence of AutomationRule, not {type_name(value)}", path=path
        )
    rules: list[AutomationRule] = []
    seen: dict[str, int] = {}
    for index, rule in enumerate(value):
        if index >= MAX_RULES:
            raise ValidationError(
                f"must hold at most {MAX_RULES} rules", path=path, code="too_many"
            )
        if not isinstance(rule, AutomationRule):
            raise InvalidType(
                f"must be an AutomationRule, not {type_name(rule)}", path=f"{path}[{index}]"
            )
        if rule.key in seen:
            raise ValidationError(
                f"must be unique (rule {seen[rule.key]} has the same key)",
                path=f"{path}[{index}].key",
                code="duplicate",
            )
        seen[rule.key] = index
        rules.append(rule)
    return tuple(rules)


def successors(rules: tuple[AutomationRule, ...]) -> dict[str, tuple[str, ...]]:
    """For each enabled rule, the enabled rules its actions may trigger (by key, sorted)."""
    by_event: dict[str, list[AutomationRule]] = {}
    for rule in rules:
        if rule.enabled and isinstance(rule.trigger, EventTrigger):
            by_event.setdefault(rule.trigger.event_type, []).append(rule)
    graph: dict[str, tuple[str, ...]] = {}
    for rule in rules:
        if not rule.enabled:
            continue
        found: set[str] = set()
        for action in rule.actions:
            for event_type in ACTION_EVENTS[type(action)]:
                for other in by_event.get(event_type, ()):
                    if (
                        other.key not in found
                        and isinstance(other.trigger, EventTrigger)
                        and _may_trigger(action, other.trigger)
                    ):
                        found.add(other.key)
        graph[rule.key] = tuple(sorted(found))
    return graph


def find_cycle(graph: Mapping[str, tuple[str, ...]]) -> tuple[str, ...] | None:
    """A cycle of ``graph`` as keys (the first repeated at the end), or None.

    Depth-first and iterative, so thousands of rules cost no recursion.

    >>> find_cycle({"a": ("b",), "b": ("c",), "c": ("a",)})
    ('a', 'b', 'c', 'a')
    >>> find_cycle({"a": ("b",), "b": ()}) is None
    True
    """
    done: set[str] = set()
    for root in sorted(graph):
        if root in done:
            continue
        path: list[str] = [root]
        on_path: dict[str, int] = {root: 0}
        stack: list[Iterator[str]] = [iter(graph.get(root, ()))]
        while stack:
            child = next(stack[-1], None)
            if child is None:
                stack.pop()
                node = path.pop()
                del on_path[node]
                done.add(node)
                continue
            if child in on_path:
                return (*path[on_path[child] :], child)
            if child in done:
                continue
            on_path[child] = len(path)
            path.append(child)
            stack.append(iter(graph.get(child, ())))
    return None


@attrs.frozen(slots=True, init=False, repr=False)
class AutomationRules:
    """A set of automation rules with unique keys and no loop, ready to run.

    >>> from datetime import timedelta
    >>> from crmcore.automation import AddTag, AutomationRule, EventTrigger
    >>> rules = AutomationRules(
    ...     [
    ...         AutomationRule("tag_vip", EventTrigger("CustomerTagAdded"), [AddTag("vip")]),
    ...     ]
    ... )
    Traceback (most recent call last):
    ...
    crmcore.automation._errors.AutomationLoop: $.rules: the rules trigger themselves in a loop: tag_vip -> tag_vip

    Raises:
        AutomationLoop: a rule triggers itself, directly or through others
            (code ``automation_loop``; ``cycle`` names the rules).
        ValidationError: more than :data:`MAX_RULES` rules, or two with the
            same key (code ``duplicate``).

    .. versionadded:: 0.1
    """

    rules: tuple[AutomationRule, ...]
    #: The enabled event-triggered rules by event type (derived from ``rules``).
    _by_event: Mapping[str, tuple[AutomationRule, ...]] = attrs.field(
        init=False, eq=False, repr=False
    )

    def __init__(self, rules: Iterable[AutomationRule] = ()) -> None:
        checked = _rules(rules)
        cycle = find_cycle(successors(checked))
        if cycle is not None:
            raise AutomationLoop(
                f"the rules trigger themselves in a loop: {' -> '.join(cycle)}", cycle=cycle
            )
        by_event: dict[str, list[AutomationRule]] = {}
        for rule in checked:
            if rule.enabled and isinstance(rule.trigger, EventTrigger):
                by_event.setdefault(rule.trigger.event_type, []).append(rule)
        index = FrozenMap({name: tuple(found) for name, found in by_event.items()})
        self.__attrs_init__(rules=checked)
        object.__setattr__(self, "_by_event", index)

    def __iter__(self) -> Iterator[AutomationRule]:
        return iter(self.rules)

    def __len__(self) -> int:
        return len(self.rules)

    def __contains__(self, key: object) -> bool:
        return any(rule.key == key for rule in self.rules)

    def get(self, key: str) -> AutomationRule | None:
        """The rule with ``key``, or None."""
        for rule in self.rules:
            if rule.key == key:
                return rule
        return None

    def for_event(self, event_type: str) -> tuple[AutomationRule, ...]:
        """The enabled rules triggered by events of ``event_type``, in set order.

        Raises:
            InvalidType: ``event_type`` is not a str (``$.event_type``).
        """
        if not isinstance(event_type, str):
            raise InvalidType(
                f"must be an event type name, not {type_name(event_type)}", path="$.event_type"
            )
        return self._by_event.get(event_type, ())

    def timed(self) -> tuple[AutomationRule, ...]:
        """The enabled rules with a time trigger, in set order."""
        return tuple(
            rule for rule in self.rules if rule.enabled and isinstance(rule.trigger, TimeTrigger)
        )

    def __repr__(self) -> str:
        return f"AutomationRules(rules={[rule.key for rule in self.rules]!r})"
