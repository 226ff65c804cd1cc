"""Golden cases through every front end: the model, the CW_WORKERS function, the command."""

from __future__ import annotations

import csv
import io
from datetime import date

import pytest
from click.testing import CliRunner
from golden_cases import GoldenCase, load_golden

from addin.cli import main
from udfs.excel import CW_WORKERS
from udfs.intake import RawTable, read_tracker
from udfs.model import RESULT_COLUMNS, weigh
from udfs.policy import load_policy

CASES = load_golden()
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


def _by_command(case: GoldenCase, tmp_path) -> dict[str, dict]:
    tracker = case.write_xlsx(tmp_path / "tracker.xlsx")
    result = CliRunner().invoke(
        main, ["weigh", str(tracker), "--policy", case.policy, "--as-at", "2026-11-01"]
    )
    assert result.exit_code == 0, result.output
    rows = list(csv.DictReader(io.StringIO(result.stdout)))
    return {row["worker_id"]: row for row in rows}


@pytest.mark.parametrize("front_end", [_by_model, _by_excel_function, _by_command])
@pytest.mark.parametrize("case", CASES, ids=[c.name for c in CASES])
def test_golden_case(case: GoldenCase, front_end, tmp_path) -> None:
    got = front_end(case, tmp_path)
    for worker, expected in case.expect.items():
        assert worker in got, f"{worker} missing from result"
        for field, value in expected.items():
            actual = got[worker][field]
            if isinstance(value, int | float) and not isinstance(value, bool):
                assert float(actual) == pytest.approx(value, abs=1e-12), (worker, field)
            else:
                shown = "" if actual is None else str(actual)
                assert shown == str(value), (worker, field)
