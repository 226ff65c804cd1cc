"""TEXT and Excel's number formats (the engine's own: ``formulas`` has no TEXT): sections,
digit placeholders, grouping, scaling commas, percent, scientific notation, fractions of
seconds and the date and time codes."""

from __future__ import annotations

import math
from typing import Any

from addin.engine.functions import register
from addin.engine.library.dates import MONTHS, WEEKDAYS, date_parts
from addin.engine.values import (
    VALUE,
    ExcelError,
    number_text,
    parse_number_text,
    to_number,
    to_text,
)
from udfs.excel_dates import LAST_SERIAL

#
# A format is up to four sections separated by ";" (positive; negative; zero; text). A section
# is a list of tokens: ("lit", text) shown as written, ("date", code) for d/m/y/h/s/AM-PM codes,
# ("elapsed", "h"|"m"|"s") for [h]/[mm]/[ss], ("digit", "0"|"#"|"?"), ("point", "."),
# ("comma", ","), ("percent", "%"), ("exp", "E+"|"E-"), ("text", "@"), ("general", "").

Token = tuple[str, str]
_DATE_LETTERS = "ymdhs"
# the format characters that are a token of their own, by kind (any other is a literal)
_ONE_CHARACTER = {"0": "digit", "#": "digit", "?": "digit", ".": "point", ",": "comma",
                  "%": "percent", "@": "text"}  # fmt: skip
_NUMBER_FORMAT_CACHE: dict[str, list[list[Token]]] = {}


def _format_sections(pattern: str) -> list[list[Token]]:
    """The sections of a format, tokenised (cached per format text)."""
    found = _NUMBER_FORMAT_CACHE.get(pattern)
    if found is None:
        if len(_NUMBER_FORMAT_CACHE) >= 4096:
            _NUMBER_FORMAT_CACHE.clear()
        found = _NUMBER_FORMAT_CACHE[pattern] = _tokenise(pattern)
    return found


def _tokenise(pattern: str) -> list[list[Token]]:
    sections: list[list[Token]] = [[]]
    tokens = sections[0]
    i, n = 0, len(pattern)
    while i < n:
        char = pattern[i]
        lower = char.lower()
        if char == ";":
            tokens = []
            sections.append(tokens)
            i += 1
        elif char == '"':
            end = pattern.find('"', i + 1)
            end = n if end < 0 else end
            tokens.append(("lit", pattern[i + 1 : end]))
            i = end + 1
        elif char == "\\" or char == "!":
            tokens.append(("lit", pattern[i + 1 : i + 2]))
            i += 2
        elif char == "_":  # space the width of the next character
            tokens.append(("lit", " "))
            i += 2
        elif char == "*":  # repeat the next character to fill the cell: nothing in TEXT
            i += 2
        elif char == "[":
            end = pattern.find("]", i + 1)
            end = n if end < 0 else end
            tokens.extend(_bracket(pattern[i + 1 : end]))
            i = end + 1
        elif pattern[i : i + 5].upper() == "AM/PM":
            tokens.append(("date", pattern[i : i + 5]))
            i += 5
        elif pattern[i : i + 3].upper() == "A/P":
            tokens.append(("date", pattern[i : i + 3]))
            i += 3
        elif pattern[i : i + 7].lower() == "general":
            tokens.append(("general", ""))
            i += 7
        elif lower in _DATE_LETTERS:
            j = i
            while j < n and pattern[j].lower() == lower:
                j += 1
            tokens.append(("date", lower * (j - i)))
            i = j
        elif lower == "e" and i + 1 < n and pattern[i + 1] in "+-":
            tokens.append(("exp", "E" + pattern[i + 1]))
            i += 2
        else:  # one character: a digit placeholder, . , % @ or a literal
            tokens.append((_ONE_CHARACTER.get(char, "lit"), char))
            i += 1
    return sections


def _bracket(inside: str) -> list[Token]:
    """Tokens of a ``[...]`` part: elapsed time, a currency symbol, or nothing (a colour)."""
    lower = inside.lower()
    if lower and set(lower) <= set("hms") and len(set(lower)) == 1:
        return [("elapsed", lower[0] * len(lower))]
    if inside.startswith("$"):
        symbol = inside[1:].split("-")[0]
        return [("lit", symbol)] if symbol else []
    if inside[:1] in "<>=":
        raise ExcelError(VALUE, f"TEXT: conditional format [{inside}] is not supported")
    return []  # [Red], [Color 10] ...


def _is_date_section(tokens: list[Token]) -> bool:
    return any(kind in ("date", "elapsed") for kind, _ in tokens)


@register("TEXT", elementwise=True)
def TEXT(value: Any, format_text: Any) -> str:
    """``value`` shown in an Excel number format: dates and times (d, dd, ddd, dddd, m ... mmmm,
    yy, yyyy, h, hh, mm, ss, AM/PM, [h]), numbers (0, #, ?, decimals, thousands, %, E+00),
    literal text, sections ``positive;negative;zero;text`` and ``@``. Serials follow Excel's
    calendar (0 is 0 January 1900, 60 is 29 February 1900)."""
    pattern = to_text(format_text)
    sections = _format_sections(pattern)
    if value is None:
        value = 0.0
    if type(value) is bool:
        return "TRUE" if value else "FALSE"
    if isinstance(value, str):
        number = parse_number_text(value)
        if number is None:
            return _format_text(value, sections)
        value = number
    return format_number(to_number(value), sections)


def _format_text(text: str, sections: list[list[Token]]) -> str:
    if len(sections) >= 4:
        section = sections[3]
    elif any(kind == "text" for kind, _ in sections[0]):
        section = sections[0]
    else:
        return text
    return "".join(text if kind == "text" else part for kind, part in section)


def format_number(number: float, sections: list[list[Token]]) -> str:
    """``number`` in the tokenised format ``sections`` (see ``TEXT``)."""
    numeric = sections[:3] if len(sections) >= 4 else sections
    if len(numeric) >= 3 and number == 0:
        section, sign = numeric[2], ""
    elif len(numeric) >= 2 and number < 0:
        section, sign, number = numeric[1], "", -number
    else:
        section, sign = numeric[0], ""
        if number < 0:
            sign, number = "-", -number
    if not section:
        return ""
    if _is_date_section(section):
        if sign:
            raise ExcelError(VALUE, "TEXT: a negative number cannot be shown as a date")
        return _format_date(number, section)
    text = _format_plain(number, section)
    if sign and not any(digit in text for digit in "123456789"):
        sign = ""  # rounded to zero: Excel shows no minus sign
    return sign + text


def _format_date(number: float, tokens: list[Token]) -> str:
    if number >= LAST_SERIAL + 1:
        raise ExcelError(VALUE, f"TEXT: {number:g} is after 31 December 9999")
    digits = 0  # decimals of seconds shown (ss.00)
    for index, (kind, code) in enumerate(tokens):
        following = tokens[index + 1][0] if index + 1 < len(tokens) else ""
        if kind == "date" and code[0] == "s" and following == "point":
            rest = tokens[index + 2 :]
            digits = next((k for k, t in enumerate(rest) if t != ("digit", "0")), len(rest))
    scale = 10**digits
    ticks = round(number * 86400 * scale)  # Excel rounds to the precision shown
    whole_days, in_day = divmod(ticks, 86400 * scale)
    seconds_total, fraction = divmod(in_day, scale)
    hour, rest = divmod(seconds_total, 3600)
    minute, second = divmod(rest, 60)
    year, month, day = date_parts(float(whole_days))
    twelve = any(kind == "date" and "/" in code for kind, code in tokens)
    minutes_at = _minute_positions(tokens)
    out: list[str] = []
    skip_fraction = 0
    for index, (kind, code) in enumerate(tokens):
        if skip_fraction:
            skip_fraction -= 1
            continue
        if kind == "elapsed":
            total_seconds = ticks // scale
            amount = {"h": total_seconds // 3600, "m": total_seconds // 60, "s": total_seconds}
            out.append(str(amount[code[0]]).zfill(len(code)))
        elif kind == "date":
            letter, size = code[0].lower(), len(code)
            if "/" in code:  # AM/PM or A/P, in the case written
                first, second_part = code.split("/")
                out.append(first if hour < 12 else second_part)
            elif letter == "y":
                out.append(f"{year % 100:02d}" if size <= 2 else f"{year:04d}")
            elif letter == "m" and index in minutes_at:
                out.append(f"{minute:02d}" if size >= 2 else str(minute))
            elif letter == "m":
                name = MONTHS[month - 1]
                if size <= 2:
                    out.append(f"{month:02d}" if size == 2 else str(month))
                else:
                    out.append(name[:3] if size == 3 else name[0] if size == 5 else name)
            elif letter == "d":
                if size <= 2:
                    out.append(f"{day:02d}" if size == 2 else str(day))
                else:
                    weekday = WEEKDAYS[whole_days % 7]
                    out.append(weekday[:3] if size == 3 else weekday)
            elif letter == "h":
                shown = (hour % 12 or 12) if twelve else hour
                out.append(f"{shown:02d}" if size >= 2 else str(shown))
            else:  # seconds, then any decimals of them
                out.append(f"{second:02d}" if size >= 2 else str(second))
                if digits:
                    out.append("." + str(fraction).zfill(digits))
                    skip_fraction = digits + 1
        elif kind == "lit":
            out.append(code)
        else:
            out.append(code)  # a stray number character in a date format is shown as is
    return "".join(out)


def _minute_positions(tokens: list[Token]) -> set[int]:
    """Indexes of m/mm codes that mean minutes: after an hour or before a second code."""
    codes = [
        (i, code[0].lower()) for i, (kind, code) in enumerate(tokens) if kind in ("date", "elapsed")
    ]
    found = set()
    for position, (index, letter) in enumerate(codes):
        if letter != "m" or len(tokens[index][1]) > 2:
            continue
        before = codes[position - 1][1] if position else ""
        after = codes[position + 1][1] if position + 1 < len(codes) else ""
        if before == "h" or after == "s":
            found.add(index)
    return found


def _format_plain(number: float, tokens: list[Token]) -> str:
    """A non-negative number in a number (not date) section."""
    if any(kind in ("general", "text") for kind, _ in tokens):  # "@" shows a number as General
        return "".join(
            _general_in_text(number) if kind in ("general", "text") else part
            for kind, part in tokens
        )
    for kind, code in tokens:
        if kind == "lit" and code == "/":
            raise ExcelError(VALUE, "TEXT: fraction formats are not supported")
    number *= 100.0 ** sum(1 for kind, _ in tokens if kind == "percent")
    exponent_at = next((i for i, (kind, _) in enumerate(tokens) if kind == "exp"), None)
    mantissa_tokens = tokens if exponent_at is None else tokens[:exponent_at]
    point = next((i for i, (kind, _) in enumerate(mantissa_tokens) if kind == "point"), None)
    whole_tokens = mantissa_tokens if point is None else mantissa_tokens[:point]
    fraction_tokens = [] if point is None else mantissa_tokens[point + 1 :]
    whole_digits = [i for i, (kind, _) in enumerate(whole_tokens) if kind == "digit"]
    # commas right after the last digit of the whole part divide by 1000 each
    scaling = 0
    if whole_digits:
        for kind, _ in whole_tokens[whole_digits[-1] + 1 :]:
            if kind != "comma":
                break
            scaling += 1
    number /= 1000.0**scaling
    grouping = any(
        kind == "comma" and whole_digits and whole_digits[0] < i < whole_digits[-1]
        for i, (kind, _) in enumerate(whole_tokens)
    )
    decimals = sum(1 for kind, _ in fraction_tokens if kind == "digit")
    exponent_text = ""
    if exponent_at is not None:
        engineering = any(whole_tokens[i][1] == "#" for i in whole_digits)
        number, exponent_text = _scientific(
            number, len(whole_digits), engineering, decimals, tokens[exponent_at:]
        )
    rounded = _decimal_round(number, decimals)
    whole_text, _, fraction_text = rounded.partition(".")
    whole_text = whole_text.lstrip("0")
    out = _fill_whole(whole_tokens, whole_digits, whole_text, grouping)
    if point is not None:
        out += "." + _fill_fraction(fraction_tokens, fraction_text)
    return out + exponent_text


def _decimal_round(number: float, decimals: int) -> str:
    """``number`` rounded half away from zero to ``decimals`` places, as text (no exponent)."""
    from decimal import ROUND_HALF_UP, Decimal

    exact = Decimal(f"{number:.15g}")  # Excel keeps 15 significant digits
    return f"{exact.quantize(Decimal(1).scaleb(-decimals), rounding=ROUND_HALF_UP):f}"


def _fill_whole(tokens: list[Token], digit_at: list[int], digits: str, grouping: bool) -> str:
    """The whole-number part: digits placed right to left into the placeholders."""
    if not digit_at:
        return "".join(code for kind, code in tokens if kind in ("lit", "percent", "text"))
    placeholders = [tokens[i][1] for i in digit_at]
    # zeros (or spaces) forced by 0 (or ?) placeholders, counted from the leftmost of them
    forced = next((k for k, p in enumerate(placeholders) if p in "0?"), len(placeholders))
    width = len(placeholders) - forced
    padded = digits.rjust(width, "0") if width > len(digits) else digits
    if grouping:
        body = _group(padded)
        if "?" in placeholders[forced : forced + 1] and not digits:
            body = body.replace("0", " ")
        first, last = digit_at[0], digit_at[-1]
        before = "".join(code for kind, code in tokens[:first] if kind in ("lit", "percent"))
        after = "".join(code for kind, code in tokens[last + 1 :] if kind in ("lit", "percent"))
        return before + body + after
    shown: dict[int, str] = {}
    remaining = digits
    for k in range(len(digit_at) - 1, -1, -1):
        placeholder = placeholders[k]
        if k == 0:
            text = remaining
            if not text:
                text = {"0": "0", "?": " ", "#": ""}[placeholder]
        elif remaining:
            text, remaining = remaining[-1], remaining[:-1]
        else:
            text = {"0": "0", "?": " ", "#": ""}[placeholder]
        shown[digit_at[k]] = text
    out = []
    for i, (kind, code) in enumerate(tokens):
        if i in shown:
            out.append(shown[i])
        elif kind != "comma":
            out.append(code)
    return "".join(out)


def _group(digits: str) -> str:
    """Thousands separators in a string of digits."""
    head = len(digits) % 3 or 3
    parts = [digits[:head]] + [digits[i : i + 3] for i in range(head, len(digits), 3)]
    return ",".join(p for p in parts if p)


def _fill_fraction(tokens: list[Token], digits: str) -> str:
    """The decimals: trailing zeros dropped at # and blanked at ? placeholders."""
    kinds = [code for kind, code in tokens if kind == "digit"]
    keep = len(digits)
    while keep and digits[keep - 1] == "0" and kinds[keep - 1] != "0":
        keep -= 1
    out, k = [], 0
    for kind, code in tokens:
        if kind == "digit":
            if k < keep:
                out.append(digits[k])
            elif code == "?":
                out.append(" ")
            k += 1
        elif kind != "comma":
            out.append(code)
    return "".join(out)


def _scientific(
    number: float, whole_places: int, engineering: bool, decimals: int, tokens: list[Token]
) -> tuple[float, str]:
    """(mantissa, exponent text) for an ``0.00E+00`` format."""
    exponent = 0
    if number:
        exponent = math.floor(math.log10(number))
        if float(_decimal_round(number / 10.0**exponent, decimals)) >= 10.0:
            exponent += 1
        if engineering and whole_places > 1:  # ##0.0E+0: exponents in steps of the width
            exponent -= exponent % whole_places
        else:  # 00.0E+0: that many digits before the point
            exponent -= max(whole_places, 1) - 1
        number = number / 10.0**exponent
    sign_code = tokens[0][1][1]
    places = sum(1 for kind, code in tokens[1:] if kind == "digit")
    sign = "-" if exponent < 0 else ("+" if sign_code == "+" else "")
    return number, "E" + sign + str(abs(exponent)).zfill(places)


def _general_in_text(number: float) -> str:
    """A non-negative number in TEXT's General format: at most 11 characters, scientific
    ("1.23457E+11") from 1E+11 and below 1E-9."""
    if number == 0:
        return "0"
    mantissa, _, exponent = f"{number:.5E}".partition("E")
    mantissa = mantissa.rstrip("0").rstrip(".")
    scientific = f"{mantissa}E{exponent[0]}{exponent[1:].zfill(2)}"
    if number >= 1e11:
        return scientific
    decimals = max(0, 10 - len(str(int(number))))
    fixed = _decimal_round(number, decimals)
    fixed = fixed.rstrip("0").rstrip(".") if "." in fixed else fixed

    def significant(text: str) -> int:
        return len(text.replace(".", "").lstrip("0"))

    # the scientific form when the fixed one would show fewer significant digits
    return scientific if significant(mantissa) > significant(fixed) else fixed


def _general(number: float) -> str:
    """A number in the General format, as TEXT writes it (up to 15 significant digits)."""
    return number_text(number)
