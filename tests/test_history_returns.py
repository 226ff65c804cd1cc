"""Monthly history: a service of differently-shaped trackers snapshotted over four months."""

from __future__ import annotations

import math
import sqlite3

import pytest
from click.testing import CliRunner
from openpyxl import load_workbook
from test_returns_helpers import canonical_tracker, mapped_tracker, write_book

from addin.cli import main
from addin.returns.history import CASE_FIGURES, escalation, quarter_months
from addin.returns.quarterly import quarter_figures
from udfs.policy import load_policy

GATESHEAD = load_policy("gateshead")
MONTHS = {"2025-06": 8, "2025-07": 8, "2025-08": 12, "2025-09": 12}  # W4's cases per month


@pytest.fixture(scope="module")
def history(tmp_path_factory):
    """Four monthly snapshots: W1 over every month, W4 over in August and September."""
    root = tmp_path_factory.mktemp("history")
    db = root / "history.sqlite"
    runner = CliRunner()
    for month, w4 in MONTHS.items():
        folder = root / month
        folder.mkdir()
        a = canonical_tracker(folder / "tracker-a.xlsx")
        b = mapped_tracker(folder / "tracker-b.xlsx", w4_cases=w4)
        result = runner.invoke(
            main, ["snapshot", str(a), str(b), "--month", month, "--db", str(db), "--quiet"]
        )
        assert result.exit_code == 0, result.output
    return root, db


def test_rerunning_a_month_replaces_it(history):
    root, db = history
    a = root / "2025-09" / "tracker-a.xlsx"
    b = root / "2025-09" / "tracker-b.xlsx"
    result = CliRunner().invoke(
        main, ["snapshot", str(a), str(b), "--month", "2025-09", "--db", str(db), "--quiet"]
    )
    assert result.exit_code == 0, result.output
    with sqlite3.connect(db) as connection:
        counts = dict(connection.execute("SELECT month, COUNT(*) FROM workers GROUP BY month"))
        snapshots = connection.execute("SELECT COUNT(*) FROM months").fetchone()[0]
    assert counts == {m: 5 for m in MONTHS}
    assert snapshots == 4


def test_escalation_worked_by_hand(history):
    _, db = history
    table = escalation(db, "2025-09", GATESHEAD).set_index("worker_id")
    # W1: 19 wu > 18 in all four months -> 4 consecutive > 3 -> escalate
    assert table.loc["W1", "months_over"] == 4
    assert table.loc["W1", "action"] == "escalate"
    # W4: 0.5 FTE, max 9; 8 wu (within) in June/July, 11.5 wu (over) in August/September
    assert table.loc["W4", "months_over"] == 2
    assert table.loc["W4", "action"] == "record reason"
    assert table.loc["W2", "action"] == "" and table.loc["W5", "months_over"] == 0
    # as at July, W1 had been over for 2 months: record reason only
    july = escalation(db, "2025-07", GATESHEAD).set_index("worker_id")
    assert july.loc["W1", "months_over"] == 2 and july.loc["W1", "action"] == "record reason"


def test_quarter_figures_worked_by_hand(history):
    _, db = history
    assert quarter_months("2025Q3") == ["2025-07", "2025-08", "2025-09"]
    month, table = quarter_figures(db, "2025Q3", GATESHEAD)
    assert month == "2025-09"
    rows = table.set_index("team")
    sgcp, lac, service = rows.loc["SGCP"], rows.loc["LAC"], rows.loc["SERVICE"]
    # SGCP: W1 19 + W2 10 children on 2.0 case-holding FTE (the TM holds none)
    assert (sgcp["children"], sgcp["families"], sgcp["case_holding_fte"]) == (29, 29, 2.0)
    assert sgcp["children_per_fte"] == pytest.approx(14.5)
    assert sgcp["weighted_per_fte"] == pytest.approx(14.5)
    assert (sgcp["range_min"], sgcp["range_max"], sgcp["service_aim"]) == (16, 18, 18)
    assert (sgcp["workers_over"], sgcp["workers_over_long"]) == (1, 1)
    assert (sgcp["unallocated"], sgcp["unallocated_CP"], sgcp["unallocated_CIN"]) == (3, 2, 1)
    assert (sgcp["agency"], sgcp["asye"]) == (0, 1)
    # LAC: W4 12 children (F1 twice: 1 + 0.5, 10 singles) = 11.5 wu; W5 6; FTE 1.5
    assert (lac["children"], lac["families"], lac["case_holding_fte"]) == (18, 17, 1.5)
    assert lac["children_per_fte"] == pytest.approx(12.0)
    assert lac["weighted_per_fte"] == pytest.approx(17.5 / 1.5)
    assert (lac["workers_over"], lac["workers_over_long"]) == (1, 0)
    assert (lac["unallocated"], lac["unallocated_LAC"]) == (1, 1)
    assert (lac["agency"], lac["asye"]) == (1, 1)
    # service: 47 children on 3.5 FTE; 46.5 wu
    assert service["children"] == 47 and service["case_holding_fte"] == 3.5
    assert service["children_per_fte"] == pytest.approx(47 / 3.5)
    assert service["weighted_per_fte"] == pytest.approx(46.5 / 3.5)
    assert (service["workers_over"], service["workers_over_long"]) == (2, 1)
    assert (service["unallocated"], service["agency"], service["asye"]) == (4, 1, 2)
    assert math.isnan(service["range_max"])


def test_quarterly_report_xlsx_has_charts_and_csv(history, tmp_path):
    _, db = history
    out = tmp_path / "q3.xlsx"
    result = CliRunner().invoke(
        main, ["report", "quarterly", "--quarter", "2025Q3", "--db", str(db), "-o", str(out)]
    )
    assert result.exit_code == 0, result.output
    book = load_workbook(out)
    assert len(book["Teams"]._charts) == 1 and len(book["Trend"]._charts) == 1
    assert book["Trend"].max_row == 4  # header + three months
    csv_text = (tmp_path / "q3.csv").read_text()
    assert csv_text.splitlines()[0].startswith("month,team,workers")
    assert "SERVICE" in csv_text


def test_quarter_without_history_is_an_error(history, tmp_path):
    _, db = history
    result = CliRunner().invoke(
        main,
        [
            "report",
            "quarterly",
            "--quarter",
            "2024Q1",
            "--db",
            str(db),
            "-o",
            str(tmp_path / "x.csv"),
        ],
    )
    assert result.exit_code == 2
    assert "no snapshot" in result.output


def _quarterly(db, out, *extra):
    return CliRunner().invoke(
        main,
        ["report", "quarterly", "--quarter", "2025Q3", "--db", str(db), "-o", str(out), *extra],
    )


def test_snapshot_refuses_a_db_that_is_not_sqlite_before_reading_files(tmp_path, monkeypatch):
    import addin.cli.returns as returns_cli

    a = canonical_tracker(tmp_path / "a.xlsx")
    db = tmp_path / "history.sqlite"
    db.write_text("this is not an SQLite database\n" * 20)
    read = []
    monkeypatch.setattr(returns_cli, "read_batch", lambda *args, **kw: read.append(args))
    result = CliRunner().invoke(
        main, ["snapshot", str(a), "--month", "2025-09", "--db", str(db), "--quiet"]
    )
    assert result.exit_code == 2, result.output
    assert "error:" in result.output and "not a history database" in result.output
    assert result.exception is None or isinstance(result.exception, SystemExit)
    assert read == []  # the database was checked before any file was read
    assert db.read_text().startswith("this is not an SQLite database")


def test_snapshot_refuses_an_sqlite_file_of_another_kind(tmp_path):
    a = canonical_tracker(tmp_path / "a.xlsx")
    db = tmp_path / "other.sqlite"
    with sqlite3.connect(db) as connection:
        connection.execute("CREATE TABLE workers (name TEXT)")
    result = CliRunner().invoke(
        main, ["snapshot", str(a), "--month", "2025-09", "--db", str(db), "--quiet"]
    )
    assert result.exit_code == 2 and "not a history database" in result.output


def test_quarterly_report_db_not_sqlite_is_an_error_not_a_traceback(tmp_path):
    db = tmp_path / "history.sqlite"
    db.write_text("not a database\n" * 20)
    result = _quarterly(db, tmp_path / "q3.xlsx")
    assert result.exit_code == 2, result.output
    assert "error:" in result.output and "not a history database" in result.output
    assert not (tmp_path / "q3.xlsx").exists() and not (tmp_path / "q3.csv").exists()


def test_quarterly_csv_beside_the_xlsx_never_overwrites_an_input(history, tmp_path):
    _, db = history
    copied = tmp_path / "q3.csv"  # the history database, named like the CSV to be written
    copied.write_bytes(db.read_bytes())
    before = copied.read_bytes()
    result = _quarterly(copied, tmp_path / "q3.xlsx")
    assert result.exit_code == 2 and "refusing" in result.output
    assert copied.read_bytes() == before and not (tmp_path / "q3.xlsx").exists()
    # a policy file is an input too
    policy = tmp_path / "rules.csv"
    policy.write_text("extends: gateshead\n")
    result = _quarterly(db, tmp_path / "rules.xlsx", "--policy", str(policy))
    assert result.exit_code == 2 and "refusing" in result.output
    assert policy.read_text() == "extends: gateshead\n"


def test_quarterly_report_counts_cp_looked_after_and_team_manager_cases(tmp_path):
    """CP children, looked-after children (LAC and PROC) and cases held by TMs, held and
    unallocated, per team and service; figures not in our data are marked not available."""
    tracker = write_book(
        tmp_path / "t.xlsx",
        {
            "Workers": [
                ["worker_id", "team", "role", "fte"],
                ["W1", "SGCP", "SW", 1],
                ["T1", "SGCP", "TM", 1],
                ["W2", "LAC", "SW", 1],
            ],
            "Cases": [
                ["case_id", "worker_id", "team", "category"],
                ["C1", "W1", "SGCP", "CP"],
                ["C2", "W1", "SGCP", "CP"],
                ["C3", "W1", "SGCP", "CIN"],
                ["C4", "T1", "SGCP", "CP"],
                ["C5", "T1", "SGCP", "CIN"],
                ["C6", "W2", "LAC", "LAC"],
                ["C7", "W2", "LAC", "PROC"],
                ["C8", None, "SGCP", "CP"],
                ["C9", None, "LAC", "LAC"],
            ],
        },
    )
    db = tmp_path / "h.sqlite"
    for month in ("2025-08", "2025-09"):
        result = CliRunner().invoke(
            main, ["snapshot", str(tracker), "--month", month, "--db", str(db), "--quiet"]
        )
        assert result.exit_code == 0, result.output
    _, table = quarter_figures(db, "2025Q3", GATESHEAD)
    rows = table.set_index("team")
    got = {
        team: tuple(rows.loc[team, c] for c in CASE_FIGURES) for team in ("SGCP", "LAC", "SERVICE")
    }
    assert got == {"SGCP": (4, 0, 2), "LAC": (0, 3, 0), "SERVICE": (4, 3, 2)}
    for name in ("referrals_per_month", "assessments_completed", "supernumerary_agency_staff"):
        assert set(table[name]) == {"not available"}
    out = tmp_path / "q3.xlsx"
    result = _quarterly(db, out)
    assert result.exit_code == 0, result.output
    header = load_workbook(out)["Teams"][1]
    names = [cell.value for cell in header]
    assert {*CASE_FIGURES, "referrals_per_month", "supernumerary_agency_staff"} <= set(names)
    service = next(
        r for r in load_workbook(out)["Teams"].iter_rows(values_only=True) if r[1] == "SERVICE"
    )
    assert service[names.index("cases_held_by_tm")] == 2
    assert service[names.index("assessments_completed")] == "not available"
    # a month stored before these figures were kept: not available, never 0
    with sqlite3.connect(db) as connection:
        connection.execute("DELETE FROM team_cases WHERE month = '2025-09'")
    _, table = quarter_figures(db, "2025Q3", GATESHEAD)
    assert all(v is None for v in table["cp_children"])
    result = _quarterly(db, tmp_path / "old.csv")
    assert result.exit_code == 0, result.output
    lines = (tmp_path / "old.csv").read_text().splitlines()
    column = lines[0].split(",").index("cp_children")
    assert {line.split(",")[column] for line in lines[1:]} == {"not available"}


def stored_workers(db, month: str) -> int:
    with sqlite3.connect(db) as connection:
        query = "SELECT COUNT(*) FROM workers WHERE month = ?"
        return connection.execute(query, (month,)).fetchone()[0]


def test_a_batch_with_an_unreadable_file_does_not_replace_a_stored_month(history, tmp_path):
    root, db = history
    a = root / "2025-09" / "tracker-a.xlsx"
    broken = tmp_path / "broken.xlsx"
    broken.write_text("not a workbook")
    before = stored_workers(db, "2025-09")
    args = ["snapshot", str(a), str(broken), "--month", "2025-09", "--db", str(db), "--quiet"]
    refused = CliRunner().invoke(main, args)
    assert refused.exit_code == 1 and "is not stored" in refused.output
    assert stored_workers(db, "2025-09") == before
    # a person who means it can store what was read; then the complete run is put back
    assert CliRunner().invoke(main, [*args, "--allow-partial"]).exit_code == 1
    assert stored_workers(db, "2025-09") < before
    b = root / "2025-09" / "tracker-b.xlsx"
    restore = ["snapshot", str(a), str(b), "--month", "2025-09", "--db", str(db), "--quiet"]
    assert CliRunner().invoke(main, restore).exit_code == 0
    assert stored_workers(db, "2025-09") == before
