"""Contact points: how a customer can be reached, normalized per channel."""

from __future__ import annotations

import re
import stringprep
import unicodedata
from encodings.idna import ToASCII, ToUnicode
from enum import StrEnum

import attrs

from crmcore._kernel._checks import clean_text, enum_converter, error_path, is_bool, type_name
from crmcore.errors import InvalidType, ValidationError


class Channel(StrEnum):
    """A channel the business and the customer talk over."""

    EMAIL = "email"
    PHONE = "phone"
    SMS = "sms"
    WHATSAPP = "whatsapp"
    SOCIAL = "social"
    POSTAL = "postal"
    WEB = "web"
    IN_PERSON = "in_person"


#: Channels whose contact point value is a phone number in E.164 form.
PHONE_CHANNELS = frozenset({Channel.PHONE, Channel.SMS, Channel.WHATSAPP})

# RFC 5321 limits: 64 for the local part, 254 for the whole forward path.
_MAX_EMAIL = 254
_MAX_LOCAL = 64
_LOCAL_ATOM = re.compile(r"[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]+")
_DOMAIN_LABEL = re.compile(r"[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?")


# Characters IDNA 2003 (the stdlib codec) maps differently from IDNA 2008/UTS 46:
# the deviation characters, which IDNA 2003 turns into others ("ß" into "ss").
_IDNA_DEVIATIONS = frozenset("\u00df\u03c2\u200c\u200d")
# The full stops IDNA reads as label separators.
_IDNA_DOTS = re.compile("[.\u3002\uff0e\uff61]")


def _idna_letter(ch: str) -> bool:
    """True for a character IDNA 2008 may hold in a label, as far as the stdlib can tell.

    ASCII letters, digits and hyphens, and other letters and marks; not the
    characters IDNA 2003 reads otherwise (:data:`_IDNA_DEVIATIONS`) or drops,
    nor digits of other scripts (IDNA 2008's Bidi rule limits those).
    """
    if ch.isascii():
        return ch.isalnum() or ch == "-"
    if ch in _IDNA_DEVIATIONS or stringprep.in_table_b1(ch):
        return False
    return unicodedata.category(ch)[0] in "LM"


def _ascii_label(label: str) -> str | None:
    """One domain label in lower-case ASCII (an A-label if need be), or None if it is no label."""
    if not label.isascii():
        if label[:1] == "-" or label[-1:] == "-" or label[2:4] == "--":
            return None
        if not all(map(_idna_letter, label)):
            return None
        try:
            label = ToASCII(label).decode("ascii")
        except UnicodeError:
            return None
    label = label.lower()
    if _DOMAIN_LABEL.fullmatch(label) is None:
        return None
    if label.startswith("xn--"):
        # An A-label must be the well-formed encoding of a non-ASCII name.
        try:
            ToUnicode(label)  # decodes, then checks that encoding gives the label back
        except UnicodeError:
            return None
    return label


def _ascii_domain(domain: str) -> str | None:
    """``domain`` in lower-case ASCII, or None if it is not a usable host name."""
    labels = [_ascii_label(label) for label in _IDNA_DOTS.split(domain)]
    if len(labels) < 2 or labels[-1] is None or labels[-1].isdigit():
        return None
    checked = [label for label in labels if label is not None]
    if len(checked) != len(labels):
        return None
    return ".".join(checked)


def normalize_email(value: object, path: str = "$") -> str:
    """Validate an email address and return its normalized form.

    The address is trimmed and lower-cased (mailbox names are treated as
    case-insensitive, which is how nearly every provider behaves and what
    makes the address usable as a lookup key). Internationalized domains are
    stored in their ASCII (IDNA) form. Quoted local parts and IP-literal
    domains are refused: they are valid in RFC 5321 but not for marketing.
    Domains holding a character on which IDNA 2003 and IDNA 2008 disagree
    (``ß``, final ``ς``, or one that IDNA 2003 silently drops, such as a
    zero-width joiner or a soft hyphen) are refused rather than encoded for
    what may be another domain; so are symbols and digits other than ASCII in
    a domain, ``xn--`` labels that encode no name, and all-numeric top-level labels.
    docs/reference_checks.md lists how this differs from ``email-validator``.

    >>> normalize_email("  Ana.Putri@Example.CO.ID ")
    'ana.putri@example.co.id'
    >>> normalize_email("budi@bücher.de")
    'budi@xn--bcher-kva.de'
    >>> normalize_email("kontakt@straße.de")  # IDNA 2003 would say strasse.de
    Traceback (most recent call last):
    ...
    crmcore.errors.ValidationError: $: must be an email address such as name@example.com
    >>> normalize_email("not-an-email")
    Traceback (most recent call last):
    ...
    crmcore.errors.ValidationError: $: must be an email address such as name@example.com
    """
    path = error_path(path)
    if not isinstance(value, str):
        raise InvalidType(f"must be an email address str, not {type_name(value)}", path=path)
    text = value.strip()
    rule = "must be an email address such as name@example.com"
    if len(text) > _MAX_EMAIL * 2 or text.count("@") != 1:
        raise ValidationError(rule, path=path, code="email")
    local, domain = text.split("@")
    if not local or len(local) > _MAX_LOCAL:
        raise ValidationError(rule, path=path, code="email")
    atoms = local.split(".")
    if any(_LOCAL_ATOM.fullmatch(atom) is None for atom in atoms):
        raise ValidationError(rule, path=path, code="email")
    ascii_domain = _ascii_domain(domain)
    if ascii_domain is None:
        raise ValidationError(rule, path=path, code="email")
    normalized = f"{local.lower()}@{ascii_domain}"
    if len(normalized) > _MAX_EMAIL:
        raise ValidationError(
            f"must be at most {_MAX_EMAIL} characters", path=path, code="too_long"
        )
    return normalized


# ITU-T E.164 country calling codes in service (zone 1 shares +1, zone 7 shares +7).
_CALLING_CODES = frozenset(
    """
    1 7 20 27 30 31 32 33 34 36 39 40 41 43 44 45 46 47 48 49 51 52 53 54 55 56 57 58
    60 61 62 63 64 65 66 81 82 84 86 90 91 92 93 94 95 98
    211 212 213 216 218 220 221 222 223 224 225 226 227 228 229 230 231 232 233 234 235
    236 237 238 239 240 241 242 243 244 245 246 247 248 249 250 251 252 253 254 255 256
    257 258 260 261 262 263 264 265 266 267 268 269 290 291 297 298 299
    350 351 352 353 354 355 356 357 358 359 370 371 372 373 374 375 376 377 378
    380 381 382 383 385 386 387 389 420 421 423
    500 501 502 503 504 505 506 507 508 509 590 591 592 593 594 595 596 597 598 599
    670 672 673 674 675 676 677 678 679 680 681 682 683 685 686 687 688 689 690 691 692
    800 808 850 852 853 855 856 870 878 880 881 882 883 886 888
    960 961 962 963 964 965 966 967 968 970 971 972 973 974 975 976 977 979
    992 993 994 995 996 998
    """.split()
)
# Calling codes whose numbers have no trunk prefix: a leading 0 in national
# input is part of the number (Italy's 02 ..., Cote d'Ivoire's 01 ...).
_NO_TRUNK_PREFIX = frozenset(
    """
    30 34 39 45 47 48 52 56 65 216 220 221 222 223 224 225 226 227 228 229 230 235 236
    237 238 239 240 242 244 245 246 247 248 253 257 258 266 267 268 269 290 297 298
    299 350 351 352 354 356 357 371 372 376 378 420 500 501 502 503 504 505 506 507 509
    592 597 599 670 672 673 674 675 676 677 678 679 680 681 682 683 685 687 688 689 690
    691 800 808 852 853 870 878 881 882 883 888 960 965 968 973 974 975 979 992 998
    """.split()
)
# Calling codes whose national input crmcore cannot read safely: a trunk prefix
# other than 0 (1 and 8 in zones 1 and 7, 06 in Hungary) or, in Argentina, a
# mobile prefix (15) inside the national number, in Gabon a national 0 that may
# or may not belong to the number since its renumbering. They need international input.
_OTHER_NATIONAL_FORM = frozenset({"1", "7", "36", "54", "241", "375", "692", "993"})
_PHONE_SEPARATORS = re.compile(r"[\s().\-/]")
# Calling codes whose trunk prefix is 0: there "+44 (0)20 ..." writes the trunk 0
# dialled at home only. Elsewhere a "(0)" may be part of the number (Italy's
# "+39 (0)2 ...") and is read as the digit 0, as libphonenumber reads it.
_TRUNK_ZERO = _CALLING_CODES - _NO_TRUNK_PREFIX - (_OTHER_NATIONAL_FORM - {"54"})
# "(0)" right after "+" or "00" and a calling code, and nowhere else.
_TRUNK_IN_PARENTHESES = re.compile(r"(?:\+|00)[\s.\-/]*(\d{1,3})[\s.\-/]*\(0\)")


def _without_trunk_in_parentheses(text: str) -> str:
    """``text`` without a trunk ``(0)`` right after its calling code (``+44 (0)20 ...``)."""
    trunk = _TRUNK_IN_PARENTHESES.match(text)
    if trunk is None or trunk.group(1) not in _TRUNK_ZERO:
        return text
    return text[: trunk.end() - 3] + text[trunk.end() :]


def _has_calling_code(digits: str) -> bool:
    return any(digits[:n] in _CALLING_CODES for n in (1, 2, 3))


def normalize_phone(
    value: object, path: str = "$", *, default_country_code: str | None = None
) -> str:
    """Validate a phone number and return it in E.164 form (``+`` and up to 15 digits).

    International input starts with ``+`` or ``00``. National input (starting
    with ``0``) needs ``default_country_code``, such as ``"62"`` for
    Indonesia. Where the country dials a trunk ``0`` (Indonesia, the UK,
    Germany, ...) that one ``0`` is dropped; where it has no trunk prefix
    (Italy, Spain, ...) the ``0`` is part of the number and kept. National
    input for zones 1 and 7, Hungary, Argentina, Gabon, Belarus, Turkmenistan
    and the Marshall Islands is refused: give those numbers in international
    form, as numbers whose national form starts with ``00`` (``00`` always
    reads as the international prefix).
    Spaces, dots, dashes, slashes and parentheses are ignored, and a trunk
    ``(0)`` right after the calling code of a country that dials a trunk ``0``
    is dropped (``+44 (0)20 ...``); anywhere else, and after the calling code
    of a country without a trunk prefix (``+39 (0)2 ...``), it is the digit
    ``0``. The number is
    checked for its shape (a calling code in service, 7 to 15 digits), not
    against each country's numbering plan.

    >>> normalize_phone("+62 812-3456-7890")
    '+6281234567890'
    >>> normalize_phone("0812 3456 7890", default_country_code="62")
    '+6281234567890'
    >>> normalize_phone("02 1234 5678", default_country_code="39")  # Milan keeps its 0
    '+390212345678'
    >>> normalize_phone("+44 (0)20 7946 0958")
    '+442079460958'
    >>> normalize_phone("+39 (0)2 1234 5678")  # Milan's 0 is part of the number
    '+390212345678'
    >>> normalize_phone("12345")
    Traceback (most recent call last):
    ...
    crmcore.errors.ValidationError: $: must be a phone number in international form, such as +62 812 3456 7890
    """
    path = error_path(path)
    code: object = default_country_code
    if code is not None and not (
        isinstance(code, str) and code.isascii() and code.isdigit() and code in _CALLING_CODES
    ):
        raise ValidationError(
            "must be an E.164 country calling code such as '62'",
            path="$.default_country_code",
            code="calling_code",
        )
    if not isinstance(value, str):
        raise InvalidType(f"must be a phone number str, not {type_name(value)}", path=path)
    rule = "must be a phone number in international form, such as +62 812 3456 7890"
    text = _PHONE_SEPARATORS.sub("", _without_trunk_in_parentheses(value.strip()))
    if len(text) > 32:
        raise ValidationError(rule, path=path, code="phone")
    if text.startswith("+"):
        digits = text[1:]
    elif text.startswith("00"):
        digits = text[2:]
    elif text.startswith("0") and default_country_code is not None:
        if default_country_code in _OTHER_NATIONAL_FORM:
            raise ValidationError(
                "must be in international form (+ and the calling code) for this calling code",
                path=path,
                code="phone_national_form",
            )
        national = text if default_country_code in _NO_TRUNK_PREFIX else text[1:]
        digits = default_country_code + national
    else:
        raise ValidationError(rule, path=path, code="phone")
    if not digits.isascii() or not digits.isdigit() or digits.startswith("0"):
        raise ValidationError(rule, path=path, code="phone")
    if not 7 <= len(digits) <= 15 or not _has_calling_code(digits):
        raise ValidationError(rule, path=path, code="phone")
    return "+" + digits


_SOCIAL = re.compile(r"[a-z0-9][a-z0-9_.-]{0,31}:[^\s:][^\s]{0,199}")


def normalize_value(channel: Channel, value: object, path: str) -> str:
    """A contact point's value normalized for ``channel`` (what :class:`ContactPoint` stores)."""
    if channel is Channel.EMAIL:
        return normalize_email(value, path)
    if channel in PHONE_CHANNELS:
        return normalize_phone(value, path)
    if channel is Channel.SOCIAL:
        text = clean_text(value, path, max_length=240)
        network, _, handle = text.partition(":")
        normalized = f"{network.lower()}:{handle}"
        if _SOCIAL.fullmatch(normalized) is None:
            raise ValidationError(
                "must be 'network:handle', such as 'instagram:@toko.kita'",
                path=path,
                code="social_handle",
            )
        return normalized
    if channel is Channel.POSTAL:
        return clean_text(value, path, max_length=500, allow_newlines=True)
    return clean_text(value, path, max_length=500)


def _check_channel(value: object) -> Channel:
    return enum_converter(Channel, "$.channel")(value)


def _check_label(value: object) -> str | None:
    if value is None:
        return None
    return clean_text(value, "$.label", max_length=40)


@attrs.frozen(slots=True, repr=False)
class ContactPoint:
    """One way to reach a customer: a channel and a normalized value.

    The value is normalized for its channel: email addresses lower-cased,
    phone numbers (phone, SMS, WhatsApp) in E.164, social handles as
    ``network:handle``. Its repr never shows the value.

    >>> cp = ContactPoint("email", " Ana@Example.com ")
    >>> cp.value, cp.channel, cp.primary, cp.verified
    ('ana@example.com', <Channel.EMAIL: 'email'>, False, False)
    >>> cp
    ContactPoint(channel='email', value=<redacted>, primary=False, verified=False)
    >>> ContactPoint.phone("0812 3456 7890", default_country_code="62").value
    '+6281234567890'
    """

    channel: Channel = attrs.field(converter=_check_channel)
    value: str = attrs.field()
    primary: bool = attrs.field(default=False, validator=is_bool)
    verified: bool = attrs.field(default=False, validator=is_bool)
    label: str | None = attrs.field(default=None, converter=_check_label)

    def __attrs_post_init__(self) -> None:
        object.__setattr__(self, "value", normalize_value(self.channel, self.value, "$.value"))

    @classmethod
    def phone(
        cls,
        number: str,
        *,
        channel: Channel | str = Channel.PHONE,
        default_country_code: str | None = None,
        primary: bool = False,
        verified: bool = False,
        label: str | None = None,
    ) -> ContactPoint:
        """A phone-number contact point, accepting national input with a default country code."""
        checked = _check_channel(channel)
        if checked not in PHONE_CHANNELS:
            raise ValidationError("must be phone, sms or whatsapp", path="$.channel", code="choice")
        normalized = normalize_phone(number, "$.value", default_country_code=default_country_code)
        return cls(checked, normalized, primary=primary, verified=verified, label=label)

    @property
    def key(self) -> tuple[Channel, str]:
        """``(channel, value)``: what makes two contact points the same."""
        return (self.channel, self.value)

    def __repr__(self) -> str:
        # The value and the label (free text such as "Ana's office") may identify a person.
        label = ", label=<redacted>" if self.label is not None else ""
        return (
            f"ContactPoint(channel={self.channel.value!r}, value=<redacted>, "
            f"primary={self.primary}, verified={self.verified}{label})"
        )
