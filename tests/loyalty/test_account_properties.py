"""Property tests for `crmcore.loyalty._account`: the ledger, its lots and the tiers.

Random command sequences run against a `LoyaltyAccount` and, side by side,
against a small independent model of the lots (first in, first out; lapsed
lots never spent). After every step the account must agree with the model.
"""

import json
from datetime import UTC, datetime, timedelta
from itertools import pairwise

from hypothesis import given
from hypothesis import strategies as st

from crmcore import ValidationError
from crmcore.commerce import Period
from crmcore.customers import CustomerId
from crmcore.loyalty import LoyaltyAccount, LoyaltyAccountId, LoyaltyProgram, ProgramId, Tier
from crmcore.serialization import from_dict, to_dict

START = datetime(2026, 1, 1, tzinfo=UTC)
EXPIRY = timedelta(days=10)
WINDOW = timedelta(days=15)
GRACE = timedelta(days=5)
LOWER = {"bronze": 0, "silver": 100, "gold": 300}
RANK = {"bronze": 0, "silver": 1, "gold": 2}


def program(grace=None):
    return LoyaltyProgram(
        id=ProgramId("p"),
        name="Points",
        currency="IDR",
        tiers=[
            Tier.by_points("bronze", 0, below=100),
            Tier.by_points("silver", 100, below=300),
            Tier.by_points("gold", 300),
        ],
        expiry=Period.days(10),
        tier_window=Period.days(15),
        downgrade_grace=None if grace is None else Period.days(grace.days),
    )


def enrol(prog):
    return LoyaltyAccount.enroll(
        LoyaltyAccountId("a"), customer_id=CustomerId("c"), program=prog, at=START
    )


# A step: hours since the previous step, an operation, a number of points.
steps = st.lists(
    st.tuples(
        st.integers(min_value=0, max_value=6 * 24),
        st.sampled_from(["earn", "redeem", "gift", "promo", "deduct", "expire", "evaluate"]),
        st.integers(min_value=1, max_value=250),
    ),
    max_size=30,
)


class Lots:
    """The independent model: lots of [earned_at, points, remaining, expires_at]."""

    def __init__(self):
        self.lots = []
        self.earnings = []

    def add(self, at, points, expires_at, *, qualifying):
        self.lots.append([at, points, points, expires_at])
        if qualifying:
            self.earnings.append((at, points))

    @staticmethod
    def lapsed(lot, at):
        return lot[3] is not None and lot[3] <= at

    def available(self, at):
        return sum(lot[2] for lot in self.lots if not self.lapsed(lot, at))

    def balance(self):
        return sum(lot[2] for lot in self.lots)

    def spend(self, points, at):
        for lot in self.lots:
            if self.lapsed(lot, at):
                continue
            taken = min(lot[2], points)
            lot[2] -= taken
            points -= taken
        assert 0 == points

    def expire(self, at):
        for lot in self.lots:
            if self.lapsed(lot, at):
                lot[2] = 0

    def qualifying(self, at):
        return sum(points for earned, points in self.earnings if earned <= at < earned + WINDOW)

    def tier(self, at):
        points = self.qualifying(at)
        return max((code for code, lower in LOWER.items() if points >= lower), key=RANK.get)

    def best_since(self, start, end):
        """The most qualifying points at any instant of [start, end]."""
        moments = [start, end]
        moments += [earned for earned, _ in self.earnings if start <= earned <= end]
        tiny = timedelta(microseconds=1)
        moments += [
            earned + WINDOW - tiny for earned, _ in self.earnings if start < earned + WINDOW <= end
        ]
        return max(self.qualifying(moment) for moment in moments)


def check_ledger(account, model, at):
    """The invariants that hold after every step."""
    events = account.pending_events
    assert list(range(1, account.sequence + 1)) == [event.sequence for event in events]
    assert all(a.occurred_at <= b.occurred_at for a, b in pairwise(events))
    assert at >= account.updated_at
    points = [entry.points for entry in account.ledger]
    assert sum(points) == account.balance()
    assert account.balance() >= 0
    running = 0
    for value in points:
        running += value
        assert running >= 0
    assert model.balance() == account.balance()
    assert model.available(at) == account.available(at)
    assert [lot[2] for lot in model.lots] == [lot.remaining for lot in account.lots()]
    assert account.balance(at) == account.available(at) + account.lapsed(at)


def apply(account, model, prog, step):
    """Run one step ``(op, points, at)`` on the account and the model; return the new account."""
    op, points, at = step
    if op == "earn":
        account = account.earn(points, prog, at=at, reason="activity")
        model.add(at, points, at + EXPIRY, qualifying=True)
        assert RANK[account.tier] >= RANK[model.tier(at)]
    elif op in {"gift", "promo"}:
        expires = None if op == "gift" else at + timedelta(days=3)
        account = account.adjust(points, at=at, reason="goodwill", expires_at=expires)
        model.add(at, points, expires, qualifying=False)
    elif op in {"redeem", "deduct"}:
        before = (account.ledger, account.pending_events, account.updated_at)
        refused = None
        try:
            if op == "redeem":
                changed = account.redeem(points, at=at)
            else:
                changed = account.adjust(-points, at=at, reason="correction")
        except ValidationError as exc:
            refused = exc.code
        assert (refused is not None) == (points > model.available(at))
        if refused is None:
            model.spend(points, at)
            account = changed
        else:
            assert refused in {"insufficient_points", "expired_points"}
            assert before == (account.ledger, account.pending_events, account.updated_at)
    elif op == "expire":
        account = account.expire_due(at=at)
        model.expire(at)
        assert 0 == account.lapsed(at)
    else:
        account = account.evaluate_tier(prog, at=at)
    return account


@given(steps)
def test_balance_is_the_ledger_sum_and_no_point_is_spent_twice_or_after_expiring(script):
    """At every step the balance is the ledger's sum, never negative, and matches the lot model."""
    prog = program()
    account, model, at = enrol(prog), Lots(), START
    for hours, op, points in script:
        at += timedelta(hours=hours)
        account = apply(account, model, prog, (op, points, at))
        check_ledger(account, model, at)
    back = from_dict(LoyaltyAccount, json.loads(json.dumps(to_dict(account))))
    assert account == back
    assert account.pending_events == back.pending_events


@given(steps)
def test_without_grace_an_evaluated_tier_matches_the_activity_of_its_window(script):
    """The tier is never below the window's activity, and equals it right after an evaluation."""
    prog = program()
    account, model, at = enrol(prog), Lots(), START
    for hours, op, points in script:
        at += timedelta(hours=hours)
        account = apply(account, model, prog, (op, points, at))
        assert RANK[account.tier] >= RANK[model.tier(at)]
        if op == "evaluate":
            assert model.tier(at) == account.tier
            assert model.qualifying(at) == account.qualifying_points(prog, at=at)


@given(steps)
def test_with_grace_a_tier_above_the_activity_was_earned_within_the_grace(script):
    """An evaluation keeps a tier above the activity only within the grace, and drops it after."""
    prog = program(GRACE)
    account, model, at = enrol(prog), Lots(), START
    for hours, op, points in script:
        at += timedelta(hours=hours)
        before = account
        account = apply(account, model, prog, (op, points, at))
        if op != "evaluate":
            continue
        held, earned = RANK[account.tier], RANK[model.tier(at)]
        assert held >= earned
        if held > earned:
            recent = model.best_since(at - GRACE, at) >= LOWER[account.tier]
            confirmed = account.tier_confirmed_at > at - GRACE
            assert recent or confirmed
            assert account.tier_kept_until(prog, at=at) > at
        if held < RANK[before.tier]:
            assert model.best_since(at - GRACE, at) < LOWER[before.tier]
            assert before.tier_confirmed_at <= at - GRACE
