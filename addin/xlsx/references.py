"""A1 references: column letters, cell addresses, ranges."""

from __future__ import annotations

import re

MAX_ROW, MAX_COL = 1_048_576, 16_384
CELL_RE = re.compile(r"^\$?([A-Za-z]{1,3})\$?(\d+)$")


def col_index(letters: str) -> int:
    """1-based column number of ``letters`` (A -> 1)."""
    number = 0
    for char in letters.upper():
        number = number * 26 + ord(char) - 64
    return number


_INDEX: dict[str, int] = {}


def letters_index(letters: str) -> int:
    """``col_index`` with a cache (the readers call it for every cell)."""
    found = _INDEX.get(letters)
    if found is None:
        found = _INDEX[letters] = col_index(letters)
    return found


_LETTERS: dict[int, str] = {}


def col_letters(index: int) -> str:
    """Column letters of a 1-based column number."""
    cached = _LETTERS.get(index)
    if cached is not None:
        return cached
    letters, number = "", index
    while number:
        number, rest = divmod(number - 1, 26)
        letters = chr(65 + rest) + letters
    _LETTERS[index] = letters
    return letters


def parse_cell(address: str) -> tuple[int, int]:
    """(row, col) of an address such as ``B7`` or ``$B$7``."""
    match = CELL_RE.match(address.strip())
    if not match:
        raise ValueError(f"not a cell address: {address!r}")
    return int(match.group(2)), col_index(match.group(1))


def cell_address(row: int, col: int) -> str:
    """``B7`` for (7, 2)."""
    return f"{col_letters(col)}{row}"


def parse_range(text: str) -> tuple[int, int, int, int]:
    """(r1, c1, r2, c2) of ``A1:B5`` or a single cell."""
    first, _, last = text.partition(":")
    r1, c1 = parse_cell(first)
    r2, c2 = parse_cell(last) if last else (r1, c1)
    return min(r1, r2), min(c1, c2), max(r1, r2), max(c1, c2)


def range_address(r1: int, c1: int, r2: int, c2: int) -> str:
    """``A1:B5`` (or ``A1`` for one cell)."""
    first = cell_address(r1, c1)
    return first if (r1, c1) == (r2, c2) else f"{first}:{cell_address(r2, c2)}"


def quote_sheet(name: str) -> str:
    """A sheet name as formulas write it (quoted when not a plain word)."""
    if re.fullmatch(r"[A-Za-z_][A-Za-z0-9_.]*", name) and not CELL_RE.match(name):
        return name
    return "'" + name.replace("'", "''") + "'"


def split_sheet(address: str) -> tuple[str | None, str]:
    """(sheet, rest) of ``'My sheet'!B2`` / ``Sheet1!B2`` / ``B2``."""
    if "!" not in address:
        return None, address
    sheet, _, rest = address.rpartition("!")
    if sheet.startswith("'") and sheet.endswith("'"):
        sheet = sheet[1:-1].replace("''", "'")
    return sheet, rest
