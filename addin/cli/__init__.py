"""The ``caseload`` command line for business support and managers.

Exit status of commands that read trackers: 0 every row read; 1 some rows rejected (results
still written for the rest); 2 the file cannot be used.
"""

from __future__ import annotations

import importlib
import sys
from datetime import date
from pathlib import Path

import click

from addin.cli.options import load_rules, policy_files, policy_option, user_errors
from addin.messages import fail
from udfs.errors import ExitStatus

# Commands import what they need when they run, so that `caseload --help` and light commands
# start fast (pandas, openpyxl and xlwings take ~0.4 s to import).



def _as_at_option(function):
    return click.option(
        "--as-at",
        type=click.DateTime(formats=["%Y-%m-%d"]),
        default=None,
        help="As-at date (YYYY-MM-DD) for months since asye_start. Default: today.",
    )(function)


def exit_if_rejected(rejected: int) -> None:
    """Say how many rows were rejected and end with exit status 1, when there were any (the
    rule of ``weigh`` and of every command that weighs a tracker)."""
    if rejected:
        from addin.messages import say

        say(f"{rejected} row(s) rejected; their workers are marked incomplete")
        sys.exit(ExitStatus.PARTIAL)




# Commands that live in other modules, imported only when they are run, so that one command
# does not pay for every other command's imports. Each carries the one-line summary
# ``caseload --help`` lists, so listing them imports nothing (a test keeps the summaries equal
# to the commands' own help).
LAZY_COMMANDS = {
    "attach": (
        "addin.cli.attach:attach_command",
        "Write OUT: TRACKER plus sheets that weigh it with native formulas (no add-in needed).",
    ),
    "recalc": (
        "addin.cli.recalc:recalc",
        "Calculate every formula of BOOK (Excel's functions and the CW_ functions) and write a "
        "copy in which each formula keeps its formula and carries its computed value.",
    ),
    "template": (
        "addin.cli.templates:template",
        "Write the blank template NAME (tracker, supervision, gmt) for a policy; `all` writes "
        "the three into a folder.",
    ),
    "demo": (
        "addin.cli.templates:demo",
        "Build a synthetic service and write its tracker, supervision records, GMT review and "
        "per-worker result CSV into a folder.",
    ),
    "map": (
        "addin.cli.returns:map_command",
        "Propose TRACKER.mapping.yaml beside TRACKER from its headers and codes (to confirm).",
    ),
    "snapshot": (
        "addin.cli.returns:snapshot_command",
        "Store each worker's figures and status for MONTH (re-running a month replaces it).",
    ),
    "return": (
        "addin.cli.returns:return_group",
        "Statutory returns (DfE children's social work workforce census).",
    ),
    "report": ("addin.cli.returns:report_group", "Reports from the monthly history."),
    "review": (
        "addin.cli.returns:review_group",
        "Review workbooks filled from the monthly history.",
    ),
}


class LazyGroup(click.Group):
    """A click group that imports a command's module when the command is first run."""

    def list_commands(self, ctx: click.Context) -> list[str]:
        return sorted([*super().list_commands(ctx), *LAZY_COMMANDS])

    def get_command(self, ctx: click.Context, name: str) -> click.Command | None:
        if name in LAZY_COMMANDS:
            module_name, attribute = LAZY_COMMANDS[name][0].split(":")
            return getattr(importlib.import_module(module_name), attribute)
        return super().get_command(ctx, name)

    def format_commands(self, ctx: click.Context, formatter: click.HelpFormatter) -> None:
        """The command list of ``--help``, a lazy command by its summary (nothing imported)."""
        rows = []
        for name in self.list_commands(ctx):
            if name in LAZY_COMMANDS:
                command = click.Command(name, help=LAZY_COMMANDS[name][1])
            else:
                command = super().get_command(ctx, name)
            if command is not None and not command.hidden:
                rows.append((name, command))
        if rows:
            limit = formatter.width - 6 - max(len(name) for name, _ in rows)
            with formatter.section("Commands"):
                formatter.write_dl([(n, c.get_short_help_str(limit)) for n, c in rows])


@click.group(cls=LazyGroup, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(package_name="caseload-weighting")
def main() -> None:
    """Caseload weighting for children's social care."""


@main.command()
@click.argument("tracker", type=click.Path(path_type=Path))
@policy_option()
@_as_at_option
@click.option(
    "-o",
    "--output",
    type=click.Path(path_type=Path),
    default=None,
    help="OUT.xlsx or OUT.csv (a new file). Default: CSV on standard output.",
)
def weigh(tracker: Path, policy: str | None, as_at, output: Path | None) -> None:
    """Weigh TRACKER and write the per-worker result (tracker-format.md columns)."""
    from addin.jobs import weigh_tracker
    from addin.messages import say
    from addin.outputs import check_output, write_table

    with user_errors(tracker):
        rules = load_rules(policy)
        if output is not None:
            check_output(output, [tracker, *policy_files(policy)])
        job = weigh_tracker(tracker, rules, as_at.date() if as_at else date.today())
    for rejection in job.intake.rejections:
        say(f"rejected: {rejection}")
    try:
        with user_errors():
            write_table(job.weighing.result, output, sheet="Workers result")
    except OSError as exc:
        fail(f"{output or 'standard output'}: cannot be written ({exc.strerror or exc})")
    if output is not None:
        say(f"wrote {output}")
    exit_if_rejected(job.intake.rejected_rows)


@main.group()
def addin() -> None:
    """What Excel needs: the VBA module, xlwings Lite files, the xlwings config, the function
    reference."""


@addin.command("vba")
@click.option("-o", "--output", type=click.Path(path_type=Path), default=None, help="FILE.bas")
@click.option(
    "--workbook",
    default="caseload.xlam",
    show_default=True,
    help="Name of the workbook the module goes into: an .xlam calls back into the active "
    "workbook, any other (tracker.xlsm) into itself.",
)
def addin_vba(output: Path | None, workbook: str) -> None:
    """Write the VBA module that calls the CW_ functions, as xlwings' Import Functions writes
    it, plus the RegisterCaseloadFunctions macro (help text and category) to run once after
    importing it by hand (File > Import File). CRLF line endings on every OS."""
    from addin.xlwings_support import vba_module

    data = vba_module(workbook).encode("cp1252")  # the VBA editor reads the ANSI code page
    if output is None:
        click.get_binary_stream("stdout").write(data)
        return
    output.write_bytes(data)
    click.echo(f"wrote {output}", err=True)


@addin.command("lite")
@click.option(
    "-o",
    "--output",
    type=click.Path(path_type=Path, file_okay=False),
    required=True,
    help="Folder to write main.py, requirements.txt and the wheel into (created if missing).",
)
@click.option(
    "--wheel-url",
    default=None,
    help="HTTPS address where IT hosts the wheel; written into requirements.txt.",
)
@click.option("--no-wheel", is_flag=True, help="Write main.py and requirements.txt only.")
def addin_lite(output: Path, wheel_url: str | None, no_wheel: bool) -> None:
    """Write the CW_ functions for xlwings Lite (Python inside Excel, nothing installed on the
    PC): main.py and requirements.txt to paste into Lite's editor, and the wheel Lite installs
    (caseload_weighting_lite-VERSION-py3-none-any.whl: udfs only, pure Python)."""
    from addin.lite import write_lite_files

    if wheel_url is not None and not wheel_url.lower().startswith("https://"):
        fail(f"--wheel-url {wheel_url!r}: Lite downloads from inside Excel, over https:// only")
    for path in write_lite_files(output, wheel_url, wheel=not no_wheel):
        click.echo(f"wrote {path}", err=True)


@addin.command("conf")
@click.option("-o", "--output", type=click.Path(path_type=Path), default=None, help="xlwings.conf")
def addin_conf(output: Path | None) -> None:
    """Write the xlwings.conf that names the UDF module (udfs.excel)."""
    from addin.xlwings_support import xlwings_conf

    _write_text(xlwings_conf(), output)


@addin.command("functions")
def addin_functions() -> None:
    """Print the CW_ function reference (Markdown), generated from the docstrings."""
    from addin.xlwings_support import function_reference

    click.echo(function_reference(), nl=False)


def _write_text(text: str, output: Path | None) -> None:
    if output is None:
        click.echo(text, nl=False)
        return
    output.write_text(text, encoding="utf-8")
    click.echo(f"wrote {output}", err=True)


if __name__ == "__main__":
    main()
