"""Tests for `crmcore._kernel._fields`: the type checks of events' and results' plain fields."""

import importlib
from collections.abc import Hashable, Mapping
from datetime import UTC, date, datetime
from decimal import Decimal
from typing import Literal

import attrs
import pytest

from crmcore import CustomerId, InvalidType, Money, ValidationError
from crmcore._kernel._fields import (
    MAX_FIELD_ITEMS,
    Checked,
    check_fields,
    check_for,
    passing_types,
    unchecked_fields,
)


@attrs.frozen
class Sample(Checked):
    text: str
    count: int
    share: float | None
    amount: Decimal
    at: datetime
    day: date
    customer: CustomerId
    total: Money
    kind: Literal["a", "b"]
    items: tuple[int, ...]
    names: frozenset[str]
    table: Mapping[str, int]
    key: Hashable


GOOD = {
    "text": "x",
    "count": 3,
    "share": 0.5,
    "amount": Decimal("1.5"),
    "at": datetime(2026, 1, 1, tzinfo=UTC),
    "day": date(2026, 1, 1),
    "customer": CustomerId("c-1"),
    "total": Money("1", "USD"),
    "kind": "a",
    "items": (1, 2),
    "names": frozenset({"x"}),
    "table": {"x": 1},
    "key": "c-1",
}


def test_good_values_pass():
    """Every annotation accepts a value of its type."""
    assert 3 == Sample(**GOOD).count


@pytest.mark.parametrize(
    ("field", "value", "code"),
    [
        ("text", None, "type"),
        ("count", True, "type"),
        ("count", 2**63, "range"),
        ("share", float("nan"), "not_finite"),
        ("share", "0.5", "type"),
        ("share", 2**62 + 1, "range"),
        ("amount", 1.5, "type"),
        ("amount", Decimal("NaN"), "not_finite"),
        ("amount", Decimal("1E+999999"), "too_long"),
        ("at", datetime(2026, 1, 1), "naive_datetime"),  # noqa: DTZ001 - naive on purpose.
        ("day", datetime(2026, 1, 1, tzinfo=UTC), "type"),
        ("customer", "c-1", "type"),
        ("total", 1, "type"),
        ("kind", "c", "type"),
        ("items", [1, 2], "type"),
        ("items", (1, "2"), "type"),
        ("items", tuple(range(MAX_FIELD_ITEMS + 1)), "too_many"),
        ("names", {"x"}, "type"),
        ("table", {"x": "1"}, "type"),
        ("key", Decimal("sNaN"), "type"),
        ("key", 1.5, "type"),
    ],
)
def test_wrong_values_are_refused_with_a_path(field, value, code):
    """D33: a field without a converter or validator refuses what its annotation does not allow."""
    with pytest.raises(ValidationError) as info:
        Sample(**{**GOOD, field: value})
    assert info.value.path.startswith(f"$.{field}")
    assert code == info.value.code


def test_errors_never_echo_the_value():
    """Messages name types and rules only."""
    with pytest.raises(InvalidType) as info:
        Sample(**{**GOOD, "count": "Zqxmarker"})
    assert "Zqxmarker" not in str(info.value)


PUBLIC = [
    "crmcore.customers",
    "crmcore.interactions",
    "crmcore.commerce",
    "crmcore.service",
    "crmcore.feedback",
    "crmcore.loyalty",
    "crmcore.sales",
    "crmcore.lifecycle",
    "crmcore.clv",
    "crmcore.segmentation",
    "crmcore.analytics",
]


#: Fields annotated ``Any`` on purpose: an explanation shows whatever value the rule read.
ANY_ON_PURPOSE = {("Explanation", "value")}


def test_every_checked_public_class_checks_every_field():
    """No field of a Checked public class escapes its check through an unresolved annotation."""
    for module_name in PUBLIC:
        module = importlib.import_module(module_name)
        for name in module.__all__:
            cls = getattr(module, name)
            if isinstance(cls, type) and issubclass(cls, Checked):
                unchecked = {(name, field) for field in unchecked_fields(cls)}
                assert set() == unchecked - ANY_ON_PURPOSE, module_name


# -- the types a check passes as they are ------------------------------------------------

#: Annotations of every kind the checks know, and values of many types to try on them.
ANNOTATIONS = [
    str,
    int,
    bool,
    float,
    Decimal,
    datetime,
    date,
    CustomerId,
    Money,
    Hashable,
    str | None,
    Money | None,
    int | str,
    Literal["a", "b"],
    tuple[int, ...],
    tuple[CustomerId, ...],
    tuple[str, int],
    frozenset[str],
    Mapping[str, int],
]
VALUES = [
    None,
    "x",
    "",
    0,
    -(2**70),
    True,
    1.5,
    float("inf"),
    Decimal("1.5"),
    Decimal("NaN"),
    datetime(2026, 1, 1, tzinfo=UTC),
    datetime(2026, 1, 1),  # noqa: DTZ001 - naive on purpose.
    date(2026, 1, 1),
    CustomerId("c-1"),
    Money("1", "USD"),
    (1, 2),
    (CustomerId("c-1"), "x"),
    ("x", 1),
    frozenset({"x"}),
    {"x": 1},
    [],
]


@pytest.mark.parametrize("annotation", ANNOTATIONS, ids=repr)
def test_a_passing_type_always_passes_its_check(annotation):
    """Skipping the check for the exact types it passes never lets a wrong value in."""
    check = check_for(annotation)
    passing = passing_types(annotation)
    for value in VALUES:
        if type(value) in passing:
            check(value, "$.x")  # must not raise


def test_passing_types_of_simple_annotations():
    """A class passes its exact type; an int, a float, a Decimal or a datetime never pass as they are."""
    assert frozenset({CustomerId}) == passing_types(CustomerId)
    assert frozenset({Money, type(None)}) == passing_types(Money | None)
    assert frozenset() == passing_types(int)
    assert frozenset() == passing_types(datetime)
    assert frozenset() == passing_types(tuple[int, ...])


@pytest.mark.parametrize("field", sorted(GOOD))
@pytest.mark.parametrize("value", VALUES, ids=repr)
def test_the_plan_refuses_what_each_check_refuses(field, value):
    """check_fields with its shortcuts and the plain check of the annotation agree."""
    sample = object.__new__(Sample)
    for name, good in GOOD.items():
        object.__setattr__(sample, name, good)
    object.__setattr__(sample, field, value)
    annotation = {f.name: f.type for f in attrs.fields(Sample)}[field]
    try:
        check_for(annotation)(value, f"$.{field}")
        expected = None
    except ValidationError as exc:
        expected = (type(exc), exc.path, exc.code)
    try:
        check_fields(sample)
        actual = None
    except ValidationError as exc:
        actual = (type(exc), exc.path, exc.code)
    assert expected == actual
