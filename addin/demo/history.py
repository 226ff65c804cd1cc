"""A service's monthly history, computed with the pure model (the same code as the CW_ functions).

For each month: the tracker as it stood, the per-worker result (``CW_WORKERS``), each worker's
consecutive months over maximum and escalation action, and the team figures (``CW_TEAMS`` with
the months-over history, so ``workers_over_long`` is filled in).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Any

import numpy as np
import pandas as pd

from addin.demo.service import SyntheticService
from udfs.escalation import escalation, months_over
from udfs.functions import weigh_ranges
from udfs.model import Weighing
from udfs.policy import Policy
from udfs.teams import team_figures


@dataclass(frozen=True)
class Month:
    """One month of the service: tracker rows, the weighing, escalation and team figures."""

    month: date
    workers_rows: list[list[Any]]
    cases_rows: list[list[Any]]
    weighing: Weighing
    months_over: np.ndarray
    actions: np.ndarray
    teams: pd.DataFrame


def service_history(service: SyntheticService, policy: Policy) -> list[Month]:
    """Every month of ``service``, oldest first, weighed under ``policy``."""
    history: list[Month] = []
    statuses: list[np.ndarray] = []
    for index, month in enumerate(service.months):
        workers_rows, cases_rows = service.snapshot(index)
        weighing = weigh_ranges(workers_rows, cases_rows, policy)
        statuses.append(weighing.workers["status"].to_numpy(dtype=object))
        matrix = np.column_stack(statuses)
        over = months_over(matrix)
        history.append(
            Month(
                month=month,
                workers_rows=workers_rows,
                cases_rows=cases_rows,
                weighing=weighing,
                months_over=over,
                actions=escalation(matrix, policy.escalate_after_months),
                teams=team_figures(weighing, policy, over),
            )
        )
    return history
