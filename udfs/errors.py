"""Per-cell errors that the Excel functions return for a row they cannot compute."""

from __future__ import annotations


class CellError(str):
    """An Excel error value (``#VALUE!``) for one cell, carrying the reason it was raised.

    It is a ``str`` so that plain Python callers see the Excel code; ``reason`` says why (it names
    the row and the offending value, never any other field). The xlwings return converter turns it
    into a real Excel error, the headless engine into a formulas error.
    """

    reason: str

    def __new__(cls, reason: str, code: str = "#VALUE!") -> CellError:
        error = super().__new__(cls, code)
        error.reason = reason
        return error

    @property
    def code(self) -> str:
        """The Excel error code, e.g. ``#VALUE!``."""
        return str.__str__(self)

    def __repr__(self) -> str:
        return f"CellError({self.code}: {self.reason})"
