"""Text functions the engine implements itself: REPT (``formulas`` builds text of any length),
CHAR and CODE (Excel's Windows character set, code page 1252)."""

from __future__ import annotations

import math
from typing import Any

from addin.engine.functions import register
from addin.engine.values import VALUE, ExcelError, to_number, to_text

MAX_TEXT = 32767  # the longest text a cell holds; longer results are #VALUE!


@register("REPT", elementwise=True)
def REPT(text: Any, times: Any) -> str:
    """``text`` repeated; #VALUE! for a negative count or a result past 32,767 characters."""
    value = to_text(text)
    count = math.trunc(to_number(times))
    if count < 0 or len(value) * count > MAX_TEXT:
        raise ExcelError(VALUE, "REPT would make text longer than a cell holds")
    return value * count


def _windows_character(code: int) -> str:
    try:
        return bytes([code]).decode("cp1252")
    except UnicodeDecodeError:  # 0x81, 0x8D, 0x8F, 0x90, 0x9D: no character, kept as is
        return chr(code)


@register("CHAR", elementwise=True)
def CHAR(number: Any) -> str:
    """The character of a code 1-255 in Excel's (Windows) character set."""
    code = math.trunc(to_number(number))
    if not 1 <= code <= 255:
        raise ExcelError(VALUE, "CHAR takes 1 to 255")
    return _windows_character(code)


@register("CODE", elementwise=True)
def CODE(text: Any) -> float:
    """The Windows character-set code of the first character of ``text``."""
    value = to_text(text)
    if not value:
        raise ExcelError(VALUE, "CODE of empty text")
    try:
        return float(value[0].encode("cp1252")[0])
    except UnicodeEncodeError:
        return 63.0 if ord(value[0]) > 255 else float(ord(value[0]))  # "?", as Excel
