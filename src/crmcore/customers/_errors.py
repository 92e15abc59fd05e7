"""The error a command on a customer merged into another one raises."""

from __future__ import annotations

from collections.abc import Sequence

from crmcore._kernel._ids import CustomerId
from crmcore.errors import Problem, ValidationError


class CustomerMerged(ValidationError):
    """The customer was merged into another one (code ``merged``); nothing was applied.

    A customer absorbed by :func:`~crmcore.customers.merge_customers` is a
    tombstone: every command on it is refused with this error, and a merge
    into it or of it again too. The survivor's id says which customer to load
    instead (``customer.merged_into`` says the same).

    Attributes:
        customer_id: the absorbed customer, if known.
        survivor_id: the customer it was merged into.

    >>> from crmcore.customers import CustomerId
    >>> error = CustomerMerged.of(CustomerId("c-2"), CustomerId("c-1"))
    >>> error.survivor_id, error.code, error.path
    (CustomerId('c-1'), 'merged', '$.merged_into')
    >>> str(error)
    '$.merged_into: customer c-2 was merged into customer c-1: use that customer instead'
    """

    default_code = "merged"

    def __init__(
        self,
        rule: str,
        *,
        path: str = "$.merged_into",
        code: str | None = None,
        problems: Sequence[Problem] | None = None,
        customer_id: CustomerId | None = None,
        survivor_id: CustomerId | None = None,
    ) -> None:
        self.customer_id = customer_id
        self.survivor_id = survivor_id
        super().__init__(rule, path=path, code=code, problems=problems)

    @classmethod
    def of(
        cls, customer_id: CustomerId, survivor_id: CustomerId, *, path: str = "$.merged_into"
    ) -> CustomerMerged:
        """The error for a command on ``customer_id``, merged into ``survivor_id``.

        The message names both ids (ids are not personal data), never a value
        of the customers.
        """
        return cls(
            f"customer {customer_id.value} was merged into customer {survivor_id.value}: "
            "use that customer instead",
            path=path,
            customer_id=customer_id,
            survivor_id=survivor_id,
        )
