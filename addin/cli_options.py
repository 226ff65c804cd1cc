"""Options shared by the ``caseload`` commands (click only: cheap to import)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import click

POLICY_HELP = (
    "Preset (gateshead, walsall, wales-scrutiny, laming) or a policy YAML file. Default: gateshead."
)


def policy_option(help: str = POLICY_HELP) -> Callable[[Any], Any]:
    """The ``--policy NAME|PATH`` option."""
    return click.option("--policy", default=None, metavar="NAME|PATH", help=help)
