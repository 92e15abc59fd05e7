"""Feedback: CSAT, NPS and CES surveys, public reviews, and response plans for negative reviews.

Survey answers (:class:`CsatResponse`, :class:`NpsResponse`, :class:`CesResponse`)
and reviews (:class:`Review`) are aggregates on the crmcore kernel: their
``created_at`` is when the customer answered or the review was published, and
their events (:class:`SurveyAnswered`, :class:`ReviewReceived`,
:class:`ReviewAnswered`) carry the common envelope and no free text.
"""

from crmcore._kernel._ids import FeedbackId, ReviewId
from crmcore.feedback._responses import (
    ResponseGuideline,
    ResponsePlan,
    ResponseStep,
    response_plan,
)
from crmcore.feedback._reviews import (
    Review,
    ReviewAnonymised,
    ReviewAnswered,
    ReviewCustomerRepointed,
    ReviewEvent,
    ReviewReceived,
    normalize_platform,
)
from crmcore.feedback._surveys import (
    CesResponse,
    CsatResponse,
    NpsBreakdown,
    NpsCategory,
    NpsResponse,
    SurveyAnswered,
    SurveyCustomerRepointed,
    SurveyEvent,
    SurveyKind,
    SurveyResponse,
    SurveyResponseAnonymised,
    csat_score,
    customer_effort_score,
    net_promoter_score,
    nps_breakdown,
    nps_category,
)

__all__ = [
    "CesResponse",
    "CsatResponse",
    "FeedbackId",
    "NpsBreakdown",
    "NpsCategory",
    "NpsResponse",
    "ResponseGuideline",
    "ResponsePlan",
    "ResponseStep",
    "Review",
    "ReviewAnonymised",
    "ReviewAnswered",
    "ReviewCustomerRepointed",
    "ReviewEvent",
    "ReviewId",
    "ReviewReceived",
    "SurveyAnswered",
    "SurveyCustomerRepointed",
    "SurveyEvent",
    "SurveyKind",
    "SurveyResponse",
    "SurveyResponseAnonymised",
    "csat_score",
    "customer_effort_score",
    "net_promoter_score",
    "normalize_platform",
    "nps_breakdown",
    "nps_category",
    "response_plan",
]
