"""The demo's customer lifetime value section: formula CLV, a BG/NBD fit checked against its truth.

The model part simulates a customer base with :meth:`crmcore.clv.BetaGeo.simulate`
from the parameters published for CDNOW, fits BG/NBD to it and says how close
each fitted parameter came to the truth (relative error and standard errors),
against a stated tolerance. It simulates enough history for the fit to be
close: the dropout parameters ``a`` and ``b`` are only identified by customers
watched long enough to see many of them stop, so two years of weekly history
on 10,000 customers, not nine months on 2,000 (which the section also fits, to
show the difference).
"""

from __future__ import annotations

import math
from collections import Counter, defaultdict
from collections.abc import Sequence
from datetime import datetime
from decimal import Decimal
from typing import Final

import attrs

from crmcore._demo._format import money, plural
from crmcore._kernel._money import Money
from crmcore.clv import BetaGeo, GammaGamma, customer_lifetime_value, formula_clv
from crmcore.commerce import Order
from crmcore.customers import CustomerId

#: BG/NBD parameters published for CDNOW (Fader, Hardie & Lee 2005): the truth simulated from.
CDNOW_BGNBD: Final = {"r": 0.243, "alpha": 4.414, "a": 0.793, "b": 2.426}
#: Gamma-Gamma parameters published for CDNOW (Fader, Hardie & Lee 2005).
CDNOW_GAMMA_GAMMA: Final = {"p": 6.25, "q": 3.74, "v": 15.44}
#: The simulated base the model is fitted on: customers and weeks of history each.
SIMULATED_CUSTOMERS: Final = 10_000
SIMULATED_WEEKS: Final = 104.0
#: The earlier, too-short setup, fitted for comparison.
SHORT_CUSTOMERS: Final = 2_000
SHORT_WEEKS: Final = 39.0
#: The stated tolerance: each fitted parameter's relative error at most this...
RELATIVE_TOLERANCE: Final = {"r": 0.10, "alpha": 0.10, "a": 0.25, "b": 0.25}
#: ... and its distance from the truth at most this many standard errors.
SE_TOLERANCE: Final = 3.0


@attrs.frozen
class FitCheck:
    """One fitted parameter against the truth it was simulated from."""

    name: str
    true: float
    fitted: float
    standard_error: float

    @property
    def relative_error(self) -> float:
        """``|fitted - true| / true``."""
        return abs(self.fitted - self.true) / self.true

    @property
    def standard_errors(self) -> float:
        """``|fitted - true|`` in standard errors of the fit."""
        gap = abs(self.fitted - self.true)
        return gap / self.standard_error if self.standard_error > 0 else math.inf

    @property
    def within(self) -> bool:
        """Within the stated tolerance, both ways."""
        return (
            self.relative_error <= RELATIVE_TOLERANCE[self.name]
            and self.standard_errors <= SE_TOLERANCE
        )


def fit_check(
    customers: int, weeks: float, *, seed: int
) -> tuple[dict[str, list[float]], BetaGeo, list[FitCheck]]:
    """Simulate ``customers`` over ``weeks`` from :data:`CDNOW_BGNBD`, fit, compare.

    Returns the simulated base, the fitted model and one check per parameter.
    """
    base = BetaGeo(params=CDNOW_BGNBD).simulate(customers, weeks, seed=seed)
    fitted = BetaGeo().fit(base["frequency"], base["recency"], base["T"])
    intervals = fitted.parameter_intervals()
    params = fitted.params or {}
    checks = [
        FitCheck(name, true, params[name], intervals[name].standard_error)
        for name, true in CDNOW_BGNBD.items()
    ]
    return base, fitted, checks


def _formula_lines() -> list[str]:
    price = Money(275_000, "IDR")
    gift_shop = formula_clv(price, purchases_per_year=24, retention_years=3)
    refined = formula_clv(
        price,
        purchases_per_year=24,
        retention_years=3,
        gross_margin=Decimal("0.3"),
        discount_rate=Decimal("0.1"),
        acquisition_cost=Money(500_000, "IDR"),
    )
    return [
        (
            f"formula CLV of the gift-shop customer ({money(price)} x 24 purchases a year x "
            f"3 years): {money(gift_shop.gross_value)}"
        ),
        (
            f"  at a 30% margin, discounted at 10% a year, after a {money(Money(500_000, 'IDR'))} "
            f"acquisition cost: {money(refined.net_value)}, paid back after "
            f"{refined.payback_years:.2f} years"
        ),
    ]


def _model_lines(seed: int) -> list[str]:
    base, fitted, checks = fit_check(SIMULATED_CUSTOMERS, SIMULATED_WEEKS, seed=seed)
    _, _, short = fit_check(SHORT_CUSTOMERS, SHORT_WEEKS, seed=seed)
    lines = [
        (
            f"BG/NBD fitted to {SIMULATED_CUSTOMERS} customers simulated over "
            f"{SIMULATED_WEEKS:.0f} weeks (BetaGeo.simulate) from the published CDNOW parameters:"
        ),
        "  parameter    true  fitted  rel. error  tolerance  std. error  |error| in SEs",
    ]
    lines += [
        f"  {c.name:<9}{c.true:>7.3f}{c.fitted:>8.3f}{c.relative_error:>11.1%}"
        f"{RELATIVE_TOLERANCE[c.name]:>10.0%}{c.standard_error:>12.3f}{c.standard_errors:>16.1f}"
        for c in checks
    ]
    verdict = "yes" if all(c.within for c in checks) else "NO"
    lines.append(
        f"  every parameter within its tolerance and {SE_TOLERANCE:.0f} standard errors of the "
        f"truth: {verdict}"
    )
    worst = max(short, key=lambda c: c.relative_error)
    lines.append(
        f"  (fitted to {SHORT_CUSTOMERS} customers over {SHORT_WEEKS:.0f} weeks, "
        f"{worst.name} comes out {worst.relative_error:.0%} off: the dropout parameters a and b "
        "need customers watched long enough to see many of them stop)"
    )
    spend = GammaGamma(params=CDNOW_GAMMA_GAMMA).simulate(base["frequency"], seed=seed)
    repeat = [i for i, f in enumerate(base["frequency"]) if f > 0]
    gamma = GammaGamma().fit(
        [base["frequency"][i] for i in repeat], [spend["monetary_value"][i] for i in repeat]
    )
    gamma_params = gamma.params or {}
    lines.append(
        "Gamma-Gamma fitted to their simulated spend: "
        + ", ".join(
            f"{name} {gamma_params[name]:.2f} (true {true})"
            for name, true in CDNOW_GAMMA_GAMMA.items()
        )
    )
    weekly = 1.10 ** (1 / 52) - 1
    values = customer_lifetime_value(
        fitted,
        gamma,
        [base["frequency"][i] for i in repeat],
        [base["recency"][i] for i in repeat],
        [base["T"][i] for i in repeat],
        [spend["monetary_value"][i] for i in repeat],
        horizon=52,
        discount_rate=weekly,
        margin=0.3,
    )
    ranked = sorted(zip(values, repeat, strict=True), reverse=True)
    lines.append("top simulated customers by 52-week CLV (30% margin, 10% a year; CDNOW dollars):")
    lines += [
        f"  customer {index:>5}: {money(Money(Decimal(repr(round(value, 2))), 'USD')):>12} "
        f"(x={base['frequency'][index]:.0f}, t_x={base['recency'][index]:.1f}, "
        f"P(alive)={fitted.probability_alive(base['frequency'][index], base['recency'][index], base['T'][index]):.2f})"
        for value, index in ranked[:5]
    ]
    return lines


def _tiers(values: Sequence[Decimal]) -> tuple[Decimal, Decimal]:
    """Cut points putting the lowest 20% in "low" and the highest 20% in "high"."""
    ordered = sorted(values)
    return ordered[len(ordered) // 5], ordered[(4 * len(ordered)) // 5]


def _own_lines(orders: Sequence[Order], at: datetime) -> list[str]:
    """Formula CLV of each demo customer from their purchases (the commerce section's)."""
    by_customer: dict[CustomerId, list[Order]] = defaultdict(list)
    for order in orders:
        if order.is_purchase and order.placed_at <= at:
            by_customer[order.customer_id].append(order)
    own: list[tuple[Decimal, CustomerId]] = []
    for customer_id, bought in by_customer.items():
        years = max(Decimal((at - min(o.placed_at for o in bought)).days) / 365, Decimal(1) / 12)
        average = Money.total((o.amount for o in bought), currency="IDR") / len(bought)
        per_year = Decimal(len(bought)) / years
        value = formula_clv(
            average, purchases_per_year=per_year, retention_years=3, gross_margin=Decimal("0.3")
        )
        own.append((value.margin_value.amount, customer_id))
    if not own:
        return ["no demo customer has a purchase yet: no CLV tiers"]
    low_cut, high_cut = _tiers([v for v, _ in own])
    tiers = Counter("high" if v >= high_cut else "low" if v < low_cut else "medium" for v, _ in own)
    purchases = sum(len(bought) for bought in by_customer.values())
    best = sorted(own, reverse=True)[:3]
    return [
        (
            f"CLV tiers of the {plural(len(own), 'demo customer')} with "
            f"{plural(purchases, 'purchase')} (3 years, 30% margin): "
            f"low {tiers['low']}, medium {tiers['medium']}, high {tiers['high']}"
        ),
        "  highest: " + ", ".join(f"{cid} {money(Money(v, 'IDR'))}" for v, cid in best),
    ]


def section_clv(orders: Sequence[Order], at: datetime, *, seed: int) -> str:
    """Formula CLV, a model fitted to a simulated base (and how close), top customers and tiers."""
    return "\n".join([*_formula_lines(), *_model_lines(seed), *_own_lines(orders, at)])
