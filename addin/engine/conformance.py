"""Conformance of the engine with Excel: recalculate Excel-saved workbooks and compare every
formula cell with the value Excel stored for it.

    python -m addin.engine.conformance tests/conformance [--markdown docs/recalc.md]
        [--mismatches N] [--book NAME]

Each folder under the root is a *source* (``tests/conformance/xlcalculator/``...) holding
``.xlsx``/``.xlsm`` books. For every book: the engine loads and calculates it, every formula
cell (and every cell of a stored array or spill range) that has a stored value is compared with
Excel's (numbers to a relative 1e-9, text exactly, logicals, error codes), and the copy the
writer produces is checked part by part with an XML parser. Books saved by another application
(``docProps/app.xml``), with VBA, with external links or with circular references are counted
apart ("out of scope"). ``--markdown`` rewrites the part of a Markdown file between
``<!-- conformance:start -->`` and ``<!-- conformance:end -->`` with the per-source, per-book and
per-function tables. ``--mismatches`` prints up to N differing cells (these are public test
books; never run it on a user's workbook).
"""

from __future__ import annotations

import argparse
import math
import multiprocessing
import re
import sys
import tempfile
import time
import warnings
import zipfile
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from xml.etree import ElementTree

from addin.engine.values import XlError

START, END = "<!-- conformance:start -->", "<!-- conformance:end -->"
REL_TOL, ABS_TOL = 1e-9, 1e-12
_FUNCTION_RE = re.compile(r"^\s*(?:_xl(?:fn|ws)\.)*([A-Za-z][A-Za-z0-9._]*)\s*\(")
_PREFIX_RE = re.compile(r"_xl(?:fn|ws|udf)\.", re.I)


class SharedText(str):
    """A shared formula's master text, as a follower cell reads it (``shown``)."""

    def __new__(cls, text: str, master: tuple[int, int], cell: tuple[int, int]) -> SharedText:
        made = super().__new__(cls, text)
        made.master, made.cell = master, cell
        return made

    def shown(self) -> str:
        """The formula moved from the master's cell to this one."""
        from addin.engine.workbook import _translate

        try:
            return _translate(str(self), self.master, self.cell)
        except Exception:  # a formula openpyxl cannot move: the master's text
            return str(self)


@dataclass
class Mismatch:
    """One formula cell whose value differs from Excel's."""

    cell: str
    formula: str
    expected: Any
    got: Any


@dataclass
class BookResult:
    """What one book gave."""

    source: str
    name: str
    application: str = ""
    excluded: list[str] = field(default_factory=list)  # why it is out of scope
    cells: int = 0
    matching: int = 0
    crashed: str = ""  # the exception's type when the engine failed
    malformed: list[str] = field(default_factory=list)  # parts of our copy that do not parse
    by_function: dict[str, list[int]] = field(default_factory=dict)  # name -> [cells, matching]
    mismatches: list[Mismatch] = field(default_factory=list)
    seconds: float = 0.0

    @property
    def in_scope(self) -> bool:
        """Saved by Excel, without VBA, external links or circular references."""
        return not self.excluded


def outermost_function(formula: str) -> str:
    """The name of a formula's outermost function (``SUM`` for ``=SUM(A1)+1``... the first
    call when the formula starts with one), ``(operators)`` otherwise."""
    match = _FUNCTION_RE.match(formula.lstrip("="))
    return match.group(1).upper() if match else "(operators)"


def same_value(expected: Any, got: Any) -> bool:
    """Whether the engine's value ``got`` is Excel's ``expected`` (as stored)."""
    if type(expected) is XlError:
        return type(got) is XlError and got.code == expected.code
    if isinstance(expected, bool):
        return isinstance(got, bool) and got == expected
    if isinstance(expected, float):
        if got is None:
            got = 0.0
        if isinstance(got, bool) or not isinstance(got, int | float):
            return False
        return math.isclose(expected, float(got), rel_tol=REL_TOL, abs_tol=ABS_TOL)
    if isinstance(expected, str):
        return (got is None and expected == "") or (isinstance(got, str) and got == expected)
    return False


def application(path: Path) -> str:
    """The ``Application`` of a package's ``docProps/app.xml`` ("" when it has none)."""
    with zipfile.ZipFile(path) as archive:
        try:
            text = archive.read("docProps/app.xml").decode("utf-8", "replace")
        except KeyError:
            return ""
    match = re.search(r"<(?:\w+:)?Application>([^<]*)<", text)
    return match.group(1).strip() if match else ""


def _exclusions(path: Path, app: str) -> list[str]:
    out = []
    from addin.xlsx.parts import is_excel_application

    if not is_excel_application(app):
        out.append(f"saved by {app.split('$')[0] or 'an unknown application'}")
    with zipfile.ZipFile(path) as archive:
        names = archive.namelist()
    if any(name.lower().endswith("vbaproject.bin") for name in names):
        out.append("VBA")
    if any(name.startswith("xl/externalLinks/") for name in names):
        out.append("external links")
    return out


def malformed_parts(path: Path) -> list[str]:
    """The XML parts (``.xml``, ``.rels``) of a package that an XML parser rejects."""
    bad = []
    with zipfile.ZipFile(path) as archive:
        for name in archive.namelist():
            if name.endswith((".xml", ".rels")):
                try:
                    ElementTree.fromstring(archive.read(name))
                except ElementTree.ParseError:
                    bad.append(name)
    return bad


def _expected_cells(book: Any) -> dict[str, dict[tuple[int, int], tuple[Any, str]]]:
    """Sheet -> (row, col) -> (Excel's stored value, formula) for every calculated cell."""
    from addin.xlsx.references import parse_range

    out: dict[str, dict[tuple[int, int], tuple[Any, str]]] = {}
    for sheet in book.package.sheets:
        cells: dict[tuple[int, int], tuple[Any, str]] = {}
        for key, cell in sheet.formulas.items():
            text = cell.text
            if cell.shared_master and cell.shared_master != key:
                text = SharedText(text, cell.shared_master, key)
            if cell.ref and cell.kind in ("array", "dynamic"):
                r1, c1, r2, c2 = parse_range(cell.ref)
                for row in range(r1, r2 + 1):
                    for col in range(c1, c2 + 1):
                        if (row, col) != key and sheet.values.get((row, col)) is not None:
                            cells[(row, col)] = (sheet.values[(row, col)], text)
            if sheet.values.get(key) is not None:
                cells[key] = (sheet.values[key], text)
        out[sheet.name] = cells
    return out


def check_book(path: Path, source: str, keep_mismatches: int = 0) -> BookResult:
    """Recalculate one book and compare it with Excel's stored values."""
    from addin.engine.workbook import Workbook
    from addin.xlsx.references import cell_address, quote_sheet

    result = BookResult(source=source, name=path.name)
    started = time.perf_counter()
    result.application = application(path)
    result.excluded = _exclusions(path, result.application)
    try:
        book = Workbook.load(path)
        expected = _expected_cells(book)
        book.calculate()
        if book.circular:
            result.excluded.append("circular references")
        with tempfile.TemporaryDirectory() as folder:
            out = Path(folder) / ("copy" + path.suffix)
            book.save_copy(out)
            result.malformed = malformed_parts(out)
    except Exception as exc:  # counted, never raised: the suite must see every book
        result.crashed = type(exc).__name__
        result.seconds = time.perf_counter() - started
        return result
    for sheet, cells in expected.items():
        grid = book.grids[sheet]
        for (row, col), (value, formula) in sorted(cells.items()):
            got = grid.get(row, col)
            ok = same_value(value, got)
            result.cells += 1
            result.matching += ok
            counts = result.by_function.setdefault(outermost_function(formula), [0, 0])
            counts[0] += 1
            counts[1] += ok
            if not ok and len(result.mismatches) < keep_mismatches:
                where = f"{quote_sheet(sheet)}!{cell_address(row, col)}"
                shown = formula.shown() if isinstance(formula, SharedText) else formula
                result.mismatches.append(Mismatch(where, str(shown), value, got))
    result.seconds = time.perf_counter() - started
    return result


def books(root: Path) -> list[tuple[str, Path]]:
    """(source, path) of every workbook under ``root``, sorted."""
    found = []
    for path in sorted(root.rglob("*")):
        if path.suffix.lower() in (".xlsx", ".xlsm") and not path.name.startswith("~$"):
            relative = path.relative_to(root)
            source = relative.parts[0] if len(relative.parts) > 1 else root.name
            found.append((source, path))
    return found


def _check_apart(path: Path, source: str, keep_mismatches: int, timeout: float) -> BookResult:
    """``check_book`` in a forked process, so that a book that hangs the engine is reported
    (as crashed with ``Timeout``) instead of stopping the suite."""
    context = multiprocessing.get_context("fork")
    reader, writer = context.Pipe(duplex=False)

    def child() -> None:
        warnings.simplefilter("ignore")
        try:
            writer.send(check_book(path, source, keep_mismatches))
        except Exception as exc:  # e.g. a result that cannot be pickled
            writer.send(BookResult(source=source, name=path.name, crashed=type(exc).__name__))

    process = context.Process(target=child, daemon=True)
    process.start()
    writer.close()
    result: BookResult | None = None
    if reader.poll(timeout):
        try:
            result = reader.recv()
        except EOFError:
            result = None
    process.join(1)
    if process.is_alive():
        process.kill()
        process.join()
    if result is None:
        died = "Timeout" if process.exitcode in (None, -9) else f"exit {process.exitcode}"
        result = BookResult(source=source, name=path.name, crashed=died)
        result.application = application(path)
        result.excluded = _exclusions(path, result.application)
    return result


def _warm_up() -> None:
    """Import what every book needs once, before the processes are forked."""
    import formulas

    import addin.engine.custom
    import addin.engine.workbook
    import addin.engine.writer  # noqa: F401

    formulas.get_functions()


def run(
    root: Path, keep_mismatches: int = 0, only: str | None = None, timeout: float = 60.0
) -> list[BookResult]:
    """``check_book`` for every book under ``root`` (``only``: names containing it), each in
    a forked process given at most ``timeout`` seconds."""
    _warm_up()
    return [
        _check_apart(path, source, keep_mismatches, timeout)
        for source, path in books(root)
        if only is None or only.lower() in str(path.relative_to(root)).lower()
    ]


def _percent(matching: int, cells: int) -> str:
    return f"{100 * matching / cells:.1f}%" if cells else "-"


def summary(results: list[BookResult]) -> dict[str, Any]:
    """Totals: in-scope cells and matches, crashes, malformed copies."""
    scope = [r for r in results if r.in_scope and not r.crashed]
    cells = sum(r.cells for r in scope)
    matching = sum(r.matching for r in scope)
    return {
        "books": len(results),
        "in_scope_books": len(scope),
        "cells": cells,
        "matching": matching,
        "rate": matching / cells if cells else 1.0,
        "crashes": sum(1 for r in results if r.crashed),
        "malformed": sum(1 for r in results if r.malformed),
    }


def markdown(results: list[BookResult]) -> str:
    """The per-source, per-function and per-book tables, in Markdown."""
    lines = [
        "Generated by `python -m addin.engine.conformance tests/conformance --markdown "
        "docs/recalc.md`; do not edit by hand.",
        "",
        "| source | books | in scope | in-scope formula cells | matching Excel | crashes | "
        "malformed copies |",
        "|---|---|---|---|---|---|---|",
    ]
    by_source: dict[str, list[BookResult]] = defaultdict(list)
    for result in results:
        by_source[result.source].append(result)
    for source, group in [*sorted(by_source.items()), ("**all**", results)]:
        total = summary(group)
        lines.append(
            f"| {source} | {total['books']} | {total['in_scope_books']} | {total['cells']} | "
            f"{_percent(total['matching'], total['cells'])} | {total['crashes']} | "
            f"{total['malformed']} |"
        )
    apart = [r for r in results if not r.in_scope]
    if apart:
        reasons = Counter(
            reason.split(" ")[0] if reason.startswith("saved by") else reason
            for r in apart
            for reason in r.excluded
        )
        lines += [
            "",
            "Reported apart (not in the figures above): "
            + ", ".join(
                f"{count} book(s) {reason}"
                if reason != "saved"
                else f"{count} saved by another application"
                for reason, count in sorted(reasons.items())
            )
            + ".",
        ]
        rows = [
            f"| {r.source}/{r.name} | {'; '.join(r.excluded)} | {r.cells} | "
            f"{_percent(r.matching, r.cells)} |"
            for r in apart
        ]
        lines += [
            "",
            "| book reported apart | why | formula cells | matching |",
            "|---|---|---|---|",
        ]
        lines += rows
    functions: dict[str, list[int]] = defaultdict(lambda: [0, 0])
    for result in results:
        if result.in_scope and not result.crashed:
            for name, (cells, matching) in result.by_function.items():
                functions[name][0] += cells
                functions[name][1] += matching
    lines += [
        "",
        "Per function (the formula's outermost function), in-scope books, least faithful first:",
        "",
        "| function | cells | matching |",
        "|---|---|---|",
    ]
    for name, (cells, matching) in sorted(
        functions.items(), key=lambda item: (item[1][1] / item[1][0], item[0])
    ):
        lines.append(f"| {name} | {cells} | {_percent(matching, cells)} |")
    scope = [r for r in results if r.in_scope]
    perfect = [r for r in scope if not r.crashed and r.matching == r.cells]
    lines += [
        "",
        f"Per book: {len(perfect)} of the {len(scope)} in-scope books match Excel in every "
        "cell; the others:",
        "",
        "| book | cells | matching |",
        "|---|---|---|",
    ]
    for result in scope:
        if result in perfect:
            continue
        shown = (
            f"crashed ({result.crashed})"
            if result.crashed
            else _percent(result.matching, result.cells)
        )
        lines.append(f"| {result.source}/{result.name} | {result.cells} | {shown} |")
    return "\n".join(lines) + "\n"


def write_markdown(target: Path, text: str) -> None:
    """Replace the part of ``target`` between the conformance markers with ``text`` (appended,
    with the markers, when the file has none)."""
    current = target.read_text(encoding="utf-8") if target.exists() else ""
    block = f"{START}\n{text}{END}"
    if START in current and END in current:
        head, rest = current.split(START, 1)
        tail = rest.split(END, 1)[1]
        current = head + block + tail
    else:
        current = current.rstrip("\n") + "\n\n## Conformance with Excel\n\n" + block + "\n"
    target.write_text(current, encoding="utf-8")


def _show(value: Any) -> str:
    text = value.code if type(value) is XlError else repr(value)
    return text if len(text) <= 60 else text[:57] + "..."


def main(argv: list[str] | None = None) -> int:
    """Command line: print the figures; exit 1 on a crash or a malformed copy."""
    parser = argparse.ArgumentParser(prog="python -m addin.engine.conformance")
    parser.add_argument("root", type=Path, help="folder of sources (tests/conformance)")
    parser.add_argument("--markdown", type=Path, help="Markdown file to write the tables into")
    parser.add_argument("--mismatches", type=int, default=0, help="show up to N cells per book")
    parser.add_argument("--book", help="only books whose path contains this")
    parser.add_argument("--timeout", type=float, default=60.0, help="seconds per book")
    args = parser.parse_args(argv)
    results = run(args.root, args.mismatches, args.book, args.timeout)
    for result in results:
        status = (
            "crashed " + result.crashed
            if result.crashed
            else _percent(result.matching, result.cells)
        )
        apart = f" (apart: {'; '.join(result.excluded)})" if result.excluded else ""
        bad = f" MALFORMED {result.malformed}" if result.malformed else ""
        print(
            f"{result.source}/{result.name}: {result.cells} cells, {status}{apart}{bad} "
            f"[{result.seconds:.2f} s]",
            flush=True,
        )
        for miss in result.mismatches:
            print(
                f"    {miss.cell} ={_PREFIX_RE.sub('', miss.formula)}: Excel "
                f"{_show(miss.expected)}, engine {_show(miss.got)}"
            )
    total = summary(results)
    print(
        f"in scope: {total['in_scope_books']}/{total['books']} books, {total['cells']} cells, "
        f"{_percent(total['matching'], total['cells'])} matching; {total['crashes']} crashes, "
        f"{total['malformed']} malformed copies"
    )
    if args.markdown:
        write_markdown(args.markdown, markdown(results))
    return 1 if total["crashes"] or total["malformed"] else 0


if __name__ == "__main__":
    sys.exit(main())
