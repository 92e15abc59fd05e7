"""Tests for `crmcore.loyalty._ledger`."""

from datetime import datetime, timedelta, timezone

import pytest

from crmcore import Money, ValidationError
from crmcore.commerce import Period
from crmcore.customers import CustomerId
from crmcore.loyalty import (
    EarnRate,
    EntryKind,
    LedgerEntry,
    LoyaltyAccount,
    LoyaltyAccountId,
    LoyaltyProgram,
    ProgramId,
    Tier,
)

WIB = timezone(timedelta(hours=7))
T0 = datetime(2026, 1, 5, 9, 0, tzinfo=WIB)
PROGRAM = LoyaltyProgram(
    id=ProgramId("points"),
    name="Kopi Points",
    currency="IDR",
    earn_rate=EarnRate(1, Money(10_000, "IDR")),
    tiers=[Tier.by_points("member", 0)],
    expiry=Period.days(30),
)


def test_a_lot_lapses_when_its_points_expire():
    """A lot earned now lapses 30 days later."""
    account = LoyaltyAccount.enroll(
        LoyaltyAccountId("la-1"), customer_id=CustomerId("c-1"), program=PROGRAM, at=T0
    ).earn(10, PROGRAM, at=T0, reason="welcome")
    (lot,) = account.lots(at=T0)
    assert not lot.lapsed(T0 + timedelta(days=29))
    assert lot.lapsed(T0 + timedelta(days=30))


@pytest.mark.parametrize("at", [None, "2026-01-05", datetime(2026, 1, 5)])  # noqa: DTZ001 - naive on purpose.
def test_lapsed_checks_its_time(at):
    """D40: a naive or missing time is refused (it raised a bare TypeError)."""
    account = LoyaltyAccount.enroll(
        LoyaltyAccountId("la-1"), customer_id=CustomerId("c-1"), program=PROGRAM, at=T0
    ).earn(10, PROGRAM, at=T0, reason="welcome")
    (lot,) = account.lots(at=T0)
    with pytest.raises(ValidationError) as info:
        lot.lapsed(at)
    assert "$.at" == info.value.path


@pytest.mark.parametrize("lot", [-1, 100_000, 2**63])
def test_an_expiry_entry_names_a_lot_a_ledger_can_hold(lot):
    """A lot index is below the most entries a ledger holds."""
    with pytest.raises(ValidationError) as info:
        LedgerEntry(kind=EntryKind.EXPIRE, at=T0, points=-1, lot=lot)
    assert "$.lot" == info.value.path
