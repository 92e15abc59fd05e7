"""Adding customers and leads to a campaign: from a list or from a segment's result."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from collections.abc import Set as AbstractSet
from datetime import datetime
from typing import Final, Unpack

from crmcore._kernel._checks import require_aware, type_name
from crmcore._kernel._events import EventMeta
from crmcore._kernel._ids import CampaignMemberId, CustomerId, IdSource, LeadId
from crmcore.customers import Channel, Customer
from crmcore.errors import InvalidType, ValidationError
from crmcore.marketing._campaigns import Campaign
from crmcore.marketing._members import CampaignMember
from crmcore.sales import Lead
from crmcore.segmentation import Audience

#: Most members one call of :func:`add_members` adds (and most existing members it reads).
MAX_ADD_MEMBERS: Final = 100_000

#: What :func:`add_members` accepts as one subject.
Subject = Customer | Lead | CustomerId | LeadId


def _subject_id(item: object, path: str) -> CustomerId | LeadId:
    if isinstance(item, (Customer, Lead)):
        return item.id
    if type(item) in (CustomerId, LeadId):
        return item  # type: ignore[return-value]
    raise InvalidType(
        f"must be a Customer, a Lead, a CustomerId or a LeadId, not {type_name(item)}", path=path
    )


def _id_order(subject: CustomerId | LeadId) -> tuple[str, str]:
    return (type(subject).__name__, subject.value)


def _subject_ids(subjects: object) -> list[CustomerId | LeadId]:
    if isinstance(subjects, Audience):
        return sorted(subjects.member_ids, key=_id_order)
    if isinstance(subjects, (str, bytes, Mapping)) or not isinstance(subjects, Iterable):
        raise InvalidType(
            f"must be a list of customers or leads, a set of ids or an Audience, "
            f"not {type_name(subjects)}",
            path="$.subjects",
        )
    items: Iterable[object] = subjects
    if isinstance(subjects, AbstractSet):
        # A segment's members: an unordered set of ids, added in id order.
        if len(subjects) > MAX_ADD_MEMBERS:
            raise _too_many("$.subjects")
        checked = [_subject_id(item, "$.subjects") for item in subjects]
        ordered: list[CustomerId | LeadId] = sorted(checked, key=_id_order)
        items = ordered
    ids: list[CustomerId | LeadId] = []
    seen: set[CustomerId | LeadId] = set()
    for index, item in enumerate(items):
        if index >= MAX_ADD_MEMBERS:
            raise _too_many("$.subjects")
        found = _subject_id(item, f"$.subjects[{index}]")
        if found in seen:
            raise ValidationError(
                "must not name a subject twice", path=f"$.subjects[{index}]", code="duplicate"
            )
        seen.add(found)
        ids.append(found)
    return ids


def _too_many(path: str) -> ValidationError:
    return ValidationError(
        f"must hold at most {MAX_ADD_MEMBERS} subjects", path=path, code="too_many"
    )


def _existing_subjects(campaign: Campaign, existing: object) -> set[CustomerId | LeadId]:
    if isinstance(existing, (str, bytes, Mapping)) or not isinstance(existing, Iterable):
        raise InvalidType(
            f"must be an iterable of members, not {type_name(existing)}", path="$.existing"
        )
    found: set[CustomerId | LeadId] = set()
    for index, member in enumerate(existing):
        path = f"$.existing[{index}]"
        if index >= MAX_ADD_MEMBERS:
            raise _too_many("$.existing")
        if not isinstance(member, CampaignMember):
            raise InvalidType(f"must be a CampaignMember, not {type_name(member)}", path=path)
        if member.campaign_id == campaign.id:
            found.add(member.subject_id)
    return found


def add_members(
    campaign: Campaign,
    subjects: Iterable[Subject] | Audience,
    *,
    at: datetime,
    id_source: IdSource,
    existing: Iterable[CampaignMember] = (),
    channel: Channel | str | None = None,
    **meta: Unpack[EventMeta],
) -> tuple[CampaignMember, ...]:
    """Add customers and leads to ``campaign`` as ``targeted`` members, one new member each.

    ``subjects`` is a list of customers, leads or their ids (added in that
    order), a set of ids such as a segment's ``members(...)`` (added in id
    order), or a :class:`~crmcore.segmentation.Audience` (its members, which
    the processing decision already allows; added in id order). Member ids
    come from ``id_source``. Each member's channel is ``channel`` or else the
    campaign's. ``existing`` are members the campaign already has: naming
    their subjects again is refused. Nothing is checked about consent here:
    :meth:`CampaignMember.send` asks it at the time of sending.

    Raises:
        InvalidType: a subject of the wrong type (``$.subjects[i]``), a
            campaign that is not a Campaign (``$.campaign``), a wrong ``existing``.
        ValidationError: a subject named twice (``$.subjects[i]``, code
            ``duplicate``) or already a member (``$.subjects[i]``, code
            ``already_member``); more than ``MAX_ADD_MEMBERS`` subjects
            (``too_many``); the campaign is completed or aborted
            (``$.campaign.status``, code ``campaign_closed``); the id source
            gave an id twice (``$.id_source``, code ``duplicate_id``); a
            naive ``at`` or an unknown channel. Nothing is added.
    """
    if not isinstance(campaign, Campaign):
        raise InvalidType(f"must be a Campaign, not {type_name(campaign)}", path="$.campaign")
    when = require_aware(at, "$.at")
    if not callable(id_source):
        raise InvalidType(
            f"must be a callable id source, not {type_name(id_source)}", path="$.id_source"
        )
    if not campaign.is_open:
        raise ValidationError(
            f"must be planned or active to take members, not {campaign.status.value}",
            path="$.campaign.status",
            code="campaign_closed",
        )
    ids = _subject_ids(subjects)
    already = _existing_subjects(campaign, existing)
    for index, subject in enumerate(ids):
        if subject in already:
            raise ValidationError(
                "must not already be a member of the campaign",
                path=f"$.subjects[{index}]",
                code="already_member",
            )
    chosen = channel if channel is not None else campaign.channel
    members: list[CampaignMember] = []
    member_ids: set[CampaignMemberId] = set()
    for subject in ids:
        member_id = CampaignMemberId.new(id_source)
        if member_id in member_ids:
            raise ValidationError(
                "must give a new id each time", path="$.id_source", code="duplicate_id"
            )
        member_ids.add(member_id)
        members.append(
            CampaignMember.add(
                member_id,
                campaign_id=campaign.id,
                customer_id=subject if type(subject) is CustomerId else None,
                lead_id=subject if type(subject) is LeadId else None,
                channel=chosen,
                at=when,
                **meta,
            )
        )
    return tuple(members)
