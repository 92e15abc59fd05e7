"""Screening customers for a processing purpose: who may be processed, who is left out and why.

A customer who restricted the processing of their data, objected to
profiling or to direct marketing, or was erased, is left out of marketing
segments, automated messages and CLV scoring. :func:`screen` asks each
customer's :meth:`~crmcore.Customer.processing_decision` for one purpose at
one instant and returns a :class:`Screening`: the ids that may be processed,
in input order, and one :class:`Exclusion` with its reason code for every
other one. Nothing is read from a clock and nothing personal is copied: a
screening holds ids, the purpose and reason codes only.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import datetime
from operator import attrgetter
from typing import Final

import attrs

from crmcore._kernel._checks import distinct_items, enum_converter, require_aware, type_name
from crmcore._kernel._fields import Checked
from crmcore._kernel._ids import CustomerId
from crmcore.customers import Customer, ProcessingDecision, ProcessingPurpose
from crmcore.errors import InvalidType, NotFound

#: Most customers one :func:`screen` call looks at (a screening holds each id once).
MAX_SCREENED: Final = 100_000


@attrs.frozen(slots=True)
class Exclusion(Checked):
    """A customer left out of processing for a purpose, and why.

    Attributes:
        customer_id: the customer left out.
        purpose: the processing purpose denied.
        reason: the reason code of the customer's decision: ``"erased"``,
            ``"processing_restricted"``, ``"objected_to_profiling"`` or
            ``"objected_to_direct_marketing"``.

    .. versionadded:: 0.1
    """

    customer_id: CustomerId
    purpose: ProcessingPurpose
    reason: str


@attrs.frozen(slots=True)
class Screening(Checked):
    """Who may be processed for a purpose at an instant, and who is left out and why.

    Attributes:
        purpose: the processing purpose screened for.
        at: the instant of the decisions.
        included: the ids that may be processed, in input order.
        excluded: one :class:`Exclusion` per customer left out, in input order.

    .. versionadded:: 0.1
    """

    purpose: ProcessingPurpose
    at: datetime
    included: tuple[CustomerId, ...]
    excluded: tuple[Exclusion, ...]

    def __contains__(self, customer_id: object) -> bool:
        """True if ``customer_id`` may be processed (it is in :attr:`included`)."""
        return customer_id in self.included

    @property
    def excluded_ids(self) -> frozenset[CustomerId]:
        """The ids of the customers left out."""
        return frozenset(exclusion.customer_id for exclusion in self.excluded)

    def explain(self, customer_id: CustomerId) -> ProcessingDecision:
        """The decision taken for ``customer_id``: allowed, or denied with its reason.

        Raises:
            NotFound: the customer was not screened (the id is never echoed).
            InvalidType: ``customer_id`` is not a :class:`~crmcore.CustomerId`.
        """
        if type(customer_id) is not CustomerId:
            raise InvalidType(
                f"must be a CustomerId, not {type_name(customer_id)}", path="$.customer_id"
            )
        for exclusion in self.excluded:
            if exclusion.customer_id == customer_id:
                return ProcessingDecision(
                    allowed=False, purpose=self.purpose, reason=exclusion.reason
                )
        if customer_id in self.included:
            return ProcessingDecision(allowed=True, purpose=self.purpose, reason="allowed")
        raise NotFound("screened customer", key="customer id")

    def reasons(self) -> Mapping[str, int]:
        """How many customers each reason code left out, by code."""
        counts: dict[str, int] = {}
        for exclusion in self.excluded:
            counts[exclusion.reason] = counts.get(exclusion.reason, 0) + 1
        return dict(sorted(counts.items()))


def screen(
    customers: Iterable[Customer],
    purpose: ProcessingPurpose | str,
    *,
    at: datetime,
) -> Screening:
    """Ask every customer's processing decision for ``purpose`` at ``at``.

    >>> from datetime import datetime, timezone
    >>> from crmcore import Customer, CustomerId, PersonName
    >>> at = datetime(2026, 5, 4, 9, 0, tzinfo=timezone.utc)
    >>> ana = Customer.register(CustomerId("c-ana"), name=PersonName("Ana"), at=at)
    >>> budi = Customer.register(CustomerId("c-budi"), name=PersonName("Budi"), at=at)
    >>> budi = budi.object_to("direct_marketing", at=at)
    >>> screening = screen([ana, budi], "marketing", at=at)
    >>> screening.included
    (CustomerId('c-ana'),)
    >>> [(e.customer_id.value, e.reason) for e in screening.excluded]
    [('c-budi', 'objected_to_direct_marketing')]
    >>> screening.explain(CustomerId("c-budi")).reason
    'objected_to_direct_marketing'

    Args:
        customers: the customers (any iterable; at most :data:`MAX_SCREENED`,
            each id once).
        purpose: ``"marketing"``, ``"profiling"`` or ``"automation"``.
        at: the instant of the decisions (timezone-aware).

    Raises:
        InvalidType: an item that is not a :class:`~crmcore.Customer`
            (``$.customers[3]``), or ``customers`` not an iterable.
        ValidationError: an unknown purpose, a naive ``at``, more than
            :data:`MAX_SCREENED` customers (code ``too_many``), or one id twice
            (code ``duplicate``).
    """
    wanted = enum_converter(ProcessingPurpose, "$.purpose")(purpose)
    when = require_aware(at, "$.at")
    taken = distinct_items(
        customers,
        Customer,
        attrgetter("id"),
        "$.customers",
        max_items=MAX_SCREENED,
        noun="customers",
        what="a Customer",
        repeated="names a customer already given",
    )
    included: list[CustomerId] = []
    excluded: list[Exclusion] = []
    for customer in taken:
        decision = customer.processing_decision(wanted, at=when)
        if decision.allowed:
            included.append(customer.id)
        else:
            excluded.append(Exclusion(customer.id, wanted, decision.reason))
    return Screening(wanted, when, tuple(included), tuple(excluded))
