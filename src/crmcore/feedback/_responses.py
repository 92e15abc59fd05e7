"""How to answer a negative review, as data: :func:`response_plan` and :class:`ResponsePlan`.

The source documents say to answer every negative review: do not deflect;
address the reviewer by name and thank them, regret the experience, restate
the service standard, offer compensation and an offline contact; keep it
short, never defensive. :func:`response_plan` returns exactly that as data
(:class:`ResponsePlan`): the host application renders it with its own
templates and language.
"""

from __future__ import annotations

from enum import StrEnum
from typing import Any, Final

import attrs

from crmcore._kernel._aggregate import typed_id
from crmcore._kernel._checks import clean_text, enum_converter, tuple_of, type_name
from crmcore._kernel._ids import ReviewId
from crmcore.customers import ContactPoint, OrganizationName, PersonName
from crmcore.errors import InvalidType, ValidationError
from crmcore.feedback._reviews import MAX_AUTHOR, NEGATIVE_AT_MOST, Review, normalize_platform
from crmcore.feedback._surveys import check_score

#: Longest service standard or compensation offer in a response plan, in characters.
MAX_PLAN_TEXT: Final = 500


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
    return normalize_platform(value)


def _plan_rating(_: object, __: attrs.Attribute[Any], value: object) -> None:
    check_score(value, "$.rating", 1, 5, "a rating")


def _plan_steps(value: object) -> tuple[ResponseStep, ...]:
    return tuple_of(
        value,
        "$.steps",
        lambda item, path: enum_converter(ResponseStep, path)(item),
        max_items=len(ResponseStep),
    )


def _plan_guidelines(value: object) -> tuple[ResponseGuideline, ...]:
    return tuple_of(
        value,
        "$.guidelines",
        lambda item, path: enum_converter(ResponseGuideline, path)(item),
        max_items=len(ResponseGuideline),
    )


def _plan_limit(path: str, high: int) -> Any:
    def check(_: object, __: attrs.Attribute[Any], value: object) -> None:
        check_score(value, path, 1, high, "a limit")

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
    threshold = check_score(negative_at_most, "$.negative_at_most", 1, 4, "the negative threshold")
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
