"""Tests for `crmcore.testing.strategies._messaging`: what the strategies draw and refuse."""

import pytest
from hypothesis import given

from crmcore import InvalidType, ValidationError
from crmcore.customers import Channel
from crmcore.messaging import (
    MESSAGE_FIELDS,
    MessageTemplate,
    TemplateCatalog,
    normalize_language,
)
from crmcore.testing.strategies._messaging import (
    language_tags,
    message_templates,
    message_values_for,
    rendered_messages,
    template_catalogs,
    unsafe_placeholders,
)


@given(
    message_templates(languages=["ID-id"], keys=["welcome"], channels=["sms"], with_subject=True)
)
def test_options_narrow_the_templates(template):
    """Languages (normalized), keys, channels and the subject option are obeyed."""
    assert ("id-ID", "welcome", Channel.SMS) == (template.language, template.key, template.channel)
    assert template.subject is not None


@given(message_templates(with_subject=False, max_fields=1, max_custom_fields=0))
def test_templates_declare_at_most_the_fields_asked_for(template):
    """With max_fields=1 and no custom fields, one standard field is declared and no subject."""
    assert 1 == len(template.fields)
    assert template.fields <= set(MESSAGE_FIELDS)
    assert template.subject is None


@given(message_templates())
def test_templates_rebuild_from_their_own_fields(template):
    """A drawn template is valid: rebuilding it from its fields gives an equal template."""
    rebuilt = MessageTemplate(
        key=template.key,
        language=template.language,
        body=template.body,
        subject=template.subject,
        channel=template.channel,
        fields=template.fields,
        custom_fields=template.custom_fields,
    )
    assert template == rebuilt


@given(message_templates().flatmap(lambda t: message_values_for(t).map(lambda v: (t, v))))
def test_values_cover_exactly_the_placeholders(drawn):
    """message_values_for draws a value for each placeholder and nothing else."""
    template, values = drawn
    assert template.placeholders == set(values)


@given(template_catalogs(max_templates=3, default_languages=["id"]))
def test_catalogs_obey_their_options(catalog):
    """Catalogs hold at most max_templates templates, with the default language asked for."""
    assert isinstance(catalog, TemplateCatalog)
    assert len(catalog.templates) <= 3
    assert "id" == catalog.default_language


@given(language_tags(), unsafe_placeholders())
def test_small_strategies_draw_text(tag, unsafe):
    """Language tags are canonical; unsafe placeholders are text with a brace."""
    assert tag == normalize_language(tag)
    assert "{" in unsafe or "}" in unsafe


@pytest.mark.parametrize(
    ("kwargs", "error", "path"),
    [
        ({"languages": ["english"]}, ValidationError, "$.languages[0]"),
        ({"languages": []}, ValidationError, "$.languages"),
        ({"keys": ["Bad Key"]}, ValidationError, "$.keys[0]"),
        ({"channels": ["pigeon"]}, ValidationError, "$.channels[0]"),
        ({"channels": [3]}, InvalidType, "$.channels[0]"),
        ({"with_subject": "yes"}, InvalidType, "$.with_subject"),
        ({"max_fields": 0}, ValidationError, "$.max_fields"),
        ({"max_custom_fields": 11}, ValidationError, "$.max_custom_fields"),
    ],
)
def test_bad_options_are_refused_when_the_strategy_is_made(kwargs, error, path):
    """Options are validated eagerly, naming the argument."""
    with pytest.raises(error) as caught:
        message_templates(**kwargs)
    assert path == caught.value.path


def test_bad_catalog_options_and_templates_are_refused():
    """template_catalogs and message_values_for check their arguments."""
    with pytest.raises(ValidationError):
        template_catalogs(max_templates=51)
    with pytest.raises(InvalidType):
        message_values_for("not a template")


@given(rendered_messages())
def test_rendered_messages_are_renders(message):
    """Drawn rendered messages carry a key, a language and a body."""
    assert message.key
    assert message.body
    assert message.language == normalize_language(message.language)
