"""crmcore's phone-number normalization against ``phonenumbers`` (libphonenumber).

crmcore checks the shape of a number (a calling code in service, 7 to 15
digits) and reads national input with a small table of trunk prefixes;
libphonenumber knows every country's numbering plan. The checks:

* the calling codes and the trunk-prefix tables equal what libphonenumber's
  metadata says (so either side drifting fails here);
* every example number libphonenumber ships, for every region and number
  type, normalizes to libphonenumber's E.164 from its E.164, international,
  ``00`` and national forms, or is refused, never read as another number;
* numbers generated from the metadata's patterns (Indonesia first) and from
  crmcore's own strategy agree both ways.

The deliberate differences are listed in docs/reference_checks.md; the tests
encode exactly those.
"""

import re

import pytest
from hypothesis import assume, given
from hypothesis import strategies as st

from crmcore import ValidationError
from crmcore.customers import normalize_phone
from crmcore.customers._contact import (
    _CALLING_CODES,
    _NO_TRUNK_PREFIX,
    _OTHER_NATIONAL_FORM,
    _TRUNK_ZERO,
)
from crmcore.testing.strategies import phone_numbers

#: Number types with example numbers (libphonenumber's PhoneNumberType values).
TYPES = ("FIXED_LINE", "MOBILE", "TOLL_FREE", "PREMIUM_RATE", "SHARED_COST", "VOIP")
TYPES += ("PERSONAL_NUMBER", "PAGER", "UAN", "VOICEMAIL")
#: crmcore's shortest number (calling code and national number together).
MIN_DIGITS = 7
#: E.164's longest number.
MAX_DIGITS = 15


def e164(pn, number):
    """The E.164 form libphonenumber gives a parsed number."""
    return pn.format_number(number, pn.PhoneNumberFormat.E164)


def crm(text, code=None):
    """The number crmcore reads in ``text``, or None where crmcore refuses it."""
    try:
        return normalize_phone(text, default_country_code=code)
    except ValidationError:
        return None


def trunk_prefixes(pn):
    """Calling code -> the set of national (trunk) prefixes of its regions."""
    table = {}
    for code, regions in pn.COUNTRY_CODE_TO_REGION_CODE.items():
        prefixes = set()
        for region in regions:
            metadata = pn.PhoneMetadata.metadata_for_region_or_calling_code(code, region)
            prefixes.add(metadata.national_prefix)
        table[str(code)] = prefixes
    return table


@pytest.fixture(scope="module")
def examples(phonenumbers):
    """Every example number libphonenumber ships: (region, parsed number)."""
    pn = phonenumbers
    found = []
    for region in sorted(pn.SUPPORTED_REGIONS):
        for name in TYPES:
            number = pn.example_number_for_type(region, getattr(pn.PhoneNumberType, name))
            if number is not None:
                found.append((region, number))
    for code in pn.COUNTRY_CODES_FOR_NON_GEO_REGIONS:
        number = pn.example_number_for_non_geo_entity(code)
        if number is not None:
            found.append(("001", number))
    return found


def test_the_calling_codes_in_service_are_libphonenumbers(phonenumbers):
    """Both sides list the same calling codes (geographic and non-geographic)."""
    theirs = {str(code) for code in phonenumbers.COUNTRY_CODE_TO_REGION_CODE}
    assert set(_CALLING_CODES) == theirs


def test_the_trunk_prefix_tables_follow_the_metadata(phonenumbers):
    """No trunk prefix, trunk 0 and the rest: crmcore's two tables are exactly the metadata's."""
    table = trunk_prefixes(phonenumbers)
    no_trunk = {code for code, ps in table.items() if ps == {None}}
    others = {code for code, ps in table.items() if ps not in ({None}, {"0"})}
    # Argentina dials a trunk 0, but its national mobile form inserts 15 after the area code.
    argentina = phonenumbers.PhoneMetadata.metadata_for_region("AR")
    assert "15" in argentina.national_prefix_for_parsing
    # Without a trunk prefix, a national 0 that parsing may strip makes the input ambiguous.
    ambiguous = {
        code
        for code in no_trunk
        for region in phonenumbers.COUNTRY_CODE_TO_REGION_CODE[int(code)]
        if (
            phonenumbers.PhoneMetadata.metadata_for_region_or_calling_code(
                int(code), region
            ).national_prefix_for_parsing
            or ""
        ).startswith("0")
    }
    assert {"241"} == ambiguous
    assert set(_NO_TRUNK_PREFIX) == no_trunk - ambiguous
    assert set(_OTHER_NATIONAL_FORM) == others | {"54"} | ambiguous


def test_every_example_number_normalizes_to_libphonenumbers_e164(phonenumbers, examples):
    """International forms give the same E.164; only numbers under 7 digits are refused."""
    pn = phonenumbers
    refused = []
    for _, number in examples:
        expected = e164(pn, number)
        international = pn.format_number(number, pn.PhoneNumberFormat.INTERNATIONAL)
        for text in (expected, international, "00" + international[1:]):
            got = crm(text)
            if got is None:
                refused.append(expected)
            else:
                assert expected == got
    # The one deliberate difference: crmcore wants at least 7 digits (Iran's 4-digit UANs).
    assert refused
    assert all(len(text) - 1 < MIN_DIGITS for text in refused)
    assert all(len(e164(pn, n)) - 1 >= MIN_DIGITS or e164(pn, n) in refused for _, n in examples)


def test_national_example_numbers_are_read_right_or_refused(phonenumbers, examples):
    """A national form is never read as another number; where crmcore reads it, it is right."""
    pn = phonenumbers
    read = 0
    for region, number in examples:
        if region == "001":
            continue  # Non-geographic numbers have no national form.
        expected = e164(pn, number)
        national = pn.format_number(number, pn.PhoneNumberFormat.NATIONAL)
        code = str(number.country_code)
        got = crm(national, code)
        digits = re.sub(r"\D", "", national)
        if (
            national.lstrip("(").startswith("0")
            and code not in _OTHER_NATIONAL_FORM
            and len(expected) - 1 >= MIN_DIGITS
            and not national.lstrip("(").startswith("00")
        ):
            assert expected == got, region
            read += 1
        else:
            assert got in {None, expected}, region
        assert digits  # the national form has digits at all
    assert read > 300


def test_the_old_trunk_handling_no_longer_loses_digits():
    """Regression: a national 0 that belongs to the number is kept; other trunks are refused."""
    assert "+390212345678" == normalize_phone("02 1234 5678", default_country_code="39")
    assert "+2250123456789" == normalize_phone("01 23 45 6789", default_country_code="225")
    assert "+6281234567890" == normalize_phone("0812 3456 7890", default_country_code="62")
    for text, code in [("06 20 123 4567", "36"), ("011 15-2345-6789", "54"), ("0201555", "1")]:
        with pytest.raises(ValidationError) as info:
            normalize_phone(text, "$.value", default_country_code=code)
        assert "phone_national_form" == info.value.code
        assert "$.value" == info.value.path
    with pytest.raises(ValidationError):
        normalize_phone("+379 1234 5678")  # assigned to the Vatican, never in service


def ascii_pattern(pattern):
    """A metadata pattern whose digit class means ASCII digits only (Python's means any)."""
    return pattern.replace("\\d", "[0-9]")


def _number_of(pn, region, name, national_digits):
    """A parsed number of ``region`` with ``national_digits``, if libphonenumber calls it valid."""
    number = pn.parse(national_digits, region) if national_digits else None
    if number is None or not pn.is_valid_number_for_region(number, region):
        return None
    if pn.number_type(number) != getattr(pn.PhoneNumberType, name):
        return None
    return number


@given(st.data())
def test_indonesian_numbers_from_the_metadata_agree(phonenumbers, data):
    """Numbers drawn from Indonesia's own patterns: +62, 0062 and 08... forms all agree."""
    pn = phonenumbers
    metadata = pn.PhoneMetadata.metadata_for_region("ID")
    name = data.draw(st.sampled_from(["MOBILE", "FIXED_LINE"]))
    description = metadata.mobile if name == "MOBILE" else metadata.fixed_line
    nsn = data.draw(
        st.from_regex(ascii_pattern(description.national_number_pattern), fullmatch=True)
    )
    number = _number_of(pn, "ID", name, nsn)
    assume(number is not None)
    expected = e164(pn, number)
    separator = data.draw(st.sampled_from(["", " ", "-", "."]))
    spaced = separator.join(nsn[i : i + 4] for i in range(0, len(nsn), 4))
    assert expected == "+62" + nsn
    assert expected == normalize_phone("+62 " + spaced)
    assert expected == normalize_phone("0062" + separator + spaced)
    assert expected == normalize_phone("0" + spaced, default_country_code="62")
    national = pn.format_number(number, pn.PhoneNumberFormat.NATIONAL)
    assert expected == normalize_phone(national, default_country_code="62")
    # libphonenumber reads crmcore's national input the same way.
    assert expected == e164(pn, pn.parse("0" + spaced, "ID"))


@given(st.data())
def test_numbers_of_any_region_from_the_metadata_agree(phonenumbers, data):
    """Valid numbers drawn from any region's patterns normalize to libphonenumber's E.164."""
    pn = phonenumbers
    region = data.draw(st.sampled_from(sorted(pn.SUPPORTED_REGIONS)))
    metadata = pn.PhoneMetadata.metadata_for_region(region)
    name = data.draw(st.sampled_from(["MOBILE", "FIXED_LINE"]))
    description = metadata.mobile if name == "MOBILE" else metadata.fixed_line
    assume(description is not None and description.national_number_pattern is not None)
    nsn = data.draw(
        st.from_regex(ascii_pattern(description.national_number_pattern), fullmatch=True)
    )
    number = _number_of(pn, region, name, nsn)
    assume(number is not None)
    expected = e164(pn, number)
    assume(len(expected) - 1 >= MIN_DIGITS)
    if len(expected) - 1 > MAX_DIGITS:
        # Documented: E.164 caps numbers at 15 digits; libphonenumber's German plan goes past.
        assert crm(expected) is None
        return
    assert expected == normalize_phone(pn.format_number(number, pn.PhoneNumberFormat.INTERNATIONAL))
    national = pn.format_number(number, pn.PhoneNumberFormat.NATIONAL)
    assert normalize_phone(expected) == expected
    got = crm(national, str(number.country_code))
    if got not in {None, expected}:
        # Documented: 00 always reads as the international prefix (Tajikistan has 00
        # numbers), and a trunk-0 country's own numbers may start with 0 (Rwanda's 06...).
        assert national.startswith("00") or (
            number.italian_leading_zero and str(number.country_code) not in _NO_TRUNK_PREFIX
        )


@given(phone_numbers())
def test_crmcores_numbers_read_the_same_in_libphonenumber(phonenumbers, number):
    """What crmcore's strategy draws parses in libphonenumber to the same calling code and E.164."""
    pn = phonenumbers
    try:
        parsed = pn.parse(number, None)
    except pn.NumberParseException:
        # Only a national number libphonenumber finds too short or too long is refused.
        assume(False)
    assert str(parsed.country_code) in _CALLING_CODES
    # Documented: libphonenumber drops a 0 written after the calling code where it takes
    # it for a trunk prefix (+358 010000), and miscounts several leading zeros; crmcore
    # keeps what it was given.
    national = number[1 + len(str(parsed.country_code)) :]
    assume(not national.startswith("0"))
    assert number.startswith("+" + str(parsed.country_code))
    theirs = e164(pn, parsed)
    if number != theirs:
        # libphonenumber also drops another trunk prefix (1 in zone 1, 8 in Lithuania).
        region = pn.region_code_for_country_code(parsed.country_code)
        metadata = pn.PhoneMetadata.metadata_for_region_or_calling_code(parsed.country_code, region)
        trunk = re.match(metadata.national_prefix_for_parsing or "(?!)", national)
        assert trunk is not None
        assert theirs.endswith(national[trunk.end() :])


@given(st.sampled_from(["\u0660", "\u06f0", "\uff10", "\u0966"]))
def test_digits_other_than_ascii_are_refused_though_libphonenumber_reads_them(phonenumbers, zero):
    """Deliberate: crmcore takes ASCII digits only; libphonenumber folds other scripts' digits."""
    pn = phonenumbers
    text = "+62 812 3456 789" + zero
    assert "+628123456789" + "0" == e164(pn, pn.parse(text, None))
    with pytest.raises(ValidationError):
        normalize_phone(text)


def test_a_zero_after_the_calling_code_is_kept_unless_in_parentheses(phonenumbers):
    """Deliberate: only ``(0)`` is dropped; libphonenumber drops a bare 0 as a trunk prefix too."""
    pn = phonenumbers
    assert "+442079460958" == normalize_phone("+44 (0)20 7946 0958")
    assert "+442079460958" == e164(pn, pn.parse("+44 (0)20 7946 0958", None))
    assert "+6281234567890" == e164(pn, pn.parse("+62 0812 3456 7890", None))
    assert "+62081234567890" == normalize_phone("+62 0812 3456 7890")


def test_a_zero_in_parentheses_is_dropped_only_as_a_trunk_0(phonenumbers, examples):
    """Regression: "+39 (0)2 ..." lost Milan's 0, "+62 812 (0)3 ..." lost a digit mid-number.

    ``(0)`` right after the calling code is dropped where the metadata's trunk
    prefix is ``0`` (the number is then the example itself) and read as the
    digit 0 elsewhere, as libphonenumber reads it; mid-number it is always a digit.
    """
    pn = phonenumbers
    table = trunk_prefixes(pn)
    assert {code for code, prefixes in table.items() if prefixes == {"0"}} == set(_TRUNK_ZERO)
    dropped = kept = 0
    for region, number in examples:
        expected = e164(pn, number)
        if region == "001" or len(expected) - 1 < MIN_DIGITS:
            continue
        code = str(number.country_code)
        nsn = pn.national_significant_number(number)
        for text in (f"+{code} (0){nsn}", f"00{code} (0) {nsn}"):
            got = crm(text)
            if code in _TRUNK_ZERO:
                assert expected == got, text
                dropped += 1
            elif len(code + nsn) < MAX_DIGITS:
                assert f"+{code}0{nsn}" == got, text
                theirs = e164(pn, pn.parse("+" + text.removeprefix("00"), None))
                # Documented: libphonenumber also drops Belarus's 0 (its parsing prefix 0|80?).
                assert theirs == got or code == "375", text
                kept += 1
        middle = f"+{code} {nsn[:2]} (0){nsn[2:]}"
        assert crm(middle) in {None, f"+{code}{nsn[:2]}0{nsn[2:]}"}, middle
    assert dropped > 1000
    assert kept > 1000
