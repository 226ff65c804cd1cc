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

import numpy as np

from addin.tracker_io import open_workbook, read_raw_table
from addin.xlsx_sheets import add_sheets
from udfs.intake import (
    CASE_FIELDS,
    WORKER_FIELDS,
    Intake,
    RawTable,
    canonical_header,
    column_letter,
    read_tracker,
)
from udfs.model import RESULT_COLUMNS, Weighing, weigh
from udfs.native import (
    CASELOAD,
    MIN_CASE_ROWS,
    MIN_WORKER_ROWS,
    POLICY_SHEET,
    NativeLayout,
    Source,
    headroom,
    native_sheets,
)
from udfs.policy import Policy
from udfs.status import INCOMPLETE


@dataclass(frozen=True)
class Attached:
    """What ``attach`` did: the model's reading of the tracker and the layout it wrote."""

    intake: Intake
    weighing: Weighing
    layout: NativeLayout


def _source(raw: RawTable, fields: tuple[str, ...], renames: dict[str, str | None],
            minimum: int) -> Source:  # fmt: skip
    columns: dict[str, str] = {}
    for position, header in enumerate(raw.frame.columns):
        key = canonical_header(header)
        name = renames.get(key, header)
        if name is None:
            continue
        field_name = canonical_header(name)
        if field_name in fields and field_name not in columns:
            columns[field_name] = column_letter(raw.first_col + position)
    rows = headroom(len(raw.frame), minimum)
    return Source(raw.sheet, columns, raw.first_row, raw.first_row + rows - 1)


def layout_of(
    workers: RawTable,
    cases: RawTable,
    mapping: Any = None,
    min_workers: int = MIN_WORKER_ROWS,
    min_cases: int = MIN_CASE_ROWS,
) -> NativeLayout:
    """Where the formulas read each field: the tables' own columns, renamed by ``mapping``
    (a ``caseload map`` mapping) where given; the mapping's code tables go along."""
    renames = {}
    codes: dict[str, dict[str, str]] = {}
    if mapping is not None:
        for table, table_renames in mapping.columns.items():
            renames[table] = {canonical_header(k): v for k, v in table_renames.items()}
        for name, table in mapping.values.items():
            kept = {str(k): str(v) for k, v in (table or {}).items() if v is not None}
            if kept:
                codes[canonical_header(name)] = kept
    percent = workers.percent is not None and bool(
        np.asarray(workers.percent.to_numpy(dtype=bool)).any()
    )
    return NativeLayout(
        workers=_source(workers, WORKER_FIELDS, renames.get("Workers", {}), min_workers),
        cases=_source(cases, CASE_FIELDS, renames.get("Cases", {}), min_cases),
        percent_reduction=percent,
        codes=codes,
    )


def caseload_values(
    layout: NativeLayout, intake: Intake, weighing: Weighing
) -> dict[tuple[int, int], Any]:
    """The Caseload sheet's cached values from the model: (row, column) -> value."""
    values: dict[tuple[int, int], Any] = {}
    offset = 2 - layout.workers.first_row
    for r in range(2, layout.workers.last_row + offset + 1):
        for c in range(1, len(RESULT_COLUMNS) + 1):
            values[(r, c)] = ""
    result = weighing.result
    for sheet_row, record in zip(
        intake.workers["row"], result.itertuples(index=False), strict=True
    ):
        for c, value in enumerate(record, start=1):
            if isinstance(value, float) and np.isnan(value):
                value = ""
            elif isinstance(value, np.generic):
                value = value.item()
            values[(int(sheet_row) + offset, c)] = value
    status = RESULT_COLUMNS.index("status") + 1
    for rejection in intake.rejections:
        if rejection.sheet == layout.workers.sheet:
            row = rejection.row + offset
            if values.get((row, status)) in ("", None):
                values[(row, status)] = INCOMPLETE
    return values


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
    dotted key, B the value), as ``CW_POLICY`` spills it."""
    from udfs.native import NativeSheet
    from udfs.policy import policy_table

    cells: dict[str, object] = {"A1": "key", "B1": "value"}
    for row, (key, value) in enumerate(policy_table(policy), start=2):
        cells[f"A{row}"] = key
        cells[f"B{row}"] = value
    sheet = NativeSheet(POLICY_SHEET, [], 2, 1, cells)
    add_sheets(source, target, [sheet])
