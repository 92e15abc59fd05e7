"""Events check their own fields: a stored or hand-built event is one a command could record.

Events are facts handed to other systems, so a document's ``pending_events``
are checked like the aggregate itself: field types, text without control
characters and of bounded length, and each class's own rules (a rating from 1
to 5, a score on its survey's scale, points that are not negative, a status
move the machine allows, ...).
"""

from datetime import UTC, datetime, timedelta
from typing import Any

import attrs
import pytest
from hypothesis import given
from hypothesis import strategies as st

from crmcore import CustomerId, ValidationError
from crmcore.commerce import (
    SubscriptionRenewed,
    SubscriptionStarted,
    SubscriptionStatus,
    SubscriptionStatusChanged,
)
from crmcore.customers import CustomerContactPointAdded, CustomerTagAdded
from crmcore.errors import CrmcoreError, InvalidType
from crmcore.events import DomainEvent
from crmcore.feedback import Review, ReviewId, ReviewReceived, SurveyAnswered, SurveyKind
from crmcore.loyalty import (
    LoyaltyAccountId,
    LoyaltyPointsAdjusted,
    LoyaltyPointsEarned,
    LoyaltyPointsExpired,
    LoyaltyPointsRedeemed,
    LoyaltyRewardRedeemed,
    ProgramId,
)
from crmcore.sales import LeadConverted, LeadStatus, LeadStatusChanged
from crmcore.serialization import from_dict, to_dict
from crmcore.service import (
    CaseEscalated,
    CaseId,
    CasePriority,
    CasePriorityChanged,
    CaseResolved,
    CaseStatus,
    CaseStatusChanged,
    Escalation,
    SlaMetric,
)
from crmcore.testing import strategies as crm

T0 = datetime(2026, 3, 1, 9, 0, tzinfo=UTC)

#: (event class, fields to change, the error path): each change breaks one rule of the class.
BROKEN: list[tuple[type[DomainEvent], dict[str, Any], str]] = [
    (ReviewReceived, {"rating": -1}, "$.rating"),
    (ReviewReceived, {"rating": 6}, "$.rating"),
    (SurveyAnswered, {"survey": SurveyKind.CSAT, "score": 0}, "$.score"),
    (SurveyAnswered, {"survey": SurveyKind.NPS, "score": 11}, "$.score"),
    (SurveyAnswered, {"survey": SurveyKind.CES, "score": 8}, "$.score"),
    (CustomerContactPointAdded, {"position": -1}, "$.position"),
    (LoyaltyPointsEarned, {"points": -5}, "$.points"),
    (LoyaltyPointsEarned, {"balance": -1}, "$.balance"),
    (LoyaltyPointsRedeemed, {"points": 0}, "$.points"),
    (LoyaltyPointsAdjusted, {"points": 0}, "$.points"),
    (LoyaltyRewardRedeemed, {"points_cost": 0}, "$.points_cost"),
    (SubscriptionRenewed, {"periods": 0}, "$.periods"),
    (SubscriptionStarted, {"term_periods": 0}, "$.term_periods"),
    (
        SubscriptionStatusChanged,
        {"previous": SubscriptionStatus.CANCELLED, "status": SubscriptionStatus.ACTIVE},
        "$.status",
    ),
    (
        CaseStatusChanged,
        {"from_status": CaseStatus.CLOSED, "to_status": CaseStatus.NEW},
        "$.to_status",
    ),
    (
        CaseResolved,
        {"from_status": CaseStatus.OPEN, "to_status": CaseStatus.PENDING_CUSTOMER},
        "$.to_status",
    ),
    (
        CasePriorityChanged,
        {"from_priority": CasePriority.HIGH, "to_priority": CasePriority.HIGH},
        "$.to_priority",
    ),
    (
        LeadStatusChanged,
        {"from_status": LeadStatus.CONVERTED, "to_status": LeadStatus.NEW},
        "$.to_status",
    ),
    (
        LeadConverted,
        {"from_status": LeadStatus.NEW, "to_status": LeadStatus.CONTACTED},
        "$.to_status",
    ),
]


def _ids(case: tuple[type[DomainEvent], dict[str, Any], str]) -> str:
    cls, changes, _ = case
    return f"{cls.__name__}-{'-'.join(f'{k}={v}' for k, v in changes.items())}"


@pytest.mark.parametrize("case", BROKEN, ids=[_ids(c) for c in BROKEN])
@given(data=st.data())
def test_an_event_breaking_its_class_rule_is_refused(case, data):
    """A valid event of the class, with one rule broken, cannot be built (nor loaded)."""
    cls, changes, path = case
    event = data.draw(crm.domain_events(types=[cls]))  # the class or one of its subclasses
    fields = {f.name: getattr(event, f.name) for f in attrs.fields(type(event)) if f.init}
    with pytest.raises(ValidationError) as info:
        type(event)(**{**fields, **changes})
    assert info.value.path == path
    document = to_dict(event)
    document.update({k: getattr(v, "value", v) for k, v in changes.items()})
    with pytest.raises(ValidationError) as loaded:
        from_dict(DomainEvent, document)
    assert loaded.value.path == path


def test_a_case_escalation_due_after_it_was_recorded_is_refused():
    """An escalation is recorded once it is due, never before."""
    escalation = Escalation(
        rule="late", metric=SlaMetric.FIRST_RESPONSE, level=1, due_at=T0 + timedelta(hours=1)
    )
    with pytest.raises(ValidationError) as info:
        CaseEscalated(
            sequence=1,
            occurred_at=T0,
            case_id=CaseId("case-1"),
            customer_id=CustomerId("c-1"),
            escalation=escalation,
        )
    assert ("$.escalation.due_at", "not_due") == (info.value.path, info.value.code)


def test_points_expire_only_after_they_were_earned():
    with pytest.raises(ValidationError) as info:
        LoyaltyPointsExpired(
            sequence=2,
            occurred_at=T0,
            account_id=LoyaltyAccountId("acc-1"),
            customer_id=CustomerId("c-1"),
            program_id=ProgramId("p-1"),
            points=10,
            balance=0,
            earned_at=T0,
            expired_at=T0 - timedelta(days=1),
        )
    assert ("$.expired_at", "time_backwards") == (info.value.path, info.value.code)


@pytest.mark.parametrize(
    ("tag", "code"),
    [("vip\x00", "control"), ("line\nbreak", "control"), ("x" * 201, "too_long")],
)
def test_event_text_holds_no_control_characters_and_is_short(tag, code):
    """Codes and names in events are printable and short: no injected control characters."""
    with pytest.raises(ValidationError) as info:
        CustomerTagAdded(sequence=1, occurred_at=T0, customer_id=CustomerId("c-1"), tag=tag)
    assert ("$.tag", code) == (info.value.path, info.value.code)
    assert tag not in str(info.value)


def test_an_event_field_of_the_wrong_type_is_refused():
    with pytest.raises(InvalidType) as info:
        ReviewReceived(
            sequence=1, occurred_at=T0, review_id=ReviewId("r-1"), customer_id=None, rating="5"
        )
    assert info.value.path == "$.rating"


def test_a_stored_review_whose_pending_event_has_a_rating_of_minus_one_is_refused():
    """The reproducer: a document's pending events are checked like the review itself."""
    review = Review.receive(ReviewId("r-1"), platform="google", rating=4, text="ok", at=T0)
    document = to_dict(review)
    document["pending_events"][0]["rating"] = -1
    with pytest.raises(CrmcoreError) as info:
        from_dict(Review, document)
    assert info.value.path.endswith(".rating")
    assert from_dict(Review, to_dict(review)) == review
