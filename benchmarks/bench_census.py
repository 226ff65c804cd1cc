# ruff: noqa: E501 - the fixed xlsx parts are kept one element per line
"""Benchmark: a national-scale batch into the census return. Run: python benchmarks/bench_census.py

150 trackers, about 400,000 cases and 35,000 workers, are generated into a temporary folder
(written straight as minimal xlsx parts, which takes seconds), then read, checked, weighed as one
service and written as the census XML, in-process, as ``caseload return census`` does.
Goal: under 60 s on 2 cores. Identifiers are synthetic; no names.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
import zipfile
from datetime import date
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from addin.returns import census  # noqa: E402
from addin.returns.batch import read_batch  # noqa: E402
from udfs.policy import load_policy  # noqa: E402

CONTENT_TYPES = (
    '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>'
    '<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">'
    '<Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/>'
    '<Default Extension="xml" ContentType="application/xml"/>'
    '<Override PartName="/xl/workbook.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml"/>'
    '<Override PartName="/xl/worksheets/sheet1.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.worksheet+xml"/>'
    '<Override PartName="/xl/worksheets/sheet2.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.worksheet+xml"/>'
    "</Types>"
)  # fmt: skip
RELS = (
    '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>'
    '<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
    '<Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/officeDocument" Target="xl/workbook.xml"/>'
    "</Relationships>"
)  # fmt: skip
WORKBOOK = (
    '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>'
    '<workbook xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main" '
    'xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/relationships"><sheets>'
    '<sheet name="Workers" sheetId="1" r:id="rId1"/><sheet name="Cases" sheetId="2" r:id="rId2"/>'
    "</sheets></workbook>"
)  # fmt: skip
WORKBOOK_RELS = (
    '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>'
    '<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
    '<Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/worksheet" Target="worksheets/sheet1.xml"/>'
    '<Relationship Id="rId2" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/worksheet" Target="worksheets/sheet2.xml"/>'
    "</Relationships>"
)  # fmt: skip


def _sheet(rows: list[list[object]]) -> str:
    """A worksheet part: text as inline strings, numbers as values, None as no cell."""
    parts = [
        '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>'
        '<worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"><sheetData>'
    ]
    for row in rows:
        cells = []
        for value in row:
            if value is None:
                cells.append("<c/>")
            elif isinstance(value, str):
                cells.append(f'<c t="inlineStr"><is><t>{value}</t></is></c>')
            else:
                cells.append(f"<c><v>{value}</v></c>")
        parts.append("<row>" + "".join(cells) + "</row>")
    parts.append("</sheetData></worksheet>")
    return "".join(parts)


def write_fast_tracker(path: Path, workers: list[list[object]], cases: list[list[object]]) -> None:
    """A minimal valid xlsx with Workers and Cases sheets."""
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED, compresslevel=1) as book:
        book.writestr("[Content_Types].xml", CONTENT_TYPES)
        book.writestr("_rels/.rels", RELS)
        book.writestr("xl/workbook.xml", WORKBOOK)
        book.writestr("xl/_rels/workbook.xml.rels", WORKBOOK_RELS)
        book.writestr("xl/worksheets/sheet1.xml", _sheet(workers))
        book.writestr("xl/worksheets/sheet2.xml", _sheet(cases))


def generate(folder: Path, trackers: int, cases: int, workers: int, seed: int = 11) -> list[Path]:
    """``trackers`` synthetic trackers sharing out ``cases`` and ``workers``."""
    rng = np.random.default_rng(seed)
    teams = ["AI", "SGCP", "CWD", "LAC", "LC", "EOC"]
    roles = ["SW", "SW", "SW", "SSW", "ASYE", "PS", "TM"]
    categories = ["CIN", "CP", "LAC", "PROC", "ASMT", "CL"]
    paths = []
    case_no = worker_no = 0
    for t in range(trackers):
        n_w = workers // trackers
        n_c = cases // trackers
        team = teams[t % len(teams)]
        w_rows: list[list[object]] = [["worker_id", "team", "role", "fte", "agency", "asye_months"]]
        ids = []
        for _ in range(n_w):
            worker_no += 1
            role = roles[rng.integers(len(roles))]
            ids.append(f"W{worker_no:06d}")
            w_rows.append(
                [ids[-1], team, role, float(rng.choice([1.0, 0.8, 0.5])),
                 "yes" if rng.random() < 0.15 else "no", 6 if role == "ASYE" else None]
            )  # fmt: skip
        c_rows: list[list[object]] = [
            ["case_id", "worker_id", "team", "family_id", "category", "level"]
        ]
        holders = rng.integers(0, n_w, n_c)
        for i in range(n_c):
            case_no += 1
            allocated = rng.random() > 0.02
            c_rows.append(
                [f"C{case_no:07d}", ids[holders[i]] if allocated else None, team,
                 f"F{case_no // 2:07d}", categories[rng.integers(len(categories))],
                 int(rng.integers(1, 5)) if rng.random() < 0.5 else None]
            )  # fmt: skip
        path = folder / f"tracker-{t:03d}.xlsx"
        write_fast_tracker(path, w_rows, c_rows)
        paths.append(path)
    return paths


def main() -> None:
    """Generate the batch, run the census on it and print the times."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--trackers", type=int, default=150)
    parser.add_argument("--cases", type=int, default=400_000)
    parser.add_argument("--workers", type=int, default=35_000)
    args = parser.parse_args()
    policy = load_policy("gateshead")
    with tempfile.TemporaryDirectory() as folder:
        start = time.perf_counter()
        paths = generate(Path(folder), args.trackers, args.cases, args.workers)
        generated = time.perf_counter() - start
        start = time.perf_counter()
        batch = read_batch(paths, policy, date(2025, 9, 30), progress=True)
        read = time.perf_counter() - start
        result = census.build_census(batch.weighing, batch.extra, date(2025, 9, 30), "123")
        problems = census.validate(result)
        out = Path(folder) / "census.xml"
        census.write_xml(result, out)
        total = time.perf_counter() - start
        figure = census.dfe_caseload(result)
    print(f"generated {len(paths)} trackers in {generated:.1f} s (not timed below)")
    print(
        f"census: {len(result.workers)} workers, {len(batch.weighing.cases)} cases, "
        f"{len(batch.failures)} unusable file(s), {len(batch.rejections)} rejection(s), "
        f"{len(problems)} problem(s) listed"
    )
    print(census.caseload_line(figure))
    print(f"read+weigh {read:.1f} s; total to census XML {total:.1f} s (goal < 60 s on 2 cores)")


if __name__ == "__main__":
    main()
