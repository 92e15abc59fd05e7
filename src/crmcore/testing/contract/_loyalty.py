"""How the contract builds and changes the aggregates of loyalty."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import TypeVar

from crmcore.customers import (
    Channel,
)
from crmcore.loyalty import LoyaltyAccount, LoyaltyAccountId, LoyaltyProgram, ProgramId, Tier
from crmcore.testing.contract._support import _customer_id

E = TypeVar("E", bound=BaseException)

#: When the contract's commands happen.
T0 = datetime(2026, 1, 5, 9, 0, tzinfo=UTC)
#: Small pools of natural key values, so that collisions happen often.
EMAILS = ("ana@example.com", "budi@example.com", "citra@example.com", "dewi@example.com")
PHONES = ("+6281200000001", "+6281200000002", "+6281200000003")
_PHONE_CHANNELS = frozenset({Channel.PHONE, Channel.SMS, Channel.WHATSAPP})


def _make_loyalty_account(number: int, customer: int) -> LoyaltyAccount:
    return LoyaltyAccount.enroll(
        LoyaltyAccountId(f"la-{number:04d}"),
        customer_id=_customer_id(customer),
        program=_PROGRAMS[number % 7],
        at=T0,
    )


def _change_loyalty_account(account: LoyaltyAccount) -> LoyaltyAccount:
    """Earn 150 points: silver after one change, gold after two."""
    program = _PROGRAMS[int(account.program_id.value.removeprefix("prog-"))]
    return account.earn(150, program, at=T0, reason="activity")


# Memberships: program ``number % 7`` never meets the same customer twice among
# the accounts one test of the contract makes, so the natural key holds.
_PROGRAMS = tuple(
    LoyaltyProgram(
        id=ProgramId(f"prog-{n}"),
        name="Points",
        currency="USD",
        tiers=[
            Tier.by_points("bronze", 0, below=100),
            Tier.by_points("silver", 100, below=300),
            Tier.by_points("gold", 300),
        ],
    )
    for n in range(7)
)
