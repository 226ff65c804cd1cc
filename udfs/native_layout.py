"""Where the native formulas read a tracker, and the figures they must give.

``layout_of`` finds the Workers and Cases columns (renamed by a ``caseload map`` mapping where
given) and sizes the headroom; ``caseload_values`` lays the model's per-worker result out as the
``Caseload`` sheet shows it, one row per Workers row, to cache in the workbook. ``caseload
attach`` and the tracker template both use them, so the two write the same sheet.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from udfs.intake import (
    CASE_FIELDS,
    WORKER_FIELDS,
    Intake,
    RawTable,
    canonical_header,
    column_letter,
)
from udfs.model import RESULT_COLUMNS, Weighing
from udfs.native import MIN_CASE_ROWS, MIN_WORKER_ROWS, NativeLayout, Source, headroom
from udfs.status import INCOMPLETE


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
