"""An Excel formula parser: text in, a small AST out (references resolved to sheet cells).

Relative row references are kept relative (``Ref.rel1``/``rel2``) so that one parse serves a
whole column of formulas that differ only by row (see ``addin.engine.groups``). Structured
table references (``Cases[worker_id]``, ``[@fte]``, ``Cases[[#This Row],[fte]]``) are resolved
here to plain ranges of the table's current extent.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from addin.engine.values import ERROR_CODES, XlError
from addin.xlsx.references import MAX_COL, MAX_ROW, col_index


class FormulaSyntaxError(ValueError):
    """The formula is not something this parser understands."""


# --- AST -------------------------------------------------------------------------------------


class Node:
    """Base of AST nodes."""

    __slots__ = ()


class Lit(Node):
    """A constant (number, text, logical, error)."""

    __slots__ = ("value",)

    def __init__(self, value: Any) -> None:
        self.value = value


class ArrayLit(Node):
    """An array constant ``{1,2;3,4}``."""

    __slots__ = ("array",)

    def __init__(self, array: np.ndarray) -> None:
        self.array = array


class Missing(Node):
    """An omitted function argument."""

    __slots__ = ()


class Ref(Node):
    """A cell or range on ``sheet``, rows as seen from the formula's anchor cell.

    ``rel1``/``rel2``: the first/last row is relative (moves with the formula's row).
    """

    __slots__ = ("sheet", "r1", "c1", "r2", "c2", "rel1", "rel2")

    def __init__(
        self, sheet: str, r1: int, c1: int, r2: int, c2: int, rel1: bool, rel2: bool
    ) -> None:
        self.sheet, self.r1, self.c1, self.r2, self.c2 = sheet, r1, c1, r2, c2
        self.rel1, self.rel2 = rel1, rel2

    @property
    def relative(self) -> bool:
        """True when the rows move with the formula's row."""
        return self.rel1 or self.rel2

    @property
    def is_cell(self) -> bool:
        """True for a single cell."""
        return self.r1 == self.r2 and self.c1 == self.c2 and self.rel1 == self.rel2


class Call(Node):
    """A function call."""

    __slots__ = ("name", "args")

    def __init__(self, name: str, args: list[Node]) -> None:
        self.name, self.args = name, args


class BinOp(Node):
    """A binary operator (``+ - * / ^ & = <> < > <= >=``)."""

    __slots__ = ("op", "left", "right")

    def __init__(self, op: str, left: Node, right: Node) -> None:
        self.op, self.left, self.right = op, left, right


class Unary(Node):
    """Prefix ``-``/``+``, postfix ``%``, implicit intersection ``@``."""

    __slots__ = ("op", "operand")

    def __init__(self, op: str, operand: Node) -> None:
        self.op, self.operand = op, operand


class SpillRef(Node):
    """``A2#``: the whole spill range anchored at a cell."""

    __slots__ = ("ref",)

    def __init__(self, ref: Ref) -> None:
        self.ref = ref


class RangeOp(Node):
    """The range operator between expressions that are not both plain references
    (``INDEX(A:A,2):INDEX(A:A,9)``, ``A1:OFFSET(A1,3,0)``): the smallest rectangle holding both
    references, found when the formula is evaluated."""

    __slots__ = ("left", "right")

    def __init__(self, left: Node, right: Node) -> None:
        self.left, self.right = left, right


class NameRef(Node):
    """A defined name that is not a plain range (evaluated from its own formula)."""

    __slots__ = ("name", "sheet")

    def __init__(self, name: str, sheet: str) -> None:
        self.name, self.sheet = name, sheet


# --- context ---------------------------------------------------------------------------------


@dataclass
class TableInfo:
    """An Excel table (ListObject): where it is and its column names."""

    name: str
    sheet: str
    r1: int
    c1: int
    r2: int
    c2: int
    columns: list[str]
    header_rows: int = 1
    totals_rows: int = 0

    def column(self, name: str) -> int:
        """Sheet column number of the table column ``name`` (case-insensitive)."""
        wanted = name.strip().replace("'#", "#").replace("'[", "[").replace("']", "]").casefold()
        for offset, column in enumerate(self.columns):
            if column.casefold() == wanted:
                return self.c1 + offset
        raise FormulaSyntaxError(f"table {self.name} has no column {name!r}")


@dataclass
class ParseContext:
    """What a formula's references are resolved against."""

    sheet: str
    row: int
    col: int
    sheets: dict[str, str] = field(default_factory=dict)  # casefolded -> real name
    tables: dict[str, TableInfo] = field(default_factory=dict)  # casefolded -> table
    names: dict[tuple[str | None, str], str] = field(default_factory=dict)  # (scope, NAME) -> text

    def sheet_name(self, name: str) -> str:
        """The workbook's spelling of a sheet name; unknown sheets raise."""
        real = self.sheets.get(name.casefold())
        if real is None:
            raise UnknownSheet(name)
        return real


class UnknownSheet(FormulaSyntaxError):
    """A reference to a sheet the workbook does not have (#REF!)."""


# --- tokenizer -------------------------------------------------------------------------------

_TOKEN = re.compile(
    r"""
    (?P<ws>\s+)
  | (?P<str>"(?:[^"]|"")*")
  | (?P<err>\#(?:NULL!|DIV/0!|VALUE!|REF!|NAME\?|NUM!|N/A|SPILL!|CALC!|GETTING_DATA))
  | (?P<qsheet>'(?:[^']|'')+'!)
  | (?P<num>(?:\d+\.?\d*|\.\d+)(?:[eE][-+]?\d+)?)
  | (?P<word>[A-Za-z_\\$][\w.$]*(?:!)?)
  | (?P<op><>|<=|>=|[-+*/^&=<>%:(),;{}\#@\[\]!])
    """,
    re.VERBOSE,
)
_CELL = re.compile(r"^(\$?)([A-Za-z]{1,3})(\$?)(\d+)$")
_COLUMN = re.compile(r"^\$?([A-Za-z]{1,3})$")
_ROW = re.compile(r"^\$?(\d+)$")
_PREFIXES = ("_xlfn._xlws.", "_xlfn.", "_xlws.", "_xll.", "_xldudf_")


def _tokenize(text: str) -> list[tuple[str, str]]:
    tokens: list[tuple[str, str]] = []
    position = 0
    while position < len(text):
        if text[position] == "[":  # a bracketed structured-reference part: keep whole
            depth, end = 0, position
            while end < len(text):
                if text[end] == "'" and end + 1 < len(text):
                    end += 2
                    continue
                if text[end] == "[":
                    depth += 1
                elif text[end] == "]":
                    depth -= 1
                    if depth == 0:
                        break
                end += 1
            tokens.append(("bracket", text[position : end + 1]))
            position = end + 1
            continue
        match = _TOKEN.match(text, position)
        if not match:
            raise FormulaSyntaxError(f"cannot read formula at {text[position : position + 10]!r}")
        kind = match.lastgroup or ""
        if kind != "ws":
            tokens.append((kind, match.group()))
        position = match.end()
    tokens.append(("end", ""))
    return tokens


# --- parser ----------------------------------------------------------------------------------

_BINARY = {
    "=": 1,
    "<>": 1,
    "<": 1,
    ">": 1,
    "<=": 1,
    ">=": 1,
    "&": 2,
    "+": 3,
    "-": 3,
    "*": 4,
    "/": 4,
    "^": 5,
}


class _Parser:
    def __init__(self, text: str, context: ParseContext) -> None:
        self.tokens = _tokenize(text)
        self.at = 0
        self.ctx = context

    def peek(self, ahead: int = 0) -> tuple[str, str]:
        """The token ``ahead`` places on, without taking it (the end token past the end)."""
        return self.tokens[min(self.at + ahead, len(self.tokens) - 1)]

    def take(self) -> tuple[str, str]:
        """The current token, moving past it."""
        token = self.tokens[self.at]
        self.at += 1
        return token

    def expect(self, value: str) -> None:
        """Take the next token, which must read ``value``; FormulaSyntaxError otherwise."""
        kind, text = self.take()
        if text != value:
            raise FormulaSyntaxError(f"expected {value!r}, found {text!r}")

    def parse(self) -> Node:
        """The whole formula as one expression; FormulaSyntaxError if any token is left over."""
        node = self.expression(1)
        if self.peek()[0] != "end":
            raise FormulaSyntaxError(f"unexpected {self.peek()[1]!r}")
        return node

    def expression(self, min_level: int) -> Node:
        """Binary operators binding at ``min_level`` or tighter, by precedence climbing (all
        left-associative, ``^`` included, as in Excel)."""
        left = self.prefix()
        while True:
            kind, text = self.peek()
            level = _BINARY.get(text) if kind == "op" else None
            if level is None or level < min_level:
                return left
            self.take()
            left = BinOp(text, left, self.expression(level + 1))

    def prefix(self) -> Node:
        """Prefix -, + and @ (tighter than any binary operator, so -2^2 is 4 as in Excel), then a
        primary and its postfix operators."""
        kind, text = self.peek()
        if kind == "op" and text in "-+@":
            self.take()
            operand = self.prefix()
            return Unary(text, operand)
        return self.postfix(self.primary())

    def postfix(self, node: Node) -> Node:
        """``node`` followed by %, # (a spill reference, after a reference) and the range
        operator :, as many as follow."""
        while True:
            kind, text = self.peek()
            if kind == "op" and text == "%":
                self.take()
                node = Unary("%", node)
            elif kind == "op" and text == "#" and isinstance(node, Ref):
                self.take()
                node = SpillRef(node)
            elif kind == "op" and text == ":":
                self.take()
                node = self.range_with(node, self.primary())
            else:
                return node

    def range_with(self, left: Node, right: Node) -> Node:
        """The range operator: two plain references become the smallest ``Ref`` holding both (on the
        left's sheet); others a ``RangeOp`` when both sides may be references (INDEX, OFFSET,
        INDIRECT), else FormulaSyntaxError."""
        if not isinstance(left, Ref) or not isinstance(right, Ref):
            for side in (left, right):
                if not _may_be_reference(side):
                    raise FormulaSyntaxError("a range needs two references")
            return RangeOp(left, right)
        return Ref(
            left.sheet,
            min(left.r1, right.r1),
            min(left.c1, right.c1),
            max(left.r2, right.r2),
            max(left.c2, right.c2),
            left.rel1 if left.r1 <= right.r1 else right.rel1,
            right.rel2 if right.r2 >= left.r2 else left.rel2,
        )

    def primary(self) -> Node:
        """A number (or whole-row range), text, error, 'Sheet'! reference, structured reference,
        parenthesised expression, array constant or word."""
        kind, text = self.take()
        if kind == "num":
            rows = self.row_range(text, self.ctx.sheet)  # 1:3, 6:$7
            return rows if rows is not None else Lit(float(text))
        if kind == "str":
            return Lit(text[1:-1].replace('""', '"'))
        if kind == "err":
            return Lit(XlError(text))
        if kind == "qsheet":
            return self.reference(self.ctx.sheet_name(text[1:-2].replace("''", "'")))
        if kind == "bracket":
            return self.table_ref(None, text)
        if kind == "op" and text == "(":
            node = self.expression(1)
            self.expect(")")
            return node
        if kind == "op" and text == "{":
            return self.array()
        if kind == "word":
            return self.word(text)
        raise FormulaSyntaxError(f"unexpected {text!r}")

    def row_range(self, text: str, sheet: str) -> Ref | None:
        """A whole-row reference (``1:3``, ``$1:$1``) when ``text`` and what follows are one,
        (taking its tokens), else ``None``."""
        first = _ROW.match(text)
        if first is None or self.peek() != ("op", ":"):
            return None
        kind, follow = self.peek(1)
        second = _ROW.match(follow) if kind in ("num", "word") else None
        if second is None:
            return None
        self.take()
        self.take()
        r1, r2 = sorted((int(first.group(1)), int(second.group(1))))
        if not 1 <= r1 <= r2 <= MAX_ROW:
            raise FormulaSyntaxError("row out of range")
        return Ref(sheet, r1, 1, r2, MAX_COL, False, False)

    def word(self, text: str) -> Node:
        """A word token: a whole-row range, Sheet! reference, function call (``_xlfn.`` and similar
        prefixes dropped; ANCHORARRAY and SINGLE as # and @), table reference, TRUE/FALSE, cell or
        whole-column range, else a defined name."""
        rows = self.row_range(text, self.ctx.sheet)
        if rows is not None:
            return rows
        if text.endswith("!"):
            return self.reference(self.ctx.sheet_name(text[:-1]))
        upper = text.upper()
        if self.peek() == ("op", "("):
            self.take()
            name = upper
            for prefix in _PREFIXES:
                if name.startswith(prefix.upper()):
                    name = name[len(prefix) :]
            args = self.arguments()
            if name == "ANCHORARRAY" and len(args) == 1 and type(args[0]) is Ref:
                return SpillRef(args[0])  # how the file stores A1#
            if name == "SINGLE" and len(args) == 1:
                return Unary("@", args[0])  # how the file stores @A1:A9
            return Call(name, args)
        if self.peek()[0] == "bracket":
            return self.table_ref(text, self.take()[1])
        if upper in ("TRUE", "FALSE"):
            return Lit(upper == "TRUE")
        cell = self.cell_or_column(text, self.ctx.sheet)
        if cell is not None:
            return cell
        return self.name(text)

    def reference(self, sheet: str) -> Node:
        """What follows ``sheet!``: a whole-row range, an error (Sheet!#REF!), a cell or
        whole-column range, else a name scoped to that sheet."""
        kind, text = self.take()
        rows = self.row_range(text, sheet) if kind in ("num", "word") else None
        if rows is not None:  # Sheet!1:3
            return rows
        if kind != "word":
            if kind == "err":
                return Lit(XlError(text))
            raise FormulaSyntaxError(f"expected a reference after {sheet}!")
        node = self.cell_or_column(text, sheet)
        if node is None:
            return self.name(text, sheet)
        return node

    def cell_or_column(self, text: str, sheet: str) -> Ref | None:
        """A cell (relative unless its row has $) or a whole-column range (A:C, taking its tokens)
        on ``sheet``; ``None`` for other text."""
        match = _CELL.match(text)
        if match and col_index(match.group(2)) <= MAX_COL and int(match.group(4)) <= MAX_ROW:
            row, col = int(match.group(4)), col_index(match.group(2))
            relative = not match.group(3)
            return Ref(sheet, row, col, row, col, relative, relative)
        column = _COLUMN.match(text)
        if column and self.peek() == ("op", ":"):
            follow = self.peek(1)
            other = _COLUMN.match(follow[1]) if follow[0] == "word" else None
            if other:
                self.take()
                self.take()
                c1, c2 = col_index(column.group(1)), col_index(other.group(1))
                return Ref(sheet, 1, min(c1, c2), MAX_ROW, max(c1, c2), False, False)
        return None

    def name(self, text: str, sheet: str | None = None) -> Node:
        """A defined name (sheet-scoped first, then workbook) parsed from its definition, a
        reference made absolute; a table's name is its data; a definition the parser cannot read is
        a ``NameRef``; an unknown name a #NAME? constant."""
        key_sheet = (sheet or self.ctx.sheet).casefold()
        upper = text.upper()
        definition = self.ctx.names.get((key_sheet, upper)) or self.ctx.names.get((None, upper))
        if definition is None:
            if upper in self.ctx.tables or text.casefold() in self.ctx.tables:
                return self.table_ref(text, "[]")
            return Lit(XlError("#NAME?", f"unknown name {text}"))
        try:
            inner = parse_formula(definition, ParseContext(**{**self.ctx.__dict__, "row": 1}))
        except FormulaSyntaxError:
            return NameRef(upper, self.ctx.sheet)
        if isinstance(inner, Ref):
            inner.rel1 = inner.rel2 = False
        return inner

    def arguments(self) -> list[Node]:
        """Function arguments after ``(`` up to ``)``, an omitted one as ``Missing``."""
        args: list[Node] = []
        if self.peek() == ("op", ")"):
            self.take()
            return args
        while True:
            if self.peek()[1] in (",", ")") and self.peek()[0] == "op":
                args.append(Missing())
            else:
                args.append(self.expression(1))
            kind, text = self.take()
            if text == ")":
                return args
            if text != ",":
                raise FormulaSyntaxError(f"expected , or ) in arguments, found {text!r}")

    def array(self) -> Node:
        """An array constant after ``{``: numbers (optionally negative), text, TRUE/FALSE and
        errors, ``,`` between columns and ``;`` between rows; ragged rows are an error."""
        rows: list[list[Any]] = [[]]
        while True:
            sign = 1.0
            kind, text = self.take()
            if text == "-":
                sign, (kind, text) = -1.0, self.take()
            if kind == "num":
                rows[-1].append(sign * float(text))
            elif kind == "str":
                rows[-1].append(text[1:-1].replace('""', '"'))
            elif kind == "word" and text.upper() in ("TRUE", "FALSE"):
                rows[-1].append(text.upper() == "TRUE")
            elif kind == "err":
                rows[-1].append(XlError(text))
            else:
                raise FormulaSyntaxError("bad array constant")
            kind, text = self.take()
            if text == "}":
                break
            if text == ";":
                rows.append([])
            elif text != ",":
                raise FormulaSyntaxError("bad array constant")
        if len({len(r) for r in rows}) != 1:
            raise FormulaSyntaxError("ragged array constant")
        array = np.empty((len(rows), len(rows[0])), dtype=object)
        for i, row in enumerate(rows):
            for j, value in enumerate(row):
                array[i, j] = value
        return ArrayLit(array)

    def table_ref(self, table_name: str | None, spec: str) -> Node:
        """A structured reference resolved to the table's current extent (``_resolve_table``); no
        ``table_name``: the table holding the formula's cell. FormulaSyntaxError for an unknown
        table."""
        if table_name is None:
            table = next(
                (
                    t
                    for t in self.ctx.tables.values()
                    if t.sheet == self.ctx.sheet
                    and t.r1 <= self.ctx.row <= t.r2
                    and t.c1 <= self.ctx.col <= t.c2
                ),
                None,
            )
        else:
            table = self.ctx.tables.get(table_name.casefold())
        if table is None:
            raise FormulaSyntaxError(f"unknown table {table_name!r}")
        return _resolve_table(table, spec, self.ctx.row)


# Functions that can return a reference (so may stand either side of the range operator).
REFERENCE_FUNCTIONS = frozenset({"INDEX", "OFFSET", "INDIRECT"})


def _may_be_reference(node: Node) -> bool:
    """True for a node that can evaluate to a reference."""
    if isinstance(node, Ref | RangeOp):
        return True
    return isinstance(node, Call) and node.name in REFERENCE_FUNCTIONS


_PART = re.compile(r"\[((?:[^\[\]']|'.)*)\]")


def _resolve_table(table: TableInfo, spec: str, row: int) -> Ref:
    inner = spec[1:-1].strip()
    this_row = False
    if inner.startswith("@"):
        this_row, inner = True, inner[1:].strip()
    parts = _PART.findall(inner) if inner.startswith("[") else ([inner] if inner else [])
    items: set[str] = set()
    columns: list[str] = []
    if inner.startswith("[") and ":" in inner:  # [a]:[b] column span
        pieces = [p for p in parts if not p.startswith("#")]
        items = {p.upper() for p in parts if p.startswith("#")}
        columns = [pieces[0], pieces[-1]] if pieces else []
    else:
        for part in parts:
            if part.startswith("#"):
                items.add(part.upper())
            else:
                columns.append(part)
    this_row = this_row or "#THIS ROW" in items
    data_r1, data_r2 = table.r1 + table.header_rows, table.r2 - table.totals_rows
    if this_row:
        r1 = r2 = row
    elif "#ALL" in items:
        r1, r2 = table.r1, table.r2
    else:
        r1 = table.r1 if "#HEADERS" in items else data_r1
        r2 = data_r2 if ("#DATA" in items or not items or "#HEADERS" not in items) else data_r1 - 1
        if "#HEADERS" in items and "#DATA" not in items:
            r2 = table.r1
        if "#TOTALS" in items:
            r2 = table.r2
            if "#DATA" not in items:
                r1 = data_r2 + 1
    if columns:
        c1, c2 = table.column(columns[0]), table.column(columns[-1])
    else:
        c1, c2 = table.c1, table.c2
    return Ref(table.sheet, r1, min(c1, c2), r2, max(c1, c2), this_row, this_row)


def parse_formula(text: str, context: ParseContext) -> Node:
    """Parse formula ``text`` (with or without the leading ``=``) as seen from ``context``."""
    if text.startswith("="):
        text = text[1:]
    return _Parser(text, context).parse()


# --- row-shape keys: which formulas of a column are "the same formula" -----------------------

_SHAPE = re.compile(
    r"""("(?:[^"]|"")*")|('(?:[^']|'')+'!)|(\[[^\]]*\]?)|"""
    r"""(?<![\w.$])(\$?[A-Za-z]{1,3})(\$?)(\d+)(?![\w(!\[])"""
)


def row_shape(text: str, row: int) -> str:
    """``text`` with relative row numbers written as offsets from ``row`` (R1C1-like).

    Two formulas in one column with the same shape differ only by the row they sit in.
    """

    def replace(match: re.Match[str]) -> str:
        if match.group(4) is None:
            return match.group(0)
        if match.group(5):
            return match.group(0)
        return f"{match.group(4)}[{int(match.group(6)) - row}]"

    return _SHAPE.sub(replace, text)


Template = list[str | tuple[str, int]]


def row_template(text: str, row: int) -> Template:
    """``text`` (the formula at ``row``) split into literal parts and relative cell references
    (column letters, row offset), so ``at_row`` can write the same formula at another row."""
    parts: Template = []
    last = 0
    for match in _SHAPE.finditer(text):
        if match.group(4) is None or match.group(5):
            continue
        parts.append(text[last : match.start()])
        parts.append((match.group(4), int(match.group(6)) - row))
        last = match.end()
    parts.append(text[last:])
    return parts


def at_row(template: Template, row: int) -> str:
    """The formula of ``template`` as written at ``row`` (its relative rows moved)."""
    return "".join(p if type(p) is str else f"{p[0]}{p[1] + row}" for p in template)


def error_literal(text: str) -> bool:
    """True when ``text`` is an Excel error code."""
    return text in ERROR_CODES
