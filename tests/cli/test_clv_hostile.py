"""``python -m crmcore clv`` against hostile input: each test pins one defect found in review.

Every run checks the same three things: the exit status, a single-line message
(never a Python traceback), and that no value of a row (``MARKER``) reaches
standard output, standard error or the per-customer CSV.
"""

import csv
import os
import random
import tracemalloc
from datetime import date, timedelta

import pytest

from crmcore.__main__ import main
from crmcore._cli import _reading, _writing

MARKER = "MARKER-4417"  # a row value that must never be shown
HEADER = "customer_id,date,amount"


def _rows(customers: int = 120, seed: int = 11) -> list[str]:
    """Comma-joined (customer, ISO date, amount) rows of a small, seeded base that fits."""
    rng = random.Random(seed)  # noqa: S311 - seeded test data.
    rows = []
    for number in range(customers):
        day, rate, stay = rng.randrange(180), rng.gammavariate(0.8, 1 / 20), rng.random()
        spend = rng.gammavariate(6, 5)
        while day < 364:
            when = (date(2024, 1, 1) + timedelta(days=day)).isoformat()
            rows.append(f"{MARKER}-{number},{when},{spend * rng.gammavariate(6, 1 / 6):.2f}")
            if rng.random() > stay:
                break
            day += max(1, round(rng.expovariate(rate)))
    return rows


def _clean(captured, *files):
    """No row value and no traceback anywhere the command wrote to."""
    text = captured.out + captured.err + "".join(f.read_text() for f in files if f.exists())
    assert "Traceback" not in text
    assert MARKER not in captured.out + captured.err


def _one_error(capsys):
    captured = capsys.readouterr()
    _clean(captured)
    assert "" == captured.out
    lines = captured.err.strip().splitlines()
    assert 1 == len(lines), captured.err
    return lines[0]


# --- reading: memory stays bounded -------------------------------------------------------


def test_a_line_without_an_end_is_refused_in_bounded_memory(tmp_path, capsys):
    # Was: the whole line was read (and decoded) before the csv module's field limit
    # applied: 447 MB of memory for a 200 MB line.
    path = tmp_path / "tx.csv"
    size = 6 * _reading.MAX_RECORD_BYTES
    with path.open("wb") as stream:
        stream.write(f"{HEADER}\n{MARKER}".encode())
        stream.write(b"A" * size)
    tracemalloc.start()
    try:
        status = main(["clv", str(path)])
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert 2 == status
    assert peak < 3 * _reading.MAX_RECORD_BYTES
    message = _one_error(capsys)
    assert "line 2: a record longer than 1,024 KiB" in message


def test_a_quoted_record_over_many_lines_is_bounded_too(tmp_path, capsys, monkeypatch):
    # Was: many short quoted fields, each over two lines, made one record of unbounded width
    # (the field limit holds per field only).
    monkeypatch.setattr(_reading, "MAX_RECORD_BYTES", 4096)
    path = tmp_path / "tx.csv"
    path.write_text(HEADER + "\n" + "c1,2024-01-01,1\n" + f'"{MARKER}\n",' * 2000, "utf-8")
    assert 2 == main(["clv", str(path)])
    assert "line 3: a record longer than 4 KiB" in _one_error(capsys)


def test_a_long_header_is_bounded(tmp_path, capsys, monkeypatch):
    monkeypatch.setattr(_reading, "MAX_RECORD_BYTES", 1024)
    path = tmp_path / "tx.csv"
    path.write_text(HEADER + ",x" * 1000 + "\n", "utf-8")
    assert 2 == main(["clv", str(path)])
    assert "line 1: a record longer than 1 KiB" in _one_error(capsys)


# --- reading: formats ----------------------------------------------------------------------


def test_bom_and_crlf_give_the_same_output_as_plain_lf(tmp_path, capsys):
    rows = _rows()
    plain, excel = tmp_path / "plain.csv", tmp_path / "excel.csv"
    plain.write_bytes(("\n".join([HEADER, *rows]) + "\n").encode())
    excel.write_bytes(b"\xef\xbb\xbf" + ("\r\n".join([HEADER, *rows]) + "\r\n").encode())
    outputs = []
    for source in (plain, excel):
        target = tmp_path / f"{source.stem}.out.csv"
        assert 0 == main(["clv", str(source), "--output", str(target), "--quiet"])
        outputs.append(target.read_bytes())
    assert outputs[0] == outputs[1]
    _clean(capsys.readouterr())


def test_lines_after_a_multiline_record_keep_their_physical_numbers(tmp_path, capsys):
    path = tmp_path / "tx.csv"
    path.write_text(
        f'{HEADER}\n"{MARKER}\nsecond line",2024-01-02,1\nc2,2024-01-03,2\nc3,{MARKER},3\n',
        "utf-8",
    )
    assert 2 == main(["clv", str(path)])
    assert "line 5, column 'date'" in _one_error(capsys)


def test_one_column_named_by_two_options_is_refused(tmp_path, capsys):
    # Was: every row failed as "not a plain decimal amount" at line 2.
    path = tmp_path / "tx.csv"
    path.write_text(HEADER + "\n" + "\n".join(_rows(5)) + "\n", "utf-8")
    assert 2 == main(["clv", str(path), "--amount-column", "date"])
    assert "must name three different columns" in _one_error(capsys)


# --- dates -------------------------------------------------------------------------------------


def test_refused_dates_never_set_the_window(tmp_path, capsys):
    # Was: with --on-error skip, a date crmcore refuses (here 9999-12-31 at -01:00, out of the
    # calendar in Asia/Tokyo) still became the observation end: a traceback, status 1.
    rows = _rows()
    text = [HEADER, f"{MARKER}-x,9999-12-31T23:59:59-01:00,5", *rows]
    text.insert(5, f"{MARKER}-y,0001-01-01T00:00:00+10:00,5")
    path = tmp_path / "tx.csv"
    path.write_text("\n".join(text) + "\n", "utf-8")
    args = ["clv", str(path), "--timezone", "Asia/Tokyo", "--on-error", "skip"]
    assert 0 == main(args)
    captured = capsys.readouterr()
    _clean(captured)
    assert "2 rows with a date crmcore refuses (out of its calendar) (lines 2, 6)" in captured.out
    firsts = min(r.split(",")[1] for r in rows)
    lasts = max(r.split(",")[1] for r in rows)
    assert f"first transaction: {firsts}T00:00:00+09:00" in captured.out
    assert f"last transaction: {lasts}T00:00:00+09:00" in captured.out
    assert 2 == main(args[:-2])
    assert "line 2, column 'date': crmcore refuses this date" in _one_error(capsys)


@pytest.mark.parametrize("end", ["9999-12-31T23:59:59-01:00", "0001-01-01T00:00:00+01:00"])
def test_an_observation_end_out_of_the_calendar_is_an_input_error(tmp_path, capsys, end):
    # Was: a ValidationError traceback and status 1.
    path = tmp_path / "tx.csv"
    path.write_text(HEADER + "\n" + "\n".join(_rows(5)) + "\n", "utf-8")
    assert 2 == main(["clv", str(path), "--observation-end", end])
    assert "--observation-end: out of crmcore's calendar" in _one_error(capsys)


# --- options -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("options", "expected"),
    [
        (["--tiers", "\u00b2"], "must be a number of tiers or name:percent pairs"),
        (["--tiers", "a:\u00b2,b:50"], "must be a number of tiers or name:percent pairs"),
        (["--tiers", "9" * 5000], "must be a number of tiers or name:percent pairs"),
        (["--tiers", "\u0663"], "must be a number of tiers or name:percent pairs"),
        (["--horizon", "\u00b2"], "must be a whole number of periods"),
        (["--horizon", "9" * 5000], "must be a whole number of periods"),
        (["--output", ""], "--output: must be a file path"),
    ],
)
def test_odd_option_values_get_the_rule(tmp_path, capsys, options, expected):
    # Was: int() errors ("invalid literal for int()", "invalid _horizon value"), and an
    # empty --output failed late with "Device or resource busy".
    with pytest.raises(SystemExit) as stop:
        main(["clv", str(tmp_path / "tx.csv"), *options])
    assert 2 == stop.value.code
    err = capsys.readouterr().err
    assert expected in err
    assert "int()" not in err


# --- writing -------------------------------------------------------------------------------


@pytest.mark.parametrize("link", [None, "symlink", "hardlink"])
def test_the_output_never_replaces_the_input(tmp_path, capsys, link):
    # Was: --output naming the input replaced the transactions with the report, status 0.
    source = tmp_path / "tx.csv"
    source.write_text(HEADER + "\n" + "\n".join(_rows(5)) + "\n", "utf-8")
    before = source.read_bytes()
    target = tmp_path / "alias.csv"
    if link == "symlink":
        target.symlink_to(source)
    elif link == "hardlink":
        os.link(source, target)
    else:
        target = tmp_path / "." / "tx.csv"
    assert 2 == main(["clv", str(source), "--output", str(target)])
    assert "is the input file" in _one_error(capsys)
    assert before == source.read_bytes()


def test_an_interrupted_write_leaves_neither_output_nor_temporary(tmp_path):
    target = tmp_path / "clv.csv"
    target.write_text("previous\n")

    def rows():
        yield ("c1", 1)
        raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        _writing.write_rows(str(target), rows())
    assert ["clv.csv"] == [p.name for p in tmp_path.iterdir()]
    assert "previous\n" == target.read_text()


def test_an_output_under_a_file_is_an_input_error(tmp_path, capsys):
    source = tmp_path / "tx.csv"
    source.write_text(HEADER + "\n" + "\n".join(_rows()) + "\n", "utf-8")
    assert 2 == main(["clv", str(source), "--output", str(source / "clv.csv"), "--quiet"])
    assert "cannot be written" in _one_error(capsys)
    assert ["tx.csv"] == [p.name for p in tmp_path.iterdir()]


def test_a_written_output_holds_ids_with_newlines_and_quotes_intact(tmp_path, capsys):
    rows = _rows()
    odd = [
        f'"{MARKER}\nline two, ""quoted""",2024-03-01,10',
        f'"{MARKER}\nline two, ""quoted""",2024-05-01,12',
    ]
    source = tmp_path / "tx.csv"
    source.write_text("\n".join([HEADER, *odd, *rows]) + "\n", "utf-8")
    target = tmp_path / "clv.csv"
    assert 0 == main(["clv", str(source), "--output", str(target), "--quiet"])
    _clean(capsys.readouterr())
    with target.open(newline="", encoding="utf-8") as stream:
        written = {row["customer_id"]: row for row in csv.DictReader(stream)}
    odd_id = f'{MARKER}\nline two, "quoted"'
    assert "1" == written[odd_id]["frequency"]
    assert len(written) == len({r.split(",")[0] for r in rows}) + 1


def test_the_row_bound_is_one_line(tmp_path, capsys, monkeypatch):
    monkeypatch.setattr(_reading, "MAX_ROWS", 3)
    path = tmp_path / "tx.csv"
    path.write_text(HEADER + "\n" + "\n".join(_rows(5)) + "\n", "utf-8")
    assert 2 == main(["clv", str(path)])
    assert "more than 3 rows" in _one_error(capsys)


def test_progress_lines_carry_no_row_values(tmp_path, capsys):
    path = tmp_path / "tx.csv"
    path.write_text(HEADER + "\n" + "\n".join(_rows()) + "\n", "utf-8")
    assert 0 == main(["clv", str(path), "--progress", "always"])
    captured = capsys.readouterr()
    _clean(captured)
    lines = captured.err.splitlines()
    assert all(line.startswith("crmcore clv: ") for line in lines)
    assert "crmcore clv: done" == lines[-1]
