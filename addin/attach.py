"""``caseload attach``: the weighting put into a manager's own tracker as native formulas.

The output is the manager's workbook, every part of it as it was, plus the sheets of
``udfs.native`` (and a ``Policy`` sheet when the tracker has none), whose formulas point at the
manager's own Workers and Cases cells. The model also runs on the tracker: its rejections are
reported as ``weigh`` reports them, and its per-worker figures are written as the cached values
of the ``Caseload`` sheet, so the book shows numbers before any recalculation.
"""

from __future__ import annotations

import tempfile
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Any

from addin.tracker_io import open_workbook, read_raw_table
from addin.xlsx.sheets import Text, add_sheets
from udfs.intake import Intake, read_tracker
from udfs.model import Weighing, weigh
from udfs.native import (
    CASELOAD,
    MIN_CASE_ROWS,
    MIN_WORKER_ROWS,
    POLICY_SHEET,
    NativeLayout,
    native_sheets,
)
from udfs.native_layout import caseload_values, layout_of
from udfs.policy import Policy


@dataclass(frozen=True)
class Attached:
    """What ``attach`` did: the model's reading of the tracker and the layout it wrote."""

    intake: Intake
    weighing: Weighing
    layout: NativeLayout


def attach(
    tracker: Path,
    output: Path,
    policy: Policy,
    mapping: Any = None,
    as_at: date | None = None,
    min_workers: int = MIN_WORKER_ROWS,
    min_cases: int = MIN_CASE_ROWS,
) -> Attached:
    """Write ``output``: ``tracker`` plus the native-formula sheets over its own cells.

    Raises ``TrackerUnusable`` when the tracker cannot be read and ``PackageError`` when the
    sheets cannot be added (a sheet of that name already there).
    """
    from addin.returns.mapping import apply_mapping

    book = open_workbook(tracker)
    sheets = (mapping.sheets if mapping is not None else {}) or {}
    workers_raw = read_raw_table(book, sheets.get("Workers", "Workers"), tracker, "Workers")
    cases_raw = read_raw_table(book, sheets.get("Cases", "Cases"), tracker, "Cases")
    layout = layout_of(workers_raw, cases_raw, mapping, min_workers, min_cases)
    if mapping is not None:
        workers_raw, cases_raw = (
            apply_mapping(workers_raw, mapping),
            apply_mapping(cases_raw, mapping),
        )
    intake = read_tracker(workers_raw, cases_raw, policy, as_at)
    weighing = weigh(intake.workers, intake.cases, policy, intake.incomplete_teams)
    added = native_sheets(policy, layout)
    cached = {CASELOAD: caseload_values(layout, intake, weighing)}
    has_policy = any(name.lower() == POLICY_SHEET.lower() for name in book.sheet_names)
    with tempfile.TemporaryDirectory(prefix="caseload-attach-") as scratch:
        source = tracker
        if not has_policy:
            source = Path(scratch) / "with-policy.xlsx"
            add_policy_sheet(tracker, source, policy)
        add_sheets(source, output, added, cached)
    return Attached(intake, weighing, layout)


def add_policy_sheet(source: Path, target: Path, policy: Policy) -> None:
    """``source`` plus a Policy sheet: the key/value table the formulas read (column A the
    dotted key, B the value), with what each value means and its source beside it, as
    ``CW_POLICY`` spills it."""
    from udfs.native import NativeSheet
    from udfs.policy_labels import DESCRIBED_HEADER, described_table

    cells: dict[str, object] = {
        f"{letter}1": head for letter, head in zip("ABCD", DESCRIBED_HEADER, strict=True)
    }
    for row, (key, value, meaning, cited) in enumerate(described_table(policy), start=2):
        cells[f"A{row}"] = Text(key)
        cells[f"B{row}"] = Text(value) if isinstance(value, str) else value
        cells[f"C{row}"] = Text(meaning)
        cells[f"D{row}"] = Text(cited)
    sheet = NativeSheet(POLICY_SHEET, [], 2, 1, cells)
    add_sheets(source, target, [sheet])
