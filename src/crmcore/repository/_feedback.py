"""The review and survey response repositories and the registrations of their aggregates."""

from __future__ import annotations

from typing import Final

from crmcore.commerce import OrderId
from crmcore.customers import CustomerId
from crmcore.feedback import (
    CesResponse,
    CsatResponse,
    FeedbackId,
    NpsResponse,
    Review,
    ReviewId,
    SurveyKind,
    SurveyResponse,
    normalize_platform,
)
from crmcore.repository._lookups import by_customer, choice_argument, id_argument, optional_id
from crmcore.repository._ports import ReviewRepository, SurveyRepository
from crmcore.repository._store import AggregateSpec, StoreRepository
from crmcore.service import CaseId


def _review_platform(review: Review) -> tuple[str, ...]:
    return (review.platform,)


class StoreReviewRepository(StoreRepository[Review], ReviewRepository):
    """The review repository of :class:`~crmcore.repository.StoreUnitOfWork`.

    .. versionadded:: 0.1
    """

    def for_customer(self, customer_id: CustomerId) -> list[Review]:
        """The reviews of one customer (see :class:`ReviewRepository`)."""
        self._unit.view()
        return self.find_by_index("customer", id_argument(customer_id, CustomerId, "$.customer_id"))

    def on_platform(self, platform: str) -> list[Review]:
        """The reviews on one platform (see :class:`ReviewRepository`)."""
        self._unit.view()
        # Normalized exactly as Review normalizes its platform.
        return self.find_by_index("platform", normalize_platform(platform))


def _survey_case(response: SurveyResponse) -> tuple[str, ...]:
    return optional_id(response.case_id)


def _survey_order(response: SurveyResponse) -> tuple[str, ...]:
    return optional_id(response.order_id)


def _survey_kind(response: SurveyResponse) -> tuple[str, ...]:
    return (response.survey.value,)


class StoreSurveyRepository(StoreRepository[SurveyResponse], SurveyRepository):
    """The survey response repository of :class:`~crmcore.repository.StoreUnitOfWork`.

    .. versionadded:: 0.1
    """

    def for_customer(self, customer_id: CustomerId) -> list[SurveyResponse]:
        """The answers of one customer (see :class:`SurveyRepository`)."""
        self._unit.view()
        return self.find_by_index("customer", id_argument(customer_id, CustomerId, "$.customer_id"))

    def for_case(self, case_id: CaseId) -> list[SurveyResponse]:
        """The answers about one case (see :class:`SurveyRepository`)."""
        self._unit.view()
        return self.find_by_index("case", id_argument(case_id, CaseId, "$.case_id"))

    def for_order(self, order_id: OrderId) -> list[SurveyResponse]:
        """The answers about one order (see :class:`SurveyRepository`)."""
        self._unit.view()
        return self.find_by_index("order", id_argument(order_id, OrderId, "$.order_id"))

    def of_survey(self, survey: SurveyKind | str) -> list[SurveyResponse]:
        """The answers to one survey (see :class:`SurveyRepository`)."""
        self._unit.view()
        return self.find_by_index("survey", choice_argument(survey, SurveyKind, "$.survey"))


#: The registration of the :class:`~crmcore.feedback.Review` aggregate.
REVIEWS: Final[AggregateSpec[Review]] = AggregateSpec(
    name="reviews",
    kind="review",
    aggregate_type=Review,
    id_type=ReviewId,
    indexes={"customer": by_customer, "platform": _review_platform},
    repository_type=StoreReviewRepository,
    references={"customer_id": "customers"},
)

#: The registration of the survey responses: CSAT, NPS and CES answers in one
#: repository and one id space, told apart by their class.
SURVEYS: Final[AggregateSpec[SurveyResponse]] = AggregateSpec(
    name="surveys",
    kind="survey response",
    aggregate_type=SurveyResponse,
    id_type=FeedbackId,
    indexes={
        "customer": by_customer,
        "case": _survey_case,
        "order": _survey_order,
        "survey": _survey_kind,
    },
    repository_type=StoreSurveyRepository,
    references={"customer_id": "customers"},
    variants=(CsatResponse, NpsResponse, CesResponse),
)
