"""Tests of `crmcore.catalog._products`: the Product aggregate."""

from datetime import timedelta

import pytest

from crmcore import InvalidType, Money, TransitionNotAllowed, ValidationError
from crmcore.catalog import (
    MAX_PRODUCT_NAME,
    MAX_SKU,
    Product,
    ProductCostChanged,
    ProductCreated,
    ProductFamilyChanged,
    ProductId,
    ProductReactivated,
    ProductRenamed,
    ProductRetired,
    ProductStatus,
    ProductTaxCategoryChanged,
    ProductUnitChanged,
    check_sku,
)

from ._helpers import AT, ROUTER, idr, product


def test_create_keeps_the_facts_normalized_and_records_them():
    """SKUs are upper-cased, families case-folded; the event carries the same facts."""
    made = product(family=" Networking ", standard_cost=idr(650000), unit="box_of_12")
    assert ("RT-AX3000", "networking", "box_of_12") == (made.sku, made.family, made.unit)
    assert (ProductStatus.ACTIVE, True, "standard") == (
        made.status,
        made.is_active,
        made.tax_category,
    )
    (event,) = made.pending_events
    assert isinstance(event, ProductCreated)
    assert (ROUTER, "RT-AX3000", "Router AX3000", "networking", idr(650000)) == (
        event.product_id,
        event.sku,
        event.name,
        event.family,
        event.standard_cost,
    )


def test_defaults_are_each_standard_no_family_no_cost():
    """Unit ``each``, tax category ``standard``, no family, no cost."""
    made = product()
    assert ("each", "standard", None, None) == (
        made.unit,
        made.tax_category,
        made.family,
        made.standard_cost,
    )


@pytest.mark.parametrize(
    ("changes", "path", "code", "error"),
    [
        ({"sku": "AB 1"}, "$.sku", "sku", ValidationError),
        ({"sku": "-AB"}, "$.sku", "sku", ValidationError),
        ({"sku": "ÄB"}, "$.sku", "sku", ValidationError),
        ({"sku": "A" * (MAX_SKU + 1)}, "$.sku", "sku", ValidationError),
        ({"sku": "A" * 10_000}, "$.sku", "sku", ValidationError),
        ({"sku": 7}, "$.sku", "type", InvalidType),
        ({"name": ""}, "$.name", "too_short", ValidationError),
        ({"name": "x" * (MAX_PRODUCT_NAME + 1)}, "$.name", "too_long", ValidationError),
        ({"name": "a\x00b"}, "$.name", "control_characters", ValidationError),
        ({"family": ""}, "$.family", "too_short", ValidationError),
        ({"unit": "Each"}, "$.unit", "name", ValidationError),
        ({"tax_category": "10%"}, "$.tax_category", "name", ValidationError),
        ({"standard_cost": idr(-1)}, "$.standard_cost", "negative", ValidationError),
        ({"standard_cost": 5}, "$.standard_cost", "type", InvalidType),
        ({"at": AT.replace(tzinfo=None)}, "$.at", "naive_datetime", ValidationError),
    ],
)
def test_bad_arguments_name_the_field(changes, path, code, error):
    """Every bad argument raises the specific error at its path."""
    with pytest.raises(error) as caught:
        product(**changes)
    assert (path, code) == (caught.value.path, caught.value.code)


def test_a_wrong_id_type_is_refused():
    """The id must be a ProductId."""
    with pytest.raises(InvalidType) as caught:
        Product.create("p-1", sku="A", name="A", at=AT)
    assert "$.id" == caught.value.path


def test_check_sku_bounds_its_work_and_messages_hold_no_value():
    """A huge input is refused without echoing it."""
    with pytest.raises(ValidationError) as caught:
        check_sku("secret value " * 1000)
    assert "secret" not in str(caught.value)


@pytest.mark.parametrize(
    ("command", "argument", "field", "event", "new"),
    [
        ("rename", "Router AX3000 v2", "name", ProductRenamed, "Router AX3000 v2"),
        ("change_family", "Wi-Fi", "family", ProductFamilyChanged, "wi-fi"),
        ("change_unit", "box", "unit", ProductUnitChanged, "box"),
        ("change_cost", idr(700000), "standard_cost", ProductCostChanged, idr(700000)),
        ("change_tax_category", "exempt", "tax_category", ProductTaxCategoryChanged, "exempt"),
    ],
)
def test_each_change_records_its_event_with_the_previous_value(
    command, argument, field, event, new
):
    """A change sets the field and records it with what it replaced; the same value is a no-op."""
    before = product(family="networking", standard_cost=idr(650000))
    after = getattr(before, command)(argument, at=AT + timedelta(hours=1))
    assert new == getattr(after, field)
    recorded = after.pending_events[-1]
    assert isinstance(recorded, event)
    assert (new, getattr(before, field)) == (getattr(recorded, field), recorded.previous)
    assert after is getattr(after, command)(argument, at=AT + timedelta(hours=2))


def test_family_and_cost_may_be_cleared():
    """``None`` clears the family and the cost."""
    made = product(family="networking", standard_cost=idr(1))
    cleared = made.change_family(None, at=AT).change_cost(None, at=AT)
    assert (None, None) == (cleared.family, cleared.standard_cost)
    assert (None, None) == (
        cleared.pending_events[-2].family,
        cleared.pending_events[-1].standard_cost,
    )


def test_retire_and_reactivate_follow_the_status_machine():
    """Active to retired and back; the same status again is refused."""
    made = product()
    retired = made.retire(at=AT)
    assert (ProductStatus.RETIRED, False) == (retired.status, retired.is_active)
    assert isinstance(retired.pending_events[-1], ProductRetired)
    with pytest.raises(TransitionNotAllowed):
        retired.retire(at=AT)
    with pytest.raises(TransitionNotAllowed):
        made.reactivate(at=AT)
    again = retired.reactivate(at=AT)
    assert again.is_active
    assert isinstance(again.pending_events[-1], ProductReactivated)


@pytest.mark.parametrize(
    ("command", "kwargs", "path", "code"),
    [
        ("rename", {"name": ""}, "$.name", "too_short"),
        ("change_family", {"family": 3}, "$.family", "type"),
        ("change_unit", {"unit": "Kg"}, "$.unit", "name"),
        ("change_cost", {"standard_cost": Money("-0.01", "USD")}, "$.standard_cost", "negative"),
        ("change_tax_category", {"tax_category": ""}, "$.tax_category", "name"),
    ],
)
def test_refused_commands_leave_the_product_unchanged(command, kwargs, path, code):
    """A refused command raises at its path and the product stays as it was."""
    made = product(standard_cost=idr(1))
    snapshot = (made.name, made.family, made.unit, made.standard_cost, made.pending_events)
    with pytest.raises(ValidationError) as caught:
        getattr(made, command)(**kwargs, at=AT)
    assert (path, code) == (caught.value.path, caught.value.code)
    assert snapshot == (made.name, made.family, made.unit, made.standard_cost, made.pending_events)


def test_commands_dated_before_the_last_change_are_refused():
    """The kernel's time rule applies to every command."""
    made = product().rename("Later", at=AT + timedelta(days=1))
    for call in (
        lambda: made.rename("Earlier", at=AT),
        lambda: made.retire(at=AT),
        lambda: made.change_cost(idr(1), at=AT),
    ):
        with pytest.raises(ValidationError) as caught:
            call()
        assert "time_backwards" == caught.value.code


def test_envelope_keywords_reach_the_events():
    """actor, correlation_id and causation_id go into the event envelope."""
    made = product(actor="agent-7", correlation_id="import-1")
    assert ("agent-7", "import-1") == (
        made.pending_events[0].actor,
        made.pending_events[0].correlation_id,
    )


def test_repr_names_ids_and_codes_only():
    """The repr shows the id, SKU, family and status, never the name."""
    made = product(name="Secret launch product")
    assert "Secret" not in repr(made)
    assert repr(made).startswith("Product(id=ProductId('p-router'), sku='RT-AX3000'")


def test_a_loaded_document_is_checked_like_a_new_product():
    """Building a Product directly runs every check (a stored document is no different)."""
    with pytest.raises(ValidationError) as caught:
        Product(id=ProductId("p"), created_at=AT, sku="A", name="B", status="sold_out")
    assert ("$.status", "choice") == (caught.value.path, caught.value.code)
