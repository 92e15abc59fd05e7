"""Lifecycle diagrams drawn from their definitions, with a deterministic layered layout."""

from __future__ import annotations

from typing import TYPE_CHECKING, Final

import attrs

from crmcore._kernel._checks import type_name
from crmcore._kernel._fields import Checked
from crmcore.errors import InvalidType, ValidationError
from crmcore.lifecycle import LifecycleDefinition
from crmcore.plots._common import checked_title, new_figure, of_type, title_text

if TYPE_CHECKING:
    from matplotlib.figure import Figure

#: Arrows are labelled with their triggers when the diagram has at most this many.
_MAX_LABELLED: Final = 24
#: Soft fills for state groups, in order of first appearance (as the Mermaid output uses).
_PALETTE: Final = ("#e3f2fd", "#e8f5e9", "#fff3e0", "#f3e5f5", "#e0f7fa", "#fce4ec", "#f1f8e9")


@attrs.frozen(slots=True)
class DiagramNode(Checked):
    """One state placed on the diagram.

    Attributes:
        name: the state's name.
        title: its display name.
        layer: transitions from the initial state on the shortest way (the column).
        x, y: the position: ``x`` is the layer, ``y`` centres the layer's states
            around 0 in declared order (the first on top).
        initial: whether the lifecycle starts here.
        terminal: whether the lifecycle ends here.
        group: the state's group, or None.
    """

    name: str
    title: str
    layer: int
    x: float
    y: float
    initial: bool
    terminal: bool
    group: str | None


@attrs.frozen(slots=True)
class DiagramEdge(Checked):
    """One arrow: every trigger from ``source`` to ``target``, joined, with their guards.

    Attributes:
        source, target: state names.
        label: the triggers, in declared order (``"trigger [guard]"``).
    """

    source: str
    target: str
    label: str


@attrs.frozen(slots=True)
class LifecycleLayout(Checked):
    """A lifecycle definition's states and transitions, positioned for drawing.

    Attributes:
        name: the definition's name.
        nodes: the states, in declared order.
        edges: one per (source, target) pair, in declared order.
    """

    name: str
    nodes: tuple[DiagramNode, ...]
    edges: tuple[DiagramEdge, ...]

    def node(self, name: str) -> DiagramNode:
        """The node of state ``name``.

        Raises:
            InvalidType: ``name`` is not a str.
            ValidationError: no state of the layout has that name (code
                ``unknown_state``; the name is not repeated).
        """
        if not isinstance(name, str):
            raise InvalidType(f"must be a str, not {type_name(name)}", path="$.name")
        for candidate in self.nodes:
            if candidate.name == name:
                return candidate
        raise ValidationError(
            "must be the name of a state of the layout", path="$.name", code="unknown_state"
        )


def lifecycle_layout(definition: LifecycleDefinition) -> LifecycleLayout:
    """Positions for every state and one edge per (source, target) pair of a definition.

    The layout is layered: a state's column is its distance (in transitions)
    from the initial state, found breadth-first with transitions in declared
    order; within a column the states keep their declared order, centred on
    ``y = 0``. The same definition always gives the same layout. A definition
    is bounded by :data:`crmcore.lifecycle.MAX_STATES` and
    :data:`crmcore.lifecycle.MAX_TRANSITIONS`.

    >>> from crmcore.lifecycle import LifecycleDefinition, State, Transition
    >>> signup = LifecycleDefinition(
    ...     "signup",
    ...     states=["visitor", "trial", "subscriber", State("gone", terminal=True)],
    ...     initial="visitor",
    ...     transitions=[
    ...         Transition("start_trial", "visitor", "trial"),
    ...         Transition("subscribe", ("visitor", "trial"), "subscriber"),
    ...         Transition("cancel", ("trial", "subscriber"), "gone"),
    ...     ],
    ... )
    >>> layout = lifecycle_layout(signup)
    >>> [(n.name, n.x, n.y) for n in layout.nodes]
    [('visitor', 0.0, 0.0), ('trial', 1.0, 0.5), ('subscriber', 1.0, -0.5), ('gone', 2.0, 0.0)]
    >>> [(e.source, e.target, e.label) for e in layout.edges][:2]
    [('visitor', 'trial', 'start_trial'), ('visitor', 'subscriber', 'subscribe')]
    """
    checked = of_type(definition, LifecycleDefinition, "$.definition", "a LifecycleDefinition")
    labels: dict[tuple[str, str], list[str]] = {}
    following: dict[str, list[str]] = {}
    for transition in checked.transitions:
        text = transition.trigger
        if transition.guards:
            text += " [" + ", ".join(transition.guards) + "]"
        for source in transition.sources:
            labels.setdefault((source, transition.target), []).append(text)
            following.setdefault(source, []).append(transition.target)
    layer = {checked.initial: 0}
    queue = [checked.initial]
    for current in queue:  # breadth-first: the queue grows while it is read
        for target in following.get(current, ()):
            if target not in layer:
                layer[target] = layer[current] + 1
                queue.append(target)
    deepest = max(layer.values())
    members: dict[int, list[str]] = {}
    for state in checked.states:
        # Every state of a valid definition is reachable; a column after the last guards it.
        members.setdefault(layer.setdefault(state.name, deepest + 1), []).append(state.name)
    place: dict[str, tuple[float, float]] = {}
    for column, names in members.items():
        middle = (len(names) - 1) / 2
        for row, name in enumerate(names):
            place[name] = (float(column), middle - row)
    nodes = tuple(
        DiagramNode(
            name=state.name,
            title=state.title,
            layer=layer[state.name],
            x=place[state.name][0],
            y=place[state.name][1],
            initial=state.name == checked.initial,
            terminal=state.terminal,
            group=state.group,
        )
        for state in checked.states
    )
    edges = tuple(
        DiagramEdge(source, target, ", ".join(texts)) for (source, target), texts in labels.items()
    )
    return LifecycleLayout(name=checked.name, nodes=nodes, edges=edges)


def plot_lifecycle(definition: LifecycleDefinition, *, title: str | None = None) -> Figure:
    """:func:`lifecycle_layout` drawn: boxed states, labelled arrows, groups in colour.

    The initial and terminal states have a thick border; a transition from a
    state to itself is written under it. Arrows carry their triggers when the
    diagram has at most 24 of them (the layout keeps every label).
    Returns a new matplotlib ``Figure``.

    Raises:
        InvalidType: ``definition`` is not a LifecycleDefinition.
        ValidationError: matplotlib is not installed (``pip install 'crmcore[plot]'``).
    """
    title = checked_title(title)
    data = lifecycle_layout(definition)
    heading = title_text(title, data.name.replace("_", " "))
    columns = max(node.layer for node in data.nodes) + 1
    tallest = max(sum(1 for node in data.nodes if node.layer == layer) for layer in range(columns))
    figure = new_figure(max(6.0, 2.6 * columns), max(3.0, 1.3 * tallest + 1))
    axes = figure.add_subplot()
    groups: dict[str, str] = {}
    for node in data.nodes:
        if node.group is not None and node.group not in groups:
            groups[node.group] = _PALETTE[len(groups) % len(_PALETTE)]
    for edge in data.edges:
        start, end = data.node(edge.source), data.node(edge.target)
        if edge.source == edge.target:
            axes.text(
                start.x,
                start.y - 0.3,
                f"\u21ba {edge.label}",
                ha="center",
                fontsize=7,
                parse_math=False,
            )
            continue
        bend = 0.4 if end.x == start.x else 0.2 if end.x < start.x else 0.0
        axes.annotate(
            "",
            xy=(end.x, end.y),
            xytext=(start.x, start.y),
            arrowprops={
                "arrowstyle": "-|>",
                "color": "#555555",
                "shrinkA": 28,
                "shrinkB": 28,
                "connectionstyle": f"arc3,rad={bend}",
            },
        )
        if len(data.edges) > _MAX_LABELLED:
            continue
        axes.text(
            (start.x + end.x) / 2,
            (start.y + end.y) / 2 + 0.08,
            edge.label,
            ha="center",
            fontsize=6,
            color="#333333",
            parse_math=False,
        )
    for node in data.nodes:
        fill = groups.get(node.group, "#ffffff") if node.group is not None else "#ffffff"
        axes.text(
            node.x,
            node.y,
            node.title,
            ha="center",
            va="center",
            fontsize=9,
            gid=f"state:{node.name}",
            parse_math=False,
            bbox={
                "boxstyle": "round,pad=0.4",
                "facecolor": fill,
                "edgecolor": "#222222",
                "linewidth": 2.5 if node.initial or node.terminal else 1.0,
            },
        )
    axes.set_xlim(-0.6, columns - 0.4)
    low = min(node.y for node in data.nodes)
    high = max(node.y for node in data.nodes)
    axes.set_ylim(low - 0.6, high + 0.6)
    axes.set_axis_off()
    axes.set_title(heading, parse_math=False)
    return figure
