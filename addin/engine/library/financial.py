"""Financial functions the engine implements itself: MIRR, PMT, PV, FV and NPER (Excel's
errors: a rate of -100% or less, any non-zero ``type``), and ACCRINT (``formulas`` counts the odd
first period wrongly). Accrued interest is summed over the quasi-coupon periods that the
accrual crosses, each day count divided by the period's normal length, with the departures
from that documented rule that Excel's own results show (in ``ACCRINT``)."""

from __future__ import annotations

import calendar
import math
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import date
from typing import Any

from addin.engine.functions import MISSING, register
from addin.engine.library.dates import date_number, from_serial
from addin.engine.values import DIV0, NUM, VALUE, ExcelError, XlError, as_array, to_bool, to_number


def _month_end(day: date) -> bool:
    return day.day == calendar.monthrange(day.year, day.month)[1]


def _add_months(day: date, months: int, end_of_month: bool) -> date:
    """``day`` moved by ``months`` (the last day of the month when ``end_of_month``)."""
    index = day.year * 12 + day.month - 1 + months
    year, month = divmod(index, 12)
    last = calendar.monthrange(year, month + 1)[1]
    return date(year, month + 1, last if end_of_month else min(day.day, last))


def _days(start: date, end: date, basis: int, to_period_end: bool = False) -> float:
    """Days from ``start`` to ``end`` under a day-count basis (0 US 30/360, 4 European
    30/360, otherwise actual days). ``to_period_end``: under US 30/360 an end on the 31st
    counts as the 30th whatever the start (Excel's ACCRINT, settlement to coupon date)."""
    if basis in (0, 4):
        d1, d2 = start.day, end.day
        if basis == 0:
            if start.month == 2 and _month_end(start):
                if end.month == 2 and _month_end(end):
                    d2 = 30
                d1 = 30
            if d2 == 31 and (d1 >= 30 or to_period_end):
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
    """Interest accrued on a security paying periodic interest, from ``issue`` to
    ``settlement``, counted over quasi-coupon periods as Excel counts it (see below)."""
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
    # Excel's rule, read from its results: the quasi-coupon periods run back from an anchor,
    # the first interest date or, when settlement is later, the first coupon date on or after
    # settlement. Each period adds its days over its normal length, except that whole periods
    # before the anchor's period count 1 (with calc_method FALSE: periods ending before the
    # first interest date count 0, later ones their days); then the days from settlement to
    # the anchor are taken off. Under Actual/actual the normal length of a period after the
    # first interest date is that of the period ending at it.
    anchor, k = first, 0
    while anchor < end:
        k += 1
        anchor = _add_months(first, step * k, end_of_month)
    dates = [anchor]
    while dates[0] > start:
        dates.insert(0, _add_months(first, step * (k - len(dates)), end_of_month))
    first_length = None
    total = 0.0
    for left, right in zip(dates, dates[1:], strict=False):
        if right == first:
            first_length = _period_length(left, right, day_basis, per_year)
        if day_basis == 1 and right > first and first_length is not None:
            length = first_length
        else:
            length = _period_length(left, right, day_basis, per_year)
        if right == anchor:
            last_length = length
            total += _days(max(left, start), right, day_basis, True) / length
        elif left < start:
            total += _days(start, right, day_basis) / length
        elif from_issue:
            total += 1.0
        elif right >= first:
            total += _days(left, right, day_basis, True) / length
    total -= _days(end, anchor, day_basis, to_period_end=True) / last_length
    return face * yearly / per_year * total


@register("MIRR")
def MIRR(values: Any, finance_rate: Any, reinvest_rate: Any) -> float:
    """The modified internal rate of return of cash flows at regular periods: the payments
    (negative) discounted at ``finance_rate``, the receipts compounded at ``reinvest_rate``.
    Blank cells and text in ranges are skipped; no receipts give -1, no payments #DIV/0!."""
    flows: list[float] = []
    for cell in as_array(values).ravel():
        if type(cell) is XlError:
            raise ExcelError(cell)
        if type(cell) is float:
            flows.append(cell)
    finance, reinvest = to_number(finance_rate), to_number(reinvest_rate)
    n = len(flows)
    if not any(v < 0 for v in flows) or n < 2:
        raise ExcelError(DIV0, "MIRR needs a payment and a receipt")
    received = math.fsum(v * (1 + reinvest) ** (n - 1 - i) for i, v in enumerate(flows) if v > 0)
    try:
        paid = math.fsum(v / (1 + finance) ** i for i, v in enumerate(flows) if v < 0)
    except ZeroDivisionError as exc:
        raise ExcelError(DIV0) from exc
    ratio = received / -paid
    if ratio < 0:
        raise ExcelError(NUM, "MIRR has no real root")
    return ratio ** (1.0 / (n - 1)) - 1.0


def _annuity_args(rate: Any, type_: Any) -> tuple[float, float]:
    """(rate, 1 for payments at the start of each period): a rate of -100% or less is #NUM!;
    any non-zero ``type`` means the start, as in Excel."""
    r = to_number(rate)
    if r <= -1:
        raise ExcelError(NUM, "the rate must be more than -100%")
    due = 0.0 if type_ is MISSING or type_ is None or to_number(type_) == 0 else 1.0
    return r, due


def _optional_number(value: Any) -> float:
    return 0.0 if value is MISSING or value is None else to_number(value)


@contextmanager
def _overflow_is_num() -> Iterator[None]:
    """An overflow or a division by zero inside the block is #NUM!, as Excel gives it."""
    try:
        yield
    except (OverflowError, ZeroDivisionError) as exc:
        raise ExcelError(NUM, str(exc)) from exc


def _finite(value: float) -> float:
    if not math.isfinite(value):
        raise ExcelError(NUM, "the result is too large")
    return value


@register("PMT", elementwise=True)
def PMT(rate: Any, nper: Any, pv: Any, fv: Any = MISSING, type_: Any = MISSING) -> float:
    """The payment per period of an annuity."""
    r, due = _annuity_args(rate, type_)
    n, present, future = to_number(nper), to_number(pv), _optional_number(fv)
    if n == 0:
        raise ExcelError(NUM, "PMT needs a number of periods")
    if r == 0:
        return -(present + future) / n
    with _overflow_is_num():
        growth = (1 + r) ** n
        return _finite(-r * (present * growth + future) / ((1 + r * due) * (growth - 1)))


@register("PV", elementwise=True)
def PV(rate: Any, nper: Any, pmt: Any, fv: Any = MISSING, type_: Any = MISSING) -> float:
    """The present value of an annuity."""
    r, due = _annuity_args(rate, type_)
    n, payment, future = to_number(nper), to_number(pmt), _optional_number(fv)
    if r == 0:
        return -(future + payment * n)
    with _overflow_is_num():
        growth = (1 + r) ** n
        return _finite(-(future + payment * (1 + r * due) * (growth - 1) / r) / growth)


@register("FV", elementwise=True)
def FV(rate: Any, nper: Any, pmt: Any, pv: Any = MISSING, type_: Any = MISSING) -> float:
    """The future value of an annuity."""
    r, due = _annuity_args(rate, type_)
    n, payment, present = to_number(nper), to_number(pmt), _optional_number(pv)
    if r == 0:
        return -(present + payment * n)
    with _overflow_is_num():
        growth = (1 + r) ** n
        return _finite(-(present * growth + payment * (1 + r * due) * (growth - 1) / r))


@register("NPER", elementwise=True)
def NPER(rate: Any, pmt: Any, pv: Any, fv: Any = MISSING, type_: Any = MISSING) -> float:
    """The number of periods of an annuity."""
    r, due = _annuity_args(rate, type_)
    payment, present, future = to_number(pmt), to_number(pv), _optional_number(fv)
    if r == 0:
        if payment == 0:
            raise ExcelError(NUM, "NPER of no payment at no interest")
        return -(present + future) / payment
    start = payment * (1 + r * due)
    try:
        ratio = (start - future * r) / (start + present * r)
        return math.log(ratio) / math.log1p(r)
    except (ValueError, ZeroDivisionError) as exc:
        raise ExcelError(NUM, "NPER has no solution") from exc
