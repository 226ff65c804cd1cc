"""The one yes/no vocabulary: how a yes/no cell (agency, placement_unstable, a policy flag) may
be typed, in any letter case. Read by the tracker reader, the ``CW_`` functions, the native
formulas, the mapping and the policy table."""

from __future__ import annotations

YES = frozenset({"yes", "y", "true", "1"})
NO = frozenset({"no", "n", "false", "0"})


def yes_or_no(text: str) -> bool | None:
    """True for a yes spelling, False for a no spelling, None for anything else."""
    word = text.strip().lower()
    return True if word in YES else False if word in NO else None
