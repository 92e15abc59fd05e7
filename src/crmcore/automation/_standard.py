"""The standard automations of the source documents, as ready rule definitions.

The documents crmcore is built from name five automations every CRM should
run: a welcome message when a customer registers, a follow-up task after a
logged sales call, a birthday greeting with a loyalty bonus, a reminder before
a subscription payment falls due, and an acknowledgement of every complaint
within the service level. Each is a function with the knobs a business turns
(days, template keys, points, channel) that returns an ordinary
:class:`~crmcore.automation.AutomationRule`; :func:`standard_automations`
gives all five, and :func:`standard_templates` the message templates they use,
in Indonesian and English. The rules are plain values: serialize them with
:func:`~crmcore.automation.rules_to_dict`, change them, or leave some out.

Purposes: the welcome message, the payment reminder and the complaint
acknowledgement serve an existing relationship (purpose ``service``); the
birthday greeting promotes (purpose ``marketing``), so it goes only to
customers who agreed to marketing on that channel.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Final

from crmcore._kernel._checks import positive_int
from crmcore.automation._rules import (
    OWNER,
    AutomationRule,
    CreateActivity,
    EventTrigger,
    GrantLoyaltyBonus,
    SendMessage,
    TimeTrigger,
)
from crmcore.automation._ruleset import AutomationRules
from crmcore.customers import Channel
from crmcore.messaging import MessageTemplate, TemplateCatalog
from crmcore.segmentation import field

#: The template key of the welcome message.
WELCOME_TEMPLATE: Final = "welcome"
#: The template key of the follow-up task's subject after a sales call.
FOLLOW_UP_TEMPLATE: Final = "sales.follow_up"
#: The template key of the birthday greeting.
BIRTHDAY_TEMPLATE: Final = "birthday.greeting"
#: The template key of the reminder before a subscription fee falls due.
PAYMENT_REMINDER_TEMPLATE: Final = "subscription.payment_reminder"
#: The template key of the acknowledgement sent when a complaint is opened.
COMPLAINT_ACK_TEMPLATE: Final = "complaint.acknowledgement"
#: The template key of the complaint task's subject.
COMPLAINT_TASK_TEMPLATE: Final = "complaint.follow_up"


def welcome_message(
    *,
    template_key: str = WELCOME_TEMPLATE,
    channel: Channel | str = Channel.EMAIL,
    key: str = "welcome_message",
) -> AutomationRule:
    """Send a welcome message when a customer registers (``CustomerRegistered``).

    >>> welcome_message().trigger
    EventTrigger(event_type='CustomerRegistered', condition=None)

    .. versionadded:: 0.1
    """
    return AutomationRule(
        key,
        EventTrigger("CustomerRegistered"),
        [SendMessage(template_key, channel, "service")],
        description="Welcome every new customer.",
    )


def call_follow_up(
    *,
    days: int = 2,
    subject_template: str = FOLLOW_UP_TEMPLATE,
    key: str = "call_follow_up",
) -> AutomationRule:
    """Plan a follow-up task for the caller ``days`` after a sales call is logged.

    A sales call is an ``InteractionLogged`` of kind ``call`` linked to an
    opportunity; the task is recorded on that opportunity, due ``days`` days
    (1 to 90) after the run and assigned to the staff member who made the
    call (the interaction's ``staff_id``), else to the customer's owner.

    >>> call_follow_up(days=3).actions[0].due_in
    datetime.timedelta(days=3)

    Raises:
        ValidationError: ``days`` out of range (``$.days``).

    .. versionadded:: 0.1
    """
    checked = positive_int(days, "$.days", maximum=90)
    return AutomationRule(
        key,
        EventTrigger(
            "InteractionLogged",
            (field("kind") == "call") & field("opportunity_id").is_not_empty(),
        ),
        [CreateActivity("task", subject_template, timedelta(days=checked), assign_to=OWNER)],
        description="Follow up every logged sales call.",
    )


def birthday_greeting(
    *,
    days_before: int = 0,
    points: int = 100,
    template_key: str = BIRTHDAY_TEMPLATE,
    channel: Channel | str = Channel.EMAIL,
    key: str = "birthday_greeting",
) -> AutomationRule:
    """Greet customers on (or ``days_before``) their birthday and grant bonus points.

    The greeting is marketing: it needs the customer's consent to marketing
    on ``channel``. The bonus (reason code ``birthday``) goes to the
    customer's loyalty account, if they have one.

    >>> [type(a).__name__ for a in birthday_greeting(points=250).actions]
    ['SendMessage', 'GrantLoyaltyBonus']

    Raises:
        ValidationError: ``days_before`` out of the condition's range
            (``$.amount``), ``points`` not positive (``$.points``).

    .. versionadded:: 0.1
    """
    return AutomationRule(
        key,
        TimeTrigger("birthday_in", days_before),
        [SendMessage(template_key, channel, "marketing"), GrantLoyaltyBonus(points, "birthday")],
        description="A birthday greeting with a loyalty bonus.",
    )


def payment_reminder(
    *,
    days_before: int = 3,
    template_key: str = PAYMENT_REMINDER_TEMPLATE,
    channel: Channel | str = Channel.EMAIL,
    key: str = "payment_reminder",
) -> AutomationRule:
    """Remind subscribers ``days_before`` days before an unpaid fee falls due.

    >>> payment_reminder(days_before=7).trigger
    TimeTrigger(condition=<TimeCondition.SUBSCRIPTION_DUE_IN: 'subscription_due_in'>, amount=7)

    Raises:
        ValidationError: ``days_before`` out of the condition's range (``$.amount``).

    .. versionadded:: 0.1
    """
    return AutomationRule(
        key,
        TimeTrigger("subscription_due_in", days_before),
        [SendMessage(template_key, channel, "service")],
        description="Remind subscribers before a fee falls due.",
    )


def complaint_acknowledgement(
    *,
    respond_within: timedelta = timedelta(hours=1),
    template_key: str = COMPLAINT_ACK_TEMPLATE,
    task_template: str = COMPLAINT_TASK_TEMPLATE,
    channel: Channel | str = Channel.EMAIL,
    key: str = "complaint_acknowledgement",
) -> AutomationRule:
    """Acknowledge a complaint when it is opened, and give its owner a task to respond.

    On ``CaseOpened`` of kind ``complaint``: a message to the customer that
    the complaint was received (with its reference), and a high-priority task
    for the case's assignee (else the customer's owner) due
    ``respond_within`` after the run: set it inside the first-response target
    of your SLA policy.

    >>> complaint_acknowledgement().actions[1].priority.value
    'high'

    Raises:
        ValidationError: ``respond_within`` negative, over the limit or not
            whole minutes (``$.due_in``).

    .. versionadded:: 0.1
    """
    return AutomationRule(
        key,
        EventTrigger("CaseOpened", field("kind") == "complaint"),
        [
            SendMessage(template_key, channel, "service"),
            CreateActivity("task", task_template, respond_within, priority="high", assign_to=OWNER),
        ],
        description="Acknowledge every complaint within the service level.",
    )


def standard_automations() -> AutomationRules:
    """The five standard automations with their default settings, as one rule set.

    >>> [rule.key for rule in standard_automations()]
    ['welcome_message', 'call_follow_up', 'birthday_greeting', 'payment_reminder', 'complaint_acknowledgement']

    .. versionadded:: 0.1
    """
    return AutomationRules(
        [
            welcome_message(),
            call_follow_up(),
            birthday_greeting(),
            payment_reminder(),
            complaint_acknowledgement(),
        ]
    )


def _pair(
    key: str,
    fields: set[str],
    indonesian: tuple[str | None, str],
    english: tuple[str | None, str],
) -> list[MessageTemplate]:
    return [
        MessageTemplate(key=key, language=language, subject=subject, body=body, fields=fields)
        for language, (subject, body) in (("id", indonesian), ("en", english))
    ]


def standard_templates(*, default_language: str = "id") -> TemplateCatalog:
    """The message templates of the standard automations, in Indonesian and English.

    Short texts using only the fields the engine fills from the records
    (``first_name``, ``plan_name``, ``amount_due``, ``due_date``,
    ``case_reference``). Add your own language by building a catalog with
    these templates and yours.

    >>> catalog = standard_templates()
    >>> catalog.render("welcome", "en", {"first_name": "Ana"}).subject
    'Welcome, Ana!'

    .. versionadded:: 0.1
    """
    templates = [
        *_pair(
            WELCOME_TEMPLATE,
            {"first_name"},
            ("Selamat datang, {first_name}!", "Halo {first_name}, terima kasih telah bergabung."),
            ("Welcome, {first_name}!", "Hi {first_name}, thank you for joining us."),
        ),
        *_pair(
            FOLLOW_UP_TEMPLATE,
            {"first_name"},
            (None, "Tindak lanjuti panggilan dengan {first_name}"),
            (None, "Follow up the call with {first_name}"),
        ),
        *_pair(
            BIRTHDAY_TEMPLATE,
            {"first_name"},
            (
                "Selamat ulang tahun, {first_name}!",
                "Selamat ulang tahun, {first_name}! Poin bonus sudah kami tambahkan ke akun Anda.",
            ),
            (
                "Happy birthday, {first_name}!",
                "Happy birthday, {first_name}! We have added bonus points to your account.",
            ),
        ),
        *_pair(
            PAYMENT_REMINDER_TEMPLATE,
            {"first_name", "plan_name", "amount_due", "due_date"},
            (
                "Pengingat pembayaran {plan_name}",
                (
                    "Halo {first_name}, biaya {plan_name} sebesar {amount_due} jatuh tempo pada "
                    "{due_date}."
                ),
            ),
            (
                "Payment reminder: {plan_name}",
                "Hi {first_name}, your {plan_name} fee of {amount_due} is due on {due_date}.",
            ),
        ),
        *_pair(
            COMPLAINT_ACK_TEMPLATE,
            {"first_name", "case_reference"},
            (
                "Keluhan Anda kami terima ({case_reference})",
                (
                    "Halo {first_name}, keluhan Anda sudah kami terima dengan nomor "
                    "{case_reference}. Tim kami akan segera menghubungi Anda."
                ),
            ),
            (
                "We received your complaint ({case_reference})",
                (
                    "Hi {first_name}, we received your complaint under reference "
                    "{case_reference}. Our team will contact you shortly."
                ),
            ),
        ),
        *_pair(
            COMPLAINT_TASK_TEMPLATE,
            {"case_reference"},
            (None, "Tanggapi keluhan {case_reference}"),
            (None, "Respond to complaint {case_reference}"),
        ),
    ]
    return TemplateCatalog(templates, default_language=default_language)
