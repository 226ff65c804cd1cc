"""Our ``CW_`` functions inside the engine: whole ranges in, one call, a spilled table out."""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import Any

import numpy as np

from addin.engine.values import XlError, clean

_FUNCTIONS: dict[str, Callable[..., Any]] | None = None


def custom_functions() -> dict[str, Callable[..., Any]]:
    """``EXCEL_FUNCTIONS`` of ``udfs.excel`` (imported on first use: it pulls in pandas),
    each guarded so that a formula cannot name a policy file (``check_policy_argument``)."""
    global _FUNCTIONS
    if _FUNCTIONS is None:
        from udfs.functions import EXCEL_FUNCTIONS

        _FUNCTIONS = {name: _guarded(name, f) for name, f in EXCEL_FUNCTIONS.items()}
    return _FUNCTIONS


class PolicyFileRefused(ValueError):
    """A formula naming a policy file on this machine, which the engine does not read."""


_ALLOW_POLICY_FILES: list[bool] = [False]


class allow_policy_files:  # noqa: N801 - used as a context manager, like a function
    """Within the block, a formula may name a policy file (``caseload recalc
    --allow-policy-files``); outside it only presets and policy ranges are read."""

    def __init__(self, allow: bool = True) -> None:
        self.allow = allow

    def __enter__(self) -> None:
        _ALLOW_POLICY_FILES.append(self.allow)

    def __exit__(self, *exc: object) -> None:
        _ALLOW_POLICY_FILES.pop()


def check_policy_argument(value: Any, function: str) -> None:
    """``PolicyFileRefused`` when a formula's ``policy`` argument names anything but a preset,
    a key/value range or the policy given on the command line: a workbook must never make the
    engine read a file on this machine (``=CW_POLICY("/etc/x.yaml")``), unless
    ``allow_policy_files`` is in force. The refused text is not repeated in the message (the
    engine prefixes ``function``'s name to it)."""
    if _ALLOW_POLICY_FILES[-1]:
        return
    single = value
    while isinstance(single, list | tuple) and len(single) == 1:
        single = single[0]
    if isinstance(single, list | tuple) or single is None:
        return  # a key/value range: it names presets only
    text = str(single).strip()
    if text == "" or text == (current_default_policy() or "").strip():
        return
    from udfs.policy import PRESETS

    if text.lower() in PRESETS:
        return
    raise PolicyFileRefused(
        f"the policy argument is not a preset ({', '.join(PRESETS)}) or a policy "
        "range; a formula may not name a policy file (recalc --allow-policy-files allows it)"
    )


def _guarded(name: str, function: Callable[..., Any]) -> Callable[..., Any]:
    position = policy_position(function)
    if position is None:
        return function

    @functools.wraps(function)
    def guarded(*args: Any, **kwargs: Any) -> Any:
        if len(args) > position:
            check_policy_argument(args[position], name)
        if "policy" in kwargs:
            check_policy_argument(kwargs["policy"], name)
        return function(*args, **kwargs)

    return guarded


def is_custom(name: str) -> bool:
    """True for a ``CW_`` function name."""
    return name.startswith("CW_")


def to_argument(value: Any) -> Any:
    """An engine value as the CW_ functions take it: 2-D lists, errors as their code."""
    if isinstance(value, np.ndarray):
        return [[_cell(c) for c in row] for row in value.tolist()]
    return _cell(value)


def _cell(value: Any) -> Any:
    if type(value) is XlError:
        return value.code
    return value


def from_result(result: Any) -> Any:
    """A CW_ result (2-D list; ``CellError`` for a bad row) as an engine value."""
    from udfs.errors import CellError

    def convert(cell: Any) -> Any:
        if isinstance(cell, CellError):
            return XlError(cell.code, cell.reason)
        if isinstance(cell, float) and cell != cell:
            return None
        return clean(cell)

    if not isinstance(result, list | tuple):
        return convert(result)
    rows = [list(r) if isinstance(r, list | tuple) else [r] for r in result]
    if not rows or not rows[0]:
        return XlError("#CALC!", "empty result")
    width = max(len(r) for r in rows)
    out = np.empty((len(rows), width), dtype=object)
    for i, row in enumerate(rows):
        for j in range(width):
            out[i, j] = convert(row[j]) if j < len(row) else None
    return out[0, 0] if out.size == 1 else out


_DEFAULT_POLICY: list[Any] = [None]


class default_policy:  # noqa: N801 - used as a context manager, like a function
    """Within the block, CW_ calls whose ``policy`` argument is blank use ``policy``."""

    def __init__(self, policy: str | None) -> None:
        self.policy = policy

    def __enter__(self) -> None:
        if self.policy:
            from udfs.policy import load_policy

            load_policy(self.policy)  # fail early on a bad name or file
        _DEFAULT_POLICY.append(self.policy)

    def __exit__(self, *exc: object) -> None:
        _DEFAULT_POLICY.pop()


def current_default_policy() -> str | None:
    """The policy a blank ``policy`` argument means now (``None``: the functions' default)."""
    return _DEFAULT_POLICY[-1]


# CW_ functions whose result row i depends only on row i of these column arguments (and on
# their other, single-value arguments): a formula column of them can be one call.
ROW_WISE: dict[str, tuple[str, ...]] = {
    "CW_CAPACITY": ("team", "role", "fte", "asye_months", "reduction_pct", "under_18"),
    "CW_RANGE": ("team",),
    "CW_STATUS": ("weighted", "capacity_min", "capacity_max", "children", "incomplete"),
    "CW_LOAD": ("weighted", "capacity_max"),
}


def row_wise_positions(name: str, function: Callable[..., Any]) -> set[int]:
    """Positions of the column arguments of a row-wise CW_ function (empty for the others)."""
    columns = ROW_WISE.get(name)
    if not columns:
        return set()
    import inspect

    names = list(inspect.signature(function).parameters)
    return {names.index(column) for column in columns if column in names}


def policy_position(function: Callable[..., Any]) -> int | None:
    """Index of the ``policy`` parameter of a CW_ function, if it has one."""
    import inspect

    names = list(inspect.signature(function).parameters)
    return names.index("policy") if "policy" in names else None
