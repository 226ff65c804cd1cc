"""A worksheet's values held column by column, so a column of rows is one list slice."""

from __future__ import annotations

from typing import Any

import numpy as np


class Grid:
    """Cell values of one sheet: ``columns[col][row]`` (1-based), ``None`` when empty."""

    def __init__(self, name: str) -> None:
        self.name = name
        self.columns: dict[int, list[Any]] = {}
        self.max_row = 0
        self.max_col = 0
        self.version = 0  # counts writes; ``stamps[col]`` is the count at a column's last write
        self.stamps: dict[int, int] = {}

    def _column(self, col: int, upto: int) -> list[Any]:
        column = self.columns.get(col)
        if column is None:
            column = self.columns[col] = [None] * (max(upto, self.max_row) + 1)
        elif len(column) <= upto:
            column.extend([None] * (upto + 1 - len(column)))
        return column

    def get(self, row: int, col: int) -> Any:
        """The value at (row, col)."""
        column = self.columns.get(col)
        if column is None or row >= len(column):
            return None
        return column[row]

    def set(self, row: int, col: int, value: Any) -> None:
        """Store a value."""
        self._column(col, row)[row] = value
        self.max_row = max(self.max_row, row) if value is not None else self.max_row
        self.max_col = max(self.max_col, col) if value is not None else self.max_col
        self.version += 1
        self.stamps[col] = self.version

    def set_run(self, col: int, row: int, values: list[Any]) -> None:
        """Store consecutive values down a column from ``row``."""
        last = row + len(values) - 1
        self._column(col, last)[row : last + 1] = values
        self.max_row = max(self.max_row, last)
        self.max_col = max(self.max_col, col)
        self.version += 1
        self.stamps[col] = self.version

    def stamp(self, c1: int, c2: int) -> int:
        """Changes when any of columns ``c1 .. c2`` is written to (for caching their values)."""
        stamps = self.stamps
        if c2 - c1 < len(stamps):
            return max((stamps.get(c, 0) for c in range(c1, c2 + 1)), default=0)
        return max((v for c, v in stamps.items() if c1 <= c <= c2), default=0)

    def column(self, col: int, row: int, n: int) -> list[Any]:
        """``n`` values down column ``col`` from ``row``."""
        column = self.columns.get(col)
        if column is None:
            return [None] * n
        values = column[row : row + n]
        if len(values) < n:
            values += [None] * (n - len(values))
        return values

    def block(self, r1: int, c1: int, r2: int, c2: int) -> np.ndarray:
        """The values of a rectangle as a 2-D object array."""
        out = np.empty((r2 - r1 + 1, c2 - c1 + 1), dtype=object)
        for j, col in enumerate(range(c1, c2 + 1)):
            out[:, j] = self.column(col, r1, r2 - r1 + 1)
        return out
