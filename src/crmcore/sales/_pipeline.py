"""The sales pipeline's definition: stages with a kind, a win probability and an order.

A :class:`PipelineDefinition` lists the :class:`Stage` s an opportunity moves
through. Each stage has a kind (:class:`StageKind`): ``open`` stages carry
the probability that a deal standing there is won (a Decimal from 0 to 1,
used by the weighted forecast); a ``won`` stage has probability 1 and a
``lost`` stage 0. A pipeline needs at least one stage of each kind; stages
are kept in their ``order``.

Leads live in :mod:`crmcore.sales._leads`, opportunities in
:mod:`crmcore.sales._opportunities`, the forecast in
:mod:`crmcore.sales._forecast`.

>>> [(s.code, str(s.probability)) for s in STANDARD_PIPELINE.open_stages]
[('prospecting', '0.1'), ('qualification', '0.2'), ('proposal', '0.5'), ('negotiation', '0.8')]
>>> Stage("proposal", kind="open", probability="1.5", order=3)
Traceback (most recent call last):
...
crmcore.errors.ValidationError: $.probability: must be from 0 to 1
"""

from __future__ import annotations

from decimal import Decimal
from enum import StrEnum
from typing import Any, Final

import attrs

from crmcore._kernel._aggregate import typed_id
from crmcore._kernel._checks import (
    check_name,
    clean_text,
    enum_converter,
    error_path,
    items_of,
    to_decimal,
    type_name,
)
from crmcore._kernel._ids import PipelineId
from crmcore.errors import InvalidType, ValidationError

#: Most stages one pipeline may hold.
MAX_STAGES: Final = 100
#: Longest pipeline or stage name, in characters.
MAX_NAME: Final = 100


class StageKind(StrEnum):
    """The type of a pipeline stage: still open, won, or lost."""

    OPEN = "open"
    WON = "won"
    LOST = "lost"


def _stage_code(value: object) -> str:
    return check_name(value, "$.code")


def _stage_name(value: object) -> str:
    return clean_text(value, "$.name", max_length=MAX_NAME, what="a name")


def _default_stage_name(stage: Stage) -> str:
    return stage.code.replace("_", " ").capitalize()


def _stage_kind(value: object) -> StageKind:
    return enum_converter(StageKind, "$.kind")(value)


def probability(value: object, path: str) -> Decimal:
    """A win probability: a Decimal from 0 to 1 (floats refused)."""
    number = to_decimal(value, path)
    if not 0 <= number <= 1:
        raise ValidationError("must be from 0 to 1", path=path, code="probability")
    return number


def _stage_probability(value: object) -> Decimal:
    return probability(value, "$.probability")


def _stage_order(_: object, __: attrs.Attribute[Any], value: object) -> None:
    if isinstance(value, bool) or not isinstance(value, int):
        raise InvalidType(f"must be an int, not {type_name(value)}", path="$.order")
    if not 0 <= value <= 10_000:
        raise ValidationError("must be from 0 to 10000", path="$.order", code="range")


@attrs.frozen(slots=True)
class Stage:
    """One stage of a pipeline.

    Attributes:
        code: the stage's snake_case code, as opportunities store it.
        name: its display name (from the code unless given).
        kind: open, won or lost.
        probability: the chance a deal in this stage is won (1 for won, 0 for lost).
        order: where the stage sits in the pipeline (unique within it).

    >>> Stage("closed_won", kind="won", probability=1, order=90).name
    'Closed won'
    """

    code: str = attrs.field(converter=_stage_code)
    kind: StageKind = attrs.field(kw_only=True, converter=_stage_kind)
    probability: Decimal = attrs.field(kw_only=True, converter=_stage_probability)
    order: int = attrs.field(kw_only=True, validator=_stage_order)
    name: str = attrs.field(
        kw_only=True,
        default=attrs.Factory(_default_stage_name, takes_self=True),
        converter=_stage_name,
    )

    def __attrs_post_init__(self) -> None:
        if self.kind is StageKind.WON and self.probability != 1:
            raise ValidationError(
                "must be 1 for a won stage", path="$.probability", code="probability"
            )
        if self.kind is StageKind.LOST and self.probability != 0:
            raise ValidationError(
                "must be 0 for a lost stage", path="$.probability", code="probability"
            )


def _pipeline_name(value: object) -> str:
    return clean_text(value, "$.name", max_length=MAX_NAME, what="a name")


def _pipeline_stages(value: object) -> tuple[Stage, ...]:
    stages = items_of(value, Stage, "$.stages", "a Stage", max_items=MAX_STAGES)
    codes: set[str] = set()
    orders: set[int] = set()
    for index, stage in enumerate(stages):
        if stage.code in codes:
            raise ValidationError(
                "must not repeat a stage code", path=f"$.stages[{index}].code", code="duplicate"
            )
        if stage.order in orders:
            raise ValidationError(
                "must not repeat a stage order", path=f"$.stages[{index}].order", code="duplicate"
            )
        codes.add(stage.code)
        orders.add(stage.order)
    kinds = {stage.kind for stage in stages}
    for kind in StageKind:
        if kind not in kinds:
            raise ValidationError(
                f"must hold at least one {kind.value} stage", path="$.stages", code="missing_kind"
            )
    return tuple(sorted(stages, key=lambda s: s.order))


@attrs.frozen(slots=True, kw_only=True)
class PipelineDefinition:
    """The stages of a sales pipeline, kept in their order.

    >>> pipeline = PipelineDefinition(
    ...     id=PipelineId("retail"),
    ...     name="Retail",
    ...     stages=[
    ...         Stage("won", kind="won", probability=1, order=9),
    ...         Stage("lead_in", kind="open", probability="0.2", order=1),
    ...         Stage("lost", kind="lost", probability=0, order=10),
    ...     ],
    ... )
    >>> [s.code for s in pipeline.stages], pipeline.first_open_stage.code
    (['lead_in', 'won', 'lost'], 'lead_in')
    """

    id: PipelineId = attrs.field(validator=typed_id(PipelineId, "$.id"))
    name: str = attrs.field(converter=_pipeline_name)
    stages: tuple[Stage, ...] = attrs.field(converter=_pipeline_stages)

    def stage(self, code: str, path: str = "$.stage") -> Stage:
        """The stage with this code.

        Raises:
            ValidationError: the pipeline has no such stage (code ``unknown_stage``).
        """
        path = error_path(path)
        for stage in self.stages:
            if stage.code == code:
                return stage
        if not isinstance(code, str):
            raise InvalidType(f"must be a stage code (str), not {type_name(code)}", path=path)
        raise ValidationError("must name a stage of the pipeline", path=path, code="unknown_stage")

    def has_stage(self, code: str) -> bool:
        """True if the pipeline has a stage with this code."""
        return any(stage.code == code for stage in self.stages)

    def _of_kind(self, kind: StageKind) -> tuple[Stage, ...]:
        return tuple(stage for stage in self.stages if stage.kind is kind)

    @property
    def open_stages(self) -> tuple[Stage, ...]:
        """The open stages, in order."""
        return self._of_kind(StageKind.OPEN)

    @property
    def won_stages(self) -> tuple[Stage, ...]:
        """The won stages, in order."""
        return self._of_kind(StageKind.WON)

    @property
    def lost_stages(self) -> tuple[Stage, ...]:
        """The lost stages, in order."""
        return self._of_kind(StageKind.LOST)

    @property
    def first_open_stage(self) -> Stage:
        """Where new opportunities start unless told otherwise."""
        return self.open_stages[0]

    def probability(self, code: str) -> Decimal:
        """The win probability of a stage."""
        return self.stage(code).probability


#: A common business-to-business pipeline: prospecting (10%), qualification
#: (20%), proposal (50%), negotiation (80%), then closed won or closed lost.
STANDARD_PIPELINE: Final = PipelineDefinition(
    id=PipelineId("standard"),
    name="Standard sales pipeline",
    stages=(
        Stage("prospecting", kind=StageKind.OPEN, probability=Decimal("0.1"), order=10),
        Stage("qualification", kind=StageKind.OPEN, probability=Decimal("0.2"), order=20),
        Stage("proposal", kind=StageKind.OPEN, probability=Decimal("0.5"), order=30),
        Stage("negotiation", kind=StageKind.OPEN, probability=Decimal("0.8"), order=40),
        Stage("closed_won", kind=StageKind.WON, probability=Decimal(1), order=90),
        Stage("closed_lost", kind=StageKind.LOST, probability=Decimal(0), order=100),
    ),
)
