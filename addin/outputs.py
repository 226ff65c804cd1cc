
"""Writing result tables to new files: CSV at full precision, or xlsx with number formats.

Outputs never replace a file they were computed from: ``check_output`` compares files by
device and inode (a hard link or a symlink to an input is the input), refuses a symlink or a
folder as the output and a folder that does not exist, and every writer here writes to a
temporary file beside the output and renames it into place (``atomic_output``), so a write that
fails (disk full, read-only folder) leaves nothing half-written behind.

Text cells that a spreadsheet would run as a formula (beginning ``=``, ``+``, ``-`` or ``@``)
are written inert, with a leading apostrophe, in CSV; in xlsx every text cell is written as
text (``text_cell``), which Excel does not run, with characters a workbook cannot hold shown
as ``\\xNN`` escapes.
"""

from __future__ import annotations

import contextlib
import csv
import math
import os
import re
import tempfile
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import TYPE_CHECKING

from udfs.errors import CaseloadError

if TYPE_CHECKING:  # pandas and openpyxl load only when a table is written (recalc needs neither)
    import pandas as pd

FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
NUMBER_FORMATS = {
    "fte": "0.00",
    "weighted": "0.00",
    "weighted_active": "0.00",
    "capacity_min": "0.00",
    "capacity_max": "0.00",
    "load_pct": "0.0",
    "case_holding_fte": "0.00",
    "children_per_fte": "0.0",
    "weighted_per_fte": "0.0",
}


class OutputError(CaseloadError):
    """An output that would overwrite an input, or has an unknown format."""


# Characters XML 1.0 (and so an xlsx or the census XML) cannot hold.
XML_ILLEGAL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]")


def xml_safe(text: str) -> str:
    """``text`` with every character an XML document cannot hold shown as a ``\\xNN``
    escape (an id holding a control character stays distinct and visible)."""
    return XML_ILLEGAL.sub(lambda m: f"\\x{ord(m.group(0)):02x}", text)


def cell_value(value: object) -> object:
    """A value as a workbook cell can hold it: text with no character XML cannot hold."""
    return xml_safe(value) if isinstance(value, str) else value


def text_cell(cell: object) -> object:
    """Make an openpyxl cell holding text a text cell, never a formula (openpyxl reads a
    leading ``=`` as one). Give it its value through ``cell_value``. Returns the cell."""
    if isinstance(getattr(cell, "value", None), str):
        cell.data_type = "s"
    return cell


def inert(value: object) -> object:
    """A text cell that would run as a formula, made inert with a leading apostrophe.

    A plain number written as text (``-7``, ``+44``) is left as it is: it runs nothing.
    """
    if isinstance(value, str) and value.startswith(FORMULA_STARTS) and not _is_number(value):
        return "'" + value
    return value


def _is_number(text: str) -> bool:
    try:
        float(text)
    except ValueError:
        return False
    return True


def same_file(a: Path, b: Path) -> bool:
    """True when ``a`` and ``b`` are one file: same device and inode (a hard link or a
    symlink to it is the same file), or the same path once resolved when either is absent."""
    try:
        first, second = os.stat(a), os.stat(b)
    except OSError:
        try:
            return Path(a).resolve() == Path(b).resolve()
        except (OSError, RuntimeError):
            return False
    return (first.st_dev, first.st_ino) == (second.st_dev, second.st_ino)


def check_output(
    out: Path,
    inputs: Iterable[Path],
    suffixes: tuple[str, ...] = (".csv", ".xlsx"),
    what: str = "the input",
) -> None:
    """Refuse (``OutputError``) an output that is one of ``inputs`` (compared by device and
    inode), a symlink (even a dangling one: writing through it would land elsewhere), a
    folder, in a folder that does not exist or cannot be written, or of a wrong kind."""
    out = Path(out)
    if out.suffix.lower() not in suffixes:
        raise OutputError(f"{out}: the output must end in {' or '.join(suffixes)}")
    for source in inputs:
        if same_file(out, Path(source)):
            raise OutputError(f"{out}: refusing to write over {what} ({Path(source).name})")
    if out.is_symlink():
        raise OutputError(f"{out}: refusing to write through a symbolic link")
    if out.is_dir():
        raise OutputError(f"{out}: is a folder, not a file")
    parent = out.parent
    if not parent.is_dir():
        raise OutputError(f"{out}: the folder {parent} does not exist")
    if not os.access(parent, os.W_OK | os.X_OK):
        raise OutputError(f"{out}: the folder {parent} cannot be written")
    if out.exists() and not os.access(out, os.W_OK):
        raise OutputError(f"{out}: the file is read-only")


@contextlib.contextmanager
def atomic_output(out: Path) -> Iterator[Path]:
    """A temporary path beside ``out`` to write to; renamed to ``out`` when the block ends
    without an error, removed otherwise. An ``OSError`` (disk full, file-size limit, read-only
    folder) becomes ``OutputError`` naming ``out``. Renaming replaces a directory entry: an
    existing file at ``out`` is replaced, never written through (a hard link elsewhere keeps
    its bytes)."""
    out = Path(out)
    try:
        handle, name = tempfile.mkstemp(
            prefix=f".{out.stem}.", suffix=f".tmp{out.suffix}", dir=out.parent
        )
    except OSError as exc:
        raise OutputError(f"{out}: cannot be written ({exc.strerror or exc})") from None
    os.close(handle)
    temporary = Path(name)
    try:
        yield temporary
        os.replace(temporary, out)
    except OSError as exc:
        raise OutputError(f"{out}: cannot be written ({exc.strerror or exc})") from None
    finally:
        with contextlib.suppress(OSError):
            temporary.unlink()


def plain_value(value: object) -> object:
    """A cell's value as plain Python: numpy scalars unwrapped, NaN as None."""
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return None
    if hasattr(value, "item"):
        return value.item()
    return value


def write_csv(frame: pd.DataFrame, out: Path | None) -> None:
    """CSV at full precision (``repr`` of floats), blanks for NaN, text cells made inert."""
    if out is None:
        import sys

        _csv_rows(frame, sys.stdout)
        return
    with atomic_output(out) as temporary, open(temporary, "w", newline="", encoding="utf-8") as f:
        _csv_rows(frame, f)


def _csv_rows(frame: pd.DataFrame, stream: object) -> None:
    writer = csv.writer(stream, lineterminator="\n")
    writer.writerow(frame.columns)
    for row in frame.itertuples(index=False):
        writer.writerow(["" if (v := plain_value(c)) is None else inert(v) for c in row])


def write_xlsx(sheets: dict[str, pd.DataFrame], out: Path) -> None:
    """One sheet per table, header in bold, numbers through number formats (never rounded)."""
    from openpyxl import Workbook
    from openpyxl.cell import WriteOnlyCell
    from openpyxl.styles import Font

    book = Workbook(write_only=True)
    for title, frame in sheets.items():
        sheet = book.create_sheet(title)
        header = []
        for name in frame.columns:
            cell = text_cell(WriteOnlyCell(sheet, value=cell_value(str(name))))
            cell.font = Font(bold=True)
            header.append(cell)
        sheet.append(header)
        formats = [NUMBER_FORMATS.get(str(name)) for name in frame.columns]
        for row in frame.itertuples(index=False):
            cells = []
            for value, number_format in zip(row, formats, strict=True):
                cell = text_cell(WriteOnlyCell(sheet, value=cell_value(plain_value(value))))
                if number_format and isinstance(cell.value, float):
                    cell.number_format = number_format
                cells.append(cell)
            sheet.append(cells)
        sheet.freeze_panes = "A2"
    with atomic_output(out) as temporary:
        book.save(temporary)


def write_table(frame: pd.DataFrame, out: Path | None, sheet: str = "Result") -> None:
    """CSV to ``out`` (or standard output when None) or xlsx when ``out`` ends in .xlsx."""
    if out is not None and out.suffix.lower() == ".xlsx":
        write_xlsx({sheet: frame}, out)
    else:
        write_csv(frame, out)
