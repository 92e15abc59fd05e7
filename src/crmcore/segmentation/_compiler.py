"""Rules compiled to Python: one generated function per rule, the interpreter behind it.

:meth:`Rule.predicate <crmcore.segmentation.Rule.predicate>` turns a rule into
Python source once per rule, compiles it with :func:`compile` and registers
the text with :mod:`linecache`, so a traceback through a compiled rule shows
the generated line (``r = T3(v)  # frequency ge``). The source depends on the
rule's *shape* only (fields, operators, literal kinds); every literal and
every time-window bound is a global name of the function, bound per ``at``.
The source never holds a literal, so no personal value reaches a traceback.

The generated function reads each field once and decides on the exact class
of the value it read:

- for ``int``, ``float``, ``Decimal``, ``str``, ``bool``, ``date``, aware
  ``datetime``, ``Money`` and ``frozenset`` values it compares inline, in the
  semantics of the interpreter (:func:`~crmcore.segmentation._evaluate.value_test`);
- a missing or ``None`` value answers as the interpreter does;
- anything else (a text where a number is expected, a naive datetime, an
  ``int`` subclass) goes to the condition's interpreted test, which converts
  it or raises the error naming the field.

Numbers keep the rule language's semantics without converting a value per
comparison: a float value compares as the Decimal of its shortest repr
(``0.1`` equals ``Decimal("0.1")``). As that map is increasing, ``value >= L``
for floats is ``value >= F`` for the least float ``F`` whose repr is at least
``L``; ints compare with the ceiling or floor of a Decimal literal. Those
thresholds are found once, when the rule is bound to ``at``.

Reading has two inline paths, and the interpreter behind them:

- a plain ``dict`` (what :func:`~crmcore.segmentation.snapshot` returns):
  ``obj["frequency"]``;
- an object of a class known not to be a :class:`~collections.abc.Mapping`
  (attrs classes, dataclasses, crmcore aggregates): ``obj.frequency`` (a
  dotted path is walked by the general reader). Each compiled predicate
  remembers the classes it has checked with ``isinstance(obj, Mapping)``
  while the ABC cache token (:func:`abc.get_cache_token`) stays the same:
  any ABC registration since makes it check again, so a class registered as
  a Mapping afterwards is read as one, exactly as the interpreter would;
- anything else (other mappings, the first object of a class) goes through
  the interpreter: the tree of interpreted tests, with the general reader.

Rules larger than :data:`MAX_GENERATED_CONDITIONS` conditions are not turned
into source (compiling it would take longer than it saves); their predicate
is the interpreter alone.
"""

from __future__ import annotations

import builtins
import hashlib
import keyword
import linecache
import math
from abc import get_cache_token
from collections.abc import Callable, Iterator, Mapping
from datetime import date, datetime, timezone
from decimal import Decimal
from types import CodeType, FunctionType, MethodType
from typing import Any, Final
from zoneinfo import ZoneInfo

import attrs

from crmcore._kernel._money import Money
from crmcore.segmentation._evaluate import (
    Operator,
    Predicate,
    ValueTest,
    birthday_set,
    fetcher,
    is_empty_value,
    value_test,
    window_bounds,
)
from crmcore.segmentation._values import MISSING, Kind, reader

#: Rules with more conditions than this run on the interpreter alone.
MAX_GENERATED_CONDITIONS: Final = 2_000
#: Most classes one compiled predicate remembers as read by attribute.
MAX_REMEMBERED_CLASSES: Final = 64

_SYMBOLS: Final = {
    Operator.EQ: "==",
    Operator.NE: "!=",
    Operator.LT: "<",
    Operator.LE: "<=",
    Operator.GT: ">",
    Operator.GE: ">=",
}
# The classes a condition compares inline, by literal kind (numbers have their own code).
_PLAIN: Final = {Kind.TEXT: "str", Kind.BOOL: "bool", Kind.DATE: "date"}
_WINDOWS: Final = frozenset({Operator.WITHIN_LAST, Operator.WITHIN_NEXT, Operator.MORE_THAN_AGO})
# Zones that give every datetime an offset.
_ZONES: Final = frozenset({timezone, ZoneInfo})


# -- what the compiler reads: a rule's outline ------------------------------------------


@attrs.frozen(eq=False)  # compared by identity: the compiler numbers leaves by id()
class Leaf:
    """One condition as the compiler sees it (a span already turned into its relativedelta)."""

    field: str
    op: Operator
    kind: Kind | None
    value: Any


@attrs.frozen(eq=False)
class Group:
    """A combinator: ``word`` is ``"all"``, ``"any"`` or ``"not"`` (with one part)."""

    word: str
    parts: tuple[Outline, ...]


Outline = Leaf | Group


def leaves(outline: Outline) -> Iterator[Leaf]:
    """The conditions of ``outline`` in rule order."""
    stack: list[Outline] = [outline]
    while stack:
        node = stack.pop()
        if isinstance(node, Leaf):
            yield node
        else:
            stack.extend(reversed(node.parts))


# -- numbers: the thresholds that keep the Decimal(repr(x)) semantics of floats -----------


def _repr_value(number: float) -> Decimal:
    return Decimal(repr(number))


def least_float(target: Decimal, *, strict: bool) -> float:
    """The least float whose shortest repr, as a Decimal, is at least ``target`` (above, if strict).

    ``Decimal(repr(x))`` increases with ``x`` (each repr lies in its float's
    rounding interval), so for every float ``x``:
    ``Decimal(repr(x)) >= target`` exactly when ``x >= least_float(target)``.

    >>> least_float(Decimal("0.1"), strict=False) == 0.1
    True
    >>> least_float(Decimal("0.1"), strict=True) > 0.1
    True
    """
    if strict:

        def holds(number: float) -> bool:
            return _repr_value(number) > target

    else:

        def holds(number: float) -> bool:
            return _repr_value(number) >= target

    found = float(target)  # the nearest float: the answer is at most a step or two away
    while not holds(found):
        found = math.nextafter(found, math.inf)
    below = math.nextafter(found, -math.inf)
    while holds(below):
        found, below = below, math.nextafter(below, -math.inf)
    return found


def _equal_float(target: Decimal) -> float:
    """The float whose repr equals ``target``, or NaN (which equals nothing) if none does."""
    candidate = least_float(target, strict=False)
    return candidate if _repr_value(candidate) == target else math.nan


def _as_decimal(number: int | Decimal) -> Decimal:
    return number if isinstance(number, Decimal) else Decimal(number)


def _int_threshold(op: Operator, number: int | Decimal) -> int | None:
    """The int ``i`` such that ``value op number`` is ``value op i`` for every int value."""
    if isinstance(number, int):
        return number
    if op in (Operator.LT, Operator.GE):
        return math.ceil(number)
    if op in (Operator.LE, Operator.GT):
        return math.floor(number)
    return int(number) if number == math.floor(number) else None  # eq / ne: None equals no int


def _float_threshold(op: Operator, number: int | Decimal) -> float:
    target = _as_decimal(number)
    if op in (Operator.LT, Operator.GE):
        return least_float(target, strict=False)
    if op in (Operator.LE, Operator.GT):
        return least_float(target, strict=True)
    return _equal_float(target)


# -- the generated source ----------------------------------------------------------------


def _read(leaf: Leaf, index: int, mode: str) -> list[str]:
    """Lines putting the value of the leaf's field in ``v``, reading a dict or an object."""
    name = leaf.field
    dotted = "." in name
    if mode == "dict":
        missing = f"R{index}(obj)" if dotted else "MISSING"
        return ["try:", f"    v = obj[{name!r}]", "except KeyError:", f"    v = {missing}"]
    if dotted:
        return [f"v = R{index}(obj)"]
    if keyword.iskeyword(name):
        return [f"v = getattr(obj, {name!r}, MISSING)"]
    return ["try:", f"    v = obj.{name}", "except AttributeError:", "    v = MISSING"]


#: Turns the expression answering a condition into lines: assign it, or return on it.
Sink = Callable[[str, str], list[str]]


def _assign(expr: str, comment: str = "") -> list[str]:
    return [f"r = {expr}{comment}"]


def _stop_unless(expr: str, comment: str = "") -> list[str]:
    """In an all_of at the top: return False when the condition does not hold."""
    if expr == "False":
        return [f"return False{comment}"]
    return [f"if not ({expr}):{comment}", "    return False"]


def _stop_if(expr: str, comment: str = "") -> list[str]:
    """In an any_of at the top: return True when the condition holds."""
    if expr == "False":
        return [f"pass{comment}"]
    return [f"if {expr}:{comment}", "    return True"]


def _answer(expr: str, comment: str = "") -> list[str]:
    return [f"return {expr}{comment}"]


@attrs.frozen
class _Case:
    """One inline branch: when ``test`` holds, ``expr`` answers (``guarded``: unless it raises)."""

    test: str
    expr: str
    # A TypeError from a guarded comparison (a naive datetime met an aware bound)
    # hands the value to the interpreted test, which raises the rule language's error.
    guarded: bool = False


def _branches(cases: list[_Case], index: int, comment: str, sink: Sink) -> list[str]:
    """An if/elif chain over ``cases``, then missing/None (false), then the interpreter."""
    note = f"  # {comment}"
    fallback = f"T{index}(v)"
    lines: list[str] = []
    for number, case in enumerate(cases):
        lines.append(f"{'if' if number == 0 else 'elif'} {case.test}:")
        if case.guarded:
            guarded = ["try:", f"    r = {case.expr}", "except TypeError:", "    r = None"]
            retry = ["if r is None:", *_indent(_assign(fallback, note))]
            lines += _indent([*guarded, *retry, *sink("r", "")])
        else:
            lines += _indent(sink(case.expr, ""))
    head = "elif" if cases else "if"
    lines += [f"{head} v is MISSING or v is None:", *_indent(sink("False", ""))]
    lines += ["else:", *_indent(sink(fallback, note))]
    return lines


def _number_cases(op: Operator, i: int) -> list[_Case]:
    if op in _SYMBOLS:
        sign = _SYMBOLS[op]
        floats = {
            Operator.LT: f"v < F{i}",
            Operator.LE: f"v < F{i}",
            Operator.GT: f"v >= F{i}",
            Operator.GE: f"v >= F{i}",
            Operator.EQ: f"v == F{i}",
            Operator.NE: f"v == v and v != F{i}",  # NaN is missing: never unequal
        }[op]
        return [
            _Case("t is int", f"v {sign} I{i}"),
            _Case("t is float", floats),
            _Case("t is Decimal", f"not v.is_nan() and v {sign} D{i}"),
        ]
    if op is Operator.BETWEEN:
        return [
            _Case("t is int", f"I{i} <= v <= J{i}"),
            _Case("t is float", f"F{i} <= v < G{i}"),
            _Case("t is Decimal", f"not v.is_nan() and D{i} <= v <= E{i}"),
        ]
    if op is Operator.IN:
        return [
            _Case("t is int", f"v in S{i}"),
            _Case("t is float", f"v in FS{i}"),
            _Case("t is Decimal", f"not v.is_nan() and v in S{i}"),
        ]
    return [  # not_in
        _Case("t is int", f"v not in S{i}"),
        _Case("t is float", f"v == v and v not in FS{i}"),
        _Case("t is Decimal", f"not v.is_nan() and v not in S{i}"),
    ]


def _literal_cases(op: Operator, kind: Kind, i: int) -> list[_Case]:
    """Inline cases for conditions with a literal of a kind other than number."""
    guarded = False
    if kind is Kind.MONEY:
        test, value = f"t is Money and v.currency == C{i}", "v.amount"
    elif kind is Kind.DATETIME and op in (Operator.EQ, Operator.NE, Operator.IN, Operator.NOT_IN):
        # Equality between naive and aware datetimes is False, never an error: check the zone.
        test, value = "t is datetime and type(v.tzinfo) in ZONES", "v"
    elif kind is Kind.DATETIME:
        test, value, guarded = f"t is datetime and SAFE{i}", "v", True
    else:
        test, value = f"t is {_PLAIN[kind]}", "v"
    if kind is Kind.BOOL and op in (Operator.EQ, Operator.NE):
        return [_Case(test, f"v {'is' if op is Operator.EQ else 'is not'} L{i}")]
    if op in _SYMBOLS:
        return [_Case(test, f"{value} {_SYMBOLS[op]} L{i}", guarded)]
    if op is Operator.BETWEEN:
        return [_Case(test, f"L{i} <= {value} <= H{i}", guarded)]
    if op is Operator.IN:
        return [_Case(test, f"{value} in S{i}")]
    if op is Operator.NOT_IN:
        return [_Case(test, f"{value} not in S{i}")]
    return []  # pragma: no cover - the literal operators are listed above.


def _condition(leaf: Leaf, i: int, mode: str, sink: Sink) -> list[str]:  # noqa: C901, PLR0912 - one branch per operator family.
    """Lines answering the leaf through ``sink``."""
    comment = f"{leaf.field} {leaf.op.value}"
    lines = _read(leaf, i, mode)
    op, kind = leaf.op, leaf.kind
    if op is Operator.IS_EMPTY:
        return [*lines, *sink("EMPTY(v)", f"  # {comment}")]
    if op is Operator.IS_NOT_EMPTY:
        return [*lines, *sink("not EMPTY(v)", f"  # {comment}")]
    if op in (Operator.CONTAINS, Operator.STARTS_WITH, Operator.ENDS_WITH):
        return [*lines, *sink(f"T{i}(v)", f"  # {comment}")]
    if op is Operator.HAS:
        cases = [_Case("t is frozenset", f"W{i} in v")]
    elif op is Operator.HAS_ANY:
        cases = [_Case("t is frozenset", f"not W{i}.isdisjoint(v)")]
    elif op is Operator.HAS_ALL:
        cases = [_Case("t is frozenset", f"W{i} <= v")]
    elif op is Operator.BIRTHDAY_WITHIN:
        cases = [_Case("t is date", f"(v.month, v.day) in S{i}")]
    elif op is Operator.MORE_THAN_AGO:
        cases = [_Case(f"t is datetime and SAFE{i}", f"v < A{i}", True)]
        cases.append(_Case("t is date", f"v < C{i}"))
    elif op in _WINDOWS:
        cases = [_Case(f"t is datetime and SAFE{i}", f"A{i} <= v <= B{i}", True)]
        cases.append(_Case("t is date", f"C{i} <= v <= E{i}"))
    elif kind is Kind.NUMBER:
        cases = _number_cases(op, i)
    elif kind is not None:
        cases = _literal_cases(op, kind, i)
    else:  # pragma: no cover - every operator is handled above.
        cases = []
    if len(cases) == 1:  # one class to test: spare the local
        only = cases[0]
        cases = [attrs.evolve(only, test=only.test.replace("t is ", "type(v) is ", 1))]
        return [*lines, *_branches(cases, i, comment, sink)]
    return [*lines, "t = type(v)", *_branches(cases, i, comment, sink)]


def _indent(lines: list[str], levels: int = 1) -> list[str]:
    pad = "    " * levels
    return [pad + line for line in lines]


class _Writer:
    """Writes the body of the generated function for one way of reading."""

    def __init__(self, numbers: dict[int, int], mode: str) -> None:
        self.numbers = numbers  # id(leaf) -> its index in rule order
        self.mode = mode

    def _leaf(self, node: Leaf, sink: Sink) -> list[str]:
        return _condition(node, self.numbers[id(node)], self.mode, sink)

    def nested(self, node: Outline) -> list[str]:
        """Lines setting ``r`` to the answer of ``node`` (short-circuiting as the interpreter)."""
        if isinstance(node, Leaf):
            return self._leaf(node, _assign)
        if node.word == "not":
            return [*self.nested(node.parts[0]), "r = not r"]
        if not node.parts:
            return [f"r = {node.word == 'all'}"]
        guard = "if r:" if node.word == "all" else "if not r:"
        lines = self.nested(node.parts[0])
        for part in node.parts[1:]:
            lines += [guard, *_indent(self.nested(part))]
        return lines

    def top(self, node: Outline) -> list[str]:
        """Lines returning the answer of ``node``."""
        if isinstance(node, Leaf):
            return self._leaf(node, _answer)
        if node.word == "not":
            return [*self.nested(node), "return r"]
        every_part = node.word == "all"
        sink = _stop_unless if every_part else _stop_if
        lines: list[str] = []
        for part in node.parts:
            if isinstance(part, Leaf):
                lines += self._leaf(part, sink)
            else:
                lines += [*self.nested(part), *sink("r", "")]
        return [*lines, f"return {every_part}"]


def _source(outline: Outline, numbers: dict[int, int]) -> str:
    read_dict = _Writer(numbers, "dict").top(outline)
    read_object = _Writer(numbers, "object").top(outline)
    lines = [
        "# A crmcore rule compiled to Python (crmcore.segmentation._compiler).",
        "def evaluate(self, obj):",
        "    c = type(obj)",
        "    if c is dict:",
        *_indent(read_dict, 2),
        "    if c in OBJECTS and TOKEN() == EPOCH:",
        *_indent(read_object, 2),
        "    return GENERAL(obj)",
    ]
    return "\n".join(lines) + "\n"


_FALLBACK_SOURCE: Final = (
    "# A crmcore rule too large to compile: the interpreter answers.\n"
    "def evaluate(self, obj):\n"
    "    return INTERPRETER(obj)\n"
)


def _function_code(source: str) -> CodeType:
    """Compile ``source`` under a name of its own and register the text for tracebacks."""
    digest = hashlib.sha256(source.encode()).hexdigest()[:16]
    filename = f"<crmcore rule {digest}>"
    module = compile(source, filename, "exec")
    linecache.cache[filename] = (len(source), None, source.splitlines(keepends=True), filename)
    return next(c for c in module.co_consts if isinstance(c, CodeType))


# -- the constants bound per `at` ----------------------------------------------------------


def _constants(leaf: Leaf, i: int, at: datetime | None) -> dict[str, Any]:  # noqa: C901, PLR0912 - one answer per operator family.
    """The global names the lines of :func:`_condition` read, for evaluation at ``at``."""
    op, kind, value = leaf.op, leaf.kind, leaf.value
    names: dict[str, Any] = {f"T{i}": value_test(leaf.field, op, kind, value, at)}
    if "." in leaf.field:
        names[f"R{i}"] = reader(leaf.field)
    if op in (Operator.HAS_ANY, Operator.HAS_ALL, Operator.HAS):
        names[f"W{i}"] = value
        return names
    if op is Operator.BIRTHDAY_WITHIN and at is not None:
        names[f"S{i}"] = birthday_set(value, at)
        return names
    if op in _WINDOWS and at is not None:
        start, end = window_bounds(op, value, at)
        names.update({f"A{i}": start, f"B{i}": end, f"C{i}": start.date(), f"E{i}": end.date()})
        names[f"SAFE{i}"] = _always_aware(start, end)
        return names
    if kind is Kind.NUMBER:
        if op in _SYMBOLS:
            names[f"I{i}"] = _int_threshold(op, value)
            names[f"D{i}"] = _as_decimal(value)
            names[f"F{i}"] = _float_threshold(op, value)
        elif op is Operator.BETWEEN:
            low, high = value
            names.update({f"I{i}": _int_threshold(Operator.GE, low)})
            names.update({f"J{i}": _int_threshold(Operator.LE, high)})
            names.update({f"D{i}": _as_decimal(low), f"E{i}": _as_decimal(high)})
            names.update({f"F{i}": least_float(_as_decimal(low), strict=False)})
            names.update({f"G{i}": least_float(_as_decimal(high), strict=True)})
        elif op in (Operator.IN, Operator.NOT_IN):
            names[f"S{i}"] = value
            exact = (_equal_float(_as_decimal(item)) for item in value)
            names[f"FS{i}"] = frozenset(f for f in exact if f == f)  # noqa: PLR0124 - drops NaN
        return names
    if kind is Kind.MONEY:
        if op is Operator.BETWEEN:
            names.update({f"L{i}": value[0].amount, f"H{i}": value[1].amount})
            names[f"C{i}"] = value[0].currency
        else:
            names.update({f"L{i}": value.amount, f"C{i}": value.currency})
        return names
    if op is Operator.BETWEEN:
        names.update({f"L{i}": value[0], f"H{i}": value[1], f"SAFE{i}": _always_aware(*value)})
    elif op in (Operator.IN, Operator.NOT_IN):
        names[f"S{i}"] = value
    elif op in _SYMBOLS:
        names.update({f"L{i}": value, f"SAFE{i}": _always_aware(value)})
    return names


def _always_aware(*bounds: object) -> bool:
    """True if every bound is a datetime whose zone gives an offset at every instant.

    Comparing a datetime with a bound of the *same* zone object compares wall
    times without asking for an offset; in these zones every datetime has
    one, so a comparison that does not raise needs no further check.
    """
    return all(type(getattr(b, "tzinfo", None)) in _ZONES for b in bounds)


# -- the interpreter -----------------------------------------------------------------------


def every(parts: tuple[Predicate, ...]) -> Predicate:
    """A predicate true when each of ``parts`` is, asked in order until one is not."""

    def all_of(obj: Any) -> bool:
        for part in parts:  # noqa: SIM110 - a plain loop spares a generator per call.
            if not part(obj):
                return False
        return True

    return all_of


def some(parts: tuple[Predicate, ...]) -> Predicate:
    """A predicate true when one of ``parts`` is, asked in order until one is."""

    def any_of(obj: Any) -> bool:
        for part in parts:  # noqa: SIM110 - a plain loop spares a generator per call.
            if part(obj):
                return True
        return False

    return any_of


def negated(inner: Predicate) -> Predicate:
    """A predicate true when ``inner`` is not."""

    def not_(obj: Any) -> bool:
        return not inner(obj)

    return not_


def interpret(
    outline: Outline, tests: Mapping[int, ValueTest], numbers: Mapping[int, int]
) -> Predicate:
    """The outline as a tree of closures over the interpreted tests (``tests`` by leaf index)."""
    if isinstance(outline, Leaf):
        test = tests[numbers[id(outline)]]
        fetch = fetcher(outline.field)

        def condition(obj: Any) -> bool:
            return test(fetch(obj))

        return condition
    parts = tuple(interpret(part, tests, numbers) for part in outline.parts)
    if outline.word == "not":
        return negated(parts[0])
    return every(parts) if outline.word == "all" else some(parts)


# -- compiled rules ------------------------------------------------------------------------


class Template:
    """A rule's generated code, made once per rule and bound to each ``at``."""

    __slots__ = ("_code", "_leaves", "_numbers", "_outline")

    def __init__(self, outline: Outline) -> None:
        self._outline = outline
        self._leaves = tuple(leaves(outline))
        self._numbers = {id(leaf): index for index, leaf in enumerate(self._leaves)}
        if len(self._leaves) > MAX_GENERATED_CONDITIONS:
            self._code = _function_code(_FALLBACK_SOURCE)
        else:
            self._code = _function_code(_source(outline, self._numbers))

    def bind(self, rule: object, at: datetime | None) -> Predicate:
        """The predicate for ``at``: a method of a :class:`CompiledRule` (which pickles)."""
        names: dict[str, Any] = {
            "__builtins__": builtins,
            "MISSING": MISSING,
            "Decimal": Decimal,
            "Money": Money,
            "date": date,
            "datetime": datetime,
            "EMPTY": is_empty_value,
            "TOKEN": get_cache_token,
            "ZONES": _ZONES,
        }
        tests: dict[int, ValueTest] = {}
        for index, leaf in enumerate(self._leaves):
            found = _constants(leaf, index, at)
            tests[index] = found[f"T{index}"]
            names.update(found)
        interpreter = interpret(self._outline, tests, self._numbers)
        objects: set[type] = set()

        def general(obj: Any) -> bool:
            cls = type(obj)
            if cls is not dict and obj.__class__ is cls:
                token = get_cache_token()  # read first: a registration after it voids the check
                if names["EPOCH"] != token:  # a class registered since may be a Mapping now
                    objects.clear()
                    names["EPOCH"] = token
                if len(objects) < MAX_REMEMBERED_CLASSES and not isinstance(obj, Mapping):
                    objects.add(cls)
            return interpreter(obj)

        names.update(
            {"OBJECTS": objects, "EPOCH": None, "GENERAL": general, "INTERPRETER": interpreter}
        )
        function = FunctionType(self._code, names, "evaluate")
        return CompiledRule(rule, at, function).evaluate


class CompiledRule:
    """A rule compiled for one evaluation time; its :attr:`evaluate` is the predicate.

    Pickling keeps the rule and ``at`` and compiles again when loaded.
    """

    __slots__ = ("_function", "at", "rule")

    def __init__(self, rule: object, at: datetime | None, function: FunctionType) -> None:
        self.rule = rule
        self.at = at
        self._function = function

    @property
    def evaluate(self) -> Predicate:
        """The predicate: ``evaluate(obj)`` answers whether ``obj`` matches."""
        bound: Predicate = MethodType(self._function, self)
        return bound

    def __reduce__(self) -> tuple[Callable[..., CompiledRule], tuple[object, datetime | None]]:
        return _recompiled, (self.rule, self.at)

    def __repr__(self) -> str:
        return f"CompiledRule({self.rule!r}, at={self.at!r})"


def _recompiled(rule: Any, at: datetime | None) -> CompiledRule:
    compiled: CompiledRule = rule.predicate(at=at).__self__
    return compiled
