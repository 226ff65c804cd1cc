"""A macro-enabled copy (.xlsm) of a workbook, carrying xlwings' standalone VBA project.

``caseload template tracker --xlsm`` puts the ``CW_`` functions where the formulas are: the
tracker itself holds xlwings' VBA (the standalone project of xlwings' own
``quickstart_standalone.xlsm``, in ``addin/vba/vbaProject.bin``, BSD-3-Clause, licence beside
it) and an ``xlwings.conf`` sheet naming the UDF module, so *Import Functions* (the ribbon, or
the ``ImportPythonUDFs`` macro without the xlwings add-in) writes the ``xlwings_udfs`` module
into the tracker and its ``CW_`` calls resolve there.

The conversion is done on the package, as the file format has it (ECMA-376 with Microsoft's
macro extension): the workbook part's content type becomes
``application/vnd.ms-excel.sheet.macroEnabled.main+xml``; ``xl/vbaProject.bin`` is added with a
``vbaProject`` relationship from the workbook and a ``Default`` content type for ``bin``; the
workbook and its sheets get the code names the VBA project's document modules carry
(``ThisWorkbook``, ``Sheet1``, ...). XML is edited as text so every namespace prefix, and with it
``mc:Ignorable``, stays as written.
"""

from __future__ import annotations

import re
import zipfile
from importlib import resources
from pathlib import Path

MACRO_WORKBOOK_TYPE = "application/vnd.ms-excel.sheet.macroEnabled.main+xml"
PLAIN_WORKBOOK_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml"
VBA_PROJECT_TYPE = "application/vnd.ms-office.vbaProject"
VBA_RELATIONSHIP = "http://schemas.microsoft.com/office/2006/relationships/vbaProject"
XLWINGS_VBA_VERSION = "0.37.8"
"""The xlwings version whose standalone VBA project is shipped: its VBA loads
``xlwings64-0.37.8.dll``, so the PC's xlwings Python package must be this version."""


def xlwings_vba_project() -> bytes:
    """The bytes of xlwings' standalone VBA project (``addin/vba/vbaProject.bin``)."""
    return resources.files("addin").joinpath("vba", "vbaProject.bin").read_bytes()


def _content_types(xml: str) -> str:
    if PLAIN_WORKBOOK_TYPE not in xml:
        raise ValueError("[Content_Types].xml names no workbook part")
    xml = xml.replace(PLAIN_WORKBOOK_TYPE, MACRO_WORKBOOK_TYPE)
    if 'Extension="bin"' not in xml:
        default = f'<Default Extension="bin" ContentType="{VBA_PROJECT_TYPE}"/>'
        xml = re.sub(r"(<Types\b[^>]*>)", lambda m: m.group(1) + default, xml, count=1)
    return xml


def _workbook_rels(xml: str) -> str:
    if VBA_RELATIONSHIP in xml:
        return xml
    taken = set(re.findall(r'\bId="([^"]+)"', xml))
    number = 1
    while f"rId{number}" in taken:
        number += 1
    relationship = (
        f'<Relationship Id="rId{number}" Type="{VBA_RELATIONSHIP}" Target="vbaProject.bin"/>'
    )
    return xml.replace("</Relationships>", relationship + "</Relationships>")


def _with_code_name(xml: str, element: str, code_name: str, before: tuple[str, ...]) -> str:
    """``xml`` whose ``element`` (workbookPr or sheetPr) carries ``codeName="code_name"``;
    the element is added before the first of ``before`` when it is missing."""
    found = re.search(rf"<{element}\b[^>]*?(/?)>", xml)
    if found:
        tag = found.group(0)
        if "codeName=" in tag:
            new = re.sub(r'codeName="[^"]*"', f'codeName="{code_name}"', tag)
        else:
            new = tag.replace(f"<{element}", f'<{element} codeName="{code_name}"', 1)
        return xml[: found.start()] + new + xml[found.end() :]
    for name in before:
        at = re.search(rf"<{name}\b", xml)
        if at:
            return xml[: at.start()] + f'<{element} codeName="{code_name}"/>' + xml[at.start() :]
    raise ValueError(f"no place for <{element}> in the part")


def _sheet_parts(workbook: str, rels: str) -> list[str]:
    """The worksheet parts in the workbook's sheet order."""
    targets = {}
    for tag in re.findall(r"<Relationship\b[^>]*>", rels):
        rid, target = re.search(r'\bId="([^"]+)"', tag), re.search(r'\bTarget="([^"]+)"', tag)
        if rid and target:
            targets[rid.group(1)] = target.group(1)
    parts = []
    for rid in re.findall(r'<sheet\b[^>]*?r:id="([^"]+)"', workbook):
        target = targets[rid]
        parts.append(target.lstrip("/") if target.startswith("/") else f"xl/{target}")
    return parts


WORKSHEET_CHILDREN = ("dimension", "sheetViews", "sheetFormatPr", "cols", "sheetData")
WORKBOOK_CHILDREN = ("workbookProtection", "bookViews", "sheets")


def make_macro_enabled(source: Path, target: Path, vba_project: bytes | None = None) -> None:
    """Write ``target`` (.xlsm): ``source`` (.xlsx) with ``vba_project`` (default: xlwings'
    standalone project) as ``xl/vbaProject.bin`` and the parts that make Excel load it."""
    project = xlwings_vba_project() if vba_project is None else vba_project
    with zipfile.ZipFile(source) as package:
        parts = {info.filename: package.read(info) for info in package.infolist()}
        infos = package.infolist()
    if "xl/vbaProject.bin" in parts:
        raise ValueError(f"{source.name} already has a VBA project")
    text = {name: parts[name].decode("utf-8") for name in parts if name.endswith((".xml", ".rels"))}
    edited = {
        "[Content_Types].xml": _content_types(text["[Content_Types].xml"]),
        "xl/_rels/workbook.xml.rels": _workbook_rels(text["xl/_rels/workbook.xml.rels"]),
        "xl/workbook.xml": _with_code_name(
            text["xl/workbook.xml"], "workbookPr", "ThisWorkbook", WORKBOOK_CHILDREN
        ),
    }
    sheets = _sheet_parts(text["xl/workbook.xml"], text["xl/_rels/workbook.xml.rels"])
    for number, part in enumerate(sheets, start=1):
        edited[part] = _with_code_name(text[part], "sheetPr", f"Sheet{number}", WORKSHEET_CHILDREN)
    with zipfile.ZipFile(target, "w", compression=zipfile.ZIP_DEFLATED) as out:
        for info in infos:
            data = edited[info.filename].encode("utf-8") if info.filename in edited else None
            out.writestr(info, data if data is not None else parts[info.filename])
        out.writestr("xl/vbaProject.bin", project)
