"""Logic and information functions the engine implements itself: IF, IFS, IFERROR, IFNA, AND, OR,
XOR, NOT, SWITCH, CHOOSE, the IS functions, NA and N."""

from __future__ import annotations

from typing import Any

import numpy as np

from addin.engine.functions import MISSING, elementwise, first_cell, register
from addin.engine.values import NA, VALUE, ExcelError, XlError, compare, to_bool, to_number


@register("IF", error_aware=True)
def IF(condition: Any, then: Any = True, otherwise: Any = False) -> Any:
    """Excel's IF for array conditions and direct calls (formulas go through the evaluator's lazy
    ``_if``): a condition of more than one cell chooses cell by cell; an error condition is the
    result."""
    if isinstance(condition, np.ndarray) and condition.size > 1:
        return elementwise(IF, (condition, then, otherwise), error_aware=True)
    if type(condition) is XlError:
        return condition
    chosen = then if to_bool(first_cell(condition)) else otherwise
    if chosen is MISSING:
        return 0.0 if otherwise is MISSING and not to_bool(first_cell(condition)) else False
    return chosen


@register("IFS", error_aware=True)
def IFS(*pairs: Any) -> Any:
    """Excel's IFS: the value of the first true condition; an error condition is the result, an
    array condition #VALUE!; #N/A when none is true."""
    for condition, value in zip(pairs[::2], pairs[1::2], strict=False):
        if type(condition) is XlError:
            return condition
        if to_bool(condition):
            return value
    raise ExcelError(NA)


@register("IFERROR", error_aware=True)
def IFERROR(value: Any, fallback: Any) -> Any:
    """Excel's IFERROR (formulas go through the evaluator's lazy ``_iferror``): ``fallback`` for an
    error, or for each error cell of an array."""
    if isinstance(value, np.ndarray):
        out = value.copy()
        for index, cell in np.ndenumerate(value):
            if type(cell) is XlError:
                out[index] = fallback
        return out
    return fallback if type(value) is XlError else value


@register("IFNA", error_aware=True)
def IFNA(value: Any, fallback: Any) -> Any:
    """Excel's IFNA: ``fallback`` for #N/A, or for each #N/A cell of an array; other errors stay."""
    if isinstance(value, np.ndarray):
        out = value.copy()
        for index, cell in np.ndenumerate(value):
            if type(cell) is XlError and cell.code == NA:
                out[index] = fallback
        return out
    return fallback if type(value) is XlError and value.code == NA else value


def _logicals(args: tuple[Any, ...]) -> list[bool]:
    """The logicals AND, OR and XOR combine: in ranges (a referenced cell included) numbers and
    logicals, text and blanks skipped; typed in, "TRUE"/"FALSE" text too ("" is skipped, other
    text is #VALUE!); none at all is #VALUE!."""
    out: list[bool] = []
    for arg in args:
        if arg is MISSING:
            continue
        if isinstance(arg, np.ndarray):
            for cell in arg.ravel():
                if type(cell) is XlError:
                    raise ExcelError(cell)
                if cell is not None and not isinstance(cell, str):
                    out.append(to_bool(cell))
        elif isinstance(arg, str):
            if arg.upper() in ("TRUE", "FALSE"):
                out.append(arg.upper() == "TRUE")
            elif arg:
                raise ExcelError(VALUE, "text is not a logical")
        elif arg is not None:
            out.append(to_bool(arg))
    if not out:
        raise ExcelError(VALUE, "no logical values")
    return out


@register("AND")
def AND(*args: Any) -> bool:
    """Excel's AND of the logicals ``_logicals`` reads; #VALUE! when there are none."""
    return all(_logicals(args))


@register("OR")
def OR(*args: Any) -> bool:
    """Excel's OR of the logicals ``_logicals`` reads; #VALUE! when there are none."""
    return any(_logicals(args))


@register("XOR")
def XOR(*args: Any) -> bool:
    """Excel's XOR: TRUE when an odd number of the logicals ``_logicals`` reads are TRUE."""
    return sum(_logicals(args)) % 2 == 1


@register("NOT", elementwise=True)
def NOT(value: Any) -> bool:
    """Excel's NOT: numbers, blanks and "TRUE"/"FALSE" text coerced; other text #VALUE!."""
    return not to_bool(value)


@register("SWITCH", error_aware=True)
def SWITCH(expression: Any, *pairs: Any) -> Any:
    """Excel's SWITCH: the value paired with the first key equal to ``expression`` (same type; text
    ignores case), else the odd last argument as a default, else #N/A; an error ``expression`` is
    the result."""
    if type(expression) is XlError:
        return expression
    for key, value in zip(pairs[::2], pairs[1::2], strict=False):
        if compare(expression, key) == 0 and type(expression) is type(key):
            return value
    if len(pairs) % 2:
        return pairs[-1]
    raise ExcelError(NA)


@register("CHOOSE")
def CHOOSE(index: Any, *options: Any) -> Any:
    """Excel's CHOOSE: the option at ``index`` (truncated); #VALUE! outside 1 .. the number of
    options. Formulas go through the evaluator's lazy ``_choose``."""
    position = int(to_number(index))
    if not 1 <= position <= len(options):
        raise ExcelError(VALUE)
    return options[position - 1]


def _raise(code: str) -> Any:
    raise ExcelError(code)


@register("ISBLANK", error_aware=True, elementwise=True)
def ISBLANK(value: Any) -> bool:
    """Excel's ISBLANK: TRUE only for an empty cell (not for "")."""
    return first_cell(value) is None


@register("ISERROR", error_aware=True, elementwise=True)
def ISERROR(value: Any) -> bool:
    """Excel's ISERROR: TRUE for any error value."""
    return type(first_cell(value)) is XlError


@register("ISERR", error_aware=True, elementwise=True)
def ISERR(value: Any) -> bool:
    """Excel's ISERR: TRUE for any error value except #N/A."""
    value = first_cell(value)
    return type(value) is XlError and value.code != NA


@register("ISNA", error_aware=True, elementwise=True)
def ISNA(value: Any) -> bool:
    """Excel's ISNA: TRUE for #N/A only."""
    value = first_cell(value)
    return type(value) is XlError and value.code == NA


@register("ISNUMBER", error_aware=True, elementwise=True)
def ISNUMBER(value: Any) -> bool:
    """Excel's ISNUMBER: TRUE for a number (not for text that reads as one)."""
    return type(first_cell(value)) is float


@register("ISTEXT", error_aware=True, elementwise=True)
def ISTEXT(value: Any) -> bool:
    """Excel's ISTEXT: TRUE for text, "" included."""
    return type(first_cell(value)) is str


@register("ISLOGICAL", error_aware=True, elementwise=True)
def ISLOGICAL(value: Any) -> bool:
    """Excel's ISLOGICAL: TRUE for TRUE or FALSE."""
    return type(first_cell(value)) is bool


@register("NA")
def NA_() -> Any:
    """Excel's NA: always #N/A."""
    raise ExcelError(NA)


@register("N", error_aware=True, elementwise=True)
def N(value: Any) -> Any:
    """Excel's N: a number as it is, TRUE as 1, anything else (text, FALSE, blank) 0; an error is
    the result."""
    value = first_cell(value)
    if type(value) is XlError:
        return value
    return value if type(value) is float else (1.0 if value is True else 0.0)
