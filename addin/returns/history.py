"""Monthly history in SQLite: each worker's figures and status per month, and team figures.

A month is stored whole: re-running ``snapshot`` for a month replaces what was stored for it
(one transaction), so a month is never duplicated. From the history come the consecutive months
over maximum (escalation after more than ``policy.escalate_after_months``) and the quarter's
figures. Months are calendar months (``YYYY-MM``); a month with no snapshot breaks a run.
"""

from __future__ import annotations

import contextlib
import json
import math
import os
import re
import sqlite3
import stat
from datetime import datetime
from pathlib import Path

import numpy as np
import pandas as pd

from udfs.errors import CaseloadError
from udfs.escalation import ESCALATE, RECORD_REASON
from udfs.escalation import months_over as _months_over
from udfs.model import RESULT_COLUMNS, Weighing
from udfs.policy import Policy
from udfs.teams import SERVICE, team_figures

DEFAULT_DB = "caseload-history.sqlite"
MONTH = re.compile(r"^(\d{4})-(0[1-9]|1[0-2])$")
QUARTER = re.compile(r"^(\d{4})Q([1-4])$", re.I)
# What is stored of each worker: the result columns but ``breaches``, and three flags.
WORKER_COLUMNS = (
    *(c for c in RESULT_COLUMNS if c != "breaches"),
    "agency",
    "asye",
    "incomplete",
)
SCHEMA = """
CREATE TABLE IF NOT EXISTS months (
    month TEXT PRIMARY KEY, taken_at TEXT NOT NULL, policy TEXT NOT NULL, files TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS workers (
    month TEXT NOT NULL REFERENCES months(month), worker_id TEXT NOT NULL, team TEXT, role TEXT,
    fte REAL, children INTEGER, families INTEGER, weighted REAL, weighted_active REAL,
    capacity_min REAL, capacity_max REAL, load_pct REAL, status TEXT, agency INTEGER,
    asye INTEGER, incomplete INTEGER, PRIMARY KEY (month, worker_id));
CREATE TABLE IF NOT EXISTS teams (
    month TEXT NOT NULL REFERENCES months(month), team TEXT NOT NULL, figures TEXT NOT NULL,
    PRIMARY KEY (month, team));
CREATE TABLE IF NOT EXISTS team_cases (
    month TEXT NOT NULL REFERENCES months(month), team TEXT NOT NULL, figures TEXT NOT NULL,
    PRIMARY KEY (month, team));
"""
TABLES = ("workers", "teams", "team_cases", "months")  # deleted in this order, months last
# Case figures per team beyond the team table (the Stockton report's items), by the policy's
# reporting groups of categories and its team-manager role.
CASE_FIGURES = ("cp_children", "looked_after_children", "cases_held_by_tm")


class HistoryError(CaseloadError):
    """A month or quarter that is not valid, or a history without the months asked for."""


def check_month(month: str) -> str:
    """``YYYY-MM`` or ``HistoryError``."""
    if not MONTH.match(str(month)) or int(str(month)[:4]) < 1900:
        raise HistoryError(f"month {month!r} must be YYYY-MM (year 1900 or later)")
    return str(month)


def quarter_months(quarter: str) -> list[str]:
    """``2025Q3`` -> ``['2025-07', '2025-08', '2025-09']`` (calendar quarters)."""
    found = QUARTER.match(str(quarter).strip())
    if not found:
        raise HistoryError(f"quarter {quarter!r} must be YYYYQn (n 1-4)")
    year, q = int(found.group(1)), int(found.group(2))
    if year < 1900:
        raise HistoryError(f"quarter {quarter!r} must be YYYYQn (year 1900 or later)")
    return [f"{year}-{m:02d}" for m in range(3 * q - 2, 3 * q + 1)]


def month_range(first: str, last: str) -> list[str]:
    """Every calendar month from ``first`` to ``last`` inclusive."""
    y, m = int(first[:4]), int(first[5:])
    out = []
    while f"{y}-{m:02d}" <= last:
        out.append(f"{y}-{m:02d}")
        y, m = (y + 1, 1) if m == 12 else (y, m + 1)
    return out


def _expected_columns() -> dict[str, list[str]]:
    """Each history table's columns, as ``SCHEMA`` creates them."""
    memory = sqlite3.connect(":memory:")
    try:
        memory.executescript(SCHEMA)
        return {t: [c[1] for c in memory.execute(f"PRAGMA table_info({t})")] for t in TABLES}
    finally:
        memory.close()


def check_database(db: str | Path) -> None:
    """``HistoryError`` unless ``db`` is absent (a new history) or an SQLite database whose
    history tables, where present, have the expected columns. Opened read-only: nothing is
    created or changed, so it can be checked before any file is read."""
    path = Path(db)
    if not path.exists():
        return
    if not path.is_file():
        raise HistoryError(f"{db}: not a history database (not a file)")
    try:
        connection = sqlite3.connect(path.resolve().as_uri() + "?mode=ro", uri=True)
        try:
            found = {
                t: [c[1] for c in connection.execute(f"PRAGMA table_info({t})")] for t in TABLES
            }
        finally:
            connection.close()
    except sqlite3.Error as exc:
        raise HistoryError(f"{db}: not a history database ({exc})") from None
    for table, columns in _expected_columns().items():
        if found[table] and found[table] != columns:
            raise HistoryError(f"{db}: not a history database (table {table} differs)")


PRIVATE_MODE = 0o600
"""The history is readable and writable by its owner only."""


def make_private(db: str | Path) -> None:
    """Create ``db`` readable and writable by its owner only (0600) when it does not exist;
    take read and write access from everyone else when it does (SQLite's journal files
    follow the database's mode)."""
    path = Path(db)
    try:
        handle = os.open(path, os.O_CREAT | os.O_EXCL | os.O_WRONLY, PRIVATE_MODE)
    except FileExistsError:
        mode = stat.S_IMODE(path.stat().st_mode) if path.is_file() else 0
        if mode & 0o077:
            with contextlib.suppress(OSError):  # not ours to change: leave it as it is
                os.chmod(path, mode & 0o700)
        return
    os.close(handle)


def connect(db: str | Path) -> sqlite3.Connection:
    """Open (creating when new, 0600) the history database."""
    make_private(db)
    connection = sqlite3.connect(str(db))
    connection.executescript(SCHEMA)
    return connection


def _plain(value: object) -> object:
    if isinstance(value, np.generic):
        value = value.item()
    if isinstance(value, float) and math.isnan(value):
        return None
    return value


def snapshot(
    db: str | Path, month: str, weighing: Weighing, policy: Policy, files: list[str]
) -> int:
    """Store the month's per-worker figures and team figures, replacing any earlier snapshot
    of that month. Returns the number of workers stored."""
    check_month(month)
    workers = weighing.workers
    teams = team_figures(weighing, policy)
    cases = case_figures(weighing, list(teams["team"]), policy)
    connection = connect(db)
    try:
        with connection:
            for table in TABLES:
                connection.execute(f"DELETE FROM {table} WHERE month = ?", (month,))
            connection.execute(
                "INSERT INTO months VALUES (?, ?, ?, ?)",
                (
                    month,
                    datetime.now().isoformat(timespec="seconds"),
                    policy.name,
                    # how many files, never their names: a file name can carry a child's name
                    json.dumps(len(files)),
                ),
            )
            rows = [
                (month, *[_plain(v) for v in row])
                for row in workers[list(WORKER_COLUMNS)].itertuples(index=False)
            ]
            marks = ", ".join("?" * (len(WORKER_COLUMNS) + 1))
            connection.executemany(f"INSERT INTO workers VALUES ({marks})", rows)
            connection.executemany(
                "INSERT INTO teams VALUES (?, ?, ?)",
                [
                    (month, str(r["team"]), json.dumps({k: _plain(v) for k, v in r.items()}))
                    for r in teams.to_dict("records")
                ],
            )
            connection.executemany(
                "INSERT INTO team_cases VALUES (?, ?, ?)",
                [
                    (month, str(r["team"]), json.dumps({k: _plain(r[k]) for k in CASE_FIGURES}))
                    for r in cases.to_dict("records")
                ],
            )
    finally:
        connection.close()
    return len(workers)


def case_figures(weighing: Weighing, teams: list[str], policy: Policy) -> pd.DataFrame:
    """Per team of ``teams`` (``SERVICE``: every case): children on child protection plans and
    looked-after children (the policy's reporting groups ``child_protection`` and
    ``looked_after``: CP; LAC and PROC in the presets), both held and unallocated, and cases held
    by team managers (the roles flagged ``team_manager``: TM). Every status counts, as in
    ``children``. A held case belongs to its worker's team, an unallocated one to the team it
    names (as in ``udfs.teams``)."""
    cases = weighing.cases
    workers = weighing.workers
    code = cases["worker_code"].to_numpy()
    held = code >= 0
    team = cases["team"].to_numpy(dtype=object).copy()
    role = np.full(len(cases), "", dtype=object)
    team[held] = workers["team"].to_numpy(dtype=object)[code[held]]
    role[held] = workers["role"].to_numpy(dtype=object)[code[held]]
    category = cases["category"].to_numpy(dtype=object)
    cp = np.isin(category, policy.categories_in("child_protection"))
    looked_after = np.isin(category, policy.categories_in("looked_after"))
    by_tm = held & np.isin(role, policy.roles_where("team_manager"))
    rows = []
    for name in teams:
        mask = np.ones(len(cases), bool) if name == SERVICE else team == name
        rows.append(
            {
                "team": name,
                "cp_children": int((cp & mask).sum()),
                "looked_after_children": int((looked_after & mask).sum()),
                "cases_held_by_tm": int((by_tm & mask).sum()),
            }
        )
    return pd.DataFrame(rows, columns=["team", *CASE_FIGURES])


def team_case_history(db: str | Path, month: str) -> pd.DataFrame:
    """The case figures stored for ``month`` (``CASE_FIGURES`` per team); no rows for a month
    snapshotted before they were kept (its figures are then not available)."""
    connection = connect(db)
    try:
        rows = connection.execute(
            "SELECT team, figures FROM team_cases WHERE month = ? ORDER BY rowid", (month,)
        ).fetchall()
    finally:
        connection.close()
    return pd.DataFrame(
        [{"team": team, **json.loads(figures)} for team, figures in rows],
        columns=["team", *CASE_FIGURES],
    )


def months(db: str | Path) -> list[str]:
    """Months stored, oldest first."""
    connection = connect(db)
    try:
        return [r[0] for r in connection.execute("SELECT month FROM months ORDER BY month")]
    finally:
        connection.close()


def worker_history(db: str | Path, upto: str | None = None) -> pd.DataFrame:
    """Every stored worker-month (up to ``upto`` inclusive when given)."""
    connection = connect(db)
    try:
        query = "SELECT * FROM workers" + (" WHERE month <= ?" if upto else "")
        frame = pd.read_sql_query(query, connection, params=(upto,) if upto else ())
    finally:
        connection.close()
    return frame


def team_history(db: str | Path, month: str) -> pd.DataFrame:
    """The team figures stored for ``month`` (the team table of ``udfs.teams``)."""
    connection = connect(db)
    try:
        rows = connection.execute(
            "SELECT figures FROM teams WHERE month = ? ORDER BY rowid", (month,)
        ).fetchall()
    finally:
        connection.close()
    return pd.DataFrame([json.loads(r[0]) for r in rows])


def escalation(db: str | Path, month: str, policy: Policy) -> pd.DataFrame:
    """Per worker of ``month``: consecutive months over maximum up to it and the action
    (``escalate`` when more than ``policy.escalate_after_months``, ``record reason`` when over
    this month, else ''). A calendar month with no snapshot of the worker ends a run."""
    check_month(month)
    history = worker_history(db, upto=month)
    current = history[history["month"] == month]
    if current.empty:
        raise HistoryError(f"no snapshot for {month} in the history")
    columns = month_range(history["month"].min(), month)
    grid = history.pivot_table(
        index="worker_id", columns="month", values="status", aggfunc="first"
    ).reindex(index=current["worker_id"], columns=columns)
    cells = grid.to_numpy(dtype=object)
    cells = np.where(pd.isna(cells), "", cells)  # not recorded that month: ends a run
    counts = _months_over(cells) if len(cells) else np.zeros(0, dtype=np.int64)
    action = np.select(
        [counts > policy.escalate_after_months, counts > 0], [ESCALATE, RECORD_REASON], ""
    )
    return pd.DataFrame(
        {
            "worker_id": current["worker_id"].to_numpy(),
            "team": current["team"].to_numpy(),
            "status": current["status"].to_numpy(),
            "months_over": counts.astype(int),
            "action": action,
        }
    )


def month_team_figures(db: str | Path, month: str, policy: Policy) -> pd.DataFrame:
    """The team table stored for ``month`` with ``workers_over_long`` filled in from the
    history: per team (and ``SERVICE``), workers over maximum for more than
    ``policy.escalate_after_months`` consecutive months up to ``month``."""
    table = team_history(db, month)
    escalated = escalation(db, month, policy)
    long_over = escalated["months_over"] > policy.escalate_after_months
    by_team = escalated[long_over].groupby("team").size()
    table["workers_over_long"] = [
        int(long_over.sum()) if t == SERVICE else int(by_team.get(t, 0)) for t in table["team"]
    ]
    return table
