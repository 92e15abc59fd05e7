"""Strategies for messaging: templates, the values that render them, catalogs and unsafe syntax."""

from __future__ import annotations

import functools
import string
from collections.abc import Iterable
from datetime import date
from typing import Final, NamedTuple

from hypothesis import strategies as st

from crmcore._kernel._checks import enum_converter, tuple_of
from crmcore.customers import Channel
from crmcore.errors import InvalidType
from crmcore.messaging import (
    MESSAGE_FIELDS,
    MessageTemplate,
    RenderedMessage,
    TemplateCatalog,
    check_template_key,
    escape,
    normalize_language,
)
from crmcore.testing.strategies._base import (
    _GIVEN_NAMES,
    _bool_arg,
    _int_arg,
    _non_empty,
    moneys,
)

#: Languages templates are drawn in (canonical case): Indonesian first, as the seeds are.
_LANGUAGES: Final = ("id", "id-ID", "en", "en-GB", "ms", "jv", "su", "zh-Hant-TW", "fr", "nl")
#: Template keys drawn besides generated ones.
_KEYS: Final = (
    "welcome",
    "birthday",
    "birthday.greeting",
    "payment-due",
    "payment_reminder",
    "follow_up",
    "complaint_ack",
    "tier_upgrade",
)
#: Words a body starts with, so that it is never blank.
_OPENINGS: Final = ("Halo", "Hi", "Dear", "Selamat pagi", "Terima kasih", "Yth.")
#: What placeholders are set between, besides generated text.
_LITERALS: Final = (" ", ", ", ". ", "! ", "\n", "\n\n", " Rp", ": ", " (", ") ", " 🎉 ", " — ")
#: Characters refused in messages (control, format, surrogate, private use, unassigned).
_REFUSED_CATEGORIES: Final = ("Cc", "Cf", "Cs", "Co", "Cn")
#: Field kinds, for values of the right type.
_INT_FIELDS: Final = frozenset({"points_balance"})
_MONEY_FIELDS: Final = frozenset({"amount_due"})
_DATE_FIELDS: Final = frozenset({"due_date"})
_AMOUNT_FIELDS: Final = frozenset({"discount"})


def _line_text(max_size: int) -> st.SearchStrategy[str]:
    """One-line text without braces or refused characters."""
    return st.text(
        st.characters(exclude_categories=_REFUSED_CATEGORIES, exclude_characters="{}"),
        max_size=max_size,
    )


@functools.cache
def value_texts() -> st.SearchStrategy[str]:
    """Text a placeholder accepts: one line, no control characters, braces allowed.

    Braces are drawn on purpose: a value is inserted as it is and never read
    as a placeholder.
    """
    return st.sampled_from(_GIVEN_NAMES) | st.text(
        st.characters(exclude_categories=_REFUSED_CATEGORIES), min_size=1, max_size=40
    )


@functools.cache
def language_tags() -> st.SearchStrategy[str]:
    """BCP 47 tags as :func:`~crmcore.messaging.normalize_language` writes them."""
    letters = st.text(string.ascii_lowercase, min_size=2, max_size=3)
    regions = st.none() | st.text(string.ascii_uppercase, min_size=2, max_size=2)
    generated = st.builds(
        lambda lang, region: lang if region is None else f"{lang}-{region}", letters, regions
    )
    return st.sampled_from(_LANGUAGES) | generated


def _custom_names() -> st.SearchStrategy[str]:
    head = st.sampled_from(string.ascii_lowercase)
    tail = st.text(string.ascii_lowercase + string.digits + "_", max_size=10)
    return st.builds(lambda h, t: f"x_{h}{t}", head, tail)


def message_templates(
    *,
    languages: Iterable[str] | None = None,
    keys: Iterable[str] | None = None,
    channels: Iterable[Channel | str] | None = None,
    with_subject: bool | None = None,
    max_fields: int = 6,
    max_custom_fields: int = 2,
) -> st.SearchStrategy[MessageTemplate]:
    """Valid :class:`~crmcore.messaging.MessageTemplate` values.

    Each declares standard fields (and maybe custom ones, named ``x_...``);
    its body and subject mix literal text (escaped braces ``{{ }}``, line
    breaks in the body, any printable Unicode) with placeholders drawn from
    the declared fields, so some fields may go unused.

    Args:
        languages: tags to draw from (normalized); a mix of common and generated tags by default.
        keys: template keys to draw from; a mix of common and generated keys by default.
        channels: channels to draw from; any channel or none by default.
        with_subject: ``True`` always a subject, ``False`` never, ``None`` either.
        max_fields: most standard fields declared (1 to 14).
        max_custom_fields: most custom fields declared (0 to 10).

    Raises:
        ValidationError: a malformed language, key or channel, a count out of range.
    """
    langs = _languages_arg(languages)
    key_choices = _keys_arg(keys)
    channel_choices: st.SearchStrategy[Channel | None]
    if channels is None:
        channel_choices = st.none() | st.sampled_from(tuple(Channel))
    else:
        checked = tuple_of(channels, "$.channels", _channel_item)
        channel_choices = st.sampled_from(_non_empty(checked, "$.channels"))
    if with_subject is not None:
        _bool_arg(with_subject, "$.with_subject")
    most = _int_arg(max_fields, "$.max_fields", minimum=1, maximum=len(MESSAGE_FIELDS))
    most_custom = _int_arg(max_custom_fields, "$.max_custom_fields", minimum=0, maximum=10)
    return _templates(
        _Options(langs, key_choices, channel_choices, with_subject, most, most_custom)
    )


def _channel_item(value: object, path: str) -> Channel:
    return enum_converter(Channel, path)(value)


def _languages_arg(languages: Iterable[str] | None) -> st.SearchStrategy[str]:
    if languages is None:
        return language_tags()
    tags = tuple_of(languages, "$.languages", normalize_language)
    return st.sampled_from(_non_empty(tags, "$.languages"))


def _keys_arg(keys: Iterable[str] | None) -> st.SearchStrategy[str]:
    if keys is None:
        generated = st.builds(
            lambda h, t: h + t,
            st.sampled_from(string.ascii_lowercase),
            st.text(string.ascii_lowercase + string.digits + "_.-", max_size=20),
        )
        return st.sampled_from(_KEYS) | generated
    checked = tuple_of(keys, "$.keys", check_template_key)
    return st.sampled_from(_non_empty(checked, "$.keys"))


@st.composite
def _texts(draw: st.DrawFn, fields: tuple[str, ...], *, multiline: bool, max_parts: int) -> str:
    parts: list[str] = []
    for _ in range(draw(st.integers(min_value=0, max_value=max_parts))):
        kind = draw(st.integers(min_value=0, max_value=3))
        if kind == 0:
            parts.append("{" + draw(st.sampled_from(fields)) + "}")
        elif kind == 1:
            parts.append(escape(draw(st.sampled_from(("{", "}", "{x}", "{{}}")))))
        elif kind == 2:
            literal = draw(st.sampled_from(_LITERALS))
            parts.append(literal if multiline else literal.replace("\n", " "))
        else:
            parts.append(draw(_line_text(12)))
    return "".join(parts)


class _Options(NamedTuple):
    """The options of :func:`message_templates`, checked."""

    languages: st.SearchStrategy[str]
    keys: st.SearchStrategy[str]
    channels: st.SearchStrategy[Channel | None]
    with_subject: bool | None
    max_fields: int
    max_custom_fields: int


@functools.cache
def _templates(options: _Options) -> st.SearchStrategy[MessageTemplate]:
    return _template(options)


@st.composite
def _template(draw: st.DrawFn, options: _Options) -> MessageTemplate:
    languages, keys, channels, with_subject, max_fields, max_custom_fields = options
    standard = draw(
        st.lists(
            st.sampled_from(sorted(MESSAGE_FIELDS)), min_size=1, max_size=max_fields, unique=True
        )
    )
    custom = draw(st.lists(_custom_names(), max_size=max_custom_fields, unique=True))
    fields = tuple(standard + custom)
    opening = draw(st.sampled_from(_OPENINGS))
    body = opening + draw(_texts(fields, multiline=True, max_parts=12))
    subject = None
    if with_subject or (with_subject is None and draw(st.booleans())):
        subject = opening + draw(_texts(fields, multiline=False, max_parts=4))
    return MessageTemplate(
        key=draw(keys),
        language=draw(languages),
        body=body,
        subject=subject,
        channel=draw(channels),
        fields=frozenset(fields),
        custom_fields=frozenset(custom),
    )


def _field_values(name: str, language: str) -> st.SearchStrategy[object]:
    """Values of the type the field holds (any accepted type for custom and free fields)."""
    idr_first = ["IDR", "USD", "EUR", "JPY", "KWD"]
    money = moneys(currencies=idr_first, min_value=-(10**9), max_value=10**12)
    if name in _INT_FIELDS:
        return st.integers(min_value=0, max_value=10**9)
    if name in _MONEY_FIELDS:
        return money
    if name in _DATE_FIELDS:
        return st.dates(min_value=date(1900, 1, 1))
    if name in _AMOUNT_FIELDS:
        return money | st.decimals(min_value=0, max_value=100, places=2)
    del language  # every text field takes any text
    return st.one_of(
        value_texts(),
        st.integers(min_value=-(10**12), max_value=10**12),
        st.decimals(
            allow_nan=False, allow_infinity=False, places=3, min_value=-(10**9), max_value=10**9
        ),
        money,
        st.dates(),
    )


def message_values_for(template: MessageTemplate) -> st.SearchStrategy[dict[str, object]]:
    """Values for every placeholder of ``template`` (exactly those keys), each of a usable type.

    Standard fields get values of the type :func:`~crmcore.messaging.message_values`
    gives them (an int for ``points_balance``, Money for ``amount_due``, a
    date for ``due_date``); text fields and custom fields any accepted type.

    Raises:
        InvalidType: ``template`` is not a MessageTemplate.
    """
    if not isinstance(template, MessageTemplate):
        raise InvalidType("must be a MessageTemplate", path="$.template")
    names = sorted(template.placeholders)
    return st.fixed_dictionaries({name: _field_values(name, template.language) for name in names})


@functools.cache
def rendered_messages() -> st.SearchStrategy[RenderedMessage]:
    """:class:`~crmcore.messaging.RenderedMessage` values: drawn templates rendered with drawn values."""
    return message_templates().flatmap(
        lambda template: message_values_for(template).map(template.render)
    )


def template_catalogs(
    *, max_templates: int = 6, default_languages: Iterable[str] | None = None
) -> st.SearchStrategy[TemplateCatalog]:
    """:class:`~crmcore.messaging.TemplateCatalog` values of up to ``max_templates`` templates.

    Keys and languages come from small pools, so that keys are written in
    several languages and fallback has something to find.

    Raises:
        ValidationError: ``max_templates`` out of 0 to 50, a malformed default language.
    """
    most = _int_arg(max_templates, "$.max_templates", minimum=0, maximum=50)
    defaults = _languages_arg(default_languages)
    template = message_templates(
        languages=("id", "id-ID", "en", "en-GB", "ms"), keys=("welcome", "birthday", "payment_due")
    )
    return st.builds(
        TemplateCatalog,
        st.lists(template, max_size=most, unique_by=lambda t: (t.key, t.language)),
        default_language=defaults,
    )


#: Placeholder syntax ``str.format`` would act on but a template refuses.
_UNSAFE_PLACEHOLDERS: Final = (
    "{}",
    "{0}",
    "{1}",
    "{first_name.__class__}",
    "{first_name[0]}",
    "{first_name!r}",
    "{first_name!s}",
    "{first_name:>10}",
    "{first_name:{width}}",
    "{points_balance:,}",
    "{First_Name}",
    "{ first_name }",
    "{first-name}",
    "{_private}",
    "{a{b}c}",
)
_UNMATCHED: Final = ("{", "}", "{first_name", "first_name}", "{{first_name}", "{first_name}}")


@functools.cache
def unsafe_template_texts() -> st.SearchStrategy[str]:
    """Template text holding at least one construct a template refuses, among safe text.

    The construct is an unsafe placeholder (positional, attribute or item
    access, conversion, format spec, a name that is not snake_case, nesting)
    or a brace without its partner; the text around it is valid and may use
    ``{first_name}``.
    """
    # Generated insides that cannot be a field name: they start with something else
    # than a lowercase letter (digits, capitals, punctuation, spaces, other scripts).
    inside = st.characters(exclude_categories=_REFUSED_CATEGORIES, exclude_characters="{}")
    first = st.characters(
        exclude_categories=_REFUSED_CATEGORIES,
        exclude_characters="{}" + string.ascii_lowercase,
    )
    generated = st.builds(
        lambda head, tail: "{" + head + tail + "}", first, st.text(inside, max_size=7)
    )
    bad = st.sampled_from(_UNSAFE_PLACEHOLDERS + _UNMATCHED) | generated
    safe = st.sampled_from(("", "Halo ", "{first_name} ", "{{ok}} ", " and "))
    return st.builds(lambda a, b, c: a + b + c, safe, bad, safe)


def unsafe_placeholders() -> st.SearchStrategy[str]:
    """The refused constructs alone (see :func:`unsafe_template_texts`)."""
    return st.sampled_from(_UNSAFE_PLACEHOLDERS + _UNMATCHED)
