"""Hard caps (policy-model.md section 4): raw counts per worker against the team's limits."""

from __future__ import annotations

import numpy as np
import pandas as pd

from udfs.lookup import lookup
from udfs.policy import Policy


def distinct_pairs(worker_code: np.ndarray, family_code: np.ndarray, n_workers: int) -> np.ndarray:
    """Distinct families per worker; a family code of -1 (blank) is a family of its own."""
    held = worker_code >= 0
    workers = worker_code[held].astype(np.int64)
    families = family_code[held].astype(np.int64)
    # a blank family is a family of its own, and so is a family code held by one case only:
    # both count once without hashing; only families of two or more cases need distinct pairs
    real = families >= 0
    shared = np.zeros(len(families), dtype=bool)
    if real.any():
        sizes = np.bincount(families[real])
        shared[real] = sizes[families[real]] > 1
    counts = np.bincount(workers[~shared], minlength=n_workers)
    if shared.any():
        span = int(families.max()) + 1
        keys = pd.unique(workers[shared] * span + families[shared])
        counts += np.bincount(keys // span, minlength=n_workers)
    return counts


def cap_counts(
    category: pd.Series,
    worker_code: np.ndarray,
    family_code: np.ndarray,
    n_workers: int,
    policy: Policy,
) -> dict[str, np.ndarray]:
    """For every cap the policy defines, its count per worker (cases of every status)."""
    counts: dict[str, np.ndarray] = {}
    for key, rule in policy.caps.items():
        if rule.categories == "all":
            mine = np.ones(len(category), dtype=bool)
        else:
            mine = lookup(category, dict.fromkeys(rule.categories, True), False).astype(bool)
        if rule.count == "cases":
            counts[key] = np.bincount(worker_code[mine & (worker_code >= 0)], minlength=n_workers)
        else:
            counts[key] = distinct_pairs(worker_code[mine], family_code[mine], n_workers)
    return counts


def breaches(team: pd.Series, counts: dict[str, np.ndarray], policy: Policy) -> np.ndarray:
    """Each worker's breached caps as ``key count > limit``, ``; ``-separated ('' when none)."""
    teams = team.to_numpy()
    found = np.full(len(teams), "", dtype=object)
    for code, record in policy.teams.items():
        mine = teams == code
        for key, limit in record.caps.items():
            over = mine & (counts[key] > limit)
            for row in np.flatnonzero(over):
                text = f"{key} {counts[key][row]} > {limit}"
                found[row] = f"{found[row]}; {text}" if found[row] else text
    return found
