"""Review of the phone and email normalization changed for issue 21: what crmcore's users type.

Hand-worked cases for Indonesian input (crmcore's main users) and for the
``(0)`` a number may carry after its calling code; the duplicate keys the
parties matching builds from them; and error messages that never repeat the
value they refuse (a phone number or an email address is personal data).
"""

import string

import pytest
from hypothesis import given
from hypothesis import strategies as st

from crmcore import InvalidType, ValidationError
from crmcore.customers import ContactPoint, CustomerId, PersonName, normalize_email, normalize_phone
from crmcore.parties import PartyRecord, match_pair
from crmcore.testing.strategies import email_addresses, phone_numbers

#: Budi's mobile and the Jakarta office line, in E.164 (worked out by hand: +62, no trunk 0).
MOBILE = "+6281234567890"
JAKARTA = "+62215551234"


@pytest.mark.parametrize(
    ("text", "code", "expected"),
    [
        ("0812-3456-7890", "62", MOBILE),
        ("0812 3456 7890", "62", MOBILE),
        ("(0812) 3456 7890", "62", MOBILE),
        ("(0)812 3456 7890", "62", MOBILE),  # regression: refused after the (0) change
        ("+62 812-3456-7890", None, MOBILE),
        ("+62-812-3456-7890", "62", MOBILE),
        ("+6281234567890", None, MOBILE),
        ("0062 812 3456 7890", None, MOBILE),
        ("+62 (0)812 3456 7890", None, MOBILE),
        ("+62(0)812-3456-7890", None, MOBILE),
        ("0062 (0)812 3456 7890", None, MOBILE),
        ("(021) 555-1234", "62", JAKARTA),
        ("021 555 1234", "62", JAKARTA),
        ("(0)21 555 1234", "62", JAKARTA),  # regression: refused after the (0) change
        ("+62 (0)21 555 1234", None, JAKARTA),
        ("+62 21 5551234", None, JAKARTA),
    ],
)
def test_indonesian_input_reads_as_the_number_meant(text, code, expected):
    """Every way Indonesian customers write a number gives one E.164 form."""
    assert expected == normalize_phone(text, default_country_code=code)
    assert expected == ContactPoint.phone(text, default_country_code=code).value


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        # No trunk prefix: the 0 belongs to the number (Milan 02, Rome 06, Abidjan 01).
        ("+39 (0)2 1234 5678", "+390212345678"),
        ("+39 (0)6 6981 2345", "+390669812345"),
        ("+225 (0)1 23 45 6789", "+2250123456789"),
        # Trunk 0: the (0) is the prefix dialled at home only.
        ("+44 (0)20 7946 0958", "+442079460958"),
        ("+49 (0)30 123456", "+4930123456"),
        ("+54 (0)11 1234 5678", "+541112345678"),
        # Not after the calling code: a digit like any other.
        ("+62 812 (0)3456 7890", "+62812034567890"),
        ("+62 21 (0) 5551234", "+622105551234"),
    ],
)
def test_a_zero_in_parentheses_is_dropped_only_as_a_trunk_prefix(text, expected):
    """Regression: "+39 (0)2 ..." lost Milan's 0 and "(0)" lost a digit mid-number."""
    assert expected == normalize_phone(text)


def test_national_input_keeps_a_zero_in_parentheses_as_the_trunk():
    """Italy keeps its 0 in national input as in international; "021 (0) 555" keeps the digit."""
    assert "+390212345678" == normalize_phone("(0)2 1234 5678", default_country_code="39")
    assert "+622105551234" == normalize_phone("021 (0) 555 1234", default_country_code="62")


@pytest.mark.parametrize(
    ("text", "code"),
    [
        ("6281234567890", None),  # WhatsApp export: digits without the +
        ("6281234567890", "62"),  # not read as a national number either
        ("62812-3456-7890", "62"),
        ("+62 812 3456 7890 ext. 12", None),  # E.164 has no extensions
        ("+62 812 3456 7890 x12", None),
        ("+62 812 3456 7890;ext=12", None),
        ("wa.me/6281234567890", None),
    ],
)
def test_forms_crmcore_cannot_read_safely_are_refused(text, code):
    """Refused with the rule and the path, never read as another number."""
    with pytest.raises(ValidationError) as info:
        normalize_phone(text, "$.phones[0]", default_country_code=code)
    assert "phone" == info.value.code
    assert "$.phones[0]" == info.value.path


def _record(key, text, code=None):
    return PartyRecord.from_parts(
        CustomerId(key),
        name=PersonName("Budi", family="Santoso"),
        contact_points=[ContactPoint.phone(text, default_country_code=code)],
    )


@pytest.mark.parametrize(
    ("text", "code"),
    [("0812-3456-7890", "62"), ("+62 (0)812 3456 7890", None), ("(0)812 3456 7890", "62")],
)
def test_duplicate_matching_finds_the_same_number_written_two_ways(text, code):
    """The parties matching compares phone keys: the national and (0) forms meet the E.164 one."""
    a = _record("c-1", "+62 812 3456 7890")
    b = _record("c-2", text, code)
    assert a.phones == b.phones == (MOBILE,)
    candidate = match_pair(a, b)
    assert candidate is not None
    assert "phone" in candidate.explain()


#: The messages crmcore's contact checks give: fixed texts, whatever the value.
MESSAGES = {
    "must be a phone number in international form, such as +62 812 3456 7890",
    "must be in international form (+ and the calling code) for this calling code",
    "must be an email address such as name@example.com",
    "must be at most 254 characters",
}
#: Characters phone numbers and email addresses are made of, and some that break them.
NOISE = string.digits + string.ascii_letters + "+()-. @_" + "ßä٣\u00ad"


def _message(call, text, code=None):
    with pytest.raises((ValidationError, InvalidType)) as info:
        call(text, "$.value") if code is None else call(text, "$.value", default_country_code=code)
    return str(info.value)


@given(
    st.one_of(phone_numbers(), email_addresses()),
    st.text(NOISE, min_size=1, max_size=12),
    st.sampled_from([None, "62", "39", "1"]),
)
def test_refusals_never_repeat_the_value(value, junk, code):
    """A refused phone number or address is not in the message: only the path and the rule."""
    text = value + junk + "@@"  # two @ and letters: no phone number, no email address
    for call, key in ((normalize_phone, code), (normalize_email, None)):
        message = _message(call, text, key)
        assert message.startswith("$.value: ")
        assert message.removeprefix("$.value: ") in MESSAGES
        assert value not in message


@pytest.mark.parametrize(
    ("text", "code"),
    [("0812 3456 7890", "1"), ("0812 3456 7890", "7"), ("0612 3456 789", "36")],
)
def test_the_national_form_refusal_names_no_number(text, code):
    """The phone_national_form refusal says what to do, not which number it refused."""
    message = _message(normalize_phone, text, code)
    rule = "must be in international form (+ and the calling code) for this calling code"
    assert f"$.value: {rule}" == message
    assert "3456" not in message


@given(phone_numbers())
def test_every_drawn_number_survives_the_new_rules(number):
    """The shipped strategy draws only numbers the rules accept, unchanged (+379 is gone)."""
    assert number == normalize_phone(number)
    assert not number.startswith("+379")


@given(email_addresses())
def test_every_drawn_address_survives_the_new_rules(address):
    """The shipped strategy draws only addresses the IDNA 2008 refusals accept, unchanged."""
    assert address == normalize_email(address)
