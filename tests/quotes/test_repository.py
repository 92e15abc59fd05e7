"""Tests for `crmcore.repository._quotes`: the quote repository and its lookups."""

from __future__ import annotations

import pytest

from crmcore import Customer, Money, PersonName
from crmcore.errors import InvalidType, ValidationError
from crmcore.quotes import CustomerId, OpportunityId, ProductId, Quote, QuoteId, QuoteLine
from crmcore.repository import InMemoryUnitOfWork
from crmcore.repository._quotes import QUOTES, StoreQuoteRepository

from ._helpers import DAY, HOUR, T0, flat_table


def quote(
    number: int, *, product: str, days: int, opportunity: OpportunityId | None = None
) -> Quote:
    """A quote valid for ``days`` days with one line of ``product``."""
    return Quote.create(
        QuoteId(f"q-{number}"),
        customer_id=CustomerId("c-1"),
        currency="USD",
        tax_table=flat_table("0.1"),
        valid_until=T0 + days * DAY,
        at=T0,
        lines=[QuoteLine(ProductId(product), 1, Money("1.00", "USD"))],
        opportunity_id=opportunity,
    )


def test_lookups() -> None:
    """By customer, product, status and validity; references checked at commit."""
    uow = InMemoryUnitOfWork(check_references=False)
    with uow:
        repo = uow.repository(Quote)
        assert isinstance(repo, StoreQuoteRepository)
        uow.customers.add(Customer.register(CustomerId("c-1"), name=PersonName("Ana"), at=T0))
        repo.add(quote(1, product="a", days=10).send(at=T0 + HOUR))
        repo.add(quote(2, product="b", days=5).send(at=T0 + HOUR))
        repo.add(quote(3, product="a", days=1))
        repo.add(quote(4, product="a", days=2, opportunity=OpportunityId("opp-1")))
        uow.commit()
    with uow:
        repo = uow.repository(Quote)
        assert [q.id.value for q in repo.for_customer(CustomerId("c-1"))] == [
            "q-1",
            "q-2",
            "q-3",
            "q-4",
        ]
        assert [q.id.value for q in repo.for_product(ProductId("a"))] == ["q-1", "q-3", "q-4"]
        assert [q.id.value for q in repo.for_opportunity(OpportunityId("opp-1"))] == ["q-4"]
        assert [q.id.value for q in repo.with_status("sent")] == ["q-1", "q-2"]
        # Drafts never expire; sent ones, earliest validity first.
        assert [q.id.value for q in repo.expiring_before(T0 + 20 * DAY)] == ["q-2", "q-1"]
        assert repo.expiring_before(T0 + 5 * DAY) == []
        with pytest.raises(InvalidType):
            repo.for_customer("c-1")  # type: ignore[arg-type]
        with pytest.raises(ValidationError):
            repo.with_status("won")
        with pytest.raises(ValidationError):
            repo.expiring_before(T0.replace(tzinfo=None))


def test_spec() -> None:
    """The spec names its indexes and references."""
    assert QUOTES.index_names == ("customer", "opportunity", "product", "status")
    assert dict(QUOTES.references) == {
        "customer_id": "customers",
        "opportunity_id": "opportunities",
        "price_book_id": "price_books",
    }
