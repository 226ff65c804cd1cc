"""Three runtimes, one answer: workbooks made by ``caseload attach`` (native formulas only),
recalculated by the headless engine, give the model's per-worker figures with no error cell,
for the golden cases (the worked example among them), the sample tracker and seeded random
trackers with messy values (tests/test_native_attach.py checks LibreOffice the same way)."""

from __future__ import annotations

from pathlib import Path

import pytest
import python_calamine as calamine

from addin.attach import Attached, attach
from addin.engine import Workbook
from tests.golden_cases import load_golden
from tests.libreoffice_checks import error_cells_in_file
from tests.random_trackers import random_tracker, write_tracker
from tests.test_native_attach import caseload_rows, mismatches
from udfs.native import PROBLEMS
from udfs.policy import load_policy

SAMPLE = Path(__file__).parent.parent / "samples" / "sample-tracker.xlsx"
SMALL = {"min_workers": 10, "min_cases": 60}
GOLDEN = load_golden()


def engine_differences(tracker: Path, policy: str, tmp_path: Path) -> list[str]:
    """Attach ``tracker``, recalculate with the engine, save, read back: every difference
    from the model (and every error cell) as a line."""
    attached = tmp_path / "attached.xlsx"
    job: Attached = attach(tracker, attached, load_policy(policy), **SMALL)
    book = Workbook.load(attached)
    book.calculate()
    found = [f"error {e}" for e in book.errors[:5]]
    saved = book.save_copy(tmp_path / "recalculated.xlsx")
    rows = caseload_rows(saved)
    found += [f"error cell {e}" for e in error_cells_in_file(saved)[:5]]
    found += mismatches(job, rows)
    listed = calamine.CalamineWorkbook.from_path(str(saved)).get_sheet_by_name(PROBLEMS).to_python()
    if int(listed[1][8] or 0) != job.intake.rejected_rows:
        found.append(f"Problems counts {listed[1][8]}, model {job.intake.rejected_rows}")
    return found


def test_the_worked_example_is_among_the_golden_cases():
    assert any("worked example" in case.name for case in GOLDEN)


@pytest.mark.parametrize("case", GOLDEN, ids=[case.name[:40] for case in GOLDEN])
def test_golden_case_recalculated_by_the_engine_equals_the_model(case, tmp_path):
    tracker = case.write_xlsx(tmp_path / "tracker.xlsx")
    assert engine_differences(tracker, case.policy, tmp_path) == []


def test_sample_tracker_recalculated_by_the_engine_equals_the_model(tmp_path):
    assert engine_differences(SAMPLE, "gateshead", tmp_path) == []


RANDOM_POLICIES = ["gateshead"] * 14 + ["walsall", "wales-scrutiny", "laming"] * 2


@pytest.mark.parametrize("seed", range(len(RANDOM_POLICIES)))
def test_random_trackers_recalculated_by_the_engine_equal_the_model(seed, tmp_path):
    policy = RANDOM_POLICIES[seed]
    workers, cases = random_tracker(seed, load_policy(policy))
    tracker = write_tracker(tmp_path / "tracker.xlsx", workers, cases)
    assert engine_differences(tracker, policy, tmp_path) == []
