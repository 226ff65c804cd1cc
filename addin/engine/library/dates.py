"""Date functions the engine implements itself: TODAY, NOW, DATE, YEAR, MONTH, DAY, DATEDIF and
EDATE. Serial numbers are ``udfs.excel_dates``' (the one copy of Excel's date rules); a serial
that is not a date is #NUM! here."""

from __future__ import annotations

import math
import re
from datetime import date, datetime, timedelta
from typing import Any

from addin.engine.functions import register
from addin.engine.values import NUM, VALUE, ExcelError, parse_number_text, to_number, to_text
from udfs import excel_dates
from udfs.excel_dates import LAST_SERIAL, LEAP_BUG_END, serial

WEEKDAYS = ["Saturday", "Sunday", "Monday", "Tuesday", "Wednesday", "Thursday", "Friday"]
MONTHS = [
    "January",
    "February",
    "March",
    "April",
    "May",
    "June",
    "July",
    "August",
    "September",
    "October",
    "November",
    "December",
]


def from_serial(number: float) -> datetime:
    """The datetime of an Excel serial number (``udfs.excel_dates.from_serial``; use
    ``date_parts`` for the day Excel shows); a negative serial is #NUM!."""
    try:
        return excel_dates.from_serial(number)
    except ValueError as exc:
        raise ExcelError(NUM, str(exc)) from exc


def date_parts(number: float) -> tuple[int, int, int]:
    """(year, month, day) Excel shows for the day of a serial: 0 is 0 January 1900 and 60 is
    29 February 1900 (Excel's 1900 leap-year bug); #NUM! outside 0 .. 31 December 9999."""
    whole = math.floor(number)
    if whole < 0 or whole > LAST_SERIAL:
        raise ExcelError(NUM, f"{number:g} is not a date serial")
    if whole == 0:
        return 1900, 1, 0
    if whole == LEAP_BUG_END - 1:
        return 1900, 2, 29
    day = from_serial(whole)
    return day.year, day.month, day.day


@register("TODAY")
def TODAY() -> float:
    """Excel's TODAY: today's date (local clock) as a serial, no time."""
    return serial(date.today())


@register("NOW")
def NOW() -> float:
    """Excel's NOW: the local date and time as a serial."""
    return serial(datetime.now())


@register("DATE", elementwise=True)
def DATE(year: Any, month: Any, day: Any) -> float:
    """Excel's DATE: arguments truncated, a year below 1900 has 1900 added, months and days past
    their range roll over; #NUM! for a year outside 0 .. 9999 or a result outside 0 .. 31 December
    9999."""
    y, m, d = int(to_number(year)), int(to_number(month)), int(to_number(day))
    if not 0 <= y < 10000:
        raise ExcelError(NUM, "DATE takes years 0 to 9999")
    if y < 1900:
        y += 1900
    y, m = y + (m - 1) // 12, (m - 1) % 12 + 1
    if not 1 <= y <= 9999:
        raise ExcelError(NUM, "the date is outside 1900 to 9999")
    result = serial(date(y, m, 1)) + d - 1
    if not 0 <= result <= LAST_SERIAL:
        raise ExcelError(NUM, "the date is outside 1900 to 9999")
    return result


@register("YEAR", elementwise=True)
def YEAR(value: Any) -> float:
    """Excel's YEAR of a serial (``date_parts``: 0 is 1900, #NUM! outside 0 .. 31 December 9999);
    text is read as arithmetic reads it, so UK-style date text is #VALUE!."""
    return float(date_parts(to_number(value))[0])


@register("MONTH", elementwise=True)
def MONTH(value: Any) -> float:
    """Excel's MONTH of a serial (``date_parts``: serial 0 is month 1, 60 is February); text as in
    YEAR."""
    return float(date_parts(to_number(value))[1])


@register("DAY", elementwise=True)
def DAY(value: Any) -> float:
    """Excel's DAY of a serial (``date_parts``: serial 0 is day 0, 60 is 29 February 1900); text as
    in YEAR."""
    return float(date_parts(to_number(value))[2])


_ISO_DATE = re.compile(r"^\s*(\d{4})-(\d{1,2})-(\d{1,2})\s*$")
_DAY_FIRST = re.compile(r"^\s*(\d{1,2})[/.-](\d{1,2})[/.-](\d{2}|\d{4})\s*$")


def date_number(value: Any) -> float:
    """A date argument as a serial: numbers as they are, text as a UK reader types dates
    (``2026-01-09`` or ``09/01/2026``, both 9 January); #VALUE! for other text."""
    if isinstance(value, str):
        iso, uk = _ISO_DATE.match(value), _DAY_FIRST.match(value)
        if iso:
            y, m, d = (int(g) for g in iso.groups())
        elif uk:
            d, m, y = (int(g) for g in uk.groups())
            y += (2000 if y < 30 else 1900) if y < 100 else 0
        else:
            number = parse_number_text(value)
            if number is None:
                raise ExcelError(VALUE, f"{value!r} is not a date")
            return number
        try:
            return serial(date(y, m, d))
        except ValueError as exc:
            raise ExcelError(VALUE, f"{value!r} is not a date") from exc
    return to_number(value)


@register("DATEDIF", elementwise=True)
def DATEDIF(start: Any, end: Any, unit: Any) -> float:
    """Whole years ("Y"), months ("M") or days ("D") from ``start`` to ``end``; "MD", "YM" and
    "YD" ignore the larger units. #NUM! when ``start`` is after ``end``."""
    first, last = math.floor(date_number(start)), math.floor(date_number(end))
    if first > last:
        raise ExcelError(NUM, "DATEDIF: the start is after the end")
    kind = to_text(unit).upper()
    y1, m1, d1 = date_parts(first)
    y2, m2, d2 = date_parts(last)
    months = (y2 - y1) * 12 + (m2 - m1) - (d2 < d1)
    if kind == "D":
        return float(last - first)
    if kind == "M":
        return float(months)
    if kind == "Y":
        return float(months // 12)
    if kind == "YM":
        return float(months % 12)
    if kind == "MD":
        if d2 >= d1:
            return float(d2 - d1)
        before = date(y2, m2, 1) - timedelta(days=1)  # the month before the end's
        return float(max(before.day - d1, 0) + d2)
    if kind == "YD":
        years = months // 12
        try:
            moved = date(y1 + years, m1, d1)
        except ValueError:  # 29 February in a year without one
            moved = date(y1 + years, 3, 1)
        return float(last - serial(moved))
    raise ExcelError(NUM, f"DATEDIF: unknown unit {kind!r}")


@register("EDATE", elementwise=True)
def EDATE(start: Any, months: Any) -> float:
    """Excel's EDATE: the date ``months`` (truncated) later, the day cut to the month's last; the
    time is dropped. A negative start, or a result before 1900 or after 9999, is #NUM!."""
    day = from_serial(to_number(start))
    total = day.month - 1 + int(to_number(months))
    y, m = day.year + total // 12, total % 12 + 1
    if not 1900 <= y <= 9999:
        raise ExcelError(NUM, "EDATE's result is outside the years 1900-9999")
    last = (date(y + (m == 12), m % 12 + 1, 1) - timedelta(days=1)).day
    return serial(date(y, m, min(day.day, last)))
