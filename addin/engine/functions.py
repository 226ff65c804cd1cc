"""Excel's own functions, as the engine evaluates them (one call per row of a formula column).

Arguments are engine scalars (float, str, bool, None, ``XlError``) or 2-D object arrays for
ranges and arrays; an omitted argument is ``MISSING``. A scalar error argument propagates
before the function runs, except for the functions in ``ERROR_AWARE``. Functions raise
``ExcelError`` for an error result. Functions not here come from ``formulas``' registry
(``addin.engine.fallback``).
"""

from __future__ import annotations

import math
import re
from bisect import bisect_left
from collections.abc import Callable, Iterator
from datetime import date, datetime, timedelta
from typing import Any

import numpy as np

from addin.engine import criteria as crit
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
    compare,
    number_text,
    parse_number_text,
    to_bool,
    to_number,
    to_text,
)


class _Missing:
    __slots__ = ()

    def __repr__(self) -> str:
        return "MISSING"


MISSING: Any = _Missing()
EPOCH = datetime(1899, 12, 30)
FUNCTIONS: dict[str, Callable[..., Any]] = {}
ERROR_AWARE: set[str] = set()
# Functions whose arguments are single values: given a range or array there, Excel evaluates
# them cell by cell and returns an array (LEN(TRIM(A2:A9)) inside SUMPRODUCT, say).
ELEMENTWISE: set[str] = set()


def register(
    name: str, error_aware: bool = False, elementwise: bool = False
) -> Callable[[Callable[..., Any]], Any]:
    """Decorator: make ``fn`` the implementation of Excel function ``name``.

    ``error_aware`` functions receive error values instead of returning them unseen;
    ``elementwise`` functions take single values and are applied cell by cell to array
    arguments (``lift``).
    """

    def decorate(fn: Callable[..., Any]) -> Callable[..., Any]:
        FUNCTIONS[name] = lift(fn, error_aware) if elementwise else fn
        if error_aware:
            ERROR_AWARE.add(name)
        if elementwise:
            ELEMENTWISE.add(name)
        return fn

    return decorate


def lift(fn: Callable[..., Any], error_aware: bool = False) -> Callable[..., Any]:
    """``fn`` of single values, applied cell by cell when an argument is an array.

    Arrays broadcast as Excel's do (a single row or column is repeated; cells outside a
    smaller array are #N/A); a one-cell array counts as its value.
    """

    def lifted(*args: Any) -> Any:
        if not any(isinstance(a, np.ndarray) for a in args):
            return fn(*args)
        return elementwise(fn, args, error_aware)

    lifted.__name__ = fn.__name__
    lifted.__doc__ = fn.__doc__
    return lifted


def elementwise(fn: Callable[..., Any], args: tuple[Any, ...], error_aware: bool) -> Any:
    """Apply ``fn`` to each cell of the broadcast array arguments (errors become values)."""
    arrays = [a for a in args if isinstance(a, np.ndarray)]
    if any(a.size == 0 for a in arrays):
        raise ExcelError(VALUE)
    if all(a.size == 1 for a in arrays):
        values = [a.flat[0] if isinstance(a, np.ndarray) else a for a in args]
        error = None if error_aware else next((v for v in values if type(v) is XlError), None)
        return error if error is not None else fn(*values)
    rows = max(a.shape[0] for a in arrays)
    cols = max(a.shape[1] for a in arrays)
    out = np.empty((rows, cols), dtype=object)
    for i in range(rows):
        for j in range(cols):
            values = [broadcast_cell(a, i, j) if isinstance(a, np.ndarray) else a for a in args]
            if any(v is OUTSIDE for v in values):
                out[i, j] = XlError(NA)
                continue
            if not error_aware:
                error = next((v for v in values if type(v) is XlError), None)
                if error is not None:
                    out[i, j] = error
                    continue
            try:
                out[i, j] = _scalar(fn(*values))
            except ExcelError as exc:
                out[i, j] = exc.error
    return out


def given(value: Any) -> bool:
    """True when the argument was not omitted."""
    return value is not MISSING


def cells(*args: Any) -> Iterator[Any]:
    """Every scalar of the arguments (arrays flattened)."""
    for arg in args:
        if arg is MISSING:
            continue
        if isinstance(arg, np.ndarray):
            yield from arg.ravel()
        else:
            yield arg


def _numbers(args: tuple[Any, ...]) -> list[float]:
    """Numbers for SUM-like functions: range text/blanks/logicals skipped, direct ones coerced."""
    out: list[float] = []
    for arg in args:
        if arg is MISSING:
            continue
        if isinstance(arg, np.ndarray):
            for cell in arg.ravel():
                kind = type(cell)
                if kind is float:
                    out.append(cell)
                elif kind is XlError:
                    raise ExcelError(cell)
        else:
            out.append(to_number(arg))
    return out


def _scalar(value: Any) -> Any:
    if isinstance(value, np.ndarray):
        if value.size == 0:
            raise ExcelError(VALUE)
        return value.flat[0]
    return value


# --- maths -----------------------------------------------------------------------------------


@register("SUM")
def SUM(*args: Any) -> float:
    return math.fsum(_numbers(args))


@register("PRODUCT")
def PRODUCT(*args: Any) -> float:
    numbers = _numbers(args)
    return math.prod(numbers) if numbers else 0.0  # no numbers at all: 0, as Excel


@register("MIN")
def MIN(*args: Any) -> float:
    numbers = _numbers(args)
    return min(numbers) if numbers else 0.0


@register("MAX")
def MAX(*args: Any) -> float:
    numbers = _numbers(args)
    return max(numbers) if numbers else 0.0


@register("AVERAGE")
def AVERAGE(*args: Any) -> float:
    numbers = _numbers(args)
    if not numbers:
        raise ExcelError(DIV0)
    return math.fsum(numbers) / len(numbers)


@register("MEDIAN")
def MEDIAN(*args: Any) -> float:
    numbers = _numbers(args)
    if not numbers:
        raise ExcelError(NUM)
    return float(np.median(numbers))


@register("COUNT", error_aware=True)
def COUNT(*args: Any) -> float:
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
    return float(sum(1 for c in cells(*args) if c is not None))


@register("COUNTBLANK")
def COUNTBLANK(values: Any) -> float:
    return float(sum(1 for c in cells(values) if c is None or c == ""))


@register("SUMPRODUCT")
def SUMPRODUCT(*arrays: Any) -> float:
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


def _round(number: float, digits: float, mode: str) -> float:
    factor = 10.0 ** int(digits)
    scaled = abs(number) * factor
    scaled = round(scaled, 9)  # absorb binary noise (2.675 -> 267.49999999999997)
    if mode == "half":
        result = math.floor(scaled + 0.5)
    elif mode == "up":
        result = math.ceil(scaled)
    else:
        result = math.floor(scaled)
    return math.copysign(result / factor, number) if result else 0.0


@register("ROUND", elementwise=True)
def ROUND(number: Any, digits: Any = 0.0) -> float:
    return _round(to_number(number), to_number(digits), "half")


@register("ROUNDUP", elementwise=True)
def ROUNDUP(number: Any, digits: Any = 0.0) -> float:
    return _round(to_number(number), to_number(digits), "up")


@register("ROUNDDOWN", elementwise=True)
def ROUNDDOWN(number: Any, digits: Any = 0.0) -> float:
    return _round(to_number(number), to_number(digits), "down")


@register("INT", elementwise=True)
def INT(number: Any) -> float:
    return float(math.floor(to_number(number)))


@register("ABS", elementwise=True)
def ABS(number: Any) -> float:
    return abs(to_number(number))


@register("MOD", elementwise=True)
def MOD(number: Any, divisor: Any) -> float:
    d = to_number(divisor)
    if d == 0:
        raise ExcelError(DIV0)
    n = to_number(number)
    return n - d * math.floor(n / d)


@register("SQRT", elementwise=True)
def SQRT(number: Any) -> float:
    n = to_number(number)
    if n < 0:
        raise ExcelError(NUM)
    return math.sqrt(n)


@register("POWER", elementwise=True)
def POWER(number: Any, power: Any) -> float:
    return power_of(to_number(number), to_number(power))


def power_of(base: float, exponent: float) -> float:
    """``base ^ exponent`` with Excel's errors."""
    if base == 0 and exponent < 0:
        raise ExcelError(DIV0)
    try:
        result = base**exponent
    except (OverflowError, ZeroDivisionError) as exc:
        raise ExcelError(NUM) from exc
    if isinstance(result, complex) or math.isinf(result):
        raise ExcelError(NUM)
    return result


# --- logic -----------------------------------------------------------------------------------


@register("IF", error_aware=True)
def IF(condition: Any, then: Any = True, otherwise: Any = False) -> Any:
    if isinstance(condition, np.ndarray) and condition.size > 1:
        return elementwise(IF, (condition, then, otherwise), error_aware=True)
    if type(condition) is XlError:
        return condition
    chosen = then if to_bool(_scalar(condition)) else otherwise
    if chosen is MISSING:
        return 0.0 if otherwise is MISSING and not to_bool(_scalar(condition)) else False
    return chosen


@register("IFS", error_aware=True)
def IFS(*pairs: Any) -> Any:
    for condition, value in zip(pairs[::2], pairs[1::2], strict=False):
        if type(condition) is XlError:
            return condition
        if to_bool(condition):
            return value
    raise ExcelError(NA)


@register("IFERROR", error_aware=True)
def IFERROR(value: Any, fallback: Any) -> Any:
    if isinstance(value, np.ndarray):
        out = value.copy()
        for index, cell in np.ndenumerate(value):
            if type(cell) is XlError:
                out[index] = fallback
        return out
    return fallback if type(value) is XlError else value


@register("IFNA", error_aware=True)
def IFNA(value: Any, fallback: Any) -> Any:
    if isinstance(value, np.ndarray):
        out = value.copy()
        for index, cell in np.ndenumerate(value):
            if type(cell) is XlError and cell.code == NA:
                out[index] = fallback
        return out
    return fallback if type(value) is XlError and value.code == NA else value


@register("AND")
def AND(*args: Any) -> bool:
    values = [c for c in cells(*args) if c is not None and not isinstance(c, str)]
    return all(to_bool(c) for c in values) if values else _raise(VALUE)


@register("OR")
def OR(*args: Any) -> bool:
    values = [c for c in cells(*args) if c is not None and not isinstance(c, str)]
    return any(to_bool(c) for c in values) if values else _raise(VALUE)


@register("XOR")
def XOR(*args: Any) -> bool:
    return sum(to_bool(c) for c in cells(*args) if c is not None) % 2 == 1


@register("NOT", elementwise=True)
def NOT(value: Any) -> bool:
    return not to_bool(value)


@register("SWITCH", error_aware=True)
def SWITCH(expression: Any, *pairs: Any) -> Any:
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
    position = int(to_number(index))
    if not 1 <= position <= len(options):
        raise ExcelError(VALUE)
    return options[position - 1]


def _raise(code: str) -> Any:
    raise ExcelError(code)


@register("ISBLANK", error_aware=True, elementwise=True)
def ISBLANK(value: Any) -> bool:
    return _scalar(value) is None


@register("ISERROR", error_aware=True, elementwise=True)
def ISERROR(value: Any) -> bool:
    return type(_scalar(value)) is XlError


@register("ISERR", error_aware=True, elementwise=True)
def ISERR(value: Any) -> bool:
    value = _scalar(value)
    return type(value) is XlError and value.code != NA


@register("ISNA", error_aware=True, elementwise=True)
def ISNA(value: Any) -> bool:
    value = _scalar(value)
    return type(value) is XlError and value.code == NA


@register("ISNUMBER", error_aware=True, elementwise=True)
def ISNUMBER(value: Any) -> bool:
    return type(_scalar(value)) is float


@register("ISTEXT", error_aware=True, elementwise=True)
def ISTEXT(value: Any) -> bool:
    return type(_scalar(value)) is str


@register("ISLOGICAL", error_aware=True, elementwise=True)
def ISLOGICAL(value: Any) -> bool:
    return type(_scalar(value)) is bool


@register("NA")
def NA_() -> Any:
    raise ExcelError(NA)


@register("N", error_aware=True, elementwise=True)
def N(value: Any) -> Any:
    value = _scalar(value)
    if type(value) is XlError:
        return value
    return value if type(value) is float else (1.0 if value is True else 0.0)


# --- text ------------------------------------------------------------------------------------


@register("LEN", elementwise=True)
def LEN(text: Any) -> float:
    return float(len(to_text(text)))


@register("UPPER", elementwise=True)
def UPPER(text: Any) -> str:
    return to_text(text).upper()


@register("LOWER", elementwise=True)
def LOWER(text: Any) -> str:
    return to_text(text).lower()


@register("TRIM", elementwise=True)
def TRIM(text: Any) -> str:
    return " ".join(to_text(text).split(" ")).strip() and " ".join(
        p for p in to_text(text).split(" ") if p
    )


@register("LEFT", elementwise=True)
def LEFT(text: Any, count: Any = 1.0) -> str:
    n = 1 if count is MISSING else int(to_number(count))
    if n < 0:
        raise ExcelError(VALUE)
    return to_text(text)[:n]


@register("RIGHT", elementwise=True)
def RIGHT(text: Any, count: Any = 1.0) -> str:
    n = 1 if count is MISSING else int(to_number(count))
    if n < 0:
        raise ExcelError(VALUE)
    return to_text(text)[-n:] if n else ""


@register("MID", elementwise=True)
def MID(text: Any, start: Any, count: Any) -> str:
    s, n = int(to_number(start)), int(to_number(count))
    if s < 1 or n < 0:
        raise ExcelError(VALUE)
    return to_text(text)[s - 1 : s - 1 + n]


@register("CONCATENATE", elementwise=True)
def CONCATENATE(*args: Any) -> str:
    return "".join(to_text(_scalar(a)) for a in args if a is not MISSING)


@register("CONCAT")
def CONCAT(*args: Any) -> str:
    return "".join(to_text(c) for c in cells(*args))


@register("TEXTJOIN")
def TEXTJOIN(delimiter: Any, ignore_empty: Any, *args: Any) -> str:
    skip = to_bool(ignore_empty)
    parts = [to_text(c) for c in cells(*args)]
    return to_text(delimiter).join(p for p in parts if p or not skip)


@register("EXACT", elementwise=True)
def EXACT(a: Any, b: Any) -> bool:
    return to_text(a) == to_text(b)


@register("VALUE", elementwise=True)
def VALUE_(text: Any) -> float:
    if isinstance(text, bool):
        raise ExcelError(VALUE, "VALUE of a logical")
    return to_number(text)


_PLAIN_NUMBER = re.compile(r"^[-+]?(\d+\.?\d*|\.\d+)([eE][-+]?\d+)?$")


@register("NUMBERVALUE", elementwise=True)
def NUMBERVALUE(text: Any, decimal: Any = MISSING, group: Any = MISSING) -> float:
    """Text read as a number with the separators given (``"."`` and ``","`` by default):
    spaces anywhere are ignored, group separators before the decimal one are dropped, each
    trailing % divides by 100, "" is 0; #VALUE! otherwise."""
    if type(text) in (float, bool) or text is None:
        if type(text) is bool:
            raise ExcelError(VALUE, "NUMBERVALUE: a logical is not a number")
        return 0.0 if text is None else text
    point = "." if decimal is MISSING else to_text(decimal)[:1]
    grouping = "," if group is MISSING else to_text(group)[:1]
    if not point or point == grouping:
        raise ExcelError(VALUE, "NUMBERVALUE: bad separators")
    body = "".join(to_text(text).split())
    percents = len(body) - len(body.rstrip("%"))
    body = body[: len(body) - percents]
    whole, found, fraction = body.partition(point)
    if found and point in fraction:
        raise ExcelError(VALUE, "NUMBERVALUE: more than one decimal separator")
    if grouping and grouping in fraction:
        raise ExcelError(VALUE, "NUMBERVALUE: a group separator after the decimal one")
    if grouping:
        whole = whole.replace(grouping, "")
    plain = whole + ("." + fraction if found else "")
    if plain == "":
        if percents:
            raise ExcelError(VALUE, "NUMBERVALUE: no number")
        return 0.0
    if not _PLAIN_NUMBER.match(plain):
        raise ExcelError(VALUE, f"NUMBERVALUE: {text!r} is not a number")
    return float(plain) / 100.0**percents


def _start_at(text: str, start: Any) -> int:
    position = 1 if start is MISSING else int(to_number(start))
    if position < 1 or position > len(text) + 1:
        raise ExcelError(VALUE, "the start is outside the text")
    return position - 1


@register("FIND", elementwise=True)
def FIND(find_text: Any, within: Any, start: Any = MISSING) -> float:
    """Position of ``find_text`` in ``within`` (case-sensitive, no wildcards)."""
    wanted, source = to_text(find_text), to_text(within)
    found = source.find(wanted, _start_at(source, start))
    if found < 0:
        raise ExcelError(VALUE, "FIND: not found")
    return float(found + 1)


@register("SEARCH", elementwise=True)
def SEARCH(find_text: Any, within: Any, start: Any = MISSING) -> float:
    """Position of ``find_text`` in ``within``, ignoring case; ``?``, ``*`` and ``~`` as in
    criteria."""
    wanted, source = to_text(find_text), to_text(within)
    begin = _start_at(source, start)
    if not any(c in wanted for c in "*?~"):
        found = source.casefold().find(wanted.casefold(), begin)
    else:
        match = crit.wildcard_search(wanted).search(source, begin)
        found = match.start() if match else -1
    if found < 0:
        raise ExcelError(VALUE, "SEARCH: not found")
    return float(found + 1)


@register("SUBSTITUTE", elementwise=True)
def SUBSTITUTE(text: Any, old: Any, new: Any, instance: Any = MISSING) -> str:
    source, find, replace = to_text(text), to_text(old), to_text(new)
    if instance is MISSING:
        return source.replace(find, replace) if find else source
    nth, start = int(to_number(instance)), -1
    for _ in range(nth):
        start = source.find(find, start + 1)
        if start < 0:
            return source
    return source[:start] + replace + source[start + len(find) :]


# --- lookup ----------------------------------------------------------------------------------


@register("ROWS")
def ROWS(values: Any) -> float:
    return float(as_array(values).shape[0])


@register("COLUMNS")
def COLUMNS(values: Any) -> float:
    return float(as_array(values).shape[1])


@register("INDEX")
def INDEX(values: Any, row: Any = MISSING, column: Any = MISSING) -> Any:
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
    kind = 1 if match_type is MISSING else int(to_number(match_type))
    vector = _vector(values)
    value = _scalar(value)
    if kind == 0:
        position = _exact_position(value, vector, values)
    else:
        position = _sorted_position(value, vector, descending=kind < 0, keep=values)
    if position is None:
        raise ExcelError(NA)
    return float(position + 1)


@register("VLOOKUP")
def VLOOKUP(value: Any, table: Any, column: Any, approximate: Any = True) -> Any:
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
            _scalar(value),
            first,
            crit.cached(("col0", id(table)), (table,), lambda: np.ascontiguousarray(first)),
        )
    else:
        position = _sorted_position(_scalar(value), first)
    if position is None:
        raise ExcelError(NA)
    return array[position, c - 1]


@register("HLOOKUP")
def HLOOKUP(value: Any, table: Any, row: Any, approximate: Any = True) -> Any:
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
    value = _scalar(value)
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


# --- conditional aggregates ------------------------------------------------------------------


def _matching(pairs: tuple[Any, ...], shape_of: np.ndarray | None) -> np.ndarray | list[int]:
    """Positions (flattened) meeting every (range, criterion) pair."""
    if len(pairs) % 2:
        raise ExcelError(VALUE)
    ranges = tuple(as_array(r) for r in pairs[::2])
    conditions = [_scalar(c) for c in pairs[1::2]]
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


@register("SUMIFS")
@over_criteria(_pair_criteria(1))
def SUMIFS(sum_range: Any, *pairs: Any) -> float:
    return math.fsum(_picked(sum_range, _matching(pairs, as_array(sum_range))))


@register("COUNTIFS")
@over_criteria(_pair_criteria(0))
def COUNTIFS(*pairs: Any) -> float:
    return float(len(_matching(pairs, None)))


@register("AVERAGEIFS")
@over_criteria(_pair_criteria(1))
def AVERAGEIFS(average_range: Any, *pairs: Any) -> float:
    numbers = _picked(average_range, _matching(pairs, as_array(average_range)))
    if not numbers:
        raise ExcelError(DIV0)
    return math.fsum(numbers) / len(numbers)


@register("MAXIFS")
@over_criteria(_pair_criteria(1))
def MAXIFS(max_range: Any, *pairs: Any) -> float:
    numbers = _picked(max_range, _matching(pairs, as_array(max_range)))
    return max(numbers) if numbers else 0.0


@register("MINIFS")
@over_criteria(_pair_criteria(1))
def MINIFS(min_range: Any, *pairs: Any) -> float:
    numbers = _picked(min_range, _matching(pairs, as_array(min_range)))
    return min(numbers) if numbers else 0.0


@register("SUMIF")
@over_criteria(_criterion_second)
def SUMIF(values: Any, criterion: Any, sum_range: Any = MISSING) -> float:
    target = values if sum_range is MISSING else sum_range
    shape = as_array(values).shape
    target_array = as_array(target)
    if target_array.shape != shape:  # Excel resizes sum_range from its top-left cell
        target_array = target_array[: shape[0], : shape[1]]
        if target_array.shape != shape:
            raise ExcelError(VALUE)
        target = target_array
    return math.fsum(_picked(target, _matching((values, criterion), as_array(target))))


@register("COUNTIF")
@over_criteria(_criterion_second)
def COUNTIF(values: Any, criterion: Any) -> float:
    return float(len(_matching((values, criterion), None)))


@register("AVERAGEIF")
@over_criteria(_criterion_second)
def AVERAGEIF(values: Any, criterion: Any, average_range: Any = MISSING) -> float:
    target = values if average_range is MISSING else average_range
    numbers = _picked(target, _matching((values, criterion), as_array(target)))
    if not numbers:
        raise ExcelError(DIV0)
    return math.fsum(numbers) / len(numbers)


# --- dynamic arrays --------------------------------------------------------------------------


@register("FILTER")
def FILTER(values: Any, include: Any, if_empty: Any = MISSING) -> Any:
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
    r = int(to_number(rows))
    c = 1 if columns is MISSING else int(to_number(columns))
    first = 1.0 if start is MISSING else to_number(start)
    by = 1.0 if step is MISSING else to_number(step)
    if r < 1 or c < 1:
        raise ExcelError("#CALC!")
    out = np.empty((r, c), dtype=object)
    for i in range(r):
        for j in range(c):
            out[i, j] = first + by * (i * c + j)
    return out


@register("TRANSPOSE")
def TRANSPOSE(values: Any) -> Any:
    return as_array(values).T.copy()


# --- dates -----------------------------------------------------------------------------------


LEAP_BUG_END = 61  # Excel counts a 29 February 1900: serials below 61 are one day early
LAST_SERIAL = 2958465  # 31 December 9999
WEEKDAYS = ["Saturday", "Sunday", "Monday", "Tuesday", "Wednesday", "Thursday", "Friday"]
MONTHS = [
    "January",
    "February",
    "March",
    "April",
    "May",
    "June",
    "July",
    "August",
    "September",
    "October",
    "November",
    "December",
]


def serial(day: date | datetime) -> float:
    """Excel date serial of a date or datetime (1 = 1 January 1900, as Excel counts)."""
    if not isinstance(day, datetime):
        day = datetime(day.year, day.month, day.day)
    number = (day - EPOCH) / timedelta(days=1)
    return number - 1 if number < LEAP_BUG_END else number


def from_serial(number: float) -> datetime:
    """The datetime of an Excel serial number (serial 60, Excel's 29 February 1900, reads as
    1 March 1900; use ``date_parts`` for the day Excel shows)."""
    if number < 0:
        raise ExcelError(NUM)
    return EPOCH + timedelta(days=number + 1 if number < LEAP_BUG_END else number)


def date_parts(number: float) -> tuple[int, int, int]:
    """(year, month, day) Excel shows for the day of a serial: 0 is 0 January 1900 and 60 is
    29 February 1900 (Excel's 1900 leap-year bug); #NUM! outside 0 .. 31 December 9999."""
    whole = math.floor(number)
    if whole < 0 or whole > LAST_SERIAL:
        raise ExcelError(NUM, f"{number:g} is not a date serial")
    if whole == 0:
        return 1900, 1, 0
    if whole == LEAP_BUG_END - 1:
        return 1900, 2, 29
    day = from_serial(whole)
    return day.year, day.month, day.day


@register("TODAY")
def TODAY() -> float:
    return serial(date.today())


@register("NOW")
def NOW() -> float:
    return serial(datetime.now())


@register("DATE", elementwise=True)
def DATE(year: Any, month: Any, day: Any) -> float:
    y, m, d = int(to_number(year)), int(to_number(month)), int(to_number(day))
    if not 0 <= y < 10000:
        raise ExcelError(NUM, "DATE takes years 0 to 9999")
    if y < 1900:
        y += 1900
    y, m = y + (m - 1) // 12, (m - 1) % 12 + 1
    if not 1 <= y <= 9999:
        raise ExcelError(NUM, "the date is outside 1900 to 9999")
    result = serial(date(y, m, 1)) + d - 1
    if not 0 <= result <= LAST_SERIAL:
        raise ExcelError(NUM, "the date is outside 1900 to 9999")
    return result


@register("YEAR", elementwise=True)
def YEAR(value: Any) -> float:
    return float(date_parts(to_number(value))[0])


@register("MONTH", elementwise=True)
def MONTH(value: Any) -> float:
    return float(date_parts(to_number(value))[1])


@register("DAY", elementwise=True)
def DAY(value: Any) -> float:
    return float(date_parts(to_number(value))[2])


_ISO_DATE = re.compile(r"^\s*(\d{4})-(\d{1,2})-(\d{1,2})\s*$")
_DAY_FIRST = re.compile(r"^\s*(\d{1,2})[/.-](\d{1,2})[/.-](\d{2}|\d{4})\s*$")


def date_number(value: Any) -> float:
    """A date argument as a serial: numbers as they are, text as a UK reader types dates
    (``2026-01-09`` or ``09/01/2026``, both 9 January); #VALUE! for other text."""
    if isinstance(value, str):
        iso, uk = _ISO_DATE.match(value), _DAY_FIRST.match(value)
        if iso:
            y, m, d = (int(g) for g in iso.groups())
        elif uk:
            d, m, y = (int(g) for g in uk.groups())
            y += (2000 if y < 30 else 1900) if y < 100 else 0
        else:
            number = parse_number_text(value)
            if number is None:
                raise ExcelError(VALUE, f"{value!r} is not a date")
            return number
        try:
            return serial(date(y, m, d))
        except ValueError as exc:
            raise ExcelError(VALUE, f"{value!r} is not a date") from exc
    return to_number(value)


@register("DATEDIF", elementwise=True)
def DATEDIF(start: Any, end: Any, unit: Any) -> float:
    """Whole years ("Y"), months ("M") or days ("D") from ``start`` to ``end``; "MD", "YM" and
    "YD" ignore the larger units. #NUM! when ``start`` is after ``end``."""
    first, last = math.floor(date_number(start)), math.floor(date_number(end))
    if first > last:
        raise ExcelError(NUM, "DATEDIF: the start is after the end")
    kind = to_text(unit).upper()
    y1, m1, d1 = date_parts(first)
    y2, m2, d2 = date_parts(last)
    months = (y2 - y1) * 12 + (m2 - m1) - (d2 < d1)
    if kind == "D":
        return float(last - first)
    if kind == "M":
        return float(months)
    if kind == "Y":
        return float(months // 12)
    if kind == "YM":
        return float(months % 12)
    if kind == "MD":
        if d2 >= d1:
            return float(d2 - d1)
        before = date(y2, m2, 1) - timedelta(days=1)  # the month before the end's
        return float(max(before.day - d1, 0) + d2)
    if kind == "YD":
        years = months // 12
        try:
            moved = date(y1 + years, m1, d1)
        except ValueError:  # 29 February in a year without one
            moved = date(y1 + years, 3, 1)
        return float(last - serial(moved))
    raise ExcelError(NUM, f"DATEDIF: unknown unit {kind!r}")


@register("EDATE", elementwise=True)
def EDATE(start: Any, months: Any) -> float:
    day = from_serial(to_number(start))
    total = day.month - 1 + int(to_number(months))
    y, m = day.year + total // 12, total % 12 + 1
    last = (date(y + (m == 12), m % 12 + 1, 1) - timedelta(days=1)).day
    return serial(date(y, m, min(day.day, last)))


# --- TEXT: Excel number formats ----------------------------------------------------------------
#
# A format is up to four sections separated by ";" (positive; negative; zero; text). A section
# is a list of tokens: ("lit", text) shown as written, ("date", code) for d/m/y/h/s/AM-PM codes,
# ("elapsed", "h"|"m"|"s") for [h]/[mm]/[ss], ("digit", "0"|"#"|"?"), ("point", "."),
# ("comma", ","), ("percent", "%"), ("exp", "E+"|"E-"), ("text", "@"), ("general", "").

Token = tuple[str, str]
_DATE_LETTERS = "ymdhs"
_NUMBER_FORMAT_CACHE: dict[str, list[list[Token]]] = {}


def _format_sections(pattern: str) -> list[list[Token]]:
    """The sections of a format, tokenised (cached per format text)."""
    found = _NUMBER_FORMAT_CACHE.get(pattern)
    if found is None:
        if len(_NUMBER_FORMAT_CACHE) >= 4096:
            _NUMBER_FORMAT_CACHE.clear()
        found = _NUMBER_FORMAT_CACHE[pattern] = _tokenise(pattern)
    return found


def _tokenise(pattern: str) -> list[list[Token]]:
    sections: list[list[Token]] = [[]]
    tokens = sections[0]
    i, n = 0, len(pattern)
    while i < n:
        char = pattern[i]
        lower = char.lower()
        if char == ";":
            tokens = []
            sections.append(tokens)
            i += 1
        elif char == '"':
            end = pattern.find('"', i + 1)
            end = n if end < 0 else end
            tokens.append(("lit", pattern[i + 1 : end]))
            i = end + 1
        elif char == "\\" or char == "!":
            tokens.append(("lit", pattern[i + 1 : i + 2]))
            i += 2
        elif char == "_":  # space the width of the next character
            tokens.append(("lit", " "))
            i += 2
        elif char == "*":  # repeat the next character to fill the cell: nothing in TEXT
            i += 2
        elif char == "[":
            end = pattern.find("]", i + 1)
            end = n if end < 0 else end
            tokens.extend(_bracket(pattern[i + 1 : end]))
            i = end + 1
        elif pattern[i : i + 5].upper() == "AM/PM":
            tokens.append(("date", pattern[i : i + 5]))
            i += 5
        elif pattern[i : i + 3].upper() == "A/P":
            tokens.append(("date", pattern[i : i + 3]))
            i += 3
        elif pattern[i : i + 7].lower() == "general":
            tokens.append(("general", ""))
            i += 7
        elif lower in _DATE_LETTERS:
            j = i
            while j < n and pattern[j].lower() == lower:
                j += 1
            tokens.append(("date", lower * (j - i)))
            i = j
        elif lower == "e" and i + 1 < n and pattern[i + 1] in "+-":
            tokens.append(("exp", "E" + pattern[i + 1]))
            i += 2
        elif char in "0#?":
            tokens.append(("digit", char))
            i += 1
        elif char == ".":
            tokens.append(("point", "."))
            i += 1
        elif char == ",":
            tokens.append(("comma", ","))
            i += 1
        elif char == "%":
            tokens.append(("percent", "%"))
            i += 1
        elif char == "@":
            tokens.append(("text", "@"))
            i += 1
        else:
            tokens.append(("lit", char))
            i += 1
    return sections


def _bracket(inside: str) -> list[Token]:
    """Tokens of a ``[...]`` part: elapsed time, a currency symbol, or nothing (a colour)."""
    lower = inside.lower()
    if lower and set(lower) <= set("hms") and len(set(lower)) == 1:
        return [("elapsed", lower[0] * len(lower))]
    if inside.startswith("$"):
        symbol = inside[1:].split("-")[0]
        return [("lit", symbol)] if symbol else []
    if inside[:1] in "<>=":
        raise ExcelError(VALUE, f"TEXT: conditional format [{inside}] is not supported")
    return []  # [Red], [Color 10] ...


def _is_date_section(tokens: list[Token]) -> bool:
    return any(kind in ("date", "elapsed") for kind, _ in tokens)


@register("TEXT", elementwise=True)
def TEXT(value: Any, format_text: Any) -> str:
    """``value`` shown in an Excel number format: dates and times (d, dd, ddd, dddd, m ... mmmm,
    yy, yyyy, h, hh, mm, ss, AM/PM, [h]), numbers (0, #, ?, decimals, thousands, %, E+00),
    literal text, sections ``positive;negative;zero;text`` and ``@``. Serials follow Excel's
    calendar (0 is 0 January 1900, 60 is 29 February 1900)."""
    pattern = to_text(format_text)
    sections = _format_sections(pattern)
    if value is None:
        value = 0.0
    if type(value) is bool:
        return "TRUE" if value else "FALSE"
    if isinstance(value, str):
        number = parse_number_text(value)
        if number is None:
            return _format_text(value, sections)
        value = number
    return format_number(to_number(value), sections)


def _format_text(text: str, sections: list[list[Token]]) -> str:
    if len(sections) >= 4:
        section = sections[3]
    elif any(kind == "text" for kind, _ in sections[0]):
        section = sections[0]
    else:
        return text
    return "".join(text if kind == "text" else part for kind, part in section)


def format_number(number: float, sections: list[list[Token]]) -> str:
    """``number`` in the tokenised format ``sections`` (see ``TEXT``)."""
    numeric = sections[:3] if len(sections) >= 4 else sections
    if len(numeric) >= 3 and number == 0:
        section, sign = numeric[2], ""
    elif len(numeric) >= 2 and number < 0:
        section, sign, number = numeric[1], "", -number
    else:
        section, sign = numeric[0], ""
        if number < 0:
            sign, number = "-", -number
    if not section:
        return ""
    if _is_date_section(section):
        if sign:
            raise ExcelError(VALUE, "TEXT: a negative number cannot be shown as a date")
        return _format_date(number, section)
    text = _format_plain(number, section)
    if sign and not any(digit in text for digit in "123456789"):
        sign = ""  # rounded to zero: Excel shows no minus sign
    return sign + text


def _format_date(number: float, tokens: list[Token]) -> str:
    if number >= LAST_SERIAL + 1:
        raise ExcelError(VALUE, f"TEXT: {number:g} is after 31 December 9999")
    digits = 0  # decimals of seconds shown (ss.00)
    for index, (kind, code) in enumerate(tokens):
        following = tokens[index + 1][0] if index + 1 < len(tokens) else ""
        if kind == "date" and code[0] == "s" and following == "point":
            rest = tokens[index + 2 :]
            digits = next((k for k, t in enumerate(rest) if t != ("digit", "0")), len(rest))
    scale = 10**digits
    ticks = round(number * 86400 * scale)  # Excel rounds to the precision shown
    whole_days, in_day = divmod(ticks, 86400 * scale)
    seconds_total, fraction = divmod(in_day, scale)
    hour, rest = divmod(seconds_total, 3600)
    minute, second = divmod(rest, 60)
    year, month, day = date_parts(float(whole_days))
    twelve = any(kind == "date" and "/" in code for kind, code in tokens)
    minutes_at = _minute_positions(tokens)
    out: list[str] = []
    skip_fraction = 0
    for index, (kind, code) in enumerate(tokens):
        if skip_fraction:
            skip_fraction -= 1
            continue
        if kind == "elapsed":
            total_seconds = ticks // scale
            amount = {"h": total_seconds // 3600, "m": total_seconds // 60, "s": total_seconds}
            out.append(str(amount[code[0]]).zfill(len(code)))
        elif kind == "date":
            letter, size = code[0].lower(), len(code)
            if "/" in code:  # AM/PM or A/P, in the case written
                first, second_part = code.split("/")
                out.append(first if hour < 12 else second_part)
            elif letter == "y":
                out.append(f"{year % 100:02d}" if size <= 2 else f"{year:04d}")
            elif letter == "m" and index in minutes_at:
                out.append(f"{minute:02d}" if size >= 2 else str(minute))
            elif letter == "m":
                name = MONTHS[month - 1]
                if size <= 2:
                    out.append(f"{month:02d}" if size == 2 else str(month))
                else:
                    out.append(name[:3] if size == 3 else name[0] if size == 5 else name)
            elif letter == "d":
                if size <= 2:
                    out.append(f"{day:02d}" if size == 2 else str(day))
                else:
                    weekday = WEEKDAYS[whole_days % 7]
                    out.append(weekday[:3] if size == 3 else weekday)
            elif letter == "h":
                shown = (hour % 12 or 12) if twelve else hour
                out.append(f"{shown:02d}" if size >= 2 else str(shown))
            else:  # seconds, then any decimals of them
                out.append(f"{second:02d}" if size >= 2 else str(second))
                if digits:
                    out.append("." + str(fraction).zfill(digits))
                    skip_fraction = digits + 1
        elif kind == "lit":
            out.append(code)
        else:
            out.append(code)  # a stray number character in a date format is shown as is
    return "".join(out)


def _minute_positions(tokens: list[Token]) -> set[int]:
    """Indexes of m/mm codes that mean minutes: after an hour or before a second code."""
    codes = [
        (i, code[0].lower()) for i, (kind, code) in enumerate(tokens) if kind in ("date", "elapsed")
    ]
    found = set()
    for position, (index, letter) in enumerate(codes):
        if letter != "m" or len(tokens[index][1]) > 2:
            continue
        before = codes[position - 1][1] if position else ""
        after = codes[position + 1][1] if position + 1 < len(codes) else ""
        if before == "h" or after == "s":
            found.add(index)
    return found


def _format_plain(number: float, tokens: list[Token]) -> str:
    """A non-negative number in a number (not date) section."""
    if any(kind in ("general", "text") for kind, _ in tokens):  # "@" shows a number as General
        return "".join(
            _general_in_text(number) if kind in ("general", "text") else part
            for kind, part in tokens
        )
    for kind, code in tokens:
        if kind == "lit" and code == "/":
            raise ExcelError(VALUE, "TEXT: fraction formats are not supported")
    number *= 100.0 ** sum(1 for kind, _ in tokens if kind == "percent")
    exponent_at = next((i for i, (kind, _) in enumerate(tokens) if kind == "exp"), None)
    mantissa_tokens = tokens if exponent_at is None else tokens[:exponent_at]
    point = next((i for i, (kind, _) in enumerate(mantissa_tokens) if kind == "point"), None)
    whole_tokens = mantissa_tokens if point is None else mantissa_tokens[:point]
    fraction_tokens = [] if point is None else mantissa_tokens[point + 1 :]
    whole_digits = [i for i, (kind, _) in enumerate(whole_tokens) if kind == "digit"]
    # commas right after the last digit of the whole part divide by 1000 each
    scaling = 0
    if whole_digits:
        for kind, _ in whole_tokens[whole_digits[-1] + 1 :]:
            if kind != "comma":
                break
            scaling += 1
    number /= 1000.0**scaling
    grouping = any(
        kind == "comma" and whole_digits and whole_digits[0] < i < whole_digits[-1]
        for i, (kind, _) in enumerate(whole_tokens)
    )
    decimals = sum(1 for kind, _ in fraction_tokens if kind == "digit")
    exponent_text = ""
    if exponent_at is not None:
        engineering = any(whole_tokens[i][1] == "#" for i in whole_digits)
        number, exponent_text = _scientific(
            number, len(whole_digits), engineering, decimals, tokens[exponent_at:]
        )
    rounded = _decimal_round(number, decimals)
    whole_text, _, fraction_text = rounded.partition(".")
    whole_text = whole_text.lstrip("0")
    out = _fill_whole(whole_tokens, whole_digits, whole_text, grouping)
    if point is not None:
        out += "." + _fill_fraction(fraction_tokens, fraction_text)
    return out + exponent_text


def _decimal_round(number: float, decimals: int) -> str:
    """``number`` rounded half away from zero to ``decimals`` places, as text (no exponent)."""
    from decimal import ROUND_HALF_UP, Decimal

    exact = Decimal(f"{number:.15g}")  # Excel keeps 15 significant digits
    return f"{exact.quantize(Decimal(1).scaleb(-decimals), rounding=ROUND_HALF_UP):f}"


def _fill_whole(tokens: list[Token], digit_at: list[int], digits: str, grouping: bool) -> str:
    """The whole-number part: digits placed right to left into the placeholders."""
    if not digit_at:
        return "".join(code for kind, code in tokens if kind in ("lit", "percent", "text"))
    placeholders = [tokens[i][1] for i in digit_at]
    # zeros (or spaces) forced by 0 (or ?) placeholders, counted from the leftmost of them
    forced = next((k for k, p in enumerate(placeholders) if p in "0?"), len(placeholders))
    width = len(placeholders) - forced
    padded = digits.rjust(width, "0") if width > len(digits) else digits
    if grouping:
        body = _group(padded)
        if "?" in placeholders[forced : forced + 1] and not digits:
            body = body.replace("0", " ")
        first, last = digit_at[0], digit_at[-1]
        before = "".join(code for kind, code in tokens[:first] if kind in ("lit", "percent"))
        after = "".join(code for kind, code in tokens[last + 1 :] if kind in ("lit", "percent"))
        return before + body + after
    shown: dict[int, str] = {}
    remaining = digits
    for k in range(len(digit_at) - 1, -1, -1):
        placeholder = placeholders[k]
        if k == 0:
            text = remaining
            if not text:
                text = {"0": "0", "?": " ", "#": ""}[placeholder]
        elif remaining:
            text, remaining = remaining[-1], remaining[:-1]
        else:
            text = {"0": "0", "?": " ", "#": ""}[placeholder]
        shown[digit_at[k]] = text
    out = []
    for i, (kind, code) in enumerate(tokens):
        if i in shown:
            out.append(shown[i])
        elif kind != "comma":
            out.append(code)
    return "".join(out)


def _group(digits: str) -> str:
    """Thousands separators in a string of digits."""
    head = len(digits) % 3 or 3
    parts = [digits[:head]] + [digits[i : i + 3] for i in range(head, len(digits), 3)]
    return ",".join(p for p in parts if p)


def _fill_fraction(tokens: list[Token], digits: str) -> str:
    """The decimals: trailing zeros dropped at # and blanked at ? placeholders."""
    kinds = [code for kind, code in tokens if kind == "digit"]
    keep = len(digits)
    while keep and digits[keep - 1] == "0" and kinds[keep - 1] != "0":
        keep -= 1
    out, k = [], 0
    for kind, code in tokens:
        if kind == "digit":
            if k < keep:
                out.append(digits[k])
            elif code == "?":
                out.append(" ")
            k += 1
        elif kind != "comma":
            out.append(code)
    return "".join(out)


def _scientific(
    number: float, whole_places: int, engineering: bool, decimals: int, tokens: list[Token]
) -> tuple[float, str]:
    """(mantissa, exponent text) for an ``0.00E+00`` format."""
    exponent = 0
    if number:
        exponent = math.floor(math.log10(number))
        if float(_decimal_round(number / 10.0**exponent, decimals)) >= 10.0:
            exponent += 1
        if engineering and whole_places > 1:  # ##0.0E+0: exponents in steps of the width
            exponent -= exponent % whole_places
        else:  # 00.0E+0: that many digits before the point
            exponent -= max(whole_places, 1) - 1
        number = number / 10.0**exponent
    sign_code = tokens[0][1][1]
    places = sum(1 for kind, code in tokens[1:] if kind == "digit")
    sign = "-" if exponent < 0 else ("+" if sign_code == "+" else "")
    return number, "E" + sign + str(abs(exponent)).zfill(places)


def _general_in_text(number: float) -> str:
    """A non-negative number in TEXT's General format: at most 11 characters, scientific
    ("1.23457E+11") from 1E+11 and below 1E-9."""
    if number == 0:
        return "0"
    mantissa, _, exponent = f"{number:.5E}".partition("E")
    mantissa = mantissa.rstrip("0").rstrip(".")
    scientific = f"{mantissa}E{exponent[0]}{exponent[1:].zfill(2)}"
    if number >= 1e11:
        return scientific
    decimals = max(0, 10 - len(str(int(number))))
    fixed = _decimal_round(number, decimals)
    fixed = fixed.rstrip("0").rstrip(".") if "." in fixed else fixed

    def significant(text: str) -> int:
        return len(text.replace(".", "").lstrip("0"))

    # the scientific form when the fixed one would show fewer significant digits
    return scientific if significant(mantissa) > significant(fixed) else fixed


def _general(number: float) -> str:
    """A number in the General format, as TEXT writes it (up to 15 significant digits)."""
    return number_text(number)


from addin.engine import library as _library  # noqa: E402,F401  (registers its functions)
