"""Every policy value with its label (what it means, in words) and its source (the document
and section it comes from), as the Policy sheet and ``CW_POLICY`` show them.

Labels are data: ``udfs/policy_labels.yaml``, one line per kind of key. Sources are data too:
each preset's ``references`` (``udfs.policy.references_of``), in the manner of OpenFisca's
``metadata.reference``. A value changed in a workbook's Policy table is cited as that table.
"""

from __future__ import annotations

import re
from functools import cache
from importlib import resources
from typing import Any

import yaml

from udfs.policy import Policy, policy_table

RECORDS = ("categories", "roles", "teams", "caps")
DESCRIBED_HEADER = ("key", "value", "meaning", "source")


@cache
def label_patterns() -> dict[str, str]:
    """The label of each kind of key (``teams.{code}.max`` -> its label template)."""
    text = resources.files("udfs").joinpath("policy_labels.yaml").read_text(encoding="utf-8")
    return {str(key): str(value) for key, value in yaml.safe_load(text).items()}


def _pattern(key: str) -> tuple[str, dict[str, str]]:
    """A key's kind and the parts that fill its label (``teams.SGCP.caps.cp_families``)."""
    parts = key.split(".")
    fill: dict[str, str] = {}
    if parts[0] in RECORDS and len(parts) >= 3:
        fill["code"] = parts[1]
        parts[1] = "{code}"
        if parts[0] == "teams" and parts[2] == "caps" and len(parts) == 4:
            fill["cap"] = parts[3]
            parts[3] = "{cap}"
    elif key.startswith("weights.levels.") and len(parts) == 3:
        fill["level"] = parts[2]
        parts[2] = "{level}"
    return ".".join(parts), fill


def label_of(policy: Policy, key: str) -> str:
    """What the value at ``key`` means, in words; '' for a key of no known kind."""
    kind, fill = _pattern(key)
    template = label_patterns().get(kind)
    if template is None:
        return ""
    group = getattr(policy, key.split(".")[0], None)
    record = group.get(fill["code"]) if isinstance(group, dict) and "code" in fill else None
    fill["name"] = getattr(record, "name", fill.get("code", ""))
    cap = policy.caps.get(fill.get("cap", ""))
    fill["cap_name"] = cap.name if cap is not None else fill.get("cap", "")
    return re.sub(r"\{(\w+)\}", lambda m: fill.get(m.group(1), m.group(0)), template)


def source_of(policy: Policy, key: str) -> str:
    """The document and section the value at ``key`` comes from (its record's when the value
    is a default the file did not set); '' when the policy names none."""
    parts = key.split(".")
    for length in range(len(parts), 0, -1):
        found = policy.references.get(".".join(parts[:length]))
        if found is not None:
            return found
    return ""


def described_table(policy: Policy) -> list[tuple[str, Any, str, str]]:
    """The policy as (key, value, meaning, source) rows: ``policy_table`` with words."""
    return [
        (key, value, label_of(policy, key), source_of(policy, key))
        for key, value in policy_table(policy)
    ]
