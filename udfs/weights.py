"""Case weights (policy-model.md section 2), whole columns at once.

Steps, in order: level weight, placement modifiers, awaiting closure, siblings.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from udfs.lookup import lookup
from udfs.policy import Policy

ACTIVE = "active"
AWAITING_CLOSURE = "awaiting_closure"
STATUSES = (ACTIVE, AWAITING_CLOSURE)


def effective_levels(category: pd.Series, level: pd.Series, policy: Policy) -> np.ndarray:
    """Each case's level: its own, or its category's default where blank."""
    defaults = lookup(category, {k: c.default_level for k, c in policy.categories.items()}, np.nan)
    own = np.asarray(level, dtype=float)
    return np.where(np.isnan(own), defaults.astype(float), own)


def case_weights(
    category: pd.Series,
    level: pd.Series,
    status: pd.Series,
    distance_miles: pd.Series,
    placement_unstable: pd.Series,
    policy: Policy,
) -> np.ndarray:
    """Weight of each case after steps 1-3 (level, placement modifiers, awaiting closure).

    Separately capped categories get their weight here too; ``counted_weights`` leaves them out.
    """
    levels = effective_levels(category, level, policy)
    by_level = np.full(5, np.nan)  # index = level (1-4): an integer index, no hashing
    for level, weight in policy.weights.levels.items():
        by_level[level] = weight
    whole = np.nan_to_num(levels, nan=0.0)
    known = (whole >= 1) & (whole <= 4) & (whole == np.round(whole))
    level_weight = np.where(known, by_level[np.where(known, whole, 0).astype(int)], np.nan)
    placement = policy.weights.placement
    with_modifiers = lookup(
        category, {code: c.placement_modifiers for code, c in policy.categories.items()}, False
    ).astype(bool)
    with np.errstate(invalid="ignore"):
        far = np.asarray(distance_miles, dtype=float) > placement.distance_over_miles
    unstable = np.asarray(placement_unstable, dtype=bool)
    modifier = placement.distance_add * far + placement.unstable_add * unstable
    weight = level_weight + np.where(with_modifiers, modifier, 0.0)
    closing = np.asarray(status) == AWAITING_CLOSURE
    return np.where(closing, weight * policy.weights.awaiting_closure_factor, weight)


def sibling_factors(
    worker_code: np.ndarray,
    family_code: np.ndarray,
    weight: np.ndarray,
    closing: np.ndarray,
    eligible: np.ndarray,
    sibling_factor: float,
) -> np.ndarray:
    """Step 4: 1.0 for the case that counts in full in its family, ``sibling_factor`` otherwise.

    Among the eligible cases of one worker sharing a family code (>= 0), the heaviest counts in
    full; on equal weights an active case before an awaiting-closure one, then the earlier row.
    A family code of -1 (blank) or worker code of -1 (unallocated) is a family of one.
    """
    factors = np.ones(len(weight))
    grouped = eligible & (family_code >= 0) & (worker_code >= 0)
    rows = np.flatnonzero(grouped)
    if rows.size == 0:
        return factors
    # only a family with two or more eligible cases can have a sibling: sort just those
    rows = rows[np.bincount(family_code[rows])[family_code[rows]] > 1]
    if rows.size == 0:
        return factors
    group = worker_code[rows].astype(np.int64) * (int(family_code.max()) + 1) + family_code[rows]
    order = np.lexsort((rows, closing[rows], -weight[rows], group))
    ranked_group = group[order]
    same_group = ranked_group[1:] == ranked_group[:-1]
    factors[rows[order][1:][same_group]] = sibling_factor
    return factors


def counted_weights(
    cases: pd.DataFrame, worker_code: np.ndarray, family_code: np.ndarray, policy: Policy
) -> np.ndarray:
    """What each case adds to its worker's ``weighted`` caseload after all four steps.

    ``cases`` holds the clean case columns (see ``udfs.intake``); separately capped categories
    (fostering assessments, family finding, adopter assessments) add 0.
    """
    weight = case_weights(
        cases["category"],
        cases["level"],
        cases["status"],
        cases["distance_miles"],
        cases["placement_unstable"],
        policy,
    )
    in_range = ~separately_capped(cases["category"], policy)
    closing = cases["status"].to_numpy() == AWAITING_CLOSURE
    factors = sibling_factors(
        worker_code, family_code, weight, closing, in_range, policy.weights.sibling_factor
    )
    return np.where(in_range, weight * factors, 0.0)


def separately_capped(category: pd.Series, policy: Policy) -> np.ndarray:
    """True for categories counted on top of the team range (FA, FF, AA by default)."""
    flags = {code: c.separately_capped for code, c in policy.categories.items()}
    return lookup(category, flags, False).astype(bool)
