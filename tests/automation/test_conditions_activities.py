"""Tests for `crmcore.automation._conditions`: the ``task_overdue`` condition over activities."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from hypothesis import given
from hypothesis import strategies as st

from crmcore import Customer, CustomerId, PersonName
from crmcore._kernel._ids import StaffId
from crmcore._kernel._refs import RecordRef
from crmcore.activities import Activity, ActivityId, ActivityStatus
from crmcore.automation._conditions import TimeMatch, time_matches
from crmcore.repository import InMemoryUnitOfWork
from crmcore.testing.strategies import activities, aware_datetimes

T0 = datetime(2026, 1, 5, 9, 0, tzinfo=UTC)
H = timedelta(hours=1)
ANA = CustomerId("c-ana")
BUDI = CustomerId("c-budi")
SARI = StaffId("s-sari")


def store(*aggregates: Customer | Activity) -> InMemoryUnitOfWork:
    """A committed in-memory unit holding the customers and activities."""
    uow = InMemoryUnitOfWork()
    with uow:
        for aggregate in aggregates:
            if isinstance(aggregate, Customer):
                uow.customers.add(aggregate)
            else:
                uow.activities.add(aggregate)
        uow.commit()
    return uow


def matches(uow: InMemoryUnitOfWork, hours: int, at: datetime) -> list[TimeMatch]:
    with uow:
        return time_matches("task_overdue", hours, uow, at)


def person(customer_id: CustomerId = ANA) -> Customer:
    return Customer.register(customer_id, name=PersonName("Ana"), at=T0 - timedelta(days=9))


# -- task_overdue ----------------------------------------------------------------------------


def task(
    activity_id: str = "a-1", due: datetime = T0, link: object = None, **options: object
) -> Activity:
    return Activity.plan(
        ActivityId(activity_id),
        kind="task",
        subject="Send the quotation",
        due_at=due,
        at=T0 - timedelta(days=1),
        link=link,  # type: ignore[arg-type]
        **options,  # type: ignore[arg-type]
    )


def test_overdue_by_at_least_n_hours() -> None:
    """A task due at 09:00 is overdue by 2 hours after 11:00, not at 11:00 itself."""
    uow = store(person(), task(link=ANA, owner_id=SARI))
    assert [] == matches(uow, 2, T0 + timedelta(hours=2))
    [late] = matches(uow, 2, T0 + timedelta(hours=2, seconds=1))
    assert late.key == "customer:c-ana|overdue:a-1:2026-01-05T09:00:00+00:00"
    assert (late.activity_id, late.customer_id, late.owner_id) == (ActivityId("a-1"), ANA, SARI)
    assert [late.key] == [m.key for m in matches(uow, 0, T0 + timedelta(days=9))]


def test_overdue_records_and_customers() -> None:
    """The match names the linked record; without one, the first contact is the customer."""
    opportunity = RecordRef.parse("opportunity:op-1")
    uow = store(
        person(),
        person(BUDI),
        task("a-1", link=opportunity, contacts=[BUDI, ANA]),
        task("a-2", contacts=[ANA]),
        task("a-3"),
    )
    found = {m.activity_id.value: m for m in matches(uow, 1, T0 + 2 * H) if m.activity_id}
    assert (found["a-1"].record, found["a-1"].customer_id) == (opportunity, BUDI)
    assert (found["a-2"].record, found["a-2"].customer_id) == (None, ANA)
    assert (found["a-3"].record, found["a-3"].customer_id, found["a-3"].owner_id) == (
        None,
        None,
        None,
    )


def test_overdue_skips_completed_and_cancelled_activities() -> None:
    """Done and cancelled activities are never overdue."""
    later = T0 + timedelta(hours=1)
    uow = store(
        person(),
        task("a-done").complete(at=later),
        task("a-gone").cancel(at=later),
        task("a-open", due=T0 + timedelta(days=1)),
    )
    assert [] == matches(uow, 0, T0 + timedelta(hours=5))
    assert ["a-open"] == [
        m.activity_id.value for m in matches(uow, 0, T0 + timedelta(days=2)) if m.activity_id
    ]


def test_overdue_series_moves_to_its_next_occurrence() -> None:
    """Completing one occurrence of a series makes the next one a new occasion."""
    series = task("a-daily", recurrence="FREQ=DAILY;COUNT=3")
    uow = store(person(), series.complete(at=T0 + timedelta(hours=1)))
    [next_one] = matches(uow, 0, T0 + timedelta(days=1, hours=1))
    assert next_one.occasion == "overdue:a-daily:2026-01-06T09:00:00+00:00"


def test_overdue_before_the_calendar_matches_nothing() -> None:
    """N hours before the first instant of the calendar is no time at all."""
    uow = store(person(), task())
    assert [] == matches(uow, 5, datetime(1, 1, 1, 1, tzinfo=UTC))


@given(
    planned=st.lists(
        activities(
            customer_ids=[ANA],
            min_created_at=datetime(2026, 1, 1, tzinfo=UTC),
            max_created_at=datetime(2026, 6, 1, tzinfo=UTC),
            pending_events=False,
        ),
        max_size=5,
        unique_by=lambda a: a.id,
    ),
    at=aware_datetimes(
        min_value=datetime(2026, 1, 1, tzinfo=UTC), max_value=datetime(2027, 6, 1, tzinfo=UTC)
    ),
    hours=st.integers(0, 500),
)
def test_overdue_matches_planned_activities_due_before_the_cutoff(
    planned: list[Activity], at: datetime, hours: int
) -> None:
    """An activity matches when it is planned and its current occurrence is N hours late."""
    expected = sorted(
        f"{'' if a.link is None else a.link}|overdue:{a.id.value}:{a.due_at.astimezone(UTC).isoformat()}"
        for a in planned
        if a.status is ActivityStatus.PLANNED and at - a.due_at > timedelta(hours=hours)
    )
    found = matches(store(person(), *planned), hours, at)
    assert expected == [m.key for m in found]
