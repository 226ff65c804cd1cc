"""The engine's own functions added for the conformance suite (issue 12) and the single copies
of shared rules (issue 11): each on a small book recalculated by the engine, with Excel's
answers (from the conformance books or worked out from Excel's documented rules)."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path

import pytest
from engine_books import calculated

from addin.engine import Workbook, XlError
from addin.engine import functions as engine_functions
from addin.engine.library import dates as engine_dates
from addin.engine.workbook import WorkbookUnusable
from udfs import excel_dates
from udfs.errors import CaseloadError

# --- ERROR.TYPE ------------------------------------------------------------------------------


def test_error_type_sees_its_error_argument(tmp_path: Path) -> None:
    """A tracker whose CW_ functions are missing shows "functions not loaded", not #NAME?."""
    guard = '=IF(ISERROR($A$4),IF(ERROR.TYPE($A$4)=5,"functions not loaded",$A$4),{ok})'
    book = calculated(
        tmp_path,
        {
            "A4": "=CW_NOT_LOADED(B1:B3)",
            "A5": "=SUM(B1:B3)",
            "B1": 1,
            "B2": 2,
            "B3": 3,
            "C4": guard.format(ok='"ok"'),
            "C5": guard.replace("$A$4", "$A$5").format(ok="COUNTIF(B1:B3,2)"),
            "C6": "=ERROR.TYPE(#NAME?)",
            "C7": "=ERROR.TYPE(1/0)",
            "C8": "=ERROR.TYPE(NA())",
            "C9": "=ERROR.TYPE(1)",
            "C10": '=ERROR.TYPE("#N/A")',
        },
    )
    assert book.get("A4") == XlError("#NAME?")
    assert book.get("C4") == "functions not loaded"
    assert book.get("C5") == 1.0
    assert [book.get(f"C{r}") for r in (6, 7, 8)] == [5.0, 2.0, 7.0]
    assert book.get("C9") == XlError("#N/A")
    assert book.get("C10") == XlError("#N/A")


# --- COUNTIF ---------------------------------------------------------------------------------


def test_countif_counts_every_row_of_a_whole_column(tmp_path: Path) -> None:
    """Excel counts all 1,048,576 rows of a whole-column range for a criterion that an empty
    cell meets; "" text counts as non-empty for "<>" and as empty for ""."""
    book = calculated(
        tmp_path,
        {
            "A1": "x",
            "A2": "y",
            "A3": '=""',
            "A4": 5,
            "B1": '=COUNTIF(A:A,"<>x")',
            "B2": '=COUNTIF(A:A,"")',
            "B3": '=COUNTIF(A1:A4,"<>")',
            "B4": '=COUNTIF(A1:A4,"")',
            "B5": '=COUNTIF(A:A,"<>")',
            "B6": '=COUNTIFS(A:A,"<>x",A:A,"<>y")',
            "B7": '=COUNTIF(A1:A4,"<=")',
            "B8": "=COUNTIF(A:A,5)",
        },
    )
    assert book.get("B1") == 1_048_575.0
    assert book.get("B2") == 1_048_573.0  # the empty rows and the "" text
    assert book.get("B3") == 4.0
    assert book.get("B4") == 1.0
    assert book.get("B5") == 4.0
    assert book.get("B6") == 1_048_574.0
    assert book.get("B7") == 0.0
    assert book.get("B8") == 1.0


def test_countif_looks_for_error_values(tmp_path: Path) -> None:
    book = calculated(
        tmp_path,
        {
            "A1": "=1/0",
            "A2": "=NA()",
            "A3": "=1/0",
            "A4": "N/A",
            "B1": "=COUNTIF(A1:A4,1/0)",
            "B2": '=COUNTIF(A1:A4,"#N/A")',
            "B3": '=COUNTIF(A1:A4,"<>#DIV/0!")',
            "B4": "=SUMIF(A1:A4,NA(),A1:A4)",
        },
    )
    assert book.get("B1") == 2.0
    assert book.get("B2") == 1.0
    assert book.get("B3") == 2.0
    assert book.get("B4") == XlError("#N/A")


# --- functions -------------------------------------------------------------------------------


def test_bessel_functions_give_excels_approximations(tmp_path: Path) -> None:
    """Excel's values, not the exact ones (which differ in the 8th digit)."""
    book = calculated(
        tmp_path,
        {
            "A1": "=BESSELI(0.2,0)",
            "A2": "=BESSELI(0.2,1)",
            "A3": "=BESSELK(1,0)",
            "A4": "=BESSELJ(1,-1)",
            "A5": "=BESSELY(0,1)",
            "A6": "=BESSELI(TRUE,1)",
        },
    )
    assert book.get("A1") == pytest.approx(1.0100250221205638, rel=1e-14)
    assert book.get("A2") == pytest.approx(0.10050083385903322, rel=1e-14)
    assert book.get("A3") == pytest.approx(0.421024421083418, rel=1e-14)
    assert book.get("A4") == XlError("#NUM!")
    assert book.get("A5") == XlError("#NUM!")
    assert book.get("A6") == XlError("#VALUE!")


@pytest.mark.parametrize(
    ("formula", "expected"),
    [
        # Excel's answers (IronCalc's conformance books, saved by Excel)
        ("ACCRINT(DATE(2017,1,1),DATE(2017,12,1),DATE(2017,4,1),0.33,3000,4,2)", 236.5),
        (
            "ACCRINT(DATE(2017,1,1),DATE(2017,12,1),DATE(2017,4,1),0.33,3000,4,1)",
            241.12362637362637,
        ),
        (
            "ACCRINT(DATE(2017,1,1),DATE(2017,12,1),DATE(2017,4,1),0.33,3000,4,1,FALSE)",
            -253.8763736263736,
        ),
        ("ACCRINT(DATE(2021,6,1),DATE(2021,12,1),DATE(2022,3,1),0.025,5000,2,2)", 93.75),
        (
            "ACCRINT(DATE(2021,6,1),DATE(2021,12,1),DATE(2022,3,1),0.025,5000,2,2,FALSE)",
            94.79166666666666,
        ),
        ("ACCRINT(DATE(2007,3,1),DATE(2008,8,31),DATE(2008,5,1),0.1,1000,2,0)", 116.94444444444446),
        ("MIRR({-5,2,4},-1,0.2)", 0.13137084989847603),
        ("MIRR({-5,-3},0.1,0.2)", -1.0),
    ],
)
def test_financial_functions_match_excel(tmp_path: Path, formula: str, expected: float) -> None:
    book = calculated(tmp_path, {"A1": "=" + formula})
    assert book.get("A1") == pytest.approx(expected, rel=1e-12)


def test_cell_info_types(tmp_path: Path) -> None:
    book = calculated(
        tmp_path,
        {
            "A2": 3.4,
            "A3": "text",
            "B1": '=CELL("address",A2:A3)',
            "B2": '=CELL("row",A3)',
            "B3": '=CELL("col",C7)',
            "B4": '=CELL("contents",A2)',
            "B5": '=CELL("type",A3)',
            "B6": '=CELL("type",A9)',
            "B7": '=CELL("type",A2)',
            "B8": '=CELL("nonsense",A2)',
        },
    )
    assert [book.get(f"B{r}") for r in range(1, 9)] == [
        "$A$2",
        3.0,
        3.0,
        3.4,
        "l",
        "b",
        "v",
        XlError("#VALUE!"),
    ]


def test_referenced_text_is_skipped_by_aggregates(tmp_path: Path) -> None:
    """SUM(A1) of a cell holding the text "7" is 0 in Excel (a reference is read as a range);
    typed in, SUM("7") is 7."""
    book = calculated(
        tmp_path,
        {
            "A1": "7",
            "A2": True,
            "A3": 2,
            "B1": "=SUM(A1)",
            "B2": '=SUM("7")',
            "B3": "=AVERAGE(A1,A2,A3)",
            "B4": "=COUNT(A1,A2,A3)",
            "B5": '=PRODUCT(INDIRECT("A1"))',
            "B6": "=AVERAGEA(A1:A3)",
        },
    )
    assert [book.get(f"B{r}") for r in range(1, 7)] == [0.0, 7.0, 2.0, 1.0, 0.0, 1.0]


def test_sequence_defaults_and_ceiling_overflow(tmp_path: Path) -> None:
    book = calculated(
        tmp_path,
        {
            "A1": "=SEQUENCE(,3,,2.5)",
            "A3": "=SEQUENCE(0)",
            "A4": "=CEILING(2^20,1E-307)",
        },
    )
    assert book.get_range("A1:C1") == [[1.0, 3.5, 6.0]]
    assert book.get("A3") == XlError("#VALUE!")
    assert book.get("A4") == XlError("#NUM!")


# --- one copy of each rule (issue 11) --------------------------------------------------------


def test_engine_dates_use_the_one_excel_dates_helper(tmp_path: Path) -> None:
    assert engine_dates.serial is excel_dates.serial
    assert engine_dates.LAST_SERIAL is excel_dates.LAST_SERIAL
    assert not hasattr(engine_functions, "EPOCH") and not hasattr(engine_dates, "EPOCH")
    book = calculated(tmp_path, {"A1": "=EDATE(-1,1)", "A2": "=DATE(1900,2,28)", "A3": "=A4+0"})
    book.set("A4", datetime(1900, 2, 28))  # before Excel's 29 February 1900: serial 59
    assert book.get("A1") == XlError("#NUM!")
    assert book.get("A2") == 59.0
    assert book.get("A3") == 59.0


def test_workbook_unusable_is_a_caseload_error(tmp_path: Path) -> None:
    assert issubclass(WorkbookUnusable, CaseloadError)
    with pytest.raises(CaseloadError):
        Workbook.load(tmp_path / "missing.xlsx")
    with pytest.raises(ValueError):  # CaseloadError is a ValueError: old callers still work
        Workbook.load(tmp_path / "missing.xlsx")


def test_logicals_tocol_mode_mult_and_annuities(tmp_path: Path) -> None:
    book = calculated(
        tmp_path,
        {
            "A1": "TRUE",  # text
            "A2": 1,
            "A4": "c",
            "B1": '=OR("TRUE")',
            "B2": '=XOR("",TRUE)',
            "B3": "=XOR(A1)",  # referenced text is skipped: nothing left
            "B4": "=AND(A1:A2)",
            "B5": '=AND("x")',
            "B6": "=PMT(-1,1,-100)",
            "B7": "=PMT(0.2,3,-200,10,5)",  # any non-zero type: payments at the start
            "B8": "=NPER(0,-133.33333333333334,100,300,1)",
            "C1": "=TOCOL(A1:A4,1)",
            "D1": "=MODE.MULT({1,2,3,1,2})",
        },
    )
    assert [book.get(f"B{r}") for r in range(1, 9)] == [
        True,
        True,
        XlError("#VALUE!"),
        True,
        XlError("#VALUE!"),
        XlError("#NUM!"),
        pytest.approx(76.83150183150182, rel=1e-12),
        pytest.approx(3.0),
    ]
    assert book.get_range("C1:C4") == [["TRUE"], [1.0], ["c"], [None]]
    assert book.get_range("D1:D3") == [[1.0], [2.0], [None]]


def test_substitute_instance_and_edate_range_errors_as_excel_gives_them(tmp_path: Path) -> None:
    """SUBSTITUTE with an instance below 1 is #VALUE!; EDATE landing before 1900 or after 9999
    is #NUM! (found while documenting the library: wrong text and a negative serial before)."""
    book = calculated(
        tmp_path,
        {
            "A1": '=SUBSTITUTE("abc","b","X",0)',
            "A2": '=SUBSTITUTE("abcb","b","X",2)',
            "A3": "=EDATE(1,-12)",
            "A4": "=EDATE(2958465,1)",
            "A5": "=EDATE(45000,1)",
        },
    )
    assert book.get("A1") == XlError("#VALUE!")
    assert book.get("A2") == "abcX"
    assert book.get("A3") == XlError("#NUM!")
    assert book.get("A4") == XlError("#NUM!")
    assert book.get("A5") == 45031.0
