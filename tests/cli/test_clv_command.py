"""``python -m crmcore clv``: the output CSV against crmcore's API called directly, and the errors."""

import csv
import io
import math
import random
import sys
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest

from crmcore.__main__ import main
from crmcore._cli import _command
from crmcore.clv import (
    BetaGeo,
    GammaGamma,
    ModifiedBetaGeo,
    ParetoNBD,
    customer_lifetime_value,
    summarize,
)
from crmcore.segmentation import quantile_scores, tiers_by_percentile

START = date(2024, 1, 1)


def transactions(
    customers: int = 150, days: int = 364, seed: int = 7
) -> list[tuple[str, str, str]]:
    """(customer id, ISO date, amount) rows: Poisson buying, dropping out after a purchase."""
    rng = random.Random(seed)  # noqa: S311 - seeded test data, not cryptography.
    rows = []
    for number in range(customers):
        customer = f"cust-{number:04d}"
        rate = rng.gammavariate(0.8, 1 / 20)  # purchases per day
        drop = rng.betavariate(1.0, 3.0)
        spend = rng.gammavariate(6.0, 1 / 0.2)
        day = rng.randrange(0, days // 2)
        while day < days:
            amount = max(1.0, rng.gammavariate(6.0, spend / 6.0))
            rows.append((customer, (START + timedelta(days=day)).isoformat(), f"{amount:.2f}"))
            if rng.random() < drop:
                break
            day += max(1, round(rng.expovariate(rate)))
    return rows


def write_csv(path, rows, header=("customer_id", "date", "amount"), delimiter=","):
    """Write ``rows`` under ``header`` and return the path as text."""
    lines = [delimiter.join(header)] + [delimiter.join(row) for row in rows]
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return str(path)


MARKER = "MARKER-7731"  # a value that must never reach the output streams


def _read(path):
    with path.open(newline="", encoding="utf-8") as stream:
        return list(csv.DictReader(stream))


def _direct(rows, *, period="week", zone=UTC, model=BetaGeo, horizon=52, rate=0.0, margin=1.0):
    """The same analysis through crmcore's API: summarize over tuples, fit, value."""
    data = [(c, datetime.fromisoformat(d).replace(tzinfo=zone), Decimal(a)) for c, d, a in rows]
    end = max(at for _, at, _ in data)
    table = summarize(data, period=period, observation_end=end)
    fitted = model().fit(**table.compress())
    columns = table.to_columns()
    spend = GammaGamma().fit(columns["frequency"], columns["monetary_value"])
    return table, fitted, spend


def _close(a, b):
    return math.isclose(a, b, rel_tol=1e-6, abs_tol=1e-9)


@pytest.mark.parametrize(
    ("option", "model"), [("bgnbd", BetaGeo), ("mbgnbd", ModifiedBetaGeo), ("paretonbd", ParetoNBD)]
)
def test_output_matches_the_api_called_directly(tmp_path, capsys, option, model):
    rows = transactions()
    source = write_csv(tmp_path / "tx.csv", rows)
    out = tmp_path / "clv.csv"
    status = main(
        [
            "clv",
            source,
            "--model",
            option,
            "--discount-rate",
            "0.002",
            "--margin",
            "0.3",
            "--output",
            str(out),
        ]
    )
    assert 0 == status
    table, fitted, spend = _direct(rows, model=model)
    written = _read(out)
    assert [row["customer_id"] for row in written] == list(table)
    clv = {}
    for row in written:
        summary = table[row["customer_id"]]
        f, r, t = summary.frequency, summary.recency, summary.T
        assert (str(f), str(r), str(t)) == (row["frequency"], row["recency"], row["T"])
        assert Decimal(row["monetary_value"]) == summary.monetary_value
        assert _close(float(row["p_alive"]), fitted.probability_alive(f, r, t))
        assert _close(float(row["expected_purchases"]), fitted.expected_purchases(52, f, r, t))
        expected = customer_lifetime_value(
            fitted,
            spend,
            f,
            r,
            t,
            float(summary.monetary_value),
            horizon=52,
            discount_rate=0.002,
            margin=0.3,
        )
        assert _close(float(row["clv"]), expected)
        clv[row["customer_id"]] = float(row["clv"])
    tiers = tiers_by_percentile(clv)
    assert {row["customer_id"]: row["tier"] for row in written} == {
        key: tier.value for key, tier in tiers.items()
    }
    report = capsys.readouterr().out
    for heading in ("Data", "Purchase model", "Spend model", "Goodness of fit", "CLV tiers"):
        assert heading in report
    assert f"rows read: {len(rows)}; taken: {len(rows)}; skipped: 0" in report
    for name in fitted.params:
        assert name in report


def test_columns_formats_zone_and_period_are_options(tmp_path):
    rows = transactions(seed=11)
    compact = [(c, d.replace("-", ""), a) for c, d, a in rows]
    source = write_csv(tmp_path / "tx.tsv", compact, header=("who", "when", "paid"), delimiter="\t")
    out = tmp_path / "clv.csv"
    zone = ZoneInfo("Asia/Jakarta")
    status = main(
        [
            "clv",
            source,
            "--customer-column",
            "who",
            "--date-column",
            "when",
            "--amount-column",
            "paid",
            "--date-format",
            "%Y%m%d",
            "--delimiter",
            "tab",
            "--timezone",
            "Asia/Jakarta",
            "--period",
            "month",
            "--horizon",
            "6",
            "--tiers",
            "4",
            "--output",
            str(out),
            "--quiet",
        ]
    )
    assert 0 == status
    table, fitted, _ = _direct(rows, period="month", zone=zone)
    written = _read(out)
    assert [r["customer_id"] for r in written] == list(table)
    clv = {}
    for row in written:
        s = table[row["customer_id"]]
        assert (s.frequency, s.recency, s.T) == (
            int(row["frequency"]),
            int(row["recency"]),
            int(row["T"]),
        )
        assert _close(
            float(row["expected_purchases"]),
            fitted.expected_purchases(6, s.frequency, s.recency, s.T),
        )
        clv[row["customer_id"]] = float(row["clv"])
    scores = quantile_scores(clv, k=4)
    assert {r["customer_id"]: r["tier"] for r in written} == {k: str(v) for k, v in scores.items()}


def test_named_percent_tiers_split_distinct_values_by_rank(tmp_path):
    source = write_csv(tmp_path / "tx.csv", transactions())
    out = tmp_path / "clv.csv"
    status = main(
        ["clv", source, "--tiers", "bronze:50,silver:30,gold:20", "--output", str(out), "--quiet"]
    )
    assert 0 == status
    written = _read(out)
    values = [float(row["clv"]) for row in written]
    # By hand: a tie group at sorted positions s..e-1 sits at percentile (s + e) / 2n;
    # it belongs to the first band whose cumulative percent lies above that.
    ordered = sorted(values)
    n = len(ordered)
    expected = {}
    for value in set(values):
        first = ordered.index(value)
        last = first + ordered.count(value)
        place = 100 * (first + last) / (2 * n)
        expected[value] = "bronze" if place < 50 else "silver" if place < 80 else "gold"
    assert [expected[v] for v in values] == [row["tier"] for row in written]
    assert {"bronze", "silver", "gold"} == {row["tier"] for row in written}


def test_an_explicit_observation_end_leaves_later_rows_out(tmp_path, capsys):
    rows = transactions()
    source = write_csv(tmp_path / "tx.csv", rows)
    out = tmp_path / "clv.csv"
    assert 0 == main(["clv", source, "--observation-end", "2024-09-30", "--output", str(out)])
    end = datetime(2024, 9, 30, tzinfo=UTC)
    data = [(c, datetime.fromisoformat(d).replace(tzinfo=UTC), Decimal(a)) for c, d, a in rows]
    table = summarize(data, period="week", observation_end=end)
    assert [r["customer_id"] for r in _read(out)] == list(table)
    later = sum(1 for _, at, _ in data if at > datetime(2024, 10, 6, 23, 59, 59, tzinfo=UTC))
    assert later > 0
    assert f"left out: {later}" in capsys.readouterr().out


def test_compare_prints_the_three_models(tmp_path, capsys):
    source = write_csv(tmp_path / "tx.csv", transactions())
    assert 0 == main(["clv", source, "--compare"])
    report = capsys.readouterr().out
    assert "Model comparison" in report
    for name in ("BG/NBD", "MBG/NBD", "Pareto/NBD"):
        assert name in report.split("Model comparison")[1]


# -- errors -------------------------------------------------------------------------


def _bad_file(tmp_path, bad_row, line=5):
    rows = transactions()
    text = ["customer_id,date,amount", *(",".join(r) for r in rows)]
    text.insert(line - 1, bad_row)
    path = tmp_path / "tx.csv"
    path.write_text("\n".join(text) + "\n", encoding="utf-8")
    return str(path)


@pytest.mark.parametrize(
    ("bad_row", "column", "reason"),
    [
        (f"{MARKER},not-{MARKER},10.00", "date", "a date that does not read"),
        (f"{MARKER},2024-02-01,{MARKER}", "amount", "an amount that is not plain decimal text"),
        (f"{MARKER},2024-02-01,1e5", "amount", "an amount that is not plain decimal text"),
        (f"{MARKER},2024-02-01", "amount", "fewer fields than the header"),
        (f" ,2024-02-01,{MARKER[-4:]}", "customer_id", "an empty customer id"),
        (f"{'x' * 300},2024-02-01,1.00", "customer_id", "a customer id over 256 characters"),
    ],
)
def test_a_bad_row_names_line_and_column_never_the_value(tmp_path, capsys, bad_row, column, reason):
    source = _bad_file(tmp_path, bad_row, line=5)
    assert 2 == main(["clv", source])
    captured = capsys.readouterr()
    assert "" == captured.out
    message = captured.err.strip()
    assert 1 == len(message.splitlines())
    assert f"line 5, column '{column}'" in message
    assert "--on-error skip" in message
    for value in (MARKER, MARKER[-4:], "xxxx"):
        assert value not in message

    out = tmp_path / "clv.csv"
    assert 0 == main(["clv", source, "--on-error", "skip", "--output", str(out)])
    captured = capsys.readouterr()
    assert f"1 row with {reason} (lines 5)" in captured.out
    assert MARKER not in captured.out + captured.err
    assert MARKER not in out.read_text()


def test_many_bad_rows_show_the_first_lines_and_count_all(tmp_path, capsys):
    rows = transactions()
    text = ["customer_id,date,amount", *(",".join(r) for r in rows)]
    text += [f"z{n},2024-02-30,1.00" for n in range(12)]
    (tmp_path / "tx.csv").write_text("\n".join(text) + "\n", encoding="utf-8")
    assert 0 == main(["clv", str(tmp_path / "tx.csv"), "--on-error", "skip"])
    first = len(rows) + 2
    shown = ", ".join(str(first + n) for n in range(10))
    assert f"12 rows with a date that does not read (lines {shown}, ...)" in capsys.readouterr().out


@pytest.mark.parametrize(
    ("content", "expected"),
    [
        (b"", "the file is empty"),
        (
            b"customer_id,when,amount\nc1,2024-01-01,1\n",
            "no column 'date' in the header (name it with --date-column)",
        ),
        (b"customer_id,date,date,amount\n", "column 'date' appears 2 times"),
        (b"customer_id,date,amount\n\n\n", "no usable rows"),
        (b'customer_id,date,amount\nc1,2024-01-01,"1\nc2', "line 2: malformed CSV"),
        (
            b"customer_id,date,amount\nc1,2024-01-01,1\n\xff\xfe,2024-01-02,3\n",
            "line 3: not UTF-8 text",
        ),
    ],
)
def test_file_level_problems_exit_2_in_one_line(tmp_path, capsys, content, expected):
    path = tmp_path / "tx.csv"
    path.write_bytes(content)
    assert 2 == main(["clv", str(path)])
    err = capsys.readouterr().err.strip()
    assert 1 == len(err.splitlines())
    assert expected in err


def test_a_missing_file_and_an_unwritable_output_exit_2(tmp_path, capsys):
    assert 2 == main(["clv", str(tmp_path / "nope.csv")])
    assert "cannot be read" in capsys.readouterr().err
    source = write_csv(tmp_path / "tx.csv", transactions())
    target = tmp_path / "missing" / "out.csv"
    assert 2 == main(["clv", source, "--output", str(target), "--quiet"])
    assert "--output" in capsys.readouterr().err
    assert [] == [p.name for p in tmp_path.iterdir() if p.name.startswith(".")]


def test_observation_end_problems(tmp_path, capsys):
    source = write_csv(tmp_path / "tx.csv", transactions())
    assert 2 == main(["clv", source, "--observation-end", "soon"])
    assert "--observation-end: not a date in the format ISO 8601" in capsys.readouterr().err
    assert 2 == main(["clv", source, "--observation-end", "2023-01-01"])
    assert "no customer bought before the observation end" in capsys.readouterr().err


@pytest.mark.parametrize(
    "options",
    [
        ["--timezone", "Mars/Olympus"],
        ["--delimiter", "ab"],
        ["--tiers", "1"],
        ["--tiers", "low:50,high:40"],
        ["--tiers", "a:50,a:50"],
        ["--tiers", "a:0,b:100"],
        ["--tiers", "a=50"],
        ["--tiers", ",".join(f"t{n}:1" for n in range(101))],
        ["--horizon", "0"],
        ["--discount-rate", "5"],
        ["--margin", "x"],
        ["--period", "year"],
        ["--penalizer", "x"],
    ],
)
def test_bad_options_are_usage_errors(tmp_path, capsys, options):
    source = write_csv(tmp_path / "tx.csv", transactions(customers=5))
    with pytest.raises(SystemExit) as exit_:
        main(["clv", source, *options])
    assert 2 == exit_.value.code
    assert "error" in capsys.readouterr().err


def test_an_analysis_that_fails_exits_1(tmp_path, capsys):
    # Everyone buys every week and nobody leaves: BG/NBD's drop-out has no maximum.
    rows = [(f"c{c}", f"2024-01-{1 + 7 * k:02d}", "5.00") for c in range(30) for k in range(4)]
    source = write_csv(tmp_path / "tx.csv", rows)
    assert 1 == main(["clv", source])
    err = capsys.readouterr().err.strip()
    assert err.startswith("crmcore clv: error: ")
    assert 1 == len(err.splitlines())


def test_one_time_buyers_only_fail_the_analysis_with_status_1(tmp_path, capsys):
    firsts = {}
    for row in transactions():
        firsts.setdefault(row[0], row)
    source = write_csv(tmp_path / "tx.csv", [*firsts.values()])
    assert 1 == main(["clv", source])
    assert "crmcore clv: error:" in capsys.readouterr().err


# -- progress -------------------------------------------------------------------------


class _Terminal(io.StringIO):
    def isatty(self):
        return True


def test_progress_follows_the_terminal_and_the_switches(tmp_path, capsys, monkeypatch):
    source = write_csv(tmp_path / "tx.csv", transactions())
    monkeypatch.setattr(_command, "PROGRESS_EVERY", 100)
    assert 0 == main(["clv", source])
    assert "" == capsys.readouterr().err  # stderr is no terminal: no progress

    terminal = _Terminal()
    monkeypatch.setattr("sys.stderr", terminal)
    assert 0 == main(["clv", source])
    lines = terminal.getvalue().splitlines()
    assert "crmcore clv: read 100 rows" in lines
    assert "crmcore clv: fitting BG/NBD" in lines
    assert "crmcore clv: done" == lines[-1]
    assert all(line.startswith("crmcore clv: ") for line in lines)
    assert MARKER not in terminal.getvalue()

    for switch in (["--quiet"], ["--progress", "never"]):
        terminal = _Terminal()
        monkeypatch.setattr("sys.stderr", terminal)
        assert 0 == main(["clv", source, *switch])
        assert "" == terminal.getvalue()
    capsys.readouterr()

    monkeypatch.setattr("sys.stderr", io.StringIO())
    assert 0 == main(["clv", source, "--quiet"])
    assert "" == capsys.readouterr().out
    assert 0 == main(["clv", source, "--progress", "always"])
    assert "crmcore clv: predicting" in sys.stderr.getvalue()


def test_demo_still_runs(capsys):
    assert 0 == main(["demo", "--customers", "5"])
    assert capsys.readouterr().out


def test_cdnow_master_log_matches_the_api(reference_data, tmp_path, capsys):
    """The full CDNOW log (whitespace separated), converted to a CSV, end to end."""
    rows = []
    for line in reference_data("cdnow", "CDNOW_master.txt").read_text().splitlines():
        fields = line.split()
        if len(fields) == 4 and fields[0].isdigit():
            rows.append((fields[0], fields[1], fields[3]))
    source = tmp_path / "cdnow.csv"
    with source.open("w", newline="", encoding="utf-8") as stream:
        writer = csv.writer(stream)
        writer.writerow(("customer_id", "date", "dollars"))
        writer.writerows(rows)
    out = tmp_path / "clv.csv"
    status = main(
        [
            "clv",
            str(source),
            "--date-format",
            "%Y%m%d",
            "--amount-column",
            "dollars",
            "--observation-end",
            "19980630",
            "--output",
            str(out),
        ]
    )
    assert 0 == status
    report = capsys.readouterr().out
    assert f"rows read: {len(rows):,}; taken: {len(rows):,}; skipped: 0" in report
    data = [(c, datetime.strptime(d, "%Y%m%d").replace(tzinfo=UTC), Decimal(a)) for c, d, a in rows]
    table = summarize(data, period="week", observation_end=datetime(1998, 6, 30, tzinfo=UTC))
    assert 23_570 == len(table)
    fitted = BetaGeo().fit(**table.compress())
    columns = table.to_columns()
    spend = GammaGamma().fit(columns["frequency"], columns["monetary_value"])
    written = _read(out)
    assert [row["customer_id"] for row in written] == list(table)
    clv = customer_lifetime_value(
        fitted,
        spend,
        columns["frequency"],
        columns["recency"],
        columns["T"],
        columns["monetary_value"],
        horizon=52,
        discount_rate=0.0,
        backend="python",
    )
    for row, value, summary in zip(written, clv, table.values(), strict=True):
        assert Decimal(row["monetary_value"]) == summary.monetary_value
        assert math.isclose(float(row["clv"]), value, rel_tol=1e-6, abs_tol=1e-9)
    assert f"{len(table):,}" in report


def test_a_penalized_fit_matches_and_a_small_base_skips_the_chi_square(tmp_path, capsys):
    rows = transactions(customers=40, seed=3)
    source = write_csv(tmp_path / "tx.csv", rows)
    out = tmp_path / "clv.csv"
    assert 0 == main(["clv", source, "--penalizer", "0.01", "--output", str(out)])
    report = capsys.readouterr().out
    data = [(c, datetime.fromisoformat(d).replace(tzinfo=UTC), Decimal(a)) for c, d, a in rows]
    table = summarize(data, period="week", observation_end=max(at for _, at, _ in data))
    fitted = BetaGeo().fit(**table.compress(), penalizer=0.01)
    for row in _read(out):
        s = table[row["customer_id"]]
        assert _close(float(row["p_alive"]), fitted.probability_alive(s.frequency, s.recency, s.T))
    assert "Goodness of fit" in report
    assert "not computed: " in report or "chi-square" in report


def test_blank_lines_empty_tiers_and_utc_by_name(tmp_path, capsys):
    rows = transactions()
    text = [
        "customer_id,date,amount",
        *(",".join(r) for r in rows[:50]),
        "",
        *(",".join(r) for r in rows[50:]),
    ]
    (tmp_path / "tx.csv").write_text("\n".join(text) + "\n", encoding="utf-8")
    assert 0 == main(["clv", str(tmp_path / "tx.csv"), "--timezone", "utc", "--tiers", "100"])
    report = capsys.readouterr().out
    assert "blank lines ignored: 1" in report
    assert "0.0%" in report  # ties leave some of the 100 quantile tiers empty


def test_the_demo_refuses_a_bad_size(capsys):
    with pytest.raises(SystemExit):
        main(["demo", "--customers", "0"])
