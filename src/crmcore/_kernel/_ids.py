"""Typed identifiers and the id sources that produce them.

crmcore never invents ids by itself: the caller either supplies one or passes
an id source (any zero-argument callable returning a str). Two deterministic
sources ship with the library; ``lambda: str(uuid.uuid4())`` works too.
"""

from __future__ import annotations

import random
import re
import uuid
from collections.abc import Callable, Hashable
from decimal import Decimal
from types import EllipsisType
from typing import Final, Self

import attrs

from crmcore._kernel._checks import type_name
from crmcore.errors import InvalidType, ValidationError

#: Anything that returns a fresh identifier string each time it is called.
IdSource = Callable[[], str]

#: Identifier text: a letter or digit, then letters, digits and ``._:+=/-``. No ``@``: an id
#: that looks like an email address would copy personal data into every event and log.
_ID_PATTERN = re.compile(r"[A-Za-z0-9][A-Za-z0-9._:+=/-]*")
MAX_ID_LENGTH = 128
#: The largest first number of a :class:`SequentialIdSource`.
MAX_START = 2**63 - 1


def id_text(value: object, path: str = "$.value") -> str:
    """Return ``value`` if it is valid identifier text (an :class:`Identifier` gives its text)."""
    if isinstance(value, Identifier):
        return value.value
    if not isinstance(value, str):
        raise InvalidType(f"must be an identifier str, not {type_name(value)}", path=path)
    if not 1 <= len(value) <= MAX_ID_LENGTH:
        raise ValidationError(
            f"must be 1 to {MAX_ID_LENGTH} characters", path=path, code="id_length"
        )
    if _ID_PATTERN.fullmatch(value) is None:
        raise ValidationError(
            "must start with a letter or digit and use only letters, digits and ._:+=/- "
            "(no spaces or at signs: an id must not be an email address)",
            path=path,
            code="id_format",
        )
    return value


#: Types that are never ids: a number other than an int cannot be found again reliably.
_NOT_IDS: Final = (bool, float, complex, Decimal)


def require_id(value: object, path: str) -> Hashable:
    """A customer (or other) id: anything hashable except ``None``, bools and non-integral numbers.

    Strings, ints, :class:`~crmcore.Identifier` objects, UUIDs and tuples of
    them are ids; a float, a Decimal (NaN is never equal to itself) or a value
    that cannot be hashed (a list, a signalling NaN) is not.

    >>> require_id("c-1", "$.customer_id")
    'c-1'
    >>> require_id(1.5, "$.customer_id")
    Traceback (most recent call last):
    ...
    crmcore.errors.InvalidType: $.customer_id: must be an id (a str, an int or another hashable value), not float
    """
    rule = "must be an id (a str, an int or another hashable value)"
    if value is None or isinstance(value, _NOT_IDS):
        raise InvalidType(f"{rule}, not {type_name(value)}", path=path)
    try:
        hash(value)
    except TypeError:
        raise InvalidType(f"{rule}, not {type_name(value)}", path=path) from None
    return value


def _check_id(value: object) -> str:
    if type(value) is str and len(value) <= MAX_ID_LENGTH and _ID_PATTERN.fullmatch(value):
        return value  # valid identifier text (the pattern needs at least one character)
    if type(value) is not str:
        raise InvalidType(f"must be an identifier str, not {type_name(value)}", path="$.value")
    return id_text(value)


@attrs.frozen(slots=True, repr=False, order=True)
class Identifier:
    """Base of the typed identifiers: a validated string.

    Identifiers of different kinds never compare equal, even with the same text.

    >>> CustomerId("c-001")
    CustomerId('c-001')
    >>> str(CustomerId("c-001"))
    'c-001'
    >>> CustomerId.new(SequentialIdSource("c-"))
    CustomerId('c-000001')
    """

    value: str = attrs.field(converter=_check_id)

    @classmethod
    def new(cls, source: IdSource) -> Self:
        """A new identifier drawn from ``source``."""
        if not callable(source):
            raise InvalidType(
                f"must be a callable id source, not {type_name(source)}", path="$.source"
            )
        return cls(source())

    def __str__(self) -> str:
        return self.value

    def __repr__(self) -> str:
        return f"{type(self).__name__}({self.value!r})"


class CustomerId(Identifier):
    """Identifies a :class:`~crmcore.Customer`."""

    __slots__ = ()


def _is_int(value: object) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


class SequentialIdSource:
    """Produces ``prefix`` followed by a zero-padded counter: ``c-000001``, ``c-000002``, ...

    The counter lives in this object, which the caller owns; nothing is global.

    >>> ids = SequentialIdSource("order-", start=41, width=3)
    >>> ids(), ids()
    ('order-041', 'order-042')
    """

    def __init__(self, prefix: str = "", *, start: int = 1, width: int = 6) -> None:
        if not _is_int(start) or not 0 <= start <= MAX_START:
            raise ValidationError(
                "must be an int from 0 to 2**63 - 1", path="$.start", code="start"
            )
        if not _is_int(width) or not 1 <= width <= 32:
            raise ValidationError("must be an int from 1 to 32", path="$.width", code="width")
        if not isinstance(prefix, str):
            raise InvalidType(f"must be a str, not {type_name(prefix)}", path="$.prefix")
        if prefix:
            # Every id made must be valid: the prefix starts one, and leaves room for the counter.
            id_text(prefix, "$.prefix")
            if len(prefix) + max(width, len(str(start))) > MAX_ID_LENGTH:
                raise ValidationError(
                    f"must leave room for the counter within {MAX_ID_LENGTH} characters",
                    path="$.prefix",
                    code="id_length",
                )
        self._prefix = prefix
        self._next = start
        self._width = width

    def __call__(self) -> str:
        value = f"{self._prefix}{self._next:0{self._width}d}"
        self._next += 1
        return value

    def __repr__(self) -> str:
        return f"SequentialIdSource({self._prefix!r}, next={self._next})"


class SeededIdSource:
    """Produces version-4-shaped UUID strings from a seeded generator.

    The same seed always gives the same sequence, which makes demos and tests
    reproducible; for production ids pass ``lambda: str(uuid.uuid4())`` instead.

    >>> a, b = SeededIdSource(7), SeededIdSource(7)
    >>> a() == b()
    True
    """

    def __init__(self, seed: int) -> None:
        if isinstance(seed, bool) or not isinstance(seed, int):
            raise InvalidType(f"must be an int, not {type_name(seed)}", path="$.seed")
        self._random = random.Random(seed)  # noqa: S311 - reproducible ids, not secrets.

    def __call__(self) -> str:
        return str(uuid.UUID(int=self._random.getrandbits(128), version=4))

    def __repr__(self) -> str:
        return "SeededIdSource(...)"


class InteractionId(Identifier):
    """Identifies an :class:`Interaction`."""

    __slots__ = ()


class CaseId(Identifier):
    """Identifies a service case (a complaint, question or request)."""

    __slots__ = ()


class OpportunityId(Identifier):
    """Identifies a sales opportunity in the pipeline."""

    __slots__ = ()


class StaffId(Identifier):
    """Identifies a member of staff (an agent, a sales representative, a store clerk)."""

    __slots__ = ()


class TeamId(Identifier):
    """Identifies a :class:`~crmcore.teams.Team`.

    It lives in the kernel, beside :class:`StaffId`, because every operational
    aggregate may name the team it belongs to, and ``crmcore.teams`` itself
    builds on ``crmcore.customers``.

    >>> TeamId("team-jkt")
    TeamId('team-jkt')
    """

    __slots__ = ()


class OrderId(Identifier):
    """Identifies an :class:`~crmcore.commerce.Order`."""

    __slots__ = ()


class ProductId(Identifier):
    """Identifies a product (a SKU): a :class:`~crmcore.catalog.Product` sold on order lines."""

    __slots__ = ()


class PaymentId(Identifier):
    """Identifies one payment or payment attempt."""

    __slots__ = ()


class SubscriptionId(Identifier):
    """Identifies a :class:`~crmcore.commerce.Subscription`."""

    __slots__ = ()


class PlanId(Identifier):
    """Identifies a subscription :class:`~crmcore.commerce.Plan`."""

    __slots__ = ()


class FeedbackId(Identifier):
    """Identifies one survey response."""

    __slots__ = ()


class ReviewId(Identifier):
    """Identifies one public review."""

    __slots__ = ()


class ProgramId(Identifier):
    """Identifies a :class:`LoyaltyProgram`."""

    __slots__ = ()


class LoyaltyAccountId(Identifier):
    """Identifies a :class:`~crmcore.loyalty.LoyaltyAccount` (one member of one program)."""

    __slots__ = ()


class RewardId(Identifier):
    """Identifies a :class:`Reward` of a program's catalogue."""

    __slots__ = ()


class PipelineId(Identifier):
    """Identifies a :class:`PipelineDefinition`."""

    __slots__ = ()


class LeadId(Identifier):
    """Identifies a :class:`~crmcore.sales.Lead`."""

    __slots__ = ()


def team_argument(team: object, current: TeamId | None) -> TeamId | None:
    """The team an assignment asks for: ``...`` (left out) keeps ``current``, ``None`` clears it.

    >>> team_argument(..., TeamId("t-1")), team_argument(None, TeamId("t-1"))
    (TeamId('t-1'), None)
    """
    if isinstance(team, EllipsisType):
        return current
    if team is not None and type(team) is not TeamId:
        raise InvalidType(f"must be a TeamId or None, not {type_name(team)}", path="$.team")
    return team


class ActivityId(Identifier):
    """Identifies an :class:`~crmcore.activities.Activity` (a task, call, meeting, email or deadline).

    >>> ActivityId("act-1")
    ActivityId('act-1')
    """

    __slots__ = ()


class NoteId(Identifier):
    """Identifies a :class:`~crmcore.notes.Note` on a record.

    >>> NoteId("note-1")
    NoteId('note-1')
    """

    __slots__ = ()


class PrivacyRequestId(Identifier):
    """Identifies a data-subject request (:class:`~crmcore.privacy.DataSubjectRequest`).

    >>> PrivacyRequestId("dsr-1")
    PrivacyRequestId('dsr-1')
    """

    __slots__ = ()


class PriceBookId(Identifier):
    """Identifies a :class:`~crmcore.catalog.PriceBook`.

    >>> PriceBookId("pb-idr")
    PriceBookId('pb-idr')
    """

    __slots__ = ()


class QuoteId(Identifier):
    """Identifies a :class:`~crmcore.quotes.Quote`.

    >>> QuoteId("q-1")
    QuoteId('q-1')
    """

    __slots__ = ()


class CampaignId(Identifier):
    """Identifies a marketing :class:`~crmcore.marketing.Campaign`.

    >>> CampaignId("cmp-1")
    CampaignId('cmp-1')
    """

    __slots__ = ()


class CampaignMemberId(Identifier):
    """Identifies a :class:`~crmcore.marketing.CampaignMember` (a customer or lead in a campaign).

    >>> CampaignMemberId("cm-1")
    CampaignMemberId('cm-1')
    """

    __slots__ = ()
