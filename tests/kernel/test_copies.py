"""Tests for `crmcore._kernel._copies`: a command's copy is the aggregate ``attrs.evolve`` builds.

The builder converts and validates only the fields a command changes and
carries over derived values whose inputs are unchanged; whatever it is
given, the outcome must be the one ``attrs.evolve`` (the class's full
``__init__``) gives: the same aggregate, or the same error at the same path
with the same code.
"""

import linecache
import traceback
from datetime import UTC, datetime, timedelta
from decimal import Decimal

import attrs
import pytest
from hypothesis import assume, given
from hypothesis import strategies as st

from crmcore import CustomerId, Money
from crmcore._kernel._aggregate import Aggregate, Command
from crmcore._kernel._copies import MAX_SHAPES, builder_of
from crmcore._kernel._derived import kept
from crmcore.commerce import Order, OrderId, OrderLine, OrderStatus, PaymentId, ProductId
from crmcore.errors import CrmcoreError, InvalidType
from crmcore.testing import strategies as crm

T0 = datetime(2026, 3, 1, 9, 0, tzinfo=UTC)

#: Every aggregate kind crmcore ships, as its strategy draws it.
AGGREGATES = {
    "case": crm.cases(),
    "customer": crm.customers(),
    "interaction": crm.interactions(),
    "lead": crm.leads(),
    "loyalty_account": crm.loyalty_accounts(),
    "opportunity": crm.opportunities(),
    "order": crm.orders(),
    "review": crm.reviews(),
    "subscription": crm.subscriptions(),
    "survey_response": crm.survey_responses(),
}

#: Values of the wrong type or out of range for most fields.
JUNK = st.sampled_from(
    [
        None,
        "junk",
        "",
        -1,
        0,
        2**64,
        1.5,
        Decimal("NaN"),
        True,
        (),
        [],
        ("junk",),
        {},
        datetime(2026, 3, 1),  # noqa: DTZ001 - naive on purpose.
        T0 - timedelta(days=3650),
        T0 + timedelta(days=3650),
        CustomerId("c-junk"),
        Money("1.00", "USD"),
    ]
)


def outcome(build):
    """What ``build()`` gives: ("ok", aggregate) or ("error", type, problems or text)."""
    try:
        return ("ok", build())
    except CrmcoreError as exc:
        return ("error", type(exc), [(p.path, p.code, p.rule) for p in exc.problems])
    except (TypeError, ValueError, AttributeError) as exc:
        return ("error", type(exc), str(exc))


def same(expected, actual):
    """The two outcomes agree, events included (``pending_events`` takes no part in ``==``)."""
    assert expected[0] == actual[0], (expected, actual)
    if expected[0] == "ok":
        assert expected[1] == actual[1]
        assert expected[1].pending_events == actual[1].pending_events
        assert type(expected[1]) is type(actual[1])
    else:
        assert expected == actual


@st.composite
def changes(draw, aggregate):
    """One to three fields of ``aggregate`` set to junk or to another aggregate's values."""
    cls = type(aggregate)
    other = draw(AGGREGATES[cls.aggregate_kind])
    names = [field.alias for field in attrs.fields(cls)]
    chosen = draw(st.lists(st.sampled_from(names), min_size=1, max_size=3, unique=True))
    return {
        name: draw(
            st.one_of(JUNK, st.just(getattr(other, name)), st.just(getattr(aggregate, name)))
        )
        for name in chosen
    }


@given(st.sampled_from(sorted(AGGREGATES)).flatmap(lambda kind: AGGREGATES[kind]), st.data())
def test_a_copy_is_what_attrs_evolve_builds(aggregate, data):
    """Any changes to any aggregate: the same aggregate, or the same error, as attrs.evolve."""
    wanted = data.draw(changes(aggregate))
    same(
        outcome(lambda: attrs.evolve(aggregate, **wanted)),
        outcome(lambda: aggregate._changed(dict(wanted))),
    )


#: The fields _record sets itself.
RECORDED = frozenset({"pending_events", "sequence", "updated_at"})


@given(
    st.sampled_from(sorted(AGGREGATES)).flatmap(lambda kind: AGGREGATES[kind]),
    st.data(),
    st.timedeltas(min_value=timedelta(0), max_value=timedelta(days=30)),
)
def test_a_recorded_change_is_what_attrs_evolve_builds(aggregate, data, later):
    """_record checks only the events it adds, unless the change touches what the others need.

    Changing the id, the creation time or an id the events carry makes every
    event be checked again, as attrs.evolve checks them all.
    """
    wanted = {k: v for k, v in data.draw(changes(aggregate)).items() if k not in RECORDED}
    at = aggregate.updated_at + later
    same(
        outcome(lambda: attrs.evolve(aggregate, **wanted, updated_at=at)),
        outcome(lambda: aggregate._record(Command(at), **wanted)),
    )


@given(crm.orders(), crm.orders())
def test_replaced_events_are_all_checked(order, other):
    """A change that replaces the pending events checks every one of them."""
    wanted = {"pending_events": other.pending_events, "sequence": other.sequence}
    same(
        outcome(lambda: attrs.evolve(order, **wanted)),
        outcome(lambda: order._changed(dict(wanted))),
    )


@given(st.sampled_from(sorted(AGGREGATES)).flatmap(lambda kind: AGGREGATES[kind]), st.data())
def test_a_build_is_what_init_builds(aggregate, data):
    """Some fields of an aggregate, some junk: the builder and ``__init__`` agree."""
    cls = type(aggregate)
    fields = {field.alias: getattr(aggregate, field.name) for field in attrs.fields(cls)}
    dropped = data.draw(st.lists(st.sampled_from(sorted(fields)), max_size=4, unique=True))
    for name in dropped:
        del fields[name]
    fields.update(data.draw(changes(aggregate)))
    builder = builder_of(cls, cls.derived_inputs)
    assert builder is not None

    def build():
        built = builder.build(fields)
        if built is None:
            return cls(**fields)  # what _create does when the builder cannot
        built._check_state(0)
        return built

    same(outcome(lambda: cls(**fields)), outcome(build))


@given(crm.orders(max_steps=0))
def test_a_payment_gives_what_evolve_gives(order):
    """record_payment through the builder equals the same change made by attrs.evolve."""
    assume(order.status is OrderStatus.OPEN and order.balance_due.amount > 0)
    paid = order.record_payment(PaymentId("p-extra"), order.balance_due, at=order.updated_at)
    rebuilt = attrs.evolve(
        order,
        payments=paid.payments,
        status=paid.status,
        payment_status=paid.payment_status,
        pending_events=paid.pending_events,
        sequence=paid.sequence,
        updated_at=paid.updated_at,
    )
    same(("ok", rebuilt), ("ok", paid))
    assert (rebuilt.subtotal, rebuilt.discount, rebuilt.total) == (
        paid.subtotal,
        paid.discount,
        paid.total,
    )


def usd(text):
    """US dollars."""
    return Money(text, "USD")


def placed(*lines):
    """An order of ``lines`` placed at T0."""
    return Order.place(OrderId("o-1"), customer_id=CustomerId("c-1"), lines=list(lines), at=T0)


def test_totals_are_carried_to_a_copy_that_keeps_the_lines():
    """A payment leaves the lines alone: the new order has the very same total, not a recount."""
    order = placed(OrderLine(ProductId("a"), 2, usd("5.00"), category="x"))
    paid = order.record_payment(PaymentId("p-1"), usd("10.00"), at=T0)
    assert paid.total is order.total
    assert {"subtotal", "total"} <= kept(paid).keys()


def test_totals_are_computed_again_when_the_lines_change():
    """A copy with other lines has the totals of its own lines."""
    order = placed(OrderLine(ProductId("a"), 2, usd("5.00"), category="x"))
    assert usd("10.00") == order.total
    other = order._changed({"lines": (OrderLine(ProductId("b"), 1, usd("3.00"), category="x"),)})
    assert usd("3.00") == other.total
    assert usd("3.00") == other.subtotal


def test_a_copy_keeps_no_value_derived_from_changed_fields():
    """amount_paid depends on the payments: a copy with new payments counts them again."""
    order = placed(OrderLine(ProductId("a"), 2, usd("5.00"), category="x"))
    assert usd("0") == order.amount_paid
    paid = order.record_payment(PaymentId("p-1"), usd("4.00"), at=T0)
    assert usd("4.00") == paid.amount_paid
    assert usd("6.00") == paid.balance_due


def test_unknown_fields_are_refused_as_attrs_refuses_them():
    """A change to a field the class does not have raises attrs' TypeError."""
    order = placed(OrderLine(ProductId("a"), 1, usd("5.00"), category="x"))
    same(
        outcome(lambda: attrs.evolve(order, colour="red")),
        outcome(lambda: order._changed({"colour": "red"})),
    )


def test_the_generated_code_shows_in_tracebacks():
    """An error raised in a builder's code is traced to readable source lines."""
    order = placed(OrderLine(ProductId("a"), 1, usd("5.00"), category="x"))
    with pytest.raises(InvalidType) as caught:
        order._changed({"version": "one"})
    frames = traceback.extract_tb(caught.value.__traceback__)
    generated = [
        frame
        for frame in frames
        if frame.filename.startswith("<crmcore copy crmcore.commerce._orders.Order")
    ]
    assert generated
    assert "_v" in linecache.getline(generated[-1].filename, generated[-1].lineno)


def test_a_builder_keeps_at_most_max_shapes_functions():
    """Beyond MAX_SHAPES sets of changed fields, copies still work, compiled each time."""
    order = placed(OrderLine(ProductId("a"), 1, usd("5.00"), category="x"))
    builder = builder_of(Order, Order.derived_inputs)
    names = [field.alias for field in attrs.fields(Order)]
    shapes = {frozenset(names[i : i + width]) for width in (1, 2, 3) for i in range(len(names))}
    for shape in sorted(shapes, key=sorted):
        copied = builder.copy(order, {name: getattr(order, name) for name in shape})
        assert order == copied
    assert len(builder._compiled) <= MAX_SHAPES


@attrs.frozen(slots=True, kw_only=True)
class Note(Aggregate[CustomerId], kind="note"):
    """An aggregate with a default made by a factory that reads another field."""

    text: str = attrs.field(default="")
    echo: str = attrs.field(default=attrs.Factory(lambda self: self.text, takes_self=True))


def test_a_default_made_by_a_factory_is_left_to_attrs():
    """Without the field, the builder cannot build (``__init__`` does); a copy keeps it."""
    builder = builder_of(Note, Note.derived_inputs)
    assert builder is not None
    assert "echo" not in builder.defaults
    assert builder.build({"id": CustomerId("c-1"), "created_at": T0, "text": "hi"}) is None
    note = Note(id=CustomerId("c-1"), created_at=T0, text="hello")
    assert "hello" == note.echo
    changed = note._changed({"text": "bye"})
    assert ("bye", "hello") == (changed.text, changed.echo)
    assert attrs.evolve(note, text="bye") == changed


def test_builder_defaults_are_converted_once():
    """The plain defaults are the converted values, used as they are."""
    builder = builder_of(Order, Order.derived_inputs)
    line = OrderLine(ProductId("a"), 1, usd("1.00"), category="x")
    built = Order(id=OrderId("o"), customer_id=CustomerId("c"), created_at=T0, lines=(line,))
    assert () == builder.defaults["payments"]
    assert built.status is builder.defaults["status"]


def test_a_failed_command_leaves_the_order_as_it_was():
    """The builder raises before anything is shared: the old order is unchanged."""
    order = placed(OrderLine(ProductId("a"), 1, usd("5.00"), category="x"))
    before = attrs.asdict(order, recurse=False)
    with pytest.raises(CrmcoreError):
        order._changed({"payments": ("junk",)})
    assert before == attrs.asdict(order, recurse=False)
