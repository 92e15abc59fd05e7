"""Tests for `crmcore.messaging._templates`: templates, rendered messages and catalogs."""

import pickle
from datetime import date
from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from crmcore import InvalidType, Money, ValidationError
from crmcore.customers import Channel
from crmcore.customers._party import check_language
from crmcore.messaging import (
    MAX_BODY_LENGTH,
    MAX_FIELDS,
    MAX_KEY_LENGTH,
    MAX_PLACEHOLDERS,
    MAX_SUBJECT_LENGTH,
    MAX_TEMPLATES,
    MESSAGE_FIELDS,
    MessageTemplate,
    RenderedMessage,
    TemplateCatalog,
    UnknownTemplate,
    normalize_language,
)
from crmcore.serialization import from_dict, to_dict
from crmcore.testing.strategies._messaging import (
    language_tags,
    message_templates,
    message_values_for,
    template_catalogs,
)

PERSONAL = "Siti Rahayu"


def welcome(**kwargs):
    arguments = {
        "key": "welcome",
        "language": "id",
        "subject": "Selamat datang, {first_name}",
        "body": "Halo {first_name},\npoin Anda {points_balance}.",
        "fields": {"first_name", "points_balance"},
        "channel": "email",
    }
    return MessageTemplate(**{**arguments, **kwargs})


# -- construction ----------------------------------------------------------------------


def test_a_template_keeps_what_it_was_given():
    """Key, language, texts, channel and fields are kept (channel as a Channel)."""
    template = welcome()
    assert "welcome" == template.key
    assert "id" == template.language
    assert Channel.EMAIL is template.channel
    assert frozenset({"first_name", "points_balance"}) == template.fields
    assert frozenset({"first_name", "points_balance"}) == template.placeholders
    assert frozenset() == template.custom_fields


@pytest.mark.parametrize(
    ("given", "expected"),
    [
        ("id", "id"),
        ("ID", "id"),
        ("id-id", "id-ID"),
        ("zh-hant-tw", "zh-Hant-TW"),
        ("es-419", "es-419"),
    ],
)
def test_languages_are_written_in_canonical_case(given, expected):
    """Language tags are normalized: language lowercase, script title case, region uppercase."""
    assert expected == welcome(language=given).language
    assert expected == normalize_language(given)


@pytest.mark.parametrize("language", ["", "indonesian", "id_ID", "i", "id-", "id-IDN-x", "e" * 30])
def test_malformed_languages_are_refused(language):
    """A tag that is not of the common BCP 47 shape is refused at $.language."""
    with pytest.raises(ValidationError) as caught:
        welcome(language=language)
    assert ("$.language", "language") == (caught.value.path, caught.value.code)


@pytest.mark.parametrize("key", ["", "Welcome", "-x", "a b", "k" * (MAX_KEY_LENGTH + 1), "x/y"])
def test_malformed_keys_are_refused(key):
    """Keys are lowercase id-like text."""
    with pytest.raises(ValidationError) as caught:
        welcome(key=key)
    assert ("$.key", "template_key") == (caught.value.path, caught.value.code)


@pytest.mark.parametrize(
    ("field", "value", "error"),
    [
        ("key", 3, InvalidType),
        ("language", None, InvalidType),
        ("body", None, InvalidType),
        ("subject", 5, InvalidType),
        ("channel", "carrier-pigeon", ValidationError),
        ("channel", 1, InvalidType),
        ("fields", "first_name", InvalidType),
        ("fields", {"first_name": 1}, InvalidType),
        ("fields", 7, InvalidType),
        ("fields", [1], InvalidType),
        ("custom_fields", "x", InvalidType),
    ],
)
def test_wrong_types_are_refused(field, value, error):
    """Each field refuses values of the wrong type at its own path."""
    with pytest.raises(error) as caught:
        welcome(**{field: value})
    assert caught.value.path.startswith(f"$.{field}")


def test_texts_are_bounded_and_clean():
    """Bodies and subjects are bounded; control characters and empty bodies are refused."""
    with pytest.raises(ValidationError, match="at most"):
        welcome(body="x" * (MAX_BODY_LENGTH + 1))
    with pytest.raises(ValidationError, match="at most"):
        welcome(subject="x" * (MAX_SUBJECT_LENGTH + 1))
    with pytest.raises(ValidationError) as caught:
        welcome(body="a\x00b")
    assert "control_characters" == caught.value.code
    with pytest.raises(ValidationError) as caught:
        welcome(subject="line\nbreak")
    assert "$.subject" == caught.value.path
    with pytest.raises(ValidationError) as caught:
        welcome(body="   ")
    assert "too_short" == caught.value.code


def test_placeholders_must_be_declared():
    """A placeholder outside ``fields`` is unknown_placeholder, naming the placeholder."""
    with pytest.raises(ValidationError) as caught:
        welcome(fields={"first_name"})
    assert ("$.body", "unknown_placeholder") == (caught.value.path, caught.value.code)
    assert "{points_balance}" in caught.value.rule


def test_subject_placeholders_must_be_declared_too():
    """The subject's placeholders are checked like the body's."""
    with pytest.raises(ValidationError) as caught:
        welcome(subject="Hi {full_name}")
    assert ("$.subject", "unknown_placeholder") == (caught.value.path, caught.value.code)


def test_fields_must_be_standard_unless_declared_custom():
    """A typo in fields is caught: only standard or custom fields may be declared."""
    with pytest.raises(ValidationError) as caught:
        welcome(body="Hi {frist_name}", subject=None, fields={"frist_name"})
    assert {("$.fields", "unknown_field")} == {(p.path, p.code) for p in caught.value.problems}
    template = welcome(
        body="Kode {voucher}", subject=None, fields={"voucher"}, custom_fields={"voucher"}
    )
    assert frozenset({"voucher"}) == template.placeholders


def test_custom_fields_are_declared_fields_and_not_standard_ones():
    """custom_fields must be in fields, and must not name a standard field."""
    with pytest.raises(ValidationError) as caught:
        welcome(custom_fields={"voucher", "first_name"})
    assert {("$.custom_fields", "undeclared_field"), ("$.custom_fields", "standard_field")} == {
        (p.path, p.code) for p in caught.value.problems
    }


def test_field_names_are_checked():
    """Declared field names must be snake_case field names."""
    with pytest.raises(ValidationError) as caught:
        welcome(fields={"First Name"})
    assert "name" == caught.value.code
    assert caught.value.path.startswith("$.fields[")


def test_counts_are_bounded():
    """Too many fields or placeholders are refused before anything else is done."""
    many = {f"f{i}" for i in range(MAX_FIELDS + 1)}
    with pytest.raises(ValidationError) as caught:
        welcome(fields=many, custom_fields=many)
    assert "too_many" == caught.value.code
    with pytest.raises(ValidationError) as caught:
        welcome(body="{first_name}" * (MAX_PLACEHOLDERS + 1))
    assert "too_many" in {p.code for p in caught.value.problems}


def test_unused_fields_are_allowed_and_not_placeholders():
    """A declared field the texts do not use is not a placeholder."""
    template = welcome(fields={"first_name", "points_balance", "tier"})
    assert "tier" not in template.placeholders


def test_templates_compare_by_value_and_hide_their_texts():
    """Equal templates are equal and hash equal; the repr shows no text."""
    assert welcome() == welcome()
    assert hash(welcome()) == hash(welcome())
    text = repr(welcome(body="Dear " + "{first_name} " + PERSONAL))
    assert PERSONAL not in text
    assert "welcome" in text


# -- rendering ----------------------------------------------------------------------------


def test_render_fills_every_placeholder():
    """Rendering writes each value where its placeholder was, in the template's language."""
    message = welcome().render({"first_name": PERSONAL, "points_balance": 12500})
    assert "Selamat datang, " + PERSONAL == message.subject
    assert f"Halo {PERSONAL},\npoin Anda 12.500." == message.body
    assert ("welcome", "id", Channel.EMAIL) == (message.key, message.language, message.channel)


def test_render_without_a_subject_gives_none():
    """A template without a subject renders without one."""
    assert welcome(subject=None).render({"first_name": "a", "points_balance": 1}).subject is None


def test_values_are_never_read_as_template_text():
    """A value holding braces is written as it is."""
    message = welcome().render({"first_name": "{points_balance} {{x}}", "points_balance": 1})
    assert message.body.startswith("Halo {points_balance} {{x}},")


def test_render_reports_every_problem_and_no_value():
    """Missing values, None, wrong types and bad text are all reported, by path."""
    template = MessageTemplate(
        key="k",
        language="en",
        body="{first_name} {full_name} {tier} {due_date} {amount_due} {staff_name}",
        fields={"first_name", "full_name", "tier", "due_date", "amount_due", "staff_name"},
    )
    values = {
        "full_name": None,
        "tier": PERSONAL + "\n",
        "due_date": 3.5,
        "amount_due": Money("10", "USD"),
        "staff_name": "x" * 1001,
    }
    with pytest.raises(ValidationError) as caught:
        template.render(values)
    assert [
        ("$.values.due_date", "type"),
        ("$.values.first_name", "missing_value"),
        ("$.values.full_name", "missing_value"),
        ("$.values.staff_name", "too_long"),
        ("$.values.tier", "control_characters"),
    ] == [(p.path, p.code) for p in caught.value.problems]
    assert not isinstance(caught.value, InvalidType)
    assert PERSONAL not in str(caught.value)
    assert all(PERSONAL not in p.rule for p in caught.value.problems)


def test_render_with_only_wrong_types_raises_invalid_type():
    """When every problem is a wrong type the error is an InvalidType (a TypeError)."""
    with pytest.raises(InvalidType) as caught:
        welcome().render({"first_name": b"bytes", "points_balance": 1.0})
    assert isinstance(caught.value, TypeError)
    assert 2 == len(caught.value.problems)


def test_render_needs_a_mapping():
    """Values must be a mapping."""
    with pytest.raises(InvalidType) as caught:
        welcome().render([("first_name", "a")])
    assert "$.values" == caught.value.path


def test_values_of_every_accepted_type_render():
    """str, int, Decimal, Money and date values are accepted."""
    template = MessageTemplate(
        key="k",
        language="id",
        body="{first_name} {points_balance} {discount} {amount_due} {due_date}",
        fields={"first_name", "points_balance", "discount", "amount_due", "due_date"},
    )
    message = template.render(
        {
            "first_name": "Ana",
            "points_balance": 1500,
            "discount": Decimal("12.5"),
            "amount_due": Money("150000", "IDR"),
            "due_date": date(2026, 8, 17),
        }
    )
    assert "Ana 1.500 12,5 Rp150.000 17 Agustus 2026" == message.body


def test_rendered_messages_hide_their_texts():
    """A rendered message's repr shows the key, language and channel only."""
    message = welcome().render({"first_name": PERSONAL, "points_balance": 1})
    assert "RenderedMessage(key='welcome', language='id', channel='email')" == repr(message)
    assert "channel=None" in repr(
        welcome(channel=None).render({"first_name": "a", "points_balance": 1})
    )


def test_rendered_messages_check_their_fields():
    """A RenderedMessage built by hand is type-checked."""
    with pytest.raises(InvalidType):
        RenderedMessage("k", "id", None, None, 3)


@given(message_templates().flatmap(lambda t: message_values_for(t).map(lambda v: (t, v))))
def test_templates_and_messages_round_trip_through_serialization(drawn):
    """Templates and rendered messages survive to_dict/from_dict unchanged."""
    template, values = drawn
    assert template == from_dict(MessageTemplate, to_dict(template))
    message = template.render(values)
    assert message == from_dict(RenderedMessage, to_dict(message))


@given(message_templates())
def test_templates_pickle(template):
    """Templates pickle (they cross process boundaries)."""
    assert template == pickle.loads(pickle.dumps(template))  # noqa: S301 - our own bytes


def test_malformed_documents_are_refused_by_serialization():
    """A stored template with unsafe syntax fails to load, naming the path."""
    document = to_dict(welcome())
    document["body"] = "Hi {first_name.__class__}"
    with pytest.raises(ValidationError) as caught:
        from_dict(MessageTemplate, document)
    assert "unsafe_placeholder" in {p.code for p in caught.value.problems}


# -- catalog ------------------------------------------------------------------------------


def catalog(default_language="en"):
    return TemplateCatalog(
        [
            welcome(),
            welcome(language="en", subject="Welcome, {first_name}", body="Hi {first_name}"),
            welcome(key="thanks", language="zh-Hant", subject=None, body="謝謝 {first_name}"),
        ],
        default_language=default_language,
    )


@pytest.mark.parametrize(
    ("language", "found"),
    [
        ("id", "id"),
        ("id-ID", "id"),
        ("ID-id", "id"),
        ("en-GB", "en"),
        ("fr", "en"),
        ("jv", "en"),
    ],
)
def test_get_falls_back_to_the_parent_language_then_the_default(language, found):
    """``id-ID`` finds ``id``; an unknown language finds the default."""
    assert found == catalog().get("welcome", language).language


def test_get_walks_every_parent_tag():
    """``zh-Hant-TW`` finds ``zh-Hant``."""
    assert "zh-Hant" == catalog().get("thanks", "zh-Hant-TW").language


def test_get_refuses_what_no_fallback_finds():
    """No template for the key in the language or the default: UnknownTemplate (a LookupError)."""
    with pytest.raises(UnknownTemplate) as caught:
        catalog().get("thanks", "fr")
    error = caught.value
    assert isinstance(error, LookupError)
    assert isinstance(error, ValidationError)
    assert ("thanks", "fr", "unknown_template") == (error.key, error.language, error.code)
    restored = pickle.loads(pickle.dumps(error))  # noqa: S301 - our own bytes
    assert ("thanks", "fr") == (restored.key, restored.language)
    assert catalog().find("missing", "id") is None


def test_catalog_render_renders_the_found_template():
    """``render`` gets the template and renders it."""
    message = catalog().render("welcome", "en-AU", {"first_name": "Ana"})
    assert ("en", "Hi Ana") == (message.language, message.body)


def test_catalogs_refuse_duplicates_and_bad_input():
    """One template per key and language; the catalog's arguments are checked."""
    with pytest.raises(ValidationError) as caught:
        TemplateCatalog([welcome(), welcome(language="ID")])
    assert ("$.templates[1]", "duplicate") == (caught.value.path, caught.value.code)
    with pytest.raises(InvalidType):
        TemplateCatalog(["not a template"])
    with pytest.raises(ValidationError) as caught:
        TemplateCatalog([], default_language="english")
    assert "$.default_language" == caught.value.path
    with pytest.raises(ValidationError) as caught:
        TemplateCatalog(welcome() for _ in range(MAX_TEMPLATES + 1))
    assert "too_many" == caught.value.code
    with pytest.raises(ValidationError):
        catalog().get("Bad Key", "id")
    with pytest.raises(InvalidType):
        catalog().get("welcome", None)


def test_catalog_queries_and_repr():
    """Keys, languages per key, and a repr without texts."""
    assert frozenset({"welcome", "thanks"}) == catalog().keys
    assert ("en", "id") == catalog().languages("welcome")
    assert "TemplateCatalog(templates=3, default_language='en')" == repr(catalog())


@given(template_catalogs())
def test_catalogs_round_trip_and_find_each_template(drawn):
    """A catalog survives serialization and finds every template under its own key and language."""
    assert drawn == from_dict(TemplateCatalog, to_dict(drawn))
    for template in drawn.templates:
        assert template is drawn.get(template.key, template.language)


def test_message_fields_are_documented():
    """Every standard field has a description."""
    assert all(isinstance(v, str) and v for v in MESSAGE_FIELDS.values())
    assert "first_name" in MESSAGE_FIELDS


_TAG_TEXT = st.text(st.sampled_from("abzAGZ-09\u212a"), max_size=14)


@given(language_tags() | _TAG_TEXT)
def test_languages_follow_the_customer_profiles_pattern(text: str) -> None:
    """One pattern: a tag customers accept is normalized, and a normalized tag customers accept."""
    try:
        customers_ok = check_language(text) == text
    except ValidationError:
        customers_ok = False
    try:
        normalized: str | None = normalize_language(text)
    except ValidationError:
        normalized = None
    if customers_ok:
        assert normalized is not None
    if normalized is not None:
        assert normalized == check_language(normalized)
        assert normalized == normalize_language(normalized)
        assert normalized.lower() == text.lower()
