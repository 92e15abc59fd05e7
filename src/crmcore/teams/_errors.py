"""The errors of assignment: no one to assign to, or no rule that applies."""

from __future__ import annotations

from collections.abc import Sequence

from crmcore.errors import Problem, ValidationError


class AssignmentError(ValidationError):
    """An assignment rule could not name an owner; nothing was assigned.

    Subclasses say why: :class:`EmptyPool` (no active staff member to pick)
    and :class:`NoRoute` (the party matched no routed territory and the rule
    has no fallback pool).
    """

    default_code = "assignment"


class EmptyPool(AssignmentError):
    """The pool an assignment drew from holds no active staff member (code ``empty_pool``).

    Attributes:
        pool: the pool's rotation key (``"team:t-1"``, ``"pool"``), or the
            territory route's key (``"territory:t-1"``) for a route whose only
            owner is inactive.
        skipped: the ids of the inactive staff members passed over, sorted.
    """

    default_code = "empty_pool"

    def __init__(
        self,
        rule: str,
        *,
        path: str = "$.rule",
        code: str | None = None,
        problems: Sequence[Problem] | None = None,
        pool: str = "",
        skipped: tuple[str, ...] = (),
    ) -> None:
        self.pool = pool
        self.skipped = skipped
        super().__init__(rule, path=path, code=code, problems=problems)


class NoRoute(AssignmentError):
    """The party matched no routed territory and the rule has no fallback pool (code ``no_route``)."""

    default_code = "no_route"
