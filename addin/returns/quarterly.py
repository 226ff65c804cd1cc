"""The quarterly workload-pressure report from the monthly history (policy-model.md s5).

Per team and the service, as at the quarter's latest stored month: children and families,
case-holding FTE, average and weighted caseload per FTE against the team range and the service
aim, workers over maximum and over for more than ``policy.escalate_after_months`` consecutive
months, unallocated cases by category, agency and ASYE headcount; then the figures of the
Stockton-on-Tees Cabinet report, Children's Workload Pressures (1 December 2011): children on
child protection plans, looked-after children and cases held by team managers. A figure our
data cannot give (an average with no case-holding FTE; referrals per month, assessments
completed, supernumerary agency staff; case figures of a month stored before they were kept)
is ``not available``, never 0. Written as an xlsx with native charts and as a CSV.
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd
from openpyxl import Workbook
from openpyxl.chart import BarChart, LineChart, Reference
from openpyxl.styles import Font

from addin.outputs import NUMBER_FORMATS, atomic_output, cell_value, inert, plain_value, text_cell
from addin.returns.history import (
    CASE_FIGURES,
    HistoryError,
    month_team_figures,
    months,
    quarter_months,
    team_case_history,
    team_history,
)
from udfs.policy import Policy
from udfs.teams import SERVICE

NOT_AVAILABLE = "not available"
TREND_COLUMNS = [
    "month",
    "children",
    "children_per_fte",
    "weighted_per_fte",
    "workers_over",
    "unallocated",
]
# Stockton-on-Tees report figures our data does not hold: present in the report, always
# ``not available``.
NOT_IN_OUR_DATA = ("referrals_per_month", "assessments_completed", "supernumerary_agency_staff")


def quarter_figures(db: str | Path, quarter: str, policy: Policy) -> tuple[str, pd.DataFrame]:
    """(month, team table) for the quarter's latest stored month; ``workers_over_long`` counts
    workers over for more than ``policy.escalate_after_months`` consecutive months. After the
    team table's columns: ``CASE_FIGURES`` (None, shown ``not available``, for a month stored
    without them) and ``NOT_IN_OUR_DATA`` (always ``not available``)."""
    stored = [m for m in quarter_months(quarter) if m in set(months(db))]
    if not stored:
        raise HistoryError(f"no snapshot in the history for any month of {quarter}")
    month = stored[-1]
    table = month_team_figures(db, month, policy)
    table.insert(0, "month", month)
    cases = team_case_history(db, month).set_index("team")
    for name in CASE_FIGURES:
        found = table["team"].map(cases[name])
        table[name] = pd.Series(
            [None if pd.isna(v) else int(v) for v in found], index=table.index, dtype=object
        )
    for name in NOT_IN_OUR_DATA:
        table[name] = NOT_AVAILABLE
    return month, table


def quarter_trend(db: str | Path, quarter: str) -> pd.DataFrame:
    """The service row of each stored month of the quarter (for the trend chart)."""
    rows = []
    for month in quarter_months(quarter):
        if month not in set(months(db)):
            continue
        table = team_history(db, month)
        service = table[table["team"] == SERVICE].iloc[0]
        rows.append({"month": month, **{c: service[c] for c in TREND_COLUMNS[1:]}})
    return pd.DataFrame(rows, columns=TREND_COLUMNS)


def _shown(value: object) -> object:
    plain = plain_value(value)
    return NOT_AVAILABLE if plain is None else plain


def write_report_csv(table: pd.DataFrame, out: Path) -> None:
    """The team table as CSV (full precision; ``not available`` for missing figures)."""
    shown = table.map(_shown).map(inert)
    shown["range_min"] = [
        "" if t == SERVICE else v for t, v in zip(table["team"], shown["range_min"], strict=True)
    ]
    shown["range_max"] = [
        "" if t == SERVICE else v for t, v in zip(table["team"], shown["range_max"], strict=True)
    ]
    with atomic_output(out) as temporary:
        shown.to_csv(temporary, index=False, lineterminator="\n")


def write_report_xlsx(table: pd.DataFrame, trend: pd.DataFrame, out: Path, quarter: str) -> None:
    """Sheets ``Teams`` (with a bar chart of caseload per FTE against range and aim) and
    ``Trend`` (a line chart of the service's caseload per FTE by month)."""
    book = Workbook()
    sheet = book.active
    sheet.title = "Teams"
    _fill(sheet, table)
    n = len(table)
    teams_only = max(n - 1, 1)  # the SERVICE row is last
    columns = list(table.columns)
    chart = BarChart()
    chart.title = f"Caseload per FTE by team, {quarter}"
    chart.y_axis.title = "children per FTE"
    for name in ("children_per_fte", "weighted_per_fte", "range_max", "service_aim"):
        col = columns.index(name) + 1
        chart.add_data(
            Reference(sheet, min_col=col, min_row=1, max_row=1 + teams_only), titles_from_data=True
        )
    team_col = columns.index("team") + 1
    chart.set_categories(Reference(sheet, min_col=team_col, min_row=2, max_row=1 + teams_only))
    chart.width, chart.height = 24, 12
    sheet.add_chart(chart, f"A{n + 4}")
    trend_sheet = book.create_sheet("Trend")
    _fill(trend_sheet, trend)
    if len(trend):
        line = LineChart()
        line.title = f"Service caseload per FTE by month, {quarter}"
        for name in ("children_per_fte", "weighted_per_fte"):
            col = TREND_COLUMNS.index(name) + 1
            line.add_data(
                Reference(trend_sheet, min_col=col, min_row=1, max_row=1 + len(trend)),
                titles_from_data=True,
            )
        line.set_categories(Reference(trend_sheet, min_col=1, min_row=2, max_row=1 + len(trend)))
        trend_sheet.add_chart(line, f"A{len(trend) + 4}")
    with atomic_output(out) as temporary:
        book.save(temporary)


def _fill(sheet, frame: pd.DataFrame) -> None:
    sheet.append([cell_value(str(c)) for c in frame.columns])
    for cell in sheet[1]:
        text_cell(cell).font = Font(bold=True)
    formats = [NUMBER_FORMATS.get(str(c)) for c in frame.columns]
    for row in frame.itertuples(index=False):
        sheet.append([cell_value(_shown(v) if not isinstance(v, str) else v) for v in row])
        for cell, number_format in zip(sheet[sheet.max_row], formats, strict=True):
            if number_format and isinstance(cell.value, float):
                cell.number_format = number_format
            text_cell(cell)  # text, never a formula
    sheet.freeze_panes = "A2"
