"""Templates in a real spreadsheet application: LibreOffice headless (skipped when absent).

Each filled template is recalculated by LibreOffice; every formula must give the value Python
cached for it, and no cell shows an error (but a chart's ``NA()`` gap). The demo's tracker,
recalculated, equals the demo's result CSV, and no demo workbook shows an error cell. Each
template also renders to PDF and PNG, not blank.
"""

from __future__ import annotations

import csv
import shutil
import struct
import subprocess
import zlib
from pathlib import Path

import pytest
import python_calamine as calamine
from libreoffice_checks import error_cells_in_file, needs_lo, same_value, unexpected_errors
from openpyxl import load_workbook

from addin.demo.build import build_demo
from addin.libreoffice import convert, recalculate_many
from udfs.model import RESULT_COLUMNS
from udfs.native import CASELOAD
from udfs.policy import load_policy
from workbook_templates.builder import formula_cells, save_workbook
from workbook_templates.catalogue import template_spec
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
    from addin.demo.build import supervision_months

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
    unexpected = unexpected_errors(error_cells_in_file(converted), written)
    assert not unexpected, unexpected[:10]
    book = load_workbook(converted, data_only=True)
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
    converted = convert(source, "xlsx", tmp_path / "lo", recalculate=True)
    assert unexpected_errors(error_cells_in_file(converted), written) == []


def test_formula_cells_listed() -> None:
    spec = template_spec("gmt", load_policy())
    assert any("SUMIFS" in cell.formula for cell in formula_cells(spec))


@pytest.mark.slow
def test_demo_recalculated_by_libreoffice_equals_its_csv_and_shows_no_error(
    demo, tmp_path: Path
) -> None:
    records = sorted(p for p in demo.files if p.parent.name == "supervision")
    books = [
        demo.folder / "team-caseload-tracker.xlsx",
        demo.folder / "gmt-quarterly-review.xlsx",
        *records[:: max(1, len(records) // 12)],
    ]
    recalculated = recalculate_many(books, tmp_path / "lo")
    for path in recalculated:
        errors = error_cells_in_file(path)
        gaps = [e for e in errors if e[2] == "#N/A" and path.name.startswith("gmt")]
        assert errors == gaps, (path.name, errors[:5])
    with (demo.folder / "workers-result.csv").open(encoding="utf-8") as handle:
        expected = list(csv.reader(handle))
    caseload = calamine.CalamineWorkbook.from_path(str(recalculated[0]))
    rows = caseload.get_sheet_by_name(CASELOAD).to_python()
    assert rows[0][: len(RESULT_COLUMNS)] == expected[0] == RESULT_COLUMNS
    body = [row[: len(RESULT_COLUMNS)] for row in rows[1:] if row[0] not in ("", None)]
    assert len(body) == len(expected) - 1
    wrong = [
        (line[0], name, got, want)
        for line, want_line in zip(body, expected[1:], strict=True)
        for name, got, want in zip(RESULT_COLUMNS, line, want_line, strict=True)
        if not same_value(got, _csv_value(want))
    ]
    assert wrong == []


def _csv_value(text: str) -> object:
    """A CSV field as the model wrote it: a number where it reads as one."""
    try:
        return float(text)
    except ValueError:
        return text
