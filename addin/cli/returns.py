"""Commands of the `caseload` CLI for business support's returns (docs/returns.md).

``caseload map``, ``caseload snapshot``, ``caseload return census``,
``caseload report quarterly`` and ``caseload review gmt``. Exit status: 0 everything read and
written; 1 a file unusable, rows rejected or the return has errors (the rest still processed);
2 nothing could be done (bad option, no usable file, an output that would overwrite an input).
"""

from __future__ import annotations

import calendar
import sqlite3
import sys
from datetime import date
from pathlib import Path

import click

from addin.cli.options import load_rules, policy_files, policy_option
from addin.messages import fail, say
from addin.outputs import OutputError, atomic_output, check_output, same_file
from addin.returns.batch import Batch, read_batch
from addin.returns.history import DEFAULT_DB, HistoryError, check_database, check_month
from addin.returns.mapping import MappingError
from udfs.errors import ExitStatus
from udfs.intake import TrackerUnusable

db_option = click.option(
    "--db",
    type=click.Path(path_type=Path),
    default=DEFAULT_DB,
    show_default=True,
    help="The monthly history (SQLite).",
)
quiet_option = click.option("--quiet", is_flag=True, help="No progress bar.")




def check_new_output(out: Path, inputs: list[Path], suffixes: tuple[str, ...]) -> None:
    """Refuse (exit 2) an output that is one of the inputs or a mapping beside one (compared
    by device and inode), a symlink, a folder, or of a wrong kind (``addin.outputs``)."""
    guarded = []
    for source in inputs:
        source = Path(source)
        guarded += [source, source.with_name(source.stem + ".mapping.yaml")]
    try:
        check_output(out, guarded, suffixes, what="an input")
    except OutputError as exc:
        fail(str(exc))


def _policy_inputs(db: Path, policy: str | None) -> list[Path]:
    """The inputs of a command reading the history: the database and a policy file."""
    return [db, *policy_files(policy)]


def _check_history(db: Path) -> None:
    """Stop (exit 2) when ``db`` exists but is not a history database."""
    try:
        check_database(db)
    except HistoryError as exc:
        fail(str(exc))


def _report(batch: Batch) -> None:
    for line in batch.messages():
        say(line)
    if not batch.sources:
        fail("no file could be used")


@click.command("map")
@click.argument("tracker", type=click.Path(path_type=Path))
@policy_option()
def map_command(tracker: Path, policy: str | None) -> None:
    """Propose TRACKER.mapping.yaml beside TRACKER from its headers and codes (to confirm)."""
    from addin.returns.annex_a import is_annex_a, propose_annex_a_mapping
    from addin.returns.mapping import mapping_path, propose_mapping, save_mapping
    from addin.tracker_io import open_workbook, sheet_rows

    rules = load_rules(policy)
    out = mapping_path(tracker)
    if out.exists() or out.is_symlink():
        fail(f"{out.name} already exists; it is kept (delete it to propose a new one)")
    try:
        book = open_workbook(tracker)
        if is_annex_a(list(book.sheet_names)):
            mapping = propose_annex_a_mapping(tracker)
            note = (
                "# Annex A mapping proposed by `caseload map`: check every team code (null = "
                "decide),\n# name workers_file (a workbook with a Workers sheet), then set "
                "confirmed: true.\n# workers: may map an Annex A worker name to a worker_id; "
                "unlisted workers are\n# known by a pseudonym made with pseudonym_salt (keep "
                "it unchanged).\n"
            )
        else:
            import pandas as pd

            tables = {}
            for name in book.sheet_names:
                rows = sheet_rows(book, name, tracker, nrows=2001)
                if rows:
                    header = ["" if h is None else str(h) for h in rows[0]]
                    tables[name] = pd.DataFrame(
                        [list(r) for r in rows[1:]], columns=header, dtype=object
                    )
            mapping = propose_mapping(tables, rules)
            note = (
                "# Mapping proposed by `caseload map` from the headers and codes seen: check "
                "it,\n# correct it (null = not read / decide), then set confirmed: true.\n"
            )
    except (TrackerUnusable, MappingError) as exc:
        fail(str(exc))
    except Exception as exc:  # noqa: BLE001 - a reader's error on a damaged file: one line
        fail(f"{tracker.name}: cannot be read ({type(exc).__name__})")
    try:
        save_mapping(mapping, out, note)
    except FileExistsError:
        fail(f"{out.name} already exists; it is kept (delete it to propose a new one)")
    except OSError as exc:
        fail(f"{out}: cannot be written ({exc.strerror or exc})")
    unknown = sum(v is None for table in mapping.values.values() for v in table.values())
    say(f"wrote {out} ({unknown} code(s) left for a person to decide)")
    for where, count in mapping.withheld.items():
        say(
            f"not copied: {count} value(s) in {where} that look like names, dates or free "
            "text (never copied into a mapping); correct them in the tracker"
        )


@click.command("snapshot")
@click.argument("files", nargs=-1, required=True, type=click.Path(path_type=Path))
@click.option("--month", required=True, help="The month, YYYY-MM.")
@db_option
@policy_option()
@quiet_option
@click.option(
    "--allow-partial",
    is_flag=True,
    help="Store the month even if some files could not be read (their teams will be missing).",
)
def snapshot_command(
    files: tuple[Path, ...],
    month: str,
    db: Path,
    policy: str | None,
    quiet: bool,
    allow_partial: bool,
) -> None:
    """Store each worker's figures and status for MONTH (re-running a month replaces it).

    A month is not stored from a batch in which a file could not be read, unless
    --allow-partial: a whole team missing from the history would read as a team with no
    workers, and would replace a complete earlier run of the same month.
    """
    from addin.returns.history import snapshot

    try:
        check_month(month)
    except HistoryError as exc:
        fail(str(exc))
    if any(same_file(db, Path(f)) for f in files) or (
        policy is not None and same_file(db, Path(policy))
    ):
        fail(f"{db}: refusing to use an input as the history database")
    if db.is_symlink() or db.is_dir():
        fail(f"{db}: the history database must be a plain file, not a link or a folder")
    _check_history(db)  # before reading any file: a wrong --db is found at once
    rules = load_rules(policy)
    year, number = int(month[:4]), int(month[5:])
    as_at = date(year, number, calendar.monthrange(year, number)[1])
    batch = read_batch(list(files), rules, as_at, progress=not quiet)
    _report(batch)
    if batch.failures and not allow_partial:
        say(
            f"error: {len(batch.failures)} file(s) could not be read, so {month} is not stored "
            "(fix them, or pass --allow-partial to store what was read)"
        )
        sys.exit(batch.exit_status)
    try:
        stored = snapshot(db, month, batch.weighing, rules, [str(f) for f in files])
    except sqlite3.Error as exc:
        fail(f"{db}: not a history database ({exc})")
    except OSError as exc:
        fail(f"{db}: cannot be written ({exc.strerror or exc})")
    say(f"stored {stored} worker(s) for {month} in {db}")
    sys.exit(batch.exit_status)


@click.group("return")
def return_group() -> None:
    """Statutory returns (DfE children's social work workforce census)."""


@return_group.command("census")
@click.argument("files", nargs=-1, required=True, type=click.Path(path_type=Path))
@click.option(
    "--as-at",
    required=True,
    type=click.DateTime(formats=["%Y-%m-%d"]),
    help="The census date, YYYY-09-30.",
)
@click.option("-o", "--output", required=True, type=click.Path(path_type=Path), help="OUT.xml|csv")
@click.option("--lea", default=None, help="The council's three-digit LA code.")
@policy_option()
@quiet_option
def census_command(
    files: tuple[Path, ...], as_at, output: Path, lea: str | None, policy: str | None, quiet: bool
) -> None:
    """Write the per-worker census items our data holds; list every problem and what HR
    must supply; print the DfE caseload figure."""
    from addin.returns import census

    day = as_at.date()
    if (day.month, day.day) != (9, 30):
        fail(f"--as-at {day.isoformat()}: the census is taken at 30 September")
    check_new_output(output, [*files, *policy_files(policy)], (".xml", ".csv"))
    rules = load_rules(policy)
    batch = read_batch(list(files), rules, day, progress=not quiet)
    _report(batch)
    result = census.build_census(batch.weighing, batch.extra, day, lea)
    problems = census.validate(result)
    for problem in problems:
        say(problem)
    missing = [p for p in problems if p.kind == "missing"]
    if missing:
        say(f"{len(missing)} item(s) missing (HR must supply them; left absent)")
    click.echo(census.caseload_line(census.dfe_caseload(result)))
    try:
        if output.suffix.lower() == ".xml":
            census.write_xml(result, output)
        else:
            census.write_csv(result, output)
    except census.CensusError as exc:
        fail(str(exc).splitlines()[0], ExitStatus.PARTIAL)
    except OutputError as exc:
        fail(str(exc))
    say(f"wrote {output} ({len(result.workers)} worker(s))")
    sys.exit(batch.exit_status)


@click.group("report")
def report_group() -> None:
    """Reports from the monthly history."""


@report_group.command("quarterly")
@click.option("--quarter", required=True, help="The quarter, YYYYQn (calendar quarters).")
@click.option(
    "-o", "--output", required=True, type=click.Path(path_type=Path), help="OUT.xlsx or OUT.csv"
)
@db_option
@policy_option()
def quarterly_command(quarter: str, output: Path, db: Path, policy: str | None) -> None:
    """Per team and service figures for the quarter (xlsx with charts, plus a CSV beside it)."""
    from addin.returns.quarterly import (
        quarter_figures,
        quarter_trend,
        write_report_csv,
        write_report_xlsx,
    )

    inputs = _policy_inputs(db, policy)
    check_new_output(output, inputs, (".xlsx", ".csv"))
    csv_out = output.with_suffix(".csv")
    check_new_output(csv_out, inputs, (".csv",))  # written beside an xlsx: guarded the same
    if not db.exists():
        fail(f"{db}: no history database (run caseload snapshot first)")
    _check_history(db)
    rules = load_rules(policy)
    try:
        month, table = quarter_figures(db, quarter, rules)
        trend = quarter_trend(db, quarter)
    except HistoryError as exc:
        fail(str(exc))
    except sqlite3.Error as exc:
        fail(f"{db}: not a history database ({exc})")
    try:
        if output.suffix.lower() == ".xlsx":
            write_report_xlsx(table, trend, output, quarter)
            say(f"wrote {output}")
        write_report_csv(table, csv_out)
    except OutputError as exc:
        fail(str(exc))
    say(f"wrote {csv_out} (as at {month})")


@click.group("review")
def review_group() -> None:
    """Review workbooks filled from the monthly history."""


@review_group.command("gmt")
@click.option("--quarter", required=True, help="The quarter, YYYYQn (calendar quarters).")
@click.option("-o", "--output", required=True, type=click.Path(path_type=Path), help="OUT.xlsx")
@db_option
@policy_option()
def gmt_review_command(quarter: str, output: Path, db: Path, policy: str | None) -> None:
    """Fill the GMT quarterly review template with each month of the quarter from the history
    (a month not in the history is shown as not available)."""
    from addin.returns.gmt_review import write_gmt_review

    check_new_output(output, _policy_inputs(db, policy), (".xlsx",))
    if not db.exists():
        fail(f"{db}: no history database (run caseload snapshot first)")
    rules = load_rules(policy)
    try:
        with atomic_output(output) as temporary:
            figures, _ = write_gmt_review(db, quarter, rules, temporary)
    except OutputError as exc:
        fail(str(exc))
    except HistoryError as exc:
        fail(str(exc))
    except sqlite3.DatabaseError as exc:
        fail(f"{db}: not a history database ({exc})")
    shown = ", ".join(figures.stored)
    say(f"wrote {output} (months: {shown})")
    for month in figures.missing:
        say(f"{month}: no snapshot in the history; shown as not available")
