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
from addin.returns.mapping import Mapping

SAMPLE = Path(__file__).resolve().parents[1] / ".." / "shared" / "data" / "annex-a"
ANNEX = SAMPLE / "Annex_A_sample.xlsx"
pytestmark = pytest.mark.skipif(
    not ANNEX.exists(), reason=f"sample Annex A workbook not found at {SAMPLE} (../shared)"
)
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
