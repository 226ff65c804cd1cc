"""Every command against hostile input (issue 10): classes A-F, built from ``hostile_files``.

Each case ends with the documented exit status (0/1/2) and one-line messages, no traceback,
no planted child name anywhere (standard output, standard error, files written), no input
modified (bytes compared before and after) and no unsafe output (no raw control character on
standard error, no live formula from data, well-formed XML).
"""

from __future__ import annotations

import os
import re
import sqlite3
import stat
import subprocess
import sys
import zipfile
from collections.abc import Callable
from pathlib import Path
from xml.etree import ElementTree as ET

import hostile_files as hf
import openpyxl
import pytest
from click.testing import CliRunner

from addin.cli import main
from addin.xlsx import limits
from udfs import policy as policy_module

CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f]")


# --- running a command and checking what every case must hold -------------------------------


def snapshot_bytes(folder: Path) -> dict[Path, bytes]:
    """Every file under ``folder`` and its bytes (symlinks left out)."""
    return {p: p.read_bytes() for p in folder.rglob("*") if p.is_file() and not p.is_symlink()}


def parts_of(path: Path) -> list[bytes]:
    """A file's bytes, and each part of it when it is a zip package."""
    data = [path.read_bytes()]
    if zipfile.is_zipfile(path):
        with zipfile.ZipFile(path) as archive:
            for name in archive.namelist():
                try:
                    data.append(archive.read(name))
                except (zipfile.BadZipFile, OSError, ValueError):
                    continue  # a hostile input's damaged part
    return data


def texts_of(path: Path, copied: frozenset[bytes] = frozenset()) -> bytes:
    """A file's bytes and every part of it when it is a zip package (outputs are scanned
    uncompressed for leaks), leaving out parts ``copied`` byte for byte from an input (the
    manager's own sheets, which ``attach`` keeps as they are)."""
    parts = parts_of(path)
    if zipfile.is_zipfile(path):
        parts = parts[1:]
    return b"".join(part for part in parts if part not in copied)


class Run:
    """One command run: status, standard output and standard error."""

    def __init__(self, status: int, stdout: str, stderr: str) -> None:
        self.status, self.stdout, self.stderr = status, stdout, stderr

    @property
    def text(self) -> str:
        return self.stdout + self.stderr


def cli(*args: object, folder: Path) -> Run:
    """Run ``caseload ARGS`` in-process (cwd ``folder``) and check the case's invariants."""
    before = snapshot_bytes(folder)
    runner = CliRunner()
    cwd = os.getcwd()
    os.chdir(folder)
    try:
        result = runner.invoke(main, [str(a) for a in args], catch_exceptions=True)
    finally:
        os.chdir(cwd)
    if result.exception is not None and not isinstance(result.exception, SystemExit):
        raise AssertionError(f"uncaught {result.exception!r}:\n{result.output}")
    run = Run(result.exit_code, result.stdout, result.stderr)
    holds(run, folder, before)
    return run


def process(*args: object, folder: Path, timeout: float = 60) -> Run:
    """Run ``caseload ARGS`` as its own process: an abort in a reader shows here as a signal."""
    before = snapshot_bytes(folder)
    done = subprocess.run(
        [sys.executable, "-c", "from addin.cli import main; main()", *map(str, args)],
        cwd=folder,
        capture_output=True,
        text=True,
        timeout=timeout,
    )
    run = Run(done.returncode, done.stdout, done.stderr)
    holds(run, folder, before)
    return run


def holds(
    run: Run, folder: Path, before: dict[Path, bytes], replaced: tuple[Path, ...] = ()
) -> None:
    """What every case must hold, whatever its status (``replaced``: a book ``recalc
    --in-place`` replaced, checked by the caller instead)."""
    assert run.status in (0, 1, 2), f"status {run.status}:\n{run.text[-2000:]}"
    assert "Traceback" not in run.text, run.text[-2000:]
    assert "panicked" not in run.text and "RUST_BACKTRACE" not in run.text, run.text[-2000:]
    assert not CONTROL.search(run.stderr), repr(run.stderr)
    assert hf.CHILD_NAME not in run.text and hf.CHILD_BIRTH not in run.text, run.text
    for path, data in before.items():
        if path in replaced and run.status == 0:
            continue
        assert path.exists() and path.read_bytes() == data, f"input {path.name} was modified"
    copied = frozenset(part for path in before for part in parts_of(path))
    for path in folder.rglob("*"):
        if path.is_file() and path not in before:
            assert hf.CHILD_NAME.encode() not in texts_of(path, copied), f"{path.name}: a name"
            assert not path.name.endswith(".tmp") and ".tmp." not in path.name, path.name
    if run.status == 2:
        errors = [line for line in run.stderr.splitlines() if line.startswith("error:")]
        assert errors, run.stderr


# --- the commands that read a workbook ------------------------------------------------------

READERS: dict[str, Callable[[Path], list[object]]] = {
    "weigh": lambda book: ["weigh", book.name, "-o", "out.csv"],
    "map": lambda book: ["map", book.name],
    "snapshot": lambda book: ["snapshot", book.name, "--month", "2025-09", "--quiet"],
    "census": lambda book: [
        "return",
        "census",
        "--as-at",
        "2025-09-30",
        book.name,
        "-o",
        "out.xml",
        "--quiet",
    ],  # fmt: skip
    "attach": lambda book: ["attach", book.name, "-o", "out.xlsx"],
    "recalc": lambda book: ["recalc", book.name, "-o", "out.xlsx"],
}

HOSTILE_BOOKS: dict[str, Callable[[Path], Path]] = {
    "cell at XFD1048576": hf.far_cell,
    "missing sheet part": hf.missing_sheet_part,
    "part larger than declared": hf.understated_size,
    "entity bomb": hf.entity_bomb,
    "external and undefined entity": hf.undefined_entity,
    "not a zip": hf.not_a_zip,
}


@pytest.mark.parametrize("command", READERS)
@pytest.mark.parametrize("case", HOSTILE_BOOKS)
def test_a_hostile_workbook_is_refused_in_one_line(tmp_path, command, case):
    book = HOSTILE_BOOKS[case](tmp_path / "book.xlsx")
    run = cli(*READERS[command](book), folder=tmp_path)
    assert run.status == 2, run.text
    assert "book.xlsx" in run.stderr
    assert not (tmp_path / "out.xlsx").exists() and not (tmp_path / "out.xml").exists()


def test_a_cell_at_xfd1048576_does_not_abort_the_process(tmp_path):
    hf.far_cell(tmp_path / "far.xlsx")
    run = process("weigh", "far.xlsx", folder=tmp_path)
    assert run.status == 2 and "limit" in run.stderr


def test_one_far_cell_file_does_not_kill_a_batch(tmp_path):
    hf.tracker(tmp_path / "good.xlsx")
    hf.far_cell(tmp_path / "far.xlsx")
    run = process(
        "snapshot", "good.xlsx", "far.xlsx", "--month", "2025-09", "--quiet", "--allow-partial",
        folder=tmp_path,
    )  # fmt: skip
    assert run.status == 1 and "stored 2 worker(s)" in run.stderr, run.stderr
    assert "unusable: far.xlsx" in run.stderr


def test_a_control_character_in_an_id_is_written_to_xlsx(tmp_path):
    hf.tracker(tmp_path / "t.xlsx", workers=hf.with_workers(["W\x01\x1b[31m", "AI", "SW", 1]))
    run = cli("weigh", "t.xlsx", "-o", "out.xlsx", folder=tmp_path)
    assert run.status == 0, run.stderr
    ids = [row[0].value for row in openpyxl.load_workbook(tmp_path / "out.xlsx").active]
    assert "W\\x01\\x1b[31m" in ids


@pytest.mark.parametrize(
    "args",
    [
        ["weigh", "t.xlsx", "-o", "{out}"],
        ["recalc", "t.xlsx", "-o", "{out}"],
        ["return", "census", "--as-at", "2025-09-30", "t.xlsx", "-o", "{out}", "--quiet"],
        ["attach", "t.xlsx", "-o", "{out}"],
    ],
    ids=["weigh", "recalc", "census", "attach"],
)
@pytest.mark.parametrize("where", ["missing folder", "a folder"])
def test_an_output_that_cannot_be_written_is_one_line(tmp_path, args, where):
    hf.tracker(tmp_path / "t.xlsx")
    suffix = ".xml" if "census" in args else ".xlsx"
    if where == "missing folder":
        out = f"no-such-folder/out{suffix}"
    else:
        out = f"folder{suffix}"
        (tmp_path / out).mkdir()
    run = cli(*[a.format(out=out) for a in args], folder=tmp_path)
    assert run.status == 2, run.text


@pytest.mark.skipif(os.geteuid() == 0, reason="root can write to read-only folders")
def test_a_read_only_folder_is_one_line(tmp_path):
    hf.tracker(tmp_path / "t.xlsx")
    locked = tmp_path / "locked"
    locked.mkdir()
    locked.chmod(0o500)
    try:
        run = cli("weigh", "t.xlsx", "-o", "locked/out.xlsx", folder=tmp_path)
    finally:
        locked.chmod(0o700)
    assert run.status == 2 and "cannot be written" in run.stderr


def test_recalc_in_place_failing_mid_write_leaves_nothing_behind(tmp_path, monkeypatch):
    from addin.engine import Workbook

    hf.write_package(tmp_path / "b.xlsx", {"S": hf.sheet_xml([[2, ("=", "A1*3")]])})

    def full(self, out):
        Path(out).write_bytes(b"partial")
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(Workbook, "save_copy", full)
    run = cli("recalc", "b.xlsx", "--in-place", folder=tmp_path)
    assert run.status == 2 and "No space left" in run.stderr
    assert sorted(p.name for p in tmp_path.iterdir()) == ["b.xlsx"]


def test_recalc_in_place_past_the_file_size_limit(tmp_path):
    resource = pytest.importorskip("resource")
    hf.write_package(tmp_path / "b.xlsx", {"S": hf.sheet_xml([[2, ("=", "A1*3")]])})
    size = (tmp_path / "b.xlsx").stat().st_size
    before = snapshot_bytes(tmp_path)

    def limit() -> None:
        resource.setrlimit(resource.RLIMIT_FSIZE, (size + 100, size + 100))

    done = subprocess.run(
        [sys.executable, "-c", "from addin.cli import main; main()", "recalc", "b.xlsx",
         "--in-place"],
        cwd=tmp_path, capture_output=True, text=True, timeout=60, preexec_fn=limit,
    )  # fmt: skip
    run = Run(done.returncode, done.stdout, done.stderr)
    holds(run, tmp_path, before, replaced=(tmp_path / "b.xlsx",))
    # either it fitted (a backup and the new book) or it failed with nothing left behind
    names = sorted(p.name for p in tmp_path.iterdir())
    assert names in (["b.xlsx"], ["b.bak.xlsx", "b.xlsx"]), names
    if run.status == 2:
        assert names == ["b.xlsx"] and "cannot be written" in run.stderr
    else:
        assert (tmp_path / "b.bak.xlsx").read_bytes() == before[tmp_path / "b.xlsx"]


def test_snapshot_month_0000_is_refused(tmp_path):
    hf.tracker(tmp_path / "t.xlsx")
    run = cli("snapshot", "t.xlsx", "--month", "0000-01", "--quiet", folder=tmp_path)
    assert run.status == 2 and "YYYY-MM" in run.stderr


# --- B. limits ------------------------------------------------------------------------------

POLICIES: dict[str, Callable[[Path], Path]] = {
    "alias bomb": hf.yaml_alias_bomb,
    "20,000 keys": hf.wide_policy,
    "200 levels deep": hf.deep_policy,
    "2 MiB": hf.big_policy,
}
POLICY_USERS = {
    "weigh": ["weigh", "t.xlsx"],
    "recalc": ["recalc", "t.xlsx", "-o", "out.xlsx"],
    "census": ["return", "census", "--as-at", "2025-09-30", "t.xlsx", "-o", "o.csv", "--quiet"],
}


@pytest.mark.parametrize("command", POLICY_USERS)
@pytest.mark.parametrize("case", POLICIES)
def test_a_hostile_policy_is_refused_before_work(tmp_path, command, case):
    hf.tracker(tmp_path / "t.xlsx")
    POLICIES[case](tmp_path / "p.yaml")
    run = cli(*POLICY_USERS[command], "--policy", "p.yaml", folder=tmp_path)
    assert run.status == 2 and "p.yaml" in run.stderr and "limit" in run.stderr, run.stderr


def test_a_policy_that_is_a_pipe_is_refused(tmp_path):
    hf.tracker(tmp_path / "t.xlsx")
    os.mkfifo(tmp_path / "pipe.yaml")
    run = process("weigh", "t.xlsx", "--policy", "pipe.yaml", folder=tmp_path, timeout=30)
    assert run.status == 2


@pytest.mark.parametrize("function", ["CW_POLICY", "CW_CAPACITY"])
def test_recalc_refuses_policy_files_named_in_formulas(tmp_path, function):
    secret = tmp_path / "secret.yaml"
    secret.write_text("extends: gateshead\nname: secret-marker\nservice_aim: 99\n")
    hf.formula_policy_book(tmp_path / "b.xlsx", secret, function)
    run = cli("recalc", "b.xlsx", "-o", "out.xlsx", folder=tmp_path)
    assert run.status == 1 and "may not name a policy file" in run.stderr, run.stderr
    assert str(secret) not in run.stderr
    assert b"secret-marker" not in texts_of(tmp_path / "out.xlsx")
    (tmp_path / "out.xlsx").unlink()
    allowed = cli("recalc", "b.xlsx", "-o", "out.xlsx", "--allow-policy-files", folder=tmp_path)
    assert allowed.status == 0, allowed.stderr
    if function == "CW_POLICY":
        assert b"secret-marker" in texts_of(tmp_path / "out.xlsx")


@pytest.mark.parametrize("command", READERS)
def test_a_zip_bomb_is_refused_by_its_declared_size(tmp_path, monkeypatch, command):
    monkeypatch.setattr(limits, "MAX_PART_BYTES", 1024 * 1024)
    book = hf.zip_bomb(tmp_path / "book.xlsx", inflated=2 * 1024 * 1024)
    assert book.stat().st_size < 64 * 1024
    run = cli(*READERS[command](book), folder=tmp_path)
    assert run.status == 2 and "limit" in run.stderr, run.stderr


@pytest.mark.parametrize("command", ["weigh", "recalc"])
def test_the_cell_count_limit(tmp_path, monkeypatch, command):
    monkeypatch.setattr(limits, "MAX_SHEET_CELLS", 10_000)
    book = hf.many_cells(tmp_path / "book.xlsx", rows=200, columns=100)
    run = cli(*READERS[command](book), folder=tmp_path)
    assert run.status == 2 and "200 rows x 100 columns" in run.stderr, run.stderr


@pytest.mark.parametrize(
    "cells",
    [
        b'<c r="A1"/><c r="XFD1048576"/>',
        b'<x:c r="A1"/><x:c r="XFD1048576"/>',  # prefixed tags
        b'<c r="A1"/><c r="$XFD$1048576"/>',  # $ in the reference
        b'<c r="A1"/><c\nr="XFD1048576"/>',  # a newline after the tag name
        b'<c r="A1"/><c s="1" r="XFD1048576"/>',  # r not first
    ],
)
def test_a_far_cell_is_measured_however_the_cell_tag_is_written(cells):
    """The quick reading of the usual sheet never hides a cell written another way."""
    span = limits.sheet_span(b'<sheetData><row r="1">' + cells + b"</row></sheetData>")
    assert (span.cells, span.rows, span.columns) == (2, 1_048_576, 16_384)


def test_cells_without_references_follow_the_one_before():
    row = b'<row r="1"><c r="A1"/>' + b"<c/>" * 30 + b"</row>"
    span = limits.sheet_span(b"<sheetData>" + row + b"</sheetData>")
    assert (span.cells, span.rows, span.columns) == (31, 1, 31)


@pytest.mark.slow
def test_a_zip_bomb_past_the_real_limit(tmp_path):
    book = hf.zip_bomb(tmp_path / "book.xlsx", inflated=limits.MAX_PART_BYTES + 1024 * 1024)
    run = process("weigh", book.name, folder=tmp_path)
    assert run.status == 2 and "limit" in run.stderr


def test_the_limits_are_the_documented_numbers():
    readme = (Path(__file__).parents[1] / "README.md").read_text(encoding="utf-8")
    section = readme.split("## Security and data protection")[1].split("\n## ")[0]
    for number in (
        f"{limits.MAX_PART_BYTES // 2**20} MiB",
        f"{limits.MAX_PACKAGE_BYTES // 2**20} MiB",
        f"{limits.MAX_SHEET_CELLS:,}",
        f"{limits.MAX_PARTS:,}",
        f"{policy_module.MAX_POLICY_BYTES // 2**20} MiB",
        f"{policy_module.MAX_YAML_NODES:,}",
        f"{policy_module.MAX_YAML_DEPTH}",
    ):
        assert number in section, number


# --- C. input modified ----------------------------------------------------------------------


@pytest.mark.parametrize(
    "args",
    [
        ["weigh", "t.xlsx", "-o", "link.xlsx"],
        ["recalc", "t.xlsx", "-o", "link.xlsx"],
        ["attach", "t.xlsx", "-o", "link.xlsx"],
        ["return", "census", "--as-at", "2025-09-30", "t.xlsx", "-o", "link.csv", "--quiet"],
    ],
    ids=["weigh", "recalc", "attach", "census"],
)
def test_an_output_hard_linked_to_the_input_is_refused(tmp_path, args):
    hf.tracker(tmp_path / "t.xlsx")
    os.link(tmp_path / "t.xlsx", tmp_path / args[args.index("-o") + 1])
    run = cli(*args, folder=tmp_path)
    assert run.status == 2 and "refusing" in run.stderr, run.stderr


def test_review_gmt_output_hard_linked_to_the_history_is_refused(tmp_path):
    hf.tracker(tmp_path / "t.xlsx")
    assert cli("snapshot", "t.xlsx", "--month", "2025-09", "--quiet", folder=tmp_path).status == 0
    os.link(tmp_path / "caseload-history.sqlite", tmp_path / "review.xlsx")
    run = cli("review", "gmt", "--quarter", "2025Q3", "-o", "review.xlsx", folder=tmp_path)
    assert run.status == 2 and "refusing" in run.stderr
    run = cli("report", "quarterly", "--quarter", "2025Q3", "-o", "review.xlsx", folder=tmp_path)
    assert run.status == 2 and "refusing" in run.stderr


def test_snapshot_history_hard_linked_to_an_input_is_refused(tmp_path):
    hf.tracker(tmp_path / "t.xlsx")
    os.link(tmp_path / "t.xlsx", tmp_path / "h.sqlite")
    run = cli("snapshot", "t.xlsx", "--month", "2025-09", "--db", "h.sqlite", folder=tmp_path)
    assert run.status == 2 and "refusing" in run.stderr


def test_recalc_in_place_never_overwrites_a_backup(tmp_path):
    hf.write_package(tmp_path / "b.xlsx", {"S": hf.sheet_xml([[2, ("=", "A1*3")]])})
    (tmp_path / "b.bak.xlsx").write_bytes(b"my earlier backup")
    before = (tmp_path / "b.xlsx").read_bytes()
    runner = CliRunner()
    result = runner.invoke(main, ["recalc", str(tmp_path / "b.xlsx"), "--in-place"])
    assert result.exit_code == 0, result.output
    assert (tmp_path / "b.bak.xlsx").read_bytes() == b"my earlier backup"
    assert (tmp_path / "b.bak-2.xlsx").read_bytes() == before
    assert "b.bak-2.xlsx" in result.stderr


def test_map_does_not_write_through_a_dangling_symlink(tmp_path):
    hf.tracker(tmp_path / "t.xlsx")
    (tmp_path / "t.mapping.yaml").symlink_to(tmp_path / "elsewhere.yaml")
    run = cli("map", "t.xlsx", folder=tmp_path)
    assert run.status == 2 and not (tmp_path / "elsewhere.yaml").exists()


def test_weigh_does_not_write_through_a_symlink(tmp_path):
    hf.tracker(tmp_path / "t.xlsx")
    (tmp_path / "out.csv").symlink_to(tmp_path / "elsewhere.csv")
    run = cli("weigh", "t.xlsx", "-o", "out.csv", folder=tmp_path)
    assert run.status == 2 and not (tmp_path / "elsewhere.csv").exists()


# --- D. unsafe output -----------------------------------------------------------------------

FORMULA_IDS = ['=HYPERLINK("http://example.invalid","x")', "=cmd|'/C calc'!A0", "@SUM(1)"]


def test_weigh_writes_formula_like_ids_as_text(tmp_path):
    rows = [[worker_id, "AI", "SW", 1] for worker_id in FORMULA_IDS]
    hf.tracker(tmp_path / "t.xlsx", workers=hf.with_workers(*rows))
    run = cli("weigh", "t.xlsx", "-o", "out.xlsx", folder=tmp_path)
    assert run.status == 0, run.stderr
    with zipfile.ZipFile(tmp_path / "out.xlsx") as archive:
        sheets = [archive.read(n) for n in archive.namelist() if "worksheets/" in n]
    assert all(b"<f>" not in xml and b"<f " not in xml for xml in sheets)
    cells = {c.value: c.data_type for row in openpyxl.load_workbook(tmp_path / "out.xlsx").active
             for c in row}  # fmt: skip
    assert all(cells[i] == "s" for i in FORMULA_IDS)


def test_census_xml_is_well_formed_with_hostile_ids(tmp_path):
    rows = [["W\x01--x-", "AI", "SW", 1], ["W---", "AI", "SW", 1], ["W3-", "AI", "SW", 1]]
    hf.tracker(tmp_path / "t.xlsx", workers=hf.with_workers(*rows))
    run = cli(
        "return", "census", "--as-at", "2025-09-30", "t.xlsx", "-o", "c.xml", "--quiet",
        folder=tmp_path,
    )  # fmt: skip
    assert run.status in (0, 1), run.stderr
    ET.parse(tmp_path / "c.xml")  # well formed


def test_escape_codes_never_reach_the_terminal(tmp_path):
    hostile = "\x1b]0;owned\x07\x1b[2J"
    rows = [["W1" + hostile, "NOPE" + hostile, "SW", 1]]
    hf.tracker(tmp_path / "t.xlsx", workers=hf.with_workers(*rows))
    run = cli("weigh", "t.xlsx", folder=tmp_path)
    assert run.status == 1 and "\\x1b" in run.stderr
    bad = tmp_path / ("x" + hostile + ".xlsx")
    run = cli("weigh", bad.name, folder=tmp_path)
    assert run.status == 2


# --- E. data protection ---------------------------------------------------------------------

CHILD_ROWS = [
    ["C4", "W1", "F4", hf.CHILD_NAME, 2, None],
    ["C5", "W1", "F5", "CIN", hf.CHILD_BIRTH, None],
    ["C6", "W1", "F6", "CIN", 2, hf.CHILD_NAME],
]


@pytest.mark.parametrize(
    "args",
    [
        ["weigh", "t.xlsx"],
        ["snapshot", "t.xlsx", "--month", "2025-09", "--quiet", "--allow-partial"],
        ["return", "census", "--as-at", "2025-09-30", "t.xlsx", "-o", "o.csv", "--quiet"],
        ["attach", "t.xlsx", "-o", "o.xlsx"],
    ],
    ids=["weigh", "snapshot", "census", "attach"],
)
def test_a_name_typed_into_a_childs_row_is_never_echoed(tmp_path, args):
    hf.saved_tracker(tmp_path / "t.xlsx", cases=hf.with_cases(*CHILD_ROWS))
    run = cli(*args, folder=tmp_path)
    assert run.status == 1, run.stderr
    for cell in ("Cases!D5", "Cases!E6", "Cases!F7"):
        assert cell in run.stderr, run.stderr
    assert "expected one of" in run.stderr


def test_map_never_copies_personal_looking_codes(tmp_path):
    cases = [["case_id", "worker_id", "category"], ["C1", "W1", "CIN"],
             ["C2", "W1", hf.CHILD_NAME], ["C3", "W1", hf.CHILD_BIRTH]]  # fmt: skip
    hf.tracker(tmp_path / "t.xlsx", cases=cases)
    run = cli("map", "t.xlsx", folder=tmp_path)
    assert run.status == 0, run.stderr
    text = (tmp_path / "t.mapping.yaml").read_text()
    assert "CIN" in text and "2012" not in text
    assert "not copied: 2 value(s) in sheet Cases, column category" in run.stderr


def test_the_history_is_private_and_keeps_no_file_names(tmp_path):
    named = tmp_path / f"{hf.CHILD_NAME} tracker.xlsx"
    hf.tracker(named)
    run = cli("snapshot", named.name, "--month", "2025-09", "--quiet", folder=tmp_path)
    assert run.status == 0, run.stderr
    db = tmp_path / "caseload-history.sqlite"
    assert stat.S_IMODE(db.stat().st_mode) == 0o600
    assert b"Alice" not in db.read_bytes()
    with sqlite3.connect(db) as connection:
        assert connection.execute("SELECT files FROM months").fetchone() == ("1",)


# --- F. silently wrong ----------------------------------------------------------------------


@pytest.mark.parametrize("text", ["NaN", "inf", "-inf", "Infinity"])
@pytest.mark.parametrize(
    "field,row",
    [
        ("fte", ["W9", "AI", "SW", "{v}", None, "no", 0]),
        ("asye_months", ["W9", "AI", "ASYE", 1, "{v}", "no", 0]),
        ("reduction_pct", ["W9", "AI", "SW", 1, None, "no", "{v}"]),
        ("level", ["C9", "W1", "F9", "CIN", "{v}", None]),
    ],
)
def test_non_finite_numbers_are_rejected(tmp_path, text, field, row):
    row = [text if v == "{v}" else v for v in row]
    if field == "level":
        hf.tracker(tmp_path / "t.xlsx", cases=hf.with_cases(row))
    else:
        hf.tracker(tmp_path / "t.xlsx", workers=hf.with_workers(row))
    run = cli("weigh", "t.xlsx", folder=tmp_path)
    assert run.status == 1 and field in run.stderr, run.stderr


@pytest.mark.parametrize(
    "content",
    ["", "[1, 2]", "columns: [a]", "sheets: {Workers: [x]}", "confirmed: maybe", None],
    ids=["empty", "list", "columns-list", "sheets-list", "confirmed-text", "alias-bomb"],
)
@pytest.mark.parametrize("command", ["snapshot", "census", "attach"])
def test_a_hostile_mapping_file_is_an_error_naming_it(tmp_path, content, command):
    hf.tracker(tmp_path / "t.xlsx")
    mapping = tmp_path / "t.mapping.yaml"
    if content is None:
        hf.hostile_mapping(mapping)
    else:
        mapping.write_text(content)
    run = cli(*READERS[command](tmp_path / "t.xlsx"), folder=tmp_path)
    assert run.status in (1, 2) and "t.mapping.yaml" in run.stderr, run.stderr


def test_a_huge_number_is_shown_short_and_without_a_warning(tmp_path):
    hf.tracker(
        tmp_path / "t.xlsx", workers=hf.with_workers(["W9", "AI", "SW", 1, 0, "no", "1e308%"])
    )
    run = cli("weigh", "t.xlsx", folder=tmp_path)
    assert run.status == 1 and "Warning" not in run.stderr, run.stderr
    assert not re.search(r"\d{20}", run.stderr), run.stderr
    hf.tracker(tmp_path / "u.xlsx", workers=hf.with_workers(["W9", "AI", "SW", 1e308]))
    run = cli("weigh", "u.xlsx", folder=tmp_path)
    assert run.status == 1 and "1e+308" in run.stderr and not re.search(r"\d{20}", run.stderr)
