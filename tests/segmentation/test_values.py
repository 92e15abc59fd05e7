"""Tests for `crmcore.segmentation._values`: literals written in Python and in documents."""

from decimal import Decimal

import pytest

from crmcore import ValidationError
from crmcore.segmentation import FieldSpec, field, rule_from_dict, rule_to_dict

ANY = {"*": FieldSpec.of("any")}


@pytest.mark.parametrize(
    ("value", "code"),
    [(2**63, "range"), (-(2**63), "range"), (1e64, "too_long"), (Decimal("1E+999999"), "too_long")],
)
def test_number_literals_are_what_a_document_can_hold(value, code):
    """A rule built in Python holds only numbers its stored document can hold, so it round-trips."""
    with pytest.raises(ValidationError) as info:
        field("n").__ge__(value)
    assert code == info.value.code


@pytest.mark.parametrize("value", [2**63 - 1, 0.1, Decimal("-12.50"), Decimal("1E+10")])
def test_storable_numbers_round_trip(value):
    """Numbers within the limits are written in plain notation and read back equal."""
    rule = field("n") >= value
    assert rule == rule_from_dict(rule_to_dict(rule), schema=ANY)
