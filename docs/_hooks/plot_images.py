"""MkDocs hook: render every crmcore.plots figure to PNG for docs/plots.md.

``on_files`` renders the figures (matplotlib's Agg canvas, small deterministic
data: BG/NBD with the published CDNOW parameters of Fader, Hardie & Lee 2005,
and small synthetic inputs) into a temporary directory and adds each one to
the site as ``images/plots/<name>.png``. The rendering lives in
:func:`render_plots`, which needs matplotlib but not MkDocs, so it is tested
on its own (tests/plots/test_hook.py).
"""

from __future__ import annotations

import math
import random
import tempfile
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

#: The published BG/NBD parameters of the CDNOW data (Fader, Hardie & Lee 2005).
CDNOW_BGNBD = {"r": 0.243, "alpha": 4.414, "a": 0.793, "b": 2.426}
#: Where the images go in the site.
IMAGE_DIR = "images/plots"


def _poisson(rng: random.Random, mean: float) -> int:
    """A Poisson draw by Knuth's product of uniforms (small means only)."""
    limit, count, product = math.exp(-mean), 0, rng.random()
    while product > limit:
        count += 1
        product *= rng.random()
    return count


def figures() -> dict[str, Any]:
    """Every figure of docs/plots.md, by image name, built from fixed data."""
    from crmcore import (  # noqa: PLC0415
        Customer,
        CustomerId,
        Money,
        PersonName,
        plots,
    )
    from crmcore.analytics import cohort_retention  # noqa: PLC0415
    from crmcore.clv import BetaGeo  # noqa: PLC0415
    from crmcore.lifecycle import (  # noqa: PLC0415  # noqa: PLC0415
        RELATIONSHIP_LADDER,
        LifecycleDefinition,
        State,
        Transition,
        funnel,
    )
    from crmcore.segmentation import rfm_values, score_rfm  # noqa: PLC0415

    bg = BetaGeo(params=CDNOW_BGNBD)
    cohort = bg.simulate(400, 39.0, seed=21)
    rng = random.Random(21)  # noqa: S311 - seeded example data.
    durations = 39.0
    predicted = bg.expected_purchases(
        durations, cohort["frequency"], cohort["recency"], cohort["T"]
    )
    holdout = [_poisson(rng, p) for p in predicted]
    customers, times = [], []
    for i in range(120):
        start = rng.uniform(0, 12)
        for k in range(_poisson(rng, 1.5) + 1):
            customers.append(i)
            times.append(start + 4 * k * rng.random())
    values = {f"c{i}": round(rng.lognormvariate(4, 1), 2) for i in range(300)}
    t0 = datetime(2026, 1, 5, tzinfo=UTC)
    orders = []
    for i in range(80):
        first = rng.randrange(6)
        for month in range(first, 6):
            if month == first or rng.random() < 0.5 - 0.05 * (month - first):
                day = t0 + timedelta(days=30 * month + rng.randrange(20))
                orders.append((f"c{i}", day, Money(str(rng.randrange(10, 200)), "USD")))
    scores = score_rfm(rfm_values(orders, at=t0 + timedelta(days=200)))
    triggers = ("qualify", "first_purchase", "repeat_purchase", "become_client")
    people = []
    for i in range(60):
        person = Customer.register(CustomerId(f"f{i}"), name=PersonName("Example"), at=t0)
        for step, trigger in enumerate(triggers):
            if rng.random() > 0.7 - 0.1 * step:
                break
            person = RELATIONSHIP_LADDER.fire(person, trigger, at=t0 + timedelta(days=step + 1))
        people.append(person)
    ladder_funnel = funnel(
        people,
        RELATIONSHIP_LADDER,
        start=t0,
        end=t0 + timedelta(days=30),
        stages=["suspect", "prospect", "first_time_customer", "repeat_customer", "client"],
    )
    signup = LifecycleDefinition(
        "signup",
        states=["visitor", "trial", "subscriber", State("gone", terminal=True)],
        initial="visitor",
        transitions=[
            Transition("start_trial", "visitor", "trial"),
            Transition("subscribe", ("visitor", "trial"), "subscriber"),
            Transition("cancel", ("trial", "subscriber"), "gone"),
        ],
    )
    return {
        "frequency_recency_matrix": plots.plot_frequency_recency_matrix(bg, T=39, max_frequency=20),
        "probability_alive_matrix": plots.plot_probability_alive_matrix(bg, T=39, max_frequency=20),
        "calibration_holdout": plots.plot_calibration_holdout(
            bg, cohort["frequency"], cohort["recency"], cohort["T"], holdout, durations
        ),
        "period_transactions": plots.plot_period_transactions(bg, cohort["frequency"], cohort["T"]),
        "transaction_tracking": plots.plot_transaction_tracking(bg, customers, times, 20),
        "clv_by_tier": plots.plot_clv_by_tier(values),
        "cohort_retention": plots.plot_cohort_retention(cohort_retention(orders)),
        "funnel": plots.plot_funnel(ladder_funnel),
        "rfm_segments": plots.plot_rfm_segments(scores),
        "lifecycle_signup": plots.plot_lifecycle(signup),
        "lifecycle_ladder": plots.plot_lifecycle(RELATIONSHIP_LADDER),
    }


def render_plots(directory: Path) -> dict[str, Path]:
    """Render every figure to ``directory/<name>.png`` (Agg canvas); name to path."""
    from matplotlib.backends.backend_agg import FigureCanvasAgg  # noqa: PLC0415

    written = {}
    for name, figure in figures().items():
        FigureCanvasAgg(figure)
        path = directory / f"{name}.png"
        figure.savefig(path, dpi=90, metadata={"Software": None})
        written[name] = path
    return written


def on_files(files: Any, config: Any) -> Any:
    """MkDocs ``on_files`` event: add the rendered figures as ``images/plots/<name>.png``."""
    from mkdocs.structure.files import File  # noqa: PLC0415

    directory = Path(tempfile.mkdtemp(prefix="crmcore-plots-"))
    for name, path in render_plots(directory).items():
        files.append(File.generated(config, f"{IMAGE_DIR}/{name}.png", abs_src_path=str(path)))
    return files
