"""``python -m workbook_templates [FOLDER] [--policy NAME]``: rebuild the shipped blank templates.

Writes ``team-caseload-tracker.xlsx``, ``supervision-record.xlsx`` and
``gmt-quarterly-review.xlsx`` for the policy (default gateshead) into FOLDER (default
``workbook_templates/built``).
"""

from __future__ import annotations

import argparse
from pathlib import Path

from udfs.policy import load_policy
from workbook_templates.demo import build_template

FILES = {
    "tracker": "team-caseload-tracker.xlsx",
    "supervision": "supervision-record.xlsx",
    "gmt": "gmt-quarterly-review.xlsx",
}
BUILT = Path(__file__).parent / "built"


def build_all(folder: Path = BUILT, policy: str | None = None) -> list[Path]:
    """Write every blank template for ``policy`` into ``folder``; returns the paths."""
    rules = load_policy(policy)
    return [build_template(name, rules, folder / file) for name, file in FILES.items()]


def main() -> None:
    """Command-line entry: parse the folder and policy, build, print the paths."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("folder", nargs="?", type=Path, default=BUILT)
    parser.add_argument("--policy", default=None)
    args = parser.parse_args()
    for path in build_all(args.folder, args.policy):
        print(f"wrote {path}")


if __name__ == "__main__":
    main()
