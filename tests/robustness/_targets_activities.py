"""The targets of the activity, note, messaging and automation packages (see ``_targets.py``)."""

from datetime import timedelta

from hypothesis import strategies as st

from crmcore import activities, automation, messaging, notes
from crmcore.activities import Activity, ActivityId, RecordRef, Recurrence, Reminder
from crmcore.customers import CustomerId
from crmcore.interactions import InteractionId
from crmcore.notes import Attachment, Note, NoteId
from crmcore.sales import LeadId
from crmcore.teams import StaffId
from crmcore.testing import strategies as crm

from ._corpus import BASE_END, DAY, LATER, T0, either
from ._corpus_activities import (
    ACTIVITY,
    ACTIVITY_UOW,
    ATTACHMENT,
    AUTOMATION_RULES,
    AUTOMATION_SETTINGS,
    AUTOMATION_UOW,
    CALL,
    CATALOG,
    GREETINGS,
    NEWCOMER,
    NOTE,
    QUIET_HOURS,
    RECURRENCE,
    SECOND_ATTACHMENT,
    TEMPLATE,
)
from ._fuzz import function, method

ACTIVITIES = either(ACTIVITY, crm.activities(max_steps=3, max_created_at=BASE_END))
NOTES = either(NOTE, crm.notes(max_steps=3, max_created_at=BASE_END))
RECURRENCES = either(RECURRENCE, crm.recurrences())
LEDGERS = either(automation.AutomationLedger(), crm.automation_ledgers())

# -- activities ----------------------------------------------------------------------------

function(
    Activity.plan,
    {
        "activity_id": ActivityId("act-9"),
        "kind": "call",
        "subject": "Call back",
        "due_at": LATER + DAY,
        "at": LATER,
        "time_zone": "Asia/Jakarta",
        "duration": timedelta(minutes=10),
        "priority": "urgent",
        "owner_id": StaffId("agent-1"),
        "staff": [StaffId("agent-2")],
        "contacts": [CustomerId("c-1")],
        "link": RecordRef.to(LeadId("lead-9")),
        "recurrence": "FREQ=DAILY;COUNT=3",
        "exdates": [LATER + 2 * DAY],
        "reminders": [timedelta(minutes=5)],
    },
    name="Activity.plan",
)
for _name, _args in {
    "upcoming": None,
    "is_overdue_at": lambda a: {"at": LATER},
    "occurrences_between": lambda a: {"start": T0, "end": LATER},
    "is_due_between": lambda a: {"start": T0, "end": LATER},
    "reminders_between": lambda a: {"start": T0, "end": LATER},
    "reschedule": lambda a: {"due_at": LATER + DAY, "at": LATER, "time_zone": "UTC"},
    "reassign": lambda a: {"owner_id": StaffId("agent-3"), "at": LATER},
    "change_participants": lambda a: {
        "staff": [StaffId("agent-4")],
        "contacts": [CustomerId("c-4")],
        "at": LATER,
    },
    "link_to": lambda a: {"link": RecordRef.to(CustomerId("c-5")), "at": LATER},
    "set_reminders": lambda a: {"reminders": [timedelta(hours=1)], "at": LATER},
    "complete": lambda a: {"at": LATER, "outcome": "done", "actual_at": LATER},
    "cancel": lambda a: {"at": LATER, "reason": "not_needed"},
    "skip_occurrence": lambda a: {"occurrence": a.due_at, "at": LATER},
    "repoint_customer": lambda a: {
        "previous": (a.link.customer_id if a.link is not None else None)
        or (a.contacts[0] if a.contacts else CustomerId("c-1")),
        "customer_id": CustomerId("c-77"),
        "at": LATER,
    },
}.items():
    method(ACTIVITIES, _name, _args, label="Activity")
function(
    Recurrence,
    {
        "rule": "FREQ=MONTHLY;BYMONTHDAY=1;COUNT=12",
        "start": T0,
        "time_zone": "Asia/Jakarta",
        "exdates": [],
    },
    name="Recurrence",
)
for _name, _args in {
    "occurrences": None,
    "after": lambda r: {"moment": T0},
    "from_": lambda r: {"moment": T0},
    "between": lambda r: {"start": T0, "end": LATER},
    "starting_at": lambda r: {"start": r.first},
    "excluding": lambda r: {"moment": r.first},
}.items():
    method(RECURRENCES, _name, _args, label="Recurrence")
function(Reminder.before, {"offset": timedelta(minutes=30)}, name="Reminder.before")
function(RecordRef.to, {"identifier": LeadId("lead-1")}, name="RecordRef.to")
function(RecordRef.account, {"customer_id": CustomerId("c-1")}, name="RecordRef.account")
function(RecordRef.parse, {"text": "case:case-1", "path": "$.link"}, name="RecordRef.parse")
function(activities.zone_name, {"value": "Asia/Jakarta", "path": "$.time_zone"})
function(
    activities.complete_activity_in,
    {
        "unit": ACTIVITY_UOW,
        "activity_id": CALL.id,
        "at": T0 + DAY,
        "interaction_id": InteractionId("i-fuzz"),
        "outcome": "connected",
        "duration": timedelta(minutes=3),
        "channel": "phone",
        "direction": "outbound",
    },
)

# -- notes ---------------------------------------------------------------------------------

function(
    Note.write,
    {
        "note_id": NoteId("note-9"),
        "link": RecordRef.to(CustomerId("c-1")),
        "at": LATER,
        "body": "Call after five.",
        "author_id": StaffId("agent-1"),
        "pinned": True,
        "attachments": [ATTACHMENT],
    },
    name="Note.write",
)
for _name, _args in {
    "attachment": lambda n: {"storage_key": "blob-1"},
    "edit": lambda n: {"body": "Changed.", "at": LATER},
    "pin": lambda n: {"at": LATER},
    "unpin": lambda n: {"at": LATER},
    "attach": lambda n: {"attachment": SECOND_ATTACHMENT, "at": LATER},
    "detach": lambda n: {"storage_key": "blob-1", "at": LATER},
    "relink": lambda n: {"link": RecordRef.to(LeadId("lead-2")), "at": LATER},
    "repoint_customer": lambda n: {
        "previous": n.link.customer_id or CustomerId("c-1"),
        "customer_id": CustomerId("c-77"),
        "at": LATER,
    },
}.items():
    method(NOTES, _name, _args, label="Note")
function(
    Attachment.describe,
    {
        "data": b"hello",
        "file_name": "hello.txt",
        "media_type": "text/plain",
        "storage_key": "blob-9",
    },
    name="Attachment.describe",
)
method(st.just(ATTACHMENT), "matches", lambda a: {"data": b"%PDF-1.7 quote"}, label="Attachment")
function(notes.arrange_notes, {"notes": [NOTE]})
function(notes.check_file_name, {"value": "quote.pdf", "path": "$.file_name"})
function(notes.check_storage_key, {"value": "blob-1", "path": "$.storage_key"})
function(notes.normalize_media_type, {"value": "Application/PDF", "path": "$.media_type"})

# -- messaging -----------------------------------------------------------------------------

method(
    either(TEMPLATE, crm.message_templates()),
    "render",
    lambda t: {"values": dict.fromkeys(t.placeholders, "x")},
    label="MessageTemplate",
)
for _name, _args in {
    "find": lambda c: {"key": "welcome", "language": "id-ID"},
    "get": lambda c: {"key": "welcome", "language": "en"},
    "render": lambda c: {
        "key": "welcome",
        "language": "en",
        "values": {"first_name": "Dewi", "points_balance": 10},
    },
    "languages": lambda c: {"key": "welcome"},
}.items():
    method(st.just(CATALOG), _name, _args, label="TemplateCatalog")
function(messaging.escape, {"text": "{not a placeholder}"})
function(messaging.normalize_language, {"value": "id-id", "path": "$.language"})
function(messaging.check_template_key, {"value": "birthday.greeting", "path": "$.template_key"})
function(messaging.message_values, {"customer": NEWCOMER, "at": LATER})

# -- automation ----------------------------------------------------------------------------

function(
    automation.run_on_events,
    {
        "rules": AUTOMATION_RULES,
        "events": list(NEWCOMER.pending_events),
        "unit": AUTOMATION_UOW,
        "at": T0 + DAY,
        "ledger": automation.AutomationLedger(),
        "settings": AUTOMATION_SETTINGS,
        "templates": GREETINGS,
    },
)
function(
    automation.run_at,
    {
        "rules": AUTOMATION_RULES,
        "at": T0 + DAY,
        "unit": AUTOMATION_UOW,
        "ledger": automation.AutomationLedger(),
        "settings": AUTOMATION_SETTINGS,
        "templates": GREETINGS,
    },
)
function(
    automation.time_matches,
    {"condition": "birthday_in", "amount": 3, "unit": AUTOMATION_UOW, "at": T0},
)
function(automation.check_amount, {"condition": "no_purchase_for", "amount": 30})
function(automation.rules_to_dict, {"rules": AUTOMATION_RULES})
function(
    automation.rules_from_dict,
    {"data": automation.rules_to_dict(AUTOMATION_RULES), "templates": GREETINGS},
)
for _func, _kwargs in (
    (automation.welcome_message, {}),
    (automation.call_follow_up, {"days": 3}),
    (automation.birthday_greeting, {"days_before": 1, "points": 50}),
    (automation.payment_reminder, {"days_before": 5}),
    (automation.complaint_acknowledgement, {"respond_within": timedelta(hours=2)}),
    (automation.standard_automations, {}),
    (automation.standard_templates, {"default_language": "en"}),
):
    function(_func, _kwargs)
for _name, _args in {
    "get": lambda r: {"key": "welcome"},
    "for_event": lambda r: {"event_type": "CustomerRegistered"},
    "timed": None,
}.items():
    method(st.just(AUTOMATION_RULES), _name, _args, label="AutomationRules")
for _name, _args in {
    "with_keys": lambda ledger: {"keys": ["a|b|0"], "at": LATER},
    "pruned": lambda ledger: {"before": LATER},
    "to_dict": None,
}.items():
    method(LEDGERS, _name, _args, label="AutomationLedger")
function(
    automation.AutomationLedger.from_dict,
    {"data": automation.AutomationLedger().to_dict()},
    name="AutomationLedger.from_dict",
)
method(st.just(QUIET_HOURS), "contains", lambda q: {"at": LATER}, label="QuietHours")
method(st.just(QUIET_HOURS), "ends_after", lambda q: {"at": LATER}, label="QuietHours")
