"""Many trackers (and Annex A workbooks) read as one service, with a progress bar over files.

One unreadable file is reported and the others are still read. Each file's mapping, when one is
kept beside it (``TRACKER.mapping.yaml``), is applied before the rows are checked. Worker IDs
are one namespace across the batch: a worker ID already read from an earlier file is rejected
in a later one (the first stands, and is marked incomplete); family IDs are kept apart per file.
"""

from __future__ import annotations

import sys
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path

import numpy as np
import pandas as pd
from tqdm import tqdm

from addin.returns.annex_a import is_annex_a, read_annex_a
from addin.returns.mapping import Mapping, MappingError, apply_mapping, mapping_beside
from addin.tracker_io import open_workbook, read_raw_table
from udfs.errors import ExitStatus
from udfs.intake import (
    CASE_FIELDS,
    WORKER_COLUMNS,
    Intake,
    RawTable,
    Rejection,
    TrackerUnusable,
    canonical_header,
    cell_text,
    read_tracker,
)
from udfs.model import Weighing, weigh
from udfs.policy import Policy
from udfs.teams import SERVICE


@dataclass
class Source:
    """One file read: its intake and the extra Workers columns (HR items) it carries;
    ``problems`` (a part of the file that could not be used) make the batch's exit status 1."""

    path: Path
    kind: str
    intake: Intake
    extra: pd.DataFrame
    warnings: list[str] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)


@dataclass
class Batch:
    """Files read into one service: the weighing over all of them and what went wrong."""

    sources: list[Source]
    failures: list[tuple[Path, str]]
    rejections: list[tuple[Path, Rejection]]
    problems: list[str]
    weighing: Weighing
    extra: pd.DataFrame

    @property
    def exit_status(self) -> ExitStatus:
        """OK everything read; PARTIAL a file unusable or some rows rejected."""
        if self.failures or self.rejections or self.problems:
            return ExitStatus.PARTIAL
        return ExitStatus.OK

    def messages(self) -> list[str]:
        """Every failure, rejection and problem as one line each (no names, no birth dates)."""
        lines = [f"unusable: {message}" for _, message in self.failures]
        lines += [f"rejected: {path.name}: {rejection}" for path, rejection in self.rejections]
        lines += [f"problem: {problem}" for problem in self.problems]
        for source in self.sources:
            lines += [f"warning: {source.path.name}: {w}" for w in source.warnings]
        return lines


def _tables(path: Path, mapping: Mapping | None) -> tuple[RawTable, RawTable]:
    book = open_workbook(path)
    sheets = mapping.sheets if mapping else {"Workers": "Workers", "Cases": "Cases"}
    tables = []
    for name in ("Workers", "Cases"):
        raw = read_raw_table(book, sheets.get(name) or name, path, kind=name)
        tables.append(apply_mapping(raw, mapping) if mapping else raw)
    return tables[0], tables[1]


def _workers_only(path: Path) -> RawTable:
    mapping = mapping_beside(path)
    book = open_workbook(path)
    sheet = (mapping.sheets.get("Workers") if mapping else None) or "Workers"
    raw = read_raw_table(book, sheet, path, kind="Workers")
    return apply_mapping(raw, mapping) if mapping else raw


def read_source(path: str | Path, policy: Policy, as_at: date | None = None) -> Source:
    """Read one tracker or Annex A workbook; ``TrackerUnusable`` when it cannot be used."""
    path = Path(path)
    try:
        mapping = mapping_beside(path)
    except MappingError as exc:
        raise TrackerUnusable(str(exc)) from None
    warnings: list[str] = []
    problems: list[str] = []
    if mapping is not None and not mapping.confirmed:
        warnings.append("its mapping is not yet confirmed (set confirmed: true after checking it)")
    book = open_workbook(path)
    if is_annex_a(list(book.sheet_names)):
        workers_file = (mapping.extra.get("workers_file") if mapping else None) or None
        if workers_file is None:
            raise TrackerUnusable(
                f"{path.name}: an Annex A workbook needs workers_file (a tracker or HR workbook "
                "with a Workers sheet) in its mapping file"
            )
        annex = read_annex_a(path, mapping, policy)
        problems += [f"{path.name}: {problem}" for problem in annex.problems]
        if annex.unmapped_teams:
            warnings.append(
                "Annex A team(s) not mapped to a policy team: " + ", ".join(annex.unmapped_teams)
            )
        workers_raw = _workers_only((path.parent / str(workers_file)).resolve())
        cases_raw, kind = annex.cases, "annex_a"
    else:
        workers_raw, cases_raw = _tables(path, mapping)
        kind = "tracker"
    intake = read_tracker(workers_raw, cases_raw, policy, as_at)
    return Source(path, kind, intake, _extra_columns(workers_raw), warnings, problems)


def _extra_columns(raw: RawTable) -> pd.DataFrame:
    """Workers columns beyond the model's, by worker_id (HR items such as SWENo)."""
    frame = raw.frame
    ids = None
    for position, header in enumerate(frame.columns):
        if canonical_header(header) == "worker_id":
            ids = frame.iloc[:, position]
            break
    if ids is None:
        return pd.DataFrame()
    out = frame.copy()
    out.columns = [canonical_header(h) for h in frame.columns]
    out = out.loc[:, ~out.columns.duplicated()]
    out["worker_id"] = ids.map(cell_text).to_numpy()  # the intake's ID rule
    return out


def read_batch(
    files: list[Path], policy: Policy, as_at: date | None = None, progress: bool = True
) -> Batch:
    """Read every file (progress bar on stderr), then weigh them together as one service."""
    sources: list[Source] = []
    failures: list[tuple[Path, str]] = []
    for path in tqdm(files, desc="trackers", unit="file", file=sys.stderr, disable=not progress):
        try:
            sources.append(read_source(path, policy, as_at))
        except TrackerUnusable as exc:
            failures.append((Path(path), str(exc)))
        except Exception as exc:  # noqa: BLE001 - one bad file must not stop the batch
            message = f"{Path(path).name}: cannot be read ({type(exc).__name__})"
            failures.append((Path(path), message))
    return combine(sources, failures, policy)


def combine(sources: list[Source], failures: list[tuple[Path, str]], policy: Policy) -> Batch:
    """Put several sources' clean frames together and weigh them as one service."""
    workers_parts, cases_parts, extra_parts = [], [], []
    problems: list[str] = [problem for source in sources for problem in source.problems]
    owner: dict[str, Path] = {}
    incomplete: set[str] = set()
    rejections = [(s.path, r) for s in sources for r in s.intake.rejections]
    for index, source in enumerate(sources):
        workers = source.intake.workers
        repeated = workers["worker_id"].isin(owner.keys()).to_numpy()
        for worker_id in workers["worker_id"][repeated]:
            problems.append(
                f"{source.path.name}: worker_id {worker_id!r} was already read from "
                f"{owner[worker_id].name}; the first stands and is marked incomplete"
            )
            incomplete.add(worker_id)
        dropped = set(workers["worker_id"][repeated])
        for worker_id in workers["worker_id"][~repeated]:
            owner[worker_id] = source.path
        workers_parts.append(workers[~repeated])
        cases = source.intake.cases
        cases = cases[~cases["worker_id"].isin(dropped)].copy()
        cases["family_id"] = np.where(
            cases["family_id"] != "", f"{index}:" + cases["family_id"].astype(str), ""
        )
        cases["source"] = source.path.name
        cases_parts.append(cases)
        if len(source.extra):
            extra_parts.append(source.extra[~source.extra["worker_id"].isin(dropped)])
    if workers_parts:
        workers = pd.concat(workers_parts, ignore_index=True)
        cases = pd.concat(cases_parts, ignore_index=True)
    else:
        workers = pd.DataFrame(columns=[*WORKER_COLUMNS, "incomplete", "row"]).astype(
            {
                "fte": float,
                "asye_months": float,
                "reduction_pct": float,
                "agency": bool,
                "incomplete": bool,
            }
        )
        cases = pd.DataFrame(columns=[*CASE_FIELDS, "row", "source"]).astype(
            {"level": float, "distance_miles": float, "age": float, "placement_unstable": bool}
        )
    workers["incomplete"] = workers["incomplete"].astype(bool) | workers["worker_id"].isin(
        incomplete
    )
    extra = (
        pd.concat(extra_parts, ignore_index=True).drop_duplicates("worker_id")
        if extra_parts
        else pd.DataFrame({"worker_id": pd.Series(dtype=object)})
    )
    # the teams a rejected row would have counted in; a file that could not be read at all
    # leaves the whole service's figures incomplete
    touched = frozenset().union(*(source.intake.incomplete_teams for source in sources))
    if failures:
        touched |= {SERVICE}
    weighing = weigh(workers, cases, policy, touched)
    return Batch(sources, failures, rejections, problems, weighing, extra)
