"""Aggregate functions the engine implements itself: SUM, PRODUCT, MIN, MAX, AVERAGE, MEDIAN,
COUNT, COUNTA, COUNTBLANK and SUMPRODUCT, and the conditional aggregates (SUMIFS, COUNTIFS,
AVERAGEIFS, MAXIFS, MINIFS, SUMIF, COUNTIF, AVERAGEIF) with Excel's criteria
(``addin.engine.criteria``)."""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import Any

import numpy as np

from addin.engine import criteria as crit
from addin.engine.functions import MISSING, cells, first_cell, numeric_args, register
from addin.engine.values import (
    DIV0,
    NA,
    NUM,
    OUTSIDE,
    VALUE,
    ExcelError,
    XlError,
    as_array,
    broadcast_cell,
    to_number,
)


@register("SUM")
def SUM(*args: Any) -> float:
    """Excel's SUM: numbers in ranges (text, logicals and blanks skipped; an error cell is the
    result); typed-in arguments coerced, so text that is not a number is #VALUE!."""
    return math.fsum(numeric_args(args))


@register("PRODUCT")
def PRODUCT(*args: Any) -> float:
    """Excel's PRODUCT, reading arguments as SUM does; 0 when there are no numbers."""
    numbers = numeric_args(args)
    return math.prod(numbers) if numbers else 0.0  # no numbers at all: 0, as Excel


@register("MIN")
def MIN(*args: Any) -> float:
    """Excel's MIN, reading arguments as SUM does; 0 when there are no numbers."""
    numbers = numeric_args(args)
    return min(numbers) if numbers else 0.0


@register("MAX")
def MAX(*args: Any) -> float:
    """Excel's MAX, reading arguments as SUM does; 0 when there are no numbers."""
    numbers = numeric_args(args)
    return max(numbers) if numbers else 0.0


@register("AVERAGE")
def AVERAGE(*args: Any) -> float:
    """Excel's AVERAGE, reading arguments as SUM does; #DIV/0! when there are no numbers."""
    numbers = numeric_args(args)
    if not numbers:
        raise ExcelError(DIV0)
    return math.fsum(numbers) / len(numbers)


@register("MEDIAN")
def MEDIAN(*args: Any) -> float:
    """Excel's MEDIAN, reading arguments as SUM does; #NUM! when there are no numbers."""
    numbers = numeric_args(args)
    if not numbers:
        raise ExcelError(NUM)
    return float(np.median(numbers))


@register("COUNT", error_aware=True)
def COUNT(*args: Any) -> float:
    """Excel's COUNT: number cells in ranges (errors not counted, not raised); a typed-in argument
    counts when it coerces to a number ("5", TRUE)."""
    total = 0
    for arg in args:
        if isinstance(arg, np.ndarray):
            total += sum(1 for c in arg.ravel() if type(c) is float)
        elif arg is not MISSING and type(arg) is not XlError:
            try:
                to_number(arg)
                total += 1
            except ExcelError:
                pass
    return float(total)


@register("COUNTA", error_aware=True)
def COUNTA(*args: Any) -> float:
    """Excel's COUNTA: the non-empty values, errors and "" text included; omitted arguments are not
    counted."""
    return float(sum(1 for c in cells(*args) if c is not None))


@register("COUNTBLANK")
def COUNTBLANK(values: Any) -> float:
    """Excel's COUNTBLANK: cells that are empty or hold ""."""
    return float(sum(1 for c in cells(values) if c is None or c == ""))


@register("SUMPRODUCT")
def SUMPRODUCT(*arrays: Any) -> float:
    """Excel's SUMPRODUCT: arrays of one shape (else #VALUE!), anything not a number counted as 0;
    an error cell is the result."""
    shaped = [as_array(a) for a in arrays]
    if len({a.shape for a in shaped}) != 1:
        raise ExcelError(VALUE)
    total = 0.0
    for values in zip(*(a.ravel() for a in shaped), strict=True):
        product = 1.0
        for value in values:
            if type(value) is XlError:
                raise ExcelError(value)
            product *= value if type(value) is float else 0.0
        total += product
    return total


def _matching(pairs: tuple[Any, ...], shape_of: np.ndarray | None) -> np.ndarray | list[int]:
    """Positions (flattened) meeting every (range, criterion) pair."""
    if len(pairs) % 2:
        raise ExcelError(VALUE)
    for r in pairs[::2]:  # an error criterion is looked for; an error range is the result
        if type(r) is XlError:
            raise ExcelError(r)
    ranges = tuple(as_array(r) for r in pairs[::2])
    conditions = [first_cell(c) for c in pairs[1::2]]
    shape = shape_of.shape if shape_of is not None else ranges[0].shape
    if any(r.shape != shape for r in ranges):
        raise ExcelError(VALUE)
    plain = [crit.equality_criterion(c) for c in conditions]
    if all(p[0] for p in plain):
        index = crit.cached(
            ("grp", *(id(r) for r in pairs[::2])),
            tuple(pairs[::2]),
            lambda: crit.grouped_index(ranges),
        )
        return index.get(tuple(p[1] for p in plain), [])
    mask = np.ones(ranges[0].size, dtype=bool)
    for values, condition in zip(ranges, conditions, strict=True):
        mask &= crit.criteria_mask(values, condition)
    return np.flatnonzero(mask)


def over_criteria(
    criteria_at: Callable[[int], list[int]],
) -> Callable[[Callable[..., Any]], Callable[..., Any]]:
    """Decorator: a criteria function (COUNTIF, SUMIFS...) given an array of criteria
    (``COUNTIF(A1:A9,A1:A9&"")``) returns an array, one result per criterion, as Excel does;
    ``criteria_at(number of arguments)`` lists the positions of the criteria arguments."""

    def decorate(fn: Callable[..., Any]) -> Callable[..., Any]:
        def lifted(*args: Any) -> Any:
            positions = [
                i
                for i in criteria_at(len(args))
                if isinstance(args[i], np.ndarray) and args[i].size > 1
            ]
            if not positions:
                return fn(*args)
            rows = max(args[i].shape[0] for i in positions)
            cols = max(args[i].shape[1] for i in positions)
            out = np.empty((rows, cols), dtype=object)
            values = list(args)
            for r in range(rows):
                for c in range(cols):
                    outside = False
                    for i in positions:
                        values[i] = broadcast_cell(args[i], r, c)
                        outside = outside or values[i] is OUTSIDE
                    if outside:
                        out[r, c] = XlError(NA)
                        continue
                    try:
                        out[r, c] = fn(*values)
                    except ExcelError as exc:
                        out[r, c] = exc.error
            return out

        lifted.__name__, lifted.__doc__ = fn.__name__, fn.__doc__
        return lifted

    return decorate


def _pair_criteria(first: int) -> Callable[[int], list[int]]:
    """Criteria positions of (range, criterion) pairs starting at argument ``first``."""
    return lambda count: list(range(first + 1, count, 2))


def _criterion_second(count: int) -> list[int]:
    return [1] if count > 1 else []


def _picked(values: Any, positions: Any) -> list[float]:
    flat = as_array(values).ravel()
    out = []
    for position in positions:
        cell = flat[position]
        if type(cell) is float:
            out.append(cell)
        elif type(cell) is XlError:
            raise ExcelError(cell)
    return out


@register("SUMIFS", error_aware=True)
@over_criteria(_pair_criteria(1))
def SUMIFS(sum_range: Any, *pairs: Any) -> float:
    """Excel's SUMIFS: criteria ranges must have ``sum_range``'s shape (else #VALUE!), as must an
    even count of (range, criterion) pairs; an error cell summed is the result. An array of criteria
    gives an array of results."""
    return math.fsum(_picked(sum_range, _matching(pairs, as_array(sum_range))))


@register("COUNTIFS", error_aware=True)
@over_criteria(_pair_criteria(0))
def COUNTIFS(*pairs: Any) -> float:
    """Excel's COUNTIFS (ranges of one shape, else #VALUE!); with whole-column ranges, empty cells
    past the used range count when every criterion matches a blank. An array of criteria gives an
    array of results."""
    return float(len(_matching(pairs, None)) + _unseen_matching(pairs))


def _unseen_matching(pairs: tuple[Any, ...]) -> int:
    """The empty cells beyond the used range of whole-column (row) criteria ranges that meet
    every criterion: Excel counts all 1,048,576 rows of ``COUNTIF(A:A,"<>x")``."""
    unseen = {crit.unseen_cells(r) for r in pairs[::2]}
    if len(unseen) != 1 or not (extra := unseen.pop()):
        return 0
    if all(crit.predicate(first_cell(c))(None) for c in pairs[1::2]):
        return extra
    return 0


@register("AVERAGEIFS", error_aware=True)
@over_criteria(_pair_criteria(1))
def AVERAGEIFS(average_range: Any, *pairs: Any) -> float:
    """Excel's AVERAGEIFS (ranges as SUMIFS); #DIV/0! when no number matches."""
    numbers = _picked(average_range, _matching(pairs, as_array(average_range)))
    if not numbers:
        raise ExcelError(DIV0)
    return math.fsum(numbers) / len(numbers)


@register("MAXIFS", error_aware=True)
@over_criteria(_pair_criteria(1))
def MAXIFS(max_range: Any, *pairs: Any) -> float:
    """Excel's MAXIFS (ranges as SUMIFS); 0 when no number matches."""
    numbers = _picked(max_range, _matching(pairs, as_array(max_range)))
    return max(numbers) if numbers else 0.0


@register("MINIFS", error_aware=True)
@over_criteria(_pair_criteria(1))
def MINIFS(min_range: Any, *pairs: Any) -> float:
    """Excel's MINIFS (ranges as SUMIFS); 0 when no number matches."""
    numbers = _picked(min_range, _matching(pairs, as_array(min_range)))
    return min(numbers) if numbers else 0.0


@register("SUMIF", error_aware=True)
@over_criteria(_criterion_second)
def SUMIF(values: Any, criterion: Any, sum_range: Any = MISSING) -> float:
    """Excel's SUMIF: a larger ``sum_range`` is cut to ``values``' shape from its top-left cell, a
    smaller one is #VALUE! (Excel extends it). An array of criteria gives an array of results."""
    target = values if sum_range is MISSING else sum_range
    shape = as_array(values).shape
    target_array = as_array(target)
    if target_array.shape != shape:  # Excel resizes sum_range from its top-left cell
        target_array = target_array[: shape[0], : shape[1]]
        if target_array.shape != shape:
            raise ExcelError(VALUE)
        target = target_array
    return math.fsum(_picked(target, _matching((values, criterion), as_array(target))))


@register("COUNTIF", error_aware=True)
@over_criteria(_criterion_second)
def COUNTIF(values: Any, criterion: Any) -> float:
    """Excel's COUNTIF (``COUNTIFS`` with one pair). An array of criteria gives an array of
    results."""
    return COUNTIFS(values, criterion)


@register("AVERAGEIF", error_aware=True)
@over_criteria(_criterion_second)
def AVERAGEIF(values: Any, criterion: Any, average_range: Any = MISSING) -> float:
    """Excel's AVERAGEIF: ``average_range`` must have ``values``' shape (#VALUE! otherwise; Excel
    resizes it); #DIV/0! when no number matches."""
    target = values if average_range is MISSING else average_range
    numbers = _picked(target, _matching((values, criterion), as_array(target)))
    if not numbers:
        raise ExcelError(DIV0)
    return math.fsum(numbers) / len(numbers)
