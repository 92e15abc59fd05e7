"""Activities: tasks, calls, meetings, emails and deadlines, with recurrence and reminders.

An :class:`Activity` is planned work on the crmcore kernel: due at a time in
a time zone, owned by a member of staff, with staff and contacts taking part,
linked to one record through a :class:`RecordRef`, repeating by an RFC 5545
rule (:class:`Recurrence`, computed through :mod:`dateutil.rrule` and always
bounded) and reminding its owner ahead of time (:class:`Reminder`). It moves
from ``planned`` to ``done`` or ``cancelled``. :func:`complete_activity_in`
completes one through a unit of work and logs the call or meeting as an
:class:`~crmcore.interactions.Interaction` on the customer's timeline.
"""

from crmcore._kernel._ids import ActivityId
from crmcore._kernel._refs import RecordKind, RecordRef
from crmcore.activities._activity import (
    ACTIVITY_STATUSES,
    MAX_DURATION_SECONDS,
    MAX_OUTCOME,
    MAX_PARTICIPANTS,
    MAX_REMINDER_MINUTES,
    MAX_REMINDERS,
    MAX_SUBJECT,
    TIMED_KINDS,
    Activity,
    Reminder,
    ReminderDue,
)
from crmcore.activities._completion import (
    DEFAULT_CHANNELS,
    ActivityCompletion,
    ActivityUnit,
    complete_activity_in,
)
from crmcore.activities._events import (
    ActivityAnonymised,
    ActivityCancelled,
    ActivityCompleted,
    ActivityCustomerRepointed,
    ActivityEvent,
    ActivityKind,
    ActivityLinked,
    ActivityOccurrenceSkipped,
    ActivityParticipantsChanged,
    ActivityPlanned,
    ActivityPriority,
    ActivityReassigned,
    ActivityRemindersSet,
    ActivityRescheduled,
    ActivityStatus,
)
from crmcore.activities._recurrence import (
    FREQUENCIES,
    MAX_EXDATES,
    MAX_OCCURRENCES,
    MAX_RULE_LENGTH,
    MAX_SERIES_YEARS,
    Recurrence,
    zone_name,
)

__all__ = [
    "ACTIVITY_STATUSES",
    "DEFAULT_CHANNELS",
    "FREQUENCIES",
    "MAX_DURATION_SECONDS",
    "MAX_EXDATES",
    "MAX_OCCURRENCES",
    "MAX_OUTCOME",
    "MAX_PARTICIPANTS",
    "MAX_REMINDERS",
    "MAX_REMINDER_MINUTES",
    "MAX_RULE_LENGTH",
    "MAX_SERIES_YEARS",
    "MAX_SUBJECT",
    "TIMED_KINDS",
    "Activity",
    "ActivityAnonymised",
    "ActivityCancelled",
    "ActivityCompleted",
    "ActivityCompletion",
    "ActivityCustomerRepointed",
    "ActivityEvent",
    "ActivityId",
    "ActivityKind",
    "ActivityLinked",
    "ActivityOccurrenceSkipped",
    "ActivityParticipantsChanged",
    "ActivityPlanned",
    "ActivityPriority",
    "ActivityReassigned",
    "ActivityRemindersSet",
    "ActivityRescheduled",
    "ActivityStatus",
    "ActivityUnit",
    "RecordKind",
    "RecordRef",
    "Recurrence",
    "Reminder",
    "ReminderDue",
    "complete_activity_in",
    "zone_name",
]
