"""Implicit intersection: how Excel evaluates a legacy (non-dynamic-array) formula.

A formula that Excel saved as an ordinary ``<f>`` (no ``cm`` dynamic-array marker) is a legacy
formula: where it gives a range to something that takes a single value (an operator, ``LEN``,
``VLOOKUP``'s lookup value, a whole formula ``=B2:B9``), Excel takes the one cell of the range
in the formula's own row (for a column) or column (for a row): ``#VALUE!`` when there is none.
An array that is left at the end shows its top-left value; nothing spills.

``legacy_ast`` rewrites such places into ``Call(INTERSECT_CALL, [ref])``, which the evaluator
(``intersect``) resolves row by row. The explicit ``@`` operator does the same in any formula.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from addin.engine.parser import BinOp, Call, Node, Ref, Unary
from addin.engine.values import VALUE, XlError

if TYPE_CHECKING:
    from addin.engine.evaluator import Evaluator

INTERSECT_CALL = "@INTERSECT"

# Functions (besides the cell-by-cell ones) whose arguments keep the context they are in:
PASS_THROUGH = {"IF", "IFS", "IFERROR", "IFNA", "CHOOSE", "SWITCH", "NOT"}
# Functions taking ranges, and which of their arguments are single values (0-based):
SCALAR_ARGUMENTS: dict[str, set[int]] = {
    "VLOOKUP": {0, 2, 3},
    "HLOOKUP": {0, 2, 3},
    "LOOKUP": {0},
    "MATCH": {0, 2},
    "XMATCH": {0, 2, 3},
    "XLOOKUP": {0, 4, 5},
    "INDEX": {1, 2, 3},
    "OFFSET": {1, 2, 3, 4},
    "SUMIF": {1},
    "COUNTIF": {1},
    "AVERAGEIF": {1},
    "LARGE": {1},
    "SMALL": {1},
    "PERCENTILE": {1},
    "QUARTILE": {1},
    "RANK": {0, 2},
}
CRITERIA_FROM = {"COUNTIFS": 1, "SUMIFS": 2, "AVERAGEIFS": 2, "MAXIFS": 2, "MINIFS": 2}
# Functions of the ``formulas`` registry that take ranges, and functions of a reference (every
# other function not the engine's own is taken to take single values).
ARRAY_ARGUMENTS = {
    "AVERAGEA", "AVEDEV", "CORREL", "COVAR", "COVARIANCE.P", "COVARIANCE.S", "DEVSQ",
    "FORECAST", "FORECAST.LINEAR", "FREQUENCY", "GEOMEAN", "GROWTH", "HARMEAN", "INTERCEPT",
    "IRR", "KURT", "LINEST", "LOGEST", "MAXA", "MDETERM", "MINA", "MINVERSE", "MIRR", "MMULT",
    "MODE", "MODE.SNGL", "MODE.MULT", "NPV", "PEARSON", "PERCENTILE.INC", "PERCENTILE.EXC",
    "QUARTILE.INC", "QUARTILE.EXC", "RANK.EQ", "RANK.AVG", "RSQ", "SKEW", "SLOPE", "STDEV",
    "STDEV.S", "STDEV.P", "STDEVA", "STDEVP", "STDEVPA", "STEYX", "SUMSQ", "SUMX2MY2",
    "SUMX2PY2", "SUMXMY2", "TREND", "TRIMMEAN", "VAR", "VAR.S", "VAR.P", "VARA", "VARP",
    "VARPA", "XIRR", "XNPV", "SUBTOTAL", "AGGREGATE", "AREAS", "CELL", "GCD", "LCM",
    "FORMULATEXT", "ISFORMULA", "PROB", "FVSCHEDULE", "MULTINOMIAL", "SERIESSUM",
    "TRANSPOSE", "ARRAYTOTEXT", "TOCOL", "TOROW", "DSUM", "DCOUNT", "DCOUNTA", "DAVERAGE",
    "DMAX", "DMIN", "DGET", "DPRODUCT", "DSTDEV", "DSTDEVP", "DVAR", "DVARP",
    # functions of a reference itself, not of its values
    "ROW", "COLUMN", "ISREF", "INDIRECT",
}  # fmt: skip


def _scalar_positions(name: str, count: int, own: bool, elementwise: set[str]) -> set[int]:
    """Which of a call's ``count`` arguments are in a single-value context."""
    if name in elementwise or name in PASS_THROUGH:
        return set(range(count))
    if name in SCALAR_ARGUMENTS:
        return SCALAR_ARGUMENTS[name]
    if name in CRITERIA_FROM:
        first = CRITERIA_FROM[name]
        return set(range(first, count, 2))
    if own or name in ARRAY_ARGUMENTS or name.startswith("CW_"):
        return set()
    return set(range(count))


def legacy_ast(node: Node, functions: dict[str, Any], elementwise: set[str]) -> Node:
    """``node`` with every range in a single-value context intersected (new nodes where that
    changes anything; the parse cache's nodes are never modified)."""

    def visit(node: Node, scalar: bool) -> Node:
        kind = type(node)
        if kind is Ref:
            return Call(INTERSECT_CALL, [node]) if scalar and not node.is_cell else node
        if kind is BinOp:
            left, right = visit(node.left, scalar), visit(node.right, scalar)
            if left is node.left and right is node.right:
                return node
            return BinOp(node.op, left, right)
        if kind is Unary:
            operand = visit(node.operand, scalar or node.op == "@")
            return node if operand is node.operand else Unary(node.op, operand)
        if kind is Call:
            if node.name == INTERSECT_CALL:
                return node
            positions = _scalar_positions(
                node.name, len(node.args), node.name in functions, elementwise
            )
            args = [visit(arg, scalar and i in positions) for i, arg in enumerate(node.args)]
            if all(a is b for a, b in zip(args, node.args, strict=True)):
                return node
            return Call(node.name, args)
        return node

    return visit(node, True)


def explicit_ast(node: Node) -> Node:
    """``node`` with the ranges under an explicit ``@`` intersected."""

    def visit(node: Node) -> Node:
        kind = type(node)
        if kind is Unary:
            if node.op == "@" and type(node.operand) is Ref and not node.operand.is_cell:
                return Call(INTERSECT_CALL, [node.operand])
            operand = visit(node.operand)
            return node if operand is node.operand else Unary(node.op, operand)
        if kind is BinOp:
            left, right = visit(node.left), visit(node.right)
            if left is node.left and right is node.right:
                return node
            return BinOp(node.op, left, right)
        if kind is Call:
            args = [visit(arg) for arg in node.args]
            if all(a is b for a, b in zip(args, node.args, strict=True)):
                return node
            return Call(node.name, args)
        return node

    return visit(node)


def intersect(ev: Evaluator, node: Call) -> Any:
    """The cell of ``node.args[0]`` (a range) in each row's own row/column, ``#VALUE!`` when
    the range does not cross it (a one-row or one-column range is crossed along its length)."""
    from addin.engine.evaluator import Vec

    ref = node.args[0]
    group = ev.group
    sheet = ev.book.sheet(ref.sheet)
    out = []
    for k in ev.offsets:
        r1 = ref.r1 + (k if ref.rel1 else 0)
        r2 = ref.r2 + (k if ref.rel2 else 0)
        row, col = group.r1 + k, group.col
        if r1 == r2:
            r = r1
        elif r1 <= row <= r2:
            r = row
        else:
            out.append(XlError(VALUE, "the range does not cross the formula's row"))
            continue
        if ref.c1 == ref.c2:
            c = ref.c1
        elif ref.c1 <= col <= ref.c2:
            c = col
        else:
            out.append(XlError(VALUE, "the range does not cross the formula's column"))
            continue
        out.append(sheet.get(r, c))
    return Vec(out)
