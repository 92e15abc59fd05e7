"""The fuzz machinery: junk, the oracle, time limits, targets and the suite's counts.

The rules every fuzz test checks:

- only :class:`crmcore.CrmcoreError` subclasses escape (a ValidationError is
  also a ValueError, an InvalidType also a TypeError); a ValidationError
  carries a ``path`` that starts with ``$`` and a rule, and never repeats the
  junk it was given;
- every call returns or fails within a bounded time (:data:`CALL_BUDGET`);
- the object a failed command was called on is unchanged;
- a call that accepts junk returns something that still round-trips through
  :mod:`crmcore.serialization`.

How many tries each test makes comes from the Hypothesis profile that
``tests/conftest.py`` loaded (:func:`fuzz_settings`): a small share of its
``max_examples`` under ``dev`` and ``ci``, the long form under ``nightly``.
Every try and its outcome is counted in :data:`STATS`, which the conftest of
this folder prints in the test summary.
"""

from __future__ import annotations

import contextlib
import dataclasses
import inspect
import math
import signal
import sys
import time
import traceback
from collections import Counter
from collections.abc import Callable, Iterator, Mapping
from datetime import UTC, date, datetime, timedelta, timezone
from datetime import time as time_of_day
from decimal import Decimal
from typing import Any

import attrs
import pytest
from dateutil.relativedelta import relativedelta
from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from hypothesis.vendor import pretty

from crmcore import CustomerId, Money
from crmcore.commerce import OrderId
from crmcore.errors import CrmcoreError, InvalidType, ValidationError
from crmcore.segmentation import FieldSpec, Rule, rule_from_dict, rule_to_dict
from crmcore.serialization import from_dict, to_dict
from crmcore.testing import strategies as crm

# -- how many tries: a share of the loaded profile ------------------------------------------

#: The profile tests/conftest.py loaded (``dev``, ``ci`` or ``nightly``).
PROFILE: settings = settings.default


def tries(share: float, *, minimum: int = 1) -> int:
    """``share`` of the loaded profile's ``max_examples``, and at least ``minimum``.

    Under ``ci`` (100 examples) ``tries(0.04)`` is 4; under ``nightly``
    (2,000 examples) it is 80.
    """
    return max(minimum, round(PROFILE.max_examples * share))


def fuzz_settings(share: float, *, minimum: int = 1) -> settings:
    """The loaded profile with its number of examples scaled by ``share``.

    The fuzz tests are parametrized over hundreds of targets; each gets a
    share of the profile's examples, so the whole suite stays within a
    minute under ``ci`` and grows with the ``nightly`` profile.
    """
    return settings(
        PROFILE,
        max_examples=tries(share, minimum=minimum),
        suppress_health_check=[
            HealthCheck.too_slow,
            HealthCheck.data_too_large,
            HealthCheck.filter_too_much,
        ],
    )


# -- the counts printed in the summary ---------------------------------------------------------


@dataclasses.dataclass
class Stats:
    """What the fuzz suite tried, and what came of it, by category."""

    tries: Counter[str] = dataclasses.field(default_factory=Counter)
    outcomes: Counter[tuple[str, str]] = dataclasses.field(default_factory=Counter)
    seconds: Counter[str] = dataclasses.field(default_factory=Counter)

    def record(self, category: str, outcome: str, seconds: float = 0.0) -> None:
        """Count one try of ``category`` that ended in ``outcome``."""
        self.tries[category] += 1
        self.outcomes[category, outcome] += 1
        self.seconds[category] += seconds

    def lines(self) -> list[str]:
        """The summary, one line per category."""
        out = []
        for category in sorted(self.tries):
            kinds = sorted(
                ((outcome, n) for (c, outcome), n in self.outcomes.items() if c == category),
                key=lambda item: (-item[1], item[0]),
            )
            detail = ", ".join(f"{outcome} {n}" for outcome, n in kinds)
            out.append(
                f"{category}: {self.tries[category]} tries in "
                f"{self.seconds[category]:.1f} s ({detail})"
            )
        return out


#: Every try of this session (printed by conftest.py's pytest_terminal_summary).
STATS = Stats()


def outcome_of(exc: BaseException | None) -> str:
    """A try's outcome for :data:`STATS`: ``accepted`` or the error's class and code."""
    if exc is None:
        return "accepted"
    code = getattr(exc, "code", None)
    return f"{type(exc).__name__}({code})" if code else type(exc).__name__


# -- junk ------------------------------------------------------------------------------------

#: A string no message may ever repeat: junk text carries it.
MARKER = "Xqzjvbkwtrpm"
KIRIBATI = timezone(timedelta(hours=14))
BAKER_ISLAND = timezone(timedelta(hours=-12))


def deep_list(depth: int, leaf: object = MARKER) -> object:
    """A list nested ``depth`` levels deep around ``leaf``."""
    value = leaf
    for _ in range(depth):
        value = [value]
    return value


def deep_dict(depth: int, leaf: object = MARKER) -> object:
    """A mapping nested ``depth`` levels deep around ``leaf``."""
    value = leaf
    for _ in range(depth):
        value = {"k": value}
    return value


def named(value: object, name: str) -> object:
    """``value``, shown as ``name`` in Hypothesis's reports of a failing example.

    Hypothesis's pretty-printer recurses once per level of nesting: a list
    10,000 levels deep raised RecursionError while the failure was being
    reported, hiding it. A printer registered for this one object (by its id;
    the object lives as long as the module) prints its name instead. Only
    Hypothesis's own printer table is touched, and only if it is there.
    """
    printers = getattr(pretty, "_singleton_pprinters", None)
    if isinstance(printers, dict):
        printers[id(value)] = lambda _obj, printer, _cycle: printer.text(name)
    return value


#: Containers that are too deep or too big for any argument.
DEEP_LIST = named(deep_list(5_000), "deep_list(5_000)")
DEEP_DICT = named(deep_dict(5_000), "deep_dict(5_000)")
DEEPER_LIST = named(deep_list(10_000), "deep_list(10_000)")
HUGE_LIST = named([MARKER] * 200_000, "[MARKER] * 200_000")
HUGE_DICT = named({f"k{i}": i for i in range(50_000)}, '{f"k{i}": i for i in range(50_000)}')
HUGE_TEXT = named("x" * 1_000_000, '"x" * 1_000_000')

JUNK_CONSTANTS: tuple[object, ...] = (
    None,
    True,
    False,
    0,
    -1,
    2**63,
    -(2**63),
    2**63 - 1,
    10**400,
    -(10**400),
    0.0,
    -1.5,
    1e308,
    math.nan,
    math.inf,
    -math.inf,
    Decimal("NaN"),
    Decimal("sNaN"),
    Decimal("-Infinity"),
    Decimal(-1),
    Decimal("1E+999999"),
    Decimal("1E-999999"),
    complex(1, 1),
    "",
    " ",
    "\x00",
    "\t\n",
    "\u202e",
    "\ud800",
    MARKER,
    f"{MARKER}\x07",
    f"{MARKER}@example.com",
    "١٢",
    "1_000",
    " 12 ",
    "1e2",
    MARKER * 10_000,
    HUGE_TEXT,
    b"",
    MARKER.encode(),
    bytearray(b"x"),
    [],
    [None],
    (),
    {},
    {"": None},
    {MARKER: MARKER},
    set(),
    frozenset({1}),
    DEEP_LIST,
    DEEP_DICT,
    HUGE_LIST,
    HUGE_DICT,
    range(2**62),
    object(),
    datetime(2031, 6, 1, 9, 0),  # noqa: DTZ001 - naive on purpose.
    datetime.min,  # noqa: DTZ901 - naive on purpose.
    datetime.max,  # noqa: DTZ901 - naive on purpose.
    datetime.min.replace(tzinfo=UTC),
    datetime.min.replace(tzinfo=KIRIBATI),
    datetime.max.replace(tzinfo=UTC),
    datetime.max.replace(tzinfo=BAKER_ISLAND),
    datetime(9999, 12, 31, 23, tzinfo=UTC),
    datetime(1, 1, 1, 1, tzinfo=KIRIBATI),
    date.min,
    date.max,
    date(2031, 6, 1),
    time_of_day(9, 0),
    timedelta(0),
    timedelta(days=-1),
    timedelta.max,
    timedelta.min,
    relativedelta(months=-1),
    relativedelta(years=9000),
    Money("1", "JPY"),
    Money("-1.005", "BHD"),
    Money(0, "USD"),
    Money("9" * 20, "IDR"),
    CustomerId("c-1"),
    OrderId("o-1"),
)

_SCALAR_JUNK = st.sampled_from(JUNK_CONSTANTS)
JUNK = st.one_of(
    _SCALAR_JUNK,
    st.integers(),
    st.floats(),
    st.decimals(),
    st.text().map(lambda text: MARKER + text),
    st.binary(max_size=8),
    st.datetimes(),
    st.datetimes(timezones=st.sampled_from([UTC, KIRIBATI, BAKER_ISLAND])),
    st.lists(_SCALAR_JUNK, max_size=3),
    st.dictionaries(st.text(max_size=3), _SCALAR_JUNK, max_size=2),
    crm.moneys(currencies=["JPY", "BHD", "USD", "IDR"]),
)

# -- the oracle ------------------------------------------------------------------------------


def check_error(exc: CrmcoreError, where: str) -> None:
    """A crmcore error is well formed: paths start with "$" and no junk text is echoed."""
    if isinstance(exc, ValidationError):
        assert isinstance(exc.path, str), where
        assert exc.path.startswith("$"), f"{where}: path {exc.path!r}"
        assert exc.rule, where
        for problem in exc.problems:
            assert problem.path.startswith("$"), f"{where}: problem path {problem.path!r}"
    shown = f"{exc} {exc!r}".lower()
    assert MARKER.lower() not in shown, f"{where}: the message repeats the offending value"


class TookTooLong(BaseException):
    """A call ran past its time budget (a BaseException, so no ``except Exception`` hides it)."""


#: Seconds any single call may take; junk such as 2**63 must not start an endless loop.
CALL_BUDGET = 2.0
#: Seconds loading one document may take.
DOCUMENT_BUDGET = 1.0
#: Seconds a call may take whose documented work limit is itself seconds of work: a
#: simulation of MAX_SIMULATED_CUSTOMERS (1,000,000) customers takes about 2 s here.
BOUNDED_WORK_BUDGET = 20.0
#: How many times slower calls run under a tracer (coverage, as in CI) than without.
TRACED_SLOWDOWN = 5.0
#: How many times its CPU budget a block may take on the wall clock (a hang, or a very busy
#: machine) before it is stopped all the same.
WAIT_ALLOWANCE = 30.0


@contextlib.contextmanager
def time_limit(seconds: float = CALL_BUDGET) -> Iterator[None]:
    """Raise TookTooLong inside the block once it has used ``seconds`` of CPU (where SIGPROF exists).

    The budget is the process's CPU time (``ITIMER_PROF``: user and system),
    not the wall clock: unbounded work burns CPU, while a busy machine (a
    nightly run beside other jobs) only stretches the wall clock, which used
    to fail calls that had done nothing wrong. A block that waits without
    working (a hang) is still stopped by the wall clock, after
    :data:`WAIT_ALLOWANCE` times the budget.
    """
    if not hasattr(signal, "setitimer"):  # pragma: no cover - not on Windows.
        yield
        return
    if sys.gettrace() is not None:  # coverage's tracer: the same work takes longer
        seconds *= TRACED_SLOWDOWN

    def on_alarm(signum: int, frame: object) -> None:
        raise TookTooLong

    timers = (
        (signal.SIGPROF, signal.ITIMER_PROF, seconds),
        (signal.SIGALRM, signal.ITIMER_REAL, seconds * WAIT_ALLOWANCE),
    )
    previous = [signal.signal(number, on_alarm) for number, _, _ in timers]
    for _, timer, budget in timers:
        signal.setitimer(timer, budget)
    try:
        yield
    finally:
        for (number, timer, _), handler in zip(timers, previous, strict=True):
            signal.setitimer(timer, 0)
            signal.signal(number, handler)


def fingerprint(obj: object) -> object:
    """What must not change when a command on ``obj`` fails."""
    if obj is None:
        return None
    if hasattr(obj, "period_totals"):  # the mutable SummaryAccumulator
        return sorted(map(repr, obj.period_totals()))
    if attrs.has(type(obj)):
        try:
            return to_dict(obj)
        except CrmcoreError:
            return repr(obj)
    return repr(obj)


#: Result types whose values must survive ``from_dict(to_dict(x))`` (filled from the corpus).
ROUND_TRIP_TYPES: set[type] = set()
#: Result types that hold any hashable customer id; their documents hold ids of one type.
ANY_ID_TYPES: set[type] = set()


def same_document(a: object, b: object) -> bool:
    """Equal values, or equal documents when NaN (never equal to itself) is inside."""
    if isinstance(a, Rule):
        return a == b
    return a == b or repr(to_dict(a)) == repr(to_dict(b))


#: Rules built in Python may name any field: they are read back against a schema accepting all.
ANY_FIELD = {"*": FieldSpec.of("any")}


def check_result(result: object, where: str) -> None:
    """A call that accepted its arguments returned a value that still serializes."""
    if type(result) not in ROUND_TRIP_TYPES:
        return
    try:
        if isinstance(result, Rule):
            back: object = rule_from_dict(rule_to_dict(result), schema=ANY_FIELD)
        else:
            back = from_dict(type(result), to_dict(result))
    except InvalidType as exc:
        # Summaries take any hashable customer id; their column documents write ids of one
        # type (str, int, UUID or CustomerId) and refuse others, naming the id (documented in
        # docs/state.md): a table of tuple or mixed ids is valid, only not a document.
        if type(result) in ANY_ID_TYPES and exc.path.startswith("$.customer_id["):
            return
        pytest.fail(f"{where}: accepted junk and built an invalid {type(result).__name__}: {exc}")
    except CrmcoreError as exc:
        pytest.fail(f"{where}: accepted junk and built an invalid {type(result).__name__}: {exc}")
    except Exception as exc:
        raise AssertionError(f"{where}: accepted junk that to_dict cannot write") from exc
    assert same_document(result, back), f"{where}: the result does not round-trip"


# -- targets ---------------------------------------------------------------------------------


@dataclasses.dataclass(frozen=True, repr=False)
class Target:
    """One public callable and a recipe for valid arguments."""

    name: str
    call: Callable[[Any], Callable[..., object]]
    args: Callable[[Any], dict[str, object]]
    subject: st.SearchStrategy[Any] | None = None
    skip: frozenset[str] = frozenset()
    category: str = "calls"
    budget: float = CALL_BUDGET

    def __repr__(self) -> str:
        return f"Target({self.name})"

    def params(self, func: Callable[..., object]) -> list[inspect.Parameter]:
        """The parameters junk is tried in (``**kwargs`` and skipped ones left out)."""
        return [
            p
            for p in inspect.signature(func).parameters.values()
            if p.kind is not p.VAR_KEYWORD and p.name not in self.skip
        ]


def invoke(
    func: Callable[..., object],
    args: Mapping[str, object],
    extra: Mapping[str, object] | None = None,
) -> object:
    """Call ``func`` binding ``args`` by parameter name (positional-only and *args handled).

    ``extra`` holds keywords that are no parameter of their own (``**meta``).
    """
    positional: list[object] = []
    keywords: dict[str, object] = {}
    parameters = list(inspect.signature(func).parameters.values())
    starred = any(p.kind is p.VAR_POSITIONAL for p in parameters)
    for p in parameters:
        if p.name not in args:
            continue
        if p.kind is p.POSITIONAL_ONLY or (starred and p.kind is p.POSITIONAL_OR_KEYWORD):
            positional.append(args[p.name])
        elif p.kind is p.VAR_POSITIONAL:
            positional.extend(args[p.name])  # type: ignore[call-overload]
        else:
            keywords[p.name] = args[p.name]
    return func(*positional, **keywords, **(extra or {}))


def valid_args(target: Target, func: Callable[..., object], subject: object) -> dict[str, object]:
    """The recipe's arguments, completed with the signature's defaults."""
    given_args = target.args(subject)
    out: dict[str, object] = {}
    for p in target.params(func):
        if p.name in given_args:
            out[p.name] = given_args[p.name]
        elif p.kind is p.VAR_POSITIONAL:
            out[p.name] = ()
        else:
            assert p.default is not p.empty, f"{target.name}: no valid value for {p.name}"
            out[p.name] = p.default
    unknown = set(given_args) - {p.name for p in target.params(func)} - target.skip
    assert not unknown, f"{target.name}: recipe names unknown arguments {unknown}"
    return out


def raised_at(exc: BaseException) -> tuple[str, str]:
    """The innermost crmcore frame of ``exc``: (module path under crmcore/, function)."""
    frames = [
        frame
        for frame in traceback.extract_tb(exc.__traceback__)
        if "/crmcore/" in frame.filename.replace("\\", "/")
    ]
    if not frames:
        return ("", "")
    frame = frames[-1]
    return (frame.filename.replace("\\", "/").rsplit("/crmcore/", 1)[1], frame.name)


def attempt(target: Target, subject: object, param: str, value: object, what: str) -> None:
    """Call the target with ``param`` replaced by ``value`` and check everything."""
    func = target.call(subject)
    args = valid_args(target, func, subject)
    extra = {} if param in args else {param: value}
    args[param] = value
    before = fingerprint(subject)
    where = f"{target.name}({param}={what})"
    started = time.perf_counter()
    error: BaseException | None = None
    try:
        with time_limit(target.budget):
            result = invoke(func, args, extra)
    except CrmcoreError as exc:
        error = exc
        check_error(exc, where)
    except (Exception, TookTooLong) as exc:
        error = exc
        raise AssertionError(f"{where} raised {type(exc).__name__}") from exc
    finally:
        STATS.record(target.category, outcome_of(error), time.perf_counter() - started)
    if error is None:
        check_result(result, where)
        return
    assert before == fingerprint(subject), f"{where}: the failed call changed its subject"


def _is_sequence(value: object) -> bool:
    return isinstance(value, (list, tuple)) and bool(value)


def junk_variant(data: st.DataObject, valid: object, label: str) -> tuple[object, str]:
    """Junk for one argument.

    The junk replaces the whole value, one item of a sequence, one field of a
    row, or one entry (value or key) of a mapping.
    """
    junk = data.draw(JUNK, label=label)
    modes = ["whole"]
    if _is_sequence(valid):
        modes.append("item")
        if any(_is_sequence(item) for item in valid):  # type: ignore[union-attr]
            modes.append("field")
    if isinstance(valid, Mapping) and valid:
        modes += ["value", "key"]
    mode = data.draw(st.sampled_from(modes), label=f"{label} mode")
    what = f"<{type(junk).__name__}>"
    if mode == "whole":
        return junk, what
    if mode in {"item", "field"}:
        items = list(valid)  # type: ignore[call-overload]
        candidates = [i for i, item in enumerate(items) if mode == "item" or _is_sequence(item)]
        index = data.draw(st.sampled_from(candidates), label=f"{label} index")
        if mode == "item":
            items[index] = junk
            return type(valid)(items), f"[..., {what} at {index}, ...]"  # type: ignore[call-arg]
        row = list(items[index])
        column = data.draw(st.integers(0, len(row) - 1), label=f"{label} column")
        row[column] = junk
        original = items[index]
        items[index] = original._make(row) if hasattr(original, "_make") else type(original)(row)
        return type(valid)(items), f"[..., row {index} with {what} at {column}, ...]"  # type: ignore[call-arg]
    entries = dict(valid)  # type: ignore[call-overload]
    key = data.draw(st.sampled_from(sorted(entries, key=repr)), label=f"{label} key")
    if mode == "value":
        entries[key] = junk
        return entries, f"{{..., key: {what}}}"
    try:
        entries[junk] = entries[key]
    except TypeError:  # unhashable junk cannot be a key
        return junk, what
    return entries, f"{{..., {what}: value}}"


#: The envelope keywords every command takes (``**meta``), and one it must refuse.
META_KEYWORDS = ("actor", "correlation_id", "causation_id", MARKER.lower())


def run_target(target: Target, data: st.DataObject) -> None:
    """Draw a subject, then try junk in every argument, one at a time.

    A command that takes the envelope keywords (``**meta``) also gets junk in
    one of them, or an unknown keyword.
    """
    subject = None if target.subject is None else data.draw(target.subject, label="subject")
    func = target.call(subject)
    valid = valid_args(target, func, subject)
    for p in target.params(func):
        if p.kind is p.VAR_POSITIONAL:
            value, what = junk_variant(data, list(valid[p.name]) or [None], p.name)  # type: ignore[call-overload]
            value = tuple(value) if _is_sequence(value) else (value,)  # type: ignore[arg-type]
        else:
            value, what = junk_variant(data, valid[p.name], p.name)
        attempt(target, subject, p.name, value, what)
    envelope = [
        p
        for p in inspect.signature(func).parameters.values()
        if p.kind is p.VAR_KEYWORD and p.name == "meta"
    ]
    if envelope:
        keyword = data.draw(st.sampled_from(META_KEYWORDS), label="meta keyword")
        value, what = junk_variant(data, "agent-7", keyword)
        attempt(target, subject, keyword, value, what)


TARGETS: list[Target] = []


def method(
    subjects: st.SearchStrategy[Any],
    name: str,
    args: Callable[[Any], dict[str, object]] | None = None,
    *,
    label: str,
    skip: tuple[str, ...] = (),
    budget: float = CALL_BUDGET,
) -> None:
    """Register a command or query method called on a drawn subject."""
    TARGETS.append(
        Target(
            name=f"{label}.{name}",
            call=lambda subject: getattr(subject, name),
            args=args or (lambda _: {}),
            subject=subjects,
            skip=frozenset(skip),
            budget=budget,
        )
    )


def function(
    func: Callable[..., object],
    args: dict[str, object] | Callable[[Any], dict[str, object]] | None = None,
    *,
    name: str | None = None,
    skip: tuple[str, ...] = (),
) -> None:
    """Register a function, constructor or classmethod factory."""
    recipe = args if callable(args) else (lambda _, fixed=args or {}: dict(fixed))
    TARGETS.append(
        Target(
            name=name or getattr(func, "__qualname__", repr(func)),
            call=lambda _: func,
            args=recipe,
            skip=frozenset(skip),
        )
    )
