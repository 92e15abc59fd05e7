"""The corpus of marketing attribution and ROI: one of every type.

Imported by ``_corpus.py`` before it harvests its samples (the lead wires it in
as ``CORPUS_ROOTS += ATTRIBUTION_CORPUS``), so every public attrs type of the
attribution and ROI modules of :mod:`crmcore.marketing` has a valid sample.
"""

from datetime import timedelta

from crmcore import Money
from crmcore.commerce import OrderId
from crmcore.customers import CustomerId
from crmcore.marketing import (
    Campaign,
    CampaignId,
    RevenueConversion,
    Touch,
    attribute,
    campaign_roi,
)

from ._corpus import DAY, T0

WINDOW = timedelta(days=30)
SPRING = Campaign.create(
    CampaignId("cmp-spring"), name="Spring", campaign_type="email", at=T0
).record_cost(Money("1500000", "IDR"), at=T0)
TOUCHES = (
    Touch(CampaignId("cmp-spring"), CustomerId("c-ana"), T0),
    Touch(CampaignId("cmp-webinar"), CustomerId("c-ana"), T0 + DAY),
    Touch(CampaignId("cmp-spring"), CustomerId("c-ana"), T0 + 2 * DAY),
)
SALE = RevenueConversion(CustomerId("c-ana"), T0 + 3 * DAY, Money("4500000", "IDR"), OrderId("o-1"))
UNTOUCHED = RevenueConversion(
    CustomerId("c-budi"), T0 + 3 * DAY, Money("10000", "IDR"), OrderId("o-2")
)
ATTRIBUTIONS = attribute([SALE, UNTOUCHED], TOUCHES, model="time_decay", lookback=WINDOW)
ROI = campaign_roi([SPRING], [], ATTRIBUTIONS)

CORPUS = (SALE, UNTOUCHED, ATTRIBUTIONS, ATTRIBUTIONS[0].credits, ROI)
