"""The customer's privacy commands and its erasure, mixed into :class:`~crmcore.Customer`.

:class:`CustomerPrivacy` gives the customer its privacy state's commands
(restriction, objections, legal holds), the question
:meth:`~CustomerPrivacy.processing_decision`, and the customer meaning of the
kernel's :class:`~crmcore._kernel._personal.HoldsPersonalData`: which fields
are personal, what replaces them, and an erasure that marks the customer
erased and refuses every later command.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import TYPE_CHECKING, Any, ClassVar, Final, Self, Unpack

import attrs

from crmcore._kernel._aggregate import Command
from crmcore._kernel._checks import check_name, enum_converter
from crmcore._kernel._events import EventMeta
from crmcore._kernel._ids import CustomerId, PrivacyRequestId
from crmcore._kernel._personal import ERASED, HoldsPersonalData
from crmcore.customers._consent import ConsentRecord, consents_without_identity
from crmcore.customers._contact import ContactPoint
from crmcore.customers._errors import AlreadyErased, CustomerMerged, ErasureBlocked
from crmcore.customers._events import (
    CustomerAnonymised,
    CustomerLegalHoldPlaced,
    CustomerLegalHoldReleased,
    CustomerObjected,
    CustomerObjectionWithdrawn,
    CustomerProcessingRestricted,
    CustomerRestrictionLifted,
)
from crmcore.customers._party import OrganizationName, PersonName, Profile
from crmcore.customers._privacy import (
    MAX_LEGAL_HOLDS,
    LegalHold,
    Objection,
    ObjectionKind,
    PrivacyState,
    ProcessingDecision,
    ProcessingPurpose,
    Restriction,
    decide_processing,
)
from crmcore.errors import InvalidType, ValidationError

#: The personal fields of a customer, in the order events list them.
CUSTOMER_PERSONAL_FIELDS: Final = (
    "profile.name",
    "profile.birth_date",
    "profile.addresses",
    "profile.attributes",
    "profile.preferred_language",
    "contact_points",
    "consent_addresses",
)

#: The tombstone of each profile field (by init name) but the name.
_PROFILE_TOMBSTONES: Final[Mapping[str, object]] = {
    "birth_date": None,
    "addresses": (),
    "attributes": {},
    "preferred_language": None,
}


def _objection(value: object) -> ObjectionKind:
    return enum_converter(ObjectionKind, "$.kind")(value)


def _request(value: object) -> PrivacyRequestId | None:
    if value is not None and type(value) is not PrivacyRequestId:
        raise InvalidType("must be a PrivacyRequestId or None", path="$.request_id")
    return value


class CustomerPrivacy(HoldsPersonalData[CustomerId]):
    """The privacy commands and the erasure of a customer (mixed into ``Customer``)."""

    __slots__ = ()

    personal_fields: ClassVar[tuple[str, ...]] = CUSTOMER_PERSONAL_FIELDS
    _anonymised_by = CustomerAnonymised

    if TYPE_CHECKING:
        profile: Profile
        contact_points: tuple[ContactPoint, ...]
        consents: tuple[ConsentRecord, ...]
        merged_into: CustomerId | None
        privacy: PrivacyState

    # -- the time rule and the tombstones ---------------------------------------------------

    def _begin(self, at: object, meta: Mapping[str, object], *, path: str = "$.at") -> Command:
        # An erased customer and a tombstone take no command (see anonymise for the exception).
        if self.privacy.erased_at is not None:
            raise AlreadyErased.of(self.id)
        if self.merged_into is not None:
            raise CustomerMerged.of(self.id, self.merged_into)
        return super()._begin(at, meta, path=path)

    def _tombstones(self, fields: frozenset[str]) -> dict[str, Any]:
        changes: dict[str, Any] = {}
        profile: dict[str, object] = {
            name: value
            for name, value in _PROFILE_TOMBSTONES.items()
            if f"profile.{name}" in fields
        }
        if "profile.name" in fields:
            person = isinstance(self.profile.name, PersonName)
            profile["name"] = PersonName(ERASED) if person else OrganizationName(ERASED)
        if profile:
            changes["profile"] = attrs.evolve(self.profile, **profile)
        if "contact_points" in fields:
            changes["contact_points"] = ()
        if "consent_addresses" in fields:
            changes["consents"] = consents_without_identity(self.consents)
        return changes

    def _check_privacy(self) -> None:
        """An erased customer holds no personal value (its tombstones are its values)."""
        if self.privacy.erased_at is None:
            return
        changes = self._tombstones(frozenset(CUSTOMER_PERSONAL_FIELDS))
        for name, value in changes.items():
            if getattr(self, name) != value:
                raise ValidationError(
                    "an erased customer must hold no personal data",
                    path=f"$.{name}",
                    code="erased",
                )

    # -- queries ------------------------------------------------------------------------------

    @property
    def is_erased(self) -> bool:
        """True once the customer's personal data was erased (:meth:`anonymise`)."""
        return self.privacy.erased_at is not None

    def processing_decision(
        self, purpose: ProcessingPurpose | str, *, at: datetime
    ) -> ProcessingDecision:
        """May the customer's data be used for ``purpose`` at ``at``, and why (a reason code).

        An erased customer's data is used for nothing (``erased``); a
        restriction denies every purpose (``processing_restricted``); an
        objection to profiling denies profiling, an objection to direct
        marketing denies marketing (automated marketing messages included). Consent is a separate
        question (:meth:`may_contact`): both must allow a marketing message.

        >>> from datetime import datetime, timezone
        >>> from crmcore.customers import Customer, CustomerId, PersonName
        >>> at = datetime(2026, 1, 5, tzinfo=timezone.utc)
        >>> ana = Customer.register(CustomerId("c-1"), name=PersonName("Ana"), at=at)
        >>> ana = ana.object_to("direct_marketing", at=at)
        >>> decision = ana.processing_decision("marketing", at=at)
        >>> bool(decision), decision.reason
        (False, 'objected_to_direct_marketing')
        >>> ana.processing_decision("profiling", at=at).reason
        'allowed'

        Raises:
            ValidationError: an unknown purpose or a naive ``at``.
        """
        return decide_processing(self.privacy, purpose, at=at)

    # -- restriction, objections, legal holds ---------------------------------------------------

    def restrict_processing(
        self,
        *,
        at: datetime,
        reason: str,
        request_id: PrivacyRequestId | None = None,
        **meta: Unpack[EventMeta],
    ) -> Self:
        """Restrict processing of the customer's data; records ``CustomerProcessingRestricted``.

        ``reason`` is a snake_case code (such as ``"accuracy_contested"``),
        ``request_id`` the data-subject request asking for it, if any.
        Restricting again for the same reason and request changes nothing;
        another reason or request replaces the restriction.

        Raises:
            ValidationError: ``reason`` is not a snake_case code (``$.reason``).
            AlreadyErased: the customer was erased.
        """
        command = self._begin(at, meta)
        code = check_name(reason, "$.reason")
        request = _request(request_id)
        current = self.privacy.restriction
        if current is not None and current.reason == code and current.request_id == request:
            return self
        restriction = Restriction(since=command.at, reason=code, request_id=request)
        draft = CustomerProcessingRestricted.draft(reason=code, request_id=request)
        privacy = attrs.evolve(self.privacy, restriction=restriction)
        return self._record(command, draft, privacy=privacy)

    def lift_restriction(self, *, at: datetime, **meta: Unpack[EventMeta]) -> Self:
        """Lift the restriction of processing; records ``CustomerRestrictionLifted`` (no-op if none)."""
        command = self._begin(at, meta)
        if self.privacy.restriction is None:
            return self
        privacy = attrs.evolve(self.privacy, restriction=None)
        return self._record(command, CustomerRestrictionLifted.draft(), privacy=privacy)

    def object_to(
        self, kind: ObjectionKind | str, *, at: datetime, **meta: Unpack[EventMeta]
    ) -> Self:
        """Record the customer's objection to ``kind`` of processing; records ``CustomerObjected``.

        An objection already held changes nothing.
        """
        command = self._begin(at, meta)
        wanted = _objection(kind)
        if self.privacy.objection(wanted) is not None:
            return self
        objections = (*self.privacy.objections, Objection(kind=wanted, since=command.at))
        privacy = attrs.evolve(self.privacy, objections=objections)
        return self._record(command, CustomerObjected.draft(objection=wanted), privacy=privacy)

    def withdraw_objection(
        self, kind: ObjectionKind | str, *, at: datetime, **meta: Unpack[EventMeta]
    ) -> Self:
        """Withdraw an objection; records ``CustomerObjectionWithdrawn`` (no-op if not held)."""
        command = self._begin(at, meta)
        wanted = _objection(kind)
        if self.privacy.objection(wanted) is None:
            return self
        objections = tuple(o for o in self.privacy.objections if o.kind is not wanted)
        privacy = attrs.evolve(self.privacy, objections=objections)
        draft = CustomerObjectionWithdrawn.draft(objection=wanted)
        return self._record(command, draft, privacy=privacy)

    def place_legal_hold(
        self, code: str, *, at: datetime, reason: str, **meta: Unpack[EventMeta]
    ) -> Self:
        """Place a legal hold that blocks erasure; records ``CustomerLegalHoldPlaced``.

        ``code`` names the hold (snake_case, unique per customer) and
        ``reason`` is a snake_case code such as ``"litigation"``. Placing a
        hold already held for the same reason changes nothing.

        Raises:
            ValidationError: a code is not snake_case, the code is held for
                another reason (``duplicate``), or 20 holds are held (``too_many``).
        """
        command = self._begin(at, meta)
        name = check_name(code, "$.code")
        why = check_name(reason, "$.reason")
        current = self.privacy.legal_hold(name)
        if current is not None:
            if current.reason == why:
                return self
            raise ValidationError(
                "the customer already has a legal hold with this code",
                path="$.code",
                code="duplicate",
            )
        if len(self.privacy.legal_holds) >= MAX_LEGAL_HOLDS:
            raise ValidationError(
                f"must hold at most {MAX_LEGAL_HOLDS} legal holds",
                path="$.privacy.legal_holds",
                code="too_many",
            )
        hold = LegalHold(code=name, reason=why, placed_at=command.at)
        privacy = attrs.evolve(self.privacy, legal_holds=(*self.privacy.legal_holds, hold))
        draft = CustomerLegalHoldPlaced.draft(code=name, reason=why)
        return self._record(command, draft, privacy=privacy)

    def release_legal_hold(self, code: str, *, at: datetime, **meta: Unpack[EventMeta]) -> Self:
        """Release a legal hold; records ``CustomerLegalHoldReleased``.

        Raises:
            ValidationError: the customer has no hold with ``code`` (``not_found``).
        """
        command = self._begin(at, meta)
        name = check_name(code, "$.code")
        if self.privacy.legal_hold(name) is None:
            raise ValidationError(
                "the customer has no legal hold with this code", path="$.code", code="not_found"
            )
        holds = tuple(h for h in self.privacy.legal_holds if h.code != name)
        privacy = attrs.evolve(self.privacy, legal_holds=holds)
        return self._record(command, CustomerLegalHoldReleased.draft(code=name), privacy=privacy)

    # -- erasure -----------------------------------------------------------------------------------

    def anonymise(self, *, at: datetime, **meta: Unpack[EventMeta]) -> Self:
        """Erase the customer's personal data; records ``CustomerAnonymised`` and nothing else.

        The name becomes a placeholder (``"[erased]"``, of the customer's
        kind); birth date, postal addresses, attributes, preferred language
        and contact points are removed; the consent history stays as proof
        (channel, purpose, status, times, legal basis, source) without its
        addresses. Ids, tags (codes), owner, team and lifecycle states stay.
        ``privacy.erased_at`` is set, and every later command raises
        :class:`~crmcore.customers.AlreadyErased`.

        A customer merged into another (a tombstone) can be erased too: it
        still holds its old profile. Its legal holds do not block that: a
        merge gave them to the survivor, whose holds decide (released there,
        they no longer stand).

        Raises:
            AlreadyErased: the customer was erased already.
            ErasureBlocked: a legal hold blocks the erasure (the error names the holds' codes).
            ValidationError: ``at`` is naive or before the last change.
        """
        if self.privacy.erased_at is not None:
            raise AlreadyErased.of(self.id)
        if self.privacy.legal_holds and self.merged_into is None:
            raise ErasureBlocked.of(self.id, [h.code for h in self.privacy.legal_holds])
        command = super()._begin(at, meta)  # past the tombstone check: a tombstone may be erased
        changes, changed = self._replaced(frozenset(CUSTOMER_PERSONAL_FIELDS))
        privacy = attrs.evolve(self.privacy, erased_at=command.at)
        draft = CustomerAnonymised.draft(fields=changed)
        return self._record(command, draft, privacy=privacy, **changes)
