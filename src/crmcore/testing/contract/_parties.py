"""The contract of the party repositories: relationship admission, staff and teams, uniqueness."""

from __future__ import annotations

from abc import ABC, abstractmethod
from datetime import timedelta
from typing import Any

from crmcore.customers import Channel, ContactPoint, merge_customers
from crmcore.errors import InvalidType, NotFound, UnknownReference
from crmcore.parties import Relationship, RelationshipConflict, RelationshipId
from crmcore.repository import AmbiguousKey, DuplicateKey, UniquenessPolicy, UnitOfWork
from crmcore.teams import StaffId, StaffMember, Team, TeamId
from crmcore.testing.contract._reliability import _skip
from crmcore.testing.contract._support import (
    EMAILS,
    PHONES,
    T0,
    _customer_id,
    _drain,
    _equal,
    _make_customer,
    _raises,
    _true,
    _with_email,
)

_DAY = timedelta(days=1)


def _relationship(number: int, kind: str, party: int, related: int, **options: Any) -> Relationship:
    """Relationship ``rel-x{number}`` between the contract's customers ``party`` and ``related``."""
    return Relationship.establish(
        RelationshipId(f"rel-x{number}"),
        kind=kind,
        party_id=_customer_id(party),
        related_id=_customer_id(related),
        at=T0,
        **options,
    )


class PartiesContract(ABC):
    """Relationships admitted before they are stored, staff and team lookups, uniqueness policies.

    A base of :class:`~crmcore.testing.contract.UnitOfWorkContract`: adapters
    subclass that one. The hook :meth:`make_unit_of_work_with_uniqueness` is
    optional; the tests of the shared policy are skipped without it.
    """

    @abstractmethod
    def make_unit_of_work(self) -> UnitOfWork:
        """A new unit of work over this test's storage (empty when the test starts)."""

    def make_unit_of_work_with_uniqueness(self, policy: UniquenessPolicy) -> UnitOfWork | None:
        """A unit of work over new, empty storage whose customers follow ``policy``.

        Each call must give a unit over storage of its own (the tests call it
        once per policy). Returns ``None`` (the default) when the adapter has
        no such option; the tests of the policies are then skipped.
        """
        del policy  # the default offers no policy
        return None

    def _parties(self, *numbers: int) -> UnitOfWork:
        uow = self.make_unit_of_work()
        with uow:
            for number in numbers:
                uow.customers.add(_make_customer(number))
            uow.commit()
        _drain(uow)
        return uow

    # -- relationships --------------------------------------------------------------------

    def test_a_hierarchy_cycle_through_stored_accounts_is_refused(self) -> None:
        """A parent_of closing a cycle through accounts stored earlier raises; nothing is applied."""
        uow = self._parties(1, 2, 3, 4)
        with uow:
            uow.relationships.add(_relationship(1, "parent_of", 1, 2))
            uow.relationships.add(_relationship(2, "parent_of", 2, 3))
            uow.commit()
        with uow:
            uow.relationships.add(_relationship(3, "parent_of", 3, 4))
            with _raises(RelationshipConflict) as raised:
                uow.relationships.add(_relationship(4, "parent_of", 4, 1))
            _equal(("hierarchy_cycle", "$.related_id"), (raised.value.code, raised.value.path))
            _equal(RelationshipId("rel-x4"), raised.value.relationship_id, "refused id")
            _equal(3, uow.relationships.count(), "count in the unit")
            uow.commit()
        check = self.make_unit_of_work()
        with check:
            ids = [r.id.value for r in check.relationships]
            _equal(["rel-x1", "rel-x2", "rel-x3"], ids, "stored")
        events = [e.event_id for e in _drain(check)]
        _true(all("rel-x4" not in event for event in events), "no event of the refused one")

    def test_overlap_primary_and_parent_conflicts_are_refused(self) -> None:
        """Overlapping validity, a second primary and a second parent raise RelationshipConflict."""
        uow = self._parties(1, 2, 3, 4)
        end = T0 + 100 * _DAY
        with uow:
            repository = uow.relationships
            first = repository.add(
                _relationship(1, "contact_of", 3, 1, primary=True, valid_until=end)
            )
            with _raises(RelationshipConflict) as overlap:
                repository.add(_relationship(2, "contact_of", 3, 1, valid_from=T0 + _DAY))
            _equal(
                ("overlap", RelationshipId("rel-x1")), (overlap.value.code, overlap.value.other_id)
            )
            later = repository.add(_relationship(3, "contact_of", 3, 1, valid_from=end))
            with _raises(RelationshipConflict) as primary:
                repository.add(_relationship(4, "contact_of", 4, 1, primary=True))
            _equal("multiple_primary", primary.value.code, "code")
            repository.save(first.set_primary(at=T0, primary=False))
            repository.add(_relationship(4, "contact_of", 4, 1, primary=True))
            repository.add(_relationship(5, "parent_of", 2, 1))
            with _raises(RelationshipConflict) as parent:
                repository.add(_relationship(6, "parent_of", 4, 1))
            _equal("multiple_parents", parent.value.code, "code")
            with _raises(RelationshipConflict):  # a save is admitted too
                repository.save(later.set_primary(at=T0))
            uow.commit()
        with uow:
            stored = {r.id.value: r for r in uow.relationships}
            _equal(["rel-x1", "rel-x3", "rel-x4", "rel-x5"], sorted(stored), "stored")
            _equal((False, False), (stored["rel-x1"].primary, stored["rel-x3"].primary), "flags")

    def test_relationships_are_found_by_either_party_and_by_kind(self) -> None:
        """for_party and for_customer find a relationship from both sides; of_kind by kind."""
        uow = self._parties(1, 2, 3)
        with uow:
            uow.relationships.add(_relationship(1, "contact_of", 2, 1))
            uow.relationships.add(_relationship(2, "household_member", 2, 3))
            uow.commit()
        with uow:
            repository = uow.relationships
            uow.relationships.add(_relationship(3, "referred_by", 3, 1))

            def ids(found: list[Relationship]) -> list[str]:
                return [r.id.value for r in found]

            _equal(["rel-x1", "rel-x3"], ids(repository.for_party(_customer_id(1))), "party 1")
            _equal(["rel-x1", "rel-x2"], ids(repository.for_customer(_customer_id(2))), "c 2")
            _equal(["rel-x2", "rel-x3"], ids(repository.for_party(_customer_id(3))), "party 3")
            _equal(["rel-x2"], ids(repository.of_kind("household_member")), "kind")
            repository.remove(RelationshipId("rel-x1"))
            _equal(["rel-x3"], ids(repository.for_party(_customer_id(1))), "after remove")

    def test_relationships_name_customers_on_both_sides(self) -> None:
        """An unknown related party fails the commit; a customer named as related cannot go."""
        uow = self._parties(1, 2)
        with uow:
            uow.relationships.add(_relationship(1, "referred_by", 1, 9))
            with _raises(UnknownReference) as unknown:
                uow.commit()
        _equal(("related_id", _customer_id(9)), (unknown.value.field, unknown.value.target_id))
        with uow:
            uow.relationships.add(_relationship(1, "referred_by", 1, 2))
            uow.commit()
        with uow:
            uow.customers.remove(_customer_id(2))
            with _raises(UnknownReference) as removed:
                uow.commit()
        _equal(("related_id", True), (removed.value.field, removed.value.removed), "removal")

    # -- staff and teams ------------------------------------------------------------------

    def test_staff_and_teams_are_found_by_role_member_and_manager(self) -> None:
        """with_role, active, with_member and managed_by; a team's manager must be stored."""
        uow = self.make_unit_of_work()
        rina, budi = StaffId("s-rina"), StaffId("s-budi")
        with uow:
            uow.staff.add(StaffMember.register(rina, display_name="R", roles=["sales_rep"], at=T0))
            uow.teams.add(Team.form(TeamId("t-1"), name="Jakarta", manager_id=budi, at=T0))
            with _raises(UnknownReference) as unknown:
                uow.commit()
        _equal(("manager_id", "staff member"), (unknown.value.field, unknown.value.target_kind))
        with uow:
            member = StaffMember.register(budi, display_name="B", roles=["manager"], at=T0)
            uow.staff.add(member.deactivate(at=T0))
            uow.staff.add(StaffMember.register(rina, display_name="R", roles=["sales_rep"], at=T0))
            team = Team.form(TeamId("t-1"), name="Jakarta", members=[rina], manager_id=budi, at=T0)
            uow.teams.add(team)
            uow.commit()
        with uow:
            _equal([rina], [m.id for m in uow.staff.with_role("sales_rep")], "with_role")
            _equal([rina], [m.id for m in uow.staff.active()], "active")
            _equal([TeamId("t-1")], [t.id for t in uow.teams.with_member(rina)], "with_member")
            _equal([TeamId("t-1")], [t.id for t in uow.teams.managed_by(budi)], "managed_by")
            _equal([], uow.teams.with_member(budi), "the manager is no member")
            uow.staff.remove(budi)
            with _raises(UnknownReference):
                uow.commit()

    # -- merged customers -----------------------------------------------------------------

    def test_absorbed_into_finds_the_tombstones_merged_into_a_customer(self) -> None:
        """``customers.absorbed_into`` returns the customers merged into one, and only those."""
        uow = self.make_unit_of_work()
        with uow:
            for number in (1, 2, 3, 4):
                uow.customers.add(_make_customer(number, email=EMAILS[number - 1]))
            uow.commit()
        with uow:
            survivor = uow.customers.get(_customer_id(1))
            for number in (3, 2):
                survivor, absorbed = merge_customers(
                    survivor, uow.customers.get(_customer_id(number)), at=T0 + _DAY
                )
                uow.customers.save(absorbed)
            uow.customers.save(survivor)
            seen_in_unit = [c.id for c in uow.customers.absorbed_into(_customer_id(1))]
            _equal([_customer_id(2), _customer_id(3)], seen_in_unit, "the unit's own merges")
            uow.commit()
        with uow:
            found = uow.customers.absorbed_into(_customer_id(1))
            _equal([_customer_id(2), _customer_id(3)], [c.id for c in found], "absorbed ids")
            _true(all(c.merged_into == _customer_id(1) for c in found), "tombstones")
            _equal([], uow.customers.absorbed_into(_customer_id(4)), "nothing merged")
            with _raises(InvalidType):
                uow.customers.absorbed_into("c-0001")  # type: ignore[arg-type]

    # -- uniqueness policies --------------------------------------------------------------

    def test_find_by_email_and_phone_work_under_the_default_policy(self) -> None:
        """Under unique keys, find_by_email and find_by_phone return the holder or nothing."""
        uow = self.make_unit_of_work()
        with uow:
            uow.customers.add(_make_customer(1, email=EMAILS[0], phone=PHONES[0]))
            uow.commit()
        with uow:
            _equal(
                [_customer_id(1)], [c.id for c in uow.customers.find_by_email("ANA@example.com")]
            )
            _equal([_customer_id(1)], [c.id for c in uow.customers.find_by_phone(PHONES[0])])
            _equal([], uow.customers.find_by_email(EMAILS[1]), "no holder")

    def test_a_shared_email_may_belong_to_a_household(self) -> None:
        """Under a shared email policy, several customers hold one address and are all found."""
        uow = self.make_unit_of_work_with_uniqueness(UniquenessPolicy(email="shared"))
        if uow is None:
            _skip("the adapter offers no uniqueness policy")
            return
        family = EMAILS[0]
        with uow:
            uow.customers.add(_make_customer(1, email=family, phone=PHONES[0]))
            uow.customers.add(_make_customer(2, email=family))
            with _raises(DuplicateKey):  # phones stay unique
                uow.customers.add(_make_customer(3, phone=PHONES[0]))
            uow.commit()
        with uow:
            customers = uow.customers
            found = [c.id for c in customers.find_by_email(" Ana@Example.com ")]
            _equal([_customer_id(1), _customer_id(2)], found, "the household")
            with _raises(AmbiguousKey) as ambiguous:
                customers.get_by_email(family)
            _equal(2, ambiguous.value.count, "count")
            _true(family not in str(ambiguous.value), "message must hide the address")
            customers.save(_with_email(customers.get(_customer_id(2)), EMAILS[1]))
            _equal(_customer_id(1), customers.get_by_email(family).id, "one holder left")
            _equal(_customer_id(2), customers.get_by_email(EMAILS[1]).id, "moved")
            with _raises(NotFound):
                customers.get_by_email(EMAILS[2])
            uow.commit()
        with uow:
            _equal([_customer_id(1)], [c.id for c in uow.customers.find_by_email(family)], "kept")

    def test_a_shared_phone_may_belong_to_a_household(self) -> None:
        """Under a shared phone policy, one number on several customers and channels is found."""
        uow = self.make_unit_of_work_with_uniqueness(UniquenessPolicy(phone="shared"))
        if uow is None:
            _skip("the adapter offers no uniqueness policy")
            return
        with uow:
            uow.customers.add(_make_customer(1, email=EMAILS[0], phone=PHONES[0]))
            uow.customers.add(_make_customer(2, phone=PHONES[0], channel=Channel.WHATSAPP))
            with _raises(DuplicateKey):  # emails stay unique
                uow.customers.add(_make_customer(3, email=EMAILS[0]))
            uow.commit()
        with uow:
            found = uow.customers.find_by_phone("0812 0000 0001", default_country_code="62")
            _equal([_customer_id(1), _customer_id(2)], [c.id for c in found], "holders")
            with _raises(AmbiguousKey):
                uow.customers.get_by_phone(PHONES[0])
            third = _make_customer(3).add_contact_point(ContactPoint("sms", PHONES[0]), at=T0)
            uow.customers.add(third)
            _equal(3, len(uow.customers.find_by_phone(PHONES[0])), "the unit's own add")
