"""A new lesson from the template: the next numbered notebook and its question file, with an example poll.

`create_lesson("Consent and checking in")` writes notebooks/06_consent_and_checking_in.ipynb and
data/questions/06_consent_and_checking_in.yaml, and never overwrites anything.
"""

from __future__ import annotations

import json
import re
import unicodedata
from dataclasses import dataclass
from pathlib import Path

from aftertalk.kit.lint import BANK_LOOKUP, KitNotFound, shown_path
from aftertalk.paths import current_kit
from aftertalk.questions import load_question_file

TEMPLATE = Path("notebooks") / "templates" / "lesson_template.ipynb"
MAX_SLUG = 40  # keeps the example id ("NN_slug_example") well inside the 64-character id limit
TEMPLATE_HEADING = re.compile(r"^# Lesson NN: .*$", re.MULTILINE)
TEMPLATE_FILE_HINT = "NN_your_lesson.yaml"
# The template tells an educator to copy it; in a lesson made by new-lesson that is already done.
TEMPLATE_COPY_HINT = re.compile(
    r"copy this notebook into `notebooks/`, name it with the next number and "
    r"a short\s+title \(for example `[^`]*`\), and replace"
)
NUMBERED = re.compile(r"^(\d+)_(.+)$")

QUESTION_FILE = """\
# Lesson {number} - {title}: the polls of this lesson. Every field is described under "Question files"
# in README.md. Replace the example below with your own question, and keep its id in the notebook.
questions:
  - id: {question_id}
    text: "Example poll: which of these helps you most in a session like this?"
    kind: single
    options:
      - {{id: short_points, label: "Short points on the screen"}}
      - {{id: talking_in_pairs, label: "Talking in pairs"}}
      - {{id: time_to_think, label: "Quiet time to think"}}
      - {{id: none_of_these, label: "None of these"}}
    prefer_not_to_say: true
    privacy: direct
    notes: >-
      An example to replace. Write the question as phones will show it, keep the options short, and
      use these notes for what to say when you open the poll and when you reveal it. "Prefer not to
      say" is added for you, and anyone can skip.
"""


class LessonError(ValueError):
    """The lesson cannot be created; the message says why and what to do. Nothing was written."""


@dataclass(frozen=True)
class NewLesson:
    notebook: Path
    questions: Path
    question_id: str


def slug_for(title: str) -> str:
    """The file-name part for a title: lower-case ASCII words joined by underscores."""
    ascii_text = unicodedata.normalize("NFKD", title).encode("ascii", "ignore").decode()
    slug = re.sub(r"[^a-z0-9]+", "_", ascii_text.lower()).strip("_")
    if len(slug) > MAX_SLUG:
        slug = slug[:MAX_SLUG]
        slug = slug.rsplit("_", 1)[0] if "_" in slug else slug  # end on a whole word
    return slug


def clean_title(title: str) -> str:
    """The title on one line, or LessonError when it has nothing to make a file name from."""
    title = " ".join((title or "").split())
    if not title:
        raise LessonError(
            'the title is empty; give the lesson a title, for example aftertalk new-lesson "Consent and checking in"'
        )
    if not re.search(r"[a-z]", slug_for(title)):
        raise LessonError(
            f"the title {title!r} has no letters that can go in a file name (a-z); give a "
            'title with some, for example "Consent and checking in"'
        )
    return title


def next_number(kit: Path) -> int:
    """One more than the highest lesson number used by a notebook or a question file."""
    names = [path.stem for path in (kit / "notebooks").glob("*.ipynb")]
    names += [path.stem for path in (kit / "data" / "questions").glob("*.yaml")]
    numbers = [int(match[1]) for match in map(NUMBERED.match, names) if match]
    return max(numbers, default=-1) + 1


def create_lesson(title: str, kit=None) -> NewLesson:
    """Write the next lesson's notebook and question file, and return where they are.

    Raises KitNotFound when `kit` is not a kit folder, and LessonError when the title is unusable or the
    lesson already exists; in both cases nothing is written.
    """
    kit = (Path(kit) if kit is not None else current_kit()).resolve()
    missing = [name for name in ("notebooks", "data/questions") if not (kit / name).is_dir()]
    if not kit.is_dir():
        raise KitNotFound(
            f"there is no folder {kit}; give the kit folder, the one that holds data/ and notebooks/, with --kit"
        )
    if missing:
        raise KitNotFound(
            f"{kit} is not an Aftertalk kit: it has no {' or '.join(missing)} folder; give "
            "the folder that holds data/ and notebooks/ with --kit"
        )
    title = clean_title(title)
    slug = slug_for(title)
    existing = sorted(
        path
        for path in (kit / "notebooks").glob("*.ipynb")
        if (match := NUMBERED.match(path.stem)) and match[2] == slug
    )
    existing += sorted(
        path
        for path in (kit / "data" / "questions").glob("*.yaml")
        if (match := NUMBERED.match(path.stem)) and match[2] == slug
    )
    if existing:
        raise LessonError(
            f"a lesson called '{slug}' already exists ({', '.join(shown_path(p) for p in existing)}); "
            "nothing was written. Edit that lesson, or choose another title"
        )
    number = f"{next_number(kit):02d}"
    name = f"{number}_{slug}"
    lesson = NewLesson(
        kit / "notebooks" / f"{name}.ipynb", kit / "data" / "questions" / f"{name}.yaml", f"{name}_example"
    )
    for path in (lesson.notebook, lesson.questions):
        if path.exists():
            raise LessonError(
                f"{shown_path(path)} already exists; nothing was written, and nothing is ever overwritten"
            )
    notebook_text = _notebook_text(kit / TEMPLATE, title, number, name, lesson.question_id)
    questions_text = QUESTION_FILE.format(number=number, title=title, question_id=lesson.question_id)
    _write_new(lesson.questions, questions_text)
    try:
        load_question_file(lesson.questions)  # the example must be valid as written
        _write_new(lesson.notebook, notebook_text)
    except BaseException:
        lesson.questions.unlink()
        raise
    return lesson


def _write_new(path: Path, text: str) -> None:
    try:
        with path.open("x", encoding="utf-8") as handle:  # "x": fail rather than overwrite
            handle.write(text)
    except FileExistsError:
        raise LessonError(f"{shown_path(path)} already exists; nothing is ever overwritten") from None


def _notebook_text(template: Path, title: str, number: str, name: str, question_id: str) -> str:
    try:
        notebook = json.loads(template.read_text(encoding="utf-8"))
        cells = notebook["cells"]
    except (OSError, UnicodeDecodeError, ValueError, KeyError, TypeError) as error:
        raise LessonError(
            f"cannot read the lesson template {template} ({error}); restore it with git checkout -- {TEMPLATE}"
        ) from None
    polls = 0
    for index, cell in enumerate(cells):
        text = "".join(cell.get("source", []))
        text = TEMPLATE_HEADING.sub(lambda _: f"# Lesson {number}: {title}", text, count=1)
        text = TEMPLATE_COPY_HINT.sub("replace", text)
        text = text.replace(TEMPLATE_FILE_HINT, f"{name}.yaml")
        if cell.get("cell_type") == "code":
            text, found = BANK_LOOKUP.subn(f'bank["{question_id}"]', text)
            polls += found
            cell["outputs"], cell["execution_count"] = [], None
        cell["source"] = text.splitlines(keepends=True)
        cell["id"] = f"{name.replace('_', '-')}-{index:02d}"[-64:]
    if not polls:
        raise LessonError(
            f'the lesson template {template} has no poll cell (bank["..."]) to point at the '
            f"example; restore it with git checkout -- {TEMPLATE}"
        )
    return json.dumps(notebook, indent=1, ensure_ascii=False) + "\n"
