"""Worker status (policy-model.md section 4): incomplete, no caseload expected, over, under,
within."""

from __future__ import annotations

import numpy as np

INCOMPLETE = "incomplete"
NO_CASELOAD_EXPECTED = "no caseload expected"
OVER = "over"
UNDER = "under"
WITHIN = "within"
STATUSES = (INCOMPLETE, NO_CASELOAD_EXPECTED, OVER, UNDER, WITHIN)


def worker_status(
    weighted: np.ndarray,
    capacity_min: np.ndarray,
    capacity_max: np.ndarray,
    children: np.ndarray,
    incomplete: np.ndarray,
) -> np.ndarray:
    """Each worker's status, in the policy's order of precedence, on unrounded values.

    ``incomplete`` when a row of the worker was rejected; ``no caseload expected`` when the
    worker has no capacity but holds cases; ``over`` above capacity_max; ``under`` below
    capacity_min; otherwise ``within``.
    """
    weighted = np.asarray(weighted, dtype=float)
    capacity_min = np.asarray(capacity_min, dtype=float)
    capacity_max = np.asarray(capacity_max, dtype=float)
    conditions = [
        np.asarray(incomplete, dtype=bool),
        (capacity_max == 0) & (np.asarray(children) > 0),
        weighted > capacity_max,
        weighted < capacity_min,
    ]
    choices = [INCOMPLETE, NO_CASELOAD_EXPECTED, OVER, UNDER]
    return np.select(conditions, choices, default=WITHIN).astype(object)
