"""The text report of ``python -m crmcore clv``: data, model, goodness of fit, tiers.

Pure formatting: each function returns the lines of one section. No value of
an input row is ever printed, only counts, line numbers and statistics.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import datetime

from crmcore._cli._reading import REASONS, ReadResult
from crmcore.clv import GammaGamma, SummaryTable

#: The models' names in the report.
MODEL_NAMES = {"bgnbd": "BG/NBD", "mbgnbd": "MBG/NBD", "paretonbd": "Pareto/NBD"}


def _plural(count: int, word: str) -> str:
    return f"{count:,} {word}" + ("" if count == 1 else "s")


def _heading(title: str) -> list[str]:
    return [title, "-" * len(title)]


def data_section(
    path: str, result: ReadResult, table: SummaryTable, end: datetime, period: str
) -> list[str]:
    """Rows read, taken and skipped (with reasons and line numbers), the window and customers."""
    lines = [*_heading("Data"), f"file: {path}"]
    lines.append(
        f"rows read: {result.rows:,}; taken: {result.accepted:,}; skipped: {result.skipped_total:,}"
    )
    if result.blank_lines:
        lines.append(f"blank lines ignored: {result.blank_lines:,}")
    for code, count in sorted(result.skipped.items()):
        shown = ", ".join(str(line) for line in result.lines[code])
        more = "" if count <= len(result.lines[code]) else ", ..."
        lines.append(f"  {_plural(count, 'row')} with {REASONS[code]} (lines {shown}{more})")
    if result.first is not None:
        lines.append(f"first transaction: {result.first.isoformat()}")
        lines.append(f"last transaction: {result.last.isoformat() if result.last else ''}")
    lines.append(f"observation end: {end.isoformat()} (its {period} counts in full)")
    if result.after_end:
        lines.append(f"rows after the observation end's {period}, left out: {result.after_end:,}")
    columns = table.to_columns()
    frequency = columns["frequency"]
    repeat = sum(1 for f in frequency if f > 0)
    lines.append(
        f"customers: {len(frequency):,}; with repeat purchases: {repeat:,}; periods: {period}s"
    )
    return lines


def _number(value: float) -> str:
    return f"{value:.6g}"


def parameters_section(
    title: str, params: Mapping[str, float], errors: Mapping[str, float] | None
) -> list[str]:
    """The fitted parameters, one a line, with their standard errors when known."""
    lines = [*_heading(title), f"{'parameter':<10}{'estimate':>14}{'std. error':>14}"]
    for name, value in params.items():
        error = "n/a" if errors is None else _number(errors[name])
        lines.append(f"{name:<10}{_number(value):>14}{error:>14}")
    return lines


def model_section(
    key: str, params: Mapping[str, float], errors: Mapping[str, float] | None, log_likelihood: float
) -> list[str]:
    """The purchase model's parameters and log-likelihood."""
    lines = parameters_section(f"Purchase model: {MODEL_NAMES[key]}", params, errors)
    lines.append(f"log-likelihood: {log_likelihood:.6f}")
    return lines


def spend_section(spend: GammaGamma, fitted_on: int) -> list[str]:
    """The Gamma-Gamma spend model's parameters."""
    params = spend.params or {}
    lines = parameters_section("Spend model: Gamma-Gamma", params, spend.standard_errors)
    lines.append(f"fitted on {_plural(fitted_on, 'repeat customer')} with a positive mean spend")
    return lines


def fit_section(histogram: str, comparison: str | None) -> list[str]:
    """The chi-square goodness of fit and, if asked, the model comparison."""
    lines = [*_heading("Goodness of fit (repeat purchases per customer)"), *histogram.splitlines()]
    if comparison is not None:
        lines += ["", *_heading("Model comparison (best first)"), *comparison.splitlines()]
    return lines


def tier_section(  # noqa: PLR0917 - the table's inputs, in the order they print.
    names: Sequence[str],
    tiers: Mapping[object, str],
    clv: Mapping[object, float],
    alive: Mapping[object, float],
    horizon: int,
    period: str,
) -> list[str]:
    """Customers, CLV range, mean and total, and mean P(alive) per tier, lowest first."""
    lines = [
        *_heading(f"CLV tiers (horizon: {_plural(horizon, period)})"),
        (
            f"{'tier':<12}{'customers':>10}{'share':>8}{'min CLV':>12}{'max CLV':>12}"
            f"{'mean CLV':>12}{'total CLV':>14}{'P(alive)':>10}"
        ),
    ]
    total = len(tiers)
    for name in names:
        members = [key for key, tier in tiers.items() if tier == name]
        if not members:
            lines.append(f"{name:<12}{0:>10}{'0.0%':>8}")
            continue
        values = [clv[key] for key in members]
        mean_alive = sum(alive[key] for key in members) / len(members)
        lines.append(
            f"{name:<12}{len(members):>10,}{len(members) / total:>8.1%}{min(values):>12,.2f}"
            f"{max(values):>12,.2f}{sum(values) / len(values):>12,.2f}{sum(values):>14,.2f}"
            f"{mean_alive:>10.3f}"
        )
    return lines
