"""The weighted pipeline forecast: what the open deals are worth, period by period.

Each **open** opportunity counts for its amount times the win probability of
its stage, in the period (calendar month or quarter) of its expected close
date. Won opportunities count in full in the period they were won (the date
of the win in the time zone ``tz``). Lost ones do not count. Amounts of
different currencies are never added together: every line and every total
belongs to one currency. Weighted amounts keep full precision; round them
for display with :meth:`~crmcore.Money.rounded`.

>>> from datetime import date, datetime, timezone
>>> from crmcore.sales import STANDARD_PIPELINE, Opportunity, OpportunityId
>>> from crmcore.customers import CustomerId
>>> from crmcore import Money, StaffId
>>> t0 = datetime(2026, 3, 2, tzinfo=timezone.utc)
>>> def deal(number, amount, close, stage):
...     return Opportunity.open(
...         OpportunityId(f"opp-{number}"),
...         customer_id=CustomerId("c-1"),
...         name="Deal",
...         amount=Money(amount, "IDR"),
...         expected_close=close,
...         owner=StaffId("rep-1"),
...         pipeline=STANDARD_PIPELINE,
...         stage=stage,
...         at=t0,
...     )
>>> deals = [
...     deal(1, 10_000_000, date(2026, 4, 10), "proposal"),
...     deal(2, 20_000_000, date(2026, 4, 20), "negotiation"),
...     deal(3, 5_000_000, date(2026, 5, 5), "prospecting"),
... ]
>>> result = pipeline_forecast(deals, STANDARD_PIPELINE)
>>> [(p.period, str(p.weighted)) for p in result.periods]
[('2026-04', '21000000.0 IDR'), ('2026-05', '500000.0 IDR')]
>>> result.weighted_total("IDR"), pipeline_forecast([], STANDARD_PIPELINE).weighted_total("IDR")
(Money('21500000.0', 'IDR'), Money('0', 'IDR'))
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import UTC, date, tzinfo
from decimal import Decimal
from enum import StrEnum

import attrs

from crmcore._kernel._checks import enum_converter, require_type, type_name
from crmcore._kernel._fields import Checked
from crmcore._kernel._money import Money, currency
from crmcore.errors import InvalidType, ValidationError
from crmcore.sales._opportunities import Opportunity
from crmcore.sales._pipeline import PipelineDefinition, StageKind


class ForecastPeriod(StrEnum):
    """How the forecast groups close dates."""

    MONTH = "month"
    QUARTER = "quarter"

    def label(self, day: date) -> str:
        """The period a date falls in: ``"2026-04"`` for a month, ``"2026-Q2"`` for a quarter."""
        if self is ForecastPeriod.MONTH:
            return f"{day.year:04d}-{day.month:02d}"
        return f"{day.year:04d}-Q{(day.month - 1) // 3 + 1}"


@attrs.frozen(slots=True, kw_only=True)
class ForecastLine(Checked):
    """The open opportunities of one stage closing in one period, in one currency.

    Attributes:
        period: the period label (``"2026-04"`` or ``"2026-Q2"``).
        currency: the currency of every amount on the line.
        stage: the stage's code.
        probability: the stage's win probability.
        count: how many opportunities.
        amount: their amounts, summed.
        weighted: ``amount`` times ``probability``.
    """

    period: str
    currency: str
    stage: str
    probability: Decimal
    count: int
    amount: Money
    weighted: Money


@attrs.frozen(slots=True, kw_only=True)
class PeriodForecast(Checked):
    """Everything one period holds in one currency: open deals (weighted) and deals won.

    Attributes:
        period: the period label.
        currency: the currency of every amount.
        open_count: open opportunities expected to close in the period.
        open_amount: their amounts, unweighted.
        weighted: their amounts times their stages' probabilities.
        won_count: opportunities won in the period.
        won: their amounts.
    """

    period: str
    currency: str
    open_count: int
    open_amount: Money
    weighted: Money
    won_count: int
    won: Money


@attrs.frozen(slots=True, kw_only=True)
class PipelineForecast(Checked):
    """The forecast: lines per period, currency and stage, and totals per period and currency.

    Lines and periods are sorted by currency, then period; lines of one
    period follow the pipeline's stage order. Empty input gives no lines and
    no periods, and zero totals.
    """

    by: ForecastPeriod
    lines: tuple[ForecastLine, ...]
    periods: tuple[PeriodForecast, ...]

    @property
    def currencies(self) -> tuple[str, ...]:
        """The currencies the forecast holds, sorted."""
        return tuple(sorted({p.currency for p in self.periods}))

    def _sum(self, currency_code: str, pick: str) -> Money:
        code = currency(currency_code).code
        return Money(
            sum(
                (getattr(p, pick).amount for p in self.periods if p.currency == code),
                Decimal(0),
            ),
            code,
        )

    def weighted_total(self, currency: str) -> Money:
        """The weighted value of every open opportunity in ``currency``."""
        return self._sum(currency, "weighted")

    def open_total(self, currency: str) -> Money:
        """The unweighted amounts of every open opportunity in ``currency``."""
        return self._sum(currency, "open_amount")

    def won_total(self, currency: str) -> Money:
        """The amounts won in ``currency``."""
        return self._sum(currency, "won")

    def for_currency(self, currency_code: str) -> tuple[PeriodForecast, ...]:
        """The periods of one currency, in order."""
        code = currency(currency_code).code
        return tuple(p for p in self.periods if p.currency == code)


class _Cell:
    __slots__ = ("amount", "count")

    def __init__(self) -> None:
        self.count = 0
        self.amount = Decimal(0)

    def add(self, amount: Decimal) -> None:
        self.count += 1
        self.amount += amount


def pipeline_forecast(
    opportunities: Iterable[Opportunity],
    pipeline: PipelineDefinition,
    *,
    by: ForecastPeriod | str = ForecastPeriod.MONTH,
    tz: tzinfo = UTC,
) -> PipelineForecast:
    """The weighted forecast of ``opportunities`` of ``pipeline`` (see the module docs).

    Args:
        opportunities: opportunities of ``pipeline``.
        pipeline: their pipeline definition, which gives every stage's probability.
        by: ``"month"`` or ``"quarter"``.
        tz: the time zone in which a win's date is taken.

    Raises:
        ValidationError: an opportunity of another pipeline (``$.opportunities[i].pipeline_id``)
            or in a stage the pipeline no longer has (``$.opportunities[i].stage``).
    """
    checked = require_type(pipeline, PipelineDefinition, "$.pipeline", "a PipelineDefinition")
    period = enum_converter(ForecastPeriod, "$.by")(by)
    if not isinstance(tz, tzinfo):
        raise InvalidType(f"must be a tzinfo, not {type_name(tz)}", path="$.tz")
    given: object = opportunities
    if isinstance(given, (str, bytes)) or not isinstance(given, Iterable):
        raise InvalidType(
            f"must be an iterable of Opportunity, not {type_name(opportunities)}",
            path="$.opportunities",
        )
    order = {stage.code: stage.order for stage in checked.stages}
    open_cells: dict[tuple[str, str, str], _Cell] = {}
    won_cells: dict[tuple[str, str], _Cell] = {}
    for index, item in enumerate(given):
        path = f"$.opportunities[{index}]"
        opportunity = require_type(item, Opportunity, path, "an Opportunity")
        if opportunity.pipeline_id != checked.id:
            raise ValidationError(
                "must belong to the forecast's pipeline",
                path=f"{path}.pipeline_id",
                code="other_pipeline",
            )
        stage = checked.stage(opportunity.stage, f"{path}.stage")
        money = opportunity.amount
        if stage.kind is StageKind.OPEN:
            key = (money.currency, period.label(opportunity.expected_close), stage.code)
            open_cells.setdefault(key, _Cell()).add(money.amount)
        elif stage.kind is StageKind.WON and opportunity.closed_at is not None:
            won_day = opportunity.closed_at.astimezone(tz).date()
            won_cells.setdefault((money.currency, period.label(won_day)), _Cell()).add(money.amount)
    lines = []
    for (code, label, stage_code), cell in sorted(
        open_cells.items(), key=lambda kv: (kv[0][0], kv[0][1], order[kv[0][2]])
    ):
        chance = checked.stage(stage_code).probability
        lines.append(
            ForecastLine(
                period=label,
                currency=code,
                stage=stage_code,
                probability=chance,
                count=cell.count,
                amount=Money(cell.amount, code),
                weighted=Money(cell.amount * chance, code),
            )
        )
    keys = sorted({(line.currency, line.period) for line in lines} | set(won_cells))
    periods = []
    for code, label in keys:
        mine = [line for line in lines if (line.currency, line.period) == (code, label)]
        won = won_cells.get((code, label), _Cell())
        periods.append(
            PeriodForecast(
                period=label,
                currency=code,
                open_count=sum(line.count for line in mine),
                open_amount=Money(sum((ln.amount.amount for ln in mine), Decimal(0)), code),
                weighted=Money(sum((ln.weighted.amount for ln in mine), Decimal(0)), code),
                won_count=won.count,
                won=Money(won.amount, code),
            )
        )
    return PipelineForecast(by=period, lines=tuple(lines), periods=tuple(periods))
