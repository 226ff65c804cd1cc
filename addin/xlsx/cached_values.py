"""Writing cached values into an .xlsx package by editing its XML.

Both the engine's recalculated copy (``addin.engine.writer``) and the template builder
(``workbook_templates.builder``) use it: the package is copied part by part, untouched, except
that the sheet XML cells given get their cached values (``<v>``), a formula that spills becomes
a dynamic-array formula (``t="array" ref=...`` with the cell metadata index ``cm``), and, where
asked, the dynamic-array metadata part (``xl/metadata.xml``) is added and registered.
"""

from __future__ import annotations

import re
import zipfile
from collections.abc import Mapping
from html import escape
from pathlib import Path
from typing import Any

from addin.xlsx.cell_values import XlError, number_text
from addin.xlsx.parts import ATTR_RE, CELL_RE, F_RE, R_ATTR_RE
from addin.xlsx.references import cell_address, letters_index, parse_cell, range_address
from addin.xlsx.sheets import set_full_calculation

ROW_NUMBER_RE = re.compile(r'\br="(\d+)"')
DYNAMIC_ARRAY_METADATA = (
    '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
    '<metadata xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main" '
    'xmlns:xda="http://schemas.microsoft.com/office/spreadsheetml/2017/dynamicarray">'
    '<metadataTypes count="1"><metadataType name="XLDAPR" minSupportedVersion="120000" '
    'copy="1" pasteAll="1" pasteValues="1" merge="1" splitFirst="1" rowColShift="1" '
    'clearFormats="1" clearComments="1" assign="1" coerce="1" cellMeta="1"/></metadataTypes>'
    '<futureMetadata name="XLDAPR" count="1"><bk><extLst>'
    '<ext uri="{bdbb8cdc-fa1e-496e-a857-3c3f30c029c3}">'
    '<xda:dynamicArrayProperties fDynamic="1" fCollapsed="0"/></ext></extLst></bk>'
    '</futureMetadata><cellMetadata count="1"><bk><rc t="1" v="0"/></bk></cellMetadata>'
    "</metadata>"
)
METADATA_TYPE = "http://schemas.openxmlformats.org/officeDocument/2006/relationships/sheetMetadata"
METADATA_CONTENT = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheetMetadata+xml"
METADATA_OVERRIDE = f'<Override PartName="/xl/metadata.xml" ContentType="{METADATA_CONTENT}"/>'
METADATA_RELATIONSHIP = (
    f'<Relationship Id="rIdCwMetadata" Type="{METADATA_TYPE}" Target="metadata.xml"/>'
)


class Update:
    """What to write into one cell: its cached ``value`` (an ``XlError`` for an error), whether
    it holds a ``formula`` (kept as it is), the ``array_ref`` of a formula that spills (it becomes
    a dynamic-array formula over that range), or ``clear`` to empty it."""

    __slots__ = ("value", "formula", "array_ref", "clear")

    def __init__(
        self, value: Any, formula: bool, array_ref: str | None = None, clear: bool = False
    ) -> None:
        self.value, self.formula, self.array_ref, self.clear = value, formula, array_ref, clear


SheetUpdates = dict[int, dict[int, Update]]
"""Cells to write in one sheet: row -> column -> ``Update``."""


_ESCAPE_RE = re.compile(
    r"_(?=x[0-9A-Fa-f]{4}_)|[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff\ud800-\udfff]"
)


def xml_text(text: str) -> str:
    """``text`` as Excel writes it in cell XML: ``& < >`` as entities, characters XML cannot
    hold (control characters) as ``_xHHHH_``, and the ``_`` of a literal ``_xHHHH_`` as
    ``_x005F_`` so that it reads back as written."""
    if "_" in text or not text.isprintable():
        text = _ESCAPE_RE.sub(lambda m: f"_x{ord(m.group(0)):04X}_", text)
    return escape(text, quote=False)


def _value_xml(value: Any, formula: bool) -> tuple[str | None, str]:
    """(t attribute, value XML) for a cell."""
    if type(value) is XlError:
        return "e", f"<v>{xml_text(value.code)}</v>"
    if isinstance(value, bool):
        return "b", f"<v>{int(value)}</v>"
    if isinstance(value, float | int):
        number = float(value)
        text = number_text(number) if number == int(number) and abs(number) < 1e15 else repr(number)
        return None, f"<v>{text}</v>"
    if value is None:
        return ("str", "<v></v>") if formula else (None, "")
    text = xml_text(str(value))
    if formula:
        return "str", f"<v>{text}</v>"
    return "inlineStr", f'<is><t xml:space="preserve">{text}</t></is>'


def _cell_xml(
    address: str, attributes: str, body: str | None, update: Update, cm: str | None
) -> str:
    if not attributes and body is None:  # a new cell (a spilled value): the common case
        kind, value_xml = (None, "") if update.clear else _value_xml(update.value, update.formula)
        attrs = f'r="{address}" t="{kind}"' if kind else f'r="{address}"'
        return f"<c {attrs}>{value_xml}</c>" if value_xml else f"<c {attrs}/>"
    found = [(k, v) for k, v in ATTR_RE.findall(attributes) if k not in ("r", "t", "cm")]
    old_cm = dict(ATTR_RE.findall(attributes)).get("cm")
    formula_xml = ""
    if update.formula and body:
        match = F_RE.search(body)
        if match:
            formula_xml = match.group(0)
            if update.array_ref:
                f_attrs = [
                    (k, v) for k, v in ATTR_RE.findall(match.group(1)) if k not in ("t", "ref")
                ]
                text = match.group(2) or ""
                inner = "".join(f' {k}="{v}"' for k, v in f_attrs)
                formula_xml = f'<f t="array" ref="{update.array_ref}"{inner}>{text}</f>'
    kind, value_xml = (None, "") if update.clear else _value_xml(update.value, update.formula)
    attrs = f'r="{address}"' + "".join(f' {k}="{v}"' for k, v in found)
    if kind:
        attrs += f' t="{kind}"'
    use_cm = cm if update.array_ref and cm else old_cm
    if use_cm and formula_xml:
        attrs += f' cm="{use_cm}"'
    inside = formula_xml + value_xml
    return f"<c {attrs}>{inside}</c>" if inside else f"<c {attrs}/>"


_SHEETDATA_START_RE = re.compile(r"<((?:\w+:)?)sheetData\b[^>]*?(/?)>")
_ROW_START_RE = re.compile(r"<()row\b([^>]*?)(/?)>")  # found by its literal "<row": fast
_PREFIXED_ROW_START_RE = re.compile(r"<((?:\w+:)?)row\b([^>]*?)(/?)>")


def patch_sheet(xml: str, updates: SheetUpdates, cm: str | None) -> str:
    """Sheet XML with the cells of ``updates`` rewritten (cells and rows it lacks are added in
    order); ``cm`` is the cell metadata index written on formulas that spill.

    Only rows with something to write are taken apart; the text between them is copied as
    it is, so the cost follows the rows written, not the size of the sheet."""
    start = _SHEETDATA_START_RE.search(xml)
    if start is None:
        return xml
    prefix = start.group(1)
    if start.group(2):  # <sheetData/>
        body, end = "", start.end()
    else:
        close = xml.find(f"</{prefix}sheetData>", start.end())
        if close < 0:
            return xml
        body, end = xml[start.end() : close], close + len(f"</{prefix}sheetData>")
    pending = dict(updates)
    waiting = sorted(pending)
    cursor = 0
    pieces: list[str] = []
    position = 0

    def new_rows_before(limit: int | None) -> None:
        nonlocal cursor
        while cursor < len(waiting) and (limit is None or waiting[cursor] < limit):
            row = waiting[cursor]
            cursor += 1
            cells = pending.pop(row, None)
            if not cells:
                continue
            inner = "".join(
                _cell_xml(cell_address(row, col), "", None, cells[col], cm) for col in sorted(cells)
            )
            pieces.append(f'<row r="{row}">{inner}</row>')

    rows = _PREFIXED_ROW_START_RE if prefix else _ROW_START_RE
    for row_match in rows.finditer(body):
        row = int(ROW_NUMBER_RE.search(row_match.group(2)).group(1))
        new_before = cursor < len(waiting) and waiting[cursor] < row
        if not new_before and row not in pending:
            continue  # nothing to write here: the row is copied with the text around it
        pieces.append(body[position : row_match.start()])
        position = row_match.start()
        new_rows_before(row)
        cells = pending.pop(row, None)
        if not cells:
            continue
        start_tag = body[row_match.start() : row_match.end() - len(row_match.group(3)) - 1]
        if row_match.group(3):  # <row .../>: no cells yet
            inner, position = "", row_match.end()
        else:
            row_close = body.find(f"</{row_match.group(1)}row>", row_match.end())
            inner = body[row_match.end() : row_close]
            position = row_close + len(row_match.group(1)) + len("</row>")
        closing = f"</{row_match.group(1)}row>"
        pieces.append(f"{start_tag}>{_patched_cells(inner, row, cells, cm)}{closing}")
    pieces.append(body[position:])
    new_rows_before(None)
    tag = xml[start.start() : start.end() - len(start.group(2)) - 1]
    return xml[: start.start()] + f"{tag}>{''.join(pieces)}</{prefix}sheetData>" + xml[end:]


_LAST_CELL_RE = re.compile(r'<(?:\w+:)?c\b[^>]*?\br="\$?([A-Za-z]+)\$?\d+"')


def _patched_cells(inner: str, row: int, cells: dict[int, Update], cm: str | None) -> str:
    """A row's cells (the XML inside ``<row>``) with ``cells`` written into it."""
    last = max(inner.rfind("<c "), inner.rfind(":c "))
    found = _LAST_CELL_RE.match(inner, inner.rfind("<", 0, last + 1)) if last >= 0 else None
    if last < 0 or (found is not None and min(cells) > letters_index(found.group(1))):
        # every cell to write lies right of the row's last one (a spill down a new column):
        # no cell of the row needs parsing
        added = "".join(
            _cell_xml(cell_address(row, col), "", None, cells[col], cm) for col in sorted(cells)
        )
        return inner + added
    out: list[str] = []
    for cell_match in CELL_RE.finditer(inner):
        where = R_ATTR_RE.search(cell_match.group(1))
        address = where.group(0)[3:-1]
        col = letters_index(where.group(1))
        for extra in sorted(c for c in cells if c < col):
            out.append(_cell_xml(cell_address(row, extra), "", None, cells.pop(extra), cm))
        update = cells.pop(col, None)
        if update is None:
            out.append(cell_match.group(0))
        else:
            out.append(_cell_xml(address, cell_match.group(1), cell_match.group(2), update, cm))
    for extra in sorted(cells):
        out.append(_cell_xml(cell_address(row, extra), "", None, cells[extra], cm))
    return "".join(out)


def _dimension(xml: str, max_row: int, max_col: int) -> str:
    match = re.search(r'<dimension ref="([^"]*)"\s*/>', xml)
    if not match or max_row < 1 or max_col < 1:
        return xml
    first = match.group(1).split(":")[0]
    try:
        r1, c1 = parse_cell(first)
    except ValueError:
        r1, c1 = 1, 1
    ref = range_address(min(r1, max_row), min(c1, max_col), max_row, max_col)
    return xml[: match.start()] + f'<dimension ref="{ref}"/>' + xml[match.end() :]


def _insert(data: bytes, piece: str, before: str) -> bytes:
    """A UTF-8 XML part with ``piece`` inserted before ``before``."""
    return data.decode("utf-8").replace(before, piece + before).encode("utf-8")


def write_cached_values(
    source: Path,
    out: Path,
    updates: Mapping[str, SheetUpdates],
    cm: str | None = None,
    add_metadata: bool = False,
    dimensions: Mapping[str, tuple[int, int]] | None = None,
    drop_full_calc: bool = False,
) -> None:
    """Copy the package ``source`` to ``out`` (``source`` itself is allowed) with cached values.

    ``updates`` maps sheet parts (``xl/worksheets/sheet1.xml``) to the cells to write there
    (``patch_sheet``, ``cm`` marking formulas that spill); ``dimensions`` gives a sheet part's
    last (row, column), written into its ``<dimension>``; ``add_metadata`` adds the dynamic-array
    metadata part and registers it; ``drop_full_calc`` removes the workbook's
    ``fullCalcOnLoad`` (the cached values are then the calculated ones). Every other part is
    copied untouched.
    """
    dimensions = dimensions or {}
    with zipfile.ZipFile(source) as archive:
        names = archive.namelist()
        tmp = out.with_name(out.name + ".tmp")
        with zipfile.ZipFile(tmp, "w", zipfile.ZIP_DEFLATED) as target:
            for info in archive.infolist():
                data = archive.read(info.filename)
                name = info.filename
                if name in updates or name in dimensions:
                    xml = data.decode("utf-8")
                    if name in updates:
                        xml = patch_sheet(xml, updates[name], cm)
                    if name in dimensions:
                        xml = _dimension(xml, *dimensions[name])
                    data = xml.encode("utf-8")
                elif name == "xl/workbook.xml":
                    # a current calcId: Excel 365 recalculates a book saved by an older
                    # calculation engine on open, and a CW_ cell would then lose its value
                    text = data.decode("utf-8")
                    full = re.search(r'fullCalcOnLoad="(?:1|true)"', text) is not None
                    data = set_full_calculation(text, full and not drop_full_calc).encode("utf-8")
                elif name == "[Content_Types].xml" and add_metadata:
                    data = _insert(data, METADATA_OVERRIDE, "</Types>")
                elif name == "xl/_rels/workbook.xml.rels" and add_metadata:
                    data = _insert(data, METADATA_RELATIONSHIP, "</Relationships>")
                target.writestr(info, data, compress_type=zipfile.ZIP_DEFLATED)
            if add_metadata and "xl/metadata.xml" not in names:
                target.writestr("xl/metadata.xml", DYNAMIC_ARRAY_METADATA)
    tmp.replace(out)
