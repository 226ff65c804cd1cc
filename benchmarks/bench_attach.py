"""LibreOffice opening an attached tracker (native formulas recalculated on load) against the
same tracker without our sheets, in the same run: team (300 cases) to large (5,000 cases).

    python benchmarks/bench_attach.py [--sizes 300 2600 5000] [--repeat 2]

Each file is converted to CSV by a cold headless LibreOffice whose profile recalculates on load
(load + full recalculation, little writing); the best of ``--repeat`` runs is kept. Goals
(issue 8): at most 1.5x for 300 cases, at most 4x for 5,000, and 2,600 -> 5,000 cases at most
2.5x in time.
"""

from __future__ import annotations

import argparse
import random
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from addin.attach import attach  # noqa: E402
from addin.libreoffice import convert, make_profile, soffice  # noqa: E402
from tests.random_trackers import CASE_HEADER, WORKER_HEADER, write_tracker  # noqa: E402
from udfs.policy import load_policy  # noqa: E402


def tracker(cases: int, seed: int = 7) -> tuple[list[list[object]], list[list[object]]]:
    """A clean tracker: about 18 cases per worker, families of one to three children."""
    rng = random.Random(seed)
    policy = load_policy("gateshead")
    teams = [t for t in policy.teams if t not in ("IRO", "ADOPT")]
    workers = [WORKER_HEADER] + [
        [f"W{n:04d}", rng.choice(teams), rng.choice(["SW", "SW", "SSW", "ASYE"]),
         rng.choice([1, 1, 0.8, 0.5]), rng.choice([None, 6]), "no", None]
        for n in range(max(2, cases // 18))
    ]  # fmt: skip
    rows = [CASE_HEADER]
    family = 0
    while len(rows) <= cases:
        family += 1
        worker = rng.randrange(1, len(workers))
        for _ in range(rng.choice([1, 1, 2, 3])):
            rows.append([
                f"C{len(rows):05d}", workers[worker][0], None, f"F{family:05d}",
                rng.choice(["CIN", "CP", "LAC", "PROC", "ASMT"]), rng.choice([None, 2, 3]),
                rng.choice(["active"] * 9 + ["awaiting_closure"]), rng.choice([None, 25]),
                None, None,
            ])  # fmt: skip
    return workers, rows[: cases + 1]


def best(path: Path, repeat: int, scratch: Path) -> float:
    times = []
    for attempt in range(repeat):
        profile = make_profile(scratch / f"profile-{path.stem}-{attempt}")
        start = time.perf_counter()
        convert(path, "csv", scratch / "out", profile=profile)
        times.append(time.perf_counter() - start)
    return min(times)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[300, 2600, 5000])
    parser.add_argument("--repeat", type=int, default=2)
    args = parser.parse_args()
    if soffice() is None:
        sys.exit("LibreOffice (soffice) is not installed")
    policy = load_policy("gateshead")
    attached_times = {}
    with tempfile.TemporaryDirectory() as folder:
        scratch = Path(folder)
        print(f"{'cases':>6} {'plain s':>8} {'attached s':>11} {'ratio':>6}")
        for size in args.sizes:
            workers, cases = tracker(size)
            plain = write_tracker(scratch / f"plain-{size}.xlsx", workers, cases)
            native = scratch / f"attached-{size}.xlsx"
            attach(plain, native, policy)
            base, ours = best(plain, args.repeat, scratch), best(native, args.repeat, scratch)
            attached_times[size] = ours
            print(f"{size:>6} {base:>8.2f} {ours:>11.2f} {ours / base:>6.2f}x", flush=True)
    if 2600 in attached_times and 5000 in attached_times:
        print(f"attached 2,600 -> 5,000 cases: {attached_times[5000] / attached_times[2600]:.2f}x")


if __name__ == "__main__":
    main()
