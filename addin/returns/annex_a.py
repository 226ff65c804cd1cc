"""The council's Ofsted ILACS Annex A workbook read directly as a Cases source (returns.md).

One case per child: the most intensive category wins (the policy's default level, highest
first, then the order PROC, CP, LAC, CIN, CL, ASMT); the winning list's row gives the allocated
team and worker. A child is known by the list's child ID column (``Child Unique ID`` or a
variant such as ``Child ID``, ``ChildUniqueID``); a list with rows but no such column is
reported unusable, never dropped silently. Rules, per list:

- List 8 (looked after), not ceased: ``LAC``, or ``PROC`` when the legal status is an interim
  care order (``C1``); 3 or more placements in the last 12 months -> ``placement_unstable``.
- List 7 (child protection) with no plan end date: ``CP``.
- List 6 (children in need), open (no closure date, status not closed): ``CIN``.
- List 9 (care leavers): ``CL``.
- List 4 (assessments) with no date of authorisation: ``ASMT``.

Lists 3 and 5 (referrals, section 47 enquiries) make no case of their own. A blank or error
value (``#N/A``) in Allocated Worker is an unallocated case of its team. Worker names become
stable pseudonyms (a salted SHA-256 prefix); names never leave this module. Annex A has no
family identifier on these lists, so every child is a family of one.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd
import python_calamine as calamine

from addin.returns.mapping import Mapping, norm
from udfs.intake import RawTable, TrackerUnusable
from udfs.policy import Policy, load_policy

PRECEDENCE = ("PROC", "CP", "LAC", "CIN", "CL", "ASMT")
# A child ID header with everything but letters and digits dropped: Child Unique ID, Child ID,
# ChildUniqueID, Unique Child ID, Child Unique Identifier, Child Ref(erence), Child LA ID ...
CHILD_ID = re.compile(r"^(unique)?child(unique)?(la)?(id|identifier|ref|reference|no|number)$")
LISTS = {4: "List 4", 6: "List 6", 7: "List 7", 8: "List 8", 9: "List 9"}
ERROR_VALUES = {"", "#n/a", "#na", "n/a", "#ref!", "#value!", "#name?", "none", "unallocated"}
DEFAULT_SALT = "caseload-annex-a"
CASE_COLUMNS = ["case_id", "worker_id", "team", "category", "placement_unstable"]
TEAM_GUESSES = (
    ("leav", "LC"),
    ("care leaver", "LC"),
    ("children in care", "LAC"),
    ("looked after", "LAC"),
    ("disab", "CWD"),
    ("fostering", "FOST"),
    ("adopt", "ADOPT"),
    (r"\biro\b", "IRO"),
    ("reviewing", "IRO"),
    ("edge of care", "EOC"),
    ("duty", "AI"),
    ("safeguarding hub", "AI"),
    ("assessment", "AI"),
    ("locality", "SGCP"),
    ("safeguarding", "SGCP"),
)


def is_annex_a(sheet_names: list[str]) -> bool:
    """True when a workbook's sheets look like Annex A (List 1 ... List 9, no Workers/Cases)."""
    lowered = {s.strip().lower() for s in sheet_names}
    return {"list 6", "list 8"} <= lowered and "cases" not in lowered


def pseudonym(name: str, salt: str) -> str:
    """A stable pseudonym for a worker's name: ``AW-`` + 10 hex digits of a salted SHA-256.

    Names are compared after collapsing spaces (including non-breaking ones) and case."""
    key = re.sub(r"\s+", " ", name.replace("\xa0", " ")).strip().lower()
    return "AW-" + hashlib.sha256(f"{salt}\x00{key}".encode()).hexdigest()[:10]


def _blank(value: object) -> bool:
    if value is None or (isinstance(value, float) and value != value):
        return True
    return str(value).strip().lower() in ERROR_VALUES


def _text(value: object) -> str:
    if _blank(value):
        return ""
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value).replace("\xa0", " ").strip()


def _sheet(book: calamine.CalamineWorkbook, name: str) -> pd.DataFrame | None:
    sheets = {s.strip().lower(): s for s in book.sheet_names}
    if name.lower() not in sheets:
        return None
    rows = book.get_sheet_by_name(sheets[name.lower()]).to_python(skip_empty_area=False)
    if not rows:
        return None
    header = [norm(h) for h in rows[0]]
    return pd.DataFrame([list(r) for r in rows[1:]], columns=header, dtype=object)


def _child_ids(frame: pd.DataFrame) -> pd.Series | None:
    """The list's child ID column (the first header matching ``CHILD_ID``), or None."""
    for position, header in enumerate(frame.columns):
        if CHILD_ID.match(re.sub(r"[^0-9a-z]", "", str(header).lower())):
            return frame.iloc[:, position]
    return None


def _filled_rows(frame: pd.DataFrame) -> int:
    """Rows with at least one non-blank cell."""
    return sum(not all(_blank(v) for v in row) for row in frame.itertuples(index=False))


def precedence(policy: Policy) -> tuple[str, ...]:
    """Annex A categories, most intensive first: the policy's default level (highest first;
    a category the policy lacks counts as level 0), then the order of ``PRECEDENCE``."""
    levels = {code: category.default_level for code, category in policy.categories.items()}
    return tuple(sorted(PRECEDENCE, key=lambda c: (-levels.get(c, 0), PRECEDENCE.index(c))))


def _column(frame: pd.DataFrame, *names: str) -> pd.Series:
    for name in names:
        if norm(name) in frame.columns:
            column = frame[norm(name)]
            return column.iloc[:, 0] if isinstance(column, pd.DataFrame) else column
    return pd.Series([None] * len(frame), index=frame.index, dtype=object)


@dataclass
class AnnexA:
    """Cases read from an Annex A workbook, with the unmapped team names seen."""

    cases: RawTable
    unmapped_teams: list[str]
    team_names: list[str]
    problems: list[str] = field(default_factory=list)


def annex_a_team_names(path: str | Path) -> list[str]:
    """Distinct Allocated Team names on lists 4-9 (for proposing a team mapping)."""
    from addin.tracker_io import open_workbook

    book = open_workbook(Path(path))
    names: list[str] = []
    for sheet in LISTS.values():
        frame = _sheet(book, sheet)
        if frame is None:
            continue
        for value in _column(frame, "Allocated Team"):
            text = _text(value)
            if text and text not in names:
                names.append(text)
    return names


def guess_team(name: str) -> str | None:
    """A policy team code for an Annex A team name, by keywords; None when unsure."""
    lowered = name.lower()
    for keyword, code in TEAM_GUESSES:
        if re.search(keyword, lowered):
            return code
    return None


def propose_annex_a_mapping(path: str | Path, salt: str | None = None) -> Mapping:
    """A proposed mapping for an Annex A workbook: its team names with guessed team codes, a
    fresh pseudonym salt, and the Workers source to name (``workers_file``)."""
    teams = {name: guess_team(name) for name in annex_a_team_names(path)}
    return Mapping(
        kind="annex_a",
        confirmed=False,
        sheets={},
        columns={},
        values={"team": teams},
        extra={
            "pseudonym_salt": salt or secrets_token(),
            "workers_file": None,
            "workers": {},
        },
    )


def secrets_token() -> str:
    """A random salt for pseudonyms (kept in the mapping so pseudonyms stay stable)."""
    import secrets

    return secrets.token_hex(16)


def read_annex_a(path: str | Path, mapping: Mapping | None, policy: Policy | None = None) -> AnnexA:
    """Cases from an Annex A workbook as a canonical ``Cases`` RawTable (see module doc).

    ``mapping.values['team']`` maps Annex A team names to policy team codes; an unmapped name
    is kept as written (the reader then rejects it, naming the value). ``mapping.extra``
    may hold ``pseudonym_salt`` and ``workers`` (Annex A worker name -> worker_id of the
    Workers table); a worker not listed there is known by its pseudonym. ``policy`` (default
    gateshead) orders the categories by its default levels (``precedence``). A list with rows
    but no child ID column is left out and named in ``problems``.
    """
    from addin.tracker_io import open_workbook

    path = Path(path)
    book = open_workbook(path)  # checked against the limits; TrackerUnusable when unreadable
    if not is_annex_a(list(book.sheet_names)):
        raise TrackerUnusable(f"{path.name}: not an Annex A workbook (no List 6 / List 8 sheets)")
    mapping = mapping or Mapping(kind="annex_a")
    extra = mapping.extra
    salt = str(extra.get("pseudonym_salt") or DEFAULT_SALT)
    named = {
        re.sub(r"\s+", " ", str(k).replace("\xa0", " ")).strip().lower(): str(v)
        for k, v in (extra.get("workers") or {}).items()
        if v is not None
    }
    team_map = {norm(k): v for k, v in (mapping.values.get("team") or {}).items() if v}
    order = precedence(load_policy(policy))
    problems: list[str] = []

    best: dict[str, tuple[int, dict[str, object]]] = {}

    def offer(child: object, category: str, team: object, worker: object, unstable: bool) -> None:
        case_id = _text(child)
        if not case_id:
            return
        rank = order.index(category)
        if case_id in best and best[case_id][0] <= rank:
            if unstable and best[case_id][1]["category"] in {"LAC", "PROC"}:
                best[case_id][1]["placement_unstable"] = "yes"
            return
        worker_name = _text(worker)
        key = re.sub(r"\s+", " ", worker_name).lower()
        worker_id = named.get(key) or (pseudonym(worker_name, salt) if worker_name else "")
        team_name = _text(team)
        best[case_id] = (
            rank,
            {
                "case_id": case_id,
                "worker_id": worker_id,
                "team": team_map.get(norm(team_name), team_name) if team_name else "",
                "category": category,
                "placement_unstable": "yes" if unstable else "no",
            },
        )

    def rows(number: int) -> tuple[pd.DataFrame, pd.Series] | None:
        """The list's rows and child IDs; None when absent, empty, or without child IDs
        (then reported in ``problems``)."""
        frame = _sheet(book, LISTS[number])
        if frame is None:
            return None
        ids = _child_ids(frame)
        if ids is None:
            filled = _filled_rows(frame)
            if filled:
                problems.append(
                    f"{LISTS[number]} has no child ID column (Child Unique ID): the list is "
                    f"unusable, its {filled} row(s) are not read"
                )
            return None
        return frame, ids

    if (found := rows(8)) is not None:
        frame, ids = found
        ceased = _column(frame, "Date Ceased to be Looked After")
        legal = _column(frame, "Child's Legal Status")
        moves = pd.to_numeric(
            _column(frame, "Number of Placements in the Last 12 months"), errors="coerce"
        )
        for i in range(len(frame)):
            if not _blank(ceased.iloc[i]):
                continue
            status = _text(legal.iloc[i]).upper()
            category = "PROC" if re.match(r"^(\w\)\s*)?C1\b", status) else "LAC"
            unstable = bool(moves.iloc[i] >= 3) if moves.iloc[i] == moves.iloc[i] else False
            _offer_row(offer, frame, ids, i, category, unstable)
    if (found := rows(7)) is not None:
        frame, ids = found
        end = _column(frame, "Child Protection Plan End Date")
        for i in range(len(frame)):
            if _blank(end.iloc[i]):
                _offer_row(offer, frame, ids, i, "CP")
    if (found := rows(6)) is not None:
        frame, ids = found
        closed = _column(frame, "CIN Closure Date")
        status = _column(frame, "Case Status")
        for i in range(len(frame)):
            if _blank(closed.iloc[i]) and "closed" not in _text(status.iloc[i]).lower():
                _offer_row(offer, frame, ids, i, "CIN")
    if (found := rows(9)) is not None:
        frame, ids = found
        for i in range(len(frame)):
            _offer_row(offer, frame, ids, i, "CL")
    if (found := rows(4)) is not None:
        frame, ids = found
        done = _column(frame, "Continuous Assessment Date of Authorisation")
        for i in range(len(frame)):
            if _blank(done.iloc[i]):
                _offer_row(offer, frame, ids, i, "ASMT")

    records = [record for _, record in best.values()]
    cases = pd.DataFrame(records, columns=CASE_COLUMNS, dtype=object)
    seen = sorted({r["team"] for r in records if r["team"]})
    unmapped = [t for t in seen if t not in set(team_map.values())]
    return AnnexA(RawTable("Cases", cases, 2, 1), unmapped, seen, problems)


def _offer_row(
    offer: Callable[[object, str, object, object, bool], None],
    frame: pd.DataFrame,
    ids: pd.Series,
    i: int,
    category: str,
    unstable: bool = False,
) -> None:
    """Offer row ``i`` of a list (child ID from ``ids``) as a case of ``category``."""
    offer(
        ids.iloc[i],
        category,
        _column(frame, "Allocated Team").iloc[i],
        _column(frame, "Allocated Worker").iloc[i],
        unstable,
    )
