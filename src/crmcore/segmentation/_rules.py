"""The rule language: conditions on fields, combined with all_of, any_of and not_.

Rules are immutable values. Build them in Python with :func:`field` and the
combinators, or load them from stored documents
(:func:`~crmcore.segmentation.rule_from_dict`). A rule compiles once into a
predicate (:meth:`Rule.predicate`); :meth:`Rule.matches` and
:meth:`Rule.explain` answer for one customer.

Semantics, in short (docs/segmentation.md has the full table):

- A condition on a missing field, or on a field holding ``None``, is false,
  except ``is_empty``, which is true. ``not_`` flips the answer, so
  ``not_(field("x") == 1)`` matches when ``x`` is missing while
  ``field("x") != 1`` does not (as in SQL's ``<>``).
- A value of another kind than the literal (text where the rule compares a
  number, Money of another currency, a naive datetime) raises an error naming
  the field: the rule or the data is wrong, and silently leaving customers
  out of an audience would hide it.
- Numbers are ints and Decimals. A float literal is converted exactly through
  its shortest representation (``0.1`` → ``Decimal("0.1")``); float values
  compare the same way.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Collection, Iterable, Mapping
from datetime import datetime
from typing import TYPE_CHECKING, Any, ClassVar, Final

import attrs
from dateutil.relativedelta import relativedelta

from crmcore._kernel._checks import require_aware, type_name
from crmcore._kernel._fields import Checked
from crmcore.errors import CurrencyMismatch, InvalidType, Problem, ValidationError
from crmcore.segmentation._compiler import (
    CompiledRule,
    Group,
    Leaf,
    Outline,
    Template,
    every,
    negated,
    some,
)
from crmcore.segmentation._evaluate import (
    SYMBOLS,
    TEXT_OPERATORS,
    WINDOW_OPERATORS,
    Operator,
    Predicate,
    compile_condition,
)
from crmcore.segmentation._values import (
    MAX_SET_ITEMS,
    MISSING,
    Kind,
    check_path,
    literal,
    reader,
    show,
)

if TYPE_CHECKING:
    from polars import Expr as PolarsExpr

    from crmcore.segmentation._sql import SqlQuery

#: Deepest nesting of a rule (a lone condition has depth 1). Chosen so that a
#: stored rule, nested in a larger document, stays within the nesting limit of
#: :mod:`crmcore.serialization` (64 JSON levels; each rule level takes at most 2).
MAX_RULE_DEPTH: Final = 30
#: Most nodes (conditions and combinators) in one rule.
MAX_RULE_NODES: Final = 10_000

#: Field names whose values are personal data: explanations and reprs mask them.
#: A field path is personal when any of its parts is in the set.
#: Explanations mask these always: ``personal=`` adds names, it never unmasks these.
DEFAULT_PERSONAL_FIELDS: Final = frozenset(
    {
        "address",
        "attributes",
        "author_name",
        "birth_date",
        "city",
        "comment",
        "description",
        "email",
        "family",
        "given",
        "label",
        "legal",
        "lines",
        "locality",
        "name",
        "notes",
        "phone",
        "postal_code",
        "preferred",
        "reason",
        "region",
        "source",
        "subject",
        "text",
        "trading",
    }
)
#: Most extra personal field names one call may add.
MAX_PERSONAL: Final = 1_000

#: Longest span of a time window, per unit.
_SPAN_LIMITS: Final = {"days": 36_600, "weeks": 5_230, "months": 1_200}
#: Widest birthday window, in days.
MAX_BIRTHDAY_DAYS: Final = 366

_ORDERED_KINDS: Final = frozenset({Kind.NUMBER, Kind.TEXT, Kind.DATE, Kind.DATETIME, Kind.MONEY})
_SET_KINDS: Final = frozenset({Kind.NUMBER, Kind.TEXT, Kind.BOOL, Kind.DATE, Kind.DATETIME})
_ITEM_KINDS: Final = frozenset({Kind.NUMBER, Kind.TEXT})

_WORDS: Final = {
    Operator.IN: "in",
    Operator.NOT_IN: "not in",
    Operator.CONTAINS: "contains",
    Operator.STARTS_WITH: "starts with",
    Operator.ENDS_WITH: "ends with",
    Operator.HAS: "has",
    Operator.HAS_ANY: "has any of",
    Operator.HAS_ALL: "has all of",
}
#: The words of the operators whose value is never masked (a span, or none), after the field.
_PHRASES: Final = {
    Operator.IS_EMPTY: "is empty",
    Operator.IS_NOT_EMPTY: "is not empty",
    Operator.WITHIN_LAST: "within the last {}",
    Operator.MORE_THAN_AGO: "more than {} ago",
    Operator.WITHIN_NEXT: "within the next {}",
}
_MASK: Final = "***"


def personal_names(personal: object) -> frozenset[str]:
    """The field names to mask: :data:`DEFAULT_PERSONAL_FIELDS` and those of ``personal``.

    ``personal`` adds names; the defaults are masked whatever it holds.

    Raises:
        ValidationError: ``personal`` is not a collection of field names.
    """
    if personal is DEFAULT_PERSONAL_FIELDS:
        return DEFAULT_PERSONAL_FIELDS
    if isinstance(personal, (str, bytes, Mapping)) or not isinstance(personal, Iterable):
        raise InvalidType(
            f"must be a collection of field names, not {type_name(personal)}", path="$.personal"
        )
    names = set(DEFAULT_PERSONAL_FIELDS)
    for index, name in enumerate(personal):
        if index >= MAX_PERSONAL:
            raise ValidationError(
                f"must hold at most {MAX_PERSONAL} names", path="$.personal", code="too_many"
            )
        if not isinstance(name, str):
            raise InvalidType(f"must be a str, not {type_name(name)}", path=f"$.personal[{index}]")
        names.add(name)
    return frozenset(names)


def _masked(path: str, names: frozenset[str]) -> bool:
    return any(part in names for part in path.split("."))


def is_personal(path: str, personal: Collection[str] = DEFAULT_PERSONAL_FIELDS) -> bool:
    """True if any part of the field path names personal data.

    The names checked are :data:`DEFAULT_PERSONAL_FIELDS` and ``personal``:
    extra names add to the defaults and never replace them.

    >>> is_personal("profile.birth_date"), is_personal("frequency")
    (True, False)
    >>> is_personal("frequency", ["frequency"]), is_personal("email", [])
    (True, True)
    """
    if not isinstance(path, str):
        raise InvalidType(f"must be a field path str, not {type_name(path)}", path="$.path")
    return _masked(path, personal_names(personal))


def _mask(value: object) -> str:
    if value is MISSING or value is None:
        return show(value)
    if isinstance(value, str):
        return f"{_MASK} ({len(value)} characters)"
    return _MASK


@attrs.frozen(slots=True)
class Explanation(Checked):
    """Why a rule matched or not: one clause, its outcome, and the clauses under it.

    Attributes:
        clause: the clause in words, such as ``"frequency >= 3"``.
        outcome: whether the clause held.
        field: the field a condition read (``None`` for all/any/not).
        value: the value read (``None`` when missing or masked as personal).
        shown: the value as text (``"***"`` for personal data, ``"<missing>"``).
        children: the explanations of the clauses combined (all/any/not).
    """

    clause: str
    outcome: bool
    field: str | None = None
    value: object = attrs.field(default=None, repr=False)
    shown: str | None = None
    children: tuple[Explanation, ...] = ()

    def render(self) -> str:
        """The tree as indented lines, each marked ``yes`` or ``no``.

        >>> from crmcore.segmentation import all_of, field
        >>> print(
        ...     all_of(field("frequency") >= 3, field("stage") == "client")
        ...     .explain({"frequency": 5, "stage": "prospect"})
        ...     .render()
        ... )
        no  all of
          yes frequency >= 3  [value: 5]
          no  stage == 'client'  [value: 'prospect']
        """
        lines: list[str] = []
        stack: list[tuple[Explanation, int]] = [(self, 0)]
        while stack:
            node, level = stack.pop()
            mark = "yes" if node.outcome else "no "
            text = f"{'  ' * level}{mark} {node.clause}"
            if node.field is not None:
                text += f"  [value: {node.shown}]"
            lines.append(text)
            stack.extend((child, level + 1) for child in reversed(node.children))
        return "\n".join(lines)

    def failing(self) -> tuple[Explanation, ...]:
        """The conditions (leaves) that did not hold, in rule order."""
        found: list[Explanation] = []
        stack: list[Explanation] = [self]
        while stack:
            node = stack.pop()
            if node.children:
                stack.extend(reversed(node.children))
            elif not node.outcome:
                found.append(node)
        return tuple(found)


class Rule(ABC):
    """Base of every rule node: :class:`Condition`, :class:`AllOf`, :class:`AnyOf`, :class:`Not`.

    Combine rules with :func:`all_of`, :func:`any_of` and :func:`not_`, or with
    ``&``, ``|`` and ``~``. A rule has no truth value of its own (``if rule:``
    raises), which catches chained comparisons such as ``1 < field("x") < 5``
    (write ``field("x").between(...)`` or ``all_of(...)``).
    """

    # Caches owned by the rule (never compared, hashed, shown or pickled): the generated
    # code, the last compiled rule with the `at` it was asked for, and the fields read.
    __slots__ = ("_cached", "_fields", "_template")

    depth: int
    size: int
    needs_at: bool
    _cached: tuple[datetime | None, Predicate, CompiledRule]
    _fields: frozenset[str]
    _template: Template

    def predicate(self, *, at: datetime | None = None) -> Predicate:
        """Compile into a function answering ``matches`` for one object, fast.

        Compile once and call the result for every customer: all the work that
        does not depend on the customer (literals, time-window bounds) is done
        here. ``at`` (timezone-aware) is required when the rule holds a
        time-relative condition. The Python code is generated once per rule
        and kept on it; asking again for another ``at`` only binds new bounds.
        The predicate pickles (it is compiled again when loaded).

        The predicate decides once per class of objects it meets whether the
        class is a :class:`~collections.abc.Mapping` (read by key) or not
        (read by attribute). Ask for the predicate again after registering a
        class with an ABC (``Mapping.register``): the predicate kept on the
        rule (which is also the one :meth:`matches` uses) then checks its
        classes again.

        Raises:
            ValidationError: ``at`` is missing, naive or puts a window out of range.
        """
        when = self._checked_at(at)
        test: Predicate
        cached: tuple[datetime | None, Predicate, CompiledRule] | None
        cached = getattr(self, "_cached", None)
        if cached is not None and (not self.needs_at or _same_time(cached[0], when)):
            _, test, compiled = cached
            compiled.refresh()
        else:
            template = getattr(self, "_template", None)
            if template is None:
                template = Template(_outline(self))
                object.__setattr__(self, "_template", template)
            compiled = template.bind(self, when)
            test = compiled.evaluate
        object.__setattr__(self, "_cached", (at, test, compiled))
        return test

    def matches(self, obj: object, *, at: datetime | None = None) -> bool:
        """True if ``obj`` (a snapshot, any mapping or an attrs object) satisfies the rule.

        The compiled predicate is kept on the rule, so calling ``matches`` in a
        loop compiles once (per ``at``). Like any predicate, it decides once per
        class of objects whether to read them as mappings: after registering a
        class with an ABC, call :meth:`predicate` once to have it checked again.

        Raises:
            InvalidType: a field holds a value of another kind than its literal.
            CurrencyMismatch: a Money field holds another currency than its literal.
            ValidationError: ``at`` is missing or naive for a time-relative rule.
        """
        try:
            last, test, _ = self._cached
        except AttributeError:
            return self.predicate(at=at)(obj)
        if at is last:  # that very `at` was checked when the predicate was kept
            answer: bool = test(obj)
            return answer
        return self.predicate(at=at)(obj)

    def _checked_at(self, at: datetime | None) -> datetime | None:
        when = None if at is None else require_aware(at, "$.at")
        if when is None and self.needs_at:
            raise ValidationError(
                "is needed: the rule holds a time-relative condition (within_last, "
                "more_than_ago, within_next or birthday_within)",
                path="$.at",
                code="at_required",
            )
        return when

    def explain(
        self,
        obj: object,
        *,
        at: datetime | None = None,
        personal: Collection[str] = DEFAULT_PERSONAL_FIELDS,
    ) -> Explanation:
        """The tree of clauses with each outcome and the value compared.

        Every clause is evaluated (no short-circuit), so a customer left out by
        one clause also sees how the others went. Values of personal fields
        (any part of the path in :data:`DEFAULT_PERSONAL_FIELDS` or in
        ``personal``, which adds to the defaults) are masked, and so are the
        literals compared with them.
        """
        masks = personal_names(personal)
        when = self._checked_at(at)
        self._compile(when)  # the same checks as matches(): windows within the calendar
        return self._explain(obj, when, masks)

    def fields(self) -> frozenset[str]:
        """Every field path the rule reads."""
        cached: frozenset[str] | None = getattr(self, "_fields", None)
        if cached is not None:
            return cached
        found: set[str] = set()
        stack: list[Rule] = [self]
        while stack:
            node = stack.pop()
            if isinstance(node, Condition):
                found.add(node.field)
            else:
                stack.extend(node.children())
        fields = frozenset(found)
        object.__setattr__(self, "_fields", fields)
        return fields

    def children(self) -> tuple[Rule, ...]:
        """The rules this one combines (none for a condition)."""
        return ()

    def to_sql(
        self,
        *,
        dialect: str,
        columns: Mapping[str, str] | None = None,
        at: datetime | None = None,
        schema: Mapping[str, Any] | None = None,
    ) -> SqlQuery:
        """Compile into a SQL ``WHERE`` expression with bound parameters, for an engine.

        ``dialect`` is ``"sqlite"``, ``"duckdb"``, ``"postgresql"`` or
        ``"spark"``. ``columns`` maps field paths to column names (by
        default a field's column is its path with ``.`` written ``_``); a
        Money field reads ``<field>.amount`` and ``<field>.currency``, a text
        search ``<field>.folded``. ``schema`` (by default
        :data:`~crmcore.segmentation.SNAPSHOT_FIELDS`) tells the type of a
        column the rule alone leaves open. The query selects exactly what
        :meth:`matches` selects; docs/segments_in_engines.md has the column
        conventions.

        >>> from crmcore.segmentation import field
        >>> query = (field("frequency") >= 3).to_sql(dialect="sqlite")
        >>> query.text, query.params
        ('COALESCE(("frequency" >= ?), FALSE)', (3,))

        Raises:
            ValidationError: an unknown dialect (code ``choice``), a field
                missing from ``columns`` (``unknown_field``), a condition the
                engine cannot decide exactly (``not_expressible``), ``at``
                missing or naive for a time-relative rule.
        """
        from crmcore.segmentation._schema import SNAPSHOT_FIELDS  # noqa: PLC0415 - cycle.
        from crmcore.segmentation._sql import to_sql  # noqa: PLC0415 - cycle.

        return to_sql(
            self,
            dialect=dialect,
            columns=columns,
            at=at,
            schema=SNAPSHOT_FIELDS if schema is None else schema,
        )

    def to_polars(
        self,
        *,
        columns: Mapping[str, str] | None = None,
        at: datetime | None = None,
        schema: Mapping[str, Any] | None = None,
    ) -> PolarsExpr:
        """A polars expression selecting exactly the rows :meth:`matches` selects.

        The columns follow :meth:`to_sql`'s conventions. polars is imported
        here, and only here (``pip install polars``).

        Raises:
            ValidationError: as :meth:`to_sql`; polars is not installed.
        """
        from crmcore.segmentation._polars import to_polars  # noqa: PLC0415 - optional package.
        from crmcore.segmentation._schema import SNAPSHOT_FIELDS  # noqa: PLC0415 - cycle.

        return to_polars(
            self, columns=columns, at=at, schema=SNAPSHOT_FIELDS if schema is None else schema
        )

    @abstractmethod
    def describe(self, personal: Collection[str] = DEFAULT_PERSONAL_FIELDS) -> str:
        """The clause in words, as explanations show it."""

    @abstractmethod
    def _compile(self, at: datetime | None) -> Predicate:
        """A predicate evaluating this rule at ``at``."""

    @abstractmethod
    def _explain(self, obj: object, at: datetime | None, personal: Collection[str]) -> Explanation:
        """The explanation tree of this rule for ``obj``."""

    def __and__(self, other: Rule) -> AllOf:
        return AllOf((*_flat(self, AllOf), *_flat(_rule(other, "$.other"), AllOf)))

    def __or__(self, other: Rule) -> AnyOf:
        return AnyOf((*_flat(self, AnyOf), *_flat(_rule(other, "$.other"), AnyOf)))

    def __invert__(self) -> Not:
        return Not(self)

    def __bool__(self) -> bool:
        raise InvalidType(
            "a rule has no truth value: combine rules with all_of, any_of and not_ "
            "(or &, |, ~), and evaluate them with matches()",
            path="$",
            code="rule_truth",
        )


def _flat(rule: Rule, kind: type[AllOf | AnyOf]) -> tuple[Rule, ...]:
    return rule.rules if type(rule) is kind else (rule,)


def _rule(value: object, path: str) -> Rule:
    if isinstance(value, Rule):
        return value
    # A bare field(...) is a Field, not a rule (imported here: the field module builds on this one).
    from crmcore.segmentation._field import Field  # noqa: PLC0415

    hint = " (did you forget a comparison such as == or >=?)" if isinstance(value, Field) else ""
    raise InvalidType(f"must be a rule, not {type_name(value)}{hint}", path=path)


# -- spans ------------------------------------------------------------------------------


def _span_part(unit: str) -> Any:
    limit = _SPAN_LIMITS[unit]

    def check(_: object, __: attrs.Attribute[Any], value: object) -> None:
        if isinstance(value, bool) or not isinstance(value, int):
            raise InvalidType(f"must be an int, not {type_name(value)}", path=f"$.{unit}")
        if not 0 <= value <= limit:
            raise ValidationError(
                f"must be from 0 to {limit}", path=f"$.{unit}", code="out_of_range"
            )

    return check


@attrs.frozen(slots=True)
class Span:
    """The length of a time window in calendar units (months as dateutil counts them).

    >>> Span(months=1).delta
    relativedelta(months=+1)
    >>> str(Span(weeks=2, days=3))
    '2 weeks 3 days'
    """

    days: int = attrs.field(default=0, validator=_span_part("days"), kw_only=True)
    weeks: int = attrs.field(default=0, validator=_span_part("weeks"), kw_only=True)
    months: int = attrs.field(default=0, validator=_span_part("months"), kw_only=True)

    @property
    def delta(self) -> relativedelta:
        """The span as a relativedelta."""
        return relativedelta(months=self.months, weeks=self.weeks, days=self.days)

    def __str__(self) -> str:
        parts = [
            f"{count} {unit if count != 1 else unit[:-1]}"
            for unit, count in (("months", self.months), ("weeks", self.weeks), ("days", self.days))
            if count
        ]
        return " ".join(parts) or "0 days"

    def keywords(self) -> str:
        """The span as the keyword arguments that build it: ``days=30``."""
        parts = [
            f"{unit}={count}"
            for unit, count in (("months", self.months), ("weeks", self.weeks), ("days", self.days))
            if count
        ]
        return ", ".join(parts) or "days=0"


# -- conditions ------------------------------------------------------------------------


def _condition_field(value: object) -> str:
    return check_path(value, "$.field")


def operator_named(value: object) -> Operator:
    """The :class:`Operator` named ``value`` (or ``value`` itself)."""
    if isinstance(value, Operator):
        return value
    if isinstance(value, str):
        try:
            return Operator(value)
        except ValueError:
            pass
        choices = ", ".join(op.value for op in Operator)
        raise ValidationError(f"must be one of: {choices}", path="$.op", code="operator")
    raise InvalidType(f"must be an operator name, not {type_name(value)}", path="$.op")


def _same_kind(kinds: list[Kind], path: str) -> Kind:
    first = kinds[0]
    for index, kind in enumerate(kinds):
        if kind is not first:
            raise InvalidType(
                f"must all be of one kind: {first.value} and {kind.value} are mixed",
                path=f"{path}[{index}]",
                code="mixed_kinds",
            )
    return first


def _value_set(values: object, allowed: frozenset[Kind], path: str) -> tuple[Kind, frozenset[Any]]:
    if isinstance(values, (str, bytes, Mapping)) or not isinstance(values, Iterable):
        raise InvalidType(f"must be a set or list of values, not {type_name(values)}", path=path)
    kinds: list[Kind] = []
    items: list[Any] = []
    for index, item in enumerate(values):
        if index >= MAX_SET_ITEMS:
            raise ValidationError(
                f"must hold at most {MAX_SET_ITEMS} values", path=path, code="too_many"
            )
        kind, normalized = literal(item, f"{path}[{index}]")
        if kind not in allowed:
            words = ", ".join(sorted(k.value for k in allowed))
            raise InvalidType(
                f"must be one of these kinds: {words}; not {kind.value}",
                path=f"{path}[{index}]",
                code="kind",
            )
        kinds.append(kind)
        items.append(normalized)
    if not items:
        raise ValidationError("must hold at least one value", path=path, code="empty")
    return _same_kind(kinds, path), frozenset(items)


def _ordered(kind: Kind, path: str) -> None:
    if kind not in _ORDERED_KINDS:
        raise InvalidType(
            f"cannot be ordered: {kind.value} values are only equal or not", path=path, code="kind"
        )


def _normalize(op: Operator, value: object) -> tuple[Kind | None, Any]:  # noqa: C901, PLR0911, PLR0912 - one branch per operator family.
    path = "$.value"
    if op in SYMBOLS:
        kind, normalized = literal(value, path)
        if op not in (Operator.EQ, Operator.NE):
            _ordered(kind, path)
        return kind, normalized
    if op is Operator.BETWEEN:
        if isinstance(value, (str, bytes, Mapping)) or not isinstance(value, (tuple, list)):
            raise InvalidType(
                f"must be a (low, high) pair, not {type_name(value)}", path=path, code="pair"
            )
        if len(value) != 2:
            raise ValidationError("must be a (low, high) pair", path=path, code="pair")
        low_kind, low = literal(value[0], f"{path}[0]")
        high_kind, high = literal(value[1], f"{path}[1]")
        kind = _same_kind([low_kind, high_kind], path)
        _ordered(kind, path)
        if kind is Kind.MONEY and low.currency != high.currency:
            raise CurrencyMismatch(
                f"must be in one currency: {low.currency} and {high.currency} are mixed",
                path=f"{path}[1]",
            )
        if _key(kind, low) > _key(kind, high):
            raise ValidationError("low must not be greater than high", path=path, code="order")
        return kind, (low, high)
    if op in (Operator.IN, Operator.NOT_IN):
        return _value_set(value, _SET_KINDS, path)
    if op in (Operator.IS_EMPTY, Operator.IS_NOT_EMPTY):
        if value is not None:
            raise ValidationError("takes no value", path=path, code="no_value")
        return None, None
    if op in TEXT_OPERATORS:
        if not isinstance(value, str):
            raise InvalidType(f"must be text, not {type_name(value)}", path=path)
        _, text = literal(value, path)
        if not text:
            raise ValidationError("must not be empty", path=path, code="empty")
        return None, text
    if op is Operator.HAS:
        kind, item = literal(value, path)
        if kind not in _ITEM_KINDS:
            raise InvalidType(f"must be text or a number, not {kind.value}", path=path, code="kind")
        return kind, item
    if op in (Operator.HAS_ANY, Operator.HAS_ALL):
        return _value_set(value, _ITEM_KINDS, path)
    if op is Operator.BIRTHDAY_WITHIN:
        if isinstance(value, bool) or not isinstance(value, int):
            raise InvalidType(f"must be a number of days, not {type_name(value)}", path=path)
        if not 0 <= value <= MAX_BIRTHDAY_DAYS:
            raise ValidationError(
                f"must be from 0 to {MAX_BIRTHDAY_DAYS} days", path=path, code="out_of_range"
            )
        return None, value
    if not isinstance(value, Span):
        raise InvalidType(f"must be a Span, not {type_name(value)}", path=path)
    return None, value


def _key(kind: Kind, value: Any) -> Any:
    return value.amount if kind is Kind.MONEY else value


def _literal_repr(value: Any) -> str:
    if isinstance(value, (frozenset, set)):
        return "{" + ", ".join(sorted(_literal_repr(item) for item in value)) + "}"
    return repr(value)


@attrs.frozen(slots=True, repr=False)
class Condition(Rule):
    """One test on one field: ``field op value``.

    Build conditions with :func:`field` (``field("frequency") >= 3``); the
    constructor checks and normalizes the value the same way.

    Attributes:
        field: the field path read.
        op: the :class:`Operator`.
        value: the literal (a set for in/has_any/has_all, a (low, high)
            pair for between, a :class:`Span` for windows, days for birthdays).
        kind: the literal's kind (``None`` for operators without a typed literal).
    """

    field: str = attrs.field(converter=_condition_field)
    op: Operator = attrs.field(converter=operator_named)
    value: Any = None
    kind: Kind | None = attrs.field(init=False, eq=False, hash=False)
    depth: int = attrs.field(init=False, eq=False, hash=False)
    size: int = attrs.field(init=False, eq=False, hash=False)
    needs_at: bool = attrs.field(init=False, eq=False, hash=False)

    def __attrs_post_init__(self) -> None:
        kind, value = _normalize(self.op, self.value)
        object.__setattr__(self, "kind", kind)
        object.__setattr__(self, "value", value)
        object.__setattr__(self, "depth", 1)
        object.__setattr__(self, "size", 1)
        object.__setattr__(self, "needs_at", self.op.needs_at)

    def _compile(self, at: datetime | None) -> Predicate:
        value = self.value.delta if isinstance(self.value, Span) else self.value
        return compile_condition(self.field, self.op, self.kind, value, at)

    def _explain(self, obj: object, at: datetime | None, personal: Collection[str]) -> Explanation:
        outcome = self._compile(at)(obj)
        value = reader(self.field)(obj)
        masks = frozenset(personal)
        masked = _masked(self.field, masks)
        return Explanation(
            clause=self._describe(masks),
            outcome=outcome,
            field=self.field,
            value=None if masked or value is MISSING else value,
            shown=_mask(value) if masked else show(value),
        )

    def describe(self, personal: Collection[str] = DEFAULT_PERSONAL_FIELDS) -> str:
        """The condition in words, such as ``"frequency >= 3"`` (personal literals masked)."""
        return self._describe(personal_names(personal))

    def _describe(self, masks: frozenset[str]) -> str:
        masked = _masked(self.field, masks)
        op, value = self.op, self.value

        def lit(item: Any) -> str:
            return _MASK if masked else show(item)

        if op in SYMBOLS:
            return f"{self.field} {SYMBOLS[op]} {lit(value)}"
        if op is Operator.BETWEEN:
            return f"{self.field} between {lit(value[0])} and {lit(value[1])}"
        if op in _WORDS:
            return f"{self.field} {_WORDS[op]} {lit(value)}"
        if op in _PHRASES:  # no literal to mask: a span, or nothing
            return f"{self.field} {_PHRASES[op].format(value)}"
        return f"{self.field}: birthday within the next {value} days"

    def __repr__(self) -> str:  # noqa: PLR0911 - one return per operator family.
        masked = _masked(self.field, DEFAULT_PERSONAL_FIELDS)
        op, value = self.op, self.value

        def lit(item: Any) -> str:
            return repr(_MASK) if masked else _literal_repr(item)

        head = f"field({self.field!r})"
        if op is Operator.EQ and isinstance(value, bool):
            return f"{head}.is_true()" if value else f"{head}.is_false()"
        if op in SYMBOLS:
            return f"{head} {SYMBOLS[op]} {lit(value)}"
        if op is Operator.BETWEEN:
            return f"{head}.between({lit(value[0])}, {lit(value[1])})"
        if op in (Operator.IS_EMPTY, Operator.IS_NOT_EMPTY):
            return f"{head}.{op.value}()"
        if op in WINDOW_OPERATORS:
            return f"{head}.{op.value}({value.keywords()})"
        if op is Operator.BIRTHDAY_WITHIN:
            return f"{head}.birthday_within(days={value})"
        name = {Operator.IN: "is_in"}.get(op, op.value)
        return f"{head}.{name}({lit(value)})"


# -- combinators -----------------------------------------------------------------------


def _rules(value: object) -> tuple[Rule, ...]:
    if isinstance(value, (str, bytes, Mapping, Rule)) or not isinstance(value, Iterable):
        raise InvalidType(f"must be a sequence of rules, not {type_name(value)}", path="$.rules")
    problems: list[Problem] = []
    rules: list[Rule] = []
    for index, item in enumerate(value):
        try:
            rules.append(_rule(item, f"$.rules[{index}]"))
        except ValidationError as exc:
            problems.extend(exc.problems)
        if index >= MAX_RULE_NODES:
            raise ValidationError(
                f"must hold at most {MAX_RULE_NODES} rules", path="$.rules", code="too_large"
            )
    if problems:
        raise InvalidType.collect(problems)
    return tuple(rules)


def _check_limits(rule: Rule, depth: int, size: int) -> None:
    if depth > MAX_RULE_DEPTH:
        raise ValidationError(
            f"must not be nested more than {MAX_RULE_DEPTH} levels deep", path="$", code="too_deep"
        )
    if size > MAX_RULE_NODES:
        raise ValidationError(
            f"must hold at most {MAX_RULE_NODES} conditions and combinators",
            path="$",
            code="too_large",
        )
    object.__setattr__(rule, "depth", depth)
    object.__setattr__(rule, "size", size)


@attrs.frozen(slots=True, repr=False)
class _Combination(Rule):
    """What :class:`AllOf` and :class:`AnyOf` share: the rules combined, their limits, words."""

    #: The combinator in words (``all of``); its builder is named the same with a ``_``.
    word: ClassVar[str]

    rules: tuple[Rule, ...] = attrs.field(converter=_rules)
    depth: int = attrs.field(init=False, eq=False, hash=False)
    size: int = attrs.field(init=False, eq=False, hash=False)
    needs_at: bool = attrs.field(init=False, eq=False, hash=False)

    def __attrs_post_init__(self) -> None:
        _check_limits(
            self,
            1 + max((r.depth for r in self.rules), default=0),
            1 + sum(r.size for r in self.rules),
        )
        object.__setattr__(self, "needs_at", any(r.needs_at for r in self.rules))

    def children(self) -> tuple[Rule, ...]:
        """The rules combined."""
        return self.rules

    def _compile(self, at: datetime | None) -> Predicate:
        return self._joined(tuple(rule._compile(at) for rule in self.rules))  # noqa: SLF001

    def _explain(self, obj: object, at: datetime | None, personal: Collection[str]) -> Explanation:
        parts = tuple(rule._explain(obj, at, personal) for rule in self.rules)  # noqa: SLF001
        return Explanation(self.word, self._outcome(p.outcome for p in parts), children=parts)

    def describe(self, personal: Collection[str] = DEFAULT_PERSONAL_FIELDS) -> str:
        """The combinator's word: ``all of`` or ``any of``."""
        personal_names(personal)  # checked like a condition's, though a combinator shows none
        return self.word

    def __repr__(self) -> str:
        maker = self.word.replace(" ", "_")
        return f"{maker}(" + ", ".join(repr(rule) for rule in self.rules) + ")"

    @staticmethod
    @abstractmethod
    def _outcome(outcomes: Iterable[object], /) -> bool:
        """How the parts' outcomes combine into the explanation's (``all`` or ``any``)."""

    @staticmethod
    @abstractmethod
    def _joined(parts: tuple[Predicate, ...]) -> Predicate:
        """How the parts' predicates combine into the rule's (``every`` or ``some``)."""


@attrs.frozen(slots=True, repr=False)
class AllOf(_Combination):
    """Matches when every rule matches (an empty ``all_of()`` matches everything)."""

    word: ClassVar[str] = "all of"
    _outcome = staticmethod(all)
    _joined = staticmethod(every)


@attrs.frozen(slots=True, repr=False)
class AnyOf(_Combination):
    """Matches when at least one rule matches (an empty ``any_of()`` matches nothing)."""

    word: ClassVar[str] = "any of"
    _outcome = staticmethod(any)
    _joined = staticmethod(some)


def _not_rule(value: object) -> Rule:
    return _rule(value, "$.rule")


@attrs.frozen(slots=True, repr=False)
class Not(Rule):
    """Matches when the rule does not (including when its field is missing)."""

    rule: Rule = attrs.field(converter=_not_rule)
    depth: int = attrs.field(init=False, eq=False, hash=False)
    size: int = attrs.field(init=False, eq=False, hash=False)
    needs_at: bool = attrs.field(init=False, eq=False, hash=False)

    def __attrs_post_init__(self) -> None:
        _check_limits(self, 1 + self.rule.depth, 1 + self.rule.size)
        object.__setattr__(self, "needs_at", self.rule.needs_at)

    def children(self) -> tuple[Rule, ...]:
        """The rule negated."""
        return (self.rule,)

    def _compile(self, at: datetime | None) -> Predicate:
        return negated(self.rule._compile(at))  # noqa: SLF001 - same family.

    def _explain(self, obj: object, at: datetime | None, personal: Collection[str]) -> Explanation:
        part = self.rule._explain(obj, at, personal)  # noqa: SLF001 - same family.
        return Explanation("not", not part.outcome, children=(part,))

    def describe(self, personal: Collection[str] = DEFAULT_PERSONAL_FIELDS) -> str:
        """``not``."""
        personal_names(personal)  # checked like a condition's, though a combinator shows none
        return "not"

    def __repr__(self) -> str:
        return f"not_({self.rule!r})"


def _same_time(kept: object, at: datetime | None) -> bool:
    """True if bounds computed for ``kept`` hold for ``at``: the same wall time in the same zone."""
    return kept is at or (
        type(kept) is datetime
        and type(at) is datetime
        and kept.tzinfo is at.tzinfo
        and kept.fold == at.fold
        and kept.replace(tzinfo=None) == at.replace(tzinfo=None)
    )


def _outline(rule: Rule) -> Outline:
    """The rule as the compiler reads it (a span becomes its relativedelta)."""
    if isinstance(rule, Condition):
        value = rule.value.delta if isinstance(rule.value, Span) else rule.value
        return Leaf(rule.field, rule.op, rule.kind, value)
    word = "all" if isinstance(rule, AllOf) else "any" if isinstance(rule, AnyOf) else "not"
    return Group(word, tuple(_outline(child) for child in rule.children()))


def all_of(*rules: Rule) -> AllOf:
    """A rule matching when every one of ``rules`` matches.

    >>> from crmcore.segmentation import field
    >>> rule = all_of(field("frequency") >= 3, field("stage").is_in({"client", "member"}))
    >>> rule.matches({"frequency": 4, "stage": "client"})
    True
    """
    return AllOf(rules)


def any_of(*rules: Rule) -> AnyOf:
    """A rule matching when at least one of ``rules`` matches.

    >>> from crmcore.segmentation import field
    >>> any_of(field("tags").has("vip"), field("frequency") >= 10).matches(
    ...     {"tags": frozenset({"vip"}), "frequency": 1}
    ... )
    True
    """
    return AnyOf(rules)


def not_(rule: Rule) -> Not:
    """A rule matching when ``rule`` does not.

    >>> from crmcore.segmentation import field
    >>> not_(field("may_email_marketing").is_true()).matches({"may_email_marketing": False})
    True
    """
    return Not(rule)
