"""How the contract builds and changes the aggregates of service."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import TypeVar

from crmcore._kernel._ids import StaffId
from crmcore.commerce import (
    OrderId,
)
from crmcore.customers import (
    Channel,
)
from crmcore.service import Case, CaseId, CaseStatus
from crmcore.testing.contract._support import _customer_id

E = TypeVar("E", bound=BaseException)

#: When the contract's commands happen.
T0 = datetime(2026, 1, 5, 9, 0, tzinfo=UTC)
#: Small pools of natural key values, so that collisions happen often.
EMAILS = ("ana@example.com", "budi@example.com", "citra@example.com", "dewi@example.com")
PHONES = ("+6281200000001", "+6281200000002", "+6281200000003")
_PHONE_CHANNELS = frozenset({Channel.PHONE, Channel.SMS, Channel.WHATSAPP})


_CASE_LINKS = tuple(CaseId(f"case-{n}") for n in range(3))


_AGENTS = (StaffId("agent-1"), StaffId("agent-2"))


def _make_case(number: int, customer: int) -> Case:
    return Case.open(
        CaseId(f"case-{number:04d}"),
        customer_id=_customer_id(customer),
        kind="complaint",
        subject="Parcel arrived damaged",
        channel="email",
        at=T0,
        assignee=_AGENTS[number % 2] if number % 3 else None,
        order_id=OrderId(f"o-{number % 3:04d}"),
    )


def _change_case(case: Case) -> Case:
    """Hand the case to the other agent and move it one status on."""
    current = case.assignee
    case = case.assign(_AGENTS[1] if current == _AGENTS[0] else _AGENTS[0], at=T0)
    if case.first_responded_at is None:
        return case.respond(at=T0)
    moves = {
        CaseStatus.OPEN: CaseStatus.PENDING_CUSTOMER,
        CaseStatus.PENDING_CUSTOMER: CaseStatus.RESOLVED,
        CaseStatus.RESOLVED: CaseStatus.CLOSED,
        CaseStatus.CLOSED: CaseStatus.OPEN,
    }
    return case.change_status(moves[case.status], at=T0)
