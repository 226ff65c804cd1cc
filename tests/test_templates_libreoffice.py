"""Templates in a real spreadsheet application: LibreOffice headless (skipped when absent).

Each filled template is recalculated by LibreOffice; every native formula must give the value
Python cached for it, and the only error cells allowed are #NAME? where a CW_ function (which
LibreOffice does not know) feeds the cell. Each template also renders to PDF and PNG, not blank.
"""

from __future__ import annotations

import shutil
import struct
import subprocess
import zlib
from pathlib import Path

import pytest
from libreoffice_checks import error_cells, needs_lo, same_value
from openpyxl import load_workbook

from addin.libreoffice import convert
from udfs.policy import load_policy
from workbook_templates.builder import formula_cells, save_workbook
from workbook_templates.demo import build_demo, template_spec
from workbook_templates.gmt import gmt_spec
from workbook_templates.supervision import supervision_spec
from workbook_templates.tracker import tracker_spec

pytestmark = [pytest.mark.libreoffice, needs_lo]


@pytest.fixture(scope="module")
def demo(tmp_path_factory: pytest.TempPathFactory):
    """The demo service and its history (workbooks are rebuilt per test from specs)."""
    return build_demo(tmp_path_factory.mktemp("lo-demo"), load_policy())


def _specs(demo) -> dict:
    policy = load_policy()
    latest = demo.history[-1]
    quarter = demo.history[-3:]
    index = next(
        i for i, w in enumerate(demo.service.workers) if w["worker_id"] in demo.service.over_months
    )
    from workbook_templates.demo import supervision_months

    worker = {**demo.service.workers[index], "asye_months": None}
    return {
        "tracker": tracker_spec(policy, latest.workers_rows, latest.cases_rows),
        "supervision": supervision_spec(
            policy,
            worker,
            supervision_months(demo.service, demo.history, index),
            demo.history[0].month,
        ),
        "gmt": gmt_spec(policy, [m.month for m in quarter], [m.teams for m in quarter]),
    }


@pytest.mark.parametrize("name", ["tracker", "supervision", "gmt"])
def test_native_formulas_match_python_in_libreoffice(demo, tmp_path: Path, name: str) -> None:
    spec = _specs(demo)[name]
    source = tmp_path / f"{name}.xlsx"
    written = save_workbook(spec, source)
    converted = convert(source, "xlsx", tmp_path / "lo", recalculate=True)
    book = load_workbook(converted, data_only=True)
    cw_cells = {(c.sheet, c.ref) for c in written if c.uses_cw}
    spill_cells = set()
    for sheet in spec.sheets:
        for cell in sheet.cells.values():
            if cell.array_ref:
                for row in book[sheet.title][cell.array_ref]:
                    spill_cells.update((sheet.title, c.coordinate) for c in row)
    unexpected = [
        e
        for e in error_cells(book)
        if e[2] != "#NAME?" or (e[0], e[1]) not in cw_cells | spill_cells
    ]
    assert not unexpected, unexpected[:10]
    compared, wrong = 0, []
    for cell in written:
        if cell.uses_cw:
            continue
        actual = book[cell.sheet][cell.ref].value
        compared += 1
        if not same_value(actual, cell.cached):
            wrong.append((cell.sheet, cell.ref, cell.formula, actual, cell.cached))
    assert not wrong, wrong[:10]
    assert compared > 100


def _png_is_not_blank(path: Path) -> bool:
    """Decode an 8-bit PNG (as pdftoppm writes it) and check it has ink, not one flat colour."""
    data = path.read_bytes()
    assert data[:8] == b"\x89PNG\r\n\x1a\n"
    position, idat, header = 8, b"", None
    while position < len(data):
        length, kind = struct.unpack(">I4s", data[position : position + 8])
        chunk = data[position + 8 : position + 8 + length]
        if kind == b"IHDR":
            header = struct.unpack(">IIBBBBB", chunk)
        elif kind == b"IDAT":
            idat += chunk
        position += 12 + length
    width, height, depth, colour = header[0], header[1], header[2], header[3]
    channels = {0: 1, 2: 3, 4: 2, 6: 4}[colour]
    assert depth == 8
    stride = width * channels
    raw = zlib.decompress(idat)
    previous = bytearray(stride)
    dark = 0
    for row in range(height):
        start = row * (stride + 1)
        kind, line = raw[start], bytearray(raw[start + 1 : start + 1 + stride])
        for i in range(stride):
            left = line[i - channels] if i >= channels else 0
            up = previous[i]
            corner = previous[i - channels] if i >= channels else 0
            if kind == 1:
                line[i] = (line[i] + left) & 255
            elif kind == 2:
                line[i] = (line[i] + up) & 255
            elif kind == 3:
                line[i] = (line[i] + (left + up) // 2) & 255
            elif kind == 4:
                p = left + up - corner
                pa, pb, pc = abs(p - left), abs(p - up), abs(p - corner)
                pred = left if pa <= pb and pa <= pc else (up if pb <= pc else corner)
                line[i] = (line[i] + pred) & 255
        dark += sum(1 for value in line[::channels] if value < 128)
        previous = line
    return dark > 200


@pytest.mark.slow
@pytest.mark.skipif(shutil.which("pdftoppm") is None, reason="pdftoppm (poppler) is not installed")
@pytest.mark.parametrize("name", ["tracker", "supervision", "gmt"])
def test_template_renders_to_pdf_and_png(demo, tmp_path: Path, name: str) -> None:
    source = tmp_path / f"{name}.xlsx"
    save_workbook(_specs(demo)[name], source)
    pdf = convert(source, "pdf", tmp_path / "pdf")
    assert pdf.stat().st_size > 2000
    subprocess.run(
        ["pdftoppm", "-png", "-r", "30", "-f", "1", "-l", "1", str(pdf), str(tmp_path / "page")],
        check=True,
        timeout=120,
    )
    pages = sorted(tmp_path.glob("page*.png"))
    assert pages and _png_is_not_blank(pages[0])


@pytest.mark.parametrize("name", ["tracker", "supervision", "gmt"])
def test_blank_template_opens_without_errors(tmp_path: Path, name: str) -> None:
    source = tmp_path / f"{name}.xlsx"
    written = save_workbook(template_spec(name, load_policy()), source)
    book = load_workbook(convert(source, "xlsx", tmp_path / "lo", recalculate=True), data_only=True)
    cw_cells = {(c.sheet, c.ref) for c in written if c.uses_cw}
    allowed = cw_cells | {("Summary", f"{col}4") for col in "ABCDEFGHIJKLM"}
    for error in error_cells(book):
        assert error[2] == "#NAME?" and error[:2] in allowed, error


def test_formula_cells_listed() -> None:
    spec = template_spec("gmt", load_policy())
    assert any("SUMIFS" in cell.formula for cell in formula_cells(spec))
