"""`caseload review gmt`: the GMT quarterly review filled from the monthly history.

Two small trackers (built here with openpyxl) are snapshotted with the real `snapshot` command
for June (before the quarter) and July-September 2025 into one history, and for July and
September only (August missing) into another. Every figure checked below is worked out by hand.

Tracker A, team SGCP: A1 SW 1.0 FTE with 20 CIN children (own families: 20 wu, over 18 every
month); A2 SW 0.5 FTE with 6 CIN children in June and July (max 9: not over) and 10 in August
and September (over); A3 TM 1.0 FTE, no cases; unallocated 2 CP and 1 FH (other).
Tracker B, team LAC: B1 agency SW 1.0 FTE with 12 LAC; B2 ASYE 1.0 FTE with 5 LAC;
unallocated 1 LAC and 2 CIN.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest
from click.testing import CliRunner
from libreoffice_checks import error_cells, needs_lo, same_value, unexpected_errors
from openpyxl import load_workbook
from test_returns_helpers import team_tracker

from addin.cli import main
from addin.libreoffice import convert
from addin.returns.gmt_review import gmt_review_spec, quarter_month_figures
from udfs.policy import load_policy
from workbook_templates.builder import formula_cells

GATESHEAD = load_policy("gateshead")
A2_CASES = {"2025-06": 6, "2025-07": 6, "2025-08": 10, "2025-09": 10}
NA = "not available"
GROUPS = ("child protection", "looked after", "child in need", "other")


def tracker_a(path: Path, a2_cases: int) -> Path:
    """Team SGCP, canonical layout (see the module docstring)."""
    workers = [
        ["A1", "SGCP", "SW", 1, None, "no"],
        ["A2", "SGCP", "SW", 0.5, None, "no"],
        ["A3", "SGCP", "TM", 1, None, "no"],
    ]
    held = (("A1", 20), ("A2", a2_cases))
    return team_tracker(path, "SGCP", workers, held, "CIN", ("CP", "CP", "FH"), "A")


def tracker_b(path: Path) -> Path:
    """Team LAC: an agency worker and an ASYE (see the module docstring)."""
    workers = [
        ["B1", "LAC", "SW", 1, None, "yes"],
        ["B2", "LAC", "ASYE", 1, 12, "no"],
    ]
    held = (("B1", 12), ("B2", 5))
    return team_tracker(path, "LAC", workers, held, "LAC", ("LAC", "CIN", "CIN"), "B")


def _snapshot(root: Path, db: Path, months: list[str]) -> None:
    runner = CliRunner()
    for month in months:
        folder = root / month
        folder.mkdir(parents=True)
        a = tracker_a(folder / "tracker-a.xlsx", A2_CASES[month])
        b = tracker_b(folder / "tracker-b.xlsx")
        result = runner.invoke(
            main, ["snapshot", str(a), str(b), "--month", month, "--db", str(db), "--quiet"]
        )
        assert result.exit_code == 0, result.output


@pytest.fixture(scope="module")
def histories(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    """``full``: June to September; ``gap``: July and September (August missing)."""
    root = tmp_path_factory.mktemp("review-gmt")
    full, gap = root / "full.sqlite", root / "gap.sqlite"
    _snapshot(root / "full", full, list(A2_CASES))
    _snapshot(root / "gap", gap, ["2025-07", "2025-09"])
    return {"full": full, "gap": gap}


def _review(db: Path, out: Path, quarter: str = "2025Q3", *extra: str):
    result = CliRunner().invoke(
        main, ["review", "gmt", "--quarter", quarter, "--db", str(db), "-o", str(out), *extra]
    )
    return result


def _blocks(book) -> list[dict]:
    """Per month block of the Review sheet: its month, availability flag and team rows
    (team -> {header: value})."""
    sheet = book["Review"]
    blocks = []
    for r in range(1, sheet.max_row + 1):
        if sheet.cell(r, 1).value != "month":
            continue
        headers = [sheet.cell(r + 1, c).value for c in range(1, 22)]
        rows = {}
        for rr in range(r + 2, r + 2 + len(GATESHEAD.teams) + 1):
            rows[sheet.cell(rr, 1).value] = {
                h: sheet.cell(rr, c).value for c, h in enumerate(headers, start=1)
            }
        blocks.append({"month": sheet.cell(r, 2).value, "flag": sheet.cell(r, 3).value, **rows})
    assert len(blocks) == 3
    return blocks


def _data(book) -> dict[tuple[str, str], dict]:
    """Rows of the Data sheet keyed by (YYYY-MM, team)."""
    sheet = book["Data"]
    headers = [c.value for c in sheet[1]]
    out = {}
    for row in sheet.iter_rows(min_row=2, values_only=True):
        if row[0] is None:
            continue
        record = dict(zip(headers, row, strict=True))
        out[(record["month"].strftime("%Y-%m"), record["team"])] = record
    return out


def test_review_figures_worked_by_hand(histories, tmp_path: Path) -> None:
    out = tmp_path / "gmt-2025Q3.xlsx"
    result = _review(histories["full"], out)
    assert result.exit_code == 0, result.output
    book = load_workbook(out, data_only=True)
    july, august, september = _blocks(book)
    assert [b["month"] for b in (july, august, september)] == [
        dt.datetime(2025, m, 1) for m in (7, 8, 9)
    ]
    assert all(b["flag"] in (None, "") for b in (july, august, september))

    for block, children in ((july, 26), (august, 30), (september, 30)):
        sgcp, lac, service = block["SGCP"], block["LAC"], block["SERVICE"]
        # SGCP: A1 20 + A2 6 or 10 children on 1.5 case-holding FTE (the TM holds none)
        assert sgcp["workers"] == 3 and sgcp["case-holding FTE"] == pytest.approx(1.5)
        assert sgcp["children"] == children
        assert sgcp["children per FTE"] == pytest.approx(children / 1.5)
        assert sgcp["weighted per FTE"] == pytest.approx(children / 1.5)  # 1 wu per child
        assert (sgcp["range min"], sgcp["range max"], sgcp["service aim"]) == (16, 18, 18)
        unallocated = [sgcp[f"unallocated {g}"] for g in GROUPS]
        assert unallocated == [2, 0, 0, 1]
        assert (sgcp["agency"], sgcp["ASYE"]) == (0, 0)
        # LAC: 17 children on 2.0 FTE; one agency worker, one ASYE
        assert (lac["workers"], lac["children"], lac["case-holding FTE"]) == (2, 17, 2)
        assert lac["children per FTE"] == pytest.approx(8.5)
        assert lac["children per FTE vs range"] == "below range"
        unallocated = [lac[f"unallocated {g}"] for g in GROUPS]
        assert unallocated == [0, 1, 2, 0]
        assert (lac["agency"], lac["ASYE"], lac["workers over maximum"]) == (1, 1, 0)
        # the service: 5 workers, 3.5 FTE; SGCP above the service average needs GMT agreement
        assert service["children"] == children + 17
        assert service["case-holding FTE"] == pytest.approx(3.5)
        assert service["children per FTE"] == pytest.approx((children + 17) / 3.5)
        assert service["unallocated child protection"] == 2
        assert service["unallocated child in need"] == 2
        assert (service["agency"], service["ASYE"]) == (1, 1)
        assert sgcp["above service average"] == "GMT agreement needed"
        assert lac["above service average"] in (None, "")
        # a team with no worker this quarter has nothing to average
        assert block["AI"]["workers"] == 0 and block["AI"]["children per FTE"] in (None, "")

    assert july["SGCP"]["children per FTE vs range"] == "within range"  # 17.3 in 16-18
    assert september["SGCP"]["children per FTE vs range"] == "above range"  # 20
    assert september["SGCP"]["vs service aim"] == "above aim"
    # workers over: A1 every month; A2 from August
    over = [b["SGCP"]["workers over maximum"] for b in (july, august, september)]
    assert over == [1, 2, 2]
    # A1 over since June: 2 months in July, 3 in August, 4 (> 3) in September
    long_over = [b["SGCP"]["over for more than 3 months"] for b in (july, august, september)]
    assert long_over == [0, 0, 1]
    assert [b["SERVICE"]["over for more than 3 months"] for b in (july, august, september)] == [
        0,
        0,
        1,
    ]

    data = _data(book)
    assert {m for m, _ in data} == {"2025-07", "2025-08", "2025-09"}  # June is not in Q3
    assert {t for _, t in data} == {"SGCP", "LAC", "SERVICE"}
    sep = data[("2025-09", "SGCP")]
    assert (sep["children"], sep["families"], sep["case_holding_fte"]) == (30, 30, 1.5)
    assert (sep["workers_over"], sep["workers_over_long"]) == (2, 1)
    assert data[("2025-08", "SGCP")]["workers_over_long"] == 0
    assert data[("2025-07", "LAC")]["families"] == 17


def test_month_missing_shows_not_available(histories, tmp_path: Path) -> None:
    out = tmp_path / "gap.xlsx"
    result = _review(histories["gap"], out)
    assert result.exit_code == 0, result.output
    assert "2025-08: no snapshot" in result.output
    book = load_workbook(out, data_only=True)
    july, august, september = _blocks(book)
    assert august["month"] == dt.datetime(2025, 8, 1) and august["flag"] == NA
    for team in ("SGCP", "LAC", "AI", "SERVICE"):
        for header in (
            "workers",
            "case-holding FTE",
            "children",
            "children per FTE",
            "weighted per FTE",
            "workers over maximum",
            "over for more than 3 months",
            "unallocated child protection",
            "agency",
            "ASYE",
        ):
            assert august[team][header] == NA, (team, header)
    assert august["SGCP"]["above service average"] in (None, "")
    assert august["SGCP"]["range max"] == 18  # the policy's range is still known
    assert july["SGCP"]["children"] == 26 and september["SGCP"]["children"] == 30
    # the missing August ends A1's run: over in September for 1 month only
    assert september["SGCP"]["workers over maximum"] == 2
    assert september["SGCP"]["over for more than 3 months"] == 0
    assert {m for m, _ in _data(book)} == {"2025-07", "2025-09"}
    # the trend table copies the block: August is not available there either
    review = book["Review"]
    trend = next(
        r
        for r in range(1, review.max_row + 1)
        if str(review.cell(r, 1).value).startswith("Trend over the quarter: children")
    )
    row = next(r for r in range(trend, trend + 15) if review.cell(r, 1).value == "SGCP")
    assert review.cell(row, 2).value == pytest.approx(26 / 1.5)
    assert review.cell(row, 3).value == NA
    assert review.cell(row, 4).value == pytest.approx(20.0)
    # the line chart reads a copy where August is #N/A: a gap, never a point at 0
    chart = next(c for c in review._charts if c.tagname == "lineChart")
    refs = [series.val.numRef.f for series in chart.series]
    sgcp = next(f for f in refs if f.endswith(f"{row}"))
    first, last = sgcp.split("!")[1].replace("$", "").split(":")
    values = [c.value for c in review[f"{first}:{last}"][0]]
    assert values[0] == pytest.approx(26 / 1.5) and values[1] == "#N/A"
    assert values[2] == pytest.approx(20.0)


def test_exit_status_and_inputs_kept(histories, tmp_path: Path) -> None:
    missing_db = _review(tmp_path / "none.sqlite", tmp_path / "x.xlsx")
    assert missing_db.exit_code == 2 and "no history database" in missing_db.output
    assert not (tmp_path / "none.sqlite").exists()
    no_month = _review(histories["full"], tmp_path / "x.xlsx", "2024Q1")
    assert no_month.exit_code == 2 and "no snapshot" in no_month.output
    bad_quarter = _review(histories["full"], tmp_path / "x.xlsx", "2025Q5")
    assert bad_quarter.exit_code == 2
    assert not (tmp_path / "x.xlsx").exists()
    # an output that is an input (here the history itself) is refused, the input untouched
    db_copy = tmp_path / "history.xlsx"
    db_copy.write_bytes(histories["full"].read_bytes())
    before = db_copy.read_bytes()
    refused = _review(db_copy, db_copy)
    assert refused.exit_code == 2 and "refusing" in refused.output
    assert db_copy.read_bytes() == before
    policy_file = tmp_path / "policy.xlsx"  # an odd name, but an input all the same
    policy_file.write_text("extends: gateshead\n")
    refused = _review(histories["full"], policy_file, "2025Q3", "--policy", str(policy_file))
    assert refused.exit_code == 2 and policy_file.read_text() == "extends: gateshead\n"
    not_sqlite = tmp_path / "not.sqlite"
    not_sqlite.write_text("not a database")
    assert _review(not_sqlite, tmp_path / "y.xlsx").exit_code == 2


@pytest.mark.libreoffice
@needs_lo
def test_libreoffice_recalculation_has_no_error_cells(histories, tmp_path: Path) -> None:
    out = tmp_path / "gap.xlsx"
    assert _review(histories["gap"], out).exit_code == 0
    figures = quarter_month_figures(histories["gap"], "2025Q3", GATESHEAD)
    written = formula_cells(gmt_review_spec(figures, GATESHEAD))
    book = load_workbook(convert(out, "xlsx", tmp_path / "lo", recalculate=True), data_only=True)
    errors = error_cells(book)
    assert not unexpected_errors(errors, written), errors[:10]
    assert any(e[2] == "#N/A" for e in errors)  # August's gap in the charts
    # LibreOffice's own calculation gives the values cached by Python, "not available" too
    wrong = [
        (c.sheet, c.ref, c.formula, book[c.sheet][c.ref].value, c.cached)
        for c in written
        if not c.uses_cw and not same_value(book[c.sheet][c.ref].value, c.cached)
    ]
    assert not wrong, wrong[:10]
    july, august, september = _blocks(book)
    assert august["flag"] == NA and august["SERVICE"]["children"] == NA
    assert july["SGCP"]["children per FTE"] == pytest.approx(26 / 1.5)
    assert september["SERVICE"]["children per FTE"] == pytest.approx(47 / 3.5)
    assert september["SGCP"]["above service average"] == "GMT agreement needed"
