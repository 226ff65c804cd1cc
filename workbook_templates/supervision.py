"""The monthly supervision record (Gateshead Children's Social Work Caseload Policy,
section 5, responsibilities 1-5): one workbook per worker,
one row per month.

Each row holds the caseload analysis at that supervision (from the tracker or typed), time for
direct work, other demands, any allocation above maximum and its recorded reason, the
reprioritisation agreed, the review date, and who recorded it when. Native formulas give load,
status, the missing-reason flag, consecutive months over maximum and the escalation action
(more than the policy's 3 months), so they work in any spreadsheet. What needs the policy (the
worker's range and capacity) is, with ``functions="native"`` (the default), the model's own
capacity steps written as formulas (``udfs.native``) over a Lookups sheet that reads the Policy
sheet; with ``functions="cw"``, the add-in's CW_RANGE and CW_CAPACITY.
"""

from __future__ import annotations

from datetime import date
from typing import Any

import numpy as np
import pandas as pd

from udfs.capacity import capacities, team_ranges
from udfs.escalation import escalation, months_over
from udfs.intake import cell_text
from udfs.native import (
    capacity,
    code_position,
    experience_factor,
    lookups_sheet,
    normalised_code,
    number,
    range_bound,
)
from udfs.native import code_key as native_code
from udfs.policy import Policy
from udfs.status import worker_status
from workbook_templates.common import instructions_sheet, lookup, policy_ref, policy_sheet
from workbook_templates.spec import Highlight, Sheet, Validation, WorkbookSpec, rag_rules

FIRST_ROW = 14
MONTH_ROWS = 12
REASON_MISSING = "REASON MISSING"
# (header, key in a month's record, width, kind): kind "input", "date" or a native formula name
COLUMNS: list[tuple[str, str, float, str]] = [
    ("month", "month", 10, "date"),
    ("supervision date", "supervision_date", 12, "date"),
    ("children", "children", 9, "input"),
    ("families", "families", 9, "input"),
    ("weighted (wu)", "weighted", 10, "input"),
    ("capacity min", "capacity_min", 10, "input"),
    ("capacity max", "capacity_max", 10, "input"),
    ("load %", "load", 8, "load"),
    ("status", "status", 18, "status"),
    ("time available for direct work", "direct_work", 30, "input"),
    ("other demands", "other_demands", 30, "input"),
    ("new case allocated above maximum?", "above_max_allocation", 13, "input"),
    ("reason for allocating above maximum", "reason", 32, "input"),
    ("reason check", "reason_flag", 16, "reason_flag"),
    ("reprioritisation agreed", "reprioritisation", 30, "input"),
    ("review date", "review_date", 12, "date"),
    ("consecutive months over maximum", "months_over", 12, "months_over"),
    ("escalation", "action", 14, "action"),
    ("capacity max by policy", "policy_capacity", 11, "policy_capacity"),
    ("recorded by", "recorded_by", 12, "input"),
    ("recorded on", "recorded_on", 12, "date"),
]
LETTERS = {key: chr(ord("A") + index) for index, (_, key, _, _) in enumerate(COLUMNS)}


def month_starts(first: date, count: int = MONTH_ROWS) -> list[date]:
    """First days of ``count`` consecutive months from ``first``."""
    return [
        date(first.year + (first.month - 1 + m) // 12, (first.month - 1 + m) % 12 + 1, 1)
        for m in range(count)
    ]


def supervision_spec(
    policy: Policy,
    worker: dict[str, Any] | None = None,
    months: list[dict[str, Any]] | None = None,
    first_month: date | None = None,
    months_over_before: int = 0,
    supervisor: str = "",
    functions: str = "native",
) -> WorkbookSpec:
    """A worker's supervision record for ``policy``.

    ``worker`` has worker_id, team, role, fte, asye_months (at the first month) and
    reduction_pct; ``months`` one dict per recorded month (keys: the COLUMNS keys that are
    inputs). Rows left out stay blank for the supervisor to fill in. ``functions``: the policy
    figures as native formulas (``native``) or CW_ calls (``cw``).
    """
    if functions not in ("native", "cw"):
        raise ValueError(f"functions must be native or cw, not {functions!r}")
    worker = worker or {}
    months = months or []
    first_month = first_month or (months[0]["month"] if months else date.today().replace(day=1))
    sheet = Sheet("Record", freeze=f"C{FIRST_ROW}", protect=True, tab_colour="305496")
    sheet.print_title_rows = f"{FIRST_ROW - 1}:{FIRST_ROW - 1}"
    sheet.put("A1", "Monthly supervision record: caseload analysis", style="title")
    sheet.put(
        "A2",
        "Gateshead Children's Social Work Caseload Policy, section 5 (responsibilities 1-5): "
        "analyse the "
        "caseload at every supervision; record the "
        "reason for any allocation above maximum; agree reprioritisation with a review date; "
        "escalate to senior managers after the policy's months over maximum.",
        style="subtitle",
    )
    computed = computed_columns(months, policy, months_over_before)
    formulas = PolicyFormulas(policy, functions, worker)
    _header_panel(sheet, policy, worker, months_over_before, supervisor, computed, formulas)
    _month_table(sheet, months, first_month, computed, formulas)
    return WorkbookSpec(
        title=f"Supervision record {worker.get('worker_id', '')} ({policy.name})",
        sheets=[
            sheet,
            policy_sheet(policy),
            instructions_sheet("Monthly supervision record", _instructions(policy, functions)),
        ],
        native=[formulas.lookups] if functions == "native" else [],
    )


TEAM, ROLE, FTE, ASYE_MONTHS, REDUCTION = "$C$5", "$C$6", "$C$7", "$C$8", "$C$9"
TEAM_NO, ROLE_NO = "$K$4", "$K$5"
CHECK_TEAM_ROLE = "check team and role"
CHECK_FTE = "check FTE: above 0, at most 1"
CHECK_REDUCTION = "check reduction: 0-100"


class PolicyFormulas:
    """The record's policy figures (range and capacity) as formulas of either form, and what
    the model gives for ``worker`` (``range_max_value``; ``capacity_values``, one per month)."""

    def __init__(self, policy: Policy, functions: str, worker: dict[str, Any]) -> None:
        self.native = functions == "native"
        self.lookups, self.look = lookups_sheet(policy)
        self.rules = policy_ref(policy)
        ranges, self.capacity_values = _policy_figures(worker, policy, MONTH_ROWS)
        self.range_max_value = ranges[0]

    def team_no(self) -> str:
        """The team's place in the Lookups table (0: unknown)."""
        return "=" + code_position(normalised_code(TEAM), self.look.area("K", self.look.teams))

    def role_no(self) -> str:
        """The role's place in the Lookups table (0: unknown)."""
        return "=" + code_position(normalised_code(ROLE), self.look.area("F", self.look.roles))

    def range_max(self) -> str:
        """The team's range maximum, blank until a team is typed."""
        if not self.native:
            return f'=IF({TEAM}="","",CW_RANGE({TEAM},"max",FALSE,{self.rules}))'
        return (
            f'=IF(TRIM({TEAM}&"")="","",IF({TEAM_NO}=0,"unknown team",'
            f"{range_bound(self.look, TEAM_NO, 'max')}))"
        )

    def capacity_max(self, months: str) -> str:
        """Capacity at the top of the range, ``months`` into the ASYE year."""
        if not self.native:
            return (
                f'=IF(OR({TEAM}="",{ROLE}="",{FTE}=""),"",CW_CAPACITY({TEAM},{ROLE},{FTE},'
                f'{months},{REDUCTION},"max",FALSE,{self.rules}))'
            )
        top = range_bound(self.look, TEAM_NO, "max")
        factor = experience_factor(self.look, ROLE_NO, months)
        return (
            f'=IF(OR(TRIM({TEAM}&"")="",TRIM({ROLE}&"")="",TRIM({FTE}&"")=""),"",'
            f'IF(OR({TEAM_NO}=0,{ROLE_NO}=0),"{CHECK_TEAM_ROLE}",'
            f'IF(OR(N({number(FTE)})<=0,N({number(FTE)})>1),"{CHECK_FTE}",'
            f'IF(OR(N({number(REDUCTION)})<0,N({number(REDUCTION)})>100),"{CHECK_REDUCTION}",'
            f"{capacity(top, number(FTE), factor, number(REDUCTION))}))))"
        )


def _header_panel(
    sheet: Sheet,
    policy: Policy,
    worker: dict[str, Any],
    before: int,
    supervisor: str,
    computed: dict[str, list[Any]],
    formulas: PolicyFormulas,
) -> None:
    labels = [
        ("Worker ID", worker.get("worker_id"), ""),
        ("Team", worker.get("team"), "Team code (Policy sheet)"),
        ("Role", worker.get("role"), "Role code (Policy sheet)"),
        ("FTE", worker.get("fte"), "Above 0, at most 1"),
        ("ASYE months at start", worker.get("asye_months"),
         "Months into the assessed year at this record's first month (ASYE only)"),
        ("Protected time (%)", worker.get("reduction_pct"),
         "Reduction for protected time agreed (training, union duties, phased return), 0-100"),
        ("Months over before", before,
         "Consecutive months over maximum before this record's first month"),
        ("Supervisor", supervisor or None, ""),
    ]  # fmt: skip
    for offset, (label, value, help_text) in enumerate(labels, start=4):
        sheet.put(f"A{offset}", label, style="label", comment=help_text or None)
        sheet.put(f"C{offset}", value, style="input", locked=False)
    sheet.validations += [
        Validation("C5", choices=list(policy.teams)),
        Validation("C6", choices=list(policy.roles)),
        Validation("C7", kind="decimal", minimum=0.01, maximum=1),
        Validation("C10", kind="whole", minimum=0, maximum=120),
    ]
    uses_cw = not formulas.native
    if formulas.native:
        sheet.put("I4", "Team's place in the policy", style="subtitle")
        sheet.put("I5", "Role's place in the policy", style="subtitle")
        team_no, role_no = _places(worker, policy)
        sheet.put(TEAM_NO.replace("$", ""), formulas.team_no(), style="formula", cached=team_no)
        sheet.put(ROLE_NO.replace("$", ""), formulas.role_no(), style="formula", cached=role_no)
    sheet.put("E4", "Team range max (policy)", style="label")
    sheet.put(
        "H4",
        formulas.range_max(),
        style="formula",
        cached=formulas.range_max_value,
        uses_cw=uses_cw,
    )
    sheet.put("E5", "Capacity max, first month", style="label")
    sheet.put(
        "H5",
        formulas.capacity_max(ASYE_MONTHS),
        style="formula",
        cached=formulas.capacity_values[0],
        uses_cw=uses_cw,
        number_format="0.00",
    )
    sheet.put("E6", "Escalate after (months over)", style="label")
    sheet.put(
        "H6",
        f"={lookup(policy, chr(34) + 'escalate_after_months' + chr(34))}",
        style="formula",
        cached=policy.escalate_after_months,
    )
    sheet.put("E7", "Service aim (children/FTE)", style="label")
    sheet.put(
        "H7",
        f"={lookup(policy, chr(34) + 'service_aim' + chr(34))}",
        style="formula",
        cached=policy.service_aim,
    )
    sheet.put("E9", "Months: reason missing", style="label")
    sheet.put("E10", "Months: escalate", style="label")
    last = FIRST_ROW + MONTH_ROWS - 1
    flag, action = LETTERS["reason_flag"], LETTERS["action"]
    sheet.put(
        "H9",
        f'=COUNTIF({flag}{FIRST_ROW}:{flag}{last},"{REASON_MISSING}")',
        style="formula",
        cached=computed["reason_flag"].count(REASON_MISSING),
    )
    sheet.put(
        "H10",
        f'=COUNTIF({action}{FIRST_ROW}:{action}{last},"escalate")',
        style="formula",
        cached=computed["action"].count("escalate"),
    )
    sheet.widths.update({LETTERS[key]: width for _, key, width, _ in COLUMNS})


def _month_table(
    sheet: Sheet,
    months: list[dict[str, Any]],
    first_month: date,
    computed: dict[str, list[Any]],
    formulas: PolicyFormulas,
) -> None:
    header_row = FIRST_ROW - 1
    sheet.row(f"A{header_row}", [header for header, _, _, _ in COLUMNS], style="header")
    sheet.heights[header_row] = 60  # headers in words wrap onto four lines
    starts = month_starts(first_month)
    for index in range(MONTH_ROWS):
        row = FIRST_ROW + index
        record = months[index] if index < len(months) else {}
        values = {**record, "month": starts[index]}
        for _header, key, _width, kind in COLUMNS:
            ref = f"{LETTERS[key]}{row}"
            if kind in ("input", "date"):
                sheet.put(
                    ref,
                    values.get(key),
                    style="input",
                    locked=False,
                    number_format="dd/mm/yyyy" if kind == "date" else None,
                )
                continue
            formula = _formula(kind, row, formulas)
            if kind == "policy_capacity":
                cached: Any = formulas.capacity_values[index]
            else:
                cached = computed[key][index] if index < len(months) else ""
            sheet.put(
                ref,
                formula,
                style="flag" if kind in ("reason_flag", "action") else "formula",
                cached=cached,
                uses_cw=kind == "policy_capacity" and not formulas.native,
                number_format="0.0" if kind in ("load", "policy_capacity") else None,
            )
    last = FIRST_ROW + MONTH_ROWS - 1
    body = f"{FIRST_ROW}:{last}"
    status, flag, action = LETTERS["status"], LETTERS["reason_flag"], LETTERS["action"]
    sheet.highlights += rag_rules(
        _col_range(status, body),
        f"${status}{FIRST_ROW}",
        {"over": "red", "under": "amber", "within": "green", "no caseload expected": "amber"},
    )
    sheet.highlights.append(Highlight(_col_range(flag, body), f"LEN(${flag}{FIRST_ROW})>0", "red"))
    sheet.highlights += rag_rules(
        _col_range(action, body),
        f"${action}{FIRST_ROW}",
        {"escalate": "red", "record reason": "amber"},
    )
    for key in ("supervision_date", "review_date", "recorded_on"):
        sheet.validations.append(Validation(_col_range(LETTERS[key], body), kind="date"))
    sheet.validations.append(
        Validation(_col_range(LETTERS["above_max_allocation"], body), choices=["yes", "no"])
    )
    for key in ("children", "families"):
        sheet.validations.append(
            Validation(_col_range(LETTERS[key], body), kind="whole", minimum=0, maximum=500)
        )
    for key in ("weighted", "capacity_min", "capacity_max"):
        sheet.validations.append(
            Validation(_col_range(LETTERS[key], body), kind="decimal", minimum=0, maximum=500)
        )


def _col_range(letter: str, rows: str) -> str:
    first, last = rows.split(":")
    return f"{letter}{first}:{letter}{last}"


def _formula(kind: str, row: int, formulas: PolicyFormulas) -> str:
    L = LETTERS  # noqa: N806 - short alias keeps the formulas readable
    children, weighted = f"{L['children']}{row}", f"{L['weighted']}{row}"
    low, high = f"{L['capacity_min']}{row}", f"{L['capacity_max']}{row}"
    status, over = f"{L['status']}{row}", f"{L['months_over']}{row}"
    if kind == "load":
        return f'=IF(OR({weighted}="",{high}="",N({high})=0),"",100*{weighted}/{high})'
    if kind == "status":
        return (
            f'=IF(OR({weighted}="",{high}=""),"",IF(AND({high}=0,N({children})>0),'
            f'"no caseload expected",IF({weighted}>{high},"over",IF({weighted}<N({low}),'
            f'"under","within"))))'
        )
    if kind == "reason_flag":
        reason = f"{L['reason']}{row}"
        return f'=IF(AND({status}="over",LEN(TRIM({reason}))=0),"{REASON_MISSING}","")'
    if kind == "months_over":
        previous = "N($C$10)" if row == FIRST_ROW else f"N({L['months_over']}{row - 1})"
        return f'=IF({status}="","",IF({status}="over",{previous}+1,0))'
    if kind == "action":
        return f'=IF({over}="","",IF({over}>$H$6,"escalate",IF({over}>0,"record reason","")))'
    if kind == "policy_capacity":
        # the same formula in every row (a column that fills down and calculates as one run)
        return formulas.capacity_max(f"(N({ASYE_MONTHS})+ROW()-ROW($A${FIRST_ROW}))")
    raise ValueError(kind)


def computed_columns(
    months: list[dict[str, Any]], policy: Policy, before: int = 0
) -> dict[str, list[Any]]:
    """What the native formulas give for recorded months, computed with the model's own
    functions (status, months over, escalation), so a spreadsheet can be checked against it."""
    weighted = np.array([_num(m.get("weighted")) for m in months], dtype=float)
    low = np.array([_num(m.get("capacity_min"), 0.0) for m in months], dtype=float)
    high = np.array([_num(m.get("capacity_max")) for m in months], dtype=float)
    children = np.array([_num(m.get("children"), 0.0) for m in months], dtype=float)
    status = worker_status(weighted, low, high, children, np.zeros(len(months), bool))
    status = [
        s if not (np.isnan(w) or np.isnan(h)) else ""
        for s, w, h in zip(status, weighted, high, strict=True)
    ]
    load = [
        100 * w / h if h and not np.isnan(w) and not np.isnan(h) else ""
        for w, h in zip(weighted, high, strict=True)
    ]
    history = ["over"] * before + list(status)
    counts, actions = [], []
    for index in range(len(months)):
        if status[index] == "":
            counts.append("")
            actions.append("")
            continue
        prefix = np.array([history[: before + index + 1]], dtype=object)
        prefix = np.where(prefix == "", None, prefix)
        counts.append(int(months_over(prefix)[0]))
        actions.append(str(escalation(prefix, policy.escalate_after_months)[0]))
    flags = [
        REASON_MISSING if s == "over" and not str(m.get("reason") or "").strip() else ""
        for s, m in zip(status, months, strict=True)
    ]
    return {
        "load": load,
        "status": status,
        "reason_flag": flags,
        "months_over": counts,
        "action": actions,
    }


def _places(worker: dict[str, Any], policy: Policy) -> tuple[int, int]:
    """The worker's team and role places in the Lookups tables (0 when unknown or blank)."""
    team = native_code(cell_text(worker.get("team")))
    role = native_code(cell_text(worker.get("role")))
    teams, roles = list(policy.teams), list(policy.roles)
    return (
        teams.index(team) + 1 if team in teams else 0,
        roles.index(role) + 1 if role in roles else 0,
    )


def _policy_figures(
    worker: dict[str, Any], policy: Policy, months: int
) -> tuple[list[Any], list[Any]]:
    """The team's range max and the capacity max for ``months`` consecutive months from the
    record's first, with the model's own steps (``udfs.capacity``); blank when the worker's
    details are missing, a note where the team or role is not in the policy (as the formulas
    show them)."""
    team_no, role_no = _places(worker, policy)
    team = native_code(cell_text(worker.get("team")))
    filled = all(cell_text(worker.get(k)).strip() for k in ("team", "role", "fte"))
    if not team:
        top: Any = ""
    elif team_no == 0:
        top = "unknown team"
    else:
        top = float(team_ranges(pd.Series([team]), np.array([False]), policy)[1][0])
    if not filled:
        return [top] * months, [""] * months
    if team_no == 0 or role_no == 0:
        return [top] * months, [CHECK_TEAM_ROLE] * months
    fte, reduction = _num(worker.get("fte"), 0.0), _num(worker.get("reduction_pct"), 0.0)
    if not 0 < fte <= 1:
        return [top] * months, [CHECK_FTE] * months
    if not 0 <= reduction <= 100:
        return [top] * months, [CHECK_REDUCTION] * months
    start = _num(worker.get("asye_months"), 0.0)
    _, high = capacities(
        pd.Series([team] * months),
        pd.Series([native_code(cell_text(worker["role"]))] * months),
        pd.Series([fte] * months),
        pd.Series([start + offset for offset in range(months)], dtype=float),
        pd.Series([reduction] * months, dtype=float),
        np.zeros(months, dtype=bool),
        policy,
    )
    return [top] * months, [float(value) for value in high]


def _num(value: Any, default: float = float("nan")) -> float:
    if value is None or value == "":
        return default
    return float(value)


def _instructions(policy: Policy, functions: str = "native") -> list[str]:
    policy_figures = (
        "the policy figures (range, capacity by policy) are ordinary formulas too, reading the "
        "Policy sheet through the Lookups sheet: they work in any spreadsheet, nothing installed."
        if functions == "native"
        else "the policy figures (range, capacity by policy) use the caseload add-in's CW_ "
        "functions and show #NAME? without it."
    )
    return [
        "# One record per worker, one row per month",
        "Fill the worker's details at the top (yellow cells). At each monthly supervision, type "
        "the caseload figures from the tracker's Summary row for this worker (children, "
        "families, weighted, capacity min and max) or your own count, then the analysis: time "
        "available for direct work with children and families, and other demands.",
        "# Above maximum",
        "When the status is over, record the reason for allocating above maximum: the row shows "
        "REASON MISSING until you do. Agree the reprioritisation with the worker and a review "
        "date (the allocation must be time-limited and reviewed monthly).",
        "# Escalation",
        "Consecutive months over maximum are counted from the months above (and any months "
        f"before this record, typed at the top). More than {policy.escalate_after_months} "
        "months shows escalate: inform the Service Manager and senior managers.",
        "# Formulas",
        "Grey cells are formulas, locked so a typed value cannot replace them (Review > "
        "Unprotect Sheet, no password). Load, status, flags and counts are ordinary formulas; "
        + policy_figures,
    ]
