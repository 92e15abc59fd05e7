"""Errors of crmcore.messaging."""

from __future__ import annotations

from crmcore.errors import ValidationError


class UnknownTemplate(ValidationError, LookupError):
    """A catalog has no template for a key in a language, its parent languages or the default.

    Attributes:
        key: the template key asked for.
        language: the language asked for (normalized).

    .. versionadded:: 0.1
    """

    default_code = "unknown_template"

    def __init__(self, key: str, language: str) -> None:
        self.key = key
        self.language = language
        super().__init__(
            "no template with this key in this language, its parent languages "
            "or the catalog's default language",
            path="$.key",
        )
