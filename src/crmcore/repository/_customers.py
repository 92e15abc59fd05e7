"""The customer repository: natural keys, the uniqueness policy, and the Customer registration."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any, Final, Literal

import attrs

from crmcore._kernel._checks import type_name
from crmcore.customers import Channel, Customer, CustomerId, normalize_email, normalize_phone
from crmcore.errors import InvalidType, ValidationError
from crmcore.repository._errors import AmbiguousKey, not_found_by_key
from crmcore.repository._ports import CustomerRepository
from crmcore.repository._store import AggregateSpec, StoreRepository, _UnitState

# Channels whose contact point value is an E.164 phone number.
_PHONE_CHANNELS: Final = frozenset({Channel.PHONE, Channel.SMS, Channel.WHATSAPP})

#: How a store treats a contact value: ``"unique"`` (one customer holds it) or ``"shared"``.
Uniqueness = Literal["unique", "shared"]
_CHOICES: Final = ("unique", "shared")


def customer_emails(customer: Customer) -> frozenset[str]:
    """The customer's normalized email addresses (the ``email`` key or index)."""
    return frozenset(p.value for p in customer.contact_points if p.channel is Channel.EMAIL)


def customer_phones(customer: Customer) -> frozenset[str]:
    """The customer's E.164 numbers on phone, SMS and WhatsApp (the ``phone`` key or index)."""
    return frozenset(p.value for p in customer.contact_points if p.channel in _PHONE_CHANNELS)


def _choice(path: str) -> Any:
    def check(_: object, __: attrs.Attribute[Any], value: object) -> None:
        if not isinstance(value, str):
            raise InvalidType(f"must be a str, not {type_name(value)}", path=path)
        if value not in _CHOICES:
            raise ValidationError('must be "unique" or "shared"', path=path, code="choice")

    return check


@attrs.frozen(slots=True)
class UniquenessPolicy:
    """Whether customers may share an email address or a phone number in one store.

    ``"unique"`` (the default for both) keeps the value a natural key: it
    belongs to at most one customer, and adding or saving a second holder
    raises :class:`~crmcore.repository.DuplicateKey`. ``"shared"`` lets
    several customers hold it (two people of a household with one family
    address) and keeps it as a secondary index: ``customers.find_by_email``
    returns every holder, and ``customers.get_by_email`` raises
    :class:`~crmcore.repository.AmbiguousKey` when more than one holds it.
    Give the policy to the store (``InMemoryStore(uniqueness=...)``); every
    unit of work over the store follows it.

    >>> policy = UniquenessPolicy(email="shared")
    >>> policy
    UniquenessPolicy(email='shared', phone='unique')
    >>> customer_spec(policy).key_names, customer_spec(policy).index_names
    (('phone',), ('email',))
    >>> customer_spec(UniquenessPolicy()) is CUSTOMERS
    True

    Raises:
        InvalidType: a choice that is not a str.
        ValidationError: a choice other than ``"unique"`` or ``"shared"``
            (``$.email`` or ``$.phone``, code ``choice``).

    .. versionadded:: 0.1
    """

    email: Uniqueness = attrs.field(default="unique", validator=_choice("$.email"))
    phone: Uniqueness = attrs.field(default="unique", validator=_choice("$.phone"))

    @classmethod
    def of(cls, spec: AggregateSpec[Any]) -> UniquenessPolicy:
        """The policy a customer spec follows (a key is unique when it is a natural key)."""
        return cls(
            email="unique" if "email" in spec.key_names else "shared",
            phone="unique" if "phone" in spec.key_names else "shared",
        )


class StoreCustomerRepository(StoreRepository[Customer], CustomerRepository):
    """The customer repository of :class:`~crmcore.repository.StoreUnitOfWork`.

    Follows the store's :class:`UniquenessPolicy`: email addresses and phone
    numbers are natural keys when unique, secondary indexes when shared.

    .. versionadded:: 0.1
    """

    def __init__(self, unit: _UnitState, spec: AggregateSpec[Customer]) -> None:
        super().__init__(unit, spec)
        self._unique = frozenset(spec.key_names) & {"email", "phone"}

    @property
    def uniqueness(self) -> UniquenessPolicy:
        """The uniqueness policy of the store's customers."""
        return UniquenessPolicy.of(self._spec)

    def _holders(self, key: str, value: str) -> list[Customer]:
        if key in self._unique:
            found = self.find_by_key(key, value)
            return [] if found is None else [found]
        return self.find_by_index(key, value)

    def _one(self, key: str, value: str, what: str) -> Customer:
        if key in self._unique:
            found = self.find_by_key(key, value)
            if found is None:
                raise not_found_by_key(self._spec.kind, what)
            return found
        holders = self.find_by_index(key, value)
        if not holders:
            raise not_found_by_key(self._spec.kind, what)
        if len(holders) > 1:
            raise AmbiguousKey(self._spec.kind, what, count=len(holders))
        return holders[0]

    def get_by_email(self, address: str) -> Customer:
        """The customer holding this email address (see :class:`CustomerRepository`)."""
        self._unit.view()
        return self._one("email", normalize_email(address, "$.address"), "email address")

    def get_by_phone(self, number: str, *, default_country_code: str | None = None) -> Customer:
        """The customer holding this phone number (see :class:`CustomerRepository`)."""
        self._unit.view()
        normalized = normalize_phone(number, "$.number", default_country_code=default_country_code)
        return self._one("phone", normalized, "phone number")

    def find_by_email(self, address: str) -> list[Customer]:
        """Every customer holding this email address, by id (see :class:`CustomerRepository`)."""
        self._unit.view()
        return self._holders("email", normalize_email(address, "$.address"))

    def find_by_phone(
        self, number: str, *, default_country_code: str | None = None
    ) -> list[Customer]:
        """Every customer holding this phone number, by id (see :class:`CustomerRepository`)."""
        self._unit.view()
        normalized = normalize_phone(number, "$.number", default_country_code=default_country_code)
        return self._holders("phone", normalized)


#: The registration of the :class:`~crmcore.Customer` aggregate (email and phone unique).
CUSTOMERS: Final[AggregateSpec[Customer]] = AggregateSpec(
    name="customers",
    kind="customer",
    aggregate_type=Customer,
    id_type=CustomerId,
    natural_keys={"email": customer_emails, "phone": customer_phones},
    repository_type=StoreCustomerRepository,
)

_EXTRACTORS: Final = {"email": customer_emails, "phone": customer_phones}


def customer_spec(policy: UniquenessPolicy | None = None) -> AggregateSpec[Customer]:
    """The registration of the Customer aggregate under a uniqueness policy.

    The default policy gives :data:`CUSTOMERS` itself; a shared value becomes
    a secondary index of the same name instead of a natural key.

    Raises:
        InvalidType: ``policy`` is not a :class:`UniquenessPolicy` or ``None``.
    """
    if policy is None:
        return CUSTOMERS
    if not isinstance(policy, UniquenessPolicy):
        raise InvalidType(
            f"must be a UniquenessPolicy or None, not {type_name(policy)}", path="$.uniqueness"
        )
    if policy == UniquenessPolicy():
        return CUSTOMERS
    choices = {"email": policy.email, "phone": policy.phone}
    return AggregateSpec(
        name="customers",
        kind="customer",
        aggregate_type=Customer,
        id_type=CustomerId,
        natural_keys={k: f for k, f in _EXTRACTORS.items() if choices[k] == "unique"},
        indexes={k: f for k, f in _EXTRACTORS.items() if choices[k] == "shared"},
        repository_type=StoreCustomerRepository,
    )


def with_uniqueness(
    specs: Iterable[AggregateSpec[Any]], policy: UniquenessPolicy | None
) -> tuple[AggregateSpec[Any], ...]:
    """``specs`` with the Customer registration replaced by the one ``policy`` asks for.

    For store constructors: ``None`` leaves the specs as they are.

    Raises:
        InvalidType: ``policy`` is not a :class:`UniquenessPolicy` or ``None``.
        ValidationError: ``policy`` is given but ``specs`` keep no customers.
    """
    checked = tuple(specs)
    if policy is None:
        return checked
    spec = customer_spec(policy)
    if not any(getattr(s, "aggregate_type", None) is Customer for s in checked):
        raise ValidationError(
            "must keep customers for a uniqueness policy to apply", path="$.specs", code="policy"
        )
    return tuple(spec if s.aggregate_type is Customer else s for s in checked)


def uniqueness_of(specs: Iterable[AggregateSpec[Any]]) -> UniquenessPolicy | None:
    """The uniqueness policy the Customer registration among ``specs`` follows (``None``: none)."""
    for spec in specs:
        if spec.aggregate_type is Customer:
            return UniquenessPolicy.of(spec)
    return None
