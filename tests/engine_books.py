"""One-sheet workbooks for the engine's tests: cells in (formulas as text starting "="), a saved
.xlsx out, or the engine's calculated reading of it."""

from __future__ import annotations

from pathlib import Path

import openpyxl

from addin.engine import Workbook


def one_sheet_book(
    folder: Path, cells: dict[str, object], sheet: str = "Sheet", name: str = "book.xlsx"
) -> Path:
    """``cells`` saved as the only sheet (named ``sheet``) of ``folder / name``."""
    book = openpyxl.Workbook()
    book.active.title = sheet
    for address, value in cells.items():
        book.active[address] = value
    path = folder / name
    book.save(path)
    return path


def calculated(folder: Path, cells: dict[str, object], sheet: str = "Sheet") -> Workbook:
    """``one_sheet_book`` read by the engine and calculated."""
    engine = Workbook.load(one_sheet_book(folder, cells, sheet))
    engine.calculate()
    return engine
