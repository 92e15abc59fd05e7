"""A unit of work that enforces an access policy on every read and write.

:class:`GuardedUnitOfWork` wraps another :class:`~crmcore.repository.UnitOfWork`
and offers the same repositories. Reads return only the records the policy
lets the principal read, masked where it says so; a ``get`` of a record the
principal may not read raises :class:`AccessDenied`. Writes the policy does
not allow raise :class:`AccessDenied` and change nothing. The wrapped unit is
kept private: code given the guarded unit has no way back to it.
"""

from __future__ import annotations

from collections.abc import Iterable
from types import TracebackType
from typing import Any, Self

from crmcore._kernel._aggregate import Aggregate as KernelAggregate
from crmcore._kernel._checks import enum_converter, type_name
from crmcore._kernel._events import DomainEvent
from crmcore.access._decisions import AccessDecision
from crmcore.access._guard import (
    AuditSink,
    _Activities,
    _CampaignMembers,
    _Campaigns,
    _Cases,
    _Customers,
    _Guard,
    _Interactions,
    _Leads,
    _LoyaltyAccounts,
    _Notes,
    _Opportunities,
    _Orders,
    _PriceBooks,
    _PrivacyRequests,
    _Products,
    _Quotes,
    _Relationships,
    _Reviews,
    _Staff,
    _Subscriptions,
    _Surveys,
    _Teams,
)
from crmcore.access._policy import AccessAction, AccessPolicy, Scope
from crmcore.access._principal import Principal
from crmcore.access._service import ServiceUnit
from crmcore.errors import InvalidType, UnitOfWorkError
from crmcore.repository import (
    ActivityRepository,
    CampaignMemberRepository,
    CampaignRepository,
    CaseRepository,
    CustomerRepository,
    InteractionRepository,
    LeadRepository,
    LoyaltyAccountRepository,
    NoteRepository,
    OpportunityRepository,
    OrderRepository,
    PriceBookRepository,
    PrivacyRequestRepository,
    ProductRepository,
    QuoteRepository,
    RelationshipRepository,
    ReviewRepository,
    StaffRepository,
    SubscriptionRepository,
    SurveyRepository,
    TeamRepository,
    UnitOfWork,
)


class GuardedUnitOfWork(UnitOfWork):
    """A unit of work that lets one principal do only what an access policy allows.

    Use it as the unit it wraps: ``with guarded: ...; guarded.commit()``.

    * Reads (``get``, iteration, ``count``, ``in`` and every lookup) see
      only the records the principal may read, with personal fields masked
      as the policy says; ``get`` (and the ``get_by_...`` lookups) of a
      record it may not read raises :class:`AccessDenied`.
    * ``add`` needs ``create``; ``save`` needs ``update`` on the stored
      record and on the changed one (``erase`` for a record whose new events
      anonymise it); ``remove`` needs ``delete``; :meth:`authorize` checks
      any other action (``export``, ``merge``, ``erase``). A refused
      write raises :class:`AccessDenied` and changes nothing. Saving a
      masked copy keeps the stored values of the masked fields left as
      tombstones; changing a masked field is refused.
    * Orders, reviews, survey answers, loyalty accounts and relationships
      follow their customer's owner and team (looked up through the wrapped
      unit); the role hierarchy reads the owner's roles from the staff
      repository.
    * With an ``audit`` sink, every refused attempt is reported when it
      happens and every committed change after the commit.

    Args:
        unit: the unit of work to guard (not reachable from the guarded one).
        principal: who is acting.
        policy: what they may do.
        audit: where refused attempts and committed changes go, if anywhere.

    Raises:
        InvalidType: an argument of the wrong type.
        UnknownRole: the principal holds a role the policy does not declare.

    .. versionadded:: 0.1
    """

    __slots__ = (
        "_GuardedUnitOfWork__guard",
        "_GuardedUnitOfWork__repositories",
    )

    def __init__(
        self,
        unit: UnitOfWork,
        principal: Principal,
        policy: AccessPolicy,
        *,
        audit: AuditSink | None = None,
    ) -> None:
        if not isinstance(unit, UnitOfWork):
            raise InvalidType(f"must be a UnitOfWork, not {type_name(unit)}", path="$.unit")
        if type(policy) is not AccessPolicy:
            raise InvalidType(f"must be an AccessPolicy, not {type_name(policy)}", path="$.policy")
        policy.check_principal(principal)
        if audit is not None and not (
            callable(getattr(audit, "record_denied", None))
            and callable(getattr(audit, "record_commit", None))
        ):
            raise InvalidType(f"must be an AuditSink, not {type_name(audit)}", path="$.audit")
        guard = _Guard(unit, principal, policy, audit)
        self.__guard = guard
        self.__repositories = {
            cls._name: cls(guard)
            for cls in (
                _Customers,
                _Orders,
                _Subscriptions,
                _Interactions,
                _Cases,
                _Reviews,
                _Surveys,
                _LoyaltyAccounts,
                _Leads,
                _Opportunities,
                _Relationships,
                _Staff,
                _Teams,
                _Activities,
                _Notes,
                _PrivacyRequests,
                _Products,
                _PriceBooks,
                _Quotes,
                _Campaigns,
                _CampaignMembers,
            )
        }

    def __repr__(self) -> str:
        return f"GuardedUnitOfWork(principal={self.__guard.principal.staff_id!r})"

    @property
    def principal(self) -> Principal:
        """Who is acting."""
        return self.__guard.principal

    @property
    def policy(self) -> AccessPolicy:
        """The policy enforced."""
        return self.__guard.policy

    def _repository(self, name: str) -> Any:
        return self.__repositories[name]

    @property
    def customers(self) -> CustomerRepository:
        """The guarded customer repository."""
        return self._repository("customers")  # type: ignore[no-any-return]

    @property
    def orders(self) -> OrderRepository:
        """The guarded order repository."""
        return self._repository("orders")  # type: ignore[no-any-return]

    @property
    def subscriptions(self) -> SubscriptionRepository:
        """The guarded subscription repository."""
        return self._repository("subscriptions")  # type: ignore[no-any-return]

    @property
    def interactions(self) -> InteractionRepository:
        """The guarded interaction repository."""
        return self._repository("interactions")  # type: ignore[no-any-return]

    @property
    def cases(self) -> CaseRepository:
        """The guarded case repository."""
        return self._repository("cases")  # type: ignore[no-any-return]

    @property
    def reviews(self) -> ReviewRepository:
        """The guarded review repository."""
        return self._repository("reviews")  # type: ignore[no-any-return]

    @property
    def surveys(self) -> SurveyRepository:
        """The guarded survey response repository."""
        return self._repository("surveys")  # type: ignore[no-any-return]

    @property
    def loyalty_accounts(self) -> LoyaltyAccountRepository:
        """The guarded loyalty account repository."""
        return self._repository("loyalty_accounts")  # type: ignore[no-any-return]

    @property
    def leads(self) -> LeadRepository:
        """The guarded lead repository."""
        return self._repository("leads")  # type: ignore[no-any-return]

    @property
    def opportunities(self) -> OpportunityRepository:
        """The guarded opportunity repository."""
        return self._repository("opportunities")  # type: ignore[no-any-return]

    @property
    def relationships(self) -> RelationshipRepository:
        """The guarded relationship repository."""
        return self._repository("relationships")  # type: ignore[no-any-return]

    @property
    def staff(self) -> StaffRepository:
        """The guarded staff member repository."""
        return self._repository("staff")  # type: ignore[no-any-return]

    @property
    def teams(self) -> TeamRepository:
        """The guarded team repository."""
        return self._repository("teams")  # type: ignore[no-any-return]

    @property
    def activities(self) -> ActivityRepository:
        """The guarded activity repository."""
        return self._repository("activities")  # type: ignore[no-any-return]

    @property
    def notes(self) -> NoteRepository:
        """The guarded note repository."""
        return self._repository("notes")  # type: ignore[no-any-return]

    @property
    def privacy_requests(self) -> PrivacyRequestRepository:
        """The guarded data-subject request repository."""
        return self._repository("privacy_requests")  # type: ignore[no-any-return]

    @property
    def products(self) -> ProductRepository:
        """The guarded product repository."""
        return self._repository("products")  # type: ignore[no-any-return]

    @property
    def price_books(self) -> PriceBookRepository:
        """The guarded price book repository."""
        return self._repository("price_books")  # type: ignore[no-any-return]

    @property
    def quotes(self) -> QuoteRepository:
        """The guarded quote repository."""
        return self._repository("quotes")  # type: ignore[no-any-return]

    @property
    def campaigns(self) -> CampaignRepository:
        """The guarded campaign repository."""
        return self._repository("campaigns")  # type: ignore[no-any-return]

    @property
    def campaign_members(self) -> CampaignMemberRepository:
        """The guarded campaign member repository."""
        return self._repository("campaign_members")  # type: ignore[no-any-return]

    def __enter__(self) -> Self:
        """Start the wrapped unit (see :meth:`UnitOfWork.__enter__`)."""
        self.__guard.unit.__enter__()
        self.__guard.changes = {}
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        """End the wrapped unit, rolling back anything not committed."""
        self.__guard.changes = {}
        self.__guard.unit.__exit__(exc_type, exc, traceback)

    def commit(self) -> None:
        """Commit the wrapped unit, then report the changes to the audit sink."""
        guard = self.__guard
        try:
            guard.unit.commit()
        except BaseException:
            guard.changes = {}
            raise
        guard.committed()

    def authorize(self, action: AccessAction | str, record: object) -> AccessDecision:
        """The policy's decision for ``action`` on ``record``; raises when it refuses.

        What services call before an action no repository method stands
        for: :func:`crmcore.privacy.export_subject` asks for ``export`` and
        :func:`crmcore.privacy.erase_subject` for ``erase`` on the customer.
        A refusal is reported to the audit sink like any other.

        Raises:
            ValidationError: ``action`` is not an access action.
            InvalidType: ``record`` is not a crmcore record.
            AccessDenied: the policy refuses it.
        """
        checked = enum_converter(AccessAction, "$.action")(action)
        if not isinstance(record, KernelAggregate):
            raise InvalidType(f"must be a crmcore record, not {type_name(record)}", path="$.record")
        decision = self.__guard.decide(checked, record)
        if not decision.allowed:
            raise self.__guard.deny(checked, record, decision.rule)
        return decision

    def _service_unit(self, action: AccessAction | str, record: object) -> Any:
        """The unit a privacy service works on, once ``action`` on ``record`` is authorized.

        :func:`crmcore.privacy.export_subject` and
        :func:`crmcore.privacy.erase_subject` must see every record about the
        subject, unmasked (an export is the subject's own data; an erasure
        must reach masked and out-of-scope fields too), so a principal
        allowed to export or erase that customer gets them whole. The
        service's saves go to the audit trail like any other. Not for
        application code.

        Raises:
            AccessDenied: the policy refuses ``action`` on ``record`` (recorded).
        """
        self.authorize(action, record)
        return ServiceUnit(self, self.__guard.unit, self.__guard.track)

    def rollback(self) -> None:
        """Roll the wrapped unit back; nothing is reported."""
        self.__guard.changes = {}
        self.__guard.unit.rollback()

    def _event_visible(self, event: DomainEvent, kinds: dict[str, Any]) -> bool:
        """Whether the principal may read the record that recorded ``event``.

        A record no longer stored (removed) is visible to a role reading its
        kind at scope ``all`` only.
        """
        guard = self.__guard
        found = kinds.get(event.aggregate_kind)
        if found is None:
            return False
        inner = found._inner()  # noqa: SLF001 - a repository of this unit
        record_id = found._id_of(event.aggregate_id)  # noqa: SLF001
        if record_id in inner:
            return guard.decide(AccessAction.READ, inner.get(record_id)).allowed
        return any(
            guard.policy.scope_of(role, event.aggregate_kind, AccessAction.READ) is Scope.ALL
            for role in guard.principal.roles
        )

    def _visible(self, events: list[DomainEvent]) -> list[DomainEvent]:
        kinds = {r._kind(): r for r in self.__repositories.values()}  # noqa: SLF001 - this unit's
        try:
            return [event for event in events if self._event_visible(event, kinds)]
        except UnitOfWorkError:  # outside the block: read the records in a block of its own
            with self.__guard.unit:
                return [event for event in events if self._event_visible(event, kinds)]

    def collect_events(self, *, limit: int | None = None) -> list[DomainEvent]:
        """The pending events of records the principal may read, oldest first (see the port).

        Events carry ids and codes only, but which records exist is not for
        everyone: events of records the policy hides are left out, and
        ``limit`` counts the events handed out.
        """
        inner = self.__guard.unit
        if limit is not None:
            inner.collect_events(limit=limit)  # the wrapped unit checks the argument
        visible = self._visible(inner.collect_events())
        return visible if limit is None else visible[:limit]

    def acknowledge(self, events: Iterable[DomainEvent | str]) -> int:
        """Acknowledge events the principal may see (see :meth:`collect_events`); others stay.

        Returns:
            How many events left the outbox.
        """
        inner = self.__guard.unit
        given: object = events
        if isinstance(given, (str, bytes)) or not isinstance(given, Iterable):
            return inner.acknowledge(events)  # the wrapped unit refuses it
        items = list(given)
        if not all(isinstance(item, (DomainEvent, str)) for item in items):
            return inner.acknowledge(items)  # the wrapped unit refuses it
        visible = {event.event_id for event in self.collect_events()}
        mine: list[DomainEvent | str] = [
            item
            for item in items
            if (item.event_id if isinstance(item, DomainEvent) else item) in visible
        ]
        return inner.acknowledge(mine)
