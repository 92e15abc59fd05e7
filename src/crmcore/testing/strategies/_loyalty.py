"""Strategies for loyalty: programs and accounts."""

from __future__ import annotations

import functools
from collections.abc import Callable, Iterable
from datetime import datetime, timedelta
from decimal import Decimal
from typing import Any, Final

import attrs
from hypothesis import strategies as st

from crmcore._kernel._checks import (
    instance_of,
)
from crmcore.commerce import (
    Order,
    OrderId,
    OrderLine,
    PaymentId,
    Period,
    ProductId,
)
from crmcore.customers import (
    CustomerId,
)
from crmcore.loyalty import (
    EarnRate,
    LoyaltyAccount,
    LoyaltyAccountId,
    LoyaltyProgram,
    PointsRounding,
    ProgramId,
    Reward,
    RewardId,
    Tier,
)
from crmcore.testing.strategies._base import (
    _as_drawn,
    _categories,
    _command_times,
    _currency_choices,
    _customer_choices,
    _History,
    _ids_of,
    _int_arg,
    _of_units,
    _reasons,
    _short_texts,
    _snake_names,
    _window,
    aware_datetimes,
)

# -- loyalty programs and accounts ----------------------------------------------------------


_TIER_WORDS: Final = ("bronze", "silver", "gold", "platinum", "diamond", "member", "vip")
_TIER_MULTIPLIERS: Final = (Decimal(1), Decimal("1.25"), Decimal("1.5"), Decimal(2))
_REWARD_NAMES: Final = ("Free coffee", "Voucher Rp 50.000", "Movie ticket", "Free shipping")
_WINDOWS: Final = st.sampled_from(
    (Period.months(12), Period.months(6), Period.days(90), Period.days(365))
)
_EXPIRIES: Final = st.none() | st.sampled_from(
    (Period.months(12), Period.months(24), Period.days(30), Period.days(180))
)
_GRACES: Final = st.none() | st.sampled_from((Period.days(30), Period.months(1), Period.days(7)))


def loyalty_programs(
    *, currencies: Iterable[str] | None = None, max_tiers: int = 4
) -> st.SearchStrategy[LoyaltyProgram]:
    """Valid :class:`~crmcore.loyalty.LoyaltyProgram` values: tiers, earn rules, a rewards catalogue.

    Tiers qualify all by points or all by spend and cover every amount from
    zero without a gap or an overlap; the program earns per amount spent,
    per order, or both (or neither); points may expire; a downgrade grace and
    rewards (some for higher tiers, some out of stock) are optional. Programs
    have no bonus occasions.

    Args:
        currencies: ISO 4217 codes of the programs; every active code by default.
        max_tiers: the most tiers of one program (1 to 10).

    Raises:
        ValidationError: an unknown currency, an empty ``currencies`` or a
            tier bound out of range.
    """
    codes = _currency_choices(currencies)
    most = _int_arg(max_tiers, "$.max_tiers", minimum=1, maximum=10)
    return _loyalty_programs(codes, most)


@functools.lru_cache(maxsize=64)
def _loyalty_programs(codes: tuple[str, ...], max_tiers: int) -> st.SearchStrategy[LoyaltyProgram]:
    return _loyalty_program(codes, max_tiers)


@st.composite
def _loyalty_program(draw: st.DrawFn, codes: tuple[str, ...], max_tiers: int) -> LoyaltyProgram:
    code = draw(st.sampled_from(codes))
    count = draw(st.integers(min_value=1, max_value=max_tiers))
    names = draw(
        st.lists(
            st.sampled_from(_TIER_WORDS) | _snake_names(),
            min_size=count,
            max_size=count,
            unique=True,
        )
    )
    steps = draw(st.lists(st.integers(1, 10**6), min_size=count - 1, max_size=count - 1))
    lowers = [0]
    for step in steps:
        lowers.append(lowers[-1] + step)
    by_spend = draw(st.booleans())
    tiers = []
    for index, name in enumerate(names):
        upper = lowers[index + 1] if index + 1 < count else None
        multiplier = draw(st.sampled_from(_TIER_MULTIPLIERS))
        if by_spend:
            tiers.append(
                Tier.by_spend(
                    name,
                    _of_units(lowers[index], code),
                    below=None if upper is None else _of_units(upper, code),
                    multiplier=multiplier,
                )
            )
        else:
            tiers.append(Tier.by_points(name, lowers[index], below=upper, multiplier=multiplier))
    rewards = [
        Reward(
            id=RewardId(f"rw-{number}"),
            name=draw(st.sampled_from(_REWARD_NAMES) | _short_texts()),
            points_cost=draw(st.integers(min_value=1, max_value=1_000)),
            min_tier=draw(st.none() | st.sampled_from(names)),
            stock=draw(st.none() | st.integers(min_value=0, max_value=100)),
        )
        for number in range(1, draw(st.integers(min_value=0, max_value=3)) + 1)
    ]
    earn_rate = None
    if draw(st.booleans()):
        per = _of_units(draw(st.integers(min_value=100, max_value=10**6)), code)
        earn_rate = EarnRate(draw(st.integers(min_value=1, max_value=10)), per)
    return LoyaltyProgram(
        id=draw(_ids_of(ProgramId)),
        name=draw(_short_texts()),
        currency=code,
        tiers=tiers,
        earn_rate=earn_rate,
        rounding=draw(st.sampled_from(PointsRounding)),
        points_per_order=draw(st.integers(min_value=0, max_value=50)),
        expiry=draw(_EXPIRIES),
        tier_window=draw(_WINDOWS),
        downgrade_grace=draw(_GRACES),
        rewards=rewards,
    )


def loyalty_accounts(
    *,
    program: LoyaltyProgram | None = None,
    customer_ids: Iterable[CustomerId] | None = None,
    max_steps: int = 6,
    min_created_at: datetime | None = None,
    max_created_at: datetime | None = None,
    pending_events: bool = True,
) -> st.SearchStrategy[LoyaltyAccount]:
    """Valid :class:`~crmcore.loyalty.LoyaltyAccount` aggregates with a ledger built by their commands.

    Each account is enrolled with :meth:`LoyaltyAccount.enroll
    <crmcore.loyalty.LoyaltyAccount.enroll>` and then taken through up to
    ``max_steps`` commands at non-decreasing times (the time rule refuses a
    command dated before the last change): points earned for paid orders of
    the member and for other activity, goodwill adjustments, redemptions
    (of points, or of a reward the member may have) within the unexpired
    balance, expiry of lapsed points and tier evaluations. So the ledger,
    the balance and the tier history are consistent and ``pending_events``
    holds exactly the events those commands recorded.

    Args:
        program: the program of every account (its rules drive the commands);
            one drawn by :func:`loyalty_programs` for each account by default.
        customer_ids: the members; any id by default.
        max_steps: the most commands after enrolling (0 to 100).
        min_created_at: the earliest enrolment time (aware); 2000 by default.
        max_created_at: the latest enrolment time (aware); 2099 by default.
        pending_events: ``False`` to draw accounts as a repository stores them.

    Raises:
        InvalidType: an argument of the wrong type.
        ValidationError: a bound out of range, crossed bounds, an empty choice.

    >>> loyalty_accounts(program="gold")
    Traceback (most recent call last):
    ...
    crmcore.errors.InvalidType: $.program: must be a LoyaltyProgram, not str
    """
    programs: st.SearchStrategy[LoyaltyProgram]
    if program is None:
        programs = loyalty_programs()
    else:
        programs = st.just(instance_of(LoyaltyProgram, "a LoyaltyProgram")(program, "$.program"))
    plan = _AccountPlan(
        programs=programs,
        customers=_customer_choices(customer_ids, "$.customer_ids"),
        max_steps=_int_arg(max_steps, "$.max_steps", maximum=100),
        start=_window(min_created_at, max_created_at),
    )
    return _as_drawn(_loyalty_accounts(plan), pending_events)


@attrs.frozen
class _AccountPlan(_History):
    programs: st.SearchStrategy[LoyaltyProgram]


#: One command of a generated account history: (draw, account, program, when) -> account.
_AccountStep = Callable[[st.DrawFn, LoyaltyAccount, LoyaltyProgram, datetime], LoyaltyAccount]


@st.composite
def _loyalty_accounts(draw: st.DrawFn, plan: _AccountPlan) -> LoyaltyAccount:
    program = draw(plan.programs)
    at = draw(plan.start)
    account = LoyaltyAccount.enroll(
        draw(_ids_of(LoyaltyAccountId)),
        customer_id=draw(plan.customers),
        program=program,
        at=at,
    )
    for when in _command_times(draw, at, plan.max_steps):
        options = [_earning_for_order, _earning, _gifting, _expiring, _evaluating]
        if account.available(when) > 0:
            options.append(_redeeming)
        account = draw(st.sampled_from(options))(draw, account, program, when)
    return account


def _earning_for_order(
    draw: st.DrawFn, account: LoyaltyAccount, program: LoyaltyProgram, when: datetime
) -> LoyaltyAccount:
    code = program.currency
    price = _of_units(draw(st.integers(min_value=1, max_value=10**6)), code)
    order = Order.place(
        OrderId(f"o-{len(account.ledger) + 1:06d}"),
        customer_id=account.customer_id,
        lines=[OrderLine(ProductId("sku-1"), 1, price, category=draw(_categories()))],
        at=when,
    )
    paid = order.record_payment(PaymentId("p-1"), order.balance_due, at=when)
    return account.earn_for_order(paid, program, at=when)


def _earning(
    draw: st.DrawFn, account: LoyaltyAccount, program: LoyaltyProgram, when: datetime
) -> LoyaltyAccount:
    points = draw(st.integers(min_value=1, max_value=2_000))
    return account.earn(points, program, at=when, reason=draw(_reasons()))


def _gifting(
    draw: st.DrawFn, account: LoyaltyAccount, _: LoyaltyProgram, when: datetime
) -> LoyaltyAccount:
    points = draw(st.integers(min_value=1, max_value=500))
    return account.adjust(points, at=when, reason=draw(_reasons()))


def _expiring(
    _: st.DrawFn, account: LoyaltyAccount, __: LoyaltyProgram, when: datetime
) -> LoyaltyAccount:
    return account.expire_due(at=when)


def _evaluating(
    _: st.DrawFn, account: LoyaltyAccount, program: LoyaltyProgram, when: datetime
) -> LoyaltyAccount:
    return account.evaluate_tier(program, at=when)


def _redeeming(
    draw: st.DrawFn, account: LoyaltyAccount, program: LoyaltyProgram, when: datetime
) -> LoyaltyAccount:
    available = account.available(when)
    rank = program.rank(account.tier)
    rewards = [
        reward.id
        for reward in program.rewards
        if reward.points_cost <= available
        and reward.stock != 0
        and (reward.min_tier is None or program.rank(reward.min_tier) <= rank)
    ]
    by_reward: bool = draw(st.booleans())
    if rewards and by_reward:
        return account.redeem_reward(draw(st.sampled_from(rewards)), program, at=when)
    points = draw(st.integers(min_value=1, max_value=available))
    return account.redeem(points, at=when, reason=draw(st.none() | _reasons()))


def _spent_points() -> st.SearchStrategy[int]:
    return st.integers(min_value=1, max_value=10**6)


def _adjusted_points() -> st.SearchStrategy[int]:
    return st.integers(min_value=1, max_value=10**6) | st.integers(min_value=-(10**6), max_value=-1)


def _lot_times() -> st.SearchStrategy[dict[str, Any]]:
    """When an expired lot was earned and when it expired (never before)."""
    return st.tuples(aware_datetimes(), st.integers(min_value=0, max_value=10**8)).map(
        lambda drawn: {"earned_at": drawn[0], "expired_at": drawn[0] + timedelta(seconds=drawn[1])}
    )


#: Event fields these strategies constrain beyond their declared type, by event class name:
#: points spent, lost or paid are 1 or more; an adjustment is signed but never
#: zero; a lot expires after it was earned.
EVENT_FIELDS: Final[dict[str, dict[str, Callable[[], st.SearchStrategy[Any]]]]] = {
    "LoyaltyPointsRedeemed": {"points": _spent_points},
    "LoyaltyMembershipClosed": {
        "reason": lambda: st.none() | st.from_regex(r"[a-z][a-z0-9_]{0,20}", fullmatch=True)
    },
    "LoyaltyPointsExpired": {"points": _spent_points, "*": _lot_times},
    "LoyaltyPointsAdjusted": {"points": _adjusted_points},
    "LoyaltyRewardRedeemed": {"points_cost": _spent_points},
}
