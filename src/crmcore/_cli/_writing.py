"""Writing the per-customer CSV: all at once or not at all (a temporary file, then a rename)."""

from __future__ import annotations

import csv
import os
import tempfile
from collections.abc import Iterable, Sequence
from pathlib import Path

from crmcore._cli._reading import CliError

#: The per-customer CSV's columns, in order.
OUTPUT_COLUMNS = (
    "customer_id",
    "frequency",
    "recency",
    "T",
    "monetary_value",
    "p_alive",
    "expected_purchases",
    "clv",
    "tier",
)


def write_rows(path: str, rows: Iterable[Sequence[object]]) -> None:
    """Write the header and ``rows`` to ``path``, replacing it only once all is written.

    Floats are written at their shortest round-tripping representation,
    Decimals exactly.

    Raises:
        CliError: the file cannot be written (status 2).
    """
    target = Path(path)
    handle = None
    try:
        descriptor, temporary = tempfile.mkstemp(
            prefix=f".{target.name}.", suffix=".tmp", dir=target.parent
        )
        handle = Path(temporary)
        with os.fdopen(descriptor, "w", encoding="utf-8", newline="") as stream:
            writer = csv.writer(stream, lineterminator="\n")
            writer.writerow(OUTPUT_COLUMNS)
            writer.writerows([_text(value) for value in row] for row in rows)
            stream.flush()
            os.fsync(stream.fileno())
        handle.replace(target)
        handle = None
    except OSError as error:
        raise CliError(
            f"--output {path}: cannot be written ({error.strerror or 'input/output error'})"
        ) from None
    finally:
        # Whatever stopped the write (a full disk, Ctrl-C), no temporary file stays behind.
        if handle is not None:
            handle.unlink(missing_ok=True)


def _text(value: object) -> str:
    if isinstance(value, float):
        return repr(value)
    return str(value)
