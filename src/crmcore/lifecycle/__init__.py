"""Customer lifecycles: a declarative state machine engine and the standard CRM journeys.

A :class:`LifecycleDefinition` declares stages and the triggers that move a
customer between them; :meth:`~LifecycleDefinition.fire` returns a new
:class:`~crmcore.Customer` whose ``lifecycle`` holds the current stage and an
append-only history, and records a ``CustomerStageChanged`` event. Two
standard definitions ship: :data:`RELATIONSHIP_LADDER` (suspect → … → partner,
with lapsed and churned) and :data:`CRM_STAGES` (lead generation → … →
loyalty). :func:`progress` moves customers along the ladder from facts
(:func:`ladder_facts` reads the relationship facts: partner relationships,
loyalty enrolments, referrals), and
:func:`plan_progression` with :func:`apply_progression` does it for many
customers at once, loading only those who move;
:func:`time_in_stages`, :func:`stage_distribution` and :func:`funnel` read
histories back.

>>> from datetime import datetime, timezone
>>> from crmcore import Customer, CustomerId, PersonName
>>> t0 = datetime(2026, 1, 5, 9, 0, tzinfo=timezone.utc)
>>> ana = Customer.register(CustomerId("c-1"), name=PersonName("Ana"), at=t0)
>>> ana = RELATIONSHIP_LADDER.fire(ana, "qualify", at=t0, actor="agent-7")
>>> ana.lifecycle.stage, [c.trigger for c in ana.lifecycle.history]
('prospect', ['start', 'qualify'])
>>> ana.pending_events[-1]
CustomerStageChanged(sequence=2, occurred_at=..., customer_id=CustomerId('c-1'), definition='relationship_ladder', from_stage='suspect', to_stage='prospect', trigger='qualify')
>>> RELATIONSHIP_LADDER.fire(ana, "become_partner", at=t0)
Traceback (most recent call last):
...
crmcore.errors.TransitionNotAllowed: $.trigger: trigger 'become_partner' is not allowed from stage 'prospect'; allowed: first_purchase, demote
"""

from crmcore.customers import START_TRIGGER
from crmcore.errors import TransitionNotAllowed
from crmcore.lifecycle._batch import (
    PlannedMove,
    ProgressionRow,
    apply_progression,
    plan_progression,
)
from crmcore.lifecycle._definition import (
    MAX_STATES,
    MAX_TRANSITIONS,
    Guard,
    LifecycleDefinition,
    State,
    Transition,
)
from crmcore.lifecycle._errors import InvalidDefinition
from crmcore.lifecycle._insight import (
    Flow,
    Funnel,
    FunnelStep,
    StageCount,
    StageDistribution,
    funnel,
    stage_at,
    stage_distribution,
    time_in_stages,
)
from crmcore.lifecycle._progression import (
    DEFAULT_POLICY,
    Facts,
    ProgressionPolicy,
    ProgressionRule,
    Step,
    justified_rung,
    progress,
    progression_steps,
)
from crmcore.lifecycle._standard import (
    CRM_STAGE_FOR_LADDER_STAGE,
    CRM_STAGES,
    LADDER_RUNGS,
    RELATIONSHIP_LADDER,
    RELATIONSHIP_RUNGS,
    CrmStage,
    LadderStage,
    crm_stage_for,
)
from crmcore.lifecycle._standing import ladder_facts

__all__ = [
    "CRM_STAGES",
    "CRM_STAGE_FOR_LADDER_STAGE",
    "DEFAULT_POLICY",
    "LADDER_RUNGS",
    "MAX_STATES",
    "MAX_TRANSITIONS",
    "RELATIONSHIP_LADDER",
    "RELATIONSHIP_RUNGS",
    "START_TRIGGER",
    "CrmStage",
    "Facts",
    "Flow",
    "Funnel",
    "FunnelStep",
    "Guard",
    "InvalidDefinition",
    "LadderStage",
    "LifecycleDefinition",
    "PlannedMove",
    "ProgressionPolicy",
    "ProgressionRow",
    "ProgressionRule",
    "StageCount",
    "StageDistribution",
    "State",
    "Step",
    "Transition",
    "TransitionNotAllowed",
    "apply_progression",
    "crm_stage_for",
    "funnel",
    "justified_rung",
    "ladder_facts",
    "plan_progression",
    "progress",
    "progression_steps",
    "stage_at",
    "stage_distribution",
    "time_in_stages",
]
