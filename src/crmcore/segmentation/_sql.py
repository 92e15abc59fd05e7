"""Segment rules compiled to SQL: a ``WHERE`` clause body with bound parameters.

:meth:`Rule.to_sql <crmcore.segmentation.Rule.to_sql>` compiles a rule for
SQLite, DuckDB, PostgreSQL or Spark SQL. The text never holds a value from the
rule: every literal, window bound and birthday code is a bound parameter, and
column names are checked against a safe pattern and quoted. The expression
selects exactly the rows :meth:`Rule.matches` selects on the same data, stored
as docs/segments_in_engines.md describes (one column per field, two for Money,
a folded copy for text searches); a condition an engine cannot decide exactly
is refused with code ``not_expressible`` rather than approximated.

The plan (:class:`Plan`: which column each field reads and what it holds) is
shared with the polars builder (:mod:`crmcore.segmentation._polars`).
"""

from __future__ import annotations

import re
from abc import ABC, abstractmethod
from collections.abc import Mapping
from datetime import UTC, date, datetime
from decimal import Decimal
from typing import Any, Final, Generic, TypeVar

import attrs

from crmcore._kernel._checks import type_name
from crmcore._kernel._fields import Checked
from crmcore.errors import InvalidType, ValidationError
from crmcore.segmentation._evaluate import (
    LITERAL_OPERATORS,
    SET_OPERATORS,
    SYMBOLS,
    TEXT_OPERATORS,
    WINDOW_OPERATORS,
    Operator,
    birthday_set,
    window_bounds,
)
from crmcore.segmentation._rules import AllOf, AnyOf, Condition, Not, Rule, Span
from crmcore.segmentation._schema import SNAPSHOT_FIELDS, FieldType, Schema, check_schema
from crmcore.segmentation._values import Kind, fold

#: The expression an engine compiles a rule to (SQL text, a polars expression).
E = TypeVar("E")

#: The dialects :meth:`Rule.to_sql` writes.
DIALECTS: Final = ("sqlite", "duckdb", "postgresql", "spark")
#: Most bound parameters in one query (SQLite's default limit).
MAX_SQL_PARAMS: Final = 32_766
#: Most entries in a column mapping.
MAX_COLUMNS: Final = 10_000
#: Largest magnitude of a number SQLite and polars compare exactly with a double (2**53).
MAX_EXACT_DOUBLE: Final = 9_007_199_254_740_992  # 2**53
#: Most digits of a decimal literal DuckDB and Spark hold exactly (DECIMAL(38, s)).
MAX_DECIMAL_DIGITS: Final = 38

_IDENTIFIER: Final = re.compile(r"[A-Za-z_][A-Za-z0-9_]{0,62}")
#: Every character ``str.strip()`` removes (``str.isspace``): blank text is made of these.
WHITESPACE: Final = (
    "\t\n\x0b\x0c\r\x1c\x1d\x1e\x1f \x85\xa0\u1680\u2000\u2001\u2002\u2003\u2004\u2005"
    "\u2006\u2007\u2008\u2009\u200a\u2028\u2029\u202f\u205f\u3000"
)

# The value shapes a field may have in an engine.
NUMBER, TEXT, BOOL, DATE, DATETIME, MONEY, SET = (
    "number",
    "text",
    "bool",
    "date",
    "datetime",
    "money",
    "set",
)
_ALL_SHAPES: Final = frozenset({NUMBER, TEXT, BOOL, DATE, DATETIME, MONEY, SET})
_TIMES: Final = frozenset({DATE, DATETIME})
_KIND_SHAPES: Final = {
    Kind.NUMBER: NUMBER,
    Kind.TEXT: TEXT,
    Kind.BOOL: BOOL,
    Kind.DATE: DATE,
    Kind.DATETIME: DATETIME,
    Kind.MONEY: MONEY,
}
_SQL_SYMBOLS: Final = {
    Operator.EQ: "=",
    Operator.NE: "<>",
    Operator.LT: "<",
    Operator.LE: "<=",
    Operator.GT: ">",
    Operator.GE: ">=",
}


def refused(op: Operator | str, dialect: str, reason: str) -> ValidationError:
    """The error for a condition an engine cannot decide exactly (code ``not_expressible``)."""
    return ValidationError(
        f"{op} is not expressible exactly in {dialect}: {reason}", path="$", code="not_expressible"
    )


@attrs.frozen(slots=True)
class SqlQuery(Checked):
    """A rule compiled to SQL: a boolean expression and its bound parameters.

    Attributes:
        text: the expression, a ``WHERE`` clause body; it never holds a value.
        params: the bound parameters, in the order of their placeholders
            (``?`` for sqlite, duckdb and spark; ``%s`` for postgresql).
        dialect: the dialect written.
        fields: the rule's fields the expression reads, sorted.
    """

    text: str
    params: tuple[object, ...]
    dialect: str
    fields: tuple[str, ...]


# -- the plan: columns and shapes ------------------------------------------------------------


def _check_columns(columns: object) -> Mapping[str, str] | None:
    if columns is None:
        return None
    if not isinstance(columns, Mapping):
        raise InvalidType(
            f"must be a mapping of field paths to column names, not {type_name(columns)}",
            path="$.columns",
        )
    if len(columns) > MAX_COLUMNS:
        raise ValidationError(
            f"must hold at most {MAX_COLUMNS} columns", path="$.columns", code="too_many"
        )
    for key, name in columns.items():
        if not isinstance(key, str) or not isinstance(name, str):
            raise InvalidType(
                f"must map str field paths to str column names, not {type_name(key)} "
                f"to {type_name(name)}",
                path="$.columns",
            )
    return columns


def _options(condition: Condition) -> frozenset[str]:
    """The shapes a field may have for ``condition`` to be decided without a type error."""
    op = condition.op
    if op in LITERAL_OPERATORS and condition.kind is not None:
        return frozenset({_KIND_SHAPES[condition.kind]})
    if op in TEXT_OPERATORS:
        return frozenset({TEXT})
    if op in SET_OPERATORS:
        return frozenset({SET})
    if op in WINDOW_OPERATORS:
        return _TIMES
    if op is Operator.BIRTHDAY_WITHIN:
        return frozenset({DATE})
    return _ALL_SHAPES  # is_empty, is_not_empty


def conditions(rule: Rule) -> list[Condition]:
    """The rule's conditions, in rule order."""
    found: list[Condition] = []
    stack: list[Rule] = [rule]
    while stack:
        node = stack.pop()
        if isinstance(node, Condition):
            found.append(node)
        else:
            stack.extend(reversed(node.children()))
    return found


@attrs.frozen(slots=True)
class Plan:
    """What a rule reads in an engine: the column of each field and its shape.

    Attributes:
        dialect: the engine (a SQL dialect or ``"polars"``).
        columns: the column mapping given (``None``: each field's path with
            ``.`` written ``_``).
        shapes: the shape of each field read (``None`` when the rule and the
            schema leave it open).
        at: the evaluation time (checked aware when the rule needs it).
    """

    dialect: str
    columns: Mapping[str, str] | None
    shapes: Mapping[str, str | None]
    at: datetime | None

    def column(self, field: str, part: str | None = None) -> str:
        """The column holding ``field`` (or its ``amount``, ``currency``, ``folded`` part)."""
        key = field if part is None else f"{field}.{part}"
        if self.columns is None:
            name = key.replace(".", "_")
        else:
            found = self.columns.get(key)
            if found is None:
                raise ValidationError(
                    f"has no column for the field {key!r}", path="$.columns", code="unknown_field"
                )
            name = found
        if _IDENTIFIER.fullmatch(name) is None:
            raise ValidationError(
                f"must name the column of {key!r} with a letter or '_' followed by letters, "
                "digits or '_' (at most 63 characters)",
                path="$.columns",
                code="identifier",
            )
        return name

    def shape(self, condition: Condition) -> str:
        """The shape of the field ``condition`` reads, refusing one left open."""
        shape = self.shapes[condition.field]
        if shape is None:
            raise refused(
                condition.op,
                self.dialect,
                f"the type of the column of {condition.field!r} is unknown; "
                "name it in schema= (a FieldSpec of one type)",
            )
        return shape


def plan(rule: Rule, dialect: str, columns: object, at: datetime | None, schema: object) -> Plan:
    """Check the arguments of ``to_sql``/``to_polars`` and decide each field's column shape."""
    if not isinstance(rule, Rule):
        raise InvalidType(f"must be a rule, not {type_name(rule)}", path="$.rule")
    mapping = _check_columns(columns)
    checked_schema: Schema = check_schema(schema)
    when = rule._checked_at(at)  # noqa: SLF001 - the same check as matches().
    options: dict[str, frozenset[str]] = {}
    for condition in conditions(rule):
        before = options.get(condition.field, _ALL_SHAPES)
        narrowed = before & _options(condition)
        if not narrowed:
            raise refused(
                condition.op,
                dialect,
                f"the rule reads {condition.field!r} as values of different types",
            )
        options[condition.field] = narrowed
    shapes: dict[str, str | None] = {}
    for name, allowed in options.items():
        found = allowed
        if len(found) > 1:
            spec = _spec(checked_schema, name)
            if spec is not None and FieldType.ANY not in spec.types:
                found = allowed & frozenset(t.value for t in spec.types)
        shapes[name] = next(iter(found)) if len(found) == 1 else None
    return Plan(dialect, mapping, shapes, when)


def _spec(schema: Schema, path: str) -> Any:
    from crmcore.segmentation._schema import spec_for  # noqa: PLC0415 - a helper of that module.

    return spec_for(schema, path)


# -- numbers ---------------------------------------------------------------------------------


def double_safe(value: int | Decimal) -> bool:
    """True if a double holds ``value`` and reads back as it (its shortest form), within 2**53.

    Such a literal orders every double exactly as :meth:`Rule.matches` orders
    the double's shortest decimal (how it reads floats).

    >>> double_safe(Decimal("0.1")), double_safe(Decimal("0.10000000000000001")), double_safe(2**60)
    (True, False, False)
    """
    if not -MAX_EXACT_DOUBLE <= value <= MAX_EXACT_DOUBLE:
        return False
    return isinstance(value, int) or Decimal(repr(float(value))) == value


def as_int(value: int | Decimal) -> int | None:
    """``value`` as an int if it is a whole number (of at most 63 bits), else ``None``."""
    if isinstance(value, int):
        return value
    if value == value.to_integral_value() and abs(value) < 2**63:
        return int(value)
    return None


# -- dialects --------------------------------------------------------------------------------


class Families(ABC, Generic[E]):
    """Compiles a condition by its operator family, in one order for SQL and polars alike.

    An engine gives each family's method (expressions of type ``E``) and
    :meth:`plain` for the plain comparisons that are left.
    """

    plan: Plan

    def condition(self, node: Condition) -> E:  # noqa: PLR0911 - one return per operator family.
        op = node.op
        if op in (Operator.IS_EMPTY, Operator.IS_NOT_EMPTY):
            empty = self.empty(node)
            return empty if op is Operator.IS_EMPTY else self.negated(empty)
        shape = self.plan.shape(node)
        if op in TEXT_OPERATORS:
            return self.text(node)
        if op in SET_OPERATORS:
            return self.collection(node)
        if op in WINDOW_OPERATORS:
            return self.window(node, shape)
        if op is Operator.BIRTHDAY_WITHIN:
            return self.birthday(node)
        if shape == MONEY:
            return self.money(node)
        return self.plain(node, shape)

    @abstractmethod
    def negated(self, expression: E) -> E:
        """The engine's expression for this family."""

    @abstractmethod
    def empty(self, node: Condition) -> E:
        """The engine's expression for this family."""

    @abstractmethod
    def text(self, node: Condition) -> E:
        """The engine's expression for this family."""

    @abstractmethod
    def collection(self, node: Condition) -> E:
        """The engine's expression for this family."""

    @abstractmethod
    def window(self, node: Condition, shape: str) -> E:
        """The engine's expression for this family."""

    @abstractmethod
    def birthday(self, node: Condition) -> E:
        """The engine's expression for this family."""

    @abstractmethod
    def money(self, node: Condition) -> E:
        """The engine's expression for this family."""

    @abstractmethod
    def plain(self, node: Condition, shape: str) -> E:
        """The engine's expression for this family."""


class _Writer(Families[str]):
    """Writes one query: the text of each condition, collecting its parameters."""

    def __init__(self, plan: Plan) -> None:
        self.plan = plan
        self.dialect = plan.dialect
        self.params: list[object] = []

    # parameters -------------------------------------------------------------------------

    def bind(self, value: object) -> str:
        if len(self.params) >= MAX_SQL_PARAMS:
            raise ValidationError(
                f"needs more than {MAX_SQL_PARAMS} bound parameters", path="$", code="too_large"
            )
        self.params.append(value)
        return "%s" if self.dialect == "postgresql" else "?"

    def value(self, op: Operator, shape: str, value: Any) -> str:
        """A placeholder bound to a literal of ``shape``, in the form the dialect compares."""
        if shape == NUMBER:
            return self.number(op, value)
        if shape == DATETIME:
            return self.bind(self.instant(value))
        if shape == DATE:
            return self.bind(value.isoformat() if self.dialect == "sqlite" else value)
        return self.bind(value)

    def instant(self, value: datetime) -> object:
        if self.dialect != "sqlite":
            return value
        try:
            return value.astimezone(UTC).isoformat(timespec="microseconds")
        except OverflowError:
            raise ValidationError(
                "puts an instant outside the supported calendar range (years 1 to 9999)",
                path="$.value",
                code="out_of_range",
            ) from None

    def number(self, op: Operator, value: int | Decimal) -> str:
        whole = as_int(value)
        if self.dialect == "sqlite":
            if not double_safe(value):
                raise refused(
                    op,
                    self.dialect,
                    "SQLite has no exact decimal type, and this number is not the shortest "
                    "form of a double within 2**53",
                )
            return self.bind(whole if whole is not None else float(value))
        if whole is not None or self.dialect == "postgresql":
            return self.bind(whole if whole is not None else value)
        _, digits, exponent = Decimal(value).as_tuple()
        scale = -int(exponent)
        precision = max(len(digits), scale)
        if precision > MAX_DECIMAL_DIGITS:
            raise refused(
                op,
                self.dialect,
                f"its DECIMAL type holds at most {MAX_DECIMAL_DIGITS} digits",
            )
        if self.dialect == "spark":
            return self.bind(value)
        return f"CAST({self.bind(format(value, 'f'))} AS DECIMAL({precision}, {scale}))"

    # columns ------------------------------------------------------------------------------

    def column(self, field: str, part: str | None = None) -> str:
        name = self.plan.column(field, part)
        return f"`{name}`" if self.dialect == "spark" else f'"{name}"'

    def text_column(self, field: str) -> str:
        """The column with the collation comparing code points (UTF-8 bytes)."""
        column = self.column(field)
        if self.dialect == "sqlite":
            return f"{column} COLLATE BINARY"
        if self.dialect == "postgresql":
            return f'{column} COLLATE "C"'
        return column  # DuckDB and Spark compare binary by default

    # conditions ---------------------------------------------------------------------------

    def rule(self, node: Rule) -> str:
        if isinstance(node, Condition):
            return f"COALESCE(({self.condition(node)}), FALSE)"
        if isinstance(node, Not):
            return f"(NOT {self.rule(node.rule)})"
        parts = [self.rule(child) for child in node.children()]
        if isinstance(node, AllOf):
            return balanced(parts, "AND") if parts else "TRUE"
        if isinstance(node, AnyOf):
            return balanced(parts, "OR") if parts else "FALSE"
        raise InvalidType(  # pragma: no cover - every rule class is handled above.
            f"must be a rule, not {type_name(node)}", path="$.rule"
        )

    def negated(self, expression: str) -> str:
        return f"NOT ({expression})"

    def plain(self, node: Condition, shape: str) -> str:
        column = self.text_column(node.field) if shape == TEXT else self.column(node.field)
        return self.compare(column, node, shape)

    def compare(self, column: str, node: Condition, shape: str) -> str:
        op, value = node.op, node.value
        if op in SYMBOLS:
            test = f"{column} {_SQL_SYMBOLS[op]} {self.value(op, shape, value)}"
        elif op is Operator.BETWEEN:
            low, high = (self.value(op, shape, item) for item in value)
            test = f"{column} BETWEEN {low} AND {high}"
        else:
            items = ", ".join(self.value(op, shape, item) for item in sorted(value, key=_order))
            word = "IN" if op is Operator.IN else "NOT IN"
            test = f"{column} {word} ({items})"
        if shape == NUMBER and op in _NAN_TRUE and self.dialect != "sqlite":
            # NaN sorts above every number in these engines; matches() reads it as missing.
            test += f" AND {_NOT_NAN[self.dialect].format(column)}"
        return test

    def money(self, node: Condition) -> str:
        currency = node.value[0].currency if node.op is Operator.BETWEEN else node.value.currency
        amounts = (
            (node.value[0].amount, node.value[1].amount)
            if node.op is Operator.BETWEEN
            else node.value.amount
        )
        amount = Condition(node.field, node.op, amounts)
        unit = self.column(node.field, "currency")
        if self.dialect == "sqlite":
            unit += " COLLATE BINARY"
        same = f"{unit} = {self.bind(currency)}"
        return f"{same} AND {self.compare(self.column(node.field, 'amount'), amount, NUMBER)}"

    def empty(self, node: Condition) -> str:
        shape = self.plan.shape(node)
        if shape == MONEY:
            return f"{self.column(node.field, 'amount')} IS NULL"
        column = self.column(node.field)
        if shape == TEXT:
            chars = self.bind(WHITESPACE)
            blank = {
                "sqlite": f"trim({column}, {chars}) = ''",
                "duckdb": f"trim({column}, {chars}) = ''",
                "postgresql": f"btrim({column}, {chars}) = ''",
                "spark": f"trim(BOTH {chars} FROM {column}) = ''",
            }[self.dialect]
            return f"{column} IS NULL OR {blank}"
        if shape == SET:
            size = {
                "sqlite": "json_array_length",
                "duckdb": "len",
                "postgresql": "cardinality",
                "spark": "size",
            }[self.dialect]
            return f"{column} IS NULL OR {size}({column}) = 0"
        return f"{column} IS NULL"

    def text(self, node: Condition) -> str:
        column = self.column(node.field, "folded")
        needle = fold(node.value)
        dialect, op = self.dialect, node.op
        if op is Operator.CONTAINS:
            search = "strpos" if dialect == "postgresql" else "instr"
            return f"{search}({column}, {self.bind(needle)}) > 0"
        if dialect in ("duckdb", "spark"):
            word = {"duckdb": ("starts_with", "ends_with"), "spark": ("startswith", "endswith")}
            name = word[dialect][op is Operator.ENDS_WITH]
            return f"{name}({column}, {self.bind(needle)})"
        if dialect == "sqlite":
            # SQLite's substr() and length() stop at a NUL character in text; instr() and
            # blobs do not (a blob holds the text in the database's encoding).
            if op is Operator.STARTS_WITH:
                return f"instr({column}, {self.bind(needle)}) = 1"
            blob = f"CAST({self.bind(needle)} AS BLOB)"
            return f"substr(CAST({column} AS BLOB), -length({blob})) = CAST({self.bind(needle)} AS BLOB)"
        length = len(needle)
        if op is Operator.STARTS_WITH:
            return f"starts_with({column}, {self.bind(needle)})"
        return f"right({column}, CAST({self.bind(length)} AS integer)) = {self.bind(needle)}"

    def collection(self, node: Condition) -> str:
        op = node.op
        items = sorted(node.value) if op is not Operator.HAS else [node.value]
        if node.kind is not Kind.TEXT:
            raise refused(
                op,
                self.dialect,
                "sets of numbers are compared by Python equality across int, Decimal and "
                "float, which the engines' arrays do not share: use text items",
            )
        column = self.column(node.field)
        if self.dialect == "sqlite":
            exists = "EXISTS (SELECT 1 FROM json_each({}) AS j WHERE j.value {})"
            if op is Operator.HAS_ANY:
                marks = ", ".join(self.bind(item) for item in items)
                return exists.format(column, f"IN ({marks})")
            tests = [exists.format(column, f"= {self.bind(item)}") for item in items]
            return balanced(tests, "AND")
        if self.dialect == "duckdb":
            name = {Operator.HAS: "list_has_all", Operator.HAS_ANY: "list_has_any"}
            return f"{name.get(op, 'list_has_all')}({column}, {self.bind(items)})"
        if self.dialect == "postgresql":
            word = "&&" if op is Operator.HAS_ANY else "@>"
            return f"{column} {word} CAST({self.bind(items)} AS text[])"
        if op is Operator.HAS_ANY:
            marks = ", ".join(self.bind(item) for item in items)
            return f"arrays_overlap({column}, array({marks}))"
        return balanced([f"array_contains({column}, {self.bind(item)})" for item in items], "AND")

    def window(self, node: Condition, shape: str) -> str:
        when = self.plan.at
        if when is None:  # pragma: no cover - plan() checks `at` first.
            raise ValidationError("is needed", path="$.at", code="at_required")
        span = node.value.delta if isinstance(node.value, Span) else node.value
        start, end = window_bounds(node.op, span, when)
        column = self.column(node.field)
        low: object
        high: object
        if shape == DATE:
            low, high = start.date().isoformat(), end.date().isoformat()
            if self.dialect != "sqlite":
                low, high = start.date(), end.date()
        else:
            low, high = self.instant(start), self.instant(end)
        if node.op is Operator.MORE_THAN_AGO:
            return f"{column} < {self.bind(low)}"
        return f"{column} BETWEEN {self.bind(low)} AND {self.bind(high)}"

    def birthday(self, node: Condition) -> str:
        when = self.plan.at
        if when is None:  # pragma: no cover - plan() checks `at` first.
            raise ValidationError("is needed", path="$.at", code="at_required")
        column = self.column(node.field)
        code = {
            "sqlite": f"CAST(substr({column}, 6, 2) AS INTEGER) * 100 "
            f"+ CAST(substr({column}, 9, 2) AS INTEGER)",
            "duckdb": f"month({column}) * 100 + day({column})",
            "postgresql": f"EXTRACT(MONTH FROM {column}) * 100 + EXTRACT(DAY FROM {column})",
            "spark": f"month({column}) * 100 + day({column})",
        }[self.dialect]
        runs = birthday_runs(birthday_set(node.value, when))
        tests = [f"({code}) BETWEEN {self.bind(low)} AND {self.bind(high)}" for low, high in runs]
        return balanced(tests, "OR")


#: The comparisons a NaN in a number column satisfies in DuckDB, PostgreSQL and Spark.
_NAN_TRUE: Final = frozenset({Operator.NE, Operator.GT, Operator.GE, Operator.NOT_IN})
#: A test that a number column does not hold NaN (NaN equals NaN in these engines); PostgreSQL
#: compares as numeric, which every number type casts to without error.
_NOT_NAN: Final = {
    "duckdb": "{} <> CAST('NaN' AS DOUBLE)",
    "spark": "{} <> CAST('NaN' AS DOUBLE)",
    "postgresql": "CAST({} AS numeric) <> CAST('NaN' AS numeric)",
}


#: Most terms written as one flat chain ``a OR b OR ...`` (each term nests one level deeper).
CHAIN: Final = 64
#: SQLite refuses an expression nested more than 1000 levels (``SQLITE_MAX_EXPR_DEPTH``) and
#: overflows its parser stack (100 entries) near 50 nested ``(NOT ...)``; a query
#: estimated past these bounds is refused before it reaches the engine.
MAX_SQLITE_HEIGHT: Final = 900
MAX_SQLITE_NESTING: Final = 40


def balanced(parts: list[str], word: str) -> str:
    """``parts`` joined by ``word``: flat chains of at most :data:`CHAIN` terms, grouped.

    A flat chain costs the parser nothing per term but nests the expression one
    level per term; parentheses cost the parser a level each. Grouping keeps both
    small: 10,000 terms are 157 groups of 64, two levels of parentheses.

    >>> balanced(["a", "b", "c"], "OR")
    '(a OR b OR c)'
    >>> balanced(["a"], "OR")
    'a'
    """
    if len(parts) == 1:
        return parts[0]
    if len(parts) > CHAIN:
        parts = [balanced(parts[i : i + CHAIN], word) for i in range(0, len(parts), CHAIN)]
        return balanced(parts, word)
    return "(" + f" {word} ".join(parts) + ")"


def chain_height(count: int) -> int:
    """How deep :func:`balanced` nests the expression of ``count`` terms (an upper bound)."""
    if count <= CHAIN:
        return max(count - 1, 0)
    return CHAIN + chain_height(-(-count // CHAIN))


def height(node: Rule) -> int:
    """An upper bound on the nesting of ``node``'s expression tree in SQLite."""
    if isinstance(node, Condition):
        items = node.value if node.op in (Operator.HAS_ALL, Operator.HAS_ANY) else ()
        return 8 + chain_height(len(items))
    children = node.children()
    below = max((height(child) for child in children), default=0)
    return 1 + chain_height(len(children)) + below


def nesting(text: str) -> int:
    """The deepest nesting of parentheses in ``text`` (a query text holds no values)."""
    deepest = depth = 0
    for char in text:
        if char == "(":
            depth += 1
            deepest = max(deepest, depth)
        elif char == ")":
            depth -= 1
    return deepest


def _order(item: object) -> tuple[str, str]:
    """A total order over the items of one literal set (all of one kind), for stable text."""
    if isinstance(item, datetime):
        return ("", item.astimezone(UTC).isoformat())
    return ("", repr(item))


#: Every (month, day) of a leap year as month * 100 + day, in calendar order.
_CODES: Final = tuple(
    day.month * 100 + day.day
    for day in (date.fromordinal(date(2000, 1, 1).toordinal() + n) for n in range(366))
)


def birthday_runs(days: frozenset[tuple[int, int]]) -> list[tuple[int, int]]:
    """The (month, day) set as runs of ``month * 100 + day`` codes, consecutive in the calendar.

    >>> birthday_runs(frozenset({(12, 31), (1, 1), (2, 28), (2, 29)}))
    [(101, 101), (228, 229), (1231, 1231)]
    """
    wanted = {month * 100 + day for month, day in days}
    runs: list[tuple[int, int]] = []
    start: int | None = None
    previous = 0
    for code in _CODES:
        if code in wanted:
            if start is None:
                start = code
            previous = code
        elif start is not None:
            runs.append((start, previous))
            start = None
    if start is not None:
        runs.append((start, previous))
    return runs


def to_sql(
    rule: Rule,
    *,
    dialect: object,
    columns: object = None,
    at: datetime | None = None,
    schema: object = SNAPSHOT_FIELDS,
) -> SqlQuery:
    """Compile ``rule`` to a SQL boolean expression with bound parameters.

    Raises:
        ValidationError: an unknown dialect (code ``choice``), a field without
            a column (``unknown_field``), a condition the dialect cannot decide
            exactly (``not_expressible``), ``at`` missing or naive.
    """
    if not isinstance(dialect, str) or dialect not in DIALECTS:
        raise ValidationError(
            f"must be one of: {', '.join(DIALECTS)}", path="$.dialect", code="choice"
        )
    writer = _Writer(plan(rule, dialect, columns, at, schema))
    text = writer.rule(rule)
    if dialect == "sqlite" and (
        height(rule) > MAX_SQLITE_HEIGHT or nesting(text) > MAX_SQLITE_NESTING
    ):
        raise ValidationError(
            "nests too deeply for SQLite (its parser and expression depth limits); "
            "flatten the rule or split it into several queries",
            path="$",
            code="too_deep",
        )
    return SqlQuery(text, tuple(writer.params), dialect, tuple(sorted(rule.fields())))
