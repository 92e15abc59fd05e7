"""crmcore.plots on hostile input: regressions of what the robustness fuzz and review found."""

import io
from decimal import Decimal

import pytest
from tests._optional import in_ci

from crmcore import CrmcoreError, InvalidType, ValidationError, plots
from crmcore.clv import BetaGeo, holdout_metrics
from crmcore.lifecycle import RELATIONSHIP_LADDER, LifecycleDefinition, State, Transition
from crmcore.segmentation import ClvTier

BG = BetaGeo(params={"r": 0.243, "alpha": 4.414, "a": 0.793, "b": 2.426})
MARKER = "Zqxcustomer"


@pytest.fixture(scope="module")
def mpl():
    """matplotlib; a skip without it locally, a failure without it in CI."""
    if in_ci():
        import matplotlib as mpl  # noqa: PLC0415 - must be installed in CI.

        return mpl
    return pytest.importorskip("matplotlib")


# -- numbers that do not fit a float ---------------------------------------------------------


@pytest.mark.parametrize(
    ("value", "code"),
    [
        (10**400, "too_large"),
        (-(10**400), "not_positive"),
        (Decimal("1E+999999"), "too_large"),
        (Decimal("1E-999999"), "not_positive"),
        (Decimal("sNaN"), "not_finite"),
        (Decimal("NaN"), "not_finite"),
        (Decimal("-Infinity"), "not_finite"),
        (float("nan"), "not_finite"),
        (float("inf"), "not_finite"),
        (2**63, "too_large"),
    ],
)
def test_huge_and_non_finite_ages_are_refused_with_the_rule(value, code):
    """float(10**400) overflowed and float(Decimal('sNaN')) raised a bare ValueError."""
    for call in (
        lambda: plots.frequency_recency_matrix(BG, T=value, max_frequency=2),
        lambda: plots.probability_alive_matrix(BG, T=value, max_frequency=2),
        lambda: plots.frequency_recency_matrix(BG, T=4, max_frequency=2, t=value),
    ):
        with pytest.raises(ValidationError) as info:
            call()
        assert info.value.code == code
        assert info.value.path in {"$.T", "$.t"}


def test_exact_values_in_range_still_work():
    """A Decimal or an int age is read exactly as the float it equals."""
    by_decimal = plots.probability_alive_matrix(BG, T=Decimal("38.86"), max_frequency=2, columns=3)
    by_float = plots.probability_alive_matrix(BG, T=38.86, max_frequency=2, columns=3)
    assert by_decimal == by_float
    assert plots.frequency_recency_matrix(BG, T=4, max_frequency=1, t=2).horizon == 2.0


# -- result types refuse junk fields ---------------------------------------------------------


@pytest.mark.parametrize(
    ("build", "path"),
    [
        (lambda: plots.DiagramEdge(None, "b", "x"), "$.source"),
        (
            lambda: plots.HistoryMatrix("both", "BetaGeo", 1.0, None, (0,), (0.0,), ((1.0,),)),
            "$.quantity",
        ),
        (lambda: plots.TransactionTracking((1.0,), (float("nan"),), (1.0,)), "$.actual[0]"),
        (lambda: plots.FunnelChart("x", ("a",), (2**64,), (0,), (None,)), "$.reached[0]"),
        (lambda: plots.TierHistogram((0.0, 1.0), tuple(ClvTier), ((1,),), (1,), 3), "$.currency"),
    ],
)
def test_result_types_refuse_wrong_fields(build, path):
    """The public result classes check their fields (they accepted anything before)."""
    with pytest.raises(CrmcoreError) as info:
        build()
    assert info.value.path == path


# -- LifecycleLayout.node --------------------------------------------------------------------


def test_node_of_an_unknown_state_is_a_validation_error_without_the_name():
    """node() raised a bare StopIteration for a name not in the layout."""
    layout = plots.lifecycle_layout(RELATIONSHIP_LADDER)
    assert layout.node("prospect").name == "prospect"
    with pytest.raises(ValidationError) as info:
        layout.node(MARKER)
    assert (info.value.path, info.value.code) == ("$.name", "unknown_state")
    assert MARKER not in str(info.value)
    with pytest.raises(InvalidType):
        layout.node(None)


# -- bounded work ----------------------------------------------------------------------------


def test_rfm_map_checks_each_score_as_it_reads():
    """range(2**62) was read 10,000,001 items deep before its first item was refused."""
    reads = []

    def scores():
        for k in range(10**9):
            reads.append(k)
            yield k

    with pytest.raises(InvalidType) as info:
        plots.rfm_segment_map(scores())
    assert info.value.path == "$.scores[0]"
    assert len(reads) == 1
    with pytest.raises(InvalidType):
        plots.rfm_segment_map("rf10")


def test_rfm_map_limit_is_said(monkeypatch):
    from crmcore.plots import _analytics  # noqa: PLC0415

    monkeypatch.setattr(_analytics, "MAX_RFM_SCORES", 2)
    from crmcore import Money  # noqa: PLC0415
    from crmcore.segmentation import RfmScore  # noqa: PLC0415

    one = RfmScore("a", 1, 9, Money("10", "USD"), 5, 5, 5)
    assert plots.rfm_segment_map([one, one]).counts[0][4] == 2
    with pytest.raises(ValidationError) as info:
        plots.rfm_segment_map([one, one, one])
    assert (info.value.path, info.value.code) == ("$.scores", "too_many")


def test_calibration_refuses_too_many_distinct_durations_before_any_forecast():
    """Each distinct duration is one forecast call: 1,000,000 of them took minutes."""
    n = plots.MAX_DURATIONS + 1
    spans = [1 + k / n for k in range(n)]
    with pytest.raises(ValidationError) as info:
        plots.calibration_holdout(BG, [1] * n, [1] * n, [38] * n, [0] * n, spans)
    assert (info.value.path, info.value.code) == ("$.holdout_duration", "too_many_durations")
    # Many customers sharing few durations are fine, and agree with holdout_metrics.
    rows = 3 * plots.MAX_DURATIONS
    spans = [1 + (k % 3) for k in range(rows)]
    ones = [1] * rows
    got = plots.calibration_holdout(BG, ones, ones, [38] * rows, [0] * rows, spans)
    assert got.metrics == holdout_metrics(BG, ones, ones, [38] * rows, [0] * rows, spans)
    by_hand = sum(BG.expected_purchases(s, 1, 1, 38) for s in spans) / rows
    assert got.predicted[0] == pytest.approx(by_hand)


def test_unhashable_durations_are_named_by_holdout_metrics():
    with pytest.raises(CrmcoreError) as info:
        plots.calibration_holdout(BG, [1, 2], [1, 2], [38, 38], [0, 1], [[1], Decimal("sNaN")])
    assert info.value.path.startswith("$.holdout_duration")


# -- the title is checked first, and drawn as plain text -------------------------------------


def test_a_bad_title_is_refused_before_the_data_is_computed(monkeypatch):
    from crmcore.plots import _clv  # noqa: PLC0415

    def boom(*args, **kwargs):
        raise AssertionError("computed the data before checking the title")

    monkeypatch.setattr(_clv, "frequency_recency_matrix", boom)
    with pytest.raises(ValidationError) as info:
        plots.plot_frequency_recency_matrix(BG, T=4, max_frequency=2, title="x" * 201)
    assert info.value.path == "$.title"
    with pytest.raises(InvalidType):
        plots.plot_frequency_recency_matrix(BG, T=4, max_frequency=2, title=b"x")


@pytest.mark.usefixtures("mpl")
def test_dollar_signs_in_titles_and_names_are_plain_text():
    """A '$x^$' title or state name made savefig raise ValueError (matplotlib mathtext)."""
    odd = LifecycleDefinition(
        "odd",
        states=["a", State("b", terminal=True)],
        initial="a",
        transitions=[Transition("go", "a", "b"), Transition("stay", "a", "a")],
    )
    for figure in (
        plots.plot_lifecycle(RELATIONSHIP_LADDER, title="$x^$"),
        plots.plot_lifecycle(odd, title="cost $\\frac$"),
        plots.plot_clv_by_tier({"a": 1, "b": 2}, bins=2, title="$$"),
    ):
        figure.savefig(io.BytesIO(), format="png")
        titles = [ax.get_title() for ax in figure.axes if ax.get_title()]
        assert titles[0].count("$") >= 1
