"""A realistic synthetic children's social care service for the demo (no real people).

About 120 workers across the policy's teams: part-timers, ASYE workers at different months,
agency staff, practice supervisors and team managers; sibling groups; cases opening and closing
over six months (awaiting closure in their last month); unallocated cases held by team
managers; and a few workers kept over their maximum for several months. Identifiers are
synthetic only (``W001``, ``C00001``, ``F0001``). The same seed gives the same service.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from typing import Any

import numpy as np
import pandas as pd

from udfs.capacity import capacities
from udfs.intake import CASE_FIELDS, WORKER_COLUMNS
from udfs.policy import Policy

WORKER_HEADER = list(WORKER_COLUMNS)
CASE_HEADER = list(CASE_FIELDS)
MONTHS = 6
FIRST_MONTH = date(2024, 10, 1)

# Case holders per team, and the categories each team's work is made of (share of families).
TEAM_SIZES = {
    "AI": 16,
    "EOC": 7,
    "SGCP": 22,
    "CWD": 9,
    "LAC": 14,
    "FOST": 11,
    "ADOPT": 7,
    "LC": 11,
    "IRO": 7,
}
SUPERVISORS = {"AI": 1, "SGCP": 2, "LAC": 1, "CWD": 1, "LC": 1}
MIX = {
    "AI": {"ASMT": 0.5, "CIN": 0.4, "CP": 0.1},
    "EOC": {"CIN": 0.5, "CP": 0.3, "LAC": 0.2},
    "SGCP": {"CIN": 0.45, "CP": 0.3, "PROC": 0.1, "LAC": 0.15},
    "CWD": {"CIN": 0.7, "CP": 0.1, "LAC": 0.2},
    "LAC": {"LAC": 0.85, "PROC": 0.15},
    "FOST": {"FH": 1.0},
    "ADOPT": {"ADS": 1.0},
    "LC": {"CL": 1.0},
    "IRO": {"REV": 1.0},
}
EXTRA_WORK = {"FOST": ("FA", 4), "ADOPT": ("FF", 9), "ADOPT2": ("AA", 4)}
UNALLOCATED = {"AI": {"ASMT": 3, "CIN": 2}, "SGCP": {"CP": 2, "CIN": 2}, "LAC": {"LAC": 2}}
FAMILY_SIZES = ([1, 2, 3, 4], [0.62, 0.24, 0.10, 0.04])
LEVEL_WEIGHT = {"CP": 1.25, "PROC": 1.5}


@dataclass
class SyntheticService:
    """Workers (as of the latest month) and every case with the months it is open.

    A case is open from ``opened`` (month index, 0 = first month) until before ``closed``
    (None: still open); in its last open month it is awaiting closure.
    """

    months: list[date]
    workers: list[dict[str, Any]]
    cases: list[dict[str, Any]] = field(default_factory=list)
    over_months: dict[str, int] = field(default_factory=dict)

    def snapshot(self, month: int) -> tuple[list[list[Any]], list[list[Any]]]:
        """Workers and Cases rows (header first) as the tracker stood in month ``month``."""
        last = len(self.months) - 1
        workers = [WORKER_HEADER]
        for worker in self.workers:
            months = worker["asye_months"]
            if months is not None:
                months = max(0, months - (last - month))
            workers.append(
                [
                    worker["worker_id"],
                    worker["team"],
                    worker["role"],
                    worker["fte"],
                    months,
                    worker["agency"],
                    worker["reduction_pct"],
                ]
            )
        cases = [CASE_HEADER]
        for case in self.cases:
            if case["opened"] > month or (case["closed"] is not None and month >= case["closed"]):
                continue
            closing = case["closed"] is not None and month == case["closed"] - 1
            cases.append(
                [
                    case["case_id"],
                    case["worker_id"],
                    case["team"],
                    case["family_id"],
                    case["category"],
                    case["level"],
                    "awaiting_closure" if closing else "active",
                    case["distance_miles"],
                    case["placement_unstable"],
                    case["age"],
                ]
            )
        return workers, cases


def synthetic_service(policy: Policy, seed: int = 2024) -> SyntheticService:
    """The demo service for ``policy`` (its teams and ranges), reproducible from ``seed``."""
    rng = np.random.default_rng(seed)
    months = [
        date(
            FIRST_MONTH.year + (FIRST_MONTH.month - 1 + m) // 12,
            (FIRST_MONTH.month - 1 + m) % 12 + 1,
            1,
        )
        for m in range(MONTHS)
    ]
    service = SyntheticService(months=months, workers=[])
    teams = [code for code in TEAM_SIZES if code in policy.teams]
    for team in teams:
        service.workers.append(_worker(service, team, "TM", rng))
        for _ in range(SUPERVISORS.get(team, 0)):
            service.workers.append(_worker(service, team, "PS", rng))
        for _ in range(TEAM_SIZES[team]):
            role = {"IRO": "IRO", "FOST": "SSWF"}.get(team) or str(
                rng.choice(["SW", "SSW", "ASYE"], p=[0.6, 0.2, 0.2])
            )
            service.workers.append(_worker(service, team, role, rng))
    counters = {"case": 0, "family": 0}
    overloaded = _pick_overloaded(service, rng)
    for worker in service.workers:
        if worker["role"] in ("TM", "PS", "SPS"):
            continue
        capacity = _capacity(worker, policy)
        target = capacity * rng.uniform(0.78, 1.02)
        _fill(service, worker, worker["team"], target, 0, rng, counters, churn=True)
        if worker["worker_id"] in overloaded:
            months_over = overloaded[worker["worker_id"]]
            extra = capacity * rng.uniform(0.25, 0.4)
            start = MONTHS - months_over
            _fill(service, worker, worker["team"], extra, start, rng, counters, churn=False)
            service.over_months[worker["worker_id"]] = months_over
        if worker["team"] == "FOST":
            _extra(service, worker, "FA", int(rng.integers(0, 5)), rng, counters)
        if worker["team"] == "ADOPT":
            _extra(service, worker, "FF", int(rng.integers(3, 12)), rng, counters)
            _extra(service, worker, "AA", int(rng.integers(1, 6)), rng, counters)
    for team, by_category in UNALLOCATED.items():
        if team not in policy.teams:
            continue
        for category, count in by_category.items():
            for _ in range(count):
                opened = int(rng.integers(0, MONTHS))
                _add_family(service, None, team, category, 1, opened, None, rng, counters)
    # one held case for a team manager: flagged "no caseload expected"
    manager = next(w for w in service.workers if w["role"] == "TM" and w["team"] == teams[0])
    _add_family(service, manager, manager["team"], "CIN", 1, MONTHS - 1, None, rng, counters)
    return service


def _worker(service: SyntheticService, team: str, role: str, rng: np.random.Generator) -> dict:
    number = len(service.workers) + 1
    fte = 1.0 if rng.random() < 0.82 else float(rng.choice([0.5, 0.6, 0.8]))
    return {
        "worker_id": f"W{number:03d}",
        "team": team,
        "role": role,
        "fte": fte,
        "asye_months": int(rng.integers(1, 13)) if role == "ASYE" else None,
        "agency": "yes" if role not in ("TM", "PS") and rng.random() < 0.12 else "no",
        "reduction_pct": float(rng.choice([10, 20])) if rng.random() < 0.08 else None,
    }


def _pick_overloaded(service: SyntheticService, rng: np.random.Generator) -> dict[str, int]:
    """A handful of experienced full-time workers over maximum for 2 to 6 months."""
    candidates = [
        w["worker_id"]
        for w in service.workers
        if w["role"] in ("SW", "SSW") and w["team"] in ("AI", "SGCP", "LAC", "CWD")
    ]
    chosen = rng.choice(candidates, size=min(7, len(candidates)), replace=False)
    return {str(worker_id): int(rng.integers(2, MONTHS + 1)) for worker_id in chosen}


def _capacity(worker: dict[str, Any], policy: Policy) -> float:
    """The worker's capacity at the top of the range (the model's own step)."""
    _, high = capacities(
        pd.Series([worker["team"]]),
        pd.Series([worker["role"]]),
        pd.Series([worker["fte"]], dtype=float),
        pd.Series([worker["asye_months"]], dtype=float),
        pd.Series([worker["reduction_pct"] or 0], dtype=float),
        np.array([False]),
        policy,
    )
    return float(high[0])


def _fill(
    service: SyntheticService,
    worker: dict[str, Any],
    team: str,
    target: float,
    opened_from: int,
    rng: np.random.Generator,
    counters: dict[str, int],
    churn: bool,
) -> None:
    """Add families to ``worker`` until their approximate weight reaches ``target``."""
    mix = MIX.get(team, {"CIN": 1.0})
    categories, shares = list(mix), np.array(list(mix.values()))
    load = 0.0
    while load < target:
        category = str(rng.choice(categories, p=shares / shares.sum()))
        size = 1
        if category in ("CIN", "CP", "LAC", "PROC"):
            size = int(rng.choice(FAMILY_SIZES[0], p=FAMILY_SIZES[1]))
        opened, closed = opened_from, None
        if churn and rng.random() < 0.18:
            opened = int(rng.integers(1, MONTHS))
        if churn and rng.random() < 0.15:
            closed = int(rng.integers(max(opened, 0) + 1, MONTHS + 2))
            closed = None if closed > MONTHS else closed
        _add_family(service, worker, team, category, size, opened, closed, rng, counters)
        load += LEVEL_WEIGHT.get(category, 1.0) * (1 + 0.5 * (size - 1))


def _extra(
    service: SyntheticService,
    worker: dict[str, Any],
    category: str,
    count: int,
    rng: np.random.Generator,
    counters: dict[str, int],
) -> None:
    for _ in range(count):
        _add_family(service, worker, worker["team"], category, 1, 0, None, rng, counters)


def _add_family(
    service: SyntheticService,
    worker: dict[str, Any] | None,
    team: str,
    category: str,
    size: int,
    opened: int,
    closed: int | None,
    rng: np.random.Generator,
    counters: dict[str, int],
) -> None:
    counters["family"] += 1
    family_id = f"F{counters['family']:04d}"
    placed_far = category in ("LAC", "PROC") and rng.random() < 0.25
    unstable = category in ("LAC", "PROC") and rng.random() < 0.15
    for _ in range(size):
        counters["case"] += 1
        level = int(rng.choice([1, 2, 3, 4])) if rng.random() < 0.15 else None
        if category in ("LAC", "PROC"):
            distance = float(rng.integers(21, 80) if placed_far else rng.integers(1, 20))
        else:
            distance = None
        age = int(rng.integers(17, 22)) if category == "CL" else int(rng.integers(0, 17))
        service.cases.append(
            {
                "case_id": f"C{counters['case']:05d}",
                "worker_id": worker["worker_id"] if worker else None,
                "team": team,
                "family_id": family_id,
                "category": category,
                "level": level,
                "distance_miles": distance,
                "placement_unstable": "yes" if unstable else None,
                "age": age,
                "opened": opened,
                "closed": closed,
            }
        )
