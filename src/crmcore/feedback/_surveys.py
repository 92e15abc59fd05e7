"""Survey answers (CSAT, NPS, CES) and the scores of many answers.

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

from collections.abc import Iterable, Mapping
from datetime import datetime
from enum import StrEnum
from typing import Any, ClassVar, Final, Self, Unpack

import attrs

from crmcore._kernel._aggregate import RepointsCustomer, optional_typed_id, typed_id
from crmcore._kernel._checks import clean_text, type_name
from crmcore._kernel._events import DomainEvent, EventMeta
from crmcore._kernel._fields import Checked
from crmcore._kernel._ids import CaseId, CustomerId, FeedbackId, OrderId
from crmcore._kernel._personal import HoldsPersonalData, PersonalDataErasedEvent
from crmcore._kernel._repoint import CustomerRepointedEvent
from crmcore.errors import InvalidType, ValidationError

#: Longest survey comment, in characters.
MAX_COMMENT: Final = 10_000


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


#: The lowest and highest score of each survey.
_SCALES: Final = {SurveyKind.CSAT: (1, 5), SurveyKind.NPS: (0, 10), SurveyKind.CES: (1, 7)}


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
    checked = check_score(score, "$.score", 0, 10, "an NPS score")
    if checked >= 9:
        return NpsCategory.PROMOTER
    if checked >= 7:
        return NpsCategory.PASSIVE
    return NpsCategory.DETRACTOR


def check_score(value: object, path: str, low: int, high: int, what: str) -> int:
    """Return ``value`` if it is an int from ``low`` to ``high``; raise otherwise."""
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


# -- events ------------------------------------------------------------------------------


@attrs.frozen(slots=True, kw_only=True)
class SurveyEvent(DomainEvent, aggregate="survey_response", id_field="response_id"):
    """Base of the events recorded by a :class:`SurveyResponse` (of any survey)."""

    response_id: FeedbackId
    customer_id: CustomerId


@attrs.frozen(slots=True, kw_only=True)
class SurveyAnswered(SurveyEvent):
    """A customer answered a CSAT, NPS or CES survey (the comment stays in the record)."""

    survey: SurveyKind
    score: int
    case_id: CaseId | None = None
    order_id: OrderId | None = None

    def _check(self) -> None:
        low, high = _SCALES[self.survey]
        check_score(self.score, "$.score", low, high, _SCORE_NAMES[self.survey])


@attrs.frozen(slots=True, kw_only=True)
class SurveyCustomerRepointed(CustomerRepointedEvent, SurveyEvent):
    """The survey response names ``customer_id``, the customer ``previous`` was merged into.

    ``fields`` names the fields that named ``previous``.
    """

    previous: CustomerId
    fields: tuple[str, ...]


@attrs.frozen(slots=True, kw_only=True)
class SurveyResponseAnonymised(PersonalDataErasedEvent, SurveyEvent):
    """The survey response's personal fields (``fields``: the comment) were erased."""

    fields: tuple[str, ...]


# -- survey responses --------------------------------------------------------------------


@attrs.frozen(slots=True, kw_only=True, repr=False)
class SurveyResponse(
    RepointsCustomer[FeedbackId],
    HoldsPersonalData[FeedbackId],
    kind="survey_response",
    v1_renames={"responded_at": "created_at"},
):
    """Base of the survey responses: one customer's score at one time.

    Use the concrete classes (:class:`CsatResponse`, :class:`NpsResponse`,
    :class:`CesResponse`) and their :meth:`record`, which records
    :class:`SurveyAnswered`. The three share one aggregate kind,
    ``"survey_response"``, and one id space (:class:`~crmcore.feedback.FeedbackId`);
    the event's ``survey`` tells them apart. ``created_at`` is when the
    customer answered (also readable as :attr:`responded_at` and
    :attr:`occurred_at`). A response has no commands after it is recorded.

    The comment is free text that may hold personal data: the repr leaves it
    out and :meth:`anonymise` erases it (the score and links stay). A
    response is also a timeline fact (kind ``csat``, ``nps`` or ``ces``).
    """

    _repointed_by = SurveyCustomerRepointed
    _customer_fields = ("customer_id",)
    _anonymised_by = SurveyResponseAnonymised
    personal_fields = ("comment",)

    survey: ClassVar[SurveyKind]
    #: The lowest and highest score of the survey's scale (set from ``survey``).
    min_score: ClassVar[int]
    max_score: ClassVar[int]

    customer_id: CustomerId = attrs.field(validator=typed_id(CustomerId, "$.customer_id"))
    score: int
    case_id: CaseId | None = attrs.field(
        default=None, validator=optional_typed_id(CaseId, "$.case_id")
    )
    order_id: OrderId | None = attrs.field(
        default=None, validator=optional_typed_id(OrderId, "$.order_id")
    )
    comment: str | None = attrs.field(default=None, converter=_comment)

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        if "survey" in cls.__dict__:
            cls.min_score, cls.max_score = _SCALES[cls.survey]

    def _check(self) -> None:
        if not hasattr(type(self), "survey"):
            raise InvalidType(
                "use CsatResponse, NpsResponse or CesResponse", path="$", code="abstract"
            )
        check_score(
            self.score, "$.score", self.min_score, self.max_score, _SCORE_NAMES[self.survey]
        )

    def _event_fields(self) -> Mapping[str, object]:
        return {"response_id": self.id, "customer_id": self.customer_id}

    def _tombstones(self, fields: frozenset[str]) -> dict[str, Any]:
        return dict.fromkeys(fields)  # the comment is optional text

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
        **meta: Unpack[EventMeta],
    ) -> Self:
        """Record an answer given at ``at``; records :class:`SurveyAnswered`.

        ``at`` becomes the response's ``created_at`` (:attr:`responded_at`).

        Raises:
            ValidationError: the score is out of range (``$.score``), ``at`` is
                naive, or another argument breaks a rule.
        """
        command = cls._begin_new(at, meta)
        return cls._create(
            command,
            lambda response: SurveyAnswered.draft(
                survey=response.survey,
                score=response.score,
                case_id=response.case_id,
                order_id=response.order_id,
            ),
            id=response_id,
            customer_id=customer_id,
            score=score,
            case_id=case_id,
            order_id=order_id,
            comment=comment,
        )

    @property
    def responded_at(self) -> datetime:
        """When the customer answered: the response's ``created_at`` (read-only)."""
        return self.created_at

    @property
    def occurred_at(self) -> datetime:
        """When the customer answered: the response's ``created_at`` (read-only)."""
        return self.created_at

    @property
    def timeline_at(self) -> datetime:
        """When the customer answered (the timeline protocol)."""
        return self.created_at

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

    def __repr__(self) -> str:
        return (
            f"{type(self).__name__}(id={self.id!r}, customer_id={self.customer_id!r}, "
            f"score={self.score}, responded_at={self.created_at.isoformat()!r})"
        )


@attrs.frozen(slots=True, kw_only=True, repr=False)
class CsatResponse(SurveyResponse):
    """A customer-satisfaction answer, 1 (very unsatisfied) to 5 (very satisfied)."""

    survey: ClassVar[SurveyKind] = SurveyKind.CSAT

    @property
    def satisfied(self) -> bool:
        """True for a 4 or a 5."""
        return self.score >= 4


@attrs.frozen(slots=True, kw_only=True, repr=False)
class NpsResponse(SurveyResponse):
    """A net-promoter answer, 0 to 10: how likely the customer is to recommend the business."""

    survey: ClassVar[SurveyKind] = SurveyKind.NPS

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


# -- scores of many answers --------------------------------------------------------------


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
            scores.append(check_score(item, path, kind.min_score, kind.max_score, what))
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
class NpsBreakdown(Checked):
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
