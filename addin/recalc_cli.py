"""Commands of the `caseload` CLI (see addin/cli.py): ``caseload recalc``."""

from __future__ import annotations

import shutil
import sys
from pathlib import Path

import click

from addin.cli_options import policy_option

EXIT_OK, EXIT_FORMULA_ERRORS, EXIT_UNUSABLE = 0, 1, 2


def default_output(book: Path) -> Path:
    """``BOOK-recalculated.xlsx`` beside ``book``."""
    return book.with_name(f"{book.stem}-recalculated{book.suffix or '.xlsx'}")


@click.command("recalc")
@click.argument("book", type=click.Path(path_type=Path))
@click.option(
    "-o",
    "--output",
    type=click.Path(path_type=Path),
    default=None,
    help="OUT.xlsx (never the input). Default: BOOK-recalculated.xlsx beside BOOK.",
)
@policy_option(
    "Policy for CW_ functions whose policy argument is blank (preset name or YAML file). "
    "Default: gateshead."
)
@click.option(
    "--in-place",
    is_flag=True,
    help="Replace BOOK itself, after copying it to BOOK.bak.xlsx.",
)
def recalc(book: Path, output: Path | None, policy: str | None, in_place: bool) -> None:
    """Calculate every formula of BOOK (Excel's functions and the CW_ functions) and write a copy
    in which each formula keeps its formula and carries its computed value.

    Exit status: 0 no formula ended in an error; 1 some did (each is listed); 2 BOOK cannot be
    used.
    """
    from addin.engine import Workbook, WorkbookUnusable
    from addin.engine.custom import default_policy

    if in_place and output is not None:
        _fail("--in-place and -o cannot be used together")
    target = book if in_place else (output or default_output(book))
    if not in_place and target.exists() and book.exists() and target.resolve() == book.resolve():
        _fail("the output must not be the input (use --in-place to replace it)")
    try:
        with default_policy(policy):
            workbook = Workbook.load(book)
            workbook.calculate()
    except WorkbookUnusable as exc:
        _fail(str(exc))
        return
    except Exception as exc:  # a policy that cannot be read, for one
        _fail(f"{book}: {exc}")
        return
    if in_place:
        backup = book.with_name(f"{book.stem}.bak{book.suffix}")
        shutil.copy2(book, backup)
        click.echo(f"backup {backup}", err=True)
        temporary = book.with_name(f"{book.stem}.recalc-tmp{book.suffix}")
        workbook.save_copy(temporary)
        temporary.replace(book)
    else:
        workbook.save_copy(target)
    for problem in workbook.errors:
        click.echo(f"error: {problem}", err=True)
    for where in workbook.circular:
        click.echo(f"warning: circular reference at {where}", err=True)
    click.echo(f"wrote {target}", err=True)
    if workbook.errors:
        click.echo(f"{len(workbook.errors)} formula cell(s) ended in an error", err=True)
        sys.exit(EXIT_FORMULA_ERRORS)


def _fail(message: str) -> None:
    click.echo(f"error: {message}", err=True)
    sys.exit(EXIT_UNUSABLE)
