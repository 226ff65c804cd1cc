"""Messy input as tracker-format.md describes it: read forgivingly, rejected loudly."""

from __future__ import annotations

import hashlib
import subprocess
import sys
from datetime import date, datetime

import pytest
from openpyxl import Workbook

from addin.jobs import weigh_tracker
from addin.tracker_io import read_raw_tracker
from udfs.intake import RawTable, TrackerUnusable, canonical_header, read_tracker
from udfs.policy import load_policy

GATESHEAD = load_policy("gateshead")
AS_AT = date(2026, 11, 1)


def intake(workers, cases):
    return read_tracker(
        RawTable.from_rows("Workers", workers), RawTable.from_rows("Cases", cases), GATESHEAD, AS_AT
    )


@pytest.mark.parametrize(
    ("header", "field"),
    [
        ("Worker ID", "worker_id"),
        ("worker-id", "worker_id"),
        ("WORKER_ID", "worker_id"),
        (" Reduction % ", "reduction_pct"),
        ("Placement  Unstable", "placement_unstable"),
    ],
)
def test_headers_match_ignoring_case_spaces_hyphens(header, field):
    assert canonical_header(header) == field


def test_codes_yes_no_numbers_as_text_and_ids_are_read_as_a_careful_person_would():
    got = intake(
        [
            ["Worker ID", "TEAM", "role", "FTE", "Agency", "Notes"],
            [101.0, " sgcp ", "sw", "0.5", "Yes", "ignored column"],
            ["W2", "Assessment-and-Intervention", "SW", "1", "n", None],
        ],
        [
            ["Case ID", "Worker ID", "Category", "Status", "Level", "Placement unstable"],
            ["c1", "101", " cp ", "Awaiting Closure", "3", "TRUE"],
            ["c2", 101, "Cin", "awaiting-closure", None, "1"],
            [None, None, None, None, None, None],
        ],
    )
    reasons = [r.reason for r in got.rejections]
    assert len(got.rejections) == 1 and "unknown team" in reasons[0]
    assert got.rejections[0].cell == "B3"
    assert list(got.workers["worker_id"]) == ["101"]
    assert got.workers["fte"].iloc[0] == 0.5 and bool(got.workers["agency"].iloc[0])
    assert list(got.cases["category"]) == ["CP", "CIN"]
    assert list(got.cases["status"]) == ["awaiting_closure", "awaiting_closure"]
    assert list(got.cases["worker_id"]) == ["101", "101"]
    assert got.cases["level"].iloc[0] == 3 and bool(got.cases["placement_unstable"].iloc[1])


@pytest.mark.parametrize(
    ("fte", "reason"),
    [
        (50, "FTE 50 is outside (0, 1]"),
        (0, "FTE 0 is outside (0, 1]"),
        ("lots", "FTE is not a number"),
    ],
)
def test_bad_fte_is_rejected_with_value_and_cell(fte, reason):
    got = intake(
        [["worker_id", "team", "role", "fte"], ["A", "AI", "SW", fte]],
        [["case_id", "worker_id", "category"], ["c1", "A", "CIN"]],
    )
    messages = [str(r) for r in got.rejections]
    assert any(reason in m and "Workers!D2" in m for m in messages), messages
    # the worker has no result row and its case is rejected with it
    assert got.workers.empty and got.cases.empty
    assert any("Workers was rejected" in m and "Cases!B2" in m for m in messages)


def test_level_outside_one_to_four_and_unknown_codes_are_rejected():
    got = intake(
        [["worker_id", "team", "role", "fte"], ["A", "AI", "SW", 1]],
        [
            ["case_id", "worker_id", "category", "level", "status"],
            ["c1", "A", "CIN", 5, None],
            ["c2", "A", "XYZ", None, None],
            ["c3", "A", "CIN", 2.5, None],
            ["c4", "A", "CIN", None, "closed"],
            ["c5", "A", "CIN", None, None],
        ],
    )
    assert got.rejected_rows == 4
    assert list(got.cases["case_id"]) == ["c5"]
    assert bool(got.workers["incomplete"].iloc[0])


def test_duplicates_first_row_stands_and_every_worker_touched_is_incomplete():
    got = intake(
        [
            ["worker_id", "team", "role", "fte"],
            ["A", "AI", "SW", 1],
            ["B", "AI", "SW", 1],
            ["C", "AI", "SW", 1],
            ["A", "LAC", "SW", 1],
        ],
        [
            ["case_id", "worker_id", "category"],
            ["c1", "B", "CIN"],
            ["c1", "C", "CIN"],
            ["c2", "X", "CIN"],
        ],
    )
    assert list(got.workers["worker_id"]) == ["A", "B", "C"]
    assert got.workers.set_index("worker_id")["incomplete"].to_dict() == {
        "A": True,
        "B": True,
        "C": True,
    }
    assert list(got.cases["case_id"]) == ["c1"] and got.cases["worker_id"].iloc[0] == "B"
    # the case of an unknown worker marks nobody; it is rejected with its value named
    assert any(r.field == "worker_id" and r.value == "X" for r in got.rejections)


def test_asye_start_gives_whole_months_to_the_as_at_date():
    got = intake(
        [
            ["worker_id", "team", "role", "fte", "asye_start"],
            ["A", "AI", "ASYE", 1, datetime(2026, 5, 2)],
            ["B", "AI", "ASYE", 1, "01/05/2026"],
            ["C", "AI", "ASYE", 1, "2027-01-01"],
        ],
        [["case_id", "worker_id", "category"]],
    )
    assert list(got.workers["asye_months"]) == [5.0, 6.0]
    assert any("after the as-at date" in r.reason for r in got.rejections)


def test_missing_required_column_makes_the_table_unusable():
    with pytest.raises(TrackerUnusable, match="Workers: required column.*fte"):
        intake(
            [["worker_id", "team", "role"], ["A", "AI", "SW"]],
            [["case_id", "worker_id", "category"]],
        )


def weigh_formatted(tmp_path, rows, formats):
    """Weigh a tracker whose Workers rows (worker_id, team, role, fte, reduction_pct) have
    the given number formats ({"E2": "0%"}) and no cases."""
    book = Workbook()
    sheet = book.active
    sheet.title = "Workers"
    sheet.append(["worker_id", "team", "role", "fte", "reduction_pct"])
    for row in rows:
        sheet.append(row)
    for cell, number_format in formats.items():
        sheet[cell].number_format = number_format
    book.create_sheet("Cases").append(["case_id", "worker_id", "category"])
    book.save(tmp_path / "formatted.xlsx")
    return weigh_tracker(tmp_path / "formatted.xlsx", GATESHEAD, AS_AT)


def test_percent_formatted_cells_read_as_excel_shows_them(tmp_path):
    job = weigh_formatted(
        tmp_path,
        [["A", "AI", "SW", 0.5, 0.2], ["B", "AI", "SW", 1, 20]],
        {"D2": "0%", "E2": "0.0%"},
    )
    workers = job.intake.workers.set_index("worker_id")
    assert workers.loc["A", "fte"] == 0.5 and workers.loc["A", "reduction_pct"] == pytest.approx(20)
    assert workers.loc["B", "reduction_pct"] == 20
    assert job.weighing.result.set_index("worker_id").loc["A", "capacity_max"] == pytest.approx(7.2)


def test_excel_tables_are_preferred_to_sheets_and_rows_named_from_the_table(tmp_path):
    from openpyxl.worksheet.table import Table

    book = Workbook()
    staff = book.active
    staff.title = "Workers"  # a decoy sheet: the table named Workers wins
    staff.append(["nothing", "here"])
    sheet = book.create_sheet("Team")
    sheet.append(["Team tracker"])
    sheet.append(["Worker ID", "Team", "Role", "FTE"])
    sheet.append(["A", "AI", "SW", 2])
    sheet.add_table(Table(displayName="Workers", ref="A2:D3"))
    book.create_sheet("Cases").append(["case_id", "worker_id", "category"])
    path = tmp_path / "tables.xlsx"
    book.save(path)
    workers, _ = read_raw_tracker(path)
    assert list(workers.frame.columns) == ["Worker ID", "Team", "Role", "FTE"]
    job = weigh_tracker(path, GATESHEAD, AS_AT)
    assert [f"{r.sheet}!{r.cell}" for r in job.intake.rejections] == ["Team!D3"]


def _run(*args):
    return subprocess.run(
        [sys.executable, "-m", "addin.cli", *args], capture_output=True, text=True, check=False
    )


def test_command_exit_statuses_and_messages(tmp_path):
    book = Workbook()
    sheet = book.active
    sheet.title = "Workers"
    sheet.append(["worker_id", "team", "role", "fte"])
    sheet.append(["A", "AI", "SW", 1])
    cases = book.create_sheet("Cases")
    cases.append(["case_id", "worker_id", "category", "child_name"])
    cases.append(["c1", "A", "CIN", "Jane Secretname"])
    cases.append(["c2", "A", "BOGUS", "John Hiddenname"])
    path = tmp_path / "tracker.xlsx"
    book.save(path)
    before = hashlib.sha256(path.read_bytes()).hexdigest()

    out = tmp_path / "result.xlsx"
    done = _run("weigh", str(path), "-o", str(out))
    assert done.returncode == 1
    # issue 10 (E): what was typed into a child's row is never echoed; the cell and what was
    # expected are named instead
    assert "Cases!C3" in done.stderr and "expected one of" in done.stderr
    assert "BOGUS" not in done.stderr
    assert "Secretname" not in done.stderr + done.stdout
    assert "Hiddenname" not in done.stderr + done.stdout
    assert out.exists()
    assert hashlib.sha256(path.read_bytes()).hexdigest() == before

    refused = _run("weigh", str(path), "-o", str(path))
    assert refused.returncode == 2 and "refusing" in refused.stderr

    missing = _run("weigh", str(tmp_path / "nope.xlsx"))
    assert missing.returncode == 2 and "no such file" in missing.stderr

    not_a_book = tmp_path / "notes.xlsx"
    not_a_book.write_text("hello")
    assert _run("weigh", str(not_a_book)).returncode == 2

    no_cases = tmp_path / "no_cases.xlsx"
    only = Workbook()
    only.active.title = "Workers"
    only.active.append(["worker_id", "team", "role", "fte"])
    only.save(no_cases)
    bad = _run("weigh", str(no_cases))
    assert bad.returncode == 2 and "no Cases sheet or table" in bad.stderr

    clean = tmp_path / "clean.csv"
    book["Cases"].delete_rows(3)
    book.save(tmp_path / "clean.xlsx")
    ok = _run("weigh", str(tmp_path / "clean.xlsx"), "-o", str(clean))
    assert ok.returncode == 0, ok.stderr
    assert clean.read_text().splitlines()[0] == (
        "worker_id,team,role,fte,children,families,weighted,weighted_active,"
        "capacity_min,capacity_max,load_pct,status,breaches"
    )


def test_xlsx_output_holds_the_same_full_precision_numbers_as_csv(tmp_path):
    from golden_cases import load_golden
    from openpyxl import load_workbook

    case = next(c for c in load_golden() if c.name.startswith("worked example"))
    tracker = case.write_xlsx(tmp_path / "t.xlsx")
    assert _run("weigh", str(tracker), "-o", str(tmp_path / "r.csv")).returncode == 0
    assert _run("weigh", str(tracker), "-o", str(tmp_path / "r.xlsx")).returncode == 0
    rows = list(load_workbook(tmp_path / "r.xlsx").active.iter_rows(values_only=True))
    csv_rows = [line.split(",") for line in (tmp_path / "r.csv").read_text().splitlines()]
    assert list(rows[0]) == csv_rows[0]
    for got, expected in zip(rows[1], csv_rows[1], strict=True):
        if isinstance(got, float):
            assert got == float(expected)  # never rounded for display
    assert rows[1][6] == 11.875 and rows[1][11] == "under"


def test_column_letters_match_openpyxl():
    from openpyxl.utils import get_column_letter

    from udfs.intake import column_letter

    for column in (1, 2, 26, 27, 52, 53, 702, 703, 16384):
        assert column_letter(column) == get_column_letter(column)


@pytest.mark.parametrize("born", [datetime(2015, 1, 25), "25/01/2015", "2015-01-25"])
def test_a_date_in_a_childs_row_is_never_echoed(born):
    got = intake(
        [["worker_id", "team", "role", "fte"], ["A", "AI", "SW", 1]],
        [["case_id", "worker_id", "category", "age"], ["c1", "A", "CIN", born]],
    )
    (rejection,) = got.rejections
    assert rejection.field == "age" and rejection.reason == "age is not a number"
    assert "2015" not in str(rejection) and "(a date, not shown)" in str(rejection)


def test_true_is_not_the_number_one_whatever_the_row_order():
    for fte in ([True, 1], [1, True]):
        got = intake(
            [
                ["worker_id", "team", "role", "fte"],
                ["A", "AI", "SW", fte[0]],
                ["B", "AI", "SW", fte[1]],
            ],
            [["case_id", "worker_id", "category", "level"], ["c1", "A", "CIN", 1]],
        )
        rejected = {r.row for r in got.rejections if r.field == "fte"}
        assert rejected == {2 if fte[0] is True else 3}


def test_iso_dates_typed_as_text_are_year_month_day():
    got = intake(
        [
            ["worker_id", "team", "role", "fte", "asye_start"],
            ["A", "AI", "ASYE", 1, "2026-01-09"],
            ["B", "AI", "SW", 1, "2027-05-05"],
        ],
        [["case_id", "worker_id", "category"]],
    )
    assert list(got.workers["asye_months"])[0] == 9.0
    assert got.rejections == []  # asye_start is not used (so not checked) for other roles


def test_an_unwritable_output_is_an_error_not_a_rejection(tmp_path):
    book = Workbook()
    book.active.title = "Workers"
    book.active.append(["worker_id", "team", "role", "fte"])
    book.create_sheet("Cases").append(["case_id", "worker_id", "category"])
    book.save(tmp_path / "t.xlsx")
    done = _run("weigh", str(tmp_path / "t.xlsx"), "-o", str(tmp_path / "missing" / "out.csv"))
    assert (
        done.returncode == 2 and "does not exist" in done.stderr and "Traceback" not in done.stderr
    )


def test_a_reduction_shown_as_150_percent_is_rejected_not_read_as_one_and_a_half(tmp_path):
    job = weigh_formatted(
        tmp_path, [["A", "AI", "SW", 1, 1.5], ["B", "AI", "SW", 1, 15]], {"E2": "0%"}
    )
    assert [(r.cell, r.reason) for r in job.intake.rejections] == [
        ("E2", "reduction_pct is above 100")
    ]
    assert job.intake.workers.set_index("worker_id").loc["B", "reduction_pct"] == 15
