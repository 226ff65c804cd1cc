"""The demo: the templates filled with the synthetic service (``addin.demo.service``).

``build_demo(folder, policy)`` writes the whole demo: the tracker (latest month), a supervision
record per case-holding worker, the GMT quarterly review and the per-worker result CSV.

``functions`` picks the form of the model in the workbooks: ``native`` (the default: ordinary
formulas, computed by Excel or LibreOffice on open, nothing installed) or ``cw`` (the add-in's
``CW_`` functions, for xlwings users).

Every workbook is recalculated before it is written: the builder writes it (with the values
the model computed cached in it) to a scratch folder, the headless engine (``addin.engine``)
calculates every formula, native working sheets included, and the engine's copy, formulas and
computed values, is saved in the demo folder. Cells that end in an error are reported in
``Demo.errors``. Where the engine cannot be imported, the builder's workbooks are written as
they are: the model's figures cached, the native working sheets calculated by the spreadsheet
application on open.
"""

from __future__ import annotations

import tempfile
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import timedelta
from pathlib import Path
from typing import Any

from addin.demo.history import Month, service_history
from addin.demo.service import SyntheticService, synthetic_service
from addin.outputs import write_csv
from udfs.policy import Policy
from workbook_templates.builder import save_workbook
from workbook_templates.catalogue import FUNCTIONS
from workbook_templates.gmt import gmt_spec
from workbook_templates.spec import WorkbookSpec
from workbook_templates.supervision import supervision_spec
from workbook_templates.tracker import tracker_spec

DIRECT_WORK = [
    "Enough time for planned visits",
    "Visits kept; direct work sessions squeezed",
    "Court statements reducing direct work",
    "Time for direct work protected this month",
]
OTHER_DEMANDS = ["None raised", "Court deadlines", "Training days", "Duty cover", "Panel reports"]
REPRIORITISE = [
    "Two CIN cases to step down to early help",
    "Transfer one family to a colleague",
    "No new allocations until review",
]


@dataclass
class Demo:
    """What the demo wrote, and the data it computed it from.

    ``functions`` is the form of the workbooks (native or cw). ``recalculated_by`` is
    ``"engine"`` (the headless engine calculated every formula) or ``"pure functions"`` (the
    engine could not be imported: the builder's values, the model's, stand);
    ``errors`` lists each formula cell that ended in an error, as ``file: Sheet!A1: #CODE
    (reason)``.
    """

    folder: Path
    service: SyntheticService
    history: list[Month]
    files: list[Path] = field(default_factory=list)
    recalculated_by: str = "pure functions"
    errors: list[str] = field(default_factory=list)
    functions: str = "native"


def engine_workbook() -> Any | None:
    """The engine's ``Workbook`` class, or ``None`` when the engine cannot be imported."""
    try:
        from addin.engine import Workbook
    except ImportError:
        return None
    return Workbook


class RecalculatingWriter:
    """Writes template specs as recalculated workbooks (see the module docstring).

    ``save(spec, path)`` builds into ``scratch``, calculates with the engine and saves the
    engine's copy at ``path``; it returns the error cells found. Without an engine class it
    builds straight to ``path`` (the pure model's cached values).
    """

    def __init__(self, scratch: Path, workbook_class: Any | None) -> None:
        self.scratch = scratch
        self.workbook_class = workbook_class

    def save(self, spec: WorkbookSpec, path: Path) -> list[str]:
        """Write ``spec`` to ``path``; the error cells of its recalculation."""
        if self.workbook_class is None:
            save_workbook(spec, path)
            return []
        built = self.scratch / f"built-{path.name}"
        save_workbook(spec, built)
        book = self.workbook_class.load(built)
        book.calculate()
        book.save_copy(path)
        built.unlink()
        return [f"{path.name}: {problem}" for problem in book.errors]


def supervision_months(
    service: SyntheticService, history: list[Month], worker_index: int
) -> list[dict[str, Any]]:
    """A worker's monthly supervision rows from the history (deterministic text choices).

    Every third over-maximum month has no reason recorded, so the record shows the flag.
    """
    rows = []
    worker = service.workers[worker_index]
    number = int(worker["worker_id"][1:])
    supervisor = _supervisor(service, worker)
    for index, month in enumerate(history):
        result = month.weighing.workers.iloc[worker_index]
        over = result["status"] == "over"
        seen = month.month + timedelta(days=7 + (number + index) % 14)
        rows.append(
            {
                "supervision_date": seen,
                "children": int(result["children"]),
                "families": int(result["families"]),
                "weighted": float(result["weighted"]),
                "capacity_min": float(result["capacity_min"]),
                "capacity_max": float(result["capacity_max"]),
                "direct_work": DIRECT_WORK[(number + index) % len(DIRECT_WORK)],
                "other_demands": OTHER_DEMANDS[(number * 3 + index) % len(OTHER_DEMANDS)],
                "above_max_allocation": "yes" if over else "no",
                "reason": (
                    None
                    if not over or (number + index) % 3 == 0
                    else "Urgent allocation: no worker in the team with capacity"
                ),
                "reprioritisation": REPRIORITISE[(number + index) % 3] if over else None,
                "review_date": (seen + timedelta(days=28)) if over else None,
                "recorded_by": supervisor,
                "recorded_on": seen,
            }
        )
    return rows


def _supervisor(service: SyntheticService, worker: dict[str, Any]) -> str:
    for role in ("PS", "TM"):
        for other in service.workers:
            if other["team"] == worker["team"] and other["role"] == role:
                return other["worker_id"]
    return ""


def build_demo(
    folder: str | Path,
    policy: Policy,
    seed: int = 2024,
    engine: Callable[[], Any | None] = engine_workbook,
    functions: str = "native",
) -> Demo:
    """Write the demo workbooks and the per-worker result CSV into ``folder``.

    ``functions`` is ``native`` or ``cw`` (module docstring). ``engine`` gives the engine's
    ``Workbook`` class, or ``None`` to keep the pure model's values (what happens when the
    engine cannot be imported).
    """
    if functions not in FUNCTIONS:
        raise ValueError(f"functions must be one of {', '.join(FUNCTIONS)}, not {functions!r}")
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    service = synthetic_service(policy, seed)
    history = service_history(service, policy)
    demo = Demo(folder, service, history, functions=functions)
    workbook_class = engine()
    demo.recalculated_by = "engine" if workbook_class is not None else "pure functions"
    with tempfile.TemporaryDirectory(prefix="caseload-demo-") as scratch:
        writer = RecalculatingWriter(Path(scratch), workbook_class)
        _write_demo(demo, policy, writer)
    return demo


def _write_demo(demo: Demo, policy: Policy, writer: RecalculatingWriter) -> None:
    functions = demo.functions
    folder, service, history = demo.folder, demo.service, demo.history
    latest = history[-1]
    tracker = folder / "team-caseload-tracker.xlsx"
    demo.errors += writer.save(
        tracker_spec(
            policy,
            latest.workers_rows,
            latest.cases_rows,
            "Team caseload tracker (demo)",
            functions,
        ),
        tracker,
    )
    demo.files.append(tracker)
    result = folder / "workers-result.csv"
    write_csv(latest.weighing.result, result)
    demo.files.append(result)
    quarter = history[-3:]
    gmt = folder / "gmt-quarterly-review.xlsx"
    demo.errors += writer.save(
        gmt_spec(policy, [m.month for m in quarter], [m.teams for m in quarter]), gmt
    )
    demo.files.append(gmt)
    records = folder / "supervision"
    records.mkdir(exist_ok=True)
    for index, worker in enumerate(service.workers):
        if worker["role"] in ("TM", "PS", "SPS"):
            continue
        months = supervision_months(service, history, index)
        first_asye = history[0].workers_rows[index + 1][4]
        path = records / f"supervision-{worker['worker_id']}.xlsx"
        demo.errors += writer.save(
            supervision_spec(
                policy,
                {**worker, "asye_months": first_asye},
                months,
                first_month=history[0].month,
                supervisor=_supervisor(service, worker),
                functions=functions,
            ),
            path,
        )
        demo.files.append(path)
