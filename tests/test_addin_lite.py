"""The CW_ functions for xlwings Lite: main.py checked with xlwings' own Office.js metadata
generator and called as Office.js calls it, on the sample tracker; the wheel Lite installs."""

from __future__ import annotations

import ast
import asyncio
import importlib.util
import inspect
import json
import subprocess
import sys
import zipfile
from datetime import date, datetime, timedelta
from pathlib import Path

import pytest
from click.testing import CliRunner
from golden_cases import load_golden
from openpyxl import load_workbook

from addin.cli import main
from addin.lite import lite_main_py, write_lite_files
from udfs.errors import CellError
from udfs.functions import EXCEL_FUNCTIONS
from udfs.intake import RawTable, read_tracker
from udfs.model import RESULT_COLUMNS, weigh
from udfs.policy import load_policy

SAMPLE = Path(__file__).parents[1] / "samples" / "sample-tracker.xlsx"
EXCEL_EPOCH = datetime(1899, 12, 30)
AS_AT = 45930.0  # 30 September 2025, as Office.js passes a date: a serial number
RESULT_STATUS = RESULT_COLUMNS.index("status")


@pytest.fixture(scope="module")
def lite(tmp_path_factory: pytest.TempPathFactory):
    """xlwings.server (Lite's decorators and Office.js glue) and main.py imported under it."""
    mp = pytest.MonkeyPatch()
    mp.setenv("XLWINGS_LICENSE_KEY", "noncommercial")
    import xlwings

    server = pytest.importorskip("xlwings.server")
    mp.setattr(xlwings, "func", server.func)  # what `from xlwings import func` is in Lite
    mp.setattr(xlwings, "arg", server.arg)
    folder = tmp_path_factory.mktemp("lite")
    write_lite_files(folder, wheel=False)
    spec = importlib.util.spec_from_file_location("caseload_lite_main", folder / "main.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    yield server, module
    mp.undo()


def _office_js(value):
    """A cell as Office.js passes it to a custom function: blanks as "", dates as serials."""
    if value is None:
        return ""
    if isinstance(value, datetime):
        return (value - EXCEL_EPOCH).total_seconds() / 86400
    if isinstance(value, date):
        return float((value - EXCEL_EPOCH.date()).days)
    return value


def _sheet(name: str) -> tuple[list[list], list[list]]:
    """The sample tracker's sheet ``name`` as Office.js passes it and as desktop xlwings does."""
    rows = [list(r) for r in load_workbook(SAMPLE)[name].iter_rows(values_only=True)]
    return [[_office_js(v) for v in row] for row in rows], rows


def _call(lite, name: str, *args) -> list[list]:
    """Call ``name`` as xlwings Lite does for Office.js (omitted arguments are null)."""
    import xlwings

    server, module = lite
    data = {
        "func_name": name,
        "args": list(args),
        "version": xlwings.__version__,
        "client": "Office.js",
        "runtime": "1.4",
        "culture_info_name": "en-GB",
        "date_format": "dd/mm/yyyy",
    }
    return asyncio.run(server.custom_functions_call(data, module))


def _as_office_js_result(rows: list[list]) -> list[list]:
    """The desktop function's result as Office.js receives it from Lite: an error value as an
    Excel error, a blank as an empty cell."""

    def cell(value):
        if isinstance(value, CellError):
            return {"type": "Error", "errorType": "Value"}
        return "" if value is None else value

    return [[cell(v) for v in row] for row in rows]


def test_metadata_from_xlwings_generator_matches_every_function(lite):
    server, module = lite
    meta = server.custom_functions_meta(module)
    json.dumps(meta)  # what the Lite add-in sends to Excel
    functions = {f["id"]: f for f in meta["functions"]}
    assert set(functions) == set(EXCEL_FUNCTIONS)
    for name, fn in EXCEL_FUNCTIONS.items():
        found = functions[name]
        assert found["name"] == name
        assert found["description"] == fn.__doc__  # the help text, character for character
        params = inspect.signature(fn).parameters
        assert [p["name"] for p in found["parameters"]] == list(params)
        docs = {a.name: a.doc for a in fn.arguments}
        for param in found["parameters"]:
            assert param["description"] == docs[param["name"]]
            optional = params[param["name"]].default is not inspect.Parameter.empty
            assert param.get("optional", False) == optional, (name, param["name"])
            assert param["dimensionality"] == "matrix" and param["type"] == "any"
        assert found["result"] == {"dimensionality": "matrix", "type": "any"}


def test_whole_table_functions_on_the_sample_tracker_equal_the_desktop_results(lite):
    workers_js, workers = _sheet("Workers")
    cases_js, cases = _sheet("Cases")
    as_at = (EXCEL_EPOCH + timedelta(days=AS_AT)).date()
    for name in ("CW_WORKERS", "CW_TEAMS", "CW_REJECTIONS"):
        desktop = EXCEL_FUNCTIONS[name](workers, cases, "walsall", as_at)
        got = _call(lite, name, workers_js, cases_js, [["walsall"]], [[AS_AT]])
        assert got == _as_office_js_result(desktop), name
    rejections = _call(lite, "CW_REJECTIONS", workers_js, cases_js, None, None)
    assert rejections == _as_office_js_result(EXCEL_FUNCTIONS["CW_REJECTIONS"](workers, cases))
    assert ["Workers", 5, "fte", "1.5", "FTE 1.5 is outside (0, 1]"] in rejections  # a bad row
    statuses = {row[RESULT_STATUS] for row in _call(lite, "CW_WORKERS", workers_js, cases_js)}
    assert "incomplete" in statuses and "over" in statuses


def test_column_functions_with_errors_and_defaults_equal_the_desktop_results(lite):
    cases_js, cases = _sheet("Cases")
    header = cases[0]

    def column(rows, field):
        return [[row[header.index(field)]] for row in rows[1:]]

    fields = ("category", "level", "status", "distance_miles", "placement_unstable",
              "worker_id", "family_id")  # fmt: skip
    desktop = EXCEL_FUNCTIONS["CW_CASE_WEIGHT"](*(column(cases, f) for f in fields))
    got = _call(lite, "CW_CASE_WEIGHT", *(column(cases_js, f) for f in fields), None)
    assert got == _as_office_js_result(desktop)
    assert {"type": "Error", "errorType": "Value"} in [row[0] for row in got]  # the bad row

    teams = [["AI"], ["NOPE"], [""], ["LC"]]
    desktop = EXCEL_FUNCTIONS["CW_RANGE"]([["AI"], ["NOPE"], [None], ["LC"]])
    assert _call(lite, "CW_RANGE", teams, None, None, None) == _as_office_js_result(desktop)
    assert _call(lite, "CW_RANGE", [["AI"]], [["max"]], None, [["walsall"]]) == [
        EXCEL_FUNCTIONS["CW_RANGE"]("AI", "max", False, "walsall")[0]
    ]
    policy = EXCEL_FUNCTIONS["CW_POLICY"]("walsall")
    assert _call(lite, "CW_POLICY", [["walsall"]]) == _as_office_js_result(policy)
    # a policy passed as a two-column range, as Office.js passes it
    edited = [["key", "value"], ["preset", "walsall"], ["teams.AI.max", 20]]
    assert _call(lite, "CW_RANGE", [["AI"]], [["max"]], None, edited) == [[20.0]]


def test_main_py_imports_only_xlwings_and_udfs():
    tree = ast.parse(lite_main_py())
    imported = {
        node.module.split(".")[0] if isinstance(node, ast.ImportFrom) else alias.name
        for node in tree.body
        if isinstance(node, ast.Import | ast.ImportFrom)
        for alias in node.names
    }
    assert imported == {"xlwings", "udfs"}


def test_wheel_imports_nothing_beyond_numpy_pandas_pyyaml_pydantic(tmp_path: Path):
    paths = write_lite_files(tmp_path)
    wheel = next(p for p in paths if p.suffix == ".whl")
    with zipfile.ZipFile(wheel) as archive:
        names = archive.namelist()
        metadata = archive.read(next(n for n in names if n.endswith("METADATA"))).decode()
        archive.extractall(tmp_path / "site")
    assert "udfs/excel.py" not in names and "udfs/presets/gateshead.yaml" in names
    assert sorted(line for line in metadata.splitlines() if line.startswith("Requires-Dist")) == [
        "Requires-Dist: PyYAML", "Requires-Dist: numpy", "Requires-Dist: pandas",
        "Requires-Dist: pydantic",
    ]  # fmt: skip
    script = (
        "import sys\n"
        "before = set(sys.modules)\n"
        "import udfs.functions, udfs.lite\n"
        "new = sorted({m.split('.')[0] for m in set(sys.modules) - before})\n"
        "print(udfs.functions.__file__)\n"
        "print(' '.join(new))\n"
        "print(udfs.functions.CW_RANGE('AI', policy='walsall'))\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", script],
        cwd=tmp_path,
        env={"PYTHONPATH": str(tmp_path / "site"), "PATH": "/usr/bin:/bin"},
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 0, done.stderr
    where, modules, result = done.stdout.splitlines()
    assert where.startswith(str(tmp_path / "site"))  # the wheel's udfs, not the repository's
    third_party = (
        {m for m in modules.split() if not m.startswith("_") and m != "cython_runtime"}
        - set(sys.stdlib_module_names)
        - {"udfs"}
    )  # private names: compiled-extension helpers
    allowed = {"numpy", "pandas", "yaml", "_yaml", "pydantic", "pydantic_core",
               "annotated_types", "typing_extensions", "typing_inspection", "dateutil", "pytz",
               "tzdata", "six"}  # fmt: skip
    assert third_party <= allowed, third_party - allowed
    assert not {"python_calamine", "click", "xlwings", "openpyxl", "addin"} & third_party
    assert result == str(EXCEL_FUNCTIONS["CW_RANGE"]("AI", policy="walsall"))


def test_cli_addin_lite_writes_main_requirements_and_wheel(tmp_path: Path):
    url = "https://intranet.example.gov.uk/py/caseload_weighting_lite-0.1.0-py3-none-any.whl"
    result = CliRunner().invoke(main, ["addin", "lite", "-o", str(tmp_path), "--wheel-url", url])
    assert result.exit_code == 0, result.output
    assert (tmp_path / "main.py").read_text(encoding="utf-8") == lite_main_py()
    requirements = (tmp_path / "requirements.txt").read_text(encoding="utf-8").splitlines()
    assert {"xlwings", "numpy", "pandas", "pyyaml", "pydantic", url} <= set(requirements)
    assert list(tmp_path.glob("caseload_weighting_lite-*-py3-none-any.whl"))


def test_cli_addin_lite_refuses_a_wheel_url_that_is_not_https(tmp_path: Path):
    result = CliRunner().invoke(
        main, ["addin", "lite", "-o", str(tmp_path / "lite"), "--wheel-url", "http://x/a.whl"]
    )
    assert result.exit_code == 2
    assert not (tmp_path / "lite").exists()


def test_every_golden_case_through_the_lite_functions_equals_the_model(lite):
    """The golden cases through a fifth front end: CW_WORKERS as xlwings Lite calls it, with the
    tables as Office.js passes them (blanks as "", dates as serial numbers)."""
    as_at = (EXCEL_EPOCH + timedelta(days=AS_AT)).date()
    for case in load_golden():
        workers_js = [[_office_js(v) for v in row] for row in case.workers]
        cases_js = [[_office_js(v) for v in row] for row in case.cases]
        got = _call(lite, "CW_WORKERS", workers_js, cases_js, [[case.policy]], [[AS_AT]])
        policy = load_policy(case.policy)
        intake = read_tracker(
            RawTable.from_rows("Workers", case.workers),
            RawTable.from_rows("Cases", case.cases),
            policy,
            as_at,
        )
        model = weigh(intake.workers, intake.cases, policy).result
        assert got[0] == RESULT_COLUMNS, case.name
        expected = model.astype(object).where(model.notna(), "").values.tolist()
        assert len(got) - 1 == len(expected), case.name
        for row, want in zip(got[1:], expected, strict=True):
            for column, value, wanted in zip(RESULT_COLUMNS, row, want, strict=True):
                if isinstance(wanted, float):
                    assert value == pytest.approx(wanted), (case.name, column)
                else:
                    assert value == wanted, (case.name, column)
