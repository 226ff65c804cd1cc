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
    closing: np.ndarray | None = None,
) -> np.ndarray:
    """Weight of each case after steps 1-3 (level, placement modifiers, awaiting closure).

    Separately capped categories get their weight here too; ``counted_weights`` leaves them out.
    ``closing`` (``status == "awaiting_closure"``), when the caller has it, saves comparing
    every status again.
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
    if closing is None:
        closing = np.asarray(status) == AWAITING_CLOSURE
    return np.where(closing, weight * policy.weights.awaiting_closure_factor, weight)


def sibling_factors(
    pair: np.ndarray,
    weight: np.ndarray,
    closing: np.ndarray,
    eligible: np.ndarray,
    sibling_factor: float,
) -> np.ndarray:
    """Step 4: 1.0 for the case that counts in full in its family, ``sibling_factor`` otherwise.

    ``pair`` numbers each case's (worker, family) pair (``udfs.caps.family_pairs``; -1 for an
    unallocated case or a blank family, a family of one). Among the eligible cases of one pair,
    the heaviest counts in full; on equal weights an active case before an awaiting-closure
    one, then the earlier row.
    """
    factors = np.ones(len(weight))
    rows = np.flatnonzero(eligible & (pair >= 0))
    if rows.size == 0:
        return factors
    size = np.bincount(pair[rows])
    rows = rows[size[pair[rows]] > 1]  # only a pair of two or more cases has a sibling
    if rows.size == 0:
        return factors
    # per pair, without sorting: the heaviest weight, then active before closing, then the
    # first row; every other case of the pair is a sibling
    group, heavy, ending = pair[rows], weight[rows], closing[rows]
    top = np.full(len(size), -np.inf)
    np.fmax.at(top, group, heavy)
    best = heavy == top[group]
    has_active = np.zeros(len(size), dtype=bool)
    has_active[group[best & ~ending]] = True
    best &= ~ending | ~has_active[group]
    first = np.full(len(size), len(weight))
    np.minimum.at(first, group[best], rows[best])
    factors[rows[first[group] != rows]] = sibling_factor
    return factors


def counted_weights(
    cases: pd.DataFrame,
    pair: np.ndarray,
    policy: Policy,
    closing: np.ndarray | None = None,
) -> np.ndarray:
    """What each case adds to its worker's ``weighted`` caseload after all four steps.

    ``cases`` holds the clean case columns (see ``udfs.intake``); separately capped categories
    (fostering assessments, family finding, adopter assessments) add 0. ``pair`` numbers the
    (worker, family) pairs as ``sibling_factors`` reads them; ``closing`` as in
    ``case_weights``.
    """
    if closing is None:
        closing = cases["status"].to_numpy() == AWAITING_CLOSURE
    weight = case_weights(
        cases["category"],
        cases["level"],
        cases["status"],
        cases["distance_miles"],
        cases["placement_unstable"],
        policy,
        closing,
    )
    in_range = ~separately_capped(cases["category"], policy)
    factors = sibling_factors(pair, weight, closing, in_range, policy.weights.sibling_factor)
    return np.where(in_range, weight * factors, 0.0)


def separately_capped(category: pd.Series, policy: Policy) -> np.ndarray:
    """True for categories counted on top of the team range (FA, FF, AA by default)."""
    flags = {code: c.separately_capped for code, c in policy.categories.items()}
    return lookup(category, flags, False).astype(bool)
