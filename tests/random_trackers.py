"""Seeded random trackers with the messy values tracker-format.md says must be read: codes in
any case and with stray spaces, FTE typed as ``80%`` or as text, yes/no spellings, blank rows,
siblings, awaiting closure, and some rows the rules reject."""

from __future__ import annotations

import random
from pathlib import Path
from typing import Any

from openpyxl import Workbook

from udfs.policy import Policy

WORKER_HEADER = ["Worker ID", "Team", "Role", "FTE", "ASYE months", "Agency", "Reduction %"]
CASE_HEADER = [
    "Case ID", "Worker ID", "Team", "Family ID", "Category", "Level", "Status",
    "Distance miles", "Placement unstable", "Age",
]  # fmt: skip


def _messy_code(rng: random.Random, code: str) -> str:
    return rng.choice([code, code.lower(), f" {code} ", code.title(), f"{code}  "])


def random_tracker(seed: int, policy: Policy) -> tuple[list[list[Any]], list[list[Any]]]:
    """(Workers rows, Cases rows), each with its header row first."""
    rng = random.Random(seed)
    teams, roles, categories = list(policy.teams), list(policy.roles), list(policy.categories)
    workers: list[list[Any]] = [WORKER_HEADER]
    ids = []
    for n in range(rng.randint(4, 18)):
        worker_id = f"W{seed}-{n}" if rng.random() > 0.1 else str(100 + n)
        ids.append(worker_id)
        role = rng.choice(roles)
        fte = rng.choice([1, 1, 0.8, 0.5, "80%", "0.6", " 1 ", 1.2 if rng.random() < 0.1 else 1])
        months = rng.choice([None, 3, 6, 12, 15]) if role == "ASYE" else None
        workers.append(
            [
                worker_id if rng.random() > 0.05 else None,
                _messy_code(rng, rng.choice(teams)) if rng.random() > 0.03 else "NOPE",
                _messy_code(rng, role),
                fte,
                months,
                rng.choice([None, "yes", "No", "Y", "n", "TRUE"]),
                rng.choice([None, None, 0, 10, "20%", 150 if rng.random() < 0.05 else 0]),
            ]
        )
        if rng.random() < 0.1:
            workers.append([None] * len(WORKER_HEADER))
    if rng.random() < 0.3 and ids:
        workers.append([ids[0], teams[0], "SW", 1, None, None, None])  # a repeated id
    cases: list[list[Any]] = [CASE_HEADER]
    families = [f"F{seed}-{n}" for n in range(rng.randint(5, 40))]
    for n in range(rng.randint(10, 140)):
        category = rng.choice(categories)
        worker = rng.choice(ids + [None]) if ids else None
        cases.append(
            [
                f"C{seed}-{n}" if rng.random() > 0.03 else None,
                worker,
                _messy_code(rng, rng.choice(teams)) if rng.random() > 0.5 else None,
                rng.choice(families + [None]),
                _messy_code(rng, category) if rng.random() > 0.03 else "XYZ",
                rng.choice([None, None, 1, 2, 3, 4, "3", 5 if rng.random() < 0.05 else 2]),
                rng.choice([None, "active", "Awaiting Closure", "awaiting-closure", " ACTIVE "]),
                rng.choice([None, 5, 25, "30"]),
                rng.choice([None, "yes", "no", "Y"]),
                rng.choice([None, 16, 17, 19, 20]),
            ]
        )
        if rng.random() < 0.05:
            cases.append([None] * len(CASE_HEADER))
        if rng.random() < 0.04:
            cases.append(list(cases[-1]))  # a repeated case_id
    return workers, cases


def write_tracker(path: Path, workers: list[list[Any]], cases: list[list[Any]]) -> Path:
    """A tracker workbook with Workers and Cases sheets."""
    book = Workbook()
    sheet = book.active
    sheet.title = "Workers"
    for row in workers:
        sheet.append(row)
    other = book.create_sheet("Cases")
    for row in cases:
        other.append(row)
    book.save(path)
    return path
