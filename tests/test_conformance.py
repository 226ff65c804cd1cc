"""The engine against Excel: public Excel-saved workbooks (tests/conformance/, see its README)
recalculated and compared cell by cell with the values Excel stored; the copies the writer
produces must parse as XML. Plus the behaviours the suite found missing, on small books."""

from __future__ import annotations

import re
import zipfile
from pathlib import Path
from xml.etree import ElementTree

import pytest
from engine_books import one_sheet_book

from addin.engine import Workbook, XlError
from addin.engine.conformance import check_book, malformed_parts, run, same_value, summary
from addin.xlsx.cached_values import xml_text
from addin.xlsx.parts import unescape

ROOT = Path(__file__).parent / "conformance"
# In-scope match rates reached (rounded down): the suite fails if the engine falls below.
XLCALCULATOR_RATE = 0.99
ALL_RATE = 0.991


def _excel_saved(path: Path) -> Path:
    """``path`` (written by openpyxl) with docProps/app.xml saying Excel saved it."""
    patched = path.with_name("excel-" + path.name)
    with zipfile.ZipFile(path) as source, zipfile.ZipFile(patched, "w") as target:
        for info in source.infolist():
            data = source.read(info.filename)
            if info.filename == "docProps/app.xml":
                data = re.sub(
                    rb"<Application>[^<]*</Application>",
                    b"<Application>Microsoft Excel</Application>",
                    data,
                )
            target.writestr(info, data)
    return patched


# --- the suite -------------------------------------------------------------------------------


def test_xlcalculator_books_match_excel() -> None:
    """Every xlcalculator book (MIT): no crash, no malformed copy, the cells match Excel."""
    results = [
        check_book(path, "xlcalculator")
        for path in sorted((ROOT / "xlcalculator").glob("*.xls[xm]"))
    ]
    assert len(results) == 65
    assert [r.name for r in results if r.crashed] == []
    assert [(r.name, r.malformed) for r in results if r.malformed] == []
    total = summary(results)
    assert total["cells"] > 3000
    assert total["rate"] >= XLCALCULATOR_RATE, total
    apart = {r.name for r in results if not r.in_scope}
    assert "reader.xlsm" in apart  # VBA
    assert "COUNTIF.xlsx" in apart  # saved by LibreOffice


@pytest.mark.slow
def test_whole_suite_matches_excel() -> None:
    """All sources (xlcalculator, IronCalc): at least ALL_RATE of the in-scope cells, no crash
    and no malformed copy (about 35 s)."""
    results = run(ROOT, timeout=60)
    total = summary(results)
    assert total["books"] >= 260
    assert total["crashes"] == 0, [(r.name, r.crashed) for r in results if r.crashed]
    assert total["malformed"] == 0, [(r.name, r.malformed) for r in results if r.malformed]
    assert total["cells"] > 70_000
    assert total["rate"] >= ALL_RATE, total


def test_comparison_rules() -> None:
    assert same_value(1.0, 1.0 + 1e-12)
    assert not same_value(1.0, 1.0001)
    assert same_value(0.0, None)  # an empty result shows as 0
    assert not same_value(1.0, True)
    assert same_value("", None)
    assert not same_value("a", "A")
    assert same_value(XlError("#N/A"), XlError("#N/A", "reason"))
    assert not same_value(XlError("#N/A"), XlError("#VALUE!"))
    assert not same_value(True, 1.0)


# --- never a malformed package ---------------------------------------------------------------


@pytest.mark.parametrize(
    "text",
    ["a\x01b", "\x00", "_x0041_", "x_y", "tab\tline\nend", "<&>", "_x12", "\ufffe", "é€"],
)
def test_xml_text_round_trips(text: str) -> None:
    written = xml_text(text)
    ElementTree.fromstring(f"<t>{written}</t>")  # well-formed
    assert unescape(written) == text


def test_control_characters_are_written_as_excel_does(tmp_path: Path) -> None:
    cells = {"A1": '=CHAR(1)&"a"', "A2": '="_x"&"0041_"', "A3": "=CHAR(7)"}
    path = one_sheet_book(tmp_path, cells)
    book = Workbook.load(path)
    out = book.save_copy(tmp_path / "out.xlsx")
    assert malformed_parts(out) == []
    with zipfile.ZipFile(out) as archive:
        sheet = archive.read("xl/worksheets/sheet1.xml").decode()
    assert "_x0001_a" in sheet and "_x005F_x0041_" in sheet and "_x0007_" in sheet
    again = Workbook.load(out)
    assert again.package.sheets[0].values[(1, 1)] == "\x01a"
    assert again.package.sheets[0].values[(2, 1)] == "_x0041_"


# --- implicit intersection -------------------------------------------------------------------


def test_legacy_formula_takes_its_own_row(tmp_path: Path) -> None:
    """In a book Excel saved, a plain formula over a column range takes the cell of its own
    row (or #VALUE! outside it) instead of spilling; a row range, the cell of its column."""
    cells: dict[str, object] = {f"A{r}": float(r * 10) for r in range(1, 6)}
    cells.update({"B2": "=A1:A5*2", "B3": "=A1:A5*2", "B4": "=LEN(A1:A5)", "B7": "=A1:A5"})
    cells.update({"C9": 1.0, "D9": 2.0, "E9": 3.0, "D10": "=C9:E9+1", "B11": "=SUM(A1:A5)"})
    path = _excel_saved(one_sheet_book(tmp_path, cells))
    book = Workbook.load(path)
    assert book.get("B2") == 40.0
    assert book.get("B3") == 60.0
    assert book.get("B4") == 2.0
    assert book.get("B7") == XlError("#VALUE!")
    assert book.get("B8") is None  # nothing spilled
    assert book.get("D10") == 3.0
    assert book.get("B11") == 150.0


def test_formulas_of_other_writers_still_spill(tmp_path: Path) -> None:
    """openpyxl-made books (the templates) keep dynamic-array behaviour."""
    cells: dict[str, object] = {f"A{r}": float(r) for r in range(1, 4)}
    cells["C1"] = "=A1:A3*2"
    book = Workbook.load(one_sheet_book(tmp_path, cells))
    assert book.get_range("C1:C3") == [[2.0], [4.0], [6.0]]


def test_explicit_intersection_and_anchorarray(tmp_path: Path) -> None:
    cells: dict[str, object] = {f"A{r}": float(r) for r in range(1, 4)}
    cells["B2"] = "=_xlfn.SINGLE(A1:A3)*10"
    cells["D1"] = "=_xlfn.SEQUENCE(3)"
    cells["E1"] = "=SUM(_xlfn.ANCHORARRAY(D1))"
    book = Workbook.load(one_sheet_book(tmp_path, cells))
    assert book.get("B2") == 20.0
    assert book.get("E1") == 6.0


# --- functions -------------------------------------------------------------------------------


def test_functions_found_wrong_by_the_suite(tmp_path: Path) -> None:
    cells = {
        "A1": "=DEC2BIN(-1,4)",
        "A2": "=DEC2HEX(-25,10)",
        "A3": "=DEC2BIN(5,2)",
        "A4": "=DEC2OCT(8,4)",
        "A5": "=FLOOR(7.1,0.1)",
        "A6": "=CEILING(-2.5,2)",
        "A7": "=FLOOR.MATH(-10.5,1,1)",
        "A8": '=REPT("ab",20000)',
        "A9": "=TRUNC(2.5,1E+10)",
        "A10": "=LCM(10,3,6)",
        "A11": "=BASE(255,16,4)",
        "A12": "=CHAR(128)",
        "A13": '="2024-01-10"+0',
        "A14": "=QUOTIENT(-7,2)",
        "A15": "=SUM($1:$1)",
        "B1": 5.0,
    }
    book = Workbook.load(one_sheet_book(tmp_path, cells))
    got = [book.get(f"A{r}") for r in range(1, 16)]
    assert got[0:4] == ["1111111111", "FFFFFFFFE7", XlError("#NUM!"), "0010"]
    assert got[4] == 7.1000000000000005  # 71 x 0.1, as Excel stores it
    assert got[5:7] == [-2.0, -10.0]
    assert got[7] == XlError("#VALUE!")  # longer than a cell holds
    assert got[8:12] == [2.5, 30.0, "00FF", "€"]
    assert got[12:14] == [45301.0, -3.0]
    assert got[14] == 5.0  # row 1: the text in A1 is skipped, B1 is 5


def test_sort_puts_errors_after_logicals_and_blanks_last(tmp_path: Path) -> None:
    cells: dict[str, object] = {"A1": 3.0, "A2": "b", "A3": "=NA()", "A4": True, "A5": "a"}
    cells.update({"A7": 1.0, "C1": "=_xlfn.SORT(A1:A7)", "D1": "=_xlfn.SORT(A1:A7,1,-1)"})
    book = Workbook.load(one_sheet_book(tmp_path, cells))
    ascending = [row[0] for row in book.get_range("C1:C7")]
    descending = [row[0] for row in book.get_range("D1:D7")]
    assert ascending == [1.0, 3.0, "a", "b", True, XlError("#N/A"), 0.0]
    assert descending == [XlError("#N/A"), True, "b", "a", 3.0, 1.0, 0.0]


def test_database_functions(tmp_path: Path) -> None:
    rows = [["Tree", "Height", "Yield"], ["Apple", 18.0, 14.0], ["Pear", 12.0, 10.0],
            ["Apple", 13.0, 9.0], ["Apricot", 9.0, 8.0]]  # fmt: skip
    cells: dict[str, object] = {}
    for r, row in enumerate(rows, 1):
        for c, value in zip("ABC", row, strict=True):
            cells[f"{c}{r}"] = value
    cells.update({"E1": "Tree", "E2": "Ap", "F1": "Height", "F2": ">10"})
    cells.update({
        "H1": "=DSUM(A1:C5,\"Yield\",E1:F2)",  # Apple 18 and Apple 13: Apricot is 9 high
        "H2": "=DCOUNT(A1:C5,3,E1:F2)",
        "H3": "=DGET(A1:C5,\"Yield\",E1:F2)",
        "H4": "=DAVERAGE(A1:C5,\"Height\",E1:E2)",
        "H5": "=DMAX(A1:C5,\"Nope\",E1:E2)",
    })  # fmt: skip
    book = Workbook.load(one_sheet_book(tmp_path, cells))
    assert [book.get(f"H{r}") for r in range(1, 6)] == [
        23.0,
        2.0,
        XlError("#NUM!"),
        pytest.approx((18 + 13 + 9) / 3),
        XlError("#VALUE!"),
    ]


def test_runs_that_read_each_other_are_not_a_cycle(tmp_path: Path) -> None:
    """C(n) = D(n-1) + C(n-1) beside D(n) = 100 - C(n): a cycle as columns, not as cells."""
    cells: dict[str, object] = {"C1": 0.0, "D1": "=100-C1"}
    for r in range(2, 6):
        cells[f"C{r}"] = f"=D{r - 1}+C{r - 1}"
        cells[f"D{r}"] = f"=100-C{r}"
    book = Workbook.load(one_sheet_book(tmp_path, cells))
    book.calculate()
    assert book.circular == []
    assert [row[0] for row in book.get_range("C1:C5")] == [0.0, 100.0, 100.0, 100.0, 100.0]


def test_suite_books_carry_their_licences() -> None:
    for source in ("xlcalculator", "ironcalc"):
        folder = ROOT / source
        assert (folder / "README.md").is_file()
        assert any(folder.glob("LICENSE*"))


def test_xlookup_modes_and_formula_functions(tmp_path: Path) -> None:
    cells: dict[str, object] = {"A1": 1.0, "A2": 3.0, "A3": 5.0, "A4": 3.0}
    cells.update({"B1": "a", "B2": "b", "B3": "c", "B4": "d"})
    cells.update({
        "D1": "=_xlfn.XLOOKUP(4,A1:A3,B1:B3,,1)",  # next larger: 5
        "D2": "=_xlfn.XLOOKUP(4,A1:A3,B1:B3,,-1)",  # next smaller: 3
        "D3": "=_xlfn.XLOOKUP(3,A1:A4,B1:B4,,0,-1)",  # last to first
        "D4": "=_xlfn.XLOOKUP(3,A1:A4,B1:B4,,3)",  # no such match mode
        "D5": "=_xlfn.XLOOKUP(3,A1:A4,B1:B3)",  # sizes differ
        "D6": "=_xlfn.XMATCH(4,A1:A3,1,2)",  # binary search, next larger
        "D7": "=_xlfn.ISFORMULA(D1)",
        "D8": "=_xlfn.ISFORMULA(A1)",
        "D9": "=_xlfn.FORMULATEXT(D1)",
        "D10": '=TEXT(1/3,"General")',
        "D11": '=TEXT(-0.001,"0.0")',
    })  # fmt: skip
    book = Workbook.load(one_sheet_book(tmp_path, cells))
    assert [book.get(f"D{r}") for r in range(1, 12)] == [
        "c",
        "b",
        "d",
        XlError("#VALUE!"),
        XlError("#VALUE!"),
        3.0,
        True,
        False,
        "=XLOOKUP(4,A1:A3,B1:B3,,1)",
        "0.333333333",
        "0.0",
    ]


def test_accrint_counts_whole_quasi_coupon_periods(tmp_path: Path) -> None:
    cells = {
        "A1": "=ACCRINT(DATE(2008,3,1),DATE(2008,8,31),DATE(2008,5,1),0.1,1000,2,0)",
        "A2": "=ACCRINT(DATE(2007,3,1),DATE(2008,8,31),DATE(2008,5,1),0.1,1000,2,0)",
        "A3": "=ACCRINT(DATE(2007,3,1),DATE(2008,8,31),DATE(2008,5,1),0.1,1000,2,0,FALSE)",
        "A4": "=ACCRINT(DATE(2008,5,1),DATE(2008,8,31),DATE(2008,3,1),0.1,1000,2,0)",
    }
    book = Workbook.load(one_sheet_book(tmp_path, cells))
    assert book.get("A1") == pytest.approx(16.666666666666668)  # Microsoft's example
    assert book.get("A2") == pytest.approx(116.94444444444446)  # as Excel stored it
    assert book.get("A3") == pytest.approx(66.94444444444446)
    assert book.get("A4") == XlError("#NUM!")  # issue after settlement
