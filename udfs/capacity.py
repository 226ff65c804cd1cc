"""Capacity and team ranges (policy-model.md section 3), whole columns at once."""

from __future__ import annotations

import numpy as np
import pandas as pd

from udfs.lookup import lookup
from udfs.policy import Policy


def experience_factors(role: pd.Series, asye_months: pd.Series, policy: Policy) -> np.ndarray:
    """Share of a full caseload each worker's role carries.

    Fixed per role (SW 1.0, PS 0 ...); a role with a ramp (ASYE) rises from ``factor`` to
    ``ramp_to`` over ``ramp_months`` months: blank months read as 0, beyond the ramp as its end.
    """
    months = np.asarray(asye_months, dtype=float)
    months = np.where(np.isnan(months), 0.0, months)
    factor = lookup(role, {code: r.factor for code, r in policy.roles.items()}, np.nan)
    factor = factor.astype(float)
    for code, record in policy.roles.items():
        if record.ramp_to is None or record.ramp_months is None:
            continue
        mine = np.asarray(role) == code
        share = np.clip(months, 0.0, record.ramp_months) / record.ramp_months
        factor = np.where(mine, record.factor + (record.ramp_to - record.factor) * share, factor)
    return factor


def team_ranges(
    team: pd.Series, under_18: np.ndarray, policy: Policy
) -> tuple[np.ndarray, np.ndarray]:
    """(min, max) of each worker's team range, in standard cases for one full-time worker.

    ``under_18`` picks a team's under-18 band (leaving care) where it has one.
    """
    low = lookup(team, {code: t.min for code, t in policy.teams.items()}, np.nan).astype(float)
    high = lookup(team, {code: t.max for code, t in policy.teams.items()}, np.nan).astype(float)
    for code, record in policy.teams.items():
        if record.under_18 is None:
            continue
        mine = (np.asarray(team) == code) & under_18
        low = np.where(mine, record.under_18.min, low)
        high = np.where(mine, record.under_18.max, high)
    return low, high


def team_range(team: str, policy: Policy, under_18: bool = False) -> tuple[float, float]:
    """(min, max) of one team's range: ``team_ranges`` for a single worker."""
    low, high = team_ranges(pd.Series([team]), np.array([under_18]), policy)
    return float(low[0]), float(high[0])


def experience_factor(role: str, asye_months: float | None, policy: Policy) -> float:
    """One worker's experience factor: ``experience_factors`` for a single worker."""
    months = np.nan if asye_months is None else float(asye_months)
    return float(experience_factors(pd.Series([role]), pd.Series([months]), policy)[0])


def capacities(
    team: pd.Series,
    role: pd.Series,
    fte: pd.Series,
    asye_months: pd.Series,
    reduction_pct: pd.Series,
    under_18: np.ndarray,
    policy: Policy,
) -> tuple[np.ndarray, np.ndarray]:
    """(capacity_min, capacity_max): team range x FTE x experience x (1 - reduction / 100)."""
    low, high = team_ranges(team, under_18, policy)
    scale = (
        np.asarray(fte, dtype=float)
        * experience_factors(role, asye_months, policy)
        * (1.0 - np.nan_to_num(np.asarray(reduction_pct, dtype=float)) / 100.0)
    )
    return low * scale, high * scale


def load_pct(weighted: np.ndarray, capacity_max: np.ndarray) -> np.ndarray:
    """100 x weighted / capacity_max; NaN (blank) where capacity_max is 0."""
    weighted = np.asarray(weighted, dtype=float)
    capacity_max = np.asarray(capacity_max, dtype=float)
    with np.errstate(divide="ignore", invalid="ignore"):
        return np.where(capacity_max > 0, 100.0 * weighted / capacity_max, np.nan)


def under_18_majority(worker_code: np.ndarray, age: np.ndarray, n_workers: int) -> np.ndarray:
    """True where more than half of a worker's cases with a known age are under 18."""
    known = (worker_code >= 0) & ~np.isnan(age)
    aged = np.bincount(worker_code[known], minlength=n_workers)
    young = np.bincount(worker_code[known & (age < 18)], minlength=n_workers)
    return young * 2 > aged
