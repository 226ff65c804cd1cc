"""Engineering functions the engine implements itself (``formulas`` gets negative numbers
with ``places`` wrong): DEC2BIN, DEC2OCT, DEC2HEX, BASE and DECIMAL."""

from __future__ import annotations

import math
from typing import Any

from addin.engine.functions import MISSING, register
from addin.engine.values import NUM, VALUE, ExcelError, to_number, to_text

DIGITS = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ"


def spell(number: int, base: int) -> str:
    """A non-negative whole number in ``base`` (2-36), upper-case digits."""
    out = ""
    while True:
        number, rest = divmod(number, base)
        out = DIGITS[rest] + out
        if not number:
            return out


def _dec2base(number: Any, places: Any, base: int, bits: int) -> str:
    """Excel's DEC2BIN/OCT/HEX: ``bits``-bit two's complement (10 digits) for negatives, where
    ``places`` is checked (1 to 10, a blank cell is 0: #NUM!) but not used; ``places`` fewer
    than the digits is #NUM!."""
    if isinstance(number, bool) or isinstance(places, bool):
        raise ExcelError(VALUE, "a logical is not a number here")
    width = None if places is MISSING else math.trunc(to_number(places))  # blank: 0
    if width is not None and not 1 <= width <= 10:
        raise ExcelError(NUM, "places must be 1 to 10")
    value = math.trunc(to_number(number))
    limit = 1 << (bits - 1)
    if not -limit <= value < limit:
        raise ExcelError(NUM, "the number is outside the range the base can show")
    if value < 0:
        return spell(value + (1 << bits), base)
    text = spell(value, base)
    if width is None:
        return text
    if width < len(text):
        raise ExcelError(NUM, "places is fewer than the digits")
    return text.zfill(width)


@register("DEC2BIN", elementwise=True)
def DEC2BIN(number: Any, places: Any = MISSING) -> str:
    """A number in binary (-512 .. 511)."""
    return _dec2base(number, places, 2, 10)


@register("DEC2OCT", elementwise=True)
def DEC2OCT(number: Any, places: Any = MISSING) -> str:
    """A number in octal (-2^29 .. 2^29-1)."""
    return _dec2base(number, places, 8, 30)


@register("DEC2HEX", elementwise=True)
def DEC2HEX(number: Any, places: Any = MISSING) -> str:
    """A number in hexadecimal (-2^39 .. 2^39-1)."""
    return _dec2base(number, places, 16, 40)


@register("BASE", elementwise=True)
def BASE(number: Any, radix: Any, min_length: Any = MISSING) -> str:
    """A whole number (0 .. 2^53) written in base ``radix`` (2 .. 36), zero-padded."""
    value, base = math.trunc(to_number(number)), math.trunc(to_number(radix))
    width = 0 if min_length is MISSING else math.trunc(to_number(min_length))
    if not 0 <= value < 2**53 or not 2 <= base <= 36 or not 0 <= width <= 255:
        raise ExcelError(NUM, "BASE: number, radix or length out of range")
    return spell(value, base).zfill(width)


@register("DECIMAL", elementwise=True)
def DECIMAL(text: Any, radix: Any) -> float:
    """The number written as ``text`` in base ``radix`` (2 .. 36)."""
    base = math.trunc(to_number(radix))
    digits = to_text(text).strip()
    if not 2 <= base <= 36 or len(digits) > 255:
        raise ExcelError(NUM, "DECIMAL: radix out of range")
    try:
        return float(int(digits, base)) if digits else 0.0
    except ValueError:
        raise ExcelError(NUM, "DECIMAL: not a number in that base") from None


@register("COMPLEX", elementwise=True)
def COMPLEX(real: Any, imaginary: Any, suffix: Any = MISSING) -> str:
    """A complex number as text ("1.5+2i"); ``suffix`` "i" (default, also for a blank cell) or
    "j"."""
    from addin.engine.values import number_text

    if isinstance(real, bool) or isinstance(imaginary, bool):
        raise ExcelError(VALUE, "a logical is not a number here")
    re_part, im_part = to_number(real), to_number(imaginary)
    unit = "i" if suffix is MISSING or suffix is None or suffix == "" else to_text(suffix)
    if unit not in ("i", "j"):
        raise ExcelError(VALUE, 'the suffix is "i" or "j"')
    if im_part == 0:
        return number_text(re_part)
    if im_part == 1:
        imag = unit
    elif im_part == -1:
        imag = "-" + unit
    else:
        imag = number_text(im_part) + unit
    if re_part == 0:
        return imag
    return number_text(re_part) + ("" if imag.startswith("-") else "+") + imag
