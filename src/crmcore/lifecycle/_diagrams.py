"""Lifecycle definitions as diagram text: Mermaid and Graphviz DOT. No I/O."""

from __future__ import annotations

from typing import TYPE_CHECKING, Final

from crmcore.errors import ValidationError

if TYPE_CHECKING:
    from crmcore.lifecycle._definition import LifecycleDefinition


_DIRECTIONS: Final = ("LR", "TB", "RL", "BT")
#: Soft fills for state groups, used in order of first appearance.
_PALETTE: Final = ("#e3f2fd", "#e8f5e9", "#fff3e0", "#f3e5f5", "#e0f7fa", "#fce4ec", "#f1f8e9")


def _direction(direction: object) -> str:
    if direction not in _DIRECTIONS:
        raise ValidationError(
            f"must be one of: {', '.join(_DIRECTIONS)}", path="$.direction", code="choice"
        )
    return str(direction)


def _edges(definition: LifecycleDefinition) -> list[tuple[str, str, str]]:
    """One edge per (source, target) pair, its triggers joined, in declared order."""
    labels: dict[tuple[str, str], list[str]] = {}
    for transition in definition.transitions:
        text = transition.trigger
        if transition.guards:
            text += " [" + ", ".join(transition.guards) + "]"
        for source in transition.sources:
            labels.setdefault((source, transition.target), []).append(text)
    return [(source, target, ", ".join(texts)) for (source, target), texts in labels.items()]


def _groups(definition: LifecycleDefinition) -> dict[str, list[str]]:
    groups: dict[str, list[str]] = {}
    for state in definition.states:
        if state.group is not None:
            groups.setdefault(state.group, []).append(state.name)
    return groups


def mermaid(definition: LifecycleDefinition, *, direction: str = "LR") -> str:
    """A Mermaid ``stateDiagram-v2``: labelled states, one edge per pair, groups as classes."""
    lines = ["stateDiagram-v2", f"    direction {_direction(direction)}"]
    for state in definition.states:
        title = state.title.replace('"', "'")
        lines.append(f'    state "{title}" as {state.name}')
    lines.append(f"    [*] --> {definition.initial}")
    lines.extend(
        f"    {source} --> {target} : {label}" for source, target, label in _edges(definition)
    )
    lines.extend(f"    {state.name} --> [*]" for state in definition.states if state.terminal)
    for number, (group, members) in enumerate(_groups(definition).items()):
        lines.append(f"    classDef {group} fill:{_PALETTE[number % len(_PALETTE)]}")
        lines.append(f"    class {','.join(members)} {group}")
    return "\n".join(lines) + "\n"


def _quote(text: str) -> str:
    return '"' + text.replace("\\", "\\\\").replace('"', '\\"') + '"'


def dot(definition: LifecycleDefinition, *, direction: str = "LR") -> str:
    """A Graphviz digraph: groups as clusters, terminal states double-bordered."""
    lines = [
        f"digraph {_quote(definition.name)} {{",
        f"    rankdir={_direction(direction)};",
        "    node [shape=box, style=rounded];",
        '    "__start__" [shape=point, label=""];',
    ]

    def node(name: str, indent: str) -> str:
        state = definition.state(name)
        extra = ", peripheries=2" if state.terminal else ""
        return f"{indent}{_quote(name)} [label={_quote(state.title)}{extra}];"

    groups = _groups(definition)
    for group, members in groups.items():
        lines.append(f"    subgraph {_quote('cluster_' + group)} {{")
        lines.append(f"        label={_quote(group)};")
        lines.extend(node(member, "        ") for member in members)
        lines.append("    }")
    lines.extend(node(state.name, "    ") for state in definition.states if state.group is None)
    lines.append(f'    "__start__" -> {_quote(definition.initial)};')
    lines.extend(
        f"    {_quote(source)} -> {_quote(target)} [label={_quote(label)}];"
        for source, target, label in _edges(definition)
    )
    lines.append("}")
    return "\n".join(lines) + "\n"
