"""Small hostile files for ``tests/test_hostile_input.py``: each proves one failure class of
issue 10 without being big (a bomb of a few kilobytes proves the limit as well as a big one).

Workbooks are written as raw packages (``zipfile`` and hand-written XML) so that the hostile
part is exactly what the case says: a cell at XFD1048576, a part larger than it declares, an
entity, a doctype. A planted child name (``CHILD_NAME``) sits in Cases rows and must never
appear in any message or output.
"""

from __future__ import annotations

import zipfile
from collections.abc import Iterable
from pathlib import Path
from xml.sax.saxutils import escape

CHILD_NAME = "Alice Example"
CHILD_BIRTH = "4 March 2012"

WORKERS = [
    ["worker_id", "team", "role", "fte", "asye_months", "agency", "reduction_pct"],
    ["W1", "AI", "SW", 1, None, "no", 0],
    ["W2", "SGCP", "SW", 0.5, None, "no", 0],
]
CASES = [
    ["case_id", "worker_id", "family_id", "category", "level", "status"],
    ["C1", "W1", "F1", "CIN", 2, None],
    ["C2", "W1", "F2", "CP", 3, None],
    ["C3", "W2", "F3", "LAC", None, None],
]

CONTENT_TYPES = (
    '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
    '<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">'
    '<Default Extension="rels" '
    'ContentType="application/vnd.openxmlformats-package.relationships+xml"/>'
    '<Default Extension="xml" ContentType="application/xml"/>'
    '<Override PartName="/xl/workbook.xml" '
    'ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml"/>'
    "{sheets}</Types>"
)
SHEET_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.worksheet+xml"
ROOT_RELS = (
    '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
    '<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
    '<Relationship Id="rId1" '
    'Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/officeDocument" '
    'Target="xl/workbook.xml"/></Relationships>'
)
MAIN_NS = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"
REL_NS = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"
WORKSHEET_REL = "http://schemas.openxmlformats.org/officeDocument/2006/relationships/worksheet"


def column_letters(column: int) -> str:
    """1 -> A, 16384 -> XFD."""
    letters = ""
    while column > 0:
        column, remainder = divmod(column - 1, 26)
        letters = chr(65 + remainder) + letters
    return letters


def cell_xml(ref: str, value: object) -> str:
    """One ``<c>``: a number, an inline string, a formula (text starting ``=`` given as
    ``("=", text)``) or nothing."""
    if value is None:
        return ""
    if isinstance(value, tuple):
        return f'<c r="{ref}"><f>{escape(value[1])}</f></c>'
    if isinstance(value, bool):
        return f'<c r="{ref}" t="b"><v>{int(value)}</v></c>'
    if isinstance(value, int | float):
        return f'<c r="{ref}"><v>{value!r}</v></c>'
    return f'<c r="{ref}" t="inlineStr"><is><t>{escape(str(value))}</t></is></c>'


def sheet_xml(rows: Iterable[list[object]], extra_cells: str = "", head: str = "") -> str:
    """A worksheet of ``rows`` from A1; ``extra_cells`` is raw XML put in a last row."""
    body = []
    for number, row in enumerate(rows, start=1):
        cells = "".join(
            cell_xml(f"{column_letters(col)}{number}", v) for col, v in enumerate(row, start=1)
        )
        body.append(f'<row r="{number}">{cells}</row>')
    return (
        f'<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n{head}'
        f'<worksheet xmlns="{MAIN_NS}" xmlns:r="{REL_NS}"><sheetData>'
        + "".join(body)
        + extra_cells
        + "</sheetData></worksheet>"
    )


def write_package(
    path: Path, sheets: dict[str, str], extra: dict[str, bytes] | None = None
) -> Path:
    """A workbook package with ``sheets`` (name -> worksheet XML) and any ``extra`` parts."""
    entries = "".join(
        f'<sheet name="{escape(name)}" sheetId="{i}" r:id="rId{i}"/>'
        for i, name in enumerate(sheets, start=1)
    )
    workbook = (
        '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
        f'<workbook xmlns="{MAIN_NS}" xmlns:r="{REL_NS}"><sheets>{entries}</sheets></workbook>'
    )
    rels = "".join(
        f'<Relationship Id="rId{i}" Type="{WORKSHEET_REL}" Target="worksheets/sheet{i}.xml"/>'
        for i in range(1, len(sheets) + 1)
    )
    types = "".join(
        f'<Override PartName="/xl/worksheets/sheet{i}.xml" ContentType="{SHEET_TYPE}"/>'
        for i in range(1, len(sheets) + 1)
    )
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("[Content_Types].xml", CONTENT_TYPES.format(sheets=types))
        archive.writestr("_rels/.rels", ROOT_RELS)
        archive.writestr("xl/workbook.xml", workbook)
        archive.writestr(
            "xl/_rels/workbook.xml.rels",
            '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
            '<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
            f"{rels}</Relationships>",
        )
        for i, xml in enumerate(sheets.values(), start=1):
            archive.writestr(f"xl/worksheets/sheet{i}.xml", xml)
        for name, data in (extra or {}).items():
            archive.writestr(name, data)
    return path


def tracker(
    path: Path,
    workers: list[list[object]] | None = None,
    cases: list[list[object]] | None = None,
    workers_extra: str = "",
    cases_extra: str = "",
    cases_head: str = "",
) -> Path:
    """A small valid tracker (Workers and Cases), with any hostile extras added."""
    return write_package(
        path,
        {
            "Workers": sheet_xml(workers or WORKERS, workers_extra),
            "Cases": sheet_xml(cases or CASES, cases_extra, cases_head),
        },
    )


def saved_tracker(
    path: Path, workers: list[list[object]] | None = None, cases: list[list[object]] | None = None
) -> Path:
    """A tracker saved by openpyxl (a whole package, styles included, as Excel writes one)."""
    import openpyxl

    book = openpyxl.Workbook()
    book.active.title = "Workers"
    for row in workers or WORKERS:
        book["Workers"].append(row)
    sheet = book.create_sheet("Cases")
    for row in cases or CASES:
        sheet.append(row)
    book.save(path)
    return path


def with_cases(*rows: list[object]) -> list[list[object]]:
    """The valid Cases table plus ``rows``."""
    return [*CASES, *rows]


def with_workers(*rows: list[object]) -> list[list[object]]:
    """The valid Workers table plus ``rows``."""
    return [*WORKERS, *rows]


# --- hostile workbooks ----------------------------------------------------------------------


def far_cell(path: Path) -> Path:
    """A cell at XFD1048576: a reader that allocates the grid dies."""
    return tracker(path, cases_extra='<row r="1048576"><c r="XFD1048576"><v>1</v></c></row>')


def far_dimension(path: Path) -> Path:
    """A sheet whose dimension declares A1:XFD1048576 (its cells are few)."""
    xml = sheet_xml(CASES).replace("<sheetData>", '<dimension ref="A1:XFD1048576"/><sheetData>')
    return write_package(path, {"Workers": sheet_xml(WORKERS), "Cases": xml})


def missing_sheet_part(path: Path) -> Path:
    """workbook.xml names a Cases sheet whose part is not in the package."""
    tracker(path)
    return _drop_part(path, "xl/worksheets/sheet2.xml")


def _drop_part(path: Path, name: str) -> Path:
    with zipfile.ZipFile(path) as archive:
        parts = {i.filename: archive.read(i.filename) for i in archive.infolist()}
    parts.pop(name)
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as archive:
        for part, data in parts.items():
            archive.writestr(part, data)
    return path


def understated_size(path: Path) -> Path:
    """A zip member that inflates to more than its header declares."""
    tracker(path)
    data = bytearray(path.read_bytes())
    name = b"xl/worksheets/sheet2.xml"
    # the central directory entry holds the size readers trust: make it smaller than the truth
    at = data.rfind(b"PK\x01\x02")
    while at != -1:
        name_len = int.from_bytes(data[at + 28 : at + 30], "little")
        if data[at + 46 : at + 46 + name_len] == name:
            data[at + 24 : at + 28] = (10).to_bytes(4, "little")
            break
        at = data.rfind(b"PK\x01\x02", 0, at)
    local = data.find(b"PK\x03\x04")
    while local != -1:
        name_len = int.from_bytes(data[local + 26 : local + 28], "little")
        if data[local + 30 : local + 30 + name_len] == name:
            data[local + 22 : local + 26] = (10).to_bytes(4, "little")
            break
        local = data.find(b"PK\x03\x04", local + 4)
    path.write_bytes(bytes(data))
    return path


ENTITY_HEAD = (
    '<!DOCTYPE worksheet [<!ENTITY a "aaaaaaaaaa"><!ENTITY b "&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;">'
    '<!ENTITY c "&b;&b;&b;&b;&b;&b;&b;&b;&b;&b;"><!ENTITY d "&c;&c;&c;&c;&c;&c;&c;&c;&c;&c;">]>'
)


def entity_bomb(path: Path) -> Path:
    """Billion-laughs style entities declared inline in the Cases sheet and used in a cell."""
    return tracker(
        path,
        cases_head=ENTITY_HEAD,
        cases_extra='<row r="9"><c r="A9" t="inlineStr"><is><t>&d;</t></is></c></row>',
    )


def undefined_entity(path: Path) -> Path:
    """A cell holding an entity that is never defined (or an external one, XXE style)."""
    return tracker(
        path,
        cases_head='<!DOCTYPE worksheet [<!ENTITY x SYSTEM "file:///etc/passwd">]>',
        cases_extra='<row r="9"><c r="A9" t="inlineStr"><is><t>&x;&y;</t></is></c></row>',
    )


def zip_bomb(path: Path, inflated: int = 64 * 1024 * 1024) -> Path:
    """A Cases sheet part that inflates to ``inflated`` bytes (whitespace inside sheetData):
    a few tens of kilobytes on disk, above the part-size limit once inflated."""
    head = sheet_xml(CASES).split("</sheetData>")[0]
    write_package(path, {"Workers": sheet_xml(WORKERS), "Cases": "PLACEHOLDER"})
    with zipfile.ZipFile(path) as archive:
        parts = {i.filename: archive.read(i.filename) for i in archive.infolist()}
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED, compresslevel=9) as archive:
        for name, data in parts.items():
            if name != "xl/worksheets/sheet2.xml":
                archive.writestr(name, data)
        with archive.open("xl/worksheets/sheet2.xml", "w", force_zip64=True) as part:
            part.write(head.encode())
            chunk = b" " * (1024 * 1024)
            for _ in range(inflated // len(chunk)):
                part.write(chunk)
            part.write(b"</sheetData></worksheet>")
    return path


def many_cells(path: Path, rows: int, columns: int) -> Path:
    """A Cases sheet whose cells span ``rows`` x ``columns`` (two cells: the corners)."""
    corner = f"{column_letters(columns)}{rows}"
    return tracker(path, cases_extra=f'<row r="{rows}"><c r="{corner}"><v>1</v></c></row>')


def not_a_zip(path: Path) -> Path:
    """Text with an .xlsx name."""
    path.write_text("this is not a workbook\n", encoding="utf-8")
    return path


# --- hostile policies -----------------------------------------------------------------------


def yaml_alias_bomb(path: Path, levels: int = 12) -> Path:
    """Each level is ten aliases of the one before: 10**levels nodes once expanded."""
    lines = ['a0: &a0 ["lol","lol","lol","lol","lol","lol","lol","lol","lol","lol"]']
    for level in range(1, levels):
        refs = ",".join([f"*a{level - 1}"] * 10)
        lines.append(f"a{level}: &a{level} [{refs}]")
    lines.append(f"extends: gateshead\nname: bomb\nx: *a{levels - 1}")
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def wide_policy(path: Path, keys: int = 20_000) -> Path:
    """A policy with many keys (small enough to write quickly, above the key limit)."""
    body = "\n".join(f"  k{i}: {i}" for i in range(keys))
    path.write_text(f"extends: gateshead\nname: wide\nextra:\n{body}\n", encoding="utf-8")
    return path


def deep_policy(path: Path, depth: int = 200) -> Path:
    """A policy nested ``depth`` levels deep (flow style: short to write)."""
    path.write_text(
        "extends: gateshead\nname: deep\nextra: " + "{a: " * depth + "1" + "}" * depth + "\n",
        encoding="utf-8",
    )
    return path


def big_policy(path: Path, size: int = 2 * 1024 * 1024) -> Path:
    """A policy file above the size limit (a long comment)."""
    path.write_text("extends: gateshead\n# " + "x" * size + "\n", encoding="utf-8")
    return path


def hostile_mapping(path: Path) -> Path:
    """A ``TRACKER.mapping.yaml`` that is not a mapping file (an alias bomb)."""
    return yaml_alias_bomb(path)


def formula_policy_book(path: Path, policy_file: Path, function: str = "CW_POLICY") -> Path:
    """A workbook whose formula names a policy file on this machine."""
    text = (
        f'CW_POLICY("{policy_file}")'
        if function == "CW_POLICY"
        else f'CW_CAPACITY("AI","SW",1,0,0,"max",FALSE,"{policy_file}")'
    )
    return write_package(path, {"Sheet1": sheet_xml([["x", ("=", text)]])})
