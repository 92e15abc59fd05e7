"""The automation engine: events, or a time, in; intents and skips out. Pure.

:func:`run_on_events` runs the event-triggered rules over domain events;
:func:`run_at` runs the time-triggered rules at an instant, asking
:func:`~crmcore.automation.time_matches` which records meet each condition.
Both read the unit of work (customers for consent, languages and owners;
loyalty accounts, subscriptions and cases for message values) and never
change it, nor anything else: the application carries out the intents.

Every action of every rule, for every cause, has one idempotency key
(``"{rule_key}|{cause}|{action_index}"``). A key already in the ledger, or
produced earlier in the same run, produces nothing, so running twice over
the same input yields no new intent. Skipped actions are not recorded: the
same cause, run again once consent is given, a restriction of processing is
lifted or quiet hours are over, produces the intent then.

A message is processing of the customer's data: before consent, the
customer's processing decision for automation (and, for a marketing
message, for marketing) is asked, and a restricted, objecting or erased
customer's message is skipped with the decision's reason code.

A run is bounded: it looks at no more than ``max_events_per_run`` events (or
acts on no more than that many time matches that yield intents) and produces
no more than ``max_intents_per_run`` intents. At a limit it stops, reports a
``run_limit`` skip and marks the result incomplete; run again with the new
ledger to continue where it stopped. Every run cut short has produced at
least one intent, so running again until a result is complete always ends.
"""

from __future__ import annotations

import itertools
from collections.abc import Iterable, Mapping
from datetime import datetime
from typing import Final, TypedDict

import attrs

from crmcore._kernel._checks import require_aware, type_name
from crmcore._kernel._events import DomainEvent
from crmcore._kernel._ids import ActivityId, CustomerId, Identifier, StaffId
from crmcore._kernel._refs import RecordKind, RecordRef
from crmcore.activities import MAX_SUBJECT
from crmcore.automation._conditions import TimeMatch, time_matches
from crmcore.automation._event_fields import event_values
from crmcore.automation._intents import (
    ActivityIntent,
    AddTagIntent,
    AnyIntent,
    AutomationLedger,
    AutomationResult,
    LifecycleTriggerIntent,
    LoyaltyBonusIntent,
    MessageIntent,
    NotifyOwnerIntent,
    RemoveTagIntent,
    Skipped,
    SkipReason,
)
from crmcore.automation._rules import (
    Action,
    AddTag,
    AutomationRule,
    CreateActivity,
    EventTrigger,
    FireLifecycleTrigger,
    NotifyOwner,
    RemoveTag,
    SendMessage,
    TimeTrigger,
)
from crmcore.automation._ruleset import AutomationRules
from crmcore.automation._settings import AutomationSettings
from crmcore.commerce import Subscription
from crmcore.customers import Channel, Customer, ProcessingPurpose, Purpose
from crmcore.errors import InvalidType, NotFound, ValidationError
from crmcore.loyalty import LoyaltyAccount
from crmcore.messaging import RenderedMessage, TemplateCatalog, UnknownTemplate, message_values
from crmcore.repository import UnitOfWork
from crmcore.service import Case, SlaPolicy

#: Channels a message needs a contact point on (the others reach the customer in place).
ADDRESSED_CHANNELS: Final = frozenset({Channel.EMAIL, Channel.PHONE, Channel.SMS, Channel.WHATSAPP})

#: Event fields naming the member of staff responsible, in the order they are looked at
#: (``staff_id``: who handled a logged interaction, so a follow-up goes back to them).
_OWNER_FIELDS: Final = ("owner_id", "owner", "assignee", "staff_id")
#: Event fields linking an event of another aggregate (an interaction) to a record,
#: in the order they are looked at when the event has no ``link``.
_LINK_FIELDS: Final = ("opportunity_id", "case_id", "lead_id", "order_id", "subscription_id")


@attrs.frozen(slots=True, kw_only=True)
class _Cause:
    """One reason to run a rule: an event or a time match."""

    text: str
    customer_id: CustomerId | None
    record: RecordRef | None
    owner_id: StaffId | None
    activity_id: ActivityId | None = None
    #: When the cause happened (an event's time); ``None`` for a time match (the run's time).
    at: datetime | None = None


class _Common(TypedDict):
    """The fields every intent of one action carries."""

    key: str
    rule_key: str
    action_index: int
    customer_id: CustomerId | None
    record: RecordRef | None
    cause: str
    at: datetime
    activity_id: ActivityId | None


class _Stop(Exception):
    """The run reached a limit."""


def _record_of(event: DomainEvent, customer_id: CustomerId | None) -> RecordRef | None:
    link = getattr(event, "link", None)
    if isinstance(link, RecordRef):
        return link
    if event.aggregate_kind in RecordKind.__members__.values():
        try:
            return RecordRef(event.aggregate_kind, event.aggregate_id)
        except ValidationError:  # pragma: no cover - every aggregate id is a valid id
            return None
    for name in _LINK_FIELDS:
        linked = getattr(event, name, None)
        if isinstance(linked, Identifier):
            return RecordRef.to(linked)
    return None if customer_id is None else RecordRef.to(customer_id)


def _event_cause(event: DomainEvent) -> _Cause:
    customer = getattr(event, "customer_id", None)
    customer_id = customer if isinstance(customer, CustomerId) else None
    owner_id: StaffId | None = None
    for name in _OWNER_FIELDS:
        value = getattr(event, name, None)
        if isinstance(value, StaffId):
            owner_id = value
            break
    record = _record_of(event, customer_id)
    if customer_id is None and record is not None:
        customer_id = record.customer_id  # an activity linked to a customer or an account
    activity_id = ActivityId(event.aggregate_id) if event.aggregate_kind == "activity" else None
    return _Cause(
        text=event.event_id,
        customer_id=customer_id,
        record=record,
        owner_id=owner_id,
        activity_id=activity_id,
        at=event.occurred_at,
    )


class _Run:
    """The state of one run: what it read, what it produced."""

    def __init__(
        self,
        *,
        unit: UnitOfWork,
        at: datetime,
        ledger: AutomationLedger,
        settings: AutomationSettings,
        templates: TemplateCatalog | None,
    ) -> None:
        self.unit = unit
        self.at = at
        self.ledger = ledger
        self.settings = settings
        self.templates = templates
        self.intents: list[AnyIntent] = []
        self.skipped: list[Skipped] = []
        self.produced: set[str] = set()
        self.complete = True
        self.processed = 0
        self.fruitful = 0  # time matches that yielded intents (see _run_matches)
        self._customers: dict[CustomerId, Customer | None] = {}

    # -- reading ----------------------------------------------------------------------------

    def customer(self, customer_id: CustomerId | None) -> Customer | None:
        if customer_id is None:
            return None
        if customer_id not in self._customers:
            try:
                self._customers[customer_id] = self.unit.customers.get(customer_id)
            except NotFound:
                self._customers[customer_id] = None
        return self._customers[customer_id]

    def loyalty_account(self, customer_id: CustomerId) -> LoyaltyAccount | None:
        accounts = [
            account
            for account in self.unit.loyalty_accounts.for_customer(customer_id)
            if account.is_active_at(self.at)
        ]
        return min(accounts, key=lambda account: account.id.value, default=None)

    def _related(self, record: RecordRef | None) -> tuple[Subscription | None, Case | None]:
        try:
            if record is not None and record.kind is RecordKind.SUBSCRIPTION:
                return self.unit.subscriptions.get(record.id), None
            if record is not None and record.kind is RecordKind.CASE:
                return None, self.unit.cases.get(record.id)
        except NotFound:
            pass
        return None, None

    def values(self, cause: _Cause, customer: Customer | None) -> dict[str, object]:
        subscription, case = self._related(cause.record)
        account = None if customer is None else self.loyalty_account(customer.id)
        return message_values(
            customer=customer,
            loyalty_account=account,
            subscription=subscription,
            case=case,
            at=self.at,
        )

    def language(self, customer: Customer | None) -> str:
        if customer is not None and customer.profile.preferred_language is not None:
            return customer.profile.preferred_language
        return self.settings.default_language

    def owner(self, cause: _Cause, action: CreateActivity | NotifyOwner) -> StaffId | None:
        if isinstance(action, CreateActivity) and isinstance(action.assign_to, StaffId):
            return action.assign_to
        if cause.owner_id is not None:
            return cause.owner_id
        customer = self.customer(cause.customer_id)
        return None if customer is None else customer.owner

    def render(
        self, key: str, language: str, cause: _Cause, customer: Customer | None
    ) -> RenderedMessage | SkipReason | None:
        if self.templates is None:
            return None
        try:
            return self.templates.render(key, language, self.values(cause, customer))
        except UnknownTemplate:
            return SkipReason.UNKNOWN_TEMPLATE
        except ValidationError:
            return SkipReason.MISSING_VALUE

    # -- running ----------------------------------------------------------------------------

    def done(self, rule: AutomationRule, index: int, cause: _Cause) -> bool:
        key = f"{rule.key}|{cause.text}|{index}"
        return key in self.ledger or key in self.produced

    def run_rule(self, rule: AutomationRule, cause: _Cause) -> None:
        for index, action in enumerate(rule.actions):
            key = f"{rule.key}|{cause.text}|{index}"
            if key in self.ledger or key in self.produced:
                continue
            if len(self.intents) >= self.settings.max_intents_per_run:
                self.skip(rule, index, cause, SkipReason.RUN_LIMIT, key=key)
                raise _Stop
            outcome = self.intent(rule, index, action, cause, key)
            if isinstance(outcome, tuple):
                reason, not_before = outcome
                self.skip(rule, index, cause, reason, key=key, not_before=not_before)
            else:
                self.intents.append(outcome)
                self.produced.add(key)

    def skip(
        self,
        rule: AutomationRule | None,
        index: int | None,
        cause: _Cause | None,
        reason: SkipReason,
        *,
        key: str = "",
        not_before: datetime | None = None,
    ) -> None:
        self.skipped.append(
            Skipped(
                rule_key=None if rule is None else rule.key,
                action_index=index,
                customer_id=None if cause is None else cause.customer_id,
                reason=reason,
                not_before=not_before,
                key=key,
                cause="" if cause is None else cause.text,
            )
        )
        if reason is SkipReason.RUN_LIMIT:
            self.complete = False

    def intent(  # noqa: C901, PLR0911 - one branch per action kind
        self, rule: AutomationRule, index: int, action: Action, cause: _Cause, key: str
    ) -> AnyIntent | tuple[SkipReason, datetime | None]:
        common = _Common(
            key=key,
            rule_key=rule.key,
            action_index=index,
            customer_id=cause.customer_id,
            record=cause.record,
            cause=cause.text,
            at=self.at,
            activity_id=cause.activity_id,
        )
        customer = self.customer(cause.customer_id)
        if customer is not None and customer.merged_into is not None:
            return SkipReason.CUSTOMER_MERGED, None
        if isinstance(action, CreateActivity):
            return self.activity(action, cause, customer, common)
        if isinstance(action, NotifyOwner):
            owner = self.owner(cause, action)
            if owner is None:
                return SkipReason.NO_OWNER, None
            language = self.settings.default_language
            rendered = self.render(action.template_key, language, cause, customer)
            if isinstance(rendered, SkipReason):
                return rendered, None
            return NotifyOwnerIntent(
                **common,
                owner_id=owner,
                template_key=action.template_key,
                language=language,
                message=rendered,
            )
        if customer is None:
            return SkipReason.NO_CUSTOMER, None
        if isinstance(action, SendMessage):
            return self.message(action, cause, customer, common)
        if isinstance(action, AddTag):
            return AddTagIntent(**common, tag=action.tag)
        if isinstance(action, RemoveTag):
            return RemoveTagIntent(**common, tag=action.tag)
        if isinstance(action, FireLifecycleTrigger):
            return LifecycleTriggerIntent(
                **common, definition=action.definition, trigger=action.trigger
            )
        account = self.loyalty_account(customer.id)
        if account is None:
            return SkipReason.NO_LOYALTY_ACCOUNT, None
        return LoyaltyBonusIntent(
            **common, account_id=account.id, points=action.points, reason=action.reason
        )

    def activity(
        self,
        action: CreateActivity,
        cause: _Cause,
        customer: Customer | None,
        common: _Common,
    ) -> ActivityIntent | tuple[SkipReason, datetime | None]:
        subject: str | None = None
        if action.subject_template is not None:
            rendered = self.render(
                action.subject_template, self.language(customer), cause, customer
            )
            if isinstance(rendered, SkipReason):
                return rendered, None
            if rendered is not None:
                subject = _one_line(rendered.subject or rendered.body, MAX_SUBJECT)
        return ActivityIntent(
            **common,
            kind=action.kind,
            subject_template=action.subject_template,
            subject=subject,
            due_at=self.due_base(cause) + action.due_in,
            priority=action.priority,
            owner_id=self.owner(cause, action),
        )

    def due_base(self, cause: _Cause) -> datetime:
        """What an activity's ``due_in`` counts from: the event's time (in the run's zone).

        A rule on a complaint opened at 21:50 and run at 23:00 plans the task
        due an hour after 21:50, not after the run; a time match counts from
        the run's time.
        """
        if cause.at is None:
            return self.at
        return cause.at.astimezone(self.at.tzinfo)

    def message(
        self,
        action: SendMessage,
        cause: _Cause,
        customer: Customer,
        common: _Common,
    ) -> MessageIntent | tuple[SkipReason, datetime | None]:
        denied = self.processing_denied(customer, action.purpose)
        if denied is not None:
            return denied, None
        if not customer.may_contact(action.channel, action.purpose, at=self.at):
            return SkipReason.NO_CONSENT, None
        if action.channel in ADDRESSED_CHANNELS and not customer.contact_points_on(action.channel):
            return SkipReason.NO_CONTACT_POINT, None
        quiet = self.settings.quiet_hours
        if quiet is not None and quiet.contains(self.at):
            return SkipReason.QUIET_HOURS, quiet.ends_after(self.at)
        language = self.language(customer)
        rendered = self.render(action.template_key, language, cause, customer)
        if isinstance(rendered, SkipReason):
            return rendered, None
        return MessageIntent(
            **common,
            template_key=action.template_key,
            channel=action.channel,
            purpose=action.purpose,
            language=language,
            message=rendered,
        )

    def processing_denied(self, customer: Customer, purpose: Purpose) -> SkipReason | None:
        """Why the customer's processing decisions refuse a message, or ``None``.

        Every message is automated processing; a marketing message is direct
        marketing too. A restriction, an objection or an erasure is decided
        before consent: it holds whatever the customer consented to. Like a
        consent skip, it is not recorded in the ledger, so a later run over
        the same cause sends once the restriction is lifted.
        """
        decision = customer.processing_decision(ProcessingPurpose.AUTOMATION, at=self.at)
        if decision.allowed and purpose is Purpose.MARKETING:
            decision = customer.processing_decision(ProcessingPurpose.MARKETING, at=self.at)
        return None if decision.allowed else SkipReason(decision.reason)

    def result(self) -> AutomationResult:
        return AutomationResult(
            intents=tuple(self.intents),
            skipped=tuple(self.skipped),
            ledger=self.ledger.with_keys(self.produced, self.at) if self.produced else self.ledger,
            complete=self.complete,
            processed=self.processed,
        )


def _one_line(text: str, most: int) -> str:
    """``text`` on one line (whitespace runs as one space), cut to ``most`` characters."""
    line = " ".join(text.split())
    return line if len(line) <= most else line[: most - 1] + "\u2026"


def _checked_rules(rules: object) -> AutomationRules:
    if isinstance(rules, AutomationRules):
        return rules
    if isinstance(rules, AutomationRule):
        raise InvalidType(
            "must be AutomationRules or a sequence of rules, not one rule", path="$.rules"
        )
    return AutomationRules(rules)  # type: ignore[arg-type]


def _start(
    unit: object,
    at: object,
    ledger: object,
    settings: object,
    templates: object,
) -> _Run:
    if not isinstance(unit, UnitOfWork):
        raise InvalidType(f"must be a UnitOfWork, not {type_name(unit)}", path="$.unit")
    when = require_aware(at, "$.at")
    if ledger is None:
        ledger = AutomationLedger()
    elif not isinstance(ledger, AutomationLedger):
        raise InvalidType(f"must be an AutomationLedger, not {type_name(ledger)}", path="$.ledger")
    if settings is None:
        settings = AutomationSettings()
    elif not isinstance(settings, AutomationSettings):
        raise InvalidType(
            f"must be AutomationSettings, not {type_name(settings)}", path="$.settings"
        )
    if templates is not None and not isinstance(templates, TemplateCatalog):
        raise InvalidType(
            f"must be a TemplateCatalog or None, not {type_name(templates)}", path="$.templates"
        )
    return _Run(unit=unit, at=when, ledger=ledger, settings=settings, templates=templates)


def run_on_events(
    rules: AutomationRules | Iterable[AutomationRule],
    events: Iterable[DomainEvent],
    *,
    unit: UnitOfWork,
    at: datetime,
    ledger: AutomationLedger | None = None,
    settings: AutomationSettings | None = None,
    templates: TemplateCatalog | None = None,
) -> AutomationResult:
    """Run the event-triggered rules over ``events``; return intents, skips and the new ledger.

    Events are taken in the order given; for each, every enabled rule
    triggered by its type (in the set's order) whose condition holds for it
    yields its actions' intents, unless their keys are in ``ledger`` already.
    The cause of each intent is the event's id.

    Args:
        rules: the rules (a sequence is checked as :class:`AutomationRules` is).
        events: the domain events (such as the unit of work hands out).
        unit: a unit of work, inside its ``with`` block, only read.
        at: the run's time (timezone-aware): consent and quiet hours are
            decided at it; an activity's due time counts from its event's time.
        ledger: the keys produced by earlier runs (default: none).
        settings: quiet hours, the default language and the limits.
        templates: a catalog to render messages and subjects with before
            emitting them (a value missing → ``missing_value``).

    Raises:
        InvalidType: an argument of the wrong type, or an event that is not a
            :class:`~crmcore.events.DomainEvent` (``$.events[3]``).
        ValidationError: a naive ``at``; rules that loop.
    """
    checked = _checked_rules(rules)
    run = _start(unit, at, ledger, settings, templates)
    if isinstance(events, (str, bytes, Mapping)) or not isinstance(events, Iterable):
        raise InvalidType(
            f"must be an iterable of events, not {type_name(events)}", path="$.events"
        )
    limit = run.settings.max_events_per_run
    taken = list(itertools.islice(events, limit + 1))
    for index, event in enumerate(taken):
        if not isinstance(event, DomainEvent):
            raise InvalidType(
                f"must be a DomainEvent, not {type_name(event)}", path=f"$.events[{index}]"
            )
    try:
        for event in taken[:limit]:
            _run_event(run, checked, event)
            run.processed += 1
        if len(taken) > limit:
            run.skip(None, None, None, SkipReason.RUN_LIMIT)
    except _Stop:
        pass
    return run.result()


def _run_event(run: _Run, rules: AutomationRules, event: DomainEvent) -> None:
    matching = rules.for_event(event.type)
    if not matching:
        return
    cause = _event_cause(event)
    values: Mapping[str, object] | None = None
    for rule in matching:
        trigger = rule.trigger
        condition = trigger.condition if isinstance(trigger, EventTrigger) else None
        if condition is not None:
            if values is None:
                values = event_values(event)
            try:
                holds = condition.matches(values, at=run.at)
            except ValidationError:
                run.skip(rule, None, cause, SkipReason.CONDITION_ERROR)
                continue
            if not holds:
                continue
        run.run_rule(rule, cause)


def _run_matches(run: _Run, rule: AutomationRule, matches: list[TimeMatch]) -> None:
    for match in matches:
        cause = _Cause(
            text=match.key,
            customer_id=match.customer_id,
            record=match.record,
            owner_id=match.owner_id,
            activity_id=match.activity_id,
        )
        if all(run.done(rule, index, cause) for index in range(len(rule.actions))):
            continue  # an occasion handled by an earlier run costs nothing
        if run.fruitful >= run.settings.max_events_per_run:
            run.skip(rule, None, cause, SkipReason.RUN_LIMIT)
            raise _Stop
        run.processed += 1
        before = len(run.intents)
        run.run_rule(rule, cause)
        if len(run.intents) > before:
            # Only matches that yield intents count toward the limit: a match whose actions
            # are all skipped (no consent, say) is looked at again by every run, and counting
            # it would let such matches hold every later one back for ever.
            run.fruitful += 1


def run_at(
    rules: AutomationRules | Iterable[AutomationRule],
    *,
    at: datetime,
    unit: UnitOfWork,
    ledger: AutomationLedger | None = None,
    settings: AutomationSettings | None = None,
    templates: TemplateCatalog | None = None,
    sla_policy: SlaPolicy | None = None,
) -> AutomationResult:
    """Run the time-triggered rules at ``at``; return intents, skips and the new ledger.

    For each enabled rule with a :class:`~crmcore.automation.TimeTrigger`
    (in the set's order), :func:`~crmcore.automation.time_matches` names the
    records meeting its condition; each match is a cause (its key: the record
    and the occasion), so an occasion yields its intents once however often
    ``run_at`` is called. Run it as often as the finest condition needs
    (daily for birthdays, hourly for SLAs). Arguments as for
    :func:`run_on_events`; ``sla_policy`` is needed by ``sla_breach_in`` rules.

    Raises:
        InvalidType: an argument of the wrong type.
        ValidationError: a naive ``at``; an ``sla_breach_in`` rule without
            ``sla_policy`` (code ``sla_policy_required``).
    """
    checked = _checked_rules(rules)
    run = _start(unit, at, ledger, settings, templates)
    try:
        for rule in checked.timed():
            trigger = rule.trigger
            assert isinstance(trigger, TimeTrigger)  # noqa: S101 - timed() keeps only these
            matches = time_matches(
                trigger.condition, trigger.amount, unit, run.at, sla_policy=sla_policy
            )
            _run_matches(run, rule, matches)
    except _Stop:
        pass
    return run.result()
