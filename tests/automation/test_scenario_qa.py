"""A two-week scenario: a small Indonesian coffee roastery runs the automations as an app would.

"Kopi Nusantara" has three staff, a loyalty program, a coffee subscription, a complaint desk and
a sales pipeline for office customers. The test drives the business day by day through an
:class:`~crmcore.repository.InMemoryUnitOfWork`: the world changes (sign-ups, consent changes,
sales calls, a complaint, a duplicate customer merged), and at each tick the application

1. collects the unit's outbox and runs the event rules (``run_on_events``),
2. runs the time rules (``run_at``),
3. carries out every intent (plans the activity, sends and logs the message, adds the tag,
   grants the bonus, notifies the owner) and commits,
4. acknowledges the events that need no retry, stores the ledger as a JSON document,
5. delivers the activity reminders that fell due since the last tick.

The assertions are derived from what the world did, never copied from a run.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from dateutil import rrule

from crmcore import ContactPoint, Customer, CustomerId, Money, PersonName, StaffId
from crmcore._kernel._refs import RecordRef
from crmcore.activities import Activity, ActivityId, complete_activity_in
from crmcore.automation import (
    ActivityIntent,
    AddTag,
    AddTagIntent,
    AnyIntent,
    AutomationLedger,
    AutomationResult,
    AutomationRule,
    AutomationRules,
    AutomationSettings,
    EventTrigger,
    LoyaltyBonusIntent,
    MessageIntent,
    NotifyOwner,
    NotifyOwnerIntent,
    QuietHours,
    SkipReason,
    TimeTrigger,
    rules_from_dict,
    rules_to_dict,
    run_at,
    run_on_events,
    standard_automations,
    standard_templates,
)
from crmcore.commerce import Period, Plan, PlanId, Subscription, SubscriptionId
from crmcore.events import DomainEvent
from crmcore.interactions import Interaction, InteractionId
from crmcore.loyalty import (
    EarnRate,
    LoyaltyAccount,
    LoyaltyAccountId,
    LoyaltyProgram,
    ProgramId,
    Tier,
)
from crmcore.merge import merge_customers_in
from crmcore.messaging import MessageTemplate, TemplateCatalog
from crmcore.notes import Attachment, Note, NoteId
from crmcore.repository import InMemoryUnitOfWork
from crmcore.sales import STANDARD_PIPELINE, Opportunity, OpportunityId
from crmcore.service import Case, CaseId
from crmcore.teams import StaffMember

JAKARTA = ZoneInfo("Asia/Jakarta")
ZONE = "Asia/Jakarta"
START = date(2026, 5, 1)  # a Friday
DAYS = 15
#: The application's ticks each day (wall-clock time in Jakarta).
TICKS = (time(7, 30), time(9, 0), time(13, 0), time(18, 0), time(22, 0))
QUIET = QuietHours(time(21, 0), time(8, 0), ZONE)
SETTINGS = AutomationSettings(quiet_hours=QUIET)

RINA, BUDI, AGUS = StaffId("s-rina"), StaffId("s-budi"), StaffId("s-agus")
AYU, BAYU, CITRA = CustomerId("c-ayu"), CustomerId("c-bayu"), CustomerId("c-citra")
DEWI, EKO, AYU_DUP = CustomerId("c-dewi"), CustomerId("c-eko"), CustomerId("c-ayu-web")
OPP = OpportunityId("opp-dewi-office")
PROGRAM = LoyaltyProgram(
    id=ProgramId("kopi-poin"),
    name="Kopi Poin",
    currency="IDR",
    earn_rate=EarnRate(1, Money("10000", "IDR")),
    tiers=[Tier.by_spend("biji", Money("0", "IDR"))],
)
PLAN = Plan(
    id=PlanId("kopi-bulanan"),
    name="Kopi Bulanan",
    price=Money("185000", "IDR"),
    period=Period.months(1),
    product_type="coffee subscription",
)
OVERDUE_TEMPLATE = "task.overdue"
REVIEW = ActivityId("act-roasting-review")
REVIEW_RULE = "FREQ=WEEKLY;BYDAY=MO;COUNT=3"


def wib(day: int, at: time) -> datetime:
    """The instant of ``at`` on scenario day ``day`` (0 = 1 May 2026) in Jakarta."""
    return datetime.combine(START + timedelta(days=day), at, tzinfo=JAKARTA)


def derived_id(prefix: str, key: str) -> str:
    """A stable record id for an intent (keys hold ``|`` and ``#``, which ids do not allow)."""
    return f"{prefix}-{hashlib.sha256(key.encode()).hexdigest()[:20]}"


def rules() -> AutomationRules:
    """The standard five, plus a member tag and a nudge for tasks a day overdue."""
    standard = list(standard_automations())
    extra = [
        AutomationRule("tag_members", EventTrigger("LoyaltyMemberEnrolled"), [AddTag("kopi-poin")]),
        AutomationRule(
            "overdue_nudge", TimeTrigger("task_overdue", 24), [NotifyOwner(OVERDUE_TEMPLATE)]
        ),
    ]
    # Stored as a document and read back with the catalog, as an admin screen would.
    document = json.loads(json.dumps(rules_to_dict(AutomationRules([*standard, *extra]))))
    return rules_from_dict(document, templates=catalog())


def catalog() -> TemplateCatalog:
    overdue = [
        MessageTemplate(key=OVERDUE_TEMPLATE, language="id", body="Ada tugas yang terlambat."),
        MessageTemplate(key=OVERDUE_TEMPLATE, language="en", body="A task is overdue."),
    ]
    return TemplateCatalog([*standard_templates().templates, *overdue], default_language="id")


@dataclass
class Sent:
    """A message the app handed to its email/WhatsApp gateway."""

    intent: MessageIntent
    at: datetime
    customer: Customer  # as stored when the message was sent


@dataclass
class App:
    """The application around crmcore: it owns the unit of work, the ledger and the gateways."""

    uow: InMemoryUnitOfWork = field(default_factory=InMemoryUnitOfWork)
    ledger_document: dict[str, object] = field(default_factory=lambda: AutomationLedger().to_dict())
    rules: AutomationRules = field(default_factory=rules)
    templates: TemplateCatalog = field(default_factory=catalog)
    carried: dict[str, AnyIntent] = field(default_factory=dict)
    sent: list[Sent] = field(default_factory=list)
    notified: list[NotifyOwnerIntent] = field(default_factory=list)
    reminded: list[tuple[ActivityId, datetime]] = field(default_factory=list)
    skipped_reasons: list[tuple[str, str, SkipReason]] = field(default_factory=list)
    history: list[DomainEvent] = field(default_factory=list)
    ticks: list[datetime] = field(default_factory=list)
    last_tick: datetime | None = None

    # -- the scheduler -----------------------------------------------------------------

    def tick(self, at: datetime) -> None:
        self.ticks.append(at)
        ledger = AutomationLedger.from_dict(json.loads(json.dumps(self.ledger_document)))
        with self.uow:
            events = self.uow.collect_events()
            on_events = run_on_events(
                self.rules,
                events,
                unit=self.uow,
                at=at,
                ledger=ledger,
                settings=SETTINGS,
                templates=self.templates,
            )
            timed = run_at(
                self.rules,
                at=at,
                unit=self.uow,
                ledger=on_events.ledger,
                settings=SETTINGS,
                templates=self.templates,
            )
            for result in (on_events, timed):
                self.note_skips(result)
                for intent in result.intents:
                    self.carry_out(intent, at)
            self.uow.commit()
        seen = {event.event_id for event in self.history}
        self.history.extend(event for event in events if event.event_id not in seen)
        # Keep the events whose actions must be tried again (quiet hours): they come back
        # from the outbox at the next tick, and the ledger keeps what was done from repeating.
        handled = events[: on_events.processed]
        self.uow.acknowledge([e for e in handled if e.event_id not in on_events.retry_causes])
        self.ledger_document = json.loads(json.dumps(timed.ledger.to_dict()))
        self.deliver_reminders(at)

    def note_skips(self, result: AutomationResult) -> None:
        for skip in result.skipped:
            assert skip.rule_key is not None
            self.skipped_reasons.append((skip.rule_key, skip.cause, skip.reason))

    def deliver_reminders(self, at: datetime) -> None:
        if self.last_tick is not None:
            with self.uow:
                for activity, due in self.uow.activities.reminders_between(self.last_tick, at):
                    self.reminded.append((activity.id, due.remind_at))
        self.last_tick = at

    # -- carrying out intents ----------------------------------------------------------

    def carry_out(self, intent: AnyIntent, at: datetime) -> None:
        assert intent.key not in self.carried, f"intent {intent.key} handed out twice"
        self.carried[intent.key] = intent
        handlers: dict[type, Callable[[AnyIntent, datetime], None]] = {
            ActivityIntent: self.plan_activity,  # type: ignore[dict-item]
            MessageIntent: self.send,  # type: ignore[dict-item]
            AddTagIntent: self.add_tag,  # type: ignore[dict-item]
            LoyaltyBonusIntent: self.grant_bonus,  # type: ignore[dict-item]
            NotifyOwnerIntent: self.notify,  # type: ignore[dict-item]
        }
        handlers[type(intent)](intent, at)

    def plan_activity(self, intent: ActivityIntent, at: datetime) -> None:
        assert intent.subject is not None  # a catalog was given, so the subject is rendered
        contacts = [] if intent.customer_id is None else [intent.customer_id]
        activity = Activity.plan(
            ActivityId(derived_id("act", intent.key)),
            kind=intent.kind,
            subject=intent.subject,
            due_at=intent.due_at,
            time_zone=intent.time_zone,  # the zone of the run's time
            priority=intent.priority,
            owner_id=intent.owner_id,
            contacts=contacts,
            link=intent.record,
            reminders=[timedelta(minutes=30)],
            at=at,
        )
        self.uow.activities.add(activity)

    def send(self, intent: MessageIntent, at: datetime) -> None:
        assert intent.customer_id is not None
        assert intent.message is not None
        self.sent.append(Sent(intent, at, self.uow.customers.get(intent.customer_id)))
        case_id = intent.record.id if intent.record and intent.record.kind.value == "case" else None
        self.uow.interactions.add(
            Interaction.log(
                InteractionId(derived_id("msg", intent.key)),
                customer_id=intent.customer_id,
                kind="email" if intent.channel.value == "email" else "message",
                channel=intent.channel,
                direction="outbound",
                at=at,
                subject=intent.message.subject,
                case_id=case_id,  # type: ignore[arg-type]
            )
        )

    def add_tag(self, intent: AddTagIntent, at: datetime) -> None:
        assert intent.customer_id is not None
        customer = self.uow.customers.get(intent.customer_id)
        self.uow.customers.save(customer.add_tag(intent.tag, at=at))

    def grant_bonus(self, intent: LoyaltyBonusIntent, at: datetime) -> None:
        account = self.uow.loyalty_accounts.get(intent.account_id)
        assert account.program_id == PROGRAM.id
        earned = account.earn(intent.points, PROGRAM, at=at, reason=intent.reason)
        self.uow.loyalty_accounts.save(earned)

    def notify(self, intent: NotifyOwnerIntent, at: datetime) -> None:
        self.notified.append(intent)


# -- the world ------------------------------------------------------------------------------


def person(
    customer_id: CustomerId,
    given: str,
    *,
    at: datetime,
    email: str | None = None,
    phone: str | None = None,
    born: date | None = None,
    owner: StaffId | None = None,
) -> Customer:
    points = [ContactPoint("email", email)] if email else []
    if phone:
        points.append(ContactPoint("whatsapp", phone))
    return Customer.register(
        customer_id,
        name=PersonName(given, family="Santoso"),
        contact_points=points,
        birth_date=born,
        owner=owner,
        preferred_language="id",
        at=at,
    )


def open_shop(app: App) -> None:
    """Day -7: staff, the existing customers, the subscription, the loyalty members."""
    before = wib(-7, time(10, 0))
    with app.uow:
        for staff_id, name in ((RINA, "Rina"), (BUDI, "Budi"), (AGUS, "Agus")):
            app.uow.staff.add(StaffMember.register(staff_id, display_name=name, at=before))
        ayu = person(
            AYU, "Ayu", email="ayu@example.co.id", born=date(1994, 5, 4), owner=RINA, at=before
        ).give_consent("email", "marketing", at=before, source="loyalty form")
        bayu = person(BAYU, "Bayu", phone="+6281234500001", born=date(1990, 5, 6), at=before)
        citra = person(CITRA, "Citra", email="citra@example.co.id", owner=BUDI, at=before)
        for customer in (ayu, bayu, citra):
            app.uow.customers.add(customer)
        for account, customer_id in (("m-ayu", AYU), ("m-bayu", BAYU)):
            app.uow.loyalty_accounts.add(
                LoyaltyAccount.enroll(
                    LoyaltyAccountId(account), customer_id=customer_id, program=PROGRAM, at=before
                )
            )
        # The weekly roasting review, Mondays 09:00 for three weeks, with a 15-minute reminder.
        app.uow.activities.add(
            Activity.plan(
                REVIEW,
                kind="meeting",
                subject="Roasting review",
                due_at=wib(3, time(9, 0)),
                time_zone=ZONE,
                recurrence=REVIEW_RULE,
                owner_id=RINA,
                staff=[BUDI, AGUS],
                reminders=[timedelta(minutes=15)],
                at=before,
            )
        )
        # Billing anchored on 10 April: the next fee falls due on 10 May.
        app.uow.subscriptions.add(
            Subscription.start(
                SubscriptionId("sub-citra"),
                customer_id=CITRA,
                plan=PLAN,
                at=datetime(2026, 4, 10, 10, 0, tzinfo=JAKARTA),
            )
        )
        app.uow.commit()


def world(app: App, day: int, at: datetime) -> None:
    """What the business does before the tick at ``at`` of day ``day``."""
    uow = app.uow
    with uow:
        if (day, at.time()) == (0, time(9, 0)):
            # Dewi signs up at the counter; Eko signs up online, then opts out of email at once.
            uow.customers.add(person(DEWI, "Dewi", email="dewi@kantor.co.id", owner=BUDI, at=at))
            eko = person(EKO, "Eko", email="eko@example.co.id", at=at - timedelta(minutes=20))
            uow.customers.add(
                eko.withdraw_consent(
                    "email", "service", at=at - timedelta(minutes=5), source="unsubscribe link"
                )
            )
        if (day, at.time()) == (1, time(13, 0)):
            uow.opportunities.add(
                Opportunity.open(
                    OPP,
                    customer_id=DEWI,
                    name="Kopi for the office",
                    amount=Money("4500000", "IDR"),
                    expected_close=START + timedelta(days=30),
                    owner=BUDI,
                    pipeline=STANDARD_PIPELINE,
                    at=at - timedelta(hours=2),
                )
            )
            # Agus calls Dewi about the office order: a sales call on the opportunity.
            uow.interactions.add(
                Interaction.log(
                    InteractionId("i-call-1"),
                    customer_id=DEWI,
                    kind="call",
                    channel="phone",
                    direction="outbound",
                    at=at - timedelta(hours=1),
                    staff_id=AGUS,
                    opportunity_id=OPP,
                )
            )
        if (day, at.time()) == (2, time(18, 0)):
            # Ayu signs up again on the web shop with another address: a duplicate.
            dup = person(AYU_DUP, "Ayu", email="ayu.s@example.com", at=at - timedelta(hours=3))
            uow.customers.add(dup)
            scan = b"%PDF-1.7 signed delivery note"
            uow.notes.add(
                Note.write(
                    NoteId("n-ayu-web"),
                    link=RecordRef.to(AYU_DUP),
                    body="Wants grinds for a moka pot.",
                    author_id=RINA,
                    attachments=[
                        Attachment.describe(
                            scan,
                            file_name="surat jalan.pdf",
                            media_type="application/pdf",
                            storage_key="blob-0001",
                        )
                    ],
                    at=at - timedelta(hours=2),
                )
            )
            uow.activities.add(
                Activity.plan(
                    ActivityId("act-ayu-web-call"),
                    kind="call",
                    subject="Ask Ayu which grind she wants",
                    due_at=wib(5, time(10, 0)),
                    time_zone=ZONE,
                    duration=timedelta(minutes=10),
                    owner_id=RINA,
                    contacts=[AYU_DUP],
                    link=AYU_DUP,
                    reminders=[timedelta(minutes=90)],
                    at=at - timedelta(hours=1),
                )
            )
        if (day, at.time()) == (4, time(9, 0)):
            merge_customers_in(uow, AYU, AYU_DUP, at=at - timedelta(minutes=30))
        if (day, at.time()) == (5, time(13, 0)):
            # Rina makes the call planned on the duplicate; it is now Ayu's.
            complete_activity_in(
                uow,
                ActivityId("act-ayu-web-call"),
                at=wib(5, time(10, 20)),
                interaction_id=InteractionId("i-ayu-call"),
                outcome="Moka pot grind",
            )
        if (day, at.time()) == (6, time(22, 0)):
            # Citra complains late in the evening: the acknowledgement waits for the morning.
            uow.cases.add(
                Case.open(
                    CaseId("case-1"),
                    customer_id=CITRA,
                    kind="complaint",
                    subject="The beans arrived stale",
                    channel="email",
                    assignee=RINA,
                    at=at - timedelta(minutes=10),
                )
            )
        if (day, at.time()) == (7, time(9, 0)):
            # Bayu agrees to marketing on WhatsApp after his birthday: no greeting is owed.
            bayu = uow.customers.get(BAYU)
            uow.customers.save(
                bayu.give_consent("whatsapp", "marketing", at=at, source="store visit")
            )
        uow.commit()


def do_the_work(app: App, at: datetime) -> None:
    """Staff complete what the automations planned: follow-ups the day after, except Agus's."""
    with app.uow:
        review = app.uow.activities.get(REVIEW)
        if review.is_planned and review.due_at <= at:
            # A meeting of staff only: no customer, so no interaction and no id for one.
            complete_activity_in(app.uow, REVIEW, at=review.due_at + timedelta(hours=1))
        for activity in app.uow.activities.due_between(at - timedelta(days=1), at):
            if activity.id == REVIEW:
                continue
            if activity.owner_id == AGUS:
                continue  # Agus forgets his follow-up: the nudge rule catches it
            # Only calls and meetings with a customer log an interaction and need its id.
            logs = activity.kind.value in ("call", "meeting")
            complete_activity_in(
                app.uow,
                activity.id,
                at=at,
                interaction_id=InteractionId(derived_id("done", activity.id.value))
                if logs
                else None,
                outcome="Done",
            )
        app.uow.commit()


def run_scenario() -> App:
    app = App()
    open_shop(app)
    # The shop's history before the app started running automations is not acted on.
    app.uow.acknowledge(app.uow.collect_events())
    for day in range(DAYS):
        for moment in TICKS:
            at = wib(day, moment)
            world(app, day, at)
            app.tick(at)
        do_the_work(app, wib(day, time(17, 0)))
    return app


SCENARIO = run_scenario()


# -- the outcomes -----------------------------------------------------------------------------


def intents_of(kind: type, rule_key: str | None = None) -> list[AnyIntent]:
    return [
        intent
        for intent in SCENARIO.carried.values()
        if isinstance(intent, kind) and (rule_key is None or intent.rule_key == rule_key)
    ]


def test_every_intent_is_carried_out_once_and_its_record_exists() -> None:
    app = SCENARIO
    with app.uow:
        for intent in app.carried.values():
            if isinstance(intent, ActivityIntent):
                activity = app.uow.activities.get(ActivityId(derived_id("act", intent.key)))
                assert activity.link == intent.record
            if isinstance(intent, MessageIntent):
                assert InteractionId(derived_id("msg", intent.key)) in app.uow.interactions
    assert len(app.sent) == len({s.intent.key for s in app.sent})


def test_no_message_without_consent_or_in_quiet_hours() -> None:
    app = SCENARIO
    assert app.sent
    for sent in app.sent:
        customer = sent.customer
        assert customer.merged_into is None
        assert customer.may_contact(sent.intent.channel, sent.intent.purpose, at=sent.at)
        assert customer.contact_points_on(sent.intent.channel)
        local = sent.at.astimezone(JAKARTA).time()
        assert not (local >= QUIET.start)
        assert not (local < QUIET.end)


def test_welcome_goes_to_those_who_may_receive_it() -> None:
    welcomed = {i.customer_id for i in intents_of(MessageIntent, "welcome_message")}
    # Dewi and the web duplicate registered with email; Eko withdrew email for service.
    assert welcomed == {DEWI, AYU_DUP}
    assert ("welcome_message", SkipReason.NO_CONSENT) in {
        (rule, reason) for rule, _, reason in SCENARIO.skipped_reasons
    }


def test_birthdays_greet_with_consent_and_grant_the_bonus_once() -> None:
    greeted = intents_of(MessageIntent, "birthday_greeting")
    bonuses = intents_of(LoyaltyBonusIntent, "birthday_greeting")
    # Ayu agreed to marketing email; Bayu had not agreed to anything on his birthday.
    assert [i.customer_id for i in greeted] == [AYU]
    assert sorted(i.customer_id.value for i in bonuses if i.customer_id) == ["c-ayu", "c-bayu"]
    with SCENARIO.uow:
        for intent in bonuses:
            assert isinstance(intent, LoyaltyBonusIntent)
            account = SCENARIO.uow.loyalty_accounts.get(intent.account_id)
            assert account.balance() == intent.points
    # Greeted on the birthday itself, in the morning.
    assert greeted[0].at.date() == date(2026, 5, 4)


def test_payment_reminder_three_days_before_the_fee() -> None:
    reminders = intents_of(MessageIntent, "payment_reminder")
    with SCENARIO.uow:
        sub = SCENARIO.uow.subscriptions.get(SubscriptionId("sub-citra"))
    due = sub.next_due_date(at=wib(0, time(0, 0)))
    assert due is not None
    assert [i.at.date() for i in reminders] == [(due - timedelta(days=3)).date()]
    assert isinstance(reminders[0], MessageIntent)
    assert reminders[0].message is not None
    assert reminders[0].message.body.count("Kopi Bulanan") == 1


def test_complaint_is_acknowledged_after_quiet_hours_and_tasked_at_once() -> None:
    acks = intents_of(MessageIntent, "complaint_acknowledgement")
    tasks = intents_of(ActivityIntent, "complaint_acknowledgement")
    assert len(acks) == 1
    assert len(tasks) == 1
    opened = wib(6, time(21, 50))
    assert tasks[0].at == wib(6, time(22, 0))
    assert isinstance(tasks[0], ActivityIntent)
    assert tasks[0].owner_id == RINA
    # The acknowledgement was held to the first tick after the quiet hours end.
    first_after = min(t for t in SCENARIO.ticks if t >= QUIET.ends_after(wib(6, time(22, 0))))
    assert acks[0].at == first_after
    assert acks[0].at > opened


def test_sales_call_follow_up_goes_to_the_caller_on_the_opportunity() -> None:
    follow_ups = list(intents_of(ActivityIntent, "call_follow_up"))
    assert len(follow_ups) == 1
    task = follow_ups[0]
    assert isinstance(task, ActivityIntent)
    assert task.owner_id == AGUS
    assert task.record == RecordRef.to(OPP)
    assert task.customer_id == DEWI
    # Agus never completed it: the nudge came once, a day after it fell due.
    nudges = intents_of(NotifyOwnerIntent, "overdue_nudge")
    assert [(n.owner_id, n.record) for n in nudges] == [(AGUS, task.record)]  # type: ignore[union-attr]
    assert [n.activity_id for n in nudges] == [ActivityId(derived_id("act", task.key))]
    assert nudges[0].at >= task.due_at + timedelta(hours=24)


def test_the_merged_customers_work_follows_the_survivor() -> None:
    with SCENARIO.uow:
        assert SCENARIO.uow.activities.for_customer(AYU_DUP) == []
        assert SCENARIO.uow.notes.for_customer(AYU_DUP) == []
        note = SCENARIO.uow.notes.get(NoteId("n-ayu-web"))
        call = SCENARIO.uow.activities.get(ActivityId("act-ayu-web-call"))
        calls = SCENARIO.uow.interactions.for_customer(AYU)
    assert note.link == RecordRef.to(AYU)
    assert note.storage_keys == ("blob-0001",)
    assert call.contacts == (AYU,)
    assert call.link == RecordRef.to(AYU)
    assert call.status.value == "done"
    with SCENARIO.uow:
        planned = [
            SCENARIO.uow.activities.get(ActivityId(derived_id("act", i.key)))
            for i in intents_of(ActivityIntent)
        ]
    assert {a.time_zone for a in planned} == {ZONE}
    assert InteractionId("i-ayu-call") in {i.id for i in calls}
    # Its reminder came an hour and a half before the call, once.
    assert SCENARIO.reminded.count((call.id, wib(5, time(8, 30)))) == 1


def test_reminders_of_automated_activities_are_delivered_once() -> None:
    planned = {ActivityId(derived_id("act", i.key)) for i in intents_of(ActivityIntent)}
    reminded = [a for a, _ in SCENARIO.reminded if a in planned]
    assert len(reminded) == len(set(reminded))


def test_the_weekly_review_reminds_and_completes_every_occurrence() -> None:
    start = wib(3, time(9, 0))
    series = [
        occurrence.replace(tzinfo=JAKARTA)
        for occurrence in rrule.rrulestr(REVIEW_RULE, dtstart=start.replace(tzinfo=None))
    ]
    last_work = wib(DAYS - 1, time(17, 0))
    held = [o for o in series if o <= last_work]
    with SCENARIO.uow:
        review = SCENARIO.uow.activities.get(REVIEW)
    assert 0 < len(held) < len(series)  # the scenario ends inside the series
    assert review.completed_occurrences == len(held)
    assert review.is_planned
    assert review.due_at == series[len(held)]
    reminded = [when for activity_id, when in SCENARIO.reminded if activity_id == REVIEW]
    last_tick = SCENARIO.ticks[-1]
    assert reminded == [
        o - timedelta(minutes=15) for o in series if o - timedelta(minutes=15) < last_tick
    ]


def test_a_second_pass_over_everything_adds_nothing() -> None:
    app = SCENARIO
    ledger = AutomationLedger.from_dict(app.ledger_document)
    with app.uow:
        again = run_on_events(
            app.rules,
            app.history,
            unit=app.uow,
            at=app.ticks[-1],
            ledger=ledger,
            settings=AutomationSettings(),
            templates=app.templates,
        )
        assert again.intents == ()
        for tick in app.ticks:
            assert run_at(app.rules, at=tick, unit=app.uow, ledger=ledger).intents == ()
