"""Options shared by the ``caseload`` commands (click only: cheap to import)."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Any

import click

if TYPE_CHECKING:
    from udfs.policy import Policy

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


def load_rules(policy: str | None) -> Policy:
    """The policy ``--policy`` names; a bad one ends the command (exit 2, the reason on one
    line)."""
    from addin.messages import fail
    from udfs.policy import PolicyError, load_policy

    try:
        return load_policy(policy)
    except PolicyError as exc:
        fail(exc)


@contextmanager
def user_errors(source: Path | None = None) -> Iterator[None]:
    """End the command on an error a user's input can cause: a ``CaseloadError`` with its own
    line and exit status; with ``source``, any other error (a reader failing on a damaged
    file) as ``NAME: cannot be read (ErrorType)``, never its text (it may quote a cell)."""
    from addin.messages import fail
    from udfs.errors import CaseloadError

    try:
        yield
    except CaseloadError as exc:
        fail(exc)
    except Exception as exc:
        if source is None:
            raise
        fail(f"{source.name}: cannot be read ({type(exc).__name__})")
