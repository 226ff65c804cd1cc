"""Writing the recalculated copy: the original package, every part copied untouched, except
that sheet XML cells get their cached values (``<v>``), spilled cells are written as values,
and spilling formulas become dynamic-array formulas (``t="array" ref=...`` with ``cm``)."""

from __future__ import annotations

import re
import zipfile
from html import escape
from pathlib import Path
from typing import TYPE_CHECKING, Any

from addin.engine.package import ATTR_RE, CELL_RE, F_RE, R_ATTR_RE, relationships
from addin.engine.references import cell_address, letters_index, parse_cell, range_address
from addin.engine.values import XlError, number_text

if TYPE_CHECKING:
    from addin.engine.workbook import Workbook

ROW_RE = re.compile(r"<(?:\w+:)?row\b([^>]*?)(?:/>|>(.*?)</(?:\w+:)?row>)", re.S)
ROW_NUMBER_RE = re.compile(r'\br="(\d+)"')
SHEETDATA_RE = re.compile(r"<(?:\w+:)?sheetData\b[^>]*?(?:/>|>(.*?)</(?:\w+:)?sheetData>)", re.S)
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


class Update:
    """What to write into one cell."""

    __slots__ = ("value", "formula", "array_ref", "clear")

    def __init__(
        self, value: Any, formula: bool, array_ref: str | None = None, clear: bool = False
    ) -> None:
        self.value, self.formula, self.array_ref, self.clear = value, formula, array_ref, clear


def _value_xml(value: Any, formula: bool) -> tuple[str | None, str]:
    """(t attribute, value XML) for a cell."""
    if type(value) is XlError:
        return "e", f"<v>{escape(value.code, quote=False)}</v>"
    if isinstance(value, bool):
        return "b", f"<v>{int(value)}</v>"
    if isinstance(value, float | int):
        number = float(value)
        text = number_text(number) if number == int(number) and abs(number) < 1e15 else repr(number)
        return None, f"<v>{text}</v>"
    if value is None:
        return ("str", "<v></v>") if formula else (None, "")
    text = escape(str(value), quote=False)
    if formula:
        return "str", f"<v>{text}</v>"
    return "inlineStr", f'<is><t xml:space="preserve">{text}</t></is>'


def _cell_xml(
    address: str, attributes: str, body: str | None, update: Update, cm: str | None
) -> str:
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


def _patch_sheet(xml: str, updates: dict[int, dict[int, Update]], cm: str | None) -> str:
    match = SHEETDATA_RE.search(xml)
    if match is None:
        return xml
    body = match.group(1) or ""
    pending = dict(updates)
    pieces: list[str] = []
    position = 0

    waiting = sorted(pending)
    cursor = 0

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

    for row_match in ROW_RE.finditer(body):
        row = int(ROW_NUMBER_RE.search(row_match.group(1)).group(1))
        pieces.append(body[position : row_match.start()])
        position = row_match.end()
        new_rows_before(row)
        cells = pending.pop(row, None)
        if not cells:
            pieces.append(row_match.group(0))
            continue
        out: list[str] = []
        for cell_match in CELL_RE.finditer(row_match.group(2) or ""):
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
        start_tag = re.match(r"<(?:\w+:)?row\b[^>]*?(?=/?>)", row_match.group(0)).group(0)
        pieces.append(f"{start_tag}>{''.join(out)}</row>")
    pieces.append(body[position:])
    new_rows_before(None)
    new_body = "".join(pieces)
    whole = match.group(0)
    tag = re.match(r"<(?:\w+:)?sheetData\b[^>]*?(?=/?>)", whole).group(0)
    return xml[: match.start()] + f"{tag}>{new_body}</sheetData>" + xml[match.end() :]


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


def sheet_updates(book: Workbook, sheet: str) -> dict[int, dict[int, Update]]:
    """Cells to rewrite in one sheet."""
    grid = book.grids[sheet]
    updates: dict[int, dict[int, Update]] = {}
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
    source = book.path
    needs_dynamic = any(g.spill is not None and g.kind != "array" for g in book.groups)
    with zipfile.ZipFile(source) as archive:
        names = archive.namelist()
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
        sheet_parts = {s.path: s.name for s in book.package.sheets}
        tmp = out.with_name(out.name + ".tmp")
        with zipfile.ZipFile(tmp, "w", zipfile.ZIP_DEFLATED) as target:
            for info in archive.infolist():
                data = archive.read(info.filename)
                name = info.filename
                if name in sheet_parts:
                    sheet = sheet_parts[name]
                    xml = data.decode("utf-8")
                    xml = _patch_sheet(xml, sheet_updates(book, sheet), cm)
                    grid = book.grids[sheet]
                    xml = _dimension(xml, grid.max_row, grid.max_col)
                    data = xml.encode("utf-8")
                elif name == "xl/workbook.xml":
                    text = data.decode("utf-8")
                    text = re.sub(r'\s+fullCalcOnLoad="(?:1|true)"', "", text)
                    data = text.encode("utf-8")
                elif name == "[Content_Types].xml" and add_metadata:
                    text = data.decode("utf-8").replace(
                        "</Types>",
                        f'<Override PartName="/xl/metadata.xml" ContentType="{METADATA_CONTENT}"/>'
                        "</Types>",
                    )
                    data = text.encode("utf-8")
                elif name == "xl/_rels/workbook.xml.rels" and add_metadata:
                    text = data.decode("utf-8").replace(
                        "</Relationships>",
                        f'<Relationship Id="rIdCwMetadata" Type="{METADATA_TYPE}" '
                        'Target="metadata.xml"/></Relationships>',
                    )
                    data = text.encode("utf-8")
                target.writestr(info, data, compress_type=zipfile.ZIP_DEFLATED)
            if add_metadata and "xl/metadata.xml" not in names:
                target.writestr("xl/metadata.xml", DYNAMIC_ARRAY_METADATA)
        tmp.replace(out)
