"""Commands of the `caseload` CLI (see addin/cli/__init__.py): ``template`` and ``demo``."""

from __future__ import annotations

import sys
from pathlib import Path

import click

from addin.cli.options import load_rules, policy_option
from addin.demo.build import build_demo
from addin.macro_workbook import XLWINGS_VBA_VERSION
from addin.messages import fail
from udfs.errors import ExitStatus
from workbook_templates.catalogue import (
    BUILT,
    FILES,
    FUNCTIONS,
    TEMPLATES,
    build_all,
    build_template,
)
from workbook_templates.macro_enabled import XLSM_TEMPLATES, build_macro_template

functions_option = click.option(
    "--functions",
    type=click.Choice(FUNCTIONS),
    default="native",
    show_default=True,
    help="native: ordinary formulas that compute in any Excel 2019+ or LibreOffice, nothing "
    "installed. cw: the add-in's CW_ functions (xlwings users).",
)


@click.command()
@click.argument("name", type=click.Choice((*TEMPLATES, "all")))
@policy_option()
@click.option(
    "-o",
    "--output",
    type=click.Path(path_type=Path),
    default=None,
    help="New .xlsx file (.xlsm with --xlsm). For `all`: the folder (default "
    "workbook_templates/built, the blank templates shipped with the package).",
)
@click.option(
    "--functions",
    type=click.Choice(FUNCTIONS),
    default=None,
    help="native: ordinary formulas that compute in any Excel 2019+ or LibreOffice, nothing "
    "installed (default). cw: the add-in's CW_ functions (xlwings users; the default with "
    "--xlsm).",
)
@click.option(
    "--xlsm",
    is_flag=True,
    help="tracker and supervision: a macro-enabled workbook in the CW_ form carrying xlwings' "
    "standalone VBA project and an xlwings.conf sheet, so Import Functions puts the CW_ "
    "functions into the workbook itself (needs xlwings "
    f"{XLWINGS_VBA_VERSION} on the PC).",
)
def template(
    name: str, policy: str | None, output: Path, functions: str | None, xlsm: bool
) -> None:
    """Write the blank template NAME (tracker, supervision, gmt) for a policy; `all` writes
    the three into a folder."""
    if name == "all":
        _build_all(policy, output, functions, xlsm)
        return
    if output is None:
        fail("-o/--output: the new file to write")
    suffix = ".xlsm" if xlsm else ".xlsx"
    if output.suffix.lower() != suffix:
        fail(f"{output}: the template must be written to an {suffix} file")
    if xlsm and name not in XLSM_TEMPLATES:
        fail(f"--xlsm: only {' and '.join(XLSM_TEMPLATES)} use the CW_ functions")
    if xlsm and functions == "native":
        fail("--xlsm carries the CW_ functions: it cannot be combined with --functions native")
    rules = load_rules(policy)
    if xlsm:
        build_macro_template(name, rules, output)
    else:
        build_template(name, rules, output, functions or "native")
    click.echo(f"wrote {output}", err=True)


def _build_all(policy: str | None, folder: Path | None, functions: str | None, xlsm: bool) -> None:
    if xlsm:
        fail("--xlsm: name the template (tracker or supervision)")
    rules = load_rules(policy)
    folder = BUILT if folder is None else folder
    if folder.exists() and not folder.is_dir():
        fail(f"{folder}: `all` writes {len(FILES)} workbooks into a folder")
    folder.mkdir(parents=True, exist_ok=True)
    for path in build_all(folder, rules, functions or "native"):
        click.echo(f"wrote {path}", err=True)


@click.command()
@policy_option()
@click.option(
    "-o",
    "--output",
    type=click.Path(path_type=Path),
    default=Path("demo-output"),
    show_default=True,
    help="Folder to write the demo into.",
)
@click.option("--seed", default=2024, show_default=True, help="Seed of the synthetic service.")
@functions_option
def demo(policy: str | None, output: Path, seed: int, functions: str) -> None:
    """Build a synthetic service and write its tracker, supervision records, GMT review and
    per-worker result CSV into a folder.

    Native workbooks (the default) compute in Excel 2019+ or LibreOffice with nothing
    installed; --functions cw writes the add-in's CW_ form. Every workbook is recalculated by
    the headless engine (the pure functions' values where the engine is not available); the
    exit status is 1 when a formula cell ended in an error (each is listed on stderr).
    """
    rules = load_rules(policy)
    built = build_demo(output, rules, seed, functions=functions)
    workers = len(built.service.workers)
    cases = len(built.history[-1].cases_rows) - 1
    click.echo(f"demo service: {workers} workers, {cases} cases open in the latest month")
    for path in built.files:
        if path.parent == built.folder:
            click.echo(f"wrote {path}")
    records = [p for p in built.files if p.parent != built.folder]
    if records:
        click.echo(f"wrote {len(records)} supervision records in {records[0].parent}")
    books = sum(1 for p in built.files if p.suffix == ".xlsx")
    if functions == "native":
        click.echo(f"{books} workbooks in native formulas: no add-in needed to open them")
    if built.recalculated_by == "engine":
        found = f"{len(built.errors)} error cell(s)" if built.errors else "no error cells"
        click.echo(f"recalculated {books} workbooks with the headless engine: {found}")
    else:
        click.echo(
            f"headless engine not available: {books} workbooks carry the pure functions' values"
        )
    for problem in built.errors:
        click.echo(f"error: {problem}", err=True)
    if built.errors:
        sys.exit(ExitStatus.PARTIAL)
