"""Writing the recalculated copy: the original package, every part copied untouched, except
that sheet XML cells get their cached values (``<v>``), spilled cells are written as values,
and spilling formulas become dynamic-array formulas (``t="array" ref=...`` with ``cm``). The
XML editing itself is ``addin.xlsx.cached_values``; this module says what to write."""

from __future__ import annotations

import zipfile
from pathlib import Path
from typing import TYPE_CHECKING

from addin.xlsx.cached_values import METADATA_TYPE, SheetUpdates, Update, write_cached_values
from addin.xlsx.parts import relationships
from addin.xlsx.references import range_address

if TYPE_CHECKING:
    from addin.engine.workbook import Workbook


def sheet_updates(book: Workbook, sheet: str) -> SheetUpdates:
    """Cells to rewrite in one sheet."""
    grid = book.grids[sheet]
    updates: SheetUpdates = {}
    anchors = {(g.r1, g.col): g for g in book.groups if g.sheet == sheet and g.spill is not None}
    for row, col in book.formulas[sheet]:
        group = anchors.get((row, col))
        array_ref = None
        if group is not None and group.kind != "array":
            array_ref = range_address(row, col, *group.spill)
        updates.setdefault(row, {})[col] = Update(grid.get(row, col), True, array_ref)
    for row, col in book.spill_owner[sheet]:
        if (row, col) in book.formulas[sheet]:
            continue
        updates.setdefault(row, {})[col] = Update(grid.get(row, col), False)
    for row, col in book.old_spill_cells.get(sheet, set()):
        key = (row, col)
        taken = key in book.spill_owner[sheet] or key in book.formulas[sheet]
        if not taken and key not in book.inputs[sheet]:
            updates.setdefault(row, {})[col] = Update(None, False, clear=True)
    for group in book.groups:  # legacy array formulas: every cell of the fixed range
        if group.sheet == sheet and group.kind == "array":
            r1, c1, r2, c2 = group.area
            for r in range(r1, r2 + 1):
                for c in range(c1, c2 + 1):
                    if (r, c) != (group.r1, group.col):
                        updates.setdefault(r, {})[c] = Update(grid.get(r, c), False)
    return updates


def write_copy(book: Workbook, out: Path) -> None:
    """Write ``book``'s package to ``out`` with cached values (see module docstring)."""
    needs_dynamic = any(g.spill is not None and g.kind != "array" for g in book.groups)
    with zipfile.ZipFile(book.path) as archive:
        metadata_part = next(
            (
                t
                for k, t in relationships(archive, "xl/workbook.xml").values()
                if k == METADATA_TYPE
            ),
            None,
        )
    cm: str | None = None
    add_metadata = False
    if book.package.dynamic_metadata:
        cm = str(min(book.package.dynamic_metadata))
    elif needs_dynamic and metadata_part is None:
        cm, add_metadata = "1", True
    sheets = book.package.sheets
    write_cached_values(
        book.path,
        out,
        {s.path: sheet_updates(book, s.name) for s in sheets},
        cm,
        add_metadata,
        dimensions={
            s.path: (book.grids[s.name].max_row, book.grids[s.name].max_col) for s in sheets
        },
        drop_full_calc=True,
    )
