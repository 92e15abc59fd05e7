"""The contract of the activity and note repositories: lookups by time, by record and by author."""

from __future__ import annotations

from abc import ABC, abstractmethod
from datetime import datetime, timedelta

from crmcore._kernel._ids import ActivityId, CustomerId, LeadId, NoteId, StaffId
from crmcore._kernel._refs import RecordRef
from crmcore.activities import Activity
from crmcore.errors import InvalidType, ValidationError
from crmcore.notes import Note
from crmcore.repository import UnitOfWork
from crmcore.testing.contract._support import T0, _drain, _equal, _raises

_DAY = timedelta(days=1)
_MINUTE = timedelta(minutes=1)
_AGENT = StaffId("agent-1")


def _call(number: int, due_in: timedelta, **options: object) -> Activity:
    """Call ``act-c{number}`` due ``due_in`` after T0, planned at T0."""
    return Activity.plan(
        ActivityId(f"act-c{number}"),
        kind="call",
        subject=f"Call {number}",
        due_at=T0 + due_in,
        at=T0,
        owner_id=_AGENT,
        **options,  # type: ignore[arg-type]
    )


def _ids(found: list[Activity] | list[Note]) -> list[str]:
    return [aggregate.id.value for aggregate in found]


class ActivitiesContract(ABC):
    """Activities found by due time and overdue time, notes by record, pin and author.

    A base of :class:`~crmcore.testing.contract.UnitOfWorkContract`: adapters
    subclass that one.
    """

    @abstractmethod
    def make_unit_of_work(self) -> UnitOfWork:
        """A new unit of work over this test's storage (empty when the test starts)."""

    def _with_activities(self, *aggregates: Activity | Note) -> UnitOfWork:
        uow = self.make_unit_of_work()
        with uow:
            for aggregate in aggregates:
                if isinstance(aggregate, Activity):
                    uow.activities.add(aggregate)
                else:
                    uow.notes.add(aggregate)
            uow.commit()
        _drain(uow)
        return uow

    def test_activities_due_in_a_window_come_by_due_time(self) -> None:
        """due_between finds planned activities due in [start, end), earliest first; done ones never."""
        done = _call(4, 2 * _DAY).complete(at=T0, outcome="connected")
        cancelled = _call(5, 2 * _DAY).cancel(at=T0, reason="duplicate")
        uow = self._with_activities(
            _call(3, 3 * _DAY), _call(1, 2 * _DAY), _call(2, _DAY), done, cancelled
        )
        with uow:
            found = uow.activities.due_between(T0 + _DAY, T0 + 3 * _DAY)
            _equal(["act-c2", "act-c1"], _ids(found), "due between day 1 and day 3")
            found = uow.activities.due_between(T0 + 3 * _DAY, T0 + 3 * _DAY)
            _equal([], _ids(found), "an empty window")
            found = uow.activities.overdue_at(T0 + 2 * _DAY + timedelta(minutes=1))
            _equal(["act-c2", "act-c1"], _ids(found), "overdue just after day 2")
            _equal([], _ids(uow.activities.overdue_at(T0 + _DAY)), "nothing overdue at day 1")

    def test_reminders_fall_due_in_a_window_with_their_activities(self) -> None:
        """reminders_between pairs each reminder due in [start, end) with its activity, by time."""
        hour, minutes_15 = timedelta(hours=1), timedelta(minutes=15)
        weekly = _call(1, _DAY, recurrence="FREQ=WEEKLY;COUNT=3", reminders=[hour, minutes_15])
        once = _call(2, _DAY + 30 * _MINUTE, reminders=[hour])
        done = _call(3, _DAY, reminders=[hour]).complete(at=T0, outcome="early")
        silent = _call(4, _DAY)
        uow = self._with_activities(weekly, once, done, silent)
        with uow:
            found = uow.activities.reminders_between(T0 + _DAY - 2 * hour, T0 + _DAY)
            expected = [
                ("act-c1", T0 + _DAY - hour),
                ("act-c2", T0 + _DAY + 30 * _MINUTE - hour),
                ("act-c1", T0 + _DAY - minutes_15),
            ]
            actual = [(activity.id.value, due.remind_at) for activity, due in found]
            _equal(expected, actual, "the reminders of day 1, by time")
            week_two = T0 + 8 * _DAY
            found = uow.activities.reminders_between(week_two - hour, week_two)
            expected = [("act-c1", week_two - hour), ("act-c1", week_two - minutes_15)]
            actual = [(activity.id.value, due.remind_at) for activity, due in found]
            _equal(expected, actual, "the second occurrence's reminders")
            with _raises(ValidationError) as raised:
                uow.activities.reminders_between(T0 + _DAY, T0)
            _equal("$.end", raised.value.path, "the path")

    def test_the_time_lookups_see_the_units_own_changes(self) -> None:
        """A reschedule in the unit moves the activity between windows before it commits."""
        uow = self._with_activities(_call(1, _DAY))
        with uow:
            moved = uow.activities.get(ActivityId("act-c1")).reschedule(T0 + 5 * _DAY, at=T0)
            uow.activities.save(moved)
            _equal([], _ids(uow.activities.overdue_at(T0 + 2 * _DAY)), "moved out of the past")
            found = uow.activities.due_between(T0 + 4 * _DAY, T0 + 6 * _DAY)
            _equal(["act-c1"], _ids(found), "moved into the window")

    def test_a_series_is_due_when_any_remaining_occurrence_is(self) -> None:
        """A weekly series is found by a window around its third week, not by its completed first."""
        series = _call(1, _DAY, recurrence="FREQ=WEEKLY;COUNT=4")
        uow = self._with_activities(series.complete(at=T0 + _DAY, outcome="connected"))
        with uow:
            week_three = T0 + _DAY + 14 * _DAY
            found = uow.activities.due_between(week_three, week_three + _DAY)
            _equal(["act-c1"], _ids(found), "its third occurrence")
            _equal([], _ids(uow.activities.due_between(T0, T0 + 2 * _DAY)), "its first, done")

    def test_the_time_lookups_refuse_naive_times_and_reversed_windows(self) -> None:
        """Naive times and an end before the start raise ValidationError naming the argument."""
        uow = self._with_activities()
        with uow:
            with _raises(ValidationError) as raised:
                uow.activities.overdue_at(datetime(2026, 1, 5, 9, 0))  # noqa: DTZ001 - the point.
            _equal("$.at", raised.value.path, "the path")
            with _raises(ValidationError) as raised:
                uow.activities.due_between(T0 + _DAY, T0)
            _equal("$.end", raised.value.path, "the path")
            with _raises(InvalidType):
                uow.activities.linked_to("customer:c-1")  # type: ignore[arg-type]

    def test_records_of_different_kinds_with_the_same_id_text_stay_apart(self) -> None:
        """A note on lead x and a note on customer x are found under their own record only."""
        on_lead = Note.write(NoteId("note-1"), link=RecordRef.to(LeadId("x")), body="a", at=T0)
        on_customer = Note.write(
            NoteId("note-2"), link=RecordRef.to(CustomerId("x")), body="b", at=T0, author_id=_AGENT
        )
        uow = self._with_activities(on_lead, on_customer)
        with uow:
            _equal(["note-1"], _ids(uow.notes.linked_to(RecordRef.to(LeadId("x")))), "lead x")
            found = uow.notes.linked_to(RecordRef.to(CustomerId("x")))
            _equal(["note-2"], _ids(found), "customer x")
            _equal(["note-2"], _ids(uow.notes.by_author(_AGENT)), "by author")
            _equal([], _ids(uow.notes.pinned_on(RecordRef.to(LeadId("x")))), "nothing pinned")
            uow.notes.save(uow.notes.get(NoteId("note-1")).pin(at=T0))
            uow.commit()
        with uow:
            found = uow.notes.pinned_on(RecordRef.to(LeadId("x")))
            _equal(["note-1"], _ids(found), "pinned after the commit")

    def test_for_customer_finds_links_accounts_and_contacts(self) -> None:
        """for_customer finds a link to the customer or its account and, for activities, a contact.

        A lead with the customer's id text is another record; a merge's re-pointing moves
        what the lookup finds before the unit commits.
        """
        customer, other = CustomerId("c-x"), CustomerId("c-y")
        uow = self._with_activities(
            _call(1, _DAY, link=RecordRef.to(customer)),
            _call(2, _DAY, link=RecordRef.account(customer)),
            _call(3, _DAY, contacts=[other, customer]),
            _call(4, _DAY, link=RecordRef.to(LeadId("c-x")), contacts=[other]),
            _call(5, _DAY, link=RecordRef.to(customer), contacts=[customer]),
            Note.write(NoteId("note-1"), link=RecordRef.account(customer), body="a", at=T0),
            Note.write(NoteId("note-2"), link=RecordRef.to(LeadId("c-x")), body="b", at=T0),
            Note.write(NoteId("note-3"), link=RecordRef.to(customer), body="c", at=T0),
        )
        with uow:
            found = _ids(uow.activities.for_customer(customer))
            _equal(["act-c1", "act-c2", "act-c3", "act-c5"], found, "activities of c-x")
            _equal(["act-c3", "act-c4"], _ids(uow.activities.for_customer(other)), "of c-y")
            _equal(["note-1", "note-3"], _ids(uow.notes.for_customer(customer)), "notes of c-x")
            _equal([], _ids(uow.notes.for_customer(other)), "no note on c-y")
            with _raises(InvalidType):
                uow.notes.for_customer("c-x")  # type: ignore[arg-type]
            with _raises(InvalidType):
                uow.activities.for_customer(StaffId("c-x"))  # type: ignore[arg-type]
            moved = uow.activities.get(ActivityId("act-c3")).repoint_customer(
                customer, other, at=T0
            )
            uow.activities.save(moved)
            uow.notes.save(uow.notes.get(NoteId("note-3")).repoint_customer(customer, other, at=T0))
            found = _ids(uow.activities.for_customer(customer))
            _equal(["act-c1", "act-c2", "act-c5"], found, "c-x after the move")
            _equal(["act-c3", "act-c4"], _ids(uow.activities.for_customer(other)), "c-y after")
            _equal(["note-3"], _ids(uow.notes.for_customer(other)), "the note moved")
