"""The kit linter behind `aftertalk check`: is the kit itself sound?

`check_kit(folder)` reads a whole kit, the question bank, the notebooks, the reference data, and returns
every problem as a `Finding` that names the file and the line as an editor numbers it. A problem in one
file never stops the others from being checked. This module holds every rule a kit must keep: the test
suite calls it rather than restating them. Whether this laptop is ready is aftertalk.kit.readiness.
"""

from __future__ import annotations

import ast
import csv
import json
import re
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlparse

import yaml

import aftertalk
from aftertalk.kit import readiness
from aftertalk.kit.findings import Finding
from aftertalk.kit.help_list import HelpList, phone_numbers, translations, web_addresses
from aftertalk.kit.reference import (
    CITATION_COLUMNS,
    CITATIONS_FILE,
    DOI,
    REQUIRED_CITATION_FIELDS,
    TRANSLATED_COLUMNS,
    TRANSLATION_COLUMN,
    figure_files,
)
from aftertalk.kit.reference import COLUMNS as REFERENCE_COLUMNS
from aftertalk.paths import HELP_LIST, current_kit
from aftertalk.privacy import same_question
from aftertalk.questions import Question, QuestionError, load_question_file, pair_problem

KERNEL_NAME = "python3"
NBFORMAT = 4
QUESTIONS_DOC = "see 'Question files' in README.md"
LESSON_TEMPLATE = Path("notebooks") / "templates" / "lesson_template.ipynb"  # what new-lesson copies
# The Room methods whose string arguments are question ids, and the keywords that name one.
ID_TAKING_METHODS = {"poll": 1, "tally": 1, "compare_with_research": 1, "before_after": 2, "words": 1}
ID_KEYWORDS = {"question", "question_id", "before_id", "after_id"}
# These take ids only, never a Question: written out as text, the ids can be checked against the bank.
IDS_AS_TEXT = {"compare_with_research", "before_after"}
BANK_LOOKUP = re.compile(r"""\bbank\[\s*(["'])([^"'\]]+)\1\s*\]""")
# A question entry's id in a YAML file that does not load: its ids still count as known, so that one
# broken file is reported once, not again in every notebook that uses its questions.
YAML_ENTRY_ID = re.compile(r"""^\s*-\s*id:\s*["']?([a-z0-9_]+)["']?\s*$""", re.MULTILINE)

# What a lesson's code may call: the notebook API of README.md ("The notebook API"), so that a lesson
# never depends on Aftertalk's insides.
ROOM_API = {
    "qr",
    "open",
    "count",
    "close",
    "reveal",
    "results",
    "status",
    "end",
    "end_panel",
    "join_card",
    "poll",
    "tally",
    "compare_with_research",
    "before_after",
    "summary",
    "help_list",
    "export",
    "question_box",
}
PACKAGE_API = set(aftertalk.__all__)
MAX_CODE_LINES = 2  # a code cell is a call or two: the lesson is in the Markdown, the work in aftertalk

# Every lesson opens with these, in this order, before any code: the facilitator guide's plans rely on them.
LESSON_HEADINGS = (
    "## Purpose",
    "## Learning outcomes",
    "## Timing",
    "## Content note",
    "## Facilitator talking points",
)
# What the projector view (jupyterlab-slideshow) does with each cell's metadata.slideshow.slide_type:
# the room sees `slide` cells, one per press of the clicker, and `fragment`s added to them; `notes`
# are the facilitator's, in the notebook on the laptop; `skip` is setup code.
SLIDE_TYPES = ("slide", "fragment", "notes", "skip")
PROJECTED_SLIDE_TYPES = ("slide", "fragment")
REFUSED_SLIDE_TYPES = {
    "-": "'-' (continue the slide above) is never shown by the projector view",
    "subslide": "a clicker only goes forward and back, and forward jumps over subslides",
}
FACILITATOR_TEXT = re.compile(r"^\s*(?:>\s*)?\*\*Facilitator\b")  # "> **Facilitator:** ..."
HEADING = re.compile(r"^#{1,2} ")  # a section of the opening ends at the next heading of level 1 or 2
MINUTES = re.compile(r"\b\d+\s*(?:-\s*\d+\s*)?minutes?\b", re.IGNORECASE)
LESSON_NAME = re.compile(r"`(\d+_[a-z0-9_]+)`")  # `02_the_feelings_after_sex`, as lessons name each other
# What every comparison with the published figures (data/reference/, research/facts.md) says first.
# "None of these studies", not "no study anywhere": only the studies shown can be checked (research/facts.md).
RESEARCH_WARNINGS = ("none of these studies reports *crying*", "different measures", "university students")

# What a room is shown: links to research by its DOI and to help by the helpline directory, nothing sold.
ALLOWED_LINK_HOSTS = ("doi.org", "findahelpline.com")
LINK = re.compile(r"(?:https?://|www\.)[^\s)\]>\"'`]+", re.IGNORECASE)
SHOP_WORDS = re.compile(
    r"\b(buy|buying|bought|shop|shops|shopping|shopper|discount|discounts|coupon|coupons|"
    r"promo|promo code|brand|brands|branded|sponsor|sponsored|affiliate|checkout|"
    r"free shipping|bestseller|best-seller)\b",
    re.IGNORECASE,
)
GENDERED_PARTNER_WORDS = re.compile(r"\b(boyfriends?|girlfriends?)\b", re.IGNORECASE)

REFERENCE_ID = re.compile(r"[a-z0-9_]+")

# What the help list must always name, because the lessons send people to it (03: "contact your local
# emergency number or a crisis line now"); what else it lists is local and the facilitator's to check.
HELP_LIST_MUST_NAME = (
    (
        "emergency number",
        "the help list does not name the local emergency number",
        "add the line 'If you are in immediate danger, call your local emergency number.': the handout "
        "always carries it",
    ),
    (
        "crisis line",
        "the help list names no crisis line",
        "add the crisis lines for your area under a heading that says 'crisis line': lesson 03 tells anyone "
        "thinking of harming themselves to call one now",
    ),
)
# The same two, in the words of each translated help list (where_to_get_help.es.md) the kit ships.
HELP_LIST_MUST_NAME_IN = {"es": ("número de emergencias", "línea de crisis")}


class KitNotFound(ValueError):
    """The folder given is not an Aftertalk kit (or does not exist)."""


# --- the whole kit -------------------------------------------------------------------------------


@dataclass
class KitReport:
    """Everything `check_kit` found, and what it looked at."""

    findings: list[Finding] = field(default_factory=list)
    notebooks: int = 0
    question_files: int = 0
    questions: int = 0
    reference_rows: int = 0
    join_url: str | None = None

    @property
    def failed(self) -> bool:
        return any(not f.ok for f in self.findings)

    def problems(self) -> list[Finding]:
        """Failures and warnings, in the order they were found (file by file, line by line)."""
        return [f for f in self.findings if not f.ok or f.warning]

    def lines(self) -> list[str]:
        """What `aftertalk check` prints: one line per problem, then a one-line verdict."""
        problems = self.problems()
        failures = sum(1 for f in problems if not f.ok)
        warnings = len(problems) - failures
        noted = f" ({warnings} warning{'s' * (warnings != 1)} above)" if warnings else ""
        if failures:
            verdict = (
                f"{failures} problem{'s' * (failures != 1)} found{noted}: fix each line above, "
                "then run aftertalk check again."
            )
        else:
            verdict = (
                f"All good: {self.notebooks} notebooks, {self.questions} questions in "
                f"{self.question_files} files, {self.reference_rows} reference figures{noted}."
            )
            if self.join_url:
                verdict += f" Phones will join at {self.join_url}"
        return [f.problem_line() for f in problems] + [verdict]


@dataclass
class _Known:
    """What the notebooks may name, read before them: ids, questions, figures, lessons."""

    question_ids: set[str]  # every id the bank defines, or seems to (in a file that does not load)
    questions: dict[str, Question]  # the questions that load: their options, kind
    reference_ids: set[str]
    lessons: set[str]  # notebooks/*.ipynb, without the .ipynb


def check_kit(folder=None, *, machine: bool = True) -> KitReport:
    """Check a kit folder (data/questions, data/reference, notebooks) and, with `machine`, this laptop
    (aftertalk.kit.readiness: the network phones will use, open files).

    Raises KitNotFound when `folder` is not a kit; every other problem is a Finding in the report.
    """
    kit = Path(folder) if folder is not None else current_kit()
    if not kit.is_dir():
        raise KitNotFound(
            f"there is no folder {kit}; give the path of an Aftertalk kit, the folder that holds data/ and notebooks/"
        )
    missing = [name for name in ("data/questions", "data/reference", "notebooks") if not (kit / name).is_dir()]
    if missing:
        raise KitNotFound(
            f"{kit} is not an Aftertalk kit: it has no {' or '.join(missing)} folder; give "
            "the path of the folder that holds data/ and notebooks/"
        )
    kit = kit.resolve()
    report = KitReport()
    question_ids, bank = _check_question_bank(kit, report)
    reference_findings, reference_ids = _check_reference(kit, report)
    lessons = {path.stem for path in (kit / "notebooks").glob("*.ipynb")}
    _check_notebooks(kit, _Known(question_ids, bank, reference_ids, lessons), report)
    report.findings += reference_findings  # reported after the notebooks, as the kit is laid out
    report.findings += _help_list_findings(kit / HELP_LIST)
    report.findings += _translated_help_list_findings(kit)
    if machine:
        report.findings += readiness.laptop_findings()
        report.join_url = readiness.join_url()
    return report


def shown_path(path: Path) -> str:
    """A path as the reader will want it: relative to where they are, when it is below that."""
    try:
        return str(path.relative_to(Path.cwd().resolve()))
    except ValueError:
        return str(path)


def _extra_fields(path: Path, lineno: int) -> Finding:
    """A CSV row with more fields than its header: almost always a comma inside an unquoted value."""
    return _fail(
        path,
        lineno,
        "this row has more fields than there are columns",
        "put quotes around any value that contains a comma",
    )


def _fail(path: Path, lineno, what: str, advice: str) -> Finding:
    return Finding(False, what, advice, path=shown_path(path), lineno=lineno)


def _by_line(findings: list[Finding]) -> list[Finding]:
    return sorted(findings, key=lambda finding: finding.lineno or 0)


# --- what a room is shown: links and words (notebooks and question files) ---


def _wording_findings(path: Path, numbered_lines) -> list[Finding]:
    """Links only to research (DOIs) and to help; no shopping; partners, not a gendered guess.

    `numbered_lines` are (line in the file, text) pairs: the file's own lines, or a notebook cell's.
    """
    findings = []
    for lineno, text in numbered_lines:
        for link in LINK.findall(text):
            host = urlparse(link if "://" in link else "http://" + link).netloc.lower().removeprefix("www.")
            if not any(host == allowed or host.endswith("." + allowed) for allowed in ALLOWED_LINK_HOSTS):
                findings.append(
                    _fail(
                        path,
                        lineno,
                        f"the link {link} is neither a DOI nor the helpline directory",
                        "link research by its DOI (https://doi.org/...) and help by "
                        "https://findahelpline.com; the kit links to nothing else, and sells nothing",
                    )
                )
        for word in SHOP_WORDS.findall(text):
            findings.append(
                _fail(
                    path,
                    lineno,
                    f"'{word}' is a shopping or advertising word",
                    "say it another way: the kit recommends no products, shops or brands",
                )
            )
        for word in GENDERED_PARTNER_WORDS.findall(text):
            findings.append(
                _fail(
                    path,
                    lineno,
                    f"'{word}' guesses a partner's gender",
                    "say 'partner': the room holds every gender, orientation and relationship style",
                )
            )
    return findings


# --- question bank ---


def _check_question_bank(kit: Path, report: KitReport) -> tuple[set[str], dict[str, Question]]:
    """Each file on its own, then ids across files. Returns every id the bank defines (or seems to), and
    the questions that load."""
    folder = kit / "data" / "questions"
    files = sorted(folder.glob("*.yaml"))
    if not files:
        report.findings.append(
            _fail(
                folder,
                None,
                "the question bank is empty (no *.yaml files)",
                "add a question file, or run aftertalk new-lesson",
            )
        )
    first_seen: dict[str, tuple[Path, int | None]] = {}
    known: set[str] = set()
    bank = {}
    for path in files:
        report.question_files += 1
        text = _read_text(path)
        findings = _wording_findings(path, enumerate(text.splitlines(), start=1))
        try:
            questions = load_question_file(path)
        except QuestionError as error:
            report.findings += _by_line(findings + [_question_finding(path, error)])
            known.update(YAML_ENTRY_ID.findall(text))
            continue
        except (yaml.YAMLError, RecursionError) as error:
            mark = getattr(error, "problem_mark", None)
            report.findings += _by_line(
                findings
                + [
                    _fail(
                        path,
                        mark.line + 1 if mark else None,
                        f"this YAML cannot be read ({type(error).__name__})",
                        "write plain YAML: a 'questions:' list of mappings, with no tags or aliases",
                    )
                ]
            )
            known.update(YAML_ENTRY_ID.findall(text))
            continue
        for question in questions:
            known.add(question.id)
            if question.id in first_seen:
                other, other_line = first_seen[question.id]
                findings.append(
                    _fail(
                        path,
                        question.line,
                        f"question id '{question.id}' is already used in {shown_path(other)}:{other_line}",
                        "give one of the two questions another id",
                    )
                )
                continue
            first_seen[question.id] = (path, question.line)
            bank[question.id] = question
            report.questions += 1
            findings += _kit_question_findings(path, question)
        report.findings += _by_line(findings)
    report.findings += _repeat_findings(bank)
    return known, bank


def _kit_question_findings(path: Path, question: Question) -> list[Finding]:
    """What this kit asks of every question beyond a valid one: a way to decline, and notes to run it by."""
    findings = []
    # A one-word check-in has no options, so no "Prefer not to say": people skip it instead.
    if question.kind != "word" and not question.prefer_not_to_say:
        findings.append(
            _fail(
                path,
                question.line,
                f"question '{question.id}' does not offer 'Prefer not to say'",
                "remove 'prefer_not_to_say: false': every question lets people decline openly",
            )
        )
    if not question.notes.strip():
        findings.append(
            _fail(
                path,
                question.line,
                f"question '{question.id}' has no facilitator notes",
                "add 'notes:': why it is asked, what to say when it opens and when it is "
                "revealed (phones never show them)",
            )
        )
    return findings


def _repeat_findings(bank: dict) -> list[Finding]:
    """A room asks each question once, or twice as a declared before/after pair (`after:`): a second
    chart of the same question could be subtracted from the first to single out a latecomer.

    Two versions of one question declared with `instead_of` (pcd_ever_private is a version of
    pcd_ever) are alternatives, not a repeat: the poll panel asks one, and the room refuses the other."""
    findings = []
    for question in bank.values():
        problem = pair_problem(question, bank)
        if problem:
            what, _, advice = problem.partition("; ")
            findings.append(_fail(Path(question.source), question.line, f"after: {what}", advice))
    questions = list(bank.values())
    for index, second in enumerate(questions):
        for first in questions[:index]:
            if (
                second.after != first.id
                and first.after != second.id
                and first.id not in (second.instead_of, second.id)
                and second.id != first.instead_of
                and same_question(first.to_dict(), second.to_dict())
            ):
                findings.append(
                    _fail(
                        Path(second.source),
                        second.line,
                        f"'{second.id}' asks the same question as '{first.id}' "
                        f"({shown_path(Path(first.source))}:{first.line}), and a room refuses to ask a question twice",
                        f"declare the pair with 'after: {first.id}' if it is asked again at the end, or "
                        f"'instead_of: {first.id}' if it is another version to choose from, or change its wording "
                        "or options",
                    )
                )
    return findings


def _question_finding(path: Path, error: QuestionError) -> Finding:
    message = str(error)
    where = ":".join(str(part) for part in (error.source, error.line) if part is not None)
    if where and message.startswith(where + ": "):
        message = message[len(where) + 2 :]
    what, _, advice = message.partition("; ")
    return _fail(path, error.line, what, advice or QUESTIONS_DOC)


def _read_text(path: Path) -> str:
    try:
        return path.read_text(encoding="utf-8", errors="replace")
    except OSError:
        return ""


# --- notebooks ---


def notebook_files(kit: Path) -> list[Path]:
    """The lessons (notebooks/*.ipynb) and the templates (notebooks/templates/*.ipynb)."""
    folder = kit / "notebooks"
    return sorted(folder.glob("*.ipynb")) + sorted((folder / "templates").glob("*.ipynb"))


def _check_notebooks(kit: Path, known: _Known, report: KitReport) -> None:
    paths = notebook_files(kit)
    if not paths:
        report.findings.append(
            _fail(
                kit / "notebooks",
                None,
                "there are no notebooks (*.ipynb)",
                'add a lesson with aftertalk new-lesson "Title"',
            )
        )
    if not (kit / LESSON_TEMPLATE).is_file():
        report.findings.append(
            _fail(
                kit / LESSON_TEMPLATE,
                None,
                "the lesson template is missing",
                f"restore it with git checkout -- {LESSON_TEMPLATE}: aftertalk new-lesson "
                "makes every new lesson from it",
            )
        )
    for path in paths:
        report.notebooks += 1
        report.findings += _notebook_findings(path, known, lesson=path.parent == kit / "notebooks")


def _notebook_findings(path: Path, known: _Known, *, lesson: bool) -> list[Finding]:
    """Everything wrong in one notebook. `lesson`: a lesson (not a template), which opens with the
    headings and shows the research warnings before a comparison."""
    try:
        raw = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as error:
        return [
            _fail(
                path,
                None,
                f"this notebook cannot be read ({error})",
                "save it again from JupyterLab (notebooks are UTF-8 JSON)",
            )
        ]
    try:
        notebook = json.loads(raw)
    except json.JSONDecodeError as error:
        return [
            _fail(
                path,
                error.lineno,
                f"this is not valid JSON ({error.msg}, column {error.colno})",
                "an editor or a merge may have broken it: fix it there, or restore the last good "
                f"version with git checkout -- {shown_path(path)}",
            )
        ]
    cells = notebook.get("cells") if isinstance(notebook, dict) else None
    if not isinstance(cells, list) or not all(isinstance(cell, dict) for cell in cells):
        return [
            _fail(
                path,
                1,
                "this is not a Jupyter notebook (no list of cells)",
                "start from notebooks/templates/lesson_template.ipynb",
            )
        ]
    sources = [_cell_source(cell) for cell in cells]
    lines = _RawNotebook(raw, sources)
    findings = []
    if notebook.get("nbformat") != NBFORMAT:
        findings.append(
            _fail(
                path,
                lines.top_level_key("nbformat") or 1,
                f"the notebook format is {notebook.get('nbformat')!r}, not {NBFORMAT}",
                "open it in JupyterLab and save it, which writes format 4",
            )
        )
    kernel = _get(notebook, "metadata", "kernelspec", "name")
    if kernel != KERNEL_NAME:
        findings.append(
            _fail(
                path,
                lines.top_level_key("kernelspec") or lines.top_level_key("metadata"),
                f"the kernel is {kernel!r}, not {KERNEL_NAME!r}",
                "choose the Python 3 kernel (Kernel > Change Kernel) and save, so every lesson runs the same way",
            )
        )
    if lesson:
        findings += _heading_findings(path, cells, sources, lines)
    code = _NotebookCode(cells, sources)
    for number, (cell, text) in enumerate(zip(cells, sources)):
        findings += _wording_findings(
            path, ((lines.source_line(number, index), line) for index, line in enumerate(text.splitlines(), start=1))
        )
        ids = {match[1] for match in BANK_LOOKUP.findall(text)}
        findings += _slide_findings(path, number, cell, text, lines)
        if cell.get("cell_type") == "code":
            findings += _code_cell_findings(path, number, cell, text, lines)
            if code.errors.get(number):
                error_text, offending = code.errors[number]
                findings.append(
                    _fail(
                        path,
                        lines.text_in_cell(number, offending) or lines.cell(number),
                        f"this code cell is not valid Python ({error_text})",
                        "fix the code so the cell runs in the room",
                    )
                )
            if number in code.trees:
                called, call_findings = _call_findings(path, number, code, lines, known, lesson=lesson)
                ids |= called
                findings += call_findings
        else:
            findings += _lesson_name_findings(path, number, text, lines, known.lessons)
        for qid in sorted(ids - known.question_ids):
            findings.append(
                _fail(
                    path,
                    lines.text_in_cell(number, qid) or lines.cell(number),
                    f"question '{qid}' is not in the question bank (data/questions)",
                    "fix the id, or add the question to a file in data/questions",
                )
            )
    return _by_line(findings)


def _code_cell_findings(path: Path, number: int, cell: dict, text: str, lines: _RawNotebook) -> list[Finding]:
    """A code cell as the projector shows it: run from clean, collapsed, and short."""
    findings = []
    if cell.get("outputs"):
        findings.append(
            _fail(
                path,
                lines.key_in_cell(number, "outputs"),
                "this code cell has saved outputs",
                "clear them (Edit > Clear Outputs of All Cells) and save",
            )
        )
    if cell.get("execution_count") is not None:
        findings.append(
            _fail(
                path,
                lines.key_in_cell(number, "execution_count"),
                "this code cell has an execution count",
                "clear all outputs (Edit > Clear Outputs of All Cells) and save",
            )
        )
    if _get(cell, "metadata", "jupyter", "source_hidden") is not True:
        findings.append(
            _fail(
                path,
                lines.key_in_cell(number, "metadata"),
                "this code cell is not hidden",
                "collapse its code (View > Collapse Selected Code) and save, so the projector shows only the lesson",
            )
        )
    code_lines = text.strip().splitlines()
    if len(code_lines) > MAX_CODE_LINES:
        first = next(index for index, line in enumerate(text.splitlines(), start=1) if line.strip())
        findings.append(
            _fail(
                path,
                lines.source_line(number, first + MAX_CODE_LINES),
                f"this code cell has {len(code_lines)} lines, more than {MAX_CODE_LINES}",
                "keep each code cell to a call or two of the notebook API, like "
                'room.poll(bank["..."]): split it into cells, or leave the work to aftertalk',
            )
        )
    return findings


def _slide_findings(path: Path, number: int, cell: dict, text: str, lines: _RawNotebook) -> list[Finding]:
    """The cell's slide type is one the projector view shows as meant, and the room never sees
    facilitator text."""
    slide_type = _get(cell, "metadata", "slideshow", "slide_type")
    advice = (
        "set its Slide Type (JupyterLab's right sidebar, the gear): slide for what the room sees, "
        "notes for the facilitator, skip for setup code"
    )
    if slide_type is None:
        return [_fail(path, lines.key_in_cell(number, "metadata"), "this cell has no slide type", advice)]
    if slide_type not in SLIDE_TYPES:
        why = REFUSED_SLIDE_TYPES.get(slide_type, "it is not one of " + ", ".join(SLIDE_TYPES))
        return [_fail(path, lines.key_in_cell(number, "slide_type"), f"slide type {slide_type!r}: {why}", advice)]
    if slide_type not in PROJECTED_SLIDE_TYPES or cell.get("cell_type") != "markdown":
        return []
    for index, line in enumerate(text.splitlines(), start=1):
        if line.strip() in LESSON_HEADINGS or FACILITATOR_TEXT.match(line):
            return [
                _fail(
                    path,
                    lines.source_line(number, index),
                    f"facilitator text on a slide the room sees ({line.strip()[:40]})",
                    "move it to a cell of its own with the slide type notes",
                )
            ]
    return []


@dataclass
class _Section:
    """A heading of a lesson's opening, where it is, and its text up to the next heading."""

    heading: str
    cell: int
    line: int  # in the cell, from 1
    text: list[str] = field(default_factory=list)


def _heading_findings(path: Path, cells: list, sources: list[str], lines: _RawNotebook) -> list[Finding]:
    """A lesson opens, before any code, with LESSON_HEADINGS in order; its Timing gives minutes."""
    sections: list[_Section] = []
    first_code = None
    for number, (cell, text) in enumerate(zip(cells, sources)):
        if cell.get("cell_type") == "code":
            first_code = number
            break
        for index, line in enumerate(text.splitlines(), start=1):
            if HEADING.match(line):
                sections.append(_Section(line.strip(), number, index))
            elif sections:
                sections[-1].text.append(line)
    found = [section for section in sections if section.heading.startswith("## ")]
    advice = (
        f"a lesson opens with the headings {', '.join(LESSON_HEADINGS)}, in that order and before any "
        "code: the facilitator guide's plans rely on them"
    )
    for position, wanted in enumerate(LESSON_HEADINGS):
        if position >= len(found):
            where = lines.cell(first_code) if first_code is not None else 1
            return [_fail(path, where, f"the heading '{wanted}' is missing before the first code cell", advice)]
        section = found[position]
        if section.heading != wanted:
            return [
                _fail(
                    path,
                    lines.source_line(section.cell, section.line),
                    f"'{section.heading}' stands where '{wanted}' belongs",
                    advice,
                )
            ]
    timing = found[LESSON_HEADINGS.index("## Timing")]
    if not MINUTES.search("\n".join(timing.text)):
        return [
            _fail(
                path,
                lines.source_line(timing.cell, timing.line),
                "'## Timing' gives no number of minutes",
                "write the lesson's length, like **15 minutes**, so the session plans add up",
            )
        ]
    return []


def _lesson_name_findings(path: Path, number: int, text: str, lines: _RawNotebook, lessons: set[str]) -> list[Finding]:
    """A lesson named in the text (`05_closing`, "Next: ...") is in notebooks/."""
    findings = []
    for index, line in enumerate(text.splitlines(), start=1):
        for name in LESSON_NAME.findall(line):
            if name not in lessons:
                findings.append(
                    _fail(
                        path,
                        lines.source_line(number, index),
                        f"there is no lesson '{name}' in notebooks/",
                        f"fix the name, or restore the lesson with git checkout -- notebooks/{name}.ipynb",
                    )
                )
    return findings


class _NotebookCode:
    """Each code cell parsed once, the names its code binds to a list written out (for references=), and
    the Markdown cells (what the room has read before a chart)."""

    def __init__(self, cells: list, sources: list[str]):
        self.trees: dict[int, ast.Module] = {}
        self.errors: dict[int, tuple[str, str]] = {}  # cell number: (error message, the offending line)
        self.lists: dict[str, tuple[int, list]] = {}  # name: (cell number, the list's elements)
        self.markdown: list[tuple[int, str]] = []
        for number, (cell, text) in enumerate(zip(cells, sources)):
            if cell.get("cell_type") == "markdown":
                self.markdown.append((number, text))
            if cell.get("cell_type") != "code":
                continue
            # IPython magics and shell escapes are not Python: blank them out, keeping the line numbers.
            plain = "\n".join("" if line.lstrip().startswith(("%", "!")) else line for line in text.splitlines())
            try:
                self.trees[number] = ast.parse(plain)
            except SyntaxError as error:
                self.errors[number] = (f"{error.msg}, line {error.lineno} of the cell", (error.text or "").strip())
                continue
            for node in ast.walk(self.trees[number]):
                if isinstance(node, ast.Assign) and isinstance(node.value, (ast.List, ast.Tuple)):
                    for target in node.targets:
                        if isinstance(target, ast.Name):
                            self.lists[target.id] = (number, node.value.elts)

    def markdown_before(self, number: int) -> str:
        return "\n".join(text for cell, text in self.markdown if cell < number)


def _dotted(func: ast.Attribute) -> tuple[str | None, list[str]]:
    """The name a called attribute chain starts from, and the attributes after it, in order."""
    names: list[str] = []
    node: ast.expr = func
    while isinstance(node, ast.Attribute):
        names.insert(0, node.attr)
        node = node.value
    return (node.id if isinstance(node, ast.Name) else None), names


def _text(node) -> str | None:
    return node.value if isinstance(node, ast.Constant) and isinstance(node.value, str) else None


def _call_findings(
    path: Path, number: int, code: _NotebookCode, lines: _RawNotebook, known: _Known, *, lesson: bool
) -> tuple[set[str], list[Finding]]:
    """The notebook API calls of one code cell: the question ids they name (as text), and what is wrong
    with them: a call outside the API, ids not written out, unknown figures or options, a comparison
    shown before its warnings."""
    ids: set[str] = set()
    findings = []

    def fail(node, what, advice):
        findings.append(_fail(path, lines.source_line(number, node.lineno), what, advice))

    for node in ast.walk(code.trees[number]):
        if not (isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute)):
            continue
        method = node.func.attr
        owner, names = _dotted(node.func)  # room.poll: ("room", ["poll"]); aftertalk.Room.connect: Room first
        allowed = {"room": ROOM_API, "aftertalk": PACKAGE_API}.get(owner or "")
        if allowed is not None and names[0] not in allowed:
            fail(
                node,
                f"{owner}.{'.'.join(names)}() is not part of the notebook API",
                "use only the calls README.md lists under 'The notebook API', so the lesson keeps working "
                "when Aftertalk's insides change",
            )
        taken = ID_TAKING_METHODS.get(method)
        if taken is None:
            continue
        arguments = node.args[:taken] + [k.value for k in node.keywords if k.arg in ID_KEYWORDS]
        written = [_text(argument) for argument in arguments]
        ids.update(qid for qid in written if qid is not None)
        if method in IDS_AS_TEXT:
            for argument, qid in zip(arguments, written):
                if qid is None:
                    fail(
                        argument,
                        f"{method}() is given the question id {ast.unparse(argument)}, not the id itself",
                        'write the id out as text, like "comfort_before", so aftertalk check can '
                        "find it in the question bank",
                    )
        questions = [known.questions.get(qid) if qid else None for qid in written]
        keywords = {k.arg: k.value for k in node.keywords if k.arg}
        if method == "compare_with_research":
            findings += _reference_id_findings(path, number, keywords.get("references"), code, lines, known)
            option, question = _text(keywords.get("option")), questions[0] if questions else None
            if option is not None and question is not None and question.option(option) is None:
                fail(
                    keywords["option"],
                    f"'{question.id}' has no option '{option}'",
                    f"choose one of its options: {', '.join(o.id for o in question.all_options)}",
                )
            if lesson:
                shown_before = code.markdown_before(number).lower()
                for warning in RESEARCH_WARNINGS:
                    if warning.lower() not in shown_before:
                        fail(
                            node,
                            f"the warning '{warning}' is not shown before this comparison chart",
                            "say it in a Markdown cell above the chart: the published figures measured "
                            "different things in other groups of people (see the lesson 03 cell 'Before "
                            "you read the chart')",
                        )
        before, after = questions if method == "before_after" and len(questions) == 2 else (None, None)
        if before is not None and after is not None:
            if (before.kind, before.options) != (after.kind, after.options):
                fail(
                    node,
                    f"'{before.id}' and '{after.id}' differ in kind or options, so their charts "
                    "cannot stand side by side",
                    "compare a question with its second asking: the same kind and options (declared with after:)",
                )
    return ids, findings


def _reference_id_findings(
    path: Path, number: int, references, code: _NotebookCode, lines: _RawNotebook, known: _Known
) -> list[Finding]:
    """compare_with_research(references=...) names figures in data/reference, in a list written out."""
    if references is None:
        return []
    cell, elements = number, None
    if isinstance(references, (ast.List, ast.Tuple)):
        elements = references.elts
    elif isinstance(references, ast.Name) and references.id in code.lists:
        cell, elements = code.lists[references.id]
    ids = [(element.lineno, _text(element)) for element in elements or []]
    if elements is None or any(rid is None for _, rid in ids):
        return [
            _fail(
                path,
                lines.source_line(number, references.lineno),
                f"references={ast.unparse(references)} is not a list of reference ids written out",
                'write the ids as a list, like references=["bird2011_lifetime"], here or in a list '
                "the notebook names (studies = [...])",
            )
        ]
    return [
        _fail(
            path,
            lines.source_line(cell, lineno),
            f"reference '{rid}' is not in the reference data (data/reference)",
            "fix the id, or add the figure, with its sample, measure and DOI, to a CSV in data/reference",
        )
        for lineno, rid in ids
        if rid not in known.reference_ids
    ]


def _cell_source(cell: dict) -> str:
    source = cell.get("source", "")
    if isinstance(source, list):
        return "".join(part for part in source if isinstance(part, str))
    return source if isinstance(source, str) else ""


def _get(data, *keys):
    for key in keys:
        if not isinstance(data, dict):
            return None
        data = data.get(key)
    return data


class _RawNotebook:
    """Line numbers in a notebook's raw JSON text, for cells and for words inside them.

    Jupyter writes one key per line, with each cell's keys in sorted order ("cell_type" first), so the
    n-th `"cell_type":` key starts the n-th cell, and a cell's source as a list with one line of the cell
    on each line of the file. When the file does not look like that, every cell is placed at line 1
    rather than at a wrong line, and a line inside a cell at its "source" key.
    """

    CELL_START = re.compile(r'^\s*"cell_type"\s*:', re.MULTILINE)

    def __init__(self, raw: str, sources: list[str]):
        self.raw = raw
        self.raw_lines = raw.split("\n")
        self.sources = sources
        starts = [match.start() for match in self.CELL_START.finditer(raw)]
        self.starts = starts if len(starts) == len(sources) else []
        # Where the cells end: the notebook's own "metadata" key, written at the top indentation.
        top_metadata = [m.start() for m in re.finditer(r'^ ?"metadata"\s*:', raw, re.MULTILINE)]
        after_cells = [offset for offset in top_metadata if not self.starts or offset > self.starts[-1]]
        self.cells_end = after_cells[-1] if after_cells else len(raw)

    def _line(self, offset: int) -> int:
        return self.raw.count("\n", 0, offset) + 1

    def _span(self, number: int) -> tuple[int, int]:
        start = self.starts[number]
        end = self.starts[number + 1] if number + 1 < len(self.starts) else self.cells_end
        return start, end

    def cell(self, number: int) -> int:
        return self._line(self.starts[number]) if self.starts else 1

    def key_in_cell(self, number: int, key: str) -> int:
        """The line of `"key":` in the cell, or the cell's first line."""
        return self._find_in_cell(number, re.compile(rf'"{re.escape(key)}"\s*:')) or self.cell(number)

    def source_line(self, number: int, index: int) -> int:
        """The file's line of the cell's `index`-th line (from 1); its "source" key where that is not
        one line of the file (a source written as one string, or by another tool)."""
        key = self.key_in_cell(number, "source")
        wanted = self.sources[number].splitlines(keepends=True)
        if not self.starts or not 1 <= index <= len(wanted) or key + index > len(self.raw_lines):
            return key
        written = self.raw_lines[key + index - 1].strip().removesuffix(",")
        try:
            return key + index if json.loads(written) == wanted[index - 1] else key
        except ValueError:
            return key

    def text_in_cell(self, number: int, text: str) -> int | None:
        """The first line of the cell whose JSON text contains `text` (as it reads once decoded)."""
        if not text:
            return None
        encoded = json.dumps(text, ensure_ascii=False)[1:-1]
        return self._find_in_cell(number, re.compile(rf"(?<![A-Za-z0-9_]){re.escape(encoded)}(?![A-Za-z0-9_])"))

    def top_level_key(self, key: str) -> int | None:
        """The line of `"key":` after the cells (in the notebook's own metadata), if there is one."""
        match = re.compile(rf'"{re.escape(key)}"\s*:').search(
            self.raw, self.cells_end if self.cells_end < len(self.raw) else 0
        )
        return self._line(match.start()) if match else None

    def _find_in_cell(self, number: int, pattern: re.Pattern) -> int | None:
        if not self.starts:
            return None
        start, end = self._span(number)
        match = pattern.search(self.raw, start, end)
        return self._line(match.start()) if match else None


# --- the help list ---


def _help_list_findings(path: Path) -> list[Finding]:
    """The help list the handout prints: there, naming what the lessons promise, linking only to help."""
    if not path.is_file():
        return [
            _fail(
                path,
                None,
                "the help list is missing",
                f"restore it with git checkout -- {HELP_LIST}: the handout prints it and the lessons point to it",
            )
        ]
    text = _read_text(path)
    findings = [
        _fail(path, None, what, advice) for needed, what, advice in HELP_LIST_MUST_NAME if needed not in text.lower()
    ]
    return findings + _wording_findings(path, enumerate(text.splitlines(), start=1))


def _translated_help_list_findings(kit: Path) -> list[Finding]:
    """Each translation of the help list (where_to_get_help.es.md), which a room in its language is given
    instead: the English list's sections in the same order, with the same phone numbers and links in each,
    and what the lessons promise, in its words."""
    english_path = kit / HELP_LIST
    if not english_path.is_file():
        return []  # reported once, above
    english = HelpList.parse(_read_text(english_path))
    findings = []
    for language, path in translations(kit).items():
        text = _read_text(path)
        translated = HelpList.parse(text)
        findings += _wording_findings(path, enumerate(text.splitlines(), start=1))
        for needed, (english_words, what, _) in zip(HELP_LIST_MUST_NAME_IN.get(language, ()), HELP_LIST_MUST_NAME):
            if needed not in text.lower():
                findings.append(
                    _fail(
                        path,
                        None,
                        f"{what} ('{needed}')",
                        f"write '{needed}' where the English list says '{english_words}': the lessons send "
                        "people to this list",
                    )
                )
        if not translated.lines_up_with(english):
            findings.append(
                _fail(
                    path,
                    None,
                    f"it has {len(translated.sections)} sections (## headings) and {HELP_LIST} has "
                    f"{len(english.sections)}",
                    "translate every section of the English list, in the same order: a room in this language "
                    "is given this list instead, and lesson 05's help slides pick its sections by their place",
                )
            )
            continue
        for mine, theirs in zip(translated.sections, english.sections):
            for kind, found in (("phone number", phone_numbers), ("link", web_addresses)):
                missing = sorted(set(found(theirs.body)) - set(found(mine.body)))
                extra = sorted(set(found(mine.body)) - set(found(theirs.body)))
                if missing or extra:
                    differ = "; ".join(
                        part
                        for part in (
                            f"it lacks {', '.join(missing)}" if missing else "",
                            f"it adds {', '.join(extra)}" if extra else "",
                        )
                        if part
                    )
                    findings.append(
                        _fail(
                            path,
                            mine.lineno,
                            f"the {kind}s under '{mine.heading}' differ from those under '{theirs.heading}' in "
                            f"{HELP_LIST}:{theirs.lineno} ({differ})",
                            "give the same services with the same numbers and links in both lists: only the "
                            "words are translated",
                        )
                    )
    return findings


# --- reference data ---


def _check_reference(kit: Path, report: KitReport) -> tuple[list[Finding], set[str]]:
    """The findings in data/reference/*.csv, and every figure id the files give (for the notebooks)."""
    folder = kit / "data" / "reference"
    files = figure_files(folder)
    findings = []
    if not files:
        findings.append(
            _fail(
                folder,
                None,
                "there is no reference data (no *.csv files)",
                "restore data/reference/post_sex_research.csv",
            )
        )
    first_seen: dict[str, str] = {}  # figure id: where it is, FILE:LINE
    citation_findings, cited = _citation_findings(folder / CITATIONS_FILE)
    for path in files:
        findings += _reference_findings(path, report, first_seen, cited)
    return findings + citation_findings, set(first_seen)


def _reference_findings(
    path: Path, report: KitReport, first_seen: dict[str, str], cited: set[str] | None
) -> list[Finding]:
    expected = ", ".join(REFERENCE_COLUMNS)
    try:
        with path.open(newline="", encoding="utf-8") as handle:
            reader = csv.DictReader(handle)
            columns = reader.fieldnames or []
            missing = [c for c in REFERENCE_COLUMNS if c not in columns]
            if missing:
                return [
                    _fail(
                        path,
                        1,
                        f"missing column(s) {', '.join(missing)}",
                        f"the first line must name the columns {expected}",
                    )
                ]
            findings = []
            rows = 0
            translations = [c for c in columns[len(REFERENCE_COLUMNS) :] if TRANSLATION_COLUMN.fullmatch(c)]
            if tuple(columns[: len(REFERENCE_COLUMNS)]) != REFERENCE_COLUMNS or len(translations) < len(
                columns[len(REFERENCE_COLUMNS) :]
            ):
                findings.append(
                    _fail(
                        path,
                        1,
                        f"the columns are {', '.join(columns)}",
                        f"the first line must be {','.join(REFERENCE_COLUMNS)}, then only translations of what a "
                        "room reads, a pair for each language: sample_es,measure_es",
                    )
                )
            findings += _translation_column_findings(path, translations)
            filled = [*REFERENCE_COLUMNS, *translations]
            for row in reader:
                rows += 1
                lineno = reader.line_num
                if None in row:
                    findings.append(_extra_fields(path, lineno))
                    continue
                empty = [c for c in filled if not (row.get(c) or "").strip()]
                if not empty:
                    report.reference_rows += 1
                if "doi_or_url" in empty:
                    findings.append(
                        _fail(
                            path,
                            lineno,
                            f"the figure '{row.get('id') or '?'}' has no citation (doi_or_url is empty)",
                            "add the study's DOI link "
                            "(https://doi.org/...) or URL: every figure shown to a room "
                            "needs its source",
                        )
                    )
                    empty.remove("doi_or_url")
                if empty:
                    findings.append(
                        _fail(
                            path,
                            lineno,
                            f"empty column(s) {', '.join(empty)}",
                            f"fill in every column ({', '.join(filled)})",
                        )
                    )
                findings += _reference_row_findings(path, lineno, row, first_seen, cited)
            if not rows:
                findings.append(
                    _fail(
                        path,
                        1,
                        "this file has no figures, only its first line",
                        "add a row for each published figure, or remove the file",
                    )
                )
            return findings
    except (OSError, UnicodeDecodeError, csv.Error) as error:
        return [_fail(path, None, f"this CSV file cannot be read ({error})", "save it as UTF-8 CSV with a header line")]


def _translation_column_findings(path: Path, translations: list[str]) -> list[Finding]:
    """A language's translation gives every column a room reads (sample_es and measure_es), not some."""
    languages = {column.rsplit("_", 1)[1] for column in translations}  # sample_es: es
    findings = []
    for language in sorted(languages):
        lacking = [f"{c}_{language}" for c in TRANSLATED_COLUMNS if f"{c}_{language}" not in translations]
        if lacking:
            findings.append(
                _fail(
                    path,
                    1,
                    f"the translation into '{language}' has no column {', '.join(lacking)}",
                    f"add {', '.join(lacking)}: a room in that language reads "
                    f"{' and '.join(TRANSLATED_COLUMNS)} of every figure",
                )
            )
    return findings


def _reference_row_findings(
    path: Path, lineno: int, row: dict, first_seen: dict[str, str], cited: set[str] | None
) -> list[Finding]:
    """The values of one figure's row, each checked when it is there (an empty one is reported above)."""
    findings = []
    figure_id, figure, n, year, link = ((row.get(c) or "").strip() for c in ("id", "figure", "n", "year", "doi_or_url"))
    if figure_id and not REFERENCE_ID.fullmatch(figure_id):
        findings.append(
            _fail(
                path,
                lineno,
                f"'{figure_id}' is not a valid figure id",
                "use lower-case letters, digits and _ (a notebook names it in references=[...])",
            )
        )
    elif figure_id in first_seen:
        findings.append(
            _fail(
                path,
                lineno,
                f"the figure id '{figure_id}' is already used at {first_seen[figure_id]}",
                "give each figure its own id",
            )
        )
    elif figure_id:
        first_seen[figure_id] = f"{shown_path(path)}:{lineno}"
    if figure:
        try:
            share = float(figure)
        except ValueError:
            share = None
        if share is None or not 0 <= share <= 1:
            findings.append(
                _fail(
                    path,
                    lineno,
                    f"the figure {figure} is not a share between 0 and 1",
                    "write it as a share: 0.46 for 46%",
                )
            )
    if n and not (n.isdigit() and int(n) > 0):
        findings.append(
            _fail(
                path,
                lineno,
                f"n is {n}, not a number of people",
                "write the study's sample size as a whole number, like 230",
            )
        )
    if year and not year.isdigit():
        findings.append(_fail(path, lineno, f"the year {year} is not a whole number", "write the year, like 2015"))
    parsed = urlparse(link)
    if link and (parsed.scheme not in ("http", "https") or not parsed.netloc):
        findings.append(
            _fail(
                path,
                lineno,
                f"doi_or_url {link} is not a link",
                "write the DOI as a link (https://doi.org/10...) or the study's URL",
            )
        )
    elif cited is not None and parsed.netloc.lower().endswith("doi.org"):
        doi = parsed.path.lstrip("/")
        if doi.lower() not in cited:
            findings.append(
                _fail(
                    path,
                    lineno,
                    f"the figure '{figure_id or '?'}' cites {doi}, which {CITATIONS_FILE} does not list",
                    f"add the study's full citation to data/reference/{CITATIONS_FILE}: lesson 05's references "
                    "and the handout print it from there",
                )
            )
    return findings


def _citation_findings(path: Path) -> tuple[list[Finding], set[str] | None]:
    """The findings in the citations file, and the DOIs it lists (lower-case; None when it cannot be read)."""
    if not path.is_file():
        return [
            _fail(
                path,
                None,
                "the citations are missing",
                f"restore it with git checkout -- data/reference/{CITATIONS_FILE}: lesson 05's references "
                "and the handout print it",
            )
        ], None
    expected = ",".join(CITATION_COLUMNS)
    findings: list[Finding] = []
    dois: set[str] = set()
    first_seen: dict[str, int] = {}
    try:
        with path.open(newline="", encoding="utf-8") as handle:
            reader = csv.DictReader(handle)
            if tuple(reader.fieldnames or ()) != CITATION_COLUMNS:
                return [
                    _fail(
                        path,
                        1,
                        f"the columns are {', '.join(reader.fieldnames or ['(none)'])}",
                        f"the first line must be exactly {expected}",
                    )
                ], None
            for row in reader:
                lineno = reader.line_num
                if None in row:
                    findings.append(_extra_fields(path, lineno))
                    continue
                findings += _citation_row_findings(path, lineno, row, first_seen)
                doi = DOI.search((row.get("doi") or "").strip())  # a DOI written as a link is reported once, above
                if doi:
                    dois.add(doi.group().lower())
            if not first_seen and not findings:
                findings.append(
                    _fail(path, 1, "this file has no citations, only its first line", "add a row for each study")
                )
    except (OSError, UnicodeDecodeError, csv.Error) as error:
        return [
            _fail(path, None, f"this CSV file cannot be read ({error})", "save it as UTF-8 CSV with a header line")
        ], None
    return findings, dois


def _citation_row_findings(path: Path, lineno: int, row: dict, first_seen: dict[str, int]) -> list[Finding]:
    """One study's citation: every field of a full citation there, its id new, its year and DOI well formed."""
    findings = []
    value = {column: (row.get(column) or "").strip() for column in CITATION_COLUMNS}
    name = value["id"] or "?"
    empty = [column for column in REQUIRED_CITATION_FIELDS if not value[column]]
    if empty:
        findings.append(
            _fail(
                path,
                lineno,
                f"the citation '{name}' has no {', '.join(empty)}",
                "a full citation gives authors, year, title, journal, volume and pages (an article number "
                "will do), and the DOI when it has one",
            )
        )
    if value["id"] and not REFERENCE_ID.fullmatch(value["id"]):
        findings.append(
            _fail(path, lineno, f"'{value['id']}' is not a valid citation id", "use lower-case letters, digits and _")
        )
    elif value["id"] in first_seen:
        findings.append(
            _fail(
                path,
                lineno,
                f"the citation id '{value['id']}' is already used on line {first_seen[value['id']]}",
                "give each study one row",
            )
        )
    elif value["id"]:
        first_seen[value["id"]] = lineno
    if value["year"] and not value["year"].isdigit():
        findings.append(
            _fail(path, lineno, f"the year {value['year']} is not a whole number", "write the year, like 2015")
        )
    if value["doi"] and not DOI.fullmatch(value["doi"]):
        findings.append(
            _fail(
                path,
                lineno,
                f"the DOI {value['doi']} of '{name}' is not a DOI",
                "write the DOI itself, like 10.1002/sm2.74 (no https://doi.org/ in front, no spaces), "
                "or leave it empty if the study has none",
            )
        )
    return findings
