"""The demo's segmentation and analytics section: an RFM segment table and a cohort matrix.

Pure like the rest of the demo: everything is computed from the customers and
orders passed in, relative to the time ``at`` passed in.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Sequence
from datetime import datetime

import attrs

from crmcore._demo._format import money, plural
from crmcore._kernel._money import Money
from crmcore.analytics import cohort_retention, purchase_summary
from crmcore.customers import Customer
from crmcore.segmentation import (
    RfmScheme,
    all_of,
    field,
    rfm_values,
    rule_from_dict,
    rule_to_dict,
    score_rfm,
    snapshot,
    summarize_segments,
)

#: Most cohorts (the latest) and offsets the section shows.
MAX_COHORTS = 12


def _money(amount: Money | None) -> str:
    return "-" if amount is None else money(amount)


def _rfm_table(scores: Sequence[object], customers: int) -> list[str]:
    rows = summarize_segments(scores, scheme=RfmScheme.RF10)  # type: ignore[arg-type]
    lines = [
        (
            f"RFM segments of the {plural(len(scores), 'customer')} with purchases (of {customers}); "
            "quintile scores, R x F map:"
        ),
        f"  {'segment':<20}{'customers':>10}{'share':>8}{'recency':>12}{'orders':>8}{'revenue':>22}",
    ]
    for row in rows:
        share = f"{row.share:.1%}" if row.share is not None else "-"
        recency = f"{row.mean_recency_days:.0f} days" if row.mean_recency_days is not None else "-"
        orders = f"{row.mean_frequency:.1f}" if row.mean_frequency is not None else "-"
        lines.append(
            f"  {row.segment.label:<20}{row.customers:>10}{share:>8}{recency:>12}{orders:>8}"
            f"{_money(row.monetary):>22}"
        )
    return lines


def demo_section(
    customers: Sequence[Customer], orders: Iterable[tuple[object, datetime, Money]], *, at: datetime
) -> str:
    """Render the segmentation and analytics part of the demo report.

    ``orders`` are ``(customer_id, at, amount)`` tuples (ids as the customers'
    ids or their text). The section shows the RFM segment table, a stored
    audience rule evaluated on customer snapshots with one explanation, the
    purchase measures, and the monthly cohort retention matrix.
    """
    order_list = [(str(cid), when, amount) for cid, when, amount in orders]
    if not order_list:
        return "no orders yet: nothing to segment"
    scores = score_rfm(rfm_values(order_list, at=at))
    lines = _rfm_table(scores, len(customers))

    facts = {score.customer_id: score.facts() for score in scores}
    audience = all_of(
        field("rfm_segment").is_in({"champions", "loyal", "potential_loyalists"}),
        field("may_email_marketing").is_true(),
    )
    stored = json.dumps(rule_to_dict(audience))
    rule = rule_from_dict(json.loads(stored))
    population = {c.id.value: snapshot(c, at=at, facts=facts.get(c.id.value)) for c in customers}
    test = rule.predicate(at=at)
    members = sorted(cid for cid, snap in population.items() if test(snap))
    lines += [
        "",
        f"audience rule, stored as {len(stored)} bytes of JSON and loaded back:",
        f"  {rule!r}",
        f"  {len(members)} of {plural(len(population), 'customer')} match",
    ]
    outsider = next((cid for cid in sorted(population) if cid not in members), None)
    if outsider is not None:
        lines.append(f"  why {outsider} does not:")
        lines += [
            f"    {line}"
            for line in rule.explain(population[outsider], at=at).render().splitlines()
        ]

    summary = purchase_summary(order_list)
    lines += [
        "",
        (
            f"{plural(summary.orders, 'purchase')} by {plural(summary.customers, 'customer')}: "
            f"average order {_money(summary.average_order_value)}, "
            f"{summary.purchase_frequency or 0:.2f} orders per customer, "
            f"repeat-purchase rate {summary.repeat_purchase_rate or 0:.1%}"
        ),
    ]

    matrix = cohort_retention(order_list, end=at)
    keep = slice(max(0, len(matrix.cohorts) - MAX_COHORTS), None)
    recent = attrs.evolve(
        matrix,
        cohorts=matrix.cohorts[keep],
        labels=matrix.labels[keep],
        sizes=matrix.sizes[keep],
        active=matrix.active[keep],
    )
    lines += [
        "",
        "cohort retention: share of each monthly cohort (first order) ordering k months later",
        recent.render(max_offsets=MAX_COHORTS),
    ]
    return "\n".join(lines)
