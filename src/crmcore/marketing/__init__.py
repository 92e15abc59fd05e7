"""Marketing: campaigns, their members, the touches they leave, revenue attribution and ROI.

A :class:`Campaign` has a type, a channel, dates, a budget and an actual cost,
an optional parent and UTM tags, and a status (planned, active, completed,
aborted). :func:`add_members` adds customers and leads to it, from a list or
from a segment's result, as :class:`CampaignMember` records whose status follows
the funnel (targeted, sent, delivered, opened, clicked, responded, converted,
unsubscribed); a member is only sent a message when consent allows it at that
time. :func:`touches_of` turns responses into :class:`Touch` values, which
:func:`attribute` credits won revenue to; :func:`campaign_roi` sums it up per
campaign.
"""

from crmcore._kernel._ids import CampaignId, CampaignMemberId
from crmcore.marketing._adding import MAX_ADD_MEMBERS, add_members
from crmcore.marketing._attribution import (
    DEFAULT_HALF_LIFE,
    MAX_ATTRIBUTION_RECORDS,
    MAX_CREDITED_TOUCHES,
    MAX_TOUCHES_PER_CONVERSION,
    Attribution,
    AttributionModel,
    CampaignCredit,
    RevenueConversion,
    attribute,
    conversions_from,
)
from crmcore.marketing._campaigns import (
    CAMPAIGN_STATUSES,
    MAX_CAMPAIGN_NAME,
    MAX_UTM,
    Campaign,
    CampaignAborted,
    CampaignActivated,
    CampaignBudgetChanged,
    CampaignCompleted,
    CampaignCostRecorded,
    CampaignCreated,
    CampaignDatesChanged,
    CampaignEvent,
    CampaignRenamed,
    CampaignStatus,
    CampaignStatusChange,
    CampaignType,
    utm_value,
)
from crmcore.marketing._members import (
    MAX_MEMBER_HISTORY,
    MAX_TOUCH_MEMBERS,
    MEMBER_STATUSES,
    RESPONSE_STATUSES,
    CampaignMember,
    CampaignMemberAdded,
    CampaignMemberCustomerRepointed,
    CampaignMemberEvent,
    CampaignMemberStatusChanged,
    MemberStatus,
    MemberStatusChange,
    Touch,
    touches_of,
)
from crmcore.marketing._roi import CampaignRoi, campaign_roi

__all__ = [
    "CAMPAIGN_STATUSES",
    "DEFAULT_HALF_LIFE",
    "MAX_ADD_MEMBERS",
    "MAX_ATTRIBUTION_RECORDS",
    "MAX_CAMPAIGN_NAME",
    "MAX_CREDITED_TOUCHES",
    "MAX_MEMBER_HISTORY",
    "MAX_TOUCHES_PER_CONVERSION",
    "MAX_TOUCH_MEMBERS",
    "MAX_UTM",
    "MEMBER_STATUSES",
    "RESPONSE_STATUSES",
    "Attribution",
    "AttributionModel",
    "Campaign",
    "CampaignAborted",
    "CampaignActivated",
    "CampaignBudgetChanged",
    "CampaignCompleted",
    "CampaignCostRecorded",
    "CampaignCreated",
    "CampaignCredit",
    "CampaignDatesChanged",
    "CampaignEvent",
    "CampaignId",
    "CampaignMember",
    "CampaignMemberAdded",
    "CampaignMemberCustomerRepointed",
    "CampaignMemberEvent",
    "CampaignMemberId",
    "CampaignMemberStatusChanged",
    "CampaignRenamed",
    "CampaignRoi",
    "CampaignStatus",
    "CampaignStatusChange",
    "CampaignType",
    "MemberStatus",
    "MemberStatusChange",
    "RevenueConversion",
    "Touch",
    "add_members",
    "attribute",
    "campaign_roi",
    "conversions_from",
    "touches_of",
    "utm_value",
]
