"""Hypothesis strategies for crmcore's public types.

One strategy per type, named in the plural (``customers()``, ``moneys()``,
``contact_points()``, ...). Every value drawn is valid: strategies build values
constructively instead of filtering, so Hypothesis' health checks pass and no
draw is wasted. Text is NFC-normalized and already in the form crmcore stores
it in (trimmed, lower-cased emails, E.164 phone numbers, case-folded tags), so
a value survives a trip through its constructor or :mod:`crmcore.serialization`
unchanged. Names mix real names (Indonesian ones among them, accented and
non-Latin ones) with generated Unicode letters, never control characters.

Options are keyword-only and validated when the strategy is created, not when
it is drawn from: bad bounds raise :class:`~crmcore.ValidationError` (or
:class:`~crmcore.InvalidType` for a wrong type) naming the argument.

>>> from hypothesis import given, settings
>>> from crmcore import Customer
>>> from crmcore.serialization import from_dict, to_dict
>>> @settings(max_examples=5, deadline=None, database=None)
... @given(customers(max_contact_points=2))
... def check_round_trip(customer):
...     assert from_dict(Customer, to_dict(customer)) == customer
>>> check_round_trip()
>>> moneys(currencies=["IDR"], min_value=10, max_value=1)
Traceback (most recent call last):
...
crmcore.errors.ValidationError: $.max_value: must not be less than min_value
"""

from __future__ import annotations

import functools
import string
import unicodedata
from collections.abc import Callable, Iterable
from datetime import UTC, date, datetime, timedelta, timezone
from decimal import ROUND_CEILING, ROUND_FLOOR, Decimal, localcontext
from enum import StrEnum
from typing import Any, Final, TypeVar

import attrs
from dateutil.relativedelta import relativedelta
from hypothesis import strategies as st

from crmcore.errors import InvalidType, ValidationError
from crmcore.model import (
    COUNTRY_CODES,
    AddressAdded,
    AddressRemoved,
    AttributeRemoved,
    AttributeSet,
    AttributeValue,
    BirthDateChanged,
    Channel,
    ConsentGiven,
    ConsentRecord,
    ConsentStatus,
    ConsentWithdrawn,
    ContactPoint,
    ContactPointAdded,
    ContactPointRemoved,
    ContactPointVerified,
    Currency,
    Customer,
    CustomerId,
    CustomerRegistered,
    DomainEvent,
    LegalBasis,
    Money,
    NameChanged,
    OrganizationName,
    PartyKind,
    PersonName,
    PostalAddress,
    PreferredLanguageChanged,
    PrimaryContactPointChanged,
    Profile,
    Purpose,
    SeededIdSource,
    SequentialIdSource,
    TagAdded,
    TagRemoved,
    currency,
)
from crmcore.model._checks import enum_converter, require_aware, to_decimal, tuple_of, type_name
from crmcore.model._contact import _CALLING_CODES
from crmcore.model._currencies import CURRENCIES
from crmcore.model._customer import MAX_AGE_YEARS, MAX_CONTACT_POINTS, MAX_TAGS

__all__ = [
    "attribute_keys",
    "attribute_values",
    "aware_datetimes",
    "birth_dates",
    "consent_records",
    "contact_points",
    "currencies",
    "currency_codes",
    "customer_ids",
    "customers",
    "domain_events",
    "email_addresses",
    "id_sources",
    "language_tags",
    "moneys",
    "organization_names",
    "person_names",
    "phone_numbers",
    "postal_addresses",
    "profiles",
    "tags",
]

_T = TypeVar("_T")
_E = TypeVar("_E", bound=StrEnum)

#: Earliest instant :func:`aware_datetimes` draws by default.
_DEFAULT_MIN_DATETIME: Final = datetime(2000, 1, 1, tzinfo=UTC)
#: Latest instant :func:`aware_datetimes` draws by default.
_DEFAULT_MAX_DATETIME: Final = datetime(2099, 12, 31, 23, 59, 59, 999_999, tzinfo=UTC)
#: Default bounds of :func:`birth_dates`: valid at any default :func:`aware_datetimes` time.
_DEFAULT_MIN_BIRTH_DATE: Final = date(1950, 1, 1)
_DEFAULT_MAX_BIRTH_DATE: Final = date(1999, 12, 31)
#: Default bound of :func:`moneys`: amounts lie within plus or minus this.
_DEFAULT_MAX_AMOUNT: Final = Decimal(10) ** 15
#: Largest bound :func:`moneys` accepts: amounts stay well inside Decimal's 28 digits.
_MAX_AMOUNT_BOUND: Final = Decimal(10) ** 18
#: Most decimal places :func:`moneys` accepts for ``places``.
_MAX_PLACES: Final = 8

# Real UTC offsets, from UTC itself to the extremes (+14:00 Kiribati, -12:00),
# with the half- and quarter-hour ones (India, Nepal, Chatham) and Indonesia's
# three zones (WIB +7, WITA +8, WIT +9). Fixed offsets need no tz database.
_ZONES: Final = tuple(
    timezone(timedelta(minutes=minutes)) if minutes else UTC
    for minutes in (
        0,
        7 * 60,
        8 * 60,
        9 * 60,
        -5 * 60,
        60,
        5 * 60 + 30,
        5 * 60 + 45,
        -(3 * 60 + 30),
        -8 * 60,
        2 * 60,
        3 * 60,
        9 * 60 + 30,
        10 * 60,
        12 * 60 + 45,
        14 * 60,
        -12 * 60,
        -3 * 60,
        -10 * 60,
    )
)

_GIVEN_NAMES: Final = (
    "Ana",
    "Budi",
    "Siti",
    "Dewi",
    "Agus",
    "Putu",
    "Wayan",
    "Ni Luh",
    "Ketut",
    "Nyoman",
    "Sri",
    "Rina",
    "Joko",
    "Bambang",
    "Ayu",
    "Nur",
    "Muhammad",
    "Fitri",
    "Yohanes",
    "Teuku",
    "Cut",
    "Sukarno",
    "José",
    "Zoë",
    "François",
    "Chloé",
    "Jürgen",
    "Søren",
    "Łukasz",
    "Ólafur",
    "Anne-Marie",
    "Nguyễn Văn",
    "太郎",
    "李小龍",
    "지민",
    "Владимир",
    "Αλέξανδρος",
    "محمد",
    "अनन्या",
)
_FAMILY_NAMES: Final = (
    "Putri",
    "Santoso",
    "Wijaya",
    "Hidayat",
    "Siregar",
    "Nasution",
    "Simanjuntak",
    "Pangaribuan",
    "Halim",
    "Lestari",
    "Kusuma",
    "Setiawan",
    "Saputra",
    "Rahmawati",
    "Müller",
    "Núñez",
    "Çelik",
    "Dvořák",
    "Đặng",
    "O'Brien",
    "van der Berg",
    "山田",
    "김",
    "Ivanova",
)
_LEGAL_NAMES: Final = (
    "PT Sinar Jaya Abadi",
    "PT Bank Rakyat Indonesia (Persero) Tbk",
    "CV Maju Bersama",
    "Koperasi Sejahtera Mandiri",
    "UD Sumber Rezeki",
    "Toko Kita",
    "Warung Bu Sri",
    "Café Müller GmbH",
    "Société Générale S.A.",
    "Škoda Auto a.s.",
    "株式会社山田商店",
    "O'Reilly & Sons Ltd",
    "Acme Corp.",
)
_LEGAL_FORMS: Final = ("PT", "CV", "UD", "Koperasi", "Yayasan")
_LEGAL_SUFFIXES: Final = ("Tbk", "Ltd", "GmbH", "S.A.", "Inc.", "B.V.")
_ADDRESS_LINES: Final = (
    "Jl. Merdeka No. 10",
    "Jl. Jend. Sudirman Kav. 52-53",
    "RT 002/RW 005",
    "Gedung Graha Lt. 12",
    "Komplek Griya Asri Blok C-7",
    "Kel. Menteng, Kec. Menteng",
    "Gang Kelinci No. 3A",
    "Rue de Rivoli 12",
    "Straße des 17. Juni 135",
    "1600 Amphitheatre Pkwy",
    "Apt. 4B",
    "c/o Bapak Hadi",
)
_LOCALITIES: Final = (
    "Jakarta Pusat",
    "Bandung",
    "Surabaya",
    "Denpasar",
    "Yogyakarta",
    "Medan",
    "Makassar",
    "München",
    "São Paulo",
    "Zürich",
)
_REGIONS: Final = ("DKI Jakarta", "Jawa Barat", "Jawa Timur", "Bali", "Bayern", "Île-de-France")
_POSTAL_CODES: Final = ("40111", "10110", "80361", "SW1A 1AA", "75001", "94043-1351")
_ADDRESS_LABELS: Final = ("home", "work", "billing", "shipping", "rumah", "kantor")
_CONTACT_LABELS: Final = ("home", "work", "mobile", "office", "personal", "rumah", "kantor")
_SOCIAL_NETWORKS: Final = ("instagram", "facebook", "x", "tiktok", "linkedin", "line", "youtube")
_STORES: Final = ("store:JKT-01", "store:BDG-02", "Kantor Cabang Bandung", "booth at Jakarta Fair")
_SOURCES: Final = (
    "web-signup-form",
    "store:JKT-01",
    "call-center",
    "mobile-app",
    "import:legacy-crm",
    "paper-form",
    "whatsapp-opt-in",
    "email-link",
)
_TAGS: Final = (
    "vip",
    "gold",
    "newsletter",
    "b2b",
    "churn-risk",
    "segment:high-clv",
    "jakarta",
    "pelanggan setia",
    "promo/2026",
    "member.gold",
    "café",
    "東京",
    "reseller_id",
)
_LANGUAGES: Final = ("id", "en", "en-GB", "jv", "su", "ms", "nl", "zh-Hant-TW", "pt-BR", "es-419")
_ATTRIBUTE_KEYS: Final = (
    "loyalty_tier",
    "favourite_store",
    "lifetime_orders",
    "shoe_size",
    "vip_since",
    "credit_limit",
    "kode_pelanggan",
    "newsletter_topics",
)
_DOMAINS: Final = ("example.com", "example.co.id", "mail.example.org", "contoh.id")

_LOWER_DIGITS: Final = string.ascii_lowercase + string.digits
_ID_CHARS: Final = string.ascii_letters + string.digits + "._:@+=/-"
_EMAIL_ATOM_CHARS: Final = _LOWER_DIGITS + "!#$%&'*+/=?^_`{|}~-"
_TAG_CHARS: Final = _LOWER_DIGITS + "áéíóúàèñçöüøåæœ"
_TAG_SEPARATORS: Final = " -_:./"
_ADDRESS_CHARS: Final = string.ascii_letters + string.digits + ".,-/#'" + "ÁÉÍÓÚáéíóúñüöäßçãõ"
_NAME_LETTERS: Final = ("Lu", "Ll", "Lt", "Lm", "Lo")
_NAME_MARKS: Final = ("Mn", "Mc")


# -- argument checks ------------------------------------------------------------------------


def _int_arg(value: object, path: str, *, minimum: int = 0, maximum: int | None = None) -> int:
    if isinstance(value, bool) or not isinstance(value, int):
        raise InvalidType(f"must be an int, not {type_name(value)}", path=path)
    if value < minimum:
        raise ValidationError(f"must be at least {minimum}", path=path, code="range")
    if maximum is not None and value > maximum:
        raise ValidationError(f"must be at most {maximum}", path=path, code="range")
    return value


def _check_order(low: Any, high: Any, path: str, what: str) -> None:
    if low > high:
        raise ValidationError(f"must not be less than {what}", path=path, code="bounds")


def _aware_arg(value: object, path: str) -> datetime:
    checked = require_aware(value, path)
    try:
        checked.astimezone(UTC)
    except OverflowError:
        raise ValidationError(
            "must be representable in UTC", path=path, code="datetime_range"
        ) from None
    return checked


def _optional_aware_arg(value: object, path: str, default: datetime) -> datetime:
    return default if value is None else _aware_arg(value, path)


def _date_arg(value: object, path: str) -> date:
    if isinstance(value, datetime) or not isinstance(value, date):
        raise InvalidType(f"must be a date, not {type_name(value)}", path=path)
    return value


def _non_empty(values: tuple[_T, ...], path: str) -> tuple[_T, ...]:
    if not values:
        raise ValidationError("must hold at least one choice", path=path, code="empty")
    return tuple(dict.fromkeys(values))


def _enum_choices(values: Iterable[_E | str] | None, path: str, enum: type[_E]) -> tuple[_E, ...]:
    if values is None:
        return tuple(enum)

    def check(value: object, item_path: str) -> _E:
        return enum_converter(enum, item_path)(value)

    return _non_empty(tuple_of(values, path, check), path)


def _optional_channel(value: object, path: str) -> Channel | None:
    return None if value is None else enum_converter(Channel, path)(value)


def _currency_code(value: object, path: str) -> str:
    if not isinstance(value, str):
        raise InvalidType(f"must be an ISO 4217 code as str, not {type_name(value)}", path=path)
    try:
        return currency(value).code
    except ValidationError as exc:
        raise exc.under(path) from None


def _country_code(value: object, path: str) -> str:
    if not isinstance(value, str):
        raise InvalidType(f"must be a country code str, not {type_name(value)}", path=path)
    code = value.strip().upper()
    if code not in COUNTRY_CODES:
        raise ValidationError(
            "must be an ISO 3166-1 alpha-2 country code such as 'ID'", path=path, code="country"
        )
    return code


def _event_type(value: object, path: str) -> type[DomainEvent]:
    if not (isinstance(value, type) and issubclass(value, DomainEvent)):
        raise InvalidType(f"must be a DomainEvent class, not {type_name(value)}", path=path)
    if not any(issubclass(cls, value) for cls in _EVENT_STRATEGIES):
        raise ValidationError(
            "must be an event class these strategies know", path=path, code="event_type"
        )
    return value


# -- small building blocks ------------------------------------------------------------------
#
# Composite strategies are defined once at module level, and strategies are
# built once per distinct set of arguments (functools caches): building
# strategies inside a draw is what makes generation slow.


def _nfc(text: str) -> str:
    return unicodedata.normalize("NFC", text)


def _concat(*parts: str) -> str:
    return "".join(parts)


@st.composite
def _joined(
    draw: st.DrawFn, words: st.SearchStrategy[str], max_words: int, separators: str = " "
) -> str:
    """Non-empty words joined by single separators: none at either end, none doubled."""
    parts = draw(st.lists(words, min_size=1, max_size=max_words))
    text = parts[0]
    for part in parts[1:]:
        text += draw(st.sampled_from(separators)) + part
    return text


def _name_word(text: str) -> str:
    # A word starts with a letter: drop leading marks, apostrophes and hyphens.
    start = 0
    while start < len(text) and not unicodedata.category(text[start]).startswith("L"):
        start += 1
    return _nfc(text[start:] or "A")


@functools.cache
def _generated_names() -> st.SearchStrategy[str]:
    # Letters, then marks (accents, vowel signs), ' and - inside words. At most 3
    # words of 12 characters: under 200 even if NFC triples the length.
    letters = st.characters(categories=_NAME_LETTERS + _NAME_MARKS, include_characters="'-")
    return _joined(st.text(letters, min_size=1, max_size=12).map(_name_word), 3)


@functools.cache
def _short_texts() -> st.SearchStrategy[str]:
    # At most 3 words of 10 characters: under 100 characters even after NFC.
    word = st.text(_ADDRESS_CHARS, min_size=1, max_size=10).map(_nfc)
    return _joined(word, 3)


def _ascii_slugs(max_size: int, extra: str = "-") -> st.SearchStrategy[str]:
    return st.builds(
        _concat,
        st.sampled_from(_LOWER_DIGITS),
        st.text(_LOWER_DIGITS + extra, max_size=max_size - 1),
    )


def _later(when: datetime, delta: timedelta) -> datetime:
    try:
        return when + delta
    except OverflowError:
        return when


# -- time -----------------------------------------------------------------------------------


@functools.lru_cache(maxsize=256)
def _aware_between(low: datetime, high: datetime) -> st.SearchStrategy[datetime]:
    return st.builds(
        _in_zone,
        st.datetimes(
            min_value=low.astimezone(UTC).replace(tzinfo=None),
            max_value=high.astimezone(UTC).replace(tzinfo=None),
        ),
        st.sampled_from(_ZONES),
    )


def _in_zone(utc_wall_time: datetime, zone: timezone) -> datetime:
    instant = utc_wall_time.replace(tzinfo=UTC)
    try:
        return instant.astimezone(zone)
    except OverflowError:  # within hours of datetime.min or datetime.max
        return instant


def aware_datetimes(
    *,
    min_value: datetime = _DEFAULT_MIN_DATETIME,
    max_value: datetime = _DEFAULT_MAX_DATETIME,
) -> st.SearchStrategy[datetime]:
    """Timezone-aware datetimes between two instants, in a variety of fixed UTC offsets.

    Offsets are :class:`datetime.timezone` instances (UTC, Indonesia's +07:00,
    +08:00 and +09:00, +05:30, +05:45, -03:30, +14:00, -12:00, ...), so no time
    zone database is needed. The bounds compare as instants, whatever their
    offsets.

    Args:
        min_value: the earliest instant (aware); 2000-01-01 UTC by default.
        max_value: the latest instant (aware); the end of 2099 UTC by default.

    Raises:
        InvalidType: a bound is not a datetime.
        ValidationError: a bound is naive, or ``max_value`` is before ``min_value``.

    >>> aware_datetimes(min_value=datetime(2026, 1, 1))
    Traceback (most recent call last):
    ...
    crmcore.errors.ValidationError: $.min_value: must be timezone-aware (a naive datetime has no offset)
    """
    low = _aware_arg(min_value, "$.min_value")
    high = _aware_arg(max_value, "$.max_value")
    _check_order(low, high, "$.max_value", "min_value")
    return _aware_between(low, high)


def birth_dates(
    *,
    min_value: date = _DEFAULT_MIN_BIRTH_DATE,
    max_value: date = _DEFAULT_MAX_BIRTH_DATE,
) -> st.SearchStrategy[date]:
    """Calendar dates of birth.

    The defaults (1950 to 1999) are valid birth dates for a customer registered
    at any time :func:`aware_datetimes` draws by default.

    Args:
        min_value: the earliest date.
        max_value: the latest date.

    Raises:
        InvalidType: a bound is not a date (a datetime is refused too).
        ValidationError: ``max_value`` is before ``min_value``.
    """
    low = _date_arg(min_value, "$.min_value")
    high = _date_arg(max_value, "$.max_value")
    _check_order(low, high, "$.max_value", "min_value")
    return st.dates(min_value=low, max_value=high)


@st.composite
def _birth_date_at(draw: st.DrawFn, at: datetime) -> date | None:
    """None or a date of birth a customer may give at ``at`` (at most 150 years back)."""
    if not MAX_AGE_YEARS < at.year < date.max.year or draw(st.booleans()):
        return None
    latest = at.date()
    earliest = latest - relativedelta(years=MAX_AGE_YEARS)
    days = draw(st.integers(min_value=0, max_value=(latest - earliest).days))
    return latest - timedelta(days=days)


# -- money ----------------------------------------------------------------------------------


def currency_codes() -> st.SearchStrategy[str]:
    """Active ISO 4217 currency codes, such as ``"IDR"``, ``"JPY"`` or ``"KWD"``."""
    return st.sampled_from(sorted(CURRENCIES))


def currencies() -> st.SearchStrategy[Currency]:
    """:class:`~crmcore.Currency` records of the active ISO 4217 currencies."""
    return currency_codes().map(currency)


def _amount_bound(value: object, path: str) -> Decimal:
    amount = to_decimal(value, path)
    if abs(amount) > _MAX_AMOUNT_BOUND:
        raise ValidationError("must be between -10**18 and 10**18", path=path, code="amount_range")
    return amount


def _units(value: Decimal, places: int, rounding: str) -> int:
    with localcontext(prec=60):
        return int(value.scaleb(places).to_integral_value(rounding=rounding))


def moneys(
    *,
    currencies: Iterable[str] | None = None,
    min_value: Decimal | int | str | None = None,
    max_value: Decimal | int | str | None = None,
    places: int | None = None,
) -> st.SearchStrategy[Money]:
    """:class:`~crmcore.Money` amounts, by default in whole minor units of their currency.

    Amounts carry exactly the currency's decimal places (``12.50`` USD, ``1500``
    JPY, ``1.250`` KWD), so ``rounded()`` leaves them unchanged; pass ``places``
    for finer amounts such as unit prices. The default bounds, plus or minus
    10**15, keep sums of many amounts exact within Decimal's default precision.

    Args:
        currencies: ISO 4217 codes to draw from; every active code by default.
        min_value: the smallest amount (Decimal, int or numeric str; never float).
        max_value: the largest amount.
        places: decimal places of the amounts (0 to 8) instead of the currency's own.

    Raises:
        InvalidType: a bound is a float or another wrong type.
        ValidationError: an unknown currency code, an empty ``currencies``,
            ``max_value`` below ``min_value``, or bounds holding no amount with
            the decimal places of one of the currencies.

    >>> moneys(currencies=["IDR", "XYZ"])
    Traceback (most recent call last):
    ...
    crmcore.errors.ValidationError: $.currencies[1]: must be an active ISO 4217 currency code such as 'IDR' or 'USD'
    >>> moneys(min_value=0.5)
    Traceback (most recent call last):
    ...
    crmcore.errors.InvalidType: $.min_value: must be a Decimal, int or str: floats cannot hold exact decimal amounts
    """
    if currencies is None:
        codes: tuple[str, ...] = tuple(sorted(CURRENCIES))
    else:
        codes = _non_empty(tuple_of(currencies, "$.currencies", _currency_code), "$.currencies")
    low = -_DEFAULT_MAX_AMOUNT if min_value is None else _amount_bound(min_value, "$.min_value")
    high = _DEFAULT_MAX_AMOUNT if max_value is None else _amount_bound(max_value, "$.max_value")
    _check_order(low, high, "$.max_value", "min_value")
    exact = None if places is None else _int_arg(places, "$.places", maximum=_MAX_PLACES)
    choices: list[tuple[str, int, int, int]] = []
    for index, code in enumerate(codes):
        digits = CURRENCIES[code][0] if exact is None else exact
        first = _units(low, digits, ROUND_CEILING)
        last = _units(high, digits, ROUND_FLOOR)
        if first > last:
            raise ValidationError(
                "the bounds hold no amount with this currency's decimal places",
                path="$.min_value" if currencies is None else f"$.currencies[{index}]",
                code="empty_range",
            )
        choices.append((code, digits, first, last))
    return _moneys(tuple(choices))


@functools.lru_cache(maxsize=256)
def _moneys(choices: tuple[tuple[str, int, int, int], ...]) -> st.SearchStrategy[Money]:
    return st.one_of(
        *(
            st.integers(min_value=first, max_value=last).map(
                functools.partial(_money_from_units, code=code, digits=digits)
            )
            for code, digits, first, last in choices
        )
    )


def _money_from_units(units: int, *, code: str, digits: int) -> Money:
    return Money(Decimal(units).scaleb(-digits), code)


# -- identifiers ----------------------------------------------------------------------------


@functools.cache
def customer_ids() -> st.SearchStrategy[CustomerId]:
    """:class:`~crmcore.CustomerId` values: sequential, UUID-shaped and arbitrary valid ids."""
    arbitrary = st.builds(
        _concat,
        st.sampled_from(string.ascii_letters + string.digits),
        st.text(_ID_CHARS, max_size=40),
    )
    sequential = st.integers(min_value=1, max_value=10**9).map("c-{:06d}".format)
    return st.one_of(sequential, st.uuids().map(str), arbitrary).map(CustomerId)


def id_sources() -> st.SearchStrategy[SequentialIdSource | SeededIdSource]:
    """Fresh id sources: :class:`~crmcore.SequentialIdSource` or :class:`~crmcore.SeededIdSource`.

    Every id they produce is a valid identifier.
    """
    return st.one_of(_sequential_id_sources(), _seeded_id_sources())


def _sequential_id_sources() -> st.SearchStrategy[SequentialIdSource]:
    return st.builds(
        SequentialIdSource,
        st.just("") | _ascii_slugs(20, "-_.:"),
        start=st.integers(min_value=0, max_value=10**9),
        width=st.integers(min_value=1, max_value=12),
    )


def _seeded_id_sources() -> st.SearchStrategy[SeededIdSource]:
    return st.builds(SeededIdSource, st.integers())


# -- contact details ------------------------------------------------------------------------


@functools.cache
def _domains() -> st.SearchStrategy[str]:
    label = st.builds(
        _concat,
        st.sampled_from(_LOWER_DIGITS),
        st.text(_LOWER_DIGITS + "-", max_size=14).map(lambda s: s.rstrip("-")),
    )
    top = st.builds(
        _concat,
        st.sampled_from(string.ascii_lowercase),
        st.text(_LOWER_DIGITS, min_size=1, max_size=5),
    )
    generated = st.builds(
        lambda labels, tld: ".".join([*labels, tld]),
        st.lists(label, min_size=1, max_size=3),
        top,
    )
    return st.sampled_from(_DOMAINS) | generated


@functools.cache
def email_addresses() -> st.SearchStrategy[str]:
    """Valid email addresses in crmcore's normalized form (lower case, ASCII domain).

    ``normalize_email(address) == address`` holds for every address drawn.
    """
    atom = st.text(_EMAIL_ATOM_CHARS, min_size=1, max_size=20)
    local = st.lists(atom, min_size=1, max_size=3).map(".".join)
    return st.builds(lambda a, b: f"{a}@{b}", local, _domains())


@functools.cache
def phone_numbers() -> st.SearchStrategy[str]:
    """Valid phone numbers in E.164 form: ``+``, a calling code in service, 7 to 15 digits.

    ``normalize_phone(number) == number`` holds for every number drawn.
    """
    codes = sorted(_CALLING_CODES, key=lambda c: (len(c), c))
    return st.one_of(
        *(
            st.text(string.digits, min_size=7 - len(code), max_size=15 - len(code)).map(
                functools.partial(_concat, "+" + code)
            )
            for code in codes
        )
    )


@functools.cache
def _social_handles() -> st.SearchStrategy[str]:
    network = st.sampled_from(_SOCIAL_NETWORKS) | _ascii_slugs(16, "_.-")
    handle = st.builds(
        _concat,
        st.sampled_from(("@", "")),
        st.text(string.ascii_letters + string.digits + "._", min_size=1, max_size=30),
    )
    return st.builds(lambda n, h: f"{n}:{h}", network, handle)


@functools.cache
def _address_lines() -> st.SearchStrategy[str]:
    return st.sampled_from(_ADDRESS_LINES) | _short_texts()


@functools.cache
def _contact_values(channel: Channel) -> st.SearchStrategy[str]:
    if channel is Channel.EMAIL:
        return email_addresses()
    if channel in (Channel.PHONE, Channel.SMS, Channel.WHATSAPP):
        return phone_numbers()
    if channel is Channel.SOCIAL:
        return _social_handles()
    if channel is Channel.POSTAL:
        return st.lists(_address_lines(), min_size=1, max_size=4).map("\n".join)
    if channel is Channel.WEB:
        path = st.lists(_ascii_slugs(12), max_size=3).map(lambda ps: "".join("/" + p for p in ps))
        return st.builds(lambda d, p: f"https://{d}{p}", _domains(), path)
    return st.sampled_from(_STORES) | _short_texts()


def contact_points(
    *, channels: Iterable[Channel | str] | None = None
) -> st.SearchStrategy[ContactPoint]:
    """:class:`~crmcore.ContactPoint` values with a valid, already normalized value per channel.

    Emails and phone numbers as :func:`email_addresses` and :func:`phone_numbers`
    draw them, social handles as ``network:handle``, postal contact points as
    address lines, web ones as URLs. ``primary``, ``verified`` and the label vary.

    Args:
        channels: the channels to draw from (members or values); all by default.

    Raises:
        ValidationError: an unknown channel, or an empty ``channels``.
    """
    return _contact_points(_enum_choices(channels, "$.channels", Channel))


@functools.lru_cache(maxsize=256)
def _contact_points(channels: tuple[Channel, ...]) -> st.SearchStrategy[ContactPoint]:
    return st.one_of(
        *(
            st.builds(
                ContactPoint,
                st.just(channel),
                _contact_values(channel),
                primary=st.booleans(),
                verified=st.booleans(),
                label=st.none() | st.sampled_from(_CONTACT_LABELS),
            )
            for channel in channels
        )
    )


# -- names, addresses, profiles -------------------------------------------------------------


@functools.cache
def person_names() -> st.SearchStrategy[PersonName]:
    """:class:`~crmcore.PersonName` values: single names, given and family names, preferred names.

    Real names (Indonesian, accented, non-Latin) mix with generated Unicode
    letters; never control or format characters.
    """
    given = st.sampled_from(_GIVEN_NAMES) | _generated_names()
    family = st.none() | st.sampled_from(_FAMILY_NAMES) | _generated_names()
    preferred = st.none() | st.sampled_from(_GIVEN_NAMES)
    return st.builds(PersonName, given, family=family, preferred=preferred)


@functools.cache
def organization_names() -> st.SearchStrategy[OrganizationName]:
    """:class:`~crmcore.OrganizationName` values, with or without a trading name."""
    generated = st.builds(
        lambda form, words, suffix: " ".join(p for p in (form, words, suffix) if p),
        st.sampled_from(("", *_LEGAL_FORMS)),
        _generated_names(),
        st.sampled_from(("", *_LEGAL_SUFFIXES)),
    )
    legal = st.sampled_from(_LEGAL_NAMES) | generated
    trading = st.none() | _generated_names()
    return st.builds(OrganizationName, legal, trading=trading)


def _names_of(kind: PartyKind) -> st.SearchStrategy[PersonName | OrganizationName]:
    if kind is PartyKind.PERSON:
        return person_names()
    return organization_names()


def postal_addresses(*, countries: Iterable[str] | None = None) -> st.SearchStrategy[PostalAddress]:
    """:class:`~crmcore.PostalAddress` values: 1 to 4 lines, optional locality, region, code, label.

    Args:
        countries: ISO 3166-1 alpha-2 codes to draw from; every country by default.

    Raises:
        ValidationError: an unknown country code, or an empty ``countries``.
    """
    if countries is None:
        return _postal_addresses(tuple(sorted(COUNTRY_CODES)))
    return _postal_addresses(
        _non_empty(tuple_of(countries, "$.countries", _country_code), "$.countries")
    )


@functools.lru_cache(maxsize=256)
def _postal_addresses(countries: tuple[str, ...]) -> st.SearchStrategy[PostalAddress]:
    return st.builds(
        PostalAddress,
        lines=st.lists(_address_lines(), min_size=1, max_size=3),
        country=st.sampled_from(countries),
        locality=st.none() | st.sampled_from(_LOCALITIES) | _short_texts(),
        region=st.none() | st.sampled_from(_REGIONS) | _short_texts(),
        postal_code=st.none()
        | st.sampled_from(_POSTAL_CODES)
        | st.text(string.digits, min_size=3, max_size=10),
        label=st.none() | st.sampled_from(_ADDRESS_LABELS),
    )


@functools.cache
def language_tags() -> st.SearchStrategy[str]:
    """BCP 47 language tags of the shape crmcore accepts: ``id``, ``en-GB``, ``zh-Hant-TW``."""
    script = st.none() | st.builds(
        _concat,
        st.sampled_from(string.ascii_uppercase),
        st.text(string.ascii_lowercase, min_size=3, max_size=3),
    )
    region = (
        st.none()
        | st.text(string.ascii_uppercase, min_size=2, max_size=2)
        | st.text(string.digits, min_size=3, max_size=3)
    )
    generated = st.builds(
        lambda lang, scr, reg: "-".join(p for p in (lang, scr, reg) if p),
        st.text(string.ascii_lowercase, min_size=2, max_size=3),
        script,
        region,
    )
    return st.sampled_from(_LANGUAGES) | generated


@functools.cache
def attribute_keys() -> st.SearchStrategy[str]:
    """Custom attribute keys: snake_case, a lowercase letter first, at most 64 characters."""
    generated = st.builds(
        _concat,
        st.sampled_from(string.ascii_lowercase),
        st.text(_LOWER_DIGITS + "_", max_size=63),
    )
    return st.sampled_from(_ATTRIBUTE_KEYS) | generated


@functools.cache
def attribute_values() -> st.SearchStrategy[AttributeValue]:
    """Custom attribute values: str, int, bool, Decimal, date or aware datetime (never float).

    Strings may span several lines; decimals have up to six places.
    """
    word = st.text(_ADDRESS_CHARS, min_size=1, max_size=12).map(_nfc)
    text = st.just("") | _joined(word, 6, " \n")
    decimals = st.builds(
        lambda units, places: Decimal(units).scaleb(-places),
        st.integers(min_value=-(10**15), max_value=10**15),
        st.integers(min_value=0, max_value=6),
    )
    return st.one_of(
        text,
        st.integers(min_value=-(2**63), max_value=2**63 - 1),
        st.booleans(),
        decimals,
        st.dates(min_value=date(1900, 1, 1), max_value=date(2100, 12, 31)),
        aware_datetimes(),
    )


@functools.cache
def _attribute_maps() -> st.SearchStrategy[dict[str, AttributeValue]]:
    return st.dictionaries(attribute_keys(), attribute_values(), max_size=3)


def _kind_choices(kinds: Iterable[PartyKind | str] | None) -> tuple[PartyKind, ...]:
    return _enum_choices(kinds, "$.kinds", PartyKind)


def profiles(*, kinds: Iterable[PartyKind | str] | None = None) -> st.SearchStrategy[Profile]:
    """:class:`~crmcore.Profile` values of persons and organizations.

    A person's profile may carry a birth date from :func:`birth_dates`; an
    organization's never does.

    Args:
        kinds: ``"person"`` and/or ``"organization"``; both by default.

    Raises:
        ValidationError: an unknown kind, or an empty ``kinds``.
    """
    return _profiles(_kind_choices(kinds))


@st.composite
def _profiles(draw: st.DrawFn, kinds: tuple[PartyKind, ...]) -> Profile:
    kind = draw(st.sampled_from(kinds))
    person = kind is PartyKind.PERSON
    return Profile(
        name=draw(_names_of(kind)),
        birth_date=draw(st.none() | birth_dates()) if person else None,
        addresses=tuple(draw(st.lists(postal_addresses(), unique=True, max_size=3))),
        preferred_language=draw(st.none() | language_tags()),
        attributes=draw(_attribute_maps()),
    )


# -- tags and consent -----------------------------------------------------------------------


@functools.cache
def tags() -> st.SearchStrategy[str]:
    """Tags in normalized form (case-folded, NFC): ``vip``, ``segment:high-clv``, ``pelanggan setia``.

    ``normalize_tag(tag) == tag`` holds for every tag drawn.
    """
    word = st.text(_TAG_CHARS, min_size=1, max_size=12)
    return st.sampled_from(_TAGS) | _joined(word, 3, _TAG_SEPARATORS)


@functools.cache
def _sources() -> st.SearchStrategy[str]:
    return st.sampled_from(_SOURCES) | _ascii_slugs(30, "-_:.")


#: How long a generated grant may last before it expires.
_MAX_LIFETIME: Final = timedelta(days=3660)
#: Durations drawn as whole microseconds: one choice each instead of three.
_LIFETIMES: Final = st.none() | st.integers(
    min_value=1, max_value=_MAX_LIFETIME // timedelta(microseconds=1)
).map(lambda us: timedelta(microseconds=us))


def consent_records(
    *,
    channels: Iterable[Channel | str | None] | None = None,
    purposes: Iterable[Purpose | str] | None = None,
    statuses: Iterable[ConsentStatus | str] | None = None,
    min_captured_at: datetime | None = None,
    max_captured_at: datetime | None = None,
) -> st.SearchStrategy[ConsentRecord]:
    """:class:`~crmcore.ConsentRecord` values: grants (some expiring) and withdrawals.

    Args:
        channels: channels to draw from; ``None`` in the list stands for every
            channel (a global record). Every channel and ``None`` by default.
        purposes: purposes to draw from; all by default.
        statuses: granted and/or withdrawn; both by default.
        min_captured_at: the earliest capture time (aware); 2000 by default.
        max_captured_at: the latest capture time (aware); 2099 by default.

    Raises:
        ValidationError: an unknown channel, purpose or status, an empty list,
            a naive bound, or ``max_captured_at`` before ``min_captured_at``.
    """
    if channels is None:
        channel_choices: tuple[Channel | None, ...] = (None, *Channel)
    else:
        channel_choices = _non_empty(
            tuple_of(channels, "$.channels", _optional_channel), "$.channels"
        )
    purpose_choices = _enum_choices(purposes, "$.purposes", Purpose)
    status_choices = _enum_choices(statuses, "$.statuses", ConsentStatus)
    low = _optional_aware_arg(min_captured_at, "$.min_captured_at", _DEFAULT_MIN_DATETIME)
    high = _optional_aware_arg(max_captured_at, "$.max_captured_at", _DEFAULT_MAX_DATETIME)
    _check_order(low, high, "$.max_captured_at", "min_captured_at")
    return _consent_records(
        _aware_between(low, high), channel_choices, purpose_choices, status_choices
    )


@st.composite
def _consent_records(
    draw: st.DrawFn,
    times: st.SearchStrategy[datetime],
    channels: tuple[Channel | None, ...],
    purposes: tuple[Purpose, ...],
    statuses: tuple[ConsentStatus, ...],
) -> ConsentRecord:
    return _draw_consent(draw, draw(times), channels, purposes, statuses)


def _draw_consent(
    draw: st.DrawFn,
    captured_at: datetime,
    channels: tuple[Channel | None, ...] = (None, *Channel),
    purposes: tuple[Purpose, ...] = tuple(Purpose),
    statuses: tuple[ConsentStatus, ...] = tuple(ConsentStatus),
) -> ConsentRecord:
    """A consent record captured at ``captured_at``, drawn with ``draw``."""
    status = draw(st.sampled_from(statuses))
    expires_at = None
    legal_basis = LegalBasis.CONSENT
    if status is ConsentStatus.GRANTED:
        legal_basis = draw(st.sampled_from(LegalBasis))
        lifetime = draw(_LIFETIMES)
        if lifetime is not None and (later := _later(captured_at, lifetime)) > captured_at:
            expires_at = later
    return ConsentRecord(
        channel=draw(st.sampled_from(channels)),
        purpose=draw(st.sampled_from(purposes)),
        status=status,
        captured_at=captured_at,
        source=draw(_sources()),
        legal_basis=legal_basis,
        expires_at=expires_at,
    )


# -- customers ------------------------------------------------------------------------------


def customers(
    *,
    kinds: Iterable[PartyKind | str] | None = None,
    min_contact_points: int = 0,
    max_contact_points: int = 4,
    max_consents: int = 6,
    max_tags: int = 5,
    registered_after: datetime | None = None,
    registered_before: datetime | None = None,
    pending_events: bool = True,
) -> st.SearchStrategy[Customer]:
    """Valid :class:`~crmcore.Customer` aggregates with a realistic history.

    Each customer is built the way an application builds one: through
    :meth:`Customer.register <crmcore.Customer.register>` (with some of its
    contact points, addresses and tags) followed by commands at later times
    (``add_contact_point``, ``add_address``, ``add_tag``, ``give_consent``,
    ``withdraw_consent``, ``verify_contact_point``, ``set_attribute``,
    ``rename``). So ``pending_events`` holds exactly the events those commands
    recorded, in order, and ``version`` is 0. The history spans at most three
    years after registration; consent is never captured before registration.

    Args:
        kinds: ``"person"`` and/or ``"organization"``; both by default.
        min_contact_points: the fewest contact points.
        max_contact_points: the most contact points (at most 50).
        max_consents: the most consent records in the history (at most 1000).
        max_tags: the most tags (at most 200).
        registered_after: the earliest registration time (aware); 2000 by default.
        registered_before: the latest registration time (aware); 2099 by default.
        pending_events: ``False`` to draw customers as a repository stores
            them, without pending events.

    Raises:
        InvalidType: an argument of the wrong type.
        ValidationError: a bound is out of range or the bounds are crossed.

    >>> customers(min_contact_points=3, max_contact_points=1)
    Traceback (most recent call last):
    ...
    crmcore.errors.ValidationError: $.max_contact_points: must not be less than min_contact_points
    """
    kind_choices = _kind_choices(kinds)
    low_points = _int_arg(min_contact_points, "$.min_contact_points", maximum=MAX_CONTACT_POINTS)
    high_points = _int_arg(max_contact_points, "$.max_contact_points", maximum=MAX_CONTACT_POINTS)
    _check_order(low_points, high_points, "$.max_contact_points", "min_contact_points")
    consent_count = _int_arg(max_consents, "$.max_consents", maximum=1000)
    tag_count = _int_arg(max_tags, "$.max_tags", maximum=MAX_TAGS)
    low = _optional_aware_arg(registered_after, "$.registered_after", _DEFAULT_MIN_DATETIME)
    high = _optional_aware_arg(registered_before, "$.registered_before", _DEFAULT_MAX_DATETIME)
    _check_order(low, high, "$.registered_before", "registered_after")
    if not isinstance(pending_events, bool):
        raise InvalidType(
            f"must be a bool, not {type_name(pending_events)}", path="$.pending_events"
        )
    built = _customers(
        _CustomerPlan(
            kinds=kind_choices,
            min_contact_points=low_points,
            max_contact_points=high_points,
            max_consents=consent_count,
            max_tags=tag_count,
            registered=_aware_between(low, high),
        )
    )
    return built if pending_events else built.map(Customer.without_pending_events)


@attrs.frozen
class _CustomerPlan:
    kinds: tuple[PartyKind, ...]
    min_contact_points: int
    max_contact_points: int
    max_consents: int
    max_tags: int
    registered: st.SearchStrategy[datetime]


#: How far after registration a generated history reaches.
_HISTORY_SPAN: Final = timedelta(days=3 * 365)
_HISTORY_OFFSETS: Final = st.integers(
    min_value=0, max_value=_HISTORY_SPAN // timedelta(microseconds=1)
).map(lambda us: timedelta(microseconds=us))


def _one_primary_per_channel(points: list[ContactPoint]) -> list[ContactPoint]:
    seen: set[Channel] = set()
    result = []
    for point in points:
        if point.primary and point.channel in seen:
            result.append(attrs.evolve(point, primary=False))
            continue
        if point.primary:
            seen.add(point.channel)
        result.append(point)
    return result


def _contact_key(point: ContactPoint) -> tuple[Channel, str]:
    return point.key


@st.composite
def _customers(draw: st.DrawFn, plan: _CustomerPlan) -> Customer:
    at = draw(plan.registered)
    kind = draw(st.sampled_from(plan.kinds))
    addresses = draw(st.lists(postal_addresses(), unique=True, max_size=2))
    points = draw(
        st.lists(
            contact_points(),
            min_size=plan.min_contact_points,
            max_size=plan.max_contact_points,
            unique_by=_contact_key,
        )
    )
    tag_list = draw(st.lists(tags(), unique=True, max_size=plan.max_tags))
    # How many of the contact points, addresses and tags come with registration.
    first_points = draw(st.integers(0, len(points)))
    first_addresses = draw(st.integers(0, len(addresses)))
    first_tags = draw(st.integers(0, len(tag_list)))
    customer = Customer.register(
        draw(customer_ids()),
        name=draw(_names_of(kind)),
        at=at,
        birth_date=draw(_birth_date_at(at)) if kind is PartyKind.PERSON else None,
        addresses=addresses[:first_addresses],
        preferred_language=draw(st.none() | language_tags()),
        attributes=draw(_attribute_maps()),
        contact_points=_one_primary_per_channel(points[:first_points]),
        tags=tag_list[:first_tags],
    )

    # The rest of the history: one command per step, in a drawn order.
    steps: list[_Step] = [
        *(_adding_contact_point(p) for p in points[first_points:]),
        *(_adding_address(a) for a in addresses[first_addresses:]),
        *(_adding_tag(t) for t in tag_list[first_tags:]),
        *(_recording_consent for _ in range(draw(st.integers(0, plan.max_consents)))),
        *(_verifying(points[i]) for i in draw(_indices(len(points), max_size=2))),
        *(_setting_attribute for _ in range(draw(st.integers(0, 1)))),
        *(_renaming for _ in range(draw(st.integers(0, 1)))),
    ]
    _shuffle(draw, steps)
    offsets = sorted(draw(st.lists(_HISTORY_OFFSETS, min_size=len(steps), max_size=len(steps))))
    for step, offset in zip(steps, offsets, strict=True):
        customer = step(draw, customer, _later(at, offset))
    return customer


def _shuffle(draw: st.DrawFn, items: list[Any]) -> None:
    # Fisher-Yates with drawn indices; shrinks towards the order given.
    for last in range(len(items) - 1, 0, -1):
        other = draw(st.integers(min_value=0, max_value=last))
        items[last], items[other] = items[other], items[last]


#: One command of a generated history: (draw, customer, when) -> customer.
_Step = Callable[[st.DrawFn, Customer, datetime], Customer]


def _indices(length: int, *, max_size: int) -> st.SearchStrategy[list[int]]:
    if length == 0:
        return st.just([])
    return st.lists(st.integers(min_value=0, max_value=length - 1), max_size=max_size)


def _adding_contact_point(point: ContactPoint) -> _Step:
    return lambda _, customer, when: customer.add_contact_point(point, at=when)


def _adding_address(address: PostalAddress) -> _Step:
    return lambda _, customer, when: customer.add_address(address, at=when)


def _adding_tag(tag: str) -> _Step:
    return lambda _, customer, when: customer.add_tag(tag, at=when)


def _verifying(point: ContactPoint) -> _Step:
    def verify(_: st.DrawFn, customer: Customer, when: datetime) -> Customer:
        if customer.contact_point(point.channel, point.value) is None:
            return customer  # not added yet at this point of the history
        return customer.verify_contact_point(point.channel, point.value, at=when)

    return verify


def _setting_attribute(draw: st.DrawFn, customer: Customer, when: datetime) -> Customer:
    return customer.set_attribute(draw(attribute_keys()), draw(attribute_values()), at=when)


def _renaming(draw: st.DrawFn, customer: Customer, when: datetime) -> Customer:
    return customer.rename(draw(_names_of(customer.kind)), at=when)


def _recording_consent(draw: st.DrawFn, customer: Customer, when: datetime) -> Customer:
    record = _draw_consent(draw, when)
    if record.status is ConsentStatus.GRANTED:
        return customer.give_consent(
            record.channel,
            record.purpose,
            at=when,
            source=record.source,
            legal_basis=record.legal_basis,
            expires_at=record.expires_at,
        )
    return customer.withdraw_consent(record.channel, record.purpose, at=when, source=record.source)


# -- events ---------------------------------------------------------------------------------


def _registered(when: datetime, customer_id: CustomerId, profile: Profile) -> CustomerRegistered:
    kind = PartyKind.PERSON if isinstance(profile.name, PersonName) else PartyKind.ORGANIZATION
    return CustomerRegistered(
        occurred_at=when, customer_id=customer_id, kind=kind.value, profile=profile
    )


def _consent_event(
    cls: type[ConsentGiven | ConsentWithdrawn], customer_id: CustomerId, record: ConsentRecord
) -> ConsentGiven | ConsentWithdrawn:
    return cls(occurred_at=record.captured_at, customer_id=customer_id, record=record)


def _primary_changed(
    when: datetime, customer_id: CustomerId, point: ContactPoint
) -> PrimaryContactPointChanged:
    return PrimaryContactPointChanged(
        occurred_at=when,
        customer_id=customer_id,
        channel=point.channel,
        contact_point=attrs.evolve(point, primary=True),
    )


def _event(cls: type[DomainEvent], **fields: st.SearchStrategy[Any]) -> st.SearchStrategy[Any]:
    return st.builds(cls, occurred_at=aware_datetimes(), customer_id=customer_ids(), **fields)


def _consent_events(
    cls: type[ConsentGiven | ConsentWithdrawn], status: ConsentStatus
) -> st.SearchStrategy[Any]:
    return st.builds(
        functools.partial(_consent_event, cls),
        customer_ids(),
        consent_records(statuses=[status]),
    )


_EVENT_STRATEGIES: Final[dict[type[DomainEvent], Callable[[], st.SearchStrategy[Any]]]] = {
    CustomerRegistered: lambda: st.builds(
        _registered, aware_datetimes(), customer_ids(), profiles()
    ),
    NameChanged: lambda: _event(NameChanged, name=person_names() | organization_names()),
    BirthDateChanged: lambda: _event(BirthDateChanged, birth_date=st.none() | birth_dates()),
    PreferredLanguageChanged: lambda: _event(
        PreferredLanguageChanged, language=st.none() | language_tags()
    ),
    AddressAdded: lambda: _event(AddressAdded, address=postal_addresses()),
    AddressRemoved: lambda: _event(AddressRemoved, address=postal_addresses()),
    AttributeSet: lambda: _event(AttributeSet, key=attribute_keys(), value=attribute_values()),
    AttributeRemoved: lambda: _event(AttributeRemoved, key=attribute_keys()),
    ContactPointAdded: lambda: _event(ContactPointAdded, contact_point=contact_points()),
    ContactPointRemoved: lambda: _event(ContactPointRemoved, contact_point=contact_points()),
    ContactPointVerified: lambda: _event(
        ContactPointVerified,
        contact_point=contact_points().map(lambda p: attrs.evolve(p, verified=True)),
    ),
    PrimaryContactPointChanged: lambda: st.builds(
        _primary_changed, aware_datetimes(), customer_ids(), contact_points()
    ),
    ConsentGiven: lambda: _consent_events(ConsentGiven, ConsentStatus.GRANTED),
    ConsentWithdrawn: lambda: _consent_events(ConsentWithdrawn, ConsentStatus.WITHDRAWN),
    TagAdded: lambda: _event(TagAdded, tag=tags()),
    TagRemoved: lambda: _event(TagRemoved, tag=tags()),
}


def domain_events(
    *, types: Iterable[type[DomainEvent]] | None = None
) -> st.SearchStrategy[DomainEvent]:
    """Valid domain events, such as those a :class:`~crmcore.Customer` records.

    Fields are consistent the way the aggregate makes them: ``ConsentGiven``
    carries a grant captured when the event occurred, ``ContactPointVerified``
    a verified contact point, ``CustomerRegistered`` the kind of its name.

    Args:
        types: the event classes to draw (concrete events, or a base such as
            ``CustomerEvent`` standing for its subclasses); every known event by
            default.

    Raises:
        InvalidType: an item that is not a DomainEvent class.
        ValidationError: an event class these strategies do not know, or an
            empty ``types``.
    """
    if types is None:
        return _domain_events(tuple(_EVENT_STRATEGIES))
    picked = tuple_of(types, "$.types", _event_type)
    chosen = tuple(cls for cls in _EVENT_STRATEGIES if any(issubclass(cls, b) for b in picked))
    return _domain_events(_non_empty(chosen, "$.types"))


@functools.lru_cache(maxsize=256)
def _domain_events(chosen: tuple[type[DomainEvent], ...]) -> st.SearchStrategy[DomainEvent]:
    return st.one_of(*(_EVENT_STRATEGIES[cls]() for cls in chosen))
