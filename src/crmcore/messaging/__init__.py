"""Messaging: message templates per language with safe placeholders, rendered from declared fields.

A :class:`MessageTemplate` holds a body (and, for emails, a subject) with
placeholders such as ``{first_name}`` or ``{points_balance}``. Placeholders
name fields only: the syntax is parsed by crmcore itself, never handed to
``str.format``, so a template cannot reach attributes, items or format
specs of the values. A template is checked when it is built (unknown or
unsafe placeholders, fields that are not standard ones); :meth:`render
<MessageTemplate.render>` reports every missing or unusable value before it
produces any text. :class:`TemplateCatalog` holds one template per key and
language and falls back from ``id-ID`` to ``id`` to its default language.
:func:`message_values` builds the standard values from customers, loyalty
accounts, subscriptions and cases.
"""

from crmcore.messaging._errors import UnknownTemplate
from crmcore.messaging._fields import MESSAGE_FIELDS, message_values
from crmcore.messaging._format import MAX_VALUE_LENGTH
from crmcore.messaging._syntax import MAX_FIELD_NAME, escape
from crmcore.messaging._templates import (
    MAX_BODY_LENGTH,
    MAX_FIELDS,
    MAX_KEY_LENGTH,
    MAX_PLACEHOLDERS,
    MAX_SUBJECT_LENGTH,
    MAX_TEMPLATES,
    MessageTemplate,
    RenderedMessage,
    TemplateCatalog,
    check_template_key,
    normalize_language,
)

__all__ = [
    "MAX_BODY_LENGTH",
    "MAX_FIELDS",
    "MAX_FIELD_NAME",
    "MAX_KEY_LENGTH",
    "MAX_PLACEHOLDERS",
    "MAX_SUBJECT_LENGTH",
    "MAX_TEMPLATES",
    "MAX_VALUE_LENGTH",
    "MESSAGE_FIELDS",
    "MessageTemplate",
    "RenderedMessage",
    "TemplateCatalog",
    "UnknownTemplate",
    "check_template_key",
    "escape",
    "message_values",
    "normalize_language",
]
