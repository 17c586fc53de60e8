"""A second language: the phone follows its browser or its own choice; answers land on the same options."""

import re

import pytest
from playwright.sync_api import expect
from test_browser_phone import PHONE, browser, room_url  # noqa: F401 (fixture)

import aftertalk
from aftertalk import Question, QuestionError, i18n
from aftertalk.questions import load_question_file
from conftest import answer_many, call, shown_counts

MOOD = Question.from_dict(
    {
        "id": "mood",
        "text": "How does the room feel?",
        "kind": "single",
        "options": [{"id": "settled", "label": "Settled"}, {"id": "curious", "label": "Curious"}],
        "translations": {
            "es": {"text": "¿Cómo se siente la sala?", "options": {"settled": "Tranquila", "curious": "Con curiosidad"}}
        },
    }
)


def test_the_same_question_in_english_and_spanish_counts_on_the_same_option(browser, server, room):
    room.open(MOOD)
    english = browser.new_context(locale="en-GB", **PHONE).new_page()
    spanish = browser.new_context(locale="es-ES", **PHONE).new_page()
    english.goto(room_url(server, room))
    spanish.goto(room_url(server, room))
    expect(english.get_by_role("heading", name="How does the room feel?")).to_be_visible()
    expect(spanish.get_by_role("heading", name="¿Cómo se siente la sala?")).to_be_visible()
    assert spanish.evaluate("document.documentElement.lang") == "es"
    english.get_by_text("Curious").click()
    english.get_by_role("button", name="Send anonymously").click()
    spanish.get_by_text("Con curiosidad").click()
    spanish.get_by_role("button", name="Enviar de forma anónima").click()
    expect(english.get_by_text("Thanks, that was sent anonymously.")).to_be_visible()
    expect(spanish.get_by_text("Gracias: se envió de forma anónima.")).to_be_visible()
    answer_many(server, room.code, "mood", {"settled": 5, "curious": 3})
    assert shown_counts(room, "mood") == {"settled": 5, "curious": 5, "prefer_not_to_say": 0}


def test_a_phone_can_choose_its_language_and_it_is_remembered(browser, server, room):
    page = browser.new_context(locale="en-GB", **PHONE).new_page()
    page.goto(room_url(server, room))
    expect(page.get_by_text("The facilitator will open a question")).to_be_visible()
    page.get_by_role("link", name="Español").click()
    expect(page.get_by_text("La persona que facilita abrirá una pregunta")).to_be_visible()
    room.open(MOOD)  # arrives by the live stream, already in Spanish
    expect(page.get_by_role("heading", name="¿Cómo se siente la sala?")).to_be_visible()
    expect(page.get_by_text("Prefiero no decirlo")).to_be_visible()
    page.goto(room_url(server, room))  # without ?lang=: the phone remembers
    expect(page.get_by_role("button", name="Saltar esta pregunta")).to_be_visible()


def test_the_spanish_page_has_no_accessibility_violations(browser, server, room):
    from axe_playwright_python.sync_playwright import Axe

    room.open(MOOD)
    page = browser.new_context(locale="es-ES", **PHONE).new_page()
    page.goto(room_url(server, room))
    results = Axe().run(page)
    assert results.violations_count == 0, results.generate_report()


def test_errors_reach_the_phone_in_its_language(server, room):
    room.open(MOOD)
    cookie = "aftertalk_device=spanish-phone-000000001; aftertalk_lang=es"
    call(
        server,
        "POST",
        f"/r/{room.code}/answer",
        body={"question": "mood", "options": ["settled"]},
        headers={"Cookie": cookie},
    )
    status, body = call(
        server,
        "POST",
        f"/r/{room.code}/answer",
        body={"question": "mood", "options": ["settled"]},
        headers={"Cookie": cookie},
    )
    assert status == 409 and body["error"].startswith("Este teléfono ya respondió")
    status, page = call(server, "GET", "/r/ZZZZZ", headers={"Accept-Language": "es"})
    assert status == 404 and "No hay ninguna sala con el código ZZZZZ" in page


def test_every_page_string_has_a_spanish_translation():
    import re
    from pathlib import Path

    web = Path(aftertalk.__file__).parent / "server" / "web"
    used = set()
    for template in web.glob("*.html"):
        used |= set(re.findall(r"""_\((?:"([^"]+)"|'([^']+)')\)""", template.read_text()))
    used = {a or b for a, b in used}
    assert len(used) > 20
    missing = used - set(i18n.catalog("es"))
    assert not missing, f"untranslated: {missing}"


def test_every_string_the_notebook_side_words_has_a_spanish_translation():
    """The panels, charts and join card: every literal given to a translator (`_`, `_t`, `words`), the
    count forms of `panel.count_words`, and the box's reasons to look again."""
    import ast
    from pathlib import Path

    from aftertalk.server import freetext

    used = {"{n} phone", "{n} phones", "{n} answer", "{n} answers"}
    for path in (Path(aftertalk.__file__).parent / "notebook").glob("*.py"):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Call) and node.args and isinstance(node.args[0], ast.Constant):
                name = getattr(node.func, "id", None) or getattr(node.func, "attr", None)
                if name in ("_", "_t", "words") and isinstance(node.args[0].value, str):
                    used.add(node.args[0].value)
    used |= set(freetext.flags("Call Robin at robin@example.com or 0612345678, see www.example.com"))
    assert len(used) > 40
    missing = used - set(i18n.catalog("es"))
    assert not missing, f"untranslated: {sorted(missing)}"


def test_charts_use_the_facilitators_language():
    room = aftertalk.room(rehearsal=True, language="es")
    try:
        room.poll("warmup_weather")
        results = room.results("warmup_weather")
        bank = aftertalk.load_questions()
        spanish = bank["warmup_weather"].translations["es"]
        assert results.attrs["text"] == spanish["text"]
        assert results.set_index("option").loc["sunny", "label"] == spanish["options"]["sunny"]
        assert results.set_index("option").loc["prefer_not_to_say", "label"] == "Prefiero no decirlo"
    finally:
        room.end()
    with pytest.raises(ValueError, match="No translations for language 'xx'"):
        aftertalk.room(rehearsal=True, language="xx")


def test_a_file_that_declares_a_language_needs_it_on_every_question(tmp_path):
    path = tmp_path / "bank.yaml"
    path.write_text(
        "languages: [es]\nquestions:\n  - id: a\n    text: Q?\n    kind: yesno\n"
        "    translations:\n      es: {text: '¿P?', options: {yes: Sí, no: No}}\n"
        "  - id: b\n    text: Q2?\n    kind: yesno\n"
    )
    with pytest.raises(
        QuestionError, match=r"bank\.yaml:8: field 'translations': question 'b' has no 'es' translation"
    ):
        load_question_file(path)


@pytest.mark.parametrize(
    "translations, message",
    [
        ({"es": {"options": {"settled": "T", "curious": "C"}}}, "translated question text is missing"),
        ({"es": {"text": "¿?", "options": {"settled": "T"}}}, "label of option 'curious' is missing"),
        ({"es": {"text": "¿?", "options": {"settled": "T", "curious": "C", "bored": "A"}}}, "'bored' is not an option"),
        ({"Spanish": {"text": "¿?", "options": {}}}, "not a language code"),
    ],
)
def test_incomplete_translations_are_refused(translations, message):
    with pytest.raises(QuestionError, match=message):
        Question.from_dict({**MOOD.to_dict(), "translations": translations})


def test_chart_notes_and_hidden_ranges_follow_the_facilitators_language():
    from aftertalk.notebook import charts

    results = pytest.importorskip("pandas").DataFrame(
        {
            "option": ["calm", "sad"],
            "label": ["Calma", "Tristeza"],
            "count": [7, None],
            "share": [0.7, None],
            "hidden": [False, True],
            "range": [None, "fewer_than"],  # as the server sends it; the notebook words it (Room.results)
            "shown_as": ["7", charts.cell_text("fewer_than", None, None, 5, "es")],
        }
    )
    results.attrs.update(
        {
            "question_id": "f",
            "text": "¿Qué has sentido?",
            "kind": "multi",
            "n": 10,
            "privacy": "direct",
            "language": "es",
        }
    )
    texts = " ".join(t.get_text() for t in charts.room_chart(results).findobj(lambda a: hasattr(a, "get_text")))
    assert "menos de 5" in texts and "oculto" in texts and "personas respondieron" in texts
    assert "fewer than" not in texts and "Hatched bars" not in texts
    results.attrs["language"] = "en"
    results["shown_as"] = ["7", charts.cell_text("fewer_than", None, None, 5, "en")]
    texts = " ".join(t.get_text() for t in charts.room_chart(results).findobj(lambda a: hasattr(a, "get_text")))
    assert "fewer than 5" in texts and "Hatched bars" in texts


@pytest.mark.parametrize("language", ["en", "es"])
def test_a_phone_asks_to_tick_all_in_one_wording(language):
    """A multiple-choice question and the phone page under it give the same instruction ("Choose all that
    apply.", "Marca todas las que correspondan."), not two verbs for one action."""
    page_hint = i18n.catalog(language).get("Choose all that apply.", "Choose all that apply.")
    multi = [question for question in aftertalk.load_questions().values() if question.kind == "multi"]
    assert multi
    for question in multi:
        text = question.translations["es"]["text"] if language == "es" else question.text
        instruction = text[text.rindex("?") + 1 :].strip()
        assert instruction == page_hint, f"{question.id}: {instruction!r} but the page says {page_hint!r}"


@pytest.mark.parametrize("language", ["en", "es"])
def test_a_multiple_choice_question_asks_to_choose_all_once_on_the_phone(server, room, language):
    """The bank's multiple-choice questions end with the page's own instruction, so the phone showed it
    twice ("... Tick all that apply." then "Choose all that apply."). The page now gives it once: from the
    question's text when it ends with it, else as its own line."""
    import html

    instruction = i18n.catalog(language).get("Choose all that apply.", "Choose all that apply.")
    bank_question = aftertalk.load_questions()["quiet_partner_why"]
    plain = Question.from_dict(
        {
            "id": "plain_multi",
            "text": "Which of these would you bring to a picnic?",
            "kind": "multi",
            "options": [{"id": "fruit", "label": "Fruit"}, {"id": "bread", "label": "Bread"}],
            "translations": {
                "es": {"text": "¿Qué llevarías a un pícnic?", "options": {"fruit": "Fruta", "bread": "Pan"}}
            },
        }
    )
    for question in (bank_question, plain):
        room.open(question)
        status, page = call(server, "GET", f"/r/{room.code}", headers={"Accept-Language": language})
        assert status == 200
        assert html.unescape(page).count(instruction) == 1, question.id
        room.close(question.id)


def spanish_texts() -> list[tuple[str, str]]:
    """(where, text) for every Spanish string a room reads from the kit's data: each question's text, options,
    notes and evidence, and each reference figure's sample and measure."""
    from aftertalk.kit.reference import load_reference

    texts = []
    for question in aftertalk.load_questions().values():
        words = question.translations.get("es", {})
        texts += [(question.id, words[field]) for field in ("text", "notes", "evidence") if words.get(field)]
        texts += [(question.id, label) for label in words.get("options", {}).values()]
    table = load_reference()
    texts += [(study, row[column]) for study, row in table.iterrows() for column in ("sample_es", "measure_es")]
    return texts


def test_spanish_calls_an_online_survey_one_thing():
    """The reference figures said "encuesta en línea" and the questions "encuesta en internet": one room,
    one term."""
    texts = spanish_texts()
    assert any("en línea" in text for _, text in texts)
    assert [(where, text) for where, text in texts if re.search(r"\ben internet\b", text)] == []


# A field's name where a person is meant: "Medicina o enfermería" for a doctor or nurse.
SPANISH_FIELD = re.compile(r"(?:Medicina|Enfermería|Terapia|Orientación|Consejería|Psicología|Sexología)\b")


def test_who_someone_could_talk_to_is_answered_with_people_in_spanish():
    """To "¿con quién podría hablar?" the answers are people ("Personal de salud", "Terapeuta sexual"),
    not fields ("Medicina o enfermería", "Terapia sexual")."""
    asked = [q for q in aftertalk.load_questions().values() if "¿con quién" in q.translations["es"]["text"].lower()]
    assert asked
    for question in asked:
        fields = [option.label for option in question.translated("es").all_options if SPANISH_FIELD.match(option.label)]
        assert fields == [], question.id


def test_the_research_comparison_is_in_spanish_in_a_spanish_room():
    """Issue 17: the title, each study's "Sample:/Measure:" line and the studies' samples and measures
    (data/reference, sample_es and measure_es) were in English on a Spanish projector."""
    from aftertalk.kit.reference import reference_rows
    from aftertalk.notebook import charts

    results = pytest.importorskip("pandas").DataFrame(
        {
            "option": ["yes", "no", "does_not_apply", "prefer_not_to_say"],
            "label": ["Sí", "No", "No se aplica a mi caso", "Prefiero no decirlo"],
            "count": [7, 11, 6, 5],
            "share": [7 / 29, 11 / 29, 6 / 29, 5 / 29],
            "hidden": [False] * 4,
            "shown_as": ["7", "11", "6", "5"],
        }
    )
    results.attrs.update(
        {"question_id": "pcd_ever", "text": "¿Alguna vez...?", "kind": "single", "n": 29, "privacy": "direct"}
    )
    studies = reference_rows(["bird2011_lifetime", "maczkowiack2019_lifetime"])
    for language, title, line, english in (
        (
            "es",
            "“Sí”: esta sala y la investigación",
            "Muestra: estudiantes universitarias (n = 222). Medida: síntomas de disforia poscoital (PCD) alguna vez.",
            ("this room and research", "Sample:", "Measure:", "university students", "online survey"),
        ),
        (
            "en",
            "“Sí”: this room and research",
            "Sample: female university students (n = 222). Measure: post-coital dysphoria (PCD) symptoms ever.",
            ("esta sala", "Muestra:", "Medida:", "universitarias"),
        ),
    ):
        results.attrs["language"] = language
        figure = charts.room_vs_research(results, studies, room_option="yes")
        words = " ".join(" ".join(t.get_text() for t in figure.findobj(lambda a: hasattr(a, "get_text"))).split())
        text = charts.research_markdown(results, studies, room_option="yes")
        for shown in (words, " ".join(text.split())):
            assert title in shown and line in shown
            assert not any(phrase in shown for phrase in english), shown
    results.attrs["language"] = "es"
    text = " ".join(charts.research_markdown(results, studies, room_option="yes").split())
    assert "Muestra: hombres de 18 a 81 años, encuesta internacional anónima en línea (n = 1208)." in text


def test_every_reference_figure_reads_in_spanish():
    """Each figure's sample and measure have their Spanish, as `aftertalk check` requires of a file that
    translates one; a Spanish room never reads a study's sample in English."""
    from aftertalk.kit.reference import load_reference

    table = load_reference()
    for column in ("sample", "measure"):
        assert table[f"{column}_es"].notna().all() and (table[f"{column}_es"] != table[column]).all()


def test_a_spanish_room_gets_its_summary_help_slides_and_handout_in_spanish(tmp_path):
    """The summary before any reveal, lesson 05's help slides (room.help_list) and the handout: the help
    list from where_to_get_help.es.md, the references under "Referencias"."""
    from pypdf import PdfReader

    room = aftertalk.room(rehearsal=True, language="es")
    try:
        summary = room.summary()
        said = " ".join(child.value for child in summary.children)
        assert "En esta sala todavía no se han mostrado los resultados de ninguna encuesta." in said
        assert "No poll has been revealed" not in said
        slide = room.help_list("emergency", "crisis").data
        assert "### Dónde encontrar ayuda" in slide and "número de emergencias" in slide
        assert "línea de crisis" in slide and "Where to get help" not in slide
        assert "116 123" in slide and "findahelpline.com" in slide
        pages = PdfReader(room.export(tmp_path / "handout.pdf")).pages
        printed = [" ".join(page.extract_text().split()) for page in pages]
        assert printed[-2].startswith("Dónde encontrar ayuda") and "número de emergencias" in printed[-2]
        assert printed[-1].startswith("Referencias")
        assert "Where to get help" not in " ".join(printed) and "References" not in printed[-1]
    finally:
        room.end()
