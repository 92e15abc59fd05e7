"""The errors of crmcore.automation."""

from __future__ import annotations

from collections.abc import Sequence

from crmcore.errors import Problem, ValidationError


class AutomationLoop(ValidationError):
    """Automation rules whose actions trigger themselves, directly or through other rules.

    Raised when a rule set is loaded (code ``automation_loop``); nothing is
    loaded.

    Attributes:
        cycle: the keys of the rules on the cycle, in firing order, the first
            key repeated at the end (``("a", "b", "a")``).

    .. versionadded:: 0.1
    """

    default_code = "automation_loop"

    def __init__(
        self,
        rule: str,
        *,
        path: str = "$.rules",
        code: str | None = None,
        problems: Sequence[Problem] | None = None,
        cycle: tuple[str, ...] = (),
    ) -> None:
        self.cycle = cycle
        super().__init__(rule, path=path, code=code, problems=problems)
