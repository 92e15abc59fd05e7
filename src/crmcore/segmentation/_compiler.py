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
- datetimes compare by instant: a value in a fixed offset (``timezone``, UTC
  among them) compares as it is with literals and window bounds already
  turned to UTC; a value in a ``ZoneInfo`` is first turned to UTC (one
  ``astimezone`` call), so a shared zone never makes Python compare wall
  times;
- a missing or ``None`` value answers as the interpreter does;
- anything else (a text where a number is expected, a naive datetime, an
  ``int`` subclass) goes to the condition's interpreted test, which converts
  it or raises the error naming the field (as does a datetime within a day of
  the calendar's ends, which UTC cannot hold).

Numbers keep the rule language's semantics without converting a value per
comparison: a float value compares as the Decimal of its shortest repr
(``0.1`` equals ``Decimal("0.1")``). As that map is increasing, ``value >= L``
for floats is ``value >= F`` for the least float ``F`` whose repr is at least
``L``; ints compare with the ceiling or floor of a Decimal literal. Those
thresholds are found once, when the rule is bound to ``at``.

Reading has two inline paths, and the interpreter behind them:

- a plain ``dict`` (what :func:`~crmcore.segmentation.snapshot` returns):
  ``obj["frequency"]``;
- an object of the class ``K``, the class of objects the predicate met last
  (attrs classes, dataclasses, crmcore aggregates): ``obj.frequency`` (a
  dotted path is walked by the general reader). The access path is decided
  once per class and kept on the predicate (:class:`CompiledRule`): the first
  object of a class goes through the interpreter, which asks
  ``isinstance(obj, Mapping)`` once; a class that is not a Mapping (and whose
  objects report their true class) is remembered, and from then on one
  identity test, ``type(obj) is K``, sends its objects down the attribute
  path. No ABC check runs per call: an ABC registered later
  (``Mapping.register``) is seen when the rule hands out its predicate again
  (:meth:`~crmcore.segmentation.Rule.predicate`), which compares the ABC
  cache token (:func:`abc.get_cache_token`) and forgets the classes if it
  moved;
- anything else (other mappings, the first object of a class) goes through
  the interpreter: the tree of interpreted tests, with the general reader.

The same text is compiled in two orders: dicts first (how every predicate
starts) and ``K`` first, which a predicate switches to (its function's code)
when it first reads objects. Both answer alike; the order only decides which
shape pays one identity test more.

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
from datetime import UTC, date, datetime, timezone
from decimal import Decimal
from types import CodeType, FunctionType, MethodType
from typing import Any, Final
from zoneinfo import ZoneInfo

import attrs

from crmcore._kernel._money import Money
from crmcore.segmentation._evaluate import (
    SET_OPERATORS,
    SYMBOLS,
    TEXT_OPERATORS,
    WINDOW_OPERATORS,
    Operator,
    Predicate,
    ValueTest,
    birthday_set,
    fetcher,
    is_empty_value,
    value_test,
    window_bounds,
)
from crmcore.segmentation._values import MISSING, Kind, reader, utc_instant

#: Rules with more conditions than this run on the interpreter alone.
MAX_GENERATED_CONDITIONS: Final = 2_000
#: Most classes one compiled predicate remembers as read by attribute.
MAX_REMEMBERED_CLASSES: Final = 64

# The classes a condition compares inline, by literal kind (numbers have their own code).
_PLAIN: Final = {Kind.TEXT: "str", Kind.BOOL: "bool", Kind.DATE: "date"}
# The inline tests of a datetime: in a fixed offset it compares as it is, in a
# ZoneInfo (which gives every datetime an offset) it is turned to UTC first.
_FIXED: Final = "t is datetime and v.tzinfo.__class__ is timezone"
_ZONED: Final = "t is datetime and v.tzinfo.__class__ is ZoneInfo"
_IN_UTC: Final = "v.astimezone(UTC)"


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
    # An OverflowError from a guarded case (a datetime within a day of the
    # calendar's ends has no UTC datetime) hands the value to the interpreted test.
    guarded: bool = False


def _branches(cases: list[_Case], index: int, comment: str, sink: Sink) -> list[str]:
    """An if/elif chain over ``cases``, then missing/None (false), then the interpreter.

    The first case (the commonest class) tests ``type(v)`` inline; the others
    share one local ``t``, set only when the first does not hold.
    """
    note = f"  # {comment}"
    fallback = f"T{index}(v)"

    def answer(case: _Case) -> list[str]:
        if not case.guarded:
            return _indent(sink(case.expr, ""))
        guarded = ["try:", f"    r = {case.expr}", "except OverflowError:", "    r = None"]
        retry = ["if r is None:", *_indent(_assign(fallback, note))]
        return _indent([*guarded, *retry, *sink("r", "")])

    rest: list[str] = []
    for number, case in enumerate(cases[1:]):
        rest += [f"{'if' if number == 0 else 'elif'} {case.test}:", *answer(case)]
    head = "elif" if len(cases) > 1 else "if"
    rest += [f"{head} v is MISSING or v is None:", *_indent(sink("False", ""))]
    rest += ["else:", *_indent(sink(fallback, note))]
    if not cases:
        return rest
    first = cases[0]
    lines = [f"if {first.test.replace('t is ', 'type(v) is ', 1)}:", *answer(first)]
    if len(cases) == 1:
        return [*lines, "el" + rest[0], *rest[1:]]
    return [*lines, "else:", *_indent(["t = type(v)", *rest])]


def _number_cases(op: Operator, i: int) -> list[_Case]:
    if op in SYMBOLS:
        sign = SYMBOLS[op]
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


def _literal_case(op: Operator, i: int, test: str, value: str, *, guarded: bool) -> _Case:
    if op in SYMBOLS:
        return _Case(test, f"{value} {SYMBOLS[op]} L{i}", guarded)
    if op is Operator.BETWEEN:
        return _Case(test, f"L{i} <= {value} <= H{i}", guarded)
    if op is Operator.IN:
        return _Case(test, f"{value} in S{i}", guarded)
    return _Case(test, f"{value} not in S{i}", guarded)  # not_in


def _literal_cases(op: Operator, kind: Kind, i: int) -> list[_Case]:
    """Inline cases for conditions with a literal of a kind other than number.

    Datetime literals are bound in UTC; a naive value (no zone class) or one
    in another tzinfo goes to the interpreter.
    """
    if kind is Kind.DATETIME:
        return [
            _literal_case(op, i, _FIXED, "v", guarded=False),
            _literal_case(op, i, _ZONED, _IN_UTC, guarded=True),
        ]
    if kind is Kind.BOOL and op in (Operator.EQ, Operator.NE):
        return [_Case("t is bool", f"v {'is' if op is Operator.EQ else 'is not'} L{i}")]
    if kind is Kind.MONEY:
        test, value = f"t is Money and v.currency == C{i}", "v.amount"
    else:
        test, value = f"t is {_PLAIN[kind]}", "v"
    return [_literal_case(op, i, test, value, guarded=False)]


def _condition(leaf: Leaf, i: int, mode: str, sink: Sink) -> list[str]:  # noqa: C901 - one branch per operator family.
    """Lines answering the leaf through ``sink``."""
    comment = f"{leaf.field} {leaf.op.value}"
    lines = _read(leaf, i, mode)
    op, kind = leaf.op, leaf.kind
    if op is Operator.IS_EMPTY:
        return [*lines, *sink("EMPTY(v)", f"  # {comment}")]
    if op is Operator.IS_NOT_EMPTY:
        return [*lines, *sink("not EMPTY(v)", f"  # {comment}")]
    if op in TEXT_OPERATORS:
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
        cases = [_Case(_FIXED, f"v < A{i}"), _Case(_ZONED, f"{_IN_UTC} < A{i}", guarded=True)]
        cases.append(_Case("t is date", f"v < C{i}"))
    elif op in WINDOW_OPERATORS:
        cases = [_Case(_FIXED, f"A{i} <= v <= B{i}")]
        cases.append(_Case(_ZONED, f"A{i} <= {_IN_UTC} <= B{i}", guarded=True))
        cases.append(_Case("t is date", f"C{i} <= v <= E{i}"))
    elif kind is Kind.NUMBER:
        cases = _number_cases(op, i)
    elif kind is not None:
        cases = _literal_cases(op, kind, i)
    else:  # pragma: no cover - every operator is handled above.
        cases = []
    return [*lines, *_branches(cases, i, comment, sink)]


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


def _source(outline: Outline, numbers: dict[int, int], *, objects_first: bool) -> str:
    """The function's text, trying plain dicts or the class ``K`` first.

    ``K`` is the class of objects the predicate met last (read by attribute);
    anything else goes to ``GENERAL``. Both orders answer alike: they only
    change which shape pays one identity test more.
    """
    read_dict = ["    if c is dict:", *_indent(_Writer(numbers, "dict").top(outline), 2)]
    read_object = ["    if c is K:", *_indent(_Writer(numbers, "object").top(outline), 2)]
    lines = [
        "# A crmcore rule compiled to Python (crmcore.segmentation._compiler).",
        "def evaluate(self, obj):",
        "    c = type(obj)",
        *(read_object + read_dict if objects_first else read_dict + read_object),
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
    if op in SET_OPERATORS:
        names[f"W{i}"] = value
        return names
    if op is Operator.BIRTHDAY_WITHIN and at is not None:
        names[f"S{i}"] = birthday_set(value, at)
        return names
    if op in WINDOW_OPERATORS and at is not None:
        start, end = window_bounds(op, value, at)
        names.update({f"A{i}": utc_instant(start), f"B{i}": utc_instant(end)})
        names.update({f"C{i}": start.date(), f"E{i}": end.date()})  # dates in at's zone
        return names
    if kind is Kind.NUMBER:
        if op in SYMBOLS:
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
    # Datetimes compare by instant: their literals are bound in UTC.
    instant = utc_instant if kind is Kind.DATETIME else _same
    if op is Operator.BETWEEN:
        names.update({f"L{i}": instant(value[0]), f"H{i}": instant(value[1])})
    elif op in (Operator.IN, Operator.NOT_IN):
        names[f"S{i}"] = frozenset(instant(item) for item in value)
    elif op in SYMBOLS:
        names[f"L{i}"] = instant(value)
    return names


def _same(value: Any) -> Any:
    return value


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
    """A rule's generated code, made once per rule and bound to each ``at``.

    It holds two functions of the same text in two orders: plain dicts tried
    first (how every predicate starts), or objects of the class met last
    (made on first need, when a predicate starts reading objects).
    """

    __slots__ = ("_code", "_leaves", "_numbers", "_object_code", "_outline")

    def __init__(self, outline: Outline) -> None:
        self._outline = outline
        self._leaves = tuple(leaves(outline))
        self._numbers = {id(leaf): index for index, leaf in enumerate(self._leaves)}
        self._object_code: CodeType | None = None
        if len(self._leaves) > MAX_GENERATED_CONDITIONS:
            self._code = _function_code(_FALLBACK_SOURCE)
        else:
            self._code = _function_code(_source(outline, self._numbers, objects_first=False))

    def object_code(self) -> CodeType | None:
        """The code trying objects first (``None`` if the rule runs on the interpreter)."""
        if len(self._leaves) > MAX_GENERATED_CONDITIONS:
            return None
        if self._object_code is None:
            self._object_code = _function_code(
                _source(self._outline, self._numbers, objects_first=True)
            )
        return self._object_code

    def bind(self, rule: object, at: datetime | None) -> CompiledRule:
        """The rule compiled for ``at``: its ``evaluate`` method is the predicate (it pickles)."""
        names: dict[str, Any] = {
            "__builtins__": builtins,
            "MISSING": MISSING,
            "Decimal": Decimal,
            "Money": Money,
            "date": date,
            "datetime": datetime,
            "EMPTY": is_empty_value,
            "timezone": timezone,
            "ZoneInfo": ZoneInfo,
            "UTC": UTC,
        }
        tests: dict[int, ValueTest] = {}
        for index, leaf in enumerate(self._leaves):
            found = _constants(leaf, index, at)
            tests[index] = found[f"T{index}"]
            names.update(found)
        interpreter = interpret(self._outline, tests, self._numbers)
        function = FunctionType(self._code, names, "evaluate")
        compiled = CompiledRule(rule, at, self, function)

        def general(obj: Any) -> bool:
            cls = type(obj)
            if cls is not dict and obj.__class__ is cls and compiled.admit(obj):
                return compiled.evaluate(obj)  # read by attribute now
            return interpreter(obj)

        names.update({"GENERAL": general, "INTERPRETER": interpreter})
        return compiled


class _Unseen:
    """A class no object has: what ``K`` names before a predicate meets an object."""

    __slots__ = ()


class CompiledRule:
    """A rule compiled for one evaluation time; its :attr:`evaluate` is the predicate.

    It owns the predicate's memory of classes. The first time the predicate
    meets an object of a class other than ``dict`` (and honest about its
    class), it asks once whether that class is a
    :class:`~collections.abc.Mapping` (the ABC registry included); if not, the
    class is remembered and its objects are read by attribute in the
    generated code, tested by exact type (``type(obj) is K``), with no
    further ABC check per call. The generated code then tries objects before
    dicts. An ABC registered later is seen by the next
    :meth:`Rule.predicate <crmcore.segmentation.Rule.predicate>` call, which
    calls :meth:`refresh` on the predicate kept on the rule.

    Pickling keeps the rule and ``at`` and compiles again when loaded.
    """

    __slots__ = ("_epoch", "_function", "_names", "_objects", "_template", "at", "rule")

    def __init__(
        self, rule: object, at: datetime | None, template: Template, function: FunctionType
    ) -> None:
        self.rule = rule
        self.at = at
        self._template = template
        self._function = function
        self._names: dict[str, Any] = function.__globals__
        self._objects: set[type] = set()
        #: The ABC cache token when the classes remembered were checked.
        self._epoch: object = get_cache_token()
        self._names.update({"OBJECTS": self._objects, "K": _Unseen})

    def admit(self, obj: object) -> bool:
        """True if objects of the class of ``obj`` (not a Mapping) are now read by attribute."""
        cls = type(obj)
        objects = self._objects
        if cls not in objects:
            if len(objects) >= MAX_REMEMBERED_CLASSES or isinstance(obj, Mapping):
                return False
            if not objects:  # the first class of objects: try objects first from now on
                code = self._template.object_code()
                if code is not None:
                    self._function.__code__ = code
            objects.add(cls)
        self._names["K"] = cls  # the class met last: one identity test reads it
        return True

    def refresh(self) -> None:
        """Forget the classes remembered if an ABC was registered since they were checked."""
        token = get_cache_token()
        if token != self._epoch:
            self._objects.clear()
            self._names["K"] = _Unseen
            self._epoch = token

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
