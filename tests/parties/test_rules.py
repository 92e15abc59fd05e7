"""Tests for `crmcore.parties._rules`: match rules, their checks and their documents."""

import json
from decimal import Decimal

import pytest
from hypothesis import given

from crmcore.errors import InvalidType, ValidationError
from crmcore.parties import DEFAULT_RULES, FieldWeight, MatchField, MatchRule, MatchRuleSet
from crmcore.serialization import from_dict, to_dict
from crmcore.testing.strategies._parties import field_weights, match_rule_sets, match_rules


def email_rule(name="email_only"):
    return MatchRule(name, [FieldWeight("email", min_similarity=1)], threshold=1)


def test_field_weight_defaults_and_numbers():
    """Weights and similarities are Decimals; ints, numeric strings and floats convert."""
    weight = FieldWeight("name")
    assert (MatchField.NAME, Decimal(1), Decimal(0)) == (
        weight.field,
        weight.weight,
        weight.min_similarity,
    )
    assert Decimal("0.85") == FieldWeight("name", min_similarity=0.85).min_similarity
    assert Decimal("0.85") == FieldWeight("name", min_similarity="0.85").min_similarity


def test_necessary_fields():
    """A field with a least similarity, or without which the threshold is out of reach."""
    rule = MatchRule(
        "r",
        [FieldWeight("name", weight=3), FieldWeight("address", weight=2), FieldWeight("email")],
        threshold=Decimal("0.7"),
    )
    # Without name: 3/6 < 0.7; without address: 4/6 < 0.7; without email: 5/6 >= 0.7.
    assert (MatchField.NAME, MatchField.ADDRESS) == rule.necessary()
    assert (MatchField.EMAIL,) == email_rule().necessary()
    either = MatchRule("r", [FieldWeight("email"), FieldWeight("phone")], threshold=Decimal("0.5"))
    assert () == either.necessary()


@pytest.mark.parametrize(
    ("build", "path", "code", "error"),
    [
        (lambda: FieldWeight("birthday"), "$.field", "choice", ValidationError),
        (lambda: FieldWeight(3), "$.field", "type", InvalidType),
        (lambda: FieldWeight("name", weight=0), "$.weight", "range", ValidationError),
        (lambda: FieldWeight("name", weight=1001), "$.weight", "range", ValidationError),
        (lambda: FieldWeight("name", weight=True), "$.weight", "type", InvalidType),
        (
            lambda: FieldWeight("name", weight=float("nan")),
            "$.weight",
            "not_finite",
            ValidationError,
        ),
        (lambda: FieldWeight("name", weight=[1]), "$.weight", "type", InvalidType),
        (
            lambda: FieldWeight("name", min_similarity=-0.1),
            "$.min_similarity",
            "range",
            ValidationError,
        ),
        (
            lambda: FieldWeight("name", min_similarity=2),
            "$.min_similarity",
            "range",
            ValidationError,
        ),
        (
            lambda: MatchRule("Same Email", [FieldWeight("email")]),
            "$.name",
            "name",
            ValidationError,
        ),
        (lambda: MatchRule("r", []), "$.fields", "empty", ValidationError),
        (lambda: MatchRule("r", "email"), "$.fields", "type", InvalidType),
        (lambda: MatchRule("r", ["email"]), "$.fields[0]", "type", InvalidType),
        (
            lambda: MatchRule("r", [FieldWeight("name"), FieldWeight("name")]),
            "$.fields[1].field",
            "duplicate",
            ValidationError,
        ),
        (
            lambda: MatchRule("r", [FieldWeight("name")] * 5),
            "$.fields",
            "too_many",
            ValidationError,
        ),
        (
            lambda: MatchRule("r", [FieldWeight("name")], threshold=0),
            "$.threshold",
            "range",
            ValidationError,
        ),
        (
            lambda: MatchRule("r", [FieldWeight("name")], threshold="1.01"),
            "$.threshold",
            "range",
            ValidationError,
        ),
        (lambda: MatchRuleSet([]), "$.rules", "empty", ValidationError),
        (
            lambda: MatchRuleSet([email_rule(), email_rule()]),
            "$.rules[1].name",
            "duplicate",
            ValidationError,
        ),
        (lambda: MatchRuleSet([email_rule()] * 33), "$.rules", "too_many", ValidationError),
        (
            lambda: MatchRuleSet([email_rule()], max_block_size=1),
            "$.max_block_size",
            "range",
            ValidationError,
        ),
        (
            lambda: MatchRuleSet([email_rule()], max_block_size=10_001),
            "$.max_block_size",
            "range",
            ValidationError,
        ),
        (
            lambda: MatchRuleSet([email_rule()], max_block_size=2.0),
            "$.max_block_size",
            "type",
            InvalidType,
        ),
        (lambda: MatchRuleSet([email_rule()], window=0), "$.window", "range", ValidationError),
    ],
)
def test_bad_values_raise_specific_errors(build, path, code, error):
    """Every check names the field's path and the rule's code."""
    with pytest.raises(error) as info:
        build()
    assert (path, code) == (info.value.path, info.value.code)


def test_default_rules_round_trip_through_json():
    """The default rule set is a JSON document: numbers as decimal strings."""
    document = to_dict(DEFAULT_RULES)
    assert "0.8" == document["rules"][0]["fields"][1]["min_similarity"]
    assert DEFAULT_RULES == from_dict(MatchRuleSet, json.loads(json.dumps(document)))


@pytest.mark.parametrize(
    ("change", "path", "code"),
    [
        (
            lambda d: d["rules"][0]["fields"][0].update(weight=0.5),
            "$.rules[0].fields[0].weight",
            "float",
        ),
        (
            lambda d: d["rules"][0]["fields"][0].update(weight="0"),
            "$.rules[0].fields[0].weight",
            "range",
        ),
        (lambda d: d["rules"][1].update(name="email_and_name"), "$.rules[1].name", "duplicate"),
        (
            lambda d: d["rules"][2]["fields"][1].update(field="name"),
            "$.rules[2].fields[1].field",
            "duplicate",
        ),
        (
            lambda d: d["rules"][2]["fields"][1].update(field="dob"),
            "$.rules[2].fields[1].field",
            "choice",
        ),
        (lambda d: d["rules"][0].update(threshold="2"), "$.rules[0].threshold", "range"),
        (lambda d: d["rules"][0].pop("fields"), "$.rules[0].fields", "required"),
        (lambda d: d["rules"][0].update(extra=1), "$.rules[0]", "unknown_keys"),
        (lambda d: d.update(max_block_size=0), "$.max_block_size", "range"),
        (lambda d: d.update(rules=[d["rules"][0]] * 40), "$.rules", "too_many"),
        (lambda d: d.update(window="10"), "$.window", "type"),
    ],
)
def test_bad_documents_name_the_path(change, path, code):
    """A stored rule set is checked as strictly as one built in code."""
    document = to_dict(DEFAULT_RULES)
    change(document)
    with pytest.raises(ValidationError) as info:
        from_dict(MatchRuleSet, document)
    assert (path, code) in [(p.path, p.code) for p in info.value.problems]


@given(field_weights())
def test_field_weights_round_trip(weight):
    """Every field weight survives to_dict/from_dict."""
    assert weight == from_dict(FieldWeight, to_dict(weight))


@given(match_rules())
def test_rules_round_trip(rule):
    """Every rule survives to_dict/from_dict."""
    assert rule == from_dict(MatchRule, to_dict(rule))


@given(match_rule_sets())
def test_rule_sets_round_trip(rules):
    """Every rule set survives a trip through JSON."""
    assert rules == from_dict(MatchRuleSet, json.loads(json.dumps(to_dict(rules))))
