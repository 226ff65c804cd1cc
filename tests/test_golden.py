"""Golden cases through every front end: the model, the CW_WORKERS function, the command."""

from __future__ import annotations

import csv
import io
from datetime import date

import pytest
from click.testing import CliRunner
from golden_cases import GoldenCase, load_golden

from addin.cli import main
from udfs.excel import CW_CAPACITY, CW_CASE_WEIGHT, CW_LOAD, CW_STATUS, CW_WORKERS
from udfs.intake import RawTable, canonical_header, read_tracker
from udfs.model import RESULT_COLUMNS, weigh
from udfs.policy import load_policy

CASES = load_golden()
COLUMN_FIGURES = (
    "weighted", "weighted_active", "capacity_min", "capacity_max", "load_pct", "status",
)  # fmt: skip
AS_AT = date(2026, 11, 1)


def _by_model(case: GoldenCase, tmp_path) -> dict[str, dict]:
    policy = load_policy(case.policy)
    intake = read_tracker(
        RawTable.from_rows("Workers", case.workers),
        RawTable.from_rows("Cases", case.cases),
        policy,
        AS_AT,
    )
    assert intake.rejections == []
    result = weigh(intake.workers, intake.cases, policy).result
    return {row["worker_id"]: row for row in result.to_dict("records")}


def _by_excel_function(case: GoldenCase, tmp_path) -> dict[str, dict]:
    table = CW_WORKERS(case.workers, case.cases, case.policy, AS_AT)
    header, rows = table[0], table[1:]
    assert header == RESULT_COLUMNS
    return {row[0]: dict(zip(header, row, strict=True)) for row in rows}


def _by_column_functions(case: GoldenCase, tmp_path) -> dict[str, dict]:
    """The per-column functions as a manager chains them in a sheet: CW_CASE_WEIGHT per case,
    summed per worker (SUMIF), CW_CAPACITY per worker, then CW_LOAD and CW_STATUS."""
    workers = _columns(case.workers)
    cases = _columns(case.cases)
    n = len(case.cases) - 1
    blank = [None] * n
    counted = CW_CASE_WEIGHT(
        cases["category"], cases.get("level", blank), cases.get("status", blank),
        cases.get("distance_miles", blank), cases.get("placement_unstable", blank),
        cases["worker_id"], cases.get("family_id", blank), case.policy,
    )  # fmt: skip
    status = [str(s or "active").strip().lower() for s in cases.get("status", blank)]
    ages = cases.get("age", blank)
    rows: dict[str, dict] = {}
    ids = [str(w) for w in workers["worker_id"]]
    mine = {w: [i for i in range(n) if str(cases["worker_id"][i]) == w] for w in ids}
    under_18 = [
        [2 * sum(1 for i in mine[w] if ages[i] is not None and ages[i] < 18)
         > sum(1 for i in mine[w] if ages[i] is not None)]
        for w in ids
    ]  # fmt: skip
    capacity = {
        bound: CW_CAPACITY(
            workers["team"], workers["role"], workers["fte"],
            workers.get("asye_months", [None] * len(ids)),
            workers.get("reduction_pct", [None] * len(ids)), bound, under_18, case.policy,
        )  # fmt: skip
        for bound in ("min", "max")
    }
    for position, worker in enumerate(ids):
        weighted = sum(counted[i][0] for i in mine[worker])
        active = sum(counted[i][0] for i in mine[worker] if status[i] == "active")
        low, high = capacity["min"][position][0], capacity["max"][position][0]
        rows[worker] = {
            "weighted": weighted,
            "weighted_active": active,
            "capacity_min": low,
            "capacity_max": high,
            "load_pct": CW_LOAD([weighted], [high])[0][0],
            "status": CW_STATUS([weighted], [low], [high], [len(mine[worker])])[0][0],
        }
    return rows


def _columns(table: list[list]) -> dict[str, list]:
    """A golden table's columns by canonical field name (``Reduction %`` is reduction_pct)."""
    header = [canonical_header(h) for h in table[0]]
    return {name: [row[i] for row in table[1:]] for i, name in enumerate(header)}


def _by_command(case: GoldenCase, tmp_path) -> dict[str, dict]:
    tracker = case.write_xlsx(tmp_path / "tracker.xlsx")
    result = CliRunner().invoke(
        main, ["weigh", str(tracker), "--policy", case.policy, "--as-at", "2026-11-01"]
    )
    assert result.exit_code == 0, result.output
    rows = list(csv.DictReader(io.StringIO(result.stdout)))
    return {row["worker_id"]: row for row in rows}


@pytest.mark.parametrize(
    "front_end", [_by_model, _by_excel_function, _by_column_functions, _by_command]
)
@pytest.mark.parametrize("case", CASES, ids=[c.name for c in CASES])
def test_golden_case(case: GoldenCase, front_end, tmp_path) -> None:
    got = front_end(case, tmp_path)
    checked = 0
    for worker, expected in case.expect.items():
        assert worker in got, f"{worker} missing from result"
        for field, value in expected.items():
            if field not in COLUMN_FIGURES and front_end is _by_column_functions:
                continue  # children, families, breaches: only the whole-table results have them
            actual = got[worker][field]
            checked += 1
            if isinstance(value, int | float) and not isinstance(value, bool):
                assert float(actual) == pytest.approx(value, abs=1e-12), (worker, field)
            else:
                shown = "" if actual is None else str(actual)
                assert shown == str(value), (worker, field)
    if front_end is _by_column_functions and checked == 0:
        pytest.skip("this case checks only figures the whole-table results give")
