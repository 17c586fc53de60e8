"""Question files: valid ones load, and every mistake is reported with the file, line and field."""

import pytest

from aftertalk import Question, QuestionError, load_questions
from aftertalk.questions import load_question_file

GOOD = """\
questions:
  - id: mood_now
    text: "How are you arriving today?"
    kind: single
    options:
      - {id: calm, label: Calm}
      - {id: unsure, label: Unsure}
    notes: Low stakes.
  - id: comfort
    text: "How comfortable are you?"
    kind: scale
"""


def write(tmp_path, text, name="bank.yaml"):
    path = tmp_path / name
    path.write_text(text)
    return path


def test_a_good_file_loads_with_defaults(tmp_path):
    mood, comfort = load_question_file(write(tmp_path, GOOD))
    assert mood.id == "mood_now" and [o.id for o in mood.options] == ["calm", "unsure"]
    assert mood.all_options[-1].label == "Prefer not to say"
    assert [o.id for o in comfort.options] == ["1", "2", "3", "4", "5"]


def test_the_shipped_bank_loads_and_every_question_can_be_skipped_or_declined():
    bank = load_questions()
    assert "feelings_ever" in bank
    assert all(q.prefer_not_to_say for q in bank.values())


@pytest.mark.parametrize(
    "text, line, field, message",
    [
        ("questions:\n  - id: a\n    text: [oops\n", 4, None, "not valid YAML"),
        ("questions:\n  - id: a\n    text: Q?\n    kind: poll\n", 4, "kind", "unknown kind 'poll'"),
        (
            "questions:\n  - id: a\n    text: Q?\n    kind: single\n    options:\n      - {id: x, label: X}\n"
            "      - {id: y}\n",
            7,
            "options[1].label",
            "needs a label",
        ),
        (
            "questions:\n  - id: a\n    text: Q?\n    kind: single\n    options:\n      - {id: x, label: X}\n"
            "      - {id: x, label: Y}\n",
            7,
            "options[1].id",
            "used twice",
        ),
        ("questions:\n  - text: Q?\n    kind: yesno\n", 2, "id", "is missing"),
        ("questions:\n  - id: a\n    text: Q?\n    kind: yesno\n    colour: red\n", 5, "colour", "unknown field"),
        (
            "questions:\n  - id: a\n    text: Q?\n    kind: yesno\n    privacy: secret\n",
            5,
            "privacy",
            "unknown privacy 'secret'",
        ),
        ("questions:\n  - id: Not Valid\n    text: Q?\n    kind: yesno\n", 2, "id", "not a valid id"),
        ("questions: nope\n", 1, "questions", "a 'questions:' list"),
        (
            "questions:\n  - id: a\n    text: Q?\n    kind: single\n    options:\n      - {id: x, label: X, exclusive: true}\n"
            "      - {id: y, label: Y}\n",
            5,
            "options",
            "only multi-select",
        ),
    ],
)
def test_mistakes_name_the_file_line_and_field(tmp_path, text, line, field, message):
    path = write(tmp_path, text)
    with pytest.raises(QuestionError) as caught:
        load_question_file(path)
    error = caught.value
    assert error.source == str(path) and error.line == line, str(error)
    assert error.field_name == field
    assert message in str(error) and str(error).startswith(f"{path}:{line}:")


def test_a_duplicate_id_across_files_names_both_files(tmp_path):
    write(tmp_path, GOOD, "a.yaml")
    write(
        tmp_path,
        "questions:\n  - id: other\n    text: Q?\n    kind: yesno\n  - id: mood_now\n"
        "    text: Again?\n    kind: yesno\n",
        "b.yaml",
    )
    with pytest.raises(QuestionError, match=r"b\.yaml:5: field 'id': id 'mood_now' is already used in .*a\.yaml"):
        load_questions(tmp_path)


@pytest.mark.parametrize(
    "private, message",
    [
        ("    instead_of: pcd\n", None),
        ("    instead_of: pdc\n", "there is no question 'pdc'"),
        ("    instead_of: pcd\n    after: pcd\n", "cannot have another version"),
    ],
)
def test_a_version_of_a_question_names_one_that_asks_the_same(tmp_path, private, message):
    write(
        tmp_path,
        "questions:\n  - id: pcd\n    text: Ever?\n    kind: yesno\n"
        f"  - id: pcd_private\n    text: Ever?\n    kind: yesno\n    privacy: randomized\n{private}",
    )
    if message is None:
        assert load_questions(tmp_path)["pcd_private"].instead_of == "pcd"
        return
    with pytest.raises(QuestionError, match=message) as caught:
        load_questions(tmp_path)
    assert caught.value.line == 5


def test_a_version_asking_something_else_is_refused(tmp_path):
    write(
        tmp_path,
        "questions:\n  - id: a\n    text: Ever?\n    kind: yesno\n  - id: b\n    text: Never?\n"
        "    kind: yesno\n    instead_of: a\n",
    )
    with pytest.raises(QuestionError, match="'a' asks something else"):
        load_questions(tmp_path)


def test_questions_built_in_code_are_checked_too():
    with pytest.raises(QuestionError, match="at least two options"):
        Question(id="x", text="Q?", kind="single", options=({"id": "a", "label": "A"},))
    with pytest.raises(QuestionError, match="added for you"):
        Question.from_dict(
            {
                "id": "x",
                "text": "Q?",
                "kind": "single",
                "options": [{"id": "a", "label": "A"}, {"id": "prefer_not_to_say", "label": "P"}],
            }
        )
    question = Question.from_dict({"id": "x", "text": "Q?", "kind": "yesno", "prefer_not_to_say": False})
    assert [o.id for o in question.all_options] == ["yes", "no"]
    assert Question.from_dict(question.to_dict()) == question


def test_yes_and_no_labels_stay_text(tmp_path):
    (question,) = load_question_file(
        write(
            tmp_path,
            "questions:\n  - id: a\n    text: Q?\n    kind: single\n"
            "    options:\n      - {id: y, label: Yes}\n      - {id: n, label: No}\n",
        )
    )
    assert [o.label for o in question.options] == ["Yes", "No"]


def test_a_lesson_in_a_copy_of_the_kit_reads_that_copys_questions(tmp_path):
    """A kernel runs in its notebook's folder: in an adapted copy of the kit, `load_questions()` (and
    `aftertalk check`, `new-lesson`, `workshop`) read the copy, not the kit Aftertalk is installed from."""
    import shutil
    import subprocess
    import sys
    from pathlib import Path

    root = Path(__file__).resolve().parent.parent
    kit = tmp_path / "adapted"
    for name in ("data", "notebooks"):
        shutil.copytree(root / name, kit / name, ignore=shutil.ignore_patterns(".ipynb_checkpoints", "*.pdf"))
    bank = kit / "data" / "questions" / "00_start_here.yaml"
    bank.write_text(
        bank.read_text(encoding="utf-8").replace(
            "If your week so far were weather", "If your month so far were weather"
        ),
        encoding="utf-8",
    )
    read = "import aftertalk; print([q.text for q in aftertalk.load_questions().values() if 'weather' in q.text])"
    in_copy = subprocess.run([sys.executable, "-c", read], cwd=kit / "notebooks", capture_output=True, text=True)
    elsewhere = subprocess.run([sys.executable, "-c", read], cwd=tmp_path, capture_output=True, text=True)
    assert "If your month so far" in in_copy.stdout, in_copy.stdout + in_copy.stderr
    assert "If your week so far" in elsewhere.stdout, elsewhere.stdout + elsewhere.stderr
