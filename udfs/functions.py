"""The ``CW_`` functions: a thin layer over the model, one call per column, as plain Python.

They import no Excel library: ``udfs.excel`` registers them with xlwings for desktop Excel, and
the headless engine calls them as they are. Each carries its Excel help as data
(``fn.arguments``: name, doc, ndim), recorded by ``@cell_function``.

Every function is a plain Python callable too: give it lists (a column, a row or a 2-D range,
as Excel passes them) and it returns a 2-D list (rows of cells) that spills in Excel. A row it
cannot compute comes back as a ``CellError`` (``#VALUE!`` in Excel) carrying the reason, and the
other rows are still computed. Every function takes an optional ``policy``: a preset name
(``gateshead``, ``walsall``, ``wales-scrutiny``, ``laming``), a path to a council's policy file,
or a two-column key/value range (the layout ``CW_POLICY`` writes). Blank means gateshead.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from functools import lru_cache
from typing import Any, TypeVar

import numpy as np
import pandas as pd

from udfs.capacity import capacities, load_pct, team_range
from udfs.caps import family_pairs
from udfs.errors import CellError
from udfs.escalation import escalation, months_over
from udfs.excel_dates import from_serial
from udfs.intake import (
    CASE_FIELDS,
    WORKER_FIELDS,
    YES,
    FieldReader,
    Intake,
    RawTable,
    case_fields,
    cell_text,
    is_blank_cell,
    parse_date_text,
    read_tracker,
    shown_value,
    worker_fields,
)
from udfs.model import RESULT_COLUMNS, family_codes, weigh
from udfs.policy import Policy, PolicyError, load_policy, policy_from_table
from udfs.policy_labels import DESCRIBED_HEADER, described_table
from udfs.status import worker_status
from udfs.teams import team_figures
from udfs.weights import counted_weights

CATEGORY = "Caseload weighting"
POLICY_DOC = (
    "Optional: a preset name (gateshead, walsall, wales-scrutiny, laming) or a policy range"
)

Cells = list[list[Any]]
F = TypeVar("F", bound=Callable[..., Any])


@dataclass(frozen=True)
class Argument:
    """An argument's Excel help: its name, its description and, for a range taken whole,
    ``ndim=2`` (a column or table)."""

    name: str
    doc: str = ""
    ndim: int | None = None


def argument(name: str, ndim: int | None = None, doc: str = "") -> Callable[[F], F]:
    """Record an argument's help on a CW_ function (xlwings' ``arg`` in ``udfs.excel``)."""

    def record(fn: F) -> F:
        fn.__dict__.setdefault("arguments", []).insert(0, Argument(name, doc, ndim))
        return fn

    return record


# --- argument handling -----------------------------------------------------------------------


def _cells(values: Any) -> list[list[Any]]:
    """Any Excel argument as a 2-D list (a scalar is one cell)."""
    if isinstance(values, np.ndarray):
        values = values.tolist()
    if not isinstance(values, list | tuple):
        return [[values]]
    if not values:
        return []
    if not isinstance(values[0], list | tuple):
        return [list(values)]
    return [list(row) for row in values]


def _column(values: Any) -> list[Any]:
    """A column or a row of cells as a flat list; ``None`` for an omitted argument."""
    if values is None:
        return []
    rows = _cells(values)
    if len(rows) == 1:
        return list(rows[0])
    return [row[0] if row else None for row in rows]


def _columns(**named: Any) -> pd.DataFrame:
    """Columns of one length: a single cell is repeated, an omitted argument is blank."""
    flat = {name: _column(values) for name, values in named.items()}
    length = max((len(v) for v in flat.values()), default=0)
    for name, values in flat.items():
        if len(values) == 1:
            flat[name] = values * length
        elif not values:
            flat[name] = [None] * length
        elif len(values) != length:
            raise ValueError(f"{name} has {len(values)} rows but another argument has {length}")
    return pd.DataFrame(flat, dtype=object)


@lru_cache(maxsize=64)
def _policy_from_rows(rows: tuple[tuple[Any, ...], ...]) -> Policy:
    return policy_from_table(rows)


def resolve_policy(policy: Any) -> Policy:
    """The policy an Excel argument names: blank, a preset or path, or a key/value range."""
    if policy is None or isinstance(policy, Policy):
        return load_policy(policy)
    rows = _cells(policy)
    if len(rows) == 1 and len(rows[0]) == 1:
        return load_policy(None if rows[0][0] is None else str(rows[0][0]))
    return _policy_from_rows(tuple(tuple(row) for row in rows))


def _as_date(value: Any) -> date | None:
    if value is None or value == "":
        return None
    if isinstance(value, datetime):
        return value.date()
    if isinstance(value, date):
        return value
    if isinstance(value, int | float):
        return from_serial(float(value)).date()
    return parse_date_text(str(value))


def _read(name: str, frame: pd.DataFrame, fields: tuple[str, ...], required: tuple[str, ...]):
    raw = RawTable(sheet=name, frame=frame, first_row=1)
    return FieldReader(raw, fields, required=required)


def _with_errors(values: np.ndarray, reader: FieldReader, name: str) -> Cells:
    """One output cell per row: the value, blank for a blank row, or the row's CellError."""
    reasons: dict[int, str] = {}
    for rejection in reader.rejections:
        position = rejection.row
        # the value is shown only when it is a plain number: text typed into a row may be a
        # child's name, and the reason already says what was expected
        shown = shown_value(rejection.value, withhold_dates=True, withhold_text=True)
        reasons.setdefault(position, f"{name} row {position}: {rejection.reason} ({shown!r})")
    out: Cells = []
    for position, value in enumerate(values, start=1):
        if position in reasons:
            out.append([CellError(reasons[position])])
        elif reader.blank[position - 1]:
            out.append([None])
        else:
            out.append([_plain(value)])
    return out


def _plain(value: Any) -> Any:
    if isinstance(value, np.generic):
        return value.item()
    return value


def _table(frame: pd.DataFrame, header: bool) -> Cells:
    rows = [
        [_plain(v) if not _is_missing(v) else None for v in row]
        for row in frame.itertuples(index=False)
    ]
    return ([list(frame.columns)] + rows) if header else rows


def _is_missing(value: Any) -> bool:
    return value is None or (isinstance(value, float) and np.isnan(value))


# --- the functions ---------------------------------------------------------------------------


@argument("category", ndim=2, doc="Case category column (CIN, CP, LAC, PROC ...)")
@argument("level", ndim=2, doc="Optional: complexity level 1-4 column (blank: category default)")
@argument("status", ndim=2, doc="Optional: status column (active / awaiting closure)")
@argument("distance_miles", ndim=2, doc="Optional: placement distance in miles")
@argument("placement_unstable", ndim=2, doc="Optional: placement unstable (yes/no)")
@argument("worker_id", ndim=2, doc="Optional: worker column, for the sibling rule")
@argument("family_id", ndim=2, doc="Optional: family column, for the sibling rule")
@argument("policy", doc=POLICY_DOC)
def CW_CASE_WEIGHT(
    category: Any,
    level: Any = None,
    status: Any = None,
    distance_miles: Any = None,
    placement_unstable: Any = None,
    worker_id: Any = None,
    family_id: Any = None,
    policy: Any = None,
) -> Cells:
    """Weighted units each case adds to its worker's caseload, for a whole column of cases.

    Applies level weight, placement modifiers (LAC, PROC), awaiting closure and, when worker and
    family columns are given, the sibling rule. Separately capped work (FA, FF, AA) adds 0, so
    SUMIF over this column by worker gives the worker's weighted caseload.
    """
    rules = resolve_policy(policy)
    frame = _columns(
        category=category,
        level=level,
        status=status,
        distance_miles=distance_miles,
        placement_unstable=placement_unstable,
        worker_id=worker_id,
        family_id=family_id,
    )
    reader = _read("CW_CASE_WEIGHT", frame, CASE_FIELDS, ("category",))
    cases = pd.DataFrame(case_fields(reader, rules))
    usable = ~reader.bad & ~reader.blank
    # a row that cannot be read is weighed as nothing: it shows its error, the others stand
    cases["category"] = np.where(usable, cases["category"], next(iter(rules.categories)))
    workers = reader.ids("worker_id", required=False)
    worker_code = np.where(usable & (workers != ""), pd.factorize(workers)[0], -1)
    family_code = family_codes(reader.ids("family_id", required=False))
    counted = counted_weights(cases, family_pairs(worker_code, family_code).pair, rules)
    return _with_errors(np.where(usable, counted, 0.0), reader, "CW_CASE_WEIGHT")


@argument("team", ndim=2, doc="Team code column (AI, SGCP, CWD, LAC, LC, IRO ...)")
@argument("role", ndim=2, doc="Role code column (SW, ASYE, SSW, PS, SPS, TM, IRO, SSWF)")
@argument("fte", ndim=2, doc="FTE column, above 0 and at most 1 (50% reads as 0.5)")
@argument("asye_months", ndim=2, doc="Optional: months into the ASYE year")
@argument("reduction_pct", ndim=2, doc="Optional: protected time, percent 0-100")
@argument("bound", doc="Optional: max (default) or min")
@argument(
    "under_18", ndim=2, doc="Optional: TRUE where a leaving care worker's cases are mostly under 18"
)
@argument("policy", doc=POLICY_DOC)
def CW_CAPACITY(
    team: Any,
    role: Any,
    fte: Any,
    asye_months: Any = None,
    reduction_pct: Any = None,
    bound: Any = "max",
    under_18: Any = None,
    policy: Any = None,
) -> Cells:
    """Each worker's capacity in weighted units: team range x FTE x experience x (1 - reduction).

    ``bound`` picks the top (max, default) or bottom (min) of the range. ASYE workers rise from
    80% to 100% over their assessed year; practice supervisors and managers carry 0.
    """
    rules = resolve_policy(policy)
    which = _bound(bound)
    frame = _columns(
        team=team, role=role, fte=fte, asye_months=asye_months, reduction_pct=reduction_pct
    )
    young = _column(under_18) or [False]
    reader = _read("CW_CAPACITY", frame, WORKER_FIELDS, ("team", "role", "fte"))
    fields = worker_fields(reader, rules, date.today())
    usable = ~reader.bad & ~reader.blank
    young_flags = np.array([_truthy(v) for v in (young * len(frame) if len(young) == 1 else young)])
    low, high = capacities(
        np.where(usable, fields["team"], next(iter(rules.teams))),
        np.where(usable, fields["role"], next(iter(rules.roles))),
        np.where(usable, fields["fte"], 0.0),
        fields["asye_months"],
        fields["reduction_pct"],
        young_flags[: len(frame)],
        rules,
    )
    return _with_errors(high if which == "max" else low, reader, "CW_CAPACITY")


@argument("team", ndim=2, doc="Team code column")
@argument("bound", doc="Optional: max, min or both (default: both, two columns)")
@argument("under_18", doc="Optional: TRUE for the under-18 band (leaving care)")
@argument("policy", doc=POLICY_DOC)
def CW_RANGE(team: Any, bound: Any = "both", under_18: Any = False, policy: Any = None) -> Cells:
    """A team's policy range in standard cases for one full-time experienced worker.

    Returns min and max side by side, or one of them with ``bound``. Unknown team: #VALUE!.
    """
    rules = resolve_policy(policy)
    which = "both" if bound in (None, "") or str(bound).strip().lower() == "both" else _bound(bound)
    out: Cells = []
    for position, code in enumerate(_column(team), start=1):
        if code is None or str(code).strip() == "":
            out.append([None] if which != "both" else [None, None])
            continue
        key = str(code).strip().upper().replace(" ", "_").replace("-", "_")
        if key not in rules.teams:
            # every row as wide as the others: Excel and Office.js take only rectangular arrays
            error = CellError(f"CW_RANGE row {position}: unknown team {code!r}")
            out.append([error] if which != "both" else [error, error])
            continue
        low, high = team_range(key, rules, _truthy(under_18))
        out.append([low, high] if which == "both" else [high if which == "max" else low])
    return out


@argument("weighted", ndim=2, doc="Weighted caseload column")
@argument("capacity_min", ndim=2, doc="Capacity min column (CW_CAPACITY with bound min)")
@argument("capacity_max", ndim=2, doc="Capacity max column (CW_CAPACITY)")
@argument("children", ndim=2, doc="Optional: cases held, to flag cases held with no capacity")
@argument("incomplete", ndim=2, doc="Optional: TRUE where a row of the worker was rejected")
def CW_STATUS(
    weighted: Any,
    capacity_min: Any,
    capacity_max: Any,
    children: Any = None,
    incomplete: Any = None,
) -> Cells:
    """Each worker's status: incomplete, no caseload expected, over, under or within."""
    frame = _columns(
        weighted=weighted,
        capacity_min=capacity_min,
        capacity_max=capacity_max,
        children=children,
        incomplete=incomplete,
    )
    numbers = {
        name: pd.to_numeric(frame[name], errors="coerce").to_numpy(dtype=float)
        for name in ("weighted", "capacity_min", "capacity_max", "children")
    }
    status = worker_status(
        numbers["weighted"],
        numbers["capacity_min"],
        numbers["capacity_max"],
        np.nan_to_num(numbers["children"], nan=1.0),
        np.array([_truthy(v) for v in frame["incomplete"]], dtype=bool),
    )
    out: Cells = []
    for position in range(len(frame)):
        bad = [
            n
            for n in ("weighted", "capacity_min", "capacity_max")
            if np.isnan(numbers[n][position])
        ]
        required = ("weighted", "capacity_max")
        if bad and all(is_blank_cell(frame[n].iloc[position]) for n in required):
            out.append([None])
        elif bad:
            out.append(
                [CellError(f"CW_STATUS row {position + 1}: {', '.join(bad)} is not a number")]
            )
        else:
            out.append([status[position]])
    return out


@argument("weighted", ndim=2, doc="Weighted caseload column")
@argument("capacity_max", ndim=2, doc="Capacity max column")
def CW_LOAD(weighted: Any, capacity_max: Any) -> Cells:
    """Load in percent: 100 x weighted / capacity max; blank where capacity is 0."""
    frame = _columns(weighted=weighted, capacity_max=capacity_max)
    load = load_pct(
        pd.to_numeric(frame["weighted"], errors="coerce").to_numpy(dtype=float),
        pd.to_numeric(frame["capacity_max"], errors="coerce").to_numpy(dtype=float),
    )
    return [[None if np.isnan(v) else float(v)] for v in load]


@argument("history", ndim=2, doc="Monthly statuses, one row per worker, oldest month first")
def CW_MONTHS_OVER(history: Any) -> Cells:
    """Consecutive months over maximum up to each row's latest recorded month."""
    return [[int(v)] for v in months_over(np.array(_cells(history), dtype=object))]


@argument("history", ndim=2, doc="Monthly statuses, one row per worker, oldest month first")
@argument("policy", doc=POLICY_DOC)
def CW_ESCALATION(history: Any, policy: Any = None) -> Cells:
    """Action from the monthly history: 'escalate' when over maximum for more than 3 consecutive
    months (the policy's setting), 'record reason' when over this month, else blank."""
    rules = resolve_policy(policy)
    actions = escalation(np.array(_cells(history), dtype=object), rules.escalate_after_months)
    return [[a or None] for a in actions]


@argument("workers", ndim=2, doc="The Workers table, header row included")
@argument("cases", ndim=2, doc="The Cases table, header row included")
@argument("policy", doc=POLICY_DOC)
@argument("as_at", doc="Optional: as-at date for asye_start (default today)")
@argument("header", doc="Optional: FALSE to leave out the header row")
def CW_WORKERS(
    workers: Any, cases: Any, policy: Any = None, as_at: Any = None, header: Any = True
) -> Cells:
    """The per-worker result table: children, families, weighted, capacity, load, status, breaches.

    One row per worker in the order of Workers. A worker with a rejected row is 'incomplete'
    (CW_REJECTIONS lists why); a rejected worker has no row.
    """
    result = weigh_ranges(workers, cases, policy, as_at)
    return _table(result.workers[RESULT_COLUMNS], _truthy(header, default=True))


@argument("workers", ndim=2, doc="The Workers table, header row included")
@argument("cases", ndim=2, doc="The Cases table, header row included")
@argument("policy", doc=POLICY_DOC)
@argument("as_at", doc="Optional: as-at date for asye_start (default today)")
@argument("header", doc="Optional: FALSE to leave out the header row")
def CW_TEAMS(
    workers: Any, cases: Any, policy: Any = None, as_at: Any = None, header: Any = True
) -> Cells:
    """The per-team table and a SERVICE row: children, families, averages per FTE against the
    range and the service aim, workers over, unallocated cases by category, agency and ASYE."""
    rules = resolve_policy(policy)
    result = weigh_ranges(workers, cases, rules, as_at)
    return _table(team_figures(result, rules), _truthy(header, default=True))


@argument("workers", ndim=2, doc="The Workers table, header row included")
@argument("cases", ndim=2, doc="The Cases table, header row included")
@argument("policy", doc=POLICY_DOC)
@argument("as_at", doc="Optional: as-at date for asye_start (default today)")
def CW_REJECTIONS(workers: Any, cases: Any, policy: Any = None, as_at: Any = None) -> Cells:
    """Rows that could not be read: table, row, column, value and reason ('none' when clean)."""
    intake = _intake(workers, cases, resolve_policy(policy), as_at)
    rows: Cells = [["table", "row", "field", "value", "reason"]]
    rows += [[r.sheet, r.row, r.field, r.value, r.reason] for r in intake.rejections]
    return rows if len(rows) > 1 else rows + [["none", None, None, None, None]]


@argument("policy", doc=POLICY_DOC)
def CW_POLICY(policy: Any = None) -> Cells:
    """The policy as a key/value table, to paste as values and edit as a council; beside each
    value, what it means and the document and section it comes from."""
    return [list(DESCRIBED_HEADER)] + [list(row) for row in described_table(resolve_policy(policy))]


# --- helpers shared by the whole-table functions ---------------------------------------------


def weigh_ranges(workers: Any, cases: Any, policy: Any = None, as_at: Any = None):
    """Read Workers and Cases ranges (header rows included) and weigh them."""
    rules = resolve_policy(policy)
    intake = _intake(workers, cases, rules, as_at)
    return weigh(intake.workers, intake.cases, rules, intake.incomplete_teams)


def _intake(workers: Any, cases: Any, rules: Policy, as_at: Any) -> Intake:
    return read_tracker(
        RawTable.from_rows("Workers", _cells(workers)),
        RawTable.from_rows("Cases", _cells(cases)),
        rules,
        _as_date(as_at),
    )


def _bound(bound: Any) -> str:
    text = "max" if bound in (None, "") else str(bound).strip().lower()
    if text not in ("min", "max"):
        raise PolicyError(f"bound {bound!r}: expected min or max")
    return text


def _truthy(value: Any, default: bool = False) -> bool:
    if value is None or value == "":
        return default
    if isinstance(value, Sequence) and not isinstance(value, str):
        return _truthy(_column(value)[0] if _column(value) else None, default)
    return cell_text(value).lower() in YES


EXCEL_FUNCTIONS = {
    fn.__name__: fn
    for fn in (
        CW_CASE_WEIGHT,
        CW_CAPACITY,
        CW_RANGE,
        CW_STATUS,
        CW_LOAD,
        CW_MONTHS_OVER,
        CW_ESCALATION,
        CW_WORKERS,
        CW_TEAMS,
        CW_REJECTIONS,
        CW_POLICY,
    )
}
