"""caseload attach and the native formulas (udfs.native): the manager's workbook plus sheets
that weigh it with native formulas. LibreOffice recalculating on load must give the model's
answer, for the sample tracker, the golden cases and seeded random trackers."""

from __future__ import annotations

import re
import subprocess
import sys
import zipfile
from pathlib import Path
from xml.etree import ElementTree

import pytest
import python_calamine as calamine

from addin.attach import Attached, attach
from addin.libreoffice import recalculate_many
from tests.golden_cases import load_golden
from tests.libreoffice_checks import error_cells_in_file, needs_lo, same_value
from tests.random_trackers import random_tracker, write_tracker
from udfs.model import RESULT_COLUMNS
from udfs.native import CASELOAD, NATIVE_SHEETS, PROBLEMS
from udfs.policy import load_policy
from udfs.status import INCOMPLETE

SAMPLE = Path(__file__).parent.parent / "samples" / "sample-tracker.xlsx"
SMALL = {"min_workers": 30, "min_cases": 300}


def caseload_rows(path: Path) -> list[list[object]]:
    """The Caseload sheet as read back (cached or recalculated values)."""
    book = calamine.CalamineWorkbook.from_path(str(path))
    return book.get_sheet_by_name(CASELOAD).to_python(skip_empty_area=False)


def mismatches(job: Attached, rows: list[list[object]]) -> list[str]:
    """Where the Caseload rows differ from the model (rejected worker rows: incomplete, empty)."""
    found = []
    offset = 2 - job.layout.workers.first_row
    if rows[0][: len(RESULT_COLUMNS)] != RESULT_COLUMNS:
        found.append(f"header {rows[0]}")
    seen = set()
    result = job.weighing.result
    for sheet_row, record in zip(job.intake.workers["row"], result.itertuples(index=False),
                                 strict=True):  # fmt: skip
        line = rows[int(sheet_row) + offset - 1]
        seen.add(int(sheet_row))
        for name, expected, actual in zip(RESULT_COLUMNS, record, line, strict=False):
            expected = None if isinstance(expected, float) and expected != expected else expected
            if not same_value(actual, expected):
                found.append(f"row {sheet_row} {name}: native {actual!r}, model {expected!r}")
    rejected = {r.row for r in job.intake.rejections if r.sheet == job.layout.workers.sheet}
    status = RESULT_COLUMNS.index("status")
    for sheet_row in rejected - seen:
        line = rows[sheet_row + offset - 1]
        if line[status] != INCOMPLETE or any(line[c] not in ("", None) for c in range(4, 11)):
            found.append(f"rejected row {sheet_row}: {line}")
    return found


def test_manager_parts_unchanged_and_every_part_well_formed(tmp_path):
    out = tmp_path / "attached.xlsx"
    attach(SAMPLE, out, load_policy("gateshead"), **SMALL)
    changed = {"xl/workbook.xml", "xl/_rels/workbook.xml.rels", "[Content_Types].xml",
               "xl/styles.xml"}  # fmt: skip
    with zipfile.ZipFile(SAMPLE) as before, zipfile.ZipFile(out) as after:
        for name in before.namelist():
            if name not in changed:
                assert before.read(name) == after.read(name), name
        for name in after.namelist():
            if name.endswith(".xml") or name.endswith(".rels"):
                ElementTree.fromstring(after.read(name))
        workbook = after.read("xl/workbook.xml").decode()
    assert re.search(r'calcId="191029"', workbook) and 'fullCalcOnLoad="1"' in workbook
    names = calamine.CalamineWorkbook.from_path(str(out)).sheet_names
    assert names[:2] == ["Workers", "Cases"]
    assert {CASELOAD, PROBLEMS, "Policy"} <= set(names)
    assert set(names) - {"Workers", "Cases", "Policy"} <= set(NATIVE_SHEETS)


def test_caseload_shows_the_models_figures_before_any_recalculation(tmp_path):
    out = tmp_path / "attached.xlsx"
    job = attach(SAMPLE, out, load_policy("gateshead"), **SMALL)
    assert mismatches(job, caseload_rows(out)) == []


def test_command_reports_rejections_and_refuses_to_overwrite(tmp_path):
    out = tmp_path / "out.xlsx"
    run = [sys.executable, "-m", "addin.cli", "attach", str(SAMPLE), "-o"]
    done = subprocess.run([*run, str(out)], capture_output=True, text=True)
    assert done.returncode == 1, done.stderr
    assert "Workers!D5" in done.stderr and "rejected" in done.stderr
    again = subprocess.run([*run, str(SAMPLE)], capture_output=True, text=True)
    assert again.returncode == 2 and "refusing" in again.stderr


@needs_lo
@pytest.mark.libreoffice
@pytest.mark.slow
def test_libreoffice_sample_golden_and_random_trackers_equal_the_model(tmp_path):
    """Three sources, one batch of LibreOffice recalculations: the sample tracker, every golden
    case (the worked example included) and 20 seeded random trackers with messy values."""
    jobs: list[tuple[str, Attached, Path]] = []
    out = tmp_path / "attached"
    out.mkdir()

    def add(name: str, tracker: Path, policy: str) -> None:
        target = out / f"{name}.xlsx"
        jobs.append((name, attach(tracker, target, load_policy(policy), **SMALL), target))

    add("sample", SAMPLE, "gateshead")
    for number, case in enumerate(load_golden()):
        add(f"golden{number}", case.write_xlsx(tmp_path / f"golden{number}.xlsx"), case.policy)
    policies = ["gateshead"] * 14 + ["walsall", "wales-scrutiny", "laming"] * 2
    for seed, policy in enumerate(policies):
        workers, cases = random_tracker(seed, load_policy(policy))
        add(f"random{seed}", write_tracker(tmp_path / f"random{seed}.xlsx", workers, cases), policy)
    recalculated = recalculate_many([target for _, _, target in jobs], tmp_path / "lo")
    problems = {}
    for (name, job, _), path in zip(jobs, recalculated, strict=True):
        book = calamine.CalamineWorkbook.from_path(str(path))
        errors = error_cells_in_file(path)
        found = mismatches(job, caseload_rows(path)) + [f"error {e}" for e in errors[:3]]
        listed = book.get_sheet_by_name(PROBLEMS).to_python()
        if int(listed[1][8] or 0) != job.intake.rejected_rows:
            found.append(f"Problems counts {listed[1][8]}, model {job.intake.rejected_rows}")
        if found:
            problems[name] = found[:5]
    assert problems == {}


@needs_lo
@pytest.mark.libreoffice
def test_formulas_are_live_a_changed_fte_category_and_added_case_change_the_figures(tmp_path):
    workers = [["worker_id", "team", "role", "fte"], ["A", "AI", "SW", 1], ["B", "SGCP", "SW", 1]]
    cases = [["case_id", "worker_id", "family_id", "category"]]
    cases += [[f"c{n}", "A", f"f{n}", "CIN"] for n in range(10)]
    cases += [[f"d{n}", "B", "fam", "CP"] for n in range(4)]
    tracker = write_tracker(tmp_path / "t.xlsx", workers, cases)
    attached = tmp_path / "attached.xlsx"
    attach(tracker, attached, load_policy("gateshead"), **SMALL)
    edited = tmp_path / "edited.xlsx"
    with zipfile.ZipFile(attached) as source, zipfile.ZipFile(edited, "w") as target:
        for item in source.infolist():
            data = source.read(item)
            if item.filename == "xl/worksheets/sheet1.xml":  # Workers: A's FTE 1 -> 0.5
                data = re.sub(rb'(<c r="D2"[^>]*>)<v>1</v>', rb"\g<1><v>0.5</v>", data)
            if item.filename == "xl/worksheets/sheet2.xml":  # Cases: c0 CIN -> PROC
                data, count = re.subn(
                    rb'<c r="D2"[^>]*>.*?</c>',
                    rb'<c r="D2" t="inlineStr"><is><t>PROC</t></is></c>',
                    data,
                )
                assert count == 1
                # a case typed below the last one (the headroom): counted with no new attach
                added = (
                    b'<row r="16"><c r="A16" t="inlineStr"><is><t>e0</t></is></c>'
                    b'<c r="B16" t="inlineStr"><is><t>B</t></is></c>'
                    b'<c r="C16" t="inlineStr"><is><t>new</t></is></c>'
                    b'<c r="D16" t="inlineStr"><is><t>CIN</t></is></c></row>'
                )
                data = data.replace(b"</sheetData>", added + b"</sheetData>")
            target.writestr(item, data)
    [recalculated] = recalculate_many([edited], tmp_path / "lo")
    rows = caseload_rows(recalculated)
    capacity_max = RESULT_COLUMNS.index("capacity_max")
    assert rows[1][capacity_max] == pytest.approx(9.0)  # 18 x 0.5
    # A: nine CIN cases (level 2: 1.0) and one in care proceedings (level 4: 1.5)
    assert rows[1][RESULT_COLUMNS.index("weighted")] == pytest.approx(10.5)
    assert rows[1][RESULT_COLUMNS.index("status")] == "over"  # 10.5 wu > 9
    # B: four CP children of one family: 1.25 + 3 x 0.625, and the added CIN case (1.0)
    assert rows[2][RESULT_COLUMNS.index("weighted")] == pytest.approx(4.125)
    assert rows[2][RESULT_COLUMNS.index("children")] == 5
    assert rows[2][RESULT_COLUMNS.index("families")] == 2


def test_a_policy_value_starting_with_equals_stays_text(tmp_path):
    """A council's policy file is user input: a name such as ``=HYPERLINK(...)`` is written to
    the added Policy sheet as text, never as a live formula."""
    policy_file = tmp_path / "council.yaml"
    policy_file.write_text(
        "extends: gateshead\ntitle: '=HYPERLINK(\"http://example.invalid\")'\n", encoding="utf-8"
    )
    out = tmp_path / "attached.xlsx"
    attach(SAMPLE, out, load_policy(policy_file), **SMALL)
    with zipfile.ZipFile(out) as package:
        parts = [n for n in package.namelist() if n.startswith("xl/worksheets/")]
        text = "".join(package.read(n).decode("utf-8") for n in parts if n.endswith(".xml"))
    assert "HYPERLINK" in text and "<f>HYPERLINK" not in text
