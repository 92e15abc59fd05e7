"""Revenue attribution: won revenue credited to the campaign touches before it.

A :class:`RevenueConversion` is won revenue of one customer at one time (a won
opportunity or a purchase order; :func:`conversions_from` builds them). A
:class:`~crmcore.marketing.Touch` is a customer's response to a campaign.
:func:`attribute` credits each conversion's revenue to the campaigns whose
touches of the same customer fall in the lookback window before it, by one of
the :class:`AttributionModel` rules, and splits the revenue with
:meth:`Money.allocate <crmcore.Money.allocate>`: the campaigns' amounts add up
to the revenue exactly, to the minor unit.

The models follow the conventions of Google Ads' attribution models (its
``AttributionModelEnum``): first click, last click, linear, time decay with a
half-life of one week, and position-based with 40% to the first and to the
last interaction and the remaining 20% spread evenly over the others (the
"U-shaped" model of Salesforce B2B Marketing Analytics and HubSpot).
"""

from __future__ import annotations

import bisect
from collections.abc import Iterable, Sequence
from datetime import datetime, timedelta
from decimal import ROUND_HALF_EVEN, Context, Decimal, Inexact, InvalidOperation, Overflow
from enum import StrEnum
from typing import Final

import attrs

from crmcore._kernel._checks import enum_converter, type_name
from crmcore._kernel._fields import Checked, check_fields
from crmcore._kernel._ids import CampaignId, CustomerId, OpportunityId, OrderId
from crmcore._kernel._money import MAX_PARTS, Money, money_at_least_zero
from crmcore._kernel._records import require_iterable
from crmcore.commerce import Order
from crmcore.errors import InvalidType, ValidationError
from crmcore.marketing._members import Touch
from crmcore.sales import Opportunity

__all__ = [
    "DEFAULT_HALF_LIFE",
    "MAX_ATTRIBUTION_RECORDS",
    "MAX_CREDITED_TOUCHES",
    "MAX_TOUCHES_PER_CONVERSION",
    "Attribution",
    "AttributionModel",
    "CampaignCredit",
    "RevenueConversion",
    "attribute",
    "conversions_from",
]

#: The time-decay half-life unless told otherwise: one week, as Google Ads' time-decay model.
DEFAULT_HALF_LIFE: Final = timedelta(days=7)
#: Most conversions, and most touches, :func:`attribute` takes (each).
MAX_ATTRIBUTION_RECORDS: Final = 1_000_000
#: Most touches one conversion's window may hold (also the most campaigns it can credit).
MAX_TOUCHES_PER_CONVERSION: Final = MAX_PARTS
#: Most touches credited over all conversions together (the work :func:`attribute` does).
MAX_CREDITED_TOUCHES: Final = 10_000_000

# Time-decay weights are computed in decimal arithmetic, which is software and
# correctly rounded (exp and ln), so the same input gives the same weights on
# every platform; they are then cut to 30 decimal places. A weight below
# 2**-100 (the exponent below -100 * ln 2) is zero: it could not move a minor unit.
_DECAY = Context(prec=40, rounding=ROUND_HALF_EVEN, traps=[InvalidOperation, Overflow])
_LN2: Final = _DECAY.ln(Decimal(2))
_DECAY_QUANTUM: Final = Decimal(1).scaleb(-30)
_DECAY_FLOOR: Final = _DECAY.multiply(Decimal(-100), _LN2)
# Sums of the (at most MAX_TOUCHES_PER_CONVERSION) weights of one window, exactly.
_EXACT = Context(prec=80, traps=[Inexact, InvalidOperation, Overflow])


class AttributionModel(StrEnum):
    """How a conversion's revenue is shared among the touches in its window.

    * ``first_touch``: everything to the earliest touch.
    * ``last_touch``: everything to the latest touch.
    * ``linear``: equal parts to every touch.
    * ``time_decay``: each touch weighs ``2 ** -(age / half_life)``, its age
      counted back from the conversion: a touch one half-life older than
      another gets half its credit.
    * ``position_based`` ("U-shaped"): 40% to the first touch, 40% to the
      last and 20% spread evenly over the touches between; with two touches
      50% each, with one touch 100%.

    Touches at the same instant are ordered by campaign id. Several touches of
    one campaign add up to that campaign's credit.
    """

    FIRST_TOUCH = "first_touch"
    LAST_TOUCH = "last_touch"
    LINEAR = "linear"
    TIME_DECAY = "time_decay"
    POSITION_BASED = "position_based"


_model = enum_converter(AttributionModel, "$.model")


@attrs.frozen(slots=True)
class RevenueConversion(Checked):
    """Won revenue: a customer's won opportunity or purchase, credited to campaigns.

    Attributes:
        customer_id: whose revenue it is (their touches are credited).
        at: when it was won (a won opportunity's close, an order's placing).
        revenue: the revenue, zero or more, in whole minor units of its
            currency (round it first: :meth:`Money.rounded <crmcore.Money.rounded>`).
        source_id: the order or opportunity it comes from; one conversion each.

    >>> from datetime import datetime, timezone
    >>> from crmcore import Money
    >>> RevenueConversion(
    ...     CustomerId("c-1"),
    ...     datetime(2026, 3, 1, tzinfo=timezone.utc),
    ...     Money("10.005", "USD"),
    ...     OrderId("o-1"),
    ... )
    Traceback (most recent call last):
    ...
    crmcore.errors.ValidationError: $.revenue: must be in whole minor units of USD (round it first)
    """

    customer_id: CustomerId
    at: datetime
    revenue: Money
    source_id: OrderId | OpportunityId

    def __attrs_post_init__(self) -> None:
        check_fields(self)
        money_at_least_zero(self.revenue, "$.revenue")
        if self.revenue.rounded() != self.revenue:
            raise ValidationError(
                f"must be in whole minor units of {self.revenue.currency} (round it first)",
                path="$.revenue",
                code="minor_unit",
            )


@attrs.frozen(slots=True)
class CampaignCredit(Checked):
    """One campaign's part of a conversion's revenue.

    Attributes:
        campaign_id: the campaign credited.
        amount: its part of the revenue, in whole minor units.
        touches: how many of its touches fell in the conversion's window.
    """

    campaign_id: CampaignId
    amount: Money
    touches: int


@attrs.frozen(slots=True)
class Attribution(Checked):
    """A conversion and the campaigns its revenue is credited to.

    Attributes:
        conversion: the conversion.
        model: the model that shared its revenue.
        credits: one per campaign credited, in the order of the campaigns'
            first touches in the window; their amounts add up to the
            revenue exactly. Empty when no touch fell in the window: the
            conversion is **unattributed** (reported, never dropped).
    """

    conversion: RevenueConversion
    model: AttributionModel
    credits: tuple[CampaignCredit, ...]

    @property
    def is_attributed(self) -> bool:
        """True if some campaign was credited."""
        return bool(self.credits)

    @property
    def attributed(self) -> Money:
        """The revenue credited to campaigns: all of it, or zero if unattributed."""
        if self.credits:
            return self.conversion.revenue
        return Money.zero(self.conversion.revenue.currency)


# -- building conversions -------------------------------------------------------------


def _order_revenue(order: Order) -> Money:
    """An order's revenue excluding tax, in whole minor units.

    The order's ``amount`` (total less refunds) less its tax. A refund is
    taken to give back tax in the order's proportion of tax to total, so
    with refunds the tax-free part is ``amount * (total - tax) / total``.
    """
    amount = order.amount
    tax = order.tax
    if tax.is_zero():
        return amount.rounded()
    if not order.refunds:
        return (amount - tax).rounded()
    total = order.total
    return (amount * (total - tax).ratio(total)).rounded()


def conversions_from(
    *, orders: Iterable[Order] = (), opportunities: Iterable[Opportunity] = ()
) -> tuple[RevenueConversion, ...]:
    """The conversions of won opportunities and purchase orders.

    * A **won** opportunity converts at its win (:attr:`closed_at`) for its
      amount (the sum of its lines' net amounts while it has lines), rounded
      to its currency's minor unit. Open and lost ones are left out.
    * A **purchase** order (:attr:`~crmcore.commerce.Order.is_purchase`: not
      cancelled and not wholly refunded) converts when it was placed for its
      revenue **excluding tax**: what a marketer counts as revenue is net
      sales, not the tax collected for the state. That is the order's
      ``amount`` (total less refunds) less its tax; with refunds, the refunds
      are taken to carry tax in the order's proportion (see the docs page).

    Conversions of no revenue (a free order, a won deal of zero) are left out.
    Opportunities come first, then orders, each in the order given.

    Raises:
        InvalidType: an item is not an Order or an Opportunity
            (``$.orders[i]``, ``$.opportunities[i]``).
        ValidationError: more than :data:`MAX_ATTRIBUTION_RECORDS` of either
            (``$.orders``/``$.opportunities``, code ``too_many``).
    """
    found: list[RevenueConversion] = []
    for index, opportunity in enumerate(require_iterable(opportunities, "$.opportunities")):
        _count(index, "$.opportunities")
        if not isinstance(opportunity, Opportunity):
            raise InvalidType(
                f"must be an Opportunity, not {type_name(opportunity)}",
                path=f"$.opportunities[{index}]",
            )
        won_at = opportunity.closed_at
        if opportunity.is_won and won_at is not None:
            revenue = opportunity.amount.rounded()
            if not revenue.is_zero():
                found.append(
                    RevenueConversion(opportunity.customer_id, won_at, revenue, opportunity.id)
                )
    for index, order in enumerate(require_iterable(orders, "$.orders")):
        _count(index, "$.orders")
        if not isinstance(order, Order):
            raise InvalidType(
                f"must be an Order, not {type_name(order)}", path=f"$.orders[{index}]"
            )
        if order.is_purchase:
            revenue = _order_revenue(order)
            if revenue.amount > 0:
                found.append(RevenueConversion(order.customer_id, order.at, revenue, order.id))
    return tuple(found)


def _count(index: int, path: str) -> None:
    if index >= MAX_ATTRIBUTION_RECORDS:
        raise ValidationError(
            f"must hold at most {MAX_ATTRIBUTION_RECORDS} records", path=path, code="too_many"
        )


# -- attribution ----------------------------------------------------------------------


def _positive_span(value: object, path: str) -> timedelta:
    if not isinstance(value, timedelta):
        raise InvalidType(f"must be a timedelta, not {type_name(value)}", path=path)
    if value <= timedelta(0):
        raise ValidationError(
            "must be a positive span of time (an empty or negative window credits nothing)",
            path=path,
            code="not_positive",
        )
    return value


def _micros(span: timedelta) -> int:
    return (span.days * 86_400 + span.seconds) * 1_000_000 + span.microseconds


def _decay_weight(age: timedelta, half_life_us: int) -> Decimal:
    """``2 ** -(age / half_life)``, cut to 30 decimal places (zero below ``2 ** -100``)."""
    exponent = _DECAY.multiply(-_DECAY.divide(Decimal(_micros(age)), Decimal(half_life_us)), _LN2)
    if exponent < _DECAY_FLOOR:
        return Decimal(0)
    return _DECAY.exp(exponent).quantize(_DECAY_QUANTUM, context=_DECAY)


def _touch_weights(
    window: list[Touch], model: AttributionModel, at: datetime, half_life_us: int
) -> list[int] | list[Decimal]:
    """One weight per touch of ``window`` (oldest first) by ``model``."""
    count = len(window)
    if model is AttributionModel.FIRST_TOUCH:
        return [1] + [0] * (count - 1)
    if model is AttributionModel.LAST_TOUCH:
        return [0] * (count - 1) + [1]
    if model is AttributionModel.LINEAR:
        return [1] * count
    if model is AttributionModel.POSITION_BASED:
        if count <= 2:  # one touch takes all, two share evenly
            return [1] * count
        # 40 : 20/(n-2) : 40 is 2(n-2) : 1 : 2(n-2) in whole numbers (the 20% spread evenly).
        ends = 2 * (count - 2)
        return [ends] + [1] * (count - 2) + [ends]
    # Time decay, relative to the newest touch (weight 1): the ratios are those of
    # 2 ** -(age / half_life), and the newest touch never underflows to zero.
    newest = at - window[-1].at
    return [_decay_weight((at - touch.at) - newest, half_life_us) for touch in window]


def _credits(
    conversion: RevenueConversion, window: list[Touch], weights: Sequence[int | Decimal]
) -> tuple[CampaignCredit, ...]:
    """Sum the weights per campaign (first-touch order) and allocate the revenue."""
    order: list[CampaignId] = []
    totals: dict[CampaignId, Decimal] = {}
    counts: dict[CampaignId, int] = {}
    for touch, weight in zip(window, weights, strict=True):
        campaign = touch.campaign_id
        if campaign not in totals:
            order.append(campaign)
            totals[campaign] = Decimal(0)
            counts[campaign] = 0
        totals[campaign] = _EXACT.add(totals[campaign], Decimal(weight))
        counts[campaign] += 1
    credited = [campaign for campaign in order if totals[campaign] > 0]
    parts = conversion.revenue.allocate([totals[campaign] for campaign in credited])
    return tuple(
        CampaignCredit(campaign, part, counts[campaign])
        for campaign, part in zip(credited, parts, strict=True)
    )


def _checked_conversions(conversions: object) -> list[RevenueConversion]:
    found: list[RevenueConversion] = []
    seen: set[OrderId | OpportunityId] = set()
    for index, conversion in enumerate(require_iterable(conversions, "$.conversions")):
        _count(index, "$.conversions")
        path = f"$.conversions[{index}]"
        if not isinstance(conversion, RevenueConversion):
            raise InvalidType(
                f"must be a RevenueConversion, not {type_name(conversion)}", path=path
            )
        if conversion.source_id in seen:
            raise ValidationError(
                "must not repeat a source already given", path=f"{path}.source_id", code="duplicate"
            )
        seen.add(conversion.source_id)
        found.append(conversion)
    return found


def _touches_by_customer(touches: object) -> dict[CustomerId, list[Touch]]:
    by_customer: dict[CustomerId, list[Touch]] = {}
    for index, touch in enumerate(require_iterable(touches, "$.touches")):
        _count(index, "$.touches")
        if not isinstance(touch, Touch):
            raise InvalidType(
                f"must be a Touch, not {type_name(touch)}", path=f"$.touches[{index}]"
            )
        by_customer.setdefault(touch.customer_id, []).append(touch)
    for listed in by_customer.values():
        listed.sort(key=lambda t: (t.at, t.campaign_id.value))
    return by_customer


def _window_start(at: datetime, lookback: timedelta) -> datetime | None:
    try:
        return at - lookback
    except OverflowError:  # before datetime.min: every earlier touch is in the window
        return None


def attribute(
    conversions: Iterable[RevenueConversion],
    touches: Iterable[Touch],
    *,
    model: AttributionModel | str,
    lookback: timedelta,
    half_life: timedelta = DEFAULT_HALF_LIFE,
) -> tuple[Attribution, ...]:
    """Credit each conversion's revenue to the campaigns that touched its customer before it.

    The touches of a conversion are those of its customer with
    ``conversion.at - lookback <= touch.at <= conversion.at``; ``model``
    weighs them (see :class:`AttributionModel`; ``half_life`` is the
    time-decay half-life), the weights add up per campaign, and the revenue
    is split in proportion with :meth:`Money.allocate <crmcore.Money.allocate>`:
    whole minor units that add up to the revenue exactly, the units left over
    going to the largest remainders (the campaign touched first on a tie).

    Returns one :class:`Attribution` per conversion, ordered by conversion
    time, then source id: the order of the inputs does not matter. A
    conversion without touches in its window is returned unattributed.

    >>> from datetime import datetime, timedelta, timezone
    >>> from crmcore import Money
    >>> day = lambda d: datetime(2026, 3, d, tzinfo=timezone.utc)
    >>> touches = [
    ...     Touch(CampaignId("webinar"), CustomerId("c-1"), day(1)),
    ...     Touch(CampaignId("email"), CustomerId("c-1"), day(5)),
    ...     Touch(CampaignId("ads"), CustomerId("c-1"), day(8)),
    ... ]
    >>> sale = RevenueConversion(CustomerId("c-1"), day(10), Money("1000", "USD"), OrderId("o-1"))
    >>> (attribution,) = attribute(
    ...     [sale], touches, model="position_based", lookback=timedelta(days=30)
    ... )
    >>> [(str(c.campaign_id), str(c.amount)) for c in attribution.credits]
    [('webinar', '400.00 USD'), ('email', '200.00 USD'), ('ads', '400.00 USD')]

    Raises:
        ValidationError: ``lookback`` or ``half_life`` is zero or negative
            (``$.lookback``/``$.half_life``, code ``not_positive``); an unknown
            model (``$.model``, code ``choice``); a source id given twice
            (``$.conversions[i].source_id``, code ``duplicate``); more than
            :data:`MAX_ATTRIBUTION_RECORDS` conversions or touches, more than
            :data:`MAX_TOUCHES_PER_CONVERSION` touches in one window
            (``$.conversions[i]``) or more than :data:`MAX_CREDITED_TOUCHES`
            credited in all (``$.touches``), each code ``too_many``.
        InvalidType: an item is not a RevenueConversion or a Touch.
    """
    chosen = _model(model)
    window_span = _positive_span(lookback, "$.lookback")
    half_life_us = _micros(_positive_span(half_life, "$.half_life"))
    checked = _checked_conversions(conversions)
    by_customer = _touches_by_customer(touches)
    times = {customer: [t.at for t in listed] for customer, listed in by_customer.items()}
    indexed = sorted(
        enumerate(checked),
        key=lambda item: (
            item[1].at,
            type(item[1].source_id).__name__,
            item[1].source_id.value,
        ),
    )
    results: list[Attribution] = []
    credited = 0
    for index, conversion in indexed:
        listed = by_customer.get(conversion.customer_id, [])
        ats = times.get(conversion.customer_id, [])
        start = _window_start(conversion.at, window_span)
        low = 0 if start is None else bisect.bisect_left(ats, start)
        high = bisect.bisect_right(ats, conversion.at)
        size = max(high - low, 0)
        if size > MAX_TOUCHES_PER_CONVERSION:
            raise ValidationError(
                f"must have at most {MAX_TOUCHES_PER_CONVERSION} touches in its window",
                path=f"$.conversions[{index}]",
                code="too_many",
            )
        credited += size
        if credited > MAX_CREDITED_TOUCHES:
            raise ValidationError(
                f"must credit at most {MAX_CREDITED_TOUCHES} touches in all",
                path="$.touches",
                code="too_many",
            )
        window = listed[low:high]
        if not window:
            results.append(Attribution(conversion, chosen, ()))
            continue
        weights = _touch_weights(window, chosen, conversion.at, half_life_us)
        results.append(Attribution(conversion, chosen, _credits(conversion, window, weights)))
    return tuple(results)
