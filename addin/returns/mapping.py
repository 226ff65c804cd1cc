"""Column and code mappings kept beside a tracker (``TRACKER.mapping.yaml``).

A mapping says which sheet is Workers and which is Cases, which header means which canonical
field (tracker-format.md) and which of the tracker's own codes means which policy code. It is
proposed by ``caseload map`` from the headers and the codes seen, for a person to confirm, and
applied to the raw tables before ``udfs.intake.read_tracker`` reads them.

Only the values of code columns (team, role, category, status and yes/no columns) are ever
written into a proposal; a header that looks like a name or a date of birth is never mapped.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pandas as pd
import yaml

from udfs.intake import CASE_FIELDS, WORKER_FIELDS, RawTable, canonical_header
from udfs.policy import Policy

MAPPING_SUFFIX = ".mapping.yaml"
CODE_FIELDS = ("team", "role", "category", "status", "agency", "placement_unstable")
PERSONAL = re.compile(r"name|birth|dob|address|postcode|nhs|telephone|phone|email", re.I)
MAX_VALUES = 60

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


class MappingError(ValueError):
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

    @classmethod
    def from_dict(cls, data: dict[str, Any], origin: str = "mapping") -> Mapping:
        """Build from parsed YAML, checking the shape."""
        if not isinstance(data, dict):
            raise MappingError(f"{origin}: expected a mapping at the top level")
        known = {"sheets", "columns", "values", "confirmed", "kind"}
        for key in ("sheets", "columns", "values"):
            if key in data and data[key] is not None and not isinstance(data[key], dict):
                raise MappingError(f"{origin}: {key} must be a mapping")
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


def mapping_path(tracker: str | Path) -> Path:
    """``TRACKER.xlsx`` -> ``TRACKER.mapping.yaml`` beside it."""
    tracker = Path(tracker)
    return tracker.with_name(tracker.stem + MAPPING_SUFFIX)


def load_mapping(path: str | Path) -> Mapping:
    """Read a mapping file; ``MappingError`` when it is not usable."""
    path = Path(path)
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    except (OSError, yaml.YAMLError) as exc:
        raise MappingError(f"{path.name}: cannot read the mapping ({type(exc).__name__})") from None
    return Mapping.from_dict(data, path.name)


def mapping_beside(tracker: str | Path) -> Mapping | None:
    """The mapping kept beside ``tracker``, or None when there is none."""
    path = mapping_path(tracker)
    return load_mapping(path) if path.exists() else None


def save_mapping(mapping: Mapping, path: Path, header: str = "") -> None:
    """Write a mapping as YAML with an explanatory header comment (a new file)."""
    text = yaml.safe_dump(mapping.to_dict(), sort_keys=False, allow_unicode=True)
    path.write_text(header + text, encoding="utf-8")


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
        codes = {k: "yes" for k in ("yes", "y", "true", "1")}
        codes.update({k: "no" for k in ("no", "n", "false", "0")})
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
                for value in pd.unique(column.astype(str).str.strip())[:MAX_VALUES]:
                    if value and value not in seen:
                        seen[value] = guess_code(value, target, policy)
        mapping.columns[table] = renames
    return mapping
