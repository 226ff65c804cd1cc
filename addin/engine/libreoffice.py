"""LibreOffice headless as a reference calculator (tests and the benchmark compare with it)."""

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
    """A LibreOffice user profile that always recalculates .xlsx files on load."""
    user = folder / "user"
    user.mkdir(parents=True, exist_ok=True)
    (user / "registrymodifications.xcu").write_text(RECALC_ALWAYS, encoding="utf-8")
    return folder


def recalculate(
    book: Path, outdir: Path, profile: Path | None = None, timeout: float = 180
) -> Path:
    """Have LibreOffice recalculate ``book``; returns the .xlsx it wrote in ``outdir``."""
    program = soffice()
    if program is None:
        raise FileNotFoundError("LibreOffice (soffice) is not installed")
    outdir.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix="lo-profile-") as scratch:
        folder = profile or make_profile(Path(scratch))
        subprocess.run(
            [
                program,
                f"-env:UserInstallation={folder.resolve().as_uri()}",
                "--headless",
                "--convert-to",
                "xlsx",
                "--outdir",
                str(outdir),
                str(book),
            ],
            check=True,
            capture_output=True,
            timeout=timeout,
        )
    out = outdir / (book.stem + ".xlsx")
    if not out.exists():
        raise RuntimeError(f"LibreOffice wrote no {out.name}")
    return out
