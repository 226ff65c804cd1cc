"""Team and service figures (policy-model.md section 5; GMT quarterly review,
Gateshead Children's Social Work Caseload Policy, section 5.6)."""

from __future__ import annotations

import numpy as np
import pandas as pd

from udfs.capacity import team_range
from udfs.caps import distinct_pairs
from udfs.model import Weighing
from udfs.policy import Policy
from udfs.status import OVER

SERVICE = "SERVICE"


def team_columns(policy: Policy) -> list[str]:
    """Column names of the team table, in order."""
    return [
        "team",
        "workers",
        "case_holding_fte",
        "children",
        "families",
        "children_per_fte",
        "weighted_per_fte",
        "range_min",
        "range_max",
        "service_aim",
        "workers_over",
        "workers_over_long",
        "unallocated",
        *[f"unallocated_{code}" for code in policy.categories],
        "agency",
        "asye",
        "above_service_average",
        "incomplete",
    ]


def team_figures(
    weighing: Weighing, policy: Policy, months_over: np.ndarray | None = None
) -> pd.DataFrame:
    """One row per team (the policy's order, teams with workers or unallocated cases), then
    the ``SERVICE`` row.

    ``case_holding_fte`` is the FTE of workers holding at least one case (DfE's case holders);
    averages are per that FTE (blank when 0). ``workers_over_long`` needs ``months_over`` (one
    count per worker from the monthly history) and is blank without it. A team whose children
    per FTE exceed the service's is ``above_service_average`` (needs GMT agreement).
    """
    workers = weighing.workers
    cases = weighing.cases
    held = cases["worker_code"].to_numpy()
    unallocated = cases[held < 0]
    present = set(workers["team"]) | set(unallocated["team"]) | weighing.incomplete_teams
    codes = [code for code in policy.teams if code in present] + [SERVICE]
    long_over = None
    if months_over is not None:
        long_over = np.asarray(months_over) > policy.escalate_after_months
    family = cases["family_code"].to_numpy()
    team_of_case = np.where(held >= 0, workers["team"].to_numpy()[np.maximum(held, 0)], "")
    table = pd.DataFrame(
        [
            _team_row(code, weighing, unallocated, team_of_case, family, long_over, policy)
            for code in codes
        ]
    )
    service_average = table["children_per_fte"].iloc[-1]
    table["above_service_average"] = (table["team"] != SERVICE) & (
        table["children_per_fte"] > service_average
    )
    return table[team_columns(policy)]


def _team_row(
    code: str,
    weighing: Weighing,
    unallocated: pd.DataFrame,
    team_of_case: np.ndarray,
    family: np.ndarray,
    long_over: np.ndarray | None,
    policy: Policy,
) -> dict[str, object]:
    workers = weighing.workers
    held = weighing.cases["worker_code"].to_numpy() >= 0
    service = code == SERVICE
    mask = np.ones(len(workers), bool) if service else workers["team"].to_numpy() == code
    case_mask = held if service else held & (team_of_case == code)
    open_cases = unallocated if service else unallocated[unallocated["team"] == code]
    # families are counted per team: one family id is one family, whoever holds its children
    families = distinct_pairs(np.zeros(case_mask.sum(), dtype=np.int64), family[case_mask], 1)
    holding = mask & (workers["children"].to_numpy() > 0)
    fte = float(workers["fte"].to_numpy()[holding].sum())
    children = int(workers["children"].to_numpy()[mask].sum())
    weighted = float(workers["weighted"].to_numpy()[mask].sum())
    low, high = (np.nan, np.nan) if service else team_range(code, policy)
    by_category = open_cases["category"].value_counts()
    return {
        "team": code,
        "workers": int(mask.sum()),
        "case_holding_fte": fte,
        "children": children,
        "families": int(families[0]),
        "children_per_fte": children / fte if fte > 0 else np.nan,
        "weighted_per_fte": weighted / fte if fte > 0 else np.nan,
        "range_min": low,
        "range_max": high,
        "service_aim": policy.service_aim,
        "workers_over": int((workers["status"].to_numpy()[mask] == OVER).sum()),
        "workers_over_long": int(long_over[mask].sum()) if long_over is not None else np.nan,
        "unallocated": len(open_cases),
        **{f"unallocated_{cat}": int(by_category.get(cat, 0)) for cat in policy.categories},
        "agency": int(workers["agency"].to_numpy()[mask].sum()),
        "asye": int(workers["asye"].to_numpy()[mask].sum()),
        "incomplete": bool(workers["incomplete"].to_numpy()[mask].any())
        or code in weighing.incomplete_teams,
    }
