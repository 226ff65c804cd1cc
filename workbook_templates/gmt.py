"""The GMT quarterly review (Gateshead Children's Social Work Caseload Policy, section 5.6;
Stockton-on-Tees Cabinet report, Children's Workload Pressures, 1 December 2011).

``Data`` holds each month's team figures as ``CW_TEAMS`` gives them (paste its result as values
at each month end, or type them). ``Review`` shows, per team and for the service, for each month
of the quarter: children per FTE and weighted per FTE against the team range and the service
aim, workers over maximum and over for more than the policy's months, unallocated cases by the
reporting group of their category (child protection, looked after, child in need, other: the
policy's ``group`` of each category), agency and ASYE headcount, and the teams above the service
average that need GMT agreement. All of it is native formulas (SUMIFS on Data, VLOOKUP on the
Policy table), with native charts of average caseload by team against its range and of the
trend over the quarter. A month of the quarter with no row in Data shows ``not available``
(never 0) beside its month and in every figure of its block, and the charts read a copy of
their tables where such a figure is ``NA()``: a gap in the line, never a point at 0.
"""

from __future__ import annotations

from datetime import date
from typing import Any

import pandas as pd
from openpyxl.utils import get_column_letter
from openpyxl.utils.cell import column_index_from_string, range_boundaries

from udfs.capacity import team_range
from udfs.policy import Policy
from udfs.teams import SERVICE, team_columns
from workbook_templates.common import instructions_sheet, lookup, policy_sheet
from workbook_templates.spec import Chart, Column, Highlight, Sheet, Table, WorkbookSpec, rag_rules

GMT_AGREEMENT = "GMT agreement needed"
NOT_AVAILABLE = "not available"
CHART_DATA_NOTE = "Chart data (#N/A: no figures that month, a gap in the chart)"
DATA_ROWS = 120
REVIEW_HEADERS = [
    "team",
    "workers",
    "case-holding FTE",
    "children",
    "children per FTE",
    "weighted per FTE",
    "range min",
    "range max",
    "children per FTE vs range",
    "service aim",
    "vs service aim",
    "workers over maximum",
    "over for more than {n} months",
    "unallocated child protection",
    "unallocated looked after",
    "unallocated child in need",
    "unallocated other",
    "agency",
    "ASYE",
    "above service average",
    "weighted (wu)",
]


def data_columns(policy: Policy) -> list[str]:
    """Columns of the Data table: month, then CW_TEAMS's columns."""
    return ["month", *team_columns(policy)]


def gmt_spec(
    policy: Policy,
    months: list[date] | None = None,
    figures: list[pd.DataFrame | None] | None = None,
    title: str = "GMT quarterly review of caseloads",
) -> WorkbookSpec:
    """The review for ``policy``; ``figures`` are each month's ``team_figures`` (CW_TEAMS),
    one per month of ``months``; ``None`` for a month with no figures (its block shows
    ``not available``)."""
    months = list(months or [])
    figures = list(figures or [])
    data = _data_sheet(policy, months, figures)
    review = _review_sheet(policy, months, figures, title)
    return WorkbookSpec(
        title=f"{title} ({policy.name})",
        sheets=[
            review,
            data,
            policy_sheet(policy),
            instructions_sheet(title, _instructions(policy)),
        ],
    )


def _data_sheet(policy: Policy, months: list[date], figures: list[pd.DataFrame | None]) -> Sheet:
    names = data_columns(policy)
    rows: list[list[Any]] = []
    for month, frame in zip(months, figures, strict=True):
        if frame is None:
            continue
        for record in frame.to_dict("records"):
            rows.append([month, *[_value(record.get(name)) for name in names[1:]]])
    sheet = Sheet("Data", freeze="C2", tab_colour="FFC000")
    columns = [
        Column(name, 11 if name != "month" else 12, "mmm yyyy" if name == "month" else None)
        for name in names
    ]
    sheet.tables.append(Table("TeamMonths", columns, rows, max(DATA_ROWS, len(rows) + 40)))
    return sheet


def _value(value: Any) -> Any:
    if isinstance(value, float) and value != value:  # NaN
        return None
    if hasattr(value, "item"):
        return value.item()
    return value


def _review_sheet(
    policy: Policy, months: list[date], figures: list[pd.DataFrame | None], title: str
) -> Sheet:
    sheet = Sheet("Review", freeze="B4", protect=True, tab_colour="305496")
    sheet.put("A1", title, style="title")
    sheet.put(
        "A2",
        "From the Data sheet (CW_TEAMS each month) and the Policy sheet. Teams whose children "
        "per FTE exceed the service average need GMT agreement "
        "(Gateshead Children's Social Work Caseload Policy, section 5.6).",
        style="subtitle",
    )
    sheet.put("A3", "quarter starting", style="label")
    first = months[0] if months else None
    sheet.put("C3", first, style="input", locked=False, number_format="mmm yyyy")
    names = data_columns(policy)
    data_last = max(DATA_ROWS, sum(len(f) for f in figures if f is not None) + 40) + 1
    data = {
        name: f"Data!${get_column_letter(i + 1)}$2:${get_column_letter(i + 1)}${data_last}"
        for i, name in enumerate(names)
    }
    teams = list(policy.teams)
    block = len(teams) + 4
    sheet.widths.update({"A": 12, "B": 12})
    for i in range(2, len(REVIEW_HEADERS)):
        sheet.widths[get_column_letter(i + 1)] = 12  # wide enough for "not available"
    sheet.widths["I"] = 15
    sheet.widths["T"] = 22
    trend_rows: list[int] = []
    for m in range(3):
        top = 5 + m * block
        month_cell = f"$B${top}"
        frame = figures[m] if m < len(figures) else None
        month_value = months[m] if m < len(months) else None
        sheet.put(f"A{top}", "month", style="label")
        formula = '=IF($C$3="","",$C$3)' if m == 0 else f'=IF($C$3="","",EDATE($C$3,{m}))'
        sheet.put(
            f"B{top}",
            formula,
            style="formula",
            number_format="mmm yyyy",
            cached=month_value if month_value else "",
        )
        # "not available" when a month is given and Data has no row of it, else ""
        missing = bool(month_value) and frame is None
        sheet.put(
            f"C{top}",
            f'=IF(N({month_cell})=0,"",IF(COUNTIF({data["month"]},{month_cell})=0,'
            f'"{NOT_AVAILABLE}",""))',
            style="flag",
            cached=NOT_AVAILABLE if missing else "",
        )
        header = [h.format(n=policy.escalate_after_months) for h in REVIEW_HEADERS]
        sheet.row(f"A{top + 1}", header, style="header")
        sheet.heights[top + 1] = 45  # headers in words wrap onto three lines
        rows = _block(sheet, policy, teams, top + 2, month_cell, data, frame, f"$C${top}", missing)
        trend_rows.append(rows)
        last = top + 2 + len(teams)
        sheet.highlights += rag_rules(
            f"I{top + 2}:I{last}",
            f"$I{top + 2}",
            {"above range": "red", "below range": "amber", "within range": "green"},
        )
        sheet.highlights += rag_rules(f"K{top + 2}:K{last}", f"$K{top + 2}", {"above aim": "red"})
        sheet.highlights.append(Highlight(f"T{top + 2}:T{last}", f"LEN($T{top + 2})>0", "red"))
    _trend(sheet, teams, block, months, figures)
    latest = 5 + 2 * block
    bar_top = 5 + 3 * block + 2 * (len(teams) + 4) + 2
    sheet.put(f"AB{bar_top - 1}", f"{CHART_DATA_NOTE}: last month of the quarter", style="note")
    for offset, letter in enumerate("AEFGH"):
        sheet.put(f"{get_column_letter(28 + offset)}{bar_top}", f"={letter}{latest + 1}",
                  style="header", cached=sheet.cells[f"{letter}{latest + 1}"].value)  # fmt: skip
    _chart_data(sheet, f"A{latest + 2}:H{latest + 1 + len(teams)}", "AB", bar_top + 1, "AEFGH")
    last = bar_top + len(teams)
    # the review prints; the charts' data beside it (from column W) does not
    sheet.print_area = f"A1:{get_column_letter(len(REVIEW_HEADERS))}{bar_top + 30}"
    sheet.charts.append(
        Chart(
            kind="bar",
            title="Children per FTE by team against its range (last month of the quarter)",
            anchor=f"A{5 + 3 * block + len(teams) * 2 + 8}",
            sheet="Review",
            categories=f"AB{bar_top + 1}:AB{last}",
            series=[
                ("children per FTE", f"AC{bar_top + 1}:AC{last}"),
                ("weighted per FTE", f"AD{bar_top + 1}:AD{last}"),
            ],
            line_series=[
                ("range min", f"AE{bar_top + 1}:AE{last}"),
                ("range max", f"AF{bar_top + 1}:AF{last}"),
            ],
            y_title="per FTE",
            width=24,
            height=10,
        )
    )
    return sheet


def _block(
    sheet: Sheet,
    policy: Policy,
    teams: list[str],
    first: int,
    month_cell: str,
    data: dict[str, str],
    frame: pd.DataFrame | None,
    flag: str,
    missing: bool,
) -> int:
    """Team rows then the service row; returns the service row number.

    ``flag`` is the block's availability cell: when it holds ``not available`` every figure
    shows that text (the comparisons and the GMT flag stay blank) instead of a 0 from SUMIFS.
    ``missing``: the month is given and has no figures (cached values ``not available``).
    """
    service = first + len(teams)
    records = {} if frame is None else {r["team"]: r for r in frame.to_dict("records")}

    def guard(formula: str, blank: bool = False) -> str:
        shown = '""' if blank else flag
        return f'IF({flag}<>"",{shown},{formula})'

    def put(ref: str, formula: str, cached: Any, blank: bool = False, **options: Any) -> None:
        if missing:
            cached = "" if blank else NOT_AVAILABLE
        sheet.put(ref, "=" + guard(formula, blank), cached=cached, **options)

    def pick(name: str) -> str:
        return f"SUMIFS({data[name]},{data['month']},{month_cell},{data['team']},$A{{r}})"

    cached_rows: list[dict[str, Any]] = []
    for offset, code in enumerate(teams):
        r = first + offset
        rec = records.get(code, {})
        fte = float(rec.get("case_holding_fte", 0) or 0)
        children = float(rec.get("children", 0) or 0)
        wpf = rec.get("weighted_per_fte")
        wpf = None if wpf is None or wpf != wpf else float(wpf)
        low, high = team_range(code, policy)
        cpf = children / fte if fte > 0 else ""

        def unallocated(group: str, rec: dict[str, Any] = rec) -> tuple[str, int]:
            codes = policy.categories_in(group)
            formula = "+".join(pick(f"unallocated_{c}") for c in codes) or "0"
            return formula, sum(int(rec.get(f"unallocated_{c}", 0) or 0) for c in codes)

        values = {
            "B": (pick("workers"), int(rec.get("workers", 0) or 0)),
            "C": (pick("case_holding_fte"), fte),
            "D": (pick("children"), children),
            "E": (f'IF(C{r}=0,"",D{r}/C{r})', cpf),
            "F": (
                f'IF(C{r}=0,"",{pick("weighted_per_fte")})',
                wpf if fte > 0 and wpf is not None else ("" if fte == 0 else 0.0),
            ),
            "G": (lookup(policy, f'"teams."&$A{r}&".min"'), low),
            "H": (lookup(policy, f'"teams."&$A{r}&".max"'), high),
            "I": (
                f'IF(E{r}="","",IF(E{r}>H{r},"above range",'
                f'IF(E{r}<G{r},"below range","within range")))',
                ""
                if cpf == ""
                else (
                    "above range"
                    if cpf > high
                    else ("below range" if cpf < low else "within range")
                ),
            ),
            "J": (lookup(policy, '"service_aim"'), policy.service_aim),
            "K": (
                f'IF(E{r}="","",IF(E{r}>J{r},"above aim",""))',
                "" if cpf == "" else ("above aim" if cpf > policy.service_aim else ""),
            ),
            "L": (pick("workers_over"), int(rec.get("workers_over", 0) or 0)),
            "M": (pick("workers_over_long"), _int(rec.get("workers_over_long"))),
            "N": unallocated("child_protection"),
            "O": unallocated("looked_after"),
            "P": unallocated("child_in_need"),
            "Q": (f"{pick('unallocated')}-N{r}-O{r}-P{r}", unallocated("other")[1]),
            "R": (pick("agency"), int(rec.get("agency", 0) or 0)),
            "S": (pick("asye"), int(rec.get("asye", 0) or 0)),
            "U": (f"IF(C{r}=0,0,F{r}*C{r})", (wpf or 0.0) * fte if fte > 0 else 0),
        }
        sheet.put(f"A{r}", code, style="label")
        for letter, (formula, cached) in values.items():
            formula = formula.replace("{r}", str(r))
            if letter in "GHJ":  # the policy's range and aim: known whatever the month
                sheet.put(
                    f"{letter}{r}",
                    "=" + formula,
                    style="formula",
                    cached=cached,
                    number_format=_fmt(letter),
                )
            else:
                put(
                    f"{letter}{r}",
                    formula,
                    cached,
                    blank=letter in "IK",
                    style="formula",
                    number_format=_fmt(letter),
                )
        cached_rows.append({k: v[1] for k, v in values.items()})
    # the service row: native totals of the team rows
    span = lambda col: f"{col}{first}:{col}{service - 1}"  # noqa: E731
    totals = {col: sum(float(row[col] or 0) for row in cached_rows) for col in "BCDLMNOPQRSU"}
    service_cpf = totals["D"] / totals["C"] if totals["C"] > 0 else ""
    service_wpf = totals["U"] / totals["C"] if totals["C"] > 0 else ""
    sheet.put(f"A{service}", SERVICE, style="label")
    for col in "BCDLMNOPQRSU":
        put(
            f"{col}{service}",
            f"SUM({span(col)})",
            totals[col],
            style="formula",
            number_format=_fmt(col),
        )
    put(
        f"E{service}",
        f'IF(C{service}=0,"",D{service}/C{service})',
        service_cpf,
        style="formula",
        number_format="0.0",
    )
    put(
        f"F{service}",
        f'IF(C{service}=0,"",U{service}/C{service})',
        service_wpf,
        style="formula",
        number_format="0.0",
    )
    sheet.put(
        f"J{service}",
        f"={lookup(policy, chr(34) + 'service_aim' + chr(34))}",
        style="formula",
        cached=policy.service_aim,
    )
    put(
        f"K{service}",
        f'IF(E{service}="","",IF(E{service}>J{service},"above aim",""))',
        "" if service_cpf == "" else ("above aim" if service_cpf > policy.service_aim else ""),
        blank=True,
        style="formula",
    )
    for offset, row in enumerate(cached_rows):
        r = first + offset
        above = row["E"] != "" and service_cpf != "" and row["E"] > service_cpf
        put(
            f"T{r}",
            f'IF(OR(E{r}="",$E${service}=""),"",IF(E{r}>$E${service},"{GMT_AGREEMENT}",""))',
            GMT_AGREEMENT if above else "",
            blank=True,
            style="flag",
        )
    return service


def _int(value: Any) -> int:
    if value is None or (isinstance(value, float) and value != value):
        return 0
    return int(value)


def _fmt(letter: str) -> str | None:
    return {"C": "0.00", "E": "0.0", "F": "0.0", "U": "0.00"}.get(letter)


def _trend(
    sheet: Sheet, teams: list[str], block: int, months: list[date], figures: list[pd.DataFrame]
) -> None:
    """Team x month tables of children and weighted per FTE (references into the blocks),
    with a line chart of the trend over the quarter."""
    top = 5 + 3 * block
    for part, (label, col) in enumerate([("children per FTE", "E"), ("weighted per FTE", "F")]):
        start = top + part * (len(teams) + 4)
        sheet.put(f"A{start}", f"Trend over the quarter: {label}", style="label")
        sheet.put(f"A{start + 1}", "team", style="header")
        for m in range(3):
            letter = get_column_letter(2 + m)
            month_row = 5 + m * block
            sheet.put(
                f"{letter}{start + 1}",
                f'=TEXT($B${month_row},"mmm yyyy")',
                style="header",
                cached=months[m].strftime("%b %Y") if m < len(months) else "",
            )
        for offset, code in enumerate(teams + [SERVICE]):
            r = start + 2 + offset
            sheet.put(f"A{r}", code)
            for m in range(3):
                letter = get_column_letter(2 + m)
                source = sheet.cells[f"{col}{5 + m * block + 2 + offset}"]
                sheet.put(
                    f"{letter}{r}",
                    f"={col}{5 + m * block + 2 + offset}",
                    style="formula",
                    cached=source.cached,
                    number_format="0.0",
                )
        if part == 0:
            sheet.put(f"W{start}", CHART_DATA_NOTE, style="note")
            _chart_data(sheet, f"A{start + 1}:D{start + 2 + len(teams)}", "W", start + 1)
            chart = Chart(
                kind="line",
                title="Children per FTE over the quarter",
                anchor=f"F{start}",
                sheet="Review",
                categories=f"X{start + 1}:Z{start + 1}",
                series=[],
                y_title="children per FTE",
                width=18,
                height=9,
            )
            chart.series = [
                (code, f"X{start + 2 + i}:Z{start + 2 + i}")
                for i, code in enumerate(teams + [SERVICE])
            ]
            sheet.charts.append(chart)


def _chart_data(
    sheet: Sheet, source: str, column: str, top: int, letters: str | None = None
) -> None:
    """A copy of a table for a chart to read, from ``column``/``top``: a figure that is not a
    number (a month with no figures shows ``not available``) becomes ``NA()``, a gap in the
    chart, never a 0. The first column (labels) and, without ``letters``, the first row
    (headers) are copied as text; ``letters`` picks the source's columns (labels first).
    """
    first_col, first_row, last_col, last_row = range_boundaries(source)
    picked = [column_index_from_string(x) for x in letters] if letters else None
    picked = picked or list(range(first_col, last_col + 1))
    start = column_index_from_string(column)
    for r_offset, row in enumerate(range(first_row, last_row + 1)):
        for c_offset, col in enumerate(picked):
            ref = f"{get_column_letter(col)}{row}"
            target = f"{get_column_letter(start + c_offset)}{top + r_offset}"
            cell = sheet.cells.get(ref)
            cached = None if cell is None else (cell.cached if cell.is_formula else cell.value)
            if c_offset == 0 or (letters is None and r_offset == 0):
                sheet.put(target, f'={ref}&""', style="note", cached=str(cached or ""))
                continue
            number = isinstance(cached, int | float) and not isinstance(cached, bool)
            sheet.put(
                target,
                f"=IF(ISNUMBER({ref}),{ref},NA())",
                style="note",
                number_format="0.0",
                cached=cached if number else "#N/A",
            )


def _instructions(policy: Policy) -> list[str]:
    return [
        "# What GMT reviews each quarter",
        "Average caseloads of social workers by team "
        "(Gateshead Children's Social Work Caseload Policy, section 5.6) and the workload "
        "pressures councillors receive quarterly "
        "(Stockton-on-Tees Cabinet report, Children's Workload Pressures, 1 December 2011): "
        "per team and for the "
        "service, for each month of the quarter.",
        "# Filling it in",
        "Business support can fill the whole review from the trackers: `caseload snapshot` at "
        "each month end, then `caseload review gmt --quarter`. By hand: at each month end, paste "
        "the month's team figures as values into the Data table, with the month in the first "
        "column: =CW_TEAMS(Workers[#All], Cases[#All], Policy!A1:B140) in the add-in form of the "
        "tracker, or type them. Put the quarter's first month at the top of Review.",
        "# Reading it",
        "Children per FTE is measured against the team's range and the service aim "
        f"({policy.service_aim:g}); weighted per FTE is beside it. Workers over for more than "
        f"{policy.escalate_after_months} months are those who should already have been escalated. "
        "A team above the service average is flagged: GMT agreement needed.",
        "Unallocated cases are those held by team managers, by the reporting group of their "
        "category on the Policy sheet (categories.<code>.group): child protection, looked after "
        "(care proceedings included), child in need, other.",
        "A month with no row in Data shows 'not available' beside its month and in each "
        "figure: not yet pasted, or no snapshot of it in the monthly history.",
        "# Protection",
        "Review and Policy are protected without a password; only the quarter cell and the Data "
        "table take typing.",
    ]
