"""Lookup and reference functions the engine implements itself: ROWS, COLUMNS, INDEX, MATCH,
VLOOKUP, HLOOKUP, XLOOKUP and XMATCH (exact lookups through the per-range indexes of
``addin.engine.criteria``; approximate ones by binary search, as Excel)."""

from __future__ import annotations

from bisect import bisect_left
from typing import Any

import numpy as np

from addin.engine import criteria as crit
from addin.engine.functions import MISSING, first_cell, register
from addin.engine.values import (
    NA,
    VALUE,
    ExcelError,
    XlError,
    as_array,
    compare,
    to_bool,
    to_number,
)


@register("ROWS")
def ROWS(values: Any) -> float:
    """Excel's ROWS: the number of rows of an array (1 for a single value)."""
    return float(as_array(values).shape[0])


@register("COLUMNS")
def COLUMNS(values: Any) -> float:
    """Excel's COLUMNS: the number of columns of an array (1 for a single value)."""
    return float(as_array(values).shape[1])


@register("INDEX")
def INDEX(values: Any, row: Any = MISSING, column: Any = MISSING) -> Any:
    """Excel's INDEX: the cell at (``row``, ``column``); 0, blank or omitted for either gives the
    whole column or row; one index into a single row picks a column; #REF! outside the array."""
    array = as_array(values)
    r = 0 if row is MISSING or row is None else int(to_number(row))
    c = 0 if column is MISSING or column is None else int(to_number(column))
    if array.shape[0] == 1 and column is MISSING and r:
        r, c = 1, r
    if r < 0 or c < 0 or r > array.shape[0] or c > array.shape[1]:
        raise ExcelError("#REF!")
    if r and c:
        return array[r - 1, c - 1]
    if r:
        return array[r - 1 : r, :]
    if c:
        return array[:, c - 1 : c]
    return array


def _vector(values: Any) -> np.ndarray:
    array = as_array(values)
    if array.shape[0] != 1 and array.shape[1] != 1:
        raise ExcelError(NA)
    return array.ravel()


def _exact_position(value: Any, vector: np.ndarray, keep: Any, last: bool = False) -> int | None:
    if isinstance(value, str) and any(c in value for c in "*?~"):
        test = crit.wildcard_test(value)
        positions = [i for i, cell in enumerate(vector) if test(cell)]
        return (positions[-1] if last else positions[0]) if positions else None
    if not last and not crit.seen_before(keep):
        # a lookup array met for the first time (often one row's own range): a plain scan;
        # an index pays only when the same array is searched again
        return crit.first_position(value, vector)
    build = crit.last_positions if last else crit.first_positions
    index = crit.cached(("pos", id(keep), last), (keep,), lambda: build(vector))
    return index.get(crit.lookup_key(value))


def _sorted_numbers(vector: np.ndarray) -> tuple[list[float], list[int]] | None:
    """The numbers of ``vector`` and their positions when it holds only numbers and blanks,
    in ascending order (so a binary search finds what a scan would); else ``None``."""
    numbers: list[float] = []
    positions: list[int] = []
    for position, cell in enumerate(vector.tolist()):
        if type(cell) is float:
            if numbers and cell < numbers[-1]:
                return None
            numbers.append(cell)
            positions.append(position)
        elif cell is not None:
            return None
    return numbers, positions


def _sorted_position(
    value: Any, vector: np.ndarray, descending: bool = False, keep: Any = None
) -> int | None:
    if not descending and type(value) is float and keep is not None:
        found = crit.cached(("sorted", id(keep)), (keep,), lambda: _sorted_numbers(vector))
        if found is not None:
            numbers, positions = found
            at = bisect_left(numbers, value)
            if at < len(numbers) and numbers[at] == value:
                return positions[at]  # the first equal number, as the scan below finds
            return positions[at - 1] if at else None
    best = None
    for position, cell in enumerate(vector):
        if cell is None or type(cell) is XlError:
            continue
        sign = compare(cell, value)
        if (sign <= 0) if not descending else (sign >= 0):
            best = position
            if sign == 0:
                return position if not descending else position
        elif not descending:
            break
    return best


@register("MATCH")
def MATCH(value: Any, values: Any, match_type: Any = 1.0) -> float:
    """Excel's MATCH: 1-based position in a single row or column (else #N/A); ``match_type`` 0 exact
    (text ignores case, wildcards); positive, in ascending data, the first equal value (Excel may
    give a later one) else the last smaller one; negative likewise with larger values in descending
    data; #N/A when not found."""
    kind = 1 if match_type is MISSING else int(to_number(match_type))
    vector = _vector(values)
    value = first_cell(value)
    if kind == 0:
        position = _exact_position(value, vector, values)
    else:
        position = _sorted_position(value, vector, descending=kind < 0, keep=values)
    if position is None:
        raise ExcelError(NA)
    return float(position + 1)


@register("VLOOKUP")
def VLOOKUP(value: Any, table: Any, column: Any, approximate: Any = True) -> Any:
    """Excel's VLOOKUP: exact with ``approximate`` FALSE (text ignores case, wildcards), else (first
    column ascending) the first equal value or the last smaller one; #VALUE! for a ``column`` below
    1, #REF! past the table, #N/A when not found."""
    array = as_array(table)
    c = int(to_number(column))
    if c < 1:
        raise ExcelError(VALUE)
    if c > array.shape[1]:
        raise ExcelError("#REF!")
    exact = approximate is not MISSING and not to_bool(approximate)
    first = array[:, 0]
    if exact:
        position = _exact_position(
            first_cell(value),
            first,
            crit.cached(("col0", id(table)), (table,), lambda: np.ascontiguousarray(first)),
        )
    else:
        position = _sorted_position(first_cell(value), first)
    if position is None:
        raise ExcelError(NA)
    return array[position, c - 1]


@register("HLOOKUP")
def HLOOKUP(value: Any, table: Any, row: Any, approximate: Any = True) -> Any:
    """Excel's HLOOKUP: VLOOKUP on the transposed table (``row`` counts rows)."""
    return VLOOKUP(value, as_array(table).T.copy(), row, approximate)


@register("XLOOKUP")
def XLOOKUP(
    value: Any,
    lookup: Any,
    returns: Any,
    if_not_found: Any = MISSING,
    match_mode: Any = 0.0,
    search_mode: Any = 1.0,
) -> Any:
    """Excel's XLOOKUP: ``match_mode`` 0 exact, -1 exact or next smaller, 1 exact or next
    larger, 2 wildcards; ``search_mode`` 1 first to last, -1 last to first, 2/-2 binary
    search of data sorted ascending/descending."""
    vector = _vector(lookup)
    mode = 0 if match_mode is MISSING else int(to_number(match_mode))
    search = 1 if search_mode is MISSING else int(to_number(search_mode))
    wildcard_binary = mode == 2 and search in (2, -2)
    if mode not in (-1, 0, 1, 2) or search not in (1, -1, 2, -2) or wildcard_binary:
        raise ExcelError(VALUE, "XLOOKUP match or search mode not allowed")
    result_array = as_array(returns)
    lookup_array = as_array(lookup)
    along_rows = lookup_array.shape[1] == 1 and lookup_array.shape[0] > 1
    if (result_array.shape[0] if along_rows else result_array.shape[1]) != vector.size and not (
        vector.size == 1 and result_array.size >= 1
    ):
        raise ExcelError(VALUE, "the lookup and return arrays differ in size")
    value = first_cell(value)
    if value is MISSING:  # XLOOKUP(,...): looks up 0
        value = 0.0
    position: int | None
    if search in (2, -2):
        position = _binary_position(value, vector, mode, descending=search == -2)
    elif mode == 0:
        position = (
            _exact_position(value, vector, lookup, last=search < 0)
            if not (isinstance(value, str) and any(c in value for c in "*?~"))
            else _plain_exact(value, vector, search < 0)
        )
    elif mode == 2:
        position = _exact_position(value, vector, lookup, last=search < 0)
    else:
        position = _nearest(value, vector, mode, last=search < 0)
    if position is None:
        if if_not_found is MISSING:
            raise ExcelError(NA)
        return if_not_found
    if result_array.shape[0] == vector.size and vector.size != 1 or result_array.shape[1] == 1:
        return (
            result_array[position : position + 1, :]
            if result_array.shape[1] > 1
            else (result_array[position, 0])
        )
    return (
        result_array[:, position : position + 1]
        if result_array.shape[0] > 1
        else (result_array[0, position])
    )


def _plain_exact(value: str, vector: np.ndarray, last: bool) -> int | None:
    key = crit.lookup_key(value)
    positions = [i for i, cell in enumerate(vector) if crit.lookup_key(cell) == key]
    return (positions[-1] if last else positions[0]) if positions else None


def _nearest(value: Any, vector: np.ndarray, mode: int, last: bool = False) -> int | None:
    """The exact match, else the next smaller (``mode`` -1) or larger (1) value, in Excel's
    order across types; ``last``: of equal candidates, the last."""
    best, best_cell = None, None
    exact = None
    for position, cell in enumerate(vector):
        if cell is None or type(cell) is XlError:
            continue
        sign = compare(cell, value)
        if sign == 0:
            if not last:
                return position
            exact = position
            continue
        if (mode == -1 and sign < 0) or (mode == 1 and sign > 0):
            if best is None:
                best, best_cell = position, cell
                continue
            order = compare(cell, best_cell)
            if (order > 0 if mode == -1 else order < 0) or (order == 0 and last):
                best, best_cell = position, cell
    return exact if exact is not None else best


def _binary_position(value: Any, vector: np.ndarray, mode: int, descending: bool) -> int | None:
    """XLOOKUP/XMATCH's binary search of data sorted ascending (or ``descending``): blanks
    and errors left out; of equal values, the first one the halving meets."""
    cells = [(i, c) for i, c in enumerate(vector) if c is not None and type(c) is not XlError]
    sign = -1 if descending else 1
    lo, hi, found = 0, len(cells) - 1, None
    while lo <= hi:
        mid = (lo + hi) // 2
        order = compare(cells[mid][1], value) * sign
        if order == 0:
            found = mid
            break
        elif order < 0:
            lo = mid + 1
        else:
            hi = mid - 1
    if found is not None:
        return cells[found][0]
    if mode == -1:  # next smaller
        at = hi if not descending else lo
    elif mode == 1:  # next larger
        at = lo if not descending else hi
    else:
        return None
    return cells[at][0] if 0 <= at < len(cells) else None


@register("XMATCH")
def XMATCH(value: Any, lookup: Any, match_mode: Any = 0.0, search_mode: Any = 1.0) -> float:
    """Excel's XMATCH: 1-based position through XLOOKUP's match and search modes; the lookup array
    must be a single row or column (else #N/A)."""
    vector = _vector(lookup)
    position = XLOOKUP(
        value,
        vector.reshape(-1, 1),
        np.arange(vector.size, dtype=object).reshape(-1, 1),
        MISSING,
        match_mode,
        search_mode,
    )
    return float(position) + 1.0
