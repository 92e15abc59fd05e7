"""Tests for `crmcore._kernel._derived`: values computed once and kept with their frozen object."""

import copy
import pickle

import attrs
import pytest

from crmcore._kernel._derived import Derivable, derived, keep, kept, start_keeping

CALLS: list[str] = []


@attrs.frozen(slots=True)
class Box(Derivable):
    """A frozen class with one derived value that counts how often it is computed."""

    width: int
    height: int

    @derived
    def area(self) -> int:
        """The width times the height."""
        CALLS.append("area")
        return self.width * self.height


@pytest.fixture(autouse=True)
def _no_calls():
    CALLS.clear()


def test_a_derived_value_is_computed_once():
    """Asking twice computes once and gives the same object."""
    box = Box(2, 3)
    assert (6, 6) == (box.area, box.area)
    assert ["area"] == CALLS


def test_the_class_attribute_is_the_descriptor_with_its_docstring():
    """On the class, the name gives the descriptor, documented like a property."""
    assert isinstance(Box.area, derived)
    assert "The width times the height." == Box.area.__doc__


def test_kept_values_are_no_fields():
    """Equality, hashing, repr and attrs' view of the fields ignore the kept values."""
    box, other = Box(2, 3), Box(2, 3)
    assert 6 == box.area
    assert other == box
    assert hash(other) == hash(box)
    assert "Box(width=2, height=3)" == repr(box)
    assert ["width", "height"] == [field.name for field in attrs.fields(Box)]
    assert {"width": 2, "height": 3} == attrs.asdict(box)


@pytest.mark.parametrize(
    "clone",
    [copy.copy, copy.deepcopy, lambda box: pickle.loads(pickle.dumps(box))],  # noqa: S301 - own data.
    ids=["copy", "deepcopy", "pickle"],
)
def test_a_copy_computes_its_own_value(clone):
    """Copies and unpickled objects carry no kept value: they compute it when asked."""
    box = Box(2, 3)
    assert 6 == box.area
    twin = clone(box)
    assert {} == kept(twin)
    assert 6 == twin.area
    assert ["area", "area"] == CALLS


def test_a_changed_copy_starts_without_the_old_value():
    """attrs.evolve builds a new object: its value follows its own fields."""
    box = Box(2, 3)
    assert 6 == box.area
    assert 8 == attrs.evolve(box, height=4).area


def test_keep_stores_a_value_computed_while_building():
    """A value kept by the constructor is what the descriptor gives, without computing it."""
    box = Box(2, 3)
    assert 6 == keep(box, "area", 6)
    assert 6 == box.area
    assert [] == CALLS
    assert {"area": 6} == kept(box)


def test_start_keeping_replaces_the_store():
    """A new store holds exactly the carried values."""
    box = Box(2, 3)
    assert 6 == box.area
    start_keeping(box)
    assert {} == kept(box)
    start_keeping(box, {"area": 6})
    assert 6 == box.area
    assert ["area"] == CALLS


def test_kept_is_a_copy():
    """Changing what kept() returned changes nothing in the object."""
    box = Box(2, 3)
    assert 6 == box.area
    kept(box)["area"] = 7
    assert 6 == box.area
