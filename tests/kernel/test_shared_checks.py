"""Tests for the checks the capabilities share: distinct_items, time_window, iso_datetime."""

import itertools
from datetime import UTC, datetime, timedelta, timezone

import pytest

from crmcore import InvalidType, ValidationError
from crmcore._kernel._checks import distinct_items, iso_datetime, json_type_name, time_window

RULE = {"max_items": 3, "noun": "numbers", "what": "an int", "repeated": "repeats a number"}
UTC7 = timezone(timedelta(hours=7))


def distinct(value: object) -> list[int]:
    return distinct_items(value, int, abs, "$.n", **RULE)


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ([1, 2, 3], [1, 2, 3]),
        ((3, -2), [3, -2]),
        (iter([5]), [5]),
        ((n for n in (4, 0)), [4, 0]),
        (range(3), [0, 1, 2]),
        ({7: "x"}.keys(), [7]),
    ],
)
def test_distinct_items_keeps_any_iterable_in_order(value, expected):
    """Lists, tuples, one-pass iterators, ranges and views: the items as given."""
    assert distinct(value) == expected


@pytest.mark.parametrize("value", ["123", b"12", {1: 2}, 12, None])
def test_distinct_items_refuses_what_is_not_a_collection_of_items(value):
    with pytest.raises(InvalidType) as info:
        distinct(value)
    assert info.value.path == "$.n"
    assert "must be an iterable of numbers" in str(info.value)


def test_distinct_items_reads_one_item_past_the_limit_and_no_more():
    """An endless iterator costs max_items + 1 reads, then too_many."""
    source = itertools.count(1)
    with pytest.raises(ValidationError) as info:
        distinct(source)
    assert (info.value.code, info.value.path) == ("too_many", "$.n")
    assert "at most 3 numbers" in str(info.value)
    assert next(source) == 5  # 1..4 were read


def test_distinct_items_counts_before_it_looks_at_an_item():
    """Too many items wins over a wrong one among them."""
    with pytest.raises(ValidationError) as info:
        distinct(["x", 1, 2, 3])
    assert info.value.code == "too_many"


def test_distinct_items_names_the_first_wrong_item():
    with pytest.raises(InvalidType) as info:
        distinct([1, "2", 3.0])
    assert info.value.path == "$.n[1]"
    assert str(info.value) == "$.n[1]: must be an int, not str"


def test_distinct_items_refuses_a_key_given_twice():
    """The key decides: 2 and -2 share abs(...) == 2."""
    with pytest.raises(ValidationError) as info:
        distinct([2, 1, -2])
    assert (info.value.code, info.value.path) == ("duplicate", "$.n[2]")
    assert str(info.value) == "$.n[2]: repeats a number"


def test_time_window_checks_each_end_and_their_order():
    start = datetime(2026, 1, 1, tzinfo=UTC7)
    end = start + timedelta(days=1)
    assert time_window(None, None) == (None, None)
    assert time_window(start, None) == (start, None)
    assert time_window(None, end) == (None, end)
    assert time_window(start, start) == (start, start)
    with pytest.raises(ValidationError) as info:
        time_window(end, start)
    assert (info.value.code, info.value.path) == ("window", "$.since")
    with pytest.raises(ValidationError) as info:
        time_window(None, datetime(2026, 1, 1))  # noqa: DTZ001 - naive on purpose
    assert info.value.path == "$.until"
    with pytest.raises(InvalidType) as info:
        time_window("2026-01-01", None)
    assert info.value.path == "$.since"


def test_iso_datetime_reads_an_offset_time():
    assert iso_datetime("2026-03-02T09:00:00+07:00", "$.at") == datetime(
        2026, 3, 2, 2, 0, tzinfo=UTC
    )
    assert iso_datetime("2026-03-02T09:00:00+07:00", "$.at").utcoffset() == timedelta(hours=7)


@pytest.mark.parametrize(
    ("value", "error", "code"),
    [
        (None, InvalidType, None),
        (12, InvalidType, None),
        ("2" * 65, ValidationError, "datetime"),  # a str, just not a datetime: the same rule
        ("2026-03-02T09:00:00+07:00" + " " * 40, ValidationError, "datetime"),
        ("yesterday", ValidationError, "datetime"),
        ("2026-03-02T09:00:00", ValidationError, "naive_datetime"),
    ],
)
def test_iso_datetime_refuses(value, error, code):
    with pytest.raises(error) as info:
        iso_datetime(value, "$.x[0].at")
    assert info.value.path == "$.x[0].at"
    if code is not None:
        assert info.value.code == code


def test_iso_datetime_names_types_as_asked():
    with pytest.raises(InvalidType) as plain:
        iso_datetime(None, "$.at")
    with pytest.raises(InvalidType) as as_json:
        iso_datetime(None, "$.at", describe=json_type_name)
    assert str(plain.value).endswith("not NoneType")
    assert str(as_json.value).endswith(f"not {json_type_name(None)}")
