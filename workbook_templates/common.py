"""Sheets every template shares: the Policy sheet (key/value table + readable panels) and an
Instructions sheet.

The key/value table in ``Policy!A1:B{n}`` is what the ``CW_`` functions read (``policy_table``
rows; ``policy_from_table`` reads them back). The panels beside it (team ranges, level weights,
modifiers, caps, roles) are native ``VLOOKUP`` formulas on that table, so they always show the
policy in force, in Excel and LibreOffice alike.
"""

from __future__ import annotations

from typing import Any

from udfs.policy import Policy, policy_table
from udfs.policy_labels import DESCRIBED_HEADER, described_table, label_of
from workbook_templates.spec import Sheet

POLICY_SHEET = "Policy"
MIN_POLICY_ROWS = 140


_ROWS: dict[int, tuple[Policy, list[tuple[str, Any]]]] = {}


def policy_rows(policy: Policy) -> list[tuple[str, Any]]:
    """The key/value rows written to the Policy sheet (lists as comma-separated text).

    Worked out once per policy object (policies are frozen; every formula that looks a key up
    asks for them).
    """
    known = _ROWS.get(id(policy))
    if known is None or known[0] is not policy:
        if len(_ROWS) > 32:
            _ROWS.clear()
        known = _ROWS[id(policy)] = (policy, [(key, value) for key, value in policy_table(policy)])
    return list(known[1])


def policy_ref(policy: Policy) -> str:
    """The absolute range the CW_ functions read: ``Policy!$A$1:$B$140`` (or longer)."""
    last = max(MIN_POLICY_ROWS, len(policy_rows(policy)) + 1)
    return f"{POLICY_SHEET}!$A$1:$B${last}"


def lookup(policy: Policy, key_formula: str) -> str:
    """A native formula that looks a key up in the Policy table (blank when absent)."""
    last = max(MIN_POLICY_ROWS, len(policy_rows(policy)) + 1)
    table = f"{POLICY_SHEET}!$A$2:$B${last}"
    return f'IFERROR(VLOOKUP({key_formula},{table},2,FALSE),"")'


def policy_sheet(policy: Policy) -> Sheet:
    """The Policy sheet: key/value table in A:B with each value's meaning and source in C:D
    (``CW_POLICY``'s layout), readable panels from column F."""
    sheet = Sheet(POLICY_SHEET, freeze="A2", protect=True, tab_colour="7030A0")
    sheet.widths.update({"A": 38, "B": 30, "C": 66, "D": 78, "E": 3, "F": 34, "G": 58})
    sheet.widths.update({"H": 11, "I": 11, "J": 13, "K": 13, "L": 3})
    sheet.row("A1", list(DESCRIBED_HEADER), style="header")
    values = {}
    for offset, (key, value, meaning, source) in enumerate(described_table(policy), start=2):
        sheet.put(f"A{offset}", key)
        sheet.put(f"B{offset}", value, style="input")
        sheet.put(f"C{offset}", meaning)
        sheet.put(f"D{offset}", source)
        values[key] = value
    row = 1
    sheet.put(f"F{row}", "The policy in force (read from the key/value table)", style="title")
    row += 1
    sheet.put(
        f"F{row}",
        "Unprotect this sheet to change a value in column B: a decision for GMT. "
        "Every formula in this workbook that needs the policy reads the table in columns A:B.",
        style="subtitle",
    )
    row += 2
    row = _panel(
        sheet,
        policy,
        row,
        "Team ranges (children per full-time experienced worker)",
        ["team", "name", "min", "max", "under-18 min", "under-18 max"],
        [
            [code]
            + [
                (f"teams.{code}.{field}", values.get(f"teams.{code}.{field}", ""))
                for field in ("name", "min", "max", "under_18.min", "under_18.max")
            ]
            for code in policy.teams
        ],
    )
    row = _panel(
        sheet,
        policy,
        row,
        "Level weights (weighted units per case)",
        ["level", "weight"],
        [
            [level, (f"weights.levels.{level}", values[f"weights.levels.{level}"])]
            for level in range(1, 5)
        ],
    )
    settings = [
        key
        for key in values
        if key in ("service_aim", "escalate_after_months")
        or (key.startswith("weights.") and not key.startswith("weights.levels."))
    ]
    row = _panel(
        sheet,
        policy,
        row,
        "Modifiers, aim and escalation",
        ["setting", "meaning", "value"],
        [[key, label_of(policy, key), (key, values[key])] for key in settings],
    )
    caps = [
        [code, policy.caps[key].name, (f"teams.{code}.caps.{key}", limit)]
        for code, team in policy.teams.items()
        for key, limit in team.caps.items()
    ]
    if caps:
        row = _panel(
            sheet,
            policy,
            row,
            "Hard caps (per worker, not scaled by FTE)",
            ["team", "cap", "limit"],
            caps,
        )
    roles = [
        [
            code,
            (f"roles.{code}.name", values.get(f"roles.{code}.name", "")),
            (f"roles.{code}.factor", values.get(f"roles.{code}.factor", "")),
        ]
        for code in policy.roles
    ]
    end = _panel(sheet, policy, row, "Experience factor by role", ["role", "name", "factor"], roles)
    # what prints is the policy in words (the panels); the key/value table is for the formulas
    sheet.print_area = f"F1:K{end - 2}"
    return sheet


def _panel(
    sheet: Sheet,
    policy: Policy,
    row: int,
    title: str,
    headers: list[str],
    rows: list[list[Any]],
) -> int:
    """A titled block from column D; a ``(key, value)`` cell becomes a VLOOKUP of that key."""
    columns = "FGHIJK"
    sheet.put(f"F{row}", title, style="label")
    row += 1
    sheet.row(f"F{row}", headers, style="header")
    for values in rows:
        row += 1
        for offset, value in enumerate(values):
            ref = f"{columns[offset]}{row}"
            if isinstance(value, tuple):
                key, cached = value
                sheet.put(ref, f"={lookup(policy, repr_key(key))}", style="formula", cached=cached)
            else:
                sheet.put(ref, value)
    return row + 2


def repr_key(key: str) -> str:
    """A policy key as a formula string literal."""
    return '"' + key.replace('"', '""') + '"'


def instructions_sheet(title: str, lines: list[str]) -> Sheet:
    """An Instructions sheet: a title and numbered paragraphs, wrapped to a readable width."""
    sheet = Sheet("Instructions", landscape=False, tab_colour="548235")
    sheet.widths.update({"A": 4, "B": 110})
    sheet.put("A1", title, style="title")
    for offset, line in enumerate(lines, start=3):
        if line.startswith("#"):
            sheet.put(f"B{offset}", line.lstrip("# "), style="label")
        else:
            sheet.put(f"B{offset}", line, style="note")
    return sheet
