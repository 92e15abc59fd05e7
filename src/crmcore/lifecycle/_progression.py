"""Automatic progression along the relationship ladder, justified by facts.

The host builds :class:`Facts` about a customer (purchases, spend, and the
relationships in force at the evaluation time: an active loyalty enrolment,
the referrals that count, an active partner relationship) and asks which
moves the facts call for; :func:`~crmcore.lifecycle.ladder_facts` reads the
relationship facts from :mod:`crmcore.parties` relationships and
:mod:`crmcore.loyalty` accounts. Each :class:`Step` names the
:class:`ProgressionRule` that justified it. Thresholds and inactivity windows
live in a :class:`ProgressionPolicy`.

The ladder has two kinds of rungs. The *purchase rungs* follow purchases:

* no purchase yet: *suspect*, or *prospect* once ``qualified``;
* *first-time customer* (1 purchase), *repeat customer* (at least 2),
  *client* (at least 5, the first one at least a year ago, and
  ``client_spend`` if set);
* a customer below the rung the purchases justify is promoted to it
  (skipping rungs where the ladder allows); one above it stays, unless
  ``demote=True``;
* a buying customer with no purchase for ``lapse_after`` (12 months) lapses,
  and churns after ``churn_after`` (24 months); a lapsed or churned customer
  who purchased after leaving is won back, to the rung the facts justify.

The *relationship rungs* follow relationships: *member* (``loyalty_member``:
a loyalty enrolment in force), *advocate* (``referrals``: at least 1
referral that counts) and *partner* (``partner_agreement``: a partner
relationship in force). Like every rung above prospect they need a
purchase, but only one, ever: for a buyer, the highest one held is the
customer's rung, from any stage (lapsed and churned included), and purchase
inactivity never lapses or churns a customer who holds one. Each
has its own way out: when the relationship behind the rung no longer holds
(``partnership_ended``, ``membership_ended``, ``referrals_lapsed``), the
customer steps down to the next relationship rung they still hold, or else
to the rung their purchases justify (lapsed, and churned, if their purchase
windows have run out), whatever ``demote`` says.

Steps are dated when the facts show they happened — a lapse when the window
ran out, a win-back at the purchase, a first purchase at ``first_purchase_at``
— and otherwise at ``at`` (a relationship fact carries no date: entering or
leaving a relationship rung is dated at ``at``); never before the customer's
last change.
Progression is idempotent: once applied, the same facts at the same time call
for nothing more. For many customers at once, :func:`~crmcore.lifecycle.plan_progression`
finds the same steps from plain rows and builds nothing for the customers who stay.

>>> from datetime import datetime, timezone
>>> from crmcore import Customer, CustomerId, PersonName
>>> t0 = datetime(2025, 1, 6, tzinfo=timezone.utc)
>>> ana = Customer.register(CustomerId("c-1"), name=PersonName("Ana"), at=t0)
>>> facts = Facts(
...     purchase_count=2,
...     first_purchase_at=datetime(2025, 2, 1, tzinfo=timezone.utc),
...     last_purchase_at=datetime(2025, 3, 1, tzinfo=timezone.utc),
... )
>>> for step in progression_steps(ana, facts, at=datetime(2025, 3, 2, tzinfo=timezone.utc)):
...     print(step.trigger, step.to_stage, step.at.date(), step.rule)
first_purchase first_time_customer 2025-02-01 first_purchase
repeat_purchase repeat_customer 2025-03-01 repeat_purchase
>>> later = datetime(2026, 6, 1, tzinfo=timezone.utc)
>>> ana = progress(ana, facts, at=later)
>>> ana.lifecycle.stage, str(ana.lifecycle.entered_at.date())
('lapsed', '2026-03-01')
>>> progression_steps(ana, facts, at=later)
()
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from datetime import UTC, datetime
from enum import StrEnum
from typing import Any, Final

import attrs
from dateutil.relativedelta import relativedelta

from crmcore._kernel._checks import MAX_INT, is_bool, optional_aware, require_aware, type_name
from crmcore._kernel._fields import Checked
from crmcore._kernel._money import Money
from crmcore.customers import Customer, LifecycleState
from crmcore.errors import InvalidType, ValidationError
from crmcore.lifecycle._standard import LADDER_RUNGS, RELATIONSHIP_LADDER, LadderStage

_L = LadderStage
_LADDER = RELATIONSHIP_LADDER
_INACTIVE: Final = frozenset({_L.LAPSED.value, _L.CHURNED.value})
_PROMOTIONS: Final = frozenset(
    {
        "qualify",
        "first_purchase",
        "repeat_purchase",
        "become_client",
        "join_loyalty",
        "become_advocate",
        "become_partner",
    }
)
_RUNG: Final = {name: position for position, name in enumerate(LADDER_RUNGS)}
_FIRST_BUYER_RUNG: Final = _RUNG[_L.FIRST_TIME_CUSTOMER.value]
# Windows are compared and checked for sign at this fixed instant.
_REFERENCE: Final = datetime(2000, 1, 1, tzinfo=UTC)


class ProgressionRule(StrEnum):
    """The rule that justified a progression step."""

    QUALIFIED = "qualified"
    FIRST_PURCHASE = "first_purchase"
    REPEAT_PURCHASE = "repeat_purchase"
    CLIENT = "client"
    LOYALTY_MEMBERSHIP = "loyalty_membership"
    REFERRALS = "referrals"
    PARTNER_AGREEMENT = "partner_agreement"
    MEMBERSHIP_ENDED = "membership_ended"
    REFERRALS_LAPSED = "referrals_lapsed"
    PARTNERSHIP_ENDED = "partnership_ended"
    INACTIVITY_LAPSE = "inactivity_lapse"
    INACTIVITY_CHURN = "inactivity_churn"
    WIN_BACK = "win_back"
    DEMOTION = "demotion"


_RULE_FOR_RUNG: Final = {
    _L.PROSPECT.value: ProgressionRule.QUALIFIED,
    _L.FIRST_TIME_CUSTOMER.value: ProgressionRule.FIRST_PURCHASE,
    _L.REPEAT_CUSTOMER.value: ProgressionRule.REPEAT_PURCHASE,
    _L.CLIENT.value: ProgressionRule.CLIENT,
    _L.MEMBER.value: ProgressionRule.LOYALTY_MEMBERSHIP,
    _L.ADVOCATE.value: ProgressionRule.REFERRALS,
    _L.PARTNER.value: ProgressionRule.PARTNER_AGREEMENT,
}
#: The way off each relationship rung.
_WAY_OUT: Final = {
    _L.MEMBER.value: ProgressionRule.MEMBERSHIP_ENDED,
    _L.ADVOCATE.value: ProgressionRule.REFERRALS_LAPSED,
    _L.PARTNER.value: ProgressionRule.PARTNERSHIP_ENDED,
}
_MEMBER_RUNG: Final = _RUNG[_L.MEMBER.value]


def _count(path: str) -> Any:
    def check(_: object, __: attrs.Attribute[Any], value: object) -> None:
        if isinstance(value, bool) or not isinstance(value, int):
            raise InvalidType(f"must be an int, not {type_name(value)}", path=path)
        if value < 0:
            raise ValidationError("must be 0 or more", path=path, code="negative")
        if value > MAX_INT:
            raise ValidationError("must be at most 2**63 - 1", path=path, code="range")

    return check


def _first_purchase_at(value: object) -> datetime | None:
    return optional_aware("$.first_purchase_at")(value)


def _last_purchase_at(value: object) -> datetime | None:
    return optional_aware("$.last_purchase_at")(value)


def _optional_money(path: str) -> Any:
    def check(_: object, __: attrs.Attribute[Any], value: object) -> None:
        if value is not None and not isinstance(value, Money):
            raise InvalidType(f"must be Money, not {type_name(value)}", path=path)

    return check


@attrs.frozen(slots=True, kw_only=True)
class Facts:
    """What the host knows about a customer at the evaluation time, as progression reads it.

    The last three facts are the relationships in force at the time
    progression is evaluated at; :func:`~crmcore.lifecycle.ladder_facts`
    reads them from relationships and loyalty accounts.

    Attributes:
        purchase_count: purchases so far.
        first_purchase_at: when the first purchase was made, if known.
        last_purchase_at: when the latest purchase was made (required once
            ``purchase_count`` is 1 or more).
        total_spend: spend so far, if the policy asks for a client spend.
        qualified: showed strong interest and is able to buy (a prospect).
        loyalty_member: has a loyalty enrolment in force (the *member* rung).
        referrals: the referrals this customer made that count (the
            *advocate* rung): ``referred_by`` relationships in force naming
            them, made within the policy's ``referral_window``.
        partner_agreement: has a partner (or reseller) relationship in force
            (the *partner* rung).
    """

    purchase_count: int = attrs.field(default=0, validator=_count("$.purchase_count"))
    first_purchase_at: datetime | None = attrs.field(default=None, converter=_first_purchase_at)
    last_purchase_at: datetime | None = attrs.field(default=None, converter=_last_purchase_at)
    total_spend: Money | None = attrs.field(
        default=None, validator=_optional_money("$.total_spend")
    )
    qualified: bool = attrs.field(default=False, validator=is_bool)
    loyalty_member: bool = attrs.field(default=False, validator=is_bool)
    referrals: int = attrs.field(default=0, validator=_count("$.referrals"))
    partner_agreement: bool = attrs.field(default=False, validator=is_bool)

    def __attrs_post_init__(self) -> None:
        first, last = self.first_purchase_at, self.last_purchase_at
        if self.purchase_count == 0:
            if first is not None or last is not None:
                path = "$.first_purchase_at" if first is not None else "$.last_purchase_at"
                raise ValidationError(
                    "must be null when purchase_count is 0", path=path, code="inconsistent"
                )
            return
        if last is None:
            raise ValidationError(
                "is required when purchase_count is 1 or more",
                path="$.last_purchase_at",
                code="required",
            )
        if first is not None and first > last:
            raise ValidationError(
                "must not be after last_purchase_at", path="$.first_purchase_at", code="order"
            )
        if self.purchase_count == 1 and first is not None and first != last:
            raise ValidationError(
                "must equal last_purchase_at when there is one purchase",
                path="$.first_purchase_at",
                code="inconsistent",
            )


def _positive_int(minimum: int, path: str) -> Any:
    def check(_: object, __: attrs.Attribute[Any], value: object) -> None:
        if isinstance(value, bool) or not isinstance(value, int):
            raise InvalidType(f"must be an int, not {type_name(value)}", path=path)
        if value < minimum:
            raise ValidationError(f"must be {minimum} or more", path=path, code="too_small")
        if value > MAX_INT:
            raise ValidationError("must be at most 2**63 - 1", path=path, code="range")

    return check


def _window(path: str, *, allow_zero: bool = False) -> Any:
    def check(_: object, __: attrs.Attribute[Any], value: object) -> None:
        if not isinstance(value, relativedelta):
            raise InvalidType(
                f"must be a dateutil relativedelta, not {type_name(value)}", path=path
            )
        absolute = (
            value.year,
            value.month,
            value.day,
            value.weekday,
            value.hour,
            value.minute,
            value.second,
            value.microsecond,
        )
        if any(part is not None for part in absolute):
            raise ValidationError(
                "must be a relative window (months=12, not month=12)", path=path, code="absolute"
            )
        moved = _REFERENCE + value
        if moved < _REFERENCE or (moved == _REFERENCE and not allow_zero):
            rule = "must not be negative" if allow_zero else "must be longer than zero"
            raise ValidationError(rule, path=path, code="window")

    return check


def _optional_window(path: str) -> Any:
    check = _window(path)

    def optional(instance: object, attribute: attrs.Attribute[Any], value: object) -> None:
        if value is not None:
            check(instance, attribute, value)

    return optional


def _years(number: int) -> relativedelta:
    return relativedelta(years=number)


def _months(number: int) -> relativedelta:
    return relativedelta(months=number)


@attrs.frozen(slots=True, kw_only=True)
class ProgressionPolicy:
    """The thresholds and windows progression applies; see the module docs for the rules.

    Attributes:
        repeat_purchases: purchases that make a repeat customer (2).
        client_purchases: purchases that, with the tenure, make a client (5).
        client_tenure: time since the first purchase a client needs (1 year).
        client_spend: spend a client also needs, if set (``None``).
        advocate_referrals: referrals that make an advocate (1).
        referral_window: how long a referral counts after it was made (24
            months; ``None``: while its relationship is in force). Read by
            :func:`~crmcore.lifecycle.ladder_facts` when it counts referrals:
            an advocate whose counted referrals fall below
            ``advocate_referrals`` steps down (``referrals_lapsed``).
        lapse_after: time without a purchase after which a customer lapses (12 months).
        churn_after: time without a purchase after which a customer churns (24 months).
        demote: move customers down to the purchase rung their facts justify
            (``False``: demotion stays an explicit ``demote`` trigger). A
            relationship rung is left when its relationship ends, whatever
            this says.
    """

    repeat_purchases: int = attrs.field(default=2, validator=_positive_int(2, "$.repeat_purchases"))
    client_purchases: int = attrs.field(default=5, validator=_positive_int(2, "$.client_purchases"))
    client_tenure: relativedelta = attrs.field(
        factory=lambda: _years(1), validator=_window("$.client_tenure", allow_zero=True)
    )
    client_spend: Money | None = attrs.field(
        default=None, validator=_optional_money("$.client_spend")
    )
    advocate_referrals: int = attrs.field(
        default=1, validator=_positive_int(1, "$.advocate_referrals")
    )
    referral_window: relativedelta | None = attrs.field(
        factory=lambda: _months(24), validator=_optional_window("$.referral_window")
    )
    lapse_after: relativedelta = attrs.field(
        factory=lambda: _months(12), validator=_window("$.lapse_after")
    )
    churn_after: relativedelta = attrs.field(
        factory=lambda: _months(24), validator=_window("$.churn_after")
    )
    demote: bool = attrs.field(default=False, validator=is_bool)

    def __attrs_post_init__(self) -> None:
        if self.client_purchases < self.repeat_purchases:
            raise ValidationError(
                "must be at least repeat_purchases", path="$.client_purchases", code="too_small"
            )
        if _REFERENCE + self.churn_after <= _REFERENCE + self.lapse_after:
            raise ValidationError(
                "must be longer than lapse_after", path="$.churn_after", code="window"
            )


#: The documented defaults.
DEFAULT_POLICY: Final = ProgressionPolicy()


@attrs.frozen(slots=True)
class Step(Checked):
    """One move progression calls for, and why.

    Attributes:
        trigger: the ladder trigger to fire.
        from_stage: the stage it leaves.
        to_stage: the stage it enters.
        at: when the facts show it happened.
        rule: the rule that justified it.
        reason: the rule in words, with the policy's thresholds (no personal data).
    """

    trigger: str
    from_stage: str
    to_stage: str
    at: datetime
    rule: ProgressionRule
    reason: str


def _describe(window: relativedelta) -> str:
    parts = []
    for amount, unit in (
        (window.years, "year"),
        (window.months, "month"),
        (window.days, "day"),
        (window.hours, "hour"),
        (window.minutes, "minute"),
        (window.seconds, "second"),
    ):
        if amount:
            parts.append(f"{amount} {unit}{'' if abs(amount) == 1 else 's'}")
    return " ".join(parts) if parts else "no time"


def _client_text(policy: ProgressionPolicy) -> str:
    spend = "" if policy.client_spend is None else f", spending at least {policy.client_spend}"
    return (
        f"made at least {policy.client_purchases} purchases over at least "
        f"{_describe(policy.client_tenure)}{spend}"
    )


def _referrals_text(policy: ProgressionPolicy) -> str:
    plural = "" if policy.advocate_referrals == 1 else "s"
    return f"referred at least {policy.advocate_referrals} customer{plural}"


#: Each rule in words, from the policy and the title of the stage it leads to.
_TEXTS: Final[dict[ProgressionRule, Callable[[ProgressionPolicy, str], str]]] = {
    ProgressionRule.QUALIFIED: lambda _, __: "showed strong interest and is able to buy",
    ProgressionRule.FIRST_PURCHASE: lambda _, __: "made a first purchase",
    ProgressionRule.REPEAT_PURCHASE: lambda policy, _: (
        f"made at least {policy.repeat_purchases} purchases"
    ),
    ProgressionRule.CLIENT: lambda policy, _: _client_text(policy),
    ProgressionRule.LOYALTY_MEMBERSHIP: lambda _, __: "has a loyalty enrolment in force",
    ProgressionRule.REFERRALS: lambda policy, _: _referrals_text(policy),
    ProgressionRule.PARTNER_AGREEMENT: lambda _, __: "has a partner relationship in force",
    ProgressionRule.MEMBERSHIP_ENDED: lambda _, title: (
        f"no loyalty enrolment in force any more; the facts justify {title}"
    ),
    ProgressionRule.REFERRALS_LAPSED: lambda policy, title: (
        f"fewer than {policy.advocate_referrals} referral"
        f"{'' if policy.advocate_referrals == 1 else 's'} count any more; "
        f"the facts justify {title}"
    ),
    ProgressionRule.PARTNERSHIP_ENDED: lambda _, title: (
        f"no partner relationship in force any more; the facts justify {title}"
    ),
    ProgressionRule.INACTIVITY_LAPSE: lambda policy, _: (
        f"no purchase for {_describe(policy.lapse_after)}"
    ),
    ProgressionRule.INACTIVITY_CHURN: lambda policy, _: (
        f"no purchase for {_describe(policy.churn_after)}"
    ),
    ProgressionRule.WIN_BACK: lambda _, title: (
        f"purchased again after lapsing; the facts justify {title}"
    ),
    ProgressionRule.DEMOTION: lambda _, title: f"the facts justify only {title}",
}


def _explain(rule: ProgressionRule, policy: ProgressionPolicy, target: str) -> str:
    return f"{rule.value}: {_TEXTS[rule](policy, _LADDER.state(target).title)}"


@functools.cache
def _promotions(from_stage: str, to_stage: str) -> tuple[str, ...]:
    """The promotion triggers from one rung to a higher one (a pure memo of a constant ladder)."""
    return _LADDER.route(from_stage, to_stage, triggers=_PROMOTIONS)


def window_end(moment: datetime, window: relativedelta, path: str) -> datetime:
    """``moment + window``, or a ValidationError (code ``range``) past the datetimes Python holds."""
    try:
        return moment + window
    except (OverflowError, ValueError):
        raise ValidationError(
            "is too close to the end of the calendar for the policy's window",
            path=path,
            code="range",
        ) from None


def _is_client(facts: Facts, at: datetime, policy: ProgressionPolicy, prefix: str) -> bool:
    if facts.purchase_count < policy.client_purchases:
        return False
    if _REFERENCE + policy.client_tenure > _REFERENCE:
        first = facts.first_purchase_at
        if first is None:
            return False
        if window_end(first, policy.client_tenure, f"{prefix}.first_purchase_at") > at:
            return False
    if policy.client_spend is not None:
        spend = facts.total_spend
        try:
            if spend is None or spend < policy.client_spend:
                return False
        except ValidationError as exc:
            raise exc.under(f"{prefix}.total_spend") from None
    return True


def justified_rung(facts: Facts, at: datetime, policy: ProgressionPolicy) -> str:
    """The highest rung of the ladder the facts justify at ``at``.

    Raises:
        ValidationError: ``facts`` is not Facts, ``policy`` not a
            ProgressionPolicy, or ``at`` is naive.
    """
    if not isinstance(facts, Facts):
        raise InvalidType(f"must be Facts, not {type_name(facts)}", path="$.facts")
    if not isinstance(policy, ProgressionPolicy):
        raise InvalidType(f"must be a ProgressionPolicy, not {type_name(policy)}", path="$.policy")
    return _justified(facts, require_aware(at, "$.at"), policy, "$.facts")


def _held(facts: Facts, policy: ProgressionPolicy) -> str | None:
    """The highest relationship rung the relationship facts hold, purchases aside."""
    if facts.partner_agreement:
        return _L.PARTNER.value
    if facts.referrals >= policy.advocate_referrals:
        return _L.ADVOCATE.value
    if facts.loyalty_member:
        return _L.MEMBER.value
    return None


def _justified(facts: Facts, at: datetime, policy: ProgressionPolicy, prefix: str) -> str:
    # Every part is evaluated (a spend in another currency raises whatever rung applies).
    client = _is_client(facts, at, policy, prefix)
    if facts.purchase_count == 0:  # every rung above prospect needs a purchase
        return _L.PROSPECT.value if facts.qualified else _L.SUSPECT.value
    held = _held(facts, policy)
    if held is not None:
        return held
    if client:
        return _L.CLIENT.value
    if facts.purchase_count >= policy.repeat_purchases:
        return _L.REPEAT_CUSTOMER.value
    return _L.FIRST_TIME_CUSTOMER.value


class _Plan:
    """The steps so far, the stage they lead to, and the time of the last one."""

    def __init__(
        self, stage: str, since: datetime, at: datetime, policy: ProgressionPolicy, prefix: str
    ) -> None:
        self.stage = stage
        self.last = since
        self.at = at
        self.policy = policy
        self.prefix = prefix
        self.steps: list[Step] = []

    def add(self, trigger: str, rule: ProgressionRule, moment: datetime) -> None:
        target = _LADDER.target_of(self.stage, trigger)
        if target is None:  # pragma: no cover - the ladder allows every planned move
            raise ValidationError("progression planned a move the ladder forbids", code="internal")
        when = min(max(moment, self.last), self.at)
        self.steps.append(
            Step(trigger, self.stage, target, when, rule, _explain(rule, self.policy, target))
        )
        self.stage, self.last = target, when

    def win_back(self, facts: Facts, justified: str) -> bool:
        """Win back a lapsed or churned customer who purchased after leaving."""
        last_purchase = facts.last_purchase_at
        if last_purchase is None or last_purchase <= self.last:
            return False
        self.add(f"win_back_to_{justified}", ProgressionRule.WIN_BACK, last_purchase)
        return True

    def rejoin(self, facts: Facts, justified: str) -> None:
        """Bring a lapsed or churned customer back to the relationship rung they hold."""
        if not self.win_back(facts, justified):
            self.add(f"win_back_to_{justified}", _RULE_FOR_RUNG[justified], self.at)

    def leave(self, justified: str, facts: Facts) -> None:
        """Step off a relationship rung that no longer holds (its own way out)."""
        rule = _WAY_OUT[self.stage]
        rung = _RUNG[justified]
        if (
            rung >= _MEMBER_RUNG
            or rung < _FIRST_BUYER_RUNG
            or not _inactive(facts, self.at, self.policy, self.prefix)
        ):
            self.add(f"step_down_to_{justified}", rule, self.at)
            return
        # Off the relationship with the purchase windows run out: lapsed (churned after).
        self.add("lapse", rule, self.at)
        self.inactivity(facts, churn_only=True)

    def align(self, justified: str, facts: Facts) -> None:
        """Promote to the justified rung, or demote to it if the policy says so."""
        if _RUNG[justified] > _RUNG[self.stage]:
            for trigger in _promotions(self.stage, justified):
                target = _LADDER.target_of(self.stage, trigger) or justified
                moment = _promotion_moment(target, facts, self.policy, self.at)
                self.add(trigger, _RULE_FOR_RUNG[target], moment)
        elif _RUNG[justified] < _RUNG[self.stage] and self.policy.demote:
            while self.stage != justified:
                self.add("demote", ProgressionRule.DEMOTION, self.at)

    def inactivity(self, facts: Facts, *, churn_only: bool = False) -> None:
        """Lapse, then churn, a buying customer whose windows have run out."""
        last_purchase = facts.last_purchase_at
        if last_purchase is None:
            return
        if not churn_only and _RUNG.get(self.stage, -1) < _FIRST_BUYER_RUNG:
            return
        path = f"{self.prefix}.last_purchase_at"
        lapse_at = window_end(last_purchase, self.policy.lapse_after, path)
        churn_at = window_end(last_purchase, self.policy.churn_after, path)
        if not churn_only and self.at >= lapse_at:
            self.add("lapse", ProgressionRule.INACTIVITY_LAPSE, lapse_at)
        if self.stage == _L.LAPSED.value and self.at >= churn_at:
            self.add("churn", ProgressionRule.INACTIVITY_CHURN, churn_at)


def _promotion_moment(
    target: str, facts: Facts, policy: ProgressionPolicy, at: datetime
) -> datetime:
    if target == _L.FIRST_TIME_CUSTOMER.value:
        if facts.first_purchase_at is not None:
            return facts.first_purchase_at
        if facts.purchase_count == 1 and facts.last_purchase_at is not None:
            return facts.last_purchase_at
    if (
        target == _L.REPEAT_CUSTOMER.value
        and facts.purchase_count == policy.repeat_purchases
        and facts.last_purchase_at is not None
    ):
        return facts.last_purchase_at
    return at


def progression_steps(
    customer: Customer,
    facts: Facts,
    *,
    at: datetime,
    policy: ProgressionPolicy = DEFAULT_POLICY,
) -> tuple[Step, ...]:
    """The moves along :data:`RELATIONSHIP_LADDER` the facts call for at ``at``, in order.

    Returns an empty tuple when the customer already stands where the facts
    say. Fire them with :func:`progress`.

    Raises:
        ValidationError: ``at`` is naive, before the customer's last ladder
            change or before a purchase in ``facts``; the stored stage is not a
            ladder stage; spend and client spend are in different currencies.
    """
    when, state = _checked(customer, facts, policy, at)
    return plan_steps(
        state.stage, state.entered_at, facts, when=when, policy=policy, prefix="$.facts"
    )


def plan_steps(
    stage: str,
    since: datetime,
    facts: Facts,
    *,
    when: datetime,
    policy: ProgressionPolicy,
    prefix: str,
) -> tuple[Step, ...]:
    """The steps for a customer in ``stage`` since ``since``; arguments already checked.

    ``prefix`` is where the facts sit in the caller's arguments, for error paths.
    """
    plan = _Plan(stage, since, when, policy, prefix)
    justified = _justified(facts, when, policy, prefix)
    held = _RUNG[justified] >= _MEMBER_RUNG  # a relationship rung: inactivity never moves it
    if stage in _INACTIVE:
        if held:
            plan.rejoin(facts, justified)
            return tuple(plan.steps)
        if not plan.win_back(facts, justified):
            if stage == _L.LAPSED.value:
                plan.inactivity(facts, churn_only=True)
            return tuple(plan.steps)
    elif _RUNG[stage] >= _MEMBER_RUNG:
        # On a relationship rung (reached with a purchase, or placed by hand without one):
        # up to a higher one, or off it once its relationship no longer holds.
        target = _held(facts, policy) or justified
        if _RUNG[target] < _RUNG[stage]:
            plan.leave(target, facts)
        else:
            plan.align(target, facts)
        return tuple(plan.steps)
    elif held or _RUNG[stage] < _FIRST_BUYER_RUNG or not _inactive(facts, when, policy, prefix):
        # A buying customer who has gone quiet lapses where they stand (below).
        plan.align(justified, facts)
        if held:
            return tuple(plan.steps)
    plan.inactivity(facts)
    return tuple(plan.steps)


def _checked(
    customer: object, facts: object, policy: object, at: object
) -> tuple[datetime, LifecycleState]:
    if not isinstance(customer, Customer):
        raise InvalidType(f"must be a Customer, not {type_name(customer)}", path="$.customer")
    if not isinstance(facts, Facts):
        raise InvalidType(f"must be Facts, not {type_name(facts)}", path="$.facts")
    if not isinstance(policy, ProgressionPolicy):
        raise InvalidType(f"must be a ProgressionPolicy, not {type_name(policy)}", path="$.policy")
    when = require_aware(at, "$.at")
    state = _LADDER.state_of(customer)
    if state.stage not in _RUNG and state.stage not in _INACTIVE:
        raise ValidationError(
            "the customer's stored stage is not a stage of the relationship ladder",
            path="$.customer.lifecycle.stage",
            code="unknown_stage",
        )
    if when < state.entered_at:
        code = "before_registration" if when < customer.created_at else "backwards"
        raise ValidationError(
            "must not be before the customer's last ladder change (time never goes backwards)",
            path="$.at",
            code=code,
        )
    check_purchases_by(facts, when, "$.facts")
    return when, state


def check_purchases_by(facts: Facts, when: datetime, prefix: str) -> None:
    """Refuse purchases after the time progression is evaluated at."""
    for name, moment in (
        ("first_purchase_at", facts.first_purchase_at),
        ("last_purchase_at", facts.last_purchase_at),
    ):
        if moment is not None and moment > when:
            raise ValidationError(
                "must not be after the time progression is evaluated at",
                path=f"{prefix}.{name}",
                code="after_at",
            )


def _inactive(facts: Facts, at: datetime, policy: ProgressionPolicy, prefix: str) -> bool:
    last = facts.last_purchase_at
    if last is None:
        return False
    return at >= window_end(last, policy.lapse_after, f"{prefix}.last_purchase_at")


def progress(
    customer: Customer,
    facts: Facts,
    *,
    at: datetime,
    policy: ProgressionPolicy = DEFAULT_POLICY,
    actor: str | None = None,
) -> Customer:
    """Fire the steps :func:`progression_steps` finds; return the moved customer.

    Each change records the step's rule in words as its ``reason``. A step is
    dated when the fact behind it happened (the first purchase, say), or at
    the customer's last change if that came later: times never go backwards
    on a customer. Applying it again with the same facts at the same time
    changes nothing.
    """
    moved = customer
    for step in progression_steps(customer, facts, at=at, policy=policy):
        when = max(step.at, moved.updated_at)
        moved = _LADDER.fire(moved, step.trigger, at=when, actor=actor, reason=step.reason)
    return moved
