"""The GMT quarterly review filled from the monthly history (``caseload review gmt``).

For each month of the quarter that the history holds, the team table stored by ``snapshot``
(``udfs.teams``, what ``CW_TEAMS`` gives) with ``workers_over_long`` recomputed from the
history goes into the template's ``Data`` sheet; the ``Review`` sheet reads it with native
formulas whose values are computed here and cached in the file. A month the history does not
hold has no Data row and its Review block shows ``not available`` (never 0).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from pathlib import Path

import pandas as pd

from addin.returns.history import HistoryError, month_team_figures, months, quarter_months
from udfs.policy import Policy
from workbook_templates.builder import FormulaCell, save_workbook
from workbook_templates.gmt import gmt_spec
from workbook_templates.spec import WorkbookSpec


@dataclass(frozen=True)
class QuarterFigures:
    """Each month of a quarter (``YYYY-MM``) with its team table, or None when not stored."""

    quarter: str
    months: list[str]
    figures: list[pd.DataFrame | None]

    @property
    def stored(self) -> list[str]:
        """The months of the quarter the history holds."""
        return [m for m, f in zip(self.months, self.figures, strict=True) if f is not None]

    @property
    def missing(self) -> list[str]:
        """The months of the quarter the history does not hold."""
        return [m for m, f in zip(self.months, self.figures, strict=True) if f is None]


def quarter_month_figures(db: str | Path, quarter: str, policy: Policy) -> QuarterFigures:
    """Every month of ``quarter`` with its team figures from the history (``None`` for a month
    with no snapshot). ``HistoryError`` when the quarter is not valid or no month is stored."""
    wanted = quarter_months(quarter)
    held = set(months(db))
    figures = [month_team_figures(db, m, policy) if m in held else None for m in wanted]
    if all(f is None for f in figures):
        raise HistoryError(f"no snapshot in the history for any month of {quarter}")
    return QuarterFigures(quarter.strip().upper(), wanted, figures)


def first_day(month: str) -> date:
    """``2025-07`` -> ``date(2025, 7, 1)`` (the month as the template's Data sheet holds it)."""
    return date(int(month[:4]), int(month[5:]), 1)


def gmt_review_spec(figures: QuarterFigures, policy: Policy) -> WorkbookSpec:
    """The GMT quarterly review template for ``policy`` filled with ``figures``."""
    return gmt_spec(
        policy,
        [first_day(m) for m in figures.months],
        figures.figures,
        title=f"GMT quarterly review of caseloads, {figures.quarter}",
    )


def write_gmt_review(
    db: str | Path, quarter: str, policy: Policy, out: str | Path
) -> tuple[QuarterFigures, list[FormulaCell]]:
    """Fill the review for ``quarter`` from the history ``db`` into ``out`` (cached values
    written by the template builder). Returns the figures used and the formula cells written."""
    figures = quarter_month_figures(db, quarter, policy)
    written = save_workbook(gmt_review_spec(figures, policy), out)
    return figures, written
