"""Units of work used wrongly: junk and misuse raise only crmcore errors, and change nothing.

Repositories and units of work are called outside their ``with`` block, with
junk instead of aggregates and ids, and in random sequences; only crmcore
errors may escape, a failed commit applies nothing, and the store stays
readable.
"""

import pytest
from hypothesis import given
from hypothesis import strategies as st

import crmcore
from crmcore import CustomerId, repository
from crmcore.errors import CrmcoreError
from crmcore.serialization import to_dict

from ._corpus import ANA, CANCELLED, CASE, CID, CLOSED_CASE, LATER, ORDER, ORG, PLACED
from ._fuzz import JUNK, STATS, check_error, fuzz_settings, outcome_of


def stored_state(store: repository.InMemoryStore) -> list[object]:
    """Everything a store holds, read through a fresh unit of work."""
    uow = repository.InMemoryUnitOfWork(store)
    with uow:
        return [
            sorted((to_dict(a) for a in repo), key=repr)
            for repo in (uow.customers, uow.orders, uow.cases, uow.interactions, uow.reviews)
        ]


def test_unit_of_work_outside_its_block_raises_crmcore_errors():
    """Repositories, commit and rollback outside ``with`` raise UnitOfWorkError, never more."""
    uow = repository.InMemoryUnitOfWork()
    calls = [
        uow.commit,
        uow.rollback,
        lambda: uow.customers.get(CID),
        lambda: uow.customers.add(ANA),
        lambda: uow.customers.count(),  # noqa: PLW0108 - uow.customers must be read late.
        lambda: list(uow.customers),
        lambda: CID in uow.customers,
        lambda: uow.orders.for_customer(CID),
        lambda: uow.customers.get_by_email("ana@example.com"),
    ]
    for call in calls:
        with pytest.raises(repository.UnitOfWorkError):
            call()
    with uow:
        repo = uow.customers
    with pytest.raises(repository.UnitOfWorkError):
        repo.get(CID)  # a repository kept beyond its block
    with uow, pytest.raises(repository.UnitOfWorkError), uow:
        pass  # units do not nest


@pytest.mark.parametrize(
    "junk",
    [None, "c-1", 1, object(), ORDER, CustomerId, ANA.profile, {"id": "c-1"}],
    ids=repr,
)
def test_repositories_refuse_junk_with_crmcore_errors(junk):
    """Junk passed to add, get, save, remove or a lookup raises a CrmcoreError."""
    store = repository.InMemoryStore()
    uow = repository.InMemoryUnitOfWork(store)
    before = stored_state(store)
    for call in (
        lambda: uow.customers.add(junk),
        lambda: uow.customers.save(junk),
        lambda: uow.customers.get(junk),
        lambda: uow.customers.remove(junk),
        lambda: uow.customers.get_by_email(junk),
        lambda: uow.customers.get_by_phone(junk),
        lambda: uow.orders.for_customer(junk),
        lambda: uow.orders.with_status(junk),
        lambda: uow.cases.assigned_to(junk),
        lambda: uow.reviews.on_platform(junk),
    ):
        with uow:
            try:
                call()
            except CrmcoreError as exc:
                check_error(exc, repr(junk))
            uow.commit()
    assert before == stored_state(store)
    if junk is not None:  # None asks for a private store
        with pytest.raises(CrmcoreError):
            repository.InMemoryUnitOfWork(junk)  # type: ignore[arg-type]


def test_a_failed_commit_applies_nothing():
    """A commit refused for one aggregate stores none of the unit's changes."""
    store = repository.InMemoryStore()
    setup, first, second = (repository.InMemoryUnitOfWork(store) for _ in range(3))
    with setup:
        setup.customers.add(ANA.without_pending_events())
        setup.commit()
    with first, second:
        stale = second.customers.get(CID)
        first.customers.save(first.customers.get(CID).add_tag("first", at=LATER))
        first.commit()
        before = stored_state(store)
        second.orders.add(PLACED)
        second.customers.save(stale.add_tag("second", at=LATER))
        with pytest.raises(crmcore.ConcurrencyConflict):
            second.commit()
    assert before == stored_state(store)


def test_an_exception_inside_the_block_rolls_everything_back():
    """Leaving ``with`` by an exception stores nothing and leaves the unit usable."""
    store = repository.InMemoryStore()
    uow = repository.InMemoryUnitOfWork(store)
    before = stored_state(store)

    def fail_midway() -> None:
        with uow:
            uow.customers.add(ANA)
            uow.orders.add(ORDER)
            raise ZeroDivisionError

    with pytest.raises(ZeroDivisionError):
        fail_midway()
    assert before == stored_state(store)
    with uow:
        uow.customers.add(ANA)
        uow.commit()
    assert 1 == len(stored_state(store)[0])


UOW_STEPS = st.lists(
    st.tuples(
        st.sampled_from(["add", "save", "get", "remove", "commit", "rollback", "count"]),
        st.sampled_from(["customers", "orders", "cases"]),
        st.one_of(
            st.sampled_from(
                [ANA, ORG, ORDER, CANCELLED, CASE, CLOSED_CASE, CID, ORDER.id, CASE.id]
            ),
            JUNK,
        ),
    ),
    max_size=12,
)


@fuzz_settings(0.3, minimum=10)
@given(steps=UOW_STEPS)
def test_any_sequence_of_unit_of_work_calls_raises_only_crmcore_errors(steps):
    """Random and junk calls on a unit of work only raise CrmcoreErrors; stores stay readable."""
    store = repository.InMemoryStore()
    uow = repository.InMemoryUnitOfWork(store)
    with uow:
        for action, name, value in steps:
            repo = getattr(uow, name)
            call = {
                "add": lambda r=repo, v=value: r.add(v),
                "save": lambda r=repo, v=value: r.save(v),
                "get": lambda r=repo, v=value: r.get(v),
                "remove": lambda r=repo, v=value: r.remove(v),
                "commit": uow.commit,
                "rollback": uow.rollback,
                "count": repo.count,
            }[action]
            error = None
            try:
                call()
            except CrmcoreError as exc:
                error = exc
                check_error(exc, f"{action} on {name}")
            finally:
                STATS.record("units of work", outcome_of(error))
        try:
            uow.commit()
        except CrmcoreError as exc:
            check_error(exc, "final commit")
    stored_state(store)
