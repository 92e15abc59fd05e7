"""The events an :class:`~crmcore.sales.Opportunity` records.

Opportunity events carry ids, stage codes, dates and Money (and line items:
product ids, quantities and Money), never the opportunity's name, next step
or reasons.
"""

from __future__ import annotations

from datetime import date

import attrs

from crmcore._kernel._events import DomainEvent
from crmcore._kernel._ids import CustomerId, LeadId, OpportunityId, PipelineId, StaffId, TeamId
from crmcore._kernel._involved import InvolvedContact
from crmcore._kernel._money import Money
from crmcore._kernel._personal import PersonalDataErasedEvent
from crmcore._kernel._repoint import CustomerRepointedEvent
from crmcore.sales._opportunity_lines import OpportunityLine

# -- events ------------------------------------------------------------------------------


@attrs.frozen(slots=True, kw_only=True)
class OpportunityEvent(DomainEvent, aggregate="opportunity"):
    """Base of the events recorded by an :class:`Opportunity`.

    Opportunity events never carry its name, next step or reasons: a handler
    that needs them loads the opportunity.
    """

    opportunity_id: OpportunityId
    customer_id: CustomerId


@attrs.frozen(slots=True, kw_only=True)
class OpportunityOpened(OpportunityEvent):
    """An opportunity was opened (its name and next step stay in the record)."""

    pipeline_id: PipelineId
    stage: str
    amount: Money
    expected_close: date
    owner: StaffId
    lead_id: LeadId | None = None
    team: TeamId | None = None
    #: The contacts involved from the start (events stored before contacts load with none).
    contacts: tuple[InvolvedContact, ...] = ()
    #: The lines opened with, whose nets make ``amount`` (events stored before lines: none).
    lines: tuple[OpportunityLine, ...] = ()


@attrs.frozen(slots=True, kw_only=True)
class OpportunityStageChanged(OpportunityEvent):
    """The opportunity moved to another stage (any reason given stays in its history).

    Wins, losses and reopenings are recorded as the subclasses
    :class:`OpportunityWon`, :class:`OpportunityLost` and
    :class:`OpportunityReopened`, so a handler of this class sees every move.
    With ``customer_id``, ``from_stage``, ``to_stage`` and ``occurred_at``
    these events feed :func:`crmcore.analytics.stage_conversion` as they are.
    """

    from_stage: str
    to_stage: str


@attrs.frozen(slots=True, kw_only=True)
class OpportunityWon(OpportunityStageChanged):
    """The opportunity was won; ``amount`` is the final, frozen amount."""

    amount: Money


@attrs.frozen(slots=True, kw_only=True)
class OpportunityLost(OpportunityStageChanged):
    """The opportunity was lost (the reason is in :attr:`Opportunity.lost_reason`)."""


@attrs.frozen(slots=True, kw_only=True)
class OpportunityReopened(OpportunityStageChanged):
    """A lost opportunity was reopened in an open stage; its lost reason is cleared."""


@attrs.frozen(slots=True, kw_only=True)
class OpportunityAmountChanged(OpportunityEvent):
    """The opportunity's amount changed (maybe its currency too)."""

    amount: Money
    previous: Money


@attrs.frozen(slots=True, kw_only=True)
class OpportunityLinesReplaced(OpportunityEvent):
    """The opportunity's lines were replaced (``lines`` is the whole new list, maybe empty).

    ``amount`` is the amount after the change: the sum of the lines' net
    amounts, or, when the lines were removed, the amount kept from before;
    ``previous`` is the amount before. Lines hold ids, quantities and Money only.
    """

    lines: tuple[OpportunityLine, ...]
    amount: Money
    previous: Money


@attrs.frozen(slots=True, kw_only=True)
class OpportunityCloseDateChanged(OpportunityEvent):
    """The expected close date moved."""

    expected_close: date
    previous: date


@attrs.frozen(slots=True, kw_only=True)
class OpportunityOwnerChanged(OpportunityEvent):
    """The opportunity was reassigned: its owner, its team or both changed.

    ``owner`` and ``team`` are the new values, ``previous`` and
    ``previous_team`` the old ones (equal to the new ones for the part that
    did not change). Events stored before opportunities had teams load with
    both teams ``None``.
    """

    owner: StaffId
    previous: StaffId
    team: TeamId | None = None
    previous_team: TeamId | None = None


@attrs.frozen(slots=True, kw_only=True)
class OpportunityContactsChanged(OpportunityEvent):
    """The contacts involved in the opportunity, or their roles, changed.

    ``contacts`` is the whole new list and ``previous`` the list before, each
    an :class:`~crmcore.parties.InvolvedContact` (a customer id, a role code
    and the primary flag: ids and codes, never names).
    """

    contacts: tuple[InvolvedContact, ...]
    previous: tuple[InvolvedContact, ...]


@attrs.frozen(slots=True, kw_only=True)
class OpportunityNextStepChanged(OpportunityEvent):
    """The next step was set or cleared (its text stays in the record); ``due`` is its date."""

    due: date | None = None


@attrs.frozen(slots=True, kw_only=True)
class OpportunityCustomerRepointed(CustomerRepointedEvent, OpportunityEvent):
    """The opportunity names ``customer_id``, the customer ``previous`` was merged into.

    ``fields`` names the fields that named ``previous``.
    """

    previous: CustomerId
    fields: tuple[str, ...]


@attrs.frozen(slots=True, kw_only=True)
class OpportunityAnonymised(PersonalDataErasedEvent, OpportunityEvent):
    """The opportunity's personal fields (``fields``: name, next step, stage reasons) were erased."""

    fields: tuple[str, ...]
