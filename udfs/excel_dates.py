"""Excel's date serial numbers, in one place: 1 is 1 January 1900, and Excel counts a
29 February 1900 that never was (serial 60), so serials below 61 are one day early.

Used by the ``CW_`` functions (a date typed as a number), the headless engine and the template
builder (cached values).
"""

from __future__ import annotations

from datetime import date, datetime, timedelta

EXCEL_EPOCH = datetime(1899, 12, 30)
"""Serial 0 for every day from 1 March 1900 on."""
LEAP_BUG_END = 61
"""Serials below this are one day early (Excel's 29 February 1900 is serial 60)."""
LAST_SERIAL = 2958465
"""31 December 9999, the last day Excel has."""


def serial(day: date | datetime) -> float:
    """The Excel serial number of a date or datetime (the time as a fraction of a day)."""
    if not isinstance(day, datetime):
        day = datetime(day.year, day.month, day.day)
    number = (day - EXCEL_EPOCH) / timedelta(days=1)
    return number - 1 if number < LEAP_BUG_END else number


def from_serial(number: float) -> datetime:
    """The datetime of an Excel serial number; serial 60 (Excel's 29 February 1900) reads as
    1 March 1900. A negative serial is not a date: ``ValueError``."""
    if number < 0:
        raise ValueError(f"{number:g} is not a date serial")
    return EXCEL_EPOCH + timedelta(days=number + 1 if number < LEAP_BUG_END else number)
