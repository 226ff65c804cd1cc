"""Cell values as a workbook stores them, shared by the engine and the writers of sheet XML:
the error value (``XlError``) and a number as Excel's General format writes it in text."""

from __future__ import annotations

import math


class XlError:
    """An Excel error value (``#VALUE!``...) with, where known, the reason it arose."""

    __slots__ = ("code", "reason")

    def __init__(self, code: str, reason: str = "") -> None:
        self.code = code
        self.reason = reason

    def __eq__(self, other: object) -> bool:
        return isinstance(other, XlError) and other.code == self.code

    def __hash__(self) -> int:
        return hash(self.code)

    def __repr__(self) -> str:
        return f"XlError({self.code}{': ' + self.reason if self.reason else ''})"

    def __str__(self) -> str:
        return self.code


def number_text(number: float) -> str:
    """A number as Excel's General format writes it in text (15 significant digits)."""
    if math.isinf(number) or math.isnan(number):
        return "#NUM!"
    if number == int(number) and abs(number) < 1e15:
        return str(int(number))
    text = f"{number:.15g}"
    if "e" in text:
        mantissa, exponent = text.split("e")
        return f"{mantissa}E{'+' if int(exponent) >= 0 else '-'}{abs(int(exponent)):02d}"
    return text
