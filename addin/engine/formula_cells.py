"""ISFORMULA and FORMULATEXT: functions of a cell's formula rather than its value, evaluated
by the engine itself (``formulas`` raises on them)."""

from __future__ import annotations

import re
from typing import TYPE_CHECKING, Any

from addin.engine.parser import Call, Ref
from addin.engine.values import VALUE, XlError

if TYPE_CHECKING:
    from addin.engine.evaluator import Evaluator


def _formula_cells(ev: Evaluator, node: Call) -> list[tuple[str, int, int]] | XlError:
    """The top-left cell each row's reference argument stands for (``#VALUE!`` when the
    argument is not a reference)."""
    if not node.args or type(node.args[0]) is not Ref:
        return XlError(VALUE, "not a reference")
    ref = node.args[0]
    return [(ref.sheet, ref.r1 + (k if ref.rel1 else 0), ref.c1) for k in ev.offsets]


def isformula(ev: Evaluator, node: Call) -> Any:
    """ISFORMULA(ref): whether the cell holds a formula (a spilled cell counts)."""
    from addin.engine.evaluator import Vec

    where = _formula_cells(ev, node)
    if type(where) is XlError:
        return where
    book = ev.book
    return Vec(
        (row, col) in book.formulas.get(sheet, {}) or (row, col) in book.spill_owner.get(sheet, {})
        for sheet, row, col in where
    )


def formulatext(ev: Evaluator, node: Call) -> Any:
    """FORMULATEXT(ref): the cell's formula as Excel shows it ("=SUM(A1:A3)"), #N/A when the
    cell holds none."""
    from addin.engine.evaluator import Vec
    from addin.engine.workbook import _translate

    where = _formula_cells(ev, node)
    if type(where) is XlError:
        return where
    out: list[Any] = []
    for sheet, row, col in where:
        cell = ev.book.formulas.get(sheet, {}).get((row, col))
        if cell is None:
            out.append(XlError("#N/A", "the cell holds no formula"))
            continue
        text = cell.text
        if cell.shared_master and cell.shared_master != (row, col):
            text = _translate(text, cell.shared_master, (row, col))
        out.append("=" + re.sub(r"_xl(?:fn|ws)\.", "", text, flags=re.I))
    return Vec(out)
