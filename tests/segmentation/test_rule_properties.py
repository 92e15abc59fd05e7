"""Property tests for `crmcore.segmentation`: compiled rules against an interpreted reference.

The reference below is written from the documented semantics, independently of
the compiler: it walks the rule tree on every evaluation, reads values with
``dict.get`` and compares them directly.
"""

import json
import math
import unicodedata
from datetime import UTC, date, datetime, timedelta, timezone
from decimal import Decimal
from types import MappingProxyType

import pytest
from dateutil.relativedelta import relativedelta
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from crmcore import CurrencyMismatch, InvalidType, Money, ValidationError
from crmcore.segmentation import (
    AllOf,
    AnyOf,
    Condition,
    FieldSpec,
    Not,
    Span,
    all_of,
    any_of,
    field,
    not_,
    rule_from_dict,
    rule_to_dict,
)

AT = datetime(2026, 6, 30, 12, 0, tzinfo=UTC)
SETTINGS = settings(suppress_health_check=[HealthCheck.too_slow])
ZONES = [UTC, timezone(timedelta(hours=7)), timezone(timedelta(hours=-5, minutes=-30))]
ALPHABET = "abAB ßSéE\u0301İi"

# -- data --------------------------------------------------------------------------------

# Small domains, so values often equal literals and sit on window edges.
numbers = st.one_of(
    st.integers(0, 4),
    st.sampled_from([Decimal("0.5"), Decimal("1.0"), Decimal(2), Decimal("3.5")]),
    st.sampled_from([0.1, 0.5, 1.0, 3.5]),
)
texts = st.text(ALPHABET, max_size=2)
days = st.integers(-40, 10).map(lambda n: AT.date() + timedelta(days=n))
instants = st.builds(
    lambda half_days, zone: (AT + timedelta(hours=12 * half_days)).astimezone(zone),
    st.integers(-80, 20),
    st.sampled_from(ZONES),
)
tag_sets = st.frozensets(st.sampled_from(["vip", "b2b", "new", "x"]), max_size=3)
usd = st.sampled_from(["0", "1.50", "2", "10"]).map(lambda a: Money(a, "USD"))

naive = instants.map(lambda d: d.replace(tzinfo=None))
VALUES = {
    "n": numbers | st.just(Decimal("NaN")) | st.just("7") | st.just(True),
    "s": texts | st.just(5),
    "b": st.booleans() | st.just(1),
    "day": days | instants | naive,
    "t": instants | days | naive,
    "tags": tag_sets | st.sampled_from([["vip", "x"], "vip"]),
    "m": usd | st.just(Money("5", "EUR")) | st.just(5),
}


@st.composite
def snapshots(draw):
    snap = {}
    for name, values in VALUES.items():
        choice = draw(st.integers(0, 9))
        if choice == 0:
            continue
        snap[name] = None if choice == 1 else draw(values)
    return snap


# -- rules -------------------------------------------------------------------------------

int_or_decimal = st.integers(0, 4) | st.sampled_from(
    [Decimal("0.1"), Decimal("0.5"), Decimal(1), Decimal("3.5")]
)
COMPARE = ["eq", "ne", "lt", "le", "gt", "ge"]
spans = st.builds(
    lambda d, w, m: Span(days=d, weeks=w, months=m),
    st.integers(0, 10),
    st.integers(0, 2),
    st.integers(0, 1),
)


def pair(strategy):
    return st.tuples(strategy, strategy).map(sorted).map(tuple)


FAMILIES = [
    st.builds(Condition, st.just("n"), st.sampled_from(COMPARE), int_or_decimal),
    st.builds(Condition, st.just("n"), st.just("between"), pair(int_or_decimal)),
    st.builds(
        Condition,
        st.just("n"),
        st.sampled_from(["in", "not_in"]),
        st.frozensets(int_or_decimal, min_size=1, max_size=3),
    ),
    st.builds(Condition, st.just("s"), st.sampled_from(COMPARE), texts),
    st.builds(
        Condition,
        st.just("s"),
        st.sampled_from(["in", "not_in"]),
        st.frozensets(texts, min_size=1, max_size=3),
    ),
    st.builds(
        Condition,
        st.just("s"),
        st.sampled_from(["contains", "starts_with", "ends_with"]),
        texts.filter(bool),
    ),
    st.builds(
        Condition, st.sampled_from(list(VALUES)), st.sampled_from(["is_empty", "is_not_empty"])
    ),
    st.builds(Condition, st.just("b"), st.sampled_from(["eq", "ne"]), st.booleans()),
    st.builds(Condition, st.just("day"), st.sampled_from(COMPARE), days),
    st.builds(Condition, st.just("t"), st.sampled_from(COMPARE), instants),
    st.builds(Condition, st.just("t"), st.just("between"), pair(instants)),
    st.builds(
        Condition,
        st.sampled_from(["day", "t"]),
        st.sampled_from(["within_last", "more_than_ago", "within_next"]),
        spans,
    ),
    st.builds(Condition, st.just("day"), st.just("birthday_within"), st.integers(0, 10)),
    st.builds(Condition, st.just("tags"), st.just("has"), st.sampled_from(["vip", "b2b", "y"])),
    st.builds(
        Condition,
        st.just("tags"),
        st.sampled_from(["has_any", "has_all"]),
        st.frozensets(st.sampled_from(["vip", "b2b", "y"]), min_size=1),
    ),
    st.builds(Condition, st.just("m"), st.sampled_from(COMPARE), usd),
]
leaves = st.one_of(FAMILIES)
rules = st.recursive(
    leaves,
    lambda children: st.one_of(
        st.lists(children, max_size=8).map(AllOf),
        st.lists(children, max_size=8).map(AnyOf),
        children.map(Not),
    ),
    max_leaves=14,
)
ats = st.builds(
    lambda half_days, zone: (AT + timedelta(hours=12 * half_days)).astimezone(zone),
    st.integers(-2, 2),
    st.sampled_from(ZONES),
)

# -- the reference -----------------------------------------------------------------------

MISSING = object()


class Mismatch(Exception):
    """The reference's type error: (category, field)."""


def fold(text):
    return unicodedata.normalize("NFC", unicodedata.normalize("NFD", text).casefold())


def typed(kind, value, name):
    """The comparable form of ``value`` for a literal of ``kind``, MISSING, or Mismatch."""
    if value is MISSING or value is None:
        return MISSING
    ok = {
        "number": isinstance(value, (int, Decimal, float)) and not isinstance(value, bool),
        "text": isinstance(value, str),
        "bool": isinstance(value, bool),
        "date": isinstance(value, date) and not isinstance(value, datetime),
        "datetime": isinstance(value, datetime),
        "money": isinstance(value, Money),
    }[kind]
    if not ok:
        raise Mismatch("type", name)
    if kind == "datetime" and value.utcoffset() is None:
        raise Mismatch("naive_datetime", name)
    if kind == "number":
        if isinstance(value, float):
            return MISSING if math.isnan(value) else Decimal(repr(value))
        if isinstance(value, Decimal) and value.is_nan():
            return MISSING
    if kind == "money":
        if value.currency != "USD":
            raise Mismatch("currency", name)
        return value.amount
    return value


def literal(kind, value):
    return value.amount if kind == "money" else value


def next_birthday(born, today):
    years = max(0, today.year - born.year)
    while born + relativedelta(years=years) < today:
        years += 1
    return born + relativedelta(years=years)


def reference_condition(rule, snap, at):  # noqa: PLR0911, PLR0912 - one branch per operator.
    op, name = rule.op.value, rule.field
    value = snap.get(name, MISSING)
    if op in {"is_empty", "is_not_empty"}:
        empty = (
            value is MISSING
            or value is None
            or (isinstance(value, str) and not value.strip())
            or (isinstance(value, (frozenset, set, list, tuple)) and not value)
        )
        return empty if op == "is_empty" else not empty
    if op in ("contains", "starts_with", "ends_with"):
        text = typed("text", value, name)
        if text is MISSING:
            return False
        needle, hay = fold(rule.value), fold(text)
        return {
            "contains": needle in hay,
            "starts_with": hay.startswith(needle),
            "ends_with": hay.endswith(needle),
        }[op]
    if op in ("has", "has_any", "has_all"):
        if value is MISSING or value is None:
            return False
        if not isinstance(value, (frozenset, set, list, tuple)):
            raise Mismatch("type", name)
        items = set(value)
        if op == "has":
            return rule.value in items
        return bool(items & rule.value) if op == "has_any" else rule.value <= items
    if op in ("within_last", "more_than_ago", "within_next"):
        if value is MISSING or value is None:
            return False
        if not isinstance(value, date):
            raise Mismatch("type", name)
        if isinstance(value, datetime) and value.utcoffset() is None:
            raise Mismatch("naive_datetime", name)
        delta = rule.value.delta
        low, high = (at, at + delta) if op == "within_next" else (at - delta, at)
        if not isinstance(value, datetime):
            low, high = low.date(), high.date()
        return value < low if op == "more_than_ago" else low <= value <= high
    if op == "birthday_within":
        born = typed("date", value, name)
        if born is MISSING:
            return False
        return (next_birthday(born, at.date()) - at.date()).days <= rule.value
    kind = rule.kind.value
    current = typed(kind, value, name)
    if current is MISSING:
        return False
    if op == "between":
        low, high = (literal(kind, v) for v in rule.value)
        return low <= current <= high
    if op == "in":
        return current in rule.value
    if op == "not_in":
        return current not in rule.value
    target = literal(kind, rule.value)
    return {
        "eq": current == target,
        "ne": current != target,
        "lt": current < target,
        "le": current <= target,
        "gt": current > target,
        "ge": current >= target,
    }[op]


def reference(rule, snap, at):
    if isinstance(rule, AllOf):
        return all(reference(child, snap, at) for child in rule.rules)
    if isinstance(rule, AnyOf):
        return any(reference(child, snap, at) for child in rule.rules)
    if isinstance(rule, Not):
        return not reference(rule.rule, snap, at)
    return reference_condition(rule, snap, at)


def outcome(function):
    """("ok", answer) or ("error", category, field path)."""
    try:
        return ("ok", function())
    except Mismatch as exc:
        category, name = exc.args
        return ("error", category, f"$.{name}")
    except CurrencyMismatch as exc:
        return ("error", "currency", exc.path)
    except InvalidType as exc:
        return ("error", "type", exc.path)
    except ValidationError as exc:
        return ("error", exc.code, exc.path)


# -- properties --------------------------------------------------------------------------


@SETTINGS
@given(rules, snapshots(), ats)
def test_compiled_rules_agree_with_the_reference(rule, snap, at):
    """The compiled predicate answers (or fails) exactly as the interpreted reference."""
    expected = outcome(lambda: reference(rule, snap, at))
    test = rule.predicate(at=at)
    assert expected == outcome(lambda: test(snap))
    assert expected == outcome(lambda: test(MappingProxyType(snap)))


NO_EDGES = {"is_empty", "is_not_empty", "birthday_within"}


def near(leaf, at):
    """Values on the edge of ``leaf``: its literals (in every numeric type) and window bounds."""
    op, value = leaf.op.value, leaf.value
    if op in ("within_last", "more_than_ago", "within_next"):
        delta = value.delta
        edges = [at - delta, at, at + delta]
        tiny = timedelta(microseconds=1)
        return st.sampled_from(
            [e + d for e in edges for d in (-tiny, timedelta(0), tiny)] + [e.date() for e in edges]
        )
    if op in ("has", "has_any", "has_all"):
        items = value if isinstance(value, frozenset) else {value}
        return st.frozensets(st.sampled_from([*sorted(items), "x"]), max_size=4)
    if op in ("contains", "starts_with", "ends_with"):
        return st.sampled_from([value, value.upper(), f"a{value}", f"{value}b", value.casefold()])
    literals = list(value) if isinstance(value, (tuple, frozenset)) else [value]
    options = []
    for item in literals:
        options.append(item)
        if isinstance(item, int) and not isinstance(item, bool):
            options += [Decimal(item), float(item), item + 1, item - 1]
        if isinstance(item, Decimal):
            options += [float(item), item + Decimal("0.5")]
    return st.sampled_from(options)


@st.composite
def edge_cases(draw, family):
    leaf = draw(family)
    snap = draw(snapshots())
    at = draw(ats)
    choice = draw(st.integers(0, 3))
    if choice == 1:
        snap[leaf.field] = draw(VALUES[leaf.field])
    elif choice > 1:
        snap[leaf.field] = draw(
            near(leaf, at) if leaf.op.value not in NO_EDGES else VALUES[leaf.field]
        )
    return leaf, snap, at


@pytest.mark.parametrize("family", FAMILIES)
@given(data=st.data())
def test_each_condition_agrees_with_the_reference_on_its_edges(family, data):
    """Every condition, alone and fused into all_of / any_of runs, answers like the reference."""
    leaf, snap, at = data.draw(edge_cases(family))
    expected = outcome(lambda: reference(leaf, snap, at))
    always = field("b").is_empty() | field("b").is_not_empty()
    for rule in (leaf, all_of(leaf), any_of(leaf), all_of(field("zz").is_empty(), leaf, always)):
        test = rule.predicate(at=at)
        assert expected == outcome(lambda t=test: t(snap))
        assert expected == outcome(lambda t=test: t(MappingProxyType(snap)))


@given(
    st.tuples(
        st.sampled_from(["within_last", "more_than_ago", "within_next"]),
        spans,
        ats,
        st.integers(0, 2),
        st.sampled_from([-1, 0, 1]),
        st.booleans(),
    )
)
def test_window_edges(case):
    """Values one microsecond (or one day) either side of a window's bounds fall where they should."""
    op, span, at, edge, nudge, as_date = case
    rule = Condition("t", op, span)
    bound = [at - span.delta, at, at + span.delta][edge]
    value = (
        bound.date() + timedelta(days=nudge) if as_date else bound + timedelta(microseconds=nudge)
    )
    snap = {"t": value}
    expected = reference(rule, snap, at)
    for test in (rule.predicate(at=at), all_of(rule).predicate(at=at)):
        assert expected == test(snap)
        assert expected == test(MappingProxyType(snap))


@SETTINGS
@given(rules, snapshots(), ats)
def test_round_trip_preserves_the_rule_and_its_answers(rule, snap, at):
    """to_dict → JSON → from_dict gives an equal rule with the same answers."""
    back = rule_from_dict(
        json.loads(json.dumps(rule_to_dict(rule))), schema={"*": FieldSpec.of("any")}
    )
    assert rule == back
    assert outcome(lambda: rule.matches(snap, at=at)) == outcome(lambda: back.matches(snap, at=at))


@SETTINGS
@given(rules, snapshots(), ats)
def test_double_negation(rule, snap, at):
    """not_(not_(r)) matches exactly when r does."""
    assert outcome(lambda: rule.matches(snap, at=at)) == outcome(
        lambda: not_(not_(rule)).matches(snap, at=at)
    )


@SETTINGS
@given(st.lists(rules, min_size=1, max_size=4), snapshots(), ats)
def test_de_morgan(parts, snap, at):
    """De Morgan: not all = any not, and not any = all not."""
    negated = [not_(part) for part in parts]
    assert outcome(lambda: not_(all_of(*parts)).matches(snap, at=at)) == outcome(
        lambda: any_of(*negated).matches(snap, at=at)
    )
    assert outcome(lambda: not_(any_of(*parts)).matches(snap, at=at)) == outcome(
        lambda: all_of(*negated).matches(snap, at=at)
    )


@SETTINGS
@given(rules, snapshots(), ats)
def test_explanations_agree_with_matches(rule, snap, at):
    """The explanation's outcome is the rule's answer, and every node is explained."""
    answer = outcome(lambda: rule.matches(snap, at=at))
    explained = outcome(lambda: rule.explain(snap, at=at).outcome)
    if answer[0] == "ok" and explained[0] == "ok":
        assert answer == explained
    else:
        # explain() evaluates every clause, so it may meet a mismatch matches() skipped.
        assert explained[0] == "error"


@given(
    st.dates(date(1904, 1, 1), date(2010, 12, 31)),
    st.dates(date(2024, 1, 1), date(2032, 12, 31)),
    st.integers(0, 366),
)
def test_birthday_window(born, today, window):
    """birthday_within matches iff the next birthday (29 Feb → 28 Feb) is within N days."""
    at = datetime(today.year, today.month, today.day, 8, tzinfo=UTC)
    expected = (next_birthday(born, today) - today).days <= window
    assert expected == field("birth_date").birthday_within(days=window).matches(
        {"birth_date": born}, at=at
    )


def test_birthday_window_sees_leap_days():
    """The property's date ranges hold leap-day births (a guard against a vacuous test)."""
    born = date(2004, 2, 29)
    assert (
        field("b")
        .birthday_within(days=0)
        .matches({"b": born}, at=datetime(2027, 2, 28, tzinfo=UTC))
    )
    assert (
        not field("b")
        .birthday_within(days=0)
        .matches({"b": born}, at=datetime(2028, 2, 28, tzinfo=UTC))
    )
