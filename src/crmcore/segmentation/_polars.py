"""Segment rules as polars expressions: the same plan and semantics as the SQL compiler.

:meth:`Rule.to_polars <crmcore.segmentation.Rule.to_polars>` builds one
boolean ``polars.Expr`` over the columns :mod:`crmcore.segmentation._sql`
describes (a missing value is null and makes a condition false; ``not_``
flips it). polars is imported inside :func:`to_polars` only.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

from crmcore.errors import ValidationError
from crmcore.segmentation._evaluate import (
    Operator,
    birthday_set,
    window_bounds,
)
from crmcore.segmentation._rules import AllOf, Condition, Not, Rule, Span
from crmcore.segmentation._schema import SNAPSHOT_FIELDS
from crmcore.segmentation._sql import (
    DATE,
    DATETIME,
    MONEY,
    NUMBER,
    SET,
    TEXT,
    WHITESPACE,
    Families,
    Plan,
    as_int,
    birthday_runs,
    double_safe,
    plan,
    refused,
)
from crmcore.segmentation._values import Kind, fold

if TYPE_CHECKING:
    import polars as pl

_DIALECT = "polars"


def _polars() -> Any:
    try:
        import polars as pl  # noqa: PLC0415 - an optional package, imported when asked for.
    except ImportError:
        raise ValidationError(
            "needs polars: pip install polars", path="$", code="missing_dependency"
        ) from None
    return pl


class _Builder(Families[Any]):
    def __init__(self, pl: Any, plan: Plan) -> None:
        self.pl = pl
        self.plan = plan

    def col(self, field: str, part: str | None = None) -> Any:
        return self.pl.col(self.plan.column(field, part))

    def rule(self, node: Rule) -> Any:
        pl = self.pl
        if isinstance(node, Condition):
            return self.condition(node).fill_null(value=False)
        if isinstance(node, Not):
            return ~self.rule(node.rule)
        parts = [self.rule(child) for child in node.children()]
        if isinstance(node, AllOf):
            return pl.all_horizontal(parts) if parts else pl.lit(value=True)
        return pl.any_horizontal(parts) if parts else pl.lit(value=False)

    def literal(self, op: Operator, shape: str, value: Any) -> Any:
        if shape == NUMBER:
            if not double_safe(value):
                raise refused(
                    op,
                    _DIALECT,
                    "a polars number column is an integer or a double, and this number is not "
                    "the shortest form of a double within 2**53",
                )
            whole = as_int(value)
            return self.pl.lit(whole if whole is not None else float(value))
        if shape == DATETIME:
            return self.pl.lit(value.astimezone(UTC))
        return self.pl.lit(value)

    def negated(self, expression: Any) -> Any:
        return ~expression

    def plain(self, node: Condition, shape: str) -> Any:
        return self.compare(self.col(node.field), node.op, node.value, shape)

    def compare(self, column: Any, op: Operator, value: Any, shape: str) -> Any:
        test = self.test(column, op, value, shape)
        if shape == NUMBER and op in (Operator.NE, Operator.GT, Operator.GE, Operator.NOT_IN):
            # NaN sorts above every number in polars (and equals NaN); matches() reads it as
            # missing. The guard works on integer, float and decimal columns alike.
            test = test & (column != self.pl.lit(float("nan")))
        return test

    def test(self, column: Any, op: Operator, value: Any, shape: str) -> Any:
        if op is Operator.BETWEEN:
            low, high = (self.literal(op, shape, item) for item in value)
            return (column >= low) & (column <= high)
        if op in (Operator.IN, Operator.NOT_IN):
            found = self.pl.any_horizontal([column == self.literal(op, shape, v) for v in value])
            return found if op is Operator.IN else ~found
        target = self.literal(op, shape, value)
        return {
            Operator.EQ: column.__eq__,
            Operator.NE: column.__ne__,
            Operator.LT: column.__lt__,
            Operator.LE: column.__le__,
            Operator.GT: column.__gt__,
            Operator.GE: column.__ge__,
        }[op](target)

    def money(self, node: Condition) -> Any:
        value = node.value
        if node.op is Operator.BETWEEN:
            currency, amount = value[0].currency, (value[0].amount, value[1].amount)
        else:
            currency, amount = value.currency, value.amount
        same = self.col(node.field, "currency") == self.pl.lit(currency)
        return same & self.compare(self.col(node.field, "amount"), node.op, amount, NUMBER)

    def empty(self, node: Condition) -> Any:
        shape = self.plan.shape(node)
        if shape == MONEY:
            return self.col(node.field, "amount").is_null()
        column = self.col(node.field)
        if shape == TEXT:
            blank = column.str.strip_chars(WHITESPACE) == self.pl.lit("")
            return column.is_null() | blank.fill_null(value=False)
        if shape == SET:
            return column.is_null() | (column.list.len() == 0).fill_null(value=False)
        return column.is_null()

    def text(self, node: Condition) -> Any:
        column = self.col(node.field, "folded")
        needle = fold(node.value)
        if node.op is Operator.CONTAINS:
            return column.str.contains(needle, literal=True)
        if node.op is Operator.STARTS_WITH:
            return column.str.starts_with(needle)
        return column.str.ends_with(needle)

    def collection(self, node: Condition) -> Any:
        op = node.op
        if node.kind is not Kind.TEXT:
            raise refused(
                op,
                _DIALECT,
                "sets of numbers are compared by Python equality across int, Decimal and "
                "float, which polars lists do not share: use text items",
            )
        column = self.col(node.field)
        items = [node.value] if op is Operator.HAS else sorted(node.value)
        tests = [column.list.contains(self.pl.lit(item)) for item in items]
        if op is Operator.HAS_ANY:
            return self.pl.any_horizontal(tests)
        return self.pl.all_horizontal(tests)

    def window(self, node: Condition, shape: str) -> Any:
        when = self.plan.at
        if when is None:  # pragma: no cover - plan() checks `at` first.
            raise ValidationError("is needed", path="$.at", code="at_required")
        span = node.value.delta if isinstance(node.value, Span) else node.value
        start, end = window_bounds(node.op, span, when)
        column = self.col(node.field)
        low: Any
        high: Any
        if shape == DATE:
            low, high = self.pl.lit(start.date()), self.pl.lit(end.date())
        else:
            low, high = self.literal(node.op, DATETIME, start), self.literal(node.op, DATETIME, end)
        if node.op is Operator.MORE_THAN_AGO:
            return column < low
        return (column >= low) & (column <= high)

    def birthday(self, node: Condition) -> Any:
        when = self.plan.at
        if when is None:  # pragma: no cover - plan() checks `at` first.
            raise ValidationError("is needed", path="$.at", code="at_required")
        column = self.col(node.field)
        code = column.dt.month().cast(self.pl.Int32) * 100 + column.dt.day().cast(self.pl.Int32)
        runs = birthday_runs(birthday_set(node.value, when))
        return self.pl.any_horizontal([code.is_between(low, high) for low, high in runs])


def to_polars(
    rule: Rule,
    *,
    columns: object = None,
    at: datetime | None = None,
    schema: object = SNAPSHOT_FIELDS,
) -> pl.Expr:
    """Build the polars expression of ``rule`` (see :meth:`Rule.to_polars`).

    >>> import polars as pl
    >>> from crmcore.segmentation import field
    >>> frame = pl.DataFrame({"id": ["a", "b", "c"], "frequency": [5, None, 1]})
    >>> frame.filter(to_polars(field("frequency") >= 3))["id"].to_list()
    ['a']
    >>> frame.filter(to_polars(~(field("frequency") >= 3)))["id"].to_list()
    ['b', 'c']
    """
    checked = plan(rule, _DIALECT, columns, at, schema)
    expr: pl.Expr = _Builder(_polars(), checked).rule(rule)
    return expr
