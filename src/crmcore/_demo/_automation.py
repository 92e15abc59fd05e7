"""The demo's automation section: the standard automations run over two years, day by day.

The demo's records (customers, orders, subscriptions, interactions, cases,
loyalty accounts, opportunities) are stored in one in-memory unit of work.
Their domain events are grouped by calendar day in Jakarta time; for every
day of the two years up to the reference time, that day's events go through
:func:`~crmcore.automation.run_on_events` and then
:func:`~crmcore.automation.run_at` runs the time rules, both at the day's
close, carrying the ledger from run to run. The section counts what came out:
intents by rule and kind, skips by reason, and a few example intents shown by
ids, codes and times only (never a name or a rendered text).

Sales calls: the demo's interactions are not linked to deals, so the section
logs one call on each open deal of a known customer, a few days after the
deal was opened, for the follow-up rule to act on.
"""

from __future__ import annotations

import random
from collections import Counter, defaultdict
from collections.abc import Iterable, Sequence
from datetime import date, datetime, time, timedelta, timezone
from typing import Final

from crmcore._demo._commerce import DemoCommerce
from crmcore._demo._inputs import check_inputs
from crmcore._demo._loyalty import DemoLoyalty
from crmcore._demo._service import _cases as demo_cases
from crmcore._kernel._ids import InteractionId, SequentialIdSource
from crmcore.automation import (
    ActivityIntent,
    AnyIntent,
    AutomationLedger,
    AutomationRules,
    LoyaltyBonusIntent,
    MessageIntent,
    run_at,
    run_on_events,
)
from crmcore.customers import Customer, CustomerId
from crmcore.events import DomainEvent
from crmcore.interactions import Interaction
from crmcore.messaging import TemplateCatalog
from crmcore.repository import InMemoryUnitOfWork
from crmcore.sales import Opportunity
from crmcore.service import Case

#: The business's time zone: Jakarta (UTC+7, no daylight saving).
WIB: Final = timezone(timedelta(hours=7), "WIB")
#: When the day's automation runs, in Jakarta.
CLOSE_OF_DAY: Final = time(21, 0)
#: How many days the section replays.
DAYS: Final = 2 * 365 + 1
#: How many example intents the section shows.
EXAMPLES: Final = 4


def _sales_calls(
    rng: random.Random,
    opportunities: Iterable[Opportunity],
    known: set[CustomerId],
    at: datetime,
) -> list[Interaction]:
    ids = SequentialIdSource("call-", width=5)
    calls = []
    for deal in opportunities:
        when = deal.created_at + timedelta(days=rng.randint(1, 6), minutes=rng.randint(0, 600))
        if deal.customer_id not in known or when > at:
            continue
        calls.append(
            Interaction.log(
                InteractionId.new(ids),
                customer_id=deal.customer_id,
                kind="call",
                channel="phone",
                direction="outbound",
                at=when,
                staff_id=deal.owner,
                opportunity_id=deal.id,
                duration=timedelta(minutes=rng.randint(5, 40)),
            )
        )
    return calls


def _stored(
    customers: Sequence[Customer],
    commerce: DemoCommerce,
    loyalty: DemoLoyalty,
    cases: Sequence[Case],
    calls: Sequence[Interaction],
) -> tuple[InMemoryUnitOfWork, list[DomainEvent]]:
    """A unit holding every record, and their events (converted leads' customers are not stored)."""
    uow = InMemoryUnitOfWork(check_references=False)
    events: list[DomainEvent] = []
    with uow:
        for customer in customers:
            events.extend(customer.pending_events)
            uow.customers.add(customer)
        for order in commerce.orders:
            events.extend(order.pending_events)
            uow.orders.add(order)
        for subscription in commerce.subscriptions:
            events.extend(subscription.pending_events)
            uow.subscriptions.add(subscription)
        for interaction in (*commerce.interactions, *calls):
            events.extend(interaction.pending_events)
            uow.interactions.add(interaction)
        for case in cases:
            events.extend(case.pending_events)
            uow.cases.add(case)
        for account in loyalty.accounts:
            events.extend(account.pending_events)
            uow.loyalty_accounts.add(account)
        for deal in loyalty.opportunities:
            events.extend(deal.pending_events)
            uow.opportunities.add(deal)
        uow.commit()
        uow.acknowledge(uow.collect_events())  # the section replays the events itself
    return uow, events


def _by_day(events: Iterable[DomainEvent]) -> dict[date, list[DomainEvent]]:
    days: dict[date, list[DomainEvent]] = defaultdict(list)
    for event in sorted(events, key=lambda e: (e.occurred_at, e.event_id)):
        days[event.occurred_at.astimezone(WIB).date()].append(event)
    return days


def _describe(intent: AnyIntent) -> str:
    """An intent by ids, codes and times: no names, no rendered text."""
    parts = [f"{intent.rule_key}: {type(intent).__name__}", f"record {intent.record}"]
    if isinstance(intent, MessageIntent):
        parts.append(
            f"{intent.template_key} by {intent.channel.value} ({intent.purpose.value}, "
            f"{intent.language})"
        )
    elif isinstance(intent, ActivityIntent):
        parts.append(
            f"{intent.kind.value} due {intent.due_at.astimezone(WIB).isoformat()} "
            f"for {'no owner' if intent.owner_id is None else intent.owner_id.value}"
        )
    elif isinstance(intent, LoyaltyBonusIntent):
        parts.append(f"{intent.points} points ({intent.reason}) to {intent.account_id}")
    parts.append(f"on {intent.at.astimezone(WIB).date().isoformat()}")
    return ", ".join(parts)


def demo_section(
    customers: Sequence[Customer],
    commerce: DemoCommerce,
    loyalty: DemoLoyalty,
    *,
    seed: int,
    at: datetime,
    rules: AutomationRules,
    templates: TemplateCatalog,
) -> str:
    """Run the standard automations over the demo's two years and say what they produced.

    Deterministic for a given seed, data and reference time ``at``. The
    report passes the standard automations and their templates
    (:func:`~crmcore.automation.standard_automations`,
    :func:`~crmcore.automation.standard_templates`).
    """
    now = check_inputs(seed, at, customers=customers)
    rng = random.Random(seed + 15)  # noqa: S311 - reproducible demo data, not secrets.
    chosen, catalog = rules, templates
    calls = _sales_calls(rng, loyalty.opportunities, {c.id for c in customers}, now)
    cases = demo_cases(random.Random(seed), customers, now)  # noqa: S311 - as the service demo
    uow, events = _stored(customers, commerce, loyalty, cases, calls)
    days = _by_day(events)
    last = now.astimezone(WIB).date()
    first = last - timedelta(days=DAYS - 1)
    ledger = AutomationLedger()
    intents: list[AnyIntent] = []
    skipped: Counter[str] = Counter()
    replayed = 0
    with uow:
        for offset in range(DAYS):
            day = first + timedelta(days=offset)
            close = min(datetime.combine(day, CLOSE_OF_DAY, tzinfo=WIB), now)
            todays = days.get(day, [])
            replayed += len(todays)
            on_events = run_on_events(
                chosen, todays, unit=uow, at=close, ledger=ledger, templates=catalog
            )
            timed = run_at(chosen, at=close, unit=uow, ledger=on_events.ledger, templates=catalog)
            ledger = timed.ledger
            for result in (on_events, timed):
                intents.extend(result.intents)
                skipped.update(f"{s.rule_key or '-'}: {s.reason.value}" for s in result.skipped)
        # The last day once more, events and time rules, with the final ledger.
        replay = run_on_events(
            chosen, days.get(last, []), unit=uow, at=close, ledger=ledger, templates=catalog
        )
        again = run_at(chosen, at=close, unit=uow, ledger=replay.ledger, templates=catalog)
    by_rule = Counter(f"{i.rule_key}: {type(i).__name__}" for i in intents)
    width = max((len(name) for name in (*by_rule, *skipped)), default=0)
    lines = [
        (
            f"{len(chosen)} standard automations over {DAYS} days "
            f"({first.isoformat()} to {last.isoformat()}, Jakarta time), "
            f"{replayed} domain events replayed day by day; {len(calls)} sales calls logged on deals"
        ),
        f"{len(intents)} intents produced (by rule and kind):",
        *(f"  {name:<{width}} {n:>5}" for name, n in sorted(by_rule.items())),
        f"{sum(skipped.values())} actions skipped (by rule and reason):",
        *(f"  {name:<{width}} {n:>5}" for name, n in sorted(skipped.items())),
        "examples (ids and codes only):",
        *(f"  {_describe(intent)}" for intent in _examples(intents)),
        (
            f"running the last day again: {len(replay.intents) + len(again.intents)} new intents "
            f"({len(ledger)} idempotency keys in the ledger)"
        ),
    ]
    return "\n".join(lines)


def _examples(intents: Sequence[AnyIntent]) -> list[AnyIntent]:
    """The first intent of each rule, up to :data:`EXAMPLES`."""
    seen: set[str] = set()
    found = []
    for intent in intents:
        if intent.rule_key not in seen:
            seen.add(intent.rule_key)
            found.append(intent)
    return found[:EXAMPLES]
