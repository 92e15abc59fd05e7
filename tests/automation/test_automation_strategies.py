"""Tests for `crmcore.testing.strategies._automation`: what the automation strategies draw."""

from __future__ import annotations

import pytest
from hypothesis import given

from crmcore import ValidationError
from crmcore.automation import (
    AutomationLedger,
    AutomationRule,
    AutomationRules,
    AutomationSettings,
    EventTrigger,
    QuietHours,
    TimeCondition,
    TimeTrigger,
)
from crmcore.testing.strategies._automation import (
    automation_ledgers,
    automation_rules,
    automation_settings,
    looping_rules,
    quiet_hours,
    rule_sets,
)


@given(automation_rules(event_types=["CaseOpened"], time_conditions=["birthday_in"]))
def test_rules_keep_to_the_types_asked_for(rule: AutomationRule) -> None:
    """Event triggers use the event types given, time triggers the conditions given."""
    trigger = rule.trigger
    if isinstance(trigger, EventTrigger):
        assert "CaseOpened" == trigger.event_type
    else:
        assert isinstance(trigger, TimeTrigger)
        assert TimeCondition.BIRTHDAY_IN == trigger.condition


@given(rule_sets(time_triggers=False, max_rules=4))
def test_rule_sets_are_loop_free_and_event_only(rules: AutomationRules) -> None:
    """Rule sets load (no loop) and hold only event triggers when asked."""
    assert len(rules) <= 4
    assert all(isinstance(rule.trigger, EventTrigger) for rule in rules)


@given(looping_rules(max_length=2, noise=False))
def test_looping_rules_without_noise_are_just_the_cycle(rules: list[AutomationRule]) -> None:
    """Without noise the list is the cycle alone: one or two rules."""
    assert 1 <= len(rules) <= 2


@given(quiet_hours(), automation_settings(), automation_ledgers(max_keys=5))
def test_settings_and_ledgers(
    quiet: QuietHours, settings: AutomationSettings, ledger: AutomationLedger
) -> None:
    """The values drawn are the library's own, within the bounds asked for."""
    assert quiet.start != quiet.end
    assert settings.max_intents_per_run >= 1
    assert len(ledger) <= 5


def test_arguments_are_checked() -> None:
    """Bad arguments are refused eagerly with a path."""
    cases = [
        (lambda: automation_rules(event_types=["Nope"]), "$.event_types[0]"),
        (lambda: automation_rules(event_types=[]), "$.event_types"),
        (lambda: automation_rules(time_conditions=["someday"]), "$.time_conditions[0]"),
        (lambda: automation_rules(max_actions=0), "$.max_actions"),
        (lambda: rule_sets(max_rules=51), "$.max_rules"),
        (lambda: looping_rules(max_length=0), "$.max_length"),
        (lambda: automation_ledgers(max_keys=-1), "$.max_keys"),
    ]
    for build, path in cases:
        with pytest.raises(ValidationError) as caught:
            build()
        assert path == caught.value.path
