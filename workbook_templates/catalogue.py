"""The templates by name: one blank template (``build_template``) or all of them
(``build_all``, what ``caseload template all`` writes and ``workbook_templates/built`` holds).

``functions`` picks the form of the model in a workbook: ``native`` (the default: ordinary
formulas, computed by Excel or LibreOffice on open, nothing installed) or ``cw`` (the add-in's
``CW_`` functions, for xlwings users).
"""

from __future__ import annotations

from pathlib import Path

from udfs.policy import Policy
from workbook_templates.builder import save_workbook
from workbook_templates.gmt import gmt_spec
from workbook_templates.spec import WorkbookSpec
from workbook_templates.supervision import supervision_spec
from workbook_templates.tracker import tracker_spec

TEMPLATES = ("tracker", "supervision", "gmt")
FUNCTIONS = ("native", "cw")
FILES = {
    "tracker": "team-caseload-tracker.xlsx",
    "supervision": "supervision-record.xlsx",
    "gmt": "gmt-quarterly-review.xlsx",
}
BUILT = Path(__file__).parent / "built"


def template_spec(name: str, policy: Policy, functions: str = "native") -> WorkbookSpec:
    """The blank template called ``name`` (tracker, supervision, gmt) for ``policy``, in the
    form ``functions`` (native or cw; the GMT review is native in both)."""
    if name == "tracker":
        return tracker_spec(policy, functions=functions)
    if name == "supervision":
        return supervision_spec(policy, functions=functions)
    if name == "gmt":
        return gmt_spec(policy)
    raise ValueError(f"unknown template {name!r}: expected one of {', '.join(TEMPLATES)}")


def build_template(name: str, policy: Policy, path: str | Path, functions: str = "native") -> Path:
    """Write the blank template ``name`` to ``path``; returns the path."""
    save_workbook(template_spec(name, policy, functions), path)
    return Path(path)


def build_all(folder: Path, policy: Policy, functions: str = "native") -> list[Path]:
    """Write every blank template for ``policy`` into ``folder`` (the names in ``FILES``)."""
    return [
        build_template(name, policy, folder / file, functions) for name, file in FILES.items()
    ]
