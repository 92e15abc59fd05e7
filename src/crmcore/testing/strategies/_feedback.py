"""Strategies for feedback: reviews and survey responses."""

from __future__ import annotations

import functools
from collections.abc import Callable, Iterable
from datetime import datetime
from typing import Any, Final

from hypothesis import strategies as st

from crmcore._kernel._checks import (
    tuple_of,
)
from crmcore.commerce import (
    OrderId,
)
from crmcore.customers import (
    CustomerId,
)
from crmcore.feedback import (
    CesResponse,
    CsatResponse,
    FeedbackId,
    NpsResponse,
    Review,
    ReviewId,
    SurveyKind,
    SurveyResponse,
)
from crmcore.service import (
    CaseId,
)
from crmcore.testing.strategies._base import (
    _GIVEN_NAMES,
    _PLATFORMS,
    _STEP_OFFSETS,
    _as_drawn,
    _ascii_slugs,
    _concat,
    _customer_choices,
    _domains,
    _enum_choices,
    _ids_of,
    _int_arg,
    _later,
    _multiline_texts,
    _non_empty,
    _window,
)

# -- feedback -------------------------------------------------------------------------------


def reviews(
    *,
    customer_ids: Iterable[CustomerId] | None = None,
    ratings: Iterable[int] | None = None,
    min_created_at: datetime | None = None,
    max_created_at: datetime | None = None,
    pending_events: bool = True,
) -> st.SearchStrategy[Review]:
    """Valid public :class:`~crmcore.feedback.Review` aggregates, some already answered.

    Built by :meth:`Review.receive <crmcore.feedback.Review.receive>` on a
    platform, with optional text, author name, URL and customer (reviews of
    unknown authors have none), then sometimes :meth:`~crmcore.feedback.Review.answer`
    at the same time or later (times never go backwards).

    Args:
        customer_ids: the known reviewers; any id by default.
        ratings: the ratings to draw from (1 to 5); all by default.
        min_created_at: the earliest publication time (aware); 2000 by default.
        max_created_at: the latest publication time (aware); 2099 by default.
        pending_events: ``False`` to draw reviews as a repository stores them.

    Raises:
        InvalidType: an argument of the wrong type.
        ValidationError: a rating out of range, crossed bounds, an empty choice.
    """

    def rating(value: object, path: str) -> int:
        return _int_arg(value, path, minimum=1, maximum=5)

    rating_choices = (1, 2, 3, 4, 5) if ratings is None else tuple_of(ratings, "$.ratings", rating)
    built = _reviews(
        _customer_choices(customer_ids, "$.customer_ids"),
        _non_empty(rating_choices, "$.ratings"),
        _window(min_created_at, max_created_at),
    )
    return _as_drawn(built, pending_events)


@functools.cache
def _review_urls() -> st.SearchStrategy[str]:
    return st.builds(
        lambda domain, path: f"https://{domain}/reviews/{path}",
        _domains(),
        _ascii_slugs(20),
    )


@functools.cache
def _author_names() -> st.SearchStrategy[str]:
    initial = st.sampled_from(("", " P.", " S.", " W."))
    return st.builds(_concat, st.sampled_from(_GIVEN_NAMES), initial)


@st.composite
def _reviews(
    draw: st.DrawFn,
    customers: st.SearchStrategy[CustomerId],
    ratings: tuple[int, ...],
    times: st.SearchStrategy[datetime],
) -> Review:
    at = draw(times)
    review = Review.receive(
        draw(_ids_of(ReviewId)),
        platform=draw(st.sampled_from(_PLATFORMS) | _ascii_slugs(20)),
        rating=draw(st.sampled_from(ratings)),
        at=at,
        text=draw(st.none() | _multiline_texts()),
        author_name=draw(st.none() | _author_names()),
        url=draw(st.none() | _review_urls()),
        customer_id=draw(st.none() | customers),
    )
    if draw(st.booleans()):
        review = review.answer(at=_later(at, draw(_STEP_OFFSETS)))
    return review


_SURVEY_CLASSES: Final[dict[SurveyKind, type[CsatResponse | NpsResponse | CesResponse]]] = {
    SurveyKind.CSAT: CsatResponse,
    SurveyKind.NPS: NpsResponse,
    SurveyKind.CES: CesResponse,
}


def survey_responses(
    *,
    kinds: Iterable[SurveyKind | str] | None = None,
    customer_ids: Iterable[CustomerId] | None = None,
    min_created_at: datetime | None = None,
    max_created_at: datetime | None = None,
    pending_events: bool = True,
) -> st.SearchStrategy[SurveyResponse]:
    """Valid survey answers of every kind: CSAT (1-5), NPS (0-10) and CES (1-7).

    Answers are :class:`~crmcore.feedback.CsatResponse`,
    :class:`~crmcore.feedback.NpsResponse` or :class:`~crmcore.feedback.CesResponse`
    values. Each is recorded with its class's ``record`` (so ``pending_events`` holds
    its :class:`~crmcore.feedback.SurveyAnswered`), with an optional case,
    order and comment.

    Args:
        kinds: ``"csat"``, ``"nps"`` and/or ``"ces"``; all by default.
        customer_ids: the customers answering; any id by default.
        min_created_at: the earliest answer time (aware); 2000 by default.
        max_created_at: the latest answer time (aware); 2099 by default.
        pending_events: ``False`` to draw answers as a repository stores them.

    Raises:
        InvalidType: an argument of the wrong type.
        ValidationError: an unknown or empty choice, or crossed bounds.
    """
    kind_choices = _enum_choices(kinds, "$.kinds", SurveyKind)
    built = _survey_responses(
        kind_choices,
        _customer_choices(customer_ids, "$.customer_ids"),
        _window(min_created_at, max_created_at),
    )
    return _as_drawn(built, pending_events)


@st.composite
def _survey_responses(
    draw: st.DrawFn,
    kinds: tuple[SurveyKind, ...],
    customers: st.SearchStrategy[CustomerId],
    times: st.SearchStrategy[datetime],
) -> SurveyResponse:
    cls = _SURVEY_CLASSES[draw(st.sampled_from(kinds))]
    return cls.record(
        draw(_ids_of(FeedbackId)),
        customer_id=draw(customers),
        score=draw(st.integers(min_value=cls.min_score, max_value=cls.max_score)),
        at=draw(times),
        case_id=draw(st.none() | _ids_of(CaseId)),
        order_id=draw(st.none() | _ids_of(OrderId)),
        comment=draw(st.none() | _multiline_texts()),
    )


#: Event fields these strategies constrain beyond their declared type, by event class name.
EVENT_FIELDS: Final[dict[str, dict[str, Callable[[], st.SearchStrategy[Any]]]]] = {
    "ReviewReceived": {"rating": lambda: st.integers(min_value=1, max_value=5)},
    # A score on every survey's scale (CSAT 1-5, NPS 0-10, CES 1-7), whichever ``survey`` is drawn.
    "SurveyAnswered": {"score": lambda: st.integers(min_value=1, max_value=5)},
}
