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


# --- the VBA module against xlwings' own Import Functions ------------------------------------


class _FakeComponents:
    """``Workbook.VBProject.VBComponents``: records the file Import Functions imports."""

    def __init__(self) -> None:
        self.imported: bytes | None = None

    def __call__(self, name: str) -> str:
        return name  # the existing xlwings_udfs module, which Import Functions removes

    def Remove(self, component) -> None:  # noqa: N802 - the COM method's name
        pass

    def Import(self, path: str) -> None:  # noqa: N802
        self.imported = Path(path).read_bytes()


class _FakeApplication:
    Version = "16.0"

    def __init__(self) -> None:
        self.registered: dict[str, dict] = {}

    def MacroOptions(self, macro: str, **options) -> None:  # noqa: N802
        self.registered[macro] = options


def _xlwings_import_functions(workbook_name: str) -> tuple[str, dict[str, dict]]:
    """Run xlwings' own *Import Functions* (``xlwings.udfs.import_udfs``) on ``udfs.excel``
    against a stand-in workbook: the module text it imports and its MacroOptions calls."""
    import types

    from addin.xlwings_support import _real_decorators

    components, application = _FakeComponents(), _FakeApplication()
    workbook = types.SimpleNamespace(
        Name=workbook_name,
        VBProject=types.SimpleNamespace(VBComponents=components),
        Application=application,
    )
    with _real_decorators() as module:
        from xlwings import udfs as xl_udfs

        saved = xl_udfs.get_udf_module, xl_udfs.__pro__
        xl_udfs.get_udf_module = lambda name, book: module  # it would open the book over COM
        xl_udfs.__pro__ = False
        try:
            xl_udfs.import_udfs("udfs.excel", workbook)
        finally:
            xl_udfs.get_udf_module, xl_udfs.__pro__ = saved
    assert components.imported is not None
    return components.imported.decode("utf-8"), application.registered


_VBA_TOKEN = re.compile(r'"(?:[^"]|"")*"|vbLf|book|Array\(|\)|&|,')


def _vba_arguments(statement: str, workbook_name: str) -> list:
    """The evaluated arguments of a ``Register ...`` statement (literals, ``vbLf``, ``&``,
    ``book`` and ``Array(...)``): what VBA passes to MacroOptions."""
    tokens = _VBA_TOKEN.findall(statement.removeprefix("Register "))
    assert "".join(tokens).replace(" ", "") == statement.removeprefix("Register ").replace(
        " ", ""
    ), statement
    values: list = []
    stack: list[list] = [values]
    current: list[str] = []

    def close_value() -> None:
        if current:
            stack[-1].append("".join(current))
            current.clear()

    for token in tokens:
        if token.startswith('"'):
            current.append(token[1:-1].replace('""', '"'))
        elif token == "vbLf":
            current.append("\n")
        elif token == "book":
            current.append(f"'{workbook_name}'!")
        elif token == "Array(":
            stack.append([])
        elif token == ")":
            close_value()
            array = tuple(stack.pop())
            stack[-1].append(array)
        elif token == ",":
            close_value()
    close_value()
    return values


def _registrations_in(text: str, workbook_name: str) -> dict[str, dict]:
    logical = re.sub(r" _\r\n\s*", " ", text)
    start = logical.index("Public Sub RegisterCaseloadFunctions()")
    body = logical[start : logical.index("End Sub", start)]
    found = {}
    for line in body.split("\r\n"):
        if line.strip().startswith("Register "):
            macro, description, category, arguments = _vba_arguments(line.strip(), workbook_name)
            found[macro] = {
                "Description": description,
                "Category": category,
                "ArgumentDescriptions": list(arguments),
            }
    return found


def test_vba_module_is_what_xlwings_import_functions_writes_with_crlf_endings():
    for workbook_name in ("caseload.xlam", "tracker.xlsm"):
        imported, _ = _xlwings_import_functions(workbook_name)
        ours = vba_module(workbook_name)
        functions_part = imported.replace("\r\n", "\n").replace("\n", "\r\n")
        assert ours.startswith(functions_part)  # header, functions, caller, error handling
        assert ours[len(functions_part) :].startswith("Public Sub RegisterCaseloadFunctions()")
        assert '#Const App = "Microsoft Excel"' in ours.splitlines()[2]
        assert "\n" not in ours.replace("\r\n", "")  # CRLF only, on every OS
        assert "\r" not in ours.replace("\r\n", "")
        ours.encode("cp1252")  # the VBA editor reads a .bas file in the ANSI code page
        wanted = "ActiveWorkbook" if workbook_name.endswith(".xlam") else "ThisWorkbook"
        assert f"{wanted}, Application.Caller)" in ours
        assert "On Error GoTo failed" in ours


def test_vba_functions_are_declared_once_each():
    declared = re.findall(r"^Function (CW_\w+)\(", vba_module(), flags=re.M)
    assert sorted(declared) == sorted(EXCEL_FUNCTIONS)  # a duplicate would not compile


def test_registration_macro_makes_the_macro_options_calls_import_functions_makes():
    imported_text, registered = _xlwings_import_functions("tracker.xlsm")
    ours = _registrations_in(vba_module("tracker.xlsm"), "tracker.xlsm")
    assert set(ours) == {f"'tracker.xlsm'!{name}" for name in EXCEL_FUNCTIONS}
    for macro, options in registered.items():
        assert options["Category"] == CATEGORY == ours[macro]["Category"]
        assert ours[macro]["Description"] == options["Description"]
        assert ours[macro]["ArgumentDescriptions"] == options["ArgumentDescriptions"]
        assert all(0 < len(doc) <= 255 for doc in ours[macro]["ArgumentDescriptions"])


def test_registration_macro_stays_within_vba_limits():
    from addin.vba_registration import Registration, registration_macro

    long = Registration("CW_LONG", "x" * 255 + "\n" + 'say "hi"', CATEGORY, ("d" * 255,) * 8)
    text = registration_macro([long]).replace("\n", "\r\n")
    assert max(len(line) for line in text.split("\r\n")) <= 1023
    assert _registrations_in(text, "a.xlsm")["'a.xlsm'!CW_LONG"]["Description"] == (
        "x" * 255 + "\n" + 'say "hi"'
    )
    statement = text[text.index("Register book") : text.index("End Sub")]
    assert statement.count(" _\r\n") <= 24


def test_cli_addin_vba_writes_crlf_bytes(tmp_path: Path):
    from click.testing import CliRunner

    from addin.cli import main

    out = tmp_path / "xlwings_udfs.bas"
    result = CliRunner().invoke(
        main, ["addin", "vba", "--workbook", "tracker.xlsm", "-o", str(out)]
    )
    assert result.exit_code == 0, result.output
    data = out.read_bytes()
    assert data.startswith(b'Attribute VB_Name = "xlwings_udfs"\r\n')
    assert b"\n" not in data.replace(b"\r\n", b"")
    assert data.decode("cp1252") == vba_module("tracker.xlsm")
