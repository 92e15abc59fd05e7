"""Tests for `crmcore._kernel._ids`."""

import uuid

import pytest

from crmcore import (
    CustomerId,
    Identifier,
    InvalidType,
    SeededIdSource,
    SequentialIdSource,
    ValidationError,
)


def test_identifiers_of_different_kinds_never_compare_equal():
    """A CustomerId is not a plain Identifier with the same text."""
    assert CustomerId("a") == CustomerId("a")
    assert CustomerId("a") != Identifier("a")
    assert CustomerId("a") < CustomerId("b")


@pytest.mark.parametrize("bad", ["", " a", "a b", "a\nb", "-a", "x" * 129, "é"])
def test_malformed_identifiers_are_refused(bad):
    """Ids are 1-128 characters of a small safe alphabet."""
    with pytest.raises(ValidationError) as info:
        CustomerId(bad)
    assert "$.value" == info.value.path


def test_non_string_identifier_is_a_type_error():
    """An int is not an identifier."""
    with pytest.raises(InvalidType):
        CustomerId(5)  # type: ignore[arg-type]


def test_sequential_source_counts_up():
    """The counter lives in the source object."""
    ids = SequentialIdSource("c-", start=9, width=2)
    assert [CustomerId("c-09"), CustomerId("c-10")] == [CustomerId.new(ids), CustomerId.new(ids)]


def test_seeded_source_is_reproducible_and_uuid_shaped():
    """The same seed gives the same ids; different seeds differ."""
    first, again, other = SeededIdSource(1), SeededIdSource(1), SeededIdSource(2)
    values = [first() for _ in range(5)]
    assert values == [again() for _ in range(5)]
    assert values != [other() for _ in range(5)]
    assert all(uuid.UUID(v).version == 4 for v in values)


def test_any_callable_is_an_id_source():
    """uuid4 (or anything returning a str) plugs straight in."""
    assert 36 == len(CustomerId.new(lambda: str(uuid.uuid4())).value)
    with pytest.raises(InvalidType):
        CustomerId.new("not callable")  # type: ignore[arg-type]


@pytest.mark.parametrize("kwargs", [{"start": -1}, {"width": 0}, {"width": 33}, {"start": True}])
def test_sequential_source_validates_its_arguments(kwargs):
    """Bad bounds fail when the source is made, not later."""
    with pytest.raises(ValidationError):
        SequentialIdSource("c-", **kwargs)
