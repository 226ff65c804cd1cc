"""ISFORMULA, FORMULATEXT and CELL: functions of a cell (its formula, its place) rather than
only its value, evaluated by the engine itself (``formulas`` raises on them)."""

from __future__ import annotations

import re
from typing import TYPE_CHECKING, Any

import numpy as np

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


def cell_info(ev: Evaluator, node: Call) -> Any:
    """CELL(info_type, reference): "address", "col", "row", "contents" and "type" ("b" blank,
    "l" text, "v" anything else) of the top-left cell of the reference (of the formula's own
    cell when omitted); other info types are #VALUE!."""
    from addin.engine.evaluator import Area, Vec, _pick, _rowwise
    from addin.xlsx.references import col_letters, quote_sheet

    if not 1 <= len(node.args) <= 2:
        return XlError(VALUE, "CELL takes 1 or 2 arguments")
    kinds = ev.evaluate(node.args[0])
    if len(node.args) == 2:
        areas = ev.areas(node.args[1])
    else:
        group = ev.group
        areas = Vec(
            Area(group.sheet, group.r1 + k, group.col, group.r1 + k, group.col) for k in ev.offsets
        )

    def one(kind: Any, area: Any) -> Any:
        if isinstance(kind, np.ndarray):
            kind = kind.flat[0] if kind.size else None
        if type(kind) is XlError:
            return kind
        if type(area) is XlError:
            return area
        if not isinstance(kind, str) or type(area) is not Area:
            return XlError(VALUE, "CELL needs an info type and a reference")
        kind = kind.lower()
        row, col = area.r1, area.c1
        if kind == "row":
            return float(row)
        if kind == "col":
            return float(col)
        if kind == "address":
            address = f"${col_letters(col)}${row}"
            if area.sheet != ev.group.sheet:
                return f"{quote_sheet(area.sheet)}!{address}"
            return address
        if kind in ("contents", "type"):
            ev.book.ensure(area.sheet, row, col, row, col, ev.group)
            value = ev.book.range_array(area.sheet, row, col, row, col)[0, 0]
            if kind == "contents":
                return value
            if value is None:
                return "b"
            return "l" if isinstance(value, str) else "v"
        return XlError(VALUE, f"CELL info type {kind!r} is not supported by the engine")

    if _rowwise(kinds) or _rowwise(areas):
        return Vec(one(_pick(kinds, k), _pick(areas, k)) for k in range(ev.n))
    return one(kinds, areas)
