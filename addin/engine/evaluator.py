"""Evaluating a parsed formula for a whole run of rows at once.

A formula column (the same formula, shifted row by row) is evaluated in one pass: a relative
cell reference becomes a ``Vec`` (one value per row, sliced straight from the column), an
absolute range is one shared array, and operators and functions work through the rows in
tight loops. Lookup and criteria indexes are built once per shared range (``criteria``), so a
column of SUMIFS or XLOOKUP costs about as much as one pass over the data.
"""

from __future__ import annotations

import math
from typing import TYPE_CHECKING, Any, NamedTuple

import numpy as np

from addin.engine import custom
from addin.engine.fallback import registry_function
from addin.engine.formula_cells import cell_info, formulatext, isformula
from addin.engine.functions import ERROR_AWARE, FUNCTIONS, MISSING
from addin.engine.intersection import INTERSECT_CALL, intersect
from addin.engine.library.logic import IFERROR
from addin.engine.library.maths import power_of
from addin.engine.parser import (
    ArrayLit,
    BinOp,
    Call,
    FormulaSyntaxError,
    Lit,
    Missing,
    NameRef,
    Node,
    ParseContext,
    RangeOp,
    Ref,
    SpillRef,
    Unary,
    parse_formula,
)
from addin.engine.values import (
    DIV0,
    NAME,
    OUTSIDE,
    REF,
    VALUE,
    ExcelError,
    XlError,
    broadcast_cell,
    clean,
    compare,
    map_cells,
    to_bool,
    to_number,
    to_text,
)
from addin.xlsx.references import MAX_COL, MAX_ROW
from udfs.excel_dates import serial

if TYPE_CHECKING:
    from addin.engine.workbook import Group, Workbook


class Vec(list):
    """One scalar per row of the run being evaluated."""


class PerRow(list):
    """One array per row (a range whose rows move with the formula)."""


class Area(NamedTuple):
    """A reference computed while evaluating (``INDEX(A:A,3)``, ``OFFSET(...)``): a rectangle
    of one sheet, rows and columns 1-based and inclusive."""

    sheet: str
    r1: int
    c1: int
    r2: int
    c2: int


_RESOLVED: dict[str, Any] = {}


def _function(name: str) -> Any:
    found = _RESOLVED.get(name)
    if found is None:
        found = FUNCTIONS.get(name) or registry_function(name) or False
        _RESOLVED[name] = found
    return found


def _pick(value: Any, k: int) -> Any:
    return value[k] if type(value) in (Vec, PerRow) else value


def _rowwise(value: Any) -> bool:
    return type(value) in (Vec, PerRow)


def _scalar_op(op: str, a: Any, b: Any) -> Any:
    ta, tb = type(a), type(b)
    if ta is XlError:
        return a
    if tb is XlError:
        return b
    try:
        if op in "+-*/^":
            x = a if ta is float else to_number(a)
            y = b if tb is float else to_number(b)
            if op == "+":
                return x + y
            if op == "-":
                return x - y
            if op == "*":
                return x * y
            if op == "/":
                if y == 0:
                    return XlError(DIV0)
                return x / y
            return power_of(x, y)
        if op == "&":
            return to_text(a) + to_text(b)
        sign = compare(a, b)
        if op == "=":
            return sign == 0
        if op == "<>":
            return sign != 0
        if op == "<":
            return sign < 0
        if op == ">":
            return sign > 0
        if op == "<=":
            return sign <= 0
        return sign >= 0
    except ExcelError as exc:
        return exc.error


def _broadcast(op: str, a: Any, b: Any) -> Any:
    if not isinstance(a, np.ndarray) and not isinstance(b, np.ndarray):
        return _scalar_op(op, a, b)
    x = a if isinstance(a, np.ndarray) else np.full((1, 1), a, dtype=object)
    y = b if isinstance(b, np.ndarray) else np.full((1, 1), b, dtype=object)
    if x.shape == y.shape or x.size == 1 or y.size == 1:
        shape = x.shape if x.size >= y.size else y.shape
        fast = _numeric_op(op, x, y)
        if fast is not None:
            return fast.reshape(shape)
        xs, ys = x.ravel().tolist(), y.ravel().tolist()
        if len(ys) == 1:
            values = _against(op, xs, ys[0], False)
        elif len(xs) == 1:
            values = _against(op, ys, xs[0], True)
        else:
            values = [_scalar_op(op, p, q) for p, q in zip(xs, ys, strict=True)]
        out = np.empty(len(values), dtype=object)
        out[:] = values
        return out.reshape(shape)
    rows = max(x.shape[0], y.shape[0])
    cols = max(x.shape[1], y.shape[1])
    out = np.empty((rows, cols), dtype=object)
    for i in range(rows):
        for j in range(cols):
            xi = broadcast_cell(x, i, j)
            yj = broadcast_cell(y, i, j)
            out[i, j] = (
                XlError("#N/A") if xi is OUTSIDE or yj is OUTSIDE else _scalar_op(op, xi, yj)
            )
    return out


_NUMERIC_TYPES = {float, bool}


def _numeric_op(op: str, x: np.ndarray, y: np.ndarray) -> np.ndarray | None:
    """``x op y`` in numpy when both hold only numbers and logicals (``None`` otherwise)."""
    if op not in "+-*/" or x.size + y.size < 16:
        return None
    if not set(map(type, x.ravel().tolist())) <= _NUMERIC_TYPES:
        return None
    if not set(map(type, y.ravel().tolist())) <= _NUMERIC_TYPES:
        return None
    fx, fy = x.astype(float), y.astype(float)
    if op == "/":
        if not fy.all():
            return None  # a #DIV/0! somewhere: cell by cell
        result = fx / fy
    else:
        result = fx + fy if op == "+" else (fx - fy if op == "-" else fx * fy)
    if not np.isfinite(result).all():
        return None
    return result.astype(object)


def _against(op: str, values: list[Any], other: Any, flipped: bool) -> list[Any]:
    """``v op other`` (``other op v`` when ``flipped``) for each of ``values``."""
    if op in ("=", "<>") and type(other) in (str, float):
        equal = _equal_to(values, other)
        if op == "=":
            return equal
        return [v if type(v) is XlError else not v for v in equal]
    if flipped:
        return [_scalar_op(op, other, v) for v in values]
    return [_scalar_op(op, v, other) for v in values]


def _equal_to(values: list[Any], other: str | float) -> list[Any]:
    """Excel's ``=`` of each value with a text or number (errors stay errors)."""
    out: list[Any] = []
    if type(other) is str:
        key = other.casefold()
        blank = other == ""
        for v in values:
            kind = type(v)
            if kind is str:
                out.append(v.casefold() == key)
            elif v is None:
                out.append(blank)
            else:
                out.append(v if kind is XlError else False)
    else:
        zero = other == 0.0
        for v in values:
            kind = type(v)
            if kind is float:
                out.append(v == other)
            elif v is None:
                out.append(zero)
            else:
                out.append(v if kind is XlError else False)
    return out


def _unwrap(value: Any) -> Any:
    if isinstance(value, np.ndarray):
        if value.size == 1:
            return value.flat[0]
        if value.size == 0:
            return XlError("#CALC!")
        return value
    return clean(value)


class Evaluator:
    """Evaluates AST nodes of one group for rows ``start .. start + n - 1`` of the group, or
    for the rows ``offsets`` (positions in the group, in order) when given: the branches of
    IF, IFERROR and CHOOSE are evaluated only for the rows that take them, as Excel does."""

    def __init__(
        self, book: Workbook, group: Group, start: int, n: int, offsets: list[int] | None = None
    ) -> None:
        self.book, self.group = book, group
        self.offsets: range | list[int] = range(start, start + n) if offsets is None else offsets
        self.start = self.offsets[0] if self.offsets else start
        self.n = len(self.offsets)
        self.contiguous = offsets is None

    def subset(self, rows: list[int]) -> Evaluator:
        """An evaluator for some of this one's rows (``rows``: indexes into ``offsets``)."""
        offsets = self.offsets
        return Evaluator(self.book, self.group, 0, 0, [offsets[k] for k in rows])

    def on_rows(self, node: Node | None, rows: list[int], absent: Any) -> list[Any]:
        """The value of ``node`` for each of ``rows`` (indexes into ``offsets``); ``absent``
        where the argument is not written, 0 where it is left empty (``IF(A1,,2)``)."""
        if not rows:
            return []
        if node is None:
            return [absent] * len(rows)
        if type(node) is Missing:
            return [0.0] * len(rows)
        if type(node) is Lit:
            return [node.value] * len(rows)
        evaluator = self if len(rows) == self.n else self.subset(rows)
        value = evaluator.evaluate(node)
        if _rowwise(value):
            return [_unwrap(v) for v in value]
        return [_unwrap(value)] * len(rows)

    def branch(self, node: Node | None, absent: Any) -> Any:
        """The value of an IF/IFERROR/CHOOSE branch for every row (see ``on_rows``)."""
        if node is None:
            return absent
        value = self.evaluate(node)
        if value is MISSING:
            return 0.0
        if _rowwise(value):
            return Vec(_unwrap(v) for v in value)
        return _unwrap(value)

    def evaluate(self, node: Node) -> Any:
        """The value of ``node``: scalar, array, ``Vec`` or ``PerRow``."""
        kind = type(node)
        if kind is Ref:
            return self.reference(node)
        if kind is Lit:
            return node.value
        if kind is BinOp:
            a, b = self.evaluate(node.left), self.evaluate(node.right)
            if _rowwise(a) or _rowwise(b):
                op = node.op
                return Vec(_broadcast(op, _pick(a, k), _pick(b, k)) for k in range(self.n))
            return _broadcast(node.op, a, b)
        if kind is Call:
            return self.call(node)
        if kind is Unary:
            return self.unary(node)
        if kind is SpillRef:
            return self.spill(node)
        if kind is ArrayLit:
            return node.array
        if kind is Missing:
            return MISSING
        if kind is NameRef:
            return self.name(node)
        if kind is RangeOp:
            return self.area_values(self.areas(node))
        raise FormulaSyntaxError(f"cannot evaluate {kind.__name__}")

    def reference(self, node: Ref) -> Any:
        """A reference's value: one cell's value, or a range as an array (calculated first)."""
        sheet = self.book.sheet(node.sheet)
        if node.is_cell:
            if node.rel1:
                if self.contiguous:
                    return Vec(sheet.column(node.c1, node.r1 + self.start, self.n))
                return Vec(sheet.get(node.r1 + k, node.c1) for k in self.offsets)
            return sheet.get(node.r1, node.c1)
        if node.relative:  # the rectangle each row reads (``areas``), read row by row
            return PerRow(self.book.range_array(*area) for area in self.areas(node))
        return self.book.range_array(node.sheet, node.r1, node.c1, node.r2, node.c2)

    # --- references computed while evaluating ----------------------------------------------

    def areas(self, node: Node) -> Any:
        """The reference ``node`` stands for: an ``Area`` (or ``XlError``), or a ``Vec`` of
        them when it differs by row. Plain references, the range operator, and INDEX, OFFSET
        and INDIRECT return references; any other expression is #VALUE! here."""
        kind = type(node)
        if kind is Ref:
            if not node.relative:
                return Area(node.sheet, node.r1, node.c1, node.r2, node.c2)
            return Vec(
                Area(
                    node.sheet,
                    node.r1 + k if node.rel1 else node.r1,
                    node.c1,
                    node.r2 + k if node.rel2 else node.r2,
                    node.c2,
                )
                for k in self.offsets
            )
        if kind is RangeOp:
            left, right = self.areas(node.left), self.areas(node.right)
            if _rowwise(left) or _rowwise(right):
                return Vec(_span(_pick(left, k), _pick(right, k)) for k in range(self.n))
            return _span(left, right)
        if kind is Call and node.name == "INDEX" and node.args:
            base = self.areas(node.args[0])
            rest = [self.evaluate(a) for a in node.args[1:3]]
            if _rowwise(base) or any(_rowwise(a) for a in rest):
                return Vec(
                    _index_area(_pick(base, k), *[_pick(a, k) for a in rest]) for k in range(self.n)
                )
            return _index_area(base, *rest)
        if kind is Call and node.name == "OFFSET":
            return _offset_areas(self, node)
        if kind is Call and node.name == "INDIRECT":
            return _indirect_areas(self, node)
        return XlError(VALUE, "not a reference")

    def area_values(self, areas: Any) -> Any:
        """The cell values of ``areas`` (see ``areas``): arrays, one per row when they vary."""
        if _rowwise(areas):
            return PerRow(self.area_value(a) for a in areas)
        return self.area_value(areas)

    def area_value(self, area: Any) -> Any:
        """The values of one ``Area`` (after calculating any formula writing into it)."""
        if type(area) is not Area:
            return area
        book = self.book
        book.ensure(area.sheet, area.r1, area.c1, area.r2, area.c2, self.group)
        return book.range_array(area.sheet, area.r1, area.c1, area.r2, area.c2)

    def unary(self, node: Unary) -> Any:
        """A prefix operator (``-``, ``+``, ``@`` implicit intersection) or the ``%`` suffix."""
        value = self.evaluate(node.operand)
        if node.op == "@":
            if _rowwise(value):
                return Vec(
                    _unwrap(v) if not isinstance(v, np.ndarray) else v.flat[0] for v in value
                )
            return value.flat[0] if isinstance(value, np.ndarray) and value.size else value

        def one(v: Any) -> Any:
            if node.op == "-":
                return _scalar_op("-", 0.0, v)
            if node.op == "%":
                return _scalar_op("/", v, 100.0)
            return v

        if _rowwise(value):
            return Vec(map_cells(one, v) for v in value)
        return map_cells(one, value)

    def spill(self, node: SpillRef) -> Any:
        """``A1#``: the range a dynamic-array formula at A1 spilled into; #REF! when none."""
        ref = node.ref
        extent = self.book.spill_extent(ref.sheet, ref.r1, ref.c1)
        if extent is None:
            return XlError(REF, "no spill range there")
        return self.book.range_array(ref.sheet, ref.r1, ref.c1, *extent)

    def name(self, node: NameRef) -> Any:
        """A defined name that is not a range: #NAME? with the reason (not supported)."""
        return XlError(NAME, f"name {node.name} is not supported by the engine")

    # --- calls -----------------------------------------------------------------------------

    def call(self, node: Call) -> Any:
        """A function call: a lazy one (IF, CHOOSE, ...), a CW_ function, or the registry's
        function on the evaluated arguments (row by row where an argument is row-wise)."""
        name = node.name
        if name in _SPECIAL:
            return _SPECIAL[name](self, node)
        if custom.is_custom(name):
            return self.custom(node)
        function = _function(name)
        if not function:
            return XlError(NAME, f"unknown function {name}")
        args = [self.evaluate(a) for a in node.args]
        if name in CELL_AS_RANGE:  # SUM(A2): a referenced cell is read as a range is
            args = [
                _as_range(v) if _is_reference(a) else v
                for a, v in zip(node.args, args, strict=True)
            ]
        if function is not FUNCTIONS.get(name):
            while args and args[-1] is MISSING:
                args.pop()
        aware = name in ERROR_AWARE
        if any(_rowwise(a) for a in args):
            return Vec(
                self.invoke(function, [_pick(a, k) for a in args], aware) for k in range(self.n)
            )
        return self.invoke(function, args, aware)

    @staticmethod
    def invoke(function: Any, args: list[Any], aware: bool) -> Any:
        """Call one function on one row's arguments; errors become values."""
        if not aware:
            for arg in args:
                if type(arg) is XlError:
                    return arg
        try:
            return _unwrap(function(*args))
        except ExcelError as exc:
            return exc.error
        except RecursionError:
            raise
        except Exception as exc:  # a bug or odd input in one function: #VALUE!, not a crash
            return XlError(VALUE, f"{type(exc).__name__}: {exc}")

    def custom(self, node: Call) -> Any:
        """A CW_ function: its arguments as the add-in takes them, its result as engine values."""
        function = custom.custom_functions().get(node.name)
        if function is None:
            return XlError(NAME, f"unknown function {node.name}")
        args: list[Any] = []
        for arg in node.args:
            if type(arg) is Ref and not arg.relative:
                args.append(self.book.range_for_custom(arg))
            else:
                value = self.evaluate(arg)
                args.append(None if value is MISSING else value)
        while args and args[-1] is None:
            args.pop()

        policy_at = custom.policy_position(function)
        default = custom.current_default_policy()

        def run(values: list[Any]) -> Any:
            values = list(values)
            if default and policy_at is not None:
                values += [None] * (policy_at + 1 - len(values))
                if values[policy_at] is None or values[policy_at] == "":
                    values[policy_at] = default
            try:
                return custom.from_result(function(*(custom.to_argument(v) for v in values)))
            except RecursionError:
                raise
            except Exception as exc:
                return XlError(VALUE, f"{node.name}: {exc}")

        if any(_rowwise(a) for a in args):
            batched = self.custom_batch(node.name, function, args, run)
            if batched is not None:
                return batched
            return Vec(run([_pick(a, k) for a in args]) for k in range(self.n))
        return run(args)

    def custom_batch(self, name: str, function: Any, args: list[Any], run: Any) -> Vec | None:
        """A row-wise CW_ function down a formula column, called once with its per-row values
        stacked into columns (one call instead of one per row; ``None`` when it does not apply).

        Rows whose result is an error are recalculated on their own, so their reasons read as
        a single row's call would give them.
        """
        columns = custom.row_wise_positions(name, function)
        if not columns or self.n < 2:
            return None
        stacked: list[Any] = []
        for position, arg in enumerate(args):
            if not _rowwise(arg):
                if position in columns and isinstance(arg, np.ndarray) and arg.size != 1:
                    return None  # every row reads the whole range: not row by row
                stacked.append(arg)
                continue
            if position not in columns:
                return None
            column = np.empty((self.n, 1), dtype=object)
            for k, value in enumerate(arg):
                if isinstance(value, np.ndarray):
                    if value.size != 1:
                        return None
                    value = value.flat[0]
                column[k, 0] = value
            stacked.append(column)
        result = run(stacked)
        if not isinstance(result, np.ndarray) or result.shape != (self.n, 1):
            return None
        return Vec(
            run([_pick(a, k) for a in args]) if type(value) is XlError else value
            for k, value in enumerate(result[:, 0])
        )


# Functions that skip text and logicals in ranges but coerce them when typed in as arguments:
# a single referenced cell is a range to them (SUM(A2) of the text "7" is 0, not 7).
CELL_AS_RANGE = frozenset(
    {"SUM", "SUMSQ", "PRODUCT", "MIN", "MAX", "AVERAGE", "AVERAGEA", "MEDIAN", "COUNT"}
    | {"AND", "OR", "XOR"}
)


def _is_reference(node: Node) -> bool:
    """A reference argument: a cell, or a call that always returns a reference."""
    kind = type(node)
    return (kind is Ref and node.is_cell) or (kind is Call and node.name in ("INDIRECT", "OFFSET"))


def _as_range(value: Any) -> Any:
    """A referenced cell's value (or a column of them) as a 1 x 1 range."""
    if _rowwise(value):
        return Vec(_as_range(v) for v in value)
    if isinstance(value, np.ndarray):
        return value
    out = np.empty((1, 1), dtype=object)
    out[0, 0] = value
    return out


def _span(a: Any, b: Any) -> Any:
    """The range operator on two areas: the smallest rectangle holding both."""
    if type(a) is not Area:
        return a if type(a) is XlError else XlError(VALUE, "not a reference")
    if type(b) is not Area:
        return b if type(b) is XlError else XlError(VALUE, "not a reference")
    if a.sheet != b.sheet:
        return XlError(VALUE, "a range across two sheets")
    return Area(a.sheet, min(a.r1, b.r1), min(a.c1, b.c1), max(a.r2, b.r2), max(a.c2, b.c2))


def _index_area(base: Any, row: Any = MISSING, column: Any = MISSING) -> Any:
    """INDEX returning a reference: the cell, row or column of ``base`` chosen (0 or omitted:
    all of them), #REF! outside it."""
    if type(base) is not Area:
        return base if type(base) is XlError else XlError(VALUE, "not a reference")
    try:
        values = []
        for value in (row, column):
            value = value.flat[0] if isinstance(value, np.ndarray) and value.size else value
            values.append(0 if value is MISSING or value is None else int(to_number(value)))
    except ExcelError as exc:
        return exc.error
    r, c = values
    height, width = base.r2 - base.r1 + 1, base.c2 - base.c1 + 1
    if height == 1 and column is MISSING and r:
        r, c = 1, r
    if r < 0 or c < 0:
        return XlError(VALUE, "INDEX: a negative row or column")
    if r > height or c > width:
        return XlError(REF, "INDEX: outside the range")
    r1, r2 = (base.r1 + r - 1,) * 2 if r else (base.r1, base.r2)
    c1, c2 = (base.c1 + c - 1,) * 2 if c else (base.c1, base.c2)
    return Area(base.sheet, r1, c1, r2, c2)


def _positions(ev: Evaluator, node: Call, first: bool) -> Any:
    """ROW/COLUMN of a computed reference: its row (or column) numbers, a column (row) of
    them for a range taller (wider) than one."""
    areas = ev.areas(node.args[0])

    def numbers(area: Any) -> Any:
        if type(area) is not Area:
            return area if type(area) is XlError else XlError(VALUE)
        lo, hi = (area.r1, min(area.r2, MAX_ROW)) if first else (area.c1, min(area.c2, MAX_COL))
        if lo == hi:
            return float(lo)
        out = np.array([float(i) for i in range(lo, hi + 1)], dtype=object)
        return out.reshape(-1, 1) if first else out.reshape(1, -1)

    if _rowwise(areas):
        return Vec(numbers(a) for a in areas)
    return numbers(areas)


def _row(ev: Evaluator, node: Call) -> Any:
    if not node.args:
        return Vec(float(ev.group.r1 + k) for k in ev.offsets)
    ref = node.args[0]
    if type(ref) is not Ref:
        return _positions(ev, node, True)
    if not ref.is_cell:
        return _positions(ev, node, True)
    if ref.rel1:
        return Vec(float(ref.r1 + k) for k in ev.offsets)
    return float(ref.r1)


def _column(ev: Evaluator, node: Call) -> Any:
    if not node.args:
        return float(ev.group.col)
    ref = node.args[0]
    if type(ref) is not Ref or ref.c1 != ref.c2:
        return _positions(ev, node, False)
    return float(ref.c1)


def _if(ev: Evaluator, node: Call) -> Any:
    """IF, evaluating only the branch each row takes."""
    args = node.args
    if not 1 <= len(args) <= 3:
        return XlError(VALUE, "IF takes 1 to 3 arguments")
    condition = ev.evaluate(args[0])
    then = args[1] if len(args) > 1 else None
    otherwise = args[2] if len(args) > 2 else None
    if not _rowwise(condition):
        if isinstance(condition, np.ndarray) and condition.size != 1:
            return _eager(ev, "IF", [condition, ev.branch(then, True), ev.branch(otherwise, False)])
        value = condition.flat[0] if isinstance(condition, np.ndarray) else condition
        if type(value) is XlError:
            return value
        try:
            return ev.branch(then, True) if to_bool(value) else ev.branch(otherwise, False)
        except ExcelError as exc:
            return exc.error
    conditions = condition
    out: list[Any] = [None] * ev.n
    yes: list[int] = []
    no: list[int] = []
    both: list[int] = []  # an array condition: each cell chooses (Excel's array IF)
    for k, value in enumerate(conditions):
        if isinstance(value, np.ndarray):
            if value.size != 1:
                both.append(k)
                continue
            value = value.flat[0]
        if type(value) is XlError:
            out[k] = value
            continue
        try:
            (yes if to_bool(value) else no).append(k)
        except ExcelError as exc:
            out[k] = exc.error
    for k, value in zip(yes, ev.on_rows(then, yes, True), strict=True):
        out[k] = value
    for k, value in zip(no, ev.on_rows(otherwise, no, False), strict=True):
        out[k] = value
    if both:
        function = FUNCTIONS["IF"]
        thens = ev.on_rows(then, both, True)
        others = ev.on_rows(otherwise, both, False)
        for k, a, b in zip(both, thens, others, strict=True):
            out[k] = Evaluator.invoke(function, [conditions[k], a, b], True)
    return Vec(out)


def _eager(ev: Evaluator, name: str, args: list[Any]) -> Any:
    """``name`` on arguments already evaluated (row by row when any differs by row)."""
    function = FUNCTIONS[name]
    if any(_rowwise(a) for a in args):
        return Vec(
            Evaluator.invoke(function, [_pick(a, k) for a in args], True) for k in range(ev.n)
        )
    return Evaluator.invoke(function, args, True)


def _iferror(ev: Evaluator, node: Call) -> Any:
    """IFERROR, evaluating the fallback only for the rows (or array cells) in error."""
    if len(node.args) != 2:
        return XlError(VALUE, "IFERROR takes 2 arguments")
    value = ev.evaluate(node.args[0])
    if not _rowwise(value):
        if type(value) is XlError or (
            isinstance(value, np.ndarray) and any(type(c) is XlError for c in value.flat)
        ):
            return _eager(ev, "IFERROR", [value, ev.branch(node.args[1], False)])
        return _unwrap(value)
    values = value
    failing = [
        k
        for k, v in enumerate(values)
        if type(v) is XlError
        or (isinstance(v, np.ndarray) and any(type(c) is XlError for c in v.flat))
    ]
    out = [_unwrap(v) for v in values]
    for k, fallback in zip(failing, ev.on_rows(node.args[1], failing, False), strict=True):
        out[k] = Evaluator.invoke(IFERROR, [values[k], fallback], True)
    return Vec(out)


def _choose(ev: Evaluator, node: Call) -> Any:
    """CHOOSE, evaluating only the option each row picks."""
    if len(node.args) < 2:
        return XlError(VALUE, "CHOOSE takes 2 or more arguments")
    index = ev.evaluate(node.args[0])
    options = node.args[1:]
    if not _rowwise(index):
        value = index.flat[0] if isinstance(index, np.ndarray) and index.size == 1 else index
        if isinstance(value, np.ndarray):
            return XlError(VALUE, "CHOOSE: an array of indexes is not supported")
        try:
            position = int(to_number(value))
        except ExcelError as exc:
            return exc.error
        if not 1 <= position <= len(options):
            return XlError(VALUE, "CHOOSE: index outside the options")
        return ev.branch(options[position - 1], None)
    indexes = index
    out: list[Any] = [None] * ev.n
    picked: dict[int, list[int]] = {}
    for k, value in enumerate(indexes):
        if isinstance(value, np.ndarray):
            if value.size != 1:
                out[k] = XlError(VALUE, "CHOOSE: an array of indexes is not supported")
                continue
            value = value.flat[0]
        try:
            position = int(to_number(value))
        except ExcelError as exc:
            out[k] = exc.error
            continue
        if not 1 <= position <= len(options):
            out[k] = XlError(VALUE, "CHOOSE: index outside the options")
            continue
        picked.setdefault(position, []).append(k)
    for position, rows in picked.items():
        for k, value in zip(rows, ev.on_rows(options[position - 1], rows, None), strict=True):
            out[k] = value
    return Vec(out)


def _offset_areas(ev: Evaluator, node: Call) -> Any:
    """The reference OFFSET returns (see ``Evaluator.areas``)."""
    if not node.args:
        return XlError(VALUE)
    bases = ev.areas(node.args[0])
    args = [ev.evaluate(a) for a in node.args[1:5]]

    def one(base: Any, values: list[Any]) -> Any:
        if type(base) is not Area:
            return base if type(base) is XlError else XlError(VALUE, "not a reference")
        values = [v.flat[0] if isinstance(v, np.ndarray) and v.size else v for v in values]
        values += [MISSING] * (4 - len(values))
        try:
            dr, dc, h, w = (
                None if v is MISSING or (v is None and i >= 2) else int(to_number(v))
                for i, v in enumerate(values)
            )
        except ExcelError as exc:
            return exc.error
        h = base.r2 - base.r1 + 1 if h is None else h
        w = base.c2 - base.c1 + 1 if w is None else w
        r1, c1 = base.r1 + (dr or 0), base.c1 + (dc or 0)
        if r1 < 1 or c1 < 1 or h < 1 or w < 1 or r1 + h - 1 > MAX_ROW or c1 + w - 1 > MAX_COL:
            return XlError(REF, "OFFSET: outside the sheet")
        return Area(base.sheet, r1, c1, r1 + h - 1, c1 + w - 1)

    if _rowwise(bases) or any(_rowwise(a) for a in args):
        return Vec(one(_pick(bases, k), [_pick(a, k) for a in args]) for k in range(ev.n))
    return one(bases, args)


def _indirect_areas(ev: Evaluator, node: Call) -> Any:
    """The reference INDIRECT returns (A1 style text only; see ``Evaluator.areas``)."""
    if not node.args:
        return XlError(VALUE)
    texts = ev.evaluate(node.args[0])

    def one(text: Any, offset: int) -> Any:
        text = text.flat[0] if isinstance(text, np.ndarray) and text.size == 1 else text
        if type(text) is XlError:
            return text
        if not isinstance(text, str):
            return XlError(REF, "INDIRECT: not a reference")
        context = ParseContext(
            ev.group.sheet, ev.group.r1 + offset, ev.group.col, **ev.book.parse_tables()
        )
        try:
            ref = parse_formula(text, context)
        except FormulaSyntaxError:
            return XlError(REF, f"INDIRECT: {text!r} is not a reference")
        if type(ref) is not Ref:
            return XlError(REF, f"INDIRECT: {text!r} is not a reference")
        return Area(ref.sheet, ref.r1, ref.c1, ref.r2, ref.c2)

    if _rowwise(texts):
        return Vec(one(t, k) for t, k in zip(texts, ev.offsets, strict=True))
    if ev.n == 1:
        return one(texts, ev.offsets[0])
    return Vec(one(texts, k) for k in ev.offsets)


def _referenced(ev: Evaluator, areas: Any) -> Any:
    """The values of computed references, a one-cell range as its value."""
    values = ev.area_values(areas)
    if _rowwise(values):
        return Vec(_unwrap(v) for v in values)
    return _unwrap(values)


def _offset(ev: Evaluator, node: Call) -> Any:
    return _referenced(ev, _offset_areas(ev, node))


def _indirect(ev: Evaluator, node: Call) -> Any:
    return _referenced(ev, _indirect_areas(ev, node))


def _isref(ev: Evaluator, node: Call) -> Any:
    if not node.args:
        return False
    arg = node.args[0]
    if type(arg) in (Ref, SpillRef):
        return True
    if type(arg) is RangeOp or (type(arg) is Call and arg.name in ("INDEX", "OFFSET", "INDIRECT")):
        areas = ev.areas(arg)
        if _rowwise(areas):
            return Vec(type(a) is Area for a in areas)
        return type(areas) is Area
    return False


def _today(ev: Evaluator, node: Call) -> Any:
    from datetime import date

    return serial(date.today())


_SPECIAL = {
    INTERSECT_CALL: intersect,
    "ISFORMULA": isformula,
    "CELL": cell_info,
    "FORMULATEXT": formulatext,
    "IF": _if,
    "IFERROR": _iferror,
    "CHOOSE": _choose,
    "ROW": _row,
    "COLUMN": _column,
    "OFFSET": _offset,
    "INDIRECT": _indirect,
    "ISREF": _isref,
    "TODAY": _today,
}
DYNAMIC_DEPENDENCIES = {"OFFSET", "INDIRECT"}
ARRAY_FUNCTIONS = {
    "FILTER",
    "UNIQUE",
    "SORT",
    "SORTBY",
    "SEQUENCE",
    "TRANSPOSE",
    "MMULT",
    "RANDARRAY",
    "TOCOL",
    "TOROW",
    "HSTACK",
    "VSTACK",
    "TAKE",
    "DROP",
    "CHOOSECOLS",
    "CHOOSEROWS",
    "EXPAND",
    "TEXTSPLIT",
    "FREQUENCY",
    "XLOOKUP",
    "INDEX",
    "IF",
    "IFERROR",
}


def is_nan(value: Any) -> bool:
    """True for a float NaN."""
    return isinstance(value, float) and math.isnan(value)
