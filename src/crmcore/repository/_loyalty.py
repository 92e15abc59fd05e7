"""The loyalty account repository: the membership natural key and the registration of the aggregate."""

from __future__ import annotations

from typing import Final

from crmcore._kernel._checks import check_name
from crmcore.customers import CustomerId
from crmcore.loyalty import LoyaltyAccount, LoyaltyAccountId, ProgramId
from crmcore.repository._errors import not_found_by_key
from crmcore.repository._lookups import by_customer, id_argument
from crmcore.repository._ports import LoyaltyAccountRepository
from crmcore.repository._store import AggregateSpec, StoreRepository


def _part(value: str) -> str:
    # Ids may hold "/" but never "%": escaping keeps the pair unambiguous.
    return value.replace("/", "%2F")


def membership_key(program_id: ProgramId, customer_id: CustomerId) -> str:
    """The ``membership`` natural key value of a customer in a program.

    It is ``"{program_id}/{customer_id}"``, with any ``/`` inside an id written
    ``%2F`` so that two different pairs never share a value.

    >>> membership_key(ProgramId("points"), CustomerId("c-1"))
    'points/c-1'
    """
    return f"{_part(program_id.value)}/{_part(customer_id.value)}"


def account_memberships(account: LoyaltyAccount) -> tuple[str, ...]:
    """The ``membership`` natural key of an account: one per customer and program."""
    return (membership_key(account.program_id, account.customer_id),)


def _account_program(account: LoyaltyAccount) -> tuple[str, ...]:
    return (account.program_id.value,)


def _account_tier(account: LoyaltyAccount) -> tuple[str, ...]:
    return (account.tier,)


class StoreLoyaltyAccountRepository(StoreRepository[LoyaltyAccount], LoyaltyAccountRepository):
    """The loyalty account repository of :class:`~crmcore.repository.StoreUnitOfWork`.

    .. versionadded:: 0.1
    """

    def get_by_membership(self, customer_id: CustomerId, program_id: ProgramId) -> LoyaltyAccount:
        """The account of one customer in one program (see :class:`LoyaltyAccountRepository`)."""
        self._unit.view()
        id_argument(customer_id, CustomerId, "$.customer_id")
        id_argument(program_id, ProgramId, "$.program_id")
        found = self.find_by_key("membership", membership_key(program_id, customer_id))
        if found is None:
            raise not_found_by_key(self._spec.kind, "membership")
        return found

    def for_customer(self, customer_id: CustomerId) -> list[LoyaltyAccount]:
        """The accounts of one customer (see :class:`LoyaltyAccountRepository`)."""
        self._unit.view()
        return self.find_by_index("customer", id_argument(customer_id, CustomerId, "$.customer_id"))

    def for_program(self, program_id: ProgramId) -> list[LoyaltyAccount]:
        """The members of one program (see :class:`LoyaltyAccountRepository`)."""
        self._unit.view()
        return self.find_by_index("program", id_argument(program_id, ProgramId, "$.program_id"))

    def in_tier(self, tier: str) -> list[LoyaltyAccount]:
        """The accounts in one tier (see :class:`LoyaltyAccountRepository`)."""
        self._unit.view()
        return self.find_by_index("tier", check_name(tier, "$.tier"))


#: The registration of the :class:`~crmcore.loyalty.LoyaltyAccount` aggregate.
LOYALTY_ACCOUNTS: Final[AggregateSpec[LoyaltyAccount]] = AggregateSpec(
    name="loyalty_accounts",
    kind="loyalty account",
    aggregate_type=LoyaltyAccount,
    id_type=LoyaltyAccountId,
    natural_keys={"membership": account_memberships},
    indexes={"customer": by_customer, "program": _account_program, "tier": _account_tier},
    repository_type=StoreLoyaltyAccountRepository,
    references={"customer_id": "customers"},
)
