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


def error_cells_in_file(path: Any) -> list[tuple[str, str, str]]:
    """(sheet, cell, error) of every error cell of an .xlsx file, read from the sheet XML
    (``t="e"``): python-calamine reads an error cell as an empty string, and openpyxl is slow
    on large books."""
    import re
    import zipfile

    found = []
    with zipfile.ZipFile(path) as archive:
        workbook = archive.read("xl/workbook.xml").decode("utf-8")
        rels = archive.read("xl/_rels/workbook.xml.rels").decode("utf-8")
        targets = dict(re.findall(r'<Relationship\b[^>]*?Id="([^"]+)"[^>]*?Target="([^"]+)"', rels))
        targets |= {
            rid: target
            for target, rid in re.findall(
                r'<Relationship\b[^>]*?Target="([^"]+)"[^>]*?Id="([^"]+)"', rels
            )
        }
        for name, rid in re.findall(r'<sheet\b[^>]*?name="([^"]+)"[^>]*?r:id="([^"]+)"', workbook):
            part = "xl/" + targets[rid].lstrip("/").removeprefix("xl/")
            xml = archive.read(part).decode("utf-8")
            for ref, value in re.findall(
                r'<c r="([A-Z]+\d+)"[^>]*?t="e"[^>]*>(?:<f[^>]*(?:/>|>.*?</f>))?<v>([^<]*)</v>', xml
            ):
                found.append((name, ref, value))
    return found


def unexpected_errors(errors: list[tuple[str, str, str]], written: list[Any]) -> list[Any]:
    """The error cells a template must not show: everything but ``#NAME?`` where a CW_
    function feeds the cell, and ``#N/A`` where the formula asks for it (``NA()``: a chart's
    gap for a month with no figures)."""
    cw = {(c.sheet, c.ref) for c in written if c.uses_cw}
    gaps = {(c.sheet, c.ref) for c in written if "NA()" in c.formula}
    return [
        e
        for e in errors
        if not (e[2] == "#NAME?" and e[:2] in cw) and not (e[2] == "#N/A" and e[:2] in gaps)
    ]
