"""Field schemas: which fields a rule may name, what they hold, and which are personal.

A schema maps field paths to :class:`FieldSpec` s. A key ending in ``.*``
covers every path below it (``"attributes.*"``), and the key ``"*"`` every
field the schema does not name (``{"*": FieldSpec.of("any")}`` accepts any
field: for rules over objects of your own). :data:`SNAPSHOT_FIELDS`
describes what :func:`~crmcore.segmentation.snapshot` produces, including the
standard facts (RFM, CLV, lifecycle stage, counts); extend it with your own
facts by merging mappings: ``{**SNAPSHOT_FIELDS, "segment_hint": FieldSpec.of("text")}``.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from enum import StrEnum
from typing import Final

import attrs

from crmcore._kernel._checks import type_name
from crmcore.customers import Channel, FrozenMap, Purpose
from crmcore.errors import InvalidType, ValidationError
from crmcore.segmentation._evaluate import (
    LITERAL_OPERATORS,
    SET_OPERATORS,
    TEXT_OPERATORS,
    WINDOW_OPERATORS,
    Operator,
)
from crmcore.segmentation._rules import AllOf, AnyOf, Condition, Not, Rule


class FieldType(StrEnum):
    """What a field holds: a literal kind, a set of values, or anything."""

    TEXT = "text"
    NUMBER = "number"
    BOOL = "bool"
    DATE = "date"
    DATETIME = "datetime"
    MONEY = "money"
    SET = "set"
    ANY = "any"


def _types(value: object) -> frozenset[FieldType]:
    if isinstance(value, (str, FieldType)):
        value = (value,)
    if isinstance(value, (bytes, Mapping)) or not isinstance(value, Iterable):
        raise InvalidType(f"must be field types, not {type_name(value)}", path="$.types")
    types: set[FieldType] = set()
    choices = ", ".join(t.value for t in FieldType)
    for index, item in enumerate(value):
        if index >= len(FieldType):
            raise ValidationError(
                f"must name at most {len(FieldType)} types", path="$.types", code="too_many"
            )
        if not isinstance(item, str):
            raise InvalidType(
                f"must be one of: {choices}; not {type_name(item)}", path=f"$.types[{index}]"
            )
        try:
            types.add(FieldType(item))
        except ValueError:
            raise ValidationError(
                f"must be one of: {choices}", path=f"$.types[{index}]", code="choice"
            ) from None
    if not types:
        raise ValidationError("must name at least one type", path="$.types", code="empty")
    return frozenset(types)


def _personal(_: object, __: attrs.Attribute[bool], value: object) -> None:
    if not isinstance(value, bool):
        raise InvalidType(f"must be a bool, not {type_name(value)}", path="$.personal")


@attrs.frozen(slots=True)
class FieldSpec:
    """What one field holds.

    Attributes:
        types: the field types a value may have (Money or a number for CLV).
        personal: whether values are personal data (masked in explanations).
    """

    types: frozenset[FieldType] = attrs.field(converter=_types)
    personal: bool = attrs.field(default=False, validator=_personal)

    @classmethod
    def of(cls, *types: str, personal: bool = False) -> FieldSpec:
        """A spec from type names: ``FieldSpec.of("money", "number")``."""
        # The converter checks the types (a frozenset would hash them first).
        return cls(types, personal=personal)


#: A field schema: field paths (or ``prefix.*``) to what they hold.
Schema = Mapping[str, FieldSpec]


def _snapshot_fields() -> FrozenMap[str, FieldSpec]:
    text, number, boolean = FieldSpec.of("text"), FieldSpec.of("number"), FieldSpec.of("bool")
    instant, day, values = FieldSpec.of("datetime"), FieldSpec.of("date"), FieldSpec.of("set")
    secret = FieldSpec.of("text", personal=True)
    amount = FieldSpec.of("money", "number")
    fields: dict[str, FieldSpec] = {
        # from the customer
        "id": text,
        "kind": text,
        "name": secret,
        "email": secret,
        "phone": secret,
        "address": secret,
        "postal_code": secret,
        "locality": secret,
        "country": text,
        "birth_date": FieldSpec.of("date", personal=True),
        "age": number,
        "language": text,
        "tags": values,
        "channels": values,
        "verified_channels": values,
        "created_at": instant,
        "tenure_days": number,
        # Custom attributes are the business's own data about a person: masked too.
        "attributes.*": FieldSpec.of("any", personal=True),
        "stage": text,
        "stage_entered_at": instant,
        "lifecycle.*": text,
        # standard facts
        "recency_days": number,
        "frequency": number,
        "monetary": amount,
        "r_score": number,
        "f_score": number,
        "m_score": number,
        "rfm_segment": text,
        "clv": amount,
        "clv_tier": text,
        "orders_count": number,
        "first_purchase_at": instant,
        "last_purchase_at": instant,
        "total_spent": amount,
        "average_order_value": amount,
        "cases_count": number,
        "open_cases_count": number,
        "feedback_count": number,
        "last_feedback_score": number,
        "last_contact_at": instant,
        "renewal_at": instant,
        "next_payment_due": day,
    }
    for channel in Channel:
        for purpose in Purpose:
            fields[f"may_{channel.value}_{purpose.value}"] = boolean
    return FrozenMap(fields)


#: The fields of :func:`~crmcore.segmentation.snapshot` and the standard facts.
SNAPSHOT_FIELDS: Final = _snapshot_fields()


#: Most entries a schema may hold.
MAX_SCHEMA_FIELDS: Final = 10_000


def check_schema(schema: object, path: str = "$.schema") -> Schema:
    """Return ``schema`` if it maps field path strings to :class:`FieldSpec` s.

    Raises:
        ValidationError: it is no mapping, holds too many entries, or an entry
            is not a str path with a FieldSpec (the entry's path is not echoed).
    """
    if schema is SNAPSHOT_FIELDS:
        return SNAPSHOT_FIELDS
    if not isinstance(schema, Mapping):
        raise InvalidType(
            f"must be a mapping of field paths to FieldSpec, not {type_name(schema)}", path=path
        )
    if len(schema) > MAX_SCHEMA_FIELDS:
        raise ValidationError(
            f"must hold at most {MAX_SCHEMA_FIELDS} fields", path=path, code="too_many"
        )
    for key, spec in schema.items():
        if not isinstance(key, str):
            raise InvalidType(f"must have str field paths, not {type_name(key)}", path=path)
        if not isinstance(spec, FieldSpec):
            raise InvalidType(
                f"must map each field to a FieldSpec, not {type_name(spec)}", path=f"{path}[*]"
            )
    return schema


def spec_for(schema: Schema, path: str) -> FieldSpec | None:
    """The spec covering ``path``: its own entry, else the nearest ``prefix.*`` entry.

    Raises:
        ValidationError: ``schema`` is not a schema or ``path`` not a str.
    """
    schema = check_schema(schema)
    if not isinstance(path, str):
        raise InvalidType(f"must be a field path str, not {type_name(path)}", path="$.path")
    return _spec(schema, path)


def _spec(schema: Schema, path: str) -> FieldSpec | None:
    spec = schema.get(path)
    if spec is not None:
        return spec
    parts = path.split(".")
    for cut in range(len(parts) - 1, 0, -1):
        spec = schema.get(".".join(parts[:cut]) + ".*")
        if spec is not None:
            return spec
    return schema.get("*")


def personal_fields(schema: Schema) -> frozenset[str]:
    """The field names a schema marks as personal (for ``Rule.explain(personal=...)``).

    A ``prefix.*`` entry gives its prefix, which masks every path below it.

    >>> sorted(personal_fields(SNAPSHOT_FIELDS))
    ['address', 'attributes', 'birth_date', 'email', 'locality', 'name', 'phone', 'postal_code']
    """
    return frozenset(
        path.removesuffix(".*") for path, spec in check_schema(schema).items() if spec.personal
    )


def _accepted(condition: Condition, types: frozenset[FieldType]) -> bool:  # noqa: PLR0911 - one answer per operator family.
    if FieldType.ANY in types:
        return True
    op = condition.op
    if op in LITERAL_OPERATORS:
        return condition.kind is not None and FieldType(condition.kind.value) in types
    if op in TEXT_OPERATORS:
        return FieldType.TEXT in types
    if op in SET_OPERATORS:
        return FieldType.SET in types
    if op in WINDOW_OPERATORS:
        return bool(types & {FieldType.DATE, FieldType.DATETIME})
    if op is Operator.BIRTHDAY_WITHIN:
        return FieldType.DATE in types
    return True  # is_empty / is_not_empty suit every field


def _children(node: Rule, path: str) -> list[tuple[Rule, str]]:
    if isinstance(node, AllOf):
        return [(child, f"{path}.all[{i}]") for i, child in enumerate(node.rules)]
    if isinstance(node, AnyOf):
        return [(child, f"{path}.any[{i}]") for i, child in enumerate(node.rules)]
    if isinstance(node, Not):
        return [(node.rule, f"{path}.not")]
    return []  # pragma: no cover - the node classes are closed.


def _condition_problem(node: Condition, path: str, schema: Schema) -> ValidationError | None:
    spec = _spec(schema, node.field)
    if spec is None:
        return ValidationError(
            "is not a field of the schema", path=f"{path}.field", code="unknown_field"
        )
    if _accepted(node, spec.types):
        return None
    holds = " or ".join(sorted(t.value for t in spec.types))
    if node.kind is not None and node.op in LITERAL_OPERATORS:
        return InvalidType(
            f"a {node.kind.value} literal does not suit this field, which holds {holds}",
            path=f"{path}.value",
            code="type_mismatch",
        )
    return InvalidType(
        f"the operator {node.op.value} does not suit this field, which holds {holds}",
        path=f"{path}.op",
        code="type_mismatch",
    )


def check_rule(rule: Rule, schema: Schema) -> None:
    """Check every condition of ``rule`` against ``schema``, reporting every problem.

    Paths name the condition as in the rule's document: ``$.all[1].any[0].field``.

    >>> from crmcore.segmentation import all_of, field
    >>> check_rule(all_of(field("frequency") >= 3, field("stage") > 2), SNAPSHOT_FIELDS)
    Traceback (most recent call last):
    ...
    crmcore.errors.InvalidType: $.all[1].value: a number literal does not suit this field, which holds text
    >>> check_rule(field("favourite_colour") == "red", SNAPSHOT_FIELDS)
    Traceback (most recent call last):
    ...
    crmcore.errors.ValidationError: $.field: is not a field of the schema

    Raises:
        ValidationError: a field is unknown (code ``unknown_field``) or an
            operator or literal does not suit it (``InvalidType``, code
            ``type_mismatch``); ``rule`` or ``schema`` is of the wrong type.
    """
    if not isinstance(rule, Rule):
        raise InvalidType(f"must be a rule, not {type_name(rule)}", path="$.rule")
    schema = check_schema(schema)
    problems: list[ValidationError] = []
    stack: list[tuple[Rule, str]] = [(rule, "$")]
    while stack:
        node, path = stack.pop()
        if isinstance(node, Condition):
            problem = _condition_problem(node, path, schema)
            if problem is not None:
                problems.append(problem)
        else:
            stack.extend(reversed(_children(node, path)))
    if problems:
        flat = [p for exc in problems for p in exc.problems]
        if all(isinstance(exc, InvalidType) for exc in problems):
            raise InvalidType.collect(flat)
        raise ValidationError.collect(flat)
