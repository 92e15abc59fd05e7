"""Domain events: the one envelope every event carries, and the registry of event types.

Every command of every aggregate records what happened as events in the new
aggregate's ``pending_events``; the unit of work hands them to the host
application (an outbox, a message bus, an audit trail), at least once, until
acknowledged. Whatever the aggregate, each event carries the same envelope:

=================  ========================================================================
``event_id``       ``"{aggregate_kind}:{aggregate_id}#{sequence}"``: derived, never random;
                   the same event handed out twice has the same id, so consumers deduplicate
``aggregate_kind`` the kind of aggregate that recorded it: ``"customer"``, ``"order"``, ...
``aggregate_id``   that aggregate's id, as text
``sequence``       the event's position in the aggregate's history: 1, 2, 3, ... without gaps
``occurred_at``    when it happened (timezone-aware), the ``at`` the command was given
``actor``          who did it, if the caller passed ``actor=`` to the command
``correlation_id`` the request or job it belongs to, if the caller passed it
``causation_id``   the event or message that caused it, if the caller passed it
=================  ========================================================================

Every command accepts ``actor``, ``correlation_id`` and ``causation_id`` as
keywords (:class:`EventMeta`). Events name the records they concern by id and
never copy personal data such as names, addresses or free text.

>>> from datetime import datetime, timezone
>>> from crmcore import Customer, CustomerId, PersonName
>>> at = datetime(2026, 3, 1, 9, 0, tzinfo=timezone.utc)
>>> ana = Customer.register(CustomerId("c-1"), name=PersonName("Ana"), at=at, actor="agent-7")
>>> ana = ana.add_tag("vip", at=at, actor="agent-7", correlation_id="req-42")
>>> [(e.event_id, e.type, e.actor, e.correlation_id) for e in ana.pending_events]
[('customer:c-1#1', 'CustomerRegistered', 'agent-7', None), ('customer:c-1#2', 'CustomerTagAdded', 'agent-7', 'req-42')]
"""

from crmcore._kernel._events import DomainEvent, EventMeta, event_types

__all__ = ["DomainEvent", "EventMeta", "event_types"]
