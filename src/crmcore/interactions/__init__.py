"""Interactions: every touchpoint with a customer, and the timeline that merges them with everything else."""

from crmcore._kernel._ids import InteractionId
from crmcore._kernel._timeline import TimelineEntry, TimelineFact, timeline
from crmcore.interactions._interaction import (
    Direction,
    Interaction,
    InteractionAnonymised,
    InteractionCustomerRepointed,
    InteractionEvent,
    InteractionKind,
    InteractionLinked,
    InteractionLogged,
)

__all__ = [
    "Direction",
    "Interaction",
    "InteractionAnonymised",
    "InteractionCustomerRepointed",
    "InteractionEvent",
    "InteractionId",
    "InteractionKind",
    "InteractionLinked",
    "InteractionLogged",
    "TimelineEntry",
    "TimelineFact",
    "timeline",
]
