"""The caseload model as native worksheet formulas: no CW_ call, no macro, no add-in.

Every step of ``udfs.model`` is written here as formulas that Excel 2019+ and LibreOffice 7.4+
both have, reading the policy from the ``Policy`` sheet's key/value table (the layout
``CW_POLICY`` spills, ``udfs.policy.policy_table``). Nothing here knows a policy's codes or
numbers except to lay out the ``Lookups`` sheet: a category, role, team or cap added to a policy
reaches the formulas with no edit, and a council that changes a value on the Policy sheet sees
every figure follow.

The sheets (``native_sheets``), each a ``NativeSheet`` of formula columns:

- ``Lookups``: the policy's codes, each value a lookup of its key in ``Policy!A:B``.
- ``Case working``: one row per row of the manager's Cases sheet, same row numbers: the case's
  working chain (normalised codes, level, base weight, modifiers, awaiting-closure factor,
  weight, sibling factor, counted weight), the first problem found in the row, and links that
  chain each worker's cases together (next case of the same worker, cases after it).
- ``Sibling groups``: every allocated case again, grouped by worker (each worker's cases in one
  block, in their Cases order), where the sibling rule (step 4), families and the hard caps are
  counted inside the worker's block.
- ``Worker working``: one row per Workers row, same row numbers: the worker's checked fields,
  block, sums, capacity and caps.
- ``Caseload``: row 1 is the 13 result columns of tracker-format.md; one row per Workers row.
- ``Problems``: the rows the rules reject, by sheet, row, column and reason.

Why blocks. Spreadsheet lookups (MATCH, COUNTIFS, MAXIFS) scan a range, so a per-case lookup
over all cases costs cases x cases. Here each case finds only the next case of its worker (a
scan about as long as the number of workers), and each sibling, family and cap question is
asked inside one worker's block (a few dozen cells): the work grows with cases x workers, not
cases squared. The exception is a repeated ``case_id``, found with one exact MATCH per case on
the manager's own column.

Exactness. MATCH and COUNTIFS ignore case and treat ``* ? ~`` as wildcards: ids are escaped
before a MATCH and the cell found is checked with EXACT. Numbers typed as text are read with
NUMBERVALUE and ``"."`` (not VALUE, which follows the locale). The Decisions in the README list
what the native form reads differently from the model on pathological input.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Collection
from dataclasses import dataclass, field

from udfs.intake import CASE_FIELDS, WORKER_FIELDS, column_letter
from udfs.model import RESULT_COLUMNS
from udfs.policy import Policy
from udfs.status import INCOMPLETE, NO_CASELOAD_EXPECTED, OVER, UNDER, WITHIN
from udfs.weights import ACTIVE, AWAITING_CLOSURE
from udfs.yes_no import NO, YES

POLICY_SHEET = "Policy"
LOOKUPS = "Lookups"
CASE_WORKING = "Case working"
SIBLINGS = "Sibling groups"
WORKER_WORKING = "Worker working"
CASELOAD = "Caseload"
PROBLEMS = "Problems"
CODES = "Codes"
NATIVE_SHEETS = (LOOKUPS, CASE_WORKING, SIBLINGS, WORKER_WORKING, CASELOAD, PROBLEMS, CODES)

MIN_CASE_ROWS = 5000
MIN_WORKER_ROWS = 500
PROBLEM_ROWS = 200
POLICY_ROWS = 400
NOT_A_NUMBER = "#"
AS_AT = f"{LOOKUPS}!$X$2"
CASES_IN_USE = f"{LOOKUPS}!$Z$2"  # the last Cases row in use: running counts stop there
SLOTS_IN_USE = f"{LOOKUPS}!$AA$2"  # the last Sibling groups row holding a case


@dataclass(frozen=True)
class Source:
    """Where a table of the manager's is: sheet, data rows covered, and the column of each
    canonical field present (``{"fte": "D"}``). ``last_row`` includes the headroom."""

    sheet: str
    columns: dict[str, str]
    first_row: int
    last_row: int

    def cell(self, name: str, row: int | str) -> str | None:
        """``Workers!$D5`` for a field present, None for a field the table does not have."""
        letter = self.columns.get(name)
        return None if letter is None else f"{quote(self.sheet)}!${letter}{row}"


@dataclass(frozen=True)
class NativeLayout:
    """The manager's Workers and Cases, and how their cells are read.

    ``percent_reduction``: the reduction column is formatted as a percentage (0.2 means 20);
    ``codes``: a mapping's code tables, field -> {text as typed: code}.
    """

    workers: Source
    cases: Source
    percent_reduction: bool = False
    codes: dict[str, dict[str, str]] = field(default_factory=dict)


@dataclass
class Column:
    """A formula column: header (words), a formula per row (text after ``=``), width, format."""

    header: str
    formula: Callable[[int], str]
    width: float = 11.0
    number_format: str | None = None
    array: bool = False


class Columns(list[Column]):
    """The formula columns of a sheet being built, in order."""

    def add(self, header: str, formula: Callable[[int], str], **options: object) -> None:
        """Append a column: its header, its formula per row, and ``Column``'s options."""
        self.append(Column(header, formula, **options))


@dataclass
class NativeSheet:
    """A sheet of formula columns from ``first_row`` to ``last_row`` (row 1: headers), plus
    constant cells (``cells``: ref -> value) such as the Lookups codes."""

    title: str
    columns: list[Column]
    first_row: int
    last_row: int
    cells: dict[str, object] = field(default_factory=dict)
    note: str = ""


def quote(title: str) -> str:
    """A sheet name as a formula needs it (quoted when it has spaces or punctuation)."""
    return title if title.replace("_", "").isalnum() else "'" + title.replace("'", "''") + "'"


def text(value: str) -> str:
    """A formula string literal."""
    return '"' + value.replace('"', '""') + '"'


def code_key(value: str) -> str:
    """A code as the formulas compare it: trimmed, upper case, spaces and hyphens as ``_``
    (``udfs.intake``'s rule)."""
    return re.sub(r"[\s\-_]+", "_", value.strip()).upper()


# --- reading one cell as tracker-format.md says -----------------------------------------------


def trimmed(cell: str | None) -> str:
    """A cell as trimmed text ('' for a field the table does not have)."""
    return '""' if cell is None else f'TRIM({cell}&"")'


def is_blank(cell: str | None) -> str:
    """TRUE where a cell is empty or only spaces."""
    return "TRUE" if cell is None else f'TRIM({cell}&"")=""'


def normalised_code(cell: str | None) -> str:
    """Codes in any case, with spaces, hyphens and underscores alike: `` awaiting-closure``
    -> ``AWAITING_CLOSURE``."""
    if cell is None:
        return '""'
    spaced = f'SUBSTITUTE(SUBSTITUTE(TRIM({cell}&""),"-","_")," ","_")'
    return f'UPPER(SUBSTITUTE(SUBSTITUTE({spaced},"__","_"),"__","_"))'


def number(cell: str | None) -> str:
    """A number, a number typed as text (``0.8``, ``80%``, ``1,000``), '' when blank, or
    ``"#"`` when it is not a number (TRUE/FALSE included)."""
    if cell is None:
        return '""'
    return (
        f'IF(ISLOGICAL({cell}),"{NOT_A_NUMBER}",IF(ISNUMBER({cell}),{cell},'
        f'IF(TRIM({cell}&"")="","",IFERROR(_xlfn.NUMBERVALUE(TRIM({cell}),".",","),'
        f'"{NOT_A_NUMBER}"))))'
    )


def _yes_no_word(cell: str) -> str:
    """A yes/no cell as the text its spellings are compared with."""
    return f'LOWER(TRIM({cell}&""))'


def yes_no(cell: str | None) -> str:
    """1 for yes (yes, y, true, 1), 0 for no or blank, ``"#"`` for anything else."""
    if cell is None:
        return "0"
    no = _one_of(_yes_no_word(cell), NO | {""})
    return f'IF({is_yes(cell)},1,IF({no},0,"{NOT_A_NUMBER}"))'


def is_yes(cell: str | None) -> str:
    """TRUE where a yes/no cell says yes (``yes_no`` gives 1): the shorter test where "no"
    and "not yes or no" need not be told apart."""
    if cell is None:
        return "FALSE"
    return _one_of(_yes_no_word(cell), YES)


def escaped(value: str) -> str:
    """A lookup value with MATCH's wildcards escaped, so ``W*1`` finds only ``W*1``."""
    return f'SUBSTITUTE(SUBSTITUTE(SUBSTITUTE({value},"~","~~"),"*","~*"),"?","~?")'


def inside(column: str, start: str, end: str) -> str:
    """The cells of ``column`` (``$G$1:$G$N``-style, indexed by row) from row start to end."""
    return f"INDEX({column},{start}):INDEX({column},{end})"


# --- the sheets --------------------------------------------------------------------------------


@dataclass(frozen=True)
class _Refs:
    """Absolute whole-column ranges of our sheets, indexed by row number."""

    case_last: int
    worker_last: int

    def case(self, letter: str) -> str:
        return f"{quote(CASE_WORKING)}!${letter}$1:${letter}${self.case_last + 1}"

    def group(self, letter: str) -> str:
        return f"{quote(SIBLINGS)}!${letter}$1:${letter}${self.case_last + 1}"

    def worker(self, letter: str) -> str:
        return f"{quote(WORKER_WORKING)}!${letter}$1:${letter}${self.worker_last}"


@dataclass(frozen=True)
class LookupAreas:
    """Where each policy table sits on the Lookups sheet."""

    categories: int
    roles: int
    teams: int
    caps: int
    scalars: dict[str, str]

    def area(self, letter: str, count: int) -> str:
        return f"{LOOKUPS}!${letter}$2:${letter}${max(2, count + 1)}"


def _policy_value(key: str) -> str:
    table = f"{POLICY_SHEET}!$A$2:$B${POLICY_ROWS}"
    return f'IFERROR(VLOOKUP({text(key)},{table},2,FALSE),"")'


def _flag(expression: str) -> str:
    word = f'LOWER(TRIM(({expression})&""))'
    return f"IF({_one_of(word, YES)},1,0)"


def _one_of(word: str, spellings: Collection[str]) -> str:
    """TRUE where ``word`` (lower-case text) is one of ``spellings``: compared with an array
    constant (``OR(w={"1","true"})``), so ``word`` is written and worked out once, not once
    per spelling."""
    return f"OR({word}={{" + ",".join(text(s) for s in sorted(spellings)) + "})"


SCALARS = {
    "level1": "weights.levels.1",
    "level2": "weights.levels.2",
    "level3": "weights.levels.3",
    "level4": "weights.levels.4",
    "distance_over": "weights.placement.distance_over_miles",
    "distance_add": "weights.placement.distance_add",
    "unstable_add": "weights.placement.unstable_add",
    "closure": "weights.awaiting_closure_factor",
    "sibling": "weights.sibling_factor",
}


def lookups_sheet(policy: Policy, as_at: bool = False) -> tuple[NativeSheet, LookupAreas]:
    """The Lookups sheet: the policy's codes and, for each, its values read from Policy!A:B."""
    cells: dict[str, object] = {}
    heads = {
        "A": "category", "B": "default level", "C": "placement modifiers",
        "D": "separately capped", "F": "role", "G": "factor", "H": "ramp to",
        "I": "ramp months", "K": "team", "L": "min", "M": "max", "N": "under-18 min",
        "O": "under-18 max", "Q": "cap", "R": "categories", "S": "counts", "U": "setting",
        "V": "value",
    }  # fmt: skip
    for letter, head in heads.items():
        cells[f"{letter}1"] = head
    for row, code in enumerate(policy.categories, start=2):
        key = f"categories.{code}"
        cells[f"A{row}"] = code
        cells[f"B{row}"] = "=" + _policy_value(f"{key}.default_level")
        cells[f"C{row}"] = "=" + _flag(_policy_value(f"{key}.placement_modifiers"))
        cells[f"D{row}"] = "=" + _flag(_policy_value(f"{key}.separately_capped"))
    for row, code in enumerate(policy.roles, start=2):
        cells[f"F{row}"] = code
        for letter, name in zip("GHI", ("factor", "ramp_to", "ramp_months"), strict=True):
            cells[f"{letter}{row}"] = "=" + _policy_value(f"roles.{code}.{name}")
    for row, code in enumerate(policy.teams, start=2):
        cells[f"K{row}"] = code
        for letter, name in zip(
            "LMNO", ("min", "max", "under_18.min", "under_18.max"), strict=True
        ):
            cells[f"{letter}{row}"] = "=" + _policy_value(f"teams.{code}.{name}")
    for row, key in enumerate(policy.caps, start=2):
        cells[f"Q{row}"] = key
        listed = _policy_value(f"caps.{key}.categories")
        cells[f"R{row}"] = f'=UPPER(SUBSTITUTE({listed}," ",""))'
        cells[f"S{row}"] = "=" + _policy_value(f"caps.{key}.count")
    if as_at:  # only where a tracker gives asye_start: TODAY() recalculates on every change
        cells["X1"] = "as at (months since asye_start)"
        cells["X2"] = "=TODAY()"
    scalars: dict[str, str] = {}
    for row, (name, key) in enumerate(SCALARS.items(), start=2):
        cells[f"U{row}"] = key
        cells[f"V{row}"] = "=" + _policy_value(key)
        scalars[name] = f"{LOOKUPS}!$V${row}"
    sheet = NativeSheet(
        LOOKUPS, [], 2, 1, cells, note="Read from the Policy sheet; change values there."
    )
    where = LookupAreas(len(policy.categories), len(policy.roles), len(policy.teams),
                     len(policy.caps), scalars)  # fmt: skip
    return sheet, where


def code_position(value: str, codes: str) -> str:
    """Position of an already normalised code in a Lookups code column, 0 when unknown."""
    found = f"MATCH({value},{codes},0)"
    return f"IFERROR(IF(EXACT(INDEX({codes},{found}),{value}),{found},0),0)"


def code_unknown(value: str, codes: str) -> str:
    """TRUE where an already normalised code is not in a Lookups code column (``value``
    written twice, not three times as in ``code_position``: a shorter formula on every row)."""
    return f"IFERROR(NOT(EXACT(INDEX({codes},MATCH({value},{codes},0)),{value})),TRUE)"


# --- capacity (policy-model.md section 3; udfs.capacity) ---------------------------------------


def range_bound(look: LookupAreas, team_no: str, bound: str, under_18: str | None = None) -> str:
    """The team's range ``bound`` (min or max), team by its Lookups position; with an
    ``under_18`` flag cell (1 or 0), the team's under-18 band where it has one
    (``udfs.capacity.team_ranges``)."""
    plain, young = ("L", "N") if bound == "min" else ("M", "O")

    def value(letter: str) -> str:
        return f"INDEX({look.area(letter, look.teams)},{team_no})"

    if under_18 is None:
        return f"N({value(plain)})"
    return f'IF(AND({under_18}=1,{value(young)}<>""),N({value(young)}),N({value(plain)}))'


def experience_factor(look: LookupAreas, role_no: str, months: str) -> str:
    """The role's share of a full caseload, the ramp (ASYE) followed over ``months``
    (``udfs.capacity.experience_factors``)."""

    def role(letter: str) -> str:
        return f"INDEX({look.area(letter, look.roles)},{role_no})"

    into = f"MIN(MAX(N({months}),0),N({role('I')}))"
    return (
        f'IF({role("H")}="",N({role("G")}),'
        f"N({role('G')})+(N({role('H')})-N({role('G')}))*{into}/N({role('I')}))"
    )


def capacity(bound: str, fte: str, factor: str, reduction_pct: str) -> str:
    """Range bound x FTE x experience x (1 - reduction / 100) (``udfs.capacity.capacities``)."""
    return f"{bound}*N({fte})*{factor}*(1-N({reduction_pct})/100)"


def _mapped(field_name: str, cell: str | None, layout: NativeLayout) -> str:
    """A code cell normalised, then through the mapping's code table where there is one."""
    code = normalised_code(cell)
    if field_name not in layout.codes or cell is None:
        return code
    return f"IFERROR(VLOOKUP({text(field_name + '|')}&{code},{CODES}!$A:$B,2,FALSE),{code})"


def _first_problem(checks: list[tuple[str, str]]) -> str:
    """The first check that fails, as ``field: reason``; '' when every check passes."""
    formula = '""'
    for condition, reason in reversed(checks):
        formula = f"IF({condition},{text(reason)},{formula})"
    return formula


def case_working_sheet(
    policy: Policy, layout: NativeLayout, look: LookupAreas, refs: _Refs
) -> NativeSheet:
    """One row per Cases row: the case's working chain and its first problem."""
    src = layout.cases
    first, last = src.first_row, src.last_row
    cats = look.area("A", look.categories)
    teams = look.area("K", look.teams)
    s = look.scalars
    known = [src.cell(name, "{r}") for name in CASE_FIELDS if name in src.columns]
    w_src = layout.workers
    workers = f"{quote(WORKER_WORKING)}!$A${w_src.first_row}:$A${w_src.last_row}"

    def c(name: str, r: int) -> str | None:
        return src.cell(name, r)

    def blank_row(r: int) -> str:
        """TRUE where every field is empty or spaces (one TRIM of the fields joined: as cheap
        as it can be on the thousands of blank rows below the cases)."""
        return "TRIM(" + "&".join(cell.format(r=r) for cell in known) + '&"")=""'

    # a case's category is looked up inline, not in a column of its own: a column for its
    # position made LibreOffice's threaded group calculation compute its first row before the
    # Category it reads (a wrong 0)

    columns = Columns()
    add = columns.add

    add("Cases row", lambda r: f'IF({blank_row(r)},"",ROW())', width=8)
    add(
        "Worker row",
        lambda r: (
            f'IF($A{r}="","",IF({is_blank(c("worker_id", r))},"",'
            f"{_exact_in(trimmed(c('worker_id', r)), workers, layout.workers)}))"
        ),
        width=9,
    )
    add("Family", lambda r: f'IF($A{r}="","",{trimmed(c("family_id", r))})', width=10)
    add("Category", lambda r: f'IF($A{r}="","",{_mapped("category", c("category", r), layout)})')
    add(
        "Status",
        lambda r: (
            f'IF($A{r}="","",IF({is_blank(c("status", r))},{text(ACTIVE.upper())},'
            f"{_mapped('status', c('status', r), layout)}))"
        ),
        width=17,
    )
    level = lambda r: number(c("level", r))  # noqa: E731
    add(
        "Level",
        lambda r: (
            f'IF($A{r}="","",IF({is_blank(c("level", r))},'
            f'IF({code_unknown(f"$D{r}", cats)},"",'
            f'INDEX({look.area("B", look.categories)},MATCH($D{r},{cats},0))),{level(r)}))'
        ),
        width=7,
    )
    add(
        "Base weight",
        lambda r: (
            f'IFERROR(CHOOSE($F{r},{s["level1"]},{s["level2"]},{s["level3"]},{s["level4"]}),"")'
        ),
        number_format="0.000",
    )
    add(
        "Modifiers",
        lambda r: (
            f'IF($G{r}="","",IF({code_unknown(f"$D{r}", cats)},"",'
            f"IF(INDEX({look.area('C', look.categories)},MATCH($D{r},{cats},0))=1,"
            f"IF(N({number(c('distance_miles', r))})>{s['distance_over']},{s['distance_add']},0)"
            f"+IF({is_yes(c('placement_unstable', r))},{s['unstable_add']},0),0)))"
        ),
        number_format="0.000",
    )
    add(
        "Closure factor",
        lambda r: f'IF($G{r}="","",IF($E{r}={text(AWAITING_CLOSURE.upper())},{s["closure"]},1))',
        number_format="0.00",
    )
    add(
        "Weight",
        lambda r: f'IF(OR($G{r}="",$H{r}=""),"",($G{r}+$H{r})*$I{r})',
        number_format="0.000",
    )
    add(
        "Sibling factor",
        lambda r: f'IF(OR($N{r}<>"",$Q{r}=""),"",INDEX({refs.group("N")},$Q{r}))',
        number_format="0.00",
    )
    add(
        "Counted weight",
        lambda r: f'IF($A{r}="","",IF(OR($N{r}<>"",$Q{r}=""),0,INDEX({refs.group("O")},$Q{r})))',
        number_format="0.000",
    )
    add("Age", lambda r: f'IF($A{r}="","",{number(c("age", r))})', width=6)

    def problem(r: int) -> str:
        # the level as the Level column reads it ($F): a typed level parsed once there, not
        # again for each check (every reference and character of this formula is paid for on
        # each of the thousands of rows, blank ones included); a blank level is a default
        status = f"$E{r}"
        lv = f"$F{r}"
        typed = f"NOT({is_blank(c('level', r))})"
        distance = number(c("distance_miles", r))
        checks = [
            (is_blank(c("case_id", r)), "case_id: case_id is blank"),
            (
                f"AND(NOT({is_blank(c('team', r))}),"
                f"{code_unknown(_mapped('team', c('team', r), layout), teams)})",
                "team: unknown team",
            ),
            (f'$D{r}=""', "category: category is blank"),
            (code_unknown(f"$D{r}", cats), "category: unknown category"),
            (f'{lv}="{NOT_A_NUMBER}"', "level: level is not a number"),
            (
                f"AND({typed},ISNUMBER({lv}),OR(N({lv})<1,N({lv})>4))",
                "level: level is outside [1, 4]",
            ),
            (
                f"AND({typed},ISNUMBER({lv}),MOD(N({lv}),1)<>0)",
                "level: level must be a whole number 1-4",
            ),
            (
                f"AND({status}<>{text(ACTIVE.upper())},{status}<>{text(AWAITING_CLOSURE.upper())})",
                "status: unknown status",
            ),
            (f'{distance}="{NOT_A_NUMBER}"', "distance_miles: not a number"),
            (f"N({distance})<0", "distance_miles: below 0"),  # N() of "" or "#" is 0
            (
                f'{yes_no(c("placement_unstable", r))}="{NOT_A_NUMBER}"',
                "placement_unstable: must be yes or no",
            ),
            (f'$M{r}="{NOT_A_NUMBER}"', "age: not a number"),
            (f"AND(ISNUMBER($M{r}),OR(N($M{r})<0,N($M{r})>150))", "age: outside [0, 150]"),
            (f"$B{r}=0", "worker_id: worker is not in Workers"),
            (
                f'AND(N($B{r})>0,INDEX({refs.worker("K")},N($B{r})+(N($B{r})=0))<>"")',
                "worker_id: this worker's row in Workers was rejected",
            ),
            (f'$R{r}<>""', "case_id: duplicate case_id: the first row with it stands"),
        ]
        return f'IF($A{r}="","",{_first_problem(checks)})'

    add("Problem", problem, width=40)
    add(
        "Next case of worker",
        lambda r: (
            # the search stops at the last row in use, not at the end of the headroom
            f'IF(N($B{r})=0,"",IF(ROW()>={CASES_IN_USE},0,IFERROR(ROW()+MATCH($B{r},'
            f'{inside(f"$B$1:$B${last + 1}", "ROW()+1", CASES_IN_USE)},0),0)))'
        ),
        width=9,
    )
    add(
        "Later cases of worker",
        lambda r: f'IF(N($B{r})=0,"",IF($O{r}=0,0,1+INDEX($P{r + 1}:$P${last + 1},$O{r}-ROW())))',
        width=9,
    )
    add(
        "Group row",
        lambda r: (
            f'IF(N($B{r})=0,"",IF(INDEX({refs.worker("N")},$B{r})=0,"",'
            f"INDEX({refs.worker('P')},$B{r})+INDEX({refs.worker('N')},$B{r})-1-$P{r}))"
        ),
        width=8,
    )
    case_ids = src.cell("case_id", "{r}")
    raw_ids = (
        None
        if case_ids is None
        else (
            f"{quote(src.sheet)}!${src.columns['case_id']}${first}:${src.columns['case_id']}${last}"
        )
    )

    def duplicate_of(r: int) -> str:
        # MATCH over the whole, fixed column: LibreOffice's lookup cache answers the second and
        # third MATCH of a row at once (a MATCH over only the rows above, each row's range its
        # own, was measured slower: 8.5 s -> 8.8 s at 5,000 cases)
        if raw_ids is None:
            return '""'
        cell = c("case_id", r)
        own = trimmed(cell)
        wanted = f"IF(ISNUMBER({cell}),{cell},{escaped(own)})"
        found = f"MATCH({wanted},{raw_ids},0)"
        earlier = f"{found}+{first - 1}"
        return (
            f'IF($A{r}="","",IF({own}="","",IFERROR(IF(AND({earlier}<ROW(),'
            f'EXACT(TRIM(INDEX({raw_ids},{found})&""),{own})),N(INDEX($B$1:$B${last},{earlier})),""),"")))'
        )

    add("Repeats case of worker", duplicate_of, width=9)
    # the running count stops at the last row in use: a chain of formulas through thousands of
    # blank rows is slow to calculate
    add(
        "Problems so far",
        lambda r: (
            f'IF(ROW()>{CASES_IN_USE},"",N($S{r - 1})+($N{r}<>""))'
            if r > first
            else f'($N{r}<>"")*1'
        ),
    )
    return NativeSheet(CASE_WORKING, columns, first, last)


def _exact_in(value: str, workers_keys: str, workers: Source) -> str:
    """The Workers row whose key equals ``value`` exactly (the first such row), 0 when none."""
    found = f"MATCH({escaped(value)},{workers_keys},0)"
    return (
        f"IFERROR(IF(EXACT(INDEX({workers_keys},{found}),{value}),"
        f"{found}+{workers.first_row - 1},0),0)"
    )


def sibling_groups_sheet(
    policy: Policy, layout: NativeLayout, look: LookupAreas, refs: _Refs
) -> NativeSheet:
    """Every allocated case again, one block per worker in Workers order: step 4 and caps."""
    first, last = 2, refs.case_last
    w = layout.workers
    starts = f"{quote(WORKER_WORKING)}!$P${w.first_row}:$P${w.last_row}"
    cats = look.area("A", look.categories)
    s = look.scalars

    def block(letter: str, r: int) -> str:
        return inside(f"${letter}$1:${letter}${last + 1}", f"$C{r}", f"$D{r}")

    def before(letter: str, r: int) -> str:
        return inside(f"${letter}$1:${letter}${last + 1}", f"$C{r}", "ROW()-1")

    columns = Columns()
    add = columns.add

    add(
        "Worker row",
        lambda r: (
            f"IF(ROW()>{SLOTS_IN_USE},0,IFERROR(MATCH(ROW(),{starts},1)+{w.first_row - 1},0))"
        ),
        width=8,
    )
    add(
        "Cases row",
        lambda r: (
            f"IF($A{r}=0,0,IF(ROW()=INDEX({refs.worker('P')},$A{r}),INDEX({refs.worker('M')},$A{r}),"
            + (f"IF(N($B{r - 1})>0,INDEX({refs.case('O')},$B{r - 1}),0)))" if r > first else "0))")
        ),
        width=8,
    )
    add("Block start", lambda r: f'IF($B{r}=0,"",INDEX({refs.worker("P")},$A{r}))', width=7)
    add(
        "Block end",
        lambda r: f'IF($B{r}=0,"",$C{r}+INDEX({refs.worker("N")},$A{r})-1)',
        width=7,
    )
    add("Counts", lambda r: f'IF($B{r}=0,0,IF(INDEX({refs.case("N")},$B{r})="",1,0))', width=7)
    add("Family", lambda r: f'IF($E{r}=1,INDEX({refs.case("C")},$B{r}),"")', width=10)

    def group(r: int) -> str:
        found = f"MATCH({escaped(f'$F{r}')},{block('F', r)},0)"
        return (
            f'IF($E{r}=0,"",IF($F{r}="",ROW(),IFERROR(IF(EXACT(INDEX({block("F", r)},{found}),'
            f"$F{r}),$C{r}-1+{found},ROW()),ROW())))"
        )

    add("Family group", group, width=8)
    add(
        "Sibling weight",
        lambda r: (
            f"IF($E{r}=0,-1,IF(INDEX({look.area('D', look.categories)},"
            f"{code_position(f'$M{r}', cats)})=1,-1,INDEX({refs.case('J')},$B{r})))"
        ),
        number_format="0.000",
    )
    add(
        "Active",
        lambda r: (
            f"IF($E{r}=0,0,IF(INDEX({refs.case('E')},$B{r})={text(AWAITING_CLOSURE.upper())},0,1))"
        ),
        width=7,
    )
    add(
        "Heaviest in family",
        lambda r: f'IF($E{r}=0,"",_xlfn.MAXIFS({block("H", r)},{block("G", r)},$G{r}))',
        number_format="0.000",
    )
    add(
        "Could count in full",
        lambda r: (
            f"IF($E{r}=0,0,IF(AND($H{r}>=0,$H{r}=$J{r}),IF($I{r}=1,1,"
            f"IF(COUNTIFS({block('G', r)},$G{r},{block('H', r)},$J{r},"
            f"{block('I', r)},1)=0,1,0)),0))"
        ),
        width=9,
    )
    add(
        "Counts in full",
        lambda r: (
            f"IF($K{r}=0,0,IF(ROW()=$C{r},1,"
            f"IF(COUNTIFS({before('G', r)},$G{r},{before('K', r)},1)=0,1,0)))"
        ),
        width=9,
    )
    add("Category", lambda r: f'IF($E{r}=0,"",INDEX({refs.case("D")},$B{r}))', width=9)
    add(
        "Sibling factor",
        lambda r: f'IF($E{r}=0,"",IF(OR($H{r}<0,$F{r}="",$L{r}=1),1,{s["sibling"]}))',
        number_format="0.00",
    )
    add(
        "Counted weight",
        lambda r: f"IF($E{r}=0,0,IF($H{r}<0,0,$H{r}*$N{r}))",
        number_format="0.000",
    )
    add("Age", lambda r: f'IF($E{r}=0,"",INDEX({refs.case("M")},$B{r}))', width=6)
    for offset, key in enumerate(policy.caps):
        listed = f"{LOOKUPS}!$R${2 + offset}"
        add(
            f"{key} family",
            lambda r, listed=listed: (
                f'IF($E{r}=0,"",IF(OR({listed}="ALL",'
                f'ISNUMBER(SEARCH(","&$M{r}&",",","&{listed}&","))),$G{r},""))'
            ),
            width=9,
        )
    return NativeSheet(SIBLINGS, columns, first, last)


GROUP_FIRST_CAP = 17  # column Q of Sibling groups: the first cap's family column


def worker_working_sheet(
    policy: Policy, layout: NativeLayout, look: LookupAreas, refs: _Refs
) -> NativeSheet:
    """One row per Workers row: checked fields, the worker's block, sums, capacity, caps."""
    src = layout.workers
    first, last = src.first_row, src.last_row
    teams = look.area("K", look.teams)
    roles = look.area("F", look.roles)
    known = [name for name in WORKER_FIELDS if name in src.columns]

    def c(name: str, r: int) -> str | None:
        return src.cell(name, r)

    def block(letter: str, r: int) -> str:
        return inside(refs.group(letter), f"$P{r}", f"$P{r}+$N{r}-1")

    columns = Columns()
    add = columns.add

    add("Key", lambda r: trimmed(c("worker_id", r)), width=10)
    add(
        "Blank",
        lambda r: "IF(TRIM(" + "&".join(c(n, r) for n in known) + '&"")="",1,0)',
        width=6,
    )
    # a blank Workers row computes nothing below (the headroom is hundreds of blank rows)
    used = lambda r, formula: f'IF($B{r}=1,"",{formula})'  # noqa: E731
    add("Team", lambda r: used(r, _mapped("team", c("team", r), layout)), width=8)
    add("Team no.", lambda r: used(r, code_position(f"$C{r}", teams)), width=6)
    add("Role", lambda r: used(r, _mapped("role", c("role", r), layout)), width=8)
    add("Role no.", lambda r: used(r, code_position(f"$E{r}", roles)), width=6)
    add("FTE", lambda r: used(r, number(c("fte", r))), number_format="0.00")
    if "asye_months" in src.columns or "asye_start" not in src.columns:
        add("ASYE months", lambda r: used(r, number(c("asye_months", r))), width=8)
    else:
        add(
            "ASYE months",
            lambda r: (
                f'IF({is_blank(c("asye_start", r))},"",IFERROR('
                f'DATEDIF({c("asye_start", r)},{AS_AT},"m"),"{NOT_A_NUMBER}"))'
            ),
            width=8,
        )
    percent = "*100" if layout.percent_reduction else ""
    reduction_cell = c("reduction_pct", 0)

    def reduction(r: int) -> str:
        cell = c("reduction_pct", r)
        if cell is None:
            return "0"
        typed = f'ISNUMBER(SEARCH("%",{cell}&""))*NOT(ISNUMBER({cell}))'
        value = number(cell)
        return (
            f'IF({value}="","",IF({value}="{NOT_A_NUMBER}","{NOT_A_NUMBER}",'
            f"IF({typed},{value}*100,{value}{percent})))"
        )

    del reduction_cell
    add("Reduction %", lambda r: used(r, reduction(r)), width=9)
    add("Agency", lambda r: used(r, yes_no(c("agency", r))), width=7)
    ramped = f'INDEX({look.area("H", look.roles)},$F{{r}})<>""'

    def problem(r: int) -> str:
        fte, months, red = f"$G{r}", f"$H{r}", f"$I{r}"
        checks = [
            (f'$A{r}=""', "worker_id: worker_id is blank"),
            (
                f"SUMPRODUCT(--EXACT($A${first}:$A{r},$A{r}))>1",
                "worker_id: duplicate worker_id: the first row with it stands",
            ),
            (f'$C{r}=""', "team: team is blank"),
            (f"$D{r}=0", "team: unknown team"),
            (f'$E{r}=""', "role: role is blank"),
            (f"$F{r}=0", "role: unknown role"),
            (f'{fte}=""', "fte: FTE is blank"),
            (f'{fte}="{NOT_A_NUMBER}"', "fte: FTE is not a number"),
            (f"OR(N({fte})<=0,N({fte})>1)", "fte: FTE is outside (0, 1]"),
            (
                f'AND({months}="{NOT_A_NUMBER}",{ramped.format(r=r)})'
                if "asye_start" in src.columns and "asye_months" not in src.columns
                else f'{months}="{NOT_A_NUMBER}"',
                "asye_months: not a number (or asye_start not a date before the as-at date)",
            ),
            (f"N({months})<0", "asye_months: below 0"),
            (f'$J{r}="{NOT_A_NUMBER}"', "agency: must be yes or no"),
            (f'{red}="{NOT_A_NUMBER}"', "reduction_pct: not a number"),
            (f"N({red})<0", "reduction_pct: below 0"),
            (f"N({red})>100", "reduction_pct: reduction_pct is above 100"),
        ]
        return f'IF($B{r}=1,"",{_first_problem(checks)})'

    add("Problem", problem, width=40)
    add(
        "Repeated later",
        lambda r: (
            f'IF(OR($B{r}=1,$A{r}=""),0,IF(SUMPRODUCT(--EXACT($A{r}:$A${last},$A{r}))>1,1,0))'
        ),
        width=7,
    )
    add(
        "First case",
        lambda r: f'IF(OR($B{r}=1,$K{r}<>""),0,IFERROR(MATCH(ROW(),{refs.case("B")},0),0))',
        width=8,
    )
    add(
        "Cases in block",
        lambda r: f"IF($M{r}=0,0,1+INDEX({refs.case('P')},$M{r}))",
        width=7,
    )
    add(
        "Block so far",
        lambda r: "2" if r == first else f"$O{r - 1}+$N{r - 1}",
        width=7,
    )
    add("Block start", lambda r: f"IF($N{r}>0,$O{r},$O{r}-0.5)", width=7)
    in_block = lambda r, letter: f"IF($N{r}=0,0,SUM({block(letter, r)}))"  # noqa: E731
    add("children", lambda r: in_block(r, "E"), width=8)
    add(
        "families",
        lambda r: (
            f"IF($N{r}=0,0,SUMPRODUCT({block('E', r)}*({block('G', r)}=ROW({block('G', r)}))))"
        ),
        width=8,
    )
    add("weighted", lambda r: in_block(r, "O"), number_format="0.000")
    add(
        "weighted_active",
        lambda r: f"IF($N{r}=0,0,SUMPRODUCT({block('O', r)},{block('I', r)}))",
        number_format="0.000",
    )
    add(
        "Under 18",
        lambda r: (
            f"IF($N{r}=0,0,IF(2*SUMPRODUCT({block('E', r)}*ISNUMBER({block('P', r)})"
            f"*({block('P', r)}<18))>SUMPRODUCT({block('E', r)}*ISNUMBER({block('P', r)})),1,0))"
        ),
        width=7,
    )
    checked = lambda r, formula: f'IF(OR($B{r}=1,$K{r}<>""),"",{formula})'  # noqa: E731
    add("Range min", lambda r: checked(r, range_bound(look, f"$D{r}", "min", f"$U{r}")), width=7)
    add("Range max", lambda r: checked(r, range_bound(look, f"$D{r}", "max", f"$U{r}")), width=7)
    add(
        "Experience factor",
        lambda r: checked(r, experience_factor(look, f"$F{r}", f"$H{r}")),
        number_format="0.000",
    )
    add(
        "capacity_min",
        lambda r: checked(r, capacity(f"$V{r}", f"$G{r}", f"$X{r}", f"$I{r}")),
        number_format="0.000",
    )
    add(
        "capacity_max",
        lambda r: checked(r, capacity(f"$W{r}", f"$G{r}", f"$X{r}", f"$I{r}")),
        number_format="0.000",
    )
    marks = refs.case("R")
    add(
        "Incomplete",
        lambda r: (
            f'IF($B{r}=1,0,IF($K{r}<>"",1,IF(OR($L{r}=1,$N{r}>$Q{r},'
            f"COUNTIF({marks},ROW())>0),1,0)))"
        ),
        width=8,
    )
    cap_letters = []
    for offset, key in enumerate(policy.caps):
        group_letter = column_letter(GROUP_FIRST_CAP + offset)
        kind = f"{LOOKUPS}!$S${2 + offset}"

        def count(r: int, group_letter: str = group_letter, kind: str = kind) -> str:
            area = block(group_letter, r)
            distinct = f'ROUND(SUMPRODUCT(({area}<>"")/COUNTIF({area},{area}&"")),0)'
            cases = f'SUMPRODUCT(--({area}<>""))'
            return f'IF($N{r}=0,0,IF({kind}="families",{distinct},{cases}))'

        add(key, count, width=8)
        cap_letters.append(column_letter(len(columns)))

    def breaches(r: int) -> str:
        parts = []
        for key, letter in zip(policy.caps, cap_letters, strict=True):
            count = f"${letter}{r}"
            limit = (
                f'IFERROR(VLOOKUP("teams."&$C{r}&".caps.{key}",'
                f'{POLICY_SHEET}!$A$2:$B${POLICY_ROWS},2,FALSE),"")'
            )
            parts.append(f'IF({limit}="","",IF({count}>{limit},"{key} "&{count}&" > "&{limit},""))')
        if not parts:
            return '""'
        return f'IF($B{r}=1,"",IF($K{r}<>"","",_xlfn.TEXTJOIN("; ",TRUE,{",".join(parts)})))'

    add("breaches", breaches, width=30)
    so_far = column_letter(len(columns) + 1)
    add(
        "Problems so far",
        lambda r: f'($K{r}<>"")*1' if r == first else f'N(${so_far}{r - 1})+($K{r}<>"")',
        width=7,
    )
    return NativeSheet(WORKER_WORKING, columns, first, last)


def caseload_sheet(policy: Policy, layout: NativeLayout, worker: NativeSheet) -> NativeSheet:
    """Row 1: the 13 result columns of tracker-format.md; one row per Workers row."""
    src = layout.workers
    offset = src.first_row - 2
    letter = {col.header: column_letter(i) for i, col in enumerate(worker.columns, start=1)}
    ww = quote(WORKER_WORKING)
    roles = f"{LOOKUPS}!$F$2:$F${1 + len(policy.roles)}"
    teams = f"{LOOKUPS}!$K$2:$K${1 + len(policy.teams)}"

    def at(name: str, r: int) -> str:
        return f"{ww}!${letter[name]}{r + offset}"

    def ok(r: int, value: str) -> str:
        return f'IF(OR({at("Blank", r)}=1,{at("Problem", r)}<>""),"",{value})'

    figures = {
        "worker_id": lambda r: f'IF({at("Blank", r)}=1,"",{at("Key", r)})',
        "team": lambda r: ok(r, f"INDEX({teams},{at('Team no.', r)})"),
        "role": lambda r: ok(r, f"INDEX({roles},{at('Role no.', r)})"),
        "fte": lambda r: ok(r, at("FTE", r)),
        "load_pct": lambda r: ok(
            r, f'IF({at("capacity_max", r)}>0,100*{at("weighted", r)}/{at("capacity_max", r)},"")'
        ),
        "status": lambda r: (
            f'IF({at("Blank", r)}=1,"",IF({at("Incomplete", r)}=1,{text(INCOMPLETE)},'
            f"IF(AND({at('capacity_max', r)}=0,{at('children', r)}>0),{text(NO_CASELOAD_EXPECTED)},"
            f"IF({at('weighted', r)}>{at('capacity_max', r)},{text(OVER)},"
            f"IF({at('weighted', r)}<{at('capacity_min', r)},{text(UNDER)},{text(WITHIN)})))))"
        ),
    }
    formats = {"fte": "0.00", "load_pct": "0.0"}
    columns = []
    for name in RESULT_COLUMNS:
        formula = figures.get(name) or (lambda r, name=name: ok(r, at(name, r)))
        fmt = formats.get(name, "0.00" if name.startswith(("weighted", "capacity")) else None)
        columns.append(Column(name, formula, width=22 if name == "breaches" else 11,
                              number_format=fmt))  # fmt: skip
    last = src.last_row - offset
    return NativeSheet(CASELOAD, columns, 2, last)


def problems_sheet(layout: NativeLayout, worker: NativeSheet) -> NativeSheet:
    """The rows the rules reject (the first PROBLEM_ROWS): sheet, row, column and reason.

    Never what was typed: a child's row may hold a name in the wrong column.
    """
    w_letter = {col.header: column_letter(i) for i, col in enumerate(worker.columns, start=1)}
    ww, cw = quote(WORKER_WORKING), quote(CASE_WORKING)
    w_src, c_src = layout.workers, layout.cases
    so_far = w_letter["Problems so far"]
    w_so_far = f"{ww}!${so_far}${w_src.first_row}:${so_far}${w_src.last_row}"
    c_so_far = f"{cw}!$S${c_src.first_row}:$S${c_src.last_row}"
    w_total = f"{ww}!${so_far}${w_src.last_row}"
    c_total = f"MAX({c_so_far})"
    w_problem = f"{ww}!${w_letter['Problem']}$1:${w_letter['Problem']}${w_src.last_row}"
    c_problem = f"{cw}!$N$1:$N${c_src.last_row}"

    def worker_row(r: int) -> str:
        k = r - 1
        return f'IF({k}>{w_total},"",MATCH({k},{w_so_far},0)+{w_src.first_row - 1})'

    def case_row(r: int) -> str:
        k = r - 1
        return (
            f'IF({k}<={w_total},"",IF({k}-{w_total}>{c_total},"",'
            f"MATCH({k}-{w_total},{c_so_far},0)+{c_src.first_row - 1}))"
        )

    columns = [
        Column(
            "sheet",
            lambda r: f'IF($E{r}<>"",{text(w_src.sheet)},IF($F{r}<>"",{text(c_src.sheet)},""))',
            width=14,
        ),
        Column("row", lambda r: f'IF($E{r}<>"",$E{r},IF($F{r}<>"",$F{r},""))', width=7),
        Column("column", lambda r: f'IF($G{r}="","",LEFT($G{r},FIND(":",$G{r})-1))', width=18),
        Column(
            "reason",
            lambda r: f'IF($G{r}="","",MID($G{r},FIND(":",$G{r})+2,200))',
            width=60,
        ),
        Column("Workers row", worker_row, width=8),
        Column("Cases row", case_row, width=8),
        Column(
            "Problem",
            lambda r: (
                f'IF($E{r}<>"",INDEX({w_problem},$E{r}),IF($F{r}<>"",INDEX({c_problem},$F{r}),""))'
            ),
            width=10,
        ),
    ]
    cells: dict[str, object] = {
        "I1": "rows with a problem",
        "I2": f"={w_total}+{c_total}",
        "I3": f"Only the first {PROBLEM_ROWS} are listed here.",
    }
    return NativeSheet(PROBLEMS, columns, 2, PROBLEM_ROWS + 1, cells)


def _rows_in_use(layout: NativeLayout, worker: NativeSheet) -> dict[str, object]:
    """The Lookups cells holding the last Cases row in use and the last Sibling groups row
    holding a case (``CASES_IN_USE``, ``SLOTS_IN_USE``)."""
    letter = {col.header: column_letter(i) for i, col in enumerate(worker.columns, start=1)}
    cases, last_worker = layout.cases, layout.workers.last_row
    ww = quote(WORKER_WORKING)
    return {
        "Z1": "last Cases row in use",
        "Z2": f"=MAX({quote(CASE_WORKING)}!$A${cases.first_row}:$A${cases.last_row})",
        "AA1": "last Sibling groups row in use",
        "AA2": (
            f"={ww}!${letter['Block so far']}${last_worker}"
            f"+{ww}!${letter['Cases in block']}${last_worker}-1"
        ),
    }


def native_sheets(policy: Policy, layout: NativeLayout) -> list[NativeSheet]:
    """The sheets that compute the model with native formulas over ``layout``'s tables."""
    refs = _Refs(case_last=layout.cases.last_row, worker_last=layout.workers.last_row)
    uses_start = (
        "asye_start" in layout.workers.columns and "asye_months" not in layout.workers.columns
    )
    lookups, look = lookups_sheet(policy, as_at=uses_start)
    case = case_working_sheet(policy, layout, look, refs)
    groups = sibling_groups_sheet(policy, layout, look, refs)
    worker = worker_working_sheet(policy, layout, look, refs)
    caseload = caseload_sheet(policy, layout, worker)
    lookups.cells.update(_rows_in_use(layout, worker))
    sheets = [caseload, problems_sheet(layout, worker), case, groups, worker, lookups]
    if layout.codes:
        cells: dict[str, object] = {"A1": "field|text", "B1": "code"}
        row = 2
        for field_name, table in layout.codes.items():
            for typed, code in table.items():
                cells[f"A{row}"] = f"{field_name}|{code_key(str(typed))}"
                cells[f"B{row}"] = code_key(code)
                row += 1
        sheets.append(NativeSheet(CODES, [], 2, 1, cells, note="The mapping's code table."))
    return sheets


def headroom(rows: int, minimum: int) -> int:
    """Rows the formulas cover: twice today's rows, and at least ``minimum``."""
    return max(minimum, 2 * rows)
