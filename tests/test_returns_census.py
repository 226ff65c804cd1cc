"""Census return, mapping proposals, and batch behaviour."""

from __future__ import annotations

import csv
from datetime import date

import yaml
from click.testing import CliRunner
from test_returns_helpers import canonical_tracker, mapped_tracker, write_book

from addin.cli import main
from addin.returns import census
from addin.returns.batch import read_batch
from addin.returns.mapping import Mapping, apply_mapping
from udfs.intake import RawTable
from udfs.policy import load_policy

GATESHEAD = load_policy("gateshead")


def run(*args):
    return CliRunner().invoke(main, [str(a) for a in args])


def test_census_xml_validates_and_rereads_the_same_numbers(tmp_path):
    a = canonical_tracker(tmp_path / "a.xlsx")
    b = mapped_tracker(tmp_path / "b.xlsx")
    out = tmp_path / "census.xml"
    result = run(
        "return", "census", "--as-at", "2025-09-30", a, b, "-o", out, "--lea", "123", "--quiet"
    )
    assert result.exit_code == 0, result.output
    # DfE caseload: 47 cases on 3.5 FTE of case holders (W4 is 24 per FTE, kept)
    assert "13.4" in result.output
    back = census.read_xml(out)
    assert [p for p in census.validate(back) if p.kind == "error"] == []
    records = dict(back.workers)
    assert list(records) == ["W1", "W2", "W3", "W4", "W5"]
    assert records["W1"] == {
        "AgencyWorker": "0",
        "FTE": "1.000000",
        "OrgRole": "5",
        "FTE30": "1.000000",
        "Cases30": "19",
    }
    assert records["W2"]["CFKSSstatus"] == "1" and records["W2"]["Cases30"] == "10"
    assert records["W3"]["OrgRole"] == "3" and records["W3"]["Cases30"] == "0"
    assert records["W4"]["AgencyWorker"] == "1" and records["W4"]["FTE30"] == "0.500000"
    assert back.header["LEA"] == "123" and back.header["ReferenceDate"] == "2025-09-30"
    assert back.vacancies == {"NoAgencyFTE": "0.50", "NoAgencyHeadcount": "1"}
    # HR items are reported missing, never invented
    assert "SWENo" not in records["W1"]
    assert "missing: worker W1: SWENo: HR supplies it" in result.output


def test_dfe_caseload_leaves_out_above_50_per_fte():
    c = census.Census(
        {},
        [
            ("a", {"Cases30": "18", "FTE30": "1.000000"}),
            ("b", {"Cases30": "11", "FTE30": "0.200000"}),  # 55 per FTE: left out
            ("c", {"Cases30": "0", "FTE30": "1.000000"}),  # not a case holder
            ("d", {"Cases30": "3", "FTE30": "0.000000"}),  # 0 FTE: left out
            ("e", {"Cases30": "6", "FTE30": "0.500000"}),
        ],
    )
    figure = census.dfe_caseload(c)
    assert figure["caseload_per_fte"] == 24 / 1.5
    assert (figure["left_out_above_50"], figure["left_out_zero_fte"]) == (1, 1)


def test_validator_lists_every_problem_by_worker_and_field():
    c = census.Census(
        {"ReferenceDate": "2025-09-30", "LEA": "12"},
        [
            (
                "W1",
                {
                    "AgencyWorker": "2",
                    "FTE": "0.5",
                    "FTE30": "1.500000",
                    "OrgRole": "5",
                    "Cases30": "3.5",
                    "Ethnicity": "XXXX",
                    "ReasonLeave": "3",
                },
            ),
        ],
    )
    found = {(p.worker, p.item) for p in census.errors(census.validate(c))}
    assert {
        ("(header)", "LEA"),
        ("W1", "AgencyWorker"),
        ("W1", "FTE"),
        ("W1", "FTE30"),
        ("W1", "Cases30"),
        ("W1", "Ethnicity"),
        ("W1", "ReasonLeave"),
    } <= found


def test_hr_items_given_are_kept_and_checked(tmp_path):
    path = write_book(
        tmp_path / "hr.xlsx",
        {
            "Workers": [
                ["worker_id", "team", "role", "fte", "SWENo", "Ethnicity"],
                ["W1", "AI", "SW", 1, "SW1234567890", "WBRI"],
                ["W2", "AI", "SW", 1, "bad", "WBRI"],
            ],
            "Cases": [["case_id", "worker_id", "category"], ["C1", "W1", "CIN"]],
        },
    )
    batch = read_batch([path], GATESHEAD, progress=False)
    c = census.build_census(batch.weighing, batch.extra, __import__("datetime").date(2025, 9, 30))
    records = dict(c.workers)
    assert records["W1"]["SWENo"] == "SW1234567890" and records["W1"]["Ethnicity"] == "WBRI"
    problems = census.errors(census.validate(c))
    assert [(p.worker, p.item) for p in problems] == [("(header)", "LEA")] or any(
        (p.worker, p.item) == ("W2", "SWENo") for p in problems
    )
    assert any((p.worker, p.item) == ("W2", "SWENo") for p in problems)


def test_hyperlink_in_a_tracker_comes_out_inert_in_csv(tmp_path):
    link = '=HYPERLINK("http://example.invalid","W9")'
    path = write_book(
        tmp_path / "t.xlsx",
        {
            "Workers": [["worker_id", "team", "role", "fte"], [link, "AI", "SW", 1]],
            "Cases": [["case_id", "worker_id", "category"], ["C1", link, "CIN"]],
        },
    )
    out = tmp_path / "census.csv"
    result = run(
        "return", "census", "--as-at", "2025-09-30", path, "-o", out, "--lea", "123", "--quiet"
    )
    assert result.exit_code == 0, result.output
    rows = list(csv.reader(out.open()))
    assert rows[1][0] == "'" + link
    assert rows[1][rows[0].index("Cases30")] == "1"
    assert rows[-1][0] == "SERVICE"
    assert census.read_csv(out).workers[0][0] == link


def test_one_unreadable_file_is_reported_and_the_others_processed(tmp_path):
    a = canonical_tracker(tmp_path / "a.xlsx")
    broken = tmp_path / "broken.xlsx"
    broken.write_text("not a workbook")
    out = tmp_path / "census.csv"
    result = run(
        "return", "census", "--as-at", "2025-09-30", a, broken, "-o", out, "--lea", "123", "--quiet"
    )
    assert result.exit_code == 1
    assert "broken.xlsx" in result.output
    assert out.exists() and "W1" in out.read_text()


def test_outputs_never_overwrite_inputs(tmp_path):
    a = canonical_tracker(tmp_path / "a.csv.xlsx")
    before = a.read_bytes()
    fake = tmp_path / "a.csv"
    fake.write_text("x")
    result = run("return", "census", "--as-at", "2025-09-30", fake, "-o", fake, "--quiet")
    assert result.exit_code == 2 and "refusing" in result.output
    assert fake.read_text() == "x" and a.read_bytes() == before


def test_census_date_must_be_30_september(tmp_path):
    a = canonical_tracker(tmp_path / "a.xlsx")
    result = run("return", "census", "--as-at", "2025-03-31", a, "-o", tmp_path / "o.xml")
    assert result.exit_code == 2 and "30 September" in result.output


def test_map_proposes_columns_and_codes(tmp_path):
    path = mapped_tracker(tmp_path / "b.xlsx")
    path.with_name("b.mapping.yaml").unlink()
    result = run("map", path)
    assert result.exit_code == 0, result.output
    proposal = yaml.safe_load((tmp_path / "b.mapping.yaml").read_text())
    assert proposal["confirmed"] is False
    assert proposal["sheets"] == {"Workers": "Staff", "Cases": "Caseload"}
    assert proposal["columns"]["Workers"]["WTE"] == "fte"
    assert proposal["columns"]["Cases"]["Child Ref"] == "case_id"
    assert proposal["values"]["role"] == {"Social Worker": "SW", "Newly Qualified": "ASYE"}
    assert proposal["values"]["category"] == {"Looked After": "LAC"}
    assert proposal["values"]["team"] == {"Looked After Children Team": "LAC"}
    # a second run keeps the person's file
    assert run("map", path).exit_code == 2


def test_apply_mapping_renames_and_recodes():
    raw = RawTable.from_rows("Cases", [["Child Ref", "Plan"], ["C1", " child protection "]])
    mapping = Mapping(
        columns={"Cases": {"child-ref": "case_id", "Plan": "category"}},
        values={"category": {"Child Protection": "CP"}},
    )
    mapped = apply_mapping(raw, mapping)
    assert list(mapped.frame.columns) == ["case_id", "category"]
    assert mapped.frame.iloc[0].tolist() == ["C1", "CP"]


def _census_of(tmp_path, workers: list[list[object]]):
    """The census (as at 30 September 2025) of a tracker with these Workers rows."""
    path = write_book(
        tmp_path / "hr.xlsx",
        {"Workers": workers, "Cases": [["case_id", "worker_id", "category"], ["C1", "W1", "CIN"]]},
    )
    batch = read_batch([path], GATESHEAD, progress=False)
    return batch, census.build_census(batch.weighing, batch.extra, date(2025, 9, 30), "123")


def test_a_leaver_has_fte_0_in_the_census_and_the_tracker_keeps_the_contract(tmp_path):
    header = ["worker_id", "team", "role", "fte", "RoleEndDate", "ReasonLeave", "LeaverDestination"]
    batch, c = _census_of(
        tmp_path,
        [
            header,
            ["W1", "AI", "SW", 0.8, "2025-08-31", 3, 2],  # left in the year: a leaver
            ["W2", "AI", "SW", 1, "2025-09-30", 3, 2],  # left on the reference date
            ["W3", "AI", "SW", 1, "2025-10-31", None, None],  # a future end date
        ],
    )
    records = dict(c.workers)
    for worker in ("W1", "W2"):
        assert records[worker]["FTE"] == records[worker]["FTE30"] == "0.000000"
    assert records["W3"]["FTE"] == records["W3"]["FTE30"] == "1.000000"
    fte = batch.weighing.workers.set_index("worker_id")["fte"].to_dict()
    assert fte == {"W1": 0.8, "W2": 1.0, "W3": 1.0}  # the tracker keeps the contracted FTE
    problems = census.validate(c)
    blocking = {(p.worker, p.item): p.message for p in census.errors(problems)}
    assert list(blocking) == [("W3", "RoleEndDate")]
    assert "future end date" in blocking[("W3", "RoleEndDate")]
    # W3 is not a leaver: leaver items are not asked of them
    assert not any(p.worker == "W3" and p.item == "ReasonLeave" for p in problems)


def test_a_leaver_alone_is_written(tmp_path):
    header = ["worker_id", "team", "role", "fte", "RoleEndDate", "ReasonLeave", "LeaverDestination"]
    _, c = _census_of(tmp_path, [header, ["W1", "AI", "SW", 1, "2025-07-01", 3, 2]])
    out = tmp_path / "census.xml"
    census.write_xml(c, out)
    assert dict(census.read_xml(out).workers)["W1"]["FTE30"] == "0.000000"


def test_a_starter_without_start_origin_is_reported_missing():
    def worker(start: str, agency: str = "0", origin: str = "") -> dict[str, str]:
        record = {"AgencyWorker": agency, "RoleStartDate": start, "StartOrigin": origin}
        return {k: v for k, v in record.items() if v}

    c = census.Census(
        {"ReferenceDate": "2025-09-30", "LEA": "123"},
        [
            ("S1", worker("2025-03-01")),  # a starter: needs StartOrigin
            ("S2", worker("2024-10-01")),  # the census year's first day
            ("S3", worker("2025-03-01", origin="3")),
            ("S4", worker("2025-03-01", agency="1")),  # agency: not asked
            ("S5", worker("2024-09-30")),  # started before the census year
        ],
    )
    flagged = {
        p.worker for p in census.validate(c) if p.item == "StartOrigin" and p.kind == "missing"
    }
    assert flagged == {"S1", "S2"}


def test_hr_columns_match_ignoring_case_spaces_hyphens_and_underscores(tmp_path):
    _, c = _census_of(
        tmp_path,
        [
            ["worker_id", "team", "role", "fte", "SWE No", "person-birth-date", "Start_Origin"]
            + ["ROLE START DATE", "gender current"],
            ["W1", "AI", "SW", 1, "SW1234567890", "1990-01-01", 3, "2025-01-06", 2],
        ],
    )
    record = dict(c.workers)["W1"]
    assert record["SWENo"] == "SW1234567890"
    assert record["PersonBirthDate"] == "1990-01-01"
    assert record["StartOrigin"] == "3" and record["RoleStartDate"] == "2025-01-06"
    assert record["GenderCurrent"] == "2"
