"""Tests for `crmcore._kernel._checks`."""

import time

import pytest

from crmcore import InvalidType, ValidationError
from crmcore._kernel._checks import MAX_PROBLEMS, error_path, instance_of, json_type_name, tuple_of
from crmcore.commerce import first_subscription_date


def test_a_huge_sequence_of_bad_items_is_refused_after_a_hundred_problems():
    """A lazy sequence of 2**62 wrong items is not walked to its end (it never ended)."""
    started = time.perf_counter()
    with pytest.raises(InvalidType) as info:
        tuple_of(range(2**62), "$.items", instance_of(str, "a str"))
    assert MAX_PROBLEMS == len(info.value.problems)
    with pytest.raises(InvalidType):
        first_subscription_date(range(2**62))
    assert time.perf_counter() - started < 1


def test_a_sized_sequence_over_the_limit_is_refused_before_any_item():
    """The length is read first."""
    with pytest.raises(ValidationError) as info:
        tuple_of(range(2**62), "$.items", instance_of(int, "an int"), max_items=10)
    assert "too_many" == info.value.code


@pytest.mark.parametrize("path", [None, 3, "email", "$" + "x" * 300, "$\n"])
def test_error_paths_look_like_paths(path):
    """A caller-chosen path must be printable text starting with "$"."""
    with pytest.raises(ValidationError) as info:
        error_path(path)
    assert "$.path" == info.value.path


@pytest.mark.parametrize(
    ("value", "name"),
    [
        ({}, "an object"),
        ([], "an array"),
        ("", "a string"),
        (True, "a boolean"),
        (1, "an integer"),
        (1.5, "a number"),
        (None, "null"),
        ((), "tuple"),
        (b"", "bytes"),
    ],
)
def test_json_type_names_use_json_words_and_fall_back_to_the_type_name(value, name):
    """Messages about documents say what JSON calls the value; other values name their type."""
    assert name == json_type_name(value)
