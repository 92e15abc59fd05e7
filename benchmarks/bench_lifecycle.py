"""Lifecycle transitions per second, side by side with a bare `attrs.evolve` of the same customer.

Firing a trigger validates the time, looks the move up, builds the change and
the event, and returns a new customer. The floor for any immutable update is
`attrs.evolve` of the same customer with the same new lifecycle tuple, which
runs every converter and check of `Customer` too. Goal: at least a quarter of
its throughput.

Run: .venv/bin/python benchmarks/bench_lifecycle.py [--quick]
"""

import sys
import time
from datetime import UTC, datetime, timedelta

import attrs

from crmcore import ContactPoint, Customer, CustomerId, PersonName
from crmcore.lifecycle import RELATIONSHIP_LADDER, Facts, progress

T0 = datetime(2026, 1, 5, 9, 0, tzinfo=UTC)
LADDER = RELATIONSHIP_LADDER


def typical_customer() -> Customer:
    """A customer with the data a CRM usually holds, already a first-time customer."""
    customer = Customer.register(
        CustomerId("c-1"),
        name=PersonName("Ana", family="Putri"),
        at=T0,
        contact_points=[
            ContactPoint("email", "ana@example.com"),
            ContactPoint("phone", "+6281234567890"),
        ],
        tags=["vip", "newsletter", "jakarta"],
    )
    customer = customer.give_consent("email", "marketing", at=T0, source="signup-form")
    customer = LADDER.fire(customer, "qualify", at=T0 + timedelta(days=1))
    customer = LADDER.fire(customer, "first_purchase", at=T0 + timedelta(days=2))
    return customer.without_pending_events()


def best_rate(operation, number: int, repeats: int) -> float:
    """The best of several timed runs, in operations per second."""
    best = float("inf")
    for _ in range(repeats):
        started = time.perf_counter()
        for _ in range(number):
            operation()
        best = min(best, time.perf_counter() - started)
    return number / best


def main() -> None:
    quick = "--quick" in sys.argv
    number, repeats = (2_000, 3) if quick else (20_000, 5)
    base = typical_customer()
    at = T0 + timedelta(days=3)
    moved = LADDER.fire(base, "repeat_purchase", at=at)
    lifecycles, events = moved.lifecycles, moved.pending_events

    def fire() -> Customer:
        return LADDER.fire(base, "repeat_purchase", at=at)

    def evolve() -> Customer:
        return attrs.evolve(base, lifecycles=lifecycles, pending_events=events)

    fire_rate = best_rate(fire, number, repeats)
    evolve_rate = best_rate(evolve, number, repeats)
    print(f"fire one transition      {fire_rate:>12,.0f} /s")
    print(f"bare attrs.evolve        {evolve_rate:>12,.0f} /s")
    print(f"ratio fire / evolve      {fire_rate / evolve_rate:>12.2f}   (goal >= 0.25)")

    facts = Facts(
        purchase_count=6,
        first_purchase_at=T0 + timedelta(days=2),
        last_purchase_at=T0 + timedelta(days=400),
        loyalty_member=True,
    )
    later = T0 + timedelta(days=401)
    progress_rate = best_rate(
        lambda: progress(base, facts, at=later), max(number // 10, 100), repeats
    )
    print(f"progress (facts -> steps) {progress_rate:>11,.0f} customers/s")


if __name__ == "__main__":
    main()
