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
import types
import typing
import unicodedata
from collections.abc import Callable, Iterable
from datetime import UTC, date, datetime, timedelta, timezone
from decimal import ROUND_CEILING, ROUND_FLOOR, Decimal, localcontext
from enum import StrEnum
from typing import Any, Final, TypeVar

import attrs
from dateutil.relativedelta import relativedelta
from hypothesis import strategies as st

from crmcore._kernel._checks import (
    enum_converter,
    instance_of,
    require_aware,
    to_decimal,
    tuple_of,
    type_name,
)
from crmcore._kernel._currencies import CURRENCIES
from crmcore._kernel._events import DomainEvent
from crmcore._kernel._ids import Identifier, SeededIdSource, SequentialIdSource, StaffId
from crmcore._kernel._money import Currency, Money, currency
from crmcore.commerce import (
    ItemReturn,
    ItemsReturned,
    Order,
    OrderCancelled,
    OrderFulfilled,
    OrderId,
    OrderLine,
    OrderPaid,
    OrderPaymentFailed,
    OrderPaymentRecorded,
    OrderPlaced,
    OrderRefunded,
    OrderStatus,
    Payment,
    PaymentId,
    PaymentMethod,
    PaymentOutcome,
    Period,
    PeriodUnit,
    Plan,
    PlanId,
    ProductId,
    Refund,
    ReturnedLine,
    Subscription,
    SubscriptionCancellationScheduled,
    SubscriptionCancelled,
    SubscriptionExpired,
    SubscriptionId,
    SubscriptionPaymentFailed,
    SubscriptionPaymentRecorded,
    SubscriptionRenewed,
    SubscriptionResumed,
    SubscriptionStarted,
    SubscriptionStatus,
    SubscriptionStatusChanged,
)
from crmcore.commerce._payments import MAX_PERIOD_COUNT
from crmcore.customers import (
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
    Customer,
    CustomerId,
    CustomerRegistered,
    LegalBasis,
    LifecycleStageChanged,
    LifecycleState,
    NameChanged,
    OrganizationName,
    PartyKind,
    PersonName,
    PostalAddress,
    PreferredLanguageChanged,
    PrimaryContactPointChanged,
    Profile,
    Purpose,
    StageChange,
    TagAdded,
    TagRemoved,
)
from crmcore.customers._contact import _CALLING_CODES
from crmcore.customers._customer import MAX_AGE_YEARS, MAX_CONTACT_POINTS, MAX_TAGS
from crmcore.errors import InvalidType, ValidationError
from crmcore.feedback import (
    CesResponse,
    CsatResponse,
    FeedbackId,
    NpsResponse,
    Review,
    ReviewAnswered,
    ReviewId,
    ReviewReceived,
    SurveyAnswered,
    SurveyKind,
    SurveyResponse,
)
from crmcore.interactions import (
    Direction,
    Interaction,
    InteractionId,
    InteractionKind,
    InteractionLinked,
    InteractionLogged,
)
from crmcore.interactions._interaction import KIND_CHANNELS, TIMED_KINDS
from crmcore.lifecycle import (
    CRM_STAGES,
    RELATIONSHIP_LADDER,
    START_TRIGGER,
    LifecycleDefinition,
    State,
    Transition,
)
from crmcore.loyalty import (
    EarnRate,
    LoyaltyAccount,
    LoyaltyAccountId,
    LoyaltyProgram,
    MemberEnrolled,
    PointsAdjusted,
    PointsEarned,
    PointsExpired,
    PointsRedeemed,
    PointsRounding,
    ProgramId,
    Reward,
    RewardId,
    RewardRedeemed,
    Tier,
    TierChanged,
)
from crmcore.sales import (
    STANDARD_PIPELINE,
    BantScore,
    Lead,
    LeadAssigned,
    LeadCaptured,
    LeadConverted,
    LeadDisqualified,
    LeadId,
    LeadQualified,
    LeadScored,
    LeadSource,
    LeadStatus,
    LeadStatusChanged,
    Opportunity,
    OpportunityAmountChanged,
    OpportunityCloseDateChanged,
    OpportunityId,
    OpportunityLost,
    OpportunityNextStepChanged,
    OpportunityOpened,
    OpportunityOwnerChanged,
    OpportunityReopened,
    OpportunityStageChanged,
    OpportunityWon,
    PipelineDefinition,
    PipelineId,
    Stage,
    StageKind,
)
from crmcore.segmentation import SegmentEntered, SegmentLeft
from crmcore.service import (
    CASE_TRANSITIONS,
    BusinessCalendar,
    Case,
    CaseAssigned,
    CaseClosed,
    CaseEscalated,
    CaseFirstResponded,
    CaseId,
    CaseKind,
    CaseOpened,
    CasePriority,
    CasePriorityChanged,
    CaseReopened,
    CaseResolved,
    CaseStatus,
    CaseStatusChanged,
    Escalation,
    EscalationRule,
    SlaMetric,
    SlaPolicy,
    SlaTarget,
    TimeOfDay,
    Weekday,
    WorkingDay,
    WorkingHours,
)

__all__ = [
    "attribute_keys",
    "attribute_values",
    "aware_datetimes",
    "birth_dates",
    "business_calendars",
    "cases",
    "consent_records",
    "contact_points",
    "currencies",
    "currency_codes",
    "customer_ids",
    "customers",
    "domain_events",
    "email_addresses",
    "id_sources",
    "interactions",
    "language_tags",
    "leads",
    "lifecycle_definitions",
    "lifecycle_states",
    "loyalty_accounts",
    "loyalty_programs",
    "moneys",
    "opportunities",
    "order_lines",
    "orders",
    "organization_names",
    "periods",
    "person_names",
    "phone_numbers",
    "pipeline_definitions",
    "plans",
    "postal_addresses",
    "profiles",
    "reviews",
    "sla_policies",
    "subscriptions",
    "survey_responses",
    "tags",
]

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
    with_lifecycle: bool = False,
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
        with_lifecycle: ``True`` to end each history with moves along
            ``RELATIONSHIP_LADDER`` (and sometimes ``CRM_STAGES``): triggers
            the definition allows from the current stage, fired with
            ``definition.fire`` (after an explicit ``start`` in a drawn stage,
            sometimes) at later times, so ``lifecycles`` and their
            ``LifecycleStageChanged`` events are real.

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
    walks = (
        (RELATIONSHIP_LADDER, CRM_STAGES) if _bool_arg(with_lifecycle, "$.with_lifecycle") else ()
    )
    built = _customers(
        _CustomerPlan(
            kinds=kind_choices,
            min_contact_points=low_points,
            max_contact_points=high_points,
            max_consents=consent_count,
            max_tags=tag_count,
            registered=_aware_between(low, high),
            lifecycles=walks,
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
    lifecycles: tuple[LifecycleDefinition, ...] = ()


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
    # Lifecycle moves come last, so every event stays in time order.
    when = _later(at, offsets[-1]) if offsets else at
    for number, definition in enumerate(plan.lifecycles):
        if number == 0 or draw(st.booleans()):
            customer, when = _walk(draw, definition, customer, when)
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


# -- identifiers of the relationship aggregates ---------------------------------------------


#: Each identifier class of the relationship aggregates and the prefix of its sequential ids.
_ID_PREFIXES: Final[dict[type[Identifier], str]] = {
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


def _currency_choices(value: object) -> tuple[str, ...]:
    if value is None:
        return tuple(sorted(CURRENCIES))
    return _non_empty(tuple_of(value, "$.currencies", _currency_code), "$.currencies")


def _bool_arg(value: object, path: str) -> bool:
    if not isinstance(value, bool):
        raise InvalidType(f"must be a bool, not {type_name(value)}", path=path)
    return value


def _window(after: object, before: object, name: str) -> st.SearchStrategy[datetime]:
    low = _optional_aware_arg(after, f"$.{name}_after", _DEFAULT_MIN_DATETIME)
    high = _optional_aware_arg(before, f"$.{name}_before", _DEFAULT_MAX_DATETIME)
    _check_order(low, high, f"$.{name}_before", f"{name}_after")
    return _aware_between(low, high)


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


# -- orders ---------------------------------------------------------------------------------


def order_lines(
    *, currencies: Iterable[str] | None = None, max_quantity: int = 20
) -> st.SearchStrategy[OrderLine]:
    """:class:`~crmcore.commerce.OrderLine` values: a product, a quantity, a unit price, a discount.

    Unit prices are whole minor units of their currency (up to ten million of
    them), and a discount, when there is one, never exceeds the line's gross.

    Args:
        currencies: ISO 4217 codes to draw from; every active code by default.
        max_quantity: the largest quantity (1 to 1,000,000).

    Raises:
        ValidationError: an unknown currency, an empty ``currencies`` or a
            quantity bound out of range.
    """
    codes = _currency_choices(currencies)
    most = _int_arg(max_quantity, "$.max_quantity", minimum=1, maximum=1_000_000)
    return st.sampled_from(codes).flatmap(lambda code: _lines_in(code, most))


@functools.lru_cache(maxsize=256)
def _lines_in(code: str, max_quantity: int) -> st.SearchStrategy[OrderLine]:
    return _order_line(code, max_quantity)


@st.composite
def _order_line(draw: st.DrawFn, code: str, max_quantity: int) -> OrderLine:
    quantity = draw(st.integers(min_value=1, max_value=max_quantity))
    price = draw(_prices(code))
    discount = None
    if draw(st.booleans()):
        discount = _of_units(draw(st.integers(0, _minor(price) * quantity)), code)
    return OrderLine(
        draw(_ids_of(ProductId)), quantity, price, category=draw(_categories()), discount=discount
    )


def orders(
    *,
    customer_ids: Iterable[CustomerId] | None = None,
    currencies: Iterable[str] | None = None,
    max_lines: int = 4,
    max_steps: int = 6,
    placed_after: datetime | None = None,
    placed_before: datetime | None = None,
    pending_events: bool = True,
) -> st.SearchStrategy[Order]:
    """Valid :class:`~crmcore.commerce.Order` aggregates with a history built by their commands.

    Each order is placed with :meth:`Order.place <crmcore.commerce.Order.place>`
    and then taken through up to ``max_steps`` commands the order allows at
    that point, at later times: partial and full payments, failed attempts,
    fulfilment, refunds, returns and cancellation. So the status, payments,
    refunds and returns are consistent and ``pending_events`` holds exactly
    the events those commands recorded.

    Args:
        customer_ids: the customers the orders belong to; any id by default.
        currencies: ISO 4217 codes of the orders; every active code by default.
        max_lines: the most lines of one order (1 to 500).
        max_steps: the most commands after placing it (0 to 100).
        placed_after: the earliest time of placing (aware); 2000 by default.
        placed_before: the latest time of placing (aware); 2099 by default.
        pending_events: ``False`` to draw orders as a repository stores them.

    Raises:
        InvalidType: an argument of the wrong type.
        ValidationError: a bound out of range, crossed bounds, an empty choice.

    >>> orders(max_lines=0)
    Traceback (most recent call last):
    ...
    crmcore.errors.ValidationError: $.max_lines: must be at least 1
    """
    plan = _OrderPlan(
        customers=_customer_choices(customer_ids, "$.customer_ids"),
        currencies=_currency_choices(currencies),
        max_lines=_int_arg(max_lines, "$.max_lines", minimum=1, maximum=500),
        max_steps=_int_arg(max_steps, "$.max_steps", maximum=100),
        placed=_window(placed_after, placed_before, "placed"),
    )
    built = _orders(plan)
    return built if _bool_arg(pending_events, "$.pending_events") else built.map(_stored)


def _stored(aggregate: _A) -> _A:
    stored: _A = aggregate.without_pending_events()  # type: ignore[attr-defined]
    return stored


@attrs.frozen
class _OrderPlan:
    customers: st.SearchStrategy[CustomerId]
    currencies: tuple[str, ...]
    max_lines: int
    max_steps: int
    placed: st.SearchStrategy[datetime]


@st.composite
def _orders(draw: st.DrawFn, plan: _OrderPlan) -> Order:
    code = draw(st.sampled_from(plan.currencies))
    at = draw(plan.placed)
    order = Order.place(
        draw(_ids_of(OrderId)),
        customer_id=draw(plan.customers),
        lines=draw(st.lists(_lines_in(code, 20), min_size=1, max_size=plan.max_lines)),
        at=at,
    )
    for _ in range(draw(st.integers(min_value=0, max_value=plan.max_steps))):
        options = _order_options(order)
        if not options:
            break
        at = _later(at, draw(_STEP_OFFSETS))
        order = draw(st.sampled_from(options))(draw, order, at)
    return order


#: One command of a generated order history: (draw, order, when) -> order.
_OrderStep = Callable[[st.DrawFn, Order, datetime], Order]


def _order_options(order: Order) -> list[_OrderStep]:
    """The commands the order accepts now (none once it is refunded or cancelled)."""
    status = order.status
    options: list[_OrderStep] = []
    if status is OrderStatus.PLACED:
        options += [_paying_order, _failing_order_payment]
    if not order.is_fulfilled and status in (OrderStatus.PAID, OrderStatus.PARTIALLY_REFUNDED):
        options.append(_fulfilling)
    if OrderStatus.CANCELLED in order.allowed_statuses:
        options.append(_cancelling_order)
    refundable = (OrderStatus.PAID, OrderStatus.FULFILLED, OrderStatus.PARTIALLY_REFUNDED)
    if status in refundable and order.refundable.amount > 0:
        options.append(_refunding)
    if (
        order.is_fulfilled
        and status in (OrderStatus.FULFILLED, OrderStatus.PARTIALLY_REFUNDED)
        and any(order.returnable_quantity(i) for i in range(len(order.lines)))
    ):
        options.append(_returning)
    return options


def _payment_number(payments: tuple[Payment, ...]) -> PaymentId:
    return PaymentId(f"p-{len(payments) + 1}")


def _paying_order(draw: st.DrawFn, order: Order, when: datetime) -> Order:
    balance = _minor(order.balance_due)
    units = balance if draw(st.booleans()) else draw(st.integers(1, balance))
    return order.record_payment(
        _payment_number(order.payments),
        _of_units(units, order.currency),
        at=when,
        method=draw(st.none() | st.sampled_from(PaymentMethod)),
    )


def _failing_order_payment(draw: st.DrawFn, order: Order, when: datetime) -> Order:
    return order.record_failed_payment(
        _payment_number(order.payments),
        _of_units(draw(st.integers(1, _minor(order.balance_due))), order.currency),
        at=when,
        method=draw(st.none() | st.sampled_from(PaymentMethod)),
        reason=draw(st.none() | _reasons()),
    )


def _fulfilling(_: st.DrawFn, order: Order, when: datetime) -> Order:
    return order.fulfil(at=when)


def _cancelling_order(draw: st.DrawFn, order: Order, when: datetime) -> Order:
    return order.cancel(at=when, reason=draw(st.none() | _reasons()))


def _refunding(draw: st.DrawFn, order: Order, when: datetime) -> Order:
    refundable = _minor(order.refundable)
    units = refundable if draw(st.booleans()) else draw(st.integers(1, refundable))
    return order.refund(
        _of_units(units, order.currency), at=when, reason=draw(st.none() | _reasons())
    )


def _returning(draw: st.DrawFn, order: Order, when: datetime) -> Order:
    open_lines = [i for i in range(len(order.lines)) if order.returnable_quantity(i)]
    chosen = draw(st.lists(st.sampled_from(open_lines), min_size=1, unique=True))
    quantities = {i: draw(st.integers(1, order.returnable_quantity(i))) for i in chosen}
    refund = None
    if draw(st.booleans()):  # an exchange, or an amount agreed with the customer
        refund = _of_units(draw(st.integers(0, _minor(order.refundable))), order.currency)
    return order.return_items(
        quantities, at=when, refund=refund, reason=draw(st.none() | _reasons())
    )


# -- subscriptions --------------------------------------------------------------------------


def periods(
    *, units: Iterable[PeriodUnit | str] | None = None, max_count: int | None = None
) -> st.SearchStrategy[Period]:
    """Billing :class:`~crmcore.commerce.Period` values: a count of days, weeks, months or years.

    Args:
        units: the units to draw from (members or values); all by default.
        max_count: the largest count (at least 1); each unit's own limit
            (ten years) by default and at most.

    Raises:
        ValidationError: an unknown unit, an empty ``units`` or a count below 1.
    """
    unit_choices = _enum_choices(units, "$.units", PeriodUnit)
    most = None if max_count is None else _int_arg(max_count, "$.max_count", minimum=1)
    return _periods(unit_choices, most)


@functools.lru_cache(maxsize=64)
def _periods(units: tuple[PeriodUnit, ...], most: int | None) -> st.SearchStrategy[Period]:
    return st.one_of(
        *(
            st.builds(
                Period,
                st.integers(
                    min_value=1,
                    max_value=MAX_PERIOD_COUNT[unit]
                    if most is None
                    else min(most, MAX_PERIOD_COUNT[unit]),
                ),
                st.just(unit),
            )
            for unit in units
        )
    )


def plans(
    *, currencies: Iterable[str] | None = None, trial: bool | None = None
) -> st.SearchStrategy[Plan]:
    """Subscription :class:`~crmcore.commerce.Plan` values: a fee every billing period.

    Fees are whole minor units (free plans included); billing periods are a
    common one (monthly, quarterly, yearly, weekly, 30 days) or up to twelve
    of any unit; trials last days to a few months.

    Args:
        currencies: ISO 4217 codes of the fees; every active code by default.
        trial: ``True`` for plans with a trial, ``False`` without; both by default.

    Raises:
        InvalidType: ``trial`` is not a bool or None.
        ValidationError: an unknown currency or an empty ``currencies``.
    """
    codes = _currency_choices(currencies)
    if trial is not None:
        _bool_arg(trial, "$.trial")
    return _plans(codes, trial)


_COMMON_PERIODS: Final = st.sampled_from(
    (Period.months(1), Period.months(3), Period.years(1), Period.weeks(1), Period.days(30))
)
_TRIALS: Final = st.sampled_from((Period.days(7), Period.days(14), Period.months(1)))


@functools.lru_cache(maxsize=64)
def _plans(codes: tuple[str, ...], trial: bool | None) -> st.SearchStrategy[Plan]:
    billing = _COMMON_PERIODS | _periods(tuple(PeriodUnit), 12)
    trials: st.SearchStrategy[Period | None] = _TRIALS | _periods(tuple(PeriodUnit), 3)
    if trial is None:
        trials = st.none() | trials
    elif not trial:
        trials = st.none()
    return st.builds(
        Plan,
        id=_ids_of(PlanId),
        name=st.sampled_from(_PLAN_NAMES) | _short_texts(),
        price=st.sampled_from(codes).flatmap(_prices),
        period=billing,
        product_type=_categories(),
        trial=trials,
    )


def subscriptions(
    *,
    customer_ids: Iterable[CustomerId] | None = None,
    currencies: Iterable[str] | None = None,
    max_steps: int = 6,
    started_after: datetime | None = None,
    started_before: datetime | None = None,
    pending_events: bool = True,
) -> st.SearchStrategy[Subscription]:
    """Valid :class:`~crmcore.commerce.Subscription` aggregates with a history built by their commands.

    Each subscription starts with :meth:`Subscription.start
    <crmcore.commerce.Subscription.start>` on a drawn plan (maybe a fixed term,
    maybe grace days), then goes through up to ``max_steps`` commands at later
    times: fees paid for the next unpaid due date, failed attempts,
    ``refresh``, cancellation (at period end or immediately), ``resume`` and
    ``renew``, each only where the subscription allows it.

    Args:
        customer_ids: the subscribers; any id by default.
        currencies: ISO 4217 codes of the fees; every active code by default.
        max_steps: the most commands after starting (0 to 100).
        started_after: the earliest start (aware); 2000 by default.
        started_before: the latest start (aware); 2099 by default.
        pending_events: ``False`` to draw subscriptions as a repository stores them.

    Raises:
        InvalidType: an argument of the wrong type.
        ValidationError: a bound out of range, crossed bounds, an empty choice.
    """
    plan = _SubscriptionPlan(
        customers=_customer_choices(customer_ids, "$.customer_ids"),
        plans=_plans(_currency_choices(currencies), None),
        max_steps=_int_arg(max_steps, "$.max_steps", maximum=100),
        started=_window(started_after, started_before, "started"),
    )
    built = _subscriptions(plan)
    return built if _bool_arg(pending_events, "$.pending_events") else built.map(_stored)


@attrs.frozen
class _SubscriptionPlan:
    customers: st.SearchStrategy[CustomerId]
    plans: st.SearchStrategy[Plan]
    max_steps: int
    started: st.SearchStrategy[datetime]


@st.composite
def _subscriptions(draw: st.DrawFn, plan: _SubscriptionPlan) -> Subscription:
    at = draw(plan.started)
    sub = Subscription.start(
        draw(_ids_of(SubscriptionId)),
        customer_id=draw(plan.customers),
        plan=draw(plan.plans),
        at=at,
        periods=draw(st.none() | st.integers(min_value=1, max_value=24)),
        grace_days=draw(st.integers(min_value=0, max_value=30)),
    )
    for _ in range(draw(st.integers(min_value=0, max_value=plan.max_steps))):
        at = _later(at, draw(_STEP_OFFSETS))
        # Keep the subscription current first, as a host application does: time-based
        # changes (a cancellation taking effect) are recorded before anything later.
        sub = sub.refresh(at=at)
        sub = draw(st.sampled_from(_subscription_options(sub, at)))(draw, sub, at)
    return sub


#: One command of a generated subscription history: (draw, subscription, when) -> subscription.
_SubscriptionStep = Callable[[st.DrawFn, Subscription, datetime], Subscription]
_ENDED: Final = frozenset({SubscriptionStatus.CANCELLED, SubscriptionStatus.EXPIRED})


def _unpaid_due(sub: Subscription) -> datetime | None:
    """The earliest due date before the end that no payment settled, if the fee is not zero."""
    if sub.fee.is_zero():
        return None
    settled = {p.due_at for p in sub.payments if p.succeeded}
    end = sub.ends_at
    number = 0
    while True:
        due = sub.due_at(number)
        if end is not None and due >= end:
            return None
        if due not in settled:
            return due
        number += 1


def _subscription_options(sub: Subscription, when: datetime) -> list[_SubscriptionStep]:
    """The commands the subscription accepts at ``when`` (``refresh`` always)."""
    options: list[_SubscriptionStep] = [_refreshing]
    if _unpaid_due(sub) is not None:
        options += [_paying_fee, _failing_fee]
    current = sub.refresh(at=when)
    if current.status not in _ENDED:
        options.append(_cancelling_subscription)
        if current.cancel_requested_at is not None:
            options.append(_resuming)
        if current.term_periods is not None:
            options.append(_renewing)
    return options


def _refreshing(_: st.DrawFn, sub: Subscription, when: datetime) -> Subscription:
    return sub.refresh(at=when)


def _paying_fee(draw: st.DrawFn, sub: Subscription, when: datetime) -> Subscription:
    return sub.record_payment(
        _payment_number(sub.payments),
        sub.fee,
        at=when,
        method=draw(st.none() | st.sampled_from(PaymentMethod)),
    )


def _failing_fee(draw: st.DrawFn, sub: Subscription, when: datetime) -> Subscription:
    return sub.record_failed_payment(
        _payment_number(sub.payments),
        sub.fee,
        at=when,
        method=draw(st.none() | st.sampled_from(PaymentMethod)),
        reason=draw(st.none() | _reasons()),
    )


def _cancelling_subscription(draw: st.DrawFn, sub: Subscription, when: datetime) -> Subscription:
    return sub.cancel(at=when, immediately=draw(st.booleans()), reason=draw(st.none() | _reasons()))


def _resuming(_: st.DrawFn, sub: Subscription, when: datetime) -> Subscription:
    return sub.resume(at=when)


def _renewing(draw: st.DrawFn, sub: Subscription, when: datetime) -> Subscription:
    return sub.renew(at=when, periods=draw(st.integers(min_value=1, max_value=12)))


# -- interactions ---------------------------------------------------------------------------


def interactions(
    *,
    customer_ids: Iterable[CustomerId] | None = None,
    kinds: Iterable[InteractionKind | str] | None = None,
    channels: Iterable[Channel | str] | None = None,
    occurred_after: datetime | None = None,
    occurred_before: datetime | None = None,
    pending_events: bool = True,
) -> st.SearchStrategy[Interaction]:
    """Valid :class:`~crmcore.interactions.Interaction` records, logged and sometimes linked later.

    Each is built by :meth:`Interaction.log <crmcore.interactions.Interaction.log>`
    with a kind on a channel it can happen on, a duration only for calls,
    video calls and meetings, and optional subject, notes, staff member,
    case and opportunity; some are then linked to a case or an opportunity
    with :meth:`~crmcore.interactions.Interaction.link`.

    Args:
        customer_ids: the customers; any id by default.
        kinds: the kinds of interaction (members or values); all by default.
        channels: the channels (members or values); all by default.
        occurred_after: the earliest time (aware); 2000 by default.
        occurred_before: the latest time (aware); 2099 by default.
        pending_events: ``False`` to draw records as a repository stores them.

    Raises:
        InvalidType: an argument of the wrong type.
        ValidationError: crossed bounds, an unknown or empty choice, or kinds
            and channels with no pair that can happen (``$.channels``).
    """
    kind_choices = _enum_choices(kinds, "$.kinds", InteractionKind)
    channel_choices = _enum_choices(channels, "$.channels", Channel)
    pairs = tuple(
        (kind, channel)
        for kind in kind_choices
        for channel in channel_choices
        if channel in KIND_CHANNELS[kind]
    )
    if not pairs:
        raise ValidationError(
            "must hold a channel on which one of the kinds happens", path="$.channels", code="empty"
        )
    built = _interactions(
        _customer_choices(customer_ids, "$.customer_ids"),
        pairs,
        _window(occurred_after, occurred_before, "occurred"),
    )
    return built if _bool_arg(pending_events, "$.pending_events") else built.map(_stored)


_DURATIONS: Final = st.integers(min_value=0, max_value=86_400).map(
    lambda seconds: timedelta(seconds=seconds)
)


@st.composite
def _interactions(
    draw: st.DrawFn,
    customers: st.SearchStrategy[CustomerId],
    pairs: tuple[tuple[InteractionKind, Channel], ...],
    times: st.SearchStrategy[datetime],
) -> Interaction:
    kind, channel = draw(st.sampled_from(pairs))
    at = draw(times)
    record = Interaction.log(
        draw(_ids_of(InteractionId)),
        customer_id=draw(customers),
        kind=kind,
        channel=channel,
        direction=draw(st.sampled_from(Direction)),
        at=at,
        subject=draw(st.none() | _short_texts()),
        notes=draw(st.none() | _multiline_texts()),
        staff_id=draw(st.none() | _ids_of(StaffId)),
        case_id=draw(st.none() | _ids_of(CaseId)),
        opportunity_id=draw(st.none() | _ids_of(OpportunityId)),
        duration=draw(st.none() | _DURATIONS) if kind in TIMED_KINDS else None,
    )
    if draw(st.booleans()):
        record = record.link(
            at=_later(at, draw(_STEP_OFFSETS)),
            case_id=draw(st.none() | _ids_of(CaseId)),
            opportunity_id=draw(st.none() | _ids_of(OpportunityId)),
        )
    return record


# -- service cases --------------------------------------------------------------------------


def cases(
    *,
    customer_ids: Iterable[CustomerId] | None = None,
    kinds: Iterable[CaseKind | str] | None = None,
    priorities: Iterable[CasePriority | str] | None = None,
    max_steps: int = 6,
    opened_after: datetime | None = None,
    opened_before: datetime | None = None,
    pending_events: bool = True,
) -> st.SearchStrategy[Case]:
    """Valid service :class:`~crmcore.service.Case` aggregates with a history built by their commands.

    Each case is opened with :meth:`Case.open <crmcore.service.Case.open>` and
    then goes through up to ``max_steps`` commands at later times (never
    backwards): responses, status changes the machine allows (waiting on the
    customer, resolving, closing, reopening), assignment, priority changes
    and escalations.

    Args:
        customer_ids: the customers; any id by default.
        kinds: complaint, question, request (members or values); all by default.
        priorities: the priorities a case is opened with; all by default.
        max_steps: the most commands after opening (0 to 100).
        opened_after: the earliest opening time (aware); 2000 by default.
        opened_before: the latest opening time (aware); 2099 by default.
        pending_events: ``False`` to draw cases as a repository stores them.

    Raises:
        InvalidType: an argument of the wrong type.
        ValidationError: a bound out of range, crossed bounds, an empty choice.
    """
    plan = _CasePlan(
        customers=_customer_choices(customer_ids, "$.customer_ids"),
        kinds=_enum_choices(kinds, "$.kinds", CaseKind),
        priorities=_enum_choices(priorities, "$.priorities", CasePriority),
        max_steps=_int_arg(max_steps, "$.max_steps", maximum=100),
        opened=_window(opened_after, opened_before, "opened"),
    )
    built = _cases(plan)
    return built if _bool_arg(pending_events, "$.pending_events") else built.map(_stored)


@attrs.frozen
class _CasePlan:
    customers: st.SearchStrategy[CustomerId]
    kinds: tuple[CaseKind, ...]
    priorities: tuple[CasePriority, ...]
    max_steps: int
    opened: st.SearchStrategy[datetime]


@st.composite
def _cases(draw: st.DrawFn, plan: _CasePlan) -> Case:
    at = draw(plan.opened)
    case = Case.open(
        draw(_ids_of(CaseId)),
        customer_id=draw(plan.customers),
        kind=draw(st.sampled_from(plan.kinds)),
        subject=draw(_short_texts()),
        channel=draw(st.sampled_from(Channel)),
        at=at,
        priority=draw(st.sampled_from(plan.priorities)),
        description=draw(st.none() | _multiline_texts()),
        assignee=draw(st.none() | _ids_of(StaffId)),
        order_id=draw(st.none() | _ids_of(OrderId)),
    )
    steps = (_responding, _moving_case, _assigning, _prioritizing, _escalating)
    for _ in range(draw(st.integers(min_value=0, max_value=plan.max_steps))):
        at = _later(at, draw(_STEP_OFFSETS))
        case = draw(st.sampled_from(steps))(draw, case, at)
    return case


def _responding(_: st.DrawFn, case: Case, when: datetime) -> Case:
    return case.respond(at=when)


def _moving_case(draw: st.DrawFn, case: Case, when: datetime) -> Case:
    target = draw(st.sampled_from(sorted(case.allowed_statuses)))
    return case.change_status(target, at=when, reason=draw(st.none() | _reasons()))


def _assigning(draw: st.DrawFn, case: Case, when: datetime) -> Case:
    return case.assign(draw(st.none() | _ids_of(StaffId)), at=when)


def _prioritizing(draw: st.DrawFn, case: Case, when: datetime) -> Case:
    return case.change_priority(draw(st.sampled_from(CasePriority)), at=when)


def _escalating(draw: st.DrawFn, case: Case, when: datetime) -> Case:
    span = (when - case.opened_at) // timedelta(seconds=1)
    due = case.opened_at + timedelta(seconds=draw(st.integers(0, max(span, 0))))
    escalation = Escalation(
        rule=draw(st.sampled_from(_RULE_NAMES) | _short_texts()),
        metric=draw(st.sampled_from(SlaMetric)),
        level=draw(st.integers(min_value=1, max_value=10)),
        due_at=min(due, when),
        notify_role=draw(st.none() | st.sampled_from(_ROLES)),
    )
    return case.escalate(escalation, at=when)


# -- business calendars and SLA policies ----------------------------------------------------


def business_calendars(*, max_holidays: int = 5) -> st.SearchStrategy[BusinessCalendar]:
    """Valid :class:`~crmcore.service.BusinessCalendar` values on quarter-hour boundaries.

    Each weekday has zero to three working intervals (at least one day has
    some), in a fixed-offset time zone or UTC (so no time zone database is
    needed), with up to ``max_holidays`` holidays between 2000 and 2100.

    Args:
        max_holidays: the most holidays (0 to 1000).

    Raises:
        ValidationError: ``max_holidays`` out of range.
    """
    return _business_calendars(_int_arg(max_holidays, "$.max_holidays", maximum=1000))


@functools.lru_cache(maxsize=16)
def _business_calendars(max_holidays: int) -> st.SearchStrategy[BusinessCalendar]:
    holidays = st.lists(
        st.dates(min_value=date(2000, 1, 1), max_value=date(2100, 12, 31)),
        unique=True,
        max_size=max_holidays,
    )
    return _calendar(holidays)


def _quarter(number: int) -> TimeOfDay:
    minutes = number * 15
    return TimeOfDay(minutes // 60, minutes % 60)


@st.composite
def _calendar(draw: st.DrawFn, holidays: st.SearchStrategy[list[date]]) -> BusinessCalendar:
    busy = draw(st.sampled_from(Weekday))
    week = []
    for day in Weekday:
        count = draw(st.integers(min_value=1 if day is busy else 0, max_value=3))
        bounds = sorted(
            draw(st.lists(st.integers(0, 96), min_size=2 * count, max_size=2 * count, unique=True))
        )
        hours = [
            WorkingHours(_quarter(start), _quarter(end))
            for start, end in zip(bounds[::2], bounds[1::2], strict=True)
        ]
        listed = bool(hours) or draw(st.booleans())  # a closed day may be listed, or left out
        if listed:
            week.append(WorkingDay(day, hours))
    return BusinessCalendar(
        week, time_zone=draw(st.sampled_from(_CALENDAR_ZONES)), holidays=draw(holidays)
    )


def sla_policies(*, max_rules: int = 3) -> st.SearchStrategy[SlaPolicy]:
    """Valid :class:`~crmcore.service.SlaPolicy` values on :func:`business_calendars`.

    Every priority has a first-response target of 1 to 5,000 business minutes
    and a resolution target no shorter; escalation rules have distinct names
    and fire at a percentage of a target or on its breach.

    Args:
        max_rules: the most escalation rules (0 to 100).

    Raises:
        ValidationError: ``max_rules`` out of range.
    """
    return _sla_policies(_int_arg(max_rules, "$.max_rules", maximum=100))


@st.composite
def _sla_target(draw: st.DrawFn, priority: CasePriority) -> SlaTarget:
    first = draw(st.integers(min_value=1, max_value=5_000))
    return SlaTarget(priority, first, draw(st.integers(min_value=first, max_value=50_000)))


_ESCALATION_RULES: Final = st.builds(
    EscalationRule,
    name=st.sampled_from(_RULE_NAMES) | _short_texts(),
    metric=st.sampled_from(SlaMetric),
    level=st.integers(min_value=1, max_value=10),
    percent=st.none() | st.integers(min_value=1, max_value=1000),
    notify_role=st.none() | st.sampled_from(_ROLES),
)


@functools.lru_cache(maxsize=16)
def _sla_policies(max_rules: int) -> st.SearchStrategy[SlaPolicy]:
    return st.builds(
        SlaPolicy,
        st.sampled_from(_POLICY_NAMES) | _short_texts(),
        _business_calendars(5),
        st.tuples(*(_sla_target(priority) for priority in CasePriority)),
        st.lists(_ESCALATION_RULES, max_size=max_rules, unique_by=_rule_name),
    )


def _rule_name(rule: EscalationRule) -> str:
    return rule.name


# -- feedback -------------------------------------------------------------------------------


def reviews(
    *,
    customer_ids: Iterable[CustomerId] | None = None,
    ratings: Iterable[int] | None = None,
    published_after: datetime | None = None,
    published_before: datetime | None = None,
    pending_events: bool = True,
) -> st.SearchStrategy[Review]:
    """Valid public :class:`~crmcore.feedback.Review` aggregates, some already answered.

    Built by :meth:`Review.receive <crmcore.feedback.Review.receive>` on a
    platform, with optional text, author name, URL and customer (reviews of
    unknown authors have none), then sometimes :meth:`~crmcore.feedback.Review.answer`.

    Args:
        customer_ids: the known reviewers; any id by default.
        ratings: the ratings to draw from (1 to 5); all by default.
        published_after: the earliest publication time (aware); 2000 by default.
        published_before: the latest publication time (aware); 2099 by default.
        pending_events: ``False`` to draw reviews as a repository stores them.

    Raises:
        InvalidType: an argument of the wrong type.
        ValidationError: a rating out of range, crossed bounds, an empty choice.
    """

    def rating(value: object, path: str) -> int:
        return _int_arg(value, path, minimum=1, maximum=5)

    rating_choices = (1, 2, 3, 4, 5) if ratings is None else tuple_of(ratings, "$.ratings", rating)
    built = _reviews(
        _customer_choices(customer_ids, "$.customer_ids"),
        _non_empty(rating_choices, "$.ratings"),
        _window(published_after, published_before, "published"),
    )
    return built if _bool_arg(pending_events, "$.pending_events") else built.map(_stored)


@functools.cache
def _review_urls() -> st.SearchStrategy[str]:
    return st.builds(
        lambda domain, path: f"https://{domain}/reviews/{path}",
        _domains(),
        _ascii_slugs(20),
    )


@functools.cache
def _author_names() -> st.SearchStrategy[str]:
    initial = st.sampled_from(("", " P.", " S.", " W."))
    return st.builds(_concat, st.sampled_from(_GIVEN_NAMES), initial)


@st.composite
def _reviews(
    draw: st.DrawFn,
    customers: st.SearchStrategy[CustomerId],
    ratings: tuple[int, ...],
    times: st.SearchStrategy[datetime],
) -> Review:
    at = draw(times)
    review = Review.receive(
        draw(_ids_of(ReviewId)),
        platform=draw(st.sampled_from(_PLATFORMS) | _ascii_slugs(20)),
        rating=draw(st.sampled_from(ratings)),
        at=at,
        text=draw(st.none() | _multiline_texts()),
        author_name=draw(st.none() | _author_names()),
        url=draw(st.none() | _review_urls()),
        customer_id=draw(st.none() | customers),
    )
    if draw(st.booleans()):
        review = review.answer(at=_later(at, draw(_STEP_OFFSETS)))
    return review


_SURVEY_CLASSES: Final[dict[SurveyKind, type[CsatResponse | NpsResponse | CesResponse]]] = {
    SurveyKind.CSAT: CsatResponse,
    SurveyKind.NPS: NpsResponse,
    SurveyKind.CES: CesResponse,
}


def survey_responses(
    *,
    kinds: Iterable[SurveyKind | str] | None = None,
    customer_ids: Iterable[CustomerId] | None = None,
    answered_after: datetime | None = None,
    answered_before: datetime | None = None,
    pending_events: bool = True,
) -> st.SearchStrategy[SurveyResponse]:
    """Valid survey answers of every kind: CSAT (1-5), NPS (0-10) and CES (1-7).

    Answers are :class:`~crmcore.feedback.CsatResponse`,
    :class:`~crmcore.feedback.NpsResponse` or :class:`~crmcore.feedback.CesResponse`
    values. Each is recorded with its class's ``record`` (so ``pending_events`` holds
    its :class:`~crmcore.feedback.SurveyAnswered`), with an optional case,
    order and comment.

    Args:
        kinds: ``"csat"``, ``"nps"`` and/or ``"ces"``; all by default.
        customer_ids: the customers answering; any id by default.
        answered_after: the earliest answer time (aware); 2000 by default.
        answered_before: the latest answer time (aware); 2099 by default.
        pending_events: ``False`` to draw answers as a repository stores them.

    Raises:
        InvalidType: an argument of the wrong type.
        ValidationError: an unknown or empty choice, or crossed bounds.
    """
    kind_choices = _enum_choices(kinds, "$.kinds", SurveyKind)
    built = _survey_responses(
        kind_choices,
        _customer_choices(customer_ids, "$.customer_ids"),
        _window(answered_after, answered_before, "answered"),
    )
    return built if _bool_arg(pending_events, "$.pending_events") else built.map(_stored)


@st.composite
def _survey_responses(
    draw: st.DrawFn,
    kinds: tuple[SurveyKind, ...],
    customers: st.SearchStrategy[CustomerId],
    times: st.SearchStrategy[datetime],
) -> SurveyResponse:
    cls = _SURVEY_CLASSES[draw(st.sampled_from(kinds))]
    return cls.record(
        draw(_ids_of(FeedbackId)),
        customer_id=draw(customers),
        score=draw(st.integers(min_value=cls.min_score, max_value=cls.max_score)),
        at=draw(times),
        case_id=draw(st.none() | _ids_of(CaseId)),
        order_id=draw(st.none() | _ids_of(OrderId)),
        comment=draw(st.none() | _multiline_texts()),
    )


# -- loyalty programs and accounts ----------------------------------------------------------


_TIER_WORDS: Final = ("bronze", "silver", "gold", "platinum", "diamond", "member", "vip")
_TIER_MULTIPLIERS: Final = (Decimal(1), Decimal("1.25"), Decimal("1.5"), Decimal(2))
_REWARD_NAMES: Final = ("Free coffee", "Voucher Rp 50.000", "Movie ticket", "Free shipping")
_WINDOWS: Final = st.sampled_from(
    (Period.months(12), Period.months(6), Period.days(90), Period.days(365))
)
_EXPIRIES: Final = st.none() | st.sampled_from(
    (Period.months(12), Period.months(24), Period.days(30), Period.days(180))
)
_GRACES: Final = st.none() | st.sampled_from((Period.days(30), Period.months(1), Period.days(7)))


def loyalty_programs(
    *, currencies: Iterable[str] | None = None, max_tiers: int = 4
) -> st.SearchStrategy[LoyaltyProgram]:
    """Valid :class:`~crmcore.loyalty.LoyaltyProgram` values: tiers, earn rules, a rewards catalogue.

    Tiers qualify all by points or all by spend and cover every amount from
    zero without a gap or an overlap; the program earns per amount spent,
    per order, or both (or neither); points may expire; a downgrade grace and
    rewards (some for higher tiers, some out of stock) are optional. Programs
    have no bonus occasions.

    Args:
        currencies: ISO 4217 codes of the programs; every active code by default.
        max_tiers: the most tiers of one program (1 to 10).

    Raises:
        ValidationError: an unknown currency, an empty ``currencies`` or a
            tier bound out of range.
    """
    codes = _currency_choices(currencies)
    most = _int_arg(max_tiers, "$.max_tiers", minimum=1, maximum=10)
    return _loyalty_programs(codes, most)


@functools.lru_cache(maxsize=64)
def _loyalty_programs(codes: tuple[str, ...], max_tiers: int) -> st.SearchStrategy[LoyaltyProgram]:
    return _loyalty_program(codes, max_tiers)


@st.composite
def _loyalty_program(draw: st.DrawFn, codes: tuple[str, ...], max_tiers: int) -> LoyaltyProgram:
    code = draw(st.sampled_from(codes))
    count = draw(st.integers(min_value=1, max_value=max_tiers))
    names = draw(
        st.lists(
            st.sampled_from(_TIER_WORDS) | _snake_names(),
            min_size=count,
            max_size=count,
            unique=True,
        )
    )
    steps = draw(st.lists(st.integers(1, 10**6), min_size=count - 1, max_size=count - 1))
    lowers = [0]
    for step in steps:
        lowers.append(lowers[-1] + step)
    by_spend = draw(st.booleans())
    tiers = []
    for index, name in enumerate(names):
        upper = lowers[index + 1] if index + 1 < count else None
        multiplier = draw(st.sampled_from(_TIER_MULTIPLIERS))
        if by_spend:
            tiers.append(
                Tier.by_spend(
                    name,
                    _of_units(lowers[index], code),
                    below=None if upper is None else _of_units(upper, code),
                    multiplier=multiplier,
                )
            )
        else:
            tiers.append(Tier.by_points(name, lowers[index], below=upper, multiplier=multiplier))
    rewards = [
        Reward(
            id=RewardId(f"rw-{number}"),
            name=draw(st.sampled_from(_REWARD_NAMES) | _short_texts()),
            points_cost=draw(st.integers(min_value=1, max_value=1_000)),
            min_tier=draw(st.none() | st.sampled_from(names)),
            stock=draw(st.none() | st.integers(min_value=0, max_value=100)),
        )
        for number in range(1, draw(st.integers(min_value=0, max_value=3)) + 1)
    ]
    earn_rate = None
    if draw(st.booleans()):
        per = _of_units(draw(st.integers(min_value=100, max_value=10**6)), code)
        earn_rate = EarnRate(draw(st.integers(min_value=1, max_value=10)), per)
    return LoyaltyProgram(
        id=draw(_ids_of(ProgramId)),
        name=draw(_short_texts()),
        currency=code,
        tiers=tiers,
        earn_rate=earn_rate,
        rounding=draw(st.sampled_from(PointsRounding)),
        points_per_order=draw(st.integers(min_value=0, max_value=50)),
        expiry=draw(_EXPIRIES),
        tier_window=draw(_WINDOWS),
        downgrade_grace=draw(_GRACES),
        rewards=rewards,
    )


def loyalty_accounts(
    *,
    program: LoyaltyProgram | None = None,
    customer_ids: Iterable[CustomerId] | None = None,
    max_steps: int = 6,
    enrolled_after: datetime | None = None,
    enrolled_before: datetime | None = None,
    pending_events: bool = True,
) -> st.SearchStrategy[LoyaltyAccount]:
    """Valid :class:`~crmcore.loyalty.LoyaltyAccount` aggregates with a ledger built by their commands.

    Each account is enrolled with :meth:`LoyaltyAccount.enroll
    <crmcore.loyalty.LoyaltyAccount.enroll>` and then taken through up to
    ``max_steps`` commands at later times: points earned for paid orders of
    the member and for other activity, goodwill adjustments, redemptions
    (of points, or of a reward the member may have) within the unexpired
    balance, expiry of lapsed points and tier evaluations. So the ledger,
    the balance and the tier history are consistent and ``pending_events``
    holds exactly the events those commands recorded.

    Args:
        program: the program of every account (its rules drive the commands);
            one drawn by :func:`loyalty_programs` for each account by default.
        customer_ids: the members; any id by default.
        max_steps: the most commands after enrolling (0 to 100).
        enrolled_after: the earliest enrolment time (aware); 2000 by default.
        enrolled_before: the latest enrolment time (aware); 2099 by default.
        pending_events: ``False`` to draw accounts as a repository stores them.

    Raises:
        InvalidType: an argument of the wrong type.
        ValidationError: a bound out of range, crossed bounds, an empty choice.

    >>> loyalty_accounts(program="gold")
    Traceback (most recent call last):
    ...
    crmcore.errors.InvalidType: $.program: must be a LoyaltyProgram, not str
    """
    programs: st.SearchStrategy[LoyaltyProgram]
    if program is None:
        programs = loyalty_programs()
    else:
        programs = st.just(instance_of(LoyaltyProgram, "a LoyaltyProgram")(program, "$.program"))
    plan = _AccountPlan(
        programs=programs,
        customers=_customer_choices(customer_ids, "$.customer_ids"),
        max_steps=_int_arg(max_steps, "$.max_steps", maximum=100),
        enrolled=_window(enrolled_after, enrolled_before, "enrolled"),
    )
    built = _loyalty_accounts(plan)
    return built if _bool_arg(pending_events, "$.pending_events") else built.map(_stored)


@attrs.frozen
class _AccountPlan:
    programs: st.SearchStrategy[LoyaltyProgram]
    customers: st.SearchStrategy[CustomerId]
    max_steps: int
    enrolled: st.SearchStrategy[datetime]


#: One command of a generated account history: (draw, account, program, when) -> account.
_AccountStep = Callable[[st.DrawFn, LoyaltyAccount, LoyaltyProgram, datetime], LoyaltyAccount]


@st.composite
def _loyalty_accounts(draw: st.DrawFn, plan: _AccountPlan) -> LoyaltyAccount:
    program = draw(plan.programs)
    at = draw(plan.enrolled)
    account = LoyaltyAccount.enroll(
        draw(_ids_of(LoyaltyAccountId)),
        customer_id=draw(plan.customers),
        program=program,
        at=at,
    )
    for _ in range(draw(st.integers(min_value=0, max_value=plan.max_steps))):
        at = _later(at, draw(_STEP_OFFSETS))
        options = [_earning_for_order, _earning, _gifting, _expiring, _evaluating]
        if account.available(at) > 0:
            options.append(_redeeming)
        account = draw(st.sampled_from(options))(draw, account, program, at)
    return account


def _earning_for_order(
    draw: st.DrawFn, account: LoyaltyAccount, program: LoyaltyProgram, when: datetime
) -> LoyaltyAccount:
    code = program.currency
    price = _of_units(draw(st.integers(min_value=1, max_value=10**6)), code)
    order = Order.place(
        OrderId(f"o-{len(account.ledger) + 1:06d}"),
        customer_id=account.customer_id,
        lines=[OrderLine(ProductId("sku-1"), 1, price, category=draw(_categories()))],
        at=when,
    )
    paid = order.record_payment(PaymentId("p-1"), order.balance_due, at=when)
    return account.earn_for_order(paid, program, at=when)


def _earning(
    draw: st.DrawFn, account: LoyaltyAccount, program: LoyaltyProgram, when: datetime
) -> LoyaltyAccount:
    points = draw(st.integers(min_value=1, max_value=2_000))
    return account.earn(points, program, at=when, reason=draw(_reasons()))


def _gifting(
    draw: st.DrawFn, account: LoyaltyAccount, _: LoyaltyProgram, when: datetime
) -> LoyaltyAccount:
    points = draw(st.integers(min_value=1, max_value=500))
    return account.adjust(points, at=when, reason=draw(_reasons()))


def _expiring(
    _: st.DrawFn, account: LoyaltyAccount, __: LoyaltyProgram, when: datetime
) -> LoyaltyAccount:
    return account.expire_due(at=when)


def _evaluating(
    _: st.DrawFn, account: LoyaltyAccount, program: LoyaltyProgram, when: datetime
) -> LoyaltyAccount:
    return account.evaluate_tier(program, at=when)


def _redeeming(
    draw: st.DrawFn, account: LoyaltyAccount, program: LoyaltyProgram, when: datetime
) -> LoyaltyAccount:
    available = account.available(when)
    rank = program.rank(account.tier)
    rewards = [
        reward.id
        for reward in program.rewards
        if reward.points_cost <= available
        and reward.stock != 0
        and (reward.min_tier is None or program.rank(reward.min_tier) <= rank)
    ]
    by_reward: bool = draw(st.booleans())
    if rewards and by_reward:
        return account.redeem_reward(draw(st.sampled_from(rewards)), program, at=when)
    points = draw(st.integers(min_value=1, max_value=available))
    return account.redeem(points, at=when, reason=draw(st.none() | _reasons()))


# -- sales pipeline -------------------------------------------------------------------------


def pipeline_definitions(*, max_stages: int = 8) -> st.SearchStrategy[PipelineDefinition]:
    """Valid sales :class:`~crmcore.sales.PipelineDefinition` values, the standard one among them.

    A pipeline has one to four open stages with a win probability from 0 to 1
    (in hundredths), and one or two won and lost stages, in a drawn order.

    Args:
        max_stages: the most stages of one pipeline (3 to 8).

    Raises:
        ValidationError: ``max_stages`` out of range.
    """
    most = _int_arg(max_stages, "$.max_stages", minimum=3, maximum=8)
    return st.just(STANDARD_PIPELINE) | _pipeline_definitions(most)


@functools.lru_cache(maxsize=16)
def _pipeline_definitions(max_stages: int) -> st.SearchStrategy[PipelineDefinition]:
    return _pipeline_definition(max_stages)


@st.composite
def _pipeline_definition(draw: st.DrawFn, max_stages: int) -> PipelineDefinition:
    won = draw(st.integers(min_value=1, max_value=2))
    lost = draw(st.integers(min_value=1, max_value=2))
    opened = draw(st.integers(min_value=1, max_value=max(1, min(4, max_stages - won - lost))))
    total = opened + won + lost
    codes = draw(st.lists(_snake_names(), min_size=total, max_size=total, unique=True))
    orders = draw(st.permutations(range(1, total + 1)))
    kinds = [StageKind.OPEN] * opened + [StageKind.WON] * won + [StageKind.LOST] * lost
    stages = []
    for code, order, kind in zip(codes, orders, kinds, strict=True):
        chance = Decimal(1) if kind is StageKind.WON else Decimal(0)
        if kind is StageKind.OPEN:
            chance = Decimal(draw(st.integers(min_value=0, max_value=100))) / 100
        stages.append(Stage(code, kind=kind, probability=chance, order=order * 10))
    return PipelineDefinition(
        id=draw(_ids_of(PipelineId)), name=draw(_short_texts()), stages=stages
    )


def leads(
    *,
    customer_ids: Iterable[CustomerId] | None = None,
    sources: Iterable[LeadSource | str] | None = None,
    max_steps: int = 6,
    captured_after: datetime | None = None,
    captured_before: datetime | None = None,
    pending_events: bool = True,
) -> st.SearchStrategy[Lead]:
    """Valid sales :class:`~crmcore.sales.Lead` aggregates with a history built by their commands.

    Each lead is captured with :meth:`Lead.capture <crmcore.sales.Lead.capture>`
    and then taken through up to ``max_steps`` commands the lead allows at
    that point, at later times: contact, qualification (with a BANT score or
    not), disqualification with a reason, recycling, rescoring, assignment,
    and conversion into a customer.

    Args:
        customer_ids: the customers converted leads become (and referrers);
            any id by default.
        sources: lead sources (members or values); all by default.
        max_steps: the most commands after capturing (0 to 100).
        captured_after: the earliest capture time (aware); 2000 by default.
        captured_before: the latest capture time (aware); 2099 by default.
        pending_events: ``False`` to draw leads as a repository stores them.

    Raises:
        InvalidType: an argument of the wrong type.
        ValidationError: a bound out of range, crossed bounds, an empty choice.
    """
    plan = _LeadPlan(
        customers=_customer_choices(customer_ids, "$.customer_ids"),
        sources=_enum_choices(sources, "$.sources", LeadSource),
        max_steps=_int_arg(max_steps, "$.max_steps", maximum=100),
        captured=_window(captured_after, captured_before, "captured"),
    )
    built = _leads(plan)
    return built if _bool_arg(pending_events, "$.pending_events") else built.map(_stored)


@attrs.frozen
class _LeadPlan:
    customers: st.SearchStrategy[CustomerId]
    sources: tuple[LeadSource, ...]
    max_steps: int
    captured: st.SearchStrategy[datetime]


#: One command of a generated lead history: (draw, lead, customers, when) -> lead.
_LeadStep = Callable[[st.DrawFn, Lead, st.SearchStrategy[CustomerId], datetime], Lead]

_BANT_SCORES: Final = st.builds(
    BantScore, st.booleans(), st.booleans(), st.booleans(), st.booleans()
)


@st.composite
def _leads(draw: st.DrawFn, plan: _LeadPlan) -> Lead:
    at = draw(plan.captured)
    lead = Lead.capture(
        draw(_ids_of(LeadId)),
        name=draw(person_names() | organization_names()),
        source=draw(st.sampled_from(plan.sources)),
        at=at,
        contact_points=draw(st.lists(contact_points(), max_size=1)),
        interest=draw(st.none() | _short_texts()),
        campaign=draw(st.none() | tags()),
        referred_by=draw(st.none() | plan.customers),
        owner=draw(st.none() | _ids_of(StaffId)),
    )
    for _ in range(draw(st.integers(min_value=0, max_value=plan.max_steps))):
        at = _later(at, draw(_STEP_OFFSETS))
        lead = draw(st.sampled_from(_lead_options(lead)))(draw, lead, plan.customers, at)
    return lead


def _lead_options(lead: Lead) -> list[_LeadStep]:
    """The commands the lead accepts now (only assignment once it is converted)."""
    status = lead.status
    options: list[_LeadStep] = [_assigning_lead]
    if status is LeadStatus.CONVERTED:
        return options
    options.append(_rescoring)
    if status is LeadStatus.NEW:
        options.append(_contacting)
    if status in (LeadStatus.NEW, LeadStatus.CONTACTED):
        options.append(_qualifying)
    if status is LeadStatus.QUALIFIED:
        options.append(_converting)
    if status is LeadStatus.DISQUALIFIED:
        options.append(_recycling)
    else:
        options.append(_disqualifying)
    return options


def _assigning_lead(
    draw: st.DrawFn, lead: Lead, _: st.SearchStrategy[CustomerId], when: datetime
) -> Lead:
    return lead.assign(draw(st.none() | _ids_of(StaffId)), at=when)


def _rescoring(
    draw: st.DrawFn, lead: Lead, _: st.SearchStrategy[CustomerId], when: datetime
) -> Lead:
    return lead.rescore(draw(_BANT_SCORES), at=when)


def _contacting(
    draw: st.DrawFn, lead: Lead, _: st.SearchStrategy[CustomerId], when: datetime
) -> Lead:
    return lead.contact(at=when, reason=draw(st.none() | _reasons()))


def _qualifying(
    draw: st.DrawFn, lead: Lead, _: st.SearchStrategy[CustomerId], when: datetime
) -> Lead:
    return lead.qualify(
        at=when, score=draw(st.none() | _BANT_SCORES), reason=draw(st.none() | _reasons())
    )


def _disqualifying(
    draw: st.DrawFn, lead: Lead, _: st.SearchStrategy[CustomerId], when: datetime
) -> Lead:
    return lead.disqualify(at=when, reason=draw(_reasons()))


def _recycling(
    draw: st.DrawFn, lead: Lead, _: st.SearchStrategy[CustomerId], when: datetime
) -> Lead:
    return lead.recycle(at=when, reason=draw(st.none() | _reasons()))


def _converting(
    draw: st.DrawFn, lead: Lead, customers: st.SearchStrategy[CustomerId], when: datetime
) -> Lead:
    return lead.convert(draw(customers), at=when).lead


def opportunities(
    *,
    customer_ids: Iterable[CustomerId] | None = None,
    pipeline: PipelineDefinition | None = None,
    currencies: Iterable[str] | None = None,
    max_steps: int = 6,
    opened_after: datetime | None = None,
    opened_before: datetime | None = None,
    pending_events: bool = True,
) -> st.SearchStrategy[Opportunity]:
    """Valid sales :class:`~crmcore.sales.Opportunity` aggregates with a history built by their commands.

    Each opportunity is opened with :meth:`Opportunity.open
    <crmcore.sales.Opportunity.open>` in an open stage and then taken through
    up to ``max_steps`` commands the opportunity allows at that point, at
    later times: stage moves, winning, losing with a reason, restoring a lost
    deal, amount and close date changes, reassignment and next steps.

    Args:
        customer_ids: the customers; any id by default.
        pipeline: the pipeline of every opportunity; one drawn by
            :func:`pipeline_definitions` for each by default.
        currencies: ISO 4217 codes of the amounts; every active code by default.
        max_steps: the most commands after opening (0 to 100).
        opened_after: the earliest opening time (aware); 2000 by default.
        opened_before: the latest opening time (aware); 2099 by default.
        pending_events: ``False`` to draw opportunities as a repository stores them.

    Raises:
        InvalidType: an argument of the wrong type.
        ValidationError: a bound out of range, crossed bounds, an empty choice.
    """
    pipelines: st.SearchStrategy[PipelineDefinition]
    if pipeline is None:
        pipelines = pipeline_definitions()
    else:
        checked = instance_of(PipelineDefinition, "a PipelineDefinition")(pipeline, "$.pipeline")
        pipelines = st.just(checked)
    plan = _OpportunityPlan(
        customers=_customer_choices(customer_ids, "$.customer_ids"),
        pipelines=pipelines,
        currencies=_currency_choices(currencies),
        max_steps=_int_arg(max_steps, "$.max_steps", maximum=100),
        opened=_window(opened_after, opened_before, "opened"),
    )
    built = _opportunities(plan)
    return built if _bool_arg(pending_events, "$.pending_events") else built.map(_stored)


@attrs.frozen
class _OpportunityPlan:
    customers: st.SearchStrategy[CustomerId]
    pipelines: st.SearchStrategy[PipelineDefinition]
    currencies: tuple[str, ...]
    max_steps: int
    opened: st.SearchStrategy[datetime]


#: One command of a generated opportunity history: (draw, deal, pipeline, when) -> deal.
_OpportunityStep = Callable[[st.DrawFn, Opportunity, PipelineDefinition, datetime], Opportunity]
_CLOSE_DAYS: Final = st.integers(min_value=0, max_value=365).map(lambda n: timedelta(days=n))


@st.composite
def _opportunities(draw: st.DrawFn, plan: _OpportunityPlan) -> Opportunity:
    pipeline = draw(plan.pipelines)
    at = draw(plan.opened)
    next_step = draw(st.none() | _short_texts())
    deal = Opportunity.open(
        draw(_ids_of(OpportunityId)),
        customer_id=draw(plan.customers),
        name=draw(_short_texts()),
        amount=draw(st.sampled_from(plan.currencies).flatmap(_prices)),
        expected_close=at.date() + draw(_CLOSE_DAYS),
        owner=draw(_ids_of(StaffId)),
        pipeline=pipeline,
        at=at,
        stage=draw(st.sampled_from([stage.code for stage in pipeline.open_stages])),
        next_step=next_step,
        next_step_due=None if next_step is None else at.date() + draw(_CLOSE_DAYS),
        lead_id=draw(st.none() | _ids_of(LeadId)),
    )
    for _ in range(draw(st.integers(min_value=0, max_value=plan.max_steps))):
        at = _later(at, draw(_STEP_OFFSETS))
        deal = draw(st.sampled_from(_opportunity_options(deal)))(draw, deal, pipeline, at)
    return deal


def _opportunity_options(deal: Opportunity) -> list[_OpportunityStep]:
    """The commands the opportunity accepts now (a won deal keeps only owner and next step)."""
    options: list[_OpportunityStep] = [_reassigning, _next_stepping]
    if deal.is_open:
        options += [_moving_deal, _winning, _losing, _repricing, _rescheduling]
    elif deal.is_lost:
        options += [_restoring, _repricing]
    return options


def _reassigning(
    draw: st.DrawFn, deal: Opportunity, _: PipelineDefinition, when: datetime
) -> Opportunity:
    return deal.reassign(draw(_ids_of(StaffId)), at=when)


def _next_stepping(
    draw: st.DrawFn, deal: Opportunity, _: PipelineDefinition, when: datetime
) -> Opportunity:
    step = draw(st.none() | _short_texts())
    due = None if step is None else draw(st.none() | _CLOSE_DAYS.map(when.date().__add__))
    return deal.set_next_step(step, at=when, due=due)


def _moving_deal(
    draw: st.DrawFn, deal: Opportunity, pipeline: PipelineDefinition, when: datetime
) -> Opportunity:
    target = draw(st.sampled_from([stage.code for stage in pipeline.open_stages]))
    return deal.move_to(target, pipeline, at=when, reason=draw(st.none() | _reasons()))


def _winning(
    draw: st.DrawFn, deal: Opportunity, pipeline: PipelineDefinition, when: datetime
) -> Opportunity:
    stage = draw(st.sampled_from([stage.code for stage in pipeline.won_stages]))
    return deal.win(pipeline, at=when, stage=stage)


def _losing(
    draw: st.DrawFn, deal: Opportunity, pipeline: PipelineDefinition, when: datetime
) -> Opportunity:
    stage = draw(st.sampled_from([stage.code for stage in pipeline.lost_stages]))
    return deal.lose(pipeline, at=when, reason=draw(_reasons()), stage=stage)


def _restoring(
    draw: st.DrawFn, deal: Opportunity, pipeline: PipelineDefinition, when: datetime
) -> Opportunity:
    stage = draw(st.none() | st.sampled_from([stage.code for stage in pipeline.open_stages]))
    return deal.restore(pipeline, at=when, stage=stage)


def _repricing(
    draw: st.DrawFn, deal: Opportunity, _: PipelineDefinition, when: datetime
) -> Opportunity:
    return deal.change_amount(draw(_prices(deal.amount.currency)), at=when)


def _rescheduling(
    draw: st.DrawFn, deal: Opportunity, _: PipelineDefinition, when: datetime
) -> Opportunity:
    return deal.change_expected_close(deal.expected_close + draw(_CLOSE_DAYS), at=when)


# -- lifecycles -----------------------------------------------------------------------------


def _definition_choices(value: object) -> tuple[LifecycleDefinition, ...]:
    if value is None:
        return (RELATIONSHIP_LADDER, CRM_STAGES)
    return _non_empty(
        tuple_of(value, "$.definitions", instance_of(LifecycleDefinition, "a LifecycleDefinition")),
        "$.definitions",
    )


def lifecycle_states(
    *,
    definitions: Iterable[LifecycleDefinition] | None = None,
    max_changes: int = 8,
    started_after: datetime | None = None,
    started_before: datetime | None = None,
) -> st.SearchStrategy[LifecycleState]:
    """Valid :class:`~crmcore.customers.LifecycleState` values: a walk along a definition's moves.

    The history enters a stage of the definition (usually the initial one)
    and then takes up to ``max_changes - 1`` moves the definition allows, never
    back in time, so ``definition.replay(state.history) == state.stage``.
    Guards are data here: a move that names guards is taken as if they held.

    Args:
        definitions: the definitions to walk; ``RELATIONSHIP_LADDER`` and
            ``CRM_STAGES`` by default.
        max_changes: the most changes in a history, the entry included (1 to 1000).
        started_after: the earliest entry time (aware); 2000 by default.
        started_before: the latest entry time (aware); 2099 by default.

    Raises:
        InvalidType: an argument of the wrong type.
        ValidationError: a bound out of range, crossed bounds or an empty ``definitions``.
    """
    return _lifecycle_states(
        _definition_choices(definitions),
        _int_arg(max_changes, "$.max_changes", minimum=1, maximum=1000),
        _window(started_after, started_before, "started"),
    )


@functools.cache
def _actors() -> st.SearchStrategy[str]:
    return st.sampled_from(_ACTORS) | _ascii_slugs(30, "-_:.")


@st.composite
def _lifecycle_states(
    draw: st.DrawFn,
    definitions: tuple[LifecycleDefinition, ...],
    max_changes: int,
    times: st.SearchStrategy[datetime],
) -> LifecycleState:
    definition = draw(st.sampled_from(definitions))
    at = draw(times)
    stage = definition.initial
    if draw(st.booleans()):  # an imported customer enters at a known stage
        stage = draw(st.sampled_from(definition.stage_names))
    history = [StageChange(None, stage, START_TRIGGER, at, draw(st.none() | _actors()))]
    for _ in range(draw(st.integers(min_value=0, max_value=max_changes - 1))):
        triggers = definition.triggers_from(stage)
        if not triggers:
            break
        trigger = draw(st.sampled_from(triggers))
        target = definition.target_of(stage, trigger)
        if target is None:  # pragma: no cover - triggers_from lists only allowed triggers
            break
        at = _later(at, draw(_STEP_OFFSETS))
        history.append(
            StageChange(
                stage,
                target,
                trigger,
                at,
                draw(st.none() | _actors()),
                draw(st.none() | _reasons()),
            )
        )
        stage = target
    return LifecycleState(definition.name, stage, tuple(history))


def _walk(
    draw: st.DrawFn, definition: LifecycleDefinition, customer: Customer, when: datetime
) -> tuple[Customer, datetime]:
    """Fire a drawn path along ``definition`` from ``when`` on; return the customer and the last time."""
    at = when
    started = draw(st.booleans())
    if started:  # an imported customer enters at a known stage
        stage = draw(st.sampled_from(definition.stage_names))
        customer = definition.start(customer, at=at, stage=stage, actor=draw(st.none() | _actors()))
    # At least one change, so the customer is tracked by the definition.
    moves = draw(st.integers(min_value=0 if started else 1, max_value=_LIFECYCLE_MOVES))
    for _ in range(moves):
        triggers = definition.allowed_triggers(customer)
        if not triggers:
            break
        at = _later(at, draw(_STEP_OFFSETS))
        customer = definition.fire(
            customer,
            draw(st.sampled_from(triggers)),
            at=at,
            actor=draw(st.none() | _actors()),
            reason=draw(st.none() | _reasons()),
        )
    return customer, at


#: The most moves a generated customer makes in one lifecycle.
_LIFECYCLE_MOVES: Final = 6


def lifecycle_definitions(
    *, min_states: int = 1, max_states: int = 6
) -> st.SearchStrategy[LifecycleDefinition]:
    """Small valid :class:`~crmcore.lifecycle.LifecycleDefinition` values.

    Every state is reachable from the initial one (a drawn spanning tree),
    every open state has a way out and terminal states have none, no
    trigger leads from one state to two targets; some transitions have
    several sources or name guards, some states a group or a label, and
    some definitions a funnel. State order is shuffled, so the initial
    state is not always declared first.

    Args:
        min_states: the fewest states (at least 1).
        max_states: the most states (at most 26).

    Raises:
        ValidationError: a bound out of range, or crossed bounds.
    """
    low = _int_arg(min_states, "$.min_states", minimum=1, maximum=26)
    high = _int_arg(max_states, "$.max_states", minimum=1, maximum=26)
    _check_order(low, high, "$.max_states", "min_states")
    return _lifecycle_definitions(low, high)


@functools.cache
def _snake_names() -> st.SearchStrategy[str]:
    generated = st.builds(
        _concat,
        st.sampled_from(string.ascii_lowercase),
        st.text(string.ascii_lowercase + string.digits + "_", max_size=12),
    )
    return st.sampled_from(_STAGE_WORDS) | generated


@st.composite
def _lifecycle_definitions(draw: st.DrawFn, low: int, high: int) -> LifecycleDefinition:
    count = draw(st.integers(min_value=low, max_value=high))
    names = draw(st.lists(_snake_names(), min_size=count, max_size=count, unique=True))
    terminal = [False] + [draw(st.integers(0, 3)) == 0 for _ in names[1:]]
    transitions: list[Transition] = []
    for index in range(1, count):  # a spanning tree: every state reachable
        parents = [names[i] for i in range(index) if not terminal[i]]
        transitions.append(
            Transition(f"to_{names[index]}", draw(st.sampled_from(parents)), names[index])
        )
    open_states = [n for n, done in zip(names, terminal, strict=True) if not done]
    guards = st.lists(
        st.sampled_from(("has_consent", "is_vip", "paid_in_full")), unique=True, max_size=2
    )
    for number in range(draw(st.integers(min_value=0, max_value=count))):
        sources = draw(st.lists(st.sampled_from(open_states), min_size=1, max_size=3, unique=True))
        transitions.append(
            Transition(f"move_{number}", sources, draw(st.sampled_from(names)), guards=draw(guards))
        )
    leaving = {source for t in transitions for source in t.sources}
    # An open state needs a way out.
    transitions.extend(
        Transition(f"leave_{name}", name, draw(st.sampled_from(names)))
        for name in open_states
        if name not in leaving
    )
    states = [
        State(
            name,
            terminal=done,
            group=draw(st.none() | st.sampled_from(("acquire", "enhance", "retain"))),
            label=draw(st.none() | _short_texts()),
        )
        for name, done in zip(names, terminal, strict=True)
    ]
    _shuffle(draw, states)
    funnel = [state.name for state in states if draw(st.integers(0, 3)) == 0]
    return LifecycleDefinition(
        draw(_snake_names()),
        states=states,
        initial=names[0],
        transitions=transitions,
        funnel=funnel,
    )


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


# -- events of the relationship aggregates --------------------------------------------------


@functools.cache
def _event_times() -> st.SearchStrategy[datetime]:
    return aware_datetimes()


@st.composite
def _payments(draw: st.DrawFn, outcome: PaymentOutcome, *, with_due: bool = False) -> Payment:
    code = draw(currency_codes())
    at = draw(_event_times())
    return Payment(
        id=draw(_ids_of(PaymentId)),
        amount=_of_units(draw(st.integers(min_value=1, max_value=10**7)), code),
        at=at,
        outcome=outcome,
        method=draw(st.none() | st.sampled_from(PaymentMethod)),
        due_at=at if with_due else None,
        failure_reason=None
        if outcome is PaymentOutcome.SUCCEEDED
        else draw(st.none() | _reasons()),
    )


def _payment_event(
    cls: Callable[..., DomainEvent],
    id_type: type[Identifier],
    outcome: PaymentOutcome,
    *,
    with_due: bool = False,
) -> st.SearchStrategy[Any]:
    id_field = "order_id" if id_type is OrderId else "subscription_id"

    def build(payment: Payment, ident: Identifier, customer_id: CustomerId) -> DomainEvent:
        fields: dict[str, Any] = {id_field: ident}
        return cls(occurred_at=payment.at, customer_id=customer_id, payment=payment, **fields)

    return st.builds(build, _payments(outcome, with_due=with_due), _ids_of(id_type), customer_ids())


@st.composite
def _order_placed(draw: st.DrawFn) -> DomainEvent:
    code = draw(currency_codes())
    order = Order.place(
        draw(_ids_of(OrderId)),
        customer_id=draw(customer_ids()),
        lines=draw(st.lists(_lines_in(code, 20), min_size=1, max_size=3)),
        at=draw(_event_times()),
    )
    return order.pending_events[0]


@st.composite
def _order_refunded(draw: st.DrawFn) -> DomainEvent:
    code = draw(currency_codes())
    at = draw(_event_times())
    units = draw(st.integers(min_value=1, max_value=10**7))
    refund = Refund(amount=_of_units(units, code), at=at, reason=draw(st.none() | _reasons()))
    total = _of_units(units + draw(st.integers(min_value=0, max_value=10**7)), code)
    return OrderRefunded(
        occurred_at=at,
        order_id=draw(_ids_of(OrderId)),
        customer_id=draw(customer_ids()),
        refund=refund,
        refunded_total=total,
    )


@st.composite
def _items_returned(draw: st.DrawFn) -> DomainEvent:
    at = draw(_event_times())
    lines = draw(
        st.lists(st.integers(min_value=0, max_value=20), min_size=1, max_size=3, unique=True)
    )
    returned = ItemReturn(
        lines=[
            ReturnedLine(line, draw(st.integers(min_value=1, max_value=20)))
            for line in sorted(lines)
        ],
        at=at,
        refund=_of_units(draw(st.integers(min_value=0, max_value=10**7)), draw(currency_codes())),
        reason=draw(st.none() | _reasons()),
    )
    return ItemsReturned(
        occurred_at=at,
        order_id=draw(_ids_of(OrderId)),
        customer_id=draw(customer_ids()),
        returned=returned,
    )


@st.composite
def _subscription_started(draw: st.DrawFn) -> DomainEvent:
    plan = draw(_plans(tuple(sorted(CURRENCIES)), None))
    status = SubscriptionStatus.ACTIVE if plan.trial is None else SubscriptionStatus.TRIALING
    return SubscriptionStarted(
        occurred_at=draw(_event_times()),
        subscription_id=draw(_ids_of(SubscriptionId)),
        customer_id=draw(customer_ids()),
        plan=plan,
        status=status,
        term_periods=draw(st.none() | st.integers(min_value=1, max_value=24)),
    )


#: The moves ``refresh`` records as :class:`SubscriptionStatusChanged`.
_SUBSCRIPTION_MOVES: Final = (
    (SubscriptionStatus.TRIALING, SubscriptionStatus.ACTIVE),
    (SubscriptionStatus.TRIALING, SubscriptionStatus.PAST_DUE),
    (SubscriptionStatus.ACTIVE, SubscriptionStatus.PAST_DUE),
    (SubscriptionStatus.PAST_DUE, SubscriptionStatus.ACTIVE),
)


def _subscription_status_changed(
    moves: tuple[SubscriptionStatus, SubscriptionStatus],
    at: datetime,
    ident: SubscriptionId,
    customer_id: CustomerId,
) -> DomainEvent:
    return SubscriptionStatusChanged(
        occurred_at=at,
        subscription_id=ident,
        customer_id=customer_id,
        previous=moves[0],
        status=moves[1],
    )


def _ending(
    cls: type[SubscriptionRenewed | SubscriptionCancellationScheduled],
) -> st.SearchStrategy[Any]:
    @st.composite
    def build(draw: st.DrawFn) -> DomainEvent:
        at = draw(_event_times())
        fields: dict[str, Any] = {
            "occurred_at": at,
            "subscription_id": draw(_ids_of(SubscriptionId)),
            "customer_id": draw(customer_ids()),
            "ends_at": _later(at, draw(_STEP_OFFSETS)),
        }
        if cls is SubscriptionRenewed:
            fields["periods"] = draw(st.integers(min_value=1, max_value=12))
        else:
            fields["reason"] = draw(st.none() | _reasons())
        return cls(**fields)

    return build()


@st.composite
def _interaction_logged(draw: st.DrawFn) -> DomainEvent:
    kind = draw(st.sampled_from(InteractionKind))
    return InteractionLogged(
        occurred_at=draw(_event_times()),
        interaction_id=draw(_ids_of(InteractionId)),
        customer_id=draw(customer_ids()),
        kind=kind,
        channel=draw(st.sampled_from(sorted(KIND_CHANNELS[kind]))),
        direction=draw(st.sampled_from(Direction)),
        staff_id=draw(st.none() | _ids_of(StaffId)),
        case_id=draw(st.none() | _ids_of(CaseId)),
        opportunity_id=draw(st.none() | _ids_of(OpportunityId)),
    )


@st.composite
def _interaction_linked(draw: st.DrawFn) -> DomainEvent:
    case_id = draw(st.none() | _ids_of(CaseId))
    opportunity = _ids_of(OpportunityId)
    return InteractionLinked(
        occurred_at=draw(_event_times()),
        interaction_id=draw(_ids_of(InteractionId)),
        customer_id=draw(customer_ids()),
        case_id=case_id,
        opportunity_id=draw(opportunity if case_id is None else st.none() | opportunity),
    )


def _case_moves(cls: type[CaseStatusChanged]) -> tuple[tuple[CaseStatus, CaseStatus], ...]:
    """The status changes a case records as exactly ``cls``."""
    moves = []
    for source, targets in CASE_TRANSITIONS.items():
        for target in sorted(targets):
            if target is CaseStatus.RESOLVED:
                kind: type[CaseStatusChanged] = CaseResolved
            elif target is CaseStatus.CLOSED:
                kind = CaseClosed
            elif source in (CaseStatus.RESOLVED, CaseStatus.CLOSED):
                kind = CaseReopened
            else:
                kind = CaseStatusChanged
            if kind is cls:
                moves.append((source, target))
    return tuple(moves)


def _case_status_event(cls: type[CaseStatusChanged]) -> st.SearchStrategy[Any]:
    def build(
        move: tuple[CaseStatus, CaseStatus],
        at: datetime,
        ident: CaseId,
        customer_id: CustomerId,
        reason: str | None,
    ) -> DomainEvent:
        return cls(
            occurred_at=at,
            case_id=ident,
            customer_id=customer_id,
            from_status=move[0],
            to_status=move[1],
            reason=reason,
        )

    return st.builds(
        build,
        st.sampled_from(_case_moves(cls)),
        _event_times(),
        _ids_of(CaseId),
        customer_ids(),
        st.none() | _reasons(),
    )


@st.composite
def _case_assigned(draw: st.DrawFn) -> DomainEvent:
    previous = draw(st.none() | _ids_of(StaffId))
    assignee = draw(st.none() | _ids_of(StaffId))
    if assignee == previous:
        assignee = None if previous is not None else draw(_ids_of(StaffId))
    return CaseAssigned(
        occurred_at=draw(_event_times()),
        case_id=draw(_ids_of(CaseId)),
        customer_id=draw(customer_ids()),
        assignee=assignee,
        previous=previous,
    )


@st.composite
def _case_priority_changed(draw: st.DrawFn) -> DomainEvent:
    old, new = draw(st.lists(st.sampled_from(CasePriority), min_size=2, max_size=2, unique=True))
    return CasePriorityChanged(
        occurred_at=draw(_event_times()),
        case_id=draw(_ids_of(CaseId)),
        customer_id=draw(customer_ids()),
        from_priority=old,
        to_priority=new,
    )


@st.composite
def _case_escalated(draw: st.DrawFn) -> DomainEvent:
    at = draw(_event_times())
    escalation = Escalation(
        rule=draw(st.sampled_from(_RULE_NAMES) | _short_texts()),
        metric=draw(st.sampled_from(SlaMetric)),
        level=draw(st.integers(min_value=1, max_value=10)),
        due_at=at,
        notify_role=draw(st.none() | st.sampled_from(_ROLES)),
    )
    return CaseEscalated(
        occurred_at=at,
        case_id=draw(_ids_of(CaseId)),
        customer_id=draw(customer_ids()),
        escalation=escalation,
    )


@st.composite
def _lifecycle_stage_changed(draw: st.DrawFn) -> DomainEvent:
    state = draw(_lifecycle_states((RELATIONSHIP_LADDER, CRM_STAGES), 4, _event_times()))
    change = state.history[-1]
    return LifecycleStageChanged(
        occurred_at=change.at,
        customer_id=draw(customer_ids()),
        definition=state.definition,
        from_stage=change.from_stage,
        to_stage=change.to_stage,
        trigger=change.trigger,
        actor=change.actor,
        reason=change.reason,
    )


def _answered(response: SurveyResponse) -> DomainEvent:
    return response.pending_events[0]


def _review_events(cls: type[ReviewReceived | ReviewAnswered]) -> st.SearchStrategy[Any]:
    @st.composite
    def build(draw: st.DrawFn) -> DomainEvent:
        fields: dict[str, Any] = {
            "occurred_at": draw(_event_times()),
            "review_id": draw(_ids_of(ReviewId)),
            "customer_id": draw(st.none() | customer_ids()),
        }
        if cls is ReviewReceived:
            fields["platform"] = draw(st.sampled_from(_PLATFORMS) | _ascii_slugs(20))
            fields["rating"] = draw(st.integers(min_value=1, max_value=5))
        return cls(**fields)

    return build()


# Loyalty, pipeline and segment events are drawn field by field from their
# declared types: each field valid on its own, without the cross-field
# consistency their aggregates give them.
_TYPED_EVENTS: Final = (
    MemberEnrolled,
    PointsEarned,
    PointsRedeemed,
    PointsExpired,
    PointsAdjusted,
    RewardRedeemed,
    TierChanged,
    LeadCaptured,
    LeadStatusChanged,
    LeadQualified,
    LeadDisqualified,
    LeadConverted,
    LeadScored,
    LeadAssigned,
    OpportunityOpened,
    OpportunityStageChanged,
    OpportunityWon,
    OpportunityLost,
    OpportunityReopened,
    OpportunityAmountChanged,
    OpportunityCloseDateChanged,
    OpportunityOwnerChanged,
    OpportunityNextStepChanged,
    SegmentEntered,
    SegmentLeft,
)


def _typed_event(cls: type[Any]) -> st.SearchStrategy[Any]:
    """Instances of an attrs class, each field drawn from its declared type."""
    hints = typing.get_type_hints(cls)
    fields = {f.name: _of_type(hints[f.name]) for f in attrs.fields(cls) if f.init}
    return st.builds(cls, **fields)


#: Strategies of the plain field types of :func:`_typed_event`.
_FIELD_TYPES: Final[dict[Any, Callable[[], st.SearchStrategy[Any]]]] = {
    datetime: _event_times,
    date: lambda: st.dates(min_value=date(2000, 1, 1), max_value=date(2099, 12, 31)),
    bool: st.booleans,
    int: lambda: st.integers(min_value=-(10**6), max_value=10**6),
    Decimal: lambda: st.decimals(min_value=0, max_value=10**9, places=2),
    str: _snake_names,
    Money: lambda: moneys(min_value=0, max_value=10**9),
    CustomerId: customer_ids,
}


def _of_type(tp: Any) -> st.SearchStrategy[Any]:
    args = typing.get_args(tp)
    origin = typing.get_origin(tp)
    if origin in (typing.Union, types.UnionType):
        inner = st.one_of(*(_of_type(a) for a in args if a is not type(None)))
        return st.none() | inner if type(None) in args else inner
    if origin is tuple and len(args) == 2 and args[1] is Ellipsis:
        return st.lists(_of_type(args[0]), max_size=3).map(tuple)
    if tp in _FIELD_TYPES:
        return _FIELD_TYPES[tp]()
    if isinstance(tp, type) and issubclass(tp, Identifier):
        return _id_texts(tp.__name__.removesuffix("Id").lower()).map(tp)
    if isinstance(tp, type) and issubclass(tp, StrEnum):
        return st.sampled_from(tp)
    if isinstance(tp, type) and attrs.has(tp):
        return _typed_event(tp)
    raise InvalidType(f"has no strategy for fields of type {tp!r}", path="$.types")


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
    LifecycleStageChanged: _lifecycle_stage_changed,
    # Orders.
    OrderPlaced: _order_placed,
    OrderPaymentRecorded: lambda: _payment_event(
        OrderPaymentRecorded, OrderId, PaymentOutcome.SUCCEEDED
    ),
    OrderPaymentFailed: lambda: _payment_event(OrderPaymentFailed, OrderId, PaymentOutcome.FAILED),
    OrderPaid: lambda: _event(OrderPaid, order_id=_ids_of(OrderId), amount=moneys(min_value=0)),
    OrderFulfilled: lambda: _event(OrderFulfilled, order_id=_ids_of(OrderId)),
    OrderCancelled: lambda: _event(
        OrderCancelled, order_id=_ids_of(OrderId), reason=st.none() | _reasons()
    ),
    OrderRefunded: _order_refunded,
    ItemsReturned: _items_returned,
    # Subscriptions.
    SubscriptionStarted: _subscription_started,
    SubscriptionStatusChanged: lambda: st.builds(
        _subscription_status_changed,
        st.sampled_from(_SUBSCRIPTION_MOVES),
        _event_times(),
        _ids_of(SubscriptionId),
        customer_ids(),
    ),
    SubscriptionPaymentRecorded: lambda: _payment_event(
        SubscriptionPaymentRecorded, SubscriptionId, PaymentOutcome.SUCCEEDED, with_due=True
    ),
    SubscriptionPaymentFailed: lambda: _payment_event(
        SubscriptionPaymentFailed, SubscriptionId, PaymentOutcome.FAILED, with_due=True
    ),
    SubscriptionRenewed: lambda: _ending(SubscriptionRenewed),
    SubscriptionCancellationScheduled: lambda: _ending(SubscriptionCancellationScheduled),
    SubscriptionResumed: lambda: _event(
        SubscriptionResumed, subscription_id=_ids_of(SubscriptionId)
    ),
    SubscriptionCancelled: lambda: _event(
        SubscriptionCancelled,
        subscription_id=_ids_of(SubscriptionId),
        immediately=st.booleans(),
        reason=st.none() | _reasons(),
    ),
    SubscriptionExpired: lambda: _event(
        SubscriptionExpired, subscription_id=_ids_of(SubscriptionId)
    ),
    # Interactions.
    InteractionLogged: _interaction_logged,
    InteractionLinked: _interaction_linked,
    # Service cases.
    CaseOpened: lambda: _event(
        CaseOpened,
        case_id=_ids_of(CaseId),
        kind=st.sampled_from(CaseKind),
        priority=st.sampled_from(CasePriority),
        channel=st.sampled_from(Channel),
        assignee=st.none() | _ids_of(StaffId),
        order_id=st.none() | _ids_of(OrderId),
    ),
    CaseStatusChanged: lambda: _case_status_event(CaseStatusChanged),
    CaseResolved: lambda: _case_status_event(CaseResolved),
    CaseClosed: lambda: _case_status_event(CaseClosed),
    CaseReopened: lambda: _case_status_event(CaseReopened),
    CaseFirstResponded: lambda: _event(CaseFirstResponded, case_id=_ids_of(CaseId)),
    CaseAssigned: _case_assigned,
    CasePriorityChanged: _case_priority_changed,
    CaseEscalated: _case_escalated,
    # Feedback.
    SurveyAnswered: lambda: survey_responses().map(_answered),
    ReviewReceived: lambda: _review_events(ReviewReceived),
    ReviewAnswered: lambda: _review_events(ReviewAnswered),
    # Loyalty accounts, leads, opportunities and segments.
    **{cls: functools.partial(_typed_event, cls) for cls in _TYPED_EVENTS},
}


def domain_events(
    *, types: Iterable[type[DomainEvent]] | None = None
) -> st.SearchStrategy[DomainEvent]:
    """Valid domain events of every crmcore aggregate.

    Customers (and their lifecycles), orders, subscriptions, interactions,
    service cases, survey responses, reviews, loyalty accounts, leads,
    opportunities and segments. Fields are consistent the way the aggregates make them: ``ConsentGiven``
    carries a grant captured when the event occurred, ``ContactPointVerified``
    a verified contact point, ``CustomerRegistered`` the kind of its name,
    ``OrderPlaced`` the total of its lines, payment events a payment of the
    right outcome made when the event occurred, case status events a move
    the case machine allows (``CaseResolved`` into ``resolved``, ...),
    ``LifecycleStageChanged`` a move its definition allows. Events of loyalty
    accounts, leads, opportunities and segments have each field drawn from
    its declared type, without that cross-field consistency.

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
