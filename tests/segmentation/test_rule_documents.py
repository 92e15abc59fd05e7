"""Tests for `crmcore.segmentation._documents` and `._schema`: stored rules and field schemas."""

import json
from datetime import UTC, date, datetime
from decimal import Decimal

import pytest

from crmcore import InvalidType, Money, ValidationError
from crmcore.segmentation import (
    MAX_RULE_DEPTH,
    MAX_RULE_NODES,
    SNAPSHOT_FIELDS,
    DynamicSegment,
    FieldSpec,
    Rule,
    SegmentId,
    all_of,
    any_of,
    check_rule,
    field,
    not_,
    personal_fields,
    register_rule_hooks,
    rule_from_dict,
    rule_to_dict,
)
from crmcore.serialization import _check_shape, make_converter

AT = datetime(2026, 6, 30, 12, 0, tzinfo=UTC)
#: A schema that accepts every field, for rules over made-up fields.
ANY_FIELD = {"*": FieldSpec.of("any")}

EVERY_OPERATOR = all_of(
    field("n") == 3,
    field("n") != Decimal("3.5"),
    field("n") < 1,
    field("n") <= 2,
    field("n") > 3,
    field("n") >= 4,
    field("m") >= Money("12.50", "IDR"),
    field("day") == date(2026, 1, 2),
    field("t") < AT,
    field("b").is_true(),
    field("n").between(Decimal("1.5"), 9),
    field("s").is_in({"b", "a"}),
    field("s").not_in({"c"}),
    field("s").is_empty(),
    field("s").is_not_empty(),
    field("s").contains("x"),
    field("s").starts_with("y"),
    field("s").ends_with("z"),
    field("tags").has("vip"),
    field("tags").has_any({"a", "b"}),
    field("tags").has_all({1, 2}),
    field("t").within_last(months=1, weeks=2, days=3),
    field("t").more_than_ago(days=0),
    field("t").within_next(weeks=1),
    field("d").birthday_within(days=7),
    not_(any_of(field("a") == "x")),
)


def test_every_operator_round_trips_through_json():
    """Documents are JSON-ready and rebuild an equal rule."""
    document = rule_to_dict(EVERY_OPERATOR)
    text = json.dumps(document)
    assert EVERY_OPERATOR == rule_from_dict(json.loads(text), schema=ANY_FIELD)


def test_document_format():
    """The stored form is small and readable."""
    assert {
        "all": [
            {
                "field": "monetary",
                "op": "between",
                "kind": "money",
                "value": [
                    {"amount": "100", "currency": "IDR"},
                    {"amount": "500.50", "currency": "IDR"},
                ],
            },
            {"field": "last_purchase_at", "op": "within_last", "value": {"days": 90}},
            {"not": {"field": "email", "op": "is_empty"}},
            {"field": "birth_date", "op": "birthday_within", "value": 7},
            {"field": "frequency", "op": "ge", "kind": "number", "value": "2.5"},
        ]
    } == rule_to_dict(
        all_of(
            field("monetary").between(Money("100", "IDR"), Money("500.50", "IDR")),
            field("last_purchase_at").within_last(days=90),
            not_(field("email").is_empty()),
            field("birth_date").birthday_within(days=7),
            field("frequency") >= 2.5,
        )
    )


def condition(**changes):
    return {"field": "frequency", "op": "ge", "kind": "number", "value": 3, **changes}


@pytest.mark.parametrize(
    ("document", "path", "code"),
    [
        ([], "$", "type"),
        ({}, "$.field", "required"),
        ({"all": {}}, "$.all", "type"),
        ({"all": [], "any": []}, "$", "keys"),
        ({"all": [condition(), 5]}, "$.all[1]", "type"),
        ({"any": [condition(op="approx")]}, "$.any[0].op", "operator"),
        ({"not": condition(op=7)}, "$.not.op", "type"),
        (condition(extra=1), "$", "unknown_keys"),
        (condition(field="__class__"), "$.field", "field_path"),
        (condition(field=["a"]), "$.field", "type"),
        ({"field": "x", "op": "ge", "value": 3}, "$.kind", "required"),
        (condition(kind="float"), "$.kind", "choice"),
        (condition(kind=None), "$.kind", "type"),
        (condition(value=2.5), "$.value", "float"),
        (condition(value="2,5"), "$.value", "decimal"),
        (condition(value="NaN"), "$.value", "decimal"),
        (condition(value="1e2"), "$.value", "decimal"),
        (condition(value="1_000"), "$.value", "decimal"),
        (condition(value=" 12 "), "$.value", "decimal"),
        (condition(value="\u0661\u0662"), "$.value", "decimal"),
        (condition(value=2**63), "$.value", "range"),
        (condition(value=True), "$.value", "type"),
        (condition(kind="text", value=3), "$.value", "type"),
        (condition(kind="bool", value=3), "$.value", "type"),
        (condition(kind="bool", value=True), "$.value", "kind"),
        (condition(kind="date", value="2026-1-2"), "$.value", "date"),
        (condition(kind="datetime", value="2026-01-02T00:00:00"), "$.value", "naive_datetime"),
        (condition(kind="datetime", value="yesterday"), "$.value", "datetime"),
        (condition(kind="money", value={"amount": "1"}), "$.value", "keys"),
        (
            condition(kind="money", value={"amount": 1.5, "currency": "USD"}),
            "$.value.amount",
            "float",
        ),
        (
            condition(kind="money", value={"amount": "1", "currency": "XXX"}),
            "$.value.currency",
            "currency",
        ),
        (condition(kind="money", value="1 USD"), "$.value", "type"),
        (condition(op="between", value=[1]), "$.value", "pair"),
        (condition(op="between", value=[5, 1]), "$.value", "order"),
        (condition(op="between", value=3), "$.value", "type"),
        (condition(op="in", value=[]), "$.value", "empty"),
        (condition(op="in", value=[1, "2", 3.5]), "$.value[2]", "float"),
        (condition(op="in", value=list(range(10_001))), "$.value", "too_many"),
        (condition(op="contains", value="x"), "$.kind", "keys"),
        ({"field": "s", "op": "contains", "value": 5}, "$.value", "type"),
        ({"field": "s", "op": "contains"}, "$.value", "required"),
        ({"field": "s", "op": "is_empty", "value": None}, "$.value", "keys"),
        ({"field": "t", "op": "within_last", "value": 30}, "$.value", "type"),
        ({"field": "t", "op": "within_last", "value": {"years": 1}}, "$.value", "unknown_keys"),
        ({"field": "t", "op": "within_last", "value": {"days": "30"}}, "$.value.days", "type"),
        (
            {"field": "t", "op": "within_last", "value": {"days": -1}},
            "$.value.days",
            "out_of_range",
        ),
        ({"field": "d", "op": "birthday_within", "value": "7"}, "$.value", "type"),
        ({"field": "d", "op": "birthday_within", "value": 400}, "$.value", "out_of_range"),
    ],
)
def test_bad_documents_are_refused_with_a_path(document, path, code):
    """Every kind of fault raises a ValidationError naming where it is."""
    with pytest.raises(ValidationError) as info:
        rule_from_dict(document)
    assert (path, code) == (info.value.path, info.value.code)


def test_every_fault_is_reported():
    """Faults in several branches are all listed, the first as the error's own."""
    document = {"all": [condition(value=2.5), condition(), {"any": [condition(op="x")]}]}
    with pytest.raises(ValidationError) as info:
        rule_from_dict(document)
    assert ["$.all[0].value", "$.all[2].any[0].op"] == [p.path for p in info.value.problems]


def test_error_messages_never_hold_the_values():
    """A refused value (perhaps personal data) is never echoed."""
    personal = "ana.putri@example.co.id"
    with pytest.raises(ValidationError) as info:
        rule_from_dict(condition(kind="date", value=personal))
    assert personal not in str(info.value)


@pytest.mark.parametrize("key", ["not", "all", "any"])
def test_a_nesting_bomb_is_refused_cleanly(key):
    """100,000 levels of nesting: a ValidationError, never a RecursionError."""
    document: object = condition()
    for _ in range(100_000):
        document = {"not": document} if key == "not" else {key: [document]}
    with pytest.raises(ValidationError) as info:
        rule_from_dict(document)
    assert "too_deep" == info.value.code
    assert info.value.path.startswith(f"$.{key}")


def test_depth_limit_is_exact():
    """MAX_RULE_DEPTH levels load; one more does not."""
    document: object = condition()
    for _ in range(MAX_RULE_DEPTH - 1):
        document = {"all": [document]}
    assert MAX_RULE_DEPTH == rule_from_dict(document).depth
    with pytest.raises(ValidationError):
        rule_from_dict({"not": document})


def test_oversized_documents_are_refused():
    """More than MAX_RULE_NODES nodes is refused before anything is built."""
    with pytest.raises(ValidationError) as info:
        rule_from_dict({"any": [condition()] * MAX_RULE_NODES})
    assert ("$", "too_large") == (info.value.path, info.value.code)


def test_nothing_is_evaluated():
    """Strings that look like code stay data: field paths and operators are checked."""
    with pytest.raises(ValidationError):
        rule_from_dict(condition(field="__import__('os').system('true')"))
    with pytest.raises(ValidationError):
        rule_from_dict(condition(op="__ge__"))
    text = rule_from_dict({"field": "s", "op": "contains", "value": "1 + 1"}, schema=ANY_FIELD)
    assert "1 + 1" == text.value
    assert text.matches({"s": "x = 1 + 1"})


# -- schemas -----------------------------------------------------------------------------


def test_schema_checks_fields_and_kinds():
    """Loading with a schema refuses unknown fields and literals that do not suit a field."""
    document = {
        "all": [
            {"field": "frequency", "op": "ge", "kind": "number", "value": 3},
            {"field": "favourite_colour", "op": "eq", "kind": "text", "value": "red"},
            {"field": "tags", "op": "contains", "value": "vip"},
            {"field": "stage", "op": "gt", "kind": "number", "value": 2},
            {"field": "attributes.loyalty_card", "op": "starts_with", "value": "LC"},
        ]
    }
    with pytest.raises(ValidationError) as info:
        rule_from_dict(document, schema=SNAPSHOT_FIELDS)
    assert [
        ("$.all[1].field", "unknown_field"),
        ("$.all[2].op", "type_mismatch"),
        ("$.all[3].value", "type_mismatch"),
    ] == [(p.path, p.code) for p in info.value.problems]
    assert isinstance(rule_from_dict(document["all"][4], schema=SNAPSHOT_FIELDS), Rule)


def test_schema_accepts_the_standard_facts_and_snapshot_fields():
    """Typical audience rules pass the snapshot schema."""
    rule = all_of(
        field("clv") >= Money("1000000", "IDR"),
        field("clv") >= 2.5,
        field("clv_tier") == "high",
        field("rfm_segment").is_in({"champions", "loyal"}),
        field("last_purchase_at").within_last(days=30),
        field("birth_date").birthday_within(days=7),
        field("may_whatsapp_marketing").is_true(),
        field("lifecycle.relationship_ladder") == "client",
        field("email").is_not_empty(),
    )
    check_rule(rule, SNAPSHOT_FIELDS)
    check_rule(
        field("segment_hint") == "retail", {**SNAPSHOT_FIELDS, "segment_hint": FieldSpec.of("text")}
    )


def test_personal_fields_of_a_schema():
    """The schema's personal flags feed explanations."""
    assert {
        "name",
        "email",
        "phone",
        "address",
        "postal_code",
        "locality",
        "attributes",
        "birth_date",
    } == personal_fields(SNAPSHOT_FIELDS)


def test_field_spec_validates():
    """Unknown field types are refused."""
    with pytest.raises(ValidationError):
        FieldSpec.of("colour")
    with pytest.raises(InvalidType):
        FieldSpec(frozenset({"text"}), personal="yes")


# -- the crmcore converter ----------------------------------------------------------------


def test_converter_hooks_round_trip():
    """Registered on a crmcore converter, rules (un)structure like any value."""
    conv = make_converter()
    register_rule_hooks(conv, schema=ANY_FIELD)
    document = conv.unstructure(EVERY_OPERATOR)
    assert EVERY_OPERATOR == conv.structure(document, Rule)
    with pytest.raises(ValidationError):
        conv.structure({"field": "x", "op": "nope"}, Rule)


def test_segments_with_rules_round_trip_through_the_converter():
    """With the hooks registered, a dynamic segment's rule travels inside its document."""
    conv = make_converter()
    register_rule_hooks(conv, schema=ANY_FIELD)
    segment = DynamicSegment(SegmentId("vip"), "VIPs", EVERY_OPERATOR, description="Top spenders")
    document = conv.unstructure(segment)
    assert document["rule"] == rule_to_dict(EVERY_OPERATOR)
    assert segment == conv.structure(document, DynamicSegment)


def test_the_deepest_rule_fits_the_serialization_depth_limit():
    """A rule of MAX_RULE_DEPTH levels, inside a segment document, passes the library's shape check."""
    rule = field("s").is_in({"a", "b"})
    for index in range(MAX_RULE_DEPTH - 1):
        rule = all_of(rule) if index % 2 else any_of(rule, field("n") >= 1)
    assert MAX_RULE_DEPTH == rule.depth
    _check_shape({"segment": {"rule": rule_to_dict(rule)}, "schema_version": 1})


def test_loading_without_a_schema_checks_against_the_snapshot_fields():
    """A mistyped field is refused instead of silently matching nobody."""
    with pytest.raises(ValidationError) as info:
        rule_from_dict({"field": "emial", "op": "is_empty"})
    assert ("$.field", "unknown_field") == (info.value.path, info.value.code)
    assert rule_from_dict({"field": "email", "op": "is_empty"}) == field("email").is_empty()
    own = rule_from_dict(
        {"field": "segment_hint", "op": "eq", "kind": "text", "value": "x"},
        schema={**SNAPSHOT_FIELDS, "segment_hint": FieldSpec.of("text")},
    )
    assert repr(field("segment_hint") == "x") == repr(own)


def test_unknown_key_names_are_never_echoed():
    """A document's keys may be anything (personal data too): only their number is shown."""
    with pytest.raises(ValidationError) as info:
        rule_from_dict({"field": "email", "op": "is_empty", "Zqxmarker": 1})
    assert "Zqxmarker" not in str(info.value)
    assert "unknown_keys" == info.value.code
    with pytest.raises(ValidationError) as info:
        rule_from_dict({"field": "last_purchase_at", "op": "within_last", "value": {"Zqx": 1}})
    assert "Zqx" not in str(info.value)


def test_a_converter_reads_rules_against_the_schema_it_was_given():
    """register_rule_hooks(converter, schema=...) lets documents name your own facts."""
    strict, lenient = make_converter(), make_converter()
    register_rule_hooks(lenient, schema={"*": FieldSpec.of("any")})
    document = rule_to_dict(field("my_fact") >= 3)
    with pytest.raises(ValidationError):
        strict.structure(document, Rule)
    assert repr(field("my_fact") >= 3) == repr(lenient.structure(document, Rule))
