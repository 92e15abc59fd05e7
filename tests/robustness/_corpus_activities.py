"""The corpus of the activity, note, messaging and automation packages: one of every type.

Imported by ``_corpus.py`` before it harvests its samples, so every public attrs type of these
packages has a valid sample, and every event a history records.
"""

from datetime import date, time, timedelta

from crmcore import activities, automation, messaging, notes
from crmcore.activities import Activity, ActivityId, RecordRef, Recurrence, Reminder
from crmcore.customers import ContactPoint, Customer, CustomerId, PersonName
from crmcore.interactions import InteractionId
from crmcore.loyalty import LoyaltyAccount, LoyaltyAccountId
from crmcore.notes import Attachment, Note, NoteId
from crmcore.repository import InMemoryUnitOfWork
from crmcore.sales import LeadId, OpportunityId
from crmcore.segmentation import field
from crmcore.teams import StaffId, StaffMember

from ._corpus import DAY, HOUR, LATER, PROGRAM, T0

AGENT = StaffId("agent-7")
CONTACT = CustomerId("c-act")

# -- activities ----------------------------------------------------------------------------

RECURRENCE = Recurrence("FREQ=WEEKLY;BYDAY=MO;COUNT=6", start=T0, time_zone="Asia/Jakarta")
ACTIVITY = Activity.plan(
    ActivityId("act-1"),
    kind="meeting",
    subject="Quarterly review",
    due_at=T0,
    at=T0 - DAY,
    time_zone="Asia/Jakarta",
    duration=timedelta(minutes=45),
    priority="high",
    owner_id=AGENT,
    staff=[StaffId("agent-8")],
    contacts=[CONTACT],
    link=RecordRef.to(OpportunityId("opp-1")),
    recurrence="FREQ=WEEKLY;BYDAY=MO;COUNT=6",
    reminders=[timedelta(minutes=15), timedelta(days=1)],
)
#: A series that went through every command (so every event has a sample).
ACTIVITY_HISTORY = (
    ACTIVITY.reschedule(T0 + HOUR, at=T0)
    .reassign(StaffId("agent-8"), at=T0)
    .change_participants(staff=[AGENT], contacts=[CONTACT, CustomerId("c-act2")], at=T0)
    .link_to(RecordRef.to(LeadId("lead-1")), at=T0)
    .set_reminders([Reminder.before(timedelta(minutes=30))], at=T0)
    .skip_occurrence(T0 + HOUR + 7 * DAY, at=T0)
    .complete(at=T0 + 2 * HOUR, outcome="agreed next steps", duration=timedelta(minutes=40))
    .repoint_customer(CONTACT, CustomerId("c-act3"), at=T0 + 2 * HOUR)
    .cancel(at=T0 + 3 * HOUR, reason="client_left")
)
CALL = Activity.plan(
    ActivityId("act-2"),
    kind="call",
    subject="Follow up the quote",
    due_at=T0 + DAY,
    at=T0,
    owner_id=AGENT,
    link=RecordRef.to(CONTACT),
)
ACTIVITIES = (ACTIVITY, ACTIVITY_HISTORY, CALL)

#: An open unit of work holding the call's customer and the call, for the completion service.
ACTIVITY_UOW = InMemoryUnitOfWork()
with ACTIVITY_UOW:
    ACTIVITY_UOW.customers.add(Customer.register(CONTACT, name=PersonName("Dewi"), at=T0 - DAY))
    ACTIVITY_UOW.activities.add(CALL)
    ACTIVITY_UOW.commit()
ACTIVITY_UOW.__enter__()
COMPLETION = activities.complete_activity_in(
    ACTIVITY_UOW,
    CALL.id,
    at=T0 + DAY,
    interaction_id=InteractionId("i-act-2"),
    outcome="connected",
)
ACTIVITY_UOW.rollback()

# -- notes ---------------------------------------------------------------------------------

ATTACHMENT = Attachment.describe(
    b"%PDF-1.7 quote", file_name="quote.pdf", media_type="application/pdf", storage_key="blob-1"
)
SECOND_ATTACHMENT = Attachment(
    file_name="photo.jpg",
    media_type="image/jpeg",
    size=3,
    sha256="a" * 64,
    storage_key="blob-2",
)
NOTE = Note.write(
    NoteId("note-1"),
    link=RecordRef.to(CONTACT),
    body="Prefers calls after lunch.\nAsked for the quote in PDF.",
    author_id=AGENT,
    attachments=[ATTACHMENT],
    at=T0,
)
NOTE_HISTORY = (
    NOTE.edit("Prefers calls after lunch.", at=T0)
    .pin(at=T0)
    .unpin(at=T0)
    .attach(SECOND_ATTACHMENT, at=T0)
    .detach("blob-1", at=T0)
    .relink(RecordRef.to(LeadId("lead-1")), at=T0)
    .relink(RecordRef.to(CONTACT), at=T0)
    .repoint_customer(CONTACT, CustomerId("c-act2"), at=T0)
)

# -- messaging -----------------------------------------------------------------------------

TEMPLATE = messaging.MessageTemplate(
    key="welcome",
    language="id",
    subject="Selamat datang, {first_name}",
    body="Halo {first_name}, poin Anda {points_balance}. {{kode}}",
    channel="email",
    fields=frozenset({"first_name", "points_balance"}),
)
TEMPLATE_EN = messaging.MessageTemplate(
    key="welcome",
    language="en",
    body="Hello {first_name}, you have {points_balance} points.",
    fields=frozenset({"first_name", "points_balance"}),
)
CATALOG = messaging.TemplateCatalog([TEMPLATE, TEMPLATE_EN], default_language="id")
RENDERED = TEMPLATE.render({"first_name": "Dewi", "points_balance": 1500})

# -- automation ----------------------------------------------------------------------------

AUTOMATION_RULES = automation.AutomationRules(
    [
        automation.AutomationRule(
            "welcome",
            automation.EventTrigger("CustomerRegistered", field("kind") == "person"),
            [
                automation.SendMessage("greeting", "email", "service"),
                automation.SendMessage("greeting", "sms", "marketing"),
                automation.CreateActivity("call", "greeting", timedelta(days=2), priority="high"),
                automation.AddTag("new"),
                automation.RemoveTag("lead"),
                automation.FireLifecycleTrigger("relationship_ladder", "qualify"),
                automation.NotifyOwner("greeting"),
                automation.GrantLoyaltyBonus(100, "welcome"),
            ],
            description="Greet new customers",
        ),
        automation.AutomationRule(
            "birthday",
            automation.TimeTrigger("birthday_in", 0),
            [automation.SendMessage("greeting", "email", "marketing")],
        ),
    ]
)
QUIET_HOURS = automation.QuietHours(time(21, 0), time(8, 0), "Asia/Jakarta")
AUTOMATION_SETTINGS = automation.AutomationSettings(quiet_hours=QUIET_HOURS, default_language="id")
NEWCOMER = Customer.register(
    CustomerId("c-new"),
    name=PersonName("Rina"),
    at=T0,
    owner=AGENT,
    birth_date=date(1990, 1, 8),
    contact_points=[ContactPoint("email", "rina@example.com", primary=True)],
).give_consent("email", "service", at=T0, source="signup")
AUTOMATION_UOW = InMemoryUnitOfWork()
with AUTOMATION_UOW:
    AUTOMATION_UOW.staff.add(StaffMember.register(AGENT, display_name="Agent", at=T0))
    AUTOMATION_UOW.customers.add(NEWCOMER)
    AUTOMATION_UOW.loyalty_accounts.add(
        LoyaltyAccount.enroll(
            LoyaltyAccountId("la-new"), customer_id=NEWCOMER.id, program=PROGRAM, at=T0
        )
    )
    AUTOMATION_UOW.commit()
AUTOMATION_UOW.__enter__()
#: Only the first name: the welcome runs before the newcomer has any points.
GREETING = messaging.MessageTemplate(
    key="greeting",
    language="id",
    body="Halo {first_name}!",
    fields=frozenset({"first_name"}),
)
GREETINGS = messaging.TemplateCatalog([GREETING], default_language="id")
AUTOMATION_RESULT = automation.run_on_events(
    AUTOMATION_RULES,
    list(NEWCOMER.pending_events),
    unit=AUTOMATION_UOW,
    at=T0 + 2 * HOUR,
    settings=AUTOMATION_SETTINGS,
    templates=GREETINGS,
)
TIME_RESULT = automation.run_at(
    AUTOMATION_RULES, at=T0 + 2 * HOUR, unit=AUTOMATION_UOW, templates=GREETINGS
)
TIME_MATCH = automation.TimeMatch(
    condition="birthday_in",
    record=RecordRef.to(NEWCOMER.id),
    customer_id=NEWCOMER.id,
    owner_id=AGENT,
    occasion="birthday:2024-01-08",
)

CORPUS = (
    RECURRENCE,
    *ACTIVITIES,
    COMPLETION,
    *CALL.reminders_between(T0 - 30 * DAY, T0 + 60 * DAY),
    *ACTIVITY.reminders_between(T0 - 30 * DAY, T0 + 60 * DAY),
    NOTE,
    NOTE_HISTORY,
    CATALOG,
    RENDERED,
    AUTOMATION_RULES,
    AUTOMATION_SETTINGS,
    AUTOMATION_RESULT,
    TIME_RESULT,
    TIME_MATCH,
    notes.arrange_notes([NOTE, NOTE_HISTORY]),
    LATER,
)
