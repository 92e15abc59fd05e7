"""The errors of the merge service."""

from __future__ import annotations

from collections.abc import Sequence

from crmcore.errors import ConcurrencyConflict, Problem, RepositoryError, ValidationError


class MergeConflict(ValidationError):
    """The records of the two customers cannot all be re-pointed; nothing was applied.

    Raised by the merge service before anything is saved. ``code`` names the
    rule: ``loyalty_membership`` (both customers hold an account in one loyalty
    program, and a customer holds one account per program: close or settle one
    account first). ``repository`` and ``record_id`` name the record
    of the absorbed customer that could not move.

    >>> from crmcore.loyalty import LoyaltyAccountId
    >>> error = MergeConflict.loyalty(LoyaltyAccountId("la-2"))
    >>> error.code, error.path, error.repository
    ('loyalty_membership', '$.loyalty_accounts', 'loyalty_accounts')
    """

    default_code = "merge_conflict"

    def __init__(
        self,
        rule: str,
        *,
        path: str = "$",
        code: str | None = None,
        problems: Sequence[Problem] | None = None,
        repository: str | None = None,
        record_id: object = None,
    ) -> None:
        self.repository = repository
        self.record_id = record_id
        super().__init__(rule, path=path, code=code, problems=problems)

    @classmethod
    def loyalty(cls, account_id: object) -> MergeConflict:
        """Both customers hold an account in the program of ``account_id`` (the absorbed's)."""
        return cls(
            f"loyalty account {account_id!s} of the absorbed customer is in a program the "
            "survivor already belongs to (one account per program): settle one account first",
            path="$.loyalty_accounts",
            code="loyalty_membership",
            repository="loyalty_accounts",
            record_id=account_id,
        )


class MergePreviewOutdated(ConcurrencyConflict):
    """A merge preview no longer describes what the unit of work holds; nothing was applied.

    :func:`~crmcore.merge.apply_merge` raises it when a customer or record the
    preview saw changed version, was removed, or no longer names the absorbed
    customer, or when a record naming the absorbed customer appeared since.
    Preview the merge again in the current unit and apply that preview.

    Attributes:
        kind: the kind of the aggregate (``"order"``).
        aggregate_id: its id.
        expected_version: the version the preview saw (``None``: it did not see
            the record among those to re-point).
        actual_version: the version the unit sees now (``None``: removed, or no
            longer among those to re-point).

    >>> from crmcore.commerce import OrderId
    >>> str(MergePreviewOutdated("order", OrderId("o-1"), expected_version=None, actual_version=0))
    'the merge preview did not see order o-1, which now names the absorbed customer; preview the merge again'
    """

    def __init__(
        self,
        kind: str,
        aggregate_id: object,
        *,
        expected_version: int | None,
        actual_version: int | None,
    ) -> None:
        record = f"{kind} {aggregate_id!s}"
        if expected_version is None:
            story = f"did not see {record}, which now names the absorbed customer"
        elif actual_version is None:
            story = f"saw {record} at version {expected_version}, which is no longer to re-point"
        else:
            story = f"saw {record} at version {expected_version}, which is now at {actual_version}"
        self.kind = kind
        self.aggregate_id = aggregate_id
        self.expected_version = expected_version  # type: ignore[assignment]
        self.actual_version = actual_version
        self._fields = {"expected_version": expected_version, "actual_version": actual_version}
        RepositoryError.__init__(
            self,
            f"the merge preview {story}; preview the merge again",
        )

    def __reduce__(self) -> tuple[object, tuple[object, ...]]:
        return (_rebuild, (type(self), (self.kind, self.aggregate_id), self._fields))


def _rebuild(
    cls: type[MergePreviewOutdated], args: tuple[object, ...], kwargs: dict[str, object]
) -> MergePreviewOutdated:
    return cls(*args, **kwargs)  # type: ignore[arg-type]
