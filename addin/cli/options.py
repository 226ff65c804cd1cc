"""Options shared by the ``caseload`` commands (click only: cheap to import)."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import click

POLICY_HELP = (
    "Preset (gateshead, walsall, wales-scrutiny, laming) or a policy YAML file. Default: gateshead."
)


def policy_option(help: str = POLICY_HELP) -> Callable[[Any], Any]:
    """The ``--policy NAME|PATH`` option."""
    return click.option("--policy", default=None, metavar="NAME|PATH", help=help)


def policy_files(policy: str | None) -> list[Path]:
    """The policy file ``--policy`` names, if it names a file: an input like any other, which
    no output may write over."""
    return [Path(policy)] if policy and Path(policy).is_file() else []
