"""Tests for `crmcore.customers._party`."""

from datetime import UTC, date, datetime, timedelta, timezone
from decimal import Decimal

import pytest

from crmcore import InvalidType, OrganizationName, PersonName, ValidationError
from crmcore.customers import PostalAddress, Profile


def test_single_names_are_allowed():
    """Many people have one name only."""
    name = PersonName("Sukarno")
    assert ("Sukarno", "Sukarno", None) == (name.full, name.greeting, name.family)


def test_names_are_trimmed_folded_and_nfc_normalized():
    """Inner runs of spaces fold to one; decomposed accents compose."""
    name = PersonName("  Ana   Maria ", family="Jose\u0301")
    assert "Ana Maria" == name.given
    assert "Jos\u00e9" == name.family
    assert "Ana Maria Jos\u00e9" == name.full


@pytest.mark.parametrize("bad", ["", "   ", "Ana\nPutri", "Ana\u200bPutri", "A\x00", "x" * 201])
def test_bad_names_are_refused(bad):
    """Empty, control or invisible characters, or too long."""
    with pytest.raises(ValidationError) as info:
        PersonName(bad)
    assert "$.given" == info.value.path
    assert bad.strip() == "" or bad not in str(info.value)


def test_preferred_name_is_used_for_greeting():
    """Greet people by the name they prefer."""
    assert "Ayu" == PersonName("Rahayu", family="Lestari", preferred="Ayu").greeting
    assert "Sinar Jaya" == OrganizationName("PT Sinar Jaya", trading="Sinar Jaya").greeting
    assert "PT Sinar Jaya" == OrganizationName("PT Sinar Jaya").full


def test_reprs_hide_names_and_addresses():
    """Personal data never shows in a repr."""
    assert "Putri" not in repr(PersonName("Ana", family="Putri"))
    assert "Sinar" not in repr(OrganizationName("PT Sinar"))
    address = PostalAddress(lines=["Jl. Rahasia 7"], country="ID", locality="Bogor")
    assert "Rahasia" not in repr(address)
    assert "Bogor" not in repr(address)


def test_address_validation_and_one_line():
    """Country codes are ISO 3166-1 alpha-2; one_line joins the parts."""
    address = PostalAddress(
        lines=["Jl. Merdeka No. 10", "RT 01/RW 02"],
        locality="Bandung",
        region="Jawa Barat",
        postal_code="40111",
        country="id",
    )
    assert "Jl. Merdeka No. 10, RT 01/RW 02, Bandung, Jawa Barat, 40111, ID" == address.one_line()
    with pytest.raises(ValidationError) as info:
        PostalAddress(lines=["x"], country="XX")
    assert "$.country" == info.value.path
    with pytest.raises(ValidationError) as info:
        PostalAddress(lines=[], country="ID")
    assert "$.lines" == info.value.path
    with pytest.raises(ValidationError) as info:
        PostalAddress(lines=["ok", "bad\x07"], country="ID")
    assert "$.lines[1]" == info.value.path
    with pytest.raises(InvalidType):
        PostalAddress(lines="Jl. Merdeka", country="ID")


def test_profile_attributes_are_typed_scalars():
    """str, int, bool, Decimal, date and aware datetime are accepted; floats are not."""
    at = datetime(2026, 1, 1, tzinfo=UTC)
    profile = Profile(
        name=PersonName("Ana"),
        attributes={"n": 1, "ok": True, "score": Decimal("1.5"), "d": date(2020, 1, 1), "t": at},
    )
    assert ["d", "n", "ok", "score", "t"] == list(profile.attributes)
    with pytest.raises(InvalidType) as info:
        Profile(name=PersonName("Ana"), attributes={"score": 1.5})
    assert ("$.attributes.score", "float") == (info.value.path, info.value.code)
    with pytest.raises(ValidationError) as info:
        Profile(name=PersonName("Ana"), attributes={"Bad Key": 1})
    assert "$.attributes" == info.value.path
    with pytest.raises(ValidationError):
        Profile(name=PersonName("Ana"), attributes={"t": datetime(2026, 1, 1)})  # noqa: DTZ001
    with pytest.raises(ValidationError):
        Profile(name=PersonName("Ana"), attributes={f"k{i}": i for i in range(101)})


@pytest.mark.parametrize("tag", ["id", "en-GB", "zh-Hant-TW", "es-419"])
def test_language_tags(tag):
    """Common BCP 47 shapes are accepted."""
    assert tag == Profile(name=PersonName("Ana"), preferred_language=tag).preferred_language


@pytest.mark.parametrize("tag", ["", "english", "EN", "en_GB", "e"])
def test_bad_language_tags(tag):
    """Anything else is refused at $.preferred_language."""
    with pytest.raises(ValidationError) as info:
        Profile(name=PersonName("Ana"), preferred_language=tag)
    assert "$.preferred_language" == info.value.path


def test_profile_refuses_duplicate_addresses():
    """The same address twice is named by its index."""
    home = PostalAddress(lines=["Jl. A"], country="ID")
    with pytest.raises(ValidationError) as info:
        Profile(name=PersonName("Ana"), addresses=[home, home])
    assert "$.addresses[1]" == info.value.path


def test_fixed_offset_datetimes_are_aware():
    """A fixed offset counts as timezone-aware."""
    at = datetime(2026, 1, 1, tzinfo=timezone(timedelta(hours=7)))
    assert at == Profile(name=PersonName("Ana"), attributes={"t": at}).attributes["t"]


def test_address_reprs_show_the_country_only():
    """Lines, locality (the city), region, postal code and label may identify a person."""
    address = PostalAddress(
        ["Jl. Zqxmarker 1"],
        "ID",
        locality="Zqxcity",
        region="Zqxregion",
        postal_code="40111",
        label="Zqxlabel",
    )
    assert "PostalAddress(country='ID', <redacted>)" == repr(address)


def test_attribute_values_never_show_in_reprs():
    """Custom attribute values are the business's data about a person: keys only in reprs."""
    profile = Profile(name=PersonName("Ana"), attributes={"note": "Zqxmarker", "store": "BDG"})
    assert "Zqxmarker" not in repr(profile)
    assert "Zqxmarker" not in repr(profile.attributes)
    assert "Zqxmarker" not in repr(profile.attributes.set("other", "Zqxmarker2"))
    assert {"note": "Zqxmarker", "store": "BDG"} == dict(profile.attributes)
