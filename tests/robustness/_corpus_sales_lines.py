"""The corpus of opportunity line items: lines, deals holding them, their events.

Imported by ``_corpus.py`` before it harvests its samples (the lead wires it in
as ``CORPUS_ROOTS += SALES_LINES_CORPUS``), so :class:`crmcore.sales.OpportunityLine`
and :class:`crmcore.sales.OpportunityLinesReplaced` have valid samples, and an
``OpportunityOpened`` event carrying lines is among the documents.
"""

from datetime import date

from crmcore.sales import Opportunity, OpportunityId, OpportunityLine, ProductId
from crmcore.teams import StaffId

from ._corpus import CID, DAY, HOUR, PIPELINE, T0, idr

ESPRESSO = ProductId("p-espresso")
BEANS = ProductId("p-beans")
MACHINE_LINE = OpportunityLine(ESPRESSO, 3, idr(12_500_000), discount=idr(1_500_000))
#: 5% off 10 x 250,000: a discount of 125,000.00 (exact, two places from the percent).
BEANS_LINE = OpportunityLine.with_discount_percent(BEANS, 10, idr(250_000), percent="5")
#: A deal opened with lines (its amount is their nets: 36,000,000 + 2,375,000).
LINED = Opportunity.open(
    OpportunityId("opp-lines"),
    customer_id=CID,
    name="Espresso machines",
    expected_close=date(2024, 3, 29),
    owner=StaffId("rep-1"),
    pipeline=PIPELINE,
    stage="proposal",
    at=T0,
    lines=[MACHINE_LINE, BEANS_LINE],
)
#: Lines replaced, removed (the amount freed and changed), and given again.
RELINED = (
    LINED.replace_lines([MACHINE_LINE], at=T0 + HOUR)
    .replace_lines([], at=T0 + DAY)
    .change_amount(idr(40_000_000), at=T0 + DAY)
    .replace_lines([MACHINE_LINE, BEANS_LINE], at=T0 + 2 * DAY)
)
WON_LINED = RELINED.win(PIPELINE, at=T0 + 3 * DAY)

CORPUS = (MACHINE_LINE, BEANS_LINE, LINED, RELINED, WON_LINED)
