"""LibreOffice headless as a second spreadsheet application to check templates against.

Each call uses its own user profile (``-env:UserInstallation``), so runs never share state; with
``recalculate`` the profile tells Calc to recalculate every formula on load (OOXMLRecalcMode 0)
instead of keeping the cached values the builder wrote.
"""

from __future__ import annotations

import shutil
import subprocess
import tempfile
from pathlib import Path

RECALC_XCU = """<?xml version="1.0" encoding="UTF-8"?>
<oor:items xmlns:oor="http://openoffice.org/2001/registry"
 xmlns:xs="http://www.w3.org/2001/XMLSchema" xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance">
<item oor:path="/org.openoffice.Office.Calc/Formula/Load">
 <prop oor:name="OOXMLRecalcMode" oor:op="fuse"><value>0</value></prop></item>
<item oor:path="/org.openoffice.Office.Calc/Formula/Load">
 <prop oor:name="ODFRecalcMode" oor:op="fuse"><value>0</value></prop></item>
</oor:items>
"""


def soffice() -> str | None:
    """Path of ``soffice``, or None when LibreOffice is not installed."""
    return shutil.which("soffice") or shutil.which("libreoffice")


def convert(
    source: Path,
    to: str,
    outdir: Path,
    recalculate: bool = False,
    timeout: float = 180.0,
) -> Path:
    """Convert ``source`` with LibreOffice (``to``: xlsx, pdf ...) into ``outdir``.

    Raises ``RuntimeError`` with LibreOffice's output when no file comes out.
    """
    program = soffice()
    if program is None:
        raise RuntimeError("LibreOffice (soffice) is not installed")
    outdir.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix="lo-profile-") as profile:
        if recalculate:
            user = Path(profile) / "user"
            user.mkdir(parents=True)
            (user / "registrymodifications.xcu").write_text(RECALC_XCU, encoding="utf-8")
        completed = subprocess.run(
            [
                program,
                f"-env:UserInstallation=file://{profile}",
                "--headless",
                "--norestore",
                "--convert-to",
                to,
                "--outdir",
                str(outdir),
                str(source),
            ],
            capture_output=True,
            text=True,
            timeout=timeout,
            check=False,
        )
    target = outdir / f"{source.stem}.{to.split(':')[0]}"
    if not target.exists():
        raise RuntimeError(
            f"LibreOffice did not convert {source.name} to {to}: "
            f"{completed.stdout.strip()} {completed.stderr.strip()}"
        )
    return target
