"""Hard caps (policy-model.md section 4): raw counts per worker against the team's limits."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from udfs.lookup import lookup
from udfs.policy import Policy


@dataclass(frozen=True)
class FamilyPairs:
    """The allocated cases' distinct (worker, family) pairs, numbered once for every family count.

    ``pair``: per case, its pair number (-1 for an unallocated case or a blank family);
    ``worker``: per pair number, its worker code (-1 for a number no case holds).
    """

    pair: np.ndarray
    worker: np.ndarray


def family_pairs(worker_code: np.ndarray, family_code: np.ndarray) -> FamilyPairs:
    """Number the distinct (worker, family) pairs of the allocated cases with a family.

    Nearly every family is held by one worker, so a family's pair with one chosen worker is
    numbered as the family itself (no hashing); only a family's other workers are hashed.
    """
    paired = (worker_code >= 0) & (family_code >= 0)
    pair = np.full(len(worker_code), -1, dtype=np.int64)
    if not paired.any():
        return FamilyPairs(pair, np.zeros(0, dtype=np.int64))
    rows = np.flatnonzero(paired)
    families = family_code[rows].astype(np.int64)
    workers = worker_code[rows].astype(np.int64)
    span = int(families.max()) + 1
    chosen = np.full(span, -1, dtype=np.int64)
    chosen[families] = workers  # any one of the family's workers will do
    main = workers == chosen[families]
    pair[rows[main]] = families[main]
    if main.all():
        return FamilyPairs(pair, chosen)
    others, keys = pd.factorize(workers[~main] * span + families[~main])
    pair[rows[~main]] = span + others
    return FamilyPairs(pair, np.concatenate([chosen, keys // span]))


def distinct_families(
    worker_code: np.ndarray,
    pairs: FamilyPairs,
    n_workers: int,
    among: np.ndarray | None = None,
) -> np.ndarray:
    """Distinct families per worker among the cases ``among`` selects (all cases when None);
    a blank family is a family of its own."""
    held = worker_code >= 0 if among is None else among & (worker_code >= 0)
    alone = held & (pairs.pair < 0)
    counts = np.bincount(worker_code[alone], minlength=n_workers)
    seen = np.zeros(len(pairs.worker), dtype=bool)
    seen[pairs.pair[held & ~alone]] = True
    return counts + np.bincount(pairs.worker[seen], minlength=n_workers)


def distinct_pairs(worker_code: np.ndarray, family_code: np.ndarray, n_workers: int) -> np.ndarray:
    """Distinct families per worker; a family code of -1 (blank) is a family of its own."""
    return distinct_families(worker_code, family_pairs(worker_code, family_code), n_workers)


def cap_counts(
    category: pd.Series,
    worker_code: np.ndarray,
    pairs: FamilyPairs,
    n_workers: int,
    policy: Policy,
) -> dict[str, np.ndarray]:
    """For every cap the policy defines, its count per worker (cases of every status);
    ``pairs`` numbers the (worker, family) pairs (``family_pairs``)."""
    counts: dict[str, np.ndarray] = {}
    for key, rule in policy.caps.items():
        if rule.categories == "all":
            mine = np.ones(len(category), dtype=bool)
        else:
            mine = lookup(category, dict.fromkeys(rule.categories, True), False).astype(bool)
        if rule.count == "cases":
            counts[key] = np.bincount(worker_code[mine & (worker_code >= 0)], minlength=n_workers)
        else:
            counts[key] = distinct_families(worker_code, pairs, n_workers, among=mine)
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
