"""A synthetic service of any size, as clean frames or as a tracker workbook (benchmarks only).

Identifiers are obviously synthetic (W000001, C0000001, F000001); no names.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
from openpyxl import Workbook

from udfs import intake
from udfs.policy import Policy

WORKER_COLUMNS = list(intake.WORKER_COLUMNS)
CASE_COLUMNS = list(intake.CASE_FIELDS)


def service(
    n_workers: int, n_cases: int, policy: Policy, seed: int = 7
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Clean Workers and Cases frames (udfs.intake's column contract)."""
    rng = np.random.default_rng(seed)
    teams = np.array(list(policy.teams))
    roles = np.array(["SW", "SW", "SW", "SSW", "ASYE", "PS", "SSWF", "IRO"])
    role = rng.choice(roles, n_workers)
    workers = pd.DataFrame(
        {
            "worker_id": [f"W{i:06d}" for i in range(n_workers)],
            "team": rng.choice(teams, n_workers),
            "role": role,
            "fte": rng.choice([1.0, 1.0, 1.0, 0.8, 0.6, 0.5], n_workers),
            "asye_months": np.where(role == "ASYE", rng.integers(0, 13, n_workers), np.nan),
            "agency": rng.random(n_workers) < 0.15,
            "reduction_pct": np.where(rng.random(n_workers) < 0.1, 20.0, 0.0),
            "incomplete": np.zeros(n_workers, dtype=bool),
        }
    )
    holder = rng.integers(0, n_workers, n_cases)
    allocated = rng.random(n_cases) > 0.02
    families = rng.integers(0, n_cases // 2 + 1, n_cases)
    cases = pd.DataFrame(
        {
            "case_id": [f"C{i:07d}" for i in range(n_cases)],
            "worker_id": np.where(allocated, workers["worker_id"].to_numpy()[holder], ""),
            "team": workers["team"].to_numpy()[holder],
            "family_id": np.where(rng.random(n_cases) < 0.6, [f"F{f:06d}" for f in families], ""),
            "category": rng.choice(np.array(list(policy.categories)), n_cases),
            "level": np.where(rng.random(n_cases) < 0.5, rng.integers(1, 5, n_cases), np.nan),
            "status": np.where(rng.random(n_cases) < 0.1, "awaiting_closure", "active"),
            "distance_miles": np.where(rng.random(n_cases) < 0.3, rng.random(n_cases) * 60, np.nan),
            "placement_unstable": rng.random(n_cases) < 0.1,
            "age": np.where(rng.random(n_cases) < 0.5, rng.integers(0, 22, n_cases), np.nan),
        }
    )
    return workers, cases


def write_tracker(workers: pd.DataFrame, cases: pd.DataFrame, path: Path) -> Path:
    """The frames as a tracker workbook (Workers and Cases sheets) — a file to read back."""
    book = Workbook(write_only=True)
    for title, frame, columns in (
        ("Workers", workers, WORKER_COLUMNS),
        ("Cases", cases, CASE_COLUMNS),
    ):
        sheet = book.create_sheet(title)
        sheet.append(columns)
        for row in frame[columns].itertuples(index=False):
            sheet.append([_cell(v) for v in row])
    book.save(path)
    return path


def _cell(value: object) -> object:
    if isinstance(value, float) and np.isnan(value):
        return None
    if isinstance(value, np.generic):
        return value.item()
    return value or None


def write_sample(path: Path) -> Path:
    """The bundled sample tracker: a 40-worker synthetic service with two bad rows, so that
    `caseload weigh` shows both results and rejections."""
    from udfs.policy import load_policy

    workers, cases = service(40, 620, load_policy("gateshead"), seed=2026)
    cases = cases.drop(columns="team").assign(team=cases["team"])
    cases.loc[5, "category"] = "CPP"  # an unknown code: rejected, its worker incomplete
    workers.loc[3, "fte"] = 1.5  # an FTE outside (0, 1]: the worker and its cases rejected
    return write_tracker(workers, cases, path)


if __name__ == "__main__":
    print(write_sample(Path(__file__).parents[1] / "samples" / "sample-tracker.xlsx"))
