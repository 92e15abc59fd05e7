"""How the contract builds and changes the aggregates of feedback."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import TypeVar

from crmcore.commerce import (
    OrderId,
)
from crmcore.customers import (
    Channel,
)
from crmcore.feedback import (
    CesResponse,
    CsatResponse,
    FeedbackId,
    NpsResponse,
    Review,
    ReviewId,
    SurveyResponse,
)
from crmcore.testing.contract._service import _CASE_LINKS
from crmcore.testing.contract._support import _customer_id

E = TypeVar("E", bound=BaseException)

#: When the contract's commands happen.
T0 = datetime(2026, 1, 5, 9, 0, tzinfo=UTC)
#: Small pools of natural key values, so that collisions happen often.
EMAILS = ("ana@example.com", "budi@example.com", "citra@example.com", "dewi@example.com")
PHONES = ("+6281200000001", "+6281200000002", "+6281200000003")
_PHONE_CHANNELS = frozenset({Channel.PHONE, Channel.SMS, Channel.WHATSAPP})


_SURVEY_TYPES: tuple[type[CsatResponse | NpsResponse | CesResponse], ...] = (
    CsatResponse,
    NpsResponse,
    CesResponse,
)


def _make_review(number: int, customer: int) -> Review:
    return Review.receive(
        ReviewId(f"r-{number:04d}"),
        platform=("Google", "tokopedia")[number % 2],
        rating=number % 5 + 1,
        at=T0,
        customer_id=_customer_id(customer) if number % 3 else None,
    )


def _answer_review(review: Review) -> Review:
    """Answer the review (answering again changes nothing)."""
    return review.answer(at=T0)


def _make_survey(number: int, customer: int) -> SurveyResponse:
    cls = _SURVEY_TYPES[number % 3]
    return cls.record(
        FeedbackId(f"f-{number:04d}"),
        customer_id=_customer_id(customer),
        score=cls.min_score + number % (cls.max_score - cls.min_score + 1),
        at=T0,
        case_id=_CASE_LINKS[number % 3] if number % 2 else None,
        order_id=OrderId(f"o-{number % 2:04d}") if number % 3 else None,
    )


def _unchanged(aggregate: object) -> object:
    """A survey answer has no commands: it is saved as it is."""
    return aggregate
