"""Marketing campaigns: type, channel, dates, budget and actual cost, parent, UTM tags and status.

A :class:`Campaign` moves through a small status machine (``CAMPAIGN_STATUSES``)::

    planned -> active, aborted
    active  -> completed, aborted

``completed`` and ``aborted`` are final. The dates are calendar days
(``start`` and ``end``, both optional; the end is never before the start), as
Salesforce's and HubSpot's campaign start and end dates are. The budget and
the actual cost are :class:`~crmcore.Money` of zero or more, in one currency.
:meth:`Campaign.record_cost` *adds* a cost to the actual cost (costs arrive as
invoices, one at a time), in any status: invoices come after a campaign ends.

Events carry ids, codes, dates, amounts and the campaign's name: a campaign's
name names the campaign, never a person.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from datetime import date, datetime
from enum import StrEnum
from typing import Any, Final, Unpack

import attrs

from crmcore._kernel._aggregate import Aggregate, optional_typed_id
from crmcore._kernel._checks import (
    aware,
    clean_text,
    enum_converter,
    items_of,
    require_date,
    type_name,
)
from crmcore._kernel._events import DomainEvent, EventMeta
from crmcore._kernel._ids import CampaignId
from crmcore._kernel._money import Money, money_at_least_zero, same_currency
from crmcore._kernel._status import StatusMachine
from crmcore.customers import Channel
from crmcore.errors import InvalidType, ValidationError

#: Longest campaign name, in characters.
MAX_CAMPAIGN_NAME: Final = 120
#: Longest UTM value, in characters.
MAX_UTM: Final = 100
#: Most status changes a campaign may hold (it takes at most two).
MAX_CAMPAIGN_HISTORY: Final = 3

#: UTM values: URL-safe tokens (RFC 3986 unreserved characters and ``+``), such as
#: ``"newsletter"``, ``"cpc"`` or ``"spring_sale-2026"``.
_UTM = re.compile(r"[A-Za-z0-9._~+-]+")


class CampaignType(StrEnum):
    """What kind of campaign it is (the types Salesforce and HubSpot offer, in short)."""

    EMAIL = "email"
    WEBINAR = "webinar"
    EVENT = "event"
    PAID_ADS = "paid_ads"
    SOCIAL = "social"
    DIRECT_MAIL = "direct_mail"
    REFERRAL = "referral"
    OTHER = "other"


class CampaignStatus(StrEnum):
    """Where a campaign stands."""

    PLANNED = "planned"
    ACTIVE = "active"
    COMPLETED = "completed"
    ABORTED = "aborted"


_S = CampaignStatus
#: The status machine of campaigns.
CAMPAIGN_STATUSES: Final = StatusMachine(
    "campaign",
    {
        _S.PLANNED: {_S.ACTIVE, _S.ABORTED},
        _S.ACTIVE: {_S.COMPLETED, _S.ABORTED},
    },
)


# -- values ----------------------------------------------------------------------------------


def _campaign_name(value: object) -> str:
    return clean_text(value, "$.name", max_length=MAX_CAMPAIGN_NAME, what="a campaign name")


def _campaign_type(value: object) -> CampaignType:
    return enum_converter(CampaignType, "$.campaign_type")(value)


def _channel(value: object) -> Channel | None:
    return None if value is None else enum_converter(Channel, "$.channel")(value)


def _day(value: object, path: str) -> date | None:
    return None if value is None else require_date(value, path)


def _start(value: object) -> date | None:
    return _day(value, "$.start")


def _end(value: object) -> date | None:
    return _day(value, "$.end")


def _budget(value: object) -> Money | None:
    return None if value is None else money_at_least_zero(value, "$.budget")


def _actual_cost(value: object) -> Money | None:
    return None if value is None else money_at_least_zero(value, "$.actual_cost")


def utm_value(value: object, path: str) -> str | None:
    """An optional UTM value: 1 to 100 URL-safe characters (letters, digits and ``._~+-``).

    >>> utm_value("spring_sale-2026", "$.utm_campaign")
    'spring_sale-2026'
    >>> utm_value("spring sale", "$.utm_campaign")
    Traceback (most recent call last):
    ...
    crmcore.errors.ValidationError: $.utm_campaign: must be 1 to 100 URL-safe characters (letters, digits and ._~+-)
    """
    if value is None:
        return None
    if not isinstance(value, str):
        raise InvalidType(f"must be a str, not {type_name(value)}", path=path)
    if len(value) > MAX_UTM or _UTM.fullmatch(value) is None:
        raise ValidationError(
            f"must be 1 to {MAX_UTM} URL-safe characters (letters, digits and ._~+-)",
            path=path,
            code="utm",
        )
    return value


def _utm_source(value: object) -> str | None:
    return utm_value(value, "$.utm_source")


def _utm_medium(value: object) -> str | None:
    return utm_value(value, "$.utm_medium")


def _utm_campaign(value: object) -> str | None:
    return utm_value(value, "$.utm_campaign")


def _change_at(value: object) -> datetime:
    return aware("$.at")(value)


def _change_status(value: object) -> CampaignStatus:
    return enum_converter(CampaignStatus, "$.status")(value)


@attrs.frozen(slots=True)
class CampaignStatusChange:
    """One entry of a campaign's status history: the status entered and when.

    .. versionadded:: 0.1
    """

    status: CampaignStatus = attrs.field(converter=_change_status)
    at: datetime = attrs.field(converter=_change_at)


def _first_history(campaign: Campaign) -> tuple[CampaignStatusChange, ...]:
    return (CampaignStatusChange(CampaignStatus.PLANNED, campaign.created_at),)


def _history(value: object) -> tuple[CampaignStatusChange, ...]:
    return items_of(
        value,
        CampaignStatusChange,
        "$.history",
        "a CampaignStatusChange",
        max_items=MAX_CAMPAIGN_HISTORY,
        noun="changes",
    )


def _check_dates(start: date | None, end: date | None) -> None:
    if start is not None and end is not None and end < start:
        raise ValidationError("must not be before the start", path="$.end", code="end_before_start")


def _check_currencies(budget: Money | None, actual_cost: Money | None) -> None:
    if budget is not None and actual_cost is not None:
        same_currency(actual_cost, budget.currency, "$.actual_cost")


# -- events ----------------------------------------------------------------------------------


@attrs.frozen(slots=True, kw_only=True)
class CampaignEvent(DomainEvent, aggregate="campaign"):
    """Base of the events recorded by a :class:`Campaign` (no personal data).

    .. versionadded:: 0.1
    """

    campaign_id: CampaignId


@attrs.frozen(slots=True, kw_only=True)
class CampaignCreated(CampaignEvent):
    """A campaign was planned with these facts.

    .. versionadded:: 0.1
    """

    name: str
    campaign_type: CampaignType
    channel: Channel | None = None
    start: date | None = None
    end: date | None = None
    budget: Money | None = None
    parent_id: CampaignId | None = None
    utm_source: str | None = None
    utm_medium: str | None = None
    utm_campaign: str | None = None


@attrs.frozen(slots=True, kw_only=True)
class CampaignActivated(CampaignEvent):
    """A campaign went live.

    .. versionadded:: 0.1
    """


@attrs.frozen(slots=True, kw_only=True)
class CampaignCompleted(CampaignEvent):
    """A campaign ran its course.

    .. versionadded:: 0.1
    """


@attrs.frozen(slots=True, kw_only=True)
class CampaignAborted(CampaignEvent):
    """A campaign was stopped before it completed.

    .. versionadded:: 0.1
    """


@attrs.frozen(slots=True, kw_only=True)
class CampaignCostRecorded(CampaignEvent):
    """A cost (``amount``) was added; ``actual_cost`` is the total after it.

    .. versionadded:: 0.1
    """

    amount: Money
    actual_cost: Money


@attrs.frozen(slots=True, kw_only=True)
class CampaignBudgetChanged(CampaignEvent):
    """The budget changed from ``previous`` to ``budget`` (``None``: no budget).

    .. versionadded:: 0.1
    """

    budget: Money | None = None
    previous: Money | None = None


@attrs.frozen(slots=True, kw_only=True)
class CampaignRenamed(CampaignEvent):
    """The campaign's name changed from ``previous`` to ``name``.

    .. versionadded:: 0.1
    """

    name: str
    previous: str


@attrs.frozen(slots=True, kw_only=True)
class CampaignDatesChanged(CampaignEvent):
    """The campaign's start and end days changed (``None``: open).

    .. versionadded:: 0.1
    """

    start: date | None = None
    end: date | None = None


# -- the aggregate ---------------------------------------------------------------------------


@attrs.frozen(slots=True, kw_only=True, repr=False)
class Campaign(Aggregate[CampaignId], kind="campaign"):
    """A marketing campaign: what it is, when it runs, what it may cost and what it did cost.

    Plan one with :meth:`create` (:class:`CampaignCreated`); :meth:`activate`,
    :meth:`complete` and :meth:`abort` move it through
    :data:`CAMPAIGN_STATUSES`; :meth:`record_cost`, :meth:`change_budget`,
    :meth:`rename` and :meth:`change_dates` change it. Like every crmcore
    aggregate it is immutable; a command dated before the last change is
    refused (``time_backwards``), and a refused command changes nothing.

    >>> from datetime import date, datetime, timezone
    >>> from crmcore import Money
    >>> at = datetime(2026, 3, 2, 9, 0, tzinfo=timezone.utc)
    >>> spring = Campaign.create(
    ...     CampaignId("cmp-1"),
    ...     name="Spring sale",
    ...     campaign_type="email",
    ...     channel="email",
    ...     start=date(2026, 3, 9),
    ...     end=date(2026, 3, 31),
    ...     budget=Money("5000", "USD"),
    ...     utm_source="newsletter",
    ...     utm_medium="email",
    ...     utm_campaign="spring_sale",
    ...     at=at,
    ... )
    >>> spring = spring.activate(at=at).record_cost(Money("1200", "USD"), at=at)
    >>> spring = spring.record_cost(Money("300", "USD"), at=at)
    >>> spring.status.value, spring.actual_cost, spring.remaining_budget
    ('active', Money('1500', 'USD'), Money('3500', 'USD'))
    >>> spring.change_dates(date(2026, 3, 9), date(2026, 3, 1), at=at)
    Traceback (most recent call last):
    ...
    crmcore.errors.ValidationError: $.end: must not be before the start

    Attributes:
        name: the campaign's name (not personal: it names the campaign).
        campaign_type: a :class:`CampaignType` (``type`` is the envelope key of documents).
        channel: the :class:`~crmcore.Channel` it uses to reach people, if one.
        start, end: the first and last day it runs (calendar days; ``None``: open).
        budget: what it may cost (``None``: no budget set).
        actual_cost: what it has cost so far (``None``: nothing recorded).
        parent_id: the campaign it belongs to (a programme), if any.
        utm_source, utm_medium, utm_campaign: the UTM tags of its links.
        history: every status entered, oldest first (``planned`` at ``created_at``).

    .. versionadded:: 0.1
    """

    name: str = attrs.field(converter=_campaign_name)
    campaign_type: CampaignType = attrs.field(converter=_campaign_type)
    channel: Channel | None = attrs.field(default=None, converter=_channel)
    start: date | None = attrs.field(default=None, converter=_start)
    end: date | None = attrs.field(default=None, converter=_end)
    budget: Money | None = attrs.field(default=None, converter=_budget)
    actual_cost: Money | None = attrs.field(default=None, converter=_actual_cost)
    parent_id: CampaignId | None = attrs.field(
        default=None, validator=optional_typed_id(CampaignId, "$.parent_id")
    )
    utm_source: str | None = attrs.field(default=None, converter=_utm_source)
    utm_medium: str | None = attrs.field(default=None, converter=_utm_medium)
    utm_campaign: str | None = attrs.field(default=None, converter=_utm_campaign)
    history: tuple[CampaignStatusChange, ...] = attrs.field(
        default=attrs.Factory(_first_history, takes_self=True), converter=_history
    )

    def _check(self) -> None:
        _check_dates(self.start, self.end)
        _check_currencies(self.budget, self.actual_cost)
        if self.parent_id == self.id:
            raise ValidationError(
                "must be another campaign than this one", path="$.parent_id", code="own_parent"
            )
        CAMPAIGN_STATUSES.check_history(
            self.history,
            start=CampaignStatus.PLANNED,
            at=self.created_at,
            what="the campaign was created",
        )

    def _recorded_times(self) -> Iterable[datetime]:
        yield self.history[-1].at

    def _event_fields(self) -> Mapping[str, object]:
        return {"campaign_id": self.id}

    # -- construction ---------------------------------------------------------------------

    @classmethod
    def create(
        cls,
        campaign_id: CampaignId,
        *,
        name: str,
        campaign_type: CampaignType | str,
        at: datetime,
        channel: Channel | str | None = None,
        start: date | None = None,
        end: date | None = None,
        budget: Money | None = None,
        parent_id: CampaignId | None = None,
        utm_source: str | None = None,
        utm_medium: str | None = None,
        utm_campaign: str | None = None,
        **meta: Unpack[EventMeta],
    ) -> Campaign:
        """Plan a campaign at ``at``; records :class:`CampaignCreated`.

        Raises:
            InvalidType: ``campaign_id`` or ``parent_id`` is not a CampaignId, or
                an argument has the wrong type.
            ValidationError: an argument breaks a rule; the path names it
                (``$.name``; ``$.campaign_type`` and ``$.channel``, code ``choice``;
                ``$.end`` code ``end_before_start``; ``$.budget`` code
                ``negative``; ``$.parent_id`` code ``own_parent``;
                ``$.utm_*`` code ``utm``; ``$.at``).
        """
        command = cls._begin_new(at, meta)
        return cls._create(
            command,
            lambda campaign: CampaignCreated.draft(
                name=campaign.name,
                campaign_type=campaign.campaign_type,
                channel=campaign.channel,
                start=campaign.start,
                end=campaign.end,
                budget=campaign.budget,
                parent_id=campaign.parent_id,
                utm_source=campaign.utm_source,
                utm_medium=campaign.utm_medium,
                utm_campaign=campaign.utm_campaign,
            ),
            id=campaign_id,
            name=name,
            campaign_type=campaign_type,
            channel=channel,
            start=start,
            end=end,
            budget=budget,
            parent_id=parent_id,
            utm_source=utm_source,
            utm_medium=utm_medium,
            utm_campaign=utm_campaign,
        )

    # -- queries --------------------------------------------------------------------------

    @property
    def status(self) -> CampaignStatus:
        """The current status."""
        return self.history[-1].status

    @property
    def is_open(self) -> bool:
        """True while the campaign is planned or active."""
        return not CAMPAIGN_STATUSES.is_final(self.status)

    @property
    def currency(self) -> str | None:
        """The currency of the budget or of the costs, if either is set."""
        money = self.budget if self.budget is not None else self.actual_cost
        return None if money is None else money.currency

    @property
    def remaining_budget(self) -> Money | None:
        """The budget less the actual cost (negative when overspent); ``None`` without a budget."""
        if self.budget is None:
            return None
        if self.actual_cost is None:
            return self.budget
        return self.budget - self.actual_cost

    def runs_on(self, day: date) -> bool:
        """True if ``day`` lies within the campaign's dates (an open end runs forever)."""
        checked = require_date(day, "$.day")
        return (self.start is None or self.start <= checked) and (
            self.end is None or checked <= self.end
        )

    # -- commands -------------------------------------------------------------------------

    def _move(
        self, wanted: CampaignStatus, event: type[CampaignEvent], at: object, meta: Any
    ) -> Campaign:
        command = self._begin(at, meta)
        CAMPAIGN_STATUSES.check(self.status, wanted)
        change = CampaignStatusChange(wanted, command.at)
        return self._record(command, event.draft(), history=(*self.history, change))

    def activate(self, *, at: datetime, **meta: Unpack[EventMeta]) -> Campaign:
        """Put the campaign live; records :class:`CampaignActivated`.

        Raises:
            TransitionNotAllowed: the campaign is not planned.
            ValidationError: ``at`` is naive or before the last change.
        """
        return self._move(CampaignStatus.ACTIVE, CampaignActivated, at, meta)

    def complete(self, *, at: datetime, **meta: Unpack[EventMeta]) -> Campaign:
        """Record that the campaign ran its course; records :class:`CampaignCompleted`.

        Raises:
            TransitionNotAllowed: the campaign is not active.
            ValidationError: ``at`` is naive or before the last change.
        """
        return self._move(CampaignStatus.COMPLETED, CampaignCompleted, at, meta)

    def abort(self, *, at: datetime, **meta: Unpack[EventMeta]) -> Campaign:
        """Stop the campaign before it completes; records :class:`CampaignAborted`.

        Raises:
            TransitionNotAllowed: the campaign is completed or aborted already.
            ValidationError: ``at`` is naive or before the last change.
        """
        return self._move(CampaignStatus.ABORTED, CampaignAborted, at, meta)

    def record_cost(self, amount: Money, *, at: datetime, **meta: Unpack[EventMeta]) -> Campaign:
        """Add ``amount`` to the actual cost; records :class:`CampaignCostRecorded`.

        Costs accumulate: each call adds one cost (an invoice, a day of ad
        spend). Allowed in every status, since invoices arrive after a
        campaign ends. A zero amount changes nothing and records nothing.

        Raises:
            InvalidType: ``amount`` is not Money (``$.amount``).
            ValidationError: it is negative (``$.amount``, code ``negative``);
                it is not in the campaign's currency (``$.amount``, code
                ``currency_mismatch``); ``at`` is refused (``$.at``).
        """
        checked = money_at_least_zero(amount, "$.amount")
        command = self._begin(at, meta)
        if self.currency is not None:
            same_currency(checked, self.currency, "$.amount")
        if checked.is_zero():
            return self
        total = checked if self.actual_cost is None else self.actual_cost + checked
        draft = CampaignCostRecorded.draft(amount=checked, actual_cost=total)
        return self._record(command, draft, actual_cost=total)

    def change_budget(
        self, budget: Money | None, *, at: datetime, **meta: Unpack[EventMeta]
    ) -> Campaign:
        """Set the budget (``None``: no budget); records :class:`CampaignBudgetChanged`.

        The same amount in the same currency is a no-op.

        Raises:
            InvalidType: ``budget`` is not Money (``$.budget``).
            ValidationError: it is negative (``$.budget``, code ``negative``);
                it is not in the currency of the recorded costs (``$.budget``,
                code ``currency_mismatch``); ``at`` is refused (``$.at``).
        """
        checked = _budget(budget)
        command = self._begin(at, meta)
        if checked is not None and self.actual_cost is not None:
            same_currency(checked, self.actual_cost.currency, "$.budget")
        if checked == self.budget:
            return self
        draft = CampaignBudgetChanged.draft(budget=checked, previous=self.budget)
        return self._record(command, draft, budget=checked)

    def rename(self, name: str, *, at: datetime, **meta: Unpack[EventMeta]) -> Campaign:
        """Change the campaign's name; records :class:`CampaignRenamed` (the same name is a no-op).

        Raises:
            ValidationError: the name breaks a rule (``$.name``) or ``at`` is refused (``$.at``).
        """
        checked = _campaign_name(name)
        command = self._begin(at, meta)
        if checked == self.name:
            return self
        draft = CampaignRenamed.draft(name=checked, previous=self.name)
        return self._record(command, draft, name=checked)

    def change_dates(
        self, start: date | None, end: date | None, *, at: datetime, **meta: Unpack[EventMeta]
    ) -> Campaign:
        """Change the first and last day (``None``: open); records :class:`CampaignDatesChanged`.

        Raises:
            InvalidType: a day is not a ``date`` (``$.start``, ``$.end``).
            ValidationError: the end is before the start (``$.end``, code
                ``end_before_start``) or ``at`` is refused (``$.at``).
        """
        new_start = _start(start)
        new_end = _end(end)
        _check_dates(new_start, new_end)
        command = self._begin(at, meta)
        if (new_start, new_end) == (self.start, self.end):
            return self
        draft = CampaignDatesChanged.draft(start=new_start, end=new_end)
        return self._record(command, draft, start=new_start, end=new_end)

    def __repr__(self) -> str:
        return (
            f"Campaign(id={self.id!r}, type={self.campaign_type.value!r}, status={self.status.value!r}, "
            f"version={self.version}, pending_events={len(self.pending_events)})"
        )
