"""Headless recalculation of workbooks that use the CW_ functions (see docs/recalc.md).

``Workbook.load(path)`` reads an .xlsx package, ``calculate()`` evaluates every formula (Excel's
functions and ours), ``get``/``set`` read and change cells, ``errors`` lists the cells that ended
in an error, and ``save_copy(out)`` writes the original package with cached values added.
"""

from typing import Any

from addin.engine.values import XlError


def __getattr__(name: str) -> Any:
    if name in ("CellErrorReport", "Workbook", "WorkbookUnusable"):
        from addin.engine import workbook

        return getattr(workbook, name)
    raise AttributeError(name)


__all__ = ["CellErrorReport", "Workbook", "WorkbookUnusable", "XlError"]
