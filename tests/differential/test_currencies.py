"""crmcore's ISO 4217 table against pycountry (codes, names) and Babel (minor units).

pycountry ships ISO 4217's codes and English names (from Debian's iso-codes)
but no minor units; Babel ships CLDR's currency digits, which follow ISO 4217
except where CLDR records the digits people actually use. So codes and names
are checked against pycountry, minor units against Babel, and every
difference is one of those listed in docs/reference_checks.md.
"""

import re
import unicodedata
from datetime import date
from decimal import Decimal

import pytest
from hypothesis import given

from crmcore import Currency, Money, ValidationError, currency
from crmcore._kernel._currencies import CURRENCIES, WITHDRAWN
from crmcore.serialization import from_dict
from crmcore.testing.strategies import currency_codes

from .conftest import reference

#: ISO 4217 codes without a minor unit (N.A.): metals, bond units, SDR, test and "no currency".
NO_MINOR_UNIT = {"XAD", "XAG", "XAU", "XBA", "XBB", "XBC", "XBD", "XDR", "XPD", "XPT", "XSU"}
NO_MINOR_UNIT |= {"XTS", "XUA", "XXX"}
#: Where CLDR's digits (Babel) depart from ISO 4217's minor unit: code -> (ISO, CLDR).
CLDR_DIGITS = dict.fromkeys(
    ("AFN", "ALL", "COP", "HUF", "IDR", "IRR", "KPW", "LAK", "LBP", "MGA", "MMK"), (2, 0)
)
CLDR_DIGITS |= {"SOS": (2, 0), "SYP": (2, 0), "YER": (2, 0), "IQD": (3, 0)}
#: Names crmcore spells differently from ISO beyond folding to ASCII.
RENAMED = {"UYI": "Uruguay Peso en Unidades Indexadas (UI)"}


def ascii_name(name):
    """``name`` folded to ASCII the way crmcore's table spells names."""
    name = name.replace("\u2019", "'")
    decomposed = unicodedata.normalize("NFKD", name)
    return "".join(ch for ch in decomposed if not unicodedata.combining(ch))


def test_the_codes_are_iso_4217s_codes_with_a_minor_unit(pycountry):
    """Every active ISO code with a minor unit, and nothing else."""
    iso = {entry.alpha_3 for entry in pycountry.currencies}
    assert NO_MINOR_UNIT <= iso
    assert set(CURRENCIES) == iso - NO_MINOR_UNIT


def test_the_names_are_isos_in_ascii(pycountry):
    """ISO's English names, folded to ASCII; UYI keeps its older name."""
    differ = {}
    for entry in pycountry.currencies:
        if entry.alpha_3 in CURRENCIES and CURRENCIES[entry.alpha_3][1] != ascii_name(entry.name):
            differ[entry.alpha_3] = entry.name
    assert RENAMED == differ
    assert all(name.isascii() for _, name in CURRENCIES.values())


def test_the_minor_units_are_cldrs_digits_but_for_the_listed_ones(babel_numbers):
    """Babel agrees on every minor unit except CLDR's documented departures from ISO."""
    differ = {
        code: (minor, babel_numbers.get_currency_precision(code))
        for code, (minor, _) in CURRENCIES.items()
        if babel_numbers.get_currency_precision(code) != minor
    }
    assert CLDR_DIGITS == differ


def test_withdrawn_codes_have_left_the_table(babel_numbers):
    """Regression: BGN (Bulgaria: euro only after January 2026) and CUC are no longer accepted."""
    bulgaria = babel_numbers.get_territory_currencies("BG", date(2026, 3, 1))
    assert ["EUR"] == bulgaria
    assert "CUC" not in babel_numbers.get_territory_currencies("CU", date(2026, 3, 1))
    assert not {"BGN", "CUC"} & set(CURRENCIES)


@given(currency_codes())
def test_every_code_drawn_is_an_iso_currency_both_libraries_know(pycountry, babel_numbers, code):
    """The strategy's codes are ISO codes with a numeric code and a CLDR entry."""
    entry = pycountry.currencies.get(alpha_3=code)
    assert entry is not None
    assert entry.numeric.isdigit()
    assert babel_numbers.is_currency(code)
    assert currency(code).minor_unit == CLDR_DIGITS.get(code, (CURRENCIES[code][0],))[0]


def test_a_missing_reference_skips_locally_and_fails_in_ci(monkeypatch):
    """The fixtures' rule: a skip without the library, a failure under CI."""
    monkeypatch.delenv("CI", raising=False)
    with pytest.raises(pytest.skip.Exception):
        reference("crmcore_no_such_module", "no-such")
    monkeypatch.setenv("CI", "true")
    with pytest.raises(pytest.fail.Exception):
        reference("crmcore_no_such_module", "no-such")


def test_the_withdrawn_codes_name_what_replaced_them(pycountry, babel_numbers):
    """BGN and CUC: out of ISO's active list, and their texts name the currency Babel says is used."""
    active = {entry.alpha_3 for entry in pycountry.currencies}
    assert {"BGN", "CUC"} == set(WITHDRAWN)
    assert not set(WITHDRAWN) & (active | set(CURRENCIES))
    in_use = {"BGN": ("BG", "EUR"), "CUC": ("CU", "CUP")}
    for code, text in WITHDRAWN.items():
        territory, successor = in_use[code]
        assert babel_numbers.is_currency(code)  # a real code once, not a typo
        assert successor in babel_numbers.get_territory_currencies(territory, date(2026, 3, 1))
        assert successor in CURRENCIES
        assert successor in re.findall(r"[A-Z]{3}", text)
        assert text.startswith(code + " was withdrawn")


@pytest.mark.parametrize("code", ["BGN", "CUC"])
def test_stored_documents_in_a_withdrawn_currency_fail_with_the_path(code):
    """Loading an amount or a currency record in BGN/CUC: a ValidationError at the field, no KeyError."""
    with pytest.raises(ValidationError) as info:
        from_dict(Money, {"amount": "12.50", "currency": code, "schema_version": 2})
    assert ["$.currency"] == [problem.path for problem in info.value.problems]
    assert "currency" == info.value.code
    record = {"code": code, "minor_unit": 2, "name": "Lev", "schema_version": 2}
    with pytest.raises(ValidationError) as info:
        from_dict(Currency, record)
    assert ["$.code"] == [problem.path for problem in info.value.problems]


@pytest.mark.parametrize(
    ("code", "amount", "rounded"),
    [
        ("BOV", "10.005", "10.00"),  # half-even, 2 places
        ("CHE", "10.015", "10.02"),
        ("CHW", "0.125", "0.12"),
        ("COU", "99.995", "100.00"),
        ("MXV", "1.2345", "1.23"),
        ("USN", "-3.335", "-3.34"),
        ("CLF", "1.23455", "1.2346"),  # 4 places
    ],
)
def test_the_added_fund_codes_round_to_their_minor_unit(code, amount, rounded):
    """Money rounds the added fund codes to ISO's minor unit (worked by hand, half-even)."""
    assert Money(rounded, code) == Money(amount, code).rounded()
    assert len(rounded.partition(".")[2]) == currency(code).minor_unit


def test_a_withdrawn_code_says_what_replaced_it():
    """Money in BGN or CUC is refused (code ``currency``) with the conversion the table states."""
    for code, successor in (("BGN", "EUR"), ("cuc", "CUP")):
        with pytest.raises(ValidationError) as caught:
            Money(Decimal(1), code)
        assert "currency" == caught.value.code
        assert "$.currency" == caught.value.path
        assert "withdrawn" in str(caught.value)
        assert successor in str(caught.value)
    with pytest.raises(ValidationError) as caught:
        Money(Decimal(1), "QQQ")
    assert "withdrawn" not in str(caught.value)
