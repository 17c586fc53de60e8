"""The lessons, the question bank and the reference figures agree with each other.

These checks read files only: they do not run the notebooks or need the notebook API. Each `check_*`
function takes the project root and returns a list of problems (empty when all is well), so that a
test can also point it at a broken copy of the files.
"""
from __future__ import annotations

import ast
import csv
import json
import re
from pathlib import Path
from urllib.parse import urlparse

import pytest

from aftertalk.questions import load_questions

ROOT = Path(__file__).resolve().parent.parent
LESSONS = (
    "00_start_here",
    "01_welcome_and_ground_rules",
    "02_the_feelings_after_sex",
    "03_tears_and_the_post_sex_blues",
    "04_aftercare_and_talking",
    "05_closing",
)
TEMPLATE = Path("templates") / "lesson_template.ipynb"
HEADINGS = ("## Purpose", "## Learning outcomes", "## Timing", "## Content note",
            "## Facilitator talking points")
REFERENCE_FILE = Path("data") / "reference" / "post_sex_research.csv"
REFERENCE_COLUMNS = ["id", "study", "year", "sample", "n", "measure", "figure", "doi_or_url"]
# Links allowed in lessons and questions: DOIs, and the helplines listed in research/facts.md.
ALLOWED_LINK_HOSTS = ("doi.org", "findahelpline.com")
SHOP_WORDS = re.compile(
    r"\b(buy|buying|bought|shop|shops|shopping|shopper|discount|discounts|coupon|coupons|"
    r"promo|promo code|brand|brands|branded|sponsor|sponsored|affiliate|checkout|"
    r"free shipping|bestseller|best-seller)\b", re.IGNORECASE)
NON_INCLUSIVE_WORDS = re.compile(r"\b(boyfriends?|girlfriends?)\b", re.IGNORECASE)
LINK = re.compile(r"(?:https?://|www\.)[^\s)\]>\"'`]+", re.IGNORECASE)
BANK_LOOKUP = re.compile(r"""\bbank\[\s*(["'])([^"']+)\1\s*\]""")
MINUTES = re.compile(r"\b\d+\s*(?:-\s*\d+\s*)?minutes?\b", re.IGNORECASE)
# The notebook API the lessons may use (see the issue): anything else is a typo or a new dependency.
ROOM_METHODS = {"join_card", "poll", "compare_with_research", "before_after", "summary", "export",
                "end"}
AFTERTALK_FUNCTIONS = {"room", "install_check", "load_questions"}
MAX_CODE_LINES = 2


# --- reading the files ---------------------------------------------------------------------------

def notebook_paths(root: Path, *, template: bool = True) -> list[Path]:
    paths = [root / "notebooks" / f"{name}.ipynb" for name in LESSONS]
    if template:
        paths.append(root / "notebooks" / TEMPLATE)
    return paths


def read_notebook(path: Path) -> dict:
    return json.loads(path.read_text(encoding="utf-8"))


def source(cell: dict) -> str:
    text = cell.get("source", "")
    return "".join(text) if isinstance(text, list) else text


def code_cells(notebook: dict) -> list[str]:
    return [source(cell) for cell in notebook["cells"] if cell["cell_type"] == "code"]


def reference_rows(root: Path) -> list[dict]:
    with (root / REFERENCE_FILE).open(newline="", encoding="utf-8") as handle:
        return list(csv.DictReader(handle))


def api_calls(notebook_source: str) -> list[ast.Call]:
    return [node for node in ast.walk(ast.parse(notebook_source)) if isinstance(node, ast.Call)]


def string_lists(tree_source: str) -> dict[str, list]:
    """Names assigned a literal list of strings anywhere in the notebook's code."""
    found = {}
    for node in ast.walk(ast.parse(tree_source)):
        if isinstance(node, ast.Assign) and isinstance(node.value, (ast.List, ast.Tuple)):
            values = [e.value for e in node.value.elts if isinstance(e, ast.Constant)]
            for target in node.targets:
                if isinstance(target, ast.Name):
                    found[target.id] = values
    return found


def ids_used(notebook: dict) -> tuple[set, set, list]:
    """(question ids, reference ids, problems) found in one notebook.

    Question ids come from `bank["..."]` anywhere (code, or a hint in Markdown) and from the string
    ids passed to compare_with_research and before_after; reference ids from `references=`.
    """
    questions, references, problems = set(), set(), []
    for cell in notebook["cells"]:
        questions.update(match[1] for match in BANK_LOOKUP.findall(source(cell)))
    code = "\n".join(code_cells(notebook))
    lists = string_lists(code)
    for call in api_calls(code):
        name = call.func.attr if isinstance(call.func, ast.Attribute) else None
        if name not in ("compare_with_research", "before_after"):
            continue
        for arg in call.args:
            if isinstance(arg, ast.Constant) and isinstance(arg.value, str):
                questions.add(arg.value)
            else:
                problems.append(f"{name}: pass question ids as plain strings")
        for keyword in call.keywords:
            if keyword.arg != "references":
                continue
            value = keyword.value
            if isinstance(value, ast.Name) and value.id in lists:
                references.update(lists[value.id])
            elif isinstance(value, (ast.List, ast.Tuple)):
                references.update(e.value for e in value.elts if isinstance(e, ast.Constant))
            else:
                problems.append(f"{name}: references must be a literal list of reference ids")
    return questions, references, problems


def markdown_sections(notebook: dict) -> list[tuple[str, str]]:
    """(heading line, text up to the next heading of level 1 or 2) for the opening Markdown."""
    sections: list[tuple[str, list[str]]] = []
    for cell in notebook["cells"]:
        if cell["cell_type"] == "code":
            break
        for line in source(cell).splitlines():
            if re.match(r"^#{1,2} ", line):
                sections.append((line.strip(), []))
            elif sections:
                sections[-1][1].append(line)
    return [(heading, "\n".join(lines)) for heading, lines in sections]


# --- the checks ------------------------------------------------------------------------------------

def check_files_present(root: Path) -> list[str]:
    return [f"missing {path.relative_to(root)}" for path in notebook_paths(root) if not path.exists()]


def check_question_ids_exist(root: Path) -> list[str]:
    bank = load_questions(root / "data" / "questions")
    problems = []
    for path in notebook_paths(root):
        questions, _, found = ids_used(read_notebook(path))
        problems += [f"{path.name}: {problem}" for problem in found]
        problems += [f"{path.name}: question '{qid}' is not in data/questions"
                     for qid in sorted(questions - bank.keys())]
    return problems


def check_reference_ids_exist(root: Path) -> list[str]:
    known = {row["id"] for row in reference_rows(root)}
    problems = []
    for path in notebook_paths(root):
        _, references, found = ids_used(read_notebook(path))
        problems += [f"{path.name}: {problem}" for problem in found]
        problems += [f"{path.name}: reference '{rid}' is not in {REFERENCE_FILE}"
                     for rid in sorted(references - known)]
    return problems


def check_research_options_exist(root: Path) -> list[str]:
    """compare_with_research(option=...) names a real option; before_after compares like with like."""
    bank = load_questions(root / "data" / "questions")
    problems = []
    for path in notebook_paths(root):
        for call in api_calls("\n".join(code_cells(read_notebook(path)))):
            name = call.func.attr if isinstance(call.func, ast.Attribute) else None
            ids = [a.value for a in call.args if isinstance(a, ast.Constant)]
            if not ids or any(qid not in bank for qid in ids):
                continue  # reported by check_question_ids_exist
            if name == "compare_with_research":
                for keyword in call.keywords:
                    if keyword.arg == "option" and isinstance(keyword.value, ast.Constant):
                        if bank[ids[0]].option(keyword.value.value) is None:
                            problems.append(f"{path.name}: '{ids[0]}' has no option "
                                            f"'{keyword.value.value}'")
            if name == "before_after" and len(ids) == 2:
                before, after = (bank[qid] for qid in ids)
                if (before.kind, before.options) != (after.kind, after.options):
                    problems.append(f"{path.name}: '{ids[0]}' and '{ids[1]}' need the same kind "
                                    "and options to be shown before and after")
    return problems


def check_lesson_headings(root: Path) -> list[str]:
    problems = []
    for path in notebook_paths(root, template=False):
        sections = markdown_sections(read_notebook(path))
        headings = [heading for heading, _ in sections if heading.startswith("## ")]
        if headings[:len(HEADINGS)] != list(HEADINGS):
            problems.append(f"{path.name}: must open with the headings {', '.join(HEADINGS)} in that "
                            f"order, before any code; found {headings}")
            continue
        timing = dict(sections)["## Timing"]
        if not MINUTES.search(timing):
            problems.append(f"{path.name}: '## Timing' must give a number of minutes")
    return problems


def check_no_outputs(root: Path) -> list[str]:
    problems = []
    for path in notebook_paths(root):
        for number, cell in enumerate(read_notebook(path)["cells"]):
            if cell["cell_type"] == "code" and (cell.get("outputs") or cell.get("execution_count")):
                problems.append(f"{path.name}: cell {number} has outputs or an execution count")
    return problems


def check_code_hidden_and_short(root: Path) -> list[str]:
    problems = []
    for path in notebook_paths(root):
        for number, cell in enumerate(read_notebook(path)["cells"]):
            if cell["cell_type"] != "code":
                continue
            if cell.get("metadata", {}).get("jupyter", {}).get("source_hidden") is not True:
                problems.append(f"{path.name}: code cell {number} is not hidden")
            if len(source(cell).strip().splitlines()) > MAX_CODE_LINES:
                problems.append(f"{path.name}: code cell {number} has more than {MAX_CODE_LINES} lines")
    return problems


def check_kernel(root: Path) -> list[str]:
    problems = []
    for path in notebook_paths(root):
        notebook = read_notebook(path)
        if notebook.get("nbformat") != 4:
            problems.append(f"{path.name}: must be nbformat 4")
        if notebook.get("metadata", {}).get("kernelspec", {}).get("name") != "python3":
            problems.append(f"{path.name}: kernel must be python3")
    return problems


def check_notebook_api(root: Path) -> list[str]:
    """Only the documented notebook API is used, so a lesson never depends on internals."""
    problems = []
    for path in notebook_paths(root):
        for call in api_calls("\n".join(code_cells(read_notebook(path)))):
            func = call.func
            if not (isinstance(func, ast.Attribute) and isinstance(func.value, ast.Name)):
                continue
            allowed = {"room": ROOM_METHODS, "aftertalk": AFTERTALK_FUNCTIONS}.get(func.value.id)
            if allowed is not None and func.attr not in allowed:
                problems.append(f"{path.name}: {func.value.id}.{func.attr}() is not part of the "
                                "notebook API")
    return problems


def check_questions_skippable(root: Path) -> list[str]:
    problems = []
    for qid, question in load_questions(root / "data" / "questions").items():
        if not question.prefer_not_to_say:
            problems.append(f"{qid}: every question must offer 'Prefer not to say'")
        if not question.notes.strip():
            problems.append(f"{qid}: every question needs facilitator notes")
    return problems


def check_reference_rows(root: Path) -> list[str]:
    path = root / REFERENCE_FILE
    with path.open(newline="", encoding="utf-8") as handle:
        reader = csv.DictReader(handle)
        rows = list(reader)
        columns = reader.fieldnames
    problems = []
    if columns != REFERENCE_COLUMNS:
        problems.append(f"columns must be exactly {','.join(REFERENCE_COLUMNS)}; found {columns}")
    if not rows:
        problems.append("the reference file has no rows")
    seen = set()
    for line, row in enumerate(rows, start=2):
        empty = [name for name in REFERENCE_COLUMNS if not (row.get(name) or "").strip()]
        if empty or None in row:
            problems.append(f"line {line}: empty or extra fields {empty}")
            continue
        if not re.fullmatch(r"[a-z0-9_]+", row["id"]) or row["id"] in seen:
            problems.append(f"line {line}: id '{row['id']}' must be unique lower-case letters, digits, _")
        seen.add(row["id"])
        try:
            ok = 0 <= float(row["figure"]) <= 1
        except ValueError:
            ok = False
        if not ok:
            problems.append(f"line {line}: figure must be a share from 0 to 1 (0.46 for 46%)")
        if not (row["n"].isdigit() and int(row["n"]) > 0 and row["year"].isdigit()):
            problems.append(f"line {line}: n and year must be whole numbers")
        link = urlparse(row["doi_or_url"])
        if link.scheme not in ("http", "https") or not link.netloc:
            problems.append(f"line {line}: doi_or_url must be a link (https://doi.org/...)")
    return problems


def text_files(root: Path) -> list[tuple[str, str]]:
    """(name, text) of everything shown to a room: notebook cells and question files."""
    files = [(path.name, "\n".join(source(cell) for cell in read_notebook(path)["cells"]))
             for path in notebook_paths(root)]
    files += [(path.name, path.read_text(encoding="utf-8"))
              for path in sorted((root / "data" / "questions").glob("*.yaml"))]
    return files


def check_no_shops_or_products(root: Path) -> list[str]:
    problems = []
    for name, text in text_files(root):
        for link in LINK.findall(text):
            host = urlparse(link if "://" in link else "http://" + link).netloc.lower()
            host = host.removeprefix("www.")
            if not any(host == allowed or host.endswith("." + allowed) for allowed in ALLOWED_LINK_HOSTS):
                problems.append(f"{name}: link {link} is not a DOI or a listed helpline")
        problems += [f"{name}: shop or product word '{word}'" for word in SHOP_WORDS.findall(text)]
        problems += [f"{name}: use 'partner', not '{word}'" for word in NON_INCLUSIVE_WORDS.findall(text)]
    return problems


def check_research_warnings(root: Path) -> list[str]:
    """The lesson that compares the room with research shows the warnings on screen, before the chart."""
    problems = []
    for path in notebook_paths(root, template=False):
        cells = read_notebook(path)["cells"]
        for number, cell in enumerate(cells):
            if cell["cell_type"] == "code" and "compare_with_research" in source(cell):
                before = " ".join(source(c) for c in cells[:number] if c["cell_type"] == "markdown")
                for needed in ("no peer-reviewed figure exists for *crying*", "different measures",
                               "university students"):
                    if needed.lower() not in before.lower():
                        problems.append(f"{path.name}: the warning '{needed}' must come before "
                                        "the comparison chart")
    return problems


CHECKS = [
    check_files_present,
    check_question_ids_exist,
    check_reference_ids_exist,
    check_research_options_exist,
    check_lesson_headings,
    check_no_outputs,
    check_code_hidden_and_short,
    check_kernel,
    check_notebook_api,
    check_questions_skippable,
    check_reference_rows,
    check_no_shops_or_products,
    check_research_warnings,
]


@pytest.mark.parametrize("check", CHECKS, ids=lambda check: check.__name__.removeprefix("check_"))
def test_lessons_are_consistent(check):
    assert check(ROOT) == []

