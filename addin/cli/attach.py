"""``caseload attach``: the weighting put into a manager's own tracker as native formulas."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import click

from addin.cli import exit_if_rejected
from addin.cli.options import load_rules, policy_files, policy_option, user_errors


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
    from addin.messages import say
    from addin.outputs import atomic_output, check_output
    from addin.returns.mapping import load_mapping, mapping_beside

    inputs = [tracker, *([mapping] if mapping else []), *policy_files(policy)]
    with user_errors(tracker):
        rules = load_rules(policy)
        check_output(output, inputs, (".xlsx",))
        rules_mapping = load_mapping(mapping) if mapping else mapping_beside(tracker)
        with atomic_output(output) as temporary:
            job = attach(
                tracker, temporary, rules, rules_mapping, as_at.date() if as_at else date.today()
            )
    for rejection in job.intake.rejections:
        say(f"rejected: {rejection}")
    layout = job.layout
    say(
        f"wrote {output}: Caseload and Problems compute on open in Excel 2019+ or LibreOffice; "
        f"room for Workers rows {layout.workers.first_row}-{layout.workers.last_row} and "
        f"Cases rows {layout.cases.first_row}-{layout.cases.last_row}"
    )
    exit_if_rejected(job.intake.rejected_rows)
