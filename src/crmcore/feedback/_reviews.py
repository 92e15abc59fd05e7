"""Public reviews: a rating and text on a platform, and the business's public answer.

A :class:`Review` is a rating (1 to 5) and text on a public platform (Google,
a marketplace, ...). Receiving one records :class:`ReviewReceived`; posting the
business's public answer records :class:`ReviewAnswered`. The text, the
author's display name and the URL may identify a person: they stay in the
review, out of its repr and out of its events.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from datetime import datetime
from typing import Any, Final, Unpack

import attrs

from crmcore._kernel._aggregate import RepointsCustomer, optional_typed_id
from crmcore._kernel._checks import clean_text, error_path, optional_aware
from crmcore._kernel._events import DomainEvent, EventMeta
from crmcore._kernel._ids import CustomerId, ReviewId
from crmcore._kernel._personal import HoldsPersonalData, PersonalDataErasedEvent
from crmcore._kernel._repoint import CustomerRepointedEvent
from crmcore._kernel._timeline import TimelineEntry
from crmcore.errors import ValidationError
from crmcore.feedback._surveys import check_score

#: Longest review text, in characters.
MAX_TEXT: Final = 10_000
#: Longest platform name, in characters.
MAX_PLATFORM: Final = 64
#: Longest review URL, in characters.
MAX_URL: Final = 2048
#: Longest reviewer display name, in characters.
MAX_AUTHOR: Final = 200
#: Reviews rated this or lower are negative unless the caller says otherwise.
NEGATIVE_AT_MOST: Final = 2

_URL: Final = re.compile(r"https?://[^\s/$.?#][^\s]*", re.IGNORECASE)


def normalize_platform(value: object, path: str = "$.platform") -> str:
    """A platform name as reviews keep it: checked text, case-folded."""
    return clean_text(
        value, error_path(path), max_length=MAX_PLATFORM, what="a platform"
    ).casefold()


# -- events ------------------------------------------------------------------------------


@attrs.frozen(slots=True, kw_only=True)
class ReviewEvent(DomainEvent, aggregate="review"):
    """Base of the events recorded by a :class:`Review`.

    ``customer_id`` is ``None`` when the reviewer is not known to be a customer.
    """

    review_id: ReviewId
    customer_id: CustomerId | None


@attrs.frozen(slots=True, kw_only=True)
class ReviewReceived(ReviewEvent):
    """A public review was recorded: its rating (the platform, text, author and URL stay in the review)."""

    rating: int

    def _check(self) -> None:
        check_score(self.rating, "$.rating", 1, 5, "a rating")


@attrs.frozen(slots=True, kw_only=True)
class ReviewAnswered(ReviewEvent):
    """The business posted its public answer to a review."""


@attrs.frozen(slots=True, kw_only=True)
class ReviewCustomerRepointed(CustomerRepointedEvent, ReviewEvent):
    """The review names ``customer_id``, the customer ``previous`` was merged into.

    ``fields`` names the fields that named ``previous``.
    """

    previous: CustomerId
    fields: tuple[str, ...]


@attrs.frozen(slots=True, kw_only=True)
class ReviewAnonymised(PersonalDataErasedEvent, ReviewEvent):
    """The review's personal fields (``fields``: text, author name, URL) were erased."""

    fields: tuple[str, ...]


# -- the aggregate -----------------------------------------------------------------------


def _review_platform(value: object) -> str:
    return normalize_platform(value)


def _review_rating(_: object, __: attrs.Attribute[Any], value: object) -> None:
    check_score(value, "$.rating", 1, 5, "a rating")


def _review_text(value: object) -> str | None:
    if value is None:
        return None
    return clean_text(value, "$.text", max_length=MAX_TEXT, allow_newlines=True, what="text")


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


def _review_answered_at(value: object) -> datetime | None:
    return optional_aware("$.answered_at")(value)


@attrs.frozen(slots=True, kw_only=True, repr=False)
class Review(
    RepointsCustomer[ReviewId],
    HoldsPersonalData[ReviewId],
    kind="review",
    v1_renames={"published_at": "created_at"},
):
    """A public review: a platform, a rating from 1 to 5, text, and who wrote it.

    ``customer_id`` is set when the reviewer is known to be a customer. The
    text, the author's display name and the URL may identify a person: the
    repr and the events leave them out. Record one with :meth:`receive`
    (:class:`ReviewReceived`) and the business's public reply with
    :meth:`answer` (:class:`ReviewAnswered`). :meth:`anonymise` erases the
    text, the author's name and the URL (:class:`ReviewAnonymised`); the
    platform, the rating, the times and the link to the customer stay.

    Like every crmcore aggregate it is immutable. ``created_at`` is when the
    review was published (also readable as :attr:`published_at`); a command
    dated before the review's last change (:attr:`updated_at`) is refused with
    code ``time_backwards``. Every command also takes the envelope keywords
    ``actor``, ``correlation_id`` and ``causation_id`` (see :mod:`crmcore.events`).

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
    >>> [(e.event_id, e.type, e.rating) for e in review.pending_events]
    [('review:r-1#1', 'ReviewReceived', 2)]
    """

    _repointed_by = ReviewCustomerRepointed
    _customer_fields = ("customer_id",)
    _anonymised_by = ReviewAnonymised
    personal_fields = ("text", "author_name", "url")

    platform: str = attrs.field(converter=_review_platform)
    rating: int = attrs.field(validator=_review_rating)
    text: str | None = attrs.field(default=None, converter=_review_text)
    author_name: str | None = attrs.field(default=None, converter=_review_author)
    url: str | None = attrs.field(default=None, converter=_review_url)
    customer_id: CustomerId | None = attrs.field(
        default=None, validator=optional_typed_id(CustomerId, "$.customer_id")
    )
    answered_at: datetime | None = attrs.field(default=None, converter=_review_answered_at)

    def _check(self) -> None:
        if self.answered_at is not None and self.answered_at < self.created_at:
            raise ValidationError(
                "must not be before the review was published",
                path="$.answered_at",
                code="time_backwards",
            )

    def _recorded_times(self) -> Iterable[datetime]:
        if self.answered_at is not None:
            yield self.answered_at

    def _event_fields(self) -> Mapping[str, object]:
        return {"review_id": self.id, "customer_id": self.customer_id}

    def _tombstones(self, fields: frozenset[str]) -> dict[str, Any]:
        return dict.fromkeys(fields)  # text, author name and URL are optional

    # -- construction ---------------------------------------------------------------------

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
        **meta: Unpack[EventMeta],
    ) -> Review:
        """Record a review published at ``at``; records :class:`ReviewReceived`.

        ``at`` becomes the review's ``created_at`` (:attr:`published_at`).

        Raises:
            ValidationError: an argument breaks a rule; the path names it.
        """
        command = cls._begin_new(at, meta)
        return cls._create(
            command,
            lambda review: ReviewReceived.draft(rating=review.rating),
            id=review_id,
            platform=platform,
            rating=rating,
            text=text,
            author_name=author_name,
            url=url,
            customer_id=customer_id,
        )

    # -- queries --------------------------------------------------------------------------

    @property
    def published_at(self) -> datetime:
        """When the review was published: the review's ``created_at`` (read-only)."""
        return self.created_at

    @property
    def occurred_at(self) -> datetime:
        """When the review was published: the review's ``created_at`` (read-only)."""
        return self.created_at

    def is_negative(self, *, at_most: int = NEGATIVE_AT_MOST) -> bool:
        """True if the rating is ``at_most`` or lower (2 by default)."""
        return self.rating <= check_score(at_most, "$.at_most", 1, 4, "the negative threshold")

    @property
    def answered(self) -> bool:
        """True once the business has answered publicly."""
        return self.answered_at is not None

    # -- commands -------------------------------------------------------------------------

    def answer(self, *, at: datetime, **meta: Unpack[EventMeta]) -> Review:
        """Record that the business answered the review publicly; records :class:`ReviewAnswered`.

        Answering an answered review again changes nothing.

        Raises:
            ValidationError: ``at`` is naive or before the review's last change
                (``$.at``, code ``time_backwards``).
        """
        command = self._begin(at, meta)
        if self.answered_at is not None:
            return self
        return self._record(command, ReviewAnswered.draft(), answered_at=command.at)

    # -- timeline -------------------------------------------------------------------------

    def timeline_facts(self) -> tuple[TimelineEntry, ...]:
        """The review on its customer's timeline (kind ``review``); none without a customer."""
        if self.customer_id is None:
            return ()
        facts = [
            self._fact(
                self.created_at,
                "review",
                self.id.value,
                f"{self.rating}-star review on {self.platform}",
            )
        ]
        if self.answered_at is not None:
            facts.append(
                self._fact(
                    self.answered_at,
                    "review",
                    f"{self.id.value}/answer",
                    f"answered the review on {self.platform}",
                )
            )
        return tuple(facts)

    def __repr__(self) -> str:
        return (
            f"Review(id={self.id!r}, platform={self.platform!r}, rating={self.rating}, "
            f"published_at={self.created_at.isoformat()!r}, answered={self.answered})"
        )
