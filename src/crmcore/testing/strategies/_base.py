"""Shared building blocks of the strategies: argument checks, time, money, identifiers."""

from __future__ import annotations

import functools
import string
import unicodedata
from collections.abc import Iterable, Iterator
from datetime import UTC, date, datetime, timedelta, timezone
from decimal import ROUND_CEILING, ROUND_FLOOR, Decimal, localcontext
from enum import StrEnum
from types import EllipsisType
from typing import Any, Final, TypeVar

import attrs
from dateutil.relativedelta import relativedelta
from hypothesis import strategies as st

from crmcore._kernel._checks import (
    enum_converter,
    require_aware,
    to_decimal,
    tuple_of,
    type_name,
)
from crmcore._kernel._currencies import CURRENCIES
from crmcore._kernel._ids import (
    ActivityId,
    CampaignId,
    CampaignMemberId,
    Identifier,
    NoteId,
    PriceBookId,
    PrivacyRequestId,
    QuoteId,
    SeededIdSource,
    SequentialIdSource,
    StaffId,
)
from crmcore._kernel._money import Currency, Money, currency
from crmcore.commerce import (
    OrderId,
    PaymentId,
    PlanId,
    ProductId,
    SubscriptionId,
)
from crmcore.customers import (
    Channel,
    CustomerId,
)
from crmcore.customers._customer import MAX_AGE_YEARS
from crmcore.errors import InvalidType, ValidationError
from crmcore.feedback import (
    FeedbackId,
    ReviewId,
)
from crmcore.interactions import (
    InteractionId,
)
from crmcore.loyalty import (
    LoyaltyAccountId,
    ProgramId,
    RewardId,
)
from crmcore.parties import RelationshipId
from crmcore.sales import (
    LeadId,
    OpportunityId,
    PipelineId,
)
from crmcore.service import (
    CaseId,
)
from crmcore.teams import TeamId, TerritoryId

_T = TypeVar("_T")
_E = TypeVar("_E", bound=StrEnum)
_I = TypeVar("_I", bound=Identifier)
_A = TypeVar("_A")

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
_ID_CHARS: Final = string.ascii_letters + string.digits + "._:+=/-"
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


def _id_choices(value: object, path: str, cls: type[Any]) -> tuple[Any, ...] | None:
    """The distinct ids of ``value``, each exactly a ``cls``; ``None`` for none given."""
    if value is None:
        return None

    def check(item: object, item_path: str) -> Any:
        if type(item) is not cls:
            raise InvalidType(f"must be a {cls.__name__}, not {type_name(item)}", path=item_path)
        return item

    return _non_empty(tuple_of(value, path, check), path)


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


# -- identifiers of the relationship aggregates ---------------------------------------------


#: Each identifier class of the relationship aggregates and the prefix of its sequential ids.
_ID_PREFIXES: Final[dict[type[Identifier], str]] = {
    ActivityId: "act",
    NoteId: "note",
    PrivacyRequestId: "dsr",
    PriceBookId: "pb",
    CampaignId: "cmp",
    CampaignMemberId: "cm",
    QuoteId: "q",
    CaseId: "case",
    FeedbackId: "f",
    InteractionId: "i",
    LeadId: "lead",
    LoyaltyAccountId: "la",
    OpportunityId: "opp",
    OrderId: "o",
    PaymentId: "p",
    PipelineId: "pipeline",
    PlanId: "plan",
    ProductId: "sku",
    ProgramId: "prog",
    ReviewId: "r",
    RewardId: "rw",
    StaffId: "agent",
    RelationshipId: "rel",
    TeamId: "team",
    TerritoryId: "territory",
    SubscriptionId: "s",
}
_ID_CLASSES: Final = {prefix: cls for cls, prefix in _ID_PREFIXES.items()}


@functools.cache
def _id_texts(prefix: str) -> st.SearchStrategy[str]:
    """Valid id texts: sequential (``prefix-000042``), UUID-shaped and arbitrary ones."""
    arbitrary = st.builds(
        _concat,
        st.sampled_from(string.ascii_letters + string.digits),
        st.text(_ID_CHARS, max_size=40),
    )
    sequential = st.integers(min_value=1, max_value=10**9).map(f"{prefix}-{{:06d}}".format)
    return st.one_of(sequential, st.uuids().map(str), arbitrary)


@functools.cache
def _ids(prefix: str) -> st.SearchStrategy[Any]:
    return _id_texts(prefix).map(_ID_CLASSES[prefix])


def _ids_of(cls: type[_I]) -> st.SearchStrategy[_I]:
    """Valid ids of one of the identifier classes of the relationship aggregates."""
    found: st.SearchStrategy[_I] = _ids(_ID_PREFIXES[cls])
    return found


def _customer_choices(value: object, path: str) -> st.SearchStrategy[CustomerId]:
    if value is None:
        return customer_ids()

    def check(item: object, item_path: str) -> CustomerId:
        if type(item) is not CustomerId:
            raise InvalidType(f"must be a CustomerId, not {type_name(item)}", path=item_path)
        return item

    return st.sampled_from(_non_empty(tuple_of(value, path, check), path))


def _id_pool(value: object, path: str, cls: type[_I]) -> st.SearchStrategy[_I]:
    """One of the ids ``value`` lists (each exactly a ``cls``, checked as ``path``), or any id."""
    pool = _id_choices(value, path, cls)
    return _ids_of(cls) if pool is None else st.sampled_from(pool)


@functools.lru_cache(maxsize=256)
def _team_arguments(
    teams: st.SearchStrategy[TeamId],
) -> st.SearchStrategy[TeamId | EllipsisType | None]:
    """The ``team`` of a reassignment: left out (``...``, keep it), ``None`` (clear it), or one.

    Shrinks towards leaving it out, the simplest call.
    """
    return st.just(...) | st.none() | teams


def _currency_choices(value: object) -> tuple[str, ...]:
    if value is None:
        return tuple(sorted(CURRENCIES))
    return _non_empty(tuple_of(value, "$.currencies", _currency_code), "$.currencies")


def _bool_arg(value: object, path: str) -> bool:
    if not isinstance(value, bool):
        raise InvalidType(f"must be a bool, not {type_name(value)}", path=path)
    return value


def _window(low: object, high: object, name: str = "created_at") -> st.SearchStrategy[datetime]:
    """Aware datetimes from ``min_{name}`` to ``max_{name}`` (2000 to 2099 by default)."""
    earliest = _optional_aware_arg(low, f"$.min_{name}", _DEFAULT_MIN_DATETIME)
    latest = _optional_aware_arg(high, f"$.max_{name}", _DEFAULT_MAX_DATETIME)
    _check_order(earliest, latest, f"$.max_{name}", f"min_{name}")
    return _aware_between(earliest, latest)


#: How far apart two commands of a generated aggregate history lie (up to 30 days).
_STEP_OFFSETS: Final = st.integers(min_value=0, max_value=30 * 24 * 3600).map(
    lambda seconds: timedelta(seconds=seconds)
)
_REASONS: Final = (
    "customer request",
    "insufficient_funds",
    "card_declined",
    "duplicate order",
    "damaged in transit",
    "wrong size",
    "salah kirim",
)
_CATEGORIES: Final = (
    "books",
    "games",
    "mobile data",
    "electronics",
    "groceries",
    "fashion",
    "voucher",
    "pulsa",
)
_PLAN_NAMES: Final = ("Basic", "Premium", "Family", "Unlimited data", "Paket Hemat", "Pro (annual)")
_PLATFORMS: Final = ("google", "tokopedia", "shopee", "trustpilot", "tripadvisor", "facebook")
_ACTORS: Final = ("agent-7", "progression", "import:legacy-crm", "system", "sales-team")
_ROLES: Final = ("team_lead", "support_manager", "duty officer", "account manager")
_RULE_NAMES: Final = ("first-response-75", "resolution-breach", "lead-at-50", "vp-at-200")
_POLICY_NAMES: Final = ("standard", "premium support", "Gold 24/7", "layanan prioritas")
#: Fixed-offset time zones of generated calendars (no time zone database needed).
_CALENDAR_ZONES: Final = (
    "UTC",
    "+07:00",
    "+08:00",
    "+09:00",
    "+05:30",
    "-03:30",
    "-05:00",
    "+01:00",
)
_STAGE_WORDS: Final = ("lead", "trial", "active", "dormant", "vip", "won", "lost", "onboarding")


@functools.cache
def _reasons() -> st.SearchStrategy[str]:
    return st.sampled_from(_REASONS) | _short_texts()


@functools.cache
def _multiline_texts() -> st.SearchStrategy[str]:
    return st.lists(_short_texts(), min_size=1, max_size=3).map("\n".join)


@functools.cache
def _categories() -> st.SearchStrategy[str]:
    return st.sampled_from(_CATEGORIES) | tags()


def _minor(money: Money) -> int:
    """``money`` in whole minor units of its currency (amounts built here always are)."""
    return _units(money.amount, CURRENCIES[money.currency][0], ROUND_FLOOR)


def _of_units(units: int, code: str) -> Money:
    return _money_from_units(units, code=code, digits=CURRENCIES[code][0])


@functools.cache
def _prices(code: str) -> st.SearchStrategy[Money]:
    # Up to ten million minor units: IDR 10,000,000 or USD 100,000.00.
    return st.integers(min_value=0, max_value=10**7).map(functools.partial(_of_units, code=code))


@functools.cache
def tags() -> st.SearchStrategy[str]:
    """Tags in normalized form (case-folded, NFC): ``vip``, ``segment:high-clv``, ``pelanggan setia``.

    ``normalize_tag(tag) == tag`` holds for every tag drawn.
    """
    word = st.text(_TAG_CHARS, min_size=1, max_size=12)
    return st.sampled_from(_TAGS) | _joined(word, 3, _TAG_SEPARATORS)


@functools.cache
def _domains() -> st.SearchStrategy[str]:
    label = st.builds(
        _concat,
        st.sampled_from(_LOWER_DIGITS),
        st.text(_LOWER_DIGITS + "-", max_size=14).map(lambda s: s.rstrip("-")),
    ).filter(lambda s: not s.startswith("xn--"))  # an IDNA A-label must decode: not drawn here
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


def _shuffle(draw: st.DrawFn, items: list[Any]) -> None:
    # Fisher-Yates with drawn indices; shrinks towards the order given.
    for last in range(len(items) - 1, 0, -1):
        other = draw(st.integers(min_value=0, max_value=last))
        items[last], items[other] = items[other], items[last]


@attrs.frozen
class _History:
    """What every generated aggregate history is drawn from.

    Its customers, the most commands after the first, and when the first
    command happens; each aggregate's plan adds its own choices.
    """

    customers: st.SearchStrategy[CustomerId]
    max_steps: int
    start: st.SearchStrategy[datetime]


@attrs.frozen
class _StaffedHistory(_History):
    """A history of an aggregate with an owner and a team: whom and which teams it names."""

    owners: st.SearchStrategy[StaffId]
    teams: st.SearchStrategy[TeamId]


def _as_drawn(built: st.SearchStrategy[_A], pending_events: object) -> st.SearchStrategy[_A]:
    """``built``, or (``pending_events`` false) its aggregates as a repository stores them."""
    return built if _bool_arg(pending_events, "$.pending_events") else built.map(_stored)


def _command_times(draw: st.DrawFn, at: datetime, max_steps: int) -> Iterator[datetime]:
    """The times of up to ``max_steps`` commands after ``at``, each no earlier than the last."""
    for _ in range(draw(st.integers(min_value=0, max_value=max_steps))):
        at = _later(at, draw(_STEP_OFFSETS))
        yield at


def _stored(aggregate: _A) -> _A:
    stored: _A = aggregate.without_pending_events()  # type: ignore[attr-defined]
    return stored


@functools.cache
def _snake_names() -> st.SearchStrategy[str]:
    generated = st.builds(
        _concat,
        st.sampled_from(string.ascii_lowercase),
        st.text(string.ascii_lowercase + string.digits + "_", max_size=12),
    )
    return st.sampled_from(_STAGE_WORDS) | generated
