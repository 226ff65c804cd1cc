"""The CW_ functions registered with xlwings for desktop Excel (the UDF module ``udfs.excel``).

The functions themselves are plain Python in ``udfs.functions``; here each gets xlwings'
decorators from its recorded help (``fn.arguments``), the category "Caseload weighting" and a
return converter that turns a ``CellError`` into a real Excel error value.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import xlwings as xw

from udfs.errors import CellError
from udfs.functions import (  # noqa: F401 - the CW_ names xlwings finds in this module
    CATEGORY,
    CW_CAPACITY,
    CW_CASE_WEIGHT,
    CW_ESCALATION,
    CW_LOAD,
    CW_MONTHS_OVER,
    CW_POLICY,
    CW_RANGE,
    CW_REJECTIONS,
    CW_STATUS,
    CW_TEAMS,
    CW_WORKERS,
    EXCEL_FUNCTIONS,
)

__all__ = [*EXCEL_FUNCTIONS, "CATEGORY", "EXCEL_FUNCTIONS", "ExcelValues"]


class ExcelValues(xw.conversion.Converter):
    """Return converter: ``CellError`` becomes a real Excel error; NaN becomes a blank cell."""

    @staticmethod
    def write_value(value: Any, options: dict[str, Any]) -> Any:
        return [[_to_excel_cell(cell) for cell in row] for row in value]


def _to_excel_cell(cell: Any) -> Any:
    if isinstance(cell, CellError):
        try:  # only on Windows, where Excel runs: a VT_ERROR variant is an Excel error value
            import pythoncom
            from win32com.client import VARIANT

            return VARIANT(pythoncom.VT_ERROR, -2146826273)  # xlErrValue
        except ImportError:
            return cell.code
    if isinstance(cell, float) and np.isnan(cell):
        return ""
    return cell


def _register(fn: Any) -> None:
    """Apply xlwings' decorators to ``fn`` as its recorded help says (in place)."""
    xw.ret(ExcelValues)(fn)
    for arg in fn.arguments:
        options = {"doc": arg.doc} if arg.ndim is None else {"ndim": arg.ndim, "doc": arg.doc}
        xw.arg(arg.name, **options)(fn)
    xw.func(category=CATEGORY)(fn)


for _function in EXCEL_FUNCTIONS.values():
    _register(_function)
# xlwings generates one VBA function per module attribute carrying __xlfunc__: a leftover loop
# variable would declare its function twice ("Ambiguous name detected" in VBA)
del _function
