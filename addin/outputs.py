"""Writing result tables to new files: CSV at full precision, or xlsx with number formats.

Outputs never replace the workbook they were computed from. Text cells that a spreadsheet would
run as a formula (beginning ``=``, ``+``, ``-`` or ``@``) are written inert, with a leading
apostrophe, in CSV; in xlsx they are written as text, which Excel does not run.
"""

from __future__ import annotations

import csv
import math
from collections.abc import Iterable
from pathlib import Path

import pandas as pd
from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell
from openpyxl.styles import Font

FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
NUMBER_FORMATS = {
    "fte": "0.00",
    "weighted": "0.00",
    "weighted_active": "0.00",
    "capacity_min": "0.00",
    "capacity_max": "0.00",
    "load_pct": "0.0",
    "case_holding_fte": "0.00",
    "children_per_fte": "0.0",
    "weighted_per_fte": "0.0",
}


class OutputError(ValueError):
    """An output that would overwrite an input, or has an unknown format."""


def inert(value: object) -> object:
    """A text cell that would run as a formula, made inert with a leading apostrophe.

    A plain number written as text (``-7``, ``+44``) is left as it is: it runs nothing.
    """
    if isinstance(value, str) and value.startswith(FORMULA_STARTS) and not _is_number(value):
        return "'" + value
    return value


def _is_number(text: str) -> bool:
    try:
        float(text)
    except ValueError:
        return False
    return True


def check_output(out: Path, inputs: Iterable[Path]) -> None:
    """Refuse to write over any input file."""
    for source in inputs:
        if out.exists() and source.exists() and out.resolve() == source.resolve():
            raise OutputError(f"{out}: refusing to write over the input workbook")
    if out.suffix.lower() not in {".csv", ".xlsx"}:
        raise OutputError(f"{out}: the output must end in .csv or .xlsx")
    if not out.parent.is_dir():
        raise OutputError(f"{out}: the folder {out.parent} does not exist")


def plain_value(value: object) -> object:
    """A cell's value as plain Python: numpy scalars unwrapped, NaN as None."""
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return None
    if hasattr(value, "item"):
        return value.item()
    return value


def write_csv(frame: pd.DataFrame, out: Path | None) -> None:
    """CSV at full precision (``repr`` of floats), blanks for NaN, text cells made inert."""
    handle = open(out, "w", newline="", encoding="utf-8") if out else None  # noqa: SIM115
    import sys

    stream = handle or sys.stdout
    try:
        writer = csv.writer(stream, lineterminator="\n")
        writer.writerow(frame.columns)
        for row in frame.itertuples(index=False):
            writer.writerow(["" if (v := plain_value(c)) is None else inert(v) for c in row])
    finally:
        if handle:
            handle.close()


def write_xlsx(sheets: dict[str, pd.DataFrame], out: Path) -> None:
    """One sheet per table, header in bold, numbers through number formats (never rounded)."""
    book = Workbook(write_only=True)
    for title, frame in sheets.items():
        sheet = book.create_sheet(title)
        header = []
        for name in frame.columns:
            cell = WriteOnlyCell(sheet, value=str(name))
            cell.font = Font(bold=True)
            header.append(cell)
        sheet.append(header)
        formats = [NUMBER_FORMATS.get(str(name)) for name in frame.columns]
        for row in frame.itertuples(index=False):
            cells = []
            for value, number_format in zip(row, formats, strict=True):
                cell = WriteOnlyCell(sheet, value=plain_value(value))
                if number_format and isinstance(cell.value, float):
                    cell.number_format = number_format
                cells.append(cell)
            sheet.append(cells)
        sheet.freeze_panes = "A2"
    book.save(out)


def write_table(frame: pd.DataFrame, out: Path | None, sheet: str = "Result") -> None:
    """CSV to ``out`` (or standard output when None) or xlsx when ``out`` ends in .xlsx."""
    if out is not None and out.suffix.lower() == ".xlsx":
        write_xlsx({sheet: frame}, out)
    else:
        write_csv(frame, out)
