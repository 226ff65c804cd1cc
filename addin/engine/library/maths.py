"""Maths functions the engine implements itself: ROUND, ROUNDUP, ROUNDDOWN, INT, ABS, MOD,
SQRT, POWER, SUMSQ, AVERAGEA, TRUNC (``formulas`` hangs on a huge
``digits``), QUOTIENT, GCD, LCM and the FLOOR/CEILING family (Excel's sign rules, and
multiples of a decimal significance computed as Excel does: ``FLOOR(7.1,0.1)`` is 71 × 0.1).
The FLOOR/CEILING family is ``error_aware``: arguments are read in order, so a number that is
not one is #VALUE! even when the significance is an error, as in Excel."""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from addin.engine.functions import MISSING, numeric_args, register
from addin.engine.values import DIV0, NUM, VALUE, ExcelError, XlError, to_number


@register("TRUNC", elementwise=True)
def TRUNC(number: Any, digits: Any = MISSING) -> float:
    """``number`` cut to ``digits`` decimals (towards zero)."""
    value = to_number(number)
    places = 0 if digits is MISSING else math.trunc(to_number(digits))
    if places > 15 or not math.isfinite(value):
        return value
    if places < -308:
        return 0.0
    factor = 10.0**places
    result = math.floor(round(abs(value) * factor, 9)) / factor
    return math.copysign(result, value) if result else 0.0


@register("QUOTIENT", elementwise=True)
def QUOTIENT(numerator: Any, denominator: Any) -> float:
    """The whole part of ``numerator / denominator`` (towards zero)."""
    top, bottom = to_number(numerator), to_number(denominator)
    if bottom == 0:
        raise ExcelError(DIV0)
    return float(math.trunc(top / bottom))


def _whole_numbers(args: tuple[Any, ...]) -> list[int]:
    """GCD/LCM's arguments: blank cells skipped, text that reads as a number coerced, other
    text #VALUE!, a negative number #NUM!; none at all #VALUE!."""
    out: list[int] = []
    for arg in args:
        if arg is MISSING:
            continue
        for cell in arg.ravel() if isinstance(arg, np.ndarray) else (arg,):
            if cell is None:
                continue
            if type(cell) is XlError:
                raise ExcelError(cell)
            if isinstance(cell, bool):
                raise ExcelError(VALUE, "a logical is not a number here")
            number = to_number(cell)
            if number < 0 or number >= 2**53:
                raise ExcelError(NUM, "GCD and LCM take numbers from 0 to 2^53")
            out.append(math.trunc(number))
    if not out:
        raise ExcelError(VALUE, "no numbers")
    return out


@register("GCD")
def GCD(*args: Any) -> float:
    """The greatest common divisor of whole numbers."""
    return float(math.gcd(*_whole_numbers(args)))


@register("LCM")
def LCM(*args: Any) -> float:
    """The least common multiple of whole numbers (0 if one is 0)."""
    return float(math.lcm(*_whole_numbers(args)))


def _multiple(number: float, significance: float, up: bool) -> float:
    """``number`` rounded to a multiple of ``significance`` (non-zero): up (towards +inf) or
    down; a quotient within a relative 1e-12 of a whole number counts as that number."""
    quotient = number / significance
    if not math.isfinite(quotient):
        raise ExcelError(NUM, "too many multiples of the significance")
    nearest = round(quotient)
    if abs(quotient - nearest) <= 1e-12 * abs(quotient):
        quotient = nearest
    whole = math.ceil(quotient) if up else math.floor(quotient)
    return whole * significance if whole else 0.0


def _optional(value: Any, default: float) -> float:
    return default if value is MISSING else to_number(value)  # a blank cell is 0


@register("FLOOR", elementwise=True, error_aware=True)
def FLOOR(number: Any, significance: Any) -> float:
    """Down to a multiple of ``significance`` (a negative number with a negative one: towards
    zero); #NUM! for a positive number and a negative significance, #DIV/0! for 0."""
    n, s = to_number(number), to_number(significance)
    if n > 0 and s < 0:
        raise ExcelError(NUM, "FLOOR of a positive number by a negative significance")
    if s == 0:
        if n == 0:
            return 0.0
        raise ExcelError(DIV0)
    return _multiple(n, s, False)


@register("CEILING", elementwise=True, error_aware=True)
def CEILING(number: Any, significance: Any) -> float:
    """Up to a multiple of ``significance`` (a negative number with a negative one: away from
    zero); #NUM! for a positive number and a negative significance; 0 for 0."""
    n, s = to_number(number), to_number(significance)
    if n > 0 and s < 0:
        raise ExcelError(NUM, "CEILING of a positive number by a negative significance")
    if s == 0:
        return 0.0
    return _multiple(n, s, True)


@register("FLOOR.PRECISE", elementwise=True, error_aware=True)
def FLOOR_PRECISE(number: Any, significance: Any = MISSING) -> float:
    """Down (towards -inf) to a multiple of ``|significance|`` (default 1)."""
    n, s = to_number(number), abs(_optional(significance, 1.0))
    return _multiple(n, s, False) if s else 0.0


@register("CEILING.PRECISE", elementwise=True, error_aware=True)
def CEILING_PRECISE(number: Any, significance: Any = MISSING) -> float:
    """Up (towards +inf) to a multiple of ``|significance|`` (default 1)."""
    n, s = to_number(number), abs(_optional(significance, 1.0))
    return _multiple(n, s, True) if s else 0.0


register("ISO.CEILING", elementwise=True, error_aware=True)(CEILING_PRECISE)


@register("FLOOR.MATH", elementwise=True, error_aware=True)
def FLOOR_MATH(number: Any, significance: Any = MISSING, mode: Any = MISSING) -> float:
    """Down to a multiple of ``|significance|``; a negative number with a non-zero ``mode``
    goes towards zero instead."""
    n, s, m = to_number(number), abs(_optional(significance, 1.0)), _optional(mode, 0.0)
    toward_zero = n < 0 and m != 0
    return _multiple(n, s, toward_zero) if s else 0.0


@register("CEILING.MATH", elementwise=True, error_aware=True)
def CEILING_MATH(number: Any, significance: Any = MISSING, mode: Any = MISSING) -> float:
    """Up to a multiple of ``|significance|``; a negative number with a non-zero ``mode``
    goes away from zero instead."""
    n, s, m = to_number(number), abs(_optional(significance, 1.0)), _optional(mode, 0.0)
    away = n < 0 and m != 0
    return _multiple(n, s, not away) if s else 0.0


@register("AVERAGEA")
def AVERAGEA(*args: Any) -> float:
    """The mean counting logicals (TRUE 1, FALSE 0) and text (0) in ranges, blank cells
    skipped; typed-in arguments are coerced (text that is not a number: #VALUE!)."""
    total, count = 0.0, 0
    for arg in args:
        if arg is MISSING:
            continue
        if isinstance(arg, np.ndarray):
            for cell in arg.ravel():
                if cell is None:
                    continue
                if type(cell) is XlError:
                    raise ExcelError(cell)
                total += cell if type(cell) is float else float(cell is True)
                count += 1
        else:
            if type(arg) is XlError:
                raise ExcelError(arg)
            total += to_number(arg)
            count += 1
    if not count:
        raise ExcelError(DIV0)
    return total / count


@register("SUMSQ")
def SUMSQ(*args: Any) -> float:
    """The sum of the squares (text, logicals and blanks in ranges skipped)."""
    return math.fsum(x * x for x in numeric_args(args))


def _round(number: float, digits: float, mode: str) -> float:
    factor = 10.0 ** int(digits)
    scaled = abs(number) * factor
    scaled = round(scaled, 9)  # absorb binary noise (2.675 -> 267.49999999999997)
    if mode == "half":
        result = math.floor(scaled + 0.5)
    elif mode == "up":
        result = math.ceil(scaled)
    else:
        result = math.floor(scaled)
    return math.copysign(result / factor, number) if result else 0.0


@register("ROUND", elementwise=True)
def ROUND(number: Any, digits: Any = 0.0) -> float:
    """Excel's ROUND: half away from zero to ``digits`` (truncated) places, after absorbing binary
    noise (2.675 rounds to 2.68)."""
    return _round(to_number(number), to_number(digits), "half")


@register("ROUNDUP", elementwise=True)
def ROUNDUP(number: Any, digits: Any = 0.0) -> float:
    """Excel's ROUNDUP: away from zero to ``digits`` (truncated) places."""
    return _round(to_number(number), to_number(digits), "up")


@register("ROUNDDOWN", elementwise=True)
def ROUNDDOWN(number: Any, digits: Any = 0.0) -> float:
    """Excel's ROUNDDOWN: towards zero to ``digits`` (truncated) places."""
    return _round(to_number(number), to_number(digits), "down")


@register("INT", elementwise=True)
def INT(number: Any) -> float:
    """Excel's INT: rounded down, towards minus infinity (INT(-1.5) is -2)."""
    return float(math.floor(to_number(number)))


@register("ABS", elementwise=True)
def ABS(number: Any) -> float:
    """Excel's ABS."""
    return abs(to_number(number))


@register("MOD", elementwise=True)
def MOD(number: Any, divisor: Any) -> float:
    """Excel's MOD: the remainder with the divisor's sign; #DIV/0! for a divisor of 0."""
    d = to_number(divisor)
    if d == 0:
        raise ExcelError(DIV0)
    n = to_number(number)
    return n - d * math.floor(n / d)


@register("SQRT", elementwise=True)
def SQRT(number: Any) -> float:
    """Excel's SQRT; #NUM! for a negative number."""
    n = to_number(number)
    if n < 0:
        raise ExcelError(NUM)
    return math.sqrt(n)


@register("POWER", elementwise=True)
def POWER(number: Any, power: Any) -> float:
    """Excel's POWER (``power_of``): #DIV/0! for 0 to a negative power, #NUM! for a complex or
    overflowing result."""
    return power_of(to_number(number), to_number(power))


def power_of(base: float, exponent: float) -> float:
    """``base ^ exponent`` with Excel's errors."""
    if base == 0 and exponent < 0:
        raise ExcelError(DIV0)
    try:
        result = base**exponent
    except (OverflowError, ZeroDivisionError) as exc:
        raise ExcelError(NUM) from exc
    if isinstance(result, complex) or math.isinf(result):
        raise ExcelError(NUM)
    return result
