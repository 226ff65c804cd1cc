"""The team caseload tracker: Workers and Cases tables, the Policy in force, and a Summary of
every worker's weighted caseload (tracker-format.md layout; policy-model.md rules).

Two forms (``functions``):

- ``native`` (the default): the model as ordinary worksheet formulas, the same sheets
  ``caseload attach`` adds to a manager's own tracker (``udfs.native``: Caseload, Case working,
  Sibling groups, Worker working, Problems, Lookups). The Summary shows the Caseload figures
  with their names in words. It computes in any Excel 2019+ or LibreOffice 7.4+, nothing
  installed.
- ``cw``: Summary!A4 holds ``=CW_WORKERS(Workers[#All], Cases[#All], Policy!...)``, a dynamic
  array over the whole tables (rows typed below a table join it) that xlwings or xlwings Lite
  fills; without the functions A4 shows ``#NAME?`` and the status counts "functions not loaded".

In both, unallocated cases by category and team (held by the team manager) are native
``SUMPRODUCT`` formulas, and the model's values are cached, so the book shows numbers before
any recalculation.
"""

from __future__ import annotations

from typing import Any

from openpyxl.utils import get_column_letter

from udfs.functions import CW_WORKERS
from udfs.intake import CASE_FIELDS, WORKER_COLUMNS, RawTable, read_tracker
from udfs.model import RESULT_COLUMNS, RESULT_LABELS, weigh
from udfs.native import CASELOAD, MIN_CASE_ROWS, MIN_WORKER_ROWS, PROBLEMS, native_sheets
from udfs.native_layout import caseload_values, layout_of
from udfs.policy import Policy
from workbook_templates.common import instructions_sheet, policy_ref, policy_sheet
from workbook_templates.spec import Column, Highlight, Sheet, Table, WorkbookSpec, rag_rules

WORKER_ROWS = 199
CASE_ROWS = 1999
SUMMARY_TOP = 4
STATUS_COLOURS = {
    "over": "red",
    "no caseload expected": "amber",
    "incomplete": "grey",
    "under": "amber",
    "within": "green",
}
RESULT_FORMATS = {"fte": "0.00", "weighted": "0.00", "weighted_active": "0.00"}
RESULT_FORMATS |= {"capacity_min": "0.00", "capacity_max": "0.00", "load_pct": "0.0"}


def worker_columns(policy: Policy) -> list[Column]:
    """The Workers table columns with their drop-downs and checks."""
    return [
        Column("worker_id", 11, help="Synthetic or staff number; never a name in shared copies"),
        Column("team", 9, choices=list(policy.teams), help="Team code (Policy sheet)"),
        Column("role", 9, choices=list(policy.roles), help="SW, ASYE, SSW, PS, SPS, TM, IRO, SSWF"),
        Column(
            "fte", 8, "0.00", kind="decimal", minimum=0.01, maximum=1, help="Above 0, at most 1"
        ),
        Column("asye_months", 12, kind="decimal", minimum=0, maximum=120, help="ASYE only"),
        Column("agency", 9, choices=["yes", "no"]),
        Column(
            "reduction_pct", 13, kind="decimal", minimum=0, maximum=100, help="Protected time %"
        ),
    ]


def case_columns(policy: Policy) -> list[Column]:
    """The Cases table columns with their drop-downs and checks."""
    return [
        Column("case_id", 11),
        Column("worker_id", 11, help="Blank: unallocated (held by the team manager)"),
        Column("team", 9, choices=list(policy.teams), help="The team holding the case"),
        Column("family_id", 11, help="Children of one family share it (sibling rule)"),
        Column("category", 10, choices=list(policy.categories)),
        Column("level", 7, choices=["1", "2", "3", "4"], help="Blank: the category's default"),
        Column("status", 17, choices=["active", "awaiting_closure"]),
        Column("distance_miles", 14, kind="decimal", minimum=0, maximum=1000),
        Column("placement_unstable", 18, choices=["yes", "no"]),
        Column("age", 7, kind="whole", minimum=0, maximum=30),
    ]


WORKERS_ALL, CASES_ALL = "Workers[#All]", "Cases[#All]"
"""The Workers and Cases tables, header row included, as the CW_ form's formulas name them."""
NOT_LOADED = "functions not loaded"


def tracker_spec(
    policy: Policy,
    workers_rows: list[list[Any]] | None = None,
    cases_rows: list[list[Any]] | None = None,
    title: str = "Team caseload tracker",
    functions: str = "native",
) -> WorkbookSpec:
    """The tracker for ``policy``; with rows (header first, canonical layout) it is filled in
    and the Summary carries the model's values for them.

    ``functions`` is ``native`` (ordinary formulas, the Caseload sheet ``caseload attach``
    writes) or ``cw`` (the add-in's ``CW_WORKERS``).
    """
    workers_rows = workers_rows or [list(WORKER_COLUMNS)]
    cases_rows = cases_rows or [list(CASE_FIELDS)]
    worker_size = max(WORKER_ROWS, _round_up(len(workers_rows) - 1 + 50))
    case_size = max(CASE_ROWS, _round_up(len(cases_rows) - 1 + 500))
    workers_sheet = Sheet("Workers", freeze="B2", print_title_rows="1:1", tab_colour="FFC000")
    workers_sheet.tables.append(
        Table("Workers", worker_columns(policy), [list(r) for r in workers_rows[1:]], worker_size)
    )
    cases_sheet = Sheet("Cases", freeze="B2", print_title_rows="1:1", tab_colour="FFC000")
    cases_sheet.tables.append(
        Table("Cases", case_columns(policy), [list(r) for r in cases_rows[1:]], case_size)
    )
    if functions == "cw":
        # whole Excel tables: a row typed below a table joins it, and the CW_ call reads it
        summary = _summary(
            policy, workers_rows, cases_rows, WORKERS_ALL, CASES_ALL, worker_size, case_size, title
        )
        instructions = _instructions(policy, WORKERS_ALL, CASES_ALL)
        native, cached = [], {}
    elif functions == "native":
        workers_raw = RawTable.from_rows("Workers", [list(r) for r in workers_rows])
        cases_raw = RawTable.from_rows("Cases", [list(r) for r in cases_rows])
        layout = layout_of(
            workers_raw,
            cases_raw,
            min_workers=max(MIN_WORKER_ROWS, worker_size),
            min_cases=max(MIN_CASE_ROWS, case_size),
        )
        intake = read_tracker(workers_raw, cases_raw, policy)
        weighing = weigh(intake.workers, intake.cases, policy, intake.incomplete_teams)
        values = caseload_values(layout, intake, weighing)
        last = layout.workers.last_row
        summary = _native_summary(policy, values, last, len(intake.rejections), cases_rows,
                                  case_size, title)  # fmt: skip
        instructions = _native_instructions(policy, last, layout.cases.last_row)
        native, cached = native_sheets(policy, layout), {CASELOAD: values}
    else:
        raise ValueError(f"functions must be native or cw, not {functions!r}")
    return WorkbookSpec(
        title=f"{title} ({policy.name})",
        sheets=[
            summary,
            workers_sheet,
            cases_sheet,
            policy_sheet(policy),
            instructions_sheet(title, instructions),
        ],
        native=native,
        native_cached=cached,
    )


def _round_up(rows: int, step: int = 500) -> int:
    return -(-rows // step) * step - 1 if rows > step else rows


def _summary(
    policy: Policy,
    workers_rows: list[list[Any]],
    cases_rows: list[list[Any]],
    workers_ref: str,
    cases_ref: str,
    worker_size: int,
    case_size: int,
    title: str,
) -> Sheet:
    sheet = _summary_sheet(
        policy,
        title,
        "Calculated by CW_WORKERS from the Workers and Cases tables under the policy on the "
        "Policy sheet. Formula cells are locked: type only on Workers and Cases.",
    )
    rules = policy_ref(policy)
    result = CW_WORKERS(workers_rows, cases_rows, policy)
    last_col = get_column_letter(len(RESULT_COLUMNS))
    sheet.put(
        f"A{SUMMARY_TOP}",
        f"=CW_WORKERS({workers_ref},{cases_ref},{rules})",
        array_ref=f"A{SUMMARY_TOP}:{last_col}{SUMMARY_TOP + len(result) - 1}",
        dynamic=True,
        cached=result[0][0],
        spill=result,
        uses_cw=True,
        style="header",
    )
    last_row = SUMMARY_TOP + worker_size
    status_col, breach_col = _result_layout(sheet, last_row)
    _service_panel(sheet, result, status_col, breach_col, last_row, guard=f"$A${SUMMARY_TOP}")
    _unallocated_panel(sheet, policy, cases_rows, case_size)
    return sheet


def _summary_sheet(policy: Policy, title: str, subtitle: str) -> Sheet:
    """The Summary sheet of either form: protected, header row repeated when printed, the title
    naming the policy and a line saying where the figures come from."""
    sheet = Sheet("Summary", freeze=f"B{SUMMARY_TOP + 1}", protect=True, tab_colour="305496")
    sheet.print_title_rows = f"{SUMMARY_TOP}:{SUMMARY_TOP}"
    sheet.put("A1", f"{title} - {policy.title or policy.name}", style="title")
    sheet.put("A2", subtitle, style="subtitle")
    return sheet


def _native_summary(
    policy: Policy,
    values: dict[tuple[int, int], Any],
    caseload_last: int,
    problems: int,
    cases_rows: list[list[Any]],
    case_size: int,
    title: str,
) -> Sheet:
    """The Summary of the native form: the Caseload sheet's figures under headers in words,
    one line per Workers row (Caseload row r is Summary row r + 3), with the status panels."""
    sheet = _summary_sheet(
        policy,
        title,
        "Every figure is an ordinary formula: the Caseload sheet weighs the Workers and Cases "
        "tables under the policy on the Policy sheet (Case working shows each case's weight). "
        "Type only on Workers and Cases; a line left blank is a blank Workers row.",
    )
    sheet.row(f"A{SUMMARY_TOP}", [RESULT_LABELS[n] for n in RESULT_COLUMNS], style="header")
    shift = SUMMARY_TOP - 1
    for r in range(2, caseload_last + 1):
        for c, name in enumerate(RESULT_COLUMNS, start=1):
            letter = get_column_letter(c)
            sheet.put(
                f"{letter}{r + shift}",
                f"={CASELOAD}!{letter}{r}",
                cached=values.get((r, c), ""),
                number_format=RESULT_FORMATS.get(name),
            )
    last_row = caseload_last + shift
    result = [list(RESULT_COLUMNS)] + [
        [values.get((r, c), "") for c in range(1, len(RESULT_COLUMNS) + 1)]
        for r in range(2, caseload_last + 1)
    ]
    filled = [row for row in result[1:] if any(value != "" for value in row)]
    status_col, breach_col = _result_layout(sheet, last_row)
    _service_panel(sheet, result, status_col, breach_col, last_row, uses_cw=False)
    row = 5 + 6
    sheet.put(f"O{row}", "rows that could not be read")
    sheet.put(
        f"P{row}",
        f"={PROBLEMS}!$I$2",
        style="formula",
        cached=problems,
        comment="Each is listed on the Problems sheet: sheet, row, column and reason.",
    )
    _unallocated_panel(sheet, policy, cases_rows, case_size)
    sheet.widths["A"] = 12
    sheet.widths["O"] = 27
    sheet.heights[SUMMARY_TOP] = 45  # the headers in words wrap onto three lines
    # print the per-worker table: the rows in use and some to spare, not the whole headroom
    in_use = SUMMARY_TOP + max(len(filled) + 20, 40)
    sheet.print_area = f"A1:{get_column_letter(len(RESULT_COLUMNS))}{min(in_use, last_row)}"
    return sheet


def _result_layout(sheet: Sheet, last_row: int) -> tuple[str, str]:
    """Widths, number formats and status colours of the per-worker table; the status and
    breaches column letters."""
    for offset, name in enumerate(RESULT_COLUMNS, start=1):
        letter = get_column_letter(offset)
        sheet.widths[letter] = 26 if name == "breaches" else (20 if name == "status" else 11)
        if name in RESULT_FORMATS:
            sheet.formats[f"{letter}{SUMMARY_TOP + 1}:{letter}{last_row}"] = RESULT_FORMATS[name]
    status_col = get_column_letter(RESULT_COLUMNS.index("status") + 1)
    breach_col = get_column_letter(RESULT_COLUMNS.index("breaches") + 1)
    sheet.highlights += rag_rules(
        f"{status_col}{SUMMARY_TOP + 1}:{status_col}{last_row}",
        f"${status_col}{SUMMARY_TOP + 1}",
        STATUS_COLOURS,
    )
    sheet.highlights.append(
        Highlight(
            f"{breach_col}{SUMMARY_TOP + 1}:{breach_col}{last_row}",
            f"LEN(${breach_col}{SUMMARY_TOP + 1})>0",
            "red",
        )
    )
    return status_col, breach_col


def _service_panel(
    sheet: Sheet,
    result: list[list[Any]],
    status_col: str,
    breach_col: str,
    last_row: int,
    uses_cw: bool = True,
    guard: str | None = None,
) -> None:
    """Counts of workers by status and with a cap breached, over the per-worker table.

    With ``guard`` (the cell of the CW_WORKERS call) a count is never a silent 0 when the call
    fails: "functions not loaded" where the CW_ functions are missing (#NAME?), the call's own
    error otherwise (#VALUE!, #SPILL! ...)."""

    def guarded(formula: str) -> str:
        if guard is None:
            return f"={formula}"
        return f'=IF(ISERROR({guard}),IF(ERROR.TYPE({guard})=5,"{NOT_LOADED}",{guard}),{formula})'

    body = result[1:]
    status = RESULT_COLUMNS.index("status")
    first = SUMMARY_TOP + 1
    sheet.put("O3", "Workers by status", style="label")
    sheet.row("O4", ["status", "workers"], style="header")
    labels = ["over", "within", "under", "no caseload expected", "incomplete"]
    for offset, label in enumerate(labels, start=5):
        sheet.put(f"O{offset}", label)
        sheet.put(
            f"P{offset}",
            guarded(f"COUNTIF(${status_col}${first}:${status_col}${last_row},O{offset})"),
            style="formula",
            cached=sum(1 for row in body if row[status] == label),
            uses_cw=uses_cw,
        )
    row = 5 + len(labels)
    sheet.put(f"O{row}", "with a cap breached")
    sheet.put(
        f"P{row}",
        guarded(f'COUNTIF(${breach_col}${first}:${breach_col}${last_row},"?*")'),
        style="formula",
        cached=sum(1 for r in body if r[RESULT_COLUMNS.index("breaches")]),
        uses_cw=uses_cw,
    )
    sheet.highlights += rag_rules(f"O5:O{4 + len(labels)}", "$O5", STATUS_COLOURS)
    sheet.widths.update({"N": 3, "O": 22, "P": 10})


def _unallocated_panel(
    sheet: Sheet, policy: Policy, cases_rows: list[list[Any]], case_size: int
) -> None:
    """Unallocated cases by category and team: native SUMPRODUCT over the Cases table."""
    teams = list(policy.teams)
    top = 14
    sheet.put(f"O{top}", "Unallocated cases (held by the team manager)", style="label")
    sheet.row(f"O{top + 1}", ["category", *teams, "total"], style="header")
    last = case_size + 1
    worker = f"Cases!$B$2:$B${last}"
    team = f"Cases!$C$2:$C${last}"
    category = f"Cases!$E$2:$E${last}"
    open_cases = [row for row in cases_rows[1:] if row[1] is None or str(row[1]).strip() == ""]
    total_col = get_column_letter(16 + len(teams))
    for r, code in enumerate(policy.categories, start=top + 2):
        sheet.put(f"O{r}", code)
        for c, team_code in enumerate(teams, start=16):
            letter = get_column_letter(c)
            sheet.put(
                f"{letter}{r}",
                f"=SUMPRODUCT(({category}=$O{r})*({team}={letter}${top + 1})"
                f"*(LEN(TRIM({worker}))=0))",
                style="formula",
                cached=sum(
                    1 for row in open_cases if _code(row[4]) == code and _code(row[2]) == team_code
                ),
            )
        sheet.put(
            f"{total_col}{r}",
            f"=SUM(P{r}:{get_column_letter(15 + len(teams))}{r})",
            style="formula",
            cached=sum(1 for row in open_cases if _code(row[4]) == code),
        )
    total_row = top + 2 + len(policy.categories)
    sheet.put(f"O{total_row}", "total", style="label")
    for c in range(16, 17 + len(teams)):
        letter = get_column_letter(c)
        team_code = teams[c - 16] if c - 16 < len(teams) else None
        sheet.put(
            f"{letter}{total_row}",
            f"=SUM({letter}{top + 2}:{letter}{total_row - 1})",
            style="formula",
            cached=sum(1 for row in open_cases if team_code is None or _code(row[2]) == team_code),
        )
    for c in range(16, 17 + len(teams)):
        sheet.widths.setdefault(get_column_letter(c), 7)


def _code(value: Any) -> str:
    return "" if value is None else str(value).strip().upper()


def _instructions(policy: Policy, workers_ref: str, cases_ref: str) -> list[str]:
    return [
        "# What this workbook is",
        "A team caseload tracker for children's social care. Type workers on the Workers sheet "
        "and cases on the Cases sheet (one row per child). The Summary sheet weighs every "
        f"caseload under the policy on the Policy sheet ({policy.title or policy.name}).",
        "# Workers",
        "worker_id, team, role and fte are required. asye_months only for ASYE workers "
        "(months into the assessed year). agency yes/no. reduction_pct: protected time agreed "
        "(training, union duties, phased return), 0-100.",
        "# Cases",
        "case_id, worker_id and category are required; leave worker_id blank for an unallocated "
        "case and put the team that holds it in team. Children of one family share a family_id "
        "(the sibling rule). level 1-4 (blank: the category's default). status active or "
        "awaiting_closure. distance_miles and placement_unstable for looked-after children and "
        "proceedings; age for leaving care.",
        "# Summary",
        f"Summary!A4 is =CW_WORKERS({workers_ref},{cases_ref},{policy_ref(policy)}): one row "
        "per worker with children, families, weighted caseload, capacity, load %, status "
        "(over / within / under / no caseload expected / incomplete) and hard caps breached. "
        "Red: over maximum or a cap breached; amber: under the range or holding cases with no "
        "capacity; grey: a row could not be read (use =CW_REJECTIONS(...) to see why).",
        "The unallocated panel counts cases with no worker by category and team, with ordinary "
        "spreadsheet formulas.",
        "# Add-in",
        "The CW_ functions come from the caseload weighting add-in (xlwings on Windows, or "
        "xlwings Lite). Without them Summary!A4 shows #NAME? and the counts of workers by "
        f'status show "{NOT_LOADED}" instead of numbers.',
        "# Protection",
        "Summary and Policy are protected without a password so a typed value cannot silently "
        "replace a formula. Review > Unprotect Sheet to change them on purpose.",
        "# Size",
        "The Summary reads the whole Workers and Cases tables (Workers[#All], Cases[#All]): "
        "a row typed directly below a table joins it and is counted.",
    ]


def _native_instructions(policy: Policy, worker_last: int, case_last: int) -> list[str]:
    return [
        "# What this workbook is",
        "A team caseload tracker for children's social care. Type workers on the Workers sheet "
        "and cases on the Cases sheet (one row per child). The Summary sheet shows every "
        "worker's weighted caseload under the policy on the Policy sheet "
        f"({policy.title or policy.name}). "
        "Every figure is an ordinary spreadsheet formula: nothing to install, no macros.",
        *_instructions(policy, "", "")[2:6],
        "# Summary and Caseload",
        "The Caseload sheet holds one line per Workers row (row 1: worker_id, team, role, fte, "
        "children, families, weighted, weighted_active, capacity_min, capacity_max, load_pct, "
        "status, breaches, the names other tools read); the Summary shows the same figures "
        "with their names in words. Red: over the top of the range or a hard cap breached; "
        "amber: under the range, or holding cases with no capacity; grey: incomplete, a row "
        "of this worker's could not be read.",
        "# Why a case weighs what it weighs",
        "Case working has one line per Cases row: the category and status as read, the level, "
        "the base weight, placement modifiers, the awaiting-closure factor, the sibling factor "
        "and the weight counted. Sibling groups and Worker working hold the sums, the capacity "
        "and the caps. Problems lists every row the rules reject (sheet, row, column, reason).",
        "# Policy",
        "Every weight, range and cap is read from the key/value table on the Policy sheet. "
        "Change a value there (unprotect the sheet first: a decision for GMT) and every figure "
        "follows.",
        "# Size",
        f"The formulas read Workers rows 2-{worker_last} and Cases rows 2-{case_last}: add rows "
        "up to there and they are counted.",
        "# Protection",
        "Summary and Policy are protected without a password so a typed value cannot silently "
        "replace a formula. Review > Unprotect Sheet to change them on purpose.",
    ]
