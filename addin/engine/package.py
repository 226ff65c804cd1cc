"""Reading an .xlsx package: sheets, cells, formulas, shared strings, styles, tables, names.

Sheet XML is read with regular expressions (the package is later re-written by editing the same
XML, see ``addin.engine.writer``), which is several times faster than openpyxl and keeps shared
formulas as the groups they are.
"""

from __future__ import annotations

import re
import zipfile
from dataclasses import dataclass, field
from pathlib import Path

from addin.engine.parser import TableInfo
from addin.engine.values import XlError
from addin.xlsx.parts import (
    CELL_RE,
    F_RE,
    R_ATTR_RE,
    RPH_RE,
    S_ATTR_RE,
    T_ATTR_RE,
    T_RE,
    V_RE,
    application_name,
    attrs,
    date_styles,
    is_excel_application,
    only_usual_cells,
    read_part,
    relationships,
    shared_strings,
    unescape,
)
from addin.xlsx.references import letters_index, parse_range


@dataclass
class FormulaCell:
    """A formula as stored: its text (for a shared follower, the master's), kind and ranges."""

    text: str
    kind: str = "normal"  # normal | array (CSE, fixed ref) | dynamic (spills)
    ref: str | None = None  # array range as stored
    shared_master: tuple[int, int] | None = None  # for shared followers: master (row, col)


@dataclass
class SheetData:
    """One worksheet's cells as stored."""

    name: str
    path: str
    values: dict[tuple[int, int], object] = field(default_factory=dict)
    formulas: dict[tuple[int, int], FormulaCell] = field(default_factory=dict)
    date_cells: set[tuple[int, int]] = field(default_factory=set)
    tables: list[TableInfo] = field(default_factory=list)
    max_row: int = 0
    max_col: int = 0


@dataclass
class Package:
    """What the engine needs from a workbook package."""

    path: Path
    sheets: list[SheetData]
    names: dict[tuple[str | None, str], str]
    dynamic_metadata: set[int]  # cm indexes that mean "dynamic array"
    excel_saved: bool = False  # saved by Excel itself: plain formulas are legacy formulas


def _table(archive: zipfile.ZipFile, part: str, sheet: str) -> TableInfo:
    text = read_part(archive, part)
    head = attrs(re.search(r"<(?:\w+:)?table\b([^>]*)>", text).group(1))
    r1, c1, r2, c2 = parse_range(head["ref"])
    columns = [
        attrs(inside).get("name", "")
        for inside in re.findall(r"<(?:\w+:)?tableColumn\b([^>]*?)/?>", text)
    ]
    return TableInfo(
        name=head.get("displayName") or head.get("name", ""),
        sheet=sheet,
        r1=r1,
        c1=c1,
        r2=r2,
        c2=c2,
        columns=columns,
        header_rows=int(head.get("headerRowCount", "1")),
        totals_rows=int(head.get("totalsRowCount", "0")),
    )


def read_package(path: Path) -> Package:
    """Read ``path``; raises ``zipfile.BadZipFile``/``KeyError``/``ValueError`` when unusable
    (``addin.xlsx.limits.LimitError``, a ``ValueError``, when it is beyond the limits: checked
    before anything is read)."""
    from addin.xlsx.limits import check_package

    check_package(path)
    with zipfile.ZipFile(path) as archive:
        rels = relationships(archive, "xl/workbook.xml")
        book = read_part(archive, "xl/workbook.xml")
        strings_part = styles_part = metadata_part = None
        for kind, target in rels.values():
            if kind.endswith("/sharedStrings"):
                strings_part = target
            elif kind.endswith("/styles"):
                styles_part = target
            elif kind.endswith("/sheetMetadata"):
                metadata_part = target
        strings = shared_strings(archive, strings_part)
        dated = date_styles(archive, styles_part)
        sheets: list[SheetData] = []
        for inside in re.findall(r"<(?:\w+:)?sheet\b([^>]*?)/?>", book):
            found = attrs(inside)
            rid = next((v for k, v in found.items() if k.endswith(":id")), "")
            kind, target = rels.get(rid, ("", ""))
            if not kind.endswith("/worksheet"):
                continue  # chart sheets, dialog sheets
            sheet = SheetData(name=found["name"], path=target)
            _read_cells(read_part(archive, target), sheet, strings, dated)
            for table_kind, table_part in relationships(archive, target).values():
                if table_kind.endswith("/table"):
                    sheet.tables.append(_table(archive, table_part, sheet.name))
            sheets.append(sheet)
        if not sheets:
            raise ValueError("the workbook has no worksheets")
        names: dict[tuple[str | None, str], str] = {}
        for inside, text in re.findall(
            r"<(?:\w+:)?definedName\b([^>]*)>(.*?)</(?:\w+:)?definedName>", book, re.S
        ):
            found = attrs(inside)
            scope = found.get("localSheetId")
            key_sheet = None
            if scope is not None and int(scope) < len(sheets):
                key_sheet = sheets[int(scope)].name.casefold()
            names[(key_sheet, found.get("name", "").upper())] = unescape(text)
        dynamic = _dynamic_metadata(archive, metadata_part)
        excel_saved = is_excel_application(application_name(archive))
    return Package(
        path=path, sheets=sheets, names=names, dynamic_metadata=dynamic, excel_saved=excel_saved
    )


def _dynamic_metadata(archive: zipfile.ZipFile, part: str | None) -> set[int]:
    if not part or part not in archive.namelist():
        return set()
    text = read_part(archive, part)
    types = [attrs(t).get("name") for t in re.findall(r"<metadataType\b([^>]*?)/?>", text)]
    cell_meta = re.search(r"<cellMetadata\b[^>]*>(.*?)</cellMetadata>", text, re.S)
    out: set[int] = set()
    if not cell_meta:
        return out
    for index, block in enumerate(re.findall(r"<bk>(.*?)</bk>", cell_meta.group(1), re.S), 1):
        rc = re.search(r'<rc\b[^>]*t="(\d+)"', block)
        if rc and int(rc.group(1)) - 1 < len(types) and types[int(rc.group(1)) - 1] == "XLDAPR":
            out.add(index)
    return out


# The usual cell, as Excel, openpyxl and LibreOffice write it: ``r`` first, then ``s``, then
# ``t``, other attributes after, no namespace prefix. One match gives everything but the body.
_USUAL_CELL_RE = re.compile(
    r'<c r="([A-Z]{1,3})(\d+)"(?: s="(\d+)")?(?: t="(\w+)")?([^>]*?)(?:/>|>(.*?)</c>)', re.S
)
_INLINE_RE = re.compile(r"<is><t>([^<]*)</t></is>")


def _cells(xml: str) -> list[tuple[str, str, str, str, str, str]]:
    """Each cell as (column letters, row digits, style, type, other attributes, body).

    A sheet whose every cell is the usual kind is read with one regular expression; any other
    (prefixed tags, ``$`` in references, attributes in another order) cell by cell."""
    usual = _USUAL_CELL_RE.findall(xml)
    if only_usual_cells(xml, len(usual)) and not any(
        't="' in rest or 's="' in rest for *_, rest, _ in usual if rest
    ):
        return usual
    cells = []
    for inside, body in CELL_RE.findall(xml):
        where = R_ATTR_RE.search(inside)
        style = S_ATTR_RE.search(inside)
        kind = T_ATTR_RE.search(inside)
        cells.append(
            (
                where.group(1).upper(),
                where.group(2),
                style.group(1) if style else "",
                kind.group(1) if kind else "",
                inside,
                body,
            )
        )
    return cells


def _read_cells(xml: str, sheet: SheetData, strings: list[str], date_styles: set[int]) -> None:
    values, formulas = sheet.values, sheet.formulas
    masters: dict[str, tuple[int, int, str]] = {}
    max_row = max_col = 0
    for letters, digits, style, kind, rest, body in _cells(xml):
        row, col = int(digits), letters_index(letters)
        key = (row, col)
        if row > max_row:
            max_row = row
        if col > max_col:
            max_col = col
        if date_styles and style and int(style) in date_styles:
            sheet.date_cells.add(key)
        if not body:
            continue
        value: object = None
        if kind == "inlineStr":
            plain = _INLINE_RE.fullmatch(body)
            if plain is not None:
                value = unescape(plain.group(1))
            else:
                parts = T_RE.findall(RPH_RE.sub("", body) if "rPh" in body else body)
                value = unescape(parts[0] if len(parts) == 1 else "".join(parts))
        else:
            raw = V_RE.search(body)
            if raw is not None:
                text = raw.group(1)
                if kind == "s":
                    value = strings[int(text)]
                elif kind in ("str", "e", "d"):
                    value = unescape(text)
                    if kind == "e":
                        value = XlError(value)
                elif kind == "b":
                    value = text.strip() in ("1", "true")
                else:
                    value = float(text) if text.strip() else None
        formula = F_RE.search(body) if "<" in body and "f" in body else None
        if formula is not None:
            f_attrs = attrs(formula.group(1))
            text = unescape(formula.group(2) or "")
            f_kind = f_attrs.get("t", "normal")
            cell = FormulaCell(text=text)
            if f_kind == "shared":
                si = f_attrs.get("si", "")
                if text:
                    masters[si] = (row, col, text)
                elif si in masters:
                    cell.text = masters[si][2]
                    cell.shared_master = masters[si][:2]
                else:
                    cell = None  # type: ignore[assignment]
            elif f_kind == "array":
                cell.ref = f_attrs.get("ref")
                cell.kind = "array"
                if re.search(r"\bcm=\"", rest):
                    cell.kind = "dynamic"
            if cell is not None and (cell.text or cell.shared_master):
                formulas[key] = cell
        values[key] = value
    sheet.max_row, sheet.max_col = max_row, max_col
