"""Golden cases (tests/golden/*.yaml): inputs and expected per-worker figures, shared by the
model tests, the Excel-function tests and the command-line tests, so one case checks every
front end."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml
from openpyxl import Workbook

GOLDEN = Path(__file__).parent / "golden"


@dataclass(frozen=True)
class GoldenCase:
    name: str
    policy: str
    workers: list[list[Any]]
    cases: list[list[Any]]
    expect: dict[str, dict[str, Any]]

    def write_xlsx(self, path: Path) -> Path:
        """The case as a tracker workbook with Workers and Cases sheets."""
        book = Workbook()
        sheet = book.active
        sheet.title = "Workers"
        for row in self.workers:
            sheet.append(row)
        cases = book.create_sheet("Cases")
        for row in self.cases:
            cases.append(row)
        book.save(path)
        return path


def load_golden() -> list[GoldenCase]:
    """Every golden case, in file order."""
    found: list[GoldenCase] = []
    for path in sorted(GOLDEN.glob("*.yaml")):
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
        for item in data if isinstance(data, list) else [data]:
            found.append(GoldenCase(**item))
    return found
