"""Messages on standard error: one line each, with nothing a terminal would run.

A file name, a sheet name or an id comes from the user's files; printed raw, a control or
escape character in it would move the cursor, recolour or retitle the terminal. Every message
the command line prints on standard error goes through ``clean`` (``say`` and ``fail`` call it).
"""

from __future__ import annotations

import re
import sys
from typing import NoReturn

import click

from udfs.errors import ExitStatus

_CONTROL = re.compile(r"[\x00-\x1f\x7f-\x9f\u2028\u2029\u200e\u200f\u202a-\u202e\u2066-\u2069]")


def clean(text: object) -> str:
    """``text`` on one line with every control, escape or bidirectional-override character
    shown as a visible ``\\xNN`` / ``\\uNNNN`` escape instead of being sent to the terminal."""
    return _CONTROL.sub(_escape, str(text))


def _escape(match: re.Match[str]) -> str:
    code = ord(match.group(0))
    return f"\\x{code:02x}" if code < 0x100 else f"\\u{code:04x}"


def say(message: object) -> None:
    """Print one cleaned line on standard error."""
    click.echo(clean(message), err=True)


def fail(message: object, status: int | None = None) -> NoReturn:
    """Print ``error: message`` (cleaned, first line only) on standard error and exit with
    ``status``: by default the error's own (``CaseloadError.exit_status``), else
    ``ExitStatus.UNUSABLE``. Every command ends this way on an error."""
    if status is None:
        status = getattr(message, "exit_status", ExitStatus.UNUSABLE)
    lines = str(message).splitlines() or [""]
    click.echo(f"error: {clean(lines[0])}", err=True)
    sys.exit(int(status))
