"""The domain-event base every aggregate's events derive from."""

from __future__ import annotations

import sys
from collections.abc import Mapping
from datetime import datetime
from typing import ClassVar

import attrs

from crmcore._kernel._checks import aware

__all__ = ["DomainEvent", "event_types"]


def _domainevent_occurred_at(value: object) -> datetime:
    return aware("$.occurred_at")(value)


@attrs.frozen(slots=True, kw_only=True)
class DomainEvent:
    """Base of every domain event.

    Attributes:
        occurred_at: when it happened (timezone-aware).
    """

    abstract_event: ClassVar[bool] = True

    occurred_at: datetime = attrs.field(converter=_domainevent_occurred_at)

    @property
    def type(self) -> str:
        """The event's type name, as used in serialized form."""
        return type(self).__name__


def event_types() -> Mapping[str, type[DomainEvent]]:
    """Every concrete event class crmcore knows, by type name.

    Walks the subclasses of :class:`DomainEvent` each time it is called, so
    events defined by later capabilities (or by the host application) are
    found once their module is imported. Bases that group events, such as
    :class:`CustomerEvent`, declare ``abstract_event = True`` and are left out.
    """
    found: dict[str, type[DomainEvent]] = {}
    pending: list[type[DomainEvent]] = [DomainEvent]
    while pending:
        cls = pending.pop()
        for sub in cls.__subclasses__():
            module = sys.modules.get(sub.__module__)
            if getattr(module, sub.__qualname__, None) is not sub:
                continue  # a class object attrs replaced while building it
            pending.append(sub)
            if not sub.__dict__.get("abstract_event", False):
                found.setdefault(sub.__name__, sub)
    return found
