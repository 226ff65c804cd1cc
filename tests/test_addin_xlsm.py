"""The macro-enabled tracker and supervision record: the package is parsed part by part."""

from __future__ import annotations

import re
import zipfile
from pathlib import Path

import pytest
from click.testing import CliRunner
from openpyxl import load_workbook

from addin.cli import main
from addin.macro_workbook import (
    MACRO_WORKBOOK_TYPE,
    VBA_PROJECT_TYPE,
    VBA_RELATIONSHIP,
    XLWINGS_VBA_VERSION,
    xlwings_vba_project,
)

VBA_DIR = Path(__file__).parents[1] / "addin" / "vba"


def _content_types(package: zipfile.ZipFile) -> tuple[dict[str, str], dict[str, str]]:
    xml = package.read("[Content_Types].xml").decode("utf-8")
    defaults = dict(re.findall(r'<Default Extension="([^"]+)" ContentType="([^"]+)"', xml))
    overrides = dict(re.findall(r'<Override PartName="([^"]+)" ContentType="([^"]+)"', xml))
    return defaults, overrides


@pytest.mark.parametrize("name", ["tracker", "supervision"])
def test_xlsm_template_carries_xlwings_standalone_vba_project(tmp_path: Path, name: str):
    out = tmp_path / f"{name}.xlsm"
    result = CliRunner().invoke(main, ["template", name, "--xlsm", "-o", str(out)])
    assert result.exit_code == 0, result.output
    with zipfile.ZipFile(out) as package:
        assert package.testzip() is None
        defaults, overrides = _content_types(package)
        assert overrides["/xl/workbook.xml"] == MACRO_WORKBOOK_TYPE
        assert defaults["bin"] == VBA_PROJECT_TYPE
        rels = package.read("xl/_rels/workbook.xml.rels").decode("utf-8")
        vba = re.findall(rf'<Relationship\b[^>]*Type="{re.escape(VBA_RELATIONSHIP)}"[^>]*>', rels)
        assert len(vba) == 1 and 'Target="vbaProject.bin"' in vba[0]
        ids = re.findall(r'\bId="([^"]+)"', rels)
        assert len(ids) == len(set(ids))
        assert package.read("xl/vbaProject.bin") == (VBA_DIR / "vbaProject.bin").read_bytes()
        workbook = package.read("xl/workbook.xml").decode("utf-8")
        assert re.search(r'<workbookPr\b[^>]*codeName="ThisWorkbook"', workbook)
        for part in (n for n in package.namelist() if n.startswith("xl/worksheets/sheet")):
            xml = package.read(part).decode("utf-8")
            assert re.search(r'<worksheet\b[^>]*><sheetPr\b[^>]*codeName="Sheet\d+"', xml), part
    book = load_workbook(out, keep_vba=True)
    conf = book["xlwings.conf"]
    assert (conf["A1"].value.upper(), conf["B1"].value) == ("UDF MODULES", "udfs.excel")
    formulas = [
        c.value
        for ws in book.worksheets
        for row in ws.iter_rows()
        for c in row
        if isinstance(c.value, str) and "CW_" in c.value
    ]
    assert formulas  # the CW_ form: the functions Import Functions brings into this workbook


def test_vba_project_is_xlwings_own_with_its_licence():
    import xlwings

    licence = (VBA_DIR / "LICENSE-xlwings.txt").read_text(encoding="utf-8")
    assert "BSD 3-clause" in licence and "Zoomer Analytics" in licence
    assert "Redistributions in binary form must reproduce" in licence
    if xlwings.__version__ != XLWINGS_VBA_VERSION:
        pytest.skip(
            f"xlwings {xlwings.__version__} installed; the project is {XLWINGS_VBA_VERSION}'s"
        )
    shipped = Path(xlwings.__file__).parent / "quickstart_standalone.xlsm"
    with zipfile.ZipFile(shipped) as package:
        assert package.read("xl/vbaProject.bin") == xlwings_vba_project()


def test_xlsm_is_refused_where_it_does_not_apply(tmp_path: Path):
    runner = CliRunner()
    wrong_suffix = runner.invoke(
        main, ["template", "tracker", "--xlsm", "-o", str(tmp_path / "t.xlsx")]
    )
    assert wrong_suffix.exit_code == 2 and ".xlsm" in wrong_suffix.output
    gmt = runner.invoke(main, ["template", "gmt", "--xlsm", "-o", str(tmp_path / "g.xlsm")])
    assert gmt.exit_code == 2
    native = runner.invoke(
        main,
        ["template", "tracker", "--xlsm", "--functions", "native", "-o", str(tmp_path / "n.xlsm")],
    )
    assert native.exit_code == 2
    assert not list(tmp_path.iterdir())
