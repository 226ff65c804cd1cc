"""Reading Workers and Cases tables forgivingly, rejecting bad rows loudly (tracker-format.md).

Input is a ``RawTable``: the cells under a header row, as read from a sheet, an Excel table or
an Excel range passed to a ``CW_`` function. Output is an ``Intake``: clean frames with the
columns below, and the list of ``Rejection``s, each naming its sheet, cell and value.

Clean Workers columns: ``worker_id`` (str), ``team``, ``role`` (codes), ``fte`` (float),
``asye_months`` (float, NaN blank), ``agency`` (bool), ``reduction_pct`` (float, 0 blank),
``incomplete`` (bool), ``row`` (the sheet row).

Clean Cases columns: ``case_id``, ``worker_id`` ('' unallocated), ``team`` ('' unknown),
``family_id`` ('' blank), ``category`` (code), ``level`` (float, NaN blank), ``status``
(``active`` | ``awaiting_closure``), ``distance_miles`` (float, NaN), ``placement_unstable``
(bool), ``age`` (float, NaN), ``row``.

Values are never guessed: a plain FTE of 50 is rejected, not read as 50%. No message carries
anything but the offending field's own value.
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, datetime

import numpy as np
import pandas as pd

from udfs.errors import CaseloadError
from udfs.excel_dates import from_serial
from udfs.policy import Policy
from udfs.teams import SERVICE
from udfs.weights import ACTIVE, STATUSES
from udfs.yes_no import NO, YES

WORKER_FIELDS = (
    "worker_id",
    "team",
    "role",
    "fte",
    "asye_months",
    "asye_start",
    "agency",
    "reduction_pct",
)
# The Workers columns of the tracker template and of a clean frame (before ``incomplete`` and
# ``row``): ``asye_start``, where a tracker has it, is read into ``asye_months``.
WORKER_COLUMNS = tuple(f for f in WORKER_FIELDS if f != "asye_start")
CASE_FIELDS = (
    "case_id",
    "worker_id",
    "team",
    "family_id",
    "category",
    "level",
    "status",
    "distance_miles",
    "placement_unstable",
    "age",
)
REQUIRED = {
    "Workers": ("worker_id", "team", "role", "fte"),
    "Cases": ("case_id", "worker_id", "category"),
}


class TrackerUnusable(CaseloadError):
    """The file or table cannot be used at all (missing table, required column missing...)."""


@dataclass(frozen=True)
class Rejection:
    """One field of one row that could not be read; the row is left out of every figure."""

    sheet: str
    row: int
    cell: str
    field: str
    value: str
    reason: str
    private: bool = False
    """A field of a child's row: the message (``str``) shows ``value`` only when it is a plain
    number; the workbook's own rejections table (``CW_REJECTIONS``) still shows it."""

    def __str__(self) -> str:
        value = self.value
        if self.private and value not in ("", WITHHELD_DATE):
            value = shown_value(value, withhold_text=True)
        return f"{self.sheet}!{self.cell} (row {self.row}, {self.field} {value!r}): {self.reason}"


@dataclass
class RawTable:
    """Cells under a header row: ``frame`` holds them with the headers as written.

    ``sheet`` is where the cells are (messages name it); ``table`` which table they are
    (``Workers`` or ``Cases``) when that differs from the sheet's name, as for an Excel table
    or a mapped sheet. ``first_row`` and ``first_col`` are the sheet row and column (1-based) of
    the first data cell; ``percent`` (same shape, optional) is True where a cell is formatted
    as a percentage.
    """

    sheet: str
    frame: pd.DataFrame
    first_row: int = 2
    first_col: int = 1
    percent: pd.DataFrame | None = None
    table: str | None = None

    @property
    def kind(self) -> str:
        """Which table this is: ``Workers`` or ``Cases``."""
        return self.table or self.sheet

    @classmethod
    def from_rows(cls, sheet: str, rows: list[list[object]], first_row: int = 1) -> RawTable:
        """From a 2-D list whose first row is the header (as an Excel range arrives)."""
        if not rows:
            raise TrackerUnusable(f"{sheet}: the range is empty (expected a header row)")
        header = ["" if h is None else str(h) for h in rows[0]]
        body = [list(r) + [None] * (len(header) - len(r)) for r in rows[1:]]
        frame = pd.DataFrame(body, columns=header, dtype=object)
        return cls(sheet=sheet, frame=frame, first_row=first_row + 1)


@dataclass
class Intake:
    """Clean frames and what was rejected on the way."""

    workers: pd.DataFrame
    cases: pd.DataFrame
    rejections: list[Rejection] = field(default_factory=list)
    incomplete_teams: frozenset[str] = frozenset()
    """Teams (and ``SERVICE``) whose figures a rejected row would have changed."""

    @property
    def rejected_rows(self) -> int:
        """Number of distinct rows rejected (a row with two bad fields counts once)."""
        return len({(r.sheet, r.row) for r in self.rejections})


def canonical_header(header: object) -> str:
    """``Worker ID``, ``worker-id``, ``WORKER_ID`` -> ``worker_id``; ``Reduction %`` ->
    ``reduction_pct``."""
    text = str(header).replace("%", " pct ").strip().lower()
    return re.sub(r"[\s\-_]+", "_", text).strip("_")


WHOLE_NUMBER = re.compile(r"^(-?\d+)\.0+$")


def cell_text(value: object) -> str:
    """One cell as trimmed text: blank is '', a whole number its digits (101.0 -> '101')."""
    if type(value) is str:  # the common case first
        text = value.strip()
        if "." not in text:
            return text
        whole = WHOLE_NUMBER.match(text)
        return whole.group(1) if whole else text
    if value is None:
        return ""
    if isinstance(value, float):
        if value != value:  # NaN
            return ""
        return str(int(value)) if value.is_integer() else repr(value)
    if isinstance(value, datetime | date):
        return value.isoformat()
    text = str(value).strip()
    whole = WHOLE_NUMBER.match(text)
    return whole.group(1) if whole else text


def _distinct(cells: np.ndarray) -> tuple[np.ndarray, list[object]]:
    """(code per cell, the distinct values): like ``pd.factorize``, but a TRUE cell is never
    the same value as the number 1 (hashing treats ``True == 1``, a spreadsheet does not)."""
    kind = pd.api.types.infer_dtype(cells, skipna=True) if cells.dtype == object else ""
    if kind in ("string", "floating", "integer", "empty", "date", "datetime", ""):
        codes, uniques = pd.factorize(cells, use_na_sentinel=True)
        return codes, list(uniques)
    marked = np.array([type(value) is bool for value in cells], dtype=bool)
    if not marked.any():
        codes, uniques = pd.factorize(cells, use_na_sentinel=True)
        return codes, list(uniques)
    keys = cells.copy()
    keys[marked] = [f"\x00{value}" for value in cells[marked]]
    codes, uniques = pd.factorize(keys, use_na_sentinel=True)
    originals = {f"\x00{flag}": flag for flag in (True, False)}
    return codes, [originals.get(u, u) if isinstance(u, str) else u for u in uniques]


Distinct = tuple[np.ndarray, list[object]]
"""A column as (code per cell, its distinct values): each value is converted once."""


def _text(column: Distinct) -> np.ndarray:
    """Cells as trimmed text, converting each distinct value once (columns repeat values)."""
    codes, uniques = column
    return np.array([cell_text(u) for u in uniques] + [""], dtype=object)[codes]


def is_blank_cell(value: object) -> bool:
    """True for an empty cell: None, NaN, or text of only spaces."""
    return value is None or value != value or (isinstance(value, str) and value.strip() == "")


def _blank(column: Distinct) -> np.ndarray:
    """True where a cell is empty (None, NaN or only spaces), one check per distinct value."""
    codes, uniques = column
    return np.array([is_blank_cell(u) for u in uniques] + [True], dtype=bool)[codes]


CODE_SEPARATORS = re.compile(r"[\s\-_]+")


def _code_key(text: str) -> str:
    """Codes compare ignoring case, with spaces, hyphens and underscores alike."""
    return CODE_SEPARATORS.sub("_", text.strip()).upper()


def _per_value(column: Distinct, convert: Callable[[object], tuple]) -> list[np.ndarray]:
    """Apply ``convert`` once per distinct cell value; one array per item it returns."""
    codes, uniques = column
    converted = [convert(u) for u in uniques] + [convert(None)]
    return [np.array(column, dtype=object)[codes] for column in zip(*converted, strict=True)]


def _number_value(value: object) -> tuple[float, bool, bool]:
    """(number, written_as_percent, unreadable) for one cell: ``50%`` -> (0.5, True, False)."""
    if isinstance(value, bool):
        return np.nan, False, True
    if isinstance(value, int | float):
        number = float(value)
        return (number, False, False) if math.isfinite(number) else (np.nan, False, True)
    text = cell_text(value)
    if text == "":
        return np.nan, False, False
    percent = text.endswith("%")
    try:
        number = float(text.rstrip("%").strip().replace(",", ""))
    except ValueError:
        return np.nan, False, True
    if not math.isfinite(number):  # NaN, inf typed as text: not a number a row can use
        return np.nan, False, True
    return (number / 100.0 if percent else number), percent, False


def _numbers(
    column: Distinct, percent: np.ndarray | None
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(value, shown_as_percent, unreadable): ``50%`` -> 0.5 shown as percent."""
    value, pct_text, unreadable = _per_value(column, _number_value)
    shown_pct = pct_text.astype(bool)
    if percent is not None:
        shown_pct |= percent
    return value.astype(float), shown_pct, unreadable.astype(bool)


def _yes_no_value(value: object) -> tuple[bool, bool]:
    text = cell_text(value).lower()
    return text in YES, not (text in YES or text in NO or text == "")


def _yes_no(column: Distinct) -> tuple[np.ndarray, np.ndarray]:
    yes, unreadable = _per_value(column, _yes_no_value)
    return yes.astype(bool), unreadable.astype(bool)


ISO_DATE = re.compile(r"^\d{4}-\d{1,2}-\d{1,2}")


def parse_date_text(text: str) -> date:
    """A date typed as text, read as a careful UK reader would: ISO ``2026-01-09`` is
    9 January; otherwise day first (``09/01/2026`` is 9 January). ``ValueError`` if neither."""
    text = text.strip()
    iso = ISO_DATE.match(text) is not None
    parsed = pd.to_datetime(text, dayfirst=not iso, yearfirst=iso, errors="coerce")
    if pd.isna(parsed):
        raise ValueError("is not a date")
    return parsed.date()


def _months_since(start: object, as_at: date) -> float:
    """Whole months from ``start`` (a date, or text like 01/09/2026) to ``as_at``; NaN blank."""
    if start is None or (isinstance(start, float) and np.isnan(start)) or str(start).strip() == "":
        return np.nan
    if isinstance(start, datetime):
        day = start.date()
    elif isinstance(start, date):
        day = start
    elif isinstance(start, int | float | np.number) and not isinstance(start, bool):
        day = from_serial(float(start)).date()  # a date cell passed as its serial (Office.js)
    else:
        day = parse_date_text(str(start))
    months = (as_at.year - day.year) * 12 + (as_at.month - day.month) - (as_at.day < day.day)
    if months < 0:
        raise ValueError(f"is after the as-at date {as_at.isoformat()}")
    return float(months)


class FieldReader:
    """Collects rejections for one table while its columns are read."""

    def __init__(
        self, raw: RawTable, fields: tuple[str, ...], required: tuple[str, ...] | None = None
    ) -> None:
        self.raw = raw
        columns: dict[str, int] = {}
        for position, header in enumerate(raw.frame.columns):
            name = canonical_header(header)
            if name in fields and name not in columns:
                columns[name] = position
        required = REQUIRED[raw.kind] if required is None else required
        missing = [f for f in required if f not in columns]
        if missing:
            raise TrackerUnusable(
                f"{raw.kind if raw.kind == raw.sheet else f'{raw.kind} (sheet {raw.sheet})'}: "
                f"required column(s) missing: {', '.join(missing)} "
                f"(headers found: {', '.join(str(c) for c in raw.frame.columns)})"
            )
        self.columns = columns
        self.n = len(raw.frame)
        self.bad = np.zeros(self.n, dtype=bool)
        self.rejections: list[Rejection] = []
        self._texts: dict[str, np.ndarray] = {}
        self._values: dict[str, np.ndarray] = {}
        self._distincts: dict[str, Distinct] = {}
        self.blank = np.logical_and.reduce(
            [self.empty(name) for name in columns] or [np.ones(self.n, bool)]
        )

    def text(self, name: str) -> np.ndarray:
        """A column's cells as trimmed text (computed once)."""
        if name not in self._texts:
            self._texts[name] = _text(self.distinct(name))
        return self._texts[name]

    def empty(self, name: str) -> np.ndarray:
        """True where a column's cell is blank."""
        if name in self._texts:
            return self._texts[name] == ""
        return _blank(self.distinct(name))

    def distinct(self, name: str) -> Distinct:
        """A column's distinct values and each cell's code (computed once)."""
        if name not in self._distincts:
            self._distincts[name] = _distinct(self.cell_values(name))
        return self._distincts[name]

    def cell_values(self, name: str) -> np.ndarray:
        """A column's cells as read (computed once; all blank for a column not present)."""
        if name not in self._values:
            if name in self.columns:
                cells = self.raw.frame.iloc[:, self.columns[name]].to_numpy(dtype=object)
            else:
                cells = np.full(self.n, None, dtype=object)
            self._values[name] = cells
        return self._values[name]

    def percent(self, name: str) -> np.ndarray | None:
        if self.raw.percent is None or name not in self.columns:
            return None
        flags = self.raw.percent.iloc[:, self.columns[name]].to_numpy(dtype=object)
        return np.array([bool(flag) for flag in flags], dtype=bool)

    def reject(
        self, name: str, mask: np.ndarray, reason: str | list[str] | Callable[[int], str]
    ) -> None:
        """Reject the non-blank rows in ``mask``; ``reason`` may be per row (list or function)."""
        mask = np.asarray(mask, dtype=bool) & ~self.blank
        if not mask.any():
            return
        values = self.cell_values(name)
        for position in np.flatnonzero(mask):
            row = self.raw.first_row + int(position)
            column = self.raw.first_col + self.columns.get(name, 0)
            value = values[position]
            self.rejections.append(
                Rejection(
                    sheet=self.raw.sheet,
                    row=row,
                    cell=f"{column_letter(column)}{row}",
                    field=name,
                    value=shown_value(value, withhold_dates=self.raw.kind == "Cases"),
                    reason=_reason_for(reason, int(position)),
                    # a child's row: of what was typed in it, messages show only the worker's ID
                    private=self.raw.kind == "Cases" and name != "worker_id",
                )
            )
        self.bad |= mask

    def codes(self, name: str, allowed: dict[str, str], what: str, required: bool) -> np.ndarray:
        """Codes matched ignoring case, spaces, hyphens and underscores."""
        lookup = {_code_key(key): code for key, code in allowed.items()}
        positions, uniques = pd.factorize(self.text(name))
        found = [lookup.get(_code_key(u), "") for u in uniques]
        blank = np.array([u == "" for u in uniques] + [True])[positions]
        matched = np.array(found + [""], dtype=object)[positions]
        unknown = (matched == "") & ~blank
        self.reject(name, unknown, f"unknown {what}: expected one of {', '.join(allowed)}")
        if required:
            self.reject(name, blank, f"{what} is blank")
        return matched

    def ids(self, name: str, required: bool) -> np.ndarray:
        """IDs as text ('' blank); a blank required ID rejects its row."""
        if required:
            self.reject(name, self.empty(name), f"{name} is blank")
        return self.text(name)

    def number(
        self, name: str, low: float, high: float, what: str, low_open: bool = False
    ) -> tuple[np.ndarray, np.ndarray]:
        """(value, shown_as_percent): NaN where blank; outside the bounds rejects the row."""
        value, shown_pct, unreadable = _numbers(self.distinct(name), self.percent(name))
        self.reject(name, unreadable, f"{what} is not a number")
        with np.errstate(invalid="ignore"):
            below = value <= low if low_open else value < low
            outside = below | (value > high)
        bracket = "(" if low_open else "["
        self.reject(
            name,
            outside,
            lambda position: f"{what} {value[position]:g} is outside {bracket}{low:g}, {high:g}]",
        )
        return value, shown_pct

    def level(self, name: str = "level") -> np.ndarray:
        """Complexity levels: whole numbers 1-4, NaN where blank (the category's default)."""
        level, _ = self.number(name, 1.0, 4.0, "level")
        fractional = ~np.isnan(level) & (np.nan_to_num(level) % 1 != 0)
        self.reject(name, fractional, "level must be a whole number 1-4")
        return level

    def yes_no(self, name: str) -> np.ndarray:
        """True for yes; anything but yes/no (or blank) rejects the row."""
        yes, unreadable = _yes_no(self.distinct(name))
        self.reject(name, unreadable, f"{name} must be yes or no")
        return yes

    def first_wins(self, ids: np.ndarray, name: str) -> np.ndarray:
        """Reject later rows repeating an ID; returns the mask of those duplicates."""
        filled = (ids != "") & ~self.blank
        duplicate = pd.Series(ids).duplicated(keep="first").to_numpy() & filled
        self.reject(name, duplicate, f"duplicate {name}: the first row with it stands")
        return duplicate


def _member(values: np.ndarray, items: object) -> np.ndarray:
    """True where a value is one of ``items`` (a hash lookup, not a scan)."""
    return pd.Series(values, dtype=object).isin(list(items)).to_numpy()


def column_letter(column: int) -> str:
    """Excel's letters for a 1-based column number (1 -> A, 27 -> AA).

    Written here rather than imported from openpyxl: importing openpyxl costs every command
    ~50 ms, and this is all the intake needs of it.
    """
    letters = ""
    while column > 0:
        column, remainder = divmod(column - 1, 26)
        letters = chr(65 + remainder) + letters
    return letters


DATE_LIKE = re.compile(r"\d{1,4}\s*[-/.]\s*\d{1,2}\s*[-/.]\s*\d{1,4}")
WITHHELD_DATE = "(a date, not shown)"
WITHHELD_TEXT = "(text, not shown)"
PLAIN_NUMBER = re.compile(r"^\s*[-+]?\d{1,15}(?:\.\d{1,15})?(?:e[-+]?\d{1,3})?\s*%?\s*$", re.I)


def shown_value(value: object, withhold_dates: bool = False, withhold_text: bool = False) -> str:
    """A cell's value as a message shows it: whole numbers without ``.0``, blank as ''.

    With ``withhold_dates`` (case rows) a date is never shown: a date typed into a child's row
    (in ``age``, say) may be the child's date of birth. With ``withhold_text`` no text but a
    plain number is shown either (a name typed into ``category``): the message names the
    sheet, cell, field and what was expected instead. A very large number is shown in
    exponent form (``1e+308``).
    """
    if withhold_dates and (
        isinstance(value, date) or (isinstance(value, str) and DATE_LIKE.search(value))
    ):
        return WITHHELD_DATE
    if value is None or (isinstance(value, float) and np.isnan(value)):
        return ""
    if isinstance(value, float) and value.is_integer() and abs(value) < 1e15:
        return str(int(value))
    if withhold_text and not isinstance(value, int | bool) and not PLAIN_NUMBER.match(str(value)):
        # a child's row: text typed into it may be the child's name; only numbers are shown
        return WITHHELD_TEXT
    return str(value)


def _reason_for(reason: str | list[str] | Callable[[int], str], position: int) -> str:
    if isinstance(reason, str):
        return reason
    if isinstance(reason, list):
        return reason[position]
    return reason(position)


def worker_fields(reader: FieldReader, policy: Policy, as_at: date) -> dict[str, np.ndarray]:
    """A worker's fields other than worker_id, read and checked as tracker-format.md says:
    team, role, fte, asye_months (or months since asye_start), agency, reduction_pct (a
    percentage-formatted ``20%`` is 20). The one reader of these fields: ``read_workers`` and
    the CW_ functions that take worker columns both call it."""
    team = reader.codes("team", {c: c for c in policy.teams}, "team", required=True)
    role = reader.codes("role", {c: c for c in policy.roles}, "role", required=True)
    fte, _ = reader.number("fte", 0.0, 1.0, "FTE", low_open=True)  # 50% is already 0.5
    reader.reject("fte", reader.empty("fte"), "FTE is blank")
    months, _ = reader.number("asye_months", 0.0, np.inf, "asye_months")
    if "asye_start" in reader.columns:
        # only a role whose capacity rises with the months (ASYE) uses them
        ramped = {code for code, r in policy.roles.items() if r.ramp_to is not None}
        starts = reader.cell_values("asye_start")
        from_start = np.full(reader.n, np.nan)
        reasons = [""] * reader.n
        for position, start in enumerate(starts):
            if role[position] not in ramped:
                continue
            try:
                from_start[position] = _months_since(start, as_at)
            except ValueError as exc:
                reasons[position] = f"asye_start {exc}"
        reader.reject("asye_start", np.array([bool(r) for r in reasons]), reasons)
        months = np.where(np.isnan(months), from_start, months)
    agency = reader.yes_no("agency")
    reduction, reduction_pct = reader.number("reduction_pct", 0.0, np.inf, "reduction_pct")
    with np.errstate(over="ignore"):  # 1e308% is above 100 (rejected below), not a warning
        reduction = np.where(reduction_pct, reduction * 100.0, reduction)
    with np.errstate(invalid="ignore"):
        reader.reject("reduction_pct", reduction > 100, "reduction_pct is above 100")
    return {
        "team": team,
        "role": role,
        "fte": fte,
        "asye_months": months,
        "agency": agency,
        "reduction_pct": np.nan_to_num(reduction, nan=0.0),
    }


def read_workers(raw: RawTable, policy: Policy, as_at: date) -> tuple[pd.DataFrame, FieldReader]:
    """Workers from a raw table, blank rows left out; ``rejected`` marks rows not to use."""
    reader = FieldReader(raw, WORKER_FIELDS)
    worker_id = reader.ids("worker_id", required=True)
    fields = worker_fields(reader, policy, as_at)
    duplicate = reader.first_wins(worker_id, "worker_id")
    frame = pd.DataFrame(
        {
            "worker_id": worker_id,
            **fields,
            # the first row of a duplicated id stands, but its worker is incomplete
            "incomplete": _member(worker_id, worker_id[duplicate]),
            "row": raw.first_row + np.arange(reader.n),
        }
    )
    frame["rejected"] = reader.bad
    return frame[~reader.blank].reset_index(drop=True), reader


def case_fields(reader: FieldReader, policy: Policy) -> dict[str, np.ndarray]:
    """A case's own fields, read and checked as tracker-format.md says: category, level (blank:
    the category's default), status (blank: active), distance_miles, placement_unstable, age.
    The one reader of these fields: ``read_cases`` and ``CW_CASE_WEIGHT`` both call it."""
    category = reader.codes(
        "category", {c: c for c in policy.categories}, "category", required=True
    )
    level = reader.level()
    status = reader.codes("status", {s: s for s in STATUSES}, "status", required=False)
    distance, _ = reader.number("distance_miles", 0.0, np.inf, "distance_miles")
    unstable = reader.yes_no("placement_unstable")
    age, _ = reader.number("age", 0.0, 150.0, "age")
    return {
        "category": category,
        "level": level,
        "status": np.where(status == "", ACTIVE, status),
        "distance_miles": distance,
        "placement_unstable": unstable,
        "age": age,
    }


def read_cases(
    raw: RawTable, policy: Policy, workers: pd.DataFrame, rejected_worker_ids: set[str]
) -> tuple[pd.DataFrame, FieldReader, set[str]]:
    """Cases, blank rows left out (``rejected`` marks rows not to use); the reader; and the
    worker ids made incomplete."""
    reader = FieldReader(raw, CASE_FIELDS)
    case_id = reader.ids("case_id", required=True)
    worker_id = reader.ids("worker_id", required=False)
    team = reader.codes("team", {c: c for c in policy.teams}, "team", required=False)
    family_id = reader.ids("family_id", required=False)
    fields = case_fields(reader, policy)

    known = set(workers["worker_id"])
    allocated = worker_id != ""
    of_rejected = allocated & _member(worker_id, rejected_worker_ids - known)
    reader.reject("worker_id", of_rejected, "this worker's row in Workers was rejected")
    unknown = allocated & ~_member(worker_id, known | rejected_worker_ids)
    reader.reject("worker_id", unknown, "worker is not in Workers")
    duplicate = reader.first_wins(case_id, "case_id")

    touched = set(worker_id[reader.bad & allocated & ~reader.blank]) & known
    first_of_repeated = _member(case_id, case_id[duplicate]) & ~duplicate & ~reader.bad
    touched |= set(worker_id[first_of_repeated & allocated]) & known
    frame = pd.DataFrame(
        {
            "case_id": case_id,
            "worker_id": worker_id,
            "team": team,
            "family_id": family_id,
            **fields,
            "row": raw.first_row + np.arange(reader.n),
        }
    )
    frame["rejected"] = reader.bad
    return frame[~reader.blank].reset_index(drop=True), reader, touched


def read_tracker(
    workers_raw: RawTable, cases_raw: RawTable, policy: Policy, as_at: date | None = None
) -> Intake:
    """Read and check a Workers and a Cases table; see the module docstring for the result."""
    as_at = as_at or date.today()
    all_workers, worker_reader = read_workers(workers_raw, policy, as_at)
    workers = all_workers[~all_workers["rejected"]].drop(columns="rejected")
    rejected_ids = set(all_workers.loc[all_workers["rejected"], "worker_id"])
    all_cases, case_reader, touched = read_cases(cases_raw, policy, workers, rejected_ids)
    cases = all_cases[~all_cases["rejected"]].drop(columns="rejected").reset_index(drop=True)
    workers = workers.reset_index(drop=True)
    workers["incomplete"] = workers["incomplete"] | workers["worker_id"].isin(touched)
    return Intake(
        workers=workers,
        cases=cases,
        rejections=worker_reader.rejections + case_reader.rejections,
        incomplete_teams=_teams_touched(all_workers, all_cases),
    )


def _teams_touched(all_workers: pd.DataFrame, all_cases: pd.DataFrame) -> frozenset[str]:
    """Teams whose figures a rejected row would have changed, and ``SERVICE`` if any would.

    A rejected worker row counts for its team; a rejected case for its worker's team (read
    from the worker's row even if that row was rejected) or, unallocated, for its own team.
    """
    team_of = dict(
        zip(all_workers["worker_id"][::-1], all_workers["team"][::-1], strict=True)
    )  # reversed, so the first row of a repeated id wins
    teams = set(all_workers.loc[all_workers["rejected"], "team"])
    bad_cases = all_cases[all_cases["rejected"]]
    for worker, own_team in zip(bad_cases["worker_id"], bad_cases["team"], strict=True):
        teams.add(team_of.get(worker, "") if worker else own_team)
    if teams or not bad_cases.empty:
        teams.add(SERVICE)
    return frozenset(teams - {""})
