"""Strategies for domain events of every aggregate."""

from __future__ import annotations

import functools
import types
import typing
from collections.abc import Callable, Iterable
from datetime import date, datetime
from decimal import Decimal
from enum import StrEnum
from typing import Any, Final

import attrs
from hypothesis import strategies as st

from crmcore._kernel._checks import (
    tuple_of,
    type_name,
)
from crmcore._kernel._currencies import CURRENCIES
from crmcore._kernel._events import DomainEvent
from crmcore._kernel._ids import Identifier, StaffId
from crmcore._kernel._money import Money
from crmcore.commerce import (
    ItemReturn,
    ItemsReturned,
    Order,
    OrderCancelled,
    OrderFulfilled,
    OrderId,
    OrderPaid,
    OrderPaymentFailed,
    OrderPaymentRecorded,
    OrderPlaced,
    OrderRefunded,
    Payment,
    PaymentId,
    PaymentMethod,
    PaymentOutcome,
    Refund,
    ReturnedLine,
    SubscriptionCancellationScheduled,
    SubscriptionCancelled,
    SubscriptionExpired,
    SubscriptionId,
    SubscriptionPaymentFailed,
    SubscriptionPaymentRecorded,
    SubscriptionRenewed,
    SubscriptionResumed,
    SubscriptionStarted,
    SubscriptionStatus,
    SubscriptionStatusChanged,
)
from crmcore.customers import (
    AddressAdded,
    AddressRemoved,
    AttributeRemoved,
    AttributeSet,
    BirthDateChanged,
    Channel,
    ConsentGiven,
    ConsentRecord,
    ConsentStatus,
    ConsentWithdrawn,
    ContactPoint,
    ContactPointAdded,
    ContactPointRemoved,
    ContactPointVerified,
    CustomerId,
    CustomerRegistered,
    LifecycleStageChanged,
    NameChanged,
    PartyKind,
    PersonName,
    PreferredLanguageChanged,
    PrimaryContactPointChanged,
    Profile,
    TagAdded,
    TagRemoved,
)
from crmcore.errors import InvalidType, ValidationError
from crmcore.feedback import (
    ReviewAnswered,
    ReviewId,
    ReviewReceived,
    SurveyAnswered,
    SurveyResponse,
)
from crmcore.interactions import (
    Direction,
    InteractionId,
    InteractionKind,
    InteractionLinked,
    InteractionLogged,
)
from crmcore.interactions._interaction import KIND_CHANNELS
from crmcore.lifecycle import (
    CRM_STAGES,
    RELATIONSHIP_LADDER,
)
from crmcore.loyalty import (
    MemberEnrolled,
    PointsAdjusted,
    PointsEarned,
    PointsExpired,
    PointsRedeemed,
    RewardRedeemed,
    TierChanged,
)
from crmcore.sales import (
    LeadAssigned,
    LeadCaptured,
    LeadConverted,
    LeadDisqualified,
    LeadQualified,
    LeadScored,
    LeadStatusChanged,
    OpportunityAmountChanged,
    OpportunityCloseDateChanged,
    OpportunityId,
    OpportunityLost,
    OpportunityNextStepChanged,
    OpportunityOpened,
    OpportunityOwnerChanged,
    OpportunityReopened,
    OpportunityStageChanged,
    OpportunityWon,
)
from crmcore.segmentation import SegmentEntered, SegmentLeft
from crmcore.service import (
    CASE_TRANSITIONS,
    CaseAssigned,
    CaseClosed,
    CaseEscalated,
    CaseFirstResponded,
    CaseId,
    CaseKind,
    CaseOpened,
    CasePriority,
    CasePriorityChanged,
    CaseReopened,
    CaseResolved,
    CaseStatus,
    CaseStatusChanged,
    Escalation,
    SlaMetric,
)
from crmcore.testing.strategies._base import (
    _PLATFORMS,
    _ROLES,
    _RULE_NAMES,
    _STEP_OFFSETS,
    _ascii_slugs,
    _id_texts,
    _ids_of,
    _later,
    _non_empty,
    _of_units,
    _reasons,
    _short_texts,
    _snake_names,
    aware_datetimes,
    birth_dates,
    currency_codes,
    customer_ids,
    moneys,
    tags,
)
from crmcore.testing.strategies._commerce import _lines_in, _plans
from crmcore.testing.strategies._customers import (
    attribute_keys,
    attribute_values,
    consent_records,
    contact_points,
    language_tags,
    organization_names,
    person_names,
    postal_addresses,
    profiles,
)
from crmcore.testing.strategies._feedback import survey_responses
from crmcore.testing.strategies._lifecycle import _lifecycle_states

# -- events ---------------------------------------------------------------------------------


def _registered(when: datetime, customer_id: CustomerId, profile: Profile) -> CustomerRegistered:
    kind = PartyKind.PERSON if isinstance(profile.name, PersonName) else PartyKind.ORGANIZATION
    return CustomerRegistered(
        occurred_at=when, customer_id=customer_id, kind=kind.value, profile=profile
    )


def _consent_event(
    cls: type[ConsentGiven | ConsentWithdrawn], customer_id: CustomerId, record: ConsentRecord
) -> ConsentGiven | ConsentWithdrawn:
    return cls(occurred_at=record.captured_at, customer_id=customer_id, record=record)


def _primary_changed(
    when: datetime, customer_id: CustomerId, point: ContactPoint
) -> PrimaryContactPointChanged:
    return PrimaryContactPointChanged(
        occurred_at=when,
        customer_id=customer_id,
        channel=point.channel,
        contact_point=attrs.evolve(point, primary=True),
    )


def _event(cls: type[DomainEvent], **fields: st.SearchStrategy[Any]) -> st.SearchStrategy[Any]:
    return st.builds(cls, occurred_at=aware_datetimes(), customer_id=customer_ids(), **fields)


def _consent_events(
    cls: type[ConsentGiven | ConsentWithdrawn], status: ConsentStatus
) -> st.SearchStrategy[Any]:
    return st.builds(
        functools.partial(_consent_event, cls),
        customer_ids(),
        consent_records(statuses=[status]),
    )


# -- events of the relationship aggregates --------------------------------------------------


@functools.cache
def _event_times() -> st.SearchStrategy[datetime]:
    return aware_datetimes()


@st.composite
def _payments(draw: st.DrawFn, outcome: PaymentOutcome, *, with_due: bool = False) -> Payment:
    code = draw(currency_codes())
    at = draw(_event_times())
    return Payment(
        id=draw(_ids_of(PaymentId)),
        amount=_of_units(draw(st.integers(min_value=1, max_value=10**7)), code),
        at=at,
        outcome=outcome,
        method=draw(st.none() | st.sampled_from(PaymentMethod)),
        due_at=at if with_due else None,
        failure_reason=None
        if outcome is PaymentOutcome.SUCCEEDED
        else draw(st.none() | _reasons()),
    )


def _payment_event(
    cls: Callable[..., DomainEvent],
    id_type: type[Identifier],
    outcome: PaymentOutcome,
    *,
    with_due: bool = False,
) -> st.SearchStrategy[Any]:
    id_field = "order_id" if id_type is OrderId else "subscription_id"

    def build(payment: Payment, ident: Identifier, customer_id: CustomerId) -> DomainEvent:
        fields: dict[str, Any] = {id_field: ident}
        return cls(occurred_at=payment.at, customer_id=customer_id, payment=payment, **fields)

    return st.builds(build, _payments(outcome, with_due=with_due), _ids_of(id_type), customer_ids())


@st.composite
def _order_placed(draw: st.DrawFn) -> DomainEvent:
    code = draw(currency_codes())
    order = Order.place(
        draw(_ids_of(OrderId)),
        customer_id=draw(customer_ids()),
        lines=draw(st.lists(_lines_in(code, 20), min_size=1, max_size=3)),
        at=draw(_event_times()),
    )
    return order.pending_events[0]


@st.composite
def _order_refunded(draw: st.DrawFn) -> DomainEvent:
    code = draw(currency_codes())
    at = draw(_event_times())
    units = draw(st.integers(min_value=1, max_value=10**7))
    refund = Refund(amount=_of_units(units, code), at=at, reason=draw(st.none() | _reasons()))
    total = _of_units(units + draw(st.integers(min_value=0, max_value=10**7)), code)
    return OrderRefunded(
        occurred_at=at,
        order_id=draw(_ids_of(OrderId)),
        customer_id=draw(customer_ids()),
        refund=refund,
        refunded_total=total,
    )


@st.composite
def _items_returned(draw: st.DrawFn) -> DomainEvent:
    at = draw(_event_times())
    lines = draw(
        st.lists(st.integers(min_value=0, max_value=20), min_size=1, max_size=3, unique=True)
    )
    returned = ItemReturn(
        lines=[
            ReturnedLine(line, draw(st.integers(min_value=1, max_value=20)))
            for line in sorted(lines)
        ],
        at=at,
        refund=_of_units(draw(st.integers(min_value=0, max_value=10**7)), draw(currency_codes())),
        reason=draw(st.none() | _reasons()),
    )
    return ItemsReturned(
        occurred_at=at,
        order_id=draw(_ids_of(OrderId)),
        customer_id=draw(customer_ids()),
        returned=returned,
    )


@st.composite
def _subscription_started(draw: st.DrawFn) -> DomainEvent:
    plan = draw(_plans(tuple(sorted(CURRENCIES)), None))
    status = SubscriptionStatus.ACTIVE if plan.trial is None else SubscriptionStatus.TRIALING
    return SubscriptionStarted(
        occurred_at=draw(_event_times()),
        subscription_id=draw(_ids_of(SubscriptionId)),
        customer_id=draw(customer_ids()),
        plan=plan,
        status=status,
        term_periods=draw(st.none() | st.integers(min_value=1, max_value=24)),
    )


#: The moves ``refresh`` records as :class:`SubscriptionStatusChanged`.
_SUBSCRIPTION_MOVES: Final = (
    (SubscriptionStatus.TRIALING, SubscriptionStatus.ACTIVE),
    (SubscriptionStatus.TRIALING, SubscriptionStatus.PAST_DUE),
    (SubscriptionStatus.ACTIVE, SubscriptionStatus.PAST_DUE),
    (SubscriptionStatus.PAST_DUE, SubscriptionStatus.ACTIVE),
)


def _subscription_status_changed(
    moves: tuple[SubscriptionStatus, SubscriptionStatus],
    at: datetime,
    ident: SubscriptionId,
    customer_id: CustomerId,
) -> DomainEvent:
    return SubscriptionStatusChanged(
        occurred_at=at,
        subscription_id=ident,
        customer_id=customer_id,
        previous=moves[0],
        status=moves[1],
    )


def _ending(
    cls: type[SubscriptionRenewed | SubscriptionCancellationScheduled],
) -> st.SearchStrategy[Any]:
    @st.composite
    def build(draw: st.DrawFn) -> DomainEvent:
        at = draw(_event_times())
        fields: dict[str, Any] = {
            "occurred_at": at,
            "subscription_id": draw(_ids_of(SubscriptionId)),
            "customer_id": draw(customer_ids()),
            "ends_at": _later(at, draw(_STEP_OFFSETS)),
        }
        if cls is SubscriptionRenewed:
            fields["periods"] = draw(st.integers(min_value=1, max_value=12))
        else:
            fields["reason"] = draw(st.none() | _reasons())
        return cls(**fields)

    return build()


@st.composite
def _interaction_logged(draw: st.DrawFn) -> DomainEvent:
    kind = draw(st.sampled_from(InteractionKind))
    return InteractionLogged(
        occurred_at=draw(_event_times()),
        interaction_id=draw(_ids_of(InteractionId)),
        customer_id=draw(customer_ids()),
        kind=kind,
        channel=draw(st.sampled_from(sorted(KIND_CHANNELS[kind]))),
        direction=draw(st.sampled_from(Direction)),
        staff_id=draw(st.none() | _ids_of(StaffId)),
        case_id=draw(st.none() | _ids_of(CaseId)),
        opportunity_id=draw(st.none() | _ids_of(OpportunityId)),
    )


@st.composite
def _interaction_linked(draw: st.DrawFn) -> DomainEvent:
    case_id = draw(st.none() | _ids_of(CaseId))
    opportunity = _ids_of(OpportunityId)
    return InteractionLinked(
        occurred_at=draw(_event_times()),
        interaction_id=draw(_ids_of(InteractionId)),
        customer_id=draw(customer_ids()),
        case_id=case_id,
        opportunity_id=draw(opportunity if case_id is None else st.none() | opportunity),
    )


def _case_moves(cls: type[CaseStatusChanged]) -> tuple[tuple[CaseStatus, CaseStatus], ...]:
    """The status changes a case records as exactly ``cls``."""
    moves = []
    for source, targets in CASE_TRANSITIONS.items():
        for target in sorted(targets):
            if target is CaseStatus.RESOLVED:
                kind: type[CaseStatusChanged] = CaseResolved
            elif target is CaseStatus.CLOSED:
                kind = CaseClosed
            elif source in (CaseStatus.RESOLVED, CaseStatus.CLOSED):
                kind = CaseReopened
            else:
                kind = CaseStatusChanged
            if kind is cls:
                moves.append((source, target))
    return tuple(moves)


def _case_status_event(cls: type[CaseStatusChanged]) -> st.SearchStrategy[Any]:
    def build(
        move: tuple[CaseStatus, CaseStatus],
        at: datetime,
        ident: CaseId,
        customer_id: CustomerId,
        reason: str | None,
    ) -> DomainEvent:
        return cls(
            occurred_at=at,
            case_id=ident,
            customer_id=customer_id,
            from_status=move[0],
            to_status=move[1],
            reason=reason,
        )

    return st.builds(
        build,
        st.sampled_from(_case_moves(cls)),
        _event_times(),
        _ids_of(CaseId),
        customer_ids(),
        st.none() | _reasons(),
    )


@st.composite
def _case_assigned(draw: st.DrawFn) -> DomainEvent:
    previous = draw(st.none() | _ids_of(StaffId))
    assignee = draw(st.none() | _ids_of(StaffId))
    if assignee == previous:
        assignee = None if previous is not None else draw(_ids_of(StaffId))
    return CaseAssigned(
        occurred_at=draw(_event_times()),
        case_id=draw(_ids_of(CaseId)),
        customer_id=draw(customer_ids()),
        assignee=assignee,
        previous=previous,
    )


@st.composite
def _case_priority_changed(draw: st.DrawFn) -> DomainEvent:
    old, new = draw(st.lists(st.sampled_from(CasePriority), min_size=2, max_size=2, unique=True))
    return CasePriorityChanged(
        occurred_at=draw(_event_times()),
        case_id=draw(_ids_of(CaseId)),
        customer_id=draw(customer_ids()),
        from_priority=old,
        to_priority=new,
    )


@st.composite
def _case_escalated(draw: st.DrawFn) -> DomainEvent:
    at = draw(_event_times())
    escalation = Escalation(
        rule=draw(st.sampled_from(_RULE_NAMES) | _short_texts()),
        metric=draw(st.sampled_from(SlaMetric)),
        level=draw(st.integers(min_value=1, max_value=10)),
        due_at=at,
        notify_role=draw(st.none() | st.sampled_from(_ROLES)),
    )
    return CaseEscalated(
        occurred_at=at,
        case_id=draw(_ids_of(CaseId)),
        customer_id=draw(customer_ids()),
        escalation=escalation,
    )


@st.composite
def _lifecycle_stage_changed(draw: st.DrawFn) -> DomainEvent:
    state = draw(_lifecycle_states((RELATIONSHIP_LADDER, CRM_STAGES), 4, _event_times()))
    change = state.history[-1]
    return LifecycleStageChanged(
        occurred_at=change.at,
        customer_id=draw(customer_ids()),
        definition=state.definition,
        from_stage=change.from_stage,
        to_stage=change.to_stage,
        trigger=change.trigger,
        actor=change.actor,
        reason=change.reason,
    )


def _answered(response: SurveyResponse) -> DomainEvent:
    return response.pending_events[0]


def _review_events(cls: type[ReviewReceived | ReviewAnswered]) -> st.SearchStrategy[Any]:
    @st.composite
    def build(draw: st.DrawFn) -> DomainEvent:
        fields: dict[str, Any] = {
            "occurred_at": draw(_event_times()),
            "review_id": draw(_ids_of(ReviewId)),
            "customer_id": draw(st.none() | customer_ids()),
        }
        if cls is ReviewReceived:
            fields["platform"] = draw(st.sampled_from(_PLATFORMS) | _ascii_slugs(20))
            fields["rating"] = draw(st.integers(min_value=1, max_value=5))
        return cls(**fields)

    return build()


# Loyalty, pipeline and segment events are drawn field by field from their
# declared types: each field valid on its own, without the cross-field
# consistency their aggregates give them.
_TYPED_EVENTS: Final = (
    MemberEnrolled,
    PointsEarned,
    PointsRedeemed,
    PointsExpired,
    PointsAdjusted,
    RewardRedeemed,
    TierChanged,
    LeadCaptured,
    LeadStatusChanged,
    LeadQualified,
    LeadDisqualified,
    LeadConverted,
    LeadScored,
    LeadAssigned,
    OpportunityOpened,
    OpportunityStageChanged,
    OpportunityWon,
    OpportunityLost,
    OpportunityReopened,
    OpportunityAmountChanged,
    OpportunityCloseDateChanged,
    OpportunityOwnerChanged,
    OpportunityNextStepChanged,
    SegmentEntered,
    SegmentLeft,
)


def _typed_event(cls: type[Any]) -> st.SearchStrategy[Any]:
    """Instances of an attrs class, each field drawn from its declared type."""
    hints = typing.get_type_hints(cls)
    fields = {f.name: _of_type(hints[f.name]) for f in attrs.fields(cls) if f.init}
    return st.builds(cls, **fields)


#: Strategies of the plain field types of :func:`_typed_event`.
_FIELD_TYPES: Final[dict[Any, Callable[[], st.SearchStrategy[Any]]]] = {
    datetime: _event_times,
    date: lambda: st.dates(min_value=date(2000, 1, 1), max_value=date(2099, 12, 31)),
    bool: st.booleans,
    int: lambda: st.integers(min_value=-(10**6), max_value=10**6),
    Decimal: lambda: st.decimals(min_value=0, max_value=10**9, places=2),
    str: _snake_names,
    Money: lambda: moneys(min_value=0, max_value=10**9),
    CustomerId: customer_ids,
}


def _of_type(tp: Any) -> st.SearchStrategy[Any]:
    args = typing.get_args(tp)
    origin = typing.get_origin(tp)
    if origin in (typing.Union, types.UnionType):
        inner = st.one_of(*(_of_type(a) for a in args if a is not type(None)))
        return st.none() | inner if type(None) in args else inner
    if origin is tuple and len(args) == 2 and args[1] is Ellipsis:
        return st.lists(_of_type(args[0]), max_size=3).map(tuple)
    if tp in _FIELD_TYPES:
        return _FIELD_TYPES[tp]()
    if isinstance(tp, type) and issubclass(tp, Identifier):
        return _id_texts(tp.__name__.removesuffix("Id").lower()).map(tp)
    if isinstance(tp, type) and issubclass(tp, StrEnum):
        return st.sampled_from(tp)
    if isinstance(tp, type) and attrs.has(tp):
        return _typed_event(tp)
    raise InvalidType(f"has no strategy for fields of type {tp!r}", path="$.types")


_EVENT_STRATEGIES: Final[dict[type[DomainEvent], Callable[[], st.SearchStrategy[Any]]]] = {
    CustomerRegistered: lambda: st.builds(
        _registered, aware_datetimes(), customer_ids(), profiles()
    ),
    NameChanged: lambda: _event(NameChanged, name=person_names() | organization_names()),
    BirthDateChanged: lambda: _event(BirthDateChanged, birth_date=st.none() | birth_dates()),
    PreferredLanguageChanged: lambda: _event(
        PreferredLanguageChanged, language=st.none() | language_tags()
    ),
    AddressAdded: lambda: _event(AddressAdded, address=postal_addresses()),
    AddressRemoved: lambda: _event(AddressRemoved, address=postal_addresses()),
    AttributeSet: lambda: _event(AttributeSet, key=attribute_keys(), value=attribute_values()),
    AttributeRemoved: lambda: _event(AttributeRemoved, key=attribute_keys()),
    ContactPointAdded: lambda: _event(ContactPointAdded, contact_point=contact_points()),
    ContactPointRemoved: lambda: _event(ContactPointRemoved, contact_point=contact_points()),
    ContactPointVerified: lambda: _event(
        ContactPointVerified,
        contact_point=contact_points().map(lambda p: attrs.evolve(p, verified=True)),
    ),
    PrimaryContactPointChanged: lambda: st.builds(
        _primary_changed, aware_datetimes(), customer_ids(), contact_points()
    ),
    ConsentGiven: lambda: _consent_events(ConsentGiven, ConsentStatus.GRANTED),
    ConsentWithdrawn: lambda: _consent_events(ConsentWithdrawn, ConsentStatus.WITHDRAWN),
    TagAdded: lambda: _event(TagAdded, tag=tags()),
    TagRemoved: lambda: _event(TagRemoved, tag=tags()),
    LifecycleStageChanged: _lifecycle_stage_changed,
    # Orders.
    OrderPlaced: _order_placed,
    OrderPaymentRecorded: lambda: _payment_event(
        OrderPaymentRecorded, OrderId, PaymentOutcome.SUCCEEDED
    ),
    OrderPaymentFailed: lambda: _payment_event(OrderPaymentFailed, OrderId, PaymentOutcome.FAILED),
    OrderPaid: lambda: _event(OrderPaid, order_id=_ids_of(OrderId), amount=moneys(min_value=0)),
    OrderFulfilled: lambda: _event(OrderFulfilled, order_id=_ids_of(OrderId)),
    OrderCancelled: lambda: _event(
        OrderCancelled, order_id=_ids_of(OrderId), reason=st.none() | _reasons()
    ),
    OrderRefunded: _order_refunded,
    ItemsReturned: _items_returned,
    # Subscriptions.
    SubscriptionStarted: _subscription_started,
    SubscriptionStatusChanged: lambda: st.builds(
        _subscription_status_changed,
        st.sampled_from(_SUBSCRIPTION_MOVES),
        _event_times(),
        _ids_of(SubscriptionId),
        customer_ids(),
    ),
    SubscriptionPaymentRecorded: lambda: _payment_event(
        SubscriptionPaymentRecorded, SubscriptionId, PaymentOutcome.SUCCEEDED, with_due=True
    ),
    SubscriptionPaymentFailed: lambda: _payment_event(
        SubscriptionPaymentFailed, SubscriptionId, PaymentOutcome.FAILED, with_due=True
    ),
    SubscriptionRenewed: lambda: _ending(SubscriptionRenewed),
    SubscriptionCancellationScheduled: lambda: _ending(SubscriptionCancellationScheduled),
    SubscriptionResumed: lambda: _event(
        SubscriptionResumed, subscription_id=_ids_of(SubscriptionId)
    ),
    SubscriptionCancelled: lambda: _event(
        SubscriptionCancelled,
        subscription_id=_ids_of(SubscriptionId),
        immediately=st.booleans(),
        reason=st.none() | _reasons(),
    ),
    SubscriptionExpired: lambda: _event(
        SubscriptionExpired, subscription_id=_ids_of(SubscriptionId)
    ),
    # Interactions.
    InteractionLogged: _interaction_logged,
    InteractionLinked: _interaction_linked,
    # Service cases.
    CaseOpened: lambda: _event(
        CaseOpened,
        case_id=_ids_of(CaseId),
        kind=st.sampled_from(CaseKind),
        priority=st.sampled_from(CasePriority),
        channel=st.sampled_from(Channel),
        assignee=st.none() | _ids_of(StaffId),
        order_id=st.none() | _ids_of(OrderId),
    ),
    CaseStatusChanged: lambda: _case_status_event(CaseStatusChanged),
    CaseResolved: lambda: _case_status_event(CaseResolved),
    CaseClosed: lambda: _case_status_event(CaseClosed),
    CaseReopened: lambda: _case_status_event(CaseReopened),
    CaseFirstResponded: lambda: _event(CaseFirstResponded, case_id=_ids_of(CaseId)),
    CaseAssigned: _case_assigned,
    CasePriorityChanged: _case_priority_changed,
    CaseEscalated: _case_escalated,
    # Feedback.
    SurveyAnswered: lambda: survey_responses().map(_answered),
    ReviewReceived: lambda: _review_events(ReviewReceived),
    ReviewAnswered: lambda: _review_events(ReviewAnswered),
    # Loyalty accounts, leads, opportunities and segments.
    **{cls: functools.partial(_typed_event, cls) for cls in _TYPED_EVENTS},
}


def domain_events(
    *, types: Iterable[type[DomainEvent]] | None = None
) -> st.SearchStrategy[DomainEvent]:
    """Valid domain events of every crmcore aggregate.

    Customers (and their lifecycles), orders, subscriptions, interactions,
    service cases, survey responses, reviews, loyalty accounts, leads,
    opportunities and segments. Fields are consistent the way the aggregates make them: ``ConsentGiven``
    carries a grant captured when the event occurred, ``ContactPointVerified``
    a verified contact point, ``CustomerRegistered`` the kind of its name,
    ``OrderPlaced`` the total of its lines, payment events a payment of the
    right outcome made when the event occurred, case status events a move
    the case machine allows (``CaseResolved`` into ``resolved``, ...),
    ``LifecycleStageChanged`` a move its definition allows. Events of loyalty
    accounts, leads, opportunities and segments have each field drawn from
    its declared type, without that cross-field consistency.

    Args:
        types: the event classes to draw (concrete events, or a base such as
            ``CustomerEvent`` standing for its subclasses); every known event by
            default.

    Raises:
        InvalidType: an item that is not a DomainEvent class.
        ValidationError: an event class these strategies do not know, or an
            empty ``types``.
    """
    if types is None:
        return _domain_events(tuple(_EVENT_STRATEGIES))
    picked = tuple_of(types, "$.types", _event_type)
    chosen = tuple(cls for cls in _EVENT_STRATEGIES if any(issubclass(cls, b) for b in picked))
    return _domain_events(_non_empty(chosen, "$.types"))


@functools.lru_cache(maxsize=256)
def _domain_events(chosen: tuple[type[DomainEvent], ...]) -> st.SearchStrategy[DomainEvent]:
    return st.one_of(*(_EVENT_STRATEGIES[cls]() for cls in chosen))


def _event_type(value: object, path: str) -> type[DomainEvent]:
    if not (isinstance(value, type) and issubclass(value, DomainEvent)):
        raise InvalidType(f"must be a DomainEvent class, not {type_name(value)}", path=path)
    if not any(issubclass(cls, value) for cls in _EVENT_STRATEGIES):
        raise ValidationError(
            "must be an event class these strategies know", path=path, code="event_type"
        )
    return value
