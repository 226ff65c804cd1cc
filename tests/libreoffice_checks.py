"""What the tests that compare with LibreOffice share (they are skipped where it is absent)."""

from __future__ import annotations

import datetime as dt
import math
from typing import Any

import pytest

from addin.libreoffice import soffice

needs_lo = pytest.mark.skipif(soffice() is None, reason="LibreOffice (soffice) is not installed")


def same_value(actual: Any, expected: Any) -> bool:
    """A value LibreOffice calculated (``actual``) equals the one Python cached (``expected``):
    dates by day, blanks alike, logicals by truth, numbers to 1e-9, anything else as text."""
    if isinstance(actual, dt.datetime) and isinstance(expected, dt.date | dt.datetime):
        return actual.date() == (
            expected if not isinstance(expected, dt.datetime) else expected.date()
        )
    if expected in (None, "") or actual in (None, ""):
        return expected in (None, "") and actual in (None, "")
    if isinstance(actual, bool) or isinstance(expected, bool):
        return bool(actual) == bool(expected)
    if isinstance(actual, int | float) and isinstance(expected, int | float):
        return math.isclose(actual, expected, rel_tol=1e-9, abs_tol=1e-9)
    return str(actual) == str(expected)


def error_cells(book: Any) -> list[tuple[str, str, str]]:
    """(sheet, cell, value) of every cell of an openpyxl workbook that shows an error."""
    return [
        (sheet.title, cell.coordinate, cell.value)
        for sheet in book.worksheets
        for row in sheet.iter_rows()
        for cell in row
        if isinstance(cell.value, str) and cell.value.startswith("#")
    ]
