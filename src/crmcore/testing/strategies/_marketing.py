"""Strategies for marketing: campaigns and campaign members, built by their commands."""

from __future__ import annotations

import functools
import itertools
import string
from collections.abc import Iterable
from datetime import date, datetime, timedelta
from typing import Final

from hypothesis import strategies as st

from crmcore._kernel._checks import type_name
from crmcore._kernel._ids import CampaignId, CampaignMemberId, CustomerId, LeadId
from crmcore.customers import Channel, Customer, PersonName
from crmcore.errors import InvalidType, ValidationError
from crmcore.marketing import (
    CAMPAIGN_STATUSES,
    MEMBER_STATUSES,
    Campaign,
    CampaignMember,
    CampaignStatus,
    CampaignType,
    MemberStatus,
)
from crmcore.testing.strategies._base import (
    _as_drawn,
    _command_times,
    _currency_choices,
    _id_pool,
    _int_arg,
    _prices,
    _window,
    customer_ids,
)

_CAMPAIGN_NAMES: Final = (
    "Spring sale",
    "Webinar: CRM 101",
    "Ramadan promo 2026",
    "Q3 partner event",
    "Retargeting, lapsed buyers",
)
#: Most ids a subject pool may list (what a strategy argument reasonably holds).
MAX_POOL: Final = 10_000
_UTM_CHARS: Final = string.ascii_lowercase + string.digits + "._~+-"
_CAMPAIGN_COMMANDS: Final = ("move", "cost", "budget", "rename", "dates")
#: The channels a campaign reaches people on.
_CHANNELS: Final = (Channel.EMAIL, Channel.SMS, Channel.WHATSAPP, Channel.SOCIAL, Channel.POSTAL)


@functools.cache
def _campaign_names() -> st.SearchStrategy[str]:
    word = st.text(string.ascii_letters + string.digits + "-,:()", min_size=1, max_size=12)
    return st.sampled_from(_CAMPAIGN_NAMES) | st.lists(word, min_size=1, max_size=4).map(" ".join)


@functools.cache
def _utms() -> st.SearchStrategy[str | None]:
    return st.none() | st.text(_UTM_CHARS, min_size=1, max_size=20)


@st.composite
def _dates(draw: st.DrawFn, around: datetime) -> tuple[date | None, date | None]:
    start = draw(st.none() | st.integers(-30, 60).map(lambda d: around.date() + timedelta(d)))
    end = draw(st.none() | st.integers(0, 90))
    if end is None:
        return start, None
    base = start if start is not None else around.date()
    return start, base + timedelta(days=end)


def campaigns(
    *,
    campaign_ids: Iterable[CampaignId] | None = None,
    parent_ids: Iterable[CampaignId] | None = None,
    currencies: Iterable[str] | None = None,
    max_steps: int = 4,
    min_created_at: datetime | None = None,
    max_created_at: datetime | None = None,
    pending_events: bool = True,
) -> st.SearchStrategy[Campaign]:
    """Valid :class:`~crmcore.marketing.Campaign` aggregates built by their commands.

    Each is created (with or without channel, dates, budget, parent and UTM
    tags), then goes through up to ``max_steps`` commands (a status move the
    machine allows, a cost, a budget change, a rename, new dates) at
    non-decreasing times. Budget and costs share one currency.

    Args:
        campaign_ids: the ids drawn from; any id by default.
        parent_ids: the parents drawn from (never the campaign itself); any id or none by default.
        currencies: the currencies of budget and costs; every ISO 4217 code by default.
        max_steps: the most commands after creation (0 to 20).
        min_created_at: the earliest creation (aware); 2000 by default.
        max_created_at: the latest creation (aware); 2099 by default.
        pending_events: ``False`` to draw campaigns as a repository stores them.

    Raises:
        InvalidType: an argument of the wrong type.
        ValidationError: a bound out of range, crossed bounds, an empty choice.
    """
    built = _campaigns(
        ids=_id_pool(campaign_ids, "$.campaign_ids", CampaignId),
        parents=_id_pool(parent_ids, "$.parent_ids", CampaignId),
        codes=_currency_choices(currencies),
        max_steps=_int_arg(max_steps, "$.max_steps", maximum=20),
        start=_window(min_created_at, max_created_at),
    )
    return _as_drawn(built, pending_events)


@st.composite
def _campaigns(
    draw: st.DrawFn,
    *,
    ids: st.SearchStrategy[CampaignId],
    parents: st.SearchStrategy[CampaignId],
    codes: tuple[str, ...],
    max_steps: int,
    start: st.SearchStrategy[datetime],
) -> Campaign:
    code = draw(st.sampled_from(codes))
    costs = _prices(code)
    at = draw(start)
    campaign_id = draw(ids)
    parent = draw(st.none() | parents)
    first, last = draw(_dates(at))
    campaign = Campaign.create(
        campaign_id,
        name=draw(_campaign_names()),
        campaign_type=draw(st.sampled_from(CampaignType)),
        channel=draw(st.none() | st.sampled_from(_CHANNELS)),
        start=first,
        end=last,
        budget=draw(st.none() | costs),
        parent_id=None if parent == campaign_id else parent,
        utm_source=draw(_utms()),
        utm_medium=draw(_utms()),
        utm_campaign=draw(_utms()),
        at=at,
    )
    for when in _command_times(draw, at, max_steps):
        command = draw(st.sampled_from(_CAMPAIGN_COMMANDS))
        if command == "move" and campaign.is_open:
            wanted = draw(st.sampled_from(sorted(CAMPAIGN_STATUSES.allowed(campaign.status))))
            if wanted is CampaignStatus.ACTIVE:
                campaign = campaign.activate(at=when)
            elif wanted is CampaignStatus.COMPLETED:
                campaign = campaign.complete(at=when)
            else:
                campaign = campaign.abort(at=when)
        elif command == "cost":
            campaign = campaign.record_cost(draw(costs), at=when)
        elif command == "budget":
            campaign = campaign.change_budget(draw(st.none() | costs), at=when)
        elif command == "rename":
            campaign = campaign.rename(draw(_campaign_names()), at=when)
        elif command == "dates":
            first, last = draw(_dates(when))
            campaign = campaign.change_dates(first, last, at=when)
    return campaign


def campaign_members(
    *,
    member_ids: Iterable[CampaignMemberId] | None = None,
    campaign_ids: Iterable[CampaignId] | None = None,
    customer_ids: Iterable[CustomerId] | None = None,
    lead_ids: Iterable[LeadId] | None = None,
    max_steps: int = 4,
    min_created_at: datetime | None = None,
    max_created_at: datetime | None = None,
    pending_events: bool = True,
) -> st.SearchStrategy[CampaignMember]:
    """Valid :class:`~crmcore.marketing.CampaignMember` aggregates built by their commands.

    Each names a customer or a lead (a lead only when ``lead_ids`` is not
    empty, a customer only when ``customer_ids`` is not empty), then takes up
    to ``max_steps`` status steps the machine allows at non-decreasing times.
    A customer's member is sent its message with the consent of a customer
    who granted marketing on the member's channel; a lead's member skips
    sending (it responds, converts or unsubscribes without a message).

    Args:
        member_ids: the ids drawn from; any id by default.
        campaign_ids: the campaigns drawn from; any id by default.
        customer_ids: the customers drawn from (empty: none); any id by default.
        lead_ids: the leads drawn from (empty: none); any id by default.
        max_steps: the most status steps (0 to 7).
        min_created_at: the earliest addition (aware); 2000 by default.
        max_created_at: the latest addition (aware); 2099 by default.
        pending_events: ``False`` to draw members as a repository stores them.

    Raises:
        InvalidType: an argument of the wrong type.
        ValidationError: a bound out of range, crossed bounds, both subject choices empty.
    """
    customers = _subject_pool(customer_ids, "$.customer_ids", CustomerId)
    leads = _subject_pool(lead_ids, "$.lead_ids", LeadId)
    if customers is None and leads is None:
        raise ValidationError(
            "must leave customers or leads to draw from", path="$.customer_ids", code="empty"
        )
    subjects: st.SearchStrategy[CustomerId | LeadId]
    if customers is None:
        subjects = leads  # type: ignore[assignment]
    elif leads is None:
        subjects = customers
    else:
        subjects = customers | leads
    built = _members(
        ids=_id_pool(member_ids, "$.member_ids", CampaignMemberId),
        campaign_ids=_id_pool(campaign_ids, "$.campaign_ids", CampaignId),
        subjects=subjects,
        max_steps=_int_arg(max_steps, "$.max_steps", maximum=7),
        start=_window(min_created_at, max_created_at),
    )
    return _as_drawn(built, pending_events)


def _subject_pool(
    value: object, path: str, cls: type[CustomerId | LeadId]
) -> st.SearchStrategy[CustomerId | LeadId] | None:
    """The ids to draw from: any by default; ``None`` when ``value`` is empty (none of them)."""
    if value is None:
        return customer_ids() if cls is CustomerId else _id_pool(None, path, cls)
    if isinstance(value, str) or not isinstance(value, Iterable):
        raise InvalidType(f"must be an iterable of ids, not {type_name(value)}", path=path)
    listed = list(itertools.islice(value, MAX_POOL + 1))
    return _id_pool(listed, path, cls) if listed else None


@st.composite
def _members(
    draw: st.DrawFn,
    *,
    ids: st.SearchStrategy[CampaignMemberId],
    campaign_ids: st.SearchStrategy[CampaignId],
    subjects: st.SearchStrategy[CustomerId | LeadId],
    max_steps: int,
    start: st.SearchStrategy[datetime],
) -> CampaignMember:
    at = draw(start)
    subject = draw(subjects)
    channel = draw(st.sampled_from(_CHANNELS))
    member = CampaignMember.add(
        draw(ids),
        campaign_id=draw(campaign_ids),
        customer_id=subject if type(subject) is CustomerId else None,
        lead_id=subject if type(subject) is LeadId else None,
        channel=channel,
        at=at,
    )
    for when in _command_times(draw, at, max_steps):
        allowed = MEMBER_STATUSES.allowed(member.status)
        if member.customer_id is None:
            allowed = allowed - {MemberStatus.SENT}
        if not allowed:
            break
        wanted = draw(st.sampled_from(sorted(allowed)))
        if wanted is MemberStatus.SENT:
            customer = Customer.register(member.customer_id, name=PersonName("Test"), at=at)  # type: ignore[arg-type]
            customer = customer.give_consent(channel, "marketing", at=at, source="strategy")
            member = member.send(at=when, customer=customer)
        else:
            member = _STEPS[wanted](member, when)
    return member


_STEPS: Final = {
    MemberStatus.DELIVERED: lambda m, at: m.mark_delivered(at=at),
    MemberStatus.OPENED: lambda m, at: m.mark_opened(at=at),
    MemberStatus.CLICKED: lambda m, at: m.mark_clicked(at=at),
    MemberStatus.RESPONDED: lambda m, at: m.respond(at=at),
    MemberStatus.CONVERTED: lambda m, at: m.convert(at=at),
    MemberStatus.UNSUBSCRIBED: lambda m, at: m.unsubscribe(at=at),
}
