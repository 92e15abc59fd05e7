"""How the contract builds and changes products, price books and quotes."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from crmcore._kernel._ids import CampaignId, PriceBookId, ProductId, QuoteId
from crmcore._kernel._money import Money
from crmcore.catalog import PriceBook, PriceEntry, Product
from crmcore.marketing import Campaign, CampaignStatus
from crmcore.quotes import Quote, QuoteLine, QuoteStatus, ppn_indonesia
from crmcore.testing.contract._support import T0, _customer_id


def _product_id(number: int) -> ProductId:
    return ProductId(f"sku-{number:04d}")


def _make_product(number: int, customer: int) -> Product:
    """Product ``number`` (products name no customer: ``customer`` picks its family)."""
    return Product.create(
        _product_id(number),
        sku=f"SKU-{number:04d}",
        name=f"Product {number}",
        family=f"family-{customer % 3}",
        standard_cost=Money(10 * number, "IDR"),
        at=T0,
    )


def _change_product(product: Product) -> Product:
    """Retire the product, or bring a retired one back."""
    at = product.updated_at
    return product.reactivate(at=at) if not product.is_active else product.retire(at=at)


def _make_price_book(number: int, customer: int) -> PriceBook:
    """Price book ``number``, in IDR or USD, listing two products (one with a volume tier)."""
    code = "IDR" if number % 2 else "USD"
    first, second = _product_id(customer), _product_id(customer + 1)
    return PriceBook.create(
        PriceBookId(f"pb-{number:04d}"),
        name=f"Book {number}",
        currency=code,
        at=T0,
        entries=[
            PriceEntry(first, Money(100, code), valid_from=T0.date()),
            PriceEntry(first, Money(90, code), valid_from=T0.date(), min_quantity=10),
            PriceEntry(second, Money(50, code), valid_from=T0.date()),
        ],
    )


def _change_price_book(book: PriceBook) -> PriceBook:
    """Deactivate the book, or activate a deactivated one."""
    at = book.updated_at
    return book.activate(at=at) if not book.is_active else book.deactivate(at=at)


def _make_quote(number: int, customer: int) -> Quote:
    """A draft quote ``number`` for customer ``customer``: two lines in IDR under PPN."""
    return Quote.create(
        QuoteId(f"q-{number:04d}"),
        customer_id=_customer_id(customer),
        currency="IDR",
        tax_table=ppn_indonesia(),
        valid_until=T0 + timedelta(days=30),
        at=T0,
        lines=[
            QuoteLine(_product_id(number), 2, Money("150000", "IDR")),
            QuoteLine(_product_id(number + 1), 1, Money("99000", "IDR"), discount_percent=10),
        ],
    )


def _change_quote(quote: Quote) -> Quote:
    """Send a draft, reject a sent quote, revise a rejected one."""
    at = quote.updated_at
    if quote.status is QuoteStatus.DRAFT:
        return quote.send(at=at)
    if quote.status is QuoteStatus.SENT:
        return quote.reject(at=at)
    return quote.revise(at=at)


def _quote_products(quote: Any) -> list[tuple[object, ...]]:
    """What finds a quote by product: each product its lines name, once."""
    return [(product,) for product in dict.fromkeys(line.product_id for line in quote.lines)]


def _book_products(book: Any) -> list[tuple[object, ...]]:
    return [(product,) for product in sorted(book.product_ids)]


def _when_active(record: Any) -> list[tuple[object, ...]]:
    return [()] if record.is_active else []


def _make_campaign(number: int, customer: int) -> Campaign:
    """Campaign ``number`` (campaigns name no customer: ``customer`` picks its type)."""
    return Campaign.create(
        CampaignId(f"cmp-{number:04d}"),
        name=f"Campaign {number}",
        campaign_type=("email", "webinar", "event")[customer % 3],
        at=T0,
    )


def _change_campaign(campaign: Campaign) -> Campaign:
    """Activate a planned campaign, complete an active one, then record costs."""
    at = campaign.updated_at
    if campaign.status is CampaignStatus.PLANNED:
        return campaign.activate(at=at)
    if campaign.status is CampaignStatus.ACTIVE:
        return campaign.complete(at=at)
    return campaign.record_cost(Money(1000, campaign.currency or "IDR"), at=at)


def _parent_needs(campaign: Any) -> list[tuple[str, Any]]:
    """A generated campaign's parent, stored first."""
    if campaign.parent_id is None:
        return []
    parent = Campaign.create(campaign.parent_id, name="Parent", campaign_type="other", at=T0)
    return [("campaigns", parent)]
