"""Tests for `crmcore._kernel._derived`: values computed once and kept with their frozen object."""

import copy
import gc
import pickle

import attrs
import pytest

from crmcore._kernel._derived import MAX_DERIVED, Derivable, derived, keep, kept, start_keeping

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


# -- the slots that keep the values ----------------------------------------------------


@attrs.frozen(slots=True)
class Crate(Box):
    """A subclass adding derived values of its own to those of its base."""

    depth: int = 1

    @derived
    def volume(self) -> int:
        """The area times the depth."""
        CALLS.append("volume")
        return self.area * self.depth

    @derived
    def half_volume(self) -> int:
        """Half the volume, rounded down."""
        return self.volume // 2


def test_a_subclass_keeps_its_values_beside_those_of_its_base():
    """Each derived value has a slot of its own: a subclass's never overwrite its base's."""
    crate = Crate(2, 3, 5)
    assert (6, 30, 15) == (crate.area, crate.volume, crate.half_volume)
    assert (6, 30, 15) == (crate.area, crate.volume, crate.half_volume)
    assert ["area", "volume"] == CALLS
    assert {"area": 6, "volume": 30, "half_volume": 15} == kept(crate)
    assert len({Box.area.slot, Crate.volume.slot, Crate.half_volume.slot}) == 3


def test_the_values_are_kept_in_slots_not_in_a_container():
    """No dict (or other container) per object: the values hang off the object itself."""
    box = Box(2, 3)
    assert 6 == box.area
    assert not hasattr(box, "__dict__")
    assert not [ref for ref in gc.get_referents(box) if isinstance(ref, (dict, list, tuple))]


def test_equal_objects_stay_equal_whatever_they_keep():
    """Kept values never enter equality, hashing, repr or pickles, in a subclass either."""
    crate, other = Crate(2, 3, 5), Crate(2, 3, 5)
    assert 30 == crate.volume
    assert (other, hash(other), repr(other)) == (crate, hash(crate), repr(crate))
    twin = pickle.loads(pickle.dumps(crate))  # noqa: S301 - own data.
    assert {} == kept(twin)
    assert pickle.dumps(crate) == pickle.dumps(other)


def test_start_keeping_carries_the_named_values_only():
    """A new object given carried values holds those and computes the others."""
    crate = Crate(2, 3, 5)
    start_keeping(crate, {"area": 7})
    assert {"area": 7} == kept(crate)
    assert 35 == crate.volume  # from the carried area: the caller vouches for it
    with pytest.raises(AttributeError, match="no derived value 'width'"):
        start_keeping(crate, {"width": 2})


def test_keep_refuses_a_name_that_is_no_derived_value():
    with pytest.raises(AttributeError, match="no derived value 'width'"):
        keep(Box(2, 3), "width", 2)


def test_a_class_with_too_many_derived_values_is_refused():
    """Each derived value needs a slot: a class with more than MAX_DERIVED is refused."""
    body = {
        f"value_{index}": derived(lambda self, index=index: index)
        for index in range(MAX_DERIVED + 1)
    }
    with pytest.raises(TypeError, match=f"at most {MAX_DERIVED} derived values"):
        type("Crowded", (Derivable,), body)


def test_a_class_with_as_many_derived_values_as_slots_works():
    body = {
        f"value_{index}": derived(lambda self, index=index: index) for index in range(MAX_DERIVED)
    }
    full = type("Full", (Derivable,), {"__slots__": (), **body})()
    start_keeping(full)
    assert list(range(MAX_DERIVED)) == [getattr(full, f"value_{i}") for i in range(MAX_DERIVED)]
    assert MAX_DERIVED == len(kept(full))


def test_derived_values_need_a_derivable_class():
    with pytest.raises((TypeError, RuntimeError)):

        class Loose:
            @derived
            def value(self) -> int:
                return 1


def test_an_object_never_started_computes_its_values():
    """An object made without its constructor (as unpickling does) computes when asked."""
    box = object.__new__(Box)
    object.__setattr__(box, "width", 2)
    object.__setattr__(box, "height", 3)
    assert {} == kept(box)
    assert 6 == box.area
    assert {"area": 6} == kept(box)


def test_descriptors_of_two_classes_that_would_share_a_slot_are_refused():
    """A derived value reused from another class keeps its slot: a clash is refused."""

    class First(Derivable):
        __slots__ = ()

        @derived
        def one(self) -> int:
            return 1

    class Second(Derivable):
        __slots__ = ()

        @derived
        def two(self) -> int:
            return 2

    assert First.one.slot == Second.two.slot
    with pytest.raises(TypeError, match="share a slot"):
        type("Both", (Derivable,), {"__slots__": (), "one": First.one, "two": Second.two})
