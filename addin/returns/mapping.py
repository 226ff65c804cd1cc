"""Column and code mappings kept beside a tracker (``TRACKER.mapping.yaml``).

A mapping says which sheet is Workers and which is Cases, which header means which canonical
field (tracker-format.md) and which of the tracker's own codes means which policy code. It is
proposed by ``caseload map`` from the headers and the codes seen, for a person to confirm, and
applied to the raw tables before ``udfs.intake.read_tracker`` reads them.

Only the values of code columns (team, role, category, status and yes/no columns) are ever
written into a proposal; a header that looks like a name or a date of birth is never mapped,
and a value in a code column that looks like a name, a date or free text is never copied
(``withheld`` counts them by sheet and column, for the message).

A mapping file is read within the limits of ``udfs.policy.read_yaml_file`` (size, values,
depth) and its shape is checked: a file that is not a mapping is an error naming it.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pandas as pd
import yaml

from udfs.errors import CaseloadError
from udfs.intake import (
    CASE_FIELDS,
    DATE_LIKE,
    NO,
    WORKER_FIELDS,
    YES,
    RawTable,
    canonical_header,
)
from udfs.policy import Policy, YamlLimitError, read_yaml_file

MAPPING_SUFFIX = ".mapping.yaml"
CODE_FIELDS = ("team", "role", "category", "status", "agency", "placement_unstable")
PERSONAL = re.compile(r"name|birth|dob|address|postcode|nhs|telephone|phone|email", re.I)
MAX_VALUES = 60
# A value copied into a proposal as a code the tracker uses: short, no digits-and-separators
# date, and either one word or written in capitals (AI, SGCP, "CIN PLAN"). Anything else in a
# code column (two capitalised words, a date in words) may be a child's name or birth date.
CODE_LIKE = re.compile(r"^(?:[^\s]{1,24}|[A-Z0-9][A-Z0-9 &/()._-]{0,23})$")
MONTH_WORDS = re.compile(
    r"\b(?:jan|feb|mar|apr|may|jun|jul|aug|sep|sept|oct|nov|dec)[a-z]*\b", re.I
)

SYNONYMS: dict[str, tuple[str, ...]] = {
    "worker_id": (
        "worker",
        "worker_ref",
        "staff_id",
        "staff_ref",
        "staff_number",
        "employee_id",
        "employee_number",
        "payroll_number",
        "sw_id",
        "allocated_worker_id",
    ),
    "team": ("team_code", "team_name", "unit", "service_team", "allocated_team"),
    "role": ("job_title", "post", "grade", "position", "role_code"),
    "fte": ("wte", "hours_fte", "contracted_fte", "fte_hours"),
    "agency": ("agency_worker", "locum", "agency_staff", "is_agency"),
    "asye_months": ("months_in_asye", "asye_month"),
    "asye_start": ("asye_start_date", "asye_started"),
    "reduction_pct": ("protected_time", "protected_time_pct", "reduction", "caseload_reduction"),
    "case_id": (
        "child_id",
        "child_ref",
        "child_unique_id",
        "lcs_id",
        "person_id",
        "case_ref",
        "case_number",
        "child_number",
    ),
    "family_id": ("family", "family_ref", "household_id", "household", "sibling_group"),
    "category": ("case_type", "plan_type", "type", "case_category", "plan"),
    "level": ("complexity", "complexity_level", "weighting_level"),
    "status": ("case_status", "state"),
    "distance_miles": ("placement_distance", "distance", "miles"),
    "placement_unstable": ("unstable_placement", "unstable", "placement_instability"),
    "age": ("age_years", "child_age"),
}

CODE_SYNONYMS: dict[str, dict[str, str]] = {
    "category": {
        "child_in_need": "CIN",
        "cin_plan": "CIN",
        "child_protection": "CP",
        "cp_plan": "CP",
        "cpp": "CP",
        "looked_after": "LAC",
        "looked_after_child": "LAC",
        "cla": "LAC",
        "child_looked_after": "LAC",
        "children_in_care": "LAC",
        "care_proceedings": "PROC",
        "proceedings": "PROC",
        "plo": "PROC",
        "assessment": "ASMT",
        "s47": "ASMT",
        "s17": "ASMT",
        "care_leaver": "CL",
        "leaving_care": "CL",
        "fostering_household": "FH",
        "fostering_assessment": "FA",
        "adoption_support": "ADS",
        "family_finding": "FF",
        "adopter_assessment": "AA",
        "iro_review": "REV",
        "review": "REV",
    },
    "role": {
        "social_worker": "SW",
        "nqsw": "ASYE",
        "newly_qualified": "ASYE",
        "senior_social_worker": "SSW",
        "senior_practitioner": "SSW",
        "practice_supervisor": "PS",
        "senior_practice_supervisor": "SPS",
        "team_manager": "TM",
        "manager": "TM",
        "independent_reviewing_officer": "IRO",
        "supervising_social_worker": "SSWF",
    },
    "status": {
        "open": "active",
        "allocated": "active",
        "closing": "awaiting_closure",
        "to_close": "awaiting_closure",
        "pending_closure": "awaiting_closure",
    },
}


class MappingError(CaseloadError):
    """A mapping file that cannot be used; the message names the key."""


def norm(value: object) -> str:
    """A header or code as compared: case, spaces, hyphens and underscores ignored."""
    return canonical_header(value)


@dataclass
class Mapping:
    """A tracker's mapping: sheets, column renames and code recodes per canonical field."""

    sheets: dict[str, str] = field(default_factory=lambda: {"Workers": "Workers", "Cases": "Cases"})
    columns: dict[str, dict[str, str | None]] = field(default_factory=dict)
    values: dict[str, dict[str, str | None]] = field(default_factory=dict)
    confirmed: bool = False
    kind: str = "tracker"
    extra: dict[str, Any] = field(default_factory=dict)
    withheld: dict[str, int] = field(default_factory=dict, compare=False)
    """Values of code columns not copied (they look personal), counted per sheet and column."""

    @classmethod
    def from_dict(cls, data: dict[str, Any], origin: str = "mapping") -> Mapping:
        """Build from parsed YAML, checking the shape."""
        if not isinstance(data, dict):
            raise MappingError(f"{origin}: expected a mapping at the top level")
        known = {"sheets", "columns", "values", "confirmed", "kind"}
        for key in ("sheets", "columns", "values"):
            if key in data and data[key] is not None and not isinstance(data[key], dict):
                raise MappingError(f"{origin}: {key} must be a mapping")
        _check_shape(data, origin)
        mapping = cls(
            sheets={"Workers": "Workers", "Cases": "Cases", **(data.get("sheets") or {})},
            columns={str(k): dict(v or {}) for k, v in (data.get("columns") or {}).items()},
            values={str(k): dict(v or {}) for k, v in (data.get("values") or {}).items()},
            confirmed=bool(data.get("confirmed", False)),
            kind=str(data.get("kind", "tracker")),
            extra={k: v for k, v in data.items() if k not in known},
        )
        for table, renames in mapping.columns.items():
            fields = WORKER_FIELDS if table == "Workers" else CASE_FIELDS
            for header, target in renames.items():
                if target is not None and target not in fields:
                    raise MappingError(
                        f"{origin}: columns.{table}.{header}: unknown field {target!r}"
                    )
        return mapping

    def to_dict(self) -> dict[str, Any]:
        """As written to YAML."""
        return {
            "kind": self.kind,
            "confirmed": self.confirmed,
            "sheets": self.sheets,
            "columns": self.columns,
            "values": self.values,
            **self.extra,
        }


def _check_shape(data: dict[str, Any], origin: str) -> None:
    """``MappingError`` naming the key where a mapping's parts are not what they must be:
    sheets names to text; columns and values tables of text to text (or null)."""
    if "confirmed" in data and not isinstance(data["confirmed"], bool | None):
        raise MappingError(f"{origin}: confirmed must be true or false")
    for table, name in (data.get("sheets") or {}).items():
        if not isinstance(name, str | None) or not isinstance(table, str):
            raise MappingError(f"{origin}: sheets.{table}: expected a sheet name")
    for key in ("columns", "values"):
        for group, inner in (data.get(key) or {}).items():
            if inner is not None and not isinstance(inner, dict):
                raise MappingError(f"{origin}: {key}.{group} must be a mapping")
            for source, target in (inner or {}).items():
                if isinstance(source, dict | list) or not isinstance(target, str | None):
                    raise MappingError(f"{origin}: {key}.{group}: expected text -> text or null")


def mapping_path(tracker: str | Path) -> Path:
    """``TRACKER.xlsx`` -> ``TRACKER.mapping.yaml`` beside it."""
    tracker = Path(tracker)
    return tracker.with_name(tracker.stem + MAPPING_SUFFIX)


def load_mapping(path: str | Path) -> Mapping:
    """Read a mapping file; ``MappingError`` when it is not usable."""
    path = Path(path)
    try:
        data = read_yaml_file(path, what="mapping file")
    except YamlLimitError as exc:
        raise MappingError(f"{path.name}: mapping file refused: {exc}") from None
    except (OSError, UnicodeDecodeError, yaml.YAMLError) as exc:
        raise MappingError(f"{path.name}: cannot read the mapping ({type(exc).__name__})") from None
    if data is None:
        raise MappingError(f"{path.name}: the mapping file is empty")
    return Mapping.from_dict(data, path.name)


def mapping_beside(tracker: str | Path) -> Mapping | None:
    """The mapping kept beside ``tracker``, or None when there is none."""
    path = mapping_path(tracker)
    return load_mapping(path) if (path.exists() or path.is_symlink()) else None


def save_mapping(mapping: Mapping, path: Path, header: str = "") -> None:
    """Write a mapping as YAML with an explanatory header comment: a new file, created
    exclusively (``FileExistsError`` if anything, even a dangling symlink, is at ``path``)."""
    text = yaml.safe_dump(mapping.to_dict(), sort_keys=False, allow_unicode=True)
    with open(path, "x", encoding="utf-8") as handle:
        handle.write(header + text)


_SERVICE_WORDS = (
    "team service services unit hub area locality north south east west central city county "
    "children child young people family families care leaving leavers support front door "
    "court disabled disability disabilities assessment assessments safeguarding plan plans "
    "protection need needs looked after adoption fostering placement placements review "
    "reviews and of the for with in to active open closed closing awaiting closure yes no "
    "worker social senior practitioner manager officer independent reviewing qualified "
    "newly supervisor practice agency locum"
)
SERVICE_WORDS = frozenset(_SERVICE_WORDS.split(" "))


def _vocabulary(policy: Policy) -> frozenset[str]:
    """Words a code column's value may be made of when it is not one word or in capitals:
    the service words above and the words of the policy's own names and code synonyms."""
    words = set(SERVICE_WORDS)
    for group in (policy.teams, policy.roles, policy.categories):
        for code, record in group.items():
            words.update(re.findall(r"[a-z]+", f"{code} {record.name}".lower()))
    for table in CODE_SYNONYMS.values():
        for key in table:
            words.update(key.split("_"))
    return frozenset(words)


def looks_like_a_code(value: str, vocabulary: frozenset[str] = SERVICE_WORDS) -> bool:
    """True for a value a code column may be copied into a proposal with: not a date
    (``04/03/2012``, ``4 March 2012``), and either short and one word or in capitals
    (``AI``, ``CIN PLAN``), or made only of ``vocabulary`` words (``Front Door Team``). A
    child's name typed into a code column (``Alice Example``) is not one."""
    if DATE_LIKE.search(value) or (MONTH_WORDS.search(value) and re.search(r"\d", value)):
        return False
    if CODE_LIKE.match(value):
        return True
    words = re.findall(r"[^\W\d_]+", value.lower())
    return bool(words) and len(value) <= 60 and all(w in vocabulary for w in words)


def _recode(series: pd.Series, table: dict[str, str | None]) -> pd.Series:
    lookup = {norm(k): v for k, v in table.items() if v is not None}
    if not lookup:
        return series

    def one(value: object) -> object:
        if value is None or (isinstance(value, float) and value != value):
            return value
        return lookup.get(norm(value), value)

    codes, uniques = pd.factorize(series.to_numpy(dtype=object), use_na_sentinel=True)
    converted = [one(u) for u in uniques] + [None]
    return pd.Series([converted[c] for c in codes], index=series.index, dtype=object)


def apply_mapping(raw: RawTable, mapping: Mapping) -> RawTable:
    """Rename ``raw``'s columns to canonical fields and recode its values per ``mapping``.

    ``raw.kind`` must be ``Workers`` or ``Cases`` (the table it is read as). Headers are
    matched ignoring case, spaces, hyphens and underscores; a header mapped to null is dropped
    (never read). Values not in a field's code table are left as written, so the reader rejects
    an unknown code loudly rather than this step guessing.
    """
    renames = {norm(k): v for k, v in mapping.columns.get(raw.kind, {}).items()}
    keep, names = [], []
    for position, header in enumerate(raw.frame.columns):
        key = norm(header)
        if key in renames:
            if renames[key] is None:
                continue
            keep.append(position)
            names.append(renames[key])
        else:
            keep.append(position)
            names.append(header)
    frame = raw.frame.iloc[:, keep].copy()
    frame.columns = names
    for position, name in enumerate(names):
        table = mapping.values.get(canonical_header(name))
        if table:
            frame.iloc[:, position] = _recode(frame.iloc[:, position], table).to_numpy()
    percent = None
    if raw.percent is not None:
        percent = raw.percent.iloc[:, keep].copy()
        percent.columns = names
    return RawTable(raw.sheet, frame, raw.first_row, raw.first_col, percent, table=raw.kind)


def guess_field(header: object, fields: tuple[str, ...]) -> str | None:
    """The canonical field a header most likely means, or None (never for personal data)."""
    key = norm(header)
    known = key in fields or any(key in SYNONYMS.get(name, ()) for name in fields)
    if PERSONAL.search(str(header)) and not known:
        return None
    if key in fields:
        return key
    for name in fields:
        if key in SYNONYMS.get(name, ()):
            return name
    return None


def guess_code(value: object, field_name: str, policy: Policy) -> str | None:
    """The policy code a tracker's own code most likely means, or None."""
    key = norm(value)
    if field_name == "team":
        codes = {norm(c): c for c in policy.teams}
        codes.update({norm(t.name): c for c, t in policy.teams.items()})
    elif field_name == "role":
        codes = {norm(c): c for c in policy.roles}
        codes.update({norm(r.name): c for c, r in policy.roles.items()})
    elif field_name == "category":
        codes = {norm(c): c for c in policy.categories}
        codes.update({norm(r.name): c for c, r in policy.categories.items()})
    elif field_name == "status":
        codes = {"active": "active", "awaiting_closure": "awaiting_closure"}
    else:
        codes = {k: "yes" for k in YES}
        codes.update({k: "no" for k in NO})
    codes.update(CODE_SYNONYMS.get(field_name, {}))
    if key in codes:
        return codes[key]
    # the longest known name or synonym contained in the value ("Looked After Children Team")
    contained = [(len(k), code) for k, code in codes.items() if len(k) > 3 and k in key]
    return max(contained)[1] if contained else None


def propose_mapping(tables: dict[str, pd.DataFrame], policy: Policy) -> Mapping:
    """Propose a mapping from a workbook's sheets (name -> frame with headers as written).

    Workers is the sheet whose headers name the most worker fields, Cases the one naming the
    most case fields. Each code column's distinct values (at most ``MAX_VALUES``) are listed
    with the code proposed for it, or null where a person must decide.
    """

    def score(frame: pd.DataFrame, fields: tuple[str, ...], required: tuple[str, ...]) -> int:
        found = {guess_field(h, fields) for h in frame.columns} - {None}
        return len(found) + 10 * len(found & set(required))

    names = list(tables)
    if not names:
        raise MappingError("the workbook has no sheets")
    workers_sheet = max(
        names, key=lambda n: score(tables[n], WORKER_FIELDS, ("fte", "role", "worker_id"))
    )
    cases_sheet = max(
        [n for n in names if n != workers_sheet] or names,
        key=lambda n: score(tables[n], CASE_FIELDS, ("case_id", "category")),
    )
    mapping = Mapping(sheets={"Workers": workers_sheet, "Cases": cases_sheet})
    vocabulary = _vocabulary(policy)
    for table, sheet, fields in (
        ("Workers", workers_sheet, WORKER_FIELDS),
        ("Cases", cases_sheet, CASE_FIELDS),
    ):
        frame = tables[sheet]
        renames: dict[str, str | None] = {}
        taken: set[str] = set()
        for position, header in enumerate(frame.columns):
            target = guess_field(header, fields)
            if target in taken:
                target = None
            if target is not None:
                taken.add(target)
            renames[str(header)] = target
            if target in CODE_FIELDS:
                seen = mapping.values.setdefault(target, {})
                column = frame.iloc[:, position].dropna()
                withheld = 0
                for value in pd.unique(column.astype(str).str.strip())[:MAX_VALUES]:
                    if not value or value in seen:
                        continue
                    if not looks_like_a_code(value, vocabulary):
                        withheld += 1
                        continue
                    seen[value] = guess_code(value, target, policy)
                if withheld:
                    where = f"sheet {sheet}, column {header!s} ({target})"
                    mapping.withheld[where] = withheld
        mapping.columns[table] = renames
    return mapping
