"""Predictive lead scoring against scikit-learn: the logistic regression on 100,000 leads.

crmcore's :func:`crmcore.scoring.fit_lead_model` fits an L2-penalized
logistic regression by Newton's method in pure Python. The peer is
``sklearn.linear_model.LogisticRegression(C=1 / l2, solver="lbfgs")`` on the
same training rows, standardized the same way (crmcore's means and scales),
so both minimize ``sum(logloss) + l2 / 2 * |beta|^2`` with the intercept
unpenalized (lbfgs leaves sklearn's intercept unpenalized too).

Timed: crmcore's whole fit (reading the facts, split, standardization,
Newton, Platt calibration, AUC and calibration table) against sklearn's
``fit`` alone on a ready array ("sklearn") and with the array built from the
same facts and standardized inside the timing ("sklearn+prep"). Contenders
are interleaved over the repeats and each keeps its best CPU time
(``time.process_time``); ratios are **crmcore time / peer time**. After
timing the script reports the largest absolute and relative difference of
the fitted coefficients (standardized scale, intercept included)::

    python benchmarks/bench_lead_scoring.py              # 100,000 leads, 8 features
    python benchmarks/bench_lead_scoring.py --n 20000 --repeats 5
"""

from __future__ import annotations

import argparse
import gc
import math
import random
import sys
import time
from collections.abc import Callable
from typing import Any

from crmcore.scoring import fit_lead_model

try:
    import numpy as np
    from sklearn.linear_model import LogisticRegression
except ImportError:  # pragma: no cover - the benchmark needs its peer
    raise SystemExit("bench_lead_scoring needs scikit-learn (pip install scikit-learn)") from None

FEATURES = (
    "employees_log",
    "visits",
    "emails_opened",
    "webinar",
    "pricing_page",
    "days_since_contact",
    "bant_score",
    "referral",
)
TRUE_BETA = (-1.2, 0.6, 0.25, 0.3, 0.9, 1.1, -0.02, 0.5, 0.8)


def make_leads(n: int, seed: int = 7) -> list[tuple[dict[str, Any], bool]]:
    """Seeded synthetic leads: 8 facts (ints, floats, bools) and a logistic outcome."""
    rng = random.Random(seed)
    leads = []
    for _ in range(n):
        facts: dict[str, Any] = {
            "employees_log": rng.gauss(3.0, 1.2),
            "visits": rng.randrange(0, 20),
            "emails_opened": rng.randrange(0, 8),
            "webinar": rng.random() < 0.2,
            "pricing_page": rng.random() < 0.3,
            "days_since_contact": rng.randrange(0, 120),
            "bant_score": rng.randrange(0, 5),
            "referral": rng.random() < 0.1,
        }
        eta = (
            TRUE_BETA[0]
            + sum(b * float(facts[name]) for b, name in zip(TRUE_BETA[1:], FEATURES, strict=True))
            - 0.6 * 3.0
            - 0.5 * 2
        )
        leads.append((facts, rng.random() < 1 / (1 + math.exp(-eta))))
    return leads


def crmcore_fit(leads: list[tuple[dict[str, Any], bool]], l2: float) -> Any:
    return fit_lead_model(leads, features=FEATURES, l2=l2, tol=1e-10, holdout=0.2, seed=0)


def sklearn_fit(x: Any, y: Any, l2: float) -> Any:
    peer = LogisticRegression(C=1 / l2, solver="lbfgs", tol=1e-10, max_iter=10_000)
    return peer.fit(x, y)


def standardized(
    leads: list[tuple[dict[str, Any], bool]], rows: list[int], means: Any, scales: Any
) -> tuple[Any, Any]:
    x = np.array([[float(leads[i][0][name]) for name in FEATURES] for i in rows])
    y = np.array([leads[i][1] for i in rows], dtype=np.int64)
    return (x - np.array(means)) / np.array(scales), y


def training_rows(leads: list[tuple[dict[str, Any], bool]], model: Any) -> list[int]:
    """The training rows crmcore used: the same stratified split, rebuilt from the seed."""
    rng = random.Random(0)
    train: list[int] = []
    for label in (False, True):
        members = [i for i, (_, t) in enumerate(leads) if t is label]
        rng.shuffle(members)
        take = min(max(round(0.2 * len(members)), 1), len(members) - 1)
        train.extend(members[take:])
    train.sort()
    if len(train) != model.train_size:
        raise SystemExit("the split does not match crmcore's")
    return train


def best_of(contenders: dict[str, Callable[[], object]], repeats: int) -> dict[str, float]:
    best = dict.fromkeys(contenders, math.inf)
    for _ in range(repeats):
        for name, run in contenders.items():
            gc.collect()
            start = time.process_time()
            run()
            best[name] = min(best[name], time.process_time() - start)
    return best


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=100_000)
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--l2", type=float, default=1.0)
    args = parser.parse_args(argv)
    leads = make_leads(args.n)
    model = crmcore_fit(leads, args.l2)
    train = training_rows(leads, model)
    x, y = standardized(leads, train, model.means, model.scales)
    peer = sklearn_fit(x, y, args.l2)
    ours = [model.intercept, *model.coefficients]
    theirs = [float(peer.intercept_[0]), *(float(c) for c in peer.coef_[0])]
    absolute = max(abs(a - b) for a, b in zip(ours, theirs, strict=True))
    relative = max(abs(a - b) / max(abs(b), 1e-12) for a, b in zip(ours, theirs, strict=True))
    times = best_of(
        {
            "crmcore": lambda: crmcore_fit(leads, args.l2),
            "sklearn": lambda: sklearn_fit(x, y, args.l2),
            "sklearn+prep": lambda: sklearn_fit(
                *standardized(leads, train, model.means, model.scales), args.l2
            ),
        },
        args.repeats,
    )
    print(
        f"python {sys.version.split()[0]}, {args.n:,} leads, {len(FEATURES)} features, l2={args.l2}"
    )
    print(
        f"crmcore: {model.iterations} Newton iterations, converged={model.converged}, "
        f"held-out AUC {model.auc:.4f}, train {model.train_size:,}, held out {model.holdout_size:,}"
    )
    for name, seconds in times.items():
        print(f"  {name:<13} {seconds:8.3f} s CPU (best of {args.repeats})")
    for peer_name in ("sklearn", "sklearn+prep"):
        print(f"  ratio crmcore/{peer_name}: {times['crmcore'] / times[peer_name]:.1f}")
    print(f"coefficients: max |crmcore - sklearn| = {absolute:.3e}, max relative = {relative:.3e}")
    print("  crmcore:", " ".join(f"{c:+.6f}" for c in ours))
    print("  sklearn:", " ".join(f"{c:+.6f}" for c in theirs))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
