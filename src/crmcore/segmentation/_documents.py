"""Stored rules: rules to JSON-ready dicts and back, validated strictly.

The document of a rule is one of::

    {"all": [rule, ...]}        every rule matches
    {"any": [rule, ...]}        at least one matches
    {"not": rule}               the rule does not match
    {"field": "frequency", "op": "ge", "kind": "number", "value": 3}

``kind`` (text, number, bool, date, datetime, money) is given for the
operators that compare with a typed literal (eq, ne, lt, le, gt, ge, between,
in, not_in, has, has_any, has_all) and left out for the others. Numbers are
JSON integers or decimal strings (``"12.50"``; JSON floats are refused, as
everywhere in crmcore), dates and datetimes ISO 8601 text, Money
``{"amount": "12.50", "currency": "USD"}``. ``between`` takes ``[low, high]``,
the set operators a list, time windows ``{"days": 30}`` (``weeks``,
``months``), ``birthday_within`` a number of days, ``is_empty`` and
``is_not_empty`` no value.

Loading never evaluates anything written in the document: the operator is
looked up in a fixed table and field paths are checked against a pattern and
against a schema: :data:`~crmcore.segmentation.SNAPSHOT_FIELDS` unless another
is given, so a mistyped field is refused instead of silently matching nobody.
Rules over other fields (your own facts, attributes of other objects) are
loaded with a schema that names them, such as
``{**SNAPSHOT_FIELDS, "segment_hint": FieldSpec.of("text")}`` (a ``prefix.*``
entry covers every path below it).
The shape is checked iteratively (depth, then size) before anything is
built, so a document nested 100,000 levels deep is refused with a
:class:`~crmcore.ValidationError`, never a ``RecursionError``.
"""

from __future__ import annotations

from typing import Any, Final

from crmcore._kernel._checks import collect_errors, json_type_name
from crmcore.errors import InvalidType, Problem, ValidationError
from crmcore.segmentation._evaluate import (
    LITERAL_OPERATORS,
    SET_OPERATORS,
    WINDOW_OPERATORS,
    Operator,
)
from crmcore.segmentation._rules import (
    MAX_RULE_DEPTH,
    MAX_RULE_NODES,
    AllOf,
    AnyOf,
    Condition,
    Not,
    Rule,
    Span,
    operator_named,
)
from crmcore.segmentation._schema import SNAPSHOT_FIELDS, Schema, check_rule, check_schema
from crmcore.segmentation._values import (
    MAX_SET_ITEMS,
    Kind,
    literal_from_json,
    literal_to_json,
)

# The operators whose document names the kind of its literal.
_KINDED: Final = LITERAL_OPERATORS | SET_OPERATORS
_PAIRS: Final = frozenset({Operator.BETWEEN})
_SETS: Final = frozenset({Operator.IN, Operator.NOT_IN, Operator.HAS_ANY, Operator.HAS_ALL})
_NO_VALUE: Final = frozenset({Operator.IS_EMPTY, Operator.IS_NOT_EMPTY})
_COMBINATORS: Final = ("all", "any", "not")
_CONDITION_KEYS: Final = frozenset({"field", "op", "kind", "value"})


def rule_to_dict(rule: Rule) -> dict[str, Any]:
    """The JSON-ready document of ``rule`` (see the module docstring for the format).

    >>> from crmcore.segmentation import field, all_of
    >>> rule_to_dict(all_of(field("frequency") >= 3, field("stage").is_in({"member", "client"})))
    {'all': [{'field': 'frequency', 'op': 'ge', 'kind': 'number', 'value': 3}, {'field': 'stage', 'op': 'in', 'kind': 'text', 'value': ['client', 'member']}]}
    """
    if not isinstance(rule, Rule):
        raise InvalidType(f"must be a rule, not {type(rule).__name__}", path="$")
    if isinstance(rule, AllOf):
        return {"all": [rule_to_dict(child) for child in rule.rules]}
    if isinstance(rule, AnyOf):
        return {"any": [rule_to_dict(child) for child in rule.rules]}
    if isinstance(rule, Not):
        return {"not": rule_to_dict(rule.rule)}
    if not isinstance(rule, Condition):  # pragma: no cover - the four node classes are closed.
        raise InvalidType("must be a crmcore rule node", path="$")
    return _condition_document(rule)


def _condition_document(rule: Condition) -> dict[str, Any]:
    document: dict[str, Any] = {"field": rule.field, "op": rule.op.value}
    op, kind, value = rule.op, rule.kind, rule.value
    if kind is not None:
        document["kind"] = kind.value
    if op in _NO_VALUE:
        return document
    if kind is None:
        if isinstance(value, Span):
            units = {"months": value.months, "weeks": value.weeks, "days": value.days}
            document["value"] = {unit: n for unit, n in units.items() if n} or {"days": 0}
        else:
            document["value"] = value
    elif op in _PAIRS:
        document["value"] = [literal_to_json(kind, item) for item in value]
    elif op in _SETS:
        document["value"] = [literal_to_json(kind, item) for item in sorted(value)]
    else:
        document["value"] = literal_to_json(kind, value)
    return document


def rule_from_dict(data: object, *, schema: Schema | None = None) -> Rule:
    """Rebuild a rule from its document, validating everything on the way.

    Fields the schema does not know and literals of the wrong kind for a
    field are refused too. The schema is
    :data:`~crmcore.segmentation.SNAPSHOT_FIELDS` unless ``schema`` names
    another: pass one that lists your own facts for rules over them.

    >>> rule_from_dict({"field": "frequency", "op": "ge", "kind": "number", "value": 3})
    field('frequency') >= 3
    >>> rule_from_dict({"any": [{"field": "tags", "op": "has", "kind": "text", "value": 4.5}]})
    Traceback (most recent call last):
    ...
    crmcore.errors.InvalidType: $.any[0].value: must be a string, not a number

    Raises:
        ValidationError: the document breaks a rule; ``problems`` lists every
            fault found with its path (``$.all[2].op``); a field the schema
            does not know has code ``unknown_field``.
    """
    checked = SNAPSHOT_FIELDS if schema is None else check_schema(schema)
    _check_shape(data)
    rule = _build(data, "$")
    check_rule(rule, checked)
    return rule


def _check_shape(data: object) -> None:
    """Refuse over-deep or oversized documents before building anything (no recursion)."""
    stack: list[tuple[object, int, str]] = [(data, 1, "$")]
    nodes = 0
    while stack:
        value, depth, path = stack.pop()
        nodes += 1
        if nodes > MAX_RULE_NODES:
            raise ValidationError(
                f"must hold at most {MAX_RULE_NODES} conditions and combinators",
                path="$",
                code="too_large",
            )
        if depth > MAX_RULE_DEPTH:
            raise ValidationError(
                f"must not be nested more than {MAX_RULE_DEPTH} levels deep",
                path=path,
                code="too_deep",
            )
        if not isinstance(value, dict) or len(value) != 1:
            continue
        (key,) = value
        inner = value[key]
        if key == "not":
            stack.append((inner, depth + 1, f"{path}.not"))
        elif key in ("all", "any") and isinstance(inner, list):
            if len(inner) > MAX_RULE_NODES:
                raise ValidationError(
                    f"must hold at most {MAX_RULE_NODES} conditions and combinators",
                    path="$",
                    code="too_large",
                )
            stack.extend(
                (child, depth + 1, f"{path}.{key}[{index}]") for index, child in enumerate(inner)
            )


def _unknown_keys(keys: set[str], allowed: str, path: str) -> ValidationError:
    # Key names are not echoed: a document's keys can be anything, personal data too.
    count = len(keys)
    return ValidationError(
        f"has {count} unknown key{'s' if count > 1 else ''} (allowed: {allowed})",
        path=path,
        code="unknown_keys",
    )


def _build(data: object, path: str) -> Rule:
    if not isinstance(data, dict):
        raise InvalidType(
            f"must be an object describing a rule, not {json_type_name(data)}", path=path
        )
    combinator = [key for key in _COMBINATORS if key in data]
    if combinator:
        key = combinator[0]
        if len(data) != 1:
            raise ValidationError(
                f"must hold only the key '{key}' (a combinator takes nothing else)",
                path=path,
                code="keys",
            )
        if key == "not":
            return Not(_build(data["not"], f"{path}.not"))
        children = data[key]
        if not isinstance(children, list):
            raise InvalidType(
                f"must be an array of rules, not {json_type_name(children)}", path=f"{path}.{key}"
            )
        built: list[Rule] = []
        failures: list[ValidationError] = []
        for index, child in enumerate(children):
            try:
                built.append(_build(child, f"{path}.{key}[{index}]"))
            except ValidationError as exc:
                failures.append(exc)
        if failures:
            raise collect_errors(failures)
        return AllOf(built) if key == "all" else AnyOf(built)
    return _condition(data, path)


def _condition(data: dict[Any, Any], path: str) -> Condition:
    extra = set(data) - _CONDITION_KEYS
    if extra:
        raise _unknown_keys(extra, "field, op, kind, value", path)
    for key in ("field", "op"):
        if key not in data:
            raise ValidationError("is required", path=f"{path}.{key}", code="required")
    try:
        op = operator_named(data["op"])
    except ValidationError as exc:
        raise exc.under(path) from None
    _check_keys(op, data, path)
    value = _condition_value(op, data, path)
    try:
        return Condition(data["field"], op, value)
    except ValidationError as exc:
        raise exc.under(path) from None


def _check_keys(op: Operator, data: dict[Any, Any], path: str) -> None:
    kinded = op in _KINDED
    if kinded and "kind" not in data:
        raise ValidationError("is required by this operator", path=f"{path}.kind", code="required")
    if not kinded and "kind" in data:
        raise ValidationError("is not taken by this operator", path=f"{path}.kind", code="keys")
    if op in _NO_VALUE and "value" in data:
        raise ValidationError("is not taken by this operator", path=f"{path}.value", code="keys")
    if op not in _NO_VALUE and "value" not in data:
        raise ValidationError("is required", path=f"{path}.value", code="required")


def _condition_value(op: Operator, data: dict[Any, Any], path: str) -> Any:
    raw = data.get("value")
    value_path = f"{path}.value"
    if op in _KINDED:
        return _typed_value(op, _kind(data["kind"], f"{path}.kind"), raw, value_path)
    if op in WINDOW_OPERATORS:
        return _span(raw, value_path)
    if op is Operator.BIRTHDAY_WITHIN or op in _NO_VALUE:
        return raw
    if not isinstance(raw, str):
        raise InvalidType(f"must be a string, not {json_type_name(raw)}", path=value_path)
    return raw


def _kind(value: object, path: str) -> Kind:
    if isinstance(value, str):
        try:
            return Kind(value)
        except ValueError:
            pass
    choices = ", ".join(kind.value for kind in Kind)
    if not isinstance(value, str):
        raise InvalidType(f"must be one of: {choices}; not {json_type_name(value)}", path=path)
    raise ValidationError(f"must be one of: {choices}", path=path, code="choice")


def _typed_value(op: Operator, kind: Kind, raw: object, path: str) -> Any:
    if op in _PAIRS or op in _SETS:
        if not isinstance(raw, list):
            raise InvalidType(f"must be an array, not {json_type_name(raw)}", path=path)
        if len(raw) > MAX_SET_ITEMS:
            raise ValidationError(
                f"must hold at most {MAX_SET_ITEMS} values", path=path, code="too_many"
            )
        items: list[Any] = []
        problems: list[Problem] = []
        for index, item in enumerate(raw):
            try:
                items.append(literal_from_json(kind, item, f"{path}[{index}]"))
            except ValidationError as exc:
                problems.extend(exc.problems)
        if problems:
            raise _collect(problems)
        return tuple(items) if op in _PAIRS else items
    return literal_from_json(kind, raw, path)


def _collect(problems: list[Problem]) -> ValidationError:
    if all(p.code in {"type", "float"} for p in problems):
        return InvalidType.collect(problems)
    return ValidationError.collect(problems)


def _span(raw: object, path: str) -> Span:
    if not isinstance(raw, dict):
        raise InvalidType(
            f"must be an object such as {{'days': 30}}, not {json_type_name(raw)}", path=path
        )
    extra = set(raw) - {"days", "weeks", "months"}
    if extra:
        raise _unknown_keys(extra, "days, weeks, months", path)
    try:
        return Span(**raw)
    except ValidationError as exc:
        raise exc.under(path) from None


def is_rule_type(tp: object) -> bool:
    """True for :class:`Rule` and its subclasses (the predicate for converter hooks)."""
    return isinstance(tp, type) and issubclass(tp, Rule)


def structure_rule(value: object, _: object) -> Rule:
    """A cattrs structure hook: :func:`rule_from_dict` (with the snapshot fields) as a hook."""
    return rule_from_dict(value)


def register_rule_hooks(converter: Any, *, schema: Schema | None = None) -> None:
    """Teach a cattrs converter (such as crmcore's own) to read and write rules.

    Rules are read against ``schema`` (default
    :data:`~crmcore.segmentation.SNAPSHOT_FIELDS`); a converter for documents
    whose rules name your own facts registers the hooks again with a schema
    that lists them.

    >>> from crmcore.serialization import make_converter
    >>> from crmcore.segmentation import field
    >>> conv = make_converter()
    >>> register_rule_hooks(conv)
    >>> conv.unstructure(field("frequency") >= 3)
    {'field': 'frequency', 'op': 'ge', 'kind': 'number', 'value': 3}
    """
    checked = None if schema is None else check_schema(schema)

    def structure(value: object, _: object) -> Rule:
        return rule_from_dict(value, schema=checked)

    converter.register_unstructure_hook_func(is_rule_type, rule_to_dict)
    converter.register_structure_hook_func(
        is_rule_type, structure_rule if checked is None else structure
    )
