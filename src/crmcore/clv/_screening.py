"""Leaving customers who objected to profiling out of CLV scoring, each with its reason.

Scoring a customer's lifetime value (fitting a model on their history,
predicting their purchases, ranking them into tiers) is profiling. A
customer who objected to profiling, restricted processing or was erased is
left out: :func:`screen_summaries` asks each customer of a summary table for
their decision and returns the table of the others, ready for the models,
with the reason code of every customer left out.
"""

from __future__ import annotations

import itertools
from collections.abc import Hashable, Iterable, Mapping
from datetime import datetime
from typing import Final

import attrs

from crmcore._kernel._checks import require_aware, type_name
from crmcore._kernel._fields import Checked
from crmcore._kernel._frozen import FrozenMap
from crmcore._kernel._ids import CustomerId
from crmcore.clv.summaries import CustomerSummary, SummaryTable
from crmcore.customers import Customer, ProcessingDecision, ProcessingPurpose
from crmcore.errors import InvalidType, NotFound, ValidationError

#: Most customers one :func:`screen_summaries` call takes.
MAX_SCREENED_SUMMARIES: Final = 1_000_000


def _reasons(value: object) -> FrozenMap[Hashable, str]:
    if isinstance(value, FrozenMap):
        return value
    if not isinstance(value, Mapping):
        raise InvalidType(
            f"must map customer ids to reason codes, not {type_name(value)}", path="$.excluded"
        )
    return FrozenMap(value)


@attrs.frozen(slots=True)
class ScreenedSummaries(Checked):
    """A summary table with the customers denied profiling left out, and why.

    Attributes:
        table: the summaries of the customers that may be profiled, in the
            original table's order, with its period, unit and windows: fit
            and predict on it.
        at: the instant of the decisions.
        excluded: for each customer of the original table left out (by the
            table's own key), the reason code of their profiling decision:
            ``"objected_to_profiling"``, ``"processing_restricted"`` or
            ``"erased"``.

    .. versionadded:: 0.1
    """

    table: SummaryTable
    at: datetime
    excluded: Mapping[Hashable, str] = attrs.field(converter=_reasons)

    @property
    def purpose(self) -> ProcessingPurpose:
        """Always :attr:`ProcessingPurpose.PROFILING`: scoring CLV is profiling."""
        return ProcessingPurpose.PROFILING

    def explain(self, customer_id: object) -> ProcessingDecision:
        """The profiling decision for a customer of the original table.

        Raises:
            NotFound: the customer was not in the table (the id is never echoed).
        """
        try:
            reason = self.excluded.get(customer_id)
        except TypeError:  # an unhashable key is simply absent
            reason = None
        if reason is not None:
            return ProcessingDecision(allowed=False, purpose=self.purpose, reason=reason)
        if customer_id in self.table:
            return ProcessingDecision(allowed=True, purpose=self.purpose, reason="allowed")
        raise NotFound("screened customer", key="customer id")


def _customers(customers: object) -> tuple[dict[CustomerId, Customer], dict[str, Customer]]:
    if isinstance(customers, (str, bytes, Mapping)) or not isinstance(customers, Iterable):
        raise InvalidType(
            f"must be an iterable of customers, not {type_name(customers)}", path="$.customers"
        )
    by_id: dict[CustomerId, Customer] = {}
    by_value: dict[str, Customer] = {}
    for index, customer in enumerate(itertools.islice(customers, MAX_SCREENED_SUMMARIES + 1)):
        if index >= MAX_SCREENED_SUMMARIES:
            raise ValidationError(
                f"must hold at most {MAX_SCREENED_SUMMARIES} customers",
                path="$.customers",
                code="too_many",
            )
        if not isinstance(customer, Customer):
            raise InvalidType(
                f"must be a Customer, not {type_name(customer)}", path=f"$.customers[{index}]"
            )
        if customer.id in by_id:
            raise ValidationError(
                "names a customer already given", path=f"$.customers[{index}]", code="duplicate"
            )
        by_id[customer.id] = customer
        by_value[customer.id.value] = customer
    return by_id, by_value


def screen_summaries(
    table: SummaryTable, customers: Iterable[Customer], *, at: datetime
) -> ScreenedSummaries:
    """Leave the customers denied profiling at ``at`` out of ``table``.

    The table's keys are matched with the customers' ids: a
    :class:`~crmcore.CustomerId`, or its text (``summarize`` over orders keyed
    by id text). Every customer of the table must be given: a customer whose
    decision cannot be asked is never scored.

    >>> from datetime import datetime, timezone
    >>> from crmcore import Customer, CustomerId, PersonName
    >>> from crmcore.clv import summarize
    >>> at = datetime(2026, 5, 4, 9, 0, tzinfo=timezone.utc)
    >>> ana = Customer.register(CustomerId("c-ana"), name=PersonName("Ana"), at=at)
    >>> budi = Customer.register(CustomerId("c-budi"), name=PersonName("Budi"), at=at)
    >>> budi = budi.object_to("profiling", at=at)
    >>> orders = [("c-ana", at, "10"), ("c-budi", at, "25")]
    >>> table = summarize(orders, period="day", observation_end=at)
    >>> screened = screen_summaries(table, [ana, budi], at=at)
    >>> list(screened.table), dict(screened.excluded)
    (['c-ana'], {'c-budi': 'objected_to_profiling'})

    Raises:
        InvalidType: ``table`` not a :class:`SummaryTable`, a customer that is
            not a ``Customer``.
        ValidationError: a naive ``at``; a customer of the table not given
            (code ``missing_customer``), one given twice (``duplicate``), too
            many (``too_many``).
    """
    if not isinstance(table, SummaryTable):
        raise InvalidType(f"must be a SummaryTable, not {type_name(table)}", path="$.table")
    when = require_aware(at, "$.at")
    by_id, by_value = _customers(customers)
    kept: dict[Hashable, CustomerSummary] = {}
    excluded: dict[Hashable, str] = {}
    for key in table:
        customer = by_id.get(key) if type(key) is CustomerId else None
        if customer is None and isinstance(key, str):
            customer = by_value.get(key)
        if customer is None:
            raise ValidationError(
                "must hold every customer of the table (a customer's decisions cannot be asked)",
                path="$.customers",
                code="missing_customer",
            )
        decision = customer.processing_decision(ProcessingPurpose.PROFILING, at=when)
        if decision.allowed:
            kept[key] = table[key]
        else:
            excluded[key] = decision.reason
    screened = SummaryTable(
        kept,
        period=table.period,
        unit=table.unit,
        observation_end=table.observation_end,
        calibration_end=table.calibration_end,
        currency=table.currency,
    )
    return ScreenedSummaries(screened, when, excluded)
