"""The engine's Python API: load a workbook, set cells, calculate, read values and errors, save.

book = Workbook.load("tracker.xlsx")
book.set("Workers!D2", 0.5)
book.calculate()
book.get("Summary!B2"); book.errors; book.save_copy("out.xlsx")
"""

from __future__ import annotations

import sys
import threading
import zipfile
from bisect import bisect_right
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

import numpy as np

from addin.engine import criteria
from addin.engine.evaluator import (
    ARRAY_FUNCTIONS,
    DYNAMIC_DEPENDENCIES,
    Evaluator,
    PerRow,
    Vec,
)
from addin.engine.functions import ELEMENTWISE, FUNCTIONS
from addin.engine.grid import Grid
from addin.engine.intersection import explicit_ast, legacy_ast
from addin.engine.package import FormulaCell, Package, read_package
from addin.engine.parser import (
    BinOp,
    Call,
    FormulaSyntaxError,
    NameRef,
    Node,
    ParseContext,
    RangeOp,
    Ref,
    SpillRef,
    TableInfo,
    Unary,
    UnknownSheet,
    at_row,
    parse_formula,
    row_shape,
    row_template,
)
from addin.engine.values import NAME, REF, XlError, clean
from addin.xlsx.references import (
    MAX_ROW,
    cell_address,
    parse_cell,
    parse_range,
    quote_sheet,
    split_sheet,
)
from udfs.errors import CaseloadError
from udfs.excel_dates import from_serial, serial


class WorkbookUnusable(CaseloadError):
    """The file is missing or is not an .xlsx workbook (a ``CaseloadError``: the command line
    reports it as a file it cannot use)."""


@dataclass(frozen=True)
class CellErrorReport:
    """A formula cell that ended in an error."""

    sheet: str
    cell: str
    code: str
    reason: str

    def __str__(self) -> str:
        where = f"{quote_sheet(self.sheet)}!{self.cell}"
        return f"{where}: {self.code}" + (f" ({self.reason})" if self.reason else "")


class Group:
    """Formula cells evaluated together: a run of one column with the same row-shifted formula,
    or one array formula."""

    __slots__ = (
        "sheet",
        "col",
        "r1",
        "r2",
        "text",
        "ast",
        "kind",
        "area",
        "state",
        "reads",
        "may_spill",
        "spill",
        "custom",
        "problem",
        "upward",
        "legacy",
    )

    def __init__(self, sheet: str, col: int, r1: int, r2: int, text: str, kind: str) -> None:
        self.sheet, self.col, self.r1, self.r2, self.text, self.kind = (
            sheet,
            col,
            r1,
            r2,
            text,
            kind,
        )
        self.ast: Node | None = None
        self.area = (r1, col, r2, col)
        self.state = 0
        self.reads: list[tuple[str, int, int, int, int]] | None = []
        self.may_spill = False
        self.spill: tuple[int, int] | None = None
        self.custom = False
        self.problem: XlError | None = None
        self.upward = False  # reads only rows below its own: calculated bottom up
        self.legacy = False  # a legacy formula of an Excel-saved book: implicit intersection

    @property
    def n(self) -> int:
        """Rows in the run."""
        return self.r2 - self.r1 + 1


class Workbook:
    """A workbook held for calculation (see the module docstring)."""

    def __init__(self, package: Package) -> None:
        self.package = package
        self.path = package.path
        self.grids: dict[str, Grid] = {}
        self.sheet_names = {s.name.casefold(): s.name for s in package.sheets}
        self.tables: dict[str, TableInfo] = {}
        self.formulas: dict[str, dict[tuple[int, int], FormulaCell]] = {}
        self.inputs: dict[str, dict[tuple[int, int], Any]] = {}
        self.date_cells: dict[str, set[tuple[int, int]]] = {}
        self.old_spill_cells: dict[str, set[tuple[int, int]]] = {}
        for sheet in package.sheets:
            for table in sheet.tables:
                self.tables[table.name.casefold()] = table
            self.formulas[sheet.name] = sheet.formulas
            self.date_cells[sheet.name] = sheet.date_cells
            spilled: set[tuple[int, int]] = set()
            for (row, col), cell in sheet.formulas.items():
                if cell.ref and cell.kind in ("array", "dynamic"):
                    r1, c1, r2, c2 = parse_range(cell.ref)
                    spilled.update(
                        (r, c)
                        for r in range(r1, r2 + 1)
                        for c in range(c1, c2 + 1)
                        if (r, c) != (row, col)
                    )
            self.old_spill_cells[sheet.name] = spilled
            self.inputs[sheet.name] = {
                key: value
                for key, value in sheet.values.items()
                if key not in sheet.formulas and key not in spilled
            }
        self.groups: list[Group] = []
        self.results: dict[str, dict[tuple[int, int], Any]] = {}
        self.spill_owner: dict[str, dict[tuple[int, int], Group]] = {}
        self.circular: list[str] = []
        self._errors: list[CellErrorReport] = []
        self._calculated = False
        self._range_cache: dict[tuple[Any, ...], np.ndarray] = {}
        self._cell_by_cell: set[str] = set()  # sheets whose runs are split into cells
        self._cycle_sheets: set[str] = set()
        self._build_groups()

    # --- loading -----------------------------------------------------------------------------

    @classmethod
    def load(cls, path: str | Path) -> Workbook:
        """Read an .xlsx/.xlsm file; raises ``WorkbookUnusable`` when it cannot be used."""
        path = Path(path)
        if not path.is_file():
            raise WorkbookUnusable(f"{path} does not exist")
        try:
            package = read_package(path)
        except (zipfile.BadZipFile, KeyError, ValueError, UnicodeDecodeError) as exc:
            raise WorkbookUnusable(f"{path} is not an Excel workbook (.xlsx): {exc}") from exc
        return cls(package)

    def parse_tables(self) -> dict[str, Any]:
        """Keyword arguments for a ``ParseContext`` of this workbook."""
        return {"sheets": self.sheet_names, "tables": self.tables, "names": self.package.names}

    def _context_key(self) -> str:
        """What parsing depends on besides the formula and its cell: sheets, tables, names."""
        tables = sorted(
            (key, t.sheet, t.r1, t.c1, t.r2, t.c2, tuple(t.columns), t.header_rows, t.totals_rows)
            for key, t in self.tables.items()
        )
        names = sorted(self.package.names.items(), key=repr)
        return repr((sorted(self.sheet_names.items()), tables, names))

    def _build_groups(self) -> None:
        self.groups = []
        context = self.parse_tables()
        self._parse_key = self._context_key()
        for sheet in self.package.sheets:
            cells = self.formulas[sheet.name]
            ordered = sorted(cells, key=lambda key: (key[1], key[0]))
            run: Group | None = None
            run_shape: str | None = None
            run_template: list[Any] | None = None  # the run's formula, to write at a later row
            run_key: tuple[int, str] | None = None  # its first cell's (origin row, text)
            alone = sheet.name in self._cell_by_cell
            for row, col in ordered:
                cell = cells[(row, col)]
                if cell.shared_master and cell.shared_master[1] != col:
                    cell.text = _translate(cell.text, cell.shared_master, (row, col))
                    cell.shared_master = None
                origin = cell.shared_master[0] if cell.shared_master else row
                follows = (
                    not alone
                    and run is not None
                    and cell.kind == "normal"
                    and run.kind == "normal"
                    and run.col == col
                    and run.r2 == row - 1
                )
                key = (origin, cell.text)
                if follows and (
                    key == run_key  # a shared formula's cell, of the run's shared formula
                    or (
                        run_template is not None
                        and not cell.shared_master
                        and at_row(run_template, row) == cell.text
                    )  # the run's formula moved down a row
                ):  # the same shape, found without working it out
                    run.r2 = row
                    run.area = (run.r1, col, row, col)
                    continue
                shape = row_shape(cell.text, origin) if cell.kind == "normal" else None
                if follows and shape is not None and shape == run_shape:
                    run.r2 = row  # e.g. a shared formula's cell: its master's shape
                    run.area = (run.r1, col, row, col)
                    continue
                text = cell.text
                if cell.shared_master and cell.shared_master[0] != row:
                    text = _translate(cell.text, cell.shared_master, (row, col))
                run = Group(sheet.name, col, row, row, text, cell.kind)
                run_shape, run_key = shape, key
                run_template = row_template(text, row) if cell.kind == "normal" else None
                if cell.kind == "array" and cell.ref:
                    run.area = parse_range(cell.ref)
                self.groups.append(run)
        for group in self.groups:
            self._prepare(group, context)
        self._index()

    def _prepare(self, group: Group, context: dict[str, Any]) -> None:
        try:
            group.ast = _parse(group, context, self._parse_key)
        except UnknownSheet as exc:
            group.problem = XlError(REF, f"unknown sheet {exc}")
            return
        except FormulaSyntaxError as exc:
            group.problem = XlError(NAME, f"formula not understood by the engine: {exc}")
            return
        if self.package.excel_saved and group.kind == "normal" and "CW_" not in group.text.upper():
            group.legacy = True
            group.ast = legacy_ast(group.ast, FUNCTIONS, ELEMENTWISE)
        elif "@" in group.text or "SINGLE" in group.text.upper():
            group.ast = explicit_ast(group.ast)
        reads: list[tuple[str, int, int, int, int]] | None = []
        top_level_range = False

        def walk(node: Node, inside_call: bool) -> None:
            nonlocal reads, top_level_range
            kind = type(node)
            if kind is Ref:
                last = group.n - 1
                r1 = node.r1 + (0 if not node.rel1 else 0)
                r2 = node.r2 + (last if node.rel2 else 0)
                if reads is not None:
                    reads.append((node.sheet, r1, node.c1, r2, node.c2))
                if not node.is_cell and not inside_call:
                    top_level_range = True
            elif kind is SpillRef:
                ref = node.ref
                if reads is not None:  # the anchor: its group writes the whole spill range
                    reads.append((ref.sheet, ref.r1, ref.c1, ref.r1, ref.c1))
                top_level_range = top_level_range or not inside_call
            elif kind is Call:
                if node.name in DYNAMIC_DEPENDENCIES:
                    reads = None
                if node.name.startswith("CW_"):
                    group.custom = True
                if node.name in ARRAY_FUNCTIONS or node.name.startswith("CW_"):
                    top_level_range = True
                # a range given to a cell-by-cell function makes an array, as at top level
                within = inside_call if node.name in ELEMENTWISE else True
                for arg in node.args:
                    walk(arg, within)
            elif kind is BinOp:
                walk(node.left, inside_call)
                walk(node.right, inside_call)
            elif kind is Unary:
                walk(node.operand, inside_call)
            elif kind is RangeOp:
                top_level_range = top_level_range or not inside_call
                walk(node.left, True)
                walk(node.right, True)
            elif kind is NameRef:
                reads = None

        walk(group.ast, False)
        group.reads = reads
        group.upward = _reads_only_below(group)
        group.may_spill = (
            group.n == 1 and group.kind != "array" and top_level_range and not group.legacy
        )

    def _index(self) -> None:
        self.by_column: dict[str, dict[int, tuple[list[int], list[Group]]]] = {}
        self.spill_candidates: dict[str, list[Group]] = {}
        for group in sorted(self.groups, key=lambda g: g.area[0]):
            columns = self.by_column.setdefault(group.sheet, {})
            r1, c1, r2, c2 = group.area
            for col in range(c1, c2 + 1):
                starts, members = columns.setdefault(col, ([], []))
                starts.append(r1)
                members.append(group)
            if group.may_spill:
                self.spill_candidates.setdefault(group.sheet, []).append(group)

    # --- cells -------------------------------------------------------------------------------

    def _where(self, address: str, sheet: str | None = None) -> tuple[str, int, int]:
        name, rest = split_sheet(address)
        name = name or sheet or self.package.sheets[0].name
        real = self.sheet_names.get(name.casefold())
        if real is None:
            raise KeyError(f"no sheet {name!r}")
        row, col = parse_cell(rest)
        return real, row, col

    def get(self, address: str) -> Any:
        """The value of a cell (``"Sheet!B2"``), calculating first if needed.

        Numbers are floats, text str, logicals bool, empty ``None``, errors ``XlError``.
        """
        if not self._calculated:
            self.calculate()
        sheet, row, col = self._where(address)
        return self.grids[sheet].get(row, col)

    def get_range(self, address: str) -> list[list[Any]]:
        """The values of a range (``"Sheet!A1:C4"``) as rows."""
        if not self._calculated:
            self.calculate()
        name, rest = split_sheet(address)
        sheet = self._where(f"{quote_sheet(name)}!A1" if name else "A1")[0]
        r1, c1, r2, c2 = parse_range(rest)
        return self.grids[sheet].block(r1, c1, r2, c2).tolist()

    def set(self, address: str, value: Any) -> None:
        """Set a cell to a constant, or to a formula when ``value`` is text starting with "="."""
        sheet, row, col = self._where(address)
        cells = self.formulas[sheet]
        had_formula = (row, col) in cells
        if isinstance(value, str) and value.startswith("=") and len(value) > 1:
            cells[(row, col)] = FormulaCell(text=value[1:])
            self.inputs[sheet].pop((row, col), None)
            self._build_groups()
        else:
            if isinstance(value, datetime):
                value = serial(value)
            self.inputs[sheet][(row, col)] = clean(value) if value != "" else None
            if had_formula:
                del cells[(row, col)]
                self._build_groups()
        self._calculated = False

    @property
    def errors(self) -> list[CellErrorReport]:
        """Every formula cell (and spilled cell) that ended in an error, sheet by sheet."""
        if not self._calculated:
            self.calculate()
        return list(self._errors)

    # --- calculation -------------------------------------------------------------------------

    def calculate(self) -> None:
        """Evaluate every formula of the workbook."""
        failure: list[BaseException] = []

        def run() -> None:
            try:
                self._calculate()
            except BaseException as exc:  # re-raised in the caller's thread
                failure.append(exc)

        old_limit = sys.getrecursionlimit()
        sys.setrecursionlimit(max(old_limit, 60_000))
        old_size = threading.stack_size()
        threading.stack_size(512 * 1024 * 1024)
        try:
            worker = threading.Thread(target=run, name="recalc")
            worker.start()
            worker.join()
        finally:
            threading.stack_size(old_size)
            sys.setrecursionlimit(old_limit)
        if failure:
            raise failure[0]

    def _calculate(self) -> None:
        criteria.clear_caches()
        self._range_cache.clear()
        self.grids = {}
        for sheet in self.package.sheets:
            grid = Grid(sheet.name)
            by_col: dict[int, list[tuple[int, Any]]] = {}
            for (row, col), value in self.inputs[sheet.name].items():
                by_col.setdefault(col, []).append((row, value))
            top = max((r for r, _ in self.inputs[sheet.name]), default=0)
            grid.max_row = top
            for col, items in by_col.items():
                column = [None] * (top + 1)
                for row, value in items:
                    column[row] = value
                grid.columns[col] = column
                grid.max_col = max(grid.max_col, col)
            for row, col in self.formulas[sheet.name]:
                grid.max_row, grid.max_col = max(grid.max_row, row), max(grid.max_col, col)
            self.grids[sheet.name] = grid
        self.spill_owner = {name: {} for name in self.grids}
        self.circular = []
        for group in self.groups:
            group.state = 0
            group.spill = None
        self._cycle_sheets = set()
        for group in self.groups:
            self._evaluate(group)
        if self._cycle_sheets - self._cell_by_cell:
            # runs that read each other (C8 = D7 + C7 beside D8 = E3 * C8) form a cycle only
            # as runs: calculate those sheets again, cell by cell
            self._cell_by_cell |= self._cycle_sheets
            self._build_groups()
            self._calculate()
            return
        self._calculated = True
        self._collect_errors()

    def sheet(self, name: str) -> Grid:
        """The grid of a sheet."""
        return self.grids[name]

    def range_array(self, sheet: str, r1: int, c1: int, r2: int, c2: int) -> np.ndarray:
        """Values of a rectangle (whole columns clipped to the used rows)."""
        grid = self.grids[sheet]
        full = (r2 - r1 + 1) * (c2 - c1 + 1)
        if r2 >= MAX_ROW:
            r2 = max(grid.max_row, r1)
        if c2 >= 16384:
            c2 = max(grid.max_col, c1)
        key = (sheet, r1, c1, r2, c2, grid.stamp(c1, c2))
        cached = self._range_cache.get(key)
        if cached is None:
            cached = self._range_cache[key] = grid.block(r1, c1, r2, c2)
            criteria.note_clipped(cached, full)
        return cached

    def range_for_custom(self, ref: Ref) -> np.ndarray:
        """A range as a CW_ function gets it from Excel: date-formatted cells as datetimes."""
        self.ensure(ref.sheet, ref.r1, ref.c1, ref.r2, ref.c2, None)
        array = self.range_array(ref.sheet, ref.r1, ref.c1, ref.r2, ref.c2)
        dates = self.date_cells.get(ref.sheet)
        if not dates:
            return array
        out = None
        for row, col in dates:
            i, j = row - ref.r1, col - ref.c1
            if 0 <= i < array.shape[0] and 0 <= j < array.shape[1]:
                value = array[i, j]
                if type(value) is float and value >= 0:
                    if out is None:
                        out = array.copy()
                    out[i, j] = from_serial(value)
        return array if out is None else out

    def spill_extent(self, sheet: str, row: int, col: int) -> tuple[int, int] | None:
        """Bottom-right of the spill anchored at (row, col), after calculating it."""
        self.ensure(sheet, row, col, row, col, None)
        owner = self.spill_owner.get(sheet, {}).get((row, col))
        if owner is not None and owner.spill is not None:
            return owner.spill
        if self.formulas[sheet].get((row, col)) is not None:
            return (row, col)
        return None

    def ensure(self, sheet: str, r1: int, c1: int, r2: int, c2: int, asker: Group | None) -> None:
        """Calculate every formula that writes into the rectangle before it is read."""
        columns = self.by_column.get(sheet)
        if columns:
            last_col = min(c2, max(columns))
            for col in range(c1, last_col + 1):
                entry = columns.get(col)
                if entry is None:
                    continue
                starts, members = entry
                j = bisect_right(starts, r2) - 1
                while j >= 0:
                    group = members[j]
                    if group.area[2] < r1:
                        break
                    if group is not asker:
                        if group.state == 1:
                            self._note_cycle(group)
                        elif group.state == 0:
                            self._evaluate(group)
                    j -= 1
        for group in self.spill_candidates.get(sheet, ()):
            if group.r1 <= r2 and group.col <= c2 and group.state == 0 and group is not asker:
                self._evaluate(group)

    def _note_cycle(self, group: Group) -> None:
        self._cycle_sheets.add(group.sheet)
        where = f"{quote_sheet(group.sheet)}!{cell_address(group.r1, group.col)}"
        if where not in self.circular:
            self.circular.append(where)

    def _evaluate(self, group: Group) -> None:
        if group.state:
            return
        group.state = 1
        if group.problem is not None or group.ast is None:
            self._place(group, 0, group.problem or XlError(NAME))
            group.state = 2
            return
        self_reads = False
        if group.reads is None:
            for other in self.groups:
                if other is not group and other.state == 0:
                    self._evaluate(other)
        else:
            for sheet, r1, c1, r2, c2 in group.reads:
                a = group.area
                if sheet == group.sheet and r1 <= a[2] and r2 >= a[0] and c1 <= a[3] and c2 >= a[1]:
                    self_reads = True
                self.ensure(sheet, r1, c1, r2, c2, group)
        if self_reads and group.n > 1:
            # a running formula: row by row, top down (bottom up when it reads only later rows)
            order = range(group.n - 1, -1, -1) if group.upward else range(group.n)
            for k in order:
                value = Evaluator(self, group, k, 1).evaluate(group.ast)
                self._place(group, k, value[0] if type(value) in (Vec, PerRow) else value)
        else:
            value = Evaluator(self, group, 0, group.n).evaluate(group.ast)
            if type(value) in (Vec, PerRow):
                if group.n == 1:
                    self._place(group, 0, value[0])
                else:
                    finals = [self._final(group, item) for item in value]
                    if any(isinstance(item, np.ndarray) for item in finals):
                        for k, item in enumerate(value):
                            self._place(group, k, item, many=True)
                    else:  # one write for the whole column
                        self.grids[group.sheet].set_run(group.col, group.r1, finals)
            elif group.n == 1:
                self._place(group, 0, value)
            else:
                self._place_run(group, value)
        group.state = 2

    def _final(self, group: Group, value: Any) -> Any:
        if isinstance(value, np.ndarray):
            # a one-cell array is its value; a legacy formula shows its array's first value
            if value.size == 1 or (group.legacy and value.size):
                value = value.flat[0]
            else:
                return value
        if value is None and not group.custom:
            return 0.0
        return clean(value) if type(value) is not XlError else value

    def _place_run(self, group: Group, value: Any) -> None:
        value = self._final(group, value)
        if isinstance(value, np.ndarray):
            for k in range(group.n):
                self._place(group, k, value, many=True)
            return
        self.grids[group.sheet].set_run(group.col, group.r1, [value] * group.n)

    def _place(self, group: Group, k: int, value: Any, many: bool = False) -> None:
        grid = self.grids[group.sheet]
        row, col = group.r1 + k, group.col
        value = self._final(group, value)
        if not isinstance(value, np.ndarray):
            grid.set(row, col, value)
            return
        if group.kind == "array":
            r1, c1, r2, c2 = group.area
            for i in range(r2 - r1 + 1):
                for j in range(c2 - c1 + 1):
                    grid.set(r1 + i, c1 + j, _fit(value, i, j, group.custom))
            return
        if many:  # a row of a formula column returned an array: Excel would spill each row
            grid.set(row, col, XlError("#SPILL!", "a formula copied down returns an array"))
            return
        height, width = value.shape
        owners = self.spill_owner[group.sheet]
        formulas = self.formulas[group.sheet]
        for i in range(height):
            for j in range(width):
                if i == 0 and j == 0:
                    continue
                key = (row + i, col + j)
                if grid.get(*key) is not None or key in formulas or key in owners:
                    where = cell_address(*key)
                    grid.set(
                        row, col, XlError("#SPILL!", f"the spill range is not empty ({where})")
                    )
                    return
        for i in range(height):
            for j in range(width):
                cell = value[i, j]
                if cell is None and not group.custom:
                    cell = 0.0
                if i or j:
                    owners[(row + i, col + j)] = group
                grid.set(row + i, col + j, clean(cell) if type(cell) is not XlError else cell)
        owners[(row, col)] = group
        group.spill = (row + height - 1, col + width - 1)

    def _collect_errors(self) -> None:
        errors: list[CellErrorReport] = []
        for sheet in self.package.sheets:
            grid = self.grids[sheet.name]
            seen: set[tuple[int, int]] = set()
            keys = list(self.formulas[sheet.name]) + list(self.spill_owner[sheet.name])
            for key in sorted(set(keys)):
                if key in seen:
                    continue
                seen.add(key)
                value = grid.get(*key)
                if type(value) is XlError:
                    errors.append(
                        CellErrorReport(sheet.name, cell_address(*key), value.code, value.reason)
                    )
        self._errors = errors

    # --- output ------------------------------------------------------------------------------

    def formula_cells(self) -> dict[str, dict[tuple[int, int], Any]]:
        """Computed value of every formula cell, by sheet."""
        if not self._calculated:
            self.calculate()
        return {
            name: {key: self.grids[name].get(*key) for key in cells}
            for name, cells in self.formulas.items()
        }

    def save_copy(self, out: str | Path) -> Path:
        """Write the original package to ``out`` with every computed value cached."""
        from addin.engine.writer import write_copy

        if not self._calculated:
            self.calculate()
        out = Path(out)
        if out.resolve() == self.path.resolve():
            raise ValueError("save_copy never writes over the workbook it read")
        write_copy(self, out)
        return out


_PARSED: dict[tuple[str, str, int, int, str], Node | FormulaSyntaxError] = {}
_PARSED_LIMIT = 50_000


def _parse(group: Group, context: dict[str, Any], context_key: str) -> Node:
    """The AST of a group's formula, parsed once per formula, cell and workbook layout (a
    folder of workbooks made from one template parses each formula once)."""
    key = (group.text, group.sheet, group.r1, group.col, context_key)
    found = _PARSED.get(key)
    if found is None:
        try:
            found = parse_formula(
                group.text, ParseContext(group.sheet, group.r1, group.col, **context)
            )
        except FormulaSyntaxError as exc:
            found = exc
        if len(_PARSED) >= _PARSED_LIMIT:
            _PARSED.clear()
        _PARSED[key] = found
    if isinstance(found, FormulaSyntaxError):
        raise found
    return found


def _reads_only_below(group: Group) -> bool:
    """True when every reference of the group's formula into its own cells reads rows below
    the formula's row (``INDEX($P3:$P$99,...)`` in P2), and there is at least one: such a
    column is calculated from the bottom up."""
    below = 0
    stack: list[Node] = [group.ast] if group.ast is not None else []
    while stack:
        node = stack.pop()
        kind = type(node)
        if kind is Ref:
            if node.sheet != group.sheet or not node.c1 <= group.col <= node.c2:
                continue
            last = node.r2 + (group.n - 1 if node.rel2 else 0)
            if last < group.r1 or node.r1 > group.r2:
                continue  # outside the group's rows
            if node.r1 <= (group.r1 if node.rel1 else group.r2):
                return False  # can reach the formula's own row or one above it
            below += 1
        elif kind is Call:
            stack.extend(node.args)
        elif kind in (BinOp, RangeOp):
            stack.extend((node.left, node.right))  # type: ignore[attr-defined]
        elif kind is Unary:
            stack.append(node.operand)  # type: ignore[attr-defined]
        elif kind is SpillRef:
            return False
    return below > 0


def _fit(value: np.ndarray, i: int, j: int, keep_blank: bool) -> Any:
    r = 0 if value.shape[0] == 1 else i
    c = 0 if value.shape[1] == 1 else j
    if r >= value.shape[0] or c >= value.shape[1]:
        return XlError("#N/A")
    cell = value[r, c]
    return 0.0 if cell is None and not keep_blank else cell


def _translate(text: str, origin: tuple[int, int], target: tuple[int, int]) -> str:
    from openpyxl.formula.translate import Translator

    return Translator("=" + text, cell_address(*origin)).translate_formula(cell_address(*target))[
        1:
    ]


__all__ = ["CellErrorReport", "Group", "PerRow", "Workbook", "WorkbookUnusable"]
