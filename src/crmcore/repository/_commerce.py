"""The order and subscription repositories and the registrations of their aggregates."""

from __future__ import annotations

from typing import Final

from crmcore.commerce import (
    FulfilmentStatus,
    Order,
    OrderId,
    OrderStatus,
    PaymentStatus,
    PlanId,
    Subscription,
    SubscriptionId,
    SubscriptionStatus,
)
from crmcore.customers import CustomerId
from crmcore.repository._lookups import by_customer, by_status, choice_argument, id_argument
from crmcore.repository._ports import OrderRepository, SubscriptionRepository
from crmcore.repository._store import AggregateSpec, StoreRepository


class StoreOrderRepository(StoreRepository[Order], OrderRepository):
    """The order repository of :class:`~crmcore.repository.StoreUnitOfWork`.

    .. versionadded:: 0.1
    """

    def for_customer(self, customer_id: CustomerId) -> list[Order]:
        """The orders of one customer (see :class:`OrderRepository`)."""
        self._unit.view()
        return self.find_by_index("customer", id_argument(customer_id, CustomerId, "$.customer_id"))

    def with_status(self, status: OrderStatus | str) -> list[Order]:
        """The orders with this status (see :class:`OrderRepository`)."""
        self._unit.view()
        return self.find_by_index("status", choice_argument(status, OrderStatus, "$.status"))

    def with_payment_status(self, status: PaymentStatus | str) -> list[Order]:
        """The orders with this payment status (see :class:`OrderRepository`)."""
        self._unit.view()
        return self.find_by_index(
            "payment_status", choice_argument(status, PaymentStatus, "$.payment_status")
        )

    def with_fulfilment_status(self, status: FulfilmentStatus | str) -> list[Order]:
        """The orders with this fulfilment status (see :class:`OrderRepository`)."""
        self._unit.view()
        return self.find_by_index(
            "fulfilment_status",
            choice_argument(status, FulfilmentStatus, "$.fulfilment_status"),
        )


def _payment_status(order: Order) -> tuple[str, ...]:
    return (order.payment_status.value,)


def _fulfilment_status(order: Order) -> tuple[str, ...]:
    return (order.fulfilment_status.value,)


def _subscription_plan(subscription: Subscription) -> tuple[str, ...]:
    return (subscription.plan.id.value,)


class StoreSubscriptionRepository(StoreRepository[Subscription], SubscriptionRepository):
    """The subscription repository of :class:`~crmcore.repository.StoreUnitOfWork`.

    .. versionadded:: 0.1
    """

    def for_customer(self, customer_id: CustomerId) -> list[Subscription]:
        """The subscriptions of one customer (see :class:`SubscriptionRepository`)."""
        self._unit.view()
        return self.find_by_index("customer", id_argument(customer_id, CustomerId, "$.customer_id"))

    def for_plan(self, plan_id: PlanId) -> list[Subscription]:
        """The subscriptions to one plan (see :class:`SubscriptionRepository`)."""
        self._unit.view()
        return self.find_by_index("plan", id_argument(plan_id, PlanId, "$.plan_id"))

    def with_status(self, status: SubscriptionStatus | str) -> list[Subscription]:
        """The subscriptions with this stored status (see :class:`SubscriptionRepository`)."""
        self._unit.view()
        return self.find_by_index("status", choice_argument(status, SubscriptionStatus, "$.status"))


#: The registration of the :class:`~crmcore.commerce.Order` aggregate.
ORDERS: Final[AggregateSpec[Order]] = AggregateSpec(
    name="orders",
    kind="order",
    aggregate_type=Order,
    id_type=OrderId,
    indexes={
        "customer": by_customer,
        "status": by_status,
        "payment_status": _payment_status,
        "fulfilment_status": _fulfilment_status,
    },
    repository_type=StoreOrderRepository,
    references={"customer_id": "customers"},
)

#: The registration of the :class:`~crmcore.commerce.Subscription` aggregate.
SUBSCRIPTIONS: Final[AggregateSpec[Subscription]] = AggregateSpec(
    name="subscriptions",
    kind="subscription",
    aggregate_type=Subscription,
    id_type=SubscriptionId,
    indexes={"customer": by_customer, "plan": _subscription_plan, "status": by_status},
    repository_type=StoreSubscriptionRepository,
    references={"customer_id": "customers"},
)
