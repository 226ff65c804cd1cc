
"""Limits on what a workbook may make us do, checked before any reader starts.

Every command that reads a workbook (``weigh``, ``map``, ``snapshot``, ``return census``,
``attach``, ``recalc``) calls ``check_package`` first: it looks at the zip directory (declared
sizes) and scans each worksheet's XML for the span of its cells, so that a zip bomb, a cell at
``XFD1048576`` or an XML entity bomb is refused with one line naming the file and the part,
instead of exhausting memory or aborting the process inside a reader. The numbers are
documented in README.md (*Security and data protection*).
"""

from __future__ import annotations

import posixpath
import re
import zipfile
from dataclasses import dataclass
from pathlib import Path

from addin.xlsx.parts import only_usual_cells
from udfs.errors import CaseloadError

MAX_PART_BYTES = 128 * 1024 * 1024
"""Largest uncompressed size of one part (a sheet's XML, the shared strings): 128 MiB."""
MAX_PACKAGE_BYTES = 512 * 1024 * 1024
"""Largest uncompressed size of all parts together: 512 MiB."""
MAX_PARTS = 10_000
"""Most parts (zip members) in one workbook."""
MAX_SHEET_CELLS = 10_000_000
"""Largest area (rows x columns spanned by its cells) of one worksheet: 10 million cells."""

WORKBOOK_SUFFIXES = {".xlsx", ".xlsm"}
_TAG = re.compile(rb"<(?:[A-Za-z_][\w.-]*:)?(row|c)[\s/>]([^>]*)")
_R_ATTR = re.compile(rb'\br="\$?([A-Za-z]{0,3})\$?(\d*)"')
_DTD = re.compile(rb"<!(?:DOCTYPE|ENTITY)", re.I)
_REL = re.compile(rb"<(?:\w+:)?Relationship\b([^>]*)>")
_ATTR = re.compile(rb'([\w:]+)="([^"]*)"')


class LimitError(CaseloadError):
    """A workbook beyond a limit, or built to harm its reader; the message names the file."""


@dataclass(frozen=True)
class SheetSpan:
    """The cells of one worksheet part: how many, and the rows x columns they span."""

    cells: int
    rows: int
    columns: int

    @property
    def area(self) -> int:
        """Rows x columns: what a reader that builds the grid allocates."""
        return self.rows * self.columns


def _letters(text: bytes) -> int:
    number = 0
    for byte in text.upper():
        number = number * 26 + byte - 64
    return number


_CELL_TAG = re.compile(rb"<(?:[A-Za-z_][\w.-]*:)?c[\s/>]")
_CELL_REF = re.compile(rb'<(?:[A-Za-z_][\w.-]*:)?c\s[^>]*?\br="\$?([A-Za-z]{1,3})\$?(\d+)"')


_USUAL_REF = re.compile(rb'<c r="([A-Z]{1,3})(\d+)"')


def sheet_span(xml: bytes) -> SheetSpan:
    """Count a worksheet's cells and the rows and columns they span, as a reader places them:
    a ``<row>`` or ``<c>`` without ``r`` follows the one before.

    The usual sheet, every cell written ``<c r="A1"`` (as Excel, openpyxl and LibreOffice write
    them), is measured from the references alone with one simple pattern; a sheet whose cells
    all have references is measured from them with a general one; any other is walked tag by
    tag."""
    refs = _USUAL_REF.findall(xml)
    if only_usual_cells(xml, len(refs)):
        return _span_of(refs)
    refs = _CELL_REF.findall(xml)
    if len(refs) == len(_CELL_TAG.findall(xml)):
        return _span_of(refs)
    return _walked_span(xml)


def _span_of(refs: list[tuple[bytes, bytes]]) -> SheetSpan:
    """The span of cells given by their (column letters, row digits) references."""
    if not refs:
        return SheetSpan(0, 0, 0)
    rows = [int(number) for _, number in refs]
    columns = [_letters(letters) for letters in {letters for letters, _ in refs}]
    return SheetSpan(len(refs), max(rows) - max(min(rows), 1) + 1, max(columns) - min(columns) + 1)


def _walked_span(xml: bytes) -> SheetSpan:
    """``sheet_span`` tag by tag, for cells or rows without references."""
    row = col = cells = 0
    first_row = first_col = 0
    last_row = last_col = 0
    for match in _TAG.finditer(xml):
        found = _R_ATTR.search(match.group(2))
        if match.group(1) == b"row":
            row = int(found.group(2)) if found and found.group(2) else row + 1
            col = 0
            continue
        cells += 1
        if found and found.group(1):
            col = _letters(found.group(1))
            if found.group(2):
                row = int(found.group(2))
        else:
            col += 1
        row = max(row, 1)
        first_row = row if not first_row else min(first_row, row)
        first_col = col if not first_col else min(first_col, col)
        last_row, last_col = max(last_row, row), max(last_col, col)
    if not cells:
        return SheetSpan(0, 0, 0)
    return SheetSpan(cells, last_row - first_row + 1, last_col - first_col + 1)


def _worksheet_parts(archive: zipfile.ZipFile, names: set[str]) -> set[str]:
    """Parts the workbook's relationships name as worksheets, and any under a worksheets
    folder (a reader may look there too)."""
    parts = {n for n in names if "worksheets/" in n.lower() and n.lower().endswith(".xml")}
    book = "xl/workbook.xml"
    rels = posixpath.join(posixpath.dirname(book), "_rels", posixpath.basename(book) + ".rels")
    if rels in names:
        for inside in _REL.findall(_read_part(archive, archive.getinfo(rels))):
            found = {k.decode(): v.decode("utf-8", "replace") for k, v in _ATTR.findall(inside)}
            if found.get("Type", "").endswith("/worksheet") and found.get("TargetMode") is None:
                target = found.get("Target", "")
                target = (
                    target.lstrip("/")
                    if target.startswith("/")
                    else posixpath.normpath(posixpath.join(posixpath.dirname(book), target))
                )
                if target in names:
                    parts.add(target)
    return parts


def _read_part(archive: zipfile.ZipFile, info: zipfile.ZipInfo) -> bytes:
    """A part's bytes, never more than it declares (a part inflating past its declared size
    is refused by ``zipfile`` as a bad CRC or a truncated read)."""
    with archive.open(info) as handle:
        data = handle.read(info.file_size + 1)
    if len(data) > info.file_size:
        raise LimitError(f"part {info.filename} is larger than it declares")
    return data


def check_package(path: Path) -> None:
    """Refuse, with ``LimitError``, a workbook package that is beyond the limits or built to
    harm its reader: too many parts, a part or the whole larger than the limits once
    uncompressed, a part larger than it declares, a worksheet spanning more than
    ``MAX_SHEET_CELLS`` cells, or an XML part declaring a DTD or entities (a workbook never
    needs one; it is how entity bombs and external entities get in).

    Files that are not zip packages are left to the reader (which says what they are).
    """
    path = Path(path)
    if path.suffix.lower() not in WORKBOOK_SUFFIXES or not path.is_file():
        return
    name = path.name
    try:
        archive = zipfile.ZipFile(path)
    except (zipfile.BadZipFile, OSError, ValueError):
        return  # not a package: the reader reports it
    try:
        with archive:
            infos = archive.infolist()
            if len(infos) > MAX_PARTS:
                raise LimitError(
                    f"{name}: {len(infos):,} parts in the workbook package "
                    f"(the limit is {MAX_PARTS:,})"
                )
            total = 0
            for info in infos:
                if info.file_size > MAX_PART_BYTES:
                    raise LimitError(
                        f"{name}: part {info.filename} is {_mib(info.file_size)} uncompressed "
                        f"(the limit is {_mib(MAX_PART_BYTES)})"
                    )
                total += info.file_size
            if total > MAX_PACKAGE_BYTES:
                raise LimitError(
                    f"{name}: {_mib(total)} uncompressed (the limit is {_mib(MAX_PACKAGE_BYTES)})"
                )
            names = {info.filename for info in infos}
            sheets = _worksheet_parts(archive, names)
            for info in infos:
                lower = info.filename.lower()
                if not (lower.endswith(".xml") or lower.endswith(".rels")):
                    continue
                data = _read_part(archive, info)
                if _DTD.search(data):
                    raise LimitError(
                        f"{name}: part {info.filename} declares a DTD or XML entities, which a "
                        "workbook never needs (refused: entity bombs and external entities)"
                    )
                if info.filename in sheets:
                    span = sheet_span(data)
                    if span.area > MAX_SHEET_CELLS:
                        raise LimitError(
                            f"{name}: worksheet part {info.filename} spans {span.rows:,} rows x "
                            f"{span.columns:,} columns (more than the limit of "
                            f"{MAX_SHEET_CELLS:,} cells)"
                        )
    except LimitError:
        raise
    except (zipfile.BadZipFile, OSError, EOFError, ValueError, RuntimeError) as exc:
        raise LimitError(f"{name}: a damaged workbook package ({_reason(exc)})") from None


def _mib(size: int) -> str:
    return f"{size / (1024 * 1024):,.0f} MiB"


def _reason(exc: BaseException) -> str:
    text = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
    return text[:120]
