"""The weighted pipeline forecast: what the open deals are worth, period by period.

Each **open** opportunity counts for its amount times the win probability of
its stage, in the period (calendar month or quarter) of its expected close
date. Won opportunities count in full in the period they were won (the date
of the win in the time zone ``tz``). Lost ones do not count. Amounts of
different currencies are never added together: every line and every total
belongs to one currency. Weighted amounts keep full precision; round them
for display with :meth:`~crmcore.Money.rounded`.

To report everything in one currency (a corporate currency), pass
``currency`` and a :class:`~crmcore.exchange.RateTable` as ``rates``. Each
deal converts at the rate of its close date, as Salesforce's dated exchange
rates convert an opportunity at the rate of its close date whatever its
stage: the expected close date of an open deal, the day of the win (in
``tz``) of a won one. The deal's amount is converted and rounded once to the
currency's minor unit (in the ``rounding`` mode named), then weighted; sums
are exact. A deal already in ``currency`` is taken as it is.

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

The same pipeline with a deal in USD, reported in IDR at the rate of each close date:

>>> from crmcore.exchange import ExchangeRate, RateTable
>>> rates = RateTable(
...     [
...         ExchangeRate(
...             "USD", "IDR", "16000", valid_from=date(2026, 1, 1), valid_until=date(2026, 5, 1)
...         ),
...         ExchangeRate("USD", "IDR", "16500", valid_from=date(2026, 5, 1)),
...     ]
... )
>>> usd = deal(4, 0, date(2026, 5, 5), "prospecting").change_amount(Money("1000.00", "USD"), at=t0)
>>> in_idr = pipeline_forecast([*deals, usd], STANDARD_PIPELINE, currency="IDR", rates=rates)
>>> [(p.period, str(p.weighted)) for p in in_idr.periods]
[('2026-04', '21000000.0 IDR'), ('2026-05', '2150000.000 IDR')]
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import UTC, date, tzinfo
from decimal import ROUND_HALF_EVEN, Context, Decimal, Inexact, InvalidOperation, Overflow
from enum import StrEnum
from typing import Final

import attrs

from crmcore._kernel._checks import MAX_DIGITS, enum_converter, require_type, type_name
from crmcore._kernel._fields import Checked
from crmcore._kernel._money import Money, currency, currency_code, rounding_mode
from crmcore.errors import CurrencyMismatch, InvalidType, ValidationError
from crmcore.exchange import RateTable
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
            _total(getattr(p, pick).amount for p in self.periods if p.currency == code), code
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


# Sums of amounts are exact: Inexact would say if one ever needed more digits than this.
_SUM = Context(prec=MAX_DIGITS + 30, traps=[Inexact, InvalidOperation, Overflow])


class _Cell:
    __slots__ = ("amount", "count")

    def __init__(self) -> None:
        self.count = 0
        self.amount = Decimal(0)

    def add(self, amount: Decimal) -> None:
        self.count += 1
        self.amount = _exact("add", self.amount, amount)


#: The table of a forecast given no rates: only deals already in the currency convert.
_NO_RATES: Final = RateTable([])


class _Converter:
    """Puts every deal's amount in one currency at the rate of its close date, or leaves it."""

    __slots__ = ("code", "given", "rounding", "table")

    def __init__(self, code: str | None, table: RateTable, rounding: str, *, given: bool) -> None:
        self.code = code
        self.table = table
        self.rounding = rounding
        self.given = given

    def __call__(self, money: Money, on: date, path: str, day_field: str) -> Money:
        if self.code is None:
            return money
        if not self.given and money.currency != self.code:
            # No table at all: say so, as the revenue analytics do (not "no rate on that day").
            raise CurrencyMismatch(
                f"is in {money.currency}, not {self.code}: pass rates= to convert it",
                path=f"{path}.amount",
            )
        try:
            return self.table.convert(money, self.code, on=on, rounding=self.rounding)
        except ValidationError as exc:
            # Name the deal and the field whose date (or amount) failed: no_rate at
            # $.opportunities[i].expected_close, too_large at $.opportunities[i].amount.
            field = day_field if exc.path == "$.on" else "amount"
            raise ValidationError(exc.rule, path=f"{path}.{field}", code=exc.code) from None


def _converter(code: object, rates: object, rounding: object) -> _Converter:
    mode = rounding_mode(rounding)
    if code is None:
        if rates is not None:
            raise ValidationError(
                "must name the currency to convert into when rates are given",
                path="$.currency",
                code="required",
            )
        return _Converter(None, _NO_RATES, mode, given=False)
    target = currency_code(code, "$.currency")
    table = _NO_RATES if rates is None else require_type(rates, RateTable, "$.rates", "a RateTable")
    return _Converter(target, table, mode, given=rates is not None)


def _exact(operation: str, a: Decimal, b: Decimal) -> Decimal:
    """``a + b`` or ``a * b``, exactly (``too_long`` if that ever needs too many digits)."""
    try:
        return _SUM.add(a, b) if operation == "add" else _SUM.multiply(a, b)
    except ArithmeticError:
        raise ValidationError(
            f"the result needs more than {MAX_DIGITS + 30} significant digits",
            path="$.opportunities",
            code="too_long",
        ) from None


def _total(amounts: Iterable[Decimal]) -> Decimal:
    result = Decimal(0)
    for amount in amounts:
        result = _exact("add", result, amount)
    return result


def pipeline_forecast(
    opportunities: Iterable[Opportunity],
    pipeline: PipelineDefinition,
    *,
    by: ForecastPeriod | str = ForecastPeriod.MONTH,
    tz: tzinfo = UTC,
    currency: str | None = None,
    rates: RateTable | None = None,
    rounding: str = ROUND_HALF_EVEN,
) -> PipelineForecast:
    """The weighted forecast of ``opportunities`` of ``pipeline`` (see the module docs).

    Args:
        opportunities: opportunities of ``pipeline``.
        pipeline: their pipeline definition, which gives every stage's probability.
        by: ``"month"`` or ``"quarter"``.
        tz: the time zone in which a win's date is taken.
        currency: report every open and won deal in this currency (ISO 4217),
            converted at the rate of its close date; ``None`` keeps each deal's own.
        rates: the dated rates to convert with (``None``: no rates, so only
            deals already in ``currency`` can be reported; any other is a
            :class:`~crmcore.errors.CurrencyMismatch`).
        rounding: how a converted amount is rounded to ``currency``'s minor unit
            (a ``ROUND_*`` mode of the decimal module; banker's rounding by default).

    Raises:
        ValidationError: an opportunity of another pipeline (``$.opportunities[i].pipeline_id``)
            or in a stage the pipeline no longer has (``$.opportunities[i].stage``); no
            rate for an open deal's expected close (``$.opportunities[i].expected_close``,
            code ``no_rate``) or a won deal's win day (``$.opportunities[i].closed_at``);
            ``rates`` without ``currency`` (``$.currency``, code ``required``).
        CurrencyMismatch: ``currency`` without ``rates`` and a deal in another
            currency (``$.opportunities[i].amount``).
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
    convert = _converter(currency, rates, rounding)
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
        if stage.kind is StageKind.OPEN:
            close = opportunity.expected_close
            money = convert(opportunity.amount, close, path, "expected_close")
            key = (money.currency, period.label(close), stage.code)
            open_cells.setdefault(key, _Cell()).add(money.amount)
        elif stage.kind is StageKind.WON and opportunity.closed_at is not None:
            won_day = opportunity.closed_at.astimezone(tz).date()
            money = convert(opportunity.amount, won_day, path, "closed_at")
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
                weighted=Money(_exact("multiply", cell.amount, chance), code),
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
                open_amount=Money(_total(ln.amount.amount for ln in mine), code),
                weighted=Money(_total(ln.weighted.amount for ln in mine), code),
                won_count=won.count,
                won=Money(won.amount, code),
            )
        )
    return PipelineForecast(by=period, lines=tuple(lines), periods=tuple(periods))
