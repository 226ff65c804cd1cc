"""Ofsted Annex A read as a Cases source: the sample workbook counted by hand."""

from __future__ import annotations

import shutil
from collections import Counter
from pathlib import Path

import pytest
import yaml
from click.testing import CliRunner
from test_returns_helpers import write_book

from addin.cli import main
from addin.returns.annex_a import propose_annex_a_mapping, pseudonym, read_annex_a
from addin.returns.batch import read_batch
from addin.returns.mapping import Mapping
from udfs.policy import load_policy

# a copy of the public sample, with its MIT licence and source (tests/data/annex-a/SOURCE.md)
SAMPLE = Path(__file__).resolve().parent / "data" / "annex-a"
ANNEX = SAMPLE / "Annex_A_sample.xlsx"
SALT = "test-salt"
# Counted by hand from the sample: list 8 (4 not ceased; the C1 child ceased), list 7 (2 with
# no plan end date), list 6 (5 open, no worker: unallocated), list 9 (6), list 4 (all
# authorised: none open).
BY_HAND = {
    "Eugene Swift": 2,  # list 8, Children in Care Team 1
    "Wyatt Hammond": 1,
    "Fatimah Davison": 1,
    "Petra Wills": 2,  # list 7, CP, Locality 4 Unit 1
    "Jae Vang": 1,
    "Emir Dyer": 1,
    "Stefan Rees": 1,
    "Brandon-Lee Hampton": 1,
    "Aayan Wormald": 1,
    "Cassius Mccarthy": 1,
}
TEAMS = {
    "Children in Care Team 1": "LAC",
    "Children in Care Team 2": "LAC",
    "Children in Care Team 3": "LAC",
    "Locality 4 Unit 1": "SGCP",
    "Locality 4 Unit 2": "SGCP",
    "Care Leavers Team": "LC",
}


def mapping() -> Mapping:
    return Mapping(kind="annex_a", values={"team": TEAMS}, extra={"pseudonym_salt": SALT})


def test_caseload_per_allocated_worker_counted_by_hand():
    frame = read_annex_a(ANNEX, mapping()).cases.frame
    counts = Counter(frame["worker_id"])
    assert counts.pop("") == 5  # list 6 children with a blank worker: unallocated
    assert counts == {pseudonym(name, SALT): n for name, n in BY_HAND.items()}
    categories = Counter(frame["category"])
    assert categories == {"LAC": 4, "CP": 2, "CIN": 5, "CL": 6}
    assert len(frame) == frame["case_id"].nunique() == 17
    petra = frame[frame["worker_id"] == pseudonym("Petra Wills", SALT)]
    assert set(petra["team"]) == {"SGCP"} and set(petra["category"]) == {"CP"}


def test_no_worker_name_leaves_the_reader():
    text = read_annex_a(ANNEX, mapping()).cases.frame.to_csv()
    for name in BY_HAND:
        assert name.split()[0] not in text


def test_pseudonyms_are_stable_and_salted():
    assert pseudonym("Petra\xa0Wills", SALT) == pseudonym(" petra  wills ", SALT)
    assert pseudonym("Petra Wills", SALT) != pseudonym("Petra Wills", "other")
    assert pseudonym("Petra Wills", SALT).startswith("AW-")


def test_proposed_mapping_guesses_teams_and_keeps_no_names():
    proposal = propose_annex_a_mapping(ANNEX, salt=SALT)
    assert proposal.values["team"]["Children in Care Team 1"] == "LAC"
    assert proposal.values["team"]["Care Leavers Team"] == "LC"
    assert "Eugene" not in str(proposal.to_dict())


def test_annex_a_feeds_the_census_without_names(tmp_path):
    annex = tmp_path / "annex.xlsx"
    shutil.copy(ANNEX, annex)
    write_book(
        tmp_path / "staff.xlsx",
        {
            "Workers": [
                ["worker_id", "team", "role", "fte"],
                ["W10", "LAC", "SW", 1],
                ["W11", "SGCP", "SW", 0.5],
            ],
            "Cases": [["case_id", "worker_id", "category"]],
        },
    )
    (tmp_path / "annex.mapping.yaml").write_text(
        yaml.safe_dump(
            {
                "kind": "annex_a",
                "confirmed": True,
                "values": {"team": TEAMS},
                "pseudonym_salt": SALT,
                "workers_file": "staff.xlsx",
                "workers": {"Eugene Swift": "W10", "Petra Wills": "W11"},
            }
        )
    )
    out = tmp_path / "census.csv"
    result = CliRunner().invoke(
        main,
        [
            "return",
            "census",
            "--as-at",
            "2020-09-30",
            str(annex),
            "-o",
            str(out),
            "--lea",
            "123",
            "--quiet",
        ],
    )
    # the other allocated workers are not in the Workers table: their cases are rejected
    assert result.exit_code == 1
    text = out.read_text()
    rows = {r.split(",")[0]: r.split(",") for r in text.splitlines()}
    header = text.splitlines()[0].split(",")
    assert rows["W10"][header.index("Cases30")] == "2"
    assert rows["W11"][header.index("Cases30")] == "2"
    for name in BY_HAND:
        assert name.split()[-1] not in text + result.output


def annex_book(path: Path, lists: dict[int, list[list[object]]]) -> Path:
    """A synthetic Annex A workbook: ``List n`` sheets (List 6 and List 8 always present)."""
    sheets = {f"List {n}": rows for n, rows in sorted(lists.items())}
    sheets.setdefault("List 6", [["Child Unique ID", "Allocated Team", "Allocated Worker"]])
    sheets.setdefault("List 8", [["Child Unique ID", "Allocated Team", "Allocated Worker"]])
    return write_book(path, sheets)


def with_workers(tmp_path: Path, annex: Path) -> Path:
    """A Workers file and a confirmed mapping beside ``annex`` (worker A1 = Worker A)."""
    write_book(
        tmp_path / "staff.xlsx",
        {
            "Workers": [["worker_id", "team", "role", "fte"], ["A1", "SGCP", "SW", 1]],
            "Cases": [["case_id", "worker_id", "category"]],
        },
    )
    annex.with_name(annex.stem + ".mapping.yaml").write_text(
        yaml.safe_dump(
            {
                "kind": "annex_a",
                "confirmed": True,
                "values": {"team": {"Unit 1": "SGCP"}},
                "pseudonym_salt": SALT,
                "workers_file": "staff.xlsx",
                "workers": {"Worker A": "A1"},
            }
        )
    )
    return annex


@pytest.mark.parametrize(
    "header",
    ["Child ID", "ChildUniqueID", "Child Unique Id", "child_unique_id", "Unique Child ID"],
)
def test_child_id_column_variants_are_accepted(tmp_path, header):
    row = ["Unit 1", "Worker A"]
    annex = annex_book(
        tmp_path / "annex.xlsx",
        {
            4: [[header, "Allocated Team", "Allocated Worker"], ["K4", *row]],
            6: [[header, "Allocated Team", "Allocated Worker"], ["K6", *row]],
            7: [[header, "Allocated Team", "Allocated Worker"], ["K7", *row]],
            8: [[header, "Allocated Team", "Allocated Worker"], ["K8", *row]],
            9: [[header, "Allocated Team", "Allocated Worker"], ["K9", *row]],
        },
    )
    read = read_annex_a(annex, mapping())
    categories = dict(zip(read.cases.frame["case_id"], read.cases.frame["category"], strict=True))
    assert categories == {"K8": "LAC", "K7": "CP", "K6": "CIN", "K9": "CL", "K4": "ASMT"}
    assert read.problems == []


def test_a_list_without_child_ids_is_reported_unusable(tmp_path):
    annex = annex_book(
        tmp_path / "annex.xlsx",
        {
            7: [["Reference", "Allocated Team", "Allocated Worker"], ["K7", "Unit 1", "Worker A"]],
            8: [["Child ID", "Allocated Team", "Allocated Worker"], ["K8", "Unit 1", "Worker A"]],
            9: [["Ref", "Allocated Team", "Allocated Worker"]],  # no rows: nothing lost
        },
    )
    read = read_annex_a(annex, mapping())
    assert len(read.problems) == 1 and "List 7" in read.problems[0]
    assert "unusable" in read.problems[0] and "1 row(s)" in read.problems[0]
    assert list(read.cases.frame["case_id"]) == ["K8"]
    with_workers(tmp_path, annex)
    out = tmp_path / "census.csv"
    result = CliRunner().invoke(
        main,
        ["return", "census", "--as-at", "2025-09-30", str(annex), "-o", str(out), "--quiet"],
    )
    assert result.exit_code == 1, result.output
    assert "problem: annex.xlsx: List 7 has no child ID column" in result.output
    assert "List 9" not in result.output


def test_most_intensive_follows_the_policy_given(tmp_path):
    """A child looked after (list 8) and a care leaver (list 9): LAC wins under gateshead
    (LAC before CL, both level 2); a policy giving CL level 4 makes CL win."""
    header = ["Child Unique ID", "Allocated Team", "Allocated Worker"]
    annex = annex_book(
        tmp_path / "annex.xlsx",
        {8: [header, ["K1", "Unit 1", "Worker A"]], 9: [header, ["K1", "Unit 1", "Worker A"]]},
    )
    custom = tmp_path / "council.yaml"
    custom.write_text(
        "extends: gateshead\nname: council\n"
        "categories:\n  CL: {name: care leaver, default_level: 4}\n"
    )
    assert list(read_annex_a(annex, mapping()).cases.frame["category"]) == ["LAC"]
    gateshead = read_annex_a(annex, mapping(), load_policy("gateshead"))
    assert list(gateshead.cases.frame["category"]) == ["LAC"]
    council = load_policy(custom)
    assert list(read_annex_a(annex, mapping(), council).cases.frame["category"]) == ["CL"]
    # a batch reads Annex A with the policy it is given
    with_workers(tmp_path, annex)
    batch = read_batch([annex], council, progress=False)
    assert list(batch.weighing.cases["category"]) == ["CL"]
