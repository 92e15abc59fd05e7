"""The corpus of the marketing capability's campaigns and members: one of every type.

Imported by ``_corpus.py`` before it harvests its samples (the lead wires it in
as ``CORPUS_ROOTS += MARKETING_CORPUS``), so every public attrs type of the
campaign part of :mod:`crmcore.marketing` and every event of its aggregates has
a valid sample. (The attribution helper adds its own samples.)
"""

from datetime import date

from crmcore import Customer, CustomerId, Money, PersonName
from crmcore._kernel._ids import SequentialIdSource
from crmcore.marketing import (
    Campaign,
    CampaignId,
    CampaignMember,
    CampaignMemberId,
    add_members,
    touches_of,
)
from crmcore.sales import LeadId

from ._corpus import DAY, HOUR, T0

CAMPAIGN_ID = CampaignId("cmp-spring")
#: A campaign through every command (so every campaign event has a sample).
CAMPAIGN = Campaign.create(
    CAMPAIGN_ID,
    name="Spring sale",
    campaign_type="email",
    channel="email",
    start=date(2024, 1, 15),
    end=date(2024, 2, 15),
    budget=Money("5000000", "IDR"),
    parent_id=CampaignId("cmp-2024"),
    utm_source="newsletter",
    utm_medium="email",
    utm_campaign="spring_sale",
    at=T0,
)
RUN_CAMPAIGN = (
    CAMPAIGN.rename("Spring sale 2024", at=T0 + HOUR)
    .change_dates(date(2024, 1, 16), date(2024, 2, 20), at=T0 + HOUR)
    .change_budget(Money("6000000", "IDR"), at=T0 + HOUR)
    .activate(at=T0 + DAY)
    .record_cost(Money("1250000", "IDR"), at=T0 + DAY)
    .complete(at=T0 + 30 * DAY)
)
ABORTED_CAMPAIGN = CAMPAIGN.abort(at=T0 + HOUR)

#: A customer who granted email marketing (what sending needs).
SUBSCRIBER = Customer.register(
    CustomerId("c-subscriber"), name=PersonName("Ana"), at=T0
).give_consent("email", "marketing", at=T0, source="web_form")
MEMBER, LEAD_MEMBER = add_members(
    CAMPAIGN, [SUBSCRIBER, LeadId("lead-1")], at=T0, id_source=SequentialIdSource("cm-")
)
#: A member through the whole funnel (every status change has a sample).
CONVERTED_MEMBER = (
    MEMBER.send(at=T0 + HOUR, customer=SUBSCRIBER)
    .mark_delivered(at=T0 + HOUR)
    .mark_opened(at=T0 + 2 * HOUR)
    .mark_clicked(at=T0 + 3 * HOUR)
    .respond(at=T0 + DAY)
    .convert(at=T0 + 2 * DAY)
)
UNSUBSCRIBED_MEMBER = LEAD_MEMBER.unsubscribe(at=T0 + HOUR)
REPOINTED_MEMBER = MEMBER.repoint_customer(SUBSCRIBER.id, CustomerId("c-survivor"), at=T0 + DAY)
OTHER_MEMBER = CampaignMember.add(
    CampaignMemberId("cm-other"), campaign_id=CAMPAIGN_ID, customer_id=CustomerId("c-2"), at=T0
).respond(at=T0 + HOUR)
TOUCHES = touches_of([CONVERTED_MEMBER, OTHER_MEMBER])

CORPUS = (
    CAMPAIGN,
    RUN_CAMPAIGN,
    ABORTED_CAMPAIGN,
    CAMPAIGN.history[0],
    MEMBER,
    CONVERTED_MEMBER,
    CONVERTED_MEMBER.history[-1],
    UNSUBSCRIBED_MEMBER,
    REPOINTED_MEMBER,
    TOUCHES,
    TOUCHES[0],
)
