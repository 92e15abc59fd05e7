"""The errors a customer raises: merged into another one, erased, or under legal hold."""

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


class AlreadyErased(ValidationError):
    """The customer's personal data was erased (code ``erased``); nothing was applied.

    An erased customer takes no command (an erasure again included) and is
    merged with no other customer. The message names the customer's id,
    never a value it held.

    Attributes:
        customer_id: the erased customer, if known.

    >>> from crmcore.customers import CustomerId
    >>> error = AlreadyErased.of(CustomerId("c-2"))
    >>> error.code, error.path, error.customer_id
    ('erased', '$.privacy.erased_at', CustomerId('c-2'))

    .. versionadded:: 0.1
    """

    default_code = "erased"

    def __init__(
        self,
        rule: str,
        *,
        path: str = "$.privacy.erased_at",
        code: str | None = None,
        problems: Sequence[Problem] | None = None,
        customer_id: CustomerId | None = None,
    ) -> None:
        self.customer_id = customer_id
        super().__init__(rule, path=path, code=code, problems=problems)

    @classmethod
    def of(cls, customer_id: CustomerId, *, path: str = "$.privacy.erased_at") -> AlreadyErased:
        """The error for a command on (or a merge of) the erased customer ``customer_id``."""
        return cls(
            f"customer {customer_id.value} was erased: it takes no more changes",
            path=path,
            customer_id=customer_id,
        )


class ErasureBlocked(ValidationError):
    """A legal hold blocks the customer's erasure (code ``legal_hold``); nothing was applied.

    Attributes:
        customer_id: the customer, if known.
        hold_codes: the codes of the holds in the way, sorted.

    >>> from crmcore.customers import CustomerId
    >>> error = ErasureBlocked.of(CustomerId("c-2"), ["tax_audit"])
    >>> str(error)
    '$.privacy.legal_holds: customer c-2 is under legal hold (tax_audit): release it before erasing'
    >>> error.hold_codes
    ('tax_audit',)

    .. versionadded:: 0.1
    """

    default_code = "legal_hold"

    def __init__(
        self,
        rule: str,
        *,
        path: str = "$.privacy.legal_holds",
        code: str | None = None,
        problems: Sequence[Problem] | None = None,
        customer_id: CustomerId | None = None,
        hold_codes: Sequence[str] = (),
    ) -> None:
        self.customer_id = customer_id
        self.hold_codes = tuple(hold_codes)
        super().__init__(rule, path=path, code=code, problems=problems)

    @classmethod
    def of(cls, customer_id: CustomerId, hold_codes: Sequence[str]) -> ErasureBlocked:
        """The error for erasing ``customer_id`` under the holds ``hold_codes`` (codes, not text)."""
        codes = tuple(sorted(hold_codes))
        return cls(
            f"customer {customer_id.value} is under legal hold ({', '.join(codes)}): "
            "release it before erasing",
            customer_id=customer_id,
            hold_codes=codes,
        )
