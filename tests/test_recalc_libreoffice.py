"""Excel's own functions in the engine against LibreOffice's answers (and, where LibreOffice
7.4 lacks the function, against values worked out by hand)."""

from __future__ import annotations

import sys
from datetime import datetime, timedelta
from pathlib import Path

import openpyxl
import pytest
from libreoffice_checks import needs_lo
from openpyxl.worksheet.table import Table

from addin.engine import Workbook, XlError
from addin.libreoffice import recalculate

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "benchmarks"))


FORMULAS = {
    "H2": '=SUMIFS(Cases[hours],Cases[worker],"W1",Cases[cat],"CP")',
    "H3": '=COUNTIFS(Cases[worker],"W2")',
    "H4": '=COUNTIFS(Cases[hours],">2")',
    "H5": '=SUMIF(Cases[cat],"C*",Cases[hours])',
    "H6": '=COUNTIF(Cases[worker],"<>W1")',
    "H7": '=VLOOKUP("C3",Cases[[case]:[hours]],4,FALSE)',
    "H8": '=INDEX(Cases[cat],MATCH("C4",Cases[case],0))',
    "H9": '=IFERROR(MATCH("zz",Cases[case],0),"none")',
    "H10": "=ROUND(AVERAGE(Cases[hours]),2)",
    "H11": '=_xlfn.TEXTJOIN(",",TRUE,"a","","b")',
    "H12": '=UPPER(LEFT("hello",2))&LEN("abc")',
    "H13": '=AVERAGEIFS(Cases[hours],Cases[cat],"CP")',
    "H14": '=_xlfn.MAXIFS(Cases[hours],Cases[worker],"W1")',
    "H15": '=SUMPRODUCT((Cases[worker]="W1")*Cases[hours])',
    "H16": '=IF(COUNTA(Cases[case])>3,"many","few")',
    "H17": "=MOD(-7,3)",
    "H18": "=2^-1+-2^2",
    "H19": '="5"+1',
    "H20": "=1/0",
    "H21": "=ROUNDUP(2.341,1)+ROUNDDOWN(-2.349,2)",
    "H22": '=COUNTIFS(Cases[worker],"w1",Cases[hours],"<=3")',
    "H23": "=DATE(2024,14,1)",
    "H24": "=YEAR(45000)+MONTH(45000)+DAY(45000)",
    "H25": "=NOT(AND(TRUE,1>2))",
    "H26": '=SUBSTITUTE("a-b-c","-","+",2)',
    "H27": "=MEDIAN(Cases[hours])",
    "H28": "=COUNTBLANK(Cases[cat])",
}


def assorted(path: Path) -> Path:
    book = openpyxl.Workbook()
    ws = book.active
    ws.title = "Data"
    ws.append(["case", "worker", "cat", "hours"])
    for row in [
        ["C1", "W1", "CP", 2],
        ["C2", "W1", "CIN", 3.5],
        ["C3", "W2", "CP", 1],
        ["C4", "W2", "LAC", 4],
        ["C5", "W1", "CP", 2.25],
        ["C6", "W3", None, 1],
    ]:
        ws.append(row)
    ws.add_table(Table(displayName="Cases", ref="A1:D7"))
    for address, formula in FORMULAS.items():
        ws[address] = formula
    for r in range(2, 8):  # a column of per-row formulas evaluated as one run
        ws[f"E{r}"] = f"=SUMIFS($D$2:$D$7,$B$2:$B$7,B{r})/COUNTIFS($B$2:$B$7,B{r})"
        ws[f"F{r}"] = f'=IF(D{r}>2,"high",IF(D{r}>1,"mid","low"))&"-"&C{r}'
    book.save(path)
    return path


def _same(ours: object, theirs: object) -> bool:
    if isinstance(theirs, datetime):
        theirs = (theirs - datetime(1899, 12, 30)) / timedelta(days=1)
    if isinstance(ours, XlError):
        return ours.code == theirs
    if isinstance(ours, float) and isinstance(theirs, int | float):
        return ours == pytest.approx(theirs)
    if ours is None:
        return theirs in (None, "")
    return ours == theirs


def _compare(path: Path, tmp_path: Path) -> int:
    engine = Workbook.load(path)
    engine.calculate()
    reference = openpyxl.load_workbook(recalculate(path, tmp_path / "lo"), data_only=True)
    checked = 0
    for sheet, cells in engine.formula_cells().items():
        for (row, col), ours in cells.items():
            theirs = reference[sheet].cell(row, col).value
            where = f"{sheet}!{openpyxl.utils.get_column_letter(col)}{row}"
            assert _same(ours, theirs), f"{where}: engine {ours!r}, LibreOffice {theirs!r}"
            checked += 1
    return checked


@pytest.mark.libreoffice
@needs_lo
def test_excel_functions_match_libreoffice(tmp_path: Path) -> None:
    assert _compare(assorted(tmp_path / "assorted.xlsx"), tmp_path) == len(FORMULAS) + 12


@pytest.mark.libreoffice
@needs_lo
def test_native_tracker_matches_libreoffice(tmp_path: Path) -> None:
    from bench_recalc import build_tracker

    path = build_tracker(tmp_path / "native.xlsx", 300, native=True)
    assert _compare(path, tmp_path) > 300


def test_functions_libreoffice_7_lacks(tmp_path: Path) -> None:
    """XLOOKUP, FILTER, UNIQUE, SORT and SEQUENCE: LibreOffice 7.4 has none of them."""
    book = openpyxl.Workbook()
    ws = book.active
    for row in [["a", 1], ["b", 2], ["a", 3], ["c", 4]]:
        ws.append(row)
    ws["D1"] = '=_xlfn.XLOOKUP("c",A1:A4,B1:B4)'
    ws["D2"] = '=_xlfn.XLOOKUP("zz",A1:A4,B1:B4,"missing")'
    ws["D3"] = '=_xlfn.XLOOKUP("a",A1:A4,B1:B4,,0,-1)'
    ws["D4"] = '=SUM(_xlfn._xlws.FILTER(B1:B4,A1:A4="a"))'
    ws["D5"] = "=ROWS(_xlfn.UNIQUE(A1:A4))"
    ws["D6"] = "=SUM(_xlfn.SEQUENCE(4))"
    ws["F1"] = "=_xlfn._xlws.SORT(B1:B4,1,-1)"
    ws["G1"] = "=_xlfn.UNIQUE(A1:A4)"
    ws["H1"] = "=_xlfn.SEQUENCE(2,2,10,5)"
    path = tmp_path / "new.xlsx"
    book.save(path)
    engine = Workbook.load(path)
    got = [engine.get(f"Sheet!D{r}") for r in range(1, 7)]
    assert got == [4.0, "missing", 3.0, 4.0, 3.0, 10.0]
    assert engine.get_range("Sheet!F1:F4") == [[4.0], [3.0], [2.0], [1.0]]
    assert engine.get_range("Sheet!G1:G3") == [["a"], ["b"], ["c"]]
    assert engine.get_range("Sheet!H1:I2") == [[10.0, 15.0], [20.0, 25.0]]
    assert engine.errors == []
