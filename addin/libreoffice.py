"""LibreOffice headless: a second spreadsheet application to check workbooks against.

The engine's tests and benchmark compare its values with LibreOffice's; the template tests
convert the built workbooks (to .xlsx recalculated, to PDF). Each call uses its own user profile
(``-env:UserInstallation``), so runs never share state; with ``recalculate`` the profile tells
Calc to recalculate every formula on load (OOXMLRecalcMode 0) instead of keeping the cached
values in the file.
"""

from __future__ import annotations

import shutil
import subprocess
import tempfile
from pathlib import Path

RECALC_ALWAYS = """<?xml version="1.0" encoding="UTF-8"?>
<oor:items xmlns:oor="http://openoffice.org/2001/registry"
 xmlns:xs="http://www.w3.org/2001/XMLSchema" xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance">
<item oor:path="/org.openoffice.Office.Calc/Formula/Load">
 <prop oor:name="OOXMLRecalcMode" oor:op="fuse"><value>0</value></prop></item>
<item oor:path="/org.openoffice.Office.Calc/Formula/Load">
 <prop oor:name="ODFRecalcMode" oor:op="fuse"><value>0</value></prop></item>
</oor:items>
"""


def soffice() -> str | None:
    """Path of ``soffice`` (or ``libreoffice``), ``None`` when not installed."""
    return shutil.which("soffice") or shutil.which("libreoffice")


def make_profile(folder: Path) -> Path:
    """A LibreOffice user profile in ``folder`` that always recalculates .xlsx files on load."""
    user = folder / "user"
    user.mkdir(parents=True, exist_ok=True)
    (user / "registrymodifications.xcu").write_text(RECALC_ALWAYS, encoding="utf-8")
    return folder


def convert_command(program: str, profile: Path, source: Path, to: str, outdir: Path) -> list[str]:
    """The command line that converts ``source`` (``to``: xlsx, pdf ...) into ``outdir``."""
    return [
        program,
        f"-env:UserInstallation={profile.resolve().as_uri()}",
        "--headless",
        "--norestore",
        "--convert-to",
        to,
        "--outdir",
        str(outdir),
        str(source),
    ]


def convert(
    source: Path,
    to: str,
    outdir: Path,
    recalculate: bool = False,
    timeout: float = 180.0,
    profile: Path | None = None,
    check: bool = False,
) -> Path:
    """Convert ``source`` with LibreOffice (``to``: xlsx, pdf ...) into ``outdir``.

    ``recalculate`` recalculates every formula on load; ``profile`` is a user profile to use
    instead of a fresh one; ``check`` raises ``CalledProcessError`` when LibreOffice fails.
    Raises ``RuntimeError`` with LibreOffice's output when no file comes out.
    """
    program = soffice()
    if program is None:
        raise RuntimeError("LibreOffice (soffice) is not installed")
    outdir.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix="lo-profile-") as scratch:
        folder = profile or Path(scratch)
        if profile is None and recalculate:
            make_profile(folder)
        completed = subprocess.run(
            convert_command(program, folder, source, to, outdir),
            capture_output=True,
            text=True,
            timeout=timeout,
            check=check,
        )
    target = outdir / f"{source.stem}.{to.split(':')[0]}"
    if not target.exists():
        raise RuntimeError(
            f"LibreOffice did not convert {source.name} to {to}: "
            f"{completed.stdout.strip()} {completed.stderr.strip()}"
        )
    return target


def recalculate(
    book: Path, outdir: Path, profile: Path | None = None, timeout: float = 180
) -> Path:
    """Have LibreOffice recalculate ``book``; returns the .xlsx it wrote in ``outdir``.

    ``profile`` (from ``make_profile``) is reused instead of a fresh one; raises
    ``FileNotFoundError`` when LibreOffice is not installed and ``CalledProcessError`` when it
    fails.
    """
    if soffice() is None:
        raise FileNotFoundError("LibreOffice (soffice) is not installed")
    return convert(
        book, "xlsx", outdir, recalculate=True, timeout=timeout, profile=profile, check=True
    )


def recalculate_many(books: list[Path], outdir: Path, timeout: float = 600) -> list[Path]:
    """Have LibreOffice recalculate several workbooks in one start-up (the tests' batches);
    returns the .xlsx files it wrote in ``outdir``, in the order of ``books``."""
    program = soffice()
    if program is None:
        raise FileNotFoundError("LibreOffice (soffice) is not installed")
    outdir.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix="lo-profile-") as scratch:
        profile = make_profile(Path(scratch))
        command = convert_command(program, profile, books[0], "xlsx", outdir)[:-1]
        subprocess.run(
            [*command, *map(str, books)], capture_output=True, timeout=timeout, check=True
        )
    return [outdir / f"{book.stem}.xlsx" for book in books]
