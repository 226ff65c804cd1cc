"""The templates through the headless engine: every formula the engine calculates gives the
value the builder cached from the pure functions, no cell ends in an error, and the demo writes
the engine's recalculated workbooks (the builder's values where the engine is missing).

Where the two disagree, the pure model (udfs) is the reference for CW_ results and LibreOffice
for Excel's own functions (tests/test_templates_libreoffice.py checks the native formulas there).
"""

from __future__ import annotations

import datetime as dt
import math
import sys
from pathlib import Path
from typing import Any

import pytest
from openpyxl import load_workbook
from openpyxl.utils import get_column_letter

from addin.demo.build import RecalculatingWriter, engine_workbook, supervision_months
from addin.demo.history import Month, service_history
from addin.demo.service import SyntheticService, synthetic_service
from addin.engine import Workbook, XlError
from addin.xlsx.references import parse_cell
from udfs.policy import load_policy
from workbook_templates.builder import save_workbook
from workbook_templates.catalogue import template_spec
from workbook_templates.gmt import gmt_spec
from workbook_templates.spec import WorkbookSpec
from workbook_templates.supervision import supervision_spec
from workbook_templates.tracker import tracker_spec

BUILT = Path(__file__).resolve().parents[1] / "workbook_templates" / "built"
EPOCH = dt.datetime(1899, 12, 30)


@pytest.fixture(scope="module")
def service() -> tuple[SyntheticService, list[Month]]:
    """The demo's synthetic service and its six months (the builder has no size option)."""
    policy = load_policy()
    data = synthetic_service(policy)
    return data, service_history(data, policy)


def _record(data: SyntheticService, history: list[Month], index: int) -> WorkbookSpec:
    worker = data.workers[index]
    return supervision_spec(
        load_policy(),
        {**worker, "asye_months": history[0].workers_rows[index + 1][4]},
        supervision_months(data, history, index),
        first_month=history[0].month,
    )


def _specs(data: SyntheticService, history: list[Month]) -> dict[str, WorkbookSpec]:
    """The filled templates as the demo builds them, and the blank ones."""
    policy = load_policy()
    latest, quarter = history[-1], history[-3:]
    holders = [i for i, w in enumerate(data.workers) if w["role"] not in ("TM", "PS", "SPS")]
    picks = {
        "over": next(i for i in holders if data.workers[i]["worker_id"] in data.over_months),
        "asye": next(i for i in holders if data.workers[i]["role"] == "ASYE"),
        "part-time": next(i for i in holders if data.workers[i]["fte"] < 1),
    }
    specs = {
        "tracker": tracker_spec(policy, latest.workers_rows, latest.cases_rows),
        "gmt": gmt_spec(policy, [m.month for m in quarter], [m.teams for m in quarter]),
    }
    specs.update({f"supervision-{kind}": _record(data, history, i) for kind, i in picks.items()})
    specs.update({f"blank-{name}": template_spec(name, policy) for name in ("tracker", "gmt")})
    specs["blank-supervision"] = template_spec("supervision", policy)
    return specs


SPEC_NAMES = [
    "tracker",
    "gmt",
    "supervision-over",
    "supervision-asye",
    "supervision-part-time",
    "blank-tracker",
    "blank-gmt",
    "blank-supervision",
]


def _expected(value: Any) -> Any:
    """A cached value as the engine holds it: numbers float, dates serials, blank ''."""
    if hasattr(value, "item") and not isinstance(value, str):
        value = value.item()
    if isinstance(value, dt.date):
        moment = value if isinstance(value, dt.datetime) else dt.datetime(*value.timetuple()[:3])
        return (moment - EPOCH) / dt.timedelta(days=1)
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return ""
    if isinstance(value, int) and not isinstance(value, bool):
        return float(value)
    return value


def _same(engine: Any, cached: Any) -> bool:
    expected = _expected(cached)
    actual = "" if engine is None else engine
    if isinstance(actual, XlError):
        return actual.code == expected
    if isinstance(actual, bool) or isinstance(expected, bool):
        return type(actual) is type(expected) and actual == expected
    if isinstance(actual, float) and isinstance(expected, float):
        return math.isclose(actual, expected, rel_tol=1e-9, abs_tol=1e-9)
    return type(actual) is type(expected) and actual == expected  # text exactly


@pytest.mark.parametrize("name", SPEC_NAMES)
def test_engine_equals_the_values_the_builder_cached(service, tmp_path: Path, name: str) -> None:
    spec = _specs(*service)[name]
    path = tmp_path / f"{name}.xlsx"
    written = save_workbook(spec, path)
    book = Workbook.load(path)
    book.calculate()
    gaps = {(c.sheet, c.ref) for c in written if "NA()" in c.formula}  # a chart's gaps
    assert [e for e in book.errors if not (e.code == "#N/A" and (e.sheet, e.cell) in gaps)] == []
    assert book.circular == []
    wrong, compared = [], 0
    for cell in written:
        value = book.get(f"'{cell.sheet}'!{cell.ref}")
        compared += 1
        if not _same(value, cell.cached):
            wrong.append((cell.sheet, cell.ref, cell.formula, value, cell.cached))
    for sheet in spec.sheets:  # every cell of a spilled CW_ table, not only its anchor
        for ref, cell in sheet.cells.items():
            row, col = parse_cell(ref)
            for i, values in enumerate(cell.spill or []):
                for j, cached in enumerate(values):
                    value = book.sheet(sheet.title).get(row + i, col + j)
                    compared += 1
                    if not _same(value, cached):
                        wrong.append((sheet.title, (row + i, col + j), "spill", value, cached))
    assert not wrong, wrong[:10]
    assert compared > 100


def unexpected_errors(book: Workbook) -> list[Any]:
    """The engine's error cells but a chart's gap for a month with no figures
    (``=IF(ISNUMBER(x),x,NA())``, #N/A on purpose)."""
    gaps = {
        (sheet, f"{get_column_letter(col)}{row}")
        for sheet, cells in book.formulas.items()
        for (row, col), formula in cells.items()
        if "NA()" in formula.text
    }
    return [e for e in book.errors if not (e.code == "#N/A" and (e.sheet, e.cell) in gaps)]


@pytest.mark.parametrize("path", sorted(BUILT.glob("*.xlsx")), ids=lambda p: p.stem)
def test_shipped_templates_recalculate_without_error_cells(path: Path) -> None:
    book = Workbook.load(path)
    book.calculate()
    assert unexpected_errors(book) == []
    assert sum(len(cells) for cells in book.formula_cells().values()) > 100


def test_blank_gmt_month_headings_stay_blank() -> None:
    """The quarter cell is empty: the month cells and the trend headings show nothing (not 0
    and not "Jan 1900", which TEXT of a blank gives in Excel)."""
    book = Workbook.load(BUILT / "gmt-quarterly-review.xlsx")
    assert book.get("Review!B5") == ""
    assert book.get("Review!B45") == ""
    assert book.get("Review!B58") == ""
    book.set("Review!C3", dt.datetime(2025, 1, 1))
    book.calculate()
    assert book.get("Review!B45") == "Jan 2025"
    assert book.get("Review!D58") == "Mar 2025"
    assert unexpected_errors(book) == []


def test_writer_recalculates_with_the_engine(service, tmp_path: Path) -> None:
    data, history = service
    spec = _record(data, history, 5)
    scratch, out = tmp_path / "scratch", tmp_path / "out"
    scratch.mkdir()
    out.mkdir()
    target = out / "record.xlsx"
    assert RecalculatingWriter(scratch, Workbook).save(spec, target) == []
    assert list(scratch.iterdir()) == []  # the builder's copy is not left behind
    assert Workbook.load(target).formula_cells()  # formulas kept
    pure = tmp_path / "pure.xlsx"
    save_workbook(spec, pure)
    cached = load_workbook(target, data_only=True)["Record"]
    expected = load_workbook(pure, data_only=True)["Record"]
    for row in range(14, 26):
        for col in range(8, 20):
            assert cached.cell(row, col).value == pytest.approx(expected.cell(row, col).value)


def test_writer_reports_error_cells(tmp_path: Path) -> None:
    spec = template_spec("supervision", load_policy(), "cw")
    spec.sheets[0].put("C7", 1.5)  # FTE above 1: CW_CAPACITY rejects the worker
    spec.sheets[0].put("C5", "SGCP")
    spec.sheets[0].put("C6", "SW")
    errors = RecalculatingWriter(tmp_path, Workbook).save(spec, tmp_path / "bad.xlsx")
    assert errors and all(e.startswith("bad.xlsx: Record!") for e in errors)
    assert any("FTE 1.5 is outside (0, 1]" in e for e in errors)


def test_writer_without_engine_keeps_the_pure_values(service, tmp_path: Path) -> None:
    data, history = service
    spec = _record(data, history, 5)
    target = tmp_path / "record.xlsx"
    assert RecalculatingWriter(tmp_path / "unused", None).save(spec, target) == []
    pure = tmp_path / "pure.xlsx"
    save_workbook(spec, pure)
    assert [list(r) for r in load_workbook(target, data_only=True)["Record"].values] == [
        list(r) for r in load_workbook(pure, data_only=True)["Record"].values
    ]


def test_engine_missing_falls_back_to_pure_functions(monkeypatch: pytest.MonkeyPatch) -> None:
    assert engine_workbook() is Workbook
    monkeypatch.setitem(sys.modules, "addin.engine", None)  # import raises ImportError
    assert engine_workbook() is None


def _cw_tracker(service, path: Path) -> list[Any]:
    data, history = service
    latest = history[-1]
    return save_workbook(
        tracker_spec(load_policy(), latest.workers_rows, latest.cases_rows, functions="cw"), path
    )


def test_cw_tracker_reads_whole_tables_and_recalculates_to_numbers(service, tmp_path: Path):
    """The CW_ form names the Excel tables (Workers[#All], Cases[#All]), not fixed ranges, and
    the engine (``caseload recalc``) resolves them to the same figures the builder cached."""
    from click.testing import CliRunner

    from addin.cli import main

    path = tmp_path / "cw.xlsx"
    written = _cw_tracker(service, path)
    anchor = next(c for c in written if c.ref == "A4" and c.sheet == "Summary")
    assert anchor.formula.startswith("=CW_WORKERS(Workers[#All],Cases[#All],Policy!")
    cw_calls = [c.formula for c in written if "CW_" in c.formula]
    assert not [f for f in cw_calls if "Workers!$" in f or "Cases!$" in f]
    out = tmp_path / "cw-recalc.xlsx"
    result = CliRunner().invoke(main, ["recalc", str(path), "-o", str(out)])
    assert result.exit_code == 0, result.output
    sheet = load_workbook(out, data_only=True)["Summary"]
    counts = {sheet[f"O{r}"].value: sheet[f"P{r}"].value for r in range(5, 11)}
    cached = {c.ref: c.cached for c in written if c.sheet == "Summary"}
    assert counts["over"] == cached["P5"] and counts["over"] > 0
    assert all(isinstance(v, int | float) for v in counts.values()), counts
    statuses = ("over", "within", "under", "no caseload expected", "incomplete")
    assert sum(counts[s] for s in statuses) == len(service[1][-1].workers_rows) - 1


def _without_functions(service, folder: Path) -> Path:
    """A CW_ tracker whose Summary calls a function no one provides, as Excel sees the tracker
    where the CW_ functions are not loaded (#NAME?)."""
    import zipfile

    path = folder / "cw.xlsx"
    _cw_tracker(service, path)
    missing = folder / "missing.xlsx"
    with zipfile.ZipFile(path) as source, zipfile.ZipFile(missing, "w") as target:
        for info in source.infolist():
            data = source.read(info)
            if info.filename == "xl/worksheets/sheet1.xml":  # Summary
                data = data.replace(b"CW_WORKERS(", b"CW_NOT_INSTALLED(")
            target.writestr(info, data)
    return missing


def test_cw_tracker_counts_are_never_zero_without_the_functions(service, tmp_path: Path):
    """Where the CW_ functions are missing the status counts are not numbers (the engine has
    no error-aware ERROR.TYPE, so it shows the error; Excel and LibreOffice show the text:
    test_cw_tracker_counts_say_functions_not_loaded_in_libreoffice)."""
    book = Workbook.load(_without_functions(service, tmp_path))
    book.calculate()
    assert isinstance(book.get("Summary!A4"), XlError) and book.get("Summary!A4").code == "#NAME?"
    for row in range(5, 11):
        value = book.get(f"Summary!P{row}")
        assert value == "functions not loaded" or isinstance(value, XlError), (row, value)


@pytest.mark.libreoffice
def test_cw_tracker_counts_say_functions_not_loaded_in_libreoffice(service, tmp_path: Path):
    from libreoffice_checks import needs_lo

    if needs_lo.args[0]:
        pytest.skip(needs_lo.kwargs["reason"])
    from addin.libreoffice import convert

    out = convert(_without_functions(service, tmp_path), "xlsx", tmp_path / "lo", recalculate=True)
    sheet = load_workbook(out, data_only=True)["Summary"]
    assert [sheet[f"P{row}"].value for row in range(5, 11)] == ["functions not loaded"] * 6
