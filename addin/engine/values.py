"""Cell values inside the engine: Python scalars, ``None`` for empty, ``XlError`` for errors.

Numbers are ``float`` (Excel has no integers), text is ``str``, logicals are ``bool``. Ranges
and arrays are 2-D numpy object arrays of those scalars.
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable
from typing import Any

import numpy as np

from addin.xlsx.cell_values import XlError, number_text  # the engine's values, as stored

ERROR_CODES = (
    "#NULL!",
    "#DIV/0!",
    "#VALUE!",
    "#REF!",
    "#NAME?",
    "#NUM!",
    "#N/A",
    "#SPILL!",
    "#CALC!",
    "#GETTING_DATA",
)


class ExcelError(Exception):
    """Raised inside function implementations; the caller turns it into its ``XlError``."""

    def __init__(self, error: XlError | str, reason: str = "") -> None:
        self.error = error if isinstance(error, XlError) else XlError(error, reason)
        super().__init__(self.error.code)


def err(code: str, reason: str = "") -> XlError:
    """A new error value of ``code``."""
    return XlError(code, reason)


VALUE, DIV0, NA, NAME, REF, NUM = "#VALUE!", "#DIV/0!", "#N/A", "#NAME?", "#REF!", "#NUM!"

_NUMBER_TEXT = re.compile(r"^\s*[-+]?(\d+\.?\d*|\.\d+)([eE][-+]?\d+)?\s*%?\s*$")


def is_error(value: Any) -> bool:
    """True for an error value."""
    return type(value) is XlError


def parse_number_text(text: str) -> float | None:
    """The number a text reads as in arithmetic ("5", " 2.5 ", "50%"), else ``None``."""
    if not _NUMBER_TEXT.match(text):
        return None
    text = text.strip()
    if text.endswith("%"):
        return float(text[:-1]) / 100.0
    return float(text)


def to_number(value: Any) -> float:
    """Coerce as Excel arithmetic does; raises ``ExcelError`` (#VALUE! or the error itself)."""
    kind = type(value)
    if kind is float:
        return value
    if value is None:
        return 0.0
    if kind is bool:
        return 1.0 if value else 0.0
    if kind is int or isinstance(value, int | float | np.number):
        return float(value)
    if kind is XlError:
        raise ExcelError(value)
    if isinstance(value, str):
        number = parse_number_text(value)
        if number is None:
            number = _date_or_time_text(value)
        if number is None:
            raise ExcelError(VALUE, "the text is not a number")
        return number
    raise ExcelError(VALUE)


_ISO_DATE_TEXT = re.compile(r"^(\d{4})-(\d{1,2})-(\d{1,2})$")
_TIME_TEXT = re.compile(r"^\s*(\d{1,2}):(\d{2})(?::(\d{2}(?:\.\d*)?))?\s*$")


def _date_or_time_text(text: str) -> float | None:
    """The serial of an ISO date ("2024-01-10") or a time ("14:30", "14:30:15") written as
    text, as Excel's arithmetic reads them; ``None`` for other text."""
    import datetime as _dt

    if "-" in text:
        match = _ISO_DATE_TEXT.match(text)
        if match:
            try:
                day = _dt.date(*(int(g) for g in match.groups()))
            except ValueError:
                return None
            return float((day - _dt.date(1899, 12, 30)).days)
    elif ":" in text:
        match = _TIME_TEXT.match(text)
        if match:
            hours, minutes = int(match.group(1)), int(match.group(2))
            seconds = float(match.group(3) or 0)
            if minutes < 60 and seconds < 60:
                return (hours * 3600 + minutes * 60 + seconds) / 86400
    return None


def to_text(value: Any) -> str:
    """Coerce to text as ``&`` does."""
    if value is None:
        return ""
    if type(value) is XlError:
        raise ExcelError(value)
    if isinstance(value, bool):
        return "TRUE" if value else "FALSE"
    if isinstance(value, float | int):
        return number_text(float(value))
    return str(value)


def to_bool(value: Any) -> bool:
    """Coerce to a logical as IF/AND do."""
    if type(value) is bool:
        return value
    if value is None:
        return False
    if type(value) is XlError:
        raise ExcelError(value)
    if isinstance(value, int | float):
        return value != 0
    if isinstance(value, str):
        upper = value.strip().upper()
        if upper == "TRUE":
            return True
        if upper == "FALSE":
            return False
    raise ExcelError(VALUE, f"{value!r} is not a logical value")


def _type_rank(value: Any) -> int:
    if isinstance(value, bool):
        return 2
    if isinstance(value, str):
        return 1
    return 0


def compare(a: Any, b: Any) -> int:
    """Excel ordering of two scalars: numbers < text < logicals; text ignores case."""
    if a is None:
        a = "" if isinstance(b, str) else (False if isinstance(b, bool) else 0.0)
    if b is None:
        b = "" if isinstance(a, str) else (False if isinstance(a, bool) else 0.0)
    ra, rb = _type_rank(a), _type_rank(b)
    if ra != rb:
        return -1 if ra < rb else 1
    if ra == 1:
        a, b = a.casefold(), b.casefold()
    return (a > b) - (a < b)


def as_array(value: Any) -> np.ndarray:
    """Any value as a 2-D object array (a scalar is 1 x 1)."""
    if isinstance(value, np.ndarray):
        return value if value.ndim == 2 else value.reshape(1, -1)
    out = np.empty((1, 1), dtype=object)
    out[0, 0] = value
    return out


def map_cells(fn: Callable[[Any], Any], value: Any) -> Any:
    """``fn`` of a scalar; of an array, an object array of ``fn`` of each cell (and so on into
    arrays held in cells)."""
    if isinstance(value, np.ndarray):
        out = np.empty(value.shape, dtype=object)
        for index, cell in np.ndenumerate(value):
            out[index] = map_cells(fn, cell)
        return out
    return fn(value)


OUTSIDE = object()  # what ``broadcast_cell`` gives past an array's end


def broadcast_cell(array: np.ndarray, i: int, j: int) -> Any:
    """Cell (i, j) of a 2-D array broadcast as Excel does (a single row or column repeats);
    ``OUTSIDE`` where the array has no such cell (Excel shows #N/A there)."""
    r = 0 if array.shape[0] == 1 else i
    c = 0 if array.shape[1] == 1 else j
    if r >= array.shape[0] or c >= array.shape[1]:
        return OUTSIDE
    return array[r, c]


def clean(value: Any) -> Any:
    """A Python/numpy value as an engine scalar (float numbers, None for empty)."""
    if value is None or type(value) in (str, bool, XlError):
        return value
    if isinstance(value, bool | np.bool_):
        return bool(value)
    if isinstance(value, int | float | np.number):
        number = float(value)
        if math.isnan(number):
            return None
        if math.isinf(number):
            return XlError(NUM)
        return number
    return value
