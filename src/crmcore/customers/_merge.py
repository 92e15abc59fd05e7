"""Merging duplicate customers: survivorship rules, the preview and the merge itself.

:func:`merge_customers` folds one customer (the *absorbed*) into another (the
*survivor*) and returns both, changed: the survivor holds the combined record
and records ``CustomersMerged``; the absorbed becomes a tombstone naming the
survivor (``merged_into``), records ``CustomerAbsorbed`` and refuses every
later command with :class:`~crmcore.customers.CustomerMerged`.
:func:`preview_merge` returns the same plan without applying it.

Re-pointing the other records that name the absorbed customer (orders, cases,
...) is the unit-of-work merge service's job; it calls :func:`merge_customers`.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import datetime
from enum import StrEnum
from typing import Any, Final, TypeVar, Unpack

import attrs

from crmcore._kernel._checks import enum_converter, instance_of, require_aware
from crmcore._kernel._events import EventMeta
from crmcore._kernel._fields import Checked
from crmcore._kernel._ids import CustomerId, StaffId, TeamId
from crmcore.customers._consent import (
    ConsentRecord,
    ConsentStatus,
    Purpose,
    address_verdict,
    latest_consents,
    latest_for_address,
    verdict,
)
from crmcore.customers._contact import Channel, ContactPoint
from crmcore.customers._customer import (
    MAX_CONSENT_RECORDS,
    MAX_CONTACT_POINTS,
    MAX_TAGS,
    Customer,
)
from crmcore.customers._errors import AlreadyErased, CustomerMerged
from crmcore.customers._events import CustomerAbsorbed, CustomersMerged
from crmcore.customers._lifecycle import LifecycleState
from crmcore.customers._party import (
    MAX_ADDRESSES,
    MAX_ATTRIBUTES,
    Attributes,
    AttributeValue,
    PostalAddress,
    Profile,
)
from crmcore.customers._privacy import MAX_LEGAL_HOLDS, PrivacyState
from crmcore.errors import ValidationError

T = TypeVar("T")

#: The ``source`` of the withdrawals a merge records (see :func:`merge_customers`).
MERGE_SOURCE: Final = "crmcore:merge"


class MergeRule(StrEnum):
    """How one field of a merged customer is chosen (see :class:`SurvivorshipRules`).

    - ``most_recent``: the value of the customer changed last (``updated_at``;
      the survivor on a tie).
    - ``survivor`` / ``absorbed``: the preferred source's value.
    - ``union``: every value of both, the survivor's first (addresses only).

    Whatever the rule, an empty value (none, an empty text or list) never wins
    over a value: a merge never loses what one of the two records knew.
    """

    MOST_RECENT = "most_recent"
    SURVIVOR = "survivor"
    ABSORBED = "absorbed"
    UNION = "union"


def _single_value(value: object, path: str) -> MergeRule:
    rule = enum_converter(MergeRule, path)(value)
    if rule is MergeRule.UNION:
        raise ValidationError(
            "must be most_recent, survivor or absorbed (a single value has no union)",
            path=path,
            code="choice",
        )
    return rule


def _name_rule(value: object) -> MergeRule:
    return _single_value(value, "$.name")


def _birth_date_rule(value: object) -> MergeRule:
    return _single_value(value, "$.birth_date")


def _language_rule(value: object) -> MergeRule:
    return _single_value(value, "$.preferred_language")


def _addresses_rule(value: object) -> MergeRule:
    return enum_converter(MergeRule, "$.addresses")(value)


def _attributes_rule(value: object) -> MergeRule:
    return _single_value(value, "$.attributes")


def _owner_rule(value: object) -> MergeRule:
    return _single_value(value, "$.owner")


@attrs.frozen(slots=True, kw_only=True)
class SurvivorshipRules:
    """Which value the survivor keeps, field by field, when two customers merge.

    Each field takes a :class:`MergeRule`. A customer does not keep the time
    each of its fields last changed, so ``most_recent`` compares the two
    customers' ``updated_at`` (the survivor wins a tie). Whatever the rule, a
    value beats an empty one.

    Attributes:
        name: the name (default ``survivor``: the record you chose to keep).
        birth_date: the birth date (default ``most_recent``).
        preferred_language: the language (default ``most_recent``).
        addresses: the postal addresses (default ``union``: every address of
            both, the survivor's first; or one customer's whole list).
        attributes: each custom attribute both customers hold (default
            ``most_recent``); a key only one of them holds is always kept.
        owner: the owner and team, as a pair (default ``survivor``).

    Contact points, tags and consent histories are always combined (see
    :func:`merge_customers`). The rules are plain data for
    :mod:`crmcore.serialization`:

    >>> from crmcore.serialization import from_dict, to_dict
    >>> rules = SurvivorshipRules(name="most_recent")
    >>> document = to_dict(rules)
    >>> document["name"], document["addresses"]
    ('most_recent', 'union')
    >>> from_dict(SurvivorshipRules, document) == rules
    True
    >>> SurvivorshipRules(birth_date="union")
    Traceback (most recent call last):
    ...
    crmcore.errors.ValidationError: $.birth_date: must be most_recent, survivor or absorbed (a single value has no union)
    """

    name: MergeRule = attrs.field(default=MergeRule.SURVIVOR, converter=_name_rule)
    birth_date: MergeRule = attrs.field(default=MergeRule.MOST_RECENT, converter=_birth_date_rule)
    preferred_language: MergeRule = attrs.field(
        default=MergeRule.MOST_RECENT, converter=_language_rule
    )
    addresses: MergeRule = attrs.field(default=MergeRule.UNION, converter=_addresses_rule)
    attributes: MergeRule = attrs.field(default=MergeRule.MOST_RECENT, converter=_attributes_rule)
    owner: MergeRule = attrs.field(default=MergeRule.SURVIVOR, converter=_owner_rule)


@attrs.frozen(slots=True)
class FieldChoice(Checked):
    """Which customer's value of one field the survivor keeps, and why.

    Attributes:
        field: ``"name"``, ``"birth_date"``, ``"preferred_language"``,
            ``"addresses"``, ``"owner"`` (owner and team), ``"created_at"``,
            or ``"attributes.<key>"`` for each attribute the absorbed holds.
        source: ``"survivor"``, ``"absorbed"`` or ``"both"`` (a union).
        reason: ``"same"`` (both hold the same value), ``"only_value"`` (the
            other one is empty), ``"preferred_source"``, ``"most_recent"``,
            ``"union"``, or ``"earliest"`` (``created_at``: the earlier
            registration).
        changed: whether the survivor's value changes.
    """

    field: str
    source: str
    reason: str
    changed: bool


@attrs.frozen(slots=True, kw_only=True, repr=False)
class CustomerMergePreview(Checked):
    """What :func:`merge_customers` would do, computed by :func:`preview_merge`.

    The predicted fields (``profile``, ``contact_points``, ``consents``,
    ``tags``, ``owner``, ``team``, ``lifecycles``, ``created_at``) are
    exactly the merged survivor's; the rest says what changes and why. It
    holds the customers' personal data (a screen shows it to the person who
    decides), so its repr shows counts only.

    Attributes:
        survivor_id: the customer that stays.
        absorbed_id: the customer merged into it.
        at: when the merge happens.
        choices: one :class:`FieldChoice` per profile field, owner,
            ``created_at`` and attribute of the absorbed customer.
        contact_points_added: the absorbed's contact points the survivor
            gains (as they will be stored: a channel keeps the survivor's
            primary).
        tags_added: the tags the survivor gains.
        consents_added: the absorbed's consent records the survivor gains.
        consent_guards: the withdrawals the merge records so that no
            refusal becomes a permission (see :func:`merge_customers`).
        changed: the fields that change, as ``CustomersMerged`` names them.
        privacy: the survivor's privacy state after the merge: it gains the
            absorbed's restriction (if it has none), objections and legal holds.
    """

    survivor_id: CustomerId
    absorbed_id: CustomerId
    at: datetime
    choices: tuple[FieldChoice, ...]
    profile: Profile
    contact_points: tuple[ContactPoint, ...]
    consents: tuple[ConsentRecord, ...]
    tags: frozenset[str]
    owner: StaffId | None
    team: TeamId | None
    lifecycles: tuple[LifecycleState, ...]
    created_at: datetime
    contact_points_added: tuple[ContactPoint, ...]
    tags_added: frozenset[str]
    consents_added: tuple[ConsentRecord, ...]
    consent_guards: tuple[ConsentRecord, ...]
    changed: tuple[str, ...]
    privacy: PrivacyState = attrs.field(factory=PrivacyState)

    def choice(self, field: str) -> FieldChoice | None:
        """The choice made for ``field`` (``"name"``, ``"attributes.store"``, ...), if any."""
        for choice in self.choices:
            if choice.field == field:
                return choice
        return None

    def __repr__(self) -> str:
        return (
            f"CustomerMergePreview(survivor_id={self.survivor_id!r}, "
            f"absorbed_id={self.absorbed_id!r}, changed={list(self.changed)!r}, "
            f"contact_points_added={len(self.contact_points_added)}, "
            f"tags_added={len(self.tags_added)}, consents_added={len(self.consents_added)}, "
            f"consent_guards={len(self.consent_guards)})"
        )


# -- choosing values ------------------------------------------------------------------------


def _is_empty(value: object) -> bool:
    return value is None or value in ("", (), (None, None))


def _same(left: object, right: object) -> bool:
    # ``True == 1`` in Python: an attribute's type is part of its value.
    return type(left) is type(right) and left == right


def _choose(
    field: str, rule: MergeRule, kept: T, other: T, absorbed_newer: bool
) -> tuple[T, FieldChoice]:
    """The survivor's (``kept``) or the absorbed's (``other``) value of one field, and why."""
    if _same(kept, other) or _is_empty(other):
        reason = "same" if _same(kept, other) else "only_value"
        return kept, FieldChoice(field, "survivor", reason, changed=False)
    if _is_empty(kept):
        return other, FieldChoice(field, "absorbed", "only_value", changed=True)
    if rule is MergeRule.MOST_RECENT:
        take_other = absorbed_newer
        reason = "most_recent"
    else:
        take_other = rule is MergeRule.ABSORBED
        reason = "preferred_source"
    if take_other:
        return other, FieldChoice(field, "absorbed", reason, changed=True)
    return kept, FieldChoice(field, "survivor", reason, changed=False)


def _addresses(
    rule: MergeRule, kept: tuple[PostalAddress, ...], other: tuple[PostalAddress, ...], newer: bool
) -> tuple[tuple[PostalAddress, ...], FieldChoice]:
    if rule is not MergeRule.UNION:
        return _choose("addresses", rule, kept, other, newer)
    extra = tuple(address for address in other if address not in kept)
    if not extra:
        reason = "same" if kept == other else "union"
        return kept, FieldChoice("addresses", "survivor", reason, changed=False)
    if len(kept) + len(extra) > MAX_ADDRESSES:
        raise ValidationError(
            f"must hold at most {MAX_ADDRESSES} addresses once merged",
            path="$.profile.addresses",
            code="too_many",
        )
    source = "both" if kept else "absorbed"
    return (*kept, *extra), FieldChoice("addresses", source, "union", changed=True)


def _attributes(
    rule: MergeRule,
    kept: Mapping[str, AttributeValue],
    other: Mapping[str, AttributeValue],
    newer: bool,
) -> tuple[dict[str, AttributeValue], list[FieldChoice]]:
    merged = dict(kept)
    choices: list[FieldChoice] = []
    for key in sorted(other):
        if key in kept:
            value, choice = _choose(f"attributes.{key}", rule, kept[key], other[key], newer)
        else:  # kept whatever it holds, an empty text too: the survivor has no value
            value, choice = (
                other[key],
                FieldChoice(f"attributes.{key}", "absorbed", "only_value", True),
            )
        merged[key] = value
        choices.append(choice)
    if len(merged) > MAX_ATTRIBUTES:
        raise ValidationError(
            f"must hold at most {MAX_ATTRIBUTES} attributes once merged",
            path="$.profile.attributes",
            code="too_many",
        )
    return merged, choices


def _contact_points(
    kept: tuple[ContactPoint, ...], other: tuple[ContactPoint, ...]
) -> tuple[tuple[ContactPoint, ...], tuple[ContactPoint, ...], bool]:
    """The union by (channel, normalized value), the points added, and whether any flag changed.

    A point both hold is verified if either verified it and keeps the
    survivor's label (the absorbed's if the survivor has none). An added
    point stays its channel's primary only if the survivor has no primary on
    that channel.
    """
    points = list(kept)
    where = {point.key: index for index, point in enumerate(points)}
    primaries = {point.channel for point in points if point.primary}
    added: list[ContactPoint] = []
    flags_changed = False
    for point in other:
        index = where.get(point.key)
        if index is not None:
            current = points[index]
            verified = current.verified or point.verified
            label = current.label if current.label is not None else point.label
            if (verified, label) != (current.verified, current.label):
                points[index] = attrs.evolve(current, verified=verified, label=label)
                flags_changed = True
            continue
        if point.primary:
            if point.channel in primaries:
                point = attrs.evolve(point, primary=False)  # noqa: PLW2901 - the stored form
            else:
                primaries.add(point.channel)
        where[point.key] = len(points)
        points.append(point)
        added.append(point)
    if len(points) > MAX_CONTACT_POINTS:
        raise ValidationError(
            f"must hold at most {MAX_CONTACT_POINTS} contact points once merged",
            path="$.contact_points",
            code="too_many",
        )
    return tuple(points), tuple(added), flags_changed


def _consents(
    kept: tuple[ConsentRecord, ...], other: tuple[ConsentRecord, ...], at: datetime
) -> tuple[tuple[ConsentRecord, ...], tuple[ConsentRecord, ...], tuple[ConsentRecord, ...]]:
    """The union of both histories in time order, the records added, and the guards.

    A record both hold (every field equal) is kept once. On a tie in time the
    survivor's records come first, as in ``survivor.consents + absorbed.consents``,
    so a decision over the union is the one over that concatenation.
    """
    known = set(kept)
    added = tuple(record for record in other if record not in known)
    union = sorted((*kept, *added), key=lambda record: record.captured_at)
    guards = _guards(kept, other, union, at)
    if len(union) + len(guards) > MAX_CONSENT_RECORDS:
        raise ValidationError(
            f"must hold at most {MAX_CONSENT_RECORDS} consent records once merged",
            path="$.consents",
            code="too_many",
        )
    return (*union, *guards), added, guards


def _guards(
    kept: Iterable[ConsentRecord],
    other: Iterable[ConsentRecord],
    union: Iterable[ConsentRecord],
    at: datetime,
) -> tuple[ConsentRecord, ...]:
    """Withdrawals, dated ``at``, for each (channel, purpose) the union alone would open.

    The least-permissive rule reads two scopes, the channel's own records and
    the every-channel ones. Combining two histories can pair one customer's
    channel grant with the other's later every-channel grant, past the
    withdrawal that kept each of them closed: neither may be contacted, the
    union may. A merge must never turn a refusal into a permission, so such
    a pair gets a withdrawal at the merge.

    Every record is captured at or before ``at`` (both customers' last changes
    are), so the latest record of each scope is the same at every time from
    ``at`` on, and a decision only changes when a grant expires: checking at
    ``at`` and at each expiry after it covers every time after the merge.
    """
    kept_latest = latest_consents(kept, at)
    other_latest = latest_consents(other, at)
    union_latest = latest_consents(union, at)
    times = {at}
    for latest in (kept_latest, other_latest, union_latest):
        times.update(
            r.expires_at for r in latest.values() if r.expires_at is not None and r.expires_at > at
        )
    ordered = sorted(times)
    guards: list[ConsentRecord] = []
    for channel in Channel:
        for purpose in Purpose:
            for when in ordered:
                if (
                    verdict(union_latest, channel, purpose, when)[0]
                    and not verdict(kept_latest, channel, purpose, when)[0]
                    and not verdict(other_latest, channel, purpose, when)[0]
                ):
                    guards.append(_merge_withdrawal(channel, purpose, at))
                    break
    guards.extend(_address_guards(kept, other, union, ordered, at))
    return tuple(guards)


def _merge_withdrawal(
    channel: Channel, purpose: Purpose, at: datetime, address: str | None = None
) -> ConsentRecord:
    """The withdrawal a merge records for one scope (a channel's, or one address's)."""
    return ConsentRecord(
        channel=channel,
        purpose=purpose,
        status=ConsentStatus.WITHDRAWN,
        captured_at=at,
        source=MERGE_SOURCE,
        address=address,
    )


def _address_guards(
    kept: Iterable[ConsentRecord],
    other: Iterable[ConsentRecord],
    union: Iterable[ConsentRecord],
    channel_times: list[datetime],
    at: datetime,
) -> list[ConsentRecord]:
    """Withdrawals, dated ``at``, for each address the union alone would open (as above)."""
    kept, other, union = tuple(kept), tuple(other), tuple(union)
    scopes = sorted(
        {(r.channel, r.purpose, r.address) for r in union if r.address is not None},
        key=lambda scope: (str(scope[0]), scope[1].value, str(scope[2])),
    )
    guards: list[ConsentRecord] = []
    for channel, purpose, address in scopes:
        if channel is None or address is None:  # pragma: no cover - an address has its channel
            continue
        times = set(channel_times)
        times.update(
            r.expires_at
            for r in union
            if r.address == address and r.expires_at is not None and r.expires_at > at
        )
        scope = (channel, purpose, address)
        for when in sorted(times):
            if (
                _opens(union, scope, when)
                and not _opens(kept, scope, when)
                and not _opens(other, scope, when)
            ):
                guards.append(_merge_withdrawal(channel, purpose, at, address))
                break
    return guards


def _opens(
    records: tuple[ConsentRecord, ...], scope: tuple[Channel, Purpose, str], when: datetime
) -> bool:
    channel, purpose, address = scope
    channel_verdict = verdict(latest_consents(records, when), channel, purpose, when)
    own = latest_for_address(records, channel, purpose, address, when)
    return address_verdict(channel_verdict, own, purpose, when)[0]


def _privacy(kept: PrivacyState, other: PrivacyState) -> PrivacyState:
    """The survivor's privacy state with the absorbed's restriction, objections and holds.

    One person's refusal stays a refusal once their records are one: the
    survivor keeps its own restriction (else takes the absorbed's), and
    gains the objections and legal holds it does not hold yet.
    """
    kinds = {o.kind for o in kept.objections}
    codes = {h.code for h in kept.legal_holds}
    holds = (*kept.legal_holds, *(h for h in other.legal_holds if h.code not in codes))
    if len(holds) > MAX_LEGAL_HOLDS:
        raise ValidationError(
            f"must hold at most {MAX_LEGAL_HOLDS} legal holds once merged",
            path="$.privacy.legal_holds",
            code="too_many",
        )
    merged = PrivacyState(
        erased_at=kept.erased_at,
        restriction=kept.restriction if kept.restriction is not None else other.restriction,
        objections=(*kept.objections, *(o for o in other.objections if o.kind not in kinds)),
        legal_holds=holds,
    )
    return kept if merged == kept else merged


def _lifecycles(
    kept: tuple[LifecycleState, ...], other: tuple[LifecycleState, ...]
) -> tuple[LifecycleState, ...]:
    """The survivor's states, and the absorbed's in lifecycles the survivor is not tracked in."""
    tracked = {state.definition for state in kept}
    extra = [state for state in other if state.definition not in tracked]
    if not extra:
        return kept
    return tuple(sorted((*kept, *extra), key=lambda state: state.history[-1].at))


# -- the plan -------------------------------------------------------------------------------


def _check_pair(
    survivor: object, absorbed: object, at: object
) -> tuple[Customer, Customer, datetime]:
    kept = instance_of(Customer, "a Customer")(survivor, "$.survivor")
    other = instance_of(Customer, "a Customer")(absorbed, "$.absorbed")
    when = require_aware(at, "$.at")
    if kept.privacy.erased_at is not None:
        raise AlreadyErased.of(kept.id, path="$.survivor.privacy.erased_at")
    if other.privacy.erased_at is not None:
        raise AlreadyErased.of(other.id, path="$.absorbed.privacy.erased_at")
    if kept.merged_into is not None:
        raise CustomerMerged.of(kept.id, kept.merged_into, path="$.survivor.merged_into")
    if other.merged_into is not None:
        raise CustomerMerged.of(other.id, other.merged_into, path="$.absorbed.merged_into")
    if kept.id == other.id:
        raise ValidationError(
            "must be another customer than the survivor", path="$.absorbed.id", code="same_customer"
        )
    if kept.kind is not other.kind:
        raise ValidationError(
            "must be of the survivor's kind: a person and an organization are different parties "
            "(relate them with crmcore.parties instead)",
            path="$.absorbed.kind",
            code="kind_mismatch",
        )
    for customer in (kept, other):
        if when < customer.updated_at:
            raise ValidationError(
                "must not be before either customer's last change (times never go backwards)",
                path="$.at",
                code="time_backwards",
            )
    return kept, other, when


def _plan(
    survivor: object, absorbed: object, at: object, rules: object
) -> tuple[Customer, Customer, CustomerMergePreview]:
    kept, other, when = _check_pair(survivor, absorbed, at)
    checked_rules = instance_of(SurvivorshipRules, "a SurvivorshipRules")(rules, "$.rules")
    newer = other.updated_at > kept.updated_at
    mine, theirs = kept.profile, other.profile
    choices: list[FieldChoice] = []
    name, choice = _choose("name", checked_rules.name, mine.name, theirs.name, newer)
    choices.append(choice)
    birth_date, choice = _choose(
        "birth_date", checked_rules.birth_date, mine.birth_date, theirs.birth_date, newer
    )
    choices.append(choice)
    language, choice = _choose(
        "preferred_language",
        checked_rules.preferred_language,
        mine.preferred_language,
        theirs.preferred_language,
        newer,
    )
    choices.append(choice)
    addresses, choice = _addresses(checked_rules.addresses, mine.addresses, theirs.addresses, newer)
    choices.append(choice)
    (owner, team), choice = _choose(
        "owner", checked_rules.owner, (kept.owner, kept.team), (other.owner, other.team), newer
    )
    choices.append(choice)
    created_at = min(kept.created_at, other.created_at)
    choices.append(
        FieldChoice(
            "created_at",
            "absorbed" if created_at < kept.created_at else "survivor",
            "earliest",
            changed=created_at < kept.created_at,
        )
    )
    attributes, attribute_choices = _attributes(
        checked_rules.attributes, mine.attributes, theirs.attributes, newer
    )
    choices.extend(attribute_choices)
    points, points_added, flags_changed = _contact_points(kept.contact_points, other.contact_points)
    tags_added = other.tags - kept.tags
    if len(kept.tags) + len(tags_added) > MAX_TAGS:
        raise ValidationError(
            f"must hold at most {MAX_TAGS} tags once merged", path="$.tags", code="too_many"
        )
    consents, consents_added, guards = _consents(kept.consents, other.consents, when)
    lifecycles = _lifecycles(kept.lifecycles, other.lifecycles)
    privacy = _privacy(kept.privacy, other.privacy)
    changed = {c.field.partition(".")[0] for c in choices if c.changed}
    for field, differs in (
        ("privacy", privacy is not kept.privacy),
        ("contact_points", bool(points_added) or flags_changed),
        ("tags", bool(tags_added)),
        ("consents", bool(consents_added) or bool(guards)),
        ("lifecycles", lifecycles is not kept.lifecycles),
    ):
        if differs:
            changed.add(field)
    profile = Profile(
        name=name,
        birth_date=birth_date,
        addresses=addresses,
        preferred_language=language,
        attributes=Attributes(attributes),
    )
    preview = CustomerMergePreview(
        survivor_id=kept.id,
        absorbed_id=other.id,
        at=when,
        choices=tuple(choices),
        profile=profile,
        contact_points=points,
        consents=consents,
        tags=kept.tags | tags_added,
        owner=owner,
        team=team,
        lifecycles=lifecycles,
        created_at=created_at,
        contact_points_added=points_added,
        tags_added=tags_added,
        consents_added=consents_added,
        consent_guards=guards,
        changed=tuple(sorted(changed)),
        privacy=privacy,
    )
    return kept, other, preview


def _apply(
    kept: Customer, other: Customer, plan: CustomerMergePreview, meta: Mapping[str, Any]
) -> tuple[Customer, Customer]:
    command = kept._begin(plan.at, meta)  # noqa: SLF001 - the customer's own time rule
    draft = CustomersMerged.draft(
        absorbed_ids=(other.id,),
        changed=plan.changed,
        contact_points_added=len(plan.contact_points_added),
        tags_added=len(plan.tags_added),
        consents_added=len(plan.consents_added) + len(plan.consent_guards),
    )
    # The dedicated path for old records: the command is dated ``at`` while the
    # consent records added keep their own (earlier) times, which no command may write.
    merged = kept._record(  # noqa: SLF001 - the merge writes the fields no command can
        command,
        draft,
        profile=plan.profile,
        contact_points=plan.contact_points,
        consents=plan.consents,
        tags=plan.tags,
        owner=plan.owner,
        team=plan.team,
        lifecycles=plan.lifecycles,
        created_at=plan.created_at,
        privacy=plan.privacy,
    )
    absorbed_command = other._begin(plan.at, meta)  # noqa: SLF001 - as above
    tombstone = other._record(  # noqa: SLF001 - as above
        absorbed_command,
        CustomerAbsorbed.draft(survivor_id=kept.id, contact_points_moved=len(other.contact_points)),
        merged_into=kept.id,
        contact_points=(),
    )
    return merged, tombstone


def preview_merge(
    survivor: Customer,
    absorbed: Customer,
    *,
    at: datetime,
    rules: SurvivorshipRules = SurvivorshipRules(),
) -> CustomerMergePreview:
    """What :func:`merge_customers` would do with the same arguments, changing nothing.

    Raises the same errors as :func:`merge_customers`: a preview that
    succeeds is a merge that succeeds.
    """
    kept, other, plan = _plan(survivor, absorbed, at, rules)
    _apply(kept, other, plan, {})  # builds (and checks) the result, then drops it
    return plan


def merge_customers(
    survivor: Customer,
    absorbed: Customer,
    *,
    at: datetime,
    rules: SurvivorshipRules = SurvivorshipRules(),
    **meta: Unpack[EventMeta],
) -> tuple[Customer, Customer]:
    """Merge ``absorbed`` into ``survivor`` at time ``at``; return both, changed.

    The survivor keeps its id and takes:

    - each profile field and the owner by ``rules`` (:class:`SurvivorshipRules`);
      every attribute of both (a key both hold by ``rules.attributes``);
    - the union of the contact points, by channel and normalized value (a
      point both hold is verified if either verified it; each channel keeps
      at most one primary, the survivor's);
    - the union of the tags;
    - the union of both consent histories in time order, each record with
      its own time and source. Where that union would allow a contact that
      neither customer allowed (the channel and every-channel scopes of the
      least-permissive rule can combine that way), a withdrawal for that
      channel and purpose is recorded at ``at`` with source ``"crmcore:merge"``:
      a merge never turns a refusal into a permission;
    - the lifecycle states of the absorbed in lifecycles it is not tracked in
      (stages follow from the re-pointed records afterwards);
    - the earlier ``created_at`` of the two (the absorbed's consent records
      may predate the survivor's registration).

    It records ``CustomersMerged`` (the absorbed id and the fields changed).
    The absorbed customer becomes a tombstone: ``merged_into`` names the
    survivor, its contact points move to the survivor (a natural key belongs
    to one customer), it records ``CustomerAbsorbed``, and every later command
    on it raises :class:`~crmcore.customers.CustomerMerged`. Both events carry
    the envelope keywords (``actor``, ...) given.

    Raises:
        InvalidType: ``survivor`` or ``absorbed`` is not a Customer, ``rules``
            not a SurvivorshipRules.
        CustomerMerged: either customer was already merged into another
            (``$.survivor.merged_into``, ``$.absorbed.merged_into``).
        AlreadyErased: either customer was erased
            (``$.survivor.privacy.erased_at``, ``$.absorbed.privacy.erased_at``).
        ValidationError: the same customer twice (``$.absorbed.id``,
            ``same_customer``); a person and an organization
            (``$.absorbed.kind``, ``kind_mismatch``); ``at`` naive or before
            either customer's last change (``$.at``, ``time_backwards``); the
            union holds more contact points, tags, addresses, attributes or
            consent records than a customer may (``too_many``). Nothing is
            applied.
    """
    kept, other, plan = _plan(survivor, absorbed, at, rules)
    return _apply(kept, other, plan, meta)
