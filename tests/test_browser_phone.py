"""The participant page in real headless Chromium, in a phone's viewport, with and without JavaScript.

The page is loaded as http://phone.test:PORT/, a non-loopback name, so the browser treats it as the
insecure context a phone on the venue's Wi-Fi really gets.
"""

import re

import pytest
from axe_playwright_python.sync_playwright import Axe
from playwright.sync_api import expect, sync_playwright

from aftertalk import Question
from conftest import CHROMIUM, answer_many, call, shown_counts

PHONE = {"viewport": {"width": 360, "height": 740}, "device_scale_factor": 2, "is_mobile": True, "has_touch": True}
MOOD = Question.from_dict(
    {
        "id": "mood",
        "text": "How does the room feel?",
        "kind": "single",
        "options": [{"id": "settled", "label": "Settled"}, {"id": "curious", "label": "Curious"}],
    }
)
FEELINGS = Question.from_dict(
    {
        "id": "feelings",
        "text": "Which have you felt?",
        "kind": "multi",
        "options": [
            {"id": "calm", "label": "Calm"},
            {"id": "sad", "label": "Sad"},
            {"id": "none", "label": "None of these", "exclusive": True},
        ],
    }
)
THANKS = "Thanks, that was sent anonymously."
# Headless Debian Chromium with no network chatter; phone.test reaches the server on loopback.
BROWSER_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--host-resolver-rules=MAP phone.test 127.0.0.1",
]


@pytest.fixture(scope="module")
def browser():
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=BROWSER_ARGS)
        yield browser
        browser.close()


@pytest.fixture
def phone(browser):
    context = browser.new_context(**PHONE)
    yield context.new_page()
    context.close()


@pytest.fixture
def phone_without_js(browser):
    context = browser.new_context(java_script_enabled=False, **PHONE)
    yield context.new_page()
    context.close()


def room_url(server, room):
    return f"http://phone.test:{server.port}/r/{room.code}"


def test_the_page_is_an_insecure_context_like_on_a_real_phone(server, room, phone):
    phone.goto(room_url(server, room))
    assert phone.evaluate("window.isSecureContext") is False
    assert phone.evaluate("typeof crypto.getRandomValues") == "function"


def test_a_phone_joins_waits_and_the_question_appears_by_itself(server, room, phone):
    # The live update and the answer's reply bring the next view: with a thousand phones, every phone
    # asking for the page again after each change is what slowed a room.
    asked = []
    phone.on("request", lambda request: asked.append(request.url) if "/current" in request.url else None)
    phone.goto(room_url(server, room))
    expect(phone.get_by_text("The facilitator will open a question")).to_be_visible()
    room.open(MOOD)
    expect(phone.get_by_role("heading", name="How does the room feel?")).to_be_visible(timeout=5000)
    phone.get_by_text("Curious").click()
    phone.get_by_role("button", name="Send anonymously").click()
    expect(phone.get_by_text(THANKS)).to_be_visible()
    assert asked == []
    # No echo: nothing on the page says what was chosen.
    assert "Curious" not in phone.locator("body").inner_text()
    assert room.count("mood") == 1
    answer_many(server, room.code, "mood", {"settled": 5, "curious": 5})  # enough to show every count
    assert shown_counts(room, "mood") == {"settled": 5, "curious": 6, "prefer_not_to_say": 0}


def test_a_reload_after_answering_does_not_offer_the_question_again(server, room, phone):
    room.open(MOOD)
    phone.goto(room_url(server, room))
    phone.get_by_text("Settled").click()
    phone.get_by_role("button", name="Send anonymously").click()
    expect(phone.get_by_text(THANKS)).to_be_visible()
    phone.reload()
    expect(phone.get_by_text("The facilitator will open a question")).to_be_visible()


def test_skip_counts_nothing_and_moves_on(server, room, phone):
    room.open(MOOD)
    phone.goto(room_url(server, room))
    phone.get_by_role("button", name="Skip this question").click()
    expect(phone.get_by_text("The facilitator will open a question")).to_be_visible()
    assert room.count("mood") == 0


def test_send_without_a_choice_explains_what_to_do(server, room, phone):
    room.open(MOOD)
    phone.goto(room_url(server, room))
    phone.get_by_role("button", name="Send anonymously").click()
    expect(phone.get_by_role("alert")).to_contain_text("Choose an answer")
    assert room.count("mood") == 0


def test_exclusive_choices_clear_the_others(server, room, phone):
    room.open(FEELINGS)
    phone.goto(room_url(server, room))
    phone.get_by_text("Calm").click()
    phone.get_by_text("Sad").click()
    phone.get_by_text("None of these").click()
    assert phone.get_by_label("Calm").is_checked() is False
    assert phone.get_by_label("None of these").is_checked() is True
    phone.get_by_text("Prefer not to say").click()
    assert phone.get_by_label("None of these").is_checked() is False
    phone.get_by_role("button", name="Send anonymously").click()
    expect(phone.get_by_text(THANKS)).to_be_visible()
    # (5 ticking calm and sad alone beside the decliners would be withheld: everyone who ticked
    # anything would have ticked both.)
    answer_many(server, room.code, "feelings", {("calm",): 5, ("sad",): 5, "prefer_not_to_say": 5})
    assert shown_counts(room, "feelings") == {"calm": 5, "sad": 5, "none": 0, "prefer_not_to_say": 6}


def test_a_poll_closing_mid_answer_is_shown_on_the_phone(server, room, phone):
    room.open(MOOD)
    phone.goto(room_url(server, room))
    phone.get_by_text("Settled").click()
    room.close("mood")
    expect(phone.get_by_role("status")).to_contain_text("That poll has closed", timeout=5000)
    expect(phone.get_by_text("The facilitator will open a question")).to_be_visible()
    assert room.count("mood") == 0


def test_without_javascript_a_late_answer_is_refused_with_a_page(server, room, phone_without_js):
    room.open(MOOD)
    phone_without_js.goto(room_url(server, room))
    phone_without_js.get_by_text("Settled").click()
    room.close("mood")
    phone_without_js.get_by_role("button", name="Send anonymously").click()
    expect(phone_without_js.get_by_text("This poll has closed")).to_be_visible()
    assert room.count("mood") == 0


def test_the_page_says_when_the_room_ends(server, room, phone):
    phone.goto(room_url(server, room))
    room.end()
    expect(phone.get_by_role("heading", name="This room has ended")).to_be_visible(timeout=5000)


def test_without_javascript_a_phone_can_join_answer_and_refresh(server, room, phone_without_js):
    phone = phone_without_js
    phone.goto(room_url(server, room))
    expect(phone.get_by_role("link", name="Refresh")).to_be_visible()
    room.open(MOOD)
    phone.get_by_role("link", name="Refresh").click()
    phone.get_by_text("Settled").click()
    phone.get_by_role("button", name="Send anonymously").click()
    expect(phone.get_by_text(THANKS)).to_be_visible()
    assert "Settled" not in phone.locator("body").inner_text()
    assert re.search(rf"/r/{room.code}\?thanks=1$", phone.url)
    assert room.count("mood") == 1


def test_without_javascript_errors_come_back_as_a_page(server, room, phone_without_js):
    phone = phone_without_js
    room.open(MOOD)
    phone.goto(room_url(server, room))
    phone.get_by_role("button", name="Send anonymously").click()
    expect(phone.get_by_text("Choose an answer")).to_be_visible()
    phone.get_by_role("link", name="Go back").click()
    expect(phone.get_by_role("heading", name="How does the room feel?")).to_be_visible()
    assert room.count("mood") == 0


@pytest.mark.parametrize("javascript", [True, False])
def test_quick_exit_leaves_for_a_neutral_page(browser, server, room, javascript):
    context = browser.new_context(java_script_enabled=javascript, **PHONE)
    page = context.new_page()
    page.goto(f"http://phone.test:{server.port}/")
    room.open(MOOD)
    page.goto(room_url(server, room))
    page.get_by_role("link", name="Quick exit").click()
    expect(page).to_have_title("Notes")
    text = page.locator("body").inner_text()
    assert "Aftertalk" not in text and "room" not in text.lower()
    if javascript:  # the room page was replaced in the history, so Back does not return to it
        page.go_back()
        assert "/r/" not in page.url
    context.close()


def test_join_by_typing_the_code(server, room, phone):
    phone.goto(f"http://phone.test:{server.port}/")
    phone.get_by_label("Room code").fill(room.code.lower())
    phone.get_by_role("button", name="Join").click()
    expect(phone.get_by_text("The facilitator will open a question")).to_be_visible()


@pytest.mark.parametrize("state", ["landing", "waiting", "single", "multi", "thanks", "error"])
def test_the_participant_page_has_no_accessibility_violations(server, room, phone, state):
    if state == "landing":
        phone.goto(f"http://phone.test:{server.port}/")
    else:
        if state in ("single", "thanks"):
            room.open(MOOD)
        if state == "multi":
            room.open(FEELINGS)
        phone.goto(room_url(server, room) if state != "error" else f"http://phone.test:{server.port}/r/ZZZZZ")
        if state == "thanks":
            phone.get_by_text("Settled").click()
            phone.get_by_role("button", name="Send anonymously").click()
            expect(phone.get_by_text(THANKS)).to_be_visible()
    assert phone.evaluate("document.documentElement.lang") == "en"
    results = Axe().run(phone)
    assert results.violations_count == 0, results.generate_report()


# --- padding: what the network sees is one size, whatever was answered, in any language --------------

MOOD_ES = Question.from_dict(
    {
        "id": "mood",
        "text": "How does the room feel?",
        "kind": "single",
        "options": [{"id": "settled", "label": "Settled"}, {"id": "curious", "label": "Curious — a bit"}],
        "translations": {
            "es": {
                "text": "¿Cómo se siente la sala?",
                "options": {"settled": "Tranquila", "curious": "Con curiosidad, un poquito"},
            }
        },
    }
)
CHECK_IN = Question.from_dict({"id": "one_word", "text": "One word for right now?", "kind": "word"})


def watch_answers(page) -> list:
    """Every answer this page POSTs, as [request, response]; see `sizes`."""
    seen = []
    page.on(
        "request",
        lambda request: (
            seen.append([request, None]) if request.method == "POST" and request.url.endswith("/answer") else None
        ),
    )
    page.on(
        "response",
        lambda response: (
            next(e for e in seen if e[0] == response.request).__setitem__(1, response)
            if response.request.method == "POST" and response.url.endswith("/answer")
            else None
        ),
    )
    return seen


def sizes(seen) -> list[tuple[bytes, bytes]]:
    """(request body, reply) for each answer. A no-JavaScript form is answered by a redirect: what then
    travels is its status and Location."""
    assert all(response is not None for _, response in seen), seen
    return [
        (
            request.post_data_buffer,
            response.body()
            if response.status == 200
            else f"{response.status} {response.headers.get('location')}".encode(),
        )
        for request, response in seen
    ]


@pytest.mark.parametrize("language", ["en", "es"])
def test_every_answer_and_its_reply_are_one_size_in_bytes_with_javascript(browser, server, room, language):
    """Answers, a word with non-ASCII letters (more bytes than characters) and skips, on an English and a
    Spanish page: every body is ANSWER_BODY_BYTES bytes and every reply REPLY_BYTES, answer or skip."""
    from aftertalk.server.base import ANSWER_BODY_BYTES
    from aftertalk.server.participant import REPLY_BYTES

    room.open(MOOD_ES)
    room.open(CHECK_IN)
    plans = [("Settled", "calm"), ("Curious", "añoranza"), ("Prefer not to say", None), (None, "ñoño ü"), (None, None)]
    seen = []
    for choice, word in plans:
        context = browser.new_context(locale={"en": "en-GB", "es": "es-ES"}[language], **PHONE)
        page = context.new_page()
        answers = watch_answers(page)
        page.goto(room_url(server, room))
        send, skip = (
            ("Send anonymously", "Skip this question")
            if language == "en"
            else ("Enviar de forma anónima", "Saltar esta pregunta")
        )
        if choice:
            label = {"Settled": "Tranquila", "Curious": "Con curiosidad", "Prefer not to say": "Prefiero no decirlo"}
            page.get_by_text(choice if language == "en" else label[choice]).click()
            page.get_by_role("button", name=send).click()
        else:
            page.get_by_role("button", name=skip).click()
        expect(page.locator("input[name=word]")).to_be_visible()
        if word:
            page.locator("input[name=word]").fill(word)
            page.get_by_role("button", name=send).click()
        else:
            page.get_by_role("button", name=skip).click()
        expect(page.locator(".waiting")).to_be_visible()
        assert len(answers) == 2, answers
        seen += sizes(answers)
        context.close()
    assert [len(body) for body, _ in seen] == [ANSWER_BODY_BYTES] * 10
    assert [len(reply) for _, reply in seen] == [REPLY_BYTES] * 10
    assert any(len(body.strip().decode()) < len(body.strip()) for body, _ in seen)  # bytes, not characters
    assert room.count("mood") == 3 and room.count("one_word") == 3


def test_every_single_choice_answer_without_javascript_is_one_size(browser, server, room):
    """Without JavaScript nothing can be padded, so the form itself is one size: options are sent as
    two-digit positions, a hidden "00" goes when nothing is picked, and "send" and "skip" are as long."""
    room.open(MOOD_ES)
    seen = []
    for language in ("en", "es"):
        for choice, button in [(0, "send"), (1, "send"), (2, "send"), (None, "skip"), (1, "skip")]:
            context = browser.new_context(java_script_enabled=False, locale=f"{language}-ES", **PHONE)
            page = context.new_page()
            answers = watch_answers(page)
            page.goto(room_url(server, room))
            if choice is not None:
                page.locator(f"label[for=option-{choice}]").click()
            page.locator(f"button[value={button}]").click()
            expect(page.locator(".thanks")).to_be_visible()
            seen += sizes(answers)
            context.close()
    assert len({len(body) for body, _ in seen}) == 1, [body for body, _ in seen]
    assert len({reply for _, reply in seen}) == 1, {reply for _, reply in seen}  # the same redirect
    assert room.count("mood") == 6
    answer_many(server, room.code, "mood", {"settled": 5, "curious": 5, "prefer_not_to_say": 5})
    # The positions landed on the options the phones picked: 01 settled, 02 curious, 03 prefer not to say.
    assert shown_counts(room, "mood") == {"settled": 7, "curious": 7, "prefer_not_to_say": 7}


def test_every_single_choice_question_in_the_bank_sends_one_size_without_javascript(server, room):
    """Every single-choice, scale and yes/no question of data/questions, in every language, as the page
    renders it: each option's value is two digits, so every answer or skip the form can send is one length."""
    import html
    from urllib.parse import urlencode

    import aftertalk

    questions = [q for q in aftertalk.load_questions().values() if q.kind in ("single", "scale", "yesno")]
    assert len(questions) >= 4
    for question in questions:
        target = room_for(server, room, question)
        target.open(question)
        for language in ("en", *question.translations):
            status, page = call(
                server,
                "GET",
                f"/r/{target.code}?lang={language}",
                headers={"Cookie": "aftertalk_device=bank-reader-0123456789"},
            )
            values = [html.unescape(v) for v in re.findall(r'name="option"\s+(?:id="[^"]*"\s+)?value="([^"]*)"', page)]
            assert len(values) == len(question.all_options) + 1, (question.id, values)  # with "nothing chosen"
            assert values == ["00"] + [f"{n:02d}" for n in range(1, len(question.all_options) + 1)]
            bodies = {
                urlencode([("question", question.id), ("option", value), ("action", action)])
                for value in values
                for action in ("send", "skip")
            }
            assert len({len(body) for body in bodies}) == 1, (question.id, bodies)
        target.reveal(question.id)  # revealed, not only closed: the second of a pair opens after the first's reveal


def room_for(server, room, question, prepare=lambda target: None):
    """`room`, or a room of its own for a randomized question: a room asks one version of a question
    (pcd_ever or the extra-private pcd_ever_private, never both), so the bank cannot all go in one."""
    if question.privacy != "randomized":
        return room
    target = server.create_room()
    prepare(target)
    return target


def test_the_padding_sizes_hold_the_largest_answer_and_every_view_of_the_bank(server, room):
    """ANSWER_BODY_BYTES holds the largest body the script can send; REPLY_BYTES every view of the kit's
    questions in every language, with three long box questions on the screen."""
    import json

    import tornado.escape

    import aftertalk
    from aftertalk.server.base import ANSWER_BODY_BYTES
    from aftertalk.server.participant import REPLY_BYTES

    widest = Question.from_dict(
        {
            "id": "q" * 64,
            "text": "Q?",
            "kind": "multi",
            "options": [{"id": f"{n:02d}" + "o" * 62, "label": "L"} for n in range(20)],
        }
    )
    answer = {"question": widest.id, "options": [o.id for o in widest.all_options], "skip": False}
    as_sent = json.dumps(answer, separators=(",", ":"), ensure_ascii=False).encode()  # as JSON.stringify does
    box = json.dumps({"text": "\x01" * 280}, separators=(",", ":")).encode()  # every character escaped to 6
    assert max(len(as_sent), len(box)) <= ANSWER_BODY_BYTES

    def show_long_box_questions(target):
        for n in range(3):
            call(
                server,
                "POST",
                f"/r/{target.code}/box",
                body={"text": "Is it normal to feel á" + "a" * 257 + f"? {n}"},
                headers={"Cookie": f"aftertalk_device=long-box-question-{n}-000000"},
            )
        for entry in target.box():
            target.show_box_question(entry["id"])

    show_long_box_questions(room)
    for question in aftertalk.load_questions().values():
        target = room_for(server, room, question, show_long_box_questions)
        target.open(question)
        for language in ("en", *question.translations):
            status, view = call(
                server,
                "GET",
                f"/r/{target.code}/current?thanks=1&lang={language}",
                # a phone per question: one phone asking for 34 views at once is, rightly, told to slow down
                headers={"Cookie": f"aftertalk_device=measures-views-{question.id}-0123456789"[:80]},
            )
            assert status == 200 and question.id in view
            assert len(tornado.escape.json_encode({"ok": True, "html": view})) <= REPLY_BYTES, (question.id, language)
        target.reveal(question.id)  # the second of a pair opens only after the first's reveal


# --- old phones: what the page's script needs may be missing, and the page still works ---------------

# Safari before iOS 15.4 has no `event.submitter`; old Android browsers have no `fetch`; the random
# source stands for anything else the script may lack. Each is removed before the page's script runs.
WITHOUT_SUBMITTER = "delete SubmitEvent.prototype.submitter;"
WITHOUT_FETCH = "delete window.fetch;"
WITHOUT_RANDOM = "delete Crypto.prototype.getRandomValues;"
# randomize.js did not arrive (a request lost on the venue's Wi-Fi): what it would define stays undefined.
WITHOUT_RANDOMIZER = "Object.defineProperty(window, 'AftertalkRandomizer', {set: function () {}});"
PRIVATE = Question.from_dict(
    {"id": "private", "text": "Ever felt unsure after sex?", "kind": "yesno", "privacy": "randomized"}
)


@pytest.fixture
def old_phone(browser, request):
    """A phone lacking what `request.param` removes; `old_phone.errors` collects the script's exceptions."""
    context = browser.new_context(**PHONE)
    context.add_init_script(request.param)
    page = context.new_page()
    page.errors = []
    page.on("pageerror", lambda error: page.errors.append(str(error)))
    yield page
    context.close()


@pytest.mark.parametrize("old_phone", [WITHOUT_SUBMITTER], indirect=True)
@pytest.mark.parametrize("picked_first", [False, True])
def test_skip_is_a_skip_on_a_phone_without_event_submitter(server, room, old_phone, picked_first):
    """Before, Skip acted as Send there: "Choose an answer", or, with an option picked, that answer counted."""
    from aftertalk.server.base import ANSWER_BODY_BYTES

    phone = old_phone
    room.open(MOOD)
    answers = watch_answers(phone)
    phone.goto(room_url(server, room))
    assert phone.evaluate("'submitter' in SubmitEvent.prototype") is False
    if picked_first:  # the person changes their mind
        phone.get_by_text("Settled").click()
    phone.get_by_role("button", name="Skip this question").click()
    expect(phone.get_by_text(THANKS)).to_be_visible()  # the same view after an answer and a skip
    expect(phone.get_by_text("The facilitator will open a question")).to_be_visible()
    expect(phone.get_by_text("Choose an answer")).to_have_count(0)
    assert room.count("mood") == 0
    assert [len(body) for body, _ in sizes(answers)] == [ANSWER_BODY_BYTES]  # the padded script's path
    phone.reload()  # the server took it as this phone's skip: the question is not offered again
    expect(phone.get_by_text("The facilitator will open a question")).to_be_visible()
    assert phone.errors == []


@pytest.mark.parametrize("old_phone", [WITHOUT_SUBMITTER], indirect=True)
def test_send_and_enter_send_on_a_phone_without_event_submitter(server, room, old_phone):
    from aftertalk.server.base import ANSWER_BODY_BYTES

    phone = old_phone
    room.open(MOOD)
    room.open(CHECK_IN)
    answers = watch_answers(phone)
    phone.goto(room_url(server, room))
    phone.get_by_text("Curious").click()
    phone.get_by_role("button", name="Send anonymously").click()
    expect(phone.get_by_text(THANKS)).to_be_visible()
    phone.locator("input[name=word]").fill("calm")
    phone.locator("input[name=word]").press("Enter")  # Enter in the word box is Send
    expect(phone.get_by_text("The facilitator will open a question")).to_be_visible()
    assert room.count("mood") == 1 and room.count("one_word") == 1
    assert [len(body) for body, _ in sizes(answers)] == [ANSWER_BODY_BYTES] * 2
    answer_many(server, room.code, "mood", {"settled": 5, "curious": 5})
    assert shown_counts(room, "mood") == {"settled": 5, "curious": 6, "prefer_not_to_say": 0}
    assert phone.errors == []


@pytest.mark.parametrize("old_phone", [WITHOUT_FETCH], indirect=True)
def test_a_phone_without_fetch_answers_skips_and_asks_through_the_plain_form(server, room, old_phone):
    """Before, the script disabled the buttons and threw: nothing was sent and the page said nothing."""
    phone = old_phone
    room.open(MOOD)
    phone.goto(room_url(server, room))
    assert phone.evaluate("typeof window.fetch") == "undefined"
    phone.get_by_text("Settled").click()
    phone.get_by_role("button", name="Send anonymously").click()
    expect(phone.get_by_text(THANKS)).to_be_visible()
    assert re.search(rf"/r/{room.code}\?thanks=1$", phone.url)  # the form posted and was sent back
    assert room.count("mood") == 1
    phone.get_by_label("Your question").fill("Is it normal to feel nothing?")
    phone.get_by_role("button", name="Send question").click()
    expect(phone.get_by_text("Thanks, your question was sent anonymously")).to_be_visible()
    room.show_box_question(room.box()[0]["id"])  # a live update, which needs no fetch
    expect(phone.get_by_role("heading", name="Questions on the screen")).to_be_visible(timeout=5000)
    phone.get_by_role("button", name="Me too").click()
    expect(phone.get_by_role("button", name="Me too (1)")).to_be_visible()
    room.open(FEELINGS)
    expect(phone.get_by_role("heading", name="Which have you felt?")).to_be_visible(timeout=5000)
    phone.get_by_text("Calm").click()
    phone.get_by_role("button", name="Skip this question").click()
    expect(phone.get_by_text(THANKS)).to_be_visible()
    call(
        server,
        "POST",
        f"/r/{room.code}/box",
        body={"text": "What is consent?"},
        headers={"Cookie": "aftertalk_device=another-phone-0123456789"},
    )
    room.show_box_question(next(q["id"] for q in room.box() if q["state"] == "pending"))
    expect(phone.get_by_text("What is consent?")).to_be_visible(timeout=5000)
    expect(phone.get_by_text(THANKS)).to_be_visible()  # a live update with no question keeps the thanks
    assert room.count("feelings") == 0 and room.count("mood") == 1
    phone.reload()  # the skip was recorded: the question is not offered again
    expect(phone.get_by_text("The facilitator will open a question")).to_be_visible()
    phone.evaluate("document.dispatchEvent(new Event('visibilitychange'))")  # a phone waking looks again
    room.end()
    expect(phone.get_by_role("heading", name="This room has ended")).to_be_visible(timeout=5000)
    assert phone.errors == []


@pytest.mark.parametrize("old_phone", [WITHOUT_FETCH, WITHOUT_RANDOM, WITHOUT_RANDOMIZER], indirect=True)
def test_a_randomized_question_that_cannot_be_scrambled_offers_only_skip(server, room, old_phone):
    """As with JavaScript off: the choices stay hidden and only Skip is offered, so no unscrambled
    answer can leave the phone; the skip is still recorded."""
    phone = old_phone
    room.open(PRIVATE)
    phone.goto(room_url(server, room))
    expect(phone.get_by_text("This question needs JavaScript")).to_be_visible()
    expect(phone.get_by_role("button", name="Send anonymously")).to_be_hidden()
    expect(phone.get_by_text("Yes", exact=True)).to_be_hidden()
    phone.get_by_role("button", name="Skip this question").click()
    expect(phone.get_by_text("The facilitator will open a question")).to_be_visible()
    phone.reload()
    expect(phone.get_by_text("The facilitator will open a question")).to_be_visible()
    assert room.count("private") == 0
    assert phone.errors == []
