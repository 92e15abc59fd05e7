"""The demonstration's service and feedback section: cases under an SLA, scores, a review plan.

Everything is generated from the seed and the reference time passed in, so the
section is the same on every run. Nothing personal is printed: cases and
reviews are shown by id, counts and ratings only.
"""

from __future__ import annotations

import random
from collections import Counter
from collections.abc import Sequence
from datetime import date, datetime, timedelta

from crmcore._kernel._ids import SequentialIdSource
from crmcore.customers import Channel, ContactPoint, Customer
from crmcore.feedback import (
    CesResponse,
    CsatResponse,
    FeedbackId,
    NpsResponse,
    Review,
    ReviewId,
    csat_score,
    customer_effort_score,
    nps_breakdown,
    response_plan,
)
from crmcore.service import (
    BusinessCalendar,
    Case,
    CaseId,
    CaseKind,
    CasePriority,
    CaseStatus,
    EscalationRule,
    SlaPolicy,
    SlaTarget,
    due_escalations,
    sla_status,
)

_KINDS = (CaseKind.COMPLAINT, CaseKind.QUESTION, CaseKind.QUESTION, CaseKind.REQUEST)
_PRIORITIES = (
    (CasePriority.LOW, 3),
    (CasePriority.NORMAL, 5),
    (CasePriority.HIGH, 2),
    (CasePriority.URGENT, 1),
)
_CHANNELS = (Channel.EMAIL, Channel.WHATSAPP, Channel.WHATSAPP, Channel.PHONE, Channel.WEB)
_SUBJECTS = (
    "Order arrived late",
    "Question about an invoice",
    "Change of delivery address",
    "Item arrived damaged",
    "How do I redeem points?",
    "Refund not received yet",
)
_PLATFORMS = ("google", "tokopedia", "shopee", "instagram")


def demo_calendar() -> BusinessCalendar:
    """The demo's service desk: Monday to Friday 08:00-17:00 with lunch, Saturday mornings, WIB."""
    weekday = ["08:00-12:00", "13:00-17:00"]
    return BusinessCalendar(
        {
            "monday": weekday,
            "tuesday": weekday,
            "wednesday": weekday,
            "thursday": weekday,
            "friday": weekday,
            "saturday": ["09:00-13:00"],
        },
        time_zone="+07:00",
        holidays=[date(2026, 1, 1), date(2026, 5, 1), date(2026, 6, 1), date(2026, 8, 17)],
    )


def demo_policy() -> SlaPolicy:
    """The demo's SLA policy with three escalation rules."""
    hour = timedelta(hours=1)
    return SlaPolicy(
        "standard",
        demo_calendar(),
        [
            SlaTarget(CasePriority.LOW, 8 * hour, 40 * hour),
            SlaTarget(CasePriority.NORMAL, 4 * hour, 16 * hour),
            SlaTarget(CasePriority.HIGH, hour, 8 * hour),
            SlaTarget(CasePriority.URGENT, timedelta(minutes=15), 4 * hour),
        ],
        [
            EscalationRule(
                name="resolution-75",
                metric="resolution",
                level=1,
                percent=75,
                notify_role="team_lead",
            ),
            EscalationRule(
                name="resolution-breach",
                metric="resolution",
                level=2,
                notify_role="service_manager",
            ),
            EscalationRule(
                name="first-response-breach",
                metric="first_response",
                level=1,
                notify_role="duty_supervisor",
            ),
        ],
    )


def _simulate_case(rng: random.Random, case: Case, at: datetime) -> Case:
    """Move a case along a plausible path, never past ``at``."""
    when = case.opened_at

    def step(hours: float) -> datetime | None:
        nonlocal when
        later = when + timedelta(minutes=rng.randint(5, max(6, int(hours * 60))))
        if later > at:
            return None
        when = later
        return when

    if (moment := step(rng.choice((0.5, 2, 8, 30)))) is None:
        return case
    case = case.respond(at=moment)
    if rng.random() < 0.35:
        if (moment := step(3)) is None:
            return case
        case = case.wait_on_customer(at=moment)
        if (moment := step(rng.choice((4, 30, 60)))) is None:
            return case
        case = case.change_status(CaseStatus.OPEN, at=moment)
    if rng.random() < 0.8:
        if (moment := step(rng.choice((2, 10, 40, 90)))) is None:
            return case
        case = case.resolve(at=moment)
        if rng.random() < 0.6 and (moment := step(48)) is not None:
            case = case.close(at=moment)
    return case


def _cases(rng: random.Random, customers: Sequence[Customer], at: datetime) -> list[Case]:
    ids = SequentialIdSource("case-", width=4)
    priorities = [p for p, weight in _PRIORITIES for _ in range(weight)]
    cases = []
    for customer in customers:
        if rng.random() >= 0.25:
            continue
        opened = at - timedelta(days=rng.randint(0, 20), minutes=rng.randint(0, 1439))
        opened = max(opened, customer.created_at)
        case = Case.open(
            CaseId.new(ids),
            customer_id=customer.id,
            kind=rng.choice(_KINDS),
            priority=rng.choice(priorities),
            subject=rng.choice(_SUBJECTS),
            channel=rng.choice(_CHANNELS),
            at=opened,
        )
        cases.append(_simulate_case(rng, case, at))
    return cases


def _feedback(
    rng: random.Random, customers: Sequence[Customer], cases: Sequence[Case], at: datetime
) -> tuple[list[NpsResponse], list[CsatResponse], list[CesResponse], list[Review]]:
    ids = SequentialIdSource("fb-", width=4)
    nps = [
        NpsResponse.record(
            FeedbackId.new(ids),
            customer_id=customer.id,
            score=rng.choice((10, 10, 9, 9, 9, 8, 8, 7, 6, 5, 3, 0)),
            at=max(customer.created_at, at - timedelta(days=rng.randint(0, 60))),
        )
        for customer in customers
        if rng.random() < 0.3
    ]
    csat: list[CsatResponse] = []
    ces: list[CesResponse] = []
    for case in cases:
        resolved = case.resolved_at
        if resolved is None or rng.random() >= 0.7:
            continue
        csat.append(
            CsatResponse.record(
                FeedbackId.new(ids),
                customer_id=case.customer_id,
                score=rng.choice((5, 5, 4, 4, 4, 3, 2, 1)),
                at=resolved,
                case_id=case.id,
            )
        )
        ces.append(
            CesResponse.record(
                FeedbackId.new(ids),
                customer_id=case.customer_id,
                score=rng.choice((7, 6, 6, 5, 5, 4, 3, 2)),
                at=resolved,
                case_id=case.id,
            )
        )
    review_ids = SequentialIdSource("review-", width=4)
    reviews = [
        Review.receive(
            ReviewId.new(review_ids),
            platform=rng.choice(_PLATFORMS),
            rating=rng.choice((5, 5, 5, 4, 4, 3, 2, 1)),
            at=max(customer.created_at, at - timedelta(days=rng.randint(0, 90))),
            customer_id=customer.id,
        )
        for customer in customers
        if rng.random() < 0.1
    ]
    return nps, csat, ces, reviews


def _percent(value: float | None, *, signed: bool = False) -> str:
    if value is None:
        return "n/a"
    return f"{value:+.1f}" if signed else f"{value:.1f}%"


def demo_section(customers: Sequence[Customer], *, seed: int, at: datetime) -> str:
    """Generate cases and feedback for ``customers`` and render the service section.

    Deterministic for a given seed, customer list and reference time ``at``.
    Shows open cases by priority, SLA breaches and escalations due, NPS, CSAT
    and CES, and the response plan for one negative review, without any
    personal data.

    >>> from datetime import datetime, timezone
    >>> from crmcore.customers import Customer, CustomerId, PersonName
    >>> joined = datetime(2025, 1, 6, 9, 0, tzinfo=timezone.utc)
    >>> people = [
    ...     Customer.register(CustomerId(f"c-{n}"), name=PersonName("Ana"), at=joined)
    ...     for n in range(60)
    ... ]
    >>> at = datetime(2026, 6, 30, 10, 0, tzinfo=timezone.utc)
    >>> text = demo_section(people, seed=3, at=at)
    >>> text == demo_section(people, seed=3, at=at), "Ana" in text
    (True, False)
    >>> print(text.splitlines()[1])
    active cases by priority: urgent ..., high ..., normal ..., low ...
    """
    rng = random.Random(seed)  # noqa: S311 - reproducible demo data, not secrets.
    policy = demo_policy()
    cases = _cases(rng, customers, at)
    nps, csat, ces, reviews = _feedback(rng, customers, cases, at)
    lines = []

    kinds = Counter(case.kind.value for case in cases)
    active = [case for case in cases if case.is_active]
    by_priority = Counter(case.priority for case in active)
    mix = ", ".join(f"{kind} {n}" for kind, n in sorted(kinds.items()))
    lines.append(
        f"{len(cases)} service cases in the last three weeks"
        + (f" ({mix})" if mix else "")
        + f"; {len(active)} still active"
    )
    lines.append(
        "active cases by priority: "
        + ", ".join(f"{p.value} {by_priority[p]}" for p in reversed(CasePriority))
    )
    statuses = [sla_status(case, policy, at=at) for case in cases]
    first_breached = sum(s.first_response.breached for s in statuses)
    resolution_breached = sum(s.resolution.breached for s in statuses)
    lines.append(
        f"SLA '{policy.name}' on {policy.calendar.time_zone} business hours "
        f"({policy.calendar.weekly_hours.total_seconds() / 3600:.0f} h a week, paused while "
        f"waiting on the customer): first response breached on {first_breached}, "
        f"resolution breached on {resolution_breached} of {len(cases)} cases"
    )
    due = [e for case in cases for e in due_escalations(case, policy, at=at)]
    roles = Counter(e.notify_role for e in due)
    lines.append(
        f"escalations due now: {len(due)}"
        + (
            " (" + ", ".join(f"{role} {n}" for role, n in sorted(roles.items())) + ")"
            if due
            else ""
        )
    )

    breakdown = nps_breakdown(nps)
    lines.append(
        f"NPS {_percent(breakdown.score, signed=True)} from {breakdown.total} answers "
        f"({breakdown.promoters} promoters, {breakdown.passives} passives, "
        f"{breakdown.detractors} detractors); CSAT {_percent(csat_score(csat))} "
        f"satisfied of {len(csat)} answers; CES "
        + (
            "n/a"
            if (effort := customer_effort_score(ces)) is None
            else f"{effort:.1f} of 7 ({len(ces)} answers)"
        )
    )
    negative = [r for r in reviews if r.is_negative()]
    average = sum(r.rating for r in reviews) / len(reviews) if reviews else None
    lines.append(
        f"{len(reviews)} public reviews"
        + ("" if average is None else f", average {average:.1f} stars")
        + f", {len(negative)} negative"
    )
    if negative:
        worst = min(negative, key=lambda r: (r.rating, r.id))
        plan = response_plan(
            worst,
            customer_name="(the reviewer's name)",
            service_standard="orders dispatched within 24 hours",
            compensation="free shipping on the next order",
            offline_contact=ContactPoint("whatsapp", "+6281100001111"),
        )
        lines.append(
            f"response plan for {plan.review_id} ({plan.rating}-star review on {plan.platform}): "
            + " -> ".join(step.value for step in plan.steps)
        )
        lines.append(
            f"  standard: {plan.service_standard}; offer: {plan.compensation}; "
            f"offline on {plan.offline_contact.channel.value}; at most {plan.max_words} words; "
            + ", ".join(g.value for g in plan.guidelines)
        )
    return "\n".join(lines)
