"""Evaluating a parsed formula for a whole run of rows at once.

A formula column (the same formula, shifted row by row) is evaluated in one pass: a relative
cell reference becomes a ``Vec`` (one value per row, sliced straight from the column), an
absolute range is one shared array, and operators and functions work through the rows in
tight loops. Lookup and criteria indexes are built once per shared range (``criteria``), so a
column of SUMIFS or XLOOKUP costs about as much as one pass over the data.
"""

from __future__ import annotations

import math
from typing import TYPE_CHECKING, Any

import numpy as np

from addin.engine import custom
from addin.engine.fallback import registry_function
from addin.engine.functions import ERROR_AWARE, FUNCTIONS, MISSING, power_of, serial
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
    to_number,
    to_text,
)

if TYPE_CHECKING:
    from addin.engine.workbook import Group, Workbook


class Vec(list):
    """One scalar per row of the run being evaluated."""


class PerRow(list):
    """One array per row (a range whose rows move with the formula)."""


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
    """Evaluates AST nodes of one group for rows ``start .. start + n - 1`` of the group."""

    def __init__(self, book: Workbook, group: Group, start: int, n: int) -> None:
        self.book, self.group, self.start, self.n = book, group, start, n

    def row_of(self, node: Ref, first: bool) -> int:
        """The absolute row of a reference's first/last row for the run's first row."""
        row = node.r1 if first else node.r2
        relative = node.rel1 if first else node.rel2
        return row + self.start if relative else row

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
        raise FormulaSyntaxError(f"cannot evaluate {kind.__name__}")

    def reference(self, node: Ref) -> Any:
        sheet = self.book.sheet(node.sheet)
        if node.is_cell:
            if node.rel1:
                return Vec(sheet.column(node.c1, node.r1 + self.start, self.n))
            return sheet.get(node.r1, node.c1)
        if node.relative:
            return PerRow(
                self.book.range_array(
                    node.sheet,
                    node.r1 + self.start + k if node.rel1 else node.r1,
                    node.c1,
                    node.r2 + self.start + k if node.rel2 else node.r2,
                    node.c2,
                )
                for k in range(self.n)
            )
        return self.book.range_array(node.sheet, node.r1, node.c1, node.r2, node.c2)

    def unary(self, node: Unary) -> Any:
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
        ref = node.ref
        extent = self.book.spill_extent(ref.sheet, ref.r1, ref.c1)
        if extent is None:
            return XlError(REF, "no spill range there")
        return self.book.range_array(ref.sheet, ref.r1, ref.c1, *extent)

    def name(self, node: NameRef) -> Any:
        return XlError(NAME, f"name {node.name} is not supported by the engine")

    # --- calls -----------------------------------------------------------------------------

    def call(self, node: Call) -> Any:
        name = node.name
        if name in _SPECIAL:
            return _SPECIAL[name](self, node)
        if custom.is_custom(name):
            return self.custom(node)
        function = _function(name)
        if not function:
            return XlError(NAME, f"unknown function {name}")
        args = [self.evaluate(a) for a in node.args]
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


def _row(ev: Evaluator, node: Call) -> Any:
    if not node.args:
        return Vec(float(ev.group.r1 + ev.start + k) for k in range(ev.n))
    ref = node.args[0]
    if type(ref) is not Ref:
        return XlError(VALUE)
    if ref.rel1:
        return Vec(float(ref.r1 + ev.start + k) for k in range(ev.n))
    return float(ref.r1)


def _column(ev: Evaluator, node: Call) -> Any:
    if not node.args:
        return float(ev.group.col)
    ref = node.args[0]
    return float(ref.c1) if type(ref) is Ref else XlError(VALUE)


def _offset(ev: Evaluator, node: Call) -> Any:
    base = node.args[0] if node.args else None
    if type(base) is not Ref:
        return XlError(VALUE)
    args = [ev.evaluate(a) for a in node.args[1:]]
    out = []
    for k in range(ev.n):
        values = [_pick(a, k) for a in args]
        try:
            dr = int(to_number(values[0])) if values and values[0] is not MISSING else 0
            dc = int(to_number(values[1])) if len(values) > 1 and values[1] is not MISSING else 0
            h = base.r2 - base.r1 + 1
            w = base.c2 - base.c1 + 1
            if len(values) > 2 and values[2] is not MISSING:
                h = int(to_number(values[2]))
            if len(values) > 3 and values[3] is not MISSING:
                w = int(to_number(values[3]))
        except ExcelError as exc:
            out.append(exc.error)
            continue
        r1 = (base.r1 + ev.start + k if base.rel1 else base.r1) + dr
        c1 = base.c1 + dc
        if r1 < 1 or c1 < 1 or h < 1 or w < 1:
            out.append(XlError(REF))
            continue
        ev.book.ensure(base.sheet, r1, c1, r1 + h - 1, c1 + w - 1, ev.group)
        out.append(_unwrap(ev.book.range_array(base.sheet, r1, c1, r1 + h - 1, c1 + w - 1)))
    return Vec(out) if ev.n > 1 else out[0]


def _indirect(ev: Evaluator, node: Call) -> Any:
    args = [ev.evaluate(a) for a in node.args]
    out = []
    for k in range(ev.n):
        text = _pick(args[0], k) if args else None
        if not isinstance(text, str):
            out.append(XlError(REF))
            continue
        context = ParseContext(
            ev.group.sheet, ev.group.r1 + ev.start + k, ev.group.col, **ev.book.parse_tables()
        )
        try:
            ref = parse_formula(text, context)
        except FormulaSyntaxError:
            out.append(XlError(REF))
            continue
        if type(ref) is not Ref:
            out.append(XlError(REF))
            continue
        ev.book.ensure(ref.sheet, ref.r1, ref.c1, ref.r2, ref.c2, ev.group)
        inner = Evaluator(ev.book, ev.group, 0, 1)
        value = inner.reference(Ref(ref.sheet, ref.r1, ref.c1, ref.r2, ref.c2, False, False))
        out.append(_unwrap(value))
    return Vec(out) if ev.n > 1 else out[0]


def _isref(ev: Evaluator, node: Call) -> Any:
    return bool(node.args) and type(node.args[0]) in (Ref, SpillRef)


def _today(ev: Evaluator, node: Call) -> Any:
    from datetime import date

    return serial(date.today())


_SPECIAL = {
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
