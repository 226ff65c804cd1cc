"""Information functions the engine implements itself: ERROR.TYPE, which must see its error
argument (``formulas`` raises on one), so that a tracker's
``=IF(ISERROR(A4),IF(ERROR.TYPE(A4)=5,"functions not loaded",A4),...)`` works."""

from __future__ import annotations

from typing import Any

from addin.engine.functions import register
from addin.engine.values import NA, ExcelError, XlError

ERROR_NUMBERS = {
    "#NULL!": 1.0,
    "#DIV/0!": 2.0,
    "#VALUE!": 3.0,
    "#REF!": 4.0,
    "#NAME?": 5.0,
    "#NUM!": 6.0,
    "#N/A": 7.0,
    "#GETTING_DATA": 8.0,
    "#SPILL!": 9.0,
    "#CONNECT!": 10.0,
    "#BLOCKED!": 11.0,
    "#UNKNOWN!": 12.0,
    "#FIELD!": 13.0,
    "#CALC!": 14.0,
}


@register("ERROR.TYPE", error_aware=True, elementwise=True)
def ERROR_TYPE(value: Any) -> float:
    """The number of an error value (#NAME? is 5); anything else is #N/A."""
    if type(value) is XlError and value.code in ERROR_NUMBERS:
        return ERROR_NUMBERS[value.code]
    raise ExcelError(NA, "ERROR.TYPE of a value that is not an error")
