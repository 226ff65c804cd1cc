"""The CW_ functions as plain Python callables, one call per column."""

from __future__ import annotations

import pytest

from udfs.errors import CellError
from udfs.excel import (
    CW_CAPACITY,
    CW_CASE_WEIGHT,
    CW_ESCALATION,
    CW_LOAD,
    CW_MONTHS_OVER,
    CW_POLICY,
    CW_RANGE,
    CW_REJECTIONS,
    CW_STATUS,
    CW_TEAMS,
    CW_WORKERS,
)


def col(*values):
    return [[v] for v in values]


def test_case_weight_over_a_column_applies_every_step_and_errors_only_the_bad_row():
    out = CW_CASE_WEIGHT(
        col("CP", "CP", "PROC", "CIN", "BAD", "CIN", None, "FA"),
        level=col(None, None, None, None, None, 9, None, None),
        status=col(None, None, None, "awaiting closure", None, None, None, None),
        distance_miles=col(None, None, 25, None, None, None, None, None),
        worker_id=col("A", "A", "A", "A", "A", "A", None, "A"),
        family_id=col("F1", "F1", "F2", None, None, None, None, None),
    )
    values = [row[0] for row in out]
    assert values[:4] == [1.25, 0.625, 1.75, 0.25]
    assert isinstance(values[4], CellError) and "unknown category" in values[4].reason
    assert (
        isinstance(values[5], CellError)
        and "row 6" in values[5].reason
        and "level 9" in values[5].reason
    )
    assert values[6] is None  # a blank row stays blank
    assert values[7] == 0.0  # separately capped work adds nothing to weighted


def test_case_weight_sibling_tie_goes_to_the_earlier_row():
    out = CW_CASE_WEIGHT(col("CIN", "CIN"), worker_id=col("A", "A"), family_id=col("F", "F"))
    assert out == [[1.0], [0.5]]


def test_capacity_range_status_and_load_columns():
    cap_max = CW_CAPACITY(
        col("SGCP", "CWD", "AI"), col("ASYE", "SW", "PS"), col(1, "50%", 1), col(6, None, None)
    )
    cap_min = CW_CAPACITY(
        col("SGCP", "CWD", "AI"),
        col("ASYE", "SW", "PS"),
        col(1, "50%", 1),
        col(6, None, None),
        bound="min",
    )
    assert cap_max == [[pytest.approx(16.2)], [12.5], [0.0]]
    assert cap_min == [[pytest.approx(14.4)], [9.0], [0.0]]
    assert CW_RANGE(col("LC", "SGCP")) == [[20.0, 25.0], [16.0, 18.0]]
    assert CW_RANGE("LC", bound="max", under_18=True) == [[18.0]]
    status = CW_STATUS(
        col(11.875, 13, 1), [r[0] for r in cap_min], [r[0] for r in cap_max], col(12, 13, 1)
    )
    assert status == [["under"], ["over"], ["no caseload expected"]]
    assert CW_LOAD(col(9, 1), col(18, 0)) == [[50.0], [None]]


def test_capacity_reports_the_bad_row_and_computes_the_rest():
    out = CW_CAPACITY(col("AI", "AI"), col("SW", "SW"), col(1.5, 1))
    assert isinstance(out[0][0], CellError) and "FTE 1.5 is outside (0, 1]" in out[0][0].reason
    assert out[1] == [18.0]


def test_escalation_from_history_rows():
    history = [
        ["over", "over", "over", "over", None],  # four months running -> escalate
        ["within", "over", "over", "over", None],  # three -> record reason
        ["over", "within", None, None, None],  # not over this month
        [None, None, None, None, None],
    ]
    assert CW_MONTHS_OVER(history) == [[4], [3], [0], [0]]
    assert CW_ESCALATION(history) == [["escalate"], ["record reason"], [None], [None]]
    assert CW_ESCALATION(
        [["over"] * 3], policy=[["preset", "gateshead"], ["escalate_after_months", 2]]
    ) == [["escalate"]]


WORKERS = [
    ["worker_id", "team", "role", "fte", "agency"],
    ["A", "SGCP", "SW", 1, "no"],
    ["B", "SGCP", "ASYE", 0.5, "yes"],
    ["C", "LAC", "SW", 1, None],
]
CASES = [
    ["case_id", "worker_id", "team", "family_id", "category"],
    *[[f"a{i}", "A", None, f"F{i}", "CP"] for i in range(19)],
    ["b1", "B", None, None, "CIN"],
    ["c1", "C", None, "X", "LAC"],
    ["c2", "C", None, "X", "LAC"],
    ["u1", None, "SGCP", None, "CP"],
    ["u2", None, "LAC", None, "LAC"],
]


def test_whole_table_functions_with_a_policy_range():
    policy = CW_POLICY("gateshead")
    assert policy[0] == ["key", "value", "meaning", "source"]
    assert [
        "teams.SGCP.max",
        18.0,
        "Safeguarding and Care Planning: range maximum (children per full-time experienced worker)",
        "Gateshead Children's Social Work Caseload Policy, section 4.3",
    ] in policy
    table = CW_WORKERS(WORKERS, CASES, policy)
    rows = {r[0]: dict(zip(table[0], r, strict=True)) for r in table[1:]}
    assert rows["A"]["weighted"] == pytest.approx(23.75) and rows["A"]["status"] == "over"
    assert rows["A"]["breaches"] == "cp_families 19 > 3"
    assert rows["C"]["families"] == 1 and rows["C"]["weighted"] == 1.5

    teams = CW_TEAMS(WORKERS, CASES, policy)
    by_team = {r[0]: dict(zip(teams[0], r, strict=True)) for r in teams[1:]}
    assert by_team["SGCP"]["children"] == 20 and by_team["SGCP"]["case_holding_fte"] == 1.5
    assert by_team["SGCP"]["unallocated_CP"] == 1 and by_team["LAC"]["unallocated_LAC"] == 1
    assert by_team["SERVICE"]["unallocated"] == 2 and by_team["SERVICE"]["agency"] == 1
    assert by_team["SERVICE"]["children_per_fte"] == pytest.approx(22 / 2.5)
    assert by_team["SGCP"]["above_service_average"] is True
    assert by_team["LAC"]["above_service_average"] is False


def test_rejections_table_names_row_field_and_value_but_no_other_field():
    cases = [
        ["case_id", "worker_id", "category", "child_name"],
        ["c1", "A", "??", "Private Person"],
    ]
    out = CW_REJECTIONS(WORKERS, cases)
    assert out[1][:4] == ["Cases", 2, "category", "??"]
    assert "Private" not in repr(out)
    assert CW_REJECTIONS(WORKERS, CASES)[1][0] == "none"


def test_a_rejected_row_marks_the_team_figures_it_would_have_changed_incomplete():
    workers = [
        ["worker_id", "team", "role", "fte"],
        ["A", "AI", "SW", 1],
        ["B", "AI", "SW", 2],  # rejected: its team's figures are not whole
        ["C", "CWD", "SW", 1],
        ["D", "LC", "SW", 1],
    ]
    cases = [
        ["case_id", "worker_id", "team", "category"],
        ["a1", "A", None, "CIN"],
        ["b1", "B", None, "CIN"],
        ["c1", "C", None, "CIN"],
        ["u1", None, "LAC", "XX"],  # rejected unallocated case of LAC
        ["d1", "D", None, "CL"],
    ]
    table = CW_TEAMS(workers, cases)
    flags = {row[0]: row[table[0].index("incomplete")] for row in table[1:]}
    assert flags == {"AI": True, "CWD": False, "LAC": True, "LC": False, "SERVICE": True}
    clean = CW_TEAMS(workers[:2] + workers[3:], [cases[0], cases[1], cases[3], cases[5]])
    assert not any(row[clean[0].index("incomplete")] for row in clean[1:])


def test_capacity_reads_workers_fields_as_the_tracker_does():
    """One reader: a reduction typed as 150% is rejected (it was -9.0 when CW_CAPACITY had its
    own bounds), 20% reads as 20, and FTE 1.5 is rejected as in a tracker."""
    out = CW_CAPACITY(
        [["AI"], ["AI"], ["AI"]], [["SW"], ["SW"], ["SW"]], [[1], [1], [1.5]],
        reduction_pct=[["150%"], ["20%"], [None]],
    )  # fmt: skip
    assert isinstance(out[0][0], CellError) and "reduction_pct is above 100" in out[0][0].reason
    assert out[1][0] == pytest.approx(18 * 0.8)
    assert isinstance(out[2][0], CellError) and "FTE" in out[2][0].reason
