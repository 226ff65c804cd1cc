"""Properties of the pure model that must hold for any input (hypothesis)."""

from __future__ import annotations

import numpy as np
import pandas as pd
from hypothesis import given, settings
from hypothesis import strategies as st

from udfs.capacity import capacities
from udfs.caps import distinct_pairs, family_pairs
from udfs.intake import CASE_FIELDS
from udfs.model import weigh
from udfs.policy import PRESETS, preset
from udfs.weights import case_weights, sibling_factors

POLICY = preset("gateshead")
CATEGORIES = list(POLICY.categories)

case_strategy = st.fixed_dictionaries(
    {
        "category": st.sampled_from(CATEGORIES),
        "level": st.one_of(st.none(), st.integers(1, 4)),
        "status": st.sampled_from(["active", "awaiting_closure"]),
        "distance_miles": st.one_of(st.none(), st.floats(0, 200)),
        "placement_unstable": st.booleans(),
        "family_id": st.sampled_from(["", "F1", "F2", "F3"]),
    }
)


def frames(cases: list[dict], fte: float = 1.0) -> tuple[pd.DataFrame, pd.DataFrame]:
    workers = pd.DataFrame(
        {
            "worker_id": ["A"],
            "team": ["SGCP"],
            "role": ["SW"],
            "fte": [fte],
            "asye_months": [np.nan],
            "agency": [False],
            "reduction_pct": [0.0],
            "incomplete": [False],
        }
    )
    table = pd.DataFrame(
        [
            {
                "case_id": f"c{i}",
                "worker_id": "A",
                "team": "",
                "age": np.nan,
                **{k: (np.nan if v is None else v) for k, v in case.items()},
            }
            for i, case in enumerate(cases)
        ],
        columns=list(CASE_FIELDS),
    )
    table["level"] = table["level"].astype(float)
    table["distance_miles"] = table["distance_miles"].astype(float)
    table["placement_unstable"] = table["placement_unstable"].astype(bool)
    return workers, table


def weighted(cases: list[dict]) -> float:
    workers, table = frames(cases)
    return float(weigh(workers, table, POLICY).workers["weighted"].iloc[0])


def full_weights(table: pd.DataFrame) -> np.ndarray:
    """Each case's full weight under POLICY (``case_weights``: no family or cap rule)."""
    return case_weights(
        table["category"],
        table["level"],
        table["status"],
        table["distance_miles"],
        table["placement_unstable"],
        POLICY,
    )


@given(st.lists(case_strategy, max_size=30))
def test_no_weight_is_negative(cases):
    _, table = frames(cases)
    result = weigh(*frames(cases), POLICY)
    assert (result.cases["counted"] >= 0).all()
    assert (full_weights(table) >= 0).all()


@given(st.lists(case_strategy, max_size=25), case_strategy, st.integers(0, 25))
def test_adding_a_case_never_lowers_the_weighted_caseload(cases, extra, position):
    position = min(position, len(cases))
    assert weighted(cases[:position] + [extra] + cases[position:]) >= weighted(cases) - 1e-12


@settings(max_examples=50)
@given(st.lists(case_strategy, min_size=1, max_size=20))
def test_a_family_never_weighs_more_than_its_childrens_full_weights(cases):
    workers, table = frames(cases)
    result = weigh(workers, table, POLICY).cases
    full = full_weights(table)
    for family in {c["family_id"] for c in cases if c["family_id"]}:
        mine = (table["family_id"] == family).to_numpy()
        assert result["counted"].to_numpy()[mine].sum() <= full[mine].sum() + 1e-12


@given(
    st.sampled_from(list(POLICY.teams)),
    st.sampled_from(list(POLICY.roles)),
    st.floats(0.01, 1.0),
    st.floats(0.01, 1.0),
    st.one_of(st.just(np.nan), st.floats(0, 24)),
    st.floats(0, 100),
    st.sampled_from(PRESETS),
)
def test_capacity_scales_with_fte(team, role, fte_a, fte_b, months, reduction, name):
    policy = preset(name)

    def cap(fte: float) -> tuple[float, float]:
        low, high = capacities(
            pd.Series([team]),
            pd.Series([role]),
            pd.Series([fte]),
            pd.Series([months]),
            pd.Series([reduction]),
            np.array([False]),
            policy,
        )
        return float(low[0]), float(high[0])

    (low_a, high_a), (low_b, high_b) = cap(fte_a), cap(fte_b)
    assert abs(high_a * fte_b - high_b * fte_a) < 1e-9
    assert abs(low_a * fte_b - low_b * fte_a) < 1e-9
    assert 0 <= low_a <= high_a


@settings(max_examples=200, deadline=None)
@given(
    st.lists(
        st.tuples(
            st.integers(-1, 3),  # worker code (-1 unallocated)
            st.integers(-1, 4),  # family code (-1 blank)
            st.sampled_from([0.5, 1.0, 1.25, 1.5, 0.375]),  # weight after steps 1-3
            st.booleans(),  # awaiting closure
            st.booleans(),  # eligible (not separately capped)
        ),
        max_size=40,
    )
)
def test_sibling_rule_equals_a_case_by_case_reading_of_it(rows):
    """Step 4 as policy-model.md states it, one family at a time: among the eligible cases of
    one worker sharing a family, the heaviest counts in full (active before awaiting closure,
    then the earlier row); the others count at the sibling factor."""
    columns = list(zip(*rows, strict=True)) or [(), (), (), (), ()]
    worker, family = (np.array(c, dtype=int) for c in columns[:2])
    weight = np.array(columns[2], dtype=float)
    closing, eligible = (np.array(c, dtype=bool) for c in columns[3:])
    got = sibling_factors(family_pairs(worker, family).pair, weight, closing, eligible, 0.5)
    expected = np.ones(len(rows))
    for i, (w, f, _, _, ok) in enumerate(rows):
        if w < 0 or f < 0 or not ok:
            continue
        group = [j for j, r in enumerate(rows) if r[0] == w and r[1] == f and r[4]]
        first = min(group, key=lambda j: (-rows[j][2], rows[j][3], j))
        expected[i] = 1.0 if i == first else 0.5
    assert got.tolist() == expected.tolist()


@settings(max_examples=200, deadline=None)
@given(st.lists(st.tuples(st.integers(-1, 4), st.integers(-1, 6)), max_size=50))
def test_families_per_worker_are_distinct_pairs_with_each_blank_its_own(rows):
    """Families per worker: distinct family ids among the worker's cases, where each case with
    a blank family (-1) is a family of its own and unallocated cases (-1) count for nobody."""
    worker = np.array([w for w, _ in rows], dtype=np.int64)
    family = np.array([f for _, f in rows], dtype=np.int64)
    got = distinct_pairs(worker, family, 5)
    expected = [
        len({f for w, f in rows if w == n and f >= 0}) + sum(1 for w, f in rows if w == n and f < 0)
        for n in range(5)
    ]
    assert got.tolist() == expected
