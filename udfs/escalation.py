"""Escalation from the monthly history (policy-model.md section 4;
Gateshead Children's Social Work Caseload Policy, section 5.2-5.4)."""

from __future__ import annotations

import numpy as np

from udfs.status import OVER

RECORD_REASON = "record reason"
ESCALATE = "escalate"


def months_over(history: np.ndarray) -> np.ndarray:
    """Consecutive months over maximum, counted back from each row's latest month.

    ``history`` is 2-D: one row per worker, one column per month, oldest first. A cell is over
    when it holds the status ``over`` (or TRUE). Trailing blank months (not yet recorded) are
    skipped, so "this month" is the latest month with a value; a blank inside the run ends it.
    """
    cells = np.asarray(history, dtype=object)
    if cells.ndim == 1:
        cells = cells.reshape(1, -1)
    blank = np.vectorize(_is_blank, otypes=[bool])(cells) if cells.size else cells.astype(bool)
    over = np.vectorize(_is_over, otypes=[bool])(cells) if cells.size else cells.astype(bool)
    counts = np.zeros(cells.shape[0], dtype=np.int64)
    for row in range(cells.shape[0]):
        filled = np.flatnonzero(~blank[row])
        if filled.size == 0:
            continue
        run = over[row, : filled[-1] + 1][::-1]
        counts[row] = run.size if run.all() else int(np.argmin(run))
    return counts


def escalation(history: np.ndarray, escalate_after_months: int) -> np.ndarray:
    """Each row's action: ``escalate`` when over for more than ``escalate_after_months``
    consecutive months (the policy's 3), ``record reason`` when over this month, else ''."""
    counts = months_over(history)
    return np.select(
        [counts > escalate_after_months, counts > 0], [ESCALATE, RECORD_REASON], default=""
    ).astype(object)


def _is_blank(value: object) -> bool:
    return (
        value is None
        or (isinstance(value, float) and np.isnan(value))
        or (isinstance(value, str) and value.strip() == "")
    )


def _is_over(value: object) -> bool:
    if isinstance(value, (bool, np.bool_)):
        return bool(value)
    return isinstance(value, str) and value.strip().lower() == OVER
