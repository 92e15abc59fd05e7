"""Conversion between lifecycle stages, and campaign response rates.

Stage transitions are ``(customer_id, from_stage, to_stage, at)`` tuples or
objects with ``customer_id``, ``from_stage``, ``to_stage`` and ``at`` (or
``occurred_at``, as on ``CustomerStageChanged`` events); ``from_stage`` is
``None`` for the entry into a lifecycle.
"""

from __future__ import annotations

from collections.abc import Hashable, Iterable, Sequence
from datetime import datetime
from itertools import pairwise
from typing import NamedTuple

import attrs

from crmcore._kernel._checks import require_aware, type_name
from crmcore._kernel._fields import Checked
from crmcore._kernel._ids import require_id
from crmcore._kernel._numbers import Tabular
from crmcore._kernel._records import fields_of, require_iterable
from crmcore.errors import InvalidType, ValidationError


class _Move(NamedTuple):
    customer_id: Hashable
    from_stage: str | None
    to_stage: str
    at: datetime


def _stage(value: object, path: str) -> str:
    if not isinstance(value, str) or not value:
        raise InvalidType(f"must be a stage name, not {type_name(value)}", path=path)
    return value


def _moves(
    transitions: Iterable[object], start: datetime | None, end: datetime | None
) -> list[_Move]:
    since = None if start is None else require_aware(start, "$.start")
    until = None if end is None else require_aware(end, "$.end")
    if since is not None and until is not None and since > until:  # checked before reading
        raise ValidationError("must not be after end", path="$.start", code="order")
    moves: list[_Move] = []
    for index, record in enumerate(require_iterable(transitions, "$.transitions")):
        path = f"$.transitions[{index}]"
        customer_id, origin, target, at = fields_of(
            record, ("customer_id", "from_stage", "to_stage", ("at", "occurred_at")), path
        )
        require_id(customer_id, f"{path}.customer_id")
        origin_stage = None if origin is None else _stage(origin, f"{path}.from_stage")
        when = require_aware(at, f"{path}.at")
        move = _Move(customer_id, origin_stage, _stage(target, f"{path}.to_stage"), when)
        if until is not None and when > until:
            continue
        moves.append(move)
    moves.sort(key=lambda m: m.at)
    return moves


@attrs.frozen(slots=True)
class StageConversion(Checked, Tabular):
    """How many customers who entered one stage went on to another.

    Attributes:
        from_stage: the stage entered first.
        to_stage: the stage converted to.
        entered: customers who entered ``from_stage`` (in the window).
        converted: of them, those who then reached ``to_stage``.
        rate: ``converted / entered`` (``None`` if no one entered).
    """

    from_stage: str
    to_stage: str
    entered: int
    converted: int
    rate: float | None


def _first_entries(
    moves: list[_Move], since: datetime | None
) -> dict[str, dict[Hashable, datetime]]:
    entries: dict[str, dict[Hashable, datetime]] = {}
    for move in moves:
        if since is not None and move.at < since:
            continue
        entries.setdefault(move.to_stage, {}).setdefault(move.customer_id, move.at)
    return entries


def stage_conversion(
    transitions: Iterable[object], *, start: datetime | None = None, end: datetime | None = None
) -> tuple[StageConversion, ...]:
    """For every direct move A → B seen, the share of customers entering A who moved on to B.

    A customer counts as entering A at their first entry into A within
    ``[start, end]``; they converted if they later (up to ``end``) moved
    directly from A to B. Rows are sorted by stage names.

    >>> from datetime import datetime, timezone
    >>> t = lambda d: datetime(2026, 1, d, tzinfo=timezone.utc)
    >>> moves = [
    ...     ("a", None, "prospect", t(1)),
    ...     ("a", "prospect", "customer", t(5)),
    ...     ("b", None, "prospect", t(2)),
    ...     ("c", None, "prospect", t(3)),
    ...     ("c", "prospect", "lost", t(9)),
    ... ]
    >>> [(c.from_stage, c.to_stage, c.converted, c.entered) for c in stage_conversion(moves)]
    [('prospect', 'customer', 1, 3), ('prospect', 'lost', 1, 3)]
    """
    moves = _moves(transitions, start, end)
    since = None if start is None else require_aware(start, "$.start")
    entries = _first_entries(moves, since)
    converted: dict[tuple[str, str], set[Hashable]] = {}
    for move in moves:
        if move.from_stage is None:
            continue
        entered_at = entries.get(move.from_stage, {}).get(move.customer_id)
        pair = (move.from_stage, move.to_stage)
        converted.setdefault(pair, set())
        if entered_at is not None and move.at >= entered_at:
            converted[pair].add(move.customer_id)
    rows: list[StageConversion] = []
    for origin, target in sorted(converted):
        entered = len(entries.get(origin, {}))
        count = len(converted[origin, target])
        rows.append(
            StageConversion(origin, target, entered, count, count / entered if entered else None)
        )
    return tuple(rows)


def stage_funnel(
    transitions: Iterable[object],
    stages: Sequence[str],
    *,
    start: datetime | None = None,
    end: datetime | None = None,
) -> tuple[StageConversion, ...]:
    """Conversion along a funnel of stages: of those who reached each stage, who reached the next.

    Reaching a stage means entering it (by any path). A customer converts
    from stage *i* to stage *i+1* when they enter *i+1* at or after their
    first entry into *i*. With ``start``, only entries from then count.

    >>> from datetime import datetime, timezone
    >>> t = lambda d: datetime(2026, 1, d, tzinfo=timezone.utc)
    >>> moves = [
    ...     ("a", None, "lead", t(1)),
    ...     ("a", "lead", "customer", t(2)),
    ...     ("b", None, "lead", t(1)),
    ... ]
    >>> [(c.to_stage, c.rate) for c in stage_funnel(moves, ["lead", "customer"])]
    [('customer', 0.5)]
    """
    if isinstance(stages, (str, bytes)) or not isinstance(stages, Sequence):
        raise InvalidType(
            f"must be a sequence of stage names, not {type_name(stages)}", path="$.stages"
        )
    names = [_stage(stage, f"$.stages[{i}]") for i, stage in enumerate(stages)]
    if len(names) < 2:
        raise ValidationError("must name at least two stages", path="$.stages", code="too_short")
    moves = _moves(transitions, start, end)
    since = None if start is None else require_aware(start, "$.start")
    entries = _first_entries(moves, since)
    all_entries: dict[str, dict[Hashable, list[datetime]]] = {}
    for move in moves:
        all_entries.setdefault(move.to_stage, {}).setdefault(move.customer_id, []).append(move.at)
    rows: list[StageConversion] = []
    for origin, target in pairwise(names):
        reached = entries.get(origin, {})
        later = all_entries.get(target, {})
        count = sum(
            1
            for customer, first in reached.items()
            if any(t >= first for t in later.get(customer, ()))
        )
        total = len(reached)
        rows.append(StageConversion(origin, target, total, count, count / total if total else None))
    return tuple(rows)


def response_rate(*, contacted: int, responded: int) -> float | None:
    """The share of contacted customers who responded (``None`` if no one was contacted).

    >>> response_rate(contacted=400, responded=26)
    0.065
    """
    for name, value in (("contacted", contacted), ("responded", responded)):
        if isinstance(value, bool) or not isinstance(value, int):
            raise InvalidType(f"must be an int, not {type_name(value)}", path=f"$.{name}")
        if value < 0:
            raise ValidationError("must not be negative", path=f"$.{name}", code="negative")
    if responded > contacted:
        raise ValidationError("must not exceed contacted", path="$.responded", code="count_order")
    return responded / contacted if contacted else None


@attrs.frozen(slots=True)
class CampaignResponse(Checked, Tabular):
    """How one campaign's audience responded.

    Attributes:
        campaign_id: the campaign.
        contacted: distinct customers contacted.
        responded: of them, those who responded.
        rate: ``responded / contacted`` (``None`` if no one was contacted).
        uncontacted_responses: distinct responders who had not been contacted
            (not counted in the rate; a sign of leakage or attribution gaps).
    """

    campaign_id: Hashable
    contacted: int
    responded: int
    rate: float | None
    uncontacted_responses: int


def _pairs(records: Iterable[object], path: str) -> dict[Hashable, set[Hashable]]:
    found: dict[Hashable, set[Hashable]] = {}
    for index, record in enumerate(require_iterable(records, path)):
        where = f"{path}[{index}]"
        customer_id, campaign_id = fields_of(record, ("customer_id", "campaign_id"), where)
        require_id(customer_id, f"{where}.customer_id")
        require_id(campaign_id, f"{where}.campaign_id")
        found.setdefault(campaign_id, set()).add(customer_id)
    return found


def campaign_response(
    contacts: Iterable[object], responses: Iterable[object]
) -> tuple[CampaignResponse, ...]:
    """Response rate per campaign, from who was contacted and who responded.

    Both are ``(customer_id, campaign_id)`` tuples or objects with those
    attributes; repeats count once. Campaigns are sorted by their id's text.

    >>> contacts = [("a", "spring"), ("b", "spring"), ("c", "spring"), ("d", "spring")]
    >>> responses = [("a", "spring"), ("a", "spring"), ("z", "spring")]
    >>> campaign_response(contacts, responses)
    (CampaignResponse(campaign_id='spring', contacted=4, responded=1, rate=0.25, uncontacted_responses=1),)
    """
    contacted = _pairs(contacts, "$.contacts")
    responded = _pairs(responses, "$.responses")
    rows: list[CampaignResponse] = []
    for campaign in sorted(set(contacted) | set(responded), key=str):
        audience = contacted.get(campaign, set())
        answers = responded.get(campaign, set())
        hits = len(audience & answers)
        rows.append(
            CampaignResponse(
                campaign_id=campaign,
                contacted=len(audience),
                responded=hits,
                rate=hits / len(audience) if audience else None,
                uncontacted_responses=len(answers - audience),
            )
        )
    return tuple(rows)
