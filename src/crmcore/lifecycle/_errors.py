"""The errors of the lifecycle engine."""

from __future__ import annotations

from collections.abc import Sequence

from crmcore.errors import Problem, ValidationError

__all__ = ["InvalidDefinition", "TransitionNotAllowed"]


class InvalidDefinition(ValidationError):
    """A lifecycle definition is inconsistent; ``problems`` lists every fault found.

    Raised when a definition is built: unknown or unreachable states, a trigger
    leading to two targets from one state, no initial state, badly formed names.
    """

    default_code = "invalid_definition"


class TransitionNotAllowed(ValidationError):
    """A trigger cannot fire from the customer's current stage; the customer is unchanged.

    Attributes:
        definition: the name of the lifecycle definition.
        stage: the stage the customer is in.
        trigger: the trigger refused, if the definition knows it (``None`` for an
            unknown trigger, which is never repeated back).
        allowed: the triggers the definition allows from ``stage``.
        guard: the name of the guard that refused, if a guard did.
    """

    default_code = "transition_not_allowed"

    def __init__(
        self,
        rule: str,
        *,
        path: str = "$.trigger",
        code: str | None = None,
        problems: Sequence[Problem] | None = None,
        definition: str = "",
        stage: str | None = None,
        trigger: str | None = None,
        allowed: tuple[str, ...] = (),
        guard: str | None = None,
    ) -> None:
        self.definition = definition
        self.stage = stage
        self.trigger = trigger
        self.allowed = allowed
        self.guard = guard
        super().__init__(rule, path=path, code=code, problems=problems)
