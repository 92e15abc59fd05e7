"""How the contract builds and changes the aggregates of interactions."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import TypeVar

from crmcore.customers import (
    Channel,
)
from crmcore.interactions import Interaction, InteractionId
from crmcore.sales import OpportunityId
from crmcore.testing.contract._service import _CASE_LINKS
from crmcore.testing.contract._support import _customer_id

E = TypeVar("E", bound=BaseException)

#: When the contract's commands happen.
T0 = datetime(2026, 1, 5, 9, 0, tzinfo=UTC)
#: Small pools of natural key values, so that collisions happen often.
EMAILS = ("ana@example.com", "budi@example.com", "citra@example.com", "dewi@example.com")
PHONES = ("+6281200000001", "+6281200000002", "+6281200000003")
_PHONE_CHANNELS = frozenset({Channel.PHONE, Channel.SMS, Channel.WHATSAPP})


def _make_interaction(number: int, customer: int) -> Interaction:
    return Interaction.log(
        InteractionId(f"i-{number:04d}"),
        customer_id=_customer_id(customer),
        kind="call",
        channel="phone",
        direction="inbound",
        at=T0,
        case_id=_CASE_LINKS[number % 3] if number % 2 else None,
    )


def _change_interaction(interaction: Interaction) -> Interaction:
    """Link the interaction to the next case, and to an opportunity."""
    current = -1 if interaction.case_id is None else _CASE_LINKS.index(interaction.case_id)
    return interaction.link(
        at=T0,
        case_id=_CASE_LINKS[(current + 1) % len(_CASE_LINKS)],
        opportunity_id=OpportunityId("opp-1"),
    )
