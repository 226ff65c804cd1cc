"""Template workbooks: specs, builder, demo data and the command line (no LibreOffice needed)."""

from __future__ import annotations

import csv
import re
import zipfile
from datetime import date
from pathlib import Path

import pytest
import python_calamine as calamine
from click.testing import CliRunner
from openpyxl import load_workbook

from addin.cli import main
from addin.demo.build import build_demo
from addin.demo.service import synthetic_service
from addin.jobs import weigh_tracker
from udfs.model import RESULT_COLUMNS, RESULT_LABELS
from udfs.native import CODES, NATIVE_SHEETS
from udfs.policy import PRESETS, load_policy
from udfs.policy_labels import described_table
from workbook_templates.builder import save_workbook
from workbook_templates.catalogue import FILES, build_template
from workbook_templates.supervision import FIRST_ROW, LETTERS, REASON_MISSING, supervision_spec


@pytest.fixture(scope="module")
def demo(tmp_path_factory: pytest.TempPathFactory):
    """The demo written once for the module."""
    return build_demo(tmp_path_factory.mktemp("demo"), load_policy())


def test_synthetic_service_is_realistic_and_deterministic() -> None:
    policy = load_policy()
    one, two = synthetic_service(policy), synthetic_service(policy)
    assert one.workers == two.workers and one.cases == two.cases
    assert 110 <= len(one.workers) <= 130
    assert {w["team"] for w in one.workers} == set(policy.teams)
    assert any(w["fte"] < 1 for w in one.workers)
    assert len({w["asye_months"] for w in one.workers if w["role"] == "ASYE"}) > 3
    assert any(w["agency"] == "yes" for w in one.workers)
    assert any(c["worker_id"] is None for c in one.cases)
    families = [c["family_id"] for c in one.cases]
    assert len(set(families)) < len(families)  # sibling groups
    assert all(w["worker_id"][0] == "W" and len(w["worker_id"]) == 4 for w in one.workers)


def test_demo_has_over_awaiting_closure_and_escalation(demo) -> None:
    latest = demo.history[-1]
    statuses = set(latest.weighing.workers["status"])
    assert {"over", "within", "under"} <= statuses
    assert any(row[6] == "awaiting_closure" for row in latest.cases_rows[1:])
    assert (latest.months_over > 3).any()
    assert "escalate" in set(latest.actions)


def test_native_demo_caches_the_model_and_calls_no_cw_function(demo) -> None:
    assert demo.functions == "native" and demo.recalculated_by == "engine"
    assert demo.errors == []
    record = next(p for p in demo.files if p.parent.name == "supervision")
    sheet = load_workbook(record, data_only=True)["Record"]
    capacity = LETTERS["policy_capacity"]
    assert all(
        isinstance(sheet[f"{capacity}{FIRST_ROW + i}"].value, float | int) for i in range(12)
    )
    for path in [demo.folder / "team-caseload-tracker.xlsx", record]:
        with zipfile.ZipFile(path) as package:
            parts = [
                n for n in package.namelist() if re.fullmatch(r"xl/worksheets/sheet\d+\.xml", n)
            ]
            formulas = [
                formula
                for name in parts
                for formula in re.findall(r"<f\b[^>]*>([^<]*)</f>", package.read(name).decode())
            ]
        assert len(formulas) > 100 and not any("CW_" in f for f in formulas), path.name


@pytest.mark.parametrize("sheet_name, header_row", [("Caseload", 1), ("Summary", 4)])
def test_tracker_caseload_and_summary_equal_caseload_weigh(demo, sheet_name, header_row) -> None:
    tracker = demo.folder / "team-caseload-tracker.xlsx"
    weighed = weigh_tracker(tracker, load_policy()).weighing.result
    sheet = load_workbook(tracker, data_only=True)[sheet_name]
    rows = [list(r) for r in sheet.iter_rows(min_row=header_row, max_col=13, values_only=True)]
    if sheet_name == "Caseload":
        assert rows[0] == RESULT_COLUMNS
    else:
        assert rows[0] == [RESULT_LABELS[name] for name in RESULT_COLUMNS]
    body = [r for r in rows[1:] if r[0] not in (None, "")]
    assert len(body) == len(weighed)
    for cached, (_, expected) in zip(body, weighed.iterrows(), strict=True):
        for name, value in zip(RESULT_COLUMNS, cached, strict=True):
            want = expected[name]
            if isinstance(want, float):
                assert value == pytest.approx(want, nan_ok=True) or (value is None and want != want)
            else:
                assert (value or "") == (want or ""), name


def test_cw_template_keeps_the_add_in_form(tmp_path: Path) -> None:
    path = build_template("tracker", load_policy(), tmp_path / "t.xlsx", functions="cw")
    book = load_workbook(path)
    assert book.sheetnames == ["Summary", "Workers", "Cases", "Policy", "Instructions"]
    formula = book["Summary"]["A4"].value.text
    # the whole tables: rows typed below them join them (no fixed $A$1:$G$200)
    assert formula.startswith("=CW_WORKERS(Workers[#All],Cases[#All],Policy!$A$1:$B$")
    assert book["Workers"].tables["Workers"].ref.startswith("A1:G")
    assert book["Cases"].tables["Cases"].ref.startswith("A1:J")
    with zipfile.ZipFile(path) as package:
        assert "xl/metadata.xml" in package.namelist()
        sheet = package.read("xl/worksheets/sheet1.xml").decode()
        workbook = package.read("xl/workbook.xml").decode()
    assert 'cm="1"' in sheet and 't="array"' in sheet
    # every formula has its cached value: Excel must keep them, not recalculate on open
    assert 'calcId="191029"' in workbook and "fullCalcOnLoad" not in workbook


def test_result_csv_matches_weigh_command(demo) -> None:
    tracker = demo.folder / "team-caseload-tracker.xlsx"
    out = CliRunner().invoke(main, ["weigh", str(tracker)])
    assert out.exit_code == 0, out.output
    written = (demo.folder / "workers-result.csv").read_text(encoding="utf-8")
    assert list(csv.reader(written.splitlines())) == list(csv.reader(out.output.splitlines()))


def test_tracker_layout_validation_protection(tmp_path: Path) -> None:
    path = build_template("tracker", load_policy(), tmp_path / "t.xlsx")
    book = load_workbook(path)
    assert book.sheetnames[:5] == ["Summary", "Workers", "Cases", "Policy", "Instructions"]
    assert set(book.sheetnames[5:]) == set(NATIVE_SHEETS) - {CODES}
    workers, cases = book["Workers"], book["Cases"]
    assert [c.value for c in workers[1]] == [
        "worker_id",
        "team",
        "role",
        "fte",
        "asye_months",
        "agency",
        "reduction_pct",
    ]
    assert [c.value for c in cases[1]][:5] == [
        "case_id",
        "worker_id",
        "team",
        "family_id",
        "category",
    ]
    assert "Workers" in workers.tables and "Cases" in cases.tables
    lists = {
        str(dv.sqref).split(":")[0]: dv.formula1 for dv in cases.data_validations.dataValidation
    }
    assert "CP" in lists["E2"] and "awaiting_closure" in lists["G2"] and "4" in lists["F2"]
    lists = {
        str(dv.sqref).split(":")[0]: dv.formula1 for dv in workers.data_validations.dataValidation
    }
    assert "SGCP" in lists["B2"] and "ASYE" in lists["C2"]
    summary = book["Summary"]
    assert summary.protection.sheet and summary["A4"].protection.locked
    assert summary.freeze_panes == "B5"
    assert summary.conditional_formatting
    assert summary["A4"].value == RESULT_LABELS["worker_id"]
    assert summary["A5"].value == "=Caseload!A2" and summary["L5"].value == "=Caseload!L2"
    assert [c.value for c in book["Caseload"][1]] == RESULT_COLUMNS
    policy = book["Policy"]
    assert policy["A2"].value == "preset" and policy["B2"].value == "gateshead"


@pytest.mark.parametrize("preset", PRESETS)
def test_templates_build_for_every_preset(tmp_path: Path, preset: str) -> None:
    for name in ("tracker", "supervision", "gmt"):
        path = build_template(name, load_policy(preset), tmp_path / f"{name}.xlsx")
        policy_rows = calamine.CalamineWorkbook.from_path(str(path)).get_sheet_by_name("Policy")
        values = {row[0]: row[1] for row in policy_rows.to_python()[1:]}
        assert values["preset"] == preset


def _scenario_months() -> list[dict]:
    """Five months over maximum: the second has no reason recorded."""
    months = []
    for index in range(5):
        months.append(
            {
                "children": 20,
                "families": 15,
                "weighted": 19.5 + index,
                "capacity_min": 16.0,
                "capacity_max": 18.0,
                "reason": None if index == 1 else "urgent allocation",
            }
        )
    return months


def test_supervision_flags_missing_reason_and_escalation(tmp_path: Path) -> None:
    worker = {"worker_id": "W900", "team": "SGCP", "role": "SW", "fte": 1.0}
    spec = supervision_spec(load_policy(), worker, _scenario_months(), date(2025, 1, 1))
    save_workbook(spec, tmp_path / "s.xlsx")
    sheet = load_workbook(tmp_path / "s.xlsx", data_only=True)["Record"]
    flags = [sheet[f"{LETTERS['reason_flag']}{FIRST_ROW + i}"].value or "" for i in range(5)]
    counts = [sheet[f"{LETTERS['months_over']}{FIRST_ROW + i}"].value for i in range(5)]
    actions = [sheet[f"{LETTERS['action']}{FIRST_ROW + i}"].value for i in range(5)]
    assert flags == ["", REASON_MISSING, "", "", ""]
    assert counts == [1, 2, 3, 4, 5]
    assert actions == ["record reason"] * 3 + ["escalate"] * 2
    assert sheet["H9"].value == 1 and sheet["H10"].value == 2


def test_cli_template_and_demo(tmp_path: Path) -> None:
    runner = CliRunner()
    out = runner.invoke(
        main, ["template", "supervision", "--policy", "walsall", "-o", str(tmp_path / "s.xlsx")]
    )
    assert out.exit_code == 0, out.output
    assert (tmp_path / "s.xlsx").exists()
    bad = runner.invoke(main, ["template", "tracker", "-o", str(tmp_path / "s.csv")])
    assert bad.exit_code == 2


@pytest.mark.slow
def test_cli_demo_writes_folder(tmp_path: Path) -> None:
    out = CliRunner().invoke(main, ["demo", "-o", str(tmp_path / "d")])
    assert out.exit_code == 0, out.output
    assert "team-caseload-tracker.xlsx" in out.output
    assert "106 workbooks in native formulas" in out.output
    assert "with the headless engine: no error cells" in out.output
    assert len(list((tmp_path / "d" / "supervision").glob("*.xlsx"))) > 90


def test_built_copies_shipped_are_current(tmp_path: Path) -> None:
    """The shipped blank templates show the policy as it is now: rebuild them with
    `caseload template all` after changing a preset or its labels."""
    out = CliRunner().invoke(main, ["template", "all", "-o", str(tmp_path)])
    assert out.exit_code == 0, out.output
    expected = [["key", "value", "meaning", "source"]] + [
        [cell if cell is not None else "" for cell in row]
        for row in described_table(load_policy("gateshead"))
    ]
    built = Path(__file__).parents[1] / "workbook_templates" / "built"
    for file in FILES.values():
        assert (tmp_path / file).exists()
        book = calamine.CalamineWorkbook.from_path(str(built / file))
        rows = book.get_sheet_by_name("Policy").to_python()[: len(expected)]
        assert [list(row[:4]) for row in rows] == expected, file


def test_gmt_service_row_matches_cw_teams(demo) -> None:
    book = load_workbook(demo.folder / "gmt-quarterly-review.xlsx", data_only=True)
    sheet = book["Review"]
    rows = {}
    for r in range(5, 40):  # the first month's block
        rows.setdefault(sheet.cell(r, 1).value, r)
    teams = demo.history[-3].teams.set_index("team")
    service = teams.loc["SERVICE"]
    r = rows["SERVICE"]
    assert sheet.cell(r, 4).value == service["children"]
    assert sheet.cell(r, 5).value == pytest.approx(service["children_per_fte"])
    assert sheet.cell(r, 6).value == pytest.approx(service["weighted_per_fte"])
    flagged = {sheet.cell(rr, 1).value for rr in range(7, r) if sheet.cell(rr, 20).value}
    assert flagged == set(teams.index[teams["above_service_average"]])


def test_help_lists_every_command_without_importing_them() -> None:
    """`caseload --help` imports no command module (no pandas: it starts in about 0.1 s), and
    each lazy command's listed summary is the command's own help."""
    import subprocess
    import sys

    import click

    from addin.cli import LAZY_COMMANDS

    code = (
        "import sys\nfrom click.testing import CliRunner\nfrom addin.cli import main\n"
        "out = CliRunner().invoke(main, ['--help'])\nassert out.exit_code == 0, out.output\n"
        "assert 'attach' in out.output and 'recalc' in out.output\n"
        "assert 'pandas' not in sys.modules and 'workbook_templates' not in sys.modules\n"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr
    context = click.Context(main)
    for name, (_, summary) in LAZY_COMMANDS.items():
        real = main.get_command(context, name).get_short_help_str(limit=500)
        assert click.Command(name, help=summary).get_short_help_str(limit=500) == real, name


def test_typed_table_data_is_text_never_a_formula(tmp_path: Path) -> None:
    """A value in a template's input table that starts with ``=`` (a team code from a council's
    policy file, a pasted id) is written as text, not as a live formula."""
    from workbook_templates.spec import Column, Sheet, Table, WorkbookSpec

    sheet = Sheet("Data")
    sheet.tables.append(Table("Data", [Column("team")], [['=HYPERLINK("x")'], ["AI"]], 5))
    save_workbook(WorkbookSpec("t", [sheet]), tmp_path / "t.xlsx")
    with zipfile.ZipFile(tmp_path / "t.xlsx") as package:
        xml = package.read("xl/worksheets/sheet1.xml").decode()
    assert "HYPERLINK" in xml and "<f>" not in xml
