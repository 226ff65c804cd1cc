"""Reading a tracker workbook into raw Workers and Cases tables (tracker-format.md).

Cells are read with python-calamine (fast, no formulas computed: a formula cell is read from its
cached value). An Excel table named Workers / Cases is read in preference to a sheet of that
name. Percentage number formats, which calamine does not report, are read with openpyxl for the
Workers column where they change the meaning (``reduction_pct``), from that sheet's XML
only (the engine's package reader).

A workbook is checked against the limits of ``addin.xlsx.limits`` before calamine opens it, and any
error a reader raises on a damaged part becomes ``TrackerUnusable`` naming the file and sheet.
"""

from __future__ import annotations

import zipfile
from pathlib import Path

import pandas as pd
import python_calamine as calamine

from addin.xlsx.limits import LimitError, check_package
from addin.xlsx.parts import percent_cells
from udfs.intake import RawTable, TrackerUnusable, canonical_header

TABLES = ("Workers", "Cases")
# A percentage FTE (0.5 shown as 50%) is the same number either way; a reduction is not
# (0.2 shown as 20% means 20), so only that column's formats are read.
PERCENT_FIELDS = ("reduction_pct",)


def open_workbook(path: Path) -> calamine.CalamineWorkbook:
    """The workbook for reading; ``TrackerUnusable`` when it is missing or not a workbook."""
    if not path.exists():
        raise TrackerUnusable(f"{path}: no such file")
    if not path.is_file():
        raise TrackerUnusable(f"{path}: not a file")
    if path.suffix.lower() in {".xlsx", ".xlsm"} and not zipfile.is_zipfile(path):
        raise TrackerUnusable(f"{path}: not an Excel workbook")
    try:
        check_package(path)
    except LimitError as exc:
        raise TrackerUnusable(str(exc)) from None
    try:
        return calamine.CalamineWorkbook.from_path(str(path), load_tables=True)
    except Exception:  # noqa: BLE001 - calamine raises many kinds; the file is unusable
        try:
            return calamine.CalamineWorkbook.from_path(str(path))
        except Exception as exc:  # noqa: BLE001
            raise TrackerUnusable(
                f"{path}: not a readable workbook ({type(exc).__name__})"
            ) from None


def _table_names(book: calamine.CalamineWorkbook) -> list[str]:
    try:
        return list(book.table_names)
    except Exception:  # noqa: BLE001 - tables not supported for this format
        return []


def read_raw_table(
    book: calamine.CalamineWorkbook, name: str, path: Path, kind: str | None = None
) -> RawTable:
    """The Excel table called ``name`` if there is one, else the sheet of that name.

    ``kind`` (``Workers`` or ``Cases``) says which table it is when ``name`` is not that. A
    part the reader cannot read is ``TrackerUnusable`` naming the file and the sheet.
    """
    try:
        return _read_raw_table(book, name, path, kind or name)
    except TrackerUnusable:
        raise
    except Exception as exc:  # noqa: BLE001 - calamine raises many kinds; the sheet is unusable
        raise TrackerUnusable(
            f"{path.name}: the {name} sheet cannot be read ({type(exc).__name__})"
        ) from None


def sheet_rows(book: calamine.CalamineWorkbook, sheet: str, path: Path, nrows: int) -> list:
    """The first ``nrows`` rows of ``sheet`` as calamine reads them; ``TrackerUnusable``
    naming the file and sheet when the part cannot be read."""
    try:
        return book.get_sheet_by_name(sheet).to_python(nrows=nrows)
    except Exception as exc:  # noqa: BLE001 - calamine raises many kinds
        raise TrackerUnusable(
            f"{path.name}: the {sheet} sheet cannot be read ({type(exc).__name__})"
        ) from None


def _read_raw_table(book: calamine.CalamineWorkbook, name: str, path: Path, kind: str) -> RawTable:
    tables = {t.lower(): t for t in _table_names(book)}
    if name.lower() in tables:
        table = book.get_table_by_name(tables[name.lower()])
        frame = pd.DataFrame(table.to_python(), columns=list(table.columns), dtype=object)
        first_row, first_col = table.start[0] + 1, table.start[1] + 1
        percent = _percent(path, table.sheet, frame, first_row, first_col)
        return RawTable(table.sheet, frame, first_row, first_col, percent, table=kind)
    sheets = {s.lower(): s for s in book.sheet_names}
    if name.lower() not in sheets:
        raise TrackerUnusable(
            f"{path.name}: no {name} sheet or table (sheets: {', '.join(book.sheet_names)})"
        )
    sheet = sheets[name.lower()]
    rows = book.get_sheet_by_name(sheet).to_python(skip_empty_area=False)
    if not rows:
        raise TrackerUnusable(f"{path.name}: sheet {sheet} is empty (expected a header row)")
    header = [("" if h is None else str(h)) for h in rows[0]]
    # calamine reads an empty cell as ''; the intake treats '' and None alike as blank
    frame = pd.DataFrame(rows[1:], columns=header, dtype=object)
    return RawTable(sheet, frame, 2, 1, _percent(path, sheet, frame, 2, 1), table=kind)


def _percent(
    path: Path, sheet: str, frame: pd.DataFrame, first_row: int, first_col: int
) -> pd.DataFrame | None:
    """True where a Workers cell whose meaning depends on it is formatted as a percentage."""
    wanted = [
        i
        for i, h in enumerate(frame.columns)
        if canonical_header(h) in PERCENT_FIELDS
        and frame.iloc[:, i].map(lambda v: isinstance(v, float) and v != 0).any()
    ]
    if not wanted or len(frame) == 0 or path.suffix.lower() not in {".xlsx", ".xlsm"}:
        return None
    flags = pd.DataFrame(False, index=frame.index, columns=frame.columns)
    shown = percent_cells(path, sheet)
    rows = range(first_row, first_row + len(frame))
    for index in wanted:
        column = first_col + index
        flags.iloc[:, index] = [(row, column) in shown for row in rows]
    return flags


def read_raw_tracker(path: str | Path) -> tuple[RawTable, RawTable]:
    """The raw Workers and Cases tables of a tracker; ``TrackerUnusable`` when it cannot be used."""
    path = Path(path)
    book = open_workbook(path)
    workers, cases = (read_raw_table(book, name, path) for name in TABLES)
    return workers, cases
