"""The kit linter behind `aftertalk check`: is the kit itself sound?

`check_kit(folder)` reads a whole kit, the question bank, the notebooks, the reference data, and returns
every problem as a `Finding` that names the file and the line as an editor numbers it. A problem in one
file never stops the others from being checked. Whether this laptop is ready is aftertalk.kit.readiness.
"""
from __future__ import annotations

import ast
import csv
import json
import re
from dataclasses import dataclass, field
from pathlib import Path

import yaml

from aftertalk.paths import current_kit
from aftertalk.privacy import same_question
from aftertalk.questions import QuestionError, load_question_file, pair_problem
from aftertalk.kit.reference import COLUMNS as REFERENCE_COLUMNS

KERNEL_NAME = "python3"
QUESTIONS_DOC = "see 'Question files' in README.md"
# The Room methods whose string arguments are question ids, and the keywords that name one.
ID_TAKING_METHODS = {"poll": 1, "tally": 1, "compare_with_research": 1, "before_after": 2, "words": 1}
ID_KEYWORDS = {"question", "question_id", "before_id", "after_id"}
BANK_LOOKUP = re.compile(r"""\bbank\[\s*(["'])([^"'\]]+)\1\s*\]""")
# A question entry's id in a YAML file that does not load: its ids still count as known, so that one
# broken file is reported once, not again in every notebook that uses its questions.
YAML_ENTRY_ID = re.compile(r"""^\s*-\s*id:\s*["']?([a-z0-9_]+)["']?\s*$""", re.MULTILINE)


@dataclass
class Finding:
    """One result of a check. `ok` is False for a failure; a warning is ok but worth reading."""

    ok: bool
    what: str
    advice: str = ""
    warning: bool = False
    path: str | None = None  # the file it is about, as shown to the reader
    lineno: int | None = None

    def line(self) -> str:
        """The install-check form: "ok  what", "warn what; advice" or "FAIL what; advice"."""
        mark = "FAIL" if not self.ok else "warn" if self.warning else "ok  "
        return f"{mark} {self.what}" + (f"; {self.advice}" if self.advice else "")

    def problem_line(self) -> str:
        """The `aftertalk check` form: "file:line: what is wrong; what to do"."""
        where = ":".join(str(part) for part in (self.path, self.lineno) if part is not None)
        kind = "warning: " if self.warning else ""
        return f"{where or 'this laptop'}: {kind}{self.what}" + (f"; {self.advice}" if self.advice else "")


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
            verdict = (f"{failures} problem{'s' * (failures != 1)} found{noted}: fix each line above, "
                       "then run aftertalk check again.")
        else:
            verdict = (f"All good: {self.notebooks} notebooks, {self.questions} questions in "
                       f"{self.question_files} files, {self.reference_rows} reference figures{noted}.")
            if self.join_url:
                verdict += f" Phones will join at {self.join_url}"
        return [f.problem_line() for f in problems] + [verdict]


def check_kit(folder=None, *, machine: bool = True) -> KitReport:
    """Check a kit folder (data/questions, data/reference, notebooks) and, with `machine`, this laptop
    (aftertalk.kit.readiness: the network phones will use, open files).

    Raises KitNotFound when `folder` is not a kit; every other problem is a Finding in the report.
    """
    kit = Path(folder) if folder is not None else current_kit()
    if not kit.is_dir():
        raise KitNotFound(f"there is no folder {kit}; give the path of an Aftertalk kit, the folder "
                          "that holds data/ and notebooks/")
    missing = [name for name in ("data/questions", "data/reference", "notebooks") if not (kit / name).is_dir()]
    if missing:
        raise KitNotFound(f"{kit} is not an Aftertalk kit: it has no {' or '.join(missing)} folder; give "
                          "the path of the folder that holds data/ and notebooks/")
    kit = kit.resolve()
    report = KitReport()
    known_ids = _check_question_bank(kit, report)
    _check_notebooks(kit, known_ids, report)
    _check_reference(kit, report)
    if machine:
        from aftertalk.kit import readiness  # imports Finding from here
        report.findings += readiness.laptop_findings()
        report.join_url = readiness.join_url()
    return report


def shown_path(path: Path) -> str:
    """A path as the reader will want it: relative to where they are, when it is below that."""
    try:
        return str(path.relative_to(Path.cwd().resolve()))
    except ValueError:
        return str(path)


def _fail(path: Path, lineno, what: str, advice: str) -> Finding:
    return Finding(False, what, advice, path=shown_path(path), lineno=lineno)


# --- question bank ---

def _check_question_bank(kit: Path, report: KitReport) -> set[str]:
    """Each file on its own, then ids across files. Returns every id the bank defines (or seems to)."""
    folder = kit / "data" / "questions"
    files = sorted(folder.glob("*.yaml"))
    if not files:
        report.findings.append(_fail(folder, None, "the question bank is empty (no *.yaml files)",
                                     "add a question file, or run aftertalk new-lesson"))
    first_seen: dict[str, tuple[Path, int | None]] = {}
    known: set[str] = set()
    bank = {}
    for path in files:
        report.question_files += 1
        try:
            questions = load_question_file(path)
        except QuestionError as error:
            report.findings.append(_question_finding(path, error))
            known.update(YAML_ENTRY_ID.findall(_read_text(path)))
            continue
        except (yaml.YAMLError, RecursionError) as error:
            mark = getattr(error, "problem_mark", None)
            report.findings.append(_fail(path, mark.line + 1 if mark else None,
                                         f"this YAML cannot be read ({type(error).__name__})",
                                         "write plain YAML: a 'questions:' list of mappings, with no "
                                         "tags or aliases"))
            known.update(YAML_ENTRY_ID.findall(_read_text(path)))
            continue
        for question in questions:
            known.add(question.id)
            if question.id in first_seen:
                other, other_line = first_seen[question.id]
                report.findings.append(_fail(
                    path, question.line, f"question id '{question.id}' is already used in "
                    f"{shown_path(other)}:{other_line}", "give one of the two questions another id"))
                continue
            first_seen[question.id] = (path, question.line)
            bank[question.id] = question
            report.questions += 1
    report.findings += _repeat_findings(bank)
    return known


def _repeat_findings(bank: dict) -> list[Finding]:
    """A room asks each question once, or twice as a declared before/after pair (`after:`): a second
    chart of the same question could be subtracted from the first to single out a latecomer."""
    findings = []
    for question in bank.values():
        problem = pair_problem(question, bank)
        if problem:
            what, _, advice = problem.partition("; ")
            findings.append(_fail(Path(question.source), question.line, f"after: {what}", advice))
    questions = list(bank.values())
    for index, second in enumerate(questions):
        for first in questions[:index]:
            if second.after != first.id and first.after != second.id and same_question(first.to_dict(),
                                                                                       second.to_dict()):
                findings.append(_fail(
                    Path(second.source), second.line,
                    f"'{second.id}' asks the same question as '{first.id}' "
                    f"({shown_path(Path(first.source))}:{first.line}), and a room refuses to ask a question twice",
                    f"declare the pair with 'after: {first.id}' if it is asked again at the end, or change "
                    "its wording or options"))
    return findings


def _question_finding(path: Path, error: QuestionError) -> Finding:
    message = str(error)
    where = ":".join(str(part) for part in (error.source, error.line) if part is not None)
    if where and message.startswith(where + ": "):
        message = message[len(where) + 2:]
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


def _check_notebooks(kit: Path, known_ids: set[str], report: KitReport) -> None:
    paths = notebook_files(kit)
    if not paths:
        report.findings.append(_fail(kit / "notebooks", None, "there are no notebooks (*.ipynb)",
                                     "add a lesson with aftertalk new-lesson \"Title\""))
    for path in paths:
        report.notebooks += 1
        report.findings += _notebook_findings(path, known_ids)


def _notebook_findings(path: Path, known_ids: set[str]) -> list[Finding]:
    try:
        raw = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as error:
        return [_fail(path, None, f"this notebook cannot be read ({error})",
                      "save it again from JupyterLab (notebooks are UTF-8 JSON)")]
    try:
        notebook = json.loads(raw)
    except json.JSONDecodeError as error:
        return [_fail(path, error.lineno, f"this is not valid JSON ({error.msg}, column {error.colno})",
                      "an editor or a merge may have broken it: fix it there, or restore the last good "
                      f"version with git checkout -- {shown_path(path)}")]
    cells = notebook.get("cells") if isinstance(notebook, dict) else None
    if not isinstance(cells, list) or not all(isinstance(cell, dict) for cell in cells):
        return [_fail(path, 1, "this is not a Jupyter notebook (no list of cells)",
                      "start from notebooks/templates/lesson_template.ipynb")]
    lines = _RawNotebook(raw, len(cells))
    findings = []
    kernel = _get(notebook, "metadata", "kernelspec", "name")
    if kernel != KERNEL_NAME:
        findings.append(_fail(path, lines.top_level_key("kernelspec") or lines.top_level_key("metadata"),
                              f"the kernel is {kernel!r}, not {KERNEL_NAME!r}",
                              "choose the Python 3 kernel (Kernel > Change Kernel) and save, so every "
                              "lesson runs the same way"))
    for number, cell in enumerate(cells):
        text = _cell_source(cell)
        ids = {match[1] for match in BANK_LOOKUP.findall(text)}
        if cell.get("cell_type") == "code":
            if cell.get("outputs"):
                findings.append(_fail(path, lines.key_in_cell(number, "outputs"),
                                      "this code cell has saved outputs",
                                      "clear them (Edit > Clear Outputs of All Cells) and save"))
            if cell.get("execution_count") is not None:
                findings.append(_fail(path, lines.key_in_cell(number, "execution_count"),
                                      "this code cell has an execution count",
                                      "clear all outputs (Edit > Clear Outputs of All Cells) and save"))
            if _get(cell, "metadata", "jupyter", "source_hidden") is not True:
                findings.append(_fail(path, lines.key_in_cell(number, "metadata"),
                                      "this code cell is not hidden",
                                      "collapse its code (View > Collapse Selected Code) and save, so the "
                                      "projector shows only the lesson"))
            called, syntax_error = _ids_in_calls(text)
            ids |= called
            if syntax_error:
                findings.append(_fail(path, lines.text_in_cell(number, syntax_error[1]) or lines.cell(number),
                                      f"this code cell is not valid Python ({syntax_error[0]})",
                                      "fix the code so the cell runs in the room"))
        for qid in sorted(ids - known_ids):
            findings.append(_fail(path, lines.text_in_cell(number, qid) or lines.cell(number),
                                  f"question '{qid}' is not in the question bank (data/questions)",
                                  "fix the id, or add the question to a file in data/questions"))
    return sorted(findings, key=lambda finding: finding.lineno or 0)


def _ids_in_calls(code: str) -> tuple[set[str], tuple[str, str] | None]:
    """Question ids passed as plain strings to poll, tally, compare_with_research, before_after, words.

    Returns (ids, None), or (ids found so far, (error message, the offending line's text)).
    """
    # IPython magics and shell escapes are not Python: blank them out, keeping the line numbers.
    plain = "\n".join("" if line.lstrip().startswith(("%", "!")) else line for line in code.splitlines())
    try:
        tree = ast.parse(plain)
    except SyntaxError as error:
        offending = (error.text or "").strip()
        return set(), (f"{error.msg}, line {error.lineno} of the cell", offending)
    ids = set()
    for node in ast.walk(tree):
        if not (isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute)):
            continue
        taken = ID_TAKING_METHODS.get(node.func.attr)
        if taken is None:
            continue
        arguments = node.args[:taken] + [k.value for k in node.keywords if k.arg in ID_KEYWORDS]
        ids.update(a.value for a in arguments if isinstance(a, ast.Constant) and isinstance(a.value, str))
    return ids, None


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
    n-th `"cell_type":` key starts the n-th cell. When the file does not look like that, every cell is
    placed at line 1 rather than at a wrong line.
    """

    CELL_START = re.compile(r'^\s*"cell_type"\s*:', re.MULTILINE)

    def __init__(self, raw: str, cell_count: int):
        self.raw = raw
        starts = [match.start() for match in self.CELL_START.finditer(raw)]
        self.starts = starts if len(starts) == cell_count else []
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

    def text_in_cell(self, number: int, text: str) -> int | None:
        """The first line of the cell whose JSON text contains `text` (as it reads once decoded)."""
        if not text:
            return None
        encoded = json.dumps(text, ensure_ascii=False)[1:-1]
        return self._find_in_cell(number, re.compile(rf"(?<![A-Za-z0-9_]){re.escape(encoded)}(?![A-Za-z0-9_])"))

    def top_level_key(self, key: str) -> int | None:
        """The line of `"key":` after the cells (in the notebook's own metadata), if there is one."""
        match = re.compile(rf'"{re.escape(key)}"\s*:').search(self.raw, self.cells_end if self.cells_end < len(self.raw) else 0)
        return self._line(match.start()) if match else None

    def _find_in_cell(self, number: int, pattern: re.Pattern) -> int | None:
        if not self.starts:
            return None
        start, end = self._span(number)
        match = pattern.search(self.raw, start, end)
        return self._line(match.start()) if match else None


# --- reference data ---

def _check_reference(kit: Path, report: KitReport) -> None:
    folder = kit / "data" / "reference"
    files = sorted(folder.glob("*.csv"))
    if not files:
        report.findings.append(_fail(folder, None, "there is no reference data (no *.csv files)",
                                     "restore data/reference/post_sex_research.csv"))
    for path in files:
        report.findings += _reference_findings(path, report)


def _reference_findings(path: Path, report: KitReport) -> list[Finding]:
    expected = ", ".join(REFERENCE_COLUMNS)
    try:
        with path.open(newline="", encoding="utf-8") as handle:
            reader = csv.DictReader(handle)
            columns = reader.fieldnames or []
            missing = [c for c in REFERENCE_COLUMNS if c not in columns]
            if missing:
                return [_fail(path, 1, f"missing column(s) {', '.join(missing)}",
                              f"the first line must name the columns {expected}")]
            findings = []
            for row in reader:
                lineno = reader.line_num
                if None in row:
                    findings.append(_fail(path, lineno, "this row has more fields than there are columns",
                                          "put quotes around any value that contains a comma"))
                    continue
                empty = [c for c in REFERENCE_COLUMNS if not (row.get(c) or "").strip()]
                if not empty:
                    report.reference_rows += 1
                if "doi_or_url" in empty:
                    findings.append(_fail(path, lineno, f"the figure '{row.get('id') or '?'}' has no citation "
                                          "(doi_or_url is empty)", "add the study's DOI link "
                                          "(https://doi.org/...) or URL: every figure shown to a room "
                                          "needs its source"))
                    empty.remove("doi_or_url")
                if empty:
                    findings.append(_fail(path, lineno, f"empty column(s) {', '.join(empty)}",
                                          f"fill in every column ({expected})"))
            return findings
    except (OSError, UnicodeDecodeError, csv.Error) as error:
        return [_fail(path, None, f"this CSV file cannot be read ({error})",
                      "save it as UTF-8 CSV with a header line")]

