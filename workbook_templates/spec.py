"""Declarative descriptions of template workbooks: sheets, tables, cells, formats and charts.

A template module (``tracker``, ``supervision``, ``gmt``) returns a ``WorkbookSpec``; one
builder (``workbook_templates.builder``) turns any spec into an .xlsx file. A formula cell may
carry ``cached``: the value Python computed for it, written into the file so a reader that does
not calculate (a viewer, python-calamine, LibreOffice without recalculation) shows real figures.
``uses_cw`` marks a cell whose value depends on a ``CW_`` function (directly or through another
cell): LibreOffice shows ``#NAME?`` there, and only there.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any, Literal

from openpyxl.utils import get_column_letter

from udfs.native import NativeSheet

StyleName = Literal[
    "title", "subtitle", "header", "input", "formula", "note", "label", "flag", "plain"
]


@dataclass
class Cell:
    """One cell: a constant or a formula (text starting with ``=``) and how it looks.

    ``array_ref`` makes the formula an array formula over that range; with ``dynamic`` it is a
    dynamic array that spills in Excel 365 (``ref`` is then the extent computed at build time).
    ``spill`` holds the cached values of the whole array (rows of cells, anchor first).
    """

    value: Any = None
    style: StyleName = "plain"
    number_format: str | None = None
    locked: bool = True
    cached: Any = None
    uses_cw: bool = False
    array_ref: str | None = None
    dynamic: bool = False
    spill: list[list[Any]] | None = None
    comment: str | None = None

    @property
    def is_formula(self) -> bool:
        """True when the value is a formula."""
        return isinstance(self.value, str) and self.value.startswith("=")


@dataclass
class Column:
    """A column of an input table: its header, width, format and the values it accepts."""

    header: str
    width: float = 12.0
    number_format: str | None = None
    choices: Sequence[str] | None = None
    kind: Literal["any", "decimal", "whole", "date", "text"] = "any"
    minimum: float | None = None
    maximum: float | None = None
    help: str = ""


@dataclass
class Table:
    """An Excel table of typed inputs (header row + ``size`` body rows, ``rows`` filled in)."""

    name: str
    columns: list[Column]
    rows: list[list[Any]] = field(default_factory=list)
    size: int = 200
    top_left: str = "A1"
    style: str = "TableStyleMedium2"

    @property
    def ref(self) -> str:
        """The table's range, header included, e.g. ``A1:G201``."""
        col, row = _split(self.top_left)
        last = get_column_letter(col + len(self.columns) - 1)
        return f"{self.top_left}:{last}{row + max(self.size, len(self.rows), 1)}"


@dataclass
class Validation:
    """Data validation on a range: a list of choices, or a number/date kind with bounds."""

    ref: str
    choices: Sequence[str] | None = None
    kind: Literal["any", "decimal", "whole", "date", "text"] = "any"
    minimum: float | None = None
    maximum: float | None = None
    message: str = ""


@dataclass
class Highlight:
    """Conditional fill on ``ref`` where ``formula`` (relative to the range's first cell) holds.

    ``colour`` is a RAG name (red, amber, green, grey) or a hex fill colour.
    """

    ref: str
    formula: str
    colour: str


def rag_rules(ref: str, first_cell: str, colours: dict[str, str]) -> list[Highlight]:
    """One highlight per text value: ``{"over": "red", "within": "green"}`` on a status column."""
    return [Highlight(ref, f'{first_cell}="{text}"', colour) for text, colour in colours.items()]


@dataclass
class Chart:
    """A native chart: bar (optionally with line series on the same axes) or line."""

    kind: Literal["bar", "line"]
    title: str
    anchor: str
    sheet: str
    categories: str
    series: list[tuple[str, str]]
    line_series: list[tuple[str, str]] = field(default_factory=list)
    y_title: str = ""
    x_title: str = ""
    width: float = 18.0
    height: float = 9.0


@dataclass
class Sheet:
    """One worksheet: cells, input tables, validations, formats, charts and protection.

    ``heights`` are row heights in points (a wrapped header needs one); ``print_area`` limits
    what prints (a chart's data or spare formula rows need not).
    """

    title: str
    cells: dict[str, Cell] = field(default_factory=dict)
    tables: list[Table] = field(default_factory=list)
    validations: list[Validation] = field(default_factory=list)
    highlights: list[Highlight] = field(default_factory=list)
    formats: dict[str, str] = field(default_factory=dict)
    charts: list[Chart] = field(default_factory=list)
    widths: dict[str, float] = field(default_factory=dict)
    freeze: str | None = None
    protect: bool = False
    landscape: bool = True
    print_title_rows: str | None = None
    print_area: str | None = None
    tab_colour: str | None = None
    heights: dict[int, float] = field(default_factory=dict)

    def put(self, ref: str, value: Any = None, **options: Any) -> Cell:
        """Set the cell at ``ref`` and return it."""
        cell = Cell(value=value, **options)
        self.cells[ref] = cell
        return cell

    def row(self, ref: str, values: Iterable[Any], **options: Any) -> None:
        """Write ``values`` rightwards from ``ref``, each with the same options."""
        col, row = _split(ref)
        for offset, value in enumerate(values):
            self.put(f"{get_column_letter(col + offset)}{row}", value, **options)


@dataclass
class WorkbookSpec:
    """A whole template: its sheets in order, and a title for the document properties.

    ``native`` are sheets of the model's native formulas (``udfs.native``), added after the
    others as ``caseload attach`` adds them; ``native_cached`` holds the values cached in them
    (sheet title -> (row, column) -> value), such as the model's figures in ``Caseload``.
    """

    title: str
    sheets: list[Sheet]
    native: list[NativeSheet] = field(default_factory=list)
    native_cached: dict[str, dict[tuple[int, int], Any]] = field(default_factory=dict)

    def sheet(self, title: str) -> Sheet:
        """The sheet called ``title``."""
        return next(sheet for sheet in self.sheets if sheet.title == title)


def _split(ref: str) -> tuple[int, int]:
    """(column number, row number) of an A1 reference such as ``B7``."""
    from openpyxl.utils.cell import column_index_from_string, coordinate_from_string

    letters, row = coordinate_from_string(ref)
    return column_index_from_string(letters), row


def cell_ref(col: int, row: int, absolute: bool = False) -> str:
    """A1 reference of a 1-based column and row (``$A$1`` when absolute)."""
    letter = get_column_letter(col)
    return f"${letter}${row}" if absolute else f"{letter}{row}"


def column_range(sheet: str, col: int, first_row: int, last_row: int) -> str:
    """An absolute single-column range on ``sheet``: ``Cases!$E$2:$E$2001``."""
    letter = get_column_letter(col)
    return f"{quote_sheet(sheet)}!${letter}${first_row}:${letter}${last_row}"


def quote_sheet(title: str) -> str:
    """A sheet name as a formula needs it (quoted when it has spaces or punctuation)."""
    return title if title.replace("_", "").isalnum() else "'" + title.replace("'", "''") + "'"
