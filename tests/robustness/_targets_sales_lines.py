"""The targets of opportunity line items (see ``_targets.py``; the lead imports this module)."""

from datetime import date

from hypothesis import strategies as st

from crmcore.sales import Opportunity, OpportunityId, OpportunityLine, ProductId
from crmcore.teams import StaffId
from crmcore.testing import strategies as crm

from ._corpus import BASE_END, CID, LATER, OPPORTUNITY, PIPELINE, idr
from ._corpus_sales_lines import BEANS_LINE, LINED, MACHINE_LINE, RELINED, WON_LINED
from ._fuzz import function, method

#: Deals with lines, without, and won with lines (their lines are final).
LINED_DEALS = st.one_of(
    st.sampled_from([LINED, RELINED, WON_LINED, OPPORTUNITY]),
    crm.opportunities(max_lines=3, max_steps=3, max_created_at=BASE_END),
)

function(
    OpportunityLine.with_discount_percent,
    {
        "product_id": ProductId("p-espresso"),
        "quantity": 3,
        "unit_price": idr(12_500_000),
        "percent": "12.5",
    },
    name="OpportunityLine.with_discount_percent",
)
function(
    Opportunity.open,
    {
        "opportunity_id": OpportunityId("opp-19"),
        "customer_id": CID,
        "name": "Machines",
        "expected_close": date(2031, 9, 1),
        "owner": StaffId("rep-1"),
        "pipeline": PIPELINE,
        "at": LATER,
        "lines": [MACHINE_LINE, BEANS_LINE],
    },
    name="Opportunity.open[lines]",
)
method(
    LINED_DEALS,
    "replace_lines",
    lambda o: {"lines": [MACHINE_LINE, BEANS_LINE], "at": LATER},
    label="Opportunity",
)
# The commands whose rules change while a deal has lines, on deals that have them.
for _name, _args in {
    "change_amount": lambda o: {"amount": idr(7), "at": LATER},
    "win": lambda o: {"pipeline": PIPELINE, "at": LATER, "stage": None, "reason": "signed"},
    "anonymise": lambda o: {"at": LATER},
}.items():
    method(LINED_DEALS, _name, _args, label="Opportunity[lines]")
