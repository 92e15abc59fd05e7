"""Who the customer is: person and organization names, postal addresses."""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from datetime import date, datetime
from decimal import Decimal

import attrs

from crmcore._kernel._checks import (
    MAX_INT,
    MAX_TEXT,
    check_unique,
    clean_text,
    instance_of,
    require_aware,
    require_date,
    to_decimal,
    tuple_of,
    type_name,
)
from crmcore._kernel._frozen import FrozenMap
from crmcore.errors import InvalidType, ValidationError

#: Longest name part, in characters.
MAX_NAME = 200

# ISO 3166-1 alpha-2 codes of the officially assigned countries and territories.
COUNTRY_CODES = frozenset(
    """
    AD AE AF AG AI AL AM AO AQ AR AS AT AU AW AX AZ BA BB BD BE BF BG BH BI BJ BL BM BN BO BQ
    BR BS BT BV BW BY BZ CA CC CD CF CG CH CI CK CL CM CN CO CR CU CV CW CX CY CZ DE DJ DK DM
    DO DZ EC EE EG EH ER ES ET FI FJ FK FM FO FR GA GB GD GE GF GG GH GI GL GM GN GP GQ GR GS
    GT GU GW GY HK HM HN HR HT HU ID IE IL IM IN IO IQ IR IS IT JE JM JO JP KE KG KH KI KM KN
    KP KR KW KY KZ LA LB LC LI LK LR LS LT LU LV LY MA MC MD ME MF MG MH MK ML MM MN MO MP MQ
    MR MS MT MU MV MW MX MY MZ NA NC NE NF NG NI NL NO NP NR NU NZ OM PA PE PF PG PH PK PL PM
    PN PR PS PT PW PY QA RE RO RS RU RW SA SB SC SD SE SG SH SI SJ SK SL SM SN SO SR SS ST SV
    SX SY SZ TC TD TF TG TH TJ TK TL TM TN TO TR TT TV TW TZ UA UG UM US UY UZ VA VC VE VG VI
    VN VU WF WS YE YT ZA ZM ZW
    """.split()
)


def _name_part(path: str) -> Callable[[object], str]:
    def convert(value: object) -> str:
        return clean_text(value, path, max_length=MAX_NAME, what="a name")

    return convert


def _optional_name_part(path: str) -> Callable[[object], str | None]:
    def convert(value: object) -> str | None:
        if value is None:
            return None
        return clean_text(value, path, max_length=MAX_NAME, what="a name")

    return convert


def _personname_preferred(value: object) -> str | None:
    return _optional_name_part("$.preferred")(value)


def _personname_given(value: object) -> str:
    return _name_part("$.given")(value)


def _personname_family(value: object) -> str | None:
    return _optional_name_part("$.family")(value)


@attrs.frozen(slots=True, repr=False)
class PersonName:
    """A person's name.

    Only ``given`` is required: many people (in Indonesia, for one) have a
    single name. ``full`` joins the parts; ``greeting`` is what a message
    addresses. Names are trimmed, NFC-normalized, must not hold control
    characters and are at most 200 characters a part. The repr hides them.

    >>> name = PersonName("Sukarno")
    >>> name.full
    'Sukarno'
    >>> PersonName("Ana", family="Putri").full
    'Ana Putri'
    >>> PersonName("Ana", family="Putri")
    PersonName(<redacted>)
    """

    given: str = attrs.field(converter=_personname_given)
    family: str | None = attrs.field(default=None, converter=_personname_family)
    preferred: str | None = attrs.field(default=None, converter=_personname_preferred)

    @property
    def full(self) -> str:
        """Given and family names joined by a space."""
        return self.given if self.family is None else f"{self.given} {self.family}"

    @property
    def greeting(self) -> str:
        """The name to greet the person by: the preferred name, else the given name."""
        return self.preferred or self.given

    def __repr__(self) -> str:
        return "PersonName(<redacted>)"


def _organizationname_legal(value: object) -> str:
    return _name_part("$.legal")(value)


def _organizationname_trading(value: object) -> str | None:
    return _optional_name_part("$.trading")(value)


@attrs.frozen(slots=True, repr=False)
class OrganizationName:
    """An organization's legal name and, optionally, the name it trades under.

    >>> OrganizationName("PT Sinar Jaya Abadi", trading="Sinar Jaya").greeting
    'Sinar Jaya'
    """

    legal: str = attrs.field(converter=_organizationname_legal)
    trading: str | None = attrs.field(default=None, converter=_organizationname_trading)

    @property
    def full(self) -> str:
        """The legal name."""
        return self.legal

    @property
    def greeting(self) -> str:
        """The trading name if there is one, else the legal name."""
        return self.trading or self.legal

    def __repr__(self) -> str:
        return "OrganizationName(<redacted>)"


def _address_lines(value: object) -> tuple[str, ...]:
    if isinstance(value, str) or not isinstance(value, (list, tuple)):
        raise InvalidType(
            f"must be a list of address lines, not {type_name(value)}", path="$.lines"
        )
    if not 1 <= len(value) <= 4:
        raise ValidationError("must hold 1 to 4 lines", path="$.lines", code="line_count")
    return tuple(
        clean_text(line, f"$.lines[{i}]", max_length=100, what="an address line")
        for i, line in enumerate(value)
    )


def _optional_field(path: str, max_length: int) -> Callable[[object], str | None]:
    def convert(value: object) -> str | None:
        if value is None:
            return None
        return clean_text(value, path, max_length=max_length)

    return convert


def _country(value: object) -> str:
    if not isinstance(value, str):
        raise InvalidType(f"must be a country code str, not {type_name(value)}", path="$.country")
    code = value.strip().upper()
    if code not in COUNTRY_CODES:
        raise ValidationError(
            "must be an ISO 3166-1 alpha-2 country code such as 'ID'",
            path="$.country",
            code="country",
        )
    return code


def _postaladdress_postal_code(value: object) -> str | None:
    return _optional_field("$.postal_code", 20)(value)


def _postaladdress_locality(value: object) -> str | None:
    return _optional_field("$.locality", 100)(value)


def _postaladdress_region(value: object) -> str | None:
    return _optional_field("$.region", 100)(value)


def _postaladdress_label(value: object) -> str | None:
    return _optional_field("$.label", 40)(value)


@attrs.frozen(slots=True, repr=False)
class PostalAddress:
    """A postal address.

    >>> home = PostalAddress(
    ...     lines=["Jl. Merdeka No. 10"], locality="Bandung", postal_code="40111", country="id"
    ... )
    >>> home.country
    'ID'
    >>> home
    PostalAddress(country='ID', <redacted>)

    The repr shows the country only: lines, locality, region, postal code and
    label may all identify a person.
    """

    lines: tuple[str, ...] = attrs.field(converter=_address_lines)
    country: str = attrs.field(converter=_country)
    locality: str | None = attrs.field(default=None, converter=_postaladdress_locality)
    region: str | None = attrs.field(default=None, converter=_postaladdress_region)
    postal_code: str | None = attrs.field(default=None, converter=_postaladdress_postal_code)
    label: str | None = attrs.field(default=None, converter=_postaladdress_label)

    def one_line(self) -> str:
        """The address on one line, parts separated by commas."""
        parts = [*self.lines, self.locality, self.region, self.postal_code, self.country]
        return ", ".join(p for p in parts if p)

    def __repr__(self) -> str:
        return f"PostalAddress(country={self.country!r}, <redacted>)"


#: The types a custom attribute may hold.
AttributeValue = str | int | bool | Decimal | date | datetime

#: Most custom attributes one profile may hold.
MAX_ATTRIBUTES = 100
#: Most postal addresses one profile may hold.
MAX_ADDRESSES = 20

_ATTRIBUTE_KEY = re.compile(r"[a-z][a-z0-9_]{0,63}")
_LANGUAGE_TAG = re.compile(r"[a-z]{2,3}(?:-[A-Za-z]{4})?(?:-(?:[A-Z]{2}|[0-9]{3}))?")


def check_attribute_key(key: object, path: str) -> str:
    """Attribute keys are snake_case identifiers of at most 64 characters."""
    if not isinstance(key, str):
        raise InvalidType(f"must be a str key, not {type_name(key)}", path=path)
    if _ATTRIBUTE_KEY.fullmatch(key) is None:
        raise ValidationError(
            "keys must be snake_case: a lowercase letter, then letters, digits or _ "
            "(at most 64 characters)",
            path=path,
            code="attribute_key",
        )
    return key


def check_attribute_value(value: object, path: str) -> AttributeValue:
    """Attribute values are typed scalars: str, int, bool, Decimal, date or aware datetime."""
    if isinstance(value, float):
        raise InvalidType(
            "must be str, int, bool, Decimal, date or datetime; use Decimal instead of float",
            path=path,
            code="float",
        )
    if isinstance(value, str):
        return clean_text(value, path, max_length=MAX_TEXT, min_length=0, allow_newlines=True)
    if isinstance(value, datetime):
        return require_aware(value, path)
    if isinstance(value, Decimal):
        return to_decimal(value, path)
    if isinstance(value, int) and not isinstance(value, bool) and abs(value) > MAX_INT:
        raise ValidationError(
            "must be an integer between -(2**63 - 1) and 2**63 - 1", path=path, code="range"
        )
    if isinstance(value, (bool, int, date)):
        return value
    raise InvalidType(
        f"must be str, int, bool, Decimal, date or datetime, not {type_name(value)}", path=path
    )


class Attributes(FrozenMap[str, AttributeValue]):
    """A profile's custom attributes: a :class:`FrozenMap` whose repr shows the keys only.

    Attribute values are the business's own data about a person (a store, a
    shoe size, a note), so they never appear in reprs and logs.

    >>> Attributes({"store": "BDG-01"})
    Attributes(keys=['store'])
    """

    __slots__ = ()

    def __repr__(self) -> str:
        return f"Attributes(keys={list(self)!r})"


def _attributes(value: object) -> FrozenMap[str, AttributeValue]:
    if value is None:
        return Attributes()
    if not isinstance(value, Mapping):
        raise InvalidType(f"must be a mapping, not {type_name(value)}", path="$.attributes")
    if isinstance(value, Attributes) and len(value) <= MAX_ATTRIBUTES:
        return value
    if len(value) > MAX_ATTRIBUTES:
        raise ValidationError(
            f"must hold at most {MAX_ATTRIBUTES} attributes", path="$.attributes", code="too_many"
        )
    checked: dict[str, AttributeValue] = {}
    for key, item in value.items():
        name = check_attribute_key(key, "$.attributes")
        checked[name] = check_attribute_value(item, f"$.attributes.{name}")
    return Attributes(checked)


def check_language(value: object, path: str = "$.preferred_language") -> str | None:
    """A BCP 47 language tag of the common shape: ``id``, ``en-GB``, ``zh-Hant-TW``."""
    if value is None:
        return None
    if not isinstance(value, str):
        raise InvalidType(f"must be a language tag str, not {type_name(value)}", path=path)
    if _LANGUAGE_TAG.fullmatch(value) is None:
        raise ValidationError(
            "must be a BCP 47 language tag such as 'id', 'en-GB' or 'zh-Hant-TW'",
            path=path,
            code="language",
        )
    return value


def _addresses(value: object) -> tuple[PostalAddress, ...]:
    addresses = tuple_of(
        value,
        "$.addresses",
        instance_of(PostalAddress, "a PostalAddress"),
        max_items=MAX_ADDRESSES,
    )
    check_unique(addresses, lambda a: a, "$.addresses[{}]", "must not repeat an address")
    return addresses


def _name(value: object) -> PersonName | OrganizationName:
    if not isinstance(value, (PersonName, OrganizationName)):
        raise InvalidType(
            f"must be a PersonName or OrganizationName, not {type_name(value)}", path="$.name"
        )
    return value


def _birth_date(value: object) -> date | None:
    if value is None:
        return None
    return require_date(value, "$.birth_date")


@attrs.frozen(slots=True, repr=False)
class Profile:
    """What the business knows about who the customer is.

    Attributes:
        name: a :class:`PersonName` or an :class:`OrganizationName`.
        birth_date: a person's date of birth, if known.
        addresses: postal addresses (at most 20, no repeats).
        preferred_language: a BCP 47 tag such as ``"id"`` or ``"en-GB"``.
        attributes: custom attributes: snake_case keys, typed scalar values
            (str, int, bool, Decimal, date, aware datetime; never float).
    """

    name: PersonName | OrganizationName = attrs.field(converter=_name)
    birth_date: date | None = attrs.field(default=None, converter=_birth_date)
    addresses: tuple[PostalAddress, ...] = attrs.field(default=(), converter=_addresses)
    preferred_language: str | None = attrs.field(default=None, converter=check_language)
    attributes: FrozenMap[str, AttributeValue] = attrs.field(
        factory=Attributes, converter=_attributes
    )

    def __repr__(self) -> str:
        return (
            f"Profile(name=<redacted>, addresses={len(self.addresses)}, "
            f"preferred_language={self.preferred_language!r}, "
            f"attributes={sorted(self.attributes)!r})"
        )
