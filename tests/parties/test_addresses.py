"""Tests for `crmcore.parties._addresses`: address keys and address similarity."""

import pytest

from crmcore.customers import PostalAddress
from crmcore.parties._addresses import address_bound, address_key, compare_addresses


def key(*lines, country="ID", locality=None, postal_code=None):
    return address_key(
        PostalAddress(
            lines=list(lines), country=country, locality=locality, postal_code=postal_code
        )
    )


def test_the_key_drops_street_words_and_keeps_numbers():
    """Street types and fillers go; numbers lose leading zeros; localities lose their kind."""
    found = key("Jl. Merdeka No. 10", "RT 02/RW 05", locality="Kota Bandung", postal_code="40 111")
    assert ("merdeka",) == found.words
    assert frozenset({"10", "2", "5"}) == found.numbers
    assert "bandung" == found.locality
    assert "40111" == found.postal
    assert "AddressKey(country='ID')" == repr(found)


def test_written_differently_is_the_same_address():
    """Jalan/Jl., No./No, Kota, case and accents do not count."""
    a = key("Jl. Merdeka No. 10", locality="Bandung", postal_code="40111")
    b = key("JALAN MERDEKA NO 10", locality="Kota Bandung", postal_code="40111")
    score, notes = compare_addresses(a, b)
    assert 1.0 == score
    assert ("street 1.00", "postal code same", "locality 1.00") == notes


def test_another_house_number_halves_the_street():
    """Two house numbers with nothing in common halve the street's score."""
    a = key("Jl. Merdeka No. 10", postal_code="40111")
    b = key("Jl. Merdeka No. 12", postal_code="40111")
    score, notes = compare_addresses(a, b)
    assert (0.5 * 0.5 + 0.3) / 0.8 == pytest.approx(score)
    assert "street 0.50" in notes


def test_another_country_scores_zero():
    """Addresses in two countries never match."""
    a = key("Orchard Road 1", country="SG")
    b = key("Orchard Road 1", country="MY")
    assert (0.0, ("country different",)) == compare_addresses(a, b)


def test_only_the_parts_both_have_count():
    """A postal code on one side only is left out of the mean."""
    a = key("Jl. Merdeka 10", postal_code="40111")
    b = key("Jl. Merdeka 10")
    assert (1.0, ("street 1.00",)) == compare_addresses(a, b)


def test_the_bound_is_never_below_the_score():
    """The cheap bound the matcher uses is an upper bound of the full comparison."""
    cases = [
        (key("Jl. Merdeka 10", postal_code="40111"), key("Jl. Merdeka 10", postal_code="40112")),
        (
            key("Jl. Merdeka 10", locality="Bandung", postal_code="40111"),
            key("Jl. Asia Afrika 3", locality="Bandung", postal_code="40112"),
        ),
        (key("Jl. Merdeka 10"), key("Jl. Merdeka 10", postal_code="40112")),
        (key("Jl. Merdeka 10", country="SG"), key("Jl. Merdeka 10")),
    ]
    for a, b in cases:
        assert compare_addresses(a, b)[0] <= address_bound(a, b)


def test_streets_of_words_or_numbers_only():
    """A street of numbers only, words on one side only, and nothing comparable at all."""
    numbers = key("Jl. 10", postal_code="40111")
    assert () == numbers.words
    assert (1.0, ("street 1.00", "postal code same")) == compare_addresses(numbers, numbers)
    other = key("Jl. 12", postal_code="40111")
    assert (0.5 * 0.5 + 0.3) / 0.8 == compare_addresses(numbers, other)[0]
    words = key("Jl. Merdeka", postal_code="40111")
    assert (0.3 / 0.8, ("street 0.00", "postal code same")) == compare_addresses(numbers, words)
    only_postal = key("Jl.", postal_code="40111")
    only_locality = key("Jl.", locality="Bandung")
    assert (0.0, ("nothing to compare",)) == compare_addresses(only_postal, only_locality)


def test_the_bound_without_other_parts():
    """Postal codes that differ, with nothing else to compare, bound the score at 0."""
    a, b = key("Jl.", postal_code="40111"), key("Jl.", postal_code="40112")
    assert 0.0 == address_bound(a, b)
    a, b = key("Merdeka", postal_code="40111"), key("Merdeka", postal_code="40112")
    assert 0.5 / 0.8 == address_bound(a, b)
