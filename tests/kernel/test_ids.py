"""Tests for `crmcore._kernel._ids`."""

import uuid
from decimal import Decimal

import pytest

from crmcore import (
    CustomerId,
    Identifier,
    InvalidType,
    SeededIdSource,
    SequentialIdSource,
    ValidationError,
)
from crmcore._kernel._ids import require_id


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


@pytest.mark.parametrize("text", ["ana@example.com", "c-1@x", "zqx@b", "zqx@"])
def test_ids_that_look_like_email_addresses_are_refused(text):
    """The at sign is not in the identifier alphabet: an id must never copy an email address."""
    with pytest.raises(ValidationError) as info:
        CustomerId(text)
    assert "id_format" == info.value.code
    assert text not in str(info.value)


@pytest.mark.parametrize("prefix", ["-zqx", " zqx-", "zqx@", "ünïzqx-", "zqx" * 42])
def test_sequential_source_refuses_a_prefix_that_cannot_start_an_id(prefix):
    """D43: every id a source makes is valid, so a bad prefix fails when the source is made."""
    with pytest.raises(ValidationError) as info:
        SequentialIdSource(prefix)
    assert "$.prefix" == info.value.path
    assert prefix not in str(info.value)


def test_sequential_source_refuses_a_start_beyond_63_bits():
    """A counter that no database column can hold is refused."""
    with pytest.raises(ValidationError):
        SequentialIdSource("c-", start=2**63)


@pytest.mark.parametrize("value", ["c-1", 7, CustomerId("c-1"), ("shop", 3), uuid.UUID(int=1)])
def test_ids_are_hashable_values(value):
    """Strings, ints, identifiers, tuples and UUIDs are ids."""
    assert value == require_id(value, "$.customer_id")


@pytest.mark.parametrize(
    "value", [None, True, 1.5, float("nan"), Decimal("sNaN"), Decimal(1), [], {}, complex(1, 1)]
)
def test_values_that_cannot_be_found_again_are_not_ids(value):
    """D15: a signalling NaN (unhashable), a float or a bool is refused, never hashed blindly."""
    with pytest.raises(InvalidType) as info:
        require_id(value, "$.customer_id")
    assert "$.customer_id" == info.value.path
