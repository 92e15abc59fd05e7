"""Insight from lifecycle histories: time in stage, stage distribution, funnel.

Every function reads histories only; nothing is changed. A customer a
definition does not track yet counts as being in its initial stage since
registration (as :meth:`LifecycleDefinition.state_of` says); a customer
registered after the time asked about is left out. Rates over an empty
population are ``None``, never a division by zero.
"""

from __future__ import annotations

from bisect import bisect_left
from collections.abc import Iterable, Mapping, Sequence
from datetime import datetime, timedelta

import attrs

from crmcore._kernel._checks import require_aware, type_name
from crmcore._kernel._fields import Checked
from crmcore.customers import Customer, FrozenMap, LifecycleState, StageChange
from crmcore.errors import InvalidType, ValidationError
from crmcore.lifecycle._definition import LifecycleDefinition


def _definition(value: object) -> LifecycleDefinition:
    if not isinstance(value, LifecycleDefinition):
        raise InvalidType(
            f"must be a LifecycleDefinition, not {type_name(value)}", path="$.definition"
        )
    return value


def _customer(value: object, path: str) -> Customer:
    if not isinstance(value, Customer):
        raise InvalidType(f"must be a Customer, not {type_name(value)}", path=path)
    return value


def _rate(part: int, whole: int) -> float | None:
    return part / whole if whole else None


def _change_time(change: StageChange) -> datetime:
    return change.at


def _known(definition: LifecycleDefinition, state: LifecycleState, path: str) -> None:
    for stage in {change.to_stage for change in state.history}:
        if stage not in definition.stage_names:
            raise ValidationError(
                f"holds a stage that is not a stage of lifecycle '{definition.name}'",
                path=path,
                code="unknown_stage",
            )


def stage_at(customer: Customer, definition: LifecycleDefinition, *, at: datetime) -> str | None:
    """The customer's stage at ``at``, or ``None`` before they entered the lifecycle.

    >>> from datetime import datetime, timezone
    >>> from crmcore import Customer, CustomerId, PersonName
    >>> from crmcore.lifecycle import RELATIONSHIP_LADDER
    >>> t0 = datetime(2026, 1, 5, tzinfo=timezone.utc)
    >>> ana = Customer.register(CustomerId("c-1"), name=PersonName("Ana"), at=t0)
    >>> ana = RELATIONSHIP_LADDER.fire(ana, "qualify", at=datetime(2026, 2, 1, tzinfo=timezone.utc))
    >>> stage_at(ana, RELATIONSHIP_LADDER, at=datetime(2026, 1, 20, tzinfo=timezone.utc))
    'suspect'
    """
    checked = _definition(definition)
    return checked.state_of(_customer(customer, "$.customer")).stage_at(at)


def time_in_stages(
    customer: Customer, definition: LifecycleDefinition, *, at: datetime
) -> dict[str, timedelta]:
    """Total time the customer spent in each stage up to ``at``, every stage in declared order.

    Stages never visited have zero. The current stage counts up to ``at``;
    changes after ``at`` are ignored.

    >>> from datetime import datetime, timezone
    >>> from crmcore import Customer, CustomerId, PersonName
    >>> from crmcore.lifecycle import RELATIONSHIP_LADDER
    >>> t0 = datetime(2026, 1, 1, tzinfo=timezone.utc)
    >>> ana = Customer.register(CustomerId("c-1"), name=PersonName("Ana"), at=t0)
    >>> ana = RELATIONSHIP_LADDER.fire(
    ...     ana, "qualify", at=datetime(2026, 1, 11, tzinfo=timezone.utc)
    ... )
    >>> spent = time_in_stages(
    ...     ana, RELATIONSHIP_LADDER, at=datetime(2026, 1, 15, tzinfo=timezone.utc)
    ... )
    >>> spent["suspect"].days, spent["prospect"].days, spent["client"].days
    (10, 4, 0)
    """
    checked = _definition(definition)
    when = require_aware(at, "$.at")
    state = checked.state_of(_customer(customer, "$.customer"))
    _known(checked, state, "$.customer.lifecycle")
    totals = dict.fromkeys(checked.stage_names, timedelta(0))
    history = state.history
    for number, change in enumerate(history):
        if change.at >= when:
            break
        ends = history[number + 1].at if number + 1 < len(history) else when
        totals[change.to_stage] += min(ends, when) - change.at
    return totals


@attrs.frozen(slots=True)
class StageCount(Checked):
    """How many customers stand in one stage, and their share of the population.

    ``share`` is ``None`` for an empty population.
    """

    stage: str
    count: int
    share: float | None


@attrs.frozen(slots=True)
class StageDistribution(Checked):
    """Where a population stands in one lifecycle at one time.

    Attributes:
        definition: the lifecycle's name.
        at: the time the distribution describes.
        counts: one entry per stage, in declared order.
        total: customers counted (registered and in the lifecycle at ``at``).
    """

    definition: str
    at: datetime
    counts: tuple[StageCount, ...]
    total: int

    def count(self, stage: str) -> int:
        """Customers in ``stage``.

        Raises:
            ValidationError: ``stage`` is not a stage of the lifecycle
                (``$.stage``, code ``unknown_stage``).
        """
        name = _stage_name(stage, "$.stage")
        for entry in self.counts:
            if entry.stage == name:
                return entry.count
        raise _unknown_stage(self.definition, "$.stage")

    def share(self, stage: str) -> float | None:
        """The fraction of the population in ``stage``; ``None`` for an empty population.

        Raises:
            ValidationError: ``stage`` is not a stage of the lifecycle
                (``$.stage``, code ``unknown_stage``): a mistyped stage is an
                error, never a share of 0.
        """
        return _rate(self.count(stage), self.total)

    def as_dict(self) -> dict[str, int]:
        """The counts by stage, in declared order."""
        return {entry.stage: entry.count for entry in self.counts}


def _stage_name(value: object, path: str) -> str:
    if not isinstance(value, str):
        raise InvalidType(f"must be a stage name (str), not {type_name(value)}", path=path)
    return value


def _unknown_stage(definition: str, path: str) -> ValidationError:
    return ValidationError(
        f"must name a stage of lifecycle '{definition}'", path=path, code="unknown_stage"
    )


def _population(customers: object) -> Iterable[object]:
    if isinstance(customers, (str, bytes, Mapping)) or not isinstance(customers, Iterable):
        raise InvalidType(
            f"must be an iterable of Customer, not {type_name(customers)}", path="$.customers"
        )
    return customers


def stage_distribution(
    customers: Iterable[Customer], definition: LifecycleDefinition, *, at: datetime
) -> StageDistribution:
    """How many customers stand in each stage of ``definition`` at ``at``.

    >>> from crmcore.lifecycle import CRM_STAGES
    >>> from datetime import datetime, timezone
    >>> empty = stage_distribution([], CRM_STAGES, at=datetime(2026, 1, 1, tzinfo=timezone.utc))
    >>> empty.total, empty.share("loyalty")
    (0, None)
    """
    checked = _definition(definition)
    when = require_aware(at, "$.at")
    counts = dict.fromkeys(checked.stage_names, 0)
    for number, customer in enumerate(_population(customers)):
        path = f"$.customers[{number}]"
        state = checked.state_of(_customer(customer, path))
        stage = state.stage_at(when)
        if stage is None:
            continue
        if stage not in counts:
            raise ValidationError(
                f"holds a stage that is not a stage of lifecycle '{checked.name}'",
                path=f"{path}.lifecycle",
                code="unknown_stage",
            )
        counts[stage] += 1
    total = sum(counts.values())
    entries = tuple(
        StageCount(stage, count, _rate(count, total)) for stage, count in counts.items()
    )
    return StageDistribution(checked.name, when, entries, total)


@attrs.frozen(slots=True)
class Flow(Checked):
    """Moves from one stage to another within a period.

    ``source`` is ``None`` for entries into the lifecycle. ``moves`` counts
    every move; ``customers`` the distinct customers who made it.
    """

    source: str | None
    target: str
    moves: int
    customers: int


@attrs.frozen(slots=True)
class FunnelStep(Checked):
    """One stage of a funnel.

    Attributes:
        stage: the stage.
        reached: customers who were in it during the period.
        advanced: of those, customers who afterwards, still in the period,
            entered a later stage of the funnel (skipping stages counts).
        conversion: ``advanced / reached``; ``None`` when nobody reached the
            stage, and for the last stage (there is nowhere further to go).
    """

    stage: str
    reached: int
    advanced: int
    conversion: float | None


@attrs.frozen(slots=True)
class Funnel(Checked):
    """Flows and conversions of a population through a lifecycle over ``[start, end)``.

    Attributes:
        definition: the lifecycle's name.
        start: the period's first instant.
        end: the instant after the period.
        steps: the funnel stages in order, with reach and conversion.
        flows: every (source, target) pair moved along in the period.
        present: for every stage, the customers in it during the period (standing in
            it just before ``start``, or entering it before ``end``).
    """

    definition: str
    start: datetime
    end: datetime
    steps: tuple[FunnelStep, ...]
    flows: tuple[Flow, ...]
    present: FrozenMap[str, int]

    def flow(self, source: str | None, target: str) -> int:
        """Customers who moved from ``source`` to ``target`` in the period.

        ``source`` is ``None`` for entries into the lifecycle.

        Raises:
            ValidationError: a stage that the lifecycle does not have (code
                ``unknown_stage``).
        """
        if source is not None:
            self._stage(source, "$.source")
        wanted = self._stage(target, "$.target")
        return next(
            (f.customers for f in self.flows if f.source == source and f.target == wanted), 0
        )

    def rate(self, source: str, target: str) -> float | None:
        """Of the customers in ``source`` during the period, the fraction who moved to ``target``.

        ``None`` when nobody was in ``source``.

        Raises:
            ValidationError: a stage that the lifecycle does not have (code
                ``unknown_stage``).
        """
        moved = self.flow(self._stage(source, "$.source"), target)
        return _rate(moved, self.present[source])

    def _stage(self, stage: object, path: str) -> str:
        name = _stage_name(stage, path)
        if name not in self.present:
            raise _unknown_stage(self.definition, path)
        return name


def _funnel_stages(
    definition: LifecycleDefinition, stages: Sequence[str] | None
) -> tuple[str, ...]:
    if stages is None:
        return definition.funnel_stages
    if isinstance(stages, (str, bytes)) or not isinstance(stages, Sequence):
        raise InvalidType(f"must be a sequence of stages, not {type_name(stages)}", path="$.stages")
    names: list[str] = []
    for number, stage in enumerate(stages):
        path = f"$.stages[{number}]"
        if not isinstance(stage, str):
            raise InvalidType(f"must be a str, not {type_name(stage)}", path=path)
        if stage not in definition.stage_names:
            raise ValidationError(
                f"must name a stage of lifecycle '{definition.name}'",
                path=path,
                code="unknown_stage",
            )
        if stage in names:
            raise ValidationError("must not repeat a stage", path=path, code="duplicate")
        names.append(str(stage))
    if not names:
        raise ValidationError("must name at least one stage", path="$.stages", code="empty")
    return tuple(names)


def _walk(
    state: LifecycleState, first: datetime, after: datetime
) -> tuple[list[str], list[tuple[str | None, str]]]:
    """The stages a state stood in during ``[first, after)``, in order, and the moves made."""
    history = state.history
    # The stage held just before the period, so every move inside it leaves a stage visited.
    opening = bisect_left(history, first, key=_change_time)
    visits: list[str] = [history[opening - 1].to_stage] if opening else []
    made: list[tuple[str | None, str]] = []
    for change in history[opening:]:
        if change.at >= after:
            break
        made.append((change.from_stage, change.to_stage))
        visits.append(change.to_stage)
    return visits, made


def _advancement(visits: list[str], position: dict[str, int]) -> tuple[set[int], set[int]]:
    """The funnel stages visited, and those left for a later funnel stage afterwards."""
    seen: set[int] = set()
    went_on: set[int] = set()
    for stage in visits:
        index = position.get(stage)
        if index is not None:
            went_on.update(earlier for earlier in seen if earlier < index)
            seen.add(index)
    return seen, went_on


def funnel(
    customers: Iterable[Customer],
    definition: LifecycleDefinition,
    *,
    start: datetime,
    end: datetime,
    stages: Sequence[str] | None = None,
) -> Funnel:
    """The funnel of a population through ``definition`` over the period ``[start, end)``.

    ``stages`` are the funnel's stages in order (default: the definition's
    ``funnel_stages``). A customer is *in* a stage during the period if they
    stood in it just before ``start`` or entered it before ``end``, so every
    move counted in the period leaves a stage counted as present.

    Raises:
        ValidationError: naive times, ``end`` not after ``start``, unknown or
            repeated stages, or a stored stage the definition does not have.
    """
    checked = _definition(definition)
    first = require_aware(start, "$.start")
    after = require_aware(end, "$.end")
    if after <= first:
        raise ValidationError("must be after start", path="$.end", code="order")
    order = _funnel_stages(checked, stages)
    position = {stage: number for number, stage in enumerate(order)}
    reached = [0] * len(order)
    advanced = [0] * len(order)
    present = dict.fromkeys(checked.stage_names, 0)
    moves: dict[tuple[str | None, str], int] = {}
    movers: dict[tuple[str | None, str], int] = {}
    for number, customer in enumerate(_population(customers)):
        path = f"$.customers[{number}]"
        state = checked.state_of(_customer(customer, path))
        if state.history[0].at >= after:
            continue
        _known(checked, state, f"{path}.lifecycle")
        visits, made = _walk(state, first, after)
        for pair in made:
            moves[pair] = moves.get(pair, 0) + 1
        for pair in set(made):
            movers[pair] = movers.get(pair, 0) + 1
        for stage in set(visits):
            present[stage] += 1
        seen, went_on = _advancement(visits, position)
        for index in seen:
            reached[index] += 1
        for index in went_on:
            advanced[index] += 1
    last = len(order) - 1
    steps = tuple(
        FunnelStep(
            stage,
            reached[index],
            advanced[index],
            None if index == last else _rate(advanced[index], reached[index]),
        )
        for index, stage in enumerate(order)
    )
    rank = {stage: number for number, stage in enumerate(checked.stage_names)}
    flows = tuple(
        Flow(source, target, moves[(source, target)], movers[(source, target)])
        for source, target in sorted(
            moves, key=lambda pair: (-1 if pair[0] is None else rank[pair[0]], rank[pair[1]])
        )
    )
    return Funnel(checked.name, first, after, steps, flows, FrozenMap(present))
