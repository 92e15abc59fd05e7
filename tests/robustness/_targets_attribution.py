"""The targets of marketing attribution and ROI (see ``_targets.py``; the lead imports this module)."""

from datetime import timedelta

from crmcore import Money
from crmcore.commerce import OrderId
from crmcore.customers import CustomerId
from crmcore.marketing import RevenueConversion, attribute, campaign_roi, conversions_from

from ._corpus import LATER, ORDER
from ._corpus_attribution import ATTRIBUTIONS, SALE, SPRING, TOUCHES
from ._fuzz import function

function(
    RevenueConversion,
    {
        "customer_id": CustomerId("c-1"),
        "at": LATER,
        "revenue": Money("10.00", "USD"),
        "source_id": OrderId("o-9"),
    },
    name="RevenueConversion",
)
function(conversions_from, {"orders": [ORDER], "opportunities": []})
function(
    attribute,
    {
        "conversions": [SALE],
        "touches": list(TOUCHES),
        "model": "position_based",
        "lookback": timedelta(days=30),
        "half_life": timedelta(days=7),
    },
)
function(
    campaign_roi,
    {
        "campaigns": [SPRING],
        "members": [],
        "attributions": list(ATTRIBUTIONS),
        "currency": "IDR",
        "rates": None,
        "cost_on": None,
    },
)
