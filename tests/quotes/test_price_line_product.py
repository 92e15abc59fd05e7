"""Tests for `crmcore.quotes.price_line` given the catalog's product: its tax category and family."""

from __future__ import annotations

from datetime import date

import pytest

from crmcore import InvalidType, Money, ValidationError
from crmcore.catalog import PriceBook, PriceBookId, PriceEntry, Product
from crmcore.quotes import ProductId, ppn_indonesia, price_line

from ._helpers import T0, draft

BOOK_DAY = date(2025, 1, 1)
SOFA, LAMP = ProductId("p-sofa"), ProductId("p-lamp")


def product(product_id: ProductId, **kwargs: object) -> Product:
    return Product.create(product_id, sku=product_id.value.upper(), name="Item", at=T0, **kwargs)  # type: ignore[arg-type]


def book() -> PriceBook:
    return PriceBook.create(
        PriceBookId("pb-1"),
        name="List",
        currency="IDR",
        at=T0,
        entries=[
            PriceEntry(SOFA, Money("10000000", "IDR"), valid_from=BOOK_DAY),
            PriceEntry(LAMP, Money("500000", "IDR"), valid_from=BOOK_DAY),
        ],
    )


def test_the_product_gives_the_tax_category_and_the_family() -> None:
    sofa = product(SOFA, family="furniture", tax_category="luxury")
    line = price_line(
        [book()], product_id=SOFA, quantity=1, currency="IDR", on=T0.date(), product=sofa
    )
    assert (line.tax_category, line.category) == ("luxury", "furniture")
    # PPN on luxury goods from February 2025 is 12% of the full price: 1,200,000 on 10,000,000.
    quote = draft([line], "IDR", ppn_indonesia())
    assert quote.totals.tax == Money("1200000", "IDR")


def test_explicit_arguments_win_over_the_product() -> None:
    sofa = product(SOFA, family="furniture", tax_category="luxury")
    line = price_line(
        [book()],
        product_id=SOFA,
        quantity=1,
        currency="IDR",
        on=T0.date(),
        product=sofa,
        tax_category="standard",
        category="showroom",
    )
    assert (line.tax_category, line.category) == ("standard", "showroom")


def test_without_a_product_or_a_family_the_defaults_apply() -> None:
    lamp = product(LAMP)  # no family, the standard tax category
    with_product = price_line(
        [book()], product_id=LAMP, quantity=2, currency="IDR", on=T0.date(), product=lamp
    )
    without = price_line([book()], product_id=LAMP, quantity=2, currency="IDR", on=T0.date())
    assert (with_product.tax_category, with_product.category) == ("standard", "general")
    assert with_product == without


def test_a_retired_or_other_product_is_refused() -> None:
    retired = product(SOFA).retire(at=T0)
    with pytest.raises(ValidationError) as info:
        price_line(
            [book()], product_id=SOFA, quantity=1, currency="IDR", on=T0.date(), product=retired
        )
    assert (info.value.path, info.value.code) == ("$.product.status", "retired")
    with pytest.raises(ValidationError) as info:
        price_line(
            [book()],
            product_id=SOFA,
            quantity=1,
            currency="IDR",
            on=T0.date(),
            product=product(LAMP),
        )
    assert (info.value.path, info.value.code) == ("$.product", "wrong_product")
    with pytest.raises(InvalidType) as info:
        price_line(
            [book()], product_id=SOFA, quantity=1, currency="IDR", on=T0.date(), product="p-sofa"
        )  # type: ignore[arg-type]
    assert info.value.path == "$.product"
