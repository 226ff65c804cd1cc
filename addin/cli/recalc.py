"""Commands of the `caseload` CLI (see addin/cli/__init__.py): ``caseload recalc``."""

from __future__ import annotations

import os
import shutil
import sys
from pathlib import Path

import click

from addin.cli.options import policy_option
from addin.messages import fail
from udfs.errors import ExitStatus


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
    help="Replace BOOK itself, after copying it to BOOK.bak.xlsx (BOOK.bak-2.xlsx, ... when "
    "that exists: a backup is never overwritten).",
)
@click.option(
    "--allow-policy-files",
    is_flag=True,
    help='Let formulas name a policy file (=CW_POLICY("council.yaml")). Off by default: a '
    "workbook must not make this machine read its files.",
)
def recalc(
    book: Path, output: Path | None, policy: str | None, in_place: bool, allow_policy_files: bool
) -> None:
    """Calculate every formula of BOOK (Excel's functions and the CW_ functions) and write a copy
    in which each formula keeps its formula and carries its computed value.

    Exit status: 0 no formula ended in an error; 1 some did (each is listed); 2 BOOK cannot be
    used.
    """
    from addin.engine import Workbook, WorkbookUnusable
    from addin.engine.custom import allow_policy_files as allowing
    from addin.engine.custom import default_policy
    from addin.messages import say
    from addin.outputs import OutputError, atomic_output, check_output
    from addin.xlsx.limits import LimitError

    if in_place and output is not None:
        fail("--in-place and -o cannot be used together")
    target = book if in_place else (output or default_output(book))
    policy_files = [Path(policy)] if policy and Path(policy).is_file() else []
    try:
        if in_place:
            check_output(book, policy_files, (".xlsx", ".xlsm"), what="the policy file")
        else:
            check_output(target, [book, *policy_files], (".xlsx", ".xlsm"))
    except OutputError as exc:
        if not in_place and "refusing to write over the input" in str(exc):
            fail(f"{exc} (use --in-place to replace it)")
        fail(str(exc))
    try:
        with default_policy(policy), allowing(allow_policy_files):
            workbook = Workbook.load(book)
            workbook.calculate()
    except WorkbookUnusable as exc:
        cause = exc.__cause__
        fail(str(cause) if isinstance(cause, LimitError) else str(exc))
    except Exception as exc:  # a policy that cannot be read, for one
        fail(f"{book.name}: {str(exc) or type(exc).__name__}")
    try:
        if in_place:
            backup = _new_backup(book)
            with atomic_output(book) as temporary:
                workbook.save_copy(temporary)
                _copy_exclusive(book, backup)
            say(f"backup {backup}")
        else:
            with atomic_output(target) as temporary:
                workbook.save_copy(temporary)
    except OutputError as exc:
        fail(str(exc))
    for problem in workbook.errors:
        say(f"error: {problem}")
    for where in workbook.circular:
        say(f"warning: circular reference at {where}")
    say(f"wrote {target}")
    if workbook.errors:
        say(f"{len(workbook.errors)} formula cell(s) ended in an error")
        sys.exit(ExitStatus.PARTIAL)


def _new_backup(book: Path) -> Path:
    """``BOOK.bak.xlsx`` beside ``book``, or ``BOOK.bak-2.xlsx``, ... : a name not yet taken."""
    suffix = book.suffix or ".xlsx"
    candidate = book.with_name(f"{book.stem}.bak{suffix}")
    number = 2
    while candidate.exists() or candidate.is_symlink():
        candidate = book.with_name(f"{book.stem}.bak-{number}{suffix}")
        number += 1
    return candidate


def _copy_exclusive(source: Path, backup: Path) -> None:
    """Copy ``source`` to ``backup``, a new file (never one that exists); a copy that fails
    part way (disk full) is removed, and the ``OSError`` raised."""
    with open(source, "rb") as reader, open(backup, "xb") as writer:
        try:
            shutil.copyfileobj(reader, writer)
            writer.flush()
            os.fsync(writer.fileno())
        except OSError:
            writer.close()
            backup.unlink(missing_ok=True)
            raise
    shutil.copystat(source, backup)


