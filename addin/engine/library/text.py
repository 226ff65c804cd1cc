"""Text functions the engine implements itself: LEN, UPPER, LOWER, TRIM, LEFT, RIGHT, MID,
CONCATENATE, CONCAT, TEXTJOIN, EXACT, VALUE, NUMBERVALUE, FIND, SEARCH, SUBSTITUTE, REPT
(``formulas`` builds text of any length), CHAR and CODE (Excel's Windows character set, code
page 1252). TEXT and the number formats are in ``text_formats``."""

from __future__ import annotations

import math
import re
from typing import Any

from addin.engine import criteria as crit
from addin.engine.functions import MISSING, cells, first_cell, register
from addin.engine.values import VALUE, ExcelError, to_bool, to_number, to_text

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


@register("LEN", elementwise=True)
def LEN(text: Any) -> float:
    """Excel's LEN: characters in the value as text (numbers as General format writes them)."""
    return float(len(to_text(text)))


@register("UPPER", elementwise=True)
def UPPER(text: Any) -> str:
    """Excel's UPPER (Python's Unicode upper-casing)."""
    return to_text(text).upper()


@register("LOWER", elementwise=True)
def LOWER(text: Any) -> str:
    """Excel's LOWER (Python's Unicode lower-casing)."""
    return to_text(text).lower()


@register("TRIM", elementwise=True)
def TRIM(text: Any) -> str:
    """Excel's TRIM: spaces removed at both ends and runs of spaces inside cut to one; only the
    space character counts, though text that is all whitespace gives ""."""
    value = to_text(text)
    if not value.strip():
        return ""
    return " ".join(part for part in value.split(" ") if part)


def _character_count(count: Any) -> int:
    """LEFT's and RIGHT's count: 1 when omitted, truncated; #VALUE! when negative."""
    n = 1 if count is MISSING else int(to_number(count))
    if n < 0:
        raise ExcelError(VALUE)
    return n


@register("LEFT", elementwise=True)
def LEFT(text: Any, count: Any = 1.0) -> str:
    """Excel's LEFT: the first ``count`` characters (truncated; default 1); #VALUE! for a negative
    count."""
    return to_text(text)[: _character_count(count)]


@register("RIGHT", elementwise=True)
def RIGHT(text: Any, count: Any = 1.0) -> str:
    """Excel's RIGHT: the last ``count`` characters (truncated; default 1); #VALUE! for a negative
    count."""
    n = _character_count(count)
    return to_text(text)[-n:] if n else ""


@register("MID", elementwise=True)
def MID(text: Any, start: Any, count: Any) -> str:
    """Excel's MID: ``count`` characters from ``start`` (1-based, both truncated); #VALUE! for a
    start below 1 or a negative count."""
    s, n = int(to_number(start)), int(to_number(count))
    if s < 1 or n < 0:
        raise ExcelError(VALUE)
    return to_text(text)[s - 1 : s - 1 + n]


@register("CONCATENATE", elementwise=True)
def CONCATENATE(*args: Any) -> str:
    """Excel's CONCATENATE: values joined as text; array arguments are taken cell by cell, giving an
    array. No 32,767-character limit is applied."""
    return "".join(to_text(first_cell(a)) for a in args if a is not MISSING)


@register("CONCAT")
def CONCAT(*args: Any) -> str:
    """Excel's CONCAT: every cell of every argument joined as text, ranges flattened by row; an
    error cell is the result. No 32,767-character limit is applied."""
    return "".join(to_text(c) for c in cells(*args))


@register("TEXTJOIN")
def TEXTJOIN(delimiter: Any, ignore_empty: Any, *args: Any) -> str:
    """Excel's TEXTJOIN: cells of the arguments joined with ``delimiter``, "" and blank ones left
    out when ``ignore_empty``; ``delimiter`` is one value (an array of delimiters is not supported).
    No 32,767-character limit is applied."""
    skip = to_bool(ignore_empty)
    parts = [to_text(c) for c in cells(*args)]
    return to_text(delimiter).join(p for p in parts if p or not skip)


@register("EXACT", elementwise=True)
def EXACT(a: Any, b: Any) -> bool:
    """Excel's EXACT: the two values as text are identical (case-sensitive)."""
    return to_text(a) == to_text(b)


@register("VALUE", elementwise=True)
def VALUE_(text: Any) -> float:
    """Excel's VALUE: text read as arithmetic reads it (numbers, percentages, ISO dates, times); a
    logical, or other text (a UK date included), is #VALUE!."""
    if isinstance(text, bool):
        raise ExcelError(VALUE, "VALUE of a logical")
    return to_number(text)


_PLAIN_NUMBER = re.compile(r"^[-+]?(\d+\.?\d*|\.\d+)([eE][-+]?\d+)?$")


@register("NUMBERVALUE", elementwise=True)
def NUMBERVALUE(text: Any, decimal: Any = MISSING, group: Any = MISSING) -> float:
    """Text read as a number with the separators given (``"."`` and ``","`` by default):
    spaces anywhere are ignored, group separators before the decimal one are dropped, each
    trailing % divides by 100, "" is 0; #VALUE! otherwise."""
    if type(text) in (float, bool) or text is None:
        if type(text) is bool:
            raise ExcelError(VALUE, "NUMBERVALUE: a logical is not a number")
        return 0.0 if text is None else text
    point = "." if decimal is MISSING else to_text(decimal)[:1]
    grouping = "," if group is MISSING else to_text(group)[:1]
    if not point or point == grouping:
        raise ExcelError(VALUE, "NUMBERVALUE: bad separators")
    body = "".join(to_text(text).split())
    percents = len(body) - len(body.rstrip("%"))
    body = body[: len(body) - percents]
    whole, found, fraction = body.partition(point)
    if found and point in fraction:
        raise ExcelError(VALUE, "NUMBERVALUE: more than one decimal separator")
    if grouping and grouping in fraction:
        raise ExcelError(VALUE, "NUMBERVALUE: a group separator after the decimal one")
    if grouping:
        whole = whole.replace(grouping, "")
    plain = whole + ("." + fraction if found else "")
    if plain == "":
        if percents:
            raise ExcelError(VALUE, "NUMBERVALUE: no number")
        return 0.0
    if not _PLAIN_NUMBER.match(plain):
        raise ExcelError(VALUE, f"NUMBERVALUE: {text!r} is not a number")
    return float(plain) / 100.0**percents


def _start_at(text: str, start: Any) -> int:
    position = 1 if start is MISSING else int(to_number(start))
    if position < 1 or position > len(text) + 1:
        raise ExcelError(VALUE, "the start is outside the text")
    return position - 1


@register("FIND", elementwise=True)
def FIND(find_text: Any, within: Any, start: Any = MISSING) -> float:
    """Position of ``find_text`` in ``within`` (case-sensitive, no wildcards)."""
    wanted, source = to_text(find_text), to_text(within)
    found = source.find(wanted, _start_at(source, start))
    if found < 0:
        raise ExcelError(VALUE, "FIND: not found")
    return float(found + 1)


@register("SEARCH", elementwise=True)
def SEARCH(find_text: Any, within: Any, start: Any = MISSING) -> float:
    """Position of ``find_text`` in ``within``, ignoring case; ``?``, ``*`` and ``~`` as in
    criteria."""
    wanted, source = to_text(find_text), to_text(within)
    begin = _start_at(source, start)
    if not any(c in wanted for c in "*?~"):
        found = source.casefold().find(wanted.casefold(), begin)
    else:
        match = crit.wildcard_search(wanted).search(source, begin)
        found = match.start() if match else -1
    if found < 0:
        raise ExcelError(VALUE, "SEARCH: not found")
    return float(found + 1)


@register("SUBSTITUTE", elementwise=True)
def SUBSTITUTE(text: Any, old: Any, new: Any, instance: Any = MISSING) -> str:
    """Excel's SUBSTITUTE: every ``old`` replaced, or only the ``instance``-th (case-sensitive);
    an ``instance`` below 1 is #VALUE!."""
    source, find, replace = to_text(text), to_text(old), to_text(new)
    if instance is MISSING:
        return source.replace(find, replace) if find else source
    nth, start = int(to_number(instance)), -1
    if nth < 1:
        raise ExcelError(VALUE, "SUBSTITUTE's instance must be 1 or more")
    for _ in range(nth):
        start = source.find(find, start + 1)
        if start < 0:
            return source
    return source[:start] + replace + source[start + len(find) :]
