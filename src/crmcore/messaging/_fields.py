"""The standard message fields, and the values crmcore objects give them."""

from __future__ import annotations

from datetime import datetime, tzinfo
from typing import Final

from crmcore._kernel._checks import require_aware, type_name
from crmcore._kernel._frozen import FrozenMap
from crmcore.commerce import Subscription
from crmcore.customers import Customer
from crmcore.errors import InvalidType
from crmcore.loyalty import LoyaltyAccount
from crmcore.service import Case

#: The standard field names a template may use without declaring them custom, and what each holds.
#:
#: :func:`message_values` fills the first group from crmcore objects; the
#: caller supplies the others (``business_name``, ``staff_name``,
#: ``discount_code``, ``discount``, ``reward``, ``order_reference``).
MESSAGE_FIELDS: Final[FrozenMap[str, str]] = FrozenMap(
    {
        "first_name": (
            "the name to greet the customer by: a person's preferred or given name, "
            "an organization's trading or legal name"
        ),
        "full_name": "a person's given and family names, or an organization's legal name",
        "points_balance": "the loyalty points the member can spend at the time (an int)",
        "tier": "the code of the member's loyalty tier at the time",
        "plan_name": "the name of the subscription's plan",
        "amount_due": "the subscription's fee for one billing period (Money)",
        "due_date": "the next date a subscription fee falls due (a date)",
        "case_reference": "the case's id, for the customer to quote",
        "business_name": "the name of the business sending the message",
        "staff_name": "the staff member who signs or handles the message",
        "discount_code": "a discount or voucher code",
        "discount": "a discount: an amount (Money) or a percentage (an int or Decimal)",
        "reward": "the name of a loyalty reward or gift",
        "order_reference": "an order's id, for the customer to quote",
    }
)


def message_values(
    *,
    customer: Customer | None = None,
    loyalty_account: LoyaltyAccount | None = None,
    subscription: Subscription | None = None,
    case: Case | None = None,
    at: datetime,
    tz: tzinfo | None = None,
) -> dict[str, object]:
    """The standard values the given objects hold at ``at``, by field name.

    Only what exists is returned: a field whose object is not given, or that
    has no value (a subscription with no further due date, a loyalty
    membership not in force at ``at``), is left out, so that rendering a template that
    uses it reports it missing instead of sending a blank.

    - ``customer``: ``first_name`` (the name's greeting: a person's preferred
      or given name, an organization's trading or legal name) and
      ``full_name``.
    - ``loyalty_account``, if the membership is in force at ``at``:
      ``points_balance`` (the points available at ``at``: the balance less
      points past their expiry) and ``tier`` (the tier held at ``at``).
    - ``subscription``: ``plan_name``, ``amount_due`` (the plan's fee) and
      ``due_date`` (the date of the next due date at or after ``at``, in
      ``tz`` if given, else in the due date's own time zone).
    - ``case``: ``case_reference`` (the case's id).

    >>> from datetime import timezone
    >>> from crmcore import CustomerId, PersonName
    >>> at = datetime(2026, 3, 2, 9, 0, tzinfo=timezone.utc)
    >>> ana = Customer.register(
    ...     CustomerId("c-1"), name=PersonName("Ana", family="Putri", preferred="Nana"), at=at
    ... )
    >>> message_values(customer=ana, at=at)
    {'first_name': 'Nana', 'full_name': 'Ana Putri'}

    Raises:
        InvalidType: an object of the wrong class, a naive ``at``, or a
            ``tz`` that is not a tzinfo.
    """
    when = require_aware(at, "$.at")
    if tz is not None and not isinstance(tz, tzinfo):
        raise InvalidType(f"must be a tzinfo, not {type_name(tz)}", path="$.tz")
    values: dict[str, object] = {}
    if customer is not None:
        _require(customer, Customer, "$.customer")
        values["first_name"] = customer.name.greeting
        values["full_name"] = customer.name.full
    if loyalty_account is not None:
        _require(loyalty_account, LoyaltyAccount, "$.loyalty_account")
        tier = loyalty_account.tier_at(when)
        if tier is not None and loyalty_account.is_active_at(when):
            values["points_balance"] = loyalty_account.available(when)
            values["tier"] = tier
    if subscription is not None:
        _require(subscription, Subscription, "$.subscription")
        values["plan_name"] = subscription.plan.name
        values["amount_due"] = subscription.fee
        due = subscription.next_due_date(at=when)
        if due is not None:
            values["due_date"] = (due if tz is None else due.astimezone(tz)).date()
    if case is not None:
        _require(case, Case, "$.case")
        values["case_reference"] = str(case.id)
    return values


def _require(value: object, cls: type, path: str) -> None:
    if not isinstance(value, cls):
        raise InvalidType(f"must be a {cls.__name__}, not {type_name(value)}", path=path)
