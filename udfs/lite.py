"""What the CW_ functions need inside xlwings Lite (Python in the browser, Pyodide), beyond the
functions themselves: turning their results into cells Office.js accepts.

Imports nothing from xlwings: ``main.py`` (written by ``caseload addin lite``) applies Lite's
decorators and calls these.
"""

from __future__ import annotations

from typing import Any

from udfs.errors import CellError


def lite_cells(rows: list[list[Any]]) -> list[list[Any]]:
    """A CW_ function's 2-D result as xlwings Lite returns it to Excel: a ``CellError``
    becomes its code (``#VALUE!``), which Lite turns into a real Excel error; its reason is
    printed to Lite's output pane (a reason never shows text typed into a child's row)."""
    out: list[list[Any]] = []
    for row in rows:
        cells = []
        for cell in row:
            if isinstance(cell, CellError):
                print(cell.reason)
                cells.append(cell.code)
            else:
                cells.append(cell)
        out.append(cells)
    return out
