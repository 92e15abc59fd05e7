"""Strategies for interactions."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime, timedelta
from typing import Final

from hypothesis import strategies as st

from crmcore._kernel._ids import StaffId
from crmcore.customers import (
    Channel,
    CustomerId,
)
from crmcore.errors import ValidationError
from crmcore.interactions import (
    Direction,
    Interaction,
    InteractionId,
    InteractionKind,
)
from crmcore.interactions._interaction import KIND_CHANNELS, TIMED_KINDS
from crmcore.sales import (
    OpportunityId,
)
from crmcore.service import (
    CaseId,
)
from crmcore.testing.strategies._base import (
    _STEP_OFFSETS,
    _as_drawn,
    _customer_choices,
    _enum_choices,
    _ids_of,
    _later,
    _multiline_texts,
    _short_texts,
    _window,
)

# -- interactions ---------------------------------------------------------------------------


def interactions(
    *,
    customer_ids: Iterable[CustomerId] | None = None,
    kinds: Iterable[InteractionKind | str] | None = None,
    channels: Iterable[Channel | str] | None = None,
    min_created_at: datetime | None = None,
    max_created_at: datetime | None = None,
    pending_events: bool = True,
) -> st.SearchStrategy[Interaction]:
    """Valid :class:`~crmcore.interactions.Interaction` aggregates, logged and sometimes linked later.

    Each is built by :meth:`Interaction.log <crmcore.interactions.Interaction.log>`
    with a kind on a channel it can happen on, a duration only for calls,
    video calls and meetings, and optional subject, notes, staff member,
    case and opportunity; some are then linked (up to twice) to a case or an
    opportunity with :meth:`~crmcore.interactions.Interaction.link`, at
    non-decreasing times after the logging, so events stay in time order.

    Args:
        customer_ids: the customers; any id by default.
        kinds: the kinds of interaction (members or values); all by default.
        channels: the channels (members or values); all by default.
        min_created_at: the earliest time (aware); 2000 by default.
        max_created_at: the latest time (aware); 2099 by default.
        pending_events: ``False`` to draw records as a repository stores them.

    Raises:
        InvalidType: an argument of the wrong type.
        ValidationError: crossed bounds, an unknown or empty choice, or kinds
            and channels with no pair that can happen (``$.channels``).
    """
    kind_choices = _enum_choices(kinds, "$.kinds", InteractionKind)
    channel_choices = _enum_choices(channels, "$.channels", Channel)
    pairs = tuple(
        (kind, channel)
        for kind in kind_choices
        for channel in channel_choices
        if channel in KIND_CHANNELS[kind]
    )
    if not pairs:
        raise ValidationError(
            "must hold a channel on which one of the kinds happens", path="$.channels", code="empty"
        )
    built = _interactions(
        _customer_choices(customer_ids, "$.customer_ids"),
        pairs,
        _window(min_created_at, max_created_at),
    )
    return _as_drawn(built, pending_events)


_DURATIONS: Final = st.integers(min_value=0, max_value=86_400).map(
    lambda seconds: timedelta(seconds=seconds)
)


@st.composite
def _interactions(
    draw: st.DrawFn,
    customers: st.SearchStrategy[CustomerId],
    pairs: tuple[tuple[InteractionKind, Channel], ...],
    times: st.SearchStrategy[datetime],
) -> Interaction:
    kind, channel = draw(st.sampled_from(pairs))
    at = draw(times)
    record = Interaction.log(
        draw(_ids_of(InteractionId)),
        customer_id=draw(customers),
        kind=kind,
        channel=channel,
        direction=draw(st.sampled_from(Direction)),
        at=at,
        subject=draw(st.none() | _short_texts()),
        notes=draw(st.none() | _multiline_texts()),
        staff_id=draw(st.none() | _ids_of(StaffId)),
        case_id=draw(st.none() | _ids_of(CaseId)),
        opportunity_id=draw(st.none() | _ids_of(OpportunityId)),
        duration=draw(st.none() | _DURATIONS) if kind in TIMED_KINDS else None,
    )
    offsets = sorted(draw(st.lists(_STEP_OFFSETS, max_size=2)))
    for offset in offsets:
        record = record.link(
            at=_later(at, offset),
            case_id=draw(st.none() | _ids_of(CaseId)),
            opportunity_id=draw(st.none() | _ids_of(OpportunityId)),
        )
    return record
