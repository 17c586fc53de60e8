"""The facilitator guide agrees with the kit it describes.

Its links lead somewhere, every `aftertalk` command it names exists, its question file format matches
the fields the loader accepts, its example question file loads, both session plans name every lesson
notebook, Plan A's minutes agree with each lesson's Timing note and the Timing note with itself and with
the minutes the lesson repeats elsewhere, and it has words to say for the difficult moments and answers
to the questions a room asks. Each `check_*` function takes the project root and returns a list of
problems (empty when all is well), so each test can also point it at a broken copy of the guide.
"""

from __future__ import annotations

import argparse
import json
import re
import shutil
import tempfile
from pathlib import Path

import pytest

from aftertalk.cli import build_parser
from aftertalk.questions import OPTION_FIELDS, QUESTION_FIELDS, QuestionError, load_question_file

ROOT = Path(__file__).resolve().parent.parent
GUIDE = Path("facilitator_guide")
GUIDE_INDEX = GUIDE / "README.md"
ADAPTING = GUIDE / "adapting_the_lessons.md"
RUNNING = GUIDE / "running_the_room.md"
FAQ = GUIDE / "faq.md"
DIFFICULT_HEADING = "## When the room gets difficult"
# Issue 17: what to say, in a few lines each (a `> "..."` line), for the moments a first-time facilitator dreads.
SCRIPT_HEADINGS = (
    "### A joke",
    "### A put-down",
    "### Graphic oversharing",
    "### A persistent challenger",
    "### When to pause, and when to ask someone to leave",
)
# The questions a room asks, each with the words its answer must keep to stay accurate (research/facts.md).
FAQ_ANSWERS = {
    "## Is PCD a disorder?": ("research label, not a diagnosis",),
    "## Is it hormones?": ("Brody & Kruger", "prolactin only", "No study shows that prolactin causes low mood"),
    "## Does it mean I'm with the wrong partner?": ("Nothing in the research says so",),
}
PLAN_HEADINGS = ("## Plan A: one 90-minute session", "## Plan B: three 45-minute sessions")
FORMAT_HEADING = "## The question file format"
OPTION_HEADING = "### Each option"

FENCE = re.compile(r"^(`{3,}|~{3,}).*?^\1[ \t]*$", re.MULTILINE | re.DOTALL)
CODE_SPAN = re.compile(r"(`+)(?:(?!\1).)+?\1")
LINK = re.compile(r"\[[^\]]*\]\(\s*<?([^)\s>]+)>?(?:\s+\"[^\"]*\")?\s*\)")
HEADING = re.compile(r"^(#{1,6})[ \t]+(.+?)[ \t#]*$", re.MULTILINE)
# `aftertalk` run as a command: not part of a longer name (`aftertalk.room`, `.aftertalk/`), followed
# on the same line by a subcommand. Prose writes the product's name with a capital A.
COMMAND = re.compile(r"(?<![\w.\-])aftertalk[ \t]+([a-z][a-z0-9-]*)")
FIELD_ROW = re.compile(r"^\|\s*`([^`]+)`\s*\|", re.MULTILINE)
YAML_BLOCK = re.compile(r"^```ya?ml[ \t]*\n(.*?)^```", re.MULTILINE | re.DOTALL)
PLAN_LENGTH = re.compile(r"^## Plan A: one (\d+)-minute session$")
# A row of a plan table: | 0:05 | 3 | `00_start_here` | ... (minutes and notebook may be empty).
PLAN_ROW = re.compile(r"^\|\s*(\d+):(\d\d)\s*\|\s*(\d*)\s*\|\s*(?:`([^`]+)`)?[^|]*\|", re.MULTILINE)
# A row of the lessons table, whose last column is the lesson's Plan A minutes: | `02_x` | ... | 22 min, ... |
LESSON_PLAN_A_COLUMN = re.compile(r"^\|\s*`(\d\d_[a-z_]+)`\s*\|.*\|\s*(\d+) min[^|]*\|\s*$", re.MULTILINE)
# How a lesson's `## Timing` notes cell gives its Plan A length.
TIMING_PLAN_A = re.compile(r"\*\*Plan A: (\d+) minutes")
# A line of a Timing note's list: "- 8 minutes (4 in Plan A): ...", "- 5 minutes (skip in Plan A, 3 in Plan B): ...",
# "- Plan A only: 5 minutes: the break", "- Before people arrive: ..." (no minutes).
TIMING_ITEM = re.compile(r"^(?:Plan ([AB]) only: )?(\d+) minutes?(?: \(([^)]*)\))?")
# Where the parenthesis after "N minutes" gives Plan A's share: "4 in Plan A", "skip in Plans A and B".
PLAN_A_SHARE = re.compile(r"\b(\d+|skip) in Plans? A\b")
# The same figure anywhere else in a lesson: "8 minutes in small groups (4 in Plan A)".
MINUTES_WITH_PLAN_A = re.compile(r"\b(\d+) minutes?[^().]{0,40}\(([^)]*\bin Plans? A\b[^)]*)\)")
# A Timing note's word for several polls at once: "each of the three polls 2", "the first two polls ... to 2 each".
POLLS_GIVEN = re.compile(r"\bthe (first )?(two|three|four|five) polls(?: \([^)]*\))? (?:to )?(\d+)")
NUMBER_WORDS = {"two": 2, "three": 3, "four": 4, "five": 5}


# --- reading Markdown --------------------------------------------------------------------------------


def guide_pages(root: Path) -> list[Path]:
    return sorted((root / GUIDE).glob("*.md"))


def without_code(text: str) -> str:
    """The text with fenced blocks and inline code removed, for finding links and headings."""
    return CODE_SPAN.sub("", FENCE.sub("", text))


def anchor(heading: str) -> str:
    """GitHub's anchor for a heading: plain text, lower case, punctuation dropped, spaces as hyphens."""
    text = re.sub(r"!?\[([^\]]*)\]\([^)]*\)", r"\1", heading)
    text = re.sub(r"[`*]", "", text).strip().lower()
    return re.sub(r"[^\w\- ]", "", text).replace(" ", "-")


def anchors(text: str) -> set[str]:
    found: set[str] = set()
    for match in HEADING.finditer(FENCE.sub("", text)):
        base = anchor(match[2])
        name, number = base, 0
        while name in found:  # GitHub numbers repeated headings: name, name-1, name-2
            number += 1
            name = f"{base}-{number}"
        found.add(name)
    return found


def section(text: str, heading: str, *, subsections: bool = True) -> str | None:
    """The text under `heading` (a whole line), up to the next heading of the same or a higher level,
    or up to the next heading of any level when `subsections` is False."""
    level = len(heading) - len(heading.lstrip("#")) if subsections else 6
    lines = text.splitlines()
    if heading not in lines:
        return None
    body = []
    for line in lines[lines.index(heading) + 1 :]:
        match = re.match(r"^(#{1,6})[ \t]", line)
        if match and len(match[1]) <= level:
            break
        body.append(line)
    return "\n".join(body)


def table_names(text: str) -> list[str]:
    """The `names` in the first column of the Markdown tables in `text`."""
    return FIELD_ROW.findall(text)


def relative_links(path: Path) -> list[str]:
    return [
        target
        for target in LINK.findall(without_code(path.read_text(encoding="utf-8")))
        if not re.match(r"^[a-z][a-z0-9+.-]*:", target, re.IGNORECASE)
    ]  # skip https:, mailto:


def link_problems(root: Path, page: Path, target: str) -> list[str]:
    shown = f"{page.relative_to(root)}: link '{target}'"
    path_part, _, fragment = target.partition("#")
    destination = (page.parent / path_part).resolve() if path_part else page
    if not destination.exists():
        return [f"{shown} leads to a file that does not exist"]
    if fragment and destination.suffix == ".md":
        if fragment not in anchors(destination.read_text(encoding="utf-8")):
            return [f"{shown}: {destination.name} has no heading with the anchor '#{fragment}'"]
    return []


def cli_commands() -> set[str]:
    for action in build_parser()._actions:
        if isinstance(action, argparse._SubParsersAction):
            return set(action.choices)
    return set()


# --- the checks --------------------------------------------------------------------------------------


def check_links_resolve(root: Path) -> list[str]:
    """Every relative link in the guide, and the top-level README's links into it, lead somewhere."""
    problems = []
    for page in guide_pages(root):
        for target in relative_links(page):
            problems += link_problems(root, page, target)
    readme = root / "README.md"
    into_guide = [
        target
        for target in relative_links(readme)
        if (readme.parent / target.partition("#")[0]).resolve().is_relative_to(root / GUIDE)
    ]
    for target in into_guide:
        problems += link_problems(root, readme, target)
    if not any(
        (readme.parent / target.partition("#")[0]).resolve() == (root / GUIDE_INDEX).resolve() for target in into_guide
    ):
        problems.append(f"README.md: no link to {GUIDE_INDEX.as_posix()}")
    return problems


def check_commands_exist(root: Path) -> list[str]:
    """Every `aftertalk <command>` the guide names is a subcommand of the real CLI."""
    known = cli_commands()
    problems = []
    for page in guide_pages(root):
        for number, line in enumerate(page.read_text(encoding="utf-8").splitlines(), start=1):
            for command in COMMAND.findall(line):
                if command not in known:
                    problems.append(
                        f"{page.relative_to(root)}:{number}: 'aftertalk {command}' is not a "
                        f"command; the commands are {', '.join(sorted(known))}"
                    )
    return problems


def check_question_fields_documented(root: Path) -> list[str]:
    """The format section lists exactly the question fields the loader accepts."""
    return _fields_problems(root, FORMAT_HEADING, QUESTION_FIELDS, "question")


def check_option_fields_documented(root: Path) -> list[str]:
    """The options table lists exactly the option fields the loader accepts."""
    return _fields_problems(root, OPTION_HEADING, OPTION_FIELDS, "option")


def _fields_problems(root: Path, heading: str, fields, what: str) -> list[str]:
    text = section((root / ADAPTING).read_text(encoding="utf-8"), heading, subsections=False)
    if text is None:
        return [f"{ADAPTING}: no '{heading}' section"]
    named = table_names(text)
    problems = [
        f"{ADAPTING}: '{name}' under '{heading}' is not a {what} field (the fields are {', '.join(fields)})"
        for name in named
        if name not in fields
    ]
    problems += [
        f"{ADAPTING}: the {what} field '{name}' is not documented under '{heading}'"
        for name in fields
        if name not in named
    ]
    return problems


def check_example_question_file_loads(root: Path) -> list[str]:
    """The example question file in the format section is one the loader accepts."""
    blocks = YAML_BLOCK.findall((root / ADAPTING).read_text(encoding="utf-8"))
    if not blocks:
        return [f"{ADAPTING}: no ```yaml example of a question file"]
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "example.yaml"
        path.write_text(blocks[0], encoding="utf-8")
        try:
            questions = load_question_file(path)
        except QuestionError as error:
            return [f"{ADAPTING}: the example question file does not load: {error}"]
    return [] if questions else [f"{ADAPTING}: the example question file has no questions"]


def check_session_plans_name_every_lesson(root: Path) -> list[str]:
    """Both session plans say when each lesson notebook (templates aside) is used."""
    text = (root / GUIDE_INDEX).read_text(encoding="utf-8")
    lessons = sorted(path.stem for path in (root / "notebooks").glob("*.ipynb"))
    problems = []
    for heading in PLAN_HEADINGS:
        plan = section(text, heading)
        if plan is None:
            problems.append(f"{GUIDE_INDEX}: no '{heading}' section")
            continue
        problems += [
            f"{GUIDE_INDEX}: '{heading}' does not name the notebook {lesson}"
            for lesson in lessons
            if lesson not in plan
        ]
    return problems


def lesson_timing(notebook_path: Path) -> tuple[str, str | None]:
    """The text of a lesson's `## Timing` cell and its slide type (None when there is no such cell)."""
    notebook = json.loads(notebook_path.read_text(encoding="utf-8"))
    for cell in notebook["cells"]:
        text = "".join(cell["source"])
        if text.startswith("## Timing"):
            return text, cell["metadata"].get("slideshow", {}).get("slide_type")
    return "", None


def check_plan_a_timings_add_up(root: Path) -> list[str]:
    """Plan A's table runs on the clock to its 90 minutes, and every lesson's Timing note gives the Plan A
    minutes that table gives it, so a facilitator timing each lesson from its notebook ends on time."""
    text = (root / GUIDE_INDEX).read_text(encoding="utf-8")
    heading = PLAN_HEADINGS[0]
    plan = section(text, heading)
    if plan is None:
        return [f"{GUIDE_INDEX}: no '{heading}' section"]
    length = int(PLAN_LENGTH.match(heading)[1])
    problems = []
    per_lesson: dict[str, int] = {}
    clock = 0
    for hours, minutes, length_text, lesson in PLAN_ROW.findall(plan):
        start = int(hours) * 60 + int(minutes)
        if start != clock:
            problems.append(f"{GUIDE_INDEX}: Plan A has a row at {hours}:{minutes}; the rows before end at {clock} min")
        clock = start + int(length_text or 0)
        if length_text and not lesson:
            problems.append(f"{GUIDE_INDEX}: Plan A's row at {hours}:{minutes} gives minutes but no notebook")
        if lesson:
            per_lesson[lesson] = per_lesson.get(lesson, 0) + int(length_text or 0)
    if clock != length:
        problems.append(f"{GUIDE_INDEX}: Plan A's rows add up to {clock} minutes, not {length}")
    column = dict(LESSON_PLAN_A_COLUMN.findall(text))
    for path in sorted((root / "notebooks").glob("*.ipynb")):
        lesson = path.stem
        timing, slide_type = lesson_timing(path)
        if slide_type != "notes":
            problems.append(f"notebooks/{path.name}: '## Timing' is not a notes cell (slide type {slide_type})")
        found = TIMING_PLAN_A.search(timing)
        expected = per_lesson.get(lesson, 0)
        if found is None:
            if expected:
                problems.append(
                    f"notebooks/{path.name}: '## Timing' gives no '**Plan A: N minutes'; Plan A gives it {expected}"
                )
            continue
        if int(found[1]) != expected:
            problems.append(
                f"notebooks/{path.name}: '## Timing' says Plan A: {found[1]} minutes; "
                f"the guide's Plan A gives it {expected}"
            )
        if column.get(lesson) != str(expected):
            problems.append(
                f"{GUIDE_INDEX}: the lessons table gives {lesson} {column.get(lesson)} min in Plan A; "
                f"the plan gives it {expected}"
            )
    return problems


def plan_a_share(full: int, parenthesis: str | None) -> int:
    """Plan A's minutes for an item that takes `full` minutes, from the parenthesis after it (if any)."""
    share = PLAN_A_SHARE.search(parenthesis or "")
    if share is None:
        return full
    return 0 if share[1] == "skip" else int(share[1])


def timing_lines(timing: str) -> list[str]:
    """The lines of a Timing note's list, each on one line."""
    return [" ".join(bullet.split()) for bullet in re.split(r"^- ", timing, flags=re.MULTILINE)[1:]]


def timing_items(timing: str) -> list[tuple[int, int]]:
    """(full minutes, Plan A minutes) for each line of a Timing note's list, a line without minutes as (0, 0)."""
    items = []
    for bullet in timing_lines(timing):
        match = TIMING_ITEM.match(bullet)
        if match is None:
            items.append((0, 0))
        elif match[1] == "A":
            items.append((0, int(match[2])))
        elif match[1] == "B":
            items.append((int(match[2]), 0))
        else:
            items.append((int(match[2]), plan_a_share(int(match[2]), match[3])))
    return items


def plan_a_poll_minutes(plan: str) -> dict[str, list[int]]:
    """The minutes of each Plan A row that runs a poll, per notebook, in order."""
    polls: dict[str, list[int]] = {}
    for line in plan.splitlines():
        cells = [cell.strip() for cell in line.strip().strip("|").split("|")]
        if len(cells) == 6 and re.fullmatch(r"\d+:\d\d", cells[0]) and cells[4] and cells[1]:
            polls.setdefault(cells[2].strip("`"), []).append(int(cells[1]))
    return polls


def check_timing_figures_agree(root: Path) -> list[str]:
    """Within each lesson, the Plan A minutes agree: the Timing note's list adds up to its Plan A total, a
    figure repeated in another cell ("8 minutes in small groups (4 in Plan A)") is the list's, and minutes
    given to several polls at once ("the first two polls to 2") are what Plan A's rows give those polls.
    A slide shows minutes ("Talk in pairs (2 minutes)") only where every plan gives the activity as many:
    the minutes per plan are the notes' to give."""
    problems = []
    plan = section((root / GUIDE_INDEX).read_text(encoding="utf-8"), PLAN_HEADINGS[0]) or ""
    poll_minutes = plan_a_poll_minutes(plan)
    for path in sorted((root / "notebooks").glob("*.ipynb")):
        where = f"notebooks/{path.name}"
        timing, _ = lesson_timing(path)
        total = TIMING_PLAN_A.search(timing)
        if total is None:
            continue
        items = timing_items(timing)
        if sum(plan_a for _, plan_a in items) != int(total[1]):
            problems.append(
                f"{where}: the Timing list gives Plan A {sum(plan_a for _, plan_a in items)} minutes, "
                f"its heading {total[1]}"
            )
        flowing = " ".join(timing.split())
        for first, count, minutes in POLLS_GIVEN.findall(flowing):
            given = poll_minutes.get(path.stem, [])
            number = NUMBER_WORDS[count]
            if (not first and len(given) != number) or given[:number] != [int(minutes)] * number:
                problems.append(
                    f"{where}: the Timing note gives {'the first ' if first else ''}{count} polls {minutes} minutes "
                    f"each; Plan A's poll rows give {given}"
                )
        # The lines whose minutes hold in every plan that runs them: "2 minutes", "2 minutes (skip in Plan A)".
        same_in_every_plan = {
            int(match[2])
            for match in map(TIMING_ITEM.match, timing_lines(timing))
            if match and not match[1] and not re.search(r"\d", match[3] or "")
        }
        for cell in json.loads(path.read_text(encoding="utf-8"))["cells"]:
            text = " ".join("".join(cell["source"]).split())
            if text.startswith("## Timing"):
                continue
            if cell["metadata"].get("slideshow", {}).get("slide_type") in ("slide", "fragment"):
                problems += [
                    f"{where}: slide {cell.get('id')} shows {minutes} minutes, which not every plan gives it; "
                    f"give the minutes in its notes"
                    for minutes in re.findall(r"\((\d+) minutes?\)", text)
                    if int(minutes) not in same_in_every_plan
                ]
            for full, parenthesis in MINUTES_WITH_PLAN_A.findall(text):
                figure = (int(full), plan_a_share(int(full), parenthesis))
                if figure not in items:
                    problems.append(
                        f"{where}: cell {cell.get('id')} gives {full} minutes ({parenthesis}); "
                        f"no line of the Timing note does"
                    )
    return problems


def check_difficult_moments_and_faq(root: Path) -> list[str]:
    """Running the room has a script (words to say) for each difficult moment, and the FAQ, linked from the
    guide's index, answers each question a room asks, accurately."""
    problems = []
    difficult = section((root / RUNNING).read_text(encoding="utf-8"), DIFFICULT_HEADING)
    if difficult is None:
        problems.append(f"{RUNNING}: no '{DIFFICULT_HEADING}' section")
    else:
        for heading in SCRIPT_HEADINGS:
            script = section(difficult, heading)
            if script is None:
                problems.append(f"{RUNNING}: no '{heading}' script under '{DIFFICULT_HEADING}'")
            elif not re.search(r'^> "', script, re.MULTILINE):
                problems.append(f"{RUNNING}: '{heading}' gives no words to say (a '> \"...\"' line)")
    if not (root / FAQ).exists():
        return problems + [f"{FAQ}: the page of questions people ask is missing"]
    faq = (root / FAQ).read_text(encoding="utf-8")
    for question, words in FAQ_ANSWERS.items():
        answer = section(faq, question)
        if answer is None or not answer.strip():
            problems.append(f"{FAQ}: no answer to '{question}'")
            continue
        flowing = " ".join(answer.split())
        problems += [
            f"{FAQ}: the answer to '{question}' no longer says '{word}'" for word in words if word not in flowing
        ]
    if not any(target.partition("#")[0] == FAQ.name for target in relative_links(root / GUIDE_INDEX)):
        problems.append(f"{GUIDE_INDEX}: no link to {FAQ.name}")
    return problems


CHECKS = [
    check_links_resolve,
    check_commands_exist,
    check_question_fields_documented,
    check_option_fields_documented,
    check_example_question_file_loads,
    check_session_plans_name_every_lesson,
    check_plan_a_timings_add_up,
    check_timing_figures_agree,
    check_difficult_moments_and_faq,
]


@pytest.mark.parametrize("check", CHECKS, ids=lambda check: check.__name__.removeprefix("check_"))
def test_guide_is_consistent(check):
    assert check(ROOT) == []


# --- each check notices when what it guards breaks ---------------------------------------------------


@pytest.fixture
def kit_copy(tmp_path) -> Path:
    """A copy of the guide, the README and what they link to, to break without touching the real one."""
    skip = shutil.ignore_patterns(".ipynb_checkpoints", "__pycache__")
    for folder in ("facilitator_guide", "notebooks", "data"):
        shutil.copytree(ROOT / folder, tmp_path / folder, ignore=skip)
    shutil.copy(ROOT / "README.md", tmp_path / "README.md")
    return tmp_path


def append(path: Path, text: str) -> None:
    path.write_text(path.read_text(encoding="utf-8") + text, encoding="utf-8")


def replace(path: Path, old: str, new: str) -> None:
    text = path.read_text(encoding="utf-8")
    assert old in text, f"{old!r} is not in {path.name}; update this test"
    path.write_text(text.replace(old, new), encoding="utf-8")


def link_to_missing_page(root):
    append(root / GUIDE / "troubleshooting.md", "\nSee [the old page](setup.md).\n")


def link_to_missing_heading(root):
    append(root / GUIDE / "troubleshooting.md", "\nSee [the notice](privacy.md#a-privacy-statement).\n")


def readme_without_guide_link(root):
    replace(root / "README.md", "(facilitator_guide/README.md)", "(facilitator_guide/)")


def command_that_does_not_exist(root):
    append(root / GUIDE / "privacy.md", "\nOr erase it from a terminal with `aftertalk erase`.\n")


def question_field_undocumented(root):
    replace(root / ADAPTING, "| `notes` |", "| notes |")


def question_field_invented(root):
    replace(root / ADAPTING, "### Each option", "| `colour` | no | the bar colour |\n\n### Each option")


def option_field_undocumented(root):
    replace(root / ADAPTING, "| `exclusive` |", "| exclusive |")


def example_question_broken(root):
    replace(root / ADAPTING, "    kind: multi\n", "    kind: many\n")


def lesson_missing_from_plans(root):
    shutil.copy(root / "notebooks" / "05_closing.ipynb", root / "notebooks" / "06_consent.ipynb")


def lesson_plan_a_minutes_changed(root):
    path = root / "notebooks" / "03_tears_and_the_post_sex_blues.ipynb"
    replace(path, "**Plan A: 19 minutes.**", "**Plan A: 25 minutes.**")


def plan_a_row_lengthened(root):
    replace(root / GUIDE_INDEX, "| 0:48 | 2 | `03_tears", "| 0:48 | 4 | `03_tears")


def minutes_repeated_otherwise(root):
    replace(
        root / "notebooks" / "04_aftercare_and_talking.ipynb",
        "8 minutes (4 in Plan A): small",
        "8 minutes (5 in Plan A): small",
    )


def timing_list_not_adding_up(root):
    replace(
        root / "notebooks" / "03_tears_and_the_post_sex_blues.ipynb", "(5 in Plans A and B)", "(6 in Plans A and B)"
    )


def polls_given_other_minutes(root):
    replace(root / "notebooks" / "04_aftercare_and_talking.ipynb", "the first two polls", "the first three polls")


def slide_minutes_a_plan_changes(root):
    replace(
        root / "notebooks" / "02_the_feelings_after_sex.ipynb",
        "### Talk in small groups",
        "### Talk in small groups (5 minutes)",
    )


def script_missing(root):
    replace(root / RUNNING, "### Graphic oversharing", "### Oversharing")


def script_without_words(root):
    replace(root / RUNNING, "> \"It's a topic that makes most of us", "It's a topic that makes most of us")


def faq_question_missing(root):
    replace(root / FAQ, "## Is it hormones?", "## Hormones")


def faq_answer_changed(root):
    replace(root / FAQ, "research label, not a diagnosis", "condition")


def faq_not_linked(root):
    replace(root / GUIDE_INDEX, "[Questions people ask](faq.md)", "Questions people ask")


BREAKAGES = [
    (check_links_resolve, link_to_missing_page, "setup.md"),
    (check_links_resolve, link_to_missing_heading, "#a-privacy-statement"),
    (check_links_resolve, readme_without_guide_link, "no link to facilitator_guide/README.md"),
    (check_commands_exist, command_that_does_not_exist, "'aftertalk erase' is not a command"),
    (check_question_fields_documented, question_field_undocumented, "'notes' is not documented"),
    (check_question_fields_documented, question_field_invented, "'colour'"),
    (check_option_fields_documented, option_field_undocumented, "'exclusive' is not documented"),
    (check_example_question_file_loads, example_question_broken, "does not load"),
    (check_session_plans_name_every_lesson, lesson_missing_from_plans, "06_consent"),
    (check_plan_a_timings_add_up, lesson_plan_a_minutes_changed, "says Plan A: 25 minutes"),
    (check_plan_a_timings_add_up, plan_a_row_lengthened, "the rows before end at 52 min"),
    (check_timing_figures_agree, minutes_repeated_otherwise, "gives 8 minutes (5 in Plan A)"),
    (check_timing_figures_agree, timing_list_not_adding_up, "the Timing list gives Plan A 20 minutes, its heading 19"),
    (check_timing_figures_agree, polls_given_other_minutes, "gives the first three polls 2 minutes each"),
    (check_timing_figures_agree, slide_minutes_a_plan_changes, "shows 5 minutes, which not every plan gives it"),
    (check_difficult_moments_and_faq, script_missing, "no '### Graphic oversharing' script"),
    (check_difficult_moments_and_faq, script_without_words, "'### A joke' gives no words to say"),
    (check_difficult_moments_and_faq, faq_question_missing, "no answer to '## Is it hormones?'"),
    (check_difficult_moments_and_faq, faq_answer_changed, "no longer says 'research label, not a diagnosis'"),
    (check_difficult_moments_and_faq, faq_not_linked, "no link to faq.md"),
]


@pytest.mark.parametrize(
    "check, breakage, expected", BREAKAGES, ids=[breakage.__name__ for _, breakage, _ in BREAKAGES]
)
def test_check_notices_breakage(kit_copy, check, breakage, expected):
    assert check(kit_copy) == []
    breakage(kit_copy)
    problems = check(kit_copy)
    assert any(expected in problem for problem in problems), problems
