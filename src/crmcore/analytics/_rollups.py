"""Roll-ups over an account hierarchy: revenue, open pipeline, open cases and CLV of many accounts.

A roll-up sums figures the library already computes, over a set of
accounts: usually an account and everything below it in its hierarchy, as
:meth:`crmcore.parties.RelationshipView.subtree` gives them. Nothing is
computed again here:

- revenue and purchase measures come from :func:`purchase_summary` over the
  accounts' orders;
- the open pipeline is :func:`crmcore.sales.pipeline_forecast` over the
  accounts' opportunities;
- open cases are the accounts' cases that :class:`crmcore.service.Case`
  reports as not resolved or closed (now, or at an instant through
  :meth:`~crmcore.service.Case.status_at`);
- CLV is the sum of the per-customer values the caller passes (Money,
  from :func:`crmcore.clv.formula_clv`, a model's prediction converted
  explicitly, or anywhere else).

The roll-up lives in analytics, not in :mod:`crmcore.parties`, because
operational capabilities never import analytical ones; the hierarchy reaches
it as plain account ids.
"""

from __future__ import annotations

from collections.abc import Hashable, Iterable, Mapping
from datetime import UTC, datetime, tzinfo
from typing import Final

import attrs

from crmcore._kernel._checks import require_aware, require_type, time_window, type_name
from crmcore._kernel._fields import Checked
from crmcore._kernel._ids import CaseId, CustomerId
from crmcore._kernel._money import Money
from crmcore._kernel._numbers import Tabular
from crmcore._kernel._records import amount_currency_code, read_orders, require_iterable
from crmcore.analytics._currency import check_tz, reporting_currency
from crmcore.analytics._purchases import PurchaseSummary, summarize_rows
from crmcore.errors import InvalidType, ValidationError
from crmcore.exchange import RateTable
from crmcore.sales import (
    ForecastPeriod,
    Opportunity,
    PipelineDefinition,
    PipelineForecast,
    pipeline_forecast,
)
from crmcore.service import Case, CaseStatus

#: The statuses in which a case is done for now (``Case.is_active`` is False in them).
_DONE: Final = frozenset({CaseStatus.RESOLVED, CaseStatus.CLOSED})


@attrs.frozen(slots=True, kw_only=True)
class HierarchyRollup(Checked, Tabular):
    """What a set of accounts adds up to.

    Attributes:
        accounts: the accounts summed, in the order given, each once.
        purchases: :func:`purchase_summary` of their orders (``revenue`` is
            its total; ``None`` without orders).
        pipeline: :func:`~crmcore.sales.pipeline_forecast` of their
            opportunities, ``None`` when no pipeline was given.
        open_cases: their cases not resolved or closed, by id.
        clv: the sum of their CLV values; ``None`` when none of them has one.
    """

    accounts: tuple[CustomerId, ...]
    purchases: PurchaseSummary
    pipeline: PipelineForecast | None
    open_cases: tuple[CaseId, ...]
    clv: Money | None

    @property
    def revenue(self) -> Money | None:
        """The accounts' revenue: the total of their orders (``None`` without orders)."""
        return self.purchases.revenue


def _accounts(values: object) -> tuple[CustomerId, ...]:
    found: dict[CustomerId, None] = {}
    for index, value in enumerate(require_iterable(values, "$.accounts")):
        if type(value) is not CustomerId:
            raise InvalidType(
                f"must be a CustomerId, not {type_name(value)}", path=f"$.accounts[{index}]"
            )
        found.setdefault(value, None)
    return tuple(found)


def _revenue(
    orders: object,
    accounts: frozenset[Hashable],
    window: tuple[datetime | None, datetime | None],
    *,
    currency: str | None,
    rates: RateTable | None,
    tz: tzinfo,
    amounts_in: str | None,
) -> PurchaseSummary:
    since, until = window
    rows = [
        row
        for row in read_orders(orders, currency=amounts_in)
        if row.customer_id in accounts
        and (since is None or row.at >= since)
        and (until is None or row.at < until)
    ]
    return summarize_rows(rows, currency, rates, tz)


def _pipeline(
    opportunities: object,
    accounts: frozenset[Hashable],
    pipeline: object,
    by: ForecastPeriod | str,
    tz: tzinfo,
    *,
    currency: str | None,
    rates: RateTable | None,
) -> PipelineForecast | None:
    mine = [
        require_type(item, Opportunity, f"$.opportunities[{index}]", "an Opportunity")
        for index, item in enumerate(require_iterable(opportunities, "$.opportunities"))
    ]
    if pipeline is None:
        if mine:
            raise ValidationError(
                "must be given to roll up opportunities", path="$.pipeline", code="required"
            )
        return None
    selected = [o for o in mine if o.customer_id in accounts]
    definition = require_type(pipeline, PipelineDefinition, "$.pipeline", "a PipelineDefinition")
    return pipeline_forecast(selected, definition, by=by, tz=tz, currency=currency, rates=rates)


def _open_cases(
    cases: object, accounts: frozenset[Hashable], at: datetime | None
) -> tuple[CaseId, ...]:
    found: list[CaseId] = []
    for index, item in enumerate(require_iterable(cases, "$.cases")):
        case = require_type(item, Case, f"$.cases[{index}]", "a Case")
        if case.customer_id not in accounts:
            continue
        if at is None:
            active = case.is_active
        else:
            status = case.status_at(at)
            active = status is not None and status not in _DONE
        if active:
            found.append(case.id)
    return tuple(sorted(found, key=lambda case_id: case_id.value))


def _clv(values: object, accounts: tuple[CustomerId, ...]) -> Money | None:
    if values is None:
        return None
    if not isinstance(values, Mapping):
        raise InvalidType(
            f"must be a mapping of customer ids to Money, not {type_name(values)}", path="$.clv"
        )
    picked: list[Money] = []
    for account in accounts:
        if account not in values:
            continue
        value = values[account]
        if not isinstance(value, Money):
            # The id is no personal data; a model's float must become Money explicitly.
            raise InvalidType(
                f"must hold Money (convert a model's float explicitly), not {type_name(value)}",
                path=f"$.clv[{account.value}]",
            )
        picked.append(value)
    if not picked:
        return None
    return Money.total(picked, currency=picked[0].currency)


def hierarchy_rollup(
    accounts: Iterable[CustomerId],
    *,
    orders: Iterable[object] = (),
    opportunities: Iterable[Opportunity] = (),
    pipeline: PipelineDefinition | None = None,
    cases: Iterable[Case] = (),
    clv: Mapping[CustomerId, object] | None = None,
    since: datetime | None = None,
    until: datetime | None = None,
    at: datetime | None = None,
    by: ForecastPeriod | str = ForecastPeriod.MONTH,
    tz: tzinfo = UTC,
    currency: str | None = None,
    rates: RateTable | None = None,
    amount_currency: str | None = None,
) -> HierarchyRollup:
    """Revenue, open pipeline, open cases and CLV of ``accounts`` (see the module documentation).

    >>> from datetime import datetime, timezone
    >>> from crmcore import Money
    >>> from crmcore.customers import CustomerId
    >>> t = datetime(2026, 3, 1, tzinfo=timezone.utc)
    >>> group, acme = CustomerId("group"), CustomerId("acme")
    >>> orders = [
    ...     (acme, t, Money("100", "USD")),
    ...     (group, t, Money("50", "USD")),
    ...     (CustomerId("other"), t, Money("7", "USD")),
    ... ]
    >>> rollup = hierarchy_rollup([group, acme], orders=orders, clv={acme: Money("900", "USD")})
    >>> rollup.revenue, rollup.purchases.orders, rollup.clv
    (Money('150', 'USD'), 2, Money('900', 'USD'))

    Args:
        accounts: the accounts summed (``view.subtree(account)`` for a
            hierarchy); orders count when their ``customer_id`` is one of them.
        orders: orders as :func:`purchase_summary` reads them, of any customers.
        opportunities: opportunities of any customers, all of ``pipeline``.
        pipeline: their pipeline definition (needed to roll up opportunities).
        cases: service cases of any customers.
        clv: CLV per customer id, Money of one currency (a model's float
            prediction becomes Money explicitly, as everywhere in crmcore).
        since: count orders at or after this time (inclusive).
        until: count orders before this time (exclusive).
        at: count cases open at this instant (their status then); their
            current status by default.
        by: the forecast's periods (``"month"`` or ``"quarter"``).
        tz: the time zone of the forecast's periods and of an order's
            calendar day (whose rate converts it).
        currency: report the revenue in this currency, each order converted
            at the rate of its day (as :func:`purchase_summary` does), and the
            pipeline too (each deal at its close date, as
            :func:`~crmcore.sales.pipeline_forecast` does); the orders must
            all be in one currency without it.
        rates: a :class:`crmcore.exchange.RateTable` for ``currency``.
        amount_currency: the currency of orders whose amounts are plain
            numbers (floats, Decimals, numpy scalars; as
            :func:`purchase_summary` reads them).

    Raises:
        InvalidType: a value of the wrong type.
        ValidationError: a naive time, ``since`` after ``until``,
            opportunities without a pipeline (``$.pipeline``), or what
            :func:`purchase_summary` and :func:`~crmcore.sales.pipeline_forecast`
            refuse (several currencies, another pipeline's opportunity).
    """
    ids = _accounts(accounts)
    members = frozenset(ids)
    start, end = time_window(since, until)
    instant = None if at is None else require_aware(at, "$.at")
    code, table = reporting_currency(currency, rates)
    amounts_in = amount_currency_code(amount_currency)
    return HierarchyRollup(
        accounts=ids,
        purchases=_revenue(
            orders,
            members,
            (start, end),
            currency=code,
            rates=table,
            tz=check_tz(tz),
            amounts_in=amounts_in,
        ),
        pipeline=_pipeline(opportunities, members, pipeline, by, tz, currency=code, rates=table),
        open_cases=_open_cases(cases, members, instant),
        clv=_clv(clv, ids),
    )
