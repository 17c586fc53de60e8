"""Myth-or-fact rounds: a single-choice question names its right option and the evidence; phones never
see either, and the chart marks the option and shows the evidence once the poll is revealed."""

from __future__ import annotations

import pytest
from matplotlib.figure import Figure
from matplotlib.text import Text

from aftertalk import Question, QuestionError
from aftertalk.notebook import charts
from aftertalk.questions import MAX_EVIDENCE, load_question_file
from conftest import Phone, answer_many, call

EVIDENCE = "Bird et al. 2011: 46% of 230 female students had felt it at least once (a questionnaire)."
MYTH = {
    "id": "crying_means_wrong",
    "text": "Myth or fact? Crying after sex means something went wrong.",
    "kind": "single",
    "options": [
        {"id": "myth", "label": "Myth"},
        {"id": "fact", "label": "Fact"},
        {"id": "not_sure", "label": "Not sure"},
    ],
    "correct": "myth",
    "evidence": EVIDENCE,
    "translations": {
        "es": {
            "text": "¿Mito o realidad? Llorar después del sexo significa que algo salió mal.",
            "options": {"myth": "Mito", "fact": "Realidad", "not_sure": "No sé"},
            "evidence": "Bird et al. 2011: el 46 % de 230 estudiantes lo había sentido alguna vez (un cuestionario).",
        }
    },
}


def words_on(figure: Figure) -> str:
    """Every text drawn in the figure, as one line (wrapping breaks phrases over lines)."""
    return " ".join(" ".join(t.get_text().split()) for t in figure.findobj(Text) if t.get_visible())


def with_changes(**changes) -> dict:
    data = {**MYTH, **changes}
    return {name: value for name, value in data.items() if value is not None}


# --- the question model and its file -----------------------------------------------------------------


def test_a_myth_or_fact_question_keeps_its_answer_and_evidence_in_each_language():
    question = Question.from_dict(MYTH)
    assert (question.correct, question.evidence) == ("myth", EVIDENCE)
    assert Question.from_dict(question.to_dict()) == question  # the server stores and returns to_dict
    spanish = question.translated("es")
    assert spanish.correct == "myth" and spanish.evidence.startswith("Bird et al. 2011: el 46 %")


@pytest.mark.parametrize(
    "changes, field, message",
    [
        ({"correct": "maybe"}, "correct", "'maybe' is not one of this question's options (myth, fact, not_sure)"),
        ({"correct": "prefer_not_to_say"}, "correct", "is not one of this question's options"),
        ({"evidence": None, "translations": None}, "evidence", "needs evidence"),
        ({"evidence": "x" * (MAX_EVIDENCE + 1)}, "evidence", f"1 to {MAX_EVIDENCE} characters"),
        ({"correct": None}, "evidence", "evidence goes with correct"),
        ({"privacy": "randomized"}, "correct", "only a single-choice question with direct privacy"),
        (
            {"kind": "multi", "translations": None},
            "correct",
            "only a single-choice question with direct privacy",
        ),
        (
            {"translations": {"es": {"text": "¿Mito?", "options": {"myth": "M", "fact": "R", "not_sure": "N"}}}},
            "translations.es.evidence",
            "the translated evidence is missing",
        ),
    ],
)
def test_a_wrong_answer_key_is_refused_with_what_to_do(changes, field, message):
    with pytest.raises(QuestionError) as caught:
        Question.from_dict(with_changes(**changes))
    assert caught.value.field_name == field and message in str(caught.value)


def test_a_bad_answer_key_in_a_file_names_its_line(tmp_path):
    path = tmp_path / "myths.yaml"
    path.write_text(
        "questions:\n"
        "  - id: myth_one\n"
        "    text: Myth or fact?\n"
        "    kind: single\n"
        "    options:\n"
        "      - {id: myth, label: Myth}\n"
        "      - {id: fact, label: Fact}\n"
        "    correct: mith\n"
        "    evidence: A study.\n",
        encoding="utf-8",
    )
    with pytest.raises(QuestionError) as caught:
        load_question_file(path)
    assert caught.value.line == 8 and "'mith' is not one of this question's options" in str(caught.value)


# --- through a real server -----------------------------------------------------------------------


def test_phones_never_see_the_answer_and_the_revealed_chart_marks_it(server, room):
    question = Question.from_dict(MYTH)
    room.open(question)
    status, page = call(server, "GET", f"/r/{room.code}", headers={"Cookie": Phone(server, room.code, "x").cookie})
    assert status == 200 and "Crying after sex means something went wrong" in page
    assert "Bird et al." not in page and charts.CORRECT_MARK not in page

    answer_many(server, room.code, question.id, {"myth": 6, "fact": 5, "not_sure": 5})
    room.close(question.id)
    room.reveal(question.id)
    results = room.results(question.id)
    assert (results.attrs["correct"], results.attrs["evidence"]) == ("myth", EVIDENCE)

    figure = charts.room_chart(results)
    labels = {label.get_text(): label.get_fontweight() for label in figure.axes[0].get_yticklabels()}
    assert labels["✓ Myth"] == "bold" and labels["Fact"] == "normal" and "Myth" not in labels
    assert f"✓ Myth: {EVIDENCE}" in words_on(figure)
    assert "| ✓ Myth |" in charts.results_markdown(results)


def test_an_ordinary_question_has_no_mark_and_no_evidence(server, room):
    plain = Question.from_dict(with_changes(id="plain", correct=None, evidence=None, translations=None))
    room.open(plain)
    answer_many(server, room.code, plain.id, {"myth": 6, "fact": 6})
    room.close(plain.id)
    room.reveal(plain.id)
    assert charts.CORRECT_MARK not in words_on(charts.room_chart(room.results(plain.id)))
