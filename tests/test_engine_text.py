"""TEXT and the other engine additions: number and date formats against LibreOffice's answers
(skipped where LibreOffice is absent) and, where LibreOffice differs from Excel, against values
worked out by hand from Excel's rules; cell-by-cell functions over ranges; one CW_ call for a
column of row-wise formulas; the numeric fast path of array arithmetic; the parse cache.
"""

from __future__ import annotations

import random
from pathlib import Path
from typing import Any

import numpy as np
import openpyxl
import pytest
from engine_books import calculated
from libreoffice_checks import needs_lo
from openpyxl.utils import get_column_letter
from openpyxl.worksheet.table import Table

from addin.engine import Workbook, XlError, custom
from addin.engine.evaluator import _broadcast, _scalar_op
from addin.engine.functions import FUNCTIONS
from addin.libreoffice import recalculate
from udfs.excel import CW_CAPACITY

# Values where LibreOffice and Excel agree: serials from 61 (1 March 1900) on, LibreOffice has
# no 29 February 1900; times that are whole seconds (LibreOffice 7.4 truncates a fraction of a
# second, Excel rounds it); non-negative numbers for date formats.
TEXT_VALUES: list[Any] = [
    45000,
    45000.515625,  # 15 Mar 2023 12:22:30
    45291.75,
    61,
    73050.5,
    1234.5,
    -1234.5,
    0.1234,
    0,
    0.5,
    2.675,
    1234567.891,
    7,
    12345678,
    "abc",
    "12.5",
    None,
    999.9999,
    0.00012,
    100,
]
DATE_FORMATS = [
    "d",
    "dd",
    "ddd",
    "dddd",
    "m",
    "mm",
    "mmm",
    "mmmm",
    "yy",
    "yyyy",
    "h",
    "hh",
    "mm:ss",
    "hh:mm",
    "hh:mm:ss",
    "h:mm AM/PM",
    "dd/mm/yyyy",
    "mmm yyyy",
    "d mmm yy",
    "dddd d mmmm yyyy",
    "yyyy-mm-dd hh:mm",
    "mmm-yy",
    "[h]:mm",
]
NUMBER_FORMATS = [
    "0",
    "0.0",
    "0.00",
    "0.000",
    "#,##0",
    "#,##0.00",
    "#,##0.0",
    "0%",
    "0.0%",
    "0.00%",
    "@",
    "#.0",
    "000",
    "0;(0)",
    '0;-0;"zero"',
    "0.0;-0.0;-",
    "0.00E+00",
    "#,##0,",
    '"£"#,##0.00',
    "$#,##0",
    '#,##0.00 "wu"',
    "0.0_)",
    "#,##0.00;[Red]-#,##0.00",
    "General",
    "#",
]


def _date_value(value: Any) -> bool:
    return value is not None and not isinstance(value, str) and 61 <= value <= 2958465


def _text_grid(path: Path, formats: list[str], values: list[Any]) -> Path:
    book = openpyxl.Workbook()
    sheet = book.active
    sheet.title = "T"
    for c, value in enumerate(values, start=2):
        sheet.cell(1, c, value)
    for r, pattern in enumerate(formats, start=2):
        sheet.cell(r, 1, pattern)
        for c in range(2, len(values) + 2):
            sheet.cell(r, c, f"=TEXT({get_column_letter(c)}$1,$A{r})")
    book.save(path)
    return path


@pytest.mark.libreoffice
@needs_lo
def test_text_matches_libreoffice(tmp_path: Path) -> None:
    values = TEXT_VALUES
    path = _text_grid(tmp_path / "text.xlsx", DATE_FORMATS + NUMBER_FORMATS, values)
    engine = Workbook.load(path)
    engine.calculate()
    reference = openpyxl.load_workbook(recalculate(path, tmp_path / "lo"), data_only=True)["T"]
    checked, wrong = 0, []
    for r, pattern in enumerate(DATE_FORMATS + NUMBER_FORMATS, start=2):
        for c, value in enumerate(values, start=2):
            if pattern in DATE_FORMATS and not (_date_value(value) or isinstance(value, str)):
                continue
            if pattern in DATE_FORMATS and value == "12.5":
                continue  # 12 January 1900: before the leap-year bug ends
            if pattern.startswith("[h]") and _date_value(value) and value > 10000:
                continue  # LibreOffice shows #FMT past its limit of elapsed hours
            ours, theirs = engine.sheet("T").get(r, c), reference.cell(r, c).value
            if pattern in ("General", "@") and len(str(theirs or "")) > 11:
                continue  # Excel's General shows at most 11 characters, LibreOffice more
            if ours != (theirs or ""):
                wrong.append(f"TEXT({value!r},{pattern!r}): {ours!r}, LibreOffice {theirs!r}")
            checked += 1
    assert not wrong, wrong[:10]
    assert checked > 600


TEXT = FUNCTIONS["TEXT"]


@pytest.mark.parametrize(
    ("value", "pattern", "expected"),
    [
        # Excel's calendar: serial 0 is 0 January 1900, 60 is 29 February 1900
        (0.0, "mmm yyyy", "Jan 1900"),
        (None, "mmm yyyy", "Jan 1900"),  # a blank cell is 0
        (0.0, "dd/mm/yyyy", "00/01/1900"),
        (0.0, "dddd", "Saturday"),
        (1.0, "dddd d mmmm yyyy", "Sunday 1 January 1900"),
        (59.0, "dd/mm/yyyy", "28/02/1900"),
        (60.0, "d mmm yyyy ddd", "29 Feb 1900 Wed"),
        (61.0, "dd/mm/yyyy dddd", "01/03/1900 Thursday"),
        # ECMA-376 example; a time shows rounded to the second (LibreOffice 7.4 truncates)
        (1234.567, "YYYY-MM-DD HH:MM:SS", "1903-05-18 13:36:29"),
        (1234.567, "$0.00", "$1234.57"),
        (45000.99999999, "hh:mm:ss", "00:00:00"),
        (0.5, "h AM/PM", "12 PM"),
        (0.25, "h:mm a/p", "6:00 a"),
        (1.5, "[mm]:ss", "2160:00"),
        (0.000011574, "ss.00", "01.00"),
        # text and logicals are not numbers: shown as they are
        ("abc", "0.0", "abc"),
        ("abc", '"<"@">"', "<abc>"),
        ("x", '0;-0;0;"text: "@', "text: x"),
        (True, "0.00", "TRUE"),
        ("50%", "0.0", "0.5"),
        (12345.0, "##0.0E+0", "12.3E+3"),
        (0.0, "0;-0;;@", ""),
    ],
)
def test_text_excel_rules(value: Any, pattern: str, expected: str) -> None:
    assert TEXT(value, pattern) == expected


@pytest.mark.parametrize(
    ("value", "pattern"),
    [(-1.0, "dd/mm/yyyy"), (2958466.0, "yyyy"), (5.0, "[>=10]0"), (0.5, "# ?/?")],
)
def test_text_values_excel_cannot_show(tmp_path: Path, value: float, pattern: str) -> None:
    engine = calculated(tmp_path, {"A1": value, "B1": f'=TEXT(A1,"{pattern}")'})
    assert isinstance(engine.get("Sheet!B1"), XlError)
    assert engine.get("Sheet!B1").code == "#VALUE!"


def test_dates_follow_excels_1900_calendar(tmp_path: Path) -> None:
    engine = calculated(
        tmp_path,
        {
            "A1": '=YEAR(0)&"-"&MONTH(0)&"-"&DAY(0)',
            "A2": '=DAY(60)&"/"&MONTH(60)',
            "A3": "=DATE(1900,1,1)",
            "A4": "=DATE(1900,3,1)",
            "A5": "=DATE(1900,2,29)",
            "A6": "=YEAR(61)*10000+MONTH(61)*100+DAY(61)",
            "A7": "=DATE(2024,2,29)-DATE(1900,1,1)",
        },
    )
    got = [engine.get(f"Sheet!A{r}") for r in range(1, 8)]
    assert got == ["1900-1-0", "29/2", 1.0, 61.0, 60.0, 19000301.0, 45350.0]


# --- cell-by-cell functions over ranges ----------------------------------------------------

ELEMENTWISE_FORMULAS = {
    "D1": "=SUMPRODUCT((LEN(TRIM(A1:A6))=0)*1)",
    "D2": "=SUMPRODUCT(LEN(A1:A6))",
    "D3": '=SUMPRODUCT((A1:A6="a")*(LEN(TRIM(A1:A6))>0))',
    "D4": '=SUMPRODUCT(--(TRIM(A1:A6)=""))',
    "D5": "=SUMPRODUCT(IF(B1:B6>2,1,0))",
    "D6": "=SUMPRODUCT(ROUND(B1:B6,0))",
    "D7": "=SUMPRODUCT(--ISNUMBER(B1:B6))",
    "D9": '=SUMPRODUCT(--(UPPER(A1:A6)="A"))',
    "D10": '=SUMPRODUCT(--(LEFT(A1:A6,1)="b"))',
    "D11": "=SUMPRODUCT(IFERROR(1/B1:B6,0))",
    "D12": "=SUMPRODUCT(ABS(B1:B6)*(B1:B6<>0))",
    "D13": '=SUMPRODUCT(--(TEXT(C1:C6,"yyyy")="2024"))',
    "D14": "=SUMPRODUCT(YEAR(C1:C6)*(C1:C6>0))",
    "D15": "=SUMPRODUCT(MOD(B1:B6,2))",
    "D16": "=SUMPRODUCT(--ISBLANK(A1:A6))",
    "D17": '=SUMPRODUCT(--(MID(A1:A6,2,1)="x"))',
    "D18": "=SUMPRODUCT(N(B1:B6))",
}


def _elementwise_book(path: Path) -> Path:
    book = openpyxl.Workbook()
    sheet = book.active
    sheet.title = "E"
    rows = [
        ("a", 1, 45292),
        (None, 2.6, 45000),
        (" ", 0, None),
        ("bx", -3.5, 45350),
        ("A", 4, 45300.5),
        (" ax ", 5, 100),
    ]
    for r, row in enumerate(rows, start=1):
        for c, value in enumerate(row, start=1):
            sheet.cell(r, c, value)
    for ref, formula in ELEMENTWISE_FORMULAS.items():
        sheet[ref] = formula
    book.save(path)
    return path


def test_elementwise_functions_over_ranges(tmp_path: Path) -> None:
    engine = Workbook.load(_elementwise_book(tmp_path / "e.xlsx"))
    engine.calculate()
    got = {ref: engine.get(f"E!{ref}") for ref in ELEMENTWISE_FORMULAS}
    assert got["D1"] == 2.0  # blank and " "
    assert got["D2"] == 1 + 0 + 1 + 2 + 1 + 4
    assert got["D3"] == 2.0  # "a" and "A"
    assert got["D5"] == 3.0
    assert engine.errors == []


@pytest.mark.libreoffice
@needs_lo
def test_elementwise_functions_match_libreoffice(tmp_path: Path) -> None:
    path = _elementwise_book(tmp_path / "e.xlsx")
    engine = Workbook.load(path)
    engine.calculate()
    reference = openpyxl.load_workbook(recalculate(path, tmp_path / "lo"), data_only=True)["E"]
    for ref, formula in ELEMENTWISE_FORMULAS.items():
        assert engine.get(f"E!{ref}") == pytest.approx(reference[ref].value), formula


def test_range_in_a_cell_by_cell_function_spills(tmp_path: Path) -> None:
    engine = calculated(tmp_path, {"A1": "x", "A2": "yy", "A3": "zzz", "C1": "=LEN(A1:A3)"})
    assert engine.get_range("Sheet!C1:C3") == [[1.0], [2.0], [3.0]]


# --- one CW_ call for a column of row-wise formulas ----------------------------------------


def test_row_wise_cw_column_is_one_call(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    rows = [
        ("SGCP", "SW", 1),
        ("SGCP", "ASYE", 0.5),
        ("AI", "SW", 1.5),  # rejected: FTE above 1
        (None, None, None),  # blank row
        ("LAC", "TM", 1),
        ("NOPE", "SW", 1),  # unknown team
    ]
    book = openpyxl.Workbook()
    sheet = book.active
    sheet.title = "W"
    for r, row in enumerate(rows, start=2):
        for c, value in enumerate(row, start=1):
            sheet.cell(r, c, value)
        sheet.cell(r, 5, f'=CW_CAPACITY(A{r},B{r},C{r},,,"max")')
    book.save(tmp_path / "w.xlsx")
    calls: list[int] = []
    original = custom.custom_functions()["CW_CAPACITY"]

    def counted(*args: Any, **kwargs: Any) -> Any:
        calls.append(1)
        return original(*args, **kwargs)

    counted.__wrapped__ = original  # type: ignore[attr-defined]  # same signature
    monkeypatch.setitem(custom.custom_functions(), "CW_CAPACITY", counted)
    engine = Workbook.load(tmp_path / "w.xlsx")
    engine.calculate()
    got = [engine.get(f"W!E{r}") for r in range(2, 2 + len(rows))]
    for row, value in zip(rows, got, strict=True):
        alone = CW_CAPACITY([[row[0]]], [[row[1]]], [[row[2]]], None, None, "max")[0][0]
        if hasattr(alone, "reason"):
            assert isinstance(value, XlError) and value.reason == alone.reason
            assert "row 1:" in value.reason  # as a single row's call words it
        else:
            assert value == alone
    assert len(calls) == 1 + 2  # the column, then each error row on its own


# --- array arithmetic: the numeric fast path agrees with the cell-by-cell rules ------------


def test_array_arithmetic_fast_path_equals_cell_by_cell() -> None:
    rng = random.Random(7)
    pool: list[Any] = [0.0, 1.5, -2.0, 3.0, True, False, None, "2", "x", XlError("#N/A"), ""]
    for _ in range(200):
        shape = rng.choice([(5, 4), (1, 4), (5, 1), (1, 1)])
        numeric = rng.random() < 0.5
        choices = [0.0, 1.5, -2.0, 3.0, True, False, 7.25] if numeric else pool
        x = np.empty(shape, dtype=object)
        for index in np.ndindex(shape):
            x[index] = rng.choice(choices)
        y = np.empty((5, 4), dtype=object)
        for index in np.ndindex((5, 4)):
            y[index] = rng.choice(choices)
        scalar = rng.choice(choices)
        for op in ["+", "-", "*", "/", "=", "<>", "<", ">="]:
            for left, right in ((x, y), (y, scalar), (scalar, y)):
                fast = _broadcast(op, left, right)
                a = left if isinstance(left, np.ndarray) else np.full((1, 1), left, dtype=object)
                b = right if isinstance(right, np.ndarray) else np.full((1, 1), right, object)
                for (i, j), value in np.ndenumerate(fast):
                    p = a[0 if a.shape[0] == 1 else i, 0 if a.shape[1] == 1 else j]
                    q = b[0 if b.shape[0] == 1 else i, 0 if b.shape[1] == 1 else j]
                    slow = _scalar_op(op, p, q)
                    assert type(value) is type(slow) and value == slow, (op, p, q, value)


# --- the parse cache -----------------------------------------------------------------------


def test_same_formula_in_books_of_different_layout(tmp_path: Path) -> None:
    """One formula text, one cell, two table layouts: each book gets its own ranges."""
    results = []
    for top, rows in ((1, [2, 3]), (4, [10, 20, 30])):
        book = openpyxl.Workbook()
        sheet = book.active
        sheet.title = "S"
        sheet.cell(top, 1, "hours")
        for offset, value in enumerate(rows, start=1):
            sheet.cell(top + offset, 1, value)
        sheet.add_table(Table(displayName="Cases", ref=f"A{top}:A{top + len(rows)}"))
        sheet["C1"] = "=SUM(Cases[hours])"
        path = tmp_path / f"book{top}.xlsx"
        book.save(path)
        engine = Workbook.load(path)
        results.append(engine.get("S!C1"))
    assert results == [5.0, 60.0]
