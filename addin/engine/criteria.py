"""Excel's criteria (SUMIFS, COUNTIFS...) and lookup matching, with per-range index caches.

A criteria or lookup range is usually the same array object for every row of a column of
formulas (see ``addin.engine.evaluator``), so the hash index built for it is built once per
calculation, making a column of SUMIFS/COUNTIFS/XLOOKUP cost O(rows) instead of O(rows^2).
"""

from __future__ import annotations

import re
import weakref
from collections.abc import Callable
from typing import Any

import numpy as np

from addin.engine.values import ERROR_CODES, XlError, compare, parse_number_text

_OPERATOR = re.compile(r"^(<=|>=|<>|=|<|>)?(.*)$", re.S)
_CACHE: dict[tuple[Any, ...], tuple[Any, ...]] = {}


_SEEN: dict[int, Any] = {}
# Arrays of whole rows/columns clipped to the used cells: id -> (weak reference, cells Excel
# sees in the whole reference), so COUNTIF can count the empty cells beyond the used range.
_CLIPPED: dict[int, tuple[weakref.ref[np.ndarray], int]] = {}


def note_clipped(array: np.ndarray, full_cells: int) -> None:
    """Record that ``array`` stands for a reference of ``full_cells`` cells (a whole row or
    column clipped to the used cells)."""
    if full_cells > array.size:
        _CLIPPED[id(array)] = (weakref.ref(array), full_cells)


def unseen_cells(array: Any) -> int:
    """How many empty cells beyond ``array`` its (whole row or column) reference covers."""
    hit = _CLIPPED.get(id(array))
    if hit is None or hit[0]() is not array:
        return 0
    return hit[1] - array.size


def clear_caches() -> None:
    """Forget every index (called at the start of each calculation)."""
    _CACHE.clear()
    _SEEN.clear()
    for key in [k for k, (ref, _) in _CLIPPED.items() if ref() is None]:
        del _CLIPPED[key]


def seen_before(array: Any) -> bool:
    """True from the second time ``array`` (the same object) is asked about."""
    key = id(array)
    if key in _SEEN:
        return True
    _SEEN[key] = array  # held, so its id is not reused during the calculation
    return False


def first_position(value: Any, cells: np.ndarray) -> int | None:
    """First position of an exact-lookup match of ``value`` in the flattened cells, by a scan
    (``first_positions`` without building the index)."""
    items = cells.ravel().tolist()
    kind = type(value)
    if kind is float:
        start = 0
        while True:  # list.index compares with ==, so True == 1.0: check the type
            try:
                found = items.index(value, start)
            except ValueError:
                return None
            if type(items[found]) is float:
                return found
            start = found + 1
    if kind is str:
        folded = value.casefold()
        for position, cell in enumerate(items):
            if type(cell) is str and cell.casefold() == folded:
                return position
        return None
    key = lookup_key(value)
    for position, cell in enumerate(items):
        if lookup_key(cell) == key:
            return position
    return None


def cached(key: tuple[Any, ...], keep: tuple[Any, ...], build: Callable[[], Any]) -> Any:
    """A value built once per ``key``; ``keep`` holds the arrays whose ids are in the key."""
    hit = _CACHE.get(key)
    if hit is None:
        hit = (keep, build())
        _CACHE[key] = hit
    return hit[1]


def criteria_key(value: Any) -> Any:
    """Normalised key for criteria equality: numeric text is its number, text ignores case."""
    kind = type(value)
    if kind is float:
        return value
    if kind is bool:
        return ("b", value)
    if kind is str:
        number = parse_number_text(value)
        return number if number is not None else value.casefold()
    if kind is XlError:
        return ("e", value.code)
    if value is None:
        return None
    return float(value)


def lookup_key(value: Any) -> Any:
    """Normalised key for exact lookups: types stay apart, text ignores case."""
    kind = type(value)
    if kind is float:
        return value
    if kind is str:
        return ("s", value.casefold())
    if kind is bool:
        return ("b", value)
    if kind is XlError:
        return ("e", value.code)
    if value is None:
        return None
    return float(value)


def _wildcard(pattern: str) -> re.Pattern[str]:
    out, escape = [], False
    for char in pattern:
        if escape:
            out.append(re.escape(char))
            escape = False
        elif char == "~":
            escape = True
        elif char == "*":
            out.append(".*")
        elif char == "?":
            out.append(".")
        else:
            out.append(re.escape(char))
    return re.compile("^" + "".join(out) + "$", re.S | re.I)


def equality_criterion(criterion: Any) -> tuple[bool, Any]:
    """(True, key) when ``criterion`` is a plain equality test a hash index can answer."""
    if criterion is None:
        return True, 0.0
    if isinstance(criterion, str) and (
        criterion == ""
        or criterion[0] in "<>=#"
        or any(c in criterion for c in "*?~")
        or criterion.upper() in ("TRUE", "FALSE")  # matches the logical, not the text
    ):
        return False, None
    return True, criteria_key(criterion)


def predicate(criterion: Any) -> Callable[[Any], bool]:
    """A test of one cell against a criterion ("<5", "a*", 3, "<>", "" ...)."""
    plain, key = equality_criterion(criterion)
    if plain:
        return lambda cell: criteria_key(cell) == key
    text = criterion
    op, operand = _OPERATOR.match(text).groups()  # type: ignore[union-attr]
    op = op or "="
    number = parse_number_text(operand) if operand else None
    if operand == "":
        if text == "":  # "" matches empty cells and empty text
            return lambda cell: cell is None or cell == ""
        if op == "=":  # "=" matches empty cells only
            return lambda cell: cell is None
        if op == "<>":  # "<>" matches every cell that is not empty, "" text included
            return lambda cell: cell is not None
        return lambda cell: False
    if operand.upper() in ERROR_CODES:  # "#N/A", "<>#DIV/0!": the error value, not the text
        code = operand.upper()
        if op not in ("=", "<>"):
            return lambda cell: False
        same = op == "="
        return lambda cell: (type(cell) is XlError and cell.code == code) == same
    if number is not None:
        return _number_test(op, number)
    upper = operand.upper()
    if upper in ("TRUE", "FALSE"):
        flag = upper == "TRUE"
        return lambda cell: (type(cell) is bool and cell == flag) == (op == "=")
    if op in ("=", "<>"):
        if any(c in operand for c in "*?~"):
            regex = _wildcard(operand)
            match = lambda cell: isinstance(cell, str) and bool(regex.match(cell))  # noqa: E731
        else:
            folded = operand.casefold()
            match = lambda cell: isinstance(cell, str) and cell.casefold() == folded  # noqa: E731
        return match if op == "=" else (lambda cell: not match(cell))
    return lambda cell: (
        isinstance(cell, str) and type(cell) is not XlError and _ordered(op, compare(cell, operand))
    )


def _number_test(op: str, number: float) -> Callable[[Any], bool]:
    def test(cell: Any) -> bool:
        if type(cell) is str:
            if op == "<>":  # text is never the number, even text that reads as it
                return True
            cell_number = parse_number_text(cell) if op == "=" else None
            if cell_number is None:
                return op == "<>"
            cell = cell_number
        if type(cell) is not float:
            return op == "<>"
        return _ordered(op, (cell > number) - (cell < number))

    return test


def _ordered(op: str, sign: int) -> bool:
    return {
        "=": sign == 0,
        "<>": sign != 0,
        "<": sign < 0,
        ">": sign > 0,
        "<=": sign <= 0,
        ">=": sign >= 0,
    }[op]


def criteria_mask(cells: np.ndarray, criterion: Any) -> np.ndarray:
    """Boolean mask of the cells (flattened) meeting ``criterion``."""
    test = predicate(criterion)
    return np.fromiter((test(c) for c in cells.ravel()), dtype=bool, count=cells.size)


def grouped_index(ranges: tuple[np.ndarray, ...]) -> dict[tuple[Any, ...], list[int]]:
    """Positions of each combination of criteria keys across the (equally shaped) ranges."""
    keys = [[criteria_key(c) for c in r.ravel()] for r in ranges]
    index: dict[tuple[Any, ...], list[int]] = {}
    for position, combo in enumerate(zip(*keys, strict=True)):
        index.setdefault(combo, []).append(position)
    return index


def first_positions(cells: np.ndarray) -> dict[Any, int]:
    """First position of each exact-lookup key in the flattened cells."""
    index: dict[Any, int] = {}
    for position, cell in enumerate(cells.ravel()):
        index.setdefault(lookup_key(cell), position)
    return index


def last_positions(cells: np.ndarray) -> dict[Any, int]:
    """Last position of each exact-lookup key in the flattened cells."""
    index: dict[Any, int] = {}
    for position, cell in enumerate(cells.ravel()):
        index[lookup_key(cell)] = position
    return index


def wildcard_search(pattern: str) -> re.Pattern[str]:
    """An Excel wildcard pattern (``?``, ``*``, ``~`` escapes) as a case-insensitive regex that
    finds it anywhere in a text (for SEARCH)."""
    anchored = _wildcard(pattern).pattern
    return re.compile(anchored[1:-1], re.S | re.I)


def wildcard_test(pattern: str) -> Callable[[Any], bool]:
    """Match text cells against an Excel wildcard pattern."""
    regex = _wildcard(pattern)
    return lambda cell: isinstance(cell, str) and bool(regex.match(cell))
