"""Shared builders for the merge tests: two duplicate customers and one record of each kind."""

from datetime import UTC, date, datetime, timedelta

from dateutil.relativedelta import relativedelta

from crmcore import ContactPoint, Customer, CustomerId, Money, PersonName
from crmcore._kernel._ids import PrivacyRequestId
from crmcore.activities import Activity, ActivityId, RecordRef
from crmcore.commerce import (
    Order,
    OrderId,
    OrderLine,
    PaymentId,
    Plan,
    PlanId,
    ProductId,
    Subscription,
    SubscriptionId,
)
from crmcore.feedback import FeedbackId, NpsResponse, Review, ReviewId
from crmcore.interactions import Interaction, InteractionId
from crmcore.loyalty import LoyaltyAccount, LoyaltyAccountId, LoyaltyProgram, ProgramId, Tier
from crmcore.notes import Note, NoteId
from crmcore.parties import Relationship, RelationshipId
from crmcore.privacy import DataSubjectRequest
from crmcore.repository import InMemoryUnitOfWork
from crmcore.sales import STANDARD_PIPELINE, Lead, LeadId, Opportunity, OpportunityId
from crmcore.service import Case, CaseId
from crmcore.teams import StaffId

T0 = datetime(2026, 1, 5, 9, 0, tzinfo=UTC)
LATER = T0 + timedelta(days=2)
KEPT = CustomerId("c-kept")
GONE = CustomerId("c-gone")
OTHER = CustomerId("c-other")
PROGRAM = LoyaltyProgram(
    id=ProgramId("points"),
    name="Points",
    currency="USD",
    tiers=[Tier.by_spend("basic", Money("0.00", "USD"))],
)
PLAN = Plan(
    id=PlanId("monthly"),
    name="Monthly",
    price=Money("9.00", "USD"),
    period=relativedelta(months=1),
    product_type="box",
)
LINE = OrderLine(ProductId("sku-1"), 1, Money("10.00", "USD"), category="books")


def customer(customer_id: CustomerId, email: str | None = None) -> Customer:
    points = [ContactPoint("email", email)] if email else []
    return Customer.register(customer_id, name=PersonName("Ana"), at=T0, contact_points=points)


def records_of(customer_id: CustomerId, suffix: str = "") -> dict[str, object]:
    """One record of each kind naming ``customer_id`` (ids end with ``suffix``)."""
    order = Order.place(OrderId(f"o{suffix}"), customer_id=customer_id, lines=[LINE], at=T0)
    return {
        "orders": order.record_payment(PaymentId(f"p{suffix}"), Money("10.00", "USD"), at=T0),
        "subscriptions": Subscription.start(
            SubscriptionId(f"s{suffix}"), customer_id=customer_id, plan=PLAN, at=T0
        ),
        "interactions": Interaction.log(
            InteractionId(f"i{suffix}"),
            customer_id=customer_id,
            kind="call",
            channel="phone",
            direction="inbound",
            at=T0,
        ),
        "cases": Case.open(
            CaseId(f"k{suffix}"),
            customer_id=customer_id,
            kind="question",
            subject="Where is my parcel?",
            channel="email",
            at=T0,
        ),
        "reviews": Review.receive(
            ReviewId(f"r{suffix}"), platform="google", rating=4, at=T0, customer_id=customer_id
        ),
        "surveys": NpsResponse.record(
            FeedbackId(f"f{suffix}"), customer_id=customer_id, score=9, at=T0
        ),
        "loyalty_accounts": LoyaltyAccount.enroll(
            LoyaltyAccountId(f"la{suffix}"), customer_id=customer_id, program=PROGRAM, at=T0
        ),
        "leads": Lead.capture(
            LeadId(f"l{suffix}"),
            name=PersonName("Dewi"),
            source="referral",
            at=T0,
            referred_by=customer_id,
        ),
        "opportunities": Opportunity.open(
            OpportunityId(f"op{suffix}"),
            customer_id=customer_id,
            name="Renewal",
            amount=Money("100.00", "USD"),
            expected_close=date(2026, 3, 1),
            owner=StaffId("s-1"),
            pipeline=STANDARD_PIPELINE,
            at=T0,
        ),
        "relationships": Relationship.establish(
            RelationshipId(f"h{suffix}"),
            kind="household_member",
            party_id=customer_id,
            related_id=OTHER,
            at=T0,
        ),
        "activities": Activity.plan(
            ActivityId(f"a{suffix}"),
            kind="call",
            subject="Call about the renewal",
            due_at=LATER + timedelta(days=1),
            at=T0,
            link=RecordRef.to(customer_id),
            contacts=[customer_id, OTHER],
        ),
        "notes": Note.write(
            NoteId(f"n{suffix}"),
            link=RecordRef.account(customer_id),
            body="Prefers calls after 10:00.",
            at=T0,
        ),
        "privacy_requests": DataSubjectRequest.receive(
            PrivacyRequestId(f"dsr{suffix}"),
            customer_id=customer_id,
            kind="access",
            jurisdiction="gdpr",
            channel="email",
            at=T0,
        ),
    }


def world() -> InMemoryUnitOfWork:
    """A store with KEPT, GONE (a duplicate) and OTHER, and one record of each kind for GONE."""
    unit = InMemoryUnitOfWork()
    with unit:
        unit.customers.add(customer(KEPT, "ana@example.com"))
        unit.customers.add(customer(GONE, "ana.putri@example.com"))
        unit.customers.add(customer(OTHER))
        for name, record in records_of(GONE).items():
            getattr(unit, name).add(record)
        unit.commit()
    return unit
