"""Trackers of different shapes built in tests (synthetic IDs only; no names)."""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path

import yaml
from openpyxl import Workbook


def write_book(path: Path, sheets: dict[str, list[list[object]]]) -> Path:
    """A workbook with the given sheets; text beginning with '=' is kept as text."""
    book = Workbook()
    book.remove(book.active)
    for title, rows in sheets.items():
        sheet = book.create_sheet(title)
        for r, row in enumerate(rows, start=1):
            for c, value in enumerate(row, start=1):
                cell = sheet.cell(row=r, column=c, value=value)
                if isinstance(value, str) and value.startswith("="):
                    cell.data_type = "s"
    book.save(path)
    return path


def team_tracker(
    path: Path,
    team: str,
    workers: list[list[object]],
    held: Iterable[tuple[str, int]],
    category: str,
    unallocated: Iterable[str],
    prefix: str,
) -> Path:
    """A tracker of one ``team`` in the canonical layout (headers as a service types them).

    Workers: the ``workers`` rows (worker ID, team, role, FTE, ASYE months, agency). Cases: for
    each (worker, count) of ``held``, ``count`` cases of ``category``; then one unallocated case
    of each category in ``unallocated``. Case ``{prefix}n`` is in family ``F{prefix}n`` (each
    child its own family)."""
    rows = [(worker, category) for worker, count in held for _ in range(count)]
    rows += [(None, other) for other in unallocated]
    cases = [["Case ID", "Worker ID", "Team", "Family ID", "Category"]]
    cases += [
        [f"{prefix}{n}", worker, team, f"F{prefix}{n}", kind]
        for n, (worker, kind) in enumerate(rows, start=1)
    ]
    header = ["Worker ID", "Team", "Role", "FTE", "ASYE months", "Agency"]
    return write_book(path, {"Workers": [header, *workers], "Cases": cases})


def canonical_tracker(path: Path, w1_cases: int = 19) -> Path:
    """Tracker A, the canonical layout: team SGCP.

    W1 SW 1.0 FTE holding ``w1_cases`` CIN (own families); W2 ASYE (12 months) 10 CIN;
    W3 TM no cases; unallocated: 2 CP and 1 CIN of SGCP."""
    workers = [
        ["W1", "SGCP", "SW", 1, None, "no"],
        ["W2", "SGCP", "ASYE", 1, 12, "no"],
        ["W3", "SGCP", "TM", 1, None, "no"],
    ]
    held = (("W1", w1_cases), ("W2", 10))
    return team_tracker(path, "SGCP", workers, held, "CIN", ("CP", "CP", "CIN"), "A")


def mapped_tracker(path: Path, w4_cases: int = 12) -> Path:
    """Tracker B, another shape (sheets Staff / Caseload, own headers and codes) with its
    mapping beside it. W4 agency SW 0.5 FTE (LAC); W5 ASYE 0 months (LAC), 6 LAC cases;
    one unallocated LAC case. With 12 cases W4 has F1 twice (siblings) and 10 singles."""
    staff = [
        ["Staff Ref", "Team Name", "Job Title", "WTE", "Agency Worker", "Months in ASYE"],
        ["W4", "Looked After Children Team", "Social Worker", 0.5, "Y", None],
        ["W5", "Looked After Children Team", "Newly Qualified", 1, "N", 0],
    ]
    caseload = [["Child Ref", "Staff Ref", "Case Type", "Household", "Team Name"]]
    n = 0
    for i in range(w4_cases):
        n += 1
        family = "F1" if (w4_cases == 12 and i < 2) else f"FB{n}"
        caseload.append([f"B{n}", "W4", "Looked After", family, "Looked After Children Team"])
    for _ in range(6):
        n += 1
        caseload.append([f"B{n}", "W5", "Looked After", f"FB{n}", "Looked After Children Team"])
    n += 1
    caseload.append([f"B{n}", None, "Looked After", f"FB{n}", "Looked After Children Team"])
    write_book(path, {"Staff": staff, "Caseload": caseload})
    mapping = {
        "kind": "tracker",
        "confirmed": True,
        "sheets": {"Workers": "Staff", "Cases": "Caseload"},
        "columns": {
            "Workers": {
                "Staff Ref": "worker_id",
                "Team Name": "team",
                "Job Title": "role",
                "WTE": "fte",
                "Agency Worker": "agency",
                "Months in ASYE": "asye_months",
            },
            "Cases": {
                "Child Ref": "case_id",
                "Staff Ref": "worker_id",
                "Case Type": "category",
                "Household": "family_id",
                "Team Name": "team",
            },
        },
        "values": {
            "team": {"Looked After Children Team": "LAC"},
            "role": {"Social Worker": "SW", "Newly Qualified": "ASYE"},
            "category": {"Looked After": "LAC"},
        },
    }
    path.with_name(path.stem + ".mapping.yaml").write_text(yaml.safe_dump(mapping))
    return path
