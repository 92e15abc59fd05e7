"""``python -m crmcore clv``: transactions CSV in, CLV report out (and a per-customer CSV).

Exit status: 0 on success; 2 for a usage or input problem (a bad option, a
missing column, a bad row without ``--on-error skip``, a file that cannot be
read or written); 1 when the data were read but the analysis failed (a fit that
does not converge, no repeat customers for the spend model). Each problem is
one line on stderr, naming the file, line and column, never a row's values.
"""

from __future__ import annotations

import argparse
import re
import sys
from collections.abc import Callable, Mapping
from datetime import UTC, datetime, tzinfo
from pathlib import Path
from typing import Any, Final, TextIO
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from crmcore._cli._reading import (
    CliError,
    Columns,
    ReadResult,
    parse_date,
    read_transactions,
)
from crmcore._cli._report import (
    MODEL_NAMES,
    data_section,
    fit_section,
    model_section,
    spend_section,
    tier_section,
)
from crmcore._cli._tiers import DEFAULT_TIERS, TierSpec, assign_tiers, parse_tiers
from crmcore._cli._writing import write_rows
from crmcore._kernel._time import TimeUnit
from crmcore.clv import (
    BetaGeo,
    GammaGamma,
    ModifiedBetaGeo,
    ParetoNBD,
    SummaryTable,
    compare_models,
    goodness_of_fit,
    period_index,
    predict,
)
from crmcore.errors import CrmcoreError

#: Rows between two progress lines while reading.
PROGRESS_EVERY: Final = 100_000
#: Optimizer iterations between two progress lines while fitting.
FIT_PROGRESS_EVERY: Final = 25
#: Periods in a year: the default horizon.
_YEAR: Final = {"day": 365, "week": 52, "month": 12}
_MODELS: Final = {"bgnbd": BetaGeo, "mbgnbd": ModifiedBetaGeo, "paretonbd": ParetoNBD}
_MAX_HORIZON: Final = 100_000


def _zone(text: str) -> tzinfo:
    if text.upper() == "UTC":
        return UTC
    try:
        return ZoneInfo(text)
    except (ZoneInfoNotFoundError, ValueError):
        raise argparse.ArgumentTypeError(
            "not a known IANA time zone (such as UTC or Asia/Jakarta)"
        ) from None


def _delimiter(text: str) -> str:
    if text in {"tab", "\\t"}:
        return "\t"
    if len(text) != 1 or text in {'"', "\r", "\n"}:
        raise argparse.ArgumentTypeError("must be one character, or 'tab'")
    return text


def _tiers(text: str) -> TierSpec:
    try:
        return parse_tiers(text)
    except ValueError as error:
        raise argparse.ArgumentTypeError(str(error)) from None


def _horizon(text: str) -> int:
    if not re.fullmatch(r"[0-9]{1,9}", text) or not 1 <= int(text) <= _MAX_HORIZON:
        raise argparse.ArgumentTypeError(
            f"must be a whole number of periods, 1 to {_MAX_HORIZON:,}"
        )
    return int(text)


def _output(text: str) -> str:
    if not text.strip():
        raise argparse.ArgumentTypeError("must be a file path")
    return text


def _fraction(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        value = -1.0
    if not 0 <= value <= 1:
        raise argparse.ArgumentTypeError("must be a fraction from 0 to 1 (0.3 for 30%)")
    return value


def _penalizer(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        value = -1.0
    if not 0 <= value <= 1_000:
        raise argparse.ArgumentTypeError("must be a number from 0 to 1000")
    return value


def add_clv_command(commands: Any) -> None:
    """Add the ``clv`` subcommand to an argparse subparsers object."""
    clv = commands.add_parser(
        "clv",
        help="fit a CLV model to a transactions CSV and report CLV, P(alive) and tiers",
        description=(
            "Read transactions (one row per purchase: customer, date, amount) from a CSV "
            "with a header line, fit a purchase model and the Gamma-Gamma spend model, "
            "and report the fit, goodness of fit and CLV tiers. See docs/cli.md."
        ),
    )
    clv.add_argument("file", metavar="TRANSACTIONS.csv", help="the transactions CSV")
    columns = clv.add_argument_group("columns and formats")
    columns.add_argument("--customer-column", default="customer_id", metavar="NAME")
    columns.add_argument("--date-column", default="date", metavar="NAME")
    columns.add_argument("--amount-column", default="amount", metavar="NAME")
    columns.add_argument(
        "--date-format",
        metavar="FORMAT",
        help="strptime format of the dates, such as %%Y%%m%%d (default: ISO 8601)",
    )
    columns.add_argument(
        "--timezone",
        type=_zone,
        default=UTC,
        metavar="ZONE",
        help="IANA zone of dates without an offset, and of the period calendar (default: UTC)",
    )
    columns.add_argument(
        "--delimiter", type=_delimiter, default=",", help="field separator, or 'tab' (default: ,)"
    )
    columns.add_argument(
        "--on-error",
        choices=("raise", "skip"),
        default="raise",
        help="a bad row stops the run (raise, the default) or is skipped and counted",
    )
    model = clv.add_argument_group("model")
    model.add_argument("--period", choices=tuple(_YEAR), default="week")
    model.add_argument(
        "--observation-end",
        metavar="DATE",
        help="end of the observation, in the dates' format (default: the last date)",
    )
    model.add_argument("--model", choices=tuple(_MODELS), default="bgnbd")
    model.add_argument(
        "--compare",
        action="store_true",
        help="also fit and compare BG/NBD, MBG/NBD and Pareto/NBD",
    )
    model.add_argument(
        "--penalizer",
        type=_penalizer,
        default=0.0,
        metavar="COEF",
        help="L2 penalty of the purchase model's fit, for small data (default: 0)",
    )
    model.add_argument(
        "--horizon",
        type=_horizon,
        metavar="PERIODS",
        help="periods ahead for expected purchases and CLV (default: one year)",
    )
    model.add_argument(
        "--discount-rate",
        type=_fraction,
        default=0.0,
        metavar="RATE",
        help="discount rate per period, a fraction (default: 0)",
    )
    model.add_argument(
        "--margin",
        type=_fraction,
        default=1.0,
        metavar="FRACTION",
        help="share of revenue that is profit (default: 1, CLV as revenue)",
    )
    model.add_argument(
        "--tiers",
        type=_tiers,
        default=parse_tiers(DEFAULT_TIERS),
        metavar="SPEC",
        help=f"N quantile tiers, or name:percent,... lowest first (default: {DEFAULT_TIERS})",
    )
    output = clv.add_argument_group("output")
    output.add_argument(
        "--output",
        type=_output,
        metavar="PATH",
        help="write the per-customer CSV here (never the input file)",
    )
    output.add_argument(
        "--quiet", action="store_true", help="print no report and no progress, only errors"
    )
    output.add_argument(
        "--progress",
        choices=("auto", "always", "never"),
        default="auto",
        help="progress lines on stderr: auto shows them when stderr is a terminal",
    )


class _Progress:
    def __init__(self, stream: TextIO, enabled: bool) -> None:
        self.stream = stream
        self.enabled = enabled

    def __call__(self, message: str) -> None:
        if self.enabled:
            self.stream.write(f"crmcore clv: {message}\n")
            self.stream.flush()

    def fitting(self, name: str) -> Callable[[int, float], None]:
        def report(iteration: int, objective: float) -> None:
            if iteration % FIT_PROGRESS_EVERY == 0:
                self(f"fitting {name}: iteration {iteration}, -log-likelihood {objective:.6g}")

        return report


def _progress_enabled(args: argparse.Namespace, stream: TextIO) -> bool:
    if args.quiet or args.progress == "never":
        return False
    if args.progress == "always":
        return True
    isatty = getattr(stream, "isatty", None)
    return bool(isatty is not None and isatty())


def _observation_end(args: argparse.Namespace) -> datetime | None:
    if args.observation_end is None:
        return None
    text = args.observation_end.strip()
    try:
        end = parse_date(text, args.date_format, args.timezone)
    except ValueError:
        expected = "ISO 8601" if args.date_format is None else f"'{args.date_format}'"
        raise CliError(f"--observation-end: not a date in the format {expected}") from None
    try:
        period_index(end, TimeUnit(args.period), tz=args.timezone)
    except CrmcoreError:
        raise CliError("--observation-end: out of crmcore's calendar in the --timezone") from None
    return end


def _check_output(args: argparse.Namespace) -> None:
    """Refuse an ``--output`` that is the input file (by any name: a link, a relative path)."""
    if args.output is None:
        return
    try:
        same = Path(args.file).samefile(args.output)
    except OSError:  # Either does not exist (yet): not the same file.
        same = False
    if same:
        raise CliError(f"--output {args.output}: is the input file; name another path")


def _fit(model_key: str, columns: Mapping[str, Any], penalizer: float, progress: _Progress) -> Any:
    name = MODEL_NAMES[model_key]
    progress(f"fitting {name}")
    try:
        return _MODELS[model_key]().fit(
            **columns, penalizer=penalizer, progress=progress.fitting(name)
        )
    except CrmcoreError as error:
        raise CliError(f"fitting {name} failed: {error}", status=1) from None


def _summarize(
    path: str, result: ReadResult, end: datetime | None
) -> tuple[SummaryTable, datetime]:
    """The summary table and the observation end (the last accepted date by default)."""
    if result.accepted == 0 or result.last is None:
        raise CliError(f"{path}: no usable rows")
    end = result.last if end is None else end
    try:
        table = result.accumulator.summarize(observation_end=end)
    except CrmcoreError as error:  # pragma: no cover - the reader keeps dates in the calendar.
        raise CliError(f"summarizing failed: {error}", status=1) from None
    if not table:
        raise CliError(f"{path}: no customer bought before the observation end")
    return table, end


def _analyse(args: argparse.Namespace, out: TextIO, progress: _Progress) -> None:
    period = TimeUnit(args.period)
    horizon = args.horizon or _YEAR[args.period]
    _check_output(args)
    end = _observation_end(args)
    result = read_transactions(
        args.file,
        columns=Columns(args.customer_column, args.date_column, args.amount_column),
        delimiter=args.delimiter,
        date_format=args.date_format,
        zone=args.timezone,
        period=period,
        on_error=args.on_error,
        observation_end=end,
        progress=progress,
        progress_every=PROGRESS_EVERY,
    )
    progress(f"read {result.rows:,} rows; summarizing")
    table, end = _summarize(args.file, result, end)
    histories = table.compress()
    model = _fit(args.model, histories, args.penalizer, progress)
    progress("goodness of fit")
    try:
        histogram = goodness_of_fit(
            model, histories["frequency"], histories["T"], weights=histories["weights"]
        ).table()
    except CrmcoreError as error:
        # Too few customers for the chi-square test is no reason to withhold the values.
        histogram = f"not computed: {error}"
    try:
        comparison = None
        if args.compare:
            progress("comparing BG/NBD, MBG/NBD and Pareto/NBD")
            comparison = compare_models(
                {MODEL_NAMES[key]: cls() for key, cls in _MODELS.items()}, **histories
            ).table()
        columns = table.to_columns()
        progress("fitting Gamma-Gamma")
        spend = GammaGamma().fit(
            columns["frequency"],
            columns["monetary_value"],
            progress=progress.fitting("Gamma-Gamma"),
        )
        progress("predicting")
        predictions = predict(
            model,
            table,
            t=horizon,
            spend_model=spend,
            horizon=horizon,
            discount_rate=args.discount_rate,
            margin=args.margin,
        )
    except CrmcoreError as error:
        raise CliError(f"the analysis failed: {error}", status=1) from None
    ids = columns["customer_id"]
    clv = predictions["customer_lifetime_value"]
    alive = predictions["probability_alive"]
    tiers = assign_tiers(args.tiers, dict(zip(ids, clv, strict=True)))
    if args.output is not None:
        progress(f"writing {args.output}")
        write_rows(
            args.output,
            (
                (
                    key,
                    summary.frequency,
                    summary.recency,
                    summary.T,
                    summary.monetary_value,
                    alive[index],
                    predictions["expected_purchases"][index],
                    clv[index],
                    tiers[key],
                )
                for index, (key, summary) in enumerate(table.items())
            ),
        )
    if args.quiet:
        return
    fitted_on = sum(
        1
        for f, m in zip(columns["frequency"], columns["monetary_value"], strict=True)
        if f > 0 and m > 0
    )
    sections = [
        data_section(args.file, result, table, end, args.period),
        model_section(args.model, model.params, model.standard_errors, model.log_likelihood),
        spend_section(spend, fitted_on),
        fit_section(histogram, comparison),
        tier_section(
            args.tiers.names,
            tiers,
            dict(zip(ids, clv, strict=True)),
            dict(zip(ids, alive, strict=True)),
            horizon,
            args.period,
        ),
    ]
    if args.output is not None:
        sections.append([f"per-customer CSV written to {args.output}"])
    out.write("\n\n".join("\n".join(section) for section in sections) + "\n")


def run_clv(args: argparse.Namespace, out: TextIO | None = None, err: TextIO | None = None) -> int:
    """Run ``clv`` with parsed arguments; the exit status (0, 1 or 2, see the module)."""
    out = sys.stdout if out is None else out
    err = sys.stderr if err is None else err
    progress = _Progress(err, _progress_enabled(args, err))
    try:
        _analyse(args, out, progress)
    except CliError as error:
        err.write(f"crmcore clv: error: {error.message}\n")
        return error.status
    progress("done")
    return 0
