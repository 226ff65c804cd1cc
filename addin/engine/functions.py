"""The registry of Excel's functions as the engine evaluates them (one call per row of a
formula column), and the helpers the functions share. The functions themselves live in
``addin.engine.library``, one module per category, each registered with ``@register``.

Arguments are engine scalars (float, str, bool, None, ``XlError``) or 2-D object arrays for
ranges and arrays; an omitted argument is ``MISSING``. A scalar error argument propagates
before the function runs, except for the functions in ``ERROR_AWARE``. Functions raise
``ExcelError`` for an error result. Functions not in the library come from ``formulas``'
registry (``addin.engine.fallback``).
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

import numpy as np

from addin.engine.values import (
    NA,
    OUTSIDE,
    VALUE,
    ExcelError,
    XlError,
    broadcast_cell,
    to_number,
)


class _Missing:
    __slots__ = ()

    def __repr__(self) -> str:
        return "MISSING"


MISSING: Any = _Missing()
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
                out[i, j] = first_cell(fn(*values))
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


def numeric_args(args: tuple[Any, ...]) -> list[float]:
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


def first_cell(value: Any) -> Any:
    """The top-left value of an array argument (``#VALUE!`` for an empty one); a scalar as it
    is."""
    if isinstance(value, np.ndarray):
        if value.size == 0:
            raise ExcelError(VALUE)
        return value.flat[0]
    return value


from addin.engine import library as _library  # noqa: E402,F401  (registers its functions)
