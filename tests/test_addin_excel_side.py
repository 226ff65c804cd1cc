"""What Excel needs: the VBA wrapper (via xlwings' internal generator, pinned here), the
xlwings config, the help text, and the README's function reference kept current."""

from __future__ import annotations

import re
from pathlib import Path

from addin.xlwings_support import function_metadata, function_reference, vba_module, xlwings_conf
from udfs.excel import CATEGORY, EXCEL_FUNCTIONS

README = Path(__file__).parents[1] / "README.md"


def test_vba_module_declares_every_cw_function_with_its_arguments():
    text = vba_module("caseload.xlam")
    assert text.startswith('Attribute VB_Name = "xlwings_udfs"')
    declared = set(re.findall(r"^Function (CW_\w+)\(", text, flags=re.M))
    assert declared == set(EXCEL_FUNCTIONS)
    assert (
        "Function CW_WORKERS(workers, cases, Optional policy, Optional as_at, Optional header)"
        in text
    )
    assert 'XLPy.CallUDF("udfs.excel", "CW_WORKERS"' in text
    assert "ActiveWorkbook" in text  # an add-in calls back into the workbook that uses it


def test_every_function_has_help_text_a_category_and_documented_arguments():
    metadata = function_metadata()
    assert {m["name"] for m in metadata} == set(EXCEL_FUNCTIONS)
    for meta in metadata:
        assert meta["category"] == CATEGORY
        assert len(meta["doc"].splitlines()[0]) <= 255  # Excel's description limit
        for name, doc, _ in meta["args"]:
            assert not doc.startswith("Positional argument"), (meta["name"], name)


def test_the_plain_functions_are_still_plain_after_generating():
    vba_module()
    from udfs import excel

    assert excel.CW_RANGE("AI") == [[16.0, 18.0]]


def test_xlwings_conf_names_the_udf_module():
    assert '"UDF MODULES","udfs.excel"' in xlwings_conf()


def test_readme_function_reference_is_current():
    text = README.read_text(encoding="utf-8")
    start = text.index("<!-- functions:start -->") + len("<!-- functions:start -->\n")
    end = text.index("<!-- functions:end -->")
    assert text[start:end] == function_reference(), (
        "README function reference is stale: run `caseload addin functions` and paste it"
    )


def test_return_converter_turns_cell_errors_and_nan_into_excel_cells():
    from udfs.errors import CellError
    from udfs.excel import ExcelValues

    cells = ExcelValues.write_value([[CellError("row 1: bad"), float("nan"), 1.5, "over"]], {})
    assert cells == [["#VALUE!", "", 1.5, "over"]]  # on Windows the first is a VT_ERROR variant
