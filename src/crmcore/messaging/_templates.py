"""Message templates, rendered messages and a catalog of templates per language."""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from typing import Final

import attrs

from crmcore._kernel._checks import (
    check_unique,
    clean_text,
    enum_converter,
    items_of,
    limit,
    type_name,
)
from crmcore._kernel._fields import Checked
from crmcore.customers import Channel
from crmcore.errors import InvalidType, Problem, ValidationError
from crmcore.messaging._errors import UnknownTemplate
from crmcore.messaging._fields import MESSAGE_FIELDS
from crmcore.messaging._format import format_value, is_type_problem
from crmcore.messaging._syntax import MAX_FIELD_NAME, Segments, Slot, is_field_name, parse

#: Longest template body, in characters.
MAX_BODY_LENGTH: Final = 10_000
#: Longest template subject, in characters.
MAX_SUBJECT_LENGTH: Final = 300
#: Most placeholders (occurrences, subject and body together) one template may hold.
MAX_PLACEHOLDERS: Final = 200
#: Most fields one template may declare.
MAX_FIELDS: Final = 100
#: Longest template key, in characters.
MAX_KEY_LENGTH: Final = 64
#: Most templates one catalog may hold.
MAX_TEMPLATES: Final = 10_000

_KEY: Final = re.compile(r"[a-z0-9][a-z0-9_.\-]*\Z")
#: The shape of a BCP 47 tag in canonical case: the same pattern ``crmcore.customers``
#: checks a customer's preferred language against (its ``check_language``), so a tag
#: this module writes is always one a customer profile accepts.
_LANGUAGE_TAG: Final = re.compile(r"[a-z]{2,3}(?:-[A-Za-z]{4})?(?:-(?:[A-Z]{2}|[0-9]{3}))?\Z")
#: Longest text looked at as a language tag (the longest tag of the shape is 12 characters).
_MAX_TAG_TEXT: Final = 16


def _key(value: object) -> str:
    return check_template_key(value, "$.key")


def check_template_key(value: object, path: str = "$.key") -> str:
    """Return ``value`` if it is a template key: lowercase letters, digits, ``_``, ``.``, ``-``.

    It starts with a letter or digit and is at most :data:`MAX_KEY_LENGTH`
    characters. Automation rules check the template keys they name with it.

    >>> check_template_key("birthday.greeting")
    'birthday.greeting'
    >>> check_template_key("Birthday Greeting", "$.template_key")
    Traceback (most recent call last):
    ...
    crmcore.errors.ValidationError: $.template_key: must be a template key such as 'welcome' or 'birthday.greeting' (lowercase letters, digits, '_', '.' or '-', starting with a letter or digit; at most 64 characters)

    Raises:
        InvalidType: ``value`` is not a str.
        ValidationError: a malformed key (code ``template_key``).
    """
    if not isinstance(value, str):
        raise InvalidType(f"must be a str, not {type_name(value)}", path=path)
    if len(value) > MAX_KEY_LENGTH or _KEY.match(value) is None:
        raise ValidationError(
            "must be a template key such as 'welcome' or 'birthday.greeting' (lowercase "
            f"letters, digits, '_', '.' or '-', starting with a letter or digit; at most "
            f"{MAX_KEY_LENGTH} characters)",
            path=path,
            code="template_key",
        )
    return value


def _canonical_case(tag: str) -> str:
    """``tag`` with its subtags in canonical case: language lower, script title, region upper."""
    parts = tag.split("-")
    return "-".join(
        part.lower() if index == 0 else part.title() if len(part) == 4 else part.upper()
        for index, part in enumerate(parts)
    )


def normalize_language(value: object, path: str = "$.language") -> str:
    """Check a BCP 47 language tag of the common shape and write it in its canonical case.

    The language is lowercase, a script title case, a region uppercase. The
    tag is then checked as a customer's preferred language is (one pattern:
    a language of 2 or 3 letters, an optional 4-letter script, an optional
    2-letter or 3-digit region), so every tag this accepts, a customer
    profile accepts as it is written here.

    >>> normalize_language("ID-id"), normalize_language("zh-hant-tw")
    ('id-ID', 'zh-Hant-TW')

    Raises:
        InvalidType: ``value`` is not a str.
        ValidationError: another shape (code ``language``).
    """
    if not isinstance(value, str):
        raise InvalidType(f"must be a language tag str, not {type_name(value)}", path=path)
    # ASCII only: str.lower() maps some non-ASCII letters (the Kelvin sign) to ASCII ones.
    if len(value) <= _MAX_TAG_TEXT and value.isascii():
        canonical = _canonical_case(value)
        if _LANGUAGE_TAG.match(canonical) is not None:
            return canonical
    raise ValidationError(
        "must be a BCP 47 language tag such as 'id', 'en-GB' or 'zh-Hant-TW'",
        path=path,
        code="language",
    )


def _language(value: object) -> str:
    return normalize_language(value, "$.language")


def _body(value: object) -> str:
    return clean_text(
        value, "$.body", max_length=MAX_BODY_LENGTH, allow_newlines=True, what="a message body"
    )


def _subject(value: object) -> str | None:
    if value is None:
        return None
    return clean_text(value, "$.subject", max_length=MAX_SUBJECT_LENGTH, what="a subject")


_channel_converter = enum_converter(Channel, "$.channel")


def _channel(value: object) -> Channel | None:
    return None if value is None else _channel_converter(value)


def _names(value: object, path: str) -> frozenset[str]:
    if isinstance(value, (str, bytes, Mapping)) or not isinstance(value, Iterable):
        raise InvalidType(f"must be a set of field names, not {type_name(value)}", path=path)
    names = items_of(value, str, path, "a str", max_items=MAX_FIELDS, noun="fields")
    for index, name in enumerate(names):
        if not is_field_name(name):
            raise ValidationError(
                "must be a snake_case field name (a lowercase letter, then lowercase letters, "
                f"digits or underscores; at most {MAX_FIELD_NAME} characters)",
                path=f"{path}[{index}]",
                code="name",
            )
    return frozenset(names)


def _fields(value: object) -> frozenset[str]:
    return _names(value, "$.fields")


def _custom_fields(value: object) -> frozenset[str]:
    return _names(value, "$.custom_fields")


def _slots(segments: Segments) -> list[str]:
    return [s.name for s in segments if isinstance(s, Slot)]


@attrs.frozen(slots=True, repr=False)
class RenderedMessage(Checked):
    """A template filled with values: what a sender delivers.

    The repr shows the template's key, language and channel, never the
    subject or body (they hold personal data).

    Attributes:
        key: the key of the template rendered.
        language: the template's language.
        channel: the channel the template is meant for (``None``: any).
        subject: the rendered subject, if the template has one.
        body: the rendered body.

    .. versionadded:: 0.1
    """

    key: str
    language: str
    channel: Channel | None
    subject: str | None
    body: str

    def __repr__(self) -> str:
        channel = None if self.channel is None else self.channel.value
        return f"RenderedMessage(key={self.key!r}, language={self.language!r}, channel={channel!r})"


@attrs.frozen(slots=True, kw_only=True, repr=False)
class MessageTemplate:
    """A message with placeholders, in one language, checked when it is built.

    ``body`` (and ``subject``, for emails) holds literal text and placeholders
    ``{name}``, where ``name`` is a snake_case field name; ``{{`` and ``}}``
    are literal braces. Nothing else between braces is accepted: no
    positional fields, attribute or item access, conversions or format
    specs. Every placeholder must be one of ``fields``, and every field a
    standard one (:data:`~crmcore.messaging.MESSAGE_FIELDS`) or one of
    ``custom_fields``, so that a typo fails when the template is built rather
    than when a message is sent.

    >>> welcome = MessageTemplate(
    ...     key="welcome",
    ...     language="id",
    ...     subject="Selamat datang, {first_name}!",
    ...     body="Halo {first_name}, poin Anda: {points_balance}.",
    ...     fields={"first_name", "points_balance"},
    ... )
    >>> sorted(welcome.placeholders)
    ['first_name', 'points_balance']
    >>> welcome.render({"first_name": "Ana", "points_balance": 12500}).body
    'Halo Ana, poin Anda: 12.500.'
    >>> MessageTemplate(key="x", language="en", body="Hi {name.__class__}", fields={"first_name"})
    Traceback (most recent call last):
    ...
    crmcore.errors.ValidationError: $.body: must use only placeholders such as {first_name} (a snake_case field name in braces); write {{ and }} for literal braces

    Attributes:
        key: what the template is for, such as ``"welcome"``; a catalog holds
            one template per key and language.
        language: a BCP 47 tag (``"id"``, ``"en-GB"``), written in canonical case.
        body: the message text (line breaks allowed), at most 10,000 characters.
        subject: an optional one-line subject (emails), at most 300 characters.
        channel: the channel the template is written for; ``None`` for any.
        fields: the field names the template may use.
        custom_fields: the fields of ``fields`` that are not standard ones.

    .. versionadded:: 0.1
    """

    key: str = attrs.field(converter=_key)
    language: str = attrs.field(converter=_language)
    body: str = attrs.field(converter=_body)
    subject: str | None = attrs.field(default=None, converter=_subject)
    channel: Channel | None = attrs.field(default=None, converter=_channel)
    fields: frozenset[str] = attrs.field(
        default=frozenset(), converter=_fields, metadata=limit(MAX_FIELDS)
    )
    custom_fields: frozenset[str] = attrs.field(
        default=frozenset(), converter=_custom_fields, metadata=limit(MAX_FIELDS)
    )

    def __attrs_post_init__(self) -> None:
        problems: list[Problem] = []
        used: list[str] = []
        for path, text in (("$.subject", self.subject), ("$.body", self.body)):
            if text is None:
                continue
            segments, found = parse(text, path)
            problems.extend(found)
            names = _slots(segments)
            used.extend(names)
            unknown = sorted(set(names) - self.fields)
            if unknown:
                problems.append(
                    Problem(
                        path,
                        "uses placeholders that are not declared fields: "
                        + ", ".join(f"{{{n}}}" for n in unknown),
                        "unknown_placeholder",
                    )
                )
        if len(used) > MAX_PLACEHOLDERS:
            problems.append(
                Problem(
                    "$.body",
                    f"must hold at most {MAX_PLACEHOLDERS} placeholders (subject and body)",
                    "too_many",
                )
            )
        not_standard = sorted(self.fields - self.custom_fields - MESSAGE_FIELDS.keys())
        if not_standard:
            problems.append(
                Problem(
                    "$.fields",
                    "names fields that are neither standard message fields nor declared "
                    "in custom_fields: " + ", ".join(not_standard),
                    "unknown_field",
                )
            )
        undeclared = sorted(self.custom_fields - self.fields)
        if undeclared:
            problems.append(
                Problem(
                    "$.custom_fields",
                    "names fields that are not in fields: " + ", ".join(undeclared),
                    "undeclared_field",
                )
            )
        shadowing = sorted(self.custom_fields & MESSAGE_FIELDS.keys())
        if shadowing:
            problems.append(
                Problem(
                    "$.custom_fields",
                    "names standard message fields (leave them out of custom_fields): "
                    + ", ".join(shadowing),
                    "standard_field",
                )
            )
        if problems:
            raise ValidationError.collect(problems)

    @property
    def placeholders(self) -> frozenset[str]:
        """The field names the subject and body use."""
        names = _slots(parse(self.body, "$.body")[0])
        if self.subject is not None:
            names.extend(_slots(parse(self.subject, "$.subject")[0]))
        return frozenset(names)

    def render(self, values: Mapping[str, object]) -> RenderedMessage:
        """Fill the placeholders from ``values``, or report every problem and fill nothing.

        Only the template's placeholders are looked up in ``values`` (one
        ``values[name]`` each, in name order); other keys are never read. A
        missing key or a ``None`` value is ``missing_value``; a value of
        another type than str, int, Decimal, Money or date is an
        :class:`~crmcore.InvalidType`; text holding control characters
        (``control_characters``) or longer than 1,000 characters
        (``too_long``) is refused. Paths are ``$.values.<name>``; the values
        themselves never appear in the error. How values are written is
        described in :mod:`crmcore.messaging` (the guide).

        >>> reminder = MessageTemplate(
        ...     key="payment_due",
        ...     language="en",
        ...     body="{first_name}, {amount_due} is due on {due_date}.",
        ...     fields={"first_name", "amount_due", "due_date"},
        ... )
        >>> reminder.render({"first_name": "Ana"})
        Traceback (most recent call last):
        ...
        crmcore.errors.ValidationError: $.values.amount_due: is missing: the template uses this field (and 1 more problem)

        Raises:
            ValidationError: some placeholders have no usable value; ``problems``
                lists each. It is an :class:`~crmcore.InvalidType` when every
                problem is a wrong type.
            InvalidType: ``values`` is not a mapping.
        """
        if not isinstance(values, Mapping):
            raise InvalidType(f"must be a mapping, not {type_name(values)}", path="$.values")
        texts: dict[str, str] = {}
        problems: list[Problem] = []
        for name in sorted(self.placeholders):
            path = f"$.values.{name}"
            try:
                value = values[name]
            except KeyError:
                value = None
            if value is None:
                problems.append(
                    Problem(path, "is missing: the template uses this field", "missing_value")
                )
                continue
            written = format_value(value, self.language, path)
            if isinstance(written, Problem):
                problems.append(written)
            else:
                texts[name] = written
        if problems:
            if all(is_type_problem(p) for p in problems):
                raise InvalidType.collect(problems)
            raise ValidationError.collect(problems)
        subject = None if self.subject is None else _fill(self.subject, "$.subject", texts)
        return RenderedMessage(
            self.key, self.language, self.channel, subject, _fill(self.body, "$.body", texts)
        )

    def __repr__(self) -> str:
        channel = None if self.channel is None else self.channel.value
        return (
            f"MessageTemplate(key={self.key!r}, language={self.language!r}, "
            f"channel={channel!r}, fields={sorted(self.fields)!r})"
        )


def _fill(text: str, path: str, texts: Mapping[str, str]) -> str:
    segments, _ = parse(text, path)
    return "".join(texts[s.name] if isinstance(s, Slot) else s for s in segments)


def _templates(value: object) -> tuple[MessageTemplate, ...]:
    templates = items_of(
        value,
        MessageTemplate,
        "$.templates",
        "a MessageTemplate",
        max_items=MAX_TEMPLATES,
        noun="templates",
    )
    check_unique(
        templates,
        lambda t: (t.key, t.language),
        "$.templates[{}]",
        "must not repeat the key and language of an earlier template",
    )
    return templates


def _default_language(value: object) -> str:
    return normalize_language(value, "$.default_language")


@attrs.frozen(slots=False, repr=False)
class TemplateCatalog:
    """Templates by key and language, at most one for each pair, with language fallback.

    :meth:`get` looks for the language asked for, then for its parent tags
    (``zh-Hant-TW``, ``zh-Hant``, ``zh``), then for the catalog's
    ``default_language``: a customer whose preferred language is ``id-ID``
    gets the ``id`` template, and one whose language the business does not
    write in gets the default.

    >>> catalog = TemplateCatalog(
    ...     [
    ...         MessageTemplate(key="thanks", language="id", body="Terima kasih!"),
    ...         MessageTemplate(key="thanks", language="en", body="Thank you!"),
    ...     ],
    ...     default_language="en",
    ... )
    >>> catalog.get("thanks", "id-ID").language, catalog.get("thanks", "fr").language
    ('id', 'en')
    >>> catalog.render("thanks", "id", {}).body
    'Terima kasih!'

    .. versionadded:: 0.1
    """

    templates: tuple[MessageTemplate, ...] = attrs.field(
        converter=_templates, metadata=limit(MAX_TEMPLATES)
    )
    default_language: str = attrs.field(default="en", kw_only=True, converter=_default_language)

    def __attrs_post_init__(self) -> None:
        index = {(t.key, t.language): t for t in self.templates}
        object.__setattr__(self, "_index", index)

    def _lookup(self) -> dict[tuple[str, str], MessageTemplate]:
        index: dict[tuple[str, str], MessageTemplate] = self.__dict__["_index"]
        return index

    def find(self, key: str, language: str) -> MessageTemplate | None:
        """Like :meth:`get`, returning ``None`` where :meth:`get` raises UnknownTemplate."""
        wanted_key = check_template_key(key, "$.key")
        tag = normalize_language(language, "$.language")
        index = self._lookup()
        candidates = [tag]
        parts = tag.split("-")
        candidates.extend("-".join(parts[:n]) for n in range(len(parts) - 1, 0, -1))
        candidates.append(self.default_language)
        for candidate in candidates:
            found = index.get((wanted_key, candidate))
            if found is not None:
                return found
        return None

    def get(self, key: str, language: str) -> MessageTemplate:
        """The template for ``key`` in ``language``, its parent languages or the default.

        Raises:
            UnknownTemplate: no template fits (a ValidationError and a LookupError).
            ValidationError: ``key`` or ``language`` is malformed.
        """
        found = self.find(key, language)
        if found is None:
            raise UnknownTemplate(key, normalize_language(language))
        return found

    def render(self, key: str, language: str, values: Mapping[str, object]) -> RenderedMessage:
        """:meth:`get` the template and :meth:`~MessageTemplate.render` it with ``values``."""
        return self.get(key, language).render(values)

    @property
    def keys(self) -> frozenset[str]:
        """Every template key the catalog holds."""
        return frozenset(t.key for t in self.templates)

    def languages(self, key: str) -> tuple[str, ...]:
        """The languages ``key`` is written in, sorted."""
        wanted = check_template_key(key, "$.key")
        return tuple(sorted(t.language for t in self.templates if t.key == wanted))

    def __repr__(self) -> str:
        return (
            f"TemplateCatalog(templates={len(self.templates)}, "
            f"default_language={self.default_language!r})"
        )
