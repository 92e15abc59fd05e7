"""A customer's privacy state: erasure, restriction of processing, objections and legal holds.

The data-protection laws crmcore serves (UU PDP in Indonesia, the GDPR) let a
person restrict the processing of their data, object to profiling and to
direct marketing, and have their data erased. A :class:`PrivacyState` holds
where a customer stands, as codes and times only (no free text):

``erased_at``
    when the customer's personal data was erased (see ``Customer.anonymise``).
``restriction``
    a :class:`Restriction` while processing is restricted.
``objections``
    one :class:`Objection` per kind the customer objects to.
``legal_holds``
    the :class:`LegalHold` s that block an erasure (litigation, tax audit, ...).

:func:`decide_processing` answers "may we use this customer's data for this
purpose?": an erased customer is used for nothing (``erased``), a restricted
one for none of the purposes (``processing_restricted``), an objection to
profiling forbids profiling, and an objection to direct marketing forbids
marketing and the automated messages that carry it. Erasure comes before
restriction, and restriction before objections.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime
from enum import StrEnum
from typing import Any, Final

import attrs

from crmcore._kernel._checks import (
    aware,
    check_name,
    enum_converter,
    is_bool,
    items_of,
    optional_aware,
    require_aware,
    type_name,
)
from crmcore._kernel._ids import PrivacyRequestId
from crmcore.errors import InvalidType, ValidationError

#: Most legal holds one customer may carry at once.
MAX_LEGAL_HOLDS: Final = 20


class ProcessingPurpose(StrEnum):
    """What a customer's data is used for, as far as restriction and objection go.

    .. versionadded:: 0.1
    """

    MARKETING = "marketing"
    PROFILING = "profiling"
    AUTOMATION = "automation"


class ObjectionKind(StrEnum):
    """What a customer may object to (GDPR Article 21, UU PDP Article 10).

    .. versionadded:: 0.1
    """

    PROFILING = "profiling"
    DIRECT_MARKETING = "direct_marketing"


#: The purposes each objection forbids. An objection to direct marketing stops marketing,
#: automated marketing messages included (the automation engine asks for marketing too before
#: such a message); automated service messages (a case update) still go.
OBJECTION_DENIES: Final[dict[ObjectionKind, frozenset[ProcessingPurpose]]] = {
    ObjectionKind.PROFILING: frozenset({ProcessingPurpose.PROFILING}),
    ObjectionKind.DIRECT_MARKETING: frozenset({ProcessingPurpose.MARKETING}),
}

#: Every reason code a :class:`ProcessingDecision` gives.
PROCESSING_REASONS: Final = frozenset(
    {
        "allowed",
        "erased",
        "processing_restricted",
        "objected_to_profiling",
        "objected_to_direct_marketing",
    }
)


def _purpose(value: object) -> ProcessingPurpose:
    return enum_converter(ProcessingPurpose, "$.purpose")(value)


def _objection_kind(value: object) -> ObjectionKind:
    return enum_converter(ObjectionKind, "$.kind")(value)


def _reason(value: object) -> str:
    if type(value) is not str:
        raise InvalidType(f"must be a reason code, not {type_name(value)}", path="$.reason")
    if value not in PROCESSING_REASONS:
        raise ValidationError(
            f"must be one of {', '.join(sorted(PROCESSING_REASONS))}",
            path="$.reason",
            code="choice",
        )
    return str(value)


@attrs.frozen(slots=True, kw_only=True)
class ProcessingDecision:
    """The answer to "may this customer's data be used for this purpose?"; truthy when allowed.

    Attributes:
        allowed: the answer.
        purpose: the purpose asked about.
        reason: a code: ``"allowed"``, ``"erased"``, ``"processing_restricted"``,
            ``"objected_to_profiling"`` or ``"objected_to_direct_marketing"``.

    .. versionadded:: 0.1
    """

    allowed: bool = attrs.field(validator=is_bool)
    purpose: ProcessingPurpose = attrs.field(converter=_purpose)
    reason: str = attrs.field(converter=_reason)

    def __attrs_post_init__(self) -> None:
        if self.allowed is not (self.reason == "allowed"):
            raise ValidationError(
                "must be 'allowed' exactly when the decision allows",
                path="$.reason",
                code="reason_mismatch",
            )

    def __bool__(self) -> bool:
        return self.allowed


def _since(value: object) -> datetime:
    return aware("$.since")(value)


def _reason_code(value: object) -> str:
    return check_name(value, "$.reason")


def _request_id(_: object, __: attrs.Attribute[Any], value: object) -> None:
    if value is not None and type(value) is not PrivacyRequestId:
        raise InvalidType(
            f"must be a PrivacyRequestId, not {type_name(value)}", path="$.request_id"
        )


@attrs.frozen(slots=True, kw_only=True)
class Restriction:
    """Processing restricted since ``since``, for a reason code, maybe at a request's demand.

    Attributes:
        since: when the restriction began.
        reason: a snake_case code, such as ``"accuracy_contested"``.
        request_id: the data-subject request that asked for it, if one did.

    .. versionadded:: 0.1
    """

    since: datetime = attrs.field(converter=_since)
    reason: str = attrs.field(converter=_reason_code)
    request_id: PrivacyRequestId | None = attrs.field(default=None, validator=_request_id)


@attrs.frozen(slots=True, kw_only=True)
class Objection:
    """The customer objects to ``kind`` of processing since ``since``.

    .. versionadded:: 0.1
    """

    kind: ObjectionKind = attrs.field(converter=_objection_kind)
    since: datetime = attrs.field(converter=_since)


def _placed_at(value: object) -> datetime:
    return aware("$.placed_at")(value)


def _hold_code(value: object) -> str:
    return check_name(value, "$.code")


@attrs.frozen(slots=True, kw_only=True)
class LegalHold:
    """A hold that blocks erasure: its code, a reason code and when it was placed.

    Attributes:
        code: the hold's own snake_case code (unique per customer), such as
            ``"tax_audit_2026"``.
        reason: a snake_case reason code, such as ``"litigation"``.
        placed_at: when it was placed.

    .. versionadded:: 0.1
    """

    code: str = attrs.field(converter=_hold_code)
    reason: str = attrs.field(converter=_reason_code)
    placed_at: datetime = attrs.field(converter=_placed_at)


def _erased_at(value: object) -> datetime | None:
    return optional_aware("$.erased_at")(value)


def _restriction(_: object, __: attrs.Attribute[Any], value: object) -> None:
    if value is not None and not isinstance(value, Restriction):
        raise InvalidType(
            f"must be a Restriction or None, not {type_name(value)}", path="$.restriction"
        )


def _objections(value: object) -> tuple[Objection, ...]:
    items = items_of(
        value,
        Objection,
        "$.objections",
        "an Objection",
        max_items=len(ObjectionKind),
        noun="objections",
    )
    seen: set[ObjectionKind] = set()
    for index, item in enumerate(items):
        if item.kind in seen:
            raise ValidationError(
                "must not repeat an objection kind",
                path=f"$.objections[{index}].kind",
                code="duplicate",
            )
        seen.add(item.kind)
    return items


def _legal_holds(value: object) -> tuple[LegalHold, ...]:
    items = items_of(
        value,
        LegalHold,
        "$.legal_holds",
        "a LegalHold",
        max_items=MAX_LEGAL_HOLDS,
        noun="legal holds",
    )
    seen: set[str] = set()
    for index, item in enumerate(items):
        if item.code in seen:
            raise ValidationError(
                "must not repeat a legal hold code",
                path=f"$.legal_holds[{index}].code",
                code="duplicate",
            )
        seen.add(item.code)
    return items


@attrs.frozen(slots=True, kw_only=True)
class PrivacyState:
    """Where a customer stands on erasure, restriction, objections and legal holds.

    Codes and times only; an empty state (the default) allows every purpose.

    >>> from datetime import datetime, timezone
    >>> at = datetime(2026, 2, 1, tzinfo=timezone.utc)
    >>> state = PrivacyState(objections=[Objection(kind="profiling", since=at)])
    >>> decide_processing(state, "profiling", at=at)
    ProcessingDecision(allowed=False, purpose=<ProcessingPurpose.PROFILING: 'profiling'>, reason='objected_to_profiling')
    >>> bool(decide_processing(state, "marketing", at=at))
    True

    .. versionadded:: 0.1
    """

    erased_at: datetime | None = attrs.field(default=None, converter=_erased_at)
    restriction: Restriction | None = attrs.field(default=None, validator=_restriction)
    objections: tuple[Objection, ...] = attrs.field(default=(), converter=_objections)
    legal_holds: tuple[LegalHold, ...] = attrs.field(default=(), converter=_legal_holds)

    @property
    def is_erased(self) -> bool:
        """True once the customer's personal data was erased."""
        return self.erased_at is not None

    @property
    def is_restricted(self) -> bool:
        """True while processing is restricted."""
        return self.restriction is not None

    def objection(self, kind: ObjectionKind | str) -> Objection | None:
        """The objection of ``kind``, or ``None``."""
        wanted = _objection_kind(kind)
        for item in self.objections:
            if item.kind is wanted:
                return item
        return None

    def legal_hold(self, code: str) -> LegalHold | None:
        """The legal hold with ``code``, or ``None``."""
        wanted = _hold_code(code)
        for hold in self.legal_holds:
            if hold.code == wanted:
                return hold
        return None

    def times(self) -> Iterable[datetime]:
        """Every time the state holds."""
        if self.erased_at is not None:
            yield self.erased_at
        if self.restriction is not None:
            yield self.restriction.since
        for item in self.objections:
            yield item.since
        for hold in self.legal_holds:
            yield hold.placed_at


def decide_processing(
    state: PrivacyState, purpose: ProcessingPurpose | str, *, at: datetime
) -> ProcessingDecision:
    """May data under ``state`` be used for ``purpose`` at ``at``? See the module documentation.

    A restriction or objection that begins after ``at`` does not count yet.

    Raises:
        ValidationError: an unknown purpose or a naive ``at``.
    """
    wanted = _purpose(purpose)
    when = require_aware(at, "$.at")
    if not isinstance(state, PrivacyState):
        raise InvalidType(f"must be a PrivacyState, not {type_name(state)}", path="$.state")
    if state.erased_at is not None and state.erased_at <= when:
        return ProcessingDecision(allowed=False, purpose=wanted, reason="erased")
    if state.restriction is not None and state.restriction.since <= when:
        return ProcessingDecision(allowed=False, purpose=wanted, reason="processing_restricted")
    for kind in ObjectionKind:  # a fixed order: profiling first
        item = state.objection(kind)
        if item is not None and item.since <= when and wanted in OBJECTION_DENIES[kind]:
            return ProcessingDecision(allowed=False, purpose=wanted, reason=f"objected_to_{kind}")
    return ProcessingDecision(allowed=True, purpose=wanted, reason="allowed")
