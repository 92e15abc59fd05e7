"""The customer repository: natural keys and the registration of the Customer aggregate."""

from __future__ import annotations

from typing import Final

from crmcore.customers import Channel, Customer, CustomerId, normalize_email, normalize_phone
from crmcore.repository._errors import not_found_by_key
from crmcore.repository._ports import CustomerRepository
from crmcore.repository._store import AggregateSpec, StoreRepository

# Channels whose contact point value is an E.164 phone number.
_PHONE_CHANNELS: Final = frozenset({Channel.PHONE, Channel.SMS, Channel.WHATSAPP})


def customer_emails(customer: Customer) -> frozenset[str]:
    """The customer's normalized email addresses (the ``email`` natural key)."""
    return frozenset(p.value for p in customer.contact_points if p.channel is Channel.EMAIL)


def customer_phones(customer: Customer) -> frozenset[str]:
    """The customer's E.164 numbers on phone, SMS and WhatsApp (the ``phone`` natural key)."""
    return frozenset(p.value for p in customer.contact_points if p.channel in _PHONE_CHANNELS)


class StoreCustomerRepository(StoreRepository[Customer], CustomerRepository):
    """The customer repository of :class:`~crmcore.repository.StoreUnitOfWork`.

    .. versionadded:: 0.1
    """

    def get_by_email(self, address: str) -> Customer:
        """The customer holding this email address (see :class:`CustomerRepository`)."""
        self._unit.view()
        found = self.find_by_key("email", normalize_email(address, "$.address"))
        if found is None:
            raise not_found_by_key(self._spec.kind, "email address")
        return found

    def get_by_phone(self, number: str, *, default_country_code: str | None = None) -> Customer:
        """The customer holding this phone number (see :class:`CustomerRepository`)."""
        self._unit.view()
        normalized = normalize_phone(number, "$.number", default_country_code=default_country_code)
        found = self.find_by_key("phone", normalized)
        if found is None:
            raise not_found_by_key(self._spec.kind, "phone number")
        return found


#: The registration of the :class:`~crmcore.Customer` aggregate.
CUSTOMERS: Final[AggregateSpec[Customer]] = AggregateSpec(
    name="customers",
    kind="customer",
    aggregate_type=Customer,
    id_type=CustomerId,
    natural_keys={"email": customer_emails, "phone": customer_phones},
    repository_type=StoreCustomerRepository,
)
