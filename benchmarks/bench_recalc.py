"""Benchmark: `caseload recalc` against LibreOffice headless on a 5,000-case team tracker.

Two copies of one tracker are built: one whose weights, capacities and result tables come from
the CW_ functions (what our engine calculates) and one with native Excel formulas in their
place (what LibreOffice can calculate). Both tools run as separate processes, side by side,
from a cold start; the ratio engine/LibreOffice is printed with the engine's peak memory. Each
tool runs once untimed first: LibreOffice creates its profile, Python its compiled bytecode.

    python benchmarks/bench_recalc.py [--cases 5000] [--repeat 3]
"""

from __future__ import annotations

import argparse
import os
import random
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from openpyxl import Workbook
from openpyxl.worksheet.table import Table, TableStyleInfo

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

TEAMS = ["AI", "SGCP", "CWD", "LAC", "LC"]
ROLES = ["SW", "SW", "SW", "ASYE", "SSW", "PS"]
CATEGORIES = ["CIN", "CP", "LAC", "PROC", "CIN", "CP"]
CATEGORY_WEIGHT = {"CIN": 1.0, "CP": 1.25, "LAC": 1.0, "PROC": 1.5}
TEAM_MAX = {"AI": 22.0, "SGCP": 18.0, "CWD": 25.0, "LAC": 18.0, "LC": 25.0}


def build_tracker(path: Path, cases: int, native: bool, seed: int = 7) -> Path:
    """Write a team tracker with ``cases`` cases (one worker per 20 cases).

    ``native``: plain Excel formulas only (per-row INDEX/MATCH, SUMIFS, COUNTIFS); otherwise
    the CW_ functions do the weighting, capacity and result tables.
    """
    rng = random.Random(seed)
    workers = max(2, cases // 20)
    book = Workbook()
    ws = book.active
    ws.title = "Workers"
    ws.append(["worker_id", "team", "role", "fte", "children", "weighted", "capacity", "load"])
    for i in range(1, workers + 1):
        ws.append([f"W{i:04d}", rng.choice(TEAMS), rng.choice(ROLES), rng.choice([1, 1, 0.8, 0.5])])
    wc = book.create_sheet("Cases")
    wc.append(["case_id", "worker_id", "family_id", "category", "level", "status", "weight"])
    for i in range(1, cases + 1):
        status = "awaiting closure" if rng.random() < 0.1 else "active"
        wc.append(
            [
                f"C{i:05d}",
                f"W{rng.randint(1, workers):04d}",
                f"F{rng.randint(1, cases // 2):05d}",
                rng.choice(CATEGORIES),
                rng.choice([None, 1, 2, 3]),
                status,
            ]
        )
    last_case, last_worker = cases + 1, workers + 1
    cases_ref = f"Cases!$B$2:$B${last_case}"
    if native:
        policy = book.create_sheet("Policy")
        policy.append(["category", "weight", "team", "max"])
        for row, (cat, weight) in enumerate(CATEGORY_WEIGHT.items(), start=2):
            policy.cell(row, 1, cat)
            policy.cell(row, 2, weight)
        for row, (team, top) in enumerate(TEAM_MAX.items(), start=2):
            policy.cell(row, 3, team)
            policy.cell(row, 4, top)
        for r in range(2, last_case + 1):
            wc[f"G{r}"] = (
                f"=INDEX(Policy!$B$2:$B$5,MATCH(D{r},Policy!$A$2:$A$5,0))"
                f'*IF(E{r}="",1,1+(E{r}-1)*0.25)*IF(F{r}="awaiting closure",0.5,1)'
            )
        for r in range(2, last_worker + 1):
            ws[f"G{r}"] = (
                f'=IF(C{r}="PS",0,VLOOKUP(B{r},Policy!$C$2:$D$6,2,FALSE)*D{r}'
                f'*IF(C{r}="ASYE",0.9,1))'
            )
    else:
        wc["G2"] = (
            f"=CW_CASE_WEIGHT(Cases!$D$2:$D${last_case},Cases!$E$2:$E${last_case},"
            f"Cases!$F$2:$F${last_case},,,Cases!$B$2:$B${last_case},Cases!$C$2:$C${last_case})"
        )
        ws["G2"] = (
            f"=CW_CAPACITY(Workers!$B$2:$B${last_worker},Workers!$C$2:$C${last_worker},"
            f"Workers!$D$2:$D${last_worker})"
        )
        summary = book.create_sheet("Summary")
        summary["A1"] = f"=CW_WORKERS(Workers!$A$1:$D${last_worker},Cases!$A$1:$F${last_case})"
        summary["P1"] = f"=CW_TEAMS(Workers!$A$1:$D${last_worker},Cases!$A$1:$F${last_case})"
    for r in range(2, last_worker + 1):
        ws[f"E{r}"] = f"=COUNTIFS({cases_ref},A{r})"
        ws[f"F{r}"] = f"=SUMIFS(Cases!$G$2:$G${last_case},{cases_ref},A{r})"
        ws[f"H{r}"] = f'=IF(G{r}=0,"",100*F{r}/G{r})'
    team_sheet = book.create_sheet("Teams")
    team_sheet.append(["team", "workers", "children", "weighted"])
    for row, team in enumerate(TEAMS, start=2):
        team_sheet.cell(row, 1, team)
        team_sheet.cell(row, 2, f"=COUNTIFS(Workers!$B$2:$B${last_worker},A{row})")
        team_sheet.cell(
            row, 3, f"=SUMIFS(Workers!$E$2:$E${last_worker},Workers!$B$2:$B${last_worker},A{row})"
        )
        team_sheet.cell(
            row, 4, f"=SUMIFS(Workers!$F$2:$F${last_worker},Workers!$B$2:$B${last_worker},A{row})"
        )
    style = TableStyleInfo(name="TableStyleMedium2", showRowStripes=True)
    table = Table(displayName="CasesTable", ref=f"A1:F{last_case}")
    table.tableStyleInfo = style
    wc.add_table(table)
    ws.freeze_panes = "A2"
    book.save(path)
    return path


def _timed(command: list[str], env: dict[str, str] | None = None) -> float:
    start = time.perf_counter()
    subprocess.run(command, check=False, capture_output=True, timeout=900, env=env)
    return time.perf_counter() - start


def _engine_environment(folder: Path) -> dict[str, str]:
    """The engine's environment: Python keeps its compiled bytecode between runs (in a cache
    under ``folder``), as it does on any machine that has run a command once, even where
    ``PYTHONDONTWRITEBYTECODE`` is set (as on some CI machines)."""
    env = dict(os.environ)
    env.pop("PYTHONDONTWRITEBYTECODE", None)
    env["PYTHONPYCACHEPREFIX"] = str(folder / "pycache")
    return env


def main() -> None:
    """Build both trackers, time both tools, print the ratio and the engine's peak memory."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--cases", type=int, default=5000)
    parser.add_argument("--repeat", type=int, default=3)
    options = parser.parse_args()
    from addin.libreoffice import convert_command, make_profile, soffice

    with tempfile.TemporaryDirectory(prefix="bench-recalc-") as scratch:
        folder = Path(scratch)
        ours = build_tracker(folder / "tracker-cw.xlsx", options.cases, native=False)
        native = build_tracker(folder / "tracker-native.xlsx", options.cases, native=True)
        engine_cmd = [
            sys.executable,
            "-m",
            "addin.cli",
            "recalc",
            str(ours),
            "-o",
            str(folder / "out.xlsx"),
        ]
        program = soffice()
        profile = make_profile(folder / "lo-profile")
        lo_cmd = convert_command(program or "soffice", profile, native, "xlsx", folder / "lo")
        engine_env = _engine_environment(folder)
        _timed(engine_cmd, engine_env)  # first run compiles the bytecode: not counted
        if program:
            _timed(lo_cmd)  # first start creates the profile: not counted
        engine_times, lo_times = [], []
        for _ in range(options.repeat):
            engine_times.append(_timed(engine_cmd, engine_env))
            if program:
                lo_times.append(_timed(lo_cmd))
        peak_mb = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024
        if program:  # soffice is a child too: measure the engine alone
            probe = subprocess.run(
                [
                    sys.executable,
                    "-c",
                    "import resource,subprocess,sys;"
                    f"subprocess.run({engine_cmd!r},capture_output=True);"
                    "print(resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss/1024)",
                ],
                capture_output=True,
                text=True,
                check=True,
            )
            peak_mb = float(probe.stdout.strip())
        engine, lo = min(engine_times), min(lo_times) if lo_times else float("nan")
        print(f"cases: {options.cases}  (best of {options.repeat}, cold processes)")
        print(f"engine (caseload recalc, CW_ functions): {engine:.2f} s, peak {peak_mb:.0f} MB")
        if program:
            print(f"LibreOffice headless (native formulas):  {lo:.2f} s")
            print(f"ratio engine/LibreOffice: {engine / lo:.2f}")
        else:
            print("LibreOffice not installed: no ratio")


if __name__ == "__main__":
    main()
