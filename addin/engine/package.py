"""Reading an .xlsx package: sheets, cells, formulas, shared strings, styles, tables, names.

Sheet XML is read with regular expressions (the package is later re-written by editing the same
XML, see ``addin.engine.writer``), which is several times faster than openpyxl and keeps shared
formulas as the groups they are.
"""

from __future__ import annotations

import html
import posixpath
import re
import zipfile
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from addin.engine.parser import TableInfo
from addin.engine.references import letters_index, parse_range
from addin.engine.values import XlError

CELL_RE = re.compile(r"<(?:\w+:)?c\b([^>]*?)(?:/>|>(.*?)</(?:\w+:)?c>)", re.S)
ATTR_RE = re.compile(r'([\w:]+)="([^"]*)"')
F_RE = re.compile(r"<(?:\w+:)?f\b([^>]*?)(?:/>|>(.*?)</(?:\w+:)?f>)", re.S)
V_RE = re.compile(r"<(?:\w+:)?v>(.*?)</(?:\w+:)?v>", re.S)
T_RE = re.compile(r"<(?:\w+:)?t\b[^>]*?(?:/>|>(.*?)</(?:\w+:)?t>)", re.S)
SI_RE = re.compile(r"<(?:\w+:)?si>(.*?)</(?:\w+:)?si>", re.S)
RPH_RE = re.compile(r"<(?:\w+:)?rPh\b.*?</(?:\w+:)?rPh>", re.S)
REL_RE = re.compile(r"<Relationship\b([^>]*)/?>")
R_ATTR_RE = re.compile(r'\br="\$?([A-Za-z]+)\$?(\d+)"')
S_ATTR_RE = re.compile(r'\bs="(\d+)"')
T_ATTR_RE = re.compile(r'\bt="(\w+)"')
DATE_FORMAT_IDS = set(range(14, 23)) | {45, 46, 47}
PERCENT_FORMAT_IDS = {9, 10}


def unescape(text: str) -> str:
    """XML text with entities (and Excel's ``_xHHHH_`` escapes) decoded."""
    if "&" in text:
        text = html.unescape(text)
    if "_x" in text:
        text = re.sub(r"_x([0-9A-Fa-f]{4})_", lambda m: chr(int(m.group(1), 16)), text)
    return text


def attrs(text: str) -> dict[str, str]:
    """Attributes of an XML start tag's inside."""
    return {key: unescape(value) for key, value in ATTR_RE.findall(text)}


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


def is_excel_application(application: str) -> bool:
    """Whether ``docProps/app.xml``'s Application names Excel itself (not a writer that
    calls itself "Microsoft Excel Compatible", as openpyxl does)."""
    name = application.strip().lower()
    return "excel" in name and "compatible" not in name and "openpyxl" not in name


def application_name(archive: zipfile.ZipFile) -> str:
    """The ``Application`` of a package's ``docProps/app.xml`` ("" when none)."""
    try:
        text = archive.read("docProps/app.xml").decode("utf-8", "replace")
    except KeyError:
        return ""
    match = re.search(r"<(?:\w+:)?Application>([^<]*)<", text)
    return unescape(match.group(1)).strip() if match else ""


def _read(archive: zipfile.ZipFile, name: str) -> str:
    return archive.read(name).decode("utf-8")


def relationships(archive: zipfile.ZipFile, part: str) -> dict[str, tuple[str, str]]:
    """Relationship id -> (type, absolute target part) for ``part``."""
    folder, base = posixpath.split(part)
    rels = posixpath.join(folder, "_rels", base + ".rels")
    if rels not in archive.namelist():
        return {}
    out: dict[str, tuple[str, str]] = {}
    for inside in REL_RE.findall(_read(archive, rels)):
        found = attrs(inside)
        target = found.get("Target", "")
        if found.get("TargetMode") == "External":
            continue
        absolute = (
            target.lstrip("/")
            if target.startswith("/")
            else posixpath.normpath(posixpath.join(folder, target))
        )
        out[found.get("Id", "")] = (found.get("Type", ""), absolute)
    return out


def _shared_strings(archive: zipfile.ZipFile, path: str | None) -> list[str]:
    if not path or path not in archive.namelist():
        return []
    out = []
    for inside in SI_RE.findall(_read(archive, path)):
        inside = RPH_RE.sub("", inside)
        out.append(unescape("".join(t or "" for t in T_RE.findall(inside))))
    return out


def _styles_where(
    archive: zipfile.ZipFile, path: str | None, wanted: Callable[[int, str], bool]
) -> set[int]:
    """Indexes of the cell styles (``s="..."``) whose number format (id, code) is ``wanted``."""
    if not path or path not in archive.namelist():
        return set()
    text = _read(archive, path)
    custom: dict[int, str] = {}
    for inside in re.findall(r"<(?:\w+:)?numFmt\b([^>]*)/?>", text):
        found = attrs(inside)
        custom[int(found.get("numFmtId", "0"))] = unescape(found.get("formatCode", ""))
    xfs = re.search(r"<(?:\w+:)?cellXfs\b[^>]*>(.*?)</(?:\w+:)?cellXfs>", text, re.S)
    out: set[int] = set()
    if not xfs:
        return out
    for index, inside in enumerate(re.findall(r"<(?:\w+:)?xf\b([^>]*?)/?>", xfs.group(1))):
        fmt = int(attrs(inside).get("numFmtId", "0"))
        if wanted(fmt, custom.get(fmt, "")):
            out.add(index)
    return out


def _date_styles(archive: zipfile.ZipFile, path: str | None) -> set[int]:
    return _styles_where(
        archive, path, lambda fmt, code: fmt in DATE_FORMAT_IDS or _is_date_format(code)
    )


def _is_percent_format(fmt: int, code: str) -> bool:
    return fmt in PERCENT_FORMAT_IDS or "%" in re.sub(r'"[^"]*"|\\.', "", code)


def percent_cells(path: Path, sheet: str) -> set[tuple[int, int]]:
    """(row, column) of the cells of ``sheet`` shown as a percentage; only that sheet is read."""
    with zipfile.ZipFile(path) as archive:
        rels = relationships(archive, "xl/workbook.xml")
        styles_part = next((t for k, t in rels.values() if k.endswith("/styles")), None)
        percent_styles = _styles_where(archive, styles_part, _is_percent_format)
        if not percent_styles:
            return set()
        book = _read(archive, "xl/workbook.xml")
        for inside in re.findall(r"<(?:\w+:)?sheet\b([^>]*?)/?>", book):
            found = attrs(inside)
            if unescape(found.get("name", "")) != sheet:
                continue
            rid = next((v for k, v in found.items() if k.endswith(":id")), "")
            xml = _read(archive, rels[rid][1])
            cells = set()
            for inside_cell, _ in CELL_RE.findall(xml):
                style = S_ATTR_RE.search(inside_cell)
                if style is not None and int(style.group(1)) in percent_styles:
                    where = R_ATTR_RE.search(inside_cell)
                    cells.add((int(where.group(2)), letters_index(where.group(1))))
            return cells
    return set()


def _is_date_format(code: str) -> bool:
    code = re.sub(r'"[^"]*"|\\.|\[[^\]]*\]', "", code)
    return bool(re.search(r"[dmyhs]", code, re.I)) and "General" not in code


def _table(archive: zipfile.ZipFile, part: str, sheet: str) -> TableInfo:
    text = _read(archive, part)
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
    (``addin.limits.LimitError``, a ``ValueError``, when it is beyond the limits: checked
    before anything is read)."""
    from addin.limits import check_package

    check_package(path)
    with zipfile.ZipFile(path) as archive:
        rels = relationships(archive, "xl/workbook.xml")
        book = _read(archive, "xl/workbook.xml")
        strings_part = styles_part = metadata_part = None
        for kind, target in rels.values():
            if kind.endswith("/sharedStrings"):
                strings_part = target
            elif kind.endswith("/styles"):
                styles_part = target
            elif kind.endswith("/sheetMetadata"):
                metadata_part = target
        strings = _shared_strings(archive, strings_part)
        date_styles = _date_styles(archive, styles_part)
        sheets: list[SheetData] = []
        for inside in re.findall(r"<(?:\w+:)?sheet\b([^>]*?)/?>", book):
            found = attrs(inside)
            rid = next((v for k, v in found.items() if k.endswith(":id")), "")
            kind, target = rels.get(rid, ("", ""))
            if not kind.endswith("/worksheet"):
                continue  # chart sheets, dialog sheets
            sheet = SheetData(name=found["name"], path=target)
            _read_cells(_read(archive, target), sheet, strings, date_styles)
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
    text = _read(archive, part)
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


def _read_cells(xml: str, sheet: SheetData, strings: list[str], date_styles: set[int]) -> None:
    values, formulas = sheet.values, sheet.formulas
    masters: dict[str, tuple[int, int, str]] = {}
    max_row = max_col = 0
    for inside, body in CELL_RE.findall(xml):
        where = R_ATTR_RE.search(inside)
        row, col = int(where.group(2)), letters_index(where.group(1))
        key = (row, col)
        if row > max_row:
            max_row = row
        if col > max_col:
            max_col = col
        if date_styles:
            style = S_ATTR_RE.search(inside)
            if style is not None and int(style.group(1)) in date_styles:
                sheet.date_cells.add(key)
        if not body:
            continue
        kind_match = T_ATTR_RE.search(inside)
        kind = kind_match.group(1) if kind_match else "n"
        raw = V_RE.search(body)
        value: object = None
        if kind == "inlineStr":
            parts = T_RE.findall(RPH_RE.sub("", body) if "rPh" in body else body)
            value = unescape(parts[0] if len(parts) == 1 else "".join(parts))
        elif raw is not None:
            text = raw.group(1)
            if kind == "s":
                value = strings[int(text)]
            elif kind in ("str", "e") or kind == "d":
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
                if re.search(r"\bcm=\"", inside):
                    cell.kind = "dynamic"
            if cell is not None and (cell.text or cell.shared_master):
                formulas[key] = cell
        values[key] = value
    sheet.max_row, sheet.max_col = max_row, max_col
