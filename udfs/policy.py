"""Policies as data: load, validate, flatten to a key/value table and back.

A policy file is YAML (see ``udfs/presets/``). A preset may ``extends:`` another: its mappings
are merged key by key into the parent's, except that an entry of ``teams``, ``roles``,
``categories`` or ``caps`` is one record and replaces the parent's entry of that code whole.

In a workbook a policy is a key/value table (``policy_table``): dotted keys such as
``teams.SGCP.max`` or ``weights.levels.4``. A ``preset`` row names the preset the table starts
from; every other row overrides one value. ``policy_from_table`` reads it back, ignoring any
columns after the value (the Policy sheet shows each value's meaning and source there:
``udfs.policy_labels``).

A file's ``references`` name the document and section each value comes from
(``references_of``).
"""

from __future__ import annotations

from functools import lru_cache
from importlib import resources
from pathlib import Path
from typing import Any, Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator

from udfs.errors import CaseloadError
from udfs.yes_no import yes_or_no

PRESETS = ("gateshead", "walsall", "wales-scrutiny", "laming")
DEFAULT_PRESET = "gateshead"
MAX_POLICY_BYTES = 1024 * 1024
"""Largest policy (or mapping) file read: 1 MiB; checked before it is read."""
MAX_YAML_NODES = 20_000
"""Most YAML nodes in a policy or mapping, counted with every alias expanded (alias bombs)."""
MAX_YAML_DEPTH = 32
"""Deepest nesting of a policy or mapping."""


class PolicyError(CaseloadError):
    """A policy that cannot be used; the message names the key and the value."""


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, allow_inf_nan=False)


class Band(_Strict):
    """A range of children per FTE (a team's under-18 band): ``min`` at most ``max``."""

    min: float = Field(0.0, ge=0)
    max: float = Field(ge=0)

    @model_validator(mode="after")
    def _ordered(self) -> Band:
        if self.min > self.max:
            raise ValueError(f"min {self.min:g} is above max {self.max:g}")
        return self


class Placement(_Strict):
    """Step 2's placement modifiers: what a distant or unstable placement adds."""

    distance_over_miles: float = Field(ge=0)
    distance_add: float = Field(ge=0)
    unstable_add: float = Field(ge=0)


class Weights(_Strict):
    """The case-weight steps: a weight per level 1-4, placement modifiers, the
    awaiting-closure and sibling factors."""

    levels: dict[int, float]
    placement: Placement
    awaiting_closure_factor: float = Field(ge=0, le=1)
    sibling_factor: float = Field(ge=0, le=1)

    @field_validator("levels")
    @classmethod
    def _four_levels(cls, levels: dict[int, float]) -> dict[int, float]:
        if sorted(levels) != [1, 2, 3, 4]:
            raise ValueError(f"levels must be exactly 1, 2, 3 and 4, got {sorted(levels)}")
        for level, weight in levels.items():
            if not weight >= 0:
                raise ValueError(f"level {level} weight {weight} must be 0 or more")
        return levels


REPORTING_GROUPS = ("child_protection", "looked_after", "child_in_need", "other")


class Category(_Strict):
    """A case category. ``group`` is its reporting group: the returns, the history and the GMT
    review count child protection, looked-after and child-in-need cases by it."""

    name: str
    default_level: int = Field(ge=1, le=4)
    placement_modifiers: bool = False
    separately_capped: bool = False
    group: Literal["child_protection", "looked_after", "child_in_need", "other"] = "other"


class Role(_Strict):
    """A role. ``newly_qualified`` marks the assessed first year (ASYE headcount);
    ``team_manager`` the role that holds unallocated cases (the returns count them)."""

    name: str
    factor: float = Field(ge=0, le=1)
    ramp_to: float | None = Field(None, ge=0, le=1)
    ramp_months: float | None = Field(None, gt=0)
    newly_qualified: bool = False
    team_manager: bool = False

    @model_validator(mode="after")
    def _ramp_complete(self) -> Role:
        if (self.ramp_to is None) != (self.ramp_months is None):
            raise ValueError("ramp_to and ramp_months go together")
        return self


class CapRule(_Strict):
    """What a hard cap counts: cases or families, of its categories (or all)."""

    name: str
    categories: list[str] | Literal["all"]
    count: Literal["cases", "families"]

    @field_validator("categories", mode="before")
    @classmethod
    def _split(cls, value: Any) -> Any:
        return _split_list(value)


class Team(_Strict):
    """A team: its range in children per FTE, an optional under-18 band and its hard caps."""

    name: str
    min: float = Field(0.0, ge=0)
    max: float = Field(ge=0)
    under_18: Band | None = None
    caps: dict[str, int] = Field(default_factory=dict)

    @model_validator(mode="after")
    def _ordered(self) -> Team:
        if self.min > self.max:
            raise ValueError(f"min {self.min:g} is above max {self.max:g}")
        for key, limit in self.caps.items():
            if limit < 0:
                raise ValueError(f"cap {key} limit {limit} must be 0 or more")
        return self


class Policy(_Strict):
    """A complete, validated caseload policy."""

    name: str
    title: str = ""
    source: str = ""
    service_aim: float = Field(gt=0)
    escalate_after_months: int = Field(ge=0)
    weights: Weights
    categories: dict[str, Category]
    roles: dict[str, Role]
    caps: dict[str, CapRule] = Field(default_factory=dict)
    teams: dict[str, Team]
    references: dict[str, str] = Field(default_factory=dict)
    """The document (title and section) each value comes from, by dotted key (``teams.SGCP.max``
    -> ``Gateshead ... Policy, section 4.3``); see ``references_of``."""

    @model_validator(mode="after")
    def _references(self) -> Policy:
        for key, rule in self.caps.items():
            if rule.categories != "all":
                for code in rule.categories:
                    if code not in self.categories:
                        raise ValueError(f"caps.{key}.categories: unknown category {code!r}")
        for code, team in self.teams.items():
            for key in team.caps:
                if key not in self.caps:
                    raise ValueError(f"teams.{code}.caps: unknown cap {key!r}")
        if "ASYE" not in self.roles:
            raise ValueError("roles: the ASYE role is required")
        return self

    def categories_in(self, group: str) -> list[str]:
        """The category codes of a reporting group (``child_protection``, ``looked_after``,
        ``child_in_need``, ``other``)."""
        return [code for code, record in self.categories.items() if record.group == group]

    def roles_where(self, flag: str) -> list[str]:
        """The role codes with a flag set (``newly_qualified``, ``team_manager``)."""
        return [code for code, record in self.roles.items() if getattr(record, flag)]


def _split_list(value: Any) -> Any:
    if isinstance(value, str) and value.strip().lower() != "all":
        return [part.strip().upper() for part in value.split(",") if part.strip()]
    if isinstance(value, str):
        return "all"
    return value


RECORD_GROUPS = ("teams", "roles", "categories", "caps")


def _merge(parent: dict[str, Any], child: dict[str, Any], path: str = "") -> dict[str, Any]:
    merged = dict(parent)
    for key, value in child.items():
        whole_record = path in RECORD_GROUPS
        if isinstance(value, dict) and isinstance(merged.get(key), dict) and not whole_record:
            merged[key] = _merge(merged[key], value, f"{path}.{key}" if path else key)
        else:
            merged[key] = value
    return merged


def _describe(error: ValidationError) -> str:
    lines = []
    for item in error.errors():
        key = ".".join(str(part) for part in item["loc"])
        value = item.get("input")
        shown = "" if isinstance(value, dict) else f" (value {value!r})"
        message = item["msg"].removeprefix("Value error, ")
        if item["type"] == "extra_forbidden":
            message = "unknown key"
        lines.append(f"{key or 'policy'}: {message}{shown}")
    return "; ".join(lines)


class YamlLimitError(CaseloadError):
    """A YAML document beyond ``MAX_YAML_NODES`` or ``MAX_YAML_DEPTH``."""


def _check_node(root: yaml.Node | None) -> None:
    """Walk the composed document as construction would see it (an alias counts again each
    time it is used) and stop at the first limit passed, long before an alias bomb expands."""
    if root is None:
        return
    count = 0
    stack: list[tuple[yaml.Node, int]] = [(root, 1)]
    while stack:
        node, depth = stack.pop()
        count += 1
        if count > MAX_YAML_NODES:
            raise YamlLimitError(
                f"more than {MAX_YAML_NODES:,} values once aliases are expanded (the limit)"
            )
        if depth > MAX_YAML_DEPTH:
            raise YamlLimitError(f"nested more than {MAX_YAML_DEPTH} levels deep (the limit)")
        if isinstance(node, yaml.SequenceNode):
            stack.extend((child, depth + 1) for child in node.value)
        elif isinstance(node, yaml.MappingNode):
            for key, value in node.value:
                stack.extend(((key, depth + 1), (value, depth + 1)))


def load_yaml(text: str) -> Any:
    """``yaml.safe_load`` with limits: ``YamlLimitError`` for a document of more than
    ``MAX_YAML_NODES`` values (aliases expanded) or nested deeper than ``MAX_YAML_DEPTH``,
    checked on the composed nodes before any Python object is built."""
    loader = yaml.SafeLoader(text)
    try:
        node = loader.get_single_node()
        _check_node(node)
        return None if node is None else loader.construct_document(node)
    finally:
        loader.dispose()


def read_yaml_file(path: Path, what: str = "policy file") -> Any:
    """A YAML file read within the limits: at most ``MAX_POLICY_BYTES`` (checked before
    reading; a folder, device or pipe is refused), then ``load_yaml``. Raises ``OSError``,
    ``yaml.YAMLError`` or ``YamlLimitError``; the caller names the file."""
    if not path.is_file():
        raise YamlLimitError("not a regular file")
    size = path.stat().st_size
    if size > MAX_POLICY_BYTES:
        raise YamlLimitError(
            f"{size:,} bytes (the limit for a {what} is {MAX_POLICY_BYTES:,} bytes)"
        )
    with open(path, encoding="utf-8") as handle:
        text = handle.read(MAX_POLICY_BYTES + 1)
    if len(text.encode("utf-8")) > MAX_POLICY_BYTES:
        raise YamlLimitError(f"larger than the limit for a {what} ({MAX_POLICY_BYTES:,} bytes)")
    return load_yaml(text)


def _read_yaml(path: Path | None, text: str | None = None) -> dict[str, Any]:
    try:
        data = load_yaml(text) if text is not None else read_yaml_file(path)
    except (OSError, UnicodeDecodeError) as exc:
        reason = getattr(exc, "strerror", None) or type(exc).__name__
        raise PolicyError(f"policy file {path}: cannot be read ({reason})") from None
    except YamlLimitError as exc:
        raise PolicyError(f"policy file {path}: refused: {exc}") from None
    except yaml.YAMLError as exc:
        raise PolicyError(f"policy file {path}: not valid YAML ({_yaml_where(exc)})") from None
    if not isinstance(data, dict):
        raise PolicyError(
            f"policy file {path}: expected a mapping of keys, got {type(data).__name__}"
        )
    return data


def _yaml_where(exc: yaml.YAMLError) -> str:
    """Where a YAML error is (line and column) and what it is, without the text quoted."""
    mark = getattr(exc, "problem_mark", None)
    problem = getattr(exc, "problem", None) or type(exc).__name__
    return f"line {mark.line + 1}, column {mark.column + 1}: {problem}" if mark else problem


def _preset_data(name: str) -> dict[str, Any]:
    if name not in PRESETS:
        raise PolicyError(f"unknown preset {name!r}: expected one of {', '.join(PRESETS)}")
    text = resources.files("udfs.presets").joinpath(f"{name}.yaml").read_text(encoding="utf-8")
    return _resolve(_read_yaml(Path(f"{name}.yaml"), text))


NOT_VALUES = ("name", "references")
"""Top-level keys that are not policy values: the preset's name and the references."""
WORKBOOK_REFERENCE = "Policy sheet of this workbook"


def _values(data: dict[str, Any]) -> list[tuple[str, Any]]:
    """The policy values of resolved or raw policy data, as (dotted key, value)."""
    return _flatten({key: value for key, value in data.items() if key not in NOT_VALUES})


def references_of(data: dict[str, Any]) -> dict[str, str]:
    """The source of every value one policy file sets, by dotted key.

    A file's ``references`` maps a key or the start of one (``teams.SGCP``, ``weights.levels``)
    to the document and section it comes from; a value takes the longest that starts its key,
    else the file's ``source``. A value set in a file that ``extends`` another takes that file's
    reference, never its parent's.
    """
    given = data.get("references") or {}
    if not isinstance(given, dict) or not all(
        isinstance(key, str) and isinstance(value, str) for key, value in given.items()
    ):
        raise PolicyError("references: expected 'key: document title, section' lines")
    default = str(data.get("source") or data.get("title") or "")
    found: dict[str, str] = {}
    for key, _ in _values(data):
        parts = key.split(".")
        for length in range(1, len(parts) + 1):  # the record too: its defaults take its source
            path = ".".join(parts[:length])
            starts = [k for k in given if path == k or path.startswith(k + ".")]
            found[path] = given[max(starts, key=len)] if starts else default
    return found


def _resolve(data: dict[str, Any]) -> dict[str, Any]:
    data = dict(data)
    parent = data.pop("extends", None)
    data["references"] = references_of(data)
    if parent is None:
        return data
    if not isinstance(parent, str):
        raise PolicyError(f"extends: expected a preset name, got {parent!r}")
    return _merge(_preset_data(parent), data)


def build_policy(data: dict[str, Any], origin: str = "policy") -> Policy:
    """Validate resolved policy data; a bad key or value raises ``PolicyError`` naming it."""
    try:
        return Policy.model_validate(data)
    except ValidationError as exc:
        raise PolicyError(f"{origin}: {_describe(exc)}") from None


@lru_cache(maxsize=32)
def preset(name: str) -> Policy:
    """One of the shipped presets: gateshead, walsall, wales-scrutiny, laming."""
    return build_policy(_preset_data(name), origin=f"preset {name}")


def load_policy(name_or_path: str | Path | Policy | None = None) -> Policy:
    """A preset by name, a council's YAML policy file by path, or the default (gateshead)."""
    if isinstance(name_or_path, Policy):
        return name_or_path
    if name_or_path is None or str(name_or_path).strip() == "":
        return preset(DEFAULT_PRESET)
    text = str(name_or_path).strip()
    if text.lower() in PRESETS:
        return preset(text.lower())
    path = Path(text)
    if not path.exists() and not path.is_symlink():
        raise PolicyError(
            f"policy {text!r} is neither a preset ({', '.join(PRESETS)}) nor an existing file"
        )
    return build_policy(_resolve(_read_yaml(path)), origin=f"policy file {path}")


# --- the key/value table a workbook holds ---------------------------------------------------


def _flatten(data: Any, prefix: str = "") -> list[tuple[str, Any]]:
    if isinstance(data, dict):
        rows: list[tuple[str, Any]] = []
        for key, value in data.items():
            rows.extend(_flatten(value, f"{prefix}.{key}" if prefix else str(key)))
        return rows
    if isinstance(data, list):
        return [(prefix, ", ".join(str(item) for item in data))]
    return [(prefix, data)]


def policy_table(policy: Policy) -> list[tuple[str, Any]]:
    """The policy as (key, value) rows, starting with its preset name; blank values left out."""
    data = policy.model_dump(exclude_none=True)
    rows = [("preset", policy.name)]
    rows.extend(_values(data))
    return rows


def _coerce_key(part: str) -> str | int:
    return int(part) if part.isdigit() else part


def _set_path(data: dict[str, Any], key: str, value: Any) -> None:
    parts = [_coerce_key(part.strip()) for part in key.split(".")]
    node = data
    for part in parts[:-1]:
        child = node.get(part)
        if not isinstance(child, dict):
            child = {}
            node[part] = child
        node = child
    node[parts[-1]] = value


def policy_from_table(rows: Any) -> Policy:
    """A policy from a key/value range: a ``preset`` row, then overrides by dotted key.

    Blank rows and a header row (``key``/``value``) are skipped. A row whose key is not a
    policy key, or whose value is wrong, raises ``PolicyError`` naming the key and value.
    """
    pairs: list[tuple[str, Any]] = []
    for row in rows:
        cells = list(row) + [None, None]
        key, value = cells[0], cells[1]
        if key is None or str(key).strip() == "" or str(key).strip().lower() == "key":
            continue
        if isinstance(value, float) and value.is_integer():
            value = int(value)
        pairs.append((str(key).strip(), value))
    base = next((str(v).strip().lower() for k, v in pairs if k.lower() == "preset"), None)
    data = _preset_data(base or DEFAULT_PRESET)
    preset_values = dict(policy_table(preset(base or DEFAULT_PRESET)))  # validated once, cached
    references = dict(data["references"])
    for key, value in pairs:
        if key.lower() == "preset":
            continue
        if value is None or (isinstance(value, str) and value.strip() == ""):
            continue
        if key not in preset_values and not _is_new_record_key(key):
            raise PolicyError(f"policy table: unknown key {key!r} (value {value!r})")
        if not _same_value(value, preset_values.get(key)):
            references[key] = WORKBOOK_REFERENCE
        if key.endswith(".categories"):
            value = _split_list(value)
        _set_path(data, key, value)
    data["name"] = (base or DEFAULT_PRESET) + " (workbook)"
    data["references"] = references
    return build_policy(data, origin="policy table")


def _same_value(typed: Any, preset_value: Any) -> bool:
    """A value from a workbook's table equals the preset's (``18`` and ``18.0``, ``TRUE`` and
    True and 1, ``PROC, CP`` and the list)."""
    if isinstance(preset_value, bool) or isinstance(typed, bool):
        return yes_or_no(str(typed)) == preset_value
    try:
        return float(typed) == float(preset_value)
    except (TypeError, ValueError):
        return str(typed).strip().upper() == str(preset_value).strip().upper()


def _is_new_record_key(key: str) -> bool:
    """A council may add a team, category, role, cap or a team's cap in its table."""
    parts = key.split(".")
    return parts[0] in {"teams", "categories", "roles", "caps"} and len(parts) >= 3
