"""Regressions for the nightly fuzz findings of s32 (segments, automation, recommendations)."""

from datetime import UTC, datetime
from decimal import Decimal

import pytest
from tests.recommendations.test_values import GOOD

from crmcore.automation import rules_from_dict
from crmcore.customers import CustomerId, ProcessingPurpose
from crmcore.errors import InvalidType, SchemaVersionError, ValidationError
from crmcore.recommendations import Basket, Recommendation
from crmcore.segmentation import Audience, SegmentId
from crmcore.serialization import from_dict, to_dict


def test_rules_from_dict_snan_schema_version_is_a_schema_version_error():
    with pytest.raises(SchemaVersionError) as caught:
        rules_from_dict({"schema_version": Decimal("sNaN"), "rules": []})
    assert caught.value.path == "$.schema_version"


def test_basket_refuses_an_int_id_too_long_for_its_document():
    with pytest.raises(ValidationError) as caught:
        Basket(10**250, ["tea"])
    assert caught.value.path == "$.basket_id"
    assert caught.value.code == "too_long"


def test_recommendation_int_score_round_trips():

    rec = Recommendation(**{**GOOD, "score": 2**63 - 1, "base_score": 1})
    assert type(rec.score) is float
    assert type(rec.base_score) is float
    assert from_dict(Recommendation, to_dict(rec)) == rec


def test_audience_refuses_junk_excluded():
    with pytest.raises(InvalidType) as caught:
        Audience(
            SegmentId("s-1"),
            ProcessingPurpose.MARKETING,
            datetime(2024, 1, 1, tzinfo=UTC),
            frozenset(),
            {"": None},
        )
    assert caught.value.path == "$.excluded[0]"
    assert caught.value.code == "type"


def test_audience_keeps_denial_reasons():
    excluded = {CustomerId("c-1"): "erased"}
    audience = Audience(
        SegmentId("s-1"),
        ProcessingPurpose.MARKETING,
        datetime(2024, 1, 1, tzinfo=UTC),
        frozenset(),
        excluded,
    )
    assert dict(audience.excluded) == excluded
