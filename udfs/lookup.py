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
    which is far faster than mapping row by row. A categorical column (``coded``) is already
    factorised: its lookups cost an index into a small array, nothing more.
    """
    if isinstance(codes, pd.Series) and isinstance(codes.dtype, pd.CategoricalDtype):
        positions, uniques = codes.cat.codes.to_numpy(), codes.cat.categories
    else:
        positions, uniques = pd.factorize(np.asarray(codes, dtype=object), use_na_sentinel=True)
    values = np.array([table.get(u, default) for u in uniques] + [default])
    return values[positions]


def coded(codes: pd.Series) -> pd.Series:
    """A code column factorised once (pandas categorical), for a model that looks it up many
    times (a case's category: its default level, modifiers, separate cap and every hard cap).

    Factorised as plain objects, then wrapped: twice as fast as ``astype("category")`` on a
    string column."""
    positions, uniques = pd.factorize(np.asarray(codes, dtype=object), use_na_sentinel=True)
    categorical = pd.Categorical.from_codes(positions, categories=pd.Index(uniques, dtype=object))
    return pd.Series(categorical, index=codes.index, name=codes.name)
