"""Tests that the scoring helpers refuse bad arguments with a crmcore error naming the path."""

from __future__ import annotations

from decimal import Decimal

import pytest

from crmcore import InvalidType, ValidationError
from crmcore.scoring import (
    ScoringModel,
    ScoringRule,
    cholesky_solve,
    decay_factor,
    fit_lead_model,
    mann_whitney_auc,
)
from crmcore.segmentation import field

MODEL = ScoringModel([ScoringRule("retail", field("industry") == "retail", 30)])


@pytest.mark.parametrize(("method", "path"), [("grade", "$.fit"), ("temperature", "$.engagement")])
@pytest.mark.parametrize("score", [None, Decimal("NaN"), "many"])
def test_grades_and_temperatures_need_a_finite_score(method: str, path: str, score: object) -> None:
    with pytest.raises((ValidationError, InvalidType)) as info:
        getattr(MODEL, method)(score)
    assert info.value.path == path


def test_grades_follow_the_thresholds() -> None:
    # The defaults: A from 60, B from 40, C from 20 (fit); hot from 50, warm from 20.
    assert [MODEL.grade(n).value for n in (60, 59, 40, 20, 19)] == ["A", "B", "B", "C", "D"]
    assert [MODEL.temperature(n).value for n in (50, 49, 20, 0)] == ["hot", "warm", "warm", "cold"]


def test_decay_halves_per_half_life_and_refuses_bad_half_lives() -> None:
    day = 86_400
    assert decay_factor(14 * day, Decimal(7)) == Decimal("0.25")
    assert decay_factor(-day, Decimal(7)) == 1
    for bad in (Decimal(0), Decimal(-3)):
        with pytest.raises(ValidationError):
            decay_factor(day, bad)


def test_feature_names_are_snake_case_fact_keys() -> None:
    history = [({"Visits": n}, n > 2) for n in range(6)] * 3
    with pytest.raises(ValidationError) as info:
        fit_lead_model(history, features=["Visits"])
    assert info.value.code == "feature_name"


def test_the_numeric_helpers_check_their_shapes() -> None:
    assert cholesky_solve([[4.0, 2.0], [2.0, 3.0]], [2.0, 1.0]) == pytest.approx([0.5, 0.0])
    with pytest.raises(ValidationError) as info:
        cholesky_solve([[1.0, 2.0]], [1.0])
    assert info.value.code == "not_square"
    with pytest.raises(ValidationError) as info:
        mann_whitney_auc([0.1, 0.9], [True])
    assert info.value.code == "length_mismatch"
