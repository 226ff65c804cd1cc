"""``caseload attach``: the weighting put into a manager's own tracker as native formulas."""

from __future__ import annotations

import sys
from datetime import date
from pathlib import Path

import click

from addin.cli import EXIT_REJECTED, fail
from addin.cli_options import policy_option


@click.command("attach")
@click.argument("tracker", type=click.Path(path_type=Path))
@click.option(
    "-o", "--output", type=click.Path(path_type=Path), required=True, help="OUT.xlsx (a new file)."
)
@policy_option()
@click.option(
    "--mapping",
    type=click.Path(path_type=Path),
    default=None,
    help="A mapping file from `caseload map` (default: TRACKER.mapping.yaml when it exists).",
)
@click.option(
    "--as-at",
    type=click.DateTime(formats=["%Y-%m-%d"]),
    default=None,
    help="As-at date for months since asye_start in the model's check (default: today).",
)
def attach_command(
    tracker: Path, output: Path, policy: str | None, mapping: Path | None, as_at
) -> None:
    """Write OUT: TRACKER plus sheets that weigh it with native formulas (no add-in needed).

    The manager's own sheets are copied unchanged; Caseload (the per-worker result), Problems,
    the per-case and per-worker working, Lookups and, if TRACKER has none, Policy are added.
    Rejected rows are reported as `weigh` reports them, with the same exit status.
    """
    from addin.attach import attach
    from addin.outputs import OutputError, check_output
    from addin.returns.mapping import MappingError, load_mapping, mapping_beside
    from addin.xlsx_sheets import PackageError
    from udfs.intake import TrackerUnusable
    from udfs.policy import PolicyError, load_policy

    try:
        rules = load_policy(policy)
        if output.suffix.lower() != ".xlsx":
            raise OutputError(f"{output}: the output must end in .xlsx")
        check_output(output, [tracker])
        rules_mapping = load_mapping(mapping) if mapping else mapping_beside(tracker)
        job = attach(tracker, output, rules, rules_mapping, as_at.date() if as_at else date.today())
    except (PolicyError, OutputError, TrackerUnusable, MappingError, PackageError) as exc:
        fail(str(exc))
        return
    except OSError as exc:
        fail(f"{output}: cannot be written ({exc.strerror or exc})")
        return
    for rejection in job.intake.rejections:
        click.echo(f"rejected: {rejection}", err=True)
    layout = job.layout
    click.echo(
        f"wrote {output}: Caseload and Problems compute on open in Excel 2019+ or LibreOffice; "
        f"room for Workers rows {layout.workers.first_row}-{layout.workers.last_row} and "
        f"Cases rows {layout.cases.first_row}-{layout.cases.last_row}",
        err=True,
    )
    rejected = job.intake.rejected_rows
    if rejected:
        click.echo(f"{rejected} row(s) rejected; their workers are marked incomplete", err=True)
        sys.exit(EXIT_REJECTED)
