"""Campaign return on investment: responses, conversions, costs per lead and acquisition, ROI.

:func:`campaign_roi` puts a campaign's members, its actual cost and the revenue
:func:`~crmcore.marketing.attribute` credited to it side by side, as the
campaign reports of HubSpot and Salesforce do.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date
from decimal import Decimal
from typing import Final

import attrs

from crmcore._kernel._checks import require_date, type_name
from crmcore._kernel._currencies import CURRENCIES
from crmcore._kernel._fields import Checked
from crmcore._kernel._ids import CampaignId
from crmcore._kernel._money import Money
from crmcore._kernel._records import fields_of, require_iterable
from crmcore.errors import CurrencyMismatch, InvalidType, ValidationError
from crmcore.exchange import RateTable
from crmcore.marketing._attribution import MAX_ATTRIBUTION_RECORDS, Attribution, AttributionModel
from crmcore.marketing._campaigns import Campaign

__all__ = ["CampaignRoi", "campaign_roi"]

_MAX: Final = MAX_ATTRIBUTION_RECORDS


@attrs.frozen(slots=True)
class CampaignRoi(Checked):
    """How one campaign did: who it reached, what it cost and what it brought in.

    Money is in :attr:`currency`, rounded to its minor unit where divided.

    Attributes:
        campaign_id: the campaign.
        currency: the currency of the money below.
        members: its members.
        responses: members who responded (a first response time is set): its leads.
        converted_members: members marked converted.
        conversions: attributed conversions that credited it some revenue.
        cost: its actual cost (zero if none was recorded).
        attributed_revenue: the revenue credited to it.
        cost_per_lead: ``cost / responses`` (``None`` without responses).
        cost_per_acquisition: ``cost / conversions`` (``None`` without conversions).
        roi: ``(attributed_revenue - cost) / cost`` (``None`` when nothing was spent).
    """

    campaign_id: CampaignId
    currency: str
    members: int
    responses: int
    converted_members: int
    conversions: int
    cost: Money
    attributed_revenue: Money
    cost_per_lead: Money | None
    cost_per_acquisition: Money | None
    roi: Decimal | None


def _count(index: int, path: str) -> None:
    if index >= _MAX:
        raise ValidationError(f"must hold at most {_MAX} records", path=path, code="too_many")


def _checked_campaigns(campaigns: object) -> list[Campaign]:
    found: list[Campaign] = []
    seen: set[CampaignId] = set()
    for index, campaign in enumerate(require_iterable(campaigns, "$.campaigns")):
        _count(index, "$.campaigns")
        path = f"$.campaigns[{index}]"
        if not isinstance(campaign, Campaign):
            raise InvalidType(f"must be a Campaign, not {type_name(campaign)}", path=path)
        if campaign.id in seen:
            raise ValidationError(
                "must not repeat a campaign already given", path=f"{path}.id", code="duplicate"
            )
        seen.add(campaign.id)
        found.append(campaign)
    return found


def _member_counts(members: object, wanted: set[CampaignId]) -> dict[CampaignId, list[int]]:
    """Per campaign: [members, responses, converted members]."""
    counts: dict[CampaignId, list[int]] = {campaign: [0, 0, 0] for campaign in wanted}
    for index, member in enumerate(require_iterable(members, "$.members")):
        _count(index, "$.members")
        path = f"$.members[{index}]"
        campaign_id, responded_at, converted_at = fields_of(
            member, ("campaign_id", "first_responded_at", "converted_at"), path
        )
        if not isinstance(campaign_id, CampaignId):
            raise InvalidType(
                f"must be a CampaignId, not {type_name(campaign_id)}", path=f"{path}.campaign_id"
            )
        row = counts.get(campaign_id)
        if row is None:
            continue  # a member of a campaign not reported on
        row[0] += 1
        row[1] += responded_at is not None
        row[2] += converted_at is not None
    return counts


class _Converter:
    """Brings amounts into a campaign's currency, with the rates when there are some."""

    def __init__(self, rates: RateTable | None) -> None:
        self.rates = rates

    def to(self, money: Money, currency: str, *, on: date | None, path: str, on_path: str) -> Money:
        if money.currency == currency:
            return money
        if self.rates is None:
            raise CurrencyMismatch(
                f"is in {money.currency}, not {currency}; pass rates to convert it", path=path
            )
        if on is None:
            raise ValidationError(
                "is needed to convert a cost in another currency (the campaign has no dates)",
                path=on_path,
                code="required",
            )
        try:
            return self.rates.convert(money, currency, on=on)
        except ValidationError as exc:
            raise exc.under(path) from None


def _checked_attributions(attributions: object) -> list[Attribution]:
    found: list[Attribution] = []
    model: AttributionModel | None = None
    seen: set[object] = set()
    for index, attribution in enumerate(require_iterable(attributions, "$.attributions")):
        _count(index, "$.attributions")
        path = f"$.attributions[{index}]"
        if not isinstance(attribution, Attribution):
            raise InvalidType(f"must be an Attribution, not {type_name(attribution)}", path=path)
        if model is None:
            model = attribution.model
        elif attribution.model is not model:
            raise ValidationError(
                f"must be by one model ({model.value}), so no revenue counts twice",
                path=f"{path}.model",
                code="mixed_models",
            )
        source = attribution.conversion.source_id
        if source in seen:
            raise ValidationError(
                "must not repeat a conversion already given",
                path=f"{path}.conversion.source_id",
                code="duplicate",
            )
        seen.add(source)
        found.append(attribution)
    return found


def _report_currency(
    campaign: Campaign, currency: str | None, credited: list[Money], path: str
) -> str:
    if currency is not None:
        return currency
    if campaign.currency is not None:
        return campaign.currency
    if credited:
        return credited[0].currency
    raise ValidationError(
        "has no budget, cost or attributed revenue to take a currency from: pass currency",
        path=path,
        code="no_currency",
    )


def _per(cost: Money, count: int) -> Money | None:
    return (cost / count).rounded() if count else None


def campaign_roi(
    campaigns: Iterable[Campaign],
    members: Iterable[object],
    attributions: Iterable[Attribution],
    *,
    currency: str | None = None,
    rates: RateTable | None = None,
    cost_on: date | None = None,
) -> tuple[CampaignRoi, ...]:
    """One :class:`CampaignRoi` per campaign, in the order given.

    ``members`` are campaign members (objects with ``campaign_id``,
    ``first_responded_at`` and ``converted_at``, as
    :class:`~crmcore.marketing.CampaignMember`); members of campaigns not
    given are passed over. ``attributions`` come from one call of
    :func:`~crmcore.marketing.attribute` (one model); credits to campaigns not
    given are passed over, and unattributed conversions credit no one.

    * **responses** are the members with a first response (the campaign's
      leads); **cost per lead** is the cost over them.
    * **conversions** are the attributed conversions that credited the
      campaign (with first or last touch, only the ones it won; with the
      multi-touch models, every one it shared); **cost per acquisition** is
      the cost over them. ``converted_members`` counts the members marked
      converted, for comparison.
    * **ROI** is ``(attributed revenue - cost) / cost``: 0.5 means the
      campaign brought in one and a half times what it cost; ``None`` when
      nothing was spent.

    Money is reported in ``currency`` if given, else in the campaign's own
    (its budget's or cost's), else in that of its first credit. Amounts in
    another currency are converted with ``rates`` (a
    :class:`~crmcore.exchange.RateTable`): revenue on the conversion's day,
    costs on ``cost_on`` (default the campaign's end, else its start).

    >>> from datetime import datetime, timedelta, timezone
    >>> from crmcore import CustomerId, Money
    >>> from crmcore.commerce import OrderId
    >>> from crmcore.marketing import Campaign, CampaignId, RevenueConversion, Touch, attribute
    >>> at = datetime(2026, 3, 1, tzinfo=timezone.utc)
    >>> spring = Campaign.create(CampaignId("spring"), name="Spring", campaign_type="email", at=at)
    >>> spring = spring.record_cost(Money("200", "USD"), at=at)
    >>> touch = Touch(CampaignId("spring"), CustomerId("c-1"), at)
    >>> sale = RevenueConversion(
    ...     CustomerId("c-1"), at + timedelta(days=2), Money("500.00", "USD"), OrderId("o-1")
    ... )
    >>> credited = attribute([sale], [touch], model="last_touch", lookback=timedelta(days=30))
    >>> (row,) = campaign_roi([spring], [], credited)
    >>> row.attributed_revenue, row.cost_per_acquisition, row.roi
    (Money('500.00', 'USD'), Money('200.00', 'USD'), Decimal('1.50'))

    Raises:
        CurrencyMismatch: an amount is in another currency and no ``rates``
            were given (the path names it: ``$.campaigns[i].actual_cost`` or
            ``$.attributions[i].credits[j].amount``).
        ValidationError: a campaign given twice (``$.campaigns[i].id``,
            ``duplicate``); attributions of more than one model
            (``$.attributions[i].model``, ``mixed_models``) or a conversion
            twice (``duplicate``); no currency to report a campaign in
            (``$.campaigns[i]``, ``no_currency``); no rate for a day (the
            amount's path then ``.on``); no day to convert a cost on
            (``$.cost_on``, ``required``).
    """
    report_in = None if currency is None else _currency_code(currency)
    checked_on = None if cost_on is None else require_date(cost_on, "$.cost_on")
    if rates is not None and not isinstance(rates, RateTable):
        raise InvalidType(f"must be a RateTable, not {type_name(rates)}", path="$.rates")
    listed = _checked_campaigns(campaigns)
    wanted = {campaign.id for campaign in listed}
    counts = _member_counts(members, wanted)
    # Per campaign: (credit path, amount, conversion day) of every credit it got.
    received: dict[CampaignId, list[tuple[str, Money, date]]] = {c: [] for c in wanted}
    for index, attribution in enumerate(_checked_attributions(attributions)):
        day = attribution.conversion.at.date()
        for number, credit in enumerate(attribution.credits):
            found = received.get(credit.campaign_id)
            if found is not None:
                path = f"$.attributions[{index}].credits[{number}].amount"
                found.append((path, credit.amount, day))
    convert = _Converter(rates)
    rows: list[CampaignRoi] = []
    for index, campaign in enumerate(listed):
        path = f"$.campaigns[{index}]"
        got = received[campaign.id]
        code = _report_currency(campaign, report_in, [amount for _, amount, _ in got], path)
        cost = Money.zero(code)
        if campaign.actual_cost is not None:
            on = checked_on or campaign.end or campaign.start
            cost = convert.to(
                campaign.actual_cost,
                code,
                on=on,
                path=f"{path}.actual_cost",
                on_path="$.cost_on",
            )
        amounts = [
            convert.to(amount, code, on=day, path=where, on_path=where)
            for where, amount, day in got
        ]
        revenue = Money.total(amounts, currency=code)
        members_count, responses, converted = counts[campaign.id]
        conversions = len(got)
        rows.append(
            CampaignRoi(
                campaign.id,
                code,
                members_count,
                responses,
                converted,
                conversions,
                cost,
                revenue,
                _per(cost, responses),
                _per(cost, conversions),
                None if cost.is_zero() else (revenue - cost).ratio(cost),
            )
        )
    return tuple(rows)


def _currency_code(value: object) -> str:
    if not isinstance(value, str):
        raise InvalidType(f"must be an ISO 4217 code, not {type_name(value)}", path="$.currency")
    code = value.strip().upper()
    if code not in CURRENCIES:
        raise ValidationError(
            "must be an active ISO 4217 currency code such as 'USD'",
            path="$.currency",
            code="currency",
        )
    return code
