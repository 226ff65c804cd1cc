"""Dynamic-array functions the engine implements itself: FILTER, UNIQUE, SORT, SEQUENCE and
TRANSPOSE (their results spill)."""

from __future__ import annotations

from typing import Any

import numpy as np

from addin.engine import criteria as crit
from addin.engine.functions import MISSING, register
from addin.engine.values import VALUE, ExcelError, XlError, as_array, to_bool, to_number


@register("FILTER")
def FILTER(values: Any, include: Any, if_empty: Any = MISSING) -> Any:
    """Excel's FILTER: ``include`` is one column as tall as ``values`` (keeps rows) or one row as
    wide (keeps columns), else #VALUE!; text in it is #VALUE!, a blank is FALSE; nothing kept is
    ``if_empty``, or #CALC! without one."""
    array, keep = as_array(values), as_array(include)
    if keep.shape[1] == 1 and keep.shape[0] == array.shape[0]:
        rows = [i for i, c in enumerate(keep[:, 0]) if _include(c)]
        result = array[rows, :]
    elif keep.shape[0] == 1 and keep.shape[1] == array.shape[1]:
        columns = [j for j, c in enumerate(keep[0, :]) if _include(c)]
        result = array[:, columns]
    else:
        raise ExcelError(VALUE)
    if result.size == 0:
        if if_empty is MISSING:
            raise ExcelError("#CALC!", "FILTER found nothing")
        return if_empty
    return result


def _include(cell: Any) -> bool:
    if type(cell) is XlError:
        raise ExcelError(cell)
    if isinstance(cell, str):
        raise ExcelError(VALUE)
    return bool(cell) if cell is not None else False


@register("UNIQUE")
def UNIQUE(values: Any, by_col: Any = False, exactly_once: Any = False) -> Any:
    """Excel's UNIQUE: the first of each distinct row (column with ``by_col``), or only those
    occurring once with ``exactly_once``; text compared ignoring case, a blank as 0; #CALC! when
    none is left."""
    array = as_array(values)
    columns = by_col is not MISSING and to_bool(by_col)
    once = exactly_once is not MISSING and to_bool(exactly_once)
    lines = array.T if columns else array
    counts: dict[tuple[Any, ...], list[int]] = {}
    for i, line in enumerate(lines):
        key = tuple(crit.lookup_key(c if c is not None else 0.0) for c in line)
        counts.setdefault(key, []).append(i)
    keep = [v[0] for v in counts.values() if not once or len(v) == 1]
    if not keep:
        raise ExcelError("#CALC!")
    result = lines[keep, :]
    return result.T if columns else result


_ERROR_ORDER = {code: n for n, code in enumerate(
    ("#NULL!", "#DIV/0!", "#VALUE!", "#REF!", "#NAME?", "#NUM!", "#N/A", "#GETTING_DATA",
     "#SPILL!", "#CALC!"))}  # fmt: skip


def sort_key(value: Any) -> tuple[Any, ...]:
    """Excel's sort order: numbers, text (ignoring case), logicals, errors (by error number)."""
    kind = type(value)
    if kind is bool:
        return (2, value)
    if kind is XlError:
        return (3, _ERROR_ORDER.get(value.code, 99))
    if kind is str:
        return (1, value.casefold())
    return (0, float(value))


@register("SORT")
def SORT(values: Any, index: Any = 1.0, order: Any = 1.0, by_col: Any = False) -> Any:
    """Rows (columns with ``by_col``) sorted by the ``index``-th value, in Excel's order; a
    stable sort either way, blanks last in both directions."""
    array = as_array(values)
    k = 1 if index is MISSING else int(to_number(index))
    descending = order is not MISSING and to_number(order) < 0
    if order is not MISSING and to_number(order) not in (1.0, -1.0):
        raise ExcelError(VALUE, "SORT order is 1 or -1")
    columns = by_col is not MISSING and to_bool(by_col)
    lines = list(array.T if columns else array)
    if not lines or not 1 <= k <= len(lines[0]):
        raise ExcelError(VALUE, "SORT index is outside the array")
    filled = [line for line in lines if line[k - 1] is not None]
    blank = [line for line in lines if line[k - 1] is None]
    # sorted(reverse=True) keeps ties in their order, as Excel does
    ordered = sorted(filled, key=lambda line: sort_key(line[k - 1]), reverse=descending)
    result = np.array(ordered + blank, dtype=object).reshape(len(lines), -1)
    return result.T if columns else result


@register("SEQUENCE")
def SEQUENCE(rows: Any, columns: Any = 1.0, start: Any = 1.0, step: Any = 1.0) -> Any:
    """Numbers in ``rows`` x ``columns`` (an omitted one is 1; fewer than 1 is #VALUE!)."""
    r = 1 if rows is MISSING else int(to_number(rows))
    c = 1 if columns is MISSING else int(to_number(columns))
    first = 1.0 if start is MISSING else to_number(start)
    by = 1.0 if step is MISSING else to_number(step)
    if r < 1 or c < 1:
        raise ExcelError(VALUE, "SEQUENCE needs at least one row and one column")
    out = np.empty((r, c), dtype=object)
    for i in range(r):
        for j in range(c):
            out[i, j] = first + by * (i * c + j)
    return out


@register("TRANSPOSE")
def TRANSPOSE(values: Any) -> Any:
    """Excel's TRANSPOSE: rows become columns (a single value is a 1 x 1 array)."""
    return as_array(values).T.copy()


def _flattened(values: Any, ignore: Any, by_column: Any) -> list[Any]:
    """The cells of ``values`` in order (by row, or by column when ``by_column``), without
    blanks (``ignore`` 1), errors (2) or both (3)."""
    array = as_array(values)
    mode = 0 if ignore is MISSING or ignore is None else int(to_number(ignore))
    if mode not in (0, 1, 2, 3):
        raise ExcelError(VALUE, "ignore must be 0 to 3")
    column_first = False if by_column is MISSING or by_column is None else to_bool(by_column)
    cells = (array.T if column_first else array).ravel().tolist()
    if mode & 1:
        cells = [c for c in cells if c is not None]
    if mode & 2:
        cells = [c for c in cells if type(c) is not XlError]
    if not cells:
        raise ExcelError("#CALC!", "nothing left to return")
    return cells


@register("TOCOL")
def TOCOL(values: Any, ignore: Any = MISSING, scan_by_column: Any = MISSING) -> Any:
    """The cells of an array as one column."""
    cells = _flattened(values, ignore, scan_by_column)
    out = np.empty((len(cells), 1), dtype=object)
    out[:, 0] = cells
    return out


@register("TOROW")
def TOROW(values: Any, ignore: Any = MISSING, scan_by_column: Any = MISSING) -> Any:
    """The cells of an array as one row."""
    cells = _flattened(values, ignore, scan_by_column)
    out = np.empty((1, len(cells)), dtype=object)
    out[0, :] = cells
    return out
