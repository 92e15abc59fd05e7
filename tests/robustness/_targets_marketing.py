"""The targets of the campaign part of marketing (see ``_targets.py``; the lead imports this module)."""

from datetime import date

from hypothesis import strategies as st

from crmcore import Money
from crmcore._kernel._ids import SequentialIdSource
from crmcore.marketing import (
    Campaign,
    CampaignId,
    CampaignMember,
    CampaignMemberId,
    Touch,
    add_members,
    touches_of,
    utm_value,
)
from crmcore.sales import LeadId
from crmcore.testing.strategies._marketing import campaign_members, campaigns

from ._corpus import BASE_END, HOUR, LATER, T0, either
from ._corpus_marketing import (
    CAMPAIGN,
    CAMPAIGN_ID,
    CONVERTED_MEMBER,
    MEMBER,
    RUN_CAMPAIGN,
    SUBSCRIBER,
)
from ._fuzz import function, method

CAMPAIGNS = st.one_of(
    st.sampled_from([CAMPAIGN, RUN_CAMPAIGN]),
    campaigns(currencies=["IDR"], max_steps=3, max_created_at=BASE_END),
)
MEMBERS = either(MEMBER, campaign_members(max_steps=3, max_created_at=BASE_END))

# -- campaigns -------------------------------------------------------------------------------

function(
    Campaign.create,
    {
        "campaign_id": CampaignId("cmp-9"),
        "name": "Webinar",
        "campaign_type": "webinar",
        "channel": "email",
        "start": date(2031, 6, 10),
        "end": date(2031, 6, 10),
        "budget": Money("100", "USD"),
        "parent_id": CAMPAIGN_ID,
        "utm_source": "partner",
        "utm_medium": "referral",
        "utm_campaign": "webinar_9",
        "at": LATER,
    },
    name="Campaign.create",
)
for _name, _args in {
    "activate": lambda c: {"at": c.updated_at + HOUR},
    "complete": lambda c: {"at": c.updated_at + HOUR},
    "abort": lambda c: {"at": c.updated_at + HOUR},
    "record_cost": lambda c: {
        "amount": Money("10", c.currency or "IDR"),
        "at": c.updated_at + HOUR,
    },
    "change_budget": lambda c: {
        "budget": Money("10", c.currency or "IDR"),
        "at": c.updated_at + HOUR,
    },
    "rename": lambda c: {"name": "Renamed", "at": c.updated_at + HOUR},
    "change_dates": lambda c: {
        "start": date(2031, 1, 1),
        "end": date(2031, 2, 1),
        "at": c.updated_at + HOUR,
    },
    "runs_on": lambda c: {"day": date(2031, 1, 15)},
    "without_pending_events": None,
}.items():
    method(CAMPAIGNS, _name, _args, label="Campaign")
function(utm_value, {"value": "spring_sale", "path": "$.utm_campaign"})

# -- members ---------------------------------------------------------------------------------

function(
    CampaignMember.add,
    {
        "member_id": CampaignMemberId("cm-9"),
        "campaign_id": CAMPAIGN_ID,
        "customer_id": SUBSCRIBER.id,
        "channel": "email",
        "at": LATER,
    },
    name="CampaignMember.add",
)
method(
    st.just(MEMBER),
    "send",
    lambda m: {"at": T0 + HOUR, "customer": SUBSCRIBER, "channel": "email"},
    label="CampaignMember",
)
for _name in (
    "mark_delivered",
    "mark_opened",
    "mark_clicked",
    "respond",
    "convert",
    "unsubscribe",
):
    method(MEMBERS, _name, lambda m: {"at": m.updated_at + HOUR}, label="CampaignMember")
method(MEMBERS, "without_pending_events", label="CampaignMember")
method(
    MEMBERS,
    "repoint_customer",
    lambda m: {"previous": m.customer_id, "customer_id": SUBSCRIBER.id, "at": m.updated_at + HOUR},
    label="CampaignMember",
)
function(
    add_members,
    lambda _: {
        "campaign": CAMPAIGN,
        "subjects": [SUBSCRIBER, LeadId("lead-9")],
        "at": T0 + HOUR,
        "id_source": SequentialIdSource("cm-"),
    },
)
function(touches_of, {"members": [CONVERTED_MEMBER, MEMBER], "leads": []})
function(
    Touch,
    {"campaign_id": CAMPAIGN_ID, "customer_id": SUBSCRIBER.id, "at": T0},
    name="Touch",
)
