"""Policies are data: presets load, a council file loads and is validated, tables round-trip."""

from __future__ import annotations

import pytest

from udfs.capacity import experience_factor, team_range
from udfs.policy import PRESETS, PolicyError, load_policy, policy_from_table, policy_table, preset
from udfs.policy_labels import described_table, label_of, source_of


@pytest.mark.parametrize("name", PRESETS)
def test_every_preset_loads_names_its_source_and_round_trips_through_a_table(name):
    policy = preset(name)
    # the document by its title, never a reference only we can follow
    assert policy.source and "seed" not in policy.source.lower()
    assert any(word in policy.source for word in ("Policy", "report", "minutes", "guarantee"))
    again = policy_from_table(policy_table(policy))
    assert again.model_dump(exclude={"name"}) == policy.model_dump(exclude={"name"})


def test_presets_differ_as_the_policy_model_says():
    assert team_range("LC", preset("gateshead"), under_18=True) == (16, 18)
    assert team_range("LC", preset("walsall"), under_18=True) == (0, 15)
    assert experience_factor("ASYE", 12, preset("walsall")) == 0.8
    assert experience_factor("ASYE", 12, preset("gateshead")) == pytest.approx(1.0)
    assert experience_factor("ASYE", 3, preset("gateshead")) == pytest.approx(0.85)
    assert all(
        team_range(t, preset("wales-scrutiny")) == (20, 28) for t in preset("wales-scrutiny").teams
    )
    assert all(not team.caps for team in preset("laming").teams.values())
    assert preset("gateshead").teams["SGCP"].caps == {"proceedings_families": 3, "cp_families": 3}


def test_a_council_file_extends_a_preset(tmp_path):
    path = tmp_path / "council.yaml"
    path.write_text(
        "extends: gateshead\nname: my-council\nservice_aim: 17\n"
        "teams:\n  AI: {name: Front door, min: 12, max: 15}\n"
    )
    policy = load_policy(str(path))
    assert policy.service_aim == 17 and team_range("AI", policy) == (12, 15)
    assert team_range("SGCP", policy) == (16, 18)


@pytest.mark.parametrize(
    ("text", "message"),
    [
        (
            "extends: gateshead\nservice_aim: -1\n",
            "service_aim: Input should be greater than 0 (value -1)",
        ),
        (
            "extends: gateshead\nteams:\n  AI: {name: x, min: 20, max: 10}\n",
            "teams.AI: min 20 is above max 10",
        ),
        (
            "extends: gateshead\nweights:\n  levels: {5: 2.0}\n",
            "weights.levels: levels must be exactly 1, 2, 3 and 4",
        ),
        (
            "extends: gateshead\nteams:\n  AI: {name: x, max: 18, caps: {cp_family: 3}}\n",
            "unknown cap 'cp_family'",
        ),
        (
            "extends: gateshead\nroles:\n  SW: {name: x, factor: 1.5}\n",
            "roles.SW.factor: Input should be less than or equal to 1 (value 1.5)",
        ),
        ("extends: gateshead\nservice_aims: 18\n", "service_aims: unknown key (value 18)"),
        ("extends: nowhere\n", "unknown preset 'nowhere'"),
        ("- just\n- a list\n", "expected a mapping"),
    ],
)
def test_a_bad_policy_file_names_the_key_and_the_value(tmp_path, text, message):
    path = tmp_path / "bad.yaml"
    path.write_text(text)
    with pytest.raises(PolicyError) as caught:
        load_policy(str(path))
    assert message in str(caught.value)


def test_unknown_policy_name_lists_the_presets():
    with pytest.raises(PolicyError, match="neither a preset .*gateshead.*nor an existing file"):
        load_policy("gatesheed")


def test_policy_table_overrides_one_value_and_rejects_unknown_keys():
    policy = policy_from_table(
        [["key", "value"], ["preset", "walsall"], ["teams.AI.max", 14], [None, None]]
    )
    assert team_range("AI", policy) == (0, 14) and team_range("LAC", policy) == (0, 15)
    with pytest.raises(PolicyError, match="unknown key 'service_aimz'"):
        policy_from_table([["preset", "gateshead"], ["service_aimz", 3]])


@pytest.mark.parametrize("name", PRESETS)
def test_every_value_has_a_label_and_a_document_by_title(name):
    policy = preset(name)
    rows = described_table(policy)
    assert [row[:2] for row in rows] == [tuple(row) for row in policy_table(policy)]
    for key, _value, meaning, source in rows:
        assert meaning and "{" not in meaning, key
        if key != "preset":
            assert source and "seed" not in source.lower(), key


def test_a_value_cites_the_file_that_sets_it_and_a_changed_value_the_workbook(tmp_path):
    walsall = preset("walsall")
    assert source_of(walsall, "teams.SGCP.max").startswith("Walsall")
    assert source_of(walsall, "weights.sibling_factor").endswith("section 4.3")  # inherited
    assert label_of(walsall, "teams.SGCP.caps.cp_families").endswith(
        "at most this many families with CP plans per worker"
    )
    council = tmp_path / "council.yaml"
    council.write_text(
        "extends: gateshead\nname: council\nsource: Our caseload policy\n"
        "references: {teams.AI: 'Our caseload policy, section 2'}\n"
        "teams:\n  AI: {name: Assessment, min: 10, max: 14}\n"
        "weights: {sibling_factor: 0.6}\n",
        encoding="utf-8",
    )
    ours = load_policy(council)
    assert source_of(ours, "teams.AI.max") == "Our caseload policy, section 2"
    assert source_of(ours, "weights.sibling_factor") == "Our caseload policy"
    assert source_of(ours, "teams.SGCP.max").endswith("section 4.3")
    table = [("preset", "gateshead"), ("teams.SGCP.max", 17), ("teams.AI.max", 18)]
    edited = policy_from_table(table)
    assert source_of(edited, "teams.SGCP.max") == "Policy sheet of this workbook"
    assert source_of(edited, "teams.AI.max").endswith("section 4.1")  # unchanged value


def test_references_must_be_text(tmp_path):
    council = tmp_path / "council.yaml"
    council.write_text("extends: gateshead\nname: c\nreferences: [a, b]\n", encoding="utf-8")
    with pytest.raises(PolicyError, match="references"):
        load_policy(council)
