"""Database functions (DSUM, DCOUNT, DCOUNTA, DAVERAGE, DMIN, DMAX, DPRODUCT, DGET, DSTDEV,
DSTDEVP, DVAR, DVARP): a ``database`` range with a header row, a ``field`` (header text or
1-based column number) and a ``criteria`` range (header row; the cells of one row must all
hold, any row may). A criterion is written as for COUNTIF, except that plain text matches the
text it begins with ("Dav" finds "Davolio"), as Excel's database criteria do."""

from __future__ import annotations

import math
import statistics
from collections.abc import Callable
from typing import Any

import numpy as np

from addin.engine.criteria import predicate
from addin.engine.functions import MISSING, register
from addin.engine.values import DIV0, NUM, VALUE, ExcelError, XlError, as_array, to_text

Test = Callable[[Any], bool]


def _criterion_test(criterion: Any) -> Test:
    plain_text = isinstance(criterion, str) and criterion and criterion[0] not in "<>="
    if plain_text and not any(c in criterion for c in "*?~"):
        return predicate(criterion + "*")
    return predicate(criterion)


def _column_of(headers: list[Any], field: Any) -> int:
    """The 0-based column of ``field`` in the database's header row; #VALUE! when absent."""
    if isinstance(field, bool) or type(field) is XlError:
        raise ExcelError(VALUE, "field is not a column")
    if isinstance(field, float | int):
        index = math.trunc(field)
        if 1 <= index <= len(headers):
            return index - 1
        raise ExcelError(VALUE, "field is not a column of the database")
    wanted = to_text(field).strip().casefold()
    for index, header in enumerate(headers):
        if header is not None and to_text(header).strip().casefold() == wanted:
            return index
    raise ExcelError(VALUE, "field is not a column of the database")


def _matching_records(database: Any, criteria: Any) -> list[np.ndarray]:
    """The rows of ``database`` (header row excluded) that meet ``criteria``."""
    table, rules = as_array(database), as_array(criteria)
    if table.shape[0] < 1 or rules.shape[0] < 2:
        raise ExcelError(VALUE, "a database and criteria need a header row")
    headers = [
        to_text(h).strip().casefold() if h is not None and type(h) is not XlError else None
        for h in table[0]
    ]
    alternatives: list[list[tuple[int | None, Test]]] = []
    for row in rules[1:]:
        tests: list[tuple[int | None, Test]] = []
        for label, criterion in zip(rules[0], row, strict=True):
            if criterion is None or criterion == "":
                continue
            name = to_text(label).strip().casefold() if label is not None else None
            column = headers.index(name) if name in headers else None
            tests.append((column, _criterion_test(criterion)))
        alternatives.append(tests)
    out = []
    for record in table[1:]:
        for tests in alternatives:
            if all(column is not None and test(record[column]) for column, test in tests):
                out.append(record)
                break
    return out


def _field_values(database: Any, field: Any, criteria: Any) -> list[Any]:
    table = as_array(database)
    column = _column_of(list(table[0]), field)
    return [record[column] for record in _matching_records(database, criteria)]


def _numbers(values: list[Any]) -> list[float]:
    out = []
    for value in values:
        if type(value) is XlError:
            raise ExcelError(value)
        if type(value) is float:
            out.append(value)
    return out


@register("DSUM")
def DSUM(database: Any, field: Any, criteria: Any) -> float:
    """Sum of the field's numbers in the matching records."""
    return math.fsum(_numbers(_field_values(database, field, criteria)))


@register("DCOUNT")
def DCOUNT(database: Any, field: Any, criteria: Any = MISSING) -> float:
    """How many matching records hold a number in the field (every matching record when the
    field is left out)."""
    if criteria is MISSING:
        database, field, criteria = database, None, field
    if field is None or field is MISSING:
        return float(len(_matching_records(database, criteria)))
    values = _field_values(database, field, criteria)
    return float(sum(1 for v in values if type(v) is float))


@register("DCOUNTA")
def DCOUNTA(database: Any, field: Any, criteria: Any = MISSING) -> float:
    """How many matching records hold anything in the field."""
    if criteria is MISSING:
        database, field, criteria = database, None, field
    if field is None or field is MISSING:
        return float(len(_matching_records(database, criteria)))
    values = _field_values(database, field, criteria)
    return float(sum(1 for v in values if v is not None and v != ""))


@register("DAVERAGE")
def DAVERAGE(database: Any, field: Any, criteria: Any) -> float:
    """Average of the field's numbers in the matching records."""
    numbers = _numbers(_field_values(database, field, criteria))
    if not numbers:
        raise ExcelError(DIV0)
    return math.fsum(numbers) / len(numbers)


@register("DMIN")
def DMIN(database: Any, field: Any, criteria: Any) -> float:
    """Smallest of the field's numbers in the matching records (0 if none)."""
    return min(_numbers(_field_values(database, field, criteria)), default=0.0)


@register("DMAX")
def DMAX(database: Any, field: Any, criteria: Any) -> float:
    """Largest of the field's numbers in the matching records (0 if none)."""
    return max(_numbers(_field_values(database, field, criteria)), default=0.0)


@register("DPRODUCT")
def DPRODUCT(database: Any, field: Any, criteria: Any) -> float:
    """Product of the field's numbers in the matching records (0 if none)."""
    numbers = _numbers(_field_values(database, field, criteria))
    return math.prod(numbers) if numbers else 0.0


@register("DGET")
def DGET(database: Any, field: Any, criteria: Any) -> Any:
    """The field of the one matching record: #VALUE! when none match, #NUM! when several."""
    values = _field_values(database, field, criteria)
    if not values:
        raise ExcelError(VALUE, "no record matches")
    if len(values) > 1:
        raise ExcelError(NUM, "more than one record matches")
    return values[0]


def _spread(name: str, sample: bool, root: bool) -> Callable[..., float]:
    def spread(database: Any, field: Any, criteria: Any) -> float:
        numbers = _numbers(_field_values(database, field, criteria))
        if len(numbers) < (2 if sample else 1):
            raise ExcelError(DIV0)
        value = statistics.variance(numbers) if sample else statistics.pvariance(numbers)
        return math.sqrt(value) if root else float(value)

    spread.__name__ = name
    spread.__doc__ = f"{name} of the field's numbers in the matching records."
    return spread


for _name, _sample, _root in (
    ("DVAR", True, False),
    ("DVARP", False, False),
    ("DSTDEV", True, True),
    ("DSTDEVP", False, True),
):
    register(_name)(_spread(_name, _sample, _root))
