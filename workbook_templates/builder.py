"""One builder for every template: a ``WorkbookSpec`` in, an .xlsx file out (openpyxl).

openpyxl writes formulas without values and knows nothing of dynamic arrays, so after saving,
the builder edits the sheet XML (with the engine's writer, ``addin.xlsx.cached_values``): each
formula cell gets its ``cached`` value (what Python computed for it), and a ``dynamic`` array
formula gets the cell metadata (``cm``) that makes Excel 365 spill it, resizing as the tracker
grows. Where every formula has its cached value, the workbook asks for no recalculation on
load (a current ``calcId``, no ``fullCalcOnLoad``), so Excel keeps them. A spec with ``native``
sheets gets them added as ``caseload attach`` adds them (``addin.xlsx.sheets``); their working
columns carry no cached values, so that workbook is recalculated in full on open.
"""

from __future__ import annotations

import math
import tempfile
from copy import copy
from dataclasses import dataclass
from datetime import date, datetime
from pathlib import Path
from typing import Any

from openpyxl import Workbook
from openpyxl.chart import BarChart, LineChart, Reference, Series
from openpyxl.comments import Comment
from openpyxl.formatting.rule import FormulaRule
from openpyxl.styles import Alignment, Border, Font, PatternFill, Protection, Side
from openpyxl.styles.cell_style import StyleArray
from openpyxl.utils import get_column_letter
from openpyxl.worksheet.datavalidation import DataValidation
from openpyxl.worksheet.formula import ArrayFormula
from openpyxl.worksheet.table import Table as ExcelTable
from openpyxl.worksheet.table import TableStyleInfo

from addin.xlsx.cached_values import SheetUpdates, Update, write_cached_values
from addin.xlsx.cell_values import XlError
from addin.xlsx.references import parse_cell
from addin.xlsx.sheets import add_sheets
from udfs.excel_dates import serial
from workbook_templates.spec import Cell, Chart, Sheet, Table, Validation, WorkbookSpec

_THIN = Side(style="thin", color="BFBFBF")
_BOX = Border(left=_THIN, right=_THIN, top=_THIN, bottom=_THIN)
STYLES: dict[str, dict[str, Any]] = {
    "title": {"font": Font(bold=True, size=14, color="1F3864")},
    "subtitle": {"font": Font(italic=True, color="595959")},
    "header": {
        "font": Font(bold=True, color="FFFFFF"),
        "fill": PatternFill("solid", fgColor="305496"),
        "alignment": Alignment(wrap_text=True, vertical="center"),
        "border": _BOX,
    },
    "input": {"fill": PatternFill("solid", fgColor="FFF2CC"), "border": _BOX},
    "formula": {"fill": PatternFill("solid", fgColor="EDEDED"), "border": _BOX},
    "label": {"font": Font(bold=True)},
    "note": {"font": Font(color="595959"), "alignment": Alignment(wrap_text=True, vertical="top")},
    "flag": {
        "font": Font(bold=True, color="C00000"),
        "fill": PatternFill("solid", fgColor="EDEDED"),
    },
    "plain": {},
}
RAG = {"red": "F8CBAD", "amber": "FFE699", "green": "C6EFCE", "grey": "D9D9D9"}
ERRORS = {"#NAME?", "#VALUE!", "#N/A", "#DIV/0!", "#REF!", "#NUM!", "#NULL!", "#SPILL!"}


@dataclass(frozen=True)
class FormulaCell:
    """A formula written to the file: where, what, the value cached for it, whether CW_-based."""

    sheet: str
    ref: str
    formula: str
    cached: Any
    uses_cw: bool


def build_workbook(spec: WorkbookSpec) -> Workbook:
    """The openpyxl workbook of ``spec`` (formulas without cached values)."""
    book = Workbook()
    book.remove(book.active)
    book.properties.title = spec.title
    book.properties.creator = "caseload-weighting"
    for sheet_spec in spec.sheets:
        _build_sheet(book, sheet_spec)
    for sheet_spec in spec.sheets:
        for chart in sheet_spec.charts:
            book[sheet_spec.title].add_chart(_chart(book, chart), chart.anchor)
    return book


def save_workbook(spec: WorkbookSpec, path: str | Path) -> list[FormulaCell]:
    """Build ``spec`` into ``path`` with cached values; returns every formula cell written."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    formulas = formula_cells(spec)
    if not spec.native:
        build_workbook(spec).save(path)
        _patch_xml(path, spec)
        return formulas
    with tempfile.TemporaryDirectory(prefix="caseload-template-") as scratch:
        base = Path(scratch) / "base.xlsx"
        build_workbook(spec).save(base)
        _patch_xml(base, spec)
        add_sheets(base, path, spec.native, spec.native_cached)
    return formulas


def formula_cells(spec: WorkbookSpec) -> list[FormulaCell]:
    """Every formula cell of ``spec`` with its cached value."""
    return [
        FormulaCell(sheet.title, ref, cell.value, cell.cached, cell.uses_cw)
        for sheet in spec.sheets
        for ref, cell in sheet.cells.items()
        if cell.is_formula
    ]


# --- sheets ------------------------------------------------------------------------------------


def _build_sheet(book: Workbook, spec: Sheet) -> None:
    sheet = book.create_sheet(spec.title)
    if spec.tab_colour:
        sheet.sheet_properties.tabColor = spec.tab_colour
    for table in spec.tables:
        _build_table(sheet, table)
    styles: dict[tuple[Any, ...], StyleArray] = {}
    for ref, cell in spec.cells.items():
        _write_cell(sheet, ref, cell, styles)
    for letter, width in spec.widths.items():
        sheet.column_dimensions[letter].width = width
    for validation in spec.validations:
        sheet.add_data_validation(_validation(validation))
    for rule in spec.highlights:
        colour = RAG.get(rule.colour, rule.colour)
        sheet.conditional_formatting.add(
            rule.ref,
            FormulaRule(
                formula=[rule.formula], fill=PatternFill("solid", fgColor=colour, bgColor=colour)
            ),
        )
    for ref, number_format in spec.formats.items():
        for row in sheet[ref]:
            for target in row:
                target.number_format = number_format
    if spec.freeze:
        sheet.freeze_panes = spec.freeze
    if spec.print_title_rows:
        sheet.print_title_rows = spec.print_title_rows
    if spec.print_area:
        sheet.print_area = spec.print_area
    for row, height in spec.heights.items():
        sheet.row_dimensions[row].height = height
    sheet.page_setup.orientation = "landscape" if spec.landscape else "portrait"
    sheet.page_setup.fitToWidth = 1
    sheet.page_setup.fitToHeight = 0
    sheet.sheet_properties.pageSetUpPr.fitToPage = True
    if spec.protect:
        # No password: the lock stops a typed value silently replacing a formula; a manager who
        # means to change the layout can unprotect the sheet (Review > Unprotect Sheet).
        protection = sheet.protection
        protection.sheet = True
        protection.formatColumns = False
        protection.formatRows = False
        protection.formatCells = False
        protection.autoFilter = False
        protection.sort = False


def _write_cell(
    sheet: Any, ref: str, cell: Cell, styles: dict[tuple[Any, ...], StyleArray] | None = None
) -> None:
    """Write one cell; ``styles`` caches the style of each (style, format, locked) of the sheet,
    copied onto unstyled cells instead of being set attribute by attribute (openpyxl hashes
    every style object it is given, the builder's slowest step)."""
    target = sheet[ref]
    if cell.array_ref:
        target.value = ArrayFormula(cell.array_ref, cell.value)
        if cell.spill:
            _write_spill(sheet, ref, cell)
    else:
        target.value = cell.value
    key = (cell.style, cell.number_format, cell.locked)
    known = styles.get(key) if styles is not None and not target.has_style else None
    if known is not None:
        target._style = copy(known)
    else:
        fresh = not target.has_style
        for attribute, value in STYLES[cell.style].items():
            setattr(target, attribute, value)
        if cell.number_format:
            target.number_format = cell.number_format
        target.protection = Protection(locked=cell.locked)
        if styles is not None and fresh:
            styles[key] = copy(target._style)
    if cell.comment:
        target.comment = Comment(cell.comment, "caseload-weighting")


def _write_spill(sheet: Any, ref: str, cell: Cell) -> None:
    """Cached values of the cells an array formula fills (the anchor's is patched in later)."""
    anchor = sheet[ref]
    for r, values in enumerate(cell.spill or []):
        for c, value in enumerate(values):
            if r == 0 and c == 0:
                continue
            target = sheet.cell(anchor.row + r, anchor.column + c)
            target.value = _plain(value)
            if r == 0:
                for attribute, style in STYLES["header"].items():
                    setattr(target, attribute, style)


def _build_table(sheet: Any, table: Table) -> None:
    first = sheet[table.top_left]
    row0, col0 = first.row, first.column
    for offset, column in enumerate(table.columns):
        header = sheet.cell(row0, col0 + offset, column.header)
        for attribute, value in STYLES["header"].items():
            setattr(header, attribute, value)
        if column.help:
            header.comment = Comment(column.help, "caseload-weighting")
        letter = get_column_letter(col0 + offset)
        sheet.column_dimensions[letter].width = column.width
    body_rows = max(table.size, len(table.rows), 1)
    for r, values in enumerate(table.rows, start=1):
        for c, value in enumerate(values):
            target = sheet.cell(row0 + r, col0 + c, _plain(value))
            if isinstance(target.value, str):
                target.data_type = "s"  # typed data is text, never a formula (a leading "=")
    for offset, column in enumerate(table.columns):
        body_style: StyleArray | None = None  # set once, then copied down the column
        for r in range(1, body_rows + 1):
            target = sheet.cell(row0 + r, col0 + offset)
            fresh = not target.has_style
            if fresh and body_style is not None:
                target._style = copy(body_style)
                continue
            target.protection = Protection(locked=False)
            if column.number_format:
                target.number_format = column.number_format
            if fresh:
                body_style = copy(target._style)
        letter = get_column_letter(col0 + offset)
        body = f"{letter}{row0 + 1}:{letter}{row0 + body_rows}"
        if column.choices or column.kind != "any":
            sheet.add_data_validation(
                _validation(
                    Validation(
                        body,
                        column.choices,
                        column.kind,
                        column.minimum,
                        column.maximum,
                        column.help,
                    )
                )
            )
    excel_table = ExcelTable(displayName=table.name, ref=table.ref)
    excel_table.tableStyleInfo = TableStyleInfo(name=table.style, showRowStripes=True)
    sheet.add_table(excel_table)


def _validation(spec: Validation) -> DataValidation:
    if spec.choices:
        rule = DataValidation(
            type="list", formula1='"' + ",".join(spec.choices) + '"', allow_blank=True
        )
    elif spec.kind == "text":
        rule = DataValidation(type="textLength", operator="lessThanOrEqual", formula1="2000")
    else:
        low = spec.minimum if spec.minimum is not None else 0
        high = spec.maximum if spec.maximum is not None else 1e9
        if spec.kind == "date":
            low, high = 36526, 73051  # 2000-01-01 .. 2099-12-31 as Excel serials
        rule = DataValidation(
            type=spec.kind, operator="between", formula1=str(low), formula2=str(high)
        )
        rule.allow_blank = True
    rule.showErrorMessage = True
    rule.error = spec.message or "That value is not one the tracker accepts here."
    rule.errorTitle = "Check the value"
    if spec.message:
        rule.prompt = spec.message
        rule.showInputMessage = True
    rule.add(spec.ref)
    return rule


def _chart(book: Workbook, spec: Chart) -> Any:
    source = book[spec.sheet]

    def ref(text: str) -> Reference:
        return Reference(source, range_string=f"'{spec.sheet}'!{text}")

    main = BarChart() if spec.kind == "bar" else LineChart()
    if spec.kind == "bar":
        main.type = "col"
        main.grouping = "clustered"
    for title, values in spec.series:
        series = Series(ref(values), title=title)
        main.series.append(series)
    main.set_categories(ref(spec.categories))
    if spec.line_series:
        overlay = LineChart()
        for title, values in spec.line_series:
            overlay.series.append(Series(ref(values), title=title))
        overlay.set_categories(ref(spec.categories))
        main += overlay
    main.title = spec.title
    main.y_axis.title = spec.y_title
    main.x_axis.title = spec.x_title
    main.x_axis.delete = False
    main.y_axis.delete = False
    main.width, main.height = spec.width, spec.height
    main.legend.position = "b"
    return main


def _plain(value: Any) -> Any:
    if hasattr(value, "item") and not isinstance(value, str | date | datetime):
        value = value.item()
    if isinstance(value, float) and math.isnan(value):
        return None
    return value


# --- cached values and dynamic arrays ----------------------------------------------------------


def _cached_value(value: Any) -> Any:
    """A cached value as the engine holds it: dates as serial numbers, error text as errors."""
    value = _plain(value)
    if isinstance(value, datetime | date):
        return serial(value)
    if isinstance(value, str) and value in ERRORS:
        return XlError(value)
    return value


def _patch_xml(path: Path, spec: WorkbookSpec) -> None:
    """Write cached values into formula cells and mark dynamic arrays (see module docstring)."""
    updates: dict[str, SheetUpdates] = {}
    any_dynamic = False
    for index, sheet in enumerate(spec.sheets, start=1):
        cells: SheetUpdates = {}
        for ref, cell in sheet.cells.items():
            if cell.is_formula:
                row, col = parse_cell(ref)
                spills = cell.array_ref if cell.dynamic else None
                cells.setdefault(row, {})[col] = Update(_cached_value(cell.cached), True, spills)
                any_dynamic = any_dynamic or cell.dynamic
        if cells:
            updates[f"xl/worksheets/sheet{index}.xml"] = cells
    every_cached = all(cell.cached is not None for cell in formula_cells(spec))
    write_cached_values(
        path,
        path,
        updates,
        cm="1" if any_dynamic else None,
        add_metadata=any_dynamic,
        drop_full_calc=every_cached,
    )
