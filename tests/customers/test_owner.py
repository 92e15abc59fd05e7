"""What is particular to a customer's owner and team: its registration event and old events.

The rules every aggregate with an owner shares (creation, ``assign``, its event,
documents) are tested over every such aggregate in ``tests/kernel/test_assignment.py``;
a customer's assignment event names the previous owner ``previous_owner``.
"""

from datetime import datetime, timedelta, timezone

from crmcore import DomainEvent, StaffId
from crmcore.customers import ContactPoint, Customer, CustomerId, PersonName
from crmcore.serialization import from_dict, to_dict
from crmcore.teams import TeamId

WIB = timezone(timedelta(hours=7))
T0 = datetime(2026, 1, 5, 9, 0, tzinfo=WIB)
HOUR = timedelta(hours=1)
REP1, REP2 = StaffId("rep-1"), StaffId("rep-2")
JKT, SBY = TeamId("team-jkt"), TeamId("team-sby")


def ana(**options) -> Customer:
    return Customer.register(
        CustomerId("c-1"),
        name=PersonName("Ana", family="Putri"),
        at=T0,
        contact_points=[ContactPoint("email", "ana.putri@example.com")],
        **options,
    )


def test_no_personal_data_in_the_registration_or_assignment_events():
    moved = ana(owner=REP1, team=JKT).assign(REP2, SBY, at=T0 + HOUR)
    for event in moved.pending_events[:1] + moved.pending_events[-1:]:
        document = str(to_dict(event))
        assert "Ana" not in document
        assert "Putri" not in document
        assert "example.com" not in document


def test_a_reassignment_event_without_previous_values_loads():
    event = ana().assign(REP1, JKT, at=T0 + HOUR).pending_events[-1]
    document = to_dict(event)
    del document["previous_owner"]
    del document["previous_team"]
    assert from_dict(DomainEvent, document) == event
