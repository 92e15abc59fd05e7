"""Tests for `crmcore._kernel._frozen`."""

import pytest

from crmcore import InvalidType
from crmcore.customers import FrozenMap


def test_a_frozen_map_is_sorted_and_hashable():
    """Keys keep their text order; equal maps hash alike, whatever the input order."""
    first, second = FrozenMap({"b": 2, "a": 1}), FrozenMap([("a", 1), ("b", 2)])
    assert ["a", "b"] == list(first)
    assert first == second
    assert hash(first) == hash(second)


@pytest.mark.parametrize(
    "data",
    [None, 5, "ab", [1], [(1, 2, 3)], {"a": []}, {"a": {"b": 1}}, [([], 1)]],
    ids=repr,
)
def test_construction_refuses_junk(data):
    """D14: data that is not hashable (key, value) pairs is an InvalidType, not a TypeError."""
    with pytest.raises(InvalidType) as info:
        FrozenMap(data)
    assert info.value.path.startswith("$.data")


def test_set_and_delete_refuse_unhashable_keys_and_values():
    """D14: set and delete keep the map hashable and never raise a bare TypeError."""
    base = FrozenMap({"a": 1})
    with pytest.raises(InvalidType):
        base.set([], 1)
    with pytest.raises(InvalidType):
        base.set("b", [])
    with pytest.raises(InvalidType):
        base.delete({})
    assert FrozenMap({"a": 1, "b": 2}) == base.set("b", 2)
    assert FrozenMap() == base.delete("a")
    assert base is base.delete("z")


def test_keys_too_long_to_print_sort_last():
    """An int with more digits than Python prints is a key like any other."""
    huge = 10**5000
    assert ["a", huge] == list(FrozenMap({huge: 1, "a": 2}))
