"""Tests for `crmcore.sales._pipeline`: stages, their kinds and probabilities, the definition."""

import json
from decimal import Decimal

import pytest

from crmcore import InvalidType, ValidationError
from crmcore.sales import STANDARD_PIPELINE, PipelineDefinition, PipelineId, Stage, StageKind
from crmcore.serialization import from_dict, to_dict


def stages():
    return [
        Stage("lead_in", kind="open", probability="0.1", order=1),
        Stage("demo", kind="open", probability="0.4", order=2),
        Stage("won", kind="won", probability=1, order=3),
        Stage("lost", kind="lost", probability=0, order=4),
    ]


def test_a_stage_carries_kind_probability_order_and_a_default_name():
    """Probabilities are exact decimals; the name comes from the code unless given."""
    stage = Stage("needs_analysis", kind="open", probability="0.35", order=2)
    assert (StageKind.OPEN, Decimal("0.35"), 2, "Needs analysis") == (
        stage.kind,
        stage.probability,
        stage.order,
        stage.name,
    )
    assert "Demo" == Stage("demo", kind="open", probability=0, order=1, name="Demo").name


@pytest.mark.parametrize("value", ["-0.01", "1.01", 2, "-1"])
def test_probabilities_outside_zero_to_one_are_refused(value):
    """A win probability is from 0 to 1 inclusive."""
    with pytest.raises(ValidationError) as info:
        Stage("s", kind="open", probability=value, order=1)
    assert ("$.probability", "probability") == (info.value.path, info.value.code)


@pytest.mark.parametrize("value", [0, 1, "0", "1", "0.5", Decimal("0.125")])
def test_probability_bounds_are_inclusive(value):
    """0 and 1 are valid for an open stage, as is anything between."""
    assert Decimal(value) == Stage("s", kind="open", probability=value, order=1).probability


def test_floats_are_refused_as_probabilities():
    """A float cannot hold most decimal fractions exactly."""
    with pytest.raises(InvalidType) as info:
        Stage("s", kind="open", probability=0.5, order=1)
    assert "$.probability" == info.value.path


def test_won_and_lost_stages_have_fixed_probabilities():
    """A won stage is certain (1), a lost stage hopeless (0)."""
    with pytest.raises(ValidationError) as won:
        Stage("won", kind="won", probability="0.9", order=1)
    assert "$.probability" == won.value.path
    with pytest.raises(ValidationError) as lost:
        Stage("lost", kind="lost", probability="0.1", order=1)
    assert "$.probability" == lost.value.path


@pytest.mark.parametrize(
    ("fields", "path", "code"),
    [
        ({"code": "Demo Stage"}, "$.code", "name"),
        ({"kind": "pending"}, "$.kind", "choice"),
        ({"order": -1}, "$.order", "range"),
        ({"order": True}, "$.order", "type"),
    ],
)
def test_stage_fields_are_validated(fields, path, code):
    """Codes are snake_case, kinds are known, orders are small non-negative ints."""
    given = {"code": "demo", "kind": "open", "probability": "0.5", "order": 1} | fields
    code_value = given.pop("code")
    with pytest.raises(ValidationError) as info:
        Stage(code_value, **given)
    assert (path, code) == (info.value.path, info.value.code)


def test_the_definition_keeps_stages_in_order_and_groups_them_by_kind():
    """Stages are sorted by their order; open, won and lost stages are listed apart."""
    pipeline = PipelineDefinition(
        id=PipelineId("p"), name="Retail", stages=list(reversed(stages()))
    )
    assert ["lead_in", "demo", "won", "lost"] == [s.code for s in pipeline.stages]
    assert ["lead_in", "demo"] == [s.code for s in pipeline.open_stages]
    assert ["won"] == [s.code for s in pipeline.won_stages]
    assert ["lost"] == [s.code for s in pipeline.lost_stages]
    assert "lead_in" == pipeline.first_open_stage.code
    assert Decimal("0.4") == pipeline.probability("demo")
    assert pipeline.has_stage("demo")
    assert not pipeline.has_stage("nope")


def test_an_unknown_stage_is_a_validation_error():
    """Looking up a stage the pipeline does not have names the path and the rule."""
    with pytest.raises(ValidationError) as info:
        STANDARD_PIPELINE.stage("closing")
    assert ("$.stage", "unknown_stage") == (info.value.path, info.value.code)
    assert "closing" not in str(info.value)
    with pytest.raises(InvalidType):
        STANDARD_PIPELINE.stage(3)


@pytest.mark.parametrize(
    ("chosen", "path", "code"),
    [
        ([0, 2], "$.stages", "missing_kind"),
        ([0, 1, 2], "$.stages", "missing_kind"),
        ([2, 3], "$.stages", "missing_kind"),
    ],
)
def test_a_pipeline_needs_an_open_a_won_and_a_lost_stage(chosen, path, code):
    """Without one of the three kinds, a pipeline cannot take a deal from start to close."""
    with pytest.raises(ValidationError) as info:
        PipelineDefinition(id=PipelineId("p"), name="P", stages=[stages()[i] for i in chosen])
    assert (path, code) == (info.value.path, info.value.code)


def test_stage_codes_and_orders_are_unique():
    """Two stages cannot share a code or an order."""
    twice = [*stages(), Stage("demo", kind="open", probability="0.5", order=9)]
    with pytest.raises(ValidationError) as codes:
        PipelineDefinition(id=PipelineId("p"), name="P", stages=twice)
    assert ("$.stages[4].code", "duplicate") == (codes.value.path, codes.value.code)
    same_order = [*stages(), Stage("extra", kind="open", probability="0.5", order=2)]
    with pytest.raises(ValidationError) as orders:
        PipelineDefinition(id=PipelineId("p"), name="P", stages=same_order)
    assert ("$.stages[4].order", "duplicate") == (orders.value.path, orders.value.code)


def test_the_standard_pipeline():
    """The shipped pipeline runs prospecting to negotiation, then closed won or lost."""
    assert [
        ("prospecting", "0.1"),
        ("qualification", "0.2"),
        ("proposal", "0.5"),
        ("negotiation", "0.8"),
        ("closed_won", "1"),
        ("closed_lost", "0"),
    ] == [(s.code, str(s.probability)) for s in STANDARD_PIPELINE.stages]


def test_definitions_round_trip_through_json():
    """A pipeline definition survives to_dict, JSON text and from_dict."""
    document = json.loads(json.dumps(to_dict(STANDARD_PIPELINE)))
    assert STANDARD_PIPELINE == from_dict(PipelineDefinition, document)
    assert "0.8" == document["stages"][3]["probability"]
    document["stages"][0]["probability"] = "1.5"
    with pytest.raises(ValidationError) as info:
        from_dict(PipelineDefinition, document)
    assert "$.stages[0].probability" == info.value.path
