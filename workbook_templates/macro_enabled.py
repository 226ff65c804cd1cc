"""Macro-enabled templates (.xlsm) for the xlwings route: the CW_ form of the tracker or the
supervision record, with xlwings' standalone VBA project and an ``xlwings.conf`` sheet.

*Import Functions* (the xlwings ribbon, or the ``ImportPythonUDFs`` macro when the xlwings
add-in is not installed) then writes the ``CW_`` module into the workbook itself, where its
formulas are; ``caseload addin vba --workbook NAME.xlsm`` writes the same module for a hand
import.
"""

from __future__ import annotations

import csv
import tempfile
from importlib import resources
from pathlib import Path

from addin.macro_workbook import make_macro_enabled
from udfs.policy import Policy
from workbook_templates.builder import save_workbook
from workbook_templates.catalogue import template_spec
from workbook_templates.spec import Sheet

XLSM_TEMPLATES = ("tracker", "supervision")
CONF_SHEET = "xlwings.conf"


def xlwings_settings() -> list[tuple[str, str]]:
    """The settings of ``addin/xlwings.conf`` (UDF modules ``udfs.excel``...) as key/value
    pairs, the layout of xlwings' ``xlwings.conf`` sheet (keys in A from A1, values in B)."""
    text = resources.files("addin").joinpath("xlwings.conf").read_text(encoding="utf-8")
    return [(row[0], row[1]) for row in csv.reader(text.splitlines()) if len(row) >= 2]


def xlwings_conf_sheet() -> Sheet:
    """The ``xlwings.conf`` sheet: xlwings reads it before any other configuration."""
    sheet = Sheet(CONF_SHEET)
    for row, (key, value) in enumerate(xlwings_settings(), start=1):
        sheet.put(f"A{row}", key)
        sheet.put(f"B{row}", value)
    sheet.widths.update({"A": 18, "B": 18})
    return sheet


def build_macro_template(name: str, policy: Policy, path: str | Path) -> Path:
    """Write the CW_ form of template ``name`` (tracker, supervision) as a macro-enabled
    workbook at ``path`` (.xlsm) carrying xlwings' standalone VBA project."""
    if name not in XLSM_TEMPLATES:
        raise ValueError(f"{name}: only {' and '.join(XLSM_TEMPLATES)} come as .xlsm")
    spec = template_spec(name, policy, "cw")
    spec.sheets.append(xlwings_conf_sheet())
    path = Path(path)
    with tempfile.TemporaryDirectory(prefix="caseload-xlsm-") as scratch:
        base = Path(scratch) / "base.xlsx"
        save_workbook(spec, base)
        make_macro_enabled(base, path)
    return path
