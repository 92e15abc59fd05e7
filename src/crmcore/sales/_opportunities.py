"""Opportunities: potential deals moving through the stages of a sales pipeline.

An :class:`Opportunity` belongs to a customer and a
:class:`~crmcore.sales.PipelineDefinition`; it has a name, an amount, an
expected close date, an owner (and optionally a team) and a next step. Its stage changes are kept in
an append-only history whose times never go backwards, from which
:meth:`~Opportunity.time_in_stages` tells how long the deal spent where.

The rules of stage changes:

* a stage must be one of the pipeline's (``unknown_stage`` otherwise);
* between open stages, any move is allowed (forwards or back), and an open
  opportunity may be won or lost;
* moving to a **lost** stage needs a reason (kept in the opportunity, never
  in an event); a lost opportunity can only be *reopened* to an open stage,
  which clears the reason;
* a **won** opportunity is final: its amount and currency, and its lines, are
  frozen and it moves no more.

An opportunity may hold line items (:class:`~crmcore.sales.OpportunityLine`,
see :meth:`~Opportunity.replace_lines`): while it does, its amount is the sum of
the lines' net amounts, and :meth:`~Opportunity.change_amount` is refused.

A refused move is :class:`~crmcore.errors.TransitionNotAllowed` (code
``transition``, ``machine="opportunity"``), naming the current stage, the
stage asked for and the stages allowed from here.

>>> from datetime import date, datetime, timedelta, timezone
>>> from crmcore.sales import STANDARD_PIPELINE, OpportunityId
>>> from crmcore.customers import CustomerId
>>> from crmcore import Money, StaffId
>>> t0 = datetime(2026, 3, 2, 9, 0, tzinfo=timezone.utc)
>>> deal = Opportunity.open(
...     OpportunityId("opp-1"),
...     customer_id=CustomerId("c-1"),
...     name="Office coffee machines",
...     amount=Money(45_000_000, "IDR"),
...     expected_close=date(2026, 4, 30),
...     owner=StaffId("rep-3"),
...     pipeline=STANDARD_PIPELINE,
...     at=t0,
... )
>>> deal = deal.move_to("proposal", STANDARD_PIPELINE, at=t0 + timedelta(days=10))
>>> deal.lose(STANDARD_PIPELINE, at=t0 + timedelta(days=12))
Traceback (most recent call last):
...
crmcore.errors.ValidationError: $.reason: is required to lose an opportunity
>>> deal = deal.win(STANDARD_PIPELINE, at=t0 + timedelta(days=20))
>>> deal.stage, deal.is_won, [d.days for d in deal.time_in_stages(t0 + timedelta(days=30)).values()]
('closed_won', True, [10, 10, 10])
>>> deal.change_amount(Money(50_000_000, "IDR"), at=t0 + timedelta(days=21))
Traceback (most recent call last):
...
crmcore.errors.ValidationError: $.amount: a won opportunity's amount and currency are final
>>> deal.move_to("proposal", STANDARD_PIPELINE, at=t0 + timedelta(days=21))
Traceback (most recent call last):
...
crmcore.errors.TransitionNotAllowed: $.stage: an opportunity in closed_won cannot move to proposal: a won opportunity is final
"""

from __future__ import annotations

from bisect import bisect_right
from collections.abc import Iterable, Mapping, Sequence
from datetime import date, datetime, timedelta
from types import EllipsisType, MappingProxyType
from typing import Final, Unpack

import attrs

from crmcore._kernel._aggregate import Command, RepointsCustomer, optional_typed_id, typed_id
from crmcore._kernel._checks import (
    aware,
    check_name,
    clean_text,
    enum_converter,
    instance_of,
    items_of,
    limit,
    require_aware,
    require_date,
)
from crmcore._kernel._derived import derived
from crmcore._kernel._events import EventDraft, EventMeta
from crmcore._kernel._ids import (
    CustomerId,
    LeadId,
    OpportunityId,
    PipelineId,
    StaffId,
    TeamId,
)
from crmcore._kernel._involved import InvolvedContact, InvolvesContacts, check_involved_contacts
from crmcore._kernel._money import Money, money_at_least_zero
from crmcore._kernel._personal import ERASED, HoldsPersonalData
from crmcore._kernel._timeline import TimelineEntry
from crmcore.errors import TransitionNotAllowed, ValidationError
from crmcore.sales._opportunity_events import (
    OpportunityAmountChanged,
    OpportunityAnonymised,
    OpportunityCloseDateChanged,
    OpportunityContactsChanged,
    OpportunityCustomerRepointed,
    OpportunityLinesReplaced,
    OpportunityLost,
    OpportunityNextStepChanged,
    OpportunityOpened,
    OpportunityOwnerChanged,
    OpportunityReopened,
    OpportunityStageChanged,
    OpportunityWon,
)
from crmcore.sales._opportunity_lines import (
    MAX_OPPORTUNITY_LINES,
    OpportunityLine,
    check_lines,
    lines_amount,
)
from crmcore.sales._pipeline import PipelineDefinition, Stage, StageKind

#: Longest opportunity name, in characters.
MAX_NAME: Final = 200
#: Longest next step or stage-change reason, in characters.
MAX_TEXT: Final = 500
#: Most stage changes one opportunity may hold.
MAX_HISTORY: Final = 10_000

#: The kinds of stage an opportunity may move to, by the kind of stage it is in.
_NEXT_KINDS: Final[Mapping[StageKind, frozenset[StageKind]]] = MappingProxyType(
    {
        StageKind.OPEN: frozenset(StageKind),
        StageKind.LOST: frozenset({StageKind.OPEN}),
        StageKind.WON: frozenset(),
    }
)


def _text(value: object, path: str, what: str) -> str | None:
    if value is None:
        return None
    return clean_text(value, path, max_length=MAX_TEXT, allow_newlines=True, what=what)


# -- values ------------------------------------------------------------------------------


def _entry_stage(value: object) -> str:
    return check_name(value, "$.stage")


def _entry_kind(value: object) -> StageKind:
    return enum_converter(StageKind, "$.kind")(value)


def _entry_at(value: object) -> datetime:
    return aware("$.at")(value)


def _entry_reason(value: object) -> str | None:
    return _text(value, "$.reason", "a reason")


@attrs.frozen(slots=True)
class StageEntry:
    """One entry of an opportunity's stage history: the stage entered, its kind, when, why.

    The reason is free text (it may name people), so the repr leaves it out.
    """

    stage: str = attrs.field(converter=_entry_stage)
    kind: StageKind = attrs.field(converter=_entry_kind)
    at: datetime = attrs.field(converter=_entry_at)
    reason: str | None = attrs.field(default=None, converter=_entry_reason, repr=False)


# -- the aggregate -----------------------------------------------------------------------


def _opp_name(value: object) -> str:
    return clean_text(value, "$.name", max_length=MAX_NAME, what="a name")


def _opp_amount(value: object) -> Money:
    return money_at_least_zero(value, "$.amount")


def _opp_expected_close(value: object) -> date:
    return require_date(value, "$.expected_close")


def _opp_history(value: object) -> tuple[StageEntry, ...]:
    return items_of(
        value, StageEntry, "$.history", "a StageEntry", max_items=MAX_HISTORY, noun="stage changes"
    )


def _opp_next_step(value: object) -> str | None:
    return _text(value, "$.next_step", "a next step")


def _opp_next_step_due(value: object) -> date | None:
    return None if value is None else require_date(value, "$.next_step_due")


def _opp_contacts(value: object) -> tuple[InvolvedContact, ...]:
    return check_involved_contacts(value, "$.contacts")


def _from_lines(rule: str) -> ValidationError:
    return ValidationError(rule, path="$.amount", code="amount_from_lines")


def _won_frozen(path: str, what: str = "amount and currency") -> ValidationError:
    return ValidationError(f"a won opportunity's {what} are final", path=path, code="won_frozen")


def _allowed_stages(current: StageEntry, pipeline: PipelineDefinition | None) -> tuple[str, ...]:
    """The stage codes of ``pipeline`` an opportunity in ``current`` may move to, sorted."""
    if pipeline is None:
        return ()
    kinds = _NEXT_KINDS[current.kind]
    return tuple(
        sorted(s.code for s in pipeline.stages if s.kind in kinds and s.code != current.stage)
    )


def _check_move(
    before: StageEntry, after: StageEntry, path: str, pipeline: PipelineDefinition | None = None
) -> None:
    """The rules every stage change follows (for commands and for stored histories).

    A refused move is :class:`TransitionNotAllowed` at ``path``; its
    ``allowed`` lists the pipeline's stages allowed from ``before`` (empty
    when no pipeline is at hand, as when a stored history is checked).
    """
    if after.kind not in _NEXT_KINDS[before.kind]:
        allowed = _allowed_stages(before, pipeline)
        rule = f"an opportunity in {before.stage} cannot move to {after.stage}: "
        if before.kind is StageKind.WON:
            rule += "a won opportunity is final"
        else:
            rule += "a lost opportunity can only be reopened to an open stage"
            if allowed:
                rule += f"; it may move to: {', '.join(allowed)}"
        raise TransitionNotAllowed(
            rule,
            path=path,
            machine="opportunity",
            current=before.stage,
            wanted=after.stage,
            allowed=allowed,
        )
    if after.kind is StageKind.LOST and after.reason is None:
        raise ValidationError(
            "is required to lose an opportunity", path="$.reason", code="reason_required"
        )


@attrs.frozen(slots=True, kw_only=True, repr=False)
class Opportunity(
    InvolvesContacts[OpportunityId],
    RepointsCustomer[OpportunityId],
    HoldsPersonalData[OpportunityId],
    kind="opportunity",
):
    """A potential deal with a customer, moving through a pipeline's stages.

    Open one with :meth:`open`. Like every crmcore aggregate it is immutable:
    commands return a new opportunity and record events in
    :attr:`pending_events`; a command that fails raises
    :class:`~crmcore.ValidationError` and changes nothing. Every command takes
    the time it happens at, which must not be before the opportunity's last
    change (:attr:`updated_at`, code ``time_backwards``): times never go
    backwards. Every command also takes the envelope keywords ``actor``,
    ``correlation_id`` and ``causation_id`` (see :mod:`crmcore.events`).
    Stage changes take the :class:`~crmcore.sales.PipelineDefinition`, which
    must be the opportunity's.

    The name, next step and reasons are free text that may name people: the
    repr leaves them out, and so do the events. :meth:`anonymise` erases them
    (the name and a lost reason become ``"[erased]"``, the others ``None``);
    the amount, dates, stages and links stay.

    Attributes:
        history: every stage entered, oldest first; the first, an open stage,
            at ``created_at``.
        lead_id: the lead the opportunity was converted from, if any.
        contacts: the contacts involved and their roles (see
            :meth:`change_contacts`), in the order given: each contact in
            each role once, at most one primary.
        lines: the line items (see :meth:`replace_lines`), at most
            :data:`~crmcore.sales.MAX_OPPORTUNITY_LINES`, in one currency;
            while there are any, ``amount`` is the sum of their net amounts.
    """

    _repointed_by = OpportunityCustomerRepointed
    _customer_fields = ("customer_id",)
    _anonymised_by = OpportunityAnonymised
    personal_fields = ("name", "next_step", "stage_reasons")

    customer_id: CustomerId = attrs.field(validator=typed_id(CustomerId, "$.customer_id"))
    pipeline_id: PipelineId = attrs.field(validator=typed_id(PipelineId, "$.pipeline_id"))
    name: str = attrs.field(converter=_opp_name)
    amount: Money = attrs.field(converter=_opp_amount)
    expected_close: date = attrs.field(converter=_opp_expected_close)
    owner: StaffId = attrs.field(validator=typed_id(StaffId, "$.owner"))
    history: tuple[StageEntry, ...] = attrs.field(converter=_opp_history)
    next_step: str | None = attrs.field(default=None, converter=_opp_next_step)
    next_step_due: date | None = attrs.field(default=None, converter=_opp_next_step_due)
    lead_id: LeadId | None = attrs.field(
        default=None, validator=optional_typed_id(LeadId, "$.lead_id")
    )
    #: The team the opportunity belongs to, if any (its owner need not be a member).
    team: TeamId | None = attrs.field(default=None, validator=optional_typed_id(TeamId, "$.team"))
    contacts: tuple[InvolvedContact, ...] = attrs.field(default=(), converter=_opp_contacts)
    lines: tuple[OpportunityLine, ...] = attrs.field(
        default=(), converter=check_lines, metadata=limit(MAX_OPPORTUNITY_LINES)
    )

    _contacts_changed = OpportunityContactsChanged
    # The lines' total stays with a deal whose lines a command leaves alone.
    derived_inputs = MappingProxyType({"_lines_amount": ("lines",)})

    @derived
    def _lines_amount(self) -> Money | None:
        """The sum of the lines' net amounts (``None`` without lines)."""
        return lines_amount(self.lines) if self.lines else None

    def _check(self) -> None:
        if self.lines and self.amount != self._lines_amount:
            raise _from_lines("must be the sum of the lines' net amounts while there are lines")
        if not self.history:
            raise ValidationError(
                "must start with an open stage at the time the opportunity was created",
                path="$.history",
                code="history_start",
            )
        first = self.history[0]
        if first.kind is not StageKind.OPEN or first.at != self.created_at:
            raise ValidationError(
                "must start with an open stage at the time the opportunity was created",
                path="$.history[0]",
                code="history_start",
            )
        for index in range(1, len(self.history)):
            before, after = self.history[index - 1], self.history[index]
            path = f"$.history[{index}]"
            if after.at < before.at:
                raise ValidationError(
                    "must not be before the change before it",
                    path=f"{path}.at",
                    code="time_backwards",
                )
            if after.stage == before.stage:
                raise ValidationError(
                    "must move to another stage", path=f"{path}.stage", code="same_stage"
                )
            try:
                _check_move(before, after, f"{path}.stage")
            except ValidationError as exc:
                if exc.code == "reason_required":
                    raise exc.under(path) from None
                raise

    def _recorded_times(self) -> Iterable[datetime]:
        yield self.history[-1].at

    def _event_fields(self) -> Mapping[str, object]:
        return {"opportunity_id": self.id, "customer_id": self.customer_id}

    def _tombstones(self, fields: frozenset[str]) -> dict[str, object]:
        changes: dict[str, object] = {}
        if "name" in fields:
            changes["name"] = ERASED
        if "next_step" in fields:
            changes["next_step"] = None
        if "stage_reasons" in fields:
            # A lost stage needs a reason: it keeps a tombstone; every other reason goes.
            changes["history"] = tuple(
                attrs.evolve(e, reason=ERASED if e.kind is StageKind.LOST else None)
                for e in self.history
            )
        return changes

    @property
    def stage_reasons(self) -> tuple[str | None, ...]:
        """The reason given for each stage entered, in the order of :attr:`history`."""
        return tuple(entry.reason for entry in self.history)

    # -- construction ---------------------------------------------------------------------

    @classmethod
    def open(
        cls,
        opportunity_id: OpportunityId,
        *,
        customer_id: CustomerId,
        name: str,
        amount: Money | None = None,
        expected_close: date,
        owner: StaffId,
        pipeline: PipelineDefinition,
        at: datetime,
        stage: str | None = None,
        next_step: str | None = None,
        next_step_due: date | None = None,
        lead_id: LeadId | None = None,
        team: TeamId | None = None,
        contacts: Sequence[InvolvedContact] = (),
        lines: Sequence[OpportunityLine] = (),
        **meta: Unpack[EventMeta],
    ) -> Opportunity:
        """Open an opportunity at ``at`` in ``stage`` (the first open stage by default).

        ``owner`` is the member of staff responsible for it, ``team`` the team
        it belongs to (optional), ``contacts`` the contacts involved and their
        roles (optional; see :meth:`change_contacts`). With ``lines`` (see
        :meth:`replace_lines`) the amount is their nets' sum: leave ``amount``
        out (or give that sum). Records :class:`OpportunityOpened`, which
        carries the contacts and the lines.

        Raises:
            ValidationError: an argument breaks a rule (the path names it); the
                stage is unknown or not an open stage (``$.stage``); a contact
                is named twice in one role (``$.contacts[i]``, code
                ``duplicate``) or two are primary (``$.contacts[i].primary``,
                code ``multiple_primary``); no amount and no lines
                (``$.amount``, code ``required``), an amount other than the
                lines' sum (``$.amount``, ``amount_from_lines``).
            CurrencyMismatch: lines in two currencies (``$.lines[i].unit_price``).
        """
        checked = instance_of(PipelineDefinition, "a PipelineDefinition")(pipeline, "$.pipeline")
        command = cls._begin_new(at, meta)
        start = checked.first_open_stage if stage is None else checked.stage(stage)
        if start.kind is not StageKind.OPEN:
            raise ValidationError(
                "must be an open stage for a new opportunity", path="$.stage", code="not_open"
            )
        given = None if amount is None else money_at_least_zero(amount, "$.amount")
        items = check_lines(lines)
        if items:
            amount = lines_amount(items)
            if given is not None and given != amount:
                raise _from_lines("must be left out, or be the sum of the lines' net amounts")
        elif given is None:
            raise ValidationError(
                "is required to open an opportunity without lines", path="$.amount", code="required"
            )
        return cls._create(
            command,
            lambda opportunity: OpportunityOpened.draft(
                pipeline_id=opportunity.pipeline_id,
                stage=start.code,
                amount=opportunity.amount,
                expected_close=opportunity.expected_close,
                owner=opportunity.owner,
                lead_id=opportunity.lead_id,
                team=opportunity.team,
                contacts=opportunity.contacts,
                lines=opportunity.lines,
            ),
            id=opportunity_id,
            customer_id=customer_id,
            pipeline_id=checked.id,
            name=name,
            amount=amount,
            expected_close=expected_close,
            owner=owner,
            history=(StageEntry(start.code, start.kind, command.at),),
            next_step=next_step,
            next_step_due=next_step_due,
            lead_id=lead_id,
            team=team,
            contacts=contacts,
            lines=items,
        )

    # -- queries --------------------------------------------------------------------------

    @property
    def stage(self) -> str:
        """The current stage's code."""
        return self.history[-1].stage

    @property
    def kind(self) -> StageKind:
        """Whether the opportunity is open, won or lost."""
        return self.history[-1].kind

    @property
    def is_open(self) -> bool:
        """True while the opportunity is in an open stage."""
        return self.kind is StageKind.OPEN

    @property
    def is_won(self) -> bool:
        """True once the opportunity is won."""
        return self.kind is StageKind.WON

    @property
    def is_lost(self) -> bool:
        """True while the opportunity is lost."""
        return self.kind is StageKind.LOST

    @property
    def lost_reason(self) -> str | None:
        """Why the opportunity was lost, while it is lost (a reopen clears it)."""
        return self.history[-1].reason if self.is_lost else None

    @property
    def closed_at(self) -> datetime | None:
        """When the opportunity was won or lost, while it is closed."""
        return None if self.is_open else self.history[-1].at

    def stage_at(self, at: datetime) -> str | None:
        """The stage the opportunity stood in at ``at`` (``None`` before it was opened)."""
        when = require_aware(at, "$.at")
        index = bisect_right([entry.at for entry in self.history], when)
        return None if index == 0 else self.history[index - 1].stage

    def time_in_stages(
        self, at: datetime, *, pipeline: PipelineDefinition | None = None
    ) -> dict[str, timedelta]:
        """Total time spent in each stage up to ``at``.

        Stages come in the order first entered; with ``pipeline``, every
        stage of the pipeline comes first, in its order (zero if never
        entered). The current stage counts up to ``at``; changes after ``at``
        are ignored.
        """
        when = require_aware(at, "$.at")
        totals: dict[str, timedelta] = {}
        if pipeline is not None:
            checked = self._pipeline(pipeline)
            totals = dict.fromkeys((stage.code for stage in checked.stages), timedelta(0))
        for number, entry in enumerate(self.history):
            if entry.at >= when:
                break
            ends = self.history[number + 1].at if number + 1 < len(self.history) else when
            totals[entry.stage] = totals.get(entry.stage, timedelta(0)) + min(ends, when) - entry.at
        return totals

    def timeline_facts(self) -> tuple[TimelineEntry, ...]:
        """The opportunity's facts for a customer timeline (kind ``opportunity``).

        The opening and every stage change; summaries hold stage codes and
        ids, never the name or next step.
        """
        oid = self.id.value
        facts = [
            self._fact(
                self.created_at,
                "opportunity",
                oid,
                f"opportunity {oid} opened in {self.history[0].stage}",
            )
        ]
        facts.extend(
            self._fact(
                entry.at,
                "opportunity",
                f"{oid}/stage/{number}",
                f"opportunity {oid} moved to {entry.stage} ({entry.kind.value})",
            )
            for number, entry in enumerate(self.history[1:], start=1)
        )
        return tuple(facts)

    # -- command helpers --------------------------------------------------------------------

    def _pipeline(self, pipeline: object) -> PipelineDefinition:
        checked = instance_of(PipelineDefinition, "a PipelineDefinition")(pipeline, "$.pipeline")
        if checked.id != self.pipeline_id:
            raise ValidationError(
                "must be the opportunity's own pipeline", path="$.pipeline", code="other_pipeline"
            )
        return checked

    # -- commands -------------------------------------------------------------------------

    def move_to(
        self,
        stage: str,
        pipeline: PipelineDefinition,
        *,
        at: datetime,
        reason: str | None = None,
        **meta: Unpack[EventMeta],
    ) -> Opportunity:
        """Move to ``stage``; records :class:`OpportunityStageChanged` (or a subclass).

        Moving to a won stage records :class:`OpportunityWon`, to a lost stage
        :class:`OpportunityLost` (a ``reason`` is required), from a lost stage
        back to an open one :class:`OpportunityReopened`. Moving to the
        current stage changes nothing. The reason stays in the history; the
        event does not carry it.

        Raises:
            TransitionNotAllowed: the opportunity is won, or lost and the
                target is not open (``$.stage``, code ``transition``).
            ValidationError: the stage is not the pipeline's (code
                ``unknown_stage``), the target is lost and no reason is given
                (``$.reason``, ``reason_required``), or ``at`` goes backwards
                (``time_backwards``).
        """
        checked = self._pipeline(pipeline)
        target = checked.stage(stage)
        command = self._begin(at, meta)
        text = _text(reason, "$.reason", "a reason")
        if target.code == self.stage:
            return self
        return self._enter(command, target, text, checked)

    def _enter(
        self, command: Command, target: Stage, reason: str | None, pipeline: PipelineDefinition
    ) -> Opportunity:
        entry = StageEntry(target.code, target.kind, command.at, reason)
        current = self.history[-1]
        _check_move(current, entry, "$.stage", pipeline)
        if len(self.history) >= MAX_HISTORY:
            raise ValidationError(
                f"must hold at most {MAX_HISTORY} stage changes", path="$.history", code="too_many"
            )
        moved = {"from_stage": current.stage, "to_stage": target.code}
        draft: EventDraft
        if target.kind is StageKind.WON:
            draft = OpportunityWon.draft(amount=self.amount, **moved)
        elif target.kind is StageKind.LOST:
            draft = OpportunityLost.draft(**moved)
        elif current.kind is StageKind.LOST:
            draft = OpportunityReopened.draft(**moved)
        else:
            draft = OpportunityStageChanged.draft(**moved)
        return self._record(command, draft, history=(*self.history, entry))

    def win(
        self,
        pipeline: PipelineDefinition,
        *,
        at: datetime,
        stage: str | None = None,
        reason: str | None = None,
        **meta: Unpack[EventMeta],
    ) -> Opportunity:
        """Close as won (in the pipeline's first won stage unless ``stage`` names another).

        From then on the amount and its currency are frozen. Records :class:`OpportunityWon`.

        Raises:
            TransitionNotAllowed: the opportunity is not open (code ``transition``).
            ValidationError: ``stage`` is not a won stage of the pipeline (``not_won``).
        """
        return self._close(StageKind.WON, pipeline, stage, reason, at=at, meta=meta)

    def lose(
        self,
        pipeline: PipelineDefinition,
        *,
        at: datetime,
        reason: str | None = None,
        stage: str | None = None,
        **meta: Unpack[EventMeta],
    ) -> Opportunity:
        """Close as lost, saying why (in the first lost stage unless ``stage`` names another).

        Records :class:`OpportunityLost`; the reason stays in the opportunity
        (:attr:`lost_reason`), not in the event.

        Raises:
            TransitionNotAllowed: the opportunity is not open (code ``transition``).
            ValidationError: no ``reason`` for an open opportunity (``$.reason``,
                code ``reason_required``), or ``stage`` is not a lost stage (``not_lost``).
        """
        return self._close(StageKind.LOST, pipeline, stage, reason, at=at, meta=meta)

    def _close(
        self,
        kind: StageKind,
        pipeline: PipelineDefinition,
        stage: str | None,
        reason: str | None,
        *,
        at: datetime,
        meta: EventMeta,
    ) -> Opportunity:
        """Move to ``stage`` or the pipeline's first stage of ``kind``: :meth:`win` and :meth:`lose`."""
        checked = self._pipeline(pipeline)
        first = checked.won_stages if kind is StageKind.WON else checked.lost_stages
        target = first[0] if stage is None else checked.stage(stage)
        if target.kind is not kind:
            raise ValidationError(
                f"must be a {kind.value} stage", path="$.stage", code=f"not_{kind.value}"
            )
        command = self._begin(at, meta)
        return self._enter(command, target, _text(reason, "$.reason", "a reason"), checked)

    def reopen(
        self,
        pipeline: PipelineDefinition,
        *,
        at: datetime,
        stage: str | None = None,
        reason: str | None = None,
        **meta: Unpack[EventMeta],
    ) -> Opportunity:
        """Reopen a lost opportunity, in the open stage it was lost from unless told otherwise.

        The lost reason is cleared. Records :class:`OpportunityReopened`.
        (Before the aggregate kernel this command was called ``restore``.)

        Raises:
            TransitionNotAllowed: the opportunity is not lost, or ``stage`` is
                not an open stage (``$.stage``, code ``transition``).
            ValidationError: ``stage`` is not a stage of the pipeline (``unknown_stage``).
        """
        checked = self._pipeline(pipeline)
        command = self._begin(at, meta)
        if not self.is_lost:
            raise TransitionNotAllowed(
                f"only a lost opportunity can be reopened; one in {self.stage} "
                f"is {self.kind.value}",
                path="$.stage",
                machine="opportunity",
                current=self.stage,
                wanted=stage if stage is not None and checked.has_stage(stage) else None,
                allowed=(),
            )
        if stage is None:
            previous = next(
                entry.stage for entry in reversed(self.history) if entry.kind is StageKind.OPEN
            )
            target = (
                checked.stage(previous) if checked.has_stage(previous) else checked.first_open_stage
            )
        else:
            target = checked.stage(stage)
        return self._enter(command, target, _text(reason, "$.reason", "a reason"), checked)

    def change_amount(
        self, amount: Money, *, at: datetime, **meta: Unpack[EventMeta]
    ) -> Opportunity:
        """Change the amount (its currency too) while not won; records :class:`OpportunityAmountChanged`.

        Raises:
            ValidationError: the opportunity is won (code ``won_frozen``), it
                has lines, from which the amount comes (code
                ``amount_from_lines``: replace the lines, or remove them), or
                the amount is negative.
        """
        command = self._begin(at, meta)
        money = money_at_least_zero(amount, "$.amount")
        if self.is_won:
            raise _won_frozen("$.amount")
        if self.lines:
            raise _from_lines(
                "comes from the lines while there are lines: replace them, or remove them"
            )
        if money == self.amount:
            return self
        draft = OpportunityAmountChanged.draft(amount=money, previous=self.amount)
        return self._record(command, draft, amount=money)

    def replace_lines(
        self, lines: Iterable[OpportunityLine], *, at: datetime, **meta: Unpack[EventMeta]
    ) -> Opportunity:
        """Replace every line item; records :class:`OpportunityLinesReplaced`.

        While the opportunity has lines its amount is the exact sum of their
        net amounts (so its currency is theirs); replacing them with none
        keeps the amount it has and makes it editable again
        (:meth:`change_amount`). Lines equal to those it has change nothing.
        A won opportunity's lines are final, like its amount.

        Raises:
            InvalidType: not a sequence of OpportunityLine (``$.lines[i]``).
            CurrencyMismatch: lines in two currencies (``$.lines[i].unit_price``).
            ValidationError: more than :data:`~crmcore.sales.MAX_OPPORTUNITY_LINES`
                lines (``$.lines``, code ``too_many``), nets whose sum Money
                cannot hold (``$.lines``), the opportunity is won (``$.lines``,
                code ``won_frozen``), or ``at`` goes backwards (``time_backwards``).
        """
        command = self._begin(at, meta)
        items = check_lines(lines)
        if self.is_won:
            raise _won_frozen("$.lines", "lines, amount and currency")
        if items == self.lines:
            return self
        amount = lines_amount(items) if items else self.amount
        draft = OpportunityLinesReplaced.draft(lines=items, amount=amount, previous=self.amount)
        return self._record(command, draft, lines=items, amount=amount)

    def change_expected_close(
        self, expected_close: date, *, at: datetime, **meta: Unpack[EventMeta]
    ) -> Opportunity:
        """Move the expected close date of an open opportunity; records :class:`OpportunityCloseDateChanged`."""
        command = self._begin(at, meta)
        day = require_date(expected_close, "$.expected_close")
        if not self.is_open:
            raise ValidationError(
                "only an open opportunity has an expected close date to move",
                path="$.expected_close",
                code="closed",
            )
        if day == self.expected_close:
            return self
        draft = OpportunityCloseDateChanged.draft(expected_close=day, previous=self.expected_close)
        return self._record(command, draft, expected_close=day)

    def assign(
        self,
        owner: StaffId,
        team: TeamId | EllipsisType | None = ...,
        *,
        at: datetime,
        **meta: Unpack[EventMeta],
    ) -> Opportunity:
        """Reassign the opportunity to ``owner`` and ``team``; records :class:`OpportunityOwnerChanged`.

        ``team=None`` takes the opportunity out of its team; leaving ``team``
        out keeps the team it has. Giving the owner and team it already has
        changes nothing and records nothing.
        (Before the aggregate kernel this command was called ``reassign``.)

        Raises:
            InvalidType: ``owner`` is not a StaffId (``$.owner``) or ``team``
                not a TeamId or ``None`` (``$.team``).
        """
        command = self._begin(at, meta)
        return self._assign_owner(
            "owner", owner, team, OpportunityOwnerChanged, command, required=True
        )

    def set_next_step(
        self,
        next_step: str | None,
        *,
        at: datetime,
        due: date | None = None,
        **meta: Unpack[EventMeta],
    ) -> Opportunity:
        """Set (or clear, with ``None``) the next step and its due date; records :class:`OpportunityNextStepChanged`.

        The text stays in the opportunity; the event carries only the due date.
        """
        command = self._begin(at, meta)
        text = _opp_next_step(next_step)
        day = _opp_next_step_due(due)
        if text is None and day is not None:
            raise ValidationError(
                "a due date needs a next step", path="$.due", code="due_without_step"
            )
        if (text, day) == (self.next_step, self.next_step_due):
            return self
        draft = OpportunityNextStepChanged.draft(due=day)
        return self._record(command, draft, next_step=text, next_step_due=day)

    def __repr__(self) -> str:
        return (
            f"Opportunity(id={self.id!r}, customer_id={self.customer_id!r}, "
            f"stage={self.stage!r}, kind={self.kind.value!r}, amount={self.amount!r}, "
            f"expected_close={self.expected_close.isoformat()!r}, "
            f"version={self.version}, pending_events={len(self.pending_events)})"
        )
