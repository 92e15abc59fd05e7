"""Tests for `crmcore.customers._contact`."""

import pytest

from crmcore import ContactPoint, InvalidType, ValidationError
from crmcore.customers import Channel, normalize_email, normalize_phone


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("  Ana.Putri@Example.CO.ID ", "ana.putri@example.co.id"),
        ("o'brien+news@mail.example.com", "o'brien+news@mail.example.com"),
        ("budi@bücher.de", "budi@xn--bcher-kva.de"),
        ("x@a-b.io", "x@a-b.io"),
    ],
)
def test_valid_emails_are_normalized(raw, expected):
    """Trimmed, lower-cased, IDNA domains."""
    assert expected == normalize_email(raw)


@pytest.mark.parametrize(
    "raw",
    [
        "",
        "plain",
        "a@b",
        "a@@b.com",
        "a@b..com",
        ".a@b.com",
        "a.@b.com",
        "a..b@c.com",
        "a b@c.com",
        '"quoted"@example.com',
        "a@[127.0.0.1]",
        "a@-b.com",
        "a@b.123",
        "x" * 65 + "@example.com",
        "a@" + "b" * 64 + ".com",
    ],
)
def test_invalid_emails_are_refused_without_echoing_the_value(raw):
    """Every malformed address fails with a rule that does not repeat it."""
    with pytest.raises(ValidationError) as info:
        normalize_email(raw, "$.value")
    assert "$.value" == info.value.path
    if raw:
        assert raw not in str(info.value)


@pytest.mark.parametrize(
    ("raw", "kwargs", "expected"),
    [
        ("+62 812-3456-7890", {}, "+6281234567890"),
        ("0062 812 3456 7890", {}, "+6281234567890"),
        ("(0812) 3456.7890", {"default_country_code": "62"}, "+6281234567890"),
        ("+1 (415) 555-2671", {}, "+14155552671"),
        ("+44 20 7946 0958", {}, "+442079460958"),
    ],
)
def test_phone_numbers_are_normalized_to_e164(raw, kwargs, expected):
    """International, 00-prefixed and national input all end in E.164."""
    assert expected == normalize_phone(raw, **kwargs)


@pytest.mark.parametrize(
    "raw",
    [
        "0812 3456 7890",  # national without a default country
        "+0 123 456 789",
        "+999 1234 5678",  # unassigned calling code
        "+62 12",  # too short
        "+62 1234567890123456",  # more than 15 digits
        "+62 812 CALL NOW",
        "+\uff16\uff12\uff18\uff11\uff12\uff13\uff14\uff15\uff16\uff17\uff18",  # full-width digits
        "",
    ],
)
def test_invalid_phone_numbers_are_refused(raw):
    """Numbers that cannot be E.164 fail with the phone rule."""
    with pytest.raises(ValidationError) as info:
        normalize_phone(raw, "$.value")
    assert "$.value" == info.value.path


def test_default_country_code_must_be_a_calling_code():
    """An unknown default country code is named as the culprit."""
    with pytest.raises(ValidationError) as info:
        normalize_phone("0812 3456 7890", default_country_code="999")
    assert "$.default_country_code" == info.value.path


def test_contact_point_normalizes_per_channel():
    """Email lower-cased, phones E.164, social as network:handle."""
    assert "ana@example.com" == ContactPoint("email", "Ana@Example.com").value
    assert "+6281234567890" == ContactPoint(Channel.SMS, "+62 812 3456 7890").value
    assert "instagram:@Toko.Kita" == ContactPoint("social", "Instagram:@Toko.Kita").value
    assert "Jl. Merdeka 1\nBandung" == ContactPoint("postal", " Jl. Merdeka 1\nBandung ").value


@pytest.mark.parametrize(
    ("channel", "value"),
    [("social", "no-network"), ("social", "x: spaced handle"), ("web", ""), ("email", "nope")],
)
def test_contact_point_values_are_validated(channel, value):
    """A bad value for its channel is refused at $.value."""
    with pytest.raises(ValidationError) as info:
        ContactPoint(channel, value)
    assert "$.value" == info.value.path


def test_unknown_channel_lists_the_choices():
    """The rule names the allowed channels."""
    with pytest.raises(ValidationError) as info:
        ContactPoint("pigeon", "x")
    assert "$.channel" == info.value.path
    assert "whatsapp" in info.value.rule


def test_flags_must_be_real_booleans():
    """1 or "yes" is not a bool."""
    with pytest.raises(InvalidType) as info:
        ContactPoint("email", "a@example.com", primary=1)  # type: ignore[arg-type]
    assert "$.primary" == info.value.path


def test_phone_constructor_accepts_national_numbers_and_only_phone_channels():
    """ContactPoint.phone takes a default country code and refuses non-phone channels."""
    point = ContactPoint.phone("0812 3456 7890", channel="whatsapp", default_country_code="62")
    assert (Channel.WHATSAPP, "+6281234567890") == point.key
    with pytest.raises(ValidationError):
        ContactPoint.phone("+6281234567890", channel="email")


def test_repr_hides_the_value():
    """The address never shows in the repr; nor does the label, which is free text."""
    point = ContactPoint("email", "secret.person@example.com", label="work")
    assert "secret" not in repr(point)
    assert "label=<redacted>" in repr(point)
    assert "work" not in repr(point)


@pytest.mark.parametrize("code", [True, 62, "", "999", "٦٢", ["62"]])
def test_a_default_country_code_that_is_no_calling_code_is_refused(code):
    """D02: the code is checked before it is used (a bool raised AttributeError)."""
    with pytest.raises(ValidationError) as info:
        ContactPoint.phone("0812 3456 7890", default_country_code=code)
    assert "$.default_country_code" == info.value.path
    with pytest.raises(ValidationError):
        normalize_phone("+62 812 3456 7890", default_country_code=code)


@pytest.mark.parametrize("path", [None, 3, "email", "$" + "x" * 300, "$.a\x00"])
def test_normalizers_refuse_a_path_that_is_not_one(path):
    """A caller-chosen error path must look like one, so every error names a real path."""
    with pytest.raises(ValidationError) as info:
        normalize_email("ana@example.com", path)
    assert "$.path" == info.value.path
    with pytest.raises(ValidationError):
        normalize_phone("+62 812 3456 7890", path)


def test_a_contact_point_label_never_shows_in_the_repr():
    """Labels are free text that may name a person."""
    point = ContactPoint("email", "ana@example.com", label="Zqxmarker's office")
    assert "Zqxmarker" not in repr(point)
