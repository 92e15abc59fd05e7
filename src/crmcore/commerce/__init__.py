"""Commerce: orders with lines, payments, refunds and returns; subscriptions on plans with due dates."""

from crmcore._kernel._ids import OrderId, PaymentId, PlanId, ProductId, SubscriptionId
from crmcore._kernel._time import Period
from crmcore.commerce._order_events import (
    OrderCancelled,
    OrderCustomerRepointed,
    OrderEvent,
    OrderFulfilled,
    OrderItemsReturned,
    OrderPaid,
    OrderPaymentFailed,
    OrderPaymentRecorded,
    OrderPlaced,
    OrderRefunded,
)
from crmcore.commerce._order_lines import ItemReturn, OrderLine, Refund, ReturnedLine
from crmcore.commerce._orders import ORDER_STATUSES, Order, OrderStatus
from crmcore.commerce._payments import Payment, PaymentMethod, PaymentOutcome
from crmcore.commerce._plans import PaymentDue, PaymentDueStatus, Plan
from crmcore.commerce._subscription_events import (
    SUBSCRIPTION_STATUSES,
    SubscriptionCancellationScheduled,
    SubscriptionCancelled,
    SubscriptionCustomerRepointed,
    SubscriptionEvent,
    SubscriptionExpired,
    SubscriptionPaymentFailed,
    SubscriptionPaymentRecorded,
    SubscriptionRenewed,
    SubscriptionResumed,
    SubscriptionStarted,
    SubscriptionStatus,
    SubscriptionStatusChanged,
)
from crmcore.commerce._subscriptions import Subscription, first_subscription_date

__all__ = [
    "ORDER_STATUSES",
    "SUBSCRIPTION_STATUSES",
    "ItemReturn",
    "Order",
    "OrderCancelled",
    "OrderCustomerRepointed",
    "OrderEvent",
    "OrderFulfilled",
    "OrderId",
    "OrderItemsReturned",
    "OrderLine",
    "OrderPaid",
    "OrderPaymentFailed",
    "OrderPaymentRecorded",
    "OrderPlaced",
    "OrderRefunded",
    "OrderStatus",
    "Payment",
    "PaymentDue",
    "PaymentDueStatus",
    "PaymentId",
    "PaymentMethod",
    "PaymentOutcome",
    "Period",
    "Plan",
    "PlanId",
    "ProductId",
    "Refund",
    "ReturnedLine",
    "Subscription",
    "SubscriptionCancellationScheduled",
    "SubscriptionCancelled",
    "SubscriptionCustomerRepointed",
    "SubscriptionEvent",
    "SubscriptionExpired",
    "SubscriptionId",
    "SubscriptionPaymentFailed",
    "SubscriptionPaymentRecorded",
    "SubscriptionRenewed",
    "SubscriptionResumed",
    "SubscriptionStarted",
    "SubscriptionStatus",
    "SubscriptionStatusChanged",
    "first_subscription_date",
]
