"""crmcore.plots: each data function against an independent computation, each figure's data.

Figures are checked by what they carry (image arrays, bar heights, line data,
labels), never by pixels.
"""

import sys
from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest
from tests._optional import in_ci

from crmcore import Customer, CustomerId, InvalidType, Money, PersonName, ValidationError, plots
from crmcore.analytics import cohort_retention
from crmcore.clv import (
    BetaGeo,
    BetaGeoBetaBinom,
    GammaGamma,
    ParetoNBD,
    actual_repeat_transactions,
    expected_repeat_transactions,
    goodness_of_fit,
)
from crmcore.lifecycle import RELATIONSHIP_LADDER, LifecycleDefinition, State, Transition, funnel
from crmcore.segmentation import ClvTier, RfmScore, rfm_segment, tiers_by_percentile

BG = BetaGeo(params={"r": 0.243, "alpha": 4.414, "a": 0.793, "b": 2.426})
PNBD = ParetoNBD(params={"r": 0.553, "alpha": 10.578, "s": 0.606, "beta": 11.669})
BGBB = BetaGeoBetaBinom(params={"alpha": 1.204, "beta": 0.750, "gamma": 0.657, "delta": 2.783})
T0 = datetime(2026, 1, 5, tzinfo=UTC)


@pytest.fixture(scope="module")
def mpl():
    """matplotlib; a skip without it locally, a failure without it in CI."""
    if in_ci():
        import matplotlib as mpl  # noqa: PLC0415 - must be installed in CI.

        return mpl
    return pytest.importorskip("matplotlib")


def _texts(figure):
    return [t.get_text() for ax in figure.axes for t in ax.texts]


# --------------------------------------------------------------------------- matrices


@pytest.mark.parametrize("model", [BG, PNBD], ids=["bgnbd", "paretonbd"])
def test_matrices_hold_the_models_own_predictions(model):
    """Every cell is the model's answer for that history; row 0 is the frequency-0 customer."""
    ep = plots.frequency_recency_matrix(model, T=10, max_frequency=4, t=5, columns=6)
    pa = plots.probability_alive_matrix(model, T=10, max_frequency=4, columns=6)
    assert ep.recencies == (0.0, 2.0, 4.0, 6.0, 8.0, 10.0)
    assert ep.frequencies == (0, 1, 2, 3, 4)
    assert (ep.horizon, pa.horizon, ep.age) == (5.0, None, 10.0)
    for i, x in enumerate(ep.frequencies):
        for j, r in enumerate(ep.recencies):
            rec = r if x else 0.0
            assert ep.values[i][j] == pytest.approx(
                model.expected_purchases(5, x, rec, 10), rel=1e-12
            )
            assert pa.values[i][j] == pytest.approx(model.probability_alive(x, rec, 10), rel=1e-12)


def test_bgbb_matrix_leaves_impossible_histories_empty():
    m = plots.frequency_recency_matrix(BGBB, T=3, max_frequency=3, t=2)
    assert m.recencies == (0.0, 1.0, 2.0, 3.0)
    assert m.values[2][:2] == (None, None)
    assert m.values[2][3] == pytest.approx(BGBB.expected_purchases(2, 2, 3, 3))
    assert m.values[3][3] == pytest.approx(BGBB.expected_purchases(2, 3, 3, 3))


def test_default_columns_are_one_per_whole_period():
    assert len(plots.probability_alive_matrix(BG, T=38.86, max_frequency=1).recencies) == 39
    assert len(plots.probability_alive_matrix(BG, T=0.5, max_frequency=1).recencies) == 2
    assert len(plots.probability_alive_matrix(BG, T=1000, max_frequency=1).recencies) == 200


@pytest.mark.parametrize(
    ("kwargs", "path"),
    [
        ({"T": 0}, "$.T"),
        ({"T": float("nan")}, "$.T"),
        ({"T": 1e9}, "$.T"),
        ({"T": "5"}, "$.T"),
        ({"max_frequency": 0}, "$.max_frequency"),
        ({"max_frequency": 200}, "$.max_frequency"),
        ({"max_frequency": True}, "$.max_frequency"),
        ({"columns": 1}, "$.columns"),
        ({"t": -1}, "$.t"),
    ],
)
def test_matrix_arguments_are_checked(kwargs, path):
    args = {"T": 10, "max_frequency": 3} | kwargs
    with pytest.raises(ValidationError) as caught:
        plots.frequency_recency_matrix(BG, **args)
    assert caught.value.path == path


def test_matrix_model_and_bgbb_rules():
    with pytest.raises(InvalidType, match="purchase model"):
        plots.probability_alive_matrix(
            GammaGamma(params={"p": 6, "q": 4, "v": 15}), T=1, max_frequency=1
        )
    for kwargs, path in (
        ({"T": 2.5}, "$.T"),
        ({"T": 300}, "$.T"),
        ({"T": 3, "columns": 4}, "$.columns"),
        ({"T": 3, "t": 1.5}, "$.t"),
    ):
        with pytest.raises(ValidationError) as caught:
            plots.frequency_recency_matrix(BGBB, max_frequency=2, **kwargs)
        assert caught.value.path == path


def test_matrix_figures_carry_the_matrix(mpl):
    import numpy as np  # noqa: PLC0415 - with matplotlib.

    data = plots.frequency_recency_matrix(BGBB, T=4, max_frequency=3, t=2)
    figure = plots.plot_frequency_recency_matrix(BGBB, T=4, max_frequency=3, t=2, title="EP")
    image = figure.axes[0].images[0].get_array()
    assert image.mask.tolist() == [[v is None for v in row] for row in data.values]
    expected = [[np.nan if v is None else v for v in row] for row in data.values]
    np.testing.assert_array_equal(image.filled(np.nan), np.array(expected))
    assert figure.axes[0].get_title() == "EP"
    alive = plots.plot_probability_alive_matrix(BG, T=10, max_frequency=4, columns=6)
    data = plots.probability_alive_matrix(BG, T=10, max_frequency=4, columns=6)
    np.testing.assert_array_equal(alive.axes[0].images[0].get_array(), np.array(data.values))
    assert "Probability alive" in alive.axes[0].get_title()
    assert [t.get_text() for t in alive.axes[0].get_xticklabels()][-1] == "10"


# --------------------------------------------------------------------------- holdout, histogram


HISTORY = {
    "frequency": [0, 0, 1, 2, 2, 5, 9, 0],
    "recency": [0, 0, 3.5, 20, 30.4, 35, 38, 0],
    "T": [38.86, 30, 38.86, 38.86, 38.86, 38.86, 38.86, 12],
    "holdout": [0, 1, 0, 2, 1, 3, 7, 0],
}


def test_calibration_holdout_by_hand():
    """Group means computed here from the model's own per-customer forecasts."""
    h = HISTORY
    data = plots.calibration_holdout(
        BG, h["frequency"], h["recency"], h["T"], h["holdout"], 39, max_frequency=2
    )
    forecasts = [
        BG.expected_purchases(39, x, r, t)
        for x, r, t in zip(h["frequency"], h["recency"], h["T"], strict=True)
    ]
    assert data.labels == ("0", "1", "2+")
    assert data.customers == (3.0, 1.0, 4.0)
    assert data.actual == pytest.approx((1 / 3, 0.0, 13 / 4))
    groups = ([0, 1, 7], [2], [3, 4, 5, 6])
    assert data.predicted == pytest.approx(
        tuple(sum(forecasts[i] for i in g) / len(g) for g in groups)
    )
    assert data.metrics.actual_total == 14


def test_calibration_holdout_weights_and_durations():
    data = plots.calibration_holdout(
        BG, [0, 3], [0, 20], [30, 30], [1, 4], [10, 20], weights=[2, 0], max_frequency=7
    )
    assert data.labels == ("0",)
    assert data.predicted == pytest.approx((BG.expected_purchases(10, 0, 0, 30),))
    with pytest.raises(ValidationError) as caught:
        plots.calibration_holdout(BG, [0, 1], [0], [3, 3], [0, 0], 5)
    assert caught.value.path.startswith("$.")
    with pytest.raises(ValidationError) as caught:
        plots.calibration_holdout(BG, [0], [0], [3], [0], 5, max_frequency=0)
    assert caught.value.path == "$.max_frequency"
    with pytest.raises(InvalidType):
        plots.calibration_holdout(BG, 5, [0], [3], [0], 5)
    with pytest.raises(InvalidType):
        plots.calibration_holdout(None, [0], [0], [3], [0], 5)


def test_period_transactions_are_the_unpooled_histogram():
    h = HISTORY
    data = plots.period_transactions(BG, h["frequency"], h["T"], max_frequency=3)
    assert data.labels == ("0", "1", "2", "3+")
    assert data.observed == (3.0, 1.0, 2.0, 2.0)
    ages = h["T"]
    by_hand = [sum(BG.probability_of_purchases(n, t) for t in ages) for n in range(3)]
    assert data.expected[:3] == pytest.approx(by_hand)
    assert sum(data.expected) == pytest.approx(len(ages))
    fit = goodness_of_fit(BG, h["frequency"], ages, tail=3, min_expected=1e-300, parameters=0)
    assert data.expected == tuple(c.expected for c in fit.cells)
    assert data.customers == 8.0


def test_holdout_and_histogram_figures_carry_the_data(mpl):
    h = HISTORY
    args = (BG, h["frequency"], h["recency"], h["T"], h["holdout"], 39)
    data = plots.calibration_holdout(*args)
    axes = plots.plot_calibration_holdout(*args).axes[0]
    assert tuple(axes.lines[0].get_ydata()) == data.actual
    assert tuple(axes.lines[1].get_ydata()) == data.predicted
    assert [t.get_text() for t in axes.get_xticklabels()] == list(data.labels)
    data = plots.period_transactions(BG, h["frequency"], h["T"])
    axes = plots.plot_period_transactions(BG, h["frequency"], h["T"]).axes[0]
    actual, model = axes.containers
    assert tuple(b.get_height() for b in actual) == data.observed
    assert tuple(b.get_height() for b in model) == data.expected
    assert [t.get_text() for t in axes.get_legend().get_texts()] == ["actual", "model"]


def test_tracking_against_the_clv_curves(mpl):
    customers = ["a", "a", "a", "b", "b", "c"]
    times = [0, 0.5, 2.5, 1, 3.5, 2]
    data = plots.transaction_tracking(BG, customers, times, [1, 2, 4])
    assert data.actual == actual_repeat_transactions(customers, times, [1, 2, 4]).incremental
    assert data.actual == (1.0, 0.0, 2.0)
    assert data.expected == expected_repeat_transactions(BG, [0, 1, 2], [1, 2, 4]).incremental
    axes = plots.plot_transaction_tracking(BG, iter(customers), iter(times), (1, 2, 4)).axes[0]
    assert tuple(axes.lines[0].get_ydata()) == data.actual
    assert tuple(axes.lines[1].get_ydata()) == data.expected
    assert tuple(axes.lines[0].get_xdata()) == (1.0, 2.0, 4.0)


# --------------------------------------------------------------------------- tiers


def test_clv_tier_histogram_by_hand(mpl):
    values = {
        "a": Money("1", "USD"),
        "b": Money("2", "USD"),
        "c": Money("10", "USD"),
        "d": Money("10", "USD"),
    }
    tiers = {"a": ClvTier.LOW, "b": ClvTier.MEDIUM, "c": ClvTier.HIGH, "d": ClvTier.HIGH}
    data = plots.clv_tier_histogram(values, tiers, bins=3)
    assert data.edges == (1.0, 4.0, 7.0, 10.0)
    assert data.counts == ((1, 0, 0), (1, 0, 0), (0, 0, 2))
    assert data.totals == (1, 1, 2)
    assert data.currency == "USD"
    figure = plots.plot_clv_by_tier(values, tiers, bins=3)
    axes = figure.axes[0]
    for container, counts in zip(axes.containers, data.counts, strict=True):
        assert tuple(b.get_height() for b in container) == counts
    assert [t.get_text() for t in axes.get_legend().get_texts()] == [
        "low (1)",
        "medium (1)",
        "high (2)",
    ]
    assert "USD" in axes.get_xlabel()


def test_clv_tier_histogram_defaults_to_percentile_tiers():
    values = {f"c{i}": float(i) for i in range(10)} | {"d": Decimal("4.5"), "e": 7}
    data = plots.clv_tier_histogram(values, bins=4)
    ranked = tiers_by_percentile(values)
    assert data.totals == tuple(sum(1 for t in ranked.values() if t is tier) for tier in ClvTier)
    assert sum(map(sum, data.counts)) == 12
    assert plots.clv_tier_histogram({"x": 5}, bins=2).edges == (4.5, 5.0, 5.5)


@pytest.mark.parametrize(
    ("values", "tiers", "kwargs", "path"),
    [
        ({}, None, {}, "$.values"),
        ([1], None, {}, "$.values"),
        ({"a": 1}, None, {"bins": 0}, "$.bins"),
        ({"a": 1}, {"b": ClvTier.LOW}, {}, "$.tiers"),
        ({"a": 1}, {"a": "low"}, {}, "$.tiers[*]"),
        ({"a": 1e301}, None, {}, "$.values[*]"),
        ({"a": float("nan")}, None, {}, None),
    ],
)
def test_clv_tier_histogram_arguments(values, tiers, kwargs, path):
    with pytest.raises(ValidationError) as caught:
        plots.clv_tier_histogram(values, tiers, **kwargs)
    if path is not None:
        assert caught.value.path == path


# --------------------------------------------------------------------------- analytics


def _orders():
    usd = Money("5", "USD")
    t = lambda m: datetime(2026, m, 3, tzinfo=UTC)  # noqa: E731
    return [
        ("a", t(1), usd),
        ("b", t(1), usd),
        ("a", t(2), usd),
        ("c", t(2), usd),
        ("a", t(3), usd),
    ]


def test_cohort_heatmap_pads_unobserved_cells(mpl):
    matrix = cohort_retention(_orders())
    data = plots.cohort_heatmap(matrix)
    assert data.rates == ((1.0, 0.5, 0.5), (1.0, 0.0, None))
    assert data.sizes == (2, 1)
    assert data.offsets == (0, 1, 2)
    assert plots.cohort_heatmap(matrix, max_offsets=1).rates == tuple((1.0,) for _ in data.labels)
    figure = plots.plot_cohort_retention(matrix)
    image = figure.axes[0].images[0].get_array()
    assert image.mask.tolist() == [[v is None for v in row] for row in data.rates]
    assert image.filled(-1).tolist() == [
        [-1 if v is None else v for v in row] for row in data.rates
    ]
    assert "50%" in _texts(figure)
    assert figure.axes[0].get_yticklabels()[0].get_text() == f"{data.labels[0]} (2)"


def test_cohort_heatmap_arguments():
    with pytest.raises(InvalidType):
        plots.cohort_heatmap([[1.0]])
    with pytest.raises(ValidationError) as caught:
        plots.cohort_heatmap(cohort_retention([]))
    assert caught.value.path == "$.matrix.cohorts"
    with pytest.raises(ValidationError) as caught:
        plots.cohort_heatmap(cohort_retention(_orders()), max_offsets=0)
    assert caught.value.path == "$.max_offsets"


def _ladder_customers():
    people = []
    for i, steps in enumerate([0, 1, 1, 2, 3]):
        person = Customer.register(CustomerId(f"c-{i}"), name=PersonName("Ana"), at=T0)
        for k, trigger in enumerate(("qualify", "first_purchase", "repeat_purchase")[:steps]):
            person = RELATIONSHIP_LADDER.fire(person, trigger, at=T0 + timedelta(days=k + 1))
        people.append(person)
    return people


def test_funnel_chart_is_the_funnels_steps(mpl):
    result = funnel(
        _ladder_customers(),
        RELATIONSHIP_LADDER,
        start=T0,
        end=T0 + timedelta(days=10),
        stages=["suspect", "prospect", "first_time_customer", "repeat_customer"],
    )
    data = plots.funnel_chart(result)
    assert data.stages == ("suspect", "prospect", "first_time_customer", "repeat_customer")
    assert data.reached == (5, 4, 2, 1)
    assert data.advanced == (4, 2, 1, 0)
    assert data.conversion == (0.8, 0.5, 0.5, None)
    axes = plots.plot_funnel(result).axes[0]
    assert tuple(b.get_width() for b in axes.containers[0]) == data.reached
    assert [t.get_text() for t in axes.get_yticklabels()] == [
        s.replace("_", " ") for s in data.stages
    ]
    assert "5  (80% on)" in _texts(plots.plot_funnel(result))
    with pytest.raises(InvalidType):
        plots.funnel_chart("funnel")


def test_rfm_segment_map_counts_and_segments(mpl):
    usd = Money("10", "USD")
    triples = [(5, 5, 5), (5, 5, 1), (1, 1, 1), (1, 1, 3), (3, 3, 3), (5, 4, 5)]
    scores = [RfmScore(f"c{i}", 1, 1, usd, r, f, m) for i, (r, f, m) in enumerate(triples)]
    for scheme in ("rf10", "rfm11"):
        data = plots.rfm_segment_map(scores, scheme=scheme)
        assert sum(map(sum, data.counts)) == len(scores)
        for score in scores:  # every customer sits in a cell of its own segment
            column = score.f if scheme == "rf10" else (score.f + score.m + 1) // 2
            row = data.recency.index(score.r)
            assert data.segments[row][column - 1] == score.segment(scheme)
        for i, r in enumerate(data.recency):
            for j, c in enumerate(data.columns):
                m = c if scheme == "rfm11" else None
                assert data.segments[i][j] == rfm_segment(
                    r, c, m if m is None else c, scheme=scheme
                )
        totals = dict(data.totals)
        for segment, count in totals.items():
            assert count == sum(1 for s in scores if s.segment(scheme) is segment)
    data = plots.rfm_segment_map(iter(scores))
    assert data.counts[0][4] == 2
    assert data.counts[4][0] == 2
    figure = plots.plot_rfm_segments(scores, scheme="RFM11")
    data = plots.rfm_segment_map(scores, scheme="rfm11")
    assert _texts(figure) == [
        f"{segment.label}\n{count}"
        for row, counts in zip(data.segments, data.counts, strict=True)
        for segment, count in zip(row, counts, strict=True)
    ]
    assert "Champions\n2" in _texts(figure)
    assert figure.axes[0].images[0].get_array().shape == (5, 5)
    with pytest.raises(InvalidType) as caught:
        plots.rfm_segment_map([scores[0], ("c", 1)])
    assert caught.value.path == "$.scores[1]"
    with pytest.raises(ValidationError):
        plots.rfm_segment_map(scores, scheme="rf11")


# --------------------------------------------------------------------------- lifecycle


SIGNUP = LifecycleDefinition(
    "signup",
    states=["visitor", "trial", State("subscriber", group="paying"), State("gone", terminal=True)],
    initial="visitor",
    transitions=[
        Transition("start_trial", "visitor", "trial"),
        Transition("subscribe", ("visitor", "trial"), "subscriber"),
        Transition("renew", "subscriber", "subscriber"),
        Transition("cancel", ("trial", "subscriber"), "gone", guards=("confirmed",)),
    ],
)


def test_lifecycle_layout_by_hand():
    layout = plots.lifecycle_layout(SIGNUP)
    assert [(n.name, n.layer, n.x, n.y) for n in layout.nodes] == [
        ("visitor", 0, 0.0, 0.0),
        ("trial", 1, 1.0, 0.5),
        ("subscriber", 1, 1.0, -0.5),
        ("gone", 2, 2.0, 0.0),
    ]
    assert [(e.source, e.target, e.label) for e in layout.edges] == [
        ("visitor", "trial", "start_trial"),
        ("visitor", "subscriber", "subscribe"),
        ("trial", "subscriber", "subscribe"),
        ("subscriber", "subscriber", "renew"),
        ("trial", "gone", "cancel [confirmed]"),
        ("subscriber", "gone", "cancel [confirmed]"),
    ]
    assert layout.node("gone").terminal
    assert layout.node("visitor").initial
    assert plots.lifecycle_layout(SIGNUP) == layout  # deterministic
    with pytest.raises(InvalidType):
        plots.lifecycle_layout("signup")


def test_ladder_layout_covers_every_pair():
    layout = plots.lifecycle_layout(RELATIONSHIP_LADDER)
    pairs = {(s, t.target) for t in RELATIONSHIP_LADDER.transitions for s in t.sources}
    assert {(e.source, e.target) for e in layout.edges} == pairs
    assert {n.name for n in layout.nodes} == set(RELATIONSHIP_LADDER.stage_names)
    assert len({(n.x, n.y) for n in layout.nodes}) == len(layout.nodes)


def test_lifecycle_figure_carries_the_layout(mpl):
    layout = plots.lifecycle_layout(SIGNUP)
    figure = plots.plot_lifecycle(SIGNUP)
    axes = figure.axes[0]
    boxes = {t.get_gid(): t for t in axes.texts if t.get_gid()}
    for node in layout.nodes:
        text = boxes[f"state:{node.name}"]
        assert text.get_text() == node.title
        assert text.get_position() == (node.x, node.y)
    arrows = [
        c for c in axes.get_children() if type(c).__name__ == "Annotation" and not c.get_gid()
    ]
    assert sum(1 for a in arrows if a.get_text() == "") == 5  # every edge but the self-loop
    texts = _texts(figure)
    assert "\u21ba renew" in texts
    assert "cancel [confirmed]" in texts
    ladder = plots.plot_lifecycle(RELATIONSHIP_LADDER, title="Ladder")
    assert ladder.axes[0].get_title() == "Ladder"
    assert "qualify" not in _texts(ladder)  # too many arrows to label


# --------------------------------------------------------------------------- shared


@pytest.mark.parametrize("title", [5, "x" * 201])
def test_titles_are_checked(mpl, title):
    with pytest.raises(ValidationError) as caught:
        plots.plot_lifecycle(SIGNUP, title=title)
    assert caught.value.path == "$.title"


def test_bounded_reading_refuses_overlong_input(monkeypatch):
    monkeypatch.setattr("crmcore.plots._clv.MAX_FIGURE_ROWS", 3)
    with pytest.raises(ValidationError) as caught:
        plots.period_transactions(BG, iter(range(10**9)), [1, 2])
    assert (caught.value.path, caught.value.code) == ("$.frequency", "too_many")


def test_plots_without_matplotlib_name_the_extra(monkeypatch):
    """With matplotlib missing, every plot function says what to install; data functions work."""
    for name in [m for m in sys.modules if m == "matplotlib" or m.startswith("matplotlib.")]:
        monkeypatch.delitem(sys.modules, name)
    monkeypatch.setitem(sys.modules, "matplotlib", None)
    monkeypatch.setitem(sys.modules, "matplotlib.figure", None)
    calls = [
        lambda: plots.plot_frequency_recency_matrix(BG, T=3, max_frequency=1),
        lambda: plots.plot_probability_alive_matrix(BG, T=3, max_frequency=1),
        lambda: plots.plot_calibration_holdout(BG, [0], [0], [3], [0], 1),
        lambda: plots.plot_period_transactions(BG, [0, 1], [3, 3]),
        lambda: plots.plot_transaction_tracking(BG, ["a"], [0], 1),
        lambda: plots.plot_clv_by_tier({"a": 1}),
        lambda: plots.plot_cohort_retention(cohort_retention(_orders())),
        lambda: plots.plot_rfm_segments([]),
        lambda: plots.plot_lifecycle(SIGNUP),
    ]
    for call in calls:
        with pytest.raises(ValidationError) as caught:
            call()
        assert caught.value.code == "unavailable"
        assert "pip install 'crmcore[plot]'" in str(caught.value)
    assert plots.lifecycle_layout(SIGNUP).name == "signup"


def test_no_module_level_matplotlib_import():
    import subprocess  # noqa: PLC0415

    code = "import sys, crmcore.plots; print(any(m.startswith('matplotlib') for m in sys.modules))"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)  # noqa: S603
    assert out.stdout.strip() == "False"
