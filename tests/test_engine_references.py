"""The engine's references computed while calculating: the range operator between INDEX, OFFSET
and INDIRECT calls (``INDEX(A:A,2):INDEX(A:A,5)``), ROW of such a range, and what the native
formulas of ``caseload attach`` lean on besides: IF and IFERROR that evaluate only the branch a
row takes, columns that read the rows below them, criteria given as arrays, NUMBERVALUE,
SEARCH, FIND, DATEDIF and MATCH over sorted and one-off ranges. Each test builds a small
workbook with openpyxl, calculates it with the engine and reads the values back."""

from __future__ import annotations

from datetime import date
from functools import partial
from typing import Any

import pytest
from engine_books import calculated as calculated_book

from addin.engine import Workbook, XlError
from udfs.excel_dates import serial

calculated = partial(calculated_book, sheet="Data")  # these tests name their sheet Data


def column(engine: Workbook, letter: str, first: int, last: int) -> list[Any]:
    """Values of ``letter``first .. ``letter``last on the Data sheet."""
    return [engine.get(f"Data!{letter}{row}") for row in range(first, last + 1)]


NUMBERS = {f"A{row}": float(row * 10) for row in range(1, 11)}  # A1..A10: 10, 20 ... 100


def test_sum_of_a_range_between_two_index_calls(tmp_path):
    engine = calculated(
        tmp_path,
        {**NUMBERS, "C1": "=SUM(INDEX(A1:A10,2):INDEX(A1:A10,4))", "C2": "=SUM(INDEX(A:A,9):A10)"},
    )
    assert engine.get("Data!C1") == 90.0  # 20 + 30 + 40
    assert engine.get("Data!C2") == 190.0  # 90 + 100
    assert engine.errors == []


def test_the_range_follows_each_rows_bounds_down_a_column(tmp_path):
    cells: dict[str, Any] = dict(NUMBERS)
    for row, (start, end) in enumerate([(1, 1), (2, 5), (10, 10), (3, 1)], start=1):
        cells[f"B{row}"], cells[f"C{row}"] = start, end
        cells[f"D{row}"] = f"=SUM(INDEX($A$1:$A$10,$B{row}):INDEX($A$1:$A$10,$C{row}))"
        cells[f"E{row}"] = f"=ROWS(INDEX($A$1:$A$10,$B{row}):INDEX($A$1:$A$10,$C{row}))"
    engine = calculated(tmp_path, cells)
    # a range written bottom first is the same rectangle (3:1 is rows 1 to 3)
    assert column(engine, "D", 1, 4) == [10.0, 140.0, 100.0, 60.0]
    assert column(engine, "E", 1, 4) == [1.0, 4.0, 1.0, 3.0]


def test_index_outside_its_range_is_ref_and_a_negative_row_is_value(tmp_path):
    engine = calculated(
        tmp_path,
        {
            **NUMBERS,
            "C1": "=SUM(INDEX(A1:A10,1):INDEX(A1:A10,11))",
            "C2": "=SUM(INDEX(A1:A10,-1):A3)",
        },
    )
    assert engine.get("Data!C1") == XlError("#REF!")
    assert engine.get("Data!C2") == XlError("#VALUE!")


def test_index_with_row_zero_gives_the_whole_column_of_a_wider_range(tmp_path):
    cells = {**NUMBERS, **{f"B{row}": float(row) for row in range(1, 11)}}
    cells["D1"] = "=SUM(INDEX(A1:B10,0,2):INDEX(A1:B10,3,2))"  # B1:B10 and B3: B1:B10
    cells["D2"] = "=SUM(INDEX(A1:B10,2,1):INDEX(A1:B10,3,2))"  # A2:B3
    engine = calculated(tmp_path, cells)
    assert engine.get("Data!D1") == 55.0
    assert engine.get("Data!D2") == 20.0 + 30.0 + 2.0 + 3.0


def test_offset_and_indirect_as_range_ends(tmp_path):
    engine = calculated(
        tmp_path,
        {
            **NUMBERS,
            "C1": "=SUM(A1:OFFSET(A1,2,0))",
            "C2": '=SUM(INDIRECT("A9"):INDEX(A1:A10,10))',
            "C3": "=SUM(OFFSET(INDEX(A1:A10,2):INDEX(A1:A10,3),1,0))",
        },
    )
    assert engine.get("Data!C1") == 60.0
    assert engine.get("Data!C2") == 190.0
    assert engine.get("Data!C3") == 70.0  # A3:A4


def test_row_of_a_computed_range_is_its_row_numbers(tmp_path):
    cells: dict[str, Any] = {f"A{row}": float(row % 3) for row in range(1, 11)}
    cells["C1"] = (
        "=SUMPRODUCT(--(INDEX(A1:A10,4):INDEX(A1:A10,9)=MOD(ROW(INDEX(A1:A10,4):INDEX(A1:A10,9)),3)))"
    )
    cells["C2"] = "=ROW(INDEX(A1:A10,7):INDEX(A1:A10,7))"
    cells["C3"] = "=ISREF(INDEX(A1:A10,2):INDEX(A1:A10,3))"
    engine = calculated(tmp_path, cells)
    assert engine.get("Data!C1") == 6.0
    assert engine.get("Data!C2") == 7.0
    assert engine.get("Data!C3") is True


def test_ranges_of_formula_cells_are_calculated_before_they_are_read(tmp_path):
    cells: dict[str, Any] = {f"A{row}": "=ROW()*2" for row in range(1, 6)}
    cells["C1"] = "=SUM(INDEX(A1:A5,2):INDEX(A1:A5,4))"
    engine = calculated(tmp_path, cells)
    assert engine.get("Data!C1") == 18.0  # 4 + 6 + 8


def test_a_column_reading_the_rows_below_it_is_calculated_bottom_up(tmp_path):
    cells: dict[str, Any] = {"B6": 0}
    for row in range(1, 6):
        cells[f"A{row}"] = 1 if row % 2 else 0
        cells[f"B{row}"] = f"=$A{row}+INDEX($B{row + 1}:$B$6,1)"  # how many 1s from here down
    engine = calculated(tmp_path, cells)
    assert column(engine, "B", 1, 5) == [3.0, 2.0, 2.0, 1.0, 1.0]


def test_if_evaluates_the_branch_each_row_takes(tmp_path):
    cells: dict[str, Any] = dict(NUMBERS)
    for row, index in enumerate([0, 3, "x", 10], start=1):
        cells[f"B{row}"] = index
        # INDEX(...,0) would be the whole column: only rows that take the branch see it
        cells[f"C{row}"] = (
            f'=IF($B{row}=0,"none",IF(ISNUMBER($B{row}),INDEX($A$1:$A$10,$B{row}),"text"))'
        )
    cells["D1"] = "=IF(FALSE,1)"
    cells["D2"] = "=IF(FALSE,1,)"
    cells["D3"] = "=IF(TRUE,,2)"
    cells["D4"] = '=IF("maybe",1,2)'
    cells["D5"] = "=SUM(IF(A1:A3>15,A1:A3,0))"
    engine = calculated(tmp_path, cells)
    assert column(engine, "C", 1, 4) == ["none", 30.0, "text", 100.0]
    assert engine.get("Data!D1") is False
    assert column(engine, "D", 2, 3) == [0.0, 0.0]
    assert engine.get("Data!D4") == XlError("#VALUE!")
    assert engine.get("Data!D5") == 50.0


def test_iferror_and_choose_take_only_what_each_row_needs(tmp_path):
    cells: dict[str, Any] = dict(NUMBERS)
    for row, index in enumerate([1, 11, 2], start=1):
        cells[f"B{row}"] = index
        cells[f"C{row}"] = f'=IFERROR(INDEX($A$1:$A$10,$B{row}),"outside")'
        cells[f"D{row}"] = f'=IFERROR(CHOOSE($B{row},"one","two"),"none")'
    engine = calculated(tmp_path, cells)
    assert column(engine, "C", 1, 3) == [10.0, "outside", 20.0]
    assert column(engine, "D", 1, 3) == ["one", "none", "two"]


def test_countif_given_an_array_of_criteria_counts_each(tmp_path):
    values = ["a", "b", "a", None, "c", "b", "a"]
    cells: dict[str, Any] = {f"A{row}": v for row, v in enumerate(values, start=1) if v}
    cells["C1"] = '=ROUND(SUMPRODUCT((A1:A7<>"")/COUNTIF(A1:A7,A1:A7&"")),0)'
    cells["C2"] = '=SUMPRODUCT(COUNTIFS(A1:A7,{"a","b"}))'
    cells["C3"] = '=SUMPRODUCT(SUMIF(A1:A7,{"a";"c"},A1:A7))'
    engine = calculated(tmp_path, cells)
    assert engine.get("Data!C1") == 3.0  # a, b, c
    assert engine.get("Data!C2") == 5.0
    assert engine.get("Data!C3") == 0.0  # text is not summed


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("80%", 0.8),
        (" 1 ", 1.0),
        ("1,000.5", 1000.5),
        ("", 0.0),
        ("9%%", 0.0009),
        ("1.2.3", XlError("#VALUE!")),
        ("1.5,0", XlError("#VALUE!")),
        ("abc", XlError("#VALUE!")),
    ],
)
def test_numbervalue(tmp_path, text, expected):
    engine = calculated(tmp_path, {"A1": text, "B1": '=_xlfn.NUMBERVALUE(A1&"",".",",")'})
    got = engine.get("Data!B1")
    if isinstance(expected, float):
        assert got == pytest.approx(expected)
    else:
        assert got == expected


def test_search_find_and_datedif(tmp_path):
    engine = calculated(
        tmp_path,
        {
            "A1": ",PROC,CP,",
            "B1": '=SEARCH(",cp,",A1)',
            "B2": '=FIND(",cp,",A1)',
            "B3": '=SEARCH("p?o*,",A1)',
            "B4": '=SEARCH("~*",A1)',
            "C1": serial(date(2026, 1, 9)),
            "C2": serial(date(2026, 10, 8)),
            "D1": '=DATEDIF(C1,C2,"m")',
            "D2": '=DATEDIF("09/01/2026",C2,"M")',
            "D3": '=DATEDIF(C2,C1,"m")',
            "D4": '=DATEDIF(C1,C2,"d")',
        },
    )
    assert engine.get("Data!B1") == 6.0
    assert engine.get("Data!B2") == XlError("#VALUE!")
    assert engine.get("Data!B3") == 2.0
    assert engine.get("Data!B4") == XlError("#VALUE!")
    assert engine.get("Data!D1") == 8.0
    assert engine.get("Data!D2") == 8.0
    assert engine.get("Data!D3") == XlError("#NUM!")
    assert engine.get("Data!D4") == 272.0


def test_match_on_sorted_numbers_and_on_each_rows_own_range(tmp_path):
    cells: dict[str, Any] = {f"A{row}": float(row * 2) for row in range(1, 9)}  # 2, 4 ... 16
    for row in range(1, 9):
        cells[f"B{row}"] = f"=IFERROR(MATCH({row * 3 - 2},$A$1:$A$8,1),0)"
        cells[f"C{row}"] = row % 3
        cells[f"D{row}"] = f"=IFERROR(MATCH($C{row},$C{row + 1}:$C$9,0),0)"
    cells["A5"] = None  # a blank among sorted numbers is skipped
    engine = calculated(tmp_path, cells)
    # looked up 1, 4, 7, 10, 13, 16, 19, 22 in 2, 4, 6, 8, _, 12, 14, 16
    assert column(engine, "B", 1, 8) == [0.0, 2.0, 3.0, 4.0, 6.0, 8.0, 8.0, 8.0]
    # C: 1, 2, 0, 1, 2, 0, 1, 2: the next row below with the same value, as an offset
    assert column(engine, "D", 1, 8) == [3.0, 3.0, 3.0, 3.0, 3.0, 0.0, 0.0, 0.0]
