"""Tests for `crmcore.segmentation._rules` and `._evaluate`: building and evaluating rules."""

from collections import defaultdict
from datetime import UTC, date, datetime, timedelta, timezone
from decimal import Decimal
from types import MappingProxyType

import attrs
import pytest

from crmcore import CurrencyMismatch, InvalidType, Money, ValidationError
from crmcore.customers import Purpose
from crmcore.segmentation import (
    MAX_RULE_DEPTH,
    MAX_RULE_NODES,
    AllOf,
    AnyOf,
    Condition,
    Kind,
    Not,
    Operator,
    Span,
    all_of,
    any_of,
    field,
    is_personal,
    not_,
)
from crmcore.segmentation._evaluate import (
    LITERAL_OPERATORS,
    SET_OPERATORS,
    SYMBOLS,
    TEXT_OPERATORS,
    WINDOW_OPERATORS,
)

AT = datetime(2026, 6, 30, 12, 0, tzinfo=UTC)
NAN = float("nan")
WIB = timezone(timedelta(hours=7))


@attrs.frozen
class Profile:
    tier: str
    attributes: dict


@attrs.frozen
class Person:
    frequency: int
    profile: Profile


def both_paths(rule, snapshot, at=None):
    """The answer for a plain dict (fast path) and a read-only mapping (general reader)."""
    test = rule.predicate(at=at)
    return test(snapshot), test(MappingProxyType(snapshot))


# -- comparisons -------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("rule", "value", "expected"),
    [
        (field("n") >= 3, 3, True),
        (field("n") >= 3, 2, False),
        (field("n") > 3, 3, False),
        (field("n") < 3, 2, True),
        (field("n") <= 3, 4, False),
        (field("n") == 3, 3, True),
        (field("n") != 3, 4, True),
        (field("n") != 3, 3, False),
        (field("n") >= Decimal("2.5"), 3, True),
        (field("n") >= 3, Decimal("3.0"), True),
        (field("n") == Decimal("0.1"), 0.1, True),
        (field("n") < 1, 0.5, True),
        (field("s") == "client", "client", True),
        (field("s") < "m", "a", True),
        (field("b").is_true(), True, True),
        (field("b").is_false(), True, False),
        (field("day") <= date(2026, 1, 1), date(2025, 12, 31), True),
        (field("t") > AT, AT + timedelta(seconds=1), True),
        (field("m") >= Money("10", "USD"), Money("10.00", "USD"), True),
        (field("m") < Money("10", "USD"), Money("9.99", "USD"), True),
        (field("n").between(1, 5), 5, True),
        (field("n").between(1, 5), 6, False),
        (field("s").is_in({"a", "b"}), "b", True),
        (field("s").not_in({"a", "b"}), "c", True),
        (field("s").not_in({"a", "b"}), "a", False),
        (field("n").is_in({1, Decimal("2.5")}), Decimal("2.50"), True),
    ],
)
def test_comparisons(rule, value, expected):
    """Each comparison answers as written, on the fast and the general path alike."""
    assert (expected, expected) == both_paths(rule, {rule.field: value})


@pytest.mark.parametrize(
    "rule",
    [
        field("n") >= 3,
        field("n") != 3,
        field("s").not_in({"a"}),
        field("s").contains("a"),
        field("tags").has("vip"),
        field("t").within_last(days=1),
        field("t").more_than_ago(days=1),
    ],
)
@pytest.mark.parametrize("snapshot", [{}, {"n": None, "s": None, "tags": None, "t": None}])
def test_missing_or_none_never_matches(rule, snapshot):
    """A condition on a missing or None value is false (not_ flips it)."""
    assert (False, False) == both_paths(rule, snapshot, at=AT)
    assert (True, True) == both_paths(not_(rule), snapshot, at=AT)


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        (None, True),
        ("", True),
        ("  ", True),
        (frozenset(), True),
        ((), True),
        ("x", False),
        (0, False),
    ],
)
def test_is_empty(value, expected):
    """Missing, None, blank text and empty collections are empty; 0 is not."""
    assert (expected, expected) == both_paths(field("x").is_empty(), {"x": value})
    assert (not expected, not expected) == both_paths(field("x").is_not_empty(), {"x": value})
    assert field("x").is_empty().matches({})


def test_nan_counts_as_missing():
    """NaN numbers have no order: they never satisfy a comparison."""
    for nan in (Decimal("NaN"), float("nan")):
        assert (False, False) == both_paths(field("n") >= 0, {"n": nan})
        assert (False, False) == both_paths(field("n") != 1, {"n": nan})
        assert (False, False) == both_paths(field("n").not_in({1}), {"n": nan})


# -- type mismatches ---------------------------------------------------------------------


@pytest.mark.parametrize(
    ("rule", "value", "error", "code"),
    [
        (field("frequency") >= 3, "3", InvalidType, "type_mismatch"),
        (field("frequency") == 3, "3", InvalidType, "type_mismatch"),
        (field("frequency") >= 3, True, InvalidType, "type_mismatch"),
        (field("frequency") >= 3, Money("3", "USD"), InvalidType, "type_mismatch"),
        (field("frequency") == "3", 3, InvalidType, "type_mismatch"),
        (field("frequency").is_true(), 1, InvalidType, "type_mismatch"),
        (
            field("frequency") >= Money("3", "USD"),
            Money("3", "EUR"),
            CurrencyMismatch,
            "currency_mismatch",
        ),
        (field("frequency") <= date(2026, 1, 1), AT, InvalidType, "type_mismatch"),
        (field("frequency") <= AT, AT.replace(tzinfo=None), ValidationError, "naive_datetime"),
        (field("frequency").contains("a"), 5, InvalidType, "type_mismatch"),
        (field("frequency").has("a"), "abc", InvalidType, "type_mismatch"),
        (field("frequency").is_in({"a"}), 1, InvalidType, "type_mismatch"),
        (field("frequency").within_last(days=1), "yesterday", InvalidType, "type_mismatch"),
        (
            field("frequency").within_last(days=1),
            AT.replace(tzinfo=None),
            ValidationError,
            "naive_datetime",
        ),
        (field("frequency").birthday_within(days=1), AT, InvalidType, "type_mismatch"),
    ],
)
def test_type_mismatch_raises_naming_the_field(rule, value, error, code):
    """A value of another kind raises a CrmcoreError whose path names the field."""
    for snapshot in ({"frequency": value}, MappingProxyType({"frequency": value})):
        with pytest.raises(error) as info:
            rule.matches(snapshot, at=AT)
        assert "$.frequency" == info.value.path
        assert code == info.value.code


def test_mismatch_message_never_holds_the_value():
    """The error names types, never the value (it may be personal data)."""
    with pytest.raises(InvalidType) as info:
        (field("age") >= 18).matches({"age": "ana@example.com"})
    assert "ana@example.com" not in str(info.value)
    assert "holds str" in str(info.value)


def test_short_circuit_skips_later_mismatches():
    """Like Python's `and`, a false clause stops evaluation before a mismatched one."""
    rule = all_of(field("a") == 1, field("b") >= 3)
    assert (False, False) == both_paths(rule, {"a": 2, "b": "x"})
    with pytest.raises(InvalidType):
        rule.matches({"a": 1, "b": "x"})


# -- literals ----------------------------------------------------------------------------


def test_float_literals_convert_exactly_through_their_repr():
    """0.1 becomes Decimal('0.1'), what was typed, not the binary fraction."""
    rule = field("p") == 0.1
    assert Decimal("0.1") == rule.value
    assert Kind.NUMBER == rule.kind
    assert rule.matches({"p": Decimal("0.1")})


@pytest.mark.parametrize(
    ("make", "path", "code"),
    [
        (lambda: field("x") == None, "$.value", "none_literal"),  # noqa: E711 - the point of the test.
        (lambda: field("x") >= NAN, "$.value", "not_finite"),
        (lambda: field("x") >= Decimal("Infinity"), "$.value", "not_finite"),
        (lambda: field("x") >= AT.replace(tzinfo=None), "$.value", "naive_datetime"),
        (lambda: field("x") >= True, "$.value", "kind"),
        (lambda: field("x").between(5, 1), "$.value", "order"),
        (lambda: field("x").between(1, "z"), "$.value[1]", "mixed_kinds"),
        (
            lambda: field("x").between(Money("1", "USD"), Money("2", "EUR")),
            "$.value[1]",
            "currency_mismatch",
        ),
        (lambda: field("x").is_in(set()), "$.value", "empty"),
        (lambda: field("x").is_in([1, "a"]), "$.value[1]", "mixed_kinds"),
        (lambda: field("x").is_in("abc"), "$.value", "type"),
        (lambda: field("x").is_in({Money("1", "USD")}), "$.value[0]", "kind"),
        (lambda: field("x").contains(""), "$.value", "empty"),
        (lambda: field("x").contains(5), "$.value", "type"),
        (lambda: field("x").has(date(2026, 1, 1)), "$.value", "kind"),
        (lambda: field("x").birthday_within(days=367), "$.value", "out_of_range"),
        (lambda: field("x").within_last(days=-1), "$.days", "out_of_range"),
        (lambda: field("x").within_last(months=1201), "$.months", "out_of_range"),
        (lambda: field("x") == object(), "$.value", "type"),
        (lambda: field("x") == "y" * 1001, "$.value", "too_long"),
        (lambda: field("_private") == 1, "$.path", "field_path"),
        (lambda: field("a..b") == 1, "$.path", "field_path"),
        (lambda: field("a.b.c.d.e.f.g.h.i") == 1, "$.path", "field_path"),
        (lambda: Condition("x", "approx", 1), "$.op", "operator"),
        (lambda: Condition("x", "is_empty", 1), "$.value", "no_value"),
    ],
)
def test_bad_literals_are_refused_when_building(make, path, code):
    """Bad literals raise a ValidationError naming the argument."""
    with pytest.raises(ValidationError) as info:
        make()
    assert path == info.value.path
    assert code == info.value.code


def test_text_literals_are_nfc_and_enums_become_values():
    """Decomposed text is composed; StrEnum members compare as their values."""
    assert "caf\u00e9" == (field("s") == "cafe\u0301").value
    rule = field("purpose") == Purpose.MARKETING
    assert "marketing" == rule.value
    assert type(rule.value) is str


def test_conditions_with_equal_literals_are_equal():
    """Rules are values: equal when built alike, usable as set members."""
    assert field("s").is_in(["b", "a"]) == field("s").is_in({"a", "b"})
    assert 1 == len({field("n") >= 3, field("n") >= 3})


# -- text --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("rule", "value", "expected"),
    [
        (field("s").contains("EXAMPLE"), "ana@example.com", True),
        (field("s").contains("strasse"), "Hauptstraße 5", True),
        (field("s").starts_with("café"), "CAFE\u0301 NOIR", True),
        (field("s").ends_with("NOIR"), "Café noir", True),
        (field("s").starts_with("noir"), "Café noir", False),
        (field("s").contains("İ"), "i̇stanbul", True),
    ],
)
def test_text_matching_is_caseless_and_unicode_aware(rule, value, expected):
    """Text tests fold case and normalize (casefold + NFC): contains, starts_with, ends_with."""
    assert (expected, expected) == both_paths(rule, {"s": value})


# -- collections -------------------------------------------------------------------------


def test_collection_operators():
    """The collection tests look inside sets, lists and tuples: has, has_any, has_all."""
    tags = frozenset({"vip", "b2b"})
    assert (True, True) == both_paths(field("tags").has("vip"), {"tags": tags})
    assert (False, False) == both_paths(field("tags").has("VIP"), {"tags": tags})
    assert (True, True) == both_paths(field("tags").has_any({"x", "b2b"}), {"tags": tags})
    assert (False, False) == both_paths(field("tags").has_all({"vip", "x"}), {"tags": tags})
    assert (True, True) == both_paths(
        field("tags").has_all({"vip", "b2b"}), {"tags": ["vip", "b2b"]}
    )
    assert (True, True) == both_paths(field("tags").has(3), {"tags": {1, 3}})


# -- time windows ------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("rule", "value", "expected"),
    [
        (field("t").within_last(days=30), AT - timedelta(days=30), True),
        (field("t").within_last(days=30), AT - timedelta(days=30, seconds=1), False),
        (field("t").within_last(days=30), AT + timedelta(seconds=1), False),
        (field("t").within_last(weeks=2), AT - timedelta(days=14), True),
        (field("t").within_last(months=1), datetime(2026, 5, 30, 12, tzinfo=UTC), True),
        (field("t").within_last(months=1), datetime(2026, 5, 30, 11, 59, tzinfo=UTC), False),
        (field("t").within_last(days=1), datetime(2026, 6, 30, 1, 0, tzinfo=WIB), True),
        (field("t").more_than_ago(days=90), AT - timedelta(days=91), True),
        (field("t").more_than_ago(days=90), AT - timedelta(days=90), False),
        (field("t").within_next(days=7), AT + timedelta(days=7), True),
        (field("t").within_next(days=7), AT - timedelta(seconds=1), False),
        (field("t").within_last(days=30), date(2026, 5, 31), True),
        (field("t").within_last(days=30), date(2026, 5, 30), False),
        (field("t").more_than_ago(days=30), date(2026, 5, 30), True),
        (field("t").within_next(days=1), date(2026, 7, 1), True),
    ],
)
def test_time_windows_are_relative_to_at(rule, value, expected):
    """Windows run back (or forward) from the evaluation time, by calendar units."""
    assert (expected, expected) == both_paths(rule, {"t": value}, at=AT)


def test_before_and_after_are_absolute():
    """Before / after compare with a fixed date or time, like < and >."""
    assert field("t").before(AT) == (field("t") < AT)
    assert field("d").after(date(2026, 1, 1)) == (field("d") > date(2026, 1, 1))
    assert (True, True) == both_paths(field("t").before(AT), {"t": AT - timedelta(seconds=1)})
    assert (False, False) == both_paths(field("t").after(AT), {"t": AT})
    with pytest.raises(ValidationError):
        field("t").before("2026-01-01")


def test_month_windows_follow_the_calendar():
    """One month back from 31 March is 28 February (29 in a leap year)."""
    rule = field("t").within_last(months=1)
    assert rule.matches({"t": date(2026, 2, 28)}, at=datetime(2026, 3, 31, tzinfo=UTC))
    assert not rule.matches({"t": date(2026, 2, 27)}, at=datetime(2026, 3, 31, tzinfo=UTC))
    assert not rule.matches({"t": date(2028, 2, 28)}, at=datetime(2028, 3, 31, tzinfo=UTC))


def test_dates_use_the_calendar_day_of_at_in_its_timezone():
    """At 23:30 UTC on 30 June it is already 1 July in Jakarta."""
    late = datetime(2026, 6, 30, 23, 30, tzinfo=UTC)
    rule = field("d").within_last(days=0)
    assert rule.matches({"d": date(2026, 6, 30)}, at=late)
    assert rule.matches({"d": date(2026, 7, 1)}, at=late.astimezone(WIB))


def test_time_rules_need_at():
    """A time-relative rule without `at` is refused; a naive `at` too."""
    rule = all_of(field("a") == 1, field("t").within_last(days=1))
    with pytest.raises(ValidationError) as info:
        rule.matches({"a": 1})
    assert ("$.at", "at_required") == (info.value.path, info.value.code)
    with pytest.raises(ValidationError) as info:
        rule.matches({"a": 1}, at=AT.replace(tzinfo=None))
    assert "naive_datetime" == info.value.code
    assert (field("a") == 1).matches({"a": 1})


def test_windows_out_of_the_calendar_are_refused():
    """A window reaching before year 1 is a clear error, not an OverflowError."""
    early = datetime(5, 1, 1, tzinfo=UTC)
    with pytest.raises(ValidationError) as info:
        field("t").within_last(months=1200).matches({}, at=early)
    assert "out_of_range" == info.value.code


# -- birthdays ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("today", "days", "born", "expected"),
    [
        (date(2026, 12, 30), 3, date(1990, 1, 2), True),
        (date(2026, 12, 30), 2, date(1990, 1, 2), False),
        (date(2026, 12, 30), 0, date(1990, 12, 30), True),
        (date(2026, 12, 30), 5, date(1990, 12, 29), False),
        (date(2026, 2, 27), 1, date(2000, 2, 29), True),
        (date(2026, 2, 28), 0, date(2000, 2, 29), True),
        (date(2026, 3, 1), 0, date(2000, 2, 29), False),
        (date(2028, 2, 28), 0, date(2000, 2, 29), False),
        (date(2028, 2, 28), 1, date(2000, 2, 29), True),
        (date(2027, 12, 31), 60, date(2004, 2, 29), True),
        (date(2026, 3, 1), 365, date(2000, 2, 29), True),
    ],
)
def test_birthday_within(today, days, born, expected):
    """Next-N-days birthdays run across the year end; 29 February falls on 28 February."""
    at = datetime(today.year, today.month, today.day, 10, tzinfo=UTC)
    assert (expected, expected) == both_paths(
        field("birth_date").birthday_within(days=days), {"birth_date": born}, at=at
    )


# -- combinators -------------------------------------------------------------------------


def test_combinators_and_operators():
    """&, | and ~ build the same rules as all_of, any_of and not_."""
    a, b, c = field("a") == 1, field("b") == 2, field("c") == 3
    assert all_of(a, b, c) == a & b & c
    assert any_of(a, b, c) == a | b | c
    assert not_(a) == ~a
    assert all_of().matches({})
    assert not any_of().matches({})


def test_rules_have_no_truth_value():
    """Chained comparisons and `if rule:` raise instead of silently misbehaving."""
    with pytest.raises(InvalidType):
        bool(field("n") >= 1)
    with pytest.raises(InvalidType):
        1 < field("n") < 5  # noqa: B015 - evaluated for its error.
    with pytest.raises(TypeError):
        hash(field("n"))


def test_combinators_refuse_non_rules():
    """A forgotten comparison is caught with a hint, at the child's position."""
    with pytest.raises(InvalidType) as info:
        all_of(field("a") == 1, field("b"))
    assert "$.rules[1]" == info.value.path
    assert "forget a comparison" in str(info.value)


@pytest.mark.parametrize("width", [1, 2, 3, 4, 5, 6, 7, 9, 13])
def test_wide_combinators(width):
    """Every unrolled width of all_of / any_of answers like all() / any()."""
    rules = [field(f"f{i}") >= i for i in range(width)]
    for hit in range(width + 1):
        snap = {f"f{i}": i if i != hit else -1 for i in range(width)}
        assert (hit == width,) * 2 == both_paths(all_of(*rules), snap)
        assert (hit != 0 or width > 1,) * 2 == both_paths(any_of(*rules), snap)
        none = {f"f{i}": -1 for i in range(width)}
        assert (False, False) == both_paths(any_of(*rules), none)


def test_mixed_runs_keep_rule_order():
    """Fusable and other conditions interleave without changing the answer."""
    rule = all_of(
        field("a") >= 1,
        field("s").contains("x"),
        field("b").between(1, 3),
        any_of(field("c") == "y", field("tags").has("t"), field("s").starts_with("q")),
        field("t").within_last(days=1),
    )
    snap = {"a": 1, "s": "xx", "b": 2, "c": "n", "tags": frozenset({"t"}), "t": AT}
    assert (True, True) == both_paths(rule, snap, at=AT)
    assert (False, False) == both_paths(rule, {**snap, "b": 4}, at=AT)


def test_depth_and_size_limits():
    """Rules nest up to MAX_RULE_DEPTH and hold up to MAX_RULE_NODES nodes."""
    rule = field("a") == 1
    for _ in range(MAX_RULE_DEPTH - 1):
        rule = not_(rule)
    assert MAX_RULE_DEPTH == rule.depth
    with pytest.raises(ValidationError) as info:
        not_(rule)
    assert "too_deep" == info.value.code
    with pytest.raises(ValidationError) as info:
        AllOf([field("a") == 1] * MAX_RULE_NODES)
    assert "too_large" == info.value.code


# -- reading objects ---------------------------------------------------------------------


def test_rules_read_attrs_objects_and_nested_mappings():
    """Dotted paths walk attributes and mapping keys."""
    person = Person(5, Profile("gold", {"tier": "vip"}))
    assert (field("frequency") >= 3).matches(person)
    assert (field("profile.tier") == "gold").matches(person)
    assert (field("profile.attributes.tier") == "vip").matches(person)
    assert not (field("profile.missing") == "x").matches(person)
    nested = {"profile": {"attributes": {"tier": "vip"}}}
    assert (True, True) == both_paths(field("profile.attributes.tier") == "vip", nested)
    flat = {"profile.attributes.tier": "vip"}
    assert (True, True) == both_paths(field("profile.attributes.tier") == "vip", flat)


def test_reading_never_changes_the_input():
    """A defaultdict is read with get(), so no key appears."""
    data = defaultdict(int, {"a": 1})
    assert not (field("b") == 1).matches(data)
    assert ["a"] == list(data)


def test_fields_lists_every_path_read():
    """fields() collects the paths of every condition."""
    rule = all_of(field("a") == 1, not_(any_of(field("b") == 2, field("c.d") == 3)))
    assert frozenset({"a", "b", "c.d"}) == rule.fields()


# -- explanations ------------------------------------------------------------------------


def test_explain_shows_every_clause_with_values():
    """Every clause is evaluated and shown, not only up to the first failure."""
    rule = all_of(field("frequency") >= 3, field("stage") == "client", field("tags").has("vip"))
    explanation = rule.explain({"frequency": 1, "stage": "client", "tags": frozenset()})
    assert not explanation.outcome
    assert [False, True, False] == [c.outcome for c in explanation.children]
    assert [1, "client", frozenset()] == [c.value for c in explanation.children]
    assert ["frequency >= 3", "tags has 'vip'"] == [c.clause for c in explanation.failing()]


def test_explain_masks_personal_data():
    """Values and literals of personal fields are masked; a length hint remains."""
    rule = any_of(field("email").ends_with("@example.com"), field("profile.birth_date").is_empty())
    explanation = rule.explain(
        {"email": "ana@example.com", "profile": {"birth_date": date(1990, 1, 1)}}
    )
    email, birth = explanation.children
    assert "email ends with ***" == email.clause
    assert "*** (15 characters)" == email.shown
    assert email.value is None
    assert "***" == birth.shown
    rendered = explanation.render()
    assert "ana@" not in rendered
    assert "1990" not in rendered
    assert "example" not in repr(rule)


def test_explain_personal_names_add_to_the_defaults():
    """Extra personal field names add to the default masks; they never unmask a default one."""
    explanation = (field("email") == "a@b.co").explain({"email": "a@b.co"}, personal={"notes"})
    assert "*** (6 characters)" == explanation.shown
    assert "a@b.co" not in explanation.render()
    masked = (field("nickname") == "x").explain({"nickname": "x"}, personal={"nickname"})
    assert "*** (1 characters)" == masked.shown
    assert (
        "*** (6 characters)"
        == (field("email") == "a@b.co").explain({"email": "a@b.co"}, personal=()).shown
    )


def test_explain_outcome_equals_matches_and_shows_missing():
    """The explanation's outcome is the rule's answer; missing values say so."""
    rule = not_(field("stage") == "lost")
    explanation = rule.explain({}, at=AT)
    assert rule.matches({}) is explanation.outcome is True
    assert "<missing>" == explanation.children[0].shown


def test_repr_reads_as_the_builder_expression():
    """A rule's repr is the Python that builds it."""
    rule = all_of(
        field("n").between(1, 5),
        field("s").is_in({"b", "a"}),
        not_(field("t").within_last(months=1, days=2)),
        field("d").birthday_within(days=7),
        field("x").is_empty(),
        field("tags").has_any({"vip"}),
    )
    expected = (
        "all_of(field('n').between(1, 5), field('s').is_in({'a', 'b'}), "
        "not_(field('t').within_last(months=1, days=2)), field('d').birthday_within(days=7), "
        "field('x').is_empty(), field('tags').has_any({'vip'}))"
    )
    assert expected == repr(rule)


def test_span_describes_itself():
    """Spans read naturally in explanations."""
    assert "1 month 2 days" == str(Span(months=1, days=2))
    assert "within the last 1 week" in (field("t").within_last(weeks=1)).describe()


def test_node_classes_are_exported():
    """The node classes users pattern-match on are public."""
    rule = all_of(field("a") == 1, any_of(not_(field("b") == 2)))
    assert isinstance(rule, AllOf)
    assert isinstance(rule.rules[1], AnyOf)
    assert isinstance(rule.rules[1].rules[0], Not)
    assert Operator.EQ == rule.rules[0].op


@pytest.mark.parametrize(
    ("path", "personal", "where"),
    [
        (None, (), "$.path"),
        (3, (), "$.path"),
        ("email", None, "$.personal"),
        ("email", "email", "$.personal"),
        ("email", [1], "$.personal[0]"),
    ],
)
def test_is_personal_checks_its_arguments(path, personal, where):
    """D24: junk path or names are refused with a path (was AttributeError or TypeError)."""
    with pytest.raises(ValidationError) as info:
        is_personal(path, personal)
    assert where == info.value.path


def test_explain_and_describe_check_the_personal_names():
    """D24: explain and describe refuse a bare string (it was read letter by letter)."""
    rule = all_of(field("email") == "a@b.co", field("n") >= 1)
    with pytest.raises(ValidationError):
        rule.explain({"email": "a@b.co", "n": 2}, personal="email")
    with pytest.raises(ValidationError):
        rule.describe(personal=5)


def test_the_city_and_custom_attributes_are_masked_by_default():
    """Localities, attribute values and labels are personal data in explanations and reprs."""
    snap = {"locality": "Zqxcity", "attributes.note": "Zqxnote"}
    for rule in (field("locality") == "Zqxcity", field("attributes.note").starts_with("Zqx")):
        explanation = rule.explain(snap)
        assert "Zqx" not in explanation.render()
        assert "Zqx" not in repr(rule)


def test_the_operator_families_split_the_operators_without_overlap():
    """Every module branches on the same families: each operator is in at most one."""
    families = [LITERAL_OPERATORS, TEXT_OPERATORS, SET_OPERATORS, WINDOW_OPERATORS]
    rest = {Operator.IS_EMPTY, Operator.IS_NOT_EMPTY, Operator.BIRTHDAY_WITHIN}
    assert sum(len(family) for family in families) + len(rest) == len(Operator)
    assert set(Operator) == set().union(*families, rest)
    assert set(SYMBOLS) < LITERAL_OPERATORS
    assert {op for op in Operator if op.needs_at} == WINDOW_OPERATORS | {Operator.BIRTHDAY_WITHIN}
