"""The one status machine every aggregate's statuses move through.

A :class:`StatusMachine` is a table: for each status, the statuses it may
change to. Aggregates declare theirs once (``CASE_STATUSES``,
``ORDER_STATUSES``, ...) and ask it before every change; a refused change is
always :class:`~crmcore.errors.TransitionNotAllowed` with code ``transition``,
naming the current status and what is allowed from it.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from datetime import datetime
from enum import StrEnum
from types import MappingProxyType
from typing import Generic, Protocol, TypeVar

from crmcore._kernel._checks import type_name
from crmcore.errors import InvalidType, TransitionNotAllowed, ValidationError

S = TypeVar("S", bound=StrEnum)
S_co = TypeVar("S_co", bound=StrEnum, covariant=True)


class StatusEntry(Protocol[S_co]):
    """One entry of a status history: the status entered and when."""

    @property
    def status(self) -> S_co:
        """The status entered."""
        ...  # pragma: no cover - a protocol

    @property
    def at(self) -> datetime:
        """When it was entered."""
        ...  # pragma: no cover - a protocol


class StatusMachine(Generic[S]):
    """The statuses of one kind of aggregate and the changes allowed between them.

    >>> from enum import StrEnum
    >>> class Light(StrEnum):
    ...     RED = "red"
    ...     GREEN = "green"
    ...     OFF = "off"
    >>> lights = StatusMachine(
    ...     "light", {Light.RED: {Light.GREEN, Light.OFF}, Light.GREEN: {Light.RED}}
    ... )
    >>> sorted(lights.allowed(Light.RED))
    [<Light.GREEN: 'green'>, <Light.OFF: 'off'>]
    >>> lights.is_final(Light.OFF)
    True
    >>> lights.check(Light.GREEN, Light.OFF)
    Traceback (most recent call last):
    ...
    crmcore.errors.TransitionNotAllowed: $.status: a light that is green cannot become off; it may become: red
    """

    __slots__ = ("_enum", "_name", "_table")

    def __init__(self, name: str, transitions: Mapping[S, Iterable[S]]) -> None:
        statuses = {type(status) for status in transitions}
        if len(statuses) != 1:
            raise ValidationError(
                "must map the statuses of one enum", path="$.transitions", code="mixed_enums"
            )
        enum: type[S] = statuses.pop()
        table: dict[S, frozenset[S]] = {status: frozenset() for status in enum}
        for status, targets in transitions.items():
            chosen = frozenset(targets)
            if any(type(t) is not enum for t in chosen):
                raise ValidationError(
                    "must map the statuses of one enum", path="$.transitions", code="mixed_enums"
                )
            table[status] = chosen
        self._name = name
        self._enum = enum
        self._table: Mapping[S, frozenset[S]] = MappingProxyType(table)

    @property
    def name(self) -> str:
        """What the statuses belong to (``"case"``, ``"order"``), for messages."""
        return self._name

    @property
    def transitions(self) -> Mapping[S, frozenset[S]]:
        """Every status and the statuses it may change to (final ones map to nothing)."""
        return self._table

    def allowed(self, current: S) -> frozenset[S]:
        """The statuses ``current`` may change to."""
        return self._table[current]

    def is_final(self, status: S) -> bool:
        """True if nothing may follow ``status``."""
        return not self._table[status]

    def parse(self, value: object, path: str = "$.status") -> S:
        """A status of this machine from itself or its value."""
        if isinstance(value, self._enum):
            return value
        choices = ", ".join(s.value for s in self._enum)
        if not isinstance(value, str):
            raise InvalidType(f"must be one of: {choices}; not {type_name(value)}", path=path)
        try:
            return self._enum(value)
        except ValueError:
            raise ValidationError(f"must be one of: {choices}", path=path, code="choice") from None

    def refusal(
        self,
        current: S,
        wanted: S,
        *,
        path: str = "$.status",
        allowed: frozenset[S] | None = None,
    ) -> TransitionNotAllowed:
        """The error for a change from ``current`` to ``wanted`` (``allowed`` narrows the table)."""
        options = self._table[current] if allowed is None else allowed
        names = tuple(sorted(s.value for s in options))
        article = "an" if self._name[:1] in "aeiou" else "a"
        rule = f"{article} {self._name} that is {current.value} cannot become {wanted.value}; "
        rule += f"it may become: {', '.join(names)}" if names else "that status is final"
        return TransitionNotAllowed(
            rule,
            path=path,
            machine=self._name,
            current=current.value,
            wanted=wanted.value,
            allowed=names,
        )

    def check(
        self,
        current: S,
        wanted: S,
        *,
        path: str = "$.status",
        allowed: frozenset[S] | None = None,
    ) -> S:
        """Return ``wanted`` if ``current`` may change to it; raise TransitionNotAllowed otherwise.

        ``allowed`` replaces the table's choices when the aggregate narrows
        them further (an order that was shipped can no longer be cancelled).
        """
        options = self._table[current] if allowed is None else allowed
        if wanted not in options:
            raise self.refusal(current, wanted, path=path, allowed=options)
        return wanted

    def check_recorded(self, current: S, wanted: S, named: S | None = None) -> None:
        """Check a move an event records: one the table allows, to ``named`` if the class names one.

        For the ``_check`` of status-change events (``CaseResolved`` always moves to
        ``resolved``); errors are reported at ``$.to_status``.
        """
        self.check(current, wanted, path="$.to_status")
        if named is not None and wanted is not named:
            raise ValidationError(
                f"must be the status the event's class names ({named.value})",
                path="$.to_status",
                code="event_type",
            )

    def check_path(self, statuses: Iterable[S], *, path: str) -> None:
        """Check that a recorded sequence of statuses only took allowed steps.

        ``path`` names the sequence (``"$.history"``); an illegal step is
        reported at ``{path}[i].status``.
        """
        previous: S | None = None
        for index, status in enumerate(statuses):
            if previous is not None and status not in self._table[previous]:
                raise self.refusal(previous, status, path=f"{path}[{index}].status")
            previous = status

    def check_history(
        self,
        history: Sequence[StatusEntry[S]],
        *,
        start: S,
        at: datetime,
        what: str,
        path: str = "$.history",
    ) -> None:
        """Check an aggregate's status history: ``start`` at ``at`` first, then only allowed steps.

        The times of the entries never go backwards. ``what`` ends the message
        of a wrong start (``"the case was opened"``). Errors: ``{path}``
        (empty) or ``{path}[0]``, code ``history_start``; ``{path}[i].at``,
        code ``time_backwards``; ``{path}[i].status``, code ``transition``.
        """
        first = history[0] if history else None
        if first is None or first.status is not start or first.at != at:
            raise ValidationError(
                f"must start with status {start.value} at the time {what}",
                path=f"{path}[0]" if history else path,
                code="history_start",
            )
        for index in range(1, len(history)):
            if history[index].at < history[index - 1].at:
                raise ValidationError(
                    "must not be before the change before it",
                    path=f"{path}[{index}].at",
                    code="time_backwards",
                )
        self.check_path((change.status for change in history), path=path)

    def __repr__(self) -> str:
        return f"StatusMachine({self._name!r}, statuses={len(self._table)})"
