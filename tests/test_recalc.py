"""The headless recalculation engine: values, spills, errors, the copy it writes, the CLI."""

from __future__ import annotations

import shutil
import sys
import zipfile
from pathlib import Path

import openpyxl
import pytest
from click.testing import CliRunner
from openpyxl.styles import Font, PatternFill
from openpyxl.worksheet.datavalidation import DataValidation
from openpyxl.worksheet.table import Table
from python_calamine import CalamineWorkbook

from addin.cli import main
from addin.engine import Workbook, WorkbookUnusable, XlError
from udfs.excel import CW_CAPACITY, CW_CASE_WEIGHT, CW_POLICY, CW_WORKERS

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "benchmarks"))

WORKERS = [
    ["worker_id", "team", "role", "fte"],
    ["W1", "SGCP", "SW", 1],
    ["W2", "CWD", "SW", 0.5],
    ["W3", "AI", "SSW", 1.5],
]
CASES = [
    ["case_id", "worker_id", "family_id", "category", "level", "status"],
    ["C1", "W1", "F1", "CP", None, "active"],
    ["C2", "W1", "F1", "CP", None, "active"],
    ["C3", "W2", "F2", "PROC", 2, "active"],
    ["C4", "W2", None, "CIN", None, "awaiting closure"],
]


def tracker(path: Path) -> Path:
    """A small tracker using CW_ functions, styles, validation and a table."""
    book = openpyxl.Workbook()
    ws = book.active
    ws.title = "Workers"
    for row in WORKERS:
        ws.append(row)
    ws["A1"].font = Font(bold=True)
    ws["B2"].fill = PatternFill("solid", fgColor="FFF2CC")
    ws["F2"] = "=CW_CAPACITY(Workers!$B$2:$B$4,Workers!$C$2:$C$4,Workers!$D$2:$D$4)"
    validation = DataValidation(type="list", formula1='"SW,SSW,ASYE"')
    validation.add("C2:C4")
    ws.add_data_validation(validation)
    ws.column_dimensions["A"].width = 21
    ws.freeze_panes = "A2"
    wc = book.create_sheet("Cases")
    for row in CASES:
        wc.append(row)
    wc.add_table(Table(displayName="Cases", ref="A1:F5"))
    wc["H2"] = (
        "=CW_CASE_WEIGHT(Cases[category],Cases[level],Cases[status],,,"
        "Cases[worker_id],Cases[family_id])"
    )
    summary = book.create_sheet("Summary")
    summary["A1"] = "=CW_WORKERS(Workers!A1:D4,Cases!A1:F5)"
    summary["A10"] = "=SUM(Cases!H2:H5)"
    summary["B10"] = '=COUNTIFS(Cases[worker_id],"W1")'
    summary["C10"] = "=ROWS(A1#)"
    book.save(path)
    return path


def column(rows: list[list[object]], index: int) -> list[list[object]]:
    return [[row[index]] for row in rows[1:]]


@pytest.fixture()
def book_path(tmp_path: Path) -> Path:
    return tracker(tmp_path / "tracker.xlsx")


def test_cw_functions_equal_the_pure_functions(book_path: Path) -> None:
    book = Workbook.load(book_path)
    book.calculate()
    weights = CW_CASE_WEIGHT(
        column(CASES, 3),
        column(CASES, 4),
        column(CASES, 5),
        None,
        None,
        column(CASES, 1),
        column(CASES, 2),
    )
    assert book.get_range("Cases!H2:H5") == weights
    capacity = CW_CAPACITY(column(WORKERS, 1), column(WORKERS, 2), column(WORKERS, 3))
    values = book.get_range("Workers!F2:F4")
    assert values[:2] == capacity[:2]
    assert isinstance(values[2][0], XlError) and values[2][0].reason == capacity[2][0].reason
    table = CW_WORKERS(WORKERS, CASES)
    assert book.get_range(f"Summary!A1:M{len(table)}") == table
    assert book.get("Summary!C10") == len(table)
    assert book.get("Summary!A10") == pytest.approx(sum(w[0] for w in weights))
    assert book.get("Summary!B10") == 2


def test_errors_name_the_cell_and_our_reason(book_path: Path) -> None:
    book = Workbook.load(book_path)
    errors = [str(e) for e in book.errors]
    assert len(errors) == 1
    assert errors[0].startswith("Workers!F4: #VALUE!") and "FTE 1.5" in errors[0]


def test_set_then_calculate(book_path: Path) -> None:
    book = Workbook.load(book_path)
    book.set("Workers!D4", 1)
    book.calculate()
    assert book.errors == []
    book.set("Summary!A10", "=1/0")
    assert [(e.cell, e.code) for e in book.errors] == [("A10", "#DIV/0!")]


def test_spill_blocked_reports_spill(tmp_path: Path) -> None:
    book = openpyxl.Workbook()
    ws = book.active
    ws["A1"] = "=CW_POLICY()"
    ws["B3"] = "in the way"
    ws["D1"] = "=SEQUENCE(3,2)"
    ws["H1"] = "=SUM(D1#)"
    book.save(tmp_path / "b.xlsx")
    engine = Workbook.load(tmp_path / "b.xlsx")
    assert engine.get("Sheet!A1") == XlError("#SPILL!")
    assert engine.get("Sheet!H1") == 21.0
    assert engine.get("Sheet!E3") == 6.0
    assert [e.cell for e in engine.errors] == ["A1"]


def test_policy_spills_as_the_pure_function(tmp_path: Path) -> None:
    book = openpyxl.Workbook()
    book.active["B2"] = '=CW_POLICY("walsall")'
    book.save(tmp_path / "p.xlsx")
    engine = Workbook.load(tmp_path / "p.xlsx")
    expected = CW_POLICY("walsall")
    assert engine.get_range(f"Sheet!B2:E{len(expected) + 1}") == expected


def test_copy_keeps_formulas_styles_validation_tables_and_caches_values(
    book_path: Path, tmp_path: Path
) -> None:
    before = book_path.read_bytes()
    book = Workbook.load(book_path)
    out = book.save_copy(tmp_path / "out.xlsx")
    assert book_path.read_bytes() == before
    formulas = openpyxl.load_workbook(out)
    ws = formulas["Workers"]
    assert str(
        ws["F2"].value.text if hasattr(ws["F2"].value, "text") else ws["F2"].value
    ).startswith("=CW_CAPACITY")
    assert ws["A1"].font.bold and ws["B2"].fill.fgColor.rgb.endswith("FFF2CC")
    assert len(ws.data_validations.dataValidation) == 1
    assert ws.column_dimensions["A"].width == 21 and ws.freeze_panes == "A2"
    assert "Cases" in formulas["Cases"].tables
    assert formulas["Summary"]["A10"].value == "=SUM(Cases!H2:H5)"
    cached = openpyxl.load_workbook(out, data_only=True)
    calamine = CalamineWorkbook.from_path(str(out))
    for sheet in ("Workers", "Cases", "Summary"):
        rows = calamine.get_sheet_by_name(sheet).to_python()
        for (row, col), value in book.formula_cells()[sheet].items():
            got = cached[sheet].cell(row, col).value
            if isinstance(value, XlError):
                assert got == value.code
            else:
                assert got == pytest.approx(value) if isinstance(value, float) else got == value
                assert rows[row - 1][col - 1] == (value if value is not None else "")
    spilled = book.get_range("Summary!A2:C2")[0]
    assert [cached["Summary"].cell(2, c).value for c in (1, 2, 3)] == spilled


def test_dynamic_array_anchor_written_as_excel_does(book_path: Path, tmp_path: Path) -> None:
    out = Workbook.load(book_path).save_copy(tmp_path / "out.xlsx")
    with zipfile.ZipFile(out) as archive:
        sheet = archive.read("xl/worksheets/sheet3.xml").decode()
        assert '<c r="A1" t="str" cm="1"><f t="array" ref="A1:M3">' in sheet
        assert "xl/metadata.xml" in archive.namelist()
        assert "fullCalcOnLoad" not in archive.read("xl/workbook.xml").decode()


def test_cli_default_output_exit_status_and_listing(book_path: Path) -> None:
    result = CliRunner().invoke(main, ["recalc", str(book_path)])
    assert result.exit_code == 1
    assert "Workers!F4: #VALUE!" in result.output and "FTE 1.5" in result.output
    assert (book_path.parent / "tracker-recalculated.xlsx").exists()


def test_cli_clean_book_exits_0_and_in_place_keeps_a_backup(tmp_path: Path) -> None:
    book = openpyxl.Workbook()
    book.active["A1"] = 2
    book.active["A2"] = "=A1*3"
    path = tmp_path / "clean.xlsx"
    book.save(path)
    result = CliRunner().invoke(main, ["recalc", str(path), "--in-place"])
    assert result.exit_code == 0, result.output
    assert (tmp_path / "clean.bak.xlsx").exists()
    assert openpyxl.load_workbook(path, data_only=True).active["A2"].value == 6


def test_cli_unusable_files_exit_2(tmp_path: Path) -> None:
    (tmp_path / "text.xlsx").write_text("not a workbook")
    for name in ("missing.xlsx", "text.xlsx"):
        result = CliRunner().invoke(main, ["recalc", str(tmp_path / name)])
        assert result.exit_code == 2
    with pytest.raises(WorkbookUnusable):
        Workbook.load(tmp_path / "text.xlsx")


def test_cli_policy_option_applies_to_blank_policy(tmp_path: Path) -> None:
    book = openpyxl.Workbook()
    book.active["A1"] = "=CW_POLICY()"
    path = tmp_path / "p.xlsx"
    book.save(path)
    out = tmp_path / "o.xlsx"
    result = CliRunner().invoke(main, ["recalc", str(path), "-o", str(out), "--policy", "walsall"])
    assert result.exit_code == 0, result.output
    rows = CalamineWorkbook.from_path(str(out)).get_sheet_by_name("Sheet").to_python()
    assert [list(r[:4]) for r in rows] == [
        [cell if cell is not None else "" for cell in row] for row in CW_POLICY("walsall")
    ]
    bad = CliRunner().invoke(main, ["recalc", str(path), "--policy", "no-such-preset"])
    assert bad.exit_code == 2


def test_charts_and_other_parts_survive(tmp_path: Path) -> None:
    from openpyxl.chart import BarChart, Reference

    book = openpyxl.Workbook()
    ws = book.active
    for i in range(1, 5):
        ws.append([i, f"=A{i}*2"])
    chart = BarChart()
    chart.add_data(Reference(ws, min_col=2, min_row=1, max_row=4))
    ws.add_chart(chart, "D2")
    path = tmp_path / "chart.xlsx"
    book.save(path)
    out = Workbook.load(path).save_copy(tmp_path / "out.xlsx")
    with zipfile.ZipFile(path) as a, zipfile.ZipFile(out) as b:
        assert a.namelist() == b.namelist()
        for name in a.namelist():
            if "worksheets/sheet" not in name and name != "xl/workbook.xml":
                assert a.read(name) == b.read(name), name


def test_shared_formulas_and_running_totals(tmp_path: Path) -> None:
    book = openpyxl.Workbook()
    ws = book.active
    for i in range(1, 6):
        ws[f"A{i}"] = i
        ws[f"B{i}"] = "=A1" if i == 1 else f"=B{i - 1}+A{i}"
        ws[f"C{i}"] = f"=SUM($A$1:A{i})"
    path = tmp_path / "run.xlsx"
    book.save(path)
    engine = Workbook.load(path)
    assert [engine.get(f"Sheet!B{i}") for i in range(1, 6)] == [1, 3, 6, 10, 15]
    assert [engine.get(f"Sheet!C{i}") for i in range(1, 6)] == [1, 3, 6, 10, 15]


def test_save_copy_refuses_the_input(book_path: Path) -> None:
    with pytest.raises(ValueError):
        Workbook.load(book_path).save_copy(book_path)


def test_benchmark_tracker_small_has_no_errors(tmp_path: Path) -> None:
    from bench_recalc import build_tracker

    path = build_tracker(tmp_path / "t.xlsx", 200, native=False)
    engine = Workbook.load(path)
    assert engine.errors == []
    assert engine.get("Teams!C2") + engine.get("Teams!C3") > 0


def test_copy_of_copy_is_stable(book_path: Path, tmp_path: Path) -> None:
    first = Workbook.load(book_path)
    out = first.save_copy(tmp_path / "one.xlsx")
    second = Workbook.load(out)
    assert second.formula_cells() == first.formula_cells()
    shutil.copy(out, tmp_path / "two.xlsx")


def test_the_engine_calls_the_plain_functions_without_importing_xlwings() -> None:
    """The headless engine and the CW_ functions it calls import no Excel library."""
    import subprocess
    import sys

    code = (
        "import sys\n"
        "from addin.engine import custom\n"
        "assert 'CW_CAPACITY' in custom.custom_functions()\n"
        "assert 'xlwings' not in sys.modules, 'xlwings imported'\n"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr
