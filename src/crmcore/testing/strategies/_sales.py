"""Strategies for the sales pipeline: definitions, leads, opportunities and their lines."""

from __future__ import annotations

import functools
from collections.abc import Callable, Iterable
from datetime import datetime, timedelta
from decimal import Decimal
from typing import Any, Final

import attrs
from hypothesis import strategies as st

from crmcore._kernel._checks import (
    instance_of,
)
from crmcore._kernel._ids import StaffId, TeamId
from crmcore._kernel._money import Money
from crmcore.customers import (
    ConsentStatus,
    Customer,
    CustomerId,
    PartyKind,
    PersonName,
)
from crmcore.sales import (
    LEAD_STATUSES,
    STANDARD_PIPELINE,
    BantScore,
    Lead,
    LeadId,
    LeadSource,
    LeadStatus,
    Opportunity,
    OpportunityId,
    OpportunityLine,
    PipelineDefinition,
    PipelineId,
    Stage,
    StageKind,
)
from crmcore.testing.strategies._base import (
    _as_drawn,
    _command_times,
    _currency_choices,
    _customer_choices,
    _enum_choices,
    _id_pool,
    _ids_of,
    _int_arg,
    _prices,
    _reasons,
    _short_texts,
    _snake_names,
    _StaffedHistory,
    _team_arguments,
    _window,
    tags,
)
from crmcore.testing.strategies._commerce import draw_priced_units
from crmcore.testing.strategies._customers import (
    _consent_fields,
    _draw_consent,
    _given_or_withdrawn,
    _names_of,
    contact_points,
    organization_names,
    person_names,
)

# -- sales pipeline -------------------------------------------------------------------------


def pipeline_definitions(*, max_stages: int = 8) -> st.SearchStrategy[PipelineDefinition]:
    """Valid sales :class:`~crmcore.sales.PipelineDefinition` values, the standard one among them.

    A pipeline has one to four open stages with a win probability from 0 to 1
    (in hundredths), and one or two won and lost stages, in a drawn order.

    Args:
        max_stages: the most stages of one pipeline (3 to 8).

    Raises:
        ValidationError: ``max_stages`` out of range.
    """
    most = _int_arg(max_stages, "$.max_stages", minimum=3, maximum=8)
    return st.just(STANDARD_PIPELINE) | _pipeline_definitions(most)


@functools.lru_cache(maxsize=16)
def _pipeline_definitions(max_stages: int) -> st.SearchStrategy[PipelineDefinition]:
    return _pipeline_definition(max_stages)


@st.composite
def _pipeline_definition(draw: st.DrawFn, max_stages: int) -> PipelineDefinition:
    won = draw(st.integers(min_value=1, max_value=2))
    lost = draw(st.integers(min_value=1, max_value=2))
    opened = draw(st.integers(min_value=1, max_value=max(1, min(4, max_stages - won - lost))))
    total = opened + won + lost
    codes = draw(st.lists(_snake_names(), min_size=total, max_size=total, unique=True))
    orders = draw(st.permutations(range(1, total + 1)))
    kinds = [StageKind.OPEN] * opened + [StageKind.WON] * won + [StageKind.LOST] * lost
    stages = []
    for code, order, kind in zip(codes, orders, kinds, strict=True):
        chance = Decimal(1) if kind is StageKind.WON else Decimal(0)
        if kind is StageKind.OPEN:
            chance = Decimal(draw(st.integers(min_value=0, max_value=100))) / 100
        stages.append(Stage(code, kind=kind, probability=chance, order=order * 10))
    return PipelineDefinition(
        id=draw(_ids_of(PipelineId)), name=draw(_short_texts()), stages=stages
    )


def leads(
    *,
    customer_ids: Iterable[CustomerId] | None = None,
    sources: Iterable[LeadSource | str] | None = None,
    staff_ids: Iterable[StaffId] | None = None,
    team_ids: Iterable[TeamId] | None = None,
    max_steps: int = 6,
    min_created_at: datetime | None = None,
    max_created_at: datetime | None = None,
    pending_events: bool = True,
) -> st.SearchStrategy[Lead]:
    """Valid sales :class:`~crmcore.sales.Lead` aggregates with a history built by their commands.

    Each lead is captured with :meth:`Lead.capture <crmcore.sales.Lead.capture>`
    (with or without an owner and a team) and then taken through up to
    ``max_steps`` commands the lead allows at that point, each dated no
    earlier than the one before: contact, qualification (with a BANT score or
    not), disqualification with a reason, recycling, rescoring, assignment
    (the team left out, cleared or changed), consent (``give_consent``,
    ``withdraw_consent``, ``record_consent``: never before the capture, never
    after the conversion) and conversion into a new customer or into one that
    exists already (``convert_into``).

    Args:
        customer_ids: the customers converted leads become (and referrers);
            any id by default.
        sources: lead sources (members or values); all by default.
        staff_ids: the owners to draw from (``StaffId`` values); any id by default.
        team_ids: the teams to draw from (``TeamId`` values); any id by default.
        max_steps: the most commands after capturing (0 to 100).
        min_created_at: the earliest capture time (aware); 2000 by default.
        max_created_at: the latest capture time (aware); 2099 by default.
        pending_events: ``False`` to draw leads as a repository stores them.

    Raises:
        InvalidType: an argument of the wrong type.
        ValidationError: a bound out of range, crossed bounds, an empty choice.
    """
    plan = _LeadPlan(
        customers=_customer_choices(customer_ids, "$.customer_ids"),
        sources=_enum_choices(sources, "$.sources", LeadSource),
        owners=_id_pool(staff_ids, "$.staff_ids", StaffId),
        teams=_id_pool(team_ids, "$.team_ids", TeamId),
        max_steps=_int_arg(max_steps, "$.max_steps", maximum=100),
        start=_window(min_created_at, max_created_at),
    )
    return _as_drawn(_leads(plan), pending_events)


@attrs.frozen
class _LeadPlan(_StaffedHistory):
    sources: tuple[LeadSource, ...]


#: One command of a generated lead history: (draw, lead, customers, when) -> lead.
_LeadStep = Callable[[st.DrawFn, Lead, st.SearchStrategy[CustomerId], datetime], Lead]

_BANT_SCORES: Final = st.builds(
    BantScore, st.booleans(), st.booleans(), st.booleans(), st.booleans()
)


@st.composite
def _leads(draw: st.DrawFn, plan: _LeadPlan) -> Lead:
    at = draw(plan.start)
    lead = Lead.capture(
        draw(_ids_of(LeadId)),
        name=draw(person_names() | organization_names()),
        source=draw(st.sampled_from(plan.sources)),
        at=at,
        contact_points=draw(st.lists(contact_points(), max_size=1)),
        interest=draw(st.none() | _short_texts()),
        campaign=draw(st.none() | tags()),
        referred_by=draw(st.none() | plan.customers),
        owner=draw(st.none() | plan.owners),
        team=draw(st.none() | plan.teams),
    )
    assigning = _assigning_lead(plan.owners, plan.teams)
    for when in _command_times(draw, at, plan.max_steps):
        step = draw(st.sampled_from(_lead_options(lead, assigning)))
        lead = step(draw, lead, plan.customers, when)
    return lead


def _lead_options(lead: Lead, assigning: _LeadStep) -> list[_LeadStep]:
    """The commands the lead accepts now (only assignment once it is converted)."""
    status = lead.status
    options: list[_LeadStep] = [assigning]
    if status is LeadStatus.CONVERTED:
        return options
    options += [_rescoring, _consenting]
    if status is LeadStatus.NEW:
        options.append(_contacting)
    if status in (LeadStatus.NEW, LeadStatus.CONTACTED):
        options.append(_qualifying)
    if status is LeadStatus.QUALIFIED:
        options += [_converting, _converting_into]
    if status is LeadStatus.DISQUALIFIED:
        options.append(_recycling)
    else:
        options.append(_disqualifying)
    return options


def _assigning_lead(
    owners: st.SearchStrategy[StaffId], teams: st.SearchStrategy[TeamId]
) -> _LeadStep:
    """An ``assign``: another owner or none, the team left out (kept), cleared or changed."""

    def assign(
        draw: st.DrawFn, lead: Lead, _: st.SearchStrategy[CustomerId], when: datetime
    ) -> Lead:
        owner = draw(st.none() | owners)
        return lead.assign(owner, draw(_team_arguments(teams)), at=when)

    return assign


def _consenting(
    draw: st.DrawFn, lead: Lead, _: st.SearchStrategy[CustomerId], when: datetime
) -> Lead:
    """A grant or withdrawal, by ``record_consent`` or by ``give_consent``/``withdraw_consent``."""
    record = _draw_consent(draw, when)
    if draw(st.booleans()):
        return lead.record_consent(record)
    return _given_or_withdrawn(lead, record, when)


def _rescoring(
    draw: st.DrawFn, lead: Lead, _: st.SearchStrategy[CustomerId], when: datetime
) -> Lead:
    return lead.rescore(draw(_BANT_SCORES), at=when)


def _contacting(
    draw: st.DrawFn, lead: Lead, _: st.SearchStrategy[CustomerId], when: datetime
) -> Lead:
    return lead.contact(at=when, reason=draw(st.none() | _reasons()))


def _qualifying(
    draw: st.DrawFn, lead: Lead, _: st.SearchStrategy[CustomerId], when: datetime
) -> Lead:
    return lead.qualify(
        at=when, score=draw(st.none() | _BANT_SCORES), reason=draw(st.none() | _reasons())
    )


def _disqualifying(
    draw: st.DrawFn, lead: Lead, _: st.SearchStrategy[CustomerId], when: datetime
) -> Lead:
    return lead.disqualify(at=when, reason=draw(_reasons()))


def _recycling(
    draw: st.DrawFn, lead: Lead, _: st.SearchStrategy[CustomerId], when: datetime
) -> Lead:
    return lead.recycle(at=when, reason=draw(st.none() | _reasons()))


def _converting(
    draw: st.DrawFn, lead: Lead, customers: st.SearchStrategy[CustomerId], when: datetime
) -> Lead:
    return lead.convert(draw(customers), at=when).lead


def _converting_into(
    draw: st.DrawFn, lead: Lead, customers: st.SearchStrategy[CustomerId], when: datetime
) -> Lead:
    """``convert_into`` a customer of the lead's kind registered by ``when``.

    The customer who referred the lead cannot be the one it converts into:
    that lead is converted into a new customer instead.
    """
    customer_id = draw(customers)
    if customer_id == lead.referred_by:
        return lead.convert(customer_id, at=when).lead
    kind = PartyKind.PERSON if isinstance(lead.name, PersonName) else PartyKind.ORGANIZATION
    customer = Customer.register(customer_id, name=draw(_names_of(kind)), at=when)
    return lead.convert_into(customer, at=when).lead


def opportunity_lines(
    *, currencies: Iterable[str] | None = None, max_quantity: int = 20
) -> st.SearchStrategy[OpportunityLine]:
    """:class:`~crmcore.sales.OpportunityLine` values: a product, a quantity, a unit price, a discount.

    Unit prices are whole minor units of their currency (up to ten million of
    them), and a discount, when there is one, is whole minor units too and
    never exceeds the line's gross.

    Args:
        currencies: ISO 4217 codes to draw from; every active code by default.
        max_quantity: the largest quantity (1 to 1,000,000).

    Raises:
        ValidationError: an unknown currency, an empty ``currencies`` or a
            quantity bound out of range.
    """
    codes = _currency_choices(currencies)
    most = _int_arg(max_quantity, "$.max_quantity", minimum=1, maximum=1_000_000)
    return st.sampled_from(codes).flatmap(lambda code: _opportunity_lines_in(code, most))


@functools.lru_cache(maxsize=256)
def _opportunity_lines_in(code: str, max_quantity: int) -> st.SearchStrategy[OpportunityLine]:
    return _opportunity_line(code, max_quantity)


@st.composite
def _opportunity_line(draw: st.DrawFn, code: str, max_quantity: int) -> OpportunityLine:
    product, quantity, price, discount = draw_priced_units(draw, code, max_quantity)
    return OpportunityLine(product, quantity, price, discount=discount)


def _line_lists(code: str, max_lines: int) -> st.SearchStrategy[list[OpportunityLine]]:
    """Up to ``max_lines`` lines in ``code`` (maybe none)."""
    return st.lists(_opportunity_lines_in(code, 20), max_size=max_lines)


def opportunities(
    *,
    customer_ids: Iterable[CustomerId] | None = None,
    pipeline: PipelineDefinition | None = None,
    currencies: Iterable[str] | None = None,
    staff_ids: Iterable[StaffId] | None = None,
    team_ids: Iterable[TeamId] | None = None,
    max_lines: int = 3,
    max_steps: int = 6,
    min_created_at: datetime | None = None,
    max_created_at: datetime | None = None,
    pending_events: bool = True,
) -> st.SearchStrategy[Opportunity]:
    """Valid sales :class:`~crmcore.sales.Opportunity` aggregates with a history built by their commands.

    Each opportunity is opened with :meth:`Opportunity.open
    <crmcore.sales.Opportunity.open>` in an open stage (by an owner, with or
    without a team) and then taken through up to ``max_steps`` commands the
    opportunity allows at that point, each dated no earlier than the one
    before: stage moves, winning, losing with a reason, reopening a lost deal,
    amount and close date changes, line replacements (with up to
    ``max_lines`` lines in one currency, or none), assignment (the team left
    out, cleared or changed) and next steps. Some are opened with lines (their
    amount is then the lines' nets), some without; the amount of a deal with
    lines is never changed directly.

    Args:
        customer_ids: the customers; any id by default.
        pipeline: the pipeline of every opportunity; one drawn by
            :func:`pipeline_definitions` for each by default.
        currencies: ISO 4217 codes of the amounts; every active code by default.
        staff_ids: the owners to draw from (``StaffId`` values); any id by default.
        team_ids: the teams to draw from (``TeamId`` values); any id by default.
        max_lines: the most lines of one opportunity (0 to 50; 0 for none ever).
        max_steps: the most commands after opening (0 to 100).
        min_created_at: the earliest opening time (aware); 2000 by default.
        max_created_at: the latest opening time (aware); 2099 by default.
        pending_events: ``False`` to draw opportunities as a repository stores them.

    Raises:
        InvalidType: an argument of the wrong type.
        ValidationError: a bound out of range, crossed bounds, an empty choice.
    """
    pipelines: st.SearchStrategy[PipelineDefinition]
    if pipeline is None:
        pipelines = pipeline_definitions()
    else:
        checked = instance_of(PipelineDefinition, "a PipelineDefinition")(pipeline, "$.pipeline")
        pipelines = st.just(checked)
    plan = _OpportunityPlan(
        customers=_customer_choices(customer_ids, "$.customer_ids"),
        pipelines=pipelines,
        currencies=_currency_choices(currencies),
        owners=_id_pool(staff_ids, "$.staff_ids", StaffId),
        teams=_id_pool(team_ids, "$.team_ids", TeamId),
        max_lines=_int_arg(max_lines, "$.max_lines", maximum=50),
        max_steps=_int_arg(max_steps, "$.max_steps", maximum=100),
        start=_window(min_created_at, max_created_at),
    )
    return _as_drawn(_opportunities(plan), pending_events)


@attrs.frozen
class _OpportunityPlan(_StaffedHistory):
    pipelines: st.SearchStrategy[PipelineDefinition]
    currencies: tuple[str, ...]
    max_lines: int


#: One command of a generated opportunity history: (draw, deal, pipeline, when) -> deal.
_OpportunityStep = Callable[[st.DrawFn, Opportunity, PipelineDefinition, datetime], Opportunity]
_CLOSE_DAYS: Final = st.integers(min_value=0, max_value=365).map(lambda n: timedelta(days=n))


@st.composite
def _opportunities(draw: st.DrawFn, plan: _OpportunityPlan) -> Opportunity:
    pipeline = draw(plan.pipelines)
    at = draw(plan.start)
    next_step = draw(st.none() | _short_texts())
    code = draw(st.sampled_from(plan.currencies))
    lines = draw(_line_lists(code, plan.max_lines))
    deal = Opportunity.open(
        draw(_ids_of(OpportunityId)),
        customer_id=draw(plan.customers),
        name=draw(_short_texts()),
        amount=None if lines else draw(_prices(code)),
        lines=lines,
        expected_close=at.date() + draw(_CLOSE_DAYS),
        owner=draw(plan.owners),
        pipeline=pipeline,
        at=at,
        stage=draw(st.sampled_from([stage.code for stage in pipeline.open_stages])),
        next_step=next_step,
        next_step_due=None if next_step is None else at.date() + draw(_CLOSE_DAYS),
        lead_id=draw(st.none() | _ids_of(LeadId)),
        team=draw(st.none() | plan.teams),
    )
    assigning = _assigning_deal(plan.owners, plan.teams)
    relining = _relining(plan.currencies, plan.max_lines)
    for when in _command_times(draw, at, plan.max_steps):
        step = draw(st.sampled_from(_opportunity_options(deal, assigning, relining)))
        deal = step(draw, deal, pipeline, when)
    return deal


def _opportunity_options(
    deal: Opportunity, assigning: _OpportunityStep, relining: _OpportunityStep
) -> list[_OpportunityStep]:
    """The commands the opportunity accepts now (a won deal keeps only owner and next step).

    A deal with lines takes its amount from them: it is repriced by new lines, not directly.
    """
    options: list[_OpportunityStep] = [assigning, _next_stepping]
    if deal.is_open:
        options += [_moving_deal, _winning, _losing, _rescheduling]
    elif deal.is_lost:
        options.append(_reopening)
    if not deal.is_won:
        options.append(relining)
        if not deal.lines:
            options.append(_repricing)
    return options


def _relining(currencies: tuple[str, ...], max_lines: int) -> _OpportunityStep:
    """A ``replace_lines``: up to ``max_lines`` lines, mostly in the deal's currency, or none."""

    def reline(
        draw: st.DrawFn, deal: Opportunity, _: PipelineDefinition, when: datetime
    ) -> Opportunity:
        code = draw(st.sampled_from((deal.amount.currency, *currencies)))
        return deal.replace_lines(draw(_line_lists(code, max_lines)), at=when)

    return reline


def _assigning_deal(
    owners: st.SearchStrategy[StaffId], teams: st.SearchStrategy[TeamId]
) -> _OpportunityStep:
    """An ``assign``: another owner, the team left out (kept), cleared or changed."""

    def assign(
        draw: st.DrawFn, deal: Opportunity, _: PipelineDefinition, when: datetime
    ) -> Opportunity:
        return deal.assign(draw(owners), draw(_team_arguments(teams)), at=when)

    return assign


def _next_stepping(
    draw: st.DrawFn, deal: Opportunity, _: PipelineDefinition, when: datetime
) -> Opportunity:
    step = draw(st.none() | _short_texts())
    due = None if step is None else draw(st.none() | _CLOSE_DAYS.map(when.date().__add__))
    return deal.set_next_step(step, at=when, due=due)


def _moving_deal(
    draw: st.DrawFn, deal: Opportunity, pipeline: PipelineDefinition, when: datetime
) -> Opportunity:
    target = draw(st.sampled_from([stage.code for stage in pipeline.open_stages]))
    return deal.move_to(target, pipeline, at=when, reason=draw(st.none() | _reasons()))


def _winning(
    draw: st.DrawFn, deal: Opportunity, pipeline: PipelineDefinition, when: datetime
) -> Opportunity:
    stage = draw(st.sampled_from([stage.code for stage in pipeline.won_stages]))
    return deal.win(pipeline, at=when, stage=stage)


def _losing(
    draw: st.DrawFn, deal: Opportunity, pipeline: PipelineDefinition, when: datetime
) -> Opportunity:
    stage = draw(st.sampled_from([stage.code for stage in pipeline.lost_stages]))
    return deal.lose(pipeline, at=when, reason=draw(_reasons()), stage=stage)


def _reopening(
    draw: st.DrawFn, deal: Opportunity, pipeline: PipelineDefinition, when: datetime
) -> Opportunity:
    stage = draw(st.none() | st.sampled_from([stage.code for stage in pipeline.open_stages]))
    return deal.reopen(pipeline, at=when, stage=stage)


def _repricing(
    draw: st.DrawFn, deal: Opportunity, _: PipelineDefinition, when: datetime
) -> Opportunity:
    return deal.change_amount(draw(_prices(deal.amount.currency)), at=when)


def _rescheduling(
    draw: st.DrawFn, deal: Opportunity, _: PipelineDefinition, when: datetime
) -> Opportunity:
    return deal.change_expected_close(deal.expected_close + draw(_CLOSE_DAYS), at=when)


def _lead_statuses(*statuses: LeadStatus) -> Callable[[], st.SearchStrategy[LeadStatus]]:
    return lambda: st.sampled_from(statuses)


#: Event fields these strategies constrain beyond their declared type, by event class name:
#: campaign codes are tags; the status-change subclasses name the status they move to (and


def _lined_amounts(*, previous: bool = False) -> st.SearchStrategy[dict[str, Any]]:
    """``lines`` and the ``amount`` they make (and a ``previous`` amount) for an opportunity event."""
    return st.sampled_from(("IDR", "USD", "JPY", "KWD")).flatmap(
        lambda code: st.builds(
            functools.partial(_lined, previous=previous),
            st.lists(_opportunity_lines_in(code, 20), max_size=3),
            _prices(code),
        )
    )


def _lined(lines: list[OpportunityLine], amount: Money, *, previous: bool) -> dict[str, Any]:
    """The lines' total, or without lines ``amount`` (kept as it was); ``previous`` is ``amount``."""
    total = Money.total((line.net for line in lines), currency=amount.currency) if lines else amount
    fields: dict[str, Any] = {"lines": tuple(lines), "amount": total}
    if previous:
        fields["previous"] = amount
    return fields


def _plain_lead_moves() -> st.SearchStrategy[dict[str, Any]]:
    """Moves the lead machine allows that no subclass of the event names."""
    named = {LeadStatus.QUALIFIED, LeadStatus.DISQUALIFIED, LeadStatus.CONVERTED}
    moves = [
        (start, end)
        for start, ends in LEAD_STATUSES.transitions.items()
        for end in ends
        if end not in named
    ]
    return st.sampled_from(sorted(moves)).map(lambda m: {"from_status": m[0], "to_status": m[1]})


#: from: a conversion is always from ``qualified``).
EVENT_FIELDS: Final[dict[str, dict[str, Callable[[], st.SearchStrategy[Any]]]]] = {
    "LeadCaptured": {"campaign": lambda: st.none() | tags()},
    "LeadStatusChanged": {"*": _plain_lead_moves},
    "LeadQualified": {
        "from_status": _lead_statuses(LeadStatus.NEW, LeadStatus.CONTACTED),
        "to_status": _lead_statuses(LeadStatus.QUALIFIED),
    },
    "LeadDisqualified": {
        "from_status": _lead_statuses(LeadStatus.NEW, LeadStatus.CONTACTED, LeadStatus.QUALIFIED),
        "to_status": _lead_statuses(LeadStatus.DISQUALIFIED),
    },
    "LeadConverted": {
        "from_status": _lead_statuses(LeadStatus.QUALIFIED),
        "to_status": _lead_statuses(LeadStatus.CONVERTED),
    },
    # The fields of a consent record captured when the event occurred, as the lead records it.
    "LeadConsentRecorded": {"*": lambda: st.sampled_from(ConsentStatus).flatmap(_consent_fields)},
    # Lines in one currency whose nets make the amount (or no lines, any amount), as recorded.
    "OpportunityOpened": {"*": _lined_amounts},
    "OpportunityLinesReplaced": {"*": lambda: _lined_amounts(previous=True)},
}

#: Value types sales events carry, from their own strategies.
EVENT_VALUES: Final[dict[type, Callable[[], st.SearchStrategy[Any]]]] = {
    BantScore: lambda: _BANT_SCORES,
    OpportunityLine: opportunity_lines,
}
