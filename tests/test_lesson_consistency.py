"""The kit keeps its rules: the shipped kit breaks none, and each rule, broken once in a copy of the kit,
is reported by `check_kit` (`aftertalk check`) at the file and the line an editor shows.

Every rule lives in aftertalk/kit/lint.py; nothing here restates one. Each test plants one fault and
expects exactly one problem line, `FILE:LINE: what is wrong; what to do`. The rules that
tests/test_cli_check.py already plants through the command (question ids not in the bank, code that is
not Python, saved outputs, execution counts, unhidden code, another kernel, broken YAML or JSON, the
question fields, a figure without a citation, an empty column) are not planted again here.
"""

from __future__ import annotations

import ast
import json
import re
from pathlib import Path

import pytest
from kit_copies import ROOT, code_cell, copy_kit, edit_notebook, line_of, replace_in

from aftertalk.kit.lint import check_kit
from aftertalk.paths import HELP_LIST
from aftertalk.questions import load_questions

NOTEBOOKS = Path("notebooks")
QUESTIONS = Path("data") / "questions"
REFERENCE = Path("data") / "reference" / "post_sex_research.csv"


@pytest.fixture
def kit(tmp_path, monkeypatch):
    """A copy of the kit, checked from inside it, as an educator would: paths are shown from there."""
    kit = copy_kit(tmp_path / "kit")
    monkeypatch.chdir(kit)
    return kit


def problem_lines(kit: Path) -> list[str]:
    return [finding.problem_line() for finding in check_kit(kit, machine=False).problems()]


def assert_the_one_problem(kit: Path, where: str, what: str) -> None:
    """The planted fault is the only problem, reported at `where` ("FILE:LINE"), saying `what` and what to do."""
    lines = problem_lines(kit)
    assert len(lines) == 1, "\n".join(lines)
    assert lines[0].startswith(f"{where}: {what}"), lines[0]
    assert "; " in lines[0], "a problem line says what to do"


def test_the_shipped_kit_breaks_no_rule():
    report = check_kit(ROOT, machine=False)
    assert report.problems() == [], "\n".join(f.problem_line() for f in report.problems())
    assert (report.notebooks, report.question_files, report.reference_rows) == (7, 6, 11)


# --- the shipped lessons: a workshop, not a lecture (issue 17) ---------------------------------------
# Not rules for every kit (an educator's own lesson may have one poll): what this kit promises its rooms,
# that people take part every few minutes.

WORKSHOP_LESSONS = (
    "01_welcome_and_ground_rules",
    "02_the_feelings_after_sex",
    "03_tears_and_the_post_sex_blues",
    "04_aftercare_and_talking",
    "05_closing",
)
POLLS_PER_LESSON = 3
MYTH_OR_FACT_ROUNDS = 3
STUDY_YEAR = re.compile(r"\b(19|20)\d\d\b")  # "Muise, Giang & Impett 2014"
SAMPLE = re.compile(
    r"\b\d[\d,]* (?:[a-z]+ ){0,3}(?:men|women|students|people|couples|hombres|mujeres|estudiantes|personas|parejas)\b"
)


def projected_polls(lesson: str) -> list[str]:
    """The question ids of the lesson's projected poll cells, `room.poll(bank["id"])`, in order."""
    notebook = json.loads((ROOT / NOTEBOOKS / f"{lesson}.ipynb").read_text(encoding="utf-8"))
    ids = []
    for cell in notebook["cells"]:
        if cell["cell_type"] != "code" or cell["metadata"].get("slideshow", {}).get("slide_type") != "slide":
            continue
        for node in ast.walk(ast.parse("".join(cell["source"]))):
            if (
                isinstance(node, ast.Call)
                and isinstance(node.func, ast.Attribute)
                and node.func.attr == "poll"
                and isinstance(node.func.value, ast.Name)
                and node.func.value.id == "room"
                and node.args
                and isinstance(node.args[0], ast.Subscript)
                and isinstance(node.args[0].slice, ast.Constant)
            ):
                ids.append(node.args[0].slice.value)
    return ids


@pytest.fixture(scope="module")
def shipped_bank():
    return load_questions(ROOT / QUESTIONS)


@pytest.mark.parametrize("lesson", WORKSHOP_LESSONS)
def test_every_lesson_has_the_room_take_part_in_at_least_three_polls(lesson, shipped_bank):
    polls = projected_polls(lesson)
    assert [poll for poll in polls if poll not in shipped_bank] == []
    assert len(set(polls)) >= POLLS_PER_LESSON, polls


def test_the_lessons_hold_a_one_word_check_in(shipped_bank):
    used = [poll for lesson in WORKSHOP_LESSONS for poll in projected_polls(lesson)]
    assert any(shipped_bank[poll].kind == "word" for poll in used if poll in shipped_bank), used


def test_the_lessons_hold_myth_or_fact_rounds_with_their_evidence(shipped_bank):
    used = [poll for lesson in WORKSHOP_LESSONS for poll in projected_polls(lesson) if poll in shipped_bank]
    rounds = [shipped_bank[poll] for poll in dict.fromkeys(used) if shipped_bank[poll].correct]
    assert len(rounds) >= MYTH_OR_FACT_ROUNDS, [q.id for q in rounds]
    for question in rounds:  # the study and its sample, where the room reads them: under the chart, in each language
        for evidence in (question.evidence, *(words["evidence"] for words in question.translations.values())):
            assert STUDY_YEAR.search(evidence) and SAMPLE.search(evidence), (question.id, evidence)


# --- what the lessons tell the room about the kit is true of the kit ------------------------------------

# A sentence saying every question offers "Prefer not to say": "every question has 'Prefer not to say'",
# "Prefer not to say: it is on every question". "Every question with choices offers...", or one that names
# the exception in the same sentence ("a one-word check-in excepted"), is not one.
EVERY_QUESTION_PREFER_NOT = re.compile(
    r"every (?:question|poll) (?:has|offers|gives)\b[^.]*prefer not to say"
    r"|prefer not to say\W*(?:\w+\W+){0,4}?(?:on|in) every (?:question|poll)\b(?! with)",
    re.IGNORECASE,
)


def room_facing_texts() -> dict[str, str]:
    """What a facilitator reads or says to the room: each lesson cell, each guide page and the README,
    with line breaks and Markdown emphasis flattened so that a sentence reads as one line."""
    texts = {}
    for path in sorted((ROOT / NOTEBOOKS).glob("*.ipynb")):
        for cell in json.loads(path.read_text(encoding="utf-8"))["cells"]:
            texts[f"{path.name} {cell.get('id')}"] = "".join(cell["source"])
    for path in [ROOT / "README.md", *sorted((ROOT / "facilitator_guide").glob("*.md"))]:
        texts[str(path.relative_to(ROOT))] = path.read_text(encoding="utf-8")
    return {where: " ".join(re.sub(r"[*_>]", "", text).split()) for where, text in texts.items()}


def test_no_text_says_every_question_offers_prefer_not_to_say(shipped_bank):
    """The one-word check-in has no options, so no "Prefer not to say" (people skip it): what is true is that
    every question can be skipped and every question with choices offers it."""
    assert any(not question.prefer_not_to_say for question in shipped_bank.values())
    claims = [
        (where, match[0])
        for where, text in room_facing_texts().items()
        for match in EVERY_QUESTION_PREFER_NOT.finditer(text)
        if "except" not in text[match.start() :].partition(". ")[0]
    ]
    assert claims == []


def test_the_abuse_finding_is_no_wider_than_the_study():
    """Schweitzer, O'Brien & Burri (2015) asked 230 female students about childhood sexual abuse: a sentence
    saying how many people with the blues reported abuse names that, not past abuse in general."""
    findings = [
        (where, sentence)
        for where, text in room_facing_texts().items()
        for sentence in re.split(r"(?<=[.!?])\s", text)
        if re.search(r"\babuse\b", sentence, re.IGNORECASE)
        and re.search(r"\b(?:most|many|few|some)\b[^.]*\breported\b", sentence, re.IGNORECASE)
    ]
    assert findings, "the lessons report the study's finding on abuse"
    assert [(where, sentence) for where, sentence in findings if "childhood sexual abuse" not in sentence] == []


# Explanations research/facts.md has no study for: the lessons may offer them, as ideas ("can", "for some
# people"), never as what usually happens.
IDEAS_WITHOUT_A_STUDY = {
    "guilt learned growing up": re.compile(r"\bguilt\b[^.]*\bgrew up\b", re.IGNORECASE),
    "tears that come with feeling safe": re.compile(r"\btears\b[^.]*\b(?:safe|trust)\b", re.IGNORECASE),
    "quiet after sex as a drop in energy": re.compile(r"\bquiet after sex\b[^.]*\b(?:energy|coming down)\b", re.I),
}
HEDGE = re.compile(r"\b(?:can|could|may|might|for some|some people|an idea|perhaps)\b", re.IGNORECASE)


@pytest.mark.parametrize("idea", IDEAS_WITHOUT_A_STUDY)
def test_an_idea_without_a_study_is_offered_as_one(idea):
    claims = [
        (where, sentence)
        for where, text in room_facing_texts().items()
        for sentence in re.split(r"(?<=[.!?;:])\s|,\s(?:and|but)\s", text)  # one clause at a time
        if IDEAS_WITHOUT_A_STUDY[idea].search(sentence) and not HEDGE.search(sentence)
    ]
    assert claims == []


def slides_of(lesson: str) -> list[str]:
    """The text of each projected markdown cell of a lesson, in order."""
    notebook = json.loads((ROOT / NOTEBOOKS / f"{lesson}.ipynb").read_text(encoding="utf-8"))
    return [
        "".join(cell["source"])
        for cell in notebook["cells"]
        if cell["cell_type"] == "markdown" and cell["metadata"].get("slideshow", {}).get("slide_type") == "slide"
    ]


def test_the_opt_out_slide_shows_the_question_box_where_the_plans_say_so():
    """The guide's plans introduce the anonymous question box with the ways to opt out in lesson 01, and
    lesson 03 takes its questions without introducing it again: the opt-out slide names it."""
    plans = (ROOT / "facilitator_guide" / "README.md").read_text(encoding="utf-8")
    assert re.search(r"^\|[^\n]*`01_welcome_and_ground_rules`[^\n]*opt out[^\n]*question box", plans, re.MULTILINE)
    opt_out = [slide for slide in slides_of("01_welcome_and_ground_rules") if "opt out" in slide.splitlines()[0]]
    assert len(opt_out) == 1, opt_out
    assert "question box" in opt_out[0]


def change_reference_line(kit: Path, lineno: int, old: str, new: str) -> None:
    path = kit / REFERENCE
    lines = path.read_text(encoding="utf-8").splitlines(keepends=True)
    assert lines[lineno - 1].count(old) == 1, lines[lineno - 1]
    lines[lineno - 1] = lines[lineno - 1].replace(old, new)
    path.write_text("".join(lines), encoding="utf-8")


# --- the notebooks ------------------------------------------------------------------------------------


def test_a_lesson_that_another_names_is_missing(kit):
    (kit / NOTEBOOKS / "04_aftercare_and_talking.ipynb").unlink()
    path = NOTEBOOKS / "03_tears_and_the_post_sex_blues.ipynb"
    assert_the_one_problem(
        kit,
        f"{path}:{line_of(kit / path, '`04_aftercare_and_talking`')}",
        "there is no lesson '04_aftercare_and_talking' in notebooks/",
    )


def test_the_lesson_template_is_missing(kit):
    (kit / NOTEBOOKS / "templates" / "lesson_template.ipynb").unlink()
    assert_the_one_problem(kit, "notebooks/templates/lesson_template.ipynb", "the lesson template is missing")


def test_a_notebook_in_an_old_format(kit):
    path = NOTEBOOKS / "01_welcome_and_ground_rules.ipynb"
    edit_notebook(kit / path, lambda notebook: notebook.update(nbformat=3))
    format_line = line_of(kit / path, '"nbformat": 3')
    assert_the_one_problem(kit, f"{path}:{format_line}", "the notebook format is 3, not 4")


def test_a_code_cell_longer_than_two_lines(kit):
    path = NOTEBOOKS / "02_the_feelings_after_sex.ipynb"

    def add_a_line(notebook):
        source = code_cell(notebook, "feelings_ever")["source"]
        source[-1] += "\n"  # as Jupyter writes a source: one line of the cell per element
        source.append("print(len(bank))")

    edit_notebook(kit / path, add_a_line)
    assert_the_one_problem(
        kit, f"{path}:{line_of(kit / path, 'print(len(bank))')}", "this code cell has 3 lines, more than 2"
    )


@pytest.mark.parametrize(
    "lesson, old, new, what",
    [
        (
            "05_closing",
            "room.summary()",
            'room.hide_word(\\"comfort_after\\", \\"tired\\")',
            "room.hide_word() is not part of the notebook API",
        ),
        (
            "00_start_here",
            "aftertalk.install_check()",
            "aftertalk.kit.readiness.install_check()",
            "aftertalk.kit.readiness.install_check() is not part of the notebook API",
        ),
    ],
)
def test_a_call_outside_the_notebook_api(kit, lesson, old, new, what):
    path = NOTEBOOKS / f"{lesson}.ipynb"
    replace_in(kit / path, old, new)
    assert_the_one_problem(kit, f"{path}:{line_of(kit / path, new)}", what)


def test_a_question_id_that_is_not_written_out(kit):
    path = NOTEBOOKS / "05_closing.ipynb"
    replace_in(kit / path, 'room.before_after(\\"comfort_before\\"', 'room.before_after(bank[\\"comfort_before\\"].id')
    assert_the_one_problem(
        kit,
        f"{path}:{line_of(kit / path, 'room.before_after(')}",
        "before_after() is given the question id bank['comfort_before'].id, not the id itself",
    )


def test_a_reference_id_that_is_not_in_the_reference_data(kit):
    path = NOTEBOOKS / "03_tears_and_the_post_sex_blues.ipynb"
    replace_in(kit / path, '\\"schweitzer2015_lifetime\\"', '\\"schweitzer2015_lifetim\\"')
    assert_the_one_problem(
        kit,
        f"{path}:{line_of(kit / path, 'schweitzer2015_lifetim')}",
        "reference 'schweitzer2015_lifetim' is not in the reference data",
    )


def test_references_that_are_not_a_list_written_out(kit):
    path = NOTEBOOKS / "03_tears_and_the_post_sex_blues.ipynb"
    replace_in(kit / path, "references=studies", "references=sorted(studies)")
    assert_the_one_problem(
        kit,
        f"{path}:{line_of(kit / path, 'references=sorted(studies)')}",
        "references=sorted(studies) is not a list of reference ids written out",
    )


def test_a_comparison_with_an_option_the_question_lacks(kit):
    path = NOTEBOOKS / "03_tears_and_the_post_sex_blues.ipynb"
    replace_in(kit / path, 'option=\\"yes\\"', 'option=\\"maybe\\"')
    assert_the_one_problem(kit, f"{path}:{line_of(kit / path, 'option=')}", "'pcd_ever' has no option 'maybe'")


def test_before_and_after_of_two_different_questions(kit):
    path = NOTEBOOKS / "05_closing.ipynb"
    replace_in(kit / path, 'room.before_after(\\"comfort_before\\"', 'room.before_after(\\"warmup_weather\\"')
    assert_the_one_problem(
        kit,
        f"{path}:{line_of(kit / path, 'room.before_after(')}",
        "'warmup_weather' and 'comfort_after' differ in kind or options",
    )


def test_a_lesson_heading_out_of_place(kit):
    path = NOTEBOOKS / "02_the_feelings_after_sex.ipynb"
    replace_in(kit / path, '"## Timing\\n"', '"## Time\\n"')
    assert_the_one_problem(
        kit, f"{path}:{line_of(kit / path, '## Time')}", "'## Time' stands where '## Timing' belongs"
    )


def test_a_lesson_heading_missing(kit):
    path = NOTEBOOKS / "04_aftercare_and_talking.ipynb"
    replace_in(kit / path, '"## Facilitator talking points\\n"', '"### Talking points\\n"')
    first_code_cell = line_of(kit / path, '"cell_type": "code"')
    assert_the_one_problem(
        kit,
        f"{path}:{first_code_cell}",
        "the heading '## Facilitator talking points' is missing before the first code cell",
    )


def test_a_timing_without_minutes(kit):
    path = NOTEBOOKS / "01_welcome_and_ground_rules.ipynb"

    def say_it_vaguely(notebook):
        cell = next(cell for cell in notebook["cells"] if "".join(cell["source"]).startswith("## Timing"))
        cell["source"] = ["## Timing\n", "\n", "About a quarter of an hour."]

    edit_notebook(kit / path, say_it_vaguely)
    assert_the_one_problem(kit, f"{path}:{line_of(kit / path, '## Timing')}", "'## Timing' gives no number of minutes")


@pytest.mark.parametrize(
    "old, new, warning",
    [
        ("**Different measures, different numbers.**", "**Other measures, other numbers.**", "different measures"),
        # The old, unverifiable claim about every study anywhere no longer stands in for the narrow one.
        (
            "None of these studies reports *crying*",
            "No peer-reviewed figure exists for *crying*",
            "none of these studies reports *crying*",
        ),
    ],
)
def test_a_comparison_before_its_warnings(kit, old, new, warning):
    path = NOTEBOOKS / "03_tears_and_the_post_sex_blues.ipynb"
    replace_in(kit / path, old, new)
    assert_the_one_problem(
        kit,
        f"{path}:{line_of(kit / path, 'room.compare_with_research(')}",
        f"the warning '{warning}' is not shown before this comparison chart",
    )


# --- what a room is shown: notebooks and question files -------------------------------------------------


@pytest.mark.parametrize(
    "old, new, what",
    [
        ("Stay calm.", "Stay calm (https://example.org/calm).", "the link https://example.org/calm is neither a DOI"),
        ("Stay calm.", "Stay calm. Buy a weighted blanket.", "'Buy' is a shopping or advertising word"),
        ("Stay calm.", "Stay calm, boyfriends.", "'boyfriends' guesses a partner's gender"),
    ],
)
def test_a_lesson_that_links_elsewhere_sells_or_guesses_a_gender(kit, old, new, what):
    path = NOTEBOOKS / "04_aftercare_and_talking.ipynb"
    replace_in(kit / path, old, new)
    assert_the_one_problem(kit, f"{path}:{line_of(kit / path, new)}", what)


def test_a_question_file_that_advertises(kit):
    path = QUESTIONS / "04_aftercare_and_talking.yaml"
    replace_in(kit / path, "not as a proven\n      treatment.", "not as a proven\n      treatment. Sponsored.")
    assert_the_one_problem(kit, f"{path}:{line_of(kit / path, 'Sponsored')}", "'Sponsored' is a shopping")


# --- the question bank ---------------------------------------------------------------------------------


def test_a_question_without_prefer_not_to_say(kit):
    path = QUESTIONS / "04_aftercare_and_talking.yaml"
    what_helps_kind = "    kind: multi\n    options:\n      - {id: talking"  # the file has other multi questions
    replace_in(kit / path, what_helps_kind, what_helps_kind.replace("multi\n", "multi\n    prefer_not_to_say: false\n"))
    assert_the_one_problem(
        kit,
        f"{path}:{line_of(kit / path, 'id: what_helps')}",
        "question 'what_helps' does not offer 'Prefer not to say'",
    )


def test_a_question_without_notes(kit):
    path = QUESTIONS / "06_extra.yaml"
    (kit / path).write_text("questions:\n  - id: anything_else\n    text: Anything else?\n    kind: yesno\n")
    assert_the_one_problem(kit, f"{path}:2", "question 'anything_else' has no facilitator notes")


def test_a_word_check_in_needs_no_prefer_not_to_say(kit):
    """A one-word check-in has no options: people skip it instead (facilitator_guide/adapting_the_lessons.md)."""
    (kit / QUESTIONS / "06_extra.yaml").write_text(
        "questions:\n  - id: arriving_word\n    text: One word for how you're arriving?\n    kind: word\n"
        "    notes: A check-in about right now.\n"
    )
    assert problem_lines(kit) == []


# --- the reference data --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "lineno, old, new, what",
    [
        (4, ",0.46,", ",46,", "the figure 46 is not a share between 0 and 1"),
        (4, ",0.46,", ",46%,", "the figure 46% is not a share between 0 and 1"),
        (2, ",222,", ",about 220,", "n is about 220, not a number of people"),
        (3, ",2011,", ",2011a,", "the year 2011a is not a whole number"),
        (5, "https://doi.org/10.1002/sm2.74", "doi:10.1002/sm2.74", "doi_or_url doi:10.1002/sm2.74 is not a link"),
        (12, "burri2020_only_after_orgasm", "Burri2020 only", "'Burri2020 only' is not a valid figure id"),
        (
            12,
            "burri2020_only_after_orgasm",
            "burri2020_after_masturbation",
            "the figure id 'burri2020_after_masturbation' is already used at data/reference/post_sex_research.csv:11",
        ),
    ],
)
def test_a_reference_row_with_a_bad_value(kit, lineno, old, new, what):
    change_reference_line(kit, lineno, old, new)
    assert_the_one_problem(kit, f"{REFERENCE}:{lineno}", what)


def test_reference_columns_other_than_the_eight_and_their_translations(kit):
    change_reference_line(kit, 1, "measure_es", "measure_es,notes")
    assert_the_one_problem(
        kit,
        f"{REFERENCE}:1",
        "the columns are id, study, year, sample, n, measure, figure, doi_or_url, sample_es, measure_es, notes",
    )


def test_a_reference_file_without_figures(kit):
    header = (kit / REFERENCE).read_text(encoding="utf-8").splitlines()[0]
    (kit / "data" / "reference" / "more.csv").write_text(header + "\n", encoding="utf-8")
    assert_the_one_problem(kit, "data/reference/more.csv:1", "this file has no figures")


# --- the help list (the handout's last page) -----------------------------------------------------------


def test_the_help_list_is_missing(kit):
    (kit / HELP_LIST).unlink()
    assert_the_one_problem(kit, str(HELP_LIST), "the help list is missing")


@pytest.mark.parametrize(
    "old, new, what",
    [
        (
            "If you are in immediate danger, call your local emergency number.",
            "If you are in immediate danger, get help.",
            "the help list does not name the local emergency number",
        ),
        ("a crisis line, now", "now", "the help list names no crisis line"),
    ],
)
def test_a_help_list_without_what_the_lessons_promise(kit, old, new, what):
    """Lesson 03 sends anyone in danger to "your local emergency number or a crisis line": the list has both."""
    replace_in(kit / HELP_LIST, old, new)
    assert_the_one_problem(kit, str(HELP_LIST), what)


def test_a_help_list_that_links_elsewhere(kit):
    (kit / "data" / "where_to_get_help.es.md").unlink()  # else it is also reported for lacking the new link
    replace_in(kit / HELP_LIST, "to midnight.", "to midnight (https://example.org/help).")
    assert_the_one_problem(
        kit,
        f"{HELP_LIST}:{line_of(kit / HELP_LIST, 'example.org')}",
        "the link https://example.org/help is neither a DOI nor the helpline directory",
    )
