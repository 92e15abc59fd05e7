"""Tests for `crmcore.segmentation._compiler`: generated predicates against the interpreter.

The interpreter (``Rule._compile``, the closures of ``_evaluate``) is the
evaluator rules had before code generation; ``explain`` evaluates with it too.
The generated code must answer (or fail) exactly as it does, for every shape
of input: plain dicts, other mappings, attrs and slotted objects, namespaces,
and values of every class at and around the literals (floats one step either
side of a Decimal, NaN, infinities, -0.0, bools, subclasses, naive datetimes).
"""

import enum
import linecache
import math
import pickle
import traceback
from collections import OrderedDict
from collections.abc import Mapping
from datetime import UTC, date, datetime, timedelta, timezone, tzinfo
from decimal import Decimal
from types import MappingProxyType, SimpleNamespace

import attrs
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from crmcore import CrmcoreError, InvalidType, Money
from crmcore.segmentation import (
    AllOf,
    AnyOf,
    Condition,
    Not,
    Span,
    _compiler,
    all_of,
    any_of,
    field,
    not_,
)
from crmcore.testing.strategies import aware_datetimes, moneys, tags

AT = datetime(2026, 6, 30, 12, 0, tzinfo=UTC)
WIB = timezone(timedelta(hours=7))
SETTINGS = settings(suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
FIELDS = ("n", "s", "b", "day", "t", "tags", "m")


# -- odd values -----------------------------------------------------------------------------


class Count(enum.IntEnum):
    """An int subclass: the compiled code must hand it to the interpreter."""

    THREE = 3


class Ratio(float):
    """A float subclass with its own repr: compared as the interpreter does."""

    def __repr__(self) -> str:
        return "0.5"


class NoOffset(tzinfo):
    """A zone without an offset: datetimes in it are naive."""

    def utcoffset(self, dt):
        return None

    def dst(self, dt):
        return None


SUMMER = datetime(2026, 6, 1)  # noqa: DTZ001 - a wall time, compared with wall times


class Fickle(tzinfo):
    """A zone with an offset before 2026-06-01 only: a datetime in it may be naive."""

    def utcoffset(self, dt):
        return timedelta(0) if dt.replace(tzinfo=None) < SUMMER else None

    def dst(self, dt):
        return None


# -- rules ----------------------------------------------------------------------------------

NUMBERS = [
    0,
    1,
    -2,
    3,
    2**53 + 1,
    Decimal("0.1"),
    Decimal("0.3"),
    Decimal("-0.5"),
    Decimal("2.50"),
    Decimal("0.30000000000000004"),
    Decimal(9007199254740993),
    Decimal("1E-7"),
    Decimal("123456789012345678901234567890.5"),
]
COMPARE = ["eq", "ne", "lt", "le", "gt", "ge"]
numbers = st.sampled_from(NUMBERS)
instants = st.builds(
    lambda hours, zone: (AT + timedelta(hours=hours)).astimezone(zone),
    st.integers(-24 * 100, 24 * 5),
    st.sampled_from([UTC, WIB]),
)
days = st.integers(-100, 5).map(lambda n: AT.date() + timedelta(days=n))
usd = moneys(currencies=["USD"], min_value=0, max_value=20)


def pair(strategy):
    return st.tuples(strategy, strategy).map(sorted).map(tuple)


FAMILIES = [
    st.builds(Condition, st.just("n"), st.sampled_from(COMPARE), numbers),
    st.builds(Condition, st.just("n"), st.just("between"), pair(numbers)),
    st.builds(
        Condition,
        st.just("n"),
        st.sampled_from(["in", "not_in"]),
        st.frozensets(numbers, min_size=1, max_size=3),
    ),
    st.builds(Condition, st.just("n"), st.just("has"), numbers),
    st.builds(Condition, st.just("s"), st.sampled_from(COMPARE), st.sampled_from(["a", "b"])),
    st.builds(Condition, st.just("s"), st.sampled_from(["in", "not_in"]), st.just({"a", "c"})),
    st.builds(Condition, st.just("s"), st.sampled_from(["contains", "starts_with"]), st.just("a")),
    st.builds(Condition, st.sampled_from(FIELDS), st.sampled_from(["is_empty", "is_not_empty"])),
    st.builds(Condition, st.just("b"), st.sampled_from(["eq", "ne"]), st.booleans()),
    st.builds(Condition, st.just("day"), st.sampled_from(COMPARE), days),
    st.builds(Condition, st.just("day"), st.just("birthday_within"), st.integers(0, 10)),
    st.builds(Condition, st.just("t"), st.sampled_from(COMPARE), instants),
    st.builds(Condition, st.just("t"), st.just("between"), pair(instants)),
    st.builds(
        Condition,
        st.just("t"),
        st.sampled_from(["in", "not_in"]),
        st.frozensets(instants, min_size=1, max_size=2),
    ),
    st.builds(
        Condition,
        st.sampled_from(["t", "day"]),
        st.sampled_from(["within_last", "more_than_ago", "within_next"]),
        st.builds(Span, days=st.integers(0, 40), months=st.integers(0, 1)),
    ),
    st.builds(Condition, st.just("tags"), st.just("has"), st.sampled_from(["vip", "b2b", 1])),
    st.builds(
        Condition,
        st.just("tags"),
        st.sampled_from(["has_any", "has_all"]),
        st.sampled_from([{"vip"}, {"vip", "b2b"}]),
    ),
    st.builds(Condition, st.just("m"), st.sampled_from(COMPARE), usd),
    st.builds(Condition, st.just("m"), st.just("between"), pair(usd)),
]
leaves = st.one_of(FAMILIES)
rules = st.recursive(
    leaves,
    lambda children: st.one_of(
        st.lists(children, max_size=5).map(AllOf),
        st.lists(children, max_size=5).map(AnyOf),
        children.map(Not),
    ),
    max_leaves=10,
)
ats = st.one_of(
    st.builds(
        lambda hours, zone: (AT + timedelta(hours=hours)).astimezone(zone),
        st.integers(-48, 48),
        st.sampled_from([UTC, WIB]),
    ),
    st.just(AT.replace(tzinfo=Fickle()) - timedelta(days=45)),
)

# -- values ---------------------------------------------------------------------------------


def near(number):
    """Values at and around a number literal, in every numeric class."""
    exact = Decimal(number)
    nearest = float(exact)
    return [
        number,
        exact,
        nearest,
        math.nextafter(nearest, math.inf),
        math.nextafter(nearest, -math.inf),
        Decimal(repr(nearest)),
        math.floor(exact),
        math.ceil(exact),
        math.floor(exact) - 1,
        math.ceil(exact) + 1,
    ]


NUMBER_VALUES = [v for n in NUMBERS for v in near(n)] + [
    0.0,
    -0.0,
    math.nan,
    math.inf,
    -math.inf,
    Decimal("NaN"),
    Decimal("sNaN"),
    Decimal("-Infinity"),
    Decimal("-0"),
    True,
    Count.THREE,
    Ratio(0.5),
    "3",
]
naive = datetime(2026, 6, 1, 12)  # noqa: DTZ001 - naive on purpose
VALUES = {
    "n": st.sampled_from(NUMBER_VALUES),
    "s": st.sampled_from(["a", "b", "c", "", "  ", 5]),
    "b": st.sampled_from([True, False, 1, 0]),
    "day": days | st.sampled_from([date(2000, 7, 3), AT, naive]),
    "t": instants
    | aware_datetimes(min_value=AT - timedelta(days=90), max_value=AT + timedelta(days=5))
    | st.sampled_from(
        [
            naive,
            naive.replace(tzinfo=NoOffset()),
            AT.replace(tzinfo=Fickle()),
            (AT - timedelta(days=45)).replace(tzinfo=Fickle()),
            AT.date(),
            AT,
        ]
    ),
    "tags": st.frozensets(tags() | st.sampled_from(["vip", "b2b"]), max_size=3)
    | st.sampled_from([["vip"], ("b2b", "x"), {"vip"}, "vip", frozenset({1, 3}), [[1]]]),
    "m": usd | st.sampled_from([Money("5", "EUR"), 5, Decimal(5)]),
}


@st.composite
def records(draw):
    """A flat record: each field missing, None or a value."""
    record = {}
    for name, values in VALUES.items():
        choice = draw(st.integers(0, 9))
        if choice == 0:
            continue
        record[name] = None if choice == 1 else draw(values)
    return record


@attrs.frozen
class Record:
    """An application's own attrs class, every field present (None stands for no value)."""

    n: object = None
    s: object = None
    b: object = None
    day: object = None
    t: object = None
    tags: object = None
    m: object = None


class Slotted:
    """A slotted class whose unset slots read as missing."""

    __slots__ = FIELDS

    def __init__(self, **values):
        for name, value in values.items():
            setattr(self, name, value)


def shapes(record):
    """The record in every shape a rule reads (each a fresh object)."""
    return {
        "dict": dict(record),
        "ordered": OrderedDict(record),
        "proxy": MappingProxyType(dict(record)),
        "attrs": Record(**record),
        "slotted": Slotted(**record),
        "namespace": SimpleNamespace(**record),
    }


def outcome(function):
    """("ok", answer), or the error's class, path and code (or just its class)."""
    try:
        return ("ok", function())
    except CrmcoreError as exc:
        return ("error", type(exc).__name__, exc.path, exc.code)
    except Exception as exc:  # noqa: BLE001 - every failure must match too
        return ("raised", type(exc).__name__)


# -- properties -----------------------------------------------------------------------------


@SETTINGS
@given(rules, st.lists(records(), min_size=1, max_size=3), ats)
def test_generated_code_answers_as_the_interpreter(rule, batch, at):
    """On every shape, twice over (the first object of a class is learnt), as the interpreter."""
    test = rule.predicate(at=at)
    reference = rule._compile(at)
    for record in batch:
        for shape, obj in shapes(record).items():
            expected = outcome(lambda obj=obj: reference(obj))
            assert expected == outcome(lambda obj=obj: test(obj)), shape
            assert expected == outcome(lambda obj=obj: test(obj)), shape
            assert expected == outcome(lambda obj=obj: rule.matches(obj, at=at)), shape


@SETTINGS
@given(rules, records(), ats)
def test_explanations_agree_with_the_generated_code(rule, record, at):
    """explain() (the interpreter, every clause) gives the compiled answer when it does not fail."""
    answer = outcome(lambda: rule.predicate(at=at)(record))
    explained = outcome(lambda: rule.explain(record, at=at).outcome)
    if explained[0] == "ok":
        assert explained == answer


@given(st.sampled_from(NUMBERS), st.sampled_from(COMPARE), st.sampled_from(NUMBER_VALUES))
def test_numbers_compare_as_the_decimal_of_their_repr(literal, op, value):
    """int, float and Decimal values at a literal: the documented semantics, exactly."""
    rule = Condition("n", op, literal)
    answer = outcome(lambda: rule.matches({"n": value}))
    if isinstance(value, (bool, str)):
        assert "error" == answer[0]
        return
    number = Decimal(repr(value)) if isinstance(value, float) else Decimal(value)
    if number.is_nan():
        assert ("ok", False) == answer
        return
    expected = {
        "eq": number == literal,
        "ne": number != literal,
        "lt": number < literal,
        "le": number <= literal,
        "gt": number > literal,
        "ge": number >= literal,
    }[op]
    assert ("ok", expected) == answer


@given(
    st.decimals(min_value=-(10**30), max_value=10**30, allow_nan=False, places=None).filter(
        lambda d: abs(d.adjusted()) <= 60
    ),
    st.integers(-3, 3),
    st.booleans(),
)
def test_least_float_is_the_threshold_of_the_repr_order(target, steps, strict):
    """For floats x near the target: Decimal(repr(x)) >= t (or >) exactly when x >= least_float(t)."""
    threshold = _compiler.least_float(target, strict=strict)
    x = float(target)
    for _ in range(abs(steps)):
        x = math.nextafter(x, math.inf if steps > 0 else -math.inf)
    for candidate in (x, threshold, math.nextafter(threshold, -math.inf)):
        shown = Decimal(repr(candidate))
        holds = shown > target if strict else shown >= target
        assert holds == (candidate >= threshold)


# -- compiled once, cached, pickled ---------------------------------------------------------


def audience():
    return all_of(
        field("frequency") >= 3,
        field("last_purchase_at").within_last(days=90),
        any_of(field("tags").has("vip"), field("monetary") >= Decimal("1000.50")),
    )


def test_the_code_is_generated_once_per_rule():
    """predicate() for another `at` binds new bounds to the same generated code."""
    rule = audience()
    first = rule.predicate(at=AT)
    second = rule.predicate(at=AT + timedelta(days=1))
    assert first.__func__.__code__ is second.__func__.__code__
    assert first.__self__.at == AT
    assert second.__self__.at == AT + timedelta(days=1)


def test_matches_keeps_its_predicate_on_the_rule():
    """matches() compiles once per `at` and keeps the predicate (an equal `at` reuses it)."""
    rule = audience()
    row = {"frequency": 4, "last_purchase_at": AT, "tags": frozenset({"vip"})}
    assert rule.matches(row, at=AT)
    kept = rule._cached[1]
    assert rule.matches(row, at=AT)
    assert kept is rule._cached[1]
    same_instant = datetime(2026, 6, 30, 12, 0, tzinfo=UTC)
    assert same_instant is not AT
    assert rule.matches(row, at=same_instant)
    assert kept is rule._cached[1]
    elsewhere = AT.astimezone(WIB)  # the same instant, another zone: windows differ by calendar
    assert rule.matches(row, at=elsewhere)
    assert kept is not rule._cached[1]


def test_matches_still_checks_at():
    """The kept predicate never spares the checks of `at`."""
    rule = field("n") >= 1
    assert rule.matches({"n": 2})
    with pytest.raises(CrmcoreError) as info:
        rule.matches({"n": 2}, at=datetime(2026, 1, 1))  # noqa: DTZ001 - naive on purpose
    assert "naive_datetime" == info.value.code
    timed = field("t").within_last(days=1)
    assert timed.matches({"t": AT}, at=AT)
    with pytest.raises(CrmcoreError) as info:
        timed.matches({"t": AT})
    assert "at_required" == info.value.code


def test_rules_compare_and_hash_without_their_caches():
    """The caches are slots outside the attrs fields: equality, hash and repr ignore them."""
    rule, twin = audience(), audience()
    rule.matches({"frequency": 1}, at=AT)
    assert rule == twin
    assert hash(rule) == hash(twin)
    assert repr(rule) == repr(twin)


@pytest.mark.parametrize("protocol", range(2, pickle.HIGHEST_PROTOCOL + 1))
def test_predicates_pickle(protocol):
    """A predicate pickles with its rule and `at`, and is compiled again when loaded."""
    rule = audience()
    test = rule.predicate(at=AT)
    back = pickle.loads(pickle.dumps(test, protocol=protocol))  # noqa: S301 - our own bytes
    rows = [
        {"frequency": 4, "last_purchase_at": AT, "tags": frozenset({"vip"})},
        {"frequency": 4, "last_purchase_at": AT - timedelta(days=91), "tags": frozenset()},
        {"frequency": 4.0, "last_purchase_at": AT, "monetary": 1000.5},
        {"frequency": 4, "last_purchase_at": AT, "monetary": Decimal("1000.49")},
    ]
    assert [test(r) for r in rows] == [back(r) for r in rows]
    assert [True, False, True, False] == [back(r) for r in rows]
    assert AT == back.__self__.at
    assert rule == back.__self__.rule


def test_rules_pickle_after_compiling():
    """A compiled rule pickles as a value: its caches stay behind and rebuild on use."""
    rule = audience()
    row = {"frequency": 4, "last_purchase_at": AT, "tags": frozenset({"vip"})}
    assert rule.matches(row, at=AT)
    back = pickle.loads(pickle.dumps(rule))  # noqa: S301 - our own bytes
    assert rule == back
    assert not hasattr(back, "_cached")
    assert back.matches(row, at=AT)


def test_tracebacks_show_the_generated_line_and_no_literal():
    """An error inside a compiled rule names a generated line that linecache can show."""
    rule = all_of(field("email") == "ana@example.com", field("frequency") >= 3)
    test = rule.predicate()
    with pytest.raises(InvalidType) as info:
        test({"email": "ana@example.com", "frequency": "three"})
    frames = [f for f in traceback.extract_tb(info.tb) if f.filename.startswith("<crmcore rule")]
    assert frames
    assert "frequency" in frames[0].line
    source = "".join(linecache.getlines(frames[0].filename))
    assert "def evaluate(self, obj):" in source
    assert "ana@example.com" not in source


def test_a_class_registered_as_a_mapping_later_is_read_as_one():
    """A predicate checks each class once; asking the rule again sees a later ABC registration."""

    class Profile:
        frequency = 5

        def get(self, key, default=None):
            return 1 if key == "frequency" else default

    rule = field("frequency") >= 3
    test = rule.predicate()
    assert test(Profile())
    assert test(Profile())  # the class is known now: read by attribute
    assert rule.matches(Profile())
    Mapping.register(Profile)
    assert test(Profile())  # the predicate held decided once for this class
    assert rule.matches(Profile())  # so did the one matches keeps (the same)
    again = rule.predicate()  # checks the classes again: read with get() now
    assert not again(Profile())
    assert not test(Profile())  # the same kept predicate, refreshed by predicate()
    assert not rule.matches(Profile())
    fresh = (field("frequency") >= 3).predicate()
    assert not fresh(Profile())


def test_a_predicate_tries_objects_first_once_it_reads_them():
    """The code swaps to the objects-first order on the first object, with the same answers."""
    rule = audience()
    test = rule.predicate(at=AT)
    first = test.__func__.__code__
    row = {"frequency": 4, "last_purchase_at": AT, "tags": frozenset({"vip"})}
    before = test(row)
    obj = SimpleNamespace(**row)
    assert before == test(obj)
    second = test.__func__.__code__
    assert first is not second
    assert linecache.getlines(second.co_filename)
    assert before == test(row) == test(obj)
    assert type(obj) is test.__func__.__globals__["K"]


def test_objects_of_several_classes_alternate_on_the_attribute_path():
    """Alternating classes switch ``K`` and answer as the interpreter."""

    @attrs.frozen
    class One:
        frequency: object

    @attrs.frozen
    class Two:
        frequency: object

    test = (field("frequency") >= 3).predicate()
    rows = [One(4), Two(2), One(2.5), Two(Decimal(3)), One(None), Two(3.0)]
    expected = [True, False, False, True, False, True]
    assert expected == [test(r) for r in rows]
    assert expected == [test(r) for r in rows]
    assert {One, Two} == test.__func__.__globals__["OBJECTS"]
    with pytest.raises(InvalidType):
        test(One(True))  # a bool is never a number, on the attribute path too


def test_the_objects_first_code_shows_in_tracebacks_and_pickles():
    """After the swap, errors name a generated line and the predicate still pickles."""
    rule = all_of(field("email") == "ana@example.com", field("frequency") >= 3)
    test = rule.predicate()
    good = SimpleNamespace(email="ana@example.com", frequency=4)
    assert [True, True] == [test(good), test(good)]
    with pytest.raises(InvalidType) as info:
        test(SimpleNamespace(email="ana@example.com", frequency="three"))
    frames = [f for f in traceback.extract_tb(info.tb) if f.filename.startswith("<crmcore rule")]
    assert frames
    assert "frequency" in frames[-1].line
    assert "ana@example.com" not in "".join(linecache.getlines(frames[-1].filename))
    back = pickle.loads(pickle.dumps(test))  # noqa: S301 - our own bytes
    assert [True, False] == [back(good), back({"email": "ana@example.com", "frequency": 2})]
    assert [True, True] == [back(good), test({"email": "ana@example.com", "frequency": 3})]


def test_a_predicate_checks_at_most_so_many_classes():
    """Past the limit, objects of further classes are interpreted, with the same answers."""
    test = (field("frequency") >= 3).predicate()
    made = [
        type(f"C{n}", (), {"frequency": n % 5}) for n in range(_compiler.MAX_REMEMBERED_CLASSES + 3)
    ]
    assert [n % 5 >= 3 for n in range(len(made))] == [test(cls()) for cls in made]
    assert [n % 5 >= 3 for n in range(len(made))] == [test(cls()) for cls in made]
    assert _compiler.MAX_REMEMBERED_CLASSES == len(test.__func__.__globals__["OBJECTS"])


def test_objects_that_lie_about_their_class_are_interpreted():
    """An object whose __class__ is not its type never enters the attribute path."""

    class Liar:
        frequency = 5

        @property
        def __class__(self):
            return int

    rule = field("frequency") >= 3
    test = rule.predicate()
    assert [True, True] == [test(Liar()), test(Liar())]
    assert type(Liar()) not in test.__func__.__globals__["OBJECTS"]


def test_keyword_field_names_read_objects():
    """A field named like a Python keyword reads objects too."""
    rule = (field("class") == "gold") & (field("None") >= 1)
    obj = SimpleNamespace(**{"class": "gold", "None": 2})
    assert [True, True] == [rule.matches(obj), rule.matches(obj)]


def test_dotted_paths_read_nested_mappings_and_objects():
    """A dotted path reads a flat key, nested mappings and nested objects alike."""
    rule = field("profile.tier") == "gold"
    for obj in (
        {"profile.tier": "gold"},
        {"profile": {"tier": "gold"}},
        SimpleNamespace(profile=SimpleNamespace(tier="gold")),
        SimpleNamespace(profile={"tier": "gold"}),
    ):
        assert [True, True] == [rule.matches(obj), rule.matches(obj)]


def test_large_rules_run_on_the_interpreter(monkeypatch):
    """Past the size limit no code is generated, and the answers stay the same."""
    monkeypatch.setattr(_compiler, "MAX_GENERATED_CONDITIONS", 2)
    rule = all_of(field("a") >= 1, field("b") >= 1, field("c") >= 1)
    test = rule.predicate()
    assert "INTERPRETER" in test.__func__.__code__.co_names
    assert test({"a": 1, "b": 2.0, "c": Decimal(1)})
    assert not test({"a": 1, "b": 0.5, "c": Decimal(1)})
    assert not pickle.loads(pickle.dumps(test))({"a": 0})  # noqa: S301 - our own bytes


def test_floats_are_not_converted_per_comparison(monkeypatch):
    """Float values take the inline path: the interpreted test is never asked."""
    rule = all_of(field("x") >= Decimal("0.1"), field("y").between(1, Decimal("2.5")))
    test = rule.predicate()
    names = test.__func__.__globals__

    def refuse(value):
        raise AssertionError(value)

    names["T0"] = names["T1"] = refuse
    assert test({"x": 0.1, "y": 2.5})
    assert not test({"x": math.nextafter(0.1, 0), "y": 2.5})
    assert not test({"x": 0.1, "y": math.nextafter(2.5, 3)})


def test_bools_are_never_numbers():
    """True is not 1 for a number literal, on every shape."""
    rule = field("n") == 1
    for obj in shapes({"n": True}).values():
        for _ in range(2):
            with pytest.raises(InvalidType):
                rule.matches(obj)


@pytest.mark.parametrize("value", [math.nan, Decimal("NaN"), Decimal("sNaN")])
@pytest.mark.parametrize("op", [*COMPARE, "in", "not_in", "between"])
def test_nan_is_missing(value, op):
    """A NaN value matches no number condition (not even !=), and not_ flips that."""
    literal = {"in": {1}, "not_in": {1}, "between": (0, 2)}.get(op, 1)
    rule = Condition("n", op, literal)
    assert not rule.matches({"n": value})
    assert not_(rule).matches({"n": value})


def test_naive_datetimes_in_zones_of_the_same_object_are_refused():
    """A datetime without an offset in the very zone object of `at` still raises."""
    zone = Fickle()
    at = datetime(2026, 5, 1, tzinfo=zone)
    rule = field("t").within_last(days=400)
    late = datetime(2026, 6, 15, tzinfo=zone)  # no offset: naive
    for _ in range(2):
        with pytest.raises(CrmcoreError) as info:
            rule.predicate(at=at)({"t": late})
        assert "naive_datetime" == info.value.code


def test_the_generated_module_holds_one_function():
    """The template compiles one function; its file name is registered with linecache."""
    test = audience().predicate(at=AT)
    code = test.__func__.__code__
    assert "evaluate" == code.co_name
    assert linecache.getlines(code.co_filename)


def test_predicates_show_their_rule_with_personal_literals_masked():
    """A predicate's repr names its rule and `at`, as the rule's own repr (masked)."""
    test = (field("email") == "ana@example.com").predicate(at=AT)
    assert "ana@example.com" not in repr(test)
    assert "CompiledRule(field('email') == '***', at=" in repr(test)


@pytest.mark.parametrize(
    "target",
    [Decimal("0.1000000000000000055"), Decimal("0.0999999999999999945"), Decimal("-0"), Decimal(7)],
)
def test_least_float_climbs_and_descends_to_the_threshold(target):
    """The nearest float may sit on either side of the threshold: both directions are searched."""
    for strict in (False, True):
        found = _compiler.least_float(target, strict=strict)
        below = math.nextafter(found, -math.inf)
        if strict:
            assert Decimal(repr(found)) > target >= Decimal(repr(below))
        else:
            assert Decimal(repr(found)) >= target > Decimal(repr(below))


def test_number_sets_with_no_equal_float():
    """A set member that no float equals is left out of the floats looked up (NaN never matches)."""
    values = {Decimal("0.1000000000000000055"), 2}
    among, outside = field("n").is_in(values), field("n").not_in(values)
    assert [False, True, False] == [among.matches({"n": x}) for x in (0.1, 2.0, math.nan)]
    assert [True, False, False] == [outside.matches({"n": x}) for x in (0.1, 2.0, math.nan)]
