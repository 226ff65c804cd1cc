"""Reading an .xlsx package's parts as text: relationships, shared strings, styles and which
number formats show dates or percentages, and the application that saved it. Regular
expressions, not an XML library: several times faster, and the engine rewrites the same XML."""

from __future__ import annotations

import html
import posixpath
import re
import zipfile
from collections.abc import Callable
from pathlib import Path

from addin.xlsx.references import letters_index

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
# a cell tag written any other way than ``<c r=...``: no space after the name, or a namespace
# prefix (each pattern starts with a literal: fast to search)
_UNSPACED_CELL = {str: re.compile(r"<c[>/\t\n\r]"), bytes: re.compile(rb"<c[>/\t\n\r]")}
_PREFIXED_CELL = {str: re.compile(r":c[\s/>]"), bytes: re.compile(rb":c[\s/>]")}
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


def read_part(archive: zipfile.ZipFile, name: str) -> str:
    """A part of the package as text (UTF-8)."""
    return archive.read(name).decode("utf-8")


def relationships(archive: zipfile.ZipFile, part: str) -> dict[str, tuple[str, str]]:
    """Relationship id -> (type, absolute target part) for ``part``."""
    folder, base = posixpath.split(part)
    rels = posixpath.join(folder, "_rels", base + ".rels")
    if rels not in archive.namelist():
        return {}
    out: dict[str, tuple[str, str]] = {}
    for inside in REL_RE.findall(read_part(archive, rels)):
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


def shared_strings(archive: zipfile.ZipFile, path: str | None) -> list[str]:
    """The shared strings part as a list (phonetic runs left out)."""
    if not path or path not in archive.namelist():
        return []
    out = []
    for inside in SI_RE.findall(read_part(archive, path)):
        inside = RPH_RE.sub("", inside)
        out.append(unescape("".join(t or "" for t in T_RE.findall(inside))))
    return out


def styles_where(
    archive: zipfile.ZipFile, path: str | None, wanted: Callable[[int, str], bool]
) -> set[int]:
    """Indexes of the cell styles (``s="..."``) whose number format (id, code) is ``wanted``."""
    if not path or path not in archive.namelist():
        return set()
    text = read_part(archive, path)
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


def date_styles(archive: zipfile.ZipFile, path: str | None) -> set[int]:
    """Indexes of the cell styles that show a date."""
    return styles_where(
        archive, path, lambda fmt, code: fmt in DATE_FORMAT_IDS or is_date_format(code)
    )


def is_percent_format(fmt: int, code: str) -> bool:
    """Whether a number format (built-in id, code) shows a percentage."""
    return fmt in PERCENT_FORMAT_IDS or "%" in re.sub(r'"[^"]*"|\\.', "", code)


def percent_cells(path: Path, sheet: str) -> set[tuple[int, int]]:
    """(row, column) of the cells of ``sheet`` shown as a percentage; only that sheet is read."""
    with zipfile.ZipFile(path) as archive:
        rels = relationships(archive, "xl/workbook.xml")
        styles_part = next((t for k, t in rels.values() if k.endswith("/styles")), None)
        percent_styles = styles_where(archive, styles_part, is_percent_format)
        if not percent_styles:
            return set()
        book = read_part(archive, "xl/workbook.xml")
        for inside in re.findall(r"<(?:\w+:)?sheet\b([^>]*?)/?>", book):
            found = attrs(inside)
            if unescape(found.get("name", "")) != sheet:
                continue
            rid = next((v for k, v in found.items() if k.endswith(":id")), "")
            xml = read_part(archive, rels[rid][1])
            cells = set()
            for inside_cell, _ in CELL_RE.findall(xml):
                style = S_ATTR_RE.search(inside_cell)
                if style is not None and int(style.group(1)) in percent_styles:
                    where = R_ATTR_RE.search(inside_cell)
                    cells.add((int(where.group(2)), letters_index(where.group(1))))
            return cells
    return set()


def is_date_format(code: str) -> bool:
    """Whether a number format code shows a date or time."""
    code = re.sub(r'"[^"]*"|\\.|\[[^\]]*\]', "", code)
    return bool(re.search(r"[dmyhs]", code, re.I)) and "General" not in code


def only_usual_cells(xml: str | bytes, found: int) -> bool:
    """Whether the ``found`` cells a pattern for ``<c r="A1"`` matched are all the sheet's
    cells: as many as its ``<c `` tags, and no cell tag written another way (no space after the
    name, or a namespace prefix). The readers' quick path for the usual sheet, as Excel,
    openpyxl and LibreOffice write it, rests on this test; any other sheet is read the slow,
    general way."""
    tags = xml.count(b"<c ") if isinstance(xml, bytes) else xml.count("<c ")
    kind = type(xml)
    return (
        found == tags
        and not _UNSPACED_CELL[kind].search(xml)
        and not _PREFIXED_CELL[kind].search(xml)
    )
