"""The errors the product reports, and the exit status of the command line, in one place.

``CaseloadError`` is the base of every error a user is shown (a bad policy, an unusable
tracker, a refused output...): its message names the file, sheet, cell or row and what was
expected, and its ``exit_status`` is the command line's. ``CellError`` is the per-cell error the
Excel functions return for a row they cannot compute.
"""

from __future__ import annotations

from enum import IntEnum
from typing import ClassVar


class ExitStatus(IntEnum):
    """The command line's exit status (every command)."""

    OK = 0
    """Everything read and written."""
    PARTIAL = 1
    """Written, but something was left out: rows rejected, files that failed in a batch,
    formulas that gave errors."""
    UNUSABLE = 2
    """Nothing written: an input that cannot be used, a bad policy, a refused output."""


class CaseloadError(ValueError):
    """An error shown to a user: one line naming where the problem is and what was expected
    (never a child's name or anything else typed into a row)."""

    exit_status: ClassVar[ExitStatus] = ExitStatus.UNUSABLE


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
