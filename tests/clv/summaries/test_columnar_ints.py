"""The integer path of `summarize_columns`: minor units summed as ints equal the rows' Decimals.

Amounts given as integer minor units are summed per customer and period as ints and
made Decimals once; these properties compare that with ``summarize()`` over the same
rows as Decimals, including purchases after the observation end, refunds, a coarser
unit, and a decimal context too small to sum the amounts exactly (then the Decimal
path is taken and still agrees).
"""

from datetime import UTC, datetime, timedelta
from decimal import localcontext

from hypothesis import given
from hypothesis import strategies as st
from tests._columns_forms import by_rows, same

from crmcore.clv.summaries._columnar import summarize_columns

EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
START = int((datetime(2022, 1, 1, tzinfo=UTC) - EPOCH).total_seconds())


@st.composite
def batches(draw):
    rows = draw(
        st.lists(
            st.tuples(
                st.integers(0, 5),
                st.integers(START, START + 200 * 86_400),
                st.integers(-3_000, 9_000),
            ),
            max_size=50,
        )
    )
    # The observation end may fall before some rows: those are left out of the summary.
    end = EPOCH + timedelta(seconds=START + draw(st.integers(0, 220 * 86_400)))
    period = draw(st.sampled_from(["day", "week", "month"]))
    unit = "week" if period == "day" and draw(st.booleans()) else None
    scale = draw(st.integers(0, 4))
    return rows, {"period": period, "unit": unit, "observation_end": end, "tz": UTC}, scale


@given(batches())
def test_minor_units_summarize_like_decimal_rows(batch):
    rows, options, scale = batch
    ids, seconds, units = ([row[i] for row in rows] for i in range(3))
    table = summarize_columns(ids, seconds, units, time_unit="s", amount_scale=scale, **options)
    same(table, by_rows(rows, options, scale))


@given(batches())
def test_a_small_decimal_context_takes_the_decimal_path(batch):
    rows, options, scale = batch
    ids, seconds, units = ([row[i] for row in rows] for i in range(3))
    with localcontext() as context:
        context.prec = 3
        table = summarize_columns(ids, seconds, units, time_unit="s", amount_scale=scale, **options)
        expected = by_rows(rows, options, scale)
    same(table, expected)
