"""Fast per-row lookups of policy values by code (a category, a role, a team)."""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np
import pandas as pd


def lookup(
    codes: pd.Series | np.ndarray, table: Mapping[object, object], default: object
) -> np.ndarray:
    """``table[code]`` for every row, ``default`` for codes not in it.

    Each distinct code is looked up once (a column of 600,000 cases holds a dozen categories),
    which is far faster than mapping row by row.
    """
    positions, uniques = pd.factorize(np.asarray(codes, dtype=object), use_na_sentinel=True)
    values = np.array([table.get(u, default) for u in uniques] + [default])
    return values[positions]
