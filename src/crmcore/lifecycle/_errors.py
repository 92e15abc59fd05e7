"""The errors of the lifecycle engine."""

from __future__ import annotations

from crmcore.errors import ValidationError


class InvalidDefinition(ValidationError):
    """A lifecycle definition is inconsistent; ``problems`` lists every fault found.

    Raised when a definition is built: unknown or unreachable states, a trigger
    leading to two targets from one state, no initial state, badly formed names.
    """

    default_code = "invalid_definition"
