"""Jobs the command line runs, as plain functions other code can call."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from pathlib import Path

from addin.tracker_io import read_raw_tracker
from udfs.intake import Intake, read_tracker
from udfs.model import Weighing, weigh
from udfs.policy import Policy


@dataclass(frozen=True)
class WeighedTracker:
    """A tracker read, checked and weighed."""

    path: Path
    intake: Intake
    weighing: Weighing


def weigh_tracker(path: str | Path, policy: Policy, as_at: date | None = None) -> WeighedTracker:
    """Read a tracker file and weigh it; raises ``TrackerUnusable`` when it cannot be used."""
    workers_raw, cases_raw = read_raw_tracker(path)
    intake = read_tracker(workers_raw, cases_raw, policy, as_at)
    weighing = weigh(intake.workers, intake.cases, policy, intake.incomplete_teams)
    return WeighedTracker(Path(path), intake, weighing)
