"""The activity and note repositories and the registrations of their aggregates.

Activities and notes link to one record of any kind through a
:class:`~crmcore.activities.RecordRef`; the ``record`` index holds its text
(``"lead:l-1"``), and the ``customer`` index the id of a linked customer or
account (with an activity's contacts), so a merge of customers finds them
without a scan. Links are not references checked at commit: a note may name
a record another store keeps (an order in the billing system).
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import Final

from crmcore._kernel._checks import require_aware, type_name
from crmcore._kernel._ids import ActivityId, CustomerId, NoteId, StaffId
from crmcore._kernel._refs import RecordRef
from crmcore.activities import Activity, ActivityStatus, ReminderDue
from crmcore.errors import InvalidType, ValidationError
from crmcore.notes import Note
from crmcore.repository._lookups import by_status, choice_argument, id_argument, optional_id
from crmcore.repository._ports import ActivityRepository, NoteRepository
from crmcore.repository._store import AggregateSpec, StoreRepository


def record_argument(value: object, path: str = "$.record") -> str:
    """The ``record`` index value of a :class:`RecordRef` argument."""
    if type(value) is not RecordRef:
        raise InvalidType(f"must be a RecordRef, not {type_name(value)}", path=path)
    return str(value)


def _linked(aggregate: Activity | Note) -> tuple[str, ...]:
    return () if aggregate.link is None else (str(aggregate.link),)


def _linked_customer(aggregate: Activity | Note) -> tuple[str, ...]:
    return () if aggregate.link is None else optional_id(aggregate.link.customer_id)


def _activity_customers(activity: Activity) -> tuple[str, ...]:
    """The ``customer`` index: the linked customer or account, and every contact (each once)."""
    found = (*_linked_customer(activity), *(contact.value for contact in activity.contacts))
    return tuple(dict.fromkeys(found))


def _activity_owner(activity: Activity) -> tuple[str, ...]:
    return optional_id(activity.owner_id)


def _activity_participants(activity: Activity) -> tuple[str, ...]:
    staff = (f"staff:{member.value}" for member in activity.staff)
    contacts = (f"contact:{contact.value}" for contact in activity.contacts)
    return (*staff, *contacts)


def _window(start: object, end: object) -> tuple[datetime, datetime]:
    begin = require_aware(start, "$.start")
    finish = require_aware(end, "$.end")
    if finish < begin:
        raise ValidationError("must not be before the start", path="$.end", code="window")
    return begin, finish


class StoreActivityRepository(StoreRepository[Activity], ActivityRepository):
    """The activity repository of :class:`~crmcore.repository.StoreUnitOfWork`.

    The time lookups read the planned activities (the ``status`` index) and
    ask each one about its due times, so their cost grows with the number of
    planned activities, not with the history.

    .. versionadded:: 0.1
    """

    def _planned(self, keep: Callable[[Activity], bool]) -> list[Activity]:
        planned = self.find_by_index("status", ActivityStatus.PLANNED.value)
        return sorted((a for a in planned if keep(a)), key=lambda a: (a.due_at, a.id))

    def due_between(self, start: datetime, end: datetime) -> list[Activity]:
        """The planned activities with an occurrence due in ``[start, end)`` (see the port)."""
        self._unit.view()
        begin, finish = _window(start, end)
        return self._planned(lambda activity: activity.is_due_between(begin, finish))

    def overdue_at(self, at: datetime) -> list[Activity]:
        """The planned activities due before ``at`` (see :class:`ActivityRepository`)."""
        self._unit.view()
        when = require_aware(at, "$.at")
        return self._planned(lambda activity: activity.is_overdue_at(when))

    def reminders_between(
        self, start: datetime, end: datetime
    ) -> list[tuple[Activity, ReminderDue]]:
        """The reminders falling due in ``[start, end)``, with their activities (see the port)."""
        self._unit.view()
        begin, finish = _window(start, end)
        planned = self.find_by_index("status", ActivityStatus.PLANNED.value)
        found = [
            (activity, due)
            for activity in planned
            if activity.reminders
            for due in activity.reminders_between(begin, finish)
        ]
        return sorted(found, key=lambda pair: (pair[1].remind_at, pair[0].id, pair[1].occurrence))

    def owned_by(self, staff_id: StaffId) -> list[Activity]:
        """The activities one member of staff owns (see :class:`ActivityRepository`)."""
        self._unit.view()
        return self.find_by_index("owner", id_argument(staff_id, StaffId, "$.staff_id"))

    def linked_to(self, record: RecordRef) -> list[Activity]:
        """The activities linked to one record (see :class:`ActivityRepository`)."""
        self._unit.view()
        return self.find_by_index("record", record_argument(record))

    def with_participant(self, participant: StaffId | CustomerId) -> list[Activity]:
        """The activities a staff member or a contact takes part in (see the port)."""
        self._unit.view()
        if type(participant) is StaffId:
            return self.find_by_index("participant", f"staff:{participant.value}")
        if type(participant) is CustomerId:
            return self.find_by_index("participant", f"contact:{participant.value}")
        raise InvalidType(
            f"must be a StaffId or a CustomerId, not {type_name(participant)}",
            path="$.participant",
        )

    def for_customer(self, customer_id: CustomerId) -> list[Activity]:
        """The activities naming one customer, by link or as a contact (see the port)."""
        self._unit.view()
        return self.find_by_index("customer", id_argument(customer_id, CustomerId, "$.customer_id"))

    def with_status(self, status: ActivityStatus | str) -> list[Activity]:
        """The activities with this status (see :class:`ActivityRepository`)."""
        self._unit.view()
        return self.find_by_index("status", choice_argument(status, ActivityStatus, "$.status"))


def _note_author(note: Note) -> tuple[str, ...]:
    return optional_id(note.author_id)


def _note_pinned(note: Note) -> tuple[str, ...]:
    return (str(note.link),) if note.pinned else ()


class StoreNoteRepository(StoreRepository[Note], NoteRepository):
    """The note repository of :class:`~crmcore.repository.StoreUnitOfWork`.

    .. versionadded:: 0.1
    """

    def linked_to(self, record: RecordRef) -> list[Note]:
        """The notes on one record (see :class:`NoteRepository`)."""
        self._unit.view()
        return self.find_by_index("record", record_argument(record))

    def pinned_on(self, record: RecordRef) -> list[Note]:
        """The pinned notes on one record (see :class:`NoteRepository`)."""
        self._unit.view()
        return self.find_by_index("pinned", record_argument(record))

    def by_author(self, staff_id: StaffId) -> list[Note]:
        """The notes one member of staff wrote (see :class:`NoteRepository`)."""
        self._unit.view()
        return self.find_by_index("author", id_argument(staff_id, StaffId, "$.staff_id"))

    def for_customer(self, customer_id: CustomerId) -> list[Note]:
        """The notes on one customer or account (see :class:`NoteRepository`)."""
        self._unit.view()
        return self.find_by_index("customer", id_argument(customer_id, CustomerId, "$.customer_id"))


#: The registration of the :class:`~crmcore.activities.Activity` aggregate. Its owner,
#: link and participants are not references checked at commit (like an opportunity's owner).
ACTIVITIES: Final[AggregateSpec[Activity]] = AggregateSpec(
    name="activities",
    kind="activity",
    aggregate_type=Activity,
    id_type=ActivityId,
    indexes={
        "status": by_status,
        "owner": _activity_owner,
        "record": _linked,
        "participant": _activity_participants,
        "customer": _activity_customers,
    },
    repository_type=StoreActivityRepository,
)

#: The registration of the :class:`~crmcore.notes.Note` aggregate.
NOTES: Final[AggregateSpec[Note]] = AggregateSpec(
    name="notes",
    kind="note",
    aggregate_type=Note,
    id_type=NoteId,
    indexes={
        "record": _linked,
        "author": _note_author,
        "pinned": _note_pinned,
        "customer": _linked_customer,
    },
    repository_type=StoreNoteRepository,
)
