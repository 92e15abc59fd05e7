"""Loyalty programs: earn rules, points expiry, membership tiers and a rewards catalogue.

A :class:`LoyaltyProgram` is a value object: the rules a
:class:`~crmcore.loyalty.LoyaltyAccount` follows. It says

* how points are earned: per amount spent (:class:`EarnRate`, rounded by a
  :class:`PointsRounding`), a flat number per order, and bonus occasions
  (:class:`BonusRule`: the member's birthday month, a campaign window) that
  multiply the spend points or add extra ones; each tier multiplies the spend
  points too;
* when points expire: ``expiry`` after they were earned (a :class:`Period`),
  or never;
* the membership grades (:class:`Tier`): ranges of qualifying spend or
  qualifying points within a rolling ``tier_window``, which must start at
  zero, follow each other without overlaps or gaps, and leave the highest
  grade open-ended. A member moves up as soon as they qualify and down only
  at an evaluation, once ``downgrade_grace`` has passed since they last
  qualified;
* the rewards catalogue (:class:`Reward`): points cost, optional minimum
  tier, optional stock.

>>> from crmcore import Money
>>> from crmcore.commerce import Period
>>> program = LoyaltyProgram(
...     id=ProgramId("kopi-points"),
...     name="Kopi Points",
...     currency="IDR",
...     earn_rate=EarnRate(1, Money(10_000, "IDR")),
...     tiers=[
...         Tier.by_points("bronze", 0, below=500),
...         Tier.by_points("silver", 500, below=2_000, multiplier="1.25"),
...         Tier.by_points("gold", 2_000, multiplier="1.5"),
...     ],
...     expiry=Period.months(12),
... )
>>> [tier.code for tier in program.tiers], program.tier_basis.value
(['bronze', 'silver', 'gold'], 'points')
>>> program.tier_for(750).name
'Silver'
>>> LoyaltyProgram(
...     id=ProgramId("broken"),
...     name="Broken",
...     currency="IDR",
...     tiers=[Tier.by_points("bronze", 0, below=500), Tier.by_points("gold", 400)],
... )
Traceback (most recent call last):
...
crmcore.errors.ValidationError: $.tiers[1]: tier 'gold' overlaps tier 'bronze' (it must start where 'bronze' ends)
"""

from __future__ import annotations

from datetime import date, datetime
from decimal import ROUND_CEILING, ROUND_FLOOR, ROUND_HALF_UP, Decimal
from enum import StrEnum
from itertools import pairwise
from operator import attrgetter
from typing import Any, Final

import attrs

from crmcore._kernel._aggregate import typed_id
from crmcore._kernel._checks import (
    check_name,
    check_unique,
    clean_text,
    enum_converter,
    instance_of,
    items_of,
    optional_aware,
    positive_int,
    require_aware,
    require_date,
    to_decimal,
    type_name,
)
from crmcore._kernel._fields import Checked
from crmcore._kernel._ids import ProgramId, RewardId
from crmcore._kernel._money import (
    Money,
    currency,
    money_at_least_zero,
    positive_money,
    same_currency,
)
from crmcore._kernel._time import Period, to_period
from crmcore.errors import InvalidType, ValidationError

#: The most points one ledger entry, price or threshold may carry.
MAX_POINTS: Final = 10**12
#: Longest program, tier or reward name, in characters.
MAX_NAME: Final = 100
#: Most tiers, bonus rules or rewards one program may hold.
MAX_TIERS: Final = 50
MAX_BONUSES: Final = 100
MAX_REWARDS: Final = 10_000
#: The largest earn multiplier of a tier or a bonus.
MAX_MULTIPLIER: Final = Decimal(100)


class PointsRounding(StrEnum):
    """How fractional points from spend become whole points."""

    DOWN = "down"
    HALF_UP = "half_up"
    UP = "up"

    @property
    def decimal_mode(self) -> str:
        """The :mod:`decimal` rounding mode (points are never negative, so down is floor)."""
        return {"down": ROUND_FLOOR, "half_up": ROUND_HALF_UP, "up": ROUND_CEILING}[self.value]


class BonusKind(StrEnum):
    """The occasion a bonus rule rewards."""

    BIRTHDAY_MONTH = "birthday_month"
    CAMPAIGN = "campaign"


class TierBasis(StrEnum):
    """What qualifies a member for a tier within the rolling window."""

    SPEND = "spend"
    POINTS = "points"


# -- checks ------------------------------------------------------------------------------


def points_value(value: object, path: str, *, minimum: int = 0) -> int:
    """Return ``value`` if it is an int from ``minimum`` to :data:`MAX_POINTS`."""
    if isinstance(value, bool) or not isinstance(value, int):
        raise InvalidType(f"must be an int, not {type_name(value)}", path=path)
    if not minimum <= value <= MAX_POINTS:
        raise ValidationError(
            f"must be from {minimum} to {MAX_POINTS}", path=path, code="points_range"
        )
    return value


def multiplier_value(value: object, path: str) -> Decimal:
    """A multiplier: a Decimal above zero and at most :data:`MAX_MULTIPLIER`."""
    number = to_decimal(value, path)
    if not 0 < number <= MAX_MULTIPLIER:
        raise ValidationError(
            f"must be above 0 and at most {MAX_MULTIPLIER}", path=path, code="multiplier"
        )
    return number


def _label_from_code(code: str) -> str:
    return code.replace("_", " ").capitalize()


def _program_name(value: object, path: str) -> str:
    return clean_text(value, path, max_length=MAX_NAME, what="a name")


# -- earn rate -----------------------------------------------------------------------------


def _earnrate_points(_: object, __: attrs.Attribute[Any], value: object) -> None:
    positive_int(value, "$.points", maximum=MAX_POINTS)


def _earnrate_per(value: object) -> Money:
    return positive_money(value, "$.per")


@attrs.frozen(slots=True)
class EarnRate:
    """Points earned per amount spent: ``EarnRate(1, Money(10_000, "IDR"))`` is 1 point per Rp 10,000.

    >>> EarnRate(1, Money(10_000, "IDR")).exact_points(Money(275_000, "IDR"))
    Decimal('27.5')
    """

    points: int = attrs.field(validator=_earnrate_points)
    per: Money = attrs.field(converter=_earnrate_per)

    def exact_points(self, amount: Money) -> Decimal:
        """Points for ``amount`` before rounding (amounts of another currency are refused)."""
        spent = same_currency(
            money_at_least_zero(amount, "$.amount"), self.per.currency, "$.amount"
        )
        return spent.amount * self.points / self.per.amount


# -- bonus rules ---------------------------------------------------------------------------


def _bonus_code(value: object) -> str:
    return check_name(value, "$.code")


def _bonus_kind(value: object) -> BonusKind:
    return enum_converter(BonusKind, "$.kind")(value)


def _bonus_multiplier(value: object) -> Decimal:
    return multiplier_value(value, "$.multiplier")


def _bonus_extra(_: object, __: attrs.Attribute[Any], value: object) -> None:
    points_value(value, "$.extra_points")


def _bonus_starts_at(value: object) -> datetime | None:
    return optional_aware("$.starts_at")(value)


def _bonus_ends_at(value: object) -> datetime | None:
    return optional_aware("$.ends_at")(value)


@attrs.frozen(slots=True, kw_only=True)
class BonusRule:
    """A bonus occasion: the member's birthday month, or a campaign window.

    Orders placed on the occasion earn ``multiplier`` times the spend points
    (multipliers of several occasions and of the tier multiply together) plus
    ``extra_points``. A campaign runs from ``starts_at`` (inclusive) to
    ``ends_at`` (exclusive); a birthday-month bonus applies to orders placed
    in the calendar month of the member's birth date (in the order's own
    offset) and has no window.

    >>> from datetime import date, datetime, timezone
    >>> birthday = BonusRule(code="birthday", kind="birthday_month", multiplier=2)
    >>> placed = datetime(2026, 4, 20, tzinfo=timezone.utc)
    >>> birthday.applies(placed, birth_date=date(1990, 4, 2)), birthday.applies(placed)
    (True, False)
    """

    code: str = attrs.field(converter=_bonus_code)
    kind: BonusKind = attrs.field(converter=_bonus_kind)
    multiplier: Decimal = attrs.field(default=Decimal(1), converter=_bonus_multiplier)
    extra_points: int = attrs.field(default=0, validator=_bonus_extra)
    starts_at: datetime | None = attrs.field(default=None, converter=_bonus_starts_at)
    ends_at: datetime | None = attrs.field(default=None, converter=_bonus_ends_at)

    def __attrs_post_init__(self) -> None:
        if self.multiplier < 1:
            raise ValidationError(
                "must be at least 1 (a bonus never lowers points)",
                path="$.multiplier",
                code="multiplier",
            )
        if self.multiplier == 1 and self.extra_points == 0:
            raise ValidationError(
                "a bonus must multiply points (above 1) or add extra points",
                path="$.multiplier",
                code="no_bonus",
            )
        if self.kind is BonusKind.CAMPAIGN:
            if self.starts_at is None or self.ends_at is None:
                path = "$.starts_at" if self.starts_at is None else "$.ends_at"
                raise ValidationError(
                    "a campaign bonus needs a window (starts_at and ends_at)",
                    path=path,
                    code="required",
                )
            if self.ends_at <= self.starts_at:
                raise ValidationError(
                    "must be after starts_at", path="$.ends_at", code="empty_window"
                )
        elif self.starts_at is not None or self.ends_at is not None:
            raise ValidationError(
                "only a campaign bonus has a window", path="$.starts_at", code="window"
            )

    def applies(self, placed_at: datetime, *, birth_date: date | None = None) -> bool:
        """True if an order placed at ``placed_at`` earns this bonus."""
        when = require_aware(placed_at, "$.placed_at")
        if self.kind is BonusKind.CAMPAIGN:
            # Both bounds are set for a campaign (checked on construction).
            return (
                self.starts_at is not None
                and self.ends_at is not None
                and (self.starts_at <= when < self.ends_at)
            )
        if birth_date is None:
            return False
        return require_date(birth_date, "$.birth_date").month == when.month


# -- tiers ---------------------------------------------------------------------------------


def _tier_code(value: object) -> str:
    return check_name(value, "$.code")


def _tier_name(value: object) -> str:
    return _program_name(value, "$.name")


def _default_tier_name(tier: Tier) -> str:
    return _label_from_code(tier.code)


def _tier_min_spend(value: object) -> Money | None:
    return None if value is None else money_at_least_zero(value, "$.min_spend")


def _tier_spend_below(value: object) -> Money | None:
    return None if value is None else money_at_least_zero(value, "$.spend_below")


def _tier_min_points(value: object) -> int | None:
    return None if value is None else points_value(value, "$.min_points")


def _tier_points_below(value: object) -> int | None:
    return None if value is None else points_value(value, "$.points_below")


def _tier_multiplier(value: object) -> Decimal:
    return multiplier_value(value, "$.multiplier")


@attrs.frozen(slots=True, kw_only=True)
class Tier:
    """A membership grade: a range of qualifying spend or points, and an earn multiplier.

    The range runs from the minimum (inclusive) to the ``below`` bound
    (exclusive); the highest tier of a program has no upper bound. Build one
    with :meth:`by_spend` or :meth:`by_points`.

    >>> silver = Tier.by_spend(
    ...     "silver",
    ...     Money(5_000_000, "IDR"),
    ...     below=Money(15_000_000, "IDR"),
    ...     multiplier="1.25",
    ... )
    >>> silver.name, silver.basis.value, silver.contains(Decimal(5_000_000))
    ('Silver', 'spend', True)
    """

    code: str = attrs.field(converter=_tier_code)
    name: str = attrs.field(
        default=attrs.Factory(_default_tier_name, takes_self=True), converter=_tier_name
    )
    min_spend: Money | None = attrs.field(default=None, converter=_tier_min_spend)
    spend_below: Money | None = attrs.field(default=None, converter=_tier_spend_below)
    min_points: int | None = attrs.field(default=None, converter=_tier_min_points)
    points_below: int | None = attrs.field(default=None, converter=_tier_points_below)
    multiplier: Decimal = attrs.field(default=Decimal(1), converter=_tier_multiplier)

    def __attrs_post_init__(self) -> None:
        by_spend = self.min_spend is not None or self.spend_below is not None
        by_points = self.min_points is not None or self.points_below is not None
        if by_spend == by_points:
            raise ValidationError(
                "a tier qualifies by spend (min_spend) or by points (min_points), exactly one",
                path="$.min_spend" if by_spend else "$.min_points",
                code="tier_basis",
            )
        if by_spend:
            if self.min_spend is None:
                raise ValidationError(
                    "is required for a tier qualified by spend", path="$.min_spend", code="required"
                )
            if self.spend_below is not None:
                same_currency(self.spend_below, self.min_spend.currency, "$.spend_below")
                if self.spend_below <= self.min_spend:
                    raise ValidationError(
                        "must be above min_spend", path="$.spend_below", code="empty_range"
                    )
        else:
            if self.min_points is None:
                raise ValidationError(
                    "is required for a tier qualified by points",
                    path="$.min_points",
                    code="required",
                )
            if self.points_below is not None and self.points_below <= self.min_points:
                raise ValidationError(
                    "must be above min_points", path="$.points_below", code="empty_range"
                )

    @classmethod
    def by_spend(
        cls,
        code: str,
        minimum: Money,
        *,
        below: Money | None = None,
        name: str | None = None,
        multiplier: Decimal | int | str = 1,
    ) -> Tier:
        """A tier for members whose qualifying spend is at least ``minimum`` (and under ``below``)."""
        extra: dict[str, Any] = {} if name is None else {"name": name}
        return cls(code=code, min_spend=minimum, spend_below=below, multiplier=multiplier, **extra)

    @classmethod
    def by_points(
        cls,
        code: str,
        minimum: int,
        *,
        below: int | None = None,
        name: str | None = None,
        multiplier: Decimal | int | str = 1,
    ) -> Tier:
        """A tier for members who earned at least ``minimum`` points (and under ``below``)."""
        extra: dict[str, Any] = {} if name is None else {"name": name}
        return cls(
            code=code, min_points=minimum, points_below=below, multiplier=multiplier, **extra
        )

    @property
    def basis(self) -> TierBasis:
        """Whether the tier qualifies by spend or by points."""
        return TierBasis.SPEND if self.min_spend is not None else TierBasis.POINTS

    @property
    def lower(self) -> Decimal:
        """The range's inclusive lower bound (an amount of money, or points)."""
        if self.min_spend is not None:
            return self.min_spend.amount
        return Decimal(self.min_points or 0)

    @property
    def upper(self) -> Decimal | None:
        """The range's exclusive upper bound, or ``None`` for an open-ended tier."""
        if self.spend_below is not None:
            return self.spend_below.amount
        if self.points_below is not None:
            return Decimal(self.points_below)
        return None

    def contains(self, qualifying: Decimal | int) -> bool:
        """True if a qualifying value (an amount or points) falls in the tier's range.

        Raises:
            ValidationError: ``qualifying`` is not a finite Decimal or an int.
        """
        if isinstance(qualifying, bool) or not isinstance(qualifying, (Decimal, int)):
            raise InvalidType(
                f"must be a Decimal or an int, not {type_name(qualifying)}", path="$.qualifying"
            )
        value = to_decimal(qualifying, "$.qualifying")
        upper = self.upper
        return self.lower <= value and (upper is None or value < upper)


# -- rewards ---------------------------------------------------------------------------------


def _reward_name(value: object) -> str:
    return _program_name(value, "$.name")


def _reward_cost(_: object, __: attrs.Attribute[Any], value: object) -> None:
    points_value(value, "$.points_cost", minimum=1)


def _reward_min_tier(value: object) -> str | None:
    return None if value is None else check_name(value, "$.min_tier")


def _reward_stock(value: object) -> int | None:
    return None if value is None else points_value(value, "$.stock")


def _later(when: datetime, period: Period) -> datetime:
    """``when`` plus one ``period``, refused past the calendar's range (year 1 to 9999)."""
    try:
        result: datetime = when + period.to_relativedelta()
    except (OverflowError, ValueError):
        raise ValidationError(
            "lies too close to the end of the calendar (year 9999) for the period",
            path="$.earned_at",
            code="date_range",
        ) from None
    return result


@attrs.frozen(slots=True, kw_only=True)
class Reward:
    """One reward of the catalogue: what it costs in points, who may take it, how many are left.

    ``stock`` is ``None`` for an unlimited reward; ``0`` means out of stock.
    ``min_tier`` names the lowest tier allowed to redeem it.
    """

    id: RewardId = attrs.field(validator=typed_id(RewardId, "$.id"))
    name: str = attrs.field(converter=_reward_name)
    points_cost: int = attrs.field(validator=_reward_cost)
    min_tier: str | None = attrs.field(default=None, converter=_reward_min_tier)
    stock: int | None = attrs.field(default=None, converter=_reward_stock)


# -- quotes ----------------------------------------------------------------------------------


@attrs.frozen(slots=True, kw_only=True)
class EarnQuote(Checked):
    """How many points a purchase earns, and why.

    Attributes:
        spend_points: points for the amount spent, after every multiplier and rounding.
        order_points: the program's flat points per order.
        bonus_points: extra points of the bonus occasions that apply.
        multiplier: the tier multiplier times the bonus multipliers.
        occasions: the codes of the bonus rules that apply.
    """

    spend_points: int
    order_points: int
    bonus_points: int
    multiplier: Decimal
    occasions: tuple[str, ...] = ()

    @property
    def total(self) -> int:
        """Every point the purchase earns."""
        return self.spend_points + self.order_points + self.bonus_points


# -- the program -----------------------------------------------------------------------------


def _program_name_field(value: object) -> str:
    return _program_name(value, "$.name")


def _program_currency(value: object) -> str:
    try:
        return currency(value).code  # type: ignore[arg-type]
    except ValidationError as exc:
        raise exc.under("$.currency") from None


def _program_earn_rate(value: object) -> EarnRate | None:
    return None if value is None else instance_of(EarnRate, "an EarnRate")(value, "$.earn_rate")


def _program_rounding(value: object) -> PointsRounding:
    return enum_converter(PointsRounding, "$.rounding")(value)


def _program_per_order(_: object, __: attrs.Attribute[Any], value: object) -> None:
    points_value(value, "$.points_per_order")


def _program_bonuses(value: object) -> tuple[BonusRule, ...]:
    bonuses = items_of(value, BonusRule, "$.bonuses", "a BonusRule", max_items=MAX_BONUSES)
    check_unique(bonuses, attrgetter("code"), "$.bonuses[{}].code", "must not repeat a bonus code")
    return bonuses


def _program_expiry(value: object) -> Period | None:
    return None if value is None else to_period(value, "$.expiry")


def _program_window(value: object) -> Period:
    return to_period(value, "$.tier_window")


def _program_grace(value: object) -> Period | None:
    return None if value is None else to_period(value, "$.downgrade_grace")


def _program_tiers(value: object) -> tuple[Tier, ...]:
    given = items_of(value, Tier, "$.tiers", "a Tier", max_items=MAX_TIERS)
    if not given:
        raise ValidationError(
            "must hold at least one tier (the grade every member starts in)",
            path="$.tiers",
            code="empty",
        )
    basis = given[0].basis
    codes: set[str] = set()
    for index, tier in enumerate(given):
        if tier.basis is not basis:
            raise ValidationError(
                f"tier '{tier.code}' must qualify by {basis.value} like the first tier",
                path=f"$.tiers[{index}]",
                code="tier_basis",
            )
        if tier.code in codes:
            raise ValidationError(
                f"tier '{tier.code}' is defined twice",
                path=f"$.tiers[{index}].code",
                code="duplicate",
            )
        codes.add(tier.code)
    order = sorted(range(len(given)), key=lambda i: (given[i].lower, i))
    _check_tier_ranges(given, order)
    return tuple(given[i] for i in order)


def _check_tier_ranges(tiers: tuple[Tier, ...], order: list[int]) -> None:
    first = tiers[order[0]]
    if first.lower != 0:
        raise ValidationError(
            f"tier '{first.code}' is the lowest and must start at zero (no gap below it)",
            path=f"$.tiers[{order[0]}]",
            code="tier_gap",
        )
    for before_index, index in pairwise(order):
        before, tier = tiers[before_index], tiers[index]
        upper = before.upper
        if upper is None or tier.lower < upper:
            raise ValidationError(
                f"tier '{tier.code}' overlaps tier '{before.code}' "
                f"(it must start where '{before.code}' ends)",
                path=f"$.tiers[{index}]",
                code="tier_overlap",
            )
        if tier.lower > upper:
            raise ValidationError(
                f"tier '{tier.code}' leaves a gap after tier '{before.code}' "
                f"(it must start where '{before.code}' ends)",
                path=f"$.tiers[{index}]",
                code="tier_gap",
            )
    last = tiers[order[-1]]
    if last.upper is not None:
        raise ValidationError(
            f"tier '{last.code}' is the highest and must have no upper bound (no gap above it)",
            path=f"$.tiers[{order[-1]}]",
            code="tier_gap",
        )


def _program_rewards(value: object) -> tuple[Reward, ...]:
    rewards = items_of(value, Reward, "$.rewards", "a Reward", max_items=MAX_REWARDS)
    check_unique(rewards, attrgetter("id"), "$.rewards[{}].id", "must not repeat a reward id")
    return rewards


def _default_window() -> Period:
    return Period.months(12)


@attrs.frozen(slots=True, kw_only=True)
class LoyaltyProgram:
    """The rules of a loyalty program (a value object; see the module docs).

    Tiers are kept lowest first, whatever order they were given in. Spend
    thresholds, the earn rate and qualifying spend are all in ``currency``.

    Attributes:
        id: the program's identifier.
        name: its display name.
        currency: the ISO 4217 currency spend is counted in.
        tiers: the membership grades, lowest first; members start in the lowest.
        earn_rate: points per amount spent (``None``: spend earns nothing).
        rounding: how fractional spend points round (down by default).
        points_per_order: flat points for every qualifying order.
        bonuses: bonus occasions.
        expiry: how long after they were earned points expire (``None``: never).
        tier_window: how long activity counts towards tiers after it happened
            (the rolling window).
        downgrade_grace: how long a member keeps a tier after they last
            qualified for it (``None``: a downgrade applies at the first
            evaluation that finds too little activity).
        rewards: the rewards catalogue.
    """

    id: ProgramId = attrs.field(validator=typed_id(ProgramId, "$.id"))
    name: str = attrs.field(converter=_program_name_field)
    currency: str = attrs.field(converter=_program_currency)
    tiers: tuple[Tier, ...] = attrs.field(converter=_program_tiers)
    earn_rate: EarnRate | None = attrs.field(default=None, converter=_program_earn_rate)
    rounding: PointsRounding = attrs.field(default=PointsRounding.DOWN, converter=_program_rounding)
    points_per_order: int = attrs.field(default=0, validator=_program_per_order)
    bonuses: tuple[BonusRule, ...] = attrs.field(default=(), converter=_program_bonuses)
    expiry: Period | None = attrs.field(default=None, converter=_program_expiry)
    tier_window: Period = attrs.field(factory=_default_window, converter=_program_window)
    downgrade_grace: Period | None = attrs.field(default=None, converter=_program_grace)
    rewards: tuple[Reward, ...] = attrs.field(default=(), converter=_program_rewards)

    def __attrs_post_init__(self) -> None:
        if self.earn_rate is not None:
            same_currency(self.earn_rate.per, self.currency, "$.earn_rate.per")
        for index, tier in enumerate(self.tiers):
            if tier.min_spend is not None:
                same_currency(tier.min_spend, self.currency, f"$.tiers[{index}].min_spend")
        codes = {tier.code for tier in self.tiers}
        for index, reward in enumerate(self.rewards):
            if reward.min_tier is not None and reward.min_tier not in codes:
                raise ValidationError(
                    "must name a tier of the program",
                    path=f"$.rewards[{index}].min_tier",
                    code="unknown_tier",
                )

    # -- tiers ----------------------------------------------------------------------------

    @property
    def tier_basis(self) -> TierBasis:
        """Whether tiers qualify by spend or by points."""
        return self.tiers[0].basis

    @property
    def base_tier(self) -> Tier:
        """The lowest tier, which every member starts in."""
        return self.tiers[0]

    def tier(self, code: str) -> Tier:
        """The tier with this code.

        Raises:
            ValidationError: the program has no such tier (``$.tier``, code ``unknown_tier``).
        """
        for tier in self.tiers:
            if tier.code == code:
                return tier
        if not isinstance(code, str):
            raise InvalidType(f"must be a tier code (str), not {type_name(code)}", path="$.tier")
        raise ValidationError("must name a tier of the program", path="$.tier", code="unknown_tier")

    def rank(self, code: str) -> int:
        """The tier's position, 0 for the lowest."""
        return self.tiers.index(self.tier(code))

    def tier_for(self, qualifying: Money | int) -> Tier:
        """The tier whose range holds ``qualifying`` (spend as Money, or points as int).

        Raises:
            ValidationError: the value does not match the program's tier basis,
                is of another currency, or is negative.
        """
        value = self._qualifying_value(qualifying, "$.qualifying")
        for tier in reversed(self.tiers):
            if tier.lower <= value:
                return tier
        return self.tiers[0]  # pragma: no cover - the lowest tier starts at zero

    def _qualifying_value(self, qualifying: object, path: str) -> Decimal:
        if self.tier_basis is TierBasis.SPEND:
            if not isinstance(qualifying, Money):
                raise InvalidType(
                    f"must be Money for a program with spend tiers, not {type_name(qualifying)}",
                    path=path,
                )
            spend = same_currency(money_at_least_zero(qualifying, path), self.currency, path)
            return spend.amount
        return Decimal(points_value(qualifying, path))

    # -- earning --------------------------------------------------------------------------

    def points_for(
        self,
        amount: Money,
        *,
        placed_at: datetime,
        tier: str | None = None,
        birth_date: date | None = None,
    ) -> EarnQuote:
        """The points a purchase of ``amount`` placed at ``placed_at`` earns.

        Spend points are ``amount / earn_rate.per * earn_rate.points`` times
        the tier multiplier (the lowest tier's when ``tier`` is ``None``) and
        every applying bonus multiplier, rounded once by ``rounding``; then
        the flat per-order points and the bonuses' extra points are added.

        >>> from datetime import datetime, timezone
        >>> program = LoyaltyProgram(
        ...     id=ProgramId("p"),
        ...     name="Points",
        ...     currency="IDR",
        ...     earn_rate=EarnRate(1, Money(10_000, "IDR")),
        ...     points_per_order=5,
        ...     tiers=[Tier.by_points("member", 0)],
        ... )
        >>> quote = program.points_for(
        ...     Money(275_000, "IDR"), placed_at=datetime(2026, 5, 1, tzinfo=timezone.utc)
        ... )
        >>> quote.spend_points, quote.order_points, quote.total
        (27, 5, 32)
        """
        spent = same_currency(money_at_least_zero(amount, "$.amount"), self.currency, "$.amount")
        when = require_aware(placed_at, "$.placed_at")
        if birth_date is not None:
            require_date(birth_date, "$.birth_date")
        grade = self.base_tier if tier is None else self.tier(tier)
        multiplier = grade.multiplier
        occasions: list[str] = []
        extra = 0
        for bonus in self.bonuses:
            if bonus.applies(when, birth_date=birth_date):
                occasions.append(bonus.code)
                multiplier *= bonus.multiplier
                extra += bonus.extra_points
        spend_points = 0
        if self.earn_rate is not None:
            exact = self.earn_rate.exact_points(spent) * multiplier
            spend_points = int(exact.to_integral_value(rounding=self.rounding.decimal_mode))
        if spend_points + self.points_per_order + extra > MAX_POINTS:
            raise ValidationError(
                f"earns more than {MAX_POINTS} points at once", path="$.amount", code="points_range"
            )
        return EarnQuote(
            spend_points=spend_points,
            order_points=self.points_per_order,
            bonus_points=extra,
            multiplier=multiplier,
            occasions=tuple(occasions),
        )

    def expires_at(self, earned_at: datetime) -> datetime | None:
        """When points earned at ``earned_at`` expire (``None``: never)."""
        when = require_aware(earned_at, "$.earned_at")
        if self.expiry is None:
            return None
        return _later(when, self.expiry)

    def qualifying_until(self, earned_at: datetime) -> datetime:
        """When activity of ``earned_at`` stops counting towards tiers: ``tier_window`` later.

        Activity counts from the moment it happens up to this instant (exclusive):
        that is the rolling window, taken with calendar arithmetic.
        """
        return _later(require_aware(earned_at, "$.earned_at"), self.tier_window)

    # -- rewards ---------------------------------------------------------------------------

    def reward(self, reward_id: RewardId) -> Reward:
        """The catalogue's reward with this id.

        Raises:
            ValidationError: no such reward (``$.reward_id``, code ``unknown_reward``).
        """
        if type(reward_id) is not RewardId:
            raise InvalidType(f"must be a RewardId, not {type_name(reward_id)}", path="$.reward_id")
        for reward in self.rewards:
            if reward.id == reward_id:
                return reward
        raise ValidationError(
            "must name a reward of the catalogue", path="$.reward_id", code="unknown_reward"
        )

    def take_stock(self, reward_id: RewardId, quantity: int = 1) -> LoyaltyProgram:
        """The program with ``quantity`` fewer units of a stocked reward (unlimited ones stay).

        The program is a value, not an aggregate: the host stores the program
        this returns after a redemption it accepted.

        Raises:
            ValidationError: unknown reward, or fewer units left than asked
                (``$.quantity``, code ``out_of_stock``).
        """
        reward = self.reward(reward_id)
        count = positive_int(quantity, "$.quantity", maximum=MAX_POINTS)
        if reward.stock is None:
            return self
        if count > reward.stock:
            raise ValidationError(
                "must not exceed the units in stock", path="$.quantity", code="out_of_stock"
            )
        return self._with_reward(attrs.evolve(reward, stock=reward.stock - count))

    def restock(self, reward_id: RewardId, stock: int | None) -> LoyaltyProgram:
        """The program with a reward's stock set to ``stock`` (``None``: unlimited)."""
        reward = self.reward(reward_id)
        checked = _reward_stock(stock)
        return self._with_reward(attrs.evolve(reward, stock=checked))

    def _with_reward(self, changed: Reward) -> LoyaltyProgram:
        rewards = tuple(changed if r.id == changed.id else r for r in self.rewards)
        return attrs.evolve(self, rewards=rewards)
