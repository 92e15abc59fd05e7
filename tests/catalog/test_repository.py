"""Tests of `crmcore.repository._catalog`: product and price book repositories."""

import pytest

from crmcore import InvalidType, ValidationError
from crmcore.catalog import PriceBookId, ProductStatus
from crmcore.errors import DuplicateKey, NotFound
from crmcore.repository import InMemoryStore, StoreUnitOfWork
from crmcore.repository._catalog import PRICE_BOOKS, PRODUCTS
from crmcore.repository._catalog_ports import PriceBookRepository, ProductRepository

from ._helpers import AT, ROUTER, SWITCH, book, entry, product


def unit(*specs):
    """A unit of work over a fresh in-memory store of ``specs`` (both catalog specs by default)."""
    return StoreUnitOfWork(InMemoryStore(specs=specs or (PRODUCTS, PRICE_BOOKS)))


def test_specs_name_the_aggregates():
    """Names, kinds, keys and indexes of the two registrations."""
    assert ("products", "product", ("sku",), ("family", "status")) == (
        PRODUCTS.name,
        PRODUCTS.kind,
        PRODUCTS.key_names,
        PRODUCTS.index_names,
    )
    assert ("price_books", "price_book", ("currency", "activity", "product")) == (
        PRICE_BOOKS.name,
        PRICE_BOOKS.kind,
        PRICE_BOOKS.index_names,
    )


def test_product_lookups():
    """by_sku (any case), in_family (None: no family), with_status and active."""
    uow = unit()
    with uow:
        products = uow.repository(type(product()))
        assert isinstance(products, ProductRepository)
        router = products.add(product(family="Networking"))
        cable = products.add(
            type(router).create(SWITCH, sku="CB-1", name="Cable", at=AT).retire(at=AT)
        )
        assert router == products.by_sku("rt-ax3000")
        assert products.by_sku("NOPE") is None
        assert [router] == products.in_family("NETWORKING")
        assert [cable] == products.in_family(None)
        assert [router] == products.active()
        assert [cable] == products.with_status(ProductStatus.RETIRED)
        with pytest.raises(ValidationError):
            products.by_sku("no spaces allowed")
        with pytest.raises(ValidationError):
            products.with_status("sold")
        uow.commit()


def test_skus_are_unique():
    """A second product with the same SKU is a DuplicateKey."""
    uow = unit()
    with uow:
        products = uow.repository(type(product()))
        products.add(product())
        twin = type(product()).create(SWITCH, sku="RT-AX3000", name="Twin", at=AT)
        with pytest.raises(DuplicateKey):
            products.add(twin)


def test_price_book_lookups():
    """for_currency, active and listing (every product in any entry)."""
    uow = unit()
    with uow:
        books = uow.repository(type(book()))
        assert isinstance(books, PriceBookRepository)
        idr = books.add(book(entry(1), entry(2, product_id=SWITCH)))
        usd = books.add(book(book_id="pb-usd", currency="USD", active=False))
        assert [idr] == books.for_currency("idr")
        assert [usd] == books.for_currency("USD")
        assert [idr] == books.active()
        assert [idr] == books.listing(SWITCH)
        with pytest.raises(ValidationError) as caught:
            books.for_currency("RPH")
        assert "$.currency" == caught.value.path
        with pytest.raises(InvalidType):
            books.for_currency(360)
        with pytest.raises(InvalidType):
            books.listing("p-switch")


def test_a_listed_product_cannot_be_removed():
    """Remove refuses (code ``referenced``) while a book lists it; unlisted, it goes."""
    uow = unit()
    with uow:
        products = uow.repository(type(product()))
        books = uow.repository(type(book()))
        products.add(product())
        listed = books.add(book(entry(1)))
        uow.commit()
    with uow:
        with pytest.raises(ValidationError) as caught:
            products.remove(ROUTER)
        assert ("$.aggregate_id", "referenced") == (caught.value.path, caught.value.code)
        books.save(listed.remove_entry(listed.entries[0], at=AT))
        products.remove(ROUTER)
        uow.commit()
    with uow:
        assert ROUTER not in products
        with pytest.raises(NotFound):
            products.remove(ROUTER)
        with pytest.raises(InvalidType):
            products.remove(PriceBookId("pb-idr"))


def test_without_price_books_products_are_removed_freely():
    """A store that keeps no price books has nothing to refuse."""
    uow = unit(PRODUCTS)
    with uow:
        products = uow.repository(type(product()))
        products.add(product())
        products.remove(ROUTER)
        assert 0 == products.count()
