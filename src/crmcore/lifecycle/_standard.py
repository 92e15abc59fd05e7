"""The standard lifecycles: the relationship ladder and the stages of CRM work."""

from __future__ import annotations

from enum import StrEnum
from itertools import pairwise
from typing import Final

from crmcore.customers import FrozenMap
from crmcore.lifecycle._definition import LifecycleDefinition, State, Transition


class LadderStage(StrEnum):
    """The stages of :data:`RELATIONSHIP_LADDER` (each equal to its plain name)."""

    SUSPECT = "suspect"
    PROSPECT = "prospect"
    FIRST_TIME_CUSTOMER = "first_time_customer"
    REPEAT_CUSTOMER = "repeat_customer"
    CLIENT = "client"
    MEMBER = "member"
    ADVOCATE = "advocate"
    PARTNER = "partner"
    LAPSED = "lapsed"
    CHURNED = "churned"


class CrmStage(StrEnum):
    """The stages of :data:`CRM_STAGES` (each equal to its plain name)."""

    LEAD_GENERATION = "lead_generation"
    ACQUISITION = "acquisition"
    ENHANCEMENT = "enhancement"
    RETENTION = "retention"
    LOYALTY = "loyalty"


_L = LadderStage

#: The rungs of the ladder, lowest first (lapsed and churned are off the ladder).
LADDER_RUNGS: Final[tuple[str, ...]] = (
    _L.SUSPECT.value,
    _L.PROSPECT.value,
    _L.FIRST_TIME_CUSTOMER.value,
    _L.REPEAT_CUSTOMER.value,
    _L.CLIENT.value,
    _L.MEMBER.value,
    _L.ADVOCATE.value,
    _L.PARTNER.value,
)
_BUYERS: Final = LADDER_RUNGS[2:]
#: The rungs a relationship holds (loyalty enrolment, referrals, a partner relationship).
RELATIONSHIP_RUNGS: Final[tuple[str, ...]] = LADDER_RUNGS[5:]
_INACTIVE: Final = (_L.LAPSED.value, _L.CHURNED.value)


def _win_back(target: str) -> Transition:
    return Transition(f"win_back_to_{target}", _INACTIVE, target)


def _demotions() -> list[Transition]:
    # One "demote" trigger, one rung down from each rung above the first.
    return [Transition("demote", higher, lower) for lower, higher in pairwise(LADDER_RUNGS)]


def _step_downs() -> list[Transition]:
    # The way off a relationship rung, to any lower rung: one trigger per target.
    return [
        Transition(
            f"step_down_to_{lower}",
            tuple(rung for rung in RELATIONSHIP_RUNGS if position < LADDER_RUNGS.index(rung)),
            lower,
        )
        for position, lower in enumerate(LADDER_RUNGS[:-1])
    ]


#: The relationship ladder: suspect → prospect → first-time customer → repeat
#: customer → client → member → advocate → partner, with lapsed and churned
#: beside it. Promotions may skip rungs where the facts allow (a first-time
#: customer can join the loyalty program at once); ``lapse`` and ``churn``
#: take a buying customer off the ladder;
#: ``win_back_to_<rung>`` brings them back to the rung their facts justify;
#: ``step_down_to_<rung>`` leaves a relationship rung whose relationship has
#: ended; ``demote`` moves one rung down explicitly.
RELATIONSHIP_LADDER: Final = LifecycleDefinition(
    "relationship_ladder",
    states=[
        State(_L.SUSPECT, group="potential", label="suspect"),
        State(_L.PROSPECT, group="potential", label="prospect"),
        State(_L.FIRST_TIME_CUSTOMER, group="customer", label="first-time customer"),
        State(_L.REPEAT_CUSTOMER, group="customer", label="repeat customer"),
        State(_L.CLIENT, group="customer", label="client"),
        State(_L.MEMBER, group="loyal", label="member"),
        State(_L.ADVOCATE, group="loyal", label="advocate"),
        State(_L.PARTNER, group="loyal", label="partner"),
        State(_L.LAPSED, group="inactive", label="lapsed"),
        State(_L.CHURNED, group="inactive", label="churned"),
    ],
    initial=_L.SUSPECT,
    transitions=[
        Transition("qualify", _L.SUSPECT, _L.PROSPECT),
        Transition("first_purchase", (_L.SUSPECT, _L.PROSPECT), _L.FIRST_TIME_CUSTOMER),
        Transition("repeat_purchase", _L.FIRST_TIME_CUSTOMER, _L.REPEAT_CUSTOMER),
        Transition("become_client", _L.REPEAT_CUSTOMER, _L.CLIENT),
        Transition("join_loyalty", _BUYERS[:3], _L.MEMBER),
        Transition("become_advocate", _BUYERS[:4], _L.ADVOCATE),
        Transition("become_partner", _BUYERS[:5], _L.PARTNER),
        Transition("lapse", _BUYERS, _L.LAPSED),
        Transition("churn", (*_BUYERS, _L.LAPSED), _L.CHURNED),
        *(_win_back(rung) for rung in _BUYERS),
        *_demotions(),
        *_step_downs(),
    ],
    funnel=LADDER_RUNGS,
)

_C = CrmStage

#: The stages of CRM work: lead generation → acquisition → enhancement (cross-
#: and up-sell) → retention → loyalty, grouped as acquire / enhance / retain.
#: ``at_risk`` sends a loyal customer back to retention work, ``win_back``
#: returns a retained customer to enhancement, ``disqualify`` and ``demote``
#: step back one stage.
CRM_STAGES: Final = LifecycleDefinition(
    "crm_stages",
    states=[
        State(_C.LEAD_GENERATION, group="acquire", label="lead generation"),
        State(_C.ACQUISITION, group="acquire", label="acquisition"),
        State(_C.ENHANCEMENT, group="enhance", label="enhancement"),
        State(_C.RETENTION, group="retain", label="retention"),
        State(_C.LOYALTY, group="retain", label="loyalty"),
    ],
    initial=_C.LEAD_GENERATION,
    transitions=[
        Transition("qualify", _C.LEAD_GENERATION, _C.ACQUISITION),
        Transition("convert", (_C.LEAD_GENERATION, _C.ACQUISITION), _C.ENHANCEMENT),
        Transition("retain", _C.ENHANCEMENT, _C.RETENTION),
        Transition("reward_loyalty", (_C.ENHANCEMENT, _C.RETENTION), _C.LOYALTY),
        Transition("at_risk", _C.LOYALTY, _C.RETENTION),
        Transition("win_back", _C.RETENTION, _C.ENHANCEMENT),
        Transition("disqualify", _C.ACQUISITION, _C.LEAD_GENERATION),
        Transition("demote", _C.ENHANCEMENT, _C.ACQUISITION),
    ],
)

#: Which stage of CRM work each rung of the ladder calls for.
CRM_STAGE_FOR_LADDER_STAGE: Final[FrozenMap[str, str]] = FrozenMap(
    {
        _L.SUSPECT.value: _C.LEAD_GENERATION.value,
        _L.PROSPECT.value: _C.ACQUISITION.value,
        _L.FIRST_TIME_CUSTOMER.value: _C.ENHANCEMENT.value,
        _L.REPEAT_CUSTOMER.value: _C.ENHANCEMENT.value,
        _L.CLIENT.value: _C.RETENTION.value,
        _L.MEMBER.value: _C.LOYALTY.value,
        _L.ADVOCATE.value: _C.LOYALTY.value,
        _L.PARTNER.value: _C.LOYALTY.value,
        _L.LAPSED.value: _C.RETENTION.value,
        _L.CHURNED.value: _C.RETENTION.value,
    }
)


def crm_stage_for(ladder_stage: str) -> str:
    """The stage of CRM work a rung of the relationship ladder calls for.

    Align a customer's CRM stage with their ladder stage with
    ``CRM_STAGES.move_to(customer, crm_stage_for(...), at=...)``.

    >>> crm_stage_for("first_time_customer"), crm_stage_for("lapsed")
    ('enhancement', 'retention')
    """
    return CRM_STAGE_FOR_LADDER_STAGE[RELATIONSHIP_LADDER.state(ladder_stage).name]
