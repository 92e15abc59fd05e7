"""Feedback: survey scores (CSAT, NPS, CES), public reviews, and how to answer a negative one.

Three surveys, each answered by one customer at one time, optionally about a
case or an order:

* **CSAT** (customer satisfaction), 1 to 5; the score of a set of answers is
  the percentage of 4s and 5s.
* **NPS** (net promoter score), 0 to 10: 9-10 are promoters, 7-8 passives,
  0-6 detractors; the score is the percentage of promoters minus the
  percentage of detractors (-100 to 100).
* **CES** (customer effort score), 1 to 7, answering "the company made it
  easy to handle my issue" from strongly disagree (1) to strongly agree (7),
  so higher is better; the score is the mean.

Every aggregate function returns ``None`` for no answers at all.

A :class:`Review` is a rating (1 to 5) and text on a public platform. The
source documents say to answer every negative review: do not deflect;
address the reviewer by name and thank them, regret the experience, restate
the service standard, offer compensation and an offline contact; keep it
short, never defensive. :func:`response_plan` returns exactly that as data
(:class:`ResponsePlan`): the host application renders it with its own
templates and language.

>>> from datetime import datetime, timezone
>>> from crmcore.customers import CustomerId
>>> at = datetime(2026, 4, 1, 10, 0, tzinfo=timezone.utc)
>>> answers = [
...     NpsResponse.record(FeedbackId(f"f-{i}"), customer_id=CustomerId(f"c-{i}"), score=s, at=at)
...     for i, s in enumerate([10, 9, 8, 6, 3])
... ]
>>> [a.category.value for a in answers]
['promoter', 'promoter', 'passive', 'detractor', 'detractor']
>>> net_promoter_score(answers)
0.0
>>> net_promoter_score([]) is None
True
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from datetime import datetime
from enum import StrEnum
from typing import Any, ClassVar, Final, Self

import attrs

from crmcore._kernel._aggregate import check_version, optional_typed_id, pending_events, typed_id
from crmcore._kernel._checks import aware, clean_text, optional_aware, require_aware, type_name
from crmcore._kernel._events import DomainEvent
from crmcore._kernel._ids import CaseId, CustomerId, FeedbackId, OrderId, ReviewId
from crmcore._kernel._timeline import TimelineEntry
from crmcore.customers._contact import ContactPoint
from crmcore.customers._party import OrganizationName, PersonName
from crmcore.errors import InvalidType, ValidationError

__all__ = [
    "CesResponse",
    "CsatResponse",
    "NpsBreakdown",
    "NpsCategory",
    "NpsResponse",
    "ResponseGuideline",
    "ResponsePlan",
    "ResponseStep",
    "Review",
    "ReviewAnswered",
    "ReviewReceived",
    "SurveyAnswered",
    "SurveyKind",
    "SurveyResponse",
    "csat_score",
    "customer_effort_score",
    "net_promoter_score",
    "nps_breakdown",
    "nps_category",
    "response_plan",
]

#: Longest survey comment or review text, in characters.
MAX_COMMENT: Final = 10_000
#: Longest platform name, in characters.
MAX_PLATFORM: Final = 64
#: Longest review URL, in characters.
MAX_URL: Final = 2048
#: Longest reviewer display name, in characters.
MAX_AUTHOR: Final = 200
#: Longest service standard or compensation offer in a response plan, in characters.
MAX_PLAN_TEXT: Final = 500
#: Reviews rated this or lower are negative unless the caller says otherwise.
NEGATIVE_AT_MOST: Final = 2

_URL: Final = re.compile(r"https?://[^\s/$.?#][^\s]*", re.IGNORECASE)


class SurveyKind(StrEnum):
    """Which survey a score answers."""

    CSAT = "csat"
    NPS = "nps"
    CES = "ces"


_SCORE_NAMES: Final = {
    SurveyKind.CSAT: "a CSAT score",
    SurveyKind.NPS: "an NPS score",
    SurveyKind.CES: "a CES score",
}


class NpsCategory(StrEnum):
    """Where an NPS answer falls: promoter (9-10), passive (7-8), detractor (0-6)."""

    PROMOTER = "promoter"
    PASSIVE = "passive"
    DETRACTOR = "detractor"


def nps_category(score: int) -> NpsCategory:
    """The category of an NPS score.

    >>> nps_category(9), nps_category(7), nps_category(6)
    (<NpsCategory.PROMOTER: 'promoter'>, <NpsCategory.PASSIVE: 'passive'>, <NpsCategory.DETRACTOR: 'detractor'>)
    """
    checked = _score(score, "$.score", 0, 10, "an NPS score")
    if checked >= 9:
        return NpsCategory.PROMOTER
    if checked >= 7:
        return NpsCategory.PASSIVE
    return NpsCategory.DETRACTOR


def _score(value: object, path: str, low: int, high: int, what: str) -> int:
    if isinstance(value, bool) or not isinstance(value, int):
        raise InvalidType(f"{what} must be an int, not {type_name(value)}", path=path)
    if not low <= value <= high:
        raise ValidationError(
            f"{what} must be an integer from {low} to {high}", path=path, code="score_range"
        )
    return value


def _comment(value: object) -> str | None:
    if value is None:
        return None
    return clean_text(
        value, "$.comment", max_length=MAX_COMMENT, allow_newlines=True, what="a comment"
    )


def _responded_at(value: object) -> datetime:
    return aware("$.responded_at")(value)


# -- events ------------------------------------------------------------------------------


@attrs.frozen(slots=True, kw_only=True)
class SurveyAnswered(DomainEvent):
    """A customer answered a CSAT, NPS or CES survey (the comment stays in the record)."""

    response_id: FeedbackId
    customer_id: CustomerId
    survey: SurveyKind
    score: int
    case_id: CaseId | None = None
    order_id: OrderId | None = None


@attrs.frozen(slots=True, kw_only=True)
class ReviewReceived(DomainEvent):
    """A public review was recorded (its text and author stay in the record)."""

    review_id: ReviewId
    customer_id: CustomerId | None
    platform: str
    rating: int


@attrs.frozen(slots=True, kw_only=True)
class ReviewAnswered(DomainEvent):
    """The business posted its public answer to a review."""

    review_id: ReviewId
    customer_id: CustomerId | None


# -- survey responses --------------------------------------------------------------------


@attrs.frozen(slots=True, kw_only=True, repr=False)
class SurveyResponse:
    """Base of the survey responses: one customer's score at one time.

    Use the concrete classes (:class:`CsatResponse`, :class:`NpsResponse`,
    :class:`CesResponse`) and their :meth:`record`, which records
    :class:`SurveyAnswered`. The comment is free text that may hold personal
    data: the repr leaves it out. A response is also a timeline fact (kind
    ``csat``, ``nps`` or ``ces``).
    """

    survey: ClassVar[SurveyKind]
    min_score: ClassVar[int]
    max_score: ClassVar[int]

    id: FeedbackId = attrs.field(validator=typed_id(FeedbackId, "$.id"))
    customer_id: CustomerId = attrs.field(validator=typed_id(CustomerId, "$.customer_id"))
    score: int
    responded_at: datetime = attrs.field(converter=_responded_at)
    case_id: CaseId | None = attrs.field(
        default=None, validator=optional_typed_id(CaseId, "$.case_id")
    )
    order_id: OrderId | None = attrs.field(
        default=None, validator=optional_typed_id(OrderId, "$.order_id")
    )
    comment: str | None = attrs.field(default=None, converter=_comment)
    version: int = attrs.field(default=0, validator=check_version)
    pending_events: tuple[DomainEvent, ...] = attrs.field(
        default=(), converter=pending_events, eq=False, hash=False
    )

    def __attrs_post_init__(self) -> None:
        if not hasattr(type(self), "survey"):
            raise InvalidType(
                "use CsatResponse, NpsResponse or CesResponse", path="$", code="abstract"
            )
        _score(
            self.score,
            "$.score",
            self.min_score,
            self.max_score,
            _SCORE_NAMES[self.survey],
        )

    @classmethod
    def record(
        cls,
        response_id: FeedbackId,
        *,
        customer_id: CustomerId,
        score: int,
        at: datetime,
        case_id: CaseId | None = None,
        order_id: OrderId | None = None,
        comment: str | None = None,
    ) -> Self:
        """Record an answer given at ``at``; records :class:`SurveyAnswered`.

        Raises:
            ValidationError: the score is out of range (``$.score``), ``at`` is
                naive, or another argument breaks a rule.
        """
        when = require_aware(at, "$.at")
        response = cls(
            id=response_id,
            customer_id=customer_id,
            score=score,
            responded_at=when,
            case_id=case_id,
            order_id=order_id,
            comment=comment,
        )
        event = SurveyAnswered(
            occurred_at=when,
            response_id=response.id,
            customer_id=response.customer_id,
            survey=cls.survey,
            score=response.score,
            case_id=response.case_id,
            order_id=response.order_id,
        )
        return attrs.evolve(response, pending_events=(event,))

    @property
    def occurred_at(self) -> datetime:
        """When the customer answered."""
        return self.responded_at

    @property
    def timeline_at(self) -> datetime:
        """When the customer answered (the timeline protocol)."""
        return self.responded_at

    @property
    def timeline_kind(self) -> str:
        """The survey: ``csat``, ``nps`` or ``ces`` (the timeline protocol)."""
        return self.survey.value

    @property
    def timeline_key(self) -> str:
        """The response id (the timeline protocol)."""
        return self.id.value

    @property
    def timeline_summary(self) -> str:
        """The survey and score, without the comment."""
        return f"{self.survey.value.upper()} {self.score}/{self.max_score}"

    def without_pending_events(self) -> Self:
        """The same response with no pending events (what a repository stores)."""
        if not self.pending_events:
            return self
        return attrs.evolve(self, pending_events=())

    def __repr__(self) -> str:
        return (
            f"{type(self).__name__}(id={self.id!r}, customer_id={self.customer_id!r}, "
            f"score={self.score}, responded_at={self.responded_at.isoformat()!r})"
        )


@attrs.frozen(slots=True, kw_only=True, repr=False)
class CsatResponse(SurveyResponse):
    """A customer-satisfaction answer, 1 (very unsatisfied) to 5 (very satisfied)."""

    survey: ClassVar[SurveyKind] = SurveyKind.CSAT
    min_score: ClassVar[int] = 1
    max_score: ClassVar[int] = 5

    @property
    def satisfied(self) -> bool:
        """True for a 4 or a 5."""
        return self.score >= 4


@attrs.frozen(slots=True, kw_only=True, repr=False)
class NpsResponse(SurveyResponse):
    """A net-promoter answer, 0 to 10: how likely the customer is to recommend the business."""

    survey: ClassVar[SurveyKind] = SurveyKind.NPS
    min_score: ClassVar[int] = 0
    max_score: ClassVar[int] = 10

    @property
    def category(self) -> NpsCategory:
        """Promoter (9-10), passive (7-8) or detractor (0-6)."""
        return nps_category(self.score)

    @property
    def timeline_summary(self) -> str:
        """The score and category, without the comment."""
        return f"NPS {self.score}/10 ({self.category.value})"


@attrs.frozen(slots=True, kw_only=True, repr=False)
class CesResponse(SurveyResponse):
    """A customer-effort answer, 1 (strongly disagree it was easy) to 7 (strongly agree)."""

    survey: ClassVar[SurveyKind] = SurveyKind.CES
    min_score: ClassVar[int] = 1
    max_score: ClassVar[int] = 7


# -- aggregates --------------------------------------------------------------------------


def _scores(responses: Iterable[SurveyResponse | int], kind: type[SurveyResponse]) -> list[int]:
    if isinstance(responses, (str, bytes, dict)) or not isinstance(responses, Iterable):
        raise InvalidType(
            f"must be an iterable of responses or scores, not {type_name(responses)}",
            path="$.responses",
        )
    scores: list[int] = []
    what = _SCORE_NAMES[kind.survey]
    for index, item in enumerate(responses):
        path = f"$.responses[{index}]"
        if isinstance(item, SurveyResponse):
            if not isinstance(item, kind):
                raise InvalidType(
                    f"must be a {kind.__name__} or an int, not {type_name(item)}", path=path
                )
            scores.append(item.score)
        else:
            scores.append(_score(item, path, kind.min_score, kind.max_score, what))
    return scores


def csat_score(responses: Iterable[CsatResponse | int]) -> float | None:
    """The percentage of CSAT answers that are 4 or 5; ``None`` without answers.

    >>> csat_score([5, 4, 3, 1])
    50.0
    """
    scores = _scores(responses, CsatResponse)
    if not scores:
        return None
    return 100.0 * sum(1 for s in scores if s >= 4) / len(scores)


@attrs.frozen(slots=True)
class NpsBreakdown:
    """How many answers fall in each NPS category, and the resulting score."""

    promoters: int
    passives: int
    detractors: int

    @property
    def total(self) -> int:
        """All answers counted."""
        return self.promoters + self.passives + self.detractors

    @property
    def score(self) -> float | None:
        """Percentage of promoters minus percentage of detractors; ``None`` without answers."""
        if self.total == 0:
            return None
        return 100.0 * (self.promoters - self.detractors) / self.total


def nps_breakdown(responses: Iterable[NpsResponse | int]) -> NpsBreakdown:
    """Count promoters, passives and detractors.

    >>> nps_breakdown([10, 9, 7, 2])
    NpsBreakdown(promoters=2, passives=1, detractors=1)
    """
    scores = _scores(responses, NpsResponse)
    promoters = sum(1 for s in scores if s >= 9)
    passives = sum(1 for s in scores if 7 <= s <= 8)
    return NpsBreakdown(promoters, passives, len(scores) - promoters - passives)


def net_promoter_score(responses: Iterable[NpsResponse | int]) -> float | None:
    """Percentage of promoters minus percentage of detractors (-100 to 100); ``None`` if empty.

    >>> net_promoter_score([10, 10, 8, 5])
    25.0
    """
    return nps_breakdown(responses).score


def customer_effort_score(responses: Iterable[CesResponse | int]) -> float | None:
    """The mean CES answer (1 to 7, higher is easier); ``None`` without answers.

    >>> customer_effort_score([7, 6, 2])
    5.0
    """
    scores = _scores(responses, CesResponse)
    if not scores:
        return None
    return sum(scores) / len(scores)


# -- reviews -----------------------------------------------------------------------------


def _review_platform(value: object) -> str:
    return clean_text(value, "$.platform", max_length=MAX_PLATFORM, what="a platform").casefold()


def _review_rating(_: object, __: attrs.Attribute[Any], value: object) -> None:
    _score(value, "$.rating", 1, 5, "a rating")


def _review_text(value: object) -> str | None:
    if value is None:
        return None
    return clean_text(value, "$.text", max_length=MAX_COMMENT, allow_newlines=True, what="text")


def _review_author(value: object) -> str | None:
    if value is None:
        return None
    return clean_text(value, "$.author_name", max_length=MAX_AUTHOR, what="a name")


def _review_url(value: object) -> str | None:
    if value is None:
        return None
    text = clean_text(value, "$.url", max_length=MAX_URL, what="a URL")
    if _URL.fullmatch(text) is None:
        raise ValidationError("must be an http or https URL", path="$.url", code="url")
    return text


def _review_published_at(value: object) -> datetime:
    return aware("$.published_at")(value)


def _review_answered_at(value: object) -> datetime | None:
    return optional_aware("$.answered_at")(value)


@attrs.frozen(slots=True, kw_only=True, repr=False)
class Review:
    """A public review: a platform, a rating from 1 to 5, text, and who wrote it.

    ``customer_id`` is set when the reviewer is known to be a customer. The
    text, the author's display name and the URL may identify a person: the
    repr leaves them out. Record one with :meth:`receive`
    (:class:`ReviewReceived`) and the business's public reply with
    :meth:`answer` (:class:`ReviewAnswered`).

    >>> from datetime import datetime, timezone
    >>> review = Review.receive(
    ...     ReviewId("r-1"),
    ...     platform="Google",
    ...     rating=2,
    ...     at=datetime(2026, 4, 2, 8, 0, tzinfo=timezone.utc),
    ...     text="Waited 40 minutes and nobody apologised.",
    ...     author_name="Ana P.",
    ... )
    >>> review
    Review(id=ReviewId('r-1'), platform='google', rating=2, published_at='2026-04-02T08:00:00+00:00', answered=False)
    >>> review.is_negative()
    True
    """

    id: ReviewId = attrs.field(validator=typed_id(ReviewId, "$.id"))
    platform: str = attrs.field(converter=_review_platform)
    rating: int = attrs.field(validator=_review_rating)
    published_at: datetime = attrs.field(converter=_review_published_at)
    text: str | None = attrs.field(default=None, converter=_review_text)
    author_name: str | None = attrs.field(default=None, converter=_review_author)
    url: str | None = attrs.field(default=None, converter=_review_url)
    customer_id: CustomerId | None = attrs.field(
        default=None, validator=optional_typed_id(CustomerId, "$.customer_id")
    )
    answered_at: datetime | None = attrs.field(default=None, converter=_review_answered_at)
    version: int = attrs.field(default=0, validator=check_version)
    pending_events: tuple[DomainEvent, ...] = attrs.field(
        default=(), converter=pending_events, eq=False, hash=False
    )

    def __attrs_post_init__(self) -> None:
        if self.answered_at is not None and self.answered_at < self.published_at:
            raise ValidationError(
                "must not be before the review was published",
                path="$.answered_at",
                code="time_backwards",
            )

    @classmethod
    def receive(
        cls,
        review_id: ReviewId,
        *,
        platform: str,
        rating: int,
        at: datetime,
        text: str | None = None,
        author_name: str | None = None,
        url: str | None = None,
        customer_id: CustomerId | None = None,
    ) -> Review:
        """Record a review published at ``at``; records :class:`ReviewReceived`."""
        when = require_aware(at, "$.at")
        review = cls(
            id=review_id,
            platform=platform,
            rating=rating,
            published_at=when,
            text=text,
            author_name=author_name,
            url=url,
            customer_id=customer_id,
        )
        event = ReviewReceived(
            occurred_at=when,
            review_id=review.id,
            customer_id=review.customer_id,
            platform=review.platform,
            rating=review.rating,
        )
        return attrs.evolve(review, pending_events=(event,))

    def is_negative(self, *, at_most: int = NEGATIVE_AT_MOST) -> bool:
        """True if the rating is ``at_most`` or lower (2 by default)."""
        return self.rating <= _score(at_most, "$.at_most", 1, 4, "the negative threshold")

    @property
    def answered(self) -> bool:
        """True once the business has answered publicly."""
        return self.answered_at is not None

    def answer(self, *, at: datetime) -> Review:
        """Record that the business answered the review publicly; records :class:`ReviewAnswered`.

        Answering an answered review again changes nothing.

        Raises:
            ValidationError: ``at`` is naive or before the review was published.
        """
        when = require_aware(at, "$.at")
        if when < self.published_at:
            raise ValidationError(
                "must not be before the review was published", path="$.at", code="time_backwards"
            )
        if self.answered_at is not None:
            return self
        event = ReviewAnswered(occurred_at=when, review_id=self.id, customer_id=self.customer_id)
        return attrs.evolve(self, answered_at=when, pending_events=(*self.pending_events, event))

    @property
    def occurred_at(self) -> datetime:
        """When the review was published."""
        return self.published_at

    def timeline_facts(self) -> tuple[TimelineEntry, ...]:
        """The review on its customer's timeline (kind ``review``); none without a customer."""
        if self.customer_id is None:
            return ()
        facts = [
            TimelineEntry(
                at=self.published_at,
                kind="review",
                key=self.id.value,
                customer_id=self.customer_id,
                summary=f"{self.rating}-star review on {self.platform}",
            )
        ]
        if self.answered_at is not None:
            facts.append(
                TimelineEntry(
                    at=self.answered_at,
                    kind="review",
                    key=f"{self.id.value}/answer",
                    customer_id=self.customer_id,
                    summary=f"answered the review on {self.platform}",
                )
            )
        return tuple(facts)

    def without_pending_events(self) -> Review:
        """The same review with no pending events (what a repository stores)."""
        if not self.pending_events:
            return self
        return attrs.evolve(self, pending_events=())

    def __repr__(self) -> str:
        return (
            f"Review(id={self.id!r}, platform={self.platform!r}, rating={self.rating}, "
            f"published_at={self.published_at.isoformat()!r}, answered={self.answered})"
        )


# -- the response plan -------------------------------------------------------------------


class ResponseStep(StrEnum):
    """One move of the answer to a negative review, in the order they are made."""

    #: Address the reviewer by name and thank them for the review.
    ACKNOWLEDGE = "acknowledge"
    #: Say you regret the experience (no excuses, no "but").
    EXPRESS_REGRET = "express_regret"
    #: Restate the standard of service the customer should have had.
    RESTATE_STANDARD = "restate_standard"
    #: Offer the compensation.
    OFFER_COMPENSATION = "offer_compensation"
    #: Invite the customer to continue on a private channel.
    OFFER_OFFLINE_CONTACT = "offer_offline_contact"


class ResponseGuideline(StrEnum):
    """How the answer must be written."""

    #: Stay within the plan's word and sentence limits.
    KEEP_SHORT = "keep_short"
    #: Never blame the customer, staff by name, or circumstances.
    NO_BLAME = "no_blame"
    #: Do not argue facts or justify; acknowledge instead.
    NOT_DEFENSIVE = "not_defensive"
    #: Publish no order numbers, contact details of the customer or account data.
    NO_PERSONAL_DETAILS = "no_personal_details"
    #: Answer in public, where the review is, so other readers see the answer.
    ANSWER_PUBLICLY = "answer_publicly"


def _plan_text(value: object, path: str) -> str:
    return clean_text(value, path, max_length=MAX_PLAN_TEXT, what="text")


def _plan_address_as(value: object) -> str:
    return clean_text(value, "$.address_as", max_length=MAX_AUTHOR, what="a name")


def _plan_standard(value: object) -> str:
    return _plan_text(value, "$.service_standard")


def _plan_compensation(value: object) -> str | None:
    return None if value is None else _plan_text(value, "$.compensation")


def _plan_contact(_: object, __: attrs.Attribute[Any], value: object) -> None:
    if not isinstance(value, ContactPoint):
        raise InvalidType(
            f"must be a ContactPoint, not {type_name(value)}", path="$.offline_contact"
        )


def _plan_platform(value: object) -> str:
    return _review_platform(value)


def _plan_rating(_: object, __: attrs.Attribute[Any], value: object) -> None:
    _score(value, "$.rating", 1, 5, "a rating")


def _plan_steps(value: object) -> tuple[ResponseStep, ...]:
    if isinstance(value, (str, bytes)) or not isinstance(value, Iterable):
        raise InvalidType(f"must be a sequence of steps, not {type_name(value)}", path="$.steps")
    steps = []
    for index, item in enumerate(value):
        try:
            steps.append(ResponseStep(item))
        except ValueError:
            choices = ", ".join(s.value for s in ResponseStep)
            raise ValidationError(
                f"must be one of: {choices}", path=f"$.steps[{index}]", code="choice"
            ) from None
    return tuple(steps)


def _plan_guidelines(value: object) -> tuple[ResponseGuideline, ...]:
    if isinstance(value, (str, bytes)) or not isinstance(value, Iterable):
        raise InvalidType(
            f"must be a sequence of guidelines, not {type_name(value)}", path="$.guidelines"
        )
    found = []
    for index, item in enumerate(value):
        try:
            found.append(ResponseGuideline(item))
        except ValueError:
            choices = ", ".join(g.value for g in ResponseGuideline)
            raise ValidationError(
                f"must be one of: {choices}", path=f"$.guidelines[{index}]", code="choice"
            ) from None
    return tuple(found)


def _plan_limit(path: str, high: int) -> Any:
    def check(_: object, __: attrs.Attribute[Any], value: object) -> None:
        _score(value, path, 1, high, "a limit")

    return check


#: The moves of a plan for a negative review, in order.
PLAN_STEPS: Final = tuple(ResponseStep)
#: The guidelines every plan carries.
PLAN_GUIDELINES: Final = tuple(ResponseGuideline)


@attrs.frozen(slots=True, kw_only=True)
class ResponsePlan:
    """What the answer to a negative review must say, as data for the host's templates.

    Attributes:
        review_id, platform, rating: the review answered.
        steps: the moves of the answer, in order (``offer_compensation`` only
            when there is compensation to offer).
        address_as: the name to address the reviewer by (hidden from the repr).
        service_standard: the standard of service to restate.
        compensation: what to offer, or ``None``.
        offline_contact: the business's private channel to continue on.
        guidelines: how to write it (short, no blame, not defensive, ...).
        max_words, max_sentences: the length limits of the answer.
    """

    review_id: ReviewId = attrs.field(validator=typed_id(ReviewId, "$.review_id"))
    platform: str = attrs.field(converter=_plan_platform)
    rating: int = attrs.field(validator=_plan_rating)
    steps: tuple[ResponseStep, ...] = attrs.field(converter=_plan_steps)
    address_as: str = attrs.field(converter=_plan_address_as, repr=False)
    service_standard: str = attrs.field(converter=_plan_standard)
    compensation: str | None = attrs.field(converter=_plan_compensation)
    offline_contact: ContactPoint = attrs.field(validator=_plan_contact)
    guidelines: tuple[ResponseGuideline, ...] = attrs.field(
        default=PLAN_GUIDELINES, converter=_plan_guidelines
    )
    max_words: int = attrs.field(default=120, validator=_plan_limit("$.max_words", 1000))
    max_sentences: int = attrs.field(default=6, validator=_plan_limit("$.max_sentences", 50))


def _greeting(value: object) -> str:
    if isinstance(value, (PersonName, OrganizationName)):
        return value.greeting
    return clean_text(value, "$.customer_name", max_length=MAX_AUTHOR, what="a name")


def response_plan(
    review: Review,
    *,
    customer_name: str | PersonName | OrganizationName,
    service_standard: str,
    compensation: str | None,
    offline_contact: ContactPoint,
    negative_at_most: int = NEGATIVE_AT_MOST,
    max_words: int = 120,
    max_sentences: int = 6,
) -> ResponsePlan:
    """Plan the answer to a negative review, as the source documents recommend.

    Acknowledge the reviewer by name and thank them, express regret for the
    experience, restate the service standard, offer the compensation (when
    there is one) and an offline contact; keep it short, without blame and
    without defending yourself. The plan is data: render it with your own
    templates, in your own language.

    Args:
        review: the review to answer.
        customer_name: the name to address them by (a ``PersonName`` gives
            its greeting; a string is used as it is).
        service_standard: what the customer should have had, in a phrase
            (``"orders dispatched within 24 hours"``).
        compensation: what to offer (``"a 20% voucher"``), or ``None``.
        offline_contact: the business's channel to continue privately.
        negative_at_most: the highest rating that counts as negative (1 to 4).
        max_words: the most words the answer should have.
        max_sentences: the most sentences the answer should have.

    Raises:
        ValidationError: the review is not negative (``$.review.rating``,
            code ``not_negative``), or an argument breaks a rule.

    >>> from datetime import datetime, timezone
    >>> from crmcore.customers import ContactPoint, PersonName
    >>> review = Review.receive(
    ...     ReviewId("r-9"),
    ...     platform="tokopedia",
    ...     rating=1,
    ...     at=datetime(2026, 4, 2, 8, 0, tzinfo=timezone.utc),
    ... )
    >>> plan = response_plan(
    ...     review,
    ...     customer_name=PersonName("Ana", family="Putri"),
    ...     service_standard="orders dispatched within 24 hours",
    ...     compensation="free shipping on the next order",
    ...     offline_contact=ContactPoint("email", "care@shop.example"),
    ... )
    >>> [step.value for step in plan.steps]
    ['acknowledge', 'express_regret', 'restate_standard', 'offer_compensation', 'offer_offline_contact']
    >>> plan.address_as, plan.max_words
    ('Ana', 120)
    """
    if not isinstance(review, Review):
        raise InvalidType(f"must be a Review, not {type_name(review)}", path="$.review")
    threshold = _score(negative_at_most, "$.negative_at_most", 1, 4, "the negative threshold")
    if review.rating > threshold:
        raise ValidationError(
            f"a response plan is for negative reviews (rated {threshold} or lower)",
            path="$.review.rating",
            code="not_negative",
        )
    offer = None if compensation is None else _plan_text(compensation, "$.compensation")
    steps = tuple(
        step
        for step in PLAN_STEPS
        if offer is not None or step is not ResponseStep.OFFER_COMPENSATION
    )
    if not isinstance(offline_contact, ContactPoint):
        raise InvalidType(
            f"must be a ContactPoint, not {type_name(offline_contact)}", path="$.offline_contact"
        )
    return ResponsePlan(
        review_id=review.id,
        platform=review.platform,
        rating=review.rating,
        steps=steps,
        address_as=_greeting(customer_name),
        service_standard=_plan_text(service_standard, "$.service_standard"),
        compensation=offer,
        offline_contact=offline_contact,
        max_words=max_words,
        max_sentences=max_sentences,
    )
