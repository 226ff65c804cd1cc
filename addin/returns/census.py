"""The DfE children's social work workforce census return, per worker (returns.md).

What a caseload tracker supplies: ``AgencyWorker``, ``FTE``/``FTE30`` (six decimal places),
``OrgRole`` (5 when holding cases, else from the role), ``Cases30`` (cases held) and
``CFKSSstatus`` (ASYE 1, PS 3). Every other item is HR's: it is kept when a Workers column of
that name carries it (case, spaces, hyphens and underscores ignored), and otherwise left absent
and reported as missing — never invented.

A worker whose ``RoleEndDate`` is on or before the reference date is a leaver: ``FTE`` and
``FTE30`` are 0 in the return (the tracker keeps the contracted FTE). A ``RoleEndDate`` after
the reference date does not make a leaver; it is reported as an error (a future end date).

``validate`` lists every problem by worker and field; ``write_xml`` / ``write_csv`` refuse to
write a return with errors. ``dfe_caseload`` is the figure DfE publishes: cases held / FTE of
case holders, leaving out 0-FTE case holders and anyone above 50 cases per FTE.
"""

from __future__ import annotations

import csv
import math
import re
import xml.etree.ElementTree as ET
from dataclasses import dataclass, field
from datetime import date, datetime
from pathlib import Path

import pandas as pd

from addin.outputs import atomic_output, inert, xml_safe
from udfs.errors import CaseloadError
from udfs.model import Weighing

ITEMS = (
    "AgencyWorker",
    "SWENo",
    "FTE",
    "PersonBirthDate",
    "GenderCurrent",
    "Ethnicity",
    "QualInst",
    "QualLevel",
    "StepUpGrad",
    "OrgRole",
    "RoleStartDate",
    "StartOrigin",
    "RoleEndDate",
    "LeaverDestination",
    "ReasonLeave",
    "FTE30",
    "Cases30",
    "WorkingDaysLost",
    "ContractWeeks",
    "FrontlineGrad",
    "Absat30Sept",
    "ReasonAbsence",
    "CFKSSstatus",
)
OURS = ("AgencyWorker", "FTE", "OrgRole", "FTE30", "Cases30", "CFKSSstatus")
# HR items a non-agency worker needs ("personal and role items"); agency workers need SWENo.
HR_REQUIRED = (
    "SWENo",
    "PersonBirthDate",
    "GenderCurrent",
    "Ethnicity",
    "QualInst",
    "QualLevel",
    "StepUpGrad",
    "RoleStartDate",
    "WorkingDaysLost",
    "ContractWeeks",
    "FrontlineGrad",
    "Absat30Sept",
)
ETHNICITY = ("WBRI", "WIRI", "WOTH", "MWBC", "MWBA", "MWAS", "MOTH", "AIND", "APKN") + (
    "ABAN",
    "AOTH",
    "BCRB",
    "BAFR",
    "BOTH",
    "CHNE",
    "OOTH",
    "REFU",
    "NOBT",
)
ROLE_ORG = {"TM": "3", "PS": "4", "SPS": "4", "SSW": "4"}  # others without cases: 6
CFKSS = {"ASYE": "1", "PS": "3"}
DATE_ITEMS = ("PersonBirthDate", "RoleStartDate", "RoleEndDate")
CODES: dict[str, tuple[str, ...]] = {
    "AgencyWorker": ("0", "1"),
    "GenderCurrent": ("0", "1", "2", "9"),
    "Ethnicity": tuple(ETHNICITY),
    "QualLevel": ("1", "2", "3"),
    "StepUpGrad": ("0", "1"),
    "OrgRole": tuple("123456"),
    "StartOrigin": tuple(str(i) for i in range(1, 11)),
    "LeaverDestination": tuple(str(i) for i in range(1, 10)),
    "ReasonLeave": tuple(str(i) for i in range(1, 11)),
    "FrontlineGrad": ("0", "1"),
    "Absat30Sept": ("0", "1"),
    "ReasonAbsence": ("MAT", "OTH", "PUB", "SIC", "TRN", "UNA", "UNP"),
    "CFKSSstatus": ("1", "2", "3", "4"),
}
PATTERNS: dict[str, tuple[re.Pattern[str], str]] = {
    "SWENo": (re.compile(r"^[A-Z]{2}\d{10}$"), "two letters and ten digits"),
    "FTE": (re.compile(r"^\d+\.\d{6}$"), "a number with six decimal places"),
    "FTE30": (re.compile(r"^\d+\.\d{6}$"), "a number with six decimal places"),
    "Cases30": (re.compile(r"^\d+$"), "a whole number"),
    "WorkingDaysLost": (re.compile(r"^\d+(\.\d{1,2})?$"), "a number, at most two decimals"),
    "ContractWeeks": (re.compile(r"^\d+(\.\d)?$"), "a number, at most one decimal"),
}
MAX_CASES_PER_FTE = 50.0
ZERO_FTE = f"{0:.6f}"
ISO_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")


class CensusError(CaseloadError):
    """A census return that cannot be written (it has errors) or read."""


@dataclass(frozen=True)
class Problem:
    """One problem of the return: ``kind`` is ``error`` (blocks writing) or ``missing`` (an
    item HR must supply, left absent)."""

    worker: str
    item: str
    kind: str
    message: str

    def __str__(self) -> str:
        return f"{self.kind}: worker {self.worker}: {self.item}: {self.message}"


@dataclass
class Census:
    """A census return: header values, one record (item -> text) per worker, by worker_id."""

    header: dict[str, str]
    workers: list[tuple[str, dict[str, str]]]
    vacancies: dict[str, str] = field(default_factory=dict)

    def frame(self) -> pd.DataFrame:
        """One row per worker: ``worker_id`` then every item (blank when absent)."""
        return pd.DataFrame(
            [{"worker_id": wid, **{i: rec.get(i, "") for i in ITEMS}} for wid, rec in self.workers],
            columns=["worker_id", *ITEMS],
        )


def item_key(name: object) -> str:
    """A column name as matched to a census item: case, spaces, hyphens and underscores
    ignored entirely (``SWE No``, ``swe_no``, ``SWE-NO`` -> ``sweno``, as ``SWENo``)."""
    return re.sub(r"[\s\-_]+", "", str(name)).lower()


def iso_date(text: str) -> date | None:
    """``YYYY-MM-DD`` as a date; None for anything else (blank, another format, no such day)."""
    if not ISO_DATE.match(text or ""):
        return None
    try:
        return date.fromisoformat(text)
    except ValueError:
        return None


def census_year_start(reference: date) -> date:
    """The first day of the census year ending on ``reference`` (1 October the year before)."""
    return date(reference.year - 1, 10, 1)


def is_leaver(record: dict[str, str], reference: date | None) -> bool:
    """A leaver at the reference date: ``RoleEndDate`` on or before it. Without a reference
    date, or with an end date that is not a date, any ``RoleEndDate`` counts (its format is
    reported separately)."""
    text = record.get("RoleEndDate", "")
    if not text:
        return False
    end = iso_date(text)
    if end is None or reference is None:
        return True
    return end <= reference


def _hr_text(item: str, value: object) -> str:
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return ""
    if isinstance(value, datetime):
        return value.date().isoformat()
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, float) and value.is_integer() and item not in ("FTE", "FTE30"):
        return str(int(value))
    if isinstance(value, float):
        return repr(value)
    text = str(value).strip()
    if item in DATE_ITEMS and re.match(r"^\d{4}-\d{2}-\d{2}[T ]", text):
        text = text[:10]
    return text


def build_census(
    weighing: Weighing,
    extra: pd.DataFrame,
    as_at: date,
    lea: str | None = None,
    software: str = "caseload-weighting",
) -> Census:
    """The return from a weighing as at 30 September (``as_at``) and HR columns (``extra``)."""
    hr_columns = {item_key(i): i for i in ITEMS if i not in OURS or i == "CFKSSstatus"}
    hr: dict[str, dict[str, str]] = {}
    if len(extra):
        wanted: dict[str, str] = {}  # column -> item; the first column of an item stands
        for column in extra.columns:
            item = hr_columns.get(item_key(column))
            if column != "worker_id" and item and item not in wanted.values():
                wanted[column] = item
        for row in extra[["worker_id", *wanted]].itertuples(index=False):
            record = {
                wanted[c]: _hr_text(wanted[c], v) for c, v in zip(wanted, row[1:], strict=True)
            }
            hr[str(row[0])] = {k: v for k, v in record.items() if v != ""}
    workers = []
    for row in weighing.workers.itertuples(index=False):
        record = dict(hr.get(str(row.worker_id), {}))
        # a leaver's FTE (and FTE30) is 0 at the census date; the tracker keeps the contract's
        fte = ZERO_FTE if is_leaver(record, as_at) else f"{float(row.fte):.6f}"
        record.update(
            AgencyWorker="1" if row.agency else "0",
            FTE=fte,
            FTE30=fte,
            OrgRole="5" if row.children > 0 else ROLE_ORG.get(row.role, "6"),
            Cases30=str(int(row.children)),
        )
        if row.role in CFKSS:
            record["CFKSSstatus"] = CFKSS[row.role]
        workers.append((str(row.worker_id), {i: record[i] for i in ITEMS if i in record}))
    agency = weighing.workers[weighing.workers["agency"]]
    header = {
        "Collection": "CSWW",
        "Year": str(as_at.year),
        "ReferenceDate": as_at.isoformat(),
        "SourceLevel": "L",
        "SoftwareCode": software,
        "DateTime": datetime.now().replace(microsecond=0).isoformat(),
    }
    if lea:
        header["LEA"] = str(lea)
    vacancies = {
        "NoAgencyFTE": f"{float(agency['fte'].sum()):.2f}",
        "NoAgencyHeadcount": str(len(agency)),
    }
    return Census(header, workers, vacancies)


def validate(census: Census) -> list[Problem]:
    """Every problem: codes, ranges, decimal places, required items; by worker and item."""
    problems: list[Problem] = []
    lea = census.header.get("LEA", "")
    if not lea:
        problems.append(Problem("(header)", "LEA", "missing", "give --lea (three digits)"))
    elif not re.match(r"^\d{3}$", lea):
        problems.append(Problem("(header)", "LEA", "error", f"{lea!r} is not three digits"))
    if not re.match(r"^\d{4}-09-30$", census.header.get("ReferenceDate", "")):
        problems.append(
            Problem("(header)", "ReferenceDate", "error", "the reference date is 30 September")
        )
    if "NumberOfVacancies" not in census.vacancies:
        problems.append(Problem("(header)", "NumberOfVacancies", "missing", "HR supplies it"))
    reference = iso_date(census.header.get("ReferenceDate", ""))
    for worker, record in census.workers:
        problems += _check_worker(worker, record, reference)
    return problems


def _check_worker(worker: str, record: dict[str, str], reference: date | None) -> list[Problem]:
    """One worker's problems; ``reference`` (the census date, when known) decides who is a
    leaver (``RoleEndDate`` on or before it) and who a starter (``RoleStartDate`` in the
    census year)."""
    out: list[Problem] = []

    def error(item: str, message: str) -> None:
        out.append(Problem(worker, item, "error", message))

    def missing(item: str, message: str) -> None:
        out.append(Problem(worker, item, "missing", message))

    for item in ("AgencyWorker", "FTE", "FTE30", "OrgRole", "Cases30"):
        if not record.get(item):
            error(item, "required and blank")
    for item, value in record.items():
        if item not in ITEMS:
            error(item, "not a census item")
        elif item in CODES and value not in CODES[item]:
            error(item, f"{value!r} is not one of {', '.join(CODES[item])}")
        elif item in PATTERNS and not PATTERNS[item][0].match(value):
            error(item, f"{value!r} must be {PATTERNS[item][1]}")
        elif item in DATE_ITEMS and not re.match(r"^\d{4}-\d{2}-\d{2}$", value):
            error(item, f"{value!r} must be a date YYYY-MM-DD")
    for item in ("FTE", "FTE30"):
        value = record.get(item, "")
        if PATTERNS[item][0].match(value) and not 0 <= float(value) <= 1:
            error(item, f"{value} is outside 0-1")
    leaver = is_leaver(record, reference)
    end = iso_date(record.get("RoleEndDate", ""))
    if end is not None and reference is not None and end > reference:
        error(
            "RoleEndDate",
            f"{end.isoformat()} is after the reference date {reference.isoformat()}: a future "
            "end date (not a leaver at the census date; HR removes it until they leave)",
        )
    for item in ("ReasonLeave", "LeaverDestination"):
        if leaver and not record.get(item):
            missing(item, "a leaver needs it (HR supplies it)")
        if not leaver and record.get(item):
            error(item, "only a leaver (RoleEndDate on or before the reference date) has it")
    for item in ("FTE", "FTE30"):
        if leaver and record.get(item) and record[item] != ZERO_FTE:
            error(item, f"a leaver's {item} is 0")
    non_agency = record.get("AgencyWorker") == "0"
    hr_needed = HR_REQUIRED if non_agency else ("SWENo",)
    for item in hr_needed:
        if not record.get(item):
            missing(item, "HR supplies it")
    start = iso_date(record.get("RoleStartDate", ""))
    if (
        non_agency
        and reference is not None
        and start is not None
        and census_year_start(reference) <= start <= reference
        and not record.get("StartOrigin")
    ):
        missing("StartOrigin", "a starter (RoleStartDate in the census year) needs it (HR)")
    return out


def errors(problems: list[Problem]) -> list[Problem]:
    """The problems that block writing."""
    return [p for p in problems if p.kind == "error"]


def dfe_caseload(census: Census) -> dict[str, float]:
    """DfE's published caseload: cases held / FTE of case holders, leaving out case holders
    with 0 FTE and anyone above 50 cases per FTE (FTE30 and Cases30)."""
    cases = fte = 0.0
    holders = zero = above = 0
    for _, record in census.workers:
        held = int(record.get("Cases30") or 0)
        worker_fte = float(record.get("FTE30") or 0)
        if held <= 0:
            continue
        if worker_fte <= 0:
            zero += 1
            continue
        if held / worker_fte > MAX_CASES_PER_FTE:
            above += 1
            continue
        holders += 1
        cases += held
        fte += worker_fte
    return {
        "case_holders": holders,
        "cases": cases,
        "fte": fte,
        "left_out_zero_fte": zero,
        "left_out_above_50": above,
        "caseload_per_fte": cases / fte if fte > 0 else math.nan,
    }


def caseload_line(figure: dict[str, float]) -> str:
    """The DfE caseload figure as one line of text."""
    per = figure["caseload_per_fte"]
    shown = "not available (no case holders)" if math.isnan(per) else f"{per:.1f}"
    return (
        f"DfE caseload (cases / FTE of case holders): {shown} — {int(figure['cases'])} cases, "
        f"{figure['fte']:.2f} FTE, {figure['case_holders']} case holders; left out: "
        f"{figure['left_out_zero_fte']} with 0 FTE, {figure['left_out_above_50']} above 50 per FTE"
    )


def _refuse(census: Census) -> None:
    blocking = errors(validate(census))
    if blocking:
        raise CensusError(
            f"the return has {len(blocking)} error(s); nothing written:\n"
            + "\n".join(str(p) for p in blocking)
        )


def write_xml(census: Census, out: Path) -> None:
    """The return in the census's XML shape (Message > Header > ... > CSWWWorker); each worker
    preceded by a comment naming its worker_id; the DfE caseload figure as a comment."""
    _refuse(census)
    message = ET.Element("Message")
    header = ET.SubElement(message, "Header")
    details = ET.SubElement(header, "CollectionDetails")
    for key in ("Collection", "Year", "ReferenceDate"):
        ET.SubElement(details, key).text = xml_safe(census.header[key])
    source = ET.SubElement(header, "Source")
    for key in ("SourceLevel", "LEA", "SoftwareCode", "DateTime"):
        if census.header.get(key):
            ET.SubElement(source, key).text = xml_safe(census.header[key])
    message.append(ET.Comment(" " + caseload_line(dfe_caseload(census)) + " "))
    vacancies = ET.SubElement(message, "LALevelVacancies")
    for key in ("NumberOfVacancies", "NoAgencyFTE", "NoAgencyHeadcount"):
        if census.vacancies.get(key):
            ET.SubElement(vacancies, key).text = xml_safe(census.vacancies[key])
    for worker, record in census.workers:
        message.append(ET.Comment(f" worker_id {_comment_safe(worker)} "))
        element = ET.SubElement(message, "CSWWWorker")
        for item in ITEMS:
            if record.get(item):
                ET.SubElement(element, item).text = xml_safe(str(record[item]))
    ET.indent(message)
    with atomic_output(out) as temporary:
        ET.ElementTree(message).write(temporary, encoding="utf-8", xml_declaration=True)


def _comment_safe(text: str) -> str:
    """Text a comment can hold: no character XML cannot hold, no ``--``, no trailing ``-``."""
    text = xml_safe(str(text))
    while "--" in text:
        text = text.replace("--", "- -")
    return text + " " if text.endswith("-") else text


def write_csv(census: Census, out: Path) -> None:
    """One row per worker (``worker_id`` then the items), then a ``SERVICE`` row carrying the
    DfE caseload figure's cases, FTE and ``CaseloadPerFTE``; text cells made inert."""
    _refuse(census)
    figure = dfe_caseload(census)
    with (
        atomic_output(out) as temporary,
        open(temporary, "w", newline="", encoding="utf-8") as handle,
    ):
        writer = csv.writer(handle, lineterminator="\n")
        writer.writerow(["worker_id", *ITEMS, "CaseloadPerFTE"])
        for worker, record in census.workers:
            writer.writerow([inert(worker), *[inert(record.get(i, "")) for i in ITEMS], ""])
        service = {"Cases30": str(int(figure["cases"])), "FTE30": f"{figure['fte']:.6f}"}
        per = figure["caseload_per_fte"]
        writer.writerow(
            ["SERVICE", *[service.get(i, "") for i in ITEMS], "" if math.isnan(per) else repr(per)]
        )


def read_xml(path: Path) -> Census:
    """Read a census XML written by ``write_xml`` back (worker ids from the comments)."""
    parser = ET.XMLParser(target=ET.TreeBuilder(insert_comments=True))
    root = ET.parse(path, parser).getroot()
    if root.tag != "Message":
        raise CensusError(f"{path.name}: not a census return (root is {root.tag})")
    header = {
        e.tag: (e.text or "")
        for e in root.iter()
        if e.tag
        in ("Collection", "Year", "ReferenceDate", "SourceLevel", "LEA", "SoftwareCode", "DateTime")
    }
    vacancies_el = root.find("LALevelVacancies")
    vacancies = {e.tag: e.text or "" for e in vacancies_el} if vacancies_el is not None else {}
    workers, pending = [], ""
    for child in root:
        if child.tag is ET.Comment:
            found = re.match(r"^\s*worker_id (.*?)\s*$", child.text or "")
            pending = found.group(1) if found else pending
        elif child.tag == "CSWWWorker":
            workers.append((pending, {e.tag: e.text or "" for e in child}))
            pending = ""
    return Census(header, workers, vacancies)


def read_csv(path: Path) -> Census:
    """Read a census CSV written by ``write_csv`` back (the SERVICE row left out)."""
    frame = pd.read_csv(path, dtype=str, keep_default_na=False)
    workers = []
    for row in frame.to_dict("records"):
        if row["worker_id"] == "SERVICE":
            continue
        worker = row["worker_id"]
        if worker.startswith("'") and worker[1:2] in ("=", "+", "-", "@"):
            worker = worker[1:]
        workers.append((worker, {i: row[i] for i in ITEMS if row.get(i, "") != ""}))
    return Census({}, workers)
