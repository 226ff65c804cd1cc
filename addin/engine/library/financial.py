"""Financial functions the engine implements itself: ACCRINT (``formulas`` counts the odd
first period wrongly). Accrued interest is summed over the quasi-coupon periods that the
accrual crosses, each day count divided by the period's normal length, as Excel documents."""

from __future__ import annotations

import calendar
import math
from datetime import date
from typing import Any

from addin.engine.functions import MISSING, date_number, from_serial, register
from addin.engine.values import NUM, VALUE, ExcelError, to_bool, to_number


def _month_end(day: date) -> bool:
    return day.day == calendar.monthrange(day.year, day.month)[1]


def _add_months(day: date, months: int, end_of_month: bool) -> date:
    """``day`` moved by ``months`` (the last day of the month when ``end_of_month``)."""
    index = day.year * 12 + day.month - 1 + months
    year, month = divmod(index, 12)
    last = calendar.monthrange(year, month + 1)[1]
    return date(year, month + 1, last if end_of_month else min(day.day, last))


def _days(start: date, end: date, basis: int) -> float:
    """Days from ``start`` to ``end`` under a day-count basis (0 US 30/360, 4 European
    30/360, otherwise actual days)."""
    if basis in (0, 4):
        d1, d2 = start.day, end.day
        if basis == 0:
            if start.month == 2 and _month_end(start):
                if end.month == 2 and _month_end(end):
                    d2 = 30
                d1 = 30
            if d2 == 31 and d1 >= 30:
                d2 = 30
            if d1 == 31:
                d1 = 30
        else:
            d1, d2 = min(d1, 30), min(d2, 30)
        return float((end.year - start.year) * 360 + (end.month - start.month) * 30 + d2 - d1)
    return float((end - start).days)


def _period_length(start: date, end: date, basis: int, frequency: int) -> float:
    if basis == 1:
        return float((end - start).days)
    return (365.0 if basis == 3 else 360.0) / frequency


def _as_date(value: Any) -> date:
    return from_serial(math.trunc(date_number(value))).date()


@register("ACCRINT")
def ACCRINT(
    issue: Any,
    first_interest: Any,
    settlement: Any,
    rate: Any,
    par: Any = MISSING,
    frequency: Any = MISSING,
    basis: Any = MISSING,
    calc_method: Any = MISSING,
) -> float:
    """Interest accrued on a security paying periodic interest, from ``issue`` (with
    ``calc_method`` FALSE, from the first coupon date after issue when settlement is later)
    to ``settlement``: whole quasi-coupon periods count 1, part periods their day count over
    the period's normal length."""
    if frequency is MISSING:
        raise ExcelError(VALUE, "ACCRINT needs a frequency")
    start, first, end = _as_date(issue), _as_date(first_interest), _as_date(settlement)
    yearly = to_number(rate)
    face = 1000.0 if par is MISSING or par is None else to_number(par)
    per_year = math.trunc(to_number(frequency))
    day_basis = 0 if basis is MISSING or basis is None else math.trunc(to_number(basis))
    from_issue = True if calc_method is MISSING or calc_method is None else to_bool(calc_method)
    if yearly <= 0 or face <= 0 or per_year not in (1, 2, 4) or not 0 <= day_basis <= 4:
        raise ExcelError(NUM, "ACCRINT: rate, par, frequency or basis out of range")
    if start >= end:
        raise ExcelError(NUM, "ACCRINT: issue is not before settlement")
    step = 12 // per_year
    end_of_month = _month_end(first)
    # quasi-coupon dates around [start, end], anchored on the first interest date
    dates = [first]
    k = 0
    while dates[0] > start:
        k += 1
        dates.insert(0, _add_months(first, -step * k, end_of_month))
    k = 0
    while dates[-1] < end:
        k += 1
        dates.append(_add_months(first, step * k, end_of_month))
    if not from_issue:  # from the first coupon date after issue, when settlement is later
        later = [day for day in dates if start < day < end]
        if later:
            start = later[0]
    total = 0.0
    for left, right in zip(dates, dates[1:], strict=False):
        a, b = max(left, start), min(right, end)
        if a >= b:
            continue
        if a == left and b == right:
            total += 1.0  # a whole quasi-coupon period
        else:
            total += _days(a, b, day_basis) / _period_length(left, right, day_basis, per_year)
    return face * yearly / per_year * total
