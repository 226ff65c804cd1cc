"""Excel functions the engine does not implement itself, taken from ``formulas``' registry."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np

from addin.engine.values import NAME, VALUE, ExcelError, XlError, clean, map_cells


def registry_function(name: str) -> Callable[..., Any] | None:
    """A callable for ``name`` from ``formulas`` (engine values in and out), or ``None``."""
    import formulas

    function = formulas.get_functions().get(name)
    if function is None:
        return None
    from formulas.functions import Error

    def to_formulas(value: Any) -> Any:
        if type(value) is XlError:
            return Error.errors.get(value.code, Error.errors["#VALUE!"])
        if value is None:
            return 0.0
        return value

    def from_formulas(value: Any) -> Any:
        if isinstance(value, list | tuple):  # MODE.MULT: a list is a column
            array = np.empty(len(value), dtype=object)
            array[:] = value
            return from_formulas(array.reshape(-1, 1))
        if isinstance(value, np.ndarray):
            if value.ndim == 0:
                return from_formulas(value.item())
            array = np.atleast_2d(value)
            out = np.empty(array.shape, dtype=object)
            for index, cell in np.ndenumerate(array):
                out[index] = from_formulas(cell)
            return out[0, 0] if out.size == 1 else out
        if isinstance(value, str) and value in Error.errors:
            return XlError(str(value))
        if type(value).__name__ == "XlError":
            return XlError(str(value))
        return clean(value)

    def call(*args: Any) -> Any:
        try:
            return from_formulas(function(*(map_cells(to_formulas, a) for a in args)))
        except NotImplementedError as exc:
            raise ExcelError(NAME, f"{name} is not implemented by the engine") from exc
        except ExcelError:
            raise
        except Exception as exc:  # formulas raises assorted errors for bad input
            raise ExcelError(VALUE, f"{name}: {exc}") from exc

    return call
