"""Benchmarks of the weighting engine (issue 2). Run: python benchmarks/bench_weigh.py

1. National scale in-process: 35,000 workers and 600,000 cases through ``weigh`` (goal < 1 s),
   against a baseline measured in the same run: a plain count of cases per worker (``bincount``
   over the same case column), the least any per-worker figure can cost.
2. ``caseload weigh`` on a 5,000-case tracker, in-process (read, check, weigh, write the CSV)
   against python-calamine just reading the same file (goal: at most 1.5x).

Times are the best of several repeats; ratios are what to compare between machines.
"""

from __future__ import annotations

import io
import sys
import tempfile
import time
from collections.abc import Callable
from contextlib import redirect_stdout
from pathlib import Path

import numpy as np
import pandas as pd
import python_calamine

sys.path.insert(0, str(Path(__file__).parent))
from synthetic_service import service, write_tracker  # noqa: E402

from addin.jobs import weigh_tracker  # noqa: E402
from addin.outputs import write_table  # noqa: E402
from udfs.model import weigh  # noqa: E402
from udfs.policy import load_policy  # noqa: E402


def best_of(function: Callable[[], object], repeats: int) -> float:
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        function()
        times.append(time.perf_counter() - start)
    return min(times)


def national(repeats: int = 3) -> None:
    policy = load_policy("gateshead")
    workers, cases = service(35_000, 600_000, policy)

    def baseline() -> None:
        codes = pd.Index(workers["worker_id"]).get_indexer(cases["worker_id"])
        np.bincount(codes[codes >= 0], minlength=len(workers))

    base = best_of(baseline, repeats)
    full = best_of(lambda: weigh(workers, cases, policy), repeats)
    print(f"national weigh: 35,000 workers, 600,000 cases: {full:.3f} s (goal < 1 s)")
    print(
        f"  baseline (count of cases per worker): {base:.3f} s; "
        f"ratio weigh/baseline {full / base:.1f}x"
    )


def tracker_command(repeats: int = 20) -> None:
    policy = load_policy("gateshead")
    workers, cases = service(400, 5_000, policy, seed=11)
    with tempfile.TemporaryDirectory() as folder:
        path = write_tracker(workers, cases, Path(folder) / "tracker-5000.xlsx")

        def calamine_read() -> None:
            book = python_calamine.CalamineWorkbook.from_path(str(path))
            for name in ("Workers", "Cases"):
                book.get_sheet_by_name(name).to_python()

        def weigh_command() -> None:
            job = weigh_tracker(path, policy)
            with redirect_stdout(io.StringIO()):
                write_table(job.weighing.result, None)

        # interleaved, so that both see the same machine (a shared VM's speed drifts)
        rounds = [(best_of(calamine_read, 1), best_of(weigh_command, 1)) for _ in range(repeats)]
        base = min(r[0] for r in rounds)
        full = min(r[1] for r in rounds)
    print(f"caseload weigh, 5,000-case tracker: {full:.3f} s; calamine read alone {base:.3f} s")
    print(f"  ratio weigh/read {full / base:.2f}x (goal <= 1.5x)")


if __name__ == "__main__":
    national()
    tracker_command()
