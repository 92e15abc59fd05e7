"""The errors of access control: a refused action and a role the policy does not know."""

from __future__ import annotations

from crmcore.errors import CrmcoreError, ValidationError


class AccessDenied(CrmcoreError, PermissionError):
    """The access policy does not let the principal do this to this record.

    The message names the action and the kind of record (and the record's
    id, when one is known), never an owner, a team or a value.

    Attributes:
        action: what was attempted (``"read"``, ``"update"``, ...).
        aggregate_kind: the kind of record (``"customer"``, ...).
        aggregate_id: the record's id as text, or ``None``.
        rule: why, as a code (``"no_grant"``, ``"scope"``, ``"masked_field"``).

    >>> str(AccessDenied("update", "customer", "c-1", rule="scope"))
    'update of customer c-1 denied (scope)'

    .. versionadded:: 0.1
    """

    def __init__(
        self, action: str, aggregate_kind: str, aggregate_id: str | None = None, *, rule: str
    ) -> None:
        self.action = action
        self.aggregate_kind = aggregate_kind
        self.aggregate_id = aggregate_id
        self.rule = rule
        target = aggregate_kind if aggregate_id is None else f"{aggregate_kind} {aggregate_id}"
        super().__init__(f"{action} of {target} denied ({rule})")


class UnknownRole(ValidationError):
    """A principal holds a role the access policy does not declare (code ``unknown_role``).

    .. versionadded:: 0.1
    """

    default_code = "unknown_role"
