"""Commands of the `caseload` CLI (see addin/cli.py); filled in by the issue that owns them."""

from __future__ import annotations

import click

COMMANDS: list[click.Command] = []
