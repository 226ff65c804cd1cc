"""Adding sheets to an existing .xlsx package without touching the sheets already in it.

``caseload attach`` and the native templates use it: the manager's parts are copied byte for
byte; only the workbook part (one ``<sheet>`` per new sheet, the calculation settings), its
relationships, the content types and the style sheet (a few cell formats appended) change.

A column of formulas is written as one shared formula (``t="shared"``) where its rows differ
only by relative row numbers, as Excel itself writes filled-down columns: a 10,000-row column
is stored once, which keeps files small and lets Excel and LibreOffice load them quickly.
"""

from __future__ import annotations

import re
import zipfile
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from html import escape
from pathlib import Path
from typing import Any

from udfs.errors import CaseloadError
from udfs.intake import column_letter
from udfs.native import NativeSheet

CURRENT_CALC_ID = "191029"
MAIN_NS = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"
SHEET_TYPE = "http://schemas.openxmlformats.org/officeDocument/2006/relationships/worksheet"
SHEET_CONTENT = "application/vnd.openxmlformats-officedocument.spreadsheetml.worksheet+xml"
REFERENCE = re.compile(r"(\$?)([A-Z]{1,3})(\$?)(\d+)(?![\d(A-Za-z_])")
STRING = re.compile(r'"(?:[^"]|"")*"')
QUOTED_SHEET = re.compile(r"'(?:[^']|'')*'")


class PackageError(CaseloadError):
    """The workbook cannot take the new sheets (not an .xlsx package, a name already used)."""


def shift_rows(formula: str, delta: int) -> str:
    """``formula`` as it reads ``delta`` rows further down: relative row numbers move,
    ``$``-anchored ones and text inside string literals or quoted sheet names do not."""
    if delta == 0:
        return formula
    pieces = []
    position = 0
    for literal in re.finditer(r'"(?:[^"]|"")*"|\'(?:[^\']|\'\')*\'', formula):
        pieces.append(_shift_plain(formula[position : literal.start()], delta))
        pieces.append(literal.group(0))
        position = literal.end()
    pieces.append(_shift_plain(formula[position:], delta))
    return "".join(pieces)


def _shift_plain(text: str, delta: int) -> str:
    def move(match: re.Match[str]) -> str:
        start = match.start()
        if start > 0 and (text[start - 1].isalnum() or text[start - 1] in "_."):
            return match.group(0)
        anchor_col, letters, anchor_row, row = match.groups()
        if anchor_row:
            return match.group(0)
        return f"{anchor_col}{letters}{anchor_row}{int(row) + delta}"

    return REFERENCE.sub(move, text)


@dataclass
class Styles:
    """Indices of the cell formats appended to the package's style sheet."""

    header: int = 0
    note: int = 0
    formats: dict[str, int] = field(default_factory=dict)

    def number(self, number_format: str | None) -> int:
        """The cell format for a number format ('' or None: the plain one)."""
        return self.formats.get(number_format or "", 0)


NUMBER_FORMATS = ("0.00", "0.000", "0.0")


def _add_styles(xml: str) -> tuple[str, Styles]:
    """Append a bold wrapped header, a grey note and number formats to ``styles.xml``."""
    fonts = re.search(r"<fonts\b[^>]*>(.*?)</fonts>", xml, re.S)
    xfs = re.search(r"<cellXfs\b[^>]*>(.*?)</cellXfs>", xml, re.S)
    if fonts is None or xfs is None:
        raise PackageError("the workbook's style sheet has no fonts or cell formats")
    font_count = len(re.findall(r"<font\b", fonts.group(1)))
    new_fonts = '<font><b/><sz val="11"/><name val="Calibri"/></font>' + (
        '<font><i/><sz val="10"/><color rgb="FF595959"/><name val="Calibri"/></font>'
    )
    xml = xml[: fonts.end(1)] + new_fonts + xml[fonts.end(1) :]
    xml = re.sub(r"(<fonts\b[^>]*count=\")(\d+)", lambda m: f"{m.group(1)}{font_count + 2}", xml)
    ids = [int(i) for i in re.findall(r'<numFmt\b[^>]*numFmtId="(\d+)"', xml)]
    next_id = max([163, *ids]) + 1
    codes = {}
    entries = ""
    for offset, code in enumerate(NUMBER_FORMATS):
        codes[code] = next_id + offset
        entries += f'<numFmt numFmtId="{next_id + offset}" formatCode="{code}"/>'
    if "<numFmts" in xml:
        xml = re.sub(r"(<numFmts\b[^>]*>)", lambda m: m.group(1) + entries, xml, count=1)
        xml = re.sub(
            r"(<numFmts\b[^>]*count=\")(\d+)",
            lambda m: f"{m.group(1)}{int(m.group(2)) + len(NUMBER_FORMATS)}",
            xml,
            count=1,
        )
    else:
        xml = re.sub(
            r"(<styleSheet\b[^>]*>)",
            lambda m: m.group(1) + f'<numFmts count="{len(NUMBER_FORMATS)}">{entries}</numFmts>',
            xml,
            count=1,
        )
    xfs = re.search(r"<cellXfs\b[^>]*>(.*?)</cellXfs>", xml, re.S)
    xf_count = len(re.findall(r"<xf\b", xfs.group(1)))
    added = (
        f'<xf numFmtId="0" fontId="{font_count}" fillId="0" borderId="0" applyFont="1" '
        'applyAlignment="1"><alignment wrapText="1" vertical="top"/></xf>'
        f'<xf numFmtId="0" fontId="{font_count + 1}" fillId="0" borderId="0" applyFont="1"/>'
    )
    styles = Styles(header=xf_count, note=xf_count + 1)
    for offset, code in enumerate(NUMBER_FORMATS):
        added += (
            f'<xf numFmtId="{codes[code]}" fontId="0" fillId="0" borderId="0" '
            'applyNumberFormat="1"/>'
        )
        styles.formats[code] = xf_count + 2 + offset
    xml = xml[: xfs.end(1)] + added + xml[xfs.end(1) :]
    xml = re.sub(
        r"(<cellXfs\b[^>]*count=\")(\d+)",
        lambda m: f"{m.group(1)}{xf_count + 2 + len(NUMBER_FORMATS)}",
        xml,
        count=1,
    )
    return xml, styles


class Text(str):
    """A constant cell written as text, even when it starts with ``=`` (a value from a user's
    file must never become a live formula)."""


def _value_cell(ref: str, value: Any, style: int) -> str:
    style_attr = f' s="{style}"' if style else ""
    if value is None:
        return ""
    if isinstance(value, str) and value.startswith("=") and not isinstance(value, Text):
        return f'<c r="{ref}"{style_attr}><f>{escape(value[1:], quote=False)}</f></c>'
    if isinstance(value, bool):
        return f'<c r="{ref}"{style_attr} t="b"><v>{int(value)}</v></c>'
    if isinstance(value, int | float):
        return f'<c r="{ref}"{style_attr}><v>{value!r}</v></c>'
    return (
        f'<c r="{ref}"{style_attr} t="inlineStr"><is><t xml:space="preserve">'
        f"{escape(_xml_text(str(value)), quote=False)}</t></is></c>"
    )


def _xml_text(value: str) -> str:
    """Text with the control characters XML cannot hold escaped as Excel does (``_x0001_``)."""
    return re.sub(r"[\x00-\x08\x0b\x0c\x0e-\x1f]", lambda m: f"_x{ord(m.group(0)):04X}_", value)


def _cached(value: Any) -> tuple[str, str]:
    """(t attribute, <v>) of a formula's cached value."""
    if value is None or (isinstance(value, float) and value != value):
        return ' t="str"', "<v></v>"
    if isinstance(value, bool):
        return ' t="b"', f"<v>{int(value)}</v>"
    if isinstance(value, int | float):
        return "", f"<v>{float(value)!r}</v>"
    return ' t="str"', f"<v>{escape(_xml_text(str(value)), quote=False)}</v>"


def _runs(sheet: NativeSheet, index: int) -> Iterator[tuple[int, int, str]]:
    """(first row, last row, formula) runs of one column that one shared formula can hold."""
    column = sheet.columns[index]
    first, last = sheet.first_row, sheet.last_row
    row = first
    while row <= last:
        master = column.formula(row)
        end = row
        if row < last:
            # the generators are uniform below their first row: check a few rows, then trust
            probes = sorted({row + 1, min(last, row + 2), (row + last) // 2, last} - {row})
            if all(column.formula(p) == shift_rows(master, p - row) for p in probes):
                end = last
        yield row, end, master
        row = end + 1


def sheet_xml(
    sheet: NativeSheet, styles: Styles, shared_base: int, cached: Mapping[tuple[int, int], Any]
) -> tuple[str, int]:
    """The worksheet XML of a native sheet; returns it and the next free shared-formula id."""
    rows: dict[int, list[str]] = {}
    for ref, value in sheet.cells.items():
        letters = re.match(r"[A-Z]+", ref).group(0)
        number = int(ref[len(letters) :])
        style = styles.header if number == 1 else 0
        rows.setdefault(number, []).append(
            (_column_number(letters), _value_cell(ref, value, style))
        )
    for index, column in enumerate(sheet.columns, start=1):
        letter = column_letter(index)
        rows.setdefault(1, []).append(
            (index, _value_cell(f"{letter}1", column.header, styles.header))
        )
    next_id = shared_base
    for index, column in enumerate(sheet.columns):
        letter = column_letter(index + 1)
        style = styles.number(column.number_format)
        style_attr = f' s="{style}"' if style else ""
        for start, end, master in _runs(sheet, index):
            si = next_id
            next_id += 1
            for row in range(start, end + 1):
                t, v = _cached(cached[(row, index + 1)]) if (row, index + 1) in cached else ("", "")
                if row == start:
                    body = escape(master, quote=False)
                    formula = (
                        f'<f t="shared" ref="{letter}{start}:{letter}{end}" si="{si}">{body}</f>'
                        if end > start
                        else f"<f>{body}</f>"
                    )
                else:
                    formula = f'<f t="shared" si="{si}"/>'
                rows.setdefault(row, []).append(
                    (index + 1, f'<c r="{letter}{row}"{style_attr}{t}>{formula}{v}</c>')
                )
    body = "".join(
        f'<row r="{number}">' + "".join(cell for _, cell in sorted(cells)) + "</row>"
        for number, cells in sorted(rows.items())
    )
    widths = "".join(
        f'<col min="{i}" max="{i}" width="{column.width}" customWidth="1"/>'
        for i, column in enumerate(sheet.columns, start=1)
    )
    cols = f"<cols>{widths}</cols>" if widths else ""
    views = (
        '<sheetViews><sheetView workbookViewId="0"><pane ySplit="1" topLeftCell="A2" '
        'activePane="bottomLeft" state="frozen"/></sheetView></sheetViews>'
    )
    xml = (
        f'<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n<worksheet xmlns="{MAIN_NS}" '
        'xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/relationships">'
        f'<sheetPr><tabColor rgb="FF7F7F7F"/><pageSetUpPr fitToPage="1"/></sheetPr>'
        f"{views}{cols}<sheetData>{body}</sheetData>"
        '<pageMargins left="0.5" right="0.5" top="0.6" bottom="0.6" header="0.3" footer="0.3"/>'
        '<pageSetup orientation="landscape" fitToWidth="1" fitToHeight="0"/></worksheet>'
    )
    return xml, next_id


def _column_number(letters: str) -> int:
    number = 0
    for char in letters:
        number = number * 26 + ord(char) - 64
    return number


def add_sheets(
    source: Path,
    target: Path,
    sheets: list[NativeSheet],
    cached: Mapping[str, Mapping[tuple[int, int], Any]] | None = None,
) -> None:
    """Write ``target``: ``source`` with ``sheets`` added after its own, formulas calculated
    in full when the workbook is opened (Excel 2019+, LibreOffice), ``cached`` values shown
    until then (sheet title -> (row, column) -> value)."""
    cached = cached or {}
    try:
        archive = zipfile.ZipFile(source)
    except (zipfile.BadZipFile, OSError) as exc:
        raise PackageError(f"{source}: not an .xlsx package ({exc})") from None
    with archive:
        names = archive.namelist()
        if "xl/workbook.xml" not in names:
            raise PackageError(f"{source}: not an .xlsx package (no xl/workbook.xml)")
        workbook = archive.read("xl/workbook.xml").decode("utf-8")
        rels = archive.read("xl/_rels/workbook.xml.rels").decode("utf-8")
        types = archive.read("[Content_Types].xml").decode("utf-8")
        styles_xml, styles = _add_styles(archive.read("xl/styles.xml").decode("utf-8"))
        existing = {
            name.lower() for name in re.findall(r'<(?:\w+:)?sheet\b[^>]*\bname="([^"]*)"', workbook)
        }
        for sheet in sheets:
            if escape(sheet.title).lower() in existing:
                raise PackageError(f"{source}: already has a sheet called {sheet.title!r}")
        sheet_ids = [
            int(i) for i in re.findall(r'<(?:\w+:)?sheet\b[^>]*\bsheetId="(\d+)"', workbook)
        ]
        next_sheet = max([0, *sheet_ids]) + 1
        part = 1
        new_parts: dict[str, str] = {}
        entries = []
        relationships = []
        overrides = []
        shared = 0
        for offset, sheet in enumerate(sheets):
            while f"xl/worksheets/sheet{part}.xml" in names:
                part += 1
            path = f"xl/worksheets/sheet{part}.xml"
            names.append(path)
            xml, shared = sheet_xml(sheet, styles, 0, cached.get(sheet.title, {}))
            new_parts[path] = xml
            rid = _free_id(rels, offset)
            entries.append(
                f'<sheet name="{escape(sheet.title)}" sheetId="{next_sheet + offset}" '
                f'r:id="{rid}"/>'
            )
            relationships.append(
                f'<Relationship Id="{rid}" Type="{SHEET_TYPE}" '
                f'Target="worksheets/sheet{part}.xml"/>'
            )
            overrides.append(f'<Override PartName="/{path}" ContentType="{SHEET_CONTENT}"/>')
        del shared
        prefix = re.search(r"<(\w+:)?sheets\b", workbook)
        tag = prefix.group(1) or "" if prefix else ""
        if tag:
            entries = [entry.replace("<sheet ", f"<{tag}sheet ") for entry in entries]
        workbook = re.sub(
            rf"</{tag}sheets>", lambda m: "".join(entries) + m.group(0), workbook, count=1
        )
        workbook = set_full_calculation(workbook)
        rels = rels.replace("</Relationships>", "".join(relationships) + "</Relationships>")
        types = types.replace("</Types>", "".join(overrides) + "</Types>")
        changed = {
            "xl/workbook.xml": workbook,
            "xl/_rels/workbook.xml.rels": rels,
            "[Content_Types].xml": types,
            "xl/styles.xml": styles_xml,
        }
        with zipfile.ZipFile(target, "w", zipfile.ZIP_DEFLATED) as out:
            for item in archive.infolist():
                if item.filename == "xl/calcChain.xml":
                    out.writestr(item, archive.read(item))
                    continue
                if item.filename in changed:
                    out.writestr(item, changed[item.filename].encode("utf-8"))
                else:
                    out.writestr(item, archive.read(item))
            for path, xml in new_parts.items():
                out.writestr(path, xml.encode("utf-8"))


def _free_id(rels: str, offset: int) -> str:
    """A relationship id the workbook's relationships do not use yet."""
    used = set(re.findall(r'Id="([^"]+)"', rels))
    number = offset + 1
    while f"rIdCw{number}" in used:
        number += 100
    return f"rIdCw{number}"


def set_full_calculation(workbook: str, full: bool = True) -> str:
    """The workbook part with a current ``calcId`` and, when ``full``, ``fullCalcOnLoad``: the
    application recalculates every formula on open (formulas without cached values are there)."""
    attributes = f'calcId="{CURRENT_CALC_ID}"' + (' fullCalcOnLoad="1"' if full else "")
    match = re.search(r"<(\w+:)?calcPr\b([^>]*?)/?>", workbook)
    if match is None:
        tag = re.search(r"<(\w+:)?sheets\b", workbook).group(1) or ""
        end = re.search(rf"</{tag}sheets>", workbook).end()
        # calcPr follows sheets, functionGroups, externalReferences and definedNames
        after = re.search(rf"</{tag}definedNames>", workbook)
        at = after.end() if after else end
        return workbook[:at] + f"<{tag}calcPr {attributes}/>" + workbook[at:]
    kept = re.sub(r'\s*\b(calcId|fullCalcOnLoad)="[^"]*"', "", match.group(2)).rstrip("/").rstrip()
    tag = match.group(1) or ""
    return (
        workbook[: match.start()] + f"<{tag}calcPr{kept} {attributes}/>" + workbook[match.end() :]
    )
