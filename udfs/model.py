"""The caseload weighting model end to end: clean Workers and Cases in, per-worker result out.

This is the one implementation every front end calls (Excel functions, the headless engine,
the command line). Inputs are the clean frames ``udfs.intake`` produces; see that module for
the column contract.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from udfs.capacity import capacities, load_pct, under_18_majority
from udfs.caps import breaches, cap_counts, distinct_families, family_pairs
from udfs.lookup import coded
from udfs.policy import Policy
from udfs.status import worker_status
from udfs.weights import AWAITING_CLOSURE, counted_weights

RESULT_COLUMNS = [
    "worker_id",
    "team",
    "role",
    "fte",
    "children",
    "families",
    "weighted",
    "weighted_active",
    "capacity_min",
    "capacity_max",
    "load_pct",
    "status",
    "breaches",
]
# The result columns in words, for the sheets a manager reads (the names above stay the
# machine-readable header that other tools read).
RESULT_LABELS = {
    "worker_id": "Worker",
    "team": "Team",
    "role": "Role",
    "fte": "FTE",
    "children": "Children",
    "families": "Families",
    "weighted": "Weighted caseload (wu)",
    "weighted_active": "Weighted, active cases only (wu)",
    "capacity_min": "Capacity, bottom of range (wu)",
    "capacity_max": "Capacity, top of range (wu)",
    "load_pct": "Load (% of top of range)",
    "status": "Status",
    "breaches": "Hard caps breached",
}


@dataclass(frozen=True)
class Weighing:
    """The model's output: ``workers`` (the per-worker result, RESULT_COLUMNS plus
    ``agency``, ``asye``, ``incomplete``) and ``cases`` (input cases plus ``worker_code``
    (-1 unallocated), ``family_code`` (-1 blank) and ``counted`` — what each case adds to
    ``weighted``)."""

    workers: pd.DataFrame
    cases: pd.DataFrame
    incomplete_teams: frozenset[str] = frozenset()

    @property
    def result(self) -> pd.DataFrame:
        """The per-worker result of tracker-format.md: those columns, that order."""
        return self.workers[RESULT_COLUMNS]


def family_codes(family_id: pd.Series | np.ndarray) -> np.ndarray:
    """Integer code per family id; -1 where blank (a family of one)."""
    # a blank placed first is numbered 0, so every blank is -1 after the shift, with no scan
    # of the distinct ids for blanks
    ids = np.concatenate([np.array([""], dtype=object), np.asarray(family_id, dtype=object)])
    codes, _ = pd.factorize(ids, use_na_sentinel=True)
    return np.maximum(codes[1:] - 1, -1)


def weigh(
    workers: pd.DataFrame,
    cases: pd.DataFrame,
    policy: Policy,
    incomplete_teams: frozenset[str] = frozenset(),
) -> Weighing:
    """Apply every step of the model to clean Workers and Cases frames.

    Cases whose ``worker_id`` is blank are unallocated: they count for their own ``team`` in
    team figures and in no worker's row. ``incomplete_teams`` comes from the intake
    (``Intake.incomplete_teams``) and marks team figures incomplete.
    """
    n = len(workers)
    worker_code = pd.Index(workers["worker_id"]).get_indexer(cases["worker_id"])
    family_code = family_codes(cases["family_id"])
    category = coded(cases["category"])  # looked up a dozen times below: factorised once
    closing = cases["status"].to_numpy() == AWAITING_CLOSURE
    pairs = family_pairs(worker_code, family_code)
    counted = counted_weights(cases.assign(category=category), pairs.pair, policy, closing=closing)
    held = worker_code >= 0
    active = ~closing

    children = np.bincount(worker_code[held], minlength=n)
    families = distinct_families(worker_code, pairs, n)
    weighted = np.bincount(worker_code[held], counted[held], minlength=n)
    weighted_active = np.bincount(worker_code[held & active], counted[held & active], minlength=n)
    under_18 = under_18_majority(worker_code, cases["age"].to_numpy(dtype=float), n)
    capacity_min, capacity_max = capacities(
        workers["team"],
        workers["role"],
        workers["fte"],
        workers["asye_months"],
        workers["reduction_pct"],
        under_18,
        policy,
    )
    counts = cap_counts(category, worker_code, pairs, n, policy)
    status = worker_status(
        weighted, capacity_min, capacity_max, children, workers["incomplete"].to_numpy(bool)
    )
    out = pd.DataFrame(
        {
            "worker_id": workers["worker_id"].to_numpy(),
            "team": workers["team"].to_numpy(),
            "role": workers["role"].to_numpy(),
            "fte": workers["fte"].to_numpy(dtype=float),
            "children": children,
            "families": families,
            "weighted": weighted,
            "weighted_active": weighted_active,
            "capacity_min": capacity_min,
            "capacity_max": capacity_max,
            "load_pct": load_pct(weighted, capacity_max),
            "status": status,
            "breaches": breaches(workers["team"], counts, policy),
            "agency": workers["agency"].to_numpy(dtype=bool),
            "asye": np.isin(workers["role"].to_numpy(), policy.roles_where("newly_qualified")),
            "incomplete": workers["incomplete"].to_numpy(dtype=bool),
        }
    )
    for key, values in counts.items():
        out[f"count_{key}"] = values
    case_out = cases.assign(worker_code=worker_code, family_code=family_code, counted=counted)
    return Weighing(workers=out, cases=case_out, incomplete_teams=incomplete_teams)
