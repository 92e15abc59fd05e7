"""Tests for `crmcore.segmentation._schema`."""

from decimal import Decimal

import pytest

from crmcore import InvalidType, ValidationError
from crmcore.segmentation import (
    SNAPSHOT_FIELDS,
    FieldSpec,
    check_rule,
    field,
    personal_fields,
    rule_from_dict,
    rule_to_dict,
    spec_for,
)


@pytest.mark.parametrize(
    "schema", [True, None, "email", {"email": "text"}, {3: FieldSpec.of("text")}]
)
def test_schemas_are_checked(schema):
    """D25: a schema that maps no str paths to FieldSpecs is refused (was an AttributeError)."""
    rule = field("email").is_empty()
    for call in (
        lambda: check_rule(rule, schema),
        lambda: spec_for(schema, "email"),
        lambda: personal_fields(schema),
        lambda: rule_from_dict(rule_to_dict(rule), schema=schema or 5),
    ):
        with pytest.raises(InvalidType) as info:
            call()
        assert info.value.path.startswith("$.schema")


def test_spec_for_checks_the_path():
    """A field path is a str."""
    with pytest.raises(InvalidType) as info:
        spec_for(SNAPSHOT_FIELDS, None)
    assert "$.path" == info.value.path


@pytest.mark.parametrize("types", [(Decimal("sNaN"),), (None,), ("colour",)])
def test_field_spec_types_are_checked_before_hashing(types):
    """D15: FieldSpec.of refuses a signalling NaN by type, never by an escaping TypeError."""
    with pytest.raises(ValidationError) as info:
        FieldSpec.of(*types)
    assert "$.types[0]" == info.value.path


def test_the_city_and_custom_attributes_are_personal():
    """Snapshots' locality (the city) and attributes are masked in explanations."""
    assert SNAPSHOT_FIELDS["locality"].personal
    assert spec_for(SNAPSHOT_FIELDS, "attributes.store").personal
    assert {"locality", "attributes"} <= personal_fields(SNAPSHOT_FIELDS)


def test_a_star_entry_covers_every_field():
    """``{"*": ...}`` accepts fields the schema does not name."""
    anything = {"*": FieldSpec.of("any")}
    assert FieldSpec.of("any") == spec_for(anything, "my.own.field")
    check_rule(field("my_own_fact") >= 3, anything)
