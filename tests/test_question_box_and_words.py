"""The anonymous question box and one-word check-ins: the facilitator decides what reaches the screen."""

import html
import json
from pathlib import Path

import pytest
from playwright.sync_api import expect
from pypdf import PdfReader
from test_browser_phone import PHONE, browser, phone_without_js, room_url  # noqa: F401 (fixtures)

import aftertalk
from aftertalk import Question
from aftertalk.notebook.rehearsal import BOX_QUESTIONS
from aftertalk.server.freetext import flags, normalise_word
from conftest import call, run_notebook

CHECK_IN = Question.from_dict(
    {"id": "one_word", "text": "One word for how you feel right now?", "kind": "word", "max_length": 20}
)
SECRET = "Is it normal that my partner Robin cries every time?"
# A question that may be a disclosure: set aside, it must never reach a screen.
DISCLOSURE = "Someone did things to me I never agreed to and I freeze after sex. Who do I tell?"


def ask(server, code, text, phone="asker"):
    return call(
        server,
        "POST",
        f"/r/{code}/box",
        body={"text": text},
        headers={"Cookie": f"aftertalk_device=box-{code}-{phone}-0000000"},
    )


def words(server, code, counts):
    for index, (word, times) in enumerate(counts.items()):
        for n in range(times):
            status, body = call(
                server,
                "POST",
                f"/r/{code}/answer",
                body={"question": "one_word", "word": word},
                headers={"Cookie": f"aftertalk_device=word-{code}-{index}-{n}-000000"},
            )
            assert status == 200, body


def test_a_question_from_a_phone_waits_for_the_facilitator(server, room):
    assert ask(server, room.code, SECRET)[0] == 200
    (entry,) = room.box()
    assert entry["text"] == SECRET and entry["state"] == "pending"
    assert "what may be a name" in entry["flags"]
    status, page = call(server, "GET", f"/r/{room.code}")
    assert SECRET not in page  # not on any phone either, until shown
    room.show_box_question(entry["id"])
    status, page = call(server, "GET", f"/r/{room.code}")
    assert "Robin cries" in page


def projected_text(panel) -> str:
    """Everything in the panel's projector part, as HTML."""
    return " ".join(
        child.children[0].value if hasattr(child, "children") else child.value for child in panel.projector.children
    )


def test_a_question_set_aside_never_reaches_a_screen_and_can_never_be_shown(server, room):
    assert ask(server, room.code, DISCLOSURE)[0] == 200
    ask(server, room.code, "What is aftercare?", phone="other")
    entry = next(q for q in room.box() if q["text"] == DISCLOSURE)
    room.set_aside_box_question(entry["id"])
    assert {q["text"]: q["state"] for q in room.box()}[DISCLOSURE] == "set_aside"
    action = f"/api/rooms/{room.code}/box/{entry['id']}"
    for refused in ("show", "answered", "hide"):
        status, body = call(server, "POST", f"{action}/{refused}", body={}, token=room._token)
        assert status == 409 and "was set aside" in body["error"] and "never shown" in body["error"], body
    with pytest.raises(aftertalk.RoomError, match="was set aside"):
        room.show_box_question(entry["id"])
    assert call(server, "POST", f"{action}/aside", body={}, token=room._token)[0] == 200  # a retried click
    assert {q["text"]: q["state"] for q in room.box()}[DISCLOSURE] == "set_aside"
    status, page = call(server, "GET", f"/r/{room.code}")
    assert status == 200 and "I never agreed" not in page
    upvote = f"/r/{room.code}/box/{entry['id']}/upvote"
    phone = {"Cookie": f"aftertalk_device=up-{room.code}-00000000"}
    assert call(server, "POST", upvote, body={}, headers=phone)[0] == 404  # no "Me too" on what no screen shows
    panel = room.question_box()
    assert "I never agreed" not in projected_text(panel)
    # In the private, collapsed part only: its own list, with a pointer to the guide.
    assert panel.moderation.selected_index is None
    title = panel.moderation.get_title(0)  # projected even when collapsed: it must not hint at a set-aside question
    assert "I never agreed" not in title and "aside" not in title.lower()
    assert all("I never agreed" not in str(getattr(w, "value", "")) for w in panel.pending.children)
    private = " ".join(w.value for w in panel.set_aside.children)
    assert "Set aside: 1" in private and "If a question may be a disclosure" in private
    assert html.escape(DISCLOSURE) in private
    # The other question still waits, with its three buttons.
    (waiting,) = panel.pending.children
    buttons = [b.description for b in waiting.children[1].children]
    assert buttons == ["Show on screen", "Hide", "Set aside (possible disclosure)"]


def test_a_question_on_screen_set_aside_leaves_the_phones_and_the_projector(server, room):
    ask(server, room.code, DISCLOSURE)
    (entry,) = room.box()
    room.show_box_question(entry["id"])
    assert "I never agreed" in call(server, "GET", f"/r/{room.code}")[1]
    panel = room.question_box()
    assert "I never agreed" in projected_text(panel)
    room.set_aside_box_question(entry["id"])
    panel.refresh()
    assert "I never agreed" not in projected_text(panel)
    assert "I never agreed" not in call(server, "GET", f"/r/{room.code}")[1]


def test_the_set_aside_list_is_in_spanish_for_a_spanish_facilitator(server, room):
    ask(server, room.code, DISCLOSURE)
    room.set_aside_box_question(room.box()[0]["id"])
    spanish = aftertalk.Room(
        api_url=room.api_url, code=room.code, token=room._token, join_url=room.join_url, language="es"
    )
    private = " ".join(w.value for w in spanish.question_box().set_aside.children)
    assert "Apartadas: 1" in private and "nunca las muestres" in private


@pytest.mark.parametrize(
    "text, status, message",
    [
        ("", 400, "is empty"),
        ("   ", 400, "is empty"),
        ("x" * 281, 400, "too long: 281 characters"),
        ("hello\x00world", 400, "control characters"),
        ("bell\x07", 400, "control characters"),
        (12, 400, "must be text"),
    ],
)
def test_bad_questions_are_refused_and_nothing_is_stored(server, room, text, status, message):
    got, body = ask(server, room.code, text)
    assert got == status and message in body["error"]
    assert room.box() == []


def test_binary_bodies_are_refused(server, room):
    status, body = call(
        server,
        "POST",
        f"/r/{room.code}/box",
        raw=b"\xff\xfe\x00",
        headers={"Cookie": f"aftertalk_device=box-{room.code}-binary-000000"},
    )
    assert status == 400 and "UTF-8" in body["error"] and room.box() == []


def test_a_flood_of_questions_from_one_phone_is_refused(server, room):
    statuses = [ask(server, room.code, f"Question number {n}?", phone="flood")[0] for n in range(8)]
    assert statuses[:3] == [200, 200, 200] and set(statuses[3:]) == {429}
    assert len(room.box()) == 3
    assert ask(server, room.code, "Another phone's question?", phone="other")[0] == 200


def test_flags_catch_names_numbers_emails_and_links():
    assert flags("Why do I feel empty after sex?") == []
    assert "a phone number" in flags("text me on 0412 345 678")
    assert "an email address or handle" in flags("write to sam@example.org")
    assert "a link" in flags("see www.example.com")
    assert "what may be a name" in flags("What if Alex wants space?")


@pytest.mark.parametrize(
    "text",
    [
        "Sam cried after we had sex, is that normal?",  # a name as the first word
        "Is it normal? Alex says no.",  # a name opening the next sentence
        "Sorry. Jordan and I argue after.",
        "¿Lucía se enfada si lloro?",
    ],
)
def test_flags_catch_a_name_at_the_start_of_a_sentence(text):
    assert "what may be a name" in flags(text)


@pytest.mark.parametrize(
    "text", ["insta: x_99", "my snap is sam99", "snapchat = samk", "ask x_99 about it", "DM @sam_k"]
)
def test_flags_catch_handles_without_an_at_sign(text):
    assert "an email address or handle" in flags(text)


@pytest.mark.parametrize(
    "text",
    [
        "Sometimes I cry after sex. Is that normal?",
        "Hi! Why do I cry?",
        "¿Es normal llorar después del sexo?",
        "After sex I feel 2x more tired.",
        *BOX_QUESTIONS[:5],
    ],
)
def test_flags_stay_quiet_on_ordinary_questions(text):
    assert flags(text) == []


def test_upvotes_count_once_per_phone_and_only_on_shown_questions(server, room):
    ask(server, room.code, "What is aftercare?")
    (entry,) = room.box()
    upvote = f"/r/{room.code}/box/{entry['id']}/upvote"
    assert (
        call(server, "POST", upvote, body={}, headers={"Cookie": f"aftertalk_device=voter-{room.code}-000000000"})[0]
        == 404
    )
    room.show_box_question(entry["id"])
    assert (
        call(server, "POST", upvote, body={}, headers={"Cookie": f"aftertalk_device=voter-{room.code}-000000000"})[0]
        == 200
    )
    status, body = call(
        server, "POST", upvote, body={}, headers={"Cookie": f"aftertalk_device=voter-{room.code}-000000000"}
    )
    assert status == 409 and "already upvoted" in body["error"]
    assert room.box()[0]["upvotes"] == 1


def test_html_in_a_question_is_text_everywhere(server, room, tmp_path):
    attack = "<img src=x onerror=alert(1)> **bold** [link](http://x.test)"
    ask(server, room.code, attack)
    room.show_box_question(room.box()[0]["id"])
    status, page = call(server, "GET", f"/r/{room.code}")
    assert "<img src=x" not in page and "&lt;img src=x onerror=alert(1)&gt;" in page
    panel = room.question_box()
    projected = " ".join(child.children[0].value for child in panel.projector.children)
    assert "<img src=x" not in projected and "&lt;img" in projected


def test_an_unmoderated_question_never_reaches_the_projector(server, room, tmp_path):
    room.open(CHECK_IN)
    words(server, room.code, {"calm": 6, "tired": 5})
    room.reveal("one_word")
    ask(server, room.code, SECRET)
    panel = room.question_box()
    # The moderation list is collapsed: nothing pending is on screen until someone opens it.
    assert panel.moderation.selected_index is None
    projected = [
        child.children[0].value if hasattr(child, "children") else child.value for child in panel.projector.children
    ]
    assert not any("Robin" in text for text in projected)
    summary = room.summary()
    assert all("Robin" not in str(getattr(child, "value", b"")) for child in summary.children)
    room.export(tmp_path / "handout.pdf")
    room.export(tmp_path / "results.csv")
    text = "".join(page.extract_text() for page in PdfReader(tmp_path / "handout.pdf").pages)
    assert "Robin" not in text and "Robin" not in (tmp_path / "results.csv").read_text()
    assert "Robin" not in aftertalk.notebook.charts.results_markdown(room.results("one_word"))


def test_word_answers_are_normalised_and_counted(server, room):
    room.open(CHECK_IN)
    words(
        server,
        room.code,
        {
            "Calm": 3,
            "calm!": 2,
            " CALM ": 1,
            "tierd": 2,
            "Tired": 3,
            "hopeful": 1,
            "open": 1,
            "sleepy": 1,
            "nervous": 1,
            "curious": 1,
        },
    )
    room.reveal("one_word")
    results = room.results("one_word").set_index("option")
    assert results["count"].to_dict() == {"calm": 6, "tired": 5}  # words given once: hidden
    assert results.attrs["n"] == 16


def test_words_need_ten_answers(server, room):
    room.open(CHECK_IN)
    words(server, room.code, {"calm": 5, "tired": 4})
    room.reveal("one_word")
    assert room.results("one_word").empty


def test_the_facilitator_can_hide_a_word_before_the_reveal(server, room):
    room.open(CHECK_IN)
    words(
        server,
        room.code,
        {"calm": 6, "horny": 5, "tired": 5, "alone": 1, "open": 1, "sleepy": 1, "curious": 1, "nervous": 1},
    )
    room.close("one_word")
    preview = {entry["word"] for entry in room.words("one_word")}
    assert preview == {"calm", "horny", "tired"}  # a word fewer than k = 5 people gave never leaves the server
    room.hide_word("one_word", "Horny")  # tidied like an answer
    room.reveal("one_word")
    assert set(room.results("one_word")["option"]) == {"calm", "tired"}
    with pytest.raises(aftertalk.RoomError, match="before it is revealed"):
        room.hide_word("one_word", "calm")


@pytest.mark.parametrize(
    "word, message",
    [("", "is empty"), ("x" * 21, "too long"), ("ok\x00", "control characters"), ("!!!", "at least one letter")],
)
def test_bad_words_are_refused(server, room, word, message):
    room.open(CHECK_IN)
    status, body = call(
        server,
        "POST",
        f"/r/{room.code}/answer",
        body={"question": "one_word", "word": word},
        headers={"Cookie": f"aftertalk_device=bad-word-{room.code}-00000"},
    )
    assert status == 400 and message in body["error"] and room.count("one_word") == 0


def test_a_word_for_a_closed_question_is_refused(server, room):
    room.open(CHECK_IN)
    room.close("one_word")
    status, body = call(
        server,
        "POST",
        f"/r/{room.code}/answer",
        body={"question": "one_word", "word": "calm"},
        headers={"Cookie": f"aftertalk_device=late-word-{room.code}-0000"},
    )
    assert status == 409 and "closed" in body["error"]


def test_normalising_folds_case_punctuation_plurals_and_spellings():
    assert {normalise_word(w) for w in ("Calm", "calm.", "CALM")} == {"calm"}
    assert normalise_word("feelings") == "feeling" and normalise_word("anxious") == "anxious"
    assert normalise_word("OK") == normalise_word("okay") == "okay"


@pytest.mark.own_server
def test_ending_the_room_erases_the_box_and_the_words(server, room):
    room.open(CHECK_IN)
    words(server, room.code, {"calm": 2})
    ask(server, room.code, "A question to erase?")
    ask(server, room.code, DISCLOSURE, phone="other")
    room.set_aside_box_question(next(q["id"] for q in room.box() if q["text"] == DISCLOSURE))
    room.end()
    server.stop()
    written = b"".join(p.read_bytes() for p in server.data_dir.rglob("*") if p.is_file())
    assert b"A question to erase" not in written and b"calm" not in written and b"never agreed" not in written


def test_phones_send_questions_and_words_in_chromium(browser, server, room):
    page = browser.new_context(**PHONE).new_page()
    page.goto(room_url(server, room))
    page.get_by_label("Your question").fill("How do I ask for aftercare?")
    page.get_by_role("button", name="Send question").click()
    expect(page.get_by_text("Thanks, your question was sent anonymously.")).to_be_visible()
    assert page.get_by_label("Your question").input_value() == ""
    room.open(CHECK_IN)
    expect(page.get_by_role("heading", name=CHECK_IN.text)).to_be_visible()
    page.get_by_label("Your word").fill("Hopeful")
    page.get_by_role("button", name="Send anonymously").click()
    expect(page.get_by_text("Thanks, that was sent anonymously.")).to_be_visible()
    assert room.count("one_word") == 1 and room.box()[0]["text"] == "How do I ask for aftercare?"
    room.show_box_question(room.box()[0]["id"])
    expect(page.get_by_text("How do I ask for aftercare?")).to_be_visible()
    page.get_by_role("button", name="Me too (0)").click()
    expect(page.get_by_role("button", name="Me too (1)")).to_be_visible()


def test_without_javascript_a_phone_can_ask_and_answer(server, room, phone_without_js):
    phone_without_js.goto(room_url(server, room))
    phone_without_js.get_by_label("Your question").fill("Is it okay to want space?")
    phone_without_js.get_by_role("button", name="Send question").click()
    expect(phone_without_js.get_by_text("Thanks, your question was sent anonymously.")).to_be_visible()
    assert room.box()[0]["text"] == "Is it okay to want space?"


def test_the_question_box_page_has_no_accessibility_violations(browser, server, room):
    from axe_playwright_python.sync_playwright import Axe

    ask(server, room.code, "What is aftercare?")
    room.show_box_question(room.box()[0]["id"])
    room.open(CHECK_IN)
    page = browser.new_context(**PHONE).new_page()
    page.goto(room_url(server, room))
    results = Axe().run(page)
    assert results.violations_count == 0, results.generate_report()


def test_setting_aside_in_the_panel_of_a_rehearsal_notebook(tmp_path):
    """The third button, in a real kernel: the question leaves the review list for the private set-aside
    list, never reaches the projector part, and the server refuses to show it afterwards."""
    report = run_notebook(
        (
            "import aftertalk, json\nroom = aftertalk.room()\nsent = room.rehearsal.ask(3)",
            "box = room.question_box()\nbox",
            "first = box.pending.children[0]\n"
            "first.children[1].children[2].click()  # Set aside (possible disclosure)\n"
            "aside = next(q for q in room.box() if q['state'] == 'set_aside')\n"
            "try:\n    room.show_box_question(aside['id'])\n    refused = None\n"
            "except aftertalk.RoomError as error:\n    refused = str(error)\n"
            "box.refresh()\n"
            "print(json.dumps({'button': first.children[1].children[2].description, 'aside': aside['text'],"
            " 'projected': [(c.children[0] if hasattr(c, 'children') else c).value for c in box.projector.children],"
            " 'pending': [c.children[0].value for c in box.pending.children],"
            " 'private': [c.value for c in box.set_aside.children], 'refused': refused,"
            " 'collapsed': box.moderation.selected_index, 'title': box.moderation.get_title(0),"
            " 'states': sorted(q['state'] for q in room.box())}))",
            "room.end()",
        ),
        tmp_path,
    )["report"]
    assert report["button"] == "Set aside (possible disclosure)"
    assert report["states"] == ["pending", "pending", "set_aside"]
    escaped = html.escape(report["aside"])
    assert not any(escaped in text for text in report["projected"] + report["pending"])
    assert any(escaped in text for text in report["private"]) and "Set aside: 1" in report["private"][0]
    assert "was set aside" in report["refused"]
    assert report["collapsed"] is None and report["title"].startswith("Waiting for review: 2.")


@pytest.mark.parametrize(
    "lesson, after, before",
    [
        ("03_tears_and_the_post_sex_blues", "## Content note", "### Tears after sex\n"),
        ("05_closing", "room.summary()", 'room.end_panel("handout.pdf")'),
    ],
)
def test_the_lessons_take_box_questions_after_the_break_and_before_the_close(lesson, after, before):
    """A projected panel cell in each slot, its facilitator notes just before it, linking to the guide's
    section on a possible disclosure (a heading that exists)."""
    root = Path(__file__).resolve().parent.parent
    cells = json.loads((root / "notebooks" / f"{lesson}.ipynb").read_text(encoding="utf-8"))["cells"]
    sources = ["".join(cell["source"]) for cell in cells]
    (at,) = [n for n, source in enumerate(sources) if source == "room.question_box()"]
    box, notes = cells[at], cells[at - 1]
    assert box["metadata"] == {"jupyter": {"source_hidden": True}, "slideshow": {"slide_type": "slide"}}
    assert notes["metadata"]["slideshow"]["slide_type"] == "notes"
    said = sources[at - 1]
    assert "Set aside (possible disclosure)" in said and "before you say any" in said
    link = "../facilitator_guide/safety_and_support.md#if-a-question-may-be-a-disclosure"
    assert link in said
    guide = (root / "notebooks" / link.partition("#")[0]).read_text(encoding="utf-8")
    assert "\n## If a question may be a disclosure\n" in guide
    assert (
        max(n for n, s in enumerate(sources) if after in s) < at < min(n for n, s in enumerate(sources) if before in s)
    )


def test_a_rehearsal_rooms_first_question_box_has_questions_to_practise_on(tmp_path):
    """A lesson's box cell in a practice run: the pretend phones' questions wait, once per room, and
    nothing is shown by itself (a headless rehearsal never presses Show or Set aside)."""
    report = run_notebook(
        (
            "import aftertalk, json\nroom = aftertalk.room()",
            "box = room.question_box()\nagain = room.question_box()  # the next lesson's cell, in the same room",
            "print(json.dumps({'box': sorted((q['text'], q['state']) for q in room.box()),"
            " 'projected': [(c.children[0] if hasattr(c, 'children') else c).value for c in again.projector.children],"
            " 'waiting': len(again.pending.children), 'collapsed': again.moderation.selected_index}))",
            "room.end()",
        ),
        tmp_path,
    )["report"]
    assert report["box"] == sorted([text, "pending"] for text in BOX_QUESTIONS)
    assert report["waiting"] == len(BOX_QUESTIONS) and report["collapsed"] is None
    assert not any(html.escape(text) in shown for text in BOX_QUESTIONS for shown in report["projected"])


def test_the_moderation_panel_in_a_rehearsal_notebook(tmp_path):
    report = run_notebook(
        (
            "import aftertalk, json\nroom = aftertalk.room()\nsent = room.rehearsal.ask(4)",
            "box = room.question_box()\nbox",
            "before = [c.children[0].value for c in box.projector.children if hasattr(c, 'children')]\n"
            "box.pending.children[0].children[1].children[0].click()  # Show the first one waiting\n"
            "after = [c.children[0].value for c in box.projector.children]\n"
            "print(json.dumps({'sent': sent, 'before': before, 'after': after, 'collapsed': box.moderation.selected_index,"
            " 'states': sorted(q['state'] for q in room.box()), 'flags': {q['text']: q['flags'] for q in room.box()}}))",
            "room.end()",
        ),
        tmp_path,
    )["report"]
    assert report["before"] == [] and report["collapsed"] is None
    assert report["states"] == ["pending", "pending", "pending", "shown"]
    (shown,) = report["after"]
    assert any(html.escape(text) in shown for text in report["sent"])  # shown as text, escaped
    # Only a question that names someone is flagged for a second look.
    assert {text: bool(found) for text, found in report["flags"].items()} == {
        text: "Jordan" in text for text in report["sent"]
    }
