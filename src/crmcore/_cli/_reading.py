"""Reading a transactions CSV into a summary accumulator, row by row, in bounded chunks.

Every record is checked here first (its customer id, date and amount), so that
a bad one is named by its line number and column; the values themselves are
never shown, since they may be personal data. Good rows go to
:func:`crmcore.clv.accumulate_columns` in chunks of :data:`CHUNK_ROWS`, so the
memory held is the accumulator's (one total per customer and period), not the
file's.
"""

from __future__ import annotations

import csv
import re
from collections.abc import Callable, Iterator
from datetime import datetime, tzinfo
from decimal import Decimal
from pathlib import Path
from typing import BinaryIO, Final, Literal

import attrs

from crmcore._kernel._time import TimeUnit
from crmcore.clv import SummaryAccumulator, accumulate_columns, period_index
from crmcore.errors import CrmcoreError

#: Rows handed to the library at a time.
CHUNK_ROWS: Final = 50_000
#: Most data rows a file may hold (the library's bound on a column).
MAX_ROWS: Final = 50_000_000
#: Longest customer id, in characters.
MAX_ID_LENGTH: Final = 256
#: Line numbers kept per reason for the report (all are counted).
SHOWN_LINES: Final = 10
#: Longest record (a header or a row, over all its lines), in bytes: what one record may hold in memory.
MAX_RECORD_BYTES: Final = 1 << 20

#: Plain decimal text: an optional sign, digits and an optional fraction; no exponent, no
#: thousands separators, at most 30 digits on either side of the point.
_AMOUNT: Final = re.compile(r"[+-]?(?:\d{1,30}(?:\.\d{0,30})?|\.\d{1,30})")

#: Why a row was skipped: its code and the words the report uses.
REASONS: Final = {
    "missing_field": "fewer fields than the header",
    "empty_customer": "an empty customer id",
    "long_customer": f"a customer id over {MAX_ID_LENGTH} characters",
    "bad_date": "a date that does not read",
    "bad_amount": "an amount that is not plain decimal text",
    "refused_date": "a date crmcore refuses (out of its calendar)",
    "refused_amount": "an amount crmcore refuses",
}

OnError = Literal["raise", "skip"]


class CliError(Exception):
    """A problem to report in one line and exit with ``status``: 2 for input, 1 for analysis."""

    def __init__(self, message: str, status: int = 2) -> None:
        super().__init__(message)
        self.message = message
        self.status = status


@attrs.frozen
class Columns:
    """The three columns' names, as the options give them."""

    customer: str
    date: str
    amount: str


@attrs.define
class ReadResult:
    """What reading a file gave: the accumulator and the counts the report shows."""

    accumulator: SummaryAccumulator
    rows: int = 0
    blank_lines: int = 0
    accepted: int = 0
    skipped: dict[str, int] = attrs.field(factory=dict)
    lines: dict[str, list[int]] = attrs.field(factory=dict)
    first: datetime | None = None
    last: datetime | None = None
    after_end: int = 0

    def skip(self, code: str, line: int) -> None:
        """Count a skipped row and keep its line number (the first few per reason)."""
        self.skipped[code] = self.skipped.get(code, 0) + 1
        shown = self.lines.setdefault(code, [])
        if len(shown) < SHOWN_LINES:
            shown.append(line)

    @property
    def skipped_total(self) -> int:
        """All rows skipped, for any reason."""
        return sum(self.skipped.values())


class _RowError(Exception):
    def __init__(self, code: str, column: str, rule: str) -> None:
        super().__init__(rule)
        self.code = code
        self.column = column
        self.rule = rule


def parse_date(text: str, date_format: str | None, zone: tzinfo) -> datetime:
    """A timezone-aware datetime from text: ISO 8601 or ``date_format``; naive ones in ``zone``.

    Raises:
        ValueError: the text does not read in the format.
    """
    moment = (
        datetime.fromisoformat(text)
        if date_format is None
        else datetime.strptime(text, date_format)  # noqa: DTZ007 - the zone is applied below.
    )
    if moment.tzinfo is None or moment.utcoffset() is None:
        moment = moment.replace(tzinfo=zone)
    return moment


def parse_amount(text: str) -> Decimal | None:
    """The exact Decimal of plain decimal text, or None when it is not that."""
    if _AMOUNT.fullmatch(text) is None:
        return None
    return Decimal(text)


class _Reader:
    """One pass over a CSV file."""

    def __init__(
        self,
        *,
        path: str,
        columns: Columns,
        delimiter: str,
        date_format: str | None,
        zone: tzinfo,
        period: TimeUnit,
        on_error: OnError,
        observation_end: datetime | None,
        progress: Callable[[str], None],
        progress_every: int,
    ) -> None:
        self.path = path
        self.columns = columns
        self.delimiter = delimiter
        self.date_format = date_format
        self.zone = zone
        self.period = period
        self.on_error = on_error
        self.end = observation_end
        self.end_period = (
            None if observation_end is None else period_index(observation_end, period, tz=zone)
        )
        self.progress = progress
        self.progress_every = progress_every
        self.result = ReadResult(SummaryAccumulator(period=period, tz=zone))
        self.ids: list[str] = []
        self.ats: list[datetime] = []
        self.amounts: list[Decimal] = []
        self.numbers: list[int] = []
        self.pending = 0

    def _lines(self, stream: BinaryIO) -> Iterator[str]:
        """The file's lines as text (UTF-8, a leading byte order mark dropped).

        Reads at most :data:`MAX_RECORD_BYTES` per record (``self.pending`` counts the
        bytes since the last record, and :meth:`read` resets it), so a line without
        an end, or a quoted record over many lines, never takes more memory than that.
        """
        number = 0
        start = 1
        while raw := stream.readline(MAX_RECORD_BYTES + 1):
            number += 1
            if self.pending == 0:
                start = number
            self.pending += len(raw)
            if self.pending > MAX_RECORD_BYTES:
                raise CliError(
                    f"{self.path}, line {start}: a record longer than "
                    f"{MAX_RECORD_BYTES // 1024:,} KiB (an unbalanced quote, or not a "
                    "CSV with lines?); fix the file or the --delimiter"
                )
            try:
                line = raw.decode("utf-8-sig" if number == 1 else "utf-8")
            except UnicodeDecodeError:
                raise CliError(f"{self.path}, line {number}: not UTF-8 text") from None
            yield line

    def _where(self, line: int, column: str) -> str:
        return f"{self.path}, line {line}, column '{column}'"

    def _bad(self, line: int, error: _RowError) -> None:
        if self.on_error == "raise":
            raise CliError(
                f"{self._where(line, error.column)}: {error.rule} "
                "(use --on-error skip to skip bad rows)"
            )
        self.result.skip(error.code, line)

    def _indices(self, header: list[str]) -> tuple[int, int, int]:
        names = [name.strip() for name in header]
        found = []
        for option, name in (
            ("--customer-column", self.columns.customer),
            ("--date-column", self.columns.date),
            ("--amount-column", self.columns.amount),
        ):
            count = names.count(name)
            if count == 0:
                raise CliError(
                    f"{self.path}, line 1: no column '{name}' in the header (name it with {option})"
                )
            if count > 1:
                raise CliError(f"{self.path}, line 1: column '{name}' appears {count} times")
            found.append(names.index(name))
        if len(set(found)) < len(found):
            raise CliError(
                f"{self.path}: --customer-column, --date-column and --amount-column "
                "must name three different columns"
            )
        return found[0], found[1], found[2]

    def _row(self, fields: list[str], where: tuple[int, int, int]) -> tuple[str, datetime, Decimal]:
        customer_at, date_at, amount_at = where
        for index, name in sorted(
            zip(where, (self.columns.customer, self.columns.date, self.columns.amount), strict=True)
        ):
            if index >= len(fields):
                raise _RowError("missing_field", name, "the row ends before this column")
        customer = fields[customer_at].strip()
        if not customer:
            raise _RowError("empty_customer", self.columns.customer, "the customer id is empty")
        if len(customer) > MAX_ID_LENGTH:
            raise _RowError(
                "long_customer",
                self.columns.customer,
                f"the customer id is longer than {MAX_ID_LENGTH} characters",
            )
        try:
            at = parse_date(fields[date_at].strip(), self.date_format, self.zone)
        except ValueError:
            expected = "ISO 8601" if self.date_format is None else f"'{self.date_format}'"
            raise _RowError(
                "bad_date", self.columns.date, f"not a date in the format {expected}"
            ) from None
        amount = parse_amount(fields[amount_at].strip())
        if amount is None:
            raise _RowError(
                "bad_amount",
                self.columns.amount,
                "not a plain decimal amount (digits, an optional sign and decimal point)",
            )
        return customer, at, amount

    def _take(self, line: int, customer: str, at: datetime, amount: Decimal) -> None:
        self.ids.append(customer)
        self.ats.append(at)
        self.amounts.append(amount)
        self.numbers.append(line)
        if len(self.ids) >= CHUNK_ROWS:
            self.flush()

    def flush(self) -> None:
        """Hand the rows read so far to the library; map any it refuses to their lines."""
        if not self.ids:
            return
        report = accumulate_columns(
            self.result.accumulator, self.ids, self.ats, self.amounts, on_error="skip"
        )
        refused = set(report.skipped)
        for index in report.skipped:
            line = self.numbers[index]
            try:
                period_index(self.ats[index], self.period, tz=self.zone)
            except CrmcoreError:
                error = _RowError("refused_date", self.columns.date, "crmcore refuses this date")
            else:
                error = _RowError(
                    "refused_amount", self.columns.amount, "crmcore refuses this amount"
                )
            self._bad(line, error)
        result = self.result
        for index, at in enumerate(self.ats):
            if index in refused:
                continue
            if result.first is None or at < result.first:
                result.first = at
            if result.last is None or at > result.last:
                result.last = at
            if (
                self.end is not None
                and self.end_period is not None
                and at > self.end
                and period_index(at, self.period, tz=self.zone) > self.end_period
            ):
                result.after_end += 1
        result.accepted += len(self.ids) - len(refused)
        self.ids, self.ats, self.amounts, self.numbers = [], [], [], []

    def read(self, stream: BinaryIO) -> ReadResult:
        """Read every record of ``stream``; the result of the whole file."""
        reader = csv.reader(self._lines(stream), delimiter=self.delimiter, strict=True)
        result = self.result
        previous = 0
        try:
            header = next(reader, None)
            if header is None:
                raise CliError(f"{self.path}: the file is empty (a header line is needed)")
            where = self._indices(header)
            previous, self.pending = reader.line_num, 0
            for fields in reader:
                line, previous, self.pending = previous + 1, reader.line_num, 0
                if not fields or (len(fields) == 1 and not fields[0].strip()):
                    result.blank_lines += 1
                    continue
                result.rows += 1
                if result.rows > MAX_ROWS:
                    raise CliError(
                        f"{self.path}: more than {MAX_ROWS:,} rows; split the file "
                        "(or summarize it elsewhere and fit the summaries)"
                    )
                try:
                    customer, at, amount = self._row(fields, where)
                except _RowError as error:
                    self._bad(line, error)
                else:
                    self._take(line, customer, at, amount)
                if result.rows % self.progress_every == 0:
                    self.progress(f"read {result.rows:,} rows")
        except csv.Error:
            raise CliError(
                f"{self.path}, line {previous + 1}: malformed CSV (an unbalanced quote, "
                "a NUL byte or a field longer than 128 KiB); fix the file or the --delimiter"
            ) from None
        self.flush()
        return result


def read_transactions(
    path: str,
    *,
    columns: Columns,
    delimiter: str,
    date_format: str | None,
    zone: tzinfo,
    period: TimeUnit,
    on_error: OnError,
    observation_end: datetime | None,
    progress: Callable[[str], None],
    progress_every: int = 100_000,
) -> ReadResult:
    """Read a transactions CSV into a :class:`ReadResult`.

    Raises:
        CliError: the file cannot be opened, has no such column, is malformed,
            or (with ``on_error="raise"``) holds a bad row.
    """
    reader = _Reader(
        path=path,
        columns=columns,
        delimiter=delimiter,
        date_format=date_format,
        zone=zone,
        period=period,
        on_error=on_error,
        observation_end=observation_end,
        progress=progress,
        progress_every=progress_every,
    )
    try:
        with Path(path).open("rb") as stream:
            return reader.read(stream)
    except OSError as error:
        raise CliError(
            f"{path}: cannot be read ({error.strerror or 'input/output error'})"
        ) from None
