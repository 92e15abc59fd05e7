"""Tests for closing a loyalty membership: `LoyaltyAccount.close`, `is_active_at`, the refusals."""

import json
from datetime import datetime, timedelta, timezone

import pytest

from crmcore import InvalidType, Money, ValidationError
from crmcore.commerce import Order, OrderId, OrderLine, PaymentId, Period, ProductId
from crmcore.customers import CustomerId
from crmcore.events import event_types
from crmcore.loyalty import (
    EarnRate,
    LoyaltyAccount,
    LoyaltyAccountId,
    LoyaltyMembershipClosed,
    LoyaltyProgram,
    ProgramId,
    Reward,
    RewardId,
    Tier,
)
from crmcore.serialization import from_dict, to_dict

WIB = timezone(timedelta(hours=7))
T0 = datetime(2026, 1, 5, 9, 0, tzinfo=WIB)
DAY = timedelta(days=1)
CID = CustomerId("c-1")
PROGRAM = LoyaltyProgram(
    id=ProgramId("points"),
    name="Kopi Points",
    currency="IDR",
    earn_rate=EarnRate(1, Money(10_000, "IDR")),
    tiers=[Tier.by_points("bronze", 0, below=100), Tier.by_points("gold", 100)],
    expiry=Period.days(30),
    rewards=[Reward(id=RewardId("coffee"), name="Free coffee", points_cost=10)],
)


def enrol(at=T0):
    return LoyaltyAccount.enroll(LoyaltyAccountId("la-1"), customer_id=CID, program=PROGRAM, at=at)


def with_points():
    return enrol().earn(50, PROGRAM, at=T0 + DAY, reason="welcome").without_pending_events()


def paid_order(at):
    order = Order.place(
        OrderId("o-1"),
        customer_id=CID,
        lines=[OrderLine(ProductId("sku"), 1, Money(500_000, "IDR"), category="coffee")],
        at=at,
    )
    return order.record_payment(PaymentId("p-1"), order.total, at=at)


def roundtrip(obj):
    return from_dict(type(obj), json.loads(json.dumps(to_dict(obj))))


def test_closing_records_the_event_and_keeps_the_ledger():
    """Closing sets closed_at, records LoyaltyMembershipClosed with ids and code, keeps the points."""
    account = with_points()
    closed = account.close(at=T0 + 5 * DAY, reason="member_request", actor="staff-1")
    assert T0 + 5 * DAY == closed.closed_at == closed.updated_at
    assert None is account.closed_at
    assert (account.ledger, account.tier, 50) == (closed.ledger, closed.tier, closed.balance())
    assert closed.version == account.version
    assert (
        LoyaltyMembershipClosed(
            sequence=account.sequence + 1,
            occurred_at=T0 + 5 * DAY,
            actor="staff-1",
            account_id=LoyaltyAccountId("la-1"),
            customer_id=CID,
            program_id=ProgramId("points"),
            reason="member_request",
        ),
    ) == closed.pending_events
    assert None is enrol().close(at=T0).pending_events[-1].reason
    assert LoyaltyMembershipClosed is event_types()["LoyaltyMembershipClosed"]


@pytest.mark.parametrize("reason", ["Moved abroad, see ticket", "x" * 65, ""])
def test_the_reason_is_a_code_never_free_text(reason):
    """Free text is refused as a reason, so it can never reach the event."""
    with pytest.raises(ValidationError) as caught:
        enrol().close(at=T0, reason=reason)
    assert ("$.reason", "name") == (caught.value.path, caught.value.code)
    with pytest.raises(InvalidType):
        enrol().close(at=T0, reason=5)


def test_the_event_checks_its_reason_code():
    """A stored event with free text as its reason does not load."""
    with pytest.raises(ValidationError) as caught:
        LoyaltyMembershipClosed(
            sequence=2,
            occurred_at=T0,
            account_id=LoyaltyAccountId("la-1"),
            customer_id=CID,
            program_id=ProgramId("points"),
            reason="Ana moved away",
        )
    assert "$.reason" == caught.value.path


def test_is_active_at_before_during_and_after():
    """In force from the enrolment up to, not including, the close."""
    account = enrol()
    assert not account.is_active_at(T0 - timedelta(microseconds=1))
    assert account.is_active_at(T0)
    assert account.is_active_at(T0 + 1000 * DAY)
    closed = account.close(at=T0 + 5 * DAY)
    assert closed.is_active_at(T0)
    assert closed.is_active_at(T0 + 5 * DAY - timedelta(microseconds=1))
    assert not closed.is_active_at(T0 + 5 * DAY)
    assert not closed.is_active_at(T0 + 6 * DAY)
    assert not closed.is_active_at(T0 - DAY)


def test_is_active_at_needs_an_aware_datetime():
    with pytest.raises(ValidationError) as caught:
        enrol().is_active_at(datetime(2026, 1, 6))  # noqa: DTZ001 - naive on purpose
    assert "$.when" == caught.value.path
    with pytest.raises(InvalidType):
        enrol().is_active_at("2026-01-06")


def closed_account():
    return with_points().close(at=T0 + 5 * DAY).without_pending_events()


LATER = T0 + 6 * DAY
COMMANDS = {
    "earn_for_order": lambda a: a.earn_for_order(paid_order(LATER), PROGRAM, at=LATER),
    "earn": lambda a: a.earn(5, PROGRAM, at=LATER, reason="bonus"),
    "redeem": lambda a: a.redeem(5, at=LATER),
    "redeem_reward": lambda a: a.redeem_reward(RewardId("coffee"), PROGRAM, at=LATER),
    "adjust": lambda a: a.adjust(5, at=LATER, reason="fix"),
    "adjust_down": lambda a: a.adjust(-5, at=LATER, reason="fix"),
    "expire_due": lambda a: a.expire_due(at=T0 + 100 * DAY),
    "evaluate_tier": lambda a: a.evaluate_tier(PROGRAM, at=LATER),
    "change_tier": lambda a: a.change_tier("gold", PROGRAM, at=LATER, reason="vip"),
    "close": lambda a: a.close(at=LATER),
}


@pytest.mark.parametrize("name", sorted(COMMANDS))
def test_a_closed_account_refuses_every_command(name):
    """Earning, spending, adjusting, tiers and closing again are refused with code `closed`."""
    account = closed_account()
    COMMANDS[name](with_points())  # the same command works on the open account
    with pytest.raises(ValidationError) as caught:
        COMMANDS[name](account)
    assert ("$.closed_at", "closed") == (caught.value.path, caught.value.code)
    assert () == account.pending_events


def test_a_redelivered_order_event_on_a_closed_account_changes_nothing():
    """Earning is idempotent per order: an order earned for before the close is not refused."""
    order = paid_order(T0 + DAY)
    account = enrol().earn_for_order(order, PROGRAM, at=T0 + DAY).close(at=T0 + 2 * DAY)
    assert account is account.earn_for_order(order, PROGRAM, at=T0 + 3 * DAY)


def test_a_closed_account_can_still_be_repointed():
    """A merge of duplicates re-points a closed account like any other."""
    moved = closed_account().repoint_customer(CID, CustomerId("c-2"), at=T0 + 6 * DAY)
    assert (CustomerId("c-2"), T0 + 5 * DAY) == (moved.customer_id, moved.closed_at)


def test_closing_before_the_last_change_is_refused():
    """The time rule: `at` before the last change is `time_backwards`; a naive `at` is refused."""
    account = with_points()
    with pytest.raises(ValidationError) as caught:
        account.close(at=T0)
    assert ("$.at", "time_backwards") == (caught.value.path, caught.value.code)
    with pytest.raises(ValidationError) as caught:
        account.close(at=datetime(2026, 2, 1))  # noqa: DTZ001 - naive on purpose
    assert "$.at" == caught.value.path


def test_round_trip_and_old_documents():
    """closed_at survives to_dict/from_dict; a document without it loads as open."""
    closed = with_points().close(at=T0 + 5 * DAY, reason="fraud")
    again = roundtrip(closed)
    assert again == closed
    assert T0 + 5 * DAY == again.closed_at
    assert isinstance(again.pending_events[-1], LoyaltyMembershipClosed)
    document = to_dict(with_points())
    document.pop("closed_at", None)
    old = from_dict(LoyaltyAccount, json.loads(json.dumps(document)))
    assert None is old.closed_at
    assert old.is_active_at(T0 + 1000 * DAY)


def test_a_document_closed_before_its_last_entry_does_not_load():
    """Nothing in the ledger or the tier history lies after the close."""
    document = to_dict(with_points())
    document["closed_at"] = to_dict(enrol())["created_at"]
    with pytest.raises(ValidationError) as caught:
        from_dict(LoyaltyAccount, document)
    assert "time_backwards" == caught.value.code
    assert "closed_at" in caught.value.path


def test_a_closed_at_of_the_wrong_type_does_not_load():
    document = to_dict(with_points())
    document["closed_at"] = 5
    with pytest.raises(ValidationError):
        from_dict(LoyaltyAccount, document)
