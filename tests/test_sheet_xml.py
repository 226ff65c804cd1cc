"""Reading and patching worksheet XML: the fast path for the usual layout and the general one
for any other give the same cells (addin.engine.package, addin.xlsx.cached_values)."""

from __future__ import annotations

import re
import zipfile
from pathlib import Path
from xml.etree import ElementTree

from openpyxl import Workbook

from addin.engine.package import read_package
from addin.engine.values import XlError
from addin.xlsx.cached_values import Update, patch_sheet

MAIN = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"


def _usual_book(path: Path) -> Path:
    book = Workbook()
    sheet = book.active
    sheet.title = "Cases"
    sheet.append(["case_id", "level", "note", "when"])
    sheet.append(["C1", 2, "a & b", None])
    sheet.append(["C2", None, "  spaced  ", 3.5])
    sheet["E2"] = "=B2*2"
    sheet["E3"] = "=B3*2"
    sheet["F2"] = True
    book.save(path)
    return path


def _rewritten(source: Path, target: Path, change) -> Path:
    """A copy of the package ``source`` whose worksheet XML went through ``change``."""
    with zipfile.ZipFile(source) as archive, zipfile.ZipFile(target, "w") as out:
        for info in archive.infolist():
            data = archive.read(info.filename)
            if info.filename.startswith("xl/worksheets/sheet"):
                data = change(data.decode("utf-8")).encode("utf-8")
            out.writestr(info, data)
    return target


def _cells(path: Path) -> tuple[dict, dict]:
    sheet = read_package(path).sheets[0]
    return sheet.values, {key: cell.text for key, cell in sheet.formulas.items()}


def test_a_sheet_read_the_usual_way_and_cell_by_cell_gives_the_same_cells(tmp_path):
    usual = _usual_book(tmp_path / "usual.xlsx")

    def reorder(xml: str) -> str:  # attributes in another order: the general reader
        return re.sub(r'<c r="([A-Z]+\d+)"((?: [st]="[^"]*")+)', r'<c\2 r="\1"', xml)

    def prefix(xml: str) -> str:  # every element under a prefix: the general reader
        xml = re.sub(r"<(/?)(?!\?)([A-Za-z])", r"<\1x:\2", xml)
        return xml.replace(f'xmlns="{MAIN}"', f'xmlns:x="{MAIN}"')

    expected = _cells(usual)
    assert expected[0][(2, 3)] == "a & b" and expected[1] == {(2, 5): "B2*2", (3, 5): "B3*2"}
    def unspaced(xml: str) -> str:  # a newline after the tag name: the general reader
        return xml.replace('<c r="B', '<c\nr="B')

    for name, change in (("reordered", reorder), ("prefixed", prefix), ("unspaced", unspaced)):
        other = _rewritten(usual, tmp_path / f"{name}.xlsx", change)
        assert _cells(other) == expected, name


def _row_cells(xml: str) -> dict[int, list[tuple[str, str | None]]]:
    """Row number -> [(reference, cached value)] in document order, prefix or not."""
    root = ElementTree.fromstring(xml)
    rows: dict[int, list[tuple[str, str | None]]] = {}
    for row in root.iter(f"{{{MAIN}}}row"):
        cells = []
        for cell in row.iter(f"{{{MAIN}}}c"):
            value = cell.find(f"{{{MAIN}}}v")
            text = cell.find(f"{{{MAIN}}}is/{{{MAIN}}}t")
            shown = value.text if value is not None else text.text if text is not None else None
            cells.append((cell.get("r"), shown))
        rows[int(row.get("r"))] = cells
    return rows


def test_patching_writes_each_cell_in_order_and_leaves_the_other_rows_as_they_were():
    sheet = (
        f'<worksheet xmlns="{MAIN}"><dimension ref="A1:C5"/><sheetData>'
        '<row r="1" spans="1:2"><c r="A1" t="inlineStr"><is><t>id</t></is></c>'
        '<c r="B1"><f>1+1</f><v></v></c></row>'
        '<row r="3"/>'
        '<row r="5"><c r="A5"><v>5</v></c><c r="C5" s="1"><v>7</v></c></row>'
        '<row r="6"><c r="A6"><v>6</v></c></row>'
        "</sheetData></worksheet>"
    )
    updates = {
        1: {2: Update(2.0, formula=True), 4: Update("right of the last", formula=False)},
        2: {1: Update(XlError("#N/A"), formula=False)},
        3: {1: Update(True, formula=False)},
        5: {2: Update(1.5, formula=False)},
        9: {3: Update(9.0, formula=False)},
    }
    for xml in (
        sheet,
        re.sub(r"<(/?)(?!\?)([A-Za-z])", r"<\1x:\2", sheet).replace(
            f'xmlns="{MAIN}"', f'xmlns:x="{MAIN}" xmlns="{MAIN}"'
        ),
    ):
        patched = patch_sheet(xml, {r: dict(c) for r, c in updates.items()}, None)
        assert _row_cells(patched) == {
            1: [("A1", "id"), ("B1", "2"), ("D1", "right of the last")],
            2: [("A2", "#N/A")],
            3: [("A3", "1")],
            5: [("A5", "5"), ("B5", "1.5"), ("C5", "7")],
            6: [("A6", "6")],
            9: [("C9", "9")],
        }
        assert re.search(r"<(x:)?f>1\+1</(x:)?f>", patched)  # the formula is kept
        assert 's="1"' in patched  # and the style
        untouched = re.search(r"<(?:x:)?row r=\"6\">.*?</(?:x:)?row>", xml).group(0)
        assert untouched in patched  # a row with nothing to write is copied as it was
